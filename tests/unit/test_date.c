/* test_date.c — unit tests for src/base/date.c: parsing, day numbers,
 * weekdays, academic and financial years, ages and NC year groups, Easter
 * and terms, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/date.h"

static hday ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static void expect_parse(const char *s, int y, int m, int d)
{
	hday day = -99999;
	if (!date_parse(s, &day))
		fail_msg("date_parse(\"%s\") refused a valid date", s);
	if (day != ymd(y, m, d))
		fail_msg("date_parse(\"%s\") = %d, want %d", s, (int)day, (int)ymd(y, m, d));
}

static void expect_no_parse(const char *s)
{
	hday day = 12345;
	if (date_parse(s, &day))
		fail_msg("date_parse(\"%s\") accepted an invalid date", s ? s : "(null)");
	if (day != 12345)
		fail_msg("date_parse(\"%s\") wrote *out on failure", s ? s : "(null)");
}

static void test_parse_valid(void **state)
{
	(void)state;
	expect_parse("2025-09-01", 2025, 9, 1);
	expect_parse("01/09/2025", 2025, 9, 1);
	expect_parse("2024-02-29", 2024, 2, 29);
	expect_parse("29/02/2024", 2024, 2, 29);
	expect_parse("2000-02-29", 2000, 2, 29);  /* divisible by 400: leap */
	expect_parse("1900-01-01", 1900, 1, 1);
	expect_parse("2199-12-31", 2199, 12, 31);
	expect_parse("31/12/2199", 2199, 12, 31);
	expect_parse("1970-01-01", 1970, 1, 1);
	expect_parse("2023-04-30", 2023, 4, 30);
	expect_parse("31/01/2010", 2010, 1, 31);
}

static void test_parse_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"2023-02-29",   /* not a leap year */
		"1900-02-29",   /* divisible by 100, not 400 */
		"2100-02-29",
		"2024-02-30",
		"2024-04-31",
		"31/04/2024",
		"32/01/2024",
		"2024-13-01",
		"2024-00-10",
		"2024-01-00",
		"00/01/2024",
		"01/13/2024",   /* US order is not accepted */
		"1899-12-31",   /* before 1900 */
		"2200-01-01",   /* after 2199 */
		"31/12/1899",
		"0000-01-01",
		"2024-1-01",    /* not zero padded */
		"2024-01-1",
		"1/9/2025",
		"01/9/2025",
		"1/09/2025",
		"01/09/25",     /* two-digit year */
		"2024-01-01 ",  /* trailing text */
		"2024-01-01x",
		"2024-01-01T00:00:00Z",
		"2024-01-01\n",
		" 2024-01-01",  /* leading text */
		"2024/01/01",   /* wrong separators */
		"01-09-2025",
		"01.09.2025",
		"2024-01/01",
		"20240101",
		"2024-0a-01",
		"+024-01-01",
		"-024-01-01",
		"2024--1-01",
		"2024-01-0\xff",
		"",
		"2024",
		"today",
		NULL,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_no_parse(bad[i]);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(date_valid(2024, 2, 29));
	assert_false(date_valid(2023, 2, 29));
	assert_true(date_valid(2000, 2, 29));
	assert_false(date_valid(1900, 2, 29));
	assert_false(date_valid(2024, 6, 31));
	assert_true(date_valid(2024, 7, 31));
	assert_false(date_valid(2024, 0, 1));
	assert_false(date_valid(2024, 13, 1));
	assert_false(date_valid(2024, 1, 0));
	assert_false(date_valid(2024, 1, 32));
	assert_false(date_valid(1899, 12, 31));
	assert_false(date_valid(2200, 1, 1));
	assert_false(date_valid(-1, 1, 1));
}

static void test_day_numbers(void **state)
{
	(void)state;
	assert_int_equal(ymd(1970, 1, 1), 0);
	assert_int_equal(ymd(1970, 1, 2), 1);
	assert_int_equal(ymd(1969, 12, 31), -1);
	assert_int_equal(ymd(2000, 1, 1), 10957);
	assert_int_equal(ymd(2000, 3, 1), 11017);
	assert_int_equal(ymd(1900, 1, 1), -25567);
	assert_int_equal(ymd(2038, 1, 19), 24855);
	assert_int_equal(ymd(2199, 12, 31), 84005);
	/* Differences are plain arithmetic. */
	assert_int_equal(ymd(2024, 3, 1) - ymd(2024, 2, 28), 2);
	assert_int_equal(ymd(2023, 3, 1) - ymd(2023, 2, 28), 1);
	assert_int_equal(ymd(2025, 1, 1) - ymd(2024, 1, 1), 366);
}

/* Walk every day from 1900-01-01 to 2199-12-31 with a naive calendar and
 * check both directions of the conversion, date_format and date_parse. */
static void test_every_day_round_trips(void **state)
{
	(void)state;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	hday day = ymd(1900, 1, 1);
	int count = 0;
	for (int y = 1900; y <= 2199; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		for (int m = 1; m <= 12; m++) {
			int md = m == 2 && leap ? 29 : mdays[m - 1];
			for (int d = 1; d <= md; d++, day++, count++) {
				int yy, mm, dd;
				char s[11], want[32], uk[32];
				if (date_from_ymd(y, m, d) != day)
					fail_msg("date_from_ymd(%d,%d,%d) != %d", y, m, d, (int)day);
				date_to_ymd(day, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					fail_msg("date_to_ymd(%d) = %d-%d-%d", (int)day, yy, mm, dd);
				assert_true(date_valid(y, m, d));
				date_format(day, s);
				snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
				assert_string_equal(s, want);
				hday back;
				assert_true(date_parse(s, &back));
				assert_int_equal(back, day);
				snprintf(uk, sizeof uk, "%02d/%02d/%04d", d, m, y);
				assert_true(date_parse(uk, &back));
				assert_int_equal(back, day);
			}
			assert_false(date_valid(y, m, md + 1));
		}
	}
	assert_int_equal(count, 300 * 365 + 73);  /* 73 leap years in 1900–2199 */
}

static void test_format(void **state)
{
	(void)state;
	char s[11];
	date_format(0, s);
	assert_string_equal(s, "1970-01-01");
	date_format(ymd(2025, 9, 1), s);
	assert_string_equal(s, "2025-09-01");
	date_format(-1, s);
	assert_string_equal(s, "1969-12-31");
	date_format(ymd(1900, 1, 1), s);
	assert_string_equal(s, "1900-01-01");
}

static void test_weekday(void **state)
{
	(void)state;
	assert_int_equal(date_weekday(ymd(1970, 1, 1)), 3);   /* Thursday */
	assert_int_equal(date_weekday(ymd(1969, 12, 31)), 2); /* Wednesday */
	assert_int_equal(date_weekday(ymd(2025, 9, 1)), 0);   /* Monday */
	assert_int_equal(date_weekday(ymd(2000, 1, 1)), 5);   /* Saturday */
	assert_int_equal(date_weekday(ymd(1900, 1, 1)), 0);   /* Monday */
	assert_int_equal(date_weekday(ymd(2024, 12, 25)), 2); /* Wednesday */
	assert_int_equal(date_weekday(ymd(2026, 4, 5)), 6);   /* Easter Sunday */
	/* Agrees with the C library for a run of days either side of 1970. */
	for (hday d = -4000; d < 4000; d += 13) {
		time_t t = (time_t)d * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		assert_int_equal(date_weekday(d), (tm.tm_wday + 6) % 7);
	}
}

static void test_today(void **state)
{
	(void)state;
	time_t before = time(NULL);
	hday today = date_today();
	time_t after = time(NULL);
	assert_true(today >= (hday)(before / 86400));
	assert_true(today <= (hday)(after / 86400));
	assert_true(today > ymd(2024, 1, 1));
}

static void test_academic_year(void **state)
{
	(void)state;
	assert_int_equal(academic_year(ymd(2025, 10, 1)), 2025);
	assert_int_equal(academic_year(ymd(2026, 8, 31)), 2025);
	assert_int_equal(academic_year(ymd(2025, 9, 1)), 2025);
	assert_int_equal(academic_year(ymd(2025, 8, 31)), 2024);
	assert_int_equal(academic_year(ymd(2026, 1, 1)), 2025);
	assert_int_equal(academic_year(ymd(2025, 12, 31)), 2025);
	assert_int_equal(academic_year(ymd(1900, 1, 1)), 1899);

	char label[8];
	academic_year_label(2025, label);
	assert_string_equal(label, "2025/26");
	academic_year_label(1999, label);
	assert_string_equal(label, "1999/00");
	academic_year_label(2009, label);
	assert_string_equal(label, "2009/10");
	academic_year_label(2099, label);
	assert_string_equal(label, "2099/00");
}

static void test_financial_year(void **state)
{
	(void)state;
	assert_int_equal(financial_year(ymd(2025, 4, 1)), 2025);
	assert_int_equal(financial_year(ymd(2025, 3, 31)), 2024);
	assert_int_equal(financial_year(ymd(2026, 3, 31)), 2025);
	assert_int_equal(financial_year(ymd(2025, 12, 31)), 2025);
	assert_int_equal(financial_year(ymd(2026, 1, 1)), 2025);
}

static void test_age(void **state)
{
	(void)state;
	hday dob = ymd(2010, 5, 15);
	assert_int_equal(age_on(dob, ymd(2020, 5, 14)), 9);
	assert_int_equal(age_on(dob, ymd(2020, 5, 15)), 10);
	assert_int_equal(age_on(dob, ymd(2020, 12, 31)), 10);
	assert_int_equal(age_on(dob, dob), 0);
	assert_int_equal(age_on(dob, ymd(2011, 5, 14)), 0);
	/* Born on 29 February: a year older on 1 March in common years. */
	hday leap = ymd(2012, 2, 29);
	assert_int_equal(age_on(leap, ymd(2013, 2, 28)), 0);
	assert_int_equal(age_on(leap, ymd(2013, 3, 1)), 1);
	assert_int_equal(age_on(leap, ymd(2016, 2, 28)), 3);
	assert_int_equal(age_on(leap, ymd(2016, 2, 29)), 4);
	assert_int_equal(age_on(leap, ymd(2030, 3, 1)), 18);
}

static void test_nc_year_group(void **state)
{
	(void)state;
	hday autumn = ymd(2024, 9, 1), spring = ymd(2025, 3, 1), summer = ymd(2025, 7, 20);
	/* Oldest and youngest of the 2024/25 Reception class. */
	assert_int_equal(nc_year_group(ymd(2019, 9, 1), autumn), 0);
	assert_int_equal(nc_year_group(ymd(2020, 8, 31), autumn), 0);
	assert_int_equal(nc_year_group(ymd(2020, 8, 31), summer), 0);
	assert_int_equal(age_at_start_of_academic_year(ymd(2020, 8, 31), autumn), 4);
	assert_int_equal(age_at_start_of_academic_year(ymd(2019, 9, 1), summer), 4);
	/* A day either side of the 31 August cut-off. */
	assert_int_equal(nc_year_group(ymd(2019, 8, 31), autumn), 1);
	assert_int_equal(nc_year_group(ymd(2020, 9, 1), autumn), -1);  /* nursery */
	/* Year 11 in 2025/26: born 1 Sep 2009 – 31 Aug 2010. */
	assert_int_equal(nc_year_group(ymd(2009, 9, 1), ymd(2025, 10, 1)), 11);
	assert_int_equal(nc_year_group(ymd(2010, 8, 31), ymd(2026, 6, 1)), 11);
	assert_int_equal(nc_year_group(ymd(2009, 8, 31), ymd(2025, 10, 1)), 12);
	/* The same child is in the previous year group on 31 August. */
	assert_int_equal(nc_year_group(ymd(2009, 9, 1), ymd(2025, 8, 31)), 10);
	/* Year 6 (end of primary) and Year 13. */
	assert_int_equal(nc_year_group(ymd(2014, 1, 10), spring), 6);
	assert_int_equal(nc_year_group(ymd(2006, 11, 2), spring), 13);
	/* A 29 February birthday and 31 August are both fine. */
	assert_int_equal(nc_year_group(ymd(2016, 2, 29), ymd(2024, 9, 1)), 4);
}

static void test_easter(void **state)
{
	(void)state;
	static const struct { int y, m, d; } easter[] = {
		{1900, 4, 15}, {1943, 4, 25}, {1954, 4, 18}, {1961, 4, 2},
		{2000, 4, 23}, {2008, 3, 23}, {2011, 4, 24}, {2019, 4, 21},
		{2020, 4, 12}, {2023, 4, 9}, {2024, 3, 31}, {2025, 4, 20},
		{2026, 4, 5}, {2027, 3, 28}, {2038, 4, 25}, {2049, 4, 18},
		{2100, 3, 28}, {2160, 3, 23},
	};
	for (size_t i = 0; i < sizeof easter / sizeof easter[0]; i++) {
		hday e = date_easter(easter[i].y);
		if (e != ymd(easter[i].y, easter[i].m, easter[i].d)) {
			char s[11];
			date_format(e, s);
			fail_msg("Easter %d computed as %s", easter[i].y, s);
		}
	}
	/* Always a Sunday between 22 March and 25 April. */
	for (int y = 1900; y <= 2199; y++) {
		hday e = date_easter(y);
		assert_int_equal(date_weekday(e), 6);
		assert_true(e >= ymd(y, 3, 22) && e <= ymd(y, 4, 25));
	}
}

static void test_term_of(void **state)
{
	(void)state;
	assert_int_equal(term_of(ymd(2025, 9, 1)), TERM_AUTUMN);
	assert_int_equal(term_of(ymd(2025, 12, 31)), TERM_AUTUMN);
	assert_int_equal(term_of(ymd(2026, 1, 1)), TERM_SPRING);
	assert_int_equal(term_of(ymd(2026, 4, 5)), TERM_SPRING);  /* Easter Sunday */
	assert_int_equal(term_of(ymd(2026, 4, 6)), TERM_SUMMER);  /* Easter Monday */
	assert_int_equal(term_of(ymd(2026, 8, 31)), TERM_SUMMER);
	assert_int_equal(term_of(ymd(2024, 3, 31)), TERM_SPRING);
	assert_int_equal(term_of(ymd(2024, 4, 1)), TERM_SUMMER);
	assert_int_equal(term_of(ymd(2024, 3, 30)), TERM_SPRING);
	assert_string_equal(term_name(TERM_AUTUMN), "Autumn");
	assert_string_equal(term_name(TERM_SPRING), "Spring");
	assert_string_equal(term_name(TERM_SUMMER), "Summer");
}

static void test_term_bounds(void **state)
{
	(void)state;
	hday first, last;
	term_bounds(2025, TERM_AUTUMN, &first, &last);
	assert_int_equal(first, ymd(2025, 9, 1));
	assert_int_equal(last, ymd(2025, 12, 31));
	term_bounds(2025, TERM_SPRING, &first, &last);
	assert_int_equal(first, ymd(2026, 1, 1));
	assert_int_equal(last, ymd(2026, 4, 5));
	term_bounds(2025, TERM_SUMMER, &first, &last);
	assert_int_equal(first, ymd(2026, 4, 6));
	assert_int_equal(last, ymd(2026, 8, 31));
	term_bounds(2023, TERM_SPRING, &first, &last);
	assert_int_equal(last, ymd(2024, 3, 31));
}

/* The three terms tile each academic year exactly, and term_of and
 * academic_year agree with term_bounds for every day. */
static void test_terms_tile_every_year(void **state)
{
	(void)state;
	for (int y = 1900; y <= 2198; y++) {
		hday expect_first = ymd(y, 9, 1);
		for (int t = TERM_AUTUMN; t <= TERM_SUMMER; t++) {
			hday first, last;
			term_bounds(y, (enum term)t, &first, &last);
			assert_int_equal(first, expect_first);
			assert_true(last >= first);
			for (hday d = first; d <= last; d++) {
				if ((int)term_of(d) != t || academic_year(d) != y)
					fail_msg("day %d: term %d year %d, want %d %d",
						 (int)d, (int)term_of(d), academic_year(d), t, y);
			}
			expect_first = last + 1;
		}
		assert_int_equal(expect_first, ymd(y + 1, 9, 1));
	}
}

static void test_timestamp(void **state)
{
	(void)state;
	char s[21];
	timestamp_format(0, s);
	assert_string_equal(s, "1970-01-01T00:00:00Z");
	timestamp_format(1700000000, s);
	assert_string_equal(s, "2023-11-14T22:13:20Z");
	timestamp_format(-1, s);
	assert_string_equal(s, "1969-12-31T23:59:59Z");
	timestamp_format(951782400, s);  /* leap day 2000 */
	assert_string_equal(s, "2000-02-29T00:00:00Z");
	/* Agrees with gmtime/strftime across a wide range. */
	for (long long t = -2208988800LL; t < 7258118400LL; t += 86400LL * 37 + 3607) {
		time_t tt = (time_t)t;
		struct tm tm;
		char want[32];
		gmtime_r(&tt, &tm);
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
		timestamp_format(tt, s);
		assert_string_equal(s, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_day_numbers),
		cmocka_unit_test(test_every_day_round_trips),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_today),
		cmocka_unit_test(test_academic_year),
		cmocka_unit_test(test_financial_year),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_nc_year_group),
		cmocka_unit_test(test_easter),
		cmocka_unit_test(test_term_of),
		cmocka_unit_test(test_term_bounds),
		cmocka_unit_test(test_terms_tile_every_year),
		cmocka_unit_test(test_timestamp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
