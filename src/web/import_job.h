/* import_job.h — imports started from the web run in the background.
 *
 * A large census file takes seconds to minutes; the upload page starts the
 * import on a thread of its own (with its own database connection) and
 * sends the browser to a progress page that refreshes itself (no script)
 * until the report is ready.  Jobs live in this process's memory; behind a
 * load balancer the progress page of a job started on another process says
 * so and points to the import list, where the result appears. */
#ifndef HEARTH_IMPORT_JOB_H
#define HEARTH_IMPORT_JOB_H
#include <stdbool.h>
#include <stdint.h>

#include "core/import.h"

struct req;

#define IMPORT_JOB_TOKEN 33

struct import_job_view {
	bool done;
	uint64_t bytes_done, bytes_total;
	int64_t import_id;               /* 0 until known (or if refused at once) */
	char status[16];
	char message[256];
};

/* Take r's uploaded file and start importing it with o (whose strings are
 * copied) as r's user.  Writes the job's token.  HE_OK, or HE_MISSING when
 * there is no file. */
int import_job_start(struct req *r, const struct import_opts *o, const char *filename,
		     char token[IMPORT_JOB_TOKEN]);
/* The job's state, waiting up to wait_ms for it to finish; false if no job
 * of this user has that token here. */
bool import_job_get(const char *token, int64_t user_id, int wait_ms,
		    struct import_job_view *out);

#endif
