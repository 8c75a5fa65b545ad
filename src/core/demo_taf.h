/* demo_taf.h — the demo's assessments, plans, reviews, Team Around the
 * Family meetings and directory (issue 6).
 *
 * `hearth demo` calls demo_seed_taf after demo_seed_cases.  It fills the
 * directory with the city's partner agencies (education welfare, school
 * nursing, children's social care, CAMHS, health visiting, housing,
 * Jobcentre Plus, police, Women's Aid, a food bank, Citizens Advice, the
 * young carers service) and about thirty professionals, linking the demo
 * agency user (agency@hearth.example) to Grace Mensah, an education
 * welfare officer.  Then, for every open case of the demo worker (Sam
 * Whitfield) and a share of the pool's other open cases: an initial
 * assessment soon after the case opened, a plan of actions owned by the
 * family, the worker and agencies (by the referral's needs), a TAF
 * meeting held with attendance, minutes, decisions and actions, reviews
 * every six weeks with re-assessments that mostly improve (distance
 * travelled), and for some a meeting in the next fortnight.  Grace is
 * invited to meetings held and upcoming and owns actions, some overdue;
 * one of Sam's cases has an overdue action.  A few deliberate duplicates
 * give the joint audit findings: a sibling referred again by a second
 * school and accepted for another worker (two open cases, two leads, a
 * pupil referred by two schools), two agencies working on one family's
 * housing, and an agency carrying another family's plan.
 *
 * Everything goes through the core functions (agency_save,
 * professional_save, assess_record, plan_action_add, plan_review_add,
 * taf_schedule, taf_invite, taf_record, referral_create, referral_decide)
 * as the system scope.  Deterministic from the seed and the database. */
#ifndef HEARTH_DEMO_TAF_H
#define HEARTH_DEMO_TAF_H
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"

struct db;
struct audit_who;

/* Seed the directory and the case work as who.  Does nothing (HE_OK) when
 * the directory already has agencies; seeds only the directory when there
 * are no open cases.  Must not be called inside a transaction.  A change
 * the core refuses for a date in the past (a meeting held, an action
 * already due) is skipped and counted in the log, not fatal; any other
 * failure stops the seeding there and is returned.  Progress lines go to
 * log if not NULL. */
int demo_seed_taf(struct db *db, const struct audit_who *who, uint32_t seed, hday today, FILE *log);

#endif
