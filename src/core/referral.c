/* referral.c — making a referral and deciding who may see it (see
 * referral.h).
 *
 * A referral is checked whole before anything is written, so a bad field
 * is named to the user with nothing half-saved; then, in one transaction:
 * the family (found from the pupils, or the case's for a step-down), the
 * referral with its pupils, a notice to every other school a sibling
 * attends, the adults as family members, the consent or lawful basis,
 * the chronology's "referred" event and the audit row.  A form submitted
 * twice carries the same one-time idem_key, and the second submission
 * returns the first referral instead of making another. */
#include "core/referral.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/chron.h"
#include "core/family.h"
#include "core/idem.h"
#include "core/scope.h"
#include "store/db.h"

#define REFERRAL_PUPILS_MAX 12
#define REFERRAL_ADULTS_MAX 8
#define REFERRAL_TEXT_MAX 5000
#define IDEM_KEY_MAX 64

const struct referral_need referral_needs[] = {
	{"attendance", "Attendance"},
	{"behaviour", "Behaviour"},
	{"emotional_health", "Emotional health and wellbeing"},
	{"parenting", "Parenting"},
	{"domestic_abuse", "Domestic abuse"},
	{"substance_misuse", "Drug or alcohol misuse"},
	{"adult_mental_health", "Adult mental health"},
	{"housing", "Housing"},
	{"finances", "Finances and benefits"},
	{"unemployment", "Unemployment"},
	{"caring", "Caring responsibilities"},
	{"crime_exploitation", "Crime or exploitation"},
	{"send", "Special educational needs or disability"},
	{"health", "Physical health"},
	{"other", "Other"},
	{NULL, NULL},
};

static const char *const sources[] = {"school", "agency", "step_down", "self", NULL};

static const char *const level_titles[] = {
	"", "Universal: needs met by the school and universal services",
	"Early help – emerging needs", "Early help – complex or multiple needs",
	"Statutory or acute: children's social care",
};

static const struct { const char *code, *title; } status_titles[] = {
	{"received", "Received"}, {"accepted", "Accepted"}, {"signposted", "Signposted"},
	{"declined", "Declined"}, {"stepped_up", "Stepped up to social care"},
	{"withdrawn", "Withdrawn"},
};

const char *referral_need_title(const char *code)
{
	for (int i = 0; code && referral_needs[i].code; i++)
		if (strcmp(code, referral_needs[i].code) == 0)
			return referral_needs[i].title;
	return NULL;
}

const char *referral_level_title(int level)
{
	return level >= 1 && level <= 4 ? level_titles[level] : "";
}

const char *referral_status_title(const char *status)
{
	for (size_t i = 0; status && i < sizeof status_titles / sizeof status_titles[0]; i++)
		if (strcmp(status, status_titles[i].code) == 0)
			return status_titles[i].title;
	return status ? status : "";
}

void referral_ref(int64_t id, char out[16])
{
	snprintf(out, 16, "R-%06" PRId64, id);
}

int referral_id_by_ref(struct db *db, const char *ref, int64_t *id)
{
	*id = 0;
	if (!ref || strlen(ref) > 15)
		return HE_NOT_FOUND;
	char up[16];
	snprintf(up, sizeof up, "%s", ref);
	if (up[0] == 'r')
		up[0] = 'R';
	struct db_stmt *st = db_prepare(db, "SELECT id FROM referrals WHERE ref = :ref");
	db_bind_text(st, ":ref", up);
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	return rc ? rc : *id ? HE_OK : HE_NOT_FOUND;
}

int referral_visible(struct db *db, const struct scope *s, int64_t referral_id, bool *yes)
{
	*yes = false;
	bool all = caps_has(s->caps, CAP_REFERRALS_ALL);
	int64_t school = caps_has(s->caps, CAP_REFER) ? s->school_id : 0;
	if (!all && school <= 0)
		return HE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM referrals r WHERE r.id = :id"
		" AND (:all = 1 OR r.school_id = :school OR EXISTS (SELECT 1 FROM referral_pupils rp"
		" WHERE rp.referral_id = r.id AND rp.school_id = :school))");
	db_bind_int(st, ":id", referral_id);
	db_bind_int(st, ":all", all ? 1 : 0);
	db_bind_int(st, ":school", school);
	if (db_next(st))
		*yes = db_int(st, 0) > 0;
	return db_finalize(st);
}

/* ---- checking the input ----------------------------------------------------- */

/* A pupil named in the referral. */
struct ref_pupil {
	int64_t id, school_id;
	char upn[14], name[202];
};

/* What the checks found, for writing. */
struct ref_plan {
	struct ref_pupil pupils[REFERRAL_PUPILS_MAX];
	size_t npupils;
	char needs[512];        /* the need codes, canonical order */
	char received_at[21];
	char received_on[11];
	char school_name[201];
	struct family_details details;  /* the family's home, as given */
};

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static bool text_ok(const char *s, size_t max)
{
	return strlen(s) <= max && text_valid(s, strlen(s));
}

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Normalise the need codes into plan->needs (each once, in the order of
 * referral_needs[]). */
static int needs_check(const char *needs, struct ref_plan *plan, struct errinfo *e)
{
	bool want[32] = {false};
	if (!nz(needs))
		return errinfo_set(e, HE_MISSING, "needs", "Select at least one need");
	for (const char *p = needs; *p;) {
		size_t n = strcspn(p, ",");
		char code[32];
		int k = -1;
		if (n < sizeof code) {
			memcpy(code, p, n);
			code[n] = '\0';
			for (int i = 0; referral_needs[i].code; i++)
				if (strcmp(code, referral_needs[i].code) == 0)
					k = i;
		}
		if (k < 0)
			return errinfo_set(e, HE_INVALID, "needs",
				"Select needs from the list (\"%.*s\" is not one)", (int)(n > 40 ? 40 : n), p);
		want[k] = true;
		p += n + (p[n] == ',');
	}
	plan->needs[0] = '\0';
	for (int i = 0; referral_needs[i].code; i++)
		if (want[i])
			snprintf(plan->needs + strlen(plan->needs), sizeof plan->needs - strlen(plan->needs),
				 "%s%s", *plan->needs ? "," : "", referral_needs[i].code);
	return HE_OK;
}

static int source_check(const struct scope *s, const struct referral_in *in, struct errinfo *e)
{
	if (!in_list(sources, in->source))
		return errinfo_set(e, HE_INVALID, "source",
			"Source must be school, agency, step_down or self");
	bool school = strcmp(in->source, "school") == 0;
	if (school != (in->school_id > 0))
		return errinfo_set(e, HE_INVALID, "school",
			school ? "Name the referring school" : "Only a school referral names a school");
	if (!caps_has(s->caps, CAP_REFERRALS_ALL) &&
	    (!school || s->school_id <= 0 || in->school_id != s->school_id))
		return errinfo_set(e, HE_INVALID, "school",
			"You can refer on behalf of your own school only");
	if (strcmp(in->source, "step_down") == 0 && (!in->family_id || !in->stepped_down_from))
		return errinfo_set(e, HE_INVALID, "source",
			"A step-down names the family and the case it comes from");
	return HE_OK;
}

/* Look up one UPN into p; errinfo names "upns". */
static int pupil_lookup(struct db *db, const char *upn, struct ref_pupil *p, struct errinfo *e)
{
	if (!upn_norm(upn, p->upn))
		return errinfo_set(e, HE_INVALID, "upns",
			"\"%.20s\" is not a UPN: 13 characters, a letter then 12 digits", upn);
	struct db_stmt *st = db_prepare(db, "SELECT id, school_id, forename || ' ' || surname"
		" FROM pupils WHERE upn = :upn");
	db_bind_text(st, ":upn", p->upn);
	bool found = db_next(st);
	if (found) {
		p->id = db_int(st, 0);
		p->school_id = db_int(st, 1);
		snprintf(p->name, sizeof p->name, "%s", db_text(st, 2));
	}
	int rc = db_finalize(st);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!found)
		return errinfo_set(e, HE_INVALID, "upns",
			"No pupil with UPN %s is known to the partnership", p->upn);
	return HE_OK;
}

static int pupils_check(struct db *db, const struct scope *s, const struct referral_in *in,
			struct ref_plan *plan, struct errinfo *e)
{
	bool own = false;
	if (in->nupns == 0 && strcmp(in->source, "step_down") != 0)
		return errinfo_set(e, HE_MISSING, "upns", "Select or enter at least one pupil");
	if (in->nupns > REFERRAL_PUPILS_MAX)
		return errinfo_set(e, HE_INVALID, "upns",
			"A referral can name at most %d pupils", REFERRAL_PUPILS_MAX);
	for (size_t i = 0; i < in->nupns; i++) {
		struct ref_pupil p = {0};
		int rc = pupil_lookup(db, in->upns[i], &p, e);
		if (rc)
			return rc;
		bool dup = false;
		for (size_t j = 0; j < plan->npupils; j++)
			dup |= plan->pupils[j].id == p.id;
		if (!dup)
			plan->pupils[plan->npupils++] = p;
		own |= p.school_id == in->school_id;
	}
	if (!caps_has(s->caps, CAP_REFERRALS_ALL) && !own)
		return errinfo_set(e, HE_INVALID, "upns",
			"At least one pupil must be on your school's roll");
	return HE_OK;
}

static int adults_check(const struct referral_in *in, struct errinfo *e)
{
	if (in->nadults > REFERRAL_ADULTS_MAX)
		return errinfo_set(e, HE_INVALID, "adults",
			"Enter at most %d adults", REFERRAL_ADULTS_MAX);
	for (size_t i = 0; i < in->nadults; i++) {
		const struct referral_adult *a = &in->adults[i];
		char f[100];
		if (!nz(a->name) && !nz(a->relationship) && !nz(a->phone))
			continue;  /* an empty row of the form */
		struct family_member_in m = {a->name, a->relationship, NULL, a->phone, false, 0, NULL};
		if (m.relationship && strcmp(m.relationship, "child") == 0)
			m.relationship = "";  /* children are the pupils */
		struct errinfo sub = {0};
		int rc = family_member_check(&m, &sub);
		if (rc) {
			snprintf(f, sizeof f, "adults.%zu.%s", i, sub.field);
			return errinfo_set(e, rc, f, "Adult %zu: %s", i + 1, sub.message);
		}
	}
	return HE_OK;
}

/* received_at: NULL (now), or, for the system scope only, a past UTC
 * timestamp "YYYY-MM-DDTHH:MM:SSZ". */
static int received_check(const struct scope *s, const char *at, struct ref_plan *plan,
			  struct errinfo *e)
{
	hday d;
	char day[11];
	if (!nz(at)) {
		timestamp_format(time(NULL), plan->received_at);
	} else {
		if (!scope_is_system(s))
			return errinfo_set(e, HE_INVALID, "received_at",
				"Only the system may set when a referral was received");
		snprintf(day, sizeof day, "%.10s", at);
		if (strlen(at) != 20 || at[10] != 'T' || at[19] != 'Z' || !date_parse(day, &d) ||
		    d > date_today())
			return errinfo_set(e, HE_INVALID, "received_at",
				"Received must be a past UTC time like 2026-09-14T10:30:00Z");
		snprintf(plan->received_at, sizeof plan->received_at, "%s", at);
	}
	snprintf(plan->received_on, sizeof plan->received_on, "%.10s", plan->received_at);
	return HE_OK;
}

static int texts_check(const struct referral_in *in, struct errinfo *e)
{
	if (in->level_of_need < 1 || in->level_of_need > 4)
		return errinfo_set(e, HE_INVALID, "level_of_need",
			"Select the level of need, from 1 (universal) to 4 (statutory)");
	if (!nz(in->reason))
		return errinfo_set(e, HE_MISSING, "reason",
			"Describe the school's concern and why the family needs support");
	if (!text_ok(in->reason, REFERRAL_TEXT_MAX))
		return errinfo_set(e, HE_INVALID, "reason",
			"The concern must be %d characters or fewer", REFERRAL_TEXT_MAX);
	if (nz(in->tried) && !text_ok(in->tried, REFERRAL_TEXT_MAX))
		return errinfo_set(e, HE_INVALID, "tried",
			"What the school has tried must be %d characters or fewer", REFERRAL_TEXT_MAX);
	if (nz(in->idem_key) && !text_ok(in->idem_key, IDEM_KEY_MAX))
		return errinfo_set(e, HE_INVALID, "idem", "The form's key is not valid: reload the form");
	return HE_OK;
}

/* The family's home as given: blank fields are not given. */
static int home_check(const struct referral_in *in, struct ref_plan *plan, struct errinfo *e)
{
	struct family_details_in d = {nz(in->address), nz(in->postcode), nz(in->home_language)};
	if (d.home_language && text_blank(d.home_language))
		d.home_language = NULL;
	if (d.address && text_blank(d.address))
		d.address = NULL;
	if (d.postcode && text_blank(d.postcode))
		d.postcode = NULL;
	return family_details_check(&d, &plan->details, e);
}

/* Every check, in the order of the form, so the first bad field named is
 * the first a user would reach. */
static int referral_check(struct db *db, const struct scope *s, const struct referral_in *in,
			  struct ref_plan *plan, struct errinfo *e)
{
	int rc;
	if ((rc = source_check(s, in, e)) || (rc = pupils_check(db, s, in, plan, e)) ||
	    (rc = adults_check(in, e)) || (rc = home_check(in, plan, e)) ||
	    (rc = needs_check(in->needs, plan, e)) ||
	    (rc = texts_check(in, e)) || (rc = consent_check(&in->consent, e)) ||
	    (rc = received_check(s, in->received_at, plan, e)))
		return rc;
	if (!in->school_id)
		return HE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT name FROM schools WHERE id = :id");
	db_bind_int(st, ":id", in->school_id);
	bool found = db_next(st);
	if (found)
		snprintf(plan->school_name, sizeof plan->school_name, "%s", db_text(st, 0));
	if ((rc = db_finalize(st)))
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return found ? HE_OK : errinfo_set(e, HE_INVALID, "school", "No such school");
}

/* The referral an idem_key already made, if any (*id 0 if none): idem_lookup,
 * a referral having no owner but its user, and the form's own words for a
 * key used by someone else. */
static int referral_idem(struct db *db, const struct scope *s, const char *key, int64_t *id,
			 struct errinfo *e)
{
	int rc = idem_lookup(db, s, "SELECT id, 0, coalesce(user_id, 0) FROM referrals"
			     " WHERE idem_key = :k", key, 0, id, e);
	if (rc == HE_CONFLICT)
		errinfo_set(e, rc, "idem", "This form was already used: reload it");
	return rc;
}

/* ---- writing ------------------------------------------------------------------ */

static void bind_opt_int(struct db_stmt *st, const char *name, int64_t v)
{
	if (v)
		db_bind_int(st, name, v);
	else
		db_bind_null(st, name);
}

static int referral_insert(struct db *db, const struct scope *s, const struct referral_in *in,
			   const struct ref_plan *plan, int64_t family_id, int64_t *id)
{
	char tmp[40], ref[16];
	unsigned char raw[8];
	randombytes_buf(raw, sizeof raw);
	snprintf(tmp, sizeof tmp, "R-new-");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(tmp + 6 + 2 * i, 3, "%02x", raw[i]);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO referrals (ref, family_id, source, school_id, stepped_down_from,"
		" level_of_need, needs, reason, tried, received_at, user_id, idem_key) VALUES (:ref,"
		" :family, :source, :school, :from, :level, :needs, :reason, :tried, :at, :user,"
		" :idem) RETURNING id");
	db_bind_text(st, ":ref", tmp);
	db_bind_int(st, ":family", family_id);
	db_bind_text(st, ":source", in->source);
	bind_opt_int(st, ":school", in->school_id);
	bind_opt_int(st, ":from", in->stepped_down_from);
	db_bind_int(st, ":level", in->level_of_need);
	db_bind_text(st, ":needs", plan->needs);
	db_bind_text(st, ":reason", in->reason);
	db_bind_text(st, ":tried", in->tried ? in->tried : "");
	db_bind_text(st, ":at", plan->received_at);
	bind_opt_int(st, ":user", s->user_id);
	db_bind_text(st, ":idem", nz(in->idem_key));
	*id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc)
		return rc;
	referral_ref(*id, ref);
	st = db_prepare(db, "UPDATE referrals SET ref = :ref WHERE id = :id");
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":id", *id);
	return db_done(st);
}

/* Tell the school of a pupil at another school than the referrer's. */
static int notice_add(struct db *db, int64_t id, const struct ref_plan *plan,
		      const struct ref_pupil *p)
{
	char ref[16], now[21];
	referral_ref(id, ref);
	timestamp_format(time(NULL), now);
	struct buf msg;
	buf_init(&msg, 1024);
	buf_printf(&msg, "%s, a pupil at your school, is included in a family support referral "
		   "(%s) made by %s on %s.", p->name, ref,
		   *plan->school_name ? plan->school_name : "the family support service",
		   plan->received_on);
	struct db_stmt *st = db_prepare(db, "INSERT INTO school_notices (school_id, referral_id,"
		" message, created_at) VALUES (:school, :r, :msg, :now)");
	db_bind_int(st, ":school", p->school_id);
	db_bind_int(st, ":r", id);
	db_bind_text(st, ":msg", buf_str(&msg));
	db_bind_text(st, ":now", now);
	buf_free(&msg);
	return db_done(st);
}

/* referral_pupils rows, and one notice per other school (once each). */
static int pupils_write(struct db *db, const struct referral_in *in, const struct ref_plan *plan,
			int64_t id)
{
	int rc = HE_OK;
	for (size_t i = 0; i < plan->npupils && !rc; i++) {
		const struct ref_pupil *p = &plan->pupils[i];
		struct db_stmt *st = db_prepare(db, "INSERT INTO referral_pupils (referral_id,"
			" pupil_id, school_id) VALUES (:r, :p, :s)");
		db_bind_int(st, ":r", id);
		db_bind_int(st, ":p", p->id);
		db_bind_int(st, ":s", p->school_id);
		rc = db_done(st);
		if (rc || p->school_id == in->school_id)
			continue;
		if (!rc)
			rc = notice_add(db, id, plan, p);
	}
	return rc;
}

/* The pupils of a step-down's family, when the caller named none. */
static int family_pupils(struct db *db, int64_t family_id, struct ref_plan *plan)
{
	struct db_stmt *st = db_prepare(db, "SELECT p.id, p.school_id, p.upn,"
		" p.forename || ' ' || p.surname FROM family_members m JOIN pupils p"
		" ON p.id = m.pupil_id WHERE m.family_id = :f ORDER BY p.dob, p.id");
	db_bind_int(st, ":f", family_id);
	while (db_next(st) && plan->npupils < REFERRAL_PUPILS_MAX) {
		struct ref_pupil *p = &plan->pupils[plan->npupils++];
		p->id = db_int(st, 0);
		p->school_id = db_int(st, 1);
		snprintf(p->upn, sizeof p->upn, "%s", db_text(st, 2));
		snprintf(p->name, sizeof p->name, "%s", db_text(st, 3));
	}
	return db_finalize(st);
}

static int family_of(struct db *db, const struct scope *s, const struct referral_in *in,
		     struct ref_plan *plan, int64_t *family_id, bool *made, struct errinfo *e)
{
	*made = false;
	if (in->family_id) {
		*family_id = in->family_id;
		return plan->npupils ? HE_OK : family_pupils(db, in->family_id, plan);
	}
	int64_t ids[REFERRAL_PUPILS_MAX];
	for (size_t i = 0; i < plan->npupils; i++)
		ids[i] = plan->pupils[i].id;
	return family_for_referral_tx(db, s, ids, plan->npupils, family_id, made, e);
}

static int adults_write(struct db *db, const struct scope *s, const struct referral_in *in,
			int64_t family_id, struct errinfo *e)
{
	for (size_t i = 0; i < in->nadults; i++) {
		const struct referral_adult *a = &in->adults[i];
		if (!nz(a->name) && !nz(a->relationship) && !nz(a->phone))
			continue;
		struct family_member_in m = {a->name, a->relationship, NULL, a->phone, false, 0, NULL};
		int64_t mid;
		int rc = family_add_member_tx(db, s, family_id, &m, &mid, e);
		if (rc)
			return rc;
	}
	return HE_OK;
}

/* The chronology event and the audit row of a new referral. */
static int referral_record(struct db *db, const struct scope *s, const struct referral_in *in,
			   const struct ref_plan *plan, int64_t id, int64_t family_id)
{
	char ref[16], fref[16], idtext[24];
	referral_ref(id, ref);
	family_ref(family_id, fref);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	struct buf sum, needs;
	buf_init(&sum, 2048);
	buf_init(&needs, 1024);
	for (const char *p = plan->needs; *p;) {
		size_t n = strcspn(p, ",");
		char code[32];
		snprintf(code, sizeof code, "%.*s", (int)n, p);
		buf_printf(&needs, "%s%s", needs.len ? ", " : "", referral_need_title(code));
		p += n + (p[n] == ',');
	}
	buf_printf(&sum, "Referral %s received from %s: level %d (%s); needs: %s", ref,
		   *plan->school_name ? plan->school_name : in->source, in->level_of_need,
		   referral_level_title(in->level_of_need), buf_str(&needs));
	int rc = chron_add(db, s, family_id, id, 0, plan->received_on, "referred", buf_str(&sum),
			   in->reason);
	buf_reset(&sum);
	buf_printf(&sum, "Referral %s for family %s (%zu pupil%s) from %s", ref, fref,
		   plan->npupils, plan->npupils == 1 ? "" : "s",
		   *plan->school_name ? plan->school_name : in->source);
	if (!rc)
		rc = audit(db, s->who, "create", "referrals", idtext, buf_str(&sum));
	buf_free(&sum);
	buf_free(&needs);
	return rc;
}

/* Write a checked referral; errinfo is set by the caller for db errors. */
static int referral_write(struct db *db, const struct scope *s, const struct referral_in *in,
			  struct ref_plan *plan, int64_t *id, struct errinfo *e)
{
	int64_t family_id = 0, cid = 0;
	bool made = false;
	int rc = family_of(db, s, in, plan, &family_id, &made, e);
	if (!rc)
		rc = referral_insert(db, s, in, plan, family_id, id);
	if (!rc)
		rc = pupils_write(db, in, plan, *id);
	if (!rc)
		rc = adults_write(db, s, in, family_id, e);
	if (!rc)
		rc = consent_record_tx(db, s, family_id, *id, &in->consent, &cid, e);
	if (!rc)
		rc = referral_record(db, s, in, plan, *id, family_id);
	if (!rc)
		rc = family_details_from_referral_tx(db, s, family_id, *id, made, &plan->details, e);
	return rc;
}

int referral_create_tx(struct db *db, const struct scope *s, const struct referral_in *in,
		       int64_t *id, struct errinfo *e)
{
	struct ref_plan *plan = NULL;
	int rc;
	*id = 0;
	if (e)
		memset(e, 0, sizeof *e);
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "referral_create_tx needs a transaction");
	if ((rc = referral_idem(db, s, in->idem_key, id, e)) || *id)
		return rc;
	plan = xcalloc(1, sizeof *plan);
	if ((rc = referral_check(db, s, in, plan, e)))
		goto done;
	rc = referral_write(db, s, in, plan, id, e);
	if (rc && !(e && e->code == rc))
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
done:
	free(plan);
	if (rc)
		*id = 0;
	return rc;
}

int referral_create(struct db *db, const struct scope *s, const struct referral_in *in,
		    int64_t *id, struct errinfo *e)
{
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	rc = referral_create_tx(db, s, in, id, e);
	if (!rc)
		rc = db_commit(db);
	if (!rc)
		return HE_OK;
	db_rollback(db);
	if (rc == HE_DB_CONSTRAINT && nz(in->idem_key)) {
		/* the same form submitted twice at once: the other one won */
		struct errinfo e2 = {0};
		if (db_begin(db) == HE_OK) {
			int rc2 = referral_idem(db, s, in->idem_key, id, &e2);
			db_rollback(db);
			if (rc2 == HE_OK && *id)
				return HE_OK;
		}
	}
	if (!(e && e->code == rc))
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return rc;
}
