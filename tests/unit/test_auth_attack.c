/* test_auth_attack.c — unit tests for the parts of src/core/auth.c that
 * stand against attacks on sessions (issue 9): a session replaced by a new
 * sign-in ends; renewing a session after a change of credentials voids
 * every earlier id and CSRF token; confirming an authenticator ends the
 * sessions opened with the password alone; a code from a window that has
 * passed is refused; and the Origin / Sec-Fetch-Site check on
 * state-changing requests.  The HTTP cases tests/http/cases/session-*.http
 * drive the same through a real server.
 *
 * Every sign-in verifies an argon2id hash, so each test signs in as
 * little as it can. */
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
#include "base/err.h"
#include "core/audit.h"
#include "core/auth.h"
#include "core/user.h"
#include "store/db.h"
#include "testdb.h"
#include "authfix.h"

/* The audit identity of the signed-in user, as the dispatcher makes it. */
static struct audit_who as_user(const struct fx *f, const char *route)
{
	struct audit_who w = who;
	w.user_id = f->uid;
	w.email = EMAIL;
	w.role = "worker";
	w.route = route;
	return w;
}

/* Enrol an authenticator for the fixture user; returns its secret. */
static char *enrol(struct fx *f)
{
	char *secret = NULL, code[7];
	struct errinfo e = {0};
	struct audit_who w = as_user(f, "POST /account/totp");
	assert_int_equal(auth_totp_begin(f->db, &w, f->uid, &f->a, &secret), HE_OK);
	assert_int_equal(auth_totp_code(secret, time(NULL), code), HE_OK);
	assert_int_equal(auth_totp_confirm(f->db, &w, f->uid, code, &e), HE_OK);
	return secret;
}

/* ---- sessions ------------------------------------------------------------ */

/* A session ended because a new sign-in replaced it is gone, audited with
 * the reason; the user's other sessions are untouched. */
static void test_session_end(void **state)
{
	struct fx *f = *state;
	struct session a, b, found;
	char ta[AUTH_TOKEN_HEX + 1], tb[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &a, ta);
	login_ok(f, NULL, &b, tb);
	struct audit_who w = as_user(f, "POST /api/v1/session");
	assert_int_equal(auth_session_end(f->db, &w, a.id, "session replaced by a new sign-in"),
			 HE_OK);
	assert_false(db_in_transaction(f->db));
	assert_int_equal(auth_session(f->db, &f->a, ta, &found), HE_AUTH_REQUIRED);
	assert_int_equal(auth_session(f->db, &f->a, tb, &found), HE_OK);
	assert_int_equal(found.id, b.id);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE action = 'logout'"
		" AND entity = 'sessions' AND summary = :a", "session replaced by a new sign-in"), 1);
	expect_audit_intact(f->db);
}

/* Renewing: a new id and CSRF token; the old id, the old token and every
 * other session of the user are void; the new one works. */
static void test_session_renew(void **state)
{
	struct fx *f = *state;
	struct session s, other, found;
	char token[AUTH_TOKEN_HEX + 1], other_token[AUTH_TOKEN_HEX + 1];
	char old_token[AUTH_TOKEN_HEX + 1], old_csrf[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &other, other_token);
	login_ok(f, NULL, &s, token);
	int64_t old_id = s.id;
	memcpy(old_token, token, sizeof old_token);
	memcpy(old_csrf, s.csrf, sizeof old_csrf);
	struct audit_who w = as_user(f, "POST /account/totp/confirm");
	assert_int_equal(s.user.id, f->uid);
	assert_int_equal(auth_session_renew(f->db, &w, &s, token), HE_OK);
	assert_false(db_in_transaction(f->db));
	assert_int_not_equal(s.id, old_id);
	assert_string_not_equal(token, old_token);
	assert_string_not_equal(s.csrf, old_csrf);
	assert_int_equal(sessions(f->db), 1);
	assert_int_equal(auth_session(f->db, &f->a, old_token, &found), HE_AUTH_REQUIRED);
	assert_int_equal(auth_session(f->db, &f->a, other_token, &found), HE_AUTH_REQUIRED);
	assert_int_equal(auth_session(f->db, &f->a, token, &found), HE_OK);
	assert_int_equal(found.id, s.id);
	assert_int_equal(found.user.id, f->uid);
	assert_string_equal(found.csrf, s.csrf);
	assert_false(auth_csrf_ok(found.csrf, old_csrf));
	assert_int_equal(count1(f->db, "SELECT count(*) FROM audit_log WHERE action = :a"
		" AND entity = 'sessions'", "session_renew"), 1);
	/* the cookie token is stored hashed, as at sign-in */
	assert_int_equal(count1(f->db, "SELECT count(*) FROM sessions WHERE token_hash = :a",
				token), 0);
	expect_audit_intact(f->db);
}

/* Confirming an authenticator ends the sessions opened with the password
 * alone, in the same transaction as the enrolment. */
static void test_totp_confirm_ends_sessions(void **state)
{
	struct fx *f = *state;
	struct session a, b, found;
	char ta[AUTH_TOKEN_HEX + 1], tb[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &a, ta);
	login_ok(f, NULL, &b, tb);
	assert_int_equal(sessions(f->db), 2);
	enrol(f);
	assert_int_equal(sessions(f->db), 0);
	assert_int_equal(auth_session(f->db, &f->a, ta, &found), HE_AUTH_REQUIRED);
	assert_int_equal(auth_session(f->db, &f->a, tb, &found), HE_AUTH_REQUIRED);
	expect_audit_intact(f->db);
}

/* ---- TOTP windows ------------------------------------------------------- */

/* With no code used yet, a code from two steps ago (outside the ±1 step
 * tolerance) is refused; the previous step's code is accepted once; after
 * it, neither it nor anything older works. */
static void test_totp_past_window(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1], code[7];
	struct errinfo e = {0};
	/* The codes are made for one moment and checked a second or two
	 * later (each check hashes a password): start early in a step, so
	 * no step boundary falls in between. */
	unsigned left = (unsigned)(30 - time(NULL) % 30);
	if (left < 10)
		sleep(left);
	char *secret = enrol(f);
	assert_int_equal(db_exec(f->db, "UPDATE users SET totp_last_step = 0"), HE_OK);
	time_t now = time(NULL);
	assert_int_equal(auth_totp_code(secret, now - 60, code), HE_OK);
	assert_int_equal(auth_login(f->db, &f->a, &who, EMAIL, PW, code, &s, token, &e),
			 HE_TOTP_FAILED);
	assert_int_equal(auth_totp_code(secret, now - 30, code), HE_OK);
	login_ok(f, code, &s, token);
	assert_int_equal(auth_login(f->db, &f->a, &who, EMAIL, PW, code, &s, token, &e),
			 HE_TOTP_FAILED);
	assert_int_equal(auth_totp_code(secret, now - 60, code), HE_OK);
	assert_int_equal(auth_login(f->db, &f->a, &who, EMAIL, PW, code, &s, token, &e),
			 HE_TOTP_FAILED);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM login_failures WHERE email = :a",
				EMAIL), 2);
}

/* ---- Origin / Sec-Fetch-Site -------------------------------------------- */

static void test_origin_ok(void **state)
{
	(void)state;
	static const struct {
		const char *origin, *site, *host;
		bool ok;
	} v[] = {
		/* neither header: a script or an old browser; the token decides */
		{NULL, NULL, "hearth.example", true},
		{"", "", "hearth.example", true},
		/* Sec-Fetch-Site decides when present */
		{NULL, "same-origin", "hearth.example", true},
		{NULL, "none", "hearth.example", true},
		{NULL, "cross-site", "hearth.example", false},
		{NULL, "same-site", "hearth.example", false},
		{"https://hearth.example", "cross-site", "hearth.example", false},
		{"https://evil.example", "same-origin", "hearth.example", true},
		{NULL, "Same-Origin", "hearth.example", false},
		/* otherwise Origin must name the Host */
		{"https://hearth.example", NULL, "hearth.example", true},
		{"http://127.0.0.1:8080", NULL, "127.0.0.1:8080", true},
		{"https://Hearth.Example", NULL, "hearth.example", true},
		{"https://evil.example", NULL, "hearth.example", false},
		{"https://hearth.example.evil.example", NULL, "hearth.example", false},
		{"https://hearth.example:8443", NULL, "hearth.example", false},
		{"http://127.0.0.1:1", NULL, "127.0.0.1:8080", false},
		{"null", NULL, "hearth.example", false},
		{"hearth.example", NULL, "hearth.example", false},
		{"https://", NULL, "hearth.example", false},
		{"https://hearth.example", NULL, NULL, false},
		{"https://hearth.example", NULL, "", false},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (auth_origin_ok(v[i].origin, v[i].site, v[i].host) != v[i].ok)
			fail_msg("auth_origin_ok(%s, %s, %s) should be %s",
				 v[i].origin ? v[i].origin : "NULL", v[i].site ? v[i].site : "NULL",
				 v[i].host ? v[i].host : "NULL", v[i].ok ? "true" : "false");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_session_end),
		T(test_session_renew),
		T(test_totp_confirm_ends_sessions),
		T(test_totp_past_window),
#undef T
		cmocka_unit_test(test_origin_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
