/* test_commission.c — unit tests for src/core/commission.c: a request
 * within the worker's limit approved at once (3 × £33.33 = £99.99 to the
 * penny), one above it waiting for the holder (the school for its budget),
 * who may decide (and who may not: another school 404, the worker 403,
 * each audited), validation naming each field, overspend refused with the
 * figures and overridden with a note, delivery at a different actual cost,
 * payment, refunds (partial, too much, before payment), cancellation after
 * approval releasing the commitment, household item grants, version
 * conflicts, double submission, a closed case refusing new commissions, a
 * case with an open commission refusing closure, and two concurrent
 * approvals of the last of a budget on two connections: exactly one
 * succeeds (SQLite, or PostgreSQL with HEARTH_TEST_PG).  Every move
 * (holder approval, decline, override, delivery, payment, refund,
 * cancellation) writes exactly one commission_events row and exactly one
 * audit row, in one transaction (a trigger that refuses the audit row
 * leaves no trace of the move); a delivery above the estimate that would
 * overspend is refused unless the holder overrides; a district budget made
 * with budget_save is the coordinator's to approve on.
 *
 * Budget positions are read through budget_position (budget.c), the
 * function every page and export uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/budget.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/commission.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define T(state) ((struct testdb *)*(state))

static const struct audit_who who_sys = {.role = "system", .route = "test commission"};
static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_y = {.email = "y@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};
static struct audit_who who_a = {.email = "a@hearth.example", .role = "school", .route = "test"};
static struct audit_who who_b = {.email = "b@hearth.example", .role = "school", .route = "test"};

struct fx {
	int64_t school_a, school_b, family, referral, wx, wy, ux, uy, uc, ua, ub;
	int64_t budget_a, budget_b, budget_p, fgc, cbt, kase;
	struct scope sys, x, y, coord, sa, sb;
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

static const char *day(int days)
{
	static char b[8][11];
	static int k;
	char *out = b[k++ % 8];
	date_format(date_today() + days, out);
	return out;
}

/* The financial year (its start year) containing today. */
static int fin_year(void)
{
	int y, m, d;
	date_to_ymd(date_today(), &y, &m, &d);
	return m >= 4 ? y : y - 1;
}

static void role_scope(struct scope *s, enum role role, const struct audit_who *w, int64_t user)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(role);
	s->user_id = user;
	s->who = w;
}

static int64_t user(struct db *db, const char *email, const char *name, const char *role, int64_t school)
{
	return insert(db, sqlf("INSERT INTO users (email, name, role, school_id, password_hash, created_at,"
		" updated_at) VALUES ('%s', '%s', '%s', %s, 'x', 'now', 'now') RETURNING id", email, name, role,
		school ? sqlf("%" PRId64, school) : "NULL"));
}

static int64_t worker(struct db *db, int64_t uid, const char *name)
{
	return insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, active, created_at,"
		" updated_at) VALUES (%" PRId64 ", '%s', 'Early Help', 'family_support', 1, 'now', 'now')"
		" RETURNING id", uid, name));
}

static int64_t budget(struct db *db, const char *name, const char *kind, int64_t school, int64_t amount)
{
	int64_t id = insert(db, sqlf("INSERT INTO budgets (name, owner_kind, school_id, district_id, period,"
		" start_year, amount_pence, created_at, updated_at) VALUES ('%s', '%s', %s, NULL, 'financial',"
		" %d, %" PRId64 ", 'now', 'now') RETURNING id", name, kind,
		school ? sqlf("%" PRId64, school) : "NULL", fin_year(), amount));
	exec(db, sqlf("INSERT INTO budget_sources (budget_id, source, amount_pence) VALUES (%" PRId64 ","
		" 'Council', %" PRId64 ")", id, amount));
	return id;
}

/* Two schools in one district; the Khan family referred by school A; worker
 * X leads the case; Y is another worker; a coordinator; a school user of
 * each school; a school budget for each (A: £1,000.00, B: £1,000.00) and a
 * partnership budget (£10,000.00); two services. */
static void fixture(struct db *db, struct fx *f)
{
	memset(f, 0, sizeof *f);
	exec(db, "INSERT INTO districts (name) VALUES ('Belgrave')");
	f->school_a = insert(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('999701', 'Ratae Academy', 'secondary', 1, 'now') RETURNING id");
	f->school_b = insert(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('999702', 'Other Primary', 'primary', 1, 'now') RETURNING id");
	f->ux = user(db, "x@hearth.example", "Xena Worker", "worker", 0);
	f->uy = user(db, "y@hearth.example", "Yusuf Worker", "worker", 0);
	f->uc = user(db, "c@hearth.example", "Cora Ordinator", "coordinator", 0);
	f->ua = user(db, "a@hearth.example", "Ann Head", "school", f->school_a);
	f->ub = user(db, "b@hearth.example", "Ben Head", "school", f->school_b);
	f->wx = worker(db, f->ux, "Xena Worker");
	f->wy = worker(db, f->uy, "Yusuf Worker");
	f->family = insert(db, "INSERT INTO families (ref, name, created_at, updated_at) VALUES"
		" ('F-000001', 'Khan family', 'now', 'now') RETURNING id");
	f->referral = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source, school_id,"
		" level_of_need, needs, reason, received_at) VALUES ('R-000001', %" PRId64 ", 'school',"
		" %" PRId64 ", 2, 'parenting', 'Attendance falling', '%sT09:00:00Z') RETURNING id",
		f->family, f->school_a, day(-60)));
	exec(db, sqlf("INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, recorded_at) VALUES (%" PRId64 ", %" PRId64 ", 'consent', 'Nadia Khan',"
		" 'mother', 'pool,school,commissioned', '%s', 'now')", f->family, f->referral, day(-60)));
	f->budget_a = budget(db, "Ratae Academy commissioning budget", "school", f->school_a, 100000);
	f->budget_b = budget(db, "Other Primary commissioning budget", "school", f->school_b, 100000);
	f->budget_p = budget(db, "Partnership pooled budget", "partnership", 0, 1000000);
	exec(db, "INSERT INTO providers (name, created_at) VALUES ('Family Mediation Ltd', 'now')");
	f->fgc = insert(db, "INSERT INTO services (provider_id, name, category, unit, unit_cost_pence,"
		" created_at, updated_at) VALUES (1, 'Family group conferencing', 'family_group_conferencing',"
		" 'session', 9000, 'now', 'now') RETURNING id");
	f->cbt = insert(db, "INSERT INTO services (provider_id, name, category, unit, unit_cost_pence,"
		" created_at, updated_at) VALUES (1, 'CBT', 'therapy', 'session', 3333, 'now', 'now')"
		" RETURNING id");
	scope_system(&who_sys, &f->sys);
	who_x.user_id = f->ux, who_y.user_id = f->uy, who_c.user_id = f->uc;
	who_a.user_id = f->ua, who_b.user_id = f->ub;
	role_scope(&f->x, ROLE_WORKER, &who_x, f->ux);
	f->x.worker_id = f->wx;
	role_scope(&f->y, ROLE_WORKER, &who_y, f->uy);
	f->y.worker_id = f->wy;
	role_scope(&f->coord, ROLE_COORDINATOR, &who_c, f->uc);
	role_scope(&f->sa, ROLE_SCHOOL, &who_a, f->ua);
	f->sa.school_id = f->school_a;
	role_scope(&f->sb, ROLE_SCHOOL, &who_b, f->ub);
	f->sb.school_id = f->school_b;

	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = case_open_tx(db, &f->coord, f->referral, f->wx, 2, false, day(-50), &f->kase, &e);
	if (rc)
		fail_msg("case_open_tx: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
}

static struct commission_in service_in(int64_t budget_id, int64_t service, int qty)
{
	return (struct commission_in){.kind = "service", .reason = "The family asked for help to talk",
				      .budget_id = budget_id, .service_id = service, .quantity = qty};
}

static int64_t request_ok(struct db *db, const struct scope *s, int64_t c, const struct commission_in *in)
{
	int64_t id = 0;
	struct errinfo e = {0};
	int rc = commission_request(db, s, c, in, NULL, &id, &e);
	if (rc)
		fail_msg("commission_request: %d %s: %s", rc, e.field, e.message);
	assert_true(id > 0);
	return id;
}

static const char *status(struct db *db, int64_t id)
{
	static char b[16];
	struct db_stmt *st = db_prepare(db, "SELECT status FROM commissions WHERE id = :id");
	db_bind_int(st, ":id", id);
	snprintf(b, sizeof b, "%s", db_next(st) ? db_text(st, 0) : "");
	db_finalize(st);
	return b;
}

static int64_t version(struct db *db, int64_t id)
{
	return count(db, sqlf("SELECT version FROM commissions WHERE id = %" PRId64, id));
}

static struct budget_pos pos(struct db *db, int64_t budget_id)
{
	struct budget_pos p;
	assert_int_equal(budget_position(db, budget_id, &p), HE_OK);
	return p;
}

static int64_t denials(struct db *db)
{
	return count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
}

static void expect_err(int rc, const struct errinfo *e, int code, const char *field)
{
	if (rc != code || strcmp(e->field, field) != 0)
		fail_msg("expected %d %s, got %d %s: %s", code, field, rc, e->field, e->message);
	assert_true(strlen(e->message) > 0);
}

/* The audit trail of one move: before it, the commission's events and the
 * highest audit id; after it, exactly one more commission_events row (to
 * status to) and exactly one more audit_log row of the whole log that is
 * about commissions at all — entity 'commissions', action 'update',
 * entity_id the commission, its summary naming the move ("approved ->
 * delivered") and containing also (if set). */
struct trail {
	int64_t id, events, last_audit;
};

static struct trail trail_mark(struct db *db, int64_t id)
{
	return (struct trail){.id = id,
		.events = count(db, sqlf("SELECT count(*) FROM commission_events WHERE commission_id = %"
					 PRId64, id)),
		.last_audit = count(db, "SELECT coalesce(max(id), 0) FROM audit_log")};
}

static void moved_once(struct db *db, struct trail t, const char *from, const char *to, const char *also)
{
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commission_events WHERE commission_id = %"
					PRId64, t.id)), t.events + 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commission_events WHERE commission_id = %"
		PRId64 " AND from_status = '%s' AND to_status = '%s'", t.id, from, to)) >= 1, 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE id > %" PRId64
		" AND entity = 'commissions'", t.last_audit)), 1);
	int64_t n = count(db, sqlf("SELECT count(*) FROM audit_log WHERE id > %" PRId64 " AND entity ="
		" 'commissions' AND action = 'update' AND entity_id = '%" PRId64 "' AND summary LIKE"
		" '%% %s -> %s%%'%s%s%s", t.last_audit, t.id, from, to, also ? " AND summary LIKE '%" : "",
		also ? also : "", also ? "%'" : ""));
	if (n != 1)
		fail_msg("commission %" PRId64 ": %lld audit rows for %s -> %s (%s)", t.id, (long long)n, from,
			 to, also ? also : "");
}

/* A refused move leaves no event and no commission audit row other than
 * (for a refusal of scope) one "denied". */
static void not_moved(struct db *db, struct trail t, bool denied)
{
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commission_events WHERE commission_id = %"
					PRId64, t.id)), t.events);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE id > %" PRId64
		" AND entity = 'commissions' AND action = 'update'", t.last_audit)), 0);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE id > %" PRId64
		" AND action = 'denied'", t.last_audit)), denied ? 1 : 0);
}

/* ---- requests ---------------------------------------------------------------------- */

static void test_within_limit_approved_to_the_penny(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.cbt, 3);
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	assert_string_equal(status(db, id), "approved");
	assert_int_equal(count(db, sqlf("SELECT estimate_pence FROM commissions WHERE id = %" PRId64, id)), 9999);
	char ref[16];
	commission_ref(id, ref);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commissions WHERE ref = '%s'", ref)), 1);
	struct budget_pos p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 9999);
	assert_int_equal(p.pending, 0);
	assert_int_equal(p.available, 100000 - 9999);
	/* history, chronology note with the figures, audit */
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commission_events WHERE commission_id = %"
					PRId64, id)), 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND kind = 'note' AND summary = 'Commission %s approved: 3 sessions of CBT, £99.99'",
		f.kase, ref)), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE entity = 'commissions'"
		" AND entity_id = '%" PRId64 "' AND action IN ('create', 'update')", id)), 2);
}

static void test_over_limit_waits_for_holder(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.fgc, 6);   /* £540.00 > £250.00 */
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	assert_string_equal(status(db, id), "requested");
	struct budget_pos p = pos(db, f.budget_a);
	assert_int_equal(p.pending, 54000);
	assert_int_equal(p.committed, 0);
	struct errinfo e = {0};
	int64_t before = denials(db);
	/* the worker sees it but does not hold the budget: 403; school B: 404 */
	expect_err(commission_decide(db, &f.x, id, version(db, id), true, "", false, &e), &e, HE_FORBIDDEN, "");
	memset(&e, 0, sizeof e);
	expect_err(commission_decide(db, &f.sb, id, version(db, id), true, "", false, &e), &e, HE_NOT_FOUND, "");
	/* the coordinator holds partnership budgets, not a school's */
	memset(&e, 0, sizeof e);
	expect_err(commission_decide(db, &f.coord, id, version(db, id), true, "", false, &e), &e,
		   HE_FORBIDDEN, "");
	assert_int_equal(denials(db), before + 3);
	assert_string_equal(status(db, id), "requested");
	/* the school's pending list has it; school B's does not */
	struct arena a;
	arena_init(&a);
	struct commission *v;
	size_t n;
	assert_int_equal(commission_list_pending(db, &a, &f.sa, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id);
	assert_int_equal(v[0].estimate_pence, 54000);
	assert_int_equal(commission_list_pending(db, &a, &f.sb, &v, &n), HE_OK);
	assert_int_equal(n, 0);
	arena_free(&a);
	/* the holder approves: one event, one audit row */
	memset(&e, 0, sizeof e);
	struct trail t = trail_mark(db, id);
	assert_int_equal(commission_decide(db, &f.sa, id, version(db, id), true, "", false, &e), HE_OK);
	assert_string_equal(status(db, id), "approved");
	moved_once(db, t, "requested", "approved", NULL);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE id > %" PRId64
		" AND user_id = %" PRId64, t.last_audit, f.ua)), 1);
	p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 54000);
	assert_int_equal(p.pending, 0);
	assert_int_equal(count(db, sqlf("SELECT decided_by FROM commissions WHERE id = %" PRId64, id)), f.ua);
	/* a second decision: wrong status, nothing written */
	memset(&e, 0, sizeof e);
	t = trail_mark(db, id);
	expect_err(commission_decide(db, &f.sa, id, version(db, id), false, "no", false, &e), &e,
		   HE_CONFLICT, "status");
	not_moved(db, t, false);
}

static void test_decline_needs_note(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_p, f.fgc, 6);
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	struct errinfo e = {0};
	expect_err(commission_decide(db, &f.coord, id, version(db, id), false, " ", false, &e), &e,
		   HE_MISSING, "note");
	memset(&e, 0, sizeof e);
	expect_err(commission_decide(db, &f.coord, id, 99, false, "Too dear", false, &e), &e,
		   HE_CONFLICT, "version");
	struct trail t = trail_mark(db, id);
	assert_int_equal(commission_decide(db, &f.coord, id, version(db, id), false, "Try the free group first",
					   false, &e), HE_OK);
	assert_string_equal(status(db, id), "declined");
	moved_once(db, t, "requested", "declined", "Try the free group first");
	assert_int_equal(pos(db, f.budget_p).pending, 0);
}

static void test_validation(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e = {0};
	int64_t id = 0;
	struct commission_in in = service_in(f.budget_a, f.fgc, 2);
	in.kind = NULL;
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_MISSING, "kind");
	in = service_in(f.budget_a, 0, 2);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_MISSING, "service");
	in = service_in(f.budget_a, 999, 2);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_INVALID, "service");
	in = service_in(f.budget_a, f.fgc, 0);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_INVALID, "quantity");
	in = service_in(f.budget_a, f.fgc, 2);
	in.reason = "";
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_MISSING, "reason");
	in = service_in(0, f.fgc, 2);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_MISSING, "budget");
	in = service_in(f.budget_b, f.fgc, 2);    /* school B has nothing to do with the family */
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_INVALID, "budget");
	in = (struct commission_in){.kind = "household_grant", .reason = "No bed", .budget_id = f.budget_a};
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_MISSING, "items");
	struct grant_item_in items[] = {{"Bed", 15000}, {"Cooker", 0}};
	in.items = items;
	in.nitems = 2;
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_INVALID, "items.1.amount");
	items[1].description = "";
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_MISSING,
		   "items.1.description");
	assert_int_equal(count(db, "SELECT count(*) FROM commissions"), 0);
	/* worker Y does not see the case: 404, audited */
	int64_t before = denials(db);
	in = service_in(f.budget_a, f.fgc, 1);
	expect_err(commission_request(db, &f.y, f.kase, &in, NULL, &id, &e), &e, HE_NOT_FOUND, "");
	/* a school user cannot request */
	expect_err(commission_request(db, &f.sa, f.kase, &in, NULL, &id, &e), &e, HE_NOT_FOUND, "");
	assert_int_equal(denials(db), before + 2);
	assert_int_equal(count(db, "SELECT count(*) FROM commissions"), 0);
}

static void test_household_grant(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct grant_item_in items[] = {{"Single bed and mattress", 15000}, {"Cooker", 24999}};
	struct commission_in in = {.kind = "household_grant", .reason = "Moved into an empty flat",
				   .budget_id = f.budget_p, .items = items, .nitems = 2};
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	assert_string_equal(status(db, id), "requested");      /* £399.99 > £250.00 */
	assert_int_equal(count(db, sqlf("SELECT estimate_pence FROM commissions WHERE id = %" PRId64, id)), 39999);
	assert_int_equal(count(db, sqlf("SELECT sum(amount_pence) FROM commission_items WHERE commission_id = %"
					PRId64, id)), 39999);
	struct arena a;
	arena_init(&a);
	struct commission x;
	struct commission_item *it;
	struct commission_event *ev;
	size_t ni, ne;
	struct errinfo e = {0};
	assert_int_equal(commission_load(db, &a, &f.x, id, &x, &it, &ni, &ev, &ne, &e), HE_OK);
	assert_int_equal(ni, 2);
	assert_string_equal(it[1].description, "Cooker");
	assert_string_equal(x.what, "Household item grant");
	assert_int_equal(ne, 1);
	assert_string_equal(ev[0].to_status, "requested");
	/* the coordinator, at or under their limit, approves on request */
	struct grant_item_in small[] = {{"School uniform", 6000}};
	in.items = small;
	in.nitems = 1;
	int64_t id2 = request_ok(db, &f.coord, f.kase, &in);
	assert_string_equal(status(db, id2), "approved");
	/* worker Y cannot read it */
	assert_int_equal(commission_load(db, &a, &f.y, id, &x, NULL, NULL, NULL, NULL, &e), HE_NOT_FOUND);
	arena_free(&a);
}

/* ---- overspend -------------------------------------------------------------------------- */

static void test_overspend_refused_and_overridden(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	exec(db, sqlf("UPDATE budgets SET amount_pence = 10000 WHERE id = %" PRId64, f.budget_a));
	struct commission_in in = service_in(f.budget_a, f.cbt, 3);     /* £99.99 of £100.00 */
	request_ok(db, &f.x, f.kase, &in);
	/* within the worker's limit but over the budget: refused with the figures */
	in = service_in(f.budget_a, f.cbt, 1);
	int64_t id = 0;
	struct errinfo e = {0};
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_CONFLICT, "budget");
	assert_non_null(strstr(e.message, "£33.32"));
	assert_non_null(strstr(e.message, "£0.01"));
	/* an override note from someone who is not the holder does not help */
	memset(&e, 0, sizeof e);
	expect_err(commission_request(db, &f.x, f.kase, &in, "Urgent", &id, &e), &e, HE_CONFLICT, "budget");
	assert_int_equal(count(db, "SELECT count(*) FROM commissions"), 1);
	/* above the limit it waits; the holder's plain approval is refused … */
	in = service_in(f.budget_a, f.fgc, 3);
	id = request_ok(db, &f.x, f.kase, &in);
	assert_string_equal(status(db, id), "requested");
	memset(&e, 0, sizeof e);
	expect_err(commission_decide(db, &f.sa, id, version(db, id), true, "", false, &e), &e, HE_CONFLICT,
		   "budget");
	assert_non_null(strstr(e.message, "overspend"));
	/* … an override needs a note … */
	memset(&e, 0, sizeof e);
	expect_err(commission_decide(db, &f.sa, id, version(db, id), true, "", true, &e), &e, HE_MISSING, "note");
	/* … and with one it is approved and recorded, the override in its audit row */
	struct trail t = trail_mark(db, id);
	assert_int_equal(commission_decide(db, &f.sa, id, version(db, id), true,
					   "Governors agreed to top up the budget", true, &e), HE_OK);
	assert_string_equal(status(db, id), "approved");
	moved_once(db, t, "requested", "approved", "(overspend override), £270.00: Governors agreed");
	assert_int_equal(count(db, sqlf("SELECT overspend_override FROM commissions WHERE id = %" PRId64, id)), 1);
	struct budget_pos p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 9999 + 27000);
	assert_int_equal(p.available, 10000 - 9999 - 27000);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE summary LIKE"
				   "'%overspend override%'"), 1);
}

/* ---- delivery, payment, refunds, cancellation ------------------------------------------- */

static void test_deliver_pay_refund(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.fgc, 2);     /* £180.00 */
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	struct errinfo e = {0};
	/* not delivered yet: cannot be paid or refunded */
	expect_err(commission_pay(db, &f.sa, id, version(db, id), NULL, &e), &e, HE_CONFLICT, "status");
	memset(&e, 0, sizeof e);
	expect_err(commission_refund(db, &f.sa, id, version(db, id), 100, "x", &e), &e, HE_CONFLICT, "status");
	memset(&e, 0, sizeof e);
	expect_err(commission_deliver(db, &f.x, id, version(db, id), day(1), -1, &e), &e, HE_INVALID, "on");
	/* delivered at a lower actual cost: committed follows the actual */
	struct trail t = trail_mark(db, id);
	assert_int_equal(commission_deliver(db, &f.x, id, version(db, id), day(0), 16050, &e), HE_OK);
	moved_once(db, t, "approved", "delivered", "£160.50: Estimated £180.00");
	struct budget_pos p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 16050);
	/* the worker cannot pay */
	memset(&e, 0, sizeof e);
	t = trail_mark(db, id);
	expect_err(commission_pay(db, &f.x, id, version(db, id), NULL, &e), &e, HE_FORBIDDEN, "");
	not_moved(db, t, true);
	t = trail_mark(db, id);
	assert_int_equal(commission_pay(db, &f.sa, id, version(db, id), NULL, &e), HE_OK);
	moved_once(db, t, "delivered", "paid", "£160.50");
	p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 0);
	assert_int_equal(p.spent, 16050);
	assert_int_equal(p.available, 100000 - 16050);
	/* refunds: partial, then too much, then the rest */
	t = trail_mark(db, id);
	assert_int_equal(commission_refund(db, &f.sa, id, version(db, id), 5000, "One session not held", &e), HE_OK);
	moved_once(db, t, "paid", "paid", "£50.00: One session not held");
	assert_int_equal(pos(db, f.budget_a).spent, 11050);
	memset(&e, 0, sizeof e);
	t = trail_mark(db, id);
	expect_err(commission_refund(db, &f.sa, id, version(db, id), 11051, "x", &e), &e, HE_INVALID, "amount");
	not_moved(db, t, false);
	memset(&e, 0, sizeof e);
	expect_err(commission_refund(db, &f.sa, id, version(db, id), 100, "", &e), &e, HE_MISSING, "reason");
	t = trail_mark(db, id);
	assert_int_equal(commission_refund(db, &f.coord, id, version(db, id), 11050, "Provider closed", &e), HE_OK);
	moved_once(db, t, "paid", "paid", "£110.50: Provider closed");
	p = pos(db, f.budget_a);
	assert_int_equal(p.spent, 0);
	assert_int_equal(p.available, 100000);
	assert_int_equal(count(db, sqlf("SELECT refunded_pence FROM commissions WHERE id = %" PRId64, id)), 16050);
	/* a paid commission cannot be cancelled */
	memset(&e, 0, sizeof e);
	expect_err(commission_cancel(db, &f.sa, id, version(db, id), "x", &e), &e, HE_CONFLICT, "status");
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commission_events WHERE commission_id = %" PRId64,
					id)), 6);
	/* one audit row per event: create + 5 updates */
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE entity = 'commissions' AND"
		" entity_id = '%" PRId64 "' AND action IN ('create', 'update')", id)), 6);
}

static void test_cancel_releases_commitment(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.fgc, 2);
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	assert_int_equal(pos(db, f.budget_a).committed, 18000);
	struct errinfo e = {0};
	/* the worker may not cancel an approved commission */
	expect_err(commission_cancel(db, &f.x, id, version(db, id), "Not needed", &e), &e, HE_FORBIDDEN, "");
	memset(&e, 0, sizeof e);
	expect_err(commission_cancel(db, &f.sa, id, version(db, id), "", &e), &e, HE_MISSING, "reason");
	struct trail t = trail_mark(db, id);
	assert_int_equal(commission_cancel(db, &f.sa, id, version(db, id), "The family moved away", &e), HE_OK);
	moved_once(db, t, "approved", "cancelled", "£180.00: The family moved away");
	struct budget_pos p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 0);
	assert_int_equal(p.available, 100000);
	/* the worker may withdraw their own request while it waits */
	in = service_in(f.budget_a, f.fgc, 6);
	int64_t id2 = request_ok(db, &f.x, f.kase, &in);
	assert_int_equal(pos(db, f.budget_a).pending, 54000);
	t = trail_mark(db, id2);
	assert_int_equal(commission_cancel(db, &f.x, id2, version(db, id2), "Asked by mistake", &e), HE_OK);
	moved_once(db, t, "requested", "cancelled", "Asked by mistake");
	assert_int_equal(pos(db, f.budget_a).pending, 0);
	assert_string_equal(status(db, id2), "cancelled");
}

/* The audit row is written in the move's own transaction: when writing it
 * fails (a trigger refuses it), the move leaves nothing behind — no
 * event, no status change, no chronology note. */
static void test_audit_in_the_move_transaction(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.fgc, 2);     /* £180.00, approved at once */
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	if (testdb_is_pg())
		testdb_raw_exec(T(state), "CREATE FUNCTION t_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS"
			" $$BEGIN IF NEW.summary LIKE '%-> delivered%' THEN RAISE EXCEPTION 'audit refused';"
			" END IF; RETURN NEW; END$$; CREATE TRIGGER t_refuse_audit BEFORE INSERT ON audit_log"
			" FOR EACH ROW EXECUTE FUNCTION t_refuse_audit()");
	else
		testdb_raw_exec(T(state), "CREATE TRIGGER t_refuse_audit BEFORE INSERT ON audit_log WHEN"
			" NEW.summary LIKE '%-> delivered%' BEGIN SELECT RAISE(ABORT, 'audit refused'); END");
	struct trail t = trail_mark(db, id);
	int64_t notes = count(db, "SELECT count(*) FROM case_events WHERE kind = 'note'");
	struct errinfo e = {0};
	assert_int_not_equal(commission_deliver(db, &f.x, id, version(db, id), NULL, 17000, &e), HE_OK);
	assert_false(db_in_transaction(db));
	assert_string_equal(status(db, id), "approved");
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commissions WHERE id = %" PRId64
					" AND actual_pence IS NULL", id)), 1);
	not_moved(db, t, false);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'note'"), notes);
	assert_int_equal(pos(db, f.budget_a).committed, 18000);
	testdb_raw_exec(T(state), testdb_is_pg() ? "DROP TRIGGER t_refuse_audit ON audit_log;"
			" DROP FUNCTION t_refuse_audit()" : "DROP TRIGGER t_refuse_audit");
	memset(&e, 0, sizeof e);
	t = trail_mark(db, id);
	assert_int_equal(commission_deliver(db, &f.x, id, version(db, id), NULL, 17000, &e), HE_OK);
	moved_once(db, t, "approved", "delivered", "£170.00");
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'note'"), notes + 1);
}

/* A delivery above the estimate commits the difference too: when that
 * would overspend the budget it is refused with the figures, as an
 * approval is, unless the budget holder overrides with a note (recorded:
 * overspend_override, the chronology, the audit row); at or under what is
 * left it is recorded as it happened. */
static void test_deliver_above_estimate(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	exec(db, sqlf("UPDATE budgets SET amount_pence = 20000 WHERE id = %" PRId64, f.budget_a));
	struct commission_in in = service_in(f.budget_a, f.cbt, 3);     /* £99.99 each, approved at once */
	int64_t id1 = request_ok(db, &f.x, f.kase, &in);
	int64_t id2 = request_ok(db, &f.x, f.kase, &in);
	assert_int_equal(pos(db, f.budget_a).available, 2);
	/* £0.02 over the estimate: exactly what is left */
	struct errinfo e = {0};
	assert_int_equal(commission_deliver(db, &f.x, id1, version(db, id1), NULL, 10001, &e), HE_OK);
	assert_int_equal(pos(db, f.budget_a).available, 0);
	assert_int_equal(count(db, sqlf("SELECT overspend_override FROM commissions WHERE id = %" PRId64, id1)), 0);
	/* £0.01 more than is left: refused with the figures, nothing written */
	struct trail t = trail_mark(db, id2);
	expect_err(commission_deliver(db, &f.x, id2, version(db, id2), NULL, 10000, &e), &e, HE_CONFLICT, "budget");
	assert_string_equal(e.message, "This would overspend Ratae Academy commissioning budget by"
			    " \xC2\xA3" "0.01 (available \xC2\xA3" "0.00)");
	not_moved(db, t, false);
	assert_string_equal(status(db, id2), "approved");
	/* the worker's override note does not help */
	memset(&e, 0, sizeof e);
	expect_err(commission_deliver_override(db, &f.x, id2, version(db, id2), NULL, 10000, "Urgent", &e), &e,
		   HE_CONFLICT, "budget");
	assert_non_null(strstr(e.message, "Only the budget holder"));
	/* nor does the holder without a note */
	memset(&e, 0, sizeof e);
	expect_err(commission_deliver_override(db, &f.sa, id2, version(db, id2), NULL, 10000, " ", &e), &e,
		   HE_CONFLICT, "budget");
	not_moved(db, t, false);
	int64_t v2 = version(db, id2);
	/* the holder overrides with a note: delivered, recorded */
	memset(&e, 0, sizeof e);
	assert_int_equal(commission_deliver_override(db, &f.sa, id2, v2, NULL, 10000,
						     "The provider's price rose; governors agreed", &e), HE_OK);
	assert_string_equal(status(db, id2), "delivered");
	assert_int_equal(count(db, sqlf("SELECT overspend_override FROM commissions WHERE id = %" PRId64, id2)), 1);
	struct budget_pos p = pos(db, f.budget_a);
	assert_int_equal(p.committed, 20001);
	assert_int_equal(p.available, -1);
	moved_once(db, t, "approved", "delivered", "(overspend override), £100.00: Estimated £99.99; overspend"
		   " override: The provider");
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND summary = 'Commission M-%06" PRId64 " delivered (overspend override): 3 sessions of CBT,"
		" £100.00'", f.kase, id2)), 1);
	/* cancelling it releases all of it */
	assert_int_equal(commission_cancel(db, &f.sa, id2, version(db, id2), "Duplicate", &e), HE_OK);
	assert_int_equal(pos(db, f.budget_a).available, 9999);
}

/* A district's budget made through budget_save: the coordinator holds it
 * and approves what is above the worker's limit; a school user neither
 * holds nor sees it (404, audited), nor may decide on it. */
static void test_district_budget(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct budget_source_in src[] = {{"District grant", 150000}};
	struct budget_in bin = {.name = "Belgrave district budget", .owner_kind = "district", .district_id = 1,
				.period = "financial", .start_year = fin_year(), .amount_pence = 150000,
				.sources = src, .nsources = 1};
	struct errinfo e = {0};
	int64_t d = 0;
	assert_int_equal(budget_save(db, &f.coord, 0, 0, &bin, &d, &e), HE_OK);
	bool holds = false, sees = true;
	assert_int_equal(budget_holds(db, &f.coord, d, &holds), HE_OK);
	assert_true(holds);
	assert_int_equal(budget_holds(db, &f.sa, d, &holds), HE_OK);
	assert_false(holds);
	assert_int_equal(budget_visible(db, &f.sa, d, &sees), HE_OK);
	assert_false(sees);
	/* the case may draw on it (its school is in the district) */
	struct commission_in in = service_in(d, f.fgc, 6);      /* £540.00 > £250.00 */
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	assert_string_equal(status(db, id), "requested");
	/* the school's pending list does not have it; the coordinator's does */
	struct arena a;
	arena_init(&a);
	struct commission *v;
	size_t n;
	assert_int_equal(commission_list_pending(db, &a, &f.sa, &v, &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(commission_list_pending(db, &a, &f.coord, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id);
	/* the referring school may not decide: refused and audited */
	struct trail t = trail_mark(db, id);
	int rc = commission_decide(db, &f.sa, id, version(db, id), true, "", false, &e);
	assert_true(rc == HE_FORBIDDEN || rc == HE_NOT_FOUND);
	not_moved(db, t, true);
	/* nor read the budget: not found, audited */
	struct budget b;
	int64_t before = denials(db);
	assert_int_equal(budget_load(db, &a, &f.sa, d, &b, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity ="
		" 'budgets' AND entity_id = '%" PRId64 "'", d)), 1);
	assert_int_equal(denials(db), before + 1);
	/* the coordinator approves, over the limit */
	memset(&e, 0, sizeof e);
	t = trail_mark(db, id);
	assert_int_equal(commission_decide(db, &f.coord, id, version(db, id), true, "", false, &e), HE_OK);
	assert_string_equal(status(db, id), "approved");
	moved_once(db, t, "requested", "approved", "£540.00");
	assert_int_equal(count(db, sqlf("SELECT decided_by FROM commissions WHERE id = %" PRId64, id)), f.uc);
	assert_int_equal(pos(db, d).available, 150000 - 54000);
	arena_free(&a);
}

/* ---- the case ------------------------------------------------------------------------------ */

static void test_idempotent_request(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.fgc, 1);
	in.idem_key = "abc123";
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	int64_t id2 = request_ok(db, &f.x, f.kase, &in);
	assert_int_equal(id, id2);
	assert_int_equal(count(db, "SELECT count(*) FROM commissions"), 1);
	assert_int_equal(pos(db, f.budget_a).committed, 9000);
}

static void test_closed_case(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct commission_in in = service_in(f.budget_a, f.fgc, 6);
	int64_t id = request_ok(db, &f.x, f.kase, &in);
	/* an open commission: the case cannot be closed */
	struct errinfo e = {0};
	int64_t cv = count(db, sqlf("SELECT version FROM cases WHERE id = %" PRId64, f.kase));
	int rc = case_close(db, &f.x, f.kase, cv, NULL, "outcomes_met", "Done", "Thanks", &e);
	assert_int_equal(rc, HE_CONFLICT);
	assert_string_equal(status(db, id), "requested");
	/* decline it, then the case closes, then nothing new */
	assert_int_equal(commission_decide(db, &f.sa, id, version(db, id), false, "Not now", false, &e), HE_OK);
	memset(&e, 0, sizeof e);
	rc = case_close(db, &f.x, f.kase, cv, NULL, "outcomes_met", "Done", "Thanks", &e);
	if (rc)
		fail_msg("case_close: %d %s: %s", rc, e.field, e.message);
	int64_t nid = 0;
	memset(&e, 0, sizeof e);
	in = service_in(f.budget_a, f.fgc, 1);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &nid, &e), &e, HE_CONFLICT, "case");
	assert_int_equal(count(db, "SELECT count(*) FROM commissions"), 1);
}

/* ---- concurrency ------------------------------------------------------------------------------ */

struct race {
	const char *url;
	const struct scope *s;
	int64_t id, version;
	int rc;
	char field[64];
	pthread_barrier_t *start;
};

static void *race_one(void *p)
{
	struct race *r = p;
	struct db *db = NULL;
	char *msg = NULL;
	struct errinfo e = {0};
	if (db_open(r->url, &db, &msg) != HE_OK) {
		free(msg);
		r->rc = -1;
		pthread_barrier_wait(r->start);
		return NULL;
	}
	pthread_barrier_wait(r->start);
	r->rc = commission_decide(db, r->s, r->id, r->version, true, "", false, &e);
	snprintf(r->field, sizeof r->field, "%s", e.field);
	db_close(db);
	return NULL;
}

/* A service tells a provider about the family: without consent to share
 * with commissioned providers it is refused (a household grant is not);
 * a person cannot back-date a request, the system (demo) can. */
static void test_consent_and_back_dating(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e = {0};
	int64_t id = 0;
	exec(db, sqlf("UPDATE consents SET scope = 'pool,school' WHERE family_id = %" PRId64, f.family));
	struct commission_in in = service_in(f.budget_a, f.fgc, 1);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_CONFLICT, "service");
	assert_non_null(strstr(e.message, "commissioned providers"));
	struct grant_item_in items[] = {{"Bed", 15000}};
	struct commission_in grant = {.kind = "household_grant", .reason = "No bed",
				      .budget_id = f.budget_a, .items = items, .nitems = 1};
	request_ok(db, &f.x, f.kase, &grant);
	exec(db, sqlf("UPDATE consents SET scope = 'pool,school,commissioned' WHERE family_id = %" PRId64,
		      f.family));
	in.on = day(-10);
	expect_err(commission_request(db, &f.x, f.kase, &in, NULL, &id, &e), &e, HE_INVALID, "on");
	in.on = day(1);
	expect_err(commission_request(db, &f.sys, f.kase, &in, NULL, &id, &e), &e, HE_INVALID, "on");
	in.on = day(-10);
	id = request_ok(db, &f.sys, f.kase, &in);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM commissions WHERE id = %" PRId64
		" AND substr(requested_at, 1, 10) = '%s'", id, day(-10))), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND kind = 'note' AND on_date = '%s' AND summary LIKE 'Commission %%'", f.kase, day(-10))), 2);
}

static void test_concurrent_approvals_of_the_last(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	/* every request waits for the holder */
	exec(db, "UPDATE settings SET value = '0' WHERE key = 'commission.limit.worker'");
	for (int round = 0; round < 5; round++) {
		/* £100.00 left; two requests of £60.00 each */
		int64_t b = budget(db, sqlf("Race %d", round), "partnership", 0, 10000);
		struct commission_in in = service_in(b, f.cbt, 1);
		exec(db, sqlf("UPDATE services SET unit_cost_pence = 6000 WHERE id = %" PRId64, f.cbt));
		int64_t id1 = request_ok(db, &f.x, f.kase, &in);
		int64_t id2 = request_ok(db, &f.x, f.kase, &in);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, 2);
		struct scope c2 = f.coord;
		struct race r[2] = {
			{.url = T(state)->url, .s = &f.coord, .id = id1, .version = version(db, id1), .start = &start},
			{.url = T(state)->url, .s = &c2, .id = id2, .version = version(db, id2), .start = &start},
		};
		pthread_t th[2];
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&th[i], NULL, race_one, &r[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&start);
		int ok = (r[0].rc == HE_OK) + (r[1].rc == HE_OK);
		if (ok != 1)
			fail_msg("round %d: rc %d (%s) and %d (%s)", round, r[0].rc, r[0].field, r[1].rc, r[1].field);
		struct race *lost = r[0].rc == HE_OK ? &r[1] : &r[0];
		assert_int_equal(lost->rc, HE_CONFLICT);
		assert_string_equal(lost->field, "budget");
		struct budget_pos p = pos(db, b);
		assert_int_equal(p.committed, 6000);
		assert_int_equal(p.pending, 6000);
		assert_int_equal(p.available, 4000);
		/* decline the loser so the case stays tidy */
		struct errinfo e = {0};
		assert_int_equal(commission_decide(db, &f.coord, lost->id, version(db, lost->id), false, "No room",
						   false, &e), HE_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_within_limit_approved_to_the_penny, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_over_limit_waits_for_holder, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_decline_needs_note, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_validation, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_household_grant, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_overspend_refused_and_overridden, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_deliver_pay_refund, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_cancel_releases_commitment, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_audit_in_the_move_transaction, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_deliver_above_estimate, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_district_budget, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_request, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_closed_case, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_consent_and_back_dating, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_approvals_of_the_last, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
