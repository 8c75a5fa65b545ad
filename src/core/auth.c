/* auth.c — sign-in, sessions, throttling and TOTP (see auth.h). */
#include "core/auth.h"

#include <inttypes.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/sha256.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/pwhash.h"
#include "store/db.h"

#define TOTP_STEP 30

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static void oath_start(void) { oath_init(); }

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static void dummy_make(void)
{
	char pw[AUTH_TOKEN_HEX + 1];
	auth_random_token(pw);
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		abort();
}

void auth_random_token(char out[AUTH_TOKEN_HEX + 1])
{
	unsigned char raw[AUTH_TOKEN_HEX / 2];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, AUTH_TOKEN_HEX + 1, raw, sizeof raw);
}

/* SHA-256 of the token, as sessions.token_hash stores it (every signed-in
 * request hashes its cookie: base/sha256.h). */
static void token_hash(const char *token, char out[AUTH_TOKEN_HEX + 1])
{
	sha256_hex(token, strlen(token), out);
}

bool auth_csrf_ok(const char *expected, const char *presented)
{
	if (!expected || !presented || !*expected || strlen(presented) != strlen(expected))
		return false;
	return sodium_memcmp(expected, presented, strlen(expected)) == 0;
}

static void stamp(time_t t, char out[21])
{
	timestamp_format(t, out);
}

/* Failures within the lock window for this email, and from this address
 * (whatever email it tried: password spraying). */
static int recent_failures(struct db *db, const char *email, const char *ip, time_t now,
			   int64_t *by_email, int64_t *by_ip)
{
	char since[21];
	stamp(now - AUTH_LOCK_SECONDS, since);
	struct db_stmt *st = db_prepare(db,
		"SELECT coalesce(sum(CASE WHEN email = :e THEN 1 ELSE 0 END), 0),"
		" coalesce(sum(CASE WHEN ip = :ip THEN 1 ELSE 0 END), 0)"
		" FROM login_failures WHERE at > :since AND (email = :e OR ip = :ip)");
	db_bind_text(st, ":e", email);
	db_bind_text(st, ":ip", ip);
	db_bind_text(st, ":since", since);
	*by_email = *by_ip = 0;
	if (db_next(st)) {
		*by_email = db_int(st, 0);
		*by_ip = db_int(st, 1);
	}
	return db_finalize(st);
}

/* Record a refused attempt (and count it unless it is a lock-out refusal). */
static int refuse(struct db *db, const struct audit_who *who, const char *email,
		  const char *action, bool count, const char *summary)
{
	char now[21];
	stamp(time(NULL), now);
	int rc = db_begin(db);
	if (rc)
		return rc;
	if (count) {
		struct db_stmt *st = db_prepare(db,
			"INSERT INTO login_failures (email, ip, at) VALUES (:e, :ip, :at)");
		db_bind_text(st, ":e", email);
		db_bind_text(st, ":ip", who->ip);
		db_bind_text(st, ":at", now);
		rc = db_done(st);
		/* Failures older than the window no longer count: forget them. */
		char old[21];
		stamp(time(NULL) - AUTH_LOCK_SECONDS, old);
		st = db_prepare(db, "DELETE FROM login_failures WHERE at <= :old");
		db_bind_text(st, ":old", old);
		if (!rc)
			rc = db_done(st);
		else
			db_finalize(st);
	}
	struct audit_who w = *who;
	w.email = email;
	if (!rc)
		rc = audit(db, &w, action, "users", NULL, summary);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

struct credentials {
	int64_t id;
	char hash[crypto_pwhash_STRBYTES];
	char *totp;          /* base32 secret or NULL (arena) */
	int64_t last_step;
	bool disabled;
};

static int load_credentials(struct db *db, struct arena *a, const char *email,
			    struct credentials *c)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, password_hash, totp_secret, totp_last_step, disabled"
		" FROM users WHERE email = :e");
	db_bind_text(st, ":e", email);
	memset(c, 0, sizeof *c);
	if (db_next(st)) {
		c->id = db_int(st, 0);
		snprintf(c->hash, sizeof c->hash, "%s", db_text(st, 1));
		c->totp = arena_strdup(a, db_text(st, 2));
		c->last_step = db_int(st, 3);
		c->disabled = db_int(st, 4) != 0;
	}
	return db_finalize(st);
}

/* The accepted TOTP step for code, or -1.  Steps at or before last_step
 * are replays and refused. */
static int64_t totp_step(const char *secret_b32, const char *code, int64_t last_step)
{
	char *raw = NULL;
	size_t rawlen = 0;
	int64_t step = -1;
	pthread_once(&oath_once, oath_start);
	if (!code || strlen(code) != 6 ||
	    oath_base32_decode(secret_b32, strlen(secret_b32), &raw, &rawlen) != OATH_OK)
		return -1;
	time_t now = time(NULL);
	int pos = 0;
	if (oath_totp_validate2(raw, rawlen, now, TOTP_STEP, 0, 1, &pos, code) >= 0) {
		step = (int64_t)(now / TOTP_STEP) + pos;
		if (step <= last_step)
			step = -1;
	}
	free(raw);
	return step;
}

int auth_totp_code(const char *secret_b32, time_t t, char out[7])
{
	char *raw = NULL;
	size_t rawlen = 0;
	pthread_once(&oath_once, oath_start);
	if (oath_base32_decode(secret_b32, strlen(secret_b32), &raw, &rawlen) != OATH_OK)
		return HE_INVALID;
	int r = oath_totp_generate(raw, rawlen, t, TOTP_STEP, 0, 6, out);
	free(raw);
	return r == OATH_OK ? HE_OK : HE_INTERNAL;
}

/* Insert a fresh session for uid (new cookie token and CSRF token) inside
 * the caller's transaction; fills s->id, s->csrf and token. */
static int insert_session(struct db *db, const struct audit_who *who, int64_t uid,
			  struct session *s, char token[AUTH_TOKEN_HEX + 1])
{
	char th[AUTH_TOKEN_HEX + 1], now[21], exp[21];
	time_t t = time(NULL);
	auth_random_token(token);
	auth_random_token(s->csrf);
	token_hash(token, th);
	stamp(t, now);
	stamp(t + AUTH_ABSOLUTE_SECONDS, exp);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
		" last_seen, expires_at, ip) VALUES (:th, :uid, :csrf, :now, :now,"
		" :exp, :ip) RETURNING id");
	db_bind_text(st, ":th", th);
	db_bind_int(st, ":uid", uid);
	db_bind_text(st, ":csrf", s->csrf);
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":exp", exp);
	db_bind_text(st, ":ip", who->ip);
	if (db_next(st))
		s->id = db_int(st, 0);
	return db_finalize(st);
}

/* Insert the session and audit the sign-in, in one transaction. */
static int open_session(struct db *db, const struct audit_who *who, int64_t uid,
			int64_t step, struct session *s, char token[AUTH_TOKEN_HEX + 1])
{
	char idtxt[24];
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = insert_session(db, who, uid, s, token)))
		goto fail;
	struct db_stmt *st = db_prepare(db, "DELETE FROM login_failures WHERE email = :e");
	db_bind_text(st, ":e", s->user.email);
	if ((rc = db_done(st)))
		goto fail;
	if (step > 0) {
		st = db_prepare(db, "UPDATE users SET totp_last_step = :s WHERE id = :id");
		db_bind_int(st, ":s", step);
		db_bind_int(st, ":id", uid);
		if ((rc = db_done(st)))
			goto fail;
	}
	struct audit_who w = *who;
	w.user_id = uid;
	w.email = s->user.email;
	w.role = role_name(s->user.role);
	snprintf(idtxt, sizeof idtxt, "%" PRId64, uid);
	if ((rc = audit(db, &w, "login", "users", idtxt, "signed in")))
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}

int auth_login(struct db *db, struct arena *a, const struct audit_who *who,
	       const char *email, const char *password, const char *totp,
	       struct session *s, char token[AUTH_TOKEN_HEX + 1], struct errinfo *e)
{
	char norm[255];
	struct credentials c;
	int64_t failures = 0, ip_failures = 0, step = 0;
	memset(s, 0, sizeof *s);
	if (!email || !*email)
		return errinfo_set(e, HE_MISSING, "email", "Enter your email address");
	if (!password || !*password)
		return errinfo_set(e, HE_MISSING, "password", "Enter your password");
	if (!email_norm(email, norm))
		return errinfo_set(e, HE_INVALID, "email",
			"Enter an email address in the correct format, like name@example.com");
	int rc = recent_failures(db, norm, who->ip, time(NULL), &failures, &ip_failures);
	if (!rc)
		rc = load_credentials(db, a, norm, &c);
	if (rc)
		return rc;
	if (failures >= AUTH_MAX_FAILURES || ip_failures >= AUTH_MAX_IP_FAILURES) {
		if ((rc = refuse(db, who, norm, "login_locked", false,
				 "sign-in refused: locked after repeated failures")))
			return rc;
		return errinfo_set(e, HE_LOCKED, "email", "%s", err_default_message(HE_LOCKED));
	}
	/* Verify against a real hash even for unknown emails, so timing does
	 * not reveal which addresses exist. */
	pthread_once(&dummy_once, dummy_make);
	bool ok = pwhash_verify(c.id ? c.hash : dummy_hash, password) && c.id;
	if (!ok || c.disabled) {
		if ((rc = refuse(db, who, norm, "login_failed", true,
				 c.disabled ? "sign-in refused: account disabled"
					    : "sign-in failed: wrong email or password")))
			return rc;
		return errinfo_set(e, HE_AUTH_FAILED, "password", "%s",
				   err_default_message(HE_AUTH_FAILED));
	}
	if (c.totp) {
		if (!totp || !*totp)
			return errinfo_set(e, HE_TOTP_REQUIRED, "totp", "%s",
					   err_default_message(HE_TOTP_REQUIRED));
		if ((step = totp_step(c.totp, totp, c.last_step)) < 0) {
			if ((rc = refuse(db, who, norm, "login_failed", true,
					 "sign-in failed: wrong or reused authenticator code")))
				return rc;
			return errinfo_set(e, HE_TOTP_FAILED, "totp", "%s",
					   err_default_message(HE_TOTP_FAILED));
		}
	}
	if ((rc = user_load(db, a, c.id, &s->user)))
		return rc;
	return open_session(db, who, c.id, step, s, token);
}

/* Run a one-statement write on the session (the idle refresh, the
 * deletion of an expired one) in a transaction of its own: db_begin queues
 * it behind this process's other writers — the audit group commit among
 * them — on a mutex, where an autocommit statement would meet SQLite's busy
 * handler, which sleeps a millisecond or more.  Inside the caller's
 * transaction it just runs there. */
static int session_write(struct db *db, struct db_stmt *st)
{
	if (db_in_transaction(db))
		return db_done(st);
	int rc = db_begin(db);
	if (rc) {
		db_finalize(st);
		return rc;
	}
	if ((rc = db_done(st))) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

/* ---- the session cache (auth.h: auth_cache_allow) -------------------------
 *
 * Under GET /api/v1/me load every other connection's commit (the audit
 * writer's, a thousand a second) makes a connection's page cache stale,
 * so each request's session lookup re-read the pages of sessions, users
 * and schools (a read transaction, its locks and ~5 preads): 10-14 % of
 * the server's CPU.  Lookups are kept here instead, one per slot, the slot
 * chosen by the token's hash, each tagged with the auth_version it was
 * read at.  sc_version is the newest auth_version this process has seen
 * (every lookup read from the database and every check by the audit
 * writer moves it on); an entry at an older version is never used. */

#define SC_SLOTS 256

struct sc_entry {
	char th[AUTH_TOKEN_HEX + 1];  /* the token's hash; "" while empty */
	int64_t version;
	int64_t id;
	char csrf[AUTH_TOKEN_HEX + 1], last[21], exp[21];
	struct user user;             /* its strings malloc'd */
};

static pthread_mutex_t sc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sc_entry sc[SC_SLOTS];
static int64_t sc_version;
static __thread bool sc_allowed;
static __thread int64_t sc_hit;       /* the version this thread's request answers from */

static struct sc_entry *sc_slot(const char *th)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = th[i];
		v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c - '0');
	}
	return &sc[v % SC_SLOTS];
}

static char *sc_dup(const char *v)
{
	return v ? xstrdup(v) : NULL;
}

/* With sc_lock held. */
static void sc_saw(int64_t version)
{
	if (version > sc_version)
		sc_version = version;
}

int auth_version_read(struct db *db, int64_t *version)
{
	struct db_stmt *st = db_prepare(db, "SELECT n FROM auth_version WHERE id = 1");
	*version = 0;
	if (db_next(st))
		*version = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc == HE_OK) {
		pthread_mutex_lock(&sc_lock);
		sc_saw(*version);
		pthread_mutex_unlock(&sc_lock);
	}
	return rc;
}

/* db_begin's check while this thread answers from a cached lookup: a write
 * goes ahead only if nothing changed sessions, users or schools since. */
static int sc_begin_check(struct db *db, void *unused)
{
	(void)unused;
	int64_t v;
	int rc = auth_version_read(db, &v);
	return rc != HE_OK ? rc : v == sc_hit ? HE_OK : HE_AUTH_REQUIRED;
}

void auth_cache_allow(struct db *db, bool on)
{
	sc_allowed = on;
	if (!on)
		db_set_begin_check(db, NULL, NULL);
}

/* The cached lookup for th into s (strings from a), if there is one good
 * at time now: see auth_session for what each stamp means. */
static bool sc_get(struct db *db, const char *th, struct arena *a, struct session *s,
		   const char *now, const char *fresh)
{
	struct sc_entry *e = sc_slot(th);
	pthread_mutex_lock(&sc_lock);
	bool hit = strcmp(e->th, th) == 0 && e->version == sc_version &&
		   strcmp(e->exp, now) > 0 && strcmp(e->last, fresh) >= 0;
	if (hit) {
		s->id = e->id;
		memcpy(s->csrf, e->csrf, sizeof s->csrf);
		s->user = e->user;
		s->user.email = arena_strdup(a, e->user.email);
		s->user.name = arena_strdup(a, e->user.name);
		s->user.school_urn = arena_strdup(a, e->user.school_urn);
		s->user.school_name = arena_strdup(a, e->user.school_name);
		sc_hit = e->version;
	}
	pthread_mutex_unlock(&sc_lock);
	if (hit) {
		audit_defer_require(sc_hit);
		db_set_begin_check(db, sc_begin_check, NULL);
	}
	return hit;
}

/* With sc_lock held: free e's strings and mark it empty. */
static void sc_empty(struct sc_entry *e)
{
	free(e->user.email);
	free(e->user.name);
	free(e->user.school_urn);
	free(e->user.school_name);
	memset(e, 0, sizeof *e);
}

void auth_cache_clear(void)
{
	pthread_mutex_lock(&sc_lock);
	for (int i = 0; i < SC_SLOTS; i++)
		sc_empty(&sc[i]);
	pthread_mutex_unlock(&sc_lock);
}

static void sc_put(const char *th, int64_t version, const struct session *s, const char *last,
		   const char *exp)
{
	struct sc_entry *e = sc_slot(th);
	pthread_mutex_lock(&sc_lock);
	sc_saw(version);
	if (version == sc_version) {
		sc_empty(e);
		snprintf(e->th, sizeof e->th, "%s", th);
		e->version = version;
		e->id = s->id;
		memcpy(e->csrf, s->csrf, sizeof e->csrf);
		snprintf(e->last, sizeof e->last, "%s", last);
		snprintf(e->exp, sizeof e->exp, "%s", exp);
		e->user = s->user;
		e->user.email = sc_dup(s->user.email);
		e->user.name = sc_dup(s->user.name);
		e->user.school_urn = sc_dup(s->user.school_urn);
		e->user.school_name = sc_dup(s->user.school_name);
	}
	pthread_mutex_unlock(&sc_lock);
}

int auth_session(struct db *db, struct arena *a, const char *token, struct session *s)
{
	char th[AUTH_TOKEN_HEX + 1], now[21], idle[21], last[21] = "", exp[21] = "";
	int64_t uid = 0;
	time_t t = time(NULL);
	memset(s, 0, sizeof *s);
	if (!token || strlen(token) != AUTH_TOKEN_HEX)
		return HE_AUTH_REQUIRED;
	token_hash(token, th);
	char fresh[21];
	stamp(t, now);
	stamp(t - AUTH_IDLE_SECONDS, idle);
	stamp(t - AUTH_REFRESH_SECONDS, fresh);
	if (sc_allowed && sc_get(db, th, a, s, now, fresh))
		return HE_OK;
	/* The session and its user in one statement: one read transaction,
	 * which on SQLite re-reads the pages other connections' commits (the
	 * audit rows of every request) made stale once, not twice; and the
	 * auth_version they were read at, for the cache. */
	struct db_stmt *st = db_prepare(db,
		"SELECT se.id, se.csrf_token, se.last_seen, se.expires_at,"
		" (SELECT n FROM auth_version WHERE id = 1), " USER_SELECT
		" FROM sessions se JOIN users u ON u.id = se.user_id"
		" LEFT JOIN schools s ON s.id = u.school_id WHERE se.token_hash = :th");
	db_bind_text(st, ":th", th);
	int64_t version = 0;
	if (db_next(st)) {
		s->id = db_int(st, 0);
		snprintf(s->csrf, sizeof s->csrf, "%s", db_text(st, 1));
		snprintf(last, sizeof last, "%s", db_text(st, 2));
		snprintf(exp, sizeof exp, "%s", db_text(st, 3));
		version = db_int(st, 4);
		user_from_row(st, 5, a, &s->user);
		uid = s->user.id;
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!uid) {
		memset(s, 0, sizeof *s);
		return HE_AUTH_REQUIRED;
	}
	if (strcmp(exp, now) <= 0 || strcmp(last, idle) <= 0) {
		st = db_prepare(db, "DELETE FROM sessions WHERE id = :id");
		db_bind_int(st, ":id", s->id);
		session_write(db, st);
		return HE_SESSION_EXPIRED;
	}
	if (s->user.disabled) {
		memset(s, 0, sizeof *s);
		return HE_AUTH_REQUIRED;
	}
	/* Refresh the idle timer at most once a minute: most requests then
	 * need no write for the session (the idle limit is far longer than a
	 * minute, so this costs it nothing).  A lookup that needs none may be
	 * cached (after a refresh its version is already old). */
	if (strcmp(last, fresh) >= 0) {
		if (sc_allowed)
			sc_put(th, version, s, last, exp);
	} else {
		st = db_prepare(db, "UPDATE sessions SET last_seen = :now WHERE id = :id");
		db_bind_text(st, ":now", now);
		db_bind_int(st, ":id", s->id);
		rc = session_write(db, st);
		/* The refresh only keeps an active session from idling out.  When
		 * the database cannot write (disk full, read-only) the session is
		 * still good: signed-in reads that write nothing go on. */
		if (rc == HE_DB_READONLY)
			rc = HE_OK;
	}
	return rc;
}

int auth_session_end(struct db *db, const struct audit_who *who, int64_t session_id,
		     const char *summary)
{
	int rc = db_begin(db);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, "DELETE FROM sessions WHERE id = :id");
	db_bind_int(st, ":id", session_id);
	if ((rc = db_done(st)) || (rc = audit(db, who, "logout", "sessions", NULL, summary))) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int auth_logout(struct db *db, const struct audit_who *who, int64_t session_id)
{
	return auth_session_end(db, who, session_id, "signed out");
}

int auth_session_renew(struct db *db, const struct audit_who *who, struct session *s,
		       char token[AUTH_TOKEN_HEX + 1])
{
	int rc = db_begin(db);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, "DELETE FROM sessions WHERE user_id = :uid");
	db_bind_int(st, ":uid", s->user.id);
	if ((rc = db_done(st)) || (rc = insert_session(db, who, s->user.id, s, token)) ||
	    (rc = audit(db, who, "session_renew", "sessions", NULL,
			"session renewed after a change of credentials; other sessions ended"))) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

/* The authority ("host[:port]") of an Origin header value, or NULL. */
static const char *origin_authority(const char *origin)
{
	const char *p = strstr(origin, "://");
	return p && p[3] ? p + 3 : NULL;
}

bool auth_origin_ok(const char *origin, const char *fetch_site, const char *host)
{
	if (fetch_site && *fetch_site)
		return strcmp(fetch_site, "same-origin") == 0 || strcmp(fetch_site, "none") == 0;
	if (!origin || !*origin)
		return true;
	const char *auth = origin_authority(origin);
	return auth && host && *host && strcasecmp(auth, host) == 0;
}

int auth_totp_begin(struct db *db, const struct audit_who *who, int64_t user_id,
		    struct arena *a, char **secret_b32)
{
	unsigned char raw[20];
	char *b32 = NULL;
	size_t len = 0;
	pthread_once(&oath_once, oath_start);
	randombytes_buf(raw, sizeof raw);
	if (oath_base32_encode((const char *)raw, sizeof raw, &b32, &len) != OATH_OK)
		return HE_INTERNAL;
	*secret_b32 = arena_strdup(a, b32);
	free(b32);
	int rc = db_begin(db);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db,
		"UPDATE users SET totp_pending = :s WHERE id = :id");
	db_bind_text(st, ":s", *secret_b32);
	db_bind_int(st, ":id", user_id);
	if ((rc = db_done(st)) ||
	    (rc = audit(db, who, "totp_begin", "users", NULL, "started authenticator enrolment"))) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int auth_totp_confirm(struct db *db, const struct audit_who *who, int64_t user_id,
		      const char *code, struct errinfo *e)
{
	char pending[64] = "";
	struct db_stmt *st = db_prepare(db, "SELECT totp_pending FROM users WHERE id = :id");
	db_bind_int(st, ":id", user_id);
	if (db_next(st) && db_text(st, 0))
		snprintf(pending, sizeof pending, "%s", db_text(st, 0));
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!*pending)
		return errinfo_set(e, HE_INVALID, "code", "Start setting up the authenticator first");
	int64_t step = totp_step(pending, code, 0);
	if (step < 0)
		return errinfo_set(e, HE_TOTP_FAILED, "code",
				   "Enter the 6-digit code your authenticator app shows now");
	if ((rc = db_begin(db)))
		return rc;
	st = db_prepare(db, "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL,"
			" totp_last_step = :step WHERE id = :id");
	db_bind_int(st, ":step", step);
	db_bind_int(st, ":id", user_id);
	if ((rc = db_done(st)))
		goto fail;
	/* Sessions opened with the password alone end with the enrolment. */
	st = db_prepare(db, "DELETE FROM sessions WHERE user_id = :id");
	db_bind_int(st, ":id", user_id);
	if ((rc = db_done(st)) ||
	    (rc = audit(db, who, "totp_enable", "users", NULL, "authenticator enrolled")))
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}
