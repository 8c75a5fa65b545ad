/* test_cost_summary.c — the sums cost per family reads (migrations/0017:
 * contact_months and contact_years, held contacts' minutes by case and
 * month or financial year; commission_days, commissions' money by case
 * and day) always equal what the contacts and commissions say, whoever
 * writes them: after each of a long random sequence of plain SQL inserts,
 * changes and deletions of contacts, commissions and cases (the
 * triggers), the three tables are compared with the same sums worked out
 * here in C from the rows.  And cost_window_sum (core/cost.c), which reads
 * them, gives for many windows — whole years, months, partial months at
 * either end, a few days — exactly the figures worked out from the
 * contacts and commissions themselves by cost.h's case window, with and
 * without a school; also while a contact's time cannot be placed in a
 * month (the sums are then not read).  Runs on SQLite, and on PostgreSQL
 * with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/err.h"
#include "core/cost.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define NCASES 12
#define HOUR_PENCE 3217        /* not a multiple of 60: per-case rounding shows */


/* xorshift: the same sequence on every run and backend */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A day from 2023-01-01 to mid-2027. */
static hday random_hday(uint32_t *x)
{
	return date_from_ymd(2023, 1, 1) + (hday)(rnd(x) % 1640);
}

/* A contact's time: 'YYYY-MM-DDTHH:MM', sometimes the day alone. */
static void random_at(uint32_t *x, char out[24])
{
	char d[11];
	date_format(random_hday(x), d);
	if (rnd(x) % 8 == 0)
		snprintf(out, 24, "%s", d);
	else
		snprintf(out, 24, "%sT%02u:%02u", d, rnd(x) % 24, 15 * (rnd(x) % 4));
}

/* A timestamp 'YYYY-MM-DDTHH:MM:SSZ'. */
static void random_ts(uint32_t *x, char out[24])
{
	char d[11];
	date_format(random_hday(x), d);
	snprintf(out, 24, "%sT%02u:30:00Z", d, rnd(x) % 24);
}

/* Families, referrals from schools A and B, cases 1..NCASES, a budget. */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		 " (1, 'Sam', 'Pool', 'family_support', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')");
	fix_sqlf(db, "UPDATE settings SET value = '%d' WHERE key = 'cost.worker_hour_pence'",
	     HOUR_PENCE);
	fix_exec(db, "INSERT INTO budgets (id, name, owner_kind, period, start_year, amount_pence,"
		 " created_at, updated_at) VALUES (1, 'Pool', 'partnership', 'financial', 2025,"
		 " 100000000, 'x', 'x')");
	for (int i = 1; i <= NCASES; i++) {
		int fam = 1 + (i - 1) % 9;     /* some families have two cases */
		if (i <= 9)
			fix_sqlf(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
			     " (%d, 'F-%06d', 'Family', 'x', 'x')", fam, fam);
		fix_sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		     " needs, reason, status, received_at) VALUES (%d, 'R-%06d', %d, 'school', %d, 2,"
		     " 'attendance', 'Worried', 'accepted', '2023-01-01T10:00:00Z')", i, i, fam,
		     i % 3 ? SCHOOL_A : SCHOOL_B);
		fix_sqlf(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status,"
		     " opened_on, created_at, updated_at) VALUES (%d, 'C-%06d', %d, %d, 1, 'open',"
		     " '2023-0%d-1%d', 'x', 'x')", i, i, fam, i, 1 + i % 9, i % 10);
	}
	return 0;
}

/* ---- the writes ---------------------------------------------------------------- */

static int next_contact = 1, next_commission = 1;

static void add_contact(struct db *db, uint32_t *x, const char *at)
{
	char t[24];
	if (!at) {
		random_at(x, t);
		at = t;
	}
	int id = next_contact++;
	fix_sqlf(db, "INSERT INTO contacts (id, case_id, worker_id, at, kind, duration_min, planned,"
	     " recorded_at) VALUES (%d, %u, 1, '%s', 'phone', %u, %d, 'x')", id,
	     1 + rnd(x) % NCASES, at, rnd(x) % 200, rnd(x) % 5 == 0);
}

/* The contact at or after a random id (0: none). */
static int64_t some_contact(struct db *db, uint32_t *x)
{
	return fix_int(db, "SELECT coalesce(min(id), 0) FROM contacts WHERE id >= :id",
		       1 + rnd(x) % (uint32_t)next_contact);
}

static void change_contact(struct db *db, uint32_t *x)
{
	long long id = (long long)some_contact(db, x);
	char at[24];
	switch (rnd(x) % 5) {
	case 0:
		random_at(x, at);
		fix_sqlf(db, "UPDATE contacts SET at = '%s' WHERE id = %lld", at, id);
		break;
	case 1:
		fix_sqlf(db, "UPDATE contacts SET duration_min = %u WHERE id = %lld", rnd(x) % 200, id);
		break;
	case 2:
		fix_sqlf(db, "UPDATE contacts SET planned = 1 - planned WHERE id = %lld", id);
		break;
	case 3:
		fix_sqlf(db, "UPDATE contacts SET case_id = %u WHERE id = %lld", 1 + rnd(x) % NCASES, id);
		break;
	default:
		random_at(x, at);
		fix_sqlf(db, "UPDATE contacts SET at = '%s', duration_min = %u, case_id = %u, planned = 0"
		     " WHERE id = %lld", at, rnd(x) % 200, 1 + rnd(x) % NCASES, id);
	}
}

static void delete_contact(struct db *db, uint32_t *x)
{
	fix_sqlf(db, "DELETE FROM contacts WHERE id = %lld", (long long)some_contact(db, x));
}

static const char *const statuses[] = {"requested", "approved", "declined", "delivered", "paid",
				       "cancelled"};

static void add_commission(struct db *db, uint32_t *x)
{
	char req[24], dec[32], actual[16];
	random_ts(x, req);
	if (rnd(x) % 4 == 0)
		snprintf(dec, sizeof dec, "NULL");
	else {
		char t[24];
		random_ts(x, t);
		snprintf(dec, sizeof dec, "'%s'", t);
	}
	if (rnd(x) % 2)
		snprintf(actual, sizeof actual, "NULL");
	else
		snprintf(actual, sizeof actual, "%u", rnd(x) % 50000);
	int id = next_commission++;
	fix_sqlf(db, "INSERT INTO commissions (id, ref, case_id, budget_id, kind, quantity,"
	     " unit_cost_pence, estimate_pence, actual_pence, refunded_pence, status, reason,"
	     " requested_at, decided_at, updated_at) VALUES (%d, 'M-%06d', %u, 1,"
	     " 'household_grant', 1, 100, %u, %s, %u, '%s', 'Need', '%s', %s, 'x')", id, id,
	     1 + rnd(x) % NCASES, rnd(x) % 60000, actual, rnd(x) % 3 ? 0 : rnd(x) % 2000,
	     statuses[rnd(x) % 6], req, dec);
}

static int64_t some_commission(struct db *db, uint32_t *x)
{
	return fix_int(db, "SELECT coalesce(min(id), 0) FROM commissions WHERE id >= :id",
		       1 + rnd(x) % (uint32_t)next_commission);
}

static void change_commission(struct db *db, uint32_t *x)
{
	long long id = (long long)some_commission(db, x);
	char t[24];
	switch (rnd(x) % 5) {
	case 0:
		fix_sqlf(db, "UPDATE commissions SET status = '%s' WHERE id = %lld", statuses[rnd(x) % 6],
		     id);
		break;
	case 1:
		random_ts(x, t);
		if (rnd(x) % 3 == 0)
			fix_sqlf(db, "UPDATE commissions SET decided_at = NULL WHERE id = %lld", id);
		else
			fix_sqlf(db, "UPDATE commissions SET decided_at = '%s' WHERE id = %lld", t, id);
		break;
	case 2:
		random_ts(x, t);
		fix_sqlf(db, "UPDATE commissions SET requested_at = '%s' WHERE id = %lld", t, id);
		break;
	case 3:
		fix_sqlf(db, "UPDATE commissions SET actual_pence = %u, refunded_pence = %u,"
		     " estimate_pence = %u WHERE id = %lld", rnd(x) % 50000, rnd(x) % 1000,
		     rnd(x) % 60000, id);
		break;
	default:
		fix_sqlf(db, "UPDATE commissions SET case_id = %u WHERE id = %lld", 1 + rnd(x) % NCASES,
		     id);
	}
}

static void delete_commission(struct db *db, uint32_t *x)
{
	fix_sqlf(db, "DELETE FROM commissions WHERE id = %lld", (long long)some_commission(db, x));
}

/* Open, close (on a day), step up (with or without a step-up event) or
 * move the opening of a case: which cases a window counts. */
static void change_case(struct db *db, uint32_t *x)
{
	unsigned c = 1 + rnd(x) % NCASES;
	char on[11];
	date_format(random_hday(x), on);
	switch (rnd(x) % 4) {
	case 0:
		fix_sqlf(db, "UPDATE cases SET status = 'open', closed_on = NULL, closure_reason = NULL"
		     " WHERE id = %u", c);
		break;
	case 1:
		fix_sqlf(db, "UPDATE cases SET status = 'closed', closed_on = '%s',"
		     " closure_reason = 'outcomes_met' WHERE id = %u", on, c);
		break;
	case 2:
		fix_sqlf(db, "UPDATE cases SET status = 'stepped_up', closed_on = NULL WHERE id = %u", c);
		if (rnd(x) % 2)
			fix_sqlf(db, "INSERT INTO case_events (family_id, case_id, kind, on_date, summary,"
			     " recorded_at) SELECT family_id, id, 'step_up', '%s', 'x', 'x' FROM cases"
			     " WHERE id = %u", on, c);
		break;
	default:
		date_format(random_hday(x) - 400, on);
		fix_sqlf(db, "UPDATE cases SET opened_on = '%s' WHERE id = %u", on, c);
	}
}

/* ---- the sums worked out here ------------------------------------------------- */

struct row {                  /* one kept row: a key (month, year or day), a case, values */
	char key[16];
	int64_t case_id, v[4];
};

static int cmp_row(const void *p, const void *q)
{
	const struct row *a = p, *b = q;
	int k = strcmp(a->key, b->key);
	if (k)
		return k;
	return a->case_id < b->case_id ? -1 : a->case_id > b->case_id;
}

struct rows {
	struct row *v;
	size_t n, cap;
};

/* Add values to the row (key, case), a new one if there is none. */
static void rows_add(struct rows *r, const char *key, int64_t case_id, const int64_t v[4])
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].key, key) && r->v[i].case_id == case_id) {
			for (int k = 0; k < 4; k++)
				r->v[i].v[k] += v[k];
			return;
		}
	if (r->n == r->cap)
		r->v = realloc(r->v, (r->cap = r->cap ? 2 * r->cap : 64) * sizeof *r->v);
	struct row *w = &r->v[r->n++];
	snprintf(w->key, sizeof w->key, "%s", key);
	w->case_id = case_id;
	memcpy(w->v, v, sizeof w->v);
}

/* Drop all-zero rows (the tables may keep them) and sort. */
static void rows_tidy(struct rows *r)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].v[0] || r->v[i].v[1] || r->v[i].v[2] || r->v[i].v[3])
			r->v[k++] = r->v[i];
	r->n = k;
	if (r->n)
		qsort(r->v, r->n, sizeof *r->v, cmp_row);
}

static void rows_read(struct db *db, const char *sql, struct rows *r)
{
	struct db_stmt *st = db_prepare(db, sql);
	while (db_next(st)) {
		int64_t v[4] = {0};
		int n = db_column_count(st);
		for (int k = 2; k < n && k < 6; k++)
			v[k - 2] = db_int(st, k);
		rows_add(r, db_text(st, 0), db_int(st, 1), v);
	}
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	rows_tidy(r);
}

static void rows_same(struct rows *want, struct rows *got, const char *what, int step)
{
	if (want->n != got->n)
		fail_msg("after write %d %s has %zu rows, the rows give %zu", step, what, got->n,
			 want->n);
	for (size_t i = 0; i < want->n; i++)
		if (cmp_row(&want->v[i], &got->v[i]) || memcmp(want->v[i].v, got->v[i].v,
							       sizeof want->v[i].v))
			fail_msg("after write %d %s differs at %s case %lld", step, what,
				 want->v[i].key, (long long)want->v[i].case_id);
	free(want->v);
	free(got->v);
	memset(want, 0, sizeof *want);
	memset(got, 0, sizeof *got);
}

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Can a contact's at be placed in a month: 'NNNN-MM-DD', month 01–12, day not 00? */
static bool dated(const char *at)
{
	if (strlen(at) < 10 || !digits(at, 4) || at[4] != '-' || !digits(at + 5, 2) || at[7] != '-'
	    || !digits(at + 8, 2))
		return false;
	int m = (at[5] - '0') * 10 + at[6] - '0';
	return m >= 1 && m <= 12 && strncmp(at + 8, "00", 2) != 0;
}

/* The three tables against the contacts and commissions. */
static void check(struct db *db, int step)
{
	struct rows months = {0}, years = {0}, days = {0}, got = {0};
	int64_t odd = 0;
	struct db_stmt *st = db_prepare(db, "SELECT case_id, at, duration_min FROM contacts"
		" WHERE planned = 0");
	while (db_next(st)) {
		const char *at = db_text(st, 1);
		int64_t v[4] = {db_int(st, 2), 0, 0, 0};
		if (!dated(at)) {
			odd++;
			continue;
		}
		int y = atoi(at), m = atoi(at + 5);
		char key[16];
		snprintf(key, sizeof key, "%d", y * 100 + m);
		rows_add(&months, key, db_int(st, 0), v);
		snprintf(key, sizeof key, "%d", m < 4 ? y - 1 : y);
		rows_add(&years, key, db_int(st, 0), v);
	}
	assert_int_equal(db_finalize(st), HE_OK);
	rows_tidy(&months);
	rows_tidy(&years);
	rows_read(db, "SELECT CAST(month AS TEXT), case_id, minutes FROM contact_months"
		  " WHERE month >= 0", &got);
	rows_same(&months, &got, "contact_months", step);
	rows_read(db, "SELECT CAST(fy AS TEXT), case_id, minutes FROM contact_years", &got);
	rows_same(&years, &got, "contact_years", step);
	if (testdb_int(db, "SELECT minutes FROM contact_months WHERE month = -1 AND case_id = 0")
	    != odd)
		fail_msg("after write %d the count of undated contacts is wrong", step);

	st = db_prepare(db, "SELECT case_id, status, estimate_pence, coalesce(actual_pence, -1),"
		" refunded_pence, coalesce(decided_at, requested_at), requested_at FROM commissions");
	while (db_next(st)) {
		const char *s = db_text(st, 1);
		int64_t est = db_int(st, 2), act = db_int(st, 3), cost = act >= 0 ? act : est;
		char key[16];
		if (!strcmp(s, "approved") || !strcmp(s, "delivered") || !strcmp(s, "paid")) {
			int64_t v[4] = {!strcmp(s, "approved") ? est : !strcmp(s, "delivered") ? cost : 0,
					!strcmp(s, "paid") ? cost - db_int(st, 4) : 0, 0, 1};
			snprintf(key, sizeof key, "%.10s", db_text(st, 5));
			rows_add(&days, key, db_int(st, 0), v);
		} else if (!strcmp(s, "requested")) {
			int64_t v[4] = {0, 0, est, 0};
			snprintf(key, sizeof key, "%.10s", db_text(st, 6));
			rows_add(&days, key, db_int(st, 0), v);
		}
	}
	assert_int_equal(db_finalize(st), HE_OK);
	rows_tidy(&days);
	rows_read(db, "SELECT day, case_id, committed, spent, pending, counted FROM commission_days",
		  &got);
	rows_same(&days, &got, "commission_days", step);
}

/* ---- the figures worked out from the rows -------------------------------------- */

#define REF_SCHOOL " JOIN referrals r ON r.id = c.referral_id LEFT JOIN schools s ON s.id = r.school_id"
#define D1 "substr(coalesce(m.decided_at, m.requested_at), 1, 10)"
#define IN1 "(" D1 " >= :from AND " D1 " <= :to)"
#define D2 "substr(m.requested_at, 1, 10)"
#define IN2 "(" D2 " >= :from AND " D2 " <= :to)"
/* A window's cases (cost.h's window), each with its held minutes and
 * money by budget.h's definitions, added up (time rounded per case). */
#define WANT_SQL(J, F) \
	"SELECT count(*), count(DISTINCT x.family_id), coalesce(sum(x.mins), 0)," \
	" coalesce(sum((x.mins * :hour + 30) / 60), 0), coalesce(sum(x.committed), 0)," \
	" coalesce(sum(x.spent), 0), coalesce(sum(x.pending), 0) FROM (SELECT c.family_id," \
	" (SELECT coalesce(sum(t.duration_min), 0) FROM contacts t WHERE t.case_id = c.id" \
	"  AND t.at >= :from AND t.at < :after AND t.planned = 0) AS mins," \
	" (SELECT coalesce(sum(CASE WHEN m.status = 'approved' THEN m.estimate_pence" \
	"  WHEN m.status = 'delivered' THEN coalesce(m.actual_pence, m.estimate_pence) ELSE 0 END), 0)" \
	"  FROM commissions m WHERE m.case_id = c.id AND " IN1 ") AS committed," \
	" (SELECT coalesce(sum(coalesce(m.actual_pence, m.estimate_pence) - m.refunded_pence), 0)" \
	"  FROM commissions m WHERE m.case_id = c.id AND m.status = 'paid' AND " IN1 ") AS spent," \
	" (SELECT coalesce(sum(m.estimate_pence), 0) FROM commissions m WHERE m.case_id = c.id" \
	"  AND m.status = 'requested' AND " IN2 ") AS pending" \
	" FROM cases c WHERE c.id IN (SELECT a.case_id FROM (" \
	COST_CASES_OPEN(J, F, ":from", ":to") ") a)) x"
static const char want_sql[] = WANT_SQL("", "");
static const char want_sel_sql[] = WANT_SQL(REF_SCHOOL, " AND" COST_SCHOOL_SEL("s"));

static void want_sum(struct db *db, hday from, hday to, const struct cost_sel *sel,
		     struct cost_sum *w)
{
	char f[11], t[11], after[11];
	date_format(from, f);
	date_format(to, t);
	date_format(to + 1, after);
	struct db_stmt *st = db_prepare(db, sel ? want_sel_sql : want_sql);
	db_bind_text(st, ":from", f);
	db_bind_text(st, ":to", t);
	db_bind_text(st, ":after", after);
	db_bind_int(st, ":hour", HOUR_PENCE);
	if (sel) {
		db_bind_int(st, ":school", sel->school_id);
		db_bind_int(st, ":district", sel->district_id);
		db_bind_text(st, ":phase", sel->phase ? sel->phase : "");
	}
	memset(w, 0, sizeof *w);
	assert_true(db_next(st));
	w->cases = db_int(st, 0);
	w->families = db_int(st, 1);
	w->minutes = db_int(st, 2);
	w->time_pence = db_int(st, 3);
	w->committed_pence = db_int(st, 4);
	w->spent_pence = db_int(st, 5);
	w->pending_pence = db_int(st, 6);
	if (db_finalize(st) != HE_OK)
		fail_msg("want: %s", db_errmsg(db));
	w->commissioned_pence = w->committed_pence + w->spent_pence;
	w->total_pence = w->commissioned_pence + w->time_pence;
	w->per_family_pence = cost_div_round(w->total_pence, w->families);
}

static void same_sum(struct db *db, hday from, hday to, const struct cost_sel *sel, int step)
{
	struct cost_sum want, got;
	want_sum(db, from, to, sel, &want);
	assert_int_equal(cost_window_sum(db, from, to, sel, &got), HE_OK);
	if (memcmp(&want, &got, sizeof want)) {
		char f[11], t[11];
		date_format(from, f);
		date_format(to, t);
		fail_msg("after write %d, %s to %s%s: cases %lld/%lld families %lld/%lld minutes"
			 " %lld/%lld time %lld/%lld committed %lld/%lld spent %lld/%lld pending"
			 " %lld/%lld (wanted/got)", step, f, t, sel ? " (school A)" : "",
			 (long long)want.cases, (long long)got.cases, (long long)want.families,
			 (long long)got.families, (long long)want.minutes, (long long)got.minutes,
			 (long long)want.time_pence, (long long)got.time_pence,
			 (long long)want.committed_pence, (long long)got.committed_pence,
			 (long long)want.spent_pence, (long long)got.spent_pence,
			 (long long)want.pending_pence, (long long)got.pending_pence);
	}
}

/* Windows of every shape: financial years, several years with months at
 * either end, whole months, partial months, two partial months, a few
 * days, a day; and random ones. */
static void same_sums(struct db *db, uint32_t *x, int step)
{
	static const int w[][6] = {
		{2024, 4, 1, 2025, 3, 31}, {2025, 4, 1, 2026, 3, 31}, {2023, 1, 1, 2027, 6, 30},
		{2023, 9, 1, 2026, 8, 31}, {2024, 1, 1, 2024, 12, 31}, {2025, 2, 1, 2025, 2, 28},
		{2025, 2, 10, 2025, 2, 20}, {2025, 1, 20, 2025, 2, 10}, {2024, 3, 15, 2026, 4, 15},
		{2025, 5, 31, 2025, 5, 31}, {2024, 4, 2, 2025, 3, 30}, {2023, 4, 1, 2027, 3, 31},
	};
	struct cost_sel a = {SCHOOL_A, 0, NULL};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		hday from = date_from_ymd(w[i][0], w[i][1], w[i][2]);
		hday to = date_from_ymd(w[i][3], w[i][4], w[i][5]);
		same_sum(db, from, to, NULL, step);
		same_sum(db, from, to, &a, step);
	}
	for (int i = 0; i < 6; i++) {
		hday from = random_hday(x), to = from + (hday)(rnd(x) % 800);
		same_sum(db, from, to, i % 2 ? &a : NULL, step);
	}
}

/* ---- the tests ---------------------------------------------------------------- */

static void test_random_writes(void **state)
{
	struct db *db = DB(state);
	uint32_t x = 20260401;
	(void)fix_scope;
	next_contact = next_commission = 1;
	for (int step = 0; step < 600; step++) {
		uint32_t r = rnd(&x) % 20;
		if (step < 80 || r < 5)
			add_contact(db, &x, NULL);
		else if (r < 8)
			change_contact(db, &x);
		else if (r < 10)
			delete_contact(db, &x);
		else if (r < 13)
			add_commission(db, &x);
		else if (r < 15)
			change_commission(db, &x);
		else if (r < 16)
			delete_commission(db, &x);
		else
			change_case(db, &x);
		check(db, step);
		if (step % 60 == 59)
			same_sums(db, &x, step);
	}
	assert_true(testdb_int(db, "SELECT count(*) FROM contact_years WHERE minutes > 0") > 10);
	assert_true(testdb_int(db, "SELECT count(*) FROM commission_days WHERE counted > 0") > 10);
	assert_true(testdb_int(db, "SELECT count(*) FROM commission_days WHERE pending > 0") > 0);
	/* one transaction's writes, rolled back */
	assert_int_equal(db_begin(db), HE_OK);
	add_contact(db, &x, NULL);
	change_contact(db, &x);
	add_commission(db, &x);
	change_commission(db, &x);
	db_rollback(db);
	check(db, -1);
	same_sums(db, &x, -1);
}

/* Contacts whose at is not 'YYYY-MM-DD…' with a real month and a day
 * other than 00 are counted apart, and while there are any the window is
 * read from the contacts: the figures stay right (the text comparison
 * places '2025-04-00' before April, '2025-13-02' after December). */
static void test_undated_contacts(void **state)
{
	struct db *db = DB(state);
	uint32_t x = 7;
	next_contact = next_commission = 1;
	for (int i = 0; i < 120; i++)
		add_contact(db, &x, NULL);
	for (int i = 0; i < 30; i++)
		add_commission(db, &x);
	check(db, 0);
	same_sums(db, &x, 0);
	static const char *const odd[] = {"2025-04-00T10:00", "2025-13-02", "2025-00-15T09:00",
					  "soon", "2025-4-01", ""};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		add_contact(db, &x, odd[i]);
		fix_exec(db, "UPDATE contacts SET planned = 0, duration_min = 60 WHERE id ="
			 " (SELECT max(id) FROM contacts)");
		check(db, (int)i + 1);
		same_sums(db, &x, (int)i + 1);
	}
	assert_int_equal(testdb_int(db, "SELECT minutes FROM contact_months WHERE month = -1"), 6);
	/* a window that counts them: '2025-04-00…' in March, '2025-13-02' in the year's end */
	struct cost_sel none = {0, 0, NULL};
	same_sum(db, date_from_ymd(2025, 3, 20), date_from_ymd(2025, 3, 31), &none, 99);
	same_sum(db, date_from_ymd(2025, 12, 20), date_from_ymd(2025, 12, 31), NULL, 99);
	fix_exec(db, "UPDATE contacts SET at = '2025-06-01T10:00' WHERE at = '2025-04-00T10:00'");
	fix_exec(db, "DELETE FROM contacts WHERE NOT (at LIKE '20%' AND length(at) >= 10"
		 " AND substr(at, 6, 2) NOT IN ('00', '13'))");
	check(db, 100);
	assert_int_equal(testdb_int(db, "SELECT minutes FROM contact_months WHERE month = -1"), 0);
	same_sums(db, &x, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_writes, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_undated_contacts, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
