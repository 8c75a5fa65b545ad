/* test_cost.c — unit tests for src/core/cost.c: worker time costed once per
 * case (not per contact) and rounded half up, held contacts only; money
 * by the budget position's definitions (estimate until delivered, actual
 * after, paid less refunds; requested, declined and cancelled count
 * nothing) and agreeing with budget_position to the penny; the year's
 * window (cases open at any time in it, contacts and approvals inside
 * it); families counted once; the cost per family; the hourly setting;
 * scope, capability, bad periods and the audit row.
 *
 * The partnership (referfix.h) is extended with SQL: workers, families,
 * referrals, cases, contacts, a budget and commissions in every state, so
 * these tests are about cost.c alone.  Runs on SQLite, and on PostgreSQL
 * with HEARTH_TEST_PG. */
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
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { W1 = 1, W2 = 2 };
enum { F_KHAN = 1, F_PATEL = 2, F_OTHER = 3 };
enum { C1 = 1, C2 = 2, C3 = 3, C4 = 4, C5 = 5 };
enum { B1 = 1 };

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

/* A commission on case_id against B1; actual < 0: none; decided NULL: not decided. */
static void commission(struct db *db, int id, int case_id, const char *status, int64_t estimate,
		       int64_t actual, int64_t refunded, const char *requested, const char *decided)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO commissions (id, ref, case_id, budget_id,"
		" kind, service_id, quantity, unit_cost_pence, estimate_pence, actual_pence,"
		" refunded_pence, status, reason, requested_at, decided_at, updated_at) VALUES (:id,"
		" :ref, :case, 1, 'service', 1, 1, :est, :est, :actual, :refunded, :status,"
		" 'Needed', :requested, :decided, :requested)");
	char ref[16];
	snprintf(ref, sizeof ref, "M-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":case", case_id);
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

/* The fixture (financial year 2026 = 2026-04-01 … 2027-03-31):
 *   C1 Khan, W1, opened 2026-04-10: contacts held 90 + 45 min in the year,
 *      30 min in April 2027, one planned (never counts); commissions:
 *      approved £99.99, delivered £50.00 est → £45.00 actual, paid £100.00
 *      est → £120.00 actual less £25.00 refund, requested £700.00,
 *      declined, cancelled, and one paid £200.00 approved April 2027;
 *   C2 Khan (again), W2, opened 2026-09-01: three held contacts of 1 min
 *      (costed once: 160p; per contact it would be 3 × 53p = 159p) and an
 *      approved £30.00;
 *   C3 Patel, W1, opened 2025-06-01, closed 2026-04-01 (the year's first
 *      day: still in it): 60 min in March 2026, 10 min on 2026-04-01;
 *   C4 Other, W1, opened 2027-05-01 (after the year);
 *   C5 Other, W1, opened 2025-06-01, stepped up to social care 2026-02-01
 *      (before the year: not in it), 60 min in January 2026. */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
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
	a_case(db, C1, F_KHAN, W1, "2026-04-10", NULL);
	a_case(db, C2, F_KHAN, W2, "2026-09-01", NULL);
	a_case(db, C3, F_PATEL, W1, "2025-06-01", "2026-04-01");
	a_case(db, C4, F_OTHER, W1, "2027-05-01", NULL);
	referral(db, 5, F_OTHER, 0);
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
	fix_exec(db, "INSERT INTO budgets (id, name, owner_kind, school_id, period, start_year,"
		" amount_pence, created_at, updated_at) VALUES (1, 'Alpha commissioning', 'school', 1,"
		" 'financial', 2026, 1000000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	commission(db, 1, C1, "approved", 9999, -1, 0, "2026-05-09T10:00:00Z", "2026-05-10T10:00:00Z");
	commission(db, 2, C1, "delivered", 5000, 4500, 0, "2026-05-20T10:00:00Z", "2026-06-01T10:00:00Z");
	commission(db, 3, C1, "paid", 10000, 12000, 2500, "2026-06-01T10:00:00Z", "2026-06-02T10:00:00Z");
	commission(db, 4, C1, "requested", 70000, -1, 0, "2026-07-01T10:00:00Z", NULL);
	commission(db, 5, C1, "declined", 8000, -1, 0, "2026-07-02T10:00:00Z", "2026-07-03T10:00:00Z");
	commission(db, 6, C1, "cancelled", 6000, -1, 0, "2026-07-04T10:00:00Z", "2026-07-05T10:00:00Z");
	commission(db, 7, C1, "paid", 20000, 20000, 0, "2027-04-04T10:00:00Z", "2027-04-05T10:00:00Z");
	commission(db, 8, C2, "approved", 3000, -1, 0, "2026-10-01T10:00:00Z", "2026-10-01T10:00:00Z");
	return 0;
}

static struct scope coord(void)
{
	return fix_scope(USER_COORD);
}

static const struct cost_case *row(const struct cost_report *rep, const char *ref)
{
	for (size_t i = 0; i < rep->ncases; i++)
		if (strcmp(rep->cases[i].ref, ref) == 0)
			return &rep->cases[i];
	return NULL;
}

static void test_rounding(void **state)
{
	(void)state;
	assert_int_equal(cost_time_pence(0, 3200), 0);
	assert_int_equal(cost_time_pence(60, 3200), 3200);
	assert_int_equal(cost_time_pence(1, 3200), 53);      /* 53.33 */
	assert_int_equal(cost_time_pence(2, 3200), 107);     /* 106.67 */
	assert_int_equal(cost_time_pence(3, 3200), 160);     /* once: not 3 × 53 */
	assert_int_equal(cost_time_pence(1, 30), 1);         /* 0.5: half up */
	assert_int_equal(cost_time_pence(1, 29), 0);         /* 0.483 */
	assert_int_equal(cost_time_pence(165, 3200), 8800);
	assert_int_equal(cost_time_pence(10, 3200), 533);    /* 533.33 */
	assert_int_equal(cost_div_round(34892, 2), 17446);
	assert_int_equal(cost_div_round(7, 2), 4);           /* 3.5: half up */
	assert_int_equal(cost_div_round(10, 3), 3);
	assert_int_equal(cost_div_round(5, 0), 0);
}

static void test_case_all_time(void **state)
{
	struct arena a;
	arena_init(&a);
	struct scope s = coord();
	struct cost_case c;
	struct errinfo e = {0};
	assert_int_equal(cost_case_get(DB(state), &a, &s, C1, &c, &e), HE_OK);
	assert_string_equal(c.ref, "C-000001");
	assert_string_equal(c.family_ref, "F-000001");
	assert_string_equal(c.school_name, "Alpha Academy");
	assert_string_equal(c.worker_name, "Wendy One");
	assert_int_equal(c.minutes, 165);                    /* the planned visit does not count */
	assert_int_equal(c.time_pence, 8800);
	assert_int_equal(c.committed_pence, 9999 + 4500);    /* estimate; actual once delivered */
	assert_int_equal(c.spent_pence, 12000 - 2500 + 20000);
	assert_int_equal(c.pending_pence, 70000);            /* shown, not counted */
	assert_int_equal(c.commissioned_pence, 14499 + 29500);
	assert_int_equal(c.total_pence, 43999 + 8800);
	assert_int_equal(c.commissions, 4);
	/* three 1-minute contacts are costed once: 160p, not 159p */
	assert_int_equal(cost_case_get(DB(state), &a, &s, C2, &c, &e), HE_OK);
	assert_int_equal(c.minutes, 3);
	assert_int_equal(c.time_pence, 160);
	assert_int_equal(c.total_pence, 3160);
	arena_free(&a);
}

/* Σ over the cases agrees with K's budget position to the penny. */
static void test_agrees_with_budget_position(void **state)
{
	struct arena a;
	arena_init(&a);
	struct scope s = coord();
	struct budget_pos pos;
	assert_int_equal(budget_position(DB(state), B1, &pos), HE_OK);
	int64_t committed = 0, spent = 0, pending = 0;
	for (int id = C1; id <= C5; id++) {
		struct cost_case c;
		struct errinfo e = {0};
		assert_int_equal(cost_case_get(DB(state), &a, &s, id, &c, &e), HE_OK);
		committed += c.committed_pence;
		spent += c.spent_pence;
		pending += c.pending_pence;
	}
	assert_int_equal(committed, pos.committed);
	assert_int_equal(spent, pos.spent);
	assert_int_equal(pending, pos.pending);
	arena_free(&a);
}

static void test_financial_year(void **state)
{
	struct arena a;
	arena_init(&a);
	struct scope s = coord();
	struct cost_report rep;
	struct errinfo e = {0};
	assert_int_equal(cost_report_run(DB(state), &a, &s, "financial", 2026, false, &rep, &e), HE_OK);
	assert_string_equal(rep.from, "2026-04-01");
	assert_string_equal(rep.to, "2027-03-31");
	assert_string_equal(rep.label, "Financial year 2026\xe2\x80\x93" "27");
	assert_int_equal(rep.hour_pence, 3200);
	assert_int_equal(rep.ncases, 3);                     /* C4 opened after it */
	assert_null(row(&rep, "C-000004"));
	assert_null(row(&rep, "C-000005"));                  /* stepped up before it */
	assert_int_equal(rep.families, 2);                   /* Khan's two cases count once */
	const struct cost_case *c1 = row(&rep, "C-000001"), *c2 = row(&rep, "C-000002"),
			       *c3 = row(&rep, "C-000003");
	assert_non_null(c1);
	assert_non_null(c2);
	assert_non_null(c3);                                 /* closed on the year's first day */
	assert_int_equal(c1->minutes, 135);                  /* April 2027's contact is next year's */
	assert_int_equal(c1->time_pence, 7200);
	assert_int_equal(c1->committed_pence, 14499);
	assert_int_equal(c1->spent_pence, 9500);             /* the April 2027 payment is not in it */
	assert_int_equal(c1->total_pence, 14499 + 9500 + 7200);
	assert_int_equal(c2->total_pence, 3000 + 160);
	assert_int_equal(c3->minutes, 10);
	assert_int_equal(c3->time_pence, 533);
	assert_int_equal(c3->commissioned_pence, 0);
	/* totals are the sums of the rows */
	assert_int_equal(rep.minutes, 148);
	assert_int_equal(rep.time_pence, 7200 + 160 + 533);
	assert_int_equal(rep.commissioned_pence, 14499 + 9500 + 3000);
	assert_int_equal(rep.total_pence, 34892);
	assert_int_equal(rep.per_family_pence, 17446);
	const char *h = cost_headline(&a, &rep);
	assert_non_null(strstr(h, "2 families supported at \xc2\xa3" "174.46 each"));
	assert_non_null(strstr(h, "\xc2\xa3" "348.92 in all"));
	arena_free(&a);
}

static void test_academic_year_and_empty(void **state)
{
	struct arena a;
	arena_init(&a);
	struct scope s = coord();
	struct cost_report rep;
	struct errinfo e = {0};
	/* 2025-09-01 … 2026-08-31: C3 (both contacts), C1 and C5 (stepped up within it),
	 * not C2 (opened 2026-09-01) */
	assert_int_equal(cost_report_run(DB(state), &a, &s, "academic", 2025, false, &rep, &e), HE_OK);
	assert_string_equal(rep.from, "2025-09-01");
	assert_string_equal(rep.to, "2026-08-31");
	assert_int_equal(rep.ncases, 3);
	assert_int_equal(rep.families, 3);
	assert_int_equal(row(&rep, "C-000005")->time_pence, 3200);
	assert_int_equal(row(&rep, "C-000003")->minutes, 70);
	assert_int_equal(row(&rep, "C-000003")->time_pence, cost_time_pence(70, 3200));
	assert_null(row(&rep, "C-000002"));
	/* a year with nobody */
	assert_int_equal(cost_report_run(DB(state), &a, &s, "financial", 2020, false, &rep, &e), HE_OK);
	assert_int_equal(rep.ncases, 0);
	assert_int_equal(rep.families, 0);
	assert_int_equal(rep.per_family_pence, 0);
	assert_non_null(strstr(cost_headline(&a, &rep), "no families supported"));
	arena_free(&a);
}

static void test_hourly_setting(void **state)
{
	struct arena a;
	arena_init(&a);
	struct scope s = coord();
	struct cost_case c;
	struct errinfo e = {0};
	fix_exec(DB(state), "UPDATE settings SET value = '3000' WHERE key = 'cost.worker_hour_pence'");
	assert_int_equal(cost_case_get(DB(state), &a, &s, C1, &c, &e), HE_OK);
	assert_int_equal(c.time_pence, 8250);
	fix_exec(DB(state), "UPDATE settings SET value = 'lots' WHERE key = 'cost.worker_hour_pence'");
	int64_t hour;
	assert_int_equal(cost_hour_pence(DB(state), &hour), HE_OK);
	assert_int_equal(hour, COST_HOUR_PENCE_DEFAULT);
	arena_free(&a);
}

static void test_scope_and_audit(void **state)
{
	struct arena a;
	arena_init(&a);
	struct db *db = DB(state);
	struct cost_case c;
	struct cost_report rep;
	struct errinfo e = {0};
	/* the case's worker sees C1, not C2 (Walt's) */
	struct scope w = fix_scope(USER_WORKER);
	w.worker_id = W1;
	assert_int_equal(cost_case_get(db, &a, &w, C1, &c, &e), HE_OK);
	assert_int_equal(cost_case_get(db, &a, &w, C2, &c, &e), HE_NOT_FOUND);
	struct scope sa = fix_scope(USER_A);
	assert_int_equal(cost_case_get(db, &a, &sa, C1, &c, &e), HE_NOT_FOUND);
	assert_int_equal(cost_case_get(db, &a, &w, 999, &c, &e), HE_NOT_FOUND);
	/* the report needs CAP_REPORTS */
	assert_int_equal(cost_report_run(db, &a, &sa, "financial", 2026, false, &rep, &e), HE_FORBIDDEN);
	assert_int_equal(cost_report_run(db, &a, &w, "financial", 2026, false, &rep, &e), HE_FORBIDDEN);
	struct scope s = coord();
	e = (struct errinfo){0};
	assert_int_equal(cost_report_run(db, &a, &s, "calendar", 2026, false, &rep, &e), HE_INVALID);
	assert_string_equal(e.field, "period");
	e = (struct errinfo){0};
	assert_int_equal(cost_report_run(db, &a, &s, "financial", 1999, false, &rep, &e), HE_INVALID);
	assert_string_equal(e.field, "year");
	int64_t before = fix_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'costs'"
				 " AND :id = :id", 0);
	assert_int_equal(cost_report_run(db, &a, &s, "financial", 2026, false, &rep, &e), HE_OK);
	assert_int_equal(cost_report_run(db, &a, &s, "financial", 2026, true, &rep, &e), HE_OK);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'costs'"
				 " AND :id = :id", 0), before + 2);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'costs'"
				 " AND action = 'export' AND summary LIKE '%2 families%' AND :id = :id", 0), 1);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounding),
		cmocka_unit_test_setup_teardown(test_case_all_time, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_agrees_with_budget_position, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_financial_year, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_academic_year_and_empty, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_hourly_setting, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_scope_and_audit, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
