/* test_import.c — unit tests for src/core/import.c and import_source.c:
 * the import driver end to end, through import_run on files written to a
 * temporary directory (and the samples in tests/data/import/ and
 * tests/data/ctf/).  Each test runs on a fresh database with the real
 * migrations — SQLite, or PostgreSQL when HEARTH_TEST_PG is set
 * (testdb.h) — holding three schools of one district.
 *
 * Covered: a good CSV (rows, pupils, snapshots, scores that match the risk
 * rules), re-import changes nothing, a later extract adds history, a
 * changed value updates the snapshot, bad rows reported (report and
 * import_errors) while good rows apply, strict refuses, duplicate UPNs,
 * columns in any order and case with unknown ones listed, a missing
 * required column, empty files, the wrong delimiter, BOM + CRLF, quoted
 * commas and line breaks, non-UTF-8 bytes, a truncated last row, an
 * unterminated quote (nothing applied), school scoping, CTF (good and
 * malformed), the audit row, siblings, and a 50,000-row file (speed, and
 * a re-import that changes nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/import.h"
#include "core/pupil.h"
#include "core/risk.h"
#include "core/school.h"
#include "store/db.h"
#include "testdb.h"

static const struct audit_who who = {
	.user_id = 0, .email = "admin@hearth.example", .role = "admin",
	.route = "test import", .ip = NULL,
};

#define MAXFILES 32

struct fx {
	struct testdb *t;
	struct db *db;
	char dir[64];
	int nfiles;
	char files[MAXFILES][160];
	int64_t school_a, school_b, school_c;   /* 120345, 120346, 120347 */
};

#define FX(state) ((struct fx *)*(state))

/* The header every small in-test CSV uses. */
#define HDR "UPN,Forename,Surname,Date of birth,Gender,School URN,Extract date\n"

/* ---- fixture ---------------------------------------------------------------- */

static int64_t add_school(struct db *db, const char *urn, const char *name, const char *phase)
{
	int64_t id = 0;
	struct errinfo e = {0};
	int rc = school_add(db, &who, urn, name, phase, "Central", NULL, &id, &e);
	if (rc)
		fail_msg("school_add %s: %d %s", urn, rc, e.message);
	return id;
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
	f->school_a = add_school(f->db, "120345", "Hearth Test Academy", "secondary");
	f->school_b = add_school(f->db, "120346", "Mill Lane Primary", "primary");
	f->school_c = add_school(f->db, "120347", "Westgate School", "secondary");
	if (db_commit(f->db) != HE_OK)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/hearth-import-XXXXXX");
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

/* Write len bytes to DIR/name; returns the path (owned by the fixture). */
static const char *put(struct fx *f, const char *name, const void *data, size_t len)
{
	assert_true(f->nfiles < MAXFILES);
	char *path = f->files[f->nfiles++];
	snprintf(path, sizeof f->files[0], "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static const char *puts_(struct fx *f, const char *name, const char *s)
{
	return put(f, name, s, strlen(s));
}

/* tests/data/SUB/NAME under $HEARTH_SRCDIR (default: the current
 * directory, the repository root when run by make). */
static const char *data(const char *sub, const char *name)
{
	static char buf[4][512];
	static int k;
	const char *root = getenv("HEARTH_SRCDIR");
	char *p = buf[k++ % 4];
	snprintf(p, sizeof buf[0], "%s/tests/data/%s/%s", root ? root : ".", sub, name);
	if (access(p, R_OK) != 0)
		fail_msg("cannot read %s (run from the repository root)", p);
	return p;
}

static struct import_opts opts(const char *path)
{
	struct import_opts o = {.path = path, .kind = IMPORT_AUTO};
	return o;
}

static void show(const struct import_report *r)
{
	print_message("  import %" PRId64 " %s: %s\n", r->import_id, r->status, r->message);
	for (int i = 0; i < r->nerrors; i++)
		print_message("    line %d [%s] %s\n", r->errors[i].line, r->errors[i].field,
			      r->errors[i].message);
}

/* import_run, asserting its return code. */
static void run(struct fx *f, const struct import_opts *o, struct import_report *r, int want)
{
	int rc = import_run(f->db, &who, o, r);
	if (rc != want) {
		show(r);
		fail_msg("import_run(%s) = %d; want %d", o->path, rc, want);
	}
	assert_false(db_in_transaction(f->db));
}

/* Run and expect a clean "applied" import. */
static void run_ok(struct fx *f, const struct import_opts *o, struct import_report *r)
{
	run(f, o, r, HE_OK);
	if (strcmp(r->status, "applied") != 0 || r->rows_bad != 0) {
		show(r);
		fail_msg("status %s, %" PRId64 " bad rows", r->status, r->rows_bad);
	}
}

/* ---- database helpers ------------------------------------------------------- */

static int64_t count(struct fx *f, const char *sql)
{
	return testdb_int(f->db, sql);
}

/* An integer from sql with :k bound to k (text); -1 if no row, -2 NULL. */
static int64_t qint(struct fx *f, const char *sql, const char *k)
{
	struct db_stmt *st = db_prepare(f->db, sql);
	if (k)
		db_bind_text(st, ":k", k);
	int64_t v = -1;
	if (db_next(st))
		v = db_is_null(st, 0) ? -2 : db_int(st, 0);
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(f->db));
	return v;
}

/* Text from sql with :k bound to k, into out; "(none)" if no row, "(null)"
 * for NULL. */
static const char *qtext(struct fx *f, const char *sql, const char *k, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(f->db, sql);
	if (k)
		db_bind_text(st, ":k", k);
	snprintf(out, n, "(none)");
	if (db_next(st))
		snprintf(out, n, "%s", db_is_null(st, 0) ? "(null)" : db_text(st, 0));
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(f->db));
	return out;
}

static int64_t pupils(struct fx *f)
{
	return count(f, "SELECT COUNT(*) FROM pupils");
}

static int64_t snapshots(struct fx *f)
{
	return count(f, "SELECT COUNT(*) FROM pupil_snapshots");
}

static const char *import_status(struct fx *f, int64_t id, char *out, size_t n)
{
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, id);
	return qtext(f, "SELECT status FROM imports WHERE id = CAST(:k AS INTEGER)", k, out, n);
}

/* The report lists an error on line with field, its message containing
 * want. */
static void report_has(const struct import_report *r, int line, const char *field,
		       const char *want)
{
	for (int i = 0; i < r->nerrors; i++)
		if (r->errors[i].line == line && strcmp(r->errors[i].field, field) == 0 &&
		    strstr(r->errors[i].message, want))
			return;
	show(r);
	fail_msg("no error on line %d field \"%s\" containing \"%s\"", line, field, want);
}

/* import_errors of the import has a row for line with field, its message
 * containing want. */
static void stored_has(struct fx *f, int64_t import_id, int line, const char *field,
		       const char *want)
{
	struct db_stmt *st = db_prepare(f->db, "SELECT line, field, message FROM import_errors"
					" WHERE import_id = :id ORDER BY line");
	db_bind_int(st, ":id", import_id);
	bool found = false;
	while (db_next(st))
		if (db_int(st, 0) == line && (!field || strcmp(db_text(st, 1), field) == 0) &&
		    strstr(db_text(st, 2), want))
			found = true;
	assert_int_equal(db_finalize(st), HE_OK);
	if (!found)
		fail_msg("import_errors of import %" PRId64 ": no line %d field \"%s\" containing"
			 " \"%s\"", import_id, line, field ? field : "(any)", want);
}

static int64_t stored_errors(struct fx *f, int64_t import_id)
{
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, import_id);
	return qint(f, "SELECT COUNT(*) FROM import_errors WHERE import_id = CAST(:k AS INTEGER)",
		    k);
}

/* Exactly one audit row for the import (action "import", entity
 * "imports", its id). */
static void audited(struct fx *f, int64_t import_id)
{
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, import_id);
	int64_t n = qint(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'import'"
			 " AND entity = 'imports' AND entity_id = :k", k);
	if (n != 1)
		fail_msg("import %" PRId64 ": %" PRId64 " audit rows; want 1", import_id, n);
}

/* Every snapshot's stored score, band and fired codes are what the risk
 * engine gives for its stored indicators under the rules in the
 * database. */
static void scores_match_rules(struct fx *f)
{
	struct risk_ruleset rs;
	struct errinfo e = {0};
	if (risk_ruleset_load(f->db, &rs, &e) != HE_OK)
		fail_msg("risk_ruleset_load: %s", e.message);
	struct db_stmt *st = db_prepare(f->db, "SELECT risk_score, risk_band, risk_fired, "
					RISK_SNAPSHOT_COLS " FROM pupil_snapshots");
	int n = 0;
	while (db_next(st)) {
		struct risk_values v;
		struct risk_result res;
		char fired[RISK_FIRED_MAX];
		risk_values_from_row(st, 3, &v);
		risk_score(&rs, &v, &res);
		risk_fired_codes(&rs, res.fired, fired, sizeof fired);
		if (db_int(st, 0) != res.score || strcmp(db_text(st, 1), risk_band_name(res.band)) ||
		    strcmp(db_text(st, 2), fired))
			fail_msg("stored %d %s \"%s\"; rules give %d %s \"%s\"", (int)db_int(st, 0),
				 db_text(st, 1), db_text(st, 2), res.score,
				 risk_band_name(res.band), fired);
		n++;
	}
	assert_int_equal(db_finalize(st), HE_OK);
	assert_true(n > 0);
}

/* The stored score, band and fired codes of upn's snapshot on date. */
static void score_is(struct fx *f, const char *upn, const char *date, int score,
		     const char *band, const char *fired)
{
	struct db_stmt *st = db_prepare(f->db, "SELECT s.risk_score, s.risk_band, s.risk_fired"
		" FROM pupil_snapshots s JOIN pupils p ON p.id = s.pupil_id"
		" WHERE p.upn = :upn AND s.extract_date = :d");
	db_bind_text(st, ":upn", upn);
	db_bind_text(st, ":d", date);
	if (!db_next(st))
		fail_msg("no snapshot of %s on %s", upn, date);
	int gs = (int)db_int(st, 0);
	char gb[16], gf[RISK_FIRED_MAX];
	snprintf(gb, sizeof gb, "%s", db_text(st, 1));
	snprintf(gf, sizeof gf, "%s", db_text(st, 2));
	assert_int_equal(db_finalize(st), HE_OK);
	if (gs != score || strcmp(gb, band) || strcmp(gf, fired))
		fail_msg("%s: %d %s \"%s\"; want %d %s \"%s\"", upn, gs, gb, gf, score, band, fired);
}

/* ---- good files ------------------------------------------------------------------ */

static void import_good(struct fx *f, struct import_report *r)
{
	struct import_opts o = opts(data("import", "good.csv"));
	o.filename = "good.csv";
	run_ok(f, &o, r);
}

static void test_good_csv(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	import_good(f, &r);
	assert_true(r.import_id > 0);
	assert_int_equal(r.rows_total, 6);
	assert_int_equal(r.rows_applied, 6);
	assert_int_equal(r.rows_unchanged, 0);
	assert_int_equal(r.rows_bad, 0);
	assert_int_equal(r.nerrors, 0);
	assert_int_equal(r.unknown_columns, 0);
	assert_non_null(strstr(r.message, "6 rows: 6 applied"));
	assert_int_equal(pupils(f), 6);
	assert_int_equal(snapshots(f), 6);
	char buf[64];
	assert_string_equal(import_status(f, r.import_id, buf, sizeof buf), "applied");
	assert_int_equal(count(f, "SELECT rows_total FROM imports"), 6);
	assert_int_equal(count(f, "SELECT rows_applied FROM imports"), 6);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM imports WHERE kind = 'csv'"
			       " AND filename = 'good.csv' AND finished_at IS NOT NULL"), 1);
	assert_int_equal(stored_errors(f, r.import_id), 0);
	audited(f, r.import_id);
	/* the pupil as stored */
	assert_string_equal(qtext(f, "SELECT forename || ' ' || surname || ' ' || dob || ' ' ||"
		" gender || ' ' || postcode FROM pupils WHERE upn = :k", "C856202600001", buf,
		sizeof buf), "Amelia Okafor 2011-03-14 F LE2 1AB");
	assert_string_equal(qtext(f, "SELECT postcode FROM pupils WHERE upn = :k",
				  "R856202600002", buf, sizeof buf), "LE2 1AB");
	assert_string_equal(qtext(f, "SELECT postcode FROM pupils WHERE upn = :k",
				  "V856202600004", buf, sizeof buf), "(null)");
	assert_int_equal(qint(f, "SELECT school_id FROM pupils WHERE upn = :k", "J856202600005"),
			 f->school_b);
	assert_int_equal(qint(f, "SELECT school_id FROM pupils WHERE upn = :k", "C856202600001"),
			 f->school_a);
	/* the snapshot's indicators */
	assert_int_equal(qint(f, "SELECT s.sessions_attended FROM pupil_snapshots s JOIN pupils p"
			      " ON p.id = s.pupil_id WHERE p.upn = :k", "C856202600001"), 178);
	assert_int_equal(qint(f, "SELECT s.year_group FROM pupil_snapshots s JOIN pupils p"
			      " ON p.id = s.pupil_id WHERE p.upn = :k", "C856202600001"), 9);
	assert_int_equal(qint(f, "SELECT s.suspension_days_x10 FROM pupil_snapshots s JOIN pupils p"
			      " ON p.id = s.pupil_id WHERE p.upn = :k", "F856202600003"), 45);
	assert_int_equal(qint(f, "SELECT s.ehcp FROM pupil_snapshots s JOIN pupils p"
			      " ON p.id = s.pupil_id WHERE p.upn = :k", "R856202600002"), 1);
	assert_int_equal(qint(f, "SELECT s.sessions_possible FROM pupil_snapshots s JOIN pupils p"
			      " ON p.id = s.pupil_id WHERE p.upn = :k", "J856202600005"), -2);
	assert_string_equal(qtext(f, "SELECT s.sen FROM pupil_snapshots s JOIN pupils p"
			      " ON p.id = s.pupil_id WHERE p.upn = :k", "C856202600001", buf,
			      sizeof buf), "K");
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE extract_date ="
			       " '2025-01-15'"), 6);
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, r.import_id);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE import_id ="
			      " CAST(:k AS INTEGER)", k), 6);
	/* scores: worked out by hand from the default rules … */
	score_is(f, "C856202600001", "2025-01-15", 31, "medium", "persistent_absence,sen_support,fsm");
	score_is(f, "R856202600002", "2025-01-15", 18, "low", "ehcp,fsm");
	score_is(f, "F856202600003", "2025-01-15", 75, "high",
		 "severe_absence,unauthorised_absence,repeated_suspensions,looked_after");
	score_is(f, "V856202600004", "2025-01-15", 0, "low", "");
	score_is(f, "J856202600005", "2025-01-15", 80, "high",
		 "permanent_exclusion,young_carer,youth_justice,school_moves,below_expected");
	score_is(f, "Y856202600006", "2025-01-15", 30, "medium", "suspended,child_protection");
	/* … and by the engine from what was stored */
	scores_match_rules(f);
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	uint64_t *v = arg;
	v[0]++;
	v[1] = done;
	v[2] = total;
}

static void test_progress(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	uint64_t p[3] = {0};
	struct import_opts o = opts(data("import", "good.csv"));
	o.progress = progress;
	o.progress_arg = p;
	run_ok(f, &o, &r);
	assert_true(p[0] >= 1);
	assert_true(p[2] > 0);
	assert_int_equal(p[1], p[2]);   /* the last call: all of it */
}

static void test_reimport_unchanged(void **state)
{
	struct fx *f = FX(state);
	struct import_report r1, r2;
	import_good(f, &r1);
	/* mark the rows so any write shows */
	testdb_raw_exec(f->t, "UPDATE pupils SET updated_at = '2000-01-01T00:00:00Z'");
	import_good(f, &r2);
	assert_true(r2.import_id != r1.import_id);
	assert_int_equal(r2.rows_total, 6);
	assert_int_equal(r2.rows_unchanged, 6);
	assert_int_equal(r2.rows_applied, 0);
	assert_int_equal(pupils(f), 6);
	assert_int_equal(snapshots(f), 6);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE updated_at <>"
			       " '2000-01-01T00:00:00Z'"), 0);
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, r1.import_id);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE import_id ="
			      " CAST(:k AS INTEGER)", k), 6);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM imports"), 2);
	assert_int_equal(count(f, "SELECT rows_unchanged FROM imports ORDER BY id DESC"), 6);
	audited(f, r1.import_id);
	audited(f, r2.import_id);
}

static void test_later_extract_keeps_history(void **state)
{
	struct fx *f = FX(state);
	struct import_report r1, r2;
	import_good(f, &r1);
	/* the same pupils, a later extract without the column: opts date */
	const char *p = puts_(f, "march.csv",
		"UPN,Forename,Surname,Date of birth,Gender,School URN,FSM,Sessions possible,"
		"Sessions attended\n"
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,Y,300,240\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120345,Y,300,290\n");
	struct import_opts o = opts(p);
	o.extract_date = date_from_ymd(2025, 3, 1);
	run_ok(f, &o, &r2);
	assert_int_equal(r2.rows_applied, 2);
	assert_int_equal(pupils(f), 6);
	assert_int_equal(snapshots(f), 8);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupil_snapshots s JOIN pupils p ON p.id ="
			      " s.pupil_id WHERE p.upn = :k", "C856202600001"), 2);
	/* the old snapshot is as it was */
	score_is(f, "C856202600001", "2025-01-15", 31, "medium", "persistent_absence,sen_support,fsm");
	/* the new one: 80% attendance, FSM; SEN not given this time */
	score_is(f, "C856202600001", "2025-03-01", 23, "medium", "persistent_absence,fsm");
	score_is(f, "R856202600002", "2025-03-01", 8, "low", "fsm");
	/* year group worked out from the date of birth when not given */
	assert_int_equal(qint(f, "SELECT s.year_group FROM pupil_snapshots s JOIN pupils p ON"
			      " p.id = s.pupil_id WHERE p.upn = :k AND s.extract_date = '2025-03-01'",
			      "C856202600001"), 9);
	scores_match_rules(f);
	/* an extract date with no opts: today */
	const char *q = puts_(f, "today.csv", "UPN,Forename,Surname,Date of birth,Gender,School URN\n"
			      "C856202600001,Amelia,Okafor,2011-03-14,F,120345\n");
	struct import_report r3;
	o = opts(q);
	run_ok(f, &o, &r3);
	char today[11], buf[16];
	date_format(date_today(), today);
	assert_string_equal(qtext(f, "SELECT MAX(extract_date) FROM pupil_snapshots s JOIN pupils p"
				  " ON p.id = s.pupil_id WHERE p.upn = :k", "C856202600001", buf,
				  sizeof buf), today);
	assert_int_equal(snapshots(f), 9);
}

static void test_changed_value_same_date(void **state)
{
	struct fx *f = FX(state);
	struct import_report r1, r2;
	import_good(f, &r1);
	testdb_raw_exec(f->t, "UPDATE pupils SET updated_at = '2000-01-01T00:00:00Z'");
	/* the same extract date; Walsh is now FSM-eligible and Patel's name is
	 * corrected; the others are as they were */
	const char *p = puts_(f, "fix.csv",
		"UPN,Forename,Surname,Date of birth,Gender,Year group,School URN,Postcode,Address,"
		"Contact,FSM,SEN provision,EHC plan,Looked after,Child in need,Child protection,"
		"Young carer,Youth justice,School moves,Sessions possible,Sessions attended,"
		"Authorised absence,Unauthorised absence,Suspensions,Suspension days,"
		"Permanent exclusion,Below expected,Extract date\n"
		"V856202600004,Leo,Walsh,2014-01-05,M,5,120345,,,,Y,N,N,N,N,N,N,N,0,380,370,10,0,0,0,N,N,2025-01-15\n"
		"Y856202600006,Noah,Patel-Jones,2012-09-01,M,8,120345,LE1 6ZG,9 High Street,,N,N,N,N,N,Y,N,N,0,100,95,5,0,1,0.5,N,N,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,7,120345,le2 1ab,14 acacia  avenue,,Y,E,Y,N,N,N,N,N,0,200,186,14,0,0,0,N,N,2025-01-15\n");
	struct import_opts o = opts(p);
	run_ok(f, &o, &r2);
	assert_int_equal(r2.rows_total, 3);
	assert_int_equal(r2.rows_applied, 2);
	assert_int_equal(r2.rows_unchanged, 1);
	assert_int_equal(snapshots(f), 6);
	assert_int_equal(qint(f, "SELECT s.fsm FROM pupil_snapshots s JOIN pupils p ON p.id ="
			      " s.pupil_id WHERE p.upn = :k", "V856202600004"), 1);
	score_is(f, "V856202600004", "2025-01-15", 8, "low", "fsm");
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, r2.import_id);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE import_id ="
			      " CAST(:k AS INTEGER)", k), 1);
	/* Walsh's pupil row did not change (only his snapshot); Patel's did */
	char buf[64];
	assert_string_equal(qtext(f, "SELECT updated_at FROM pupils WHERE upn = :k",
				  "V856202600004", buf, sizeof buf), "2000-01-01T00:00:00Z");
	assert_string_not_equal(qtext(f, "SELECT updated_at FROM pupils WHERE upn = :k",
				      "Y856202600006", buf, sizeof buf), "2000-01-01T00:00:00Z");
	assert_string_equal(qtext(f, "SELECT surname FROM pupils WHERE upn = :k", "Y856202600006",
				  buf, sizeof buf), "Patel-Jones");
	assert_string_equal(qtext(f, "SELECT updated_at FROM pupils WHERE upn = :k",
				  "R856202600002", buf, sizeof buf), "2000-01-01T00:00:00Z");
	scores_match_rules(f);
}

/* ---- bad rows ------------------------------------------------------------------- */

static void check_bad_rows_errors(struct fx *f, const struct import_report *r)
{
	assert_int_equal(r->rows_total, 8);
	assert_int_equal(r->rows_bad, 5);
	assert_int_equal(r->nerrors, 5);
	report_has(r, 3, "UPN", "it should be R");
	report_has(r, 5, "Date of birth", "'2023-02-29' is not a real date");
	report_has(r, 6, "SEN provision", "'X' is not N, K or E");
	report_has(r, 8, "Sessions attended", "more than the sessions possible");
	report_has(r, 9, "Gender", "'Q' is not M, F or U");
	assert_int_equal(stored_errors(f, r->import_id), 5);
	stored_has(f, r->import_id, 3, "UPN", "it should be R");
	stored_has(f, r->import_id, 5, "Date of birth", "not a real date");
	stored_has(f, r->import_id, 6, "SEN provision", "'X'");
	stored_has(f, r->import_id, 8, "Sessions attended", "more than");
	stored_has(f, r->import_id, 9, "Gender", "'Q'");
	audited(f, r->import_id);
}

static void test_bad_rows_reported_good_applied(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	struct import_opts o = opts(data("import", "bad_rows.csv"));
	run(f, &o, &r, HE_OK);
	assert_string_equal(r.status, "applied");
	assert_int_equal(r.rows_applied, 3);
	check_bad_rows_errors(f, &r);
	assert_int_equal(pupils(f), 3);
	assert_int_equal(snapshots(f), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE upn IN ('C856202600001',"
			       " 'F856202600003', 'Y856202600006')"), 3);
	char buf[16];
	assert_string_equal(import_status(f, r.import_id, buf, sizeof buf), "applied");
	assert_int_equal(count(f, "SELECT rows_bad FROM imports"), 5);
	assert_non_null(strstr(r.message, "5 with errors"));
}

static void test_strict_refuses(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	struct import_opts o = opts(data("import", "bad_rows.csv"));
	o.strict = true;
	run(f, &o, &r, HE_OK);
	assert_string_equal(r.status, "refused");
	assert_int_equal(r.rows_applied, 0);
	assert_int_equal(r.rows_unchanged, 0);
	check_bad_rows_errors(f, &r);
	assert_int_equal(pupils(f), 0);
	assert_int_equal(snapshots(f), 0);
	char buf[16];
	assert_string_equal(import_status(f, r.import_id, buf, sizeof buf), "refused");
	assert_int_equal(count(f, "SELECT strict FROM imports"), 1);
	assert_int_equal(count(f, "SELECT rows_applied FROM imports"), 0);
	assert_non_null(strstr(r.message, "nothing was applied"));
	/* strict with a clean file applies it */
	struct import_report r2;
	o = opts(data("import", "good.csv"));
	o.strict = true;
	run_ok(f, &o, &r2);
	assert_int_equal(pupils(f), 6);
}

static void test_duplicate_upn(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "dup.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120345,2025-01-15\n"
		"c856202600001,Amy,Okafor,2011-03-14,F,120345,2025-01-15\n");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 1);
	report_has(&r, 4, "UPN", "C856202600001 is in the file twice (first on line 2)");
	stored_has(f, r.import_id, 4, "UPN", "first on line 2");
	char buf[16];
	assert_string_equal(qtext(f, "SELECT forename FROM pupils WHERE upn = :k", "C856202600001",
				  buf, sizeof buf), "Amelia");
	/* a bad first occurrence does not make the second a duplicate */
	struct import_report r2;
	p = puts_(f, "dup2.csv", HDR
		"M856202600007,Ava,Khan,2012-10-10,Q,120345,2025-01-15\n"
		"M856202600007,Ava,Khan,2012-10-10,F,120345,2025-01-15\n");
	o = opts(p);
	run(f, &o, &r2, HE_OK);
	assert_int_equal(r2.rows_applied, 1);
	assert_int_equal(r2.rows_bad, 1);
	report_has(&r2, 2, "Gender", "'Q'");
}

static void test_columns_any_order_unknown(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "order.csv",
		"ethnicity,EXTRACT_DATE,gender,Legal Surname,dob,Middle name,upn,first name,urn,"
		"fsm eligible,Form\n"
		"WBRI,2025-01-15,f,Okafor,2011-03-14,Grace,C856202600001,Amelia,120345,Y,9X\n"
		"BAFR,2025-01-15,M,Okafor,02/07/2013,,R856202600002,Daniel,120345,n,7Y\n");
	struct import_opts o = opts(p);
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.unknown_columns, 3);
	assert_string_equal(r.unknown, "ethnicity, Middle name, Form");
	char buf[64];
	assert_string_equal(qtext(f, "SELECT forename || ' ' || surname || ' ' || dob || ' ' ||"
				  " gender FROM pupils WHERE upn = :k", "R856202600002", buf,
				  sizeof buf), "Daniel Okafor 2013-07-02 M");
	assert_int_equal(qint(f, "SELECT s.fsm FROM pupil_snapshots s JOIN pupils p ON p.id ="
			      " s.pupil_id WHERE p.upn = :k", "C856202600001"), 1);
	/* the same column twice refuses the file */
	struct import_report r2;
	p = puts_(f, "twice.csv", "UPN,Forename,Surname,DOB,Gender,Date of birth\n"
		  "C856202600001,Amelia,Okafor,2011-03-14,F,2011-03-14\n");
	o = opts(p);
	run(f, &o, &r2, HE_INVALID);
	assert_string_equal(r2.status, "refused");
	assert_non_null(strstr(r2.message, "Date of birth"));
}

static void test_missing_required_column(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "missing.csv", "UPN,Forename,Surname,School URN\n"
			      "C856202600001,Amelia,Okafor,120345\n");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_INVALID);
	assert_string_equal(r.status, "refused");
	assert_non_null(strstr(r.message, "Date of birth"));
	assert_non_null(strstr(r.message, "Gender"));
	assert_null(strstr(r.message, "Forename"));
	assert_true(r.nerrors >= 1);
	assert_int_equal(r.errors[0].line, 1);
	assert_int_equal(pupils(f), 0);
	assert_int_equal(snapshots(f), 0);
	/* the refusal is recorded and audited */
	char buf[16];
	assert_string_equal(import_status(f, r.import_id, buf, sizeof buf), "refused");
	audited(f, r.import_id);
	/* a header-less file (data on line 1) names them all */
	struct import_report r2;
	p = puts_(f, "noheader.csv", "C856202600001,Amelia,Okafor,2011-03-14,F,120345\n");
	o = opts(p);
	run(f, &o, &r2, HE_INVALID);
	assert_non_null(strstr(r2.message, "UPN"));
	assert_non_null(strstr(r2.message, "Forename"));
	assert_int_equal(pupils(f), 0);
}

static void test_empty_files(void **state)
{
	struct fx *f = FX(state);
	const char *cases[][2] = {
		{"zero.csv", ""},
		{"blank.csv", "\n\n\r\n\n"},
		{"bom.csv", "\xEF\xBB\xBF"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct import_report r;
		const char *p = puts_(f, cases[i][0], cases[i][1]);
		struct import_opts o = opts(p);
		run(f, &o, &r, HE_INVALID);
		assert_string_equal(r.status, "refused");
		if (!strstr(r.message, "empty"))
			fail_msg("%s: \"%s\" does not say the file is empty", cases[i][0], r.message);
	}
	/* a header and no rows: nothing to do, and it says so */
	struct import_report r;
	const char *p = puts_(f, "header_only.csv", HDR);
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_total, 0);
	assert_int_equal(pupils(f), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM imports"), 4);
}

static void test_wrong_delimiter(void **state)
{
	struct fx *f = FX(state);
	const char *cases[][2] = {
		{"semi.csv", "UPN;Forename;Surname;Date of birth;Gender;School URN\n"
			     "C856202600001;Amelia;Okafor;2011-03-14;F;120345\n"},
		{"tab.csv", "UPN\tForename\tSurname\tDate of birth\tGender\tSchool URN\n"
			    "C856202600001\tAmelia\tOkafor\t2011-03-14\tF\t120345\n"},
	};
	for (size_t i = 0; i < 2; i++) {
		struct import_report r;
		const char *p = puts_(f, cases[i][0], cases[i][1]);
		struct import_opts o = opts(p);
		run(f, &o, &r, HE_INVALID);
		assert_string_equal(r.status, "refused");
		if (!strstr(r.message, "delimiter"))
			fail_msg("%s: \"%s\" does not name the delimiter", cases[i][0], r.message);
	}
	assert_int_equal(pupils(f), 0);
}

static void test_bom_crlf(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "bom.csv", "\xEF\xBB\xBF" "UPN,Forename,Surname,Date of birth,"
		"Gender,School URN,Extract date\r\n"
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\r\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120345,2025-01-15\r\n"
		"F856202600003,Zainab,Hussain,2010-11-20,Z,120345,2025-01-15\r\n");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.unknown_columns, 0);
	assert_int_equal(r.rows_applied, 2);
	report_has(&r, 4, "Gender", "'Z' is not");
	char buf[32];
	/* no stray CR in the last column */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE extract_date ="
			       " '2025-01-15'"), 2);
	assert_string_equal(qtext(f, "SELECT gender FROM pupils WHERE upn = :k", "R856202600002",
				  buf, sizeof buf), "M");
}

static void test_quoted_commas_newlines(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "quoted.csv",
		"UPN,Forename,Surname,Date of birth,Gender,School URN,Address,Postcode,Contact,"
		"Extract date\n"
		/* line 2 */
		"C856202600001,Amelia,\"Okafor, Jr\",2011-03-14,F,120345,\"Flat 3, 7 Narborough Road\","
		"LE3 0BQ,\"Grace Okafor\n07700 900123\",2025-01-15\n"
		/* line 4 (spans 4–6) */
		"R856202600002,\"Daniel\",Okafor,2013-07-02,M,120345,\"Flat 3,\n7 Narborough\nRoad\","
		"LE3 0BQ,\"He said \"\"hi\"\"\",2025-01-15\n"
		/* line 7: bad */
		"F856202600003,Zainab,Hussain,2010-11-20,F,120345,\"1, High St\",NOTAPOSTCODE,,"
		"2025-01-15\n"
		/* line 8: bad */
		"V856202600004,Leo,Walsh,2014-13-05,M,120345,,,,2025-01-15\n");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_total, 4);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 2);
	report_has(&r, 7, "Postcode", "'NOTAPOSTCODE' is not a UK postcode");
	report_has(&r, 8, "Date of birth", "not a real date");
	char buf[64];
	assert_string_equal(qtext(f, "SELECT surname FROM pupils WHERE upn = :k", "C856202600001",
				  buf, sizeof buf), "Okafor, Jr");
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE postcode = 'LE3 0BQ'"), 2);
}

static void test_non_utf8(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "latin1.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,M\xfcller,2013-07-02,M,120345,2025-01-15\n"
		"F856202600003,Zo\xeb,Hussain,2010-11-20,F,120345,2025-01-15\n"
		"V856202600004,Leo,Walsh,2014-01-05,M,120345,2025-01-15\n");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 2);
	report_has(&r, 3, "Surname", "not valid UTF-8");
	report_has(&r, 4, "Forename", "not valid UTF-8");
	stored_has(f, r.import_id, 3, "Surname", "UTF-8");
	assert_int_equal(pupils(f), 2);
	/* the stored messages are valid text themselves */
	struct db_stmt *st = db_prepare(f->db, "SELECT message FROM import_errors");
	while (db_next(st))
		assert_true(text_valid(db_text(st, 0), strlen(db_text(st, 0))));
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_truncated_last_row(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	/* the file ends part-way through line 4 */
	const char *p = puts_(f, "cut.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120345,2025-01-15\n"
		"F856202600003,Zainab,Huss");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_string_equal(r.status, "applied");
	assert_int_equal(r.rows_total, 3);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 1);
	assert_int_equal(r.nerrors, 1);
	assert_int_equal(r.errors[0].line, 4);
	report_has(&r, 4, "Date of birth", "missing");
	assert_int_equal(pupils(f), 2);
	/* cut mid-date */
	struct import_report r2;
	p = puts_(f, "cut2.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"Y856202600006,Noah,Patel,2012-09-01,M,120345,2025-0");
	o = opts(p);
	run(f, &o, &r2, HE_OK);
	report_has(&r2, 3, "Extract date", "not a real date");
	assert_int_equal(pupils(f), 2);
}

static void test_unterminated_quote(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "open.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120345,2025-01-15\n"
		"F856202600003,\"Zainab,Hussain,2010-11-20,F,120345,2025-01-15\n"
		"V856202600004,Leo,Walsh,2014-01-05,M,120345,2025-01-15\n");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_INVALID);
	assert_string_equal(r.status, "failed");
	assert_int_equal(pupils(f), 0);
	assert_int_equal(snapshots(f), 0);
	if (!strstr(r.message, "never ends") || !strstr(r.message, "line 4"))
		fail_msg("message \"%s\" does not name the quote on line 4", r.message);
	char buf[16];
	assert_string_equal(import_status(f, r.import_id, buf, sizeof buf), "failed");
	audited(f, r.import_id);
	/* the reason is stored with the failed import */
	stored_has(f, r.import_id, 4, NULL, "never ends");
	/* nothing was applied, and neither the report nor the record may say
	 * otherwise */
	if (r.rows_applied != 0 || count(f, "SELECT rows_applied FROM imports") != 0)
		fail_msg("nothing was applied, but the report says %" PRId64 " rows applied and"
			 " the imports row %" PRId64, r.rows_applied,
			 count(f, "SELECT rows_applied FROM imports"));
}

/* The same, after more bad rows than the report keeps: the failure must
 * still be about the quote. */
static void test_unterminated_quote_after_many_errors(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	char body[8192];
	size_t n = (size_t)snprintf(body, sizeof body, "%s", HDR);
	for (int i = 0; i < IMPORT_REPORT_ERRORS + 5; i++)
		n += (size_t)snprintf(body + n, sizeof body - n,
				      "C856202600001,Amelia,Okafor,2011-03-14,Q,120345,2025-01-15\n");
	n += (size_t)snprintf(body + n, sizeof body - n,
			      "R856202600002,\"Daniel,Okafor,2013-07-02,M,120345,2025-01-15\n");
	const char *p = put(f, "many.csv", body, n);
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_INVALID);
	assert_string_equal(r.status, "failed");
	assert_int_equal(pupils(f), 0);
	if (!strstr(r.message, "never ends"))
		fail_msg("message \"%s\" is not about the unterminated quote", r.message);
	/* the reason is stored with the failed import */
	int line = IMPORT_REPORT_ERRORS + 5 + 2;
	stored_has(f, r.import_id, line, NULL, "never ends");
}

/* Rows the CSV reader itself cannot read (a stray quote, a NUL byte, more
 * cells than the header) are bad rows like any other: named by line, and
 * by column where there is one; the rest of the file is read. */
static void test_row_level_csv_errors(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	static const char body[] = HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Dan\"iel,Okafor,2013-07-02,M,120345,2025-01-15\n"
		"F856202600003,Zainab,Hussain,2010-11-20,F,120345,2025-01-15,extra\n"
		"V856202600004,Leo,Wa\0lsh,2014-01-05,M,120345,2025-01-15\n"
		"J856202600005,Ella,\"Brown\"x,2009-05-30,F,120345,2025-01-15\n"
		"Y856202600006,Noah,Patel,2012-09-01,M,120345,2025-01-15\n";
	const char *p = put(f, "rows.csv", body, sizeof body - 1);
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_OK);
	assert_string_equal(r.status, "applied");
	assert_int_equal(r.rows_total, 6);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 4);
	report_has(&r, 3, "Forename", "");
	report_has(&r, 4, "", "cells");
	report_has(&r, 5, "Surname", "");
	report_has(&r, 6, "Surname", "");
	stored_has(f, r.import_id, 3, "Forename", "");
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE upn IN ('C856202600001',"
			       " 'Y856202600006')"), 2);
}

/* Files that cannot be read at all: refused as a whole, nothing applied. */
static void test_unreadable_files(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	char missing[128];
	snprintf(missing, sizeof missing, "%s/no-such-file.csv", f->dir);
	struct import_opts o = opts(missing);
	run(f, &o, &r, HE_INVALID);
	assert_string_equal(r.status, "refused");
	assert_true(strlen(r.message) > 0);
	o = opts(f->dir);
	run(f, &o, &r, HE_INVALID);
	assert_non_null(strstr(r.message, "not a file"));
	/* saved as UTF-16 ("Unicode text") */
	static const char utf16[] = "\xFF\xFEU\0P\0N\0,\0F\0\n\0";
	o = opts(put(f, "utf16.csv", utf16, sizeof utf16 - 1));
	run(f, &o, &r, HE_INVALID);
	assert_string_equal(r.status, "refused");
	if (!strstr(r.message, "UTF-16"))
		fail_msg("\"%s\" does not say the file is UTF-16", r.message);
	assert_int_equal(pupils(f), 0);
}

/* ---- schools ---------------------------------------------------------------------- */

static void test_own_school_only(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "scope.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120346,2025-01-15\n"
		"F856202600003,Zainab,Hussain,2010-11-20,F,,2025-01-15\n"
		"V856202600004,Leo,Walsh,2014-01-05,M,999999,2025-01-15\n");
	struct import_opts o = opts(p);
	o.school_urn = "120345";
	o.own_school_only = true;
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 2);
	report_has(&r, 3, "School URN", "120346 is not your school");
	report_has(&r, 5, "School URN", "999999");
	stored_has(f, r.import_id, 3, "School URN", "120346");
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupils WHERE upn = :k", "R856202600002"), 0);
	/* the row without a URN belongs to the import's school */
	assert_int_equal(qint(f, "SELECT school_id FROM pupils WHERE upn = :k", "F856202600003"),
			 f->school_a);
	assert_int_equal(count(f, "SELECT school_id FROM imports ORDER BY id DESC LIMIT 1"),
			 f->school_a);
}

/* A school user's import must name their school: own_school_only without
 * school_urn may not fall open to every school. */
static void test_own_school_only_needs_school(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "noschool.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120346,2025-01-15\n");
	struct import_opts o = opts(p);
	o.own_school_only = true;
	int rc = import_run(f->db, &who, &o, &r);
	if (pupils(f) != 0)
		fail_msg("own_school_only with no school: rc %d, %s, %" PRId64 " pupils imported"
			 " (rows of any school accepted)", rc, r.message, pupils(f));
}

static void test_school_urns(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "urns.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2013-07-02,M,120346,2025-01-15\n"
		"F856202600003,Zainab,Hussain,2010-11-20,F,,2025-01-15\n"
		"V856202600004,Leo,Walsh,2014-01-05,M,999999,2025-01-15\n");
	/* an admin, school given: rows of any partnership school are fine */
	struct import_opts o = opts(p);
	o.school_urn = "120347";
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_applied, 3);
	assert_int_equal(r.rows_bad, 1);
	report_has(&r, 5, "School URN", "no school in the partnership has URN 999999");
	assert_int_equal(qint(f, "SELECT school_id FROM pupils WHERE upn = :k", "R856202600002"),
			 f->school_b);
	assert_int_equal(qint(f, "SELECT school_id FROM pupils WHERE upn = :k", "F856202600003"),
			 f->school_c);
	/* no school given: the URN-less row has none */
	struct import_report r2;
	o = opts(p);
	run(f, &o, &r2, HE_OK);
	report_has(&r2, 4, "School URN", "missing");
	/* a school for the import that is not in the partnership */
	struct import_report r3;
	o = opts(p);
	o.school_urn = "654321";
	run(f, &o, &r3, HE_INVALID);
	assert_non_null(strstr(r3.message, "654321"));
	/* a pupil moving school moves with the next import */
	struct import_report r4;
	const char *q = puts_(f, "move.csv", HDR
		"C856202600001,Amelia,Okafor,2011-03-14,F,120347,2025-02-01\n");
	o = opts(q);
	run_ok(f, &o, &r4);
	assert_int_equal(qint(f, "SELECT school_id FROM pupils WHERE upn = :k", "C856202600001"),
			 f->school_c);
}

/* ---- CTF ------------------------------------------------------------------------------ */

static void test_ctf_small(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	struct import_opts o = opts(data("ctf", "small.xml"));
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_total, 4);
	assert_int_equal(r.rows_applied, 4);
	char kind[8];
	assert_string_equal(qtext(f, "SELECT kind FROM imports", NULL, kind, sizeof kind), "ctf");
	assert_int_equal(pupils(f), 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE upn IN ('G856200124001',"
			       " 'W856200124002', 'W856200125003', 'W856200126004')"), 4);
	/* the header's school and date */
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, f->school_a);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupils WHERE school_id = CAST(:k AS INTEGER)",
			      k), 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE extract_date ="
			       " '2025-01-15'"), 4);
	char buf[64];
	assert_string_equal(qtext(f, "SELECT forename || ' ' || surname || ' ' || dob || ' ' ||"
				  " gender FROM pupils WHERE upn = :k", "W856200125003", buf,
				  sizeof buf), "Zainab Hussain 2010-11-20 F");
	assert_int_equal(qint(f, "SELECT s.looked_after FROM pupil_snapshots s JOIN pupils p ON"
			      " p.id = s.pupil_id WHERE p.upn = :k", "W856200125003"), 1);
	assert_string_equal(qtext(f, "SELECT s.sen FROM pupil_snapshots s JOIN pupils p ON"
				  " p.id = s.pupil_id WHERE p.upn = :k", "W856200124002", buf,
				  sizeof buf), "E");
	/* siblings at the same address */
	assert_int_equal(count(f, "SELECT COUNT(DISTINCT family_key) FROM pupils WHERE upn IN"
			       " ('G856200124001', 'W856200124002')"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE upn = 'G856200124001'"
			       " AND family_key IS NOT NULL"), 1);
	scores_match_rules(f);
	audited(f, r.import_id);
	/* again: nothing changes */
	struct import_report r2;
	run_ok(f, &o, &r2);
	assert_int_equal(r2.rows_unchanged, 4);
	assert_int_equal(snapshots(f), 4);
}

static void test_ctf_malformed(void **state)
{
	struct fx *f = FX(state);
	const char *bad[] = {"malformed.xml", "truncated.xml"};
	for (size_t i = 0; i < 2; i++) {
		struct import_report r;
		struct import_opts o = opts(data("ctf", bad[i]));
		run(f, &o, &r, HE_INVALID);
		assert_string_equal(r.status, "failed");
		assert_true(r.nerrors >= 1);
		assert_true(strlen(r.message) > 0);
		assert_int_equal(pupils(f), 0);
		assert_int_equal(snapshots(f), 0);
		char buf[16];
		assert_string_equal(import_status(f, r.import_id, buf, sizeof buf), "failed");
		audited(f, r.import_id);
		if (!strstr(r.message, "line"))
			fail_msg("%s: \"%s\" does not name the line", bad[i], r.message);
		if (r.rows_applied != 0)
			fail_msg("%s: nothing was applied, but the report says %" PRId64 " rows"
				 " applied", bad[i], r.rows_applied);
	}
	/* not a CTF at all, or broken before its first pupil */
	const char *early[] = {"not_ctf.xml", "xxe.xml", "empty.xml"};
	for (size_t i = 0; i < 3; i++) {
		struct import_report r;
		struct import_opts o = opts(data("ctf", early[i]));
		o.kind = IMPORT_CTF;
		run(f, &o, &r, HE_INVALID);
		assert_true(strcmp(r.status, "refused") == 0 || strcmp(r.status, "failed") == 0);
		assert_int_equal(pupils(f), 0);
	}
	/* an XML file named as CSV is sniffed as CTF */
	struct import_report r;
	const char *p = puts_(f, "looks.csv", "  <CTfile><Header>");
	struct import_opts o = opts(p);
	run(f, &o, &r, HE_INVALID);
	assert_int_equal(pupils(f), 0);
}

/* ---- siblings ------------------------------------------------------------------------- */

/* k is a family key: PUPIL_FAMILY_KEY - 1 hex digits. */
static void is_key(const char *k, const char *upn)
{
	size_t n = PUPIL_FAMILY_KEY - 1;
	if (strlen(k) != n || strspn(k, "0123456789abcdef") != n)
		fail_msg("%s: family_key \"%s\" is not %zu hex digits", upn, k, n);
}

static void test_siblings_csv(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	const char *p = puts_(f, "sib.csv",
		"UPN,Forename,Surname,Date of birth,Gender,School URN,Address,Postcode,Contact,"
		"Extract date\n"
		"C856202600001,Amelia,Okafor,2011-03-14,F,120345,14 Acacia Avenue,LE2 1AB,,2025-01-15\n"
		"R856202600002,Daniel,Okafor,2016-07-02,M,120346,14 ACACIA AVENUE ,le21ab,,2025-01-15\n"
		"F856202600003,Zainab,Hussain,2010-11-20,F,120345,14 Acacia Avenue,LE2 1AD,,2025-01-15\n"
		"V856202600004,Leo,Walsh,2014-01-05,M,120345,,,\"Jo Walsh, 07700 900777\",2025-01-15\n"
		"J856202600005,Mia,Walsh,2012-05-30,F,120347,,,\"jo walsh 07700900777\",2025-01-15\n"
		"Y856202600006,Noah,Patel,2012-09-01,M,120345,,,,2025-01-15\n");
	struct import_opts o = opts(p);
	run_ok(f, &o, &r);
	char a[80], b[80];
	qtext(f, "SELECT family_key FROM pupils WHERE upn = :k", "C856202600001", a, sizeof a);
	qtext(f, "SELECT family_key FROM pupils WHERE upn = :k", "R856202600002", b, sizeof b);
	is_key(a, "C856202600001");
	assert_string_equal(a, b);                    /* across schools too */
	qtext(f, "SELECT family_key FROM pupils WHERE upn = :k", "F856202600003", b, sizeof b);
	assert_string_not_equal(a, b);                /* another postcode */
	qtext(f, "SELECT family_key FROM pupils WHERE upn = :k", "V856202600004", a, sizeof a);
	qtext(f, "SELECT family_key FROM pupils WHERE upn = :k", "J856202600005", b, sizeof b);
	is_key(a, "V856202600004");
	assert_string_equal(a, b);                    /* by contact */
	qtext(f, "SELECT family_key FROM pupils WHERE upn = :k", "Y856202600006", a, sizeof a);
	assert_string_equal(a, "(null)");
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils p JOIN pupils q ON"
			       " p.family_key = q.family_key AND p.id < q.id"), 2);
}

/* ---- audit --------------------------------------------------------------------------- */

static void test_audit_every_import(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	import_good(f, &r);
	struct import_opts o = opts(data("import", "bad_rows.csv"));
	o.strict = true;
	run(f, &o, &r, HE_OK);
	o = opts(puts_(f, "empty.csv", ""));
	run(f, &o, &r, HE_INVALID);
	int64_t n = count(f, "SELECT COUNT(*) FROM imports");
	assert_int_equal(n, 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND"
			       " entity = 'imports'"), 3);
	/* each names its import, who and what happened */
	struct db_stmt *st = db_prepare(f->db, "SELECT id FROM imports ORDER BY id");
	int64_t ids[3];
	for (int i = 0; i < 3 && db_next(st); i++)
		ids[i] = db_int(st, 0);
	assert_int_equal(db_finalize(st), HE_OK);
	for (int i = 0; i < 3; i++)
		audited(f, ids[i]);
	char buf[320], k[24];
	static const char *const outcome[] = {"applied", "refused", "refused"};
	for (int i = 0; i < 3; i++) {
		snprintf(k, sizeof k, "%" PRId64, ids[i]);
		qtext(f, "SELECT summary FROM audit_log WHERE action = 'import' AND entity_id = :k",
		      k, buf, sizeof buf);
		if (!strstr(buf, outcome[i]))
			fail_msg("audit summary of import %s: \"%s\" does not say %s", k, buf,
				 outcome[i]);
	}
	assert_string_equal(qtext(f, "SELECT user_email FROM audit_log WHERE action = 'import'"
				  " ORDER BY id LIMIT 1", NULL, buf, sizeof buf),
			    "admin@hearth.example");
	int64_t rows, bad;
	struct buf msg;
	buf_init(&msg, 1024);
	assert_int_equal(audit_verify(f->db, &rows, &bad, &msg), HE_OK);
	buf_free(&msg);
}

/* ---- a big file ------------------------------------------------------------------------- */

#define BIG_ROWS 50000

static void big_upn(int i, char out[14])
{
	char twelve[13];
	snprintf(twelve, sizeof twelve, "856%09d", i);
	out[0] = upn_check_letter(twelve);
	memcpy(out + 1, twelve, 13);
}

static const char *write_big(struct fx *f)
{
	char *path = f->files[f->nfiles++];
	snprintf(path, sizeof f->files[0], "%s/big.csv", f->dir);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("UPN,Forename,Surname,Date of birth,Gender,School URN,Postcode,Address,FSM,"
	      "SEN provision,Looked after,Sessions possible,Authorised absence,"
	      "Unauthorised absence,Suspensions,Suspension days,Extract date\n", fp);
	static const char *const fn[] = {"Amelia", "Noah", "Zainab", "Leo", "Ella", "Daniel"};
	static const char *const sn[] = {"Okafor", "Patel", "Hussain", "Walsh", "Brown", "Smith"};
	static const char *const urn[] = {"120345", "120346", "120347"};
	static const char pcl[] = "ABDEFGHJLNPQRSTUWXYZ";   /* inward-code letters */
	unsigned s = 12345;
	for (int i = 1; i <= BIG_ROWS; i++) {
		char upn[14];
		big_upn(i, upn);
		s = s * 1103515245u + 12345u;
		unsigned x = s >> 8;
		int auth = (int)(x % 20), unauth = (int)((x >> 5) % 40);
		fprintf(fp, "%s,%s,%s,%04d-%02d-%02d,%c,%s,LE%u %u%c%c,%u %s Road,%c,%c,%c,300,%d,%d,"
			"%u,%u.%c,2025-01-15\n",
			upn, fn[x % 6], sn[(x >> 3) % 6], 2008 + (int)(x % 10), 1 + (int)((x >> 4) % 12),
			1 + (int)((x >> 7) % 28), x & 1 ? 'F' : 'M', urn[(x >> 2) % 3],
			1 + (x >> 9) % 9, (x >> 11) % 10, pcl[(x >> 13) % 20], pcl[(x >> 16) % 20], 1 + (x >> 12) % 200, sn[(x >> 14) % 6],
			(x >> 17) % 4 == 0 ? 'Y' : 'N', "NNNNNNKE"[(x >> 19) % 8],
			(x >> 21) % 50 == 0 ? 'Y' : 'N', auth, unauth, (x >> 22) % 4,
			(x >> 23) % 4, (x >> 24) % 2 ? '5' : '0');
	}
	assert_int_equal(fclose(fp), 0);
	return path;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* On SQLite the database is in WAL mode (after a load that had it alone). */
static void assert_wal(struct fx *f)
{
	if (testdb_is_pg())
		return;
	struct db_stmt *st = db_prepare(f->db, "PRAGMA journal_mode");
	assert_true(db_next(st));
	assert_string_equal(db_text(st, 0), "wal");
	assert_int_equal(db_finalize(st), HE_OK);
}

static void test_big_file(void **state)
{
	struct fx *f = FX(state);
	const char *p = write_big(f);
	struct import_report r1, r2;
	struct import_opts o = opts(p);
	o.alone_ok = true;   /* as the command line */
	double t0 = now_s();
	run_ok(f, &o, &r1);
	double t1 = now_s();
	run_ok(f, &o, &r2);
	double t2 = now_s();
	print_message("  %s: %d rows imported in %.2f s (%.0f rows/s); re-import (all unchanged)"
		      " %.2f s (%.0f rows/s)\n", testdb_backend(), BIG_ROWS, t1 - t0,
		      BIG_ROWS / (t1 - t0), t2 - t1, BIG_ROWS / (t2 - t1));
	assert_int_equal(r1.rows_total, BIG_ROWS);
	assert_int_equal(r1.rows_applied, BIG_ROWS);
	assert_int_equal(pupils(f), BIG_ROWS);
	/* alone with the database (SQLite): written through a rollback
	 * journal, the WAL back afterwards; the re-import too */
	assert_int_equal(r1.alone, !testdb_is_pg());
	assert_int_equal(r2.alone, !testdb_is_pg());
	assert_wal(f);
	/* a chunk's (4,096 rows') new pupils get their ids by school, then
	 * household, so the family index is rebuilt from runs already sorted */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils a JOIN pupils b ON b.id = a.id + 1"
			       " WHERE (a.id - 1) / 4096 = (b.id - 1) / 4096 AND (b.school_id < a.school_id"
			       " OR (b.school_id = a.school_id AND b.family_key < a.family_key))"), 0);
	assert_true(count(f, "SELECT COUNT(*) FROM pupils a JOIN pupils b ON b.id = a.id + 1"
			  " WHERE b.school_id < a.school_id OR (b.school_id = a.school_id"
			  " AND b.family_key < a.family_key)") > 0);   /* but not across chunks */
	assert_int_equal(snapshots(f), BIG_ROWS);
	assert_int_equal(r2.rows_total, BIG_ROWS);
	assert_int_equal(r2.rows_unchanged, BIG_ROWS);
	assert_int_equal(r2.rows_applied, 0);
	assert_int_equal(snapshots(f), BIG_ROWS);
	/* spot-check scoring across the file */
	assert_true(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE risk_band = 'high'") > 0);
	assert_true(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE risk_band = 'low'") > 0);
	char upn[14];
	big_upn(BIG_ROWS, upn);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupils WHERE upn = :k", upn), 1);
}


/* ---- chunked writing (import.c writes CHUNK_ROWS = 4096 rows at a time) ---- */

#define CHUNKED_ROWS 9000   /* three chunks, the last one partial */

/* CHUNKED_ROWS pupils (UPNs as big_upn), pairs of siblings sharing an
 * address.  Variant 0: everyone Amelia, not FSM, plus a last row repeating
 * pupil 10's UPN.  Variant 1: pupils i % 3 == 0 renamed Amy (the pupil
 * changes, the snapshot does not), pupils i % 5 == 0 FSM (the snapshot and
 * its score change, the pupil does not); i % 15 == 0 both. */
static const char *write_chunked(struct fx *f, const char *name, int variant)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_printf(&b, "UPN,Forename,Surname,Date of birth,Gender,School URN,Address,Postcode,FSM,"
		   "Extract date\n");
	char upn[14];
	for (int i = 1; i <= CHUNKED_ROWS; i++) {
		big_upn(i, upn);
		bool renamed = variant == 1 && i % 3 == 0, fsm = variant == 1 && i % 5 == 0;
		buf_printf(&b, "%s,%s,Okafor,2012-03-14,F,%s,%d Granby Road,LE1 6AA,%c,2025-01-15\n",
			   upn, renamed ? "Amy" : "Amelia", i % 2 ? "120345" : "120346", (i + 1) / 2,
			   fsm ? 'Y' : 'N');
	}
	if (variant == 0) {
		big_upn(10, upn);
		buf_printf(&b, "%s,Amelia,Okafor,2012-03-14,F,120345,1 Granby Road,LE1 6AA,N,2025-01-15\n",
			   upn);
	}
	const char *path = put(f, name, b.data, b.len);
	buf_free(&b);
	return path;
}

/* Counts, duplicates and changes are right across chunk boundaries: the
 * rows a chunk writes are counted applied when their pupil or their
 * snapshot changed (either or both), unchanged otherwise. */
static void test_chunked_counts(void **state)
{
	struct fx *f = FX(state);
	struct import_report r1, r2, r3;
	struct import_opts o = opts(write_chunked(f, "c0.csv", 0));
	run(f, &o, &r1, HE_OK);
	assert_string_equal(r1.status, "applied");
	assert_int_equal(r1.rows_total, CHUNKED_ROWS + 1);
	assert_int_equal(r1.rows_applied, CHUNKED_ROWS);
	assert_int_equal(r1.rows_unchanged, 0);
	assert_int_equal(r1.rows_bad, 1);
	char upn[14];
	big_upn(10, upn);
	char want[64];
	snprintf(want, sizeof want, "%s is in the file twice (first on line 11)", upn);
	report_has(&r1, CHUNKED_ROWS + 2, "UPN", want);
	assert_int_equal(pupils(f), CHUNKED_ROWS);
	assert_int_equal(snapshots(f), CHUNKED_ROWS);
	/* siblings linked across chunks: one household per pair */
	assert_int_equal(count(f, "SELECT COUNT(DISTINCT family_key) FROM pupils"), CHUNKED_ROWS / 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE school_id IS NULL"), 0);

	o = opts(write_chunked(f, "c1.csv", 1));
	run_ok(f, &o, &r2);
	int want_applied = CHUNKED_ROWS / 3 + CHUNKED_ROWS / 5 - CHUNKED_ROWS / 15;
	assert_int_equal(r2.rows_applied, want_applied);
	assert_int_equal(r2.rows_unchanged, CHUNKED_ROWS - want_applied);
	assert_int_equal(snapshots(f), CHUNKED_ROWS);   /* same extract date */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE forename = 'Amy'"),
			 CHUNKED_ROWS / 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE fsm = 1"),
			 CHUNKED_ROWS / 5);
	char k[24];
	snprintf(k, sizeof k, "%" PRId64, r2.import_id);
	/* only the changed snapshots moved to the new import */
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupil_snapshots"
			      " WHERE import_id = CAST(:k AS INTEGER)", k), CHUNKED_ROWS / 5);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE fsm = 1"
			       " AND risk_fired NOT LIKE '%fsm%'"), 0);

	run_ok(f, &o, &r3);
	assert_int_equal(r3.rows_applied, 0);
	assert_int_equal(r3.rows_unchanged, CHUNKED_ROWS);
}

struct progress_seen {
	pthread_t caller;
	int calls, other_thread;
	uint64_t last;
};

static void progress_thread(void *arg, uint64_t done, uint64_t total)
{
	struct progress_seen *p = arg;
	p->calls++;
	p->other_thread += !pthread_equal(pthread_self(), p->caller);
	assert_true(done >= p->last && done <= total);
	p->last = done;
}

/* The rows are checked on a thread of the importer's own, but the progress
 * callback (the CLI's bar, the web job's page) runs on the caller's thread,
 * at least once per chunk, with the bytes read growing to the whole file. */
static void test_progress_on_callers_thread(void **state)
{
	struct fx *f = FX(state);
	struct import_report r;
	struct progress_seen p = {.caller = pthread_self()};
	struct import_opts o = opts(write_chunked(f, "c1.csv", 1));
	o.progress = progress_thread;
	o.progress_arg = &p;
	run_ok(f, &o, &r);
	assert_true(p.calls >= 3);
	assert_int_equal(p.other_thread, 0);
	struct stat st;
	assert_int_equal(stat(o.path, &st), 0);
	assert_int_equal(p.last, (uint64_t)st.st_size);
}

/* Temporary UPNs (a letter last) and permanent ones are told apart by the
 * duplicate check, which keeps UPNs packed into integers. */
static void test_temporary_upns_not_duplicates(void **state)
{
	struct fx *f = FX(state);
	char perm[14], temp[14], twelve[13];
	snprintf(twelve, sizeof twelve, "85620260001%c", '1');
	perm[0] = upn_check_letter(twelve);
	memcpy(perm + 1, twelve, 13);
	snprintf(twelve, sizeof twelve, "85620260001%c", 'B');
	temp[0] = upn_check_letter(twelve);
	memcpy(temp + 1, twelve, 13);
	assert_true(upn_valid(perm) && upn_valid(temp));
	char csv[512];
	snprintf(csv, sizeof csv, HDR "%s,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"
		 "%s,Daniel,Okafor,2013-07-02,M,120345,2025-01-15\n"
		 "%c%s,Amy,Okafor,2011-03-14,F,120345,2025-01-15\n", perm, temp,
		 temp[0] + 32, temp + 1);   /* the temporary one again, lower case */
	struct import_report r;
	struct import_opts o = opts(puts_(f, "temp.csv", csv));
	run(f, &o, &r, HE_OK);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(r.rows_bad, 1);
	report_has(&r, 4, "UPN", "first on line 3");
}

/* Each row's first column, one a line, into out (finalizing st); the
 * length the whole would take. */
static size_t lines_of(struct db_stmt *st, char *out, size_t n)
{
	size_t len = 0;
	out[0] = 0;
	while (db_next(st))
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s\n", db_text(st, 0));
	assert_int_equal(db_finalize(st), HE_OK);
	return len;
}

/* The secondary indexes of pupils and pupil_snapshots as the catalog
 * defines them, one per line in name order (a big load sets pupils' aside
 * and creates them again before its commit; a rollback must restore them). */
static void index_defs(struct fx *f, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(f->db, testdb_is_pg()
		? "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE tablename IN"
		  " ('pupils', 'pupil_snapshots') AND schemaname = current_schema()"
		  " AND indexdef NOT LIKE 'CREATE UNIQUE%' ORDER BY indexname"
		: "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index'"
		  " AND tbl_name IN ('pupils', 'pupil_snapshots') AND sql IS NOT NULL ORDER BY name");
	assert_true(lines_of(st, out, n) < n);
}

/* The family index and pupils_school exist (queries use them), and every
 * index definition is what it was before the imports. */
static void assert_indexes(struct fx *f, const char *before)
{
	char now[4096];
	index_defs(f, now, sizeof now);
	assert_string_equal(now, before);
	assert_non_null(strstr(now, "pupils_family: "));
	assert_non_null(strstr(now, "pupils_school: "));
	assert_non_null(strstr(now, "pupil_snapshots_latest: "));
}

static void test_big_load_keeps_family_index(void **state)
{
	struct fx *f = FX(state);
	char before[4096];
	index_defs(f, before, sizeof before);
	const char *p = write_big(f);
	/* the same file broken off at its end: nothing applied, index intact */
	char *broken = f->files[f->nfiles++];
	snprintf(broken, sizeof f->files[0], "%s/broken.csv", f->dir);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s' && printf 'C856202600001,\"Amelia\n' >> '%s'",
		 p, broken, broken);
	assert_int_equal(system(cmd), 0);
	struct import_report r;
	struct import_opts o = opts(broken);
	o.alone_ok = true;   /* as the command line: the rollbacks below are the journal's */
	run(f, &o, &r, HE_INVALID);
	assert_string_equal(r.status, "failed");
	assert_int_equal(pupils(f), 0);
	assert_indexes(f, before);
	/* strict with a bad row: refused, index intact */
	snprintf(cmd, sizeof cmd, "cp '%s' '%s' && printf 'C856202600001,Amelia\n' >> '%s'",
		 p, broken, broken);
	assert_int_equal(system(cmd), 0);
	o.strict = true;
	run(f, &o, &r, HE_OK);
	assert_string_equal(r.status, "refused");
	assert_int_equal(pupils(f), 0);
	assert_indexes(f, before);
	/* applied: the index is back and finds the households */
	o = opts(p);
	o.alone_ok = true;
	run_ok(f, &o, &r);
	assert_int_equal(r.alone, !testdb_is_pg());
	assert_wal(f);
	assert_indexes(f, before);
	assert_int_equal(pupils(f), BIG_ROWS);
	assert_true(count(f, "SELECT COUNT(*) FROM pupils p JOIN pupils q"
			  " ON q.family_key = p.family_key AND q.id <> p.id") > 0);
}

/* Changes when the pupils_family index is dropped and built again: its
 * oid on PostgreSQL; on SQLite the schema's version (its row in
 * sqlite_master may come back with the same rowid and root page). */
static int64_t family_index_id(struct fx *f)
{
	return count(f, testdb_is_pg()
		? "SELECT COALESCE(MAX(oid::bigint), 0) FROM pg_class WHERE relname = 'pupils_family'"
		: "PRAGMA schema_version");
}

/* Changes when pupils_school is dropped and built again: its oid on
 * PostgreSQL; on SQLite its row in sqlite_master (created in 0003, with
 * many rows after it, so a new row gets a new rowid). */
static int64_t school_index_id(struct fx *f)
{
	return count(f, testdb_is_pg()
		? "SELECT COALESCE(MAX(oid::bigint), 0) FROM pg_class WHERE relname = 'pupils_school'"
		: "SELECT COALESCE(MAX(rowid), 0) FROM sqlite_master WHERE name = 'pupils_school'");
}

/* A big first load sets aside every secondary index of pupils, not only
 * the family one, and builds each again: pupils_school is a new index
 * with the same definition, and finds the pupils of each school. */
static void test_big_load_rebuilds_pupils_indexes(void **state)
{
	struct fx *f = FX(state);
	char before[4096];
	index_defs(f, before, sizeof before);
	int64_t school = school_index_id(f);
	assert_true(school > 0);
	assert_int_equal(pupils(f), 0);  /* a first load */
	const char *p = write_big(f);
	struct import_report r;
	struct import_opts o = opts(p);
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_applied, BIG_ROWS);
	assert_false(r.alone);   /* not asked for (the server's imports): the WAL stays */
	assert_true(school_index_id(f) != school);
	assert_indexes(f, before);
	assert_int_equal(count(f, testdb_is_pg()
		? "SELECT COUNT(*) FROM pupils WHERE school_id IN (SELECT id FROM schools)"
		: "SELECT COUNT(*) FROM pupils INDEXED BY pupils_school WHERE school_id IN"
		  " (SELECT id FROM schools)"), BIG_ROWS);
	/* a small import afterwards keeps them */
	school = school_index_id(f);
	int64_t family = family_index_id(f);
	o = opts(puts_(f, "one.csv", HDR "C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"));
	run_ok(f, &o, &r);
	assert_int_equal(school_index_id(f), school);
	assert_int_equal(family_index_id(f), family);
	assert_indexes(f, before);
}

/* The definitions of pupil_snapshots' triggers, one a line. */
static void trigger_defs(struct fx *f, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(f->db, testdb_is_pg()
		? "SELECT t.tgname || ': ' || pg_get_triggerdef(t.oid) FROM pg_trigger t"
		  " WHERE t.tgrelid = to_regclass('pupil_snapshots') AND NOT t.tgisinternal"
		  " ORDER BY t.tgname"
		: "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'trigger'"
		  " AND tbl_name = 'pupil_snapshots' ORDER BY name");
	size_t len = lines_of(st, out, n);
	assert_true(len > 0 && len < n);
}

/* A big load whose first chunk makes only new pupils sets pupil_snapshots'
 * triggers aside (they would do nothing for a pupil with no other
 * snapshot), and brings them back before the first chunk that holds a
 * pupil known before: here the file's last row, whose older snapshot must
 * lose its latest mark.  Afterwards every trigger has its definition. */
static void test_big_load_triggers_back_for_known_pupil(void **state)
{
	struct fx *f = FX(state);
	char before[16384], now[16384], line[160], upn[14];
	trigger_defs(f, before, sizeof before);
	big_upn(BIG_ROWS, upn);
	snprintf(line, sizeof line, HDR "%s,Amelia,Okafor,2011-03-14,F,120345,2024-01-15\n", upn);
	struct import_report r;
	struct import_opts o = opts(puts_(f, "known.csv", line));
	run_ok(f, &o, &r);
	o = opts(write_big(f));
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_applied, BIG_ROWS);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots"), BIG_ROWS + 1);
	/* the known pupil's marks: only the newer snapshot is the latest */
	struct db_stmt *st = db_prepare(f->db, "SELECT COUNT(*), SUM(s.latest) FROM pupil_snapshots s"
					" JOIN pupils p ON p.id = s.pupil_id WHERE p.upn = :upn");
	db_bind_text(st, ":upn", upn);
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), 2);
	assert_int_equal(db_int(st, 1), 1);
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots WHERE latest <> CASE WHEN"
			       " extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q"
			       " WHERE q.pupil_id = pupil_snapshots.pupil_id) THEN 1 ELSE 0 END"), 0);
	trigger_defs(f, now, sizeof now);
	assert_string_equal(now, before);
}

/* With another connection open (a running server) a big load keeps the
 * WAL, and that connection reads and writes throughout. */
static void test_big_load_not_alone(void **state)
{
	struct fx *f = FX(state);
	struct db *other;
	assert_int_equal(db_open(f->t->url, &other, NULL), HE_OK);
	struct import_report r;
	struct import_opts o = opts(write_big(f));
	o.alone_ok = true;
	run_ok(f, &o, &r);
	assert_false(r.alone);
	assert_int_equal(r.rows_applied, BIG_ROWS);
	struct db_stmt *st = db_prepare(other, "SELECT COUNT(*) FROM pupils");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), BIG_ROWS);
	assert_int_equal(db_finalize(st), HE_OK);
	assert_int_equal(db_exec(other, "UPDATE pupils SET forename = 'Amy' WHERE id = 1"), HE_OK);
	db_close(other);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils WHERE forename = 'Amy'"), 1);
}

/* Line k (1 = the header) of the text file at path, without its newline. */
static void file_line(const char *path, int k, char *out, size_t n)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	for (int i = 0; i < k; i++)
		assert_non_null(fgets(out, (int)n, fp));
	fclose(fp);
	out[strcspn(out, "\n")] = 0;
}

/* A big load of new pupils appends them (ids given by the importer, the
 * snapshots inserted as they are) until a chunk holds a pupil known
 * before; that chunk and the rest are upserted.  Here pupil 6000 (the
 * second chunk) was imported before with the same row, and pupil 9000
 * (the third) under another name: the first is unchanged, the second
 * applied, every snapshot belongs to its own pupil, and pupils made
 * afterwards get ids of their own (PostgreSQL's sequence moved past the
 * ids the importer gave). */
static void test_big_load_appends_until_known_pupil(void **state)
{
	struct fx *f = FX(state);
	const char *big = write_big(f);
	char hdr[512], same[512], other[512], upn[14];
	file_line(big, 1, hdr, sizeof hdr);
	file_line(big, 6001, same, sizeof same);
	file_line(big, 9001, other, sizeof other);
	big_upn(9000, upn);
	const char *name = other + strlen(upn) + 1;     /* "Forename,…" */
	assert_true(strchr(name, ','));
	char small[2048];
	snprintf(small, sizeof small, "%s\n%s\n%s,Zed%s\n", hdr, same, upn, strchr(name, ','));
	struct import_report r;
	struct import_opts o = opts(puts_(f, "known.csv", small));
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_applied, 2);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupils WHERE upn = :k AND forename = 'Zed'",
			      upn), 1);
	o = opts(big);
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_total, BIG_ROWS);
	assert_int_equal(r.rows_applied, BIG_ROWS - 1);
	assert_int_equal(r.rows_unchanged, 1);
	assert_int_equal(pupils(f), BIG_ROWS);
	assert_int_equal(snapshots(f), BIG_ROWS);
	assert_int_equal(qint(f, "SELECT COUNT(*) FROM pupils WHERE upn = :k AND forename = 'Zed'",
			      upn), 0);
	/* each snapshot is its pupil's: the school and the year group (from
	 * the date of birth) agree, and no pupil lacks one */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupil_snapshots s JOIN pupils p"
			       " ON p.id = s.pupil_id WHERE s.school_id <> p.school_id"), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM pupils p WHERE NOT EXISTS (SELECT 1"
			       " FROM pupil_snapshots s WHERE s.pupil_id = p.id)"), 0);
	assert_int_equal(count(f, "SELECT COUNT(DISTINCT s.year_group) FROM pupil_snapshots s"
			       " JOIN pupils p ON p.id = s.pupil_id GROUP BY p.dob"
			       " ORDER BY 1 DESC LIMIT 1"), 1);
	/* a pupil made afterwards: a new id, after every other */
	int64_t max = count(f, "SELECT MAX(id) FROM pupils");
	o = opts(puts_(f, "one.csv", HDR "C856202600001,Amelia,Okafor,2011-03-14,F,120345,2025-01-15\n"));
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_applied, 1);
	assert_true(count(f, "SELECT id FROM pupils WHERE upn = 'C856202600001'") > max);
}

/* Appending never loses a row quietly.  On SQLite it inserts with OR
 * IGNORE, which skips a row breaking any constraint, not only a known UPN.
 * A unique index of the test's own (one pupil called Zzz per forename)
 * refuses the second of two such pupils in the third chunk: the import
 * must stop with the database's error and apply nothing, not count the
 * row applied. */
static void test_big_load_append_refused_row_not_lost(void **state)
{
	struct fx *f = FX(state);
	const char *big = write_big(f);
	FILE *in = fopen(big, "rb");
	assert_non_null(in);
	struct buf b;
	buf_init(&b, 1 << 24);
	char line[512];
	for (int k = 1; fgets(line, sizeof line, in); k++) {
		char *rest = strchr(strchr(strchr(line, ',') + 1, ',') + 1, ',');
		if (k == 9001 || k == 9003)   /* UPN,Amelia,Zzz,… */
			buf_printf(&b, "%.13s,Amelia,Zzz%s", line, rest);
		else
			buf_append(&b, line, strlen(line));
	}
	fclose(in);
	const char *p = put(f, "zzz.csv", b.data, b.len);
	buf_free(&b);
	assert_int_equal(db_exec(f->db, "CREATE UNIQUE INDEX test_one_zzz ON pupils(forename)"
				 " WHERE surname = 'Zzz'"), HE_OK);
	struct import_report r;
	struct import_opts o = opts(p);
	int rc = import_run(f->db, &who, &o, &r);
	assert_int_not_equal(rc, HE_OK);
	assert_false(db_in_transaction(f->db));
	assert_int_equal(pupils(f), 0);
	assert_int_equal(snapshots(f), 0);
	/* without the second Zzz the same file goes in whole */
	assert_int_equal(db_exec(f->db, "DROP INDEX test_one_zzz"), HE_OK);
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_applied, BIG_ROWS);
	assert_int_equal(pupils(f), BIG_ROWS);
}

/* A big first load rebuilds the family index once; the same file again
 * writes no pupil, so it keeps the index instead of building it again. */
static void test_unchanged_reimport_keeps_family_index(void **state)
{
	struct fx *f = FX(state);
	char defs[4096];
	index_defs(f, defs, sizeof defs);
	const char *p = write_big(f);
	struct import_report r;
	struct import_opts o = opts(p);
	int64_t before = family_index_id(f);
	run_ok(f, &o, &r);
	int64_t first = family_index_id(f);
	assert_true(first != before);
	assert_indexes(f, defs);
	run_ok(f, &o, &r);
	assert_int_equal(r.rows_unchanged, BIG_ROWS);
	assert_int_equal(family_index_id(f), first);
	assert_true(count(f, "SELECT COUNT(*) FROM pupils p JOIN pupils q"
			  " ON q.family_key = p.family_key AND q.id <> p.id") > 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_good_csv),
		T(test_progress),
		T(test_reimport_unchanged),
		T(test_later_extract_keeps_history),
		T(test_changed_value_same_date),
		T(test_bad_rows_reported_good_applied),
		T(test_strict_refuses),
		T(test_duplicate_upn),
		T(test_columns_any_order_unknown),
		T(test_missing_required_column),
		T(test_empty_files),
		T(test_wrong_delimiter),
		T(test_bom_crlf),
		T(test_quoted_commas_newlines),
		T(test_non_utf8),
		T(test_truncated_last_row),
		T(test_unterminated_quote),
		T(test_unterminated_quote_after_many_errors),
		T(test_row_level_csv_errors),
		T(test_unreadable_files),
		T(test_own_school_only),
		T(test_own_school_only_needs_school),
		T(test_school_urns),
		T(test_ctf_small),
		T(test_ctf_malformed),
		T(test_siblings_csv),
		T(test_audit_every_import),
		T(test_big_file),
		T(test_chunked_counts),
		T(test_progress_on_callers_thread),
		T(test_temporary_upns_not_duplicates),
		T(test_big_load_keeps_family_index),
		T(test_unchanged_reimport_keeps_family_index),
		T(test_big_load_rebuilds_pupils_indexes),
		T(test_big_load_triggers_back_for_known_pupil),
		T(test_big_load_appends_until_known_pupil),
		T(test_big_load_not_alone),
		T(test_big_load_append_refused_row_not_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
