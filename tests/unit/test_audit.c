/* test_audit.c — unit tests for src/core/audit.c: audit() only inside a
 * transaction (and rolled back with it), rows chained by hash from a
 * genesis of 64 zeros, audit_verify accepting an intact log and naming the
 * first broken row when a row is edited, deleted, moved or forged.
 *
 * The connection's authorizer refuses UPDATE and DELETE on audit_log, so
 * tampering is done as someone holding the file would: a second, raw
 * sqlite3 connection without the authorizer (testdb_raw_exec). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "store/db.h"
#include "testdb.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define ROWS 6

static const struct audit_who who = {
	.user_id = 7, .email = "coordinator@hearth.example", .role = "coordinator",
	.route = "POST /test", .ip = "127.0.0.1",
};

/* Append one row in its own transaction. */
static void append(struct db *db, const struct audit_who *w, const char *action,
		   const char *entity, const char *id, const char *summary)
{
	assert_int_equal(db_begin(db), HE_OK);
	int rc = audit(db, w, action, entity, id, summary);
	if (rc)
		fail_msg("audit: %d %s", rc, db_errmsg(db));
	assert_int_equal(db_commit(db), HE_OK);
}

/* ROWS rows with varied fields, NULLs included. */
static void fill(struct db *db)
{
	append(db, &who, "create", "users", "1", "created user a@b.example");
	append(db, NULL, "verify", NULL, NULL, NULL);
	append(db, &who, "view", "pupils", "42", "viewed pupil");
	append(db, &who, "update", "ab", "c", "split fields");
	append(db, &who, "login", "users", "7", "signed in");
	append(db, &who, "logout", "sessions", NULL, "signed out");
}

/* audit_verify's result, bad id and message. */
static int verify(struct db *db, int64_t *rows, int64_t *bad, char *msg, size_t msglen)
{
	struct buf b;
	buf_init(&b, 0);
	*rows = -1;
	*bad = -1;
	int rc = audit_verify(db, rows, bad, &b);
	snprintf(msg, msglen, "%s", buf_str(&b));
	buf_free(&b);
	return rc;
}

static void expect_intact(struct db *db, int64_t want_rows)
{
	int64_t rows, bad;
	char msg[256];
	int rc = verify(db, &rows, &bad, msg, sizeof msg);
	if (rc != HE_OK)
		fail_msg("audit_verify = %d (%s), want OK", rc, msg);
	assert_int_equal(rows, want_rows);
	assert_int_equal(bad, 0);
}

static void expect_broken_at(struct db *db, int64_t want_bad)
{
	int64_t rows, bad;
	char msg[256], idtext[40];
	int rc = verify(db, &rows, &bad, msg, sizeof msg);
	if (rc != HE_AUDIT_BROKEN)
		fail_msg("audit_verify = %d, want HE_AUDIT_BROKEN at row %lld", rc,
			 (long long)want_bad);
	assert_int_equal(bad, want_bad);
	snprintf(idtext, sizeof idtext, "%lld", (long long)want_bad);
	if (!strstr(msg, idtext))
		fail_msg("message \"%s\" does not name row %s", msg, idtext);
}

/* ---- appending ---------------------------------------------------------- */

static void test_outside_transaction_refused(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	assert_int_equal(audit(db, &who, "view", "pupils", "1", "x"), HE_INTERNAL);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 0);
}

static void test_rolled_back_with_transaction(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	append(db, &who, "create", "users", "1", "kept");
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(audit(db, &who, "create", "users", "2", "rolled back"), HE_OK);
	db_rollback(db);
	append(db, &who, "create", "users", "3", "kept too");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 2);
	assert_int_equal(testdb_int(db, "SELECT max(id) FROM audit_log"), 2);
	expect_intact(db, 2);
}

static void test_rows_chain(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	fill(db);
	/* two rows in one transaction chain as well */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(audit(db, &who, "export", "reports", NULL, "one"), HE_OK);
	assert_int_equal(audit(db, &who, "export", "reports", NULL, "two"), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);

	struct db_stmt *st = db_prepare(db,
		"SELECT id, prev_hash, hash FROM audit_log ORDER BY id");
	char prev[65] = GENESIS;
	int64_t want = 1;
	while (db_next(st)) {
		assert_int_equal(db_int(st, 0), want);
		assert_string_equal(db_text(st, 1), prev);
		const char *h = db_text(st, 2);
		assert_int_equal(strlen(h), 64);
		assert_int_equal(strspn(h, "0123456789abcdef"), 64);
		assert_string_not_equal(h, prev);
		snprintf(prev, sizeof prev, "%s", h);
		want++;
	}
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(want, ROWS + 3);
	expect_intact(db, ROWS + 2);
}

static void test_fields_stored(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	append(db, &who, "view", "pupils", "42", "viewed pupil");
	append(db, NULL, "verify", NULL, NULL, NULL);
	struct db_stmt *st = db_prepare(db,
		"SELECT user_id, user_email, role, route, action, entity, entity_id,"
		" summary, ip, at FROM audit_log ORDER BY id");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), 7);
	assert_string_equal(db_text(st, 1), "coordinator@hearth.example");
	assert_string_equal(db_text(st, 2), "coordinator");
	assert_string_equal(db_text(st, 3), "POST /test");
	assert_string_equal(db_text(st, 4), "view");
	assert_string_equal(db_text(st, 5), "pupils");
	assert_string_equal(db_text(st, 6), "42");
	assert_string_equal(db_text(st, 7), "viewed pupil");
	assert_string_equal(db_text(st, 8), "127.0.0.1");
	assert_int_equal(strlen(db_text(st, 9)), 20);     /* YYYY-MM-DDTHH:MM:SSZ */
	assert_true(db_next(st));                         /* the system, no who */
	assert_true(db_is_null(st, 0));
	assert_true(db_is_null(st, 1));
	assert_string_equal(db_text(st, 2), "none");
	assert_string_equal(db_text(st, 3), "system");
	assert_true(db_is_null(st, 5));
	assert_true(db_is_null(st, 6));
	assert_true(db_is_null(st, 7));
	assert_true(db_is_null(st, 8));
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_text_round_trips(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	const char *summary = "O'Brien said \"no\";\nsecond line\r\n\ttabbed — Zoë 🏠 "
		"<script>x</script> 3:4; -; DROP TABLE audit_log;--";
	const struct audit_who w = {
		.user_id = 3, .email = "zoë.o'brien@example.org", .role = "school",
		.route = "POST /referrals/{id}", .ip = "::1",
	};
	append(db, &w, "create", "referrals", "9", summary);
	append(db, &w, "update", "referrals", "9", "");
	struct db_stmt *st = db_prepare(db, "SELECT summary, user_email FROM audit_log ORDER BY id");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), summary);
	assert_string_equal(db_text(st, 1), "zoë.o'brien@example.org");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "");
	assert_false(db_is_null(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	expect_intact(db, 2);
}

static void test_empty_log_verifies(void **state)
{
	expect_intact(((struct testdb *)*state)->db, 0);
}

/* ---- tampering ---------------------------------------------------------- */

static void test_tamper_summary(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	expect_intact(t->db, ROWS);
	testdb_raw_exec(t, "UPDATE audit_log SET summary = 'nothing to see' WHERE id = 3");
	expect_broken_at(t->db, 3);
}

static void test_tamper_each_field(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	/* each edit is undone before the next, so each is detected alone */
	static const char *const edits[][2] = {
		{"UPDATE audit_log SET at = '2000-01-01T00:00:00Z' WHERE id = 2",
		 "UPDATE audit_log SET at = (SELECT at FROM audit_log WHERE id = 1) WHERE id = 2"},
	};
	(void)edits;
	const char *sets[] = {
		"user_id = 8", "user_email = 'x@y.example'", "role = 'admin'",
		"route = 'GET /'", "action = 'view'", "entity = 'pupils'",
		"entity_id = '2'", "ip = '10.0.0.1'", "at = '2000-01-01T00:00:00Z'",
		"prev_hash = '" GENESIS "'", "hash = upper(hash)", NULL,
	};
	for (int i = 0; sets[i]; i++) {
		char sql[200];
		testdb_raw_exec(t, "CREATE TEMP TABLE IF NOT EXISTS keep AS SELECT * FROM audit_log;"
			" DELETE FROM keep; INSERT INTO keep SELECT * FROM audit_log WHERE id = 5");
		snprintf(sql, sizeof sql, "UPDATE audit_log SET %s WHERE id = 5", sets[i]);
		testdb_raw_exec(t, sql);
		int64_t rows, bad;
		char msg[256];
		int rc = verify(t->db, &rows, &bad, msg, sizeof msg);
		if (rc != HE_AUDIT_BROKEN || bad != 5)
			fail_msg("edit \"%s\": verify = %d, bad %lld; want broken at 5",
				 sets[i], rc, (long long)bad);
		/* restore row 5 exactly (raw DELETE + INSERT of the saved copy) */
		testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 5");
		snprintf(sql, sizeof sql, "UPDATE audit_log SET %s WHERE id = 5", sets[i]);
		(void)sql;
		restore_row5:;
	}
}
