/* settings.c — reading the partnership's settings.  See settings.h. */
#include "core/settings.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"

/* The row's text for key into *out (NULL when absent); st stays open for
 * the caller to finalize, so the text lives until then. */
static struct db_stmt *setting_row(struct db *db, const char *key, const char **out)
{
	struct db_stmt *st = db_prepare(db, "SELECT value FROM settings WHERE key = :key");
	db_bind_text(st, ":key", key);
	*out = db_next(st) && !db_is_null(st, 0) ? db_text(st, 0) : NULL;
	return st;
}

int settings_int(struct db *db, const char *key, int64_t lo, int64_t hi, int64_t *v,
		 struct errinfo *e)
{
	const char *s;
	struct db_stmt *st = setting_row(db, key, &s);
	bool bad = false;
	if (s && *s) {
		char *end;
		errno = 0;
		long long n = strtoll(s, &end, 10);
		if (*end || errno || n < lo || n > hi)
			bad = true;
		else
			*v = n;
	}
	int rc = db_finalize(st);
	if (rc)
		return e ? errinfo_set(e, rc, "", "The setting %s could not be read", key) : rc;
	if (bad && e)
		return errinfo_set(e, HE_INVALID, key, "Setting %s is not a whole number from %lld to %lld",
				   key, (long long)lo, (long long)hi);
	return HE_OK;
}

int settings_text(struct db *db, const char *key, const char *def, char *buf, size_t len)
{
	const char *s;
	struct db_stmt *st = setting_row(db, key, &s);
	snprintf(buf, len, "%s", s && *s ? s : def ? def : "");
	return db_finalize(st);
}

int settings_put_int(struct db *db, const char *key, int64_t v)
{
	char was[64], text[24];
	const char *s;
	struct db_stmt *st = setting_row(db, key, &s);
	bool present = s != NULL;
	snprintf(was, sizeof was, "%s", s ? s : "");
	int rc = db_finalize(st);
	if (rc)
		return rc;
	snprintf(text, sizeof text, "%lld", (long long)v);
	if (present) {
		st = db_prepare(db, "UPDATE settings SET value = :v WHERE key = :key AND value = :was");
		db_bind_text(st, ":was", was);
	} else {
		st = db_prepare(db, "INSERT INTO settings (key, value) VALUES (:key, :v)");
	}
	db_bind_text(st, ":v", text);
	db_bind_text(st, ":key", key);
	rc = db_done(st);
	if (rc == HE_DB_CONSTRAINT || (!rc && db_changes(db) != 1))
		return HE_CONFLICT;
	return rc;
}

int settings_review_weeks(struct db *db, int *weeks)
{
	int64_t w = 6;
	int rc = settings_int(db, "case.review_weeks", 1, 52, &w, NULL);
	*weeks = (int)w;
	return rc;
}
