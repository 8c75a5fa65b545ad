/* catalogue.h — the service catalogue: providers and the services they
 * sell (category, unit, unit cost in pence, capacity, the districts each
 * serves, whether it is an exit route the family can stay with after the
 * case closes).
 *
 * Reading needs no row scope (CAP_CATALOGUE is checked by the handler);
 * changing needs CAP_CATALOGUE_MANAGE (checked here too: HE_FORBIDDEN).
 * Every change is one audit row in its own transaction. */
#ifndef HEARTH_CATALOGUE_H
#define HEARTH_CATALOGUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;

/* Category codes (as in the services CHECK), NULL-terminated, and titles
 * ("Family group conferencing"). */
extern const char *const catalogue_categories[];
const char *catalogue_category_title(const char *code);   /* the code if unknown */
/* Unit codes: session place_week grant one_off; NULL-terminated. */
extern const char *const catalogue_units[];
/* "session", "place-week", "grant", "one-off" (singular), and the plural
 * for a quantity ("6 sessions", "1 place-week"). */
const char *catalogue_unit_title(const char *unit);
const char *catalogue_unit_plural(const char *unit, int64_t quantity);

struct provider {
	int64_t id;
	const char *name, *contact;
	int nservices;
};

struct service {
	int64_t id, provider_id;
	const char *provider_name, *name, *category, *unit, *description;
	int64_t unit_cost_pence;
	int capacity;                  /* 0: no limit */
	bool exit_route, active;
	int64_t *district_ids;         /* the districts it serves (none: partnership-wide) */
	const char **district_names;
	size_t ndistricts;
	const char *districts;         /* "Belgrave, Spinney Hills"; "All districts" when none */
	bool serves_district;          /* catalogue_services with a district: it serves it */
};

/* One service (active or not) with its districts.  HE_NOT_FOUND if none. */
int service_get(struct db *db, struct arena *a, int64_t id, struct service *out);

/* The services, by category then name.  active_only: skip inactive ones.
 * district_id > 0: those serving that district (or every district) come
 * first, marked serves_district.  No audit (the catalogue is not personal). */
int catalogue_services(struct db *db, struct arena *a, bool active_only, int64_t district_id,
		       struct service **out, size_t *n);
/* The providers by name, with their number of services. */
int catalogue_providers(struct db *db, struct arena *a, struct provider **out, size_t *n);

/* Every district (id, name) by name: the choices of the forms. */
struct catalogue_district { int64_t id; const char *name; };
int catalogue_districts(struct db *db, struct arena *a, struct catalogue_district **out, size_t *n);

struct provider_in { const char *name, *contact; };
/* Add (id 0) or edit a provider: name 1–200 characters and unique (field
 * "name"), contact ≤ 500 (field "contact").  Own tx, audit. */
int provider_save(struct db *db, const struct scope *s, int64_t id, const struct provider_in *in,
		  int64_t *out_id, struct errinfo *e);

struct service_in {
	int64_t provider_id;
	const char *name, *category, *unit, *description;
	int64_t unit_cost_pence;
	int capacity;                  /* 0: no limit */
	bool exit_route, active;
	const int64_t *district_ids; size_t ndistricts;
};
/* Add (id 0) or edit a service.  Fields checked: "provider_id", "name"
 * (1–200, unique for the provider), "category", "unit", "unit_cost"
 * (0 … MONEY_MAX), "capacity" (≥ 0), "districts" (known ids),
 * "description" (≤ 2,000).  Own tx, audit. */
int service_save(struct db *db, const struct scope *s, int64_t id, const struct service_in *in,
		 int64_t *out_id, struct errinfo *e);

#endif
