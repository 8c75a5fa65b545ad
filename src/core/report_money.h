/* report_money.h — the money report (spend and commitments by budget and
 * by funding source, cost per family, families engaged per academic year)
 * and the risk and reach report (high-risk pupils against the ones our
 * cases reach), as report sections (core/report.h).
 *
 * Every function is a report_fn: it reads the filter (period, district,
 * school, phase; the scope was applied by report_filter_from), builds one
 * struct rtable in a, and returns HE_OK or a storage error.  None audits
 * (the page or API that prints the table does) and none checks a
 * capability (the route table does).
 *
 * Budgets and sources.  The budgets whose year (budget.h) overlaps the
 * period: every school budget of the schools the filter selects, and —
 * when no school or phase is chosen — the district budgets (of the chosen
 * district), and the partnership's (when nothing is chosen).  Each
 * budget's figures are budget_position's (today's position).  A funding
 * source's contribution is summed over those budgets by its name; its
 * share of the spend is each budget's spent divided among the budget's
 * sources in proportion to their amounts (largest remainder, so the
 * sources' spent adds up to the budgets' spent to the penny).
 *
 * Cost per family.  Since Hearth: cost_window_sum (cost.c owns the rules:
 * cases open at any time in the period, contacts held and commissions
 * approved in it, committed and spent, worker time costed once per case)
 * for the cases the filter's schools referred; for a whole financial or
 * academic year without filters it equals cost_report_run to the penny,
 * and for one school the sum of the year's rows of the cases it referred
 * (test_report_money.c checks both, family by family).  History from
 * before Hearth (history_cases): a case counts from its "allocated" event until its
 * first "closed" or "step_up" event; its "commission" events in the
 * period count as spent; no worker time was recorded.  Live families are
 * counted by family, history families by their old family_ref.
 *
 * Reach.  A pupil is high risk when their latest pupil_snapshots row on or
 * before the period's end has risk_band 'high'; they are reached when a
 * case of one of their referrals (referral_pupils) or a history case
 * naming them (history_cases.pupil_id) was open at the period's end or
 * open at any time in the 12 months before it. */
#ifndef HEARTH_REPORT_MONEY_H
#define HEARTH_REPORT_MONEY_H
#include "core/report.h"

/* "money_budgets": a row per budget (key "budget_<id>") and a total row
 * ("total"); columns amount, committed, spent, pending, available. */
int report_money_budgets(struct db *db, struct arena *a, const struct report_filter *f,
			 struct rtable **out);
/* "money_sources": rows contribution, pool_share (permille), spent,
 * spend_share (permille); a column per funding source (by contribution,
 * largest first) and a total column. */
int report_money_sources(struct db *db, struct arena *a, const struct report_filter *f,
			 struct rtable **out);
/* "money_families": rows families, cases, commissioned, worker_time,
 * total_cost, per_family; columns live ("Since Hearth"), history
 * ("Before Hearth") and total.  per_family from 1–4 families is
 * RC_SMALL_BASE when the filter suppresses. */
int report_money_families(struct db *db, struct arena *a, const struct report_filter *f,
			  struct rtable **out);
/* "money_engaged": a row per academic year the period touches (key
 * "ay_2025"), counting the whole academic year: families with a case open
 * at any time in it (cost.h's COST_CASES_OPEN); columns live, history,
 * total (distinct family references across both). */
int report_money_engaged(struct db *db, struct arena *a, const struct report_filter *f,
			 struct rtable **out);
/* "reach": rows high_risk, reached, gap, pct_reached (permille; from 1–4
 * pupils RC_SMALL_BASE when suppressing); a column per district, or per
 * school when the filter names a district or a school; a total column. */
int report_reach(struct db *db, struct arena *a, const struct report_filter *f,
		 struct rtable **out);

#endif
