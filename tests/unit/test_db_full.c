/* test_db_full.c — storage faults in db.h: a full disk, a read-only
 * database and failing storage come back as HE_DB_READONLY, say which
 * they were (db_storage_state), are counted per thread, roll the
 * transaction back, and clear when a transaction that wrote commits.
 *
 * The faults are the engines' own: on SQLite a real SQLITE_FULL from a
 * database capped with PRAGMA max_page_count and a real SQLITE_READONLY
 * from PRAGMA query_only; on PostgreSQL a real 25006 from
 * default_transaction_read_only and errors raised with the SQLSTATEs of
 * a full disk (53100), an I/O error (58030) and no memory (53200).  The
 * whole-server behaviour on a really full or read-only file system is
 * tests/crash/diskfull.py.  Runs on both backends (tests/run-unit-pg.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static void make_table(struct db *db)
{
	assert_int_equal(db_exec(db, testdb_is_pg()
		? "CREATE TABLE blobs (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)"
		: "CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"), HE_OK);
}

static int64_t count_rows(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM blobs");
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

/* Insert a row of n characters inside its own transaction; the rc. */
static int insert_tx(struct db *db, int n)
{
	char *body = malloc((size_t)n + 1);
	memset(body, 'x', (size_t)n);
	body[n] = '\0';
	int rc = db_begin(db);
	if (rc == HE_OK) {
		struct db_stmt *st = db_prepare(db, "INSERT INTO blobs (body) VALUES (:b)");
		db_bind_text(st, ":b", body);
		rc = db_done(st);
		if (rc == HE_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	free(body);
	return rc;
}

/* A write that commits puts the state back to OK (and each test leaves
 * it so, since the state is the process's). */
static void assert_recovers(struct db *db)
{
	int64_t n = count_rows(db);
	assert_int_equal(insert_tx(db, 10), HE_OK);
	assert_int_equal(count_rows(db), n + 1);
	assert_int_equal(db_storage_state(), DB_STORAGE_OK);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(db_storage_code(DB_STORAGE_FULL), "storage_full");
	assert_string_equal(db_storage_code(DB_STORAGE_READONLY), "storage_readonly");
	assert_string_equal(db_storage_code(DB_STORAGE_FAILED), "storage_failed");
	assert_string_equal(db_storage_code(DB_STORAGE_OK), "ok");
	assert_string_equal(db_storage_reason(DB_STORAGE_FULL), "the database disk is full");
	assert_string_equal(db_storage_reason(DB_STORAGE_READONLY), "the database is read-only");
	assert_int_equal(err_http_status(HE_DB_READONLY), 503);
}

/* SQLite: a database that may not grow (max_page_count) fails a big
 * insert with SQLITE_FULL, the engine's own disk-full code. */
static void test_sqlite_full(void **state)
{
	struct db *db = DB(state);
	if (testdb_is_pg())
		skip();
	make_table(db);
	struct db_stmt *st = db_prepare(db, "PRAGMA page_count");
	int64_t pages = db_next(st) ? db_int(st, 0) : 0;
	assert_int_equal(db_finalize(st), HE_OK);
	char cap[64];
	snprintf(cap, sizeof cap, "PRAGMA max_page_count = %lld", (long long)pages + 1);
	assert_int_equal(db_exec(db, cap), HE_OK);
	uint64_t faults = db_storage_faults();
	assert_int_equal(insert_tx(db, 200000), HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_FULL);
	assert_true(db_storage_faults() > faults);
	assert_non_null(strstr(db_errmsg(db), "full"));
	assert_false(db_in_transaction(db));
	assert_int_equal(count_rows(db), 0);           /* nothing half-written */
	/* A transaction that writes nothing commits without clearing it. */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(count_rows(db), 0);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(db_storage_state(), DB_STORAGE_FULL);
	/* Space comes back: the same connection writes again. */
	assert_int_equal(db_exec(db, "PRAGMA max_page_count = 1073741823"), HE_OK);
	assert_recovers(db);
}

/* SQLite: a connection that may not write (query_only) fails with
 * SQLITE_READONLY. */
static void test_sqlite_readonly(void **state)
{
	struct db *db = DB(state);
	if (testdb_is_pg())
		skip();
	make_table(db);
	assert_int_equal(db_exec(db, "PRAGMA query_only = 1"), HE_OK);
	assert_int_equal(insert_tx(db, 10), HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_READONLY);
	assert_false(db_in_transaction(db));
	assert_int_equal(count_rows(db), 0);
	assert_int_equal(db_exec(db, "PRAGMA query_only = 0"), HE_OK);
	assert_recovers(db);
}

/* PostgreSQL: a read-only session (as after ALTER DATABASE … SET
 * default_transaction_read_only, or on a standby) fails with 25006. */
static void test_pg_readonly(void **state)
{
	struct db *db = DB(state);
	if (!testdb_is_pg())
		skip();
	make_table(db);
	assert_int_equal(db_exec(db, "SET default_transaction_read_only = on"), HE_OK);
	uint64_t faults = db_storage_faults();
	assert_int_equal(insert_tx(db, 10), HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_READONLY);
	assert_int_equal(db_storage_faults(), faults + 1);
	assert_false(db_in_transaction(db));
	assert_int_equal(db_exec(db, "SET default_transaction_read_only = off"), HE_OK);
	assert_int_equal(count_rows(db), 0);
	assert_recovers(db);
}

/* PostgreSQL: the SQLSTATEs of a full disk and of failing storage, as
 * the server sends them. */
static void test_pg_sqlstates(void **state)
{
	struct db *db = DB(state);
	if (!testdb_is_pg())
		skip();
	make_table(db);
	assert_int_equal(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'"
				     " USING ERRCODE = 'disk_full'; END $$"), HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_FULL);
	/* An I/O error during a full spell is that spell. */
	assert_int_equal(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'write failed' USING ERRCODE = 'io_error'; END $$"),
			 HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_FULL);
	assert_recovers(db);
	assert_int_equal(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'write failed' USING ERRCODE = 'io_error'; END $$"),
			 HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_FAILED);
	assert_recovers(db);
	assert_int_equal(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'no memory' USING ERRCODE = 'out_of_memory'; END $$"),
			 HE_DB_READONLY);
	assert_int_equal(db_storage_state(), DB_STORAGE_FAILED);
	assert_recovers(db);
	/* Other errors are not storage faults. */
	uint64_t faults = db_storage_faults();
	assert_int_equal(db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'nope' USING ERRCODE = 'raise_exception'; END $$"),
			 HE_DB);
	assert_int_equal(db_storage_faults(), faults);
	assert_int_equal(db_storage_state(), DB_STORAGE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		cmocka_unit_test(test_names),
		T(test_sqlite_full),
		T(test_sqlite_readonly),
		T(test_pg_readonly),
		T(test_pg_sqlstates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
