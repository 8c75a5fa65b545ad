/* test_report_outcome.c — unit tests for src/core/report_outcome.c: cases
 * closed in the period (live and history), families counted once,
 * stabilised (outcomes met, no referral of the family within 6 months),
 * before/after from census snapshots (the term before referral, not the
 * referral's own term; the latest snapshot only when on or after the
 * referral; each measure over the children who have it in both),
 * destinations (the latest per child, each child once, only children of
 * the closed cases), the school and phase filters, small bases for the
 * viewer, and the distance travelled by domain (first vs latest
 * assessment, rounded tenths).
 *
 * The partnership (referfix.h) is extended with SQL rows so the tests are
 * about report_outcome.c alone.  Runs on SQLite, and on PostgreSQL with
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
#include "core/report_outcome.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static hday day(const char *s)
{
	hday d = 0;
	assert_true(date_parse(s, &d));
	return d;
}


/* A referral (school 0: self) and, with closed set, its closed case. */
static void referral(struct db *db, int id, int family, int school, const char *received)
{
	if (school)
		fix_sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		     " needs, reason, status, received_at) VALUES (%d, 'R-%06d', %d, 'school', %d, 2,"
		     " 'attendance', 'Worried', 'accepted', '%sT10:00:00Z')", id, id, family, school,
		     received);
	else
		fix_sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		     " needs, reason, status, received_at) VALUES (%d, 'R-%06d', %d, 'self', NULL, 2,"
		     " 'attendance', 'Worried', 'accepted', '%sT10:00:00Z')", id, id, family, received);
}

static void closed_case(struct db *db, int id, int family, const char *opened, const char *closed,
			const char *reason)
{
	fix_sqlf(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status, opened_on,"
	     " closed_on, closure_reason, created_at, updated_at) VALUES (%d, 'C-%06d', %d, %d, 1,"
	     " 'closed', '%s', '%s', '%s', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
	     id, id, family, id, opened, closed, reason);
}

/* A snapshot; -1 leaves a figure NULL. */
static void snap(struct db *db, int pupil, int school, const char *on, int possible, int attended,
		 int suspensions, int below)
{
	char p[16], a[16], s[16], b[16];
	snprintf(p, sizeof p, possible < 0 ? "NULL" : "%d", possible);
	snprintf(a, sizeof a, attended < 0 ? "NULL" : "%d", attended);
	snprintf(s, sizeof s, suspensions < 0 ? "NULL" : "%d", suspensions);
	snprintf(b, sizeof b, below < 0 ? "NULL" : "%d", below);
	fix_sqlf(db, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
	     " sessions_possible, sessions_attended, suspensions, below_expected) VALUES"
	     " (%d, 1, %d, '%s', %s, %s, %s, %s)", pupil, school, on, p, a, s, b);
}

static void destination(struct db *db, int pupil, const char *dest, const char *on)
{
	fix_sqlf(db, "INSERT INTO destinations (pupil_id, destination, recorded_on, source, created_at)"
	     " VALUES (%d, '%s', '%s', 'worker', '2025-01-01T00:00:00Z')", pupil, dest, on);
}

static void assessment(struct db *db, int id, int case_id, const char *on, int health, int housing,
		       int learning)
{
	fix_sqlf(db, "INSERT INTO assessments (id, case_id, assessed_on, kind, agreed_with, recorded_at)"
	     " VALUES (%d, %d, '%s', 'review', 'Mum', '2025-01-01T00:00:00Z')", id, case_id, on);
	fix_sqlf(db, "INSERT INTO assessment_scores (assessment_id, position, domain_code, domain_title,"
	     " side, score) VALUES (%d, 1, 'health', 'Health', 'child', %d),"
	     " (%d, 14, 'housing', 'Housing', 'family', %d)", id, health, id, housing);
	if (learning)
		fix_sqlf(db, "INSERT INTO assessment_scores (assessment_id, position, domain_code,"
		     " domain_title, side, score) VALUES (%d, 3, 'learning', 'Learning and education',"
		     " 'child', %d)", id, learning);
}

/* The fixture (financial year 2025: 2025-04-01 … 2026-03-31):
 *   C1 Khan (family 1): referred by school A 2025-05-10 (summer term, from
 *      2025-04-21) for Aisha and Bilal; closed 2025-12-15 outcomes met,
 *      never referred again: stabilised.
 *   C2 Patel (2): referred by B 2025-10-01 for Dev; closed 2026-01-20
 *      outcomes met; referred again 2026-05-01 (within 6 months): not.
 *   C3 Other (3): self-referral 2025-06-01, no child; closed 2026-02-01
 *      disengaged.  C4 Khan: closed 2025-03-31, before the year.
 *   Snapshots: Aisha 2025-01-15 80/100, 2 suspensions, below; 2025-04-25
 *      (in the referral's own term: not "before") 100/150; latest
 *      2026-01-10 95/100, none, not below.  Bilal 2025-03-01 150/200,
 *      suspensions not given, not below; latest 2025-11-01 90/100, 1,
 *      below.  Dev 2025-07-01 60/100; latest 2025-09-20, before his
 *      referral: no "after".
 *   Destinations: Aisha education then employment (the latest counts),
 *      Dev NEET, Cara (not on a closed case) training.
 *   History: HF1's case closed 2025-06-30 outcomes met, HF1 referred
 *      again 2025-10-01 (not stabilised); HF2's (school B) closed
 *      2025-08-01 outcomes met (stabilised).
 *   Assessments: C1 health 4→5→7, housing 3→5→6; C2 health 5→6, housing
 *      8→7, learning 2 (first only); C3 one assessment only. */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		 " (1, 'Sam', 'Pool', 'family_support', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		 " (1, 'F-000001', 'Khan family', 'x', 'x'), (2, 'F-000002', 'Patel family', 'x', 'x'),"
		 " (3, 'F-000003', 'Other family', 'x', 'x')");
	fix_exec(db, "INSERT INTO imports (id, kind, filename, status, started_at) VALUES"
		 " (1, 'csv', 'census.csv', 'applied', '2025-01-01T00:00:00Z')");
	referral(db, 1, 1, SCHOOL_A, "2025-05-10");
	referral(db, 2, 2, SCHOOL_B, "2025-10-01");
	referral(db, 3, 3, 0, "2025-06-01");
	referral(db, 4, 1, SCHOOL_A, "2024-01-10");
	referral(db, 5, 2, SCHOOL_B, "2026-05-01");
	fix_exec(db, "INSERT INTO referral_pupils (referral_id, pupil_id, school_id) VALUES"
		 " (1, 1, 1), (1, 2, 1), (2, 4, 2), (4, 1, 1), (5, 4, 2)");
	closed_case(db, 1, 1, "2025-05-15", "2025-12-15", "outcomes_met");
	closed_case(db, 2, 2, "2025-10-02", "2026-01-20", "outcomes_met");
	closed_case(db, 3, 3, "2025-06-02", "2026-02-01", "disengaged");
	closed_case(db, 4, 1, "2024-01-11", "2025-03-31", "outcomes_met");
	snap(db, AISHA, SCHOOL_A, "2025-01-15", 100, 80, 2, 1);
	snap(db, AISHA, SCHOOL_A, "2025-04-25", 150, 100, 0, 0);
	snap(db, AISHA, SCHOOL_A, "2026-01-10", 100, 95, 0, 0);
	snap(db, BILAL, SCHOOL_A, "2025-03-01", 200, 150, -1, 0);
	snap(db, BILAL, SCHOOL_A, "2025-11-01", 100, 90, 1, 1);
	snap(db, DEV, SCHOOL_B, "2025-07-01", 100, 60, 1, 1);
	snap(db, DEV, SCHOOL_B, "2025-09-20", 100, 70, 0, 0);
	destination(db, AISHA, "education", "2025-07-01");
	destination(db, AISHA, "employment", "2025-09-01");
	destination(db, DEV, "neet", "2025-09-01");
	destination(db, CARA, "training", "2025-09-01");
	fix_exec(db, "INSERT INTO history_imports (id, filename, sha256, imported_at) VALUES"
		 " (1, 'old.csv', 'abc', '2025-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id) VALUES"
		 " (1, 1, 'OLD-1', 'HF1', 1), (2, 1, 'OLD-2', 'HF1', 1), (3, 1, 'OLD-3', 'HF2', 2)");
	fix_exec(db, "INSERT INTO history_events (case_id, on_date, kind, source, reason) VALUES"
		 " (1, '2024-09-10', 'referred', 'school', NULL),"
		 " (1, '2025-06-30', 'closed', NULL, 'outcomes_met'),"
		 " (2, '2025-10-01', 'referred', 'school', NULL),"
		 " (3, '2025-02-01', 'referred', 'school', NULL),"
		 " (3, '2025-08-01', 'closed', NULL, 'outcomes_met')");
	assessment(db, 1, 1, "2025-05-20", 4, 3, 0);
	assessment(db, 2, 1, "2025-09-01", 5, 5, 0);
	assessment(db, 3, 1, "2025-12-10", 7, 6, 0);
	assessment(db, 4, 2, "2025-10-05", 5, 8, 2);
	assessment(db, 5, 2, "2026-01-15", 6, 7, 0);
	assessment(db, 6, 3, "2025-07-01", 2, 2, 0);
	return 0;
}

static struct report_filter year2025(void)
{
	struct report_filter f = {0};
	f.from = day("2025-04-01");
	f.to = day("2026-03-31");
	return f;
}

static int64_t val(struct rtable *t, const char *key, size_t col)
{
	struct rrow *w = rtable_find(t, key);
	if (!w)
		fail_msg("no row %s", key);
	return w->v[col];
}

static struct rtable *outcomes(void **state, const struct report_filter *f, struct arena *a)
{
	struct rtable *t = NULL;
	assert_int_equal(report_outcomes(DB(state), a, f, &t), HE_OK);
	assert_non_null(t);
	assert_string_equal(t->id, "outcomes");
	return t;
}

static void test_term_start(void **state)
{
	(void)state;
	(void)fix_scope;
	(void)fix_int;
	/* Easter 2025 is 20 April: the summer term starts the day after */
	assert_int_equal(report_outcome_term_start(day("2025-05-10")), day("2025-04-21"));
	assert_int_equal(report_outcome_term_start(day("2025-04-20")), day("2025-01-01"));
	assert_int_equal(report_outcome_term_start(day("2025-10-01")), day("2025-09-01"));
	assert_int_equal(report_outcome_term_start(day("2026-02-14")), day("2026-01-01"));
}

static void test_cases_and_stabilised(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = year2025();
	struct rtable *t = outcomes(state, &f, &a);
	/* C1, C2, C3 and the history cases HF1 and HF2 (C4 closed before) */
	assert_int_equal(val(t, "cases_closed", 0), 5);
	assert_int_equal(val(t, "families", 0), 5);
	assert_int_equal(val(t, "outcomes_met", 0), 4);
	/* C1 and HF2; C2 and HF1 were referred again within 6 months */
	assert_int_equal(val(t, "stabilised", 0), 2);
	assert_int_equal(val(t, "stabilised_share", 0), 400);
	/* a later year: C2's re-referral is more than 6 months after C1 … none closed */
	f.from = day("2026-04-01");
	f.to = day("2027-03-31");
	t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "cases_closed", 0), 0);
	assert_int_equal(val(t, "stabilised_share", 0), RC_NONE);
	arena_free(&a);
}

static void test_six_months(void **state)
{
	struct arena a;
	arena_init(&a);
	/* C2's family referred again 2026-07-21: one day past 6 months of 2026-01-20 */
	fix_exec(DB(state), "UPDATE referrals SET received_at = '2026-07-21T09:00:00Z' WHERE id = 5");
	struct report_filter f = year2025();
	assert_int_equal(val(outcomes(state, &f, &a), "stabilised", 0), 3);
	/* … and on the last day of the 6 months it is a re-referral */
	fix_exec(DB(state), "UPDATE referrals SET received_at = '2026-07-20T09:00:00Z' WHERE id = 5");
	assert_int_equal(val(outcomes(state, &f, &a), "stabilised", 0), 2);
	arena_free(&a);
}

static void test_before_after(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = year2025();
	struct rtable *t = outcomes(state, &f, &a);
	/* Aisha 80.0% → 95.0%, Bilal 75.0% → 90.0%; Dev has no "after" */
	assert_int_equal(val(t, "attendance_children", 0), 2);
	assert_int_equal(val(t, "attendance_before", 0), 775);
	assert_int_equal(val(t, "attendance_after", 0), 925);
	/* Bilal's suspensions were not given before: Aisha alone */
	assert_int_equal(val(t, "suspension_children", 0), 1);
	assert_int_equal(val(t, "suspended_before", 0), 1);
	assert_int_equal(val(t, "suspended_after", 0), 0);
	assert_int_equal(val(t, "suspensions_before", 0), 2);
	assert_int_equal(val(t, "suspensions_after", 0), 0);
	assert_int_equal(val(t, "attainment_children", 0), 2);
	assert_int_equal(val(t, "below_expected_before", 0), 1);
	assert_int_equal(val(t, "below_expected_after", 0), 1);
	/* Dev's later snapshot on his referral day counts as "after" */
	fix_exec(DB(state), "UPDATE pupil_snapshots SET extract_date = '2025-10-01'"
		 " WHERE pupil_id = 4 AND extract_date = '2025-09-20'");
	t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "attendance_children", 0), 3);
	/* (800 + 750 + 600) / 3 = 716.67 → 717; (950 + 900 + 700) / 3 = 850 */
	assert_int_equal(val(t, "attendance_before", 0), 717);
	assert_int_equal(val(t, "attendance_after", 0), 850);
	arena_free(&a);
}

static void test_destinations(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = year2025();
	struct rtable *t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "destinations", 0), 2);
	assert_int_equal(val(t, "destination_employment", 0), 1);
	assert_int_equal(val(t, "destination_education", 0), 0);
	assert_int_equal(val(t, "destination_neet", 0), 1);
	assert_int_equal(val(t, "destination_training", 0), 0);
	/* Aisha on two closed cases in the period still counts once */
	fix_exec(DB(state), "UPDATE cases SET closed_on = '2025-04-02' WHERE id = 4");
	t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "cases_closed", 0), 6);
	assert_int_equal(val(t, "destinations", 0), 2);
	assert_int_equal(val(t, "destination_employment", 0), 1);
	arena_free(&a);
}

static void test_filters(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = year2025();
	f.school_id = SCHOOL_A;
	struct rtable *t = outcomes(state, &f, &a);
	/* C1 and HF1 */
	assert_int_equal(val(t, "cases_closed", 0), 2);
	assert_int_equal(val(t, "stabilised", 0), 1);
	assert_int_equal(val(t, "attendance_children", 0), 2);
	assert_int_equal(val(t, "destinations", 0), 1);
	assert_int_equal(val(t, "destination_employment", 0), 1);
	/* school B is the only primary: C2 and HF2; Dev's NEET */
	f = year2025();
	snprintf(f.phase, sizeof f.phase, "primary");
	t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "cases_closed", 0), 2);
	assert_int_equal(val(t, "stabilised", 0), 1);
	assert_int_equal(val(t, "attendance_children", 0), 0);
	assert_int_equal(val(t, "attendance_before", 0), RC_NONE);
	assert_int_equal(val(t, "destination_neet", 0), 1);
	assert_int_equal(val(t, "destination_employment", 0), 0);
	/* school C: nothing */
	f = year2025();
	f.school_id = SCHOOL_C;
	t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "cases_closed", 0), 0);
	arena_free(&a);
}

static void test_small_base(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = year2025();
	f.suppress = true;
	struct rtable *t = outcomes(state, &f, &a);
	/* counts keep their values (the printer hides 1–4) … */
	assert_int_equal(val(t, "cases_closed", 0), 5);
	assert_int_equal(val(t, "attendance_children", 0), 2);
	/* … averages and shares from fewer than 5 are not worked out */
	assert_int_equal(val(t, "stabilised_share", 0), 400);
	assert_int_equal(val(t, "attendance_before", 0), RC_SMALL_BASE);
	assert_int_equal(val(t, "attendance_after", 0), RC_SMALL_BASE);
	f.school_id = SCHOOL_A;
	t = outcomes(state, &f, &a);
	assert_int_equal(val(t, "stabilised_share", 0), RC_SMALL_BASE);
	arena_free(&a);
}

static void test_distance(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = year2025();
	struct rtable *t = NULL;
	assert_int_equal(report_distance(DB(state), &a, &f, &t), HE_OK);
	assert_string_equal(t->id, "distance");
	assert_int_equal(t->ncols, 3);
	/* C1 and C2 (C3 has one assessment) */
	assert_int_equal(t->nrows, 3);
	assert_string_equal(t->rows[0].key, "cases");
	assert_int_equal(val(t, "cases", 0), 2);
	/* the partnership's order: health (1) before housing (14) */
	assert_string_equal(t->rows[1].key, "domain_health");
	assert_string_equal(t->rows[2].key, "domain_housing");
	/* health: (4 + 5) / 2 → (7 + 6) / 2, change (3 + 1) / 2 */
	assert_int_equal(val(t, "domain_health", 0), 45);
	assert_int_equal(val(t, "domain_health", 1), 65);
	assert_int_equal(val(t, "domain_health", 2), 20);
	/* housing: (3 + 8) / 2 → (6 + 7) / 2, change (3 − 1) / 2 */
	assert_int_equal(val(t, "domain_housing", 0), 55);
	assert_int_equal(val(t, "domain_housing", 1), 65);
	assert_int_equal(val(t, "domain_housing", 2), 10);
	/* learning was scored only at C2's first assessment: no row */
	assert_null(rtable_find(t, "domain_learning"));
	/* C1 alone (school A): a fall rounds away from zero */
	fix_exec(DB(state), "UPDATE assessment_scores SET score = 2 WHERE assessment_id = 3"
		 " AND domain_code = 'housing'");
	f.school_id = SCHOOL_A;
	assert_int_equal(report_distance(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(val(t, "cases", 0), 1);
	assert_int_equal(val(t, "domain_housing", 2), -10);
	/* the viewer: an average from one case is not worked out */
	f.suppress = true;
	assert_int_equal(report_distance(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(val(t, "domain_health", 0), RC_SMALL_BASE);
	assert_int_equal(val(t, "cases", 0), 1);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term_start),
		cmocka_unit_test_setup_teardown(test_cases_and_stabilised, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_six_months, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_before_after, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_destinations, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_small_base, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_distance, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
