/* test_risk.c — unit tests for src/core/risk.c: indicators from a census
 * record and from a snapshot row, every default rule firing on its
 * boundary and not beyond it, groups (only the best rule of a group
 * counts), unknown values, bands at their thresholds, rule validation
 * naming the field, rescoring after an admin's edit (audited, in one
 * transaction, nothing changed on a bad edit), the preview matrix, the
 * ranked list (order, filters, rising, audited) and small-number
 * suppression.  The speed of scoring is measured by make bench
 * (bench/score_bench.c), not asserted here: a timed test fails on a busy
 * machine for no fault of the code.
 *
 * Each database test runs on a fresh database with the real migrations
 * (and so the real default rules): SQLite, or PostgreSQL when
 * HEARTH_TEST_PG is set (testdb.h).  Pupils, imports and snapshots are
 * inserted with SQL directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/pupil.h"
#include "core/risk.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {
	.user_id = 0, .email = "admin@hearth.example", .role = "admin",
	.route = "test risk", .ip = NULL,
};

/* ---- helpers ---------------------------------------------------------------- */

/* Every indicator known and firing nothing under the default rules. */
static void quiet(struct risk_values *v)
{
	for (int i = 0; i < RI_COUNT; i++)
		v->v[i] = 0;
	v->v[RI_ATTENDANCE_PCT] = 100;
}

static void load(struct db *db, struct risk_ruleset *rs)
{
	struct errinfo e = {0};
	int rc = risk_ruleset_load(db, rs, &e);
	if (rc)
		fail_msg("risk_ruleset_load: %d %s: %s", rc, e.field, e.message);
	assert_true(rs->compiled);
}

static struct risk_result score(const struct risk_ruleset *rs, const struct risk_values *v)
{
	struct risk_result r;
	risk_score(rs, v, &r);
	return r;
}

static const char *codes(const struct risk_ruleset *rs, uint64_t fired)
{
	static char out[RISK_FIRED_MAX];
	risk_fired_codes(rs, fired, out, sizeof out);
	return out;
}

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

/* A rule built by hand for the pure tests. */
static struct risk_rule rule(const char *code, const char *grp, int ind, int op,
			     int32_t value, int points, int position)
{
	struct risk_rule r;
	memset(&r, 0, sizeof r);
	snprintf(r.code, sizeof r.code, "%s", code);
	snprintf(r.label, sizeof r.label, "Label of %s", code);
	snprintf(r.grp, sizeof r.grp, "%s", grp);
	r.indicator = ind;
	r.op = op;
	r.value = value;
	r.points = points;
	r.enabled = true;
	r.position = position;
	return r;
}

static void exec(struct db *db, const char *sql)
{
	int rc = db_exec(db, sql);
	if (rc)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* Two schools (100001 Alpha, 100002 Beta) and one import each. */
static void schools(struct db *db)
{
	exec(db, "INSERT INTO districts (name) VALUES ('City')");
	exec(db, "INSERT INTO schools (urn, name, phase, district_id, created_at) VALUES"
		 " ('100001', 'Alpha Academy', 'secondary', (SELECT id FROM districts), '2026-01-01T00:00:00Z'),"
		 " ('100002', 'Beta School', 'secondary', (SELECT id FROM districts), '2026-01-01T00:00:00Z')");
	exec(db, "INSERT INTO imports (school_id, kind, filename, status, started_at) VALUES"
		 " ((SELECT id FROM schools WHERE urn = '100001'), 'csv', 'a.csv', 'applied', '2026-01-15T00:00:00Z'),"
		 " ((SELECT id FROM schools WHERE urn = '100002'), 'csv', 'b.csv', 'applied', '2026-01-15T00:00:00Z')");
}

static int64_t school_id(struct db *db, const char *urn)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM schools WHERE urn = :urn");
	db_bind_text(st, ":urn", urn);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	assert_int_equal(db_finalize(st), HE_OK);
	return id;
}

static int64_t pupil(struct db *db, const char *upn, const char *urn, const char *forename,
		     const char *surname)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO pupils (upn, school_id, forename, surname, dob, gender, created_at,"
		" updated_at) VALUES (:upn, :school, :forename, :surname, '2010-05-01', 'F',"
		" '2026-01-15T00:00:00Z', '2026-01-15T00:00:00Z') RETURNING id");
	db_bind_text(st, ":upn", upn);
	db_bind_int(st, ":school", school_id(db, urn));
	db_bind_text(st, ":forename", forename);
	db_bind_text(st, ":surname", surname);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc)
		fail_msg("insert pupil: %s", db_errmsg(db));
	return id;
}

/* A snapshot with attendance attended/100 sessions, FSM and looked-after
 * flags (-1: NULL, unknown), stored unscored (0, low, ""). */
static void snapshot(struct db *db, int64_t pupil_id, const char *urn, const char *date,
		     int year, int attended, int fsm, int lac)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
		" year_group, sessions_possible, sessions_attended, fsm, looked_after)"
		" VALUES (:pupil, (SELECT min(id) FROM imports WHERE school_id = :school),"
		" :school, :date, :year, 100, :attended, :fsm, :lac)");
	int64_t sid = school_id(db, urn);
	db_bind_int(st, ":pupil", pupil_id);
	db_bind_int(st, ":school", sid);
	db_bind_text(st, ":date", date);
	db_bind_int(st, ":year", year);
	db_bind_int(st, ":attended", attended);
	if (fsm < 0)
		db_bind_null(st, ":fsm");
	else
		db_bind_int(st, ":fsm", fsm);
	if (lac < 0)
		db_bind_null(st, ":lac");
	else
		db_bind_int(st, ":lac", lac);
	int rc = db_done(st);
	if (rc)
		fail_msg("insert snapshot: %s", db_errmsg(db));
}

/* The city of the list tests, scored under the default rules:
 *   Evans   Beta  y10  att 80, LAC, FSM        15+20+8 = 43 high
 *   Adams   Alpha y10  att 95 -> 45, FSM       0 -> 30+8 = 38 medium, rising
 *   Clark   Alpha y9   att 40 LAC -> 88 LAC    50 -> 15+20 = 35 medium, falling
 *   Abbott  Alpha y10  att 85, FSM             15+8 = 23 medium
 *   Brown   Alpha y10  att 85, FSM             23 medium
 *   Davies  Beta  y10  att 99                  0 low
 * Eight snapshots; six latest. */
static void city(struct db *db)
{
	schools(db);
	int64_t adams = pupil(db, "A100000000001", "100001", "Ann", "Adams");
	int64_t brown = pupil(db, "A100000000002", "100001", "Ben", "Brown");
	int64_t clark = pupil(db, "A100000000003", "100001", "Cal", "Clark");
	int64_t davies = pupil(db, "A100000000004", "100002", "Dee", "Davies");
	int64_t evans = pupil(db, "A100000000005", "100002", "Eve", "Evans");
	int64_t abbott = pupil(db, "A100000000006", "100001", "Abe", "Abbott");
	snapshot(db, adams, "100001", "2025-10-01", 10, 95, 0, 0);
	snapshot(db, adams, "100001", "2026-01-15", 10, 45, 1, 0);
	snapshot(db, brown, "100001", "2026-01-15", 10, 85, 1, 0);
	snapshot(db, clark, "100001", "2025-10-01", 9, 40, 0, 1);
	snapshot(db, clark, "100001", "2026-01-15", 9, 88, 0, 1);
	snapshot(db, davies, "100002", "2026-01-15", 10, 99, -1, -1);
	snapshot(db, evans, "100002", "2026-01-15", 10, 80, 1, 1);
	snapshot(db, abbott, "100001", "2026-01-15", 10, 85, 1, 0);
	struct risk_rescore_stats s;
	struct errinfo e = {0};
	assert_int_equal(risk_rescore(db, &who, &s, &e), HE_OK);
	assert_int_equal(s.snapshots, 8);
	assert_int_equal(s.changed, 6);   /* Adams's first and Davies stay 0/low */
}

static int latest_score(struct db *db, const char *surname)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT s.risk_score FROM pupil_snapshots s JOIN pupils p ON p.id = s.pupil_id"
		" WHERE p.surname = :s ORDER BY s.extract_date DESC LIMIT 1");
	db_bind_text(st, ":s", surname);
	int v = db_next(st) ? (int)db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return v;
}

/* ---- indicators ------------------------------------------------------------- */

static struct pupil_data unknown_pupil(void)
{
	struct pupil_data p;
	memset(&p, 0, sizeof p);
	p.fsm = p.ehcp = p.eal = p.eal_new = p.looked_after = p.cin = p.cp = -1;
	p.young_carer = p.youth_justice = p.young_parent = p.perm_exclusion = -1;
	p.below_expected = -1;
	p.sen = 0;
	p.moves = p.sess_possible = p.sess_attended = p.auth_absence = -1;
	p.unauth_absence = p.suspensions = p.suspension_days_x10 = -1;
	return p;
}

static void test_indicators_from_pupil(void **state)
{
	(void)state;
	struct pupil_data p = unknown_pupil();
	struct risk_values v;
	risk_values_from_pupil(&p, &v);
	for (int i = 0; i < RI_COUNT; i++)
		assert_int_equal(v.v[i], RISK_UNKNOWN);

	p.sess_possible = 300;
	p.sess_attended = 269;      /* 89.67% */
	p.unauth_absence = 29;      /* 9.67% */
	p.suspension_days_x10 = 25; /* 2.5 days */
	p.suspensions = 2;
	p.moves = 3;
	p.sen = 'K';
	p.fsm = 1;
	p.cin = 0;
	risk_values_from_pupil(&p, &v);
	assert_int_equal(v.v[RI_ATTENDANCE_PCT], 89);
	assert_int_equal(v.v[RI_UNAUTHORISED_PCT], 9);
	assert_int_equal(v.v[RI_SUSPENSION_DAYS], 2);
	assert_int_equal(v.v[RI_SUSPENSIONS], 2);
	assert_int_equal(v.v[RI_SCHOOL_MOVES], 3);
	assert_int_equal(v.v[RI_SEN_SUPPORT], 1);
	assert_int_equal(v.v[RI_EHCP], 0);          /* K: support, not a plan */
	assert_int_equal(v.v[RI_FSM], 1);
	assert_int_equal(v.v[RI_CIN], 0);
	assert_int_equal(v.v[RI_CP], RISK_UNKNOWN);

	p.sess_possible = 0;        /* no sessions: attendance unknown */
	p.sen = 'E';
	risk_values_from_pupil(&p, &v);
	assert_int_equal(v.v[RI_ATTENDANCE_PCT], RISK_UNKNOWN);
	assert_int_equal(v.v[RI_UNAUTHORISED_PCT], RISK_UNKNOWN);
	assert_int_equal(v.v[RI_SEN_SUPPORT], 0);
	assert_int_equal(v.v[RI_EHCP], 1);

	p.sen = 0;                  /* provision unknown, plan recorded */
	p.ehcp = 1;
	risk_values_from_pupil(&p, &v);
	assert_int_equal(v.v[RI_SEN_SUPPORT], RISK_UNKNOWN);
	assert_int_equal(v.v[RI_EHCP], 1);
	p.sen = 'N';
	p.ehcp = -1;
	risk_values_from_pupil(&p, &v);
	assert_int_equal(v.v[RI_EHCP], 0);
	assert_int_equal(v.v[RI_SEN_SUPPORT], 0);

	p.sess_possible = 100;      /* attended sessions never exceed 100% */
	p.sess_attended = 120;
	risk_values_from_pupil(&p, &v);
	assert_int_equal(v.v[RI_ATTENDANCE_PCT], 100);
}

/* A snapshot row gives the same indicators as the record it came from. */
static void test_indicators_from_row(void **state)
{
	struct db *db = DB(state);
	schools(db);
	int64_t id = pupil(db, "A100000000001", "100001", "Ann", "Adams");
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
		" fsm, sen, ehcp, eal_new, looked_after, cin, cp, young_carer, youth_justice,"
		" young_parent, school_moves, sessions_possible, sessions_attended,"
		" unauthorised_absence, suspensions, suspension_days_x10, permanent_exclusion,"
		" below_expected) VALUES (:p, (SELECT min(id) FROM imports),"
		" (SELECT id FROM schools WHERE urn = '100001'), '2026-01-15',"
		" 1, 'K', NULL, 0, 1, NULL, 0, 1, 0, NULL, 4, 300, 269, 30, 3, 55, 0, 1)");
	db_bind_int(st, ":p", id);
	assert_int_equal(db_done(st), HE_OK);

	struct pupil_data p = unknown_pupil();
	p.fsm = 1; p.sen = 'K'; p.eal_new = 0; p.looked_after = 1; p.cp = 0;
	p.young_carer = 1; p.youth_justice = 0; p.moves = 4; p.sess_possible = 300;
	p.sess_attended = 269; p.unauth_absence = 30; p.suspensions = 3;
	p.suspension_days_x10 = 55; p.perm_exclusion = 0; p.below_expected = 1;
	struct risk_values want, got;
	risk_values_from_pupil(&p, &want);

	st = db_prepare(db, "SELECT id, " RISK_SNAPSHOT_COLS " FROM pupil_snapshots");
	assert_true(db_next(st));
	assert_int_equal(db_column_count(st), 1 + RISK_SNAPSHOT_NCOLS);
	risk_values_from_row(st, 1, &got);
	assert_int_equal(db_finalize(st), HE_OK);
	for (int i = 0; i < RI_COUNT; i++) {
		if (want.v[i] != got.v[i])
			fail_msg("indicator %s: record %d, row %d", risk_indicators[i].name,
				 want.v[i], got.v[i]);
	}
	assert_int_equal(got.v[RI_UNAUTHORISED_PCT], 10);
	assert_int_equal(got.v[RI_SUSPENSION_DAYS], 5);
	assert_int_equal(got.v[RI_CIN], RISK_UNKNOWN);
	assert_int_equal(got.v[RI_YOUNG_PARENT], RISK_UNKNOWN);
}

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < RI_COUNT; i++)
		assert_int_equal(risk_indicator_by_name(risk_indicators[i].name), i);
	assert_int_equal(risk_indicator_by_name("attendance"), -1);
	assert_int_equal(risk_indicator_by_name(NULL), -1);
	assert_int_equal(risk_op_by_name("ge"), RISK_GE);
	assert_int_equal(risk_op_by_name("=="), -1);
	assert_string_equal(risk_band_name(RISK_HIGH), "high");
	assert_string_equal(risk_band_name(RISK_MEDIUM), "medium");
	assert_string_equal(risk_band_name(7), "low");
	assert_int_equal(risk_band_by_name("medium"), RISK_MEDIUM);
	assert_int_equal(risk_band_by_name("High"), -1);
}

/* ---- the default rules ----------------------------------------------------- */

struct boundary {
	int indicator;
	int32_t fires, not_fires;   /* the value on the boundary, and just past it */
	const char *code;
	int points;
};

static const struct boundary boundaries[] = {
	{RI_ATTENDANCE_PCT, 89, 90, "persistent_absence", 15},
	/* 49: severe only; 50 is persistent (checked below) */
	{RI_ATTENDANCE_PCT, 49, RISK_UNKNOWN, "severe_absence", 30},
	{RI_UNAUTHORISED_PCT, 10, 9, "unauthorised_absence", 5},
	{RI_PERMANENT_EXCLUSION, 1, 0, "permanent_exclusion", 30},
	{RI_SUSPENSIONS, 3, 2, "repeated_suspensions", 20},
	{RI_SUSPENSIONS, 1, 0, "suspended", 10},
	{RI_EHCP, 1, 0, "ehcp", 10},
	{RI_SEN_SUPPORT, 1, 0, "sen_support", 8},
	{RI_LOOKED_AFTER, 1, 0, "looked_after", 20},
	{RI_CP, 1, 0, "child_protection", 20},
	{RI_CIN, 1, 0, "child_in_need", 12},
	{RI_FSM, 1, 0, "fsm", 8},
	{RI_YOUNG_CARER, 1, 0, "young_carer", 10},
	{RI_YOUTH_JUSTICE, 1, 0, "youth_justice", 20},
	{RI_SCHOOL_MOVES, 3, 2, "school_moves", 10},
	{RI_BELOW_EXPECTED, 1, 0, "below_expected", 10},
	{RI_EAL_NEW, 1, 0, "eal_new", 5},
	{RI_YOUNG_PARENT, 1, 0, "young_parent", 20},
};

static void test_default_boundaries(void **state)
{
	struct risk_ruleset rs;
	load(DB(state), &rs);
	assert_int_equal(rs.n, 18);
	assert_int_equal(rs.nlive, 18);
	assert_int_equal(rs.band_high, 40);
	assert_int_equal(rs.band_medium, 20);
	struct risk_values v;
	quiet(&v);
	assert_int_equal(score(&rs, &v).score, 0);
	for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++) {
		const struct boundary *b = &boundaries[i];
		int idx = risk_ruleset_find(&rs, b->code);
		assert_true(idx >= 0);
		quiet(&v);
		v.v[b->indicator] = b->fires;
		struct risk_result r = score(&rs, &v);
		if (r.score != b->points || r.fired != (UINT64_C(1) << idx) || r.nfired != 1)
			fail_msg("%s at %d: score %d fired %s", b->code, b->fires, r.score,
				 codes(&rs, r.fired));
		if (b->not_fires != RISK_UNKNOWN) {
			v.v[b->indicator] = b->not_fires;
			r = score(&rs, &v);
			if (r.fired & (UINT64_C(1) << idx))
				fail_msg("%s at %d: fired %s", b->code, b->not_fires,
					 codes(&rs, r.fired));
		}
	}
	/* two suspensions are "suspended" (10), not repeated; attendance 50
	 * is persistent, not severe; 0 is severe */
	quiet(&v);
	v.v[RI_SUSPENSIONS] = 2;
	assert_string_equal(codes(&rs, score(&rs, &v).fired), "suspended");
	quiet(&v);
	v.v[RI_ATTENDANCE_PCT] = 50;
	assert_string_equal(codes(&rs, score(&rs, &v).fired), "persistent_absence");
	v.v[RI_ATTENDANCE_PCT] = 0;
	assert_int_equal(score(&rs, &v).score, 30);
}

static void test_groups(void **state)
{
	struct risk_ruleset rs;
	load(DB(state), &rs);
	struct risk_values v;
	quiet(&v);
	v.v[RI_ATTENDANCE_PCT] = 49;          /* severe 30 (not + persistent 15) */
	v.v[RI_PERMANENT_EXCLUSION] = 1;      /* exclusion 30 (not + 20 + 10) */
	v.v[RI_SUSPENSIONS] = 4;
	v.v[RI_EHCP] = 1;                     /* sen 10 (not + 8) */
	v.v[RI_SEN_SUPPORT] = 1;
	v.v[RI_CIN] = 1;                      /* social care 20 (not + 12) */
	v.v[RI_CP] = 1;
	v.v[RI_FSM] = 1;                      /* + 8 */
	struct risk_result r = score(&rs, &v);
	assert_int_equal(r.score, 30 + 30 + 10 + 20 + 8);
	assert_int_equal(r.band, RISK_HIGH);
	assert_int_equal(r.nfired, 5);
	assert_string_equal(codes(&rs, r.fired),
			    "severe_absence,permanent_exclusion,ehcp,child_protection,fsm");
	assert_int_equal(risk_fired_parse(&rs, codes(&rs, r.fired)), r.fired);
	assert_int_equal(risk_fired_parse(&rs, "fsm,no_such_rule,,ehcp"),
			 (UINT64_C(1) << risk_ruleset_find(&rs, "fsm")) |
			 (UINT64_C(1) << risk_ruleset_find(&rs, "ehcp")));
	assert_int_equal(risk_fired_parse(&rs, ""), 0);

	struct buf b;
	buf_init(&b, 0);
	quiet(&v);
	v.v[RI_ATTENDANCE_PCT] = 85;
	v.v[RI_FSM] = 1;
	risk_explain(&rs, score(&rs, &v).fired, &b);
	assert_string_equal(buf_str(&b),
		"Persistent absence (attends under 90% of sessions): 15 points\n"
		"Eligible for free school meals: 8 points\n");
	buf_free(&b);

	/* equal points in a group: the earlier position counts */
	struct risk_ruleset t = {.n = 3, .band_high = 40, .band_medium = 20};
	t.rule[0] = rule("b_rule", "g", RI_FSM, RISK_EQ, 1, 5, 2);
	t.rule[1] = rule("a_rule", "g", RI_CIN, RISK_EQ, 1, 5, 1);
	t.rule[2] = rule("c_rule", "h", RI_CP, RISK_EQ, 1, 7, 3);
	assert_int_equal(risk_ruleset_compile(&t, NULL), HE_OK);
	assert_string_equal(t.rule[0].code, "a_rule");   /* sorted by position */
	quiet(&v);
	v.v[RI_FSM] = v.v[RI_CIN] = v.v[RI_CP] = 1;
	r = score(&t, &v);
	assert_int_equal(r.score, 12);
	assert_string_equal(codes(&t, r.fired), "a_rule,c_rule");
	/* a disabled rule never fires, and its group's others still do */
	t.rule[0].enabled = false;
	assert_int_equal(risk_ruleset_compile(&t, NULL), HE_OK);
	assert_string_equal(codes(&t, score(&t, &v).fired), "b_rule,c_rule");
}

static void test_unknown_never_fires(void **state)
{
	(void)state;
	struct risk_ruleset t = {.n = 5, .band_high = 2, .band_medium = 1};
	t.rule[0] = rule("lt", "a", RI_ATTENDANCE_PCT, RISK_LT, 90, 1, 1);
	t.rule[1] = rule("le", "b", RI_SUSPENSIONS, RISK_LE, 0, 1, 2);
	t.rule[2] = rule("gt", "c", RI_SUSPENSION_DAYS, RISK_GT, 0, 1, 3);
	t.rule[3] = rule("ge", "d", RI_SCHOOL_MOVES, RISK_GE, 0, 1, 4);
	t.rule[4] = rule("eq", "e", RI_FSM, RISK_EQ, 0, 1, 5);
	assert_int_equal(risk_ruleset_compile(&t, NULL), HE_OK);
	struct risk_values v;
	for (int i = 0; i < RI_COUNT; i++)
		v.v[i] = RISK_UNKNOWN;
	struct risk_result r = score(&t, &v);
	assert_int_equal(r.score, 0);
	assert_int_equal(r.fired, 0);
	assert_int_equal(r.band, RISK_LOW);
	/* known values at the same thresholds fire every one of them */
	v.v[RI_ATTENDANCE_PCT] = 0;
	v.v[RI_SUSPENSIONS] = 0;
	v.v[RI_SUSPENSION_DAYS] = 1;
	v.v[RI_SCHOOL_MOVES] = 0;
	v.v[RI_FSM] = 0;
	assert_int_equal(score(&t, &v).score, 5);

	/* an unknown pupil under the defaults scores nothing */
	struct pupil_data p = unknown_pupil();
	risk_values_from_pupil(&p, &v);
	struct risk_ruleset rs;
	load(DB(state), &rs);
	assert_int_equal(score(&rs, &v).score, 0);
}

static void test_bands(void **state)
{
	(void)state;
	struct risk_ruleset t = {.n = 1, .band_high = 40, .band_medium = 20};
	t.rule[0] = rule("moves", "m", RI_SCHOOL_MOVES, RISK_GE, 1, 1, 1);
	struct risk_values v;
	quiet(&v);
	const struct { int points, band; } cases[] = {
		{0, RISK_LOW}, {19, RISK_LOW}, {20, RISK_MEDIUM}, {39, RISK_MEDIUM},
		{40, RISK_HIGH}, {100, RISK_HIGH},
	};
	v.v[RI_SCHOOL_MOVES] = 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t.rule[0].points = cases[i].points;
		assert_int_equal(risk_ruleset_compile(&t, NULL), HE_OK);
		struct risk_result r = score(&t, &v);
		assert_int_equal(r.score, cases[i].points);
		if (r.band != cases[i].band)
			fail_msg("%d points: band %s", cases[i].points, risk_band_name(r.band));
	}
}

/* ---- validation ---------------------------------------------------------------- */

static void expect_field(const struct risk_rule *r, int code, const char *field)
{
	struct errinfo e = {0};
	int rc = risk_rule_check(r, &e);
	if (rc != code || strcmp(e.field, field) != 0)
		fail_msg("rule %s: want %d on %s, got %d on %s (%s)", r->code, code, field, rc,
			 e.field, e.message);
	assert_true(*e.message);
}

static void test_rule_validation(void **state)
{
	(void)state;
	struct risk_rule ok = rule("persistent", "attendance", RI_ATTENDANCE_PCT, RISK_LT, 90, 15, 1);
	struct errinfo e = {0};
	assert_int_equal(risk_rule_check(&ok, &e), HE_OK);
	struct risk_rule r;

	r = ok; r.code[0] = '\0';               expect_field(&r, HE_MISSING, "code");
	r = ok; strcpy(r.code, "Persistent");   expect_field(&r, HE_INVALID, "code");
	r = ok; strcpy(r.code, "9lives");       expect_field(&r, HE_INVALID, "code");
	r = ok; strcpy(r.code, "a-b");          expect_field(&r, HE_INVALID, "code");
	r = ok; r.label[0] = '\0';              expect_field(&r, HE_MISSING, "label");
	r = ok; strcpy(r.label, "   ");         expect_field(&r, HE_MISSING, "label");
	r = ok; strcpy(r.label, "two\nlines");  expect_field(&r, HE_INVALID, "label");
	r = ok; strcpy(r.label, "bad \xff byte"); expect_field(&r, HE_INVALID, "label");
	r = ok; r.grp[0] = '\0';                expect_field(&r, HE_MISSING, "grp");
	r = ok; strcpy(r.grp, "Attendance");    expect_field(&r, HE_INVALID, "grp");
	r = ok; r.indicator = -1;               expect_field(&r, HE_INVALID, "indicator");
	r = ok; r.indicator = RI_COUNT;         expect_field(&r, HE_INVALID, "indicator");
	r = ok; r.op = RISK_OP_COUNT;           expect_field(&r, HE_INVALID, "op");
	r = ok; r.value = 101;                  expect_field(&r, HE_INVALID, "value");
	r = ok; r.value = -1;                   expect_field(&r, HE_INVALID, "value");
	r = ok; r.indicator = RI_FSM; r.value = 2; expect_field(&r, HE_INVALID, "value");
	r = ok; r.points = 101;                 expect_field(&r, HE_INVALID, "points");
	r = ok; r.points = -1;                  expect_field(&r, HE_INVALID, "points");
	r = ok; r.position = 0;                 expect_field(&r, HE_INVALID, "position");
	r = ok; r.value = 100; r.points = 100;
	assert_int_equal(risk_rule_check(&r, NULL), HE_OK);   /* the edges are fine */
	r = ok; r.indicator = RI_SUSPENSIONS; r.value = 190;
	assert_int_equal(risk_rule_check(&r, NULL), HE_OK);

	struct risk_ruleset t = {.n = 2, .band_high = 40, .band_medium = 20};
	t.rule[0] = ok;
	t.rule[1] = ok;
	t.rule[1].position = 2;
	assert_int_equal(risk_ruleset_compile(&t, &e), HE_CONFLICT);
	assert_string_equal(e.field, "code");
	assert_false(t.compiled);
	strcpy(t.rule[1].code, "other");
	t.rule[1].points = 500;
	assert_int_equal(risk_ruleset_compile(&t, &e), HE_INVALID);
	assert_string_equal(e.field, "points");
	assert_non_null(strstr(e.message, "other"));   /* names the rule */
	t.rule[1].points = 5;
	t.band_medium = 0;
	assert_int_equal(risk_ruleset_compile(&t, &e), HE_INVALID);
	assert_string_equal(e.field, "band_medium");
	t.band_medium = 40;
	assert_int_equal(risk_ruleset_compile(&t, &e), HE_INVALID);
	assert_string_equal(e.field, "band_high");
	t.band_high = RISK_BAND_MAX + 1;
	assert_int_equal(risk_ruleset_compile(&t, &e), HE_INVALID);
	assert_string_equal(e.field, "band_high");
	t.band_high = 41;
	assert_int_equal(risk_ruleset_compile(&t, &e), HE_OK);
}

/* risk_ruleset_edit changes a copy in memory: unknown code, bad field,
 * and the code itself never changes. */
static void test_ruleset_edit(void **state)
{
	struct db *db = DB(state);
	struct risk_ruleset rs;
	load(db, &rs);
	struct errinfo e = {0};
	int i = risk_ruleset_find(&rs, "fsm");
	struct risk_rule f = rs.rule[i];
	f.points = 101;
	assert_int_equal(risk_ruleset_edit(&rs, "fsm", &f, &e), HE_INVALID);
	assert_string_equal(e.field, "points");
	assert_int_equal(rs.rule[i].points, 8);
	assert_true(rs.compiled);
	assert_int_equal(risk_ruleset_edit(&rs, "nope", &f, &e), HE_NOT_FOUND);
	assert_string_equal(e.field, "code");
	f.points = 30;
	strcpy(f.code, "renamed");
	f.position = 100;   /* moves to the end */
	assert_int_equal(risk_ruleset_edit(&rs, "fsm", &f, &e), HE_OK);
	assert_int_equal(risk_ruleset_find(&rs, "renamed"), -1);
	i = risk_ruleset_find(&rs, "fsm");
	assert_int_equal(i, rs.n - 1);
	assert_int_equal(rs.rule[i].points, 30);
	struct risk_values v;
	quiet(&v);
	v.v[RI_FSM] = 1;
	assert_int_equal(score(&rs, &v).score, 30);
	/* the database still has 8 */
	assert_int_equal(count(db, "SELECT points FROM risk_rules WHERE code = 'fsm'"), 8);
}

/* ---- rescoring and editing ---------------------------------------------------- */

static void test_rescore_after_edit(void **state)
{
	struct db *db = DB(state);
	city(db);
	assert_int_equal(latest_score(db, "Evans"), 43);
	assert_int_equal(latest_score(db, "Clark"), 35);
	assert_int_equal(count(db, "SELECT count(*) FROM pupil_snapshots WHERE risk_band = 'high'"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM pupil_snapshots"
			      " WHERE risk_fired = 'severe_absence,looked_after'"), 1);
	int64_t audits = count(db, "SELECT count(*) FROM audit_log");

	/* persistent absence 15 -> 25: Clark (88%, looked after) 35 -> 45 high */
	struct risk_ruleset rs;
	load(db, &rs);
	struct risk_rule f = rs.rule[risk_ruleset_find(&rs, "persistent_absence")];
	f.points = 25;
	struct risk_rescore_stats s = {0, 0};
	struct errinfo e = {0};
	assert_int_equal(risk_rule_update(db, &who, "persistent_absence", &f, &s, &e), HE_OK);
	assert_int_equal(s.snapshots, 8);
	assert_int_equal(s.changed, 4);   /* Abbott, Brown, Clark's latest, Evans */
	assert_int_equal(latest_score(db, "Clark"), 45);
	assert_int_equal(latest_score(db, "Evans"), 53);
	assert_int_equal(latest_score(db, "Brown"), 33);
	assert_int_equal(latest_score(db, "Adams"), 38);
	assert_int_equal(count(db, "SELECT points FROM risk_rules WHERE code = 'persistent_absence'"), 25);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), audits + 2);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'update'"
			      " AND entity = 'risk_rules' AND summary LIKE '%points 15 -> 25%'"
			      " AND entity_id = (SELECT CAST(id AS TEXT) FROM risk_rules"
			      " WHERE code = 'persistent_absence')"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'update'"
			      " AND entity = 'pupil_snapshots'"
			      " AND summary LIKE '%8 snapshots, 4 changed%'"), 1);

	/* a bad edit changes nothing and audits nothing */
	f.points = 101;
	assert_int_equal(risk_rule_update(db, &who, "persistent_absence", &f, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "points");
	f.points = 25;
	f.value = 120;
	assert_int_equal(risk_rule_update(db, &who, "persistent_absence", &f, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "value");
	assert_int_equal(risk_rule_update(db, &who, "no_such_rule", &f, NULL, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT points FROM risk_rules WHERE code = 'persistent_absence'"), 25);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log"), audits + 2);
	assert_false(db_in_transaction(db));

	/* disabling a rule takes its points away on rescore */
	f = rs.rule[risk_ruleset_find(&rs, "looked_after")];
	f.enabled = false;
	assert_int_equal(risk_rule_update(db, &who, "looked_after", &f, &s, &e), HE_OK);
	assert_int_equal(latest_score(db, "Clark"), 25);
	assert_int_equal(count(db, "SELECT count(*) FROM pupil_snapshots"
			      " WHERE risk_fired LIKE '%looked_after%'"), 0);
}

static void test_bands_update(void **state)
{
	struct db *db = DB(state);
	city(db);
	struct errinfo e = {0};
	struct risk_rescore_stats s;
	/* medium from 30: Abbott and Brown (23) drop to low; high from 36:
	 * Adams (38) rises */
	assert_int_equal(risk_bands_update(db, &who, 36, 30, &s, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM pupil_snapshots s"
			      " JOIN pupils p ON p.id = s.pupil_id WHERE s.risk_band = 'high'"
			      " AND p.surname = 'Adams'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pupil_snapshots WHERE risk_score = 23"
			      " AND risk_band = 'low'"), 2);
	assert_int_equal(count(db, "SELECT CAST(value AS INTEGER) FROM settings"
			      " WHERE key = 'risk.band.high'"), 36);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'settings'"
			      " AND summary LIKE '%high from 40 -> 36%'"), 1);
	struct risk_ruleset rs;
	load(db, &rs);
	assert_int_equal(rs.band_high, 36);
	assert_int_equal(rs.band_medium, 30);

	assert_int_equal(risk_bands_update(db, &who, 30, 30, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "band_high");
	assert_int_equal(risk_bands_update(db, &who, 30, 0, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "band_medium");
	load(db, &rs);
	assert_int_equal(rs.band_high, 36);
}

static void test_preview(void **state)
{
	struct db *db = DB(state);
	city(db);
	struct risk_ruleset rs;
	load(db, &rs);
	struct risk_preview p;
	struct errinfo e = {0};

	/* unchanged rules: everyone stays on the diagonal */
	assert_int_equal(risk_preview(db, &rs, NULL, &p, &e), HE_OK);
	assert_int_equal(p.total, 6);
	assert_int_equal(p.moves[RISK_LOW][RISK_LOW], 1);
	assert_int_equal(p.moves[RISK_MEDIUM][RISK_MEDIUM], 4);
	assert_int_equal(p.moves[RISK_HIGH][RISK_HIGH], 1);
	assert_int_equal(p.fired[risk_ruleset_find(&rs, "fsm")], 4);
	assert_int_equal(p.fired[risk_ruleset_find(&rs, "severe_absence")], 1);

	/* persistent absence 15 -> 25: Clark medium -> high */
	struct risk_rule f = rs.rule[risk_ruleset_find(&rs, "persistent_absence")];
	f.points = 25;
	assert_int_equal(risk_ruleset_edit(&rs, "persistent_absence", &f, &e), HE_OK);
	assert_int_equal(risk_preview(db, &rs, NULL, &p, &e), HE_OK);
	assert_int_equal(p.total, 6);
	assert_int_equal(p.moves[RISK_LOW][RISK_LOW], 1);
	assert_int_equal(p.moves[RISK_MEDIUM][RISK_MEDIUM], 3);
	assert_int_equal(p.moves[RISK_MEDIUM][RISK_HIGH], 1);
	assert_int_equal(p.moves[RISK_HIGH][RISK_HIGH], 1);
	assert_int_equal(p.moves[RISK_HIGH][RISK_MEDIUM], 0);
	/* nothing changed */
	assert_int_equal(latest_score(db, "Clark"), 35);
	assert_int_equal(count(db, "SELECT points FROM risk_rules WHERE code = 'persistent_absence'"), 15);

	/* and the medium band from 34: Abbott and Brown (25 + 8 = 33) drop to
	 * low; Adams (38) and Clark (45) stay medium */
	rs.band_medium = 34;
	rs.band_high = 60;
	assert_int_equal(risk_ruleset_compile(&rs, &e), HE_OK);
	assert_int_equal(risk_preview(db, &rs, "100001", &p, &e), HE_OK);
	assert_int_equal(p.total, 4);   /* Alpha's pupils */
	assert_int_equal(p.moves[RISK_MEDIUM][RISK_LOW], 2);
	assert_int_equal(p.moves[RISK_MEDIUM][RISK_MEDIUM], 2);
	assert_int_equal(p.moves[RISK_MEDIUM][RISK_HIGH], 0);

	assert_int_equal(risk_preview(db, &rs, "999999", &p, &e), HE_NOT_FOUND);
	assert_string_equal(e.field, "school");
	assert_int_equal(risk_preview(db, &rs, "12", &p, &e), HE_INVALID);
	assert_string_equal(e.field, "school");
}

/* ---- the list ------------------------------------------------------------------ */

/* The surnames of a list, space-separated, into out. */
static const char *names(struct db *db, struct risk_filter f)
{
	static char out[256];
	struct arena a;
	arena_init(&a);
	struct risk_row *rows;
	size_t n;
	struct errinfo e = {0};
	int rc = risk_list(db, &who, &a, &f, &rows, &n, &e);
	if (rc)
		fail_msg("risk_list: %d %s %s", rc, e.field, e.message);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "",
			 rows[i].surname);
	arena_free(&a);
	return out;
}

static struct risk_filter all(void)
{
	struct risk_filter f = {.urn = NULL, .year = RISK_ANY_YEAR, .band = -1};
	return f;
}

static void test_list(void **state)
{
	struct db *db = DB(state);
	city(db);
	struct risk_filter f = all();
	assert_string_equal(names(db, f), "Evans Adams Clark Abbott Brown Davies");

	struct arena a;
	arena_init(&a);
	struct risk_row *rows;
	size_t n;
	struct errinfo e = {0};
	assert_int_equal(risk_list(db, &who, &a, &f, &rows, &n, &e), HE_OK);
	assert_int_equal(n, 6);
	assert_string_equal(rows[0].upn, "A100000000005");
	assert_string_equal(rows[0].forename, "Eve");
	assert_string_equal(rows[0].urn, "100002");
	assert_string_equal(rows[0].school, "Beta School");
	assert_string_equal(rows[0].extract_date, "2026-01-15");
	assert_int_equal(rows[0].score, 43);
	assert_int_equal(rows[0].band, RISK_HIGH);
	assert_string_equal(rows[0].fired, "persistent_absence,looked_after,fsm");
	assert_false(rows[0].has_prev);
	assert_false(rows[0].rising);
	assert_int_equal(rows[1].year_group, 10);
	assert_true(rows[1].has_prev);             /* Adams: 0 -> 38 */
	assert_int_equal(rows[1].prev_score, 0);
	assert_true(rows[1].rising);
	assert_true(rows[2].has_prev);             /* Clark: 50 -> 35 */
	assert_int_equal(rows[2].prev_score, 50);
	assert_false(rows[2].rising);
	arena_free(&a);

	f = all(); f.urn = "100001";
	assert_string_equal(names(db, f), "Adams Clark Abbott Brown");
	f = all(); f.year = 9;
	assert_string_equal(names(db, f), "Clark");
	f = all(); f.band = RISK_HIGH;
	assert_string_equal(names(db, f), "Evans");
	f = all(); f.band = RISK_MEDIUM; f.urn = "100002";
	assert_string_equal(names(db, f), "");
	f = all(); f.indicator = "fsm";
	assert_string_equal(names(db, f), "Evans Adams Abbott Brown");
	f = all(); f.indicator = "looked_after";
	assert_string_equal(names(db, f), "Evans Clark");
	f = all(); f.indicator = "absence";      /* a whole code, not a part */
	assert_string_equal(names(db, f), "");
	f = all(); f.rising = true;
	assert_string_equal(names(db, f), "Adams");
	f = all(); f.limit = 2; f.offset = 1;
	assert_string_equal(names(db, f), "Adams Clark");
}

static void test_list_indicator_exact(void **state)
{
	struct db *db = DB(state);
	city(db);
	/* '_' must not act as LIKE's wildcard */
	exec(db, "UPDATE pupil_snapshots SET risk_fired = 'youngXcarer' WHERE pupil_id ="
		 " (SELECT id FROM pupils WHERE surname = 'Davies')");
	struct risk_filter f = all();
	f.indicator = "young_carer";
	assert_string_equal(names(db, f), "");
	exec(db, "UPDATE pupil_snapshots SET risk_fired = 'fsm,young_carer' WHERE pupil_id ="
		 " (SELECT id FROM pupils WHERE surname = 'Davies')");
	assert_string_equal(names(db, f), "Davies");
}

static void test_list_audited_and_checked(void **state)
{
	struct db *db = DB(state);
	city(db);
	int64_t before = count(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
				  " AND entity = 'pupils'");
	struct risk_filter f = all();
	f.urn = "100001";
	f.band = RISK_MEDIUM;
	f.rising = true;
	assert_string_equal(names(db, f), "Adams");
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
			      " AND entity = 'pupils'"), before + 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE summary ="
			      " 'risk list school=100001 band=medium rising: 1 pupil'"), 1);

	struct arena a;
	arena_init(&a);
	struct risk_row *rows;
	size_t n;
	struct errinfo e = {0};
	const struct { struct risk_filter f; int rc; const char *field; } bad[] = {
		{{.urn = "999999", .year = RISK_ANY_YEAR, .band = -1}, HE_NOT_FOUND, "school"},
		{{.urn = "1234", .year = RISK_ANY_YEAR, .band = -1}, HE_INVALID, "school"},
		{{.year = 99, .band = -1}, HE_INVALID, "year"},
		{{.year = RISK_ANY_YEAR, .band = 3}, HE_INVALID, "band"},
		{{.year = RISK_ANY_YEAR, .band = -1, .indicator = "x%"}, HE_INVALID, "indicator"},
		{{.year = RISK_ANY_YEAR, .band = -1, .limit = -1}, HE_INVALID, "limit"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		int rc = risk_list(db, &who, &a, &bad[i].f, &rows, &n, &e);
		if (rc != bad[i].rc || strcmp(e.field, bad[i].field) != 0)
			fail_msg("case %zu: %d %s", i, rc, e.field);
		assert_int_equal(n, 0);
	}
	arena_free(&a);
	/* refused reads are not audited as views */
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
			      " AND entity = 'pupils'"), before + 1);
}

/* ---- suppression ----------------------------------------------------- */

static void test_suppress(void **state)
{
	(void)state;
	char b[RISK_SUPPRESS_BUF];
	assert_string_equal(risk_suppress(0, b), "fewer than 5");
	assert_string_equal(risk_suppress(1, b), "fewer than 5");
	assert_string_equal(risk_suppress(4, b), "fewer than 5");
	assert_string_equal(risk_suppress(5, b), "5");
	assert_string_equal(risk_suppress(1234567, b), "1234567");
	assert_int_equal(RISK_SUPPRESS_BELOW, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indicators_from_pupil),
		cmocka_unit_test_setup_teardown(test_indicators_from_row, testdb_setup, testdb_teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_default_boundaries, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_groups, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_never_fires, testdb_setup, testdb_teardown),
		cmocka_unit_test(test_bands),
		cmocka_unit_test(test_rule_validation),
		cmocka_unit_test_setup_teardown(test_ruleset_edit, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_rescore_after_edit, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_bands_update, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_preview, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_list, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_list_indicator_exact, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_list_audited_and_checked, testdb_setup, testdb_teardown),
		cmocka_unit_test(test_suppress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
