/* test_snapshot.c — unit tests for each pupil's latest-snapshot mark
 * (migrations/0010: pupil_snapshots.latest, kept by triggers) and the
 * queries that read it (src/core/risk.c: the ranked list and the rules
 * preview).  Each test runs on a fresh database with the real migrations —
 * SQLite, or PostgreSQL when HEARTH_TEST_PG is set (testdb.h).
 *
 * Covered: imports through import_run (a first extract, a later one, the
 * same one again, an older one imported after a newer one, a pupil only
 * in the older one), the list and preview reading the mark, writers that
 * bypass the import (several rows of one pupil in one statement, out of
 * order; a changed extract date; a snapshot moved to another pupil; a
 * deleted latest snapshot), and the migration filling the mark on a
 * database that held snapshots before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/embed.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/import.h"
#include "core/risk.h"
#include "core/school.h"
#include "store/db.h"
#include "testdb.h"

static const struct audit_who who = {
	.user_id = 0, .email = "admin@hearth.example", .role = "admin",
	.route = "test snapshot", .ip = NULL,
};

struct fx {
	struct testdb *t;
	struct db *db;
	char dir[64];
	int nfiles;
	char files[8][160];
};

#define FX(state) ((struct fx *)*(state))

/* ---- fixture ---------------------------------------------------------------- */

static void add_school(struct db *db, const char *urn, const char *name)
{
	int64_t id = 0;
	struct errinfo e = {0};
	int rc = school_add(db, &who, urn, name, "secondary", "Central", NULL, &id, &e);
	if (rc)
		fail_msg("school_add %s: %d %s", urn, rc, e.message);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	void *t = NULL;
	if (!f || testdb_setup(&t) != 0) {
		free(f);
		return -1;
	}
	f->t = t;
	f->db = f->t->db;
	int64_t district;
	if (db_begin(f->db) != HE_OK || district_ensure(f->db, "Central", &district) != HE_OK)
		return -1;
	add_school(f->db, "120345", "Hearth Test Academy");
	add_school(f->db, "120346", "Westgate School");
	if (db_commit(f->db) != HE_OK)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/hearth-snapshot-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = FX(state);
	for (int i = 0; i < f->nfiles; i++)
		unlink(f->files[i]);
	rmdir(f->dir);
	void *t = f->t;
	testdb_teardown(&t);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* Import csv (written to a file) as the extract of date (YYYY-MM-DD). */
static void import_csv(struct fx *f, const char *date, const char *csv,
		       struct import_report *r)
{
	assert_true(f->nfiles < 8);
	char *path = f->files[f->nfiles++];
	snprintf(path, sizeof f->files[0], "%s/%s.csv", f->dir, date);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fputs(csv, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	struct import_opts o = {.path = path, .kind = IMPORT_AUTO};
	assert_true(date_parse(date, &o.extract_date));
	int rc = import_run(f->db, &who, &o, r);
	if (rc != HE_OK || strcmp(r->status, "applied") != 0 || r->rows_bad)
		fail_msg("import of %s: %d %s: %s", date, rc, r->status, r->message);
}

/* Every pupil with snapshots has exactly one marked, the one with its
 * newest extract date; no other row is marked. */
static void marks_right(struct db *db)
{
	int64_t wrong = testdb_int(db, "SELECT count(*) FROM pupil_snapshots s WHERE s.latest <>"
		" CASE WHEN s.extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q"
		" WHERE q.pupil_id = s.pupil_id) THEN 1 ELSE 0 END");
	int64_t marked = testdb_int(db, "SELECT count(*) FROM pupil_snapshots WHERE latest = 1");
	int64_t pupils = testdb_int(db, "SELECT count(DISTINCT pupil_id) FROM pupil_snapshots");
	if (wrong || marked != pupils)
		fail_msg("%" PRId64 " snapshots marked wrongly; %" PRId64 " marked for %" PRId64
			 " pupils", wrong, marked, pupils);
}

/* The extract date of upn's marked snapshot ("(none)" if none), into out. */
static const char *latest_of(struct db *db, const char *upn, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(db, "SELECT s.extract_date FROM pupil_snapshots s"
		" JOIN pupils p ON p.id = s.pupil_id WHERE p.upn = :upn AND s.latest = 1");
	db_bind_text(st, ":upn", upn);
	snprintf(out, n, "(none)");
	if (db_next(st))
		snprintf(out, n, "%s", db_text(st, 0));
	if (db_next(st))
		snprintf(out, n, "(more than one)");
	if (db_finalize(st) != HE_OK)
		fail_msg("latest_of %s: %s", upn, db_errmsg(db));
	return out;
}

static void latest_is(struct db *db, const char *upn, const char *want)
{
	char got[32];
	if (strcmp(latest_of(db, upn, got, sizeof got), want) != 0)
		fail_msg("%s: latest snapshot %s; want %s", upn, got, want);
}

static int64_t pupil_id(struct db *db, const char *upn)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM pupils WHERE upn = :upn");
	db_bind_text(st, ":upn", upn);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	assert_int_equal(db_finalize(st), HE_OK);
	assert_true(id > 0);
	return id;
}

#define HDR "UPN,Forename,Surname,Date of birth,Gender,School URN,FSM,Looked after," \
	"Sessions possible,Sessions attended\n"
#define AMELIA "C856202600001,Amelia,Okafor,2011-03-14,F,120345,"
#define DANIEL "R856202600002,Daniel,Okafor,2013-07-02,M,120345,"
#define ZAINAB "F856202600003,Zainab,Hussain,2010-11-20,F,120346,"
#define LEO    "V856202600004,Leo,Walsh,2014-01-05,M,120346,"

/* January: three pupils.  March: two of them, Amelia now looked after and
 * attending 40%.  The November before, imported last: Amelia, Zainab and
 * Leo, whom no later extract has. */
static const char jan[] = HDR AMELIA "N,N,100,95\n" DANIEL "Y,N,100,85\n" ZAINAB "N,N,100,99\n";
static const char mar[] = HDR AMELIA "N,Y,100,40\n" DANIEL "Y,N,100,85\n";
static const char nov[] = HDR AMELIA "Y,N,100,70\n" ZAINAB "Y,N,100,60\n" LEO "N,N,100,45\n";

/* Imports in order, the same again, then an older extract. */
static void import_all(struct fx *f)
{
	struct import_report r;
	import_csv(f, "2025-01-15", jan, &r);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-01-15");

	import_csv(f, "2025-03-01", mar, &r);
	assert_int_equal(r.rows_applied, 2);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-03-01");
	latest_is(f->db, "R856202600002", "2025-03-01");
	latest_is(f->db, "F856202600003", "2025-01-15");

	import_csv(f, "2025-03-01", mar, &r);   /* re-import: changes nothing */
	assert_int_equal(r.rows_unchanged, 2);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-03-01");

	import_csv(f, "2024-11-07", nov, &r);   /* older, imported last */
	assert_int_equal(r.rows_applied, 3);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM pupil_snapshots"), 8);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-03-01");
	latest_is(f->db, "R856202600002", "2025-03-01");
	latest_is(f->db, "F856202600003", "2025-01-15");
	latest_is(f->db, "V856202600004", "2024-11-07");
}

/* ---- tests -------------------------------------------------------------------- */

static void test_imports_keep_the_mark(void **state)
{
	import_all(FX(state));
}

/* The same file twice in one day, and a correction of the latest extract
 * (same date, changed values): the mark stays on it. */
static void test_corrected_extract(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	import_csv(f, "2025-01-15", jan, &r);
	import_csv(f, "2025-03-01", mar, &r);
	static const char fix[] = HDR AMELIA "Y,Y,100,40\n";
	import_csv(f, "2025-03-01", fix, &r);
	assert_int_equal(r.rows_applied, 1);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-03-01");
	assert_int_equal(testdb_int(f->db, "SELECT s.fsm FROM pupil_snapshots s JOIN pupils p"
		" ON p.id = s.pupil_id WHERE p.upn = 'C856202600001' AND s.latest = 1"), 1);
}

/* The ranked list and the preview show each pupil's latest snapshot, not
 * the one imported last. */
static void test_list_and_preview_read_latest(void **state)
{
	struct fx *f = FX(state);
	import_all(f);
	struct arena a;
	arena_init(&a);
	struct risk_filter flt = {.urn = NULL, .year = RISK_ANY_YEAR, .band = -1};
	struct risk_row *rows = NULL;
	size_t n = 0;
	struct errinfo e = {0};
	assert_int_equal(risk_list(f->db, &who, &a, &flt, &rows, &n, &e), HE_OK);
	assert_int_equal(n, 4);
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct risk_row *w = &rows[i];
		if (strcmp(w->upn, "C856202600001") == 0) {
			/* March (40%, looked after) over January (95%) */
			assert_string_equal(w->extract_date, "2025-03-01");
			assert_true(w->has_prev);
			assert_true(w->rising);
			seen |= 1;
		} else if (strcmp(w->upn, "F856202600003") == 0) {
			assert_string_equal(w->extract_date, "2025-01-15");
			seen |= 2;
		} else if (strcmp(w->upn, "V856202600004") == 0) {
			assert_string_equal(w->extract_date, "2024-11-07");
			assert_false(w->has_prev);
			seen |= 4;
		} else {
			assert_string_equal(w->extract_date, "2025-03-01");
			seen |= 8;
		}
	}
	assert_int_equal(seen, 15);
	arena_free(&a);

	struct risk_ruleset rs;
	assert_int_equal(risk_ruleset_load(f->db, &rs, &e), HE_OK);
	struct risk_preview p;
	assert_int_equal(risk_preview(f->db, &rs, NULL, &p, &e), HE_OK);
	assert_int_equal(p.total, 4);
	assert_int_equal(risk_preview(f->db, &rs, "120346", &p, &e), HE_OK);
	assert_int_equal(p.total, 2);   /* Zainab and Leo */
}

/* Writers that bypass the import (tests' fixtures, a hand-run fix): the
 * triggers keep the mark. */
static void test_other_writers(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	import_csv(f, "2025-01-15", jan, &r);
	int64_t amelia = pupil_id(f->db, "C856202600001");
	int64_t leo_import = testdb_int(f->db, "SELECT max(id) FROM imports");
	char sql[512];
	/* three rows of one pupil in one statement, out of order */
	snprintf(sql, sizeof sql, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id,"
		 " extract_date) SELECT %" PRId64 ", %" PRId64 ", school_id, d FROM pupils,"
		 " (SELECT '2025-06-01' AS d UNION ALL SELECT '2024-09-01' UNION ALL"
		 " SELECT '2025-04-01') x WHERE id = %" PRId64, amelia, leo_import, amelia);
	exec(f->db, sql);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-06-01");
	/* the newest moved back in time: April takes the mark */
	snprintf(sql, sizeof sql, "UPDATE pupil_snapshots SET extract_date = '2024-01-01'"
		 " WHERE pupil_id = %" PRId64 " AND extract_date = '2025-06-01'", amelia);
	exec(f->db, sql);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-04-01");
	/* April moved to Daniel: newer than his January */
	snprintf(sql, sizeof sql, "UPDATE pupil_snapshots SET pupil_id = %" PRId64
		 " WHERE pupil_id = %" PRId64 " AND extract_date = '2025-04-01'",
		 pupil_id(f->db, "R856202600002"), amelia);
	exec(f->db, sql);
	marks_right(f->db);
	latest_is(f->db, "R856202600002", "2025-04-01");
	latest_is(f->db, "C856202600001", "2025-01-15");
	/* the latest removed: the one before takes the mark */
	exec(f->db, "DELETE FROM pupil_snapshots WHERE extract_date = '2025-04-01'");
	marks_right(f->db);
	latest_is(f->db, "R856202600002", "2025-01-15");
	/* a row written already marked 0 but the newest */
	snprintf(sql, sizeof sql, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id,"
		 " extract_date, latest) SELECT id, %" PRId64 ", school_id, '2026-01-01', 0"
		 " FROM pupils WHERE id = %" PRId64, leo_import, amelia);
	exec(f->db, sql);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2026-01-01");
}

/* A database that held snapshots before migration 0010: its objects
 * dropped, snapshots written the old way, then the migration's own text
 * (as built into the binary) run again.  (Not db_migrate: later
 * migrations would run again too.) */
static void unmigrate(struct db *db)
{
	if (testdb_is_pg()) {
		exec(db, "DROP TRIGGER pupil_snapshots_latest_insert ON pupil_snapshots");
		exec(db, "DROP TRIGGER pupil_snapshots_latest_update ON pupil_snapshots");
		exec(db, "DROP TRIGGER pupil_snapshots_latest_delete ON pupil_snapshots");
		exec(db, "DROP FUNCTION pupil_snapshots_latest_insert()");
		exec(db, "DROP FUNCTION pupil_snapshots_latest_change()");
		exec(db, "DROP FUNCTION pupil_snapshots_latest_of(BIGINT[])");
	} else {
		exec(db, "DROP TRIGGER pupil_snapshots_latest_insert");
		exec(db, "DROP TRIGGER pupil_snapshots_latest_update");
		exec(db, "DROP TRIGGER pupil_snapshots_latest_delete");
	}
	exec(db, "DROP INDEX pupil_snapshots_latest");
	exec(db, "ALTER TABLE pupil_snapshots DROP COLUMN latest");
}

static void test_migration_fills_the_mark(void **state)
{
	struct fx *f = FX(state);
	const struct embedded_file *m = embedded_find(sql_migrations,
		testdb_is_pg() ? "0010.pg.sql" : "0010.sqlite.sql");
	assert_non_null(m);
	struct import_report r;
	import_csv(f, "2025-01-15", jan, &r);
	int64_t import_id = testdb_int(f->db, "SELECT max(id) FROM imports");
	unmigrate(f->db);
	char sql[512];
	snprintf(sql, sizeof sql, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id,"
		 " extract_date) SELECT id, %" PRId64 ", school_id, d FROM pupils,"
		 " (SELECT '2025-03-01' AS d UNION ALL SELECT '2024-09-01') x"
		 " WHERE upn <> 'F856202600003'", import_id);
	exec(f->db, sql);
	assert_int_equal(db_begin(f->db), HE_OK);
	exec(f->db, (const char *)m->data);
	assert_int_equal(db_commit(f->db), HE_OK);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-03-01");
	latest_is(f->db, "F856202600003", "2025-01-15");
	/* and the triggers are back */
	import_csv(f, "2025-05-01", mar, &r);
	marks_right(f->db);
	latest_is(f->db, "C856202600001", "2025-05-01");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_imports_keep_the_mark),
		T(test_corrected_extract),
		T(test_list_and_preview_read_latest),
		T(test_other_writers),
		T(test_migration_fills_the_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
