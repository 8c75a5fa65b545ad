/* arena.h — a per-request region allocator.
 *
 * Each HTTP request (and each CLI command) owns one arena; everything the
 * handler allocates for the request comes from it and is released at once
 * by arena_free(), so handlers never free piecemeal.  Allocation aborts on
 * out-of-memory like xmalloc.  Not thread-safe: one arena per thread/request. */
#ifndef HEARTH_ARENA_H
#define HEARTH_ARENA_H
#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena {
	struct arena_block *head;
	size_t total;  /* bytes handed out, for diagnostics */
};

void arena_init(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);   /* zeroed, 16-byte aligned */
char *arena_strdup(struct arena *a, const char *s);  /* NULL -> NULL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);
/* Bytes held in all arenas of the process (for the soak's heap samples). */
size_t arena_held(void);
/* Move every block of from into to (from is left empty): memory another
 * thread allocated for this request is then freed with the request's. */
void arena_adopt(struct arena *to, struct arena *from);

#endif
