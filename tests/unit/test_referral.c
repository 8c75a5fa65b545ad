/* test_referral.c — unit tests for src/core/referral.c: a school's
 * referral writes the referral, its pupils, the family (siblings found by
 * family_key), adults, consent, a notice to a sibling's other school, the
 * chronology and the audit; every bad field is named and nothing is
 * written; double submission with the same key is one referral; a
 * second referral finds the same family; row scope (referring school,
 * sibling's school, coordinator; never another school or a worker);
 * step-down referrals in the caller's transaction; back-dating only by
 * the system.  SQLite, or PostgreSQL with HEARTH_TEST_PG (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>

#include "base/err.h"
#include "core/consent.h"
#include "core/family.h"
#include "core/referral.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct referral_adult two_adults[] = {
	{"Farah Khan", "mother", "0116 496 0123"},
	{"", "", ""},                      /* the form's empty second row */
	{"Imran Khan", "father", NULL},
};

/* A good referral by school A for Aisha and her sister Cara (school B). */
static struct referral_in good(const char *const *upns, size_t n)
{
	struct referral_in in = {
		.source = "school", .school_id = SCHOOL_A, .upns = upns, .nupns = n,
		.adults = two_adults, .nadults = 3, .needs = "parenting,attendance",
		.level_of_need = 2, .reason = "Attendance has fallen to 71% since the spring.",
		.tried = "Attendance meetings; a mentor.",
		.consent = {.basis = "consent", .given_by = "Farah Khan", .relationship = "mother",
			    .scope = "pool,school", .given_on = "2026-01-05"},
	};
	return in;
}

static void refs(void **state)
{
	(void)state;
	char out[16];
	referral_ref(123, out);
	assert_string_equal(out, "R-000123");
	referral_ref(1234567, out);
	assert_string_equal(out, "R-1234567");
	family_ref(45, out);
	assert_string_equal(out, "F-000045");
	assert_string_equal(referral_need_title("finances"), "Finances and benefits");
	assert_null(referral_need_title("astrology"));
	int n = 0;
	while (referral_needs[n].code)
		n++;
	assert_int_equal(n, 15);
	assert_string_equal(referral_level_title(3), "Early help – complex or multiple needs");
	assert_string_equal(referral_level_title(5), "");
	assert_string_equal(referral_status_title("received"), "Received");
}

static void school_refers_family(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	const char *upns[] = {fix_upn[AISHA], fix_upn[CARA]};
	struct referral_in in = good(upns, 2);
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = referral_create(db, &a, &in, &id, &e);
	if (rc)
		fail_msg("referral_create: %d %s: %s", rc, e.field, e.message);
	assert_true(id > 0);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM referrals WHERE id = :id"
		" AND status = 'received' AND school_id = 1"
		" AND user_id = 1 AND needs = 'attendance,parenting' AND level_of_need = 2", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM referral_pupils WHERE referral_id = :id", id), 2);
	assert_int_equal(fix_int(db, "SELECT school_id FROM referral_pupils WHERE referral_id = :id"
		" AND pupil_id = 3", id), SCHOOL_B);
	int64_t fam = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM families WHERE id = :id AND name ="
		" 'Khan family' AND family_key = 'khan'", fam), 1);
	/* Aisha, Cara and, found by the census's family_key, Bilal; two adults */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id"
		" AND is_child = 1 AND pupil_id IS NOT NULL", fam), 3);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id"
		" AND is_child = 0", fam), 2);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id"
		" AND name = 'Farah Khan' AND relationship = 'mother' AND phone = '0116 496 0123'", fam), 1);
	/* school B is told about Cara; school A is not told about itself */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM school_notices WHERE referral_id = :id", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM school_notices WHERE referral_id = :id"
		" AND school_id = 2 AND message LIKE 'Cara Khan, a pupil at your school%Alpha Academy%'", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM consents WHERE referral_id = :id AND"
		" basis = 'consent' AND given_by = 'Farah Khan' AND scope = 'pool,school'"
		" AND recorded_by = 1", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM case_events WHERE referral_id = :id"
		" AND kind = 'referred' AND summary LIKE '%Attendance, Parenting%'", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'create'"
		" AND entity = 'referrals' AND entity_id = CAST(:id AS TEXT)", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'create'"
		" AND entity = 'consents' AND :id > 0", id), 1);
	int64_t found = 0;
	char ref[16];
	referral_ref(id, ref);
	assert_int_equal(referral_id_by_ref(db, ref, &found), HE_OK);
	assert_int_equal(found, id);
	ref[0] = 'r';
	assert_int_equal(referral_id_by_ref(db, ref, &found), HE_OK);
	assert_int_equal(referral_id_by_ref(db, "R-999999", &found), HE_NOT_FOUND);
	assert_int_equal(referral_id_by_ref(db, "nonsense", &found), HE_NOT_FOUND);
}

static void visible_by_scope(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	const char *upns[] = {fix_upn[AISHA], fix_upn[CARA]};
	struct referral_in in = good(upns, 2);
	int64_t id;
	assert_int_equal(referral_create(db, &a, &in, &id, NULL), HE_OK);
	const struct { int user; bool yes; } want[] = {
		{USER_A, true}, {USER_B, true}, {USER_C, false}, {USER_COORD, true},
		{USER_WORKER, false},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct scope s = fix_scope(want[i].user);
		bool yes = !want[i].yes;
		assert_int_equal(referral_visible(db, &s, id, &yes), HE_OK);
		if (yes != want[i].yes)
			fail_msg("user %d: visible %d, want %d", want[i].user, yes, want[i].yes);
	}
	/* Dev alone at school B: school A cannot see it */
	struct scope b = fix_scope(USER_B);
	const char *dev[] = {fix_upn[DEV]};
	in = good(dev, 1);
	in.school_id = SCHOOL_B;
	in.adults = NULL;
	in.nadults = 0;
	int64_t id2;
	assert_int_equal(referral_create(db, &b, &in, &id2, NULL), HE_OK);
	bool yes = true;
	assert_int_equal(referral_visible(db, &a, id2, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(referral_visible(db, &b, id2, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(referral_visible(db, &a, 9999, &yes), HE_OK);
	assert_false(yes);
	/* no notice: Dev is at the referring school */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM school_notices WHERE referral_id = :id", id2), 0);
}

/* A referral that fails on field; nothing at all is written. */
static void expect_bad(struct db *db, const struct scope *s, const struct referral_in *in,
		       const char *field)
{
	int64_t before = testdb_int(db, "SELECT count(*) FROM audit_log");
	struct errinfo e = {0};
	int64_t id = 77;
	int rc = referral_create(db, s, in, &id, &e);
	if (rc == HE_OK || strcmp(e.field, field) != 0)
		fail_msg("want an error on %s, got %d on \"%s\": %s", field, rc, e.field, e.message);
	assert_true(rc == HE_INVALID || rc == HE_MISSING);
	assert_true(*e.message);
	assert_int_equal(id, 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM families"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM family_members"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM consents"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), before);
}

static void bad_fields_named(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	const char *upns[] = {fix_upn[AISHA]};
	const char *bad_upn[] = {"X123"};
	const char *unknown[] = {"A999999999999"};
	const char *other[] = {fix_upn[DEV]};
	struct referral_in in;
	char unknown_upn[14];
	snprintf(unknown_upn, sizeof unknown_upn, "%c%s", upn_check_letter("801999932099"),
		 "801999932099");
	unknown[0] = unknown_upn;

	in = good(upns, 0);
	expect_bad(db, &a, &in, "upns");
	in = good(bad_upn, 1);
	expect_bad(db, &a, &in, "upns");
	in = good(unknown, 1);
	expect_bad(db, &a, &in, "upns");
	in = good(other, 1);           /* only another school's pupil */
	expect_bad(db, &a, &in, "upns");
	in = good(upns, 1);
	in.school_id = SCHOOL_B;       /* on behalf of another school */
	expect_bad(db, &a, &in, "school");
	in = good(upns, 1);
	in.source = "rumour";
	expect_bad(db, &a, &in, "source");
	struct referral_adult bad_adult[] = {{"Farah Khan", "mother", NULL}, {"Imran", "uncle-ish", NULL}};
	in = good(upns, 1);
	in.adults = bad_adult;
	in.nadults = 2;
	expect_bad(db, &a, &in, "adults.1.relationship");
	struct referral_adult no_name[] = {{"", "father", "07700 900123"}};
	in = good(upns, 1);
	in.adults = no_name;
	in.nadults = 1;
	expect_bad(db, &a, &in, "adults.0.name");
	in = good(upns, 1);
	in.needs = "";
	expect_bad(db, &a, &in, "needs");
	in = good(upns, 1);
	in.needs = "attendance,astrology";
	expect_bad(db, &a, &in, "needs");
	in = good(upns, 1);
	in.level_of_need = 5;
	expect_bad(db, &a, &in, "level_of_need");
	in = good(upns, 1);
	in.reason = "  ";
	in.reason = "";
	expect_bad(db, &a, &in, "reason");
	in = good(upns, 1);
	in.consent.basis = NULL;
	expect_bad(db, &a, &in, "consent.basis");
	in = good(upns, 1);
	in.consent.given_by = "";
	expect_bad(db, &a, &in, "consent.given_by");
	in = good(upns, 1);
	in.consent.scope = "school,health";
	expect_bad(db, &a, &in, "consent.scope");
	in = good(upns, 1);
	in.consent.given_on = "2999-01-01";
	expect_bad(db, &a, &in, "consent.given_on");
	in = good(upns, 1);
	in.consent = (struct consent_in){.basis = "safeguarding"};
	expect_bad(db, &a, &in, "consent.lawful_basis_note");
	in = good(upns, 1);
	in.received_at = "2025-01-01T09:00:00Z";  /* a user may not back-date */
	expect_bad(db, &a, &in, "received_at");
}

static void double_submission(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	const char *upns[] = {fix_upn[AISHA]};
	struct referral_in in = good(upns, 1);
	in.idem_key = "5f2b9c0e1d3a4b6c";
	int64_t id1 = 0, id2 = 0;
	assert_int_equal(referral_create(db, &a, &in, &id1, NULL), HE_OK);
	assert_int_equal(referral_create(db, &a, &in, &id2, NULL), HE_OK);
	assert_int_equal(id1, id2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM consents"), 1);
	/* someone else presenting the same key gets a conflict, not the referral */
	struct scope b = fix_scope(USER_B);
	const char *cara[] = {fix_upn[CARA]};
	in = good(cara, 1);
	in.school_id = SCHOOL_B;
	in.idem_key = "5f2b9c0e1d3a4b6c";
	struct errinfo e = {0};
	assert_int_equal(referral_create(db, &b, &in, &id2, &e), HE_CONFLICT);
	assert_string_equal(e.field, "idem");
	assert_int_equal(id2, 0);
	in.idem_key = NULL;
	assert_int_equal(referral_create(db, &b, &in, &id2, NULL), HE_OK);
	assert_true(id2 != id1);
}

static void same_family_again(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A), b = fix_scope(USER_B);
	const char *aisha[] = {fix_upn[AISHA]}, *cara[] = {fix_upn[CARA]};
	struct referral_in in = good(aisha, 1);
	int64_t id1, id2;
	assert_int_equal(referral_create(db, &a, &in, &id1, NULL), HE_OK);
	in = good(cara, 1);
	in.school_id = SCHOOL_B;
	in.adults = NULL;
	in.nadults = 0;
	assert_int_equal(referral_create(db, &b, &in, &id2, NULL), HE_OK);
	assert_int_equal(fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id1),
			 fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id2));
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM families"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM family_members WHERE is_child = 1"), 3);
}

static void step_down_in_callers_tx(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A), sys;
	scope_system(&fix_who, &sys);
	const char *aisha[] = {fix_upn[AISHA]};
	struct referral_in in = good(aisha, 1);
	int64_t id1, id2 = 0;
	assert_int_equal(referral_create(db, &a, &in, &id1, NULL), HE_OK);
	int64_t fam = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id1);
	struct referral_in sd = {
		.source = "step_down", .family_id = fam, .stepped_down_from = 42,
		.needs = "parenting", .level_of_need = 3, .reason = "Stepped down by social care.",
		.consent = {.basis = "public_task", .lawful_basis_note = "Section 17 step-down"},
	};
	struct errinfo e = {0};
	assert_int_equal(referral_create_tx(db, &sys, &sd, &id2, &e), HE_INTERNAL);
	assert_int_equal(db_begin(db), HE_OK);
	int rc = referral_create_tx(db, &sys, &sd, &id2, &e);
	if (rc)
		fail_msg("step down: %d %s %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM referrals WHERE id = :id AND source ="
		" 'step_down' AND school_id IS NULL AND stepped_down_from = 42 AND user_id IS NULL", id2), 1);
	assert_int_equal(fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id2), fam);
	/* the family's children, from its members: Aisha, Bilal (census sibling), Cara */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM referral_pupils WHERE referral_id = :id", id2), 3);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM consents WHERE referral_id = :id AND"
		" basis = 'public_task' AND scope LIKE '%school%'", id2), 1);
	/* a school user cannot make a step-down */
	sd.school_id = 0;
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(referral_create_tx(db, &a, &sd, &id2, &e), HE_INVALID);
	assert_string_equal(e.field, "school");
	db_rollback(db);
}

static void system_back_dates(void **state)
{
	struct db *db = DB(state);
	struct scope sys;
	scope_system(&fix_who, &sys);
	const char *aisha[] = {fix_upn[AISHA]};
	struct referral_in in = good(aisha, 1);
	in.received_at = "2025-03-04T10:20:30Z";
	int64_t id;
	struct errinfo e = {0};
	assert_int_equal(referral_create(db, &sys, &in, &id, &e), HE_OK);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM referrals WHERE id = :id AND received_at"
		" = '2025-03-04T10:20:30Z' AND user_id IS NULL", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM case_events WHERE referral_id = :id"
		" AND kind = 'referred' AND on_date = '2025-03-04'", id), 1);
	in.received_at = "2025-03-04";
	assert_int_equal(referral_create(db, &sys, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "received_at");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refs),
		cmocka_unit_test_setup_teardown(school_refers_family, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(visible_by_scope, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(bad_fields_named, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(double_submission, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(same_family_again, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(step_down_in_callers_tx, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(system_back_dates, fix_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
