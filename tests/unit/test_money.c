/* test_money.c — unit tests for src/base/money.c: the one parser of money
 * typed into forms and JSON, and the one formatter of pence.  Accepted
 * shapes (pound sign, commas in the right places, one or two decimals),
 * refused ones (negatives unless allowed, three decimals, junk, misplaced
 * commas, overflow), formatting with thousands separators and negatives,
 * the plain form and percentage shares, and a round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/money.h"

static int64_t ok(const char *s)
{
	int64_t v = -999;
	int rc = money_parse(s, &v);
	if (rc != HE_OK)
		fail_msg("money_parse(\"%s\") refused (%d)", s, rc);
	return v;
}

static void refused(const char *s)
{
	int64_t v = 4242;
	int rc = money_parse(s, &v);
	if (rc != HE_INVALID)
		fail_msg("money_parse(\"%s\") accepted as %lld", s ? s : "(null)", (long long)v);
	assert_int_equal(v, 4242);    /* untouched */
}

static void test_parse_accepts(void **state)
{
	(void)state;
	assert_int_equal(ok("12"), 1200);
	assert_int_equal(ok("0"), 0);
	assert_int_equal(ok("0.00"), 0);
	assert_int_equal(ok("1234.5"), 123450);
	assert_int_equal(ok("1234.56"), 123456);
	assert_int_equal(ok("1234.05"), 123405);
	assert_int_equal(ok("\xC2\xA3" "1,234.56"), 123456);
	assert_int_equal(ok("\xC2\xA3" "12"), 1200);
	assert_int_equal(ok("  \xC2\xA3" "1,440,000.00  "), 144000000);
	assert_int_equal(ok("1,000"), 100000);
	assert_int_equal(ok("999,999,999.99"), 99999999999);
	assert_int_equal(ok(".5"), 50);
	assert_int_equal(ok("0.01"), 1);
	assert_int_equal(ok("007"), 700);
	assert_int_equal(ok("GBP 33.33"), 3333);
	assert_int_equal(ok("1000000000000"), 100000000000000);     /* MONEY_MAX exactly */
	assert_int_equal(ok("1,000,000,000,000.00"), MONEY_MAX);
}

static void test_parse_refuses(void **state)
{
	(void)state;
	refused(NULL);
	refused("");
	refused("   ");
	refused("\xC2\xA3");
	refused("-3");
	refused("-\xC2\xA3" "3.00");
	refused("\xC2\xA3-3.00");
	refused("-0");
	refused("+3");
	refused("1.234");                  /* more than two decimals */
	refused("0.001");
	refused("12.");                    /* point without decimals */
	refused(".");
	refused("12,34");                  /* commas in the wrong places */
	refused("1,2345");
	refused(",123");
	refused("123,");
	refused("1,,234");
	refused("1234,567.00");            /* first group longer than three */
	refused("12a");
	refused("twelve");
	refused("1 234");
	refused("1e3");
	refused("0x10");
	refused("12.5.0");
	refused("$12");
	refused("1000000000000.01");       /* beyond MONEY_MAX */
	refused("99999999999999999999999");  /* would overflow int64 */
	refused("9223372036854775807");
}

static void test_parse_signed(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_int_equal(money_parse_signed("-3", true, &v), HE_OK);
	assert_int_equal(v, -300);
	assert_int_equal(money_parse_signed("-\xC2\xA3" "1,234.56", true, &v), HE_OK);
	assert_int_equal(v, -123456);
	assert_int_equal(money_parse_signed("\xC2\xA3-0.5", true, &v), HE_OK);
	assert_int_equal(v, -50);
	assert_int_equal(money_parse_signed("12.30", true, &v), HE_OK);
	assert_int_equal(v, 1230);
	assert_int_equal(money_parse_signed("--3", true, &v), HE_INVALID);
	assert_int_equal(money_parse_signed("-3", false, &v), HE_INVALID);
}

static const char *fmt(int64_t p)
{
	static char out[32];
	money_format(p, out);
	return out;
}

static void test_format(void **state)
{
	(void)state;
	assert_string_equal(fmt(0), "\xC2\xA3" "0.00");
	assert_string_equal(fmt(1), "\xC2\xA3" "0.01");
	assert_string_equal(fmt(99), "\xC2\xA3" "0.99");
	assert_string_equal(fmt(100), "\xC2\xA3" "1.00");
	assert_string_equal(fmt(54000), "\xC2\xA3" "540.00");
	assert_string_equal(fmt(99999), "\xC2\xA3" "999.99");
	assert_string_equal(fmt(100000), "\xC2\xA3" "1,000.00");
	assert_string_equal(fmt(123456), "\xC2\xA3" "1,234.56");
	assert_string_equal(fmt(144000000), "\xC2\xA3" "1,440,000.00");
	assert_string_equal(fmt(910000000), "\xC2\xA3" "9,100,000.00");
	assert_string_equal(fmt(-300), "-\xC2\xA3" "3.00");
	assert_string_equal(fmt(-5), "-\xC2\xA3" "0.05");
	assert_string_equal(fmt(-123456789), "-\xC2\xA3" "1,234,567.89");
	assert_string_equal(fmt(MONEY_MAX), "\xC2\xA3" "1,000,000,000,000.00");
	assert_string_equal(fmt(INT64_MAX), "\xC2\xA3" "92,233,720,368,547,758.07");
	assert_string_equal(fmt(INT64_MIN), "-\xC2\xA3" "92,233,720,368,547,758.08");
}

static void test_plain_and_share(void **state)
{
	(void)state;
	char out[32], sh[16];
	money_plain(123456, out);
	assert_string_equal(out, "1234.56");
	money_plain(5, out);
	assert_string_equal(out, "0.05");
	money_plain(-300, out);
	assert_string_equal(out, "-3.00");
	money_plain(0, out);
	assert_string_equal(out, "0.00");
	money_share(144000000, 910000000, sh);     /* Staffordshire: £1.44m of £9.1m */
	assert_string_equal(sh, "15.8%");
	money_share(1, 3, sh);
	assert_string_equal(sh, "33.3%");
	money_share(2, 3, sh);
	assert_string_equal(sh, "66.7%");
	money_share(1, 2000, sh);                 /* 0.05% rounds half up */
	assert_string_equal(sh, "0.1%");
	money_share(5, 5, sh);
	assert_string_equal(sh, "100.0%");
	money_share(5, 0, sh);
	assert_string_equal(sh, "0.0%");
	money_share(MONEY_MAX, MONEY_MAX, sh);
	assert_string_equal(sh, "100.0%");
}

/* Every formatted amount parses back to itself; 3 × £33.33 stays exact. */
static void test_round_trip(void **state)
{
	(void)state;
	int64_t samples[] = {0, 1, 9, 10, 99, 100, 101, 3333, 9999, 100000, 123456, 99999999,
			     144000000, 100000000000, MONEY_MAX};
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		char out[32], plain[32];
		money_format(samples[i], out);
		money_plain(samples[i], plain);
		assert_int_equal(ok(out), samples[i]);
		assert_int_equal(ok(plain), samples[i]);
	}
	int64_t unit = ok("33.33");
	assert_int_equal(3 * unit, 9999);
	assert_string_equal(fmt(3 * unit), "\xC2\xA3" "99.99");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_parse_signed),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_plain_and_share),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
