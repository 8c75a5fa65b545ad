/* money.h — money as integer pence: the one parser and the one formatter.
 *
 * Hearth never holds money in floating point.  Every amount is an int64_t
 * count of pence; forms and JSON take text ("£1,234.56", "1234.5", "12")
 * through money_parse, and every page, export and message prints through
 * money_format ("£1,234.56", "-£3.00"), so a figure reads the same
 * everywhere and totals agree to the penny.
 *
 * Accepted by the parser: optional surrounding spaces, an optional "£"
 * (or "GBP"), digits with optional thousands commas in the right places
 * ("1,234" but not "12,34"), and an optional point with one or two
 * decimals.  Refused (HE_INVALID): empty text, a sign unless allowed, more
 * than two decimals, any other character, and amounts beyond MONEY_MAX. */
#ifndef HEARTH_MONEY_H
#define HEARTH_MONEY_H
#include <stdbool.h>
#include <stdint.h>

/* The largest amount accepted: £1,000,000,000,000.00 (far beyond any
 * budget, far inside int64_t so sums of many amounts cannot overflow). */
#define MONEY_MAX INT64_C(100000000000000)

/* Parse a non-negative amount.  HE_OK and *pence set, or HE_INVALID
 * (*pence untouched). */
int money_parse(const char *s, int64_t *pence);
/* The same, allowing a leading "-" (before or after the "£") when
 * allow_negative. */
int money_parse_signed(const char *s, bool allow_negative, int64_t *pence);

/* "£1,234.56"; "-£3.00" for negatives; "£0.00". */
void money_format(int64_t pence, char out[32]);
/* "1234.56", "-3.00": for form values, CSV and XLSX cells (no £, no commas). */
void money_plain(int64_t pence, char out[32]);
/* part as a share of whole to one decimal, rounded half up: "15.8%"
 * (whole 0: "0.0%"). Integer arithmetic only. */
void money_share(int64_t part, int64_t whole, char out[16]);

#endif
