/* test_audit_writer.c — unit tests for the deferred audit rows and the
 * audit writer of src/core/audit.c (audit_defer_begin/end/hold/flush,
 * audit_writer_start/stop), which the server uses for reads: a request's
 * rows are held, committed on the writer's connection in one transaction
 * with every other request's rows held at that moment, by whichever
 * thread first needs them committed, and only then is the request told
 * (done), so its answer never leaves before its rows are in the log.
 *
 * Runs on SQLite, or on PostgreSQL when HEARTH_TEST_PG is set (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "store/db.h"
#include "testdb.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

static void expect_intact(struct db *db, int64_t want_rows)
{
	struct buf msg;
	int64_t rows = 0, bad = 0;
	buf_init(&msg, 1024);
	int rc = audit_verify(db, &rows, &bad, &msg);
	if (rc != HE_OK)
		fail_msg("chain broken at %lld: %s", (long long)bad, buf_str(&msg));
	buf_free(&msg);
	assert_int_equal(rows, want_rows);
}

static int64_t count_summary(struct db *db, const char *summary)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM audit_log WHERE summary = :s");
	db_bind_text(st, ":s", summary);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	assert_int_equal(db_finalize(st), HE_OK);
	return n;
}

/* The writer on a connection of its own, as the server starts it. */
static struct db *writer_start(const struct testdb *t)
{
	struct db *w = NULL;
	char *msg = NULL;
	assert_int_equal(db_open(t->url, &w, &msg), HE_OK);
	assert_int_equal(audit_writer_start(w, NULL), HE_OK);
	return w;
}

static void writer_stop(struct db *w)
{
	audit_writer_stop();
	db_close(w);
}

/* What a request waits for: done's result, and what the log held then. */
struct waiter {
	sem_t done;
	int rc;
	int calls;
	const char *url;
	const char *summary;   /* a row of the request's, looked up when done runs */
	int64_t seen;          /* rows with that summary when done ran */
};

static void on_done(void *arg, int rc)
{
	struct waiter *w = arg;
	w->rc = rc;
	w->calls++;
	if (w->summary) {	/* what another connection sees at this moment */
		struct db *db = NULL;
		char *msg = NULL;
		if (db_open(w->url, &db, &msg) == HE_OK) {
			w->seen = count_summary(db, w->summary);
			db_close(db);
		} else {
			free(msg);
		}
	}
	sem_post(&w->done);
}

static const struct audit_who who = {
	.user_id = 7, .email = "viewer@hearth.example", .role = "viewer",
	.route = "GET /test", .ip = "127.0.0.1",
};

/* While deferring, audit_alone returns at once without writing; the rows
 * (two for one request) are held, not written, until a flush commits
 * them, in the order given; they are in the log — seen from another
 * connection — when done runs, which is before the flush returns; they
 * count for the thread that made them. */
static void test_deferred_rows_committed_before_done(void **state)
{
	struct testdb *t = *state;
	struct db *w = writer_start(t);
	struct waiter wt = {.url = t->url, .summary = "second look"};
	sem_init(&wt.done, 0, 0);
	uint64_t before = audit_appended();
	audit_defer_begin();
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", "1", "first look"), HE_OK);
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", "2", "second look"), HE_OK);
	struct audit_deferred *d = audit_defer_end();
	assert_non_null(d);
	assert_int_equal(audit_appended(), before + 2);
	uint64_t ticket = audit_defer_hold(d, on_done, &wt);
	/* held, not written */
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), 0);
	assert_int_equal(wt.calls, 0);
	audit_defer_flush(t->db, ticket);
	assert_int_equal(wt.calls, 1);
	assert_int_equal(wt.rc, HE_OK);
	assert_int_equal(wt.calls, 1);
	assert_int_equal(wt.seen, 1);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), 2);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log WHERE summary ="
				    " 'first look' AND id = 1 AND entity_id = '1' AND user_id = 7"
				    " AND route = 'GET /test' AND ip = '127.0.0.1'"), 1);
	assert_int_equal(testdb_int(t->db, "SELECT id FROM audit_log WHERE summary = 'second look'"), 2);
	writer_stop(w);
	sem_destroy(&wt.done);
	expect_intact(t->db, 2);
}

/* A request that audits nothing has nothing to hand over; rows made after
 * audit_defer_end commit at once again (group commit). */
static void test_nothing_deferred(void **state)
{
	struct testdb *t = *state;
	struct db *w = writer_start(t);
	audit_defer_begin();
	assert_null(audit_defer_end());
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, "now"), HE_OK);
	assert_int_equal(count_summary(t->db, "now"), 1);
	writer_stop(w);
	expect_intact(t->db, 1);
}

/* Deferring does not change the rule that audit_alone is refused inside
 * the caller's own transaction. */
static void test_deferred_refused_in_transaction(void **state)
{
	struct testdb *t = *state;
	uint64_t before = audit_appended();
	audit_defer_begin();
	assert_int_equal(db_begin(t->db), HE_OK);
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, "inside"), HE_INTERNAL);
	assert_int_equal(db_commit(t->db), HE_OK);
	assert_null(audit_defer_end());
	assert_int_equal(audit_appended(), before);
}

/* With no writer running the rows are committed on the flushing
 * thread's own connection, and done told at once; not inside a
 * transaction of its own, which is left alone. */
static void test_no_writer_commits_here(void **state)
{
	struct testdb *t = *state;
	struct waiter wt = {0};
	sem_init(&wt.done, 0, 0);
	audit_defer_begin();
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, "no writer"), HE_OK);
	struct audit_deferred *d = audit_defer_end();
	audit_defer_flush(t->db, audit_defer_hold(d, on_done, &wt));
	assert_int_equal(wt.calls, 1);
	assert_int_equal(wt.rc, HE_OK);
	assert_int_equal(count_summary(t->db, "no writer"), 1);
	audit_defer_begin();
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, "inside"), HE_OK);
	d = audit_defer_end();
	assert_int_equal(db_begin(t->db), HE_OK);
	audit_defer_flush(t->db, audit_defer_hold(d, on_done, &wt));
	assert_int_equal(wt.calls, 2);
	assert_int_equal(wt.rc, HE_INTERNAL);
	assert_true(db_in_transaction(t->db));
	assert_int_equal(db_commit(t->db), HE_OK);
	assert_int_equal(count_summary(t->db, "inside"), 0);
	sem_destroy(&wt.done);
	expect_intact(t->db, 1);
}

/* A commit that fails reaches every request of the batch as its error,
 * and none of their rows is written; once the cause is gone the writer
 * goes on. */
static void test_commit_failure_reported(void **state)
{
	struct testdb *t = *state;
	struct db *w = writer_start(t);
	testdb_raw_exec(t, "DELETE FROM audit_head");  /* as an incomplete migration */
	struct waiter wt = {0};
	sem_init(&wt.done, 0, 0);
	audit_defer_begin();
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, "lost"), HE_OK);
	audit_defer_flush(t->db, audit_defer_hold(audit_defer_end(), on_done, &wt));
	assert_int_equal(wt.calls, 1);
	assert_int_equal(wt.rc, HE_DB_SCHEMA);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), 0);
	testdb_raw_exec(t, "INSERT INTO audit_head (id, last_id, hash) VALUES (1, 0, '"
			GENESIS "')");
	audit_defer_begin();
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, "kept"), HE_OK);
	audit_defer_flush(t->db, audit_defer_hold(audit_defer_end(), on_done, &wt));
	assert_int_equal(wt.calls, 2);
	assert_int_equal(wt.rc, HE_OK);
	assert_int_equal(count_summary(t->db, "kept"), 1);
	writer_stop(w);
	sem_destroy(&wt.done);
	expect_intact(t->db, 1);
}

/* ---- many requests at once ----------------------------------------------- */

#define W_THREADS 16
#define W_REQUESTS 30

struct req_arg {
	const char *url;
	int index;
	int requests;          /* W_REQUESTS if 0 */
	int failures;
	int late;              /* done came before its rows were visible */
	uint64_t counted;
};

/* Requests of two rows each, as a thread of the server's pool makes them;
 * each waits for done before the next (a connection's next request). */
static void *req_worker(void *p)
{
	struct req_arg *a = p;
	struct db *db = NULL;
	char *msg = NULL;
	if (db_open(a->url, &db, &msg) != HE_OK) {
		free(msg);
		a->failures = a->requests ? a->requests : W_REQUESTS;
		return NULL;
	}
	char email[32], s1[48], s2[48];
	snprintf(email, sizeof email, "t%d@hearth.example", a->index);
	struct audit_who me = {.user_id = a->index + 1, .email = email, .role = "worker",
				.route = "GET /test", .ip = "127.0.0.1"};
	uint64_t before = audit_appended();
	int requests = a->requests ? a->requests : W_REQUESTS;
	for (int i = 0; i < requests; i++) {
		struct waiter wt = {0};
		sem_init(&wt.done, 0, 0);
		snprintf(s1, sizeof s1, "row %03d", 2 * i);
		snprintf(s2, sizeof s2, "row %03d", 2 * i + 1);
		audit_defer_begin();
		int rc = audit_alone(db, &me, "view", "users", NULL, s1);
		if (!rc)
			rc = audit_alone(db, &me, "view", "users", NULL, s2);
		struct audit_deferred *d = audit_defer_end();
		if (rc || !d) {
			a->failures++;
			continue;
		}
		/* flushed at once or later, as a pool thread does when it
		 * comes back to the request: done has run when it returns,
		 * on this thread or on the one whose commit took the list */
		uint64_t ticket = audit_defer_hold(d, on_done, &wt);
		if (i % 3 == 1)
			sched_yield();
		audit_defer_flush(db, ticket);
		if (wt.calls != 1 || wt.rc)
			a->failures++;
		/* committed: this connection, opened before, sees both rows now */
		struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM audit_log WHERE user_id = :u"
						" AND summary IN (:a, :b)");
		db_bind_int(st, ":u", a->index + 1);
		db_bind_text(st, ":a", s1);
		db_bind_text(st, ":b", s2);
		if (!db_next(st) || db_int(st, 0) != 2)
			a->late++;
		db_finalize(st);
		sem_destroy(&wt.done);
	}
	a->counted = audit_appended() - before;
	db_close(db);
	return NULL;
}

/* Many requests at once: every row committed exactly once, each thread's
 * in its order, visible as soon as its request is told, the head counting
 * them all and the chain intact; the writer batched them (fewer commits
 * than requests is not asserted: a fast writer may take them one by one). */
static void test_many_requests(void **state)
{
	struct testdb *t = *state;
	struct db *w = writer_start(t);
	pthread_t th[W_THREADS];
	struct req_arg args[W_THREADS];
	for (int i = 0; i < W_THREADS; i++) {
		args[i] = (struct req_arg){.url = t->url, .index = i};
		assert_int_equal(pthread_create(&th[i], NULL, req_worker, &args[i]), 0);
	}
	for (int i = 0; i < W_THREADS; i++)
		pthread_join(th[i], NULL);
	writer_stop(w);
	for (int i = 0; i < W_THREADS; i++) {
		assert_int_equal(args[i].failures, 0);
		assert_int_equal(args[i].late, 0);
		assert_int_equal(args[i].counted, 2 * W_REQUESTS);
	}
	int64_t total = (int64_t)W_THREADS * W_REQUESTS * 2;
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), total);
	assert_int_equal(testdb_int(t->db, "SELECT last_id FROM audit_head"), total);
	for (int i = 0; i < W_THREADS; i++) {
		struct db_stmt *st = db_prepare(t->db,
			"SELECT summary FROM audit_log WHERE user_id = :u ORDER BY id");
		db_bind_int(st, ":u", i + 1);
		int k = 0;
		char want[48];
		while (db_next(st)) {
			snprintf(want, sizeof want, "row %03d", k++);
			assert_string_equal(db_text(st, 0), want);
		}
		assert_int_equal(db_finalize(st), HE_OK);
		assert_int_equal(k, 2 * W_REQUESTS);
	}
	expect_intact(t->db, total);
}

/* With a checkpointer (SQLite), the writer's commits leave the log to it,
 * and under requests that commit and read all the time the log still
 * starts afresh each time it has grown to about DB_LOG_PAGES: it never
 * holds much more (without the checkpointer's restarting pass it kept
 * growing: bench/README.md).  Every row is there once and the chain holds. */
#define CK_THREADS 8
#define CK_REQUESTS 400
static void test_checkpointer_keeps_log_short(void **state)
{
	struct testdb *t = *state;
	struct db *w = NULL, *ck = NULL;
	char *msg = NULL;
	assert_int_equal(db_open(t->url, &w, &msg), HE_OK);
	assert_int_equal(db_open(t->url, &ck, &msg), HE_OK);
	assert_int_equal(audit_writer_start(w, ck), HE_OK);
	pthread_t th[CK_THREADS];
	struct req_arg args[CK_THREADS];
	for (int i = 0; i < CK_THREADS; i++) {
		args[i] = (struct req_arg){.url = t->url, .index = i, .requests = CK_REQUESTS};
		assert_int_equal(pthread_create(&th[i], NULL, req_worker, &args[i]), 0);
	}
	for (int i = 0; i < CK_THREADS; i++)
		pthread_join(th[i], NULL);
	struct audit_writer_stats stats;
	audit_writer_stats(&stats);
	audit_writer_stop();
	db_close(ck);
	for (int i = 0; i < CK_THREADS; i++) {
		assert_int_equal(args[i].failures, 0);
		assert_int_equal(args[i].late, 0);
	}
	int64_t total = (int64_t)CK_THREADS * CK_REQUESTS * 2;
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), total);
	assert_int_equal(stats.rows, total);
	if (strcmp(testdb_backend(), "sqlite") == 0) {
		char wal[160];
		struct stat sb;
		snprintf(wal, sizeof wal, "%s-wal", t->path);
		assert_int_equal(stat(wal, &sb), 0);
		/* the rows took several times DB_LOG_PAGES pages of log */
		if (stats.checkpoints < 3 || stats.restarts < 3)
			fail_msg("%" PRIu64 " checkpoints, %" PRIu64 " restarts", stats.checkpoints,
				 stats.restarts);
		if (sb.st_size > (off_t)2 * DB_LOG_PAGES * (4096 + 24))
			fail_msg("the log grew to %lld bytes", (long long)sb.st_size);
	}
	db_close(w);
	expect_intact(t->db, total);
}

/* Stopping the writer commits what is held and not yet flushed, and
 * tells every request before it returns. */
static void test_stop_drains(void **state)
{
	struct testdb *t = *state;
	struct db *w = writer_start(t);
	enum { N = 40 };
	struct waiter *wt = calloc(N, sizeof *wt);
	assert_non_null(wt);
	char summary[32];
	for (int i = 0; i < N; i++) {
		sem_init(&wt[i].done, 0, 0);
		snprintf(summary, sizeof summary, "queued %d", i);
		audit_defer_begin();
		assert_int_equal(audit_alone(t->db, &who, "view", "pupils", NULL, summary), HE_OK);
		audit_defer_hold(audit_defer_end(), on_done, &wt[i]);
	}
	writer_stop(w);
	for (int i = 0; i < N; i++) {
		assert_int_equal(wt[i].calls, 1);
		assert_int_equal(wt[i].rc, HE_OK);
		sem_destroy(&wt[i].done);
	}
	free(wt);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), N);
	expect_intact(t->db, N);
}

/* Lists held by different threads go in one commit, made by the first
 * flush: the other list's done has run before that flush returns, its
 * rows follow on in the chain, and its own flush then has nothing to do. */
struct holder {
	const char *url;
	struct waiter wt;
	uint64_t ticket;
};

static void *hold_main(void *p)
{
	struct holder *h = p;
	struct audit_who other = who;
	other.user_id = 8;
	struct db *db = NULL;
	char *msg = NULL;
	if (db_open(h->url, &db, &msg) != HE_OK) {
		free(msg);
		return NULL;
	}
	audit_defer_begin();
	if (audit_alone(db, &other, "view", "pupils", "9", "held elsewhere") == HE_OK)
		h->ticket = audit_defer_hold(audit_defer_end(), on_done, &h->wt);
	else
		audit_defer_end();
	db_close(db);
	return NULL;
}

static void test_threads_lists_share_a_commit(void **state)
{
	struct testdb *t = *state;
	struct db *w = writer_start(t);
	struct waiter mine = {.url = t->url, .summary = "held elsewhere"};
	struct holder h = {.url = t->url};
	sem_init(&mine.done, 0, 0);
	sem_init(&h.wt.done, 0, 0);
	audit_defer_begin();
	assert_int_equal(audit_alone(t->db, &who, "view", "pupils", "1", "held here"), HE_OK);
	uint64_t ticket = audit_defer_hold(audit_defer_end(), on_done, &mine);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, hold_main, &h), 0);
	pthread_join(th, NULL);
	assert_int_equal(h.ticket, ticket);
	assert_int_equal(testdb_int(t->db, "SELECT count(*) FROM audit_log"), 0);
	audit_defer_flush(t->db, ticket);
	assert_int_equal(mine.calls, 1);
	assert_int_equal(mine.rc, HE_OK);
	assert_int_equal(mine.seen, 1);		/* the other thread's row is in */
	assert_int_equal(h.wt.calls, 1);
	assert_int_equal(h.wt.rc, HE_OK);
	assert_int_equal(testdb_int(t->db, "SELECT id FROM audit_log WHERE summary = 'held here'"), 1);
	assert_int_equal(testdb_int(t->db, "SELECT id FROM audit_log WHERE summary ="
				    " 'held elsewhere' AND user_id = 8"), 2);
	audit_defer_flush(t->db, h.ticket);	/* made already */
	assert_int_equal(h.wt.calls, 1);
	writer_stop(w);
	sem_destroy(&mine.done);
	sem_destroy(&h.wt.done);
	expect_intact(t->db, 2);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdb_setup, testdb_teardown)
		T(test_deferred_rows_committed_before_done),
		T(test_nothing_deferred),
		T(test_deferred_refused_in_transaction),
		T(test_no_writer_commits_here),
		T(test_commit_failure_reported),
		T(test_many_requests),
		T(test_threads_lists_share_a_commit),
		T(test_stop_drains),
		T(test_checkpointer_keeps_log_short),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
