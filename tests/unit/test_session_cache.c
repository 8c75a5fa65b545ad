/* test_session_cache.c — unit tests for the session cache of core/auth.c
 * (auth_cache_allow) and what keeps it honest: auth_version, which
 * migration 0019's triggers move with every change to sessions, users and
 * schools, read again by the audit writer before a cached answer may
 * leave (AUDIT_STALE) and by any write transaction the request opens
 * (db_set_begin_check).
 *
 * Runs on SQLite, or on PostgreSQL when HEARTH_TEST_PG is set (testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <sodium.h>

#include "testdb.h"
#include "authfix.h"

static int64_t version(struct db *db)
{
	return count1(db, "SELECT n FROM auth_version WHERE id = 1", NULL);
}

/* Plain SQL — no Hearth code — on each of the three tables moves the
 * number, for inserts, updates and deletes alike; other tables do not. */
static void test_version_moves_with_any_change(void **state)
{
	struct fx *f = *state;
	static const char *const changes[] = {
		"UPDATE users SET name = 'Renamed' WHERE email = 'worker@hearth.example'",
		"INSERT INTO schools (urn, name, phase, district_id, created_at) SELECT '999999',"
		" 'Test School', 'primary', id, 'x' FROM districts WHERE name = 'Test District'",
		"UPDATE schools SET name = 'Renamed School' WHERE urn = '999999'",
		"DELETE FROM schools WHERE urn = '999999'",
		"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen,"
		" expires_at) SELECT 'h1', id, 'c', 'x', 'x', 'x' FROM users WHERE email ="
		" 'worker@hearth.example'",
		"UPDATE sessions SET last_seen = 'y'",
		"DELETE FROM sessions",
		"UPDATE users SET disabled = 1 WHERE email = 'worker@hearth.example'",
	};
	assert_int_equal(db_exec(f->db, "INSERT INTO districts (name) VALUES ('Test District')"),
			 HE_OK);
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		int64_t before = version(f->db);
		assert_int_equal(db_exec(f->db, changes[i]), HE_OK);
		if (version(f->db) <= before)
			fail_msg("auth_version did not move for: %s", changes[i]);
	}
	int64_t before = version(f->db);
	assert_int_equal(db_exec(f->db, "DELETE FROM login_failures"), HE_OK);
	assert_int_equal(version(f->db), before);
}

static void on_done(void *arg, int rc)
{
	struct { sem_t done; int rc; } *w = arg;
	w->rc = rc;
	sem_post(&w->done);
}

/* One read as the server makes it: the session looked up with the cache
 * allowed, its (empty) list handed to the writer; done's result.  *hit:
 * whether it was answered from the cache (only then is there a list). */
static int read_once(struct fx *f, const char *token, struct session *s, bool *hit)
{
	struct { sem_t done; int rc; } w;
	sem_init(&w.done, 0, 0);
	audit_defer_begin();
	auth_cache_allow(f->db, true);
	int rc = auth_session(f->db, &f->a, token, s);
	auth_cache_allow(f->db, false);
	struct audit_deferred *d = audit_defer_end();
	*hit = d != NULL;
	if (rc == HE_OK && d) {
		audit_defer_flush(f->db, audit_defer_hold(d, on_done, &w));
		sem_wait(&w.done);
		rc = w.rc;
	}
	sem_destroy(&w.done);
	return rc;
}

/* A lookup is cached and answered from memory, each time checked by the
 * writer; a change from outside (plain SQL) makes the next cached answer
 * AUDIT_STALE, and the one after reads the database again. */
static void test_cached_answer_checked_by_writer(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	bool hit;
	login_ok(f, NULL, &s, token);
	struct db *w = NULL;
	char *msg = NULL;
	assert_int_equal(db_open(f->t->url, &w, &msg), HE_OK);
	assert_int_equal(audit_writer_start(w, NULL), HE_OK);

	assert_int_equal(read_once(f, token, &s, &hit), HE_OK);
	assert_false(hit);		/* read from the database, now kept */
	assert_int_equal(read_once(f, token, &s, &hit), HE_OK);
	assert_true(hit);
	assert_string_equal(s.user.name, "Wren Worker");

	assert_int_equal(db_exec(f->db, "UPDATE users SET name = 'Changed Outside'"), HE_OK);
	assert_int_equal(read_once(f, token, &s, &hit), AUDIT_STALE);
	assert_true(hit);
	assert_int_equal(read_once(f, token, &s, &hit), HE_OK);
	assert_false(hit);
	assert_string_equal(s.user.name, "Changed Outside");
	assert_int_equal(read_once(f, token, &s, &hit), HE_OK);
	assert_true(hit);

	/* Disabled from outside: the cached answer is stale, the fresh one
	 * refuses the session. */
	assert_int_equal(db_exec(f->db, "UPDATE users SET disabled = 1"), HE_OK);
	assert_int_equal(read_once(f, token, &s, &hit), AUDIT_STALE);
	assert_int_equal(read_once(f, token, &s, &hit), HE_AUTH_REQUIRED);
	assert_int_equal(db_exec(f->db, "UPDATE users SET disabled = 0"), HE_OK);
	assert_int_equal(read_once(f, token, &s, &hit), HE_OK);
	assert_false(hit);

	/* A write transaction opened while answering from the cache reads the
	 * number first: refused once it has moved, and nothing stays open. */
	audit_defer_begin();
	auth_cache_allow(f->db, true);
	assert_int_equal(auth_session(f->db, &f->a, token, &s), HE_OK);
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(db_commit(f->db), HE_OK);
	struct db *other = NULL;
	assert_int_equal(db_open(f->t->url, &other, &msg), HE_OK);
	assert_int_equal(db_exec(other, "DELETE FROM sessions"), HE_OK);
	db_close(other);
	assert_int_equal(db_begin(f->db), HE_AUTH_REQUIRED);
	assert_false(db_in_transaction(f->db));
	auth_cache_allow(f->db, false);
	assert_int_equal(db_begin(f->db), HE_OK);	/* the check is gone */
	assert_int_equal(db_commit(f->db), HE_OK);
	struct audit_deferred *d = audit_defer_end();
	assert_non_null(d);
	/* held, never flushed: stopping the writer commits it (done posts a
	 * semaphore never waited on) */
	audit_defer_hold(d, on_done, &(struct { sem_t done; int rc; }){0});

	audit_writer_stop();
	db_close(w);
	auth_cache_clear();
	expect_audit_intact(f->db);
}

/* A second connection's idle refresh of a session, started while a
 * password change (users, then the user's sessions) is under way. */
struct refresher {
	const char *url;
	int rc;
};

static void *refresh_main(void *arg)
{
	struct refresher *r = arg;
	struct db *db = NULL;
	char *msg = NULL;
	r->rc = db_open(r->url, &db, &msg);
	if (r->rc == HE_OK && (r->rc = db_begin(db)) == HE_OK) {
		r->rc = db_exec(db, "UPDATE sessions SET last_seen = last_seen");
		if (r->rc == HE_OK)
			r->rc = db_commit(db);
		else
			db_rollback(db);
	}
	if (db)
		db_close(db);
	free(msg);
	return NULL;
}

/* The triggers must not make two such transactions deadlock: each takes
 * auth_version's lock before any row of sessions or users (PostgreSQL:
 * BEFORE triggers; SQLite has one writer at a time anyway).  With the
 * bump after the statement, the refresh held the session's row while
 * waiting for auth_version, and the change held auth_version while
 * waiting for that row. */
static void test_no_deadlock_with_refresh(void **state)
{
	struct fx *f = *state;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	login_ok(f, NULL, &s, token);
	assert_int_equal(db_begin(f->db), HE_OK);
	assert_int_equal(db_exec(f->db, "UPDATE users SET name = 'New Name'"), HE_OK);
	struct refresher r = {f->t->url, -1};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, refresh_main, &r), 0);
	nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL);	/* let it reach its wait */
	assert_int_equal(db_exec(f->db, "DELETE FROM sessions"), HE_OK);
	assert_int_equal(db_commit(f->db), HE_OK);
	pthread_join(th, NULL);
	assert_int_equal(r.rc, HE_OK);
	assert_int_equal(sessions(f->db), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version_moves_with_any_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_answer_checked_by_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_deadlock_with_refresh, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
