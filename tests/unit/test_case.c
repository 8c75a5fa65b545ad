/* test_case.c — unit tests for src/core/case.c: refs, opening a case on
 * allocation (review date from the setting, chronology, audit), row scope
 * (own worker, a covering colleague, an unrelated worker, the coordinator,
 * a school user), contact validation (a held contact in the future, before
 * the referral or the case, duration bounds, planned visits), double
 * submission of a contact, the chronology merge order (events, contacts
 * and census attendance), step up and step down (a new referral for the
 * pool), transfer with its handover note, closure reasons and the family's
 * view, version conflicts between two editors, and withdrawn consent.
 *
 * Each test runs on a fresh database with the real migrations (SQLite, or
 * PostgreSQL with HEARTH_TEST_PG).  The partnership, pupils, family,
 * referral and consent are inserted with SQL so that these tests are about
 * case.c; step-down goes through referral_create_tx and withdrawal is read
 * through consent_basis_active, as in the program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/consent.h"
#include "core/family.h"
#include "core/referral.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who_sys = {
	.user_id = 0, .email = NULL, .role = "system", .route = "test case", .ip = NULL,
};
static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_y = {.email = "y@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};

/* The fixture's ids. */
struct fx {
	int64_t school, pupil1, pupil2, family, referral, consent;
	int64_t wx, wy, ux, uy, uc, us;
	struct scope sys, x, y, coord, school_user;
};

/* ---- helpers ----------------------------------------------------------------- */

static void exec(struct db *db, const char *sql)
{
	int rc = db_exec(db, sql);
	if (rc)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
}

static int64_t insert(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc || !id)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return id;
}

/* Today + days as "YYYY-MM-DD" (a static buffer of 8 rotating slots). */
static const char *day(int days)
{
	static char b[8][11];
	static int k;
	char *out = b[k++ % 8];
	date_format(date_today() + days, out);
	return out;
}

/* Today + days at hh:mm local time — but never in the future for days 0:
 * the tests use times that are safely past or ahead. */
static const char *at(int days, const char *hhmm)
{
	static char b[8][17];
	static int k;
	char *out = b[k++ % 8];
	snprintf(out, 17, "%sT%s", day(days), hhmm);
	return out;
}

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sqlf(const char *fmt, ...)
{
	static char b[4][2048];
	static int k;
	char *out = b[k++ % 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, 2048, fmt, ap);
	va_end(ap);
	return out;
}

static void worker_scope(struct scope *s, const struct audit_who *w, int64_t user, int64_t worker)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(ROLE_WORKER);
	s->user_id = user;
	s->worker_id = worker;
	s->who = w;
}

/* A school, two pupils of one family with two census extracts each, a
 * referral received 60 days ago with consent, workers X and Y with users,
 * a coordinator and a school user. */
static void fixture(struct db *db, struct fx *f)
{
	memset(f, 0, sizeof *f);
	exec(db, "INSERT INTO districts (name) VALUES ('Belgrave')");
	f->school = insert(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('999501', 'Case Test Academy', 'secondary', 1, '2026-01-01T00:00:00Z') RETURNING id");
	f->ux = insert(db, "INSERT INTO users (email, name, role, password_hash, created_at, updated_at)"
		" VALUES ('x@hearth.example', 'Xena Worker', 'worker', 'x', 'now', 'now') RETURNING id");
	f->uy = insert(db, "INSERT INTO users (email, name, role, password_hash, created_at, updated_at)"
		" VALUES ('y@hearth.example', 'Yusuf Worker', 'worker', 'x', 'now', 'now') RETURNING id");
	f->uc = insert(db, "INSERT INTO users (email, name, role, password_hash, created_at, updated_at)"
		" VALUES ('c@hearth.example', 'Cora Ordinator', 'coordinator', 'x', 'now', 'now') RETURNING id");
	f->us = insert(db, sqlf("INSERT INTO users (email, name, role, school_id, password_hash, created_at,"
		" updated_at) VALUES ('s@hearth.example', 'Sam School', 'school', %" PRId64 ", 'x', 'now',"
		" 'now') RETURNING id", f->school));
	f->wx = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Xena Worker', 'Early Help', 'family_support', 'now', 'now') RETURNING id",
		f->ux));
	f->wy = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Yusuf Worker', 'Early Help', 'family_support', 'now', 'now') RETURNING id",
		f->uy));
	/* real UPNs: the check letter of the twelve characters after it */
	char upn1[14], upn2[14];
	snprintf(upn1, sizeof upn1, "%c801999950001", upn_check_letter("801999950001"));
	snprintf(upn2, sizeof upn2, "%c801999950002", upn_check_letter("801999950002"));
	assert_true(upn_valid(upn1) && upn_valid(upn2));
	f->pupil1 = insert(db, sqlf("INSERT INTO pupils (upn, school_id, forename, surname, dob, gender,"
		" created_at, updated_at) VALUES ('%s', %" PRId64 ", 'Aisha', 'Khan', '2012-05-01',"
		" 'F', 'now', 'now') RETURNING id", upn1, f->school));
	f->pupil2 = insert(db, sqlf("INSERT INTO pupils (upn, school_id, forename, surname, dob, gender,"
		" created_at, updated_at) VALUES ('%s', %" PRId64 ", 'Bilal', 'Khan', '2015-02-01',"
		" 'M', 'now', 'now') RETURNING id", upn2, f->school));
	int64_t imp = insert(db, "INSERT INTO imports (kind, filename, status, started_at)"
		" VALUES ('csv', 'c.csv', 'applied', 'now') RETURNING id");
	exec(db, sqlf("INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date, year_group,"
		" sessions_possible, sessions_attended) VALUES (%" PRId64 ", %" PRId64 ", %" PRId64 ", '%s', 9,"
		" 100, 78), (%" PRId64 ", %" PRId64 ", %" PRId64 ", '%s', 9, 100, 71)",
		f->pupil1, imp, f->school, day(-100), f->pupil1, imp, f->school, day(-20)));
	f->family = insert(db, "INSERT INTO families (ref, name, address, postcode, home_language,"
		" created_at, updated_at) VALUES ('F-000001', 'Khan family', '12 Kiln Row', 'LE2 7QW',"
		" 'Urdu', 'now', 'now') RETURNING id");
	exec(db, sqlf("INSERT INTO family_members (family_id, pupil_id, name, relationship, is_child,"
		" dob, created_at) VALUES (%" PRId64 ", %" PRId64 ", 'Aisha Khan', 'child', 1, '2012-05-01',"
		" 'now'), (%" PRId64 ", %" PRId64 ", 'Bilal Khan', 'child', 1, '2015-02-01', 'now'),"
		" (%" PRId64 ", NULL, 'Nadia Khan', 'mother', 0, NULL, 'now')",
		f->family, f->pupil1, f->family, f->pupil2, f->family));
	f->referral = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source, school_id,"
		" level_of_need, needs, reason, received_at) VALUES ('R-000001', %" PRId64 ", 'school',"
		" %" PRId64 ", 2, 'attendance,parenting', 'Attendance falling', '%sT09:00:00Z') RETURNING id",
		f->family, f->school, day(-60)));
	f->consent = insert(db, sqlf("INSERT INTO consents (family_id, referral_id, basis, given_by,"
		" given_by_relationship, scope, given_on, recorded_at) VALUES (%" PRId64 ", %" PRId64 ","
		" 'consent', 'Nadia Khan', 'mother', 'pool,school', '%s', 'now') RETURNING id",
		f->family, f->referral, day(-60)));
	scope_system(&who_sys, &f->sys);
	who_x.user_id = f->ux;
	who_y.user_id = f->uy;
	who_c.user_id = f->uc;
	worker_scope(&f->x, &who_x, f->ux, f->wx);
	worker_scope(&f->y, &who_y, f->uy, f->wy);
	memset(&f->coord, 0, sizeof f->coord);
	f->coord.caps = caps_for_role(ROLE_COORDINATOR);
	f->coord.user_id = f->uc;
	f->coord.who = &who_c;
	memset(&f->school_user, 0, sizeof f->school_user);
	f->school_user.caps = caps_for_role(ROLE_SCHOOL);
	f->school_user.user_id = f->us;
	f->school_user.school_id = f->school;
	f->school_user.who = &who_sys;
}

/* Open the fixture's case with worker X, 50 days ago. */
static int64_t open_case(struct db *db, struct fx *f)
{
	int64_t id = 0;
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = case_open_tx(db, &f->coord, f->referral, f->wx, 2, false, day(-50), &id, &e);
	if (rc)
		fail_msg("case_open_tx: %d %s: %s [%s]", rc, e.field, e.message, db_errmsg(db));
	assert_int_equal(db_commit(db), HE_OK);
	return id;
}

static int64_t version(struct db *db, int64_t id)
{
	return count(db, sqlf("SELECT version FROM cases WHERE id = %" PRId64, id));
}

static struct contact_in held(const char *when, int minutes)
{
	struct contact_in in = {
		.at = when, .kind = "home_visit", .seen = "Nadia and Aisha", .place = "Home",
		.notes = "Talked about mornings", .duration_min = minutes, .planned = false,
	};
	return in;
}

/* ---- refs and opening ------------------------------------------------------ */

static void test_refs(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	char ref[16];
	int64_t id;
	fixture(db, &f);
	case_ref(123, ref);
	assert_string_equal(ref, "C-000123");
	case_ref(1234567, ref);
	assert_string_equal(ref, "C-1234567");
	int64_t c = open_case(db, &f);
	case_ref(c, ref);
	assert_int_equal(case_id_by_ref(db, ref, &id), HE_OK);
	assert_int_equal(id, c);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM cases WHERE ref = '%s'", ref)), 1);
	assert_int_equal(case_id_by_ref(db, "C-999999", &id), HE_NOT_FOUND);
	assert_int_equal(case_id_by_ref(db, "R-000001", &id), HE_NOT_FOUND);
	assert_int_equal(case_id_by_ref(db, "C-", &id), HE_NOT_FOUND);
	assert_int_equal(case_id_by_ref(db, "C-1x", &id), HE_NOT_FOUND);
	assert_int_equal(case_id_by_ref(db, NULL, &id), HE_NOT_FOUND);
}

static void test_open(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	/* outside a transaction: refused */
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, f.wx, 2, false, NULL, &id, &e),
			 HE_INTERNAL);
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, f.wx, 4, false, NULL, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "intensity");
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, 999, 2, false, NULL, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "worker_id");
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, f.wx, 2, false, day(1), &id, &e), HE_INVALID);
	assert_string_equal(e.field, "on_date");
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, f.wx, 2, false, day(-61), &id, &e), HE_INVALID);
	assert_string_equal(e.field, "on_date");
	assert_non_null(strstr(e.message, "referral was received"));
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, f.wx, 3, true, day(-50), &id, &e), HE_OK);
	assert_int_equal(case_open_tx(db, &f.coord, f.referral, f.wy, 2, false, NULL, &id, &e), HE_CONFLICT);
	assert_int_equal(db_commit(db), HE_OK);
	/* review after case.review_weeks (6) */
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM cases WHERE opened_on = '%s' AND"
		" next_review_on = '%s' AND intensity = 3 AND over_capacity = 1 AND status = 'open'"
		" AND version = 1", day(-50), day(-8))), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'allocated'"
		" AND summary LIKE '%Xena Worker is the lead worker%' AND detail LIKE '%override%'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'create' AND"
		" entity = 'cases' AND summary LIKE '%over capacity%'"), 1);
}

/* ---- scope ------------------------------------------------------------------ */

static void test_scope(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	bool yes;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	assert_int_equal(case_visible(db, &f.x, c, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(case_visible(db, &f.coord, c, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(case_visible(db, &f.y, c, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(case_visible(db, &f.school_user, c, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(case_visible(db, &f.coord, c + 100, &yes), HE_OK);
	assert_false(yes);

	/* An unrelated worker: not found, audited as denied, nothing written. */
	struct arena a;
	arena_init(&a);
	struct case_record r;
	int64_t denied = count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
	assert_int_equal(case_record_load(db, &a, &f.y, c, &r, &e), HE_NOT_FOUND);
	int64_t cid = 0;
	struct contact_in in = held(at(-1, "10:00"), 30);
	assert_int_equal(contact_add(db, &f.y, c, 0, &in, &cid, &e), HE_NOT_FOUND);
	assert_int_equal(case_set_review(db, &f.y, c, 1, day(7), &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
		" AND entity = 'cases'"), denied + 3);
	assert_int_equal(count(db, "SELECT count(*) FROM contacts"), 0);
	assert_int_equal(version(db, c), 1);

	/* Y covers X today: sees and works the case, recorded as covering. */
	exec(db, sqlf("INSERT INTO worker_covers (worker_id, for_worker_id, starts_on, ends_on, reason,"
		" recorded_at) VALUES (%" PRId64 ", %" PRId64 ", '%s', '%s', 'Leave', 'now')",
		f.wy, f.wx, day(-1), day(5)));
	assert_int_equal(case_visible(db, &f.y, c, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(case_record_load(db, &a, &f.y, c, &r, &e), HE_OK);
	assert_true(r.covering);
	assert_int_equal(contact_add(db, &f.y, c, 0, &in, &cid, &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT worker_id FROM contacts WHERE id = %" PRId64, cid)), f.wy);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE user_email = 'y@hearth.example'"
		" AND action = 'create' AND summary LIKE '%covering%'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE user_email = 'y@hearth.example'"
		" AND action = 'view' AND summary LIKE '%covering%'"), 1);

	/* A cover that has ended gives nothing. */
	exec(db, sqlf("UPDATE worker_covers SET starts_on = '%s', ends_on = '%s'", day(-10), day(-2)));
	assert_int_equal(case_visible(db, &f.y, c, &yes), HE_OK);
	assert_false(yes);

	/* Lists: the coordinator sees it, Y does not, X does. */
	struct case_summary *l;
	size_t n;
	assert_int_equal(case_list(db, &a, &f.coord, 0, NULL, &l, &n, &e), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(case_list(db, &a, &f.y, 0, NULL, &l, &n, &e), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(case_list(db, &a, &f.x, 0, "all", &l, &n, &e), HE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].family_name, "Khan family");
	assert_int_equal(case_list(db, &a, &f.x, 0, "nonsense", &l, &n, &e), HE_INVALID);
	arena_free(&a);
}

/* ---- contacts -------------------------------------------------------------- */

static void test_contact_validation(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct contact_in in;

	in = held(at(1, "10:00"), 30);            /* a held contact tomorrow */
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "at");
	assert_non_null(strstr(e.message, "future"));
	in = held(at(-59, "10:00"), 30);          /* after the referral, before the case */
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "at");
	assert_non_null(strstr(e.message, "case was opened"));
	in = held(at(-61, "10:00"), 30);          /* before the referral */
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_non_null(strstr(e.message, "referral was received"));
	in = held(at(-1, "10:00"), 0);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "duration_min");
	in = held(at(-1, "10:00"), 481);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "duration_min");
	in = held(at(-1, "25:00"), 30);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "at");
	in = held("2026-02-30T10:00", 30);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "at");
	in = held(at(-1, "10:00"), 30);
	in.kind = "carrier_pigeon";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "kind");
	in = held(at(-1, "10:00"), 30);
	in.seen = "  ";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "seen");
	/* a planned visit in the past is refused; tomorrow is fine, default 60 minutes */
	in = held(at(-1, "10:00"), 0);
	in.planned = true;
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "at");
	assert_int_equal(count(db, "SELECT count(*) FROM contacts"), 0);
	in = held(at(1, "10:00"), 0);
	in.planned = true;
	in.seen = "";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM contacts WHERE planned = 1 AND duration_min = 60"), 1);
	/* the bounds themselves are accepted */
	in = held(at(-50, "09:00"), 1);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	in = held(at(-2, "09:00"), 480);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM contacts WHERE planned = 0"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'cases' AND action = 'create'"
		" AND summary LIKE '%home_visit%'"), 3);
	/* adding contacts does not change the case's version */
	assert_int_equal(version(db, c), 1);
}

static void test_contact_idempotent(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id1 = 0, id2 = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct contact_in in = held(at(-3, "14:30"), 45);
	in.idem_key = "9f1c2a7be0d34c55";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id1, &e), HE_OK);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id2, &e), HE_OK);
	assert_true(id1 > 0);
	assert_int_equal(id1, id2);
	assert_int_equal(count(db, "SELECT count(*) FROM contacts"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'cases' AND action = 'create'"
		" AND summary LIKE '%contact%'"), 1);
	/* a fresh key is a fresh contact */
	in.idem_key = "0000aaaa1111bbbb";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id2, &e), HE_OK);
	assert_true(id2 != id1);
	assert_int_equal(count(db, "SELECT count(*) FROM contacts"), 2);
}

static void test_mark_held(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct contact_in in = held(at(0, "23:59"), 0);
	in.planned = true;
	in.seen = "";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	/* recording it as held while its time is still ahead is refused */
	struct contact_in h = {.seen = "Nadia", .notes = "Went well", .duration_min = 40,
			       .at = at(1, "09:00")};
	assert_int_equal(contact_mark_held(db, &f.x, c, id, &h, &e), HE_INVALID);
	assert_string_equal(e.field, "at");
	h.at = at(-1, "09:00");
	assert_int_equal(contact_mark_held(db, &f.x, c, id, &h, &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM contacts WHERE id = %" PRId64 " AND planned = 0"
		" AND duration_min = 40 AND seen = 'Nadia' AND kind = 'home_visit'", id)), 1);
	/* again: nothing changes (double submission) */
	h.seen = "Someone else";
	assert_int_equal(contact_mark_held(db, &f.x, c, id, &h, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM contacts WHERE seen = 'Nadia'"), 1);
	assert_int_equal(contact_mark_held(db, &f.x, c, id + 99, &h, &e), HE_NOT_FOUND);
}

/* ---- the chronology -------------------------------------------------------- */

static void test_chronology(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);                       /* allocated at -50 */
	struct contact_in in = held(at(-30, "11:00"), 45);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	in = held(at(-5, "16:15"), 20);
	in.kind = "phone";
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	in = held(at(1, "10:00"), 0);
	in.planned = true;
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	assert_int_equal(case_set_review(db, &f.x, c, 1, day(14), &e), HE_OK);  /* review_set today */
	exec(db, sqlf("INSERT INTO case_events (family_id, referral_id, on_date, kind, summary,"
		" recorded_at) VALUES (%" PRId64 ", %" PRId64 ", '%s', 'referred', 'Referred by school', 'now')",
		f.family, f.referral, day(-60)));

	struct arena a;
	arena_init(&a);
	struct chron_item *ch;
	size_t n;
	assert_int_equal(case_chronology(db, &a, c, &ch, &n), HE_OK);
	/* review today, phone -5, attendance -20, visit -30, allocated -50,
	 * referred -60, attendance -100; the planned visit is not history */
	assert_int_equal(n, 7);
	assert_string_equal(ch[0].kind, "review_set");
	assert_string_equal(ch[1].kind, "contact");
	assert_string_equal(ch[1].title, "Phone call");
	assert_string_equal(ch[2].kind, "attendance");
	assert_string_equal(ch[2].summary, sqlf("Aisha Khan: attendance 78%% → 71%% (census %s)", day(-20)));
	assert_string_equal(ch[3].title, "Home visit");
	assert_non_null(strstr(ch[3].summary, "45 minutes"));
	assert_string_equal(ch[3].detail, "Talked about mornings");
	assert_string_equal(ch[3].who, "Xena Worker");
	assert_string_equal(ch[4].kind, "allocated");
	assert_string_equal(ch[5].kind, "referred");
	assert_string_equal(ch[6].summary, sqlf("Aisha Khan: attendance 78%% (census %s)", day(-100)));
	for (size_t i = 1; i < n; i++)
		assert_true(strncmp(ch[i - 1].when, ch[i].when, 10) >= 0);

	struct case_record r;
	assert_int_equal(case_record_load(db, &a, &f.x, c, &r, &e), HE_OK);
	assert_int_equal(r.nchron, 7);
	assert_int_equal(r.nplanned, 1);
	assert_string_equal(r.planned[0].kind, "planned");
	assert_int_equal(r.nmembers, 3);
	assert_string_equal(r.members[0].name, "Nadia Khan");      /* adults first */
	assert_string_equal(r.members[1].name, "Aisha Khan");
	assert_string_equal(r.members[1].school_name, "Case Test Academy");
	assert_string_equal(r.members[1].year_group, "Year 9");
	assert_int_equal(r.members[1].attendance_pct, 71);
	assert_int_equal(r.members[2].attendance_pct, -1);
	assert_string_equal(r.family_name, "Khan family");
	assert_string_equal(r.home_language, "Urdu");
	assert_string_equal(r.worker_name, "Xena Worker");
	assert_string_equal(r.school_name, "Case Test Academy");
	assert_true(r.consent_active);
	assert_int_equal(r.nconsents, 1);
	assert_int_equal(r.review_overdue_days, 0);
	assert_int_equal(r.version, 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'view' AND entity ="
		" 'cases' AND entity_id = '%" PRId64 "'", c)), 1);
	/* overdue review */
	exec(db, sqlf("UPDATE cases SET next_review_on = '%s'", day(-3)));
	assert_int_equal(case_record_load(db, &a, &f.x, c, &r, &e), HE_OK);
	assert_int_equal(r.review_overdue_days, 3);
	arena_free(&a);
}

/* ---- step up and down, transfer, close ------------------------------------ */

static void test_step_up_down(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t rid = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct consent_in con = {.basis = "consent", .given_by = "Nadia Khan", .relationship = "mother",
				 .scope = "pool,school", .given_on = day(0)};
	/* an open case cannot be stepped down */
	assert_int_equal(case_step_down(db, &f.x, c, 1, NULL, "Back from CSC", &con, &rid, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
	assert_int_equal(case_step_up(db, &f.x, c, 1, NULL, "", "Risk of harm", &e), HE_MISSING);
	assert_string_equal(e.field, "reason");
	assert_int_equal(case_step_up(db, &f.x, c, 1, day(1), "Injury disclosed", "Risk of harm", &e), HE_INVALID);
	assert_string_equal(e.field, "on");
	assert_int_equal(case_step_up(db, &f.x, c, 1, day(-51), "Injury disclosed", "Risk of harm", &e), HE_INVALID);
	assert_string_equal(e.field, "on");
	assert_int_equal(case_step_up(db, &f.x, c, 1, day(-10), "Injury disclosed", "Risk of harm", &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM cases WHERE status = 'stepped_up' AND version = 2"), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE kind = 'step_up' AND on_date"
		" = '%s' AND detail = 'Injury disclosed'", day(-10))), 1);
	assert_int_equal(case_step_up(db, &f.x, c, 2, NULL, "Again", "Risk of harm", &e), HE_CONFLICT);

	/* step down: the consent is checked, then a new referral for the pool */
	struct consent_in bad = con;
	bad.given_by = "";
	assert_int_equal(case_step_down(db, &f.x, c, 2, NULL, "Back from CSC", &bad, &rid, &e), HE_MISSING);
	assert_string_equal(e.field, "consent.given_by");
	assert_int_equal(case_step_down(db, &f.x, c, 2, NULL, "Back from CSC", NULL, &rid, &e), HE_MISSING);
	assert_int_equal(count(db, "SELECT count(*) FROM referrals"), 1);
	int rc = case_step_down(db, &f.x, c, 2, NULL, "Plan ended: early help to continue", &con, &rid, &e);
	if (rc)
		fail_msg("case_step_down: %d %s: %s", rc, e.field, e.message);
	assert_true(rid > 0 && rid != f.referral);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM referrals WHERE id = %" PRId64 " AND source ="
		" 'step_down' AND family_id = %" PRId64 " AND stepped_down_from = %" PRId64 " AND status ="
		" 'received' AND needs = 'attendance,parenting'", rid, f.family, c)), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM referral_pupils WHERE referral_id = %" PRId64,
		rid)), 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM cases WHERE id = %" PRId64 " AND status ="
		" 'closed' AND closure_reason = 'stepped_up' AND version = 3", c)), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'step_down'"
		" AND summary LIKE '%new referral R-%'"), 1);
}

static void test_transfer(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct contact_in in = held(at(2, "10:00"), 0);
	in.planned = true;
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	assert_int_equal(case_transfer(db, &f.x, c, 1, f.wy, NULL, "", &e), HE_MISSING);
	assert_string_equal(e.field, "handover_note");
	assert_int_equal(case_transfer(db, &f.x, c, 1, f.wx, NULL, "Note", &e), HE_INVALID);
	assert_string_equal(e.field, "to_worker");
	assert_int_equal(case_transfer(db, &f.x, c, 1, 999, NULL, "Note", &e), HE_INVALID);
	assert_string_equal(e.field, "to_worker");
	assert_int_equal(version(db, c), 1);
	assert_int_equal(case_transfer(db, &f.x, c, 1, f.wy, NULL,
		"Mum prefers mornings; Aisha responds to praise", &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT worker_id FROM cases WHERE id = %" PRId64, c)), f.wy);
	assert_int_equal(count(db, sqlf("SELECT worker_id FROM contacts WHERE id = %" PRId64, id)), f.wy);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'transferred' AND summary ="
		" 'Transferred from Xena Worker to Yusuf Worker' AND detail LIKE 'Mum prefers mornings%'"), 1);
	/* X no longer sees it; Y does */
	bool yes;
	assert_int_equal(case_visible(db, &f.x, c, &yes), HE_OK);
	assert_false(yes);
	assert_int_equal(case_visible(db, &f.y, c, &yes), HE_OK);
	assert_true(yes);
}

static void test_close(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	assert_int_equal(case_close(db, &f.x, c, 1, NULL, "", "", "Happy", &e), HE_MISSING);
	assert_string_equal(e.field, "reason");
	assert_int_equal(case_close(db, &f.x, c, 1, NULL, "bored", "", "Happy", &e), HE_INVALID);
	assert_string_equal(e.field, "reason");
	assert_int_equal(case_close(db, &f.x, c, 1, NULL, "other", "", "Happy", &e), HE_MISSING);
	assert_string_equal(e.field, "note");
	assert_int_equal(case_close(db, &f.x, c, 1, NULL, "outcomes_met", "", " ", &e), HE_MISSING);
	assert_string_equal(e.field, "family_view");
	assert_int_equal(case_close(db, &f.x, c, 1, day(1), "outcomes_met", "", "Happy", &e), HE_INVALID);
	assert_string_equal(e.field, "on");
	assert_int_equal(count(db, "SELECT count(*) FROM cases WHERE status = 'open' AND version = 1"), 1);
	int n = -1;
	assert_int_equal(case_open_commissions(db, c, &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(case_close(db, &f.x, c, 1, NULL, "outcomes_met", "Attendance back above 95%",
				    "We feel listened to", &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM cases WHERE status = 'closed' AND closed_on ="
		" '%s' AND closure_reason = 'outcomes_met' AND family_view = 'We feel listened to'", day(0))), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'closed' AND summary ="
		" 'Case closed: Outcomes met' AND detail LIKE '%The family''s view: We feel listened to'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'update' AND entity = 'cases'"
		" AND summary LIKE '%closed%'"), 1);
	assert_int_equal(case_close(db, &f.x, c, 2, NULL, "outcomes_met", "", "Again", &e), HE_CONFLICT);
	struct contact_in in = held(at(-1, "10:00"), 30);
	int64_t id;
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
}

/* Two editors open version 1; the first saves, the second is refused and
 * nothing of the first is overwritten. */
static void test_conflict(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	assert_int_equal(case_set_review(db, &f.x, c, 1, day(10), &e), HE_OK);
	assert_int_equal(case_set_review(db, &f.coord, c, 1, day(20), &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_non_null(strstr(e.message, "changed by someone else"));
	assert_int_equal(case_close(db, &f.coord, c, 1, NULL, "disengaged", "", "None given", &e), HE_CONFLICT);
	assert_int_equal(case_transfer(db, &f.coord, c, 1, f.wy, NULL, "Note", &e), HE_CONFLICT);
	assert_int_equal(case_step_up(db, &f.coord, c, 1, NULL, "Reason", "Risk of harm", &e), HE_CONFLICT);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM cases WHERE next_review_on = '%s' AND"
		" status = 'open' AND worker_id = %" PRId64 " AND version = 2", day(10), f.wx)), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'review_set'"), 1);
	/* version 0 (the form did not say) is refused too */
	assert_int_equal(case_set_review(db, &f.coord, c, 0, day(20), &e), HE_MISSING);
	/* review dates: not in the past, not beyond a year */
	assert_int_equal(case_set_review(db, &f.coord, c, 2, day(-1), &e), HE_INVALID);
	assert_string_equal(e.field, "next_review_on");
	assert_int_equal(case_set_review(db, &f.coord, c, 2, day(400), &e), HE_INVALID);
	assert_int_equal(case_set_review(db, &f.coord, c, 2, day(20), &e), HE_OK);
}

static void test_consent_withdrawn(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	exec(db, sqlf("UPDATE consents SET withdrawn_on = '%s', withdrawn_reason = 'Changed mind'", day(0)));
	struct contact_in in = held(at(-1, "10:00"), 30);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_non_null(strstr(e.message, "new consent or lawful basis"));
	in.planned = true;
	in.at = at(1, "10:00");
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_int_equal(case_transfer(db, &f.x, c, 1, f.wy, NULL, "Note", &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_int_equal(count(db, "SELECT count(*) FROM contacts"), 0);
	struct arena a;
	arena_init(&a);
	struct case_record r;
	assert_int_equal(case_record_load(db, &a, &f.x, c, &r, &e), HE_OK);
	assert_false(r.consent_active);
	arena_free(&a);
	/* a lawful basis restores it */
	exec(db, sqlf("INSERT INTO consents (family_id, basis, scope, given_on, lawful_basis_note,"
		" recorded_at) VALUES (%" PRId64 ", 'safeguarding', '', '%s', 'Risk of harm', 'now')",
		f.family, day(0)));
	in = held(at(-1, "10:00"), 30);
	assert_int_equal(contact_add(db, &f.x, c, 0, &in, &id, &e), HE_OK);
	exec(db, "UPDATE consents SET withdrawn_on = '2026-01-01' WHERE withdrawn_on IS NULL");
	/* closure and step-up remain possible */
	assert_int_equal(case_step_up(db, &f.x, c, 1, NULL, "Concerns escalated", "Risk of harm", &e), HE_OK);
	assert_int_equal(case_close(db, &f.x, c, 2, NULL, "stepped_up", "", "Did not comment", &e), HE_OK);
}

static void test_professional(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	int64_t c = open_case(db, &f);
	struct professional_in p = {.name = "Jo Patel", .agency = "", .role = "School nurse"};
	assert_int_equal(case_professional_add(db, &f.x, c, &p, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "agency");
	p.agency = "School nursing";
	assert_int_equal(case_professional_add(db, &f.x, c, &p, &id, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM family_professionals WHERE agency = 'School nursing'"), 1);
	assert_int_equal(case_professional_add(db, &f.y, c, &p, &id, &e), HE_NOT_FOUND);
	struct family_member_in m = {.name = "Omar Khan", .relationship = "father"};
	int rc = case_member_add(db, &f.x, c, &m, &id, &e);
	if (rc)
		fail_msg("case_member_add: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(count(db, "SELECT count(*) FROM family_members WHERE name = 'Omar Khan'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refs, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_open, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_scope, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_contact_validation, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_contact_idempotent, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_mark_held, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_chronology, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_step_up_down, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_transfer, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_close, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_conflict, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_consent_withdrawn, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_professional, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
