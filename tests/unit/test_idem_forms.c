/* test_idem_forms.c — unit tests for the one-time keys of the last five
 * forms that lacked them (issue 5, double submission): adding a family
 * member and another professional to a case (case.c), recording a consent
 * (consent.c), recording a worker's cover and adding a worker to the pool
 * (worker.c).
 *
 * For each: the same key twice gives one row, the same id, one "create"
 * audit row and one chronology event (the repeat leaves a "view" audit
 * row saying nothing was added); two keys give two rows; the key used on
 * another case, family or worker, or by another user, is HE_CONFLICT on
 * field "idem" and adds nothing.
 *
 * The same form sent twice at the same moment (two connections, two
 * threads, several rounds): both answers are the first row, and there is
 * one row and one "create" audit row.
 *
 * Each test runs on a fresh database with the real migrations (SQLite, or
 * PostgreSQL with HEARTH_TEST_PG).  Users, workers, families, referrals
 * and consents are inserted with SQL; the cases are opened through
 * case_open_tx, as allocation does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/consent.h"
#include "core/family.h"
#include "core/scope.h"
#include "core/worker.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};
static struct audit_who who_d = {.email = "d@hearth.example", .role = "coordinator", .route = "test"};

/* Two families, each with a referral, consent and an open case of worker
 * X; X's user, two coordinators (C and D) and a second worker W. */
struct fx {
	int64_t ux, uc, ud, wx, ww, fam[2], ref[2], cas[2];
	struct scope x, c, d;
};

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static int64_t insert(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc || !id)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return id;
}

static char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sqlf(const char *fmt, ...)
{
	static char b[4][1024];
	static int k;
	char *out = b[k++ % 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, 1024, fmt, ap);
	va_end(ap);
	return out;
}

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static void role_scope(struct scope *s, struct audit_who *w, enum role role, int64_t user,
		       int64_t worker)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(role);
	s->user_id = user;
	s->worker_id = worker;
	w->user_id = user;
	s->who = w;
}

static const char *days_ago(int n)
{
	static char b[4][11];
	static int k;
	char *out = b[k++ % 4];
	date_format(date_today() - n, out);
	return out;
}

static void fixture(struct db *db, struct fx *f)
{
	memset(f, 0, sizeof *f);
	static const char *const user_sql =
		"INSERT INTO users (email, name, role, password_hash, created_at, updated_at)"
		" VALUES ('%s', '%s', '%s', 'x', 'now', 'now') RETURNING id";
	f->ux = insert(db, sqlf(user_sql, "x@hearth.example", "Xena Worker", "worker"));
	f->uc = insert(db, sqlf(user_sql, "c@hearth.example", "Cora Ordinator", "coordinator"));
	f->ud = insert(db, sqlf(user_sql, "d@hearth.example", "Dev Ordinator", "coordinator"));
	f->wx = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at,"
		" updated_at) VALUES (%" PRId64 ", 'Xena Worker', 'Early Help', 'family_support', 'now',"
		" 'now') RETURNING id", f->ux));
	f->ww = insert(db, "INSERT INTO workers (name, employer, kind, created_at, updated_at)"
		" VALUES ('Wren Worker', 'Early Help', 'mentor', 'now', 'now') RETURNING id");
	role_scope(&f->x, &who_x, ROLE_WORKER, f->ux, f->wx);
	role_scope(&f->c, &who_c, ROLE_COORDINATOR, f->uc, 0);
	role_scope(&f->d, &who_d, ROLE_COORDINATOR, f->ud, 0);
	for (int i = 0; i < 2; i++) {
		f->fam[i] = insert(db, sqlf("INSERT INTO families (ref, name, created_at, updated_at)"
			" VALUES ('F-00000%d', '%s family', 'now', 'now') RETURNING id", i + 1,
			i ? "Nowak" : "Khan"));
		f->ref[i] = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source,"
			" level_of_need, needs, reason, received_at) VALUES ('R-00000%d', %" PRId64 ","
			" 'self', 2, 'parenting', 'Asked for help', '%sT09:00:00Z') RETURNING id", i + 1,
			f->fam[i], days_ago(60)));
		exec(db, sqlf("INSERT INTO consents (family_id, referral_id, basis, given_by,"
			" given_by_relationship, scope, given_on, recorded_at) VALUES (%" PRId64 ", %" PRId64
			", 'consent', 'Mum', 'mother', 'pool,school', '%s', 'now')", f->fam[i], f->ref[i],
			days_ago(60)));
		struct errinfo e = {0};
		assert_int_equal(db_begin(db), HE_OK);
		int rc = case_open_tx(db, &f->c, f->ref[i], f->wx, 2, false, days_ago(50), &f->cas[i], &e);
		if (rc)
			fail_msg("case_open_tx: %d %s: %s", rc, e.field, e.message);
		assert_int_equal(db_commit(db), HE_OK);
	}
}

/* Rows of table; "create" audit rows of entity; chronology events. */
static int64_t rows(struct db *db, const char *table)
{
	return count(db, sqlf("SELECT count(*) FROM %s", table));
}

static int64_t creates(struct db *db, const char *entity)
{
	return count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'create' AND entity = '%s'",
			      entity));
}

static int64_t repeats(struct db *db)
{
	return count(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"
		     " AND summary LIKE 'repeated submission%'");
}

static int64_t events(struct db *db)
{
	return count(db, "SELECT count(*) FROM case_events");
}

static void conflict(int rc, const struct errinfo *e)
{
	assert_int_equal(rc, HE_CONFLICT);
	assert_string_equal(e->field, "idem");
}

/* ---- a family member ------------------------------------------------------ */

static int member(struct db *db, const struct scope *s, int64_t case_id, const char *name,
		  const char *key, int64_t *id, struct errinfo *e)
{
	struct family_member_in m = {.name = name, .relationship = "father", .idem_key = key};
	memset(e, 0, sizeof *e);
	return case_member_add(db, s, case_id, &m, id, e);
}

static void test_member(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int64_t n0 = rows(db, "family_members"), a0 = creates(db, "family_members"), c0 = events(db);

	assert_int_equal(member(db, &f.x, f.cas[0], "Omar Khan", "m-key-1", &id1, &e), HE_OK);
	assert_true(id1 > 0);
	assert_int_equal(member(db, &f.x, f.cas[0], "Omar Khan", "m-key-1", &id2, &e), HE_OK);
	assert_int_equal(id2, id1);
	assert_int_equal(rows(db, "family_members"), n0 + 1);
	assert_int_equal(creates(db, "family_members"), a0 + 1);
	assert_int_equal(events(db), c0 + 1);
	assert_int_equal(repeats(db), 1);
	assert_int_equal(count(db, sqlf("SELECT created_by FROM family_members WHERE id = %" PRId64, id1)),
			 f.ux);

	/* another key: another member */
	assert_int_equal(member(db, &f.x, f.cas[0], "Omar Khan", "m-key-2", &id3, &e), HE_OK);
	assert_true(id3 != id1);
	assert_int_equal(rows(db, "family_members"), n0 + 2);

	/* the key on another case (another family), or by someone else */
	conflict(member(db, &f.x, f.cas[1], "Piotr Nowak", "m-key-1", &id3, &e), &e);
	assert_int_equal(id3, 0);
	conflict(member(db, &f.c, f.cas[0], "Omar Khan", "m-key-1", &id3, &e), &e);
	assert_int_equal(rows(db, "family_members"), n0 + 2);
	assert_int_equal(creates(db, "family_members"), a0 + 2);
	assert_false(db_in_transaction(db));

	/* no key: each submission is a new member, as before */
	assert_int_equal(member(db, &f.x, f.cas[1], "Piotr Nowak", NULL, &id3, &e), HE_OK);
	assert_int_equal(member(db, &f.x, f.cas[1], "Piotr Nowak", NULL, &id3, &e), HE_OK);
	assert_int_equal(rows(db, "family_members"), n0 + 4);
}

/* ---- another professional ------------------------------------------------- */

static int professional(struct db *db, const struct scope *s, int64_t case_id, const char *key,
			int64_t *id, struct errinfo *e)
{
	struct professional_in p = {.name = "Jo Patel", .agency = "School nursing",
				    .role = "School nurse", .idem_key = key};
	memset(e, 0, sizeof *e);
	return case_professional_add(db, s, case_id, &p, id, e);
}

static void test_professional(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int64_t c0 = events(db);

	assert_int_equal(professional(db, &f.x, f.cas[0], "p-key-1", &id1, &e), HE_OK);
	assert_int_equal(professional(db, &f.x, f.cas[0], "p-key-1", &id2, &e), HE_OK);
	assert_true(id1 > 0);
	assert_int_equal(id2, id1);
	assert_int_equal(rows(db, "family_professionals"), 1);
	assert_int_equal(creates(db, "family_professionals"), 1);
	assert_int_equal(events(db), c0 + 1);
	assert_int_equal(repeats(db), 1);

	assert_int_equal(professional(db, &f.x, f.cas[0], "p-key-2", &id3, &e), HE_OK);
	assert_true(id3 != id1);
	assert_int_equal(rows(db, "family_professionals"), 2);

	conflict(professional(db, &f.x, f.cas[1], "p-key-1", &id3, &e), &e);
	conflict(professional(db, &f.c, f.cas[0], "p-key-1", &id3, &e), &e);
	assert_int_equal(rows(db, "family_professionals"), 2);
	assert_int_equal(creates(db, "family_professionals"), 2);
	assert_int_equal(events(db), c0 + 2);

	/* the coordinator's own key works for them */
	assert_int_equal(professional(db, &f.c, f.cas[0], "p-key-3", &id3, &e), HE_OK);
	assert_int_equal(rows(db, "family_professionals"), 3);
}

/* ---- a consent ------------------------------------------------------------ */

/* consent_record_tx in its own transaction, as consent_create_page runs it. */
static int consent(struct db *db, const struct scope *s, int64_t family_id, const char *key,
		   int64_t *id, struct errinfo *e)
{
	struct consent_in in = {
		.basis = "consent", .given_by = "Nadia Khan", .relationship = "mother",
		.scope = "pool,school,health", .given_on = days_ago(1), .idem_key = key,
	};
	memset(e, 0, sizeof *e);
	assert_int_equal(db_begin(db), HE_OK);
	int rc = consent_record_tx(db, s, family_id, 0, &in, id, e);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

static void test_consent(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int64_t n0 = rows(db, "consents"), c0 = events(db);

	assert_int_equal(consent(db, &f.x, f.fam[0], "c-key-1", &id1, &e), HE_OK);
	assert_int_equal(consent(db, &f.x, f.fam[0], "c-key-1", &id2, &e), HE_OK);
	assert_true(id1 > 0);
	assert_int_equal(id2, id1);
	assert_int_equal(rows(db, "consents"), n0 + 1);
	assert_int_equal(creates(db, "consents"), 1);
	assert_int_equal(events(db), c0 + 1);
	assert_int_equal(repeats(db), 1);

	assert_int_equal(consent(db, &f.x, f.fam[0], "c-key-2", &id3, &e), HE_OK);
	assert_true(id3 != id1);
	assert_int_equal(rows(db, "consents"), n0 + 2);

	conflict(consent(db, &f.x, f.fam[1], "c-key-1", &id3, &e), &e);
	assert_int_equal(id3, 0);
	conflict(consent(db, &f.c, f.fam[0], "c-key-1", &id3, &e), &e);
	assert_int_equal(rows(db, "consents"), n0 + 2);
	assert_int_equal(creates(db, "consents"), 2);
	assert_int_equal(events(db), c0 + 2);
}

/* ---- a worker's cover ----------------------------------------------------- */

static int cover(struct db *db, const struct scope *s, int64_t worker, int64_t for_worker,
		 const char *key, int64_t *id, struct errinfo *e)
{
	char from[11], until[11];
	date_format(date_today(), from);
	date_format(date_today() + 7, until);
	memset(e, 0, sizeof *e);
	return worker_cover_add(db, s, worker, for_worker, from, until, "Annual leave", key, id, e);
}

static void test_cover(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int64_t c0 = events(db);

	/* Wren covers Xena, who has two open cases: one event on each */
	assert_int_equal(cover(db, &f.c, f.ww, f.wx, "w-key-1", &id1, &e), HE_OK);
	assert_int_equal(cover(db, &f.c, f.ww, f.wx, "w-key-1", &id2, &e), HE_OK);
	assert_true(id1 > 0);
	assert_int_equal(id2, id1);
	assert_int_equal(rows(db, "worker_covers"), 1);
	assert_int_equal(creates(db, "worker_covers"), 1);
	assert_int_equal(events(db), c0 + 2);
	assert_int_equal(repeats(db), 1);

	assert_int_equal(cover(db, &f.c, f.ww, f.wx, "w-key-2", &id3, &e), HE_OK);
	assert_true(id3 != id1);
	assert_int_equal(rows(db, "worker_covers"), 2);
	assert_int_equal(events(db), c0 + 4);

	/* the key on another worker's page, or by another coordinator */
	conflict(cover(db, &f.c, f.wx, f.ww, "w-key-1", &id3, &e), &e);
	assert_int_equal(id3, 0);
	conflict(cover(db, &f.d, f.ww, f.wx, "w-key-1", &id3, &e), &e);
	assert_int_equal(rows(db, "worker_covers"), 2);
	assert_int_equal(creates(db, "worker_covers"), 2);
	assert_int_equal(events(db), c0 + 4);
	assert_false(db_in_transaction(db));
}

/* ---- a new worker --------------------------------------------------------- */

static int new_worker(struct db *db, const struct scope *s, const char *name, const char *key,
		      int64_t *id, struct errinfo *e)
{
	struct worker_in in = {
		.name = name, .employer = "City Council Early Help", .kind = "family_support",
		.skills = "attendance", .languages = "Polish", .hours_per_week = 37, .idem_key = key,
	};
	memset(e, 0, sizeof *e);
	return worker_save(db, s, 0, &in, id, e);
}

static void test_worker(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	struct errinfo e;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int64_t n0 = rows(db, "workers");

	assert_int_equal(new_worker(db, &f.c, "Ola Nowak", "k-key-1", &id1, &e), HE_OK);
	assert_int_equal(new_worker(db, &f.c, "Ola Nowak", "k-key-1", &id2, &e), HE_OK);
	assert_true(id1 > 0);
	assert_int_equal(id2, id1);
	assert_int_equal(rows(db, "workers"), n0 + 1);
	assert_int_equal(creates(db, "workers"), 1);
	assert_int_equal(repeats(db), 1);
	assert_int_equal(count(db, sqlf("SELECT created_by FROM workers WHERE id = %" PRId64, id1)), f.uc);

	assert_int_equal(new_worker(db, &f.c, "Ola Nowak", "k-key-2", &id3, &e), HE_OK);
	assert_true(id3 != id1);
	assert_int_equal(rows(db, "workers"), n0 + 2);

	/* another coordinator's key is not theirs to reuse */
	conflict(new_worker(db, &f.d, "Ola Nowak", "k-key-1", &id3, &e), &e);
	assert_int_equal(rows(db, "workers"), n0 + 2);
	assert_int_equal(creates(db, "workers"), 2);

	/* updating a profile ignores a key: it changes the worker it names */
	struct worker_in in = {
		.name = "Ola Nowak-Smith", .employer = "City Council Early Help", .kind = "family_support",
		.hours_per_week = 30, .idem_key = "k-key-1",
	};
	assert_int_equal(worker_save(db, &f.c, id3, &in, NULL, &e), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT hours_per_week FROM workers WHERE id = %" PRId64, id3)), 30);
	assert_false(db_in_transaction(db));
}

/* ---- two submissions at once ----------------------------------------------- */

struct race {
	const char *url, *key, *what;
	const struct fx *f;
	int64_t id;
	int rc;
	pthread_barrier_t *start;
};

static void *race_one(void *arg)
{
	struct race *r = arg;
	struct db *db = NULL;
	char *msg = NULL;
	struct errinfo e = {0};
	if (db_open(r->url, &db, &msg) != HE_OK) {
		free(msg);
		r->rc = -1;
		pthread_barrier_wait(r->start);
		return NULL;
	}
	pthread_barrier_wait(r->start);
	if (strcmp(r->what, "professional") == 0) {
		struct professional_in p = {.name = "Jo Patel", .agency = "School nursing",
					    .idem_key = r->key};
		r->rc = case_professional_add(db, &r->f->x, r->f->cas[0], &p, &r->id, &e);
	} else if (strcmp(r->what, "member") == 0) {
		struct family_member_in m = {.name = "Omar Khan", .relationship = "father",
					     .idem_key = r->key};
		r->rc = case_member_add(db, &r->f->x, r->f->cas[0], &m, &r->id, &e);
	} else if (strcmp(r->what, "cover") == 0) {
		r->rc = worker_cover_add(db, &r->f->c, r->f->ww, r->f->wx, "2030-01-07", "2030-01-11",
					 "Annual leave", r->key, &r->id, &e);
	} else {
		struct worker_in in = {.name = "Ola Nowak", .employer = "Early Help",
				       .kind = "mentor", .hours_per_week = 20, .idem_key = r->key};
		r->rc = worker_save(db, &r->f->c, 0, &in, &r->id, &e);
	}
	db_close(db);
	return NULL;
}

static void test_at_once(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	fixture(db, &f);
	static const char *const what[][2] = {
		{"professional", "family_professionals"}, {"member", "family_members"},
		{"cover", "worker_covers"}, {"worker", "workers"},
	};
	for (size_t w = 0; w < 4; w++)
		for (int round = 0; round < 5; round++) {
			char key[32];
			snprintf(key, sizeof key, "race-%zu-%d", w, round);
			int64_t before = rows(db, what[w][1]);
			pthread_barrier_t start;
			pthread_barrier_init(&start, NULL, 2);
			struct race r[2];
			pthread_t t[2];
			for (int i = 0; i < 2; i++) {
				r[i] = (struct race){.url = ((struct testdb *)*state)->url, .key = key,
						     .what = what[w][0], .f = &f, .start = &start};
				pthread_create(&t[i], NULL, race_one, &r[i]);
			}
			for (int i = 0; i < 2; i++)
				pthread_join(t[i], NULL);
			pthread_barrier_destroy(&start);
			if (r[0].rc || r[1].rc || !r[0].id || r[0].id != r[1].id)
				fail_msg("%s round %d: rc %d/%d, id %" PRId64 "/%" PRId64, what[w][0], round,
					 r[0].rc, r[1].rc, r[0].id, r[1].id);
			assert_int_equal(rows(db, what[w][1]), before + 1);
			assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'create'"
				" AND entity = '%s' AND entity_id = '%" PRId64 "'", what[w][1], r[0].id)), 1);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_member, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_professional, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_consent, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_cover, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_worker, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_at_once, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
