/* report_pool.h — work out several report sections at once.
 *
 * The dashboard, the printable Schools Forum report and its workbook run
 * every section of the registry (core/report.h) for one filter; each
 * section only reads, and they share nothing, so on a machine with more
 * than one core they can run side by side.  report_pool_run() hands the
 * sections to a small pool of threads — one fewer than the cores, each
 * with a database connection of its own, opened on first use and kept —
 * and works through them on the caller's connection as well.  Whichever
 * thread is free takes the next section, the costliest first, so a busy
 * pool (another request's report) never makes a report slower than
 * running it alone: the caller then simply does every section itself.
 *
 * The tables come back in the registry's order, allocated in the caller's
 * arena, exactly as running each section in turn would give them.  Each
 * section reads in its own statements, as it always has, so the figures
 * are those of the moment each statement ran. */
#ifndef HEARTH_REPORT_POOL_H
#define HEARTH_REPORT_POOL_H
#include <stddef.h>

#include "core/report.h"

/* Run every section of report_sections[] for f: out[i] is section i's
 * table (NULL when the section has none).  url is the database the pool's
 * connections open (the caller's own); NULL or a pool of no threads (one
 * core, HEARTH_REPORT_THREADS=0) runs them in turn on db.  On failure
 * returns the first failing section's code, *failed its index and errmsg
 * (size n) what its database said. */
int report_pool_run(struct db *db, const char *url, struct arena *a,
		    const struct report_filter *f, struct rtable **out, size_t *failed,
		    char *errmsg, size_t n);

/* How many pool threads are running (0 before the first report). */
int report_pool_size(void);

/* Stop the pool's threads and close their connections (at shutdown). */
void report_pool_stop(void);

#endif
