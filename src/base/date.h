/* date.h — calendar dates, English academic years and school terms.
 *
 * A date is a day number (days since 1970-01-01, negative before), so that
 * comparisons and differences are integer arithmetic.  Only the proleptic
 * Gregorian calendar in years 1900–2199 is accepted from input.
 *
 * The English academic year runs 1 September – 31 August and is named by
 * its first calendar year ("2025/26" starts 2025-09-01).  Terms follow the
 * DfE's school census convention: autumn 1 September – 31 December, spring
 * 1 January – Easter Sunday, summer Easter Monday – 31 August (Easter by
 * the Gregorian computus).  Financial years run 1 April – 31 March. */
#ifndef HEARTH_DATE_H
#define HEARTH_DATE_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef int32_t hday;  /* days since 1970-01-01 */

enum term { TERM_AUTUMN = 0, TERM_SPRING = 1, TERM_SUMMER = 2 };

/* Parse "YYYY-MM-DD" exactly (also accepts "DD/MM/YYYY", the UK MIS form).
 * Returns true and sets *out on a real calendar date in 1900–2199, false
 * otherwise (e.g. 2023-02-29, 2024-13-01, "1/9/2025", surrounding spaces or
 * trailing text), leaving *out untouched.  Day and month must have two
 * digits, the year four. */
bool date_parse(const char *s, hday *out);
/* "YYYY-MM-DDTHH:MM" (a space for the T, and ":SS", are accepted) into out
 * in the canonical form "YYYY-MM-DDTHH:MM"; false if not a real date and
 * time. */
bool datetime_parse(const char *s, char out[17]);
/* Day number from y/m/d; the caller guarantees validity (see date_valid).
 * Works for any proleptic Gregorian date, not only 1900–2199. */
hday date_from_ymd(int y, int m, int d);
/* True if y-m-d is a real calendar date with y in 1900–2199 (the range
 * date_parse accepts). */
bool date_valid(int y, int m, int d);
void date_to_ymd(hday day, int *y, int *m, int *d);
/* Write "YYYY-MM-DD" into out (at least 11 bytes). */
void date_format(hday day, char out[11]);
/* Today's date in UTC. */
hday date_today(void);
/* 0 = Monday … 6 = Sunday. */
int date_weekday(hday day);

/* First calendar year of the academic year containing day: 2025-10-01 → 2025,
 * 2026-08-31 → 2025. */
int academic_year(hday day);
/* "2025/26" into out (at least 8 bytes). */
void academic_year_label(int start_year, char out[8]);
/* Age in whole years on `on` of someone born on dob. */
int age_on(hday dob, hday on);
/* Age on 31 August at the start of the academic year containing `on` —
 * the DfE's rule for national curriculum year groups. */
int age_at_start_of_academic_year(hday dob, hday on);
/* National curriculum year group for dob in the academic year of `on`
 * (Reception = 0, Year 1 = 1 … Year 13 = 13); may be negative or > 13. */
int nc_year_group(hday dob, hday on);
enum term term_of(hday day);
const char *term_name(enum term t);  /* "Autumn", "Spring", "Summer" */
/* First and last day of the term t of academic year start_year. */
void term_bounds(int start_year, enum term t, hday *first, hday *last);
/* Easter Sunday of year y by the Gregorian computus (Meeus/Jones/Butcher). */
hday date_easter(int y);
/* First calendar year of the financial year (1 April) containing day. */
int financial_year(hday day);

/* UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" for t into out (at least 21 bytes). */
void timestamp_format(time_t t, char out[21]);

#endif
