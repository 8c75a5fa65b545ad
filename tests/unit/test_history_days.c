/* test_history_days.c — the dates a history case keeps for the reports
 * (migrations/0009: history_cases.referred_on, allocated_on, ended_on —
 * its referral, first allocation and first step-up or closure) always
 * equal what its events say, whoever writes them: the loader
 * (src/core/history.c writes them with the case), and plain SQL inserts,
 * changes and deletions of events (the triggers), after a long random
 * sequence of writes.  And the reports that read them give the same
 * figures as the events themselves: each history case's span as the
 * activity report used to work it out (grouping every event) against the
 * kept dates.  Runs on SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/history.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {
	.user_id = 0, .email = "admin@hearth.example", .role = "admin",
	.route = "test history days", .ip = NULL,
};

/* History cases whose kept dates differ from their events' (0 when right). */
static const char wrong_sql[] =
	"SELECT count(*) FROM history_cases h WHERE"
	" coalesce(h.referred_on, '-') <> coalesce((SELECT min(e.on_date) FROM history_events e"
	"  WHERE e.case_id = h.id AND e.kind = 'referred'), '-')"
	" OR coalesce(h.allocated_on, '-') <> coalesce((SELECT min(e.on_date) FROM history_events e"
	"  WHERE e.case_id = h.id AND e.kind = 'allocated'), '-')"
	" OR coalesce(h.ended_on, '-') <> coalesce((SELECT min(e.on_date) FROM history_events e"
	"  WHERE e.case_id = h.id AND e.kind IN ('closed', 'step_up')), '-')";

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* xorshift: the same sequence on every run and backend */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static const char *const kinds[] = {"referred", "accepted", "signposted", "declined",
	"allocated", "step_down", "step_up", "closed", "commission"};
#define NKINDS (sizeof kinds / sizeof kinds[0])
#define NCASES 12

static void random_day(uint32_t *x, char out[11])
{
	date_format(date_from_ymd(2018, 1, 1) + (hday)(rnd(x) % 1500), out);
}

static void insert_event(struct db *db, uint32_t *x)
{
	char day[11];
	random_day(x, day);
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_events (case_id, on_date, kind)"
					" VALUES (:c, :d, :k)");
	db_bind_int(st, ":c", 1 + rnd(x) % NCASES);
	db_bind_text(st, ":d", day);
	db_bind_text(st, ":k", kinds[rnd(x) % NKINDS]);
	if (db_done(st) != HE_OK)
		fail_msg("insert: %s", db_errmsg(db));
}

/* Change one random event's day, kind or case. */
static void update_event(struct db *db, uint32_t *x)
{
	char day[11];
	random_day(x, day);
	static const char *const sql[] = {
		"UPDATE history_events SET on_date = :v WHERE id = (SELECT min(id) FROM history_events"
		" WHERE id >= :id)",
		"UPDATE history_events SET kind = :v WHERE id = (SELECT min(id) FROM history_events"
		" WHERE id >= :id)",
		"UPDATE history_events SET case_id = CAST(:v AS BIGINT) WHERE id = (SELECT min(id)"
		" FROM history_events WHERE id >= :id)",
	};
	int which = (int)(rnd(x) % 3);
	char cid[8];
	snprintf(cid, sizeof cid, "%u", 1 + rnd(x) % NCASES);
	struct db_stmt *st = db_prepare(db, sql[which]);
	db_bind_text(st, ":v", which == 0 ? day : which == 1 ? kinds[rnd(x) % NKINDS] : cid);
	db_bind_int(st, ":id", 1 + rnd(x) % 400);
	if (db_done(st) != HE_OK)
		fail_msg("update: %s", db_errmsg(db));
}

static void delete_event(struct db *db, uint32_t *x)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM history_events WHERE id = (SELECT min(id)"
					" FROM history_events WHERE id >= :id)");
	db_bind_int(st, ":id", 1 + rnd(x) % 400);
	if (db_done(st) != HE_OK)
		fail_msg("delete: %s", db_errmsg(db));
}

/* Plain SQL writes in a random order (inserts mostly, then changes and
 * deletions): the kept dates stay right after every one. */
static void test_random_writes(void **state)
{
	struct db *db = DB(state);
	exec(db, "INSERT INTO history_imports (id, filename, sha256, imported_at) VALUES"
	     " (1, 'old.csv', 'abc', '2024-01-01T00:00:00Z')");
	for (int i = 1; i <= NCASES; i++) {
		struct db_stmt *st = db_prepare(db, "INSERT INTO history_cases (id, import_id, case_ref,"
						" family_ref) VALUES (:id, 1, :ref, :ref)");
		char ref[16];
		snprintf(ref, sizeof ref, "OLD-%d", i);
		db_bind_int(st, ":id", i);
		db_bind_text(st, ":ref", ref);
		assert_int_equal(db_done(st), HE_OK);
	}
	uint32_t x = 20240229;
	int64_t with_days = 0;
	for (int step = 0; step < 600; step++) {
		uint32_t r = rnd(&x) % 10;
		if (step < 150 || r < 6)
			insert_event(db, &x);
		else if (r < 8)
			update_event(db, &x);
		else
			delete_event(db, &x);
		if (testdb_int(db, wrong_sql) != 0)
			fail_msg("after write %d the kept dates differ from the events", step);
		with_days += testdb_int(db, "SELECT count(*) FROM history_cases WHERE"
					" allocated_on IS NOT NULL AND ended_on IS NOT NULL");
	}
	assert_true(with_days > 0);    /* the comparison was not of NULLs alone */
	/* one transaction's writes too, rolled back */
	assert_int_equal(db_begin(db), HE_OK);
	insert_event(db, &x);
	delete_event(db, &x);
	db_rollback(db);
	assert_int_equal(testdb_int(db, wrong_sql), 0);
}

/* The loader writes the dates with the case (the triggers then change
 * nothing), including a case never allocated and one still open. */
static void test_loader(void **state)
{
	struct db *db = DB(state);
	static const char csv[] =
		"case_ref,family_ref,school_urn,upn,worker,event,date,source,reason,amount,detail\n"
		"A1,F1,,,,referred,2019-01-10,school,,,\n"
		"A1,F1,,,,accepted,2019-01-12,,,,\n"
		"A1,F1,,,,allocated,2019-01-20,,,,\n"
		"A1,F1,,,,commission,2019-02-01,,,150.00,Grant\n"
		"A1,F1,,,,closed,2019-06-30,,outcomes_met,,\n"
		"A2,F2,,,,referred,2019-03-01,agency,,,\n"
		"A2,F2,,,,declined,2019-03-05,,,,\n"
		"A3,F1,,,,referred,2019-09-01,self,,,\n"
		"A3,F1,,,,accepted,2019-09-02,,,,\n"
		"A3,F1,,,,allocated,2019-09-09,,,,\n"
		"A3,F1,,,,step_up,2019-10-01,,,,\n";
	struct history_opts o = {.data = csv, .len = sizeof csv - 1, .filename = "days.csv",
				 .strict = true, .today = date_from_ymd(2026, 1, 1)};
	struct history_report rep;
	assert_int_equal(history_load(db, &who, &o, &rep), HE_OK);
	assert_string_equal(rep.status, "done");
	assert_int_equal(testdb_int(db, wrong_sql), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE case_ref = 'A1'"
				 " AND referred_on = '2019-01-10' AND allocated_on = '2019-01-20'"
				 " AND ended_on = '2019-06-30'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE case_ref = 'A2'"
				 " AND referred_on = '2019-03-01' AND allocated_on IS NULL"
				 " AND ended_on IS NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE case_ref = 'A3'"
				 " AND allocated_on = '2019-09-09' AND ended_on = '2019-10-01'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_writes, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_loader, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
