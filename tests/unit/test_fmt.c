/* test_fmt.c — unit tests for src/base/fmt.c: every conversion of the
 * escaping printf (%h %u %j %s %d %ld %lld %zu %%), NULL handling, and that
 * an unknown conversion aborts rather than printing data unescaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fmt.h"

/* The formatted text of one fmt_printf call.  Valid until the next call. */
static struct buf out;

static const char *F(const char *fmt, ...)
{
	va_list ap;
	buf_reset(&out);
	va_start(ap, fmt);
	fmt_vprintf(&out, fmt, ap);
	va_end(ap);
	assert_int_equal(buf_err(&out), 0);
	return buf_str(&out);
}

static int setup(void **state)
{
	(void)state;
	buf_init(&out, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	buf_free(&out);
	return 0;
}

static void test_html(void **state)
{
	(void)state;
	assert_string_equal(F("<p>%h</p>", "<script>alert('x')</script>"),
			    "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>");
	assert_string_equal(F("<input value=\"%h\">", "\" onfocus=\"alert(1)"),
			    "<input value=\"&quot; onfocus=&quot;alert(1)\">");
	assert_string_equal(F("%h", "Tom & Jerry's \"cafe\" > 3 < 4"),
			    "Tom &amp; Jerry&#39;s &quot;cafe&quot; &gt; 3 &lt; 4");
	assert_string_equal(F("%h", "&amp;"), "&amp;amp;");  /* not double-decoded */
	assert_string_equal(F("[%h]", NULL), "[]");
	assert_string_equal(F("[%h]", ""), "[]");
	assert_string_equal(F("%h", "plain text, caf\xc3\xa9"), "plain text, caf\xc3\xa9");
	assert_string_equal(F("%h%h", "<", ">"), "&lt;&gt;");
}

static void test_url(void **state)
{
	(void)state;
	assert_string_equal(F("/search?q=%u", "a b&c=d/e?f#g"),
			    "/search?q=a%20b%26c%3Dd%2Fe%3Ff%23g");
	assert_string_equal(F("%u", "AZaz09-_.~"), "AZaz09-_.~");
	assert_string_equal(F("%u", "caf\xc3\xa9"), "caf%C3%A9");
	assert_string_equal(F("%u", "100%+\"<>'"), "100%25%2B%22%3C%3E%27");
	assert_string_equal(F("%u", "\x01\x7f\xff"), "%01%7F%FF");
	assert_string_equal(F("[%u]", NULL), "[]");
	assert_string_equal(F("[%u]", ""), "[]");
}

static void test_json(void **state)
{
	(void)state;
	assert_string_equal(F("{\"name\":%j}", "Ann"), "{\"name\":\"Ann\"}");
	assert_string_equal(F("%j", NULL), "null");
	assert_string_equal(F("%j", ""), "\"\"");
	assert_string_equal(F("%j", "say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
	assert_string_equal(F("%j", "a\nb\rc\td"), "\"a\\nb\\rc\\td\"");
	assert_string_equal(F("%j", "\x01\x1f\b\f"), "\"\\u0001\\u001f\\u0008\\u000c\"");
	/* '<' is escaped so "</script>" can never close a script element. */
	assert_string_equal(F("%j", "</script><script>x()</script>"),
			    "\"\\u003c/script>\\u003cscript>x()\\u003c/script>\"");
	/* UTF-8 passes through; JSON is UTF-8. */
	assert_string_equal(F("%j", "\xe2\x82\xac 5"), "\"\xe2\x82\xac 5\"");
	/* invalid UTF-8 (a name cut mid-character, a %FF from a URL, an overlong
	 * form, a surrogate) becomes U+FFFD, so the document stays valid */
	assert_string_equal(F("%j", "Zo\xc3"), "\"Zo\\ufffd\"");
	assert_string_equal(F("%j", "\xff\xfe"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(F("%j", "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(F("%j", "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(F("%j", "\xf0\x9f\x98\x80!"), "\"\xf0\x9f\x98\x80!\"");
	assert_string_equal(F("%j", "'single'"), "\"'single'\"");
}

static void test_raw_string(void **state)
{
	(void)state;
	assert_string_equal(F("<%s>", "b"), "<b>");
	assert_string_equal(F("[%s]", NULL), "[]");
	assert_string_equal(F("%s", "<raw & unescaped>"), "<raw & unescaped>");
}

static void test_integers(void **state)
{
	(void)state;
	assert_string_equal(F("%d", 0), "0");
	assert_string_equal(F("%d|%d", INT_MIN, INT_MAX), "-2147483648|2147483647");
	assert_string_equal(F("%ld", LONG_MIN), "-9223372036854775808");
	assert_string_equal(F("%ld", 42L), "42");
	assert_string_equal(F("%lld", LLONG_MAX), "9223372036854775807");
	assert_string_equal(F("%lld", -1LL), "-1");
	assert_string_equal(F("%zu", (size_t)0), "0");
	assert_string_equal(F("%zu", SIZE_MAX), "18446744073709551615");
	/* Mixed with the escapes, arguments stay in step. */
	assert_string_equal(F("%d %h %lld %j %zu %u %ld %s", 1, "<", 2LL, "\"", (size_t)3,
			      " ", 4L, "5"),
			    "1 &lt; 2 \"\\\"\" 3 %20 4 5");
}

static void test_percent_and_literals(void **state)
{
	(void)state;
	assert_string_equal(F("100%%"), "100%");
	assert_string_equal(F("%%h"), "%h");
	assert_string_equal(F("%%%d%%", 5), "%5%");
	assert_string_equal(F(""), "");
	assert_string_equal(F("no conversions <b>"), "no conversions <b>");
}

static void test_helpers(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	fmt_html(&b, "<a>");
	fmt_url(&b, "a b");
	fmt_json(&b, "q");
	fmt_json(&b, NULL);
	fmt_html(&b, NULL);
	fmt_url(&b, NULL);
	assert_string_equal(buf_str(&b), "&lt;a&gt;a%20b\"q\"null");
	buf_free(&b);
}

static void test_capped_buffer(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10);
	fmt_printf(&b, "%h", "<<<");  /* 12 bytes escaped: over the cap */
	assert_int_not_equal(buf_err(&b), 0);
	buf_free(&b);
}

/* Run fmt_printf with a bad format in a child; true if it aborted. */
static bool aborts(const char *fmt)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct buf b;
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);  /* keep fmt's complaint out of the report */
		buf_init(&b, 0);
		fmt_printf(&b, fmt, "data", "more");
		_exit(0);
	}
	int status = 0;
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_unknown_conversions_abort(void **state)
{
	(void)state;
	static const char *bad[] = {
		"%x", "%c", "%f", "%i", "%p", "%n", "%5d", "%-s", "%.3s", "%lu",
		"%lx", "%llu", "%l", "%ll", "%z", "%zd", "%%%", "trailing %",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!aborts(bad[i]))
			fail_msg("fmt_printf(\"%s\") did not abort", bad[i]);
	assert_false(aborts("%s %s"));  /* the harness itself works */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_raw_string),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_percent_and_literals),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_capped_buffer),
		cmocka_unit_test(test_unknown_conversions_abort),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
