/* test_import_job.c — unit tests for the import_jobs row of
 * src/web/import_job.c (issue 3: a background import's progress can be
 * read by any process sharing the database).  Through the module's own
 * functions: a job is created running, with its token stored only hashed;
 * progress moves its counters; finishing records the import, its status
 * and message; only the user who started it reads it (another user, or a
 * wrong token, gets HE_NOT_FOUND); a running row not updated for a minute
 * (its process died) reads as stopped; pruning deletes rows finished, or
 * abandoned, over an hour ago and keeps the rest.  Runs on SQLite, or on
 * PostgreSQL when HEARTH_TEST_PG is set (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "store/db.h"
#include "testdb.h"
#include "web/import_job.h"

#define ALICE 7
#define BOB 8

static struct db *tdb(void **state)
{
	return ((struct testdb *)*state)->db;
}

/* Rows of import_jobs whose token_hash is value. */
static int64_t count_token_hash(struct db *db, const char *value)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM import_jobs"
					" WHERE token_hash = :v");
	db_bind_text(st, ":v", value);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, 65, d, sizeof d);
}

static void test_create_progress_finish(void **state)
{
	struct db *db = tdb(state);
	char token[IMPORT_JOB_TOKEN], th[65];
	struct import_job_view v;
	time_t now = time(NULL);
	assert_int_equal(import_job_create(db, ALICE, now, token), HE_OK);
	assert_int_equal(strlen(token), IMPORT_JOB_TOKEN - 1);
	/* the token is kept only as its hash */
	sha256_hex(token, th);
	assert_int_equal(count_token_hash(db, token), 0);
	assert_int_equal(count_token_hash(db, th), 1);

	assert_int_equal(import_job_read(db, token, ALICE, now, &v), HE_OK);
	assert_false(v.done);
	assert_false(v.stopped);
	assert_string_equal(v.status, "running");
	assert_int_equal(v.bytes_done, 0);

	assert_int_equal(import_job_progress(db, token, 300, 1000, now + 1), HE_OK);
	assert_int_equal(import_job_read(db, token, ALICE, now + 1, &v), HE_OK);
	assert_false(v.done);
	assert_int_equal(v.bytes_done, 300);
	assert_int_equal(v.bytes_total, 1000);

	assert_int_equal(import_job_finish(db, token, "done", 42, "applied",
					   "2 rows applied, 1 with errors", now + 2), HE_OK);
	assert_int_equal(import_job_read(db, token, ALICE, now + 2, &v), HE_OK);
	assert_true(v.done);
	assert_false(v.stopped);
	assert_int_equal(v.import_id, 42);
	assert_string_equal(v.status, "applied");
	assert_string_equal(v.message, "2 rows applied, 1 with errors");
	assert_int_equal(v.bytes_done, 1000);
	/* progress after the end changes nothing */
	assert_int_equal(import_job_progress(db, token, 5, 1000, now + 3), HE_OK);
	assert_int_equal(import_job_read(db, token, ALICE, now + 3, &v), HE_OK);
	assert_true(v.done);
	assert_int_equal(v.bytes_done, 1000);
	/* finished long ago is still finished, not stopped */
	assert_int_equal(import_job_read(db, token, ALICE, now + 600, &v), HE_OK);
	assert_true(v.done);
	assert_false(v.stopped);
}

static void test_failed(void **state)
{
	struct db *db = tdb(state);
	char token[IMPORT_JOB_TOKEN];
	struct import_job_view v;
	time_t now = time(NULL);
	assert_int_equal(import_job_create(db, ALICE, now, token), HE_OK);
	assert_int_equal(import_job_finish(db, token, "failed", 0, "failed",
					   "cannot connect to the database", now), HE_OK);
	assert_int_equal(import_job_read(db, token, ALICE, now, &v), HE_OK);
	assert_true(v.done);
	assert_false(v.stopped);
	assert_int_equal(v.import_id, 0);
	assert_string_equal(v.status, "failed");
	assert_string_equal(v.message, "cannot connect to the database");
}

static void test_only_its_user(void **state)
{
	struct db *db = tdb(state);
	char token[IMPORT_JOB_TOKEN], other[IMPORT_JOB_TOKEN];
	struct import_job_view v;
	time_t now = time(NULL);
	assert_int_equal(import_job_create(db, ALICE, now, token), HE_OK);
	assert_int_equal(import_job_create(db, BOB, now, other), HE_OK);
	assert_string_not_equal(token, other);
	assert_int_equal(import_job_read(db, token, BOB, now, &v), HE_NOT_FOUND);
	assert_int_equal(import_job_read(db, other, ALICE, now, &v), HE_NOT_FOUND);
	assert_int_equal(import_job_read(db, other, BOB, now, &v), HE_OK);
	/* a token one character off, too short, or empty */
	char wrong[IMPORT_JOB_TOKEN];
	memcpy(wrong, token, sizeof wrong);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	assert_int_equal(import_job_read(db, wrong, ALICE, now, &v), HE_NOT_FOUND);
	assert_int_equal(import_job_read(db, "abc", ALICE, now, &v), HE_NOT_FOUND);
	assert_int_equal(import_job_read(db, "", ALICE, now, &v), HE_NOT_FOUND);
}

/* A row its process left running: written directly, as a server that died
 * mid-import leaves it. */
static void test_stale_running_is_stopped(void **state)
{
	struct db *db = tdb(state);
	const char *token = "0123456789abcdef0123456789abcdef";
	char th[65];
	struct import_job_view v;
	sha256_hex(token, th);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO import_jobs (token_hash, user_id, status, bytes_done, bytes_total,"
		" started_at, updated_at) VALUES (:th, :uid, 'running', 10, 100,"
		" '2026-01-05T10:00:00Z', '2026-01-05T10:01:00Z')");
	db_bind_text(st, ":th", th);
	db_bind_int(st, ":uid", ALICE);
	assert_int_equal(db_done(st), HE_OK);
	struct tm tm = {.tm_year = 126, .tm_mon = 0, .tm_mday = 5, .tm_hour = 10, .tm_min = 1};
	time_t updated = timegm(&tm);

	/* 59 s after its last sign of life: still running */
	assert_int_equal(import_job_read(db, token, ALICE, updated + 59, &v), HE_OK);
	assert_false(v.done);
	assert_false(v.stopped);
	assert_int_equal(v.bytes_done, 10);
	/* 61 s after: stopped, and it says nothing was applied */
	assert_int_equal(import_job_read(db, token, ALICE, updated + 61, &v), HE_OK);
	assert_true(v.done);
	assert_true(v.stopped);
	assert_string_equal(v.status, "stopped");
	assert_non_null(strstr(v.message, "stopped"));
	assert_non_null(strstr(v.message, "nothing was applied"));
	assert_int_equal(import_job_read(db, token, BOB, updated + 61, &v), HE_NOT_FOUND);
	/* a sign of life brings it back */
	assert_int_equal(import_job_progress(db, token, 20, 100, updated + 70), HE_OK);
	assert_int_equal(import_job_read(db, token, ALICE, updated + 71, &v), HE_OK);
	assert_false(v.stopped);
	assert_int_equal(v.bytes_done, 20);
}

static void test_prune(void **state)
{
	struct db *db = tdb(state);
	char old_done[IMPORT_JOB_TOKEN], new_done[IMPORT_JOB_TOKEN];
	char old_running[IMPORT_JOB_TOKEN], running[IMPORT_JOB_TOKEN];
	struct import_job_view v;
	time_t now = time(NULL);
	assert_int_equal(import_job_create(db, ALICE, now - 7300, old_done), HE_OK);
	assert_int_equal(import_job_finish(db, old_done, "done", 1, "applied", "ok", now - 7200),
			 HE_OK);
	assert_int_equal(import_job_create(db, ALICE, now - 700, new_done), HE_OK);
	assert_int_equal(import_job_finish(db, new_done, "done", 2, "applied", "ok", now - 600),
			 HE_OK);
	assert_int_equal(import_job_create(db, ALICE, now - 7300, old_running), HE_OK);
	assert_int_equal(import_job_create(db, ALICE, now - 5000, running), HE_OK);
	assert_int_equal(import_job_progress(db, running, 1, 2, now - 1), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM import_jobs"), 4);

	assert_int_equal(import_job_prune(db, now), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM import_jobs"), 2);
	assert_int_equal(import_job_read(db, old_done, ALICE, now, &v), HE_NOT_FOUND);
	assert_int_equal(import_job_read(db, old_running, ALICE, now, &v), HE_NOT_FOUND);
	assert_int_equal(import_job_read(db, new_done, ALICE, now, &v), HE_OK);
	assert_int_equal(v.import_id, 2);
	assert_int_equal(import_job_read(db, running, ALICE, now, &v), HE_OK);
	assert_false(v.done);
	/* an hour after the first finished, it goes too */
	assert_int_equal(import_job_prune(db, now + 3001), HE_OK);
	assert_int_equal(import_job_read(db, new_done, ALICE, now, &v), HE_NOT_FOUND);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM import_jobs"), 1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_progress_finish, testdb_setup,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_failed, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_only_its_user, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_stale_running_is_stopped, testdb_setup,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_prune, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
