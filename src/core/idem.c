/* idem.c — a form's one-time key finding the row it already made.  See
 * idem.h. */
#include "core/idem.h"

#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/scope.h"
#include "store/db.h"

int idem_lookup(struct db *db, const struct scope *s, const char *sql, const char *key,
		int64_t owner_id, int64_t *id, struct errinfo *e)
{
	int64_t owner = 0, user = 0;
	*id = 0;
	if (!key || !*key)
		return HE_OK;
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_text(st, ":k", key);
	if (db_next(st)) {
		*id = db_int(st, 0);
		owner = db_int(st, 1);
		user = db_int(st, 2);
	}
	int rc = db_finalize(st);
	if (rc) {
		*id = 0;
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	if (*id && (owner != owner_id || user != s->user_id)) {
		*id = 0;
		return errinfo_set(e, HE_CONFLICT, "idem", "This form was already used: reload the page");
	}
	return HE_OK;
}

int idem_again(struct db *db, const struct scope *s, const char *sql, const char *key,
	       int64_t owner_id, const char *entity, const char *what, int64_t *id,
	       struct errinfo *e)
{
	char summary[96];
	int rc = idem_lookup(db, s, sql, key, owner_id, id, e);
	if (rc)
		return rc;
	if (!*id)
		return HE_DB_CONSTRAINT;
	if (e)
		memset(e, 0, sizeof *e);
	snprintf(summary, sizeof summary, "repeated submission of %s: nothing added", what);
	return audit_alone(db, s->who, "view", entity, NULL, summary);
}
