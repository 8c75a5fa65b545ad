/* test_school.c — unit tests for src/core/school.c: phases and URNs,
 * districts, adding schools (every field's validation names the field,
 * duplicates refused, audited in the caller's transaction, nothing written
 * on failure), lookups and the list.  Each test runs on a fresh database
 * with the real migrations: SQLite, or PostgreSQL when HEARTH_TEST_PG is
 * set (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/school.h"
#include "store/db.h"
#include "testdb.h"

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "test school",
};

static int64_t count(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

/* school_add in its own transaction, committed on success and rolled
 * back on failure, as a handler would. */
static int add(struct db *db, const char *urn, const char *name, const char *phase,
	       const char *district, const char *postcode, int64_t *id,
	       struct errinfo *e)
{
	assert_int_equal(db_begin(db), HE_OK);
	memset(e, 0, sizeof *e);
	int rc = school_add(db, &who, urn, name, phase, district, postcode, id, e);
	if (rc)
		db_rollback(db);
	else
		assert_int_equal(db_commit(db), HE_OK);
	return rc;
}

static void with_district(struct db *db, const char *name)
{
	int64_t id;
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(district_ensure(db, name, &id), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
}

/* ---- pure functions ---------------------------------------------------- */

static void test_phases(void **state)
{
	(void)state;
	const char *want[] = {"nursery", "primary", "middle", "secondary",
		"all-through", "special", "pru", "college"};
	for (int i = 0; i < 8; i++) {
		assert_string_equal(school_phases[i], want[i]);
		assert_true(school_phase_valid(want[i]));
		assert_string_not_equal(school_phase_title(want[i]), "Unknown phase");
	}
	assert_null(school_phases[8]);
	assert_string_equal(school_phase_title("pru"), "Pupil referral unit / AP");
	assert_string_equal(school_phase_title("all-through"), "All-through");
	const char *bad[] = {"", "Primary", "grammar", "infant", "primary ", "pru;", NULL};
	for (int i = 0; bad[i]; i++)
		assert_false(school_phase_valid(bad[i]));
	assert_false(school_phase_valid(NULL));
	assert_string_equal(school_phase_title("grammar"), "Unknown phase");
	assert_string_equal(school_phase_title(NULL), "Unknown phase");
}

static void test_urn_valid(void **state)
{
	(void)state;
	const char *good[] = {"100000", "120345", "140217", "999999", NULL};
	const char *bad[] = {"", "12345", "1234567", "012345", "099999", "12a456",
		" 12345", "123456 ", "12-456", "１２３４５６", NULL};
	for (int i = 0; good[i]; i++)
		if (!urn_valid(good[i]))
			fail_msg("urn_valid(\"%s\") refused a valid URN", good[i]);
	for (int i = 0; bad[i]; i++)
		if (urn_valid(bad[i]))
			fail_msg("urn_valid(\"%s\") accepted an invalid URN", bad[i]);
	assert_false(urn_valid(NULL));
}

/* ---- districts ------------------------------------------------------- */

static void test_district_ensure_idempotent(void **state)
{
	struct testdb *f = *state;
	int64_t a = 0, b = 0, c = 0;
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(district_ensure(f->db, "North West", &a), HE_OK);
	assert_int_equal(district_ensure(f->db, "North West", &b), HE_OK);
	assert_int_equal(district_ensure(f->db, "  North West\t", &c), HE_OK);
	assert_int_equal(db_commit(f->db), HE_OK);
	assert_true(a > 0);
	assert_int_equal(a, b);
	assert_int_equal(a, c);
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), 1);

	int64_t d = 0;
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(district_ensure(f->db, "Braunstone & Rowley Fields", &d), HE_OK);
	assert_int_equal(db_commit(f->db), HE_OK);
	assert_true(d > 0 && d != a);
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), 2);

	int64_t found = 0;
	assert_int_equal(district_id_by_name(f->db, "Braunstone & Rowley Fields", &found), HE_OK);
	assert_int_equal(found, d);
	assert_int_equal(district_id_by_name(f->db, "Nowhere", &found), HE_NOT_FOUND);
}

static void test_district_bad_names(void **state)
{
	struct testdb *f = *state;
	int64_t id;
	char longname[150];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(district_ensure(f->db, "", &id), HE_MISSING);
	assert_int_equal(district_ensure(f->db, "   ", &id), HE_MISSING);
	assert_int_equal(district_ensure(f->db, NULL, &id), HE_MISSING);
	assert_int_equal(district_ensure(f->db, longname, &id), HE_INVALID);
	assert_int_equal(district_ensure(f->db, "East\x01", &id), HE_INVALID);
	assert_int_equal(db_commit(f->db), HE_OK);
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), 0);
}

/* ---- schools --------------------------------------------------------- */

static void test_add_ok_audited(void **state)
{
	struct testdb *f = *state;
	struct errinfo e;
	int64_t id = 0;
	with_district(f->db, "South");
	assert_int_equal(add(f->db, "120345", "  Hollybank Primary School ", "primary",
			     "South", "le2 6tj", &id, &e), HE_OK);
	assert_true(id > 0);

	int64_t looked = 0;
	assert_int_equal(school_id_by_urn(f->db, "120345", &looked), HE_OK);
	assert_int_equal(looked, id);
	assert_int_equal(school_id_by_urn(f->db, "120346", &looked), HE_NOT_FOUND);

	struct db_stmt *st = db_prepare(f->db,
		"SELECT s.name, s.phase, s.postcode, d.name, s.created_at FROM schools s"
		" JOIN districts d ON d.id = s.district_id WHERE s.id = :id");
	db_bind_int(st, ":id", id);
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "Hollybank Primary School");  /* trimmed */
	assert_string_equal(db_text(st, 1), "primary");
	assert_string_equal(db_text(st, 2), "LE2 6TJ");                  /* normalised */
	assert_string_equal(db_text(st, 3), "South");
	assert_int_equal(strlen(db_text(st, 4)), 20);                    /* UTC timestamp */
	assert_int_equal(db_finalize(st), HE_OK);

	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	st = db_prepare(f->db, "SELECT action, entity, entity_id, route, summary"
		" FROM audit_log WHERE entity = 'schools'");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "create");
	assert_string_equal(db_text(st, 1), "schools");
	assert_string_equal(db_text(st, 2), idtext);
	assert_string_equal(db_text(st, 3), "test school");
	assert_non_null(strstr(db_text(st, 4), "120345"));
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_OK);

	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	assert_int_equal(audit_verify(f->db, &rows, &bad, &msg), HE_OK);
	buf_free(&msg);
	assert_int_equal(rows, 1);
}

static void test_postcode_optional(void **state)
{
	struct testdb *f = *state;
	struct errinfo e;
	with_district(f->db, "East");
	assert_int_equal(add(f->db, "120001", "Foxcote Nursery School", "nursery", "East",
			     NULL, NULL, &e), HE_OK);
	assert_int_equal(add(f->db, "120002", "Larkrise Nursery School", "nursery", "East",
			     "", NULL, &e), HE_OK);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools WHERE postcode IS NULL"), 2);
}

/* One refused school_add: the code, the field, a message, nothing written. */
static void expect_refused(struct testdb *f, const char *urn, const char *name,
			   const char *phase, const char *district, const char *postcode,
			   int code, const char *field)
{
	struct errinfo e;
	int64_t before = count(f->db, "SELECT count(*) FROM schools");
	int64_t audits = count(f->db, "SELECT count(*) FROM audit_log");
	int rc = add(f->db, urn, name, phase, district, postcode, NULL, &e);
	if (rc != code || strcmp(e.field, field) != 0)
		fail_msg("school_add(%s, %s, %s, %s, %s) = %d field \"%s\"; want %d field \"%s\"",
			 urn ? urn : "NULL", name ? name : "NULL", phase ? phase : "NULL",
			 district ? district : "NULL", postcode ? postcode : "NULL",
			 rc, e.field, code, field);
	assert_int_equal(e.code, code);
	assert_true(strlen(e.message) > 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), before);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"), audits);
}

static void test_add_validation_names_field(void **state)
{
	struct testdb *f = *state;
	char longname[260];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	with_district(f->db, "West");
	const char *n = "Ashwell Primary School";

	expect_refused(f, "", n, "primary", "West", "LE3 5AB", HE_MISSING, "urn");
	expect_refused(f, NULL, n, "primary", "West", "LE3 5AB", HE_MISSING, "urn");
	expect_refused(f, "12345", n, "primary", "West", "LE3 5AB", HE_INVALID, "urn");
	expect_refused(f, "1234567", n, "primary", "West", "LE3 5AB", HE_INVALID, "urn");
	expect_refused(f, "012345", n, "primary", "West", "LE3 5AB", HE_INVALID, "urn");
	expect_refused(f, "12O456", n, "primary", "West", "LE3 5AB", HE_INVALID, "urn");
	expect_refused(f, "123456'", n, "primary", "West", "LE3 5AB", HE_INVALID, "urn");

	expect_refused(f, "120100", "", "primary", "West", "LE3 5AB", HE_MISSING, "name");
	expect_refused(f, "120100", "   ", "primary", "West", "LE3 5AB", HE_MISSING, "name");
	expect_refused(f, "120100", NULL, "primary", "West", "LE3 5AB", HE_MISSING, "name");
	expect_refused(f, "120100", longname, "primary", "West", "LE3 5AB", HE_INVALID, "name");
	expect_refused(f, "120100", "Bad\x07Name", "primary", "West", "LE3 5AB",
		       HE_INVALID, "name");

	expect_refused(f, "120100", n, "grammar", "West", "LE3 5AB", HE_INVALID, "phase");
	expect_refused(f, "120100", n, "Primary", "West", "LE3 5AB", HE_INVALID, "phase");
	expect_refused(f, "120100", n, "", "West", "LE3 5AB", HE_MISSING, "phase");
	expect_refused(f, "120100", n, NULL, "West", "LE3 5AB", HE_MISSING, "phase");

	expect_refused(f, "120100", n, "primary", "West", "LE3", HE_INVALID, "postcode");
	expect_refused(f, "120100", n, "primary", "West", "XYZ 123", HE_INVALID, "postcode");
	expect_refused(f, "120100", n, "primary", "West", "LE3 5AB'; --", HE_INVALID,
		       "postcode");

	expect_refused(f, "120100", n, "primary", "", "LE3 5AB", HE_MISSING, "district");
	expect_refused(f, "120100", n, "primary", NULL, "LE3 5AB", HE_MISSING, "district");
	expect_refused(f, "120100", n, "primary", "Wset", "LE3 5AB", HE_INVALID, "district");
	assert_int_equal(count(f->db, "SELECT count(*) FROM districts"), 1);  /* no typo district */
}

static void test_duplicate_refused(void **state)
{
	struct testdb *f = *state;
	struct errinfo e;
	with_district(f->db, "North East");
	assert_int_equal(add(f->db, "137500", "Foxcote Academy", "secondary", "North East",
			     "LE4 6TJ", NULL, &e), HE_OK);
	expect_refused(f, "137500", "Another Academy", "secondary", "North East", "LE4 7AB",
		       HE_CONFLICT, "urn");
	/* the same name under a new URN is a different school */
	assert_int_equal(add(f->db, "137501", "Foxcote Academy", "secondary", "North East",
			     "LE4 6TJ", NULL, &e), HE_OK);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), 2);
}

static void test_add_needs_transaction(void **state)
{
	struct testdb *f = *state;
	struct errinfo e = {0};
	with_district(f->db, "South");
	assert_int_equal(school_add(f->db, &who, "120345", "Hollybank Primary School",
				    "primary", "South", "LE2 6TJ", NULL, &e), HE_INTERNAL);
	assert_int_equal(count(f->db, "SELECT count(*) FROM schools"), 0);
}

static void test_metacharacters_stored_verbatim(void **state)
{
	struct testdb *f = *state;
	struct errinfo e;
	const char *name = "O'Brien's \"Primary\" <b>&amp; School; DROP TABLE schools;--";
	with_district(f->db, "City Centre");
	assert_int_equal(add(f->db, "120999", name, "primary", "City Centre", "LE1 6ZG",
			     NULL, &e), HE_OK);
	struct db_stmt *st = db_prepare(f->db, "SELECT name FROM schools WHERE urn = '120999'");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), name);
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_count_and_list(void **state)
{
	struct testdb *f = *state;
	struct errinfo e;
	int64_t n = -1;
	struct arena a;
	struct school *v = (struct school *)1;
	size_t len = 99;
	arena_init(&a);
	assert_int_equal(school_count(f->db, &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(school_list(f->db, &a, &v, &len), HE_OK);
	assert_int_equal(len, 0);
	assert_null(v);

	with_district(f->db, "West");
	with_district(f->db, "East");
	assert_int_equal(add(f->db, "120010", "Zeta Primary School", "primary", "West",
			     "LE3 5AB", NULL, &e), HE_OK);
	assert_int_equal(add(f->db, "120011", "Alpha Primary School", "primary", "West",
			     NULL, NULL, &e), HE_OK);
	assert_int_equal(add(f->db, "138000", "Mid Academy", "secondary", "East",
			     "LE5 4QX", NULL, &e), HE_OK);
	/* enough rows to make the list grow past its first allocation */
	for (int i = 0; i < 70; i++) {
		char urn[16], name[40];
		snprintf(urn, sizeof urn, "%d", 121000 + i);
		snprintf(name, sizeof name, "West School %02d", i);
		assert_int_equal(add(f->db, urn, name, "special", "West", NULL, NULL, &e), HE_OK);
	}
	assert_int_equal(school_count(f->db, &n), HE_OK);
	assert_int_equal(n, 73);
	assert_int_equal(school_list(f->db, &a, &v, &len), HE_OK);
	assert_int_equal(len, 73);
	assert_string_equal(v[0].district, "East");  /* by district, then name */
	assert_string_equal(v[0].name, "Mid Academy");
	assert_string_equal(v[0].postcode, "LE5 4QX");
	assert_string_equal(v[1].name, "Alpha Primary School");
	assert_null(v[1].postcode);
	assert_string_equal(v[1].urn, "120011");
	assert_string_equal(v[2].name, "West School 00");
	assert_string_equal(v[72].name, "Zeta Primary School");
	assert_string_equal(v[72].phase, "primary");
	assert_true(v[72].id > 0);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_urn_valid),
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_district_ensure_idempotent),
		T(test_district_bad_names),
		T(test_add_ok_audited),
		T(test_postcode_optional),
		T(test_add_validation_names_field),
		T(test_duplicate_refused),
		T(test_add_needs_transaction),
		T(test_metacharacters_stored_verbatim),
		T(test_count_and_list),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
