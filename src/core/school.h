/* school.h — the partnership: districts and schools.
 *
 * A school is identified by its URN (the DfE's 6-digit Unique Reference
 * Number) and has a phase and a district.  Phases are the fixed vocabulary
 * school_phases[]. */
#ifndef HEARTH_SCHOOL_H
#define HEARTH_SCHOOL_H
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct db;
struct audit_who;

/* "nursery", "primary", "middle", "secondary", "all-through", "special",
 * "pru", "college"; NULL-terminated. */
extern const char *const school_phases[];
bool school_phase_valid(const char *phase);
const char *school_phase_title(const char *phase);  /* "Pupil referral unit / AP" … */
bool urn_valid(const char *urn);  /* exactly 6 digits, 100000–999999 */

/* Add a district (idempotent by name); sets *id. Caller's transaction. */
int district_ensure(struct db *db, const char *name, int64_t *id);
/* Add a school; validates URN, name, phase, postcode and district and
 * reports the bad field in e.  Caller's transaction; audited as who. */
int school_add(struct db *db, const struct audit_who *who, const char *urn,
	       const char *name, const char *phase, const char *district,
	       const char *postcode, int64_t *id, struct errinfo *e);
/* Look up a school's id by URN; HE_NOT_FOUND if absent. */
int school_id_by_urn(struct db *db, const char *urn, int64_t *id);

#endif
