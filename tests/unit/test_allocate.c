/* test_allocate.c — unit tests for src/core/allocate.c: the ranking of
 * workers for a referral (every reason shown, deterministic order, ties by
 * name, full workers last, continuity with the family and the school), and
 * the coordinator's decisions: accept opens a case (chronology, audit,
 * version), capacity is enforced unless overridden with a recorded
 * reason, decline and step up need a reason, signpost needs where, a
 * stale version or a second decision is a conflict that changes nothing,
 * a family whose pool consent was withdrawn cannot be accepted, and only
 * the coordinator decides.
 *
 * Each test runs on a fresh migrated database (SQLite, or PostgreSQL with
 * HEARTH_TEST_PG); the partnership, families, referrals, consents and
 * earlier cases are inserted with SQL directly. */
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
#include "core/allocate.h"
#include "core/audit.h"
#include "core/scope.h"
#include "core/worker.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {
	.user_id = 1, .email = "coordinator@hearth.example", .role = "coordinator",
	.route = "test allocate", .ip = NULL,
};

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static struct scope coordinator(void)
{
	struct scope s = {.caps = caps_for_role(ROLE_COORDINATOR), .user_id = 1, .who = &who};
	return s;
}

/* Belgrave (Ratae Academy) and Braunstone (Braunstone Primary); the Mistry
 * family (Gujarati) referred by Ratae for attendance and parenting, with
 * consent covering the pool; the Nowak family for another referral. */
static void fixture(struct db *db)
{
	exec(db,
		"INSERT INTO districts (id, name) VALUES (1, 'Belgrave'), (2, 'Braunstone');"
		"INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (1, '140217', 'Ratae Academy', 'secondary', 1, '2026-01-01T00:00:00Z'),"
		" (2, '120001', 'Braunstone Primary', 'primary', 2, '2026-01-01T00:00:00Z');"
		"INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES"
		" (1, 'c@x.example', 'Cora Ordinator', 'coordinator', 'x', '2026-01-01', '2026-01-01');"
		"INSERT INTO families (id, ref, name, home_language, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Mistry family', 'Gujarati', '2026-01-01', '2026-01-01'),"
		" (2, 'F-000002', 'Nowak family', 'English', '2026-01-01', '2026-01-01'),"
		" (3, 'F-000003', 'Old family', 'English', '2026-01-01', '2026-01-01');"
		"INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need, needs,"
		" reason, received_at, status) VALUES"
		" (1, 'R-000001', 1, 'school', 1, 3, 'attendance,parenting,housing', 'Absent a lot',"
		"  '2026-01-05T09:00:00Z', 'received'),"
		" (2, 'R-000002', 2, 'school', 2, 2, 'housing', 'Evicted', '2026-01-06T09:00:00Z', 'received'),"
		" (3, 'R-000003', 1, 'school', 1, 2, 'behaviour', 'Earlier', '2025-01-06T09:00:00Z', 'accepted'),"
		" (4, 'R-000004', 3, 'school', 1, 2, 'behaviour', 'Other', '2025-02-06T09:00:00Z', 'accepted'),"
		" (5, 'R-000005', 3, 'school', 2, 2, 'behaviour', 'More', '2025-03-06T09:00:00Z', 'accepted');"
		"INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, recorded_at) VALUES"
		" (1, 1, 'consent', 'Mrs Mistry', 'mother', 'pool,school', '2026-01-04', '2026-01-05'),"
		" (2, 2, 'consent', 'Mr Nowak', 'father', 'pool', '2026-01-04', '2026-01-05');");
}

/* Workers: Asha serves Ratae, covers Belgrave, speaks Gujarati, skilled in
 * attendance; Ben and Bea have nothing in common with the referral (Bea
 * sorts first on a tie); Cal is full; Dev worked with the Mistry family
 * before and with another Ratae family. */
static void workers(struct db *db)
{
	exec(db,
		"INSERT INTO workers (id, name, employer, kind, max_caseload, skills, languages,"
		" created_at, updated_at) VALUES"
		" (1, 'Asha Patel', 'Ratae Academy', 'family_support', 10, 'attendance,send',"
		"  'Gujarati,Hindi', 'x', 'x'),"
		" (2, 'Ben Cole', 'Council', 'mentor', 10, '', '', 'x', 'x'),"
		" (3, 'Bea Cole', 'Council', 'mentor', 10, '', 'polish', 'x', 'x'),"
		" (4, 'Cal Full', 'Council', 'family_support', 1, 'attendance', '', 'x', 'x'),"
		" (5, 'Dev Rao', 'Council', 'family_support', 10, '', '', 'x', 'x');"
		"INSERT INTO worker_schools (worker_id, school_id) VALUES (1, 1), (4, 2);"
		"INSERT INTO worker_districts (worker_id, district_id) VALUES (1, 1);"
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, created_at, updated_at) VALUES"
		" (1, 'C-000001', 1, 3, 5, 2, 'closed', '2025-01-10', 'x', 'x'),"
		" (2, 'C-000002', 3, 4, 5, 2, 'closed', '2025-02-10', 'x', 'x'),"
		" (3, 'C-000003', 3, 5, 4, 2, 'open', '2025-03-10', 'x', 'x');");
}

static void test_suggest_ranked_and_explained(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	workers(db);
	struct arena a;
	arena_init(&a);
	struct suggestion *s;
	size_t n;
	struct errinfo e = {0};
	assert_int_equal(allocate_suggest(db, &a, 1, &s, &n, &e), HE_OK);
	assert_int_equal(n, 5);
	/* Asha: 20/20 free (30) + school (25) + district (10) + 1 skill (8) + Gujarati (20) */
	assert_int_equal(s[0].worker_id, 1);
	assert_int_equal(s[0].score, 93);
	assert_string_equal(s[0].name, "Asha Patel");
	assert_string_equal(s[0].reasons, "20 of 20 weighted places free; serves Ratae Academy;"
			    " covers Belgrave; skilled in Attendance; speaks Gujarati");
	assert_int_equal(s[0].load.capacity, 20);
	/* Dev: 30 + knows the family (30) + one other Ratae family (2) */
	assert_int_equal(s[1].worker_id, 5);
	assert_int_equal(s[1].score, 62);
	assert_string_equal(s[1].reasons, "20 of 20 weighted places free; knows this family"
			    " (C-000001); has worked with 1 other family from Ratae Academy");
	/* Bea and Ben tie on 30: by name */
	assert_string_equal(s[2].name, "Bea Cole");
	assert_string_equal(s[3].name, "Ben Cole");
	assert_int_equal(s[2].score, s[3].score);
	assert_string_equal(s[3].reasons, "20 of 20 weighted places free");
	/* Cal is full: last, and says so, skill or not */
	assert_int_equal(s[4].worker_id, 4);
	assert_true(s[4].score < 0);
	assert_non_null(strstr(s[4].reasons, "full: 2 of 2 weighted places used"));
	assert_non_null(strstr(s[4].reasons, "skilled in Attendance"));
	assert_int_equal(s[4].load.open_cases, 1);

	/* deterministic: the same again */
	struct suggestion *s2;
	size_t n2;
	assert_int_equal(allocate_suggest(db, &a, 1, &s2, &n2, &e), HE_OK);
	assert_int_equal(n2, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s2[i].worker_id, s[i].worker_id);
		assert_string_equal(s2[i].reasons, s[i].reasons);
	}
	/* an inactive worker is not suggested; an unknown referral is not found */
	exec(db, "UPDATE workers SET active = 0 WHERE id = 1");
	assert_int_equal(allocate_suggest(db, &a, 1, &s, &n, &e), HE_OK);
	assert_int_equal(n, 4);
	assert_int_equal(s[0].worker_id, 5);
	assert_int_equal(allocate_suggest(db, &a, 99, &s, &n, &e), HE_NOT_FOUND);
	arena_free(&a);
}

static void test_suggest_capacity_share(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db,
		"INSERT INTO workers (id, name, employer, kind, max_caseload, created_at, updated_at)"
		" VALUES (1, 'Busy', 'E', 'mentor', 2, 'x', 'x'), (2, 'Idle', 'E', 'mentor', 2, 'x', 'x');"
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, created_at, updated_at) VALUES"
		" (1, 'C-000001', 3, 4, 1, 1, 'open', '2025-02-10', 'x', 'x');");
	struct arena a;
	arena_init(&a);
	struct suggestion *s;
	size_t n;
	struct errinfo e = {0};
	assert_int_equal(allocate_suggest(db, &a, 2, &s, &n, &e), HE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].name, "Idle");
	assert_string_equal(s[0].reasons, "4 of 4 weighted places free");
	assert_string_equal(s[1].reasons, "3 of 4 weighted places free");
	assert_int_equal(s[1].load.weighted, 1);
	assert_true(s[0].score > s[1].score);
	arena_free(&a);
}

static struct decision_in accept_in(int64_t worker, int64_t version)
{
	struct decision_in in = {.decision = "accept", .version = version, .worker_id = worker,
				 .intensity = 2};
	return in;
}

static void test_accept_opens_case(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at)"
		 " VALUES (1, 'Asha Patel', 'E', 'family_support', 'x', 'x')");
	struct scope s = coordinator();
	struct errinfo e = {0};
	struct decision_in in = accept_in(1, 1);
	int64_t case_id = 0;
	int rc = referral_decide(db, &s, 1, &in, &case_id, &e);
	if (rc)
		fail_msg("decide: %d %s %s", rc, e.field, e.message);
	assert_true(case_id > 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE id = 1 AND"
				    " status = 'accepted' AND version = 2 AND decided_by = 1"
				    " AND decided_at IS NOT NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases WHERE referral_id = 1 AND"
				    " worker_id = 1 AND intensity = 2 AND status = 'open'"
				    " AND over_capacity = 0"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE referral_id = 1"
				    " AND kind = 'accepted'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE referral_id = 1"
				    " AND kind = 'allocated'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'decide'"
				    " AND entity = 'referrals' AND entity_id = '1' AND summary ="
				    " 'R-000001 accepted: allocated to Asha Patel (weight 2)'"), 1);
	struct worker_load l;
	assert_int_equal(worker_load(db, 1, &l), HE_OK);
	assert_int_equal(l.weighted, 2);

	/* the same decision again (a double POST): conflict, nothing twice */
	memset(&e, 0, sizeof e);
	assert_int_equal(referral_decide(db, &s, 1, &in, &case_id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	in.version = 2;   /* even at the current version: already decided */
	assert_int_equal(referral_decide(db, &s, 1, &in, &case_id, &e), HE_CONFLICT);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'decide'"), 1);
	assert_int_equal(testdb_int(db, "SELECT version FROM referrals WHERE id = 1"), 2);
	assert_false(db_in_transaction(db));
}

static void test_accept_checks(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db, "INSERT INTO workers (id, name, employer, kind, active, created_at, updated_at)"
		 " VALUES (1, 'Gone', 'E', 'mentor', 0, 'x', 'x')");
	struct scope s = coordinator();
	struct errinfo e = {0};
	struct decision_in in = accept_in(0, 1);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "worker_id");
	in = accept_in(1, 1);   /* inactive */
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "worker_id");
	in = accept_in(1, 1);
	in.intensity = 4;
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "intensity");
	in = accept_in(1, 1);
	in.decision = "maybe";
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "decision");
	in = accept_in(1, 1);
	in.on_date = "2099-01-01";
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "on_date");
	in.on_date = "2026-01-10";   /* after it was received, but only the system back-dates */
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "on_date");
	in.on_date = "2026-01-01";   /* before it was received */
	exec(db, "UPDATE workers SET active = 1");
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "on_date");
	assert_int_equal(referral_decide(db, &s, 99, &in, NULL, &e), HE_NOT_FOUND);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE status = 'received'"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases"), 0);
	assert_false(db_in_transaction(db));
}

static void test_capacity_override_recorded(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db,
		"INSERT INTO workers (id, name, employer, kind, max_caseload, created_at, updated_at)"
		" VALUES (1, 'Cal Full', 'E', 'mentor', 1, 'x', 'x');"
		/* a high id: PostgreSQL's identity does not move past explicit ids */
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, created_at, updated_at) VALUES"
		" (901, 'C-000901', 3, 4, 1, 1, 'open', '2025-02-10', 'x', 'x');");
	struct scope s = coordinator();
	struct errinfo e = {0};
	struct decision_in in = accept_in(1, 1);   /* 1 used + 2 > 2 places */
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "override_capacity");
	assert_non_null(strstr(e.message, "1 of 2 weighted places used"));
	in.override_capacity = true;   /* but no reason */
	memset(&e, 0, sizeof e);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "note");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases"), 1);
	in.note = "Only Gujarati speaker free";
	int64_t cid = 0;
	memset(&e, 0, sizeof e);
	int rc = referral_decide(db, &s, 1, &in, &cid, &e);
	if (rc)
		fail_msg("decide: %d %s %s", rc, e.field, e.message);
	assert_int_equal(testdb_int(db, "SELECT over_capacity FROM cases WHERE referral_id = 1"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE id = 1 AND"
				    " decision_note = 'Only Gujarati speaker free'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'decide' AND"
				    " summary LIKE '%beyond capacity by override: Only Gujarati%'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE kind = 'accepted'"
				    " AND summary LIKE '%beyond capacity by override%'"), 1);
	/* a light case fits exactly (1 + 1 of 2): no override needed */
	struct decision_in light = accept_in(1, 1);
	light.intensity = 1;
	memset(&e, 0, sizeof e);
	exec(db, "UPDATE cases SET status = 'closed' WHERE referral_id = 1");
	rc = referral_decide(db, &s, 2, &light, &cid, &e);
	if (rc)
		fail_msg("decide light: %d %s %s", rc, e.field, e.message);
	assert_int_equal(testdb_int(db, "SELECT over_capacity FROM cases WHERE referral_id = 2"), 0);
}

static void test_decline_step_up_signpost(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	struct scope s = coordinator();
	struct errinfo e = {0};
	struct decision_in in = {.decision = "decline", .version = 1, .note = "  "};
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "note");
	in.decision = "step_up";
	memset(&e, 0, sizeof e);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "note");
	in.decision = "signpost";
	memset(&e, 0, sizeof e);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "signposted_to");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE status = 'received'"), 2);

	in.decision = "step_up";
	in.note = "Disclosure of harm: referred to MASH";
	memset(&e, 0, sizeof e);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE id = 1 AND"
				    " status = 'stepped_up' AND decision_note LIKE 'Disclosure%'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE referral_id = 1 AND"
				    " kind = 'stepped_up' AND family_id = 1"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases"), 0);

	struct decision_in sp = {.decision = "signpost", .version = 1,
				 .signposted_to = "Citizens Advice debt service"};
	assert_int_equal(referral_decide(db, &s, 2, &sp, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE id = 2 AND"
				    " status = 'signposted' AND signposted_to = 'Citizens Advice debt service'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE kind = 'signposted'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'decide'"), 2);
}

static void test_version_conflict(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	struct scope s = coordinator();
	struct errinfo e = {0};
	exec(db, "UPDATE referrals SET version = 3 WHERE id = 1");
	struct decision_in in = {.decision = "decline", .version = 2, .note = "Not our remit"};
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_non_null(strstr(e.message, "changed by someone else"));
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE id = 1 AND"
				    " status = 'received' AND version = 3"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events"), 0);
	in.version = 3;
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT version FROM referrals WHERE id = 1"), 4);
}

static void test_withdrawn_consent_refuses_accept(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at)"
		 " VALUES (1, 'Asha Patel', 'E', 'family_support', 'x', 'x');"
		 "UPDATE consents SET withdrawn_on = '2026-01-10', withdrawn_reason = 'Changed mind'"
		 " WHERE family_id = 1");
	struct scope s = coordinator();
	struct errinfo e = {0};
	struct decision_in in = accept_in(1, 1);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(testdb_int(db, "SELECT version FROM referrals WHERE id = 1"), 1);
	/* a consent without the pool scope does not do either */
	exec(db, "INSERT INTO consents (family_id, basis, given_by, scope, given_on, recorded_at)"
		 " VALUES (1, 'consent', 'Mrs Mistry', 'school,health', '2026-01-11', '2026-01-11')");
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_CONFLICT);
	/* a lawful basis covers every scope */
	exec(db, "INSERT INTO consents (family_id, basis, scope, given_on, lawful_basis_note,"
		 " recorded_at) VALUES (1, 'safeguarding', '', '2026-01-12', 'Risk of harm', '2026-01-12')");
	memset(&e, 0, sizeof e);
	assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_OK);
}

static void test_only_coordinator_decides(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	struct errinfo e = {0};
	struct decision_in in = {.decision = "decline", .version = 1, .note = "No"};
	enum role roles[] = {ROLE_SCHOOL, ROLE_WORKER, ROLE_ADMIN, ROLE_AGENCY, ROLE_VIEWER};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		struct scope s = {.caps = caps_for_role(roles[i]), .user_id = 1, .school_id = 1,
				  .who = &who};
		assert_int_equal(referral_decide(db, &s, 1, &in, NULL, &e), HE_FORBIDDEN);
	}
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE status = 'received'"), 2);
	/* the system scope (demo) may back-date */
	struct scope sys;
	scope_system(&who, &sys);
	in.on_date = "2026-01-07";
	assert_int_equal(referral_decide(db, &sys, 1, &in, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM referrals WHERE id = 1 AND"
				    " decided_at = '2026-01-07T12:00:00Z' AND decided_by IS NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM case_events WHERE on_date = '2026-01-07'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_suggest_ranked_and_explained),
		T(test_suggest_capacity_share),
		T(test_accept_opens_case),
		T(test_accept_checks),
		T(test_capacity_override_recorded),
		T(test_decline_step_up_signpost),
		T(test_version_conflict),
		T(test_withdrawn_consent_refuses_accept),
		T(test_only_coordinator_decides),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
