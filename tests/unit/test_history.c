/* test_history.c — unit tests for src/core/history.c (and the demo's
 * history, src/core/demo_history.c): history_load end to end, from memory
 * and from a file, on a fresh database with the real migrations — SQLite,
 * or PostgreSQL when HEARTH_TEST_PG is set (testdb.h) — holding two
 * schools and one pupil.
 *
 * Covered: a good file (cases, events, amounts, sources, reasons, the
 * link to the school and the pupil), columns in any case and order with
 * unknown ones listed, each field's check naming line and column, a case
 * with a bad row left out whole, the order of a case's events (referral
 * first, same-day events in the order work happens, one referral, one
 * decision, no work after a decline, nothing after the closure),
 * case-level columns that disagree, a UPN matching no pupil, the same file
 * again refused, a case loaded by an earlier file, strict, the share of
 * bad rows that refuses a file (and the ten always tolerated), a missing
 * column, an empty file, the wrong delimiter, the audit row and the
 * record of every attempt, the demo's history (and its second run doing
 * nothing), the outcomes' kept rows a load works out at its end (migration
 * 0018: those of the base rows, as the triggers make them), and 30,000
 * cases with 200,000 events from a file (speed). */
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
#include <unistd.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/demo.h"
#include "core/history.h"
#include "core/school.h"
#include "store/db.h"
#include "testdb.h"

static const struct audit_who who = {
	.user_id = 0, .email = "admin@hearth.example", .role = "admin",
	.route = "test history", .ip = NULL,
};

#define HDR "case_ref,family_ref,school_urn,upn,worker,event,date,source,reason,amount,detail\n"
#define UPN_KNOWN "H801999929001"
#define UPN_OTHER "X801999929002"

static struct db *DB(void **state)
{
	return ((struct testdb *)*state)->db;
}

static int setup(void **state)
{
	if (testdb_setup(state) != 0)
		return -1;
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t district, a, b;
	if (db_begin(db) != HE_OK || district_ensure(db, "Central", &district) != HE_OK ||
	    school_add(db, &who, "120345", "Hearth Test Academy", "secondary", "Central", NULL, &a, &e) ||
	    school_add(db, &who, "120346", "Mill Lane Primary", "primary", "Central", NULL, &b, &e))
		return -1;
	struct db_stmt *st = db_prepare(db, "INSERT INTO pupils (upn, school_id, forename, surname,"
		" dob, gender, created_at, updated_at) VALUES ('" UPN_KNOWN "', :s, 'Imogen', 'Oldcase',"
		" '2008-03-04', 'F', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')");
	db_bind_int(st, ":s", a);
	if (db_done(st) != HE_OK || db_commit(db) != HE_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return testdb_teardown(state);
}

/* Load text (as a file in memory) into db; today 2026-01-01; permille
 * the share of bad rows that refuses the file (0: the default). */
static int load_p(struct db *db, const char *text, bool strict, int permille,
		  struct history_report *rep)
{
	struct history_opts o = {.data = text, .len = strlen(text), .filename = "test.csv",
				 .strict = strict, .max_bad_permille = permille,
				 .today = date_from_ymd(2026, 1, 1)};
	return history_load(db, &who, &o, rep);
}

static int load(struct db *db, const char *text, bool strict, struct history_report *rep)
{
	return load_p(db, text, strict, 0, rep);
}

static int64_t q(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static void assert_error(const struct history_report *rep, int i, int line, const char *field,
			 const char *text)
{
	assert_true(i < rep->nerrors);
	if (rep->errors[i].line != line || strcmp(rep->errors[i].field, field) ||
	    !strstr(rep->errors[i].message, text))
		fail_msg("error %d: want line %d %s '%s', got line %d %s '%s'", i, line, field, text,
			 rep->errors[i].line, rep->errors[i].field, rep->errors[i].message);
}

/* ---- a good file ------------------------------------------------------------ */

static void test_good_file(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR
		"OLD-1,FAM-1,120345," UPN_KNOWN ",Jo Smith,referred,2020-01-06,school,,,\n"
		"OLD-1,,,,,accepted,2020-01-08,,,,\n"
		"OLD-1,,,,,allocated,08/01/2020,,,,\n"         /* DD/MM/YYYY as MIS exports */
		"OLD-1,FAM-1,,,,commission,2020-02-03,,,£450.00,Parenting programme\n"
		"OLD-1,,,,,commission,2020-03-02,,,\"1,200.50\",\"Counselling, 6 sessions\"\n"
		"OLD-1,,,,,step_down,2020-04-01,,,,\n"
		"OLD-1,,,,,closed,2020-06-30,,Outcomes met,,\n"
		"OLD-2,FAM-2,,,,referred,2020-03-05,agency,,,\n"
		"OLD-2,,,,,signposted,2020-03-06,,,,\n"
		"OLD-3,FAM-1,120346," UPN_OTHER ",,referred,2021-03-05,Step down,,,\n";
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_string_equal(rep.status, "done");
	assert_int_equal(rep.rows_total, 10);
	assert_int_equal(rep.rows_applied, 10);
	assert_int_equal(rep.rows_rejected, 0);
	assert_int_equal(rep.cases_loaded, 3);
	assert_int_equal(rep.pupils_unmatched, 1);
	assert_int_equal(rep.nerrors, 0);
	assert_true(rep.import_id > 0);
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases"), 3);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events"), 10);
	assert_int_equal(q(db, "SELECT sum(amount_pence) FROM history_events WHERE kind = 'commission'"),
			 165050);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE kind = 'allocated'"
			   " AND on_date = '2020-01-08'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE kind = 'closed'"
			   " AND reason = 'outcomes_met'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE kind = 'referred'"
			   " AND source = 'step_down'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE detail ="
			   " 'Counselling, 6 sessions'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases c JOIN pupils p ON p.id = c.pupil_id"
			   " JOIN schools s ON s.id = c.school_id WHERE c.case_ref = 'OLD-1'"
			   " AND p.upn = '" UPN_KNOWN "' AND s.urn = '120345' AND c.worker_name = 'Jo Smith'"
			   " AND c.family_ref = 'FAM-1'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases WHERE case_ref = 'OLD-3'"
			   " AND pupil_id IS NULL"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_imports WHERE status = 'done'"
			   " AND rows_total = 10 AND rows_applied = 10 AND rows_rejected = 0"
			   " AND length(sha256) = 64"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM audit_log WHERE action = 'import'"
			   " AND entity = 'history_imports'"), 1);
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE entity_id = '%" PRId64 "'"
		 " AND entity = 'history_imports'",
		 rep.import_id);
	assert_int_equal(q(db, sql), 1);
}

static void test_columns_any_order(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = "Date,Event,Case Ref,Source,Family-Ref,Comments\n"
		"2020-01-06,Referred,OLD-9,self,FAM-9,hello\n";
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_int_equal(rep.rows_applied, 1);
	assert_string_equal(rep.unknown, "comments");
}

/* ---- each field ------------------------------------------------------------- */

static void test_field_errors(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR
		",FAM-1,,,,referred,2020-01-06,school,,,\n"                  /* 2 case_ref */
		"E-3,,,,,referred,2020-01-06,school,,,\n"                    /* 3 family_ref */
		"E-4,F,12345,,,referred,2020-01-06,school,,,\n"              /* 4 school_urn */
		"E-5,F,999999,,,referred,2020-01-06,school,,,\n"             /* 5 school_urn */
		"E-6,F,,A123,,referred,2020-01-06,school,,,\n"               /* 6 upn */
		"E-7,F,,,,phoned,2020-01-06,school,,,\n"                     /* 7 event */
		"E-8,F,,,,referred,2020-02-30,school,,,\n"                   /* 8 date */
		"E-9,F,,,,referred,2026-01-02,school,,,\n"                   /* 9 date: future */
		"E-10,F,,,,referred,2020-01-06,,,,\n"                        /* 10 source */
		"E-11,F,,,,referred,2020-01-06,school,,,\n"
		"E-11,,,,,accepted,2020-01-07,school,,,\n"                   /* 12 source */
		"E-13,F,,,,referred,2020-01-06,school,,,\n"
		"E-13,,,,,closed,2020-02-07,,,,\n"                           /* 14 reason */
		"E-15,F,,,,referred,2020-01-06,school,,,\n"
		"E-15,,,,,commission,2020-02-07,,,12.345,\n"                 /* 16 amount */
		"E-17,F,,,,referred,2020-01-06,school,,,\n"
		"E-17,,,,,commission,2020-02-07,,,,\n";                      /* 18 amount */
	assert_int_equal(load_p(db, csv, false, 1000, &rep), HE_OK);   /* refuse none */
	assert_int_equal(rep.rows_bad, 13);
	assert_int_equal(rep.rows_total, 17);
	assert_int_equal(rep.cases_loaded, 0);
	assert_error(&rep, 0, 2, "case_ref", "missing");
	assert_error(&rep, 1, 3, "family_ref", "missing");
	assert_error(&rep, 2, 4, "school_urn", "not a URN");
	assert_error(&rep, 3, 5, "school_urn", "no school");
	assert_error(&rep, 4, 6, "upn", "not a UPN");
	assert_error(&rep, 5, 7, "event", "'phoned' is not one of");
	assert_error(&rep, 6, 8, "date", "not a date");
	assert_error(&rep, 7, 9, "date", "in the future");
	assert_error(&rep, 8, 10, "source", "needs its source");
	assert_error(&rep, 9, 12, "source", "only a referred row");
	assert_error(&rep, 10, 14, "reason", "needs its reason");
	assert_error(&rep, 11, 16, "amount", "not an amount");
	assert_error(&rep, 12, 18, "amount", "needs its cost");
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM history_import_errors"), 13);
}

/* A case with one bad row is left out with all its rows. */
static void test_case_left_out_whole(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR
		"W-1,F,,,,referred,2020-01-06,school,,,\n"
		"W-1,,,,,accepted,2020-01-07,,,,\n"
		"W-1,,,,,closed,2020-03-01,,finished,,\n"
		"W-2,F2,,,,referred,2020-01-06,school,,,\n";
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_int_equal(rep.rows_bad, 1);
	assert_int_equal(rep.rows_rejected, 3);
	assert_int_equal(rep.rows_applied, 1);
	assert_int_equal(rep.cases_rejected, 1);
	assert_error(&rep, 0, 4, "reason", "'finished'");
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases WHERE case_ref = 'W-1'"), 0);
	assert_int_equal(q(db, "SELECT rows_rejected FROM history_imports"), 3);
}

/* ---- the order of a case's events ------------------------------------------ */

static void test_order(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR
		/* same day: listed out of order, taken in the order work happens */
		"O-1,F,,,,accepted,2020-01-06,,,,\n"
		"O-1,,,,,referred,2020-01-06,school,,,\n"
		/* an allocation dated before the referral (line 4) */
		"O-2,F,,,,allocated,2020-01-01,,,,\n"
		"O-2,,,,,referred,2020-01-06,school,,,\n"
		/* no referral at all (line 6) */
		"O-3,F,,,,accepted,2020-01-06,,,,\n"
		/* two referrals (line 8 is the second) */
		"O-4,F,,,,referred,2020-01-06,school,,,\n"
		"O-4,,,,,referred,2020-02-06,self,,,\n"
		/* two decisions (line 11) */
		"O-5,F,,,,referred,2020-01-06,school,,,\n"
		"O-5,,,,,accepted,2020-01-07,,,,\n"
		"O-5,,,,,declined,2020-01-08,,,,\n"
		/* work after a decline (line 14) */
		"O-6,F,,,,referred,2020-01-06,school,,,\n"
		"O-6,,,,,declined,2020-01-07,,,,\n"
		"O-6,,,,,allocated,2020-01-08,,,,\n"
		/* something after the closure (line 16, dated after line 17) */
		"O-7,F,,,,referred,2020-01-06,school,,,\n"
		"O-7,,,,,commission,2020-05-01,,,10,\n"
		"O-7,,,,,closed,2020-04-01,,other,,\n"
		/* a second closure (line 20) */
		"O-8,F,,,,referred,2020-01-06,school,,,\n"
		"O-8,,,,,closed,2020-04-01,,other,,\n"
		"O-8,,,,,closed,2020-04-02,,other,,\n";
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_int_equal(rep.cases_loaded, 1);
	assert_int_equal(rep.cases_rejected, 7);
	assert_int_equal(rep.rows_bad, 7);
	assert_error(&rep, 0, 4, "event", "dated before the case's referral");
	assert_error(&rep, 1, 6, "event", "has no referred row");
	assert_error(&rep, 2, 8, "event", "one referral");
	assert_error(&rep, 3, 11, "event", "already decided");
	assert_error(&rep, 4, 14, "event", "not accepted");
	assert_error(&rep, 5, 16, "event", "follow the closure");
	assert_error(&rep, 6, 20, "event", "follow the closure");
	assert_int_equal(q(db, "SELECT count(*) FROM history_events e JOIN history_cases c"
			   " ON c.id = e.case_id WHERE c.case_ref = 'O-1'"), 2);
}

static void test_case_columns_disagree(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR
		"D-1,FAM-1,120345,,,referred,2020-01-06,school,,,\n"
		"D-1,FAM-2,,,,accepted,2020-01-07,,,,\n"
		"D-2,FAM-3,120345,,,referred,2020-01-06,school,,,\n"
		"D-2,,120346,,,accepted,2020-01-07,,,,\n"
		"D-3,FAM-4,,,,referred,2020-01-06,school,,,\n"
		"D-3,FAM-4,120346,,Sam,accepted,2020-01-07,,,,\n";
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_error(&rep, 0, 3, "family_ref", "differs from 'FAM-1' on line 2");
	assert_error(&rep, 1, 5, "school_urn", "differs from line 4");
	assert_int_equal(rep.cases_loaded, 1);
	/* columns given on a later row only still belong to the case */
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases c JOIN schools s ON s.id ="
			   " c.school_id WHERE c.case_ref = 'D-3' AND s.urn = '120346'"
			   " AND c.worker_name = 'Sam'"), 1);
}

/* ---- whole files ------------------------------------------------------------- */

static void test_same_file_again(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR "S-1,F,,,,referred,2020-01-06,school,,,\n";
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_int_equal(load(db, csv, false, &rep), HE_CONFLICT);
	assert_string_equal(rep.status, "failed");
	assert_error(&rep, 0, 0, "file", "loaded before (load 1");
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM history_imports WHERE status = 'failed'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM audit_log WHERE entity = 'history_imports'"), 2);
	/* another file naming the same case */
	const char *csv2 = HDR "S-1,F,,,,referred,2020-01-06,self,,,\n"
		"S-2,F,,,,referred,2020-01-06,self,,,\n";
	assert_int_equal(load(db, csv2, false, &rep), HE_OK);
	assert_error(&rep, 0, 2, "case_ref", "loaded by an earlier file");
	assert_int_equal(rep.rows_applied, 1);
}

static void test_strict(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	const char *csv = HDR "T-1,F,,,,referred,2020-01-06,school,,,\n"
		"T-2,F,,,,referred,2020-01-06,nobody,,,\n";
	assert_int_equal(load(db, csv, true, &rep), HE_INVALID);
	assert_string_equal(rep.status, "failed");
	assert_int_equal(rep.rows_applied, 0);
	assert_true(strstr(rep.message, "strict") != NULL);
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM history_import_errors WHERE line = 3"
			   " AND field = 'source'"), 1);
	/* the same file may be loaded once it was refused */
	assert_int_equal(load(db, csv, false, &rep), HE_OK);
	assert_int_equal(rep.rows_applied, 1);
}

/* n rows (cases tag-0, tag-1, …), bad of them wrong (an unknown event). */
static char *rows_with_bad(const char *tag, int n, int bad)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, HDR);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s-%d,F,,,,%s,2020-01-06,school,,,\n", tag, i,
			   i < bad ? "oops" : "referred");
	return buf_take(&b);
}

static void test_too_many_bad_rows(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	char *ten = rows_with_bad("B", 20, 10), *eleven = rows_with_bad("C", 21, 11);
	char *some = rows_with_bad("D", 200, 21);
	assert_int_equal(load(db, ten, false, &rep), HE_OK);      /* ten always tolerated */
	assert_int_equal(rep.rows_applied, 10);
	assert_int_equal(load(db, eleven, false, &rep), HE_INVALID);
	assert_true(strstr(rep.message, "more than one in ten") != NULL);
	assert_int_equal(rep.nerrors, 11);
	assert_int_equal(load(db, some, false, &rep), HE_INVALID); /* 21 of 200 */
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases"), 10);
	free(ten);
	free(eleven);
	free(some);
}

static void test_unreadable_files(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	assert_int_equal(load(db, "", false, &rep), HE_INVALID);
	assert_error(&rep, 0, 0, "file", "empty");
	assert_int_equal(load(db, "case_ref,family_ref,date\nA,B,2020-01-01\n", false, &rep), HE_INVALID);
	assert_error(&rep, 0, 0, "event", "no event column");
	assert_int_equal(load(db, "case_ref;family_ref;event;date\nA;B;referred;2020-01-01\n", false,
			      &rep), HE_INVALID);
	assert_error(&rep, 0, 0, "file", "delimiter");
	assert_int_equal(load(db, HDR, false, &rep), HE_INVALID);
	assert_error(&rep, 0, 0, "file", "no rows");
	assert_int_equal(q(db, "SELECT count(*) FROM history_imports WHERE status = 'failed'"), 4);
	assert_int_equal(q(db, "SELECT count(*) FROM history_cases"), 0);
}

/* ---- the outcomes' kept rows (migration 0018) ------------------------------------ *
 *
 * A load pauses the triggers that keep outcome_rows and outcome_after and
 * works its cases' rows out set-wise before its commit.  After it, they
 * are exactly the rows worked out from the base tables (the migration's
 * definition, outcome_rows_of), each child's latest census, and no pause. */

static void outcome_rows_exact(struct db *db)
{
	assert_int_equal(q(db, "SELECT count(*) FROM (SELECT * FROM outcome_rows_of"
			   " EXCEPT SELECT * FROM outcome_rows) x"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM (SELECT * FROM outcome_rows"
			   " EXCEPT SELECT * FROM outcome_rows_of) x"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows"),
			 q(db, "SELECT count(*) FROM outcome_rows_of"));
	static const char after[] =
		"SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,"
		" l.suspensions, l.below_expected FROM (SELECT DISTINCT pupil_id FROM outcome_rows"
		" WHERE pupil_id <> 0) p LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id"
		" AND l.extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q"
		" WHERE q.pupil_id = p.pupil_id)";
	static const char kept[] = "SELECT pupil_id, a_date, a_possible, a_attended, a_suspensions,"
		" a_below FROM outcome_after";
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s) x", after, kept);
	assert_int_equal(q(db, sql), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s) x", kept, after);
	assert_int_equal(q(db, sql), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows_pause"), 0);
}

/* outcome_rows and outcome_after as text, in key order. */
static char *kept_rows(struct db *db)
{
	static const char *const sql[] = {
		"SELECT * FROM outcome_rows ORDER BY closed_on, src, case_id, ev, pupil_id",
		"SELECT * FROM outcome_after ORDER BY pupil_id",
	};
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 2; i++) {
		struct db_stmt *st = db_prepare(db, sql[i]);
		while (db_next(st)) {
			for (int c = 0; c < db_column_count(st); c++)
				buf_printf(&b, "%s|", db_is_null(st, c) ? "~" : db_text(st, c));
			buf_puts(&b, "\n");
		}
		assert_int_equal(db_finalize(st), HE_OK);
	}
	char *s = strdup(buf_str(&b));
	buf_free(&b);
	return s;
}

static void exec1(struct db *db, const char *sql)
{
	if (db_done(db_prepare(db, sql)) != HE_OK)
		fail_msg("%s", db_errmsg(db));
}

/* Two loads of the same families and a pupil with three censuses: the
 * second changes the first's closures' next referral.  The rows after
 * each are the base rows' exactly; and they are the rows the triggers
 * make row by row when the second load's cases are written again by
 * plain SQL. */
static void test_outcome_rows(void **state)
{
	struct db *db = DB(state);
	struct history_report rep;
	exec1(db, "INSERT INTO imports (id, school_id, kind, filename, status, started_at)"
	      " SELECT 1000, school_id, 'csv', 'x.csv', 'applied', '2026-01-01T00:00:00Z'"
	      " FROM pupils WHERE upn = '" UPN_KNOWN "'");
	exec1(db, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
	      " sessions_possible, sessions_attended, suspensions, below_expected)"
	      " SELECT p.id, 1000, p.school_id, d.d, 100, d.a, 1, 0 FROM pupils p,"
	      " (SELECT '2019-10-03' AS d, 90 AS a UNION ALL SELECT '2020-01-16', 70"
	      " UNION ALL SELECT '2021-05-20', 95) d WHERE p.upn = '" UPN_KNOWN "'");
	const char *one = HDR
		"H1-1,FAM-A,120345," UPN_KNOWN ",,referred,2020-01-06,school,,,\n"
		"H1-1,,,,,accepted,2020-01-08,,,,\n"
		"H1-1,,,,,allocated,2020-01-09,,,,\n"
		"H1-1,,,,,closed,2020-06-30,,outcomes_met,,\n"
		"H1-2,FAM-B,120345,,,referred,2020-02-01,agency,,,\n"
		"H1-2,,,,,accepted,2020-02-03,,,,\n"
		"H1-2,,,,,closed,2020-03-01,,disengaged,,\n";
	assert_int_equal(load(db, one, false, &rep), HE_OK);
	assert_int_equal(rep.cases_loaded, 2);
	outcome_rows_exact(db);
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows WHERE src = 'H'"), 3);
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows WHERE src = 'H' AND pupil_id = 0"
			   " AND next_ref IS NULL"), 2);
	const char *two = HDR
		"H2-1,FAM-A,120345," UPN_KNOWN ",,referred,2020-09-10,school,,,\n"
		"H2-1,,,,,accepted,2020-09-11,,,,\n"
		"H2-1,,,,,closed,2021-02-01,,outcomes_met,,\n"
		"H2-2,FAM-B,120345,,,referred,2020-02-20,school,,,\n"
		"H2-3,FAM-C,120345," UPN_KNOWN ",,referred,2021-01-05,school,,,\n"
		"H2-3,,,,,accepted,2021-01-06,,,,\n";
	assert_int_equal(load(db, two, false, &rep), HE_OK);
	assert_int_equal(rep.cases_loaded, 3);
	outcome_rows_exact(db);
	/* the first load's FAM-A closure: referred again after it; FAM-B's not
	 * (its next referral came before the closure) */
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows k JOIN history_cases hc"
			   " ON hc.id = k.case_id WHERE k.src = 'H' AND k.pupil_id = 0"
			   " AND hc.case_ref = 'H1-1' AND k.next_ref = '2020-09-10'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows k JOIN history_cases hc"
			   " ON hc.id = k.case_id WHERE k.src = 'H' AND k.pupil_id = 0"
			   " AND hc.case_ref = 'H1-2' AND k.next_ref IS NULL"), 1);
	/* the child's census before the term of the referral (from 1 September
	 * 2020) and the latest */
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows k JOIN history_cases hc"
			   " ON hc.id = k.case_id JOIN outcome_after a ON a.pupil_id = k.pupil_id"
			   " WHERE k.src = 'H' AND hc.case_ref = 'H2-1' AND k.term = '2020-09-01'"
			   " AND k.b_date = '2020-01-16' AND k.b_attended = 70"
			   " AND a.a_date = '2021-05-20' AND a.a_attended = 95"), 1);
	/* the same rows as the triggers make, row by row, when plain SQL
	 * writes the second load's cases again */
	char *loaded = kept_rows(db);
	char sql[256];
	assert_int_equal(db_begin(db), HE_OK);
	snprintf(sql, sizeof sql, "CREATE TEMP TABLE again_c AS SELECT * FROM history_cases"
		 " WHERE import_id = %" PRId64, rep.import_id);
	exec1(db, sql);
	exec1(db, "CREATE TEMP TABLE again_e AS SELECT * FROM history_events"
	      " WHERE case_id IN (SELECT id FROM again_c)");
	exec1(db, "DELETE FROM history_events WHERE case_id IN (SELECT id FROM again_c)");
	exec1(db, "DELETE FROM history_cases WHERE id IN (SELECT id FROM again_c)");
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows WHERE src = 'H'"), 3);
	exec1(db, "INSERT INTO history_cases SELECT * FROM again_c ORDER BY id");
	exec1(db, "INSERT INTO history_events SELECT * FROM again_e ORDER BY id");
	exec1(db, "DROP TABLE again_c");
	exec1(db, "DROP TABLE again_e");
	assert_int_equal(db_commit(db), HE_OK);
	char *again = kept_rows(db);
	assert_string_equal(again, loaded);
	free(again);
	free(loaded);
	outcome_rows_exact(db);
}

/* ---- the demo and a big file ---------------------------------------------------- */

static void test_demo(void **state)
{
	struct db *db = DB(state);
	hday today = date_from_ymd(2026, 6, 1);
	assert_int_equal(demo_seed_history(db, &who, 42, today, NULL), HE_OK);
	int64_t cases = q(db, "SELECT count(*) FROM history_cases");
	assert_true(cases >= 250 && cases <= 300);
	assert_int_equal(q(db, "SELECT count(*) FROM history_import_errors"), 0);
	/* all before the live demo's 18 months, over three years */
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE on_date >= '2024-12-01'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE on_date < '2021-11-01'"), 0);
	assert_true(q(db, "SELECT count(*) FROM history_events WHERE kind = 'commission'") > 50);
	assert_true(q(db, "SELECT count(DISTINCT source) FROM history_events") == 4);
	assert_true(q(db, "SELECT count(DISTINCT reason) FROM history_events") == 5);
	outcome_rows_exact(db);
	assert_int_equal(demo_seed_history(db, &who, 42, today, NULL), HE_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM history_imports"), 1);
}

static void test_big_file(void **state)
{
	struct db *db = DB(state);
	char path[] = "/tmp/hearth-history-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(HDR, f);
	int64_t events = 0, pence = 0;
	for (int i = 0; i < 30000; i++) {
		int y = 2015 + i % 8;
		fprintf(f, "BIG-%06d,FAM-%d,120345,,,referred,%d-01-05,school,,,\n", i, i / 2, y);
		fprintf(f, "BIG-%06d,,,,,accepted,%d-01-07,,,,\n", i, y);
		fprintf(f, "BIG-%06d,,,,,allocated,%d-01-09,,,,\n", i, y);
		for (int k = 0; k < 3; k++) {
			fprintf(f, "BIG-%06d,,,,,commission,%d-0%d-10,,,%d.%02d,Service\n", i, y, 2 + k,
				100 + k, i % 100);
			pence += (100 + k) * 100 + i % 100;
		}
		fprintf(f, "BIG-%06d,,,,,closed,%d-07-01,,outcomes_met,,\n", i, y);
		events += 7;
	}
	fclose(f);
	struct history_opts o = {.path = path, .filename = "big.csv", .today = date_from_ymd(2026, 1, 1)};
	struct history_report rep;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(history_load(db, &who, &o, &rep), HE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("    30,000 cases, %" PRId64 " events in %.2f s (%s)\n", events, secs,
		      testdb_backend());
	unlink(path);
	assert_int_equal(rep.rows_applied, events);
	assert_int_equal(q(db, "SELECT count(*) FROM history_events"), events);
	struct db_stmt *st = db_prepare(db, "SELECT sum(amount_pence) FROM history_events");
	assert_true(db_next(st));
	assert_int_equal(db_int(st, 0), pence);
	assert_int_equal(db_finalize(st), HE_OK);
	/* the indexes dropped for the load are back */
	assert_int_equal(q(db, "SELECT count(*) FROM history_events WHERE on_date = '2015-01-05'"
			   " AND kind = 'referred'"), 3750);
	/* the outcomes' kept rows: one per closure, worked out at the end */
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows WHERE src = 'H' AND pupil_id = 0"),
			 30000);
	assert_int_equal(q(db, "SELECT count(*) FROM outcome_rows WHERE src = 'H' AND pupil_id = 0"
			   " AND next_ref IS NOT NULL"), 15000);
	outcome_rows_exact(db);
	/* the time is printed, not judged: speed is for make bench */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_columns_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_left_out_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_columns_disagree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_file_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcome_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
