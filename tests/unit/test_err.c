/* test_err.c — unit tests for src/base/err.c: every error code has a stable
 * number, a unique name, an HTTP status and a message; errinfo_set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/err.h"

/* Every code, with the number, name and status the API promises.  Codes
 * are part of the API: this table pins them so a renumbering fails here. */
static const struct {
	int code, number, status;
	const char *name;
} codes[] = {
	{HE_OK, 0, 200, "ok"},
	{HE_INTERNAL, 1000, 500, "internal"},
	{HE_NOT_FOUND, 1001, 404, "not_found"},
	{HE_METHOD, 1002, 405, "method_not_allowed"},
	{HE_CONFLICT, 1003, 409, "conflict"},
	{HE_UNAVAILABLE, 1004, 503, "unavailable"},
	{HE_AUTH_REQUIRED, 2000, 401, "auth_required"},
	{HE_AUTH_FAILED, 2001, 401, "auth_failed"},
	{HE_FORBIDDEN, 2002, 403, "forbidden"},
	{HE_CSRF, 2003, 403, "csrf"},
	{HE_LOCKED, 2004, 429, "locked"},
	{HE_TOTP_REQUIRED, 2005, 401, "totp_required"},
	{HE_TOTP_FAILED, 2006, 401, "totp_failed"},
	{HE_SESSION_EXPIRED, 2007, 401, "session_expired"},
	{HE_INVALID, 3000, 422, "invalid"},
	{HE_MISSING, 3001, 422, "missing"},
	{HE_BAD_JSON, 3002, 400, "bad_json"},
	{HE_TOO_LARGE, 3003, 413, "too_large"},
	{HE_BAD_MEDIA, 3004, 415, "unsupported_media_type"},
	{HE_USAGE, 3005, 400, "usage"},
	{HE_BAD_REQUEST, 3006, 400, "bad_request"},
	{HE_DB, 4000, 500, "database"},
	{HE_DB_BUSY, 4001, 503, "database_busy"},
	{HE_DB_CONSTRAINT, 4002, 409, "constraint"},
	{HE_DB_READONLY, 4003, 503, "database_readonly"},
	{HE_DB_SCHEMA, 4004, 500, "schema"},
	{HE_AUDIT_BROKEN, 4005, 500, "audit_broken"},
};
#define NCODES (sizeof codes / sizeof codes[0])

static void test_numbers_are_stable(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++)
		if (codes[i].code != codes[i].number)
			fail_msg("%s renumbered: %d, was %d", codes[i].name, codes[i].code,
				 codes[i].number);
}

static void test_every_code_has_name_and_status(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++) {
		int c = codes[i].code;
		assert_string_equal(err_name(c), codes[i].name);
		assert_int_equal(err_http_status(c), codes[i].status);
		const char *msg = err_default_message(c);
		assert_non_null(msg);
		assert_true(strlen(msg) > 0);
		/* Only HE_INTERNAL itself may fall back to the internal entry. */
		if (c != HE_INTERNAL)
			assert_string_not_equal(err_name(c), "internal");
	}
}

static void test_names_and_messages_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++) {
		const char *n = err_name(codes[i].code);
		/* Stable lower-case identifiers: [a-z_] only. */
		for (const char *p = n; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (size_t k = i + 1; k < NCODES; k++) {
			if (strcmp(n, err_name(codes[k].code)) == 0)
				fail_msg("codes %d and %d share the name %s", codes[i].code,
					 codes[k].code, n);
			assert_string_not_equal(err_default_message(codes[i].code),
						err_default_message(codes[k].code));
		}
	}
}

static void test_groups_map_to_status_classes(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++) {
		int c = codes[i].code, s = err_http_status(c);
		if (c >= 2000 && c < 4000)  /* auth and input: the client's doing */
			assert_true(s >= 400 && s < 500);
		if (c >= 1000)
			assert_true(s >= 400 && s < 600);
	}
}

static void test_unknown_codes(void **state)
{
	(void)state;
	static const int unknown[] = {-1, 1, 999, 1999, 2999, 3999, 4999, 9999, 1005};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		assert_string_equal(err_name(unknown[i]), "internal");
		assert_int_equal(err_http_status(unknown[i]), 500);
		assert_string_equal(err_default_message(unknown[i]),
				    err_default_message(HE_INTERNAL));
	}
}

static void test_errinfo_set(void **state)
{
	(void)state;
	struct errinfo e;
	memset(&e, 0x55, sizeof e);
	int rc = errinfo_set(&e, HE_INVALID, "email", "Enter an email address like %s",
			     "name@example.com");
	assert_int_equal(rc, HE_INVALID);
	assert_int_equal(e.code, HE_INVALID);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.field, "email");
	assert_string_equal(e.message, "Enter an email address like name@example.com");

	rc = errinfo_set(&e, HE_NOT_FOUND, NULL, "No pupil %d", 7);
	assert_int_equal(rc, HE_NOT_FOUND);
	assert_string_equal(e.field, "");
	assert_string_equal(e.message, "No pupil 7");

	rc = errinfo_set(&e, HE_MISSING, "", "%s", "");
	assert_int_equal(rc, HE_MISSING);
	assert_string_equal(e.message, "");

	/* A NULL errinfo is allowed: the code is still returned. */
	assert_int_equal(errinfo_set(NULL, HE_CSRF, "csrf_token", "bad %s", "token"), HE_CSRF);
}

static void test_errinfo_truncates(void **state)
{
	(void)state;
	struct errinfo e;
	char longfield[200], longmsg[1000];
	memset(longfield, 'f', sizeof longfield - 1);
	longfield[sizeof longfield - 1] = '\0';
	memset(longmsg, 'm', sizeof longmsg - 1);
	longmsg[sizeof longmsg - 1] = '\0';
	errinfo_set(&e, HE_INVALID, longfield, "%s", longmsg);
	assert_int_equal(strlen(e.field), sizeof e.field - 1);
	assert_int_equal(strlen(e.message), sizeof e.message - 1);
	assert_int_equal(e.field[0], 'f');
	assert_int_equal(e.message[0], 'm');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_are_stable),
		cmocka_unit_test(test_every_code_has_name_and_status),
		cmocka_unit_test(test_names_and_messages_unique),
		cmocka_unit_test(test_groups_map_to_status_classes),
		cmocka_unit_test(test_unknown_codes),
		cmocka_unit_test(test_errinfo_set),
		cmocka_unit_test(test_errinfo_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
