/* db_pg.c — the PostgreSQL backend of db.h (libpq).
 *
 * For partnerships that outgrow one machine: several `hearth serve`
 * processes share one PostgreSQL.  Call sites write SQLite-style named
 * parameters (":urn"); each statement's SQL is translated once to
 * PostgreSQL's positional form ("$1"), prepared once per connection
 * (keyed, like the SQLite cache, by the SQL literal's address), and run
 * with text parameters.  A connection that has dropped (the server
 * restarted) is re-established before the next statement, and the
 * prepared-statement cache is forgotten with it. */
#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "store/db_impl.h"

#define PG_CACHE 256
#define PG_MAX_PARAMS 64   /* a whole census row fits (import staging) */

/* A statement translated (and, if cached, prepared on this connection). */
struct pg_plan {
	const char *sql;          /* the caller's pointer: the cache key */
	char *orig;               /* our copy of its text, to check the key */
	char *text;               /* translated SQL with $n */
	char name[16];            /* prepared statement name; "" if not prepared */
	int nparams;
	char *params[PG_MAX_PARAMS];  /* parameter names without the colon */
};

struct pg_db {
	struct db base;
	PGconn *conn;
	char *url;                /* for pg_dump */
	int64_t changes;
	int64_t total_changes;    /* rows changed since the connection opened */
	char state[6];            /* SQLSTATE of the last failure */
	int nplans;
	bool custom_plans;        /* plan_cache_mode is force_custom_plan: db_map_reads */
	unsigned serial;          /* for prepared statement names */
	struct pg_plan plans[PG_CACHE];
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_plan *plan;     /* in the cache, or own (uncached) */
	struct pg_plan own;
	char *values[PG_MAX_PARAMS];
	PGresult *res;
	int row, nrows, executed;
};

static struct pg_db *PDB(struct db *db) { return (struct pg_db *)db; }
static struct pg_stmt *PST(struct db_stmt *st) { return (struct pg_stmt *)st; }

static const struct db_ops pg_ops;

/* Error code for a failed result, from its SQLSTATE (kept on db for
 * pg_storage_kind).  Storage faults — 53xxx insufficient resources (53100
 * disk_full), 25006 read_only_sql_transaction (a read-only server or
 * default_transaction_read_only), 58030 io_error — are HE_DB_READONLY. */
static int map_state(struct pg_db *db, const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(db->state, sizeof db->state, "%s", s ? s : "");
	if (!s || PQstatus(db->conn) != CONNECTION_OK)
		return HE_DB_BUSY;  /* connection lost: worth a retry */
	if (strncmp(s, "23", 2) == 0)
		return HE_DB_CONSTRAINT;
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03") ||
	    !strncmp(s, "08", 2) || !strncmp(s, "57P", 3))
		return HE_DB_BUSY;
	if (!strcmp(s, "25006") || !strncmp(s, "53", 2) || !strcmp(s, "58030"))
		return HE_DB_READONLY;
	return HE_DB;
}

static enum db_storage pg_storage_kind(struct db *base)
{
	const char *s = PDB(base)->state;
	if (!strcmp(s, "53100"))
		return DB_STORAGE_FULL;
	if (!strcmp(s, "25006"))
		return DB_STORAGE_READONLY;
	return DB_STORAGE_FAILED;
}

static int64_t pg_total_changes(struct db *base)
{
	return PDB(base)->total_changes;
}

/* The one-line primary message of a failed result (libpq's full message
 * has "ERROR:", the statement and a caret line). */
static const char *pg_message(const PGresult *res)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	return m ? m : "the database connection failed";
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg; (void)message;
}

/* The session's settings, on a new connection and after a reconnect.  Our
 * statements are short, or aggregates over indexed ranges: JIT compilation
 * cost each report query 1–1.5 s (measured on 285,000 cases) and never
 * paid back. */
static void session_setup(PGconn *conn)
{
	PQclear(PQexec(conn, "SET jit = off"));
}

int db_pg_open(const char *url, struct db **out, char **errmsg)
{
	PGconn *conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK) {
		if (errmsg) {
			struct buf b;
			buf_init(&b, 1024);
			buf_printf(&b, "cannot connect to PostgreSQL: %s", PQerrorMessage(conn));
			while (b.len && (b.data[b.len - 1] == '\n'))
				b.data[--b.len] = '\0';
			*errmsg = buf_take(&b);
		}
		PQfinish(conn);
		return HE_UNAVAILABLE;
	}
	PQsetNoticeProcessor(conn, quiet_notices, NULL);
	session_setup(conn);
	struct pg_db *db = xcalloc(1, sizeof *db);
	db->base.ops = &pg_ops;
	db->conn = conn;
	db->url = xstrdup(url);
	*out = &db->base;
	return HE_OK;
}

/* A connection serving report routes plans each execution for its own
 * parameters.  After five executions of a prepared statement PostgreSQL
 * may switch to its generic plan, made without the parameters' values:
 * for the reach section's query (dates that pick a year out of the
 * snapshots) that plan took 7-30 s where the custom one takes ~50 ms, so a
 * dashboard request that landed on a connection which had run it five
 * times stalled (bench/README.md, "the two-at-once outliers").  Every other
 * route's statements are short and keep the generic plans that save
 * their planning. */
static void pg_map_reads(struct db *base, bool on)
{
	struct pg_db *db = PDB(base);
	if (db->custom_plans == on)
		return;
	PGresult *res = PQexec(db->conn, on ? "SET plan_cache_mode = force_custom_plan"
					    : "SET plan_cache_mode = auto");
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		db->custom_plans = on;
	PQclear(res);
}

static void plan_free(struct pg_plan *p)
{
	free(p->orig);
	free(p->text);
	for (int i = 0; i < p->nparams; i++)
		free(p->params[i]);
	memset(p, 0, sizeof *p);
}

static void forget_plans(struct pg_db *db)
{
	for (int i = 0; i < db->nplans; i++)
		plan_free(&db->plans[i]);
	db->nplans = 0;
}

static void pg_close(struct db *base)
{
	struct pg_db *db = PDB(base);
	forget_plans(db);
	PQfinish(db->conn);
	free(db->url);
	free(db);
}

/* An idle session has nothing to read unless the server sent something
 * unasked — almost always the notice that it is ending the session (then
 * EOF).  Read it now, so a closed session shows before a statement is
 * sent rather than as that statement's failure. */
static void pg_drain_idle(PGconn *c)
{
	struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
	while (PQstatus(c) == CONNECTION_OK && p.fd >= 0 && poll(&p, 1, 0) > 0) {
		if (!PQconsumeInput(c))
			break;
		PGnotify *n;
		while ((n = PQnotifies(c)))
			PQfreemem(n);
	}
}

/* Re-establish a dropped connection; false if the server is still away.
 * A transaction that was open when the connection dropped is lost: every
 * statement (COMMIT included) fails until the caller rolls back, so a lost
 * write is never reported as committed. */
static bool pg_alive(struct pg_db *db)
{
	if (!db->base.tx_file)
		pg_drain_idle(db->conn);
	if (PQstatus(db->conn) == CONNECTION_OK)
		return true;
	if (db->base.tx_file)
		return false;
	PQreset(db->conn);
	forget_plans(db);
	db->custom_plans = false;   /* a new session: plan_cache_mode is auto again */
	if (PQstatus(db->conn) != CONNECTION_OK)
		return false;
	session_setup(db->conn);
	return true;
}

static int param_number(struct pg_plan *p, const char *name, size_t n)
{
	for (int i = 0; i < p->nparams; i++)
		if (strlen(p->params[i]) == n && memcmp(p->params[i], name, n) == 0)
			return i + 1;
	if (p->nparams == PG_MAX_PARAMS)
		return -1;
	p->params[p->nparams] = xstrndup(name, n);
	return ++p->nparams;
}

/* Translate ":name" to "$n", leaving quoted text, comments and "::" casts
 * alone.  Returns HE_OK or HE_INTERNAL (too many parameters). */
static int translate(const char *sql, struct pg_plan *p)
{
	struct buf b;
	buf_init(&b, 0);
	for (const char *s = sql; *s; s++) {
		if (*s == '\'' || *s == '"') {
			const char *end = strchr(s + 1, *s);
			size_t n = end ? (size_t)(end - s) + 1 : strlen(s);
			buf_append(&b, s, n);
			s += n - 1;
		} else if (s[0] == '-' && s[1] == '-') {
			const char *end = strchr(s, '\n');
			size_t n = end ? (size_t)(end - s) : strlen(s);
			buf_append(&b, s, n);
			s += n - 1;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");
			size_t n = end ? (size_t)(end - s) + 2 : strlen(s);
			buf_append(&b, s, n);
			s += n - 1;
		} else if (s[0] == ':' && s[1] == ':') {
			buf_append(&b, s, 2);
			s++;
		} else if (s[0] == ':' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
			size_t n = 1;
			while (isalnum((unsigned char)s[1 + n]) || s[1 + n] == '_')
				n++;
			int k = param_number(p, s + 1, n);
			if (k < 0) {
				buf_free(&b);
				return HE_INTERNAL;
			}
			buf_printf(&b, "$%d", k);
			s += n;
		} else {
			buf_putc(&b, *s);
		}
	}
	p->text = buf_take(&b);
	return HE_OK;
}

static struct pg_plan *plan_find(struct pg_db *db, const char *sql)
{
	for (int i = 0; i < db->nplans; i++)
		if (db->plans[i].sql == sql && strcmp(db->plans[i].orig, sql) == 0)
			return &db->plans[i];
	return NULL;
}

/* Translate and prepare sql on this connection, caching the plan. */
static struct pg_plan *plan_make(struct pg_stmt *s, const char *sql)
{
	struct pg_db *db = PDB(s->base.db);
	struct pg_plan *p = db->nplans < PG_CACHE ? &db->plans[db->nplans] : &s->own;
	memset(p, 0, sizeof *p);
	p->sql = sql;
	p->orig = xstrdup(sql);
	if (translate(sql, p)) {
		db_stmt_fail(&s->base, HE_INTERNAL, "more than %d parameters", PG_MAX_PARAMS);
		plan_free(p);
		return NULL;
	}
	if (p == &s->own)
		return p;  /* cache full: run unprepared */
	snprintf(p->name, sizeof p->name, "h%u", ++db->serial);
	PGresult *res = PQprepare(db->conn, p->name, p->text, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_stmt_fail(&s->base, map_state(db, res), "%s",
			     pg_message(res));
		PQclear(res);
		plan_free(p);
		return NULL;
	}
	PQclear(res);
	db->nplans++;
	return p;
}

static struct db_stmt *pg_prepare(struct db *base, const char *sql)
{
	struct pg_db *db = PDB(base);
	struct pg_stmt *s = xcalloc(1, sizeof *s);
	s->base.db = base;
	s->base.sql = sql;
	if (!pg_alive(db)) {
		db_stmt_fail(&s->base, HE_DB_BUSY, "PostgreSQL is unreachable: %s",
			     PQerrorMessage(db->conn));
		return &s->base;
	}
	s->plan = plan_find(db, sql);
	if (!s->plan)
		s->plan = plan_make(s, sql);
	return &s->base;
}

static void pg_bind_text(struct db_stmt *base, const char *name, const char *value)
{
	struct pg_stmt *s = PST(base);
	const char *bare = name + 1;
	for (int i = 0; name[0] == ':' && i < s->plan->nparams; i++)
		if (strcmp(s->plan->params[i], bare) == 0) {
			free(s->values[i]);
			s->values[i] = value ? xstrdup(value) : NULL;
			return;
		}
	db_stmt_fail(base, HE_INTERNAL, "no parameter %s", name);
}

static void pg_bind_int(struct db_stmt *base, const char *name, int64_t value)
{
	char v[24];
	snprintf(v, sizeof v, "%lld", (long long)value);
	pg_bind_text(base, name, v);
}

static void note_changes(struct pg_db *db, PGresult *res)
{
	const char *tag = PQcmdStatus(res), *n = PQcmdTuples(res);
	if (strncmp(tag, "INSERT ", 7) && strncmp(tag, "UPDATE ", 7) &&
	    strncmp(tag, "DELETE ", 7) && strncmp(tag, "MERGE ", 6))
		return;
	if (n && *n) {
		db->changes = strtoll(n, NULL, 10);
		db->total_changes += db->changes;
	}
}

static bool pg_execute(struct pg_stmt *s)
{
	struct pg_db *db = PDB(s->base.db);
	struct pg_plan *p = s->plan;
	const char *const *vals = (const char *const *)s->values;
	s->executed = 1;
	s->res = p->name[0]
		? PQexecPrepared(db->conn, p->name, p->nparams, vals, NULL, NULL, 0)
		: PQexecParams(db->conn, p->text, p->nparams, NULL, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(s->res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		db_stmt_fail(&s->base, map_state(db, s->res), "%s",
			     pg_message(s->res));
		return false;
	}
	note_changes(db, s->res);
	s->nrows = st == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	return true;
}

static bool pg_next(struct db_stmt *base)
{
	struct pg_stmt *s = PST(base);
	if (!s->plan)
		return false;
	if (!s->executed && !pg_execute(s))
		return false;
	if (s->row >= s->nrows)
		return false;
	s->row++;
	return true;
}

static const char *pg_text(struct db_stmt *st, int col)
{
	struct pg_stmt *s = PST(st);
	if (!s->res || s->row < 1 || PQgetisnull(s->res, s->row - 1, col))
		return NULL;
	return PQgetvalue(s->res, s->row - 1, col);
}

static int64_t pg_integer(struct db_stmt *st, int col)
{
	const char *v = pg_text(st, col);
	if (!v)
		return 0;
	if (v[0] == 't' && v[1] == '\0')  /* booleans */
		return 1;
	return strtoll(v, NULL, 10);
}

static bool pg_is_null(struct db_stmt *st, int col)
{
	return pg_text(st, col) == NULL;
}

static int pg_column_count(struct db_stmt *st)
{
	struct pg_stmt *s = PST(st);
	if (!s->executed)
		pg_execute(s);
	return s->res ? PQnfields(s->res) : 0;
}

static const char *pg_column_name(struct db_stmt *st, int col)
{
	struct pg_stmt *s = PST(st);
	return s->res ? PQfname(s->res, col) : NULL;
}

static void pg_finalize(struct db_stmt *base)
{
	struct pg_stmt *s = PST(base);
	PQclear(s->res);
	for (int i = 0; i < PG_MAX_PARAMS; i++)
		free(s->values[i]);
	if (s->plan == &s->own)
		plan_free(&s->own);
	free(s);
}

static int64_t pg_changes(struct db *db)
{
	return PDB(db)->changes;
}

static int pg_exec(struct db *base, const char *sql)
{
	struct pg_db *db = PDB(base);
	if (!pg_alive(db))
		return db_fail(base, HE_DB_BUSY, NULL, "PostgreSQL is unreachable: %s",
			       PQerrorMessage(db->conn));
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = HE_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		rc = db_fail(base, map_state(db, res), sql, "%s", pg_message(res));
	else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
		rc = db_fail(base, HE_DB, sql, "the transaction was rolled back:"
			     " a statement in it had failed");
	else
		note_changes(db, res);
	PQclear(res);
	return rc;
}

/* ---- db_rows_set: a temporary table filled with COPY --------------------- */

/* A text value in COPY's text format: backslash, tab and line ends escaped. */
static void copy_text(struct buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
				: *s == '\r' ? "\\r" : NULL;
		if (esc) {
			buf_append(b, run, (size_t)(s - run));
			buf_append(b, esc, 2);
			run = s + 1;
		}
	}
	buf_append(b, run, (size_t)(s - run));
}

/* Names were checked by db.c: lower-case letters, digits and '_' only. */
static int pg_rows_set(struct db *base, const char *table, const struct db_col *cols, int ncols,
		       int nrows, db_row_fn *fn, void *arg)
{
	struct pg_db *db = PDB(base);
	char sql[4096], list[3072];
	size_t len = 0;
	for (int c = 0; c < ncols && len < sizeof list; c++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", c ? ", " : "", cols[c].name);
	if (len >= sizeof list)
		return db_fail(base, HE_INTERNAL, NULL, "rows for %.40s: too many columns", table);
	len = (size_t)snprintf(sql, sizeof sql, "CREATE TEMP TABLE IF NOT EXISTS %s (", table);
	for (int c = 0; c < ncols && len < sizeof sql; c++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s %s", c ? ", " : "",
					cols[c].name, cols[c].type == DB_COL_TEXT ? "TEXT" : "BIGINT");
	if (len < sizeof sql)
		len += (size_t)snprintf(sql + len, sizeof sql - len, "); DELETE FROM %s", table);
	if (len >= sizeof sql)
		return db_fail(base, HE_INTERNAL, NULL, "rows for %.40s: too many columns", table);
	int rc = pg_exec(base, sql);
	if (rc != HE_OK || nrows == 0)
		return rc;
	snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", table, list);
	PGresult *res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = db_fail(base, map_state(db, res), sql, "%s", pg_message(res));
		PQclear(res);
		return rc;
	}
	PQclear(res);
	struct buf b;
	buf_init(&b, 0);   /* sent and emptied every 64 KiB */
	bool ok = true;
	for (int r = 0; ok && r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			struct db_value v = {0};
			fn(arg, r, c, &v);
			if (c)
				buf_putc(&b, '\t');
			if (v.null || (cols[c].type == DB_COL_TEXT && !v.text)) {
				buf_append(&b, "\\N", 2);
			} else if (cols[c].type == DB_COL_TEXT) {
				copy_text(&b, v.text);
			} else {
				char num[24];
				buf_append(&b, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v.i));
			}
		}
		buf_putc(&b, '\n');
		if (b.len >= 65536 || r == nrows - 1) {
			ok = !buf_err(&b) && PQputCopyData(db->conn, b.data, (int)b.len) == 1;
			buf_reset(&b);
		}
	}
	buf_free(&b);
	if (PQputCopyEnd(db->conn, ok ? NULL : "the rows could not be sent") != 1)
		ok = false;
	while ((res = PQgetResult(db->conn))) {
		if (rc == HE_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = db_fail(base, map_state(db, res), sql, "%s", pg_message(res));
		PQclear(res);
	}
	if (rc == HE_OK && !ok)
		rc = db_fail(base, HE_DB_BUSY, sql, "%s", PQerrorMessage(db->conn));
	return rc;
}

/* The table name was checked by db.c: lower-case letters and '_' only. */
static int pg_reset_ids(struct db *base, const char *table)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
		 " coalesce((SELECT max(id) FROM %s), 0) + 1, false)", table, table);
	return pg_exec(base, sql);
}

/* pg_dump in its custom format: one snapshot, taken while others write. */
static int pg_backup(struct db *base, const char *path)
{
	struct pg_db *db = PDB(base);
	char *msg = NULL;
	if (access(path, F_OK) == 0)
		return db_fail(base, HE_CONFLICT, NULL, "%s already exists: a backup never overwrites", path);
	char *argv[] = {"pg_dump", "--format=custom", "--no-owner", "--file", (char *)path,
			"--dbname", db->url, NULL};
	int rc = db_run_tool(argv, &msg);
	if (rc) {
		rc = db_fail(base, rc, NULL, "%s", msg);
		unlink(path);
	}
	free(msg);
	return rc;
}

int db_pg_restore(const char *url, const char *from, bool replace, char **errmsg)
{
	struct db *db = NULL;
	int rc = db_pg_open(url, &db, errmsg);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
	int64_t tables = db_next(st) ? db_int(st, 0) : 0;
	rc = db_finalize(st);
	if (!rc && tables > 0 && !replace) {
		rc = HE_CONFLICT;
		if (errmsg) {
			char m[300];
			snprintf(m, sizeof m, "the database already holds %lld tables: restore into an empty"
				 " database, or give --replace to overwrite it (stop the servers first)",
				 (long long)tables);
			*errmsg = xstrdup(m);
		}
	}
	if (!rc && tables > 0)   /* --replace: the schema goes wholesale, audit trigger and all */
		rc = db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	if (rc && errmsg && !*errmsg)
		*errmsg = xstrdup(db_errmsg(db));
	db_close(db);
	if (rc)
		return rc;
	char *argv[] = {"pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
			"--dbname", (char *)url, (char *)from, NULL};
	return db_run_tool(argv, errmsg);
}

static const struct db_ops pg_ops = {
	.name = "postgresql",
	.backup = pg_backup,
	.begin_sql = "BEGIN",
	.close = pg_close,
	.prepare = pg_prepare,
	.bind_text = pg_bind_text,
	.bind_int = pg_bind_int,
	.next = pg_next,
	.text = pg_text,
	.integer = pg_integer,
	.is_null = pg_is_null,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.finalize = pg_finalize,
	.changes = pg_changes,
	.exec = pg_exec,
	.index_sql = "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
		" JOIN pg_class i ON i.oid = x.indexrelid"
		" WHERE x.indrelid = to_regclass(CAST(:table AS TEXT)) AND NOT x.indisunique"
		" AND NOT x.indisprimary ORDER BY i.relname",
	.reset_ids = pg_reset_ids,
	.storage_kind = pg_storage_kind,
	.total_changes = pg_total_changes,
	.map_reads = pg_map_reads,
	.rows_set = pg_rows_set,
	.trigger_sql = "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
		" WHERE t.tgrelid = to_regclass(CAST(:table AS TEXT)) AND NOT t.tgisinternal"
		" ORDER BY t.tgname",
	.drop_trigger = "DROP TRIGGER %s ON %s",
};
