/* demo_cases.h — the demo's pool of workers, referrals and cases.
 *
 * `hearth demo` calls demo_seed_cases after the demo partnership and its
 * pupils exist.  It gives the pool two dozen workers (the demo worker
 * user, Sam Whitfield, is one of them) and eighteen months of work: about
 * 400 referrals from the partnership's schools (higher-risk pupils more
 * likely, siblings at other schools sometimes named), each screened —
 * most accepted and allocated, some signposted, declined or stepped up —
 * and cases with their contacts, transfers, step-ups, step-downs and
 * closures.  Today, Sam has about a dozen open cases (one review
 * overdue, visits planned this week) and covers a colleague on leave;
 * the demo school (DEMO_SCHOOL_URN) has referrals in every state, and a
 * few referrals wait in the coordinator's queue.
 *
 * Everything goes through the real core functions (worker_save,
 * referral_create, referral_decide, contact_add, case_transfer,
 * case_step_up, case_step_down, case_close, case_set_review,
 * worker_cover_add) as the system scope, so the demo obeys the same rules
 * and writes the same audit and chronology rows as users do.  Dates are
 * relative to today; everything else is a function of the seed and the
 * pupils in the database. */
#ifndef HEARTH_DEMO_CASES_H
#define HEARTH_DEMO_CASES_H
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"

struct db;
struct audit_who;

/* Seed the pool and its cases as who.  Does nothing (HE_OK) when the
 * database is not the demo partnership or already has workers; seeds the
 * workers but no referrals when there are no pupils.  Each change runs in
 * the transaction of the core function that makes it, so this must not be
 * called inside one; a failure stops the seeding there (what was made
 * stays) and is logged with its field.  Progress lines go to log if not
 * NULL.  Returns HE_OK or the first failure's code. */
int demo_seed_cases(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		    FILE *log);

#endif
