/* test_pupil.c — unit tests for src/core/pupil.c: the field table and CSV
 * header matching (case, spaces/underscores/hyphens, every alias), checking
 * one record (pupil_validate: every field's valid forms, and for every bad
 * value the error code, the canonical header in e.field, the line and a
 * message that names the problem), DfE register marks (pupil_marks) and
 * the household key that links siblings (pupil_family_key).  Pure
 * functions: no database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/pupil.h"

#define LINE 7

/* The day the tests pretend is today: 1 March 2025. */
static hday today(void)
{
	return date_from_ymd(2025, 3, 1);
}

/* A complete, valid record on line LINE. */
static void base(struct pupil_rec *r)
{
	memset(r, 0, sizeof *r);
	r->line = LINE;
	r->v[PF_UPN] = "C856202600001";
	r->v[PF_FORENAME] = "Amelia";
	r->v[PF_SURNAME] = "Okafor";
	r->v[PF_DOB] = "2011-03-14";
	r->v[PF_GENDER] = "F";
}

/* Validate r; assert it is accepted, with d filled. */
static void ok(const struct pupil_rec *r, struct pupil_data *d)
{
	struct errinfo e = {0};
	int rc = pupil_validate(r, today(), d, &e);
	if (rc != HE_OK)
		fail_msg("line %ld refused: %d field \"%s\": %s", r->line, rc, e.field, e.message);
}

/* Validate r; assert it is refused with code, e.field == field, e.line ==
 * r->line, and a message that starts with the field's name and contains
 * want (when not NULL). */
static void refused(const struct pupil_rec *r, int code, const char *field, const char *want)
{
	struct pupil_data d;
	struct errinfo e;
	memset(&e, 0, sizeof e);
	int rc = pupil_validate(r, today(), &d, &e);
	if (rc != code || e.code != code || strcmp(e.field, field) != 0 || e.line != r->line ||
	    strncmp(e.message, field, strlen(field)) != 0 || (want && !strstr(e.message, want)))
		fail_msg("got %d/%d field \"%s\" line %d \"%s\"; want %d field \"%s\" line %ld"
			 " message containing \"%s\"", rc, e.code, e.field, e.line, e.message, code,
			 field, r->line, want ? want : "");
}

/* One field of the base record set to value, which must be refused. */
static void bad_value(enum pupil_field f, const char *value, int code, const char *want)
{
	struct pupil_rec r;
	base(&r);
	r.v[f] = value;
	refused(&r, code, pupil_fields[f].name, want);
}

/* ---- the field table and headers --------------------------------------- */

static void test_field_table(void **state)
{
	(void)state;
	for (int f = 0; f < PF_COUNT; f++) {
		assert_non_null(pupil_fields[f].name);
		assert_non_null(pupil_fields[f].help);
		assert_true(strlen(pupil_fields[f].help) > 0);
	}
	/* the required columns: identity only */
	for (int f = 0; f < PF_COUNT; f++) {
		bool want = f == PF_UPN || f == PF_FORENAME || f == PF_SURNAME || f == PF_DOB ||
			    f == PF_GENDER;
		if (pupil_fields[f].required != want)
			fail_msg("%s: required %d", pupil_fields[f].name, pupil_fields[f].required);
	}
}

/* s with every ' ' replaced by c and its letters in upper (1) or lower (-1)
 * case, or kept (0). */
static const char *variant(const char *s, char c, int upcase, char *buf, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++) {
		char ch = s[i] == ' ' ? c : s[i];
		if (upcase > 0 && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (upcase < 0 && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		buf[i] = ch;
	}
	buf[i] = '\0';
	return buf;
}

static void expect_header(const char *h, int f)
{
	int got = pupil_field_by_header(h);
	if (got != f)
		fail_msg("header \"%s\" → %d (%s); want %d (%s)", h, got,
			 got >= 0 ? pupil_fields[got].name : "none", f,
			 f >= 0 ? pupil_fields[f].name : "none");
}

/* Every name and alias, in upper, lower and as-is case, with spaces, '_'
 * or '-', and with surrounding blanks, maps to its own field: no alias is
 * shadowed by another field's. */
static void test_header_every_alias(void **state)
{
	(void)state;
	char buf[128], padded[160];
	int seen = 0;
	for (int f = 0; f < PF_COUNT; f++) {
		const char *names[7] = {pupil_fields[f].name};
		for (int i = 0; i < 6 && pupil_fields[f].aliases[i]; i++)
			names[i + 1] = pupil_fields[f].aliases[i];
		for (int i = 0; i < 7 && names[i]; i++) {
			static const char seps[] = {' ', '_', '-'};
			for (int s = 0; s < 3; s++)
				for (int up = -1; up <= 1; up++)
					expect_header(variant(names[i], seps[s], up, buf, sizeof buf), f);
			snprintf(padded, sizeof padded, "  %s \t", names[i]);
			expect_header(padded, f);
			snprintf(padded, sizeof padded, "%s\r", names[i]);
			expect_header(padded, f);
			seen++;
		}
	}
	assert_true(seen > PF_COUNT * 2);
}

static void test_header_examples(void **state)
{
	(void)state;
	expect_header("UPN", PF_UPN);
	expect_header("upn", PF_UPN);
	expect_header("Upn", PF_UPN);
	expect_header("date_of_birth", PF_DOB);
	expect_header("DATE-OF-BIRTH", PF_DOB);
	expect_header("DOB", PF_DOB);
	expect_header(" Legal Surname ", PF_SURNAME);
	expect_header("fsm_eligible", PF_FSM);
	expect_header("Pupil Premium", PF_FSM);
	expect_header("SEN", PF_SEN);
	expect_header("EHCP", PF_EHCP);
	expect_header("ncyearactual", -1);          /* words must be separated */
	expect_header("NC_year_actual", PF_YEAR);
	expect_header("URN", PF_URN);
	expect_header("Attendance codes", PF_MARKS);
	expect_header("Fixed-term exclusions", PF_SUSPENSIONS);
	expect_header("Fixed_term_exclusions", PF_SUSPENSIONS);
	expect_header("census date", PF_EXTRACT_DATE);
	/* unknown */
	expect_header("", -1);
	expect_header("   ", -1);
	expect_header("Ethnicity", -1);
	expect_header("UPNX", -1);
	expect_header("UP", -1);
	expect_header("Date of birth2", -1);
	expect_header("Forename Surname", -1);
	expect_header("Middle name", -1);
}

/* ---- pupil_validate: valid records --------------------------------------- */

static void test_valid_minimal(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	base(&r);
	ok(&r, &d);
	assert_string_equal(d.upn, "C856202600001");
	assert_string_equal(d.forename, "Amelia");
	assert_string_equal(d.surname, "Okafor");
	assert_int_equal(d.dob, date_from_ymd(2011, 3, 14));
	assert_int_equal(d.gender, 'F');
	assert_int_equal(d.year_group, INT32_MIN);
	assert_string_equal(d.urn, "");
	assert_string_equal(d.postcode, "");
	assert_string_equal(d.family_key, "");
	assert_int_equal(d.fsm, -1);
	assert_int_equal(d.ehcp, -1);
	assert_int_equal(d.looked_after, -1);
	assert_int_equal(d.below_expected, -1);
	assert_int_equal(d.sen, 0);
	assert_int_equal(d.moves, -1);
	assert_int_equal(d.sess_possible, -1);
	assert_int_equal(d.sess_attended, -1);
	assert_int_equal(d.auth_absence, -1);
	assert_int_equal(d.unauth_absence, -1);
	assert_int_equal(d.suspensions, -1);
	assert_int_equal(d.suspension_days_x10, -1);
	assert_int_equal(d.extract_date, 0);
}

static void test_valid_full(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	base(&r);
	r.v[PF_UPN] = "  c856202600001 ";     /* trimmed, upper-cased */
	r.v[PF_FORENAME] = " Amelia\t";
	r.v[PF_SURNAME] = "O'Brien-Okafor";
	r.v[PF_DOB] = "14/03/2011";           /* the UK MIS form */
	r.v[PF_GENDER] = "female";
	r.v[PF_YEAR] = "Year 9";
	r.v[PF_URN] = "120345";
	r.v[PF_POSTCODE] = "le21ab";
	r.v[PF_ADDRESS] = "14 Acacia Avenue";
	r.v[PF_FSM] = "Yes";
	r.v[PF_SEN] = "k";
	r.v[PF_EHCP] = "N";
	r.v[PF_MOVES] = " 2 ";
	r.v[PF_SESS_POSSIBLE] = "200";
	r.v[PF_SESS_ATTENDED] = "178";
	r.v[PF_AUTH_ABSENCE] = "10";
	r.v[PF_UNAUTH_ABSENCE] = "12";
	r.v[PF_SUSPENSIONS] = "1";
	r.v[PF_SUSPENSION_DAYS] = "2.5";
	r.v[PF_EXTRACT_DATE] = "2025-01-15";
	ok(&r, &d);
	assert_string_equal(d.upn, "C856202600001");
	assert_string_equal(d.forename, "Amelia");
	assert_string_equal(d.surname, "O'Brien-Okafor");
	assert_int_equal(d.dob, date_from_ymd(2011, 3, 14));
	assert_int_equal(d.gender, 'F');
	assert_int_equal(d.year_group, 9);
	assert_string_equal(d.urn, "120345");
	assert_string_equal(d.postcode, "LE2 1AB");
	assert_int_equal(strlen(d.family_key), PUPIL_FAMILY_KEY - 1);
	assert_int_equal(d.fsm, 1);
	assert_int_equal(d.sen, 'K');
	assert_int_equal(d.ehcp, 0);
	assert_int_equal(d.moves, 2);
	assert_int_equal(d.sess_possible, 200);
	assert_int_equal(d.sess_attended, 178);
	assert_int_equal(d.auth_absence, 10);
	assert_int_equal(d.unauth_absence, 12);
	assert_int_equal(d.suspensions, 1);
	assert_int_equal(d.suspension_days_x10, 25);
	assert_int_equal(d.extract_date, date_from_ymd(2025, 1, 15));
}

static void test_valid_temporary_upn(void **state)
{
	(void)state;
	char upn[14];
	char c = upn_check_letter("85620260000A");
	assert_true(c != 0);
	snprintf(upn, sizeof upn, "%c85620260000A", c);
	struct pupil_rec r;
	struct pupil_data d;
	base(&r);
	r.v[PF_UPN] = upn;
	ok(&r, &d);
	assert_string_equal(d.upn, upn);
}

static void test_valid_gender(void **state)
{
	(void)state;
	static const struct { const char *in; char want; } cases[] = {
		{"M", 'M'}, {"m", 'M'}, {"Male", 'M'}, {"MALE", 'M'}, {"Boy", 'M'},
		{"F", 'F'}, {"f", 'F'}, {"Female", 'F'}, {"girl", 'F'},
		{"U", 'U'}, {"Unknown", 'U'}, {"X", 'U'}, {"not known", 'U'}, {" M ", 'M'},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pupil_rec r;
		struct pupil_data d;
		base(&r);
		r.v[PF_GENDER] = cases[i].in;
		ok(&r, &d);
		if (d.gender != cases[i].want)
			fail_msg("gender \"%s\" → %c; want %c", cases[i].in, d.gender, cases[i].want);
	}
}

static void test_valid_year_group(void **state)
{
	(void)state;
	static const struct { const char *in; int want; } cases[] = {
		{"R", 0}, {"r", 0}, {"Reception", 0}, {"YR", 0}, {"N1", -2}, {"n2", -1},
		{"1", 1}, {"7", 7}, {"07", 7}, {"14", 14}, {"Y7", 7}, {"y11", 11},
		{"Year 7", 7}, {"year 11", 11}, {"YEAR 1", 1}, {" 9 ", 9},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pupil_rec r;
		struct pupil_data d;
		base(&r);
		r.v[PF_YEAR] = cases[i].in;
		ok(&r, &d);
		if (d.year_group != cases[i].want)
			fail_msg("year \"%s\" → %d; want %d", cases[i].in, d.year_group, cases[i].want);
	}
}

/* Each flag field: its slot in pupil_data. */
static const struct { enum pupil_field f; size_t off; } flags[] = {
	{PF_FSM, offsetof(struct pupil_data, fsm)},
	{PF_EHCP, offsetof(struct pupil_data, ehcp)},
	{PF_EAL, offsetof(struct pupil_data, eal)},
	{PF_EAL_NEW, offsetof(struct pupil_data, eal_new)},
	{PF_LOOKED_AFTER, offsetof(struct pupil_data, looked_after)},
	{PF_CIN, offsetof(struct pupil_data, cin)},
	{PF_CP, offsetof(struct pupil_data, cp)},
	{PF_YOUNG_CARER, offsetof(struct pupil_data, young_carer)},
	{PF_YOUTH_JUSTICE, offsetof(struct pupil_data, youth_justice)},
	{PF_YOUNG_PARENT, offsetof(struct pupil_data, young_parent)},
	{PF_PERM_EXCLUSION, offsetof(struct pupil_data, perm_exclusion)},
	{PF_BELOW_EXPECTED, offsetof(struct pupil_data, below_expected)},
};
#define NFLAGS (sizeof flags / sizeof flags[0])

static void test_valid_flags(void **state)
{
	(void)state;
	static const struct { const char *in; int want; } spellings[] = {
		{"Y", 1}, {"y", 1}, {"Yes", 1}, {"YES", 1}, {"1", 1}, {"true", 1}, {"TRUE", 1},
		{"T", 1}, {" Y ", 1},
		{"N", 0}, {"n", 0}, {"No", 0}, {"NO", 0}, {"0", 0}, {"false", 0}, {"F", 0},
		{"", -1}, {NULL, -1},
	};
	for (size_t k = 0; k < NFLAGS; k++) {
		for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
			struct pupil_rec r;
			struct pupil_data d;
			base(&r);
			r.v[flags[k].f] = spellings[i].in;
			ok(&r, &d);
			int8_t got = *(int8_t *)((char *)&d + flags[k].off);
			if (flags[k].f == PF_EHCP && spellings[i].want == -1)
				assert_int_equal(got, -1);
			else if (got != spellings[i].want)
				fail_msg("%s \"%s\" → %d; want %d", pupil_fields[flags[k].f].name,
					 spellings[i].in ? spellings[i].in : "(null)", got,
					 spellings[i].want);
		}
	}
}

static void test_valid_sen(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	static const struct { const char *in; char want; } cases[] = {
		{"N", 'N'}, {"K", 'K'}, {"E", 'E'}, {"n", 'N'}, {"k", 'K'}, {"e", 'E'}, {" K ", 'K'},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		base(&r);
		r.v[PF_SEN] = cases[i].in;
		ok(&r, &d);
		assert_int_equal(d.sen, cases[i].want);
	}
	/* E (an EHC plan) implies the plan flag, with or without the column */
	base(&r);
	r.v[PF_SEN] = "E";
	ok(&r, &d);
	assert_int_equal(d.ehcp, 1);
	base(&r);
	r.v[PF_SEN] = "E";
	r.v[PF_EHCP] = "Y";
	ok(&r, &d);
	assert_int_equal(d.ehcp, 1);
	/* K leaves the plan column as given */
	base(&r);
	r.v[PF_SEN] = "K";
	ok(&r, &d);
	assert_int_equal(d.ehcp, -1);
	base(&r);
	r.v[PF_SEN] = "N";
	r.v[PF_EHCP] = "N";
	ok(&r, &d);
	assert_int_equal(d.ehcp, 0);
}

static void test_valid_counts(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	base(&r);
	r.v[PF_MOVES] = "0";
	r.v[PF_SUSPENSIONS] = "200";
	r.v[PF_SESS_POSSIBLE] = "1000";
	r.v[PF_SESS_ATTENDED] = "1000";
	ok(&r, &d);
	assert_int_equal(d.moves, 0);
	assert_int_equal(d.suspensions, 200);
	assert_int_equal(d.sess_possible, 1000);
	assert_int_equal(d.sess_attended, 1000);
	base(&r);
	r.v[PF_MOVES] = "50";
	ok(&r, &d);
	assert_int_equal(d.moves, 50);
}

static void test_valid_suspension_days(void **state)
{
	(void)state;
	static const struct { const char *in; int want; } cases[] = {
		{"0", 0}, {"3", 30}, {"2.5", 25}, {"0.5", 5}, {"2.50", 25}, {"2.0", 20},
		{"400", 4000}, {" 1.5 ", 15},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pupil_rec r;
		struct pupil_data d;
		base(&r);
		r.v[PF_SUSPENSION_DAYS] = cases[i].in;
		ok(&r, &d);
		if (d.suspension_days_x10 != cases[i].want)
			fail_msg("days \"%s\" → %d tenths; want %d", cases[i].in,
				 d.suspension_days_x10, cases[i].want);
	}
}

static void test_valid_attendance(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	/* attended derived from possible − absences */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "200";
	r.v[PF_AUTH_ABSENCE] = "10";
	r.v[PF_UNAUTH_ABSENCE] = "12";
	ok(&r, &d);
	assert_int_equal(d.sess_attended, 178);
	/* all absent: attended == possible */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "200";
	r.v[PF_AUTH_ABSENCE] = "0";
	r.v[PF_UNAUTH_ABSENCE] = "0";
	ok(&r, &d);
	assert_int_equal(d.sess_attended, 200);
	/* attended given without possible: kept (the percentage is unknown) */
	base(&r);
	r.v[PF_SESS_ATTENDED] = "150";
	ok(&r, &d);
	assert_int_equal(d.sess_attended, 150);
	assert_int_equal(d.sess_possible, -1);
	/* marks instead of counts */
	base(&r);
	r.v[PF_MARKS] = "/\\/\\NN/\\/\\LLIIOO/\\";
	ok(&r, &d);
	assert_int_equal(d.sess_possible, 18);
	assert_int_equal(d.sess_attended, 12);
	assert_int_equal(d.auth_absence, 2);
	assert_int_equal(d.unauth_absence, 4);
	/* counts win over marks when both are given */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "100";
	r.v[PF_SESS_ATTENDED] = "90";
	r.v[PF_MARKS] = "//NN";
	ok(&r, &d);
	assert_int_equal(d.sess_possible, 100);
	assert_int_equal(d.sess_attended, 90);
}

static void test_valid_ages(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	/* 2 and 25 are the bounds */
	base(&r);
	r.v[PF_DOB] = "2023-03-01";
	ok(&r, &d);
	base(&r);
	r.v[PF_DOB] = "1999-03-02";
	ok(&r, &d);
	/* the age is taken on the extract date when there is one */
	base(&r);
	r.v[PF_DOB] = "1995-01-01";
	r.v[PF_EXTRACT_DATE] = "2012-09-01";
	ok(&r, &d);
	assert_int_equal(d.extract_date, date_from_ymd(2012, 9, 1));
	base(&r);
	r.v[PF_EXTRACT_DATE] = "2025-03-01";
	ok(&r, &d);
	/* a 100-character name is fine */
	char name[PUPIL_NAME_MAX + 1];
	memset(name, 'a', PUPIL_NAME_MAX);
	name[PUPIL_NAME_MAX] = '\0';
	base(&r);
	r.v[PF_SURNAME] = name;
	ok(&r, &d);
	assert_string_equal(d.surname, name);
	/* non-ASCII UTF-8 is text like any other */
	base(&r);
	r.v[PF_SURNAME] = "Müller-Łukasiewicz";
	r.v[PF_FORENAME] = "Zoë";
	ok(&r, &d);
	assert_string_equal(d.surname, "Müller-Łukasiewicz");
}

static void test_valid_postcode_urn(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } pcs[] = {
		{"LE2 1AB", "LE2 1AB"}, {"le2 1ab", "LE2 1AB"}, {"LE21AB", "LE2 1AB"},
		{"SW1A 1AA", "SW1A 1AA"}, {"m11ae", "M1 1AE"}, {" B33 8TH ", "B33 8TH"},
	};
	for (size_t i = 0; i < sizeof pcs / sizeof pcs[0]; i++) {
		struct pupil_rec r;
		struct pupil_data d;
		base(&r);
		r.v[PF_POSTCODE] = pcs[i].in;
		ok(&r, &d);
		assert_string_equal(d.postcode, pcs[i].want);
	}
	struct pupil_rec r;
	struct pupil_data d;
	base(&r);
	r.v[PF_URN] = " 999999 ";
	ok(&r, &d);
	assert_string_equal(d.urn, "999999");
}

/* ---- pupil_validate: invalid records ------------------------------------ */

static void test_bad_upn(void **state)
{
	(void)state;
	/* C856202600001 is right: every other check letter names C */
	const char *wrong[] = {"A856202600001", "B856202600001", "Z856202600001", "d856202600001"};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		bad_value(PF_UPN, wrong[i], HE_INVALID, "check letter: it should be C");
	/* R856202600002 is right */
	bad_value(PF_UPN, "C856202600002", HE_INVALID, "it should be R");
	bad_value(PF_UPN, "C856202600002", HE_INVALID, "C856202600002");
	bad_value(PF_UPN, "C85620260000", HE_INVALID, "is not a UPN");     /* 12 chars */
	bad_value(PF_UPN, "C8562026000011", HE_INVALID, "is not a UPN");   /* 14 */
	bad_value(PF_UPN, "8562026000011", HE_INVALID, "'8562026000011'");  /* no letter */
	bad_value(PF_UPN, "C8562026 0001", HE_INVALID, NULL);
	bad_value(PF_UPN, "hello", HE_INVALID, "'hello' is not a UPN");
	bad_value(PF_UPN, NULL, HE_MISSING, "missing");
	bad_value(PF_UPN, "", HE_MISSING, "missing");
	bad_value(PF_UPN, "   ", HE_MISSING, "missing");
}

static void test_bad_names(void **state)
{
	(void)state;
	char longname[PUPIL_NAME_MAX + 2];
	memset(longname, 'a', PUPIL_NAME_MAX + 1);
	longname[PUPIL_NAME_MAX + 1] = '\0';
	bad_value(PF_FORENAME, NULL, HE_MISSING, "missing");
	bad_value(PF_FORENAME, " \t ", HE_MISSING, "missing");
	bad_value(PF_SURNAME, "", HE_MISSING, "missing");
	bad_value(PF_SURNAME, longname, HE_INVALID, "longer than 100");
	bad_value(PF_FORENAME, longname, HE_INVALID, "longer than 100");
	char huge[600];
	memset(huge, 'b', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	bad_value(PF_SURNAME, huge, HE_INVALID, "longer than 100");
}

static void test_bad_dates(void **state)
{
	(void)state;
	bad_value(PF_DOB, "2023-02-29", HE_INVALID, "'2023-02-29' is not a real date");
	bad_value(PF_DOB, "29/02/2023", HE_INVALID, "not a real date");
	bad_value(PF_DOB, "2011-13-01", HE_INVALID, "not a real date");
	bad_value(PF_DOB, "31/04/2011", HE_INVALID, "not a real date");
	bad_value(PF_DOB, "14-03-2011", HE_INVALID, "not a real date");
	bad_value(PF_DOB, "14.03.2011", HE_INVALID, "not a real date");
	bad_value(PF_DOB, "yesterday", HE_INVALID, "not a real date");
	bad_value(PF_DOB, NULL, HE_MISSING, "missing");
	/* future */
	bad_value(PF_DOB, "2025-03-02", HE_INVALID, "'2025-03-02' is in the future");
	bad_value(PF_DOB, "2030-01-01", HE_INVALID, "in the future");
	/* age out of range (2 to 25 on the extract date, or today) */
	bad_value(PF_DOB, "2023-03-02", HE_INVALID, "age of 1");
	bad_value(PF_DOB, "2025-03-01", HE_INVALID, "age of 0");
	bad_value(PF_DOB, "1999-03-01", HE_INVALID, "age of 26");
	bad_value(PF_DOB, "1950-06-01", HE_INVALID, "age of 74");
	struct pupil_rec r;
	base(&r);
	r.v[PF_DOB] = "2011-03-14";
	r.v[PF_EXTRACT_DATE] = "2012-09-01";  /* a one-year-old on that date */
	refused(&r, HE_INVALID, "Date of birth", "age of 1");
	/* the extract date itself */
	bad_value(PF_EXTRACT_DATE, "2025-02-30", HE_INVALID, "not a real date");
	bad_value(PF_EXTRACT_DATE, "2025-03-02", HE_INVALID, "in the future");
	bad_value(PF_EXTRACT_DATE, "soon", HE_INVALID, "'soon'");
}

static void test_bad_gender(void **state)
{
	(void)state;
	const char *bad[] = {"Q", "MF", "Man", "2", "?", "Mal"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[32];
		snprintf(want, sizeof want, "'%s' is not M, F or U", bad[i]);
		bad_value(PF_GENDER, bad[i], HE_INVALID, want);
	}
	bad_value(PF_GENDER, NULL, HE_MISSING, "missing");
	bad_value(PF_GENDER, " ", HE_MISSING, "missing");
}

static void test_bad_year_group(void **state)
{
	(void)state;
	const char *bad[] = {"15", "0", "-1", "Y15", "Year 15", "N3", "N", "Y", "Year", "7a",
		"Year  7", "Y 7", "seven", "7.5", "100"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[48];
		snprintf(want, sizeof want, "'%s' is not a year group", bad[i]);
		bad_value(PF_YEAR, bad[i], HE_INVALID, want);
	}
}

static void test_bad_urn_postcode(void **state)
{
	(void)state;
	const char *urns[] = {"12345", "1234567", "099999", "12a456", "URN123", "000000"};
	for (size_t i = 0; i < sizeof urns / sizeof urns[0]; i++)
		bad_value(PF_URN, urns[i], HE_INVALID, "is not a 6-digit URN");
	bad_value(PF_URN, "12345", HE_INVALID, "'12345'");
	const char *pcs[] = {"LE2 1A", "XYZ", "12345", "LE2 1ABC", "LE2 1A B"};
	for (size_t i = 0; i < sizeof pcs / sizeof pcs[0]; i++)
		bad_value(PF_POSTCODE, pcs[i], HE_INVALID, "is not a UK postcode");
	bad_value(PF_POSTCODE, "XYZ", HE_INVALID, "'XYZ'");
}

static void test_bad_flags(void **state)
{
	(void)state;
	const char *bad[] = {"2", "maybe", "Yes please", "YN", "-1", "x", "on"};
	for (size_t k = 0; k < NFLAGS; k++)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			char want[48];
			snprintf(want, sizeof want, "'%s' is not Y or N", bad[i]);
			bad_value(flags[k].f, bad[i], HE_INVALID, want);
		}
}

static void test_bad_sen(void **state)
{
	(void)state;
	const char *bad[] = {"S", "A", "P", "KE", "EHCP", "SEN", "Y", "1", "K K"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[48];
		snprintf(want, sizeof want, "'%s' is not N, K or E", bad[i]);
		bad_value(PF_SEN, bad[i], HE_INVALID, want);
	}
}

static void test_bad_counts(void **state)
{
	(void)state;
	static const struct { enum pupil_field f; int max; } counts[] = {
		{PF_MOVES, 50}, {PF_SUSPENSIONS, 200}, {PF_SESS_POSSIBLE, 1000},
		{PF_SESS_ATTENDED, 1000}, {PF_AUTH_ABSENCE, 1000}, {PF_UNAUTH_ABSENCE, 1000},
	};
	for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
		char too_big[16], want[64];
		snprintf(too_big, sizeof too_big, "%d", counts[k].max + 1);
		snprintf(want, sizeof want, "is not a whole number from 0 to %d", counts[k].max);
		const char *bad[] = {"-1", "abc", "3.5", "+3", "1e3", "3 sessions", too_big,
			"99999999999999999999", "0x10"};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			struct pupil_rec r;
			base(&r);
			r.v[counts[k].f] = bad[i];
			/* keep the attendance checks from getting in first */
			if (counts[k].f == PF_SESS_ATTENDED)
				r.v[PF_SESS_POSSIBLE] = "1000";
			refused(&r, HE_INVALID, pupil_fields[counts[k].f].name, want);
			char quoted[64];
			snprintf(quoted, sizeof quoted, "'%.20s'", bad[i]);
			refused(&r, HE_INVALID, pupil_fields[counts[k].f].name, quoted);
		}
	}
}

static void test_bad_attendance(void **state)
{
	(void)state;
	struct pupil_rec r;
	/* attended > possible */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "200";
	r.v[PF_SESS_ATTENDED] = "201";
	refused(&r, HE_INVALID, "Sessions attended", "more than the sessions possible");
	/* absences > possible, attended derived */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "100";
	r.v[PF_AUTH_ABSENCE] = "60";
	r.v[PF_UNAUTH_ABSENCE] = "50";
	refused(&r, HE_INVALID, "Unauthorised absence", "add up to more than the sessions possible");
	/* absences > possible, attended given */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "100";
	r.v[PF_SESS_ATTENDED] = "0";
	r.v[PF_AUTH_ABSENCE] = "60";
	r.v[PF_UNAUTH_ABSENCE] = "50";
	refused(&r, HE_INVALID, "Unauthorised absence", "add up to more than the sessions possible");
	/* attended + absences > possible (each alone fits) */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "100";
	r.v[PF_SESS_ATTENDED] = "90";
	r.v[PF_AUTH_ABSENCE] = "10";
	r.v[PF_UNAUTH_ABSENCE] = "10";
	refused(&r, HE_INVALID, "Sessions attended", "attended and absent sessions add up");
	/* SEN provision E with "no EHC plan" contradicts itself */
	base(&r);
	r.v[PF_SEN] = "E";
	r.v[PF_EHCP] = "N";
	refused(&r, HE_INVALID, "EHC plan", "contradicts SEN provision E");
	/* a bad mark */
	base(&r);
	r.v[PF_MARKS] = "//\\\\NA//";
	refused(&r, HE_INVALID, "Attendance marks", "'A' (session 6) is not a DfE attendance code");
}

/* Sessions possible with one absence column and no attended: attended
 * cannot be worked out, and stays unknown.  It must not be refused with a
 * claim that the absences exceed the sessions possible (10 of 200 do
 * not). */
static void test_attendance_underivable(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d;
	struct errinfo e = {0};
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "200";
	r.v[PF_AUTH_ABSENCE] = "10";
	int rc = pupil_validate(&r, today(), &d, &e);
	if (rc != HE_OK)
		fail_msg("possible 200, authorised 10, nothing else: \"%s\"", e.message);
	assert_int_equal(d.sess_possible, 200);
	assert_int_equal(d.auth_absence, 10);
	assert_int_equal(d.sess_attended, -1);
	/* possible alone */
	base(&r);
	r.v[PF_SESS_POSSIBLE] = "200";
	memset(&e, 0, sizeof e);
	rc = pupil_validate(&r, today(), &d, &e);
	if (rc != HE_OK)
		fail_msg("possible 200 alone: \"%s\"", e.message);
	assert_int_equal(d.sess_attended, -1);
}

static void test_bad_suspension_days(void **state)
{
	(void)state;
	const char *bad[] = {"2.55", "2.05", ".5", "2.", "-1", "401", "abc", "2,5", "2.5.1", "1/2",
		"2.x", "1000000000000"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "'%s' is not a number of days", bad[i]);
		bad_value(PF_SUSPENSION_DAYS, bad[i], HE_INVALID, want);
	}
}

/* Invalid UTF-8 in any field is refused naming that field. */
static void test_bad_utf8_every_field(void **state)
{
	(void)state;
	const char *bad[] = {
		"M\xfcller",            /* Latin-1 ü */
		"ab\xc3(",              /* truncated sequence */
		"\xc0\xaf",             /* overlong '/' */
		"\xed\xa0\x80",         /* a UTF-16 surrogate */
		"\xf4\x90\x80\x80",     /* past U+10FFFF */
		"x\xff",
	};
	for (int f = 0; f < PF_COUNT; f++)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
			bad_value((enum pupil_field)f, bad[i], HE_INVALID, "not valid UTF-8");
}

/* The first bad field in table order is the one named; line is the
 * record's. */
static void test_first_error_and_line(void **state)
{
	(void)state;
	struct pupil_rec r;
	base(&r);
	r.line = 123456;
	r.v[PF_GENDER] = "Q";
	r.v[PF_POSTCODE] = "XYZ";
	refused(&r, HE_INVALID, "Gender", NULL);
	r.v[PF_GENDER] = "M";
	refused(&r, HE_INVALID, "Postcode", NULL);
	/* NULL errinfo is allowed */
	struct pupil_data d;
	assert_int_equal(pupil_validate(&r, today(), &d, NULL), HE_INVALID);
}

/* ---- pupil_marks ---------------------------------------------------------- */

static void marks(const char *m, int p, int a, int au, int un)
{
	int32_t gp, ga, gau, gun;
	struct errinfo e = {0};
	int rc = pupil_marks(m, &gp, &ga, &gau, &gun, &e);
	if (rc != HE_OK)
		fail_msg("marks \"%s\": %s", m, e.message);
	if (gp != p || ga != a || gau != au || gun != un)
		fail_msg("marks \"%s\" → %d/%d/%d/%d; want %d/%d/%d/%d", m, gp, ga, gau, gun,
			 p, a, au, un);
}

static void test_marks(void **state)
{
	(void)state;
	marks("", 0, 0, 0, 0);
	/* present and approved educational activity: attended */
	marks("/\\LBJPVWK", 9, 9, 0, 0);
	/* authorised absence */
	marks("CEHIMRST", 8, 0, 8, 0);
	/* unauthorised */
	marks("GNOU", 4, 0, 0, 4);
	/* not counted */
	marks("DXYZ#- ", 0, 0, 0, 0);
	marks("/\\/\\NN/\\/\\LLIIOO/\\", 18, 12, 2, 4);
	marks("/X/Y/Z", 3, 3, 0, 0);
	/* each code on its own */
	for (const char *p = "/\\LBJPVWK"; *p; p++) {
		char m[2] = {*p, 0};
		marks(m, 1, 1, 0, 0);
	}
	for (const char *p = "CEHIMRST"; *p; p++) {
		char m[2] = {*p, 0};
		marks(m, 1, 0, 1, 0);
	}
	for (const char *p = "GNOU"; *p; p++) {
		char m[2] = {*p, 0};
		marks(m, 1, 0, 0, 1);
	}
}

static void marks_bad(const char *m, const char *want)
{
	int32_t p, a, au, un;
	struct errinfo e;
	memset(&e, 0, sizeof e);
	int rc = pupil_marks(m, &p, &a, &au, &un, &e);
	if (rc != HE_INVALID || strcmp(e.field, "Attendance marks") != 0 || !strstr(e.message, want))
		fail_msg("marks \"%s\": %d field \"%s\" \"%s\"; want \"%s\"", m, rc, e.field,
			 e.message, want);
}

static void test_marks_bad(void **state)
{
	(void)state;
	marks_bad("A", "'A' (session 1) is not a DfE attendance code");
	marks_bad("//A", "'A' (session 3)");
	marks_bad("/\\/\\/\\/\\Q", "'Q' (session 9)");
	marks_bad("//l", "'l' (session 3)");      /* codes are upper case */
	marks_bad("/\x01", "'?' (session 2)");    /* unprintable shown as ? */
	marks_bad("NN!N", "'!' (session 3)");
	marks_bad("FA", "'F' (session 1)");       /* first unknown wins */
}

/* ---- pupil_family_key ------------------------------------------------------ */

static void test_family_key(void **state)
{
	(void)state;
	char a[PUPIL_FAMILY_KEY], b[PUPIL_FAMILY_KEY], c[PUPIL_FAMILY_KEY];
	pupil_family_key("14 Acacia Avenue", "LE2 1AB", NULL, a);
	assert_int_equal(strlen(a), PUPIL_FAMILY_KEY - 1);
	assert_int_equal(strspn(a, "0123456789abcdef"), PUPIL_FAMILY_KEY - 1);
	assert_true(PUPIL_FAMILY_KEY - 1 >= 16);   /* 64 bits at least */
	/* same address, different case and spacing and punctuation */
	pupil_family_key("14  ACACIA avenue ", "le21ab", NULL, b);
	assert_string_equal(a, b);
	pupil_family_key("14, Acacia Avenue.", " LE2  1AB", "someone else", b);
	assert_string_equal(a, b);  /* with an address, the contact does not count */
	/* different postcode, or different address */
	pupil_family_key("14 Acacia Avenue", "LE2 1AD", NULL, b);
	assert_string_not_equal(a, b);
	pupil_family_key("16 Acacia Avenue", "LE2 1AB", NULL, b);
	assert_string_not_equal(a, b);
	/* not the address in plain text */
	assert_null(strstr(a, "acacia"));
	/* contact fallback: no address, or an address without a postcode */
	pupil_family_key(NULL, NULL, "Grace Okafor, 07700 900123", b);
	assert_int_equal(strlen(b), PUPIL_FAMILY_KEY - 1);
	pupil_family_key("", "LE2 1AB", "grace okafor 07700900123", c);
	assert_string_equal(b, c);
	pupil_family_key("14 Acacia Avenue", NULL, "Grace Okafor, 07700 900123", c);
	assert_string_equal(b, c);
	pupil_family_key(NULL, NULL, "Grace Okafor, 07700 900999", c);
	assert_string_not_equal(b, c);
	/* a contact never collides with an address of the same letters */
	pupil_family_key(NULL, NULL, "14 Acacia Avenue", c);
	pupil_family_key("14 Acacia Avenue", "x", NULL, b);
	assert_string_not_equal(b, c);
	/* empty */
	memset(c, 'z', sizeof c);
	pupil_family_key(NULL, NULL, NULL, c);
	assert_string_equal(c, "");
	memset(c, 'z', sizeof c);
	pupil_family_key("", "", "", c);
	assert_string_equal(c, "");
	memset(c, 'z', sizeof c);
	pupil_family_key("14 Acacia Avenue", NULL, NULL, c);
	assert_string_equal(c, "");
}

/* pupil_validate links siblings through the key: same household in
 * different spellings, one key. */
static void test_family_key_via_validate(void **state)
{
	(void)state;
	struct pupil_rec r;
	struct pupil_data d1, d2, d3;
	base(&r);
	r.v[PF_ADDRESS] = "14 Acacia Avenue";
	r.v[PF_POSTCODE] = "LE2 1AB";
	ok(&r, &d1);
	base(&r);
	r.v[PF_UPN] = "R856202600002";
	r.v[PF_ADDRESS] = "  14 acacia AVENUE ";
	r.v[PF_POSTCODE] = "le21ab";
	ok(&r, &d2);
	assert_string_equal(d1.family_key, d2.family_key);
	base(&r);
	r.v[PF_ADDRESS] = "14 Acacia Avenue";
	r.v[PF_POSTCODE] = "LE3 0BQ";
	ok(&r, &d3);
	assert_string_not_equal(d1.family_key, d3.family_key);
	base(&r);
	r.v[PF_CONTACT] = "Grace Okafor, 07700 900123";
	ok(&r, &d3);
	assert_int_equal(strlen(d3.family_key), PUPIL_FAMILY_KEY - 1);
	assert_string_not_equal(d1.family_key, d3.family_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_header_every_alias),
		cmocka_unit_test(test_header_examples),
		cmocka_unit_test(test_valid_minimal),
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_valid_temporary_upn),
		cmocka_unit_test(test_valid_gender),
		cmocka_unit_test(test_valid_year_group),
		cmocka_unit_test(test_valid_flags),
		cmocka_unit_test(test_valid_sen),
		cmocka_unit_test(test_valid_counts),
		cmocka_unit_test(test_valid_suspension_days),
		cmocka_unit_test(test_valid_attendance),
		cmocka_unit_test(test_valid_ages),
		cmocka_unit_test(test_valid_postcode_urn),
		cmocka_unit_test(test_bad_upn),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_bad_gender),
		cmocka_unit_test(test_bad_year_group),
		cmocka_unit_test(test_bad_urn_postcode),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_bad_sen),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_bad_attendance),
		cmocka_unit_test(test_attendance_underivable),
		cmocka_unit_test(test_bad_suspension_days),
		cmocka_unit_test(test_bad_utf8_every_field),
		cmocka_unit_test(test_first_error_and_line),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_marks_bad),
		cmocka_unit_test(test_family_key),
		cmocka_unit_test(test_family_key_via_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
