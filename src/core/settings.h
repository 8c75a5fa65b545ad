/* settings.h — reading the partnership's settings (the settings table).
 *
 * Settings are key/value text rows edited by the admin: case.review_weeks,
 * case.max_caseload, commission.limit.ROLE, cost.worker_hour_pence,
 * retention.years, risk.band_high and the like.  Every module reads them
 * through here, so a setting is parsed one way everywhere: a whole number
 * in the range its reader allows, else the reader's default.  The module
 * that owns a setting validates it and writes its audit row; the row
 * itself is written here (settings_put_int). */
#ifndef HEARTH_SETTINGS_H
#define HEARTH_SETTINGS_H
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct db;

/* The setting key as a whole number into *v.  When the key is absent or
 * empty *v is left as it is (the caller's default).  When it is present
 * but not a whole number from lo to hi: with e NULL *v is left as it is;
 * with e given, HE_INVALID naming the key.  HE_OK, or the database's
 * error. */
int settings_int(struct db *db, const char *key, int64_t lo, int64_t hi, int64_t *v,
		 struct errinfo *e);

/* The setting key's text into buf (len bytes, truncated), or def when
 * absent or empty.  HE_OK, or the database's error. */
int settings_text(struct db *db, const char *key, const char *def, char *buf, size_t len);

/* Write key's whole number v over the text its row holds now (an insert
 * when there is none), so a row another transaction changed meanwhile is
 * not overwritten: 0 rows changed, or a second insert of the key, is
 * HE_CONFLICT.  In the caller's transaction.  HE_OK, HE_CONFLICT or the
 * database's error. */
int settings_put_int(struct db *db, const char *key, int64_t v);

/* case.review_weeks: weeks from one review to the next (1–52, default 6). */
int settings_review_weeks(struct db *db, int *weeks);

#endif
