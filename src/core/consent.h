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
 * 'public_task', 'vital_interests') covers every scope, unless it was
 * recorded for one scope only (a step-up's safeguarding basis covers
 * sharing with children's social care).  Withdrawal is a
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
 * sought (required for a lawful basis); idem_key: the form's one-time key
 * or NULL (see consent_record_tx). */
struct consent_in {
	const char *basis, *given_by, *relationship, *scope, *given_on, *lawful_basis_note;
	const char *idem_key;
};

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
 * "note".  Caller's transaction.  With in->idem_key already used by the
 * same user for the same family, *id is that first consent and nothing is
 * added (a "view" audit row says so); used for another family or by
 * someone else: HE_CONFLICT, field "idem".  Two submissions at once: the
 * loser's insert fails HE_DB_CONSTRAINT; run it again in a new
 * transaction and it finds the first. */
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
 * withdrawn (a consent listing the code, or a lawful basis covering every
 * scope or this one).  A read
 * helper, not audited. */
int consent_basis_active(struct db *db, int64_t family_id, const char *scope_code, bool *yes);

/* ---- sharing with a partner professional -------------------------------- *
 * Sharing with any partner professional (a TAF invitation, an action they
 * own, what they see of the family) needs "agencies"; a professional of a
 * health service (school nursing, CAMHS, health visiting) needs "health"
 * as well, and one of children's social care "social_care".  A lawful
 * basis recorded for every scope covers all three. */

/* The extra scope an agency of kind (agency.h's agency_kinds) needs:
 * "health", "social_care", or NULL when "agencies" alone is enough. */
const char *consent_scope_for_agency_kind(const char *agency_kind);

/* *yes = the family may be shared with a professional of an agency of
 * agency_kind: "agencies" and that kind's own scope are active.  When
 * not, *missing (if not NULL) is the first scope code lacking.  Read
 * helper, not audited. */
int consent_agency_active(struct db *db, int64_t family_id, const char *agency_kind, bool *yes,
			  const char **missing);

/* HE_OK if the family may be shared with directory professional
 * professional_id (any agency), else HE_CONFLICT with field "consent" and
 * a message naming what the family has not agreed to and the professional's
 * service ("…so you cannot <action>…").  HE_OK for an unknown professional
 * (the caller's own check names that). */
int consent_need_for_professional(struct db *db, int64_t family_id, int64_t professional_id,
				  const char *action, struct errinfo *e);

/* Record a lawful basis (basis: "safeguarding", …) for sharing within
 * one scope only (scope_code, e.g. "social_care" at a step-up), dated on
 * ("YYYY-MM-DD", empty for today), with note (required: field
 * "lawful_basis_note").  Unlike consent_record_tx's lawful basis, which
 * covers every scope, it covers just scope_code.  Audit "create" of
 * consent and chron "note".  Caller's transaction. */
int consent_record_basis_tx(struct db *db, const struct scope *s, int64_t family_id,
			    const char *basis, const char *scope_code, const char *on,
			    const char *note, int64_t *id, struct errinfo *e);

/* SQL: the family (SQL expression fam) has a basis covering the scope
 * code (SQL expression code) not withdrawn — consent_basis_active in a
 * query.  A lawful basis with no scope stored (rows before scoped bases)
 * covers every scope. */
#define CONSENT_SQL_COVERS(fam, code) \
	"EXISTS (SELECT 1 FROM consents kc WHERE kc.family_id = " fam \
	" AND kc.withdrawn_on IS NULL AND ((kc.basis <> 'consent' AND kc.scope = '')" \
	" OR ',' || kc.scope || ',' LIKE '%,' || " code " || ',%'))"
/* SQL: consent_scope_for_agency_kind of the SQL expression kind (NULL
 * when none).  Keep in step with consent.c's agency_kind_scopes (a unit
 * test checks they agree). */
#define CONSENT_SQL_KIND_SCOPE(kind) \
	"(CASE " kind " WHEN 'school_nursing' THEN 'health' WHEN 'camhs' THEN 'health'" \
	" WHEN 'health_visiting' THEN 'health' WHEN 'social_care' THEN 'social_care' END)"
/* SQL: consent_agency_active for family fam and agency kind expression. */
#define CONSENT_SQL_AGENCY_OK(fam, kind) \
	"(" CONSENT_SQL_COVERS(fam, "'agencies'") " AND (" CONSENT_SQL_KIND_SCOPE(kind) \
	" IS NULL OR " CONSENT_SQL_COVERS(fam, CONSENT_SQL_KIND_SCOPE(kind)) "))"
/* SQL: the family may be shared with the professional whose id is the
 * SQL expression prof (a column or a bound parameter). */
#define CONSENT_SQL_PROFESSIONAL_OK(fam, prof) \
	CONSENT_SQL_AGENCY_OK(fam, "(SELECT agk.kind FROM professionals pk JOIN agencies agk" \
			      " ON agk.id = pk.agency_id WHERE pk.id = " prof ")")

#endif
