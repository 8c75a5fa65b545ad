/* taf.h — Team Around the Family meetings.
 *
 * The worker (or the coordinator) schedules a meeting for a case — a date,
 * a time, a place such as the multi-agency centre at a school — invites
 * professionals from the directory (agency.h), members of the family and
 * workers of the pool, and afterwards records it as held: who attended,
 * the minutes, the decisions and the actions agreed for each agency, the
 * family and the worker (plan.h, plan_action_add_tx with the meeting's
 * id).  A meeting may instead be cancelled with a reason.  The in-app
 * lists are the channel: an invited agency user sees the meeting on /taf.
 *
 * Scope.  A meeting is visible to whoever sees its case (case_visible),
 * and to an agency user (CAP_TAF_ACTIONS_OWN, s->professional_id) who is
 * invited to it while the family shares with their service — "agencies",
 * and "health" for a health service or "social_care" for children's social
 * care (consent.h, consent_agency_active).  Withdrawal stops the sharing:
 * their meetings and actions for that family leave their list and the
 * meeting is HE_NOT_FOUND to them.  Anything else is HE_NOT_FOUND and the attempt is
 * audited "denied".  An agency user sees the meeting itself (when, where,
 * who, minutes, decisions) and only the actions they own — never the
 * case, its chronology or other actions.  Only those who see the case
 * may change a meeting.
 *
 * Rules.  Every change is refused for a case that is not open
 * (HE_CONFLICT, field "case": "This case is closed: …"); inviting a
 * professional, or agreeing an action for an agency, needs the family's
 * active basis covering "agencies" and the professional's service's own
 * scope (consent_need_for_professional: HE_CONFLICT, field "consent",
 * naming what the family has not agreed to).
 * Meetings carry a version: every change posts the version it was shown
 * and a stale one is HE_CONFLICT.  Each change writes one audit row and a
 * chronology event (meeting_scheduled, meeting_held, meeting_cancelled;
 * invitations are "note" events) in its own transaction. */
#ifndef HEARTH_TAF_H
#define HEARTH_TAF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;
struct action_in;      /* plan.h */
struct review_progress; /* plan.h */

/* A meeting to schedule.  starts_at "YYYY-MM-DDTHH:MM" local time, today
 * or later (field "starts_at"); place required, ≤ 200 characters (field
 * "place"); duration_min 15–480, 0 meaning 60 (field "duration_min");
 * idem_key optional: a repeated key returns the first meeting's id and
 * creates nothing. */
struct meeting_in { const char *idem_key, *starts_at, *place; int duration_min; };

/* Check in without the database; errinfo names the field.  now_local is
 * the current local "YYYY-MM-DDTHH:MM" (NULL: the clock's, Europe/London). */
int taf_meeting_check(const struct meeting_in *in, const char *now_local, struct errinfo *e);

/* Schedule a meeting for case case_id (own tx): status scheduled, the
 * case's worker invited, chron "meeting_scheduled", audit "create" of
 * "taf_meetings".  HE_NOT_FOUND (+ "denied") if s cannot see the case. */
int taf_schedule(struct db *db, const struct scope *s, int64_t case_id, const struct meeting_in *in,
		 int64_t *id, struct errinfo *e);

/* Invite exactly one of: a directory professional (active), a member of
 * this case's family, or an active worker (field "invitee" otherwise;
 * HE_CONFLICT if already invited).  Only a scheduled meeting.  Bumps the
 * meeting's version.  Own tx, audit "create" of "taf_invitees", chron
 * "note". */
int taf_invite(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
	       int64_t professional_id, int64_t member_id, int64_t worker_id, struct errinfo *e);

/* Record a scheduled meeting as held (own tx): attended_invitee_ids (n of
 * them) are the invitees who came — at least one (HE_MISSING field
 * "attended"), each an invitee of this meeting (HE_INVALID); the others
 * are recorded as absent.  minutes required (field "minutes"); decisions
 * optional.  new_actions (nactions, may be 0) are added to the plan with
 * plan_action_add_tx and this meeting's id; an error in action i names
 * its field "actions[i].<field>".  The meeting may not start in the
 * future (field "starts_at").  chron "meeting_held", audit "update". */
int taf_record(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
	       const int64_t *attended_invitee_ids, size_t n, const char *minutes, const char *decisions,
	       const struct action_in *new_actions, size_t nactions, struct errinfo *e);

/* taf_record, also recording progress on existing actions at the meeting
 * (plan_action_update_tx with the meeting's id; an error in update i
 * names "updates[i].<field>"). */
int taf_record_ex(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
		  const int64_t *attended_invitee_ids, size_t n, const char *minutes,
		  const char *decisions, const struct action_in *new_actions, size_t nactions,
		  const struct review_progress *updates, size_t nupdates, struct errinfo *e);

/* Cancel a scheduled meeting with a reason (required, field "reason";
 * kept in the meeting's minutes column, shown as the reason): status
 * cancelled, chron "meeting_cancelled", audit "update".  Own tx. */
int taf_cancel(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
	       const char *reason, struct errinfo *e);

/* May s see meeting meeting_id?  case_visible on its case, or an agency
 * user (CAP_TAF_ACTIONS_OWN) invited to it.  *yes false for an unknown
 * meeting.  Not audited: HE_OK or a db error. */
int taf_meeting_visible(struct db *db, const struct scope *s, int64_t meeting_id, bool *yes);

/* ---- reading (allocated from a) ---------------------------------------- */

struct taf_invitee {
	int64_t id, professional_id, member_id, worker_id;
	const char *kind;          /* "professional", "member" or "worker" */
	const char *name;
	const char *role;          /* "Education welfare officer, City EWS", "Mother", "Family support worker" */
	int attended;              /* -1 not recorded, 0 absent, 1 attended */
	bool not_shared;           /* a professional the family no longer shares with
				    * (consent for their service withdrawn): they no
				    * longer see the meeting */
};
struct taf_action {
	int64_t id, case_id, version, meeting_id, owner_professional_id;
	char case_ref[16], family_ref[16];
	const char *family_name;
	const char *description, *need, *owner_kind, *owner_name, *due_on, *status;
	const char *progress;      /* the latest update's progress, or "" */
	bool overdue;              /* past due and not done, not_done or dropped */
};
struct taf_meeting {
	int64_t id, case_id, family_id, version;
	char case_ref[16], family_ref[16];
	const char *family_name, *starts_at, *place, *status, *minutes, *decisions;
	const char *created_by, *updated_at;
	int duration_min;
	bool case_open;            /* changes allowed */
	bool agency_view;          /* s sees it only as an invited agency user */
	bool can_invite_agencies;  /* the family's "agencies" basis is active */
	bool can_invite_health;    /* … and "health": health services may be invited */
	bool can_invite_social_care; /* … and "social_care" */
	struct taf_invitee *invitees; size_t ninvitees;
	struct taf_action *actions; size_t nactions;   /* agreed here (agency view: own only) */
};
/* Load a meeting as one audited "view" (own tx).  Out of scope or unknown:
 * HE_NOT_FOUND, audited "denied". */
int taf_meeting_load(struct db *db, struct arena *a, const struct scope *s, int64_t meeting_id,
		     struct taf_meeting *out, struct errinfo *e);

struct taf_summary {
	int64_t id, case_id, version;
	char case_ref[16], family_ref[16];
	const char *family_name, *starts_at, *place, *status;
	int duration_min, ninvited, nattended;
};
/* The meetings of a case, soonest scheduled first then held/cancelled
 * newest first.  No scope check and no audit: the caller (the family page)
 * has checked and audited the case. */
int taf_case_meetings(struct db *db, struct arena *a, int64_t case_id,
		      struct taf_summary **out, size_t *n);

/* The agency user's lists (s->professional_id; empty for anyone else):
 * meetings they are invited to (upcoming first, then past newest first;
 * only date, place, family ref and name) and the actions they own on open
 * cases (overdue first, then by due date).  One audited "view" for both
 * (own tx). */
int taf_agency_home(struct db *db, struct arena *a, const struct scope *s,
		    struct taf_summary **meetings, size_t *nmeetings,
		    struct taf_action **actions, size_t *nactions, struct errinfo *e);

/* Scheduled meetings of open cases worker_id leads or is invited to,
 * starting at or after from_local ("YYYY-MM-DDTHH:MM"), soonest first:
 * the worker's calendar feed.  Not audited (the feed audits itself). */
int taf_worker_meetings(struct db *db, struct arena *a, int64_t worker_id, const char *from_local,
			struct taf_summary **out, size_t *n);

/* "scheduled" → "Scheduled", "held" → "Held", "cancelled" → "Cancelled". */
const char *taf_status_title(const char *status);

#endif
