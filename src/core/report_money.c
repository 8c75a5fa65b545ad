/* report_money.c — the money report and the risk and reach report (see
 * report_money.h): budgets, funding sources, cost per family, families
 * engaged per academic year, and high-risk pupils reached.
 *
 * The money comes from the modules that own it: a budget's figures are
 * budget_position's, a year's bounds cost_period_bounds'; the cost per
 * family of the cases since Hearth is cost_window_sum's (cost.c: which
 * cases, which commissions count as committed and spent, worker time and
 * the division), and the cases counted by families engaged and reach are
 * cost.h's COST_CASES_OPEN, so the report cannot drift from the cost page.
 * This file defines only what cost.c does not know: history from before
 * Hearth, budgets and sources, and the report filter's schools.  Each
 * table is one query (budgets: one, then budget_position per budget in the
 * period; cost per family: cost_window_sum's and one for history;
 * engaged: two per academic year), never one per case. */
#include "core/report_money.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "core/budget.h"
#include "core/cost.h"
#include "store/db.h"

/* ---- shared SQL ------------------------------------------------------------- */

/* The report filter on a school aliased s (LEFT JOINed: no school passes
 * only when nothing is chosen). */
#define SCHOOL_FILTER COST_SCHOOL_SEL("s")

/* A history case hc open at any time from FROM to :to: from its
 * allocation to its first closure or step up (the dates history.c keeps
 * on the case), from two index ranges (still open; ended on or after FROM). */
#define HIST_ACTIVE(FROM) \
	" hc.id IN (SELECT h1.id FROM history_cases h1 WHERE h1.ended_on IS NULL" \
	"  AND h1.allocated_on <= :to UNION ALL SELECT h1.id FROM history_cases h1" \
	"  WHERE h1.ended_on >= " FROM " AND h1.allocated_on <= :to)"

static void bind_filter(struct db_stmt *st, const struct report_filter *f)
{
	db_bind_int(st, ":school", f->school_id);
	db_bind_int(st, ":district", f->district_id);
	db_bind_text(st, ":phase", f->phase);
}

/* Does the filter choose schools (else the all-schools statements apply)? */
static bool filtered(const struct report_filter *f)
{
	return f->school_id || f->district_id || f->phase[0];
}

/* Bind a day as YYYY-MM-DD (PostgreSQL refuses a name the SQL lacks:
 * bind only what the query uses). */
static void bind_day(struct db_stmt *st, const char *name, hday day)
{
	char d[11];
	date_format(day, d);
	db_bind_text(st, name, d);
}

static void bind_days(struct db_stmt *st, hday from, hday to)
{
	bind_day(st, ":from", from);
	bind_day(st, ":to", to);
}

/* A machine key from a heading: lower case letters, digits and '_'. */
static const char *slug(struct arena *a, const char *prefix, const char *text)
{
	size_t n = strlen(prefix), len = strlen(text);
	char *s = arena_alloc(a, n + len + 1);
	memcpy(s, prefix, n);
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '_';
		if (ch != '_' || (n && s[n - 1] != '_'))
			s[n++] = ch;
	}
	while (n && s[n - 1] == '_')
		n--;
	s[n] = '\0';
	return s;
}

/* a × 1000 / b rounded half up; RC_NONE when b is 0. */
static int64_t permille(int64_t part, int64_t whole)
{
	if (whole <= 0)
		return RC_NONE;
	return cost_div_round(part * 1000, whole);
}

/* ---- budgets ------------------------------------------------------------------ */

/* The budgets a filter selects (owners only; the period is checked in C
 * with cost_period_bounds).  Column 0 is the budget's id. */
#define BUDGET_WHERE \
	" WHERE (b.owner_kind = 'school' AND" SCHOOL_FILTER ")" \
	" OR (b.owner_kind = 'district' AND :school = 0 AND :phase = ''" \
	"  AND (:district = 0 OR b.district_id = :district))" \
	" OR (b.owner_kind = 'partnership' AND :school = 0 AND :district = 0 AND :phase = '')"

static const char budgets_sql[] =
	"SELECT b.id, b.name, b.period, b.start_year, coalesce(s.name, d.name, 'The partnership')"
	" FROM budgets b LEFT JOIN schools s ON s.id = b.school_id"
	" LEFT JOIN districts d ON d.id = b.district_id" BUDGET_WHERE
	" ORDER BY b.start_year DESC, CASE b.owner_kind WHEN 'partnership' THEN 0"
	"  WHEN 'district' THEN 1 ELSE 2 END, coalesce(s.name, d.name, ''), b.name, b.id";

static const char sources_sql[] =
	"SELECT b.id, bs.source, bs.amount_pence FROM budgets b"
	" JOIN budget_sources bs ON bs.budget_id = b.id"
	" LEFT JOIN schools s ON s.id = b.school_id" BUDGET_WHERE
	" ORDER BY b.id, bs.source";

struct mbudget {
	int64_t id;
	const char *label;
	struct budget_pos pos;
};

/* Does the budget's year (period, start_year) overlap the filter's period? */
static bool budget_in_period(const char *period, int start_year, const struct report_filter *f)
{
	hday from, to;
	struct errinfo e = {0};
	if (cost_period_bounds(period, start_year, &from, &to, &e))
		return false;
	return from <= f->to && to >= f->from;
}

/* The filter's budgets in the period, each with budget_position. */
static int budgets_read(struct db *db, struct arena *a, const struct report_filter *f,
			struct mbudget **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, budgets_sql);
	bind_filter(st, f);
	size_t cap = 16;
	struct mbudget *v = arena_alloc(a, cap * sizeof *v);
	*n = 0;
	while (db_next(st)) {
		if (!budget_in_period(db_text(st, 2), (int)db_int(st, 3), f))
			continue;
		if (*n == cap) {
			struct mbudget *w = arena_alloc(a, 2 * cap * sizeof *w);
			memcpy(w, v, cap * sizeof *v);
			v = w;
			cap *= 2;
		}
		v[*n].id = db_int(st, 0);
		v[*n].label = arena_printf(a, "%s (%s, %s)", db_text(st, 1), db_text(st, 4),
					   cost_period_label(a, db_text(st, 2), (int)db_int(st, 3)));
		(*n)++;
	}
	int rc = db_finalize(st);
	for (size_t i = 0; !rc && i < *n; i++)
		rc = budget_position(db, v[i].id, &v[i].pos);
	*out = v;
	return rc;
}

int report_money_budgets(struct db *db, struct arena *a, const struct report_filter *f,
			 struct rtable **out)
{
	static const char *const cols[] = {"Amount", "Committed", "Spent", "Pending", "Available"};
	static const char *const keys[] = {"amount", "committed", "spent", "pending", "available"};
	struct mbudget *b;
	size_t n;
	int rc = budgets_read(db, a, f, &b, &n);
	if (rc)
		return rc;
	struct rtable *t = rtable_new(a, "money_budgets", "Spend and commitments by budget",
		"Each budget whose year overlaps the period, as it stands today: committed is"
		" approved services not yet paid (at their estimate, or actual cost once delivered),"
		" spent is paid less refunds, pending is waiting for approval, available is the"
		" amount less committed and spent.", "Budget", 5, cols, keys, false);
	int64_t tot[5] = {0};
	for (size_t i = 0; i < n; i++) {
		int64_t *v = rtable_row(a, t, arena_printf(a, "budget_%" PRId64, b[i].id),
					b[i].label, RC_PENCE, 0);
		const struct budget_pos *p = &b[i].pos;
		int64_t x[5] = {p->amount, p->committed, p->spent, p->pending, p->available};
		for (int k = 0; k < 5; k++)
			tot[k] += v[k] = x[k];
	}
	int64_t *v = rtable_row(a, t, "total", "All these budgets", RC_PENCE, 0);
	memcpy(v, tot, sizeof tot);
	*out = t;
	return HE_OK;
}

/* ---- funding sources ------------------------------------------------------------ */

struct msource {
	const char *name;
	int64_t amount, spent;
};

struct srcline {        /* one budget's source, while dividing its spend */
	size_t src;           /* index into the sources */
	int64_t amount, share;
	int64_t rem;          /* the remainder of the division, for largest remainder */
};

static int cmp_budget_id(const void *k, const void *x)
{
	int64_t id = *(const int64_t *)k, b = ((const struct mbudget *)x)->id;
	return id < b ? -1 : id > b;
}

static int cmp_mbudget(const void *x, const void *y)
{
	return cmp_budget_id(&((const struct mbudget *)x)->id, y);
}

static int cmp_rem(const void *x, const void *y)
{
	const struct srcline *p = x, *q = y;
	return p->rem != q->rem ? (p->rem < q->rem ? 1 : -1) : (p->src > q->src) - (p->src < q->src);
}

/* Divide spent among lines in proportion to their amounts, largest
 * remainder first, so the shares add up to spent exactly.  A budget of
 * nothing (spent by override) puts it all on its first source. */
static void divide_spent(struct srcline *l, size_t n, int64_t spent, struct msource *src)
{
	int64_t amount = 0, given = 0;
	for (size_t i = 0; i < n; i++)
		amount += l[i].amount;
	for (size_t i = 0; i < n; i++) {
		if (amount <= 0) {
			l[i].share = i == 0 ? spent : 0;
			l[i].rem = 0;
		} else {
			__int128 p = (__int128)spent * l[i].amount;
			l[i].share = (int64_t)(p / amount);
			l[i].rem = (int64_t)(p % amount);
		}
		given += l[i].share;
	}
	if (n)
		qsort(l, n, sizeof *l, cmp_rem);
	for (size_t i = 0; given < spent && i < n; i++, given++)
		l[i].share++;
	for (size_t i = 0; i < n; i++)
		src[l[i].src].spent += l[i].share;
}

static size_t source_index(struct msource **src, size_t *n, size_t *cap, struct arena *a,
			   const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*src)[i].name, name))
			return i;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*src = xrealloc(*src, *cap * sizeof **src);
	}
	(*src)[*n] = (struct msource){arena_strdup(a, name), 0, 0};
	return (*n)++;
}

/* Sum the sources of the budgets b (sorted by id) by name. */
static int sources_read(struct db *db, struct arena *a, const struct report_filter *f,
			const struct mbudget *b, size_t nb, struct msource **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, sources_sql);
	bind_filter(st, f);
	size_t cap = 0, nl = 0, lcap = 8;
	struct srcline *l = xmalloc(lcap * sizeof *l);
	const struct mbudget *cur = NULL;
	*out = NULL;
	*n = 0;
	while (db_next(st)) {
		int64_t id = db_int(st, 0);
		const struct mbudget *m = bsearch(&id, b, nb, sizeof *b, cmp_budget_id);
		if (!m)
			continue;            /* not in the period */
		if (m != cur && cur)
			divide_spent(l, nl, cur->pos.spent, *out);
		if (m != cur)
			nl = 0;
		cur = m;
		if (nl == lcap)
			l = xrealloc(l, (lcap *= 2) * sizeof *l);
		size_t i = source_index(out, n, &cap, a, db_text(st, 1));
		l[nl++] = (struct srcline){i, db_int(st, 2), 0, 0};
		(*out)[i].amount += db_int(st, 2);
	}
	if (cur)
		divide_spent(l, nl, cur->pos.spent, *out);
	free(l);
	return db_finalize(st);
}

static int cmp_source(const void *x, const void *y)
{
	const struct msource *p = x, *q = y;
	if (p->amount != q->amount)
		return p->amount < q->amount ? 1 : -1;
	return strcmp(p->name, q->name);
}

static struct rtable *sources_table(struct arena *a, const struct msource *src, size_t n)
{
	const char **cols = arena_alloc(a, (n + 1) * sizeof *cols);
	const char **keys = arena_alloc(a, (n + 1) * sizeof *keys);
	for (size_t i = 0; i < n; i++) {
		cols[i] = src[i].name;
		keys[i] = slug(a, "", src[i].name);
		for (size_t j = 0; j < i; j++)    /* two names, one slug: keep keys distinct */
			if (!strcmp(keys[i], keys[j]))
				keys[i] = arena_printf(a, "%s_%zu", keys[i], i + 1);
	}
	cols[n] = "Total";
	keys[n] = "total";
	return rtable_new(a, "money_sources", "Funding sources", "Each funding source's"
		" contribution to the budgets above (summed by name) and its share of the pool;"
		" each budget's spending is shared among its sources in proportion to what they"
		" put in.", "Measure", n + 1, cols, keys, true);
}

int report_money_sources(struct db *db, struct arena *a, const struct report_filter *f,
			 struct rtable **out)
{
	struct mbudget *b;
	struct msource *src = NULL;
	size_t nb, n = 0;
	int rc = budgets_read(db, a, f, &b, &nb);
	if (!rc) {
		if (nb)
			qsort(b, nb, sizeof *b, cmp_mbudget);
		rc = sources_read(db, a, f, b, nb, &src, &n);
	}
	if (rc) {
		free(src);
		return rc;
	}
	if (n)
		qsort(src, n, sizeof *src, cmp_source);
	struct rtable *t = sources_table(a, src, n);
	int64_t *amt = rtable_row(a, t, "contribution", "Contribution", RC_PENCE, 0);
	int64_t *pool = rtable_row(a, t, "pool_share", "Share of the pool", RC_PERMILLE, 1);
	int64_t *sp = rtable_row(a, t, "spent", "Spent (in proportion)", RC_PENCE, 0);
	int64_t *sps = rtable_row(a, t, "spend_share", "Share of the spending", RC_PERMILLE, 1);
	for (size_t i = 0; i < n; i++) {
		amt[n] += amt[i] = src[i].amount;
		sp[n] += sp[i] = src[i].spent;
	}
	for (size_t i = 0; i <= n; i++) {
		pool[i] = permille(amt[i], amt[n]);
		sps[i] = permille(sp[i], sp[n]);
	}
	free(src);
	t->chart_row = "contribution";
	*out = t;
	return HE_OK;
}

/* ---- cost per family ---------------------------------------------------------------- */

/* The cases' joins to their referring school, for the filter; with
 * nothing filtered a second statement leaves them (and the filter) out:
 * choosing between two literals, never building SQL. */
#define CASE_SCHOOL " JOIN referrals r ON r.id = c.referral_id LEFT JOIN schools s ON s.id = r.school_id"
#define AND_FILTER " AND" SCHOOL_FILTER

static const char hist_cost_sql[] =
	"SELECT CAST(count(DISTINCT hc.family_ref) AS BIGINT), CAST(count(*) AS BIGINT),"
	" CAST(coalesce(sum((SELECT coalesce(sum(m.amount_pence), 0) FROM history_events m"
	"  WHERE m.case_id = hc.id AND m.kind = 'commission' AND m.on_date >= :from"
	"  AND m.on_date <= :to)), 0) AS BIGINT)"
	" FROM history_cases hc LEFT JOIN schools s ON s.id = hc.school_id"
	" WHERE" HIST_ACTIVE(":from") " AND" SCHOOL_FILTER;

/* families, cases, commissioned, time */
struct mcost { int64_t families, cases, money, time; };

/* Since Hearth: cost.c's figures for the cases the filter's schools referred. */
static int live_cost(struct db *db, const struct report_filter *f, struct mcost *o)
{
	struct cost_sel sel = {f->school_id, f->district_id, f->phase};
	struct cost_sum sum;
	int rc = cost_window_sum(db, f->from, f->to, &sel, &sum);
	if (rc)
		return rc;
	o->families = sum.families;
	o->cases = sum.cases;
	o->money = sum.commissioned_pence;
	o->time = sum.time_pence;
	return HE_OK;
}

static int hist_cost(struct db *db, const struct report_filter *f, struct mcost *o)
{
	struct db_stmt *st = db_prepare(db, hist_cost_sql);
	bind_days(st, f->from, f->to);
	bind_filter(st, f);
	if (db_next(st)) {
		o->families = db_int(st, 0);
		o->cases = db_int(st, 1);
		o->money = db_int(st, 2);
	}
	return db_finalize(st);
}

static void cost_column(struct rtable *t, size_t col, const struct mcost *c,
			const struct report_filter *f)
{
	int64_t total = c->money + c->time;
	t->rows[0].v[col] = c->families;
	t->rows[1].v[col] = c->cases;
	t->rows[2].v[col] = c->money;
	t->rows[3].v[col] = c->time;
	t->rows[4].v[col] = total;
	if (f->suppress && c->families > 0 && c->families < REPORT_SUPPRESS_BELOW)
		t->rows[5].v[col] = RC_SMALL_BASE;
	else
		t->rows[5].v[col] = c->families ? cost_div_round(total, c->families) : RC_NONE;
}

int report_money_families(struct db *db, struct arena *a, const struct report_filter *f,
			  struct rtable **out)
{
	static const char *const cols[] = {"Since Hearth", "Before Hearth", "Total"};
	static const char *const keys[] = {"live", "history", "total"};
	struct mcost live = {0}, hist = {0};
	int rc = live_cost(db, f, &live);
	if (!rc)
		rc = hist_cost(db, f, &hist);
	if (rc)
		return rc;
	struct rtable *t = rtable_new(a, "money_families", "Cost per family supported",
		"Families with a case open at any time in the period: services and grants approved"
		" or paid in it, and the worker time of the contacts held in it (before Hearth, the"
		" commissions recorded; no worker time). The cost per family is the total divided"
		" by the families.", "Measure", 3, cols, keys, true);
	rtable_row(a, t, "families", "Families supported", RC_COUNT, 0);
	rtable_row(a, t, "cases", "Cases", RC_COUNT, 1);
	rtable_row(a, t, "commissioned", "Services and grants", RC_PENCE, 0);
	rtable_row(a, t, "worker_time", "Worker time", RC_PENCE, 0);
	rtable_row(a, t, "total_cost", "Total cost", RC_PENCE, 0);
	rtable_row(a, t, "per_family", "Cost per family", RC_PENCE, 0);
	struct mcost all = {live.families + hist.families, live.cases + hist.cases,
			    live.money + hist.money, live.time + hist.time};
	cost_column(t, 0, &live, f);
	cost_column(t, 1, &hist, f);
	cost_column(t, 2, &all, f);
	*out = t;
	return HE_OK;
}

/* ---- families engaged per academic year ---------------------------------------------- */

#define HIST_SCHOOL " LEFT JOIN schools s ON s.id = hc.school_id"

/* Live families (distinct ids: a family's ref is unique), history families
 * (distinct old refs), and the history refs that are also a live family's
 * ref with a case counted (so the total, distinct refs across both, is
 * live + history − both) — without reading every live family's row.
 * LIVE: the live families' count, or 0 where they are counted in C. */
#define ENGAGED_SQL(LIVE, J, HJ, F) \
	"SELECT " LIVE "," \
	" CAST(count(DISTINCT hc.family_ref) AS BIGINT)," \
	" CAST(count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM families fa" \
	"  JOIN cases c ON c.family_id = fa.id" J " WHERE fa.ref = hc.family_ref AND" \
	COST_CASE_OPEN("c", ":from", ":to") F ") THEN hc.family_ref END) AS BIGINT)" \
	" FROM history_cases hc" HJ " WHERE" HIST_ACTIVE(":from") F
#define ENGAGED_LIVE_COUNT(J, F) \
	"(SELECT CAST(count(DISTINCT a.family_id) AS BIGINT) FROM (" \
	COST_CASES_OPEN(J, F, ":from", ":to") ") a)"
/* The live families' ids, for counting in C: on SQLite, count(DISTINCT)
 * over ~40,000 cases a year builds a temporary B-tree, twice the time of
 * sorting the ids; PostgreSQL counts them itself in less time than it
 * takes to send them. */
#define ENGAGED_LIVE_SQL(J, F) \
	"SELECT a.family_id FROM (" COST_CASES_OPEN(J, F, ":from", ":to") ") a"
static const char engaged_sql[] =
	ENGAGED_SQL(ENGAGED_LIVE_COUNT(CASE_SCHOOL, AND_FILTER), CASE_SCHOOL, HIST_SCHOOL, AND_FILTER);
static const char engaged_all_sql[] = ENGAGED_SQL(ENGAGED_LIVE_COUNT("", ""), "", "", "");
static const char engaged_hist_sql[] = ENGAGED_SQL("0", CASE_SCHOOL, HIST_SCHOOL, AND_FILTER);
static const char engaged_hist_all_sql[] = ENGAGED_SQL("0", "", "", "");
static const char engaged_live_sql[] = ENGAGED_LIVE_SQL(CASE_SCHOOL, AND_FILTER);
static const char engaged_live_all_sql[] = ENGAGED_LIVE_SQL("", "");

static int cmp_int64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* The distinct families of the year's live cases, into *n. */
static int engaged_live(struct db *db, const struct report_filter *f, hday from, hday to,
			int64_t *n)
{
	struct db_stmt *st = db_prepare(db, filtered(f) ? engaged_live_sql : engaged_live_all_sql);
	bind_days(st, from, to);
	if (filtered(f))
		bind_filter(st, f);
	size_t len = 0, cap = 1024;
	int64_t *ids = xmalloc(cap * sizeof *ids);
	while (db_next(st)) {
		if (len == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
		ids[len++] = db_int(st, 0);
	}
	if (len)
		qsort(ids, len, sizeof *ids, cmp_int64);
	*n = 0;
	for (size_t i = 0; i < len; i++)
		*n += i == 0 || ids[i] != ids[i - 1];
	free(ids);
	return db_finalize(st);
}

static int engaged_year(struct db *db, const struct report_filter *f, int year, int64_t v[3])
{
	hday from, to;
	struct errinfo e = {0};
	bool in_c = strcmp(db_backend(db), "sqlite") == 0;
	int rc = cost_period_bounds("academic", year, &from, &to, &e);
	if (!rc && in_c)
		rc = engaged_live(db, f, from, to, &v[0]);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, in_c ? (filtered(f) ? engaged_hist_sql
		: engaged_hist_all_sql) : filtered(f) ? engaged_sql : engaged_all_sql);
	bind_days(st, from, to);
	if (filtered(f))
		bind_filter(st, f);
	if (db_next(st)) {
		if (!in_c)
			v[0] = db_int(st, 0);
		v[1] = db_int(st, 1);
		v[2] = v[0] + v[1] - db_int(st, 2);
	}
	return db_finalize(st);
}

int report_money_engaged(struct db *db, struct arena *a, const struct report_filter *f,
			 struct rtable **out)
{
	static const char *const cols[] = {"Since Hearth", "Before Hearth", "Total"};
	static const char *const keys[] = {"live", "history", "total"};
	struct rtable *t = rtable_new(a, "money_engaged", "Families engaged per academic year",
		"Families with a case open at any time in each academic year the period touches"
		" (the whole year, 1 September to 31 August), before Hearth as well; the total"
		" counts each family reference once.", "Academic year", 3, cols, keys, true);
	int y0 = academic_year(f->from), y1 = academic_year(f->to);
	for (int y = y0; y <= y1; y++) {
		char label[8];
		academic_year_label(y, label);
		int64_t *v = rtable_row(a, t, arena_printf(a, "ay_%d", y), label, RC_COUNT, 0);
		int rc = engaged_year(db, f, y, v);
		if (rc)
			return rc;
	}
	*out = t;
	return HE_OK;
}

/* ---- risk and reach ---------------------------------------------------------------------- */

static const char reach_sql[] =
	"SELECT s.id, s.name, d.id, d.name, CAST(coalesce(x.high, 0) AS BIGINT),"
	" CAST(coalesce(x.reached, 0) AS BIGINT)"
	" FROM schools s JOIN districts d ON d.id = s.district_id"
	/* each school's high-risk pupils (their latest census on or before :to
	 * is high: no later one by then), counted once per school; the reached
	 * pupils are two uncorrelated sets, computed once each */
	" LEFT JOIN (SELECT ps.school_id, count(*) AS high, sum(CASE WHEN ps.pupil_id IN"
	"   (SELECT rp.pupil_id FROM referral_pupils rp JOIN cases c ON c.referral_id = rp.referral_id"
	"   WHERE c.id IN (SELECT a.case_id FROM (" COST_CASES_OPEN("", "", ":since", ":to") ") a))"
	"  OR ps.pupil_id IN (SELECT hc.pupil_id FROM history_cases hc WHERE hc.pupil_id IS NOT NULL"
	"   AND" HIST_ACTIVE(":since") ") THEN 1 ELSE 0 END) AS reached"
	"  FROM pupil_snapshots ps WHERE ps.risk_band = 'high' AND ps.extract_date <= :to"
	"  AND NOT EXISTS (SELECT 1 FROM pupil_snapshots q WHERE q.pupil_id = ps.pupil_id"
	"   AND q.extract_date > ps.extract_date AND q.extract_date <= :to)"
	"  GROUP BY ps.school_id) x ON x.school_id = s.id"
	" WHERE" SCHOOL_FILTER
	" ORDER BY d.name, d.id, s.name, s.id";

/* The same when no census is dated after :to (migration 0018): then each
 * pupil's latest census on or before :to is the one marked latest, so each
 * school's high-risk pupils are a range of pupil_snapshots_latest; the
 * cases' pupils come by their referrals (COST_CASES_OPEN's referral_id)
 * without reading the cases again. */
static const char reach_latest_sql[] =
	"SELECT s.id, s.name, d.id, d.name, CAST(coalesce(x.high, 0) AS BIGINT),"
	" CAST(coalesce(x.reached, 0) AS BIGINT)"
	" FROM schools s JOIN districts d ON d.id = s.district_id"
	" LEFT JOIN (SELECT ps.school_id, count(*) AS high, sum(CASE WHEN ps.pupil_id IN"
	"   (SELECT rp.pupil_id FROM referral_pupils rp WHERE rp.referral_id IN"
	"   (SELECT a.referral_id FROM (" COST_CASES_OPEN("", "", ":since", ":to") ") a))"
	"  OR ps.pupil_id IN (SELECT hc.pupil_id FROM history_cases hc WHERE hc.pupil_id IS NOT NULL"
	"   AND" HIST_ACTIVE(":since") ") THEN 1 ELSE 0 END) AS reached"
	/* CROSS JOIN: SQLite reads each school's range (else it scans every
	 * latest snapshot for the GROUP BY's order) */
	"  FROM schools s2 CROSS JOIN pupil_snapshots ps"
	"  WHERE ps.school_id = s2.id AND ps.risk_band = 'high' AND ps.latest = 1"
	"  GROUP BY ps.school_id) x ON x.school_id = s.id"
	" WHERE" SCHOOL_FILTER
	" ORDER BY d.name, d.id, s.name, s.id";

/* Is any census dated after day? */
static int census_after(struct db *db, hday day, bool *after)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT 1 FROM pupil_snapshots WHERE extract_date > :to LIMIT 1");
	bind_day(st, ":to", day);
	*after = db_next(st);
	return db_finalize(st);
}

struct mreach {
	int64_t id;
	const char *name;
	int64_t high, reached;
};

/* Add a school's figures to the column for id (a new column if it is not
 * the last one). */
static void reach_add(struct arena *a, struct mreach **v, size_t *n, size_t *cap, int64_t id,
		      const char *name, int64_t high, int64_t reached)
{
	if (*n && (*v)[*n - 1].id == id) {
		(*v)[*n - 1].high += high;
		(*v)[*n - 1].reached += reached;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[(*n)++] = (struct mreach){id, arena_strdup(a, name), high, reached};
}

/* The columns: districts, or schools when the filter names a district or a school. */
static int reach_read(struct db *db, struct arena *a, const struct report_filter *f,
		      struct mreach **v, size_t *n)
{
	int y, m, d;          /* the 12 months before the end: from the day after a year earlier */
	date_to_ymd(f->to, &y, &m, &d);
	hday since = (date_valid(y - 1, m, d) ? date_from_ymd(y - 1, m, d) : date_from_ymd(y - 1, m, 28)) + 1;
	bool after = true;
	*v = NULL;
	*n = 0;
	int rc = census_after(db, f->to, &after);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, after ? reach_sql : reach_latest_sql);
	bind_day(st, ":to", f->to);
	bind_day(st, ":since", since);
	bind_filter(st, f);
	bool by_school = f->district_id || f->school_id;
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	while (db_next(st))
		reach_add(a, v, n, &cap, db_int(st, by_school ? 0 : 2), db_text(st, by_school ? 1 : 3),
			  db_int(st, 4), db_int(st, 5));
	return db_finalize(st);
}

static void reach_column(struct rtable *t, size_t col, int64_t high, int64_t reached,
			 const struct report_filter *f)
{
	t->rows[0].v[col] = high;
	t->rows[1].v[col] = reached;
	t->rows[2].v[col] = high - reached;
	if (f->suppress && high > 0 && high < REPORT_SUPPRESS_BELOW)
		t->rows[3].v[col] = RC_SMALL_BASE;
	else
		t->rows[3].v[col] = permille(reached, high);
}

int report_reach(struct db *db, struct arena *a, const struct report_filter *f,
		 struct rtable **out)
{
	struct mreach *v;
	size_t n;
	int rc = reach_read(db, a, f, &v, &n);
	if (rc) {
		free(v);
		return rc;
	}
	bool by_school = f->district_id || f->school_id;
	const char **cols = arena_alloc(a, (n + 1) * sizeof *cols);
	const char **keys = arena_alloc(a, (n + 1) * sizeof *keys);
	for (size_t i = 0; i < n; i++) {
		cols[i] = v[i].name;
		keys[i] = arena_printf(a, "%s_%" PRId64, by_school ? "school" : "district", v[i].id);
	}
	cols[n] = "Total";
	keys[n] = "total";
	struct rtable *t = rtable_new(a, "reach", "Risk and reach", "High-risk pupils (their"
		" latest census on or before the period's end puts them in the high band) and how"
		" many of them a case has reached: open at the period's end, or at any time in the"
		" 12 months before it (history included). The gap is those not reached.",
		by_school ? "Measure (by school)" : "Measure (by district)", n + 1, cols, keys, true);
	rtable_row(a, t, "high_risk", "High-risk pupils", RC_COUNT, 0);
	rtable_row(a, t, "reached", "With an open or recent case", RC_COUNT, 0);
	rtable_row(a, t, "gap", "Not reached (the gap)", RC_COUNT, 0);
	rtable_row(a, t, "pct_reached", "Reached", RC_PERMILLE, 0);
	int64_t high = 0, reached = 0;
	for (size_t i = 0; i < n; i++) {
		reach_column(t, i, v[i].high, v[i].reached, f);
		high += v[i].high;
		reached += v[i].reached;
	}
	reach_column(t, n, high, reached, f);
	free(v);
	t->chart_row = "pct_reached";
	*out = t;
	return HE_OK;
}
