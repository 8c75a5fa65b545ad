/* db.c — the backend-independent half of db.h.
 *
 * Chooses the backend by URL, keeps the sticky statement error, tracks the
 * open transaction (file and line) and formats messages; the backends do
 * the talking to SQLite or PostgreSQL. */
#include "store/db_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

int db_open(const char *url, struct db **out, char **errmsg)
{
	*out = NULL;
	if (strncmp(url, "sqlite:", 7) == 0)
		return db_sqlite_open(url + 7, out, errmsg);
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
		return db_pg_open(url, out, errmsg);
	if (errmsg)
		*errmsg = xstrdup("unknown database URL: expected sqlite:PATH or postgresql://...");
	return HE_USAGE;
}

int db_backup(struct db *db, const char *path)
{
	if (db->tx_file)
		return db_fail(db, HE_INTERNAL, NULL, "backup inside a transaction (opened at %s:%d)",
			       db->tx_file, db->tx_line);
	return db->ops->backup(db, path);
}

int db_restore(const char *url, const char *path, bool replace, char **errmsg)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return db_sqlite_restore(url + 7, path, replace, errmsg);
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
		return db_pg_restore(url, path, replace, errmsg);
	if (errmsg)
		*errmsg = xstrdup("unknown database URL: expected sqlite:PATH or postgresql://...");
	return HE_USAGE;
}

int db_run_tool(char *const argv[], char **errmsg)
{
	int err[2];
	if (pipe(err) != 0)
		goto fail;
	pid_t pid = fork();
	if (pid < 0) {
		close(err[0]);
		close(err[1]);
		goto fail;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(err[1], 2);
		close(err[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(err[1]);
	char said[2048];
	size_t n = 0;
	ssize_t k;
	char chunk[512];
	while ((k = read(err[0], chunk, sizeof chunk)) > 0 || (k < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < k; i++) {       /* keep the last 2 KiB */
			if (n == sizeof said - 1) {
				memmove(said, said + 1, n - 1);
				n--;
			}
			said[n++] = chunk[i];
		}
	}
	said[n] = '\0';
	close(err[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			goto fail;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return HE_OK;
	if (errmsg) {
		while (n && (said[n - 1] == '\n'))
			said[--n] = '\0';
		char m[2300];
		snprintf(m, sizeof m, "%s failed (%s %d): %s", argv[0], WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), n ? said : "no message");
		*errmsg = xstrdup(m);
	}
	return HE_INTERNAL;
fail:
	if (errmsg) {
		char m[300];
		snprintf(m, sizeof m, "cannot run %s: %s", argv[0], strerror(errno));
		*errmsg = xstrdup(m);
	}
	return HE_INTERNAL;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->tx_file)
		db_rollback_(db, __FILE__, __LINE__);
	db->ops->close(db);
}

const char *db_backend(const struct db *db)
{
	return db->ops->name;
}

const char *db_errmsg(const struct db *db)
{
	return db->errmsg;
}

/* ---- storage faults (see db.h) ---------------------------------------- */

static _Atomic int storage_state = DB_STORAGE_OK;
static __thread uint64_t storage_faults;

enum db_storage db_storage_state(void)
{
	return (enum db_storage)atomic_load(&storage_state);
}

uint64_t db_storage_faults(void)
{
	return storage_faults;
}

/* Transactions that wrote and committed on this thread. */
static __thread uint64_t write_commits;

uint64_t db_write_commits(void)
{
	return write_commits;
}

const char *db_storage_code(enum db_storage s)
{
	switch (s) {
	case DB_STORAGE_FULL: return "storage_full";
	case DB_STORAGE_READONLY: return "storage_readonly";
	case DB_STORAGE_FAILED: return "storage_failed";
	default: return "ok";
	}
}

const char *db_storage_reason(enum db_storage s)
{
	switch (s) {
	case DB_STORAGE_FULL: return "the database disk is full";
	case DB_STORAGE_READONLY: return "the database is read-only";
	case DB_STORAGE_FAILED: return "the database could not write to its storage";
	default: return "the database is working";
	}
}

/* A storage fault on db (its message already in db->errmsg): count it for
 * this thread, and log when the state changes (once, however many requests
 * meet the same full disk). */
static void storage_note(struct db *db)
{
	enum db_storage kind = db->ops->storage_kind ? db->ops->storage_kind(db) : DB_STORAGE_FAILED;
	storage_faults++;
	/* An I/O error in the middle of a known full or read-only spell is
	 * that spell, not news. */
	int was = atomic_load(&storage_state);
	if (kind == DB_STORAGE_FAILED && was != DB_STORAGE_OK)
		return;
	if (atomic_exchange(&storage_state, (int)kind) != (int)kind)
		fprintf(stderr, "hearth: storage: %s; changes are refused until that is put right,"
			" reads go on (%s: %.300s)\n", db_storage_reason(kind), db->ops->name, db->errmsg);
}

/* A transaction that wrote has committed: the storage takes changes again. */
static void storage_recovered(void)
{
	if (atomic_load(&storage_state) != DB_STORAGE_OK &&
	    atomic_exchange(&storage_state, DB_STORAGE_OK) != DB_STORAGE_OK)
		fprintf(stderr, "hearth: storage: the database takes changes again\n");
}

int db_fail(struct db *db, int code, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	if (sql && n >= 0 && (size_t)n < sizeof db->errmsg)
		snprintf(db->errmsg + n, sizeof db->errmsg - (size_t)n, " (in: %.200s)", sql);
	if (code == HE_DB_READONLY)
		storage_note(db);
	return code;
}

void db_stmt_fail(struct db_stmt *st, int code, const char *fmt, ...)
{
	if (st->rc)
		return;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	st->rc = db_fail(st->db, code, st->sql, "%s", msg);
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	return db->ops->prepare(db, sql);
}

void db_bind_text(struct db_stmt *st, const char *name, const char *value)
{
	if (!st->rc)
		st->db->ops->bind_text(st, name, value);
}

void db_bind_text_ref(struct db_stmt *st, const char *name, const char *value)
{
	if (!st->rc)
		(st->db->ops->bind_text_ref ? st->db->ops->bind_text_ref
					    : st->db->ops->bind_text)(st, name, value);
}

void db_bind_int(struct db_stmt *st, const char *name, int64_t value)
{
	if (!st->rc)
		st->db->ops->bind_int(st, name, value);
}

void db_bind_null(struct db_stmt *st, const char *name)
{
	if (!st->rc)
		st->db->ops->bind_text(st, name, NULL);
}

bool db_next(struct db_stmt *st)
{
	return !st->rc && st->db->ops->next(st);
}

const char *db_text(struct db_stmt *st, int col)
{
	return st->db->ops->text(st, col);
}

int64_t db_int(struct db_stmt *st, int col)
{
	return st->db->ops->integer(st, col);
}

bool db_is_null(struct db_stmt *st, int col)
{
	return st->db->ops->is_null(st, col);
}

int db_column_count(struct db_stmt *st)
{
	return st->rc ? 0 : st->db->ops->column_count(st);
}

const char *db_column_name(struct db_stmt *st, int col)
{
	return st->db->ops->column_name(st, col);
}

int db_finalize(struct db_stmt *st)
{
	if (!st)
		return HE_OK;
	int rc = st->rc;
	st->db->ops->finalize(st);
	return rc;
}

int db_done(struct db_stmt *st)
{
	while (db_next(st))
		;
	return db_finalize(st);
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

void db_bulk(struct db *db, bool on)
{
	if (db->ops->bulk)
		db->ops->bulk(db, on);
}

bool db_bulk_alone(struct db *db)
{
	return !db_in_transaction(db) && db->ops->bulk_alone && db->ops->bulk_alone(db);
}

bool db_log_watch(struct db *db, db_log_fn *fn, void *arg)
{
	return db->ops->log_watch && db->ops->log_watch(db, fn, arg);
}

int db_checkpoint(struct db *db, bool restart, bool *whole)
{
	*whole = true;
	return db->ops->checkpoint ? db->ops->checkpoint(db, restart, whole) : HE_OK;
}

void db_map_reads(struct db *db, bool on)
{
	if (db->ops->map_reads)
		db->ops->map_reads(db, on);
}

int db_reset_ids(struct db *db, const char *table)
{
	for (const char *p = table; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return db_fail(db, HE_INTERNAL, NULL, "not a table name: %.40s", table);
	return db->ops->reset_ids ? db->ops->reset_ids(db, table) : HE_OK;
}

static void tx_end(struct db *db, const char *sql);
/* ---- secondary indexes set aside for a bulk load ------------------------ */

static void aside_clear(struct db *db)
{
	for (int k = 0; k < 2; k++) {
		struct db_aside *a = &db->aside[k];
		for (int i = 0; i < a->n; i++)
			free(a->defs[i]);
		free(a->defs);
		a->defs = NULL;
		a->n = 0;
	}
}

/* A name from the catalog, safe to put in SQL text unquoted. */
static bool plain_name(const char *s)
{
	if (!s || !*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Drop what list_sql lists for table (names and definitions), keeping the
 * definitions in a to be run again by aside_restore. */
static int set_aside(struct db *db, struct db_aside *a, const char *what, const char *list_sql,
		     const char *drop_fmt, const char *table, int *n)
{
	if (n)
		*n = 0;
	if (!db->tx_file)
		return db_fail(db, HE_INTERNAL, NULL, "%s of %.40s set aside outside a"
			       " transaction", what, table);
	if (!list_sql)
		return HE_OK;
	if (!plain_name(table))
		return db_fail(db, HE_INTERNAL, NULL, "not a table name: %.40s", table);
	char **names = NULL, **defs = NULL;
	int count = 0, rc;
	struct db_stmt *st = db_prepare(db, list_sql);
	db_bind_text(st, ":table", table);
	while (db_next(st)) {
		names = xrealloc(names, (size_t)(count + 1) * sizeof *names);
		defs = xrealloc(defs, (size_t)(count + 1) * sizeof *defs);
		names[count] = xstrdup(db_text(st, 0));
		defs[count++] = xstrdup(db_text(st, 1));
	}
	rc = db_finalize(st);
	int i = 0;
	for (; rc == HE_OK && i < count; i++) {
		if (!plain_name(names[i])) {
			rc = db_fail(db, HE_INTERNAL, NULL, "name not plain: %.63s", names[i]);
			break;
		}
		char sql[200];
		snprintf(sql, sizeof sql, drop_fmt, names[i], table);
		if ((rc = db_exec(db, sql)) != HE_OK)
			break;
		a->defs = xrealloc(a->defs, (size_t)(a->n + 1) * sizeof *a->defs);
		a->defs[a->n++] = defs[i];
		defs[i] = NULL;
		if (n)
			(*n)++;
	}
	for (int k = 0; k < count; k++) {
		free(names[k]);
		free(defs[k]);
	}
	free(names);
	free(defs);
	return rc;
}

static int aside_restore(struct db *db, struct db_aside *a)
{
	int rc = HE_OK;
	while (rc == HE_OK && a->n > 0) {
		/* one at a time, so a failure leaves the rest listed for the rollback */
		if ((rc = db_exec(db, a->defs[a->n - 1])) == HE_OK)
			free(a->defs[--a->n]);
	}
	if (a->n == 0) {
		free(a->defs);
		a->defs = NULL;
	}
	return rc;
}

int db_indexes_set_aside(struct db *db, const char *table, int *n)
{
	return set_aside(db, &db->aside[0], "indexes", db->ops->index_sql, "DROP INDEX %s", table, n);
}

int db_indexes_restore(struct db *db)
{
	return aside_restore(db, &db->aside[0]);
}

int db_triggers_set_aside(struct db *db, const char *table, int *n)
{
	return set_aside(db, &db->aside[1], "triggers", db->ops->trigger_sql,
			 db->ops->drop_trigger, table, n);
}

int db_triggers_restore(struct db *db)
{
	return aside_restore(db, &db->aside[1]);
}

int db_rows_set(struct db *db, const char *table, const struct db_col *cols, int ncols,
		int nrows, db_row_fn *fn, void *arg)
{
	if (!plain_name(table) || ncols < 1 || ncols > DB_ROWS_COLS || nrows < 0 || (nrows && !fn))
		return db_fail(db, HE_INTERNAL, NULL, "rows for %.40s: bad table, columns or rows",
			       table ? table : "(null)");
	for (int c = 0; c < ncols; c++)
		if (!plain_name(cols[c].name))
			return db_fail(db, HE_INTERNAL, NULL, "rows for %.40s: column name not plain",
				       table);
	if (!db->ops->rows_set)
		return db_fail(db, HE_INTERNAL, NULL, "rows for %.40s: not on %s", table,
			       db->ops->name);
	return db->ops->rows_set(db, table, cols, ncols, nrows, fn, arg);
}

int db_begin_(struct db *db, const char *file, int line)
{
	if (db->tx_file)
		return db_fail(db, HE_INTERNAL, NULL,
			"transaction opened at %s:%d while one from %s:%d is open",
			file, line, db->tx_file, db->tx_line);
	if (db->ops->tx_enter)
		db->ops->tx_enter(db);
	int rc = db_exec(db, db->ops->begin_sql);
	if (rc == HE_OK) {
		db->tx_file = file;
		db->tx_line = line;
		db->tx_changes = db->ops->total_changes ? db->ops->total_changes(db) : 0;
		if (db->begin_check && (rc = db->begin_check(db, db->begin_arg)) != HE_OK)
			tx_end(db, "ROLLBACK");
	} else if (db->ops->tx_leave) {
		db->ops->tx_leave(db);
	}
	return rc;
}

/* Close the transaction's bookkeeping, first running sql (if any) without
 * letting it replace the error message the caller will report. */
static void tx_end(struct db *db, const char *sql)
{
	if (sql) {
		char keep[sizeof db->errmsg];
		memcpy(keep, db->errmsg, sizeof keep);
		db_exec(db, sql);
		memcpy(db->errmsg, keep, sizeof keep);
	}
	db->tx_file = NULL;
	aside_clear(db);  /* restored by the commit, or brought back by the rollback */
	if (db->ops->tx_leave)
		db->ops->tx_leave(db);
}

int db_commit_(struct db *db, const char *file, int line)
{
	if (!db->tx_file)
		return db_fail(db, HE_INTERNAL, NULL, "commit at %s:%d with no transaction",
			       file, line);
	int rc = db_indexes_restore(db);
	if (rc == HE_OK)
		rc = db_triggers_restore(db);
	if (rc == HE_OK)
		rc = db_exec(db, "COMMIT");
	if (rc != HE_OK) {
		tx_end(db, "ROLLBACK");  /* the message stays the COMMIT's */
		return rc;
	}
	if (db->ops->total_changes && db->ops->total_changes(db) > db->tx_changes) {
		write_commits++;
		storage_recovered();
	}
	tx_end(db, NULL);
	return rc;
}

void db_rollback_(struct db *db, const char *file, int line)
{
	(void)file; (void)line;
	if (db->tx_file)
		tx_end(db, "ROLLBACK");
}

void db_set_begin_check(struct db *db, db_begin_check_fn *fn, void *arg)
{
	db->begin_check = fn;
	db->begin_arg = arg;
}

void db_audit_append(struct db *db, bool on)
{
	db->audit_append = on;
}

bool db_in_transaction(const struct db *db)
{
	return db->tx_file != NULL;
}
