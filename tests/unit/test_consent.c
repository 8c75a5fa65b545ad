/* test_consent.c — unit tests for src/core/consent.c: checking names each
 * field; a consent covers exactly the scopes it lists, a lawful basis
 * covers all; withdrawal is dated, audited, in the chronology, refused
 * twice, in the future or before the consent was given, and is honoured
 * by consent_basis_active until a new consent or basis is recorded.
 * SQLite, or PostgreSQL with HEARTH_TEST_PG (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>

#include "base/date.h"
#include "base/err.h"
#include "core/consent.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct consent_in mother = {
	.basis = "consent", .given_by = "Farah Khan", .relationship = "mother",
	.scope = "pool,school", .given_on = "2026-01-05",
};

static void check_field(struct consent_in in, int code, const char *field)
{
	struct errinfo e = {0};
	int rc = consent_check(&in, &e);
	if (rc != code || strcmp(e.field, field) != 0)
		fail_msg("want %d on %s, got %d on \"%s\": %s", code, field, rc, e.field, e.message);
	if (code)
		assert_true(*e.message);
}

static void checks(void **state)
{
	(void)state;
	struct consent_in in = mother;
	check_field(in, HE_OK, "");
	in.basis = NULL;
	check_field(in, HE_MISSING, "consent.basis");
	in.basis = "because";
	check_field(in, HE_INVALID, "consent.basis");
	in = mother;
	in.given_by = "";
	check_field(in, HE_MISSING, "consent.given_by");
	in = mother;
	in.relationship = NULL;
	check_field(in, HE_MISSING, "consent.relationship");
	in = mother;
	in.given_on = NULL;
	check_field(in, HE_MISSING, "consent.given_on");
	in.given_on = "2026-02-30";
	check_field(in, HE_INVALID, "consent.given_on");
	char tomorrow[11];
	date_format(date_today() + 1, tomorrow);
	in.given_on = tomorrow;
	check_field(in, HE_INVALID, "consent.given_on");
	in = mother;
	in.scope = "";
	check_field(in, HE_MISSING, "consent.scope");
	in.scope = "school,health";          /* pool is required */
	check_field(in, HE_INVALID, "consent.scope");
	in.scope = "pool,gossip";
	check_field(in, HE_INVALID, "consent.scope");
	in.scope = "pool,,school";
	check_field(in, HE_INVALID, "consent.scope");
	in.scope = "pool,school,health,social_care,agencies,commissioned";
	check_field(in, HE_OK, "");
	struct consent_in lb = {.basis = "safeguarding"};
	check_field(lb, HE_MISSING, "consent.lawful_basis_note");
	lb.lawful_basis_note = "Disclosure of harm; telling the parent would increase the risk.";
	check_field(lb, HE_OK, "");           /* no date: recorded as today */
	lb.given_on = tomorrow;
	check_field(lb, HE_INVALID, "consent.given_on");
	assert_string_equal(consent_scope_title("pool"),
			    "The family support service may hold and work the case");
	assert_string_equal(consent_basis_title("nope"), "");
}

/* A family to hang consents on. */
static int64_t family(struct db *db)
{
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Khan family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	return 1;
}

static bool active(struct db *db, int64_t fam, const char *scope)
{
	bool yes = false;
	assert_int_equal(consent_basis_active(db, fam, scope, &yes), HE_OK);
	return yes;
}

static int64_t record(struct db *db, const struct scope *s, int64_t fam, const struct consent_in *in)
{
	int64_t id = 0;
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = consent_record_tx(db, s, fam, 0, in, &id, &e);
	if (rc)
		fail_msg("consent_record_tx: %d %s %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
	return id;
}

static void withdrawal_honoured(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	int64_t fam = family(db);
	assert_false(active(db, fam, "pool"));
	int64_t id = 0;
	assert_int_equal(consent_record_tx(db, &a, fam, 0, &mother, &id, NULL), HE_INTERNAL);
	id = record(db, &a, fam, &mother);
	assert_true(active(db, fam, "pool"));
	assert_true(active(db, fam, "school"));
	assert_false(active(db, fam, "health"));
	assert_false(active(db, fam, "everything"));
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'create' AND"
		" entity = 'consents' AND entity_id = CAST(:id AS TEXT)", id), 1);

	struct errinfo e = {0};
	char tomorrow[11], today[11];
	date_format(date_today() + 1, tomorrow);
	date_format(date_today(), today);
	assert_int_equal(consent_withdraw(db, &a, id, tomorrow, "Mother asked", &e), HE_INVALID);
	assert_string_equal(e.field, "on");
	assert_int_equal(consent_withdraw(db, &a, id, "2026-01-04", "Mother asked", &e), HE_INVALID);
	assert_string_equal(e.field, "on");        /* before it was given */
	assert_int_equal(consent_withdraw(db, &a, id, today, "", &e), HE_MISSING);
	assert_string_equal(e.field, "reason");
	assert_int_equal(consent_withdraw(db, &a, 999, today, "x", &e), HE_NOT_FOUND);
	assert_true(active(db, fam, "school"));    /* nothing changed by the refusals */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE kind = 'consent_withdrawn'"), 0);

	assert_int_equal(consent_withdraw(db, &a, id, today, "Mother no longer agrees", &e), HE_OK);
	assert_false(active(db, fam, "pool"));
	assert_false(active(db, fam, "school"));
	assert_int_equal(fix_int(db, "SELECT count(*) FROM consents WHERE id = :id AND withdrawn_by = 1"
		" AND withdrawn_reason = 'Mother no longer agrees'", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM case_events WHERE family_id = :id AND"
		" kind = 'consent_withdrawn' AND detail = 'Mother no longer agrees'", fam), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'withdraw' AND"
		" entity = 'consents' AND entity_id = CAST(:id AS TEXT)", id), 1);
	/* the audit log is never altered (nor anonymised), so it names no one;
	 * the chronology, which retention anonymises, says who gave consent */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE summary LIKE '%Farah%'"), 0);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM case_events WHERE family_id = :id AND"
		" summary LIKE 'Consent given by Farah Khan (mother)%'", fam), 1);
	assert_int_equal(consent_withdraw(db, &a, id, today, "again", &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");

	/* a new consent restores it; a lawful basis covers every scope */
	struct consent_in pool_only = mother;
	pool_only.scope = "pool";
	int64_t id2 = record(db, &a, fam, &pool_only);
	assert_true(active(db, fam, "pool"));
	assert_false(active(db, fam, "school"));
	struct consent_in lb = {.basis = "safeguarding", .lawful_basis_note = "Risk of harm"};
	int64_t id3 = record(db, &a, fam, &lb);
	assert_true(active(db, fam, "school"));
	assert_true(active(db, fam, "social_care"));
	assert_int_equal(fix_int(db, "SELECT count(*) FROM consents WHERE id = :id AND given_by IS NULL"
		" AND scope LIKE 'pool,school,%'", id3), 1);
	assert_int_equal(consent_withdraw(db, &a, id3, today, "Risk has passed", &e), HE_OK);
	assert_false(active(db, fam, "school"));
	assert_true(active(db, fam, "pool"));
	assert_int_equal(consent_withdraw(db, &a, id2, today, "Family moved", &e), HE_OK);
	assert_false(active(db, fam, "pool"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checks),
		cmocka_unit_test_setup_teardown(withdrawal_honoured, fix_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
