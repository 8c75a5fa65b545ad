/* test_migrate.c — unit tests for src/store/migrate.c: a fresh database is
 * brought to db_latest_version() with its tables and a schema_migrations
 * row per version; running again (or after a reopen) changes nothing; a
 * database newer than the binary is refused with HE_DB_SCHEMA; a migration
 * that fails leaves the database at the previous version, with nothing of
 * the failed migration half-applied.  Runs on SQLite, or on PostgreSQL when
 * HEARTH_TEST_PG is set (testdb.h); only the catalogue queries differ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/db.h"
#include "testdb.h"

/* 1 if the table exists, 0 if not: the catalogue differs by backend. */
static int64_t table_exists(struct db *db, const char *name)
{
	struct db_stmt *st = testdb_is_pg()
		? db_prepare(db, "SELECT count(*) FROM information_schema.tables"
			     " WHERE table_schema = current_schema() AND table_name = :n")
		: db_prepare(db, "SELECT count(*) FROM sqlite_master"
			     " WHERE type = 'table' AND name = :n");
	db_bind_text(st, ":n", name);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

static void test_latest_version(void **state)
{
	(void)state;
	assert_true(db_latest_version() >= 1);
}

static void test_fresh_database(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int from = -1, to = -1;
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(db_migrate(db, &from, &to), HE_OK);
	assert_int_equal(from, 0);
	assert_int_equal(to, db_latest_version());
	assert_int_equal(db_schema_version(db), db_latest_version());
	assert_false(db_in_transaction(db));
	const char *tables[] = {"schema_migrations", "districts", "schools", "users",
		"sessions", "login_failures", "audit_log", "settings", NULL};
	for (int i = 0; tables[i]; i++)
		if (table_exists(db, tables[i]) != 1)
			fail_msg("table %s missing after migration", tables[i]);
	/* one row per version, each with its UTC time of application */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM schema_migrations"),
			 db_latest_version());
	assert_int_equal(testdb_int(db, "SELECT min(version) FROM schema_migrations"), 1);
	assert_int_equal(testdb_int(db, testdb_is_pg()
		? "SELECT count(*) FROM schema_migrations"
		  " WHERE applied_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'"
		: "SELECT count(*) FROM schema_migrations"
		  " WHERE applied_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'"),
		db_latest_version());
}

static void test_second_run_is_noop(void **state)
{
	struct testdb *t = *state;
	int from = -1, to = -1;
	assert_int_equal(db_migrate(t->db, NULL, NULL), HE_OK);
	assert_int_equal(db_exec(t->db, "INSERT INTO districts (name) VALUES ('Kept')"), HE_OK);
	assert_int_equal(db_migrate(t->db, &from, &to), HE_OK);
	assert_int_equal(from, db_latest_version());
	assert_int_equal(to, db_latest_version());
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM schema_migrations"),
			 db_latest_version());
	/* and after reopening the file */
	db_close(t->db);
	t->db = NULL;
	assert_int_equal(testdb_open(t), 0);
	from = to = -1;
	assert_int_equal(db_migrate(t->db, &from, &to), HE_OK);
	assert_int_equal(from, db_latest_version());
	assert_int_equal(to, db_latest_version());
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM districts"), 1);
}

static void test_newer_than_binary(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	assert_int_equal(db_migrate(db, NULL, NULL), HE_OK);
	assert_int_equal(db_exec(db, "INSERT INTO schema_migrations (version, applied_at)"
		" VALUES (999, '2099-01-01T00:00:00Z')"), HE_OK);
	int from = -1;
	assert_int_equal(db_schema_version(db), 999);
	assert_int_equal(db_migrate(db, &from, NULL), HE_DB_SCHEMA);
	assert_int_equal(from, 999);
	assert_false(db_in_transaction(db));
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM schema_migrations"),
			 db_latest_version() + 1);
}

/* A table the first migration creates already exists: the migration fails
 * part-way, and everything it did before the failure is rolled back. */
static void test_failed_migration_rolls_back(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	assert_int_equal(db_exec(db, "CREATE TABLE users (x INTEGER)"), HE_OK);
	int rc = db_migrate(db, NULL, NULL);
	assert_int_not_equal(rc, HE_OK);
	assert_false(db_in_transaction(db));
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM schema_migrations"), 0);
	assert_int_equal(table_exists(db, "districts"), 0);   /* created before users */
	assert_int_equal(table_exists(db, "schools"), 0);
	assert_int_equal(table_exists(db, "audit_log"), 0);
	/* remove the obstacle and it applies cleanly */
	assert_int_equal(db_exec(db, "DROP TABLE users"), HE_OK);
	assert_int_equal(db_migrate(db, NULL, NULL), HE_OK);
	assert_int_equal(db_schema_version(db), db_latest_version());
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latest_version),
		cmocka_unit_test_setup_teardown(test_fresh_database, testdb_setup_empty,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_second_run_is_noop, testdb_setup_empty,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_newer_than_binary, testdb_setup_empty,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back,
						testdb_setup_empty, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
