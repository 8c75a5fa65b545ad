/* home.c — the signed-in home page, fitted to the user's role.
 *
 * Each role sees the figures and next steps that matter to it, drawn from
 * the database; sections appear by capability, never by role name. */
#include <stdio.h>

#include "base/date.h"
#include "base/fmt.h"
#include "core/consent.h"
#include "core/risk.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

static int64_t count(struct req *r, const char *sql)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return n;
}

/* count(*) of sql with :id bound to id. */
static int64_t count_for(struct req *r, const char *sql, int64_t id)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	db_bind_int(st, ":id", id);
	int64_t n = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return n;
}

static void card(struct req *r, const char *label, int64_t n, const char *href)
{
	fmt_printf(&r->out, "<div class=\"govuk-grid-column-one-quarter hearth-stat\">"
		"<p class=\"govuk-body hearth-stat__number\">%lld</p>"
		"<p class=\"govuk-body-s\">", (long long)n);
	if (href)
		fmt_printf(&r->out, "<a class=\"govuk-link\" href=\"%h\">%h</a>", href, label);
	else
		fmt_printf(&r->out, "%h", label);
	fmt_printf(&r->out, "</p></div>");
}

static void partnership_section(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">The partnership</h2><div class=\"govuk-grid-row\">");
	card(r, "schools", count(r, "SELECT count(*) FROM schools"),
	     caps_has(r->caps, CAP_SCHOOLS_VIEW) ? "/schools" : NULL);
	card(r, "districts", count(r, "SELECT count(*) FROM districts"), NULL);
	card(r, "secondary schools", count(r, "SELECT count(*) FROM schools WHERE phase = 'secondary'"), NULL);
	card(r, "special schools and PRUs",
	     count(r, "SELECT count(*) FROM schools WHERE phase IN ('special','pru')"), NULL);
	fmt_printf(&r->out, "</div>");
}

/* Pupils by risk band in the latest extract: of the user's school (school
 * users) or the partnership.  Counts only — no pupil's record is read —
 * and suppressed below 5 for those who may see aggregates alone. */
static void risk_section(struct req *r)
{
	int64_t school = caps_has(r->caps, CAP_PUPILS_ALL) ? 0 : r->sess.user.school_id;
	if (!caps_has(r->caps, CAP_PUPILS_ALL) && !school &&
	    !caps_has(r->caps, CAP_REPORTS_AGGREGATE))
		return;
	int64_t n[3] = {0, 0, 0};
	/* Two statements, so that a school's count seeks its part of the
	 * partial index (latest = 1, migration 0010) and the partnership's
	 * scans it whole: no snapshot row is read. */
	struct db_stmt *st = db_prepare(r->db, school ?
		"SELECT risk_band, count(*) FROM pupil_snapshots"
		" WHERE latest = 1 AND school_id = :school GROUP BY risk_band" :
		"SELECT risk_band, count(*) FROM pupil_snapshots"
		" WHERE latest = 1 GROUP BY risk_band");
	if (school)
		db_bind_int(st, ":school", school);
	while (db_next(st)) {
		int b = risk_band_by_name(db_text(st, 0));
		if (b >= 0)
			n[b] = db_int(st, 1);
	}
	if (db_finalize(st) || n[0] + n[1] + n[2] == 0)
		return;
	bool links = caps_has(r->caps, CAP_PUPILS);
	bool suppress = !caps_has(r->caps, CAP_REPORTS) && !links;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Pupils at risk of becoming NEET</h2>"
		"<div class=\"govuk-grid-row\">");
	static const char *const label[3] = {"at low risk", "at medium risk", "at high risk"};
	static const char *const href[3] = {"/pupils?band=low", "/pupils?band=medium", "/pupils?band=high"};
	for (int b = 2; b >= 0; b--) {
		char sup[RISK_SUPPRESS_BUF];
		if (suppress && n[b] < RISK_SUPPRESS_BELOW) {
			fmt_printf(&r->out, "<div class=\"govuk-grid-column-one-quarter hearth-stat\">"
				"<p class=\"govuk-body hearth-stat__number\">%h</p><p class=\"govuk-body-s\">%h"
				"</p></div>", risk_suppress(n[b], sup), label[b]);
			continue;
		}
		card(r, label[b], n[b], links ? href[b] : NULL);
	}
	fmt_printf(&r->out, "</div>");
}

static void admin_section(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">People with access</h2><div class=\"govuk-grid-row\">");
	card(r, "users", count(r, "SELECT count(*) FROM users WHERE disabled = 0"), "/users");
	card(r, "with an authenticator app",
	     count(r, "SELECT count(*) FROM users WHERE totp_secret IS NOT NULL"), NULL);
	card(r, "failed sign-ins in the lock window", count(r, "SELECT count(*) FROM login_failures"), NULL);
	fmt_printf(&r->out, "</div>");
}

static void audit_section(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">The audit log</h2><div class=\"govuk-grid-row\">");
	card(r, "audit rows", count(r, "SELECT count(*) FROM audit_log"), "/audit");
	card(r, "refusals recorded", count(r, "SELECT count(*) FROM audit_log WHERE action IN"
	     " ('denied','login_failed','login_locked')"), "/audit?action=denied");
	fmt_printf(&r->out, "</div><p class=\"govuk-body\">Check the hash chain with"
		" <code>hearth audit verify</code>.</p>");
}

static void school_section(struct req *r)
{
	const struct user *u = &r->sess.user;
	if (!u->school_name)
		return;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">%h</h2>"
		"<p class=\"govuk-body\">URN %h. You see the pupils, risk list and referrals of"
		" your school only.</p>", u->school_name, u->school_urn);
}

/* The coordinator's pool: the queue, its oldest wait, open cases and
 * workers at or over capacity.  Counts only. */
static void pool_section(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">The pool</h2><div class=\"govuk-grid-row\">");
	card(r, "referrals waiting for a decision",
	     count(r, "SELECT count(*) FROM referrals WHERE status = 'received'"), "/screening");
	hday today = date_today();
	struct db_stmt *st = db_prepare(r->db,
		"SELECT min(received_at) FROM referrals WHERE status = 'received'");
	hday oldest = today;
	if (db_next(st) && !db_is_null(st, 0)) {
		char d[11];
		snprintf(d, sizeof d, "%.10s", db_text(st, 0));
		if (!date_parse(d, &oldest))
			oldest = today;
	}
	db_finalize(st);
	card(r, "days the oldest has waited", (int64_t)(today - oldest), "/screening");
	card(r, "open cases", count(r, "SELECT count(*) FROM cases WHERE status = 'open'"), "/cases");
	card(r, "workers in the pool",
	     count(r, "SELECT count(*) FROM workers WHERE active = 1"),
	     caps_has(r->caps, CAP_WORKERS_MANAGE) ? "/workers" : NULL);
	fmt_printf(&r->out, "</div>");
}

/* A school's referrals by where they are.  Counts only. */
static void referrals_section(struct req *r)
{
	int64_t school = r->sess.user.school_id;
	if (!school)
		return;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Your referrals</h2><div class=\"govuk-grid-row\">");
	card(r, "waiting for a decision", count_for(r, "SELECT count(*) FROM referrals"
	     " WHERE school_id = :id AND status = 'received'", school), "/referrals");
	card(r, "with an open case", count_for(r, "SELECT count(*) FROM referrals rf"
	     " JOIN cases c ON c.referral_id = rf.id WHERE rf.school_id = :id AND c.status = 'open'",
	     school), "/referrals");
	char from[11];
	date_format(date_from_ymd(academic_year(date_today()), 9, 1), from);
	struct db_stmt *st = db_prepare(r->db, "SELECT count(*) FROM referrals"
		" WHERE school_id = :id AND received_at >= :from");
	db_bind_int(st, ":id", school);
	db_bind_text(st, ":from", from);
	card(r, "referred this academic year", db_next(st) ? db_int(st, 0) : 0, NULL);
	db_finalize(st);
	card(r, "notices about your pupils", count_for(r, "SELECT count(*) FROM school_notices"
	     " WHERE school_id = :id AND read_at IS NULL", school), "/referrals");
	fmt_printf(&r->out, "</div>");
}

/* A worker's own cases: open, reviews overdue, visits booked this week. */
static void caseload_section(struct req *r)
{
	const struct scope *sc = req_scope(r);
	if (!sc || !sc->worker_id) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">You have no worker profile in the pool"
			" yet: ask your coordinator to add you.</p>");
		return;
	}
	char today[11];
	date_format(date_today(), today);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Your cases</h2><div class=\"govuk-grid-row\">");
	card(r, "open cases", count_for(r, "SELECT count(*) FROM cases WHERE worker_id = :id"
	     " AND status = 'open'", sc->worker_id), "/caseload");
	struct db_stmt *st = db_prepare(r->db, "SELECT count(*) FROM cases WHERE worker_id = :id"
		" AND status = 'open' AND next_review_on < :today");
	db_bind_int(st, ":id", sc->worker_id);
	db_bind_text(st, ":today", today);
	card(r, "reviews overdue", db_next(st) ? db_int(st, 0) : 0, "/caseload");
	db_finalize(st);
	st = db_prepare(r->db, "SELECT count(*) FROM contacts WHERE worker_id = :id"
		" AND planned = 1 AND at >= :today");
	db_bind_int(st, ":id", sc->worker_id);
	db_bind_text(st, ":today", today);
	card(r, "visits booked", db_next(st) ? db_int(st, 0) : 0, "/caseload");
	db_finalize(st);
	fmt_printf(&r->out, "</div>");
}

/* An agency professional's meetings and actions.  Counts only. */
static void taf_home_section(struct req *r)
{
	const struct scope *sc = req_scope(r);
	if (!sc || !sc->professional_id) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">You are not linked to a professional in"
			" the partnership's directory yet: ask the pool coordinator.</p>");
		return;
	}
	char today[11];
	date_format(date_today(), today);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Your Team Around the Family work</h2>"
		"<div class=\"govuk-grid-row\">");
	/* as /taf: only families that share with the professional's service */
	struct db_stmt *st = db_prepare(r->db, "SELECT count(*) FROM taf_invitees i"
		" JOIN taf_meetings m ON m.id = i.meeting_id JOIN cases c ON c.id = m.case_id"
		" WHERE i.professional_id = :id AND m.status = 'scheduled' AND m.starts_at >= :today"
		" AND " CONSENT_SQL_PROFESSIONAL_OK("c.family_id", ":id"));
	db_bind_int(st, ":id", sc->professional_id);
	db_bind_text(st, ":today", today);
	card(r, "meetings coming up", db_next(st) ? db_int(st, 0) : 0, "/taf");
	db_finalize(st);
	card(r, "actions open", count_for(r, "SELECT count(*) FROM plan_actions pa JOIN cases c"
	     " ON c.id = pa.case_id WHERE pa.owner_professional_id = :id AND c.status = 'open'"
	     " AND pa.status IN ('not_started','in_progress') AND "
	     CONSENT_SQL_PROFESSIONAL_OK("c.family_id", ":id"), sc->professional_id), "/taf");
	st = db_prepare(r->db, "SELECT count(*) FROM plan_actions pa JOIN cases c ON c.id = pa.case_id"
		" WHERE pa.owner_professional_id = :id AND c.status = 'open'"
		" AND pa.status IN ('not_started','in_progress') AND pa.due_on < :today AND "
		CONSENT_SQL_PROFESSIONAL_OK("c.family_id", ":id"));
	db_bind_int(st, ":id", sc->professional_id);
	db_bind_text(st, ":today", today);
	card(r, "actions overdue", db_next(st) ? db_int(st, 0) : 0, "/taf");
	db_finalize(st);
	fmt_printf(&r->out, "</div>");
}

/* What the home page is, by what the user can do (most specific first). */
static const char *home_title(struct req *r)
{
	static const struct { enum cap cap; const char *title; } titles[] = {
		{CAP_USERS_MANAGE, "Partnership administration"},
		{CAP_REFERRALS_ALL, "The family support pool"},
		{CAP_REFER, "Your school's families"},
		{CAP_CASES_OWN, "Your caseload"},
		{CAP_TAF_ACTIONS_OWN, "Your Team Around the Family actions"},
		{CAP_AUDIT_READ, "Information governance"},
		{CAP_REPORTS_AGGREGATE, "Partnership reports"},
	};
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (caps_has(r->caps, titles[i].cap))
			return titles[i].title;
	return "Home";
}

int home_page(struct req *r)
{
	const struct user *u = &r->sess.user;
	const char *title = home_title(r);
	page_begin(r, 200, title);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Welcome, %h</span>"
		"<h1 class=\"govuk-heading-xl\">%h</h1>", u->name, title);
	school_section(r);
	survey_home_section(r);
	if (caps_has(r->caps, CAP_REFERRALS_ALL))
		pool_section(r);
	if (caps_has(r->caps, CAP_REFER))
		referrals_section(r);
	if (caps_has(r->caps, CAP_CASES_OWN))
		caseload_section(r);
	if (caps_has(r->caps, CAP_TAF_ACTIONS_OWN))
		taf_home_section(r);
	risk_section(r);
	if (caps_has(r->caps, CAP_SCHOOLS_VIEW) || caps_has(r->caps, CAP_REPORTS_AGGREGATE))
		partnership_section(r);
	if (caps_has(r->caps, CAP_USERS_MANAGE))
		admin_section(r);
	if (caps_has(r->caps, CAP_AUDIT_READ))
		audit_section(r);
	if (!u->totp_enabled)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\">Protect your account: "
			"<a class=\"govuk-link\" href=\"/account/security\">set up an authenticator app</a>.</div>");
	page_end(r);
	return HE_OK;
}
