/* audit.h — the structured, mandatory, hash-chained audit log.
 *
 * Every read of a family's or pupil's record and every change writes one
 * row, in the same transaction as the change (audit() refuses to run outside
 * a transaction).  Rows are never updated or deleted: the SQLite authorizer
 * (and on PostgreSQL, privileges and a trigger) forbid it.  Each row stores
 * the SHA-256 of the previous row's hash and its own fields, so removing or
 * editing a row breaks the chain, which audit_verify() detects. */
#ifndef HEARTH_AUDIT_H
#define HEARTH_AUDIT_H
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

struct db;

/* Who did it and through what: filled once per request (or CLI command). */
struct audit_who {
	int64_t user_id;         /* 0 for the system or an anonymous caller */
	const char *email;       /* as typed, for failed sign-ins too; may be NULL */
	const char *role;        /* role name, or "none" */
	const char *route;       /* "GET /api/v1/me", "cli user add", … */
	const char *ip;          /* may be NULL */
};

/* Append one row.  action is a verb from a fixed vocabulary ("view",
 * "create", "update", "login", "login_failed", "logout", "denied",
 * "export", "verify", …); entity is a table name ("users", "pupils", …),
 * entity_id its id as text (both may be NULL); summary is a short plain
 * description without secrets.  Must be called inside db_begin/db_commit.
 * Returns HE_OK, HE_INTERNAL outside a transaction, or a db error. */
int audit(struct db *db, const struct audit_who *who, const char *action,
	  const char *entity, const char *entity_id, const char *summary);

/* Append one row in a transaction of its own — for reads, which change
 * nothing else.  Concurrent callers share commits (group commit): one
 * thread writes every row waiting at that moment in one transaction and
 * the others wait for it, so each caller returns only once its row is
 * committed, at a fraction of a commit each; under load a caller may wait
 * up to half a millisecond for others to join its batch.  Must be called
 * outside a transaction on db (HE_INTERNAL otherwise).  Returns HE_OK or
 * the batch's error. */
int audit_alone(struct db *db, const struct audit_who *who, const char *action,
		const char *entity, const char *entity_id, const char *summary);

/* Deferred rows, for a server that must not make each read commit alone.
 * Between audit_defer_begin and audit_defer_end, this thread's
 * audit_alone calls do not commit: each copies its row into a list held
 * for the thread and returns HE_OK (HE_INTERNAL inside a transaction, as
 * always).  audit_defer_end returns that list (NULL if no row came), and
 * the caller must hold it (audit_defer_hold) and keep the answer that
 * depended on the rows until done(arg, rc) says they were committed
 * (HE_OK) or not (the batch's error; nothing of the list was written).
 * The lists held by every thread are committed together, in one
 * transaction on the audit writer's connection (audit_writer_start),
 * chained like any other rows, by the first thread that needs one of them
 * committed (audit_defer_flush), and each list's done is called then. */
struct audit_deferred;
typedef void audit_done_fn(void *arg, int rc);
/* done's rc when the request's answer rested on a cached session lookup
 * (audit_defer_require) that the database has since changed: none of its
 * rows were written, and the request must be handled again, afresh. */
#define AUDIT_STALE (-2)
void audit_defer_begin(void);
struct audit_deferred *audit_defer_end(void);
/* Between audit_defer_begin and audit_defer_end: this thread's request
 * answers from a session lookup cached at auth_version version
 * (core/auth.h).  Its list (returned by audit_defer_end even with no
 * rows) is then committed only if auth_version still reads version inside
 * the commit's transaction; else done gets AUDIT_STALE. */
void audit_defer_require(int64_t version);
/* Hold d (taken) for the next commit of held rows; returns the number of
 * that commit, for audit_defer_flush.  done(arg, rc) is called once d is
 * committed, or not, on the thread that made the commit. */
uint64_t audit_defer_hold(struct audit_deferred *d, audit_done_fn *done, void *arg);
/* Return once commit ticket (from audit_defer_hold) has been made: if no
 * thread is committing, make it here, with every list held at that moment
 * by any thread; else wait for the commit under way, then see again.
 * With no writer (never started, or stopped) the commit is made on db,
 * which must not be inside a transaction (each done gets HE_INTERNAL if
 * it is). */
void audit_defer_flush(struct db *db, uint64_t ticket);
/* Make db (a connection of its own, used by no other code until
 * audit_writer_stop returns) the audit writer's: flushes commit on it.
 * checkpoints, if not NULL, is another such connection, for a thread that
 * copies SQLite's log into the database beside the writer's commits
 * instead of in them (db_log_watch; unused on PostgreSQL).  HE_INTERNAL if
 * there is a writer already. */
int audit_writer_start(struct db *db, struct db *checkpoints);
/* Wait for the commit under way, commit whatever is still held (calling
 * its done), then stop using the writer's connection (the caller closes
 * it); prints the rows and commits made on it. */
void audit_writer_stop(void);
/* What the writer and its checkpointer have done since it started (the
 * line audit_writer_stop prints): rows and commits of held rows,
 * checkpoints, and those after which the log started afresh. */
struct audit_writer_stats {
	uint64_t rows, commits, checkpoints, restarts;
};
void audit_writer_stats(struct audit_writer_stats *s);

/* Rows this thread has appended since it started (whether or not their
 * transaction has committed yet): the dispatcher compares it before and
 * after a handler to enforce the route table's audit flag. */
uint64_t audit_appended(void);

/* Walk the whole chain.  Sets *rows to the number checked; on a break sets
 * *bad_id to the first row that does not verify, describes it in msg and
 * returns HE_AUDIT_BROKEN.  HE_OK when intact. */
int audit_verify(struct db *db, int64_t *rows, int64_t *bad_id, struct buf *msg);

#endif
