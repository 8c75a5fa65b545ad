/* chron.h — the family's chronology: one row per decision or change.
 *
 * Every module that changes a referral or a case records what happened
 * here (case_events), dated when it happened and when it was recorded, so
 * the chronology on the family page is the history of the case and
 * nothing is lost when a field is later changed.  Contacts live in their
 * own table and are merged into the chronology when it is read. */
#ifndef HEARTH_CHRON_H
#define HEARTH_CHRON_H
#include <stdint.h>

struct db;
struct scope;

/* The title of an event kind ("assessed" → "Assessment"), or NULL for a
 * kind case_events does not accept (chron_add refuses those). */
const char *chron_kind_title(const char *kind);

/* Append one event.  on_date is "YYYY-MM-DD" (when it happened);
 * referral_id and case_id may be 0.  Must run inside the caller's
 * transaction (HE_INTERNAL otherwise); HE_INVALID for an unknown kind or
 * a bad date.  Does not audit: the caller audits the change the event
 * records. */
int chron_add(struct db *db, const struct scope *s, int64_t family_id,
	      int64_t referral_id, int64_t case_id, const char *on_date,
	      const char *kind, const char *summary, const char *detail);

#endif
