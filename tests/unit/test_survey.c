/* test_survey.c — unit tests for src/core/survey.c: writing a survey
 * (validation naming the field; only managers), versioned edits of a
 * draft and none once open, answering (every statement, text up to 2,000
 * characters counted as characters, once per leader, only while open),
 * the results by school type (rates, distributions and means to the
 * tenth, the filter, suppression for the viewer, the per-school table
 * and free text only in the full view), the Schools Forum section's
 * choice of survey, and the demo seed.
 *
 * On SQLite, or PostgreSQL with HEARTH_TEST_PG (testdb.h).  The
 * partnership is referfix.h's (Alpha Academy and Gamma College,
 * secondaries with leaders A and C; Beta Primary with leader B) plus
 * Delta Primary and Epsilon School (special), which have no leaders. */
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
#include "core/report.h"
#include "core/survey.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc == 0)
		fix_exec(DB(state), "INSERT INTO schools (id, urn, name, phase, district_id, created_at)"
			" VALUES (4, '900004', 'Delta Primary', 'primary', 1, '2026-01-01T00:00:00Z'),"
			" (5, '900005', 'Epsilon School', 'special', 1, '2026-01-01T00:00:00Z')");
	return rc;
}

static const struct survey_question_in three_q[] = {
	{"likert", "Referring is straightforward."},
	{"likert", "We hear back promptly."},
	{"text", "What would you change?"},
};

/* A draft with three_q as the coordinator; its id. */
static int64_t mk_survey(struct db *db, const char *title)
{
	struct scope co = fix_scope(USER_COORD);
	struct survey_in in = {title, "Intro", NULL, three_q, 3};
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = survey_save(db, &co, 0, 0, &in, &id, &e);
	if (rc)
		fail_msg("survey_save: %d %s %s", rc, e.field, e.message);
	return id;
}

static int64_t mk_open(struct db *db, const char *title)
{
	struct scope co = fix_scope(USER_COORD);
	struct errinfo e = {0};
	int64_t id = mk_survey(db, title);
	assert_int_equal(survey_open(db, &co, id, 1, 0, NULL, &e), HE_OK);
	return id;
}

static int answer_as(struct db *db, int user, int64_t id, const char *a1, const char *a2,
		     const char *a3, struct errinfo *e)
{
	struct scope s = fix_scope(user);
	const char *ans[3] = {a1, a2, a3};
	memset(e, 0, sizeof *e);
	return survey_respond(db, &s, id, ans, 3, NULL, e);
}

static int64_t audit_rows(struct db *db, const char *action)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM audit_log WHERE action = :a"
		" AND entity IN ('surveys', 'survey_responses')");
	db_bind_text(st, ":a", action);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

/* ---- writing ------------------------------------------------------------------- */

static void test_save_validation(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD), sa = fix_scope(USER_A);
	struct errinfo e = {0};
	int64_t id = 0;
	struct survey_in in = {"  ", "", NULL, three_q, 3};
	assert_int_equal(survey_save(db, &co, 0, 0, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "title");
	in.title = "Views";
	in.nq = 0;
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &co, 0, 0, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "questions");
	struct survey_question_in bad[] = {{"likert", "Fine"}, {"yesno", "Odd"}};
	in.q = bad;
	in.nq = 2;
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &co, 0, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "questions.1.kind");
	struct survey_question_in empty[] = {{"text", ""}};
	in.q = empty;
	in.nq = 1;
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &co, 0, 0, &in, &id, &e), HE_MISSING);
	assert_string_equal(e.field, "questions.0.text");
	in.q = three_q;
	in.nq = 3;
	in.closes_on = "2020-01-01";
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &co, 0, 0, &in, &id, &e), HE_INVALID);
	assert_string_equal(e.field, "closes_on");
	in.closes_on = NULL;
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &sa, 0, 0, &in, &id, &e), HE_FORBIDDEN);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM surveys"), 0);
	assert_int_equal(audit_rows(db, "create"), 0);
	assert_int_equal(survey_save(db, &co, 0, 0, &in, &id, &e), HE_OK);
	assert_true(id > 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM survey_questions"), 3);
	assert_int_equal(audit_rows(db, "create"), 1);
}

static void test_versioned_edits(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD);
	struct errinfo e = {0};
	struct arena a;
	arena_init(&a);
	int64_t id = mk_survey(db, "First");
	struct survey_question_in two[] = {{"likert", "Changed statement"}, {"text", "Why?"}};
	struct survey_in in = {"Second", "New intro", NULL, two, 2};
	assert_int_equal(survey_save(db, &co, id, 1, &in, NULL, &e), HE_OK);
	struct survey sv;
	assert_int_equal(survey_get(db, &a, &co, id, &sv, &e), HE_OK);
	assert_int_equal(sv.version, 2);
	assert_string_equal(sv.title, "Second");
	assert_int_equal(sv.nq, 2);
	assert_string_equal(sv.q[0].text, "Changed statement");
	assert_string_equal(sv.q[1].kind, "text");
	/* someone else's edit in between: nothing saved */
	in.title = "Stale";
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &co, id, 1, &in, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_open(db, &co, id, 1, 0, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "version");
	int64_t sent = 0;
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_open(db, &co, id, 2, 0, &sent, &e), HE_OK);
	assert_int_equal(sent, 3);     /* the three school leaders */
	/* open: frozen */
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_save(db, &co, id, 3, &in, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_open(db, &co, id, 3, 0, NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
	assert_int_equal(survey_get(db, &a, &co, id, &sv, &e), HE_OK);
	assert_string_equal(sv.title, "Second");
	assert_string_equal(sv.status, "open");
	char today[11];
	date_format(date_today(), today);
	assert_string_equal(sv.opened_on, today);
	/* only the system dates an action on another day */
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_close(db, &co, id, date_today() - 3, &e), HE_FORBIDDEN);
	assert_int_equal(survey_close(db, &co, id, 0, &e), HE_OK);
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_close(db, &co, id, 0, &e), HE_CONFLICT);
	assert_int_equal(audit_rows(db, "update"), 1);
	assert_int_equal(audit_rows(db, "open"), 1);
	assert_int_equal(audit_rows(db, "close"), 1);
	arena_free(&a);
}

/* ---- answering ----------------------------------------------------------------- */

static void test_respond_rules(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD);
	struct errinfo e;
	int64_t id = mk_survey(db, "Views");
	assert_int_equal(answer_as(db, USER_A, id, "4", "5", NULL, &e), HE_NOT_FOUND);
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_open(db, &co, id, 1, 0, NULL, &e), HE_OK);
	assert_int_equal(answer_as(db, USER_A, id, "4", " ", NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "q2");
	assert_int_equal(answer_as(db, USER_A, id, "6", "5", NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "q1");
	assert_int_equal(answer_as(db, USER_A, id, "4.5", "5", NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "q1");
	/* 2,000 characters is the limit: "é" is two bytes but one character */
	char *text = malloc(2 * 2001 + 1);
	for (int i = 0; i < 2001; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[2 * 2001] = 0;
	assert_int_equal(answer_as(db, USER_A, id, "4", "5", text, &e), HE_INVALID);
	assert_string_equal(e.field, "q3");
	text[2 * 2000] = 0;
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM survey_responses"), 0);
	assert_int_equal(answer_as(db, USER_A, id, "4", "5", text, &e), HE_OK);
	free(text);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM survey_answers"), 3);
	assert_int_equal(testdb_int(db, "SELECT likert FROM survey_answers a JOIN survey_questions q"
				   " ON q.id = a.question_id WHERE q.position = 2"), 5);
	/* once per leader */
	assert_int_equal(answer_as(db, USER_A, id, "1", "1", NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "survey");
	/* an extra answer to no question */
	struct scope sb = fix_scope(USER_B);
	const char *four[4] = {"3", "3", NULL, "x"};
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_respond(db, &sb, id, four, 4, NULL, &e), HE_INVALID);
	assert_string_equal(e.field, "q4");
	/* the coordinator does not answer; nobody answers a closed survey */
	assert_int_equal(answer_as(db, USER_COORD, id, "3", "3", NULL, &e), HE_FORBIDDEN);
	memset(&e, 0, sizeof e);
	assert_int_equal(survey_close(db, &co, id, 0, &e), HE_OK);
	assert_int_equal(answer_as(db, USER_B, id, "3", "3", NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "status");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM survey_responses"), 1);
	assert_int_equal(audit_rows(db, "create") - 1, 1);  /* the draft, then A's answer */
}

static void test_visibility(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD), sa = fix_scope(USER_A);
	struct scope viewer = {.caps = caps_for_role(ROLE_VIEWER), .user_id = 9, .who = &fix_who};
	struct errinfo e = {0};
	struct arena a;
	arena_init(&a);
	int64_t draft = mk_survey(db, "Draft");
	int64_t open = mk_open(db, "Open");
	struct survey sv, *v;
	size_t n;
	assert_int_equal(survey_get(db, &a, &sa, draft, &sv, &e), HE_NOT_FOUND);
	assert_int_equal(survey_get(db, &a, &viewer, draft, &sv, &e), HE_NOT_FOUND);
	assert_int_equal(survey_get(db, &a, &sa, open, &sv, &e), HE_OK);
	assert_int_equal(survey_list(db, &a, &co, &v, &n), HE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, open);       /* newest first */
	assert_int_equal(survey_list(db, &a, &sa, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(survey_waiting(db, &a, &sa, &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_false(v[0].answered);
	assert_int_equal(survey_waiting(db, &a, &co, &v, &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(answer_as(db, USER_A, open, "2", "3", "", &e), HE_OK);
	assert_int_equal(survey_waiting(db, &a, &sa, &v, &n), HE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(survey_get(db, &a, &sa, open, &sv, &e), HE_OK);
	assert_true(sv.answered);
	assert_int_equal(sv.responses, 1);
	assert_int_equal(fix_int(db, "SELECT count(*) FROM survey_responses WHERE survey_id = :id"
				 " AND user_id = 1 AND school_id = 1", open), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM survey_answers"), 2); /* no blank text */
	arena_free(&a);
}

/* ---- results ------------------------------------------------------------------- */

static struct report_filter filter(bool suppress, const char *phase)
{
	struct report_filter f;
	memset(&f, 0, sizeof f);
	f.from = date_today() - 365;
	f.to = date_today() + 1;
	f.suppress = suppress;
	snprintf(f.phase, sizeof f.phase, "%s", phase);
	return f;
}

static int col(const struct rtable *t, const char *key)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->col_keys[i], key) == 0)
			return (int)i;
	fail_msg("no column %s in %s", key, t->id);
	return -1;
}

static int64_t cell(struct rtable *t, const char *row, const char *colkey)
{
	struct rrow *w = rtable_find(t, row);
	if (!w)
		fail_msg("no row %s in %s", row, t->id);
	return w->v[col(t, colkey)];
}

/* A answers 4, 5 and a remark; C 2, 1; B 5, 4. */
static int64_t answered(struct db *db)
{
	struct errinfo e;
	int64_t id = mk_open(db, "Views 2026");
	assert_int_equal(answer_as(db, USER_A, id, "4", "5", "More holiday cover", &e), HE_OK);
	assert_int_equal(answer_as(db, USER_C, id, "2", "1", NULL, &e), HE_OK);
	assert_int_equal(answer_as(db, USER_B, id, "5", "4", "Faster feedback", &e), HE_OK);
	return id;
}

static void test_results_full(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD);
	struct errinfo e = {0};
	struct arena a;
	arena_init(&a);
	int64_t id = answered(db);
	struct survey sv;
	struct survey_results res;
	struct report_filter f = filter(false, "");
	assert_int_equal(survey_get(db, &a, &co, id, &sv, &e), HE_OK);
	assert_int_equal(survey_results(db, &a, &f, &sv, true, &res), HE_OK);
	struct rtable *t = res.rates;
	/* columns: the types present, in order, and the total */
	assert_int_equal(t->ncols, 4);
	assert_string_equal(t->col_keys[0], "primary");
	assert_string_equal(t->col_keys[1], "secondary");
	assert_string_equal(t->col_keys[2], "special");
	assert_string_equal(t->col_keys[3], "total");
	assert_int_equal(cell(t, "schools", "primary"), 2);
	assert_int_equal(cell(t, "schools", "secondary"), 2);
	assert_int_equal(cell(t, "schools", "special"), 1);
	assert_int_equal(cell(t, "schools", "total"), 5);
	assert_int_equal(cell(t, "schools_responded", "primary"), 1);
	assert_int_equal(cell(t, "schools_responded", "secondary"), 2);
	assert_int_equal(cell(t, "schools_responded", "total"), 3);
	assert_int_equal(cell(t, "response_rate", "primary"), 500);
	assert_int_equal(cell(t, "response_rate", "secondary"), 1000);
	assert_int_equal(cell(t, "response_rate", "special"), 0);
	assert_int_equal(cell(t, "response_rate", "total"), 600);
	assert_int_equal(cell(t, "responses", "total"), 3);
	/* statement 1: 4 and 2 from secondaries, 5 from the primary */
	assert_int_equal(res.nlikert, 2);
	struct rtable *q1 = res.likert[0];
	assert_string_equal(q1->id, "survey_q1");
	assert_int_equal(cell(q1, "answers", "secondary"), 2);
	assert_int_equal(cell(q1, "likert_2", "secondary"), 1);
	assert_int_equal(cell(q1, "likert_4", "secondary"), 1);
	assert_int_equal(cell(q1, "likert_5", "primary"), 1);
	assert_int_equal(cell(q1, "likert_5", "total"), 1);
	assert_int_equal(cell(q1, "mean", "secondary"), 30);
	assert_int_equal(cell(q1, "mean", "primary"), 50);
	assert_int_equal(cell(q1, "mean", "total"), 37);       /* 11 / 3 = 3.67 → 3.7 */
	assert_true(cell(q1, "mean", "special") == RC_NONE);
	/* statement 2: 5, 1, 4 → 10 / 3 = 3.3 */
	assert_int_equal(cell(res.likert[1], "mean", "total"), 33);
	assert_int_equal(cell(res.likert[1], "mean", "secondary"), 30);
	/* every school, and the free text with its school */
	assert_non_null(res.schools);
	assert_int_equal(res.schools->nrows, 5);
	assert_int_equal(cell(res.schools, "school_900003", "responses"), 1);
	assert_int_equal(cell(res.schools, "school_900004", "responses"), 0);
	assert_int_equal(cell(res.schools, "school_900001", "leaders"), 1);
	assert_int_equal(res.ntexts, 2);
	assert_string_equal(res.texts[0].school, "Alpha Academy");
	assert_string_equal(res.texts[0].text, "More holiday cover");
	assert_string_equal(res.texts[1].school, "Beta Primary");
	/* filtered to secondaries */
	f = filter(false, "secondary");
	assert_int_equal(survey_results(db, &a, &f, &sv, true, &res), HE_OK);
	assert_int_equal(res.rates->ncols, 2);
	assert_int_equal(cell(res.rates, "response_rate", "total"), 1000);
	assert_int_equal(cell(res.likert[0], "mean", "total"), 30);
	assert_int_equal(res.ntexts, 1);
	arena_free(&a);
}

static void test_results_suppressed(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD);
	struct errinfo e = {0};
	struct arena a;
	arena_init(&a);
	int64_t id = answered(db);
	struct survey sv;
	struct survey_results res;
	struct report_filter f = filter(true, "");
	assert_int_equal(survey_get(db, &a, &co, id, &sv, &e), HE_OK);
	assert_int_equal(survey_results(db, &a, &f, &sv, false, &res), HE_OK);
	/* rates and means from fewer than 5 are not shown; counts stay (the printer hides 1–4) */
	assert_true(cell(res.rates, "response_rate", "secondary") == RC_SMALL_BASE);
	assert_int_equal(cell(res.rates, "response_rate", "total"), 600);   /* 5 schools */
	assert_int_equal(cell(res.rates, "schools_responded", "secondary"), 2);
	assert_true(cell(res.likert[0], "mean", "total") == RC_SMALL_BASE); /* 3 answers */
	assert_null(res.schools);
	assert_int_equal(res.ntexts, 0);
	arena_free(&a);
}

static void test_report_section(void **state)
{
	struct db *db = DB(state);
	struct scope co = fix_scope(USER_COORD);
	struct errinfo e = {0};
	struct arena a;
	arena_init(&a);
	struct rtable *t;
	struct report_filter f = filter(false, "");
	/* no survey yet: the schools, no rate, a caption saying so */
	assert_int_equal(report_survey(db, &a, &f, &t), HE_OK);
	assert_string_equal(t->id, "survey");
	assert_int_equal(cell(t, "schools", "total"), 5);
	assert_true(cell(t, "response_rate", "total") == RC_NONE);
	assert_non_null(strstr(t->caption, "No survey"));
	/* the closed one is preferred to a later open one */
	int64_t closed = answered(db);
	assert_int_equal(survey_close(db, &co, closed, 0, &e), HE_OK);
	int64_t later = mk_open(db, "Later");
	(void)later;
	assert_int_equal(report_survey(db, &a, &f, &t), HE_OK);
	assert_non_null(strstr(t->title, "Views 2026"));
	assert_int_equal(cell(t, "response_rate", "total"), 600);
	/* a period ending before any survey opened */
	f.to = date_today() - 30;
	assert_int_equal(report_survey(db, &a, &f, &t), HE_OK);
	assert_true(cell(t, "response_rate", "total") == RC_NONE);
	/* a school user's filter: its own school */
	f = filter(false, "");
	f.school_id = SCHOOL_B;
	assert_int_equal(report_survey(db, &a, &f, &t), HE_OK);
	assert_int_equal(t->ncols, 2);
	assert_int_equal(cell(t, "response_rate", "primary"), 1000);
	arena_free(&a);
}

static void test_demo(void **state)
{
	struct db *db = DB(state);
	hday today = date_today();
	assert_int_equal(demo_seed_surveys(db, &fix_who, 7, today, NULL), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM surveys WHERE status = 'closed'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM surveys WHERE status = 'open'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM survey_questions q JOIN surveys s"
				   " ON s.id = q.survey_id WHERE s.status = 'closed'"), 6);
	int64_t n = testdb_int(db, "SELECT count(*) FROM survey_responses r JOIN surveys s"
			       " ON s.id = r.survey_id WHERE s.status = 'closed'");
	assert_true(n >= 1 && n <= 5);
	/* the closed survey's days are in the past, in order */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM surveys WHERE status = 'closed'"
				   " AND opened_on < closes_on"), 1);
	assert_int_equal(demo_seed_surveys(db, &fix_who, 7, today, NULL), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM surveys"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_validation, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_versioned_edits, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_respond_rules, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_visibility, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_results_full, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_results_suppressed, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_report_section, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_demo, setup, testdb_teardown),
	};
	return cmocka_run_group_tests_name("survey", tests, NULL, NULL);
}
