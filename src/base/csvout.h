/* csvout.h — writing CSV (RFC 4180) that a spreadsheet opens safely.
 *
 * Every export Hearth offers (risk lists, commissions, costs, reports, the
 * joint audit) writes its cells through here, so the two rules hold
 * everywhere: a field is quoted with its quotes doubled, and text that a
 * spreadsheet would run as a formula — starting with = + - @, a tab or a
 * CR — gets an apostrophe in front (CSV injection).  Numbers written by
 * Hearth itself (money, counts) are written plain with CSV_NUMBER, so a
 * negative figure stays a number.
 *
 *	csv_put(&b, "Ratae Academy", 0);
 *	csv_put(&b, "=HYPERLINK(…)", 0);      // "'=HYPERLINK(…)"
 *	csv_put(&b, "-12.50", CSV_NUMBER | CSV_LAST);
 */
#ifndef HEARTH_CSVOUT_H
#define HEARTH_CSVOUT_H
#include "base/buf.h"

enum csv_put_flags {
	CSV_LAST = 1,      /* the row's last field: end the row with CRLF, else a comma */
	CSV_NUMBER = 2,    /* written by Hearth, not typed by a user: no apostrophe */
	CSV_MINIMAL = 4,   /* quote only when the field needs it (comma, quote, CR,
			    * LF, or an apostrophe added); else always quoted */
};

/* Append one field s (NULL: empty) and its separator to b. */
void csv_put(struct buf *b, const char *s, unsigned flags);

#endif
