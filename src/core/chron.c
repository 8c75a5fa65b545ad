/* chron.c — appending to a family's chronology (see chron.h). */
#include "core/chron.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/err.h"
#include "core/scope.h"
#include "store/db.h"

const char *const chron_kinds[] = {
	"referred", "accepted", "signposted", "declined", "stepped_up",
	"step_up", "step_down", "allocated", "transferred", "contact",
	"review_set", "closed", "consent_withdrawn", "cover", "note",
	"withdrawn", NULL,
};

static bool kind_known(const char *kind)
{
	for (int i = 0; kind && chron_kinds[i]; i++)
		if (strcmp(chron_kinds[i], kind) == 0)
			return true;
	return false;
}

int chron_add(struct db *db, const struct scope *s, int64_t family_id,
	      int64_t referral_id, int64_t case_id, const char *on_date,
	      const char *kind, const char *summary, const char *detail)
{
	hday day;
	if (!db_in_transaction(db))
		return HE_INTERNAL;
	if (!kind_known(kind) || !on_date || !date_parse(on_date, &day))
		return HE_INVALID;
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO case_events (family_id, referral_id, case_id, on_date,"
		" kind, summary, detail, user_id, recorded_at) VALUES (:family,"
		" :referral, :case, :on, :kind, :summary, :detail, :user, :now)");
	db_bind_int(st, ":family", family_id);
	if (referral_id)
		db_bind_int(st, ":referral", referral_id);
	else
		db_bind_null(st, ":referral");
	if (case_id)
		db_bind_int(st, ":case", case_id);
	else
		db_bind_null(st, ":case");
	db_bind_text(st, ":on", on_date);
	db_bind_text(st, ":kind", kind);
	db_bind_text(st, ":summary", summary ? summary : "");
	db_bind_text(st, ":detail", detail ? detail : "");
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	return db_done(st);
}
