/* money_settings.c — the hourly cost of worker time and the automatic
 * approval limits, read and changed together.  See money_settings.h. */
#include "core/money_settings.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/money.h"
#include "core/audit.h"
#include "core/settings.h"
#include "store/db.h"

const char *const money_settings_fields[3] = {
	"hour_pence", "worker_limit_pence", "coordinator_limit_pence",
};

static const char *const keys[3] = {
	"cost.worker_hour_pence", "commission.limit.worker", "commission.limit.coordinator",
};

static const char *const labels[3] = {
	"hourly cost", "worker limit", "coordinator limit",
};

static int64_t value(const struct money_settings *m, int i)
{
	return i == 0 ? m->hour_pence : i == 1 ? m->worker_limit_pence : m->coordinator_limit_pence;
}

int money_settings_get(struct db *db, struct money_settings *out)
{
	/* the ranges cost_hour_pence and commission_limit accept */
	*out = (struct money_settings){MONEY_HOUR_DEFAULT, MONEY_LIMIT_WORKER_DEFAULT,
				       MONEY_LIMIT_COORD_DEFAULT};
	int rc = settings_int(db, keys[0], 0, 10000000, &out->hour_pence, NULL);
	if (!rc)
		rc = settings_int(db, keys[1], 0, INT64_MAX, &out->worker_limit_pence, NULL);
	if (!rc)
		rc = settings_int(db, keys[2], 0, INT64_MAX, &out->coordinator_limit_pence, NULL);
	return rc;
}

int money_settings_check(const struct money_settings *to, struct errinfo *e)
{
	if (to->hour_pence < MONEY_HOUR_MIN || to->hour_pence > MONEY_HOUR_MAX)
		return errinfo_set(e, HE_INVALID, money_settings_fields[0],
				   "Enter an hourly cost from £0.01 to £500.00");
	if (to->worker_limit_pence < 0 || to->worker_limit_pence > MONEY_LIMIT_MAX)
		return errinfo_set(e, HE_INVALID, money_settings_fields[1],
				   "Enter a worker's limit from £0.00 to £1,000,000.00");
	if (to->coordinator_limit_pence < 0 || to->coordinator_limit_pence > MONEY_LIMIT_MAX)
		return errinfo_set(e, HE_INVALID, money_settings_fields[2],
				   "Enter a coordinator's limit from £0.00 to £1,000,000.00");
	if (to->coordinator_limit_pence < to->worker_limit_pence) {
		char w[32];
		money_format(to->worker_limit_pence, w);
		return errinfo_set(e, HE_INVALID, money_settings_fields[2],
				   "The coordinator's limit must not be below the worker's limit (%s)", w);
	}
	return HE_OK;
}

/* "Money settings: hourly cost £32.00 → £35.00; worker limit £250.00
 * (unchanged); …" */
static void summary(const struct money_settings *old, const struct money_settings *to,
		    char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "Money settings:");
	for (int i = 0; i < 3 && n < len; i++) {
		char a[32], b[32];
		money_format(value(old, i), a);
		money_format(value(to, i), b);
		if (value(old, i) == value(to, i))
			n += (size_t)snprintf(out + n, len - n, "%s %s %s (unchanged)",
					      i ? ";" : "", labels[i], a);
		else
			n += (size_t)snprintf(out + n, len - n, "%s %s %s → %s",
					      i ? ";" : "", labels[i], a, b);
	}
}

/* Inside the transaction: the stale check, the rows and the audit row. */
static int write_tx(struct db *db, const struct audit_who *who, const struct money_settings *to,
		    const struct money_settings *seen, struct errinfo *e)
{
	struct money_settings old;
	int rc = money_settings_get(db, &old);
	if (rc)
		return errinfo_set(e, rc, "", "The money settings could not be read");
	for (int i = 0; seen && i < 3; i++)
		if (value(seen, i) != value(&old, i)) {
			char now[32];
			money_format(value(&old, i), now);
			return errinfo_set(e, HE_CONFLICT, money_settings_fields[i],
				"Someone else changed the money settings since you looked: the %s"
				" is now %s. Check the values and save again", labels[i], now);
		}
	for (int i = 0; i < 3 && !rc; i++)
		rc = settings_put_int(db, keys[i], value(to, i));
	if (rc == HE_CONFLICT)
		return errinfo_set(e, rc, "", "Someone else saved the money settings at the same"
				   " time. Check the values and save again");
	char sum[300];
	summary(&old, to, sum, sizeof sum);
	if (!rc)
		rc = audit(db, who, "update", "settings", "money", sum);
	return rc ? errinfo_set(e, rc, "", "The money settings could not be saved") : HE_OK;
}

int money_settings_set(struct db *db, const struct audit_who *who,
		       const struct money_settings *to, const struct money_settings *seen,
		       struct errinfo *e)
{
	int rc = money_settings_check(to, e);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return errinfo_set(e, rc, "", "The money settings could not be saved");
	rc = write_tx(db, who, to, seen, e);
	if (!rc && (rc = db_commit(db)))
		errinfo_set(e, rc, "", "The money settings could not be saved");
	if (rc)
		db_rollback(db);
	return rc;
}
