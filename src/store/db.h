/* db.h — the one database interface.
 *
 * Every query in Hearth goes through here, with bound parameters: SQL text
 * is always a literal, values are always bound by name (":name"), and
 * identifiers that must vary (ORDER BY columns) come from a whitelist at
 * the call site.  The backend is chosen by URL at open time —
 * "sqlite:PATH" (embedded default) or "postgresql://…" — and no call site
 * branches on it; dialect differences live in the backend files and the
 * paired migrations (migrations/NNNN.sqlite.sql, NNNN.pg.sql).
 *
 * Errors are sticky on a statement, in the style of buf.h: db_prepare never
 * returns NULL; a statement whose prepare, bind or step failed ignores
 * further binds, db_next() returns false, and db_finalize() returns the
 * error code (HE_DB, HE_DB_BUSY, HE_DB_CONSTRAINT, HE_DB_READONLY — the
 * last for a full disk, a read-only database or failed storage: see
 * db_storage_state below).  The
 * message, which names the statement's SQL, is in db_errmsg().  So:
 *
 *     struct db_stmt *st = db_prepare(db, "SELECT name FROM schools WHERE urn = :urn");
 *     db_bind_text(st, ":urn", urn);
 *     while (db_next(st))
 *         use(db_text(st, 0));
 *     rc = db_finalize(st);
 *
 * A connection is used by one thread at a time.  Transactions are explicit
 * and record where they were opened; nesting is a programming error and
 * returns HE_INTERNAL naming both places. */
#ifndef HEARTH_DB_H
#define HEARTH_DB_H
#include <stdbool.h>
#include <stdint.h>

struct db;
struct db_stmt;

/* Open a connection by URL.  On failure returns an HE_ code and, if errmsg
 * is not NULL, a malloc'd message the caller frees.  SQLite connections are
 * WAL, foreign keys on, busy timeout 5 s, and carry an authorizer that
 * refuses UPDATE and DELETE on audit_log. */
int db_open(const char *url, struct db **out, char **errmsg);
void db_close(struct db *db);
/* "sqlite" or "postgresql", for messages and `hearth --version` only. */
const char *db_backend(const struct db *db);
/* The last error message on this connection (names the SQL); "" if none. */
const char *db_errmsg(const struct db *db);

struct db_stmt *db_prepare(struct db *db, const char *sql);
/* Bind by name, including the colon (":urn").  A NULL text binds SQL NULL.
 * Binding a name the statement does not have is an error (sticky). */
void db_bind_text(struct db_stmt *st, const char *name, const char *value);
/* As db_bind_text, but the text is read in place, not copied: it must stay
 * as it is until the statement is finalized (db_done, db_finalize).  For
 * the statements run most often (the audit row's insert). */
void db_bind_text_ref(struct db_stmt *st, const char *name, const char *value);
void db_bind_int(struct db_stmt *st, const char *name, int64_t value);
void db_bind_null(struct db_stmt *st, const char *name);
/* Step: true when a row is available. */
bool db_next(struct db_stmt *st);
/* Column accessors for the current row (0-based).  Text is NULL for SQL
 * NULL and is valid until the next db_next/db_finalize. */
const char *db_text(struct db_stmt *st, int col);
int64_t db_int(struct db_stmt *st, int col);
bool db_is_null(struct db_stmt *st, int col);
int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
/* Release the statement; returns HE_OK or the statement's sticky error. */
int db_finalize(struct db_stmt *st);
/* Run a statement expected to return no rows (or ignore them), finalize it,
 * return the rc. */
int db_done(struct db_stmt *st);
/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t db_changes(struct db *db);

/* An online, consistent copy of the whole database while others go on
 * writing (hearth backup).  SQLite: the online backup API copying every
 * page in one step under one read transaction (in WAL mode writers are not
 * blocked) into path, which must not exist; PostgreSQL: pg_dump's custom
 * format (one snapshot) into path.  db must not be inside a transaction.
 * On failure db_errmsg says why. */
int db_backup(struct db *db, const char *path);
/* Bring a backup made by db_backup back into the database at url (hearth
 * restore).  The target must hold no tables unless replace (then what is
 * there is replaced wholesale).  On failure *errmsg (caller frees). */
int db_restore(const char *url, const char *path, bool replace, char **errmsg);

/* Every table of the schema, parents before children; NULL-terminated. */
extern const char *const db_tables[];
/* A digest (BLAKE2b, hex) of table's rows in key order and their count:
 * two databases hold the same rows exactly when the digests agree (on the
 * same backend; text forms of values differ between backends).  table
 * must be one of db_tables (HE_INVALID otherwise). */
int db_table_digest(struct db *db, const char *table, int64_t *rows, char hex[65]);

/* After rows were copied in with explicit ids (hearth migrate), make the
 * table's id generator continue after the largest id.  table must be a
 * plain lower-case identifier from the caller's own list.  No-op on SQLite,
 * whose INTEGER PRIMARY KEY already does. */
int db_reset_ids(struct db *db, const char *table);

/* Before (on) and after (off) a bulk load in one long transaction, such as
 * an import: lets the backend hold more of the change in memory (SQLite:
 * a 64 MiB page cache, so pages are written once at commit instead of
 * spilling mid-transaction, statement journals and temporary tables in
 * memory, foreign keys unchecked — the bulk writer takes every
 * reference from its own transaction — and the file read through that
 * cache instead of the memory map, so the load's RSS is its own memory;
 * off maps again a connection that was mapped).  No-op where nothing
 * helps. */
void db_bulk(struct db *db, bool on);
/* After db_bulk(db, true), outside a transaction, for a load that writes
 * most of the database anew (a partnership's first census): if no other
 * connection of any process has the database open, write it as this
 * connection's alone until db_bulk(db, false), and say so.  SQLite: a
 * rollback journal instead of the WAL (with synchronous FULL, so a crash
 * still leaves the load whole or not at all): each new page is written
 * once, into the database file, instead of into the WAL and then copied
 * back by a checkpoint; a million-pupil import commits in 0.3 s instead of
 * 1.0–1.7 s.  While it lasts no other process can read the database
 * (Hearth's open fails at once with "database is locked"), so only the
 * command line asks for it, never the server.  db_bulk(db, false) (or the next open
 * of the database by Hearth) brings the WAL back.  With another
 * connection open (a running server) nothing changes: false.  PostgreSQL:
 * false. */
bool db_bulk_alone(struct db *db);

/* Inside a write transaction, before a load that writes a great many rows
 * into table: drop the table's secondary indexes (every index that neither
 * its primary key nor a unique key needs, so upserts still find their
 * conflicts), keeping their definitions as the database's catalog holds
 * them; db_indexes_restore creates them again.  Building an index once by
 * sorting the table costs far less than entering a million rows into it
 * at random.  *n (may be NULL) is how many were dropped.  Both happen in
 * the transaction, so a rollback brings the indexes back as they were, and
 * db_commit restores any still set aside before it commits.  On
 * PostgreSQL DROP INDEX locks the table against readers until the commit. */
int db_indexes_set_aside(struct db *db, const char *table, int *n);
/* Create again every index set aside in this transaction (none: HE_OK). */
int db_indexes_restore(struct db *db);
/* The same for every trigger on table, for a load that the caller knows
 * the triggers would do nothing for (an import's new pupils: no other
 * snapshot, no outcome row): dropped inside the transaction with their
 * definitions kept as the catalog holds them; db_triggers_restore (or the
 * commit) creates them again, a rollback brings them back.  Only what the
 * transaction writes while they are aside goes unseen by them. */
int db_triggers_set_aside(struct db *db, const char *table, int *n);
int db_triggers_restore(struct db *db);

/* Rows in the caller's memory handed to set-based statements, for bulk
 * loads (an import's chunk of checked rows): instead of one INSERT per row
 * into a staging table, db_rows_set makes the temporary table `table`
 * (a plain lower-case name from the caller's own list; created on this
 * connection the first time, with the columns cols) hold exactly nrows
 * rows, row r's column c being what fn(arg, r, c, &v) sets in v, and
 * statements read it like any table (INSERT … SELECT … FROM table) until
 * the next db_rows_set on it.  Column names, count and types must be the
 * same on every call for a table (SQLite refuses others: HE_INTERNAL).  An int column's value is v.i, a text
 * column's v.text (NULL: SQL NULL; it must stay valid and unchanged until
 * the rows are replaced); v.null makes either NULL.
 *   SQLite: a virtual table over the caller's rows, read in place (fn is
 *   called as statements read them, on the calling thread): nothing is
 *   copied, so arg and the texts must live until the next call, which may
 *   give nrows 0 to let go of them.
 *   PostgreSQL: a temporary table, emptied and filled with one COPY.
 * Inside or outside a transaction; a rollback may take the table with it:
 * the next call creates it again. */
enum db_col_type { DB_COL_INT, DB_COL_TEXT };
struct db_col {
	const char *name;
	enum db_col_type type;
};
struct db_value {
	int64_t i;
	const char *text;
	bool null;
};
typedef void db_row_fn(void *arg, int row, int col, struct db_value *v);
int db_rows_set(struct db *db, const char *table, const struct db_col *cols, int ncols,
		int nrows, db_row_fn *fn, void *arg);

/* Read this connection's database memory-mapped (on) or through the
 * backend's own page cache (off).  A connection opens mapped.  Mapped
 * reads suit long scans (the reports: a full year's dashboard about 2x
 * faster), but on SQLite a mapped connection drops and rebuilds its whole
 * mapping at the first read after any other connection has committed,
 * which under a steady stream of audit commits costs a short request more
 * than the map saves (GET /api/v1/me: 2-3x the CPU; bench/README.md), so
 * the server maps only the connections serving report routes.  On
 * PostgreSQL the same switch makes the connection plan every execution of a
 * statement for its own parameters (plan_cache_mode force_custom_plan):
 * a report query's generic plan can be a hundred times slower.  Cheap when
 * nothing changes; call it between statements, never while one is open. */
void db_map_reads(struct db *db, bool on);

/* Checkpoints, for a connection that commits all the time (the audit
 * writer, core/audit.h).  SQLite appends commits to its write-ahead log,
 * and by default a commit that leaves the log at DB_LOG_PAGES pages or
 * more copies it into the database there and then (a checkpoint): on the
 * reference machine 2-5 ms, against 0.1 ms for a commit, two fsyncs of
 * the log's megabytes and the pages — long enough for every request
 * waiting on that commit to wait too.
 *   db_log_watch takes that over for db: its commits no longer
 *   checkpoint; instead, after each commit that leaves DB_LOG_PAGES or
 *   more in the log, fn(arg, pages) is called, on the committing thread
 *   and inside the commit (so it must only tell someone: no database call
 *   of any kind); fn NULL gives the commits their checkpoints back.
 *   False on PostgreSQL, which has no such log to copy.
 *   db_checkpoint copies into the database what the log holds, on its own
 *   connection, while other connections go on committing (a passive
 *   checkpoint); *whole says whether it copied the whole log.  The log
 *   starts afresh (so stops growing) only at a commit that finds it copied
 *   whole and no reader still on an older snapshot, which under steady
 *   commits and reads seldom happens by itself; so the caller must now and
 *   then, with its own commits held back, make a restarting one: it copies
 *   the rest and lets readers of older snapshots finish (up to about a
 *   millisecond), so that the next commit starts the log afresh (*whole:
 *   both done).  HE_OK, or the error; PostgreSQL: HE_OK, whole. */
#define DB_LOG_PAGES 1000
typedef void db_log_fn(void *arg, int pages);
bool db_log_watch(struct db *db, db_log_fn *fn, void *arg);
int db_checkpoint(struct db *db, bool restart, bool *whole);

/* Storage faults: a write the database could not make because its disk is
 * full, it is read-only, or its storage failed.  Such a failure returns
 * HE_DB_READONLY, whichever backend; these say which kind it was, for the
 * whole process, because the connection that met it may be another
 * thread's (the audit group commit writes every waiting request's row on
 * its leader's connection).
 *   SQLite: SQLITE_FULL; SQLITE_READONLY; SQLITE_IOERR and SQLITE_CANTOPEN
 *   told apart by the system errno (ENOSPC/EDQUOT full, EROFS/EACCES/EPERM
 *   read-only, anything else failed).
 *   PostgreSQL: 53100 disk_full; 25006 read_only_sql_transaction; 58030
 *   io_error and the rest of class 53 (insufficient resources) failed.
 * The state is set by every such failure and goes back to DB_STORAGE_OK
 * when a transaction that wrote something commits (space came back); each
 * change of state is logged once on standard error.  The failed
 * transaction itself is rolled back as any failed one is. */
enum db_storage {
	DB_STORAGE_OK = 0,
	DB_STORAGE_FULL,      /* the disk is full */
	DB_STORAGE_READONLY,  /* the database or its file system is read-only */
	DB_STORAGE_FAILED,    /* the storage failed otherwise (I/O error, no resources) */
};
/* The kind of the latest storage fault, or DB_STORAGE_OK. */
enum db_storage db_storage_state(void);
/* How many storage faults this thread has met so far: a request compares
 * the count before and after to know whether it met one itself. */
uint64_t db_storage_faults(void);
/* How many transactions that wrote have committed on this thread: a
 * request that fails after its change was committed (its read-back could
 * not be audited on a full disk) says the change was saved. */
uint64_t db_write_commits(void);
/* The stable code of a kind ("storage_full", "storage_readonly",
 * "storage_failed"; "ok") and a sentence for people saying what is wrong
 * ("the database disk is full"). */
const char *db_storage_code(enum db_storage s);
const char *db_storage_reason(enum db_storage s);

/* Execute SQL text with no parameters, possibly several statements
 * (migrations and fixed maintenance statements only). */
int db_exec(struct db *db, const char *sql);

/* Transactions.  db_begin opens a write transaction (BEGIN IMMEDIATE on
 * SQLite, so writers queue instead of deadlocking on upgrade).  Commit
 * returns an HE_ code; on failure the transaction is rolled back.
 * Rollback is safe to call when none is open. */
#define db_begin(db) db_begin_((db), __FILE__, __LINE__)
#define db_commit(db) db_commit_((db), __FILE__, __LINE__)
#define db_rollback(db) db_rollback_((db), __FILE__, __LINE__)
int db_begin_(struct db *db, const char *file, int line);
int db_commit_(struct db *db, const char *file, int line);
void db_rollback_(struct db *db, const char *file, int line);
bool db_in_transaction(const struct db *db);
/* A check db_begin runs inside every write transaction it opens on db,
 * right after BEGIN (NULL: none).  When it returns an HE_ code other than
 * HE_OK, db_begin rolls back and returns that code.  The server's session
 * cache (core/auth.c) uses it so that no write runs on a cached session
 * that has since changed. */
typedef int db_begin_check_fn(struct db *db, void *arg);
void db_set_begin_check(struct db *db, db_begin_check_fn *fn, void *arg);
/* Allow (on) or refuse again (off) statements on db that INSERT INTO
 * audit_log.  core/audit.c turns it on around its own INSERT; on SQLite
 * the authorizer refuses any other, so no INSERT OR REPLACE (which deletes
 * the row it replaces) can reach the log.  PostgreSQL has no REPLACE, and
 * its triggers refuse UPDATE and DELETE, so there it changes nothing. */
void db_audit_append(struct db *db, bool on);

/* Apply the migrations built into the binary for this backend that are not
 * yet recorded in schema_migrations, each in its own transaction.  Sets
 * *from and *to to the versions before and after (either may be NULL).
 * Returns HE_DB_SCHEMA if the database is newer than this binary. */
int db_migrate(struct db *db, int *from, int *to);
/* Current schema version (0 for an empty database). */
int db_schema_version(struct db *db);
/* The newest migration this binary carries. */
int db_latest_version(void);

#endif
