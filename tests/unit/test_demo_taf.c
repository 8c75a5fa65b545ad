/* test_demo_taf.c — unit tests for src/core/demo_taf.c on a demo
 * partnership with a small census (1,500 pupils) and the case demo: the
 * directory (12 agencies, 30 professionals, Grace Mensah linked to the
 * demo agency user), every open case of Sam Whitfield with an initial
 * assessment and a plan that includes the family's own commitment, plans
 * with family, worker and agency actions, reviews with re-assessments
 * that mostly improve, TAF meetings coming up with Grace invited, the
 * chronology and audit written through the core (the chain intact), the
 * joint audit finding something under every check, the same result for
 * the same seed, nothing added by a second run, and quick.  SQLite, or
 * PostgreSQL with HEARTH_TEST_PG (testdb.h; determinism is per backend). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "core/demo_taf.h"
#include "core/jointaudit.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define PUPILS 1500

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "test demo taf", .ip = NULL,
};

static int64_t one(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t v = db_next(st) ? db_int(st, 0) : -1;
	int rc = db_finalize(st);
	if (rc)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

static double seed_all(struct db *db, hday today)
{
	assert_int_equal(demo_seed(db, &who, DEMO_SEED, NULL), HE_OK);
	assert_int_equal(demo_seed_pupils(db, &who, DEMO_SEED, PUPILS, NULL), HE_OK);
	assert_int_equal(demo_seed_cases(db, &who, DEMO_SEED, today, NULL), HE_OK);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = demo_seed_taf(db, &who, DEMO_SEED, today, stderr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(rc, HE_OK);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* The group's database: the demo seeded once (testdb_group_setup); the
 * seeding time is printed, not judged: speed is for make bench. */
static void seed_group(struct db *db)
{
	print_message("    seeded in %.1f s (%s)\n", seed_all(db, date_today()), testdb_backend());
}

static int seeded_setup(void **state)
{
	return testdb_group_setup(state, seed_group);
}

static void test_directory_and_plans(void **state)
{
	struct db *db = DB(state);
	/* the directory, and Grace signs in as the demo agency user */
	assert_int_equal(one(db, "SELECT count(*) FROM agencies"), 12);
	assert_int_equal(one(db, "SELECT count(*) FROM professionals"), 30);
	assert_int_equal(one(db, "SELECT count(*) FROM professionals p JOIN users u ON u.id ="
			     " p.user_id WHERE p.name = 'Grace Mensah' AND u.email ="
			     " 'agency@hearth.example' AND u.role = 'agency'"
			     " AND p.role = 'Education welfare officer'"), 1);
	/* every open case of Sam's has an initial assessment and a plan with
	 * the family's own commitment */
	const char *sam = "(SELECT w.id FROM workers w JOIN users u ON u.id = w.user_id"
			  " WHERE u.email = 'worker@hearth.example')";
	struct buf q;
	buf_init(&q, 0);
	buf_printf(&q, "SELECT count(*) FROM cases c WHERE c.status = 'open' AND c.worker_id = %s", sam);
	int64_t open = one(db, buf_str(&q));
	assert_true(open >= 10);
	buf_reset(&q);
	buf_printf(&q, "SELECT count(*) FROM cases c WHERE c.status = 'open' AND c.worker_id = %s"
		   " AND EXISTS (SELECT 1 FROM assessments a WHERE a.case_id = c.id AND a.kind ="
		   " 'initial') AND EXISTS (SELECT 1 FROM plan_actions p WHERE p.case_id = c.id"
		   " AND p.owner_kind = 'family')", sam);
	assert_int_equal(one(db, buf_str(&q)), open);
	buf_free(&q);
	/* the demo obeys the consent scopes: no health professional is invited
	 * or given an action for a family that did not agree to share with
	 * health services (some agreed to agencies but not health) */
	assert_true(one(db, "SELECT count(*) FROM families f WHERE EXISTS (SELECT 1 FROM consents k"
		" WHERE k.family_id = f.id AND k.basis = 'consent' AND k.withdrawn_on IS NULL AND"
		" ',' || k.scope || ',' LIKE '%,agencies,%') AND NOT EXISTS (SELECT 1 FROM consents k"
		" WHERE k.family_id = f.id AND (k.basis <> 'consent' OR ',' || k.scope || ','"
		" LIKE '%,health,%'))") >= 1);
	assert_int_equal(one(db, "SELECT count(*) FROM plan_actions pa JOIN cases c ON c.id = pa.case_id"
		" JOIN professionals p ON p.id = pa.owner_professional_id JOIN agencies ag ON"
		" ag.id = p.agency_id WHERE ag.kind IN ('school_nursing','camhs','health_visiting') AND"
		" NOT EXISTS (SELECT 1 FROM consents k WHERE k.family_id = c.family_id AND"
		" (k.basis <> 'consent' OR ',' || k.scope || ',' LIKE '%,health,%'))"), 0);
	assert_int_equal(one(db, "SELECT count(*) FROM taf_invitees i JOIN taf_meetings m ON"
		" m.id = i.meeting_id JOIN cases c ON c.id = m.case_id JOIN professionals p ON"
		" p.id = i.professional_id JOIN agencies ag ON ag.id = p.agency_id WHERE ag.kind IN"
		" ('school_nursing','camhs','health_visiting') AND NOT EXISTS (SELECT 1 FROM consents k"
		" WHERE k.family_id = c.family_id AND (k.basis <> 'consent' OR ',' || k.scope || ','"
		" LIKE '%,health,%'))"), 0);
	/* plans mix the three kinds of owner, within one case too */
	assert_true(one(db, "SELECT count(*) FROM cases c WHERE (SELECT count(DISTINCT owner_kind)"
			" FROM plan_actions p WHERE p.case_id = c.id) = 3") >= 3);
	/* every assessment scored every domain */
	assert_int_equal(one(db, "SELECT count(*) FROM assessments a WHERE (SELECT count(*) FROM"
			     " assessment_scores s WHERE s.assessment_id = a.id) <> 16"), 0);
	/* reviews re-assess, and scores mostly improve (first vs latest) */
	assert_true(one(db, "SELECT count(*) FROM reviews") >= 10);
	assert_int_equal(one(db, "SELECT count(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM"
			     " assessments a WHERE a.review_id = r.id)"), 0);
	int64_t up = one(db, "SELECT count(*) FROM assessment_scores l JOIN assessments la ON"
		" la.id = l.assessment_id JOIN assessments fa ON fa.case_id = la.case_id AND"
		" fa.kind = 'initial' JOIN assessment_scores f ON f.assessment_id = fa.id AND"
		" f.domain_code = l.domain_code WHERE la.id = (SELECT max(id) FROM assessments x"
		" WHERE x.case_id = la.case_id) AND la.kind = 'review' AND l.score > f.score");
	int64_t down = one(db, "SELECT count(*) FROM assessment_scores l JOIN assessments la ON"
		" la.id = l.assessment_id JOIN assessments fa ON fa.case_id = la.case_id AND"
		" fa.kind = 'initial' JOIN assessment_scores f ON f.assessment_id = fa.id AND"
		" f.domain_code = l.domain_code WHERE la.id = (SELECT max(id) FROM assessments x"
		" WHERE x.case_id = la.case_id) AND la.kind = 'review' AND l.score < f.score");
	assert_true(up > 3 * down);
	/* meetings coming up in the next fortnight, Grace invited to some */
	assert_true(one(db, "SELECT count(*) FROM taf_meetings WHERE status = 'scheduled'") >= 3);
	assert_true(one(db, "SELECT count(*) FROM taf_invitees i JOIN professionals p ON p.id ="
			" i.professional_id JOIN taf_meetings m ON m.id = i.meeting_id WHERE"
			" p.name = 'Grace Mensah' AND m.status = 'scheduled'") >= 1);
	assert_true(one(db, "SELECT count(*) FROM plan_actions a JOIN professionals p ON p.id ="
			" a.owner_professional_id WHERE p.name = 'Grace Mensah'") >= 2);
	/* written through the core: chronology and audit, chain intact */
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'assessed'") >= open);
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'action_agreed'") >= open);
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'reviewed'") >= 10);
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'meeting_scheduled'") >= 3);
	assert_true(one(db, "SELECT count(*) FROM audit_log WHERE entity = 'agencies'") >= 12);
	int64_t rows, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	assert_int_equal(audit_verify(db, &rows, &bad, &msg), HE_OK);
	buf_free(&msg);
	/* a second run adds nothing */
	int64_t actions = one(db, "SELECT count(*) FROM plan_actions");
	assert_int_equal(demo_seed_taf(db, &who, DEMO_SEED, date_today(), NULL), HE_OK);
	assert_int_equal(one(db, "SELECT count(*) FROM plan_actions"), actions);
	assert_int_equal(one(db, "SELECT count(*) FROM agencies"), 12);
}

/* The deliberate duplicates give the joint audit a finding under each check. */
static void test_joint_audit_findings(void **state)
{
	struct db *db = DB(state);
	struct scope s;
	scope_system(&who, &s);
	s.caps = caps_for_role(ROLE_COORDINATOR);
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	assert_int_equal(jointaudit_run(db, &a, &s, date_today(), 0, false, &ja, &e), HE_OK);
	for (int k = 0; k < JA_NCHECKS; k++)
		if (ja.count[k] < 1)
			fail_msg("no finding under %s", jointaudit_checks[k].code);
	assert_true(ja.n <= 12);   /* a few, not a flood */
	arena_free(&a);
}

/* The same seed gives the same directory, assessments and plans: a second
 * database seeded the same way matches the group's. */
static void test_deterministic(void **state)
{
	hday today = date_today();
	struct testdb *b = testdb_new_migrated();
	assert_non_null(b);
	seed_all(b->db, today);
	static const char *const sql =
		"SELECT p.case_id || '|' || p.description || '|' || p.need || '|' || p.owner_kind"
		" || '|' || p.status FROM plan_actions p ORDER BY p.id";
	struct buf x, y;
	buf_init(&x, 0);
	buf_init(&y, 0);
	struct db_stmt *st = db_prepare(DB(state), sql);
	while (db_next(st))
		buf_printf(&x, "%s\n", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	st = db_prepare(b->db, sql);
	while (db_next(st))
		buf_printf(&y, "%s\n", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	assert_true(x.len > 5000);
	assert_string_equal(buf_str(&x), buf_str(&y));
	assert_int_equal(one(DB(state), "SELECT sum(score * position) FROM assessment_scores"),
			 one(b->db, "SELECT sum(score * position) FROM assessment_scores"));
	buf_free(&x);
	buf_free(&y);
	testdb_free(b);
}

/* No open cases (not the demo partnership): the directory only. */
static void test_no_cases(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(demo_seed_taf(db, &who, DEMO_SEED, date_today(), NULL), HE_OK);
	assert_int_equal(one(db, "SELECT count(*) FROM agencies"), 12);
	assert_int_equal(one(db, "SELECT count(*) FROM plan_actions"), 0);
	assert_int_equal(one(db, "SELECT count(*) FROM professionals WHERE user_id IS NOT NULL"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* these three read the group's seeded database */
		cmocka_unit_test(test_directory_and_plans),
		cmocka_unit_test(test_joint_audit_findings),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test_setup_teardown(test_no_cases, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, seeded_setup, testdb_group_teardown);
}
