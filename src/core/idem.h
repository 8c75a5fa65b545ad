/* idem.h — a form's one-time key finding the row it already made.
 *
 * Each form that adds a row carries a one-time key (idem_key), stored on
 * the row under a unique index.  The same form submitted again (a reload,
 * a double click, a retry) finds that row instead of adding a second one.
 * A key used for another owner (case, family, worker) or by another user
 * is a conflict, never their row.  Each caller writes its own audit row
 * for a repeated submission, in its own words. */
#ifndef HEARTH_IDEM_H
#define HEARTH_IDEM_H
#include <stdint.h>

#include "base/err.h"

struct db;
struct scope;

/* The row key already made: *id, 0 if none (a NULL or empty key finds
 * none).  sql selects, for :k, the row's id, its owner's id (or 0 when
 * the row has no owner) and the user who made it (coalesce(…, 0)).  A row
 * whose owner is not owner_id, or made by a user other than s's, is
 * HE_CONFLICT, field "idem", "This form was already used: reload the
 * page", and *id 0.  HE_OK, or the database's error (e filled). */
int idem_lookup(struct db *db, const struct scope *s, const char *sql, const char *key,
		int64_t owner_id, int64_t *id, struct errinfo *e);

/* After an insert failed on the key's unique index, no transaction open
 * (the same form submitted twice at once, and the other insert won):
 * idem_lookup, and when it finds the row, e cleared and a "view" audit
 * row on entity, "repeated submission of <what>: nothing added".  Not
 * finding it leaves HE_DB_CONSTRAINT. */
int idem_again(struct db *db, const struct scope *s, const char *sql, const char *key,
	       int64_t owner_id, const char *entity, const char *what, int64_t *id,
	       struct errinfo *e);

#endif
