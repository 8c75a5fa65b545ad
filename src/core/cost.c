/* cost.c — cost per family: money commissioned plus worker time, per case
 * and for a year (see cost.h).
 *
 * One query reads the cases with their minutes and money as correlated
 * sums over contacts and commissions, within a date window: a whole life
 * for the family page ("0000-00-00" to "9999-12-31"), or a year for the
 * report.  The money expressions are budget.h's definitions of committed
 * and spent, applied to one case's commissions; everything is integer
 * pence and the only division (time, and the cost per family) rounds
 * half up once. */
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
#define ALL_TO "9999-12-31"

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

/* The window's date of a commission: its approval's, else its request's. */
#define M_DAY "substr(coalesce(m.decided_at, m.requested_at), 1, 10)"
#define M_IN " AND " M_DAY " >= :from AND " M_DAY " <= :to"

static const char cases_sql[] =
	"SELECT c.id, c.family_id, c.ref, f.ref, f.name, coalesce(s.name, ''), w.name,"
	" c.status, c.opened_on,"
	" (SELECT coalesce(sum(t.duration_min), 0) FROM contacts t WHERE t.case_id = c.id"
	"  AND t.planned = 0 AND substr(t.at, 1, 10) >= :from AND substr(t.at, 1, 10) <= :to),"
	/* committed: estimate, or actual once delivered, of approved and delivered */
	" (SELECT coalesce(sum(CASE WHEN m.status = 'delivered' THEN coalesce(m.actual_pence,"
	"  m.estimate_pence) ELSE m.estimate_pence END), 0) FROM commissions m"
	"  WHERE m.case_id = c.id AND m.status IN ('approved', 'delivered')" M_IN "),"
	/* spent: actual − refunded of paid */
	" (SELECT coalesce(sum(coalesce(m.actual_pence, m.estimate_pence) - m.refunded_pence), 0)"
	"  FROM commissions m WHERE m.case_id = c.id AND m.status = 'paid'" M_IN "),"
	/* pending: estimate of requested, by the request's date */
	" (SELECT coalesce(sum(m.estimate_pence), 0) FROM commissions m WHERE m.case_id = c.id"
	"  AND m.status = 'requested' AND substr(m.requested_at, 1, 10) >= :from"
	"  AND substr(m.requested_at, 1, 10) <= :to),"
	" (SELECT count(*) FROM commissions m WHERE m.case_id = c.id"
	"  AND m.status IN ('approved', 'delivered', 'paid')" M_IN ")"
	" FROM cases c JOIN families f ON f.id = c.family_id"
	" JOIN referrals r ON r.id = c.referral_id JOIN workers w ON w.id = c.worker_id"
	" LEFT JOIN schools s ON s.id = r.school_id"
	" WHERE (:case = 0 OR c.id = :case) AND c.opened_on <= :to"
	" AND (c.closed_on IS NULL OR c.closed_on >= :from)"
	/* a case stepped up to social care stops being ours on the step-up */
	" AND NOT (c.status = 'stepped_up' AND coalesce((SELECT max(e.on_date) FROM case_events e"
	"  WHERE e.case_id = c.id AND e.kind = 'step_up'), c.opened_on) < :from)"
	" ORDER BY f.ref, c.ref";

static void read_case(struct db_stmt *st, struct arena *a, int64_t hour_pence,
		      struct cost_case *c)
{
	memset(c, 0, sizeof *c);
	c->case_id = db_int(st, 0);
	c->family_id = db_int(st, 1);
	snprintf(c->ref, sizeof c->ref, "%s", db_text(st, 2));
	snprintf(c->family_ref, sizeof c->family_ref, "%s", db_text(st, 3));
	c->family_name = arena_strdup(a, db_text(st, 4));
	c->school_name = arena_strdup(a, db_text(st, 5));
	c->worker_name = arena_strdup(a, db_text(st, 6));
	c->status = arena_strdup(a, db_text(st, 7));
	c->opened_on = arena_strdup(a, db_text(st, 8));
	c->minutes = db_int(st, 9);
	c->committed_pence = db_int(st, 10);
	c->spent_pence = db_int(st, 11);
	c->pending_pence = db_int(st, 12);
	c->commissions = (int)db_int(st, 13);
	c->time_pence = cost_time_pence(c->minutes, hour_pence);
	c->commissioned_pence = c->committed_pence + c->spent_pence;
	c->total_pence = c->commissioned_pence + c->time_pence;
}

/* The cases (one, or every one open in the window) with their costs. */
static int read_cases(struct db *db, struct arena *a, int64_t case_id, const char *from,
		      const char *to, int64_t hour_pence, struct cost_case **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, cases_sql);
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":to", to);
	size_t cap = 64;
	struct cost_case *v = xcalloc(cap, sizeof *v);
	*n = 0;
	while (db_next(st)) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		read_case(st, a, hour_pence, &v[(*n)++]);
	}
	int rc = db_finalize(st);
	*out = arena_alloc(a, (*n ? *n : 1) * sizeof **out);
	memcpy(*out, v, *n * sizeof *v);
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

static int cmp_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static void totals(struct cost_report *rep)
{
	int64_t *fam = xcalloc(rep->ncases ? rep->ncases : 1, sizeof *fam);
	for (size_t i = 0; i < rep->ncases; i++) {
		const struct cost_case *c = &rep->cases[i];
		rep->minutes += c->minutes;
		rep->time_pence += c->time_pence;
		rep->committed_pence += c->committed_pence;
		rep->spent_pence += c->spent_pence;
		rep->pending_pence += c->pending_pence;
		rep->commissioned_pence += c->commissioned_pence;
		rep->total_pence += c->total_pence;
		fam[i] = c->family_id;
	}
	qsort(fam, rep->ncases, sizeof *fam, cmp_id);
	for (size_t i = 0; i < rep->ncases; i++)
		rep->families += i == 0 || fam[i] != fam[i - 1];
	free(fam);
	rep->per_family_pence = cost_div_round(rep->total_pence, rep->families);
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
