/* report_outcome.h — what changed for the families the partnership helped:
 * the outcomes of cases closed in a period, and the assessment distance
 * travelled by domain (two sections of the impact reports, core/report.h).
 *
 * Whose figures.  The cases closed in the filter's period: live cases
 * (status closed, closed_on in the period) and cases from before Hearth
 * (history_events "closed" in the period).  A case belongs to a school
 * when the referral came from it or one of the children it concerned
 * attends it (history: the case's school, else its pupil's); the district
 * and phase filters are those schools'.  With no school, district or
 * phase chosen every case counts, a self-referral with no school too.
 * The children are the pupils the case's referral named (history: the
 * case's pupil, when its UPN was known), counted only when their own
 * school passes the filter (a school sees its own pupils' figures).
 *
 * Before and after come from the census imports (pupil_snapshots), never
 * from hand entry:
 *   before = the latest snapshot dated before the start of the school term
 *            (base/date.h term_of) in which the family was referred — the
 *            term before referral;
 *   after  = the child's latest snapshot, if it is dated on or after the
 *            referral.
 * Each measure is over the children who have it in both snapshots:
 * attendance (sessions attended / possible, a child's rate; the average of
 * the children's rates, RC_PERMILLE), suspensions (children suspended at
 * least once, and the number of suspensions), attainment (children below
 * the expected standard).
 * Stabilised: closed with outcomes met and the family not referred again
 * within 6 months of the closure (a later referral of the same family;
 * history: of the same family reference).  A case closed less than 6
 * months ago counts as stabilised while no new referral has come.  The
 * share is of all cases closed.
 * Destinations at 16: the latest destination (destination.h) of each
 * child of those cases who has one, each child once.
 *
 * Distance travelled: for each live case closed in the period with at
 * least two assessments, its first and latest assessment (by date, then
 * id); per domain scored in both, the average first score, latest score
 * and change, ×10 (RC_TENTHS, rounded half away from zero).  History has
 * no assessments.
 *
 * Small numbers.  Counts keep their true values (the printer suppresses
 * 1–4 for the viewer); an average or share computed from 1–4 children or
 * cases is RC_SMALL_BASE when the filter suppresses, so no family can be
 * identified from it; from none it is RC_NONE. */
#ifndef HEARTH_REPORT_OUTCOME_H
#define HEARTH_REPORT_OUTCOME_H
#include "core/report.h"

/* The outcomes table (id "outcomes"): one column "value", rows
 * cases_closed, families, outcomes_met, stabilised, stabilised_share,
 * attendance_children, attendance_before, attendance_after,
 * suspension_children, suspended_before, suspended_after,
 * suspensions_before, suspensions_after, attainment_children,
 * below_expected_before, below_expected_after, destinations,
 * destination_education, _employment, _training, _neet, _unknown.
 * Allocated from a.  Returns HE_OK or a db error.  A report_fn. */
int report_outcomes(struct db *db, struct arena *a, const struct report_filter *f,
		    struct rtable **out);

/* The distance travelled table (id "distance"): columns first, latest,
 * change; a row "cases" (the cases with two assessments, in the first
 * column) then one row per domain ("domain_<code>") in the partnership's
 * domain order.  A report_fn. */
int report_distance(struct db *db, struct arena *a, const struct report_filter *f,
		    struct rtable **out);

/* The term-before-referral rule, exposed for tests: the first day of the
 * school term containing day. */
hday report_outcome_term_start(hday day);

#endif
