/* alloc.h — allocation that never returns NULL.
 *
 * Hearth treats running out of memory as fatal: every allocation goes through
 * these wrappers, which print a message and abort() instead of returning NULL,
 * so no call site needs (or has) an out-of-memory branch. */
#ifndef HEARTH_ALLOC_H
#define HEARTH_ALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
