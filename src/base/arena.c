/* arena.c — region allocator for request lifetimes (see arena.h). */
#include "base/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#include <pthread.h>
#include <stdatomic.h>

/* Bytes in every arena's blocks, process-wide (diagnostics: the soak). */
static _Atomic size_t held;

size_t arena_held(void)
{
	return atomic_load_explicit(&held, memory_order_relaxed);
}

#define ARENA_BLOCK 8192u

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(16) unsigned char mem[];
};

/* Each thread keeps up to SPARE_BLOCKS freed blocks of ARENA_BLOCK bytes
 * for its next arenas: a request's arena is one such block, so a server
 * thread allocates and frees none per request (an 8 KiB malloc and free
 * each were a percent of GET /api/v1/me).  Several, because a network
 * thread has a request's arena alive for every answer it holds for the
 * next audit commit (5-20 under load; with one spare, all but one of them
 * were malloc'd).  A pthread key, so the blocks are freed with their
 * thread. */
#define SPARE_BLOCKS 32

struct spares {
	struct arena_block *head;
	int n;
};

static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spares_free(void *p)
{
	struct spares *s = p;
	for (struct arena_block *b = s->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(s);
}

static void spare_make(void) { pthread_key_create(&spare_key, spares_free); }

/* This thread's spares, made on first use (NULL if they cannot be). */
static struct spares *spares(void)
{
	pthread_once(&spare_once, spare_make);
	struct spares *s = pthread_getspecific(spare_key);
	if (!s && (s = calloc(1, sizeof *s)) && pthread_setspecific(spare_key, s) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

static struct arena_block *block_new(size_t size)
{
	struct spares *s = size == ARENA_BLOCK ? spares() : NULL;
	if (s && s->head) {
		struct arena_block *b = s->head;
		s->head = b->next;
		s->n--;
		return b;
	}
	return xmalloc(sizeof(struct arena_block) + size);
}

static void block_free(struct arena_block *b)
{
	struct spares *s = b->size == ARENA_BLOCK ? spares() : NULL;
	if (s && s->n < SPARE_BLOCKS) {
		b->next = s->head;
		s->head = b;
		s->n++;
		return;
	}
	free(b);
}

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = block_new(size);
		atomic_fetch_add_explicit(&held, size, memory_order_relaxed);
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->mem + b->used;
	b->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		atomic_fetch_sub_explicit(&held, b->size, memory_order_relaxed);
		block_free(b);
		b = next;
	}
	arena_init(a);
}

void arena_adopt(struct arena *to, struct arena *from)
{
	struct arena_block *b = from->head;
	if (!b)
		return;
	struct arena_block *last = b;
	while (last->next)
		last = last->next;
	/* after to's current block, so to keeps filling the block it was */
	if (to->head) {
		last->next = to->head->next;
		to->head->next = b;
	} else {
		to->head = b;
	}
	to->total += from->total;
	arena_init(from);
}
