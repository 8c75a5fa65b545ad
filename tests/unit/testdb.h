/* testdb.h — a throw-away database for unit tests, on either backend.
 *
 * Without HEARTH_TEST_PG in the environment, testdb_setup makes a fresh
 * directory with mkdtemp, opens "sqlite:DIR/t.db" through db.h and applies
 * the real migrations; testdb_teardown closes it and removes the file, its
 * WAL and shared-memory files and the directory.
 *
 * With HEARTH_TEST_PG set to a PostgreSQL server URL
 * ("postgresql://hearth@127.0.0.1:PORT/", a superuser; see
 * tests/run-unit-pg.sh), testdb_setup creates a fresh database on that
 * server, named t_<pid>_<n>, through a maintenance connection to its
 * "postgres" database, then opens and migrates it the same way; teardown
 * closes it and drops the database WITH (FORCE).
 *
 * Use them as cmocka setup/teardown functions:
 *
 *     cmocka_unit_test_setup_teardown(test_x, testdb_setup, testdb_teardown)
 *
 * and reach the connection as ((struct testdb *)*state)->db.  Tests that
 * need more than one database call testdb_new / testdb_open / testdb_free.
 *
 * testdb_raw_exec runs SQL on a second connection outside db.h, the way
 * someone holding the file or a superuser login could: on SQLite the plain
 * sqlite3 library without the authorizer; on PostgreSQL plain libpq with
 * session_replication_role = replica, which disables ordinary triggers
 * (so audit_log can be tampered with).  testdb_backend() says which
 * backend the tests run on, for the few assertions that depend on it.
 * Include after <cmocka.h>. */
#ifndef HEARTH_TESTDB_H
#define HEARTH_TESTDB_H
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "store/db.h"

struct testdb {
	char dir[64];      /* SQLite: the mkdtemp directory */
	char path[96];     /* SQLite: the database file */
	char name[64];     /* PostgreSQL: the database's name */
	char url[512];     /* what db_open is given */
	struct db *db;
};

/* The PostgreSQL server URL to test on, or NULL for SQLite.  A test file
 * that is about SQLite itself defines TESTDB_SQLITE_ONLY before including
 * this header, and then always gets SQLite. */
static inline const char *testdb_pg_server(void)
{
#ifdef TESTDB_SQLITE_ONLY
	return NULL;
#else
	const char *s = getenv("HEARTH_TEST_PG");
	return s && *s ? s : NULL;
#endif
}

/* "sqlite" or "postgresql": the backend these tests run on (the same
 * string db_backend() gives). */
static inline const char *testdb_backend(void)
{
	return testdb_pg_server() ? "postgresql" : "sqlite";
}

static inline bool testdb_is_pg(void)
{
	return testdb_pg_server() != NULL;
}

/* server URL with its database path replaced by dbname, into out; any
 * "?query" part is kept.  false if it does not fit or is not a URL. */
static inline bool testdb_pg_url(const char *server, const char *dbname, char *out,
				 size_t outlen)
{
	const char *hostpart = strstr(server, "://");
	if (!hostpart)
		return false;
	hostpart += 3;
	const char *query = strchr(hostpart, '?');
	size_t hostlen = strcspn(hostpart, "/?");
	int n = snprintf(out, outlen, "%.*s/%s%s", (int)(hostpart - server + hostlen),
			 server, dbname, query ? query : "");
	return n > 0 && (size_t)n < outlen;
}

/* A libpq connection to dbname on the test server; fails the test if it
 * cannot connect.  Notices (e.g. from DROP ... IF EXISTS) are quiet. */
static inline void testdb_pg_quiet(void *arg, const char *message)
{
	(void)arg; (void)message;
}

static inline PGconn *testdb_pg_connect(const char *dbname)
{
	char url[512];
	if (!testdb_pg_url(testdb_pg_server(), dbname, url, sizeof url))
		fail_msg("HEARTH_TEST_PG=%s is not a postgresql:// URL", testdb_pg_server());
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		char m[300];
		snprintf(m, sizeof m, "%s", PQerrorMessage(c));
		PQfinish(c);
		fail_msg("connect %s: %s", url, m);
	}
	PQsetNoticeProcessor(c, testdb_pg_quiet, NULL);
	return c;
}

/* Run sql on c; 0, or -1 with the message in err. */
static inline int testdb_pg_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = 0;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Run sql (no parameters) on the server's maintenance database, over one
 * connection kept for the life of the process (made again if it drops). */
static inline int testdb_pg_admin(const char *sql)
{
	static PGconn *admin;
	char err[300];
	if (admin && PQstatus(admin) != CONNECTION_OK) {
		PQfinish(admin);
		admin = NULL;
	}
	if (!admin)
		admin = testdb_pg_connect("postgres");
	int rc = testdb_pg_exec(admin, sql, err, sizeof err);
	if (rc)
		fprintf(stderr, "testdb: %s: %s", sql, err);
	return rc;
}

/* Create a fresh PostgreSQL database and name it in t. */
static inline int testdb_new_pg(struct testdb *t)
{
	static unsigned counter;
	char sql[128];
	snprintf(t->name, sizeof t->name, "t_%ld_%u", (long)getpid(), ++counter);
	if (!testdb_pg_url(testdb_pg_server(), t->name, t->url, sizeof t->url))
		return -1;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
	if (testdb_pg_admin(sql))
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->name);
	return testdb_pg_admin(sql);
}

/* Make a fresh, empty database (a SQLite directory and file name, or a
 * PostgreSQL database) without opening it; NULL on failure. */
static inline struct testdb *testdb_new(void)
{
	struct testdb *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (testdb_is_pg()) {
		if (testdb_new_pg(t) != 0) {
			free(t);
			return NULL;
		}
		return t;
	}
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

/* Migrate t->db to the latest version; 0 or -1 (message on stderr). */
static inline int testdb_migrate(struct testdb *t)
{
	if (db_migrate(t->db, NULL, NULL) != HE_OK) {
		fprintf(stderr, "db_migrate(%s): %s\n", t->url, db_errmsg(t->db));
		return -1;
	}
	return 0;
}

/* Remove the database: the SQLite file, its -wal, -shm and -journal
 * companions and the directory, or the PostgreSQL database. */
static inline void testdb_remove(struct testdb *t)
{
	if (testdb_is_pg()) {
		char sql[128];
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
		testdb_pg_admin(sql);
		return;
	}
	char p[128];
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

/* Close, remove and free t (NULL is fine). */
static inline void testdb_free(struct testdb *t)
{
	if (!t)
		return;
	db_close(t->db);
	testdb_remove(t);
	free(t);
}

/* A fresh database, opened and migrated; NULL on failure (cleaned up). */
static inline struct testdb *testdb_new_migrated(void)
{
	struct testdb *t = testdb_new();
	if (t && testdb_open(t) == 0 && testdb_migrate(t) == 0)
		return t;
	testdb_free(t);
	return NULL;
}

/* Setup: fresh database, opened but not migrated. */
static inline int testdb_setup_empty(void **state)
{
	struct testdb *t = testdb_new();
	if (!t || testdb_open(t) != 0) {
		testdb_free(t);
		return -1;
	}
	*state = t;
	return 0;
}

/* Setup: fresh database, opened and migrated to the latest version. */
static inline int testdb_setup(void **state)
{
	struct testdb *t = testdb_new_migrated();
	if (!t)
		return -1;
	*state = t;
	return 0;
}

static inline int testdb_teardown(void **state)
{
	testdb_free(*state);
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

/* Run sql on a raw libpq connection to t's database with ordinary
 * triggers disabled; 0, or -1 with the message in err. */
static inline int testdb_raw_exec_pg(const struct testdb *t, const char *sql, char *err,
				     size_t errlen)
{
	PGconn *c = testdb_pg_connect(t->name);
	int rc = testdb_pg_exec(c, "SET session_replication_role = replica", err, errlen);
	if (rc == 0)
		rc = testdb_pg_exec(c, sql, err, errlen);
	PQfinish(c);
	return rc;
}

/* Run sql on a raw sqlite3 connection to t's file (no authorizer); 0, or
 * -1 with the message in err. */
static inline int testdb_raw_exec_sqlite(const struct testdb *t, const char *sql, char *err,
					 size_t errlen)
{
	sqlite3 *h = NULL;
	char *e = NULL;
	int rc = 0;
	if (sqlite3_open_v2(t->path, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "open %s: %s", t->path, h ? sqlite3_errmsg(h) : "?");
		sqlite3_close(h);
		return -1;
	}
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_exec(h, sql, NULL, NULL, &e) != SQLITE_OK) {
		snprintf(err, errlen, "%s", e ? e : "?");
		rc = -1;
	}
	sqlite3_free(e);
	sqlite3_close(h);
	return rc;
}

/* Run sql (no parameters, possibly several statements) on a separate raw
 * connection that bypasses Hearth's protections of audit_log (the SQLite
 * authorizer, the PostgreSQL triggers); asserts success. */
static inline void testdb_raw_exec(const struct testdb *t, const char *sql)
{
	char err[300] = "";
	int rc = testdb_is_pg() ? testdb_raw_exec_pg(t, sql, err, sizeof err)
				: testdb_raw_exec_sqlite(t, sql, err, sizeof err);
	if (rc)
		fail_msg("raw exec %s: %s", sql, err);
}

#endif
