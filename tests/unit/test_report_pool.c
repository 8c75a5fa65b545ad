/* test_report_pool.c — report_pool_run (core/report_pool.h) gives exactly
 * the tables that running every section in turn gives, in the registry's
 * order, for several periods and filters of the demo partnership; and it
 * does so with the pool really in use (two threads, two connections), with
 * no pool (HEARTH_REPORT_THREADS=0 or no URL), and with two reports at
 * once sharing the pool.  Runs on SQLite, and on PostgreSQL with
 * HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "core/demo_money.h"
#include "core/destination.h"
#include "core/history.h"
#include "core/survey.h"
#include "core/report.h"
#include "core/report_pool.h"
#include "store/db.h"
#include "testdb.h"

static struct testdb *shared;   /* seeded once for the whole file */

/* A new, migrated database; NULL on failure. */
static struct testdb *fresh(void)
{
	struct testdb *t = testdb_new();
	if (t && (testdb_open(t) || testdb_migrate(t))) {
		testdb_free(t);
		return NULL;
	}
	return t;
}

static int group_setup(void **state)
{
	(void)state;
	shared = fresh();
	if (!shared)
		return -1;
	struct audit_who who = {.route = "test", .role = "system", .ip = "-"};
	uint32_t seed = DEMO_SEED;
	hday today = date_today();
	int rc = demo_seed(shared->db, &who, seed, NULL);
	if (!rc)
		rc = demo_seed_pupils(shared->db, &who, seed, 1500, NULL);
	if (!rc)
		rc = demo_seed_cases(shared->db, &who, seed, today, NULL);
	if (!rc)
		rc = demo_seed_money(shared->db, &who, seed, today, NULL);
	if (!rc)
		rc = demo_seed_outcome(shared->db, &who, seed, today, NULL);
	if (!rc)
		rc = demo_seed_surveys(shared->db, &who, seed, today, NULL);
	if (!rc)
		rc = demo_seed_history(shared->db, &who, seed, today, NULL);
	if (rc) {
		fprintf(stderr, "demo seeding: %d %s\n", rc, db_errmsg(shared->db));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	report_pool_stop();
	testdb_free(shared);
	return 0;
}

/* Every table as text, cell by cell (what any output prints from). */
static void dump(struct rtable **t, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (!t[i]) {
			buf_printf(out, "[%zu] none\n", i);
			continue;
		}
		const struct rtable *x = t[i];
		buf_printf(out, "[%zu] %s|%s|%s|%s|%zu|%d|%s|%s\n", i, x->id, x->title,
			   x->caption ? x->caption : "", x->label_head ? x->label_head : "",
			   x->ncols, x->has_total, x->chart_row ? x->chart_row : "",
			   x->detail_head ? x->detail_head : "");
		for (size_t c = 0; c < x->ncols; c++)
			buf_printf(out, " col %s=%s%s", x->col_keys[c], x->cols[c],
				   x->col_kinds ? "" : "");
		buf_putc(out, '\n');
		for (size_t r = 0; r < x->nrows; r++) {
			const struct rrow *row = &x->rows[r];
			buf_printf(out, " %s|%s|%d|%d|%s:", row->key, row->label, (int)row->kind,
				   row->indent, row->detail ? row->detail : "");
			for (size_t c = 0; c < x->ncols; c++)
				buf_printf(out, " %lld", (long long)row->v[c]);
			buf_putc(out, '\n');
		}
	}
}

/* Every section in turn on db, as the report pages did before the pool. */
static void serial(struct db *db, struct arena *a, const struct report_filter *f,
		   struct rtable **t)
{
	for (size_t i = 0; i < report_nsections; i++) {
		t[i] = NULL;
		if (report_sections[i].fn)
			assert_int_equal(report_sections[i].fn(db, a, f, &t[i]), HE_OK);
	}
}

static struct report_filter filter(const char *from, const char *to, int64_t district,
				   const char *phase, bool suppress)
{
	struct report_filter f;
	memset(&f, 0, sizeof f);
	assert_true(date_parse(from, &f.from));
	assert_true(date_parse(to, &f.to));
	f.district_id = district;
	snprintf(f.phase, sizeof f.phase, "%s", phase);
	f.suppress = suppress;
	snprintf(f.period_label, sizeof f.period_label, "%s to %s", from, to);
	return f;
}

static struct report_filter filters[5];

static void make_filters(void)
{
	char from[11], to[11], year_ago[11];
	hday today = date_today();
	date_format(today - 400, from);
	date_format(today, to);
	date_format(today - 365, year_ago);
	filters[0] = filter(from, to, 0, "", false);
	filters[1] = filter(year_ago, to, 0, "", true);
	filters[2] = filter("2015-01-01", to, 0, "", false);
	filters[3] = filter(from, to, 2, "", false);
	filters[4] = filter(from, to, 0, "primary", false);
}

/* The pool's tables equal the serial ones for every filter. */
static void check_same(struct db *db, const char *url)
{
	make_filters();
	for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++) {
		struct arena a;
		arena_init(&a);
		struct rtable **one = arena_alloc(&a, report_nsections * sizeof *one);
		struct rtable **two = arena_alloc(&a, report_nsections * sizeof *two);
		serial(db, &a, &filters[k], one);
		size_t failed = 99;
		char why[256] = "";
		assert_int_equal(report_pool_run(db, url, &a, &filters[k], two, &failed, why,
						 sizeof why), HE_OK);
		struct buf x, y;
		buf_init(&x, 0);
		buf_init(&y, 0);
		dump(one, report_nsections, &x);
		dump(two, report_nsections, &y);
		assert_true(x.len > 1000);   /* real tables, not empty ones */
		if (strcmp(buf_str(&x), buf_str(&y)) != 0)
			fail_msg("filter %zu: the pool's tables differ from the serial ones", k);
		buf_free(&x);
		buf_free(&y);
		arena_free(&a);
	}
}

static void test_pool_same_tables(void **state)
{
	(void)state;
	setenv("HEARTH_REPORT_THREADS", "2", 1);
	check_same(shared->db, shared->url);
	assert_int_equal(report_pool_size(), 2);   /* the pool really ran */
	check_same(shared->db, NULL);              /* and without it, the same */
}

/* Two reports at once share the pool and each gets its own tables. */
struct twin {
	const char *url;
	struct report_filter f;
	char *text;
};

static void *twin_run(void *arg)
{
	struct twin *t = arg;
	struct db *db = NULL;
	char *msg = NULL;
	if (db_open(t->url, &db, &msg) != HE_OK) {
		free(msg);
		return NULL;
	}
	struct buf out;
	buf_init(&out, 0);
	for (int round = 0; round < 5; round++) {
		struct arena a;
		arena_init(&a);
		struct rtable **tab = arena_alloc(&a, report_nsections * sizeof *tab);
		size_t failed;
		char why[256];
		if (report_pool_run(db, t->url, &a, &t->f, tab, &failed, why, sizeof why) == HE_OK) {
			buf_free(&out);
			buf_init(&out, 0);
			dump(tab, report_nsections, &out);
		}
		arena_free(&a);
	}
	t->text = strdup(buf_str(&out));
	buf_free(&out);
	db_close(db);
	return NULL;
}

static void test_pool_two_at_once(void **state)
{
	(void)state;
	make_filters();
	struct twin tw[2] = {{shared->url, filters[0], NULL}, {shared->url, filters[3], NULL}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, twin_run, &tw[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		assert_non_null(tw[i].text);
		struct arena a;
		arena_init(&a);
		struct rtable **one = arena_alloc(&a, report_nsections * sizeof *one);
		serial(shared->db, &a, &tw[i].f, one);
		struct buf x;
		buf_init(&x, 0);
		dump(one, report_nsections, &x);
		assert_string_equal(tw[i].text, buf_str(&x));
		buf_free(&x);
		arena_free(&a);
		free(tw[i].text);
	}
}

/* A section that fails names itself: the pool reports the failure of the
 * database it ran on (here every connection's, after the schema lost a
 * table the reports read). */
static void test_pool_failure_named(void **state)
{
	(void)state;
	make_filters();
	struct testdb *t = fresh();
	assert_non_null(t);
	testdb_raw_exec(t, "DROP TABLE survey_answers; DROP TABLE survey_responses");
	struct arena a;
	arena_init(&a);
	struct rtable **tab = arena_alloc(&a, report_nsections * sizeof *tab);
	size_t failed = 99;
	char why[256] = "";
	int rc = report_pool_run(t->db, NULL, &a, &filters[0], tab, &failed, why, sizeof why);
	assert_int_not_equal(rc, HE_OK);
	assert_true(failed < report_nsections);
	assert_string_equal(report_sections[failed].id, "survey");
	assert_non_null(strstr(why, "survey_"));
	arena_free(&a);
	testdb_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_same_tables),
		cmocka_unit_test(test_pool_two_at_once),
		cmocka_unit_test(test_pool_failure_named),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
