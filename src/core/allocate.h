/* allocate.h — screening a referral and allocating a worker.
 *
 * The coordinator decides each received referral: accept (and allocate a
 * worker: a case is opened), signpost elsewhere (with where), decline
 * (with a reason) or step up to children's social care (with a reason).
 * Each decision checks the referral's version (a second coordinator
 * working from an old page gets HE_CONFLICT, nothing decided twice), sets
 * referrals.status/decided_*, and writes a chronology event and an audit
 * row, all in one transaction.
 *
 * Suggestions rank the active workers for a referral and say why, so the
 * coordinator can see the reasoning and pick anyone. */
#ifndef HEARTH_ALLOCATE_H
#define HEARTH_ALLOCATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/worker.h"

struct db;
struct scope;

struct decision_in {
	const char *decision;      /* "accept", "signpost", "decline", "step_up" */
	int64_t version;           /* the referral's version the form was rendered with */
	int64_t worker_id; int intensity; bool override_capacity;   /* accept */
	const char *signposted_to; /* signpost */
	const char *note;          /* reason (required for decline, step_up, override) */
	const char *on_date;       /* NULL: today; system scope may back-date (demo) */
};

/* Decide referral_id (status must be 'received').  accept: names an
 * active worker ("worker_id"), intensity 1–3 (0: 2), the family needs an
 * active 'pool' basis (HE_CONFLICT, field "consent"); beyond capacity
 * only with override_capacity and a note (HE_CONFLICT, field
 * "override_capacity"), recorded in cases.over_capacity; opens the case
 * (case_open_tx) and sets *case_id (may be NULL).  signpost needs
 * "signposted_to"; decline and step_up need "note".  A stale version or
 * an already decided referral is HE_CONFLICT (field "version").  A
 * referral outside the scope is HE_NOT_FOUND.  Needs CAP_REFERRALS_ALL.
 * Own transaction. */
int referral_decide(struct db *db, const struct scope *s, int64_t referral_id,
		    const struct decision_in *in, int64_t *case_id, struct errinfo *e);

/* One ranked suggestion.  name and reasons live in the arena. */
struct suggestion {
	int64_t worker_id; const char *name; int score; struct worker_load load;
	const char *reasons; /* "3 of 18 places free; serves Belgrave; speaks Gujarati; knows this family" */
};

/* Rank every active worker for referral_id, best first (ties by name,
 * then id: deterministic).  *out is an arena array of *n suggestions.
 * Does not audit or check scope (the caller has). */
int allocate_suggest(struct db *db, struct arena *a, int64_t referral_id,
		     struct suggestion **out, size_t *n, struct errinfo *e);

#endif
