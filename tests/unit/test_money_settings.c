/* test_money_settings.c — unit tests for src/core/money_settings.c: the
 * defaults the migrations seed (and those used when a row is absent); a
 * change takes effect where the money is worked out (cost per family
 * through cost.c, the automatic approval limit through commission.c);
 * bad values are refused naming the field with nothing written; a stale
 * change (values changed since they were read) is refused; each change
 * writes exactly one audit row naming old and new values.  Runs on
 * SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/commission.h"
#include "core/cost.h"
#include "core/money_settings.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

/* commission_limit reads the role the request acts as (its audit_who). */
static const struct audit_who worker_who = {
	.user_id = USER_WORKER, .email = "u5@hearth.example", .role = "worker", .route = "unit test",
};
static const struct audit_who coord_who = {
	.user_id = USER_COORD, .email = "u4@hearth.example", .role = "coordinator", .route = "unit test",
};

static struct scope as(int user, const struct audit_who *who)
{
	struct scope s = fix_scope(user);
	s.who = who;
	return s;
}

static int64_t audit_rows(struct db *db)
{
	return testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'update'"
			  " AND entity = 'settings' AND entity_id = 'money'");
}

static const char *setting(struct db *db, const char *key, char *buf, size_t len)
{
	struct db_stmt *st = db_prepare(db, "SELECT value FROM settings WHERE key = :key");
	db_bind_text(st, ":key", key);
	snprintf(buf, len, "%s", db_next(st) ? db_text(st, 0) : "(none)");
	assert_int_equal(db_finalize(st), HE_OK);
	return buf;
}

/* One worker's case, opened 2026-04-10, with one held contact of 90 minutes
 * in the financial year 2026–27 (and the fixture's users and schools). */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (1, 5, 'Wendy One', 'Early Help', 'family_support', '2026-01-01T00:00:00Z',"
		" '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Khan family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		" needs, reason, status, received_at) VALUES (1, 'R-000001', 1, 'school', 1, 2,"
		" 'attendance', 'Worried', 'accepted', '2026-04-01T10:00:00Z')");
	fix_exec(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status,"
		" opened_on, created_at, updated_at) VALUES (1, 'C-000001', 1, 1, 1, 'open',"
		" '2026-04-10', '2026-04-10T10:00:00Z', '2026-04-10T10:00:00Z')");
	fix_exec(db, "INSERT INTO contacts (case_id, worker_id, at, kind, duration_min, planned,"
		" recorded_at) VALUES (1, 1, '2026-05-01T10:00', 'home_visit', 90, 0,"
		" '2026-05-01T10:00:00Z')");
	return 0;
}

static void test_defaults(void **state)
{
	struct db *db = DB(state);
	struct money_settings m;
	assert_int_equal(money_settings_get(db, &m), HE_OK);
	assert_int_equal(m.hour_pence, 3200);
	assert_int_equal(m.worker_limit_pence, 25000);
	assert_int_equal(m.coordinator_limit_pence, 500000);
	/* with no rows (or unreadable ones) the readers' defaults, as cost.c
	 * and commission.c use them */
	fix_exec(db, "DELETE FROM settings WHERE key IN ('cost.worker_hour_pence',"
		" 'commission.limit.worker')");
	fix_exec(db, "UPDATE settings SET value = 'lots' WHERE key = 'commission.limit.coordinator'");
	m = (struct money_settings){0};
	assert_int_equal(money_settings_get(db, &m), HE_OK);
	assert_int_equal(m.hour_pence, COST_HOUR_PENCE_DEFAULT);
	assert_int_equal(m.worker_limit_pence, MONEY_LIMIT_WORKER_DEFAULT);
	assert_int_equal(m.coordinator_limit_pence, MONEY_LIMIT_COORD_DEFAULT);
	int64_t hour, lim;
	struct scope w = as(USER_WORKER, &worker_who), c = as(USER_COORD, &coord_who);
	assert_int_equal(cost_hour_pence(db, &hour), HE_OK);
	assert_int_equal(hour, m.hour_pence);
	assert_int_equal(commission_limit(db, &w, &lim), HE_OK);
	assert_int_equal(lim, m.worker_limit_pence);
	assert_int_equal(commission_limit(db, &c, &lim), HE_OK);
	assert_int_equal(lim, m.coordinator_limit_pence);
	/* writing where the rows are absent inserts them */
	struct errinfo e = {0};
	struct money_settings to = {3300, 100, 200};
	assert_int_equal(money_settings_set(db, &fix_who, &to, &m, &e), HE_OK);
	assert_int_equal(money_settings_get(db, &m), HE_OK);
	assert_memory_equal(&m, &to, sizeof m);
}

static void test_change_takes_effect(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	struct scope coord = as(USER_COORD, &coord_who), worker = as(USER_WORKER, &worker_who);
	struct cost_report rep;
	struct errinfo e = {0};
	assert_int_equal(cost_report_run(db, &a, &coord, "financial", 2026, false, &rep, &e), HE_OK);
	assert_int_equal(rep.hour_pence, 3200);
	assert_int_equal(rep.time_pence, 4800);        /* 90 min at £32.00 */
	struct money_settings old, to = {3550, 10000, 750000};
	assert_int_equal(money_settings_get(db, &old), HE_OK);
	assert_int_equal(money_settings_set(db, &fix_who, &to, &old, &e), HE_OK);
	char buf[32];
	assert_string_equal(setting(db, "cost.worker_hour_pence", buf, sizeof buf), "3550");
	assert_string_equal(setting(db, "commission.limit.worker", buf, sizeof buf), "10000");
	assert_string_equal(setting(db, "commission.limit.coordinator", buf, sizeof buf), "750000");
	/* the report: 90 min at £35.50 = £53.25 */
	assert_int_equal(cost_report_run(db, &a, &coord, "financial", 2026, false, &rep, &e), HE_OK);
	assert_int_equal(rep.hour_pence, 3550);
	assert_int_equal(rep.time_pence, 5325);
	assert_int_equal(rep.total_pence, 5325);
	assert_int_equal(rep.per_family_pence, 5325);
	/* the automatic approval limits */
	int64_t lim;
	assert_int_equal(commission_limit(db, &worker, &lim), HE_OK);
	assert_int_equal(lim, 10000);
	assert_int_equal(commission_limit(db, &coord, &lim), HE_OK);
	assert_int_equal(lim, 750000);
	arena_free(&a);
}

/* to is refused with code naming field, and nothing is written. */
static void refused(struct db *db, struct money_settings to, int code, const char *field)
{
	struct errinfo e = {0};
	int64_t before = audit_rows(db);
	struct money_settings was, now;
	assert_int_equal(money_settings_get(db, &was), HE_OK);
	assert_int_equal(money_settings_set(db, &fix_who, &to, NULL, &e), code);
	assert_int_equal(e.code, code);
	assert_string_equal(e.field, field);
	assert_true(e.message[0] != 0);
	assert_int_equal(money_settings_get(db, &now), HE_OK);
	assert_memory_equal(&now, &was, sizeof now);
	assert_int_equal(audit_rows(db), before);
	assert_false(db_in_transaction(db));
}

static void test_bad_values_refused(void **state)
{
	struct db *db = DB(state);
	refused(db, (struct money_settings){0, 100, 200}, HE_INVALID, "hour_pence");
	refused(db, (struct money_settings){50001, 100, 200}, HE_INVALID, "hour_pence");
	refused(db, (struct money_settings){-5, 100, 200}, HE_INVALID, "hour_pence");
	refused(db, (struct money_settings){3200, -1, 200}, HE_INVALID, "worker_limit_pence");
	refused(db, (struct money_settings){3200, 100000001, 100000001}, HE_INVALID,
		"worker_limit_pence");
	refused(db, (struct money_settings){3200, 100, 100000001}, HE_INVALID,
		"coordinator_limit_pence");
	refused(db, (struct money_settings){3200, 300, 299}, HE_INVALID, "coordinator_limit_pence");
	/* the edges are allowed */
	struct errinfo e = {0};
	struct money_settings lo = {1, 0, 0}, hi = {50000, 100000000, 100000000};
	assert_int_equal(money_settings_set(db, &fix_who, &lo, NULL, &e), HE_OK);
	assert_int_equal(money_settings_set(db, &fix_who, &hi, NULL, &e), HE_OK);
	struct money_settings now;
	assert_int_equal(money_settings_get(db, &now), HE_OK);
	assert_memory_equal(&now, &hi, sizeof now);
}

static void test_stale_refused(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	struct money_settings seen, mine = {4000, 25000, 500000}, theirs = {3500, 25000, 500000};
	assert_int_equal(money_settings_get(db, &seen), HE_OK);
	/* someone else saves after this admin read the values */
	assert_int_equal(money_settings_set(db, &fix_who, &theirs, &seen, &e), HE_OK);
	int64_t before = audit_rows(db);
	assert_int_equal(money_settings_set(db, &fix_who, &mine, &seen, &e), HE_CONFLICT);
	assert_string_equal(e.field, "hour_pence");
	assert_non_null(strstr(e.message, "£35.00"));
	struct money_settings now;
	assert_int_equal(money_settings_get(db, &now), HE_OK);
	assert_memory_equal(&now, &theirs, sizeof now);
	assert_int_equal(audit_rows(db), before);
	assert_false(db_in_transaction(db));
	/* read again, then it saves */
	e = (struct errinfo){0};
	assert_int_equal(money_settings_set(db, &fix_who, &mine, &now, &e), HE_OK);
	assert_int_equal(money_settings_get(db, &now), HE_OK);
	assert_int_equal(now.hour_pence, 4000);
}

static void test_one_audit_row_per_change(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t all = testdb_int(db, "SELECT count(*) FROM audit_log");
	struct money_settings to = {3550, 30000, 500000};
	assert_int_equal(money_settings_set(db, &fix_who, &to, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), all + 1);
	assert_int_equal(audit_rows(db), 1);
	struct db_stmt *st = db_prepare(db, "SELECT summary, user_email FROM audit_log"
		" WHERE entity = 'settings' AND entity_id = 'money'");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "Money settings: hourly cost £32.00 → £35.50;"
			    " worker limit £250.00 → £300.00; coordinator limit £5,000.00 (unchanged)");
	assert_string_equal(db_text(st, 1), "test@hearth.example");
	assert_int_equal(db_finalize(st), HE_OK);
	to.coordinator_limit_pence = 600000;
	assert_int_equal(money_settings_set(db, &fix_who, &to, NULL, &e), HE_OK);
	assert_int_equal(audit_rows(db), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log"), all + 2);
}

int main(void)
{
	(void)fix_int;    /* referfix.h's, unused here */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_change_takes_effect, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_refused, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_stale_refused, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_one_audit_row_per_change, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
