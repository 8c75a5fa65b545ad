/* import_job.c — background imports and their progress (see import_job.h). */
#include "web/import_job.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "core/auth.h"
#include "store/db.h"
#include "web/http.h"
#include "web/server.h"

#define JOB_KEEP_SECONDS 3600

struct job {
	struct job *next;
	char token[IMPORT_JOB_TOKEN];
	int64_t user_id;
	time_t finished;               /* 0 while running */
	struct import_job_view view;
	/* what the thread needs, owned by the job */
	struct import_opts opts;
	char *path, *filename, *school;
	char *email, *role, *route, *ip;
	struct audit_who who;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_changed = PTHREAD_COND_INITIALIZER;
static struct job *jobs;

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

/* Forget finished jobs nobody has looked at for an hour.  Lock held. */
static void prune(time_t now)
{
	for (struct job **p = &jobs; *p;) {
		struct job *j = *p;
		if (j->finished && now - j->finished > JOB_KEEP_SECONDS) {
			*p = j->next;
			job_free(j);
		} else {
			p = &j->next;
		}
	}
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct job *j = arg;
	pthread_mutex_lock(&jobs_lock);
	j->view.bytes_done = done;
	j->view.bytes_total = total;
	pthread_mutex_unlock(&jobs_lock);
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	struct import_report *rep = xcalloc(1, sizeof *rep);
	struct db *db = NULL;
	char *msg = NULL;
	int rc = db_open(server_db_url(), &db, &msg);
	if (rc == HE_OK)
		rc = import_run(db, &j->who, &j->opts, rep);
	pthread_mutex_lock(&jobs_lock);
	j->view.import_id = rep->import_id;
	snprintf(j->view.status, sizeof j->view.status, "%s",
		 rc == HE_OK || rc == HE_INVALID ? rep->status : "failed");
	snprintf(j->view.message, sizeof j->view.message, "%s",
		 rc == HE_OK || rc == HE_INVALID ? rep->message
		 : msg ? msg : err_default_message(rc));
	j->view.done = true;
	j->finished = time(NULL);
	pthread_cond_broadcast(&jobs_changed);
	pthread_mutex_unlock(&jobs_lock);
	unlink(j->path);
	db_close(db);
	free(msg);
	free(rep);
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
	struct job *j = xcalloc(1, sizeof *j);
	char t[AUTH_TOKEN_HEX + 1];
	auth_random_token(t);
	snprintf(j->token, sizeof j->token, "%.32s", t);
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
	snprintf(j->view.status, sizeof j->view.status, "running");
	pthread_mutex_lock(&jobs_lock);
	prune(time(NULL));
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
		pthread_mutex_lock(&jobs_lock);
		j->view.done = true;
		j->finished = time(NULL);
		snprintf(j->view.status, sizeof j->view.status, "failed");
		snprintf(j->view.message, sizeof j->view.message, "The import could not start: %s",
			 strerror(err));
		pthread_mutex_unlock(&jobs_lock);
		unlink(j->path);
	}
	memcpy(token, j->token, IMPORT_JOB_TOKEN);
	return HE_OK;
}

bool import_job_get(const char *token, int64_t user_id, int wait_ms, struct import_job_view *out)
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
	struct job *j = jobs;
	while (j && !(strcmp(j->token, token) == 0 && j->user_id == user_id))
		j = j->next;
	while (j && !j->view.done &&
	       pthread_cond_timedwait(&jobs_changed, &jobs_lock, &until) != ETIMEDOUT)
		;
	if (j)
		*out = j->view;
	pthread_mutex_unlock(&jobs_lock);
	return j != NULL;
}
