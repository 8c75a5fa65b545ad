/* cost.c — cost per family: money commissioned plus worker time, per case
 * and for a year (see cost.h), and the same rules for the money report
 * (cost_window_sum, and the case window as SQL in cost.h), so that there
 * is one definition of what a family's support cost.
 *
 * One statement shape reads the cases of a window with their minutes and
 * money, set-wise, within a date window: a whole life for the family page
 * ("0000-00-00" to "9999-12-30"), a year for the report, any period for
 * the money report.  The money expressions are budget.h's definitions of
 * committed and spent, applied to one case's commissions; everything is
 * integer pence and the only division (time, and the cost per family)
 * rounds half up once. */
#include "core/dataprot.h"
#include "core/cost.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/money.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/scope.h"
#include "store/db.h"

#define ALL_FROM "0000-00-00"
#define ALL_TO "9999-12-30"        /* its day after still formats */

int64_t cost_time_pence(int64_t minutes, int64_t hour_pence)
{
	if (minutes <= 0 || hour_pence <= 0)
		return 0;
	return (minutes * hour_pence + 30) / 60;
}

int64_t cost_div_round(int64_t a, int64_t b)
{
	if (b <= 0 || a <= 0)
		return 0;
	return (a + b / 2) / b;
}

int cost_hour_pence(struct db *db, int64_t *pence)
{
	*pence = COST_HOUR_PENCE_DEFAULT;
	struct db_stmt *st = db_prepare(db, "SELECT value FROM settings"
		" WHERE key = 'cost.worker_hour_pence'");
	if (db_next(st) && !db_is_null(st, 0)) {
		const char *v = db_text(st, 0);
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*v && !*end && n >= 0 && n <= 10000000)
			*pence = n;
	}
	return db_finalize(st);
}

/* ---- periods --------------------------------------------------------------- */

static bool is_financial(const char *period)
{
	return period && strcmp(period, "financial") == 0;
}

static bool period_known(const char *period)
{
	return period && (is_financial(period) || strcmp(period, "academic") == 0);
}

int cost_period_bounds(const char *period, int start_year, hday *from, hday *to,
		       struct errinfo *e)
{
	if (!period_known(period))
		return errinfo_set(e, HE_INVALID, "period",
				   "Choose the financial year or the academic year");
	if (start_year < 2000 || start_year > 2100)
		return errinfo_set(e, HE_INVALID, "year", "Enter a year from 2000 to 2100");
	int m = is_financial(period) ? 4 : 9;
	*from = date_from_ymd(start_year, m, 1);
	*to = date_from_ymd(start_year + 1, m, 1) - 1;
	return HE_OK;
}

int cost_period_year(const char *period, hday day)
{
	return is_financial(period) ? financial_year(day) : academic_year(day);
}

const char *cost_period_label(struct arena *a, const char *period, int start_year)
{
	return arena_printf(a, "%s year %d\xe2\x80\x93%02d", is_financial(period) ? "Financial"
			    : "Academic", start_year, (start_year + 1) % 100);
}

/* ---- the query --------------------------------------------------------------- */

/* Two statements read the cases of a window, set-wise, and are merged by
 * case: the cases (COST_CASES_OPEN) with their held minutes, summed from
 * the contacts_case index (case, time, planned, duration); and the
 * commissions of the window aggregated by case (one pass over them, not a
 * query per case).  The money expressions are budget.h's definitions of
 * committed, spent and pending, applied to one case's commissions; a
 * commission falls in the window by its approval's date (decided_at), or
 * its request's when it has none (pending: by its request's). */
#define M_DAY "substr(coalesce(m.decided_at, m.requested_at), 1, 10)"
#define M_IN "(" M_DAY " >= :from AND " M_DAY " <= :to)"
#define M_REQ_IN "(substr(m.requested_at, 1, 10) >= :from AND substr(m.requested_at, 1, 10) <= :to)"
#define M_COMMITTED \
	"CASE WHEN m.status IN ('approved', 'delivered') AND " M_IN " THEN CASE WHEN" \
	" m.status = 'delivered' THEN coalesce(m.actual_pence, m.estimate_pence)" \
	" ELSE m.estimate_pence END ELSE 0 END"
#define M_SPENT \
	"CASE WHEN m.status = 'paid' AND " M_IN " THEN coalesce(m.actual_pence," \
	" m.estimate_pence) - m.refunded_pence ELSE 0 END"
#define M_PENDING "CASE WHEN m.status = 'requested' AND " M_REQ_IN " THEN m.estimate_pence ELSE 0 END"
#define M_COUNTED "CASE WHEN m.status IN ('approved', 'delivered', 'paid') AND " M_IN " THEN 1 ELSE 0 END"

/* Columns: case, committed, spent, pending, counted; by case.  The
 * window's commissions are read first (materialized: a plain pass over the
 * table), then grouped, so that grouping does not walk the whole
 * commissions_case index row by row.  MF: more conditions on m. */
#define MONEY_SQL(MF) \
	"WITH w AS MATERIALIZED (SELECT m.case_id, m.status, m.estimate_pence, m.actual_pence," \
	" m.refunded_pence, m.decided_at, m.requested_at FROM commissions m" \
	" WHERE (" M_IN " OR " M_REQ_IN ")" MF ")" \
	" SELECT m.case_id, CAST(sum(" M_COMMITTED ") AS BIGINT), CAST(sum(" M_SPENT ") AS BIGINT)," \
	" CAST(sum(" M_PENDING ") AS BIGINT), CAST(sum(" M_COUNTED ") AS BIGINT)" \
	" FROM w m GROUP BY m.case_id ORDER BY m.case_id"
static const char money_sql[] = MONEY_SQL("");
static const char money_case_sql[] = MONEY_SQL(" AND m.case_id = :case");

/* Columns 0–2: case, family, minutes, then COLS.  The window's cases are
 * chosen first (COST_CASES_OPEN, with the joins J and conditions F), then
 * read in id order, so that the minutes are summed walking contacts_case
 * forwards rather than jumping about it.  Contacts' at is a local
 * timestamp ('YYYY-MM-DDTHH:MM'): held in the window when from <= at < the
 * day after to (:after). */
#define CASES_SQL(COLS, JOINS, J, F, ORDER) \
	"SELECT c.id, c.family_id," \
	" (SELECT coalesce(sum(t.duration_min), 0) FROM contacts t WHERE t.case_id = c.id" \
	"  AND t.at >= :from AND t.at < :after AND t.planned = 0)" COLS \
	" FROM cases c" JOINS " WHERE c.id IN (SELECT a.case_id FROM (" \
	COST_CASES_OPEN(J, F, ":from", ":to") ") a)" ORDER

/* The cost page's: the case's and family's names, by family ref then case ref. */
#define DETAIL_COLS ", c.ref, f.ref, f.name, coalesce(s.name, ''), w.name, c.status, c.opened_on"
#define DETAIL_JOINS \
	" JOIN families f ON f.id = c.family_id JOIN referrals r ON r.id = c.referral_id" \
	" JOIN workers w ON w.id = c.worker_id LEFT JOIN schools s ON s.id = r.school_id"
#define REF_SCHOOL " JOIN referrals r ON r.id = c.referral_id LEFT JOIN schools s ON s.id = r.school_id"

static const char year_sql[] =
	CASES_SQL(DETAIL_COLS, DETAIL_JOINS, "", "", " ORDER BY f.ref, c.ref");
static const char case_sql[] = CASES_SQL(DETAIL_COLS, DETAIL_JOINS, "", " AND c.id = :case", "");
static const char sum_sql[] = CASES_SQL("", "", "", "", "");
static const char sum_sel_sql[] = CASES_SQL("", "", REF_SCHOOL, " AND" COST_SCHOOL_SEL("s"), "");

/* What a window reads: one case (case_id), or the cases sel chooses (NULL:
 * all); with names (details, into a) or without. */
struct window {
	const char *from, *to;
	int64_t case_id;
	const struct cost_sel *sel;
	bool details;
	struct arena *a;
};

static bool sel_chosen(const struct cost_sel *sel)
{
	return sel && (sel->school_id || sel->district_id || (sel->phase && sel->phase[0]));
}

static void read_details(struct db_stmt *st, struct arena *a, struct cost_case *c)
{
	snprintf(c->ref, sizeof c->ref, "%s", db_text(st, 3));
	snprintf(c->family_ref, sizeof c->family_ref, "%s", db_text(st, 4));
	c->family_name = arena_strdup(a, db_text(st, 5));
	c->school_name = arena_strdup(a, db_text(st, 6));
	c->worker_name = arena_strdup(a, db_text(st, 7));
	c->status = arena_strdup(a, db_text(st, 8));
	c->opened_on = arena_strdup(a, db_text(st, 9));
}

/* The window's cases with their minutes (money still 0), into *out (xmalloc). */
static int read_minutes(struct db *db, const struct window *w, struct cost_case **out,
			size_t *n)
{
	bool chosen = sel_chosen(w->sel);
	const char *sql = w->case_id ? case_sql : w->details ? year_sql : chosen ? sum_sel_sql : sum_sql;
	struct db_stmt *st = db_prepare(db, sql);
	hday last;
	char after[11];
	if (!date_parse(w->to, &last))
		last = date_from_ymd(9999, 12, 30);
	date_format(last + 1, after);
	db_bind_text(st, ":from", w->from);
	db_bind_text(st, ":to", w->to);
	db_bind_text(st, ":after", after);
	if (w->case_id)
		db_bind_int(st, ":case", w->case_id);
	if (chosen && !w->case_id && !w->details) {
		db_bind_int(st, ":school", w->sel->school_id);
		db_bind_int(st, ":district", w->sel->district_id);
		db_bind_text(st, ":phase", w->sel->phase ? w->sel->phase : "");
	}
	size_t cap = 256;
	struct cost_case *v = xmalloc(cap * sizeof *v);
	*n = 0;
	while (db_next(st)) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		struct cost_case *c = &v[(*n)++];
		memset(c, 0, sizeof *c);
		c->case_id = db_int(st, 0);
		c->family_id = db_int(st, 1);
		c->minutes = db_int(st, 2);
		if (w->details)
			read_details(st, w->a, c);
	}
	*out = v;
	return db_finalize(st);
}

/* Add each case's money to its row (by, a copy of v's pointers sorted by case). */
static int add_money(struct db *db, const struct window *w, struct cost_case **by, size_t n)
{
	struct db_stmt *st = db_prepare(db, w->case_id ? money_case_sql : money_sql);
	db_bind_text(st, ":from", w->from);
	db_bind_text(st, ":to", w->to);
	if (w->case_id)
		db_bind_int(st, ":case", w->case_id);
	size_t i = 0;
	while (db_next(st)) {
		int64_t id = db_int(st, 0);
		while (i < n && by[i]->case_id < id)
			i++;
		if (i == n)
			break;                   /* the rest are cases outside the window */
		if (by[i]->case_id != id)
			continue;
		by[i]->committed_pence = db_int(st, 1);
		by[i]->spent_pence = db_int(st, 2);
		by[i]->pending_pence = db_int(st, 3);
		by[i]->commissions = (int)db_int(st, 4);
	}
	return db_finalize(st);
}

/* ---- the window's minutes and money from kept sums (migration 0017) ---------- */

/* cost_window_sum reads the held minutes from what migration 0017 keeps by
 * trigger on contacts (contact_years: by case and financial year;
 * contact_months: by case and calendar month) instead of from every
 * contact of the window: the cases (COST_CASES_OPEN, as above, without the
 * minutes) are read, then the minutes of the window's whole financial
 * years, its whole months outside them, and the contacts of its partial
 * months at either end (those of the cases with a row in that month) are
 * added to them, each row finding its case by id.  The same contacts,
 * summed per case, as CASES_SQL's; while a contact's at cannot be placed
 * in a month (the row month -1, case 0, counts them) the window is read by
 * CASES_SQL and MONEY_SQL as before.  The money comes from
 * commission_days, kept by trigger on commissions: MONEY_SQL's sums by
 * case and the day each commission counts on.  The cost page (names, one
 * case) reads as before: tests/unit/test_report_money.c compares the two,
 * tests/unit/test_cost_summary.c the sums with the rows. */
#define KEPT_CASES_SQL(J, F) \
	"SELECT a.case_id, a.family_id FROM (" COST_CASES_OPEN(J, F, ":from", ":to") ") a"
static const char kept_cases_sql[] = KEPT_CASES_SQL("", "");
static const char kept_cases_sel_sql[] = KEPT_CASES_SQL(REF_SCHOOL, " AND" COST_SCHOOL_SEL("s"));
static const char kept_odd_sql[] =
	"SELECT coalesce(sum(minutes), 0) FROM contact_months WHERE month = -1 AND case_id = 0";
/* The window's money by case and day (migration 0017: commission_days
 * holds MONEY_SQL's sums by the day each commission counts on). */
static const char kept_money_sql[] =
	"SELECT case_id, committed, spent, pending, counted FROM commission_days"
	" WHERE day >= :from AND day <= :to";
#define KEPT_EDGE(E, A, B) \
	" UNION ALL SELECT t.case_id, t.duration_min FROM contact_months k JOIN contacts t" \
	" ON t.case_id = k.case_id AND t.at >= " A " AND t.at < " B " AND t.planned = 0" \
	" WHERE k.month = " E
static const char kept_minutes_sql[] =
	"SELECT case_id, minutes FROM contact_years WHERE fy >= :fy0 AND fy <= :fy1"
	" UNION ALL SELECT case_id, minutes FROM contact_months WHERE month >= :m0 AND month <= :m1"
	" UNION ALL SELECT case_id, minutes FROM contact_months WHERE month >= :m2 AND month <= :m3"
	KEPT_EDGE(":e0", ":a0", ":b0") KEPT_EDGE(":e1", ":a1", ":b1");

/* The window from..to cut into financial years fy0..fy1, months m0..m1
 * and m2..m3 (year × 100 + month) and the days a..b (b excluded) of months
 * e0 and e1; an empty range has its first above its last, an absent month
 * is -2. */
struct kept_span {
	int fy0, fy1, m0, m1, m2, m3, e0, e1;
	char a0[11], b0[11], a1[11], b1[11];
};

static int month_key(hday d)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	return y * 100 + m;
}

static hday month_first(hday d)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	return date_from_ymd(y, m, 1);
}

static hday month_next(hday d)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	return m == 12 ? date_from_ymd(y + 1, 1, 1) : date_from_ymd(y, m + 1, 1);
}

/* The 1 April on or after d (up: true), or on or before it. */
static hday april_first(hday d, bool up)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	hday a = date_from_ymd(y, 4, 1);
	if (up)
		return a >= d ? a : date_from_ymd(y + 1, 4, 1);
	return a <= d ? a : date_from_ymd(y - 1, 4, 1);
}

static void kept_edge(int *e, char *a, char *b, hday from, hday until)
{
	*e = month_key(from);
	date_format(from, a);
	date_format(until, b);
}

static void kept_span(hday from, hday to, struct kept_span *k)
{
	*k = (struct kept_span){1, 0, 1, 0, 1, 0, -2, -2, "", "", "", ""};
	if (from > to)
		return;
	hday after = to + 1;
	hday ms = month_first(from) == from ? from : month_next(from);   /* whole months: ms..me */
	hday me = month_first(after);
	if (ms >= me) {                        /* none: one or two partial months */
		if (month_key(from) == month_key(to)) {
			kept_edge(&k->e0, k->a0, k->b0, from, after);
		} else {
			kept_edge(&k->e0, k->a0, k->b0, from, month_first(to));
			kept_edge(&k->e1, k->a1, k->b1, month_first(to), after);
		}
		return;
	}
	if (from < ms)
		kept_edge(&k->e0, k->a0, k->b0, from, ms);
	if (me < after)
		kept_edge(&k->e1, k->a1, k->b1, me, after);
	hday fs = april_first(ms, true), fe = april_first(me, false);
	if (fs < fe) {
		k->fy0 = month_key(fs) / 100;
		k->fy1 = month_key(fe) / 100 - 1;
		if (ms < fs) {
			k->m0 = month_key(ms);
			k->m1 = month_key(fs - 1);
		}
		if (fe < me) {
			k->m2 = month_key(fe);
			k->m3 = month_key(me - 1);
		}
	} else {
		k->m0 = month_key(ms);
		k->m1 = month_key(me - 1);
	}
}

/* The position of each case id in v: a table over the ids' span when it
 * is not much wider than the cases (the usual: a window's cases are mostly
 * recent ids), else a binary search of v sorted by id. */
struct case_index {
	const struct cost_case *v;
	size_t n;
	int64_t lo;
	size_t span;
	int32_t *pos;        /* span entries: index into v, or -1; NULL: search */
};

static struct cost_case *case_index_find(const struct case_index *x, int64_t id)
{
	if (!x->pos) {
		size_t lo = 0, hi = x->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (x->v[mid].case_id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < x->n && x->v[lo].case_id == id ? (struct cost_case *)&x->v[lo] : NULL;
	}
	uint64_t k = (uint64_t)id - (uint64_t)x->lo;   /* ids below lo wrap far above */
	if (k >= x->span || x->pos[k] < 0)
		return NULL;
	return (struct cost_case *)&x->v[x->pos[k]];
}

/* Is a span of ids narrow enough for a table (or a bitmap) over n of them? */
static bool narrow(int64_t lo, int64_t hi, size_t n)
{
	return n && hi >= lo && (uint64_t)hi - (uint64_t)lo < 8 * (uint64_t)n + 4096;
}

/* Add the window's money from commission_days to the indexed cases. */
static int add_kept_money(struct db *db, const struct window *w, const struct case_index *x)
{
	struct db_stmt *st = db_prepare(db, kept_money_sql);
	db_bind_text(st, ":from", w->from);
	db_bind_text(st, ":to", w->to);
	while (db_next(st)) {
		struct cost_case *c = case_index_find(x, db_int(st, 0));
		if (!c)
			continue;
		c->committed_pence += db_int(st, 1);
		c->spent_pence += db_int(st, 2);
		c->pending_pence += db_int(st, 3);
		c->commissions += (int)db_int(st, 4);
	}
	return db_finalize(st);
}

/* Add the kept minutes from..to to the indexed cases. */
static int add_kept_minutes(struct db *db, hday from, hday to, const struct case_index *x)
{
	struct kept_span k;
	kept_span(from, to, &k);
	struct db_stmt *st = db_prepare(db, kept_minutes_sql);
	db_bind_int(st, ":fy0", k.fy0);
	db_bind_int(st, ":fy1", k.fy1);
	db_bind_int(st, ":m0", k.m0);
	db_bind_int(st, ":m1", k.m1);
	db_bind_int(st, ":m2", k.m2);
	db_bind_int(st, ":m3", k.m3);
	db_bind_int(st, ":e0", k.e0);
	db_bind_int(st, ":e1", k.e1);
	db_bind_text(st, ":a0", k.a0);
	db_bind_text(st, ":b0", k.b0);
	db_bind_text(st, ":a1", k.a1);
	db_bind_text(st, ":b1", k.b1);
	while (db_next(st)) {
		struct cost_case *c = case_index_find(x, db_int(st, 0));
		if (c)
			c->minutes += db_int(st, 1);
	}
	return db_finalize(st);
}

struct case_family {
	int64_t case_id, family_id;
};

static int cmp_case_family(const void *x, const void *y)
{
	int64_t a = ((const struct case_family *)x)->case_id;
	int64_t b = ((const struct case_family *)y)->case_id;
	return a < b ? -1 : a > b;
}

/* The window's cases (not one case, no names) with their minutes and money
 * from the kept sums, into *out (xmalloc); *kept false (and nothing read)
 * when the sums cannot answer. */
static int read_kept(struct db *db, const struct window *w, struct cost_case **out, size_t *n,
		     bool *kept)
{
	hday from, to;
	*kept = false;
	*out = NULL;
	*n = 0;
	if (!date_parse(w->from, &from) || !date_parse(w->to, &to))
		return HE_OK;
	struct db_stmt *st = db_prepare(db, kept_odd_sql);
	int64_t odd = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc || odd)
		return rc;
	bool chosen = sel_chosen(w->sel);
	st = db_prepare(db, chosen ? kept_cases_sel_sql : kept_cases_sql);
	db_bind_text(st, ":from", w->from);
	db_bind_text(st, ":to", w->to);
	if (chosen) {
		db_bind_int(st, ":school", w->sel->school_id);
		db_bind_int(st, ":district", w->sel->district_id);
		db_bind_text(st, ":phase", w->sel->phase ? w->sel->phase : "");
	}
	size_t len = 0, cap = 1024;
	struct case_family *cf = xmalloc(cap * sizeof *cf);
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	while (db_next(st)) {
		if (len == cap)
			cf = xrealloc(cf, (cap *= 2) * sizeof *cf);
		cf[len] = (struct case_family){db_int(st, 0), db_int(st, 1)};
		lo = cf[len].case_id < lo ? cf[len].case_id : lo;
		hi = cf[len].case_id > hi ? cf[len].case_id : hi;
		len++;
	}
	rc = db_finalize(st);
	/* each case once: by the table, or sorted for the binary search */
	struct case_index x = {NULL, 0, lo, 0, NULL};
	if (narrow(lo, hi, len)) {
		x.span = (size_t)((uint64_t)hi - (uint64_t)lo) + 1;
		x.pos = xmalloc(x.span * sizeof *x.pos);
		memset(x.pos, 0xff, x.span * sizeof *x.pos);
	} else if (len) {
		qsort(cf, len, sizeof *cf, cmp_case_family);
	}
	struct cost_case *v = xcalloc(len ? len : 1, sizeof *v);
	for (size_t i = 0; i < len; i++) {
		int64_t id = cf[i].case_id;
		if (x.pos ? x.pos[id - lo] >= 0 : *n && v[*n - 1].case_id == id)
			continue;
		if (x.pos)
			x.pos[id - lo] = (int32_t)*n;
		v[*n].case_id = id;
		v[(*n)++].family_id = cf[i].family_id;
	}
	free(cf);
	x.v = v;
	x.n = *n;
	if (!rc)
		rc = add_kept_minutes(db, from, to, &x);
	if (!rc)
		rc = add_kept_money(db, w, &x);
	free(x.pos);
	*out = v;
	*kept = true;
	return rc;
}

static int cmp_case_ptr(const void *x, const void *y)
{
	int64_t a = (*(struct cost_case *const *)x)->case_id;
	int64_t b = (*(struct cost_case *const *)y)->case_id;
	return a < b ? -1 : a > b;
}

/* The window's cases with their costs at hour_pence, into *out (xmalloc,
 * the caller frees), in the statement's order. */
static int read_window(struct db *db, const struct window *w, int64_t hour_pence,
		       struct cost_case **out, size_t *n)
{
	bool kept = false;
	int rc = w->case_id || w->details ? HE_OK : read_kept(db, w, out, n, &kept);
	if (!rc && !kept) {
		rc = read_minutes(db, w, out, n);
		struct cost_case **by = xmalloc((*n ? *n : 1) * sizeof *by);
		for (size_t i = 0; i < *n; i++)
			by[i] = &(*out)[i];
		qsort(by, *n, sizeof *by, cmp_case_ptr);
		if (!rc)
			rc = add_money(db, w, by, *n);
		free(by);
	}
	for (size_t i = 0; i < *n; i++) {
		struct cost_case *c = &(*out)[i];
		c->time_pence = cost_time_pence(c->minutes, hour_pence);
		c->commissioned_pence = c->committed_pence + c->spent_pence;
		c->total_pence = c->commissioned_pence + c->time_pence;
	}
	return rc;
}

/* The cases (one, or every one open in the window) with their costs and
 * names, copied into a. */
static int read_cases(struct db *db, struct arena *a, int64_t case_id, const char *from,
		      const char *to, int64_t hour_pence, struct cost_case **out, size_t *n)
{
	struct window w = {from, to, case_id, NULL, true, a};
	struct cost_case *v;
	int rc = read_window(db, &w, hour_pence, &v, n);
	*out = arena_alloc(a, (*n ? *n : 1) * sizeof **out);
	memcpy(*out, v, *n * sizeof *v);
	free(v);
	return rc;
}

static int cmp_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* Add up n cases: the one arithmetic of a year's, or a report's, totals. */
static void sum_cases(const struct cost_case *v, size_t n, struct cost_sum *t)
{
	memset(t, 0, sizeof *t);
	int64_t *fam = xcalloc(n ? n : 1, sizeof *fam);
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		t->minutes += v[i].minutes;
		t->time_pence += v[i].time_pence;
		t->committed_pence += v[i].committed_pence;
		t->spent_pence += v[i].spent_pence;
		t->pending_pence += v[i].pending_pence;
		t->commissioned_pence += v[i].commissioned_pence;
		t->total_pence += v[i].total_pence;
		fam[i] = v[i].family_id;
		lo = fam[i] < lo ? fam[i] : lo;
		hi = fam[i] > hi ? fam[i] : hi;
	}
	if (narrow(lo, hi, n)) {                /* distinct families: a mark each */
		unsigned char *seen = xcalloc((size_t)((uint64_t)hi - (uint64_t)lo) + 1, 1);
		for (size_t i = 0; i < n; i++) {
			t->families += !seen[fam[i] - lo];
			seen[fam[i] - lo] = 1;
		}
		free(seen);
	} else {
		qsort(fam, n, sizeof *fam, cmp_id);
		for (size_t i = 0; i < n; i++)
			t->families += i == 0 || fam[i] != fam[i - 1];
	}
	free(fam);
	t->cases = (int64_t)n;
	t->per_family_pence = cost_div_round(t->total_pence, t->families);
}

int cost_window_sum(struct db *db, hday from, hday to, const struct cost_sel *sel,
		    struct cost_sum *out)
{
	memset(out, 0, sizeof *out);
	int64_t hour;
	int rc = cost_hour_pence(db, &hour);
	if (rc)
		return rc;
	char f[11], t[11];
	date_format(from, f);
	date_format(to, t);
	struct window w = {f, t, 0, sel, false, NULL};
	struct cost_case *v;
	size_t n;
	rc = read_window(db, &w, hour, &v, &n);
	if (!rc)
		sum_cases(v, n, out);
	free(v);
	return rc;
}

/* ---- one case ------------------------------------------------------------------ */

int cost_case_get(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
		  struct cost_case *out, struct errinfo *e)
{
	memset(out, 0, sizeof *out);
	bool yes = false;
	int64_t hour;
	int rc = case_visible(db, s, case_id, &yes);
	if (!rc && !yes)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such case");
	if (!rc)
		rc = cost_hour_pence(db, &hour);
	struct cost_case *v = NULL;
	size_t n = 0;
	if (!rc)
		rc = read_cases(db, a, case_id, ALL_FROM, ALL_TO, hour, &v, &n);
	if (rc)
		return errinfo_set(e, rc, "", "The case's costs could not be read");
	if (n != 1)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such case");
	*out = v[0];
	return HE_OK;
}

/* ---- the year ------------------------------------------------------------------- */

static void totals(struct cost_report *rep)
{
	struct cost_sum t;
	sum_cases(rep->cases, rep->ncases, &t);
	rep->families = (int)t.families;
	rep->minutes = t.minutes;
	rep->time_pence = t.time_pence;
	rep->committed_pence = t.committed_pence;
	rep->spent_pence = t.spent_pence;
	rep->pending_pence = t.pending_pence;
	rep->commissioned_pence = t.commissioned_pence;
	rep->total_pence = t.total_pence;
	rep->per_family_pence = t.per_family_pence;
}

static int audit_report(struct db *db, const struct scope *s, bool export,
			const struct cost_report *rep)
{
	char total[32], each[32], summary[256];
	money_format(rep->total_pence, total);
	money_format(rep->per_family_pence, each);
	snprintf(summary, sizeof summary, "Cost per family%s, %s: %d families, %zu cases, %s in"
		 " all, %s per family", export ? " export" : "", rep->label, rep->families,
		 rep->ncases, total, each);
	int rc = audit_alone(db, s->who, export ? "export" : "view", "costs", NULL, summary);
	struct export_rec x = {"costs", "csv", rep->label, (int64_t)rep->ncases, NULL, 0};
	return rc || !export ? rc : export_register_add(db, s->who, &x, NULL);
}

int cost_report_run(struct db *db, struct arena *a, const struct scope *s, const char *period,
		    int start_year, bool export, struct cost_report *out, struct errinfo *e)
{
	memset(out, 0, sizeof *out);
	if (!caps_has(s->caps, CAP_REPORTS))
		return errinfo_set(e, HE_FORBIDDEN, "", "Cost per family is for the coordinator");
	hday from, to;
	int rc = cost_period_bounds(period, start_year, &from, &to, e);
	if (rc)
		return rc;
	snprintf(out->period, sizeof out->period, "%s", period);
	out->start_year = start_year;
	date_format(from, out->from);
	date_format(to, out->to);
	out->label = cost_period_label(a, period, start_year);
	rc = cost_hour_pence(db, &out->hour_pence);
	if (!rc)
		rc = read_cases(db, a, 0, out->from, out->to, out->hour_pence, &out->cases,
				&out->ncases);
	if (rc)
		return errinfo_set(e, rc, "", "The costs could not be read");
	totals(out);
	return audit_report(db, s, export, out);
}

const char *cost_headline(struct arena *a, const struct cost_report *rep)
{
	char total[32], each[32], money[32], time[32];
	money_format(rep->total_pence, total);
	money_format(rep->per_family_pence, each);
	money_format(rep->commissioned_pence, money);
	money_format(rep->time_pence, time);
	if (!rep->families)
		return arena_printf(a, "%s: no families supported.", rep->label);
	return arena_printf(a, "%s: %d %s supported at %s each \xe2\x80\x94 %s in all (%s"
			    " commissioned services and grants, %s of worker time).", rep->label,
			    rep->families, rep->families == 1 ? "family" : "families", each, total,
			    money, time);
}
