/* test_report_summary.c — the per-case summaries the reports read
 * (migrations/0013: case_scores, each case's first and latest assessment
 * scores by domain; distance_days, their sums by closing day) always equal
 * what the assessments say, whoever writes them: after each of a long
 * random sequence of plain SQL inserts, changes and deletions of
 * assessments, scores and cases (the triggers), both tables are compared
 * with the same figures worked out from the scores.  And the distance
 * travelled report read from distance_days (no filter) gives exactly the
 * table the scores give (the filtered path, with every case in the
 * filter's school), for several periods.  Runs on SQLite, and on
 * PostgreSQL with HEARTH_TEST_PG. */
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
#define NCASES 10

/* Each case's pairs worked out from the scores (what case_scores holds). */
#define PAIRS_SQL \
	"SELECT c.id AS case_id, f.domain_code AS domain_code, f.score AS first_score," \
	" l.score AS latest_score, CASE WHEN c.status = 'closed' THEN c.closed_on END AS closed_on" \
	" FROM cases c" \
	" JOIN assessment_scores f ON f.assessment_id = (SELECT a1.id FROM assessments a1" \
	"  WHERE a1.case_id = c.id ORDER BY a1.assessed_on, a1.id LIMIT 1)" \
	" JOIN assessment_scores l ON l.assessment_id = (SELECT a2.id FROM assessments a2" \
	"  WHERE a2.case_id = c.id ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)" \
	"  AND l.domain_code = f.domain_code" \
	" WHERE f.assessment_id <> l.assessment_id"

#define KEPT_SQL \
	"SELECT case_id, domain_code, first_score, latest_score, closed_on FROM case_scores"

/* Rows in one and not the other (0 when right). */
static const char pairs_wrong_sql[] =
	"SELECT (SELECT count(*) FROM (" PAIRS_SQL " EXCEPT " KEPT_SQL ") x)"
	" + (SELECT count(*) FROM (" KEPT_SQL " EXCEPT " PAIRS_SQL ") y)";

/* Cases whose lead is not exactly their smallest domain's row. */
static const char lead_wrong_sql[] =
	"SELECT count(*) FROM case_scores s WHERE s.lead <> CASE WHEN s.domain_code ="
	" (SELECT min(s2.domain_code) FROM case_scores s2 WHERE s2.case_id = s.case_id)"
	" THEN 1 ELSE 0 END";

#define SUMS_SQL \
	"SELECT closed_on, domain_code, count(*) AS pairs, sum(first_score) AS first_sum," \
	" sum(latest_score) AS latest_sum, sum(lead) AS cases FROM case_scores" \
	" WHERE closed_on IS NOT NULL GROUP BY closed_on, domain_code"
#define DAYS_SQL \
	"SELECT closed_on, domain_code, pairs, first_sum, latest_sum, cases FROM distance_days" \
	" WHERE pairs <> 0 OR first_sum <> 0 OR latest_sum <> 0 OR cases <> 0"

static const char days_wrong_sql[] =
	"SELECT (SELECT count(*) FROM (" SUMS_SQL " EXCEPT " DAYS_SQL ") x)"
	" + (SELECT count(*) FROM (" DAYS_SQL " EXCEPT " SUMS_SQL ") y)";


/* xorshift: the same sequence on every run and backend */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static const char *const domains[] = {"health", "learning", "housing", "safety", "identity"};
#define NDOMAINS (sizeof domains / sizeof domains[0])

static void random_day(uint32_t *x, char out[11])
{
	date_format(date_from_ymd(2024, 1, 1) + (hday)(rnd(x) % 900), out);
}

/* Families, referrals from school A and open cases 1..NCASES. */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		 " (1, 'Sam', 'Pool', 'family_support', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')");
	for (int i = 1; i <= NCASES; i++) {
		fix_sqlf(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		     " (%d, 'F-%06d', 'Family', 'x', 'x')", i, i);
		fix_sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		     " needs, reason, status, received_at) VALUES (%d, 'R-%06d', %d, 'school', %d, 2,"
		     " 'attendance', 'Worried', 'accepted', '2024-01-01T10:00:00Z')", i, i, i, SCHOOL_A);
		fix_sqlf(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status,"
		     " opened_on, created_at, updated_at) VALUES (%d, 'C-%06d', %d, %d, 1, 'open',"
		     " '2024-01-02', 'x', 'x')", i, i, i, i);
	}
	return 0;
}

static int next_assessment = 1;

/* A new assessment of a random case with scores in some domains. */
static void add_assessment(struct db *db, uint32_t *x)
{
	char on[11];
	random_day(x, on);
	int id = next_assessment++;
	fix_sqlf(db, "INSERT INTO assessments (id, case_id, assessed_on, kind, agreed_with, recorded_at)"
	     " VALUES (%d, %u, '%s', 'review', 'Mum', 'x')", id, 1 + rnd(x) % NCASES, on);
	for (size_t k = 0; k < NDOMAINS; k++)
		if (rnd(x) % 4)
			fix_sqlf(db, "INSERT INTO assessment_scores (assessment_id, position, domain_code,"
			     " domain_title, side, score) VALUES (%d, %zu, '%s', 'T', 'child', %u)",
			     id, k + 1, domains[k], 1 + rnd(x) % 10);
}

/* The assessment at or after a random id (0: none). */
static int64_t some_assessment(struct db *db, uint32_t *x)
{
	return fix_int(db, "SELECT coalesce(min(id), 0) FROM assessments WHERE id >= :id",
		       1 + rnd(x) % (uint32_t)next_assessment);
}

static void change_assessment(struct db *db, uint32_t *x)
{
	int64_t id = some_assessment(db, x);
	char on[11];
	random_day(x, on);
	if (rnd(x) % 2)
		fix_sqlf(db, "UPDATE assessments SET assessed_on = '%s' WHERE id = %lld", on, (long long)id);
	else
		fix_sqlf(db, "UPDATE assessments SET case_id = %u WHERE id = %lld", 1 + rnd(x) % NCASES,
		     (long long)id);
}

static void delete_assessment(struct db *db, uint32_t *x)
{
	int64_t id = some_assessment(db, x);
	fix_sqlf(db, "DELETE FROM assessment_scores WHERE assessment_id = %lld", (long long)id);
	fix_sqlf(db, "DELETE FROM assessments WHERE id = %lld", (long long)id);
}

/* Change, add or remove one score. */
static void change_score(struct db *db, uint32_t *x)
{
	int64_t id = some_assessment(db, x);
	const char *code = domains[rnd(x) % NDOMAINS];
	uint32_t r = rnd(x) % 4;
	if (r == 0)
		fix_sqlf(db, "DELETE FROM assessment_scores WHERE assessment_id = %lld AND domain_code = '%s'",
		     (long long)id, code);
	else if (r == 1 && id && fix_int(db, "SELECT count(*) FROM assessment_scores WHERE"
					 " assessment_id = :id", id) < (int64_t)NDOMAINS)
		fix_sqlf(db, "INSERT INTO assessment_scores (assessment_id, position, domain_code,"
		     " domain_title, side, score) SELECT %lld, 9, d.code, 'T', 'child', 5 FROM"
		     " assessment_domains d WHERE d.code IN ('health', 'learning', 'housing', 'safety',"
		     " 'identity') AND d.code NOT IN (SELECT s.domain_code FROM assessment_scores s"
		     " WHERE s.assessment_id = %lld) ORDER BY d.code LIMIT 1",
		     (long long)id, (long long)id);
	else
		fix_sqlf(db, "UPDATE assessment_scores SET score = %u WHERE assessment_id = %lld"
		     " AND domain_code = '%s'", 1 + rnd(x) % 10, (long long)id, code);
}

/* Close, reopen, or move a case's closing day. */
static void change_case(struct db *db, uint32_t *x)
{
	unsigned c = 1 + rnd(x) % NCASES;
	char on[11];
	random_day(x, on);
	if (rnd(x) % 3 == 0)
		fix_sqlf(db, "UPDATE cases SET status = 'open', closed_on = NULL, closure_reason = NULL"
		     " WHERE id = %u", c);
	else
		fix_sqlf(db, "UPDATE cases SET status = 'closed', closed_on = '%s',"
		     " closure_reason = 'outcomes_met' WHERE id = %u", on, c);
}

static void check(struct db *db, int step)
{
	if (testdb_int(db, pairs_wrong_sql) != 0)
		fail_msg("after write %d case_scores differs from the scores", step);
	if (testdb_int(db, lead_wrong_sql) != 0)
		fail_msg("after write %d a case's lead row is wrong", step);
	if (testdb_int(db, days_wrong_sql) != 0)
		fail_msg("after write %d distance_days differs from case_scores", step);
}

/* The report from distance_days (no filter) and from the scores (school A,
 * which referred every case) are the same table. */
static void same_report(struct db *db, const char *from, const char *to)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = {0};
	assert_true(date_parse(from, &f.from));
	assert_true(date_parse(to, &f.to));
	struct rtable *fast = NULL, *slow = NULL;
	assert_int_equal(report_distance(db, &a, &f, &fast), HE_OK);
	f.school_id = SCHOOL_A;
	assert_int_equal(report_distance(db, &a, &f, &slow), HE_OK);
	assert_int_equal(fast->nrows, slow->nrows);
	for (size_t r = 0; r < fast->nrows; r++) {
		assert_string_equal(fast->rows[r].key, slow->rows[r].key);
		assert_string_equal(fast->rows[r].label, slow->rows[r].label);
		for (size_t c = 0; c < fast->ncols; c++)
			assert_int_equal(fast->rows[r].v[c], slow->rows[r].v[c]);
	}
	arena_free(&a);
}

static void test_random_writes(void **state)
{
	struct db *db = DB(state);
	uint32_t x = 20250401;
	int64_t closed_pairs = 0;
	(void)fix_scope;
	next_assessment = 1;
	for (int step = 0; step < 500; step++) {
		uint32_t r = rnd(&x) % 10;
		if (step < 60 || r < 3)
			add_assessment(db, &x);
		else if (r < 5)
			change_case(db, &x);
		else if (r < 7)
			change_score(db, &x);
		else if (r < 9)
			change_assessment(db, &x);
		else
			delete_assessment(db, &x);
		check(db, step);
		closed_pairs += testdb_int(db, "SELECT count(*) FROM case_scores"
					   " WHERE closed_on IS NOT NULL");
		if (step % 50 == 49) {
			same_report(db, "2024-01-01", "2026-12-31");
			same_report(db, "2024-04-01", "2025-03-31");
			same_report(db, "2025-02-10", "2025-02-20");
		}
	}
	assert_true(closed_pairs > 0);   /* the comparison was not of empty tables */
	/* days added to and taken from (a row left at zero) */
	assert_true(testdb_int(db, "SELECT count(*) FROM distance_days WHERE pairs > 0") > 0);
	assert_true(testdb_int(db, "SELECT count(*) FROM distance_days WHERE pairs = 0") > 0);
	/* one transaction's writes, rolled back */
	assert_int_equal(db_begin(db), HE_OK);
	add_assessment(db, &x);
	change_case(db, &x);
	db_rollback(db);
	check(db, -1);
}

/* A domain that is no longer in assessment_domains: the report reads the
 * scores for it (their title), whatever the filter. */
static void test_unknown_domain(void **state)
{
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO assessments (id, case_id, assessed_on, kind, agreed_with,"
		 " recorded_at) VALUES (1, 1, '2024-02-01', 'initial', 'Mum', 'x'),"
		 " (2, 1, '2024-06-01', 'review', 'Mum', 'x')");
	fix_exec(db, "INSERT INTO assessment_scores (assessment_id, position, domain_code,"
		 " domain_title, side, score) VALUES (1, 1, 'health', 'Health', 'child', 3),"
		 " (2, 1, 'health', 'Health', 'child', 6),"
		 " (1, 0, 'zz_old', 'An old domain', 'child', 2),"
		 " (2, 0, 'zz_old', 'An old domain', 'child', 4)");
	fix_exec(db, "UPDATE cases SET status = 'closed', closed_on = '2024-07-01',"
		 " closure_reason = 'outcomes_met' WHERE id = 1");
	check(db, 0);
	same_report(db, "2024-04-01", "2025-03-31");
	struct arena a;
	arena_init(&a);
	struct report_filter f = {0};
	f.from = date_from_ymd(2024, 4, 1);
	f.to = date_from_ymd(2025, 3, 31);
	struct rtable *t = NULL;
	assert_int_equal(report_distance(db, &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 3);
	assert_string_equal(t->rows[1].key, "domain_zz_old");   /* its own position 0 first */
	assert_string_equal(t->rows[1].label, "An old domain");
	assert_int_equal(t->rows[1].v[2], 20);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_writes, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_domain, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
