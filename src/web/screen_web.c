/* screen_web.c — the coordinator's screening: the queue of received
 * referrals, one referral in full with the ranked worker suggestions and
 * the decision forms, and their JSON equivalents.
 *
 * Every route here needs CAP_REFERRALS_ALL (the coordinator).  Reads of a
 * referral are audited "view" (the queue as one list row); a referral out
 * of scope or unknown is 404, audited "denied".  Decisions go through
 * referral_decide (allocate.c), which checks the version the form was
 * rendered with: a second POST of the same form, or a colleague's
 * decision in between, is a conflict and nothing is decided twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/fmt.h"
#include "core/allocate.h"
#include "core/case.h"
#include "core/consent.h"
#include "core/referral.h"
#include "core/worker.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define LONG_WAIT_WORKING_DAYS 10

static const char *const TD = "<td class=\"govuk-table__cell\">";

/* ---- small helpers ------------------------------------------------------------ */

/* Working days (Monday–Friday) after from up to and including to. */
static int working_days(hday from, hday to)
{
	int n = 0;
	for (hday d = from + 1; d <= to; d++)
		if (date_weekday(d) < 5)
			n++;
	return n;
}

struct wait { int days, working; };

static struct wait waiting(const char *received_at)
{
	struct wait w = {0, 0};
	char day[11];
	hday from;
	snprintf(day, sizeof day, "%.10s", received_at ? received_at : "");
	if (date_parse(day, &from)) {
		hday today = date_today();
		w.days = today - from;
		w.working = working_days(from, today);
	}
	return w;
}

static void wait_cell(struct req *r, struct wait w)
{
	fmt_printf(&r->out, "Waiting %d %s", w.days, w.days == 1 ? "day" : "days");
	if (w.working > LONG_WAIT_WORKING_DAYS)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red hearth-long-wait\">"
			"Over %d working days</strong>", LONG_WAIT_WORKING_DAYS);
}

/* The titles of a comma-separated list of need codes, into the arena. */
static const char *needs_text(struct req *r, const char *needs)
{
	struct buf b;
	buf_init(&b, 4096);
	for (const char *p = needs ? needs : ""; *p; ) {
		size_t n = strcspn(p, ",");
		char *code = arena_strndup(&r->arena, p, n);
		const char *t = referral_need_title(code);
		buf_printf(&b, "%s%s", b.len ? ", " : "", t ? t : code);
		p += n + (p[n] ? 1 : 0);
	}
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

/* The date part of a timestamp, into the arena. */
static const char *day_of(struct req *r, const char *ts)
{
	return arena_strndup(&r->arena, ts ? ts : "", ts ? strnlen(ts, 10) : 0);
}

static const char *source_title(const char *source)
{
	if (!source)
		return "";
	if (strcmp(source, "school") == 0)
		return "School";
	if (strcmp(source, "agency") == 0)
		return "Partner agency";
	if (strcmp(source, "step_down") == 0)
		return "Stepped down from children's social care";
	if (strcmp(source, "self") == 0)
		return "The family themselves";
	return source;
}

static const char *level_text(struct req *r, int level)
{
	const char *t = referral_level_title(level);
	return arena_printf(&r->arena, "%d%s%s", level, t && *t ? " – " : "", t ? t : "");
}

static const char *ref_of(struct req *r, int64_t id, void (*fn)(int64_t, char[16]))
{
	char *out = arena_alloc(&r->arena, 16);
	fn(id, out);
	return out;
}

/* The referral named by the path's {ref}, in the caller's scope; 404 (and
 * "denied" audited) otherwise. */
static int referral_from_path(struct req *r, int64_t *id)
{
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	const char *ref = req_param(r, 0);
	bool yes = false;
	int rc = referral_id_by_ref(r->db, ref, id);
	if (rc == HE_OK)
		rc = referral_visible(r->db, s, *id, &yes);
	else if (rc == HE_NOT_FOUND)
		rc = HE_OK;
	if (rc)
		return rc;
	if (!yes) {
		req_audit(r, "denied", "referrals", ref, "referral not found or out of scope");
		return req_fail(r, HE_NOT_FOUND, "", "There is no such referral");
	}
	return HE_OK;
}

/* ---- the queue ------------------------------------------------------------------ */

#define QUEUE_SQL \
	"SELECT r.id, r.received_at, r.level_of_need, r.needs, r.source, s.name, f.name," \
	" f.ref, r.version, (SELECT count(*) FROM referral_pupils p WHERE p.referral_id = r.id)" \
	" FROM referrals r JOIN families f ON f.id = r.family_id" \
	" LEFT JOIN schools s ON s.id = r.school_id" \
	" WHERE r.status = 'received' ORDER BY r.received_at, r.id"

static void queue_row(struct req *r, struct db_stmt *st)
{
	const char *ref = ref_of(r, db_int(st, 0), referral_ref);
	struct wait w = waiting(db_text(st, 1));
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s<a class=\"govuk-link\""
		" href=\"/screening/%u\">%h</a></td>%s%h<br><span class=\"govuk-body-s\">%lld %s</span>"
		"</td>%s", TD, ref, ref, TD, db_text(st, 6), (long long)db_int(st, 9),
		db_int(st, 9) == 1 ? "child" : "children", TD);
	wait_cell(r, w);
	fmt_printf(&r->out, "<br><span class=\"govuk-body-s\">since %h</span></td>%s%h</td>%s%h</td>"
		"%s%h</td></tr>", day_of(r, db_text(st, 1)), TD, level_text(r, (int)db_int(st, 2)), TD,
		db_text(st, 5) ? db_text(st, 5) : source_title(db_text(st, 4)), TD,
		needs_text(r, db_text(st, 3)));
}

/* The success banner after a decision (?decided=R-…). */
static void decided_banner(struct req *r)
{
	const char *ref = req_query(r, "decided");
	int64_t id;
	if (!ref || referral_id_by_ref(r->db, ref, &id) != HE_OK)
		return;
	struct db_stmt *st = db_prepare(r->db,
		"SELECT r.status, c.id, w.name, r.signposted_to FROM referrals r"
		" LEFT JOIN cases c ON c.referral_id = r.id LEFT JOIN workers w ON w.id = c.worker_id"
		" WHERE r.id = :id AND r.status <> 'received'");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
			" role=\"alert\" aria-labelledby=\"decided-title\" data-module=\"govuk-notification-banner\">"
			"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
			" id=\"decided-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
			"<p class=\"govuk-notification-banner__heading\">%h: %h", ref,
			referral_status_title(db_text(st, 0)));
		if (!db_is_null(st, 1)) {
			const char *cref = ref_of(r, db_int(st, 1), case_ref);
			fmt_printf(&r->out, ". Case <a class=\"govuk-notification-banner__link\""
				" href=\"/cases/%u\">%h</a> allocated to %h", cref, cref, db_text(st, 2));
		} else if (db_text(st, 3)) {
			fmt_printf(&r->out, " to %h", db_text(st, 3));
		}
		fmt_printf(&r->out, ".</p></div></div>");
	}
	db_finalize(st);
}

int screening_page(struct req *r)
{
	page_begin(r, 200, "Screening");
	decided_banner(r);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Screening</h1><p class=\"govuk-body\">"
		"Referrals waiting for a decision, the longest waiting first. Open one to read it in"
		" full, see the suggested workers and decide.</p>");
	struct db_stmt *st = db_prepare(r->db, QUEUE_SQL);
	int n = 0;
	while (db_next(st)) {
		if (n++ == 0)
			fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"queue\"><caption"
				" class=\"govuk-table__caption govuk-table__caption--m\">Waiting for a decision"
				"</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
				"<th scope=\"col\" class=\"govuk-table__header\">Referral</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Family</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Waiting</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Level of need</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">School</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Needs</th></tr></thead>"
				"<tbody class=\"govuk-table__body\">");
		queue_row(r, st);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (n)
		fmt_printf(&r->out, "</tbody></table>");
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"queue-empty\">No referrals are waiting."
			"</p>");
	page_end(r);
	return req_audit(r, "view", "referrals", NULL,
			 arena_printf(&r->arena, "screening queue (%d referrals)", n));
}

int screening_api(struct req *r)
{
	req_json(r, 200);
	buf_puts(&r->out, "{\"referrals\":[");
	struct db_stmt *st = db_prepare(r->db, QUEUE_SQL);
	int n = 0;
	while (db_next(st)) {
		struct wait w = waiting(db_text(st, 1));
		fmt_printf(&r->out, "%s{\"ref\":%j,\"received_at\":%j,\"waiting_days\":%d,"
			"\"waiting_working_days\":%d,\"level_of_need\":%lld,\"needs\":%j,\"source\":%j,"
			"\"school\":%j,\"family\":{\"ref\":%j,\"name\":%j},\"children\":%lld,\"version\":%lld}",
			n++ ? "," : "", ref_of(r, db_int(st, 0), referral_ref), db_text(st, 1), w.days,
			w.working, (long long)db_int(st, 2), db_text(st, 3), db_text(st, 4),
			db_text(st, 5), db_text(st, 7), db_text(st, 6), (long long)db_int(st, 9),
			(long long)db_int(st, 8));
	}
	buf_puts(&r->out, "]}\n");
	int rc = db_finalize(st);
	if (rc)
		return rc;
	return req_audit(r, "view", "referrals", NULL,
			 arena_printf(&r->arena, "screening queue (%d referrals)", n));
}

/* ---- one referral ------------------------------------------------------------------ */

struct referral_view {
	int64_t id, family_id, school_id, version, case_id;
	const char *ref, *family_ref, *family_name, *address, *postcode, *language;
	const char *source, *school, *needs, *reason, *tried, *status, *received_at;
	const char *decided_at, *decision_note, *signposted_to, *referrer, *decider;
	const char *case_worker;
	int level;
};

static const char *dup(struct req *r, struct db_stmt *st, int col)
{
	return arena_strdup(&r->arena, db_text(st, col));
}

static int view_load(struct req *r, int64_t id, struct referral_view *v)
{
	memset(v, 0, sizeof *v);
	struct db_stmt *st = db_prepare(r->db,
		"SELECT r.family_id, coalesce(r.school_id, 0), r.version, f.ref, f.name, f.address,"
		" f.postcode, f.home_language, r.source, s.name, r.needs, r.reason, r.tried, r.status,"
		" r.received_at, r.decided_at, r.decision_note, r.signposted_to, u.name, d.name,"
		" r.level_of_need, coalesce(c.id, 0), w.name"
		" FROM referrals r JOIN families f ON f.id = r.family_id"
		" LEFT JOIN schools s ON s.id = r.school_id LEFT JOIN users u ON u.id = r.user_id"
		" LEFT JOIN users d ON d.id = r.decided_by LEFT JOIN cases c ON c.referral_id = r.id"
		" LEFT JOIN workers w ON w.id = c.worker_id WHERE r.id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		v->id = id;
		v->ref = ref_of(r, id, referral_ref);
		v->family_id = db_int(st, 0);
		v->school_id = db_int(st, 1);
		v->version = db_int(st, 2);
		v->family_ref = dup(r, st, 3);
		v->family_name = dup(r, st, 4);
		v->address = dup(r, st, 5);
		v->postcode = dup(r, st, 6);
		v->language = dup(r, st, 7);
		v->source = dup(r, st, 8);
		v->school = dup(r, st, 9);
		v->needs = dup(r, st, 10);
		v->reason = dup(r, st, 11);
		v->tried = dup(r, st, 12);
		v->status = dup(r, st, 13);
		v->received_at = dup(r, st, 14);
		v->decided_at = dup(r, st, 15);
		v->decision_note = dup(r, st, 16);
		v->signposted_to = dup(r, st, 17);
		v->referrer = dup(r, st, 18);
		v->decider = dup(r, st, 19);
		v->level = (int)db_int(st, 20);
		v->case_id = db_int(st, 21);
		v->case_worker = dup(r, st, 22);
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

static void row(struct req *r, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", key,
		value && *value ? value : "—");
}

static void summary_section(struct req *r, const struct referral_view *v)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">What the referrer said</h2>"
		"<dl class=\"govuk-summary-list\" id=\"referral-summary\">"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Received</dt>"
		"<dd class=\"govuk-summary-list__value\">%h. ", day_of(r, v->received_at));
	if (strcmp(v->status, "received") == 0)
		wait_cell(r, waiting(v->received_at));
	fmt_printf(&r->out, "</dd></div>");
	row(r, "Source", source_title(v->source));
	row(r, "Referring school", v->school);
	row(r, "Referred by", v->referrer);
	row(r, "Level of need", level_text(r, v->level));
	row(r, "Needs", needs_text(r, v->needs));
	row(r, "Reason for referral", v->reason);
	row(r, "What has been tried already", v->tried);
	fmt_printf(&r->out, "</dl>");
}

static void table_open(struct req *r, const char *id, const char *caption,
		       const char *const *heads, size_t n)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"%h\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%h</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", id, caption);
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header\">%h</th>", heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
}

static void cells(struct req *r, struct db_stmt *st, int from, int to)
{
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
	for (int c = from; c < to; c++)
		fmt_printf(&r->out, "%s%h</td>", TD, db_text(st, c) ? db_text(st, c) : "—");
	fmt_printf(&r->out, "</tr>");
}

/* The children of the referral, then their siblings: other children of the
 * family and pupils sharing a family_key with them. */
static int children_section(struct req *r, const struct referral_view *v)
{
	static const char *const heads[] = {"Name", "UPN", "Date of birth", "School"};
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Children</h2>");
	table_open(r, "children", "Children this referral is about", heads, 4);
	struct db_stmt *st = db_prepare(r->db,
		"SELECT p.forename || ' ' || p.surname, p.upn, p.dob, s.name FROM referral_pupils rp"
		" JOIN pupils p ON p.id = rp.pupil_id JOIN schools s ON s.id = rp.school_id"
		" WHERE rp.referral_id = :id ORDER BY p.dob, p.id");
	db_bind_int(st, ":id", v->id);
	while (db_next(st))
		cells(r, st, 0, 4);
	int rc = db_finalize(st);
	fmt_printf(&r->out, "</tbody></table>");
	if (rc)
		return rc;
	st = db_prepare(r->db,
		"SELECT m.name, p.upn, coalesce(m.dob, p.dob), s.name FROM family_members m"
		" LEFT JOIN pupils p ON p.id = m.pupil_id LEFT JOIN schools s ON s.id = p.school_id"
		" WHERE m.family_id = :f AND m.is_child = 1 AND (m.pupil_id IS NULL OR m.pupil_id NOT IN"
		"  (SELECT pupil_id FROM referral_pupils WHERE referral_id = :id))"
		" UNION SELECT q.forename || ' ' || q.surname, q.upn, q.dob, s2.name FROM pupils q"
		" JOIN schools s2 ON s2.id = q.school_id WHERE q.family_key IS NOT NULL AND q.family_key IN"
		"  (SELECT p2.family_key FROM referral_pupils rp2 JOIN pupils p2 ON p2.id = rp2.pupil_id"
		"   WHERE rp2.referral_id = :id)"
		" AND q.id NOT IN (SELECT pupil_id FROM referral_pupils WHERE referral_id = :id)"
		" AND q.id NOT IN (SELECT pupil_id FROM family_members WHERE family_id = :f"
		"  AND pupil_id IS NOT NULL) ORDER BY 3");
	db_bind_int(st, ":f", v->family_id);
	db_bind_int(st, ":id", v->id);
	int n = 0;
	while (db_next(st)) {
		if (n++ == 0)
			table_open(r, "siblings", "Siblings", heads, 4);
		cells(r, st, 0, 4);
	}
	if (n)
		fmt_printf(&r->out, "</tbody></table>");
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"siblings\">No siblings known.</p>");
	return db_finalize(st);
}

static int family_section(struct req *r, const struct referral_view *v)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Family</h2><dl class=\"govuk-summary-list\">");
	row(r, "Family", arena_printf(&r->arena, "%s (%s)", v->family_name, v->family_ref));
	row(r, "Address", v->address && *v->address ? arena_printf(&r->arena, "%s %s", v->address,
	    v->postcode ? v->postcode : "") : v->postcode);
	row(r, "Home language", v->language);
	fmt_printf(&r->out, "</dl>");
	static const char *const heads[] = {"Name", "Relationship", "Phone"};
	struct db_stmt *st = db_prepare(r->db,
		"SELECT name, relationship, phone FROM family_members WHERE family_id = :f"
		" AND is_child = 0 ORDER BY id");
	db_bind_int(st, ":f", v->family_id);
	int n = 0;
	while (db_next(st)) {
		if (n++ == 0)
			table_open(r, "adults", "Adults in the household", heads, 3);
		cells(r, st, 0, 3);
	}
	if (n)
		fmt_printf(&r->out, "</tbody></table>");
	return db_finalize(st);
}

/* The titles of a comma-separated list of consent scope codes (arena). */
static const char *scopes_text(struct req *r, const char *scopes)
{
	struct buf b;
	buf_init(&b, 4096);
	for (const char *p = scopes ? scopes : ""; *p; ) {
		size_t n = strcspn(p, ",");
		char *code = arena_strndup(&r->arena, p, n);
		const char *t = consent_scope_title(code);
		buf_printf(&b, "%s%s", b.len ? "; " : "", t && *t ? t : code);
		p += n + (p[n] ? 1 : 0);
	}
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

static int consent_section(struct req *r, const struct referral_view *v, bool *pool)
{
	int rc = consent_basis_active(r->db, v->family_id, "pool", pool);
	if (rc)
		return rc;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"consent\">Consent</h2>");
	if (!*pool)
		fmt_printf(&r->out, "<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\""
			" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\">"
			"<span class=\"govuk-visually-hidden\">Warning</span> Consent for the family support"
			" service has been withdrawn. The referral cannot be accepted until a new consent or"
			" lawful basis is recorded.</strong></div>");
	static const char *const heads[] = {"Basis", "Given by", "Covers", "Given on", "Withdrawn"};
	table_open(r, "consents", "Consent and lawful basis", heads, 5);
	struct db_stmt *st = db_prepare(r->db,
		"SELECT basis, given_by, given_by_relationship, scope, given_on, withdrawn_on,"
		" withdrawn_reason, lawful_basis_note FROM consents WHERE family_id = :f ORDER BY given_on, id");
	db_bind_int(st, ":f", v->family_id);
	while (db_next(st)) {
		bool consent = strcmp(db_text(st, 0), "consent") == 0;
		const char *by = consent ? arena_printf(&r->arena, "%s%s%s%s", db_text(st, 1),
			db_text(st, 2) ? " (" : "", db_text(st, 2) ? db_text(st, 2) : "",
			db_text(st, 2) ? ")" : "") : db_text(st, 7);
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s%h</td>%s%h</td>%s%h</td>%s%h</td>%s",
			TD, consent_basis_title(db_text(st, 0)), TD, by, TD,
			consent ? scopes_text(r, db_text(st, 3)) : "Everything (a lawful basis)", TD,
			db_text(st, 4), TD);
		if (db_text(st, 5))
			fmt_printf(&r->out, "<strong class=\"govuk-tag govuk-tag--red\">Withdrawn</strong>"
				" %h: %h", db_text(st, 5), db_text(st, 6));
		else
			fmt_printf(&r->out, "<strong class=\"govuk-tag govuk-tag--green\">Active</strong>");
		fmt_printf(&r->out, "</td></tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
	return db_finalize(st);
}

/* The family's other referrals and its cases. */
static int history_section(struct req *r, const struct referral_view *v)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">History of the family</h2>");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT r.id, substr(r.received_at, 1, 10), r.status, coalesce(s.name, r.source),"
		" r.needs, coalesce(c.id, 0), w.name, c.status, c.opened_on, c.closed_on, c.closure_reason"
		" FROM referrals r LEFT JOIN schools s ON s.id = r.school_id"
		" LEFT JOIN cases c ON c.referral_id = r.id LEFT JOIN workers w ON w.id = c.worker_id"
		" WHERE r.family_id = :f AND r.id <> :id ORDER BY r.received_at DESC, r.id DESC");
	db_bind_int(st, ":f", v->family_id);
	db_bind_int(st, ":id", v->id);
	static const char *const heads[] = {"Referral", "Received", "From", "Needs", "Outcome", "Case"};
	int n = 0;
	while (db_next(st)) {
		if (n++ == 0)
			table_open(r, "history", "Earlier referrals and cases", heads, 6);
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s%h</td>%s%h</td>%s%h</td>%s%h</td>"
			"%s%h</td>%s", TD, ref_of(r, db_int(st, 0), referral_ref), TD, db_text(st, 1), TD,
			db_text(st, 3), TD, needs_text(r, db_text(st, 4)), TD,
			referral_status_title(db_text(st, 2)), TD);
		if (db_int(st, 5)) {
			const char *cref = ref_of(r, db_int(st, 5), case_ref);
			fmt_printf(&r->out, "<a class=\"govuk-link\" href=\"/cases/%u\">%h</a>: %h, %h from %h",
				cref, cref, db_text(st, 6), db_text(st, 7), db_text(st, 8));
			if (db_text(st, 9))
				fmt_printf(&r->out, " to %h (%h)", db_text(st, 9),
					   db_text(st, 10) ? db_text(st, 10) : "");
		} else {
			fmt_printf(&r->out, "—");
		}
		fmt_printf(&r->out, "</td></tr>");
	}
	if (n)
		fmt_printf(&r->out, "</tbody></table>");
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"history\">No earlier referrals or cases"
			" for this family.</p>");
	return db_finalize(st);
}

/* ---- suggestions and the decision forms -------------------------------------------- */

static void suggestion_row(struct req *r, const struct suggestion *s, size_t rank)
{
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s%zu</td>%s<a class=\"govuk-link\""
		" href=\"/workers/%lld\">%h</a></td>%s%d of %d weighted places used"
		"<br><span class=\"govuk-body-s\">%d open %s</span></td>%s<ul class=\"govuk-list"
		" govuk-body-s hearth-reasons\">", TD, rank, TD, (long long)s->worker_id, s->name, TD,
		s->load.weighted, s->load.capacity, s->load.open_cases,
		s->load.open_cases == 1 ? "case" : "cases", TD);
	for (const char *p = s->reasons; *p; ) {
		size_t n = strcspn(p, ";");
		fmt_printf(&r->out, "<li>%h</li>", arena_strndup(&r->arena, p, n));
		p += n;
		while (*p == ';' || *p == ' ')
			p++;
	}
	fmt_printf(&r->out, "</ul></td><td class=\"govuk-table__cell govuk-table__cell--numeric\">%d"
		"</td></tr>", s->score);
}

static void suggestions_section(struct req *r, const struct suggestion *s, size_t n)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Suggested workers</h2><p class=\"govuk-body\">"
		"Ranked by free capacity, links to the school and district, skills for the needs, the"
		" family's language and earlier work with the family or school. Each line says why. You"
		" may allocate anyone.</p>");
	if (n == 0) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"suggestions\">There are no active workers"
			" in the pool. <a class=\"govuk-link\" href=\"/workers/new\">Add a worker</a>.</p>");
		return;
	}
	fmt_printf(&r->out, "<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"Suggested"
		" workers\" tabindex=\"0\"><table class=\"govuk-table hearth-table--small\" id=\"suggestions\">"
		"<caption class=\"govuk-table__caption govuk-visually-hidden\">Suggested workers, best first"
		"</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
		"<th scope=\"col\" class=\"govuk-table__header\">Rank</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Worker</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Load</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Why</th>"
		"<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Score</th>"
		"</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		suggestion_row(r, &s[i], i + 1);
	fmt_printf(&r->out, "</tbody></table></div>");
}

/* The id of the form element a decision's error field points at. */
static const char *error_target(const char *decision, const char *field)
{
	if (strcmp(field, "note") == 0 && decision) {
		if (strcmp(decision, "accept") == 0)
			return "accept-note";
		if (strcmp(decision, "signpost") == 0)
			return "signpost-note";
		if (strcmp(decision, "decline") == 0)
			return "decline-note";
		if (strcmp(decision, "step_up") == 0)
			return "step_up-note";
	}
	if (strcmp(field, "version") == 0 || strcmp(field, "decision") == 0 ||
	    strcmp(field, "on_date") == 0)
		return "decision";
	return field;
}

static void form_open(struct req *r, const struct referral_view *v, const char *decision,
		      const char *title)
{
	fmt_printf(&r->out, "<form method=\"post\" action=\"/screening/%u\" novalidate"
		" id=\"form-%h\"><fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--s\">%h</legend>", v->ref, decision, title);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"decision\" value=\"%h\">"
		"<input type=\"hidden\" name=\"version\" value=\"%lld\">", decision, (long long)v->version);
}

static void textarea(struct req *r, const char *id, const char *name, const char *label,
		     const char *hint, const struct errinfo *e)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"%h</label>", page_group_class(e, id), id, label);
	if (hint)
		fmt_printf(&r->out, "<div class=\"govuk-hint\" id=\"%h-hint\">%h</div>", id, hint);
	page_field_error(r, e, id);
	bool bad = e && e->code && strcmp(e->field, id) == 0;
	const char *posted = bad || (e && e->code) ? req_form(r, name) : NULL;
	const char *dec = req_form(r, "decision");
	if (posted && dec && strncmp(id, dec, strlen(dec)) != 0 && strcmp(name, "note") == 0)
		posted = NULL;   /* only the form that was posted keeps its text */
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea%s\" id=\"%h\" name=\"%h\" rows=\"3\"%s%h%s>"
		"%h</textarea></div>", bad ? " govuk-textarea--error" : "", id, name,
		hint ? " aria-describedby=\"" : "", hint ? arena_printf(&r->arena, "%s-hint", id) : "",
		hint ? "\"" : "", posted ? posted : "");
}

static void worker_select(struct req *r, const struct suggestion *s, size_t n, const struct errinfo *e)
{
	const char *posted = req_form(r, "worker_id");
	int64_t chosen = posted ? strtoll(posted, NULL, 10) : n ? s[0].worker_id : 0;
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"worker_id\">"
		"Worker</label><div class=\"govuk-hint\" id=\"worker_id-hint\">The best suggestion is"
		" selected. Their load is shown as weighted places used.</div>",
		page_group_class(e, "worker_id"));
	page_field_error(r, e, "worker_id");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"worker_id\" name=\"worker_id\""
		" aria-describedby=\"worker_id-hint\">");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<option value=\"%lld\"%s>%h (%d of %d used)</option>",
			   (long long)s[i].worker_id, s[i].worker_id == chosen ? " selected" : "",
			   s[i].name, s[i].load.weighted, s[i].load.capacity);
	fmt_printf(&r->out, "</select></div>");
}

static void accept_form(struct req *r, const struct referral_view *v, const struct suggestion *s,
			size_t n, const struct errinfo *e)
{
	form_open(r, v, "accept", "Accept and allocate a worker");
	worker_select(r, s, n, e);
	const char *cur = req_form(r, "intensity");
	static const char *const titles[] = {"", "Light (weight 1)", "Standard (weight 2)",
					     "Intensive (weight 3)"};
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"intensity\">"
		"Intensity</label>", page_group_class(e, "intensity"));
	page_field_error(r, e, "intensity");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"intensity\" name=\"intensity\">");
	for (int i = 1; i <= 3; i++)
		fmt_printf(&r->out, "<option value=\"%d\"%s>%h</option>", i,
			   (cur ? atoi(cur) == i : i == 2) ? " selected" : "", titles[i]);
	fmt_printf(&r->out, "</select></div><div class=\"govuk-form-group%s\">",
		   page_group_class(e, "override_capacity"));
	page_field_error(r, e, "override_capacity");
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes govuk-checkboxes--small\" data-module=\"govuk-checkboxes\">"
		"<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\""
		" id=\"override_capacity\" name=\"override_capacity\" type=\"checkbox\" value=\"1\"%s>"
		"<label class=\"govuk-label govuk-checkboxes__label\" for=\"override_capacity\">Allocate"
		" beyond the worker's capacity (give the reason below)</label></div></div></div>",
		req_form(r, "override_capacity") ? " checked" : "");
	textarea(r, "accept-note", "note", "Note (optional; required beyond capacity)", NULL, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" id=\"accept\">Accept and"
		" allocate</button></fieldset></form>");
}

static void other_forms(struct req *r, const struct referral_view *v, const struct errinfo *e)
{
	form_open(r, v, "signpost", "Signpost elsewhere");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\""
		" for=\"signposted_to\">Where to</label>", page_group_class(e, "signposted_to"));
	page_field_error(r, e, "signposted_to");
	const char *to = req_form(r, "signposted_to");
	fmt_printf(&r->out, "<input class=\"govuk-input\" id=\"signposted_to\" name=\"signposted_to\""
		" type=\"text\" value=\"%h\"></div>", to ? to : "");
	textarea(r, "signpost-note", "note", "Note (optional)", NULL, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" id=\"signpost\">Signpost</button></fieldset></form>");
	form_open(r, v, "decline", "Decline");
	textarea(r, "decline-note", "note", "Reason for declining", NULL, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" id=\"decline\">Decline</button></fieldset></form>");
	form_open(r, v, "step_up", "Step up to children's social care");
	textarea(r, "step_up-note", "note", "Reason for stepping up",
		 "For a child at risk of significant harm: refer to children's social care now as well.", e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--warning\""
		" id=\"step_up\">Step up</button></fieldset></form>");
}

static void outcome_section(struct req *r, const struct referral_view *v)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"decision\">Decision</h2>"
		"<dl class=\"govuk-summary-list\" id=\"outcome\">");
	row(r, "Outcome", referral_status_title(v->status));
	row(r, "Decided", v->decided_at ? arena_printf(&r->arena, "%.10s by %s", v->decided_at,
	    v->decider ? v->decider : "the system") : NULL);
	if (v->signposted_to)
		row(r, "Signposted to", v->signposted_to);
	row(r, "Note", v->decision_note);
	if (v->case_id) {
		const char *cref = ref_of(r, v->case_id, case_ref);
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"Case</dt><dd class=\"govuk-summary-list__value\"><a class=\"govuk-link\""
			" href=\"/cases/%u\">%h</a>, allocated to %h</dd></div>", cref, cref, v->case_worker);
	}
	fmt_printf(&r->out, "</dl>");
}

/* The whole referral page with status and, if e is set, its error. */
static int referral_render(struct req *r, int64_t id, int status, struct errinfo *e)
{
	struct referral_view v;
	int rc = view_load(r, id, &v);
	if (rc)
		return rc;
	struct suggestion *s = NULL;
	size_t n = 0;
	bool open = strcmp(v.status, "received") == 0, pool = false;
	if (open && (rc = allocate_suggest(r->db, &r->arena, id, &s, &n, &r->err)))
		return rc;
	struct errinfo shown = {0};
	if (e && e->code) {
		shown = *e;
		snprintf(shown.field, sizeof shown.field, "%s",
			 error_target(req_form(r, "decision"), e->field));
	}
	page_begin(r, status, arena_printf(&r->arena, "%sReferral %s", shown.code ? "Error: " : "", v.ref));
	page_error_summary(r, &shown);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h · %h</span><h1 class=\"govuk-heading-l\">"
		"Referral %h</h1><p class=\"govuk-body\"><strong class=\"govuk-tag\">%h</strong></p>",
		v.family_name, v.family_ref, v.ref, referral_status_title(v.status));
	summary_section(r, &v);
	if ((rc = children_section(r, &v)) || (rc = family_section(r, &v)) ||
	    (rc = consent_section(r, &v, &pool)) || (rc = history_section(r, &v)))
		return rc;
	if (open) {
		suggestions_section(r, s, n);
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"decision\">Decision</h2>");
		accept_form(r, &v, s, n, &shown);
		other_forms(r, &v, &shown);
	} else {
		outcome_section(r, &v);
	}
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/screening\">Back to"
		" the screening queue</a></p>");
	page_end(r);
	return HE_OK;
}

int screening_referral_page(struct req *r)
{
	int64_t id = 0;
	int rc = referral_from_path(r, &id);
	if (rc)
		return rc;
	rc = referral_render(r, id, 200, NULL);
	if (rc)
		return rc;
	return req_audit(r, "view", "referrals", arena_printf(&r->arena, "%lld", (long long)id),
			 arena_printf(&r->arena, "screening view of %s", req_param(r, 0)));
}

/* A whole number from text, or fallback when absent/blank; -1 when bad. */
static int64_t number(const char *s, int64_t fallback)
{
	if (!s || !*s)
		return fallback;
	char *end;
	long long v = strtoll(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

int screening_decide_page(struct req *r)
{
	int64_t id = 0;
	int rc = referral_from_path(r, &id);
	if (rc)
		return rc;
	const struct scope *s = req_scope(r);
	struct decision_in in = {
		.decision = req_form(r, "decision"),
		.version = number(req_form(r, "version"), -1),
		.worker_id = number(req_form(r, "worker_id"), 0),
		.intensity = (int)number(req_form(r, "intensity"), 0),
		.override_capacity = req_form(r, "override_capacity") != NULL,
		.signposted_to = req_form(r, "signposted_to"),
		.note = req_form(r, "note"),
	};
	struct errinfo e = {0};
	int64_t case_id = 0;
	rc = referral_decide(r->db, s, id, &in, &case_id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/screening?decided=%s", req_param(r, 0)));
	if (rc >= HE_DB || rc == HE_FORBIDDEN || rc == HE_NOT_FOUND || rc == HE_INTERNAL) {
		r->err = e;
		return rc;
	}
	return referral_render(r, id, err_http_status(rc), &e);
}

/* ---- API ----------------------------------------------------------------------------- */

int suggestions_api(struct req *r)
{
	int64_t id = 0;
	int rc = referral_from_path(r, &id);
	if (rc)
		return rc;
	struct suggestion *s;
	size_t n;
	if ((rc = allocate_suggest(r->db, &r->arena, id, &s, &n, &r->err)))
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"referral\":%j,\"suggestions\":[", req_param(r, 0));
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"rank\":%zu,\"worker_id\":%lld,\"name\":%j,\"score\":%d,"
			"\"load\":{\"open_cases\":%d,\"weighted\":%d,\"capacity\":%d},\"reasons\":%j}",
			i ? "," : "", i + 1, (long long)s[i].worker_id, s[i].name, s[i].score,
			s[i].load.open_cases, s[i].load.weighted, s[i].load.capacity, s[i].reasons);
	buf_puts(&r->out, "]}\n");
	return req_audit(r, "view", "referrals", arena_printf(&r->arena, "%lld", (long long)id),
			 arena_printf(&r->arena, "allocation suggestions for %s", req_param(r, 0)));
}

/* A JSON integer member, or fallback when absent; -1 when not an integer. */
static int64_t json_int_member(json_t *j, const char *key, int64_t fallback)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return fallback;
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

int decision_api(struct req *r)
{
	int64_t id = 0;
	int rc = referral_from_path(r, &id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	json_t *ov = json_object_get(j, "override_capacity");
	struct decision_in in = {
		.decision = json_str(j, "decision"),
		.version = json_int_member(j, "version", -1),
		.worker_id = json_int_member(j, "worker_id", 0),
		.intensity = (int)json_int_member(j, "intensity", 0),
		.override_capacity = ov && json_is_true(ov),
		.signposted_to = json_str(j, "signposted_to"),
		.note = json_str(j, "note"),
	};
	int64_t case_id = 0;
	rc = referral_decide(r->db, req_scope(r), id, &in, &case_id, &r->err);
	if (rc == HE_OK) {
		struct referral_view v;
		if ((rc = view_load(r, id, &v))) {
			json_decref(j);
			return rc;
		}
		req_json(r, 200);
		fmt_printf(&r->out, "{\"referral\":{\"ref\":%j,\"status\":%j,\"version\":%lld},\"case\":",
			   v.ref, v.status, (long long)v.version);
		if (case_id)
			fmt_printf(&r->out, "{\"ref\":%j}", ref_of(r, case_id, case_ref));
		else
			buf_puts(&r->out, "null");
		buf_puts(&r->out, "}\n");
	}
	json_decref(j);
	return rc;
}
