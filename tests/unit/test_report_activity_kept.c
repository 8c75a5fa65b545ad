/* test_report_activity_kept.c — the monthly sums activity and waits read
 * (migrations/0016: activity_months, wait_months, case_activity) always
 * give the figures the base rows give, whoever writes them: after each of
 * a long random sequence of plain SQL inserts, changes and deletions of
 * referrals, cases, step-up events, history cases and their events, and
 * schools' phases (the triggers), the activity and waits tables read from
 * the sums (report_activity_kept) are compared cell by cell with the same
 * tables from the base rows' queries, for several periods of whole
 * months.  A case that ends before it opens is irregular: the report then
 * reads the base rows, and the sums are used again once it is put right.
 * Runs on SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
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
#include "core/report_activity.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define NFAM 10
#define MAXREF 70
#define MAXHIST 40


static int64_t intf(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t intf(struct db *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return testdb_int(db, sql);
}

/* xorshift: the same sequence on every run and backend */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static hday base_day(void)
{
	return date_from_ymd(2023, 10, 1);
}

/* A day d days after 1 October 2023 ("YYYY-MM-DD"). */
static void day_text(hday d, char out[11])
{
	date_format(base_day() + d, out);
}

static const char *const statuses[] = {"received", "accepted", "signposted", "declined",
	"stepped_up", "withdrawn"};
static const char *const reasons[] = {"outcomes_met", "stepped_up", "disengaged", "moved_away",
	"other"};
static const char *const phases[] = {"primary", "secondary", "middle", "special", "pru"};

static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		 " (1, 'Sam', 'Pool', 'family_support', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')");
	for (int i = 1; i <= NFAM; i++)
		fix_sqlf(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		     " (%d, 'F-%06d', 'Family', 'x', 'x')", i, i);
	fix_exec(db, "INSERT INTO history_imports (id, filename, sha256, imported_at, rows_total,"
		 " rows_applied, rows_rejected, status) VALUES (1, 'old.csv', 'x', 'x', 0, 0, 0, 'done')");
	return 0;
}

static int next_ref, next_hist, next_event;

/* The row with the smallest id at or after a random one (0: none). */
static int64_t some_id(struct db *db, uint32_t *x, const char *table, const char *where, int max)
{
	return intf(db, "SELECT coalesce(min(id), 0) FROM %s WHERE id >= %u%s%s", table,
		    1 + rnd(x) % (uint32_t)max, *where ? " AND " : "", where);
}

/* A new referral: a random source, receipt day and decision. */
static void add_referral(struct db *db, uint32_t *x)
{
	if (next_ref > MAXREF)
		return;
	int id = next_ref++;
	hday d = rnd(x) % 900;
	char rec[11], dec[11];
	day_text(d, rec);
	day_text(d + rnd(x) % 20, dec);
	uint32_t s = rnd(x) % 10;
	const char *source = s < 6 ? "school" : s < 8 ? "agency" : s < 9 ? "self" : "step_down";
	char school[8] = "NULL";
	if (s < 6)
		snprintf(school, sizeof school, "%u", 1 + rnd(x) % 3);
	const char *status = statuses[rnd(x) % 6];
	bool decided = strcmp(status, "received") != 0;
	fix_sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, stepped_down_from,"
	     " level_of_need, needs, reason, status, received_at, decided_at) VALUES (%d,"
	     " 'R-%06d', %u, '%s', %s, %s, 2, 'attendance', 'Worried', '%s', '%sT10:00:00Z', %s%s%s)",
	     id, id, 1 + rnd(x) % NFAM, source, school, s == 9 ? "1" : "NULL", status, rec,
	     decided ? "'" : "", decided ? dec : "NULL", decided ? "T11:00:00Z'" : "");
}

static void change_referral(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "referrals", "", next_ref);
	if (!id)
		return;
	char d[11];
	day_text(rnd(x) % 900, d);
	switch (rnd(x) % 4) {
	case 0:
		fix_sqlf(db, "UPDATE referrals SET status = '%s', decided_at = '%sT09:00:00Z' WHERE id = %lld",
		     statuses[1 + rnd(x) % 5], d, (long long)id);
		break;
	case 1:
		fix_sqlf(db, "UPDATE referrals SET status = 'received', decided_at = NULL WHERE id = %lld",
		     (long long)id);
		break;
	case 2:
		fix_sqlf(db, "UPDATE referrals SET received_at = '%sT08:30:00Z' WHERE id = %lld", d,
		     (long long)id);
		break;
	default:
		if (rnd(x) % 2)
			fix_sqlf(db, "UPDATE referrals SET source = 'school', school_id = %u WHERE id = %lld",
			     1 + rnd(x) % 3, (long long)id);
		else
			fix_sqlf(db, "UPDATE referrals SET source = '%s', school_id = NULL WHERE id = %lld",
			     rnd(x) % 2 ? "agency" : "step_down", (long long)id);
	}
}

static void delete_referral(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "referrals", "NOT EXISTS (SELECT 1 FROM cases c WHERE"
			     " c.referral_id = referrals.id)", next_ref);
	if (id)
		fix_sqlf(db, "DELETE FROM referrals WHERE id = %lld", (long long)id);
}

/* A case for a referral that has none (same id), opened 0–60 days after
 * the referral's day (a few before it: a wait of 0). */
static void add_case(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "referrals", "NOT EXISTS (SELECT 1 FROM cases c WHERE"
			     " c.referral_id = referrals.id)", next_ref);
	if (!id)
		return;
	fix_sqlf(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status, opened_on,"
	     " created_at, updated_at) SELECT r.id, 'C-' || r.ref, r.family_id, r.id, 1, 'open',"
	     " substr(r.received_at, 1, 10), 'x', 'x' FROM referrals r WHERE r.id = %lld",
	     (long long)id);
	hday open;
	char on[11];
	struct db_stmt *st = db_prepare(db, "SELECT opened_on FROM cases WHERE id = :id");
	db_bind_int(st, ":id", id);
	assert_true(db_next(st));
	assert_true(date_parse(db_text(st, 0), &open));
	db_finalize(st);
	date_format(open + (hday)(rnd(x) % 64) - 3, on);
	fix_sqlf(db, "UPDATE cases SET opened_on = '%s' WHERE id = %lld", on, (long long)id);
}

/* The case's opened_on as a day number. */
static hday opened(struct db *db, int64_t id)
{
	hday d = 0;
	struct db_stmt *st = db_prepare(db, "SELECT opened_on FROM cases WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st))
		date_parse(db_text(st, 0), &d);
	db_finalize(st);
	return d;
}

/* A step-up event 0–29 days after the case opened (cases close 30 days
 * or more after: a step-up never comes after the closure). */
static void add_step_up(struct db *db, int64_t id, uint32_t *x)
{
	char on[11];
	date_format(opened(db, id) + (hday)(rnd(x) % 30), on);
	fix_sqlf(db, "INSERT INTO case_events (id, family_id, case_id, on_date, kind, summary,"
	     " recorded_at) SELECT %d, c.family_id, c.id, '%s', 'step_up', 'Stepped up', 'x'"
	     " FROM cases c WHERE c.id = %lld", next_event++, on, (long long)id);
}

/* Close, step up, reopen or open earlier. */
static void change_case(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "cases", "", next_ref);
	if (!id)
		return;
	char on[11];
	switch (rnd(x) % 5) {
	case 0:
	case 1:
		date_format(opened(db, id) + 30 + (hday)(rnd(x) % 300), on);
		fix_sqlf(db, "UPDATE cases SET status = 'closed', closed_on = '%s', closure_reason = '%s'"
		     " WHERE id = %lld", on, reasons[rnd(x) % 5], (long long)id);
		break;
	case 2:
		if (rnd(x) % 2)
			add_step_up(db, id, x);
		fix_sqlf(db, "UPDATE cases SET status = 'stepped_up', closed_on = NULL,"
		     " closure_reason = NULL WHERE id = %lld", (long long)id);
		break;
	case 3:
		fix_sqlf(db, "UPDATE cases SET status = 'open', closed_on = NULL, closure_reason = NULL"
		     " WHERE id = %lld", (long long)id);
		break;
	default:
		date_format(opened(db, id) - (hday)(rnd(x) % 40), on);
		fix_sqlf(db, "UPDATE cases SET opened_on = '%s' WHERE id = %lld", on, (long long)id);
	}
}

/* Add, move, re-kind or remove a step-up event. */
static void change_event(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "case_events", "", next_event);
	uint32_t r = rnd(x) % 4;
	if (r == 0 || !id) {
		int64_t c = some_id(db, x, "cases", "", next_ref);
		if (c)
			add_step_up(db, c, x);
		return;
	}
	char on[11];
	if (r == 1) {
		int64_t c = intf(db, "SELECT case_id FROM case_events WHERE id = %lld", (long long)id);
		date_format(opened(db, c) + (hday)(rnd(x) % 30), on);
		fix_sqlf(db, "UPDATE case_events SET on_date = '%s' WHERE id = %lld", on, (long long)id);
	} else if (r == 2) {
		fix_sqlf(db, "UPDATE case_events SET kind = CASE kind WHEN 'step_up' THEN 'note'"
		     " ELSE 'step_up' END WHERE id = %lld", (long long)id);
	} else {
		fix_sqlf(db, "DELETE FROM case_events WHERE id = %lld", (long long)id);
	}
}

static void delete_case(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "cases", "", next_ref);
	if (!id)
		return;
	fix_sqlf(db, "DELETE FROM case_events WHERE case_id = %lld", (long long)id);
	fix_sqlf(db, "DELETE FROM cases WHERE id = %lld", (long long)id);
}

/* A history case with its events, one by one: referred, often
 * accepted and allocated, then closed or stepped up, sometimes a
 * step-down. */
static void add_history(struct db *db, uint32_t *x)
{
	if (next_hist > MAXHIST)
		return;
	int id = next_hist++;
	char school[8] = "NULL";
	if (rnd(x) % 4)
		snprintf(school, sizeof school, "%u", 1 + rnd(x) % 3);
	fix_sqlf(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id)"
	     " VALUES (%d, 1, 'LST-%d', 'OLD-%u', %s)", id, id, rnd(x) % 20, school);
	hday d = rnd(x) % 700;
	char on[11];
	static const char *const src[] = {"'school'", "'agency'", "'self'", "NULL"};
	day_text(d, on);
	fix_sqlf(db, "INSERT INTO history_events (case_id, on_date, kind, source) VALUES (%d, '%s',"
	     " 'referred', %s)", id, on, src[rnd(x) % 4]);
	if (rnd(x) % 5 == 0)
		return;
	day_text(d + rnd(x) % 10, on);
	fix_sqlf(db, "INSERT INTO history_events (case_id, on_date, kind) VALUES (%d, '%s', '%s')",
	     id, on, rnd(x) % 3 ? "accepted" : "declined");
	d += 10 + rnd(x) % 50;
	day_text(d, on);
	fix_sqlf(db, "INSERT INTO history_events (case_id, on_date, kind) VALUES (%d, '%s',"
	     " 'allocated')", id, on);
	uint32_t end = rnd(x) % 4;
	d += 1 + rnd(x) % 300;
	day_text(d, on);
	if (end == 0)
		fix_sqlf(db, "INSERT INTO history_events (case_id, on_date, kind) VALUES (%d, '%s',"
		     " 'step_up')", id, on);
	else if (end < 3)
		fix_sqlf(db, "INSERT INTO history_events (case_id, on_date, kind, reason) VALUES (%d,"
		     " '%s', 'closed', %s)", id, on, end == 1 ? "'outcomes_met'" : "NULL");
	if (rnd(x) % 4 == 0) {
		day_text(d + 5, on);
		fix_sqlf(db, "INSERT INTO history_events (case_id, on_date, kind) VALUES (%d, '%s',"
		     " 'step_down')", id, on);
	}
}

/* Move an event later (an allocation past its end makes the case
 * irregular until it moves again), re-kind one, delete one, or move a
 * history case to another school. */
static void change_history(struct db *db, uint32_t *x)
{
	int64_t id = some_id(db, x, "history_events", "", 8 * next_hist + 1);
	uint32_t r = rnd(x) % 5;
	if (r == 4 || !id) {
		int64_t h = some_id(db, x, "history_cases", "", next_hist);
		if (h)
			fix_sqlf(db, "UPDATE history_cases SET school_id = %s WHERE id = %lld",
			     rnd(x) % 3 ? "2" : "NULL", (long long)h);
		return;
	}
	if (r == 0)
		fix_sqlf(db, "UPDATE history_events SET on_date = %s WHERE id = %lld",
		     strcmp(testdb_backend(), "sqlite") != 0
		     ? "to_char(on_date::date + 7, 'YYYY-MM-DD')" : "date(on_date, '+7 days')",
		     (long long)id);
	else if (r == 1)
		fix_sqlf(db, "UPDATE history_events SET kind = 'closed', reason = '%s' WHERE id = %lld"
		     " AND kind IN ('step_up', 'closed', 'declined')", reasons[rnd(x) % 5],
		     (long long)id);
	else if (r == 2)
		fix_sqlf(db, "UPDATE history_events SET source = 'school' WHERE id = %lld"
		     " AND kind = 'referred'", (long long)id);
	else
		fix_sqlf(db, "DELETE FROM history_events WHERE id = %lld", (long long)id);
}

static void change_school(struct db *db, uint32_t *x)
{
	fix_sqlf(db, "UPDATE schools SET phase = '%s' WHERE id = %u", phases[rnd(x) % 5],
	     1 + rnd(x) % 3);
}

/* The same table (rows by key: labels and every cell). */
static void same_table(struct rtable *kept, struct rtable *base, const char *what, int step)
{
	if (kept->nrows != base->nrows || kept->ncols != base->ncols)
		fail_msg("after write %d %s: %zu rows from the sums, %zu from the base rows",
			 step, what, kept->nrows, base->nrows);
	for (size_t r = 0; r < base->nrows; r++) {
		struct rrow *k = rtable_find(kept, base->rows[r].key);
		if (!k)
			fail_msg("after write %d %s: no row %s from the sums", step, what,
				 base->rows[r].key);
		assert_string_equal(k->label, base->rows[r].label);
		for (size_t c = 0; c < base->ncols; c++)
			if (k->v[c] != base->rows[r].v[c])
				fail_msg("after write %d %s: %s column %zu: %lld from the sums, %lld"
					 " from the base rows", step, what, base->rows[r].key, c,
					 (long long)k->v[c], (long long)base->rows[r].v[c]);
	}
}

static const char *const periods[][2] = {
	{"2024-04-01", "2025-03-31"},   /* a financial year */
	{"2023-09-01", "2026-08-31"},   /* three academic years: everything */
	{"2025-01-01", "2025-01-31"},   /* one month, much open before it */
	{"2025-09-01", "2026-08-31"},
};

/* Activity and waits from the sums and from the base rows, every period. */
static void check(struct db *db, int step)
{
	struct arena a;
	arena_init(&a);
	for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
		struct report_filter f = {0};
		assert_true(date_parse(periods[p][0], &f.from));
		assert_true(date_parse(periods[p][1], &f.to));
		struct rtable *k1 = NULL, *b1 = NULL, *k2 = NULL, *b2 = NULL;
		report_activity_kept = true;
		assert_int_equal(report_activity(db, &a, &f, &k1), HE_OK);
		assert_int_equal(report_waits(db, &a, &f, &k2), HE_OK);
		report_activity_kept = false;
		assert_int_equal(report_activity(db, &a, &f, &b1), HE_OK);
		assert_int_equal(report_waits(db, &a, &f, &b2), HE_OK);
		report_activity_kept = true;
		same_table(k1, b1, "activity", step);
		same_table(k2, b2, "waits", step);
	}
	arena_free(&a);
	/* PostgreSQL folds what a transaction added into the sums as it commits */
	if (step != -2 && testdb_int(db, "SELECT count(*) FROM activity_delta") != 0)
		fail_msg("after write %d activity_delta was not folded in", step);
}

static int64_t irregular(struct db *db)
{
	return testdb_int(db, "SELECT coalesce(sum(n), 0) FROM activity_months WHERE month = ''"
			  " AND measure = 'irregular'");
}

static void test_random_writes(void **state)
{
	struct db *db = DB(state);
	uint32_t x = 20250401;
	int regular = 0;
	(void)fix_scope;
	(void)fix_int;
	next_ref = 1;
	next_hist = 1;
	next_event = 1;
	for (int step = 0; step < 400; step++) {
		uint32_t r = rnd(&x) % 20;
		if (step < 40 || r < 3)
			add_referral(db, &x);
		else if (r < 5)
			change_referral(db, &x);
		else if (r < 6)
			delete_referral(db, &x);
		else if (r < 8)
			add_case(db, &x);
		else if (r < 11)
			change_case(db, &x);
		else if (r < 13)
			change_event(db, &x);
		else if (r < 14)
			delete_case(db, &x);
		else if (r < 16)
			add_history(db, &x);
		else if (r < 18)
			change_history(db, &x);
		else
			change_school(db, &x);
		if (step % 2 == 1 || step >= 360) {
			check(db, step);
			regular += irregular(db) == 0;
		}
	}
	/* the sums were read, and had something in them */
	assert_true(regular > 100);
	assert_true(testdb_int(db, "SELECT count(*) FROM case_activity") > 20);
	assert_true(testdb_int(db, "SELECT count(*) FROM wait_months WHERE n > 0") > 10);
	assert_true(testdb_int(db, "SELECT count(*) FROM activity_months WHERE month <> ''"
			       " AND measure = 'referrals_school_special' AND n > 0") +
		    testdb_int(db, "SELECT count(*) FROM activity_months WHERE month <> ''"
			       " AND measure IN ('stepped_up', 'stepped_down', 'closed_other')"
			       " AND n > 0") > 3);
	/* one transaction's writes, rolled back */
	assert_int_equal(db_begin(db), HE_OK);
	add_referral(db, &x);
	add_case(db, &x);
	change_case(db, &x);
	add_history(db, &x);
	check(db, -2);   /* inside it (PostgreSQL: read with activity_delta, not yet folded) */
	db_rollback(db);
	check(db, -1);
}

/* A case closed before it opened cannot be answered from monthly sums:
 * the report reads the base rows (the same figures) until it is put
 * right. */
static void test_irregular_case(void **state)
{
	struct db *db = DB(state);
	uint32_t x = 7;
	next_ref = 1;
	next_hist = 1;
	next_event = 1;
	for (int i = 0; i < 20; i++)
		add_referral(db, &x);
	for (int i = 0; i < 12; i++)
		add_case(db, &x);
	for (int i = 0; i < 6; i++)
		add_history(db, &x);
	check(db, 0);
	assert_int_equal(irregular(db), 0);
	int64_t id = intf(db, "SELECT min(id) FROM cases");
	fix_sqlf(db, "UPDATE cases SET status = 'closed', closure_reason = 'other',"
	     " closed_on = '2020-01-01' WHERE id = %lld", (long long)id);
	assert_int_equal(irregular(db), 1);
	check(db, 1);
	/* a history case allocated after it ended, and an undated referral */
	fix_sqlf(db, "UPDATE history_cases SET allocated_on = '2030-01-01', ended_on = '2029-01-01'"
	     " WHERE id = 1");
	fix_sqlf(db, "UPDATE referrals SET received_at = '2025-01' WHERE id = 20");
	assert_true(irregular(db) >= 2);
	check(db, 2);
	fix_sqlf(db, "UPDATE cases SET closed_on = '2026-06-01' WHERE id = %lld", (long long)id);
	fix_sqlf(db, "UPDATE history_cases SET allocated_on = NULL WHERE id = 1");
	fix_sqlf(db, "UPDATE referrals SET received_at = '2025-01-05T10:00:00Z' WHERE id = 20");
	assert_int_equal(irregular(db), 0);
	check(db, 3);
}

/* History events written before their case (foreign keys off, as a
 * bulk copy may run) count from the moment the case comes, and stop
 * counting when it goes ('orphan' counts those of the kinds counted:
 * not the allocation). */
static void test_events_before_case(void **state)
{
	struct db *db = DB(state);
	if (testdb_is_pg())
		fix_exec(db, "ALTER TABLE history_events DROP CONSTRAINT history_events_case_id_fkey");
	else
		fix_exec(db, "PRAGMA foreign_keys = OFF");
	fix_exec(db, "INSERT INTO history_events (case_id, on_date, kind, source) VALUES"
		 " (7, '2024-05-01', 'referred', 'school'), (7, '2024-05-20', 'allocated', NULL),"
		 " (7, '2024-11-03', 'closed', NULL), (8, '2024-06-01', 'referred', 'agency')");
	assert_int_equal(testdb_int(db, "SELECT n FROM activity_months WHERE month = ''"
				    " AND measure = 'orphan'"), 3);
	check(db, 0);
	fix_exec(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id)"
		 " VALUES (7, 1, 'LST-7', 'OLD-7', 2)");
	assert_int_equal(testdb_int(db, "SELECT n FROM activity_months WHERE month = ''"
				    " AND measure = 'orphan'"), 1);
	assert_int_equal(testdb_int(db, "SELECT n FROM activity_months WHERE month = '2024-05'"
				    " AND measure = 'referrals_school_primary'"), 1);
	check(db, 1);
	fix_exec(db, "UPDATE history_cases SET id = 8 WHERE id = 7");
	assert_int_equal(testdb_int(db, "SELECT n FROM activity_months WHERE month = ''"
				    " AND measure = 'orphan'"), 2);
	check(db, 2);
	fix_exec(db, "DELETE FROM history_cases WHERE id = 8");
	assert_int_equal(testdb_int(db, "SELECT n FROM activity_months WHERE month = ''"
				    " AND measure = 'orphan'"), 3);
	check(db, 3);
	if (!testdb_is_pg())
		fix_exec(db, "PRAGMA foreign_keys = ON");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_writes, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_irregular_case, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_events_before_case, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
