/* audit.c — append and verify the hash-chained audit log (see audit.h).
 *
 * Row n stores hash(n) = SHA-256(hash(n-1) || canonical(n)), where
 * canonical(n) length-prefixes every field (id included), so no two
 * different rows encode alike and a deleted, inserted or edited row breaks
 * the chain from that point.  The first row's previous hash is 64 zeros.
 * Appending advances audit_head (the last id and hash) inside the caller's
 * write transaction; that row's lock serialises appenders on every backend,
 * so the chain has no forks.  Verifying reads the head first and checks the
 * chain reaches it, so rows cut from the end show as well. */
#include "core/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/err.h"
#include "base/logsafe.h"
#include "base/sha256.h"
#include "core/auth.h"
#include "store/db.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct audit_row {
	int64_t id;
	const char *at, *user_email, *role, *route, *action, *entity, *entity_id,
		*summary, *ip;
	int64_t user_id;
};

/* The bytes a row's hash covers, gathered in a block and handed to
 * SHA-256 a block at a time: a dozen small updates per row cost more than
 * the hashing itself, and the audit writer does this for every row.
 * SHA-256 is OpenSSL's (base/sha256.h): libsodium's portable one was 10 %
 * of the audit writer's CPU, a fifth of it with the hex and the fields
 * (bench/README.md, issue 2). */
struct hasher {
	struct sha256 h;
	size_t len;
	unsigned char block[1024];
};

static void hash_bytes(struct hasher *hs, const void *p, size_t n)
{
	if (hs->len + n > sizeof hs->block) {
		sha256_update(&hs->h, hs->block, hs->len);
		hs->len = 0;
		if (n > sizeof hs->block) {
			sha256_update(&hs->h, p, n);
			return;
		}
	}
	memcpy(hs->block + hs->len, p, n);
	hs->len += n;
}

/* A field as the chain encodes it: "LEN:v;" (LEN in decimal), or "-;"
 * for NULL. */
static void put_field(struct hasher *hs, const char *v)
{
	if (!v) {
		hash_bytes(hs, "-;", 2);
		return;
	}
	size_t n = strlen(v), k = n;
	char len[24], *p = len + sizeof len;
	*--p = ':';
	do
		*--p = (char)('0' + k % 10);
	while ((k /= 10) > 0);
	hash_bytes(hs, p, (size_t)(len + sizeof len - p));
	hash_bytes(hs, v, n);
	hash_bytes(hs, ";", 1);
}

/* v in decimal as a field (as "%" PRId64 would write it: printf was a
 * fifth of a row's hash). */
static void put_int(struct hasher *hs, int64_t v)
{
	char num[24], *p = num + sizeof num;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	put_field(hs, p);
}

/* hex SHA-256 of prev and the row into out[65]. */
static void row_hash(const char *prev, const struct audit_row *r, char out[65])
{
	struct hasher hs;
	sha256_init(&hs.h);
	hs.len = 0;
	put_field(&hs, prev);
	put_int(&hs, r->id);
	put_field(&hs, r->at);
	put_int(&hs, r->user_id);
	put_field(&hs, r->user_email);
	put_field(&hs, r->role);
	put_field(&hs, r->route);
	put_field(&hs, r->action);
	put_field(&hs, r->entity);
	put_field(&hs, r->entity_id);
	put_field(&hs, r->summary);
	put_field(&hs, r->ip);
	sha256_update(&hs.h, hs.block, hs.len);
	sha256_final_hex(&hs.h, out);
}

static __thread uint64_t appended;

uint64_t audit_appended(void)
{
	return appended;
}

/* One row to append, as the caller gave it. */
struct row_in {
	const struct audit_who *who;
	const char *action, *entity, *entity_id, *summary;
};

/* A row made ready to insert: its stored text, place and hashes. */
struct chained {
	struct audit_row r;
	const char *prev;
	char hash[65];
	char *own[4];          /* texts escaped for storage (safe_text) */
};

/* The only INSERTs INTO audit_log (db_audit_append: the SQLite authorizer
 * refuses any other, so no INSERT OR REPLACE can delete a row; a trigger
 * that checked every row's id did that before, at ~12 % of the row's
 * cost).  SQLite: OR IGNORE, and the count checked.  A plain INSERT that
 * may fail must be able to undo itself alone, so SQLite opened a
 * statement journal for each row of a batch and copied into it every page
 * the row touched (GET /api/v1/me: 10 % of the server's CPU).  A row not
 * inserted fails the append all the same. */
#define AUDIT_COLS "id, at, user_id, user_email, role, route, action, entity, entity_id," \
		   " summary, ip, prev_hash, hash"
#define AUDIT_INTO " INTO audit_log (" AUDIT_COLS ")"

static int inserted(struct db *db, int rc, bool sqlite, int64_t n)
{
	if (rc == HE_OK && sqlite && db_changes(db) != n)
		rc = HE_INTERNAL;
	db_audit_append(db, false);
	return rc;
}

/* One row, bound. */
static int insert_row(struct db *db, const struct chained *c)
{
	const struct audit_row *r = &c->r;
	db_audit_append(db, true);
	bool sqlite = strcmp(db_backend(db), "sqlite") == 0;
#define AUDIT_VALUES AUDIT_INTO " VALUES (:id, :at, :uid, :email, :role, :route, :action," \
		     " :entity, :eid, :summary, :ip, :prev, :hash)"
	struct db_stmt *st = db_prepare(db, sqlite ? "INSERT OR IGNORE" AUDIT_VALUES
					       : "INSERT" AUDIT_VALUES);
#undef AUDIT_VALUES
	db_bind_int(st, ":id", r->id);
	db_bind_text_ref(st, ":at", r->at);
	if (r->user_id)
		db_bind_int(st, ":uid", r->user_id);
	else
		db_bind_null(st, ":uid");
	db_bind_text_ref(st, ":email", r->user_email);
	db_bind_text_ref(st, ":role", r->role);
	db_bind_text_ref(st, ":route", r->route);
	db_bind_text_ref(st, ":action", r->action);
	db_bind_text_ref(st, ":entity", r->entity);
	db_bind_text_ref(st, ":eid", r->entity_id);
	db_bind_text_ref(st, ":summary", r->summary);
	db_bind_text_ref(st, ":ip", r->ip);
	db_bind_text_ref(st, ":prev", c->prev);
	db_bind_text_ref(st, ":hash", c->hash);
	return inserted(db, db_done(st), sqlite, 1);
}

/* The columns of audit_rows, the batch as a table (db_rows_set), in
 * AUDIT_COLS' order. */
static const struct db_col batch_cols[] = {
	{"id", DB_COL_INT}, {"at", DB_COL_TEXT}, {"user_id", DB_COL_INT},
	{"user_email", DB_COL_TEXT}, {"role", DB_COL_TEXT}, {"route", DB_COL_TEXT},
	{"action", DB_COL_TEXT}, {"entity", DB_COL_TEXT}, {"entity_id", DB_COL_TEXT},
	{"summary", DB_COL_TEXT}, {"ip", DB_COL_TEXT}, {"prev_hash", DB_COL_TEXT},
	{"hash", DB_COL_TEXT},
};

static void batch_value(void *arg, int row, int col, struct db_value *v)
{
	const struct chained *c = (const struct chained *)arg + row;
	const struct audit_row *r = &c->r;
	switch (col) {
	case 0: v->i = r->id; break;
	case 1: v->text = r->at; break;
	case 2: v->i = r->user_id; v->null = !r->user_id; break;
	case 3: v->text = r->user_email; break;
	case 4: v->text = r->role; break;
	case 5: v->text = r->route; break;
	case 6: v->text = r->action; break;
	case 7: v->text = r->entity; break;
	case 8: v->text = r->entity_id; break;
	case 9: v->text = r->summary; break;
	case 10: v->text = r->ip; break;
	case 11: v->text = c->prev; break;
	default: v->text = c->hash; break;
	}
}

/* n rows in one statement, from the batch as a table: one INSERT's setup,
 * cursors and seek instead of n.  SQLite only: on PostgreSQL the table is
 * a temporary one emptied with DELETE, whose dead rows no vacuum takes
 * away, so every batch read more of them (GET /api/v1/me fell from 7,300
 * to 1,100 requests/s within a minute).  The table lets go of the rows
 * after. */
static int insert_rows(struct db *db, const struct chained *rows, int n)
{
	int ncols = (int)(sizeof batch_cols / sizeof batch_cols[0]);
	int rc = db_rows_set(db, "audit_rows", batch_cols, ncols, n, batch_value, (void *)rows);
	if (rc)
		return rc;
	db_audit_append(db, true);
	struct db_stmt *st = db_prepare(db, "INSERT OR IGNORE" AUDIT_INTO " SELECT " AUDIT_COLS
					" FROM audit_rows");
	rc = inserted(db, db_done(st), true, n);
	int rc2 = db_rows_set(db, "audit_rows", batch_cols, ncols, 0, NULL, NULL);
	return rc ? rc : rc2;
}
#undef AUDIT_INTO
#undef AUDIT_COLS

/* The text of a row as stored: a request's bytes (a path's %FF or %0A, a
 * query, an email as typed) escaped to valid UTF-8 on one line
 * (base/logsafe.h), here where every row passes so that no caller can
 * forget.  The hash covers the stored text, so the chain verifies.  Text
 * that needs nothing is used as it is; else *owned holds the copy. */
static const char *safe_text(const char *s, char **owned)
{
	*owned = NULL;
	if (!s || logsafe_clean(s, strlen(s)))
		return s;
	return *owned = logsafe_dup(s);
}

/* Append n rows in the open transaction: read the head (locking its row),
 * chain the rows in memory, insert them, move the head once. */
static int append(struct db *db, const struct row_in *in, int n)
{
	char head[65] = "", at[21];
	int64_t last = 0;
	bool found = false;
	if (n < 1)
		return HE_INTERNAL;
	bool sqlite = strcmp(db_backend(db), "sqlite") == 0;
	/* SQLite: the transaction holds the write lock from BEGIN IMMEDIATE */
	struct db_stmt *st = db_prepare(db, sqlite
		? "SELECT last_id, hash FROM audit_head WHERE id = 1"
		: "SELECT last_id, hash FROM audit_head WHERE id = 1 FOR UPDATE");
	if (db_next(st)) {
		found = true;
		last = db_int(st, 0);
		snprintf(head, sizeof head, "%s", db_text(st, 1));
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!found)
		return HE_DB_SCHEMA;  /* no head row: migrations incomplete */
	timestamp_format(time(NULL), at);
	struct chained few[16];	/* a batch's rows, usually (a calloc was a percent) */
	struct chained *rows = n <= 16 ? few : xcalloc((size_t)n, sizeof *rows);
	for (int i = 0; i < n; i++) {
		const struct audit_who *who = in[i].who;
		struct chained *c = &rows[i];
		char **own = c->own;
		c->r = (struct audit_row){
			.id = last + 1 + i, .at = at, .user_id = who ? who->user_id : 0,
			.user_email = safe_text(who ? who->email : NULL, &own[0]),
			.role = who && who->role ? who->role : "none",
			.route = safe_text(who && who->route ? who->route : "system", &own[1]),
			.action = in[i].action, .entity = in[i].entity,
			.entity_id = safe_text(in[i].entity_id, &own[2]),
			.summary = safe_text(in[i].summary, &own[3]),
			.ip = who ? who->ip : NULL,
		};
		c->prev = i ? rows[i - 1].hash : head;
		row_hash(c->prev, &c->r, c->hash);
	}
	if (n > 1 && sqlite)
		rc = insert_rows(db, rows, n);
	else	/* PostgreSQL: its db_rows_set table, emptied by DELETE, bloats */
		for (int i = 0; i < n && rc == HE_OK; i++)
			rc = insert_row(db, &rows[i]);
	if (rc == HE_OK) {
		st = db_prepare(db, "UPDATE audit_head SET last_id = :last, hash = :hash WHERE id = 1");
		db_bind_int(st, ":last", last + n);
		db_bind_text_ref(st, ":hash", rows[n - 1].hash);
		rc = db_done(st);
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			free(rows[i].own[k]);
	if (rows != few)
		free(rows);
	return rc;
}

int audit(struct db *db, const struct audit_who *who, const char *action,
	  const char *entity, const char *entity_id, const char *summary)
{
	if (!db_in_transaction(db))
		return HE_INTERNAL;
	struct row_in r = {who, action, entity, entity_id, summary};
	int rc = append(db, &r, 1);
	if (rc == HE_OK)
		appended++;
	return rc;
}

/* The head as it stands now: rows up to head_id must all be there. */
static int read_head(struct db *db, int64_t *head_id, char head_hash[65])
{
	struct db_stmt *st = db_prepare(db, "SELECT last_id, hash FROM audit_head WHERE id = 1");
	*head_id = 0;
	head_hash[0] = '\0';
	if (db_next(st)) {
		*head_id = db_int(st, 0);
		snprintf(head_hash, 65, "%s", db_text(st, 1));
	}
	return db_finalize(st);
}

/* ---- group commit for audit_alone ---------------------------------------
 *
 * A read's audit row must be committed before its answer is sent, and a
 * commit costs far more than the row in it: on SQLite the locks, the WAL
 * pages written (the head, the table and its three indexes: about six
 * pages whatever the number of rows) and re-reading the pages that other
 * connections' commits made stale; on PostgreSQL the round trips and the
 * WAL flush.  So callers share commits.
 *
 * Each caller queues its row and either leads or sleeps on a semaphore of
 * its own.  There is at most one leader (q_leading): it takes every row
 * queued, commits them in one transaction on its own connection, wakes the
 * members of its batch one by one, and hands the lead to the oldest caller
 * that queued meanwhile, who then takes all of those.  Nobody polls and no
 * broadcast wakes the whole queue (with one condition variable for all,
 * every batch woke every waiting thread; the futex and mutex traffic showed
 * in profiles).
 *
 * Gathering: under load a leader that commits at once mostly commits alone
 * — profiled at 1.04-1.4 rows a batch with 8 threads on 2 cores, because
 * the other threads are still answering their requests when it starts, so
 * every request paid a whole commit.  So while batches have company (the
 * last had more than one row) the leader first waits, up to GATHER_US, for
 * the queue to grow to the last batch's size: an arrival that completes it
 * wakes the leader at once.  Waiting costs no CPU, the other threads use
 * it to reach their audit rows, and a batch of n rows costs one commit
 * instead of n (measured: 3.5-4 rows a batch with 8 threads, 5-5.6 with
 * 16, 9-11 with 32; few waits run out of time).  A lone caller (last batch
 * of one) never waits.  Nor does anyone when the last commit itself took
 * longer than GATHER_US (PostgreSQL's round trips and WAL flush, a busy
 * disk): rows then queue up during the commit anyway, and waiting would
 * only leave the one serial part — the audit head — idle. */

#define GATHER_US 500

struct pending {
	struct row_in row;
	int rc;
	int lead;              /* woken to lead rather than with a result */
	sem_t wake;
	struct pending *next;
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_grown;           /* a gathering leader's target was met */
static pthread_once_t q_once = PTHREAD_ONCE_INIT;
static struct pending *q_head, **q_tail = &q_head;
static int q_len;
static int q_leading;                    /* a leader exists */
static int q_target;                     /* rows a gathering leader waits for, or 0 */
static int last_batch;                   /* rows in the last batch committed */
static long last_commit_us;              /* how long its commit took */

static void q_init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&q_grown, &a);
	pthread_condattr_destroy(&a);
}

/* Write n rows in one transaction of their own; the rc applies to all. */
static int commit_rows(struct db *db, const struct row_in *rows, int n)
{
	int rc = db_begin(db);
	if (rc == HE_OK)
		rc = append(db, rows, n);
	if (rc == HE_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	return rc;
}

/* Write the batch of n rows in one transaction; the rc applies to all. */
static int flush_batch(struct db *db, struct pending *batch, int n)
{
	struct row_in *rows = xcalloc((size_t)n, sizeof *rows);
	int i = 0;
	for (struct pending *p = batch; p && i < n; p = p->next)
		rows[i++] = p->row;
	int rc = commit_rows(db, rows, n);
	free(rows);
	return rc;
}

static long since_us(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000L + (t.tv_nsec - t0->tv_nsec) / 1000L;
}

/* GATHER_US from now on the monotonic clock (the condition variables'). */
static struct timespec gather_deadline(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += GATHER_US * 1000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* With q_lock held: wait (releasing it) until the queue holds as many rows
 * as the last batch, or GATHER_US have passed. */
static void gather(void)
{
	if (last_batch <= 1 || q_len >= last_batch || last_commit_us > GATHER_US)
		return;
	struct timespec until = gather_deadline();
	q_target = last_batch;
	while (q_len < q_target)
		if (pthread_cond_timedwait(&q_grown, &q_lock, &until) == ETIMEDOUT)
			break;
	q_target = 0;
}

/* With q_lock held, as the leader: commit everything queued, pass the lead
 * on, wake the batch.  Returns with q_lock released. */
static void lead(struct db *db)
{
	gather();
	struct pending *batch = q_head;
	int n = q_len;
	q_head = NULL;
	q_tail = &q_head;
	q_len = 0;
	pthread_mutex_unlock(&q_lock);

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = flush_batch(db, batch, n);
	long took = since_us(&t0);

	pthread_mutex_lock(&q_lock);
	last_batch = n;
	last_commit_us = took;
	struct pending *next = q_head;
	if (next)
		next->lead = 1;
	else
		q_leading = 0;
	pthread_mutex_unlock(&q_lock);
	/* The next leader first: its commit is what everyone queued waits for.
	 * A member may return (and its struct vanish) as soon as it is posted,
	 * so read its next pointer before. */
	if (next)
		sem_post(&next->wake);
	for (struct pending *p = batch, *after; p; p = after) {
		after = p->next;
		p->rc = rc;
		p->lead = 0;
		sem_post(&p->wake);
	}
}

static int defer_row(const struct audit_who *who, const char *action, const char *entity,
		     const char *entity_id, const char *summary);
static __thread int deferring;

int audit_alone(struct db *db, const struct audit_who *who, const char *action,
		const char *entity, const char *entity_id, const char *summary)
{
	if (deferring) {
		if (db_in_transaction(db))
			return HE_INTERNAL;
		return defer_row(who, action, entity, entity_id, summary);
	}
	struct pending me = {{who, action, entity, entity_id, summary}, 0, 0, {{0}}, NULL};
	if (db_in_transaction(db))
		return HE_INTERNAL;  /* as a leader it would nest transactions */
	pthread_once(&q_once, q_init);
	sem_init(&me.wake, 0, 0);
	pthread_mutex_lock(&q_lock);
	*q_tail = &me;
	q_tail = &me.next;
	if (++q_len == q_target)
		pthread_cond_signal(&q_grown);
	if (!q_leading) {
		q_leading = 1;
		lead(db);
	} else {
		pthread_mutex_unlock(&q_lock);
	}
	/* Woken with a result, or to lead the rows queued since (me among
	 * them, so that the result comes in the same way). */
	for (;;) {
		while (sem_wait(&me.wake) != 0)
			;  /* EINTR */
		if (!me.lead)
			break;
		pthread_mutex_lock(&q_lock);
		lead(db);
	}
	sem_destroy(&me.wake);
	if (me.rc == HE_OK)
		appended++;
	return me.rc;
}

/* ---- deferred rows, held per thread and committed together --------------
 *
 * The server does not make a read's commit its own: between
 * audit_defer_begin and audit_defer_end a thread's audit_alone calls copy
 * their rows into the thread's list and return HE_OK at once.  The server
 * holds that list (audit_defer_hold) with the answer the handler built,
 * goes on to the other requests libmicrohttpd has for the same pool thread,
 * and the next time it comes back to one of them commits every list the
 * thread holds in one transaction (audit_defer_flush); only then are their
 * answers sent (or, when the commit failed, a 503 in their place).  No
 * answer leaves before its rows are committed, exactly as with audit_alone.
 *
 * The commits are made on one connection of their own, the audit writer's
 * (audit_writer_start), so its pages are never stale with another
 * connection's audit commits.  Pool threads that flush while another
 * commits queue their lists, and the next commit takes every list queued
 * (group commit, as audit_alone's callers share commits): the lists of
 * several threads then go in one transaction.  No thread of its own commits
 * them, so no connection is suspended and resumed, and no thread is woken,
 * per request.  Before, a writer thread took the lists while their
 * connections waited suspended, and it resumed each one: an eventfd write,
 * two epoll changes and most of a context switch a request.  GET
 * /api/v1/me (wrk -c64, 2 cores, 2 pool threads): 29-35 us of CPU a
 * request before, 23-25 after (bench/README.md, session 21).  The fewer
 * pool threads, the bigger the batches (a thread holds every request it
 * found ready before it comes back to one): at 8 threads per core this
 * is no cheaper than the writer thread was. */

struct drow {
	struct audit_who who;
	struct row_in in;
	struct drow *next;
	char text[];           /* the strings, copied */
};

struct audit_deferred {
	struct drow *head, **tail;
	int n;
	bool check;            /* answered from a cached session (version) */
	int64_t version;
	int rc;                /* the commit's result for this list */
	audit_done_fn *done;
	void *arg;
	struct audit_deferred *next;
};

static __thread struct audit_deferred *held;

/* This thread's held list, made on first use. */
static struct audit_deferred *held_list(void)
{
	if (!held) {
		held = xcalloc(1, sizeof *held);
		held->tail = &held->head;
	}
	return held;
}

/* Copy s onto *p (moving it on); NULL stays NULL. */
static const char *put_text(char **p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *at = *p;
	memcpy(at, s, n);
	*p += n;
	return at;
}

static size_t text_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static int defer_row(const struct audit_who *who, const char *action, const char *entity,
		     const char *entity_id, const char *summary)
{
	const char *whos[4] = {NULL, NULL, NULL, NULL};
	if (who) {
		whos[0] = who->email;
		whos[1] = who->role;
		whos[2] = who->route;
		whos[3] = who->ip;
	}
	size_t size = text_size(action) + text_size(entity) + text_size(entity_id) +
		      text_size(summary);
	for (int i = 0; i < 4; i++)
		size += text_size(whos[i]);
	struct drow *d = xcalloc(1, sizeof *d + size);
	char *p = d->text;
	d->who.user_id = who ? who->user_id : 0;
	d->who.email = put_text(&p, whos[0]);
	d->who.role = put_text(&p, whos[1]);
	d->who.route = put_text(&p, whos[2]);
	d->who.ip = put_text(&p, whos[3]);
	d->in.who = who ? &d->who : NULL;
	d->in.action = put_text(&p, action);
	d->in.entity = put_text(&p, entity);
	d->in.entity_id = put_text(&p, entity_id);
	d->in.summary = put_text(&p, summary);
	struct audit_deferred *h = held_list();
	*h->tail = d;
	held->tail = &d->next;
	held->n++;
	appended++;
	return HE_OK;
}

void audit_defer_begin(void)
{
	deferring = 1;
}

void audit_defer_require(int64_t version)
{
	if (!deferring)
		return;
	struct audit_deferred *h = held_list();
	h->check = true;
	h->version = version;
}

struct audit_deferred *audit_defer_end(void)
{
	struct audit_deferred *d = held;
	deferring = 0;
	held = NULL;
	return d;
}

static void deferred_free(struct audit_deferred *d)
{
	for (struct drow *r = d->head, *next; r; r = next) {
		next = r->next;
		free(r);
	}
	free(d);
}

/* The audit writer: a connection of its own, and the lists held for it.
 * f_queue holds every list held and not yet taken; each commit takes all
 * of them and is numbered, so a list held when f_next was n is committed
 * by commit n, done once f_finished reaches n.  Threads waiting for
 * commit n sleep on f_done[n % 2]: when commit n ends, they all wake
 * (theirs is made) and one waiting for n + 1 wakes to make it, not every
 * thread that waits (with 16 pool threads, waking all of them on every
 * commit cost more context switches than the commits saved). */
static pthread_mutex_t f_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t f_done[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static struct audit_deferred *f_queue, **f_tail = &f_queue;
static uint64_t f_next = 1, f_finished;
static int f_committing;
static struct db *f_db;                 /* the writer's connection, or NULL */
static uint64_t f_rows, f_commits;      /* for the line at stop */

/* Checkpoints beside the commits.  The writer's commits do not copy the
 * log into the database themselves (db_log_watch: a commit that did took
 * 2-5 ms instead of 0.1, holding up its batch's answers and every thread
 * waiting for the next commit; a few hundred such commits were a quarter
 * of the writer's time under GET /api/v1/me).  Once the log is long, the
 * commit's hook wakes the checkpointer thread, which copies the log on a
 * connection of its own while the commits go on, then takes the writer's
 * turn (f_committing: commits wait, c_want makes the next leader let it
 * go first) for a second pass over the little they appended meanwhile.
 * So the log is copied whole, and the next commit starts it afresh: a
 * checkpointer that never held the commits back let the log grow without
 * end (2 GB in 24 s; bench/README.md, session 22). */
static pthread_cond_t c_turn = PTHREAD_COND_INITIALIZER;  /* under f_lock */
static int c_want;                      /* under f_lock: waiting for the turn */
static pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_wake = PTHREAD_COND_INITIALIZER;
static bool c_due, c_stop, c_started;   /* under c_lock */
static atomic_bool c_asked;             /* c_due, read without the lock */
static pthread_t c_thread;
static struct db *c_db;                 /* the checkpointer's connection */
static uint64_t c_runs, c_whole;        /* under c_lock: audit_writer_stats */

/* Commit the rows of lists in one transaction on db, setting each list's
 * rc: the transaction's result, or AUDIT_STALE for a list answered from a
 * cached session lookup whose auth_version has moved since (read inside
 * the transaction, so after every change committed before these requests
 * were answered).  Stale lists' rows are left out; a batch may then write
 * no row at all.  Returns the rows written. */
static int commit_lists(struct db *db, struct audit_deferred *lists)
{
	int n = 0;
	bool check = false;
	for (struct audit_deferred *d = lists; d; d = d->next) {
		n += d->n;
		check |= d->check;
	}
	/* never inside the caller's own transaction (no writer: see flush) */
	bool began = false;
	int rc = db_in_transaction(db) ? HE_INTERNAL : db_begin(db);
	began = rc == HE_OK;
	int64_t version = 0;
	if (rc == HE_OK && check)
		rc = auth_version_read(db, &version);
	struct row_in *rows = xcalloc((size_t)n + 1, sizeof *rows);
	int i = 0;
	for (struct audit_deferred *d = lists; d; d = d->next) {
		d->rc = rc == HE_OK && d->check && d->version != version ? AUDIT_STALE : HE_OK;
		if (d->rc == HE_OK)
			for (struct drow *r = d->head; r; r = r->next)
				rows[i++] = r->in;
	}
	if (rc == HE_OK && i)
		rc = append(db, rows, i);
	if (rc == HE_OK)
		rc = db_commit(db);
	else if (began)
		db_rollback(db);
	free(rows);
	for (struct audit_deferred *d = lists; d; d = d->next)
		if (d->rc == HE_OK)
			d->rc = rc;
	return rc == HE_OK ? i : 0;
}

/* Commit lists on db, tell each its result, free them.  Returns the rows
 * written. */
static int commit_and_tell(struct db *db, struct audit_deferred *lists)
{
	int rows = commit_lists(db, lists);
	for (struct audit_deferred *d = lists, *next; d; d = next) {
		next = d->next;
		d->done(d->arg, d->rc);
		deferred_free(d);
	}
	return rows;
}

uint64_t audit_defer_hold(struct audit_deferred *d, audit_done_fn *done, void *arg)
{
	d->done = done;
	d->arg = arg;
	d->next = NULL;
	pthread_mutex_lock(&f_lock);
	*f_tail = d;
	f_tail = &d->next;
	uint64_t ticket = f_next;
	pthread_mutex_unlock(&f_lock);
	return ticket;
}

/* With f_lock held and nobody committing: commit every list held, on db,
 * as commit number f_next; f_lock is released meanwhile. */
static void lead_commit(struct db *db)
{
	struct audit_deferred *lists = f_queue;
	f_queue = NULL;
	f_tail = &f_queue;
	uint64_t n = f_next++;
	f_committing = 1;
	pthread_mutex_unlock(&f_lock);
	int rows = lists ? commit_and_tell(db, lists) : 0;
	pthread_mutex_lock(&f_lock);
	f_committing = 0;
	f_finished = n;
	if (lists) {
		f_rows += (uint64_t)rows;
		f_commits++;
	}
	pthread_cond_broadcast(&f_done[n % 2]);
	if (c_want)
		pthread_cond_signal(&c_turn);
	else
		pthread_cond_signal(&f_done[(n + 1) % 2]);
}

void audit_defer_flush(struct db *db, uint64_t ticket)
{
	pthread_mutex_lock(&f_lock);
	while (f_finished < ticket) {
		if (f_committing || c_want)	/* a commit, or the checkpointer's turn */
			pthread_cond_wait(&f_done[ticket % 2], &f_lock);
		else	/* no writer: on db, as audit_alone's callers commit */
			lead_commit(f_db ? f_db : db);
	}
	pthread_mutex_unlock(&f_lock);
}

/* The writer's commit left the log long (db_log_watch; inside the commit). */
static void log_long(void *arg, int pages)
{
	(void)arg; (void)pages;
	if (atomic_load_explicit(&c_asked, memory_order_relaxed))
		return;
	pthread_mutex_lock(&c_lock);
	c_due = true;
	atomic_store_explicit(&c_asked, true, memory_order_relaxed);
	pthread_cond_signal(&c_wake);
	pthread_mutex_unlock(&c_lock);
}

/* Take the writer's turn: no commit of held rows runs until turn_give. */
static void turn_take(void)
{
	pthread_mutex_lock(&f_lock);
	c_want++;
	while (f_committing)
		pthread_cond_wait(&c_turn, &f_lock);
	c_want--;
	f_committing = 1;
	pthread_mutex_unlock(&f_lock);
}

static void turn_give(void)
{
	pthread_mutex_lock(&f_lock);
	f_committing = 0;
	/* whoever waits, for either commit, sees again */
	pthread_cond_broadcast(&f_done[0]);
	pthread_cond_broadcast(&f_done[1]);
	pthread_mutex_unlock(&f_lock);
}

static void *checkpointer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&c_lock);
	for (;;) {
		while (!c_due && !c_stop)
			pthread_cond_wait(&c_wake, &c_lock);
		if (c_stop)
			break;
		c_due = false;
		pthread_mutex_unlock(&c_lock);
		bool whole = false;
		int rc = db_checkpoint(c_db, false, &whole);
		if (rc == HE_OK) {	/* the rest, with the commits held back */
			turn_take();
			rc = db_checkpoint(c_db, true, &whole);
			turn_give();
		}
		if (rc != HE_OK)	/* the next long log tries again */
			fprintf(stderr, "hearth: checkpoint: %s\n", db_errmsg(c_db));
		/* the log, if still long, asks again at the next commit */
		atomic_store_explicit(&c_asked, false, memory_order_relaxed);
		pthread_mutex_lock(&c_lock);
		c_runs++;
		c_whole += whole;
	}
	pthread_mutex_unlock(&c_lock);
	return NULL;
}

int audit_writer_start(struct db *db, struct db *checkpoints)
{
	pthread_mutex_lock(&f_lock);
	int rc = f_db ? HE_INTERNAL : HE_OK;
	if (rc == HE_OK)
		f_db = db;
	pthread_mutex_unlock(&f_lock);
	if (rc != HE_OK || !checkpoints || !db_log_watch(db, log_long, NULL))
		return rc;
	c_db = checkpoints;
	c_due = c_stop = false;
	atomic_store(&c_asked, false);
	c_runs = c_whole = 0;
	c_started = pthread_create(&c_thread, NULL, checkpointer, NULL) == 0;
	if (!c_started)	/* the commits checkpoint, as without one */
		db_log_watch(db, NULL, NULL);
	return rc;
}

void audit_writer_stop(void)
{
	if (c_started) {
		pthread_mutex_lock(&c_lock);
		c_stop = true;
		pthread_cond_signal(&c_wake);
		pthread_mutex_unlock(&c_lock);
		pthread_join(c_thread, NULL);
		c_started = false;
		db_log_watch(f_db, NULL, NULL);
		fprintf(stderr, "hearth: checkpointer: %" PRIu64 " checkpoints, %" PRIu64
			" with the log restarted\n", c_runs, c_whole);
	}
	pthread_mutex_lock(&f_lock);
	while (f_committing)
		pthread_cond_wait(&f_done[f_next % 2], &f_lock);
	if (f_queue && f_db)	/* held and not flushed: committed now */
		lead_commit(f_db);
	f_db = NULL;
	uint64_t rows = f_rows, commits = f_commits;
	f_rows = f_commits = 0;
	pthread_mutex_unlock(&f_lock);
	if (commits)
		fprintf(stderr, "hearth: audit writer: %" PRIu64 " rows in %" PRIu64 " commits\n",
			rows, commits);
}

void audit_writer_stats(struct audit_writer_stats *s)
{
	pthread_mutex_lock(&f_lock);
	s->rows = f_rows;
	s->commits = f_commits;
	pthread_mutex_unlock(&f_lock);
	pthread_mutex_lock(&c_lock);
	s->checkpoints = c_runs;
	s->restarts = c_whole;
	pthread_mutex_unlock(&c_lock);
}

int audit_verify(struct db *db, int64_t *rows, int64_t *bad_id, struct buf *msg)
{
	char prev[65] = GENESIS, hash[65], head_hash[65];
	int64_t n = 0, expect_id = 1, head_id;
	int rc = read_head(db, &head_id, head_hash);
	*bad_id = 0;
	*rows = 0;
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db,
		"SELECT id, at, user_id, user_email, role, route, action, entity,"
		" entity_id, summary, ip, prev_hash, hash FROM audit_log ORDER BY id");
	while (db_next(st)) {
		struct audit_row r = {
			.id = db_int(st, 0), .at = db_text(st, 1),
			.user_id = db_is_null(st, 2) ? 0 : db_int(st, 2),
			.user_email = db_text(st, 3), .role = db_text(st, 4),
			.route = db_text(st, 5), .action = db_text(st, 6),
			.entity = db_text(st, 7), .entity_id = db_text(st, 8),
			.summary = db_text(st, 9), .ip = db_text(st, 10),
		};
		const char *stored_prev = db_text(st, 11), *stored = db_text(st, 12);
		n++;
		const char *why = NULL;
		if (r.id != expect_id)
			why = "a row is missing before it";
		else if (!stored_prev || strcmp(stored_prev, prev) != 0)
			why = "its previous-hash does not match the row before";
		else {
			row_hash(prev, &r, hash);
			if (!stored || strcmp(stored, hash) != 0)
				why = "its contents do not match its hash";
		}
		if (why) {
			*bad_id = r.id;
			buf_printf(msg, "audit row %" PRId64 " does not verify: %s", r.id, why);
			rc = HE_AUDIT_BROKEN;
			break;
		}
		snprintf(prev, sizeof prev, "%s", stored);
		if (r.id == head_id && strcmp(stored, head_hash) != 0) {
			*bad_id = r.id;
			buf_printf(msg, "audit row %" PRId64 " does not match the log's head", r.id);
			rc = HE_AUDIT_BROKEN;
			break;
		}
		expect_id = r.id + 1;
	}
	int frc = db_finalize(st);
	*rows = n;
	if (!rc && !frc && expect_id <= head_id) {
		*bad_id = expect_id;
		buf_printf(msg, "audit rows %" PRId64 " to %" PRId64 " are missing from the end"
			   " of the log", expect_id, head_id);
		rc = HE_AUDIT_BROKEN;
	}
	return rc ? rc : frc;
}
