/* test_dataprot.c — unit tests for src/core/dataprot.c: subject access
 * gathers every kind of record about the person and nothing about another
 * family; retention anonymises exactly the families past the period,
 * removes the named columns, keeps every report figure equal, skips held
 * families, and is all-or-nothing per family — the cases loaded from before
 * Hearth too, by their old family reference; holds are audited; the
 * export register is written and cannot be changed.  On SQLite, or on
 * PostgreSQL with HEARTH_TEST_PG (testdb.h). */
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
#include "base/valid.h"
#include "core/audit.h"
#include "core/dataprot.h"
#include "core/report.h"
#include "core/report_activity.h"
#include "core/report_money.h"
#include "core/report_outcome.h"
#include "store/db.h"
#include "testdb.h"

#define DB(state) (((struct testdb *)*(state))->db)

static const struct audit_who who = {
	.user_id = 1, .email = "ig@hearth.example", .role = "auditor", .route = "unit test",
};

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

static char upn[4][3][14];      /* by family (1–3), child (1–2) */

/* One family k (1, 2, 3): two children with pupil records (ids 10k+1,
 * 10k+2), a parent, a referral, a case with every kind of record; every
 * free-text value carries the family's marker ("KHAN-", "PATEL-", …). */
static void seed_family(struct db *db, int k, const char *surname, const char *marker,
			const char *born, const char *closed_on)
{
	char sql[8192], twelve[13];
	for (int c = 1; c <= 2; c++) {
		snprintf(twelve, sizeof twelve, "80199993%02u%02u", (unsigned)k % 100u, (unsigned)c % 100u);
		snprintf(upn[k][c], sizeof upn[k][c], "%c%s", upn_check_letter(twelve), twelve);
	}
	const char *status = closed_on ? "'closed'" : "'open'";
	char closed[16];
	snprintf(closed, sizeof closed, closed_on ? "'%s'" : "NULL", closed_on ? closed_on : "");
	snprintf(sql, sizeof sql,
		"INSERT INTO pupils (id, upn, school_id, forename, surname, dob, gender, postcode,"
		" family_key, created_at, updated_at) VALUES"
		" (%d1, '%s', 1, '%sChildOne', '%s', '%s-03-04', 'F', 'LE1 1AA', 'key%d', 'x', 'x'),"
		" (%d2, '%s', 1, '%sChildTwo', '%s', '%s-10-09', 'M', 'LE1 1AA', 'key%d', 'x', 'x');"
		"INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date, year_group,"
		" fsm, sessions_possible, sessions_attended, suspensions, below_expected, risk_score,"
		" risk_band) VALUES (%d1, 1, 1, '2009-10-01', 9, 1, 100, 80, 1, 1, 40, 'high'),"
		" (%d1, 1, 1, '2010-10-01', 10, 1, 100, 95, 0, 0, 8, 'low'),"
		" (%d2, 1, 1, '2009-10-01', 7, 1, 100, 70, 2, 1, 40, 'high');"
		"INSERT INTO families (id, ref, family_key, name, address, postcode, created_at,"
		" updated_at) VALUES (%d, 'F-00000%d', 'key%d', '%s family', '%sADDRESS', 'LE1 1AA',"
		" 'x', 'x');"
		"INSERT INTO family_members (id, family_id, pupil_id, name, relationship, is_child, dob,"
		" phone, notes, created_at) VALUES (%d1, %d, %d1, '%sChildOne %s', 'child', 1, NULL,"
		" NULL, '', 'x'), (%d2, %d, %d2, '%sChildTwo %s', 'child', 1, NULL, NULL, '', 'x'),"
		" (%d3, %d, NULL, '%sParent %s', 'mother', 0, '1970-01-01', '%sPHONE', '%sMEMBERNOTE',"
		" 'x');"
		"INSERT INTO family_professionals (family_id, name, agency, contact, created_at) VALUES"
		" (%d, '%sPRO', 'Housing', '%sPROCONTACT', 'x');"
		"INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need, needs,"
		" reason, tried, status, received_at, decided_at, decision_note) VALUES (%d, 'R-00000%d',"
		" %d, 'school', 1, 2, 'attendance', '%sREASON', '%sTRIED', 'accepted',"
		" '2010-01-10T09:00:00Z', '2010-01-20T09:00:00Z', '%sDECISION');"
		"INSERT INTO referral_pupils (referral_id, pupil_id, school_id) VALUES (%d, %d1, 1);"
		"INSERT INTO school_notices (school_id, referral_id, message, created_at) VALUES"
		" (1, %d, '%sNOTICE', 'x');"
		"INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, recorded_at) VALUES (%d, %d, 'consent', '%sParent %s', 'mother',"
		" 'pool', '2010-01-10', 'x');"
		"INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status, opened_on,"
		" closed_on, closure_reason, closure_note, family_view, created_at, updated_at) VALUES"
		" (%d, 'C-00000%d', %d, %d, 1, %s, '2010-01-20', %s, %s, '%sCLOSURE', '%sVIEW', 'x', 'x');"
		"INSERT INTO contacts (case_id, worker_id, at, kind, duration_min, seen, place, notes,"
		" recorded_at) VALUES (%d, 1, '2010-02-01T10:00', 'home_visit', 60, '%sSEEN', '%sPLACE',"
		" '%sCONTACTNOTE', 'x');"
		"INSERT INTO case_events (family_id, referral_id, case_id, on_date, kind, summary, detail,"
		" recorded_at) VALUES (%d, %d, %d, '2010-01-20', 'allocated', '%sEVENT', '%sDETAIL', 'x');"
		"INSERT INTO assessments (id, case_id, assessed_on, kind, agreed_with, summary,"
		" recorded_at) VALUES (%d, %d, '2010-02-01', 'initial', '%sAGREED', '%sASSESSMENT', 'x'),"
		" (%d0, %d, '2010-05-01', 'review', '%sAGREED', '%sASSESSMENT', 'x');"
		"INSERT INTO assessment_scores (assessment_id, position, domain_code, domain_title, side,"
		" score, strengths, needs) VALUES (%d, 1, 'health', 'Health', 'child', 3, '%sSTRENGTH',"
		" '%sNEEDS'), (%d0, 1, 'health', 'Health', 'child', 7, '', '');"
		"INSERT INTO reviews (id, case_id, held_on, summary, family_view, recorded_at) VALUES"
		" (%d, %d, '2010-04-01', '%sREVIEW', '%sREVIEWVIEW', 'x');"
		"INSERT INTO taf_meetings (id, case_id, starts_at, place, status, minutes, decisions,"
		" created_at, updated_at) VALUES (%d, %d, '2010-03-01T10:00', '%sTAFPLACE', 'held',"
		" '%sMINUTES', '%sDECISIONS', 'x', 'x');"
		"INSERT INTO taf_invitees (meeting_id, member_id, attended, apologies, invited_at) VALUES"
		" (%d, %d1, 1, '%sAPOLOGIES', 'x');"
		"INSERT INTO plan_actions (id, case_id, description, need, owner_kind, owner_member_id,"
		" due_on, status, created_at, updated_at) VALUES (%d, %d, '%sACTION', 'attendance',"
		" 'family', %d3, '2010-03-01', 'done', 'x', 'x');"
		"INSERT INTO action_updates (action_id, on_date, status, progress, recorded_at) VALUES"
		" (%d, '2010-03-01', 'done', '%sPROGRESS', 'x');"
		"INSERT INTO commissions (id, ref, case_id, budget_id, kind, quantity, unit_cost_pence,"
		" estimate_pence, actual_pence, status, reason, requested_at, paid_on, updated_at)"
		" VALUES (%d, 'M-00000%d', %d, 1, 'household_grant', 1, 12000, 12000, 12000, 'paid',"
		" '%sGRANTREASON', '2010-02-10T10:00:00Z', '2010-02-20', 'x');"
		"INSERT INTO commission_items (commission_id, description, amount_pence) VALUES"
		" (%d, '%sBED', 12000);"
		"INSERT INTO commission_events (commission_id, at, to_status, amount_pence, note) VALUES"
		" (%d, '2010-02-20T10:00:00Z', 'paid', 12000, '%sPAIDNOTE');"
		"INSERT INTO destinations (pupil_id, destination, recorded_on, source, note, created_at)"
		" VALUES (%d1, 'education', '2011-09-01', 'worker', '%sDESTNOTE', 'x'),"
		" (%d2, 'training', '2012-09-01', 'worker', '%sSIBDEST', 'x');"
		"INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id, pupil_id,"
		" worker_name) VALUES (%d, 1, 'OLD-%d', 'OLDF-%d', 1, %d1, 'Old Worker');"
		"INSERT INTO history_events (case_id, on_date, kind, source, detail) VALUES"
		" (%d, '2008-01-01', 'referred', 'school', '%sHISTORY');",
		k, upn[k][1], marker, surname, born, k, k, upn[k][2], marker, surname, born, k,
		k, k, k,
		k, k, k, surname, marker,
		k, k, k, marker, surname, k, k, k, marker, surname, k, k, marker, surname, marker, marker,
		k, marker, marker,
		k, k, k, marker, marker, marker,
		k, k,
		k, marker,
		k, k, marker, surname,
		k, k, k, k, status, closed, closed_on ? "'outcomes_met'" : "NULL", marker, marker,
		k, marker, marker, marker,
		k, k, k, marker, marker,
		k, k, marker, marker, k, k, marker, marker,
		k, marker, marker, k,
		k, k, marker, marker,
		k, k, marker, marker, marker,
		k, k, marker,
		k, k, marker, k,
		k, marker,
		k, k, k, marker,
		k, marker,
		k, marker,
		k, marker, k, marker,
		k, k, k, k,
		k, marker);
	exec(db, sql);
}

static int setup(void **state)
{
	int rc = testdb_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	exec(db, "INSERT INTO districts (id, name) VALUES (1, 'Belgrave');"
		"INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (1, '900001', 'Alpha Academy', 'secondary', 1, 'x');"
		"INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES"
		" (1, 'ig@hearth.example', 'Ida Gov', 'auditor', 'x', 'x', 'x');"
		"INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		" (1, 'Wendy Worker', 'Council', 'family_support', 'x', 'x');"
		"INSERT INTO imports (id, kind, filename, status, started_at) VALUES"
		" (1, 'csv', 'c.csv', 'applied', 'x');"
		"INSERT INTO budgets (id, name, owner_kind, period, start_year, amount_pence, created_at,"
		" updated_at) VALUES (1, 'Pool', 'partnership', 'financial', 2009, 1000000, 'x', 'x');"
		"INSERT INTO history_imports (id, filename, sha256, imported_at) VALUES"
		" (1, 'h.csv', 'x', 'x');");
	/* Khan and Patel: closed in 2010, children born 1990 (over 25 now);
	 * Jones: open today, children born 2012 */
	seed_family(db, 1, "Khan", "KHAN-", "1990", "2010-06-30");
	seed_family(db, 2, "Patel", "PATEL-", "1991", "2010-07-31");
	seed_family(db, 3, "Jones", "JONES-", "2012", NULL);
	/* the address each family had before a change (family_details_history) */
	exec(db, "INSERT INTO family_details_history (family_id, version, address, postcode,"
		" home_language, changed_by, changed_at, idem_key) VALUES"
		" (1, 1, 'KHAN-OLDADDRESS', 'LE1 1AB', 'Urdu', 1, 'x', 'k1'),"
		" (2, 1, 'PATEL-OLDADDRESS', 'LE1 1AB', 'Gujarati', NULL, 'x', 'k2'),"
		" (3, 1, 'JONES-OLDADDRESS', 'LE1 1AB', 'English', NULL, 'x', 'k3')");
	return 0;
}

/* Every value of the document, one per line. */
static char *doc_text(const struct sar_doc *d)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t s = 0; s < d->nsections; s++)
		for (size_t r = 0; r < d->sections[s].nrecords; r++)
			for (size_t f = 0; f < d->sections[s].records[r].nfields; f++)
				buf_printf(&b, "%s=%s=%s\n", d->sections[s].id,
					   d->sections[s].records[r].fields[f].key,
					   d->sections[s].records[r].fields[f].value ?
					   d->sections[s].records[r].fields[f].value : "");
	return buf_take(&b);
}

static const struct sar_section *section(const struct sar_doc *d, const char *id)
{
	for (size_t s = 0; s < d->nsections; s++)
		if (!strcmp(d->sections[s].id, id))
			return &d->sections[s];
	fail_msg("no section %s", id);
	return NULL;
}

/* ---- subject access -------------------------------------------------------------- */

static void test_sar_pupil_every_kind(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	struct sar_doc d;
	arena_init(&a);
	/* a read of the record, and an earlier export, so those sections have rows too */
	assert_int_equal(audit_alone(db, &who, "view", "pupils", "11", "pupil viewed"), HE_OK);
	struct export_rec x = {"subject_access", "html", NULL, 3, "pupil", 11};
	assert_int_equal(export_register_add(db, &who, &x, NULL), HE_OK);
	assert_int_equal(hold_place(db, &who, "F-000001", "KHAN-HOLD", NULL, NULL), HE_OK);
	assert_int_equal(sar_gather(db, &a, "pupil", upn[1][1], &d), HE_OK);
	assert_string_equal(d.kind, "pupil");
	assert_int_equal(d.pupil_id, 11);
	assert_int_equal(d.nsections, sar_kind_count());
	/* every kind of record is there */
	for (size_t i = 0; i < d.nsections; i++)
		if (!d.sections[i].nrecords)
			fail_msg("section %s is empty", d.sections[i].id);
	assert_int_equal(section(&d, "census")->nrecords, 2);       /* hers, not her brother's */
	assert_int_equal(section(&d, "destinations")->nrecords, 1);
	assert_int_equal(section(&d, "membership")->nrecords, 1);
	char *text = doc_text(&d);
	const char *want[] = {"KHAN-CONTACTNOTE", "KHAN-REASON", "KHAN-MINUTES", "KHAN-STRENGTH",
		"KHAN-PROGRESS", "KHAN-GRANTREASON", "KHAN-BED", "KHAN-DESTNOTE", "KHAN-HISTORY",
		"KHAN-HOLD", "KHAN-NOTICE", "KHAN-ADDRESS", "KHAN-OLDADDRESS", "KHAN-APOLOGIES",
		"KHAN-REVIEW",
		"KHAN-ChildOne", "pupil viewed", NULL};
	for (int i = 0; want[i]; i++)
		if (!strstr(text, want[i]))
			fail_msg("%s missing from the document", want[i]);
	/* nothing of another family, nor the brother's own records */
	assert_null(strstr(text, "PATEL"));
	assert_null(strstr(text, "Patel"));
	assert_null(strstr(text, "JONES"));
	assert_null(strstr(text, upn[2][1]));
	assert_null(strstr(text, "KHAN-SIBDEST"));
	assert_null(strstr(text, upn[1][2]));
	/* the brother and the mother are listed as other people */
	const struct sar_section *o = section(&d, "others");
	assert_int_equal(o->nrecords, 3);   /* brother, mother, the professional */
	free(text);
	arena_free(&a);
}

static void test_sar_member(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	struct sar_doc d;
	arena_init(&a);
	assert_int_equal(sar_gather(db, &a, "member", "23", &d), HE_OK);   /* Patel mother */
	assert_int_equal(d.pupil_id, 0);
	assert_string_equal(d.name, "PATEL-Parent Patel");
	assert_int_equal(section(&d, "pupil")->nrecords, 0);
	assert_int_equal(section(&d, "census")->nrecords, 0);
	assert_int_equal(section(&d, "cases")->nrecords, 1);
	assert_int_equal(section(&d, "plan_actions")->nrecords, 1);   /* she owns it */
	char *text = doc_text(&d);
	assert_non_null(strstr(text, "PATEL-MEMBERNOTE"));
	assert_non_null(strstr(text, "PATEL-CONTACTNOTE"));
	assert_null(strstr(text, "KHAN"));
	assert_null(strstr(text, "JONES"));
	free(text);
	/* a child member is the pupil */
	assert_int_equal(sar_gather(db, &a, "member", "11", &d), HE_OK);
	assert_int_equal(d.pupil_id, 11);
	assert_int_equal(section(&d, "census")->nrecords, 2);
	assert_int_equal(sar_gather(db, &a, "member", "999", &d), HE_NOT_FOUND);
	assert_int_equal(sar_gather(db, &a, "pupil", "A123", &d), HE_NOT_FOUND);
	arena_free(&a);
}

static void test_sar_search(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	struct sar_hit *h;
	size_t n;
	struct errinfo e = {0};
	arena_init(&a);
	assert_int_equal(sar_search(db, &a, "patel", NULL, &h, &n, &e), HE_OK);
	assert_int_equal(n, 3);            /* two pupils and the mother */
	assert_int_equal(sar_search(db, &a, upn[1][2], NULL, &h, &n, &e), HE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].kind, "pupil");
	assert_int_equal(sar_search(db, &a, "pat_l", NULL, &h, &n, &e), HE_OK);
	assert_int_equal(n, 0);            /* LIKE wildcards are literal */
	assert_int_equal(sar_search(db, &a, "", "1991-03-04", &h, &n, &e), HE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sar_search(db, &a, "", "", &h, &n, &e), HE_MISSING);
	assert_int_equal(sar_search(db, &a, "x", NULL, &h, &n, &e), HE_INVALID);
	assert_string_equal(e.field, "q");
	arena_free(&a);
}

/* ---- retention ------------------------------------------------------------------------ */

/* Every value of the reports the anonymisation must leave alone, as text. */
static char *report_figures(struct db *db)
{
	static report_fn *const fns[] = {report_activity, report_waits, report_money_families,
					 report_money_engaged, report_outcomes, report_distance,
					 report_reach};
	struct report_filter f = {0};
	f.from = date_from_ymd(2009, 1, 1);
	f.to = date_from_ymd(2012, 12, 31);
	struct arena a;
	struct buf b;
	arena_init(&a);
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		struct rtable *t;
		if (fns[i](db, &a, &f, &t) != HE_OK)
			fail_msg("report %zu: %s", i, db_errmsg(db));
		for (size_t r = 0; r < t->nrows; r++) {
			buf_printf(&b, "%s.%s:", t->id, t->rows[r].key);
			for (size_t c = 0; c < t->ncols; c++)
				buf_printf(&b, " %" PRId64, t->rows[r].v[c]);
			buf_putc(&b, '\n');
		}
	}
	arena_free(&a);
	return buf_take(&b);
}

static void test_retention_due(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	struct retention_family *v;
	size_t n;
	arena_init(&a);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(n, 2);            /* Khan and Patel; Jones's case is open */
	assert_string_equal(v[0].ref, "F-000001");
	assert_string_equal(v[0].last_closed, "2010-06-30");
	assert_string_equal(v[0].due_on, "2016-06-30");   /* 6 years; the children were 25 in 2015 */
	/* the age rule: at 40 the Khan children (born 1990) are not yet due */
	struct retention_settings rs = {6, 40};
	struct errinfo e = {0};
	assert_int_equal(retention_settings_set(db, &who, &rs, &e), HE_OK);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(n, 0);
	rs.until_age = 10;
	assert_int_equal(retention_settings_set(db, &who, &rs, &e), HE_INVALID);
	assert_string_equal(e.field, "until_age");
	rs = (struct retention_settings){0, 25};
	assert_int_equal(retention_settings_set(db, &who, &rs, &e), HE_INVALID);
	assert_string_equal(e.field, "years");
	arena_free(&a);
}

static void test_retention_anonymises(void **state)
{
	struct db *db = DB(state);
	char *before = report_figures(db);
	assert_non_null(strstr(before, "activity.closed:"));
	assert_non_null(strstr(before, "outcomes.cases_closed: 2\n"));
	assert_non_null(strstr(before, "money_families.families: 3 0 3\n"));
	int64_t audit0 = testdb_int(db, "SELECT count(*) FROM audit_log");
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 2);
	assert_int_equal(res.anonymised, 2);
	assert_int_equal(res.pupils, 4);
	char *after = report_figures(db);
	assert_string_equal(before, after);       /* every figure the same */
	/* no marker of the two families is left anywhere but the audit log */
	static const char *const cols[] = {
		"SELECT count(*) FROM pupils WHERE id < 30 AND (forename LIKE 'KHAN-%' OR surname"
		" = 'Patel' OR upn NOT LIKE 'anon-%' OR postcode IS NOT NULL OR family_key IS NOT NULL"
		" OR anonymised_at IS NULL)",
		"SELECT count(*) FROM pupils WHERE id < 30 AND dob NOT LIKE '%-09-01'",
		"SELECT count(*) FROM families WHERE name LIKE '%Khan%' OR address LIKE 'PATEL%'"
		" OR address LIKE 'KHAN%' OR (id < 3 AND (postcode IS NOT NULL OR anonymised_at IS NULL))",
		"SELECT count(*) FROM family_details_history WHERE family_id < 3 AND (address <> ''"
		" OR postcode IS NOT NULL OR idem_key IS NOT NULL)",
		"SELECT count(*) FROM family_members WHERE family_id < 3 AND (name <> 'Anonymised'"
		" OR dob IS NOT NULL OR phone IS NOT NULL OR notes <> '')",
		"SELECT count(*) FROM family_professionals WHERE family_id < 3 AND (name LIKE '%PRO'"
		" OR contact <> '')",
		"SELECT count(*) FROM referrals WHERE family_id < 3 AND (reason <> '' OR tried <> ''"
		" OR decision_note IS NOT NULL)",
		"SELECT count(*) FROM school_notices WHERE message LIKE 'KHAN%' OR message LIKE 'PATEL%'",
		"SELECT count(*) FROM consents WHERE given_by LIKE '%Parent%' AND family_id < 3",
		"SELECT count(*) FROM cases WHERE family_id < 3 AND (closure_note IS NOT NULL"
		" OR family_view IS NOT NULL)",
		"SELECT count(*) FROM contacts WHERE case_id < 3 AND (notes <> '' OR seen <> ''"
		" OR place <> '')",
		"SELECT count(*) FROM case_events WHERE family_id < 3 AND (summary LIKE '%-EVENT'"
		" OR detail <> '')",
		"SELECT count(*) FROM assessments WHERE case_id < 3 AND (summary <> '' OR agreed_with <> '')",
		"SELECT count(*) FROM assessment_scores WHERE strengths LIKE 'KHAN%'"
		" OR needs LIKE 'PATEL%'",
		"SELECT count(*) FROM reviews WHERE case_id < 3 AND (summary <> '' OR family_view <> '')",
		"SELECT count(*) FROM taf_meetings WHERE case_id < 3 AND (minutes <> ''"
		" OR decisions <> '' OR place <> '')",
		"SELECT count(*) FROM taf_invitees WHERE apologies LIKE 'KHAN%' OR apologies LIKE 'PATEL%'",
		"SELECT count(*) FROM plan_actions WHERE case_id < 3 AND description <> ''",
		"SELECT count(*) FROM action_updates WHERE progress LIKE 'KHAN%' OR progress LIKE 'PATEL%'",
		"SELECT count(*) FROM commissions WHERE case_id < 3 AND reason <> ''",
		"SELECT count(*) FROM commission_items WHERE description IN ('KHAN-BED', 'PATEL-BED')",
		"SELECT count(*) FROM commission_events WHERE note IN ('KHAN-PAIDNOTE', 'PATEL-PAIDNOTE')",
		"SELECT count(*) FROM destinations WHERE pupil_id < 30 AND note <> ''",
		NULL,
	};
	for (int i = 0; cols[i]; i++)
		if (testdb_int(db, cols[i]) != 0)
			fail_msg("left behind: %s", cols[i]);
	/* what the reports need is kept */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupils WHERE upn LIKE 'anon-%'"), 4);
	assert_int_equal(testdb_int(db, "SELECT sum(duration_min) FROM contacts WHERE case_id < 3"),
			 120);
	assert_int_equal(testdb_int(db, "SELECT sum(score) FROM assessment_scores"), 30);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupil_snapshots"), 9);
	/* Jones (open) untouched */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM contacts WHERE notes ="
				    " 'JONES-CONTACTNOTE'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM family_details_history WHERE address ="
				    " 'JONES-OLDADDRESS' AND postcode = 'LE1 1AB'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupils WHERE forename LIKE 'JONES-%'"), 2);
	/* one audit row per family, without names, and one for the run */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log") - audit0, 3);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'retention'"
				    " AND summary = 'Retention run: 2 families due, 2 anonymised, 0 held,"
				    " 0 failed'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'anonymise'"
				    " AND entity = 'families' AND summary LIKE 'Retention: family F-00000%'"),
			 2);
	/* running again finds nothing */
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 0);
	free(before);
	free(after);
}

static void test_retention_skips_held(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t hold = 0;
	int64_t audit0 = testdb_int(db, "SELECT count(*) FROM audit_log");
	assert_int_equal(hold_place(db, &who, "C-000002", "PATEL-HOLD: a claim", &hold, &e), HE_OK);
	assert_true(hold > 0);
	assert_int_equal(hold_place(db, &who, "F-000002", "again", NULL, &e), HE_CONFLICT);
	assert_int_equal(hold_place(db, &who, "F-000009", "x", NULL, &e), HE_NOT_FOUND);
	assert_int_equal(hold_place(db, &who, "F-000001", "", NULL, &e), HE_MISSING);
	assert_string_equal(e.field, "reason");
	/* audited without the reason's text */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'hold'"
				    " AND entity_id = '2' AND summary NOT LIKE '%PATEL%'"), 1);
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 2);
	assert_int_equal(res.held, 1);
	assert_int_equal(res.anonymised, 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM contacts WHERE notes ="
				    " 'PATEL-CONTACTNOTE'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM families WHERE id = 2 AND"
				    " anonymised_at IS NULL"), 1);
	/* released: due again, and anonymised on the next run */
	assert_int_equal(hold_release(db, &who, hold, "", &e), HE_MISSING);
	assert_int_equal(hold_release(db, &who, hold, "Claim settled", &e), HE_OK);
	assert_int_equal(hold_release(db, &who, hold, "Claim settled", &e), HE_CONFLICT);
	assert_int_equal(hold_place(db, &who, "F-000001", "too late", NULL, &e), HE_CONFLICT);
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.anonymised, 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM contacts WHERE notes ="
				    " 'PATEL-CONTACTNOTE'"), 0);
	/* hold, release, two anonymisations, two runs (failed places write nothing) */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log") - audit0, 6);
}

/* A failure part-way through one family leaves that family exactly as it
 * was (the statements before the failure are rolled back with it) and does
 * not stop the others. */
static void test_retention_atomic(void **state)
{
	struct db *db = DB(state);
	if (testdb_is_pg())
		exec(db, "CREATE FUNCTION t_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
		     " IF NEW.case_id = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;"
		     " RETURN NEW; END $$; CREATE TRIGGER t_fail BEFORE UPDATE ON taf_meetings"
		     " FOR EACH ROW EXECUTE FUNCTION t_fail()");
	else
		exec(db, "CREATE TRIGGER t_fail BEFORE UPDATE ON taf_meetings WHEN NEW.case_id = 1"
		     " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	int64_t audit0 = testdb_int(db, "SELECT count(*) FROM audit_log");
	struct retention_result res;
	assert_int_not_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.anonymised, 1);
	/* Khan: the family row, its pupils, members and contacts were updated
	 * before taf_meetings failed: all rolled back */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM families WHERE id = 1 AND name ="
				    " 'Khan family' AND anonymised_at IS NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupils WHERE forename LIKE 'KHAN-%'"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM contacts WHERE notes ="
				    " 'KHAN-CONTACTNOTE'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM family_members WHERE family_id = 1"
				    " AND name LIKE 'KHAN-%'"), 3);
	/* Patel was done, with its audit row; Khan has none */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM families WHERE id = 2 AND"
				    " anonymised_at IS NOT NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log") - audit0, 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'anonymise'"
				    " AND entity_id = '1'"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'retention'"
				    " AND summary LIKE '%1 anonymised, 0 held, 1 failed'"), 1);
}

/* ---- retention: the cases from before Hearth -------------------------------------------- */

static char hupn[2][14];        /* the pupils of history families A (41) and B (51) */

/* History families (history_cases ids 101–107), each case's events in the
 * reports' period 2009–2012:
 *   OLDFAM-A  two cases of pupil 41 (born 1990, in no Hearth family), a
 *             commission, closed 2009 and 2010: due
 *   OLDFAM-B  declined 2010, pupil 51 born 2005: not due (the age rule)
 *   OLDFAM-C  stepped up 2010, the Patel child 21: due, unless Patel is held
 *   OLDFAM-D  signposted 2010, no pupil: due
 *   OLDFAM-E  allocated 2010 and never closed: not due
 *   OLDFAM-F  closed 2023: not due
 * and three load errors: two naming family A (its UPN, its reference). */
static void seed_history(struct db *db)
{
	char sql[8192], twelve[13];
	for (unsigned i = 0; i < 2; i++) {
		snprintf(twelve, sizeof twelve, "8019999%u0001", (4u + i) % 10u);
		snprintf(hupn[i], sizeof hupn[i], "%c%s", upn_check_letter(twelve), twelve);
	}
	snprintf(sql, sizeof sql,
		"INSERT INTO pupils (id, upn, school_id, forename, surname, dob, gender, postcode,"
		" created_at, updated_at) VALUES (41, '%s', 1, 'HISTA-Child', 'Adeyemi', '1990-05-05',"
		" 'M', 'LE2 2BB', 'x', 'x'), (51, '%s', 1, 'HISTB-Child', 'Byrne', '2005-02-02', 'F',"
		" 'LE3 3CC', 'x', 'x');"
		"INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id, pupil_id,"
		" worker_name) VALUES (101, 1, 'HA-1', 'OLDFAM-A', 1, 41, 'A-WORKER'),"
		" (102, 1, 'HA-2', 'OLDFAM-A', 1, 41, 'A-WORKER'), (103, 1, 'HB-1', 'OLDFAM-B', 1, 51,"
		" 'B-WORKER'), (104, 1, 'HC-1', 'OLDFAM-C', 1, 21, 'C-WORKER'), (105, 1, 'HD-1',"
		" 'OLDFAM-D', NULL, NULL, 'D-WORKER'), (106, 1, 'HE-1', 'OLDFAM-E', 1, NULL, 'E-WORKER'),"
		" (107, 1, 'HF-1', 'OLDFAM-F', 1, NULL, 'F-WORKER');"
		"INSERT INTO history_events (case_id, on_date, kind, source, reason, amount_pence, detail)"
		" VALUES (101, '2009-01-05', 'referred', 'school', NULL, NULL, 'A-REFERRED'),"
		" (101, '2009-01-10', 'accepted', NULL, NULL, NULL, ''),"
		" (101, '2009-01-20', 'allocated', NULL, NULL, NULL, ''),"
		" (101, '2009-03-01', 'commission', NULL, NULL, 45000, 'A-SOFA'),"
		" (101, '2009-06-30', 'closed', NULL, 'outcomes_met', NULL, 'A-CLOSED'),"
		" (102, '2010-02-01', 'referred', 'school', NULL, NULL, ''),"
		" (102, '2010-02-03', 'accepted', NULL, NULL, NULL, ''),"
		" (102, '2010-02-10', 'allocated', NULL, NULL, NULL, ''),"
		" (102, '2010-08-31', 'closed', NULL, 'outcomes_met', NULL, ''),"
		" (103, '2010-01-01', 'referred', 'school', NULL, NULL, 'B-REFERRED'),"
		" (103, '2010-01-05', 'declined', NULL, NULL, NULL, ''),"
		" (104, '2010-03-01', 'referred', 'school', NULL, NULL, 'C-REFERRED'),"
		" (104, '2010-03-02', 'accepted', NULL, NULL, NULL, ''),"
		" (104, '2010-03-10', 'allocated', NULL, NULL, NULL, ''),"
		" (104, '2010-05-01', 'step_up', NULL, NULL, NULL, 'C-STEPUP'),"
		" (105, '2010-04-01', 'referred', 'agency', NULL, NULL, 'D-REFERRED'),"
		" (105, '2010-04-02', 'signposted', NULL, NULL, NULL, 'D-SIGNPOSTED'),"
		" (106, '2010-05-01', 'referred', 'self', NULL, NULL, 'E-REFERRED'),"
		" (106, '2010-05-02', 'accepted', NULL, NULL, NULL, ''),"
		" (106, '2010-05-20', 'allocated', NULL, NULL, NULL, ''),"
		" (107, '2010-06-01', 'referred', 'school', NULL, NULL, 'F-REFERRED'),"
		" (107, '2010-06-02', 'accepted', NULL, NULL, NULL, ''),"
		" (107, '2010-06-10', 'allocated', NULL, NULL, NULL, ''),"
		" (107, '2023-01-01', 'closed', NULL, 'outcomes_met', NULL, '');"
		"INSERT INTO history_import_errors (import_id, line, field, message) VALUES"
		" (1, 5, 'upn', 'upn: %s differs from X on line 4 for the same case'),"
		" (1, 6, 'family_ref', 'family_ref: ''OLDFAM-A'' differs from ''OLDFAM-Z'' on line 2'),"
		" (1, 7, 'date', 'date: 2031-01-01 is in the future');",
		hupn[0], hupn[1], hupn[0]);
	exec(db, sql);
}

static const struct retention_family *due_ref(const struct retention_family *v, size_t n,
					      const char *ref)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].ref, ref))
			return &v[i];
	return NULL;
}

static void test_history_due(void **state)
{
	struct db *db = DB(state);
	struct arena a;
	struct retention_family *v;
	size_t n;
	seed_history(db);
	arena_init(&a);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(n, 5);            /* Khan, Patel; OLDFAM-A, C and D */
	const struct retention_family *f = due_ref(v, n, "OLDFAM-A");
	assert_non_null(f);
	assert_true(f->history);
	assert_int_equal(f->family_id, 101);
	assert_int_equal(f->ncases, 2);
	assert_string_equal(f->cases, "HA-1, HA-2");
	assert_string_equal(f->last_closed, "2010-08-31");
	assert_string_equal(f->youngest_dob, "1990-05-05");
	assert_string_equal(f->due_on, "2016-08-31");
	assert_int_equal(f->hold_id, 0);
	f = due_ref(v, n, "OLDFAM-D");
	assert_non_null(f);
	assert_null(f->youngest_dob);
	assert_string_equal(f->due_on, "2016-04-02");   /* six years after the signposting */
	assert_non_null(due_ref(v, n, "OLDFAM-C"));
	assert_false(due_ref(v, n, "F-000001")->history);
	/* B (a child of 21), E (open), F (closed 2023), OLDF-1 (open) are not due */
	assert_null(due_ref(v, n, "OLDFAM-B"));
	assert_null(due_ref(v, n, "OLDFAM-E"));
	assert_null(due_ref(v, n, "OLDFAM-F"));
	assert_null(due_ref(v, n, "OLDF-1"));
	/* the age rule where a date of birth is known: at 40, only D (no pupil) */
	struct retention_settings rs = {6, 40};
	struct errinfo e = {0};
	assert_int_equal(retention_settings_set(db, &who, &rs, &e), HE_OK);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].ref, "OLDFAM-D");
	/* retention of 20 years: nothing closed in 2010 is due */
	rs = (struct retention_settings){20, 25};
	assert_int_equal(retention_settings_set(db, &who, &rs, &e), HE_OK);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(n, 0);
	arena_free(&a);
}

static void test_history_anonymises(void **state)
{
	struct db *db = DB(state);
	seed_history(db);
	char *before = report_figures(db);
	/* the history families are in the figures (families counted by family_ref) */
	assert_string_not_equal(before, "");
	int64_t fams = testdb_int(db, "SELECT count(DISTINCT family_ref) FROM history_cases");
	int64_t audit0 = testdb_int(db, "SELECT count(*) FROM audit_log");
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 5);
	assert_int_equal(res.anonymised, 5);
	assert_int_equal(res.history, 3);
	assert_int_equal(res.pupils, 5);   /* the four of Khan and Patel, and 41 */
	char *after = report_figures(db);
	assert_string_equal(before, after);
	assert_int_equal(testdb_int(db, "SELECT count(DISTINCT family_ref) FROM history_cases"), fams);
	/* A, C and D: no reference, worker or free text left; A's two cases one family */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE id IN (101, 102)"
				    " AND family_ref = 'anonymised-101' AND worker_name = ''"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE"
				    " (id = 104 AND family_ref = 'anonymised-104') OR (id = 105 AND"
				    " family_ref = 'anonymised-105')"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE family_ref IN"
				    " ('OLDFAM-A', 'OLDFAM-C', 'OLDFAM-D') OR worker_name IN ('A-WORKER',"
				    " 'C-WORKER', 'D-WORKER')"), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_events WHERE case_id IN"
				    " (101, 102, 104, 105) AND detail <> ''"), 0);
	/* kept: the old case references, dates, kinds, reasons, amounts, the pupil link */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE case_ref = 'HA-1'"
				    " AND pupil_id = 41 AND school_id = 1 AND ended_on = '2009-06-30'"), 1);
	assert_int_equal(testdb_int(db, "SELECT sum(amount_pence) FROM history_events"), 45000);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_events WHERE case_id = 104"),
			 4);
	/* the pupil record of A's child */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupils WHERE id = 41 AND upn ="
				    " 'anon-41' AND forename = 'Anonymised' AND dob = '1989-09-01' AND"
				    " postcode IS NULL AND anonymised_at IS NOT NULL"), 1);
	/* the load's errors that named A; the other kept */
	char q[200];
	snprintf(q, sizeof q, "SELECT count(*) FROM history_import_errors WHERE message LIKE '%%%s%%'"
		 " OR message LIKE '%%OLDFAM-A%%'", hupn[0]);
	assert_int_equal(testdb_int(db, q), 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_import_errors WHERE message ="
				    " 'upn: removed by retention'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_import_errors WHERE message ="
				    " 'date: 2031-01-01 is in the future'"), 1);
	/* B, E, F and the open OLDF-* families untouched, and B's pupil */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE family_ref IN"
				    " ('OLDFAM-B', 'OLDFAM-E', 'OLDFAM-F', 'OLDF-1', 'OLDF-2', 'OLDF-3')"
				    " AND worker_name <> ''"), 6);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_events WHERE detail IN"
				    " ('B-REFERRED', 'E-REFERRED', 'F-REFERRED', 'KHAN-HISTORY')"), 4);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupils WHERE id = 51 AND"
				    " anonymised_at IS NULL"), 1);
	/* audited without the old reference: one row each, and the run */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log") - audit0, 6);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'anonymise'"
				    " AND entity = 'history_cases' AND entity_id IN ('101', '104', '105')"
				    " AND summary LIKE 'Retention: family from before Hearth anonymised, now anonymised-1%'"
				    " AND summary NOT LIKE '%OLDFAM%'"), 3);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'retention'"
				    " AND summary = 'Retention run: 5 families due, 5 anonymised (3 of"
				    " them from before Hearth), 0 held, 0 failed'"), 1);
	/* nothing more to do */
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 0);
	free(before);
	free(after);
}

/* A hold on the Hearth family of a history case's child keeps the history
 * family; it can be placed by the old case reference. */
static void test_history_held(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t hold = 0;
	seed_history(db);
	assert_int_equal(hold_place(db, &who, "HC-1", "C-HOLD: an inquiry", &hold, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT family_id FROM safeguarding_holds"), 2);
	assert_int_equal(hold_place(db, &who, "HX-9", "x", NULL, &e), HE_NOT_FOUND);
	assert_string_equal(e.field, "ref");
	struct arena a;
	struct retention_family *v;
	size_t n;
	arena_init(&a);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(due_ref(v, n, "OLDFAM-C")->hold_id, hold);
	assert_string_equal(due_ref(v, n, "OLDFAM-C")->hold_reason, "C-HOLD: an inquiry");
	assert_int_equal(due_ref(v, n, "OLDFAM-A")->hold_id, 0);
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 5);
	assert_int_equal(res.held, 2);     /* Patel and OLDFAM-C */
	assert_int_equal(res.anonymised, 3);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE id = 104 AND"
				    " family_ref = 'OLDFAM-C' AND worker_name = 'C-WORKER'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_events WHERE detail ="
				    " 'C-STEPUP'"), 1);
	/* released: anonymised on the next run */
	assert_int_equal(hold_release(db, &who, hold, "Inquiry closed", &e), HE_OK);
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.anonymised, 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE family_ref ="
				    " 'OLDFAM-C'"), 0);
	arena_free(&a);
}

/* A history family whose children are in no Hearth family is held by its
 * old family reference or one of its old case references (0012): audited
 * without the old family reference, kept by retention, released and then
 * anonymised; the database refuses a hold on both kinds of family or none. */
static void test_history_hold_alone(void **state)
{
	struct db *db = DB(state);
	struct errinfo e = {0};
	int64_t hold = 0, hold_b = 0;
	seed_history(db);
	assert_int_equal(hold_place(db, &who, "OLDFAM-D", "D-HOLD: rent appeal", &hold, &e), HE_OK);
	assert_true(hold > 0);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM safeguarding_holds WHERE family_id IS"
				    " NULL AND history_family_ref = 'OLDFAM-D' AND released_at IS NULL"), 1);
	/* by its case reference: the same family, already held */
	assert_int_equal(hold_place(db, &who, "HD-1", "again", NULL, &e), HE_CONFLICT);
	assert_string_equal(e.field, "ref");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'hold' AND"
				    " entity = 'history_cases' AND entity_id = '105' AND summary LIKE"
				    " '%before Hearth of case HD-1' AND summary NOT LIKE '%OLDFAM%'"), 1);
	/* B's child (51) is in no Hearth family: by case reference, on OLDFAM-B */
	assert_int_equal(hold_place(db, &who, "HB-1", "B-HOLD", &hold_b, &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM safeguarding_holds WHERE"
				    " history_family_ref = 'OLDFAM-B' AND family_id IS NULL"), 1);
	assert_int_equal(hold_release(db, &who, hold_b, "not needed", &e), HE_OK);
	/* one family or the other, never both nor neither */
	assert_int_not_equal(db_exec(db, "INSERT INTO safeguarding_holds (family_id,"
				     " history_family_ref, reason, placed_at) VALUES (1, 'OLDFAM-A', 'x',"
				     " 'x')"), HE_OK);
	assert_int_not_equal(db_exec(db, "INSERT INTO safeguarding_holds (reason, placed_at)"
				     " VALUES ('x', 'x')"), HE_OK);
	/* listed as a family from before Hearth */
	struct arena a;
	struct hold *h;
	size_t nh;
	arena_init(&a);
	assert_int_equal(hold_list(db, &a, false, &h, &nh), HE_OK);
	assert_int_equal(nh, 1);
	assert_int_equal(h[0].id, hold);
	assert_true(h[0].history);
	assert_string_equal(h[0].family_ref, "OLDFAM-D");
	assert_string_equal(h[0].family_name, "Cases from before Hearth");
	/* retention keeps it */
	struct retention_family *v;
	size_t n;
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_int_equal(due_ref(v, n, "OLDFAM-D")->hold_id, hold);
	assert_string_equal(due_ref(v, n, "OLDFAM-D")->hold_reason, "D-HOLD: rent appeal");
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 5);
	assert_int_equal(res.held, 1);
	assert_int_equal(res.anonymised, 4);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE id = 105 AND"
				    " family_ref = 'OLDFAM-D' AND worker_name = 'D-WORKER' AND"
				    " anonymised_at IS NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_events WHERE detail ="
				    " 'D-SIGNPOSTED'"), 1);
	/* released (audited without the old reference): anonymised on the next run, and the
	 * released hold no longer carries the old reference */
	assert_int_equal(hold_release(db, &who, hold, "Appeal heard", &e), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'release'"
				    " AND entity = 'history_cases' AND entity_id = '105' AND summary"
				    " NOT LIKE '%OLDFAM%'"), 1);
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.anonymised, 1);
	assert_int_equal(res.history, 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE id = 105 AND"
				    " family_ref = 'anonymised-105' AND anonymised_at IS NOT NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM safeguarding_holds WHERE"
				    " history_family_ref = 'OLDFAM-D'"), 0);
	char q[160];
	snprintf(q, sizeof q, "SELECT count(*) FROM safeguarding_holds WHERE id = %lld AND"
		 " history_family_ref = 'anonymised-105' AND released_at IS NOT NULL", (long long)hold);
	assert_int_equal(testdb_int(db, q), 1);
	/* done: no hold on it any more */
	assert_int_equal(hold_place(db, &who, "HD-1", "late", NULL, &e), HE_CONFLICT);
	assert_non_null(strstr(e.message, "already been anonymised"));
	arena_free(&a);
}

/* "Done" is history_cases.anonymised_at, not the look of the reference: a
 * family whose old reference begins "anonymised-" is due like any other,
 * and one marked anonymised is not, whatever its reference. */
static void test_history_done_mark(void **state)
{
	struct db *db = DB(state);
	seed_history(db);
	exec(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id,"
	     " pupil_id, worker_name) VALUES (108, 1, 'HG-1', 'anonymised-G', NULL, NULL, 'G-WORKER');"
	     "INSERT INTO history_events (case_id, on_date, kind, source, detail) VALUES"
	     " (108, '2010-04-01', 'referred', 'self', 'G-REFERRED'),"
	     " (108, '2010-04-03', 'signposted', NULL, '');"
	     "UPDATE history_cases SET anonymised_at = '2020-01-01T00:00:00Z' WHERE id = 105");
	struct arena a;
	struct retention_family *v;
	size_t n;
	arena_init(&a);
	assert_int_equal(retention_due(db, &a, date_today(), &v, &n), HE_OK);
	assert_non_null(due_ref(v, n, "anonymised-G"));
	assert_null(due_ref(v, n, "OLDFAM-D"));
	struct retention_result res;
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.history, 3);   /* A, C and G */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE id = 108 AND"
				    " family_ref = 'anonymised-108' AND worker_name = '' AND"
				    " anonymised_at IS NOT NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE anonymised_at IS"
				    " NOT NULL"), 5);   /* 101, 102, 104, 105 (marked), 108 */
	/* D, marked done, was left as it was */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE id = 105 AND"
				    " family_ref = 'OLDFAM-D' AND worker_name = 'D-WORKER'"), 1);
	assert_int_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.due, 0);
	arena_free(&a);
}

/* A history family that fails part-way is left whole; the others go on. */
static void test_history_atomic(void **state)
{
	struct db *db = DB(state);
	seed_history(db);
	if (testdb_is_pg())
		exec(db, "CREATE FUNCTION t_hfail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
		     " IF OLD.family_ref = 'OLDFAM-A' THEN RAISE EXCEPTION 'injected failure';"
		     " END IF; RETURN NEW; END $$; CREATE TRIGGER t_hfail BEFORE UPDATE ON"
		     " history_cases FOR EACH ROW EXECUTE FUNCTION t_hfail()");
	else
		exec(db, "CREATE TRIGGER t_hfail BEFORE UPDATE OF family_ref ON history_cases WHEN"
		     " OLD.family_ref = 'OLDFAM-A' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	struct retention_result res;
	assert_int_not_equal(retention_apply(db, &who, date_today(), &res, NULL), HE_OK);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.anonymised, 4);
	/* A: its errors, pupil record and events were changed before the failure */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE family_ref ="
				    " 'OLDFAM-A' AND worker_name = 'A-WORKER'"), 2);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_events WHERE detail IN"
				    " ('A-SOFA', 'A-REFERRED', 'A-CLOSED')"), 3);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupils WHERE id = 41 AND forename ="
				    " 'HISTA-Child'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_import_errors WHERE message"
				    " LIKE '%OLDFAM-A%'"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM audit_log WHERE entity ="
				    " 'history_cases' AND entity_id = '101'"), 0);
	/* D was done */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM history_cases WHERE family_ref ="
				    " 'anonymised-105'"), 1);
}

/* ---- the export register -------------------------------------------------------------- */

static void test_register(void **state)
{
	struct db *db = DB(state);
	struct export_rec x = {"pupils", "csv", "risk list, band high", 120, NULL, 0};
	int64_t id = 0;
	assert_int_equal(export_register_add(db, &who, &x, &id), HE_OK);
	assert_true(id > 0);
	struct export_rec s = {"subject_access", "json", NULL, 40, "member", 23};
	assert_int_equal(export_register_add(db, &who, &s, NULL), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM export_register WHERE what = 'pupils'"
				    " AND format = 'csv' AND row_count = 120 AND user_id = 1 AND"
				    " user_email = 'ig@hearth.example' AND route = 'unit test' AND"
				    " filters = 'risk list, band high' AND subject_kind IS NULL"), 1);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM export_register WHERE subject_kind ="
				    " 'member' AND subject_id = 23 AND row_count = 40"), 1);
	/* inside a caller's transaction it joins it: rolled back with it */
	assert_int_equal(db_begin(db), HE_OK);
	assert_int_equal(export_register_add(db, &who, &x, NULL), HE_OK);
	db_rollback(db);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM export_register"), 2);
	/* append-only: the database refuses to change or remove a row */
	assert_int_not_equal(db_exec(db, "UPDATE export_register SET what = 'x'"), HE_OK);
	assert_int_not_equal(db_exec(db, "DELETE FROM export_register"), HE_OK);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM export_register WHERE what = 'pupils'"), 1);
	/* a bad format is refused */
	struct export_rec bad = {"pupils", "pdf", NULL, 1, NULL, 0};
	assert_int_not_equal(export_register_add(db, &who, &bad, NULL), HE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sar_pupil_every_kind, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_sar_member, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_sar_search, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_retention_due, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_retention_anonymises, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_retention_skips_held, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_retention_atomic, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_due, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_anonymises, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_held, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_atomic, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_hold_alone, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_history_done_mark, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_register, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
