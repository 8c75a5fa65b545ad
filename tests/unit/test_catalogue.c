/* test_catalogue.c — unit tests for src/core/catalogue.c: adding and
 * changing providers and services (each refusal naming its field, nothing
 * written on a refusal, every change audited, only CAP_CATALOGUE_MANAGE),
 * the districts a service serves, the listing order with a district
 * (those serving it first), and the category and unit titles.
 *
 * On SQLite, or PostgreSQL with HEARTH_TEST_PG (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/catalogue.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc == 0)
		fix_exec(DB(state), "INSERT INTO districts (id, name) VALUES (2, 'Spinney Hills'),"
			 " (3, 'Abbey')");
	return rc;
}

static int64_t provider(struct db *db, const char *name)
{
	struct scope s = fix_scope(USER_COORD);
	struct provider_in in = {.name = name, .contact = "0116 000 0000"};
	struct errinfo e = {0};
	int64_t id = 0;
	if (provider_save(db, &s, 0, &in, &id, &e) != HE_OK)
		fail_msg("provider_save: %s %s", e.field, e.message);
	return id;
}

static void test_titles(void **state)
{
	(void)state;
	assert_string_equal(catalogue_category_title("family_group_conferencing"),
			    "Family group conferencing");
	assert_string_equal(catalogue_category_title("nonsense"), "nonsense");
	assert_string_equal(catalogue_unit_title("place_week"), "place-week");
	assert_string_equal(catalogue_unit_plural("session", 6), "sessions");
	assert_string_equal(catalogue_unit_plural("session", 1), "session");
	assert_string_equal(catalogue_unit_plural("one_off", 2), "one-offs");
	int n = 0;
	while (catalogue_categories[n])
		n++;
	assert_int_equal(n, 12);     /* every category of the services CHECK */
}

static void test_provider(void **state)
{
	struct db *db = DB(state);
	struct scope coord = fix_scope(USER_COORD), school = fix_scope(USER_A);
	struct errinfo e = {0};
	struct provider_in in = {.name = "Leicester Mediation", .contact = ""};
	int64_t id = 0;
	assert_int_equal(provider_save(db, &school, 0, &in, &id, &e), HE_FORBIDDEN);
	assert_int_equal(provider_save(db, &coord, 0, &in, &id, &e), HE_OK);
	assert_true(id > 0);
	int64_t id2 = 0;
	assert_int_equal(provider_save(db, &coord, 0, &in, &id2, &e), HE_CONFLICT);
	assert_string_equal(e.field, "name");
	in.name = "";
	assert_int_equal(provider_save(db, &coord, 0, &in, &id2, &e), HE_MISSING);
	assert_string_equal(e.field, "name");
	in.name = "Leicester Mediation Services";
	assert_int_equal(provider_save(db, &coord, id, &in, NULL, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM providers"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'providers'"
				    " AND action = 'create'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'providers'"
				    " AND action = 'update'"), 1);
}

static void test_service(void **state)
{
	struct db *db = DB(state);
	struct scope coord = fix_scope(USER_COORD), worker = fix_scope(USER_WORKER);
	int64_t p = provider(db, "Family Rights Group");
	int64_t d[] = {1, 2};
	struct service_in in = {.provider_id = p, .name = "Family group conference",
				.category = "family_group_conferencing", .unit = "session",
				.unit_cost_pence = 9000, .capacity = 8, .exit_route = false, .active = true,
				.district_ids = d, .ndistricts = 2, .description = "Up to six sessions."};
	struct errinfo e = {0};
	int64_t id = 0;
	assert_int_equal(service_save(db, &worker, 0, &in, &id, &e), HE_FORBIDDEN);
	assert_int_equal(service_save(db, &coord, 0, &in, &id, &e), HE_OK);

	struct arena a;
	arena_init(&a);
	struct service v;
	assert_int_equal(service_get(db, &a, id, &v), HE_OK);
	assert_string_equal(v.name, "Family group conference");
	assert_string_equal(v.provider_name, "Family Rights Group");
	assert_int_equal(v.unit_cost_pence, 9000);
	assert_int_equal(v.capacity, 8);
	assert_int_equal(v.ndistricts, 2);
	assert_string_equal(v.districts, "Belgrave, Spinney Hills");
	assert_true(v.active);
	assert_int_equal(service_get(db, &a, 999, &v), HE_NOT_FOUND);

	/* refusals name their field and write nothing */
	struct { const char *field; int code; struct service_in in; } bad[] = {
		{"provider_id", HE_INVALID, in}, {"name", HE_CONFLICT, in}, {"category", HE_INVALID, in},
		{"unit", HE_INVALID, in}, {"unit_cost", HE_INVALID, in}, {"capacity", HE_INVALID, in},
		{"districts", HE_INVALID, in},
	};
	int64_t nod[] = {99};
	bad[0].in.provider_id = 77;
	bad[2].in.name = "x2", bad[2].in.category = "astrology";
	bad[3].in.name = "x3", bad[3].in.unit = "hour";
	bad[4].in.name = "x4", bad[4].in.unit_cost_pence = -1;
	bad[5].in.name = "x5", bad[5].in.capacity = -2;
	bad[6].in.name = "x6", bad[6].in.district_ids = nod, bad[6].in.ndistricts = 1;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t x = 0;
		int rc = service_save(db, &coord, 0, &bad[i].in, &x, &e);
		if (rc != bad[i].code || strcmp(e.field, bad[i].field) != 0)
			fail_msg("case %zu: rc %d field %s (%s)", i, rc, e.field, e.message);
	}
	assert_int_equal(fix_int(db, "SELECT count(*) FROM services WHERE provider_id = :id", p), 1);

	/* change: districts replaced (none: every district), inactive */
	in.ndistricts = 0;
	in.active = false;
	in.unit_cost_pence = 9500;
	assert_int_equal(service_save(db, &coord, id, &in, NULL, &e), HE_OK);
	assert_int_equal(service_get(db, &a, id, &v), HE_OK);
	assert_int_equal(v.ndistricts, 0);
	assert_string_equal(v.districts, "All districts");
	assert_false(v.active);
	assert_int_equal(v.unit_cost_pence, 9500);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'services'"), 2);
	arena_free(&a);
}

static void test_listing(void **state)
{
	struct db *db = DB(state);
	struct scope coord = fix_scope(USER_COORD);
	int64_t p = provider(db, "Provider");
	int64_t belgrave[] = {1}, abbey[] = {3};
	struct service_in a1 = {.provider_id = p, .name = "Abbey childcare", .category = "childcare",
				.unit = "place_week", .unit_cost_pence = 15000, .active = true,
				.district_ids = abbey, .ndistricts = 1};
	struct service_in b1 = {.provider_id = p, .name = "Belgrave therapy", .category = "therapy",
				.unit = "session", .unit_cost_pence = 6000, .active = true,
				.district_ids = belgrave, .ndistricts = 1};
	struct service_in all = {.provider_id = p, .name = "Everywhere grant", .category = "household",
				 .unit = "grant", .unit_cost_pence = 0, .active = true};
	struct service_in off = {.provider_id = p, .name = "Retired", .category = "other",
				 .unit = "one_off", .unit_cost_pence = 100, .active = false};
	struct errinfo e = {0};
	assert_int_equal(service_save(db, &coord, 0, &a1, NULL, &e), HE_OK);
	assert_int_equal(service_save(db, &coord, 0, &b1, NULL, &e), HE_OK);
	assert_int_equal(service_save(db, &coord, 0, &all, NULL, &e), HE_OK);
	assert_int_equal(service_save(db, &coord, 0, &off, NULL, &e), HE_OK);
	struct arena a;
	arena_init(&a);
	struct service *v;
	size_t n;
	assert_int_equal(catalogue_services(db, &a, true, 1, &v, &n), HE_OK);
	assert_int_equal(n, 3);
	/* serving Belgrave first (household < therapy by category), then the rest */
	assert_string_equal(v[0].name, "Everywhere grant");
	assert_true(v[0].serves_district);
	assert_string_equal(v[1].name, "Belgrave therapy");
	assert_true(v[1].serves_district);
	assert_string_equal(v[2].name, "Abbey childcare");
	assert_false(v[2].serves_district);
	assert_int_equal(catalogue_services(db, &a, false, 0, &v, &n), HE_OK);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].name, "Abbey childcare");    /* childcare first by category */
	struct provider *pv;
	assert_int_equal(catalogue_providers(db, &a, &pv, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(pv[0].nservices, 4);
	struct catalogue_district *dv;
	assert_int_equal(catalogue_districts(db, &a, &dv, &n), HE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(dv[0].name, "Abbey");
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_titles),
		cmocka_unit_test_setup_teardown(test_provider, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_service, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_listing, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
