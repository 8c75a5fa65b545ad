/* test_audit.c — unit tests for src/core/audit.c: audit() only inside a
 * transaction (and rolled back with it), rows chained by hash from a
 * genesis of 64 zeros, audit_verify accepting an intact log and naming the
 * first broken row when a row is edited, deleted, moved or forged.
 *
 * Runs on SQLite, or on PostgreSQL when HEARTH_TEST_PG is set (testdb.h).
 * Hearth's own connection cannot UPDATE, DELETE (or, on PostgreSQL,
 * TRUNCATE) audit_log — the SQLite authorizer, the PostgreSQL trigger —
 * which the first tests check; so tampering is done as someone holding the
 * file or a superuser login would: a second, raw connection that bypasses
 * both (testdb_raw_exec). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <pthread.h>
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
	uint64_t n = audit_appended();
	assert_int_equal(audit(db, &who, "view", "pupils", "1", "x"), HE_INTERNAL);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 0);
	assert_int_equal(audit_appended(), n);
}

/* audit_appended counts this thread's appends (the dispatcher relies on it
 * to enforce the route table's audit flag), rolled back or not. */
static void test_appended_counter(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	uint64_t n = audit_appended();
	append(db, &who, "view", "pupils", "1", "one");
	assert_int_equal(audit_appended(), n + 1);
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(audit(db, &who, "view", "pupils", "2", "two"), HE_OK);
	assert_int_equal(audit(db, &who, "view", "pupils", "3", "three"), HE_OK);
	db_rollback(db);
	assert_int_equal(audit_appended(), n + 3);
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

/* Text is stored as given, quotes, markup and SQL included; only control
 * characters are escaped (see test_request_bytes_escaped). */
static void test_text_round_trips(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	const char *summary = "O'Brien said \"no\"; — Zoë 🏠 "
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

/* Bytes from a request (a path's %FF, %0A or %1B, a cut UTF-8 sequence,
 * a right-to-left override) never reach the log raw, through audit() or
 * audit_alone(), in any text field a caller fills: they are stored
 * escaped, as valid UTF-8 on one line (on PostgreSQL the raw bytes would
 * not even be accepted), and the chain over the stored text verifies. */
static void test_request_bytes_escaped(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	const struct audit_who w = {
		.user_id = 3, .email = "a\nb@example.org", .role = "school",
		.route = "POST /families/\xff\r\n200 OK", .ip = "::1",
	};
	append(db, &w, "denied", "families", "F\xff\x1b[2J",
	       "consent of family \xff\nGET /forged 200: not found \xc3");
	assert_int_equal(audit_alone(db, &who, "denied", "surveys", "\xe2\x80\xae""1",
				     "survey\ttab\x7f \\ \xc0\xaf"), HE_OK);
	append(db, &who, "view", "pupils", "1", "plain Zoë — stays as it is");
	struct db_stmt *st = db_prepare(db,
		"SELECT user_email, route, entity_id, summary FROM audit_log ORDER BY id");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "a\\nb@example.org");
	assert_string_equal(db_text(st, 1), "POST /families/\\xFF\\r\\n200 OK");
	assert_string_equal(db_text(st, 2), "F\\xFF\\x1B[2J");
	assert_string_equal(db_text(st, 3),
			    "consent of family \\xFF\\nGET /forged 200: not found \\xC3");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 2), "\\u202E1");
	assert_string_equal(db_text(st, 3), "survey\\ttab\\x7F \\\\ \\xC0\\xAF");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 3), "plain Zoë — stays as it is");
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_OK);
	expect_intact(db, 3);
}

/* The chain's encoding is fixed: a row written with a hash computed
 * elsewhere (Python's hashlib over "LEN:value;" fields, "-;" for NULL, the
 * summary longer than one of row_hash's blocks and not ASCII) verifies, and
 * so does a row audit() appends after it.  Written through the database
 * directly, so the test does not trust audit.c's own hashing. */
static void test_known_hash_verifies(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	char summary[1600];
	memset(summary, 'x', 1500);
	memcpy(summary + 1500, "\xc3\xa9", 3);
	assert_int_equal(db_begin(db), HE_OK);
	db_audit_append(db, true);   /* as core/audit.c does around its INSERT */
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO audit_log (id, at, user_id, user_email, role, route, action, entity,"
		" entity_id, summary, ip, prev_hash, hash) VALUES (1, '2026-11-24T12:00:00Z', 7,"
		" 'a@hearth.example', 'viewer', 'GET /x', 'view', NULL, NULL, :s, '127.0.0.1',"
		" :genesis, :h)");
	db_bind_text(st, ":s", summary);
	db_bind_text(st, ":genesis", GENESIS);
	db_bind_text(st, ":h", "e62788806bf83143b9955ca1498b8c0b5020d9c618180b78e9ee44f79260ca75");
	assert_int_equal(db_done(st), HE_OK);
	db_audit_append(db, false);
	st = db_prepare(db, "UPDATE audit_head SET last_id = 1, hash = :h WHERE id = 1");
	db_bind_text(st, ":h", "e62788806bf83143b9955ca1498b8c0b5020d9c618180b78e9ee44f79260ca75");
	assert_int_equal(db_done(st), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
	expect_intact(db, 1);
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(audit(db, &who, "view", "pupils", "2", summary), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
	expect_intact(db, 2);
}

/* Every answer writes a row, so every index on audit_log is paid for once
 * per request: only audit_log_entity (the subject access export's lookup)
 * is kept (migration 0019 dropped audit_log_at and audit_log_user, which
 * no query used). */
static void test_one_secondary_index(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	const char *sql = strcmp(db_backend(db), "sqlite") == 0
		? "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log'"
		  " AND sql IS NOT NULL AND name <> 'audit_log_entity'"
		: "SELECT count(*) FROM pg_indexes WHERE tablename = 'audit_log'"
		  " AND indexname NOT IN ('audit_log_pkey', 'audit_log_entity')";
	assert_int_equal(testdb_int(db, sql), 0);
	assert_int_equal(testdb_int(db, strcmp(db_backend(db), "sqlite") == 0
		? "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log_entity'"
		: "SELECT count(*) FROM pg_indexes WHERE indexname = 'audit_log_entity'"), 1);
}

static void test_empty_log_verifies(void **state)
{
	expect_intact(((struct testdb *)*state)->db, 0);
}

/* ---- the log is append-only through Hearth's connection ----------------- */

/* sql through db.h must fail, naming the table or the refusal. */
static void expect_refused(struct db *db, const char *sql)
{
	int rc = db_exec(db, sql);
	if (rc == HE_OK)
		fail_msg("%s connection allowed: %s", db_backend(db), sql);
	const char *m = db_errmsg(db);
	if (!strstr(m, "audit_log") && !strstr(m, "not authorized"))
		fail_msg("refusal of \"%s\" does not say why: %s", sql, m);
}

static void test_append_only(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	fill(db);
	expect_refused(db, "UPDATE audit_log SET summary = 'rewritten' WHERE id = 3");
	expect_refused(db, "UPDATE audit_log SET summary = summary");
	expect_refused(db, "DELETE FROM audit_log WHERE id = 6");
	expect_refused(db, "DELETE FROM audit_log");
	if (testdb_is_pg())
		expect_refused(db, "TRUNCATE audit_log");
	expect_intact(db, ROWS);

	/* inside a transaction: refused, and rolling back leaves the log as
	 * it was (on PostgreSQL the error aborts the transaction) */
	assert_int_equal(db_begin(db), HE_OK);
	expect_refused(db, "DELETE FROM audit_log WHERE id >= 5");
	db_rollback(db);
	assert_false(db_in_transaction(db));
	expect_intact(db, ROWS);

	/* and the log still takes new rows */
	append(db, &who, "verify", "audit_log", NULL, "still appending");
	expect_intact(db, ROWS + 1);
}

/* The raw connection the tamper tests use really does bypass the
 * protection (otherwise they would test nothing). */
static void test_raw_connection_bypasses(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	testdb_raw_exec(t, "UPDATE audit_log SET summary = 'x' WHERE id = 1");
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"
		" WHERE summary = 'x'"), 1);
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 1");
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), ROWS - 1);
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

/* Apply each edit alone to a copy of a good log row, expect the break to be
 * found at that row, then restore the row from a saved copy. */
static void tamper_and_restore(struct testdb *t, int64_t id, const char *const sets[])
{
	char sql[300];
	snprintf(sql, sizeof sql, "CREATE TABLE keep AS SELECT * FROM audit_log WHERE id = %lld",
		 (long long)id);
	testdb_raw_exec(t, sql);
	for (int i = 0; sets[i]; i++) {
		snprintf(sql, sizeof sql, "UPDATE audit_log SET %s WHERE id = %lld",
			 sets[i], (long long)id);
		testdb_raw_exec(t, sql);
		int64_t rows, bad;
		char msg[256];
		int rc = verify(t->db, &rows, &bad, msg, sizeof msg);
		if (rc != HE_AUDIT_BROKEN || bad != id)
			fail_msg("edit \"%s\": verify = %d, bad row %lld; want broken at %lld",
				 sets[i], rc, (long long)bad, (long long)id);
		snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE id = %lld;"
			 " INSERT INTO audit_log SELECT * FROM keep", (long long)id);
		testdb_raw_exec(t, sql);
		expect_intact(t->db, ROWS);
	}
	testdb_raw_exec(t, "DROP TABLE keep");
}

static void test_tamper_each_field(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	static const char *const row5[] = {
		"user_id = 8", "user_id = NULL", "user_email = 'x@y.example'",
		"role = 'admin'", "route = 'GET /'", "action = 'view'",
		"entity = 'pupils'", "entity_id = '8'", "summary = 'signed in '",
		"ip = '10.0.0.1'", "ip = NULL", "at = '2000-01-01T00:00:00Z'",
		"prev_hash = '" GENESIS "'", "hash = upper(hash)", NULL,
	};
	tamper_and_restore(t, 5, row5);
	/* row 2 has NULL entity, entity_id and summary: "" is not NULL */
	static const char *const row2[] = {
		"entity_id = ''", "summary = ''", "summary = '-'", "user_email = ''", NULL,
	};
	tamper_and_restore(t, 2, row2);
	/* row 4 has entity "ab", entity_id "c": moving the boundary between
	 * fields changes the hash (fields are length-prefixed, not joined) */
	static const char *const row4[] = {
		"entity = 'a', entity_id = 'bc'", "entity = 'abc', entity_id = ''", NULL,
	};
	tamper_and_restore(t, 4, row4);
}

static void test_delete_middle_row(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 3");
	expect_broken_at(t->db, 4);   /* the first row that no longer verifies */
}

static void test_delete_first_row(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 1");
	expect_broken_at(t->db, 2);
}

/* Deleting only the newest rows leaves a shorter chain that is internally
 * consistent; audit_head still names the last id and hash, so verify sees
 * the log no longer reaches it. */
static void test_delete_last_rows(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id >= 5");
	expect_broken_at(t->db, 5);
}

/* Cutting the end and moving the head back to match needs a consistent
 * forgery of two tables; replacing the last row with another of the same
 * id is still caught at that row. */
static void test_replace_last_row(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	testdb_raw_exec(t, "UPDATE audit_log SET summary = 'rewritten' WHERE id = 6");
	expect_broken_at(t->db, 6);
}

/* Deleting the newest row and editing an earlier one is detected at the
 * edited row. */
static void test_delete_last_row_and_edit(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 6;"
		" UPDATE audit_log SET action = 'view' WHERE id = 5");
	expect_broken_at(t->db, 5);
}

/* Rows renumbered to close the gap left by a deletion. */
static void test_delete_and_renumber(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	/* renumbered through negative ids: one UPDATE of id = id - 1 checks
	 * the key row by row in whatever order the rows lie, which on
	 * PostgreSQL can meet the next id still there */
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 2;"
		" UPDATE audit_log SET id = -(id - 1) WHERE id > 2;"
		" UPDATE audit_log SET id = -id WHERE id < 0");
	expect_broken_at(t->db, 2);
}

/* A forged row appended through the normal connection (INSERT is allowed)
 * without the right hash, and a forged row replacing a deleted one. */
static void test_forged_rows(void **state)
{
	struct testdb *t = *state;
	fill(t->db);
	db_audit_append(t->db, true);   /* a forger past the authorizer */
	struct db_stmt *st = db_prepare(t->db,
		"INSERT INTO audit_log (id, at, role, route, action, prev_hash, hash)"
		" SELECT 7, at, 'admin', 'GET /', 'view', hash, hash FROM audit_log WHERE id = 6");
	assert_int_equal(db_done(st), HE_OK);
	db_audit_append(t->db, false);
	expect_broken_at(t->db, 7);
	testdb_raw_exec(t, "DELETE FROM audit_log WHERE id = 7;"
		" DELETE FROM audit_log WHERE id = 3;"
		" INSERT INTO audit_log (id, at, role, route, action, prev_hash, hash)"
		" SELECT 3, at, role, route, 'view', hash, hash FROM audit_log WHERE id = 2");
	expect_broken_at(t->db, 3);
}

/* Appending carries on from a good chain after verification. */
static void test_append_after_verify(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	fill(db);
	expect_intact(db, ROWS);
	append(db, &who, "verify", "audit_log", NULL, "verified");
	expect_intact(db, ROWS + 1);
}

/* ---- group commit (audit_alone) ------------------------------------------ */

#define GC_THREADS 8
#define GC_ROWS 40
#define GC_MANY_THREADS 48
#define GC_MANY_ROWS 25

struct gc_arg {
	const char *url;
	int index;
	int rows;
	int failures;
	int fail_rc;           /* the last failure's code */
	uint64_t counted;
	pthread_barrier_t *start;
};

static void *gc_worker(void *p)
{
	struct gc_arg *a = p;
	struct db *db = NULL;
	char *msg = NULL;
	if (db_open(a->url, &db, &msg) != HE_OK) {
		free(msg);
		a->failures = a->rows;
		return NULL;
	}
	char email[32], summary[32];
	snprintf(email, sizeof email, "t%d@hearth.example", a->index);
	struct audit_who me = {.user_id = a->index + 1, .email = email, .role = "worker",
				.route = "GET /test", .ip = "127.0.0.1"};
	if (a->start)
		pthread_barrier_wait(a->start);
	uint64_t before = audit_appended();
	for (int i = 0; i < a->rows; i++) {
		snprintf(summary, sizeof summary, "row %d", i);
		int rc = audit_alone(db, &me, "view", "users", NULL, summary);
		if (rc != HE_OK) {
			a->failures++;
			a->fail_rc = rc;
		}
	}
	a->counted = audit_appended() - before;
	db_close(db);
	return NULL;
}

/* Run n threads of rows audit_alone calls each, started together. */
static void gc_run(const struct testdb *t, struct gc_arg *args, int n, int rows)
{
	pthread_t *th = calloc((size_t)n, sizeof *th);
	pthread_barrier_t start;
	assert_non_null(th);
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		args[i] = (struct gc_arg){.url = t->url, .index = i, .rows = rows, .start = &start};
		assert_int_equal(pthread_create(&th[i], NULL, gc_worker, &args[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	free(th);
}

/* Each of n threads has exactly rows rows, in the order it appended them. */
static void expect_each_thread(struct db *db, int n, int rows)
{
	for (int i = 0; i < n; i++) {
		struct db_stmt *st = db_prepare(db,
			"SELECT summary FROM audit_log WHERE user_id = :u ORDER BY id");
		db_bind_int(st, ":u", i + 1);
		int k = 0;
		char want[32];
		while (db_next(st)) {
			snprintf(want, sizeof want, "row %d", k++);
			assert_string_equal(db_text(st, 0), want);
		}
		assert_int_equal(db_finalize(st), HE_OK);
		assert_int_equal(k, rows);
	}
}

/* Threads appending at once each get their rows committed exactly once,
 * the chain verifies (no fork), and each thread's own count is its own
 * rows (the route table's audit check depends on that). */
static void test_group_commit(void **state)
{
	struct testdb *t = *state;
	struct gc_arg args[GC_THREADS];
	gc_run(t, args, GC_THREADS, GC_ROWS);
	for (int i = 0; i < GC_THREADS; i++) {
		assert_int_equal(args[i].failures, 0);
		assert_int_equal(args[i].counted, GC_ROWS);
	}
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"),
			 GC_THREADS * GC_ROWS);
	expect_each_thread(t->db, GC_THREADS, GC_ROWS);
	expect_intact(t->db, GC_THREADS * GC_ROWS);
}

/* Many more appenders than cores, as a server's thread pool has, so that
 * batches form, leaders hand over and gathering leaders wait: every row is
 * there exactly once with its own id, in each thread's order, the head
 * counts them all, and the chain holds. */
static void test_group_commit_many_threads(void **state)
{
	struct testdb *t = *state;
	struct gc_arg *args = calloc(GC_MANY_THREADS, sizeof *args);
	assert_non_null(args);
	gc_run(t, args, GC_MANY_THREADS, GC_MANY_ROWS);
	for (int i = 0; i < GC_MANY_THREADS; i++) {
		if (args[i].failures)
			fail_msg("thread %d: %d failures (last rc %d)", i, args[i].failures,
				 args[i].fail_rc);
		assert_int_equal(args[i].counted, GC_MANY_ROWS);
	}
	free(args);
	int64_t total = GC_MANY_THREADS * GC_MANY_ROWS;
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), total);
	assert_int_equal(testdb_int(t->db, "SELECT count(DISTINCT id) FROM audit_log"), total);
	assert_int_equal(testdb_int(t->db, "SELECT last_id FROM audit_head"), total);
	expect_each_thread(t->db, GC_MANY_THREADS, GC_MANY_ROWS);
	expect_intact(t->db, total);
}

/* A batch that cannot be committed fails for every caller in it, counts
 * for none of them, leaves no row, and the queue keeps working once the
 * cause is gone. */
static void test_group_commit_failure(void **state)
{
	struct testdb *t = *state;
	struct gc_arg args[GC_THREADS];
	testdb_raw_exec(t, "DELETE FROM audit_head");  /* as an incomplete migration */
	gc_run(t, args, GC_THREADS, 3);
	for (int i = 0; i < GC_THREADS; i++) {
		assert_int_equal(args[i].failures, 3);
		assert_int_equal(args[i].fail_rc, HE_DB_SCHEMA);
		assert_int_equal(args[i].counted, 0);
	}
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), 0);
	testdb_raw_exec(t, "INSERT INTO audit_head (id, last_id, hash) VALUES (1, 0, '"
			GENESIS "')");
	gc_run(t, args, GC_THREADS, 3);
	for (int i = 0; i < GC_THREADS; i++)
		assert_int_equal(args[i].failures, 0);
	expect_each_thread(t->db, GC_THREADS, 3);
	expect_intact(t->db, GC_THREADS * 3);
}

/* A row that cannot go in — its id taken, as when the head was moved back
 * behind rows already written — fails the append and the transaction it
 * is in, on both backends: nothing of it is kept and the head does not
 * move.  (On SQLite the insert is INSERT OR IGNORE, which skips such a row
 * silently unless its count is checked.) */
static void test_row_not_inserted_fails(void **state)
{
	struct testdb *t = *state;
	struct db *db = t->db;
	append(db, &who, "view", "pupils", "1", "one");
	append(db, &who, "view", "pupils", "2", "two");
	testdb_raw_exec(t, "UPDATE audit_head SET last_id = 1 WHERE id = 1");
	assert_int_equal(db_begin(db), HE_OK);
	int rc = audit(db, &who, "view", "pupils", "3", "three");
	assert_int_not_equal(rc, HE_OK);
	db_rollback(db);
	assert_int_not_equal(audit_alone(db, &who, "view", "pupils", "4", "four"), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE summary IN"
				    " ('three', 'four')"), 0);
	assert_int_equal(testdb_int(db, "SELECT last_id FROM audit_head"), 1);
}

static void batch_done(void *arg, int rc)
{
	*(int *)arg = rc;
}

/* Commit three held rows as one batch (one INSERT … SELECT); its result. */
static int batch_of_three(struct db *db, const char *summary)
{
	audit_defer_begin();
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_alone(db, &who, "view", "pupils", "5", summary), HE_OK);
	struct audit_deferred *d = audit_defer_end();
	assert_non_null(d);
	int rc = -1;
	audit_defer_flush(db, audit_defer_hold(d, batch_done, &rc));
	assert_int_not_equal(rc, -1);
	return rc;
}

/* The same for a batch, whose rows go in with one statement: one row of
 * three that cannot go in fails the batch, nothing of it is kept, and
 * once the head is right again a batch goes in whole. */
static void test_batch_row_not_inserted_fails(void **state)
{
	struct testdb *t = *state;
	struct db *db = t->db;
	append(db, &who, "view", "pupils", "1", "one");
	append(db, &who, "view", "pupils", "2", "two");
	testdb_raw_exec(t, "UPDATE audit_head SET last_id = 1 WHERE id = 1");
	assert_int_not_equal(batch_of_three(db, "refused"), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), 2);
	assert_int_equal(testdb_int(db, "SELECT last_id FROM audit_head"), 1);
	testdb_raw_exec(t, "UPDATE audit_head SET last_id = 2 WHERE id = 1");
	assert_int_equal(batch_of_three(db, "kept"), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE summary = 'kept'"
				    " AND id BETWEEN 3 AND 5"), 3);
	assert_int_equal(testdb_int(db, "SELECT last_id FROM audit_head"), 5);
	expect_intact(db, 5);
}

/* audit_alone inside the caller's own transaction is refused at once: as
 * a leader it would have to open a second transaction on that connection,
 * failing the whole batch, everyone else's rows included.  (req_audit uses
 * audit() then.) */
static void test_alone_refused_in_transaction(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	uint64_t n = audit_appended();
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(audit_alone(db, &who, "view", "pupils", "1", "inside"), HE_INTERNAL);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(audit_appended(), n);
	assert_int_equal(audit_alone(db, &who, "view", "pupils", "1", "alone"), HE_OK);
	assert_int_equal(audit_appended(), n + 1);
	expect_intact(db, 1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {

#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_outside_transaction_refused),
		T(test_appended_counter),
		T(test_rolled_back_with_transaction),
		T(test_rows_chain),
		T(test_fields_stored),
		T(test_text_round_trips),
		T(test_request_bytes_escaped),
		T(test_empty_log_verifies),
		T(test_known_hash_verifies),
		T(test_one_secondary_index),
		T(test_append_only),
		T(test_raw_connection_bypasses),
		T(test_tamper_summary),
		T(test_tamper_each_field),
		T(test_delete_middle_row),
		T(test_delete_first_row),
		T(test_group_commit),
		T(test_group_commit_many_threads),
		T(test_group_commit_failure),
	T(test_row_not_inserted_fails),
	T(test_batch_row_not_inserted_fails),
		T(test_alone_refused_in_transaction),
		T(test_delete_last_rows),
		T(test_replace_last_row),
		T(test_delete_last_row_and_edit),
		T(test_delete_and_renumber),
		T(test_forged_rows),
		T(test_append_after_verify),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
