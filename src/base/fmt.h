/* fmt.h — the one escaping printf.
 *
 * Every byte of HTML, URL or JSON that Hearth emits from data goes through
 * fmt_printf(), whose conversions escape by context:
 *   %h   HTML text or attribute value: & < > " ' escaped; NULL prints ""
 *   %u   URL component: everything but unreserved characters %XX-encoded
 *   %j   JSON string, quotes included; NULL prints null
 *   %s   raw: only for literals and output already escaped (never data)
 *   %d %ld %lld %zu   integers;   %%   a percent sign
 * Anything else is a programming error: it aborts (so a typo cannot emit
 * unescaped data).  The format attribute is deliberately absent: gcc would
 * reject %h and %j. */
#ifndef HEARTH_FMT_H
#define HEARTH_FMT_H
#include <stdarg.h>

#include "base/buf.h"

void fmt_printf(struct buf *b, const char *fmt, ...);
void fmt_vprintf(struct buf *b, const char *fmt, va_list ap);

void fmt_html(struct buf *b, const char *s);
void fmt_url(struct buf *b, const char *s);
void fmt_json(struct buf *b, const char *s);  /* quoted, or null */

#endif
