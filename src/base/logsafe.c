/* logsafe.c — escape outside bytes for one-line logs and the audit log
 * (the forms are listed in logsafe.h). */
#include "base/logsafe.h"

#include <stdint.h>
#include <string.h>

#include "base/alloc.h"

/* The length of the valid UTF-8 sequence at p (at most len bytes), its
 * code point in *cp; 0 if the bytes at p are not one (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* A valid character that is still written as \uNNNN. */
static bool shown_as_code(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* A byte or character copied as it is. */
static bool plain(uint32_t cp, size_t n)
{
	if (n == 1)
		return cp >= 0x20 && cp != 0x7f && cp != '\\';
	return !shown_as_code(cp);
}

static void put_byte_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
	switch (c) {
	case '\\': buf_append(b, "\\\\", 2); return;
	case '\n': buf_append(b, "\\n", 2); return;
	case '\r': buf_append(b, "\\r", 2); return;
	case '\t': buf_append(b, "\\t", 2); return;
	}
	buf_append(b, e, sizeof e);
}

void logsafe_append(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;   /* bytes p[run..i) are plain, not yet copied */
	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_seq(p + i, len - i, &cp);
		if (n && plain(cp, n)) {
			i += n;
			continue;
		}
		buf_append(b, p + run, i - run);
		if (n > 1)
			buf_printf(b, "\\u%04X", (unsigned)cp);
		else
			put_byte_escape(b, p[i]);
		i += n > 1 ? n : 1;
		run = i;
	}
	buf_append(b, p + run, i - run);
}

bool logsafe_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_seq(p + i, len - i, &cp);
		if (!n || !plain(cp, n))
			return false;
		i += n;
	}
	return true;
}

char *logsafe_dup(const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	if (logsafe_clean(s, len))
		return xstrdup(s);
	struct buf b;
	buf_init(&b, 0);
	logsafe_append(&b, s, len);
	if (buf_err(&b)) {       /* over the buffer cap (64 MiB): cannot happen for */
		buf_free(&b);    /* a summary, but never store the raw bytes */
		return xstrdup("(text too long to escape)");
	}
	return buf_take(&b);
}
