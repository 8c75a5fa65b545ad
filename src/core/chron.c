/* chron.c — appending to a family's chronology (see chron.h). */
#include "core/chron.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/err.h"
#include "core/scope.h"
#include "store/db.h"

/* Every kind case_events accepts (the migrations' CHECK), with the title
 * the chronology shows for it. */
static const struct {
	const char *kind, *title;
} kinds[] = {
	{"referred", "Referral"}, {"accepted", "Accepted"}, {"signposted", "Signposted"},
	{"declined", "Declined"}, {"stepped_up", "Stepped up"}, {"step_up", "Step up"},
	{"step_down", "Step down"}, {"allocated", "Allocated"}, {"transferred", "Transfer"},
	{"contact", "Contact"}, {"review_set", "Review date"}, {"closed", "Closed"},
	{"consent_withdrawn", "Consent withdrawn"}, {"cover", "Cover"}, {"note", "Note"},
	{"withdrawn", "Withdrawn"}, {"assessed", "Assessment"}, {"reviewed", "Review"},
	{"meeting_scheduled", "Meeting arranged"}, {"meeting_held", "TAF meeting"},
	{"meeting_cancelled", "Meeting cancelled"}, {"action_agreed", "Action agreed"},
	{"action_updated", "Action update"},
};

const char *chron_kind_title(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].title;
	return NULL;
}

static bool kind_known(const char *kind)
{
	return chron_kind_title(kind) != NULL;
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
