/* test_report_money.c — unit tests for src/core/report_money.c: budgets in
 * the period by owner and filter, with budget_position's figures; funding
 * sources summed by name, their shares of the pool and their pro-rata
 * share of the spending (adding up to the penny); cost per family agreeing
 * with cost_report_run for a financial year, filtered by school and phase,
 * with history's commissions counted as spent and small bases marked for
 * the viewer; families engaged per academic year (history included); and
 * risk and reach (the latest snapshot on or before the period's end, cases
 * open or recent, history cases naming the pupil; by district and by
 * school).
 *
 * The partnership (referfix.h) is extended with SQL, as test_cost.c does,
 * so these tests are about report_money.c alone (the HTTP cases build the
 * same through the API).  Runs on SQLite, and on PostgreSQL with
 * HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/budget.h"
#include "core/cost.h"
#include "core/report_money.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { W1 = 1, W2 = 2 };
enum { F_KHAN = 1, F_PATEL = 2, F_OTHER = 3 };
enum { C1 = 1, C2 = 2, C3 = 3, C4 = 4, C5 = 5 };
enum { SCHOOL_D = 4, EVE = 5 };

static void referral(struct db *db, int id, int family, int school)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO referrals (id, ref, family_id, source,"
		" school_id, level_of_need, needs, reason, status, received_at) VALUES (:id, :ref,"
		" :family, :source, :school, 2, 'attendance', 'Worried', 'accepted',"
		" '2025-05-01T10:00:00Z')");
	char ref[16];
	snprintf(ref, sizeof ref, "R-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":family", family);
	db_bind_text(st, ":source", school ? "school" : "self");
	if (school)
		db_bind_int(st, ":school", school);
	else
		db_bind_null(st, ":school");
	assert_int_equal(db_done(st), HE_OK);
}

static void a_case(struct db *db, int id, int family, int worker, const char *opened,
		   const char *closed)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO cases (id, ref, family_id, referral_id,"
		" worker_id, status, opened_on, closed_on, created_at, updated_at) VALUES (:id, :ref,"
		" :family, :id, :worker, :status, :opened, :closed, '2025-05-01T10:00:00Z',"
		" '2025-05-01T10:00:00Z')");
	char ref[16];
	snprintf(ref, sizeof ref, "C-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":family", family);
	db_bind_int(st, ":worker", worker);
	db_bind_text(st, ":status", closed ? "closed" : "open");
	db_bind_text(st, ":opened", opened);
	if (closed)
		db_bind_text(st, ":closed", closed);
	else
		db_bind_null(st, ":closed");
	assert_int_equal(db_done(st), HE_OK);
}

static void contact(struct db *db, int case_id, const char *at, int minutes, bool planned)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO contacts (case_id, worker_id, at, kind,"
		" duration_min, planned, recorded_at) VALUES (:case, 1, :at, 'home_visit', :min,"
		" :planned, '2025-05-01T10:00:00Z')");
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":at", at);
	db_bind_int(st, ":min", minutes);
	db_bind_int(st, ":planned", planned);
	assert_int_equal(db_done(st), HE_OK);
}

/* A commission on case_id against budget; actual < 0: none; decided NULL: not decided. */
static void commission(struct db *db, int id, int case_id, int budget, const char *status,
		       int64_t estimate, int64_t actual, int64_t refunded, const char *requested,
		       const char *decided)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO commissions (id, ref, case_id, budget_id,"
		" kind, service_id, quantity, unit_cost_pence, estimate_pence, actual_pence,"
		" refunded_pence, status, reason, requested_at, decided_at, updated_at) VALUES (:id,"
		" :ref, :case, :budget, 'service', 1, 1, :est, :est, :actual, :refunded, :status,"
		" 'Needed', :requested, :decided, :requested)");
	char ref[16];
	snprintf(ref, sizeof ref, "M-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":case", case_id);
	db_bind_int(st, ":budget", budget);
	db_bind_int(st, ":est", estimate);
	if (actual >= 0)
		db_bind_int(st, ":actual", actual);
	else
		db_bind_null(st, ":actual");
	db_bind_int(st, ":refunded", refunded);
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":requested", requested);
	if (decided)
		db_bind_text(st, ":decided", decided);
	else
		db_bind_null(st, ":decided");
	assert_int_equal(db_done(st), HE_OK);
}

static void snapshot(struct db *db, int pupil, int school, const char *date, const char *band)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO pupil_snapshots (pupil_id, import_id,"
		" school_id, extract_date, risk_band) VALUES (:p, 1, :s, :d, :b)");
	db_bind_int(st, ":p", pupil);
	db_bind_int(st, ":s", school);
	db_bind_text(st, ":d", date);
	db_bind_text(st, ":b", band);
	assert_int_equal(db_done(st), HE_OK);
}

static void hevent(struct db *db, int hcase, const char *on, const char *kind, int64_t amount)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_events (case_id, on_date, kind,"
		" amount_pence) VALUES (:c, :on, :kind, :amount)");
	db_bind_int(st, ":c", hcase);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":kind", kind);
	if (amount >= 0)
		db_bind_int(st, ":amount", amount);
	else
		db_bind_null(st, ":amount");
	assert_int_equal(db_done(st), HE_OK);
}

/* test_cost.c's cases (see there) plus:
 *   district 2 "Castle" with Delta Primary (school 4) and its pupil Eve;
 *   budgets: B1 Alpha's (FY 2026, £10,000: Pupil premium £6,000, School
 *   funds £4,000), B2 Belgrave's (AY 2026, £3,000: City Council £2,000,
 *   Pupil premium £1,000) with a paid £100.01 for C2, B3 the partnership's
 *   (FY 2024: outside FY 2026), B4 Delta's (FY 2026, £800: Pupil premium);
 *   history: H1 OLD-1 at Alpha naming Dev, allocated 2026-03-10, a £50.00
 *   commission 2026-05-01, closed 2026-06-30; H2 OLD-2 at Delta, 2023;
 *   H3 OLD-3 referred and declined (never a case);
 *   snapshots: Aisha high (Jan, Oct 2026; referred with C1), Bilal high in
 *   January then low in October (referred with C1), Cara and Dev high in
 *   October (Dev reached through H1), Eve high in October (not reached). */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO districts (id, name) VALUES (2, 'Castle')");
	fix_exec(db, "INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (4, '900004', 'Delta Primary', 'primary', 2, '2026-01-01T00:00:00Z')");
	fix_pupil(db, EVE, SCHOOL_D, "Eve", "Stone", "2011-02-02", NULL);
	fix_exec(db, "INSERT INTO workers (id, user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (1, 5, 'Wendy One', 'Early Help', 'family_support', '2026-01-01T00:00:00Z',"
		" '2026-01-01T00:00:00Z'), (2, NULL, 'Walt Two', 'Early Help', 'mentor',"
		" '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Khan family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		" (2, 'F-000002', 'Patel family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		" (3, 'F-000003', 'Other family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	referral(db, 1, F_KHAN, SCHOOL_A);
	referral(db, 2, F_KHAN, SCHOOL_B);
	referral(db, 3, F_PATEL, SCHOOL_A);
	referral(db, 4, F_OTHER, 0);
	referral(db, 5, F_OTHER, 0);
	fix_exec(db, "INSERT INTO referral_pupils (referral_id, pupil_id, school_id) VALUES"
		" (1, 1, 1), (1, 2, 1)");
	a_case(db, C1, F_KHAN, W1, "2026-04-10", NULL);
	a_case(db, C2, F_KHAN, W2, "2026-09-01", NULL);
	a_case(db, C3, F_PATEL, W1, "2025-06-01", "2026-04-01");
	a_case(db, C4, F_OTHER, W1, "2027-05-01", NULL);
	a_case(db, C5, F_OTHER, W1, "2025-06-01", NULL);
	fix_exec(db, "UPDATE cases SET status = 'stepped_up' WHERE id = 5");
	fix_exec(db, "INSERT INTO case_events (family_id, referral_id, case_id, on_date, kind, summary,"
		" recorded_at) VALUES (3, 5, 5, '2026-02-01', 'step_up', 'Stepped up',"
		" '2026-02-01T10:00:00Z')");
	contact(db, C5, "2026-01-10T10:00", 60, false);
	contact(db, C1, "2026-05-01T10:00", 90, false);
	contact(db, C1, "2026-06-01T10:00", 45, false);
	contact(db, C1, "2027-04-02T10:00", 30, false);
	contact(db, C1, "2026-12-01T10:00", 60, true);
	for (int i = 0; i < 3; i++)
		contact(db, C2, "2026-10-01T09:00", 1, false);
	contact(db, C3, "2026-03-20T10:00", 60, false);
	contact(db, C3, "2026-04-01T10:00", 10, false);
	fix_exec(db, "INSERT INTO providers (id, name, created_at) VALUES (1, 'Mediation Works',"
		" '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO services (id, provider_id, name, category, unit, unit_cost_pence,"
		" created_at, updated_at) VALUES (1, 1, 'Community mediation', 'mediation', 'session',"
		" 3333, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO budgets (id, name, owner_kind, school_id, district_id, period,"
		" start_year, amount_pence, created_at, updated_at) VALUES"
		" (1, 'Alpha commissioning', 'school', 1, NULL, 'financial', 2026, 1000000, 'x', 'x'),"
		" (2, 'Belgrave fund', 'district', NULL, 1, 'academic', 2026, 300000, 'x', 'x'),"
		" (3, 'Old pool', 'partnership', NULL, NULL, 'financial', 2024, 50000, 'x', 'x'),"
		" (4, 'Delta fund', 'school', 4, NULL, 'financial', 2026, 80000, 'x', 'x')");
	fix_exec(db, "INSERT INTO budget_sources (budget_id, source, amount_pence) VALUES"
		" (1, 'Pupil premium', 600000), (1, 'School funds', 400000),"
		" (2, 'City Council', 200000), (2, 'Pupil premium', 100000),"
		" (3, 'City Council', 50000), (4, 'Pupil premium', 80000)");
	commission(db, 1, C1, 1, "approved", 9999, -1, 0, "2026-05-09T10:00:00Z", "2026-05-10T10:00:00Z");
	commission(db, 2, C1, 1, "delivered", 5000, 4500, 0, "2026-05-20T10:00:00Z", "2026-06-01T10:00:00Z");
	commission(db, 3, C1, 1, "paid", 10000, 12000, 2500, "2026-06-01T10:00:00Z", "2026-06-02T10:00:00Z");
	commission(db, 4, C1, 1, "requested", 70000, -1, 0, "2026-07-01T10:00:00Z", NULL);
	commission(db, 5, C1, 1, "declined", 8000, -1, 0, "2026-07-02T10:00:00Z", "2026-07-03T10:00:00Z");
	commission(db, 6, C1, 1, "cancelled", 6000, -1, 0, "2026-07-04T10:00:00Z", "2026-07-05T10:00:00Z");
	commission(db, 7, C1, 1, "paid", 20000, 20000, 0, "2027-04-04T10:00:00Z", "2027-04-05T10:00:00Z");
	commission(db, 8, C2, 1, "approved", 3000, -1, 0, "2026-10-01T10:00:00Z", "2026-10-01T10:00:00Z");
	commission(db, 9, C2, 2, "paid", 10001, 10001, 0, "2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z");
	fix_exec(db, "INSERT INTO history_imports (id, filename, sha256, imported_at) VALUES"
		" (1, 'old.csv', 'abc', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id,"
		" pupil_id) VALUES (1, 1, 'LST-1', 'OLD-1', 1, 4), (2, 1, 'LST-2', 'OLD-2', 4, NULL),"
		" (3, 1, 'LST-3', 'OLD-3', 1, NULL)");
	hevent(db, 1, "2026-03-01", "referred", -1);
	hevent(db, 1, "2026-03-10", "allocated", -1);
	hevent(db, 1, "2026-05-01", "commission", 5000);
	hevent(db, 1, "2026-06-30", "closed", -1);
	hevent(db, 2, "2023-01-10", "allocated", -1);
	hevent(db, 2, "2023-02-01", "commission", 4000);
	hevent(db, 2, "2023-06-01", "closed", -1);
	hevent(db, 3, "2026-05-01", "referred", -1);
	hevent(db, 3, "2026-05-02", "declined", -1);
	fix_exec(db, "INSERT INTO imports (id, kind, filename, status, started_at) VALUES"
		" (1, 'csv', 'census.csv', 'applied', '2026-01-10T00:00:00Z')");
	snapshot(db, AISHA, SCHOOL_A, "2026-01-10", "high");
	snapshot(db, AISHA, SCHOOL_A, "2026-10-01", "high");
	snapshot(db, BILAL, SCHOOL_A, "2026-01-10", "high");
	snapshot(db, BILAL, SCHOOL_A, "2026-10-01", "low");
	snapshot(db, CARA, SCHOOL_B, "2026-10-01", "high");
	snapshot(db, DEV, SCHOOL_B, "2026-10-01", "high");
	snapshot(db, EVE, SCHOOL_D, "2026-10-01", "high");
	return 0;
}

/* A filter for [from, to] (YYYY-MM-DD). */
static struct report_filter filter(const char *from, const char *to)
{
	struct report_filter f = {0};
	assert_true(date_parse(from, &f.from));
	assert_true(date_parse(to, &f.to));
	return f;
}

static struct report_filter fy2026(void)
{
	return filter("2026-04-01", "2027-03-31");
}

/* The value of row key in column col_key. */
static int64_t cell(struct rtable *t, const char *key, const char *col_key)
{
	struct rrow *r = rtable_find(t, key);
	if (!r)
		fail_msg("no row %s in %s", key, t->id);
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->col_keys[i], col_key))
			return r->v[i];
	fail_msg("no column %s in %s", col_key, t->id);
	return 0;
}

/* ---- budgets ------------------------------------------------------------------- */

static void test_budgets(void **state)
{
	struct arena a;
	arena_init(&a);
	struct db *db = DB(state);
	struct report_filter f = fy2026();
	struct rtable *t;
	int64_t audits = fix_int(db, "SELECT count(*) FROM audit_log WHERE :id = :id", 0);
	assert_int_equal(report_money_budgets(db, &a, &f, &t), HE_OK);
	/* the page that prints a table audits, not the section */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE :id = :id", 0), audits);
	assert_string_equal(t->id, "money_budgets");
	assert_int_equal(t->nrows, 4);            /* B2, B1, B4 and the total; B3 is FY 2024 */
	assert_string_equal(t->rows[0].key, "budget_2");   /* the district's first */
	assert_string_equal(t->rows[1].key, "budget_1");
	assert_string_equal(t->rows[2].key, "budget_4");
	assert_null(rtable_find(t, "budget_3"));
	assert_int_equal(t->rows[0].kind, RC_PENCE);
	/* each row is budget_position's */
	for (int id = 1; id <= 4; id += id == 2 ? 2 : 1) {
		struct budget_pos p;
		assert_int_equal(budget_position(db, id, &p), HE_OK);
		const char *key = arena_printf(&a, "budget_%d", id);
		assert_int_equal(cell(t, key, "amount"), p.amount);
		assert_int_equal(cell(t, key, "committed"), p.committed);
		assert_int_equal(cell(t, key, "spent"), p.spent);
		assert_int_equal(cell(t, key, "pending"), p.pending);
		assert_int_equal(cell(t, key, "available"), p.available);
	}
	assert_int_equal(cell(t, "budget_1", "committed"), 9999 + 4500 + 3000);
	assert_int_equal(cell(t, "budget_1", "spent"), 9500 + 20000);
	assert_int_equal(cell(t, "budget_1", "pending"), 70000);
	assert_int_equal(cell(t, "budget_1", "available"), 1000000 - 17499 - 29500);
	assert_int_equal(cell(t, "total", "amount"), 1000000 + 300000 + 80000);
	assert_int_equal(cell(t, "total", "spent"), 29500 + 10001);
	/* a school: its own budgets only; a phase: school budgets only */
	f.school_id = SCHOOL_A;
	assert_int_equal(report_money_budgets(db, &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->rows[0].key, "budget_1");
	f.school_id = 0;
	snprintf(f.phase, sizeof f.phase, "primary");
	assert_int_equal(report_money_budgets(db, &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->rows[0].key, "budget_4");
	f.phase[0] = '\0';
	f.district_id = 1;
	assert_int_equal(report_money_budgets(db, &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 3);            /* B2 (the district's) and B1 */
	assert_null(rtable_find(t, "budget_4"));
	/* the partnership's FY 2024 budget in FY 2024 */
	f = filter("2024-04-01", "2025-03-31");
	assert_int_equal(report_money_budgets(db, &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->rows[0].key, "budget_3");
	arena_free(&a);
}

static void test_sources(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = fy2026();
	struct rtable *t;
	assert_int_equal(report_money_sources(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->ncols, 4);
	assert_true(t->has_total);
	assert_string_equal(t->cols[0], "Pupil premium");   /* the largest first */
	assert_string_equal(t->col_keys[0], "pupil_premium");
	assert_string_equal(t->cols[1], "School funds");
	assert_string_equal(t->cols[2], "City Council");
	assert_string_equal(t->col_keys[3], "total");
	assert_int_equal(cell(t, "contribution", "pupil_premium"), 600000 + 100000 + 80000);
	assert_int_equal(cell(t, "contribution", "total"), 1380000);
	assert_int_equal(cell(t, "pool_share", "pupil_premium"), 565);   /* 565.2 */
	assert_int_equal(cell(t, "pool_share", "school_funds"), 290);    /* 289.9 */
	assert_int_equal(cell(t, "pool_share", "city_council"), 145);    /* 144.9 */
	assert_int_equal(cell(t, "pool_share", "total"), 1000);
	/* B1's £295.00 split 6:4; B2's £100.01 split 2:1 — 6667.33 and 3333.67:
	 * the largest remainder gets the odd penny */
	assert_int_equal(cell(t, "spent", "pupil_premium"), 17700 + 3334);
	assert_int_equal(cell(t, "spent", "school_funds"), 11800);
	assert_int_equal(cell(t, "spent", "city_council"), 6667);
	assert_int_equal(cell(t, "spent", "total"), 29500 + 10001);
	assert_int_equal(cell(t, "spend_share", "pupil_premium"), 532);  /* 21034 / 39501 */
	assert_int_equal(rtable_find(t, "pool_share")->kind, RC_PERMILLE);
	/* nothing in the period: a total column only, rates not shown */
	f = filter("2001-04-01", "2002-03-31");
	assert_int_equal(report_money_sources(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->ncols, 1);
	assert_int_equal(cell(t, "contribution", "total"), 0);
	assert_int_equal(cell(t, "pool_share", "total"), RC_NONE);
	arena_free(&a);
}

/* ---- cost per family ---------------------------------------------------------------- */

static void test_families_agree_with_cost(void **state)
{
	struct arena a;
	arena_init(&a);
	struct db *db = DB(state);
	struct report_filter f = fy2026();
	struct rtable *t;
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	struct scope s = fix_scope(USER_COORD);
	struct cost_report rep;
	struct errinfo e = {0};
	assert_int_equal(cost_report_run(db, &a, &s, "financial", 2026, false, &rep, &e), HE_OK);
	assert_int_equal(cell(t, "families", "live"), rep.families);
	assert_int_equal(cell(t, "cases", "live"), (int64_t)rep.ncases);
	assert_int_equal(cell(t, "commissioned", "live"), rep.commissioned_pence);
	assert_int_equal(cell(t, "worker_time", "live"), rep.time_pence);
	assert_int_equal(cell(t, "total_cost", "live"), rep.total_pence);
	assert_int_equal(cell(t, "per_family", "live"), rep.per_family_pence);
	/* and the figures themselves (test_cost.c's, plus C2's £100.01) */
	assert_int_equal(cell(t, "families", "live"), 2);
	assert_int_equal(cell(t, "commissioned", "live"), 23999 + 3000 + 10001);
	assert_int_equal(cell(t, "worker_time", "live"), 7200 + 160 + 533);
	assert_int_equal(cell(t, "per_family", "live"), 22447);     /* 44893 / 2, half up */
	/* history: H1 (its £50.00 commission as spent), not H2 (2023) nor H3 (no case) */
	assert_int_equal(cell(t, "families", "history"), 1);
	assert_int_equal(cell(t, "commissioned", "history"), 5000);
	assert_int_equal(cell(t, "worker_time", "history"), 0);
	assert_int_equal(cell(t, "per_family", "history"), 5000);
	assert_int_equal(cell(t, "families", "total"), 3);
	assert_int_equal(cell(t, "cases", "total"), 4);
	assert_int_equal(cell(t, "total_cost", "total"), 44893 + 5000);
	assert_int_equal(cell(t, "per_family", "total"), 16631);    /* 49893 / 3 */
	arena_free(&a);
}

static void test_families_filtered(void **state)
{
	struct arena a;
	arena_init(&a);
	struct db *db = DB(state);
	struct report_filter f = fy2026();
	struct rtable *t;
	f.school_id = SCHOOL_A;                   /* C1 and C3 (the referrals' school), H1 */
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "families", "live"), 2);
	assert_int_equal(cell(t, "cases", "live"), 2);
	assert_int_equal(cell(t, "total_cost", "live"), 23999 + 7200 + 533);
	assert_int_equal(cell(t, "per_family", "live"), 15866);
	assert_int_equal(cell(t, "families", "history"), 1);
	f.school_id = 0;
	snprintf(f.phase, sizeof f.phase, "primary");   /* Beta: C2 only */
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "families", "live"), 1);
	assert_int_equal(cell(t, "total_cost", "live"), 3000 + 10001 + 160);
	assert_int_equal(cell(t, "per_family", "live"), 13161);
	assert_int_equal(cell(t, "families", "history"), 0);
	assert_int_equal(cell(t, "per_family", "history"), RC_NONE);
	/* the viewer: a cost per family from fewer than 5 families is not shown */
	f.suppress = true;
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "per_family", "live"), RC_SMALL_BASE);
	assert_int_equal(cell(t, "families", "live"), 1);   /* the printer suppresses counts */
	arena_free(&a);
}

static void test_engaged(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = fy2026();
	struct rtable *t;
	assert_int_equal(report_money_engaged(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 2);            /* academic years 2025–26 and 2026–27 */
	assert_string_equal(t->rows[0].key, "ay_2025");
	assert_string_equal(t->rows[1].key, "ay_2026");
	/* 2025–26: Khan (C1), Patel (C3), Other (C5 until its step-up); OLD-1 */
	assert_int_equal(cell(t, "ay_2025", "live"), 3);
	assert_int_equal(cell(t, "ay_2025", "history"), 1);
	assert_int_equal(cell(t, "ay_2025", "total"), 4);
	/* 2026–27: Khan (C1, C2), Other (C4) */
	assert_int_equal(cell(t, "ay_2026", "live"), 2);
	assert_int_equal(cell(t, "ay_2026", "history"), 0);
	assert_int_equal(cell(t, "ay_2026", "total"), 2);
	/* years before Hearth: history alone */
	f = filter("2022-09-01", "2023-08-31");
	assert_int_equal(report_money_engaged(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 1);
	assert_int_equal(cell(t, "ay_2022", "live"), 0);
	assert_int_equal(cell(t, "ay_2022", "history"), 1);
	f.school_id = SCHOOL_A;                   /* OLD-2 was Delta's */
	assert_int_equal(report_money_engaged(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "ay_2022", "history"), 0);
	arena_free(&a);
}

/* ---- the report and the cost page agree, family by family ------------------------- */

enum { F_SOLO = 4, C6 = 6, C7 = 7 };

/* The Solo family (F-000004), referred twice by Delta Primary (the only
 * school of district 2): C6 (2026-05-01 to 2026-11-30) and C7 (opened
 * 2027-01-15), with contacts of a minute each (costed per case: 53p each,
 * where per family it would be 107p), a planned one, one after C6 closed;
 * commissions against Delta's budget in every state, a refund, one
 * requested in the year and approved after it, one decided in April 2027;
 * and a history case under the same family reference in 2026–27. */
static void solo_family(struct db *db)
{
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (4, 'F-000004', 'Solo family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	referral(db, 6, F_SOLO, SCHOOL_D);
	referral(db, 7, F_SOLO, SCHOOL_D);
	a_case(db, C6, F_SOLO, W2, "2026-05-01", "2026-11-30");
	a_case(db, C7, F_SOLO, W1, "2027-01-15", NULL);
	contact(db, C6, "2026-05-02T09:00", 1, false);
	contact(db, C6, "2026-06-02T09:00", 60, true);
	contact(db, C7, "2027-01-20T09:00", 1, false);
	contact(db, C7, "2027-04-20T09:00", 17, false);
	commission(db, 20, C6, 4, "approved", 1111, -1, 0, "2026-05-03T10:00:00Z", "2026-05-04T10:00:00Z");
	commission(db, 21, C6, 4, "delivered", 2000, 2222, 0, "2026-05-05T10:00:00Z", "2026-05-06T10:00:00Z");
	commission(db, 22, C6, 4, "paid", 3000, 3333, 333, "2026-05-07T10:00:00Z", "2026-05-08T10:00:00Z");
	commission(db, 23, C6, 4, "requested", 4444, -1, 0, "2026-06-01T10:00:00Z", NULL);
	commission(db, 24, C6, 4, "cancelled", 5555, -1, 0, "2026-06-02T10:00:00Z", "2026-06-03T10:00:00Z");
	commission(db, 25, C6, 4, "declined", 6666, -1, 0, "2026-06-04T10:00:00Z", "2026-06-05T10:00:00Z");
	commission(db, 26, C7, 4, "approved", 7777, -1, 0, "2027-03-30T10:00:00Z", "2027-04-02T10:00:00Z");
	commission(db, 27, C7, 4, "paid", 888, 888, 0, "2027-02-01T10:00:00Z", "2027-02-02T10:00:00Z");
	fix_exec(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id)"
		" VALUES (4, 1, 'LST-4', 'F-000004', 4)");
	hevent(db, 4, "2026-09-10", "allocated", -1);
}

/* Σ of the cost page's rows of one family in the year's report. */
static void family_rows(const struct cost_report *rep, const char *family_ref, struct cost_sum *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < rep->ncases; i++) {
		const struct cost_case *c = &rep->cases[i];
		if (strcmp(c->family_ref, family_ref))
			continue;
		t->cases++;
		t->time_pence += c->time_pence;
		t->commissioned_pence += c->commissioned_pence;
		t->total_pence += c->total_pence;
	}
	t->families = t->cases > 0;
	t->per_family_pence = t->total_pence;
}

/* The live column of the report against a family's costs from cost.c. */
static void assert_live(struct rtable *t, const struct cost_sum *c)
{
	assert_int_equal(cell(t, "families", "live"), c->families);
	assert_int_equal(cell(t, "cases", "live"), c->cases);
	assert_int_equal(cell(t, "commissioned", "live"), c->commissioned_pence);
	assert_int_equal(cell(t, "worker_time", "live"), c->time_pence);
	assert_int_equal(cell(t, "total_cost", "live"), c->total_pence);
	assert_int_equal(cell(t, "per_family", "live"), c->per_family_pence);
}

/* The same family's cost through the cost page (cost_report_run's rows for
 * the year, cost_case_get over each case's life) and through the money
 * report (filtered to the one school that referred it), and every school's
 * families against the year's rows of the cases it referred. */
static void test_family_agrees_with_cost_page(void **state)
{
	struct arena a;
	arena_init(&a);
	struct db *db = DB(state);
	solo_family(db);
	struct scope s = fix_scope(USER_COORD);
	struct errinfo e = {0};
	struct cost_report rep;
	assert_int_equal(cost_report_run(db, &a, &s, "financial", 2026, false, &rep, &e), HE_OK);
	struct cost_sum fam;
	family_rows(&rep, "F-000004", &fam);
	/* the figures, so that agreeing on nothing cannot pass: C6 1 min (53p),
	 * £11.11 + £22.22 delivered + £33.33 − £3.33 paid; C7 1 min (53p), £8.88
	 * paid; M-26 was approved after the year */
	assert_int_equal(fam.cases, 2);
	assert_int_equal(fam.time_pence, 53 + 53);
	assert_int_equal(fam.commissioned_pence, 1111 + 2222 + 3000 + 888);
	struct report_filter f = fy2026();
	struct rtable *t;
	f.school_id = SCHOOL_D;
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	assert_live(t, &fam);
	f.school_id = 0;
	f.district_id = 2;
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	assert_live(t, &fam);
	/* the family page's whole-life figures: each case's, summed */
	struct cost_sum life = {.families = 1};
	for (int id = C6; id <= C7; id++) {
		struct cost_case c;
		assert_int_equal(cost_case_get(db, &a, &s, id, &c, &e), HE_OK);
		life.cases++;
		life.time_pence += c.time_pence;
		life.commissioned_pence += c.commissioned_pence;
		life.total_pence += c.total_pence;
	}
	life.per_family_pence = life.total_pence;
	assert_int_equal(life.time_pence, 53 + 960);      /* C7: 1 + 17 min (April 2027) */
	f = filter("2000-01-01", "2099-12-31");
	f.school_id = SCHOOL_D;
	assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
	assert_live(t, &life);
	/* every school: the report's live total is the year's rows of the
	 * cases that school referred, to the penny */
	const int schools[] = {SCHOOL_A, SCHOOL_B, SCHOOL_D};
	const char *names[] = {"Alpha", "Beta", "Delta"};
	for (int i = 0; i < 3; i++) {
		int64_t total = 0, cases = 0;
		for (size_t k = 0; k < rep.ncases; k++)
			if (!strncmp(rep.cases[k].school_name, names[i], strlen(names[i]))) {
				total += rep.cases[k].total_pence;
				cases++;
			}
		f = fy2026();
		f.school_id = schools[i];
		assert_int_equal(report_money_families(db, &a, &f, &t), HE_OK);
		assert_int_equal(cell(t, "cases", "live"), cases);
		assert_int_equal(cell(t, "total_cost", "live"), total);
	}
	arena_free(&a);
}

/* A family with cases since Hearth and under its reference in the history
 * is one family engaged, and its cases the report counts are cost.c's. */
static void test_engaged_family_once(void **state)
{
	struct arena a;
	arena_init(&a);
	struct db *db = DB(state);
	solo_family(db);
	struct report_filter f = fy2026();
	struct rtable *t;
	assert_int_equal(report_money_engaged(db, &a, &f, &t), HE_OK);
	/* 2026–27: Khan, Other and Solo since Hearth; LST-4 (Solo) before */
	assert_int_equal(cell(t, "ay_2026", "live"), 3);
	assert_int_equal(cell(t, "ay_2026", "history"), 1);
	assert_int_equal(cell(t, "ay_2026", "total"), 3);
	f.district_id = 2;
	assert_int_equal(report_money_engaged(db, &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "ay_2026", "live"), 1);
	assert_int_equal(cell(t, "ay_2026", "history"), 1);
	assert_int_equal(cell(t, "ay_2026", "total"), 1);
	/* Belgrave's schools referred Khan, not Solo: the history ref is its own */
	f.district_id = 1;
	assert_int_equal(report_money_engaged(db, &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "ay_2026", "live"), 1);
	assert_int_equal(cell(t, "ay_2026", "history"), 0);
	assert_int_equal(cell(t, "ay_2026", "total"), 1);
	arena_free(&a);
}

/* ---- risk and reach ------------------------------------------------------------------- */

static void test_reach_by_district(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = fy2026();
	struct rtable *t;
	assert_int_equal(report_reach(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->ncols, 3);
	assert_string_equal(t->cols[0], "Belgrave");
	assert_string_equal(t->col_keys[0], "district_1");
	assert_string_equal(t->cols[1], "Castle");
	/* Belgrave: Aisha (C1), Cara (none), Dev (H1 closed 2026-06-30, in the
	 * last 12 months); Bilal's latest census is low */
	assert_int_equal(cell(t, "high_risk", "district_1"), 3);
	assert_int_equal(cell(t, "reached", "district_1"), 2);
	assert_int_equal(cell(t, "gap", "district_1"), 1);
	assert_int_equal(cell(t, "pct_reached", "district_1"), 667);
	assert_int_equal(cell(t, "high_risk", "district_2"), 1);
	assert_int_equal(cell(t, "reached", "district_2"), 0);
	assert_int_equal(cell(t, "pct_reached", "district_2"), 0);
	assert_int_equal(cell(t, "high_risk", "total"), 4);
	assert_int_equal(cell(t, "gap", "total"), 2);
	assert_int_equal(cell(t, "pct_reached", "total"), 500);
	/* at the end of June 2026: the January census (Aisha and Bilal, both
	 * on C1's referral); October's not yet taken */
	f = filter("2025-07-01", "2026-06-30");
	assert_int_equal(report_reach(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "high_risk", "district_1"), 2);
	assert_int_equal(cell(t, "reached", "district_1"), 2);
	assert_int_equal(cell(t, "high_risk", "district_2"), 0);
	assert_int_equal(cell(t, "pct_reached", "district_2"), RC_NONE);
	/* two years on, H1 (closed June 2026) is no longer recent; C1 still open */
	f = filter("2027-07-01", "2028-06-30");
	assert_int_equal(report_reach(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "high_risk", "district_1"), 3);
	assert_int_equal(cell(t, "reached", "district_1"), 1);
	arena_free(&a);
}

static void test_reach_by_school(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = fy2026();
	struct rtable *t;
	f.district_id = 1;
	assert_int_equal(report_reach(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->ncols, 4);            /* Alpha, Beta, Gamma and the total */
	assert_string_equal(t->cols[0], "Alpha Academy");
	assert_string_equal(t->col_keys[0], "school_1");
	assert_int_equal(cell(t, "high_risk", "school_1"), 1);
	assert_int_equal(cell(t, "pct_reached", "school_1"), 1000);
	assert_int_equal(cell(t, "high_risk", "school_2"), 2);
	assert_int_equal(cell(t, "reached", "school_2"), 1);
	assert_int_equal(cell(t, "high_risk", "school_3"), 0);
	assert_int_equal(cell(t, "pct_reached", "school_3"), RC_NONE);
	assert_int_equal(cell(t, "high_risk", "total"), 3);
	/* the viewer: a rate from fewer than 5 pupils is not shown */
	f.suppress = true;
	assert_int_equal(report_reach(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(cell(t, "pct_reached", "school_2"), RC_SMALL_BASE);
	assert_int_equal(cell(t, "pct_reached", "school_3"), RC_NONE);
	/* a school user's filter: its own school only */
	f = fy2026();
	f.school_id = SCHOOL_B;
	assert_int_equal(report_reach(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->ncols, 2);
	assert_string_equal(t->col_keys[0], "school_2");
	assert_int_equal(cell(t, "high_risk", "total"), 2);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_budgets, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_sources, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_families_agree_with_cost, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_families_filtered, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_engaged, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_family_agrees_with_cost_page, setup,
						 testdb_teardown),
		cmocka_unit_test_setup_teardown(test_engaged_family_once, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_reach_by_district, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_reach_by_school, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
