/* test_demo_cases.c — unit tests for src/core/demo_cases.c on a demo
 * partnership with a small census (1,500 pupils): the pool and its
 * cases are seeded through the core functions and come out as the demo
 * promises (two dozen workers, Sam Whitfield linked and leading about a
 * dozen open cases with one review overdue and visits this week, a
 * covered colleague; the demo school's referrals in every state; a few
 * waiting; contact durations and case lengths in range; chronology and
 * audit written, the audit chain intact), the same for the same seed, a
 * second run adds nothing, and it is quick.  SQLite, or PostgreSQL with
 * HEARTH_TEST_PG (testdb.h).  (The census import numbers pupils in its
 * own order on each backend, so the two backends draw different families:
 * determinism is per backend.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define PUPILS 1500

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "test demo cases", .ip = NULL,
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

/* A digest of everything seeded that does not depend on the clock. */
static void digest(struct db *db, struct buf *out)
{
	static const char *const sql[] = {
		"SELECT ref || '|' || status || '|' || needs || '|' || reason || '|' ||"
		" coalesce(signposted_to, '') FROM referrals ORDER BY id",
		"SELECT ref || '|' || worker_id || '|' || status || '|' || opened_on || '|' ||"
		" coalesce(closed_on, '') || coalesce(closure_reason, '') FROM cases ORDER BY id",
		"SELECT case_id || '|' || at || '|' || kind || '|' || duration_min || '|' || notes"
		" FROM contacts ORDER BY id",
		"SELECT name || '|' || employer || '|' || skills FROM workers ORDER BY id",
	};
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		struct db_stmt *st = db_prepare(db, sql[i]);
		while (db_next(st))
			buf_printf(out, "%s\n", db_text(st, 0));
		assert_int_equal(db_finalize(st), HE_OK);
	}
}

static double seed_all(struct db *db, hday today)
{
	assert_int_equal(demo_seed(db, &who, DEMO_SEED, NULL), HE_OK);
	assert_int_equal(demo_seed_pupils(db, &who, DEMO_SEED, PUPILS, NULL), HE_OK);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = demo_seed_cases(db, &who, DEMO_SEED, today, stderr);
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

static void test_demo_cases(void **state)
{
	struct db *db = DB(state);
	hday today = date_today();

	assert_int_equal(one(db, "SELECT count(*) FROM workers"), 24);
	/* the default maximum caseload, set through the coordinator's function:
	 * in force, audited once, and no allocation needed an override */
	assert_int_equal(one(db, "SELECT count(*) FROM settings WHERE key = 'case.max_caseload'"
			     " AND value = '16'"), 1);
	assert_int_equal(one(db, "SELECT count(*) FROM audit_log WHERE entity = 'settings' AND"
			     " entity_id = 'caseload' AND summary = 'Default maximum caseload:"
			     " 18 → 16 standard cases'"), 1);
	assert_int_equal(one(db, "SELECT count(*) FROM cases WHERE over_capacity = 1"), 0);
	assert_int_equal(one(db, "SELECT count(*) FROM workers w JOIN users u ON u.id = w.user_id"
			     " WHERE u.email = 'worker@hearth.example' AND w.name = 'Sam Whitfield'"), 1);
	int64_t refs = one(db, "SELECT count(*) FROM referrals");
	assert_true(refs >= 380 && refs <= 420);
	/* Sam: a dozen open cases, one review overdue, visits this week, a colleague covered */
	assert_int_equal(one(db, "SELECT count(*) FROM cases c JOIN workers w ON w.id = c.worker_id"
			     " WHERE w.name = 'Sam Whitfield' AND c.status = 'open'"), 12);
	assert_int_equal(one(db, "SELECT count(*) FROM cases c JOIN workers w ON w.id = c.worker_id"
			     " WHERE w.name = 'Sam Whitfield' AND c.status = 'open'"
			     " AND c.next_review_on < CAST(current_date AS TEXT)"), 1);
	assert_true(one(db, "SELECT count(*) FROM contacts k JOIN cases c ON c.id = k.case_id"
			" JOIN workers w ON w.id = c.worker_id WHERE w.name = 'Sam Whitfield'"
			" AND k.planned = 1 AND k.at >= CAST(current_date AS TEXT)") >= 5);
	assert_int_equal(one(db, "SELECT count(*) FROM worker_covers v JOIN workers w ON w.id ="
			     " v.worker_id WHERE w.name = 'Sam Whitfield' AND v.starts_on <="
			     " CAST(current_date AS TEXT) AND v.ends_on >= CAST(current_date AS TEXT)"), 1);
	/* Save pressed twice on Sam's cover, and on a member and a professional
	 * of his first family: one of each, the repeats audited as such */
	assert_int_equal(one(db, "SELECT count(*) FROM family_members WHERE name = 'Margaret Doyle'"), 1);
	assert_int_equal(one(db, "SELECT count(*) FROM family_professionals WHERE name = 'Nadia Hussain'"
			     " AND idem_key = 'demo-professional-1'"), 1);
	assert_int_equal(one(db, "SELECT count(*) FROM worker_covers WHERE idem_key IS NOT NULL"), 2);
	assert_int_equal(one(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
			     " AND summary LIKE 'repeated submission%'"), 3);
	/* the demo school: every state a referral can be decided into, and waiting */
	static const char *const states[] = {"received", "accepted", "signposted", "declined",
		"stepped_up"};
	char sql[512];
	for (size_t i = 0; i < 5; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM referrals r JOIN schools s ON"
			 " s.id = r.school_id WHERE s.urn = '" DEMO_SCHOOL_URN "' AND r.status = '%s'",
			 states[i]);
		if (one(db, sql) < 1)
			fail_msg("the demo school has no %s referral", states[i]);
	}
	assert_true(one(db, "SELECT count(*) FROM cases c JOIN referrals r ON r.id = c.referral_id"
			" JOIN schools s ON s.id = r.school_id WHERE s.urn = '" DEMO_SCHOOL_URN "'"
			" AND c.status = 'closed'") >= 1);
	int64_t waiting = one(db, "SELECT count(*) FROM referrals WHERE status = 'received'");
	assert_true(waiting >= 3 && waiting <= 20);
	/* every outcome, in plausible proportions */
	assert_true(one(db, "SELECT count(*) FROM cases") > refs * 6 / 10);
	assert_true(one(db, "SELECT count(*) FROM cases WHERE status = 'stepped_up'") >= 1);
	/* a step-up without the family's social care consent records its
	 * lawful basis (case_step_up): a safeguarding row for social care */
	assert_true(one(db, "SELECT count(*) FROM cases c JOIN consents k ON k.family_id = c.family_id"
		" WHERE c.status = 'stepped_up' AND k.basis = 'safeguarding' AND k.scope = 'social_care'"
		" AND k.lawful_basis_note <> ''") >= 1);
	/* and every stepped-up family has a basis for sharing with social care */
	assert_int_equal(one(db, "SELECT count(*) FROM cases c WHERE c.status = 'stepped_up'"
		" AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.family_id = c.family_id AND"
		" (k.basis <> 'consent' OR ',' || k.scope || ',' LIKE '%,social_care,%'))"), 0);
	assert_true(one(db, "SELECT count(*) FROM referrals WHERE source = 'step_down'") >= 1);
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'transferred'") >= 5);
	assert_true(one(db, "SELECT count(*) FROM school_notices") >= 1);
	/* contacts 15–90 minutes; closed cases 3–9 months (+ a few days of screening) */
	assert_int_equal(one(db, "SELECT count(*) FROM contacts WHERE duration_min < 15"
			     " OR duration_min > 90"), 0);
	assert_true(one(db, "SELECT count(*) FROM contacts WHERE planned = 0") > 1000);
	struct db_stmt *st = db_prepare(db, "SELECT opened_on, closed_on FROM cases"
		" WHERE status = 'closed' AND closure_reason <> 'stepped_up'");
	while (db_next(st)) {
		hday a, b;
		assert_true(date_parse(db_text(st, 0), &a) && date_parse(db_text(st, 1), &b));
		if (b - a < 85 || b - a > 275)
			fail_msg("a case lasted %d days", (int)(b - a));
	}
	assert_int_equal(db_finalize(st), HE_OK);
	/* a closed case of a month or more has its initial assessment and a
	 * closing one on the day it closed (the distance travelled) */
	assert_true(one(db, "SELECT count(*) FROM cases WHERE status = 'closed'") >= 20);
	struct db_stmt *cl = db_prepare(db, "SELECT c.opened_on, c.closed_on, (SELECT count(*)"
		" FROM assessments a WHERE a.case_id = c.id AND (a.kind = 'initial' OR (a.kind ="
		" 'closing' AND a.assessed_on = c.closed_on))) FROM cases c WHERE c.status = 'closed'"
		" AND c.closure_reason <> 'stepped_up'");
	while (db_next(cl)) {
		hday opened, closed;
		assert_true(date_parse(db_text(cl, 0), &opened) && date_parse(db_text(cl, 1), &closed));
		if (closed - opened >= 45 && db_int(cl, 2) != 2)
			fail_msg("a case open %d days closed without its two assessments", closed - opened);
	}
	assert_int_equal(db_finalize(cl), HE_OK);
	assert_true(one(db, "SELECT count(*) FROM assessments a JOIN cases c ON c.id = a.case_id"
			" WHERE c.status = 'closed' AND a.kind = 'closing'") >= 20);
	/* the families whose outcomes were met mostly moved up */
	assert_true(one(db, "SELECT sum(l.score - f.score) FROM cases c"
			" JOIN assessments af ON af.case_id = c.id AND af.kind = 'initial'"
			" JOIN assessments al ON al.case_id = c.id AND al.kind = 'closing'"
			" JOIN assessment_scores f ON f.assessment_id = af.id"
			" JOIN assessment_scores l ON l.assessment_id = al.id AND l.domain_code = f.domain_code"
			" WHERE c.closure_reason = 'outcomes_met'") > 0);
	/* the families' homes: every referral gave an address and the census
	 * postcode; some a home language a pool worker speaks; the demo worker
	 * brought two families' details up to date (family_details_change) */
	assert_int_equal(one(db, "SELECT count(*) FROM families f WHERE f.address = '' AND EXISTS"
			     " (SELECT 1 FROM referrals r WHERE r.family_id = f.id AND r.source = 'school')"), 0);
	assert_true(one(db, "SELECT count(*) FROM families WHERE home_language <> 'English'") >= 10);
	assert_true(one(db, "SELECT count(*) FROM referrals r JOIN families f ON f.id = r.family_id"
			" WHERE r.status = 'received' AND EXISTS (SELECT 1 FROM workers w WHERE"
			" ',' || lower(w.languages) || ',' LIKE '%,' || lower(f.home_language) || ',%')") >= 1);
	assert_int_equal(one(db, "SELECT count(*) FROM family_details_history h JOIN users u"
			     " ON u.id = h.changed_by WHERE u.email = 'worker@hearth.example'"), 2);
	assert_int_equal(one(db, "SELECT count(*) FROM case_events WHERE kind = 'note' AND summary"
			     " LIKE 'Family details changed:%'"), 2);
	/* the chronology and the audit came from the core functions */
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'referred'") >= refs);
	assert_true(one(db, "SELECT count(*) FROM audit_log WHERE action = 'create'") > refs);
	int64_t rows, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	assert_int_equal(audit_verify(db, &rows, &bad, &msg), HE_OK);
	buf_free(&msg);

	/* A second run adds nothing. */
	int64_t contacts = one(db, "SELECT count(*) FROM contacts");
	assert_int_equal(demo_seed_cases(db, &who, DEMO_SEED, today, NULL), HE_OK);
	assert_int_equal(one(db, "SELECT count(*) FROM contacts"), contacts);
	assert_int_equal(one(db, "SELECT count(*) FROM workers"), 24);
}

/* The same seed gives the same pool, referrals, cases and contacts: a
 * second database seeded the same way matches the group's. */
static void test_deterministic(void **state)
{
	hday today = date_today();
	struct testdb *b = testdb_new_migrated();
	assert_non_null(b);
	seed_all(b->db, today);
	struct buf x, y;
	buf_init(&x, 0);
	buf_init(&y, 0);
	digest(DB(state), &x);
	digest(b->db, &y);
	assert_true(x.len > 100000);
	assert_string_equal(buf_str(&x), buf_str(&y));
	buf_free(&x);
	buf_free(&y);
	testdb_free(b);
}

/* Not the demo partnership: nothing. */
static void test_other_partnership(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(demo_seed_cases(db, &who, DEMO_SEED, date_today(), NULL), HE_OK);
	assert_int_equal(one(db, "SELECT count(*) FROM workers"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* these two read the group's seeded database (the first seeds it
		 * once more, which must add nothing) */
		cmocka_unit_test(test_demo_cases),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test_setup_teardown(test_other_partnership, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, seeded_setup, testdb_group_teardown);
}
