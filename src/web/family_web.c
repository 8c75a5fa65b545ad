/* family_web.c — the family's address, postcode and home language, kept up
 * to date from its case (the core is family_details_change, family.c).
 *
 *   POST /cases/{ref}/family          the form on the case page
 *   GET  /api/v1/cases/{ref}/family   the details, their version and the
 *                                     values earlier changes replaced
 *   PUT  /api/v1/cases/{ref}/family   change them: JSON with "version"
 *
 * and family_case_section, the form and the earlier details on the case
 * page (case_sections.h).  The form carries the family's version (a second
 * editor gets 409 and nothing is overwritten; their values are shown again
 * beside the ones recorded now) and a one-time key, so a form sent twice
 * changes once.  Row scope is case.c's case_visible: the case's worker, a
 * worker covering them, the coordinator; anyone else, and an unknown ref,
 * gets 404, audited "denied".  The school role has no CAP_CASES and is
 * refused by the route table (404: a record route). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "core/case.h"
#include "core/family.h"
#include "core/scope.h"
#include "store/db.h"
#include "web/case_sections.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define HISTORY_SHOWN 50

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *idtext(struct req *r, int64_t id)
{
	return arena_printf(&r->arena, "%" PRId64, id);
}

/* The family of a case, as recorded now. */
struct fview {
	int64_t family_id, version;
	const char *ref, *name, *address, *postcode, *language;
	bool anonymised;
};

/* One row of family_details_history: the values a change replaced. */
struct fhist {
	int64_t version;
	const char *address, *postcode, *language, *changed_at, *changed_by;
};

static const char *col(struct req *r, struct db_stmt *st, int i)
{
	return db_is_null(st, i) ? NULL : arena_strdup(&r->arena, db_text(st, i));
}

/* The case named by path parameter 0 (case_from_path), if the caller may
 * see it (else 404, audited). */
static int visible_case_from_path(struct req *r, int64_t *id)
{
	bool yes = false;
	int rc = case_from_path(r, id);
	if (!rc)
		rc = case_visible(r->db, req_scope(r), *id, &yes);
	if (rc || yes)
		return rc;
	rc = req_audit(r, "denied", "cases", idtext(r, *id),
		       "family details: case outside the caller's scope");
	return rc ? rc : req_fail(r, HE_NOT_FOUND, "", "No such case");
}

/* Unaudited: the caller audits the read (or the change did). */
static int fview_load(struct req *r, int64_t case_id, struct fview *v)
{
	memset(v, 0, sizeof *v);
	struct db_stmt *st = db_prepare(r->db, "SELECT f.id, f.ref, f.name, f.address, f.postcode,"
		" f.home_language, f.version, f.anonymised_at FROM cases c JOIN families f"
		" ON f.id = c.family_id WHERE c.id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st)) {
		v->family_id = db_int(st, 0);
		v->ref = col(r, st, 1);
		v->name = col(r, st, 2);
		v->address = col(r, st, 3);
		v->postcode = col(r, st, 4);
		v->language = col(r, st, 5);
		v->version = db_int(st, 6);
		v->anonymised = !db_is_null(st, 7);
	}
	int rc = db_finalize(st);
	return rc ? rc : v->family_id ? HE_OK : HE_NOT_FOUND;
}

/* The values earlier changes replaced, newest first. */
static int history_load(struct req *r, int64_t family_id, struct fhist **out, size_t *n)
{
	struct fhist *h = arena_alloc(&r->arena, HISTORY_SHOWN * sizeof *h);
	*n = 0;
	struct db_stmt *st = db_prepare(r->db, "SELECT h.version, h.address, h.postcode,"
		" h.home_language, h.changed_at, u.name FROM family_details_history h LEFT JOIN users u"
		" ON u.id = h.changed_by WHERE h.family_id = :f ORDER BY h.version DESC LIMIT :max");
	db_bind_int(st, ":f", family_id);
	db_bind_int(st, ":max", HISTORY_SHOWN);
	while (db_next(st) && *n < HISTORY_SHOWN) {
		struct fhist *x = &h[(*n)++];
		x->version = db_int(st, 0);
		x->address = col(r, st, 1);
		x->postcode = col(r, st, 2);
		x->language = col(r, st, 3);
		x->changed_at = col(r, st, 4);
		x->changed_by = col(r, st, 5);
	}
	*out = h;
	return db_finalize(st);
}

/* ---- the form ------------------------------------------------------------------ */

/* The id of the input a core error names; the form itself otherwise. */
static const char *field_id(const char *field)
{
	if (strcmp(field, "address") == 0)
		return "family-address";
	if (strcmp(field, "postcode") == 0)
		return "family-postcode";
	if (strcmp(field, "home_language") == 0)
		return "family-home-language";
	return "family-form";
}

static void details_form(struct req *r, const char *case_ref, int64_t version, const char *idem,
			 const struct errinfo *e, const char *address, const char *postcode,
			 const char *language)
{
	fmt_printf(&r->out, "<form method=\"post\" action=\"/cases/%u/family\" novalidate"
		" id=\"family-form\">", case_ref);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\">"
		"<input type=\"hidden\" name=\"idem\" value=\"%h\">", (long long)version, idem);
	page_text_area(r, e, "family-address", "address", "Address",
		       "House number and street, area and town", 3, or_empty(address));
	page_text_input(r, e, "family-postcode", "postcode", "Postcode", NULL, "text",
			"govuk-input--width-10", or_empty(postcode));
	page_text_input(r, e, "family-home-language", "home_language", "Home language",
			"The language the family speaks at home, like Polish or Gujarati", "text",
			"govuk-input--width-20", or_empty(language));
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\""
		" data-prevent-double-click=\"true\">Save address and language</button></form>");
}

static void history_table(struct req *r, const struct fhist *h, size_t n)
{
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"family-history\"><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">Earlier"
		" addresses and languages (%zu)</span></summary><div class=\"govuk-details__text\">"
		"<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-visually-hidden\">"
		"What the family's details were before each change</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n);
	page_th(r, "Until");
	page_th(r, "Address");
	page_th(r, "Postcode");
	page_th(r, "Home language");
	page_th(r, "Changed by");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, page_when(r, arena_printf(&r->arena, "%.16s", or_empty(h[i].changed_at))));
		page_td(r, h[i].address);
		page_td(r, h[i].postcode);
		page_td(r, h[i].language);
		page_td(r, h[i].changed_by ? h[i].changed_by : "Hearth (a referral or the system)");
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table></div></details>");
}

static void done_banner(struct req *r)
{
	const char *q = req_query(r, "family");
	const char *msg = !q ? NULL : strcmp(q, "changed") == 0 ? "The family's details were changed"
		: strcmp(q, "same") == 0 ? "Nothing to change: the details are those already recorded"
		: NULL;
	if (msg)
		fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
			" role=\"alert\" aria-labelledby=\"family-done-title\" data-module=\"govuk-notification-banner\">"
			"<div class=\"govuk-notification-banner__header\"><h3 class=\"govuk-notification-banner__title\""
			" id=\"family-done-title\">Success</h3></div><div class=\"govuk-notification-banner__content\">"
			"<p class=\"govuk-notification-banner__heading\">%h</p></div></div>", msg);
}

void family_case_section(struct req *r, const struct case_record *c)
{
	struct fview v;
	struct fhist *h = NULL;
	size_t n = 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"family\">Address and home language</h2>");
	if (fview_load(r, c->id, &v) || history_load(r, v.family_id, &h, &n)) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">The family's details could not be read.</p>");
		return;
	}
	done_banner(r);
	fmt_printf(&r->out, "<p class=\"govuk-body\">The home language helps the coordinator match a"
		" worker who speaks it. A change keeps what it replaced.</p>");
	if (n)
		history_table(r, h, n);
	if (v.anonymised)
		return;
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"family-change\"><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">Change the"
		" address or home language</span></summary><div class=\"govuk-details__text\">");
	details_form(r, c->ref, v.version, page_idem_new(r), NULL, v.address, v.postcode, v.language);
	fmt_printf(&r->out, "</div></details>");
}

/* ---- POST /cases/{ref}/family ------------------------------------------------------ */

/* The form again, on a page of its own, with the error, the values as
 * typed and, after a conflict, the values recorded now (and their
 * version, so that saving again is a decision). */
static int form_again(struct req *r, int64_t case_id, const char *cref, const struct errinfo *e,
		      const char *idem, const struct family_details_in *in, int64_t version)
{
	struct fview v;
	int rc = fview_load(r, case_id, &v);
	if (!rc)
		rc = req_audit(r, "view", "families", idtext(r, v.family_id), arena_printf(&r->arena,
			       "family %s details form shown again (%s)", v.ref, *e->field ? e->field : "error"));
	if (rc)
		return rc;
	struct errinfo shown = *e;
	snprintf(shown.field, sizeof shown.field, "%s", field_id(e->field));
	bool conflict = e->code == HE_CONFLICT && strcmp(e->field, "version") == 0;
	page_begin(r, err_http_status(e->code), "Error: Change the family's address or home language");
	page_error_summary(r, &shown);
	fmt_printf(&r->out, "<a href=\"/cases/%u#family\" class=\"govuk-back-link\">Back to the case</a>"
		"<span class=\"govuk-caption-l\">Case %h</span><h1 class=\"govuk-heading-l\">Change the"
		" address or home language of the %h</h1>", cref, cref, v.name);
	if (conflict) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Recorded now</h2><dl class=\"govuk-summary-list\""
			" id=\"family-now\">");
		const char *keys[] = {"Address", "Postcode", "Home language"};
		const char *vals[] = {v.address, v.postcode, v.language};
		for (int i = 0; i < 3; i++)
			fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
				"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", keys[i],
				page_or_dash(vals[i]));
		fmt_printf(&r->out, "</dl><h2 class=\"govuk-heading-m\">Your changes</h2><p class=\"govuk-body\">"
			"Check them against what is recorded now, then save again.</p>");
	}
	if (!v.anonymised)
		details_form(r, cref, conflict ? v.version : version, idem ? idem : page_idem_new(r),
			     &shown, in->address, in->postcode, in->home_language);
	page_end(r);
	return HE_OK;
}

int family_details_page(struct req *r)
{
	int64_t id;
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	struct family_details_in in = {req_form(r, "address"), req_form(r, "postcode"),
				       req_form(r, "home_language")};
	int64_t version = page_to_int(req_form(r, "version"));
	const char *idem = page_nonempty(req_form(r, "idem"));
	struct errinfo e = {0};
	int changed = 0;
	char ref[16];
	case_ref(id, ref);
	rc = family_details_change(r->db, req_scope(r), id, version, idem, &in, &changed, &e);
	if (rc == HE_OK) {
		/* nothing written: the form's read of the family is audited instead */
		if (changed <= 0 && (rc = req_audit(r, "view", "cases", idtext(r, id), changed < 0
			? "family details form sent again: changed once already"
			: "family details form: the values were those recorded, nothing changed")))
			return rc;
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s?family=%s#family", ref,
						    changed ? "changed" : "same"));
	}
	if (rc == HE_NOT_FOUND || rc == HE_INTERNAL || rc >= HE_DB) {
		r->err = e;
		return rc;
	}
	return form_again(r, id, ref, &e, idem, &in, version);
}

/* ---- the API ----------------------------------------------------------------------- */

static void family_json(struct req *r, const struct fview *v, const struct fhist *h, size_t n,
			int changed)
{
	fmt_printf(&r->out, "{\"family\":{\"ref\":%j,\"name\":%j,\"address\":%j,\"postcode\":%j,"
		"\"home_language\":%j,\"version\":%lld,\"history\":[", v->ref, v->name, v->address,
		v->postcode, v->language, (long long)v->version);
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"version\":%lld,\"address\":%j,\"postcode\":%j,"
			"\"home_language\":%j,\"replaced_at\":%j,\"replaced_by\":%j}", i ? "," : "",
			(long long)h[i].version, h[i].address, h[i].postcode, h[i].language,
			h[i].changed_at, h[i].changed_by);
	fmt_printf(&r->out, "]}");
	if (changed >= 0)
		fmt_printf(&r->out, ",\"changed\":%d", changed);
	fmt_printf(&r->out, "}\n");
}

int family_details_api(struct req *r)
{
	int64_t id;
	struct fview v;
	struct fhist *h;
	size_t n;
	int rc = visible_case_from_path(r, &id);
	if (!rc)
		rc = fview_load(r, id, &v);
	if (!rc)
		rc = history_load(r, v.family_id, &h, &n);
	if (!rc)
		rc = req_audit(r, "view", "families", idtext(r, v.family_id), arena_printf(&r->arena,
			       "family %s details and their history, API", v.ref));
	if (rc)
		return rc;
	req_json(r, 200);
	family_json(r, &v, h, n, -1);
	return HE_OK;
}

/* A string member, or NULL when absent or null; HE_INVALID naming it when
 * it is something else. */
static int json_text(struct req *r, json_t *j, const char *key, const char **out)
{
	json_t *v = json_object_get(j, key);
	*out = json_is_string(v) ? json_string_value(v) : NULL;
	if (v && !json_is_string(v) && !json_is_null(v))
		return req_fail(r, HE_INVALID, key, arena_printf(&r->arena, "%s must be a string", key));
	return HE_OK;
}

int family_details_put_api(struct req *r)
{
	int64_t id;
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	struct family_details_in in = {0};
	json_t *ver = json_object_get(j, "version");
	int64_t version = json_is_integer(ver) ? (int64_t)json_integer_value(ver) : 0;
	int changed = 0;
	if (!(rc = json_text(r, j, "address", &in.address)) &&
	    !(rc = json_text(r, j, "postcode", &in.postcode)) &&
	    !(rc = json_text(r, j, "home_language", &in.home_language)))
		rc = family_details_change(r->db, req_scope(r), id, version,
					   page_nonempty(req_header(r, "Idempotency-Key")), &in, &changed,
					   &r->err);
	if (!rc && changed <= 0)
		rc = req_audit(r, "view", "cases", idtext(r, id), changed < 0
			       ? "family details sent again with the same Idempotency-Key: changed once already"
			       : "family details: the values were those recorded, nothing changed");
	struct fview v;
	struct fhist *h;
	size_t n;
	if (!rc)
		rc = fview_load(r, id, &v);
	if (!rc)
		rc = history_load(r, v.family_id, &h, &n);
	if (!rc) {
		req_json(r, 200);
		family_json(r, &v, h, n, changed < 0 ? 0 : changed);
	}
	json_decref(j);
	return rc;
}
