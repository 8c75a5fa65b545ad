/* test_demo_money.c — unit tests for src/core/demo_money.c on a demo
 * partnership with a small census (1,500 pupils), the case demo and the
 * TAF demo: the catalogue (providers, services, exit routes, district
 * services), the three budgets with sources summing to their amounts
 * (the DSG transfer 15.8% of the pool), commissions in every state —
 * waiting for the demo school user on Ratae Academy's budget and for the
 * coordinator, approved, delivered, paid, refunded, cancelled, declined —
 * household grants with items, every move through the core (events,
 * chronology, audit; the chain intact), no budget overspent, cost per
 * family seeing the money, the same result for the same seed, nothing
 * added by a second run, and quick.  SQLite, or PostgreSQL with
 * HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/budget.h"
#include "core/caps.h"
#include "core/cost.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "core/demo_money.h"
#include "core/demo_taf.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define PUPILS 1500

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "test demo money", .ip = NULL,
};

static int64_t one(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t v = db_next(st) ? db_int(st, 0) : -1;
	int rc = db_finalize(st);
	if (rc)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

static double seed_all(struct db *db, hday today)
{
	assert_int_equal(demo_seed(db, &who, DEMO_SEED, NULL), HE_OK);
	assert_int_equal(demo_seed_pupils(db, &who, DEMO_SEED, PUPILS, NULL), HE_OK);
	assert_int_equal(demo_seed_cases(db, &who, DEMO_SEED, today, NULL), HE_OK);
	assert_int_equal(demo_seed_taf(db, &who, DEMO_SEED, today, NULL), HE_OK);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = demo_seed_money(db, &who, DEMO_SEED, today, stderr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(rc, HE_OK);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* The group's database: the demo seeded once (testdb_group_setup); the
 * seeding time is printed, not judged: speed is for make bench. */
static void seed_group(struct db *db)
{
	print_message("    seeded in %.1f s (%s)\n", seed_all(db, date_today()), testdb_backend());
}

static int seeded_setup(void **state)
{
	return testdb_group_setup(state, seed_group);
}

static void test_catalogue_and_budgets(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(one(db, "SELECT count(*) FROM providers"), 9);
	assert_int_equal(one(db, "SELECT count(*) FROM services"), 12);
	assert_true(one(db, "SELECT count(*) FROM services WHERE exit_route = 1"
			" AND category = 'parenting'") >= 2);
	assert_true(one(db, "SELECT count(DISTINCT category) FROM services") >= 9);
	assert_true(one(db, "SELECT count(DISTINCT service_id) FROM service_districts") >= 2);
	/* the three budgets, sources summing to each amount */
	assert_int_equal(one(db, "SELECT count(*) FROM budgets"), 3);
	assert_int_equal(one(db, "SELECT count(*) FROM budgets b JOIN schools s ON s.id = b.school_id"
			     " WHERE b.owner_kind = 'school' AND s.urn = '" DEMO_SCHOOL_URN "'"), 1);
	assert_int_equal(one(db, "SELECT count(*) FROM budgets WHERE owner_kind = 'district'"), 1);
	assert_int_equal(one(db, "SELECT count(*) FROM budgets b WHERE b.amount_pence <>"
			     " (SELECT sum(amount_pence) FROM budget_sources WHERE budget_id = b.id)"), 0);
	assert_int_equal(one(db, "SELECT count(*) FROM budget_sources s JOIN budgets b ON"
			     " b.id = s.budget_id WHERE b.owner_kind = 'partnership'"), 3);
	/* the DSG transfer is 15.8% of the pool */
	assert_int_equal(one(db, "SELECT s.amount_pence * 1000 / b.amount_pence FROM budget_sources s"
			     " JOIN budgets b ON b.id = s.budget_id WHERE s.source LIKE 'Dedicated"
			     " Schools Grant%'"), 158);
}

static void test_commissions_in_every_state(void **state)
{
	struct db *db = DB(state);
	static const char *const statuses[] = {"requested", "approved", "declined", "delivered",
					       "paid", "cancelled"};
	for (size_t i = 0; i < 6; i++) {
		struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM commissions WHERE status = :s");
		db_bind_text(st, ":s", statuses[i]);
		assert_true(db_next(st));
		if (db_int(st, 0) < 1)
			fail_msg("no commission %s", statuses[i]);
		assert_int_equal(db_finalize(st), HE_OK);
	}
	/* waiting for the demo school user (its school's budget, a Ratae case) and for the coordinator */
	assert_true(one(db, "SELECT count(*) FROM commissions m JOIN budgets b ON b.id = m.budget_id"
			" JOIN schools s ON s.id = b.school_id JOIN cases c ON c.id = m.case_id"
			" JOIN referrals r ON r.id = c.referral_id WHERE m.status = 'requested'"
			" AND s.urn = '" DEMO_SCHOOL_URN "' AND r.school_id = s.id") >= 1);
	assert_true(one(db, "SELECT count(*) FROM commissions m JOIN budgets b ON b.id = m.budget_id"
			" WHERE m.status = 'requested' AND b.owner_kind <> 'school'") >= 1);
	/* a refund, a delivery under estimate, household grants with items */
	assert_true(one(db, "SELECT count(*) FROM commissions WHERE refunded_pence > 0"
			" AND status = 'paid'") >= 1);
	assert_true(one(db, "SELECT count(*) FROM commissions WHERE actual_pence < estimate_pence") >= 1);
	assert_true(one(db, "SELECT count(*) FROM commissions WHERE kind = 'household_grant'") >= 3);
	assert_int_equal(one(db, "SELECT count(*) FROM commissions m WHERE kind = 'household_grant'"
			     " AND estimate_pence <> (SELECT sum(amount_pence) FROM commission_items i"
			     " WHERE i.commission_id = m.id)"), 0);
	/* Sam Whitfield's cases have commissions */
	assert_true(one(db, "SELECT count(*) FROM commissions m JOIN cases c ON c.id = m.case_id"
			" JOIN workers w ON w.id = c.worker_id JOIN users u ON u.id = w.user_id"
			" WHERE u.email = 'worker@hearth.example'") >= 3);
	/* through the core: history, chronology, audit, the chain intact */
	assert_int_equal(one(db, "SELECT count(*) FROM commissions m WHERE NOT EXISTS (SELECT 1"
			     " FROM commission_events e WHERE e.commission_id = m.id)"), 0);
	assert_true(one(db, "SELECT count(*) FROM commission_events") >
		    one(db, "SELECT count(*) FROM commissions") * 2);
	assert_true(one(db, "SELECT count(*) FROM case_events WHERE kind = 'note'"
			" AND summary LIKE 'Commission M-%'") >= one(db, "SELECT count(*) FROM commissions"));
	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 4096);
	assert_int_equal(audit_verify(db, &rows, &bad, &msg), HE_OK);
	buf_free(&msg);
	/* no budget overspent */
	struct db_stmt *st = db_prepare(db, "SELECT id FROM budgets ORDER BY id");
	while (db_next(st)) {
		struct budget_pos pos;
		assert_int_equal(budget_position(db, db_int(st, 0), &pos), HE_OK);
		assert_true(pos.available >= 0);
		assert_true(pos.committed + pos.spent > 0);
	}
	assert_int_equal(db_finalize(st), HE_OK);
}

/* Cost per family sees the demo's money, agreeing with the budgets. */
static void test_cost_per_family(void **state)
{
	struct db *db = DB(state);
	hday today = date_today();
	struct arena a;
	arena_init(&a);
	struct scope s;
	scope_system(&who, &s);
	struct cost_report rep;
	struct errinfo e = {0};
	assert_int_equal(cost_report_run(db, &a, &s, "financial", financial_year(today), false, &rep,
					 &e), HE_OK);
	assert_true(rep.families > 20);
	assert_true(rep.time_pence > 0);
	int64_t committed = 0, spent = 0;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM budgets");
	while (db_next(st)) {
		struct budget_pos pos;
		assert_int_equal(budget_position(db, db_int(st, 0), &pos), HE_OK);
		committed += pos.committed;
		spent += pos.spent;
	}
	assert_int_equal(db_finalize(st), HE_OK);
	/* every commission is dated this year, on a case open this year */
	assert_int_equal(rep.committed_pence, committed);
	assert_int_equal(rep.spent_pence, spent);
	assert_int_equal(rep.per_family_pence, cost_div_round(rep.total_pence, rep.families));
	arena_free(&a);
}

/* Fingerprint of what the demo made. */
static void fingerprint(struct db *db, char out[256])
{
	snprintf(out, 256, "%" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64,
		 one(db, "SELECT count(*) FROM commissions"),
		 one(db, "SELECT coalesce(sum(estimate_pence), 0) FROM commissions"),
		 one(db, "SELECT coalesce(sum(case_id * id), 0) FROM commissions"),
		 one(db, "SELECT count(*) FROM commission_events"),
		 one(db, "SELECT coalesce(sum(length(status) * id), 0) FROM commissions"));
}

/* A second database seeded the same way matches the group's (same seed,
 * same demo), and seeding it again adds nothing.  The group's database is
 * only read. */
static void test_deterministic_and_once(void **state)
{
	hday today = date_today();
	char first[256], second[256], again[256];
	fingerprint(DB(state), first);
	struct testdb *t2 = testdb_new_migrated();
	assert_non_null(t2);
	seed_all(t2->db, today);
	fingerprint(t2->db, second);
	assert_int_equal(demo_seed_money(t2->db, &who, DEMO_SEED, today, NULL), HE_OK);
	fingerprint(t2->db, again);
	testdb_free(t2);
	assert_string_equal(first, second);         /* same seed, same demo */
	assert_string_equal(second, again);         /* a second run adds nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* every one reads the group's seeded database */
		cmocka_unit_test(test_catalogue_and_budgets),
		cmocka_unit_test(test_commissions_in_every_state),
		cmocka_unit_test(test_cost_per_family),
		cmocka_unit_test(test_deterministic_and_once),
	};
	return cmocka_run_group_tests(tests, seeded_setup, testdb_group_teardown);
}
