/* referral_web.c — referring a family, following the referral, and the
 * family's consent, as pages and JSON.
 *
 *   GET  /referrals                 the school's referrals with their status
 *                                   (and, once allocated, the case's status
 *                                   and next review — never notes), and
 *                                   notices from other schools; the
 *                                   coordinator: every referral
 *   GET  /referrals/new?upn=…       the form, opened from a pupil
 *   POST /referrals                 make it (one-time idem field)
 *   GET  /referrals/{ref}           one referral's status page
 *   POST /families/{ref}/consents   record a new consent or lawful basis
 *   POST /families/{ref}/consents/{id}/withdraw
 *   GET/POST /api/v1/referrals, GET /api/v1/referrals/{ref}
 *
 * Row scope comes from referral_visible: a referral outside the caller's
 * scope is 404, audited as "denied".  A school sees a sibling's other
 * school only as "another partnership school" (as on the pupil page), and
 * the case's status only while the family's consent covers the school.
 * Consent may be changed by the referring school, the case's worker and
 * the coordinator (the route is open to every signed-in user because no
 * one capability covers all three; the handler refuses the rest with 403
 * and checks the family as the row scope). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/date.h"
#include "base/fmt.h"
#include "base/valid.h"
#include "core/case.h"
#include "core/consent.h"
#include "core/family.h"
#include "core/referral.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define LIST_MAX 300        /* referrals on the list page */
#define ADULT_ROWS 3        /* adult rows on the form */
#define SIBLINGS_MAX 12
#define ERRS_MAX 16

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *idtext(struct req *r, int64_t id)
{
	return arena_printf(&r->arena, "%" PRId64, id);
}

/* Every value of a repeated form field (checkboxes), in order. */
static size_t form_all(struct req *r, const char *name, const char **out, size_t max)
{
	size_t n = 0;
	req_form(r, name);  /* parses the body */
	for (int i = 0; i < r->nform && n < max; i++)
		if (strcmp(r->form[i].key, name) == 0 && *r->form[i].value)
			out[n++] = r->form[i].value;
	return n;
}

static bool form_has(struct req *r, const char *name, const char *value)
{
	const char *v[32];
	size_t n = form_all(r, name, v, 32);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], value) == 0)
			return true;
	return false;
}

/* ---- several errors at once ------------------------------------------------- */

struct errs {
	struct errinfo e[ERRS_MAX];
	int n;
};

static void errs_add(struct errs *es, const struct errinfo *e)
{
	for (int i = 0; i < es->n; i++)
		if (strcmp(es->e[i].field, e->field) == 0)
			return;
	if (es->n < ERRS_MAX)
		es->e[es->n++] = *e;
}

static void errs_set(struct errs *es, int code, const char *field, const char *msg)
{
	struct errinfo e;
	errinfo_set(&e, code, field, "%s", msg);
	errs_add(es, &e);
}

static const struct errinfo *errs_for(const struct errs *es, const char *field)
{
	for (int i = 0; es && i < es->n; i++)
		if (strcmp(es->e[i].field, field) == 0)
			return &es->e[i];
	return NULL;
}

/* The GOV.UK error summary naming every field in es. */
static void errs_summary(struct req *r, const struct errs *es)
{
	if (!es || !es->n)
		return;
	fmt_printf(&r->out, "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\">"
		"<div role=\"alert\"><h2 class=\"govuk-error-summary__title\">There is a problem</h2>"
		"<div class=\"govuk-error-summary__body\"><ul class=\"govuk-list govuk-error-summary__list\">");
	for (int i = 0; i < es->n; i++)
		fmt_printf(&r->out, "<li><a href=\"#%h\">%h</a></li>",
			   *es->e[i].field ? es->e[i].field : "main-content", es->e[i].message);
	fmt_printf(&r->out, "</ul></div></div></div>");
}

static void ferr(struct req *r, const struct errs *es, const char *id)
{
	page_field_error(r, errs_for(es, id), id);
}

static const char *gclass(const struct errs *es, const char *id)
{
	return page_group_class(errs_for(es, id), id);
}

/* aria-describedby for an input with an optional hint and error. */
static const char *described(struct req *r, const struct errs *es, const char *id, bool hint)
{
	bool bad = errs_for(es, id) != NULL;
	if (!bad && !hint)
		return "";
	return arena_printf(&r->arena, " aria-describedby=\"%s%s%s%s\"", hint ? id : "",
			    hint ? "-hint" : "", hint && bad ? " " : "",
			    bad ? arena_printf(&r->arena, "%s-error", id) : "");
}

/* ---- the caller -------------------------------------------------------------- */

/* The caller's row scope; NULL only on a lookup failure (r->err set). */
static const struct scope *scope_of(struct req *r)
{
	return req_scope(r);
}

/* The same for a change: the rc to return when there is none. */
static int need_scope(struct req *r, const struct scope **s)
{
	*s = req_scope(r);
	return *s ? HE_OK : r->err.code ? r->err.code : HE_INTERNAL;
}

static bool is_school(struct req *r)
{
	return !caps_has(r->caps, CAP_REFERRALS_ALL);
}

/* A referral by ref, if the caller may see it: else 404, audited. */
static int referral_find(struct req *r, const char *ref, int64_t *id)
{
	const struct scope *s = scope_of(r);
	bool yes = false;
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = referral_id_by_ref(r->db, ref, id);
	if (rc == HE_OK)
		rc = referral_visible(r->db, s, *id, &yes);
	if (rc && rc != HE_NOT_FOUND)
		return rc;
	if (!yes) {
		req_audit(r, "denied", "referrals", *id ? idtext(r, *id) : NULL,
			  arena_printf(&r->arena, "referral %.20s: not found or not in scope", or_empty(ref)));
		return req_fail(r, HE_NOT_FOUND, "", "No such referral");
	}
	return HE_OK;
}

/* ---- one referral, loaded for its page and JSON ----------------------------- */

struct rpupil {
	const char *upn, *name, *school;
	bool ours;                 /* at the caller's school (or the caller sees all) */
};

/* Why a case's status is no longer shared with the referring school. */
enum share_ended { SHARE_NOT_ENDED, SHARE_CONSENT_WITHDRAWN, SHARE_BASIS_ENDED };

struct rview {
	int64_t id, family_id, school_id, user_id, version;
	const char *urn;
	const char *ref, *fref, *family, *status, *source, *received_at, *needs, *reason, *tried,
		*school, *decided_at, *decision_note, *signposted_to;
	int level;
	bool referring;            /* the caller made it (its school) or sees all */
	/* the case, once allocated */
	int64_t case_id;
	const char *case_ref, *case_status, *next_review, *closed_on, *worker;
	bool case_shared;          /* the caller may see the case's status */
	enum share_ended ended;    /* not shared because what covered the school ended */
	struct rpupil *pupils;
	size_t npupils;
};

#define RVIEW_SQL \
	"SELECT r.ref, r.family_id, f.ref, f.name, r.status, r.source, r.received_at, r.needs," \
	" r.reason, r.tried, r.school_id, s.name, r.decided_at, r.decision_note, r.signposted_to," \
	" r.level_of_need, coalesce(r.user_id, 0), r.version, s.urn FROM referrals r" \
	" JOIN families f ON f.id = r.family_id LEFT JOIN schools s ON s.id = r.school_id" \
	" WHERE r.id = :id"

static const char *col(struct req *r, struct db_stmt *st, int i)
{
	return db_is_null(st, i) ? NULL : arena_strdup(&r->arena, db_text(st, i));
}

static int rview_row(struct req *r, struct rview *v)
{
	struct db_stmt *st = db_prepare(r->db, RVIEW_SQL);
	db_bind_int(st, ":id", v->id);
	bool found = db_next(st);
	if (found) {
		v->ref = col(r, st, 0);
		v->family_id = db_int(st, 1);
		v->fref = col(r, st, 2);
		v->family = col(r, st, 3);
		v->status = col(r, st, 4);
		v->source = col(r, st, 5);
		v->received_at = col(r, st, 6);
		v->needs = col(r, st, 7);
		v->reason = col(r, st, 8);
		v->tried = col(r, st, 9);
		v->school_id = db_is_null(st, 10) ? 0 : db_int(st, 10);
		v->school = col(r, st, 11);
		v->decided_at = col(r, st, 12);
		v->decision_note = col(r, st, 13);
		v->signposted_to = col(r, st, 14);
		v->level = (int)db_int(st, 15);
		v->user_id = db_int(st, 16);
		v->version = db_int(st, 17);
		v->urn = col(r, st, 18);
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

static int rview_pupils(struct req *r, struct rview *v)
{
	size_t cap = 16;
	v->pupils = arena_alloc(&r->arena, cap * sizeof *v->pupils);
	struct db_stmt *st = db_prepare(r->db, "SELECT p.upn, p.forename || ' ' || p.surname,"
		" s.name, rp.school_id FROM referral_pupils rp JOIN pupils p ON p.id = rp.pupil_id"
		" JOIN schools s ON s.id = rp.school_id WHERE rp.referral_id = :id ORDER BY p.dob, p.id");
	db_bind_int(st, ":id", v->id);
	while (db_next(st) && v->npupils < cap) {
		struct rpupil *p = &v->pupils[v->npupils++];
		p->upn = col(r, st, 0);
		p->name = col(r, st, 1);
		p->school = col(r, st, 2);
		p->ours = !is_school(r) || db_int(st, 3) == r->sess.user.school_id;
	}
	return db_finalize(st);
}

/* Why the school no longer sees the case, when a consent or lawful basis
 * that covered it has been withdrawn or ended: a withdrawn consent wins
 * (the family's own decision); else an ended lawful basis.  Rows that never
 * covered the school (a basis recorded for social care only, at a step up)
 * do not count: the school was never told through them. */
static int school_share_ended(struct req *r, int64_t family_id, enum share_ended *why)
{
	struct db_stmt *st = db_prepare(r->db, "SELECT CASE WHEN basis = 'consent' THEN 1 ELSE 0 END FROM consents"
		" WHERE family_id = :f AND withdrawn_on IS NOT NULL"
		" AND ((basis <> 'consent' AND scope = '') OR ',' || scope || ',' LIKE '%,school,%')"
		" ORDER BY 1 DESC LIMIT 1");
	db_bind_int(st, ":f", family_id);
	*why = SHARE_NOT_ENDED;
	if (db_next(st))
		*why = db_int(st, 0) ? SHARE_CONSENT_WITHDRAWN : SHARE_BASIS_ENDED;
	return db_finalize(st);
}

static int rview_case(struct req *r, struct rview *v)
{
	struct db_stmt *st = db_prepare(r->db, "SELECT c.id, c.ref, c.status, c.next_review_on,"
		" c.closed_on, w.name FROM cases c JOIN workers w ON w.id = c.worker_id"
		" WHERE c.referral_id = :id");
	db_bind_int(st, ":id", v->id);
	if (db_next(st)) {
		v->case_id = db_int(st, 0);
		v->case_ref = col(r, st, 1);
		v->case_status = col(r, st, 2);
		v->next_review = col(r, st, 3);
		v->closed_on = col(r, st, 4);
		v->worker = col(r, st, 5);
	}
	int rc = db_finalize(st);
	if (rc || !v->case_id)
		return rc;
	v->case_shared = !is_school(r);
	if (!v->case_shared && (rc = consent_basis_active(r->db, v->family_id, "school",
							  &v->case_shared)) == HE_OK && !v->case_shared)
		rc = school_share_ended(r, v->family_id, &v->ended);
	return rc;
}

/* Load the referral ref for the caller (404 outside scope), unaudited. */
static int rview_fill(struct req *r, const char *ref, struct rview *v)
{
	memset(v, 0, sizeof *v);
	int rc = referral_find(r, ref, &v->id);
	if (!rc)
		rc = rview_row(r, v);
	if (!rc)
		rc = rview_pupils(r, v);
	if (!rc)
		rc = rview_case(r, v);
	if (rc)
		return rc;
	v->referring = !is_school(r) || v->school_id == r->sess.user.school_id;
	return HE_OK;
}

/* Load the referral ref for the caller (404 outside scope) and audit the
 * view. */
static int rview_load(struct req *r, const char *ref, struct rview *v)
{
	int rc = rview_fill(r, ref, v);
	if (rc)
		return rc;
	return req_audit(r, "view", "referrals", idtext(r, v->id),
			 arena_printf(&r->arena, "referral %s", v->ref));
}

/* The date part of an ISO timestamp. */
static const char *day_of(struct req *r, const char *ts)
{
	return arena_strndup(&r->arena, or_empty(ts), 10);
}

/* ---- plain words ----------------------------------------------------------------- */

static const char *status_tag_class(const char *status)
{
	if (!strcmp(status, "received"))
		return "govuk-tag--blue";
	if (!strcmp(status, "accepted"))
		return "govuk-tag--green";
	if (!strcmp(status, "stepped_up"))
		return "govuk-tag--red";
	return "govuk-tag--grey";
}

static void status_tag(struct req *r, const char *status)
{
	fmt_printf(&r->out, "<strong class=\"govuk-tag %s\">%h</strong>", status_tag_class(status),
		   referral_status_title(status));
}

/* "Waiting 12 days" from an ISO timestamp to today. */
static const char *waiting(struct req *r, const char *received_at)
{
	char day[11];
	hday d;
	snprintf(day, sizeof day, "%.10s", or_empty(received_at));
	if (!date_parse(day, &d))
		return "";
	int n = date_today() - d;
	return n <= 0 ? "Received today" : arena_printf(&r->arena, "Waiting %d day%s", n,
							  n == 1 ? "" : "s");
}

/* The needs "attendance,parenting" as "Attendance, Parenting". */
static const char *needs_text(struct req *r, const char *needs)
{
	struct buf b;
	buf_init(&b, 2048);
	for (const char *p = or_empty(needs); *p;) {
		size_t n = strcspn(p, ",");
		char code[32];
		snprintf(code, sizeof code, "%.*s", (int)n, p);
		const char *t = referral_need_title(code);
		buf_printf(&b, "%s%s", b.len ? ", " : "", t ? t : code);
		p += n + (p[n] == ',');
	}
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

/* What the caller may know of the case, in words. */
static const char *case_text(struct req *r, const struct rview *v)
{
	if (!v->case_id)
		return strcmp(v->status, "received") == 0 ? waiting(r, v->received_at) : "No case";
	if (!v->case_shared)
		return v->ended == SHARE_CONSENT_WITHDRAWN ? "Consent withdrawn: case status not shared"
			: v->ended == SHARE_BASIS_ENDED
			? "Lawful basis for sharing with the school ended: case status not shared"
			: "Case status not shared: the family's consent does not include the school";
	if (!strcmp(v->case_status, "open"))
		return arena_printf(&r->arena, "Open; next review %s", v->next_review ? v->next_review
				    : "not set");
	if (!strcmp(v->case_status, "closed"))
		return arena_printf(&r->arena, "Closed on %s", or_empty(v->closed_on));
	return "Stepped up to children's social care";
}

/* ---- GET /referrals ----------------------------------------------------------------- */

static int notices_section(struct req *r)
{
	if (!is_school(r))
		return HE_OK;
	struct db_stmt *st = db_prepare(r->db, "SELECT n.message, n.created_at, r.ref"
		" FROM school_notices n LEFT JOIN referrals r ON r.id = n.referral_id"
		" WHERE n.school_id = :s ORDER BY n.created_at DESC, n.id DESC LIMIT 50");
	db_bind_int(st, ":s", r->sess.user.school_id);
	bool any = false;
	while (db_next(st)) {
		if (!any)
			fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Notices from other schools</h2>"
				"<ul class=\"govuk-list\" id=\"notices\">");
		any = true;
		fmt_printf(&r->out, "<li><div class=\"govuk-inset-text\">%h", db_text(st, 0));
		if (!db_is_null(st, 2))
			fmt_printf(&r->out, " <a class=\"govuk-link\" href=\"/referrals/%u\">See its status"
				"<span class=\"govuk-visually-hidden\"> (%h)</span></a>",
				db_text(st, 2), db_text(st, 2));
		fmt_printf(&r->out, "</div></li>");
	}
	if (any)
		fmt_printf(&r->out, "</ul>");
	return db_finalize(st);
}

#define LIST_SQL \
	"SELECT r.id, r.ref, r.received_at, r.status, r.level_of_need, r.needs, r.family_id," \
	" s.name, r.school_id FROM referrals r LEFT JOIN schools s ON s.id = r.school_id" \
	" WHERE (:all = 1 OR r.school_id = :school OR EXISTS (SELECT 1 FROM referral_pupils rp" \
	" WHERE rp.referral_id = r.id AND rp.school_id = :school))" \
	" ORDER BY r.received_at DESC, r.id DESC LIMIT :limit"

static struct db_stmt *list_query(struct req *r, int limit)
{
	struct db_stmt *st = db_prepare(r->db, LIST_SQL);
	db_bind_int(st, ":all", is_school(r) ? 0 : 1);
	db_bind_int(st, ":school", is_school(r) ? r->sess.user.school_id : 0);
	db_bind_int(st, ":limit", limit);
	return st;
}

/* The list's rows, each loaded as a view (pupils, case). */
static int list_load(struct req *r, struct rview **out, size_t *n)
{
	struct rview *v = arena_alloc(&r->arena, LIST_MAX * sizeof *v);
	*n = 0;
	struct db_stmt *st = list_query(r, LIST_MAX);
	while (db_next(st))
		v[(*n)++].id = db_int(st, 0);
	int rc = db_finalize(st);
	for (size_t i = 0; !rc && i < *n; i++) {
		rc = rview_row(r, &v[i]);
		if (!rc)
			rc = rview_pupils(r, &v[i]);
		if (!rc)
			rc = rview_case(r, &v[i]);
	}
	*out = v;
	return rc;
}

static void pupils_cell(struct req *r, const struct rview *v)
{
	size_t others = 0;
	for (size_t i = 0; i < v->npupils; i++) {
		if (!v->pupils[i].ours) {
			others++;
			continue;
		}
		fmt_printf(&r->out, "%h<br>", v->pupils[i].name);
	}
	if (others)
		fmt_printf(&r->out, "<span class=\"govuk-body-s\">and %zu at %s school</span>", others,
			   others == 1 ? "another" : "other");
}

static void list_row(struct req *r, const struct rview *v)
{
	const char *td = "<td class=\"govuk-table__cell\">";
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s<a class=\"govuk-link\""
		" href=\"/referrals/%u\">%h</a></td>%s%h</td>%s", td, v->ref, v->ref, td,
		day_of(r, v->received_at), td);
	pupils_cell(r, v);
	fmt_printf(&r->out, "</td>%s%h</td>%s%d</td>%s", td,
		   v->school ? v->school : referral_status_title(v->source), td, v->level, td);
	status_tag(r, v->status);
	fmt_printf(&r->out, "</td>%s%h</td></tr>", td, case_text(r, v));
}

static void list_table(struct req *r, const struct rview *v, size_t n)
{
	static const char *const heads[] = {"Referral", "Received", "Pupils", "Referred by",
					    "Level", "Status", "Case"};
	fmt_printf(&r->out, "<table class=\"govuk-table hearth-table--small\" id=\"referrals\">"
		"<caption class=\"govuk-table__caption govuk-table__caption--m\">Referrals</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header\">%h</th>", heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		list_row(r, &v[i]);
	fmt_printf(&r->out, "</tbody></table>");
}

int referrals_page(struct req *r)
{
	struct rview *v;
	size_t n;
	int rc = list_load(r, &v, &n);
	if (!rc)
		rc = req_audit(r, "view", "referrals", NULL, arena_printf(&r->arena,
			       "list of referrals (%zu)", n));
	if (rc)
		return rc;
	page_begin(r, 200, "Referrals");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Referrals</h1>");
	if (caps_has(r->caps, CAP_REFER))
		fmt_printf(&r->out, "<p class=\"govuk-body\">To refer a family, open a pupil from"
			" <a class=\"govuk-link\" href=\"/pupils\">Pupils at risk</a> and choose"
			" \"Refer this family\", or <a class=\"govuk-link\" href=\"/referrals/new\">refer"
			" by UPN</a>.</p>");
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\">Every referral in the partnership. New"
			" referrals are screened from <a class=\"govuk-link\" href=\"/screening\">"
			"Screening</a>.</p>");
	if ((rc = notices_section(r)))
		return rc;
	if (n)
		list_table(r, v, n);
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"no-referrals\">No referrals yet.</p>");
	page_end(r);
	return HE_OK;
}

/* ---- consent on the family ------------------------------------------------------ */

/* The value a consent field had when posted, or def. */
static const char *posted(struct req *r, bool was_posted, const char *name, const char *def)
{
	const char *v = was_posted ? req_form(r, name) : NULL;
	return v ? v : def;
}

static void text_input(struct req *r, const struct errs *es, const char *id, const char *label,
		       const char *hint, const char *value, const char *cls)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"%h</label>", gclass(es, id), id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	ferr(r, es, id);
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"text\""
		" value=\"%h\"%s></div>", cls, errs_for(es, id) ? " govuk-input--error" : "", id, id,
		or_empty(value), described(r, es, id, hint != NULL));
}

static void textarea(struct req *r, const struct errs *es, const char *id, const char *label,
		     const char *hint, const char *value, int rows)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label"
		" govuk-label--s\" for=\"%h\">%h</label>", gclass(es, id), id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	ferr(r, es, id);
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea%s\" id=\"%h\" name=\"%h\" rows=\"%d\"%s>"
		"%h</textarea></div>", errs_for(es, id) ? " govuk-textarea--error" : "", id, id, rows,
		described(r, es, id, hint != NULL), or_empty(value));
}

/* A checkbox or radio item; id is name for the first item, name-N after. */
static void choice(struct req *r, const char *type, const char *name, int n, const char *value,
		   const char *label, const char *hint, bool checked, const char *controls)
{
	const char *id = n <= 1 ? name : arena_printf(&r->arena, "%s-%d", name, n);
	const char *cls = strcmp(type, "radio") == 0 ? "radios" : "checkboxes";
	fmt_printf(&r->out, "<div class=\"govuk-%s__item\"><input class=\"govuk-%s__input\" id=\"%h\""
		" name=\"%h\" type=\"%s\" value=\"%h\"%s", cls, cls, id, name, type, value,
		checked ? " checked" : "");
	if (hint)
		fmt_printf(&r->out, " aria-describedby=\"%h-item-hint\"", id);
	if (controls)
		fmt_printf(&r->out, " data-aria-controls=\"%h\"", controls);
	fmt_printf(&r->out, "><label class=\"govuk-label govuk-%s__label\" for=\"%h\">%h</label>",
		   cls, id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-item-hint\" class=\"govuk-hint govuk-%s__hint\">%h</div>",
			   id, cls, hint);
	fmt_printf(&r->out, "</div>");
}

static void fieldset_open(struct req *r, const struct errs *es, const char *id, const char *legend,
			  const char *hint, const char *size)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\"%s>"
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--%s\">%h</legend>",
		gclass(es, id), described(r, es, id, hint != NULL), size, legend);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	ferr(r, es, id);
}

static void fieldset_close(struct req *r)
{
	fmt_printf(&r->out, "</fieldset></div>");
}

static const char *const lawful_bases[] = {
	"safeguarding", "legal_obligation", "public_task", "vital_interests", NULL,
};

/* Consent given (who, relationship, date, what it covers) or not sought
 * (the lawful basis and why), with GOV.UK conditional reveals.  Values
 * come back from the post when was_posted. */
static void consent_fieldset(struct req *r, const struct errs *es, bool was_posted)
{
	char today[11];
	date_format(date_today(), today);
	const char *basis = posted(r, was_posted, "consent.basis", "");
	fieldset_open(r, es, "consent.basis", "Consent to share", "Consent from a parent or carer"
		" to work with the family and share information; or, if it was not sought, the"
		" lawful basis for referring without it.", "m");
	fmt_printf(&r->out, "<div class=\"govuk-radios\" data-module=\"govuk-radios\">");
	choice(r, "radio", "consent.basis", 1, "consent", "Consent given", "Fill in who gave it and"
	       " what it covers, below", !strcmp(basis, "consent"), NULL);
	choice(r, "radio", "consent.basis", 2, "not_sought", "Consent not sought", "Give the lawful"
	       " basis and why, below", !strcmp(basis, "not_sought"), NULL);
	fmt_printf(&r->out, "</div>");
	fieldset_close(r);
	/* Both groups are always shown (GOV.UK's conditional reveal sets
	 * aria-expanded on radios, which axe refuses). */
	fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"consent-given\">"
		"<h3 class=\"govuk-heading-s\">If consent was given</h3>");
	text_input(r, es, "consent.given_by", "Who gave consent", "Their full name",
		   posted(r, was_posted, "consent.given_by", ""), "govuk-!-width-two-thirds");
	text_input(r, es, "consent.relationship", "Their relationship to the children",
		   "For example, mother, father, carer", posted(r, was_posted, "consent.relationship",
		   ""), "govuk-!-width-one-half");
	text_input(r, es, "consent.given_on", "Date consent was given", "For example, 2026-09-14",
		   posted(r, was_posted, "consent.given_on", today), "govuk-input--width-10");
	fieldset_open(r, es, "consent.scope", "What the consent covers",
		      "Select all that the family agreed to", "s");
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes govuk-checkboxes--small\""
		" data-module=\"govuk-checkboxes\">");
	for (int i = 0; consent_scopes[i]; i++)
		choice(r, "checkbox", "consent.scope", i + 1, consent_scopes[i],
		       consent_scope_title(consent_scopes[i]), i == 0 ? "Required" : NULL,
		       was_posted ? form_has(r, "consent.scope", consent_scopes[i]) : i < 2, NULL);
	fmt_printf(&r->out, "</div>");
	fieldset_close(r);
	fmt_printf(&r->out, "</div><div class=\"govuk-inset-text\" id=\"consent-not-sought\">"
		"<h3 class=\"govuk-heading-s\">If consent was not sought</h3>");
	const char *lb = posted(r, was_posted, "consent.lawful_basis", "");
	fieldset_open(r, es, "consent.lawful_basis", "Lawful basis", NULL, "s");
	fmt_printf(&r->out, "<div class=\"govuk-radios govuk-radios--small\" data-module=\"govuk-radios\">");
	for (int i = 0; lawful_bases[i]; i++)
		choice(r, "radio", "consent.lawful_basis", i + 1, lawful_bases[i],
		       consent_basis_title(lawful_bases[i]), NULL, !strcmp(lb, lawful_bases[i]), NULL);
	fmt_printf(&r->out, "</div>");
	fieldset_close(r);
	textarea(r, es, "consent.lawful_basis_note", "Why consent was not sought",
		 "For example, asking would put a child at greater risk of harm",
		 posted(r, was_posted, "consent.lawful_basis_note", ""), 3);
	fmt_printf(&r->out, "</div>");
}

/* The consent as posted, with the scopes joined; the choice "not_sought"
 * becomes the lawful basis chosen. */
static void consent_from_form(struct req *r, struct consent_in *c, struct errs *es)
{
	const char *basis = req_form(r, "consent.basis");
	memset(c, 0, sizeof *c);
	if (!nz(basis)) {
		errs_set(es, HE_MISSING, "consent.basis", "Select whether consent was given, or that it"
			 " was not sought");
		return;
	}
	if (!strcmp(basis, "not_sought")) {
		const char *lb = req_form(r, "consent.lawful_basis");
		bool known = false;
		for (int i = 0; lb && lawful_bases[i]; i++)
			known |= !strcmp(lb, lawful_bases[i]);
		if (!known)
			errs_set(es, HE_MISSING, "consent.lawful_basis",
				 "Select the lawful basis for referring without consent");
		c->basis = known ? lb : "safeguarding";
		c->lawful_basis_note = req_form(r, "consent.lawful_basis_note");
		return;
	}
	const char *v[16];
	size_t n = form_all(r, "consent.scope", v, 16);
	struct buf b;
	buf_init(&b, 512);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", v[i]);
	c->basis = basis;
	c->given_by = req_form(r, "consent.given_by");
	c->relationship = req_form(r, "consent.relationship");
	c->given_on = req_form(r, "consent.given_on");
	c->scope = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
}

/* Every consent field that is wrong, not just the first: check, note the
 * field, put a good value in its place, check again. */
static void consent_errs(const struct consent_in *c0, struct errs *es)
{
	struct consent_in c = *c0;
	if (!c.basis)
		return;
	for (int k = 0; k < 8; k++) {
		struct errinfo e = {0};
		if (consent_check(&c, &e) == HE_OK)
			return;
		errs_add(es, &e);
		if (!strcmp(e.field, "consent.given_by"))
			c.given_by = "x";
		else if (!strcmp(e.field, "consent.relationship"))
			c.relationship = "x";
		else if (!strcmp(e.field, "consent.given_on"))
			c.given_on = "2000-01-01";
		else if (!strcmp(e.field, "consent.scope"))
			c.scope = "pool";
		else if (!strcmp(e.field, "consent.lawful_basis_note"))
			c.lawful_basis_note = "x";
		else
			return;
	}
}

/* May the caller change the family's consent?  The coordinator; the
 * school that referred the family; the worker of one of its cases. */
static int consent_allowed(struct req *r, int64_t family_id, bool *yes)
{
	const struct scope *s = scope_of(r);
	*yes = false;
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	if (caps_has(r->caps, CAP_REFERRALS_ALL) || caps_has(r->caps, CAP_CASES_ALL)) {
		*yes = true;
		return HE_OK;
	}
	int64_t ids[64];
	size_t n = 0;
	bool school = caps_has(r->caps, CAP_REFER) && s->school_id > 0;
	struct db_stmt *st;
	if (school) {
		st = db_prepare(r->db, "SELECT count(*) FROM referrals WHERE family_id = :f"
				" AND school_id = :s");
		db_bind_int(st, ":s", s->school_id);
	} else {
		st = db_prepare(r->db, "SELECT id FROM cases WHERE family_id = :f ORDER BY id");
	}
	db_bind_int(st, ":f", family_id);
	while (db_next(st) && n < 64)
		ids[n++] = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (school) {
		*yes = n && ids[0] > 0;
		return HE_OK;
	}
	for (size_t i = 0; i < n && !*yes && !rc && caps_has(r->caps, CAP_CASES_OWN); i++)
		rc = case_visible(r->db, s, ids[i], yes);
	return rc;
}

/* The family of a consent route, if the caller may change its consent;
 * else 404 (audited), for a role with neither referrals nor cases too: a
 * record route never tells whether the record exists (route.c). */
static int consent_family(struct req *r, int64_t *family_id)
{
	bool yes = false;
	if (!caps_has(r->caps, CAP_REFERRALS) && !caps_has(r->caps, CAP_CASES)) {
		req_audit(r, "denied", NULL, NULL, "lacks capability referrals or cases");
		return HE_NOT_FOUND;
	}
	int rc = family_id_by_ref(r->db, req_param(r, 0), family_id);
	if (rc == HE_OK)
		rc = consent_allowed(r, *family_id, &yes);
	if (rc && rc != HE_NOT_FOUND)
		return rc;
	if (!yes) {
		req_audit(r, "denied", "families", *family_id ? idtext(r, *family_id) : NULL,
			  arena_printf(&r->arena, "consent of family %.20s: not found or not in scope",
				       or_empty(req_param(r, 0))));
		return req_fail(r, HE_NOT_FOUND, "", "No such family");
	}
	return HE_OK;
}

/* Where to go back to after a consent change: a local referral or case
 * page, else /referrals.  Only letters, digits, '-' and '/' pass, so no
 * control character, quote or space ever reaches the Location header. */
static const char *back_path(struct req *r)
{
	const char *b = req_form(r, "back");
	if (b && (strncmp(b, "/referrals/", 11) == 0 || strncmp(b, "/cases/", 7) == 0) &&
	    strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/") == strlen(b) &&
	    !strstr(b, "//") && strlen(b) < 64)
		return b;
	return "/referrals";
}

static void withdraw_form(struct req *r, const struct errs *es, const char *fref, int64_t id,
			  const char *back, bool single)
{
	char today[11];
	date_format(date_today(), today);
	const char *on = single ? "on" : arena_printf(&r->arena, "on-%" PRId64, id);
	const char *reason = single ? "reason" : arena_printf(&r->arena, "reason-%" PRId64, id);
	fmt_printf(&r->out, "<form method=\"post\" action=\"/families/%u/consents/%d/withdraw\""
		" novalidate class=\"hearth-withdraw\">", fref, (int)id);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"back\" value=\"%h\">", back);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"Date withdrawn</label>", gclass(es, "on"), on);
	ferr(r, es, "on");
	fmt_printf(&r->out, "<input class=\"govuk-input govuk-input--width-10\" id=\"%h\" name=\"on\""
		" type=\"text\" value=\"%h\"></div><div class=\"govuk-form-group%s\"><label"
		" class=\"govuk-label\" for=\"%h\">Why it was withdrawn</label>", on,
		single ? posted(r, true, "on", today) : today, gclass(es, "reason"), reason);
	ferr(r, es, "reason");
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea\" id=\"%h\" name=\"reason\" rows=\"2\">"
		"%h</textarea></div><button type=\"submit\" class=\"govuk-button govuk-button--warning\""
		" data-module=\"govuk-button\">Withdraw consent</button></form>", reason,
		single ? or_empty(req_form(r, "reason")) : "");
}

static void consent_row(struct req *r, struct db_stmt *st, const char *fref, const char *back,
			bool can_change)
{
	int64_t id = db_int(st, 0);
	const char *basis = db_text(st, 1);
	bool given = !strcmp(basis, "consent");
	fmt_printf(&r->out, "<div class=\"govuk-summary-card\"><div class=\"govuk-summary-card__title-wrapper\">"
		"<h3 class=\"govuk-summary-card__title\">%h", consent_basis_title(basis));
	if (!db_is_null(st, 6))
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red\">Withdrawn %h</strong>",
			   db_text(st, 6));
	fmt_printf(&r->out, "</h3></div><div class=\"govuk-summary-card__content\"><dl class=\"govuk-summary-list\">");
	if (given)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"Given by</dt><dd class=\"govuk-summary-list__value\">%h (%h) on %h</dd></div>",
			db_text(st, 2), db_text(st, 3), db_text(st, 5));
	else
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"Decided</dt><dd class=\"govuk-summary-list__value\">%h: %h</dd></div>",
			db_text(st, 5), db_text(st, 7));
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"Covers</dt><dd class=\"govuk-summary-list__value\"><ul class=\"govuk-list\">");
	for (const char *p = db_text(st, 4); given && *p;) {
		size_t n = strcspn(p, ",");
		char code[24];
		snprintf(code, sizeof code, "%.*s", (int)n, p);
		fmt_printf(&r->out, "<li>%h</li>", consent_scope_title(code));
		p += n + (p[n] == ',');
	}
	if (!given)
		fmt_printf(&r->out, "<li>Everything needed to work with the family</li>");
	fmt_printf(&r->out, "</ul></dd></div></dl>");
	if (can_change && db_is_null(st, 6)) {
		fmt_printf(&r->out, "<details class=\"govuk-details\"><summary class=\"govuk-details__summary\">"
			"<span class=\"govuk-details__summary-text\">Withdraw this consent</span></summary>"
			"<div class=\"govuk-details__text\">");
		withdraw_form(r, NULL, fref, id, back, false);
		fmt_printf(&r->out, "</div></details>");
	}
	fmt_printf(&r->out, "</div></div>");
}

/* The family's consents, with withdrawal and a new consent when allowed. */
static int consents_section(struct req *r, int64_t family_id, const char *fref, const char *back,
			    bool can_change)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"consent\">Consent</h2>");
	struct db_stmt *st = db_prepare(r->db, "SELECT id, basis, given_by, given_by_relationship,"
		" scope, given_on, withdrawn_on, lawful_basis_note FROM consents WHERE family_id = :f"
		" ORDER BY id");
	db_bind_int(st, ":f", family_id);
	while (db_next(st))
		consent_row(r, st, fref, back, can_change);
	int rc = db_finalize(st);
	if (rc || !can_change)
		return rc;
	fmt_printf(&r->out, "<details class=\"govuk-details\"><summary class=\"govuk-details__summary\">"
		"<span class=\"govuk-details__summary-text\">Record a new consent or lawful basis</span>"
		"</summary><div class=\"govuk-details__text\"><form method=\"post\""
		" action=\"/families/%u/consents\" novalidate>", fref);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"back\" value=\"%h\">"
		"<input type=\"hidden\" name=\"idem\" value=\"%h\">", back, page_idem_new(r));
	consent_fieldset(r, NULL, false);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Record consent</button></form></div></details>");
	return HE_OK;
}

/* A page of its own for a consent form that came back with errors. */
static int consent_error_page(struct req *r, const struct errs *es, const char *fref, int64_t id)
{
	page_begin(r, err_http_status(es->e[0].code), "Error: Consent");
	errs_summary(r, es);
	fmt_printf(&r->out, "<a href=\"%h\" class=\"govuk-back-link\">Back</a><span class=\"govuk-caption-l\">"
		"Family %h</span><h1 class=\"govuk-heading-l\">%s</h1>", back_path(r), fref,
		id ? "Withdraw consent" : "Record consent");
	if (id) {
		withdraw_form(r, es, fref, id, back_path(r), true);
	} else {
		fmt_printf(&r->out, "<form method=\"post\" action=\"/families/%u/consents\" novalidate>", fref);
		page_csrf_field(r, r->sess.csrf);
		/* the same one-time key (nothing was recorded with it), unless
		 * the key itself was refused */
		const char *idem = nz(req_form(r, "idem"));
		for (int i = 0; i < es->n; i++)
			if (!strcmp(es->e[i].field, "idem"))
				idem = NULL;
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"back\" value=\"%h\">"
			"<input type=\"hidden\" name=\"idem\" value=\"%h\">", back_path(r),
			idem ? idem : page_idem_new(r));
		consent_fieldset(r, es, true);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Record consent</button></form>");
	}
	page_end(r);
	return HE_OK;
}

int consent_create_page(struct req *r)
{
	int64_t family_id = 0, id = 0;
	int rc = consent_family(r, &family_id);
	if (rc)
		return rc;
	char fref[16];
	family_ref(family_id, fref);
	struct errs es = {0};
	struct consent_in c;
	consent_from_form(r, &c, &es);
	consent_errs(&c, &es);
	c.idem_key = nz(req_form(r, "idem"));
	if (!es.n) {
		struct errinfo e = {0};
		const struct scope *s;
		if ((rc = need_scope(r, &s)) || (rc = db_begin(r->db)))
			return rc;
		rc = consent_record_tx(r->db, s, family_id, 0, &c, &id, &e);
		if (!rc)
			rc = db_commit(r->db);
		if (rc == HE_DB_CONSTRAINT && c.idem_key) {
			/* The same form submitted twice at once: the other insert
			 * won; again, this finds it and adds nothing. */
			db_rollback(r->db);
			e = (struct errinfo){0};
			if ((rc = db_begin(r->db)))
				return rc;
			rc = consent_record_tx(r->db, s, family_id, 0, &c, &id, &e);
			if (!rc)
				rc = db_commit(r->db);
		}
		if (rc) {
			db_rollback(r->db);
			if (rc >= HE_DB || rc == HE_INTERNAL)
				return rc;
			errs_add(&es, &e);
		}
	}
	if (es.n)
		return consent_error_page(r, &es, fref, 0);
	return req_redirect(r, arena_printf(&r->arena, "%s#consent", back_path(r)));
}

/* The family a consent belongs to; 0 if there is no such consent. */
static int64_t consent_family_of(struct req *r, int64_t id)
{
	struct db_stmt *st = db_prepare(r->db, "SELECT family_id FROM consents WHERE id = :id");
	db_bind_int(st, ":id", id);
	int64_t f = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st) ? 0 : f;
}

int consent_withdraw_page(struct req *r)
{
	int64_t family_id = 0, id = 0;
	int rc = consent_family(r, &family_id);
	if (rc)
		return rc;
	char fref[16], *end;
	family_ref(family_id, fref);
	const char *idp = req_param(r, 1);
	id = strtoll(idp ? idp : "", &end, 10);
	if (!idp || *end || id <= 0 || consent_family_of(r, id) != family_id) {
		req_audit(r, "denied", "consents", NULL, "consent not of this family");
		return req_fail(r, HE_NOT_FOUND, "", "No such consent");
	}
	struct errinfo e = {0};
	const struct scope *s;
	if ((rc = need_scope(r, &s)))
		return rc;
	rc = consent_withdraw(r->db, s, id, req_form(r, "on"), req_form(r, "reason"), &e);
	if (rc >= HE_DB || rc == HE_INTERNAL)
		return rc;
	if (rc) {
		struct errs es = {0};
		errs_add(&es, &e);
		return consent_error_page(r, &es, fref, id);
	}
	return req_redirect(r, arena_printf(&r->arena, "%s#consent", back_path(r)));
}

/* ---- GET /referrals/{ref} ------------------------------------------------------------ */

static void row(struct req *r, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", key, value);
}

static void referral_summary(struct req *r, const struct rview *v)
{
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"referral\"><div class=\"govuk-summary-list__row\">"
		"<dt class=\"govuk-summary-list__key\">Status</dt><dd class=\"govuk-summary-list__value\">");
	status_tag(r, v->status);
	fmt_printf(&r->out, "</dd></div>");
	row(r, "Received", day_of(r, v->received_at));
	row(r, "Referred by", v->school ? v->school : referral_status_title(v->source));
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"Pupils</dt><dd class=\"govuk-summary-list__value\"><ul class=\"govuk-list\" id=\"pupils\">");
	for (size_t i = 0; i < v->npupils; i++)
		if (v->pupils[i].ours)
			fmt_printf(&r->out, "<li>%h (%h), %h</li>", v->pupils[i].name, v->pupils[i].upn,
				   v->pupils[i].school);
		else
			fmt_printf(&r->out, "<li>A pupil at another partnership school</li>");
	fmt_printf(&r->out, "</ul></dd></div>");
	row(r, "Level of need", arena_printf(&r->arena, "%d: %s", v->level, referral_level_title(v->level)));
	row(r, "Needs", needs_text(r, v->needs));
	if (v->referring) {
		row(r, "The school's concern", v->reason);
		row(r, "Already tried", nz(v->tried) ? v->tried : "Nothing recorded");
	}
	if (v->decided_at)
		row(r, "Decided", day_of(r, v->decided_at));
	if (v->signposted_to)
		row(r, "Signposted to", v->signposted_to);
	if (v->referring && v->decision_note && strcmp(v->status, "accepted") != 0)
		row(r, "Reason given", v->decision_note);
	fmt_printf(&r->out, "</dl>");
}

static void case_section(struct req *r, const struct rview *v)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">The case</h2>");
	if (!v->case_id) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"case\">%h</p>",
			   !strcmp(v->status, "received")
			   ? arena_printf(&r->arena, "Not yet screened. %s.", waiting(r, v->received_at))
			   : "No case was opened from this referral.");
		return;
	}
	if (!v->case_shared) {
		fmt_printf(&r->out, "<div class=\"govuk-warning-text\" id=\"case\"><span"
			" class=\"govuk-warning-text__icon\" aria-hidden=\"true\">!</span><strong"
			" class=\"govuk-warning-text__text\"><span class=\"govuk-visually-hidden\">Warning"
			"</span>%h</strong></div>", case_text(r, v));
		return;
	}
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"case\">");
	row(r, "Case", v->case_ref);
	row(r, "Status", case_text(r, v));
	row(r, "Lead professional", v->worker);
	fmt_printf(&r->out, "</dl>");
	if (caps_has(r->caps, CAP_CASES))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/cases/%u\">"
			"Open the case record</a></p>", v->case_ref);
}

int referral_page(struct req *r)
{
	struct rview v;
	int rc = rview_load(r, req_param(r, 0), &v);
	if (rc)
		return rc;
	page_begin(r, 200, arena_printf(&r->arena, "Referral %s", v.ref));
	if (req_query(r, "sent"))
		fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
			" role=\"alert\" aria-labelledby=\"sent-title\" data-module=\"govuk-notification-banner\">"
			"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
			" id=\"sent-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
			"<p class=\"govuk-notification-banner__heading\">Referral %h sent. The family support"
			" service will screen it; you can follow it here and on your referrals page.</p></div></div>",
			v.ref);
	fmt_printf(&r->out, "<a href=\"/referrals\" class=\"govuk-back-link\">Referrals</a>"
		"<span class=\"govuk-caption-l\">Referral</span><h1 class=\"govuk-heading-l\">%h: %h</h1>",
		v.ref, v.family);
	referral_summary(r, &v);
	case_section(r, &v);
	bool yes = false;
	if ((rc = consent_allowed(r, v.family_id, &yes)))
		return rc;
	if (v.referring && (rc = consents_section(r, v.family_id, v.fref,
						  arena_printf(&r->arena, "/referrals/%s", v.ref), yes)))
		return rc;
	page_end(r);
	return HE_OK;
}

/* ---- the form ----------------------------------------------------------------------- */

struct sib {
	int64_t id;
	const char *upn, *name;
	bool ours;
};

struct form_ctx {
	int64_t from_id;
	const char *from, *from_name;   /* the pupil the form was opened from */
	struct sib sibs[SIBLINGS_MAX];
	size_t nsibs;
	const char *idem;
	bool posted;
};

/* The pupil the form was opened from (the caller's school's, else 404,
 * audited) and the siblings the census linked to them; audits the read. */
static int form_pupil(struct req *r, const char *upn, struct form_ctx *f)
{
	char norm[14];
	int64_t school = is_school(r) ? r->sess.user.school_id : 0;
	const char *key = NULL;
	struct db_stmt *st = db_prepare(r->db, "SELECT id, upn, forename || ' ' || surname, family_key"
		" FROM pupils WHERE upn = :upn AND (:school = 0 OR school_id = :school)");
	db_bind_text(st, ":upn", upn_norm(upn, norm) ? norm : "");
	db_bind_int(st, ":school", school);
	if (db_next(st)) {
		f->from_id = db_int(st, 0);
		f->from = col(r, st, 1);
		f->from_name = col(r, st, 2);
		key = col(r, st, 3);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!f->from_id) {
		req_audit(r, "denied", "pupils", NULL, arena_printf(&r->arena,
			  "referral form for pupil %.20s: not found or not in scope", upn));
		return req_fail(r, HE_NOT_FOUND, "upn", "No such pupil");
	}
	st = db_prepare(r->db, "SELECT id, upn, forename || ' ' || surname, school_id FROM pupils"
		" WHERE family_key = :k AND id <> :id ORDER BY dob, id");
	db_bind_text(st, ":k", or_empty(key));
	db_bind_int(st, ":id", f->from_id);
	while (key && db_next(st) && f->nsibs < SIBLINGS_MAX) {
		struct sib *s = &f->sibs[f->nsibs++];
		s->id = db_int(st, 0);
		s->upn = col(r, st, 1);
		s->name = col(r, st, 2);
		s->ours = !school || db_int(st, 3) == school;
	}
	if ((rc = db_finalize(st)))
		return rc;
	return req_audit(r, "view", "pupils", idtext(r, f->from_id),
			 arena_printf(&r->arena, "pupil %s and siblings, for a referral", f->from));
}

static void pupils_fieldset(struct req *r, const struct errs *es, const struct form_ctx *f)
{
	const char *other = f->posted ? req_form(r, "upn_other") : NULL;
	if (!f->from) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Pupils</h2>");
		text_input(r, es, "upns", "Pupil's UPN", "The 13-character unique pupil number, like"
			   " A801999932002", other, "govuk-input--width-20");
		return;
	}
	fieldset_open(r, es, "upns", "Pupils concerned", "The pupil you started from, and brothers"
		" or sisters the school census has linked to the same home. A sibling's school is"
		" told about the referral.", "m");
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes\" data-module=\"govuk-checkboxes\">");
	choice(r, "checkbox", "upns", 1, f->from, arena_printf(&r->arena, "%s (%s)", f->from_name,
	       f->from), NULL, !f->posted || form_has(r, "upns", f->from), NULL);
	for (size_t i = 0; i < f->nsibs; i++) {
		const struct sib *s = &f->sibs[i];
		if (s->ours)
			choice(r, "checkbox", "upns", (int)i + 2, s->upn, arena_printf(&r->arena,
			       "%s (%s), sibling", s->name, s->upn), NULL, f->posted && form_has(r,
			       "upns", s->upn), NULL);
		else
			choice(r, "checkbox", "sibling", (int)i + 1, idtext(r, s->id),
			       "A sibling at another partnership school", "Their school will be told",
			       f->posted && form_has(r, "sibling", idtext(r, s->id)), NULL);
	}
	fmt_printf(&r->out, "</div>");
	fieldset_close(r);
	text_input(r, es, "upn_other", "Another pupil's UPN (optional)", "A brother or sister at any"
		   " partnership school whom the census has not linked", other, "govuk-input--width-20");
}

static const char *const adult_relationships[] = {
	"mother", "father", "step-parent", "grandparent", "carer", "sibling", "other", NULL,
};

static void adult_row(struct req *r, const struct errs *es, int i, bool was_posted)
{
	const char *name = arena_printf(&r->arena, "adults.%d.name", i);
	const char *rel = arena_printf(&r->arena, "adults.%d.relationship", i);
	const char *phone = arena_printf(&r->arena, "adults.%d.phone", i);
	fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset hearth-adult\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--s\">Adult %d%s</legend>", i + 1, i ? " (optional)" : "");
	text_input(r, es, name, "Name", NULL, posted(r, was_posted, name, ""), "govuk-!-width-two-thirds");
	const char *cur = posted(r, was_posted, rel, "");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"Relationship to the children</label>", gclass(es, rel), rel);
	ferr(r, es, rel);
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"%h\" name=\"%h\"><option value=\"\">"
		"Select</option>", rel, rel);
	for (int k = 0; adult_relationships[k]; k++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", adult_relationships[k],
			   strcmp(cur, adult_relationships[k]) ? "" : " selected", adult_relationships[k]);
	fmt_printf(&r->out, "</select></div>");
	text_input(r, es, phone, "Phone (optional)", NULL, posted(r, was_posted, phone, ""),
		   "govuk-input--width-20");
	fmt_printf(&r->out, "</fieldset>");
}

/* The family's home: optional, checked by family_details_check. */
static void home_fieldset(struct req *r, const struct errs *es, bool was_posted)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"home\">The family's home</h2>"
		"<p class=\"govuk-body\">Optional. The family's worker confirms these with the family."
		" If the family is already known, only details not yet recorded are added.</p>");
	textarea(r, es, "address", "Address (optional)", "House number and street, area and town",
		 posted(r, was_posted, "address", ""), 3);
	text_input(r, es, "postcode", "Postcode (optional)", NULL, posted(r, was_posted, "postcode", ""),
		   "govuk-input--width-10");
	text_input(r, es, "home_language", "Home language (optional)", "The language the family"
		   " speaks at home, like Polish or Gujarati. Leave blank for English.",
		   posted(r, was_posted, "home_language", ""), "govuk-input--width-20");
}

static void needs_fieldset(struct req *r, const struct errs *es, bool was_posted)
{
	fieldset_open(r, es, "needs", "What does the family need help with?", "Select all that apply",
		      "m");
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes govuk-checkboxes--small\" data-module=\"govuk-checkboxes\">");
	for (int i = 0; referral_needs[i].code; i++)
		choice(r, "checkbox", "needs", i + 1, referral_needs[i].code, referral_needs[i].title,
		       NULL, was_posted && form_has(r, "needs", referral_needs[i].code), NULL);
	fmt_printf(&r->out, "</div>");
	fieldset_close(r);
}

static const char *const level_hints[] = {
	"", "Needs can be met by the school and services open to every family",
	"A need that the school or one service can meet with some extra support",
	"Several needs, or needs that need a lead professional and a team around the family",
	"A child may be at risk of significant harm. If a child is in immediate danger, call"
	" children's social care or the police now: do not wait for this referral",
};

static void level_fieldset(struct req *r, const struct errs *es, bool was_posted)
{
	const char *cur = posted(r, was_posted, "level_of_need", "");
	static const char *const labels[] = {"", "1: Universal", "2: Early help – emerging",
		"3: Early help – complex or multiple needs", "4: Statutory or acute"};
	fieldset_open(r, es, "level_of_need", "Level of need", NULL, "m");
	fmt_printf(&r->out, "<div class=\"govuk-radios\" data-module=\"govuk-radios\">");
	for (int i = 1; i <= 4; i++)
		choice(r, "radio", "level_of_need", i, arena_printf(&r->arena, "%d", i), labels[i],
		       level_hints[i], cur[0] == '0' + i && !cur[1], NULL);
	fmt_printf(&r->out, "</div>");
	fieldset_close(r);
}

static int form_page(struct req *r, const struct form_ctx *f, const struct errs *es)
{
	bool p = f->posted;
	page_begin(r, es && es->n ? err_http_status(es->e[0].code) : 200,
		   es && es->n ? "Error: Refer a family" : "Refer a family");
	errs_summary(r, es);
	fmt_printf(&r->out, "<a href=\"%s\" class=\"govuk-back-link\">Back</a>"
		"<h1 class=\"govuk-heading-l\">Refer a family for support</h1>"
		"<form method=\"post\" action=\"/referrals\" novalidate id=\"referral-form\">",
		f->from ? "/pupils" : "/referrals");
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">"
		"<input type=\"hidden\" name=\"from\" value=\"%h\">", f->idem, or_empty(f->from));
	pupils_fieldset(r, es, f);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Adults in the household</h2><p class=\"govuk-body\">"
		"Parents, carers and other adults living with the children.</p>");
	for (int i = 0; i < ADULT_ROWS; i++)
		adult_row(r, es, i, p);
	home_fieldset(r, es, p);
	needs_fieldset(r, es, p);
	level_fieldset(r, es, p);
	textarea(r, es, "reason", "What is the school worried about?", "What you have seen, for how"
		 " long, and what the family says", posted(r, p, "reason", ""), 6);
	textarea(r, es, "tried", "What has the school already tried?", "For example, attendance"
		 " meetings, a mentor, an early help assessment", posted(r, p, "tried", ""), 4);
	consent_fieldset(r, es, p);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\""
		" data-prevent-double-click=\"true\">Send referral</button></form>");
	page_end(r);
	return HE_OK;
}

int referral_new_page(struct req *r)
{
	struct form_ctx f = {0};
	const char *upn = nz(req_query(r, "upn"));
	f.idem = page_idem_new(r);
	if (upn) {
		int rc = form_pupil(r, upn, &f);
		if (rc)
			return rc;
	}
	return form_page(r, &f, NULL);
}

/* ---- POST /referrals ------------------------------------------------------------------ */

/* The pupils ticked and typed, as UPNs; a sibling ticked must be one the
 * form offered (a census sibling of the pupil it was opened from). */
static size_t form_upns(struct req *r, const struct form_ctx *f, const char **upns, size_t max,
			struct errs *es)
{
	const char *v[32];
	size_t n = form_all(r, "upns", upns, max);
	size_t ns = form_all(r, "sibling", v, 32);
	for (size_t i = 0; i < ns && n < max; i++) {
		size_t k = 0;
		while (k < f->nsibs && strcmp(idtext(r, f->sibs[k].id), v[i]) != 0)
			k++;
		if (k == f->nsibs)
			errs_set(es, HE_INVALID, "upns", "Select pupils from the list");
		else
			upns[n++] = f->sibs[k].upn;
	}
	const char *other = nz(req_form(r, "upn_other"));
	if (other && n < max)
		upns[n++] = other;
	if (!n)
		errs_set(es, HE_MISSING, "upns", "Select or enter at least one pupil");
	return n;
}

static size_t form_adults(struct req *r, struct referral_adult *a, struct errs *es)
{
	for (int i = 0; i < ADULT_ROWS; i++) {
		a[i].name = req_form(r, arena_printf(&r->arena, "adults.%d.name", i));
		a[i].relationship = req_form(r, arena_printf(&r->arena, "adults.%d.relationship", i));
		a[i].phone = req_form(r, arena_printf(&r->arena, "adults.%d.phone", i));
		if (!nz(a[i].name) && !nz(a[i].relationship) && !nz(a[i].phone))
			continue;
		struct family_member_in m = {a[i].name, a[i].relationship, NULL, a[i].phone, false, 0, NULL};
		struct errinfo e = {0};
		for (int k = 0; k < 3 && family_member_check(&m, &e) != HE_OK; k++) {
			struct errinfo named;
			errinfo_set(&named, e.code, arena_printf(&r->arena, "adults.%d.%s", i, e.field),
				    "Adult %d: %s", i + 1, e.message);
			errs_add(es, &named);
			if (!strcmp(e.field, "name"))
				m.name = "x";
			else if (!strcmp(e.field, "relationship"))
				m.relationship = "other";
			else
				m.phone = NULL;
		}
	}
	return ADULT_ROWS;
}

/* The family's home as posted, each field checked on its own so that
 * every bad one is named. */
static void form_home(struct req *r, struct referral_in *in, struct errs *es)
{
	in->address = req_form(r, "address");
	in->postcode = req_form(r, "postcode");
	in->home_language = req_form(r, "home_language");
	const struct family_details_in one[] = {
		{nz(in->address), NULL, NULL}, {NULL, nz(in->postcode), NULL},
		{NULL, NULL, nz(in->home_language) && !text_blank(in->home_language)
			? in->home_language : NULL},
	};
	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
		struct family_details d;
		struct errinfo e = {0};
		if (family_details_check(&one[i], &d, &e) != HE_OK)
			errs_add(es, &e);
	}
}

/* The referral as posted, with every simple field checked (es); the core
 * checks the rest. */
static void form_read(struct req *r, const struct form_ctx *f, struct referral_in *in,
		      const char **upns, struct referral_adult *adults, struct errs *es)
{
	memset(in, 0, sizeof *in);
	in->idem_key = nz(req_form(r, "idem"));
	in->source = "school";
	in->school_id = r->sess.user.school_id;
	in->upns = upns;
	in->nupns = form_upns(r, f, upns, 16, es);
	in->adults = adults;
	in->nadults = form_adults(r, adults, es);
	form_home(r, in, es);
	const char *v[32];
	size_t n = form_all(r, "needs", v, 32);
	struct buf b;
	buf_init(&b, 1024);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", v[i]);
	in->needs = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	if (!n)
		errs_set(es, HE_MISSING, "needs", "Select at least one thing the family needs help with");
	const char *lv = or_empty(req_form(r, "level_of_need"));
	in->level_of_need = lv[0] >= '1' && lv[0] <= '4' && !lv[1] ? lv[0] - '0' : 0;
	if (!in->level_of_need)
		errs_set(es, HE_MISSING, "level_of_need", "Select the level of need");
	in->reason = req_form(r, "reason");
	in->tried = req_form(r, "tried");
	if (!nz(in->reason))
		errs_set(es, HE_MISSING, "reason", "Describe what the school is worried about");
	consent_from_form(r, &in->consent, es);
	consent_errs(&in->consent, es);
}

/* Make the referral; a second post of the same form finds the first. */
static int form_submit(struct req *r, const struct referral_in *in, struct errs *es)
{
	int64_t id = 0;
	struct errinfo e = {0};
	uint64_t before = audit_appended();
	const struct scope *s;
	int rc = need_scope(r, &s);
	if (rc)
		return rc;
	rc = referral_create(r->db, s, in, &id, &e);
	if (rc >= HE_DB || rc == HE_INTERNAL)
		return rc;
	if (rc) {
		errs_add(es, &e);
		return HE_OK;
	}
	char ref[16];
	referral_ref(id, ref);
	if (audit_appended() == before &&
	    (rc = req_audit(r, "view", "referrals", idtext(r, id), arena_printf(&r->arena,
			    "form sent again: referral %s already made, nothing created", ref))))
		return rc;
	return req_redirect(r, arena_printf(&r->arena, "/referrals/%s?sent=1", ref));
}

int referral_create_page(struct req *r)
{
	struct form_ctx f = {.posted = true};
	struct errs es = {0};
	const char *from = nz(req_form(r, "from"));
	f.idem = nz(req_form(r, "idem")) ? req_form(r, "idem") : page_idem_new(r);
	if (from) {
		int rc = form_pupil(r, from, &f);
		if (rc)
			return rc;
	}
	struct referral_in in;
	const char *upns[16];
	struct referral_adult adults[ADULT_ROWS];
	form_read(r, &f, &in, upns, adults, &es);
	if (!es.n) {
		int rc = form_submit(r, &in, &es);
		if (rc || !es.n)
			return rc;
	}
	return form_page(r, &f, &es);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void needs_json(struct req *r, const char *needs)
{
	buf_putc(&r->out, '[');
	for (const char *p = or_empty(needs); *p;) {
		size_t n = strcspn(p, ",");
		char code[32];
		snprintf(code, sizeof code, "%.*s", (int)n, p);
		fmt_printf(&r->out, "%s%j", p == needs ? "" : ",", code);
		p += n + (p[n] == ',');
	}
	buf_putc(&r->out, ']');
}

static void case_json(struct req *r, const struct rview *v)
{
	if (!v->case_id)
		fmt_printf(&r->out, "null");
	else if (!v->case_shared)
		fmt_printf(&r->out, "{\"shared\":false,\"message\":%j}", case_text(r, v));
	else
		fmt_printf(&r->out, "{\"shared\":true,\"ref\":%j,\"status\":%j,\"next_review_on\":%j,"
			   "\"closed_on\":%j,\"worker\":%j}", v->case_ref, v->case_status,
			   v->next_review, v->closed_on, v->worker);
}

static void referral_json(struct req *r, const struct rview *v, bool full)
{
	fmt_printf(&r->out, "{\"ref\":%j,\"family\":{\"ref\":%j,\"name\":%j},\"status\":%j,"
		"\"status_title\":%j,\"source\":%j,\"received_at\":%j,\"school\":", v->ref, v->fref,
		v->family, v->status, referral_status_title(v->status), v->source, v->received_at);
	if (v->school)
		fmt_printf(&r->out, "{\"urn\":%j,\"name\":%j}", v->urn, v->school);
	else
		fmt_printf(&r->out, "null");
	fmt_printf(&r->out, ",\"level_of_need\":%d,\"needs\":", v->level);
	needs_json(r, v->needs);
	fmt_printf(&r->out, ",\"pupils\":[");
	for (size_t i = 0; i < v->npupils; i++) {
		const struct rpupil *p = &v->pupils[i];
		if (p->ours)
			fmt_printf(&r->out, "%s{\"upn\":%j,\"name\":%j,\"school\":%j}", i ? "," : "",
				   p->upn, p->name, p->school);
		else
			fmt_printf(&r->out, "%s{\"other_school\":true}", i ? "," : "");
	}
	fmt_printf(&r->out, "],\"case\":");
	case_json(r, v);
	if (full && v->referring)
		fmt_printf(&r->out, ",\"reason\":%j,\"tried\":%j,\"decided_at\":%j,\"signposted_to\":%j",
			   v->reason, v->tried, v->decided_at, v->signposted_to);
	buf_putc(&r->out, '}');
}

int referral_api(struct req *r)
{
	struct rview v;
	int rc = rview_load(r, req_param(r, 0), &v);
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"referral\":");
	referral_json(r, &v, true);
	fmt_printf(&r->out, "}\n");
	return HE_OK;
}

int referrals_api(struct req *r)
{
	struct rview *v;
	size_t n;
	int rc = list_load(r, &v, &n);
	if (!rc)
		rc = req_audit(r, "view", "referrals", NULL, arena_printf(&r->arena,
			       "list of referrals (%zu), API", n));
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"referrals\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		referral_json(r, &v[i], false);
	}
	fmt_printf(&r->out, "],\"notices\":[");
	struct db_stmt *st = db_prepare(r->db, "SELECT n.message, n.created_at, r.ref"
		" FROM school_notices n LEFT JOIN referrals r ON r.id = n.referral_id"
		" WHERE n.school_id = :s ORDER BY n.created_at DESC, n.id DESC LIMIT 50");
	db_bind_int(st, ":s", is_school(r) ? r->sess.user.school_id : -1);
	for (int i = 0; db_next(st); i++)
		fmt_printf(&r->out, "%s{\"message\":%j,\"created_at\":%j,\"referral\":%j}", i ? "," : "",
			   db_text(st, 0), db_text(st, 1), db_text(st, 2));
	fmt_printf(&r->out, "]}\n");
	return db_finalize(st);
}

/* A JSON list of strings (or one comma-separated string) joined by commas;
 * NULL if absent, "" if not strings. */
static const char *json_join(struct req *r, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return NULL;
	if (json_is_string(v))
		return arena_strdup(&r->arena, json_string_value(v));
	if (!json_is_array(v))
		return "";
	struct buf b;
	buf_init(&b, 4096);
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
		buf_printf(&b, "%s%s", i ? "," : "", json_is_string(x) ? json_string_value(x) : "?");
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

/* The source and school of an API referral: a school user refers for
 * their school; the coordinator names the source (and school). */
static int api_source(struct req *r, json_t *j, struct referral_in *in)
{
	if (is_school(r)) {
		in->source = "school";
		in->school_id = r->sess.user.school_id;
		return HE_OK;
	}
	in->source = json_str(j, "source") ? json_str(j, "source") : "agency";
	const char *urn = json_str(j, "school");
	if (!urn)
		return HE_OK;
	int64_t id = 0;
	struct db_stmt *st = db_prepare(r->db, "SELECT id FROM schools WHERE urn = :urn");
	db_bind_text(st, ":urn", urn);
	if (db_next(st))
		id = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!id)
		return req_fail(r, HE_INVALID, "school", "No school with that URN");
	in->school_id = id;
	return HE_OK;
}

static int api_read(struct req *r, json_t *j, struct referral_in *in)
{
	memset(in, 0, sizeof *in);
	json_t *upns = json_object_get(j, "upns"), *adults = json_object_get(j, "adults");
	json_t *consent = json_object_get(j, "consent"), *level = json_object_get(j, "level_of_need");
	if ((upns && !json_is_array(upns)) || (adults && !json_is_array(adults)) ||
	    (consent && !json_is_object(consent)))
		return req_fail(r, HE_INVALID, !upns || json_is_array(upns) ? !adults ||
				json_is_array(adults) ? "consent" : "adults" : "upns",
				"upns and adults must be lists, consent an object");
	size_t n = upns ? json_array_size(upns) : 0;
	const char **u = arena_alloc(&r->arena, (n + 1) * sizeof *u);
	for (size_t i = 0; i < n; i++)
		u[i] = json_is_string(json_array_get(upns, i)) ? json_string_value(json_array_get(upns, i)) : "";
	size_t na = adults ? json_array_size(adults) : 0;
	struct referral_adult *a = arena_alloc(&r->arena, (na + 1) * sizeof *a);
	for (size_t i = 0; i < na; i++) {
		json_t *x = json_array_get(adults, i);
		a[i] = (struct referral_adult){json_str(x, "name"), json_str(x, "relationship"),
					       json_str(x, "phone")};
	}
	in->idem_key = nz(req_header(r, "Idempotency-Key"));
	in->upns = u;
	in->nupns = n;
	in->adults = a;
	in->nadults = na;
	in->needs = json_join(r, j, "needs");
	in->level_of_need = json_is_integer(level) ? (int)json_integer_value(level) : 0;
	in->reason = json_str(j, "reason");
	in->tried = json_str(j, "tried");
	static const char *const home[] = {"address", "postcode", "home_language"};
	for (size_t i = 0; i < sizeof home / sizeof home[0]; i++) {
		json_t *v = json_object_get(j, home[i]);
		if (v && !json_is_string(v) && !json_is_null(v))
			return req_fail(r, HE_INVALID, home[i], arena_printf(&r->arena,
					"%s must be a string", home[i]));
	}
	in->address = json_str(j, "address");
	in->postcode = json_str(j, "postcode");
	in->home_language = json_str(j, "home_language");
	if (consent)
		in->consent = (struct consent_in){json_str(consent, "basis"),
			json_str(consent, "given_by"), json_str(consent, "relationship"),
			json_join(r, consent, "scope"), json_str(consent, "given_on"),
			json_str(consent, "lawful_basis_note"), NULL};
	return api_source(r, j, in);
}

int referral_create_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	struct referral_in in;
	int64_t id = 0;
	const struct scope *s;
	int rc = need_scope(r, &s);
	uint64_t audited = audit_appended();
	if (!rc)
		rc = api_read(r, j, &in);
	if (!rc)
		rc = referral_create(r->db, s, &in, &id, &r->err);
	if (!rc) {
		char ref[16];
		struct rview v;
		referral_ref(id, ref);
		/* Committed with its "create" audit row, the answer is read
		 * without a second ("view") row, whose write could fail (a full
		 * disk) after the referral was saved and make a 503 that says
		 * nothing was.  A repeated submission (its Idempotency-Key seen
		 * before) created nothing: reading it back is a view, audited. */
		rc = audit_appended() != audited ? rview_fill(r, ref, &v) : rview_load(r, ref, &v);
		if (!rc) {
			req_json(r, 201);
			req_set_header(r, "Location", arena_printf(&r->arena, "/api/v1/referrals/%s", ref));
			fmt_printf(&r->out, "{\"referral\":");
			referral_json(r, &v, true);
			fmt_printf(&r->out, "}\n");
		}
	}
	json_decref(j);
	return rc;
}
