/* test_logsafe.c — unit tests for src/base/logsafe.c: plain text and valid
 * UTF-8 pass unchanged; newlines, other control bytes, bytes that are not
 * UTF-8 (lone, overlong, surrogate, too high, cut short), C1 controls,
 * line separators and bidirectional overrides come out escaped; the result
 * is always valid UTF-8 on one line and never the raw bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/logsafe.h"

/* The escaped form of len bytes at s (the caller frees it). */
static char *esc(const char *s, size_t len)
{
	struct buf b;
	buf_init(&b, 0);
	logsafe_append(&b, s, len);
	assert_false(buf_err(&b));
	char *out = buf_take(&b);
	return out ? out : calloc(1, 1);
}

static void expect(const char *in, size_t len, const char *want)
{
	char *got = esc(in, len);
	if (strcmp(got, want) != 0)
		fail_msg("escaped \"%s\", want \"%s\"", got, want);
	free(got);
	assert_int_equal(logsafe_clean(in, len), len == strlen(want) && !memcmp(in, want, len));
}

#define EXPECT(lit, want) expect(lit, sizeof lit - 1, want)

static void test_plain_unchanged(void **state)
{
	(void)state;
	EXPECT("", "");
	EXPECT("GET /cases/F-2026-0001 200", "GET /cases/F-2026-0001 200");
	EXPECT("Zoë O'Brien — 🏠 <b>\"x\"</b> 100%", "Zoë O'Brien — 🏠 <b>\"x\"</b> 100%");
	EXPECT("\xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf",      /* U+D7FF, U+E000, U+10FFFF */
	       "\xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf");
	EXPECT("\xc2\xa0 \xe2\x80\xa7 \xe2\x80\xaf", "\xc2\xa0 \xe2\x80\xa7 \xe2\x80\xaf");
	assert_true(logsafe_clean("abc", 3));
}

/* A newline in a path (%0A) cannot start a new log line. */
static void test_controls_escaped(void **state)
{
	(void)state;
	EXPECT("/x\nGET /admin 200", "/x\\nGET /admin 200");
	EXPECT("a\r\nb\tc", "a\\r\\nb\\tc");
	EXPECT("\x1b[31mred\x7f", "\\x1B[31mred\\x7F");
	EXPECT("a\x01\x1f", "a\\x01\\x1F");
	EXPECT("nul\0after", "nul\\x00after");
	EXPECT("back\\slash", "back\\\\slash");
	EXPECT("\\n", "\\\\n");     /* typed backslash-n differs from a newline */
}

static void test_invalid_utf8_escaped(void **state)
{
	(void)state;
	EXPECT("/families/\xff/consents", "/families/\\xFF/consents");
	EXPECT("\x80", "\\x80");                        /* lone continuation */
	EXPECT("\xc0\xaf", "\\xC0\\xAF");               /* overlong '/' */
	EXPECT("\xe0\x80\xaf", "\\xE0\\x80\\xAF");      /* overlong, 3 bytes */
	EXPECT("\xed\xa0\x80", "\\xED\\xA0\\x80");      /* surrogate U+D800 */
	EXPECT("\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"); /* above U+10FFFF */
	EXPECT("\xf5\x80", "\\xF5\\x80");
	EXPECT("caf\xc3", "caf\\xC3");                  /* cut short at the end */
	EXPECT("\xe2\x82z", "\\xE2\\x82z");             /* cut short mid-text */
	EXPECT("\xc3\xa9\xff\xc3\xa9", "\xc3\xa9\\xFF\xc3\xa9");
}

static void test_unicode_controls_escaped(void **state)
{
	(void)state;
	EXPECT("a\xc2\x85" "b", "a\\u0085b");           /* NEL */
	EXPECT("\xc2\x80\xc2\x9f", "\\u0080\\u009F");
	EXPECT("x\xe2\x80\xa8y\xe2\x80\xa9", "x\\u2028y\\u2029");
	EXPECT("user\xe2\x80\xae" "fdp.exe", "user\\u202Efdp.exe");  /* right-to-left override */
	EXPECT("\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069");
}

/* Every byte value, alone and in pairs: the result is valid UTF-8 with no
 * control character, and the clean check agrees with the escaping. */
static bool valid_one_line(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
		if (!n)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_every_byte(void **state)
{
	(void)state;
	for (int a = 0; a < 256; a++) {
		for (int c = 0; c < 256; c += 17) {
			char in[3] = {(char)a, (char)c, 'z'};
			char *got = esc(in, sizeof in);
			if (!valid_one_line(got))
				fail_msg("bytes %02x %02x escaped to invalid text", a, c);
			bool same = strlen(got) == sizeof in && !memcmp(got, in, sizeof in);
			assert_int_equal(logsafe_clean(in, sizeof in), same);
			free(got);
		}
	}
}

static void test_dup(void **state)
{
	(void)state;
	assert_null(logsafe_dup(NULL));
	char *s = logsafe_dup("consent of family \xff\n: not found");
	assert_string_equal(s, "consent of family \\xFF\\n: not found");
	free(s);
	s = logsafe_dup("plain — text");
	assert_string_equal(s, "plain — text");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_unchanged),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_invalid_utf8_escaped),
		cmocka_unit_test(test_unicode_controls_escaped),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_dup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
