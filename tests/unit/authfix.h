/* authfix.h — the fixture test_auth.c and test_auth_attack.c share: a
 * fresh migrated database (testdb.h) with one worker user, an arena, and
 * the helpers both use to sign in, count rows and check the audit chain.
 * Include after cmocka.h and testdb.h. */
#ifndef HEARTH_AUTHFIX_H
#define HEARTH_AUTHFIX_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/auth.h"
#include "core/user.h"
#include "store/db.h"

#define EMAIL "worker@hearth.example"
#define PW "hearth-demo-password"

struct fx {
	struct testdb *t;
	struct db *db;
	struct arena a;
	int64_t uid;
};

static const struct audit_who who = {
	.user_id = 0, .email = NULL, .role = "none", .route = "POST /api/v1/session",
	.ip = "192.0.2.7",
};

/* A fresh database with the worker EMAIL / PW. */
static inline int setup(void **state)
{
	void *tstate = NULL;
	if (testdb_setup(&tstate) != 0)
		return -1;
	struct fx *f = calloc(1, sizeof *f);
	f->t = tstate;
	f->db = f->t->db;
	arena_init(&f->a);
	struct errinfo e = {0};
	if (user_create(f->db, &who, "Wren Worker", EMAIL, "worker", NULL, PW, &f->uid, &e)) {
		fprintf(stderr, "user_create: %s %s\n", e.field, e.message);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;
	void *tstate = f->t;
	arena_free(&f->a);
	free(f);
	return testdb_teardown(&tstate);
}

static inline int login(struct fx *f, const char *email, const char *pw, const char *totp,
			struct session *s, char token[AUTH_TOKEN_HEX + 1], struct errinfo *e)
{
	memset(e, 0, sizeof *e);
	return auth_login(f->db, &f->a, &who, email, pw, totp, s, token, e);
}

/* Sign in as the worker (totp NULL when not enrolled); fails the test if refused. */
static inline void login_ok(struct fx *f, const char *totp, struct session *s,
			    char token[AUTH_TOKEN_HEX + 1])
{
	struct errinfo e;
	int rc = login(f, EMAIL, PW, totp, s, token, &e);
	if (rc)
		fail_msg("auth_login: %d field \"%s\" %s", rc, e.field, e.message);
}

/* The first column of the first row of sql (with :a bound when a is given). */
static inline int64_t count1(struct db *db, const char *sql, const char *a)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (a)
		db_bind_text(st, ":a", a);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return n;
}

static inline int64_t sessions(struct db *db)
{
	return count1(db, "SELECT count(*) FROM sessions", NULL);
}

static inline void expect_audit_intact(struct db *db)
{
	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	int rc = audit_verify(db, &rows, &bad, &msg);
	if (rc)
		fail_msg("audit_verify: %d %s", rc, buf_str(&msg));
	buf_free(&msg);
}

#endif
