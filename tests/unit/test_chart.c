/* test_chart.c — unit tests for src/web/chart.c: the SVG is labelled for
 * assistive technology (role="img", <title>, <desc>, aria-labelledby), uses
 * presentation attributes only (no style), draws one outlined bar per
 * value with its length in proportion to the scale, writes each value as
 * text, leaves out missing values, escapes every label, wraps long labels,
 * and the table repeats the same numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "web/chart.h"

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static const char *const labels[] = {"Health", "Housing <& rent>", "Family's social integration and community resources"};
static const struct chart_series series[] = {{"First", NULL}, {"Latest", "#f47738"}};
static const double values[] = {3, 7, 2, -1, 5, 10};

static struct chart sample(void)
{
	struct chart c = {
		.id = "dt", .title = "Distance travelled", .desc = "Scores out of 10 <first> and latest",
		.label_head = "Area", .labels = labels, .nlabels = 3, .series = series, .nseries = 2,
		.values = values, .max = 10, .ticks = 5, .unit = "",
	};
	return c;
}

static void test_hbars_accessible(void **state)
{
	(void)state;
	struct buf b;
	struct chart c = sample();
	buf_init(&b, 1 << 20);
	chart_hbars(&b, &c);
	const char *s = buf_str(&b);
	assert_true(strncmp(s, "<svg ", 5) == 0);
	assert_non_null(strstr(s, "role=\"img\""));
	assert_non_null(strstr(s, "aria-labelledby=\"dt-title dt-desc\""));
	assert_non_null(strstr(s, "<title id=\"dt-title\">Distance travelled</title>"));
	assert_non_null(strstr(s, "<desc id=\"dt-desc\">Scores out of 10 &lt;first&gt; and latest</desc>"));
	assert_null(strstr(s, "style"));
	assert_null(strstr(s, "<script"));
	assert_non_null(strstr(s, "Housing &lt;&amp; rent&gt;"));
	assert_null(strstr(s, "<& rent>"));
	assert_true(strcmp(s + strlen(s) - 6, "</svg>") == 0);
	buf_free(&b);
}

static void test_hbars_geometry(void **state)
{
	(void)state;
	struct buf b;
	struct chart c = sample();
	buf_init(&b, 1 << 20);
	chart_hbars(&b, &c);
	const char *s = buf_str(&b);
	/* 5 values present (one missing) + 2 legend swatches */
	assert_int_equal(occurrences(s, "<rect "), 7);
	assert_int_equal(occurrences(s, "stroke=\"#0b0c0c\""), 7 + 1);   /* + the axis line */
	/* the plot is 340 wide: 10 → 340, 5 → 170, 3 → 102 */
	assert_non_null(strstr(s, "width=\"340\""));
	assert_non_null(strstr(s, "width=\"170\""));
	assert_non_null(strstr(s, "width=\"102\""));
	/* the series' colours: given, and from the palette */
	assert_non_null(strstr(s, "fill=\"#f47738\""));
	assert_non_null(strstr(s, "fill=\"#1d70b8\""));
	/* the missing value is written as a dash */
	assert_non_null(strstr(s, ">–</text>"));
	/* a long label is wrapped onto two lines */
	assert_non_null(strstr(s, "<tspan"));
	assert_non_null(strstr(s, ">Family&#39;s social integration and</tspan>"));
	/* grid ticks 0, 2, 4, 6, 8, 10 */
	assert_non_null(strstr(s, ">8</text>"));
	buf_free(&b);
}

static void test_table(void **state)
{
	(void)state;
	struct buf b;
	struct chart c = sample();
	buf_init(&b, 1 << 20);
	chart_table(&b, &c, NULL);
	const char *s = buf_str(&b);
	assert_non_null(strstr(s, "<caption class=\"govuk-table__caption govuk-table__caption--s\">Distance travelled</caption>"));
	assert_non_null(strstr(s, ">Area</th>"));
	assert_non_null(strstr(s, ">First</th>"));
	assert_non_null(strstr(s, ">Latest</th>"));
	assert_int_equal(occurrences(s, "<th scope=\"row\""), 3);
	assert_int_equal(occurrences(s, "<td "), 6);
	assert_non_null(strstr(s, "Housing &lt;&amp; rent&gt;</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">2</td>"
		"<td class=\"govuk-table__cell govuk-table__cell--numeric\">–</td>"));
	buf_reset(&b);
	chart_table(&b, &c, "In figures");
	assert_non_null(strstr(buf_str(&b), ">In figures</caption>"));
	buf_free(&b);
}

static void test_columns_and_scale(void **state)
{
	(void)state;
	struct buf b;
	static const char *const months[] = {"Jan", "Feb"};
	static const struct chart_series one[] = {{"Referrals", NULL}};
	static const double v[] = {40, 20.5};
	struct chart c = {
		.id = "m", .title = "Referrals by month", .desc = "Two months", .labels = months, .nlabels = 2,
		.series = one, .nseries = 1, .values = v, .unit = "%",
	};
	buf_init(&b, 1 << 20);
	chart_columns(&b, &c);
	const char *s = buf_str(&b);
	assert_non_null(strstr(s, "role=\"img\""));
	assert_int_equal(occurrences(s, "<rect "), 3);
	/* max 0: the largest value is the top of the scale (200 high) */
	assert_non_null(strstr(s, "height=\"200\""));
	assert_non_null(strstr(s, ">40%</text>"));
	assert_non_null(strstr(s, ">20.5%</text>"));
	assert_null(strstr(s, "style"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hbars_accessible),
		cmocka_unit_test(test_hbars_geometry),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_columns_and_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
