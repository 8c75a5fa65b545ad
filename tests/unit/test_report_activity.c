/* test_report_activity.c — unit tests for src/core/report_activity.c:
 * activity by month (referrals by source and school phase, decisions,
 * cases opened, closed by reason, stepped up at screening and from a
 * case, stepped down, open at month end carried from before the period),
 * live and history counted together, the school, district and phase
 * filters; caseloads (weighting, capacity, stepped-up and closed cases,
 * inactive workers, the viewer's anonymous columns); waits (median and
 * 90th percentile, small bases, history included).
 *
 * A small partnership is written with SQL: three schools in two
 * districts, workers, families, referrals, cases, chronology events and a
 * history load, over January–March 2025, so these tests are about the
 * report functions alone.  Runs on SQLite, and on PostgreSQL with
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
#include "core/report.h"
#include "core/report_activity.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { SA = 1, SB = 2, SC = 3 };          /* Alpha (secondary, d1), Beta (primary, d1), Gamma (secondary, d2) */
enum { W_ANN = 1, W_BOB = 2, W_CAT = 3, W_DEE = 4 };

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static void referral(struct db *db, int id, const char *source, int school, const char *received,
		     const char *status, const char *decided, int stepped_down_from)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO referrals (id, ref, family_id, source,"
		" school_id, stepped_down_from, level_of_need, needs, reason, status, received_at,"
		" decided_at) VALUES (:id, :ref, :id, :source, :school, :sdf, 2, 'attendance',"
		" 'Worried', :status, :received, :decided)");
	char ref[16], rec[24], dec[24];
	snprintf(ref, sizeof ref, "R-%06d", id);
	snprintf(rec, sizeof rec, "%sT10:00:00Z", received);
	snprintf(dec, sizeof dec, "%sT15:00:00Z", decided ? decided : "");
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_text(st, ":source", source);
	if (school)
		db_bind_int(st, ":school", school);
	else
		db_bind_null(st, ":school");
	if (stepped_down_from)
		db_bind_int(st, ":sdf", stepped_down_from);
	else
		db_bind_null(st, ":sdf");
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":received", rec);
	db_bind_text(st, ":decided", decided ? dec : NULL);
	if (db_done(st) != HE_OK)
		fail_msg("referral %d: %s", id, db_errmsg(db));
}

/* A case for referral id (same id, same family). */
static void a_case(struct db *db, int id, int worker, int intensity, const char *status,
		   const char *opened, const char *closed, const char *reason)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO cases (id, ref, family_id, referral_id,"
		" worker_id, intensity, status, opened_on, closed_on, closure_reason, created_at,"
		" updated_at) VALUES (:id, :ref, :id, :id, :worker, :intensity, :status, :opened,"
		" :closed, :reason, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')");
	char ref[16];
	snprintf(ref, sizeof ref, "C-%06d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":worker", worker);
	db_bind_int(st, ":intensity", intensity);
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":opened", opened);
	db_bind_text(st, ":closed", closed);
	db_bind_text(st, ":reason", reason);
	if (db_done(st) != HE_OK)
		fail_msg("case %d: %s", id, db_errmsg(db));
}

static void event(struct db *db, int case_id, const char *kind, const char *on)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO case_events (family_id, referral_id,"
		" case_id, on_date, kind, summary, recorded_at) VALUES (:id, :id, :id, :on, :kind,"
		" 'x', '2025-01-01T00:00:00Z')");
	db_bind_int(st, ":id", case_id);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":kind", kind);
	if (db_done(st) != HE_OK)
		fail_msg("event: %s", db_errmsg(db));
}

static void hcase(struct db *db, int id, int school)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_cases (id, import_id, case_ref,"
		" family_ref, school_id) VALUES (:id, 1, :ref, :ref, :school)");
	char ref[16];
	snprintf(ref, sizeof ref, "OLD-%d", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":ref", ref);
	if (school)
		db_bind_int(st, ":school", school);
	else
		db_bind_null(st, ":school");
	if (db_done(st) != HE_OK)
		fail_msg("history case: %s", db_errmsg(db));
}

/* A history event; extra is the source (referred) or reason (closed). */
static void hevent(struct db *db, int case_id, const char *kind, const char *on, const char *extra)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_events (case_id, on_date, kind,"
		" source, reason) VALUES (:case, :on, :kind, :source, :reason)");
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":kind", kind);
	db_bind_text(st, ":source", strcmp(kind, "referred") == 0 ? extra : NULL);
	db_bind_text(st, ":reason", strcmp(kind, "closed") == 0 ? extra : NULL);
	if (db_done(st) != HE_OK)
		fail_msg("history event: %s", db_errmsg(db));
}

static void families(struct db *db, int n)
{
	for (int i = 1; i <= n; i++) {
		struct db_stmt *st = db_prepare(db, "INSERT INTO families (id, ref, name, created_at,"
			" updated_at) VALUES (:id, :ref, 'Family', '2024-01-01T00:00:00Z',"
			" '2024-01-01T00:00:00Z')");
		char ref[16];
		snprintf(ref, sizeof ref, "F-%06d", i);
		db_bind_int(st, ":id", i);
		db_bind_text(st, ":ref", ref);
		if (db_done(st) != HE_OK)
			fail_msg("family: %s", db_errmsg(db));
	}
}

static void places(struct db *db)
{
	exec(db, "INSERT INTO districts (id, name) VALUES (1, 'North'), (2, 'South')");
	exec(db, "INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (1, '900001', 'Alpha Academy', 'secondary', 1, '2024-01-01T00:00:00Z'),"
		" (2, '900002', 'Beta Primary', 'primary', 1, '2024-01-01T00:00:00Z'),"
		" (3, '900003', 'Gamma High', 'secondary', 2, '2024-01-01T00:00:00Z')");
	exec(db, "INSERT INTO workers (id, name, employer, kind, max_caseload, active, created_at,"
		" updated_at) VALUES"
		" (1, 'Ann Able', 'Pool', 'family_support', NULL, 1, '2024-01-01', '2024-01-01'),"
		" (2, 'Bob Best', 'Pool', 'family_support', 10, 1, '2024-01-01', '2024-01-01'),"
		" (3, 'Cat Cole', 'Pool', 'mentor', NULL, 0, '2024-01-01', '2024-01-01'),"
		" (4, 'Dee Dunn', 'Pool', 'hslo', 12, 1, '2024-01-01', '2024-01-01')");
	exec(db, "INSERT INTO history_imports (id, filename, sha256, imported_at) VALUES"
		" (1, 'old.csv', 'abc', '2025-06-01T00:00:00Z')");
}

/* The partnership's January–March 2025 (see the expected figures in
 * test_activity_months). */
static void seed(struct db *db)
{
	places(db);
	families(db, 20);
	referral(db, 1, "school", SA, "2025-01-10", "accepted", "2025-01-12", 0);
	a_case(db, 1, W_ANN, 2, "open", "2025-01-12", NULL, NULL);
	referral(db, 2, "school", SB, "2025-01-20", "signposted", "2025-01-21", 0);
	referral(db, 3, "agency", 0, "2025-02-03", "declined", "2025-02-04", 0);
	referral(db, 4, "self", 0, "2025-02-05", "stepped_up", "2025-02-06", 0);
	referral(db, 5, "school", SA, "2024-12-01", "accepted", "2024-12-03", 0);
	a_case(db, 5, W_ANN, 2, "closed", "2024-12-03", "2025-02-15", "outcomes_met");
	/* stepped up in January, stepped down in March (closed; new referral 7) */
	referral(db, 6, "school", SB, "2024-11-01", "accepted", "2024-11-05", 0);
	a_case(db, 6, W_BOB, 2, "closed", "2024-11-05", "2025-03-10", "stepped_up");
	event(db, 6, "step_up", "2025-01-25");
	event(db, 6, "step_down", "2025-03-10");
	referral(db, 7, "step_down", 0, "2025-03-10", "received", NULL, 6);
	referral(db, 8, "school", SC, "2025-03-01", "accepted", "2025-03-11", 0);
	a_case(db, 8, W_BOB, 3, "open", "2025-03-11", NULL, NULL);
	referral(db, 9, "school", SA, "2025-03-20", "received", NULL, 0);
	referral(db, 10, "school", SA, "2024-10-01", "accepted", "2024-10-02", 0);
	a_case(db, 10, W_ANN, 1, "closed", "2024-10-02", "2024-12-20", "disengaged");
	/* history: H1 at Beta, H2 with no school, H3 at Alpha */
	hcase(db, 1, SB);
	hevent(db, 1, "referred", "2025-02-10", "school");
	hevent(db, 1, "accepted", "2025-02-11", NULL);
	hevent(db, 1, "allocated", "2025-02-14", NULL);
	hevent(db, 1, "closed", "2025-03-05", "outcomes_met");
	hcase(db, 2, 0);
	hevent(db, 2, "referred", "2024-12-20", "agency");
	hevent(db, 2, "accepted", "2024-12-21", NULL);
	hevent(db, 2, "allocated", "2024-12-22", NULL);
	hevent(db, 2, "step_up", "2025-01-05", NULL);
	hcase(db, 3, SA);
	hevent(db, 3, "referred", "2025-01-02", "school");
	hevent(db, 3, "declined", "2025-01-03", NULL);
}

static int setup(void **state)
{
	int rc = testdb_setup(state);
	if (rc == 0)
		seed(DB(state));
	return rc;
}

static int setup_places(void **state)
{
	int rc = testdb_setup(state);
	if (rc == 0) {
		places(DB(state));
		families(DB(state), 20);
	}
	return rc;
}

static struct report_filter period(const char *from, const char *to)
{
	struct report_filter f;
	memset(&f, 0, sizeof f);
	assert_true(date_parse(from, &f.from));
	assert_true(date_parse(to, &f.to));
	return f;
}

/* Row key's values must be v[0..n-1]. */
static void row_is(struct rtable *t, const char *key, size_t n, const int64_t *v)
{
	struct rrow *r = rtable_find(t, key);
	if (!r)
		fail_msg("no row %s", key);
	assert_int_equal(t->ncols, n);
	for (size_t i = 0; i < n; i++)
		if (r->v[i] != v[i])
			fail_msg("%s[%s] = %lld, expected %lld", key, t->col_keys[i],
				 (long long)r->v[i], (long long)v[i]);
}

#define ROW(t, key, ...) do { const int64_t v_[] = {__VA_ARGS__}; \
	row_is(t, key, sizeof v_ / sizeof v_[0], v_); } while (0)

static struct rtable *activity(void **state, const struct report_filter *f, struct arena *a)
{
	struct rtable *t = NULL;
	assert_int_equal(report_activity(DB(state), a, f, &t), HE_OK);
	assert_non_null(t);
	return t;
}

static void test_activity_months(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = period("2025-01-01", "2025-03-31");
	struct rtable *t = activity(state, &f, &a);
	assert_string_equal(t->id, "activity");
	assert_int_equal(t->ncols, 4);
	assert_true(t->has_total);
	assert_string_equal(t->cols[0], "Jan 2025");
	assert_string_equal(t->col_keys[2], "2025-03");
	assert_string_equal(t->col_keys[3], "total");
	assert_string_equal(t->chart_row, "referrals");
	/* live R1, R2 + history H3 | R3, R4 + H1 | R7, R8, R9 */
	ROW(t, "referrals", 3, 3, 3, 9);
	ROW(t, "referrals_school_primary", 1, 1, 0, 2);
	ROW(t, "referrals_school_secondary", 2, 0, 2, 4);
	ROW(t, "referrals_agency", 0, 1, 0, 1);
	ROW(t, "referrals_step_down", 0, 0, 1, 1);
	ROW(t, "referrals_self", 0, 1, 0, 1);
	assert_null(rtable_find(t, "referrals_school_special"));  /* no special school */
	ROW(t, "accepted", 1, 1, 1, 3);
	ROW(t, "signposted", 1, 0, 0, 1);
	ROW(t, "declined", 1, 1, 0, 2);
	ROW(t, "opened", 1, 1, 1, 3);
	ROW(t, "closed", 0, 1, 2, 3);
	ROW(t, "closed_outcomes_met", 0, 1, 1, 2);
	ROW(t, "closed_stepped_up", 0, 0, 1, 1);
	ROW(t, "closed_disengaged", 0, 0, 0, 0);
	/* C6 and H2 from cases, R4 at screening */
	ROW(t, "stepped_up", 2, 1, 0, 3);
	ROW(t, "stepped_down", 0, 0, 1, 1);
	/* open on 31 Dec: C5, C6, H2; Jan +C1 −C6 −H2; Feb +H1 −C5; Mar +C8 −H1 */
	ROW(t, "open_month_end", 2, 2, 2, 2);
	/* the order reads like the seeds' table */
	assert_string_equal(t->rows[0].key, "referrals");
	assert_int_equal(t->rows[1].indent, 1);
	assert_string_equal(t->rows[t->nrows - 1].key, "open_month_end");
	arena_free(&a);
}

static void test_activity_open_total_is_last_month(void **state)
{
	struct arena a;
	arena_init(&a);
	/* December to January: open on 30 Nov C6, C10; Dec +C5 +H2 −C10 = 3; Jan 2 */
	struct report_filter f = period("2024-12-01", "2025-01-31");
	struct rtable *t = activity(state, &f, &a);
	ROW(t, "open_month_end", 3, 2, 2);
	ROW(t, "opened", 2, 1, 3);
	ROW(t, "closed_disengaged", 1, 0, 1);
	arena_free(&a);
}

static void test_activity_filters(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = period("2025-01-01", "2025-03-31");
	f.school_id = SA;
	struct rtable *t = activity(state, &f, &a);
	ROW(t, "referrals", 2, 0, 1, 3);                 /* R1 + H3, R9 */
	ROW(t, "referrals_school_secondary", 2, 0, 1, 3);
	assert_null(rtable_find(t, "referrals_school_primary"));
	ROW(t, "referrals_agency", 0, 0, 0, 0);
	ROW(t, "stepped_down", 0, 0, 0, 0);
	ROW(t, "open_month_end", 2, 1, 1, 1);            /* C5 before; +C1; −C5 */
	f.school_id = SB;
	t = activity(state, &f, &a);
	ROW(t, "stepped_down", 0, 0, 1, 1);              /* C6 was Beta's */
	ROW(t, "stepped_up", 1, 0, 0, 1);
	ROW(t, "referrals_step_down", 0, 0, 0, 0);       /* the new referral has no school */
	f.school_id = 0;
	f.district_id = 2;
	t = activity(state, &f, &a);
	ROW(t, "referrals", 0, 0, 1, 1);
	ROW(t, "accepted", 0, 0, 1, 1);
	ROW(t, "opened", 0, 0, 1, 1);
	ROW(t, "open_month_end", 0, 0, 1, 1);
	f.district_id = 0;
	snprintf(f.phase, sizeof f.phase, "primary");
	t = activity(state, &f, &a);
	ROW(t, "referrals", 1, 1, 0, 2);                 /* R2, H1 */
	ROW(t, "opened", 0, 1, 0, 1);
	ROW(t, "closed", 0, 0, 2, 2);                    /* C6 (step-down), H1 */
	assert_null(rtable_find(t, "referrals_school_secondary"));
	arena_free(&a);
}

static void test_activity_empty_period(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = period("2023-04-01", "2024-03-31");
	struct rtable *t = activity(state, &f, &a);
	assert_int_equal(t->ncols, 13);
	assert_string_equal(t->cols[0], "Apr 2023");
	assert_string_equal(t->cols[11], "Mar 2024");
	ROW(t, "referrals", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	ROW(t, "open_month_end", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	/* every phase of the partnership's schools is a row, even at 0 */
	assert_non_null(rtable_find(t, "referrals_school_primary"));
	assert_non_null(rtable_find(t, "referrals_school_secondary"));
	arena_free(&a);
}

static void test_history_unknown_source(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	hcase(db, 9, 0);
	hevent(db, 9, "referred", "2025-01-15", "school");   /* a school, not recorded */
	struct report_filter f = period("2025-01-01", "2025-03-31");
	struct rtable *t = activity(state, &f, &a);
	ROW(t, "referrals_school_unknown", 1, 0, 0, 1);
	ROW(t, "referrals", 4, 3, 3, 10);
	arena_free(&a);
}

/* ---- caseloads ------------------------------------------------------------ */

/* The caseloads table is a row per worker (then "All workers") and a
 * column per figure, each column of one kind, with the employer and role
 * beside the name: forty workers read down the page, not across it. */
static void test_caseloads(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = period("2025-01-01", "2025-03-31");
	struct rtable *t = NULL;
	assert_int_equal(report_caseloads(DB(state), &a, &f, &t), HE_OK);
	assert_string_equal(t->id, "caseloads");
	assert_string_equal(t->label_head, "Worker");
	assert_int_equal(t->ncols, 4);
	assert_string_equal(t->col_keys[0], "open_cases");
	assert_string_equal(t->col_keys[1], "weighted");
	assert_string_equal(t->col_keys[2], "capacity");
	assert_string_equal(t->col_keys[3], "percent_of_capacity");
	assert_false(t->has_total);
	assert_non_null(t->col_kinds);
	assert_int_equal(t->col_kinds[0], RC_COUNT);
	assert_int_equal(t->col_kinds[3], RC_PERMILLE);
	assert_string_equal(t->detail_head, "Employer and role");
	/* Ann, Bob, Dee (Cat is inactive without cases), then All workers */
	assert_int_equal(t->nrows, 4);
	assert_string_equal(t->rows[0].label, "Ann Able");
	assert_string_equal(t->rows[1].label, "Bob Best");
	assert_string_equal(t->rows[2].label, "Dee Dunn");
	assert_string_equal(t->rows[3].label, "All workers");
	assert_string_equal(t->rows[0].key, "worker_1");
	assert_string_equal(t->rows[3].key, "total");
	assert_string_equal(t->rows[0].detail, "Pool, Family support worker");
	assert_string_equal(t->rows[2].detail, "Pool, Home–school liaison officer");
	assert_string_equal(t->rows[3].detail, "");
	/* on 31 March: C1 (Ann, weight 2), C8 (Bob, weight 3); C5 closed, C6
	 * stepped up: open, weighted, capacity, share (permille) */
	ROW(t, "worker_1", 1, 2, 36, 56);
	ROW(t, "worker_2", 1, 3, 20, 150);
	ROW(t, "worker_4", 0, 0, 24, 0);
	ROW(t, "total", 2, 5, 80, 63);
	/* on 20 January: C1, C5 (Ann), C6 (Bob: stepped up on the 25th) */
	f = period("2025-01-01", "2025-01-20");
	assert_int_equal(report_caseloads(DB(state), &a, &f, &t), HE_OK);
	ROW(t, "worker_1", 2, 4, 36, 111);
	ROW(t, "worker_2", 1, 2, 20, 100);
	ROW(t, "total", 3, 6, 80, 75);
	/* a school: only its cases, only workers with one */
	f = period("2025-01-01", "2025-03-31");
	f.school_id = SC;
	assert_int_equal(report_caseloads(DB(state), &a, &f, &t), HE_OK);
	assert_int_equal(t->nrows, 2);
	assert_string_equal(t->rows[0].label, "Bob Best");
	ROW(t, "worker_2", 1, 3, 20, 150);
	ROW(t, "total", 1, 3, 20, 150);
	arena_free(&a);
}

static void test_caseloads_viewer(void **state)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = period("2025-01-01", "2025-03-31");
	f.suppress = true;
	struct rtable *t = NULL;
	assert_int_equal(report_caseloads(DB(state), &a, &f, &t), HE_OK);
	assert_string_equal(t->rows[0].label, "Worker 1");
	assert_string_equal(t->rows[1].key, "worker_2");
	assert_null(t->detail_head);     /* no employer: the workers are not named */
	assert_null(t->rows[0].detail);
	/* open (the printer says "fewer than 5"), weighted, capacity, share */
	ROW(t, "worker_1", 1, RC_SMALL_BASE, 36, RC_SMALL_BASE);
	ROW(t, "worker_2", 1, RC_SMALL_BASE, 20, RC_SMALL_BASE);
	ROW(t, "worker_3", 0, 0, 24, 0);
	ROW(t, "total", 2, RC_SMALL_BASE, 80, RC_SMALL_BASE);
	arena_free(&a);
}

/* ---- waits ----------------------------------------------------------------- */

static void test_percentiles(void **state)
{
	(void)state;
	const int64_t four[] = {1, 2, 3, 4};
	assert_int_equal(report_activity_median(four, 4), RC_SMALL_BASE);
	assert_int_equal(report_activity_percentile(four, 4, 90), RC_SMALL_BASE);
	const int64_t five[] = {1, 2, 3, 4, 50};
	assert_int_equal(report_activity_median(five, 5), 3);
	assert_int_equal(report_activity_percentile(five, 5, 90), 50);   /* rank ⌈4.5⌉ = 5 */
	assert_int_equal(report_activity_percentile(five, 5, 80), 4);    /* rank 4 */
	const int64_t six[] = {1, 2, 3, 4, 5, 20};
	assert_int_equal(report_activity_median(six, 6), 4);             /* 3.5 rounds up */
	const int64_t ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	assert_int_equal(report_activity_percentile(ten, 10, 90), 9);    /* rank 9 */
	assert_int_equal(report_activity_median(ten, 10), 6);            /* 5.5 → 6 */
}

static void test_waits(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	/* January: six live waits 1, 2, 3, 4, 5, 20 and one from history of 0 */
	static const char *const rec[] = {"2025-01-09", "2025-01-08", "2025-01-07", "2025-01-06",
		"2025-01-05", "2024-12-21"};
	for (int i = 0; i < 6; i++) {
		referral(db, 11 + i, "school", i % 2 ? SA : SB, rec[i], "accepted", "2025-01-10", 0);
		a_case(db, 11 + i, W_DEE, 2, "open", "2025-01-10", NULL, NULL);
	}
	hcase(db, 1, SA);
	hevent(db, 1, "referred", "2025-01-20", "school");
	hevent(db, 1, "allocated", "2025-01-20", NULL);
	/* February: one (small base) */
	referral(db, 17, "agency", 0, "2025-02-01", "accepted", "2025-02-04", 0);
	a_case(db, 17, W_DEE, 2, "open", "2025-02-04", NULL, NULL);
	struct report_filter f = period("2025-01-01", "2025-02-28");
	struct rtable *t = NULL;
	assert_int_equal(report_waits(db, &a, &f, &t), HE_OK);
	assert_string_equal(t->id, "waits");
	ROW(t, "allocated", 7, 1, 8);
	ROW(t, "median_days", 3, RC_SMALL_BASE, 3);       /* 0 1 2 3 4 5 20 | 3 */
	ROW(t, "p90_days", 20, RC_SMALL_BASE, 20);        /* 0 1 2 3 3 4 5 20: rank ⌈7.2⌉ = 8 */
	assert_int_equal(rtable_find(t, "median_days")->kind, RC_DAYS);
	/* a school: Alpha's waits 2, 4, 20 and history 0 → too few */
	f.school_id = SA;
	assert_int_equal(report_waits(db, &a, &f, &t), HE_OK);
	ROW(t, "allocated", 4, 0, 4);
	ROW(t, "median_days", RC_SMALL_BASE, RC_SMALL_BASE, RC_SMALL_BASE);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_activity_months, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_activity_open_total_is_last_month, setup,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_activity_filters, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_activity_empty_period, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_unknown_source, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_caseloads, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_caseloads_viewer, setup, testdb_teardown),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test_setup_teardown(test_waits, setup_places, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
