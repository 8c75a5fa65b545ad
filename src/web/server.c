/* server.c — libmicrohttpd glue: connections in, responses out.
 *
 * MHD runs an internal pool of network threads (one per core by
 * default); each thread, like each worker thread below, lazily opens its
 * own database connection, kept for the life of the thread.  For each
 * request we gather the body (refusing more than REQ_BODY_MAX), build a
 * struct req, hand it to the dispatcher, and queue its response with the
 * security headers every response carries.  Only quick routes (route.h)
 * are dispatched on the network thread that read them; every other
 * request goes to a worker thread (web/workq.h), its connection suspended
 * until the worker has made the answer, so that a sign-in's password hash
 * or a report never holds up the other connections of a network thread.  One
 * access-log line per request goes to standard error, when the response
 * is queued (written out in batches: base/logbuf.h).
 *
 * Reads (GET, HEAD) do not commit their audit rows one by one: the rows
 * are held while the handler runs (audit_defer_begin), and the answer is
 * kept, not queued, with the rows held for the pool thread
 * (audit_defer_hold).  libmicrohttpd calls on_request again for a request
 * that has no answer yet — after the other connections of the same pool
 * thread that were ready — and the first such call, on any pool thread,
 * commits the rows every thread holds in one transaction, on the audit
 * writer's connection (audit_defer_flush, core/audit.h), before any of
 * their answers is queued; if the commit failed, the error (a storage fault's 503) goes in
 * place of the answer.  So no answer leaves before its rows are
 * committed, and no connection is suspended, nor a thread woken, for it.
 * Such reads may take the session from the cache of core/auth.c; the
 * commit checks it in the same transaction, and a request whose cached
 * session has changed (AUDIT_STALE) is handled again from the database.
 * Other methods audit in their own transactions, as the CLI does. */
#include "web/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/err.h"
#include "base/fmt.h"
#include "base/logbuf.h"
#include "base/logsafe.h"
#include "core/audit.h"
#include "core/auth.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"
#include "web/upload.h"
#include "web/workq.h"

#define SECURITY_CSP "default-src 'self'; script-src 'self'; style-src 'self';" \
	" img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none';" \
	" form-action 'self'; frame-ancestors 'none'"

static const struct server_opts *opts;
static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;

const char *server_db_url(void)
{
	return opts ? opts->db_url : NULL;
}

static void db_key_free(void *p) { db_close(p); }
static void db_key_make(void) { pthread_key_create(&db_key, db_key_free); }

/* This thread's connection, opened on first use (NULL if it cannot be). */
static struct db *thread_db(void)
{
	pthread_once(&db_key_once, db_key_make);
	struct db *db = pthread_getspecific(db_key);
	if (db)
		return db;
	char *msg = NULL;
	if (db_open(opts->db_url, &db, &msg) != HE_OK) {
		fprintf(stderr, "hearth: %s\n", msg ? msg : "cannot open database");
		free(msg);
		return NULL;
	}
	pthread_setspecific(db_key, db);
	return db;
}

/* Per-connection state across the access handler's calls. */
struct conn_state {
	struct upload *up;
	struct timespec start;
	struct MHD_Connection *conn;
	const struct route *route;  /* the request's route (NULL: none), looked up once */
	struct req *waiting;   /* an answer held until its audit rows are committed */
	atomic_bool held;      /* its rows are held, not yet committed */
	uint64_t ticket;       /* the commit that takes them (audit_defer_flush) */
	int audit_rc;          /* its result: set by audit_done before held clears */
	/* A request run on a worker thread: the connection is suspended
	 * from workq_submit until the worker has made r's answer (resumed). */
	struct workq_job job;
	struct req *r;
	const char *method, *url;
};

/* Reads hold their audit rows for the audit writer's connection
 * (core/audit.h) while it runs. */
static atomic_int writer_on;
/* The worker threads for requests whose routes are not quick (NULL: none;
 * every request then runs on its network thread). */
static struct workq *workers;

static void client_ip(struct MHD_Connection *c, char out[64])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, 64, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
}

static void add_security_headers(struct MHD_Response *resp, const struct req *r)
{
	MHD_add_response_header(resp, "Content-Security-Policy", SECURITY_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=()");
	if (!r->route || r->route->kind != ROUTE_ASSET)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
}

/* One line per request on standard error, written in batches
 * (base/logbuf.h: a write(2) per line was ~8 % of a GET's CPU).  The
 * method and path are the
 * client's bytes (MHD has decoded the path, so a %0A in it is a newline
 * here, %FF a byte that is not UTF-8): written escaped (base/logsafe.h),
 * so one request is always one line and a path cannot forge another. */
/* Decimal digits of v onto b (the access log's numbers: printf's
 * machinery, with its double, was most of the line's cost). */
static void put_uint(struct buf *b, unsigned long long v)
{
	char d[24], *p = d + sizeof d;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	buf_append(b, p, (size_t)(d + sizeof d - p));
}

static pthread_key_t line_key;
static pthread_once_t line_once = PTHREAD_ONCE_INIT;

static void line_free(void *p)
{
	buf_free(p);
	free(p);
}

static void line_key_make(void) { pthread_key_create(&line_key, line_free); }

/* This thread's access-log line buffer, made on first use and freed when
 * the thread ends. */
static struct buf *line_buf(void)
{
	pthread_once(&line_once, line_key_make);
	struct buf *b = pthread_getspecific(line_key);
	if (!b) {
		b = xcalloc(1, sizeof *b);
		buf_init(b, 4096);
		pthread_setspecific(line_key, b);
	}
	return b;
}

static void access_log(const struct req *r, size_t bytes, const struct timespec *start)
{
	if (opts->quiet)
		return;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long long ns = (long long)(end.tv_sec - start->tv_sec) * 1000000000LL +
		       (end.tv_nsec - start->tv_nsec);
	unsigned long long tenths = ns > 0 ? (unsigned long long)(ns + 50000) / 100000 : 0;
	char ts[21];
	timestamp_format(time(NULL), ts);
	const char *email = r->signed_in ? r->sess.user.email : "-";
	/* at most 4 bytes out per byte in: well under the cap, so the line
	 * always gets its newline.  The thread's own buffer, kept between
	 * lines (a malloc and free per line were a tenth of the log's cost). */
	struct buf *lb = line_buf();
	buf_reset(lb);
	buf_append(lb, ts, 20);
	buf_putc(lb, ' ');
	buf_puts(lb, r->ip);
	buf_putc(lb, ' ');
	logsafe_append(lb, r->method, strnlen(r->method, 32));
	buf_putc(lb, ' ');
	logsafe_append(lb, r->path, strnlen(r->path, 200));
	buf_putc(lb, ' ');
	put_uint(lb, r->status > 0 ? (unsigned)r->status : 0);
	buf_putc(lb, ' ');
	put_uint(lb, bytes);
	buf_putc(lb, ' ');
	put_uint(lb, tenths / 10);
	buf_putc(lb, '.');
	put_uint(lb, tenths % 10);
	buf_puts(lb, "ms ");
	logsafe_append(lb, email, strnlen(email, 256));
	buf_putc(lb, '\n');
	if (!buf_err(lb))
		logbuf_line(lb->data, lb->len);
}

/* A request that failed (5xx) while the database could not write — its
 * disk full, read-only, or failing (db_storage_state) — answers 503 with
 * what is wrong instead of whatever error the handler made of it: the
 * change was rolled back (nothing was saved), or a read that must write
 * its audit row first was refused rather than shown unaudited.  Reads
 * that write nothing go on being served.  met: this request met a
 * storage fault itself (this thread's count of them moved during the
 * request, or the commit of its deferred audit rows failed), so it counts
 * even if another request's commit has since cleared the state.  saved:
 * a change of this request committed before the fault (a create whose
 * read-back could not write its "view" row): the answer says it was saved
 * and must not be made again ("saved": true in JSON), not "nothing was
 * saved". */
static void storage_answer(struct req *r, bool met, bool saved)
{
	enum db_storage kind = db_storage_state();
	if (r->status < 500 || (!met && kind == DB_STORAGE_OK))
		return;
	if (kind == DB_STORAGE_OK)
		kind = DB_STORAGE_FAILED;
	bool read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	char msg[256];
	if (read && r->route && r->route->audit)
		snprintf(msg, sizeof msg, "Hearth cannot show this just now: %s, and every look at a"
			 " family's or pupil's record must be written to the audit log first. Try again"
			 " later.", db_storage_reason(kind));
	else if (read)
		snprintf(msg, sizeof msg, "Hearth cannot show this just now: %s. Try again later.",
			 db_storage_reason(kind));
	else if (saved)
		snprintf(msg, sizeof msg, "Your change was saved, but Hearth cannot show it just now:"
			 " %s. Do not make the change again; look at it later.", db_storage_reason(kind));
	else
		snprintf(msg, sizeof msg, "Hearth cannot save changes just now: %s. Nothing was"
			 " saved; try again later.", db_storage_reason(kind));
	r->nheaders = 0;
	req_set_header(r, "Retry-After", "60");
	bool api = r->route ? r->route->kind != ROUTE_PAGE : strncmp(r->path, "/api/", 5) == 0;
	if (!api) {
		errinfo_set(&r->err, HE_DB_READONLY, "", "%s", msg);
		page_error(r, HE_DB_READONLY);
		return;
	}
	req_json(r, 503);
	fmt_printf(&r->out, "{\"error\":{\"code\":%j,\"message\":%j}%s}\n", db_storage_code(kind), msg,
		   saved && !read ? ",\"saved\":true" : "");
}

/* Answer code before any route is looked up: JSON under /api/, else a
 * page. */
static void early_error(struct req *r, int code)
{
	r->status = err_http_status(code);
	if (strncmp(r->path, "/api/", 5) == 0)
		req_json_error(r, code);
	else
		page_error(r, code);
}

/* Give freed heap back to the kernel at most every TRIM_SECONDS.  The
 * trim threshold (server_malloc_tune) only returns free memory at the top
 * of a heap; the pages freed inside it, between live blocks, stay in the
 * process.  Under a soak that is 10-25 MB, a high-water mark that creeps
 * up as the mix of live blocks moves (bench/soak: SOAK_HEAP=1).
 * malloc_trim(0) hands those pages back (madvise) as well; it holds each
 * malloc arena's lock for about a millisecond, so once every few seconds
 * costs nothing measurable, and the process's memory follows what it
 * uses.  The request that happens to cross the mark pays, after its
 * answer is queued. */
#define TRIM_SECONDS 5
static _Atomic time_t trimmed_at;

static void maybe_trim(void)
{
	time_t now = time(NULL), last = atomic_load_explicit(&trimmed_at, memory_order_relaxed);
	if (now - last < TRIM_SECONDS ||
	    !atomic_compare_exchange_strong(&trimmed_at, &last, now))
		return;
	malloc_trim(0);
}

/* Send r's answer: queue the response, log the request, free r. */
static enum MHD_Result answer(struct MHD_Connection *c, struct conn_state *cs, struct req *r)
{
	size_t len = r->out.len;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf_take(&r->out),
								    MHD_RESPMEM_MUST_FREE);
	add_security_headers(resp, r);
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	access_log(r, len, &cs->start);
	if (r->upload_taken)
		upload_keep_file(cs->up);
	arena_free(&r->arena);
	free(r);
	maybe_trim();
	return ret;
}

/* Free r without answering it. */
static void discard(struct req *r)
{
	buf_free(&r->out);
	arena_free(&r->arena);
	free(r);
}

/* The deferred audit rows of r could not be committed (rc): what the
 * handler made is never shown.  r answers as if audit_alone had returned
 * rc to the handler — a storage fault gives storage_answer's 503. */
static void audit_failed(struct req *r, int rc)
{
	char *path = logsafe_dup(r->path);
	fprintf(stderr, "hearth: %s %s: its audit rows could not be written (%s): not shown\n",
		r->method, path ? path : "", err_name(rc));
	free(path);
	buf_free(&r->out);
	buf_init(&r->out, 0);
	r->nheaders = 0;
	r->content_type = NULL;
	memset(&r->err, 0, sizeof r->err);
	r->status = err_http_status(rc);
	bool api = r->route ? r->route->kind != ROUTE_PAGE : strncmp(r->path, "/api/", 5) == 0;
	if (api)
		req_json_error(r, rc);
	else
		page_error(r, rc);
	storage_answer(r, true, false);
}

/* Called by audit_defer_flush once the rows of the request cs waits
 * for are committed (or not): its answer may go. */
static void audit_done(void *arg, int rc)
{
	struct conn_state *cs = arg;
	cs->audit_rc = rc;
	atomic_store_explicit(&cs->held, false, memory_order_release);
}

/* Whether r's audit rows may be held for the writer: reads (GET, HEAD),
 * whose rows nothing else in the request waits for. */
static bool may_defer(const struct req *r)
{
	return writer_on && (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0);
}

static enum MHD_Result respond(struct MHD_Connection *c, struct conn_state *cs,
			       const char *method, const char *url, bool again);

/* r's held audit rows were committed, or not (rc): a cached session that
 * has changed since (AUDIT_STALE: nothing of r was written or sent, so it
 * is handled again from the database), or a failed commit (the error in
 * place of the answer). */
static enum MHD_Result audit_settled(struct MHD_Connection *c, struct conn_state *cs,
				     struct req *r, int rc, const char *method, const char *url)
{
	if (rc == AUDIT_STALE) {
		discard(r);
		return respond(c, cs, method, url, true);
	}
	if (rc != HE_OK)
		audit_failed(r, rc);
	return answer(c, cs, r);
}

/* A request for method url on c, its answer not yet made. */
static struct req *req_new(struct MHD_Connection *c, struct conn_state *cs,
			   const char *method, const char *url)
{
	struct req *r = xcalloc(1, sizeof *r);
	arena_init(&r->arena);
	buf_init(&r->out, 0);
	r->conn = c;
	r->method = method;
	r->path = url;
	r->route = cs->route;
	upload_to_req(cs->up, r);
	/* the connection's address, made by on_connection */
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	memcpy(r->ip, ci->socket_context, sizeof r->ip);
	r->secure = opts->secure_cookies != 0;
	return r;
}

/* Run r on this thread's database connection, making its answer.  A read
 * whose audit rows are held returns them (r's answer must wait for their
 * commit); NULL otherwise.  Reads whose rows are held may answer from the
 * session cache (auth_cache_allow); again: the request is handled a second
 * time because the cached session it answered from changed (AUDIT_STALE),
 * so this time it reads the session from the database. */
static struct audit_deferred *handle(struct conn_state *cs, struct req *r, bool again)
{
	r->db = thread_db();
	int refused = upload_error(cs->up, &r->err);  /* 413 too large, 400 malformed */
	if (refused) {
		early_error(r, refused);
		return NULL;
	}
	if (!r->db) {	/* the database cannot be reached: 503 */
		early_error(r, HE_UNAVAILABLE);
		return NULL;
	}
	uint64_t faults = db_storage_faults(), commits = db_write_commits();
	bool defer = may_defer(r);
	if (defer)
		audit_defer_begin();
	auth_cache_allow(r->db, defer && !again);
	route_dispatch(r);
	auth_cache_allow(r->db, false);
	storage_answer(r, db_storage_faults() != faults, db_write_commits() != commits);
	return defer ? audit_defer_end() : NULL;
}

/* On a worker thread: run the request of cs, wait here for its audit rows
 * (if any) to be committed, and resume the connection, whose next call
 * sends the answer (on_request). */
static void run_job(struct workq_job *job)
{
	struct conn_state *cs = (struct conn_state *)((char *)job - offsetof(struct conn_state, job));
	for (bool again = false;; again = true) {
		struct audit_deferred *d = handle(cs, cs->r, again);
		if (!d)
			break;
		atomic_store(&cs->held, true);
		audit_defer_flush(cs->r->db, audit_defer_hold(d, audit_done, cs));
		if (cs->audit_rc != AUDIT_STALE) {
			if (cs->audit_rc != HE_OK)
				audit_failed(cs->r, cs->audit_rc);
			break;
		}
		discard(cs->r);	/* nothing of it was written or sent */
		cs->r = req_new(cs->conn, cs, cs->method, cs->url);
	}
	MHD_resume_connection(cs->conn);
}

/* Handle the request: on a worker thread if its route is not quick (the
 * connection suspended meanwhile), else here, answering it now or, when
 * its audit rows are held, on the next call (on_request). */
static enum MHD_Result respond(struct MHD_Connection *c, struct conn_state *cs,
			       const char *method, const char *url, bool again)
{
	struct req *r = req_new(c, cs, method, url);
	if (workers && !again && cs->route && !cs->route->quick) {
		/* Suspend first: the worker may resume it at once. */
		cs->r = r;
		cs->method = method;
		cs->url = url;
		MHD_suspend_connection(c);
		if (workq_submit(workers, &cs->job, run_job))
			return MHD_YES;
		cs->r = NULL;	/* stopping: run here */
		MHD_resume_connection(c);
	}
	struct audit_deferred *d = handle(cs, r, again);
	if (d) {
		/* No answer yet: libmicrohttpd calls on_request again,
		 * and that call commits the rows (on_request). */
		cs->waiting = r;
		cs->audit_rc = HE_OK;
		atomic_store(&cs->held, true);
		cs->ticket = audit_defer_hold(d, audit_done, cs);
		return MHD_YES;
	}
	return answer(c, cs, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *data, size_t *size, void **con_cls)
{
	(void)cls; (void)version;
	struct conn_state *cs = *con_cls;
	if (!cs) {
		cs = xcalloc(1, sizeof *cs);
		cs->route = route_lookup(method, url);
		cs->up = upload_new(c, cs->route);
		cs->conn = c;
		clock_gettime(CLOCK_MONOTONIC, &cs->start);
		*con_cls = cs;
		return MHD_YES;
	}
	if (cs->r) {	/* resumed: a worker has made its answer */
		struct req *r = cs->r;
		cs->r = NULL;
		return answer(c, cs, r);
	}
	if (cs->waiting) {	/* called again for an answer held for its audit rows */
		struct req *r = cs->waiting;
		/* The first such call, on any pool thread, commits the rows
		 * held by them all; the others' are committed by then.
		 * thread_db: the connection r was handled on. */
		if (atomic_load_explicit(&cs->held, memory_order_acquire))
			audit_defer_flush(thread_db(), cs->ticket);
		cs->waiting = NULL;
		return audit_settled(c, cs, r, cs->audit_rc, method, url);
	}
	if (*size) {
		upload_feed(cs->up, data, *size);
		*size = 0;
		return MHD_YES;
	}
	return respond(c, cs, method, url, false);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)c; (void)toe;
	struct conn_state *cs = *con_cls;
	if (cs) {
		/* Closed with its answer held (the client went, or shutdown):
		 * its rows are committed first, since the commit that takes
		 * them tells cs. */
		if (atomic_load_explicit(&cs->held, memory_order_acquire))
			audit_defer_flush(thread_db(), cs->ticket);
		if (cs->waiting)
			discard(cs->waiting);
		/* A worker's answer not sent: closed at shutdown, once the
		 * workers had stopped (a suspended connection is closed only
		 * then). */
		if (cs->r)
			discard(cs->r);
		upload_free(cs->up);
		free(cs);
		*con_cls = NULL;
	}
}

/* The client's address as text, made once per connection (each of its
 * requests copies it) and freed with it. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		char *ip = xmalloc(64);
		client_ip(c, ip);
		*socket_context = ip;
	} else {
		free(*socket_context);
		*socket_context = NULL;
	}
}

static int parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return HE_USAGE;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return HE_USAGE;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa->sin_addr) != 1)
		return HE_USAGE;
	return HE_OK;
}

/* Keep freed heap memory instead of handing it back to the kernel at once.
 * glibc trims the top of the heap (brk) whenever more than its threshold
 * (128 KiB, raised only by large freed mmap chunks) lies free there, and
 * under GET /api/v1/me SQLite's statement savepoint (each audit INSERT in
 * a batch opens one and frees it) freed such a top again and again: every trim
 * unmaps pages, which on several cores means a TLB shoot-down, and the
 * next malloc faults them back in (0.2-0.3 brk and page faults per
 * request, ~10 % of the CPU against a fixed 128 KiB threshold:
 * bench/README.md).  A fixed 1 MiB trim threshold already stopped that,
 * and keeps at most that much free heap from going back (the soak judges
 * anonymous RSS).  Setting it also fixes the mmap threshold, so that is
 * set too: blocks of 4 MiB and more (exports, big reports) still come
 * from mmap and go back on free.  MALLOC_TRIM_THRESHOLD_ and
 * MALLOC_MMAP_THRESHOLD_ in the environment win. */
static void server_malloc_tune(void)
{
	if (!getenv("MALLOC_TRIM_THRESHOLD_"))
		mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	if (!getenv("MALLOC_MMAP_THRESHOLD_"))
		mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}

/* The audit writer, on a connection of its own, and its checkpointer on
 * another (core/audit.h).  Without the first, reads commit their rows on
 * their own threads, as the CLI does; without the second, the writer's
 * commits checkpoint as any other connection's. */
static struct db *writer_db, *checkpoint_db;

static void start_writer(void)
{
	char *msg = NULL;
	if (db_open(opts->db_url, &writer_db, &msg) != HE_OK) {
		fprintf(stderr, "hearth: no audit writer: %s\n", msg ? msg : "cannot open database");
		free(msg);
		return;
	}
	/* PostgreSQL has no log for it to copy (db_log_watch) */
	if (strcmp(db_backend(writer_db), "sqlite") != 0)
		checkpoint_db = NULL;
	else if (db_open(opts->db_url, &checkpoint_db, &msg) != HE_OK) {
		fprintf(stderr, "hearth: no checkpointer: %s\n", msg ? msg : "cannot open database");
		free(msg);
		checkpoint_db = NULL;
	}
	if (audit_writer_start(writer_db, checkpoint_db) != HE_OK) {
		db_close(writer_db);
		if (checkpoint_db)
			db_close(checkpoint_db);
		writer_db = checkpoint_db = NULL;
		return;
	}
	writer_on = 1;
}

static void stop_writer(void)
{
	if (!writer_db)
		return;
	audit_writer_stop();
	writer_on = 0;
	db_close(writer_db);
	if (checkpoint_db)
		db_close(checkpoint_db);
	writer_db = checkpoint_db = NULL;
}

int server_run(const struct server_opts *o)
{
	struct sockaddr_in sa;
	opts = o;
	if (parse_listen(o->listen, &sa)) {
		fprintf(stderr, "hearth: --listen must be HOST:PORT, e.g. 127.0.0.1:8080\n");
		return HE_USAGE;
	}
	server_malloc_tune();
	/* One network thread per core, as bare libmicrohttpd.  Fewer threads
	 * batch reads' audit rows better: a thread holds the rows of every
	 * request it found ready before it comes back to one of them and
	 * commits (on_request), so the fewer threads, the more rows a commit
	 * and the fewer commits.  GET /api/v1/me on 2 cores (wrk -c64,
	 * bench/README.md session 21): 23-25 us of CPU a request at 1 thread
	 * per core, 29-30 at 2, 32-40 at 8 (the default before, with a writer
	 * thread: 31-35).  A network thread runs only quick routes (route.c);
	 * the rest — a password to hash (argon2id, ~70 ms here), a report
	 * page's queries (up to a few hundred ms), a write that may wait for
	 * the database — go to the worker threads, four per core, so that
	 * none of them holds up the connections of a network thread (half of
	 * them on 2 cores).  --threads and --workers set other counts. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned cores = ncpu > 0 ? (unsigned)ncpu : 2;
	unsigned threads = o->threads ? o->threads : cores;
	unsigned nworkers = o->workers ? o->workers : 4 * cores;
	/* Block the stop signals before MHD starts its threads (they inherit
	 * the mask), then wait for them here: a signal delivered to a worker
	 * thread could not wake a pause() in this one. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	start_writer();
	workers = o->workers == WORKERS_NONE ? NULL : workq_start(nworkers);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME,
		0, NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_CONNECTION_LIMIT, 1000u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 200u,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		/* A connection's memory holds its request's headers and
		 * libmicrohttpd clears all of it after every request (a 32 KiB
		 * clear was 5 % of GET /api/v1/me's CPU): 16 KiB serves headers
		 * up to about 15 KiB, more than Apache's or nginx's default
		 * 8 KiB a line (tests/http/cases/big-headers.http). */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "hearth: cannot listen on %s: %s\n", o->listen, strerror(errno));
		workq_free(workers);
		workers = NULL;
		stop_writer();
		return HE_UNAVAILABLE;
	}
	if (!o->quiet)
		logbuf_start(STDERR_FILENO);
	printf("Hearth listening on http://%s/\n", o->listen);
	fflush(stdout);
	int sig;
	sigwait(&stop, &sig);
	fprintf(stderr, "hearth: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* The workers finish every request handed to them and refuse new
	 * ones, which the network threads then run themselves (the queue
	 * stays allocated until they have ended: they may still offer it
	 * one); the workers' connections are resumed; MHD's threads commit
	 * the rows they hold before they end (an answer held for them is not
	 * sent); then the writer's connection closes. */
	workq_stop(workers);
	MHD_stop_daemon(d);
	workq_free(workers);
	workers = NULL;
	stop_writer();
	logbuf_stop();
	auth_cache_clear();
	return HE_OK;
}
