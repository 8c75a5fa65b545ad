/* test_family_details.c — unit tests for the family's address, postcode
 * and home language (family.c: family_details_check,
 * family_details_from_referral_tx, family_details_change; referral.c
 * passing them on; dataprot.c keeping them out of an anonymised family).
 *
 * Validation names the field and normalises (postcode upper case with one
 * space, language with a capital); a bad referral writes nothing.  A
 * referral stores the details on the family it makes; on a family already
 * recorded it fills only blank fields and keeps a different value in a
 * chronology note, never over the record.  A change by the case's worker
 * writes the replaced values to family_details_history, bumps the version,
 * audits and adds a chronology note; a stale version is a conflict that
 * changes nothing; a worker not on the case and a school user get "not
 * found" (audited); a form sent twice changes once; the same values again
 * change nothing.  A referral in Polish ranks the Polish-speaking worker
 * first, saying so.  Subject access lists the replaced values and
 * retention blanks them.  SQLite, or PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/allocate.h"
#include "core/case.h"
#include "core/dataprot.h"
#include "core/family.h"
#include "core/referral.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)

enum { USER_WORKER2 = 6 };
enum { WORKER_PL = 1, WORKER_OTHER = 2 };

/* Two pool workers alike in everything but Polish: Pawel (user 5) and
 * Olive (user 6). */
static void workers(struct db *db)
{
	fix_user(db, USER_WORKER2, "worker", 0);
	fix_exec(db, "INSERT INTO workers (id, user_id, name, employer, kind, skills, languages,"
		" created_at, updated_at) VALUES"
		" (1, 5, 'Pawel Nowicki', 'Early Help', 'family_support', '', 'Russian,polish', 'x', 'x'),"
		" (2, 6, 'Olive Other', 'Early Help', 'family_support', '', 'French', 'x', 'x')");
}

static struct scope worker_scope(int user, int64_t worker)
{
	struct scope s = fix_scope(USER_A);
	s.caps = caps_for_role(ROLE_WORKER);
	s.user_id = user;
	s.school_id = 0;
	s.worker_id = worker;
	return s;
}

/* School A's referral for the pupils given, with the home as given. */
static int refer(struct db *db, int user, int school, const char *upn, const char *address,
		 const char *postcode, const char *language, int64_t *id, struct errinfo *e)
{
	const char *upns[] = {upn};
	struct referral_in in = {
		.source = "school", .school_id = school, .upns = upns, .nupns = 1,
		.needs = "attendance", .level_of_need = 2, .reason = "Attendance has fallen to 80%.",
		.consent = {.basis = "consent", .given_by = "Ewa Khan", .relationship = "mother",
			    .scope = "pool,school", .given_on = "2026-01-05"},
		.address = address, .postcode = postcode, .home_language = language,
	};
	struct scope s = fix_scope(user);
	memset(e, 0, sizeof *e);
	return referral_create(db, &s, &in, id, e);
}

/* A referral of Aisha in Polish, and its case worked by Pawel. */
static int64_t polish_case(struct db *db, int64_t *family)
{
	struct errinfo e;
	int64_t rid = 0, cid = 0;
	if (refer(db, USER_A, SCHOOL_A, fix_upn[AISHA], "12 Kiln Row\nLeicester", "le2 7qw",
		  "polish", &rid, &e))
		fail_msg("refer: %s %s", e.field, e.message);
	struct scope coord = fix_scope(USER_COORD);
	assert_int_equal(db_begin(db), HE_OK);
	if (case_open_tx(db, &coord, rid, WORKER_PL, 2, false, NULL, &cid, &e))
		fail_msg("case_open_tx: %s %s", e.field, e.message);
	assert_int_equal(db_commit(db), HE_OK);
	*family = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", rid);
	return cid;
}

static int64_t count_of(struct db *db, const char *sql, int64_t id)
{
	return fix_int(db, sql, id);
}

/* The text of the first column of sql (one :id parameter), copied. */
static void text_of(struct db *db, const char *sql, int64_t id, char *out, size_t n)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	snprintf(out, n, "%s", db_next(st) && db_text(st, 0) ? db_text(st, 0) : "(null)");
	assert_int_equal(db_finalize(st), HE_OK);
}

/* ---- validation ------------------------------------------------------------ */

static void check_names_the_field(void **state)
{
	(void)state;
	struct family_details d;
	struct errinfo e = {0};
	struct family_details_in ok = {"  3 Elm Road\r\nLeicester ", "le4   6tj", " polish "};
	assert_int_equal(family_details_check(&ok, &d, &e), HE_OK);
	assert_string_equal(d.address, "3 Elm Road, Leicester");
	assert_string_equal(d.postcode, "LE4 6TJ");
	assert_string_equal(d.home_language, "Polish");
	assert_true(d.has_address && d.has_postcode && d.has_language);

	struct family_details_in lines = {"Flat 2,\n 41 Catherine Street  \n\nLeicester", NULL, NULL};
	assert_int_equal(family_details_check(&lines, &d, &e), HE_OK);
	assert_string_equal(d.address, "Flat 2, 41 Catherine Street, Leicester");
	struct family_details_in bad_pc = {NULL, "LE4 6T", NULL};
	assert_int_equal(family_details_check(&bad_pc, &d, &e), HE_INVALID);
	assert_string_equal(e.field, "postcode");
	char long_address[FAMILY_ADDRESS_MAX + 2];
	memset(long_address, 'a', sizeof long_address - 1);
	long_address[sizeof long_address - 1] = '\0';
	struct family_details_in bad_addr = {long_address, NULL, NULL};
	assert_int_equal(family_details_check(&bad_addr, &d, &e), HE_INVALID);
	assert_string_equal(e.field, "address");
	struct family_details_in blank_lang = {NULL, NULL, "   "};
	assert_int_equal(family_details_check(&blank_lang, &d, &e), HE_MISSING);
	assert_string_equal(e.field, "home_language");
	struct family_details_in two_langs = {NULL, NULL, "Polish, Urdu"};
	assert_int_equal(family_details_check(&two_langs, &d, &e), HE_INVALID);
	assert_string_equal(e.field, "home_language");
	struct family_details_in nothing = {NULL, NULL, NULL};
	assert_int_equal(family_details_check(&nothing, &d, &e), HE_OK);
	assert_false(d.has_address || d.has_postcode || d.has_language);
	/* "" clears an address or postcode */
	struct family_details_in clear = {"", "", NULL};
	assert_int_equal(family_details_check(&clear, &d, &e), HE_OK);
	assert_true(d.has_address && d.has_postcode && !*d.postcode);
}

static void bad_referral_writes_nothing(void **state)
{
	struct db *db = DB(state);
	struct errinfo e;
	int64_t id = 0;
	assert_int_equal(refer(db, USER_A, SCHOOL_A, fix_upn[AISHA], "1 Road", "NOT A POSTCODE",
			       "Polish", &id, &e), HE_INVALID);
	assert_string_equal(e.field, "postcode");
	assert_int_equal(id, 0);
	assert_int_equal(count_of(db, "SELECT count(*) FROM referrals WHERE :id = 0", 0), 0);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE :id = 0", 0), 0);
	assert_int_equal(refer(db, USER_A, SCHOOL_A, fix_upn[AISHA], NULL, NULL, "English; Urdu",
			       &id, &e), HE_INVALID);
	assert_string_equal(e.field, "home_language");
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE :id = 0", 0), 0);
}

/* ---- referrals ----------------------------------------------------------------- */

static void referral_stores_on_new_family(void **state)
{
	struct db *db = DB(state);
	struct errinfo e;
	int64_t id = 0;
	assert_int_equal(refer(db, USER_A, SCHOOL_A, fix_upn[AISHA], " 12 Kiln Row ", "le2 7qw",
			       "polish", &id, &e), HE_OK);
	int64_t fam = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND address ="
		" '12 Kiln Row' AND postcode = 'LE2 7QW' AND home_language = 'Polish' AND version = 1",
		fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history"
		" WHERE family_id = :id", fam), 0);
	/* nothing given: English, no address */
	assert_int_equal(refer(db, USER_B, SCHOOL_B, fix_upn[DEV], "", " ", NULL, &id, &e), HE_OK);
	fam = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", id);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND address = ''"
		" AND postcode IS NULL AND home_language = 'English'", fam), 1);
}

static void referral_fills_only_blanks(void **state)
{
	struct db *db = DB(state);
	struct errinfo e;
	int64_t r1 = 0, r2 = 0;
	assert_int_equal(refer(db, USER_A, SCHOOL_A, fix_upn[AISHA], NULL, NULL, "Polish", &r1, &e),
			 HE_OK);
	int64_t fam = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", r1);
	int64_t audit0 = count_of(db, "SELECT count(*) FROM audit_log WHERE action = 'update'"
		" AND entity = 'families' AND entity_id = CAST(:id AS TEXT)", fam);
	/* Cara's school refers her (the same family) with an address and another language */
	assert_int_equal(refer(db, USER_B, SCHOOL_B, fix_upn[CARA], "4 Loom Street", "LE2 7QZ",
			       "Urdu", &r2, &e), HE_OK);
	assert_int_equal(fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", r2), fam);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND address ="
		" '4 Loom Street' AND postcode = 'LE2 7QZ' AND home_language = 'Polish' AND version = 2",
		fam), 1);
	/* what the fill replaced (nothing yet recorded) is kept */
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history WHERE family_id"
		" = :id AND version = 1 AND address = '' AND postcode IS NULL AND home_language ="
		" 'Polish' AND changed_by = 2", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM audit_log WHERE action = 'update'"
		" AND entity = 'families' AND entity_id = CAST(:id AS TEXT)", fam), audit0 + 1);
	/* the language given is not lost: noted for the worker, on the referral */
	char detail[512];
	text_of(db, "SELECT detail FROM case_events WHERE referral_id = :id AND kind = 'note'"
		" AND summary LIKE '%differ%home language'", r2, detail, sizeof detail);
	assert_non_null(strstr(detail, "home language Urdu"));
	assert_non_null(strstr(detail, "Recorded: home language Polish"));
	/* a third referral with another address changes nothing recorded */
	int64_t r3 = 0;
	assert_int_equal(refer(db, USER_A, SCHOOL_A, fix_upn[BILAL], "9 Other Street", NULL, NULL,
			       &r3, &e), HE_OK);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND address ="
		" '4 Loom Street' AND version = 2", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM case_events WHERE referral_id = :id"
		" AND kind = 'note' AND detail LIKE '%9 Other Street%'", r3), 1);
}

/* ---- changes from the case ------------------------------------------------------ */

static void change_keeps_history_and_audits(void **state)
{
	struct db *db = DB(state);
	workers(db);
	int64_t fam = 0, cid = polish_case(db, &fam);
	struct scope w = worker_scope(USER_WORKER, WORKER_PL);
	struct family_details_in in = {"3 Elm Road", "LE2 7QW", "Ukrainian"};
	struct errinfo e = {0};
	int changed = 0;
	int64_t audit0 = count_of(db, "SELECT count(*) FROM audit_log WHERE :id = 0", 0);
	int rc = family_details_change(db, &w, cid, 1, "key-1", &in, &changed, &e);
	if (rc)
		fail_msg("change: %d %s %s", rc, e.field, e.message);
	assert_int_equal(changed, 2);   /* the postcode is the same */
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND address ="
		" '3 Elm Road' AND postcode = 'LE2 7QW' AND home_language = 'Ukrainian' AND version = 2"
		" AND updated_at >= created_at", fam), 1);
	/* the history holds the values replaced, at the version they had */
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history WHERE family_id"
		" = :id AND version = 1 AND address = '12 Kiln Row, Leicester' AND postcode = 'LE2 7QW'"
		" AND home_language = 'Polish' AND changed_by = 5 AND idem_key = 'key-1'", fam), 1);
	/* one audit row (no values in it) and one chronology note on the case */
	assert_int_equal(count_of(db, "SELECT count(*) FROM audit_log WHERE :id = 0", 0), audit0 + 1);
	char summary[512];
	text_of(db, "SELECT summary FROM audit_log WHERE action = 'update' AND entity = 'families'"
		" AND entity_id = CAST(:id AS TEXT) ORDER BY id DESC", fam, summary, sizeof summary);
	assert_non_null(strstr(summary, "details changed: address, home language"));
	assert_null(strstr(summary, "Elm"));
	assert_null(strstr(summary, "Ukrainian"));
	text_of(db, "SELECT summary FROM case_events WHERE case_id = :id AND kind = 'note'"
		" ORDER BY id DESC", cid, summary, sizeof summary);
	assert_string_equal(summary, "Family details changed: address, home language");
	text_of(db, "SELECT detail FROM case_events WHERE case_id = :id AND kind = 'note'"
		" ORDER BY id DESC", cid, summary, sizeof summary);
	assert_non_null(strstr(summary, "home language Polish"));

	/* the same form again changes nothing more; the same values change nothing */
	assert_int_equal(family_details_change(db, &w, cid, 1, "key-1", &in, &changed, &e), HE_OK);
	assert_int_equal(changed, -1);
	assert_int_equal(family_details_change(db, &w, cid, 2, NULL, &in, &changed, &e), HE_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(count_of(db, "SELECT version FROM families WHERE id = :id", fam), 2);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history"
		" WHERE family_id = :id", fam), 1);
	/* someone else's key is not theirs to replay */
	struct scope coord = fix_scope(USER_COORD);
	assert_int_equal(family_details_change(db, &coord, cid, 2, "key-1", &in, &changed, &e),
			 HE_CONFLICT);
	assert_string_equal(e.field, "idem");
	/* the coordinator may change it; clearing the postcode */
	struct family_details_in clear = {NULL, "", NULL};
	assert_int_equal(family_details_change(db, &coord, cid, 2, NULL, &clear, &changed, &e), HE_OK);
	assert_int_equal(changed, 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND postcode"
		" IS NULL AND address = '3 Elm Road' AND version = 3", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history WHERE family_id"
		" = :id AND version = 2 AND postcode = 'LE2 7QW' AND changed_by = 4", fam), 1);
}

static void stale_version_conflicts(void **state)
{
	struct db *db = DB(state);
	workers(db);
	int64_t fam = 0, cid = polish_case(db, &fam);
	struct scope w = worker_scope(USER_WORKER, WORKER_PL);
	struct scope coord = fix_scope(USER_COORD);
	struct errinfo e = {0};
	int changed = 0;
	struct family_details_in first = {"7 First Street", NULL, NULL};
	assert_int_equal(family_details_change(db, &coord, cid, 1, NULL, &first, &changed, &e), HE_OK);
	int64_t audit0 = count_of(db, "SELECT count(*) FROM audit_log WHERE :id = 0", 0);
	int64_t events0 = count_of(db, "SELECT count(*) FROM case_events WHERE family_id = :id", fam);
	/* the worker's form was rendered at version 1 */
	struct family_details_in second = {"9 Second Street", "LE1 1AA", "Romanian"};
	assert_int_equal(family_details_change(db, &w, cid, 1, "key-2", &second, &changed, &e),
			 HE_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_int_equal(changed, 0);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND address ="
		" '7 First Street' AND postcode = 'LE2 7QW' AND home_language = 'Polish'"
		" AND version = 2", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history"
		" WHERE family_id = :id", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM audit_log WHERE :id = 0", 0), audit0);
	assert_int_equal(count_of(db, "SELECT count(*) FROM case_events WHERE family_id = :id", fam),
			 events0);
	/* a form that says no version, and a bad field, change nothing either */
	assert_int_equal(family_details_change(db, &w, cid, 0, NULL, &second, &changed, &e),
			 HE_MISSING);
	assert_string_equal(e.field, "version");
	struct family_details_in bad = {"9 Second Street", "LE1", NULL};
	assert_int_equal(family_details_change(db, &w, cid, 2, NULL, &bad, &changed, &e), HE_INVALID);
	assert_string_equal(e.field, "postcode");
	assert_int_equal(count_of(db, "SELECT version FROM families WHERE id = :id", fam), 2);
	assert_int_equal(count_of(db, "SELECT count(*) FROM audit_log WHERE :id = 0", 0), audit0);
}

static void outside_scope_is_not_found(void **state)
{
	struct db *db = DB(state);
	workers(db);
	int64_t fam = 0, cid = polish_case(db, &fam);
	struct scope other = worker_scope(USER_WORKER2, WORKER_OTHER);
	struct scope school = fix_scope(USER_A);
	struct family_details_in in = {"1 Nowhere", NULL, "French"};
	struct errinfo e = {0};
	int changed = 0;
	int64_t denied0 = count_of(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
		" AND entity = 'cases' AND entity_id = CAST(:id AS TEXT)", cid);
	assert_int_equal(family_details_change(db, &other, cid, 1, NULL, &in, &changed, &e),
			 HE_NOT_FOUND);
	assert_int_equal(family_details_change(db, &school, cid, 1, NULL, &in, &changed, &e),
			 HE_NOT_FOUND);
	assert_int_equal(count_of(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'"
		" AND entity = 'cases' AND entity_id = CAST(:id AS TEXT)", cid), denied0 + 2);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id AND version = 1"
		" AND home_language = 'Polish'", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history WHERE"
		" family_id = :id", fam), 0);
	assert_false(db_in_transaction(db));
}

/* ---- allocation by language ------------------------------------------------------ */

static void polish_ranks_polish_speaker(void **state)
{
	struct db *db = DB(state);
	workers(db);
	struct errinfo e;
	int64_t rid = 0;
	assert_int_equal(refer(db, USER_A, SCHOOL_A, fix_upn[AISHA], NULL, NULL, "Polish", &rid, &e),
			 HE_OK);
	struct arena a;
	arena_init(&a);
	struct suggestion *s;
	size_t n = 0;
	assert_int_equal(allocate_suggest(db, &a, rid, &s, &n, &e), HE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].worker_id, WORKER_PL);
	assert_non_null(strstr(s[0].reasons, "speaks Polish"));
	assert_int_equal(s[0].score, s[1].score + 20);
	assert_null(strstr(s[1].reasons, "speaks"));
	/* the same family in English: no language reason, ties by name */
	struct scope coord = fix_scope(USER_COORD);
	int64_t cid = 0, fam = fix_int(db, "SELECT family_id FROM referrals WHERE id = :id", rid);
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(case_open_tx(db, &coord, rid, WORKER_OTHER, 2, false, NULL, &cid, &e), HE_OK);
	assert_int_equal(db_commit(db), HE_OK);
	int changed = 0;
	struct family_details_in en = {NULL, NULL, "English"};
	assert_int_equal(family_details_change(db, &coord, cid, 1, NULL, &en, &changed, &e), HE_OK);
	assert_int_equal(count_of(db, "SELECT count(*) FROM families WHERE id = :id"
		" AND home_language = 'English'", fam), 1);
	assert_int_equal(allocate_suggest(db, &a, rid, &s, &n, &e), HE_OK);
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(s[i].reasons, "speaks"));
	arena_free(&a);
}

/* ---- data protection ----------------------------------------------------------- */

static const struct sar_section *section(const struct sar_doc *d, const char *id)
{
	for (size_t i = 0; i < d->nsections; i++)
		if (strcmp(d->sections[i].id, id) == 0)
			return &d->sections[i];
	return NULL;
}

static const char *field(const struct sar_record *rec, const char *key)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].key, key) == 0)
			return rec->fields[i].value;
	return NULL;
}

static void subject_access_and_retention(void **state)
{
	struct db *db = DB(state);
	workers(db);
	int64_t fam = 0, cid = polish_case(db, &fam);
	struct scope w = worker_scope(USER_WORKER, WORKER_PL);
	struct family_details_in in = {"3 Elm Road", "LE4 6TJ", NULL};
	struct errinfo e = {0};
	int changed = 0;
	assert_int_equal(family_details_change(db, &w, cid, 1, "key-sar", &in, &changed, &e), HE_OK);
	/* Aisha's subject access lists the address the change replaced */
	struct arena a;
	arena_init(&a);
	struct sar_doc d;
	assert_int_equal(sar_gather(db, &a, "pupil", fix_upn[AISHA], &d), HE_OK);
	const struct sar_section *h = section(&d, "family_history");
	assert_non_null(h);
	assert_int_equal(h->nrecords, 1);
	assert_non_null(strstr(field(&h->records[0], "address"), "12 Kiln Row"));
	assert_string_equal(field(&h->records[0], "postcode"), "LE2 7QW");
	assert_string_equal(field(&h->records[0], "home_language"), "Polish");
	assert_string_equal(field(&h->records[0], "replaced_by"), "u5@hearth.example");
	arena_free(&a);
	/* long closed: retention anonymises the family, its history too */
	fix_exec(db, "UPDATE cases SET status = 'closed', closed_on = '2010-06-01',"
		" closure_reason = 'outcomes_met'");
	fix_exec(db, "UPDATE referrals SET decided_at = '2010-01-20T09:00:00Z', status = 'accepted'");
	fix_exec(db, "UPDATE pupils SET dob = '1990-01-01'");
	struct audit_who who = {.user_id = 0, .email = "system", .role = "system", .route = "test"};
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.anonymised, 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history WHERE family_id"
		" = :id AND address = '' AND postcode IS NULL AND idem_key IS NULL", fam), 1);
	assert_int_equal(count_of(db, "SELECT count(*) FROM family_details_history WHERE"
		" address LIKE '%Kiln%' OR postcode IS NOT NULL OR :id = 0", fam), 0);
	assert_int_equal(count_of(db, "SELECT count(*) FROM case_events WHERE family_id = :id"
		" AND (detail LIKE '%Kiln%' OR summary LIKE '%Kiln%')", fam), 0);
	/* an anonymised family cannot be changed */
	struct scope coord = fix_scope(USER_COORD);
	assert_int_equal(family_details_change(db, &coord, cid, 3, NULL, &in, &changed, &e),
			 HE_CONFLICT);
	assert_string_equal(e.field, "family");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_names_the_field),
		cmocka_unit_test_setup_teardown(bad_referral_writes_nothing, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(referral_stores_on_new_family, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(referral_fills_only_blanks, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(change_keeps_history_and_audits, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(stale_version_conflicts, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(outside_scope_is_not_found, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(polish_ranks_polish_speaker, fix_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(subject_access_and_retention, fix_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
