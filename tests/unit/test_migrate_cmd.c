/* test_migrate_cmd.c — `hearth migrate --from URL --to URL` (src/cli/
 * migrate_cmd.c) into a database of the backend the tests run on (SQLite,
 * or PostgreSQL with HEARTH_TEST_PG): the audit log arrives whole and its
 * chain verifies on the target, with the move recorded after it.  On
 * SQLite the target's authorizer refuses every INSERT INTO audit_log but
 * the audit writer's own (migration 0020), so the copy must be let
 * through as the one other (db_audit_append); the PostgreSQL layer
 * pg-migrate covers SQLite to PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <getopt.h>

#include "testdb.h"
#include "base/buf.h"
#include "cli/cli.h"
#include "core/audit.h"

static int64_t count(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

static void test_migrate_carries_the_audit_log(void **state)
{
	(void)state;
	struct testdb *from = testdb_new(), *to = testdb_new();
	assert_non_null(from);
	assert_non_null(to);
	assert_int_equal(testdb_open(from), 0);
	assert_int_equal(testdb_migrate(from), 0);
	struct audit_who who = {.role = "none", .route = "test"};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(db_begin(from->db), HE_OK);
		assert_int_equal(audit(from->db, &who, "create", "districts", "1", "a row"), HE_OK);
		assert_int_equal(db_commit(from->db), HE_OK);
	}
	int64_t rows = count(from->db, "SELECT count(*) FROM audit_log");
	assert_true(rows >= 5);
	db_close(from->db);
	from->db = NULL;

	char *argv[] = {"migrate", "--from", from->url, "--to", to->url, NULL};
	optind = 0;
	assert_int_equal(migrate_cmd(5, argv), 0);

	assert_int_equal(testdb_open(to), 0);
	int64_t n, bad;
	struct buf msg;
	buf_init(&msg, 0);
	assert_int_equal(audit_verify(to->db, &n, &bad, &msg), HE_OK);
	buf_free(&msg);
	assert_int_equal(n, rows + 1);   /* the copy, and the move's own row */
	assert_int_equal(count(to->db, "SELECT count(*) FROM audit_log WHERE action = 'migrate'"), 1);
	testdb_free(from);
	testdb_free(to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_carries_the_audit_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
