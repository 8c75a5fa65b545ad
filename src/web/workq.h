/* workq.h — a pool of threads that run the jobs handed to them.
 *
 * The server's network threads hand it every request that may take long
 * (server.c): a password to hash, a report to run, a write that may wait
 * for the database.  Jobs are run in the order handed over, each by one
 * thread of the pool.  A job is a struct workq_job embedded in the
 * caller's own state (nothing is allocated per job, so handing one over
 * cannot fail for want of memory). */
#ifndef HEARTH_WORKQ_H
#define HEARTH_WORKQ_H
#include <stdbool.h>

struct workq_job;
typedef void workq_fn(struct workq_job *job);

struct workq_job {
	workq_fn *fn;
	struct workq_job *next;   /* the queue's own */
};

struct workq;

/* Start threads threads (at least one); NULL if none could be started. */
struct workq *workq_start(unsigned threads);
/* Queue job to run fn(job) on a pool thread: true.  false (job not
 * queued, fn never called for it) once workq_stop has begun. */
bool workq_submit(struct workq *q, struct workq_job *job, workq_fn *fn);
/* Refuse new jobs (workq_submit returns false from now on), run every job
 * already queued and end the threads.  q stays valid, for callers that
 * may still hand it jobs, until workq_free.  NULL is ignored. */
void workq_stop(struct workq *q);
/* Free q, stopped first if it was not.  NULL is ignored. */
void workq_free(struct workq *q);

#endif
