/* test_caseload_settings.c — unit tests for src/core/caseload_settings.c:
 * the default the migrations seed (and the one used when the row is absent
 * or unreadable), the same reading worker.c uses; bad values are refused
 * naming the field with nothing written; a stale change (the value changed
 * since it was read) is refused and changes nothing; each change writes
 * exactly one audit row naming old and new values; and a change takes
 * effect at once where capacity is worked out: the allocation suggestions,
 * the capacity check (and its override) when a referral is accepted, and a
 * worker's load — for a worker without a maximum of their own, never for
 * one with.  Runs on SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/allocate.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/caseload_settings.h"
#include "core/scope.h"
#include "core/worker.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {
	.user_id = 1, .email = "coordinator@hearth.example", .role = "coordinator",
	.route = "test caseload settings",
};

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static int64_t audit_rows(struct db *db)
{
	return testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'update'"
			  " AND entity = 'settings' AND entity_id = 'caseload'");
}

static int in_force(struct db *db)
{
	int max = -1;
	assert_int_equal(caseload_settings_get(db, &max), HE_OK);
	return max;
}

static void test_defaults(void **state)
{
	struct db *db = DB(state);
	int max;
	assert_int_equal(in_force(db), 18);
	assert_int_equal(worker_default_max(db, &max), HE_OK);
	assert_int_equal(max, 18);
	/* no row, or one that is not a whole number from 1 to 100: the default */
	exec(db, "DELETE FROM settings WHERE key = 'case.max_caseload'");
	assert_int_equal(in_force(db), CASELOAD_MAX_DEFAULT);
	exec(db, "INSERT INTO settings (key, value) VALUES ('case.max_caseload', 'lots')");
	assert_int_equal(in_force(db), CASELOAD_MAX_DEFAULT);
	exec(db, "UPDATE settings SET value = '101' WHERE key = 'case.max_caseload'");
	assert_int_equal(in_force(db), CASELOAD_MAX_DEFAULT);
	exec(db, "UPDATE settings SET value = '12' WHERE key = 'case.max_caseload'");
	assert_int_equal(in_force(db), 12);
	assert_int_equal(worker_default_max(db, &max), HE_OK);
	assert_int_equal(max, 12);
	/* saving where the row is absent inserts it */
	exec(db, "DELETE FROM settings WHERE key = 'case.max_caseload'");
	struct errinfo e = {0};
	int seen = 18;
	assert_int_equal(caseload_settings_set(db, &who, 16, &seen, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT CAST(value AS INTEGER) FROM settings"
				    " WHERE key = 'case.max_caseload'"), 16);
	assert_int_equal(worker_default_max(db, &max), HE_OK);
	assert_int_equal(max, 16);
}

/* to is refused as HE_INVALID naming max_caseload, and nothing is written. */
static void refused(struct db *db, int to)
{
	struct errinfo e = {0};
	int64_t before = audit_rows(db);
	int was = in_force(db);
	assert_int_equal(caseload_settings_set(db, &who, to, NULL, &e), HE_INVALID);
	assert_int_equal(e.code, HE_INVALID);
	assert_string_equal(e.field, "max_caseload");
	assert_non_null(strstr(e.message, "from 1 to 100"));
	assert_int_equal(in_force(db), was);
	assert_int_equal(audit_rows(db), before);
	assert_false(db_in_transaction(db));
}

static void test_bad_values_refused(void **state)
{
	struct db *db = DB(state);
	refused(db, 0);
	refused(db, -3);
	refused(db, 101);
	refused(db, 1000000);
	/* the edges are allowed */
	struct errinfo e = {0};
	assert_int_equal(caseload_settings_set(db, &who, 1, NULL, &e), HE_OK);
	assert_int_equal(in_force(db), 1);
	assert_int_equal(caseload_settings_set(db, &who, 100, NULL, &e), HE_OK);
	assert_int_equal(in_force(db), 100);
}

static void test_stale_refused(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int seen = in_force(db);
	/* someone else saves after this coordinator read the value */
	assert_int_equal(caseload_settings_set(db, &who, 15, &seen, &e), HE_OK);
	int64_t before = audit_rows(db);
	assert_int_equal(caseload_settings_set(db, &who, 12, &seen, &e), HE_CONFLICT);
	assert_string_equal(e.field, "max_caseload");
	assert_non_null(strstr(e.message, "now 15 standard cases"));
	assert_int_equal(in_force(db), 15);
	assert_int_equal(audit_rows(db), before);
	assert_false(db_in_transaction(db));
	/* read again, then it saves */
	e = (struct errinfo){0};
	seen = in_force(db);
	assert_int_equal(caseload_settings_set(db, &who, 12, &seen, &e), HE_OK);
	assert_int_equal(in_force(db), 12);
}

static void test_one_audit_row_per_change(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t all = testdb_int(db, "SELECT count(*) FROM audit_log");
	assert_int_equal(caseload_settings_set(db, &who, 16, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), all + 1);
	assert_int_equal(audit_rows(db), 1);
	struct db_stmt *st = db_prepare(db, "SELECT summary, user_email FROM audit_log"
		" WHERE entity = 'settings' AND entity_id = 'caseload'");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "Default maximum caseload: 18 → 16 standard cases");
	assert_string_equal(db_text(st, 1), "coordinator@hearth.example");
	assert_int_equal(db_finalize(st), HE_OK);
	/* saving the same value again is still one row, saying so */
	assert_int_equal(caseload_settings_set(db, &who, 16, NULL, &e), HE_OK);
	assert_int_equal(audit_rows(db), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), all + 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity_id = 'caseload'"
				    " AND summary = 'Default maximum caseload: 16 standard cases (unchanged)'"), 1);
}

/* One school, the Mistry family referred with consent covering the pool;
 * Asha has no maximum of her own and three open standard cases (6 weighted
 * places, one family's three referrals); Ben has his own maximum of 10 and none. */
static void fixture(struct db *db)
{
	exec(db,
		"INSERT INTO districts (id, name) VALUES (1, 'Belgrave');"
		"INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (1, '140217', 'Ratae Academy', 'secondary', 1, '2026-01-01T00:00:00Z');"
		"INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES"
		" (1, 'c@x.example', 'Cora Ordinator', 'coordinator', 'x', '2026-01-01', '2026-01-01');"
		"INSERT INTO families (id, ref, name, home_language, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Mistry family', 'English', '2026-01-01', '2026-01-01'),"
		" (2, 'F-000002', 'Old family', 'English', '2026-01-01', '2026-01-01');"
		"INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need, needs,"
		" reason, received_at, status) VALUES"
		" (1, 'R-000001', 1, 'school', 1, 2, 'attendance', 'Absent a lot',"
		"  '2026-01-05T09:00:00Z', 'received'),"
		" (2, 'R-000002', 2, 'school', 1, 2, 'housing', 'Earlier', '2025-01-06T09:00:00Z', 'accepted'),"
		" (3, 'R-000003', 2, 'school', 1, 2, 'housing', 'Again', '2025-02-06T09:00:00Z', 'accepted'),"
		" (4, 'R-000004', 2, 'school', 1, 2, 'housing', 'More', '2025-03-06T09:00:00Z', 'accepted');"
		"INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, recorded_at) VALUES"
		" (1, 1, 'consent', 'Mrs Mistry', 'mother', 'pool', '2026-01-04', '2026-01-05');"
		"INSERT INTO workers (id, name, employer, kind, max_caseload, created_at, updated_at) VALUES"
		" (1, 'Asha Patel', 'Council', 'family_support', NULL, 'x', 'x'),"
		" (2, 'Ben Cole', 'Council', 'mentor', 10, 'x', 'x');"
		/* high ids: PostgreSQL's identity does not move past explicit ids */
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, created_at, updated_at) VALUES"
		" (901, 'C-000901', 2, 2, 1, 2, 'open', '2025-01-10', 'x', 'x'),"
		" (902, 'C-000902', 2, 3, 1, 2, 'open', '2025-01-10', 'x', 'x'),"
		" (903, 'C-000903', 2, 4, 1, 2, 'open', '2025-01-10', 'x', 'x');");
}

/* The suggestion for worker id among s[0..n). */
static const struct suggestion *find(const struct suggestion *s, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].worker_id == id)
			return &s[i];
	fail_msg("worker %lld not suggested", (long long)id);
	return NULL;
}

static void test_allocation_follows_the_setting(void **state)
{
	struct db *db = DB(state);
	fixture(db);
	struct arena a;
	arena_init(&a);
	struct suggestion *s;
	size_t n;
	struct errinfo e = {0};
	struct worker_load l;
	/* at the default of 18: Asha has 30 of 36 places free (25 points) */
	assert_int_equal(allocate_suggest(db, &a, 1, &s, &n, &e), HE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(find(s, n, 1)->load.capacity, 36);
	assert_int_equal(find(s, n, 1)->score, 25 + 2);      /* and one other Ratae family */
	assert_string_equal(find(s, n, 1)->reasons, "30 of 36 weighted places free; has worked"
			    " with 1 other family from Ratae Academy");
	assert_int_equal(find(s, n, 2)->load.capacity, 20);

	/* the coordinator lowers the default to 3 standard cases: Asha is full */
	int seen = 18;
	assert_int_equal(caseload_settings_set(db, &who, 3, &seen, &e), HE_OK);
	assert_int_equal(worker_load(db, 1, &l), HE_OK);
	assert_int_equal(l.capacity, 6);
	assert_int_equal(l.weighted, 6);
	assert_int_equal(allocate_suggest(db, &a, 1, &s, &n, &e), HE_OK);
	assert_int_equal(s[0].worker_id, 2);               /* Ben's own maximum is untouched */
	assert_int_equal(s[0].load.capacity, 20);
	assert_int_equal(s[1].worker_id, 1);
	assert_int_equal(s[1].load.capacity, 6);
	assert_true(s[1].score < 0);
	assert_string_equal(s[1].reasons, "full: 6 of 6 weighted places used; has worked with 1"
			    " other family from Ratae Academy");

	/* accepting to Asha now needs the override and a reason */
	struct scope sc = {.caps = caps_for_role(ROLE_COORDINATOR), .user_id = 1, .who = &who};
	struct decision_in in = {.decision = "accept", .version = 1, .worker_id = 1, .intensity = 2};
	e = (struct errinfo){0};
	assert_int_equal(referral_decide(db, &sc, 1, &in, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "override_capacity");
	assert_non_null(strstr(e.message, "6 of 6 weighted places used"));
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM cases WHERE referral_id = 1"), 0);

	/* raised to 4 (8 places), a standard case fits without one */
	seen = 3;
	assert_int_equal(caseload_settings_set(db, &who, 4, &seen, &e), HE_OK);
	assert_int_equal(allocate_suggest(db, &a, 1, &s, &n, &e), HE_OK);
	assert_int_equal(find(s, n, 1)->load.capacity, 8);
	assert_non_null(strstr(find(s, n, 1)->reasons, "2 of 8 weighted places free;"));
	e = (struct errinfo){0};
	int rc = referral_decide(db, &sc, 1, &in, NULL, &e);
	if (rc)
		fail_msg("decide: %d %s %s", rc, e.field, e.message);
	assert_int_equal(testdb_int(db, "SELECT over_capacity FROM cases WHERE referral_id = 1"), 0);
	assert_int_equal(worker_load(db, 1, &l), HE_OK);
	assert_int_equal(l.weighted, 8);
	assert_int_equal(l.capacity, 8);
	arena_free(&a);
}

static void test_workers_on_default(void **state)
{
	struct db *db = DB(state);
	int on, active;
	assert_int_equal(caseload_settings_workers(db, &on, &active), HE_OK);
	assert_int_equal(on, 0);
	assert_int_equal(active, 0);
	fixture(db);
	exec(db, "INSERT INTO workers (id, name, employer, kind, active, created_at, updated_at)"
		 " VALUES (3, 'Gone Away', 'Council', 'mentor', 0, 'x', 'x')");
	assert_int_equal(caseload_settings_workers(db, &on, &active), HE_OK);
	assert_int_equal(on, 1);        /* Asha; not Ben (his own), not the inactive worker */
	assert_int_equal(active, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_refused, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_stale_refused, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_one_audit_row_per_change, testdb_setup,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_allocation_follows_the_setting, testdb_setup,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_workers_on_default, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
