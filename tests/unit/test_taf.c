/* test_taf.c — unit tests for src/core/taf.c: scheduling (date, place and
 * length checks, the case's worker invited, chronology and audit, a
 * repeated form), invitations (a professional needs the family's
 * "agencies" basis, a member of another family is refused, no double
 * invitation, a stale version), recording a meeting as held (no attendee
 * refused, attendance only of invitees, minutes required, actions agreed
 * through plan.c with the meeting's id — and nothing half-written when one
 * is bad), cancelling, a closed case refusing every change with a clear
 * message, and row scope: another worker and an agency user who was not
 * invited get HE_NOT_FOUND with an audited denial, an invited agency user
 * sees only the meeting and the actions they own, and loses them when the
 * family withdraws consent.  SQLite, or PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/ical.h"
#include "core/plan.h"
#include "core/scope.h"
#include "core/taf.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_y = {.email = "y@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};
static struct audit_who who_g = {.email = "g@hearth.example", .role = "agency", .route = "test"};
static struct audit_who who_o = {.email = "o@hearth.example", .role = "agency", .route = "test"};

struct fx {
	int64_t family, other_family, referral, other_referral, consent;
	int64_t wx, wy, ux, uy, uc, ug, uo, pg, po, mother, other_member;
	int64_t kase, other_case;
	struct scope x, y, coord, grace, omar;
};

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql))
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static int64_t insert(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc || !id)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return id;
}

static char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sqlf(const char *fmt, ...)
{
	static char b[4][2048];
	static int k;
	char *out = b[k++ % 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, 2048, fmt, ap);
	va_end(ap);
	return out;
}

/* Today (London) + days as "YYYY-MM-DD", rotating static buffers. */
static const char *day(int days)
{
	static char b[8][11];
	static int k;
	char now[17], d[11];
	hday t;
	ical_london_now(time(NULL), now);
	snprintf(d, sizeof d, "%.10s", now);
	date_parse(d, &t);
	char *out = b[k++ % 8];
	date_format(t + days, out);
	return out;
}

static const char *at(int days, const char *hhmm)
{
	static char b[8][17];
	static int k;
	char *out = b[k++ % 8];
	snprintf(out, 17, "%sT%s", day(days), hhmm);
	return out;
}

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static void scope_of(struct scope *s, enum role r, struct audit_who *w, int64_t user)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(r);
	s->user_id = user;
	w->user_id = user;
	s->who = w;
}

static int64_t user(struct db *db, const char *email, const char *name, const char *role)
{
	return insert(db, sqlf("INSERT INTO users (email, name, role, password_hash, created_at,"
		" updated_at) VALUES ('%s', '%s', '%s', 'x', 'now', 'now') RETURNING id", email, name, role));
}

static int64_t family(struct db *db, const char *ref, const char *name, const char *scope,
		      int64_t *referral, const char *rref)
{
	int64_t f = insert(db, sqlf("INSERT INTO families (ref, name, created_at, updated_at)"
		" VALUES ('%s', '%s', 'now', 'now') RETURNING id", ref, name));
	*referral = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source, level_of_need, needs,"
		" reason, received_at) VALUES ('%s', %" PRId64 ", 'agency', 2, 'attendance,parenting',"
		" 'Attendance falling', '%sT09:00:00Z') RETURNING id", rref, f, day(-60)));
	exec(db, sqlf("INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, recorded_at) VALUES (%" PRId64 ", %" PRId64 ", 'consent', 'Nadia Khan',"
		" 'mother', '%s', '%s', 'now')", f, *referral, scope, day(-60)));
	return f;
}

static int64_t open_case(struct db *db, struct fx *f, int64_t referral, int64_t worker)
{
	int64_t id = 0;
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = case_open_tx(db, &f->coord, referral, worker, 2, false, day(-50), &id, &e);
	if (rc)
		fail_msg("case_open_tx: %d %s: %s [%s]", rc, e.field, e.message, db_errmsg(db));
	assert_int_equal(db_commit(db), HE_OK);
	return id;
}

/* Workers X (leads the Khans' case) and Y (leads the Patels'), a
 * coordinator, agency users Grace (education welfare) and Omar (housing)
 * linked to professionals; the Khans consent to pool and agencies. */
static void fixture(struct db *db, struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->ux = user(db, "x@hearth.example", "Xena Worker", "worker");
	f->uy = user(db, "y@hearth.example", "Yusuf Worker", "worker");
	f->uc = user(db, "c@hearth.example", "Cora Ordinator", "coordinator");
	f->ug = user(db, "g@hearth.example", "Grace Mensah", "agency");
	f->uo = user(db, "o@hearth.example", "Omar Ali", "agency");
	f->wx = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Xena Worker', 'Early Help', 'family_support', 'now', 'now')"
		" RETURNING id", f->ux));
	f->wy = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Yusuf Worker', 'Early Help', 'family_support', 'now', 'now')"
		" RETURNING id", f->uy));
	int64_t ews = insert(db, "INSERT INTO agencies (name, kind, created_at) VALUES"
		" ('Education Welfare', 'education_welfare', 'now') RETURNING id");
	int64_t hou = insert(db, "INSERT INTO agencies (name, kind, created_at) VALUES"
		" ('Housing Options', 'housing', 'now') RETURNING id");
	f->pg = insert(db, sqlf("INSERT INTO professionals (agency_id, name, role, user_id, created_at)"
		" VALUES (%" PRId64 ", 'Grace Mensah', 'Education welfare officer', %" PRId64 ", 'now')"
		" RETURNING id", ews, f->ug));
	f->po = insert(db, sqlf("INSERT INTO professionals (agency_id, name, role, user_id, created_at)"
		" VALUES (%" PRId64 ", 'Omar Ali', 'Housing officer', %" PRId64 ", 'now') RETURNING id",
		hou, f->uo));
	f->family = family(db, "F-000001", "Khan family", "pool,agencies", &f->referral,
			   "R-000001");
	f->other_family = family(db, "F-000002", "Patel family", "pool", &f->other_referral, "R-000002");
	f->mother = insert(db, sqlf("INSERT INTO family_members (family_id, name, relationship, is_child,"
		" created_at) VALUES (%" PRId64 ", 'Nadia Khan', 'mother', 0, 'now') RETURNING id", f->family));
	f->other_member = insert(db, sqlf("INSERT INTO family_members (family_id, name, relationship,"
		" is_child, created_at) VALUES (%" PRId64 ", 'Priya Patel', 'mother', 0, 'now') RETURNING id",
		f->other_family));
	scope_of(&f->x, ROLE_WORKER, &who_x, f->ux);
	f->x.worker_id = f->wx;
	scope_of(&f->y, ROLE_WORKER, &who_y, f->uy);
	f->y.worker_id = f->wy;
	scope_of(&f->coord, ROLE_COORDINATOR, &who_c, f->uc);
	scope_of(&f->grace, ROLE_AGENCY, &who_g, f->ug);
	f->grace.professional_id = f->pg;
	scope_of(&f->omar, ROLE_AGENCY, &who_o, f->uo);
	f->omar.professional_id = f->po;
	f->kase = open_case(db, f, f->referral, f->wx);
	f->other_case = open_case(db, f, f->other_referral, f->wy);
}

static int64_t version(struct db *db, int64_t id)
{
	return count(db, sqlf("SELECT version FROM taf_meetings WHERE id = %" PRId64, id));
}

static int64_t schedule(struct db *db, struct fx *f, int days)
{
	struct meeting_in in = {.starts_at = at(days, "10:00"), .place = "Multi-agency centre, Alpha Academy"};
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = taf_schedule(db, &f->x, f->kase, &in, &id, &e);
	if (rc)
		fail_msg("taf_schedule: %d %s: %s", rc, e.field, e.message);
	return id;
}

/* Move a meeting into the past so that it can be recorded as held. */
static void make_past(struct db *db, int64_t id)
{
	exec(db, sqlf("UPDATE taf_meetings SET starts_at = '%s' WHERE id = %" PRId64, at(-1, "10:00"), id));
}

static int64_t invitee(struct db *db, int64_t meeting, const char *col, int64_t who)
{
	return count(db, sqlf("SELECT id FROM taf_invitees WHERE meeting_id = %" PRId64 " AND %s = %"
			      PRId64, meeting, col, who));
}

static struct action_in agency_action(int64_t prof, const char *what)
{
	struct action_in a = {
		.description = what, .need = "attendance", .owner_kind = "agency",
		.due_on = day(14), .owner_professional_id = prof,
	};
	return a;
}

/* ---- scheduling ------------------------------------------------------------- */

static void test_schedule(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0, id2 = 0;
	fixture(db, &f);
	struct meeting_in in = {.starts_at = at(-1, "10:00"), .place = "School"};
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "starts_at");
	in.starts_at = "2026-02-30T10:00";
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "starts_at");
	in.starts_at = at(7, "25:00");
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_INVALID);
	in.starts_at = at(7, "10:00");
	in.place = "  ";
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "place");
	in.place = "Multi-agency centre, Alpha Academy";
	in.duration_min = 600;
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "duration_min");
	in.duration_min = 0;
	assert_int_equal(count(db, "SELECT count(*) FROM taf_meetings"), 0);
	/* another worker's case: not found, denial audited */
	int64_t denied = count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
	assert_int_equal(taf_schedule(db, &f.y, f.kase, &in, &id, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"), denied + 1);
	/* an agency user never schedules */
	assert_int_equal(taf_schedule(db, &f.grace, f.kase, &in, &id, &e), HE_NOT_FOUND);
	in.idem_key = "form-1";
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_OK);
	assert_true(id > 0);
	assert_int_equal(count(db, sqlf("SELECT duration_min FROM taf_meetings WHERE id = %" PRId64, id)), 60);
	/* the case's worker is invited */
	assert_true(invitee(db, id, "worker_id", f.wx) > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'meeting_scheduled'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'taf_meetings'"
			       " AND action = 'create'"), 1);
	/* the same form again: the same meeting, nothing new */
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id2, &e), HE_OK);
	assert_int_equal(id2, id);
	assert_int_equal(count(db, "SELECT count(*) FROM taf_meetings"), 1);
	/* the coordinator may schedule too */
	in.idem_key = NULL;
	assert_int_equal(taf_schedule(db, &f.coord, f.kase, &in, &id2, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM taf_meetings"), 2);
}

/* ---- invitations ------------------------------------------------------------ */

static void test_invite(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t m = schedule(db, &f, 3);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), 0, 0, 0, &e), HE_MISSING);
	assert_string_equal(e.field, "invitee");
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.pg, f.mother, 0, &e), HE_MISSING);
	/* a member of another family */
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), 0, f.other_member, 0, &e), HE_INVALID);
	assert_string_equal(e.field, "invitee");
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.pg, 0, 0, &e), HE_OK);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), 0, f.mother, 0, &e), HE_OK);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.pg, 0, 0, &e), HE_CONFLICT);
	assert_string_equal(e.field, "invitee");
	/* the worker already invited at scheduling */
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), 0, 0, f.wx, &e), HE_CONFLICT);
	/* a stale version: someone invited in between */
	assert_int_equal(taf_invite(db, &f.x, m, 1, 0, 0, f.wy, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_int_equal(taf_invite(db, &f.x, m, 0, 0, 0, f.wy, &e), HE_MISSING);
	assert_string_equal(e.field, "version");
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), 0, 0, f.wy, &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM taf_invitees WHERE meeting_id = %" PRId64, m)), 4);
	/* another worker cannot invite to it */
	assert_int_equal(taf_invite(db, &f.y, m, version(db, m), f.po, 0, 0, &e), HE_NOT_FOUND);
	/* withdrawn consent to share with agencies: no professional invited */
	exec(db, "UPDATE consents SET withdrawn_on = '2026-01-01', withdrawn_reason = 'asked'");
	exec(db, sqlf("INSERT INTO consents (family_id, basis, given_by, given_by_relationship, scope,"
		" given_on, recorded_at) VALUES (%" PRId64 ", 'consent', 'Nadia Khan', 'mother', 'pool',"
		" '%s', 'now')", f.family, day(-1)));
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.po, 0, 0, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_non_null(strstr(e.message, "partner agencies"));
	assert_int_equal(invitee(db, m, "professional_id", f.po), -1);
}

/* ---- recording ---------------------------------------------------------------- */

static void test_record(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t m = schedule(db, &f, 3), other = schedule(db, &f, 4);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.pg, 0, 0, &e), HE_OK);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), 0, f.mother, 0, &e), HE_OK);
	int64_t iw = invitee(db, m, "worker_id", f.wx), ig = invitee(db, m, "professional_id", f.pg);
	int64_t im = invitee(db, m, "member_id", f.mother), iother = invitee(db, other, "worker_id", f.wx);
	int64_t att[] = {iw, ig};
	/* not yet started */
	assert_int_equal(taf_record(db, &f.x, m, version(db, m), att, 2, "Met", "", NULL, 0, &e), HE_INVALID);
	assert_string_equal(e.field, "starts_at");
	make_past(db, m);
	/* a meeting with no attendee is refused */
	assert_int_equal(taf_record(db, &f.x, m, version(db, m), NULL, 0, "Met", "", NULL, 0, &e), HE_MISSING);
	assert_string_equal(e.field, "attended");
	assert_non_null(strstr(e.message, "no attendee"));
	/* someone invited to another meeting */
	int64_t wrong[] = {iw, iother};
	assert_int_equal(taf_record(db, &f.x, m, version(db, m), wrong, 2, "Met", "", NULL, 0, &e), HE_INVALID);
	assert_string_equal(e.field, "attended");
	assert_int_equal(taf_record(db, &f.x, m, version(db, m), att, 2, "", "", NULL, 0, &e), HE_MISSING);
	assert_string_equal(e.field, "minutes");
	/* a bad action: nothing at all is written */
	struct action_in acts[2] = {
		agency_action(f.pg, "Grace will meet Aisha weekly about attendance until half term"),
		agency_action(f.pg, ""),
	};
	int rc = taf_record(db, &f.x, m, version(db, m), att, 2, "Minutes", "Decided", acts, 2, &e);
	assert_int_equal(rc, HE_MISSING);
	assert_string_equal(e.field, "actions[1].description");
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 0);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM taf_invitees WHERE meeting_id = %" PRId64
				   " AND attended IS NOT NULL", m)), 0);
	acts[1] = (struct action_in){.description = "Nadia will walk Aisha to school each morning",
		.need = "attendance", .owner_kind = "family", .due_on = day(21), .owner_member_id = f.mother};
	int64_t v = version(db, m);
	rc = taf_record(db, &f.x, m, v, att, 2, "Everyone agreed the plan", "Weekly check-ins", acts, 2, &e);
	if (rc)
		fail_msg("taf_record: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(version(db, m), v + 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM plan_actions WHERE meeting_id = %" PRId64, m)), 2);
	assert_int_equal(count(db, sqlf("SELECT attended FROM taf_invitees WHERE id = %" PRId64, ig)), 1);
	assert_int_equal(count(db, sqlf("SELECT attended FROM taf_invitees WHERE id = %" PRId64, im)), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'meeting_held'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'action_agreed'"), 2);
	/* held is final */
	assert_int_equal(taf_record(db, &f.x, m, v + 1, att, 2, "Again", "", NULL, 0, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
	assert_int_equal(taf_cancel(db, &f.x, m, v + 1, "Oops", &e), HE_CONFLICT);

	/* the meeting as the worker sees it */
	struct arena a;
	arena_init(&a);
	struct taf_meeting t;
	assert_int_equal(taf_meeting_load(db, &a, &f.x, m, &t, &e), HE_OK);
	assert_false(t.agency_view);
	assert_string_equal(t.status, "held");
	assert_int_equal(t.ninvitees, 3);
	assert_int_equal(t.nactions, 2);
	assert_string_equal(t.minutes, "Everyone agreed the plan");
	arena_free(&a);
}

static void test_record_updates(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t m1 = schedule(db, &f, 1), m2 = schedule(db, &f, 2);
	assert_int_equal(taf_invite(db, &f.x, m1, version(db, m1), f.pg, 0, 0, &e), HE_OK);
	make_past(db, m1);
	make_past(db, m2);
	int64_t att[] = {invitee(db, m1, "worker_id", f.wx)};
	struct action_in act = agency_action(f.pg, "Grace will visit the family at home by Friday");
	assert_int_equal(taf_record(db, &f.x, m1, version(db, m1), att, 1, "M", "", &act, 1, &e), HE_OK);
	int64_t aid = count(db, "SELECT id FROM plan_actions");
	struct review_progress up = {.action_id = aid, .version = count(db, "SELECT version FROM plan_actions"),
		.status = "in_progress", .progress = "First visit done"};
	int64_t att2[] = {invitee(db, m2, "worker_id", f.wx)};
	int rc = taf_record_ex(db, &f.x, m2, version(db, m2), att2, 1, "Second", "", NULL, 0, &up, 1, &e);
	if (rc)
		fail_msg("taf_record_ex: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM action_updates WHERE meeting_id = %" PRId64, m2)), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions WHERE status = 'in_progress'"), 1);
}

/* ---- cancelling and the closed case ------------------------------------------------ */

static void test_cancel_and_closed(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t m = schedule(db, &f, 5), m2 = schedule(db, &f, 6);
	assert_int_equal(taf_cancel(db, &f.x, m, version(db, m), " ", &e), HE_MISSING);
	assert_string_equal(e.field, "reason");
	assert_int_equal(taf_cancel(db, &f.x, m, version(db, m), "Mum is in hospital", &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'meeting_cancelled'"), 1);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.pg, 0, 0, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
	/* close the case: every change is refused, reading still works */
	int64_t cv = count(db, sqlf("SELECT version FROM cases WHERE id = %" PRId64, f.kase));
	assert_int_equal(case_close(db, &f.x, f.kase, cv, NULL, "outcomes_met", "", "Happy", &e), HE_OK);
	struct meeting_in in = {.starts_at = at(9, "10:00"), .place = "School"};
	int64_t id;
	assert_int_equal(taf_schedule(db, &f.x, f.kase, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	assert_non_null(strstr(e.message, "This case is closed"));
	assert_int_equal(taf_invite(db, &f.x, m2, version(db, m2), f.pg, 0, 0, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	assert_int_equal(taf_cancel(db, &f.x, m2, version(db, m2), "Closed", &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	make_past(db, m2);
	int64_t att[] = {invitee(db, m2, "worker_id", f.wx)};
	assert_int_equal(taf_record(db, &f.x, m2, version(db, m2), att, 1, "M", "", NULL, 0, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	struct arena a;
	arena_init(&a);
	struct taf_meeting t;
	assert_int_equal(taf_meeting_load(db, &a, &f.x, m2, &t, &e), HE_OK);
	assert_false(t.case_open);
	arena_free(&a);
}

/* ---- scope: agency users ------------------------------------------------------------- */

static void test_agency_scope(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	bool yes;
	fixture(db, &f);
	int64_t m = schedule(db, &f, 2), future = schedule(db, &f, 8);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.pg, 0, 0, &e), HE_OK);
	assert_int_equal(taf_invite(db, &f.x, m, version(db, m), f.po, 0, 0, &e), HE_OK);
	assert_int_equal(taf_invite(db, &f.x, future, version(db, future), f.pg, 0, 0, &e), HE_OK);
	make_past(db, m);
	struct action_in acts[3] = {
		agency_action(f.pg, "Grace will meet Aisha weekly about attendance"),
		agency_action(f.po, "Omar will assess the family for rehousing"),
		{.description = "Xena will call school every Monday", .need = "attendance",
		 .owner_kind = "worker", .due_on = day(7), .owner_worker_id = f.wx},
	};
	int64_t att[] = {invitee(db, m, "professional_id", f.pg)};
	assert_int_equal(taf_record(db, &f.x, m, version(db, m), att, 1, "Minutes", "", acts, 3, &e), HE_OK);
	int64_t grace_action = count(db, sqlf("SELECT id FROM plan_actions WHERE owner_professional_id = %"
					      PRId64, f.pg));
	int64_t omar_action = count(db, sqlf("SELECT id FROM plan_actions WHERE owner_professional_id = %"
					     PRId64, f.po));

	assert_int_equal(taf_meeting_visible(db, &f.grace, m, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(taf_meeting_visible(db, &f.omar, future, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(taf_meeting_visible(db, &f.y, m, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(taf_meeting_visible(db, &f.grace, m + 1000, &yes), HE_OK);
	assert_false(yes);

	struct arena a;
	arena_init(&a);
	struct taf_meeting t;
	/* Grace sees the meeting and only her own action */
	assert_int_equal(taf_meeting_load(db, &a, &f.grace, m, &t, &e), HE_OK);
	assert_true(t.agency_view);
	assert_int_equal(t.nactions, 1);
	assert_int_equal(t.actions[0].id, grace_action);
	/* Omar guesses the meeting he was not invited to: 404 and a denial */
	int64_t denied = count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
			       " AND entity = 'taf_meetings'");
	assert_int_equal(taf_meeting_load(db, &a, &f.omar, future, &t, &e), HE_NOT_FOUND);
	assert_int_equal(taf_meeting_load(db, &a, &f.y, m, &t, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
			       " AND entity = 'taf_meetings'"), denied + 2);
	/* an agency user never changes the meeting */
	assert_int_equal(taf_cancel(db, &f.grace, future, version(db, future), "No", &e), HE_NOT_FOUND);

	/* her home: both meetings she is invited to, her one action */
	struct taf_summary *ms;
	struct taf_action *as;
	size_t nm, na;
	assert_int_equal(taf_agency_home(db, &a, &f.grace, &ms, &nm, &as, &na, &e), HE_OK);
	assert_int_equal(nm, 2);
	assert_int_equal(ms[0].id, future);        /* upcoming first */
	assert_int_equal(na, 1);
	assert_int_equal(as[0].id, grace_action);
	assert_string_equal(as[0].family_name, "Khan family");
	/* she updates her action; not Omar's */
	int64_t av = count(db, sqlf("SELECT version FROM plan_actions WHERE id = %" PRId64, grace_action));
	assert_int_equal(plan_action_update(db, &f.grace, grace_action, av, "in_progress",
					    "Met Aisha on Monday", NULL, &e), HE_OK);
	av = count(db, sqlf("SELECT version FROM plan_actions WHERE id = %" PRId64, omar_action));
	assert_int_equal(plan_action_update(db, &f.grace, omar_action, av, "done", "x", NULL, &e),
			 HE_NOT_FOUND);
	/* withdrawn consent to share with agencies: her lists empty, the meeting gone */
	exec(db, "UPDATE consents SET withdrawn_on = '2026-01-01', withdrawn_reason = 'asked'");
	assert_int_equal(taf_agency_home(db, &a, &f.grace, &ms, &nm, &as, &na, &e), HE_OK);
	assert_int_equal(nm, 0);
	assert_int_equal(na, 0);
	assert_int_equal(taf_meeting_load(db, &a, &f.grace, m, &t, &e), HE_NOT_FOUND);
	arena_free(&a);
}

/* ---- lists ---------------------------------------------------------------------- */

static void test_lists(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t late = schedule(db, &f, 9), soon = schedule(db, &f, 1), gone = schedule(db, &f, 3);
	assert_int_equal(taf_cancel(db, &f.x, gone, version(db, gone), "Clash", &e), HE_OK);
	struct arena a;
	arena_init(&a);
	struct taf_summary *l;
	size_t n;
	assert_int_equal(taf_case_meetings(db, &a, f.kase, &l, &n), HE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].id, soon);
	assert_int_equal(l[1].id, late);
	assert_int_equal(l[2].id, gone);
	assert_int_equal(l[0].ninvited, 1);
	/* the calendar: scheduled ones of X's cases, and one Y is invited to */
	assert_int_equal(taf_worker_meetings(db, &a, f.wx, at(0, "00:00"), &l, &n), HE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(taf_worker_meetings(db, &a, f.wy, at(0, "00:00"), &l, &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(taf_invite(db, &f.x, late, version(db, late), 0, 0, f.wy, &e), HE_OK);
	assert_int_equal(taf_worker_meetings(db, &a, f.wy, at(0, "00:00"), &l, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].place, "Multi-agency centre, Alpha Academy");
	arena_free(&a);
	assert_string_equal(taf_status_title("held"), "Held");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schedule, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_invite, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_record, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_record_updates, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_closed, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_agency_scope, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_lists, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
