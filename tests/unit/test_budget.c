/* test_budget.c — unit tests for src/core/budget.c: the budget position
 * from commissions in every status (committed, spent net of refunds,
 * pending, available — to the penny), who holds a budget and who sees it
 * (a school user only its own school's; a denial audited), creating and
 * editing with funding sources that must sum to the amount (a district's
 * budget too, held by the coordinator and hidden from schools), the version
 * check, the overspend message, the lock outside a transaction, and the
 * budgets a case may draw on.
 *
 * On SQLite, or PostgreSQL with HEARTH_TEST_PG (testdb.h).  Cases and
 * commissions are inserted with SQL directly (commissions are another
 * module's; their rows are what the position reads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "base/money.h"
#include "core/budget.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { USER_ADMIN = 6 };

static int fy_now(void)
{
	return financial_year(date_today());
}

/* A budget by SQL: owner 's' school A, 'b' school B, 'd' district 1, 'p' partnership. */
static int64_t mk_budget(struct db *db, char owner, int64_t amount)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO budgets (name, owner_kind, school_id, district_id, period, start_year,"
		" amount_pence, created_at, updated_at) VALUES (:name, :kind, :school, :district,"
		" 'financial', :year, :amount, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id");
	const char *kind = owner == 's' || owner == 'b' ? "school" : owner == 'd' ? "district"
							: "partnership";
	char name[64];
	snprintf(name, sizeof name, "Budget %c", owner);
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":kind", kind);
	if (owner == 's' || owner == 'b')
		db_bind_int(st, ":school", owner == 's' ? SCHOOL_A : SCHOOL_B);
	else
		db_bind_null(st, ":school");
	if (owner == 'd')
		db_bind_int(st, ":district", 1);
	else
		db_bind_null(st, ":district");
	db_bind_int(st, ":year", fy_now());
	db_bind_int(st, ":amount", amount);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	if (db_finalize(st) != HE_OK || !id)
		fail_msg("insert budget: %s", db_errmsg(db));
	return id;
}

/* Family 1 (Khan: Cara at school B is a member), referral 1 from school
 * A, worker 1, case 1. */
static void mk_case(struct db *db)
{
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		" (1, 'F-000001', 'Khan family', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO family_members (family_id, name, relationship, is_child, pupil_id, created_at)"
		" VALUES (1, 'Cara Khan', 'child', 1, 3, '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		" needs, reason, status, received_at) VALUES (1, 'R-000001', 1, 'school', 1, 3,"
		" 'finances', 'x', 'accepted', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		" (1, 'Sam', 'Pool', 'family_support', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, opened_on,"
		" created_at, updated_at) VALUES (1, 'C-000001', 1, 1, 1, '2026-01-02',"
		" '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
}

static void mk_commission(struct db *db, int64_t budget, const char *status, int qty, int64_t unit,
			  int64_t actual, int64_t refunded)
{
	static int n;
	char ref[16];
	snprintf(ref, sizeof ref, "M-%06d", ++n);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO commissions (ref, case_id, budget_id, kind, quantity, unit_cost_pence,"
		" estimate_pence, actual_pence, refunded_pence, status, reason, requested_at, updated_at)"
		" VALUES (:ref, 1, :b, 'household_grant', :q, :u, :est, :actual, :refunded, :status,"
		" 'x', '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z')");
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":b", budget);
	db_bind_int(st, ":q", qty);
	db_bind_int(st, ":u", unit);
	db_bind_int(st, ":est", qty * unit);
	if (actual >= 0)
		db_bind_int(st, ":actual", actual);
	else
		db_bind_null(st, ":actual");
	db_bind_int(st, ":refunded", refunded);
	db_bind_text(st, ":status", status);
	if (db_done(st) != HE_OK)
		fail_msg("insert commission: %s", db_errmsg(db));
}

static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc == 0) {
		fix_user(DB(state), USER_ADMIN, "admin", 0);
		mk_case(DB(state));
	}
	return rc;
}

static struct scope scope_of(int user)
{
	if (user == USER_ADMIN) {
		struct scope s = {0};
		s.caps = caps_for_role(ROLE_ADMIN);
		s.user_id = USER_ADMIN;
		s.who = &fix_who;
		return s;
	}
	return fix_scope(user);
}

/* ---- the position ----------------------------------------------------------- */

static void test_position(void **state)
{
	struct db *db = DB(state);
	int64_t b = mk_budget(db, 's', 100000), other = mk_budget(db, 'p', 50000);
	struct budget_pos p;
	assert_int_equal(budget_position(db, b, &p), HE_OK);
	assert_int_equal(p.amount, 100000);
	assert_int_equal(p.committed + p.spent + p.pending, 0);
	assert_int_equal(p.available, 100000);

	mk_commission(db, b, "requested", 1, 5000, -1, 0);        /* pending 50.00 */
	mk_commission(db, b, "approved", 3, 3333, -1, 0);         /* committed 99.99 */
	mk_commission(db, b, "delivered", 1, 10000, 9000, 0);     /* committed at actual 90.00 */
	mk_commission(db, b, "paid", 1, 20000, 20000, 1500);      /* spent 185.00 */
	mk_commission(db, b, "declined", 1, 7000, -1, 0);         /* nothing */
	mk_commission(db, b, "cancelled", 1, 8000, -1, 0);        /* nothing: released */
	mk_commission(db, other, "approved", 1, 40000, -1, 0);    /* another budget */
	assert_int_equal(budget_position(db, b, &p), HE_OK);
	assert_int_equal(p.amount, 100000);
	assert_int_equal(p.committed, 9999 + 9000);
	assert_int_equal(p.spent, 18500);
	assert_int_equal(p.pending, 5000);
	assert_int_equal(p.available, 100000 - 18999 - 18500);
	assert_int_equal(budget_position(db, other, &p), HE_OK);
	assert_int_equal(p.committed, 40000);
	assert_int_equal(p.available, 10000);
	assert_int_equal(budget_position(db, 9999, &p), HE_NOT_FOUND);

	/* budget_get carries the same position, sources with their shares. */
	fix_exec(db, "INSERT INTO budget_sources (budget_id, source, amount_pence) VALUES"
		" (2, 'DSG transfer', 7900), (2, 'City Council', 42100)");
	struct arena a;
	arena_init(&a);
	struct budget bg;
	assert_int_equal(budget_get(db, &a, other, &bg), HE_OK);
	assert_int_equal(bg.pos.available, 10000);
	assert_string_equal(bg.owner_name, "The partnership");
	assert_int_equal(bg.nsources, 2);
	assert_string_equal(bg.sources[0].source, "City Council");
	assert_string_equal(bg.sources[0].share, "84.2%");
	assert_string_equal(bg.sources[1].share, "15.8%");
	char label[64];
	snprintf(label, sizeof label, "Financial year %d\xE2\x80\x93%02d", fy_now(), (fy_now() + 1) % 100);
	assert_string_equal(bg.period_label, label);
	assert_int_equal(strncmp(bg.start_on + 4, "-04-01", 6), 0);
	assert_int_equal(strncmp(bg.end_on + 4, "-03-31", 6), 0);

	struct budget_line *lines;
	size_t n;
	assert_int_equal(budget_commissions(db, &a, b, &lines, &n), HE_OK);
	assert_int_equal(n, 6);
	assert_string_equal(lines[0].status, "cancelled");
	assert_string_equal(lines[0].case_ref, "C-000001");
	assert_int_equal(lines[2].actual_pence, 20000);
	assert_int_equal(lines[5].actual_pence, -1);
	arena_free(&a);
}

static void test_afford(void **state)
{
	struct db *db = DB(state);
	int64_t b = mk_budget(db, 's', 100000);
	fix_exec(db, "UPDATE budgets SET name = 'Alpha Academy commissioning budget' WHERE id = 1");
	mk_commission(db, b, "approved", 1, 12000, -1, 0);
	mk_commission(db, b, "requested", 1, 90000, -1, 0);   /* pending does not count */
	struct errinfo e = {0};
	assert_int_equal(budget_check_afford(db, b, 88000, &e), HE_OK);    /* exactly all */
	assert_int_equal(budget_check_afford(db, b, 88001, &e), HE_CONFLICT);
	assert_string_equal(e.field, "budget");
	assert_string_equal(e.message, "This would overspend Alpha Academy commissioning budget by "
			    "\xC2\xA3" "0.01 (available \xC2\xA3" "880.00)");
	assert_int_equal(budget_check_afford(db, b, 100000, &e), HE_CONFLICT);
	assert_string_equal(e.message, "This would overspend Alpha Academy commissioning budget by "
			    "\xC2\xA3" "120.00 (available \xC2\xA3" "880.00)");
	assert_int_equal(budget_check_afford(db, 999, 1, &e), HE_NOT_FOUND);

	/* the lock needs a transaction, bumps the version */
	assert_int_equal(budget_lock_tx(db, b), HE_INTERNAL);
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(budget_lock_tx(db, b), HE_OK);
	assert_int_equal(budget_lock_tx(db, 999), HE_NOT_FOUND);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(fix_int(db, "SELECT version FROM budgets WHERE id = :id", b), 2);
}

/* ---- scope -------------------------------------------------------------------- */

static void test_holds_and_visible(void **state)
{
	struct db *db = DB(state);
	int64_t sa = mk_budget(db, 's', 1000), sb = mk_budget(db, 'b', 1000);
	int64_t d = mk_budget(db, 'd', 1000), p = mk_budget(db, 'p', 1000);
	struct { int user; int64_t budget; bool holds, sees; } cases[] = {
		{USER_A, sa, true, true}, {USER_A, sb, false, false}, {USER_A, d, false, false},
		{USER_A, p, false, false}, {USER_B, sb, true, true}, {USER_B, sa, false, false},
		{USER_COORD, sa, false, true}, {USER_COORD, sb, false, true},
		{USER_COORD, d, true, true}, {USER_COORD, p, true, true},
		{USER_WORKER, sa, false, false}, {USER_WORKER, p, false, false},
		{USER_ADMIN, p, false, true}, {USER_ADMIN, sa, false, true},
		{USER_COORD, 999, false, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct scope s = scope_of(cases[i].user);
		bool h = !cases[i].holds, v = !cases[i].sees;
		assert_int_equal(budget_holds(db, &s, cases[i].budget, &h), HE_OK);
		assert_int_equal(budget_visible(db, &s, cases[i].budget, &v), HE_OK);
		if (h != cases[i].holds || v != cases[i].sees)
			fail_msg("user %d budget %lld: holds %d sees %d", cases[i].user,
				 (long long)cases[i].budget, h, v);
	}
	struct scope sys;
	scope_system(&fix_who, &sys);
	bool yes = false;
	assert_int_equal(budget_holds(db, &sys, sa, &yes), HE_OK);
	assert_true(yes);

	/* lists: the school user sees its own only */
	struct arena a;
	arena_init(&a);
	struct budget *v;
	size_t n;
	struct scope s = fix_scope(USER_A);
	assert_int_equal(budget_list(db, &a, &s, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, sa);
	s = fix_scope(USER_COORD);
	assert_int_equal(budget_list(db, &a, &s, &v, &n), HE_OK);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].owner_kind, "partnership");
	s = fix_scope(USER_WORKER);
	assert_int_equal(budget_list(db, &a, &s, &v, &n), HE_OK);
	assert_int_equal(n, 0);

	/* a view of another school's budget: not found, audited as denied */
	struct errinfo e = {0};
	struct budget b;
	s = fix_scope(USER_A);
	int64_t before = testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
	assert_int_equal(budget_load(db, &a, &s, sb, &b, &e), HE_NOT_FOUND);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
				    " AND entity = 'budgets'"), before + 1);
	assert_int_equal(budget_load(db, &a, &s, sa, &b, &e), HE_OK);
	assert_string_equal(b.owner_name, "Alpha Academy");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
				    " AND entity = 'budgets'"), 1);
	arena_free(&a);
}

static void test_for_case(void **state)
{
	struct db *db = DB(state);
	int64_t sa = mk_budget(db, 's', 1000), sb = mk_budget(db, 'b', 1000);
	int64_t d = mk_budget(db, 'd', 1000), p = mk_budget(db, 'p', 1000);
	fix_exec(db, "INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (4, '900004', 'Delta School', 'primary', 1, '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO budgets (name, owner_kind, school_id, period, start_year,"
		" amount_pence, created_at, updated_at) VALUES ('Delta', 'school', 4, 'financial', 2030,"
		" 1, 'x', 'x'), ('Old partnership', 'partnership', NULL, 'financial', 2001, 1, 'x', 'x')");
	struct arena a;
	arena_init(&a);
	struct budget *v;
	size_t n;
	assert_int_equal(budget_for_case(db, &a, 1, NULL, &v, &n), HE_OK);
	assert_int_equal(n, 4);     /* A (referrer), B (Cara's school), the district, the partnership */
	assert_int_equal(v[0].id, sb);   /* school budgets by name: "Budget b", "Budget s" */
	assert_int_equal(v[1].id, sa);
	assert_int_equal(v[2].id, d);
	assert_int_equal(v[3].id, p);
	assert_int_equal(budget_for_case(db, &a, 1, "2001-06-01", &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "Old partnership");
	arena_free(&a);
}

/* ---- saving ------------------------------------------------------------------ */

static void test_save(void **state)
{
	struct db *db = DB(state);
	struct scope coord = fix_scope(USER_COORD), school = fix_scope(USER_A);
	struct budget_source_in src[] = {
		{"Dedicated Schools Grant transfer", 144000000}, {"City Council", 700000000},
		{"Pilot grant", 66000000}};
	struct budget_in in = {.name = "Local Support Teams pooled budget", .owner_kind = "partnership",
			       .period = "financial", .start_year = 2026, .amount_pence = 910000000,
			       .sources = src, .nsources = 3};
	struct errinfo e = {0};
	int64_t id = 0;
	assert_int_equal(budget_save(db, &school, 0, 0, &in, &id, &e), HE_FORBIDDEN);
	assert_int_equal(budget_save(db, &coord, 0, 0, &in, &id, &e), HE_OK);
	assert_true(id > 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM budget_sources"), 3);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'budgets'"
				    " AND action = 'create'"), 1);
	struct arena a;
	arena_init(&a);
	struct budget b;
	assert_int_equal(budget_get(db, &a, id, &b), HE_OK);
	assert_string_equal(b.sources[1].source, "Dedicated Schools Grant transfer");
	assert_string_equal(b.sources[1].share, "15.8%");

	/* sources must sum to the amount: nothing written */
	src[2].amount_pence = 65999999;
	int64_t id2 = 0;
	assert_int_equal(budget_save(db, &coord, 0, 0, &in, &id2, &e), HE_INVALID);
	assert_string_equal(e.field, "sources");
	assert_string_equal(e.message, "The funding sources add up to \xC2\xA3" "9,099,999.99 but the "
			    "budget is \xC2\xA3" "9,100,000.00: they must be equal");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM budgets"), 1);
	src[2].amount_pence = 66000000;

	/* other refusals, each naming its field */
	struct budget_in x = in;
	x.name = " ";
	assert_int_equal(budget_save(db, &coord, 0, 0, &x, &id2, &e), HE_MISSING);
	assert_string_equal(e.field, "name");
	x = in;
	x.owner_kind = "school";
	x.school_id = 99;
	assert_int_equal(budget_save(db, &coord, 0, 0, &x, &id2, &e), HE_INVALID);
	assert_string_equal(e.field, "school_id");
	x = in;
	x.period = "calendar";
	assert_int_equal(budget_save(db, &coord, 0, 0, &x, &id2, &e), HE_INVALID);
	assert_string_equal(e.field, "period");
	x = in;
	x.start_year = 1999;
	assert_int_equal(budget_save(db, &coord, 0, 0, &x, &id2, &e), HE_INVALID);
	assert_string_equal(e.field, "start_year");
	x = in;
	x.nsources = 0;
	assert_int_equal(budget_save(db, &coord, 0, 0, &x, &id2, &e), HE_MISSING);
	assert_string_equal(e.field, "sources");
	struct budget_source_in dup[] = {{"Council", 100}, {"Council", 100}};
	x = in;
	x.amount_pence = 200;
	x.sources = dup;
	x.nsources = 2;
	assert_int_equal(budget_save(db, &coord, 0, 0, &x, &id2, &e), HE_INVALID);
	assert_string_equal(e.field, "sources.1.source");

	/* editing: the version must match; amount not below committed + spent */
	struct budget_source_in one[] = {{"City Council", 50000}};
	struct budget_in ed = {.name = "Renamed", .owner_kind = "school", .school_id = SCHOOL_A,
			       .period = "academic", .start_year = 2026, .amount_pence = 50000,
			       .sources = one, .nsources = 1};
	assert_int_equal(budget_save(db, &coord, id, 7, &ed, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	mk_commission(db, id, "paid", 1, 60000, 60000, 0);
	assert_int_equal(budget_save(db, &coord, id, 1, &ed, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "amount");
	one[0].amount_pence = ed.amount_pence = 60000;
	assert_int_equal(budget_save(db, &coord, id, 1, &ed, NULL, &e), HE_OK);
	assert_int_equal(budget_get(db, &a, id, &b), HE_OK);
	assert_string_equal(b.name, "Renamed");
	assert_string_equal(b.owner_name, "Alpha Academy");
	assert_int_equal(b.version, 2);
	assert_int_equal(b.nsources, 1);
	assert_int_equal(b.pos.available, 0);
	assert_int_equal(strncmp(b.start_on, "2026-09-01", 10), 0);
	assert_int_equal(strncmp(b.end_on, "2027-08-31", 10), 0);
	assert_int_equal(budget_save(db, &coord, id, 1, &ed, NULL, &e), HE_CONFLICT);
	arena_free(&a);
}

/* A district's budget through budget_save: an unknown district is
 * refused (field district_id); saved, its owner is the district, the
 * coordinator holds it and the district's school users neither hold nor
 * see it (a read is not found, audited as denied); the case of a family
 * at one of the district's schools may draw on it. */
static void test_save_district(void **state)
{
	struct db *db = DB(state);
	struct scope coord = fix_scope(USER_COORD), school = fix_scope(USER_A);
	struct budget_source_in src[] = {{"District grant", 250000}, {"Council top-up", 50000}};
	struct budget_in in = {.name = "Belgrave district budget", .owner_kind = "district", .district_id = 9,
			       .period = "financial", .start_year = fy_now(), .amount_pence = 300000,
			       .sources = src, .nsources = 2};
	struct errinfo e = {0};
	int64_t id = 0;
	assert_int_equal(budget_save(db, &coord, 0, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "district_id");
	in.district_id = 0;
	assert_int_equal(budget_save(db, &coord, 0, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "district_id");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM budgets"), 0);
	in.district_id = 1;
	assert_int_equal(budget_save(db, &school, 0, 0, &in, &id, &e), HE_FORBIDDEN);
	assert_int_equal(budget_save(db, &coord, 0, 0, &in, &id, &e), HE_OK);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM budgets WHERE id = :id AND owner_kind = 'district'"
				 " AND district_id = 1 AND school_id IS NULL", id), 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE entity = 'budgets' AND action ="
				 " 'create' AND entity_id = CAST(:id AS TEXT)", id), 1);
	struct arena a;
	arena_init(&a);
	struct budget b;
	assert_int_equal(budget_get(db, &a, id, &b), HE_OK);
	assert_string_equal(b.owner_kind, "district");
	assert_string_equal(b.owner_name, "Belgrave");
	assert_int_equal(b.district_id, 1);
	assert_int_equal(b.pos.available, 300000);
	assert_string_equal(b.sources[0].source, "District grant");
	assert_string_equal(b.sources[0].share, "83.3%");
	assert_string_equal(b.sources[1].share, "16.7%");
	/* who holds and who sees */
	int users[] = {USER_COORD, USER_A, USER_B, USER_WORKER, USER_ADMIN};
	bool holds[] = {true, false, false, false, false}, sees[] = {true, false, false, false, true};
	for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
		struct scope s = scope_of(users[i]);
		bool h = !holds[i], v = !sees[i];
		assert_int_equal(budget_holds(db, &s, id, &h), HE_OK);
		assert_int_equal(budget_visible(db, &s, id, &v), HE_OK);
		if (h != holds[i] || v != sees[i])
			fail_msg("user %d: holds %d sees %d", users[i], h, v);
	}
	struct budget *v;
	size_t n;
	assert_int_equal(budget_list(db, &a, &school, &v, &n), HE_OK);
	assert_int_equal(n, 0);
	int64_t before = testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
	assert_int_equal(budget_load(db, &a, &school, id, &b, &e), HE_NOT_FOUND);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity ="
				 " 'budgets' AND entity_id = CAST(:id AS TEXT)", id), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"), before + 1);
	assert_int_equal(budget_load(db, &a, &coord, id, &b, &e), HE_OK);
	assert_string_equal(b.owner_name, "Belgrave");
	/* the case (referred by school A, in the district) may draw on it */
	assert_int_equal(budget_for_case(db, &a, 1, NULL, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_position, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_afford, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_holds_and_visible, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_for_case, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_save, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_save_district, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
