/* test_jointaudit.c — unit tests for src/core/jointaudit.c: each of the four
 * duplication checks finds what it should and nothing else (closed cases,
 * done actions and old referrals are left out), the period of the
 * two-schools check, who may run it and the audit row it writes, and that
 * findings go away when the duplication is resolved.
 *
 * The partnership (referfix.h: schools A, B, C; the Khan children Aisha
 * and Bilal at A and Cara at B; Dev Patel at B) is extended with SQL:
 * two workers, families, referrals, cases, agencies, professionals and
 * plan actions, so these tests are about jointaudit.c alone.  "Today" is
 * fixed at 2026-11-23.  Runs on SQLite, and on PostgreSQL with
 * HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/jointaudit.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { W1 = 1, W2 = 2 };
enum { F_KHAN = 1, F_PATEL = 2, F_OTHER = 3 };
enum { C1 = 1, C2 = 2, C3 = 3, C4 = 4 };
enum { P_HOUSING1 = 1, P_WOMENSAID = 2, P_HOUSING2 = 3 };

static hday today(void)
{
	hday d;
	date_parse("2026-11-23", &d);
	return d;
}

static void referral(struct db *db, int id, int family, int school, const char *received,
		     const char *status, const int *pupils, int npupils)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO referrals (id, ref, family_id, source,"
		" school_id, level_of_need, needs, reason, status, received_at) VALUES (:id, :ref,"
		" :family, :source, :school, 2, 'attendance', 'Worried', :status, :received)");
	char ref[16];
	snprintf(ref, sizeof ref, "R-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":family", family);
	db_bind_text(st, ":source", school ? "school" : "self");
	if (school)
		db_bind_int(st, ":school", school);
	else
		db_bind_null(st, ":school");
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":received", received);
	assert_int_equal(db_done(st), HE_OK);
	for (int i = 0; i < npupils; i++) {
		st = db_prepare(db, "INSERT INTO referral_pupils (referral_id, pupil_id, school_id)"
			" SELECT :r, id, school_id FROM pupils WHERE id = :p");
		db_bind_int(st, ":r", id);
		db_bind_int(st, ":p", pupils[i]);
		assert_int_equal(db_done(st), HE_OK);
	}
}

static void open_case(struct db *db, int id, int family, int ref_id, int worker, const char *status)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO cases (id, ref, family_id, referral_id,"
		" worker_id, status, opened_on, created_at, updated_at) VALUES (:id, :ref, :family,"
		" :referral, :worker, :status, '2026-09-01', '2026-09-01T10:00:00Z',"
		" '2026-09-01T10:00:00Z')");
	char ref[16];
	snprintf(ref, sizeof ref, "C-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":family", family);
	db_bind_int(st, ":referral", ref_id);
	db_bind_int(st, ":worker", worker);
	db_bind_text(st, ":status", status);
	assert_int_equal(db_done(st), HE_OK);
}

/* An action on case_id owned by professional prof (0: by the case's worker W1). */
static void action(struct db *db, int case_id, int prof, const char *need, const char *status)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO plan_actions (case_id, description, need,"
		" owner_kind, owner_worker_id, owner_professional_id, due_on, status, created_at,"
		" updated_at) VALUES (:case, 'Do something by Friday', :need, :kind, :worker, :prof,"
		" '2026-12-01', :status, '2026-09-02T10:00:00Z', '2026-09-02T10:00:00Z')");
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":need", need);
	db_bind_text(st, ":kind", prof ? "agency" : "worker");
	if (prof) {
		db_bind_null(st, ":worker");
		db_bind_int(st, ":prof", prof);
	} else {
		db_bind_int(st, ":worker", W1);
		db_bind_null(st, ":prof");
	}
	db_bind_text(st, ":status", status);
	assert_int_equal(db_done(st), HE_OK);
}

/* The fixture:
 *   Khan:  R1 from A (Aisha, Bilal, Cara) → C1 open, W1;
 *          R2 from B (Cara) → C2 open, W2          (open_cases, lead, two_schools)
 *   Patel: R3 from A (Dev) 14 months ago → C3 open, W1;
 *          R4 from B (Dev) last month, waiting       (two_schools only over 24 months)
 *          on C3: two housing professionals with open housing actions (same_need),
 *          both also on finances but one of those is done (not a finding),
 *          the second housing officer owns 3 open actions, W1 owns 1 (lead)
 *   Other: R5 (self) → C4 closed, with two professionals on one need (nothing). */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		" (1, 'Wendy One', 'Early Help', 'family_support', '2026-01-01T00:00:00Z',"
		" '2026-01-01T00:00:00Z'), (2, 'Walt Two', 'Early Help', 'mentor',"
		" '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Khan family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		" (2, 'F-000002', 'Patel family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		" (3, 'F-000003', 'Other family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	referral(db, 1, F_KHAN, SCHOOL_A, "2026-08-15T10:00:00Z", "accepted",
		 (const int[]){AISHA, BILAL, CARA}, 3);
	referral(db, 2, F_KHAN, SCHOOL_B, "2026-11-03T09:00:00Z", "accepted", (const int[]){CARA}, 1);
	referral(db, 3, F_PATEL, SCHOOL_A, "2025-09-20T09:00:00Z", "accepted", (const int[]){DEV}, 1);
	referral(db, 4, F_PATEL, SCHOOL_B, "2026-10-24T09:00:00Z", "received", (const int[]){DEV}, 1);
	referral(db, 5, F_OTHER, 0, "2026-06-01T09:00:00Z", "accepted", NULL, 0);
	open_case(db, C1, F_KHAN, 1, W1, "open");
	open_case(db, C2, F_KHAN, 2, W2, "open");
	open_case(db, C3, F_PATEL, 3, W1, "open");
	open_case(db, C4, F_OTHER, 5, W1, "closed");
	fix_exec(db, "INSERT INTO agencies (id, name, kind, created_at) VALUES"
		" (1, 'City Housing Options', 'housing', '2026-01-01T00:00:00Z'),"
		" (2, 'Women''s Aid', 'voluntary', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO professionals (id, agency_id, name, role, created_at) VALUES"
		" (1, 1, 'Hana Housing', 'Housing officer', '2026-01-01T00:00:00Z'),"
		" (2, 2, 'Vera Voluntary', 'IDVA', '2026-01-01T00:00:00Z'),"
		" (3, 1, 'Harry Housing', 'Housing officer', '2026-01-01T00:00:00Z')");
	action(db, C3, P_HOUSING1, "housing", "not_started");
	action(db, C3, P_WOMENSAID, "housing", "in_progress");
	action(db, C3, P_HOUSING1, "finances", "done");
	action(db, C3, P_WOMENSAID, "finances", "in_progress");
	action(db, C3, P_HOUSING2, "attendance", "not_started");
	action(db, C3, P_HOUSING2, "health", "in_progress");
	action(db, C3, P_HOUSING2, "basic_care", "not_done");
	action(db, C3, 0, "parenting", "in_progress");
	action(db, C4, P_HOUSING1, "safety", "not_started");
	action(db, C4, P_WOMENSAID, "safety", "not_started");
	return 0;
}

static const struct jointaudit_finding *find(const struct jointaudit *ja, int check,
					     const char *family_ref, int nth)
{
	for (size_t i = 0; i < ja->n; i++)
		if ((int)ja->findings[i].check == check &&
		    strcmp(ja->findings[i].family_ref, family_ref) == 0 && nth-- == 0)
			return &ja->findings[i];
	return NULL;
}

static bool linked(const struct jointaudit_finding *f, const char *ref, bool is_case)
{
	for (size_t i = 0; i < f->nlinks; i++)
		if (strcmp(f->links[i].ref, ref) == 0 && f->links[i].is_case == is_case)
			return true;
	return false;
}

static int run(struct db *db, struct arena *a, int user, int months, bool export,
	       struct jointaudit *ja, struct errinfo *e)
{
	struct scope s = fix_scope(user);
	return jointaudit_run(db, a, &s, today(), months, export, ja, e);
}

static void test_open_cases_and_lead(void **state)
{
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	assert_int_equal(run(DB(state), &a, USER_COORD, 0, false, &ja, &e), HE_OK);
	assert_int_equal(ja.count[JA_OPEN_CASES], 1);
	const struct jointaudit_finding *f = find(&ja, JA_OPEN_CASES, "F-000001", 0);
	assert_non_null(f);
	assert_string_equal(f->family_name, "Khan family");
	assert_int_equal(f->nlinks, 2);
	assert_true(linked(f, "C-000001", true) && linked(f, "C-000002", true));
	assert_string_equal(f->links[0].href, "/cases/C-000001");
	assert_non_null(strstr(f->summary, "2 open cases"));
	/* the closed case's family is not listed */
	assert_null(find(&ja, JA_OPEN_CASES, "F-000003", 0));
	/* lead: Khan (two workers) and Patel (Harry Housing carries the plan) */
	assert_int_equal(ja.count[JA_LEAD], 2);
	f = find(&ja, JA_LEAD, "F-000001", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->summary, "Wendy One"));
	assert_non_null(strstr(f->summary, "Walt Two"));
	f = find(&ja, JA_LEAD, "F-000002", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->summary, "Harry Housing (City Housing Options) owns 3 open actions"));
	assert_non_null(strstr(f->summary, "Wendy One owns 1"));
	assert_true(linked(f, "C-000003", true));
	arena_free(&a);
}

static void test_two_schools_and_period(void **state)
{
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	assert_int_equal(run(DB(state), &a, USER_COORD, 0, false, &ja, &e), HE_OK);
	assert_string_equal(ja.since, "2025-11-23");
	assert_int_equal(ja.months, 12);
	/* Cara: in A's referral (as a sibling) and B's; Dev's first referral is too old */
	assert_int_equal(ja.count[JA_TWO_SCHOOLS], 1);
	const struct jointaudit_finding *f = find(&ja, JA_TWO_SCHOOLS, "F-000001", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->summary, "Cara Khan"));
	assert_non_null(strstr(f->summary, "Alpha Academy on 2026-08-15"));
	assert_non_null(strstr(f->summary, "Beta Primary on 2026-11-03"));
	assert_true(linked(f, "R-000001", false) && linked(f, "R-000002", false));
	assert_true(linked(f, "C-000001", true) && linked(f, "C-000002", true));
	assert_null(find(&ja, JA_TWO_SCHOOLS, "F-000002", 0));
	/* over 24 months Dev is found too; his second referral has no case */
	assert_int_equal(run(DB(state), &a, USER_COORD, 24, false, &ja, &e), HE_OK);
	assert_string_equal(ja.since, "2024-11-23");
	assert_int_equal(ja.count[JA_TWO_SCHOOLS], 2);
	f = find(&ja, JA_TWO_SCHOOLS, "F-000002", 0);
	assert_non_null(f);
	assert_true(linked(f, "R-000003", false) && linked(f, "R-000004", false));
	assert_true(linked(f, "C-000003", true));
	assert_int_equal(f->nlinks, 3);
	/* out of range */
	assert_int_equal(run(DB(state), &a, USER_COORD, 37, false, &ja, &e), HE_INVALID);
	assert_string_equal(e.field, "months");
	assert_int_equal(run(DB(state), &a, USER_COORD, -1, false, &ja, &e), HE_INVALID);
	arena_free(&a);
}

static void test_same_need(void **state)
{
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	assert_int_equal(run(DB(state), &a, USER_COORD, 0, false, &ja, &e), HE_OK);
	/* housing on C3: yes; finances: one of the two is done; safety: the case is closed */
	assert_int_equal(ja.count[JA_SAME_NEED], 1);
	const struct jointaudit_finding *f = find(&ja, JA_SAME_NEED, "F-000002", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->summary, "2 professionals hold open actions on Housing"));
	assert_non_null(strstr(f->summary, "Hana Housing (City Housing Options)"));
	assert_non_null(strstr(f->summary, "Vera Voluntary (Women's Aid)"));
	assert_int_equal(f->nlinks, 1);
	assert_true(linked(f, "C-000003", true));
	arena_free(&a);
}

static void test_resolved(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	/* the duplicate case closed, the housing action dropped, the worker takes on more */
	fix_exec(db, "UPDATE cases SET status = 'closed' WHERE id = 2");
	fix_exec(db, "UPDATE plan_actions SET status = 'dropped' WHERE owner_professional_id = 2"
		 " AND need = 'housing'");
	action(db, C3, 0, "attendance", "not_started");
	action(db, C3, 0, "health", "not_started");
	assert_int_equal(run(db, &a, USER_COORD, 0, false, &ja, &e), HE_OK);
	assert_int_equal(ja.count[JA_OPEN_CASES], 0);
	assert_int_equal(ja.count[JA_LEAD], 0);
	assert_int_equal(ja.count[JA_SAME_NEED], 0);
	/* a referral is history: Cara was still referred by two schools */
	assert_int_equal(ja.count[JA_TWO_SCHOOLS], 1);
	assert_int_equal(ja.n, 1);
	arena_free(&a);
}

static void test_access_and_audit(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	int64_t before = fix_int(db, "SELECT count(*) FROM audit_log WHERE :id = :id", 0);
	/* a school user and a worker may not run it */
	assert_int_equal(run(db, &a, USER_A, 0, false, &ja, &e), HE_FORBIDDEN);
	assert_int_equal(run(db, &a, USER_WORKER, 0, false, &ja, &e), HE_FORBIDDEN);
	assert_int_equal(ja.n, 0);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE :id = :id", 0), before);
	/* the coordinator's view and export are audited, with the counts */
	assert_int_equal(run(db, &a, USER_COORD, 0, false, &ja, &e), HE_OK);
	assert_int_equal(run(db, &a, USER_COORD, 0, true, &ja, &e), HE_OK);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE :id = :id", 0), before + 2);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
				 " AND entity = 'joint_audit' AND summary LIKE '%5 findings%'"
				 " AND id > :id", before), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'export'"
				 " AND entity = 'joint_audit' AND id > :id", before), 1);
	assert_int_equal(jointaudit_check_by_code("same_need"), JA_SAME_NEED);
	assert_int_equal(jointaudit_check_by_code("nope"), -1);
	arena_free(&a);
}

static void test_empty(void **state)
{
	struct arena a;
	arena_init(&a);
	struct jointaudit ja;
	struct errinfo e = {0};
	assert_int_equal(run(DB(state), &a, USER_COORD, 0, false, &ja, &e), HE_OK);
	assert_int_equal(ja.n, 0);
	for (int k = 0; k < JA_NCHECKS; k++)
		assert_int_equal(ja.count[k], 0);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_cases_and_lead, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_two_schools_and_period, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_same_need, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_resolved, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_access_and_audit, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_empty, fix_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
