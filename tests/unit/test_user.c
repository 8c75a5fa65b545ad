/* test_user.c — unit tests for src/core/user.c: user_create validates every
 * field and names the bad one, refuses a duplicate email whatever its case,
 * stores an argon2id hash (never the password) and audits the creation;
 * user_set_password re-hashes, ends the user's sessions and audits;
 * user_load and user_load_by_email.  Each test runs on a fresh, migrated
 * database.  Hashing is deliberately slow (argon2id, 64 MiB), so the tests
 * create few users. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/school.h"
#include "core/user.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define PW "correct horse battery"

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "test user",
};

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static int64_t make_user(struct db *db, const char *name, const char *email,
			 const char *role, const char *urn, const char *pw)
{
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = user_create(db, &who, name, email, role, urn, pw, &id, &e);
	if (rc)
		fail_msg("user_create(%s): %d field \"%s\" %s", email, rc, e.field, e.message);
	assert_true(id > 0);
	return id;
}

/* A district and a school with URN 120345 (school_add audits: one row). */
static void make_school(struct db *db)
{
	struct errinfo e = {0};
	int64_t did = 0;
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(district_ensure(db, "City Centre", &did), HE_OK);
	assert_int_equal(school_add(db, &who, "120345", "Hollybank Primary School",
				    "primary", "City Centre", NULL, NULL, &e), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
}

static char *stored_hash(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, "SELECT password_hash FROM users WHERE id = :id");
	db_bind_int(st, ":id", id);
	assert_true(db_next(st));
	char *h = strdup(db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	return h;
}

static void expect_audit_intact(struct db *db)
{
	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	int rc = audit_verify(db, &rows, &bad, &msg);
	if (rc)
		fail_msg("audit_verify: %d %s", rc, buf_str(&msg));
	buf_free(&msg);
}

/* ---- validation ---------------------------------------------------------- */

/* One refused user_create: the code, the field, a message; nothing written. */
static void expect_refused(struct db *db, const char *name, const char *email,
			   const char *role, const char *urn, const char *pw,
			   int code, const char *field)
{
	struct errinfo e;
	memset(&e, 0, sizeof e);
	int64_t id = -5;
	int64_t users = count(db, "SELECT count(*) FROM users");
	int64_t audits = count(db, "SELECT count(*) FROM audit_log");
	int rc = user_create(db, &who, name, email, role, urn, pw, &id, &e);
	if (rc != code || strcmp(e.field, field) != 0)
		fail_msg("user_create(%s, %s, %s, %s) = %d field \"%s\"; want %d field \"%s\"",
			 name ? name : "NULL", email ? email : "NULL", role ? role : "NULL",
			 urn ? urn : "NULL", rc, e.field, code, field);
	assert_int_equal(e.code, code);
	assert_true(strlen(e.message) > 0);
	assert_int_equal(id, -5);
	assert_int_equal(count(db, "SELECT count(*) FROM users"), users);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), audits);
	assert_false(db_in_transaction(db));
}

static void test_validation_names_field(void **state)
{
	struct db *db = DB(state);
	char longname[210];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	const char *n = "Ada Lovelace", *m = "ada@hearth.example";

	expect_refused(db, "", m, "admin", NULL, PW, HE_MISSING, "name");
	expect_refused(db, NULL, m, "admin", NULL, PW, HE_MISSING, "name");
	expect_refused(db, longname, m, "admin", NULL, PW, HE_INVALID, "name");
	expect_refused(db, "Ada\nLovelace", m, "admin", NULL, PW, HE_INVALID, "name");
	expect_refused(db, "Ada\x01", m, "admin", NULL, PW, HE_INVALID, "name");

	expect_refused(db, n, "", "admin", NULL, PW, HE_MISSING, "email");
	expect_refused(db, n, NULL, "admin", NULL, PW, HE_MISSING, "email");
	expect_refused(db, n, "not-an-email", "admin", NULL, PW, HE_INVALID, "email");
	expect_refused(db, n, "ada@", "admin", NULL, PW, HE_INVALID, "email");
	expect_refused(db, n, "ada@hearth.example' OR 1=1--", "admin", NULL, PW,
		       HE_INVALID, "email");

	expect_refused(db, n, m, "superuser", NULL, PW, HE_INVALID, "role");
	expect_refused(db, n, m, "", NULL, PW, HE_INVALID, "role");
	expect_refused(db, n, m, NULL, NULL, PW, HE_INVALID, "role");
	expect_refused(db, n, m, "Admin", NULL, PW, HE_INVALID, "role");

	expect_refused(db, n, m, "school", NULL, PW, HE_MISSING, "school");
	expect_refused(db, n, m, "school", "", PW, HE_MISSING, "school");
	expect_refused(db, n, m, "worker", "120345", PW, HE_INVALID, "school");
	expect_refused(db, n, m, "admin", "120345", PW, HE_INVALID, "school");

	expect_refused(db, n, m, "admin", NULL, "short", HE_INVALID, "password");
	expect_refused(db, n, m, "admin", NULL, "123456789", HE_INVALID, "password");
	expect_refused(db, n, m, "admin", NULL, "", HE_MISSING, "password");
	expect_refused(db, n, m, "admin", NULL, NULL, HE_MISSING, "password");

	/* a well-formed URN no school has (this one is hashed first: one argon2) */
	expect_refused(db, n, m, "school", "999999", PW, HE_INVALID, "school");
}

/* ---- creating -------------------------------------------------------------- */

static void test_create_stores_hash_and_audits(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t id = 0;
	const char *name = "Siân O'Connor-\"Smith\" <b>";
	assert_int_equal(user_create(db, &who, name, "  Sian.OConnor@Hearth.Example ",
				     "coordinator", NULL, PW, &id, &e), HE_OK);
	assert_true(id > 0);

	struct db_stmt *st = db_prepare(db,
		"SELECT email, name, role, school_id, password_hash, totp_secret, disabled,"
		" created_at FROM users WHERE id = :id");
	db_bind_int(st, ":id", id);
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "sian.oconnor@hearth.example");  /* normalised */
	assert_string_equal(db_text(st, 1), name);                           /* verbatim */
	assert_string_equal(db_text(st, 2), "coordinator");
	assert_true(db_is_null(st, 3));
	const char *hash = db_text(st, 4);
	assert_true(strncmp(hash, "$argon2id$", 10) == 0);
	assert_null(strstr(hash, PW));
	assert_int_equal(crypto_pwhash_str_verify(hash, PW, strlen(PW)), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(hash, "wrong password", 14), 0);
	assert_true(db_is_null(st, 5));
	assert_int_equal(db_int(st, 6), 0);
	assert_int_equal(strlen(db_text(st, 7)), 20);
	assert_int_equal(db_finalize(st), HE_OK);

	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	st = db_prepare(db, "SELECT action, entity, entity_id, route, summary FROM audit_log");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "create");
	assert_string_equal(db_text(st, 1), "users");
	assert_string_equal(db_text(st, 2), idtext);
	assert_string_equal(db_text(st, 3), "test user");
	assert_non_null(strstr(db_text(st, 4), "sian.oconnor@hearth.example"));
	assert_null(strstr(db_text(st, 4), PW));
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_OK);
	expect_audit_intact(db);

	/* id may be NULL */
	assert_int_equal(user_create(db, &who, "No Id", "noid@hearth.example", "viewer",
				     NULL, PW, NULL, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM users"), 2);
}

static void test_duplicate_email_any_case(void **state)
{
	struct db *db = DB(state);
	make_user(db, "Admin One", "admin@hearth.example", "admin", NULL, PW);
	expect_refused(db, "Admin Two", "ADMIN@hearth.example", "viewer", NULL, PW,
		       HE_CONFLICT, "email");
	expect_refused(db, "Admin Three", " admin@HEARTH.EXAMPLE ", "viewer", NULL, PW,
		       HE_CONFLICT, "email");
	assert_int_equal(count(db, "SELECT count(*) FROM users"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), 1);
}

static void test_school_user(void **state)
{
	struct arena a;
	struct db *db = DB(state);
	struct user u;
	make_school(db);
	int64_t id = make_user(db, "Head Teacher", "head@hollybank.example", "school",
			       "120345", PW);
	arena_init(&a);
	assert_int_equal(user_load(db, &a, id, &u), HE_OK);
	assert_int_equal(u.role, ROLE_SCHOOL);
	assert_true(u.school_id > 0);
	assert_string_equal(u.school_urn, "120345");
	assert_string_equal(u.school_name, "Hollybank Primary School");
	arena_free(&a);
}

/* ---- loading ---------------------------------------------------------------- */

static void test_load(void **state)
{
	struct arena a;
	struct db *db = DB(state);
	struct user u;
	int64_t id = make_user(db, "Wren Worker", "Worker@Hearth.Example", "worker", NULL, PW);
	arena_init(&a);

	memset(&u, 0x55, sizeof u);
	assert_int_equal(user_load(db, &a, id, &u), HE_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "worker@hearth.example");
	assert_string_equal(u.name, "Wren Worker");
	assert_int_equal(u.role, ROLE_WORKER);
	assert_int_equal(u.school_id, 0);
	assert_null(u.school_urn);
	assert_null(u.school_name);
	assert_false(u.totp_enabled);
	assert_false(u.disabled);

	memset(&u, 0, sizeof u);
	assert_int_equal(user_load_by_email(db, &a, "  WORKER@hearth.EXAMPLE", &u), HE_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.name, "Wren Worker");

	assert_int_equal(user_load(db, &a, id + 100, &u), HE_NOT_FOUND);
	assert_int_equal(user_load(db, &a, 0, &u), HE_NOT_FOUND);
	assert_int_equal(user_load_by_email(db, &a, "nobody@hearth.example", &u), HE_NOT_FOUND);
	assert_int_equal(user_load_by_email(db, &a, "not an email", &u), HE_NOT_FOUND);
	assert_int_equal(user_load_by_email(db, &a, NULL, &u), HE_NOT_FOUND);
	assert_int_equal(user_load_by_email(db, &a, "worker@hearth.example' OR '1'='1", &u),
			 HE_NOT_FOUND);

	/* flags come from the row */
	struct db_stmt *st = db_prepare(db,
		"UPDATE users SET disabled = 1, totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = :id");
	db_bind_int(st, ":id", id);
	assert_int_equal(db_done(st), HE_OK);
	assert_int_equal(user_load(db, &a, id, &u), HE_OK);
	assert_true(u.disabled);
	assert_true(u.totp_enabled);
	arena_free(&a);
}

/* ---- changing the password ---------------------------------------------------- */

static void add_session(struct db *db, int64_t uid, const char *token_hash)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen,"
		" expires_at) VALUES (:th, :uid, 'c', '2025-01-01T00:00:00Z',"
		" '2025-01-01T00:00:00Z', '2099-01-01T00:00:00Z')");
	db_bind_text(st, ":th", token_hash);
	db_bind_int(st, ":uid", uid);
	assert_int_equal(db_done(st), HE_OK);
}

static void test_set_password(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	const char *npw = "a new and longer passphrase";
	int64_t id = make_user(db, "Vic Viewer", "viewer@hearth.example", "viewer", NULL, PW);
	int64_t other = make_user(db, "Al Auditor", "auditor@hearth.example", "auditor", NULL, PW);
	add_session(db, id, "s1");
	add_session(db, id, "s2");
	add_session(db, other, "s3");
	char *before = stored_hash(db, id);
	int64_t audits = count(db, "SELECT count(*) FROM audit_log");

	assert_int_equal(user_set_password(db, &who, "VIEWER@hearth.example", npw, &e), HE_OK);
	char *after = stored_hash(db, id);
	assert_string_not_equal(before, after);
	assert_true(strncmp(after, "$argon2id$", 10) == 0);
	assert_int_equal(crypto_pwhash_str_verify(after, npw, strlen(npw)), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(after, PW, strlen(PW)), 0);
	/* every session of that user ends; others' do not */
	char sql[100];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE user_id = %lld",
		 (long long)id);
	assert_int_equal(count(db, sql), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM sessions"), 1);
	/* audited, without the password */
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), audits + 1);
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	struct db_stmt *st = db_prepare(db,
		"SELECT action, entity, entity_id, summary FROM audit_log ORDER BY id DESC LIMIT 1");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "update");
	assert_string_equal(db_text(st, 1), "users");
	assert_string_equal(db_text(st, 2), idtext);
	assert_non_null(strstr(db_text(st, 3), "password"));
	assert_null(strstr(db_text(st, 3), npw));
	assert_int_equal(db_finalize(st), HE_OK);
	expect_audit_intact(db);
	/* the other user's hash is untouched */
	char *oh = stored_hash(db, other);
	assert_int_equal(crypto_pwhash_str_verify(oh, PW, strlen(PW)), 0);
	free(oh);
	free(before);
	free(after);
}

static void test_set_password_refusals(void **state)
{
	struct db *db = DB(state);
	struct errinfo e;
	int64_t id = make_user(db, "Cass Coord", "coord@hearth.example", "coordinator", NULL, PW);
	add_session(db, id, "s1");
	char *before = stored_hash(db, id);
	int64_t audits = count(db, "SELECT count(*) FROM audit_log");

	memset(&e, 0, sizeof e);
	assert_int_equal(user_set_password(db, &who, "coord@hearth.example", "short", &e),
			 HE_INVALID);
	assert_string_equal(e.field, "password");
	memset(&e, 0, sizeof e);
	assert_int_equal(user_set_password(db, &who, "coord@hearth.example", "", &e),
			 HE_MISSING);
	assert_string_equal(e.field, "password");
	memset(&e, 0, sizeof e);
	assert_int_equal(user_set_password(db, &who, "bad email", PW, &e), HE_INVALID);
	assert_string_equal(e.field, "email");
	memset(&e, 0, sizeof e);
	assert_int_equal(user_set_password(db, &who, "ghost@hearth.example", PW, &e),
			 HE_NOT_FOUND);
	assert_string_equal(e.field, "email");
	assert_false(db_in_transaction(db));

	char *after = stored_hash(db, id);
	assert_string_equal(before, after);
	assert_int_equal(count(db, "SELECT count(*) FROM sessions"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), audits);
	free(before);
	free(after);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_validation_names_field),
		T(test_create_stores_hash_and_audits),
		T(test_duplicate_email_any_case),
		T(test_school_user),
		T(test_load),
		T(test_set_password),
		T(test_set_password_refusals),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
