/* ical.h — iCalendar (RFC 5545) output for a worker's calendar feed.
 *
 * A worker subscribes to their planned visits from Outlook, Google or
 * Apple Calendar; the feed is written here, independent of the database.
 * Every line ends in CRLF and is folded so that no line is longer than 75
 * octets (a fold never splits a UTF-8 sequence); TEXT values are escaped
 * (backslash, semicolon, comma, newline) and stripped of other control
 * characters.  Times are local wall-clock times in Europe/London, written
 * with TZID=Europe/London and the VTIMEZONE that defines it (GMT/BST), so
 * a visit booked for 10:00 shows at 10:00 in every client in either
 * season.  The writer appends to a struct buf; a buffer that overflowed
 * reports it through buf_err. */
#ifndef HEARTH_ICAL_H
#define HEARTH_ICAL_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"

#define ICAL_TZID "Europe/London"
#define ICAL_LINE_MAX 75  /* octets per line, not counting the CRLF */

/* One event.  Only uid, start and summary are required. */
struct ical_event {
	const char *uid;          /* stable and unique: "contact-42@hearth" */
	const char *start;        /* "YYYY-MM-DDTHH:MM", local time (Europe/London) */
	int duration_min;         /* 0–1440; DTEND = start + this */
	const char *summary;      /* plain text */
	const char *location;     /* plain text; NULL or "" for none */
	const char *description;  /* plain text; NULL or "" for none */
	const char *stamp;        /* last revised, UTC "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
};

/* Start a calendar: VCALENDAR with its name (shown by clients as the
 * calendar's title), a refresh hint of an hour, and the Europe/London
 * VTIMEZONE. */
void ical_begin(struct buf *b, const char *calname);
/* Append one VEVENT.  Returns HE_OK, or HE_INVALID (appending nothing)
 * when uid or summary is missing, start is not a real "YYYY-MM-DDTHH:MM",
 * duration_min is outside 0–1440, or stamp is malformed. */
int ical_event(struct buf *b, const struct ical_event *ev);
/* Close the calendar. */
void ical_end(struct buf *b);

/* The Europe/London wall-clock time at t as "YYYY-MM-DDTHH:MM" (the form
 * contacts are stored in), whatever the server's own time zone. */
void ical_london_now(time_t t, char out[17]);

/* Building blocks (exported for the tests). */
/* Append s as an escaped RFC 5545 TEXT value (NULL appends nothing). */
void ical_text(struct buf *b, const char *s);
/* Append the unfolded content line `line` (len octets) folded at 75
 * octets, each piece ending in CRLF, continuations starting with a space. */
void ical_fold(struct buf *b, const char *line, size_t len);
/* The Europe/London local date-time "YYYYMMDDTHHMMSS" add_min minutes
 * of real time after at ("YYYY-MM-DDTHH:MM", local) into out: a 90-minute
 * visit from 00:30 on the night the clocks go back ends at 01:00.
 * Returns false if at is not a real date and time. */
bool ical_local_time(const char *at, int add_min, char out[16]);

#endif
