/* report_activity.h — the impact reports about the service's activity:
 * activity by month, caseloads, and waits from referral to allocation.
 * Each is a report section (core/report.h: report_fn), so its table is
 * printed as a page, JSON, CSV, XLSX and in the Schools Forum report by
 * web/report_out.h, figure for figure the same.
 *
 * Every count adds the live records and the history from before Hearth
 * (history_cases/history_events) where the measure exists in both.  The
 * filter's school, district and phase are the referring school's (a
 * referral's school_id; a case's, its referral's; a history case's,
 * history_cases.school_id), so a filtered report counts nothing that came
 * without a school (agencies, self-referrals) — except a step-down, which
 * counts for the school of the case that was stepped down.
 *
 * Dates.  A figure falls in the month of its date: a referral's day of
 * receipt, a decision's day, a case's opened_on / closed_on, a step-up's
 * and a step-down's day, a history event's on_date.  A case is open from
 * the day it is opened until the day it is closed or stepped up to
 * children's social care (whichever comes first); "open at month end"
 * counts the cases open at the end of each month's last day. */
#ifndef HEARTH_REPORT_ACTIVITY_H
#define HEARTH_REPORT_ACTIVITY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "core/report.h"

struct db;

/* Activity by month (table id "activity"): a row per measure, a column
 * per month of f's period and a Total column.  Rows (keys):
 *   referrals                 referrals received, then by source:
 *     referrals_school_<phase>  one per phase of the (filtered) schools
 *     referrals_agency, referrals_step_down, referrals_self
 *     (history rows with a school not known or no source:
 *      referrals_school_unknown, referrals_unknown, shown when not 0)
 *   accepted, signposted, declined      screening decisions
 *   opened                    cases opened (allocated to a worker)
 *   closed                    cases closed, then closed_<reason> for
 *                             each closure reason (case_closure_reasons)
 *   stepped_down              stepped down to the pool from social care
 *   stepped_up                stepped up to children's social care (at
 *                             screening or from an open case)
 *   open_month_end            cases open at the end of the month; its
 *                             Total is the last month's figure
 * chart_row "referrals".  One query.  Allocated from a; HE_OK or a
 * database error. */
int report_activity(struct db *db, struct arena *a, const struct report_filter *f,
		    struct rtable **out);

/* Activity and waits read the sums kept by migrations/0016
 * (activity_months, wait_months) when nothing is filtered, the period is
 * whole months and no row is irregular, and the base rows otherwise; the
 * figures are the same either way.  false: always the base rows (for the
 * tests and the bench, which compare the two). */
extern bool report_activity_kept;

/* Caseloads (table id "caseloads"): the workers' loads as at the end of
 * f's period (today if that is later).  A row per worker — the active
 * ones, and any other with an open case; with a school, district or phase
 * filter only workers with an open case from it — in name order, then a
 * last row "All workers" (key "total"), so that forty workers read down
 * the page.  Columns (t->col_kinds: each column one kind of figure):
 * open_cases, weighted (Σ intensity), capacity (2 × max caseload, in
 * weighted places) and percent_of_capacity (weighted ÷ capacity,
 * RC_PERMILLE); t->detail_head "Employer and role", each row's detail
 * "Ratae Academy, Family support worker".  No chart_row.  When
 * f->suppress (the viewer), workers are not named ("Worker 1" …, keys
 * worker_1 …; else worker_<id>), there is no employer and role column, and
 * a worker's weighted caseload and share with 1–4 open cases are
 * RC_SMALL_BASE.  History cases have no worker in Hearth: not counted. */
int report_caseloads(struct db *db, struct arena *a, const struct report_filter *f,
		     struct rtable **out);

/* Waits (table id "waits"): days from referral (day received) to
 * allocation (the case opened), for the cases opened in f's period, by
 * month of allocation (so it reads alongside the activity table and shows
 * the trend; the school phase is a filter) plus Total.  Rows: allocated
 * (count), median_days, p90_days (nearest rank: the smallest wait at or
 * under which 90% of them fall).  The median of an even number is the
 * mean of the middle two, rounded half up.  A median or percentile of
 * fewer than 5 waits is RC_SMALL_BASE.  History counts (first referred
 * event to first allocated event). */
int report_waits(struct db *db, struct arena *a, const struct report_filter *f,
		 struct rtable **out);

/* The median (rounded half up) and the nearest-rank p-th percentile
 * (1–100) of n sorted values; RC_SMALL_BASE when n < REPORT_SUPPRESS_BELOW. */
int64_t report_activity_median(const int64_t *sorted, size_t n);
int64_t report_activity_percentile(const int64_t *sorted, size_t n, int p);

#endif
