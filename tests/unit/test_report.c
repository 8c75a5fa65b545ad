/* test_report.c — unit tests for the impact reports' framework:
 * src/core/report.c (the table model, the filter and its scope, the
 * months of a period) and the printers of src/web/report_out.c (cell
 * text, JSON, CSV, HTML with its chart, XLSX) on tables built directly,
 * so these tests are about the framework alone, whatever sections the
 * registry holds.
 *
 * Suppression is the point of several tests: for the viewer a count of
 * 1–4 must print "fewer than 5" in every output (and draw no bar), a zero
 * stays 0, money is never suppressed, and a RC_SMALL_BASE cell never shows
 * a number.  Runs on SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/report.h"
#include "core/scope.h"
#include "store/db.h"
#include "web/http.h"
#include "web/report_out.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

static struct scope role_scope(enum role role, int64_t school)
{
	struct scope s = {0};
	s.caps = caps_for_role(role);
	s.user_id = 99;
	s.school_id = school;
	s.who = &fix_who;
	return s;
}

static hday day(const char *s)
{
	hday d = 0;
	assert_true(date_parse(s, &d));
	return d;
}

static int filter(struct db *db, const struct scope *s, const char *period, const char *year,
		  const char *from, const char *to, struct report_filter *f, struct errinfo *e)
{
	struct report_inputs in = {period, year, from, to, NULL, NULL, NULL};
	*e = (struct errinfo){0};
	return report_filter_from(db, s, &in, f, e);
}

/* ---- the table model -------------------------------------------------------------- */

static void test_rtable(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	char head[] = "Apr 2025";
	const char *cols[] = {head, "May 2025", "Total"};
	const char *keys[] = {"2025-04", "2025-05", "total"};
	struct rtable *t = rtable_new(&a, "activity", "Activity by month", "Counts.", "Measure",
				      3, cols, keys, true);
	head[0] = 'X';   /* headings were copied */
	assert_string_equal(t->cols[0], "Apr 2025");
	assert_string_equal(t->col_keys[2], "total");
	assert_true(t->has_total);
	assert_int_equal(t->nrows, 0);
	char key[32], label[32];
	for (int i = 0; i < 40; i++) {   /* past the first growth of the rows */
		snprintf(key, sizeof key, "row_%d", i);
		snprintf(label, sizeof label, "Row %d", i);
		int64_t *v = rtable_row(&a, t, key, label, i % 2 ? RC_PENCE : RC_COUNT, i % 3 == 0);
		assert_int_equal(v[0], 0);
		assert_int_equal(v[2], 0);
		v[0] = i;
		v[2] = i * 100;
	}
	assert_int_equal(t->nrows, 40);
	struct rrow *w = rtable_find(t, "row_17");
	assert_non_null(w);
	assert_string_equal(w->label, "Row 17");
	assert_int_equal(w->kind, RC_PENCE);
	assert_int_equal(w->v[0], 17);
	assert_int_equal(w->v[2], 1700);
	assert_int_equal(rtable_find(t, "row_0")->indent, 1);
	assert_null(rtable_find(t, "row_40"));
	/* keys default to the headings */
	struct rtable *u = rtable_new(&a, "x", "X", NULL, NULL, 2, keys, NULL, false);
	assert_string_equal(u->col_keys[1], "2025-05");
	assert_string_equal(u->label_head, "Measure");
	assert_string_equal(u->caption, "");
	arena_free(&a);
}

/* ---- periods -------------------------------------------------------------------------- */

static void test_periods(void **state)
{
	struct db *db = DB(state);
	struct scope s = role_scope(ROLE_COORDINATOR, 0);
	struct report_filter f;
	struct errinfo e;
	assert_int_equal(filter(db, &s, "financial", "2025", NULL, NULL, &f, &e), HE_OK);
	assert_int_equal(f.from, day("2025-04-01"));
	assert_int_equal(f.to, day("2026-03-31"));
	assert_string_equal(f.period_label, "1 April 2025 to 31 March 2026");
	assert_false(f.suppress);
	assert_int_equal(f.school_id, 0);
	assert_int_equal(filter(db, &s, "academic", "2024", NULL, NULL, &f, &e), HE_OK);
	assert_int_equal(f.from, day("2024-09-01"));
	assert_int_equal(f.to, day("2025-08-31"));
	assert_string_equal(f.period_label, "1 September 2024 to 31 August 2025");
	assert_int_equal(filter(db, &s, "custom", "", "2016-02-29", "2026-02-28", &f, &e), HE_OK);
	assert_int_equal(f.from, day("2016-02-29"));
	assert_int_equal(f.to, day("2026-02-28"));
	/* the default: the twelve months ending with this one */
	int y, m, d;
	date_to_ymd(date_today(), &y, &m, &d);
	assert_int_equal(filter(db, &s, NULL, NULL, NULL, NULL, &f, &e), HE_OK);
	int fy = m == 12 ? y : y - 1, fm = m == 12 ? 1 : m + 1;
	assert_int_equal(f.from, date_from_ymd(fy, fm, 1));
	assert_int_equal(f.to, (m == 12 ? date_from_ymd(y + 1, 1, 1) : date_from_ymd(y, m + 1, 1)) - 1);
	struct report_filter g;
	assert_int_equal(filter(db, &s, "month", NULL, NULL, NULL, &g, &e), HE_OK);
	assert_int_equal(g.from, f.from);
	assert_int_equal(g.to, f.to);
	/* a financial year without a year: the one containing today */
	assert_int_equal(filter(db, &s, "financial", "", NULL, NULL, &f, &e), HE_OK);
	assert_int_equal(f.from, date_from_ymd(financial_year(date_today()), 4, 1));
}

static void test_period_errors(void **state)
{
	struct db *db = DB(state);
	struct scope s = role_scope(ROLE_COORDINATOR, 0);
	struct report_filter f;
	struct errinfo e;
	assert_int_equal(filter(db, &s, "weekly", NULL, NULL, NULL, &f, &e), HE_INVALID);
	assert_string_equal(e.field, "period");
	assert_int_equal(filter(db, &s, "financial", "1999", NULL, NULL, &f, &e), HE_INVALID);
	assert_string_equal(e.field, "year");
	assert_int_equal(filter(db, &s, "academic", "20x5", NULL, NULL, &f, &e), HE_INVALID);
	assert_string_equal(e.field, "year");
	assert_int_equal(filter(db, &s, "custom", NULL, NULL, "2025-01-01", &f, &e), HE_MISSING);
	assert_string_equal(e.field, "from");
	assert_int_equal(filter(db, &s, "custom", NULL, "2025-02-30", "2025-03-01", &f, &e), HE_INVALID);
	assert_string_equal(e.field, "from");
	assert_int_equal(filter(db, &s, "custom", NULL, "2025-02-01", NULL, &f, &e), HE_MISSING);
	assert_string_equal(e.field, "to");
	assert_int_equal(filter(db, &s, "custom", NULL, "2025-02-01", "2025-01-31", &f, &e), HE_INVALID);
	assert_string_equal(e.field, "to");
	/* at most 240 months */
	assert_int_equal(filter(db, &s, "custom", NULL, "2000-01-01", "2020-01-01", &f, &e), HE_INVALID);
	assert_string_equal(e.field, "to");
	assert_int_equal(filter(db, &s, "custom", NULL, "2000-01-01", "2019-12-31", &f, &e), HE_OK);
}

static void test_places(void **state)
{
	struct db *db = DB(state);
	struct scope s = role_scope(ROLE_COORDINATOR, 0);
	struct report_filter f;
	struct errinfo e = {0};
	struct report_inputs in = {"financial", "2025", NULL, NULL, "1", "2", "primary"};
	assert_int_equal(report_filter_from(db, &s, &in, &f, &e), HE_OK);
	assert_int_equal(f.district_id, 1);
	assert_int_equal(f.school_id, 2);
	assert_string_equal(f.phase, "primary");
	static const struct { struct report_inputs in; const char *field; } bad[] = {
		{{NULL, NULL, NULL, NULL, "99", NULL, NULL}, "district"},
		{{NULL, NULL, NULL, NULL, "-1", NULL, NULL}, "district"},
		{{NULL, NULL, NULL, NULL, NULL, "abc", NULL}, "school"},
		{{NULL, NULL, NULL, NULL, NULL, "4", NULL}, "school"},
		{{NULL, NULL, NULL, NULL, NULL, NULL, "grammar"}, "phase"},
		{{NULL, NULL, NULL, NULL, NULL, NULL, "primaryprimaryprimary"}, "phase"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = (struct errinfo){0};
		assert_int_equal(report_filter_from(db, &s, &bad[i].in, &f, &e), HE_INVALID);
		assert_string_equal(e.field, bad[i].field);
	}
}

/* ---- scope --------------------------------------------------------------------------------- */

static void test_scope(void **state)
{
	struct db *db = DB(state);
	struct report_filter f;
	struct errinfo e = {0};
	struct report_inputs mine = {NULL, NULL, NULL, NULL, NULL, "1", NULL};
	struct report_inputs other = {NULL, NULL, NULL, NULL, NULL, "2", NULL};
	struct report_inputs any = {0};
	/* a school user: held to its own school, nothing suppressed */
	struct scope sa = fix_scope(USER_A);
	assert_int_equal(report_filter_from(db, &sa, &any, &f, &e), HE_OK);
	assert_int_equal(f.school_id, SCHOOL_A);
	assert_false(f.suppress);
	assert_int_equal(report_filter_from(db, &sa, &mine, &f, &e), HE_OK);
	assert_int_equal(f.school_id, SCHOOL_A);
	assert_int_equal(report_filter_from(db, &sa, &other, &f, &e), HE_FORBIDDEN);
	assert_string_equal(e.field, "school");
	/* the viewer: any school, suppressed */
	struct scope v = role_scope(ROLE_VIEWER, 0);
	assert_int_equal(report_filter_from(db, &v, &other, &f, &e), HE_OK);
	assert_int_equal(f.school_id, SCHOOL_B);
	assert_true(f.suppress);
	/* admin and coordinator: everything, unsuppressed */
	struct scope ad = role_scope(ROLE_ADMIN, 0);
	assert_int_equal(report_filter_from(db, &ad, &other, &f, &e), HE_OK);
	assert_false(f.suppress);
	assert_int_equal(f.school_id, SCHOOL_B);
	/* no report capability at all */
	struct scope w = fix_scope(USER_WORKER);
	e = (struct errinfo){0};
	assert_int_equal(report_filter_from(db, &w, &any, &f, &e), HE_FORBIDDEN);
	struct scope au = role_scope(ROLE_AUDITOR, 0);
	assert_int_equal(report_filter_from(db, &au, &any, &f, &e), HE_FORBIDDEN);
	/* the filter reads; the page that shows the figures audits */
	assert_int_equal(fix_int(db, "SELECT count(*) FROM audit_log WHERE :id = :id", 0), 0);
}

static void test_months(void **state)
{
	struct db *db = DB(state);
	struct scope s = role_scope(ROLE_COORDINATOR, 0);
	struct report_filter f;
	struct errinfo e;
	hday m[240];
	size_t n;
	assert_int_equal(filter(db, &s, "financial", "2025", NULL, NULL, &f, &e), HE_OK);
	report_months(&f, m, 240, &n);
	assert_int_equal(n, 12);
	assert_int_equal(m[0], day("2025-04-01"));
	assert_int_equal(m[9], day("2026-01-01"));
	assert_int_equal(m[11], day("2026-03-01"));
	assert_int_equal(filter(db, &s, "custom", NULL, "2025-01-15", "2025-03-02", &f, &e), HE_OK);
	report_months(&f, m, 240, &n);
	assert_int_equal(n, 3);
	assert_int_equal(m[0], day("2025-01-01"));
	assert_int_equal(m[2], day("2025-03-01"));
	report_months(&f, m, 2, &n);   /* no more than max */
	assert_int_equal(n, 2);
	assert_int_equal(filter(db, &s, "custom", NULL, "2006-04-01", "2026-03-31", &f, &e), HE_OK);
	report_months(&f, m, 240, &n);
	assert_int_equal(n, 240);
	assert_int_equal(m[239], day("2026-03-01"));
}

/* ---- the printers ---------------------------------------------------------------------------- */

struct fixture_req {
	struct req r;
	struct arena a;
	struct rtable *t;
};

/* A table with every kind of cell: columns Jan, Feb, Total. */
static struct rtable *sample(struct arena *a)
{
	const char *cols[] = {"Jan 2026", "Feb 2026", "Total"};
	const char *keys[] = {"2026-01", "2026-02", "total"};
	struct rtable *t = rtable_new(a, "sample", "Sample table", "What it counts.", "Measure", 3,
				      cols, keys, true);
	t->chart_row = "referrals";
	int64_t *v = rtable_row(a, t, "referrals", "Referrals received", RC_COUNT, 0);
	v[0] = 3; v[1] = 0; v[2] = 1234567;
	v = rtable_row(a, t, "referrals_school", "From schools", RC_COUNT, 1);
	v[0] = 4; v[1] = 5; v[2] = 9;
	v = rtable_row(a, t, "cost", "Money spent", RC_PENCE, 0);
	v[0] = 123456; v[1] = 2; v[2] = 123458;
	v = rtable_row(a, t, "share", "Share from schools", RC_PERMILLE, 0);
	v[0] = 157; v[1] = RC_SMALL_BASE; v[2] = 1000;
	v = rtable_row(a, t, "median_days", "Median days", RC_DAYS, 0);
	v[0] = RC_NONE; v[1] = 12; v[2] = 12;
	v = rtable_row(a, t, "score", "Average score", RC_TENTHS, 0);
	v[0] = 37; v[1] = -5; v[2] = 16;
	return t;
}

static void req_open(struct req *r, struct db *db)
{
	memset(r, 0, sizeof *r);
	arena_init(&r->arena);
	buf_init(&r->out, 0);
	r->db = db;
}

static void req_close(struct req *r)
{
	buf_free(&r->out);
	arena_free(&r->arena);
}

static void test_cell_text(void **state)
{
	struct req r;
	req_open(&r, DB(state));
	struct report_filter all = {0}, agg = {.suppress = true};
	assert_string_equal(report_cell_text(&r, RC_COUNT, 3, &all), "3");
	assert_string_equal(report_cell_text(&r, RC_COUNT, 3, &agg), "fewer than 5");
	assert_string_equal(report_cell_text(&r, RC_COUNT, 1, &agg), "fewer than 5");
	assert_string_equal(report_cell_text(&r, RC_COUNT, 4, &agg), "fewer than 5");
	assert_string_equal(report_cell_text(&r, RC_COUNT, 5, &agg), "5");
	assert_string_equal(report_cell_text(&r, RC_COUNT, 0, &agg), "0");
	assert_string_equal(report_cell_text(&r, RC_COUNT, 1234567, &agg), "1,234,567");
	assert_string_equal(report_cell_text(&r, RC_COUNT, -1234, &all), "-1,234");
	assert_string_equal(report_cell_text(&r, RC_PENCE, 3, &agg), "£0.03");   /* never suppressed */
	assert_string_equal(report_cell_text(&r, RC_PENCE, 123456, &all), "£1,234.56");
	assert_string_equal(report_cell_text(&r, RC_PERMILLE, 157, &all), "15.7%");
	assert_string_equal(report_cell_text(&r, RC_PERMILLE, 2, &agg), "0.2%");
	assert_string_equal(report_cell_text(&r, RC_TENTHS, 37, &all), "3.7");
	assert_string_equal(report_cell_text(&r, RC_TENTHS, -5, &all), "-0.5");
	assert_string_equal(report_cell_text(&r, RC_DAYS, 3, &agg), "3");
	assert_string_equal(report_cell_text(&r, RC_DAYS, RC_NONE, &agg), "–");
	assert_string_equal(report_cell_text(&r, RC_DAYS, RC_SMALL_BASE, &agg), "fewer than 5");
	assert_string_equal(report_cell_text(&r, RC_DAYS, RC_SMALL_BASE, &all), "–");
	req_close(&r);
}

static json_t *row_values(json_t *doc, const char *table, size_t row)
{
	json_t *rows = json_object_get(json_object_get(json_object_get(doc, "tables"), table), "rows");
	return json_object_get(json_array_get(rows, row), "values");
}

static void test_json(void **state)
{
	struct req r;
	req_open(&r, DB(state));
	struct rtable *t = sample(&r.arena);
	struct report_filter f = {.district_id = 1, .suppress = true};
	f.from = day("2026-01-01");
	f.to = day("2026-02-28");
	snprintf(f.period_label, sizeof f.period_label, "1 January 2026 to 28 February 2026");
	report_json(&r, &t, 1, &f);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	json_error_t je;
	json_t *doc = json_loads(buf_str(&r.out), 0, &je);
	assert_non_null(doc);
	json_t *fl = json_object_get(doc, "filter");
	assert_string_equal(json_string_value(json_object_get(fl, "from")), "2026-01-01");
	assert_string_equal(json_string_value(json_object_get(fl, "to")), "2026-02-28");
	assert_int_equal(json_integer_value(json_object_get(fl, "district")), 1);
	assert_true(json_is_null(json_object_get(fl, "school")));
	assert_true(json_is_true(json_object_get(fl, "suppressed")));
	assert_string_equal(json_string_value(json_object_get(fl, "description")),
			    "1 January 2026 to 28 February 2026; Belgrave; all school phases; all schools");
	json_t *st = json_object_get(json_object_get(doc, "tables"), "sample");
	assert_string_equal(json_string_value(json_object_get(st, "title")), "Sample table");
	assert_string_equal(json_string_value(json_array_get(json_object_get(st, "columns"), 2)), "total");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(st, "rows"), 2),
			    "kind")), "pence");
	json_t *v = row_values(doc, "sample", 0);
	assert_string_equal(json_string_value(json_object_get(v, "2026-01")), "fewer than 5");
	assert_int_equal(json_integer_value(json_object_get(v, "2026-02")), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "total")), 1234567);
	v = row_values(doc, "sample", 2);
	assert_int_equal(json_integer_value(json_object_get(v, "2026-02")), 2);   /* pence: never */
	v = row_values(doc, "sample", 3);
	assert_int_equal(json_integer_value(json_object_get(v, "2026-01")), 157);
	assert_string_equal(json_string_value(json_object_get(v, "2026-02")), "fewer than 5");
	v = row_values(doc, "sample", 4);
	assert_true(json_is_null(json_object_get(v, "2026-01")));
	json_decref(doc);
	/* unsuppressed: the true values; a small base is null */
	f.suppress = false;
	report_json(&r, &t, 1, &f);
	doc = json_loads(buf_str(&r.out), 0, &je);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(row_values(doc, "sample", 0), "2026-01")), 3);
	assert_true(json_is_null(json_object_get(row_values(doc, "sample", 3), "2026-02")));
	json_decref(doc);
	req_close(&r);
}

static void test_csv(void **state)
{
	struct req r;
	req_open(&r, DB(state));
	struct rtable *t = sample(&r.arena);
	struct report_filter f = {.suppress = true};
	report_csv(&r, t, &f);
	assert_string_equal(r.content_type, "text/csv; charset=utf-8");
	assert_string_equal(r.hname[0], "Content-Disposition");
	assert_string_equal(r.hvalue[0], "attachment; filename=\"sample.csv\"");
	const char *csv = buf_str(&r.out);
	assert_non_null(strstr(csv, "\"Measure\",\"Key\",\"Jan 2026\",\"Feb 2026\",\"Total\"\r\n"));
	assert_non_null(strstr(csv, "\r\n\"Referrals received\",\"referrals\",\"fewer than 5\",0,1234567\r\n"));
	assert_non_null(strstr(csv, "\r\n\"From schools\",\"referrals_school\",\"fewer than 5\",5,9\r\n"));
	assert_non_null(strstr(csv, "\r\n\"Money spent\",\"cost\",1234.56,0.02,1234.58\r\n"));
	assert_non_null(strstr(csv, "\r\n\"Share from schools\",\"share\",15.7,\"fewer than 5\",100.0\r\n"));
	assert_non_null(strstr(csv, "\r\n\"Median days\",\"median_days\",\"\",12,12\r\n"));
	assert_non_null(strstr(csv, "\r\n\"Average score\",\"score\",3.7,-0.5,1.6\r\n"));
	f.suppress = false;
	r.nheaders = 0;
	report_csv(&r, t, &f);
	assert_non_null(strstr(buf_str(&r.out), "\r\n\"Referrals received\",\"referrals\",3,0,1234567\r\n"));
	assert_non_null(strstr(buf_str(&r.out), "\r\n\"Share from schools\",\"share\",15.7,\"\",100.0\r\n"));
	req_close(&r);
}

static void test_html(void **state)
{
	struct req r;
	req_open(&r, DB(state));
	struct rtable *t = sample(&r.arena);
	struct report_filter f = {.suppress = true};
	report_html_table(&r, t, &f);
	const char *h = buf_str(&r.out);
	assert_non_null(strstr(h, "<section class=\"hearth-report\" id=\"report-sample\""));
	assert_non_null(strstr(h, "id=\"sample--referrals--2026-01\">fewer than 5</td>"));
	assert_non_null(strstr(h, "id=\"sample--referrals--2026-02\">0</td>"));
	assert_non_null(strstr(h, "govuk-!-font-weight-bold\" id=\"sample--referrals--total\">1,234,567</td>"));
	assert_non_null(strstr(h, "id=\"sample--cost--2026-01\">£1,234.56</td>"));
	assert_non_null(strstr(h, "id=\"sample--share--2026-02\">fewer than 5</td>"));
	assert_non_null(strstr(h, "id=\"sample--median_days--2026-01\">–</td>"));
	/* a breakdown row is indented */
	assert_non_null(strstr(h, "govuk-!-padding-left-6 govuk-!-font-weight-regular\">From schools</th>"));
	/* the chart: of the referrals row, without the total column or the hidden 3 */
	const char *svg = strstr(h, "<svg"), *end = strstr(h, "</svg>");
	assert_non_null(svg);
	assert_non_null(end);
	assert_true(svg < strstr(h, "<table"));
	char *chart = arena_strndup(&r.arena, svg, (size_t)(end - svg));
	assert_non_null(strstr(chart, "Jan 2026"));
	assert_null(strstr(chart, "Total"));
	assert_null(strstr(chart, ">3<"));
	/* an empty table says so */
	buf_reset(&r.out);
	const char *cols[] = {"A"};
	struct rtable *e = rtable_new(&r.arena, "empty", "Empty", "", "Measure", 1, cols, cols, false);
	report_html_table(&r, e, &f);
	assert_non_null(strstr(buf_str(&r.out), "id=\"report-empty-empty\">Nothing to show"));
	req_close(&r);
}

static void test_xlsx(void **state)
{
	struct req r;
	req_open(&r, DB(state));
	struct rtable *t[2] = {sample(&r.arena), sample(&r.arena)};   /* same id: two sheets */
	struct report_filter f = {.suppress = true};
	snprintf(f.period_label, sizeof f.period_label, "1 January 2026 to 28 February 2026");
	assert_int_equal(report_xlsx(&r, t, 2, &f, "schools forum"), HE_OK);
	assert_string_equal(r.content_type,
			    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	assert_string_equal(r.hvalue[0], "attachment; filename=\"schools_forum.xlsx\"");
	assert_true(r.out.len > 1000);
	assert_memory_equal(r.out.data, "PK\x03\x04", 4);
	req_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtable),
		cmocka_unit_test_setup_teardown(test_periods, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_period_errors, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_places, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_scope, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_months, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_cell_text, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_json, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_csv, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_html, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_xlsx, fix_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
