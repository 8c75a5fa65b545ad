/* test_db_sqlite.c — unit tests for src/store/db_sqlite.c, the SQLite
 * backend of db.h: named typed binds, sticky errors that name the SQL,
 * constraint mapping, transactions (nesting refused naming both places,
 * rollback, close rolls back), the authorizer that keeps audit_log
 * append-only, the statement cache, the connection's pragmas, RETURNING,
 * and opening bad URLs and unwritable paths.  Each test runs on a fresh,
 * migrated database file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>

#include "base/err.h"
#include "store/db.h"
#define TESTDB_SQLITE_ONLY
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

/* A scratch table for the binding tests. */
static void make_table(struct db *db)
{
	assert_int_equal(db_exec(db, "CREATE TABLE things ("
		" id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, note TEXT NOT NULL DEFAULT '')"),
		HE_OK);
}

static void insert_thing(struct db *db, const char *name, int64_t n)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO things (name, n) VALUES (:name, :n)");
	db_bind_text(st, ":name", name);
	db_bind_int(st, ":n", n);
	assert_int_equal(db_done(st), HE_OK);
}

/* One minimal valid audit_log row through db.h, as core/audit.c inserts
 * (the authorizer allows INSERT INTO audit_log only then). */
static int insert_audit(struct db *db, int64_t id, const char *summary)
{
	db_audit_append(db, true);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO audit_log (id, at, role, route, action, summary, prev_hash, hash)"
		" VALUES (:id, '2025-01-01T00:00:00Z', 'none', 'test', 'create', :s, 'p', 'h')");
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":s", summary);
	int rc = db_done(st);
	db_audit_append(db, false);
	return rc;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* ---- binds and rows ---------------------------------------------------- */

static void test_named_binds(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	const int64_t big = INT64_C(1) << 40;
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO things (name, n, note) VALUES (:name, :n, :note)");
	db_bind_text(st, ":name", "O'Brien; DROP TABLE things;--");
	db_bind_int(st, ":n", big);
	db_bind_text(st, ":note", "zoë 🏠");
	assert_int_equal(db_done(st), HE_OK);
	assert_int_equal(db_changes(db), 1);

	st = db_prepare(db, "INSERT INTO things (name, n) VALUES (:name, :n)");
	db_bind_text(st, ":name", NULL);   /* NULL text binds SQL NULL */
	db_bind_null(st, ":n");
	assert_int_equal(db_done(st), HE_OK);

	st = db_prepare(db, "SELECT name, n, note FROM things ORDER BY id");
	assert_int_equal(db_column_count(st), 3);
	assert_string_equal(db_column_name(st, 0), "name");
	assert_string_equal(db_column_name(st, 2), "note");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "O'Brien; DROP TABLE things;--");
	assert_int_equal(db_int(st, 1), big);
	assert_false(db_is_null(st, 1));
	assert_string_equal(db_text(st, 2), "zoë 🏠");
	assert_true(db_next(st));
	assert_true(db_is_null(st, 0));
	assert_null(db_text(st, 0));
	assert_true(db_is_null(st, 1));
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_OK);
	assert_string_equal(db_backend(db), "sqlite");
}

static void test_same_name_bound_everywhere(void **state)
{
	struct db *db = DB(state);
	struct db_stmt *st = db_prepare(db, "SELECT :x || '-' || :x, :y + :y");
	db_bind_text(st, ":x", "ab");
	db_bind_int(st, ":y", 21);
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "ab-ab");
	assert_int_equal(db_int(st, 1), 42);
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_unknown_bind_is_sticky(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	static const char sql[] = "INSERT INTO things (name, n) VALUES (:name, :n)";
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_text(st, ":nmae", "typo");      /* no such parameter */
	db_bind_text(st, ":name", "fine");      /* ignored once in error */
	db_bind_int(st, ":n", 1);
	assert_false(db_next(st));              /* never runs */
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_INTERNAL);
	assert_contains(db_errmsg(db), ":nmae");
	assert_contains(db_errmsg(db), sql);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 0);

	/* the colon is part of the name */
	st = db_prepare(db, "SELECT :v");
	db_bind_int(st, "v", 1);
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_INTERNAL);

	/* the same cached literal works again afterwards, error forgotten */
	insert_thing(db, "after", 2);
	assert_int_equal(testdb_int(db, "SELECT n FROM things WHERE name = 'after'"), 2);
}

static void test_prepare_error_is_sticky(void **state)
{
	struct db *db = DB(state);
	static const char sql[] = "SELEKT name FROM nowhere WHERE x = :x";
	struct db_stmt *st = db_prepare(db, sql);
	assert_non_null(st);                    /* never NULL */
	db_bind_text(st, ":x", "ignored");
	db_bind_int(st, ":x", 1);
	db_bind_null(st, ":x");
	assert_int_equal(db_column_count(st), 0);
	assert_false(db_next(st));
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_DB);
	assert_contains(db_errmsg(db), "SELEKT name FROM nowhere");

	st = db_prepare(db, "SELECT x FROM no_such_table");
	assert_false(db_next(st));
	assert_int_equal(db_done(st), HE_DB);
	assert_contains(db_errmsg(db), "no_such_table");
}

static void test_constraint_and_next_after_error(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	insert_thing(db, "one", 1);
	static const char sql[] = "INSERT INTO things (name, n) VALUES (:name, :n)";
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_text(st, ":name", "one");       /* UNIQUE */
	db_bind_int(st, ":n", 2);
	assert_false(db_next(st));
	assert_false(db_next(st));              /* stays failed, does not re-run */
	assert_int_equal(db_finalize(st), HE_DB_CONSTRAINT);
	assert_contains(db_errmsg(db), sql);
	assert_contains(db_errmsg(db), "UNIQUE");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 1);

	/* NOT NULL and CHECK constraints map the same way */
	st = db_prepare(db, "INSERT INTO things (name, note) VALUES ('two', NULL)");
	assert_int_equal(db_done(st), HE_DB_CONSTRAINT);
	assert_int_equal(db_exec(db, "INSERT INTO districts (name) VALUES ('D')"), HE_OK);
	st = db_prepare(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('12345', 'Short URN', 'primary', 1, 'now')");
	assert_int_equal(db_done(st), HE_DB_CONSTRAINT);
}

/* ---- connection settings ------------------------------------------------ */

static void test_wal_and_foreign_keys(void **state)
{
	struct db *db = DB(state);
	struct db_stmt *st = db_prepare(db, "PRAGMA journal_mode");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "wal");
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(testdb_int(db, "PRAGMA foreign_keys"), 1);

	/* and they are enforced: a school in a district that does not exist */
	st = db_prepare(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('123456', 'Orphan School', 'primary', :d, 'now')");
	db_bind_int(st, ":d", 999);
	assert_int_equal(db_done(st), HE_DB_CONSTRAINT);
	assert_contains(db_errmsg(db), "FOREIGN KEY");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM schools"), 0);
}

static void test_returning_id(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	for (int64_t want = 1; want <= 3; want++) {
		struct db_stmt *st = db_prepare(db,
			"INSERT INTO things (name, n) VALUES (:name, :n) RETURNING id, n * 2");
		char name[16];
		snprintf(name, sizeof name, "r%d", (int)want);
		db_bind_text(st, ":name", name);
		db_bind_int(st, ":n", want * 10);
		assert_true(db_next(st));
		assert_int_equal(db_int(st, 0), want);
		assert_int_equal(db_int(st, 1), want * 20);
		assert_false(db_next(st));
		assert_int_equal(db_finalize(st), HE_OK);
	}
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 3);
}

static void test_exec_and_changes(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	assert_int_equal(db_exec(db, "INSERT INTO things (name, n) VALUES ('a', 1);"
		" INSERT INTO things (name, n) VALUES ('b', 2);"
		" INSERT INTO things (name, n) VALUES ('c', 3)"), HE_OK);
	struct db_stmt *st = db_prepare(db, "UPDATE things SET n = n + 1 WHERE n >= :min");
	db_bind_int(st, ":min", 2);
	assert_int_equal(db_done(st), HE_OK);
	assert_int_equal(db_changes(db), 2);
	assert_int_equal(db_exec(db, "INSERT INTO nowhere VALUES (1)"), HE_DB);
	assert_contains(db_errmsg(db), "nowhere");
}

/* ---- transactions ------------------------------------------------------- */

static void test_nested_begin_names_both_places(void **state)
{
	struct db *db = DB(state);
	char first[64], second[64];
	assert_false(db_in_transaction(db));
	int l1 = __LINE__; int rc1 = db_begin(db);
	assert_int_equal(rc1, HE_OK);
	assert_true(db_in_transaction(db));
	int l2 = __LINE__; int rc2 = db_begin(db);
	assert_int_equal(rc2, HE_INTERNAL);
	snprintf(first, sizeof first, "test_db_sqlite.c:%d", l1);
	snprintf(second, sizeof second, "test_db_sqlite.c:%d", l2);
	assert_contains(db_errmsg(db), first);
	assert_contains(db_errmsg(db), second);
	/* the first transaction is still open and commits */
	assert_true(db_in_transaction(db));
	assert_int_equal(db_commit(db), HE_OK);
	assert_false(db_in_transaction(db));
	/* commit with none open is a programming error too */
	int l3 = __LINE__; int rc3 = db_commit(db);
	assert_int_equal(rc3, HE_INTERNAL);
	snprintf(first, sizeof first, "test_db_sqlite.c:%d", l3);
	assert_contains(db_errmsg(db), first);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct testdb *t = *state;
	struct db *db = t->db;
	make_table(db);
	assert_int_equal(db_begin(db), HE_OK);
	insert_thing(db, "gone", 1);
	insert_thing(db, "also gone", 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 2);
	db_rollback(db);
	assert_false(db_in_transaction(db));
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 0);
	db_rollback(db);                        /* none open: harmless */
	assert_false(db_in_transaction(db));

	/* a committed write survives a reopen; closing with a transaction
	 * open rolls it back */
	assert_int_equal(db_begin(db), HE_OK);
	insert_thing(db, "kept", 1);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(db_begin(db), HE_OK);
	insert_thing(db, "dropped at close", 2);
	db_close(db);
	t->db = NULL;
	assert_int_equal(testdb_open(t), 0);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM things"), 1);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM things WHERE name = 'kept'"), 1);
	assert_false(db_in_transaction(t->db));
}

/* ---- the authorizer ------------------------------------------------------ */

static void expect_refused(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int rc = db_done(st);
	if (rc == HE_OK)
		fail_msg("authorizer allowed: %s", sql);
	assert_contains(db_errmsg(db), "audit_log");
}

static void check_audit_untouched(struct db *db)
{
	char got[2][32] = {"", ""};
	int n = 0;
	/* read, finalize, then assert: a failed assertion must not leak */
	struct db_stmt *st = db_prepare(db, "SELECT summary FROM audit_log ORDER BY id");
	while (db_next(st) && n < 2)
		snprintf(got[n++], sizeof got[0], "%s", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 2);
	assert_string_equal(got[0], "first");
	assert_string_equal(got[1], "second");
}

static void test_authorizer_audit_log_append_only(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(insert_audit(db, 1, "first"), HE_OK);   /* INSERT allowed */
	assert_int_equal(insert_audit(db, 2, "second"), HE_OK);

	expect_refused(db, "UPDATE audit_log SET summary = 'rewritten' WHERE id = 1");
	expect_refused(db, "DELETE FROM audit_log WHERE id = 2");
	expect_refused(db, "DELETE FROM audit_log");
	assert_int_not_equal(db_exec(db, "DROP TABLE audit_log"), HE_OK);
	check_audit_untouched(db);

	/* inside a transaction too, and the transaction remains usable */
	assert_int_equal(db_begin(db), HE_OK);
	expect_refused(db, "UPDATE audit_log SET hash = 'x'");
	expect_refused(db, "DELETE FROM audit_log WHERE id = 1");
	assert_int_not_equal(db_exec(db, "DROP TABLE audit_log"), HE_OK);
	assert_int_equal(insert_audit(db, 3, "third"), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 3);

	/* other tables are not affected */
	assert_int_equal(db_exec(db, "INSERT INTO settings (key, value) VALUES ('k', 'v');"
		" UPDATE settings SET value = 'w'; DELETE FROM settings"), HE_OK);
}

/* Renaming the table away (then dropping the renamed copy) is rewriting
 * history by another route.  (SQLite passes the table name of ALTER TABLE
 * in the authorizer's second argument, not its first.) */
static void test_authorizer_refuses_rename(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(insert_audit(db, 1, "first"), HE_OK);
	assert_int_equal(insert_audit(db, 2, "second"), HE_OK);
	int rc = db_exec(db, "ALTER TABLE audit_log RENAME TO audit_old");
	if (rc == HE_OK)
		fail_msg("authorizer allowed ALTER TABLE audit_log RENAME TO audit_old");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM sqlite_master"
		" WHERE name = 'audit_log'"), 1);
	check_audit_untouched(db);
}

/* A trigger on another table that deletes from audit_log.  SQLite
 * authorizes a trigger's body when a statement that fires it is prepared,
 * so the CREATE may pass; the firing must not delete. */
static void test_authorizer_refuses_trigger(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(insert_audit(db, 1, "first"), HE_OK);
	assert_int_equal(insert_audit(db, 2, "second"), HE_OK);
	db_exec(db, "CREATE TRIGGER wipe AFTER INSERT ON settings"
		" BEGIN DELETE FROM audit_log; END");
	db_exec(db, "INSERT INTO settings (key, value) VALUES ('k', 'v')");
	check_audit_untouched(db);
}

/* INSERT OR REPLACE with an existing id deletes the old row and writes a
 * new one: an UPDATE in all but name.  The authorizer only sees an INSERT,
 * so it refuses every INSERT INTO audit_log but audit.c's own
 * (db_audit_append). */
static void test_authorizer_refuses_replace(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(insert_audit(db, 1, "first"), HE_OK);
	assert_int_equal(insert_audit(db, 2, "second"), HE_OK);
	struct db_stmt *st = db_prepare(db,
		"INSERT OR REPLACE INTO audit_log (id, at, role, route, action, summary,"
		" prev_hash, hash) VALUES (1, '2025-01-01T00:00:00Z', 'none', 'test',"
		" 'create', 'rewritten', 'p', 'h')");
	assert_int_not_equal(db_done(st), HE_OK);
	check_audit_untouched(db);
}

/* Any INSERT INTO audit_log but audit.c's (db_audit_append on) is refused,
 * so a row cannot be forged past the chain's writer either. */
static void test_authorizer_refuses_other_inserts(void **state)
{
	struct db *db = DB(state);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO audit_log (id, at, role, route, action, summary, prev_hash, hash)"
		" VALUES (1, '2025-01-01T00:00:00Z', 'none', 'test', 'create', 'forged', 'p', 'h')");
	assert_int_not_equal(db_done(st), HE_OK);
	st = db_prepare(db, "SELECT count(*) FROM audit_log");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), 0);
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(insert_audit(db, 1, "first"), HE_OK);
}

/* An upsert's DO UPDATE is an UPDATE. */
static void test_authorizer_refuses_upsert(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(insert_audit(db, 1, "first"), HE_OK);
	assert_int_equal(insert_audit(db, 2, "second"), HE_OK);
	db_audit_append(db, true);   /* as audit.c: refused as an UPDATE even so */
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO audit_log (id, at, role, route, action, summary, prev_hash,"
		" hash) VALUES (2, 'x', 'none', 'test', 'create', 'upserted', 'p', 'h')"
		" ON CONFLICT (id) DO UPDATE SET summary = excluded.summary");
	assert_int_not_equal(db_done(st), HE_OK);
	db_audit_append(db, false);
	check_audit_untouched(db);
}

/* ---- the statement cache -------------------------------------------------- */

static int64_t lookup_n(struct db *db, const char *name)
{
	struct db_stmt *st = db_prepare(db, "SELECT n FROM things WHERE name = :name");
	db_bind_text(st, ":name", name);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

static void test_statement_cache_reuse(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	char name[32];
	/* the same literal, prepared again and again (more times than the
	 * cache has slots), with fresh binds each time */
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "n%03d", i);
		insert_thing(db, name, i * 3);
	}
	for (int i = 199; i >= 0; i -= 7) {
		snprintf(name, sizeof name, "n%03d", i);
		assert_int_equal(lookup_n(db, name), i * 3);
	}
	assert_int_equal(lookup_n(db, "absent"), -1);
	/* a statement left half-read is reset before its next use */
	struct db_stmt *st = db_prepare(db, "SELECT n FROM things ORDER BY n");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), 0);
	assert_int_equal(db_finalize(st), HE_OK);
	st = db_prepare(db, "SELECT n FROM things ORDER BY n");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), 0);  /* from the start, not the second row */
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_statement_cache_two_live(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	insert_thing(db, "a", 1);
	insert_thing(db, "b", 2);
	insert_thing(db, "c", 3);
	/* nested iteration over the same SQL text: each needs its own handle */
	int64_t pairs = 0, sum = 0;
	struct db_stmt *outer = db_prepare(db, "SELECT n FROM things WHERE n >= :min ORDER BY n");
	db_bind_int(outer, ":min", 1);
	while (db_next(outer)) {
		int64_t o = db_int(outer, 0);
		struct db_stmt *inner = db_prepare(db,
			"SELECT n FROM things WHERE n >= :min ORDER BY n");
		db_bind_int(inner, ":min", o);
		while (db_next(inner)) {
			pairs++;
			sum += o * 10 + db_int(inner, 0);
		}
		assert_int_equal(db_finalize(inner), HE_OK);
		assert_int_equal(db_int(outer, 0), o);  /* outer row untouched */
	}
	assert_int_equal(db_finalize(outer), HE_OK);
	assert_int_equal(pairs, 6);  /* (1,1)(1,2)(1,3)(2,2)(2,3)(3,3) */
	assert_int_equal(sum, 11 + 12 + 13 + 22 + 23 + 33);

	/* two live at once, finalized in creation order */
	struct db_stmt *a = db_prepare(db, "SELECT n FROM things WHERE name = :name");
	struct db_stmt *b = db_prepare(db, "SELECT n FROM things WHERE name = :name");
	db_bind_text(a, ":name", "a");
	db_bind_text(b, ":name", "c");
	assert_true(db_next(a));
	assert_true(db_next(b));
	assert_int_equal(db_int(a, 0), 1);
	assert_int_equal(db_int(b, 0), 3);
	assert_int_equal(db_finalize(a), HE_OK);
	assert_int_equal(db_finalize(b), HE_OK);
	assert_int_equal(lookup_n(db, "b"), 2);
}

/* SQL in a reused buffer, and more distinct texts than the cache holds:
 * a text at a recycled address must not be served another's plan. */
static void test_statement_cache_overflow_and_recycled_text(void **state)
{
	struct db *db = DB(state);
	char sql[64];
	for (int i = 0; i < 150; i++) {
		snprintf(sql, sizeof sql, "SELECT :v + %d", i);
		struct db_stmt *st = db_prepare(db, sql);
		db_bind_int(st, ":v", 1000);
		assert_true(db_next(st));
		assert_int_equal(db_int(st, 0), 1000 + i);
		assert_int_equal(db_finalize(st), HE_OK);
	}
	for (int i = 0; i < 5; i++) {
		char *heap = strdup(i % 2 ? "SELECT 'odd'" : "SELECT 'even'");
		struct db_stmt *st = db_prepare(db, heap);
		assert_true(db_next(st));
		assert_string_equal(db_text(st, 0), i % 2 ? "odd" : "even");
		assert_int_equal(db_finalize(st), HE_OK);
		free(heap);
	}
}

/* ---- opening ------------------------------------------------------------------ */

static void test_open_bad_urls(void **state)
{
	(void)state;
	const char *bad[] = {"mysql://x/y", "hearth.db",
		"", "SQLITE:/tmp/x.db", NULL};
	for (int i = 0; bad[i]; i++) {
		struct db *db = (struct db *)1;
		char *msg = NULL;
		int rc = db_open(bad[i], &db, &msg);
		if (rc != HE_USAGE)
			fail_msg("db_open(\"%s\") = %d, want HE_USAGE", bad[i], rc);
		assert_null(db);
		assert_non_null(msg);
		assert_true(strlen(msg) > 10);
		assert_contains(msg, "sqlite:");
		free(msg);
	}
	struct db *db = NULL;
	assert_int_equal(db_open("nope:x", &db, NULL), HE_USAGE);  /* errmsg optional */
	assert_null(db);
	db_close(NULL);
	/* A PostgreSQL URL goes to libpq: with nothing listening it is a clean
	 * "unavailable" naming PostgreSQL, not a crash or a usage error. */
	char *msg = NULL;
	assert_int_equal(db_open("postgresql://hearth@127.0.0.1:1/none?connect_timeout=2", &db, &msg),
			 HE_UNAVAILABLE);
	assert_null(db);
	assert_non_null(msg);
	assert_contains(msg, "PostgreSQL");
	free(msg);
}

static void test_open_unwritable_path(void **state)
{
	(void)state;
	struct testdb *t = testdb_new();
	assert_non_null(t);
	/* a path under a regular file cannot be created, even by root */
	char file[128], url[200];
	snprintf(file, sizeof file, "%s/plain", t->dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("not a directory\n", fp);
	fclose(fp);
	snprintf(url, sizeof url, "sqlite:%s/sub/x.db", file);
	struct db *db = (struct db *)1;
	char *msg = NULL;
	int rc = db_open(url, &db, &msg);
	assert_int_not_equal(rc, HE_OK);
	assert_null(db);
	assert_non_null(msg);
	assert_contains(msg, file);
	free(msg);

	/* a file that is not a database */
	snprintf(url, sizeof url, "sqlite:%s", file);
	db = (struct db *)1;
	msg = NULL;
	rc = db_open(url, &db, &msg);
	assert_int_not_equal(rc, HE_OK);
	assert_null(db);
	assert_non_null(msg);
	free(msg);

	unlink(file);
	testdb_remove(t);
	free(t);
}

/* The connection's PRAGMA mmap_size now. */
static int64_t mmap_size(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "PRAGMA mmap_size");
	int64_t v = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return v;
}

static int64_t count_things(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*), sum(n) FROM things");
	int64_t v = db_next(st) ? db_int(st, 0) * 1000 + db_int(st, 1) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return v;
}

/* A connection opens with memory-mapped reads; db_map_reads turns the map
 * off (the server's default for requests) and on again (report routes),
 * saying so only when the state changes, and reads see the same rows —
 * also rows another connection committed while this one was mapped. */
static void test_map_reads(void **state)
{
	struct db *db = DB(state), *other = NULL;
	make_table(db);
	insert_thing(db, "a", 1);
	assert_true(mmap_size(db) > 0);
	assert_int_equal(count_things(db), 1001);
	db_map_reads(db, false);
	assert_int_equal(mmap_size(db), 0);
	db_map_reads(db, false);
	assert_int_equal(mmap_size(db), 0);
	assert_int_equal(count_things(db), 1001);
	db_map_reads(db, true);
	assert_true(mmap_size(db) > 0);
	assert_int_equal(db_open(((struct testdb *)*state)->url, &other, NULL), HE_OK);
	insert_thing(other, "b", 2);
	db_close(other);
	assert_int_equal(count_things(db), 2003);
	db_map_reads(db, false);
	assert_int_equal(count_things(db), 2003);
}

/* ---- checkpoints taken over (db_log_watch, db_checkpoint) -------------- */

static void most_pages(void *arg, int pages)
{
	int *most = arg;
	if (pages > *most)
		*most = pages;
}

/* Frames in the log now, as a passive checkpoint reports them. */
static int64_t log_frames(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "PRAGMA wal_checkpoint(PASSIVE)");
	assert_true(db_next(st));
	int64_t frames = db_int(st, 1);
	assert_int_equal(db_finalize(st), HE_OK);
	return frames;
}

/* n commits of a row each (a frame or more each). */
static void commits(struct db *db, int from, int n)
{
	char name[32];
	for (int i = from; i < from + n; i++) {
		snprintf(name, sizeof name, "t%d", i);
		insert_thing(db, name, i);
	}
}

/* A watched connection's commits no longer checkpoint: the log grows past
 * DB_LOG_PAGES and the hook hears of it after each commit from there.  A
 * passive checkpoint on another connection copies it whole, and the next
 * commit, with no reader on an older snapshot, starts it afresh.  A
 * reader that stays on an older snapshot keeps the log from being copied
 * whole, even by a restarting checkpoint, which waits for it only
 * briefly; once it has gone, a restarting checkpoint has the next commit
 * start afresh.  Without the watch the commits checkpoint again. */
static void test_log_watch_and_checkpoint(void **state)
{
	struct db *db = DB(state), *other = NULL, *reader = NULL;
	const char *url = ((struct testdb *)*state)->url;
	make_table(db);
	int most = 0;
	assert_true(db_log_watch(db, most_pages, &most));
	commits(db, 0, DB_LOG_PAGES + 500);
	/* a commit that checkpointed would have started the log afresh */
	assert_true(most >= DB_LOG_PAGES + 500);
	assert_int_equal(db_open(url, &other, NULL), HE_OK);
	bool whole = false;
	assert_int_equal(db_checkpoint(other, false, &whole), HE_OK);
	assert_true(whole);
	most = 0;
	commits(db, 10000, 1);
	assert_int_equal(most, 0);
	assert_true(log_frames(other) < 10);
	/* a reader on an older snapshot */
	commits(db, 20000, DB_LOG_PAGES + 10);
	assert_int_equal(db_open(url, &reader, NULL), HE_OK);
	struct db_stmt *st = db_prepare(reader, "SELECT name FROM things");
	assert_true(db_next(st));
	commits(db, 30000, 5);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(db_checkpoint(other, true, &whole), HE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_false(whole);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	commits(db, 40000, 1);
	assert_true(log_frames(other) > DB_LOG_PAGES);
	assert_int_equal(db_finalize(st), HE_OK);
	db_close(reader);
	assert_int_equal(db_checkpoint(other, true, &whole), HE_OK);
	assert_true(whole);
	commits(db, 50000, 1);
	assert_true(log_frames(other) < 10);
	/* watched no more: the commits checkpoint themselves */
	assert_true(db_log_watch(db, NULL, NULL));
	most = 0;
	commits(db, 60000, DB_LOG_PAGES + 500);
	assert_int_equal(most, 0);
	assert_true(log_frames(other) < DB_LOG_PAGES);
	db_close(other);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"),
			 3 * DB_LOG_PAGES + 1010 + 8);
}

/* A bulk load reads through its page cache, not the map (its RSS is then
 * its own memory); afterwards the connection maps again if it did. */
static void test_bulk_unmapped(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	insert_thing(db, "a", 1);
	assert_true(mmap_size(db) > 0);
	db_bulk(db, true);
	assert_int_equal(mmap_size(db), 0);
	assert_int_equal(count_things(db), 1001);
	db_bulk(db, false);
	assert_true(mmap_size(db) > 0);
	db_map_reads(db, false);
	db_bulk(db, true);
	assert_int_equal(mmap_size(db), 0);
	db_bulk(db, false);
	assert_int_equal(mmap_size(db), 0);  /* was unmapped before: stays so */
	db_map_reads(db, true);
	assert_true(mmap_size(db) > 0);
}

static void journal_mode(struct db *db, char out[16])
{
	struct db_stmt *st = db_prepare(db, "PRAGMA journal_mode");
	assert_true(db_next(st));
	snprintf(out, 16, "%s", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
}

/* db_bulk_alone: with no other connection open the load writes through a
 * rollback journal (synchronous FULL), and db_bulk(db, false) brings the
 * WAL back; a rollback in between leaves nothing.  With another
 * connection open, or inside a transaction, nothing changes: the WAL
 * stays, and the other connection goes on reading and writing. */
static void test_bulk_alone(void **state)
{
	struct db *db = DB(state);
	char mode[16];
	make_table(db);
	db_bulk(db, true);
	assert_int_equal(db_begin(db), HE_OK);
	assert_false(db_bulk_alone(db));              /* inside a transaction */
	db_rollback(db);
	assert_true(db_bulk_alone(db));
	journal_mode(db, mode);
	assert_string_equal(mode, "delete");
	assert_int_equal(testdb_int(db, "PRAGMA synchronous"), 2);   /* FULL */
	assert_int_equal(db_begin(db), HE_OK);
	insert_thing(db, "gone", 1);
	db_rollback(db);
	assert_int_equal(db_begin(db), HE_OK);
	for (int i = 0; i < 2000; i++) {
		char name[16];
		snprintf(name, sizeof name, "t%d", i);
		insert_thing(db, name, i);
	}
	assert_int_equal(db_commit(db), HE_OK);
	db_bulk(db, false);
	journal_mode(db, mode);
	assert_string_equal(mode, "wal");
	assert_int_equal(testdb_int(db, "PRAGMA synchronous"), 1);   /* NORMAL */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 2000);

	struct db *other;
	assert_int_equal(db_open(((struct testdb *)*state)->url, &other, NULL), HE_OK);
	assert_int_equal(testdb_int(other, "SELECT count(*) FROM things"), 2000);
	db_bulk(db, true);
	assert_false(db_bulk_alone(db));              /* not alone: the WAL stays */
	journal_mode(db, mode);
	assert_string_equal(mode, "wal");
	assert_int_equal(db_begin(db), HE_OK);
	insert_thing(db, "more", 1);
	assert_int_equal(db_commit(db), HE_OK);
	db_bulk(db, false);
	insert_thing(other, "other", 2);
	assert_int_equal(testdb_int(other, "SELECT count(*) FROM things"), 2002);
	db_close(other);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 2002);
}

/* ---- secondary indexes set aside for a bulk load ---------------------- */

/* The definitions of things' objects of type ("index", "trigger") as the
 * catalog holds them, in name order. */
static void things_defs(struct db *db, const char *type, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(db, "SELECT COALESCE(group_concat(name || ': ' || sql, '; '), '') FROM (SELECT name, sql FROM sqlite_master WHERE type = :type AND tbl_name = 'things' ORDER BY name)");
	db_bind_text(st, ":type", type);
	assert_true(db_next(st));
	snprintf(out, n, "%s", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
}

static void index_defs(struct db *db, char *out, size_t n)
{
	things_defs(db, "index", out, n);
}

/* db_indexes_set_aside drops the indexes CREATE INDEX made (plain and
 * partial), never the primary or unique keys; db_indexes_restore, the
 * commit or the rollback bring back exactly the definitions there were. */
static void test_indexes_set_aside(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	assert_int_equal(db_exec(db, "CREATE INDEX things_n ON things(n)"), HE_OK);
	assert_int_equal(db_exec(db, "CREATE INDEX things_note ON things(note) WHERE n > 0"), HE_OK);
	char before[1024], now[1024];
	index_defs(db, before, sizeof before);
	int64_t all = testdb_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'things'");
	int n = -1;
	/* outside a transaction: refused, nothing dropped */
	assert_int_equal(db_indexes_set_aside(db, "things", &n), HE_INTERNAL);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'things'"), all);

	/* restored explicitly, then committed */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_indexes_set_aside(db, "things", &n), HE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'things'"), all - 2);
	insert_thing(db, "a", 1);
	struct db_stmt *st = db_prepare(db, "INSERT INTO things (name, n) VALUES ('a', 2)");
	assert_int_equal(db_done(st), HE_DB_CONSTRAINT);  /* the unique key stayed */
	assert_int_equal(db_indexes_restore(db), HE_OK);
	assert_int_equal(db_indexes_restore(db), HE_OK);  /* nothing left: a no-op */
	assert_int_equal(db_commit(db), HE_OK);
	index_defs(db, now, sizeof now);
	assert_string_equal(now, before);

	/* rolled back: the indexes are there again */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_indexes_set_aside(db, "things", &n), HE_OK);
	assert_int_equal(n, 2);
	insert_thing(db, "b", 2);
	db_rollback(db);
	index_defs(db, now, sizeof now);
	assert_string_equal(now, before);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 1);

	/* committed while set aside: the commit creates them first */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_indexes_set_aside(db, "things", NULL), HE_OK);
	insert_thing(db, "c", 3);
	assert_int_equal(db_commit(db), HE_OK);
	index_defs(db, now, sizeof now);
	assert_string_equal(now, before);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things WHERE n > 0"), 2);

	/* a table with none: nothing to do */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_indexes_set_aside(db, "audit_log_nothing", &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(db_commit(db), HE_OK);
}

/* ---- rows from memory for set-based statements (db_rows_set) ---------- */

struct row_fix {
	const char *name;
	int64_t n;
	bool n_null;
	const char *note;
};

static const struct row_fix row_fixes[] = {
	{"plain", 7, false, "a note"},
	{"odd\ttab", 0, true, "line\nbreak, back\\slash and 'quote' Zo\xc3\xab"},
	{"no note", -42, false, NULL},
};

static const struct db_col row_cols[] = {
	{"name", DB_COL_TEXT}, {"n", DB_COL_INT}, {"note", DB_COL_TEXT},
};

static void row_value(void *arg, int row, int col, struct db_value *v)
{
	const struct row_fix *f = (const struct row_fix *)arg + row;
	if (col == 0)
		v->text = f->name;
	else if (col == 1) {
		v->i = f->n;
		v->null = f->n_null;
	} else
		v->text = f->note;
}

static void rows_read(struct db *db, const char *sql, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(db, sql);
	assert_true(db_next(st));
	snprintf(out, n, "%s", db_text(st, 0) ? db_text(st, 0) : "(none)");
	assert_int_equal(db_finalize(st), HE_OK);
}

/* db_rows_set hands the caller's rows to statements as a table: every
 * value comes back as given (NULLs, tabs, line breaks, backslashes,
 * quotes, UTF-8), an INSERT … SELECT copies them, each call replaces the
 * rows, and the table comes back after a rollback or db_bulk took it. */
static void test_rows_set(void **state)
{
	struct db *db = DB(state);
	char got[512];
	make_table(db);
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_rows_set(db, "stage_things", row_cols, 3, 3, row_value,
				     (void *)row_fixes), HE_OK);
	rows_read(db, "SELECT group_concat(name || '|' || COALESCE(n, 'null') || '|' || COALESCE(note, 'null'), ';') FROM stage_things", got, sizeof got);
	assert_string_equal(got, "plain|7|a note;odd\ttab|null|line\nbreak, back\\slash and 'quote'"
			    " Zo\xc3\xab;no note|-42|null");
	/* the declared types: integers and texts as given, no conversion */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM stage_things WHERE typeof(name) = 'text'"
				    " AND typeof(n) IN ('integer', 'null') AND typeof(note) IN ('text', 'null')"), 3);
	assert_int_equal(db_done(db_prepare(db, "INSERT INTO things (name, n, note) SELECT name, n,"
					    " COALESCE(note, '') FROM stage_things WHERE true")), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things WHERE n IS NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT sum(n) FROM things"), -35);
	/* replaced: one row, then none */
	assert_int_equal(db_rows_set(db, "stage_things", row_cols, 3, 1, row_value,
				     (void *)(row_fixes + 2)), HE_OK);
	rows_read(db, "SELECT group_concat(name || '|' || COALESCE(n, 'null') || '|' || COALESCE(note, 'null'), ';') FROM stage_things", got, sizeof got);
	assert_string_equal(got, "no note|-42|null");
	assert_int_equal(db_rows_set(db, "stage_things", row_cols, 3, 0, NULL, NULL), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM stage_things"), 0);
	db_rollback(db);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM things"), 0);
	/* after the rollback, outside a transaction: there again */
	assert_int_equal(db_rows_set(db, "stage_things", row_cols, 3, 2, row_value,
				     (void *)row_fixes), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM stage_things"), 2);
	/* and after each change of temp_store (db_bulk), which drops every
	 * temporary table without a rollback */
	for (int on = 1; on >= 0; on--) {
		db_bulk(db, on);
		assert_int_equal(db_rows_set(db, "stage_things", row_cols, 3, 2 - on, row_value,
					     (void *)row_fixes), HE_OK);
		assert_int_equal(testdb_int(db, "SELECT count(*) FROM stage_things"), 2 - on);
	}
	/* refused: other columns for the same table, names not plain, no rows function */
	assert_int_equal(db_rows_set(db, "stage_things", row_cols, 2, 1, row_value,
				     (void *)row_fixes), HE_INTERNAL);
	assert_int_equal(db_rows_set(db, "stage things", row_cols, 3, 1, row_value,
				     (void *)row_fixes), HE_INTERNAL);
	const struct db_col bad[] = {{"name;", DB_COL_TEXT}};
	assert_int_equal(db_rows_set(db, "stage_bad", bad, 1, 1, row_value, (void *)row_fixes),
			 HE_INTERNAL);
	assert_int_equal(db_rows_set(db, "stage_things", row_cols, 3, 1, NULL, NULL), HE_INTERNAL);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM stage_things"), 2);
}

/* ---- triggers set aside for a bulk load -------------------------------- */

static void trigger_defs(struct db *db, char *out, size_t n)
{
	things_defs(db, "trigger", out, n);
}

/* db_triggers_set_aside drops every trigger of the table (writes meanwhile
 * fire none); db_triggers_restore, the commit or the rollback bring back
 * exactly the definitions there were, firing in the same order. */
static void test_triggers_set_aside(void **state)
{
	struct db *db = DB(state);
	make_table(db);
	assert_int_equal(db_exec(db, "CREATE TABLE thing_log (seq INTEGER PRIMARY KEY, what TEXT);"
		" CREATE TRIGGER things_log_a AFTER INSERT ON things BEGIN"
		" INSERT INTO thing_log (seq, what) SELECT (SELECT count(*) FROM thing_log), 'a:' || NEW.name; END;"
		" CREATE TRIGGER things_log_b AFTER INSERT ON things BEGIN"
		" INSERT INTO thing_log (seq, what) SELECT (SELECT count(*) FROM thing_log), 'b:' || NEW.name; END;"), HE_OK);
	char before[2048], now[2048], order[64];
	trigger_defs(db, before, sizeof before);
	assert_non_null(strstr(before, "things_log_a"));
	int n = -1;
	assert_int_equal(db_triggers_set_aside(db, "things", &n), HE_INTERNAL);  /* no transaction */
	insert_thing(db, "z", 0);
	snprintf(order, sizeof order, "%s", testdb_int(db, "SELECT count(*) FROM thing_log") == 2 &&
		 testdb_int(db, "SELECT count(*) FROM thing_log WHERE seq = 1 AND what = 'a:z'") == 1
		 ? "a second" : "a first");

	/* set aside: an insert fires nothing; restored: both fire again */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_triggers_set_aside(db, "things", &n), HE_OK);
	assert_int_equal(n, 2);
	insert_thing(db, "a", 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM thing_log"), 2);
	assert_int_equal(db_triggers_restore(db), HE_OK);
	assert_int_equal(db_triggers_restore(db), HE_OK);  /* nothing left: a no-op */
	insert_thing(db, "b", 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM thing_log"), 4);
	assert_int_equal(db_commit(db), HE_OK);
	trigger_defs(db, now, sizeof now);
	assert_string_equal(now, before);
	/* the same order as before */
	assert_int_equal(testdb_int(db, strcmp(order, "a second") == 0
		? "SELECT count(*) FROM thing_log WHERE seq = 3 AND what = 'a:b'"
		: "SELECT count(*) FROM thing_log WHERE seq = 3 AND what = 'b:b'"), 1);

	/* rolled back: there again */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_triggers_set_aside(db, "things", &n), HE_OK);
	db_rollback(db);
	trigger_defs(db, now, sizeof now);
	assert_string_equal(now, before);

	/* committed while set aside: the commit creates them first */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(db_triggers_set_aside(db, "things", NULL), HE_OK);
	insert_thing(db, "c", 3);
	assert_int_equal(db_commit(db), HE_OK);
	trigger_defs(db, now, sizeof now);
	assert_string_equal(now, before);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM thing_log"), 4);
	insert_thing(db, "d", 4);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM thing_log"), 6);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_named_binds),
		T(test_same_name_bound_everywhere),
		T(test_unknown_bind_is_sticky),
		T(test_prepare_error_is_sticky),
		T(test_constraint_and_next_after_error),
		T(test_wal_and_foreign_keys),
		T(test_returning_id),
		T(test_exec_and_changes),
		T(test_nested_begin_names_both_places),
		T(test_rollback_leaves_nothing),
		T(test_authorizer_audit_log_append_only),
		T(test_authorizer_refuses_rename),
		T(test_authorizer_refuses_trigger),
		T(test_authorizer_refuses_upsert),
		T(test_authorizer_refuses_replace),
		T(test_authorizer_refuses_other_inserts),
		T(test_statement_cache_reuse),
		T(test_statement_cache_two_live),
		T(test_statement_cache_overflow_and_recycled_text),
		T(test_map_reads),
		T(test_log_watch_and_checkpoint),
		T(test_indexes_set_aside),
		T(test_rows_set),
		T(test_triggers_set_aside),
		T(test_bulk_unmapped),
		T(test_bulk_alone),
		cmocka_unit_test(test_open_bad_urls),
		cmocka_unit_test(test_open_unwritable_path),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
