/* test_destination.c — unit tests for src/core/destination.c: recording a
 * destination at 16 (the row, its audit row and the chronology note on
 * the child's open case, or else the latest closed one), the checks
 * naming their field (destination, on: not in the future, the young
 * person at least 15; note length), scope (a worker reaches only the
 * children of their own cases — or of a colleague's they cover today —
 * anything else, an unknown UPN too, is HE_NOT_FOUND audited "denied"),
 * and the list of children aged 15–17 with their latest destination.
 * Runs on SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/destination.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { W_SAM = 1, W_ALEX = 2 };

/* today − years (29 February becomes the 28th). */
static void years_ago(int years, int days, char out[11])
{
	int y, m, d;
	date_to_ymd(date_today(), &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	date_format(date_from_ymd(y - years, m, d) + days, out);
}

static void set_dob(struct db *db, int pupil, int years, int days)
{
	char dob[11];
	years_ago(years, days, dob);
	struct db_stmt *st = db_prepare(db, "UPDATE pupils SET dob = :dob WHERE id = :id");
	db_bind_text(st, ":dob", dob);
	db_bind_int(st, ":id", pupil);
	assert_int_equal(db_done(st), HE_OK);
}

/* Sam (user 5) leads the Khan case (Aisha 16, Bilal 12), open; Alex
 * leads the Patel case (Dev 16), closed, and an earlier Khan case,
 * closed.  Cara (Khan, 17) is in the Khan family too. */
static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	fix_exec(db, "INSERT INTO workers (id, user_id, name, employer, kind, created_at, updated_at)"
		 " VALUES (1, 5, 'Sam', 'Pool', 'family_support', 'x', 'x'),"
		 " (2, NULL, 'Alex', 'Pool', 'family_support', 'x', 'x')");
	fix_exec(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		 " (1, 'F-000001', 'Khan family', 'x', 'x'), (2, 'F-000002', 'Patel family', 'x', 'x')");
	fix_exec(db, "INSERT INTO family_members (family_id, pupil_id, name, relationship, is_child,"
		 " created_at) VALUES (1, 1, 'Aisha', 'child', 1, 'x'), (1, 2, 'Bilal', 'child', 1, 'x'),"
		 " (1, 3, 'Cara', 'child', 1, 'x'), (2, 4, 'Dev', 'child', 1, 'x')");
	fix_exec(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		 " needs, reason, status, received_at) VALUES"
		 " (1, 'R-000001', 1, 'school', 1, 2, 'x', 'x', 'accepted', '2025-01-01T00:00:00Z'),"
		 " (2, 'R-000002', 2, 'school', 2, 2, 'x', 'x', 'accepted', '2025-01-01T00:00:00Z'),"
		 " (3, 'R-000003', 1, 'school', 1, 2, 'x', 'x', 'accepted', '2024-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status, opened_on,"
		 " closed_on, closure_reason, created_at, updated_at) VALUES"
		 " (1, 'C-000001', 1, 1, 1, 'open', '2025-01-02', NULL, NULL, 'x', 'x'),"
		 " (2, 'C-000002', 2, 2, 2, 'closed', '2025-01-02', '2025-06-01', 'outcomes_met', 'x', 'x'),"
		 " (3, 'C-000003', 1, 3, 2, 'closed', '2024-01-02', '2024-06-01', 'outcomes_met', 'x', 'x')");
	set_dob(db, AISHA, 16, 0);
	set_dob(db, BILAL, 12, 0);
	set_dob(db, CARA, 17, -100);
	set_dob(db, DEV, 16, -10);
	return 0;
}

static struct scope sam(void)
{
	struct scope s = fix_scope(USER_WORKER);
	s.worker_id = W_SAM;
	return s;
}

static char today_s[11];

static const char *today(void)
{
	date_format(date_today(), today_s);
	return today_s;
}

static int64_t count(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return n;
}

static void test_codes(void **state)
{
	(void)state;
	(void)fix_int;
	assert_string_equal(destination_title("neet"),
			    "Not in education, employment or training (NEET)");
	assert_string_equal(destination_title("education"), "Education");
	assert_null(destination_title("holiday"));
	assert_null(destination_title(NULL));
}

static void test_record(void **state)
{
	struct db *db = DB(state);
	struct scope s = sam();
	struct errinfo e = {0};
	int64_t pupil = 0, id = 0;
	assert_int_equal(destination_pupil(db, &s, fix_upn[AISHA], &pupil, &e), HE_OK);
	assert_int_equal(pupil, AISHA);
	assert_int_equal(destination_record(db, &s, pupil, "training", today(),
					    "Apprenticeship at the garage", &id, &e), HE_OK);
	assert_true(id > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM destinations WHERE pupil_id = 1"
			 " AND destination = 'training' AND source = 'worker' AND user_id = 5"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'create'"
			 " AND entity = 'destinations'"), 1);
	/* the note goes on the open case (C1), not the closed one */
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE case_id = 1"
			 " AND kind = 'note' AND summary LIKE '%Aisha: Training%'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE case_id = 3"), 0);
}

static void test_checks(void **state)
{
	struct db *db = DB(state);
	struct scope s = sam();
	struct errinfo e = {0};
	assert_int_equal(destination_record(db, &s, AISHA, "holiday", today(), NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "destination");
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, AISHA, NULL, today(), NULL, NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "destination");
	char tomorrow[11];
	date_format(date_today() + 1, tomorrow);
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, AISHA, "education", tomorrow, NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "on");
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, AISHA, "education", "2026-02-30", NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "on");
	/* Bilal is 12 */
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, BILAL, "education", today(), NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "on");
	/* Aisha was 14 two years ago */
	char then[11];
	years_ago(2, 0, then);
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, AISHA, "education", then, NULL, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "on");
	char note[DESTINATION_NOTE_MAX + 2];
	memset(note, 'x', sizeof note - 1);
	note[sizeof note - 1] = '\0';
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, AISHA, "education", today(), note, NULL, &e),
			 HE_INVALID);
	assert_string_equal(e.field, "note");
	assert_int_equal(count(db, "SELECT count(*) FROM destinations"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), 0);
}

static void test_scope(void **state)
{
	struct db *db = DB(state);
	struct scope s = sam();
	struct errinfo e = {0};
	int64_t pupil = 0;
	/* Dev is on Alex's case: not Sam's */
	assert_int_equal(destination_pupil(db, &s, fix_upn[DEV], &pupil, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
			 " AND entity = 'pupils'"), 1);
	e = (struct errinfo){0};
	assert_int_equal(destination_record(db, &s, DEV, "neet", today(), NULL, NULL, &e),
			 HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
			 " AND entity = 'pupils' AND entity_id = '4'"), 1);
	/* an unknown UPN is the same answer */
	e = (struct errinfo){0};
	assert_int_equal(destination_pupil(db, &s, "A123456789012", &pupil, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"), 3);
	/* a school user has no case scope at all */
	struct scope school = fix_scope(USER_A);
	e = (struct errinfo){0};
	assert_int_equal(destination_pupil(db, &school, fix_upn[AISHA], &pupil, &e), HE_NOT_FOUND);
	/* covering Alex today, Sam reaches Dev */
	char from[11], to[11];
	date_format(date_today() - 1, from);
	date_format(date_today() + 1, to);
	struct db_stmt *st = db_prepare(db, "INSERT INTO worker_covers (worker_id, for_worker_id,"
		" starts_on, ends_on, reason, recorded_at) VALUES (1, 2, :from, :to, 'Leave', 'x')");
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":to", to);
	assert_int_equal(db_done(st), HE_OK);
	e = (struct errinfo){0};
	assert_int_equal(destination_pupil(db, &s, fix_upn[DEV], &pupil, &e), HE_OK);
	assert_int_equal(destination_record(db, &s, DEV, "neet", today(), NULL, NULL, &e), HE_OK);
	/* the note goes on Dev's (closed) case */
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE case_id = 2"
			 " AND kind = 'note'"), 1);
	/* the coordinator reaches every case's children */
	struct scope c = fix_scope(USER_COORD);
	e = (struct errinfo){0};
	assert_int_equal(destination_pupil(db, &c, fix_upn[DEV], &pupil, &e), HE_OK);
}

static void test_children(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	struct scope s = sam();
	struct errinfo e = {0};
	assert_int_equal(destination_record(db, &s, AISHA, "education", today(), NULL, NULL, &e),
			 HE_OK);
	assert_int_equal(destination_record(db, &s, AISHA, "employment", today(), "Changed", NULL, &e),
			 HE_OK);
	struct destination_child *c;
	size_t n;
	assert_int_equal(destination_children(db, &a, &s, date_today(), &c, &n), HE_OK);
	/* Cara (17) and Aisha (16), oldest first; not Bilal (12) nor Dev (another's case) */
	assert_int_equal(n, 2);
	assert_string_equal(c[0].forename, "Cara");
	assert_int_equal(c[0].age, 17);
	assert_null(c[0].destination);
	assert_string_equal(c[0].case_ref, "C-000001");
	assert_string_equal(c[1].forename, "Aisha");
	assert_int_equal(c[1].age, 16);
	assert_string_equal(c[1].destination, "employment");
	assert_string_equal(c[1].note, "Changed");
	assert_string_equal(c[1].school, "Alpha Academy");
	/* the coordinator sees Dev too; 18-year-olds are not listed */
	set_dob(db, CARA, 18, 0);
	struct scope co = fix_scope(USER_COORD);
	assert_int_equal(destination_children(db, &a, &co, date_today(), &c, &n), HE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].forename, "Dev");
	assert_string_equal(c[1].forename, "Aisha");
	/* a school user: nothing */
	struct scope school = fix_scope(USER_A);
	assert_int_equal(destination_children(db, &a, &school, date_today(), &c, &n), HE_OK);
	assert_int_equal(n, 0);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test_setup_teardown(test_record, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_checks, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_children, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
