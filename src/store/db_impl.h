/* db_impl.h — what a database backend provides to db.c (private to
 * src/store).
 *
 * db.c owns everything backend-independent: opening by URL, the sticky
 * statement error, transactions and where they were opened, messages.  A
 * backend (db_sqlite.c, db_pg.c) embeds struct db / struct db_stmt at the
 * start of its own structs and fills a struct db_ops. */
#ifndef HEARTH_DB_IMPL_H
#define HEARTH_DB_IMPL_H
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"

#define DB_ROWS_COLS 64   /* most columns db_rows_set takes */

struct db_ops {
	const char *name;        /* "sqlite", "postgresql" */
	const char *begin_sql;   /* how to open a write transaction */
	void (*close)(struct db *db);
	/* Allocate and prepare; on failure return the statement with rc set. */
	struct db_stmt *(*prepare)(struct db *db, const char *sql);
	/* Bind by name; report unknown names through db_stmt_fail. */
	void (*bind_text)(struct db_stmt *st, const char *name, const char *value);
	/* db_bind_text_ref: the value read in place (may be NULL: bind_text) */
	void (*bind_text_ref)(struct db_stmt *st, const char *name, const char *value);
	void (*bind_int)(struct db_stmt *st, const char *name, int64_t value);
	bool (*next)(struct db_stmt *st);
	const char *(*text)(struct db_stmt *st, int col);
	int64_t (*integer)(struct db_stmt *st, int col);
	bool (*is_null)(struct db_stmt *st, int col);
	int (*column_count)(struct db_stmt *st);
	const char *(*column_name)(struct db_stmt *st, int col);
	void (*finalize)(struct db_stmt *st);  /* release, including st itself */
	int64_t (*changes)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*reset_ids)(struct db *db, const char *table);  /* may be NULL */
	void (*bulk)(struct db *db, bool on);                 /* may be NULL */
	bool (*bulk_alone)(struct db *db);                    /* may be NULL */
	void (*map_reads)(struct db *db, bool on);            /* may be NULL */
	bool (*log_watch)(struct db *db, db_log_fn *fn, void *arg);  /* may be NULL */
	int (*checkpoint)(struct db *db, bool restart, bool *whole);  /* may be NULL */
	/* Around a write transaction (may be NULL): SQLite queues this
	 * process's writers on a mutex rather than in its busy handler. */
	int (*backup)(struct db *db, const char *path);
	void (*tx_enter)(struct db *db);
	void (*tx_leave)(struct db *db);
	/* After a failure mapped to HE_DB_READONLY: which storage fault the
	 * connection's last error was. */
	enum db_storage (*storage_kind)(struct db *db);
	/* Rows this connection has changed since it opened (to tell a
	 * transaction that wrote from one that only read). */
	int64_t (*total_changes)(struct db *db);
	/* A query taking :table and returning the name and the definition
	 * (CREATE INDEX …) of each of the table's indexes that neither its
	 * primary key nor a unique key needs: db_indexes_set_aside. */
	const char *index_sql;
	/* A query taking :table and returning the name and the definition
	 * (CREATE TRIGGER …) of each of the table's triggers, and the SQL
	 * (a format with the trigger's then the table's name) that drops one:
	 * db_triggers_set_aside. */
	const char *trigger_sql;
	const char *drop_trigger;
	/* db_rows_set, names already checked plain (NULL: HE_INTERNAL). */
	int (*rows_set)(struct db *db, const char *table, const struct db_col *cols, int ncols,
			int nrows, db_row_fn *fn, void *arg);
};

struct db {
	const struct db_ops *ops;
	char errmsg[512];
	const char *tx_file;  /* where the open transaction began, or NULL */
	int tx_line;
	int64_t tx_changes;   /* total_changes when it began */
	db_begin_check_fn *begin_check;  /* db_set_begin_check */
	void *begin_arg;
	bool audit_append;    /* db_audit_append: INSERT INTO audit_log allowed */
	struct db_aside {     /* definitions set aside in the open transaction: */
		char **defs;
		int n;
	} aside[2];           /* [0] indexes (db_indexes_set_aside), [1] triggers */
};

struct db_stmt {
	struct db *db;
	const char *sql;
	int rc;               /* sticky HE_ code */
};

/* Record an error on db (message with the SQL appended) and return code. */
int db_fail(struct db *db, int code, const char *sql, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Make st's error sticky (first error wins) with a message. */
void db_stmt_fail(struct db_stmt *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Backend constructors: 0 and *out on success. */
int db_sqlite_open(const char *path, struct db **out, char **errmsg);
int db_pg_open(const char *url, struct db **out, char **errmsg);
int db_sqlite_restore(const char *path, const char *from, bool replace, char **errmsg);
int db_pg_restore(const char *url, const char *from, bool replace, char **errmsg);
/* Run argv (argv[0] looked up in PATH), its stdout to /dev/null and its
 * stderr kept: HE_OK when it exits 0, else HE_INTERNAL with *errmsg
 * holding the tail of what it said. */
int db_run_tool(char *const argv[], char **errmsg);

#endif
