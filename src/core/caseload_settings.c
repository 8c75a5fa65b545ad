/* caseload_settings.c — the partnership's default maximum caseload, read
 * and changed.  See caseload_settings.h. */
#include "core/caseload_settings.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/audit.h"
#include "core/settings.h"
#include "store/db.h"

const char caseload_settings_field[] = "max_caseload";

int caseload_settings_get(struct db *db, int *max)
{
	int64_t v = CASELOAD_MAX_DEFAULT;
	int rc = settings_int(db, CASELOAD_MAX_KEY, CASELOAD_MAX_MIN, CASELOAD_MAX_MAX, &v, NULL);
	*max = (int)v;
	return rc;
}

int caseload_settings_check(int to, struct errinfo *e)
{
	if (to < CASELOAD_MAX_MIN || to > CASELOAD_MAX_MAX)
		return errinfo_set(e, HE_INVALID, caseload_settings_field,
				   "Enter a default maximum caseload from %d to %d standard cases",
				   CASELOAD_MAX_MIN, CASELOAD_MAX_MAX);
	return HE_OK;
}

int caseload_settings_workers(struct db *db, int *on_default, int *active)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*),"
		" coalesce(sum(CASE WHEN max_caseload IS NULL THEN 1 ELSE 0 END), 0)"
		" FROM workers WHERE active = 1");
	bool row = db_next(st);
	*active = row ? (int)db_int(st, 0) : 0;
	*on_default = row ? (int)db_int(st, 1) : 0;
	return db_finalize(st);
}

/* Inside the transaction: the stale check, the row and the audit row. */
static int write_tx(struct db *db, const struct audit_who *who, int to, const int *seen,
		    struct errinfo *e)
{
	int old;
	int rc = caseload_settings_get(db, &old);
	if (rc)
		return errinfo_set(e, rc, "", "The default maximum caseload could not be read");
	if (seen && *seen != old)
		return errinfo_set(e, HE_CONFLICT, caseload_settings_field,
			"Someone else changed the default maximum caseload since you looked: it is"
			" now %d standard cases. Check the value and save again", old);
	char sum[120];
	rc = settings_put_int(db, CASELOAD_MAX_KEY, to);
	if (rc == HE_CONFLICT)
		return errinfo_set(e, rc, caseload_settings_field, "Someone else saved the default"
				   " maximum caseload at the same time. Check the value and save again");
	if (old == to)
		snprintf(sum, sizeof sum, "Default maximum caseload: %d standard cases (unchanged)", old);
	else
		snprintf(sum, sizeof sum, "Default maximum caseload: %d → %d standard cases", old, to);
	if (!rc)
		rc = audit(db, who, "update", "settings", "caseload", sum);
	return rc ? errinfo_set(e, rc, "", "The default maximum caseload could not be saved") : HE_OK;
}

int caseload_settings_set(struct db *db, const struct audit_who *who, int to, const int *seen,
			  struct errinfo *e)
{
	int rc = caseload_settings_check(to, e);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return errinfo_set(e, rc, "", "The default maximum caseload could not be saved");
	rc = write_tx(db, who, to, seen, e);
	if (!rc && (rc = db_commit(db)))
		errinfo_set(e, rc, "", "The default maximum caseload could not be saved");
	if (rc)
		db_rollback(db);
	return rc;
}
