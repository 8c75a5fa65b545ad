/* logbuf.c — whole lines to a file descriptor, written in batches (see
 * logbuf.h).
 *
 * Two buffers: appenders fill one under the lock; the flusher swaps it for
 * the empty one and writes the full one outside the lock, so appenders
 * wait only for a memcpy.  A buffer being written out is marked busy;
 * an appender that finds its buffer full while the other is still being
 * written writes its own out under the lock (rare: the descriptor is not
 * keeping up), which keeps the order of lines and bounds the memory. */
#include "base/logbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;               /* to the flusher: stop, or half full */
static pthread_cond_t idle;             /* from the flusher: a write-out ended */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_t flusher;
static int out_fd = 2;
static bool running, stopping, writing, woken;
static char bufs[2][LOGBUF_CAP];
static char *fill = bufs[0];            /* the buffer appenders fill */
static size_t fill_len;

/* write(2) all of p, retrying short writes and EINTR.  A failing
 * descriptor (a full disk) loses those lines: the log must never stop
 * the server. */
static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(out_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &a);
	pthread_condattr_destroy(&a);
	pthread_cond_init(&idle, NULL);
}

/* With lk held: hand the filled buffer to the caller to write out (outside
 * the lock) and start filling the other.  Returns its length (0: none). */
static size_t swap(char **full)
{
	size_t n = fill_len;
	*full = fill;
	fill = fill == bufs[0] ? bufs[1] : bufs[0];
	fill_len = 0;
	writing = n > 0;
	return n;
}

static void *flush_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&lk);
	for (;;) {
		if (!stopping && !woken) {
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			t.tv_nsec += LOGBUF_FLUSH_MS * 1000000L;
			t.tv_sec += t.tv_nsec / 1000000000L;
			t.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&cv, &lk, &t);
		}
		woken = false;
		char *full;
		size_t n = swap(&full);
		if (n) {
			pthread_mutex_unlock(&lk);
			write_all(full, n);
			pthread_mutex_lock(&lk);
			writing = false;
			pthread_cond_broadcast(&idle);
		}
		if (stopping && !fill_len)
			break;
	}
	pthread_mutex_unlock(&lk);
	return NULL;
}

int logbuf_start(int fd)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&lk);
	if (running) {
		pthread_mutex_unlock(&lk);
		return HE_INTERNAL;
	}
	out_fd = fd;
	stopping = woken = false;
	fill_len = 0;
	running = pthread_create(&flusher, NULL, flush_main, NULL) == 0;
	pthread_mutex_unlock(&lk);
	return running ? HE_OK : HE_INTERNAL;
}

void logbuf_line(const char *line, size_t n)
{
	pthread_mutex_lock(&lk);
	if (!running || n > LOGBUF_CAP) {
		/* Before the start, after the stop, or a line no buffer holds:
		 * straight out, after whatever is buffered. */
		while (writing)
			pthread_cond_wait(&idle, &lk);
		write_all(fill, fill_len);
		fill_len = 0;
		write_all(line, n);
		pthread_mutex_unlock(&lk);
		return;
	}
	if (fill_len + n > LOGBUF_CAP) {
		/* Full.  Wait for the other buffer to be written, then write
		 * this one here: the order holds and nothing is dropped. */
		while (writing)
			pthread_cond_wait(&idle, &lk);
		write_all(fill, fill_len);
		fill_len = 0;
	}
	memcpy(fill + fill_len, line, n);
	fill_len += n;
	if (fill_len >= LOGBUF_CAP / 2 && !woken) {
		woken = true;
		pthread_cond_signal(&cv);
	}
	pthread_mutex_unlock(&lk);
}

void logbuf_stop(void)
{
	pthread_mutex_lock(&lk);
	if (!running) {
		pthread_mutex_unlock(&lk);
		return;
	}
	stopping = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&lk);
	pthread_join(flusher, NULL);
	pthread_mutex_lock(&lk);
	running = false;
	pthread_mutex_unlock(&lk);
}
