/* referral.h — a request for help for a family.
 *
 * A school (or an agency, the family itself, or social care stepping a
 * case down) refers a family: the pupils concerned — siblings may be at
 * other partnership schools, which are told through school_notices — the
 * adults in the household, the needs, the level of need (1 universal,
 * 2 early help emerging, 3 early help complex/multiple, 4 statutory), what
 * the school has already tried, and consent or the lawful basis for
 * sharing.  The referral then waits for the coordinator's screening
 * (allocate.h).  Users see referrals by ref ("R-000123").
 *
 * Row scope: the coordinator (CAP_REFERRALS_ALL) sees every referral; a
 * school user (CAP_REFER) sees those its school made or that concern one
 * of its pupils (referral_pupils.school_id); no one else sees any. */
#ifndef HEARTH_REFERRAL_H
#define HEARTH_REFERRAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "core/consent.h"

struct db;
struct scope;

struct referral_need { const char *code, *title; };
/* attendance, behaviour, emotional_health, parenting, domestic_abuse,
 * substance_misuse, adult_mental_health, housing, finances, unemployment,
 * caring, crime_exploitation, send, health, other; NULL-terminated (code
 * NULL). */
extern const struct referral_need referral_needs[];

struct referral_adult { const char *name, *relationship, *phone; };
struct referral_in {
	const char *idem_key;         /* may be NULL */
	const char *source;           /* "school", "agency", "step_down", "self" */
	int64_t school_id;            /* source "school": the referring school (a school user: theirs) */
	int64_t family_id;            /* step_down: the existing family; else 0 */
	int64_t stepped_down_from;    /* step_down: the case id; else 0 */
	const char *const *upns; size_t nupns;   /* pupils concerned; siblings may be at other schools */
	const struct referral_adult *adults; size_t nadults;
	const char *needs;            /* comma-separated need codes, at least one */
	int level_of_need;            /* 1–4 */
	const char *reason, *tried;
	struct consent_in consent;    /* required: consent or a lawful basis */
	const char *received_at;      /* NULL: now; set only by the system scope (demo/CLI) */
	/* The family's home, optional (NULL or blank: not given): the address
	 * (up to FAMILY_ADDRESS_MAX bytes), a UK postcode (stored upper case,
	 * one space) and the home language (one language; English if not
	 * given).  Stored on a family the referral makes; on a family already
	 * recorded only blank fields are filled — a recorded value is never
	 * overwritten, and a different one given is kept in a chronology note
	 * (family_details_from_referral_tx). */
	const char *address, *postcode, *home_language;
};

/* Validate and create a referral in its own transaction: referral_pupils,
 * the family (family_for_pupils_tx), the adults as members, the consent,
 * a school notice for each other school a pupil attends, the family's
 * address, postcode and home language, chron "referred" and audit
 * "create".  errinfo names the field ("upns", "needs", "level_of_need",
 * "reason", "tried", "adults", "address", "postcode", "home_language",
 * "consent.basis", …).  A
 * school user refers for their own school: at least one pupil must be on
 * its roll (HE_INVALID "upns" otherwise).  With an idem_key already used,
 * *id is the first referral's id and nothing is created (HE_OK). */
int referral_create(struct db *db, const struct scope *s, const struct referral_in *in,
		    int64_t *id, struct errinfo *e);       /* own tx */
/* The same in the caller's transaction (step-down from a case). */
int referral_create_tx(struct db *db, const struct scope *s, const struct referral_in *in,
		       int64_t *id, struct errinfo *e);    /* caller's tx (step-down from a case) */

/* *yes = s may see the referral (see the row scope above); false for an
 * unknown id.  Not audited: the caller audits the view or the denial. */
int referral_visible(struct db *db, const struct scope *s, int64_t referral_id, bool *yes);
/* The id for a ref such as "R-000123"; HE_NOT_FOUND if malformed/absent. */
int referral_id_by_ref(struct db *db, const char *ref, int64_t *id);
/* "R-000123" for id 123. */
void referral_ref(int64_t id, char out[16]);
/* "Attendance", …; NULL for an unknown code. */
const char *referral_need_title(const char *code);
/* Plain description of a level of need 1–4 ("Early help – emerging");
 * "" otherwise. */
const char *referral_level_title(int level);
/* Plain word for a referral status ("Received", "Accepted", …). */
const char *referral_status_title(const char *status);

#endif
