/* jointaudit.h — the joint audit of case work: the coordinator's
 * duplication check.
 *
 * Staffordshire audits case work jointly with its schools "to ensure
 * quality as well as to avert duplication".  The joint audit reads the
 * cases, referrals and plans and lists every family where work may be
 * duplicated, under four checks (each explained in plain words on the page
 * and in the export):
 *
 *   open_cases    a family with more than one open case;
 *   lead          a family with more than one lead professional: its open
 *                 cases are led by different workers, or an agency
 *                 professional carries the plan — owns at least
 *                 JOINTAUDIT_LEAD_ACTIONS open actions on one open case,
 *                 more than the case's own worker does;
 *   two_schools   a pupil referred by two or more different schools within
 *                 the period (the last `months` months, 12 by default);
 *   same_need     two or more professionals (of one agency or of several)
 *                 each owning open actions on the same need of the same
 *                 family's open cases.
 *
 * "Open" actions are those not done and not dropped (plan_status_open):
 * not_started, in_progress and not_done.  Only open cases count for
 * open_cases, lead and same_need; two_schools counts every referral from
 * a school received in the period, whatever became of it.
 *
 * Each finding names the family and links to the cases concerned (and,
 * for two_schools, the referrals).  Running the audit needs
 * CAP_CASES_ALL (HE_FORBIDDEN otherwise) and writes one audit row (a
 * "view", or an "export"); it changes nothing. */
#ifndef HEARTH_JOINTAUDIT_H
#define HEARTH_JOINTAUDIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"

struct db;
struct scope;

#define JOINTAUDIT_LEAD_ACTIONS 3      /* open actions that make an agency a second lead */
#define JOINTAUDIT_MONTHS 12           /* the default period of the two_schools check */
#define JOINTAUDIT_MAX_FINDINGS 500    /* per check */

enum jointaudit_check { JA_OPEN_CASES, JA_LEAD, JA_TWO_SCHOOLS, JA_SAME_NEED, JA_NCHECKS };

/* A check's code ("open_cases"), title ("Families with more than one
 * open case") and its explanation in plain words. */
struct jointaudit_check_info { const char *code, *title, *explanation; };
extern const struct jointaudit_check_info jointaudit_checks[JA_NCHECKS];

/* A record a finding concerns: a case ("C-000123", href "/cases/C-000123")
 * or a referral ("R-000045"); label says who or what ("led by Sam
 * Whitfield", "from Ratae Academy on 2026-03-02"). */
struct jointaudit_link { const char *ref, *href, *label; bool is_case; };

struct jointaudit_finding {
	enum jointaudit_check check;
	int64_t family_id;
	char family_ref[16];
	const char *family_name;
	const char *summary;             /* what was found, in a sentence */
	struct jointaudit_link *links;
	size_t nlinks;
};

struct jointaudit {
	char since[11];                  /* first day of the two_schools period */
	int months;
	struct jointaudit_finding *findings;   /* grouped by check, in check order */
	size_t n;
	int count[JA_NCHECKS];
	bool truncated;                  /* some check hit JOINTAUDIT_MAX_FINDINGS */
};

/* Run every check as of today, the two_schools period being the last
 * months months (0: JOINTAUDIT_MONTHS; 1–36, else HE_INVALID field
 * "months").  Everything is allocated from a.  Writes one audit row in
 * its own transaction (so call it outside one): action "export" when
 * export is true ("view" otherwise), entity "joint_audit", with the
 * counts.  HE_FORBIDDEN without CAP_CASES_ALL; HE_OK or a db error. */
int jointaudit_run(struct db *db, struct arena *a, const struct scope *s, hday today, int months,
		   bool export, struct jointaudit *out, struct errinfo *e);

/* The check of this code ("lead"); -1 if unknown. */
int jointaudit_check_by_code(const char *code);

#endif
