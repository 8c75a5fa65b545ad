/* db_sqlite.c — the SQLite backend of db.h (the embedded default).
 *
 * One connection per thread: opened in WAL mode with foreign keys on, a
 * 5-second busy timeout, synchronous=NORMAL (durable across a process crash,
 * which is what WAL guarantees at that level), and an authorizer that
 * refuses UPDATE, DELETE, DROP and ALTER on audit_log, and any INSERT into
 * it but audit.c's own (db_audit_append), so even a bug cannot rewrite
 * history.  Prepared statements are cached per connection, keyed by
 * the SQL literal, because handlers run the same few statements per request. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "store/db_impl.h"

#define STMT_CACHE 96

#define PARAM_CACHE 48
#define PARAM_NAME 24   /* longest name kept, with its NUL */

/* mmap_size of a mapped connection; SQLite clamps it to its build limit. */
#define MAP_BYTES "2147483648"

struct cached {
	const char *sql;      /* the literal's address: stable for the process */
	sqlite3_stmt *st;
	int in_use;
	/* Parameter names (literals too) already looked up: SQLite's own
	 * lookup compares strings, which showed in import profiles.  A hit is
	 * the same pointer holding the same text as the copy kept here
	 * (asking SQLite for the index's name instead walked the statement's
	 * parameter list: 6 % of a million-row import). */
	int np, hint;         /* names kept; where the next lookup starts */
	const char *pname[PARAM_CACHE];
	char ptext[PARAM_CACHE][PARAM_NAME];
	int pidx[PARAM_CACHE];
};

#define ROWS_TABLES 4   /* tables db_rows_set fills on one connection */

/* What a db_rows_set table holds now: the caller's rows, read in place. */
struct rows_src {
	char name[64];
	int ncols, nrows;
	enum db_col_type types[DB_ROWS_COLS];
	db_row_fn *fn;
	void *arg;
};

struct log_watch {
	db_log_fn *fn;
	void *arg;
};

struct sqlite_db {
	struct db base;
	sqlite3 *h;
	bool mapped;          /* mmap_size is MAP_BYTES (else 0): db_map_reads */
	bool alone;           /* db_bulk_alone: a rollback journal until bulk ends */
	struct cached cache[STMT_CACHE];
	struct rows_src rows[ROWS_TABLES];
	struct log_watch watch;  /* db_log_watch's, if any */
};

struct sqlite_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
	struct cached *slot;  /* NULL if not cached */
};

/* SQLite allows one writer at a time.  Threads of this process that want
 * to write queue here, woken the moment the writer before them commits,
 * instead of polling in SQLite's busy handler (which sleeps in steps of
 * milliseconds and dominated latency under load).  Other processes on the
 * same file still meet the busy handler. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static struct sqlite_db *SDB(struct db *db) { return (struct sqlite_db *)db; }
static struct sqlite_stmt *SST(struct db_stmt *st) { return (struct sqlite_stmt *)st; }

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

/* The errno of the last failed system call on the connection's WAL (or,
 * failing that, its database file), as SQLite's unix VFS keeps it for
 * each open file; 0 if none.  sqlite3_system_errno() is no use here: it
 * reads errno when the statement ends, after the rollback's own calls. */
static int last_errno(sqlite3 *h)
{
	int e = 0;
	sqlite3_file *wal = NULL;
	if (sqlite3_file_control(h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
	    wal && wal->pMethods && wal->pMethods->xFileControl)
		wal->pMethods->xFileControl(wal, SQLITE_FCNTL_LAST_ERRNO, &e);
	if (!e)
		sqlite3_file_control(h, "main", SQLITE_FCNTL_LAST_ERRNO, &e);
	return e;
}

/* Which storage fault the connection's last error was (see db.h).  An
 * I/O error is told apart by its errno — a file system the kernel made
 * read-only after a disk error (EROFS), or no space for the WAL to grow
 * (ENOSPC) — or else by asking the file system; anything else is failing
 * storage. */
static enum db_storage sq_storage_kind(struct db *db)
{
	sqlite3 *h = SDB(db)->h;
	switch (sqlite3_errcode(h) & 0xff) {
	case SQLITE_FULL: return DB_STORAGE_FULL;
	case SQLITE_READONLY: return DB_STORAGE_READONLY;
	default: break;
	}
	int e = last_errno(h);
	if (e == ENOSPC || e == EDQUOT)
		return DB_STORAGE_FULL;
	if (e == EROFS)
		return DB_STORAGE_READONLY;
	const char *path = sqlite3_db_filename(h, "main");
	struct statvfs fs;
	if (!path || !*path || statvfs(path, &fs) != 0)
		return DB_STORAGE_FAILED;
	if (fs.f_flag & ST_RDONLY)
		return DB_STORAGE_READONLY;
	if (fs.f_bavail == 0)
		return DB_STORAGE_FULL;
	return DB_STORAGE_FAILED;
}

static int64_t sq_total_changes(struct db *db)
{
	return sqlite3_total_changes64(SDB(db)->h);
}

static int authorize(void *arg, int action, const char *a1, const char *a2,
		     const char *dbname, const char *trigger)
{
	const struct db *db = arg;
	(void)dbname; (void)trigger;
	switch (action) {
	case SQLITE_INSERT:   /* only audit.c's own, plain INSERT (db_audit_append) */
		if (a1 && strcmp(a1, "audit_log") == 0 && !db->audit_append)
			return SQLITE_DENY;
		break;
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

static const struct db_ops sqlite_ops;
static const sqlite3_module rows_module;

/* SQLite's allocation counters (sqlite3_memory_used) take one mutex for
 * the whole process on every malloc and free SQLite makes — several for
 * each statement a request runs, on every thread: GET /api/v1/me, 2 pool
 * threads, ~7 % more requests a second without them (bench/README.md).
 * Hearth reads none of them, so they are off, unless
 * HEARTH_SQLITE_MEMSTATUS=1 (the soak's heap samples read them). */
static void sqlite_setup(void)
{
	const char *keep = getenv("HEARTH_SQLITE_MEMSTATUS");
	if (!keep || strcmp(keep, "1") != 0)
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

int db_sqlite_open(const char *path, struct db **out, char **errmsg)
{
	static pthread_once_t setup = PTHREAD_ONCE_INIT;
	pthread_once(&setup, sqlite_setup);
	struct sqlite_db *db = xcalloc(1, sizeof *db);
	db->base.ops = &sqlite_ops;
	int src = sqlite3_open_v2(path, &db->h,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (src == SQLITE_OK)
		/* mmap_size: reads come from the OS page cache in place (SQLite
		 * clamps it to its 2 GiB build limit), not pread into a 2 MB
		 * per-connection cache: the ten-year dashboard's CPU -55 % warm,
		 * -40 % cold, with no heap of its own (bench/README.md).  The
		 * server turns it off where it costs more than it saves
		 * (db_map_reads). */
		src = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
			" PRAGMA synchronous=NORMAL; PRAGMA mmap_size=" MAP_BYTES ";", NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		if (errmsg) {
			char m[600];
			snprintf(m, sizeof m, "cannot open %s: %s", path,
				 db->h ? sqlite3_errmsg(db->h) : "out of memory");
			*errmsg = xstrdup(m);
		}
		int rc = map_rc(src);
		sqlite3_close(db->h);
		free(db);
		return rc;
	}
	db->mapped = true;
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_set_authorizer(db->h, authorize, &db->base);
	sqlite3_create_module_v2(db->h, "hearth_rows", &rows_module, db, NULL);
	sqlite3_extended_result_codes(db->h, 1);
	*out = &db->base;
	return HE_OK;
}

static void sq_close(struct db *base)
{
	struct sqlite_db *db = SDB(base);
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

/* A cached, idle statement for this SQL, or a free cache slot (or NULL). */
static struct cached *cache_get(struct sqlite_db *db, const char *sql)
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

static struct db_stmt *sq_prepare(struct db *base, const char *sql)
{
	struct sqlite_db *db = SDB(base);
	struct sqlite_stmt *s = xcalloc(1, sizeof *s);
	s->base.db = base;
	s->base.sql = sql;
	struct cached *c = cache_get(db, sql);
	if (c && c->sql) {
		c->in_use = 1;
		s->slot = c;
		s->st = c->st;
		return &s->base;
	}
	int src = sqlite3_prepare_v3(db->h, sql, -1, c ? SQLITE_PREPARE_PERSISTENT : 0,
				     &s->st, NULL);
	if (src != SQLITE_OK) {
		int rc = map_rc(src);
		db_stmt_fail(&s->base, rc == HE_DB_BUSY || rc == HE_DB_READONLY ? rc : HE_DB,
			     "%s", sqlite3_errmsg(db->h));
		return &s->base;
	}
	if (c) {
		c->sql = sql;
		c->np = c->hint = 0;
		c->st = s->st;
		c->in_use = 1;
		s->slot = c;
	}
	return &s->base;
}

static int param_index(struct sqlite_stmt *s, const char *name)
{
	struct cached *c = s->slot;
	/* Binds come in the same order each time: start after the last hit. */
	if (c)
		for (int j = 0, k = c->hint; j < c->np; j++, k = k + 1 < c->np ? k + 1 : 0)
			if (c->pname[k] == name && strcmp(c->ptext[k], name) == 0) {
				c->hint = k + 1 < c->np ? k + 1 : 0;
				return c->pidx[k];
			}
	int i = sqlite3_bind_parameter_index(s->st, name);
	if (i == 0) {
		db_stmt_fail(&s->base, HE_INTERNAL, "no parameter %s", name);
		return 0;
	}
	if (c && c->np < PARAM_CACHE && strlen(name) < PARAM_NAME &&
	    strcmp(sqlite3_bind_parameter_name(s->st, i), name) == 0) {
		memcpy(c->ptext[c->np], name, strlen(name) + 1);
		c->pname[c->np] = name;
		c->pidx[c->np++] = i;
	}
	return i;
}

static void bind_check(struct sqlite_stmt *s, int src)
{
	if (src != SQLITE_OK)
		db_stmt_fail(&s->base, map_rc(src), "bind: %s",
			     sqlite3_errmsg(SDB(s->base.db)->h));
}

/* Bind value (NULL: SQL NULL), copied by SQLite (SQLITE_TRANSIENT) or
 * read in place until the statement is reset (SQLITE_STATIC). */
static void bind_text(struct db_stmt *base, const char *name, const char *value,
		      sqlite3_destructor_type how)
{
	struct sqlite_stmt *s = SST(base);
	int i = param_index(s, name);
	if (i)
		bind_check(s, value ? sqlite3_bind_text(s->st, i, value, -1, how)
				    : sqlite3_bind_null(s->st, i));
}

static void sq_bind_text(struct db_stmt *base, const char *name, const char *value)
{
	bind_text(base, name, value, SQLITE_TRANSIENT);
}

static void sq_bind_text_ref(struct db_stmt *base, const char *name, const char *value)
{
	bind_text(base, name, value, SQLITE_STATIC);
}

static void sq_bind_int(struct db_stmt *base, const char *name, int64_t value)
{
	struct sqlite_stmt *s = SST(base);
	int i = param_index(s, name);
	if (i)
		bind_check(s, sqlite3_bind_int64(s->st, i, value));
}

static bool sq_next(struct db_stmt *base)
{
	struct sqlite_stmt *s = SST(base);
	if (!s->st)
		return false;
	int src = sqlite3_step(s->st);
	if (src == SQLITE_ROW)
		return true;
	if (src != SQLITE_DONE)
		db_stmt_fail(base, map_rc(src), "%s", sqlite3_errmsg(SDB(base->db)->h));
	return false;
}

static const char *sq_text(struct db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(SST(st)->st, col);
}

static int64_t sq_integer(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(SST(st)->st, col);
}

static bool sq_is_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(SST(st)->st, col) == SQLITE_NULL;
}

static int sq_column_count(struct db_stmt *st)
{
	return SST(st)->st ? sqlite3_column_count(SST(st)->st) : 0;
}

static const char *sq_column_name(struct db_stmt *st, int col)
{
	return sqlite3_column_name(SST(st)->st, col);
}

static void sq_finalize(struct db_stmt *base)
{
	struct sqlite_stmt *s = SST(base);
	if (s->slot) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->slot->in_use = 0;
	} else {
		sqlite3_finalize(s->st);
	}
	free(s);
}

static int64_t sq_changes(struct db *db)
{
	return sqlite3_changes64(SDB(db)->h);
}

/* The statements that open and close every transaction, run through the
 * statement cache instead of sqlite3_exec, which parsed them anew each
 * time (a tenth of an audit batch's BEGIN under GET /api/v1/me). */
static bool tx_sql(const struct db *base, const char *sql)
{
	return sql == base->ops->begin_sql || strcmp(sql, "COMMIT") == 0 ||
	       strcmp(sql, "ROLLBACK") == 0;
}

static int sq_exec(struct db *base, const char *sql)
{
	if (tx_sql(base, sql)) {
		struct db_stmt *st = sq_prepare(base, sql);
		if (st->rc == HE_OK)
			sq_next(st);
		int rc = st->rc;
		sq_finalize(st);
		return rc;
	}
	char *msg = NULL;
	int src = sqlite3_exec(SDB(base)->h, sql, NULL, NULL, &msg);
	if (src == SQLITE_OK)
		return HE_OK;
	int rc = db_fail(base, map_rc(src), sql, "%s", msg ? msg : sqlite3_errstr(src));
	sqlite3_free(msg);
	return rc;
}

/* ---- db_rows_set: the caller's rows as a virtual table ------------------ *
 *
 * "CREATE VIRTUAL TABLE temp.NAME USING hearth_rows(col TYPE, …)" declares
 * the columns; each scan finds the rows the connection's last db_rows_set
 * gave for NAME and reads them in place through the caller's function: a
 * set-based INSERT … SELECT from it replaces one INSERT per row into a
 * staging table and the staging table's own B-tree (bench/README.md). */

struct rows_vtab {
	sqlite3_vtab base;
	struct sqlite_db *db;
	char name[64];
};

struct rows_cursor {
	sqlite3_vtab_cursor base;
	const struct rows_src *src;
	int row;
};

static int rows_connect(sqlite3 *h, void *aux, int argc, const char *const *argv,
			sqlite3_vtab **out, char **err)
{
	char sql[4096];
	size_t len = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE x(");
	for (int i = 3; i < argc && len < sizeof sql; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s", i > 3 ? ", " : "", argv[i]);
	if (argc < 4 || len + 2 >= sizeof sql || strlen(argv[2]) >= sizeof ((struct rows_vtab *)0)->name) {
		*err = sqlite3_mprintf("hearth_rows: bad columns");
		return SQLITE_ERROR;
	}
	memcpy(sql + len, ")", 2);
	int rc = sqlite3_declare_vtab(h, sql);
	if (rc != SQLITE_OK)
		return rc;
	struct rows_vtab *v = sqlite3_malloc(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = aux;
	snprintf(v->name, sizeof v->name, "%s", argv[2]);
	*out = &v->base;
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static const struct rows_src *rows_find(struct sqlite_db *db, const char *name)
{
	for (int i = 0; i < ROWS_TABLES; i++)
		if (db->rows[i].name[0] && strcmp(db->rows[i].name, name) == 0)
			return &db->rows[i];
	return NULL;
}

static int rows_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	struct rows_vtab *v = (struct rows_vtab *)vt;
	const struct rows_src *src = rows_find(v->db, v->name);
	info->estimatedRows = src ? src->nrows : 0;
	info->estimatedCost = (double)info->estimatedRows + 1;
	return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	(void)vt;
	struct rows_cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
		       sqlite3_value **argv)
{
	(void)idx; (void)idxstr; (void)argc; (void)argv;
	struct rows_cursor *c = (struct rows_cursor *)cur;
	struct rows_vtab *v = (struct rows_vtab *)cur->pVtab;
	c->src = rows_find(v->db, v->name);
	c->row = 0;
	if (!c->src) {
		sqlite3_free(v->base.zErrMsg);
		v->base.zErrMsg = sqlite3_mprintf("%s: no rows were set on this connection", v->name);
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cur)
{
	((struct rows_cursor *)cur)->row++;
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
	struct rows_cursor *c = (struct rows_cursor *)cur;
	return c->row >= c->src->nrows;
}

static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct rows_cursor *c = (struct rows_cursor *)cur;
	struct db_value v = {0};
	if (col < 0 || col >= c->src->ncols)
		return SQLITE_OK;   /* NULL */
	c->src->fn(c->src->arg, c->row, col, &v);
	if (v.null || (c->src->types[col] == DB_COL_TEXT && !v.text))
		sqlite3_result_null(ctx);
	else if (c->src->types[col] == DB_COL_TEXT)
		sqlite3_result_text(ctx, v.text, -1, SQLITE_STATIC);  /* valid until replaced */
	else
		sqlite3_result_int64(ctx, v.i);
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid)
{
	*rowid = ((struct rows_cursor *)cur)->row + 1;
	return SQLITE_OK;
}

static const sqlite3_module rows_module = {
	.iVersion = 0,
	.xCreate = rows_connect,
	.xConnect = rows_connect,
	.xBestIndex = rows_best_index,
	.xDisconnect = rows_disconnect,
	.xDestroy = rows_disconnect,
	.xOpen = rows_open,
	.xClose = rows_close,
	.xFilter = rows_filter,
	.xNext = rows_next,
	.xEof = rows_eof,
	.xColumn = rows_column,
	.xRowid = rows_rowid,
};

static int sq_rows_set(struct db *base, const char *table, const struct db_col *cols, int ncols,
		       int nrows, db_row_fn *fn, void *arg)
{
	struct sqlite_db *db = SDB(base);
	struct rows_src *src = (struct rows_src *)rows_find(db, table);
	if (!src) {
		for (int i = 0; i < ROWS_TABLES && !src; i++)
			if (!db->rows[i].name[0])
				src = &db->rows[i];
		if (!src)
			return db_fail(base, HE_INTERNAL, NULL, "rows for %.40s: more than %d tables",
				       table, ROWS_TABLES);
		snprintf(src->name, sizeof src->name, "%s", table);
		src->ncols = ncols;
		for (int c = 0; c < ncols; c++)
			src->types[c] = cols[c].type;
	}
	bool same = src->ncols == ncols;
	for (int c = 0; same && c < ncols; c++)
		same = src->types[c] == cols[c].type;
	if (!same)
		return db_fail(base, HE_INTERNAL, NULL, "rows for %.40s: other columns than before",
			       table);
	/* Created again when it is not there: a rollback took it (its
	 * CREATE was in the transaction), or a change of temp_store
	 * (db_bulk).  Looked up in the schema first: the CREATE's parse was a
	 * third of a small batch's cost (the audit writer's rows,
	 * core/audit.c). */
	src->nrows = 0;
	if (sqlite3_table_column_metadata(db->h, "temp", table, NULL, NULL, NULL, NULL, NULL,
					  NULL) != SQLITE_OK) {
		char sql[4096];
		size_t len = (size_t)snprintf(sql, sizeof sql,
			"CREATE VIRTUAL TABLE IF NOT EXISTS temp.%s USING hearth_rows(", table);
		for (int c = 0; c < ncols && len < sizeof sql; c++)
			len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s %s", c ? ", " : "",
						cols[c].name,
						cols[c].type == DB_COL_TEXT ? "TEXT" : "INTEGER");
		if (len + 2 >= sizeof sql)
			return db_fail(base, HE_INTERNAL, NULL, "rows for %.40s: too many columns",
				       table);
		memcpy(sql + len, ")", 2);
		int rc = sq_exec(base, sql);
		if (rc != HE_OK)
			return rc;
	}
	src->nrows = nrows;
	src->fn = fn;
	src->arg = arg;
	return HE_OK;
}

static void sq_bulk(struct db *db, bool on)
{
	/* temp_store: statement journals (and the import's staging table) stay
	 * in memory; on disk they turned a million-row import into 25 GB of small
	 * writes (81 s → 25 s).  cache_size 64 MiB: enough for the B-tree pages
	 * an import touches at random (the UPN index; the importer drops the
	 * family index for big loads) up to about a million pupils — 32 MiB made
	 * a million-row load without that drop 3× slower — and 60 MB less peak
	 * RSS than 128 MiB.  foreign_keys off (a no-op inside a transaction, so
	 * set here, before it): the importer takes every reference from its own
	 * transaction (the schools it loaded, the import row it inserted, the
	 * pupils it looks up), and checking them again cost ~15 % of a
	 * million-row import.  mmap_size 0: pages are read into that cache
	 * instead of mapped, so the load's RSS is its own memory (a mapped
	 * re-import of a million pupils showed ~450 MB, most of it the file). */
	sqlite3_exec(SDB(db)->h, on ? "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
				      " PRAGMA foreign_keys = OFF; PRAGMA mmap_size = 0"
				    : "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;"
				      " PRAGMA foreign_keys = ON",
		     NULL, NULL, NULL);
	if (!on && SDB(db)->mapped)
		sqlite3_exec(SDB(db)->h, "PRAGMA mmap_size=" MAP_BYTES, NULL, NULL, NULL);
	if (!on && SDB(db)->alone) {
		/* Back to the WAL.  Should another process hold the database just
		 * now, the switch fails and Hearth's next open makes it. */
		sqlite3_exec(SDB(db)->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
			     NULL, NULL, NULL);
		SDB(db)->alone = false;
	}
}

static int journal_mode_row(void *arg, int n, char **v, char **names)
{
	(void)names;
	if (n == 1 && v[0])
		snprintf(arg, 16, "%s", v[0]);
	return 0;
}

/* Leaving WAL mode needs the database to itself: with another connection
 * open SQLite refuses at once (no busy wait) and the WAL stays. */
static bool sq_bulk_alone(struct db *base)
{
	struct sqlite_db *db = SDB(base);
	char mode[16] = "";
	sqlite3_busy_timeout(db->h, 0);
	int src = sqlite3_exec(db->h, "PRAGMA journal_mode=DELETE", journal_mode_row, mode, NULL);
	sqlite3_busy_timeout(db->h, 5000);
	db->alone = src == SQLITE_OK && strcmp(mode, "delete") == 0;
	if (db->alone)
		sqlite3_exec(db->h, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	return db->alone;
}

/* The new mmap_size holds from the next statement: the old mapping is
 * dropped, a new one (if any) built as pages are read. */
/* db_log_watch: a WAL hook replaces the connection's automatic
 * checkpoints (sqlite3_wal_autocheckpoint is itself such a hook). */
static int log_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	(void)h; (void)name;
	const struct log_watch *w = arg;
	if (pages >= DB_LOG_PAGES)
		w->fn(w->arg, pages);
	return SQLITE_OK;
}

static bool sq_log_watch(struct db *base, db_log_fn *fn, void *arg)
{
	struct sqlite_db *db = SDB(base);
	db->watch = (struct log_watch){fn, arg};
	if (fn)
		sqlite3_wal_hook(db->h, log_hook, &db->watch);
	else
		sqlite3_wal_autocheckpoint(db->h, DB_LOG_PAGES);
	return true;
}

/* The busy handler of a restarting checkpoint: readers of an older
 * snapshot are let finish for up to about a millisecond (they are short),
 * not the connection's 5 s in steps of milliseconds. */
static int restart_busy(void *arg, int tries)
{
	(void)arg;
	if (tries >= 50)
		return 0;
	struct timespec ts = {0, 20 * 1000};
	nanosleep(&ts, NULL);
	return 1;
}

static int sq_checkpoint(struct db *base, bool restart, bool *whole)
{
	sqlite3 *h = SDB(base)->h;
	int log = 0, copied = 0;
	if (restart)
		sqlite3_busy_handler(h, restart_busy, NULL);
	int src = sqlite3_wal_checkpoint_v2(h, NULL, restart ? SQLITE_CHECKPOINT_RESTART
							     : SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
	if (restart)
		sqlite3_busy_timeout(h, 5000);
	*whole = src == SQLITE_OK && copied == log;
	/* BUSY: another checkpoint under way, or readers that stayed */
	if (src == SQLITE_OK || src == SQLITE_BUSY)
		return HE_OK;
	return db_fail(base, map_rc(src), NULL, "checkpoint: %s", sqlite3_errmsg(h));
}

static void sq_map_reads(struct db *base, bool on)
{
	struct sqlite_db *db = SDB(base);
	if (db->mapped == on)
		return;
	if (sqlite3_exec(db->h, on ? "PRAGMA mmap_size=" MAP_BYTES : "PRAGMA mmap_size=0",
			 NULL, NULL, NULL) == SQLITE_OK)
		db->mapped = on;
}

static void sq_tx_enter(struct db *db)
{
	(void)db;
	pthread_mutex_lock(&write_lock);
}

static void sq_tx_leave(struct db *db)
{
	(void)db;
	pthread_mutex_unlock(&write_lock);
}

/* Copy every page of src's main database into dst's in one backup step:
 * the step holds one read transaction on src, so the copy is one
 * consistent snapshot, and in WAL mode writers carry on meanwhile. */
static int copy_pages(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b)
		return sqlite3_errcode(dst);
	int src_rc;
	while ((src_rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || src_rc == SQLITE_LOCKED)
		sqlite3_sleep(20);
	int fin = sqlite3_backup_finish(b);
	return src_rc == SQLITE_DONE ? fin : src_rc;
}

static int sq_backup(struct db *base, const char *path)
{
	struct sqlite_db *db = SDB(base);
	sqlite3 *dst = NULL;
	if (access(path, F_OK) == 0)
		return db_fail(base, HE_CONFLICT, NULL, "%s already exists: a backup never overwrites", path);
	int src = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (src == SQLITE_OK)
		src = copy_pages(dst, db->h);
	if (src != SQLITE_OK) {
		int rc = db_fail(base, map_rc(src), NULL, "backup to %s: %s", path,
				 dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		unlink(path);
		return rc;
	}
	/* The copy is a plain rollback-journal file: one file to keep. */
	src = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(dst);
	return src == SQLITE_OK ? HE_OK : db_fail(base, map_rc(src), NULL, "backup to %s: cannot finish", path);
}

int db_sqlite_restore(const char *path, const char *from, bool replace, char **errmsg)
{
	sqlite3 *dst = NULL, *src = NULL;
	sqlite3_stmt *st = NULL;
	char m[700] = "";
	int tables = 0;
	int s = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL);
	if (s != SQLITE_OK) {
		snprintf(m, sizeof m, "cannot open the backup %s: %s", from, src ? sqlite3_errmsg(src) : "out of memory");
		goto done;
	}
	s = sqlite3_exec(src, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (s != SQLITE_OK) {
		snprintf(m, sizeof m, "%s is not a Hearth SQLite backup: %s", from, sqlite3_errmsg(src));
		goto done;
	}
	s = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (s == SQLITE_OK)
		sqlite3_busy_timeout(dst, 5000);
	if (s == SQLITE_OK)
		s = sqlite3_prepare_v2(dst, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1, &st, NULL);
	tables = s == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (s != SQLITE_OK) {
		snprintf(m, sizeof m, "cannot open %s: %s", path, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto done;
	}
	if (tables > 0 && !replace) {
		snprintf(m, sizeof m, "%s already holds %d tables: restore into an empty database, or give"
			 " --replace to overwrite it (stop the server first)", path, tables);
		s = SQLITE_ERROR;
		goto done;
	}
	s = copy_pages(dst, src);
	if (s != SQLITE_OK)
		snprintf(m, sizeof m, "restore into %s: %s", path, sqlite3_errmsg(dst));
	else
		s = sqlite3_exec(dst, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
done:
	sqlite3_close(src);
	sqlite3_close(dst);
	if (s == SQLITE_OK)
		return HE_OK;
	if (errmsg)
		*errmsg = xstrdup(m[0] ? m : "restore failed");
	return tables > 0 && !replace ? HE_CONFLICT : HE_INTERNAL;
}

static const struct db_ops sqlite_ops = {
	.name = "sqlite",
	.backup = sq_backup,
	.begin_sql = "BEGIN IMMEDIATE",
	.close = sq_close,
	.prepare = sq_prepare,
	.bind_text = sq_bind_text,
	.bind_text_ref = sq_bind_text_ref,
	.bind_int = sq_bind_int,
	.next = sq_next,
	.text = sq_text,
	.integer = sq_integer,
	.is_null = sq_is_null,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.finalize = sq_finalize,
	.changes = sq_changes,
	.exec = sq_exec,
	.bulk = sq_bulk,
	.bulk_alone = sq_bulk_alone,
	.map_reads = sq_map_reads,
	.log_watch = sq_log_watch,
	.checkpoint = sq_checkpoint,
	.tx_enter = sq_tx_enter,
	.tx_leave = sq_tx_leave,
	.storage_kind = sq_storage_kind,
	.total_changes = sq_total_changes,
	.rows_set = sq_rows_set,
	/* newest first: restored from the last listed, so they are created
	 * again in their first order (SQLite fires a table's triggers in an
	 * order that follows it) */
	.trigger_sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
		" AND tbl_name = :table ORDER BY rowid DESC",
	.drop_trigger = "DROP TRIGGER %s",
	/* origin 'c': made by CREATE INDEX (not a PRIMARY KEY or UNIQUE clause) */
	.index_sql = "SELECT m.name, m.sql FROM pragma_index_list(:table) l JOIN sqlite_master m"
		" ON m.type = 'index' AND m.name = l.name WHERE l.origin = 'c' AND l.\"unique\" = 0"
		" ORDER BY m.name",
};
