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
