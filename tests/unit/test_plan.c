/* test_plan.c — unit tests for src/core/plan.c: adding actions (each bad
 * input named by field: no description, an unknown need, no owner, two
 * owners, a member of another family, an inactive worker, a due date in
 * the past), the family's own commitments, double submission, consent for
 * an agency owner, row scope (another worker, a school user, the agency
 * user who owns an action and one who does not — each denial audited),
 * updates (unknown status, progress required, a date in the future,
 * version conflicts, history never overwritten), a closed case refusing
 * every change, reviews (progress on every open action, the default next
 * date from case.review_weeks, the case's version, a re-assessment in the
 * same transaction, nothing half-written on error) and what is overdue.
 *
 * Fresh database per test with the real migrations (SQLite, or PostgreSQL
 * with HEARTH_TEST_PG).  The partnership, family, referral, consent and
 * directory rows are inserted with SQL; the case is opened with
 * case_open_tx, as in the program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/assess.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/plan.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who_sys = {.role = "system", .route = "test plan"};
static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_y = {.email = "y@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};
static struct audit_who who_g = {.email = "g@hearth.example", .role = "agency", .route = "test"};
static struct audit_who who_h = {.email = "h@hearth.example", .role = "agency", .route = "test"};

struct fx {
	int64_t school, family, other_family, referral, mother, child, other_member;
	int64_t wx, wy, wgone, ux, uy, uc, us, ug, uh, agency, pg, ph;
	struct scope sys, x, y, coord, school_user, agency_g, agency_h;
};

/* ---- helpers ------------------------------------------------------------------ */

static void exec(struct db *db, const char *sql)
{
	int rc = db_exec(db, sql);
	if (rc)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
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

static const char *day(int days)
{
	static char b[8][11];
	static int k;
	char *out = b[k++ % 8];
	date_format(date_today() + days, out);
	return out;
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

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static void role_scope(struct scope *s, enum role role, const struct audit_who *w, int64_t user)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(role);
	s->user_id = user;
	s->who = w;
}

static int64_t user(struct db *db, const char *email, const char *name, const char *role)
{
	return insert(db, sqlf("INSERT INTO users (email, name, role, password_hash, created_at, updated_at)"
		" VALUES ('%s', '%s', '%s', 'x', 'now', 'now') RETURNING id", email, name, role));
}

static int64_t worker(struct db *db, int64_t uid, const char *name, int active)
{
	return insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, active, created_at,"
		" updated_at) VALUES (%s, '%s', 'Early Help', 'family_support', %d, 'now', 'now') RETURNING id",
		uid ? sqlf("%" PRId64, uid) : "NULL", name, active));
}

/* A school, the Khan family (mother, child) with a referral and consent
 * for pool and school only, another family, workers X, Y and an inactive
 * one, a coordinator, a school user, an agency with professionals G (an
 * agency user) and H (another agency user). */
static void fixture(struct db *db, struct fx *f)
{
	memset(f, 0, sizeof *f);
	exec(db, "INSERT INTO districts (name) VALUES ('Belgrave')");
	f->school = insert(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('999601', 'Plan Test Academy', 'secondary', 1, 'now') RETURNING id");
	f->ux = user(db, "x@hearth.example", "Xena Worker", "worker");
	f->uy = user(db, "y@hearth.example", "Yusuf Worker", "worker");
	f->uc = user(db, "c@hearth.example", "Cora Ordinator", "coordinator");
	f->us = insert(db, sqlf("INSERT INTO users (email, name, role, school_id, password_hash, created_at,"
		" updated_at) VALUES ('s@hearth.example', 'Sam School', 'school', %" PRId64 ", 'x', 'now',"
		" 'now') RETURNING id", f->school));
	f->ug = user(db, "g@hearth.example", "Grace Mensah", "agency");
	f->uh = user(db, "h@hearth.example", "Hal Jones", "agency");
	f->wx = worker(db, f->ux, "Xena Worker", 1);
	f->wy = worker(db, f->uy, "Yusuf Worker", 1);
	f->wgone = worker(db, 0, "Gone Worker", 0);
	f->family = insert(db, "INSERT INTO families (ref, name, created_at, updated_at) VALUES"
		" ('F-000001', 'Khan family', 'now', 'now') RETURNING id");
	f->other_family = insert(db, "INSERT INTO families (ref, name, created_at, updated_at) VALUES"
		" ('F-000002', 'Patel family', 'now', 'now') RETURNING id");
	f->mother = insert(db, sqlf("INSERT INTO family_members (family_id, name, relationship, is_child,"
		" created_at) VALUES (%" PRId64 ", 'Nadia Khan', 'mother', 0, 'now') RETURNING id", f->family));
	f->child = insert(db, sqlf("INSERT INTO family_members (family_id, name, relationship, is_child,"
		" created_at) VALUES (%" PRId64 ", 'Aisha Khan', 'child', 1, 'now') RETURNING id", f->family));
	f->other_member = insert(db, sqlf("INSERT INTO family_members (family_id, name, relationship,"
		" is_child, created_at) VALUES (%" PRId64 ", 'Priya Patel', 'mother', 0, 'now') RETURNING id",
		f->other_family));
	f->referral = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source, school_id,"
		" level_of_need, needs, reason, received_at) VALUES ('R-000001', %" PRId64 ", 'school',"
		" %" PRId64 ", 2, 'attendance,parenting', 'Attendance falling', '%sT09:00:00Z') RETURNING id",
		f->family, f->school, day(-60)));
	exec(db, sqlf("INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, recorded_at) VALUES (%" PRId64 ", %" PRId64 ", 'consent', 'Nadia Khan',"
		" 'mother', 'pool,school', '%s', 'now')", f->family, f->referral, day(-60)));
	f->agency = insert(db, "INSERT INTO agencies (name, kind, created_at) VALUES"
		" ('City Education Welfare', 'education_welfare', 'now') RETURNING id");
	f->pg = insert(db, sqlf("INSERT INTO professionals (agency_id, name, role, user_id, created_at)"
		" VALUES (%" PRId64 ", 'Grace Mensah', 'Education welfare officer', %" PRId64 ", 'now')"
		" RETURNING id", f->agency, f->ug));
	f->ph = insert(db, sqlf("INSERT INTO professionals (agency_id, name, role, user_id, created_at)"
		" VALUES (%" PRId64 ", 'Hal Jones', 'Officer', %" PRId64 ", 'now') RETURNING id",
		f->agency, f->uh));
	scope_system(&who_sys, &f->sys);
	who_x.user_id = f->ux, who_y.user_id = f->uy, who_c.user_id = f->uc;
	who_g.user_id = f->ug, who_h.user_id = f->uh;
	role_scope(&f->x, ROLE_WORKER, &who_x, f->ux);
	f->x.worker_id = f->wx;
	role_scope(&f->y, ROLE_WORKER, &who_y, f->uy);
	f->y.worker_id = f->wy;
	role_scope(&f->coord, ROLE_COORDINATOR, &who_c, f->uc);
	role_scope(&f->school_user, ROLE_SCHOOL, &who_sys, f->us);
	f->school_user.school_id = f->school;
	role_scope(&f->agency_g, ROLE_AGENCY, &who_g, f->ug);
	f->agency_g.professional_id = f->pg;
	role_scope(&f->agency_h, ROLE_AGENCY, &who_h, f->uh);
	f->agency_h.professional_id = f->ph;
}

static int64_t open_case(struct db *db, struct fx *f)
{
	int64_t id = 0;
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = case_open_tx(db, &f->coord, f->referral, f->wx, 2, false, day(-50), &id, &e);
	if (rc)
		fail_msg("case_open_tx: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
	return id;
}

static void agencies_consent(struct db *db, struct fx *f)
{
	exec(db, sqlf("INSERT INTO consents (family_id, basis, given_by, given_by_relationship, scope,"
		" given_on, recorded_at) VALUES (%" PRId64 ", 'consent', 'Nadia Khan', 'mother',"
		" 'pool,agencies', '%s', 'now')", f->family, day(-1)));
}

static struct action_in family_action(struct fx *f)
{
	struct action_in in = {
		.description = "Walk Aisha to school by 8:45 every day for four weeks",
		.need = "attendance", .owner_kind = "family", .owner_member_id = f->mother,
		.due_on = day(28),
	};
	return in;
}

static int64_t add(struct db *db, const struct scope *s, int64_t c, const struct action_in *in)
{
	int64_t id = 0;
	struct errinfo e = {0};
	int rc = plan_action_add(db, s, c, in, &id, &e);
	if (rc)
		fail_msg("plan_action_add: %d %s: %s", rc, e.field, e.message);
	return id;
}

static int64_t aversion(struct db *db, int64_t id)
{
	return count(db, sqlf("SELECT version FROM plan_actions WHERE id = %" PRId64, id));
}

static int64_t cversion(struct db *db, int64_t id)
{
	return count(db, sqlf("SELECT version FROM cases WHERE id = %" PRId64, id));
}

static int64_t denials(struct db *db)
{
	return count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
}

/* ---- adding ---------------------------------------------------------------------- */

static void expect_bad(struct db *db, struct fx *f, int64_t c, struct action_in in, int code,
		       const char *field)
{
	int64_t id = 0;
	struct errinfo e = {0};
	assert_int_equal(plan_action_add(db, &f->x, c, &in, &id, &e), code);
	assert_string_equal(e.field, field);
	assert_true(strlen(e.message) > 0);
}

static void test_add_validation(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct action_in in = family_action(&f);
	in.description = "  ";
	expect_bad(db, &f, c, in, HE_MISSING, "description");
	in = family_action(&f);
	in.need = "astrology";
	expect_bad(db, &f, c, in, HE_INVALID, "need");
	in.need = NULL;
	expect_bad(db, &f, c, in, HE_MISSING, "need");
	in = family_action(&f);
	in.owner_kind = NULL, in.owner_member_id = 0;
	expect_bad(db, &f, c, in, HE_MISSING, "owner");            /* no owner */
	in.owner_kind = "family";
	expect_bad(db, &f, c, in, HE_MISSING, "owner");            /* a kind but no one */
	in.owner_kind = "neighbour", in.owner_member_id = f.mother;
	expect_bad(db, &f, c, in, HE_INVALID, "owner");
	in = family_action(&f);
	in.owner_worker_id = f.wx;                                  /* two owners */
	expect_bad(db, &f, c, in, HE_INVALID, "owner");
	in = family_action(&f);
	in.owner_member_id = f.other_member;                        /* not of this family */
	expect_bad(db, &f, c, in, HE_INVALID, "owner");
	in = family_action(&f);
	in.owner_kind = "worker", in.owner_member_id = 0, in.owner_worker_id = f.wgone;
	expect_bad(db, &f, c, in, HE_INVALID, "owner");             /* inactive worker */
	in = family_action(&f);
	in.due_on = day(-1);
	expect_bad(db, &f, c, in, HE_INVALID, "due_on");            /* in the past */
	in.due_on = "2026-02-30";
	expect_bad(db, &f, c, in, HE_INVALID, "due_on");
	in.due_on = "";
	expect_bad(db, &f, c, in, HE_MISSING, "due_on");
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 0);

	/* the family's own commitment; a need from the assessment domains; due today is fine */
	in = family_action(&f);
	in.due_on = day(0);
	int64_t a1 = add(db, &f.x, c, &in);
	in = family_action(&f);
	in.owner_kind = "worker", in.owner_member_id = 0, in.owner_worker_id = f.wx;
	in.need = "housing", in.description = "Help Nadia apply for a housing transfer by the end of the month";
	int64_t a2 = add(db, &f.x, c, &in);
	assert_true(a1 > 0 && a2 > a1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM plan_actions WHERE id = %" PRId64
		" AND owner_kind = 'family' AND owner_member_id = %" PRId64 " AND status = 'not_started'"
		" AND version = 1", a1, f.mother)), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM action_updates WHERE action_id = %" PRId64, a1)), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND kind = 'action_agreed'", c)), 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'create' AND"
		" entity = 'plan_actions' AND entity_id = '%" PRId64 "'", a1)), 1);

	/* reading: grouped worker first, the owner's name, the need's title */
	struct arena a;
	struct plan_action *v;
	size_t n;
	arena_init(&a);
	assert_int_equal(plan_actions(db, &a, c, &v, &n), HE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].owner_kind, "worker");
	assert_string_equal(v[1].owner_name, "Nadia Khan");
	assert_string_equal(v[1].owner_detail, "mother");
	assert_string_equal(v[1].need_title, "Attendance");
	assert_string_equal(v[0].need_title, "Housing");
	assert_true(v[1].open);
	assert_int_equal(v[1].overdue_days, 0);
	arena_free(&a);
}

static void test_add_idempotent_and_tx(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id1 = 0, id2 = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct action_in in = family_action(&f);
	in.idem_key = "k-1";
	assert_int_equal(plan_action_add(db, &f.x, c, &in, &id1, &e), HE_OK);
	assert_int_equal(plan_action_add(db, &f.x, c, &in, &id2, &e), HE_OK);
	assert_int_equal(id1, id2);
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 1);
	/* the _tx variants refuse to run outside a transaction */
	assert_int_equal(plan_action_add_tx(db, &f.x, c, 0, &in, &id1, &e), HE_INTERNAL);
	assert_int_equal(plan_action_update_tx(db, &f.x, id1, 1, "done", "x", NULL, 0, 0, &e), HE_INTERNAL);
	/* inside the caller's transaction, rolled back with it */
	in.idem_key = NULL;
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(plan_action_add_tx(db, &f.x, c, 0, &in, &id2, &e), HE_OK);
	db_rollback(db);
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 1);
}

static void test_agency_consent(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct action_in in = {
		.description = "Meet Nadia and agree an attendance plan within two weeks",
		.need = "attendance", .owner_kind = "agency", .owner_professional_id = f.pg, .due_on = day(14),
	};
	assert_int_equal(plan_action_add(db, &f.x, c, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 0);
	agencies_consent(db, &f);
	assert_int_equal(plan_action_add(db, &f.x, c, &in, &id, &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT owner_professional_id FROM plan_actions WHERE id = %"
		PRId64, id)), f.pg);
}

/* ---- scope -------------------------------------------------------------------------- */

static void test_scope(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	bool yes;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	agencies_consent(db, &f);
	struct action_in in = family_action(&f);
	int64_t fam = add(db, &f.x, c, &in);
	in.owner_kind = "agency", in.owner_member_id = 0, in.owner_professional_id = f.pg;
	int64_t ag = add(db, &f.coord, c, &in);

	/* another worker: not found, audited */
	int64_t d0 = denials(db);
	assert_int_equal(plan_action_add(db, &f.y, c, &in, &id, &e), HE_NOT_FOUND);
	assert_int_equal(denials(db), d0 + 1);
	assert_int_equal(plan_action_update(db, &f.y, fam, 1, "in_progress", "x", NULL, &e), HE_NOT_FOUND);
	assert_int_equal(denials(db), d0 + 2);
	assert_int_equal(aversion(db, fam), 1);
	/* a school user sees no action */
	assert_int_equal(plan_action_visible(db, &f.school_user, fam, &yes), HE_OK);
	assert_false(yes);
	/* the agency user owning an action: sees and updates it, and only it */
	assert_int_equal(plan_action_visible(db, &f.agency_g, ag, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(plan_action_visible(db, &f.agency_g, fam, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(plan_action_visible(db, &f.agency_h, ag, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(plan_action_update(db, &f.agency_g, ag, 1, "in_progress", "Met Nadia on Monday",
					    NULL, &e), HE_OK);
	assert_int_equal(plan_action_update(db, &f.agency_g, fam, 1, "done", "x", NULL, &e), HE_NOT_FOUND);
	assert_int_equal(plan_action_update(db, &f.agency_h, ag, 2, "done", "x", NULL, &e), HE_NOT_FOUND);
	assert_int_equal(plan_action_add(db, &f.agency_g, c, &in, &id, &e), HE_NOT_FOUND);
	assert_int_equal(denials(db), d0 + 5);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'denied' AND"
		" entity = 'plan_actions' AND entity_id = '%" PRId64 "' AND user_id = %" PRId64, ag, f.uh)), 1);
	/* loading: the owner can, others get not found */
	struct arena a;
	struct plan_action x;
	struct plan_update *u;
	size_t nu;
	arena_init(&a);
	assert_int_equal(plan_action_load(db, &a, &f.agency_g, ag, &x, &u, &nu, &e), HE_OK);
	assert_int_equal(nu, 2);
	assert_string_equal(u[0].progress, "Met Nadia on Monday");
	assert_int_equal(plan_action_load(db, &a, &f.agency_h, ag, &x, &u, &nu, &e), HE_NOT_FOUND);
	assert_int_equal(plan_action_load(db, &a, &f.x, 99999, &x, &u, &nu, &e), HE_NOT_FOUND);
	arena_free(&a);
	/* the coordinator sees every case's actions */
	assert_int_equal(plan_action_visible(db, &f.coord, fam, &yes), HE_OK);
	assert_true(yes);
}

/* ---- updating ------------------------------------------------------------------------ */

static void test_update(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct action_in in = family_action(&f);
	int64_t id = add(db, &f.x, c, &in);
	assert_int_equal(plan_action_update(db, &f.x, id, 1, "finished", "x", NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "status");
	assert_int_equal(plan_action_update(db, &f.x, id, 1, "", "x", NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "status");
	/* the same status needs a word of progress */
	assert_int_equal(plan_action_update(db, &f.x, id, 1, "not_started", "", NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "progress");
	assert_int_equal(plan_action_update(db, &f.x, id, 1, "in_progress", "Started", day(1), &e), HE_INVALID);
	assert_string_equal(e.field, "on");
	assert_int_equal(plan_action_update(db, &f.x, id, 1, "in_progress", "Started", day(-70), &e), HE_INVALID);
	assert_string_equal(e.field, "on");
	assert_int_equal(plan_action_update(db, &f.x, id, 0, "in_progress", "Started", NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "version");
	assert_int_equal(aversion(db, id), 1);
	/* two editors from version 1: the second changes nothing */
	assert_int_equal(plan_action_update(db, &f.x, id, 1, "in_progress", "Three days out of five", NULL, &e),
			 HE_OK);
	assert_int_equal(plan_action_update(db, &f.coord, id, 1, "dropped", "Not needed", NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_non_null(strstr(e.message, "changed by someone else"));
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM plan_actions WHERE id = %" PRId64
		" AND status = 'in_progress' AND version = 2", id)), 1);
	/* a change of status alone is enough; history is kept */
	assert_int_equal(plan_action_update(db, &f.x, id, 2, "done", "", day(-1), &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM action_updates WHERE action_id = %" PRId64, id)), 3);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM action_updates WHERE action_id = %" PRId64
		" AND progress = 'Three days out of five'", id)), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND kind = 'action_updated'", c)), 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'update' AND"
		" entity = 'plan_actions' AND entity_id = '%" PRId64 "'", id)), 2);
}

static void test_closed_case(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct action_in in = family_action(&f);
	int64_t a1 = add(db, &f.x, c, &in);
	assert_int_equal(case_close(db, &f.x, c, cversion(db, c), NULL, "outcomes_met", "",
				    "We are doing well now", &e), HE_OK);
	assert_int_equal(plan_action_add(db, &f.x, c, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	assert_non_null(strstr(e.message, "This case is closed"));
	assert_int_equal(plan_action_update(db, &f.x, a1, 1, "done", "Done", NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	struct review_progress p = {a1, 1, "done", "Done"};
	struct review_in r = {.summary = "s", .family_view = "v", .progress = &p, .nprogress = 1};
	assert_int_equal(plan_review_add(db, &f.x, c, cversion(db, c), &r, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM reviews"), 0);
	assert_int_equal(aversion(db, a1), 1);
	/* reading stays possible */
	struct arena a;
	struct plan_action *v;
	size_t n;
	arena_init(&a);
	assert_int_equal(plan_actions(db, &a, c, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	arena_free(&a);
}

/* ---- reviews --------------------------------------------------------------------------- */

static void test_review(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0, id2 = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	exec(db, "UPDATE settings SET value = '4' WHERE key = 'case.review_weeks'");
	struct action_in in = family_action(&f);
	int64_t a1 = add(db, &f.x, c, &in);
	in.owner_kind = "worker", in.owner_member_id = 0, in.owner_worker_id = f.wx;
	int64_t a2 = add(db, &f.x, c, &in);
	in.owner_kind = "family", in.owner_member_id = f.child, in.owner_worker_id = 0;
	int64_t a3 = add(db, &f.x, c, &in);
	struct errinfo e3 = {0};
	assert_int_equal(plan_action_update(db, &f.x, a3, 1, "dropped", "No longer needed", NULL, &e3), HE_OK);
	int64_t v0 = cversion(db, c);

	/* progress missing on one open action: nothing is written */
	struct review_progress p[2] = {{a1, 1, "in_progress", "Most days now"}, {a2, 1, "done", ""}};
	struct review_in r = {
		.idem_key = "rev-1", .held_on = day(-1), .summary = "Attendance is up to 88%",
		.family_view = "Nadia says mornings are calmer", .progress = p, .nprogress = 1,
	};
	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id, &e), HE_MISSING);
	assert_string_equal(e.field, sqlf("progress.%" PRId64, a2));
	/* progress is required at a review even when the status changes */
	r.nprogress = 2;
	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id, &e), HE_MISSING);
	assert_string_equal(e.field, sqlf("progress.%" PRId64, a2));
	p[1].progress = "Transfer form sent";
	p[1].status = "finished";
	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id, &e), HE_INVALID);
	assert_string_equal(e.field, sqlf("status.%" PRId64, a2));
	p[1].status = "done";
	r.family_view = "";
	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "family_view");
	r.family_view = "Nadia says mornings are calmer";
	r.next_review_on = day(-1);
	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "next_review_on");
	r.next_review_on = NULL;
	/* a stale case version */
	assert_int_equal(plan_review_add(db, &f.x, c, v0 - 1 > 0 ? v0 - 1 : 99, &r, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_int_equal(count(db, "SELECT count(*) FROM reviews"), 0);
	assert_int_equal(aversion(db, a1), 1);
	assert_int_equal(cversion(db, c), v0);

	/* another worker: not found */
	assert_int_equal(plan_review_add(db, &f.y, c, v0, &r, &id, &e), HE_NOT_FOUND);

	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id, &e), HE_OK);
	assert_true(id > 0);
	assert_int_equal(cversion(db, c), v0 + 1);
	/* the default next date: held_on + case.review_weeks (4) weeks */
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM cases WHERE id = %" PRId64
		" AND next_review_on = '%s'", c, day(27))), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM action_updates WHERE review_id = %" PRId64, id)), 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM plan_actions WHERE id = %" PRId64
		" AND status = 'done' AND version = 2", a2)), 1);
	assert_int_equal(aversion(db, a3), 2);    /* dropped: not reviewed */
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND kind = 'reviewed' AND on_date = '%s'", c, day(-1))), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'create' AND"
		" entity = 'reviews' AND entity_id = '%" PRId64 "'", id)), 1);
	/* the same form again: the first review, nothing new */
	assert_int_equal(plan_review_add(db, &f.x, c, v0, &r, &id2, &e), HE_OK);
	assert_int_equal(id2, id);
	assert_int_equal(count(db, "SELECT count(*) FROM reviews"), 1);

	struct arena a;
	struct plan_review *rv;
	size_t n;
	arena_init(&a);
	assert_int_equal(plan_reviews(db, &a, c, &rv, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rv[0].nupdates, 2);
	assert_false(rv[0].reassessed);
	arena_free(&a);
}

static void test_review_reassess(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct arena a;
	struct assess_domain *d;
	size_t nd;
	arena_init(&a);
	assert_int_equal(assess_domains(db, &a, true, &d, &nd), HE_OK);
	assert_true(nd >= 16);
	struct assess_score_in *sc = arena_alloc(&a, nd * sizeof *sc);
	for (size_t i = 0; i < nd; i++)
		sc[i] = (struct assess_score_in){d[i].code, 6, "", ""};
	struct assess_in as = {.assessed_on = day(0), .kind = "review", .agreed_with = "Nadia Khan",
			       .scores = sc, .nscores = nd};
	struct review_in r = {.held_on = day(0), .summary = "First review", .family_view = "Going well",
			      .next_review_on = day(30), .assessment = &as};
	/* a bad score rolls the whole review back */
	sc[0].score = 11;
	assert_int_equal(plan_review_add(db, &f.x, c, cversion(db, c), &r, &id, &e), HE_INVALID);
	assert_int_equal(count(db, "SELECT count(*) FROM reviews"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 0);
	sc[0].score = 7;
	assert_int_equal(plan_review_add(db, &f.x, c, cversion(db, c), &r, &id, &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM assessments WHERE review_id = %" PRId64
		" AND case_id = %" PRId64, id, c)), 1);
	assert_int_equal(count(db, sqlf("SELECT next_review_on = '%s' FROM cases WHERE id = %" PRId64,
		day(30), c)), 1);
	struct plan_review *rv;
	size_t n;
	assert_int_equal(plan_reviews(db, &a, c, &rv, &n), HE_OK);
	assert_true(rv[0].reassessed);
	arena_free(&a);
}

/* ---- overdue ---------------------------------------------------------------------------- */

static void test_overdue(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int n = -1;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct action_in in = family_action(&f);
	int64_t a1 = add(db, &f.x, c, &in);
	int64_t a2 = add(db, &f.x, c, &in);
	add(db, &f.x, c, &in);
	/* time passes: two actions fall due in the past (creation refuses it) */
	exec(db, sqlf("UPDATE plan_actions SET due_on = '%s' WHERE id = %" PRId64, day(-5), a1));
	exec(db, sqlf("UPDATE plan_actions SET due_on = '%s' WHERE id = %" PRId64, day(-2), a2));
	assert_int_equal(plan_overdue_count(db, c, &n), HE_OK);
	assert_int_equal(n, 2);
	struct arena a;
	struct plan_overdue *o;
	size_t no;
	arena_init(&a);
	assert_int_equal(plan_overdue_actions(db, &a, f.wx, 0, &o, &no), HE_OK);
	assert_int_equal(no, 2);
	assert_int_equal(o[0].action_id, a1);
	assert_int_equal(o[0].days, 5);
	assert_string_equal(o[0].owner_name, "Nadia Khan");
	assert_int_equal(plan_overdue_actions(db, &a, f.wy, 0, &o, &no), HE_OK);
	assert_int_equal(no, 0);
	struct plan_action *v;
	size_t nv;
	assert_int_equal(plan_actions(db, &a, c, &v, &nv), HE_OK);
	assert_int_equal(v[0].overdue_days, 5);
	/* not_done stays overdue; done does not */
	assert_int_equal(plan_action_update(db, &f.x, a2, 1, "not_done", "Missed", NULL, &e), HE_OK);
	assert_int_equal(plan_action_update(db, &f.x, a1, 1, "done", "", NULL, &e), HE_OK);
	assert_int_equal(plan_overdue_count(db, c, &n), HE_OK);
	assert_int_equal(n, 1);
	/* a closed case is not on anyone's overdue list */
	assert_int_equal(case_close(db, &f.x, c, cversion(db, c), NULL, "outcomes_met", "", "Fine", &e), HE_OK);
	assert_int_equal(plan_overdue_actions(db, &a, 0, 0, &o, &no), HE_OK);
	assert_int_equal(no, 0);
	arena_free(&a);
}

static void test_choices(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct arena a;
	struct plan_choice *v;
	size_t n;
	arena_init(&a);
	assert_int_equal(plan_needs(db, &a, c, &v, &n), HE_OK);
	assert_string_equal(v[0].code, "attendance");     /* the referral's needs first */
	assert_string_equal(v[1].code, "parenting");
	assert_string_equal(v[2].kind, "domain");
	assert_int_equal(plan_owners(db, &a, c, &v, &n), HE_OK);
	size_t fam = 0, work = 0, ag = 0;
	for (size_t i = 0; i < n; i++) {
		fam += strcmp(v[i].kind, "family") == 0;
		work += strcmp(v[i].kind, "worker") == 0;
		ag += strcmp(v[i].kind, "agency") == 0;
		assert_true(v[i].id != f.other_member || strcmp(v[i].kind, "family") != 0);
		assert_true(v[i].id != f.wgone || strcmp(v[i].kind, "worker") != 0);
	}
	assert_int_equal(fam, 2);
	assert_int_equal(work, 2);
	assert_int_equal(ag, 0);     /* the family does not share with agencies: none offered */
	assert_string_equal(v[2].title, "Xena Worker");     /* the case's worker first */
	agencies_consent(db, &f);
	assert_int_equal(plan_owners(db, &a, c, &v, &n), HE_OK);
	ag = 0;
	for (size_t i = 0; i < n; i++)
		ag += strcmp(v[i].kind, "agency") == 0;
	assert_int_equal(ag, 2);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_validation, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_add_idempotent_and_tx, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_agency_consent, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_scope, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_update, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_closed_case, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_review, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_review_reassess, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_overdue, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_choices, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
