/* demo.h — the demo partnership behind `hearth demo` and `make run`.
 *
 * A realistic, invented English city partnership (modelled on a city the
 * size of Leicester): 100 schools in 7 districts with a real city's mix of
 * phases, and one demo user per role.  Everything but the timestamps is a
 * function of the seed, so tests and screenshots are reproducible.  The
 * names, URNs and postcodes are made up; any match with a real school is
 * a coincidence. */
#ifndef HEARTH_DEMO_H
#define HEARTH_DEMO_H
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"

struct db;
struct audit_who;
struct census_school;

/* The seed `hearth demo` uses unless told otherwise. */
#define DEMO_SEED 1844u
/* Every demo user's password. */
#define DEMO_PASSWORD "hearth-demo-password"
/* The school the demo `school` user leads: the partnership's first
 * secondary school, the same for every seed. */
#define DEMO_SCHOOL_URN "140217"
#define DEMO_SCHOOL_NAME "Ratae Academy"
#define DEMO_SCHOOL_DISTRICT "City Centre"
#define DEMO_DISTRICTS 7
#define DEMO_SCHOOLS 100

struct demo_login {
	const char *role;   /* also the email's local part */
	const char *email;
	const char *name;
	const char *sees;   /* who they are and what they see, for the table */
};
/* One per role, in role order; DEMO_LOGINS entries. */
#define DEMO_LOGINS 7
extern const struct demo_login demo_logins[DEMO_LOGINS];

/* Seed the demo partnership: the districts and schools (with their audit
 * rows) in one transaction, rolled back whole on any failure; then the
 * demo users through user_create (which opens its own transaction per
 * user), skipping any whose email already exists.  If the database already
 * has schools it adds none: when they are the demo partnership (the
 * DEMO_SCHOOL_URN school exists) it only creates missing demo users and
 * logs "demo partnership already present"; when they are some other
 * partnership it changes nothing, so known demo passwords never reach a
 * real database.  Progress lines go to log if not NULL.  Must not be
 * called inside a transaction.  Returns HE_OK or the first failure's code. */
int demo_seed(struct db *db, const struct audit_who *who, uint32_t seed, FILE *log);

/* Pupils `hearth demo` creates unless told otherwise. */
#define DEMO_PUPILS 60000L

/* Seed the demo partnership's pupils: two census extracts from
 * census_gen (the first about four months before today, the later one —
 * the same children, their indicators drifted — ten days before today),
 * each written to a temporary file and brought in with import_run as who,
 * so every pupil has two scored snapshots and the risk list's "rising"
 * filter has real cases.  Does nothing when pupils is 0, when the
 * database's schools are not the demo partnership, or when it already has
 * pupils (so a second `hearth demo` is quick).  Progress lines go to log
 * if not NULL.  Must not be called inside a transaction.  Returns HE_OK or
 * the first failure's code (an import that fails is rolled back whole by
 * import_run; an earlier extract that succeeded stays). */
int demo_seed_pupils(struct db *db, const struct audit_who *who, uint32_t seed, long pupils,
		     FILE *log);

/* The demo partnership's schools for the seed as census_gen takes them,
 * sorted by URN, into out (DEMO_SCHOOLS entries), computed without a
 * database (the same schools demo_seed writes): for `hearth demo
 * --census-csv`.  Sets *n.  Returns HE_OK, or HE_INTERNAL if the plan
 * cannot be built. */
int demo_census_schools(uint32_t seed, struct census_school *out, size_t *n);

/* The demo's census extracts: the DfE's census days (the first Thursday
 * of October, the third Thursday of January and of May) from about
 * twenty-three months before today to a week before it, oldest first, into
 * days (at most max); returns how many (5 or 6).  Termly extracts over
 * the demo's eighteen months of referrals give every closed case a
 * census the term before its referral and a later one (the outcomes
 * report's before and after). */
int demo_census_days(hday today, hday *days, int max);
#define DEMO_CENSUS_MAX 8

/* Print the demo sign-ins table (role, email, password, name, what they
 * see) to out.  Returns 0, or -1 if writing failed. */
int demo_print_logins(FILE *out);

#endif
