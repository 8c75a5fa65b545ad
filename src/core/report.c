/* report.c — the impact reports' common parts (core/report.h): the table
 * every report is built as (rtable_*), the filter a report is computed for
 * and the scope applied to it (report_filter_from), and the months of a
 * period (report_months).
 *
 * Periods.  "month" (or "last12", or nothing): the twelve whole months
 * ending with the current month; "financial" (1 April – 31 March) and
 * "academic" (1 September – 31 August), named by their first calendar year
 * (default: the year containing today); "custom": from/to, inclusive, at
 * most twenty years (report_months' 240 months).
 *
 * Scope.  CAP_REPORTS sees every figure; CAP_REPORTS_OWN (a school user)
 * is held to its own school (asking for another is HE_FORBIDDEN, field
 * "school"); CAP_REPORTS_AGGREGATE alone (the viewer) sees every school
 * with suppression on; anyone else is HE_FORBIDDEN. */
#include "core/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caps.h"
#include "core/school.h"
#include "core/scope.h"
#include "store/db.h"

#define REPORT_MAX_MONTHS 240

static const char *const month_names[] = {"January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December"};

/* ---- tables ------------------------------------------------------------------ */

static const char **strs_copy(struct arena *a, size_t n, const char *const *src)
{
	const char **v = arena_alloc(a, (n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = arena_strdup(a, src && src[i] ? src[i] : "");
	return v;
}

struct rtable *rtable_new(struct arena *a, const char *id, const char *title, const char *caption,
			  const char *label_head, size_t ncols, const char *const *cols,
			  const char *const *col_keys, bool has_total)
{
	struct rtable *t = arena_alloc(a, sizeof *t);
	t->id = arena_strdup(a, id ? id : "report");
	t->title = arena_strdup(a, title ? title : "");
	t->caption = arena_strdup(a, caption ? caption : "");
	t->label_head = arena_strdup(a, label_head ? label_head : "Measure");
	t->ncols = ncols;
	t->cols = strs_copy(a, ncols, cols);
	t->col_keys = strs_copy(a, ncols, col_keys ? col_keys : cols);
	t->has_total = has_total && ncols > 0;
	return t;
}

int64_t *rtable_row(struct arena *a, struct rtable *t, const char *key, const char *label,
		    enum rcell kind, int indent)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct rrow *rows = arena_alloc(a, cap * sizeof *rows);
		if (t->nrows)
			memcpy(rows, t->rows, t->nrows * sizeof *rows);
		t->rows = rows;
		t->cap = cap;
	}
	struct rrow *w = &t->rows[t->nrows++];
	w->key = arena_strdup(a, key ? key : "");
	w->label = arena_strdup(a, label ? label : "");
	w->kind = kind;
	w->indent = indent;
	w->v = arena_alloc(a, (t->ncols ? t->ncols : 1) * sizeof *w->v);
	return w->v;
}

struct rrow *rtable_find(struct rtable *t, const char *key)
{
	for (size_t i = 0; t && key && i < t->nrows; i++)
		if (!strcmp(t->rows[i].key, key))
			return &t->rows[i];
	return NULL;
}

/* ---- the period ---------------------------------------------------------------- */

static hday month_first(hday d)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	return date_from_ymd(y, m, 1);
}

/* The first day of the month n months after d's (n may be negative). */
static hday month_add(hday d, int n)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	int k = y * 12 + (m - 1) + n;
	return date_from_ymd(k / 12, k % 12 + 1, 1);
}

static void day_text(hday d, char *out, size_t size)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	snprintf(out, size, "%d %s %d", dd, month_names[m - 1], y);
}

static void set_label(struct report_filter *f)
{
	char a[28], b[28];   /* "30 September 2025": at most 17 bytes */
	day_text(f->from, a, sizeof a);
	day_text(f->to, b, sizeof b);
	snprintf(f->period_label, sizeof f->period_label, "%.27s to %.27s", a, b);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* A whole number in [lo, hi] from text; false when absent or not one. */
static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	long long v = strtoll(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int year_bounds(const char *period, const char *year, struct report_filter *f,
		       struct errinfo *e)
{
	bool fin = !strcmp(period, "financial");
	hday today = date_today();
	int64_t y = fin ? financial_year(today) : academic_year(today);
	if (*nz(year) && !parse_int(year, 2000, 2100, &y))
		return errinfo_set(e, HE_INVALID, "year", "Enter a year from 2000 to 2100");
	int m = fin ? 4 : 9;
	f->from = date_from_ymd((int)y, m, 1);
	f->to = date_from_ymd((int)y + 1, m, 1) - 1;
	return HE_OK;
}

static int custom_bounds(const char *from, const char *to, struct report_filter *f,
			 struct errinfo *e)
{
	if (!*nz(from))
		return errinfo_set(e, HE_MISSING, "from", "Enter the first day of the period");
	if (!date_parse(from, &f->from))
		return errinfo_set(e, HE_INVALID, "from", "Enter the first day as a real date, like 2025-04-01");
	if (!*nz(to))
		return errinfo_set(e, HE_MISSING, "to", "Enter the last day of the period");
	if (!date_parse(to, &f->to))
		return errinfo_set(e, HE_INVALID, "to", "Enter the last day as a real date, like 2026-03-31");
	if (f->to < f->from)
		return errinfo_set(e, HE_INVALID, "to", "The last day must be on or after the first day");
	if (month_add(f->from, REPORT_MAX_MONTHS) <= f->to)
		return errinfo_set(e, HE_INVALID, "to", "Choose a period of at most 20 years");
	return HE_OK;
}

static int period_bounds(const struct report_inputs *in, struct report_filter *f, struct errinfo *e)
{
	const char *p = nz(in->period);
	if (!*p || !strcmp(p, "month") || !strcmp(p, "last12")) {
		hday first = month_first(date_today());
		f->from = month_add(first, -11);
		f->to = month_add(first, 1) - 1;
		return HE_OK;
	}
	if (!strcmp(p, "financial") || !strcmp(p, "academic"))
		return year_bounds(p, in->year, f, e);
	if (!strcmp(p, "custom"))
		return custom_bounds(in->from, in->to, f, e);
	return errinfo_set(e, HE_INVALID, "period",
			   "Choose the last 12 months, a financial year, an academic year or your own dates");
}

/* ---- places ---------------------------------------------------------------------- */

static int row_exists(struct db *db, const char *sql, int64_t id, bool *yes)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	*yes = db_next(st);
	return db_finalize(st);
}

static int place_id(struct db *db, const char *text, const char *field, const char *sql,
		    int64_t *out, struct errinfo *e)
{
	bool yes = false;
	*out = 0;
	if (!*nz(text))
		return HE_OK;
	if (!parse_int(text, 1, INT64_MAX, out))
		return errinfo_set(e, HE_INVALID, field, "Choose a %s from the list", field);
	int rc = row_exists(db, sql, *out, &yes);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!yes)
		return errinfo_set(e, HE_INVALID, field, "Choose a %s from the list", field);
	return HE_OK;
}

static int places(struct db *db, const struct report_inputs *in, struct report_filter *f,
		  struct errinfo *e)
{
	int rc = place_id(db, in->district, "district", "SELECT 1 FROM districts WHERE id = :id",
			  &f->district_id, e);
	if (!rc)
		rc = place_id(db, in->school, "school", "SELECT 1 FROM schools WHERE id = :id",
			      &f->school_id, e);
	if (rc)
		return rc;
	const char *ph = nz(in->phase);
	if (*ph && (strlen(ph) >= sizeof f->phase || !school_phase_valid(ph)))
		return errinfo_set(e, HE_INVALID, "phase", "Choose a school phase from the list");
	snprintf(f->phase, sizeof f->phase, "%s", ph);
	return HE_OK;
}

/* Who sees what: see the file comment. */
static int apply_scope(const struct scope *s, struct report_filter *f, struct errinfo *e)
{
	if (caps_has(s->caps, CAP_REPORTS))
		return HE_OK;
	if (caps_has(s->caps, CAP_REPORTS_OWN)) {
		if (!s->school_id)
			return errinfo_set(e, HE_FORBIDDEN, "school", "Your account is not linked to a school");
		if (f->school_id && f->school_id != s->school_id)
			return errinfo_set(e, HE_FORBIDDEN, "school", "You can only see your own school's figures");
		f->school_id = s->school_id;
		return HE_OK;
	}
	if (caps_has(s->caps, CAP_REPORTS_AGGREGATE)) {
		f->suppress = true;
		return HE_OK;
	}
	return errinfo_set(e, HE_FORBIDDEN, "", "You do not have permission to see reports");
}

int report_filter_from(struct db *db, const struct scope *s, const struct report_inputs *in,
		       struct report_filter *f, struct errinfo *e)
{
	static const struct report_inputs none;
	memset(f, 0, sizeof *f);
	if (!in)
		in = &none;
	int rc = period_bounds(in, f, e);
	if (!rc)
		rc = places(db, in, f, e);
	if (!rc)
		rc = apply_scope(s, f, e);
	if (rc)
		return rc;
	set_label(f);
	return HE_OK;
}

void report_months(const struct report_filter *f, hday *first_days, size_t max, size_t *n)
{
	*n = 0;
	if (max > REPORT_MAX_MONTHS)
		max = REPORT_MAX_MONTHS;
	for (hday d = month_first(f->from); d <= f->to && *n < max; d = month_add(d, 1))
		first_days[(*n)++] = d;
}
