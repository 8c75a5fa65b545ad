/* case.h — the family's case: its lead worker, contacts, chronology, step
 * up and step down, transfer and closure.
 *
 * A case is opened when the coordinator accepts a referral (allocate.c
 * calls case_open_tx).  The worker then works it: records contacts (home
 * visits, calls, meetings) or books planned visits, adds members and other
 * professionals to the family record, steps the case up to children's
 * social care and back down, transfers it to a colleague with a handover
 * note, and closes it with a reason and the family's own view.
 *
 * Scope.  A case is visible to CAP_CASES_ALL (the coordinator), or with
 * CAP_CASES_OWN to its worker and to a worker covering that worker today
 * (worker_covers).  Anything else is HE_NOT_FOUND, never HE_FORBIDDEN, and
 * the attempt is audited as "denied".  The school role never sees a case.
 *
 * Changes.  Every changing function checks the case's version (the one the
 * form was rendered with): a second editor working from an old version
 * gets HE_CONFLICT and nothing is overwritten.  Each change writes one
 * audit row and one chronology event (chron_add) in its own transaction,
 * except the *_tx functions, which run in the caller's.
 *
 * Consent.  When every basis covering the "pool" scope has been withdrawn,
 * new contacts and transfers are refused (HE_CONFLICT, field "consent");
 * closure and step-up remain possible. */
#ifndef HEARTH_CASE_H
#define HEARTH_CASE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;
struct consent_in;
struct family_member_in;

/* ---- the contract (issue #5) ------------------------------------------- */

/* "C-000123" for id 123 (wider ids are printed in full). */
void case_ref(int64_t id, char out[16]);
/* The id of the case with this ref; HE_NOT_FOUND if none (or the ref is
 * malformed).  Does not check scope: follow with case_visible. */
int case_id_by_ref(struct db *db, const char *ref, int64_t *id);

/* Open the case for an accepted referral, in the caller's transaction:
 * worker worker_id leads it with weight intensity (1–3, 2 standard),
 * opened_on = on_date (NULL: today), next_review_on = opened_on +
 * setting case.review_weeks.  Writes chron "allocated" and audit "create".
 * HE_INTERNAL outside a transaction; HE_INVALID (field named) for a bad
 * intensity, date or unknown/inactive worker; HE_CONFLICT if the referral
 * already has a case. */
int case_open_tx(struct db *db, const struct scope *s, int64_t referral_id, int64_t worker_id,
		 int intensity, bool over_capacity, const char *on_date, int64_t *case_id,
		 struct errinfo *e);

/* May s see case case_id?  CASES_ALL; or CASES_OWN and (the case's worker
 * is s->worker_id, or s->worker_id covers that worker today).  *yes false
 * also for a case that does not exist.  Returns HE_OK or a db error. */
int case_visible(struct db *db, const struct scope *s, int64_t case_id, bool *yes);

/* A contact with the family.  at "YYYY-MM-DDTHH:MM" local time; kind one of
 * contact_kinds; duration_min 1–480 for a held contact (0 allowed only for
 * a planned one, which has a default of 60 when 0); planned: a visit
 * booked ahead (at must then be in the future, or today). */
struct contact_in { const char *idem_key; const char *at, *kind, *seen, *place, *notes; int duration_min; bool planned; };

/* Record a held contact or book a planned one (own tx, audit "create",
 * chron "contact" for a held one).  A held contact may not be in the
 * future (field "at"), nor before the referral was received, nor before
 * the case opened; the case must be open and the family's "pool" basis
 * active (HE_CONFLICT, field "consent").  A repeated idem_key returns the
 * first contact's id and creates nothing.  version_unused is ignored:
 * adding a contact does not change the case, so it cannot conflict. */
int contact_add(struct db *db, const struct scope *s, int64_t case_id, int64_t version_unused,
		const struct contact_in *in, int64_t *id, struct errinfo *e);

/* Step up to children's social care: status stepped_up, chron "step_up",
 * audit.  Allowed while consent is withdrawn: a safeguarding decision is
 * never blocked.  But it shares the family's information with children's
 * social care, so without an active "social_care" consent (or a lawful
 * basis covering it) lawful_basis_note is required (HE_MISSING, field
 * "lawful_basis_note") and recorded, in the same transaction, as a
 * consents row with basis "safeguarding" covering "social_care" only
 * (consent_record_basis_tx).  With that consent the note is ignored.
 * Own tx. */
int case_step_up(struct db *db, const struct scope *s, int64_t case_id, int64_t version, const char *on,
		 const char *reason, const char *lawful_basis_note, struct errinfo *e);

/* The stepped-up case comes back from social care: the case is closed
 * (reason stepped_up) with chron "step_down", and a new referral (source
 * step_down, same family, referral_create_tx) arrives in the screening
 * queue with *new_referral_id.  consent is the new referral's consent or
 * lawful basis (required, as for any referral).  Allowed only for a case
 * that was stepped up.  Own tx. */
int case_step_down(struct db *db, const struct scope *s, int64_t case_id, int64_t version, const char *on,
		   const char *reason, const struct consent_in *consent, int64_t *new_referral_id, struct errinfo *e);

/* Transfer to worker to_worker with a handover note (required): chron
 * "transferred", audit.  Refused while consent is withdrawn.  Own tx. */
int case_transfer(struct db *db, const struct scope *s, int64_t case_id, int64_t version, int64_t to_worker,
		  const char *on, const char *handover_note, struct errinfo *e);

/* Close with a reason (one of case_closure_reasons), a note and the
 * family's own view (required): status closed, chron "closed", audit.
 * Refused while the case has open commissions.  Own tx. */
int case_close(struct db *db, const struct scope *s, int64_t case_id, int64_t version, const char *on,
	       const char *reason, const char *note, const char *family_view, struct errinfo *e);

/* Set the next review date (today or later): chron "review_set".  Own tx. */
int case_set_review(struct db *db, const struct scope *s, int64_t case_id, int64_t version, const char *next_review_on, struct errinfo *e);

/* ---- beyond the contract --------------------------------------------------- */

struct case_choice { const char *code, *title; };
/* home_visit, phone, school_meeting, office, video, other; NULL-terminated. */
extern const struct case_choice contact_kinds[];
/* outcomes_met, stepped_up, disengaged, moved_away, other; NULL-terminated. */
extern const struct case_choice case_closure_reasons[];
/* The title of a code from one of the lists above ("Home visit"); the code
 * itself if unknown. */
const char *case_choice_title(const struct case_choice *list, const char *code);
/* "Home visit", "Phone call", … */
const char *contact_kind_title(const char *kind);

/* Open commissions on the case: requested, approved or delivered but not
 * yet paid (commission.c).  Closure is refused while > 0. */
int case_open_commissions(struct db *db, int64_t case_id, int *n);

/* Record a planned contact as held: it becomes a held contact with the
 * given duration, who was seen and notes (at unchanged unless in->at is
 * set).  Same date rules as contact_add; chron "contact", audit "update".
 * HE_NOT_FOUND if the contact is not a planned contact of this case. */
int contact_mark_held(struct db *db, const struct scope *s, int64_t case_id, int64_t contact_id,
		      const struct contact_in *in, struct errinfo *e);

/* Add a member (family_add_member_tx) or another professional to the
 * case's family.  Own tx, audit, chron "note".  The in's idem_key (may be
 * NULL) is the form's one-time key: a repeat returns the first row's id
 * and adds nothing (no row, no "create" audit, no chronology event; a
 * "view" audit row says it was repeated); a key used for another family
 * or by someone else is HE_CONFLICT, field "idem". */
int case_member_add(struct db *db, const struct scope *s, int64_t case_id,
		    const struct family_member_in *m, int64_t *id, struct errinfo *e);
struct professional_in { const char *name, *agency, *role, *contact, *idem_key; };
int case_professional_add(struct db *db, const struct scope *s, int64_t case_id,
			  const struct professional_in *p, int64_t *id, struct errinfo *e);

/* ---- reading ------------------------------------------------------------- */

struct case_member {
	int64_t id, pupil_id;
	const char *name, *relationship, *dob, *phone;
	bool is_child;
	const char *school_name, *year_group;   /* children at a partnership school */
	int attendance_pct;                     /* latest census; -1 unknown */
	const char *attendance_census;          /* that census date, or NULL */
};
struct case_professional { int64_t id; const char *name, *agency, *role, *contact; };
struct case_consent {
	int64_t id;
	const char *basis, *given_by, *relationship, *scope, *given_on, *withdrawn_on, *withdrawn_reason;
};
/* One line of the chronology: kind is a case_events kind, "contact" for a
 * held contact, "planned" for a booked visit, or "attendance" for a
 * census import's attendance of a child. */
struct chron_item {
	const char *when;          /* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" */
	const char *kind;
	const char *title;         /* its tag: "Home visit", "Step up", "Attendance" */
	const char *summary, *detail, *who;
	int64_t contact_id;        /* contacts: the id (for "record as held"); else 0 */
	int duration_min;          /* contacts */
};
struct case_record {
	int64_t id, family_id, referral_id, worker_id, version;
	char ref[16], family_ref[16], referral_ref[16];
	const char *family_name, *address, *postcode, *home_language;
	const char *worker_name, *status, *opened_on, *next_review_on, *closed_on;
	const char *closure_reason, *closure_note, *family_view, *school_name;
	int intensity;
	bool over_capacity;
	bool covering;             /* s sees it because s covers its worker */
	bool consent_active;       /* the family's "pool" basis is active */
	int review_overdue_days;   /* > 0 when next_review_on is past */
	struct case_member *members; size_t nmembers;
	struct case_professional *professionals; size_t nprofessionals;
	struct case_consent *consents; size_t nconsents;
	struct chron_item *chron; size_t nchron;        /* newest first */
	struct chron_item *planned; size_t nplanned;    /* booked visits, soonest first */
};
/* Load the whole record with its chronology, allocated from a, as one
 * audited "view" (own tx).  Out of scope (or unknown): HE_NOT_FOUND, the
 * attempt audited "denied". */
int case_record_load(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
		     struct case_record *out, struct errinfo *e);

/* The chronology alone (merged case_events, contacts, census attendance
 * changes of the family's children), newest first.  No audit: the caller
 * has audited the view. */
int case_chronology(struct db *db, struct arena *a, int64_t case_id,
		    struct chron_item **out, size_t *n);

/* Cases for the coordinator's list (/cases), or the visible ones: newest
 * first, filtered by worker (0: all) and status (NULL/"": open).  Audited
 * "view" as a list.  */
struct case_summary {
	int64_t id, worker_id;
	char ref[16], family_ref[16];
	const char *family_name, *worker_name, *status, *opened_on, *next_review_on;
	int intensity;
};
int case_list(struct db *db, struct arena *a, const struct scope *s, int64_t worker_id,
	      const char *status, struct case_summary **out, size_t *n, struct errinfo *e);

#endif
