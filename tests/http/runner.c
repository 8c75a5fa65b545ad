/* runner.c — the declarative HTTP test runner (build/httptest).
 *
 *   httptest --hearth PATH --cases DIR [--db-server URL] [--filter SUBSTR] [--keep]
 *
 * Starts a real `hearth serve` on a free loopback port over a temporary
 * SQLite database (or, with --db-server postgresql://user@host:port/, a new
 * database on that PostgreSQL server) seeded by `hearth demo` — or, with
 * --db-server and HEARTH_PG_TEMPLATE=NAME in the environment, copied from
 * that already seeded database (CREATE DATABASE … TEMPLATE NAME, as
 * tests/run-all.sh makes it, seeded with the same HEARTH_DEMO_PUPILS) —, runs every
 * DIR/NAME.http case file (format: tests/http/README.md) and then the
 * route-table test, which asks `hearth routes` for every route and
 * `hearth routes --caps` for every role's capabilities and proves each
 * non-public route refuses an anonymous caller and every role without its
 * capability.  Last, `hearth audit verify` must accept the log the run
 * wrote.  Audit and sql expectations read the database directly (the
 * SQLite file, or PostgreSQL through libpq).
 *
 * Prints one line per checked step or route check and ends with exactly
 *   http: N passed, N failed
 * Exit status 1 if anything failed.  The server is killed on every exit
 * path; if it dies during a run that is a failure and it is restarted.
 *
 * Self-contained on purpose (libcurl, sqlite3, libpq, jansson, POSIX regex): the
 * harness must not share code with the program it judges. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <oath.h>
#include <sqlite3.h>

#define DEMO_PASSWORD "hearth-demo-password"
#define DEMO_DOMAIN "hearth.example"
#define SNIPPET 400

/* ---- small helpers --------------------------------------------------- */

/* HTTPTEST_SLOW=N (default 1) multiplies every time limit: the server's
 * start-up, each request, sql-eventually and the stop.  For a hearth under
 * valgrind (tests/run-valgrind.sh), which runs 20-50 times slower. */
static long slow_factor(void)
{
	static long f;
	if (!f) {
		const char *s = getenv("HTTPTEST_SLOW");
		f = s ? strtol(s, NULL, 10) : 1;
		if (f < 1)
			f = 1;
	}
	return f;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Skip leading blanks. */
static char *ltrim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Strip trailing blanks, CR and LF in place. */
static void rtrim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
}

/* Growable string; p is always NUL-terminated once anything was added. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_adds(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *tmp = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_addn(b, tmp, (size_t)n);
	free(tmp);
}

static const char *sb_str(const struct sbuf *b)
{
	return b->p ? b->p : "";
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

static void sb_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Separate the messages of several failed assertions with "; ". */
static void sb_sep(struct sbuf *b)
{
	if (b->len)
		sb_adds(b, "; ");
}

/* Growable vector of owned strings. */
struct strv {
	char **v;
	int n, cap;
};

static void sv_push(struct strv *s, char *owned)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
	}
	s->v[s->n++] = owned;
}

static void sv_clear(struct strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static void sv_free(struct strv *s)
{
	sv_clear(s);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

/* A short, one-line, printable excerpt of a response body. */
static void snippet(struct sbuf *out, const char *s, size_t n)
{
	size_t lim = n < SNIPPET ? n : SNIPPET;
	for (size_t i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			sb_adds(out, "\\n");
		else if (c < 0x20 || c == 0x7f)
			sb_addf(out, "\\x%02x", c);
		else
			sb_addn(out, (const char *)&c, 1);
	}
	if (n > lim)
		sb_addf(out, "…(%zu bytes)", n);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct sbuf b = {0};
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		sb_addn(&b, tmp, n);
	fclose(f);
	if (!b.p)
		sb_addn(&b, "", 0);
	if (len)
		*len = b.len;
	return b.p;
}

/* ---- global run state -------------------------------------------------- */

static struct {
	const char *hearth;     /* path of the hearth binary */
	char tmp[PATH_MAX / 2]; /* temporary directory */
	char db_path[PATH_MAX];
	char db_url[PATH_MAX + 8];
	char log_path[PATH_MAX];
	int port;
	char base[64];          /* http://127.0.0.1:PORT */
	int passed, failed;
	bool keep;
	const char *backend;    /* "sqlite" or "postgresql" (${backend}) */
	sqlite3 *db;            /* read-only view of the server's database */
	const char *pg_server;  /* --db-server URL, or NULL for SQLite */
	char pg_name[64];       /* the database made on pg_server */
	PGconn *pg;             /* connection to it (queries only) */
} R;

static volatile pid_t server_pid;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("httptest: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	printf("http: %d passed, %d failed\n", R.passed, R.failed + 1);
	fflush(stdout);
	exit(1);
}

static void pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pass(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ok  ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	R.passed++;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	R.failed++;
}

/* ---- processes: demo, setup commands, the server --------------------- */

/* Kill the server from any exit path; async-signal-safe. */
static void server_kill_now(void)
{
	pid_t p = server_pid;
	if (p > 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		server_pid = 0;
	}
}

static void on_signal(int sig)
{
	server_kill_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_exit_cleanup(void)
{
	server_kill_now();
}

/* Describe a wait status: "exit 3", "signal 11". */
static void status_str(int st, char *out, size_t n)
{
	if (WIFEXITED(st))
		snprintf(out, n, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, n, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(out, n, "wait status %d", st);
}

/* Run argv with stdin from /dev/null, stdout+stderr appended to logpath
 * (or captured into *out when out is not NULL).  Returns the wait status,
 * or -1 if it could not start. */
static int run_cmd(char *const argv[], const char *logpath, struct sbuf *out)
{
	int pfd[2] = {-1, -1};
	if (out && pipe(pfd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		dup2(in, 0);
		if (out) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
		} else {
			int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("HEARTH_DB", R.db_url, 1);
		execv(argv[0], argv);
		dprintf(2, "cannot exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		char tmp[4096];
		ssize_t n;
		while ((n = read(pfd[0], tmp, sizeof tmp)) > 0)
			sb_addn(out, tmp, (size_t)n);
		close(pfd[0]);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return st;
}

/* Append the last `lines` lines of the server log to out. */
static void log_tail(struct sbuf *out, int lines)
{
	size_t n;
	char *s = read_file(R.log_path, &n);
	if (!s)
		return;
	size_t i = n;
	int seen = 0;
	while (i > 0 && seen <= lines) {
		i--;
		if (s[i] == '\n' && i + 1 < n)
			seen++;
	}
	if (seen > lines)
		i++;
	sb_addf(out, "\n  --- last lines of %s ---\n", R.log_path);
	for (char *line = strtok(s + i, "\n"); line; line = strtok(NULL, "\n"))
		sb_addf(out, "  | %s\n", line);
	free(s);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("cannot find a free port: %s", strerror(errno));
	close(fd);
	return ntohs(a.sin_port);
}

/* GET /api/v1/health once; returns the HTTP status or 0. */
static long health_status(void)
{
	CURL *h = curl_easy_init();
	char url[128];
	long code = 0;
	snprintf(url, sizeof url, "%s/api/v1/health", R.base);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L * slow_factor());
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fwrite);
	FILE *devnull = fopen("/dev/null", "w");
	curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	fclose(devnull);
	curl_easy_cleanup(h);
	return code;
}

/* If the server has exited, describe how in why and return false. */
static bool server_alive(char *why, size_t n)
{
	int st;
	pid_t p = server_pid;
	if (p <= 0) {
		snprintf(why, n, "server not running");
		return false;
	}
	if (waitpid(p, &st, WNOHANG) == p) {
		server_pid = 0;
		status_str(st, why, n);
		return false;
	}
	return true;
}

/* One attempt to start the server on a fresh port; 0 when it answers. */
static int server_try_start(struct sbuf *why)
{
	R.port = free_port();
	snprintf(R.base, sizeof R.base, "http://127.0.0.1:%d", R.port);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", R.port);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int in = open("/dev/null", O_RDONLY);
		int fd = open(R.log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(R.hearth, R.hearth, "serve", "--db", R.db_url, "--listen", listen, (char *)NULL);
		dprintf(2, "cannot exec %s: %s\n", R.hearth, strerror(errno));
		_exit(127);
	}
	server_pid = pid;
	for (long i = 0; i < 200 * slow_factor(); i++) {     /* 200 × 50 ms = 10 s */
		char st[128];
		if (!server_alive(st, sizeof st)) {
			sb_addf(why, "server exited at start-up (%s)", st);
			return -1;
		}
		if (health_status() == 200)
			return 0;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	sb_addf(why, "GET /api/v1/health did not answer 200 within %ld s (last status %ld)",
		10 * slow_factor(), health_status());
	server_kill_now();
	return -1;
}

/* Start the server, trying three ports; returns 0 or -1 with why filled. */
static int server_start(struct sbuf *why)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		sb_reset(why);
		FILE *f = fopen(R.log_path, "a");
		if (f) {
			fprintf(f, "==== httptest: starting hearth serve (attempt %d)\n", attempt + 1);
			fclose(f);
		}
		if (server_try_start(why) == 0)
			return 0;
	}
	log_tail(why, 20);
	return -1;
}

/* Ask the server to stop; returns its wait status (or -1). */
static int server_stop(void)
{
	pid_t p = server_pid;
	int st = -1;
	if (p <= 0)
		return -1;
	kill(p, SIGTERM);
	for (long i = 0; i < 100 * slow_factor(); i++) {          /* up to 5 s */
		if (waitpid(p, &st, WNOHANG) == p) {
			server_pid = 0;
			return st;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	server_kill_now();
	return -2;
}

/* After a step or check: if the server died, count it, say how, restart. */
static bool server_check(const char *where)
{
	char why[128];
	if (server_alive(why, sizeof why))
		return true;
	struct sbuf msg = {0};
	log_tail(&msg, 15);
	fail("%s: the server died (%s); restarting it for the remaining cases%s", where, why, sb_str(&msg));
	sb_free(&msg);
	struct sbuf err = {0};
	if (server_start(&err) != 0)
		die("cannot restart the server: %s", sb_str(&err));
	sb_free(&err);
	return false;
}

/* ---- the database (read only) ----------------------------------------- */

/* Expectations read the server's database directly: the SQLite file, or
 * with --db-server the PostgreSQL database made for this run.  Queries are
 * written once, SQLite-style, with :name parameters; on PostgreSQL they
 * become $n and boolean columns read as 1/0 as they do on SQLite, so one
 * case file serves both backends. */

/* Variables: captured values and built-ins, looked up by name. */
struct vars {
	struct strv names, values;
};

static const char *var_get(const struct vars *v, const char *name)
{
	static char port[16];
	for (int i = v->names.n - 1; i >= 0; i--)
		if (strcmp(v->names.v[i], name) == 0)
			return v->values.v[i];
	if (strcmp(name, "base") == 0)
		return R.base;
	if (strcmp(name, "backend") == 0)
		return R.backend;
	if (strcmp(name, "port") == 0) {
		snprintf(port, sizeof port, "%d", R.port);
		return port;
	}
	return NULL;
}

static void var_unset(struct vars *v, const char *name)
{
	for (int i = 0; i < v->names.n; i++)
		if (strcmp(v->names.v[i], name) == 0) {
			free(v->names.v[i]);
			free(v->values.v[i]);
			v->names.v[i] = v->names.v[v->names.n - 1];
			v->values.v[i] = v->values.v[v->values.n - 1];
			v->names.n--;
			v->values.n--;
			i--;
		}
}

static void var_set(struct vars *v, const char *name, const char *value)
{
	var_unset(v, name);
	sv_push(&v->names, xstrdup(name));
	sv_push(&v->values, xstrdup(value));
}

static void vars_free(struct vars *v)
{
	sv_free(&v->names);
	sv_free(&v->values);
}

/* A query's result: text cells (NULL for SQL NULL), row by row. */
struct qres {
	int nrows, ncols;
	char **names;           /* column names */
	char **cells;           /* cells[row * ncols + col] */
};

static void qres_free(struct qres *q)
{
	for (int i = 0; i < q->nrows * q->ncols; i++)
		free(q->cells[i]);
	for (int i = 0; i < q->ncols; i++)
		free(q->names[i]);
	free(q->cells);
	free(q->names);
	memset(q, 0, sizeof *q);
}

static void qres_add_row(struct qres *q)
{
	q->cells = xrealloc(q->cells, (size_t)(q->nrows + 1) * (size_t)q->ncols * sizeof *q->cells);
	q->nrows++;
}

static sqlite3 *lite_get(struct sbuf *err)
{
	if (R.db)
		return R.db;
	if (sqlite3_open_v2(R.db_path, &R.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sb_sep(err);
		sb_addf(err, "cannot open %s: %s", R.db_path, sqlite3_errmsg(R.db));
		sqlite3_close(R.db);
		R.db = NULL;
		return NULL;
	}
	sqlite3_busy_timeout(R.db, 5000);
	sqlite3_exec(R.db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	return R.db;
}

/* Prepare sql and bind each :name parameter from the variables.
 * Returns NULL with err filled on any problem. */
static sqlite3_stmt *lite_prepare(const char *sql, const struct vars *v, struct sbuf *err)
{
	sqlite3 *db = lite_get(err);
	sqlite3_stmt *st = NULL;
	if (!db)
		return NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sb_sep(err);
		sb_addf(err, "SQL error in \"%s\": %s", sql, sqlite3_errmsg(db));
		return NULL;
	}
	for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
		const char *pn = sqlite3_bind_parameter_name(st, i);
		const char *val = pn ? var_get(v, pn + 1) : NULL;
		if (!val) {
			sb_sep(err);
			sb_addf(err, "SQL parameter %s has no variable", pn ? pn : "?");
			sqlite3_finalize(st);
			return NULL;
		}
		sqlite3_bind_text(st, i, val, -1, SQLITE_TRANSIENT);
	}
	return st;
}

static int lite_query(const char *sql, const struct vars *v, struct qres *q, struct sbuf *err)
{
	sqlite3_stmt *st = lite_prepare(sql, v, err);
	if (!st)
		return -1;
	q->ncols = sqlite3_column_count(st);
	q->names = xmalloc((size_t)q->ncols * sizeof *q->names);
	for (int c = 0; c < q->ncols; c++)
		q->names[c] = xstrdup(sqlite3_column_name(st, c));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		qres_add_row(q);
		for (int c = 0; c < q->ncols; c++) {
			const unsigned char *t = sqlite3_column_text(st, c);
			q->cells[(q->nrows - 1) * q->ncols + c] = t ? xstrdup((const char *)t) : NULL;
		}
	}
	if (rc != SQLITE_DONE) {
		sb_sep(err);
		sb_addf(err, "SQL error in \"%s\": %s", sql, sqlite3_errmsg(R.db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Length of a libpq message without its trailing newline(s). */
static int msg_len(const char *m)
{
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	return (int)n;
}

/* The PostgreSQL connection, (re)made on demand; its transactions are
 * read only, as PRAGMA query_only makes the SQLite one. */
static PGconn *pg_get(struct sbuf *err)
{
	if (R.pg && PQstatus(R.pg) == CONNECTION_OK)
		return R.pg;
	if (R.pg)
		PQfinish(R.pg);
	R.pg = PQconnectdb(R.db_url);
	if (PQstatus(R.pg) != CONNECTION_OK) {
		sb_sep(err);
		sb_addf(err, "cannot connect to %s: %.*s", R.db_url, msg_len(PQerrorMessage(R.pg)),
			PQerrorMessage(R.pg));
		PQfinish(R.pg);
		R.pg = NULL;
		return NULL;
	}
	PQclear(PQexec(R.pg, "SET default_transaction_read_only = on"));
	return R.pg;
}

/* Copy sql with each :name parameter rewritten as $N (a name used twice
 * gets the same N), leaving quoted text, quoted identifiers and ::casts
 * alone.  The names, in $N order, are pushed to names. */
static char *pg_translate(const char *sql, struct strv *names)
{
	struct sbuf out = {0};
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			const char *e = strchr(p + 1, *p);
			e = e ? e + 1 : p + strlen(p);
			sb_addn(&out, p, (size_t)(e - p));
			p = e;
		} else if (p[0] == ':' && p[1] == ':') {
			sb_adds(&out, "::");
			p += 2;
		} else if (p[0] == ':' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *e = p + 1;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
			char *name = xstrndup(p + 1, (size_t)(e - p - 1));
			int k = 0;
			while (k < names->n && strcmp(names->v[k], name) != 0)
				k++;
			if (k == names->n)
				sv_push(names, name);
			else
				free(name);
			sb_addf(&out, "$%d", k + 1);
			p = e;
		} else {
			sb_addn(&out, p++, 1);
		}
	}
	return out.p ? out.p : xstrdup("");
}

static void pg_take(PGresult *res, struct qres *q)
{
	q->ncols = PQnfields(res);
	q->names = xmalloc((size_t)q->ncols * sizeof *q->names);
	for (int c = 0; c < q->ncols; c++)
		q->names[c] = xstrdup(PQfname(res, c));
	for (int r = 0; r < PQntuples(res); r++) {
		qres_add_row(q);
		for (int c = 0; c < q->ncols; c++) {
			const char *t = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
			if (t && PQftype(res, c) == 16)         /* bool: 1/0 as SQLite */
				t = strcmp(t, "t") == 0 ? "1" : "0";
			q->cells[r * q->ncols + c] = t ? xstrdup(t) : NULL;
		}
	}
}

static int pg_query(const char *sql, const struct vars *v, struct qres *q, struct sbuf *err)
{
	PGconn *conn = pg_get(err);
	if (!conn)
		return -1;
	struct strv names = {0};
	char *text = pg_translate(sql, &names);
	const char **vals = xmalloc((size_t)(names.n + 1) * sizeof *vals);
	int rc = -1;
	for (int i = 0; i < names.n; i++) {
		vals[i] = var_get(v, names.v[i]);
		if (!vals[i]) {
			sb_sep(err);
			sb_addf(err, "SQL parameter :%s has no variable", names.v[i]);
			goto out;
		}
	}
	PGresult *res = PQexecParams(conn, text, names.n, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) {
		pg_take(res, q);
		rc = 0;
	} else {
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		sb_sep(err);
		sb_addf(err, "SQL error in \"%s\": %s", sql, msg ? msg : PQerrorMessage(conn));
	}
	PQclear(res);
out:
	free(vals);
	free(text);
	sv_free(&names);
	return rc;
}

/* Run sql (with :name parameters bound from v) on the test database;
 * 0, or -1 with err filled.  The caller frees q with qres_free. */
static int db_query(const char *sql, const struct vars *v, struct qres *q, struct sbuf *err)
{
	memset(q, 0, sizeof *q);
	return R.pg_server ? pg_query(sql, v, q, err) : lite_query(sql, v, q, err);
}

/* Run one writing statement (a step's sql-do: line) on the test database,
 * lifting for it alone the read-only guard the checks run under; 0, or -1
 * with err filled. */
static int db_write(const char *sql, const struct vars *v, struct sbuf *err)
{
	struct qres q;
	int rc;
	if (R.pg_server) {
		PGconn *conn = pg_get(err);
		if (!conn)
			return -1;
		PQclear(PQexec(conn, "BEGIN READ WRITE"));
		rc = db_query(sql, v, &q, err);
		PQclear(PQexec(conn, rc == 0 ? "COMMIT" : "ROLLBACK"));
	} else {
		sqlite3 *db = lite_get(err);
		if (!db)
			return -1;
		sqlite3_exec(db, "PRAGMA query_only = 0", NULL, NULL, NULL);
		rc = db_query(sql, v, &q, err);
		sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	}
	qres_free(&q);
	return rc;
}

/* First column of the first row as text ("NULL", or "" for no row). */
static char *sql_scalar(const char *sql, const struct vars *v, struct sbuf *err)
{
	struct qres q;
	if (db_query(sql, v, &q, err) != 0) {
		qres_free(&q);
		return NULL;
	}
	char *out;
	if (!q.nrows || !q.ncols)
		out = xstrdup("");
	else
		out = xstrdup(q.cells[0] ? q.cells[0] : "NULL");
	qres_free(&q);
	return out;
}

/* Highest audit_log id now, or -1 with err filled. */
static long long audit_mark(struct sbuf *err)
{
	struct vars none = {0};
	char *s = sql_scalar("SELECT coalesce(max(id), 0) FROM audit_log", &none, err);
	if (!s)
		return -1;
	long long m = atoll(s);
	free(s);
	return m;
}

/* ---- case files ------------------------------------------------------- */

enum csrf_mode { CSRF_AUTO, CSRF_YES, CSRF_NO, CSRF_WRONG };

enum xkind { X_STATUS, X_HEADER, X_SETCOOKIE, X_BODY, X_JSON, X_AUDIT, X_SQL, X_SECHEAD, X_CAPTURE };

/* Columns an audit expectation may filter on (identifiers never come
 * from the case file itself). */
static const char *const audit_cols[] = {
	"user_id", "user_email", "role", "route", "action", "entity",
	"entity_id", "summary", "ip", NULL,
};

struct filt {
	const char *col;        /* from audit_cols */
	char op;                /* '=' exact, '~' contains, '!' not equal */
	char *val;
};

/* One expectation or capture line, parsed. */
struct expect {
	int line;
	enum xkind kind;
	char *name;             /* header/cookie name, json path, capture var, SQL */
	char *op;               /* operator, or capture source */
	char *arg;              /* operand (rest of the line) */
	long n;                 /* audit: number of new rows; sql: 1 = eventually */
	struct filt *f;
	int nf;
};

struct part {
	char *text;
	long repeat;
};

struct step {
	int line;
	char *method, *path;
	char *as;               /* sign in before this step; NULL keeps the session */
	struct strv headers;    /* "Name: value" */
	struct part *parts;
	int nparts;
	char *form;             /* raw urlencoded form, or NULL */
	struct strv fields;     /* "name=value", encoded by the runner */
	bool is_form;
	struct strv mparts;     /* multipart/form-data: "name=VALUE" or
				   "name=FILENAME VALUE" (file), VALUE %-decoded */
	struct strv mfiles;     /* parallel: "1" for a file part, "" otherwise */
	struct strv sqldo;      /* statements run on the database before sending */
	enum csrf_mode csrf;
	bool as_is;
	bool has_status;
	struct expect *x;
	int nx;
};

struct casefile {
	char *name;
	char *as;               /* sign-in for the whole file */
	struct strv setup;      /* hearth subcommands to run first */
	struct step *steps;
	int nsteps;
	char *error;            /* parse error, with its line */
};

static void perr(struct casefile *cf, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct casefile *cf, int line, const char *fmt, ...)
{
	if (cf->error)
		return;
	struct sbuf b = {0};
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	sb_addf(&b, "line %d: %s", line, tmp);
	cf->error = b.p;
}

/* Split off the next blank-separated word of *s (NULL if none). */
static char *word(char **s)
{
	char *p = ltrim(*s);
	if (!*p)
		return NULL;
	char *e = p;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	char *w = xstrndup(p, (size_t)(e - p));
	*s = e;
	return w;
}

static bool one_of(const char *s, const char *const list[])
{
	for (int i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Parse "col=value col~\"some text\" …" into filters. */
static int parse_filters(struct expect *x, char *s, struct casefile *cf)
{
	for (;;) {
		s = ltrim(s);
		if (!*s)
			return 0;
		char *e = s;
		while (*e && (isalnum((unsigned char)*e) || *e == '_'))
			e++;
		char op = *e;
		size_t oplen = 1;
		if (op == '!' && e[1] == '=')
			oplen = 2;
		else if (op != '=' && op != '~') {
			perr(cf, x->line, "audit filter must be col=value, col~text or col!=value: %s", s);
			return -1;
		}
		char *col = xstrndup(s, (size_t)(e - s));
		int ci;
		for (ci = 0; audit_cols[ci] && strcmp(audit_cols[ci], col) != 0; ci++)
			;
		free(col);
		if (!audit_cols[ci]) {
			perr(cf, x->line, "unknown audit column in: %s", s);
			return -1;
		}
		char *v = e + oplen, *ve;
		char *val;
		if (*v == '"') {
			ve = strchr(v + 1, '"');
			if (!ve) {
				perr(cf, x->line, "unterminated quote in audit filter");
				return -1;
			}
			val = xstrndup(v + 1, (size_t)(ve - v - 1));
			ve++;
		} else {
			for (ve = v; *ve && *ve != ' ' && *ve != '\t'; ve++)
				;
			val = xstrndup(v, (size_t)(ve - v));
		}
		x->f = xrealloc(x->f, (size_t)(x->nf + 1) * sizeof *x->f);
		x->f[x->nf++] = (struct filt){audit_cols[ci], op, val};
		s = ve;
	}
}

static const char *const header_ops[] = {"contains", "not-contains", "=", "starts-with", "matches", "absent", "present", NULL};
static const char *const cookie_ops[] = {"contains", "not-contains", "absent", "present", NULL};
static const char *const body_ops[] = {"contains", "not-contains", "matches", "not-matches", "empty", NULL};
static const char *const json_ops[] = {"=", "!=", "exists", "absent", "contains", NULL};
static const char *const capture_srcs[] = {"json", "header", "body-regex", "cookie", "sql", "value", NULL};

/* Operators that take no operand. */
static bool op_unary(const char *op)
{
	return strcmp(op, "absent") == 0 || strcmp(op, "present") == 0 ||
	       strcmp(op, "exists") == 0 || strcmp(op, "empty") == 0;
}

static bool valid_status(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '|')
			return false;
	return true;
}

/* Parse "NAME OP [ARG]" (or "OP [ARG]" when named is false). */
static int parse_name_op(struct expect *x, char *rest, bool named, const char *const ops[],
			 struct casefile *cf)
{
	if (named && !(x->name = word(&rest))) {
		perr(cf, x->line, "missing name");
		return -1;
	}
	x->op = word(&rest);
	if (!x->op || !one_of(x->op, ops)) {
		perr(cf, x->line, "unknown or missing operator \"%s\"", x->op ? x->op : "");
		return -1;
	}
	rest = ltrim(rest);
	if (!op_unary(x->op) && !*rest) {
		perr(cf, x->line, "operator %s needs a value", x->op);
		return -1;
	}
	if (op_unary(x->op) && *rest) {
		perr(cf, x->line, "operator %s takes no value", x->op);
		return -1;
	}
	x->arg = xstrdup(rest);
	return 0;
}

static int parse_capture(struct expect *x, char *rest, struct casefile *cf)
{
	x->name = word(&rest);
	char *eq = word(&rest);
	bool ok = x->name && eq && strcmp(eq, "=") == 0;
	free(eq);
	if (!ok) {
		perr(cf, x->line, "capture must be: capture NAME = SOURCE ...");
		return -1;
	}
	x->op = word(&rest);
	if (!x->op || !one_of(x->op, capture_srcs)) {
		perr(cf, x->line, "capture source must be json, header, body-regex, cookie, sql or value");
		return -1;
	}
	x->arg = xstrdup(ltrim(rest));
	if (!*x->arg) {
		perr(cf, x->line, "capture %s needs an argument", x->op);
		return -1;
	}
	if (strcmp(x->op, "body-regex") == 0) {
		regex_t re;
		if (regcomp(&re, x->arg, REG_EXTENDED) != 0) {
			perr(cf, x->line, "bad regular expression");
			return -1;
		}
		regfree(&re);
	}
	return 0;
}

static void expect_free(struct expect *x)
{
	free(x->name);
	free(x->op);
	free(x->arg);
	for (int f = 0; f < x->nf; f++)
		free(x->f[f].val);
	free(x->f);
}

/* Parse one expectation line (the keyword is already known not to be a
 * request directive). */
static int parse_expect(struct step *s, char *t, int line, struct casefile *cf)
{
	struct expect x = {.line = line};
	char *rest = t;
	char *kw = word(&rest);
	int rc = 0;

	if (strcmp(kw, "status") == 0) {
		x.kind = X_STATUS;
		x.arg = xstrdup(ltrim(rest));
		if (!valid_status(x.arg))
			perr(cf, line, "status must be a code or codes separated by |");
		s->has_status = true;
	} else if (strcmp(kw, "header") == 0) {
		x.kind = X_HEADER;
		rc = parse_name_op(&x, rest, true, header_ops, cf);
	} else if (strcmp(kw, "set-cookie") == 0) {
		x.kind = X_SETCOOKIE;
		rc = parse_name_op(&x, rest, true, cookie_ops, cf);
	} else if (strcmp(kw, "body") == 0) {
		x.kind = X_BODY;
		rc = parse_name_op(&x, rest, false, body_ops, cf);
	} else if (strcmp(kw, "json") == 0) {
		x.kind = X_JSON;
		rc = parse_name_op(&x, rest, true, json_ops, cf);
		if (rc == 0 && (strcmp(x.op, "=") == 0 || strcmp(x.op, "!=") == 0)) {
			json_t *j = json_loads(x.arg, JSON_DECODE_ANY, NULL);
			if (!j && !strstr(x.arg, "${"))
				perr(cf, line, "value after %s must be JSON (quote strings): %s", x.op, x.arg);
			json_decref(j);
		}
	} else if (strcmp(kw, "audit") == 0) {
		x.kind = X_AUDIT;
		char *n = word(&rest);
		char *end = NULL;
		if (!n || n[0] != '+' || (x.n = strtol(n + 1, &end, 10)) < 0 || *end)
			perr(cf, line, "audit must be: audit +N [col=value ...]");
		free(n);
		rc = parse_filters(&x, rest, cf);
	} else if (strcmp(kw, "sql") == 0 || strcmp(kw, "sql-eventually") == 0) {
		x.kind = X_SQL;
		x.n = strcmp(kw, "sql-eventually") == 0;
		char *arrow = strstr(rest, " => ");
		if (!arrow) {
			perr(cf, line, "%s must be: %s QUERY => VALUE", kw, kw);
		} else {
			x.name = xstrndup(ltrim(rest), (size_t)(arrow - ltrim(rest)));
			x.arg = xstrdup(arrow + 4);
		}
	} else if (strcmp(kw, "security-headers") == 0) {
		x.kind = X_SECHEAD;
	} else if (strcmp(kw, "capture") == 0) {
		x.kind = X_CAPTURE;
		rc = parse_capture(&x, rest, cf);
	} else {
		perr(cf, line, "unknown line \"%s\"", t);
	}
	free(kw);
	if (rc != 0 || cf->error) {
		expect_free(&x);
		return -1;
	}
	s->x = xrealloc(s->x, (size_t)(s->nx + 1) * sizeof *s->x);
	s->x[s->nx++] = x;
	return 0;
}

static void add_part(struct step *s, const char *text, long repeat)
{
	s->parts = xrealloc(s->parts, (size_t)(s->nparts + 1) * sizeof *s->parts);
	s->parts[s->nparts++] = (struct part){xstrdup(text), repeat};
}

/* A request directive ("key: value"); returns 1 if t was not one. */
static int parse_request_line(struct step *s, char *t, int line, struct casefile *cf,
			      char **heredoc)
{
	char *colon = strchr(t, ':');
	if (!colon)
		return 1;
	char *key = xstrndup(t, (size_t)(colon - t));
	char *val = ltrim(colon + 1);
	int rc = 0;

	if (strcmp(key, "as") == 0) {
		free(s->as);
		s->as = xstrdup(val);
	} else if (strcmp(key, "header") == 0) {
		size_t vl = strlen(val);
		if (!strchr(val, ':') && !(vl > 1 && val[vl - 1] == ';'))
			perr(cf, line, "header: needs \"Name: value\" (or \"Name;\" for an empty value)");
		sv_push(&s->headers, xstrdup(val));
	} else if (strcmp(key, "header-repeat") == 0) {
		/* COUNT Name: TEXT: the header with TEXT COUNT times as its value */
		char *end, *hc;
		long n = strtol(val, &end, 10);
		if (n <= 0 || n > 1000000 || *end != ' ' || !(hc = strchr(end + 1, ':')) || !hc[1])
			perr(cf, line, "header-repeat: needs COUNT Name: TEXT");
		else {
			const char *text = ltrim(hc + 1);
			size_t name = (size_t)(hc - (end + 1)), tl = strlen(text);
			char *h = xmalloc(name + 2 + (size_t)n * tl + 1), *p = h;
			memcpy(p, end + 1, name);
			p += name;
			memcpy(p, ": ", 2);
			p += 2;
			for (long i = 0; i < n; i++, p += tl)
				memcpy(p, text, tl);
			*p = '\0';
			sv_push(&s->headers, h);
		}
	} else if (strcmp(key, "body") == 0) {
		if (starts(val, "<<") && val[2])
			*heredoc = xstrdup(ltrim(val + 2));
		else
			add_part(s, val, 1);
	} else if (strcmp(key, "body-repeat") == 0) {
		char *end;
		long n = strtol(val, &end, 10);
		if (n <= 0 || *end != ' ' || !end[1])
			perr(cf, line, "body-repeat: needs COUNT TEXT");
		else
			add_part(s, end + 1, n);
	} else if (strcmp(key, "form") == 0) {
		s->is_form = true;
		free(s->form);
		s->form = xstrdup(val);
	} else if (strcmp(key, "field") == 0) {
		s->is_form = true;
		if (!strchr(val, '='))
			perr(cf, line, "field: needs name=value");
		sv_push(&s->fields, xstrdup(val));
	} else if (strcmp(key, "part") == 0 || strcmp(key, "part-file") == 0) {
		bool file = strcmp(key, "part-file") == 0;
		const char *eq = strchr(val, '=');
		if (!eq || (file && !strchr(eq, ' ')))
			perr(cf, line, file ? "part-file: needs name=FILENAME VALUE"
					    : "part: needs name=value");
		sv_push(&s->mparts, xstrdup(val));
		sv_push(&s->mfiles, xstrdup(file ? "1" : ""));
	} else if (strcmp(key, "csrf") == 0) {
		if (strcmp(val, "yes") == 0)
			s->csrf = CSRF_YES;
		else if (strcmp(val, "no") == 0)
			s->csrf = CSRF_NO;
		else if (strcmp(val, "wrong") == 0)
			s->csrf = CSRF_WRONG;
		else if (strcmp(val, "auto") == 0)
			s->csrf = CSRF_AUTO;
		else
			perr(cf, line, "csrf: must be yes, no, wrong or auto");
	} else if (strcmp(key, "path-as-is") == 0) {
		s->as_is = strcmp(val, "yes") == 0;
	} else if (strcmp(key, "sql-do") == 0) {
		sv_push(&s->sqldo, xstrdup(val));
	} else {
		rc = 1;
	}
	free(key);
	return rc;
}

/* Read and parse one case file.  Parse errors are kept in cf->error. */
static void case_parse(struct casefile *cf, const char *path)
{
	size_t n;
	char *text = read_file(path, &n);
	if (!text) {
		perr(cf, 0, "cannot read %s: %s", path, strerror(errno));
		return;
	}
	struct step *s = NULL;
	char *heredoc = NULL;
	struct sbuf hd = {0};
	int hd_line = 0, hd_lines = 0;
	int line = 0;
	char *save = NULL;
	for (char *p = text; p && !cf->error; p = save) {
		char *nl = strchr(p, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = 0;
		line++;
		if (!nl && !*p)
			break;
		if (heredoc) {
			size_t l = strlen(p);
			if (l && p[l - 1] == '\r')
				p[--l] = 0;
			if (strcmp(p, heredoc) == 0) {
				add_part(s, sb_str(&hd), 1);
				sb_free(&hd);
				free(heredoc);
				heredoc = NULL;
				hd_lines = 0;
				continue;
			}
			if (hd_lines++)
				sb_adds(&hd, "\n");
			sb_adds(&hd, p);
			continue;
		}
		rtrim(p);
		char *t = ltrim(p);
		if (!*t || *t == '#')
			continue;
		if (starts(t, "---")) {
			if (s && !s->has_status)
				perr(cf, s->line, "step has no status expectation");
			cf->steps = xrealloc(cf->steps, (size_t)(cf->nsteps + 1) * sizeof *cf->steps);
			s = &cf->steps[cf->nsteps++];
			memset(s, 0, sizeof *s);
			s->line = line;
			char *rest = t + 3;
			s->method = word(&rest);
			s->path = word(&rest);
			if (!s->method || !s->path || s->path[0] != '/' || *ltrim(rest))
				perr(cf, line, "a step starts with: --- METHOD /path");
			continue;
		}
		if (!s) {
			if (starts(t, "as:")) {
				free(cf->as);
				cf->as = xstrdup(ltrim(t + 3));
			} else if (starts(t, "setup:")) {
				sv_push(&cf->setup, xstrdup(ltrim(t + 6)));
			} else {
				perr(cf, line, "before the first step only as: and setup: are allowed");
			}
			continue;
		}
		int r = parse_request_line(s, t, line, cf, &heredoc);
		if (heredoc)
			hd_line = line;
		if (r == 1)
			parse_expect(s, t, line, cf);
	}
	if (!cf->error && heredoc)
		perr(cf, hd_line, "body: <<%s is not closed", heredoc);
	if (!cf->error && s && !s->has_status)
		perr(cf, s->line, "step has no status expectation");
	if (!cf->error && !cf->nsteps)
		perr(cf, line, "no steps (a step starts with: --- METHOD /path)");
	if (!cf->error)
		for (int i = 0; i < cf->nsteps; i++)
			if (cf->steps[i].is_form && cf->steps[i].nparts)
				perr(cf, cf->steps[i].line, "a step cannot have both body: and form:/field:");
	free(heredoc);
	sb_free(&hd);
	free(text);
}

/* ---- variable substitution ------------------------------------------- */

/* ${totp:VAR} or ${totp+SECONDS:VAR}: the 6-digit TOTP code (30 s steps)
 * for the base32 secret in ${VAR}, now or SECONDS from now.  Returns
 * false with err filled if VAR is unset or not base32. */
static bool totp_code(const struct vars *v, const char *spec, char out[7], struct sbuf *err)
{
	long offset = 0;
	const char *colon = strchr(spec, ':');
	if (spec[4] == '+' || spec[4] == '-')
		offset = strtol(spec + 4, NULL, 10);
	const char *secret = colon ? var_get(v, colon + 1) : NULL;
	char *raw = NULL;
	size_t rawlen = 0;
	if (!secret || oath_base32_decode(secret, strlen(secret), &raw, &rawlen) != OATH_OK ||
	    oath_totp_generate(raw, rawlen, time(NULL) + offset, 30, 0, 6, out) != OATH_OK) {
		sb_sep(err);
		sb_addf(err, "${%s}: %s is not a base32 secret", spec, secret ? secret : "variable not set");
		free(raw);
		return false;
	}
	free(raw);
	return true;
}

/* ${now}, ${now-SECONDS}, ${now+SECONDS}: that UTC time as Hearth stores
 * it ("2026-11-23T14:05:00Z"), to move a session or a lock-out in time
 * with sql-do.  False if name is not of that form. */
static bool now_stamp(const char *name, char out[21])
{
	char *end = NULL;
	long offset = 0;
	if (strncmp(name, "now", 3) != 0)
		return false;
	if (name[3]) {
		if (name[3] != '+' && name[3] != '-')
			return false;
		offset = strtol(name + 3, &end, 10);
		if (*end || end == name + 4)
			return false;
	}
	time_t t = time(NULL) + offset;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return true;
}

/* Copy in with ${name} replaced; "$${" stands for a literal "${".
 * Returns NULL with err filled when a variable is not set. */
static char *subst(const struct vars *v, const char *in, struct sbuf *err)
{
	struct sbuf out = {0};
	sb_addn(&out, "", 0);
	for (const char *p = in; *p;) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			sb_adds(&out, "${");
			p += 3;
			continue;
		}
		if (p[0] == '$' && p[1] == '{') {
			const char *e = strchr(p, '}');
			if (e) {
				char *name = xstrndup(p + 2, (size_t)(e - p - 2));
				char code[7], stamp[21];
				const char *val = var_get(v, name);
				if (!val && now_stamp(name, stamp))
					val = stamp;
				if (starts(name, "totp") && strchr(name, ':')) {
					val = totp_code(v, name, code, err) ? code : NULL;
					if (!val) {
						free(name);
						sb_free(&out);
						return NULL;
					}
				}
				if (!val) {
					sb_sep(err);
					sb_addf(err, "variable ${%s} is not set", name);
					free(name);
					sb_free(&out);
					return NULL;
				}
				sb_adds(&out, val);
				free(name);
				p = e + 1;
				continue;
			}
		}
		sb_addn(&out, p, 1);
		p++;
	}
	return out.p;
}

/* ---- HTTP ------------------------------------------------------------ */

struct resp {
	long status;
	struct sbuf body;
	struct strv hdrs;       /* "Name: value" of the final response */
	CURLcode cc;
	char err[CURL_ERROR_SIZE];
	json_t *json;           /* parsed lazily */
	bool json_tried;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	sb_addn(ud, p, sz * n);
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct strv *h = ud;
	size_t len = sz * n;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		sv_clear(h);       /* a new response (after 100 Continue) */
		return len;
	}
	char *line = xstrndup(p, len);
	rtrim(line);
	if (*line)
		sv_push(h, line);
	else
		free(line);
	return len;
}

static void resp_free(struct resp *r)
{
	sb_free(&r->body);
	sv_free(&r->hdrs);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

/* Value of the i-th header called name (case-insensitive), or NULL. */
static const char *resp_header(const struct resp *r, const char *name, int nth)
{
	size_t nl = strlen(name);
	for (int i = 0; i < r->hdrs.n; i++) {
		const char *h = r->hdrs.v[i];
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':' && nth-- == 0)
			return ltrim((char *)h + nl + 1);
	}
	return NULL;
}

static json_t *resp_json(struct resp *r)
{
	if (!r->json_tried) {
		r->json_tried = true;
		r->json = json_loadb(sb_str(&r->body), r->body.len, JSON_DECODE_ANY, NULL);
	}
	return r->json;
}

/* One HTTP client: a curl handle with its own in-memory cookie jar.
 * The handle is never curl_easy_reset (that drops the jar); http_do sets
 * every option that varies between requests instead. */
struct client {
	CURL *h;
};

static void client_init(struct client *c)
{
	c->h = curl_easy_init();
	if (!c->h)
		die("curl_easy_init failed");
	curl_easy_setopt(c->h, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 5L * slow_factor());
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L * slow_factor());
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
}

static void client_free(struct client *c)
{
	curl_easy_cleanup(c->h);
	c->h = NULL;
}

static void client_forget_cookies(struct client *c)
{
	curl_easy_setopt(c->h, CURLOPT_COOKIELIST, "ALL");
}

struct req {
	const char *method;
	const char *path;
	struct curl_slist *hdrs;
	const char *body;       /* NULL: no body */
	size_t blen;
	bool as_is;
};

/* Perform q; fills r (status 0 and r->err when no response came). */
static void http_do(struct client *c, const struct req *q, struct resp *r)
{
	CURL *h = c->h;
	char url[8192];
	snprintf(url, sizeof url, "%s%s", R.base, q->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, q->as_is ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	if (q->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->blen);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
	if (strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->err);
	r->err[0] = 0;
	r->cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	/* Options pointing into q and r must not outlive them. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	if (!r->body.p)
		sb_addn(&r->body, "", 0);
}

/* Value of cookie name in c's jar, or NULL (caller frees). */
static char *client_cookie(struct client *c, const char *name)
{
	struct curl_slist *list = NULL, *it;
	char *out = NULL;
	curl_easy_getinfo(c->h, CURLINFO_COOKIELIST, &list);
	for (it = list; it && !out; it = it->next) {
		/* domain, tailmatch, path, secure, expires, name, value */
		char *f[7] = {0};
		char *copy = xstrdup(it->data), *p = copy;
		for (int i = 0; i < 7 && p; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (f[5] && f[6] && strcmp(f[5], name) == 0)
			out = xstrdup(f[6]);
		free(copy);
	}
	curl_slist_free_all(list);
	return out;
}

/* Add "Name: value" unless the caller already set Name. */
static struct curl_slist *hdr_default(struct curl_slist *l, const char *name, const char *line)
{
	for (struct curl_slist *it = l; it; it = it->next)
		if (strncasecmp(it->data, name, strlen(name)) == 0 && it->data[strlen(name)] == ':')
			return l;
	return curl_slist_append(l, line);
}

/* A token of the same length that is certainly not tok. */
static char *garble(const char *tok)
{
	if (!tok || !*tok)
		return xstrdup("wrong-csrf-token-0000000000000000");
	char *g = xstrdup(tok);
	size_t n = strlen(g);
	g[0] = g[0] == 'A' ? 'B' : 'A';
	g[n - 1] = g[n - 1] == 'A' ? 'B' : 'A';
	return g;
}

static bool state_changing(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Sign c in.  who: "anonymous", a role name (ROLE@hearth.example with the
 * demo password) or "EMAIL PASSWORD".  Sets ${csrf}, ${user_id},
 * ${user_name}, ${user_email}.  Returns 0 or -1 with why filled. */
static int sign_in(struct client *c, struct vars *v, const char *who, struct sbuf *why)
{
	client_forget_cookies(c);
	var_unset(v, "csrf");
	if (strcmp(who, "anonymous") == 0)
		return 0;
	char email[256], password[256];
	if (sscanf(who, "%255s %255s", email, password) == 2) {
		/* explicit credentials */
	} else if (!strchr(who, '@') && !strchr(who, ' ')) {
		snprintf(email, sizeof email, "%s@" DEMO_DOMAIN, who);
		snprintf(password, sizeof password, "%s", DEMO_PASSWORD);
	} else {
		sb_addf(why, "as: must be anonymous, a role, or EMAIL PASSWORD");
		return -1;
	}
	json_t *j = json_pack("{s:s, s:s}", "email", email, "password", password);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	struct req q = {"POST", "/api/v1/session", h, body, strlen(body), false};
	struct resp r = {0};
	http_do(c, &q, &r);
	curl_slist_free_all(h);
	free(body);
	json_t *root = resp_json(&r);
	json_t *tok = json_object_get(root, "csrf_token");
	json_t *user = json_object_get(root, "user");
	int rc = -1;
	if (r.status != 200 || !json_is_string(tok)) {
		sb_addf(why, "sign-in as %s failed: status %ld%s%s; body: ", email, r.status,
			r.err[0] ? ", " : "", r.err);
		snippet(why, sb_str(&r.body), r.body.len);
		goto out;
	}
	var_set(v, "csrf", json_string_value(tok));
	const char *keys[] = {"id", "name", "email"};
	for (int i = 0; i < 3; i++) {
		json_t *f = json_object_get(user, keys[i]);
		char vn[32];
		snprintf(vn, sizeof vn, "user_%s", keys[i]);
		if (json_is_string(f))
			var_set(v, vn, json_string_value(f));
		else if (json_is_integer(f)) {
			char num[32];
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(f));
			var_set(v, vn, num);
		}
	}
	rc = 0;
out:
	resp_free(&r);
	return rc;
}

/* ---- expectations -------------------------------------------------------- */

/* Follow a dotted path ("error.code", "items.0.name") into j. */
static json_t *json_path(json_t *j, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	for (char *seg = strtok_r(copy, ".", &save); seg && j; seg = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j)) {
			char *end;
			long i = strtol(seg, &end, 10);
			j = (*end || i < 0) ? NULL : json_array_get(j, (size_t)i);
		} else {
			j = json_object_get(j, seg);
		}
	}
	free(copy);
	return j;
}

/* JSON value as the text a capture stores: strings bare, others compact. */
static char *json_text(json_t *j)
{
	if (json_is_string(j))
		return xstrdup(json_string_value(j));
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : xstrdup("");
}

static bool regex_match(const char *re, const char *text, char **group, struct sbuf *err)
{
	regex_t rx;
	regmatch_t m[2];
	if (regcomp(&rx, re, REG_EXTENDED) != 0) {
		sb_sep(err);
		sb_addf(err, "bad regular expression %s", re);
		return false;
	}
	bool ok = regexec(&rx, text, 2, m, 0) == 0;
	if (ok && group) {
		int g = m[1].rm_so >= 0 ? 1 : 0;
		*group = xstrndup(text + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
	}
	regfree(&rx);
	return ok;
}

/* Apply a text operator: contains, not-contains, =, starts-with, matches,
 * not-matches.  Returns true when it holds. */
static bool text_op(const char *op, const char *have, const char *want, bool nocase, struct sbuf *err)
{
	if (strcmp(op, "contains") == 0)
		return (nocase ? strcasestr(have, want) : strstr(have, want)) != NULL;
	if (strcmp(op, "not-contains") == 0)
		return (nocase ? strcasestr(have, want) : strstr(have, want)) == NULL;
	if (strcmp(op, "=") == 0)
		return strcmp(have, want) == 0;
	if (strcmp(op, "starts-with") == 0)
		return starts(have, want);
	if (strcmp(op, "matches") == 0)
		return regex_match(want, have, NULL, err);
	if (strcmp(op, "not-matches") == 0)
		return !regex_match(want, have, NULL, err);
	return false;
}

static void check_header(const struct expect *x, const char *arg, struct resp *r, struct sbuf *err)
{
	const char *v = resp_header(r, x->name, 0);
	if (strcmp(x->op, "absent") == 0 || strcmp(x->op, "present") == 0) {
		bool want = strcmp(x->op, "present") == 0;
		if ((v != NULL) != want) {
			sb_sep(err);
			sb_addf(err, "expected header %s %s%s%s", x->name, x->op, v ? ", got " : "", v ? v : "");
		}
		return;
	}
	bool negative = strcmp(x->op, "not-contains") == 0;
	bool ok = negative;
	for (int i = 0; (v = resp_header(r, x->name, i)); i++) {
		bool hit = text_op(x->op, v, arg, false, err);
		if (negative && !hit)
			ok = false;
		if (!negative && hit)
			ok = true;
	}
	if (!ok) {
		v = resp_header(r, x->name, 0);
		sb_sep(err);
		sb_addf(err, "expected header %s %s \"%s\", got %s%s%s", x->name, x->op, arg,
			v ? "\"" : "", v ? v : "none", v ? "\"" : "");
	}
}

/* The Set-Cookie line that sets cookie name, or NULL. */
static const char *set_cookie_line(const struct resp *r, const char *name)
{
	const char *v;
	size_t nl = strlen(name);
	for (int i = 0; (v = resp_header(r, "Set-Cookie", i)); i++)
		if (strncmp(v, name, nl) == 0 && v[nl] == '=')
			return v;
	return NULL;
}

static void check_setcookie(const struct expect *x, const char *arg, struct resp *r, struct sbuf *err)
{
	const char *v = set_cookie_line(r, x->name);
	bool ok;
	if (strcmp(x->op, "absent") == 0)
		ok = v == NULL;
	else if (strcmp(x->op, "present") == 0)
		ok = v != NULL;
	else
		ok = v && text_op(x->op, v, arg, true, err);
	if (!ok) {
		sb_sep(err);
		sb_addf(err, "expected Set-Cookie %s %s%s%s, got %s", x->name, x->op,
			*arg ? " " : "", arg, v ? v : "no such Set-Cookie");
	}
}

static void check_body(const struct expect *x, const char *arg, struct resp *r, struct sbuf *err)
{
	bool ok;
	if (strcmp(x->op, "empty") == 0)
		ok = r->body.len == 0;
	else
		ok = text_op(x->op, sb_str(&r->body), arg, false, err);
	if (!ok) {
		sb_sep(err);
		sb_addf(err, "expected body %s%s%s", x->op, *arg ? " " : "", arg);
	}
}

static void check_json(const struct expect *x, const char *arg, struct resp *r, struct sbuf *err)
{
	json_t *root = resp_json(r);
	if (!root) {
		sb_sep(err);
		sb_addf(err, "json %s: body is not JSON", x->name);
		return;
	}
	json_t *j = json_path(root, x->name);
	char *have = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	bool ok = false;
	if (strcmp(x->op, "exists") == 0) {
		ok = j != NULL;
	} else if (strcmp(x->op, "absent") == 0) {
		ok = j == NULL;
	} else if (strcmp(x->op, "contains") == 0) {
		ok = json_is_string(j) && strstr(json_string_value(j), arg);
	} else {
		json_t *want = json_loads(arg, JSON_DECODE_ANY, NULL);
		if (!want) {
			sb_sep(err);
			sb_addf(err, "json %s: expected value is not JSON: %s", x->name, arg);
			free(have);
			return;
		}
		bool eq = j && json_equal(j, want);
		ok = strcmp(x->op, "=") == 0 ? eq : !eq;
		json_decref(want);
	}
	if (!ok) {
		sb_sep(err);
		sb_addf(err, "expected json %s %s%s%s, got %s", x->name, x->op, *arg ? " " : "", arg,
			have ? have : "nothing");
	}
	free(have);
}

/* Count audit rows after mark matching the filters; -1 on error. */
static long audit_count(long long mark, const struct filt *f, int nf, char **vals, struct sbuf *err)
{
	struct sbuf q = {0};
	sb_adds(&q, "SELECT count(*) FROM audit_log WHERE id > :mark");
	for (int i = 0; i < nf; i++) {
		if (f[i].op == '=')
			sb_addf(&q, " AND %s = :f%d", f[i].col, i);
		else if (f[i].op == '!')
			sb_addf(&q, R.pg_server ? " AND %s IS DISTINCT FROM :f%d" : " AND %s IS NOT :f%d",
				f[i].col, i);
		else if (R.pg_server)
			sb_addf(&q, " AND strpos(%s, :f%d) > 0", f[i].col, i);
		else
			sb_addf(&q, " AND instr(%s, :f%d) > 0", f[i].col, i);
	}
	struct vars p = {0};
	char num[32];
	snprintf(num, sizeof num, "%lld", mark);
	var_set(&p, "mark", num);
	for (int i = 0; i < nf; i++) {
		snprintf(num, sizeof num, "f%d", i);
		var_set(&p, num, vals[i]);
	}
	char *s = sql_scalar(q.p, &p, err);
	vars_free(&p);
	sb_free(&q);
	if (!s)
		return -1;
	long n = atol(s);
	free(s);
	return n;
}

/* Describe the audit rows written after mark (for failure messages). */
static void audit_describe(long long mark, struct sbuf *out)
{
	struct sbuf err = {0};
	struct vars p = {0};
	struct qres q;
	char num[32];
	snprintf(num, sizeof num, "%lld", mark);
	var_set(&p, "mark", num);
	db_query("SELECT action, entity, entity_id, user_email, route "
		 "FROM audit_log WHERE id > :mark ORDER BY id LIMIT 10", &p, &q, &err);
	sb_adds(out, " [new rows:");
	for (int r = 0; r < q.nrows; r++) {
		sb_adds(out, r ? " |" : "");
		for (int c = 0; c < q.ncols; c++) {
			const char *t = q.cells[r * q.ncols + c];
			sb_addf(out, " %s=%s", q.names[c], t ? t : "NULL");
		}
	}
	sb_adds(out, q.nrows ? "]" : " none]");
	qres_free(&q);
	vars_free(&p);
	sb_free(&err);
}

static void check_audit(const struct expect *x, long long mark, const struct vars *v, struct sbuf *err)
{
	if (mark < 0) {
		sb_sep(err);
		sb_adds(err, "audit: could not read audit_log before the request");
		return;
	}
	char **vals = xmalloc((size_t)(x->nf + 1) * sizeof *vals);
	int ok = 1;
	for (int i = 0; i < x->nf; i++) {
		vals[i] = subst(v, x->f[i].val, err);
		if (!vals[i])
			ok = 0;
	}
	if (ok) {
		long n = audit_count(mark, x->f, x->nf, vals, err);
		if (n >= 0 && n != x->n) {
			sb_sep(err);
			sb_addf(err, "expected %ld new audit row(s) matching", x->n);
			for (int i = 0; i < x->nf; i++)
				sb_addf(err, " %s%s%s", x->f[i].col,
					x->f[i].op == '!' ? "!=" : x->f[i].op == '~' ? "~" : "=", vals[i]);
			sb_addf(err, ", found %ld", n);
			audit_describe(mark, err);
		}
	}
	for (int i = 0; i < x->nf; i++)
		free(vals[i]);
	free(vals);
}

/* sql-eventually waits this long for work the server finishes after it
 * answered (an upload's import job), asking every 50 ms. */
#define SQL_EVENTUALLY_MS 60000

static void check_sql(const struct expect *x, const char *arg, const struct vars *v, struct sbuf *err)
{
	char *have = sql_scalar(x->name, v, err);
	for (long waited = 0; x->n && have && strcmp(have, arg) != 0 && waited < SQL_EVENTUALLY_MS * slow_factor(); waited += 50) {
		free(have);
		nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
		have = sql_scalar(x->name, v, err);
	}
	if (have && strcmp(have, arg) != 0) {
		sb_sep(err);
		sb_addf(err, "expected sql %s => %s, got %s", x->name, arg, have);
	}
	free(have);
}

/* The CSP directive called name ("script-src"), or NULL (caller frees). */
static char *csp_directive(const char *csp, const char *name)
{
	char *copy = xstrdup(csp), *save = NULL, *out = NULL;
	for (char *d = strtok_r(copy, ";", &save); d && !out; d = strtok_r(NULL, ";", &save)) {
		d = ltrim(d);
		size_t n = strlen(name);
		if (strncasecmp(d, name, n) == 0 && (d[n] == ' ' || d[n] == 0))
			out = xstrdup(d + n);
	}
	free(copy);
	return out;
}

/* The security headers every response must carry. */
static void check_security_headers(struct resp *r, struct sbuf *err)
{
	const char *csp = resp_header(r, "Content-Security-Policy", 0);
	char *fa = NULL;
	if (!csp) {
		sb_sep(err);
		sb_adds(err, "no Content-Security-Policy header");
	} else {
		char *script = csp_directive(csp, "script-src");
		if (!script)
			script = csp_directive(csp, "default-src");
		if (!script) {
			sb_sep(err);
			sb_addf(err, "CSP restricts no scripts (no script-src or default-src): %s", csp);
		} else if (strstr(script, "'unsafe-inline'")) {
			sb_sep(err);
			sb_addf(err, "CSP allows inline script: %s", csp);
		}
		free(script);
		fa = csp_directive(csp, "frame-ancestors");
	}
	const char *nosniff = resp_header(r, "X-Content-Type-Options", 0);
	if (!nosniff || strcasecmp(nosniff, "nosniff") != 0) {
		sb_sep(err);
		sb_addf(err, "X-Content-Type-Options is %s, want nosniff", nosniff ? nosniff : "missing");
	}
	const char *rp = resp_header(r, "Referrer-Policy", 0);
	if (!rp || !*rp || strcasestr(rp, "unsafe-url")) {
		sb_sep(err);
		sb_addf(err, "Referrer-Policy is %s", rp ? rp : "missing");
	}
	const char *xfo = resp_header(r, "X-Frame-Options", 0);
	bool framed_ok = (xfo && strcasecmp(xfo, "DENY") == 0) || (fa && strstr(fa, "'none'"));
	if (!framed_ok) {
		sb_sep(err);
		sb_adds(err, "framing not denied (want X-Frame-Options: DENY or CSP frame-ancestors 'none')");
	}
	free(fa);
}

static void do_capture(const struct expect *x, const char *arg, struct client *c, struct resp *r,
		       struct vars *v, struct sbuf *err)
{
	char *val = NULL;
	if (strcmp(x->op, "json") == 0) {
		json_t *j = resp_json(r) ? json_path(resp_json(r), arg) : NULL;
		if (j)
			val = json_text(j);
	} else if (strcmp(x->op, "header") == 0) {
		const char *h = resp_header(r, arg, 0);
		if (h)
			val = xstrdup(h);
	} else if (strcmp(x->op, "body-regex") == 0) {
		regex_match(arg, sb_str(&r->body), &val, err);
	} else if (strcmp(x->op, "cookie") == 0) {
		val = client_cookie(c, arg);
	} else if (strcmp(x->op, "sql") == 0) {
		val = sql_scalar(arg, v, err);
	} else if (strcmp(x->op, "value") == 0) {
		val = xstrdup(arg);
	}
	if (!val) {
		sb_sep(err);
		sb_addf(err, "capture %s = %s %s: nothing found", x->name, x->op, arg);
		return;
	}
	var_set(v, x->name, val);
	free(val);
}

/* Check every expectation of s against r, in order (captures included). */
static void check_all(const struct step *s, struct client *c, struct resp *r, long long mark,
		      struct vars *v, struct sbuf *err)
{
	for (int i = 0; i < s->nx; i++) {
		const struct expect *x = &s->x[i];
		char *arg = x->arg ? subst(v, x->arg, err) : xstrdup("");
		if (!arg)
			continue;
		switch (x->kind) {
		case X_STATUS: {
			char want[64];
			snprintf(want, sizeof want, "|%s|", arg);
			char have[32];
			snprintf(have, sizeof have, "|%ld|", r->status);
			if (!strstr(want, have)) {
				sb_sep(err);
				sb_addf(err, "expected status %s, got %ld", arg, r->status);
			}
			break;
		}
		case X_HEADER: check_header(x, arg, r, err); break;
		case X_SETCOOKIE: check_setcookie(x, arg, r, err); break;
		case X_BODY: check_body(x, arg, r, err); break;
		case X_JSON: check_json(x, arg, r, err); break;
		case X_AUDIT: check_audit(x, mark, v, err); break;
		case X_SQL: check_sql(x, arg, v, err); break;
		case X_SECHEAD: check_security_headers(r, err); break;
		case X_CAPTURE: do_capture(x, arg, c, r, v, err); break;
		}
		free(arg);
	}
}

/* ---- running a step ---------------------------------------------------- */

/* URL-encode "name=value" into out. */
static void form_field(struct sbuf *out, CURL *h, const char *name, const char *value)
{
	char *n = curl_easy_escape(h, name, 0), *val = curl_easy_escape(h, value, 0);
	if (out->len)
		sb_adds(out, "&");
	sb_addf(out, "%s=%s", n, val);
	curl_free(n);
	curl_free(val);
}

#define MP_BOUNDARY "hearth-test-boundary-7f3a9c"

/* One multipart/form-data part; value (len bytes) may hold NULs. */
static void mp_part(struct sbuf *out, const char *name, const char *filename,
		    const char *value, size_t len)
{
	sb_addf(out, "--" MP_BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"", name);
	if (filename)
		sb_addf(out, "; filename=\"%s\"\r\nContent-Type: application/octet-stream", filename);
	sb_adds(out, "\r\n\r\n");
	sb_addn(out, value, len);
	sb_adds(out, "\r\n");
}

/* The multipart body of s: each part's value %-decoded (so %00 sends a
 * NUL byte), then the CSRF token; returns -1 if a variable is missing. */
static int build_multipart(const struct step *s, struct client *c, const struct vars *v,
			   const char *csrf_value, struct sbuf *out, struct sbuf *err)
{
	for (int i = 0; i < s->mparts.n; i++) {
		char *f = subst(v, s->mparts.v[i], err);
		if (!f)
			return -1;
		char *eq = strchr(f, '=');
		*eq = 0;
		char *filename = NULL, *value = eq + 1;
		if (s->mfiles.v[i][0]) {
			filename = value;
			value = strchr(value, ' ');
			*value++ = 0;
		}
		int len = 0;
		char *dec = curl_easy_unescape(c->h, value, 0, &len);
		mp_part(out, f, filename, dec, (size_t)len);
		curl_free(dec);
		free(f);
	}
	if (csrf_value)
		mp_part(out, "csrf_token", NULL, csrf_value, strlen(csrf_value));
	sb_adds(out, "--" MP_BOUNDARY "--\r\n");
	return 0;
}

/* Build the body of s into out; returns -1 if a variable is missing. */
static int build_body(const struct step *s, struct client *c, const struct vars *v,
		      const char *csrf_value, struct sbuf *out, struct sbuf *err)
{
	if (s->mparts.n)
		return build_multipart(s, c, v, csrf_value, out, err);
	if (s->is_form) {
		if (s->form) {
			char *f = subst(v, s->form, err);
			if (!f)
				return -1;
			sb_adds(out, f);
			free(f);
		}
		for (int i = 0; i < s->fields.n; i++) {
			char *f = subst(v, s->fields.v[i], err);
			if (!f)
				return -1;
			char *eq = strchr(f, '=');
			*eq = 0;
			form_field(out, c->h, f, eq + 1);
			free(f);
		}
		if (csrf_value)
			form_field(out, c->h, "csrf_token", csrf_value);
		sb_addn(out, "", 0);
		return 0;
	}
	for (int i = 0; i < s->nparts; i++) {
		char *t = subst(v, s->parts[i].text, err);
		if (!t)
			return -1;
		size_t tl = strlen(t);
		for (long k = 0; k < s->parts[i].repeat; k++)
			sb_addn(out, t, tl);
		free(t);
	}
	sb_addn(out, "", 0);
	return 0;
}

/* Decide the CSRF token to send (NULL: none); caller frees. */
static char *csrf_value(const struct step *s, const struct vars *v, struct sbuf *err)
{
	const char *tok = var_get(v, "csrf");
	switch (s->csrf) {
	case CSRF_NO:
		return NULL;
	case CSRF_WRONG:
		return garble(tok);
	case CSRF_YES:
		if (!tok) {
			sb_sep(err);
			sb_adds(err, "csrf: yes but ${csrf} is not set (sign in with as: or capture csrf)");
			return NULL;
		}
		return xstrdup(tok);
	case CSRF_AUTO:
		break;
	}
	return tok && state_changing(s->method) ? xstrdup(tok) : NULL;
}

/* Run one step: sign in if asked, send, check.  Reports one line. */
static void step_run(const char *file, int idx, const struct step *s, struct client *c,
		     struct vars *v)
{
	char where[512];
	snprintf(where, sizeof where, "%s: step %d (%s %s)", file, idx, s->method, s->path);
	struct sbuf err = {0}, body = {0};
	struct resp r = {0};
	struct curl_slist *hdrs = NULL;
	char *path = NULL, *tok = NULL;

	if (s->as && sign_in(c, v, s->as, &err) != 0)
		goto report;
	for (int i = 0; i < s->sqldo.n; i++)
		if (db_write(s->sqldo.v[i], v, &err) != 0)
			goto report;
	path = subst(v, s->path, &err);
	tok = csrf_value(s, v, &err);
	if (!path || err.len || build_body(s, c, v, tok, &body, &err) != 0)
		goto report;
	for (int i = 0; i < s->headers.n; i++) {
		char *h = subst(v, s->headers.v[i], &err);
		if (!h)
			goto report;
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (tok && !s->is_form && !s->mparts.n) {
		char line[1024];
		snprintf(line, sizeof line, "X-CSRF-Token: %s", tok);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = hdr_default(hdrs, "Expect", "Expect:");
	bool has_body = s->is_form || s->nparts || s->mparts.n;
	if (s->mparts.n)
		hdrs = hdr_default(hdrs, "Content-Type",
				   "Content-Type: multipart/form-data; boundary=" MP_BOUNDARY);
	else if (s->is_form)
		hdrs = hdr_default(hdrs, "Content-Type", "Content-Type: application/x-www-form-urlencoded");
	else if (has_body)
		hdrs = hdr_default(hdrs, "Content-Type", "Content-Type: application/json");

	long long mark = audit_mark(&err);
	sb_reset(&err);     /* an unreadable audit_log only matters to audit lines */
	struct req q = {s->method, path, hdrs, has_body ? sb_str(&body) : NULL, body.len, s->as_is};
	http_do(c, &q, &r);
	if (r.cc != CURLE_OK && r.status == 0) {
		sb_addf(&err, "no response: %s (%s)", curl_easy_strerror(r.cc), r.err);
		goto report;
	}
	check_all(s, c, &r, mark, v, &err);
report:
	if (err.len) {
		sb_adds(&err, "; body: ");
		snippet(&err, sb_str(&r.body), r.body.len);
		fail("%s: %s", where, err.p);
	} else {
		pass("%s", where);
	}
	server_check(where);
	curl_slist_free_all(hdrs);
	resp_free(&r);
	sb_free(&err);
	sb_free(&body);
	free(path);
	free(tok);
}

/* Run the setup lines of cf ("hearth ARGS --db URL" through /bin/sh). */
static int case_setup(const struct casefile *cf, struct sbuf *why)
{
	for (int i = 0; i < cf->setup.n; i++) {
		struct sbuf cmd = {0}, out = {0};
		sb_adds(&cmd, "exec '");
		for (const char *p = R.hearth; *p; p++)
			sb_adds(&cmd, *p == '\'' ? "'\\''" : (char[]){*p, 0});
		sb_addf(&cmd, "' %s --db \"$HEARTH_DB\" 2>&1", cf->setup.v[i]);
		char *argv[] = {"/bin/sh", "-c", cmd.p, NULL};
		int st = run_cmd(argv, NULL, &out);
		if (st != 0) {
			char how[128];
			status_str(st, how, sizeof how);
			sb_addf(why, "setup \"%s\" failed (%s): ", cf->setup.v[i], how);
			snippet(why, sb_str(&out), out.len);
		}
		sb_free(&cmd);
		sb_free(&out);
		if (st != 0)
			return -1;
	}
	return 0;
}

static void case_free(struct casefile *cf)
{
	for (int i = 0; i < cf->nsteps; i++) {
		struct step *s = &cf->steps[i];
		free(s->method);
		free(s->path);
		free(s->as);
		sv_free(&s->headers);
		for (int k = 0; k < s->nparts; k++)
			free(s->parts[k].text);
		free(s->parts);
		free(s->form);
		sv_free(&s->fields);
		sv_free(&s->mparts);
		sv_free(&s->mfiles);
		sv_free(&s->sqldo);
		for (int k = 0; k < s->nx; k++)
			expect_free(&s->x[k]);
		free(s->x);
	}
	free(cf->steps);
	free(cf->as);
	sv_free(&cf->setup);
	free(cf->error);
	free(cf->name);
}

/* Parse and run one case file with its own cookie jar and variables. */
static void case_run(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct casefile cf = {.name = xstrdup(name)};
	struct sbuf why = {0};
	struct vars v = {0};
	struct client c;
	client_init(&c);
	case_parse(&cf, path);
	if (cf.error) {
		fail("%s: %s", name, cf.error);
		goto out;
	}
	if (case_setup(&cf, &why) != 0) {
		fail("%s: %s", name, why.p);
		goto out;
	}
	if (cf.as && sign_in(&c, &v, cf.as, &why) != 0) {
		fail("%s: %s", name, why.p);
		goto out;
	}
	for (int i = 0; i < cf.nsteps; i++)
		step_run(name, i + 1, &cf.steps[i], &c, &v);
out:
	client_free(&c);
	vars_free(&v);
	sb_free(&why);
	case_free(&cf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cases_run(const char *dir, const char *filter)
{
	DIR *d = opendir(dir);
	if (!d)
		die("cannot open %s: %s", dir, strerror(errno));
	struct strv names = {0};
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".http") == 0 &&
		    (!filter || strstr(e->d_name, filter)))
			sv_push(&names, xstrdup(e->d_name));
	}
	closedir(d);
	if (names.n)
		qsort(names.v, (size_t)names.n, sizeof *names.v, cmp_str);
	for (int i = 0; i < names.n; i++)
		case_run(dir, names.v[i]);
	sv_free(&names);
}

/* ---- the route-table test ----------------------------------------------- */

static const char *const roles[] = {
	"admin", "coordinator", "school", "worker", "agency", "viewer", "auditor", NULL,
};

struct route {
	char *method, *path, *cap, *kind;
	bool csrf, audit;
};

/* Run `hearth ARGS` and return its stdout, or NULL with why filled. */
static char *hearth_output(const char *arg1, const char *arg2, struct sbuf *why)
{
	struct sbuf out = {0};
	char *argv[] = {(char *)R.hearth, (char *)arg1, (char *)arg2, NULL};
	int st = run_cmd(argv, NULL, &out);
	if (st != 0) {
		char how[128];
		status_str(st, how, sizeof how);
		sb_addf(why, "`hearth %s%s%s` failed (%s): ", arg1, arg2 ? " " : "", arg2 ? arg2 : "", how);
		snippet(why, sb_str(&out), out.len);
		sb_free(&out);
		return NULL;
	}
	if (!out.p)
		sb_addn(&out, "", 0);
	return out.p;
}

/* Split TSV text into lines of tab-separated fields. */
static int tsv_fields(char *line, char **f, int max)
{
	int n = 0;
	while (line && n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (line)
			*line++ = 0;
	}
	return n;
}

static int routes_load(struct route **out, struct sbuf *why)
{
	char *text = hearth_output("routes", NULL, why);
	if (!text)
		return -1;
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		rtrim(line);
		char *f[6];
		if (!*line || *line == '#')
			continue;
		if (tsv_fields(line, f, 6) != 6) {
			sb_addf(why, "`hearth routes` line is not 6 tab-separated fields: %s", line);
			free(text);
			return -1;
		}
		*out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
		(*out)[n++] = (struct route){xstrdup(f[0]), xstrdup(f[1]), xstrdup(f[2]),
					     xstrdup(f[5]), strcmp(f[3], "yes") == 0,
					     strcmp(f[4], "yes") == 0};
	}
	free(text);
	if (n == 0)
		sb_adds(why, "`hearth routes` printed no routes");
	return n ? n : -1;
}

/* Capabilities per role from `hearth routes --caps`: caps[i] is the
 * comma-separated list for roles[i] (NULL if the role is not listed). */
static int caps_load(char *caps[], struct sbuf *why)
{
	char *text = hearth_output("routes", "--caps", why);
	if (!text)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		rtrim(line);
		char *f[2];
		if (!*line || *line == '#')
			continue;
		if (tsv_fields(line, f, 2) != 2)
			f[1] = "";
		for (int i = 0; roles[i]; i++)
			if (strcmp(f[0], roles[i]) == 0) {
				free(caps[i]);
				caps[i] = xstrdup(f[1]);
			}
	}
	free(text);
	int rc = 0;
	for (int i = 0; roles[i]; i++)
		if (!caps[i]) {
			sb_addf(why, "%srole %s missing from `hearth routes --caps`", rc ? "; " : "", roles[i]);
			rc = -1;
		}
	return rc;
}

static bool has_cap(const char *list, const char *cap)
{
	size_t n = strlen(cap);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		while (l && p[l - 1] == ' ')
			l--;
		if (l == n && strncmp(p, cap, n) == 0)
			return true;
		p = e ? ltrim((char *)e + 1) : NULL;
	}
	return false;
}

/* "/users/{id}/edit" → "/users/1/edit"; a "*" segment becomes "x" */
static char *route_path(const char *pattern)
{
	struct sbuf b = {0};
	for (const char *p = pattern; *p; p++) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		if (e) {
			sb_adds(&b, "1");
			p = e;
		} else if (*p == '*') {
			sb_adds(&b, "x");
		} else {
			sb_addn(&b, p, 1);
		}
	}
	return b.p;
}

/* Send the route's request as c (signed in or not) with a valid CSRF
 * token for state-changing methods, so a refusal is about the caller. */
static void route_request(struct client *c, const struct route *rt, const char *tok, struct resp *r)
{
	char *path = route_path(rt->path);
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	struct sbuf body = {0};
	bool page = strcmp(rt->kind, "api") != 0;
	if (state_changing(rt->method)) {
		if (tok) {
			char line[1024];
			snprintf(line, sizeof line, "X-CSRF-Token: %s", tok);
			h = curl_slist_append(h, line);
		}
		if (page) {
			if (tok)
				form_field(&body, c->h, "csrf_token", tok);
			h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
		} else {
			sb_adds(&body, "{}");
			h = curl_slist_append(h, "Content-Type: application/json");
		}
		sb_addn(&body, "", 0);
	}
	struct req q = {rt->method, path, h, body.p, body.len, false};
	http_do(c, &q, r);
	curl_slist_free_all(h);
	sb_free(&body);
	free(path);
}

static void route_result(const char *what, struct sbuf *err, struct resp *r)
{
	if (err->len) {
		sb_adds(err, "; body: ");
		snippet(err, sb_str(&r->body), r->body.len);
		fail("routes: %s: %s", what, err->p);
	} else {
		pass("routes: %s", what);
	}
	server_check(what);
}

static void route_anon(const struct route *rt, struct client *anon, const char *anon_tok)
{
	char what[512];
	snprintf(what, sizeof what, "%s %s anonymous", rt->method, rt->path);
	struct resp r = {0};
	struct sbuf err = {0};
	route_request(anon, rt, anon_tok, &r);
	if (strcmp(rt->kind, "api") == 0) {
		json_t *code = json_path(resp_json(&r), "error.code");
		if (r.status != 401 || !json_is_string(code) ||
		    strcmp(json_string_value(code), "auth_required") != 0)
			sb_addf(&err, "expected 401 auth_required, got %ld %s", r.status,
				json_is_string(code) ? json_string_value(code) : "(no error.code)");
	} else {
		const char *loc = resp_header(&r, "Location", 0);
		if (r.status != 303 || !loc || !starts(loc, "/login"))
			sb_addf(&err, "expected 303 to /login, got %ld Location %s", r.status, loc ? loc : "none");
	}
	route_result(what, &err, &r);
	resp_free(&r);
	sb_free(&err);
}

/* New audit rows since mark written for role's demo user (with action
 * when not NULL); -1 if the log cannot be read. */
static long role_rows(const char *role, const char *action, long long mark, struct sbuf *err)
{
	char email[128];
	snprintf(email, sizeof email, "%s@" DEMO_DOMAIN, role);
	char *vals[2] = {email, (char *)action};
	struct filt f[2] = {{"user_email", '=', NULL}, {"action", '=', NULL}};
	return mark < 0 ? -1 : audit_count(mark, f, action ? 2 : 1, vals, err);
}

/* An allowed GET writes audit rows for its caller exactly when the route
 * table says it audits (at least one row when AUDIT is yes, none when no). */
static void route_allowed(const struct route *rt, const char *role, long long mark,
			  const struct resp *r, struct sbuf *err)
{
	if (r->status == 401 || r->status == 403 || r->status >= 500 || r->status == 0) {
		sb_addf(err, "role has capability %s but got %ld", rt->cap, r->status);
		return;
	}
	long n = role_rows(role, NULL, mark, err);
	if (n < 0 || (rt->audit && n < 1) || (!rt->audit && n != 0)) {
		sb_sep(err);
		sb_addf(err, "route table says AUDIT %s but the request wrote %ld audit row(s) for %s",
			rt->audit ? "yes" : "no", n, role);
		if (mark >= 0)
			audit_describe(mark, err);
	}
}

/* A refused caller gets 403 (code "forbidden" for the API), or 404
 * (code "not_found") on a record route — one whose path names a record,
 * so that whether it exists is never told — and exactly one audit row
 * with action "denied". */
static void route_denied(const struct route *rt, const char *role, long long mark,
			 struct resp *r, struct sbuf *err)
{
	json_t *code = json_path(resp_json(r), "error.code");
	bool record = strchr(rt->path, '{') != NULL;
	long want = record ? 404 : 403;
	const char *want_code = record ? "not_found" : "forbidden";
	if (r->status != want)
		sb_addf(err, "expected %ld (lacks %s), got %ld", want, rt->cap, r->status);
	else if (strcmp(rt->kind, "api") == 0 &&
		 (!json_is_string(code) || strcmp(json_string_value(code), want_code) != 0))
		sb_addf(err, "expected error.code \"%s\", got %s", want_code,
			json_is_string(code) ? json_string_value(code) : "none");
	long n = role_rows(role, "denied", mark, err);
	if (n != 1) {
		sb_sep(err);
		sb_addf(err, "expected 1 audit row action=denied for %s, found %ld", role, n);
		if (mark >= 0)
			audit_describe(mark, err);
	}
}

static void route_role(const struct route *rt, const char *role, bool allowed, struct client *c,
		       const struct vars *v)
{
	char what[512];
	snprintf(what, sizeof what, "%s %s as %s%s", rt->method, rt->path, role, allowed ? " (allowed)" : "");
	struct resp r = {0};
	struct sbuf err = {0};
	long long mark = audit_mark(&err);
	route_request(c, rt, var_get(v, "csrf"), &r);
	if (allowed)
		route_allowed(rt, role, mark, &r, &err);
	else
		route_denied(rt, role, mark, &r, &err);
	route_result(what, &err, &r);
	resp_free(&r);
	sb_free(&err);
}

/* A CSRF=yes route refuses a caller who may use it but sends no token:
 * 403 (code "csrf" for the API).  c is signed in as role, or anonymous
 * when role is NULL. */
static void route_csrf(const struct route *rt, const char *role, struct client *c)
{
	char what[512];
	snprintf(what, sizeof what, "%s %s without CSRF token as %s", rt->method, rt->path,
		 role ? role : "anonymous");
	struct resp r = {0};
	struct sbuf err = {0};
	route_request(c, rt, NULL, &r);
	json_t *code = json_path(resp_json(&r), "error.code");
	if (r.status != 403)
		sb_addf(&err, "expected 403, got %ld", r.status);
	else if (strcmp(rt->kind, "api") == 0 &&
		 (!json_is_string(code) || strcmp(json_string_value(code), "csrf") != 0))
		sb_addf(&err, "expected error.code \"csrf\", got %s",
			json_is_string(code) ? json_string_value(code) : "none");
	route_result(what, &err, &r);
	resp_free(&r);
	sb_free(&err);
}

/* Every non-public route refuses anonymous callers and every role
 * without its capability; roles with it are not refused (GET routes
 * without parameters only, to avoid side effects and object checks) and
 * audit as the table says; every CSRF=yes route refuses a missing token. */
static void routes_run(void)
{
	struct route *rt = NULL;
	char *caps[8] = {0};
	struct client anon, cl[7];
	struct vars v[7];
	memset(v, 0, sizeof v);
	struct sbuf why = {0};
	int n = routes_load(&rt, &why);
	if (n < 0) {
		fail("routes: %s", why.p);
		sb_free(&why);
		return;
	}
	bool have_caps = caps_load(caps, &why) == 0;
	if (!have_caps)
		fail("routes: %s (role checks skipped)", why.p);
	sb_reset(&why);

	client_init(&anon);
	struct route login = {"GET", "/login", "public", "page", false, false};
	struct resp lr = {0};
	char *anon_tok = NULL;
	route_request(&anon, &login, NULL, &lr);
	regex_match("name=\"csrf_token\" value=\"([^\"]+)\"", sb_str(&lr.body), &anon_tok, &why);
	resp_free(&lr);
	sb_reset(&why);

	bool in[7] = {false};
	for (int i = 0; roles[i] && have_caps; i++) {
		client_init(&cl[i]);
		in[i] = sign_in(&cl[i], &v[i], roles[i], &why) == 0;
		if (!in[i])
			fail("routes: %s (checks as %s skipped)", why.p, roles[i]);
		sb_reset(&why);
	}
	for (int k = 0; k < n; k++) {
		if (strcmp(rt[k].cap, "public") == 0)
			continue;
		route_anon(&rt[k], &anon, anon_tok);
		for (int i = 0; roles[i] && have_caps; i++) {
			bool allowed = has_cap(caps[i], rt[k].cap);
			if (!in[i] || (allowed && (strcmp(rt[k].method, "GET") != 0 || strchr(rt[k].path, '{'))))
				continue;
			route_role(&rt[k], roles[i], allowed, &cl[i], &v[i]);
		}
	}
	/* Last, because a route that wrongly accepts the request may end the
	 * session (sign-out) or change state. */
	for (int k = 0; k < n; k++) {
		if (!rt[k].csrf || !state_changing(rt[k].method))
			continue;
		if (strcmp(rt[k].cap, "public") == 0) {
			route_csrf(&rt[k], NULL, &anon);
			continue;
		}
		for (int i = 0; roles[i] && have_caps; i++)
			if (in[i] && has_cap(caps[i], rt[k].cap)) {
				route_csrf(&rt[k], roles[i], &cl[i]);
				break;
			}
	}
	for (int i = 0; roles[i] && have_caps; i++) {
		client_free(&cl[i]);
		vars_free(&v[i]);
	}
	client_free(&anon);
	free(anon_tok);
	for (int k = 0; k < n; k++) {
		free(rt[k].method);
		free(rt[k].path);
		free(rt[k].cap);
		free(rt[k].kind);
	}
	free(rt);
	for (int i = 0; i < 8; i++)
		free(caps[i]);
	sb_free(&why);
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: httptest --hearth PATH --cases DIR [--db-server URL] [--filter SUBSTR] [--keep]\n");
	exit(2);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[PATH_MAX + 256];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* server with its database name replaced by name (keeping ?options):
 * postgresql://u@h:p/ + x -> postgresql://u@h:p/x */
static void pg_url_with(const char *server, const char *name, char *out, size_t n)
{
	const char *auth = strstr(server, "://");
	auth = auth ? auth + 3 : server;
	const char *slash = strchr(auth, '/'), *query = strchr(auth, '?');
	size_t base = slash ? (size_t)(slash - server) : query ? (size_t)(query - server) : strlen(server);
	snprintf(out, n, "%.*s/%s%s", (int)base, server, name, query ? query : "");
}

/* Run one statement on the server's "postgres" database; 0 or -1. */
static int pg_admin(const char *sql, struct sbuf *err)
{
	char url[PATH_MAX];
	pg_url_with(R.pg_server, "postgres", url, sizeof url);
	PGconn *c = PQconnectdb(url);
	int rc = -1;
	if (PQstatus(c) != CONNECTION_OK) {
		sb_addf(err, "cannot connect to %s: %.*s", url, msg_len(PQerrorMessage(c)), PQerrorMessage(c));
	} else {
		PGresult *res = PQexec(c, sql);
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			rc = 0;
		else
			sb_addf(err, "%s: %.*s", sql, msg_len(PQresultErrorMessage(res)),
				PQresultErrorMessage(res));
		PQclear(res);
	}
	PQfinish(c);
	return rc;
}

/* Make this run's own database on --db-server and point R.db_url at it:
 * a copy of $HEARTH_PG_TEMPLATE (already seeded by `hearth demo`) if that
 * is set; returns true then, false if the database is empty and still to
 * be seeded. */
static bool pg_create(void)
{
	struct sbuf sql = {0}, err = {0};
	struct timespec ts;
	const char *tpl = getenv("HEARTH_PG_TEMPLATE");
	if (tpl && !*tpl)
		tpl = NULL;
	for (const char *c = tpl; c && *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
			die("HEARTH_PG_TEMPLATE=%s: not a plain database name ([a-z0-9_])", tpl);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(R.pg_name, sizeof R.pg_name, "hearth_http_%ld_%ld", (long)getpid(), (long)ts.tv_nsec);
	sb_addf(&sql, "CREATE DATABASE %s", R.pg_name);   /* our own name: no quoting needed */
	if (tpl)
		sb_addf(&sql, " TEMPLATE %s", tpl);
	if (pg_admin(sql.p, &err) != 0)
		die("cannot create a test database on %s: %s", R.pg_server, err.p);
	pg_url_with(R.pg_server, R.pg_name, R.db_url, sizeof R.db_url);
	sb_free(&sql);
	sb_free(&err);
	return tpl != NULL;
}

/* Drop this run's database (the server has stopped). */
static void pg_drop(void)
{
	struct sbuf sql = {0}, err = {0};
	if (R.pg)
		PQfinish(R.pg);
	R.pg = NULL;
	sb_addf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", R.pg_name);
	if (pg_admin(sql.p, &err) != 0)
		fail("cannot drop the test database: %s", err.p);
	sb_free(&sql);
	sb_free(&err);
}

/* Create the temporary database with `hearth demo`. */
static void demo_seed(void)
{
	char *argv[] = {(char *)R.hearth, "demo", "--db", R.db_url, NULL};
	char demo_log[PATH_MAX + 16];
	snprintf(demo_log, sizeof demo_log, "%s/demo.log", R.tmp);
	int st = run_cmd(argv, demo_log, NULL);
	if (st != 0) {
		char how[128];
		size_t n;
		char *log = read_file(demo_log, &n);
		status_str(st, how, sizeof how);
		die("`%s demo --db %s` failed (%s):\n%s", R.hearth, R.db_url, how, log ? log : "");
	}
}

/* The audit chain the whole run wrote still verifies. */
static void audit_verify(void)
{
	char *argv[] = {(char *)R.hearth, "audit", "verify", "--db", R.db_url, NULL};
	struct sbuf out = {0};
	int st = run_cmd(argv, NULL, &out);
	if (st == 0) {
		pass("audit: hearth audit verify accepts the log after the run");
	} else {
		char how[128];
		status_str(st, how, sizeof how);
		struct sbuf msg = {0};
		snippet(&msg, sb_str(&out), out.len);
		fail("audit: hearth audit verify failed (%s): %s", how, sb_str(&msg));
		sb_free(&msg);
	}
	sb_free(&out);
}

/* Stop the server; a sanitizer report or a crash at exit is a failure. */
static void finish_server(void)
{
	int st = server_stop();
	char how[128];
	if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
	    !(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)) {
		status_str(st, how, sizeof how);
		struct sbuf msg = {0};
		log_tail(&msg, 20);
		fail("server: stopping with SIGTERM ended in %s%s", how, msg.p);
		sb_free(&msg);
	} else if (st == -2) {
		fail("server: did not stop within 5 s of SIGTERM (killed)");
	}
	size_t n;
	char *log = read_file(R.log_path, &n);
	const char *bad[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", NULL};
	for (int i = 0; log && bad[i]; i++)
		if (strstr(log, bad[i]))
			fail("server: its log has a sanitizer report (\"%s\"); see %s", bad[i], R.log_path);
	free(log);
}

int main(int argc, char **argv)
{
	const char *cases = NULL, *filter = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hearth") == 0 && i + 1 < argc)
			R.hearth = argv[++i];
		else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc)
			cases = argv[++i];
		else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
			filter = argv[++i];
		else if (strcmp(argv[i], "--db-server") == 0 && i + 1 < argc)
			R.pg_server = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			R.keep = true;
		else
			usage();
	}
	if (!R.hearth || !cases)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	static char hearth_abs[PATH_MAX];
	if (!realpath(R.hearth, hearth_abs))
		die("%s: %s", R.hearth, strerror(errno));
	R.hearth = hearth_abs;

	atexit(on_exit_cleanup);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		signal(sigs[i], on_signal);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	oath_init();

	const char *tmpdir = getenv("TMPDIR");
	snprintf(R.tmp, sizeof R.tmp, "%s/hearth-http-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(R.tmp))
		die("mkdtemp: %s", strerror(errno));
	snprintf(R.db_path, sizeof R.db_path, "%s/test.db", R.tmp);
	snprintf(R.db_url, sizeof R.db_url, "sqlite:%s", R.db_path);
	R.backend = "sqlite";
	bool seeded = false;
	if (R.pg_server) {
		R.backend = "postgresql";
		seeded = pg_create();
	}
	printf("httptest: database %s%s%s\n", R.db_url, seeded ? ", a copy of " : "",
	       seeded ? getenv("HEARTH_PG_TEMPLATE") : "");
	snprintf(R.log_path, sizeof R.log_path, "%s/server.log", R.tmp);

	if (!seeded)
		demo_seed();
	struct sbuf why = {0};
	if (server_start(&why) != 0)
		die("cannot start `%s serve`: %s", R.hearth, sb_str(&why));
	sb_free(&why);

	cases_run(cases, filter);
	if (!filter || strstr("routes", filter))
		routes_run();

	finish_server();
	audit_verify();
	if (R.db)
		sqlite3_close(R.db);
	if (R.pg_server && !R.failed && !R.keep)
		pg_drop();
	if (R.pg)
		PQfinish(R.pg);
	curl_global_cleanup();
	oath_done();
	if (R.failed && !R.keep)
		printf("(server log and database kept in %s%s%s)\n", R.tmp,
		       R.pg_server ? " and " : "", R.pg_server ? R.db_url : "");
	else if (!R.keep)
		rm_tree(R.tmp);
	printf("http: %d passed, %d failed\n", R.passed, R.failed);
	return R.failed ? 1 : 0;
}
