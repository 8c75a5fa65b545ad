/* csvout.c — writing CSV that a spreadsheet opens safely.  See csvout.h. */
#include "base/csvout.h"

#include <stdbool.h>
#include <string.h>

void csv_put(struct buf *b, const char *s, unsigned flags)
{
	s = s ? s : "";
	bool formula = !(flags & CSV_NUMBER) && s[0] && strchr("=+-@\t\r", s[0]);
	bool quote = !(flags & CSV_MINIMAL) || formula || strpbrk(s, ",\"\r\n");
	if (quote)
		buf_putc(b, '"');
	if (formula)
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	if (quote)
		buf_putc(b, '"');
	buf_puts(b, flags & CSV_LAST ? "\r\n" : ",");
}
