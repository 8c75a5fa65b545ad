/* test_worker.c — unit tests for src/core/worker.c: profiles (validation
 * naming the field, create and update replacing schools and districts,
 * lists normalised, audited, refused without the capability), loads
 * (Σ intensity of open cases only; capacity 2 × max_caseload or the
 * setting), and covers (validated, audited, a chronology event on each
 * open case of the colleague covered).
 *
 * Each test runs on a fresh migrated database (SQLite, or PostgreSQL with
 * HEARTH_TEST_PG); schools, families, referrals and cases are inserted
 * with SQL directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/scope.h"
#include "core/worker.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {
	.user_id = 0, .email = "coordinator@hearth.example", .role = "coordinator",
	.route = "test worker", .ip = NULL,
};

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* Two districts, two schools, a worker user, a family with a referral. */
static void fixture(struct db *db)
{
	exec(db,
		"INSERT INTO districts (id, name) VALUES (1, 'Belgrave'), (2, 'Braunstone');"
		"INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (1, '140217', 'Ratae Academy', 'secondary', 1, '2026-01-01T00:00:00Z'),"
		" (2, '120001', 'Braunstone Primary', 'primary', 2, '2026-01-01T00:00:00Z');"
		"INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES"
		" (7, 'w@x.example', 'Sam Whitfield', 'worker', 'x', '2026-01-01', '2026-01-01'),"
		" (8, 'v@x.example', 'Vera Viewer', 'viewer', 'x', '2026-01-01', '2026-01-01');"
		"INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Khan family', '2026-01-01', '2026-01-01'),"
		" (2, 'F-000002', 'Nowak family', '2026-01-01', '2026-01-01');"
		"INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need, needs,"
		" reason, received_at) VALUES"
		" (1, 'R-000001', 1, 'school', 1, 3, 'attendance', 'r', '2026-01-05T09:00:00Z'),"
		" (2, 'R-000002', 2, 'school', 1, 2, 'housing', 'r', '2026-01-06T09:00:00Z'),"
		" (3, 'R-000003', 2, 'school', 1, 2, 'housing', 'r', '2026-02-06T09:00:00Z');");
}

static struct worker_in profile(void)
{
	static const int64_t schools[] = {1, 2};
	static const int64_t districts[] = {1};
	struct worker_in in = {
		.name = "Sam Whitfield", .employer = "City Council Early Help",
		.kind = "family_support", .skills = " attendance, parenting ,attendance,",
		.languages = "Gujarati, polish , GUJARATI", .hours_per_week = 37,
		.max_caseload = 0, .user_id = 7,
		.school_ids = schools, .nschools = 2, .district_ids = districts, .ndistricts = 1,
	};
	return in;
}

static void test_kinds(void **state)
{
	(void)state;
	assert_string_equal(worker_kind_title("hslo"), "Home–school liaison officer");
	assert_string_equal(worker_kind_title("family_support"), "Family support worker");
	assert_null(worker_kind_title("wizard"));
	assert_null(worker_kind_title(NULL));
	int n = 0;
	while (worker_kinds[n])
		n++;
	assert_int_equal(n, 4);
}

static void test_save_create_and_update(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	struct scope s;
	scope_system(&who, &s);
	struct errinfo e = {0};
	struct worker_in in = profile();
	int64_t id = 0;
	int64_t audits = testdb_int(db, "SELECT count(*) FROM audit_log");
	assert_int_equal(worker_save(db, &s, 0, &in, &id, &e), HE_OK);
	assert_true(id > 0);
	struct arena a;
	arena_init(&a);
	struct worker w;
	assert_int_equal(worker_get(db, &a, id, &w), HE_OK);
	assert_string_equal(w.skills, "attendance,parenting");
	assert_string_equal(w.languages, "Gujarati,polish");
	assert_int_equal(w.nschools, 2);
	assert_int_equal(w.ndistricts, 1);
	assert_int_equal(w.max_caseload, 0);
	assert_int_equal(w.user_id, 7);
	assert_string_equal(w.user_email, "w@x.example");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'create'"
				    " AND entity = 'workers'"), 1);

	/* update: replaces the links, keeps the id */
	static const int64_t one[] = {2};
	in.school_ids = one;
	in.nschools = 1;
	in.ndistricts = 0;
	in.max_caseload = 12;
	in.name = "Sam Whitfield-Khan";
	int64_t id2 = 0;
	assert_int_equal(worker_save(db, &s, id, &in, &id2, &e), HE_OK);
	assert_int_equal(id2, id);
	assert_int_equal(worker_get(db, &a, id, &w), HE_OK);
	assert_string_equal(w.name, "Sam Whitfield-Khan");
	assert_int_equal(w.nschools, 1);
	assert_int_equal(w.school_ids[0], 2);
	assert_int_equal(w.ndistricts, 0);
	assert_int_equal(w.max_caseload, 12);
	assert_int_equal(w.load.capacity, 24);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log") - audits, 2);
	in.user_id = 0;
	assert_int_equal(worker_save(db, &s, 9999, &in, NULL, &e), HE_NOT_FOUND);
	arena_free(&a);
}

/* Save with one field spoiled: expect code and field, and nothing written. */
static void expect_bad(struct db *db, const struct worker_in *in, int code, const char *field)
{
	struct scope s;
	scope_system(&who, &s);
	struct errinfo e = {0};
	int64_t before = testdb_int(db, "SELECT count(*) FROM workers");
	int rc = worker_save(db, &s, 0, in, NULL, &e);
	if (rc != code || strcmp(e.field, field) != 0)
		fail_msg("expected %d %s, got %d %s: %s", code, field, rc, e.field, e.message);
	assert_true(e.message[0] != '\0');
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM workers"), before);
	assert_false(db_in_transaction(db));
}

static void test_save_validation_names_field(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	struct worker_in in = profile();
	in.name = "  ";
	expect_bad(db, &in, HE_MISSING, "name");
	in = profile();
	in.employer = NULL;
	expect_bad(db, &in, HE_MISSING, "employer");
	in = profile();
	in.kind = "wizard";
	expect_bad(db, &in, HE_INVALID, "kind");
	in = profile();
	in.hours_per_week = 61;
	expect_bad(db, &in, HE_INVALID, "hours_per_week");
	in = profile();
	in.max_caseload = 101;
	expect_bad(db, &in, HE_INVALID, "max_caseload");
	in = profile();
	in.skills = "attendance,Drop Tables";
	expect_bad(db, &in, HE_INVALID, "skills");
	in = profile();
	in.user_id = 8;   /* a viewer, not a worker */
	expect_bad(db, &in, HE_INVALID, "user_id");
	static const int64_t nosuch[] = {99};
	in = profile();
	in.school_ids = nosuch;
	in.nschools = 1;
	expect_bad(db, &in, HE_INVALID, "schools");
	in = profile();
	in.district_ids = nosuch;
	expect_bad(db, &in, HE_INVALID, "districts");
	/* one sign-in, one profile */
	struct scope s;
	scope_system(&who, &s);
	struct errinfo e = {0};
	in = profile();
	assert_int_equal(worker_save(db, &s, 0, &in, NULL, &e), HE_OK);
	in.name = "Someone Else";
	expect_bad(db, &in, HE_CONFLICT, "user_id");
}

static void test_save_needs_capability(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	/* user 8: a real user (a new worker records who added it) */
	struct scope s = {.caps = caps_for_role(ROLE_SCHOOL), .user_id = 8, .who = &who};
	struct errinfo e = {0};
	struct worker_in in = profile();
	assert_int_equal(worker_save(db, &s, 0, &in, NULL, &e), HE_FORBIDDEN);
	s.caps = caps_for_role(ROLE_WORKER);
	assert_int_equal(worker_save(db, &s, 0, &in, NULL, &e), HE_FORBIDDEN);
	s.caps = caps_for_role(ROLE_COORDINATOR);
	assert_int_equal(worker_save(db, &s, 0, &in, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM workers"), 1);
}

static void test_load_weighted(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db,
		"INSERT INTO workers (id, name, employer, kind, max_caseload, created_at, updated_at)"
		" VALUES (1, 'A', 'E', 'mentor', NULL, 'x', 'x'), (2, 'B', 'E', 'mentor', 5, 'x', 'x');"
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, created_at, updated_at) VALUES"
		" (1, 'C-000001', 1, 1, 1, 3, 'open', '2026-02-01', 'x', 'x'),"
		" (2, 'C-000002', 2, 2, 1, 1, 'open', '2026-02-01', 'x', 'x'),"
		" (3, 'C-000003', 2, 3, 1, 2, 'closed', '2026-02-01', 'x', 'x');");
	struct worker_load l;
	assert_int_equal(worker_load(db, 1, &l), HE_OK);
	assert_int_equal(l.open_cases, 2);
	assert_int_equal(l.weighted, 4);    /* 3 + 1; the closed case does not count */
	assert_int_equal(l.capacity, 36);   /* 2 × the default 18 */
	assert_int_equal(worker_load(db, 2, &l), HE_OK);
	assert_int_equal(l.open_cases, 0);
	assert_int_equal(l.weighted, 0);
	assert_int_equal(l.capacity, 10);
	exec(db, "UPDATE settings SET value = '20' WHERE key = 'case.max_caseload'");
	assert_int_equal(worker_load(db, 1, &l), HE_OK);
	assert_int_equal(l.capacity, 40);
	assert_int_equal(worker_load(db, 99, &l), HE_NOT_FOUND);
}

static void test_cover(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db,
		"INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		" (1, 'Asha', 'E', 'mentor', 'x', 'x'), (2, 'Ben', 'E', 'mentor', 'x', 'x');"
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, created_at, updated_at) VALUES"
		" (1, 'C-000001', 1, 1, 2, 2, 'open', '2026-02-01', 'x', 'x'),"
		" (2, 'C-000002', 2, 2, 2, 2, 'open', '2026-02-01', 'x', 'x'),"
		" (3, 'C-000003', 2, 3, 2, 2, 'closed', '2026-02-01', 'x', 'x');");
	struct scope s;
	scope_system(&who, &s);
	struct errinfo e = {0};
	assert_int_equal(worker_cover_add(db, &s, 1, 1, "2026-12-01", "2026-12-10", "Leave", NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "for_worker_id");
	memset(&e, 0, sizeof e);
	assert_int_equal(worker_cover_add(db, &s, 1, 2, "2026-12-10", "2026-12-01", "Leave", NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "until");
	memset(&e, 0, sizeof e);
	assert_int_equal(worker_cover_add(db, &s, 1, 2, "2026-13-01", "2026-12-01", "Leave", NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "from");
	memset(&e, 0, sizeof e);
	assert_int_equal(worker_cover_add(db, &s, 1, 2, "2026-12-01", "2026-12-10", " ", NULL, NULL, &e),
			 HE_MISSING);
	assert_string_equal(e.field, "reason");
	assert_int_equal(worker_cover_add(db, &s, 99, 2, "2026-12-01", "2026-12-10", "x", NULL, NULL, &e),
			 HE_NOT_FOUND);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM worker_covers"), 0);
	assert_false(db_in_transaction(db));

	memset(&e, 0, sizeof e);
	assert_int_equal(worker_cover_add(db, &s, 1, 2, "2026-12-01", "2026-12-10", "Annual leave",
					  NULL, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM worker_covers WHERE worker_id = 1"
				    " AND for_worker_id = 2 AND ends_on = '2026-12-10'"), 1);
	/* one event per open case of Ben's, none on the closed one */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE kind = 'cover'"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE kind = 'cover'"
				    " AND case_id = 3"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'worker_covers'"
				    " AND summary = 'Asha covers Ben''s cases from 2026-12-01 to 2026-12-10'"), 1);
	struct arena a;
	arena_init(&a);
	struct worker_cover *c;
	size_t n;
	assert_int_equal(worker_covers(db, &a, 2, &c, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].worker_name, "Asha");
	assert_string_equal(c[0].reason, "Annual leave");
	arena_free(&a);
	struct scope sw = {.caps = caps_for_role(ROLE_WORKER), .user_id = 7, .who = &who};
	assert_int_equal(worker_cover_add(db, &sw, 1, 2, "2026-12-01", "2026-12-10", "x", NULL, NULL, &e),
			 HE_FORBIDDEN);
}

static void test_list(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db,
		"INSERT INTO workers (id, name, employer, kind, active, created_at, updated_at) VALUES"
		" (1, 'Zed', 'E', 'mentor', 1, 'x', 'x'), (2, 'Abe', 'E', 'hslo', 0, 'x', 'x'),"
		" (3, 'Bea', 'E', 'mentor', 1, 'x', 'x');");
	struct arena a;
	arena_init(&a);
	struct worker *w;
	size_t n;
	assert_int_equal(worker_list(db, &a, &w, &n), HE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(w[0].name, "Bea");
	assert_string_equal(w[1].name, "Zed");
	assert_string_equal(w[2].name, "Abe");   /* inactive last */
	assert_false(w[2].active);
	assert_int_equal(w[0].load.capacity, 36);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_save_create_and_update),
		T(test_save_validation_names_field),
		T(test_save_needs_capability),
		T(test_load_weighted),
		T(test_cover),
		T(test_list),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
