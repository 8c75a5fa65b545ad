/* date.c — calendar dates, English academic years and terms (see date.h).
 *
 * Day numbers convert to and from the civil calendar with the closed-form
 * algorithms of Howard Hinnant's "chrono-Compatible Low-Level Date
 * Algorithms" (days_from_civil / civil_from_days), which work for any year
 * of the proleptic Gregorian calendar without tables or loops.  Easter is
 * the anonymous Gregorian computus (Meeus/Jones/Butcher). */
#include "base/date.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static bool date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int date_month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && date_is_leap(y) ? 29 : days[m - 1];
}

/* True for a real calendar date in the years Hearth accepts (1900–2199). */
bool date_valid(int y, int m, int d)
{
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= date_month_days(y, m);
}

hday date_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;                                  /* [0, 399] */
	int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
	return (hday)(era * 146097 + doe - 719468);
}

void date_to_ymd(hday day, int *y, int *m, int *d)
{
	int z = (int)day + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* Read exactly n decimal digits from s; -1 if any is not a digit. */
static int date_digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool date_parse(const char *s, hday *out)
{
	int y, m, d;
	if (!s)
		return false;
	for (int i = 0; i < 10; i++)  /* also rejects strings shorter than 10 */
		if (!s[i])
			return false;
	if (s[10])
		return false;
	if (s[4] == '-' && s[7] == '-') {
		y = date_digits(s, 4);
		m = date_digits(s + 5, 2);
		d = date_digits(s + 8, 2);
	} else if (s[2] == '/' && s[5] == '/') {
		d = date_digits(s, 2);
		m = date_digits(s + 3, 2);
		y = date_digits(s + 6, 4);
	} else {
		return false;
	}
	if (!date_valid(y, m, d))
		return false;
	*out = date_from_ymd(y, m, d);
	return true;
}

/* Write v as exactly n decimal digits (v must fit). */
static void date_put_digits(char *out, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void date_format(hday day, char out[11])
{
	int y, m, d;
	date_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		y = 0;  /* outside anything Hearth stores; keep the shape */
		m = d = 1;
	}
	date_put_digits(out, y, 4);
	out[4] = '-';
	date_put_digits(out + 5, m, 2);
	out[7] = '-';
	date_put_digits(out + 8, d, 2);
	out[10] = '\0';
}

/* Floor division of a time_t by a positive divisor. */
static long long date_floor_div(long long a, long long b)
{
	return a / b - (a % b != 0 && a < 0);
}

hday date_today(void)
{
	return (hday)date_floor_div((long long)time(NULL), 86400);
}

int date_weekday(hday day)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	return (int)(((long long)day % 7 + 7 + 3) % 7);
}

int academic_year(hday day)
{
	int y, m, d;
	date_to_ymd(day, &y, &m, &d);
	return m >= 9 ? y : y - 1;
}

void academic_year_label(int start_year, char out[8])
{
	if (start_year < 0 || start_year > 9998)
		start_year = 0;
	date_put_digits(out, start_year, 4);
	out[4] = '/';
	date_put_digits(out + 5, (start_year + 1) % 100, 2);
	out[7] = '\0';
}

/* Whole years from dob to on: a birthday on 29 February is reached on
 * 1 March in common years, as English law counts it. */
int age_on(hday dob, hday on)
{
	int by, bm, bd, y, m, d;
	date_to_ymd(dob, &by, &bm, &bd);
	date_to_ymd(on, &y, &m, &d);
	int age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

int age_at_start_of_academic_year(hday dob, hday on)
{
	return age_on(dob, date_from_ymd(academic_year(on), 8, 31));
}

int nc_year_group(hday dob, hday on)
{
	/* Age 4 on the 31 August before the year → Reception (0). */
	return age_at_start_of_academic_year(dob, on) - 4;
}

/* The anonymous Gregorian computus; valid for every Gregorian year. */
hday date_easter(int y)
{
	int a = y % 19, b = y / 100, c = y % 100;
	int d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int day = (h + l - 7 * m + 114) % 31 + 1;
	return date_from_ymd(y, month, day);
}

enum term term_of(hday day)
{
	int y, m, d;
	date_to_ymd(day, &y, &m, &d);
	if (m >= 9)
		return TERM_AUTUMN;
	return day <= date_easter(y) ? TERM_SPRING : TERM_SUMMER;
}

const char *term_name(enum term t)
{
	switch (t) {
	case TERM_AUTUMN: return "Autumn";
	case TERM_SPRING: return "Spring";
	case TERM_SUMMER: return "Summer";
	}
	return "Unknown";
}

void term_bounds(int start_year, enum term t, hday *first, hday *last)
{
	switch (t) {
	case TERM_SPRING:
		*first = date_from_ymd(start_year + 1, 1, 1);
		*last = date_easter(start_year + 1);
		break;
	case TERM_SUMMER:
		*first = date_easter(start_year + 1) + 1;
		*last = date_from_ymd(start_year + 1, 8, 31);
		break;
	case TERM_AUTUMN:
	default:
		*first = date_from_ymd(start_year, 9, 1);
		*last = date_from_ymd(start_year, 12, 31);
		break;
	}
}

int financial_year(hday day)
{
	int y, m, d;
	date_to_ymd(day, &y, &m, &d);
	return m >= 4 ? y : y - 1;
}

void timestamp_format(time_t t, char out[21])
{
	long long secs = (long long)t;
	long long days = date_floor_div(secs, 86400);
	int rem = (int)(secs - days * 86400);
	date_format((hday)days, out);
	out[10] = 'T';
	date_put_digits(out + 11, rem / 3600, 2);
	out[13] = ':';
	date_put_digits(out + 14, rem / 60 % 60, 2);
	out[16] = ':';
	date_put_digits(out + 17, rem % 60, 2);
	out[19] = 'Z';
	out[20] = '\0';
}

bool datetime_parse(const char *at, char out[17])
{
	size_t n = at ? strlen(at) : 0;
	char d[11];
	hday day;
	if ((n != 16 && n != 19) || (at[10] != 'T' && at[10] != ' ') || at[13] != ':')
		return false;
	snprintf(d, sizeof d, "%.10s", at);
	if (!date_parse(d, &day) || strspn(at + 11, "0123456789") != 2 ||
	    strspn(at + 14, "0123456789") != 2)
		return false;
	if (n == 19 && (at[16] != ':' || strspn(at + 17, "0123456789") != 2))
		return false;
	unsigned hh = (unsigned)(at[11] - '0') * 10 + (unsigned)(at[12] - '0');
	unsigned mm = (unsigned)(at[14] - '0') * 10 + (unsigned)(at[15] - '0');
	if (hh > 23 || mm > 59)
		return false;
	date_format(day, d);
	memcpy(out, d, 10);
	out[10] = 'T';
	memcpy(out + 11, at + 11, 5);
	out[16] = '\0';
	return true;
}
