/* worker.h — the shared pool of family support workers.
 *
 * A worker has a profile: employer, role (kind), the schools and
 * districts they serve, skills (need codes from referral.h, plus 'send'
 * and the like), languages and hours.  Their load is the sum of the
 * intensity of their open cases (1 light, 2 standard, 3 intensive), and
 * their capacity in the same weighted units is 2 × max_caseload (the
 * worker's own, else the setting case.max_caseload): a worker with
 * max_caseload 18 has 36 weighted places, i.e. 18 standard cases.
 *
 * Covers: a worker covering a colleague (leave, sickness) for a date
 * range is a recorded worker_covers row; case.c uses it for row scope.
 * Every change here is audited in its own transaction. */
#ifndef HEARTH_WORKER_H
#define HEARTH_WORKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;

/* The kinds of worker (workers.kind), NULL-terminated:
 * family_support, parent_support, hslo, mentor. */
extern const char *const worker_kinds[];
/* "Family support worker" for "family_support"; NULL for an unknown kind. */
const char *worker_kind_title(const char *kind);

/* A profile as entered.  skills and languages are comma-separated. */
struct worker_in {
	const char *name, *employer, *kind, *skills, *languages;
	int hours_per_week;
	int max_caseload;            /* 0: default setting */
	int64_t user_id;             /* 0: none */
	const int64_t *school_ids; size_t nschools;
	const int64_t *district_ids; size_t ndistricts;
	const char *idem_key;        /* new worker: the form's one-time key, or NULL */
};

/* Create (id 0) or update worker id from in, replacing its schools and
 * districts.  Validates every field (errinfo names it: "name",
 * "employer", "kind", "hours_per_week", "max_caseload", "user_id",
 * "schools", "districts").  Own transaction, audited ("create" or
 * "update", entity "worker").  Needs CAP_WORKERS_MANAGE or the system
 * scope (HE_FORBIDDEN otherwise).  *out_id (may be NULL) gets the id.
 * Creating with in->idem_key already used by the same user: *out_id is
 * the first worker and nothing is added (a "view" audit row says so);
 * used by someone else: HE_CONFLICT, field "idem". */
int worker_save(struct db *db, const struct scope *s, int64_t id /* 0: new */,
		const struct worker_in *in, int64_t *out_id, struct errinfo *e);

/* A worker's load, in weighted places: weighted = Σ intensity of open
 * cases; capacity = 2 × (max_caseload, else setting case.max_caseload). */
struct worker_load { int open_cases; int weighted; int capacity; };
/* Fill *out for worker_id.  HE_NOT_FOUND for an unknown worker. */
int worker_load(struct db *db, int64_t worker_id, struct worker_load *out);

/* Record that worker_id covers for_worker_id's cases from..until
 * (YYYY-MM-DD, inclusive) for reason.  Validates (fields "for_worker_id",
 * "from", "until", "reason").  Own transaction, audited ("create" of
 * worker_covers), and a chronology "cover" event on each open case of
 * for_worker_id.  *id (may be NULL) gets the cover's id.  idem_key (may
 * be NULL) is the form's one-time key: a repeat by the same user for the
 * same worker returns the first cover and adds nothing (no row, no
 * "create" audit, no chronology event; a "view" audit row says so); used
 * for another worker or by someone else: HE_CONFLICT, field "idem". */
int worker_cover_add(struct db *db, const struct scope *s, int64_t worker_id,
		     int64_t for_worker_id, const char *from, const char *until,
		     const char *reason, const char *idem_key, int64_t *id, struct errinfo *e);

/* ---- beyond the contract ------------------------------------------------ */

/* The default max_caseload (setting case.max_caseload, 18 if absent). */
int worker_default_max(struct db *db, int *max);

/* A profile as stored, with its load; strings and arrays in the arena. */
struct worker {
	int64_t id, user_id;
	const char *name, *employer, *kind, *skills, *languages, *user_email;
	int hours_per_week, max_caseload;   /* max_caseload 0: the default */
	bool active;
	struct worker_load load;
	int64_t *school_ids; size_t nschools;
	int64_t *district_ids; size_t ndistricts;
};
/* Load worker id (HE_NOT_FOUND if none). */
int worker_get(struct db *db, struct arena *a, int64_t id, struct worker *out);
/* Every worker (active first, then by name), with loads; schools and
 * districts are not filled. */
int worker_list(struct db *db, struct arena *a, struct worker **out, size_t *n);
/* One cover, for listing. */
struct worker_cover {
	int64_t id, worker_id, for_worker_id;
	const char *worker_name, *for_worker_name, *starts_on, *ends_on, *reason;
};
/* The covers worker_id gives or receives, newest first. */
int worker_covers(struct db *db, struct arena *a, int64_t worker_id,
		  struct worker_cover **out, size_t *n);

#endif
