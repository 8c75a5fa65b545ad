/* family.h — households: the family a referral and a case are about.
 *
 * A family is made when a school first refers one of its children: the
 * census's family_key (pupils.family_key) links siblings, so the family
 * these pupils belong to is found, or made, from them.  Members are the
 * children (linked to their pupil rows where the partnership knows them)
 * and the adults of the household.  Users see families by their ref
 * ("F-000123"); who may see a family is decided by the referral or case
 * that concerns it (referral_visible, case_visible), never here. */
#ifndef HEARTH_FAMILY_H
#define HEARTH_FAMILY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct db;
struct scope;

/* The family these pupils belong to: the existing family holding any of
 * them as members, else the family with their family_key, else a new one
 * named after the first pupil's surname, with every pupil added as a child
 * member (pupils of the same family_key are added too: siblings).  Caller's
 * transaction (HE_INTERNAL otherwise); HE_MISSING if n is 0, HE_NOT_FOUND
 * (field "upns") for an unknown pupil id.  Writes a chron/audit row only
 * for a new family ("create family"). */
int family_for_pupils_tx(struct db *db, const struct scope *s, const int64_t *pupil_ids, size_t n,
			 int64_t *family_id, struct errinfo *e);

/* One member to add: name and relationship required ('child', 'mother',
 * 'father', 'step-parent', 'grandparent', 'carer', 'sibling', 'other');
 * dob "YYYY-MM-DD" or NULL; phone free text or NULL; pupil_id 0 for none;
 * idem_key the form's one-time key or NULL (stored with the row; the
 * caller looks it up first: case_member_add). */
struct family_member_in {
	const char *name, *relationship, *dob, *phone; bool is_child; int64_t pupil_id;
	const char *idem_key;
};

/* Relationships a member may have; NULL-terminated. */
extern const char *const family_relationships[];

/* Check m without touching the database; errinfo names the field
 * ("name", "relationship", "dob", "phone"). */
int family_member_check(const struct family_member_in *m, struct errinfo *e);

/* Add a member to the family; validates (errinfo names "name",
 * "relationship", "dob", "phone"), audits "create" of family_member and
 * adds a chron "note".  A pupil already a member is not added twice (*id
 * is the existing row).  Caller's transaction. */
int family_add_member_tx(struct db *db, const struct scope *s, int64_t family_id,
			 const struct family_member_in *m, int64_t *id, struct errinfo *e);

/* "F-000123" for id 123 (at least six digits). */
void family_ref(int64_t id, char out[16]);
/* The family id for a ref such as "F-000123"; HE_NOT_FOUND if malformed
 * or absent.  Not scoped: callers check visibility through the referral
 * or case. */
int family_id_by_ref(struct db *db, const char *ref, int64_t *id);

/* ---- the family's address, postcode and home language -------------------
 *
 * A referral gives them (optional); then the case's worker or the
 * coordinator keeps them up to date.  families.version guards against two
 * editors, and every change keeps the values it replaced in
 * family_details_history, so nothing recorded is lost. */

#define FAMILY_ADDRESS_MAX 300   /* bytes: a few lines of an address */
#define FAMILY_LANGUAGE_MAX 40

/* Details as entered.  NULL: not given (kept as recorded).  address ""
 * and postcode "" clear them; home_language, when given, may not be
 * blank. */
struct family_details_in { const char *address, *postcode, *home_language; };

/* Details checked and normalised: address trimmed and on one line (each
 * line break becomes ", "), postcode "LE4 6TJ" (upper case, one space),
 * language trimmed with a capital first letter.
 * has_*: the field was given. */
struct family_details {
	bool has_address, has_postcode, has_language;
	char address[FAMILY_ADDRESS_MAX + 1], postcode[9], home_language[FAMILY_LANGUAGE_MAX + 1];
};

/* Check and normalise in into out, without touching the database;
 * errinfo names the field ("address", "postcode", "home_language"). */
int family_details_check(const struct family_details_in *in, struct family_details *out,
			 struct errinfo *e);

/* As family_for_pupils_tx, and *made says whether it made a new family. */
int family_for_referral_tx(struct db *db, const struct scope *s, const int64_t *pupil_ids, size_t n,
			   int64_t *family_id, bool *made, struct errinfo *e);

/* Store the details a referral gave (checked) on family family_id, in the
 * caller's transaction.  made (the referral has just made the family):
 * every given value is stored; a language not given stays English.
 * Otherwise only blank fields (no address, no postcode) are filled, as a
 * change (history row, version, audit "update", chronology note); a
 * recorded value is never overwritten — a different one given is kept in
 * a chronology note on the referral for the worker to check. */
int family_details_from_referral_tx(struct db *db, const struct scope *s, int64_t family_id,
				    int64_t referral_id, bool made, const struct family_details *d,
				    struct errinfo *e);

/* Change the address, postcode and home language of case case_id's
 * family (fields not given are kept), in its own transaction.  s must see
 * the case (case_visible: its worker, a worker covering them today, the
 * coordinator); otherwise HE_NOT_FOUND and the attempt is audited
 * "denied".  version is the families.version the form was rendered with:
 * 0 is HE_MISSING, another than the current one HE_CONFLICT (field
 * "version"), and nothing is written.  An anonymised family cannot be
 * changed (HE_CONFLICT, field "family").  Writes the replaced values to
 * family_details_history (with idem_key, may be NULL), bumps the version
 * and updated_at, audits "update" of families (no values: the audit log
 * is never altered) and adds a chronology "note" on the case naming the
 * fields ("Family details changed: address, home language").  *changed
 * is the number of fields that changed: 0 when the values given are those
 * recorded (nothing written, version kept); -1 when idem_key was already
 * used by s for a change (a form sent twice: nothing written again; a key
 * used by someone else is HE_CONFLICT, field "idem"). */
int family_details_change(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
			  const char *idem_key, const struct family_details_in *in, int *changed,
			  struct errinfo *e);

#endif
