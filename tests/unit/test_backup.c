/* test_backup.c — hearth backup / restore (store/db.h db_backup,
 * db_restore): a copy taken while another connection writes is one
 * consistent snapshot (every write is wholly in it or wholly not: each
 * district a writer adds comes with its audit row in the same transaction,
 * and the copy holds as many of one as of the other, with a verifying
 * audit chain); once writing stops, a backup restored into an empty
 * database holds exactly what the source holds, table by table (digests);
 * a restore refuses a database that is not empty unless told to replace
 * it; a backup never overwrites a file.  On SQLite, and on PostgreSQL
 * (pg_dump / pg_restore) when HEARTH_TEST_PG is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "testdb.h"
#include "base/buf.h"
#include "core/audit.h"

struct writer {
	const char *url;
	atomic_bool stop;
	atomic_long written;
	int rc;
};

/* Add districts "load N", each with its audit row, one transaction each,
 * until told to stop. */
static void *write_loop(void *arg)
{
	struct writer *w = arg;
	struct db *db = NULL;
	char *msg = NULL;
	struct audit_who who = {.role = "none", .route = "test writer"};
	w->rc = db_open(w->url, &db, &msg);
	free(msg);
	for (long n = 0; !w->rc && !atomic_load(&w->stop); n++) {
		char name[32], id[24];
		snprintf(name, sizeof name, "load %ld", n);
		if ((w->rc = db_begin(db)))
			break;
		struct db_stmt *st = db_prepare(db, "INSERT INTO districts (name) VALUES (:n) RETURNING id");
		db_bind_text(st, ":n", name);
		snprintf(id, sizeof id, "%lld", db_next(st) ? (long long)db_int(st, 0) : 0LL);
		w->rc = db_finalize(st);
		if (!w->rc)
			w->rc = audit(db, &who, "create", "districts", id, name);
		if (!w->rc)
			w->rc = db_commit(db);
		else
			db_rollback(db);
		if (!w->rc)
			atomic_fetch_add(&w->written, 1);
	}
	db_close(db);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A path for a backup file in a fresh directory. */
static void backup_path(char dir[64], char path[96])
{
	snprintf(dir, 64, "/tmp/hearth-backup-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, 96, "%s/copy", dir);
}

static void remove_backup(const char *dir, const char *path)
{
	unlink(path);
	rmdir(dir);
}

/* Restore path into a new empty database and open it. */
static struct testdb *restored(const char *path)
{
	struct testdb *t = testdb_new();
	assert_non_null(t);
	char *msg = NULL;
	int rc = db_restore(t->url, path, false, &msg);
	if (rc)
		fail_msg("db_restore: %d %s", rc, msg ? msg : "");
	assert_int_equal(testdb_open(t), 0);
	return t;
}

static void test_snapshot_under_writes(void **state)
{
	struct testdb *src = *state;
	struct writer w = {.url = src->url};
	pthread_t th;
	char dir[64], path[96];
	backup_path(dir, path);
	assert_int_equal(pthread_create(&th, NULL, write_loop, &w), 0);
	while (atomic_load(&w.written) < 20)
		sleep_ms(5);
	int rc = db_backup(src->db, path);
	long at_backup = atomic_load(&w.written);
	sleep_ms(50);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	if (rc)
		fail_msg("db_backup: %s", db_errmsg(src->db));
	assert_int_equal(w.rc, HE_OK);
	assert_true(atomic_load(&w.written) > at_backup);   /* writing went on after the copy */

	struct testdb *copy = restored(path);
	int64_t districts = testdb_int(copy->db, "SELECT count(*) FROM districts WHERE name LIKE 'load %'");
	int64_t audited = testdb_int(copy->db, "SELECT count(*) FROM audit_log WHERE route = 'test writer'");
	assert_true(districts >= 20);
	assert_int_equal(districts, audited);                 /* no half of a transaction */
	assert_true(districts < atomic_load(&w.written));     /* a snapshot, not the end state */
	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	assert_int_equal(audit_verify(copy->db, &rows, &bad, &msg), HE_OK);
	assert_int_equal(rows, testdb_int(copy->db, "SELECT count(*) FROM audit_log"));
	buf_free(&msg);
	testdb_free(copy);
	remove_backup(dir, path);
}

static void test_restore_is_exact(void **state)
{
	struct testdb *src = *state;
	struct writer w = {.url = src->url};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, write_loop, &w), 0);
	while (atomic_load(&w.written) < 50)
		sleep_ms(5);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	char dir[64], path[96];
	backup_path(dir, path);
	if (db_backup(src->db, path))
		fail_msg("db_backup: %s", db_errmsg(src->db));
	/* a backup never overwrites */
	assert_int_equal(db_backup(src->db, path), HE_CONFLICT);

	struct testdb *copy = restored(path);
	int tables = 0;
	for (const char *const *t = db_tables; *t; t++, tables++) {
		int64_t a, b;
		char ha[65], hb[65];
		assert_int_equal(db_table_digest(src->db, *t, &a, ha), HE_OK);
		assert_int_equal(db_table_digest(copy->db, *t, &b, hb), HE_OK);
		if (a != b || strcmp(ha, hb) != 0)
			fail_msg("%s: %lld rows %s in the source, %lld rows %s restored", *t, (long long)a, ha,
				 (long long)b, hb);
	}
	assert_true(tables > 40);
	assert_int_equal(testdb_int(copy->db, "SELECT count(*) FROM districts WHERE name LIKE 'load %'"),
			 atomic_load(&w.written));

	/* not into a database that holds something, unless replacing it */
	char *msg = NULL;
	db_close(copy->db);
	copy->db = NULL;
	assert_int_equal(db_restore(copy->url, path, false, &msg), HE_CONFLICT);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "--replace"));
	free(msg);
	msg = NULL;
	if (db_restore(copy->url, path, true, &msg))
		fail_msg("restore --replace: %s", msg ? msg : "");
	assert_int_equal(testdb_open(copy), 0);
	assert_int_equal(testdb_int(copy->db, "SELECT count(*) FROM districts WHERE name LIKE 'load %'"),
			 atomic_load(&w.written));
	testdb_free(copy);
	remove_backup(dir, path);
}

/* The digest tells tables apart by content, not only by count. */
static void test_digest_sees_an_edit(void **state)
{
	struct testdb *t = *state;
	int64_t n1, n2;
	char h1[65], h2[65];
	testdb_raw_exec(t, "INSERT INTO districts (name) VALUES ('Abbey')");
	assert_int_equal(db_table_digest(t->db, "districts", &n1, h1), HE_OK);
	testdb_raw_exec(t, "UPDATE districts SET name = 'Abbey ' WHERE name = 'Abbey'");
	assert_int_equal(db_table_digest(t->db, "districts", &n2, h2), HE_OK);
	assert_int_equal(n1, n2);
	assert_string_not_equal(h1, h2);
	assert_int_equal(db_table_digest(t->db, "sqlite_master", &n1, h1), HE_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot_under_writes, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_restore_is_exact, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_digest_sees_an_edit, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
