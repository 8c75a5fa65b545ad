/* pupil.c — the fields Hearth reads about a pupil, and checking them.
 *
 * One table (pupil_fields) lists every field with its CSV headers and the
 * help the README shows; pupil_validate() checks a record field by field
 * and stops at the first problem, naming the field, so an import can tell a
 * school exactly which cell to fix.  Nothing here touches the database. */
#include "core/pupil.h"

#include <ctype.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/valid.h"
#include "core/school.h"

const struct pupil_field_info pupil_fields[PF_COUNT] = {
	[PF_UPN] = {"UPN", {"Unique Pupil Number", "Pupil UPN"},
		"the 13-character Unique Pupil Number (permanent or temporary); its check letter is verified", true},
	[PF_FORENAME] = {"Forename", {"Legal forename", "First name", "Firstname", "Given name"},
		"the pupil's forename", true},
	[PF_SURNAME] = {"Surname", {"Legal surname", "Last name", "Lastname", "Family name"},
		"the pupil's surname", true},
	[PF_DOB] = {"Date of birth", {"DOB", "Birth date", "Birthdate"},
		"YYYY-MM-DD or DD/MM/YYYY", true},
	[PF_GENDER] = {"Gender", {"Sex"}, "M, F or U (also Male, Female, Unknown)", true},
	[PF_YEAR] = {"Year group", {"NC year", "NC year actual", "Year", "National curriculum year"},
		"N1, N2, R (Reception) or 1 to 14 (also \"Year 7\", \"Y7\"); worked out from the date of birth when absent", false},
	[PF_URN] = {"School URN", {"URN", "School URN number"},
		"the school's 6-digit URN; when absent, the school given to the import", false},
	[PF_POSTCODE] = {"Postcode", {"Post code", "Home postcode"}, "the pupil's home postcode", false},
	[PF_ADDRESS] = {"Address", {"Address line 1", "Home address", "Street"},
		"first line of the home address; with the postcode it links siblings", false},
	[PF_CONTACT] = {"Contact", {"Primary contact", "Contact name", "Parent carer"},
		"main contact's name and phone; links siblings when there is no address", false},
	[PF_FSM] = {"FSM", {"FSM eligible", "Free school meals", "Disadvantaged", "Pupil premium"},
		"eligible for free school meals: Y or N", false},
	[PF_SEN] = {"SEN provision", {"SEN", "SEN status", "SEND"},
		"N (none), K (SEN support) or E (education, health and care plan)", false},
	[PF_EHCP] = {"EHC plan", {"EHCP", "Education health and care plan"}, "Y or N", false},
	[PF_EAL] = {"EAL", {"English as an additional language", "First language not English"},
		"Y or N", false},
	[PF_EAL_NEW] = {"New to English", {"EAL new", "EAL proficiency A", "Proficiency A"},
		"Y or N (proficiency in English: A, new to English)", false},
	[PF_LOOKED_AFTER] = {"Looked after", {"CLA", "LAC", "In care", "Child looked after"},
		"Y or N", false},
	[PF_CIN] = {"Child in need", {"CIN"}, "Y or N", false},
	[PF_CP] = {"Child protection", {"CP", "CP plan", "Child protection plan"}, "Y or N", false},
	[PF_YOUNG_CARER] = {"Young carer", {"Carer"}, "Y or N", false},
	[PF_YOUTH_JUSTICE] = {"Youth justice", {"YOT", "Youth offending", "Youth justice involvement"},
		"Y or N", false},
	[PF_YOUNG_PARENT] = {"Young parent", {"Pregnant or young parent", "Teenage parent", "Pregnancy"},
		"pregnant or a young parent: Y or N", false},
	[PF_MOVES] = {"School moves", {"Pupil moves", "Schools attended", "Number of schools", "Mobility"},
		"number of schools attended outside the usual transition points", false},
	[PF_SESS_POSSIBLE] = {"Sessions possible", {"Possible sessions"},
		"sessions the pupil could have attended this year", false},
	[PF_SESS_ATTENDED] = {"Sessions attended", {"Attended sessions", "Sessions present"},
		"sessions attended (present or approved educational activity)", false},
	[PF_AUTH_ABSENCE] = {"Authorised absence", {"Authorised absences", "Authorised sessions"},
		"sessions of authorised absence", false},
	[PF_UNAUTH_ABSENCE] = {"Unauthorised absence", {"Unauthorised absences", "Unauthorised sessions"},
		"sessions of unauthorised absence", false},
	[PF_MARKS] = {"Attendance marks", {"Attendance codes", "Register marks", "Marks"},
		"instead of the four counts: the DfE register code of every session, one character each"
		" (/ \\ L present; B J P V W K approved educational activity; C E H I M R S T authorised;"
		" G N O U unauthorised; D X Y Z # - not counted)", false},
	[PF_SUSPENSIONS] = {"Suspensions", {"Fixed term exclusions", "Fixed-term exclusions", "Suspension count"},
		"number of suspensions this year", false},
	[PF_SUSPENSION_DAYS] = {"Suspension days", {"Days suspended", "Fixed term exclusion days"},
		"days lost to suspension this year (halves allowed: 2.5)", false},
	[PF_PERM_EXCLUSION] = {"Permanent exclusion", {"Permanently excluded", "PEX"}, "Y or N", false},
	[PF_BELOW_EXPECTED] = {"Below expected", {"Attainment below expected", "Below expected standard",
		"Not meeting expected"}, "attainment below the expected standard: Y or N", false},
	[PF_EXTRACT_DATE] = {"Extract date", {"Date of extract", "Census date", "As at"},
		"the date the data describes; when absent, the date given to the import, or today", false},
};

/* Compare a header with a name: case-insensitive; spaces, '_' and '-'
 * alike; surrounding spaces ignored. */
static bool header_is(const char *h, const char *name)
{
	while (*h == ' ' || *h == '\t')
		h++;
	for (;; h++, name++) {
		char a = *h, b = *name;
		if (a == '_' || a == '-')
			a = ' ';
		if (b == '_' || b == '-')
			b = ' ';
		if (!b) {
			while (*h == ' ' || *h == '\t' || *h == '\r')
				h++;
			return !*h;
		}
		if (tolower((unsigned char)a) != tolower((unsigned char)b))
			return false;
	}
}

int pupil_field_by_header(const char *header)
{
	for (int f = 0; f < PF_COUNT; f++) {
		if (header_is(header, pupil_fields[f].name))
			return f;
		for (int i = 0; i < 6 && pupil_fields[f].aliases[i]; i++)
			if (header_is(header, pupil_fields[f].aliases[i]))
				return f;
	}
	return -1;
}

/* ---- value parsers: each returns 0, or -1 with *why set ----------------- */

static int fail_field(struct errinfo *e, int code, long line, enum pupil_field f,
		      const char *fmt, const char *value)
{
	char msg[200];
	snprintf(msg, sizeof msg, fmt, value ? value : "");
	errinfo_set(e, code, pupil_fields[f].name, "%s: %s", pupil_fields[f].name, msg);
	if (e)
		e->line = (int)(line > INT_MAX ? INT_MAX : line);
	return code;
}

static const char *trimmed(const char *s, char *buf, size_t n)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (len == 0)
		return NULL;
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static int parse_flag(const char *s, int8_t *out)
{
	static const char *const yes[] = {"y", "yes", "1", "true", "t", NULL};
	static const char *const no[] = {"n", "no", "0", "false", "f", NULL};
	for (int i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

static int parse_count(const char *s, int32_t max, int32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	long v = strtol(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = (int32_t)v;
	return 0;
}

/* "2", "2.5", "0.5" → tenths. */
static int parse_days(const char *s, int32_t *out)
{
	int32_t whole = 0, tenth = 0;
	const char *dot = strchr(s, '.');
	char buf[16];
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_count(buf, 400, &whole))
		return -1;
	if (dot) {
		if (!isdigit((unsigned char)dot[1]) || (dot[2] && strspn(dot + 2, "0") != strlen(dot + 2)))
			return -1;
		tenth = dot[1] - '0';
	}
	*out = whole * 10 + tenth;
	return 0;
}

/* "R", "Reception", "N1", "N2", "1".."14", "Year 7", "Y7". */
static int parse_year(const char *s, int *out)
{
	if (strcasecmp(s, "R") == 0 || strcasecmp(s, "Reception") == 0 || strcasecmp(s, "YR") == 0)
		return *out = 0, 0;
	if (strcasecmp(s, "N1") == 0)
		return *out = -2, 0;
	if (strcasecmp(s, "N2") == 0)
		return *out = -1, 0;
	if (strncasecmp(s, "Year ", 5) == 0)
		s += 5;
	else if (toupper((unsigned char)s[0]) == 'Y')
		s++;
	int32_t v;
	if (parse_count(s, 14, &v) || v < 1)
		return -1;
	*out = v;
	return 0;
}

static int parse_gender(const char *s, char *out)
{
	if (!strcasecmp(s, "M") || !strcasecmp(s, "Male") || !strcasecmp(s, "Boy"))
		return *out = 'M', 0;
	if (!strcasecmp(s, "F") || !strcasecmp(s, "Female") || !strcasecmp(s, "Girl"))
		return *out = 'F', 0;
	if (!strcasecmp(s, "U") || !strcasecmp(s, "Unknown") || !strcasecmp(s, "X") ||
	    !strcasecmp(s, "Not known"))
		return *out = 'U', 0;
	return -1;
}

int pupil_marks(const char *marks, int32_t *possible, int32_t *attended,
		int32_t *authorised, int32_t *unauthorised, struct errinfo *e)
{
	*possible = *attended = *authorised = *unauthorised = 0;
	for (const char *p = marks; *p; p++) {
		if (strchr("/\\LBJPVWK", *p)) {
			++*possible;
			++*attended;
		} else if (strchr("CEHIMRST", *p)) {
			++*possible;
			++*authorised;
		} else if (strchr("GNOU", *p)) {
			++*possible;
			++*unauthorised;
		} else if (!strchr("DXYZ#- ", *p)) {
			return errinfo_set(e, HE_INVALID, pupil_fields[PF_MARKS].name,
				"%s: '%c' (session %ld) is not a DfE attendance code",
				pupil_fields[PF_MARKS].name, isprint((unsigned char)*p) ? *p : '?',
				(long)(p - marks) + 1);
		}
	}
	return HE_OK;
}

static void norm_key(const char *s, crypto_hash_sha256_state *h)
{
	for (; s && *s; s++)
		if (isalnum((unsigned char)*s)) {
			unsigned char c = (unsigned char)tolower((unsigned char)*s);
			crypto_hash_sha256_update(h, &c, 1);
		}
	crypto_hash_sha256_update(h, (const unsigned char *)"|", 1);
}

void pupil_family_key(const char *address, const char *postcode, const char *contact,
		      char out[PUPIL_FAMILY_KEY])
{
	out[0] = '\0';
	bool by_address = address && *address && postcode && *postcode;
	if (!by_address && !(contact && *contact))
		return;
	/* A hash, not the address: the key links siblings without being one
	 * more copy of where a family lives. */
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)(by_address ? "a" : "c"), 1);
	norm_key(by_address ? address : contact, &h);
	norm_key(by_address ? postcode : "", &h);
	crypto_hash_sha256_final(&h, d);
	/* 64 bits are plenty to tell a partnership's households apart, and a
	 * short key keeps its index small (a 64-digit one tripled import time). */
	sodium_bin2hex(out, PUPIL_FAMILY_KEY, d, (PUPIL_FAMILY_KEY - 1) / 2);
}

/* ---- pupil_validate ------------------------------------------------------ */

struct vctx {
	const struct pupil_rec *rec;
	struct pupil_data *out;
	struct errinfo *e;
	hday today;
	char buf[256];
};

static const char *val(struct vctx *c, enum pupil_field f)
{
	return trimmed(c->rec->v[f], c->buf, sizeof c->buf);
}

static int bad(struct vctx *c, enum pupil_field f, const char *fmt, const char *v)
{
	return fail_field(c->e, HE_INVALID, c->rec->line, f, fmt, v);
}

static int check_text(struct vctx *c, enum pupil_field f)
{
	const char *v = c->rec->v[f];
	if (v && !text_valid(v, strlen(v)))
		return bad(c, f, "is not valid UTF-8 text, or has control characters (save the"
			   " file as UTF-8)%s", "");
	return HE_OK;
}

static int v_upn(struct vctx *c)
{
	const char *v = val(c, PF_UPN);
	if (!v)
		return fail_field(c->e, HE_MISSING, c->rec->line, PF_UPN, "is missing%s", "");
	if (upn_norm(v, c->out->upn))
		return HE_OK;
	char check = strlen(v) == 13 ? upn_check_letter(v + 1) : 0;
	if (check) {
		char msg[120];
		snprintf(msg, sizeof msg, "'%.13s' has the wrong check letter: it should be %c", v, check);
		return bad(c, PF_UPN, "%s", msg);
	}
	return bad(c, PF_UPN, "'%.20s' is not a UPN (a check letter then 12 characters)", v);
}

static int v_name(struct vctx *c, enum pupil_field f, char *out)
{
	const char *v = val(c, f);
	if (!v)
		return fail_field(c->e, HE_MISSING, c->rec->line, f, "is missing%s", "");
	if (strlen(v) > PUPIL_NAME_MAX)
		return bad(c, f, "is longer than 100 characters%s", "");
	strcpy(out, v);
	return HE_OK;
}

static int v_date(struct vctx *c, enum pupil_field f, hday *out, bool required)
{
	const char *v = val(c, f);
	if (!v)
		return required ? fail_field(c->e, HE_MISSING, c->rec->line, f, "is missing%s", "")
				: HE_OK;
	if (!date_parse(v, out))
		return bad(c, f, "'%.20s' is not a real date (use YYYY-MM-DD or DD/MM/YYYY)", v);
	if (*out > c->today)
		return bad(c, f, "'%.20s' is in the future", v);
	return HE_OK;
}

static int v_identity(struct vctx *c)
{
	struct pupil_data *d = c->out;
	int rc;
	if ((rc = v_upn(c)) || (rc = v_name(c, PF_FORENAME, d->forename)) ||
	    (rc = v_name(c, PF_SURNAME, d->surname)) || (rc = v_date(c, PF_DOB, &d->dob, true)))
		return rc;
	const char *v = val(c, PF_GENDER);
	if (!v)
		return fail_field(c->e, HE_MISSING, c->rec->line, PF_GENDER, "is missing%s", "");
	if (parse_gender(v, &d->gender))
		return bad(c, PF_GENDER, "'%.20s' is not M, F or U", v);
	return HE_OK;
}

static int v_place(struct vctx *c)
{
	struct pupil_data *d = c->out;
	const char *v = val(c, PF_YEAR);
	d->year_group = INT32_MIN;
	if (v && parse_year(v, &d->year_group))
		return bad(c, PF_YEAR, "'%.20s' is not a year group (N1, N2, R, 1 to 14)", v);
	if ((v = val(c, PF_URN))) {
		if (!urn_valid(v))
			return bad(c, PF_URN, "'%.20s' is not a 6-digit URN", v);
		strcpy(d->urn, v);
	}
	if ((v = val(c, PF_POSTCODE)) && !postcode_norm(v, d->postcode))
		return bad(c, PF_POSTCODE, "'%.20s' is not a UK postcode", v);
	char addr[256];
	const char *a = trimmed(c->rec->v[PF_ADDRESS], addr, sizeof addr);
	pupil_family_key(a, d->postcode, c->rec->v[PF_CONTACT], d->family_key);
	return HE_OK;
}

static const enum pupil_field flag_fields[] = {
	PF_FSM, PF_EHCP, PF_EAL, PF_EAL_NEW, PF_LOOKED_AFTER, PF_CIN, PF_CP, PF_YOUNG_CARER,
	PF_YOUTH_JUSTICE, PF_YOUNG_PARENT, PF_PERM_EXCLUSION, PF_BELOW_EXPECTED,
};

static int8_t *flag_slot(struct pupil_data *d, enum pupil_field f)
{
	switch (f) {
	case PF_FSM: return &d->fsm;
	case PF_EHCP: return &d->ehcp;
	case PF_EAL: return &d->eal;
	case PF_EAL_NEW: return &d->eal_new;
	case PF_LOOKED_AFTER: return &d->looked_after;
	case PF_CIN: return &d->cin;
	case PF_CP: return &d->cp;
	case PF_YOUNG_CARER: return &d->young_carer;
	case PF_YOUTH_JUSTICE: return &d->youth_justice;
	case PF_YOUNG_PARENT: return &d->young_parent;
	case PF_PERM_EXCLUSION: return &d->perm_exclusion;
	default: return &d->below_expected;
	}
}

static int v_flags(struct vctx *c)
{
	for (size_t i = 0; i < sizeof flag_fields / sizeof flag_fields[0]; i++) {
		enum pupil_field f = flag_fields[i];
		int8_t *slot = flag_slot(c->out, f);
		const char *v = val(c, f);
		*slot = -1;
		if (v && parse_flag(v, slot))
			return bad(c, f, "'%.20s' is not Y or N", v);
	}
	const char *v = val(c, PF_SEN);
	c->out->sen = 0;
	if (v) {
		if (strlen(v) != 1 || !strchr("NKEnke", v[0]))
			return bad(c, PF_SEN, "'%.20s' is not N, K or E", v);
		c->out->sen = (char)toupper((unsigned char)v[0]);
		if (c->out->sen == 'E' && c->out->ehcp == 0)
			return bad(c, PF_EHCP, "N contradicts SEN provision E (an education, health"
				   " and care plan)%s", "");
		if (c->out->sen == 'E')
			c->out->ehcp = 1;
	}
	return HE_OK;
}

static int v_count(struct vctx *c, enum pupil_field f, int32_t max, int32_t *out)
{
	const char *v = val(c, f);
	*out = -1;
	if (v && parse_count(v, max, out)) {
		char msg[80];
		snprintf(msg, sizeof msg, "'%.20s' is not a whole number from 0 to %d", v, (int)max);
		return bad(c, f, "%s", msg);
	}
	return HE_OK;
}

static int v_attendance(struct vctx *c)
{
	struct pupil_data *d = c->out;
	int rc;
	if ((rc = v_count(c, PF_SESS_POSSIBLE, 1000, &d->sess_possible)) ||
	    (rc = v_count(c, PF_SESS_ATTENDED, 1000, &d->sess_attended)) ||
	    (rc = v_count(c, PF_AUTH_ABSENCE, 1000, &d->auth_absence)) ||
	    (rc = v_count(c, PF_UNAUTH_ABSENCE, 1000, &d->unauth_absence)))
		return rc;
	const char *marks = c->rec->v[PF_MARKS];
	if (marks && *marks && d->sess_possible < 0) {
		if ((rc = pupil_marks(marks, &d->sess_possible, &d->sess_attended,
				      &d->auth_absence, &d->unauth_absence, c->e))) {
			if (c->e)
				c->e->line = (int)c->rec->line;
			return rc;
		}
	}
	if (d->sess_possible >= 0 && d->sess_attended < 0 && d->auth_absence >= 0 &&
	    d->unauth_absence >= 0) {
		/* Attended = possible − absences; absences beyond possible are
		 * reported below as the unauthorised absence column. */
		int32_t derived = d->sess_possible - d->auth_absence - d->unauth_absence;
		d->sess_attended = derived >= 0 ? derived : -1;
	}
	if (d->sess_possible >= 0 && d->sess_attended > d->sess_possible)
		return bad(c, PF_SESS_ATTENDED, "is more than the sessions possible%s", "");
	if (d->sess_possible >= 0 && d->auth_absence >= 0 && d->unauth_absence >= 0 &&
	    d->auth_absence + d->unauth_absence > d->sess_possible)
		return bad(c, PF_UNAUTH_ABSENCE, "absences add up to more than the sessions possible%s", "");
	if (d->sess_possible >= 0 && d->sess_attended >= 0 && d->auth_absence >= 0 &&
	    d->unauth_absence >= 0 &&
	    d->sess_attended + d->auth_absence + d->unauth_absence > d->sess_possible)
		return bad(c, PF_SESS_ATTENDED, "attended and absent sessions add up to more than"
			   " the sessions possible%s", "");
	return HE_OK;
}

static int v_behaviour(struct vctx *c)
{
	struct pupil_data *d = c->out;
	int rc;
	if ((rc = v_count(c, PF_MOVES, 50, &d->moves)) ||
	    (rc = v_count(c, PF_SUSPENSIONS, 200, &d->suspensions)))
		return rc;
	const char *v = val(c, PF_SUSPENSION_DAYS);
	d->suspension_days_x10 = -1;
	if (v && parse_days(v, &d->suspension_days_x10))
		return bad(c, PF_SUSPENSION_DAYS, "'%.20s' is not a number of days (like 3 or 2.5)", v);
	return HE_OK;
}

int pupil_validate(const struct pupil_rec *rec, hday today, struct pupil_data *out,
		   struct errinfo *e)
{
	struct vctx c = {.rec = rec, .out = out, .e = e, .today = today};
	memset(out, 0, sizeof *out);
	int rc;
	for (int f = 0; f < PF_COUNT; f++)
		if ((rc = check_text(&c, (enum pupil_field)f)))
			return rc;
	if ((rc = v_identity(&c)) || (rc = v_place(&c)) || (rc = v_flags(&c)) ||
	    (rc = v_attendance(&c)) || (rc = v_behaviour(&c)) ||
	    (rc = v_date(&c, PF_EXTRACT_DATE, &out->extract_date, false)))
		return rc;
	int age = age_on(out->dob, out->extract_date ? out->extract_date : today);
	if (age < 2 || age > 25) {
		char msg[80];
		snprintf(msg, sizeof msg, "gives an age of %d: check the date", age);
		return bad(&c, PF_DOB, "%s", msg);
	}
	return HE_OK;
}
