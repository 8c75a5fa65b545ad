/* caseload_web.c — the worker's caseload and their calendar feed.
 *
 * GET /caseload (and /api/v1/caseload) lists the open cases the signed-in
 * worker leads, and those of a colleague they cover today (marked), each
 * with its next review (overdue ones first, in red, with the days
 * overdue), the last contact and the next planned visit, under a summary
 * of the weighted load against capacity; then the planned visits of the
 * next fortnight (and earlier ones not yet recorded as held).
 *
 * The calendar feed.  POST /account/calendar makes a new secret token
 * (replacing any earlier one, which stops working) and shows it once as
 * the address to paste into a calendar client; only its SHA-256 is kept
 * (workers.ical_token).  GET /calendar/{token}.ics is public — the token
 * is the credential — and answers an iCalendar feed (core/ical.h) of the
 * worker's planned visits, audited as a "view" by that worker.  The feed
 * says what, when and where ("Home visit — F-000123 Khan family", the
 * place), never case notes or who is to be seen.  An unknown token is
 * 404.  The route pattern is /calendar/{token} because the route matcher
 * reads a parameter to the next '/': the handler requires the ".ics". */
#include <stdio.h>
#include <string.h>
#include <time.h>


#include "base/date.h"
#include "base/fmt.h"
#include "base/sha256.h"
#include "core/auth.h"
#include "core/case.h"
#include "core/consent.h"
#include "core/ical.h"
#include "core/taf.h"
#include "core/plan.h"
#include "core/worker.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define VISITS_AHEAD 14    /* days of planned visits on the caseload page */
#define VISITS_BEHIND 14   /* earlier planned visits still to record */
#define FEED_BEHIND 30     /* days of past visits kept in the feed */

/* One open case on the caseload. */
struct load_row {
	const char *ref, *family_ref, *family_name, *worker_name, *school;
	const char *next_review, *last_contact, *next_visit;
	int64_t family_id;
	int intensity, overdue_days;   /* overdue_days > 0: the review is late */
	bool covering, consent_active;
};

/* One planned visit. */
struct visit_row {
	const char *at, *kind, *place, *ref, *family_ref, *family_name;
	int duration_min;
	bool covering;
};

struct caseload {
	struct load_row *rows;
	size_t n, overdue, covering;
	struct visit_row *visits;
	size_t nvisits;
	struct worker_load load;
};

/* Open cases of worker :me, or of a colleague :me covers today. */
#define MINE_OR_COVERED \
	" (c.worker_id = :me OR c.worker_id IN (SELECT v.for_worker_id FROM worker_covers v" \
	" WHERE v.worker_id = :me AND v.starts_on <= :today AND v.ends_on >= :today))"

#define CASELOAD_SQL \
	"SELECT c.ref, f.ref, f.name, w.name, s.name, c.next_review_on," \
	" (SELECT max(k.at) FROM contacts k WHERE k.case_id = c.id AND k.planned = 0)," \
	" (SELECT min(k.at) FROM contacts k WHERE k.case_id = c.id AND k.planned = 1" \
	"  AND k.at >= :now), c.intensity, c.worker_id <> :me, f.id" \
	" FROM cases c JOIN families f ON f.id = c.family_id JOIN workers w ON w.id = c.worker_id" \
	" JOIN referrals r ON r.id = c.referral_id LEFT JOIN schools s ON s.id = r.school_id" \
	" WHERE c.status = 'open' AND" MINE_OR_COVERED \
	" ORDER BY CASE WHEN c.next_review_on < :today THEN 0 ELSE 1 END," \
	" coalesce(c.next_review_on, '9999-12-31'), c.id"

#define VISITS_SQL \
	"SELECT k.at, k.kind, k.place, k.duration_min, c.ref, f.ref, f.name, c.worker_id <> :me" \
	" FROM contacts k JOIN cases c ON c.id = k.case_id JOIN families f ON f.id = c.family_id" \
	" WHERE k.planned = 1 AND k.at >= :from AND k.at < :until AND c.status = 'open' AND" \
	MINE_OR_COVERED " ORDER BY k.at, k.id"

static char *dup(struct req *r, struct db_stmt *st, int col)
{
	return arena_strdup(&r->arena, db_text(st, col));
}

/* Today as "YYYY-MM-DD" and now as local "YYYY-MM-DDTHH:MM" (the form
 * contacts are stored in: Europe/London wall-clock time). */
static void now_local(char today[11], char now[17])
{
	ical_london_now(time(NULL), now);
	memcpy(today, now, 10);
	today[10] = '\0';
}

static int days_between(const char *from, const char *to)
{
	hday a, b;
	if (!from || !to || !date_parse(from, &a) || !date_parse(to, &b))
		return 0;
	return (int)(b - a);
}

static int load_rows(struct req *r, int64_t me, struct caseload *cl)
{
	char today[11], now[17];
	now_local(today, now);
	size_t cap = 32;
	cl->rows = arena_alloc(&r->arena, cap * sizeof *cl->rows);
	struct db_stmt *st = db_prepare(r->db, CASELOAD_SQL);
	db_bind_int(st, ":me", me);
	db_bind_text(st, ":today", today);
	db_bind_text(st, ":now", now);
	while (db_next(st)) {
		if (cl->n == cap) {
			struct load_row *more = arena_alloc(&r->arena, 2 * cap * sizeof *more);
			memcpy(more, cl->rows, cap * sizeof *more);
			cl->rows = more, cap *= 2;
		}
		struct load_row *w = &cl->rows[cl->n++];
		w->ref = dup(r, st, 0), w->family_ref = dup(r, st, 1), w->family_name = dup(r, st, 2);
		w->worker_name = dup(r, st, 3), w->school = dup(r, st, 4);
		w->next_review = dup(r, st, 5), w->last_contact = dup(r, st, 6);
		w->next_visit = dup(r, st, 7);
		w->intensity = (int)db_int(st, 8);
		w->covering = db_int(st, 9) != 0;
		w->family_id = db_int(st, 10);
		w->overdue_days = w->next_review ? days_between(w->next_review, today) : 0;
		cl->overdue += w->overdue_days > 0;
		cl->covering += w->covering;
	}
	return db_finalize(st);
}

static int load_visits(struct req *r, int64_t me, struct caseload *cl)
{
	char today[11], now[17], from[11], until[11];
	hday t;
	now_local(today, now);
	date_parse(today, &t);
	date_format(t - VISITS_BEHIND, from);
	date_format(t + VISITS_AHEAD, until);
	size_t cap = 32;
	cl->visits = arena_alloc(&r->arena, cap * sizeof *cl->visits);
	struct db_stmt *st = db_prepare(r->db, VISITS_SQL);
	db_bind_int(st, ":me", me);
	db_bind_text(st, ":today", today);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":until", until);
	while (db_next(st)) {
		if (cl->nvisits == cap) {
			struct visit_row *more = arena_alloc(&r->arena, 2 * cap * sizeof *more);
			memcpy(more, cl->visits, cap * sizeof *more);
			cl->visits = more, cap *= 2;
		}
		struct visit_row *v = &cl->visits[cl->nvisits++];
		v->at = dup(r, st, 0), v->kind = dup(r, st, 1), v->place = dup(r, st, 2);
		v->duration_min = (int)db_int(st, 3);
		v->ref = dup(r, st, 4), v->family_ref = dup(r, st, 5), v->family_name = dup(r, st, 6);
		v->covering = db_int(st, 7) != 0;
	}
	return db_finalize(st);
}

/* The caseload of the signed-in worker, audited as one "view".  A user
 * with no worker profile gets an empty caseload (and the audit row). */
static int caseload_load(struct req *r, struct caseload *cl, bool *has_profile)
{
	memset(cl, 0, sizeof *cl);
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	*has_profile = s->worker_id > 0;
	if (!*has_profile)
		return req_audit(r, "view", "cases", NULL, "caseload: no worker profile");
	int rc = load_rows(r, s->worker_id, cl);
	if (!rc)
		rc = load_visits(r, s->worker_id, cl);
	if (!rc)
		rc = worker_load(r->db, s->worker_id, &cl->load);
	for (size_t i = 0; !rc && i < cl->n; i++)
		rc = consent_basis_active(r->db, cl->rows[i].family_id, "pool",
					  &cl->rows[i].consent_active);
	if (rc)
		return rc;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)s->worker_id);
	return req_audit(r, "view", "workers", id, arena_printf(&r->arena,
			 "caseload: %zu open cases (%zu covering), %zu reviews overdue",
			 cl->n, cl->covering, cl->overdue));
}

/* ---- the page ------------------------------------------------------------- */

static const char *const weekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	"Aug", "Sep", "Oct", "Nov", "Dec"};

/* "Thu 26 Nov 2026" for "2026-11-26", with ", 10:00" when at has a time;
 * "—" for none. */
static const char *when(struct req *r, const char *at)
{
	char date[11];
	hday d;
	int y, m, dd;
	if (!at || strlen(at) < 10)
		return "—";
	memcpy(date, at, 10);
	date[10] = '\0';
	if (!date_parse(date, &d))
		return at;
	date_to_ymd(d, &y, &m, &dd);
	return arena_printf(&r->arena, "%s %d %s %d%s%.5s", weekdays[date_weekday(d)], dd,
			    months[m - 1], y, strlen(at) >= 16 ? ", " : "",
			    strlen(at) >= 16 ? at + 11 : "");
}

static void summary_line(struct req *r, const struct caseload *cl)
{
	fmt_printf(&r->out, "<p class=\"govuk-body-l\" id=\"caseload-summary\">%zu open case%s",
		   cl->n, cl->n == 1 ? "" : "s");
	if (cl->covering)
		fmt_printf(&r->out, " (%zu covering for a colleague)", cl->covering);
	fmt_printf(&r->out, " &middot; weighted load %d of %d places &middot; ",
		   cl->load.weighted, cl->load.capacity);
	if (cl->overdue)
		fmt_printf(&r->out, "<strong class=\"hearth-overdue\">%zu review%s overdue</strong>",
			   cl->overdue, cl->overdue == 1 ? "" : "s");
	else
		fmt_printf(&r->out, "no reviews overdue");
	fmt_printf(&r->out, "</p>");
}

static void review_cell(struct req *r, const struct load_row *w)
{
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h", when(r, w->next_review));
	if (w->overdue_days > 0)
		fmt_printf(&r->out, "<br><strong class=\"govuk-tag govuk-tag--red\">Overdue by %d day%s"
			   "</strong>", w->overdue_days, w->overdue_days == 1 ? "" : "s");
	fmt_printf(&r->out, "</td>");
}

static void case_row(struct req *r, const struct load_row *w)
{
	fmt_printf(&r->out, "<tr class=\"govuk-table__row%s\"><th scope=\"row\" class=\"govuk-table__header\">"
		"<a class=\"govuk-link\" href=\"/cases/%u\">%h</a><br><span class=\"govuk-body-s\">%h %h</span>",
		w->overdue_days > 0 ? " hearth-row--overdue" : "", w->ref, w->ref, w->family_ref,
		w->family_name);
	if (w->covering)
		fmt_printf(&r->out, "<br><strong class=\"govuk-tag govuk-tag--yellow\">Covering for %h</strong>",
			   w->worker_name);
	if (!w->consent_active)
		fmt_printf(&r->out, "<br><strong class=\"govuk-tag govuk-tag--orange\">Consent withdrawn</strong>");
	fmt_printf(&r->out, "</th><td class=\"govuk-table__cell\">%h</td>", w->school ? w->school : "—");
	review_cell(r, w);
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td>"
		"<td class=\"govuk-table__cell govuk-table__cell--numeric\">%d</td></tr>",
		when(r, w->last_contact), when(r, w->next_visit), w->intensity);
}

static void cases_table(struct req *r, const struct caseload *cl)
{
	if (!cl->n) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">You have no open cases.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"caseload\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--m\">Open cases, overdue reviews first</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th(r, "Case");
	page_th(r, "School");
	page_th(r, "Next review");
	page_th(r, "Last contact");
	page_th(r, "Next visit");
	fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">"
		"Weight</th></tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < cl->n; i++)
		case_row(r, &cl->rows[i]);
	fmt_printf(&r->out, "</tbody></table>");
}

static void visits_table(struct req *r, const struct caseload *cl)
{
	char today[11], now[17];
	now_local(today, now);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"visits\">Planned visits</h2>");
	if (!cl->nvisits) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No visits planned in the next %d days.</p>",
			   VISITS_AHEAD);
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"planned-visits\"><caption class=\""
		"govuk-table__caption govuk-visually-hidden\">Planned visits of the next %d days</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">", VISITS_AHEAD);
	page_th(r, "When");
	page_th(r, "What");
	page_th(r, "Family");
	page_th(r, "Where");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < cl->nvisits; i++) {
		const struct visit_row *v = &cl->visits[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h",
			   when(r, v->at));
		if (strcmp(v->at, now) < 0)
			fmt_printf(&r->out, "<br><strong class=\"govuk-tag govuk-tag--orange\">To record"
				   "</strong>");
		fmt_printf(&r->out, "</td><td class=\"govuk-table__cell\">%h (%d min)</td>"
			"<td class=\"govuk-table__cell\"><a class=\"govuk-link\" href=\"/cases/%u\">%h</a> %h%s</td>"
			"<td class=\"govuk-table__cell\">%h</td></tr>", contact_kind_title(v->kind),
			v->duration_min, v->ref, v->family_ref, v->family_name,
			v->covering ? " (covering)" : "", *v->place ? v->place : "—");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static bool worker_has_feed(struct req *r, int64_t worker_id)
{
	struct db_stmt *st = db_prepare(r->db,
		"SELECT ical_token IS NOT NULL FROM workers WHERE id = :id");
	db_bind_int(st, ":id", worker_id);
	bool yes = db_next(st) && db_int(st, 0);
	db_finalize(st);
	return yes;
}

static void calendar_section(struct req *r, int64_t worker_id)
{
	bool has = worker_has_feed(r, worker_id);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"calendar\">Calendar feed</h2>"
		"<p class=\"govuk-body\">See your planned visits in Outlook, Google Calendar or Apple"
		" Calendar. The feed shows the time, the family's reference and surname and the place;"
		" never case notes.</p>");
	if (has)
		fmt_printf(&r->out, "<p class=\"govuk-body\">Your calendar feed is set up. If you have lost"
			" its address, make a new one: the old address will stop working.</p>");
	fmt_printf(&r->out, "<form method=\"post\" action=\"/account/calendar\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button%s\" data-module=\"govuk-button\">"
		"%s</button></form>", has ? " govuk-button--secondary" : "",
		has ? "Make a new calendar address" : "Set up calendar feed");
}

/* The plan's actions past due on the worker's open cases (plan.h). */
static void overdue_actions(struct req *r, int64_t worker_id)
{
	struct plan_overdue *o = NULL;
	size_t n = 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"overdue-actions\">Overdue actions</h2>");
	if (plan_overdue_actions(r->db, &r->arena, worker_id, 0, &o, &n) || !n) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No actions in your families' plans are overdue.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"overdue-actions-table\"><caption class=\""
		"govuk-table__caption govuk-visually-hidden\">Actions past their due date, most overdue first"
		"</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th(r, "Family");
	page_th(r, "Action");
	page_th(r, "Who");
	page_th(r, "Due by");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<tr class=\"govuk-table__row hearth-row--overdue\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"/cases/%u#action-%lld\">%h</a> %h</td><td class=\"govuk-table__cell\">"
			"%h</td><td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h<br><strong"
			" class=\"govuk-tag govuk-tag--red\">Overdue by %d day%s</strong></td></tr>", o[i].case_ref,
			(long long)o[i].action_id, o[i].case_ref, o[i].family_name, o[i].description, o[i].owner_name,
			when(r, o[i].due_on), o[i].days, o[i].days == 1 ? "" : "s");
	fmt_printf(&r->out, "</tbody></table>");
}

int caseload_page(struct req *r)
{
	struct caseload cl;
	bool has_profile;
	int rc = caseload_load(r, &cl, &has_profile);
	if (rc)
		return rc;
	page_begin(r, 200, "My caseload");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">My caseload</h1>");
	if (!has_profile) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">Your sign-in is not linked to a worker in the"
			" pool, so no cases can be allocated to you. Ask the pool coordinator to link it.</p>");
		page_end(r);
		return HE_OK;
	}
	summary_line(r, &cl);
	cases_table(r, &cl);
	overdue_actions(r, req_scope(r)->worker_id);
	visits_table(r, &cl);
	calendar_section(r, req_scope(r)->worker_id);
	page_end(r);
	return HE_OK;
}

int caseload_api(struct req *r)
{
	struct caseload cl;
	bool has_profile;
	int rc = caseload_load(r, &cl, &has_profile);
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"worker\":%s,\"open_cases\":%zu,\"covering\":%zu,\"overdue_reviews\":%zu,"
		"\"load\":{\"weighted\":%d,\"capacity\":%d},\"cases\":[", has_profile ? "true" : "false",
		cl.n, cl.covering, cl.overdue, cl.load.weighted, cl.load.capacity);
	for (size_t i = 0; i < cl.n; i++) {
		const struct load_row *w = &cl.rows[i];
		fmt_printf(&r->out, "%s{\"ref\":%j,\"family\":{\"ref\":%j,\"name\":%j},\"school\":%j,"
			"\"worker\":%j,\"covering\":%s,\"consent_active\":%s,\"intensity\":%d,"
			"\"next_review_on\":%j,\"overdue_days\":%d,\"last_contact\":%j,\"next_visit\":%j}",
			i ? "," : "", w->ref, w->family_ref, w->family_name, w->school, w->worker_name,
			w->covering ? "true" : "false", w->consent_active ? "true" : "false",
			w->intensity, w->next_review, w->overdue_days > 0 ? w->overdue_days : 0,
			w->last_contact, w->next_visit);
	}
	fmt_printf(&r->out, "],\"visits\":[");
	for (size_t i = 0; i < cl.nvisits; i++) {
		const struct visit_row *v = &cl.visits[i];
		fmt_printf(&r->out, "%s{\"at\":%j,\"kind\":%j,\"duration_min\":%d,\"place\":%j,"
			"\"case\":%j,\"family\":{\"ref\":%j,\"name\":%j},\"covering\":%s}", i ? "," : "",
			v->at, v->kind, v->duration_min, v->place, v->ref, v->family_ref,
			v->family_name, v->covering ? "true" : "false");
	}
	struct plan_overdue *o = NULL;
	size_t no = 0;
	if (has_profile && (rc = plan_overdue_actions(r->db, &r->arena, req_scope(r)->worker_id, 0, &o, &no)))
		return rc;
	fmt_printf(&r->out, "],\"overdue_actions\":[");
	for (size_t i = 0; i < no; i++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"case\":%j,\"family\":%j,\"description\":%j,"
			"\"owner_kind\":%j,\"owner\":%j,\"due_on\":%j,\"overdue_days\":%d}", i ? "," : "",
			(long long)o[i].action_id, o[i].case_ref, o[i].family_name, o[i].description,
			o[i].owner_kind, o[i].owner_name, o[i].due_on, o[i].days);
	fmt_printf(&r->out, "]}");
	return HE_OK;
}

/* ---- making the feed's token ---------------------------------------------- */

static void token_hash(const char *token, char out[65])
{
	sha256_hex(token, strlen(token), out);
}

/* A new token for the worker, its hash stored and audited in one
 * transaction.  token gets the secret (shown once). */
static int token_make(struct req *r, int64_t worker_id, char token[AUTH_TOKEN_HEX + 1])
{
	char hash[65], now[21], id[24];
	auth_random_token(token);
	token_hash(token, hash);
	timestamp_format(time(NULL), now);
	snprintf(id, sizeof id, "%lld", (long long)worker_id);
	int rc = db_begin(r->db);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(r->db,
		"UPDATE workers SET ical_token = :hash, updated_at = :now WHERE id = :id");
	db_bind_text(st, ":hash", hash);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", worker_id);
	rc = db_done(st);
	if (!rc)
		rc = req_audit(r, "update", "workers", id,
			       "calendar feed address made (any earlier one stops working)");
	if (!rc)
		return db_commit(r->db);
	db_rollback(r->db);
	return rc;
}

/* The signed-in worker's profile id, or HE_CONFLICT naming why not. */
static int own_worker(struct req *r, int64_t *worker_id)
{
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	if (s->worker_id <= 0)
		return req_fail(r, HE_CONFLICT, "",
				"Your sign-in is not linked to a worker in the pool, so it has no calendar");
	*worker_id = s->worker_id;
	return HE_OK;
}

/* "https://host" from the request: the address the worker reached us at.
 * A Host header with anything but host-name characters is not used. */
static const char *site(struct req *r, const char *scheme)
{
	const char *host = req_header(r, "Host");
	bool ok = host && *host && strlen(host) < 256;
	for (const char *p = host; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		     strchr(".-:[]", *p);
	return arena_printf(&r->arena, "%s://%s", scheme, ok ? host : "localhost");
}

static void feed_instructions(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Add it to your calendar</h2>"
		"<ul class=\"govuk-list govuk-list--bullet\">"
		"<li><strong>Outlook</strong> (web or new Outlook): Calendar, <em>Add calendar</em>,"
		" <em>Subscribe from web</em>, paste the address, name it “Hearth visits”, <em>Import</em>.</li>"
		"<li><strong>Google Calendar</strong> (on a computer): next to <em>Other calendars</em> select"
		" <em>+</em>, then <em>From URL</em>, paste the address, <em>Add calendar</em>."
		" Google checks for changes every few hours.</li>"
		"<li><strong>Apple Calendar</strong>: on a Mac, <em>File</em>, <em>New Calendar Subscription</em>;"
		" on an iPhone or iPad, <em>Settings</em>, <em>Calendar</em>, <em>Accounts</em>,"
		" <em>Add Account</em>, <em>Other</em>, <em>Add Subscribed Calendar</em>; paste the address."
		"</li></ul>"
		"<p class=\"govuk-body\">Visits you book in Hearth appear within the hour; visits you record"
		" as held leave the calendar.</p>");
}

int calendar_token_page(struct req *r)
{
	int64_t worker_id = 0;
	char token[AUTH_TOKEN_HEX + 1];
	int rc = own_worker(r, &worker_id);
	if (!rc)
		rc = token_make(r, worker_id, token);
	if (rc)
		return rc;
	const char *https = site(r, r->secure ? "https" : "http");
	const char *url = arena_printf(&r->arena, "%s/calendar/%s.ics", https, token);
	const char *webcal = arena_printf(&r->arena, "%s/calendar/%s.ics", site(r, "webcal"), token);
	page_begin(r, 200, "Your calendar feed");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Your calendar feed</h1>"
		"<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\" aria-hidden=\"true\">"
		"!</span><strong class=\"govuk-warning-text__text\"><span class=\"govuk-visually-hidden\">"
		"Warning</span>This address is shown only once. Keep it private: anyone who has it can see"
		" your planned visits. Any address you made before no longer works.</strong></div>"
		"<div class=\"govuk-form-group\"><label class=\"govuk-label govuk-label--s\" for=\"feed-url\">"
		"Calendar feed address</label><div class=\"govuk-hint\" id=\"feed-url-hint\">Copy it and paste"
		" it into your calendar</div><input class=\"govuk-input\" id=\"feed-url\" name=\"feed-url\""
		" type=\"text\" readonly spellcheck=\"false\" aria-describedby=\"feed-url-hint\" value=\"%h\">"
		"</div><p class=\"govuk-body\"><a class=\"govuk-link\" href=\"%h\">Subscribe on this device</a>"
		" (opens your calendar app)</p>", url, webcal);
	feed_instructions(r);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/caseload\">"
		"Back to my caseload</a></p>");
	page_end(r);
	return HE_OK;
}

int calendar_token_api(struct req *r)
{
	int64_t worker_id = 0;
	char token[AUTH_TOKEN_HEX + 1];
	int rc = own_worker(r, &worker_id);
	if (!rc)
		rc = token_make(r, worker_id, token);
	if (rc)
		return rc;
	req_json(r, 201);
	fmt_printf(&r->out, "{\"url\":%j,\"webcal\":%j}",
		   arena_printf(&r->arena, "%s/calendar/%s.ics", site(r, r->secure ? "https" : "http"),
				token),
		   arena_printf(&r->arena, "%s/calendar/%s.ics", site(r, "webcal"), token));
	return HE_OK;
}

/* ---- the feed ------------------------------------------------------------- */

/* The worker whose token this is (active, with their sign-in for the
 * audit row): HE_NOT_FOUND for anything else. */
static int feed_owner(struct req *r, const char *param, int64_t *worker_id, const char **name)
{
	size_t n = param ? strlen(param) : 0;
	if (n != AUTH_TOKEN_HEX + 4 || strcmp(param + AUTH_TOKEN_HEX, ".ics") != 0)
		return HE_NOT_FOUND;
	char token[AUTH_TOKEN_HEX + 1], hash[65];
	memcpy(token, param, AUTH_TOKEN_HEX);
	token[AUTH_TOKEN_HEX] = '\0';
	token_hash(token, hash);
	struct db_stmt *st = db_prepare(r->db,
		"SELECT w.id, w.name, u.id, u.email, u.role FROM workers w"
		" LEFT JOIN users u ON u.id = w.user_id"
		" WHERE w.ical_token = :hash AND w.active = 1");
	db_bind_text(st, ":hash", hash);
	bool found = db_next(st);
	if (found) {
		*worker_id = db_int(st, 0);
		*name = dup(r, st, 1);
		r->who.user_id = db_is_null(st, 2) ? 0 : db_int(st, 2);
		r->who.email = dup(r, st, 3);
		r->who.role = db_is_null(st, 4) ? "none" : dup(r, st, 4);
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

static int feed_events(struct req *r, int64_t worker_id, int *count)
{
	char from[11], today[11], now[17], host[128];
	hday t;
	now_local(today, now);
	date_parse(today, &t);
	date_format(t - FEED_BEHIND, from);
	const char *h = site(r, "x");
	snprintf(host, sizeof host, "%s", h + 4);  /* after "x://" */
	char *colon = strrchr(host, ':');
	if (colon && !strchr(colon, ']'))
		*colon = '\0';  /* the UID's domain part is the host, without a port */
	struct db_stmt *st = db_prepare(r->db,
		"SELECT k.id, k.at, k.duration_min, k.kind, k.place, k.recorded_at, f.ref, f.name, c.ref"
		" FROM contacts k JOIN cases c ON c.id = k.case_id JOIN families f ON f.id = c.family_id"
		" WHERE k.planned = 1 AND c.status = 'open' AND k.at >= :from"
		" AND (k.worker_id = :me OR (k.worker_id IS NULL AND c.worker_id = :me))"
		" ORDER BY k.at, k.id");
	db_bind_text(st, ":from", from);
	db_bind_int(st, ":me", worker_id);
	while (db_next(st)) {
		struct ical_event ev = {
			.uid = arena_printf(&r->arena, "contact-%lld@%s", (long long)db_int(st, 0), host),
			.start = db_text(st, 1),
			.duration_min = (int)db_int(st, 2),
			.summary = arena_printf(&r->arena, "%s — %s %s", contact_kind_title(db_text(st, 3)),
						db_text(st, 6), db_text(st, 7)),
			.location = db_text(st, 4),
			.description = arena_printf(&r->arena, "Case %s in Hearth. Record the visit there"
						    " once it has happened.", db_text(st, 8)),
			.stamp = db_text(st, 5),
		};
		if (ical_event(&r->out, &ev) == HE_OK)
			(*count)++;
	}
	return db_finalize(st);
}

/* The worker's scheduled TAF meetings (taf.c): those of the cases they
 * lead and those they are invited to — when, where and the family, no
 * more. */
static int feed_meetings(struct req *r, int64_t worker_id, int *count)
{
	char today[11], now[17], from[17], host[128];
	struct taf_summary *m;
	size_t n;
	hday t;
	now_local(today, now);
	date_parse(today, &t);
	date_format(t - FEED_BEHIND, from);
	snprintf(from + 10, sizeof from - 10, "T00:00");
	snprintf(host, sizeof host, "%s", site(r, "x") + 4);
	char *colon = strrchr(host, ':');
	if (colon && !strchr(colon, ']'))
		*colon = '\0';
	int rc = taf_worker_meetings(r->db, &r->arena, worker_id, from, &m, &n);
	for (size_t i = 0; rc == HE_OK && i < n; i++) {
		struct ical_event ev = {
			.uid = arena_printf(&r->arena, "taf-%lld@%s", (long long)m[i].id, host),
			.start = m[i].starts_at, .duration_min = m[i].duration_min,
			.summary = arena_printf(&r->arena, "TAF meeting — %s %s", m[i].family_ref,
						m[i].family_name),
			.location = m[i].place,
			.description = arena_printf(&r->arena, "Team Around the Family meeting, case %s in"
						    " Hearth. Record it there once it has happened.", m[i].case_ref),
			.stamp = NULL,
		};
		if (ical_event(&r->out, &ev) == HE_OK)
			(*count)++;
	}
	return rc;
}

int calendar_feed_get(struct req *r)
{
	int64_t worker_id = 0;
	const char *name;
	int count = 0;
	int rc = feed_owner(r, req_param(r, 0), &worker_id, &name);
	if (rc)
		return rc;
	r->status = 200;
	r->content_type = "text/calendar; charset=utf-8";
	buf_reset(&r->out);
	ical_begin(&r->out, arena_printf(&r->arena, "Hearth visits — %s", name));
	rc = feed_events(r, worker_id, &count);
	if (!rc)
		rc = feed_meetings(r, worker_id, &count);
	ical_end(&r->out);
	if (!rc && buf_err(&r->out))
		rc = HE_INTERNAL;
	if (rc) {
		buf_reset(&r->out);
		return rc;
	}
	req_set_header(r, "Content-Disposition", "inline; filename=\"hearth-visits.ics\"");
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)worker_id);
	return req_audit(r, "view", "workers", id, arena_printf(&r->arena,
			 "calendar feed: %d planned visits", count));
}
