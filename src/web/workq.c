/* workq.c — a fixed pool of threads and one FIFO of intrusive jobs. */
#include "web/workq.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/alloc.h"

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t ready;          /* a job was queued, or stopping */
	struct workq_job *head, **tail;
	bool stopping, joined;
	unsigned nthreads;
	pthread_t threads[];
};

static void *worker(void *arg)
{
	struct workq *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->ready, &q->lock);
		struct workq_job *j = q->head;
		if (!j)		/* stopping, and nothing left to run */
			break;
		q->head = j->next;
		if (!q->head)
			q->tail = &q->head;
		pthread_mutex_unlock(&q->lock);
		j->next = NULL;
		j->fn(j);	/* j may be freed by now */
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct workq *workq_start(unsigned threads)
{
	if (threads == 0)
		threads = 1;
	struct workq *q = xcalloc(1, sizeof *q + threads * sizeof q->threads[0]);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	q->tail = &q->head;
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q) != 0)
			break;
		q->nthreads++;
	}
	if (q->nthreads == 0) {
		workq_free(q);
		return NULL;
	}
	return q;
}

bool workq_submit(struct workq *q, struct workq_job *job, workq_fn *fn)
{
	job->fn = fn;
	job->next = NULL;
	pthread_mutex_lock(&q->lock);
	bool ok = !q->stopping;
	if (ok) {
		*q->tail = job;
		q->tail = &job->next;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

void workq_stop(struct workq *q)
{
	if (!q || q->joined)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	q->joined = true;
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	workq_stop(q);
	pthread_cond_destroy(&q->ready);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
