/* plan.h — the family's plan: SMART actions with one owner each, their
 * progress history, reviews on the case's cycle, and what is overdue.
 *
 * An action says what will be done and by when (description), which need
 * it addresses (a referral need code or an assessment domain code), who
 * owns it — a member of THIS family ("the family will…"), an active
 * worker ("we will…") or a professional from the directory ("other
 * services will…") — and its due date.  Its status moves through
 * plan_statuses; every change of status or progress is a new
 * action_updates row, never an overwrite.
 *
 * A review (on the cycle set by case.review_weeks, 6 by default) records
 * what happened, the family's view, progress and status for every open
 * action, optionally a re-assessment (assess_record_tx in the same
 * transaction), and the next review date; it moves cases.next_review_on
 * and the case's version.
 *
 * Scope.  Actions are read and changed by those who see the case
 * (case_visible); an agency user may read and update only the actions
 * they own (scope.professional_id == owner_professional_id), and only
 * while the family shares with their service (consent.h: "agencies", and
 * "health" or "social_care" for those services).  Anything else is
 * HE_NOT_FOUND and audited "denied".
 *
 * Refusals.  Changes to a closed or stepped-up case: HE_CONFLICT, field
 * "case".  An agency owner the family does not share with ("agencies",
 * and the service's own scope: consent_need_for_professional): HE_CONFLICT,
 * field "consent".  A stale version: HE_CONFLICT,
 * field "version".  Every change writes one audit row and a chronology
 * event ("action_agreed", "action_updated", "reviewed"). */
#ifndef HEARTH_PLAN_H
#define HEARTH_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

/* The statuses of an action still to be done, as an SQL list. */
#define PLAN_OPEN_STATUSES "('not_started','in_progress','not_done')"

struct db;
struct scope;
struct assess_in;

/* ---- the contract (issue #6) ------------------------------------------- */

/* not_started in_progress done not_done dropped; NULL-terminated. */
extern const char *const plan_statuses[];

struct action_in {
	const char *idem_key;            /* NULL: none; a repeat returns the first action */
	const char *description, *need, *owner_kind /* family|worker|agency */, *due_on;
	int64_t owner_member_id, owner_worker_id, owner_professional_id;   /* the one of owner_kind */
};

/* Check an action for case case_id without writing: description (1–2,000
 * characters), need (a referral need or an assessment domain code), owner
 * kind and exactly that owner (a member of the case's family, an active
 * worker, an active professional), due date (a real date, not in the
 * past).  HE_INVALID/HE_MISSING naming the field: "description", "need",
 * "owner" (the kind and the id are one choice), "due_on". */
int plan_action_check(struct db *db, int64_t case_id, const struct action_in *in, struct errinfo *e);

/* Add an action in the caller's transaction (HE_INTERNAL outside one):
 * scope (case_visible, else HE_NOT_FOUND + "denied"), open case, consent
 * for an agency owner, plan_action_check, then the row, its first update
 * (status not_started), chron "action_agreed" and audit "create".
 * meeting_id (0: none) is the TAF meeting that agreed it. */
int plan_action_add_tx(struct db *db, const struct scope *s, int64_t case_id, int64_t meeting_id,
		       const struct action_in *in, int64_t *id, struct errinfo *e);
/* The same in its own transaction. */
int plan_action_add(struct db *db, const struct scope *s, int64_t case_id, const struct action_in *in,
		    int64_t *id, struct errinfo *e);

/* Record progress on an action (caller's tx): status one of plan_statuses
 * (field "status"), progress text (≤ 5,000; required unless the status
 * changes), on the date it happened (NULL/"": today; not in the future,
 * not before the case opened; field "on").  Allowed for those who see the
 * case, or the agency user who owns the action; else HE_NOT_FOUND +
 * "denied".  version must match (HE_CONFLICT, field "version").  Writes an
 * action_updates row (review_id / meeting_id when it was recorded at a
 * review or a meeting; 0: none), chron "action_updated", audit "update". */
int plan_action_update_tx(struct db *db, const struct scope *s, int64_t action_id, int64_t version,
			  const char *status, const char *progress, const char *on, int64_t review_id,
			  int64_t meeting_id, struct errinfo *e);
/* The same in its own transaction. */
int plan_action_update(struct db *db, const struct scope *s, int64_t action_id, int64_t version,
		       const char *status, const char *progress, const char *on, struct errinfo *e);

/* May s see action action_id?  case_visible on its case, or s is the agency
 * user owning it while the family shares with their service.  *yes false
 * also for an unknown id. */
int plan_action_visible(struct db *db, const struct scope *s, int64_t action_id, bool *yes);

/* ---- beyond the contract --------------------------------------------------- */

/* "Not started", "In progress", "Done", "Not done", "Dropped". */
const char *plan_status_title(const char *status);
/* true for a known status; open = not done and not dropped ("not_done"
 * stays open: it has to be picked up at the review). */
bool plan_status_known(const char *status);
bool plan_status_open(const char *status);
/* The title of a need code: a referral need or an assessment domain
 * (allocated from a when looked up in the database); the code if unknown. */
const char *plan_need_title(struct db *db, struct arena *a, const char *code);

/* One action as read. */
struct plan_action {
	int64_t id, case_id, version, meeting_id;
	int64_t owner_member_id, owner_worker_id, owner_professional_id;
	const char *description, *need, *need_title, *owner_kind, *due_on, *status;
	const char *owner_name;      /* "Kim Hall", "Sam Whitfield" */
	const char *owner_detail;    /* relationship, or the professional's role and agency */
	const char *last_progress, *last_on;   /* the latest update ("" if none beyond agreeing it) */
	bool open;                   /* plan_status_open */
	int overdue_days;            /* > 0: open and past due */
};
/* The case's actions, ordered by owner kind (worker, family, agency) then
 * due date.  No audit: the caller has audited its view of the case. */
int plan_actions(struct db *db, struct arena *a, int64_t case_id, struct plan_action **out, size_t *n);

/* One update of an action's history. */
struct plan_update {
	const char *on_date, *status, *progress, *who, *recorded_at;
	int64_t review_id, meeting_id;
};
/* One action with its history, newest update first, as one audited
 * "view" (own tx); out of scope (or unknown): HE_NOT_FOUND + "denied". */
int plan_action_load(struct db *db, struct arena *a, const struct scope *s, int64_t action_id,
		     struct plan_action *out, struct plan_update **updates, size_t *nupdates,
		     struct errinfo *e);

/* The choices of a form: needs (the referral's needs first, then the
 * active assessment domains) and owners (the family's members, active
 * workers — the case's worker first — and the active professionals of
 * the services the family shares with: consent_agency_active). */
struct plan_choice { const char *kind, *code, *title, *detail; int64_t id; };
int plan_needs(struct db *db, struct arena *a, int64_t case_id, struct plan_choice **out, size_t *n);
int plan_owners(struct db *db, struct arena *a, int64_t case_id, struct plan_choice **out, size_t *n);

/* ---- reviews ----------------------------------------------------------------- */

/* Progress on one open action at a review. */
struct review_progress { int64_t action_id, version; const char *status, *progress; };
struct review_in {
	const char *idem_key;
	const char *held_on;             /* not in the future, not before the case opened */
	const char *summary, *family_view;
	const char *next_review_on;      /* NULL/"": held_on + case.review_weeks weeks; after held_on */
	const struct review_progress *progress; size_t nprogress;   /* EVERY open action, once */
	const struct assess_in *assessment;   /* NULL: no re-assessment */
};
/* Record a review (own tx): scope, open case, case version (HE_CONFLICT,
 * field "version"), progress on every open action (a missing one:
 * HE_MISSING, field "progress.<action id>"; its status/progress checked
 * as plan_action_update, field "status.<id>" / "progress.<id>"), the
 * re-assessment (assess_record_tx with the review's id), then
 * cases.next_review_on and version, chron "reviewed", audit "create".
 * A repeated idem_key returns the first review's id. */
int plan_review_add(struct db *db, const struct scope *s, int64_t case_id, int64_t case_version,
		    const struct review_in *in, int64_t *id, struct errinfo *e);

struct plan_review {
	int64_t id;
	const char *held_on, *summary, *family_view, *next_review_on, *who, *recorded_at;
	int nupdates;                    /* action updates recorded at it */
	bool reassessed;
};
/* The case's reviews, newest first (no audit). */
int plan_reviews(struct db *db, struct arena *a, int64_t case_id, struct plan_review **out, size_t *n);
/* held_on + case.review_weeks weeks, as "YYYY-MM-DD" (held_on NULL: today). */
int plan_default_next_review(struct db *db, const char *held_on, char out[11]);

/* ---- overdue ----------------------------------------------------------------- */

/* Open actions of case case_id past their due date (today). */
int plan_overdue_count(struct db *db, int64_t case_id, int *n);

/* Overdue actions on the open cases a worker leads (worker_id), or all
 * open cases (worker_id 0), most overdue first; at most limit (0: 200). */
struct plan_overdue {
	int64_t action_id, case_id;
	char case_ref[16];
	const char *family_name, *description, *owner_kind, *owner_name, *due_on;
	int days;
};
int plan_overdue_actions(struct db *db, struct arena *a, int64_t worker_id, int limit,
			 struct plan_overdue **out, size_t *n);

#endif
