/* test_assess.c — unit tests for src/core/assess.c: the seeded domain list
 * (16 national domains on three sides), checking an assessment (date,
 * kind, who agreed, every active domain scored 1–10, unknown, retired and
 * duplicated domains, text limits), recording it (scores copied with their
 * titles, chronology "assessed", audit), row scope (another worker: 404 and
 * an audited denial, nothing written; the coordinator may), a closed or
 * stepped-up case refused with a clear message, double submission, the
 * caller's-transaction variant, the admin's domain edits (rename, retire,
 * restore, add, reorder — old assessments keep their domains), and reading
 * back: the list, one assessment (audited view), distance travelled.
 *
 * Each test runs on a fresh database with the real migrations (SQLite, or
 * PostgreSQL with HEARTH_TEST_PG).  The partnership, family, referral and
 * case are inserted with SQL, so these tests are about assess.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/assess.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/scope.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who_sys = {.role = "system", .route = "test assess"};
static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_y = {.email = "y@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};
static struct audit_who who_a = {.email = "a@hearth.example", .role = "admin", .route = "test"};

struct fx {
	int64_t family, referral, case_id, wx, wy, ux, uy, uc, ua, us, school;
	struct scope sys, x, y, coord, admin, school_user;
};

/* ---- helpers ------------------------------------------------------------------ */

static void exec(struct db *db, const char *sql)
{
	int rc = db_exec(db, sql);
	if (rc)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
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
	static char b[4][2048];
	static int k;
	char *out = b[k++ % 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, 2048, fmt, ap);
	va_end(ap);
	return out;
}

static const char *day(int days)
{
	static char b[8][11];
	static int k;
	char *out = b[k++ % 8];
	date_format(date_today() + days, out);
	return out;
}

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static int64_t user(struct db *db, const char *email, const char *name, const char *role)
{
	return insert(db, sqlf("INSERT INTO users (email, name, role, password_hash, created_at, updated_at)"
		" VALUES ('%s', '%s', '%s', 'x', 'now', 'now') RETURNING id", email, name, role));
}

static void scope_of(struct scope *s, enum role role, const struct audit_who *w, int64_t uid,
		     int64_t worker)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(role);
	s->user_id = uid;
	s->worker_id = worker;
	s->who = w;
}

/* A family with a referral and an open case led by worker X, opened 50
 * days ago; worker Y, a coordinator, an admin and a school user. */
static void fixture(struct db *db, struct fx *f)
{
	memset(f, 0, sizeof *f);
	exec(db, "INSERT INTO districts (name) VALUES ('Belgrave')");
	f->school = insert(db, "INSERT INTO schools (urn, name, phase, district_id, created_at)"
		" VALUES ('999601', 'Assess Academy', 'secondary', 1, 'now') RETURNING id");
	f->ux = user(db, "x@hearth.example", "Xena Worker", "worker");
	f->uy = user(db, "y@hearth.example", "Yusuf Worker", "worker");
	f->uc = user(db, "c@hearth.example", "Cora Ordinator", "coordinator");
	f->ua = user(db, "a@hearth.example", "Ada Admin", "admin");
	f->us = insert(db, sqlf("INSERT INTO users (email, name, role, school_id, password_hash, created_at,"
		" updated_at) VALUES ('s@hearth.example', 'Sam School', 'school', %" PRId64 ", 'x', 'now',"
		" 'now') RETURNING id", f->school));
	f->wx = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Xena Worker', 'Early Help', 'family_support', 'now', 'now')"
		" RETURNING id", f->ux));
	f->wy = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Yusuf Worker', 'Early Help', 'family_support', 'now', 'now')"
		" RETURNING id", f->uy));
	f->family = insert(db, "INSERT INTO families (ref, name, address, postcode, home_language,"
		" created_at, updated_at) VALUES ('F-000001', 'Khan family', '12 Kiln Row', 'LE2 7QW',"
		" 'Urdu', 'now', 'now') RETURNING id");
	f->referral = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source, school_id,"
		" level_of_need, needs, reason, received_at) VALUES ('R-000001', %" PRId64 ", 'school',"
		" %" PRId64 ", 2, 'attendance', 'Attendance falling', '%sT09:00:00Z') RETURNING id",
		f->family, f->school, day(-60)));
	f->case_id = insert(db, sqlf("INSERT INTO cases (ref, family_id, referral_id, worker_id, opened_on,"
		" created_at, updated_at) VALUES ('C-000001', %" PRId64 ", %" PRId64 ", %" PRId64 ", '%s',"
		" 'now', 'now') RETURNING id", f->family, f->referral, f->wx, day(-50)));
	scope_system(&who_sys, &f->sys);
	who_x.user_id = f->ux;
	who_y.user_id = f->uy;
	who_c.user_id = f->uc;
	who_a.user_id = f->ua;
	scope_of(&f->x, ROLE_WORKER, &who_x, f->ux, f->wx);
	scope_of(&f->y, ROLE_WORKER, &who_y, f->uy, f->wy);
	scope_of(&f->coord, ROLE_COORDINATOR, &who_c, f->uc, 0);
	scope_of(&f->admin, ROLE_ADMIN, &who_a, f->ua, 0);
	scope_of(&f->school_user, ROLE_SCHOOL, &who_sys, f->us, 0);
	f->school_user.school_id = f->school;
}

/* An assessment scoring every active domain `score` (plus bump for the
 * domain code `better`), allocated from a. */
static struct assess_in scored(struct db *db, struct arena *a, const char *on, const char *kind,
			       int score, const char *better, int bump)
{
	struct assess_domain *d;
	size_t n;
	assert_int_equal(assess_domains(db, a, true, &d, &n), HE_OK);
	struct assess_score_in *sc = arena_alloc(a, (n + 1) * sizeof *sc);
	for (size_t i = 0; i < n; i++) {
		sc[i].domain_code = d[i].code;
		sc[i].score = score + (better && strcmp(better, d[i].code) == 0 ? bump : 0);
		sc[i].strengths = "Mum walks the children to school";
		sc[i].needs = i % 2 ? "Mornings are hard" : "";
	}
	struct assess_in in = {
		.assessed_on = on, .kind = kind, .agreed_with = "Nadia Khan (mother)",
		.summary = "Mornings first", .scores = sc, .nscores = n,
	};
	return in;
}

static struct assess_score_in *score_for(struct assess_in *in, const char *code)
{
	for (size_t i = 0; i < in->nscores; i++)
		if (strcmp(in->scores[i].domain_code, code) == 0)
			return (struct assess_score_in *)&in->scores[i];
	fail_msg("no score for %s", code);
	return NULL;
}

static int64_t record_ok(struct db *db, const struct scope *s, int64_t case_id, const struct assess_in *in)
{
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = assess_record(db, s, case_id, in, &id, &e);
	if (rc)
		fail_msg("assess_record: %d %s: %s [%s]", rc, e.field, e.message, db_errmsg(db));
	assert_true(id > 0);
	return id;
}

/* ---- the domain list --------------------------------------------------------- */

static void test_domains_seeded(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	struct assess_domain *d;
	size_t n;
	arena_init(&a);
	assert_int_equal(assess_domains(db, &a, true, &d, &n), HE_OK);
	assert_int_equal(n, 16);
	assert_string_equal(d[0].code, "health");
	assert_string_equal(d[0].side, "child");
	assert_string_equal(d[6].code, "basic_care");
	assert_string_equal(d[6].side, "parenting");
	assert_string_equal(d[15].code, "community");
	assert_string_equal(d[15].side, "family");
	int sides[3] = {0};
	for (size_t i = 0; i < n; i++) {
		assert_true(d[i].active);
		sides[strcmp(d[i].side, "child") == 0 ? 0 : strcmp(d[i].side, "parenting") == 0 ? 1 : 2]++;
		if (i)
			assert_true(d[i].position > d[i - 1].position);
	}
	assert_int_equal(sides[0], 6);
	assert_int_equal(sides[1], 5);
	assert_int_equal(sides[2], 5);
	assert_string_equal(assess_side_title("parenting"), "Parenting capacity");
	assert_string_equal(assess_kind_title("review"), "Review");
	arena_free(&a);
}

/* ---- checking ----------------------------------------------------------------- */

static void expect(struct db *db, const struct assess_in *in, int code, const char *field,
		   const char *words)
{
	struct errinfo e = {0};
	int rc = assess_check(db, in, &e);
	if (rc != code || strcmp(e.field, field) != 0 || (words && !strstr(e.message, words)))
		fail_msg("expected %d %s \"%s\", got %d %s: %s", code, field, words ? words : "", rc,
			 e.field, e.message);
}

static void test_check(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	arena_init(&a);
	struct assess_in in = scored(db, &a, day(-1), "initial", 5, NULL, 0);
	expect(db, &in, HE_OK, "", NULL);
	struct assess_in bad = in;
	bad.assessed_on = NULL;
	expect(db, &bad, HE_MISSING, "assessed_on", NULL);
	bad.assessed_on = "2026-02-30";
	expect(db, &bad, HE_INVALID, "assessed_on", "real date");
	bad.assessed_on = day(3);
	expect(db, &bad, HE_INVALID, "assessed_on", "future");
	bad = in;
	bad.kind = "annual";
	expect(db, &bad, HE_MISSING, "kind", NULL);
	bad = in;
	bad.agreed_with = "  ";
	expect(db, &bad, HE_MISSING, "agreed_with", NULL);
	/* out of range, either way, names the domain */
	score_for(&in, "housing")->score = 11;
	expect(db, &in, HE_INVALID, "score.housing", "Housing");
	score_for(&in, "housing")->score = -2;
	expect(db, &in, HE_INVALID, "score.housing", "from 1 to 10");
	/* not scored */
	score_for(&in, "housing")->score = 0;
	expect(db, &in, HE_MISSING, "score.housing", "Choose a score from 1 to 10 for Housing");
	score_for(&in, "housing")->score = 10;
	expect(db, &in, HE_OK, "", NULL);
	/* a domain missing from the list altogether */
	bad = in;
	bad.nscores = in.nscores - 1;     /* drops "community", the last */
	expect(db, &bad, HE_MISSING, "score.community", "social integration");
	/* an unknown domain, and one scored twice */
	struct assess_score_in *more = arena_alloc(&a, (in.nscores + 1) * sizeof *more);
	memcpy(more, in.scores, in.nscores * sizeof *more);
	more[in.nscores] = (struct assess_score_in){.domain_code = "astrology", .score = 5};
	bad = in;
	bad.scores = more;
	bad.nscores = in.nscores + 1;
	expect(db, &bad, HE_INVALID, "score", "astrology is not a domain");
	more[in.nscores] = (struct assess_score_in){.domain_code = "health", .score = 5};
	expect(db, &bad, HE_INVALID, "score", "Health is scored twice");
	/* strengths and needs at most 2,000 characters */
	char *longtext = arena_alloc(&a, 2002);
	memset(longtext, 'a', 2001);
	score_for(&in, "warmth")->needs = longtext;
	expect(db, &in, HE_INVALID, "needs.warmth", "2000");
	arena_free(&a);
}

/* ---- recording ------------------------------------------------------------------ */

static void test_record(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	fixture(db, &f);
	arena_init(&a);
	struct assess_in in = scored(db, &a, day(-40), "initial", 4, "housing", -2);
	int64_t id = record_ok(db, &f.x, f.case_id, &in);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM assessment_scores WHERE assessment_id = %"
		PRId64, id)), 16);
	assert_int_equal(count(db, sqlf("SELECT score FROM assessment_scores WHERE assessment_id = %" PRId64
		" AND domain_code = 'housing' AND domain_title = 'Housing' AND side = 'family'", id)), 2);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM assessments WHERE id = %" PRId64
		" AND case_id = %" PRId64 " AND kind = 'initial' AND user_id = %" PRId64 " AND review_id IS NULL"
		" AND agreed_with = 'Nadia Khan (mother)'", id, f.case_id, f.ux)), 1);
	/* the chronology names the lowest score */
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM case_events WHERE case_id = %" PRId64
		" AND kind = 'assessed' AND on_date = '%s' AND detail LIKE '%%Lowest score 2: Housing%%'",
		f.case_id, day(-40))), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'create'"
		" AND entity = 'assessments' AND entity_id = '%" PRId64 "' AND user_id = %" PRId64, id, f.ux)), 1);
	/* the coordinator may record too */
	struct assess_in r2 = scored(db, &a, day(-1), "review", 6, NULL, 0);
	record_ok(db, &f.coord, f.case_id, &r2);
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 2);
	/* before the case opened: refused */
	struct assess_in early = scored(db, &a, day(-55), "initial", 5, NULL, 0);
	struct errinfo e = {0};
	int64_t nid = 0;
	assert_int_equal(assess_record(db, &f.x, f.case_id, &early, &nid, &e), HE_INVALID);
	assert_string_equal(e.field, "assessed_on");
	/* bad input writes nothing */
	score_for(&r2, "safety")->score = 12;
	assert_int_equal(assess_record(db, &f.x, f.case_id, &r2, &nid, &e), HE_INVALID);
	assert_string_equal(e.field, "score.safety");
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'assessed'"), 2);
	arena_free(&a);
}

static void test_scope(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	arena_init(&a);
	struct assess_in in = scored(db, &a, day(-2), "initial", 5, NULL, 0);
	/* worker Y does not lead the case: not found, audited, nothing written */
	assert_int_equal(assess_record(db, &f.y, f.case_id, &in, &id, &e), HE_NOT_FOUND);
	assert_int_equal(id, 0);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'denied'"
		" AND user_id = %" PRId64 " AND entity = 'cases' AND entity_id = '%" PRId64 "'", f.uy,
		f.case_id)), 1);
	/* a school user has no case scope at all */
	assert_int_equal(assess_record(db, &f.school_user, f.case_id, &in, &id, &e), HE_NOT_FOUND);
	/* an unknown case */
	assert_int_equal(assess_record(db, &f.coord, 999, &in, &id, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events"), 0);
	/* Y covering X today may */
	exec(db, sqlf("INSERT INTO worker_covers (worker_id, for_worker_id, starts_on, ends_on, reason,"
		" recorded_at) VALUES (%" PRId64 ", %" PRId64 ", '%s', '%s', 'leave', 'now')", f.wy, f.wx,
		day(-1), day(1)));
	record_ok(db, &f.y, f.case_id, &in);
	arena_free(&a);
}

static void test_closed_case(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	arena_init(&a);
	struct assess_in in = scored(db, &a, day(-2), "closing", 7, NULL, 0);
	int64_t first = record_ok(db, &f.x, f.case_id, &in);
	exec(db, sqlf("UPDATE cases SET status = 'closed', closed_on = '%s', closure_reason = 'outcomes_met'"
		" WHERE id = %" PRId64, day(-1), f.case_id));
	assert_int_equal(assess_record(db, &f.x, f.case_id, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	assert_non_null(strstr(e.message, "This case is closed"));
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 1);
	/* reading stays possible */
	struct assessment got;
	assert_int_equal(assess_load(db, &a, &f.x, first, &got, &e), HE_OK);
	assert_string_equal(got.case_status, "closed");
	exec(db, sqlf("UPDATE cases SET status = 'stepped_up', closed_on = NULL, closure_reason = NULL"
		" WHERE id = %" PRId64, f.case_id));
	memset(&e, 0, sizeof e);
	assert_int_equal(assess_record(db, &f.coord, f.case_id, &in, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "case");
	assert_non_null(strstr(e.message, "stepped up"));
	arena_free(&a);
}

static void test_idem(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	struct errinfo e = {0};
	int64_t id2 = 0;
	fixture(db, &f);
	arena_init(&a);
	struct assess_in in = scored(db, &a, day(-2), "initial", 5, NULL, 0);
	in.idem_key = "0123456789abcdef0123456789abcdef";
	int64_t id = record_ok(db, &f.x, f.case_id, &in);
	assert_int_equal(assess_record(db, &f.x, f.case_id, &in, &id2, &e), HE_OK);
	assert_int_equal(id2, id);
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'assessed'"), 1);
	/* someone else's key is not theirs to reuse */
	assert_int_equal(assess_record(db, &f.coord, f.case_id, &in, &id2, &e), HE_CONFLICT);
	assert_string_equal(e.field, "idem");
	arena_free(&a);
}

static void test_record_tx(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	arena_init(&a);
	struct assess_in in = scored(db, &a, day(-3), "review", 6, NULL, 0);
	assert_int_equal(assess_record_tx(db, &f.x, f.case_id, 0, &in, &id, &e), HE_INTERNAL);
	int64_t review = insert(db, sqlf("INSERT INTO reviews (case_id, held_on, summary, recorded_at)"
		" VALUES (%" PRId64 ", '%s', 'Going well', 'now') RETURNING id", f.case_id, day(-3)));
	/* the caller rolls back: nothing of it stays */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(assess_record_tx(db, &f.x, f.case_id, review, &in, &id, &e), HE_OK);
	db_rollback(db);
	assert_int_equal(count(db, "SELECT count(*) FROM assessments"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM assessment_scores"), 0);
	/* the caller commits: recorded at the review */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(assess_record_tx(db, &f.x, f.case_id, review, &in, &id, &e), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
	assert_int_equal(count(db, sqlf("SELECT review_id FROM assessments WHERE id = %" PRId64, id)), review);
	arena_free(&a);
}

/* ---- the admin's domain list ------------------------------------------------- */

static void test_domain_admin(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	struct errinfo e = {0};
	int64_t id = 0;
	fixture(db, &f);
	arena_init(&a);
	struct assess_in before = scored(db, &a, day(-10), "initial", 3, NULL, 0);
	int64_t old = record_ok(db, &f.x, f.case_id, &before);

	/* rename housing, retire wider_family, add one to the family side */
	assert_int_equal(assess_domain_update(db, &f.admin, "housing", "Home and housing", true, &e), HE_OK);
	assert_int_equal(assess_domain_update(db, &f.admin, "wider_family", NULL, false, &e), HE_OK);
	assert_int_equal(assess_domain_add(db, &f.admin, "finance_skills", "Managing money", "family", &e),
			 HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'assessment_domains'"), 3);

	/* the old assessment keeps its domains, titles and all */
	struct assessment got;
	assert_int_equal(assess_load(db, &a, &f.x, old, &got, &e), HE_OK);
	assert_int_equal(got.nscores, 16);
	bool saw_wider = false;
	for (size_t i = 0; i < got.nscores; i++) {
		if (strcmp(got.scores[i].domain_code, "housing") == 0)
			assert_string_equal(got.scores[i].domain_title, "Housing");
		saw_wider = saw_wider || strcmp(got.scores[i].domain_code, "wider_family") == 0;
		assert_string_not_equal(got.scores[i].domain_code, "finance_skills");
	}
	assert_true(saw_wider);

	/* a new assessment: the old full list no longer fits */
	assert_int_equal(assess_check(db, &before, &e), HE_INVALID);
	assert_non_null(strstr(e.message, "retired"));
	struct assess_in now = scored(db, &a, day(-1), "review", 6, NULL, 0);
	assert_int_equal(now.nscores, 16);      /* 16 - wider_family + finance_skills */
	int64_t nid = record_ok(db, &f.x, f.case_id, &now);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM assessment_scores WHERE assessment_id = %"
		PRId64 " AND domain_code = 'housing' AND domain_title = 'Home and housing'", nid)), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM assessment_scores WHERE assessment_id = %"
		PRId64 " AND domain_code = 'wider_family'", nid)), 0);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM assessment_scores WHERE assessment_id = %"
		PRId64 " AND domain_code = 'finance_skills' AND side = 'family' AND position = 17", nid)), 1);

	/* restore brings it back into the list */
	assert_int_equal(assess_domain_update(db, &f.admin, "wider_family", NULL, true, &e), HE_OK);
	struct assess_domain *d;
	size_t n;
	assert_int_equal(assess_domains(db, &a, true, &d, &n), HE_OK);
	assert_int_equal(n, 17);
	assert_int_equal(assess_domains(db, &a, false, &d, &n), HE_OK);
	assert_int_equal(n, 17);

	/* bad edits */
	memset(&e, 0, sizeof e);
	assert_int_equal(assess_domain_add(db, &f.admin, "housing", "Again", "family", &e), HE_CONFLICT);
	assert_string_equal(e.field, "code");
	assert_int_equal(assess_domain_add(db, &f.admin, "Bad Code", "X", "family", &e), HE_INVALID);
	assert_string_equal(e.field, "code");
	assert_int_equal(assess_domain_add(db, &f.admin, "ok_code", "", "family", &e), HE_MISSING);
	assert_string_equal(e.field, "title");
	assert_int_equal(assess_domain_add(db, &f.admin, "ok_code", "Fine", "school", &e), HE_MISSING);
	assert_string_equal(e.field, "side");
	assert_int_equal(assess_domain_update(db, &f.admin, "nope", "X", true, &e), HE_NOT_FOUND);
	assert_int_equal(assess_domain_update(db, &f.admin, "health", "", true, &e), HE_MISSING);
	/* the last active domain cannot be retired */
	exec(db, "UPDATE assessment_domains SET active = 0 WHERE code <> 'health'");
	assert_int_equal(assess_domain_update(db, &f.admin, "health", NULL, false, &e), HE_CONFLICT);
	assert_int_equal(count(db, "SELECT active FROM assessment_domains WHERE code = 'health'"), 1);
	(void)id;
	arena_free(&a);
}

static void test_domain_move(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f);
	/* learning (3) up: swaps with emotional_behavioural (2) */
	assert_int_equal(assess_domain_move(db, &f.admin, "learning", -1, &e), HE_OK);
	assert_int_equal(count(db, "SELECT position FROM assessment_domains WHERE code = 'learning'"), 2);
	assert_int_equal(count(db, "SELECT position FROM assessment_domains WHERE code = 'emotional_behavioural'"), 3);
	/* the first of a side cannot go higher; the last of a side cannot go into the next side */
	assert_int_equal(assess_domain_move(db, &f.admin, "health", -1, &e), HE_OK);
	assert_int_equal(count(db, "SELECT position FROM assessment_domains WHERE code = 'health'"), 1);
	assert_int_equal(assess_domain_move(db, &f.admin, "self_care", 1, &e), HE_OK);
	assert_int_equal(count(db, "SELECT position FROM assessment_domains WHERE code = 'self_care'"), 6);
	assert_int_equal(count(db, "SELECT position FROM assessment_domains WHERE code = 'basic_care'"), 7);
	/* community (last) down: no-op */
	assert_int_equal(assess_domain_move(db, &f.admin, "community", 1, &e), HE_OK);
	assert_int_equal(count(db, "SELECT position FROM assessment_domains WHERE code = 'community'"), 16);
	assert_int_equal(assess_domain_move(db, &f.admin, "nope", 1, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'assessment_domains'"
		" AND summary LIKE '%moved%'"), 1);
}

/* ---- reading --------------------------------------------------------------------- */

static void test_list_and_distance(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct arena a;
	struct errinfo e = {0};
	fixture(db, &f);
	arena_init(&a);
	struct assess_in first = scored(db, &a, day(-40), "initial", 3, "housing", -1);
	struct assess_in mid = scored(db, &a, day(-20), "review", 5, NULL, 0);
	struct assess_in last = scored(db, &a, day(-1), "review", 6, "housing", 3);
	/* recorded out of order: the list is by date */
	int64_t idl = record_ok(db, &f.x, f.case_id, &last);
	int64_t idf = record_ok(db, &f.x, f.case_id, &first);
	record_ok(db, &f.x, f.case_id, &mid);
	struct assessment *l;
	size_t n;
	assert_int_equal(assess_list(db, &a, f.case_id, &l, &n), HE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].id, idf);
	assert_int_equal(l[2].id, idl);
	assert_string_equal(l[0].family_name, "Khan family");
	assert_string_equal(l[0].recorded_by, "Xena Worker");
	assert_int_equal(l[2].nscores, 16);
	struct assess_travel *t;
	size_t nt;
	assess_distance(&a, l, n, &t, &nt);
	assert_int_equal(nt, 16);
	for (size_t i = 0; i < nt; i++) {
		bool housing = strcmp(t[i].code, "housing") == 0;
		assert_int_equal(t[i].first, housing ? 2 : 3);
		assert_int_equal(t[i].latest, housing ? 9 : 6);
	}
	assert_string_equal(t[0].code, "health");

	/* the audited list: worker Y is refused, audited */
	int64_t audits = count(db, "SELECT count(*) FROM audit_log WHERE action = 'view'");
	assert_int_equal(assess_case_list(db, &a, &f.x, f.case_id, &l, &n, &e), HE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'view'"), audits + 1);
	assert_int_equal(assess_case_list(db, &a, &f.y, f.case_id, &l, &n, &e), HE_NOT_FOUND);
	assert_int_equal(n, 0);
	/* one assessment: audited view; Y gets not found and a denial row */
	struct assessment one;
	assert_int_equal(assess_load(db, &a, &f.coord, idf, &one, &e), HE_OK);
	assert_string_equal(one.kind, "initial");
	assert_int_equal(one.nscores, 16);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'view' AND entity ="
		" 'assessments' AND entity_id = '%" PRId64 "' AND user_id = %" PRId64, idf, f.uc)), 1);
	assert_int_equal(assess_load(db, &a, &f.y, idf, &one, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity ="
		" 'assessments' AND entity_id = '%" PRId64 "' AND user_id = %" PRId64, idf, f.uy)), 1);
	assert_int_equal(assess_load(db, &a, &f.coord, 9999, &one, &e), HE_NOT_FOUND);
	/* distance with one assessment: the same both ends; none: nothing */
	assess_distance(&a, l, 0, &t, &nt);
	assert_int_equal(nt, 0);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_domains_seeded, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_check, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_record, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_scope, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_closed_case, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_idem, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_record_tx, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_domain_admin, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_domain_move, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_list_and_distance, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
