/* demo_outcome.c — the demo's destinations at 16 (issue 8).
 *
 * `hearth demo` calls demo_seed_outcome after the cases exist: for most
 * of the children aged 16 or 17 of the demo's cases it records where they
 * went — mostly education, then training, employment, some not in
 * education, employment or training, a few not known — dated in the last
 * two months, through destination_record as the system scope (so each
 * writes its audit row and its chronology note).  About one child in four
 * is left unrecorded, so the worker's /destinations page has forms to
 * fill.  Deterministic from the seed and the database.  Before/after
 * figures are not seeded here: they come from the census imports. */
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "core/destination.h"
#include "core/scope.h"
#include "store/db.h"

int demo_seed_outcome(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		      FILE *log);

/* A small deterministic hash of the seed and a pupil. */
static uint32_t mix(uint32_t seed, int64_t id)
{
	uint32_t h = seed ^ (uint32_t)id * 2654435761u;
	h ^= h >> 15;
	h *= 2246822519u;
	h ^= h >> 13;
	return h;
}

static const char *pick(uint32_t h)
{
	unsigned p = h % 100;
	return p < 55 ? "education" : p < 70 ? "training" : p < 80 ? "employment"
		: p < 92 ? "neet" : "unknown";
}

static int has_destinations(struct db *db, bool *yes)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM destinations LIMIT 1");
	*yes = db_next(st);
	return db_finalize(st);
}

int demo_seed_outcome(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		      FILE *log)
{
	struct scope s;
	struct arena a;
	struct destination_child *c;
	size_t n = 0, done = 0;
	bool yes;
	scope_system(who, &s);
	int rc = has_destinations(db, &yes);
	if (rc || yes)
		return rc;
	arena_init(&a);
	rc = destination_children(db, &a, &s, today, &c, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		uint32_t h = mix(seed, c[i].pupil_id);
		if (c[i].age < 16 || h % 4 == 0)
			continue;
		char on[11];
		date_format(today - (hday)(h % 60), on);
		struct errinfo e = {0};
		rc = destination_record(db, &s, c[i].pupil_id, pick(h >> 8), on, "", NULL, &e);
		if (rc && log)
			fprintf(log, "demo: destination for pupil %lld: %s (%s)\n",
				(long long)c[i].pupil_id, e.message, e.field);
		done += rc == HE_OK;
	}
	if (log)
		fprintf(log, "demo: %zu destinations at 16 recorded\n", done);
	arena_free(&a);
	return rc;
}
