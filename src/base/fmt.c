/* fmt.c — context-escaping printf for HTML, URLs and JSON (see fmt.h). */
#include "base/fmt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fmt_html(struct buf *b, const char *s)
{
	if (!s)
		return;
	const char *run = s;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_append(b, run, (size_t)(s - run));
		buf_puts(b, rep);
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
}

void fmt_url(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_append(b, e, 3);
		}
	}
}

/* Length (1-4) of the valid UTF-8 sequence s starts with, or 0 for a
 * stray byte, an overlong form, a surrogate or a code point past U+10FFFF.
 * The NUL that ends s fails the continuation test, so it never reads on. */
static int utf8_seq(const unsigned char *s)
{
	unsigned cp, min;
	int n;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1Fu, min = 0x80;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0Fu, min = 0x800;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07u, min = 0x10000;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* JSON must be UTF-8: a byte that does not start a valid sequence (e.g.
 * where a message cut a name short, or a %FF from a URL) is written as
 * U+FFFD, so the document stays valid whatever the string (found by
 * fuzz/fuzz_json.c). */
void fmt_json(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '<': buf_puts(b, "\\u003c"); break; /* safe inside <script> */
		default:
			if (c < 0x20) {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				buf_append(b, e, 6);
			} else if (c < 0x80) {
				buf_putc(b, (char)c);
			} else {
				int n = utf8_seq((const unsigned char *)s);
				if (n) {
					buf_append(b, s, (size_t)n);
					s += n - 1;
				} else {
					buf_puts(b, "\\ufffd");
				}
			}
		}
	}
	buf_putc(b, '"');
}

static void fmt_bad(char c)
{
	fprintf(stderr, "hearth: fmt_printf: unknown conversion %%%c\n", c);
	abort();
}

void fmt_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	const char *run = fmt;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		buf_append(b, run, (size_t)(p - run));
		p++;
		switch (*p) {
		case 'h': fmt_html(b, va_arg(ap, const char *)); break;
		case 'u': fmt_url(b, va_arg(ap, const char *)); break;
		case 'j': fmt_json(b, va_arg(ap, const char *)); break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			buf_puts(b, s ? s : "");
			break;
		}
		case 'd': buf_printf(b, "%d", va_arg(ap, int)); break;
		case '%': buf_putc(b, '%'); break;
		case 'z':
			if (p[1] != 'u')
				fmt_bad(p[1]);
			p++;
			buf_printf(b, "%zu", va_arg(ap, size_t));
			break;
		case 'l':
			if (p[1] == 'd') {
				p++;
				buf_printf(b, "%ld", va_arg(ap, long));
			} else if (p[1] == 'l' && p[2] == 'd') {
				p += 2;
				buf_printf(b, "%lld", va_arg(ap, long long));
			} else {
				fmt_bad(p[1]);
			}
			break;
		default: fmt_bad(*p);
		}
		run = p + 1;
	}
	buf_puts(b, run);
}

void fmt_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vprintf(b, fmt, ap);
	va_end(ap);
}
