/* test_agency.c — unit tests for src/core/agency.c: the kinds and their
 * titles, checks (name, kind, email shape), saving agencies (audited,
 * duplicate names refused, edits), professionals (linking to an agency
 * sign-in by email or id, refusing a non-agency user and a second link,
 * retiring), the capability rule, and the lists.  Runs on SQLite, or
 * PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/agency.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};

static struct scope role_scope(enum role r)
{
	struct scope s = {0};
	s.caps = caps_for_role(r);
	s.user_id = 0;
	s.who = &who;
	return s;
}

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql))
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static void users(struct db *db)
{
	exec(db, "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES"
	     " (50, 'grace@hearth.example', 'Grace Mensah', 'agency', 'x', 'now', 'now'),"
	     " (51, 'omar@hearth.example', 'Omar Ali', 'agency', 'x', 'now', 'now'),"
	     " (52, 'wendy@hearth.example', 'Wendy Worker', 'worker', 'x', 'now', 'now')");
}

static void test_kinds(void **state)
{
	(void)state;
	int n = 0;
	for (; agency_kinds[n]; n++)
		assert_true(*agency_kind_title(agency_kinds[n]));
	assert_int_equal(n, 11);
	assert_string_equal(agency_kind_title("jobcentre"), "Jobcentre Plus");
	assert_string_equal(agency_kind_title("camhs"), "CAMHS (mental health)");
	assert_string_equal(agency_kind_title("nope"), "");
	assert_string_equal(agency_kind_title(NULL), "");
}

static void test_agency_save(void **state)
{
	struct db *db = DB(state);
	struct scope coord = role_scope(ROLE_COORDINATOR), worker = role_scope(ROLE_WORKER);
	struct errinfo e = {0};
	int64_t id = 0, id2 = 0;
	struct agency_in in = {.name = "", .kind = "education_welfare"};
	assert_int_equal(agency_save(db, &coord, 0, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "name");
	in.name = "City Council Education Welfare Service";
	in.kind = "wizards";
	assert_int_equal(agency_save(db, &coord, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "kind");
	in.kind = "education_welfare";
	in.email = "not an email";
	assert_int_equal(agency_save(db, &coord, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "email");
	in.email = "ews@city.example";
	/* a worker sees the directory but may not change it */
	assert_int_equal(agency_save(db, &worker, 0, &in, &id, &e), HE_FORBIDDEN);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM agencies"), 0);
	assert_int_equal(agency_save(db, &coord, 0, &in, &id, &e), HE_OK);
	assert_true(id > 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'agencies'"
				    " AND action = 'create'"), 1);
	/* names are unique whatever their case */
	in.name = "city council education welfare service";
	assert_int_equal(agency_save(db, &coord, 0, &in, &id2, &e), HE_CONFLICT);
	assert_string_equal(e.field, "name");
	/* edit */
	in.name = "City Education Welfare";
	in.phone = "0116 000 0000";
	assert_int_equal(agency_save(db, &coord, id, &in, &id2, &e), HE_OK);
	assert_int_equal(id2, id);
	struct arena a;
	arena_init(&a);
	struct agency g;
	assert_int_equal(agency_get(db, &a, id, &g), HE_OK);
	assert_string_equal(g.name, "City Education Welfare");
	assert_string_equal(g.phone, "0116 000 0000");
	assert_int_equal(agency_get(db, &a, id + 100, &g), HE_NOT_FOUND);
	in.name = "Another name";
	assert_int_equal(agency_save(db, &coord, id + 100, &in, &id2, &e), HE_NOT_FOUND);
	int64_t found = 0;
	assert_int_equal(agency_id_by_name(db, "City Education Welfare", &found), HE_OK);
	assert_int_equal(found, id);
	arena_free(&a);
}

static void test_professionals(void **state)
{
	struct db *db = DB(state);
	struct scope coord = role_scope(ROLE_COORDINATOR);
	struct errinfo e = {0};
	int64_t ews = 0, nurse = 0, grace = 0, omar = 0, x = 0;
	users(db);
	struct agency_in a1 = {.name = "Education Welfare", .kind = "education_welfare"};
	struct agency_in a2 = {.name = "School Nursing", .kind = "school_nursing"};
	assert_int_equal(agency_save(db, &coord, 0, &a1, &ews, &e), HE_OK);
	assert_int_equal(agency_save(db, &coord, 0, &a2, &nurse, &e), HE_OK);
	struct directory_professional_in p = {
		.name = "Grace Mensah", .role = "Education welfare officer",
		.user_email = "wendy@hearth.example", .active = true,
	};
	/* a worker's sign-in cannot be linked as a professional */
	assert_int_equal(professional_save(db, &coord, 0, ews, &p, &grace, &e), HE_INVALID);
	assert_string_equal(e.field, "user_email");
	p.user_email = "GRACE@hearth.example";
	assert_int_equal(professional_save(db, &coord, 0, ews + 99, &p, &grace, &e), HE_NOT_FOUND);
	assert_int_equal(professional_save(db, &coord, 0, ews, &p, &grace, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT user_id FROM professionals WHERE name = 'Grace Mensah'"), 50);
	/* the same sign-in cannot be two professionals */
	struct directory_professional_in q = {.name = "Someone Else", .user_id = 50, .active = true};
	assert_int_equal(professional_save(db, &coord, 0, nurse, &q, &x, &e), HE_CONFLICT);
	assert_string_equal(e.field, "user_email");
	q.user_id = 51;
	q.name = "Omar Ali";
	assert_int_equal(professional_save(db, &coord, 0, nurse, &q, &omar, &e), HE_OK);
	struct directory_professional_in r = {.name = "Jo Nurse", .email = "bad", .active = true};
	assert_int_equal(professional_save(db, &coord, 0, nurse, &r, &x, &e), HE_INVALID);
	assert_string_equal(e.field, "email");
	r.email = "jo@nhs.example";
	assert_int_equal(professional_save(db, &coord, 0, nurse, &r, &x, &e), HE_OK);
	/* editing in another agency's name is refused; retiring works */
	q.active = false;
	assert_int_equal(professional_save(db, &coord, omar, ews, &q, &x, &e), HE_NOT_FOUND);
	assert_int_equal(professional_save(db, &coord, omar, 0, &q, &x, &e), HE_OK);
	struct scope worker = role_scope(ROLE_WORKER);
	assert_int_equal(professional_save(db, &worker, omar, 0, &q, &x, &e), HE_FORBIDDEN);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'professionals'"), 4);

	struct arena a;
	arena_init(&a);
	struct professional *l;
	size_t n;
	assert_int_equal(professional_list(db, &a, 0, true, &l, &n), HE_OK);
	assert_int_equal(n, 2);                   /* Omar retired */
	assert_string_equal(l[0].name, "Grace Mensah");   /* Education Welfare sorts first */
	assert_string_equal(l[0].agency_kind, "education_welfare");
	assert_string_equal(l[0].user_email, "grace@hearth.example");
	assert_string_equal(l[1].name, "Jo Nurse");
	assert_null(l[1].user_email);
	assert_int_equal(professional_list(db, &a, nurse, false, &l, &n), HE_OK);
	assert_int_equal(n, 2);
	struct agency *ag;
	assert_int_equal(agency_list(db, &a, &ag, &n), HE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ag[1].name, "School Nursing");
	assert_int_equal(ag[1].nprofessionals, 1);
	struct professional one;
	assert_int_equal(professional_get(db, &a, grace, &one), HE_OK);
	assert_string_equal(one.role, "Education welfare officer");
	assert_int_equal(professional_get(db, &a, grace + 99, &one), HE_NOT_FOUND);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test_setup_teardown(test_agency_save, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_professionals, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
