/* destination.h — where a young person went at 16: education, employment,
 * training, not in education, employment or training (NEET), or unknown.
 *
 * Wolverhampton's partnership tracks destinations at 16 as the outcome its
 * NEET prevention work is judged by.  The family's worker (or the
 * coordinator) records a child's destination once it is known; the
 * latest record per pupil counts (destinations keeps every record, so a
 * correction is a new row, never an update).  The outcomes report
 * (report_outcome.h) counts the destinations of the children of families
 * whose case closed in a period.
 *
 * Scope.  A pupil is in reach of s when the system acts, or when the
 * pupil is a child member of a family with a case s may see (case.h:
 * CASES_ALL, or CASES_OWN for the case's worker and a worker covering
 * them today).  Anything else — an unknown UPN included — is
 * HE_NOT_FOUND, and the attempt is audited as "denied", so the two
 * cannot be told apart.
 *
 * Recording writes, in one transaction of its own: the row (source
 * "worker"), an audit row (action "create", entity "destinations") and a
 * chronology note on the child's case (the open one, else the most
 * recently closed one) saying what was recorded. */
#ifndef HEARTH_DESTINATION_H
#define HEARTH_DESTINATION_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"

struct db;
struct scope;

#define DESTINATION_NOTE_MAX 1000
#define DESTINATION_AGE_MIN 15    /* on the date recorded */
#define DESTINATION_LIST_AGE_MIN 15
#define DESTINATION_LIST_AGE_MAX 17

/* education, employment, training, neet, unknown; NULL-terminated. */
extern const char *const destination_codes[];
/* "Education", "Employment", "Training", "Not in education, employment or
 * training (NEET)", "Not known"; NULL for an unknown code. */
const char *destination_title(const char *code);

/* The pupil with this UPN (any case and spacing upn_norm accepts) if s may
 * record their destination.  Otherwise HE_NOT_FOUND, with an audit row
 * "denied" committed on its own (call outside a transaction). */
int destination_pupil(struct db *db, const struct scope *s, const char *upn, int64_t *pupil_id,
		      struct errinfo *e);

/* Record the destination of pupil_id on `on` ("YYYY-MM-DD": not in the
 * future, and the young person at least DESTINATION_AGE_MIN on it — field
 * "on"), destination one of destination_codes (field "destination"), note
 * optional, at most DESTINATION_NOTE_MAX bytes (field "note").  Out of
 * scope: HE_NOT_FOUND + audit "denied".  Own transaction (call outside
 * one).  *id (may be NULL) is the new row's id. */
int destination_record(struct db *db, const struct scope *s, int64_t pupil_id,
		       const char *destination, const char *on, const char *note, int64_t *id,
		       struct errinfo *e);

/* A child in reach of s, with their latest destination (NULLs if none). */
struct destination_child {
	int64_t pupil_id;
	const char *upn, *forename, *surname, *dob, *school;
	int age;                      /* today */
	const char *case_ref;         /* their open case, else the latest */
	const char *destination, *recorded_on, *note;
};

/* The children of the cases s may see who are aged
 * DESTINATION_LIST_AGE_MIN to _MAX on today, oldest first, each once,
 * allocated from a.  No audit (the page audits the list's view). */
int destination_children(struct db *db, struct arena *a, const struct scope *s, hday today,
			 struct destination_child **out, size_t *n);

/* hearth demo (core/demo_outcome.c): destinations for about three in four
 * of the 16–17-year-olds on demo cases, through destination_record as the
 * system; nothing if any destination exists. */
struct audit_who;
int demo_seed_outcome(struct db *db, const struct audit_who *who, uint32_t seed, hday today, FILE *log);

#endif
