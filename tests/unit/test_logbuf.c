/* test_logbuf.c — unit tests for src/base/logbuf.c: lines from many
 * threads all arrive, whole and each thread's in order; a line is written
 * within LOGBUF_FLUSH_MS without waiting for the stop; a line longer than
 * the buffer arrives whole after the lines before it; before the start and
 * after the stop a line is written at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/logbuf.h"

#define THREADS 4
#define LINES 20000   /* per thread: several times the buffer's worth */

struct tmp {
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof *t);
	snprintf(t->path, sizeof t->path, "/tmp/hearth-logbuf-XXXXXX");
	t->fd = mkstemp(t->path);
	assert_true(t->fd >= 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	logbuf_stop();
	close(t->fd);
	unlink(t->path);
	free(t);
	return 0;
}

/* The whole file (the caller frees it); *len its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static off_t file_size(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

static void *writer(void *arg)
{
	int t = (int)(intptr_t)arg;
	char line[128];
	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof line, "t%d %06d 2026-11-24T12:00:00Z 127.0.0.1 GET"
				 " /api/v1/me 200 119 0.4ms admin@hearth.example\n", t, i);
		logbuf_line(line, (size_t)n);
	}
	return NULL;
}

static void test_threads_lines_whole_in_order(void **state)
{
	struct tmp *t = *state;
	assert_int_equal(logbuf_start(t->fd), HE_OK);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	logbuf_stop();
	size_t len;
	char *all = slurp(t->path, &len);
	int next[THREADS] = {0}, lines = 0;
	for (char *p = all, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		int th_no, no;
		char rest[128];
		*nl = '\0';
		assert_int_equal(sscanf(p, "t%d %d %127[^\n]", &th_no, &no, rest), 3);
		assert_true(th_no >= 0 && th_no < THREADS);
		assert_int_equal(no, next[th_no]);   /* each thread's lines in order */
		assert_string_equal(rest, "2026-11-24T12:00:00Z 127.0.0.1 GET /api/v1/me 200 119"
				    " 0.4ms admin@hearth.example");
		next[th_no]++;
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES);
	free(all);
}

static void test_flushed_without_stop(void **state)
{
	struct tmp *t = *state;
	assert_int_equal(logbuf_start(t->fd), HE_OK);
	logbuf_line("one line\n", 9);
	/* Written by the flusher within its interval, without a stop (the
	 * bound here is generous: valgrind and a busy CI machine are slow). */
	struct timespec nap = {0, 10 * 1000000L};
	int waited = 0;
	while (file_size(t->fd) == 0 && waited < 20 * LOGBUF_FLUSH_MS) {
		nanosleep(&nap, NULL);
		waited += 10;
	}
	assert_int_equal(file_size(t->fd), 9);
}

static void test_long_line_after_the_others(void **state)
{
	struct tmp *t = *state;
	size_t big = LOGBUF_CAP + 1000;
	char *line = malloc(big);
	memset(line, 'x', big - 1);
	line[big - 1] = '\n';
	assert_int_equal(logbuf_start(t->fd), HE_OK);
	logbuf_line("first\n", 6);
	logbuf_line(line, big);
	logbuf_line("last\n", 5);
	logbuf_stop();
	size_t len;
	char *all = slurp(t->path, &len);
	assert_int_equal(len, 6 + big + 5);
	assert_memory_equal(all, "first\n", 6);
	assert_memory_equal(all + 6, line, big);
	assert_memory_equal(all + 6 + big, "last\n", 5);
	free(all);
	free(line);
}

static void test_unstarted_writes_at_once(void **state)
{
	struct tmp *t = *state;
	/* Before any start the lines go to standard error: start and stop
	 * once so that fd is the descriptor, then write after the stop. */
	assert_int_equal(logbuf_start(t->fd), HE_OK);
	logbuf_stop();
	logbuf_line("after the stop\n", 15);
	assert_int_equal(file_size(t->fd), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_threads_lines_whole_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flushed_without_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_after_the_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unstarted_writes_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
