/* test_consent_scopes.c — the consent scopes "health" and "social_care"
 * mean something (src/core/consent.c consent_agency_active and
 * consent_need_for_professional, used by taf.c and plan.c; the step-up's
 * lawful basis in case.c).
 *
 * Sharing with a partner professional needs "agencies"; a health service
 * (school nursing, CAMHS, health visiting) needs "health" as well, and
 * children's social care "social_care".  Tested through the functions
 * users call: inviting to a TAF meeting, giving an action, what an
 * invited agency user sees — and that a withdrawal after the invitation
 * hides the family from them at once.  A lawful basis covers every scope.
 * Stepping up without "social_care" consent needs a lawful basis note and
 * records a safeguarding basis row in the same transaction; with the
 * consent, nothing extra.  SQLite, or PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/agency.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caps.h"
#include "core/consent.h"
#include "core/ical.h"
#include "core/plan.h"
#include "core/scope.h"
#include "core/taf.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static struct audit_who who_x = {.email = "x@hearth.example", .role = "worker", .route = "test"};
static struct audit_who who_c = {.email = "c@hearth.example", .role = "coordinator", .route = "test"};
static struct audit_who who_n = {.email = "n@hearth.example", .role = "agency", .route = "test"};
static struct audit_who who_e = {.email = "e@hearth.example", .role = "agency", .route = "test"};

struct fx {
	int64_t family, referral, kase, wx;
	int64_t nurse, social, ewo, camhs;      /* professionals */
	struct scope x, coord, nina, ed;        /* nina: the nurse's sign-in, ed: the EWO's */
};

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
	char now[17], d[11];
	hday t;
	ical_london_now(time(NULL), now);
	snprintf(d, sizeof d, "%.10s", now);
	date_parse(d, &t);
	char *out = b[k++ % 8];
	date_format(t + days, out);
	return out;
}

static const char *at(int days, const char *hhmm)
{
	static char b[8][17];
	static int k;
	char *out = b[k++ % 8];
	snprintf(out, 17, "%sT%s", day(days), hhmm);
	return out;
}

static int64_t count(struct db *db, const char *sql)
{
	return testdb_int(db, sql);
}

static void scope_of(struct scope *s, enum role r, struct audit_who *w, int64_t user)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(r);
	s->user_id = user;
	w->user_id = user;
	s->who = w;
}

static int64_t user(struct db *db, const char *email, const char *name, const char *role)
{
	return insert(db, sqlf("INSERT INTO users (email, name, role, password_hash, created_at,"
		" updated_at) VALUES ('%s', '%s', '%s', 'x', 'now', 'now') RETURNING id", email, name, role));
}

static int64_t professional(struct db *db, const char *agency, const char *kind, const char *name,
			    int64_t user_id)
{
	int64_t a = insert(db, sqlf("INSERT INTO agencies (name, kind, created_at) VALUES ('%s', '%s',"
		" 'now') RETURNING id", agency, kind));
	if (!user_id)
		return insert(db, sqlf("INSERT INTO professionals (agency_id, name, role, created_at)"
			" VALUES (%" PRId64 ", '%s', 'Practitioner', 'now') RETURNING id", a, name));
	return insert(db, sqlf("INSERT INTO professionals (agency_id, name, role, user_id, created_at)"
		" VALUES (%" PRId64 ", '%s', 'Practitioner', %" PRId64 ", 'now') RETURNING id", a, name,
		user_id));
}

/* Record a consent (scope "pool,…") or, for basis other than "consent",
 * a lawful basis, through the core; its id. */
static int64_t record(struct db *db, struct fx *f, const char *basis, const char *scope)
{
	struct consent_in in = {.basis = basis, .given_by = "Nadia Khan", .relationship = "mother",
				.scope = scope, .given_on = day(-55),
				.lawful_basis_note = "Risk of significant harm"};
	struct errinfo e = {0};
	int64_t id = 0;
	assert_int_equal(db_begin(db), HE_OK);
	int rc = consent_record_tx(db, &f->coord, f->family, 0, &in, &id, &e);
	if (rc)
		fail_msg("consent_record_tx: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
	return id;
}

/* The Khans, referred and with an open case of worker X; their consent
 * covers scope.  Directory: a school nurse (sign-in Nina), a social
 * worker, a CAMHS practitioner, an education welfare officer (Ed). */
static void fixture(struct db *db, struct fx *f, const char *scope)
{
	memset(f, 0, sizeof *f);
	int64_t ux = user(db, "x@hearth.example", "Xena Worker", "worker");
	int64_t uc = user(db, "c@hearth.example", "Cora Ordinator", "coordinator");
	int64_t un = user(db, "n@hearth.example", "Nina Nurse", "agency");
	int64_t ue = user(db, "e@hearth.example", "Ed Welfare", "agency");
	f->wx = insert(db, sqlf("INSERT INTO workers (user_id, name, employer, kind, created_at, updated_at)"
		" VALUES (%" PRId64 ", 'Xena Worker', 'Early Help', 'family_support', 'now', 'now')"
		" RETURNING id", ux));
	f->nurse = professional(db, "School Nursing", "school_nursing", "Nina Nurse", un);
	f->social = professional(db, "Childrens Social Care", "social_care", "Sol Social", 0);
	f->camhs = professional(db, "CAMHS City", "camhs", "Cam Hale", 0);
	f->ewo = professional(db, "Education Welfare", "education_welfare", "Ed Welfare", ue);
	scope_of(&f->x, ROLE_WORKER, &who_x, ux);
	f->x.worker_id = f->wx;
	scope_of(&f->coord, ROLE_COORDINATOR, &who_c, uc);
	scope_of(&f->nina, ROLE_AGENCY, &who_n, un);
	f->nina.professional_id = f->nurse;
	scope_of(&f->ed, ROLE_AGENCY, &who_e, ue);
	f->ed.professional_id = f->ewo;
	f->family = insert(db, "INSERT INTO families (ref, name, created_at, updated_at)"
		" VALUES ('F-000001', 'Khan family', 'now', 'now') RETURNING id");
	f->referral = insert(db, sqlf("INSERT INTO referrals (ref, family_id, source, level_of_need, needs,"
		" reason, received_at) VALUES ('R-000001', %" PRId64 ", 'agency', 2, 'attendance,health',"
		" 'Attendance falling', '%sT09:00:00Z') RETURNING id", f->family, day(-60)));
	record(db, f, "consent", scope);
	struct errinfo e = {0};
	assert_int_equal(db_begin(db), HE_OK);
	int rc = case_open_tx(db, &f->coord, f->referral, f->wx, 2, false, day(-50), &f->kase, &e);
	if (rc)
		fail_msg("case_open_tx: %d %s: %s", rc, e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
}

static int64_t schedule(struct db *db, struct fx *f, int days)
{
	struct meeting_in in = {.starts_at = at(days, "10:00"), .place = "Multi-agency centre"};
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = taf_schedule(db, &f->x, f->kase, &in, &id, &e);
	if (rc)
		fail_msg("taf_schedule: %d %s: %s", rc, e.field, e.message);
	return id;
}

static int64_t version(struct db *db, int64_t meeting)
{
	return count(db, sqlf("SELECT version FROM taf_meetings WHERE id = %" PRId64, meeting));
}

static int invite(struct db *db, struct fx *f, int64_t meeting, int64_t prof, struct errinfo *e)
{
	memset(e, 0, sizeof *e);
	return taf_invite(db, &f->x, meeting, version(db, meeting), prof, 0, 0, e);
}

static int64_t invited(struct db *db, int64_t meeting, int64_t prof)
{
	return count(db, sqlf("SELECT count(*) FROM taf_invitees WHERE meeting_id = %" PRId64
			      " AND professional_id = %" PRId64, meeting, prof));
}

static int give_action(struct db *db, struct fx *f, int64_t prof, int64_t *id, struct errinfo *e)
{
	struct action_in in = {.description = "See Aisha at the drop-in weekly", .need = "health",
			       .owner_kind = "agency", .owner_professional_id = prof, .due_on = day(14)};
	memset(e, 0, sizeof *e);
	return plan_action_add(db, &f->x, f->kase, &in, id, e);
}

/* ---- the kind → scope table, in C and in SQL --------------------------------- */

static void test_kind_scopes(void **state)
{
	struct db *db = DB(state);
	assert_string_equal(consent_scope_for_agency_kind("school_nursing"), "health");
	assert_string_equal(consent_scope_for_agency_kind("camhs"), "health");
	assert_string_equal(consent_scope_for_agency_kind("health_visiting"), "health");
	assert_string_equal(consent_scope_for_agency_kind("social_care"), "social_care");
	assert_null(consent_scope_for_agency_kind("education_welfare"));
	assert_null(consent_scope_for_agency_kind("housing"));
	assert_null(consent_scope_for_agency_kind(NULL));
	/* the SQL form agrees for every kind of the directory */
	for (int i = 0; agency_kinds[i]; i++) {
		struct db_stmt *st = db_prepare(db, "SELECT coalesce("
			CONSENT_SQL_KIND_SCOPE("CAST(:k AS TEXT)") ", '')");
		db_bind_text(st, ":k", agency_kinds[i]);
		assert_true(db_next(st));
		const char *c = consent_scope_for_agency_kind(agency_kinds[i]);
		assert_string_equal(db_text(st, 0), c ? c : "");
		assert_int_equal(db_finalize(st), HE_OK);
	}
}

/* ---- health ------------------------------------------------------------------ */

static void test_health_invite(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e;
	int64_t id = 0;
	fixture(db, &f, "pool,agencies");
	int64_t m = schedule(db, &f, 3);
	/* agencies but not health: the school nurse and CAMHS are refused, by name */
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_non_null(strstr(e.message, "has not agreed to share their information with health"
			       " services"));
	assert_non_null(strstr(e.message, "School Nursing"));
	assert_int_equal(invited(db, m, f.nurse), 0);
	assert_int_equal(invite(db, &f, m, f.camhs, &e), HE_CONFLICT);
	assert_non_null(strstr(e.message, "health services"));
	assert_int_equal(give_action(db, &f, f.nurse, &id, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_non_null(strstr(e.message, "health services"));
	assert_int_equal(count(db, "SELECT count(*) FROM plan_actions"), 0);
	/* the education welfare officer needs agencies only */
	assert_int_equal(invite(db, &f, m, f.ewo, &e), HE_OK);
	/* the forms offer only the services the family shares with */
	struct arena a;
	arena_init(&a);
	struct plan_choice *v;
	size_t n, nurse = 0, ewo = 0;
	assert_int_equal(plan_owners(db, &a, f.kase, &v, &n), HE_OK);
	for (size_t i = 0; i < n; i++) {
		nurse += strcmp(v[i].kind, "agency") == 0 && v[i].id == f.nurse;
		ewo += strcmp(v[i].kind, "agency") == 0 && v[i].id == f.ewo;
	}
	assert_int_equal(nurse, 0);
	assert_int_equal(ewo, 1);
	struct taf_meeting t;
	assert_int_equal(taf_meeting_load(db, &a, &f.x, m, &t, &e), HE_OK);
	assert_true(t.can_invite_agencies);
	assert_false(t.can_invite_health);
	/* a further consent covering health: allowed */
	record(db, &f, "consent", "pool,health");
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_OK);
	assert_int_equal(invited(db, m, f.nurse), 1);
	assert_int_equal(give_action(db, &f, f.nurse, &id, &e), HE_OK);
	assert_int_equal(plan_owners(db, &a, f.kase, &v, &n), HE_OK);
	nurse = 0;
	for (size_t i = 0; i < n; i++)
		nurse += strcmp(v[i].kind, "agency") == 0 && v[i].id == f.nurse;
	assert_int_equal(nurse, 1);
	arena_free(&a);
}

static void test_health_needs_agencies_too(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e;
	fixture(db, &f, "pool,health");
	int64_t m = schedule(db, &f, 3);
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_CONFLICT);
	assert_non_null(strstr(e.message, "partner agencies"));
	assert_int_equal(invited(db, m, f.nurse), 0);
}

static void test_lawful_basis_covers(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e;
	int64_t id = 0;
	fixture(db, &f, "pool");
	int64_t m = schedule(db, &f, 3);
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_CONFLICT);
	assert_int_equal(invite(db, &f, m, f.social, &e), HE_CONFLICT);
	record(db, &f, "safeguarding", NULL);
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_OK);
	assert_int_equal(invite(db, &f, m, f.social, &e), HE_OK);
	assert_int_equal(give_action(db, &f, f.camhs, &id, &e), HE_OK);
}

/* ---- social care --------------------------------------------------------------- */

static void test_social_care_invite(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e;
	int64_t id = 0;
	fixture(db, &f, "pool,agencies,health");
	int64_t m = schedule(db, &f, 3);
	assert_int_equal(invite(db, &f, m, f.social, &e), HE_CONFLICT);
	assert_string_equal(e.field, "consent");
	assert_non_null(strstr(e.message, "has not agreed to share their information with children's"
			       " social care"));
	assert_int_equal(give_action(db, &f, f.social, &id, &e), HE_CONFLICT);
	assert_non_null(strstr(e.message, "children's social care"));
	assert_int_equal(invited(db, m, f.social), 0);
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_OK);   /* health is agreed */
	record(db, &f, "consent", "pool,social_care");
	assert_int_equal(invite(db, &f, m, f.social, &e), HE_OK);
	assert_int_equal(give_action(db, &f, f.social, &id, &e), HE_OK);
}

/* ---- withdrawal after the invitation ------------------------------------------ */

static void test_withdrawal_hides(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e;
	bool yes = false;
	fixture(db, &f, "pool,agencies");
	int64_t health = record(db, &f, "consent", "pool,health");
	int64_t m = schedule(db, &f, 3);
	assert_int_equal(invite(db, &f, m, f.nurse, &e), HE_OK);
	assert_int_equal(invite(db, &f, m, f.ewo, &e), HE_OK);
	int64_t act = 0;
	assert_int_equal(give_action(db, &f, f.nurse, &act, &e), HE_OK);
	/* Nina, the invited nurse, sees the meeting and her action */
	struct arena a;
	arena_init(&a);
	struct taf_meeting t;
	struct taf_summary *ms;
	struct taf_action *as;
	size_t nm, na;
	assert_int_equal(taf_meeting_visible(db, &f.nina, m, &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(taf_meeting_load(db, &a, &f.nina, m, &t, &e), HE_OK);
	assert_int_equal(taf_agency_home(db, &a, &f.nina, &ms, &nm, &as, &na, &e), HE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(na, 1);
	assert_int_equal(plan_action_visible(db, &f.nina, act, &yes), HE_OK);
	assert_true(yes);

	/* the family withdraws consent to share with health services */
	assert_int_equal(consent_withdraw(db, &f.coord, health, day(0), "Mum asked us to stop"
					  " sharing with the school nurse", &e), HE_OK);
	assert_int_equal(taf_meeting_visible(db, &f.nina, m, &yes), HE_OK);
	assert_false(yes);
	int64_t denied = count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
	assert_int_equal(taf_meeting_load(db, &a, &f.nina, m, &t, &e), HE_NOT_FOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"),
			 denied + 1);
	assert_int_equal(taf_agency_home(db, &a, &f.nina, &ms, &nm, &as, &na, &e), HE_OK);
	assert_int_equal(nm, 0);
	assert_int_equal(na, 0);
	assert_int_equal(plan_action_visible(db, &f.nina, act, &yes), HE_OK);
	assert_false(yes);
	struct plan_update *ups;
	size_t nups;
	struct plan_action pa;
	assert_int_equal(plan_action_load(db, &a, &f.nina, act, &pa, &ups, &nups, &e), HE_NOT_FOUND);
	assert_int_equal(plan_action_update(db, &f.nina, act, 1, "in_progress", "Seen once", NULL, &e),
			 HE_NOT_FOUND);
	/* the education welfare officer (agencies only) still sees it */
	assert_int_equal(taf_meeting_visible(db, &f.ed, m, &yes), HE_OK);
	assert_true(yes);
	/* the worker sees the nurse marked as no longer shared with */
	assert_int_equal(taf_meeting_load(db, &a, &f.x, m, &t, &e), HE_OK);
	int marked = 0, unmarked = 0;
	for (size_t i = 0; i < t.ninvitees; i++) {
		marked += t.invitees[i].professional_id == f.nurse && t.invitees[i].not_shared;
		unmarked += t.invitees[i].professional_id == f.ewo && !t.invitees[i].not_shared;
	}
	assert_int_equal(marked, 1);
	assert_int_equal(unmarked, 1);
	/* and cannot invite her again */
	int64_t m2 = schedule(db, &f, 10);
	assert_int_equal(invite(db, &f, m2, f.nurse, &e), HE_CONFLICT);
	arena_free(&a);
}

/* ---- step up -------------------------------------------------------------------- */

static int64_t case_version(struct db *db, struct fx *f)
{
	return count(db, sqlf("SELECT version FROM cases WHERE id = %" PRId64, f->kase));
}

static void test_step_up_needs_basis(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	bool yes = true;
	fixture(db, &f, "pool,school,agencies,health");
	int64_t v = case_version(db, &f);
	int64_t consents = count(db, "SELECT count(*) FROM consents");
	/* no social_care consent: the note is required, nothing written */
	assert_int_equal(case_step_up(db, &f.x, f.kase, v, NULL, "Disclosure of harm", "  ", &e),
			 HE_MISSING);
	assert_string_equal(e.field, "lawful_basis_note");
	assert_non_null(strstr(e.message, "children's social care"));
	assert_int_equal(count(db, "SELECT count(*) FROM cases WHERE status = 'open'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM consents"), consents);
	/* a stale version with a note: nothing recorded either */
	memset(&e, 0, sizeof e);
	assert_int_equal(case_step_up(db, &f.x, f.kase, v + 5, NULL, "Disclosure of harm",
				      "Risk of significant harm", &e), HE_CONFLICT);
	assert_int_equal(count(db, "SELECT count(*) FROM consents"), consents);
	/* with the note: stepped up, and the basis is on the record */
	memset(&e, 0, sizeof e);
	assert_int_equal(case_step_up(db, &f.x, f.kase, v, day(-1), "Disclosure of harm",
				      "Risk of significant harm: the DSL decided not to seek consent",
				      &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM cases WHERE status = 'stepped_up'"), 1);
	assert_int_equal(count(db, sqlf("SELECT count(*) FROM consents WHERE family_id = %" PRId64
		" AND basis = 'safeguarding' AND scope = 'social_care' AND given_on = '%s'"
		" AND lawful_basis_note = 'Risk of significant harm: the DSL decided not to seek consent'"
		" AND withdrawn_on IS NULL", f.family, day(-1))), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE entity = 'consents'"
			       " AND action = 'create'"), consents + 1);
	assert_int_equal(count(db, "SELECT count(*) FROM case_events WHERE kind = 'note' AND summary"
			       " LIKE '%children''s social care without consent%'"), 1);
	/* the basis covers sharing with social care, and nothing else */
	assert_int_equal(consent_basis_active(db, f.family, "social_care", &yes), HE_OK);
	assert_true(yes);
	assert_int_equal(consent_basis_active(db, f.family, "commissioned", &yes), HE_OK);
	assert_false(yes);
}

static void test_step_up_with_consent(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f, "pool,school,social_care");
	int64_t consents = count(db, "SELECT count(*) FROM consents");
	assert_int_equal(case_step_up(db, &f.x, f.kase, case_version(db, &f), NULL,
				      "Disclosure of harm", NULL, &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM cases WHERE status = 'stepped_up'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM consents"), consents);
}

static void test_step_up_consent_withdrawn(void **state)
{
	struct db *db = DB(state);
	struct fx f;
	struct errinfo e = {0};
	fixture(db, &f, "pool,school,social_care");
	int64_t k = count(db, "SELECT min(id) FROM consents");
	assert_int_equal(consent_withdraw(db, &f.coord, k, day(0), "Family withdrew", &e), HE_OK);
	/* never blocked: with the note it goes ahead, recording its basis */
	assert_int_equal(case_step_up(db, &f.x, f.kase, case_version(db, &f), NULL,
				      "Disclosure of harm", NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "lawful_basis_note");
	assert_int_equal(case_step_up(db, &f.x, f.kase, case_version(db, &f), NULL,
				      "Disclosure of harm", "Risk of harm", &e), HE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM consents WHERE basis = 'safeguarding'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kind_scopes, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_health_invite, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_health_needs_agencies_too, testdb_setup,
						testdb_teardown),
		cmocka_unit_test_setup_teardown(test_lawful_basis_covers, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_social_care_invite, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_withdrawal_hides, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_step_up_needs_basis, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_step_up_with_consent, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_step_up_consent_withdrawn, testdb_setup,
						testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
