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
 * dob "YYYY-MM-DD" or NULL; phone free text or NULL; pupil_id 0 for none. */
struct family_member_in { const char *name, *relationship, *dob, *phone; bool is_child; int64_t pupil_id; };

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

#endif
