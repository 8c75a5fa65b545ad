/* report_pool.c — work out several report sections at once (see
 * report_pool.h).
 *
 * A request's sections form a batch on a queue.  The pool's threads and
 * the request's own thread take sections from the oldest batch that has
 * any left, in a fixed order (the costliest first, so that the last one
 * taken is short and the threads finish together), each into an arena of
 * its own; the request's thread, once nothing of its batch is left to
 * take, waits for the ones still running elsewhere, then adopts their
 * arenas into its own.  Nobody polls: one condition variable wakes the
 * pool when a batch arrives, and each batch has its own for "done". */
#include "core/report_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "store/db.h"

#define POOL_MAX 3

/* The sections by cost on a large county, costliest first (bench/README
 * "Dashboard"); sections not named here follow, in the registry's order. */
static const char *const cost_order[] = {
	"outcomes", "reach", "money_families", "activity", "money_engaged", "waits", NULL,
};

struct batch {
	const struct report_filter *f;
	struct rtable **out;
	struct arena *arenas;   /* one per section */
	size_t *order;          /* section indexes in the order to take them */
	size_t total, next, done;
	int rc;                 /* the first failure */
	size_t failed;
	char err[256];
	pthread_cond_t finished;
	struct batch *newer;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct batch *oldest, **newest = &oldest;
static pthread_t threads[POOL_MAX];
static int nthreads, started, stopping;
static char *pool_url;

static void unlink_batch(struct batch *b);

/* With lock held: the next section of the oldest batch with one left (and
 * that batch), or 0 if none. */
static int take(struct batch **bp, size_t *section)
{
	struct batch *b = oldest;
	if (!b)
		return 0;
	*bp = b;
	*section = b->order[b->next++];
	if (b->next == b->total)            /* all taken: off the queue */
		unlink_batch(b);
	return 1;
}

/* With lock held: take b, all of whose sections are now taken, off the
 * queue wherever it is. */
static void unlink_batch(struct batch *b)
{
	for (struct batch **p = &oldest; *p; p = &(*p)->newer)
		if (*p == b) {
			*p = b->newer;
			if (newest == &b->newer)
				newest = p;
			return;
		}
}

static void run_one(struct db *db, struct batch *b, size_t i)
{
	const struct report_section *sec = &report_sections[i];
	int rc = sec->fn ? sec->fn(db, &b->arenas[i], b->f, &b->out[i]) : HE_OK;
	pthread_mutex_lock(&lock);
	if (rc && (!b->rc || i < b->failed)) {
		b->rc = rc;
		b->failed = i;
		snprintf(b->err, sizeof b->err, "%s", db_errmsg(db));
	}
	if (++b->done == b->total)
		pthread_cond_signal(&b->finished);
}

static void *pool_thread(void *arg)
{
	struct db *db = arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct batch *b;
		size_t i;
		while (!stopping && !take(&b, &i))
			pthread_cond_wait(&work, &lock);
		if (stopping)
			break;
		pthread_mutex_unlock(&lock);
		run_one(db, b, i);
	}
	pthread_mutex_unlock(&lock);
	db_close(db);
	return NULL;
}

/* How many pool threads: HEARTH_REPORT_THREADS, else one fewer than the
 * cores, at most POOL_MAX. */
static int pool_size(void)
{
	const char *env = getenv("HEARTH_REPORT_THREADS");
	long n;
	if (env && *env)
		n = strtol(env, NULL, 10);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	return n < 0 ? 0 : n > POOL_MAX ? POOL_MAX : (int)n;
}

/* With lock held: start the pool on url once.  A thread whose connection
 * cannot be opened is not started (the caller's thread does its share). */
static void pool_start(const char *url)
{
	if (started)
		return;
	started = 1;
	pool_url = xstrdup(url);
	int want = pool_size();
	for (int k = 0; k < want; k++) {
		struct db *db = NULL;
		char *msg = NULL;
		if (db_open(url, &db, &msg) != HE_OK) {
			fprintf(stderr, "hearth: report pool: %s\n", msg ? msg : "cannot open database");
			free(msg);
			break;
		}
		db_map_reads(db, true);
		if (pthread_create(&threads[nthreads], NULL, pool_thread, db) != 0) {
			db_close(db);
			break;
		}
		nthreads++;
	}
}

static size_t order_of(const char *id)
{
	for (size_t k = 0; cost_order[k]; k++)
		if (!strcmp(cost_order[k], id))
			return k;
	return sizeof cost_order / sizeof cost_order[0];
}

int report_pool_run(struct db *db, const char *url, struct arena *a,
		    const struct report_filter *f, struct rtable **out, size_t *failed,
		    char *errmsg, size_t n)
{
	size_t total = report_nsections;
	struct batch b;
	memset(&b, 0, sizeof b);
	b.f = f;
	b.out = out;
	b.total = total;
	b.arenas = xcalloc(total ? total : 1, sizeof *b.arenas);
	b.order = xcalloc(total ? total : 1, sizeof *b.order);
	for (size_t i = 0; i < total; i++) {
		out[i] = NULL;
		arena_init(&b.arenas[i]);
		b.order[i] = i;
	}
	/* costliest first; stable for the rest (insertion sort: a dozen) */
	for (size_t i = 1; i < total; i++)
		for (size_t j = i; j > 0 && order_of(report_sections[b.order[j]].id) <
					   order_of(report_sections[b.order[j - 1]].id); j--) {
			size_t t = b.order[j];
			b.order[j] = b.order[j - 1];
			b.order[j - 1] = t;
		}
	pthread_cond_init(&b.finished, NULL);

	pthread_mutex_lock(&lock);
	if (url && !stopping && total > 1)
		pool_start(url);
	bool shared = nthreads > 0 && !stopping && total > 0 &&
		      pool_url && url && strcmp(pool_url, url) == 0;
	if (shared) {
		*newest = &b;
		newest = &b.newer;
		pthread_cond_broadcast(&work);
	}
	/* This thread takes its own batch's sections while any are left. */
	while (b.next < total) {
		size_t i = b.order[b.next++];
		if (shared && b.next == total)
			unlink_batch(&b);
		pthread_mutex_unlock(&lock);
		run_one(db, &b, i);
	}
	while (b.done < total)
		pthread_cond_wait(&b.finished, &lock);
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&b.finished);

	for (size_t i = 0; i < total; i++)
		arena_adopt(a, &b.arenas[i]);
	free(b.arenas);
	free(b.order);
	if (b.rc) {
		*failed = b.failed;
		snprintf(errmsg, n, "%s", b.err);
	}
	return b.rc;
}

int report_pool_size(void)
{
	pthread_mutex_lock(&lock);
	int n = nthreads;
	pthread_mutex_unlock(&lock);
	return n;
}

void report_pool_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&lock);
	for (int k = 0; k < nthreads; k++)
		pthread_join(threads[k], NULL);
	pthread_mutex_lock(&lock);
	nthreads = 0;
	free(pool_url);
	pool_url = NULL;
	pthread_mutex_unlock(&lock);
}
