/* demo_family.h — the demo families' homes: address, postcode and home
 * language.
 *
 * demo_cases.c asks demo_family_home for what each school's referral says
 * about the family's home (the child's census postcode, a street of the
 * city, and — for a family whose surname suggests it — a home language
 * such as Gujarati, Polish or Somali, which the pool's workers speak, so
 * the coordinator's suggestions show "speaks Polish").  Then
 * demo_seed_family_details has the demo worker bring two families'
 * records up to date through family_details_change (one moved house, one
 * speaks another language at home than the referral said), so the case
 * page shows the earlier details. */
#ifndef HEARTH_DEMO_FAMILY_H
#define HEARTH_DEMO_FAMILY_H
#include <stdint.h>
#include <stdio.h>

struct db;
struct audit_who;

struct demo_home {
	char address[96];
	char postcode[9];          /* the pupil's census postcode, or "" */
	const char *language;      /* NULL: not given (English) */
};

/* The home a referral of pupil_id (surname as in the census) gives: a
 * function of the pupil alone, so it draws nothing from the seeders'
 * random streams.  HE_OK or a db error. */
int demo_family_home(struct db *db, int64_t pupil_id, const char *surname, struct demo_home *h);

/* The home language a family of this surname may speak, or NULL. */
const char *demo_family_language(const char *surname);

/* As the demo worker (worker@hearth.example), change two of their open
 * cases' families: a new address, and a home language.  Nothing if the
 * demo worker has no open case.  Own transactions; HE_OK or the first
 * failure (logged). */
int demo_seed_family_details(struct db *db, const struct audit_who *who, FILE *log);

#endif
