/* testdb.h — a throw-away SQLite database for unit tests.
 *
 * testdb_setup makes a fresh directory with mkdtemp, opens
 * "sqlite:DIR/t.db" through db.h and applies the real migrations;
 * testdb_teardown closes it and removes the file, its WAL and shared-memory
 * files and the directory.  Use them as cmocka setup/teardown functions:
 *
 *     cmocka_unit_test_setup_teardown(test_x, testdb_setup, testdb_teardown)
 *
 * and reach the connection as ((struct testdb *)*state)->db.
 *
 * testdb_raw_exec runs SQL on a second connection opened with the plain
 * sqlite3 library: no authorizer, so tests can tamper with audit_log the
 * way someone holding the file could.  Include after <cmocka.h>. */
#ifndef HEARTH_TESTDB_H
#define HEARTH_TESTDB_H
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "store/db.h"

struct testdb {
	char dir[64];
	char path[96];
	char url[128];
	struct db *db;
};

/* Make the directory and name the file, without opening it. */
static inline struct testdb *testdb_new(void)
{
	struct testdb *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	snprintf(t->dir, sizeof t->dir, "/tmp/hearth-unit-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return NULL;
	}
	snprintf(t->path, sizeof t->path, "%s/t.db", t->dir);
	snprintf(t->url, sizeof t->url, "sqlite:%s", t->path);
	return t;
}

/* Open t->url into t->db; 0 or -1 (message on stderr). */
static inline int testdb_open(struct testdb *t)
{
	char *msg = NULL;
	int rc = db_open(t->url, &t->db, &msg);
	if (rc != HE_OK) {
		fprintf(stderr, "db_open(%s): %d %s\n", t->url, rc, msg ? msg : "?");
		free(msg);
		return -1;
	}
	return 0;
}

/* Setup: fresh directory, opened but not migrated. */
static inline int testdb_setup_empty(void **state)
{
	struct testdb *t = testdb_new();
	if (!t || testdb_open(t) != 0)
		return -1;
	*state = t;
	return 0;
}

/* Setup: fresh directory, opened and migrated to the latest version. */
static inline int testdb_setup(void **state)
{
	if (testdb_setup_empty(state) != 0)
		return -1;
	struct testdb *t = *state;
	if (db_migrate(t->db, NULL, NULL) != HE_OK) {
		fprintf(stderr, "db_migrate: %s\n", db_errmsg(t->db));
		return -1;
	}
	return 0;
}

/* Remove the file, its -wal and -shm companions and the directory. */
static inline void testdb_remove(struct testdb *t)
{
	char p[128];
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

static inline int testdb_teardown(void **state)
{
	struct testdb *t = *state;
	if (!t)
		return 0;
	db_close(t->db);
	testdb_remove(t);
	free(t);
	*state = NULL;
	return 0;
}

/* The first column of the first row of sql (no parameters), asserting the
 * statement succeeds; -1 if there is no row. */
static inline int64_t testdb_int(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	int rc = db_finalize(st);
	if (rc != HE_OK)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return n;
}

/* Run sql on a separate raw sqlite3 connection (no authorizer); asserts
 * success. */
static inline void testdb_raw_exec(const struct testdb *t, const char *sql)
{
	sqlite3 *h = NULL;
	char *err = NULL;
	if (sqlite3_open_v2(t->path, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("raw open %s: %s", t->path, h ? sqlite3_errmsg(h) : "?");
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		char m[300];
		snprintf(m, sizeof m, "%s", err ? err : "?");
		sqlite3_free(err);
		sqlite3_close(h);
		fail_msg("raw exec %s: %s", sql, m);
	}
	sqlite3_close(h);
}

#endif
