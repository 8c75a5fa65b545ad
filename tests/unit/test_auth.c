/* test_auth.c — unit tests for src/core/auth.c: signing in (token, hashed
 * storage, CSRF token, audit), refusals (wrong password, unknown email,
 * disabled account) counted and audited, lock-out after AUTH_MAX_FAILURES
 * and its end, sessions (lookup, wrong tokens, idle refresh, idle and
 * absolute expiry), sign-out, TOTP enrolment and sign-in with replay
 * refused, the RFC 6238 code generator, and the CSRF comparison.
 *
 * Every sign-in verifies an argon2id hash (64 MiB, a few tenths of a
 * second), so each test makes one user and as few attempts as it needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/auth.h"
#include "core/user.h"
#include "store/db.h"
#include "testdb.h"
#include "authfix.h"

static int64_t audits(struct db *db, const char *action)
{
	return count1(db, "SELECT count(*) FROM audit_log WHERE action = :a", action);
}

static int64_t failures(struct db *db)
{
	return count1(db, "SELECT count(*) FROM login_failures WHERE email = :a", EMAIL);
}

static bool is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* Set a text column of one session to the UTC time now + delta seconds. */
static void session_time(struct db *db, int64_t id, const char *col, long delta)
{
	char at[21];
	timestamp_format(time(NULL) + delta, at);
	struct db_stmt *st = strcmp(col, "last_seen") == 0
		? db_prepare(db, "UPDATE sessions SET last_seen = :at WHERE id = :id")
		: db_prepare(db, "UPDATE sessions SET expires_at = :at WHERE id = :id");
	db_bind_text(st, ":at", at);
	db_bind_int(st, ":id", id);
	assert_int_equal(db_done(st), HE_OK);
	assert_int_equal(db_changes(db), 1);
}

/* ---- signing in ------------------------------------------------------------ */

static void test_login_success(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	/* an earlier failure, cleared by the success */
	struct errinfo e;
	assert_int_equal(login(f, EMAIL, "not the password", NULL, &s, token, &e),
			 HE_AUTH_FAILED);
	assert_int_equal(failures(f->db), 1);

	login_ok(f, NULL, &s, token);
	assert_true(is_hex64(token));
	assert_true(is_hex64(s.csrf));
	assert_string_not_equal(token, s.csrf);
	assert_true(s.id > 0);
	assert_int_equal(s.user.id, f->uid);
	assert_string_equal(s.user.email, EMAIL);
	assert_int_equal(s.user.role, ROLE_WORKER);
	assert_int_equal(failures(f->db), 0);

	/* the table holds SHA-256(token), never the token */
	unsigned char d[crypto_hash_sha256_BYTES];
	char th[65];
	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(th, sizeof th, d, sizeof d);
	assert_int_equal(sessions(f->db), 1);
	struct db_stmt *st = db_prepare(f->db,
		"SELECT id, token_hash, user_id, csrf_token, ip, created_at, last_seen,"
		" expires_at FROM sessions");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), s.id);
	assert_string_equal(db_text(st, 1), th);
	assert_string_not_equal(db_text(st, 1), token);
	assert_int_equal(db_int(st, 2), f->uid);
	assert_string_equal(db_text(st, 3), s.csrf);
	assert_string_equal(db_text(st, 4), "192.0.2.7");
	assert_string_equal(db_text(st, 5), db_text(st, 6));
	assert_true(strcmp(db_text(st, 7), db_text(st, 5)) > 0);
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM sessions WHERE token_hash = :a"
		" OR csrf_token = :a", token), 0);

	/* audited as the user who signed in */
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", (long long)f->uid);
	st = db_prepare(f->db, "SELECT user_id, user_email, role, route, entity_id, ip"
		" FROM audit_log WHERE action = 'login'");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), f->uid);
	assert_string_equal(db_text(st, 1), EMAIL);
	assert_string_equal(db_text(st, 2), "worker");
	assert_string_equal(db_text(st, 3), "POST /api/v1/session");
	assert_string_equal(db_text(st, 4), idtext);
	assert_string_equal(db_text(st, 5), "192.0.2.7");
	assert_false(db_next(st));
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE"
		" coalesce(summary, '') LIKE '%' || :a || '%'", PW), 0);
	expect_audit_intact(f->db);
}

static void test_wrong_password(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1] = "";
	struct errinfo e;
	int64_t before = audits(f->db, "login_failed");
	assert_int_equal(login(f, "Worker@Hearth.Example", "hearth-demo-passworD", NULL,
			       &s, token, &e), HE_AUTH_FAILED);
	assert_int_equal(e.code, HE_AUTH_FAILED);
	assert_string_equal(e.field, "password");
	assert_int_equal(sessions(f->db), 0);
	assert_int_equal(s.id, 0);
	assert_int_equal(failures(f->db), 1);                  /* normalised email */
	assert_int_equal(count1(f->db, "SELECT count(*) FROM login_failures WHERE ip = :a",
				"192.0.2.7"), 1);
	assert_int_equal(audits(f->db, "login_failed"), before + 1);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE"
		" action = 'login_failed' AND user_email = :a AND user_id IS NULL", EMAIL), 1);
	assert_int_equal(audits(f->db, "login"), 0);
	expect_audit_intact(f->db);
}

/* Unknown and known emails are refused alike, so the answer does not say
 * which addresses have accounts. */
static void test_unknown_email(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	struct errinfo e, e2;
	assert_int_equal(login(f, "nobody@hearth.example", PW, NULL, &s, token, &e),
			 HE_AUTH_FAILED);
	assert_int_equal(login(f, EMAIL, "wrong password!", NULL, &s, token, &e2),
			 HE_AUTH_FAILED);
	assert_string_equal(e.field, e2.field);
	assert_string_equal(e.message, e2.message);
	assert_int_equal(sessions(f->db), 0);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM login_failures WHERE email = :a",
				"nobody@hearth.example"), 1);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE"
		" action = 'login_failed' AND user_email = :a", "nobody@hearth.example"), 1);
}

static void test_missing_or_malformed_input(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	struct errinfo e;
	assert_int_equal(login(f, "", PW, NULL, &s, token, &e), HE_MISSING);
	assert_string_equal(e.field, "email");
	assert_int_equal(login(f, NULL, PW, NULL, &s, token, &e), HE_MISSING);
	assert_string_equal(e.field, "email");
	assert_int_equal(login(f, EMAIL, "", NULL, &s, token, &e), HE_MISSING);
	assert_string_equal(e.field, "password");
	assert_int_equal(login(f, EMAIL, NULL, NULL, &s, token, &e), HE_MISSING);
	assert_string_equal(e.field, "password");
	assert_int_equal(login(f, "worker' OR '1'='1", PW, NULL, &s, token, &e), HE_INVALID);
	assert_string_equal(e.field, "email");
	assert_int_equal(sessions(f->db), 0);
}

static void test_lockout(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	struct errinfo e;
	/* the count is per normalised email, whatever case is typed */
	const char *spellings[] = {EMAIL, "WORKER@hearth.example", " worker@HEARTH.example ",
		EMAIL, "Worker@Hearth.Example"};
	for (int i = 0; i < AUTH_MAX_FAILURES; i++)
		assert_int_equal(login(f, spellings[i % 5], "guess number one", NULL, &s,
				       token, &e), HE_AUTH_FAILED);
	assert_int_equal(failures(f->db), AUTH_MAX_FAILURES);

	/* now even the right password is refused, audited, not counted again */
	assert_int_equal(login(f, EMAIL, PW, NULL, &s, token, &e), HE_LOCKED);
	assert_int_equal(e.code, HE_LOCKED);
	assert_true(strlen(e.message) > 0);
	assert_int_equal(sessions(f->db), 0);
	assert_int_equal(audits(f->db, "login_locked"), 1);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE"
		" action = 'login_locked' AND user_email = :a", EMAIL), 1);
	assert_int_equal(audits(f->db, "login_failed"), AUTH_MAX_FAILURES);
	assert_int_equal(failures(f->db), AUTH_MAX_FAILURES);
	assert_int_equal(audits(f->db, "login"), 0);

	/* another email is not locked by this one's failures */
	assert_int_equal(login(f, "other@hearth.example", PW, NULL, &s, token, &e),
			 HE_AUTH_FAILED);

	/* once the failures are older than the window, the right password works
	 * and clears them */
	char old[21];
	timestamp_format(time(NULL) - AUTH_LOCK_SECONDS - 5, old);
	struct db_stmt *st = db_prepare(f->db, "UPDATE login_failures SET at = :at");
	db_bind_text(st, ":at", old);
	assert_int_equal(db_done(st), HE_OK);
	login_ok(f, NULL, &s, token);
	assert_int_equal(failures(f->db), 0);
	expect_audit_intact(f->db);
}

/* Failures recorded directly (no argon2 cost): n rows for email from ip,
 * at now + delta seconds. */
static void add_failures(struct db *db, const char *email, const char *ip, int n, long delta)
{
	char at[21];
	timestamp_format(time(NULL) + delta, at);
	for (int i = 0; i < n; i++) {
		struct db_stmt *st = db_prepare(db,
			"INSERT INTO login_failures (email, ip, at) VALUES (:e, :ip, :at)");
		db_bind_text(st, ":e", email);
		db_bind_text(st, ":ip", ip);
		db_bind_text(st, ":at", at);
		assert_int_equal(db_done(st), HE_OK);
	}
}

/* One address trying many emails (password spraying) is locked out as a
 * whole after AUTH_MAX_IP_FAILURES, even for an email with no failures. */
static void test_lockout_by_address(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	struct errinfo e;
	char email[40];
	for (int i = 0; i < AUTH_MAX_IP_FAILURES - 1; i++) {
		snprintf(email, sizeof email, "person%d@hearth.example", i);
		add_failures(f->db, email, "192.0.2.7", 1, -60);
	}
	/* one short of the limit: the right password still works */
	login_ok(f, NULL, &s, token);
	add_failures(f->db, "person-last@hearth.example", "192.0.2.7", 1, -60);
	assert_int_equal(login(f, EMAIL, PW, NULL, &s, token, &e), HE_LOCKED);
	assert_int_equal(audits(f->db, "login_locked"), 1);
	assert_int_equal(sessions(f->db), 1);
	/* failures from elsewhere do not lock this address */
	assert_int_equal(db_exec(f->db, "UPDATE login_failures SET ip = '198.51.100.1'"),
			 HE_OK);
	login_ok(f, NULL, &s, token);
	assert_int_equal(sessions(f->db), 2);
}

/* Failures older than the window do not count, and a new failure prunes
 * them. */
static void test_old_failures_forgotten(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	struct errinfo e;
	add_failures(f->db, EMAIL, "192.0.2.7", AUTH_MAX_FAILURES + 2, -(AUTH_LOCK_SECONDS + 60));
	add_failures(f->db, "someone@hearth.example", "203.0.113.9", 2,
		     -(AUTH_LOCK_SECONDS + 60));
	add_failures(f->db, "someone@hearth.example", "203.0.113.9", 1, -60);
	assert_int_equal(login(f, EMAIL, "not it, not it", NULL, &s, token, &e),
			 HE_AUTH_FAILED);   /* not HE_LOCKED: the old ones are stale */
	assert_int_equal(failures(f->db), 1);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM login_failures", NULL), 2);
}

static void test_disabled_user(void **state)
{
	struct fx *f = *state;
	struct session s, s2;
	char token[AUTH_TOKEN_HEX + 1];
	struct errinfo e;
	login_ok(f, NULL, &s, token);
	assert_int_equal(db_exec(f->db, "UPDATE users SET disabled = 1"), HE_OK);
	/* the open session stops working */
	assert_int_equal(auth_session(f->db, &f->a, token, &s2), HE_AUTH_REQUIRED);
	/* and a new sign-in is refused, like a wrong password, and audited */
	int64_t before = audits(f->db, "login_failed");
	assert_int_equal(login(f, EMAIL, PW, NULL, &s, token, &e), HE_AUTH_FAILED);
	assert_int_equal(audits(f->db, "login_failed"), before + 1);
	assert_int_equal(sessions(f->db), 1);   /* only the first */
}

/* ---- sessions ---------------------------------------------------------------- */

static void test_session_lookup_and_idle(void **state)
{
	struct fx *f = *state;
	struct session s, found;
	char token[AUTH_TOKEN_HEX + 1], other[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &s, token);

	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);
	assert_int_equal(found.id, s.id);
	assert_int_equal(found.user.id, f->uid);
	assert_string_equal(found.user.email, EMAIL);
	assert_int_equal(found.user.role, ROLE_WORKER);
	assert_string_equal(found.csrf, s.csrf);

	/* wrong tokens */
	auth_random_token(other);
	assert_true(is_hex64(other));
	assert_string_not_equal(other, token);
	assert_int_equal(auth_session(f->db, &f->a, other, &found), HE_AUTH_REQUIRED);
	assert_int_equal(found.id, 0);
	assert_int_equal(auth_session(f->db, &f->a, NULL, &found), HE_AUTH_REQUIRED);
	assert_int_equal(auth_session(f->db, &f->a, "", &found), HE_AUTH_REQUIRED);
	assert_int_equal(auth_session(f->db, &f->a, "abc", &found), HE_AUTH_REQUIRED);
	char longer[AUTH_TOKEN_HEX + 2];
	snprintf(longer, sizeof longer, "%s0", token);
	assert_int_equal(auth_session(f->db, &f->a, longer, &found), HE_AUTH_REQUIRED);
	/* the stored hash is not a usable cookie (a stolen table cannot be replayed) */
	struct db_stmt *st = db_prepare(f->db, "SELECT token_hash FROM sessions");
	assert_true(db_next(st));
	char th[AUTH_TOKEN_HEX + 1];
	snprintf(th, sizeof th, "%s", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(auth_session(f->db, &f->a, th, &found), HE_AUTH_REQUIRED);

	/* use refreshes the idle timer */
	session_time(f->db, s.id, "last_seen", -5 * 60);
	char floor[21];
	timestamp_format(time(NULL) - 60, floor);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);
	assert_true(count1(f->db, "SELECT count(*) FROM sessions WHERE last_seen >= :a",
			   floor) == 1);

	/* still alive just inside the idle limit */
	session_time(f->db, s.id, "last_seen", -(AUTH_IDLE_SECONDS - 60));
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);

	/* idle past the limit: expired and deleted */
	session_time(f->db, s.id, "last_seen", -(AUTH_IDLE_SECONDS + 60));
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_SESSION_EXPIRED);
	assert_int_equal(sessions(f->db), 0);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_AUTH_REQUIRED);
}

/* The session's last_seen as stored. */
static void last_seen(struct db *db, int64_t id, char out[21])
{
	struct db_stmt *st = db_prepare(db, "SELECT last_seen FROM sessions WHERE id = :id");
	db_bind_int(st, ":id", id);
	assert_true(db_next(st));
	snprintf(out, 21, "%s", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
}

/* The idle timer is written at most once every AUTH_REFRESH_SECONDS (so a
 * signed-in request usually writes nothing for its session), yet a session
 * in steady use never idles out, and one left alone still does. */
static void test_session_refresh_once_a_minute(void **state)
{
	struct fx *f = *state;
	struct session s, found;
	char token[AUTH_TOKEN_HEX + 1], before[21], after[21], floor[21];
	login_ok(f, NULL, &s, token);

	/* used 20 s ago: not rewritten, however many requests come */
	session_time(f->db, s.id, "last_seen", -20);
	last_seen(f->db, s.id, before);
	for (int i = 0; i < 5; i++)
		assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);
	last_seen(f->db, s.id, after);
	assert_string_equal(after, before);

	/* used more than a minute ago: rewritten to now */
	session_time(f->db, s.id, "last_seen", -(AUTH_REFRESH_SECONDS + 5));
	timestamp_format(time(NULL) - 1, floor);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);
	last_seen(f->db, s.id, after);
	assert_true(strcmp(after, floor) >= 0);

	/* the refresh also works inside the caller's own transaction, and
	 * goes with it */
	session_time(f->db, s.id, "last_seen", -(AUTH_REFRESH_SECONDS + 5));
	last_seen(f->db, s.id, before);
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);
	db_rollback(f->db);
	last_seen(f->db, s.id, after);
	assert_string_equal(after, before);

	/* left alone past the idle limit, it expires even though it was
	 * refreshed before */
	session_time(f->db, s.id, "last_seen", -(AUTH_IDLE_SECONDS + 1));
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_SESSION_EXPIRED);
	assert_int_equal(sessions(f->db), 0);
}

static void test_session_absolute_expiry(void **state)
{
	struct fx *f = *state;
	struct session s, found;
	char token[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &s, token);
	/* expires_at is AUTH_ABSOLUTE_SECONDS after sign-in */
	char lo[21], hi[21];
	timestamp_format(time(NULL) + AUTH_ABSOLUTE_SECONDS - 120, lo);
	timestamp_format(time(NULL) + AUTH_ABSOLUTE_SECONDS + 5, hi);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM sessions WHERE expires_at > :a",
				lo), 1);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM sessions WHERE expires_at < :a",
				hi), 1);
	/* in constant use (last_seen now) but past its absolute expiry */
	session_time(f->db, s.id, "expires_at", -1);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_SESSION_EXPIRED);
	assert_int_equal(sessions(f->db), 0);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_AUTH_REQUIRED);
}

static void test_logout(void **state)
{
	struct fx *f = *state;
	struct session s, found;
	char token[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &s, token);
	struct audit_who me = who;
	me.user_id = f->uid;
	me.email = EMAIL;
	me.role = "worker";
	me.route = "DELETE /api/v1/session";
	assert_int_equal(auth_logout(f->db, &me, s.id), HE_OK);
	assert_int_equal(sessions(f->db), 0);
	assert_false(db_in_transaction(f->db));
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_AUTH_REQUIRED);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE"
		" action = 'logout' AND user_email = :a", EMAIL), 1);
	expect_audit_intact(f->db);
}

/* ---- TOTP ----------------------------------------------------------------------- */

/* A 6-digit code that is none of the codes valid around now. */
static void wrong_code(const char *secret, char out[7])
{
	char near[3][7];
	time_t now = time(NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth_totp_code(secret, now + (i - 1) * 30, near[i]), HE_OK);
	for (int n = 0; n < 4; n++) {
		snprintf(out, 7, "%06d", n % 4);
		if (strcmp(out, near[0]) && strcmp(out, near[1]) && strcmp(out, near[2]))
			return;
	}
	fail_msg("no wrong code found");
}

static void test_totp(void **state)
{
	struct fx *f = *state;
	struct session s;
	struct user u;
	char token[AUTH_TOKEN_HEX + 1], code[7], bad[7], *secret = NULL;
	struct errinfo e;

	assert_int_equal(auth_totp_begin(f->db, &who, f->uid, &f->a, &secret), HE_OK);
	assert_non_null(secret);
	assert_int_equal(strlen(secret), 32);                 /* 160 bits, base32 */
	assert_int_equal(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM users WHERE totp_pending = :a"
		" AND totp_secret IS NULL", secret), 1);
	assert_int_equal(user_load(f->db, &f->a, f->uid, &u), HE_OK);
	assert_false(u.totp_enabled);
	assert_int_equal(audits(f->db, "totp_begin"), 1);

	/* a wrong code does not enable it */
	wrong_code(secret, bad);
	memset(&e, 0, sizeof e);
	assert_int_equal(auth_totp_confirm(f->db, &who, f->uid, bad, &e), HE_TOTP_FAILED);
	assert_string_equal(e.field, "code");
	assert_int_equal(user_load(f->db, &f->a, f->uid, &u), HE_OK);
	assert_false(u.totp_enabled);

	assert_int_equal(auth_totp_code(secret, time(NULL), code), HE_OK);
	assert_int_equal(strlen(code), 6);
	assert_int_equal(auth_totp_confirm(f->db, &who, f->uid, code, &e), HE_OK);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM users WHERE totp_secret = :a"
		" AND totp_pending IS NULL", secret), 1);
	assert_int_equal(user_load(f->db, &f->a, f->uid, &u), HE_OK);
	assert_true(u.totp_enabled);
	assert_int_equal(audits(f->db, "totp_enable"), 1);

	/* the password alone is no longer enough */
	assert_int_equal(login(f, EMAIL, PW, NULL, &s, token, &e), HE_TOTP_REQUIRED);
	assert_string_equal(e.field, "totp");
	assert_int_equal(login(f, EMAIL, PW, "", &s, token, &e), HE_TOTP_REQUIRED);
	assert_int_equal(sessions(f->db), 0);

	/* a wrong code is refused, counted and audited */
	int64_t fails = failures(f->db), failed = audits(f->db, "login_failed");
	wrong_code(secret, bad);
	assert_int_equal(login(f, EMAIL, PW, bad, &s, token, &e), HE_TOTP_FAILED);
	assert_string_equal(e.field, "totp");
	assert_int_equal(failures(f->db), fails + 1);
	assert_int_equal(audits(f->db, "login_failed"), failed + 1);
	assert_int_equal(sessions(f->db), 0);

	/* the next step's code (within the ±1 window; the current step was
	 * spent confirming) signs in */
	assert_int_equal(auth_totp_code(secret, time(NULL) + 30, code), HE_OK);
	login_ok(f, code, &s, token);
	assert_int_equal(sessions(f->db), 1);
	assert_int_equal(failures(f->db), 0);

	/* the same code again is a replay; so is the older code */
	assert_int_equal(login(f, EMAIL, PW, code, &s, token, &e), HE_TOTP_FAILED);
	assert_int_equal(auth_totp_code(secret, time(NULL), code), HE_OK);
	assert_int_equal(login(f, EMAIL, PW, code, &s, token, &e), HE_TOTP_FAILED);
	assert_int_equal(sessions(f->db), 1);
	expect_audit_intact(f->db);
}

static void test_totp_confirm_without_begin(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	assert_int_not_equal(auth_totp_confirm(f->db, &who, f->uid, "123456", &e), HE_OK);
	assert_string_equal(e.field, "code");
	assert_int_equal(count1(f->db, "SELECT count(*) FROM users WHERE totp_secret IS NULL",
				NULL), 1);
}

/* RFC 6238 appendix B vectors (SHA-1, secret "12345678901234567890"),
 * last six digits of the eight-digit values. */
static void test_totp_code_rfc6238(void **state)
{
	(void)state;
	const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	const struct { time_t t; const char *code; } v[] = {
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"},
	};
	char out[7];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(auth_totp_code(secret, v[i].t, out), HE_OK);
		assert_string_equal(out, v[i].code);
	}
	assert_int_not_equal(auth_totp_code("not base32!", 59, out), HE_OK);
}

/* ---- tokens and CSRF --------------------------------------------------------------- */

static void test_random_token(void **state)
{
	(void)state;
	char a[AUTH_TOKEN_HEX + 1], b[AUTH_TOKEN_HEX + 1];
	auth_random_token(a);
	auth_random_token(b);
	assert_true(is_hex64(a));
	assert_true(is_hex64(b));
	assert_string_not_equal(a, b);
}

static void test_csrf_ok(void **state)
{
	(void)state;
	char t[AUTH_TOKEN_HEX + 1], u[AUTH_TOKEN_HEX + 1];
	auth_random_token(t);
	snprintf(u, sizeof u, "%s", t);
	assert_true(auth_csrf_ok(t, u));                      /* equal, not the same pointer */
	u[63] = u[63] == 'a' ? 'b' : 'a';
	assert_false(auth_csrf_ok(t, u));                     /* last character differs */
	snprintf(u, sizeof u, "%s", t);
	u[0] = u[0] == 'a' ? 'b' : 'a';
	assert_false(auth_csrf_ok(t, u));
	assert_false(auth_csrf_ok(t, NULL));
	assert_false(auth_csrf_ok(NULL, t));
	assert_false(auth_csrf_ok(NULL, NULL));
	assert_false(auth_csrf_ok(t, ""));
	char prefix[40];
	snprintf(prefix, sizeof prefix, "%.32s", t);
	assert_false(auth_csrf_ok(t, prefix));                /* a prefix is not enough */
	char longer[AUTH_TOKEN_HEX + 2];
	snprintf(longer, sizeof longer, "%sa", t);
	assert_false(auth_csrf_ok(t, longer));
	/* a missing token never matches a missing expectation: an empty
	 * expected token (no session, no cookie) must not accept "" */
	assert_false(auth_csrf_ok("", ""));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_login_success),
		T(test_wrong_password),
		T(test_unknown_email),
		T(test_missing_or_malformed_input),
		T(test_lockout),
		T(test_lockout_by_address),
		T(test_old_failures_forgotten),
		T(test_disabled_user),
		T(test_session_lookup_and_idle),
		T(test_session_refresh_once_a_minute),
		T(test_session_absolute_expiry),
		T(test_logout),
		T(test_totp),
		T(test_totp_confirm_without_begin),
#undef T
		cmocka_unit_test(test_totp_code_rfc6238),
		cmocka_unit_test(test_random_token),
		cmocka_unit_test(test_csrf_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
