/* ical.c — iCalendar (RFC 5545) writer for calendar feeds (see ical.h).
 *
 * Each property is built unfolded in a small buffer, then folded into the
 * output (RFC 5545 §3.1: lines of at most 75 octets, continuation lines
 * start with one space, CRLF everywhere).  The fold point moves back over
 * UTF-8 continuation bytes so a character is never split between lines,
 * which clients that decode each physical line would otherwise garble. */
#include "core/ical.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/err.h"

/* The Europe/London rules since 1996: BST from 01:00 UTC on the last
 * Sunday of March to 01:00 UTC on the last Sunday of October. */
static const char *const london_tz[] = {
	"BEGIN:VTIMEZONE",
	"TZID:" ICAL_TZID,
	"X-LIC-LOCATION:" ICAL_TZID,
	"BEGIN:DAYLIGHT",
	"TZOFFSETFROM:+0000",
	"TZOFFSETTO:+0100",
	"TZNAME:BST",
	"DTSTART:19700329T010000",
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
	"END:DAYLIGHT",
	"BEGIN:STANDARD",
	"TZOFFSETFROM:+0100",
	"TZOFFSETTO:+0000",
	"TZNAME:GMT",
	"DTSTART:19701025T020000",
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
	"END:STANDARD",
	"END:VTIMEZONE",
	NULL,
};

void ical_fold(struct buf *b, const char *line, size_t len)
{
	size_t pos = 0, room = ICAL_LINE_MAX;
	while (len - pos > room) {
		size_t cut = pos + room;
		while (cut > pos && ((unsigned char)line[cut] & 0xC0) == 0x80)
			cut--;
		if (cut == pos)  /* not UTF-8 at all: split where it falls */
			cut = pos + room;
		buf_append(b, line + pos, cut - pos);
		buf_append(b, "\r\n ", 3);
		pos = cut;
		room = ICAL_LINE_MAX - 1;  /* the leading space counts */
	}
	buf_append(b, line + pos, len - pos);
	buf_append(b, "\r\n", 2);
}

/* A literal line (names and values that need no escaping). */
static void put(struct buf *b, const char *line)
{
	ical_fold(b, line, strlen(line));
}

void ical_text(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == ';' || c == ',') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\r' || c == '\n') {
			if (c == '\r' && s[1] == '\n')
				s++;
			buf_append(b, "\\n", 2);
		} else if (c < 0x20 || c == 0x7f) {
			buf_putc(b, ' ');  /* no other controls in TEXT; a tab reads as a space */
		} else {
			buf_putc(b, (char)c);
		}
	}
}

/* NAME:escaped-text as one folded line; nothing when s is NULL or "". */
static void put_text(struct buf *b, const char *name, const char *s)
{
	if (!s || !*s)
		return;
	struct buf line;
	buf_init(&line, 0);
	buf_puts(&line, name);
	buf_putc(&line, ':');
	ical_text(&line, s);
	ical_fold(b, line.data, line.len);
	buf_free(&line);
}

static bool two_digits(const char *s, int max, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return *out <= max;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The last Sunday of month m (1–11) of year y. */
static hday last_sunday(int y, int m)
{
	hday last = date_from_ymd(y, m + 1, 1) - 1;
	return last - (hday)((date_weekday(last) + 1) % 7);
}

/* Minutes Europe/London is ahead of UTC at utc (minutes since 1970):
 * 60 in British Summer Time, 0 in GMT. */
static int london_offset(int64_t utc)
{
	int y, m, d;
	date_to_ymd((hday)floor_div(utc, 1440), &y, &m, &d);
	int64_t from = (int64_t)last_sunday(y, 3) * 1440 + 60;
	int64_t until = (int64_t)last_sunday(y, 10) * 1440 + 60;
	return utc >= from && utc < until ? 60 : 0;
}

/* Local wall-clock minutes to UTC.  In the hour that repeats in October
 * the first (BST) reading wins; a time in the hour skipped in March is
 * read as GMT (so 01:30 becomes 02:30 BST). */
static int64_t london_to_utc(int64_t local)
{
	return london_offset(local - 60) == 60 ? local - 60 : local;
}

bool ical_local_time(const char *at, int add_min, char out[16])
{
	char date[11];
	hday day;
	int h, m;
	if (!at || strlen(at) != 16 || at[10] != 'T' || at[13] != ':')
		return false;
	memcpy(date, at, 10);
	date[10] = '\0';
	if (!date_parse(date, &day) || date[4] != '-' || !two_digits(at + 11, 23, &h) ||
	    !two_digits(at + 14, 59, &m))
		return false;
	int64_t utc = london_to_utc((int64_t)day * 1440 + h * 60 + m) + add_min;
	int64_t local = utc + london_offset(utc);
	int64_t d = floor_div(local, 1440);
	unsigned rest = (unsigned)(local - d * 1440);  /* 0–1439 */
	int y, mo, dd;
	date_to_ymd((hday)d, &y, &mo, &dd);
	snprintf(out, 16, "%04u%02u%02uT%02u%02u00", (unsigned)y % 10000u, (unsigned)mo % 100u,
		 (unsigned)dd % 100u, rest / 60 % 100u, rest % 60u);
	return true;
}

void ical_london_now(time_t t, char out[17])
{
	int64_t utc = floor_div((int64_t)t, 60);
	int64_t local = utc + london_offset(utc);
	int64_t d = floor_div(local, 1440);
	unsigned rest = (unsigned)(local - d * 1440);
	int y, mo, dd;
	date_to_ymd((hday)d, &y, &mo, &dd);
	snprintf(out, 17, "%04u-%02u-%02uT%02u:%02u", (unsigned)y % 10000u, (unsigned)mo % 100u,
		 (unsigned)dd % 100u, rest / 60 % 100u, rest % 60u);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (or now, for NULL) as "YYYYMMDDTHHMMSSZ". */
static bool utc_stamp(const char *ts, char out[17])
{
	char now[21];
	if (!ts) {
		timestamp_format(time(NULL), now);
		ts = now;
	}
	if (strlen(ts) != 20 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' ||
	    ts[13] != ':' || ts[16] != ':' || ts[19] != 'Z')
		return false;
	static const int src[15] = {0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15, 17, 18};
	for (int i = 0; i < 15; i++) {
		char c = ts[src[i]];
		if (i != 8 && (c < '0' || c > '9'))
			return false;
		out[i] = c;
	}
	out[15] = 'Z';
	out[16] = '\0';
	return true;
}

void ical_begin(struct buf *b, const char *calname)
{
	put(b, "BEGIN:VCALENDAR");
	put(b, "VERSION:2.0");
	put(b, "PRODID:-//Hearth//Caseload calendar//EN");
	put(b, "CALSCALE:GREGORIAN");
	put(b, "METHOD:PUBLISH");
	put_text(b, "NAME", calname);
	put_text(b, "X-WR-CALNAME", calname);
	put(b, "X-WR-TIMEZONE:" ICAL_TZID);
	put(b, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
	put(b, "X-PUBLISHED-TTL:PT1H");
	for (int i = 0; london_tz[i]; i++)
		put(b, london_tz[i]);
}

int ical_event(struct buf *b, const struct ical_event *ev)
{
	char start[16], end[16], stamp[17], line[96];
	if (!ev->uid || !*ev->uid || !ev->summary || !*ev->summary ||
	    ev->duration_min < 0 || ev->duration_min > 1440 ||
	    !ical_local_time(ev->start, 0, start) ||
	    !ical_local_time(ev->start, ev->duration_min, end) || !utc_stamp(ev->stamp, stamp))
		return HE_INVALID;
	put(b, "BEGIN:VEVENT");
	put_text(b, "UID", ev->uid);
	snprintf(line, sizeof line, "DTSTAMP:%s", stamp);
	put(b, line);
	snprintf(line, sizeof line, "DTSTART;TZID=%s:%s", ICAL_TZID, start);
	put(b, line);
	snprintf(line, sizeof line, "DTEND;TZID=%s:%s", ICAL_TZID, end);
	put(b, line);
	put_text(b, "SUMMARY", ev->summary);
	put_text(b, "LOCATION", ev->location);
	put_text(b, "DESCRIPTION", ev->description);
	put(b, "STATUS:CONFIRMED");
	put(b, "TRANSP:OPAQUE");
	put(b, "END:VEVENT");
	return HE_OK;
}

void ical_end(struct buf *b)
{
	put(b, "END:VCALENDAR");
}
