/* test_workq.c — unit tests for src/web/workq.c: every job handed over
 * runs once, on a pool thread, not the caller's; one thread runs them in
 * the order handed over; the threads run jobs side by side; the stop runs
 * every job already queued, and a job handed over once the stop has begun
 * is refused (never run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "web/workq.h"

#define JOBS 2000

struct counted {
	struct workq_job job;     /* first: the job is the struct */
	int index;
	atomic_int runs;
	pthread_t ran_on;
};

static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static int order[JOBS], norder;

static void count(struct workq_job *job)
{
	struct counted *c = (struct counted *)job;
	c->ran_on = pthread_self();
	pthread_mutex_lock(&order_lock);
	order[norder++] = c->index;
	pthread_mutex_unlock(&order_lock);
	atomic_fetch_add(&c->runs, 1);
}

static struct counted *jobs_new(void)
{
	struct counted *c = calloc(JOBS, sizeof *c);
	assert_non_null(c);
	for (int i = 0; i < JOBS; i++)
		c[i].index = i;
	norder = 0;
	return c;
}

static void test_every_job_once_on_a_pool_thread(void **state)
{
	(void)state;
	struct counted *c = jobs_new();
	struct workq *q = workq_start(4);
	assert_non_null(q);
	for (int i = 0; i < JOBS; i++)
		assert_true(workq_submit(q, &c[i].job, count));
	workq_stop(q);	/* runs whatever is still queued */
	workq_free(q);
	for (int i = 0; i < JOBS; i++) {
		assert_int_equal(atomic_load(&c[i].runs), 1);
		assert_false(pthread_equal(c[i].ran_on, pthread_self()));
	}
	assert_int_equal(norder, JOBS);
	free(c);
}

static void test_one_thread_runs_them_in_order(void **state)
{
	(void)state;
	struct counted *c = jobs_new();
	struct workq *q = workq_start(1);
	assert_non_null(q);
	for (int i = 0; i < JOBS; i++)
		assert_true(workq_submit(q, &c[i].job, count));
	workq_free(q);	/* stops it first */
	assert_int_equal(norder, JOBS);
	for (int i = 0; i < JOBS; i++)
		assert_int_equal(order[i], i);
	free(c);
}

/* Jobs that each wait (up to 10 s) for all of them to have started: they
 * can only all start if the pool runs them side by side. */
#define SIDE 4
static pthread_mutex_t side_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t side_cond = PTHREAD_COND_INITIALIZER;
static int side_started, side_met;

static void wait_for_all(struct workq_job *job)
{
	(void)job;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&side_lock);
	side_started++;
	pthread_cond_broadcast(&side_cond);
	while (side_started < SIDE &&
	       pthread_cond_timedwait(&side_cond, &side_lock, &until) == 0)
		;
	side_met += side_started == SIDE;
	pthread_mutex_unlock(&side_lock);
}

static void test_threads_run_side_by_side(void **state)
{
	(void)state;
	struct workq_job j[SIDE];
	struct workq *q = workq_start(SIDE);
	assert_non_null(q);
	for (int i = 0; i < SIDE; i++)
		assert_true(workq_submit(q, &j[i], wait_for_all));
	workq_free(q);
	assert_int_equal(side_started, SIDE);
	assert_int_equal(side_met, SIDE);
}

/* A job that hands over more jobs until it is refused: the stop began
 * while it ran.  Every job accepted ran; the refused one did not. */
static struct workq *stopping_q;
static atomic_int accepted, extra_runs, refused;
static struct workq_job extra[100000];
static atomic_bool go;

static void extra_job(struct workq_job *job)
{
	(void)job;
	atomic_fetch_add(&extra_runs, 1);
}

static void submit_until_refused(struct workq_job *job)
{
	(void)job;
	atomic_store(&go, true);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		if (!workq_submit(stopping_q, &extra[i], extra_job)) {
			atomic_store(&refused, 1);
			return;
		}
		atomic_fetch_add(&accepted, 1);
		if (i % 64 == 63) {	/* give the stop a moment to begin */
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
	}
}

static void test_stop_runs_queued_refuses_new(void **state)
{
	(void)state;
	struct workq_job first;
	stopping_q = workq_start(1);
	assert_non_null(stopping_q);
	assert_true(workq_submit(stopping_q, &first, submit_until_refused));
	while (!atomic_load(&go))
		sched_yield();
	workq_stop(stopping_q);
	/* stopped but not freed: it still refuses */
	struct workq_job late;
	assert_false(workq_submit(stopping_q, &late, extra_job));
	workq_free(stopping_q);
	assert_int_equal(atomic_load(&refused), 1);
	assert_true(atomic_load(&accepted) < (int)(sizeof extra / sizeof extra[0]));
	assert_int_equal(atomic_load(&extra_runs), atomic_load(&accepted));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_job_once_on_a_pool_thread),
		cmocka_unit_test(test_one_thread_runs_them_in_order),
		cmocka_unit_test(test_threads_run_side_by_side),
		cmocka_unit_test(test_stop_runs_queued_refuses_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
