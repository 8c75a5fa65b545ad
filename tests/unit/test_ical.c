/* test_ical.c — unit tests for src/core/ical.c: folding at 75 octets
 * (never inside a UTF-8 sequence, whatever the alignment), TEXT escaping,
 * CRLF line ends, local times and their arithmetic, refusal of bad
 * events, and a whole feed read back by an independent parser (Python's
 * icalendar, Debian package python3-icalendar; its absence is a failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/ical.h"

/* ---- helpers ---------------------------------------------------------------- */

/* True if s[0..n) is well-formed UTF-8 (no sequence cut short or split). */
static bool utf8_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
			   : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (k == 0 || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if (((unsigned char)s[i + j] & 0xC0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

/* Check every physical line of b: ends in CRLF, at most 75 octets, valid
 * UTF-8 on its own; continuation lines start with a space.  Returns the
 * unfolded text (lines joined with "\n"), malloc'd. */
static char *check_lines(const struct buf *b)
{
	struct buf out;
	buf_init(&out, 0);
	const char *s = buf_str(b), *end = s + b->len;
	assert_true(b->len >= 2);
	while (s < end) {
		const char *nl = strstr(s, "\r\n");
		assert_non_null(nl);
		size_t n = (size_t)(nl - s);
		if (n > ICAL_LINE_MAX)
			fail_msg("line of %zu octets: %.*s", n, (int)n, s);
		assert_null(memchr(s, '\n', n));
		assert_null(memchr(s, '\r', n));
		if (!utf8_ok(s, n))
			fail_msg("line splits a UTF-8 sequence: %.*s", (int)n, s);
		if (*s == ' ')
			buf_append(&out, s + 1, n - 1);  /* a continuation */
		else {
			if (out.len)
				buf_putc(&out, '\n');
			buf_append(&out, s, n);
		}
		s = nl + 2;
	}
	return buf_take(&out);
}

static char *fold(const char *line)
{
	struct buf b;
	buf_init(&b, 0);
	ical_fold(&b, line, strlen(line));
	char *unfolded = check_lines(&b);
	buf_free(&b);
	return unfolded;
}

static char *escaped(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	ical_text(&b, s);
	buf_putc(&b, '\0');
	return buf_take(&b);
}

/* ---- folding ----------------------------------------------------------------- */

static void test_fold_short_and_exact(void **state)
{
	(void)state;
	char line[80];
	memset(line, 'x', 75);
	line[75] = '\0';
	struct buf b;
	buf_init(&b, 0);
	ical_fold(&b, line, 75);  /* exactly 75: one line */
	assert_int_equal(b.len, 77);
	assert_memory_equal(b.data + 75, "\r\n", 2);
	buf_reset(&b);
	line[75] = 'y', line[76] = '\0';
	ical_fold(&b, line, 76);  /* 76: 75, then " y" */
	assert_string_equal(buf_str(&b) + 75, "\r\n y\r\n");
	buf_free(&b);
}

static void test_fold_long_ascii(void **state)
{
	(void)state;
	char line[1001];
	for (int i = 0; i < 1000; i++)
		line[i] = (char)('a' + i % 26);
	line[1000] = '\0';
	char *u = fold(line);
	assert_string_equal(u, line);
	free(u);
	struct buf b;
	buf_init(&b, 0);
	ical_fold(&b, line, 1000);
	/* 75 on the first line, then 74 after each space: 1 + ceil(925/74) lines */
	int lines = 0;
	for (size_t i = 0; i < b.len; i++)
		lines += b.data[i] == '\n';
	assert_int_equal(lines, 1 + (925 + 73) / 74);
	buf_free(&b);
}

/* Multi-byte characters of every width, at every alignment against the
 * 75-octet boundary: no line may end inside a character. */
static void test_fold_never_splits_utf8(void **state)
{
	(void)state;
	static const char *const chars[] = {"é", "€", "ਪ", "😀", "ł", "ع"};
	for (size_t c = 0; c < sizeof chars / sizeof chars[0]; c++)
		for (int pad = 0; pad < 5; pad++) {
			struct buf in;
			buf_init(&in, 0);
			buf_puts(&in, "LOCATION:");
			for (int i = 0; i < pad; i++)
				buf_putc(&in, 'p');
			for (int i = 0; i < 80; i++)
				buf_puts(&in, chars[c]);
			char *u = fold(buf_str(&in));
			assert_string_equal(u, buf_str(&in));
			free(u);
			buf_free(&in);
		}
}

/* ---- escaping ---------------------------------------------------------------- */

static void test_text_escaping(void **state)
{
	(void)state;
	char *e = escaped("Flat 2, 14 Main St; back door\\side\nring twice\r\nthen wait\rok");
	assert_string_equal(e, "Flat 2\\, 14 Main St\\; back door\\\\side\\nring twice\\n"
			       "then wait\\nok");
	free(e);
	e = escaped("tab\there\x01\x7f end: colon stays");
	assert_string_equal(e, "tab here   end: colon stays");
	free(e);
	e = escaped("Małgorzata Nowak — Wróblewska family");
	assert_string_equal(e, "Małgorzata Nowak — Wróblewska family");
	free(e);
	e = escaped(NULL);
	assert_string_equal(e, "");
	free(e);
}

/* ---- times ------------------------------------------------------------------- */

static void test_local_time(void **state)
{
	(void)state;
	char t[16];
	assert_true(ical_local_time("2026-03-12T14:30", 0, t));
	assert_string_equal(t, "20260312T143000");
	assert_true(ical_local_time("2026-03-12T14:30", 45, t));
	assert_string_equal(t, "20260312T151500");
	assert_true(ical_local_time("2026-12-31T23:30", 60, t));  /* into a new year */
	assert_string_equal(t, "20270101T003000");
	assert_true(ical_local_time("2028-02-28T23:00", 90, t));  /* leap day */
	assert_string_equal(t, "20280229T003000");
	assert_true(ical_local_time("2026-06-01T00:00", 1440, t));
	assert_string_equal(t, "20260602T000000");
	/* Durations are real time: the clocks go forward at 01:00 GMT on
	 * 29 March 2026 and back at 02:00 BST on 25 October 2026. */
	assert_true(ical_local_time("2026-03-29T00:30", 60, t));
	assert_string_equal(t, "20260329T023000");
	assert_true(ical_local_time("2026-10-25T00:30", 90, t));
	assert_string_equal(t, "20261025T010000");
	assert_true(ical_local_time("2026-10-24T10:00", 1440, t));
	assert_string_equal(t, "20261025T090000");
	assert_true(ical_local_time("2027-03-27T12:00", 1440, t));
	assert_string_equal(t, "20270328T130000");
	static const char *const bad[] = {
		"2026-02-29T10:00", "2026-01-01T24:00", "2026-01-01T10:60", "2026-01-01 10:00",
		"2026-01-01T10:0", "2026-01-01T10:000", "01/01/2026T10:00", "", "2026-01-01",
		"2026-01-01T1a:00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ical_local_time(bad[i], 0, t))
			fail_msg("accepted %s", bad[i]);
	assert_false(ical_local_time(NULL, 0, t));
}

/* Now in London, whatever the machine's zone: GMT in winter, BST in
 * summer, switching at 01:00 UTC. */
static void test_london_now(void **state)
{
	(void)state;
	char t[17];
	ical_london_now(1795420800, t);  /* 2026-11-23T08:00:00Z */
	assert_string_equal(t, "2026-11-23T08:00");
	ical_london_now(1782993600, t);  /* 2026-07-02T12:00:00Z */
	assert_string_equal(t, "2026-07-02T13:00");
	ical_london_now(1774745999, t);  /* 2026-03-29T00:59:59Z */
	assert_string_equal(t, "2026-03-29T00:59");
	ical_london_now(1774746000, t);  /* 2026-03-29T01:00:00Z */
	assert_string_equal(t, "2026-03-29T02:00");
	ical_london_now(1792890000, t);  /* 2026-10-25T01:00:00Z */
	assert_string_equal(t, "2026-10-25T01:00");
	ical_london_now(1792889940, t);  /* 2026-10-25T00:59:00Z */
	assert_string_equal(t, "2026-10-25T01:59");
	/* and every half hour from 2000 to 2040 as the tz database has it */
	setenv("TZ", "Europe/London", 1);
	tzset();
	for (time_t u = 946684800; u < 2208988800; u += 1800) {
		struct tm tm;
		char want[17];
		localtime_r(&u, &tm);
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M", &tm);
		ical_london_now(u, t);
		if (strcmp(t, want) != 0)
			fail_msg("at %lld: %s, the tz database says %s", (long long)u, t, want);
	}
}

/* ---- events ------------------------------------------------------------------ */

static void test_event_refuses_bad_input(void **state)
{
	(void)state;
	struct ical_event good = {.uid = "contact-1@hearth", .start = "2026-03-12T10:00",
		.duration_min = 60, .summary = "Home visit", .stamp = "2026-03-01T09:00:00Z"};
	struct ical_event bad[6];
	for (int i = 0; i < 6; i++)
		bad[i] = good;
	bad[0].uid = NULL;
	bad[1].summary = "";
	bad[2].start = "2026-03-32T10:00";
	bad[3].duration_min = -5;
	bad[4].duration_min = 1441;
	bad[5].stamp = "2026-03-01 09:00:00";
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ical_event(&b, &bad[i]), HE_INVALID);
		assert_int_equal(b.len, 0);
	}
	assert_int_equal(ical_event(&b, &good), HE_OK);
	assert_non_null(strstr(buf_str(&b), "\r\nDTSTART;TZID=Europe/London:20260312T100000\r\n"));
	assert_non_null(strstr(buf_str(&b), "\r\nDTEND;TZID=Europe/London:20260312T110000\r\n"));
	assert_non_null(strstr(buf_str(&b), "\r\nDTSTAMP:20260301T090000Z\r\n"));
	buf_free(&b);
}

/* A feed of three events, one with a long location full of commas,
 * semicolons, a newline and non-ASCII letters. */
static void sample_feed(struct buf *b)
{
	static const struct ical_event ev[] = {
		{"contact-101@hearth.example", "2026-03-12T10:00", 60,
		 "Home visit — F-000123 Khan family", "14 Narborough Road, LE3 0BQ", NULL,
		 "2026-03-01T09:00:00Z"},
		{"contact-102@hearth.example", "2026-07-02T15:45", 45,
		 "School meeting — F-000007 Wróblewski family",
		 "Ratae Academy; meeting room 2, by reception\nask for Mrs Okafor, "
		 "Dyrektor szkoły: spotkanie z rodziną Wróblewskich — ąęłńóśźż ĄĘŁŃÓŚŹŻ",
		 "Case C-000045", NULL},
		{"contact-103@hearth.example", "2026-10-25T00:30", 90,
		 "Phone call — F-000042 Abdi family", "", "Back\\slash, comma; semi", NULL},
	};
	ical_begin(b, "Hearth — Sam Whitfield's visits");
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++)
		assert_int_equal(ical_event(b, &ev[i]), HE_OK);
	ical_end(b);
}

static void test_feed_lines(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	sample_feed(&b);
	assert_int_equal(buf_err(&b), 0);
	char *u = check_lines(&b);
	assert_true(strncmp(u, "BEGIN:VCALENDAR\nVERSION:2.0\n", 28) == 0);
	assert_non_null(strstr(u, "\nTZID:Europe/London\n"));
	assert_non_null(strstr(u, "\nLOCATION:14 Narborough Road\\, LE3 0BQ\n"));
	assert_non_null(strstr(u, "\nLOCATION:Ratae Academy\\; meeting room 2\\, by reception"
				  "\\nask for Mrs Okafor\\, Dyrektor"));
	assert_null(strstr(u, "\nLOCATION:\n"));  /* an empty location is left out */
	assert_true(strcmp(u + strlen(u) - 14, "\nEND:VCALENDAR") == 0);
	free(u);
	buf_free(&b);
}

/* The feed as another implementation reads it: Python's icalendar prints
 * one line per event (uid|summary|location|description|start|end|tzid)
 * with the values unescaped, which must give back exactly what went in. */
static void test_feed_parses(void **state)
{
	(void)state;
	char path[] = "/tmp/hearth-ical-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct buf b;
	buf_init(&b, 0);
	sample_feed(&b);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	buf_free(&b);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c '"
		"import sys, icalendar\n"
		"cal = icalendar.Calendar.from_ical(open(sys.argv[1], \"rb\").read())\n"
		"assert cal.get(\"version\") == \"2.0\"\n"
		"assert len(cal.walk(\"VTIMEZONE\")) == 1\n"
		"for e in cal.walk(\"VEVENT\"):\n"
		"    s, t = e.decoded(\"dtstart\"), e.decoded(\"dtend\")\n"
		"    print(\"|\".join([str(e.get(k, \"-\")) for k in (\"uid\", \"summary\", \"location\","
		" \"description\")] + [s.strftime(\"%%Y-%%m-%%dT%%H:%%M\"), str(int((t - s).total_seconds() // 60)),"
		" str(e[\"dtstart\"].params[\"TZID\"]), s.strftime(\"%%z\")]).replace(\"\\n\", \"<NL>\"))\n"
		"' %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct buf out;
	buf_init(&out, 0);
	char chunk[512];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_append(&out, chunk, n);
	int st = pclose(p);
	unlink(path);
	if (st != 0)
		fail_msg("python3-icalendar could not read the feed (status %d):\n%s", st,
			 buf_str(&out));
	const char *want =
		"contact-101@hearth.example|Home visit — F-000123 Khan family|"
		"14 Narborough Road, LE3 0BQ|-|2026-03-12T10:00|60|Europe/London|+0000\n"
		"contact-102@hearth.example|School meeting — F-000007 Wróblewski family|"
		"Ratae Academy; meeting room 2, by reception<NL>ask for Mrs Okafor, "
		"Dyrektor szkoły: spotkanie z rodziną Wróblewskich — ąęłńóśźż ĄĘŁŃÓŚŹŻ|"
		"Case C-000045|2026-07-02T15:45|45|Europe/London|+0100\n"
		"contact-103@hearth.example|Phone call — F-000042 Abdi family|-|"
		"Back\\slash, comma; semi|2026-10-25T00:30|90|Europe/London|+0100\n";
	assert_string_equal(buf_str(&out), want);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_short_and_exact),
		cmocka_unit_test(test_fold_long_ascii),
		cmocka_unit_test(test_fold_never_splits_utf8),
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_london_now),
		cmocka_unit_test(test_event_refuses_bad_input),
		cmocka_unit_test(test_feed_lines),
		cmocka_unit_test(test_feed_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
