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
 * closes it and drops the database WITH (FORCE).  Making a database costs
 * most of a PostgreSQL unit test's time, so a migrated one is kept for the
 * next test of the same process instead: before it is handed out again its
 * other connections are ended, and unless its schema differs from the one
 * the migrations made (a test added a trigger, say — then it is dropped and
 * a fresh one made), every table is emptied and given back the rows the
 * migrations seeded, and every sequence its value after migrating.  The
 * kept databases are dropped at exit.
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
	int pooled;        /* PostgreSQL: 1 + its slot in the kept databases, or 0 */
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

/* ---- PostgreSQL: migrated databases kept for the next test ---- */

/* What a kept database is compared with and restored to: its schema's
 * fingerprint, the rows in each table and each sequence's value, all as
 * they were right after migrating (taken from the first one made). */
struct testdb_pg_seed {
	char table[64];
	char *rows;        /* COPY text */
	size_t len;
};
static struct {
	bool taken;
	char fingerprint[400];
	struct testdb_pg_seed *seed;
	size_t nseed;
	char *sequences;   /* SELECT setval(...); ... */
} testdb_pg_base;
static struct {
	char name[64];
	bool busy;
} testdb_pg_kept[4];
static pid_t testdb_pg_owner;	/* the process that keeps them (not a forked child) */

/* Everything a test might change about a schema: any DDL (a table, column,
 * trigger, function, index, grant, ALTER DATABASE … SET) adds, removes or
 * rewrites rows of these catalogs, which gives them a new xmin or a new
 * count; deleting rows and setval() touch none of them. */
#define TESTDB_PG_CATALOG(cat, where) \
	" || ':' || (SELECT count(*) || '/' || coalesce(max(xmin::text::bigint), 0) FROM " cat where ")"
#define TESTDB_PG_FINGERPRINT \
	"SELECT ''" \
	TESTDB_PG_CATALOG("pg_class", "") TESTDB_PG_CATALOG("pg_attribute", "") \
	TESTDB_PG_CATALOG("pg_attrdef", "") TESTDB_PG_CATALOG("pg_trigger", "") \
	TESTDB_PG_CATALOG("pg_proc", "") TESTDB_PG_CATALOG("pg_constraint", "") \
	TESTDB_PG_CATALOG("pg_index", "") TESTDB_PG_CATALOG("pg_namespace", "") \
	TESTDB_PG_CATALOG("pg_type", "") TESTDB_PG_CATALOG("pg_extension", "") \
	TESTDB_PG_CATALOG("pg_rewrite", "") TESTDB_PG_CATALOG("pg_event_trigger", "") \
	TESTDB_PG_CATALOG("pg_db_role_setting", " WHERE setdatabase =" \
			  " (SELECT oid FROM pg_database WHERE datname = current_database())")

/* One text value from sql on c into out; -1 on error. */
static inline int testdb_pg_text(PGconn *c, const char *sql, char *out, size_t outlen)
{
	PGresult *r = PQexec(c, sql);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* COPY table TO STDOUT into *rows (malloc'd, *len bytes); -1 on error. */
static inline int testdb_pg_copy_out(PGconn *c, const char *table, char **rows, size_t *len)
{
	char *id = PQescapeIdentifier(c, table, strlen(table));
	char sql[160];
	snprintf(sql, sizeof sql, "COPY public.%s TO STDOUT", id);
	PQfreemem(id);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COPY_OUT;
	PQclear(r);
	if (!ok)
		return -1;
	*rows = NULL;
	*len = 0;
	char *line;
	int n;
	while ((n = PQgetCopyData(c, &line, 0)) > 0) {
		char *grown = realloc(*rows, *len + (size_t)n);
		if (!grown)
			abort();
		memcpy(grown + *len, line, (size_t)n);
		*rows = grown;
		*len += (size_t)n;
		PQfreemem(line);
	}
	r = PQgetResult(c);
	ok = n == -1 && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	while ((r = PQgetResult(c)))
		PQclear(r);
	return ok ? 0 : -1;
}

/* COPY rows back into table; -1 on error. */
static inline int testdb_pg_copy_in(PGconn *c, const char *table, const char *rows, size_t len)
{
	char *id = PQescapeIdentifier(c, table, strlen(table));
	char sql[160];
	snprintf(sql, sizeof sql, "COPY public.%s FROM STDIN", id);
	PQfreemem(id);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COPY_IN;
	PQclear(r);
	if (!ok)
		return -1;
	ok = PQputCopyData(c, rows, (int)len) == 1 && PQputCopyEnd(c, NULL) == 1;
	r = PQgetResult(c);
	ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	while ((r = PQgetResult(c)))
		PQclear(r);
	return ok ? 0 : -1;
}

/* Take what a freshly migrated database holds as the base; -1 on error. */
static inline int testdb_pg_take_base(PGconn *c)
{
	if (testdb_pg_text(c, TESTDB_PG_FINGERPRINT, testdb_pg_base.fingerprint,
			   sizeof testdb_pg_base.fingerprint))
		return -1;
	PGresult *r = PQexec(c, "SELECT string_agg(format('SELECT setval(%L, %s, %L);',"
			     " quote_ident(schemaname) || '.' || quote_ident(sequencename),"
			     " coalesce(last_value, start_value), last_value IS NOT NULL), ' ')"
			     " FROM pg_sequences WHERE schemaname = 'public'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	testdb_pg_base.sequences = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	r = PQexec(c, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
		      " ORDER BY tablename");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r), rc = 0;
	testdb_pg_base.seed = calloc((size_t)n, sizeof *testdb_pg_base.seed);
	for (int i = 0; i < n && rc == 0; i++) {
		struct testdb_pg_seed *s = &testdb_pg_base.seed[testdb_pg_base.nseed];
		snprintf(s->table, sizeof s->table, "%s", PQgetvalue(r, i, 0));
		rc = testdb_pg_copy_out(c, s->table, &s->rows, &s->len);
		if (rc == 0 && s->len > 0)
			testdb_pg_base.nseed++;
		else
			free(s->rows);
	}
	PQclear(r);
	testdb_pg_base.taken = rc == 0;
	return rc;
}

/* Put a kept database back as the migrations left it: 0, or -1 if it
 * cannot be (its schema was changed, or an error). */
static inline int testdb_pg_reset(const char *name)
{
	PGconn *c = testdb_pg_connect(name);
	char err[300], fp[400];
	int rc = testdb_pg_exec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
				" WHERE datname = current_database() AND pid <> pg_backend_pid()",
				err, sizeof err);
	if (rc == 0)
		rc = testdb_pg_text(c, TESTDB_PG_FINGERPRINT, fp, sizeof fp);
	if (rc == 0 && strcmp(fp, testdb_pg_base.fingerprint) != 0)
		rc = -1;
	/* ordinary triggers (the audit log's guards, foreign keys) are off
	 * for this session, as in testdb_raw_exec */
	if (rc == 0)
		rc = testdb_pg_exec(c, "BEGIN; SET LOCAL session_replication_role = replica;"
				    " DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename"
				    " FROM pg_tables WHERE schemaname = 'public' LOOP"
				    " EXECUTE format('DELETE FROM public.%I', t); END LOOP; END $$",
				    err, sizeof err);
	for (size_t i = 0; rc == 0 && i < testdb_pg_base.nseed; i++)
		rc = testdb_pg_copy_in(c, testdb_pg_base.seed[i].table, testdb_pg_base.seed[i].rows,
				       testdb_pg_base.seed[i].len);
	if (rc == 0 && testdb_pg_base.sequences[0])
		rc = testdb_pg_exec(c, testdb_pg_base.sequences, err, sizeof err);
	if (rc == 0)
		rc = testdb_pg_exec(c, "COMMIT", err, sizeof err);
	PQfinish(c);
	return rc;
}

static inline void testdb_pg_drop_kept(void)
{
	char sql[160];
	if (getpid() != testdb_pg_owner)
		return;
	for (size_t i = 0; i < sizeof testdb_pg_kept / sizeof testdb_pg_kept[0]; i++) {
		if (!testdb_pg_kept[i].name[0])
			continue;
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.63s WITH (FORCE)",
			 testdb_pg_kept[i].name);
		testdb_pg_admin(sql);
		testdb_pg_kept[i].name[0] = '\0';
	}
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
	if (t->pooled) {		/* kept for the next test */
		testdb_pg_kept[t->pooled - 1].busy = false;
		return;
	}
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

/* PostgreSQL: a kept database put back as the migrations left it, or a
 * fresh one migrated and kept (its contents taken as the base if this is
 * the first); opened.  NULL on failure. */
static inline struct testdb *testdb_new_migrated_pg(void)
{
	const size_t nkept = sizeof testdb_pg_kept / sizeof testdb_pg_kept[0];
	size_t slot = nkept;
	for (size_t i = 0; i < nkept; i++)
		if (!testdb_pg_kept[i].busy && testdb_pg_kept[i].name[0]) {
			slot = i;
			break;
		}
	if (slot < nkept && testdb_pg_base.taken && testdb_pg_reset(testdb_pg_kept[slot].name) == 0) {
		struct testdb *t = calloc(1, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", testdb_pg_kept[slot].name);
		testdb_pg_url(testdb_pg_server(), t->name, t->url, sizeof t->url);
		if (testdb_open(t) != 0) {
			free(t);
			return NULL;
		}
		testdb_pg_kept[slot].busy = true;
		t->pooled = (int)slot + 1;
		return t;
	}
	if (slot < nkept) {		/* changed by its last test: made afresh */
		char sql[160];
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.63s WITH (FORCE)",
			 testdb_pg_kept[slot].name);
		testdb_pg_admin(sql);
		testdb_pg_kept[slot].name[0] = '\0';
	} else {
		for (slot = 0; slot < nkept && testdb_pg_kept[slot].name[0]; slot++)
			;
	}
	struct testdb *t = testdb_new();
	if (!t || testdb_open(t) != 0 || testdb_migrate(t) != 0) {
		testdb_free(t);
		return NULL;
	}
	if (!testdb_pg_base.taken) {
		PGconn *c = testdb_pg_connect(t->name);
		int rc = testdb_pg_take_base(c);
		PQfinish(c);
		if (rc != 0)
			fprintf(stderr, "testdb: could not take the migrated database's contents\n");
	}
	if (slot < nkept && testdb_pg_base.taken) {
		static bool registered;
		if (!registered) {
			testdb_pg_owner = getpid();
			atexit(testdb_pg_drop_kept);
		}
		registered = true;
		snprintf(testdb_pg_kept[slot].name, sizeof testdb_pg_kept[slot].name, "%s", t->name);
		testdb_pg_kept[slot].busy = true;
		t->pooled = (int)slot + 1;
	}
	return t;
}

/* A fresh database, opened and migrated; NULL on failure (cleaned up).
 * On PostgreSQL it may be a kept one put back as new (see the top). */
static inline struct testdb *testdb_new_migrated(void)
{
	if (testdb_is_pg())
		return testdb_new_migrated_pg();
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

/* A group of tests that read one seeded database: cmocka's group setup
 * makes it, calls seed on it (which may assert) and hands it to the group
 * as *state; the group's tests without their own setup get it.  Seeding a
 * demo city is most of those files' time, so it is done once, not per
 * test.  Use as
 *     static int seeded_setup(void **state) { return testdb_group_setup(state, seed); }
 * with testdb_group_teardown as the group teardown. */
static inline int testdb_group_setup(void **state, void (*seed)(struct db *db))
{
	struct testdb *t = testdb_new_migrated();
	if (!t)
		return -1;
	seed(t->db);
	*state = t;
	return 0;
}

static inline int testdb_group_teardown(void **state)
{
	testdb_free(*state);
	return 0;
}

#endif
