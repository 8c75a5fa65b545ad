/* dataprot_web.c — the data protection duties in the browser and the API
 * (core/dataprot.h): subject access, retention and safeguarding holds,
 * and the export register.
 *
 *   GET  /subject-access[?q=&dob=]          find the person (search audited)
 *   GET  /subject-access/pupils/{upn}       everything held, printable; ?format=json
 *   GET  /subject-access/members/{id}       the same for a family member
 *   GET  /api/v1/subject-access[?q=&dob=]   the search, as JSON
 *   GET  /api/v1/subject-access/pupils/{upn}, …/members/{id}   the document as JSON
 *   GET  /retention                         settings, families due, holds
 *   POST /retention/settings                years, until_age
 *   POST /retention/run                     anonymise the families due (confirm=yes)
 *   POST /retention/holds                   ref (F-…, C-…, or an old case/family ref), reason
 *   POST /retention/holds/{id}/release      reason
 *   GET  /api/v1/retention; POST /api/v1/retention/run; POST /api/v1/holds;
 *   POST /api/v1/holds/{id}/release
 *   GET  /exports[?what=&user=&before=ID]   the export register, 100 a page
 *   GET  /api/v1/exports[?…]
 *
 * Capabilities (route table): CAP_SUBJECT_ACCESS (information governance),
 * CAP_RETENTION (the admin), CAP_HOLDS (admin and coordinator),
 * CAP_EXPORT_REGISTER (admin and auditor).  A subject access document is
 * an export: one audit row ("export", entity pupils or family_members, the
 * id; no names) and one export register row naming the person by id. */
#include "web/dataprot_web.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/fmt.h"
#include "core/dataprot.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/report_out.h"
#include "web/route.h"

#define REGISTER_PAGE 100

int dataprot_export(struct req *r, const char *what, const char *format, const char *filters,
		    int64_t rows)
{
	struct export_rec x = {what, format, filters, rows, NULL, 0};
	int rc = export_register_add(r->db, &r->who, &x, NULL);
	return rc ? req_fail(r, rc, "", "The export could not be recorded in the export register")
		  : HE_OK;
}

int64_t dataprot_rows(struct rtable *const *t, size_t n)
{
	int64_t rows = 0;
	if (!t)
		return -1;
	for (size_t i = 0; i < n; i++)
		rows += t[i] ? (int64_t)t[i]->nrows : 0;
	return rows;
}

int dataprot_export_report(struct req *r, const char *id, const char *filters,
			   struct rtable *const *t, size_t n)
{
	static const char *const names[] = {
		[REPORT_HTML] = NULL, [REPORT_JSON] = "json", [REPORT_CSV] = "csv", [REPORT_XLSX] = "xlsx",
	};
	const char *format = names[report_format(r)];
	if (!format)
		return HE_OK;
	return dataprot_export(r, arena_printf(&r->arena, "reports/%s", id), format, filters,
			       dataprot_rows(t, n));
}

/* ---- small pieces ------------------------------------------------------------------ */

/* "date_of_birth" → "Date of birth". */
static const char *key_label(struct req *r, const char *key)
{
	char *s = arena_strdup(&r->arena, key ? key : "");
	for (char *p = s; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (*s)
		*s = (char)toupper((unsigned char)*s);
	return s;
}

static void table_open(struct req *r, const char *id, const char *caption,
		       const char *const *heads, size_t n)
{
	fmt_printf(&r->out, "<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"%h\""
		" tabindex=\"0\"><table class=\"govuk-table hearth-table--small\" id=\"%h\"><caption"
		" class=\"govuk-table__caption govuk-table__caption--s\">%h</caption><thead"
		" class=\"govuk-table__head\"><tr class=\"govuk-table__row\">", caption, id, caption);
	for (size_t i = 0; i < n; i++)
		page_th(r, heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
}

static void table_close(struct req *r)
{
	fmt_printf(&r->out, "</tbody></table></div>");
}

/* ---- subject access: the search ------------------------------------------------------ */

static void search_form(struct req *r, const char *q, const char *dob, const struct errinfo *e)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/subject-access\" novalidate>");
	page_text_input(r, e, "q", "q", "Name or UPN", "Part of the name is enough, e.g. \"Khan\"",
			"text", "govuk-input--width-20", q ? q : "");
	page_text_input(r, e, "dob", "dob", "Date of birth (optional)", "For example, 2011-04-23",
			"text", "govuk-input--width-10", dob ? dob : "");
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Search</button></form>");
}

static const char *hit_href(struct req *r, const struct sar_hit *h)
{
	return arena_printf(&r->arena, "/subject-access/%s/%s",
			    strcmp(h->kind, "pupil") ? "members" : "pupils", h->key);
}

static void hits_table(struct req *r, const struct sar_hit *h, size_t n)
{
	static const char *const heads[] = {"Name", "Date of birth", "Who", "Record"};
	if (!n) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"no-hits\">No one matches.</p>");
		return;
	}
	table_open(r, "hits", "People found", heads, 4);
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"%h\">%h</a></td>", hit_href(r, &h[i]), h[i].name);
		page_td(r, page_day(r, h[i].dob));
		page_td(r, strcmp(h[i].kind, "pupil") ? "Family member" : "Pupil");
		page_td(r, strcmp(h[i].kind, "pupil") ? h[i].detail
			: arena_printf(&r->arena, "%s, %s", h[i].key, h[i].detail));
		fmt_printf(&r->out, "</tr>");
	}
	table_close(r);
}

/* Run the search if asked; *ran false when there was nothing to search. */
static int search_run(struct req *r, const char *q, const char *dob, struct sar_hit **h,
		      size_t *n, bool *ran)
{
	*ran = (q && *q) || (dob && *dob);
	*n = 0;
	if (!*ran)
		return HE_OK;
	int rc = sar_search(r->db, &r->arena, q, dob, h, n, &r->err);
	if (rc)
		return rc;
	/* the words searched for may be a name: not in the audit log */
	return req_audit(r, "search", "pupils", NULL, arena_printf(&r->arena,
			 "Subject access search: %zu found", *n));
}

int sar_search_page(struct req *r)
{
	const char *q = page_nonempty(req_query(r, "q")), *dob = page_nonempty(req_query(r, "dob"));
	struct sar_hit *h = NULL;
	size_t n;
	bool ran;
	int rc = search_run(r, q, dob, &h, &n, &ran);
	if (rc && rc != HE_INVALID && rc != HE_MISSING)
		return rc;
	page_begin(r, rc ? err_http_status(rc) : 200, rc ? "Error: Subject access" : "Subject access");
	if (rc)
		page_error_summary(r, &r->err);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Subject access</h1><p class=\"govuk-body\">"
		"Find the person who asked for their information, then open everything Hearth holds"
		" about them as a document to print or save, or as JSON. Opening it is recorded in the"
		" audit log and the export register.</p>");
	search_form(r, q, dob, rc ? &r->err : NULL);
	if (ran && !rc)
		hits_table(r, h, n);
	page_end(r);
	return HE_OK;
}

int sar_search_api(struct req *r)
{
	struct sar_hit *h = NULL;
	size_t n;
	bool ran;
	const char *q = page_nonempty(req_query(r, "q")), *dob = page_nonempty(req_query(r, "dob"));
	int rc = search_run(r, q, dob, &h, &n, &ran);
	if (!rc && !ran)
		rc = req_fail(r, HE_MISSING, "q", "Enter a name or UPN, or a date of birth");
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"people\":[");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"kind\":%j,\"key\":%j,\"name\":%j,\"dob\":%j,\"detail\":%j,"
			"\"url\":%j}", i ? "," : "", h[i].kind, h[i].key, h[i].name, h[i].dob,
			h[i].detail, arena_printf(&r->arena, "/api/v1%s", hit_href(r, &h[i])));
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* ---- subject access: the document ------------------------------------------------------ */

/* Gather, audit and register the export of kind/key in format; HE_OK with
 * *d filled and *reg the register row. */
static int sar_load(struct req *r, const char *kind, const char *format, struct sar_doc *d,
		    int64_t *reg)
{
	int rc = sar_gather(r->db, &r->arena, kind, req_param(r, 0), d);
	if (rc == HE_NOT_FOUND)
		return req_fail(r, rc, "", "There is no such person");
	if (rc)
		return req_fail(r, rc, "", "The records could not be read");
	size_t total = 0;
	for (size_t i = 0; i < d->nsections; i++)
		total += d->sections[i].nrecords;
	struct export_rec x = {"subject_access", format, NULL, (int64_t)total, d->kind, d->id};
	char id[24];
	snprintf(id, sizeof id, "%" PRId64, d->id);
	if ((rc = db_begin(r->db)))
		return rc;
	rc = audit(r->db, &r->who, "export", strcmp(d->kind, "pupil") ? "family_members" : "pupils", id,
		   arena_printf(&r->arena, "Subject access export (%s): %zu records", format, total));
	if (!rc)
		rc = export_register_add(r->db, &r->who, &x, reg);
	if (!rc)
		rc = db_commit(r->db);
	if (rc)
		db_rollback(r->db);
	return rc;
}

static void doc_json(struct req *r, const struct sar_doc *d, int64_t reg)
{
	char now[21];
	timestamp_format(time(NULL), now);
	fmt_printf(&r->out, "{\"subject_access\":{\"reference\":%j,\"produced_at\":%j,\"produced_by\":%j,"
		"\"subject\":{\"kind\":%j,\"id\":%lld,\"name\":%j,\"upn\":%j,\"anonymised\":%s},"
		"\"sections\":[", arena_printf(&r->arena, "SAR-%06" PRId64, reg), now, r->sess.user.name,
		d->kind, (long long)d->id, d->name, d->upn, d->anonymised ? "true" : "false");
	for (size_t i = 0; i < d->nsections; i++) {
		const struct sar_section *s = &d->sections[i];
		fmt_printf(&r->out, "%s{\"id\":%j,\"title\":%j,\"about\":%j,\"records\":[", i ? "," : "",
			   s->id, s->title, s->about);
		for (size_t k = 0; k < s->nrecords; k++) {
			buf_puts(&r->out, k ? ",{" : "{");
			for (size_t f = 0; f < s->records[k].nfields; f++)
				fmt_printf(&r->out, "%s%j:%j", f ? "," : "", s->records[k].fields[f].key,
					   s->records[k].fields[f].value);
			buf_putc(&r->out, '}');
		}
		buf_puts(&r->out, "]}");
	}
	buf_puts(&r->out, "]}}\n");
}

/* A section of few columns as a table, of many as one summary list per record. */
static void section_html(struct req *r, const struct sar_section *s)
{
	fmt_printf(&r->out, "<section class=\"hearth-sar-section\" id=\"section-%h\"><h2"
		" class=\"govuk-heading-m\">%h <span class=\"govuk-caption-m\">%zu %s</span></h2>"
		"<p class=\"govuk-body-s\">%h</p>", s->id, s->title, s->nrecords,
		s->nrecords == 1 ? "record" : "records", s->about);
	if (!s->nrecords) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">None held.</p></section>");
		return;
	}
	size_t nf = s->records[0].nfields;
	if (nf <= 6) {
		const char **heads = arena_alloc(&r->arena, nf * sizeof *heads);
		for (size_t f = 0; f < nf; f++)
			heads[f] = key_label(r, s->records[0].fields[f].key);
		table_open(r, arena_printf(&r->arena, "table-%s", s->id), s->title, heads, nf);
		for (size_t k = 0; k < s->nrecords; k++) {
			fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
			for (size_t f = 0; f < nf; f++)
				page_td(r, s->records[k].fields[f].value);
			fmt_printf(&r->out, "</tr>");
		}
		table_close(r);
	} else {
		for (size_t k = 0; k < s->nrecords; k++) {
			fmt_printf(&r->out, "<h3 class=\"govuk-heading-s\">%h %zu of %zu</h3><dl"
				" class=\"govuk-summary-list govuk-summary-list--no-border\">", s->title, k + 1,
				s->nrecords);
			for (size_t f = 0; f < s->records[k].nfields; f++)
				fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt"
					" class=\"govuk-summary-list__key\">%h</dt><dd class=\"govuk-summary-list__value\""
					" style=\"white-space: pre-wrap\">%h</dd></div>",
					key_label(r, s->records[k].fields[f].key),
					page_or_dash(s->records[k].fields[f].value));
			fmt_printf(&r->out, "</dl>");
		}
	}
	fmt_printf(&r->out, "</section>");
}

static void doc_html(struct req *r, const struct sar_doc *d, int64_t reg)
{
	char now[21];
	timestamp_format(time(NULL), now);
	const char *title = arena_printf(&r->arena, "Information held about %s", d->name);
	page_begin_bare(r, 200, title);
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\"><a class=\"govuk-back-link\""
		" href=\"/subject-access\">Subject access</a></p><span class=\"govuk-caption-l\">Subject"
		" access request</span><h1 class=\"govuk-heading-l\">%h</h1><dl class=\"govuk-summary-list\">",
		title);
	const char *rows[][2] = {
		{"Reference", arena_printf(&r->arena, "SAR-%06" PRId64, reg)},
		{"Person", strcmp(d->kind, "pupil") ? "Family member" : arena_printf(&r->arena,
			"Pupil, UPN %s", d->upn)},
		{"Produced", page_when(r, now)},
		{"Produced by", r->sess.user.name},
		{"Status", d->anonymised ? "Anonymised under the retention policy" : "Held"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\" id=\"doc-%zu\">%h</dd></div>",
			rows[i][0], i, rows[i][1]);
	fmt_printf(&r->out, "</dl><div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\""
		" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span"
		" class=\"govuk-visually-hidden\">Warning</span>Before you disclose this document, review"
		" it for information about other people (listed at the end) and for anything an exemption"
		" covers, such as information that would be likely to cause serious harm.</strong></div>"
		"<h2 class=\"govuk-heading-m hearth-no-print\">Contents</h2><ul class=\"govuk-list"
		" hearth-no-print\">");
	for (size_t i = 0; i < d->nsections; i++)
		fmt_printf(&r->out, "<li><a class=\"govuk-link\" href=\"#section-%h\">%h</a> (%zu)</li>",
			   d->sections[i].id, d->sections[i].title, d->sections[i].nrecords);
	fmt_printf(&r->out, "</ul>");
	for (size_t i = 0; i < d->nsections; i++)
		section_html(r, &d->sections[i]);
	page_end_bare(r);
}

static bool want_json(struct req *r)
{
	const char *f = req_query(r, "format");
	return f && !strcmp(f, "json");
}

static int sar_doc(struct req *r, const char *kind, bool json)
{
	struct sar_doc d;
	int64_t reg = 0;
	int rc = sar_load(r, kind, json ? "json" : "html", &d, &reg);
	if (rc)
		return rc;
	if (!json) {
		doc_html(r, &d, reg);
		return HE_OK;
	}
	req_json(r, 200);
	if (r->route->kind == ROUTE_PAGE)
		req_set_header(r, "Content-Disposition", arena_printf(&r->arena,
			       "attachment; filename=\"subject-access-SAR-%06" PRId64 ".json\"", reg));
	req_set_header(r, "Cache-Control", "no-store");
	doc_json(r, &d, reg);
	return HE_OK;
}

int sar_pupil_page(struct req *r)
{
	return sar_doc(r, "pupil", want_json(r));
}

int sar_member_page(struct req *r)
{
	return sar_doc(r, "member", want_json(r));
}

int sar_pupil_api(struct req *r)
{
	return sar_doc(r, "pupil", true);
}

int sar_member_api(struct req *r)
{
	return sar_doc(r, "member", true);
}

/* ---- retention: the page ----------------------------------------------------------------- */

static void settings_form(struct req *r, const struct retention_settings *rs,
			  const struct errinfo *e)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"settings\">Retention period</h2>"
		"<p class=\"govuk-body\" id=\"rule\">A family's records are anonymised once every case"
		" has been closed for <strong>%d years</strong>%s, unless a safeguarding hold"
		" applies.</p>", rs->years, rs->until_age ? arena_printf(&r->arena, " and the youngest"
		" child has turned <strong>%d</strong>", rs->until_age) : "");
	if (!caps_has(r->caps, CAP_RETENTION))
		return;
	fmt_printf(&r->out, "<form method=\"post\" action=\"/retention/settings\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	page_text_input(r, e, "years", "years", "Years after the last case closed", NULL, "text",
			"govuk-input--width-3", arena_printf(&r->arena, "%d", rs->years));
	page_text_input(r, e, "until_age", "until_age", "Until the youngest child is at least",
			"An age from 18 to 100; 0 for no age rule", "text", "govuk-input--width-3",
			arena_printf(&r->arena, "%d", rs->until_age));
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" data-module=\"govuk-button\">Save the retention period</button></form>");
}

static void due_table(struct req *r, const struct retention_family *v, size_t n, size_t held)
{
	static const char *const heads[] = {"Family", "Name", "Cases", "Last closed",
					    "Youngest child born", "Due since", "Hold"};
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"due\">Families past the retention"
		" period</h2><p class=\"govuk-body\" id=\"due-count\">%zu %s past the retention period;"
		" %zu of them held.</p>", n, n == 1 ? "family is" : "families are", held);
	if (!n)
		return;
	table_open(r, "due-table", "Families past the retention period", heads, 7);
	for (size_t i = 0; i < n; i++) {
		/* a history family's old reference may hold anything: its id is its first case's */
		if (v[i].history)
			fmt_printf(&r->out, "<tr class=\"govuk-table__row\" id=\"due-history-%lld\">",
				   (long long)v[i].family_id);
		else
			fmt_printf(&r->out, "<tr class=\"govuk-table__row\" id=\"due-%h\">", v[i].ref);
		page_td(r, v[i].ref);
		page_td(r, v[i].name);
		page_td(r, v[i].cases);
		page_td(r, page_day(r, v[i].last_closed));
		page_td(r, page_day(r, v[i].youngest_dob));
		page_td(r, page_day(r, v[i].due_on));
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%s</td></tr>", v[i].hold_id
			? "<strong class=\"govuk-tag govuk-tag--red\">Held</strong>"
			: "<strong class=\"govuk-tag govuk-tag--grey\">Due</strong>");
	}
	table_close(r);
	if (caps_has(r->caps, CAP_RETENTION) && n > held) {
		fmt_printf(&r->out, "<form method=\"post\" action=\"/retention/run\" novalidate>");
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes\""
			" data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\"><input"
			" class=\"govuk-checkboxes__input\" id=\"confirm\" name=\"confirm\" type=\"checkbox\""
			" value=\"yes\"><label class=\"govuk-label govuk-checkboxes__label\" for=\"confirm\">"
			"I understand the %zu families not held will be anonymised and this cannot be"
			" undone</label></div></div></div><button type=\"submit\" class=\"govuk-button"
			" govuk-button--warning\" data-module=\"govuk-button\">Anonymise now</button></form>",
			n - held);
	}
}

static void hold_form(struct req *r, const struct errinfo *e)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"place-hold\">Place a safeguarding"
		" hold</h2><form method=\"post\" action=\"/retention/holds\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	page_text_input(r, e, "ref", "ref", "Family or case reference", "For example, F-000123 or"
			" C-000045, or the reference of a case or family from before Hearth (the hold goes"
			" on the family of its child, or else on the old family)", "text", "govuk-input--width-10", req_form(r, "ref"));
	page_text_area(r, e, "reason", "reason", "Why the records must be kept", "For example, a"
		       " child protection enquiry, a claim, or an inquiry's request to preserve records",
		       3, e && e->code ? req_form(r, "reason") : "");
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Place the hold</button></form>");
}

static void release_form(struct req *r, const struct hold *h)
{
	fmt_printf(&r->out, "<form method=\"post\" action=\"/retention/holds/%lld/release\" novalidate>",
		   (long long)h->id);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<label class=\"govuk-label\" for=\"release-%lld\">Why release it</label>"
		"<input class=\"govuk-input govuk-input--width-20\" id=\"release-%lld\" name=\"reason\""
		" type=\"text\"> <button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" data-module=\"govuk-button\">Release</button></form>", (long long)h->id, (long long)h->id);
}

static void holds_table(struct req *r, const struct hold *h, size_t n)
{
	static const char *const heads[] = {"Family", "Name", "Reason", "Placed", "By", "Release"};
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"holds\">Safeguarding holds in"
		" force</h2>");
	if (!n) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No holds.</p>");
		return;
	}
	table_open(r, "holds-table", "Safeguarding holds in force", heads, 6);
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\" id=\"hold-%lld\">", (long long)h[i].id);
		page_td(r, h[i].family_ref);
		page_td(r, h[i].family_name);
		page_td(r, h[i].reason);
		page_td(r, page_day(r, h[i].placed_at));
		page_td(r, h[i].placed_by);
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">");
		release_form(r, &h[i]);
		fmt_printf(&r->out, "</td></tr>");
	}
	table_close(r);
}

static int retention_show(struct req *r, int status, const struct errinfo *e)
{
	struct retention_settings rs;
	struct retention_family *v;
	struct hold *h;
	size_t n, nh, held = 0;
	int rc = retention_settings_get(r->db, &rs);
	if (!rc)
		rc = retention_due(r->db, &r->arena, date_today(), &v, &n);
	if (!rc)
		rc = hold_list(r->db, &r->arena, false, &h, &nh);
	if (rc)
		return req_fail(r, rc, "", "Retention could not be read");
	for (size_t i = 0; i < n; i++)
		held += v[i].hold_id != 0;
	if ((rc = req_audit(r, "view", "families", NULL, arena_printf(&r->arena,
			"Retention: %zu families due, %zu holds", n, nh))))
		return rc;
	page_begin(r, status, e && e->code ? "Error: Retention and holds" : "Retention and holds");
	page_error_summary(r, e);
	const char *done = req_query(r, "done");
	if (done && *done && (!e || !e->code))
		page_success_banner(r, done);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Retention and safeguarding holds</h1>");
	settings_form(r, &rs, e);
	due_table(r, v, n, held);
	holds_table(r, h, nh);
	hold_form(r, e);
	page_end(r);
	return HE_OK;
}

int retention_page(struct req *r)
{
	return retention_show(r, 200, NULL);
}

/* A form's error shown on the page, anything else returned. */
static int form_result(struct req *r, int rc, const struct errinfo *e, const char *done)
{
	if (!rc)
		return req_redirect(r, arena_printf(&r->arena, "/retention?done=%s", done));
	if (rc == HE_INVALID || rc == HE_MISSING || rc == HE_CONFLICT || rc == HE_NOT_FOUND)
		return retention_show(r, err_http_status(rc), e);
	r->err = *e;
	return rc;
}

static int read_int(const char *s, int *out)
{
	char *end;
	long v = s && *s ? strtol(s, &end, 10) : -1;
	if (!s || !*s || *end || v < 0 || v > 1000)
		return -1;
	*out = (int)v;
	return 0;
}

int retention_settings_page(struct req *r)
{
	struct errinfo e = {0};
	struct retention_settings rs;
	int rc = HE_OK;
	if (read_int(req_form(r, "years"), &rs.years))
		rc = errinfo_set(&e, HE_INVALID, "years", "Enter a number of years from 1 to 100");
	else if (read_int(req_form(r, "until_age"), &rs.until_age))
		rc = errinfo_set(&e, HE_INVALID, "until_age",
				 "Enter an age from 18 to 100, or 0 for no age rule");
	else
		rc = retention_settings_set(r->db, &r->who, &rs, &e);
	return form_result(r, rc, &e, "Retention period saved");
}

int retention_run_page(struct req *r)
{
	struct errinfo e = {0};
	const char *confirm = req_form(r, "confirm");
	if (!confirm || strcmp(confirm, "yes")) {
		errinfo_set(&e, HE_MISSING, "confirm", "Tick the box to confirm the anonymisation");
		return retention_show(r, 422, &e);
	}
	struct retention_result res;
	int rc = retention_apply(r->db, &r->who, date_today(), &res, NULL);
	if (rc && !res.anonymised)
		return req_fail(r, rc, "", "The anonymisation failed: nothing was changed");
	return req_redirect(r, arena_printf(&r->arena, "/retention?done=%lld families anonymised"
		"%s%s", (long long)res.anonymised, res.history ? arena_printf(&r->arena, " (%lld from"
		" before Hearth)", (long long)res.history) : "", res.failed ? arena_printf(&r->arena,
		", %lld failed and were left as they were", (long long)res.failed) : ""));
}

int hold_create_page(struct req *r)
{
	struct errinfo e = {0};
	int64_t id;
	const char *ref = req_form(r, "ref");
	int rc = hold_place(r->db, &r->who, ref, req_form(r, "reason"), &id, &e);
	return form_result(r, rc, &e, "Safeguarding hold placed");
}

int hold_release_page(struct req *r)
{
	struct errinfo e = {0};
	int64_t id = strtoll(req_param(r, 0), NULL, 10);
	int rc = hold_release(r->db, &r->who, id, req_form(r, "reason"), &e);
	return form_result(r, rc, &e, "Safeguarding hold released");
}

/* ---- retention: the API ------------------------------------------------------------------ */

static void due_json(struct req *r, const struct retention_family *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"family\":%j,\"name\":%j,\"cases\":%j,\"last_closed\":%j,"
			"\"youngest_dob\":%j,\"due_on\":%j,\"held\":%s,\"history\":%s}", i ? "," : "",
			v[i].ref, v[i].name, v[i].cases, v[i].last_closed, v[i].youngest_dob, v[i].due_on,
			v[i].hold_id ? "true" : "false", v[i].history ? "true" : "false");
}

static void holds_json(struct req *r, const struct hold *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"family\":%j,\"reason\":%j,\"placed_by\":%j,"
			"\"placed_at\":%j,\"released_at\":%j,\"release_reason\":%j,\"history\":%s}",
			i ? "," : "", (long long)h[i].id, h[i].family_ref, h[i].reason, h[i].placed_by, h[i].placed_at,
			h[i].released_at, h[i].release_reason, h[i].history ? "true" : "false");
}

int retention_api(struct req *r)
{
	struct retention_settings rs;
	struct retention_family *v;
	struct hold *h;
	size_t n, nh;
	int rc = retention_settings_get(r->db, &rs);
	if (!rc)
		rc = retention_due(r->db, &r->arena, date_today(), &v, &n);
	if (!rc)
		rc = hold_list(r->db, &r->arena, true, &h, &nh);
	if (!rc)
		rc = req_audit(r, "view", "families", NULL, arena_printf(&r->arena,
			       "Retention (API): %zu families due", n));
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"settings\":{\"years\":%d,\"until_age\":%d},\"due\":[", rs.years,
		   rs.until_age);
	due_json(r, v, n);
	buf_puts(&r->out, "],\"holds\":[");
	holds_json(r, h, nh);
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

int retention_run_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	json_t *confirm = json_object_get(j, "confirm");
	bool ok = json_is_true(confirm);
	json_decref(j);
	if (!ok)
		return req_fail(r, HE_MISSING, "confirm", "Send \"confirm\": true to anonymise");
	struct retention_result res;
	int rc = retention_apply(r->db, &r->who, date_today(), &res, NULL);
	if (rc && !res.anonymised)
		return req_fail(r, rc, "", "The anonymisation failed: nothing was changed");
	req_json(r, 200);
	fmt_printf(&r->out, "{\"due\":%lld,\"held\":%lld,\"anonymised\":%lld,\"history\":%lld,"
		"\"failed\":%lld,\"pupils\":%lld}\n", (long long)res.due, (long long)res.held,
		(long long)res.anonymised, (long long)res.history, (long long)res.failed,
		(long long)res.pupils);
	return HE_OK;
}

int hold_create_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	int64_t id = 0;
	int rc = hold_place(r->db, &r->who, json_str(j, "ref"), json_str(j, "reason"), &id, &r->err);
	json_decref(j);
	if (rc)
		return rc;
	struct hold *h;
	size_t n;
	if ((rc = hold_list(r->db, &r->arena, false, &h, &n)))
		return rc;
	req_json(r, 201);
	for (size_t i = 0; i < n; i++)
		if (h[i].id == id) {
			buf_puts(&r->out, "{\"hold\":");
			holds_json(r, &h[i], 1);
			buf_puts(&r->out, "}\n");
		}
	return HE_OK;
}

int hold_release_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	int64_t id = strtoll(req_param(r, 0), NULL, 10);
	int rc = hold_release(r->db, &r->who, id, json_str(j, "reason"), &r->err);
	json_decref(j);
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"hold\":{\"id\":%lld,\"released\":true}}\n", (long long)id);
	return HE_OK;
}

/* ---- the export register -------------------------------------------------------------------- */

#define REGISTER_SQL \
	"SELECT x.id, x.at, x.user_email, x.role, x.route, x.what, x.format, x.filters, x.row_count," \
	" x.subject_kind, x.subject_id, coalesce(p.upn, CAST(m.id AS TEXT)) FROM export_register x" \
	" LEFT JOIN pupils p ON x.subject_kind = 'pupil' AND p.id = x.subject_id" \
	" LEFT JOIN family_members m ON x.subject_kind = 'member' AND m.id = x.subject_id" \
	" WHERE (CAST(:what AS TEXT) IS NULL OR x.what = :what)" \
	" AND (CAST(:user AS TEXT) IS NULL OR x.user_email = :user)" \
	" AND (CAST(:before AS BIGINT) IS NULL OR x.id < :before) ORDER BY x.id DESC LIMIT 100"

struct reg_filter {
	const char *what, *user;
	int64_t before;
};

static struct db_stmt *register_query(struct req *r, struct reg_filter *f)
{
	f->what = page_nonempty(req_query(r, "what"));
	f->user = page_nonempty(req_query(r, "user"));
	const char *b = req_query(r, "before");
	f->before = b ? strtoll(b, NULL, 10) : 0;
	struct db_stmt *st = db_prepare(r->db, REGISTER_SQL);
	db_bind_text(st, ":what", f->what);
	db_bind_text(st, ":user", f->user);
	if (f->before > 0)
		db_bind_int(st, ":before", f->before);
	else
		db_bind_null(st, ":before");
	return st;
}

static const char *subject_text(struct req *r, struct db_stmt *st)
{
	const char *kind = db_text(st, 9);
	if (!kind)
		return "";
	return arena_printf(&r->arena, "%s %s", strcmp(kind, "pupil") ? "Family member" : "Pupil",
			    db_text(st, 11) ? db_text(st, 11) : "(removed)");
}

static void register_filters(struct req *r, const struct reg_filter *f)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/exports\" class=\"hearth-filters\"><div>");
	page_input(r, "what", "What (e.g. pupils, subject_access)", "text", f->what, "off", NULL);
	page_input(r, "user", "User email", "text", f->user, "off", NULL);
	fmt_printf(&r->out, "</div><button type=\"submit\" class=\"govuk-button govuk-button--secondary\">"
		"Filter</button></form>");
}

int exports_page(struct req *r)
{
	static const char *const heads[] = {"#", "When (UTC)", "Who", "Role", "What", "Format",
					    "Filter", "Rows", "Person"};
	struct reg_filter f;
	int rc = req_audit(r, "view", "export_register", NULL, "export register");
	if (rc)
		return rc;
	struct db_stmt *st = register_query(r, &f);
	page_begin(r, 200, "Export register");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Export register</h1><p class=\"govuk-body\">"
		"Every export from Hearth, newest first: spreadsheets and CSV files, JSON, the Schools"
		" Forum workbook, subject access documents and backups. The register cannot be changed.</p>");
	register_filters(r, &f);
	table_open(r, "register", "Exports", heads, 9);
	int64_t last = 0;
	int n = 0;
	while (db_next(st)) {
		last = db_int(st, 0);
		n++;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, db_text(st, 0));
		page_td(r, page_when(r, arena_printf(&r->arena, "%.16s", db_text(st, 1))));
		page_td(r, db_text(st, 2) ? db_text(st, 2) : "Command line");
		page_td(r, db_text(st, 3));
		page_td(r, db_text(st, 5));
		page_td(r, db_text(st, 6));
		page_td(r, db_text(st, 7));
		page_td_n(r, db_text(st, 8), true);
		page_td(r, subject_text(r, st));
		fmt_printf(&r->out, "</tr>");
	}
	if ((rc = db_finalize(st)))
		return rc;
	table_close(r);
	if (!n)
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing has been exported.</p>");
	if (n == REGISTER_PAGE)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" id=\"older\""
			" href=\"/exports?before=%lld&amp;what=%u&amp;user=%u\">Older exports</a></p>",
			(long long)last, f.what ? f.what : "", f.user ? f.user : "");
	page_end(r);
	return HE_OK;
}

int exports_api(struct req *r)
{
	struct reg_filter f;
	int rc = req_audit(r, "view", "export_register", NULL, "export register (API)");
	if (rc)
		return rc;
	struct db_stmt *st = register_query(r, &f);
	req_json(r, 200);
	buf_puts(&r->out, "{\"exports\":[");
	const char *sep = "";
	while (db_next(st)) {
		fmt_printf(&r->out, "%s{\"id\":%lld,\"at\":%j,\"user\":%j,\"role\":%j,\"route\":%j,"
			"\"what\":%j,\"format\":%j,\"filters\":%j,\"rows\":%s,\"subject\":", sep,
			(long long)db_int(st, 0), db_text(st, 1), db_text(st, 2), db_text(st, 3),
			db_text(st, 4), db_text(st, 5), db_text(st, 6), db_text(st, 7),
			db_is_null(st, 8) ? "null" : arena_printf(&r->arena, "%lld", (long long)db_int(st, 8)));
		if (db_text(st, 9))
			fmt_printf(&r->out, "{\"kind\":%j,\"id\":%lld}", db_text(st, 9),
				   (long long)db_int(st, 10));
		else
			buf_puts(&r->out, "null");
		buf_putc(&r->out, '}');
		sep = ",";
	}
	buf_puts(&r->out, "]}\n");
	return db_finalize(st);
}
