/* test_csvout.c — unit tests for src/base/csvout.c: quoting with quotes
 * doubled, CSV injection (= + - @ tab CR first get an apostrophe, unless
 * the field is a number Hearth wrote), minimal quoting, row ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/buf.h"
#include "base/csvout.h"

static void check(const char *in, unsigned flags, const char *want)
{
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	csv_put(&b, in, flags);
	buf_putc(&b, '\0');
	if (strcmp(b.data, want) != 0)
		fail_msg("csv_put(\"%s\", %u) gave [%s], want [%s]", in ? in : "(null)", flags, b.data, want);
	buf_free(&b);
}

static void test_quoted(void **state)
{
	(void)state;
	check("Ratae Academy", 0, "\"Ratae Academy\",");
	check("Ratae Academy", CSV_LAST, "\"Ratae Academy\"\r\n");
	check(NULL, 0, "\"\",");
	check("say \"hi\", then", 0, "\"say \"\"hi\"\", then\",");
	check("two\nlines", CSV_LAST, "\"two\nlines\"\r\n");
}

static void test_formula(void **state)
{
	(void)state;
	check("=HYPERLINK(\"http://x\")", 0, "\"'=HYPERLINK(\"\"http://x\"\")\",");
	check("+44 116", 0, "\"'+44 116\",");
	check("-1", 0, "\"'-1\",");
	check("@SUM(A1)", 0, "\"'@SUM(A1)\",");
	check("\tx", 0, "\"'\tx\",");
	check("\rx", 0, "\"'\rx\",");
	check("a=b", 0, "\"a=b\",");                   /* only the first character counts */
	check("-12.50", CSV_NUMBER, "\"-12.50\",");    /* a figure Hearth wrote stays a number */
	check("-12.50", CSV_NUMBER | CSV_MINIMAL | CSV_LAST, "-12.50\r\n");
}

static void test_minimal(void **state)
{
	(void)state;
	check("A1234567890123", CSV_MINIMAL, "A1234567890123,");
	check("Smith, Jo", CSV_MINIMAL, "\"Smith, Jo\",");
	check("5\" tall", CSV_MINIMAL, "\"5\"\" tall\",");
	check("line\r\n", CSV_MINIMAL, "\"line\r\n\",");
	check("=1+1", CSV_MINIMAL, "\"'=1+1\",");      /* the apostrophe brings quotes */
	check("", CSV_MINIMAL | CSV_LAST, "\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_formula),
		cmocka_unit_test(test_minimal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
