/* consent.h — consent to share a family's information, or the lawful
 * basis when consent is not sought.
 *
 * Every referral carries one of the two (UK GDPR: consent, or a basis
 * such as safeguarding under public task / legal obligation).  Consent
 * names who gave it, their relationship, the date and what it covers —
 * scope codes:
 *   pool          the family support service may hold and work the case
 *                 (every consent must include it)
 *   school        share case status with the referring school
 *   health, social_care, agencies (TAF partners), commissioned (providers)
 * A lawful basis other than consent ('safeguarding', 'legal_obligation',
 * 'public_task', 'vital_interests') covers every scope.  Withdrawal is a
 * dated field, never a deletion, and is honoured everywhere through
 * consent_basis_active. */
#ifndef HEARTH_CONSENT_H
#define HEARTH_CONSENT_H
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct db;
struct scope;

/* basis: "consent" or a lawful basis code; given_by, relationship: the
 * person consenting (basis consent); scope: comma-separated scope codes
 * (basis consent; ignored otherwise — a lawful basis covers all); given_on
 * "YYYY-MM-DD", not in the future; lawful_basis_note: why consent was not
 * sought (required for a lawful basis). */
struct consent_in { const char *basis, *given_by, *relationship, *scope, *given_on, *lawful_basis_note; };

/* Bases ("consent", "safeguarding", …) and scope codes ("pool", …);
 * NULL-terminated. */
extern const char *const consent_bases[];
extern const char *const consent_scopes[];
/* Plain-English titles; "" for an unknown code. */
const char *consent_basis_title(const char *basis);
const char *consent_scope_title(const char *scope);

/* Validate in without touching the database; errinfo names the field
 * ("consent.basis", "consent.given_by", "consent.relationship",
 * "consent.scope", "consent.given_on", "consent.lawful_basis_note").
 * HE_OK, HE_MISSING or HE_INVALID. */
int consent_check(const struct consent_in *in, struct errinfo *e);     /* names the field */

/* Check and record a consent or basis for the family (referral_id 0 if
 * not recorded with a referral); audit "create" of consent and a chron
 * "note".  Caller's transaction. */
int consent_record_tx(struct db *db, const struct scope *s, int64_t family_id, int64_t referral_id,
		      const struct consent_in *in, int64_t *id, struct errinfo *e);

/* Withdraw a consent or basis on date on (not in the future, not before
 * it was given) for reason (required).  Own transaction: audit "withdraw"
 * and chron "consent_withdrawn".  HE_NOT_FOUND for an unknown id,
 * HE_CONFLICT if already withdrawn.  Visibility of the family is the
 * caller's check. */
int consent_withdraw(struct db *db, const struct scope *s, int64_t consent_id, const char *on,
		     const char *reason, struct errinfo *e);             /* own tx, audit + chron */

/* *yes = some basis for the family that covers scope_code has not been
 * withdrawn (a consent listing the code, or any lawful basis).  A read
 * helper, not audited. */
int consent_basis_active(struct db *db, int64_t family_id, const char *scope_code, bool *yes);

#endif
