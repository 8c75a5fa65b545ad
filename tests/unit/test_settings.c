/* test_settings.c — unit tests for src/core/settings.c: a setting read as a
 * whole number (absent or empty keeps the caller's default; out of range
 * or not a number keeps it when lenient, is an error naming the key when
 * strict), as text, and the readers built on it (case.review_weeks,
 * case.max_caseload, commission limits), on SQLite or PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "core/commission.h"
#include "core/plan.h"
#include "core/scope.h"
#include "core/settings.h"
#include "core/worker.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static void set(struct db *db, const char *key, const char *value)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM settings WHERE key = :k");
	db_bind_text(st, ":k", key);
	db_next(st);
	assert_int_equal(db_finalize(st), HE_OK);
	if (!value)
		return;
	st = db_prepare(db, "INSERT INTO settings (key, value) VALUES (:k, :v)");
	db_bind_text(st, ":k", key);
	db_bind_text(st, ":v", value);
	db_next(st);
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_int(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t v = 7;
	assert_int_equal(settings_int(db, "x.n", 1, 10, &v, &e), HE_OK);
	assert_int_equal(v, 7);                     /* absent: the default stays */
	set(db, "x.n", "");
	assert_int_equal(settings_int(db, "x.n", 1, 10, &v, &e), HE_OK);
	assert_int_equal(v, 7);                     /* empty: the default stays */
	set(db, "x.n", "9");
	assert_int_equal(settings_int(db, "x.n", 1, 10, &v, &e), HE_OK);
	assert_int_equal(v, 9);
	const char *bad[] = { "11", "0", "-3", "4x", "x", "5 ", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		set(db, "x.n", bad[i]);
		v = 7;
		assert_int_equal(settings_int(db, "x.n", 1, 10, &v, NULL), HE_OK);
		assert_int_equal(v, 7);             /* lenient: the default stays */
		memset(&e, 0, sizeof e);
		assert_int_equal(settings_int(db, "x.n", 1, 10, &v, &e), HE_INVALID);
		assert_string_equal(e.field, "x.n");
		assert_non_null(strstr(e.message, "from 1 to 10"));
		assert_int_equal(v, 7);
	}
}

static void test_text(void **state)
{
	struct db *db = DB(state);
	char buf[8];
	assert_int_equal(settings_text(db, "partnership.name", "The partnership", buf, sizeof buf), HE_OK);
	assert_string_equal(buf, "The par");        /* truncated to the buffer */
	set(db, "partnership.name", "Ratae");
	assert_int_equal(settings_text(db, "partnership.name", "x", buf, sizeof buf), HE_OK);
	assert_string_equal(buf, "Ratae");
	set(db, "partnership.name", "");
	assert_int_equal(settings_text(db, "partnership.name", "dflt", buf, sizeof buf), HE_OK);
	assert_string_equal(buf, "dflt");
}

/* The readers that were once seven copies of the same query now agree. */
static void test_readers(void **state)
{
	struct db *db = DB(state);
	int weeks, max;
	assert_int_equal(settings_review_weeks(db, &weeks), HE_OK);
	assert_int_equal(weeks, 6);
	set(db, "case.review_weeks", "4");
	assert_int_equal(settings_review_weeks(db, &weeks), HE_OK);
	assert_int_equal(weeks, 4);
	char next[11];
	assert_int_equal(plan_default_next_review(db, "2026-01-05", next), HE_OK);
	assert_string_equal(next, "2026-02-02");
	set(db, "case.review_weeks", "53");
	assert_int_equal(settings_review_weeks(db, &weeks), HE_OK);
	assert_int_equal(weeks, 6);

	assert_int_equal(worker_default_max(db, &max), HE_OK);
	assert_int_equal(max, 18);
	set(db, "case.max_caseload", "12");
	assert_int_equal(worker_default_max(db, &max), HE_OK);
	assert_int_equal(max, 12);

	struct scope s = { .user_id = 0 };
	int64_t limit;
	assert_int_equal(commission_limit(db, &s, &limit), HE_OK);
	assert_int_equal(limit, 25000);
	set(db, "commission.limit.worker", "40000");
	assert_int_equal(commission_limit(db, &s, &limit), HE_OK);
	assert_int_equal(limit, 40000);
	set(db, "commission.limit.worker", "-1");
	assert_int_equal(commission_limit(db, &s, &limit), HE_OK);
	assert_int_equal(limit, 25000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_int),
		T(test_text),
		T(test_readers),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
