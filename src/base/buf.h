/* buf.h — the one growable byte buffer.
 *
 * Modelled on curl's dynbuf: a buffer has a size cap fixed at init and a
 * sticky error.  Once an append would pass the cap the buffer is marked
 * failed, later appends are ignored, and buf_err() reports it, so a caller
 * can append many pieces and check once.  The contents are always
 * NUL-terminated.
 *
 * Ownership verbs:
 *   buf_init   start empty with a cap (0 = BUF_DEFAULT_MAX)
 *   buf_append / buf_puts / buf_printf / buf_putc   add bytes
 *   buf_take   hand the heap string to the caller (who free()s it); the
 *              buffer is left empty and usable
 *   buf_reset  empty it, keep the memory
 *   buf_free   release the memory */
#ifndef HEARTH_BUF_H
#define HEARTH_BUF_H
#include <stdarg.h>
#include <stddef.h>

#define BUF_DEFAULT_MAX (64u * 1024 * 1024)

struct buf {
	char *data;  /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;  /* hard cap on len */
	int err;     /* sticky: set once an append was refused */
};

void buf_init(struct buf *b, size_t max);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a C string; "" when empty. Valid until the next append. */
const char *buf_str(const struct buf *b);
char *buf_take(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
static inline int buf_err(const struct buf *b) { return b->err; }

#endif
