/* school.h — the partnership: districts and schools.
 *
 * A school is identified by its URN (the DfE's 6-digit Unique Reference
 * Number) and has a phase and a district.  Phases are the fixed vocabulary
 * school_phases[]. */
#ifndef HEARTH_SCHOOL_H
#define HEARTH_SCHOOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct audit_who;

#define SCHOOL_NAME_MAX 200    /* bytes, after trimming */
#define DISTRICT_NAME_MAX 100

/* "nursery", "primary", "middle", "secondary", "all-through", "special",
 * "pru", "college"; NULL-terminated. */
extern const char *const school_phases[];
bool school_phase_valid(const char *phase);
/* "Nursery", "Primary", … "Pupil referral unit / AP"; "Unknown phase" for
 * anything not in school_phases[] (never NULL, so pages can print it). */
const char *school_phase_title(const char *phase);
bool urn_valid(const char *urn);  /* exactly 6 digits, 100000–999999 */

/* Add a district (idempotent by name, which is trimmed); sets *id to the
 * new or existing row.  HE_MISSING for an empty name, HE_INVALID for one
 * over DISTRICT_NAME_MAX bytes.  Caller's transaction (not audited: the
 * caller audits the change it is part of). */
int district_ensure(struct db *db, const char *name, int64_t *id);
/* Look up a district's id by its exact name; HE_NOT_FOUND if absent. */
int district_id_by_name(struct db *db, const char *name, int64_t *id);

/* Add a school; validates URN, name (trimmed, 1–SCHOOL_NAME_MAX bytes),
 * phase, postcode (optional: NULL or "" stores none; otherwise stored in
 * its normalised form "LE1 6ZG") and district, which must already exist
 * (district_ensure), and reports the bad field in e ("urn", "name",
 * "phase", "postcode", "district") with HE_MISSING or HE_INVALID.  A URN
 * already present gives HE_CONFLICT on field "urn".  Must run inside the
 * caller's transaction (HE_INTERNAL otherwise); writes an audit row as who
 * (action "create", entity "schools", entity_id the new id).  On success
 * sets *id (may be NULL). */
int school_add(struct db *db, const struct audit_who *who, const char *urn,
	       const char *name, const char *phase, const char *district,
	       const char *postcode, int64_t *id, struct errinfo *e);
/* Look up a school's id by URN; HE_NOT_FOUND if absent. */
int school_id_by_urn(struct db *db, const char *urn, int64_t *id);
/* Number of schools in the partnership. */
int school_count(struct db *db, int64_t *n);

struct school {
	int64_t id;
	const char *urn;
	const char *name;
	const char *phase;
	const char *district;
	const char *postcode;  /* NULL if not recorded */
};

/* Every school, ordered by district then name, into an array allocated
 * from a (strings too); sets *out and *n (0 and NULL when none). */
int school_list(struct db *db, struct arena *a, struct school **out, size_t *n);

#endif
