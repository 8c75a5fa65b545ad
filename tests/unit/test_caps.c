/* test_caps.c — unit tests for src/core/caps.c: each role expands to the
 * capabilities DESIGN.md's table gives it ("The people who use it"), role
 * names parse and print both ways, an unknown role has no capability, and
 * CAP_PUBLIC needs none.
 *
 * Where the table says what a role sees and nothing more ("only the audit
 * log", "aggregate reports only"), the test demands that exact set; for
 * the other roles it demands what the table says they do and refuses what
 * it says they must not see (the admin never reads case notes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/caps.h"

#define END CAP_COUNT

static void expect_has(enum role r, const enum cap *want)
{
	struct caps c = caps_for_role(r);
	for (int i = 0; want[i] != END; i++)
		if (!caps_has(c, want[i]))
			fail_msg("role %s lacks %s", role_name(r), cap_name(want[i]));
}

static void expect_lacks(enum role r, const enum cap *deny)
{
	struct caps c = caps_for_role(r);
	for (int i = 0; deny[i] != END; i++)
		if (caps_has(c, deny[i]))
			fail_msg("role %s must not have %s", role_name(r), cap_name(deny[i]));
}

/* Exactly the listed capabilities (CAP_PUBLIC aside, which all have). */
static void expect_exactly(enum role r, const enum cap *want)
{
	struct caps c = caps_for_role(r);
	for (int cap = CAP_SIGNED_IN; cap < CAP_COUNT; cap++) {
		bool listed = false;
		for (int i = 0; want[i] != END; i++)
			listed |= (int)want[i] == cap;
		if (caps_has(c, (enum cap)cap) != listed)
			fail_msg("role %s: %s is %s, want %s", role_name(r),
				 cap_name((enum cap)cap), listed ? "missing" : "present",
				 listed ? "present" : "absent");
	}
	assert_int_equal(c.bits >> CAP_COUNT, 0);
}

static void test_admin(void **state)
{
	(void)state;
	static const enum cap has[] = {CAP_SIGNED_IN, CAP_USERS_MANAGE, CAP_SCHOOLS_MANAGE,
		CAP_SCHOOLS_VIEW, CAP_IMPORT_ANY, CAP_PUPILS_ALL, CAP_REPORTS,
		CAP_REPORTS_AGGREGATE, END};
	static const enum cap lacks[] = {CAP_CASE_NOTES, END};
	expect_has(ROLE_ADMIN, has);
	expect_lacks(ROLE_ADMIN, lacks);
}

static void test_coordinator(void **state)
{
	(void)state;
	static const enum cap has[] = {CAP_SIGNED_IN, CAP_REFERRALS_ALL, CAP_CASES_ALL,
		CAP_CASE_NOTES, CAP_SCHOOLS_VIEW, END};
	static const enum cap lacks[] = {CAP_USERS_MANAGE, CAP_SCHOOLS_MANAGE,
		CAP_AUDIT_READ, END};
	expect_has(ROLE_COORDINATOR, has);
	expect_lacks(ROLE_COORDINATOR, lacks);
}

static void test_school(void **state)
{
	(void)state;
	static const enum cap has[] = {CAP_SIGNED_IN, CAP_REFER, CAP_IMPORT_OWN,
		CAP_PUPILS_OWN, CAP_IMPACT, CAP_REPORTS_OWN, CAP_SURVEY_RESPOND, END};
	/* their own school only; case status but not case notes */
	static const enum cap lacks[] = {CAP_IMPORT_ANY, CAP_PUPILS_ALL, CAP_REFERRALS_ALL,
		CAP_CASES_ALL, CAP_CASE_NOTES, CAP_USERS_MANAGE, CAP_SCHOOLS_MANAGE,
		CAP_REPORTS, CAP_REPORTS_AGGREGATE, CAP_SURVEYS_MANAGE, CAP_HISTORY_IMPORT,
		CAP_AUDIT_READ, END};
	expect_has(ROLE_SCHOOL, has);
	expect_lacks(ROLE_SCHOOL, lacks);
}

static void test_worker(void **state)
{
	(void)state;
	static const enum cap has[] = {CAP_SIGNED_IN, CAP_CASES_OWN, CAP_CASE_NOTES, END};
	static const enum cap lacks[] = {CAP_CASES_ALL, CAP_REFERRALS_ALL, CAP_PUPILS_ALL,
		CAP_USERS_MANAGE, CAP_SCHOOLS_MANAGE, CAP_IMPORT_ANY, CAP_REPORTS, CAP_IMPACT,
		CAP_SURVEY_RESPOND, CAP_AUDIT_READ, END};
	expect_has(ROLE_WORKER, has);
	expect_lacks(ROLE_WORKER, lacks);
}

static void test_agency(void **state)
{
	(void)state;
	static const enum cap has[] = {CAP_SIGNED_IN, CAP_TAF_ACTIONS_OWN, END};
	static const enum cap lacks[] = {CAP_CASE_NOTES, CAP_CASES_OWN, CAP_CASES_ALL,
		CAP_PUPILS_ALL, CAP_PUPILS_OWN, CAP_REFER, CAP_REPORTS, CAP_AUDIT_READ,
		CAP_USERS_MANAGE, END};
	expect_has(ROLE_AGENCY, has);
	expect_lacks(ROLE_AGENCY, lacks);
}

static void test_viewer_aggregate_only(void **state)
{
	(void)state;
	/* impact reports at all, but only aggregated (suppressed below 5) */
	static const enum cap want[] = {CAP_SIGNED_IN, CAP_REPORTS_AGGREGATE, CAP_IMPACT, END};
	expect_exactly(ROLE_VIEWER, want);
}

static void test_auditor_audit_only(void **state)
{
	(void)state;
	static const enum cap want[] = {CAP_SIGNED_IN, CAP_AUDIT_READ, CAP_SUBJECT_ACCESS,
		CAP_EXPORT_REGISTER, END};
	expect_exactly(ROLE_AUDITOR, want);
}

static void test_every_role_signed_in(void **state)
{
	(void)state;
	for (int r = ROLE_ADMIN; r < ROLE_COUNT; r++) {
		struct caps c = caps_for_role((enum role)r);
		assert_true(caps_has(c, CAP_SIGNED_IN));
		assert_true(caps_has(c, CAP_PUBLIC));
		assert_int_equal(c.bits >> CAP_COUNT, 0);
	}
}

/* Identifiable case notes: only those who work cases. */
static void test_case_notes_holders(void **state)
{
	(void)state;
	for (int r = ROLE_ADMIN; r < ROLE_COUNT; r++) {
		bool want = r == ROLE_COORDINATOR || r == ROLE_WORKER;
		if (caps_has(caps_for_role((enum role)r), CAP_CASE_NOTES) != want)
			fail_msg("role %s: case_notes %s", role_name((enum role)r),
				 want ? "missing" : "granted");
	}
}

static void test_unknown_role_has_nothing(void **state)
{
	(void)state;
	const char *bad[] = {"", "Admin", "ADMIN", "admin ", " admin", "root", "none",
		"auditors", "admin\n", NULL};
	for (int i = 0; bad[i]; i++)
		if (role_parse(bad[i]) != ROLE_NONE)
			fail_msg("role_parse(\"%s\") accepted", bad[i]);
	assert_int_equal(role_parse(NULL), ROLE_NONE);
	const enum role nones[] = {ROLE_NONE, ROLE_COUNT, (enum role)(ROLE_COUNT + 5)};
	for (size_t i = 0; i < sizeof nones / sizeof nones[0]; i++) {
		struct caps c = caps_for_role(nones[i]);
		assert_int_equal(c.bits, 0);
		for (int cap = CAP_SIGNED_IN; cap < CAP_COUNT; cap++)
			assert_false(caps_has(c, (enum cap)cap));
		assert_true(caps_has(c, CAP_PUBLIC));
		assert_string_equal(role_name(nones[i]), "none");
		assert_non_null(role_title(nones[i]));
	}
}

static void test_public_always(void **state)
{
	(void)state;
	struct caps none = {0}, all = {UINT64_MAX};
	assert_true(caps_has(none, CAP_PUBLIC));
	assert_true(caps_has(all, CAP_PUBLIC));
	assert_false(caps_has(none, CAP_SIGNED_IN));
	assert_true(caps_has(all, CAP_AUDIT_READ));
}

static void test_role_names_round_trip(void **state)
{
	(void)state;
	const char *names[] = {"admin", "coordinator", "school", "worker", "agency",
		"viewer", "auditor"};
	assert_int_equal(sizeof names / sizeof names[0], ROLE_COUNT - 1);
	for (int i = 0; i < ROLE_COUNT - 1; i++) {
		enum role r = role_parse(names[i]);
		assert_int_not_equal(r, ROLE_NONE);
		assert_string_equal(role_name(r), names[i]);
		const char *title = role_title(r);
		assert_non_null(title);
		assert_true(strlen(title) > 0);
		for (int j = 0; j < i; j++) {
			assert_int_not_equal(r, role_parse(names[j]));
			assert_string_not_equal(title, role_title(role_parse(names[j])));
		}
	}
	for (int r = ROLE_ADMIN; r < ROLE_COUNT; r++)
		assert_int_equal(role_parse(role_name((enum role)r)), r);
}

static void test_cap_names(void **state)
{
	(void)state;
	assert_string_equal(cap_name(CAP_PUBLIC), "public");
	assert_string_equal(cap_name(CAP_SIGNED_IN), "signed_in");
	assert_string_equal(cap_name(CAP_AUDIT_READ), "audit_read");
	assert_string_equal(cap_name(CAP_CASE_NOTES), "case_notes");
	assert_string_equal(cap_name(CAP_REPORTS_AGGREGATE), "reports_aggregate");
	assert_string_equal(cap_name(CAP_COUNT), "unknown");
	assert_string_equal(cap_name((enum cap)-1), "unknown");
	for (int i = 0; i < CAP_COUNT; i++) {
		const char *n = cap_name((enum cap)i);
		assert_string_not_equal(n, "unknown");
		assert_int_equal(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, cap_name((enum cap)j));
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin),
		cmocka_unit_test(test_coordinator),
		cmocka_unit_test(test_school),
		cmocka_unit_test(test_worker),
		cmocka_unit_test(test_agency),
		cmocka_unit_test(test_viewer_aggregate_only),
		cmocka_unit_test(test_auditor_audit_only),
		cmocka_unit_test(test_every_role_signed_in),
		cmocka_unit_test(test_case_notes_holders),
		cmocka_unit_test(test_unknown_role_has_nothing),
		cmocka_unit_test(test_public_always),
		cmocka_unit_test(test_role_names_round_trip),
		cmocka_unit_test(test_cap_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
