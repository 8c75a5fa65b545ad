/* db_sqlite.c — the SQLite backend of db.h (the embedded default).
 *
 * One connection per thread: opened in WAL mode with foreign keys on, a
 * 5-second busy timeout, synchronous=NORMAL (durable across a process crash,
 * which is what WAL guarantees at that level), and an authorizer that
 * refuses UPDATE, DELETE and DROP on audit_log, so even a bug cannot
 * rewrite history.  Prepared statements are cached per connection, keyed by
 * the SQL literal, because handlers run the same few statements per request. */
#include "store/db.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

#define STMT_CACHE 96

struct cached {
	const char *sql;      /* the literal's address: stable for the process */
	sqlite3_stmt *st;
	int in_use;
};

struct db {
	sqlite3 *h;
	char errmsg[512];
	const char *tx_file;  /* where the open transaction began, or NULL */
	int tx_line;
	struct cached cache[STMT_CACHE];
};

struct db_stmt {
	struct db *db;
	sqlite3_stmt *st;
	const char *sql;
	struct cached *slot;  /* NULL if not cached */
	int rc;               /* sticky HE_ code */
};

static int map_rc(int src)
{
	switch (src & 0xff) {
	case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE: return HE_OK;
	case SQLITE_BUSY: case SQLITE_LOCKED: return HE_DB_BUSY;
	case SQLITE_CONSTRAINT: return HE_DB_CONSTRAINT;
	case SQLITE_READONLY: case SQLITE_FULL: case SQLITE_IOERR:
	case SQLITE_CANTOPEN: return HE_DB_READONLY;
	default: return HE_DB;
	}
}

static int set_err(struct db *db, int code, const char *sql, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int set_err(struct db *db, int code, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	if (sql && n >= 0 && (size_t)n < sizeof db->errmsg)
		snprintf(db->errmsg + n, sizeof db->errmsg - (size_t)n,
			 " (in: %.200s)", sql);
	return code;
}

static int authorize(void *unused, int action, const char *a1, const char *a2,
		     const char *dbname, const char *trigger)
{
	(void)unused; (void)dbname; (void)trigger;
	switch (action) {
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
	case SQLITE_DROP_TABLE:
		if (a1 && strcmp(a1, "audit_log") == 0)
			return SQLITE_DENY;
		break;
	case SQLITE_ALTER_TABLE:  /* a1 is the database, a2 the table */
		if (a2 && strcmp(a2, "audit_log") == 0)
			return SQLITE_DENY;
		break;
	case SQLITE_ATTACH:
		return SQLITE_DENY;  /* nothing in Hearth attaches other files */
	default:
		break;
	}
	return SQLITE_OK;
}

int db_open(const char *url, struct db **out, char **errmsg)
{
	*out = NULL;
	if (strncmp(url, "sqlite:", 7) != 0) {
		if (errmsg)
			*errmsg = xstrdup(strncmp(url, "postgresql://", 13) == 0
				? "PostgreSQL is not supported by this build yet; use sqlite:PATH"
				: "unknown database URL: expected sqlite:PATH");
		return HE_USAGE;
	}
	struct db *db = xcalloc(1, sizeof *db);
	int src = sqlite3_open_v2(url + 7, &db->h,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
			" PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		if (errmsg) {
			char m[600];
			snprintf(m, sizeof m, "cannot open %s: %s", url + 7,
				 db->h ? sqlite3_errmsg(db->h) : "out of memory");
			*errmsg = xstrdup(m);
		}
		int rc = map_rc(src);
		sqlite3_close(db->h);
		free(db);
		return rc;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_set_authorizer(db->h, authorize, NULL);
	sqlite3_extended_result_codes(db->h, 1);
	*out = db;
	return HE_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->tx_file)
		db_rollback_(db, __FILE__, __LINE__);
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

const char *db_backend(const struct db *db)
{
	(void)db;
	return "sqlite";
}

const char *db_errmsg(const struct db *db)
{
	return db->errmsg;
}

/* A cached, idle statement for this SQL, or a new cache slot (or NULL). */
static struct cached *cache_get(struct db *db, const char *sql)
{
	struct cached *free_slot = NULL;
	for (int i = 0; i < STMT_CACHE; i++) {
		struct cached *c = &db->cache[i];
		if (c->sql == sql && !c->in_use && strcmp(sqlite3_sql(c->st), sql) == 0)
			return c;
		if (!c->sql && !free_slot)
			free_slot = c;
	}
	return free_slot;
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *s = xcalloc(1, sizeof *s);
	s->db = db;
	s->sql = sql;
	struct cached *c = cache_get(db, sql);
	if (c && c->sql) {
		c->in_use = 1;
		s->slot = c;
		s->st = c->st;
		return s;
	}
	int src = sqlite3_prepare_v3(db->h, sql, -1, c ? SQLITE_PREPARE_PERSISTENT : 0,
				     &s->st, NULL);
	if (src != SQLITE_OK) {
		s->rc = set_err(db, map_rc(src) == HE_DB_BUSY ? HE_DB_BUSY : HE_DB, sql,
				"%s", sqlite3_errmsg(db->h));
		return s;
	}
	if (c) {
		c->sql = sql;
		c->st = s->st;
		c->in_use = 1;
		s->slot = c;
	}
	return s;
}

static int param_index(struct db_stmt *s, const char *name)
{
	if (s->rc)
		return 0;
	int i = sqlite3_bind_parameter_index(s->st, name);
	if (i == 0)
		s->rc = set_err(s->db, HE_INTERNAL, s->sql, "no parameter %s", name);
	return i;
}

static void bind_check(struct db_stmt *s, int src)
{
	if (src != SQLITE_OK && !s->rc)
		s->rc = set_err(s->db, map_rc(src), s->sql, "bind: %s",
				sqlite3_errmsg(s->db->h));
}

void db_bind_text(struct db_stmt *s, const char *name, const char *value)
{
	int i = param_index(s, name);
	if (i)
		bind_check(s, value ? sqlite3_bind_text(s->st, i, value, -1, SQLITE_TRANSIENT)
				    : sqlite3_bind_null(s->st, i));
}

void db_bind_int(struct db_stmt *s, const char *name, int64_t value)
{
	int i = param_index(s, name);
	if (i)
		bind_check(s, sqlite3_bind_int64(s->st, i, value));
}

void db_bind_null(struct db_stmt *s, const char *name)
{
	int i = param_index(s, name);
	if (i)
		bind_check(s, sqlite3_bind_null(s->st, i));
}

bool db_next(struct db_stmt *s)
{
	if (s->rc || !s->st)
		return false;
	int src = sqlite3_step(s->st);
	if (src == SQLITE_ROW)
		return true;
	if (src != SQLITE_DONE)
		s->rc = set_err(s->db, map_rc(src), s->sql, "%s", sqlite3_errmsg(s->db->h));
	return false;
}

const char *db_text(struct db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s->st, col);
}

int64_t db_int(struct db_stmt *s, int col)
{
	return sqlite3_column_int64(s->st, col);
}

bool db_is_null(struct db_stmt *s, int col)
{
	return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

int db_column_count(struct db_stmt *s)
{
	return s->st ? sqlite3_column_count(s->st) : 0;
}

const char *db_column_name(struct db_stmt *s, int col)
{
	return sqlite3_column_name(s->st, col);
}

int db_finalize(struct db_stmt *s)
{
	if (!s)
		return HE_OK;
	int rc = s->rc;
	if (s->slot) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->slot->in_use = 0;
	} else {
		sqlite3_finalize(s->st);
	}
	free(s);
	return rc;
}

int db_done(struct db_stmt *s)
{
	while (db_next(s))
		;
	return db_finalize(s);
}

int64_t db_changes(struct db *db)
{
	return sqlite3_changes64(db->h);
}

int db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int src = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (src == SQLITE_OK)
		return HE_OK;
	int rc = set_err(db, map_rc(src), sql, "%s", msg ? msg : sqlite3_errstr(src));
	sqlite3_free(msg);
	return rc;
}

int db_begin_(struct db *db, const char *file, int line)
{
	if (db->tx_file)
		return set_err(db, HE_INTERNAL, NULL,
			"transaction opened at %s:%d while one from %s:%d is open",
			file, line, db->tx_file, db->tx_line);
	int rc = db_exec(db, "BEGIN IMMEDIATE");
	if (rc == HE_OK) {
		db->tx_file = file;
		db->tx_line = line;
	}
	return rc;
}

int db_commit_(struct db *db, const char *file, int line)
{
	if (!db->tx_file)
		return set_err(db, HE_INTERNAL, NULL, "commit at %s:%d with no transaction",
			       file, line);
	int rc = db_exec(db, "COMMIT");
	if (rc != HE_OK)
		db_exec(db, "ROLLBACK");
	db->tx_file = NULL;
	return rc;
}

void db_rollback_(struct db *db, const char *file, int line)
{
	(void)file; (void)line;
	if (!db->tx_file)
		return;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->tx_file = NULL;
}

bool db_in_transaction(const struct db *db)
{
	return db->tx_file != NULL;
}
