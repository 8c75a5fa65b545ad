/* auth.h — signing in and out, sessions, throttling and the second factor.
 *
 * Sessions live in the database (so any `hearth serve` process can serve
 * any request): the cookie carries a random 256-bit token, the table only
 * its SHA-256, so a stolen database cannot be replayed as cookies.  Each
 * session has a CSRF token, an idle expiry (AUTH_IDLE_SECONDS since last
 * use) and an absolute expiry (AUTH_ABSOLUTE_SECONDS since sign-in).
 * Ids are only ever made here, never taken from a browser; a new sign-in
 * ends the session the browser had, and a change of credentials renews it.
 *
 * Throttling: AUTH_MAX_FAILURES failed sign-ins for one email (or
 * AUTH_MAX_IP_FAILURES from one address, whatever emails it tries) within
 * AUTH_LOCK_SECONDS lock it until the window passes; every failure and
 * every refusal is audited.  TOTP (RFC 6238, 30-second steps,
 * ±1 step) via liboath, each step accepted at most once. */
#ifndef HEARTH_AUTH_H
#define HEARTH_AUTH_H
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/user.h"

struct db;
struct audit_who;

#define AUTH_IDLE_SECONDS (30 * 60)
/* last_seen is rewritten at most this often (not on every request). */
#define AUTH_REFRESH_SECONDS 60
#define AUTH_ABSOLUTE_SECONDS (12 * 60 * 60)
#define AUTH_MAX_FAILURES 5
#define AUTH_MAX_IP_FAILURES 30
#define AUTH_LOCK_SECONDS (15 * 60)
#define AUTH_TOKEN_HEX 64

struct session {
	int64_t id;
	struct user user;
	char csrf[AUTH_TOKEN_HEX + 1];
};

/* Check email, password (and totp when the user has enrolled) and open a
 * session.  On success fills s, writes the cookie token into token and
 * audits "login".  Failures: HE_AUTH_FAILED (audited "login_failed",
 * counted towards lock-out), HE_LOCKED (audited "login_locked"),
 * HE_TOTP_REQUIRED (password right, code needed), HE_TOTP_FAILED (audited,
 * counted).  who->email/role are filled from the attempt. */
int auth_login(struct db *db, struct arena *a, const struct audit_who *who,
	       const char *email, const char *password, const char *totp,
	       struct session *s, char token[AUTH_TOKEN_HEX + 1], struct errinfo *e);
/* Find the live session for a cookie token; refreshes its idle timer when
 * it is more than AUTH_REFRESH_SECONDS old (one write a minute, not one per
 * request).  HE_AUTH_REQUIRED if unknown, HE_SESSION_EXPIRED if expired
 * (then deleted). */
int auth_session(struct db *db, struct arena *a, const char *token, struct session *s);
/* The session cache of `hearth serve`.  While auth_cache_allow(db, true)
 * is in force on this thread — the server sets it for the reads whose
 * audit rows go to the audit writer, between audit_defer_begin and
 * audit_defer_end — auth_session may answer from memory: a lookup kept
 * from an earlier request (the session, its user, the user's school), if
 * it was read at the newest auth_version this process knows, is neither
 * expired nor idle, and needs no idle refresh.  auth_version moves with
 * every change to sessions, users or schools, whoever makes it (triggers,
 * migration 0019), so a cached answer is checked once more before it may
 * leave: audit_defer_require makes the audit writer read auth_version in
 * the transaction that commits the request's rows (AUDIT_STALE: handle
 * the request again), and any write transaction the request opens on db
 * reads it first (db_set_begin_check: HE_AUTH_REQUIRED when it moved).
 * auth_cache_allow(db, false) ends that for the thread and clears db's
 * check.  Lookups made while allowed are kept for later requests. */
void auth_cache_allow(struct db *db, bool on);
/* Forget every cached lookup and free them (the server, once stopped). */
void auth_cache_clear(void);
/* Read auth_version into *version (and remember it as the newest known,
 * so that lookups cached at older versions are no longer used). */
int auth_version_read(struct db *db, int64_t *version);
/* End a session; audited "logout". */
int auth_logout(struct db *db, const struct audit_who *who, int64_t session_id);
/* End a session for another reason than signing out (a new sign-in in the
 * same browser replaces it); audited "logout" with summary. */
int auth_session_end(struct db *db, const struct audit_who *who, int64_t session_id,
		     const char *summary);
/* After a change of credentials (an authenticator enrolled): end every
 * session of s->user and open a fresh one, so a session id learnt before
 * the change is worth nothing.  Fills s->id, s->csrf and token; audited
 * "session_renew". */
int auth_session_renew(struct db *db, const struct audit_who *who, struct session *s,
		       char token[AUTH_TOKEN_HEX + 1]);
/* Whether a state-changing request comes from Hearth's own pages, by what
 * the browser says (defence in depth behind the CSRF token and
 * SameSite=Strict).  With Sec-Fetch-Site, only "same-origin" and "none"
 * pass; without it, an Origin must name the Host the request was sent to
 * ("null" never does); a request with neither (a script, an old browser)
 * passes. */
bool auth_origin_ok(const char *origin, const char *fetch_site, const char *host);
/* Constant-time comparison of a presented CSRF token with the session's. */
bool auth_csrf_ok(const char *expected, const char *presented);
/* A fresh random token, hex, for cookies and CSRF. */
void auth_random_token(char out[AUTH_TOKEN_HEX + 1]);

/* TOTP enrolment: make a new secret (base32) and keep it pending. */
int auth_totp_begin(struct db *db, const struct audit_who *who, int64_t user_id,
		    struct arena *a, char **secret_b32);
/* Confirm the pending secret with a current code; ends every session of
 * the user (the caller renews its own with auth_session_renew); audited. */
int auth_totp_confirm(struct db *db, const struct audit_who *who, int64_t user_id,
		      const char *code, struct errinfo *e);
/* The current code for a base32 secret at time t (tests and `hearth user totp`). */
int auth_totp_code(const char *secret_b32, time_t t, char out[7]);

#endif
