/* import_job.c — background imports and their progress (see import_job.h).
 *
 * The truth is the import_jobs row.  This process also keeps the jobs it
 * is running in a list, for two things a row cannot do: the owner's page
 * waits on a condition variable for its import to end, and on SQLite
 * (where the row cannot be written while the import holds the write lock)
 * the progress bar comes from memory. */
#include "web/import_job.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/sha256.h"
#include "core/auth.h"
#include "store/db.h"
#include "web/http.h"
#include "web/server.h"

struct job {
	struct job *next;
	char token[IMPORT_JOB_TOKEN];
	int64_t user_id;
	uint64_t bytes_done, bytes_total;   /* under jobs_lock */
	bool ending;                        /* under jobs_lock: the beat stops */
	/* what the thread needs, owned by the job */
	struct import_opts opts;
	char *path, *filename, *school;
	char *email, *role, *route, *ip;
	struct audit_who who;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_changed = PTHREAD_COND_INITIALIZER;
static struct job *jobs;               /* running in this process */

/* ---- the row ----------------------------------------------------------- */

static void token_hash(const char *token, char out[65])
{
	sha256_hex(token, strlen(token), out);
}

int import_job_create(struct db *db, int64_t user_id, time_t now, char token[IMPORT_JOB_TOKEN])
{
	char t[AUTH_TOKEN_HEX + 1], th[65], at[21];
	auth_random_token(t);
	snprintf(token, IMPORT_JOB_TOKEN, "%.32s", t);
	token_hash(token, th);
	timestamp_format(now, at);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO import_jobs (token_hash, user_id, status, started_at, updated_at)"
		" VALUES (:th, :uid, 'running', :at, :at)");
	db_bind_text(st, ":th", th);
	db_bind_int(st, ":uid", user_id);
	db_bind_text(st, ":at", at);
	return db_done(st);
}

int import_job_progress(struct db *db, const char *token, uint64_t done, uint64_t total,
			time_t now)
{
	char th[65], at[21];
	token_hash(token, th);
	timestamp_format(now, at);
	struct db_stmt *st = db_prepare(db,
		"UPDATE import_jobs SET bytes_done = :done, bytes_total = :total, updated_at = :at"
		" WHERE token_hash = :th AND status = 'running'");
	db_bind_int(st, ":done", (int64_t)done);
	db_bind_int(st, ":total", (int64_t)total);
	db_bind_text(st, ":at", at);
	db_bind_text(st, ":th", th);
	return db_done(st);
}

int import_job_finish(struct db *db, const char *token, const char *status, int64_t import_id,
		      const char *result, const char *message, time_t now)
{
	char th[65], at[21];
	token_hash(token, th);
	timestamp_format(now, at);
	struct db_stmt *st = db_prepare(db,
		"UPDATE import_jobs SET status = :status, import_id = :iid, result = :result,"
		" message = :message, bytes_done = bytes_total, updated_at = :at,"
		" finished_at = :at WHERE token_hash = :th");
	db_bind_text(st, ":status", status);
	if (import_id > 0)
		db_bind_int(st, ":iid", import_id);
	else
		db_bind_null(st, ":iid");
	db_bind_text(st, ":result", result);
	db_bind_text(st, ":message", message);
	db_bind_text(st, ":at", at);
	db_bind_text(st, ":th", th);
	return db_done(st);
}

static void fill_view(struct db_stmt *st, time_t now, struct import_job_view *v)
{
	char stale[21];
	const char *status = db_text(st, 0);
	const char *updated = db_text(st, 6);
	memset(v, 0, sizeof *v);
	v->bytes_done = (uint64_t)db_int(st, 1);
	v->bytes_total = (uint64_t)db_int(st, 2);
	v->import_id = db_is_null(st, 3) ? 0 : db_int(st, 3);
	timestamp_format(now - IMPORT_JOB_STALE_SECONDS, stale);
	if (strcmp(status, "running") == 0 && updated && strcmp(updated, stale) < 0) {
		v->done = v->stopped = true;
		snprintf(v->status, sizeof v->status, "stopped");
		snprintf(v->message, sizeof v->message, "The server running this import stopped;"
			 " nothing was applied.");
		return;
	}
	v->done = strcmp(status, "running") != 0;
	snprintf(v->status, sizeof v->status, "%s",
		 strcmp(status, "done") == 0 && !db_is_null(st, 4) ? db_text(st, 4) : status);
	snprintf(v->message, sizeof v->message, "%s", db_is_null(st, 5) ? "" : db_text(st, 5));
}

int import_job_read(struct db *db, const char *token, int64_t user_id, time_t now,
		    struct import_job_view *out)
{
	char th[65];
	if (!token || strlen(token) != IMPORT_JOB_TOKEN - 1)
		return HE_NOT_FOUND;
	token_hash(token, th);
	struct db_stmt *st = db_prepare(db,
		"SELECT status, bytes_done, bytes_total, import_id, result, message, updated_at"
		" FROM import_jobs WHERE token_hash = :th AND user_id = :uid");
	db_bind_text(st, ":th", th);
	db_bind_int(st, ":uid", user_id);
	bool found = db_next(st);
	if (found)
		fill_view(st, now, out);
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

int import_job_prune(struct db *db, time_t now)
{
	char before[21];
	timestamp_format(now - IMPORT_JOB_KEEP_SECONDS, before);
	struct db_stmt *st = db_prepare(db,
		"DELETE FROM import_jobs WHERE finished_at < :before"
		" OR (finished_at IS NULL AND updated_at < :before)");
	db_bind_text(st, ":before", before);
	return db_done(st);
}

/* ---- the thread -------------------------------------------------------- */

static void job_free(struct job *j)
{
	free(j->path);
	free(j->filename);
	free(j->school);
	free(j->email);
	free(j->role);
	free(j->route);
	free(j->ip);
	free(j);
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct job *j = arg;
	pthread_mutex_lock(&jobs_lock);
	j->bytes_done = done;
	j->bytes_total = total;
	pthread_mutex_unlock(&jobs_lock);
}

/* PostgreSQL only: every IMPORT_JOB_BEAT_MS, the job's progress (and sign
 * of life) into its row, on a connection of its own, until the job ends. */
static void *job_beat(void *arg)
{
	struct job *j = arg;
	struct db *db = NULL;
	char *msg = NULL;
	if (db_open(server_db_url(), &db, &msg) != HE_OK) {
		free(msg);
		return NULL;
	}
	pthread_mutex_lock(&jobs_lock);
	while (!j->ending) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += IMPORT_JOB_BEAT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!j->ending && pthread_cond_timedwait(&jobs_changed, &jobs_lock,
							     &until) != ETIMEDOUT)
			;
		if (j->ending)
			break;
		uint64_t done = j->bytes_done, total = j->bytes_total;
		pthread_mutex_unlock(&jobs_lock);
		import_job_progress(db, j->token, done, total, time(NULL));
		pthread_mutex_lock(&jobs_lock);
	}
	pthread_mutex_unlock(&jobs_lock);
	db_close(db);
	return NULL;
}

/* Take j out of this process's list (its row is final by now). */
static void job_forget(struct job *j)
{
	pthread_mutex_lock(&jobs_lock);
	for (struct job **p = &jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	pthread_cond_broadcast(&jobs_changed);
	pthread_mutex_unlock(&jobs_lock);
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	struct import_report *rep = xcalloc(1, sizeof *rep);
	struct db *db = NULL;
	char *msg = NULL;
	pthread_t beat;
	bool beating = false;
	int rc = db_open(server_db_url(), &db, &msg);
	if (rc == HE_OK && strcmp(db_backend(db), "sqlite") != 0)
		beating = pthread_create(&beat, NULL, job_beat, j) == 0;
	if (rc == HE_OK)
		rc = import_run(db, &j->who, &j->opts, rep);
	pthread_mutex_lock(&jobs_lock);
	j->ending = true;
	pthread_cond_broadcast(&jobs_changed);
	pthread_mutex_unlock(&jobs_lock);
	if (beating)
		pthread_join(beat, NULL);
	bool reported = rc == HE_OK || rc == HE_INVALID;
	if (db) {
		/* The import is over (committed or rolled back): its
		 * connection is free to write the outcome (and, on SQLite,
		 * the file's size, which the row could not be told before). */
		pthread_mutex_lock(&jobs_lock);
		uint64_t total = j->bytes_total;
		pthread_mutex_unlock(&jobs_lock);
		int frc = import_job_progress(db, j->token, total, total, time(NULL));
		if (frc == HE_OK)
			frc = import_job_finish(db, j->token, reported ? "done" : "failed",
						rep->import_id, reported ? rep->status : "failed",
						reported ? rep->message
						: msg ? msg : err_default_message(rc), time(NULL));
		if (frc)
			fprintf(stderr, "hearth: import job: %s\n", db_errmsg(db));
	}
	job_forget(j);
	unlink(j->path);
	db_close(db);
	free(msg);
	free(rep);
	job_free(j);
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int import_job_start(struct req *r, const struct import_opts *o, const char *filename,
		     char token[IMPORT_JOB_TOKEN])
{
	char *path = req_take_upload(r);
	if (!path)
		return req_fail(r, HE_MISSING, "file", "file: select a CSV or CTF file to import");
	time_t now = time(NULL);
	int rc = import_job_prune(r->db, now);
	if (rc == HE_OK)
		rc = import_job_create(r->db, r->sess.user.id, now, token);
	if (rc) {
		unlink(path);
		free(path);
		return rc;
	}
	struct job *j = xcalloc(1, sizeof *j);
	memcpy(j->token, token, IMPORT_JOB_TOKEN);
	j->user_id = r->sess.user.id;
	j->opts = *o;
	j->path = path;
	j->filename = dup_or_null(filename);
	j->school = dup_or_null(o->school_urn);
	j->opts.path = j->path;
	j->opts.filename = j->filename;
	j->opts.school_urn = j->school;
	j->opts.progress = on_progress;
	j->opts.progress_arg = j;
	j->email = dup_or_null(r->who.email);
	j->role = dup_or_null(r->who.role);
	j->route = dup_or_null(r->who.route);
	j->ip = dup_or_null(r->who.ip);
	j->who = (struct audit_who){r->who.user_id, j->email, j->role, j->route, j->ip};
	pthread_mutex_lock(&jobs_lock);
	j->next = jobs;
	jobs = j;
	pthread_mutex_unlock(&jobs_lock);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&th, &attr, job_run, j);
	pthread_attr_destroy(&attr);
	if (err) {
		char why[200];
		snprintf(why, sizeof why, "The import could not start: %s", strerror(err));
		import_job_finish(r->db, token, "failed", 0, "failed", why, time(NULL));
		job_forget(j);
		unlink(j->path);
		job_free(j);
	}
	return HE_OK;
}

/* This process's job with that token and user, or NULL.  Lock held. */
static struct job *job_find(const char *token, int64_t user_id)
{
	for (struct job *j = jobs; j; j = j->next)
		if (strcmp(j->token, token) == 0 && j->user_id == user_id)
			return j;
	return NULL;
}

int import_job_get(struct db *db, const char *token, int64_t user_id, int wait_ms,
		   struct import_job_view *out)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&jobs_lock);
	while (job_find(token, user_id) &&
	       pthread_cond_timedwait(&jobs_changed, &jobs_lock, &until) != ETIMEDOUT)
		;
	struct job *j = job_find(token, user_id);
	bool local = j != NULL;
	uint64_t done = local ? j->bytes_done : 0, total = local ? j->bytes_total : 0;
	pthread_mutex_unlock(&jobs_lock);
	int rc = import_job_read(db, token, user_id, time(NULL), out);
	if (rc)
		return rc;
	if (local && (!out->done || out->stopped)) {
		/* Running here: alive whatever the row's age, and memory has
		 * the latest progress. */
		out->done = out->stopped = false;
		snprintf(out->status, sizeof out->status, "running");
		out->message[0] = '\0';
		out->bytes_done = done;
		out->bytes_total = total;
	}
	return HE_OK;
}
