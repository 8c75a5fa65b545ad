/* test_family.c — unit tests for src/core/family.c: the family of some
 * pupils is found (by a member, then by the census's family_key) or made
 * with the census siblings as children; members are checked field by
 * field and a pupil is never added twice; refs.  SQLite, or PostgreSQL
 * with HEARTH_TEST_PG (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>

#include "base/err.h"
#include "core/family.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static void refs(void **state)
{
	struct db *db = DB(state);
	char out[16];
	family_ref(7, out);
	assert_string_equal(out, "F-000007");
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (7, 'F-000007', 'Seven family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	int64_t id = 0;
	assert_int_equal(family_id_by_ref(db, "F-000007", &id), HE_OK);
	assert_int_equal(id, 7);
	assert_int_equal(family_id_by_ref(db, "f-7", &id), HE_OK);
	assert_int_equal(family_id_by_ref(db, "F-000008", &id), HE_NOT_FOUND);
	assert_int_equal(family_id_by_ref(db, "F-", &id), HE_NOT_FOUND);
	assert_int_equal(family_id_by_ref(db, "R-000007", &id), HE_NOT_FOUND);
	assert_int_equal(family_id_by_ref(db, "F-7x", &id), HE_NOT_FOUND);
	assert_int_equal(family_id_by_ref(db, NULL, &id), HE_NOT_FOUND);
}

static int64_t family_of(struct db *db, const struct scope *s, const int64_t *ids, size_t n)
{
	int64_t fam = 0;
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = family_for_pupils_tx(db, s, ids, n, &fam, &e);
	if (rc)
		fail_msg("family_for_pupils_tx: %d %s %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
	return fam;
}

static void found_or_made(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	int64_t aisha[] = {AISHA}, cara[] = {CARA}, dev[] = {DEV}, none[] = {99};
	int64_t fam = 0;
	assert_int_equal(family_for_pupils_tx(db, &a, aisha, 1, &fam, NULL), HE_INTERNAL);
	int64_t f1 = family_of(db, &a, aisha, 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM families WHERE id = :id AND name = 'Khan family'"
		" AND family_key = 'khan' AND ref = 'F-000001'", f1), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id"
		" AND is_child = 1 AND relationship = 'child'", f1), 3);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id"
		" AND name = 'Cara Khan' AND dob = '2017-07-03' AND pupil_id = 3", f1), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'families'"
		" AND action = 'create' AND entity_id = CAST(:id AS TEXT)", f1), 1);
	/* Cara's school finds the same family; nobody is added twice */
	assert_int_equal(family_of(db, &a, cara, 1), f1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM family_members"), 3);
	/* Dev (no family_key) gets a family of his own */
	int64_t f2 = family_of(db, &a, dev, 1);
	assert_true(f2 != f1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id", f2), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM families WHERE id = :id AND name = 'Patel family'"
		" AND family_key IS NULL", f2), 1);
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(family_for_pupils_tx(db, &a, none, 1, &fam, &e), HE_NOT_FOUND);
	assert_string_equal(e.field, "upns");
	assert_int_equal(family_for_pupils_tx(db, &a, none, 0, &fam, &e), HE_MISSING);
	db_rollback(db);
}

static void members(void **state)
{
	struct db *db = DB(state);
	struct scope a = fix_scope(USER_A);
	int64_t aisha[] = {AISHA};
	int64_t fam = family_of(db, &a, aisha, 1);
	const struct { struct family_member_in m; int code; const char *field; } cases[] = {
		{{"", "mother", NULL, NULL, false, 0, NULL}, HE_MISSING, "name"},
		{{"Farah Khan", "", NULL, NULL, false, 0, NULL}, HE_MISSING, "relationship"},
		{{"Farah Khan", "aunt-ish", NULL, NULL, false, 0, NULL}, HE_INVALID, "relationship"},
		{{"Farah Khan", "mother", "1980-02-30", NULL, false, 0, NULL}, HE_INVALID, "dob"},
		{{"Farah Khan", "mother", "2999-01-01", NULL, false, 0, NULL}, HE_INVALID, "dob"},
		{{"Farah Khan", "mother", NULL, "call me", false, 0, NULL}, HE_INVALID, "phone"},
		{{"Farah Khan", "mother", NULL, "123", false, 0, NULL}, HE_INVALID, "phone"},
	};
	assert_int_equal(db_begin(db), HE_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct errinfo e = {0};
		int64_t id = 5;
		int rc = family_add_member_tx(db, &a, fam, &cases[i].m, &id, &e);
		if (rc != cases[i].code || strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: want %d on %s, got %d on %s", i, cases[i].code,
				 cases[i].field, rc, e.field);
	}
	struct family_member_in ok = {"Farah Khan", "mother", "1985-04-03", "+44 7700 900123", false, 0, NULL};
	int64_t id = 0;
	assert_int_equal(family_add_member_tx(db, &a, fam, &ok, &id, NULL), HE_OK);
	assert_true(id > 0);
	struct family_member_in again = {"Aisha K", "child", NULL, NULL, true, AISHA, NULL};
	int64_t id2 = 0;
	assert_int_equal(family_add_member_tx(db, &a, fam, &again, &id2, NULL), HE_OK);
	assert_int_equal(id2, fix_int(db, "SELECT id FROM family_members WHERE pupil_id = :id", AISHA));
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM family_members WHERE family_id = :id", fam), 4);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'family_members'"
		" AND action = 'create' AND summary LIKE 'Added a member (mother)%' AND :id > 0", id), 1);
	/* the audit log is never altered, so it names no one; the chronology does */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE summary LIKE '%Farah%'"
		" AND :id > 0", id), 0);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM case_events WHERE family_id = :id"
		" AND kind = 'note' AND summary LIKE 'Added Farah Khan%'", fam), 1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(refs, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(found_or_made, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(members, fix_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
