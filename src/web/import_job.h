/* import_job.h — imports started from the web run in the background.
 *
 * A large census file takes seconds to minutes; the upload page starts the
 * import on a thread of its own (with its own database connection) and
 * sends the browser to a progress page that refreshes itself (no script)
 * until the report is ready.
 *
 * A job's state is a row of import_jobs (migration 0014), so that any
 * process sharing the database can show its progress (issue 3): the
 * request that starts it writes the row; on PostgreSQL the thread updates
 * its progress on a second connection, outside the import's transaction,
 * at most every IMPORT_JOB_BEAT_MS; at the end it writes the outcome.  On
 * SQLite the import holds the only write lock until it commits, so the row
 * says 'running' until then and the process running it adds its progress
 * from memory.  A 'running' row not updated for IMPORT_JOB_STALE_SECONDS
 * is shown as stopped (the import is one transaction: nothing of it was
 * applied).  Finished rows go IMPORT_JOB_KEEP_SECONDS after finishing. */
#ifndef HEARTH_IMPORT_JOB_H
#define HEARTH_IMPORT_JOB_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/import.h"

struct db;
struct req;

#define IMPORT_JOB_TOKEN 33
#define IMPORT_JOB_BEAT_MS 500
#define IMPORT_JOB_STALE_SECONDS 60
#define IMPORT_JOB_KEEP_SECONDS 3600

struct import_job_view {
	bool done;                       /* finished, failed, or stopped */
	bool stopped;                    /* its process stopped while running */
	uint64_t bytes_done, bytes_total;
	int64_t import_id;               /* 0 until known (or if refused at once) */
	char status[16];                 /* "running", the import's status, "failed", "stopped" */
	char message[256];
};

/* Take r's uploaded file and start importing it with o (whose strings are
 * copied) as r's user.  Writes the job's token.  HE_OK, or HE_MISSING when
 * there is no file. */
int import_job_start(struct req *r, const struct import_opts *o, const char *filename,
		     char token[IMPORT_JOB_TOKEN]);
/* The job's state, from its row in db; if this process runs it, waiting
 * up to wait_ms for it to finish.  HE_OK, HE_NOT_FOUND if no job of this
 * user has that token, or a database error. */
int import_job_get(struct db *db, const char *token, int64_t user_id, int wait_ms,
		   struct import_job_view *out);

/* The row's lifecycle, each in auto-commit (or the caller's transaction).
 * Create: a new running row for user_id, now; writes its token. */
int import_job_create(struct db *db, int64_t user_id, time_t now, char token[IMPORT_JOB_TOKEN]);
/* Progress of a running job (also its sign of life). */
int import_job_progress(struct db *db, const char *token, uint64_t done, uint64_t total,
			time_t now);
/* The end: status "done" (import_id, the import's own status and message)
 * or "failed" (import_id 0 if none; message says why). */
int import_job_finish(struct db *db, const char *token, const char *status, int64_t import_id,
		      const char *result, const char *message, time_t now);
/* Read user_id's job with that token as of now: HE_OK, or HE_NOT_FOUND
 * (no such token, or another user's). */
int import_job_read(struct db *db, const char *token, int64_t user_id, time_t now,
		    struct import_job_view *out);
/* Delete rows finished (or last updated) over IMPORT_JOB_KEEP_SECONDS
 * before now. */
int import_job_prune(struct db *db, time_t now);

#endif
