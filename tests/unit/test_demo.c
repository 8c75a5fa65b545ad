/* test_demo.c — unit tests for src/core/demo.c: the demo partnership has
 * 100 schools in 7 districts with a city's phase mix and well-formed URNs
 * and postcodes, is the same for the same seed, is audited, creates one
 * user per role who can sign in, seeds only once, leaves a database with
 * another partnership alone, and rolls back whole on failure.  Runs on
 * fresh databases with the real migrations: SQLite files, or PostgreSQL
 * databases when HEARTH_TEST_PG is set (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/auth.h"
#include "base/date.h"
#include "core/dataprot.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "core/demo_money.h"
#include "core/demo_taf.h"
#include "core/destination.h"
#include "core/history.h"
#include "core/survey.h"
#include "core/school.h"
#include "store/db.h"
#include "testdb.h"

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "cli demo",
};

static void seed_ok(struct db *db, uint32_t s);

/* The read-only tests share one database seeded with DEMO_SEED (seeding
 * hashes seven passwords with argon2id, which is deliberately slow). */
static int group_setup(void **state)
{
	if (testdb_setup(state))
		return -1;
	struct testdb *f = *state;
	seed_ok(f->db, DEMO_SEED);
	return 0;
}

static int64_t count(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return n;
}

static int64_t count_phase(struct db *db, const char *phase)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM schools WHERE phase = :p");
	db_bind_text(st, ":p", phase);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

/* Seed and capture the log. */
static int seed(struct db *db, uint32_t s, struct buf *log)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc = demo_seed(db, &who, s, m);
	fclose(m);
	buf_puts(log, text);
	free(text);
	return rc;
}

static void seed_ok(struct db *db, uint32_t s)
{
	struct buf log;
	buf_init(&log, 0);
	int rc = seed(db, s, &log);
	if (rc != HE_OK)
		fail_msg("demo_seed = %d: %s / %s", rc, buf_str(&log), db_errmsg(db));
	buf_free(&log);
}

/* Every school as one line "urn|name|phase|district|postcode", by URN. */
static void dump_schools(struct db *db, struct buf *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT s.urn, s.name, s.phase, d.name, s.postcode FROM schools s"
		" JOIN districts d ON d.id = s.district_id ORDER BY s.urn");
	while (db_next(st))
		buf_printf(out, "%s|%s|%s|%s|%s\n", db_text(st, 0), db_text(st, 1),
			   db_text(st, 2), db_text(st, 3), db_text(st, 4));
	assert_int_equal(db_finalize(st), HE_OK);
}

/* ---- the partnership ---------------------------------------------------- */

static void test_districts_and_phase_mix(void **state)
{
	struct testdb *f = *state;
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), DEMO_SCHOOLS);
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), DEMO_DISTRICTS);
	const char *names[] = {"City Centre", "North West", "North East", "East", "South",
		"West", "Braunstone & Rowley Fields"};
	for (int i = 0; i < 7; i++) {
		int64_t id;
		if (district_id_by_name(f->db, names[i], &id) != HE_OK)
			fail_msg("district %s missing", names[i]);
	}
	/* every district has a real share of the schools */
	assert_true(count(f->db, "SELECT min(n) FROM (SELECT count(*) AS n FROM schools"
			  " GROUP BY district_id) AS per_district") >= 8);
	assert_int_equal(count_phase(f->db, "primary"), 72);
	assert_int_equal(count_phase(f->db, "secondary"), 15);
	assert_int_equal(count_phase(f->db, "special"), 6);
	assert_int_equal(count_phase(f->db, "pru"), 2);
	assert_int_equal(count_phase(f->db, "all-through"), 2);
	assert_int_equal(count_phase(f->db, "nursery"), 2);
	assert_int_equal(count_phase(f->db, "college"), 1);
	assert_int_equal(count_phase(f->db, "middle"), 0);  /* Leicester has none */
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"
			       " WHERE name LIKE '% Infant School'"), 6);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"
			       " WHERE name LIKE '% Junior School'"), 6);
	assert_true(count(f->db, "SELECT count(*) FROM schools WHERE name LIKE '%CofE%'") >= 5);
	assert_true(count(f->db, "SELECT count(*) FROM schools WHERE name LIKE '%Catholic%'") >= 3);
	assert_true(count(f->db, "SELECT count(*) FROM schools WHERE name LIKE '%Academy%'") >= 10);
	assert_int_equal(count(f->db, "SELECT count(DISTINCT name) FROM schools"), DEMO_SCHOOLS);
}

static void test_anchor_school(void **state)
{
	struct testdb *f = *state;
	struct db_stmt *st = db_prepare(f->db,
		"SELECT s.name, s.phase, d.name FROM schools s"
		" JOIN districts d ON d.id = s.district_id WHERE s.urn = :urn");
	db_bind_text(st, ":urn", DEMO_SCHOOL_URN);
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), DEMO_SCHOOL_NAME);
	assert_string_equal(db_text(st, 1), "secondary");
	assert_string_equal(db_text(st, 2), DEMO_SCHOOL_DISTRICT);
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_urns_and_postcodes_well_formed(void **state)
{
	struct testdb *f = *state;
	assert_int_equal(count(f->db, "SELECT count(DISTINCT urn) FROM schools"), DEMO_SCHOOLS);
	struct db_stmt *st = db_prepare(f->db,
		"SELECT s.urn, s.postcode, d.name, s.name FROM schools s"
		" JOIN districts d ON d.id = s.district_id");
	int rows = 0;
	while (db_next(st)) {
		const char *urn = db_text(st, 0), *pc = db_text(st, 1), *d = db_text(st, 2);
		rows++;
		if (!urn_valid(urn) || atoi(urn) < 120000 || atoi(urn) > 145000)
			fail_msg("URN %s of %s out of range", urn, db_text(st, 3));
		if (!pc || !postcode_valid(pc) || strncmp(pc, "LE", 2) != 0 ||
		    pc[2] < '1' || pc[2] > '5' || pc[3] != ' ' || strlen(pc) != 7)
			fail_msg("postcode %s of %s not a Leicester-like LE1–LE5 one",
				 pc ? pc : "NULL", db_text(st, 3));
		if (strcmp(d, "City Centre") == 0 && strncmp(pc, "LE1 ", 4) != 0)
			fail_msg("City Centre school %s has postcode %s", db_text(st, 3), pc);
		if (strstr(db_text(st, 3), "Academy") && atoi(urn) < 136000)
			fail_msg("academy %s has a maintained school's URN %s", db_text(st, 3), urn);
	}
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(rows, DEMO_SCHOOLS);
}

static void test_deterministic(void **state)
{
	struct testdb *f = *state;
	struct testdb *ts = testdb_new_migrated(), *to = testdb_new_migrated();
	if (!ts || !to)
		fail_msg("cannot make two more databases");
	struct db *same = ts->db, *other = to->db;
	struct buf a, b, c;
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&c, 0);
	seed_ok(f->db, 12345);
	seed_ok(same, 12345);
	seed_ok(other, 12346);
	dump_schools(f->db, &a);
	dump_schools(same, &b);
	dump_schools(other, &c);
	assert_true(a.len > 1000);
	assert_string_equal(buf_str(&a), buf_str(&b));
	assert_string_not_equal(buf_str(&a), buf_str(&c));
	/* the fixed school and the phase mix do not depend on the seed */
	assert_non_null(strstr(buf_str(&c), DEMO_SCHOOL_URN "|" DEMO_SCHOOL_NAME "|secondary|"));
	assert_int_equal(count_phase(other, "primary"), 72);
	assert_int_equal(count_phase(other, "secondary"), 15);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	testdb_free(ts);
	testdb_free(to);
}

/* ---- users and audit ------------------------------------------------------ */

static void test_users_one_per_role(void **state)
{
	struct testdb *f = *state;
	assert_int_equal(count(f->db, "SELECT count(*) FROM users"), 7);
	assert_int_equal(count(f->db, "SELECT count(DISTINCT role) FROM users"), 7);
	for (int i = 0; i < DEMO_LOGINS; i++) {
		const struct demo_login *l = &demo_logins[i];
		char email[64];
		snprintf(email, sizeof email, "%s@hearth.example", l->role);
		assert_string_equal(l->email, email);
		struct db_stmt *st = db_prepare(f->db,
			"SELECT u.role, u.name, s.urn FROM users u"
			" LEFT JOIN schools s ON s.id = u.school_id WHERE u.email = :email");
		db_bind_text(st, ":email", email);
		if (!db_next(st))
			fail_msg("no demo user %s", email);
		assert_string_equal(db_text(st, 0), l->role);
		assert_string_equal(db_text(st, 1), l->name);
		if (strcmp(l->role, "school") == 0)
			assert_string_equal(db_text(st, 2), DEMO_SCHOOL_URN);
		else
			assert_null(db_text(st, 2));
		assert_int_equal(db_finalize(st), HE_OK);
	}
	assert_string_equal(demo_logins[0].name, "Priya Shah");
	assert_string_equal(demo_logins[5].name, "Cllr Tom Hughes");
}

static void test_school_user_signs_in(void **state)
{
	struct testdb *f = *state;
	struct arena a;
	struct session s;
	struct errinfo e = {0};
	char token[AUTH_TOKEN_HEX + 1];
	struct audit_who w = {.route = "POST /api/v1/session", .role = "none"};
	arena_init(&a);
	int rc = auth_login(f->db, &a, &w, "school@hearth.example", DEMO_PASSWORD, NULL,
			    &s, token, &e);
	if (rc)
		fail_msg("auth_login = %d: %s", rc, e.message);
	assert_int_equal(s.user.role, ROLE_SCHOOL);
	assert_string_equal(s.user.school_urn, DEMO_SCHOOL_URN);
	assert_string_equal(s.user.school_name, DEMO_SCHOOL_NAME);
	assert_string_equal(s.user.name, "Helen Okafor");
	rc = auth_login(f->db, &a, &w, "auditor@hearth.example", "not-the-password", NULL,
			&s, token, &e);
	assert_int_equal(rc, HE_AUTH_FAILED);
	arena_free(&a);
}

static void test_audited(void **state)
{
	struct testdb *f = *state;
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"
			       " WHERE action = 'create' AND entity = 'schools'"), DEMO_SCHOOLS);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"
			       " WHERE action = 'create' AND entity = 'districts'"), DEMO_DISTRICTS);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"
			       " WHERE action = 'create' AND entity = 'users'"), DEMO_LOGINS);
	/* each school's row names it by id, and was written as the caller */
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools s JOIN audit_log a"
			       " ON a.entity = 'schools' AND a.entity_id = CAST(s.id AS TEXT)"
			       " AND a.route = 'cli demo'"), DEMO_SCHOOLS);
	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	assert_int_equal(audit_verify(f->db, &rows, &bad, &msg), HE_OK);
	assert_int_equal(rows, count(f->db, "SELECT count(*) FROM audit_log"));
	assert_true(rows >= DEMO_SCHOOLS + DEMO_DISTRICTS + DEMO_LOGINS);
	buf_free(&msg);
}

/* ---- only once, only here, all or nothing ----------------------------- */

static void test_idempotent(void **state)
{
	struct testdb *f = *state;
	struct buf a, b, log;
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&log, 0);
	dump_schools(f->db, &a);
	int64_t audits = count(f->db, "SELECT count(*) FROM audit_log");
	assert_int_equal(seed(f->db, 999, &log), HE_OK);  /* even with another seed */
	assert_non_null(strstr(buf_str(&log), "demo partnership already present"));
	dump_schools(f->db, &b);
	assert_string_equal(buf_str(&a), buf_str(&b));
	assert_int_equal(count(f->db, "SELECT count(*) FROM users"), 7);
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), DEMO_DISTRICTS);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"), audits);
	buf_free(&a);
	buf_free(&b);
	buf_free(&log);
}

static void test_missing_demo_user_restored(void **state)
{
	struct testdb *f = *state;
	seed_ok(f->db, DEMO_SEED);
	assert_int_equal(db_exec(f->db, "DELETE FROM users WHERE email = 'viewer@hearth.example'"),
			 HE_OK);
	seed_ok(f->db, DEMO_SEED);
	assert_int_equal(count(f->db, "SELECT count(*) FROM users"), 7);
	assert_int_equal(count(f->db, "SELECT count(*) FROM users WHERE role = 'viewer'"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), DEMO_SCHOOLS);
}

static void test_other_partnership_left_alone(void **state)
{
	struct testdb *f = *state;
	int64_t id;
	struct errinfo e;
	struct buf log;
	buf_init(&log, 0);
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(district_ensure(f->db, "Central", &id), HE_OK);
	assert_int_equal(school_add(f->db, &who, "123456", "Real Town Primary School", "primary",
				    "Central", "NG1 1AA", NULL, &e), HE_OK);
	assert_int_equal(db_commit(f->db), HE_OK);
	assert_int_equal(seed(f->db, DEMO_SEED, &log), HE_OK);
	assert_non_null(strstr(buf_str(&log), "not the demo partnership"));
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM users"), 0);  /* no known passwords */
	buf_free(&log);
}

/* The demo's census extracts fall on the DfE's census days (the first
 * Thursday of October, the third of January and of May) over the two
 * years before today, at least a week old, oldest first. */
static void test_census_days(void **state)
{
	(void)state;
	hday d[DEMO_CENSUS_MAX];
	char s[11];
	static const char *const want[] = {"2025-01-16", "2025-05-15", "2025-10-02", "2026-01-15",
		"2026-05-21", "2026-10-01"};
	int n = demo_census_days(date_from_ymd(2026, 11, 23), d, DEMO_CENSUS_MAX);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++) {
		date_format(d[i], s);
		assert_string_equal(s, want[i]);
		assert_int_equal(date_weekday(d[i]), 3);
	}
	/* a census day less than a week old is not yet in */
	n = demo_census_days(date_from_ymd(2026, 10, 5), d, DEMO_CENSUS_MAX);
	date_format(d[n - 1], s);
	assert_string_equal(s, "2026-05-21");
}

static void test_failure_rolls_back(void **state)
{
	struct testdb *f = *state;
	struct buf log;
	buf_init(&log, 0);
	/* make the 51st school fail inside the seeding transaction (triggers
	 * are written differently on each backend) */
	assert_int_equal(db_exec(f->db, testdb_is_pg()
		? "CREATE FUNCTION fail_half() RETURNS trigger LANGUAGE plpgsql AS $$"
		  " BEGIN IF (SELECT count(*) FROM schools) >= 50 THEN"
		  " RAISE EXCEPTION 'test: disk on fire'; END IF; RETURN NEW; END $$;"
		  " CREATE TRIGGER fail_half BEFORE INSERT ON schools"
		  " FOR EACH ROW EXECUTE FUNCTION fail_half()"
		: "CREATE TRIGGER fail_half BEFORE INSERT ON schools"
		  " WHEN (SELECT count(*) FROM schools) >= 50"
		  " BEGIN SELECT RAISE(ABORT, 'test: disk on fire'); END;"), HE_OK);
	int rc = seed(f->db, DEMO_SEED, &log);
	assert_int_not_equal(rc, HE_OK);
	assert_non_null(strstr(buf_str(&log), "nothing seeded"));
	assert_false(db_in_transaction(f->db));
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM users"), 0);
	/* once the fault is gone, seeding works */
	assert_int_equal(db_exec(f->db, testdb_is_pg()
		? "DROP TRIGGER fail_half ON schools; DROP FUNCTION fail_half()"
		: "DROP TRIGGER fail_half"), HE_OK);
	buf_reset(&log);
	assert_int_equal(seed(f->db, DEMO_SEED, &log), HE_OK);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), DEMO_SCHOOLS);
	buf_free(&log);
}

static void test_refused_inside_transaction(void **state)
{
	struct testdb *f = *state;
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(demo_seed(f->db, &who, DEMO_SEED, NULL), HE_INTERNAL);
	db_rollback(f->db);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), 0);
}

/* `hearth demo --pupils 0`: every later seeding step copes with a city of
 * no pupils (the export register's subject access row named a pupil that
 * was not there, which PostgreSQL's check refused). */
static void test_no_pupils(void **state)
{
	struct testdb *f = *state;
	hday today = date_today();
	seed_ok(f->db, DEMO_SEED);
	int rc = demo_seed_pupils(f->db, &who, DEMO_SEED, 0, NULL);
	if (!rc)
		rc = demo_seed_cases(f->db, &who, DEMO_SEED, today, NULL);
	if (!rc)
		rc = demo_seed_taf(f->db, &who, DEMO_SEED, today, NULL);
	if (!rc)
		rc = demo_seed_money(f->db, &who, DEMO_SEED, today, NULL);
	if (!rc)
		rc = demo_seed_outcome(f->db, &who, DEMO_SEED, today, NULL);
	if (!rc)
		rc = demo_seed_surveys(f->db, &who, DEMO_SEED, today, NULL);
	if (!rc)
		rc = demo_seed_history(f->db, &who, DEMO_SEED, today, NULL);
	if (!rc)
		rc = demo_seed_dataprot(f->db, &who, DEMO_SEED, today, NULL);
	if (rc)
		fail_msg("seeding with no pupils: %d %s", rc, db_errmsg(f->db));
	assert_true(count(f->db, "SELECT count(*) FROM export_register") > 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM export_register"
			       " WHERE what = 'subject_access' AND subject_id IS NULL"), 0);
}

static void test_print_logins(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	assert_int_equal(demo_print_logins(m), 0);
	fclose(m);
	const char *roles[] = {"admin", "coordinator", "school", "worker", "agency",
		"viewer", "auditor"};
	int lines = 0;
	for (const char *p = text; (p = strstr(p, DEMO_PASSWORD)); p++)
		lines++;
	assert_int_equal(lines, 1 + 7);  /* the heading and one per user */
	for (int i = 0; i < 7; i++) {
		char email[64];
		snprintf(email, sizeof email, "%s@hearth.example", roles[i]);
		if (!strstr(text, email))
			fail_msg("logins table lacks %s:\n%s", email, text);
	}
	assert_non_null(strstr(text, DEMO_SCHOOL_NAME));
	assert_non_null(strstr(text, "Grace Mensah"));
	free(text);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		/* on the shared seeded database */
		cmocka_unit_test(test_districts_and_phase_mix),
		cmocka_unit_test(test_anchor_school),
		cmocka_unit_test(test_urns_and_postcodes_well_formed),
		cmocka_unit_test(test_users_one_per_role),
		cmocka_unit_test(test_audited),
		cmocka_unit_test(test_school_user_signs_in),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_print_logins),
		cmocka_unit_test(test_census_days),
		/* each on a fresh database */
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_deterministic),
		T(test_missing_demo_user_restored),
		T(test_other_partnership_left_alone),
		T(test_failure_rolls_back),
		T(test_refused_inside_transaction),
		T(test_no_pupils),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, testdb_teardown);
}
