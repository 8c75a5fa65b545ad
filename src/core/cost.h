/* cost.h — what each family's support cost: money commissioned for the
 * case plus the worker time spent with the family, per case and for a
 * year (the Central Learning Partnership's "788 families at £73 each").
 *
 * Money (integer pence, never floating point), by the definitions of the
 * budget position (budget.h), applied to one case's commissions:
 *   committed = Σ estimate (actual once delivered) of approved and
 *               delivered commissions;
 *   spent     = Σ (actual − refunded) of paid ones;
 *   commissioned = committed + spent (declined, cancelled and requested
 *               ones count nothing; requested ones are shown as pending).
 * Worker time: the held contacts' durations (planned visits do not count)
 * at setting cost.worker_hour_pence (3200 = £32.00 an hour):
 *   time cost = Σ duration_min × hour_pence / 60, in integer arithmetic,
 *   rounded half up to the penny ONCE, after summing a case's minutes
 *   (cost_time_pence) — never per contact.
 * A case's total = commissioned + time cost.
 *
 * A year (the financial year 1 April – 31 March, or the academic year
 * 1 September – 31 August, named by its first calendar year): the cases
 * open at any time in it (opened on or before its last day, and not
 * closed before its first; a case stepped up to social care counts until
 * its step-up), each with the minutes of its contacts held
 * in the year and the money of its commissions approved in the year (the
 * approval's date, decided_at, or the request's when it has none); the
 * families supported are the distinct families of those cases.  The
 * year's totals are the sums of the case rows (so the page's table, the
 * CSV and the API add up to the penny), and the cost per family is the
 * total divided by the families, rounded half up to the penny. */
#ifndef HEARTH_COST_H
#define HEARTH_COST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"

struct db;
struct scope;

#define COST_HOUR_PENCE_DEFAULT 3200   /* when the setting is absent */

/* One case's cost (all time, or within a year). */
struct cost_case {
	int64_t case_id, family_id;
	char ref[16], family_ref[16];
	const char *family_name, *school_name, *worker_name, *status, *opened_on;
	int64_t minutes;              /* held contacts' durations */
	int64_t time_pence;           /* cost_time_pence(minutes, hour_pence) */
	int64_t committed_pence, spent_pence, pending_pence;
	int64_t commissioned_pence;   /* committed + spent */
	int64_t total_pence;          /* commissioned + time */
	int commissions;              /* counted ones (approved, delivered, paid) */
};

/* A year's cost per family. */
struct cost_report {
	char period[12];              /* "financial" or "academic" */
	int start_year;
	char from[11], to[11];        /* "2026-04-01", "2027-03-31" */
	const char *label;            /* "Financial year 2026–27" */
	int64_t hour_pence;
	int families;                 /* distinct families of the cases */
	struct cost_case *cases;      /* by family ref, then case ref */
	size_t ncases;
	int64_t minutes, time_pence, committed_pence, spent_pence, pending_pence;
	int64_t commissioned_pence, total_pence;
	int64_t per_family_pence;     /* total / families, rounded half up; 0 without families */
};

/* ---- the rules, shared with the money report (core/report_money.c) ---------- */

/* Which cases a window counts, as SQL for statements that need the same
 * cases without their costs (families engaged, risk and reach).  FROM and
 * TO name bound parameters holding days (YYYY-MM-DD).  A case aliased C is
 * ours at some time from FROM to TO when it was opened on or before TO,
 * not closed before FROM, and not stepped up to social care before FROM
 * (a case stepped up stops being ours on its step-up; without a step_up
 * event, on its opening). */
#define COST_STEPPED_UP_BEFORE(C, FROM) \
	" (" C ".status = 'stepped_up' AND coalesce((SELECT max(e.on_date) FROM case_events e" \
	" WHERE e.case_id = " C ".id AND e.kind = 'step_up'), " C ".opened_on) < " FROM ")"
#define COST_CASE_OPEN(C, FROM, TO) \
	" (" C ".opened_on <= " TO " AND (" C ".closed_on IS NULL OR " C ".closed_on >= " FROM ")" \
	" AND NOT" COST_STEPPED_UP_BEFORE(C, FROM) ")"
/* The same cases as a SELECT of (case_id, family_id, referral_id), each
 * once, read from two index ranges on closed_on (still open; closed on or
 * after FROM) rather than every case ever opened.  J: joins on the case
 * (aliased c), F: more conditions, each starting " AND". */
#define COST_CASES_OPEN(J, F, FROM, TO) \
	"SELECT c.id AS case_id, c.family_id AS family_id, c.referral_id AS referral_id" \
	" FROM cases c" J " WHERE c.closed_on IS NULL AND c.opened_on <= " TO \
	" AND NOT" COST_STEPPED_UP_BEFORE("c", FROM) F \
	" UNION ALL SELECT c.id, c.family_id, c.referral_id FROM cases c" J \
	" WHERE c.closed_on >= " FROM " AND c.opened_on <= " TO \
	" AND NOT" COST_STEPPED_UP_BEFORE("c", FROM) F
/* The report filter on a school aliased S (bound :school, :district and
 * :phase; 0 and '' choose every one); cost_window_sum applies it to a
 * case's referring school (LEFT JOINed: a case without one passes only
 * when nothing is chosen). */
#define COST_SCHOOL_SEL(S) \
	" (:school = 0 OR " S ".id = :school) AND (:district = 0 OR " S ".district_id = :district)" \
	" AND (:phase = '' OR " S ".phase = :phase)"

/* The cases a cost_window_sum counts, beyond the window: those referred by
 * the school, the district's schools and the phase's (0 and NULL or ""
 * choose every one). */
struct cost_sel {
	int64_t school_id, district_id;
	const char *phase;
};

/* The figures of a set of cases: what a cost_report adds up. */
struct cost_sum {
	int64_t families, cases;      /* distinct families; cases */
	int64_t minutes, time_pence;  /* time costed per case, then summed */
	int64_t committed_pence, spent_pence, pending_pence;
	int64_t commissioned_pence, total_pence;
	int64_t per_family_pence;     /* total / families, rounded half up; 0 without families */
};

/* The cost of the cases open at any time from `from` to `to` that sel
 * chooses (NULL: all), by exactly the rules and arithmetic of
 * cost_report_run: for a whole financial or academic year and no
 * selection, out equals the report's totals to the penny.  Set-wise, never
 * a query per case: the cases, then their minutes and money from the sums
 * migration 0017 keeps by trigger (contact_months, contact_years,
 * commission_days; the contacts themselves only for partial months at the
 * window's ends), or from the contacts and commissions while a contact's
 * time cannot be placed in a month (see cost.c).  No audit, no capability
 * check (the caller's).  Returns HE_OK or a storage error. */
int cost_window_sum(struct db *db, hday from, hday to, const struct cost_sel *sel,
		    struct cost_sum *out);

/* minutes of worker time at hour_pence an hour, in pence, rounded half up
 * once: (minutes × hour_pence + 30) / 60.  Both non-negative. */
int64_t cost_time_pence(int64_t minutes, int64_t hour_pence);
/* a / b rounded half up (a ≥ 0, b > 0); 0 when b ≤ 0. */
int64_t cost_div_round(int64_t a, int64_t b);

/* The hourly cost of worker time (setting cost.worker_hour_pence;
 * COST_HOUR_PENCE_DEFAULT when absent or not a non-negative number). */
int cost_hour_pence(struct db *db, int64_t *pence);

/* The first and last day of the year: period "financial" (1 April
 * start_year – 31 March) or "academic" (1 September – 31 August).
 * HE_INVALID, field "period" or "year" (2000–2100). */
int cost_period_bounds(const char *period, int start_year, hday *from, hday *to,
		       struct errinfo *e);
/* The start year of the period containing day. */
int cost_period_year(const char *period, hday day);
/* "Financial year 2026–27" / "Academic year 2026–27", from a. */
const char *cost_period_label(struct arena *a, const char *period, int start_year);

/* One case's cost over its whole life, for its family page.  s must see
 * the case (case_visible), else HE_NOT_FOUND; no audit (the page has
 * audited the view of the record).  Strings are allocated from a. */
int cost_case_get(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
		  struct cost_case *out, struct errinfo *e);

/* The year's report.  CAP_REPORTS, else HE_FORBIDDEN.  Writes one audit
 * row in its own transaction (so call it outside one): action "export"
 * when export is true, else "view", entity "costs", summary naming the
 * year and the figures.  Everything is allocated from a. */
int cost_report_run(struct db *db, struct arena *a, const struct scope *s, const char *period,
		    int start_year, bool export, struct cost_report *out, struct errinfo *e);

/* The headline, from a: "Financial year 2026–27: 42 families supported at
 * £73.00 each — £3,066.00 in all (£1,234.00 commissioned services and
 * grants, £1,832.00 of worker time)."; "…: no families supported." */
const char *cost_headline(struct arena *a, const struct cost_report *rep);

#endif
