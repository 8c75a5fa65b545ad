/* report.h — the impact reports' common parts: who sees which figures
 * (the report filter and its scope), the table every report is built as,
 * and small-number suppression.
 *
 * Every report (activity by month, caseloads and waits, money, outcomes,
 * risk and reach, surveys) is computed by a core function into one or more
 * struct rtable; the web layer (web/report_out.h) prints a table as a GOV.UK
 * table with an SVG chart, as JSON, CSV and XLSX, and in the printable
 * Schools Forum report — so a figure is computed once and every output
 * agrees with every other.
 *
 * Who sees what.  CAP_REPORTS (admin, coordinator): every figure.
 * CAP_REPORTS_OWN (school users): the filter is forced to their own school
 * (school_id), nothing suppressed (the families are the school's own).
 * CAP_REPORTS_AGGREGATE alone (the viewer, a Schools Forum member): every
 * school, but a count from 1 to 4 is shown as "fewer than 5"
 * (REPORT_SUPPRESS_BELOW), and a rate or average computed from fewer than
 * 5 is not shown, so no family can be identified.  Zero is shown as 0.
 * Suppression is applied when a table is printed (rtable cells keep the
 * true values; the printer decides), except that a report computing a
 * derived figure (a median, a rate) from fewer than 5 cases marks the cell
 * RC_SMALL_BASE itself. */
#ifndef HEARTH_REPORT_H
#define HEARTH_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"

struct db;
struct scope;

#define REPORT_SUPPRESS_BELOW 5

/* What a report covers.  from/to: the period, inclusive (hday).  0 ids and
 * "" phase: any.  Built by report_filter_from (web: query parameters). */
struct report_filter {
	hday from, to;
	int64_t district_id;
	int64_t school_id;
	char phase[16];          /* a school_phases[] code or "" */
	bool suppress;           /* print counts 1–4 as "fewer than 5" */
	/* for headings: "1 April 2025 to 31 March 2026", "All districts" … */
	char period_label[64];
};

/* The kind of a value: how it is printed (and whether it is suppressed). */
enum rcell {
	RC_COUNT = 0,   /* a count of families, cases, referrals: suppressible */
	RC_PENCE,       /* money, integer pence: "£1,234.56"; never suppressed */
	RC_PERMILLE,    /* a rate ×1000: 157 → "15.7%" */
	RC_DAYS,        /* a number of days */
	RC_TENTHS,      /* a number ×10: 37 → "3.7" (averages, scores) */
};
#define RC_NONE INT64_MIN         /* a cell with no value: printed "–" */
#define RC_SMALL_BASE (INT64_MIN + 1) /* computed from fewer than 5: "fewer than 5" when suppressing, else "–" */

/* One row: a label and ncols values (a total column, if the table has one,
 * is the last value). */
struct rrow {
	const char *label;
	const char *key;         /* stable machine name for JSON/CSV: "referrals_school_primary" */
	enum rcell kind;
	int64_t *v;              /* ncols values (arena) */
	int indent;              /* 0, or 1 for a breakdown row under the one above */
	const char *detail;      /* the text of the table's detail column (see detail_head) */
};

/* A table: one row per measure, one column per month (or school type …). */
struct rtable {
	const char *id;          /* "activity" — HTML id, JSON key, file name, XLSX sheet */
	const char *title;       /* "Activity by month" */
	const char *caption;     /* one sentence saying what it counts */
	const char *label_head;  /* the first column's heading: "Measure" */
	size_t ncols;
	const char **cols;       /* column headings: "Apr 2025" … "Total" */
	const char **col_keys;   /* JSON/CSV keys: "2025-04" … "total" */
	size_t nrows, cap;
	struct rrow *rows;
	bool has_total;          /* the last column is a total */
	const char *chart_row;   /* key of a row to chart across the columns (NULL: none) */
	/* A table of things (a row per worker) rather than of measures: each
	 * column's kind (NULL: each row's kind, the usual), and a text column
	 * after the label with this heading, from each row's detail (NULL:
	 * none).  Zeroed by rtable_new; set by the report that wants them. */
	const enum rcell *col_kinds;
	const char *detail_head;
};

/* A new table with ncols columns (headings and keys copied into a). */
struct rtable *rtable_new(struct arena *a, const char *id, const char *title, const char *caption,
			  const char *label_head, size_t ncols, const char *const *cols,
			  const char *const *col_keys, bool has_total);
/* Add a row (values zeroed, returned for the caller to fill). */
int64_t *rtable_row(struct arena *a, struct rtable *t, const char *key, const char *label,
		    enum rcell kind, int indent);
/* The row with key, or NULL. */
struct rrow *rtable_find(struct rtable *t, const char *key);

/* The filter for scope s from query-style inputs (any may be NULL/""):
 * period "month" | "financial" | "academic" | "custom" with year (the
 * first calendar year) or from/to (YYYY-MM-DD); district, school (ids),
 * phase.  Default: the last 12 whole months to the end of this month.
 * Applies the scope (CAP_REPORTS_OWN → own school; aggregate-only →
 * suppress).  HE_INVALID naming "period", "year", "from", "to",
 * "district", "school" or "phase"; HE_FORBIDDEN (via errinfo) if a school
 * user asks for another school. */
struct report_inputs { const char *period, *year, *from, *to, *district, *school, *phase; };
int report_filter_from(struct db *db, const struct scope *s, const struct report_inputs *in,
		       struct report_filter *f, struct errinfo *e);

/* Months of the filter's period: *n months starting at the first day of
 * from's month (at most 240). */
void report_months(const struct report_filter *f, hday *first_days, size_t max, size_t *n);

/* A report section: one table from the filter.  The registry
 * report_sections[] (core/report_sections.c, kept by the lead) lists every
 * section in the order of the printable Schools Forum report and the
 * dashboard JSON. */
typedef int report_fn(struct db *db, struct arena *a, const struct report_filter *f,
		      struct rtable **out);
struct report_section {
	const char *id;          /* "activity" */
	const char *title;       /* "Activity by month" */
	const char *path;        /* its page: "/reports/activity" */
	report_fn *fn;
};
extern const struct report_section report_sections[];
extern const size_t report_nsections;

/* SQL fragment helpers are deliberately absent: each report binds
 * :from, :to, :district, :school, :phase itself and writes its WHERE as
 * "(:school = 0 OR s.id = :school) AND (:district = 0 OR s.district_id =
 * :district) AND (:phase = '' OR s.phase = :phase)" so every query binds
 * its parameters. */

#endif
