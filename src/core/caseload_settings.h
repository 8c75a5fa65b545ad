/* caseload_settings.h — the partnership's default maximum caseload (the
 * setting case.max_caseload), read and changed by the coordinator who
 * manages the pool.
 *
 * A worker's capacity is 2 × their maximum caseload in weighted places
 * (a case weighs 1 light, 2 standard, 3 intensive), so the maximum keeps
 * its everyday meaning of "how many standard cases".  A worker's own
 * maximum (workers.max_caseload, on their profile) wins; this default is
 * used for every worker without one.  worker.c reads it through
 * caseload_settings_get, so what the settings page shows is what the
 * allocation suggestions, the capacity check and the caseload pages use.
 *
 * Writing validates the value, refuses a change made from a stale value
 * (someone else saved since the coordinator looked), and writes the row
 * and one audit row naming old and new values in one transaction. */
#ifndef HEARTH_CASELOAD_SETTINGS_H
#define HEARTH_CASELOAD_SETTINGS_H

#include "base/err.h"

struct db;
struct audit_who;

#define CASELOAD_MAX_KEY "case.max_caseload"  /* the settings row */
#define CASELOAD_MAX_DEFAULT 18               /* standard cases, when the row is absent */
#define CASELOAD_MAX_MIN 1
#define CASELOAD_MAX_MAX 100                  /* as workers.max_caseload's CHECK */

/* The API's and errors' name of the value: "max_caseload". */
extern const char caseload_settings_field[];

/* The default maximum caseload in force into *max: the row's value when
 * it is a whole number from 1 to 100, else CASELOAD_MAX_DEFAULT.  HE_OK,
 * or the database's error. */
int caseload_settings_get(struct db *db, int *max);

/* Check to: a whole number from 1 to 100.  HE_OK, or HE_INVALID naming
 * "max_caseload". */
int caseload_settings_check(int to, struct errinfo *e);

/* Save to, in one transaction with one audit row ("update", entity
 * "settings", id "caseload") naming old and new values.  When seen is
 * given (the value the coordinator was shown) and the value in force
 * differs from it, nothing is written: HE_CONFLICT naming
 * "max_caseload".  HE_INVALID as caseload_settings_check; HE_CONFLICT
 * too when another transaction changed the row under this one. */
int caseload_settings_set(struct db *db, const struct audit_who *who, int to, const int *seen,
			  struct errinfo *e);

/* How many active workers there are (*active) and how many of them have
 * no maximum of their own, so the default applies to them (*on_default).
 * HE_OK, or the database's error. */
int caseload_settings_workers(struct db *db, int *on_default, int *active);

#endif
