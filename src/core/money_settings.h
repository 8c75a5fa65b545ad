/* money_settings.h — the partnership's money settings, read and changed
 * together: the hourly cost of worker time (cost.worker_hour_pence, used by
 * cost per family) and the automatic approval limits of workers and
 * coordinators (commission.limit.worker, commission.limit.coordinator).
 *
 * All three are integer pence in the settings table.  Reading gives each
 * reader's default when a row is absent or unreadable, exactly as cost.c
 * and commission.c read them, so what is shown is what takes effect.
 * Writing validates all three, refuses a change made from stale values
 * (someone else saved since the admin looked), and writes the three rows
 * and one audit row naming old and new values in one transaction. */
#ifndef HEARTH_MONEY_SETTINGS_H
#define HEARTH_MONEY_SETTINGS_H
#include <stdint.h>

#include "base/err.h"

struct db;
struct audit_who;

#define MONEY_HOUR_DEFAULT 3200             /* £32.00 an hour */
#define MONEY_LIMIT_WORKER_DEFAULT 25000    /* £250.00 */
#define MONEY_LIMIT_COORD_DEFAULT 500000    /* £5,000.00 */
#define MONEY_HOUR_MIN 1                    /* £0.01 */
#define MONEY_HOUR_MAX 50000                /* £500.00 */
#define MONEY_LIMIT_MAX 100000000           /* £1,000,000.00 */

struct money_settings {
	int64_t hour_pence;               /* cost.worker_hour_pence */
	int64_t worker_limit_pence;       /* commission.limit.worker */
	int64_t coordinator_limit_pence;  /* commission.limit.coordinator */
};

/* The API's and errors' name of each field: "hour_pence",
 * "worker_limit_pence", "coordinator_limit_pence". */
extern const char *const money_settings_fields[3];

/* The three settings in force (defaults where absent).  HE_OK or the
 * database's error. */
int money_settings_get(struct db *db, struct money_settings *out);

/* Check to: hourly cost £0.01–£500.00, limits £0.00–£1,000,000.00, the
 * coordinator's limit not below the worker's.  HE_OK, or HE_INVALID
 * naming the first field at fault. */
int money_settings_check(const struct money_settings *to, struct errinfo *e);

/* Save to, in one transaction with one audit row ("update", entity
 * "settings", id "money") naming old and new values.  When seen is given
 * (the values the admin was shown) and the values in force differ from
 * it, nothing is written: HE_CONFLICT naming the first field that
 * changed.  HE_INVALID as money_settings_check; HE_CONFLICT too when
 * another transaction changed a row under this one. */
int money_settings_set(struct db *db, const struct audit_who *who,
		       const struct money_settings *to, const struct money_settings *seen,
		       struct errinfo *e);

#endif
