/* consent.c — recording, withdrawing and honouring consent or the lawful
 * basis for sharing a family's information (see consent.h).
 *
 * A consent row is never changed except to record its withdrawal, so the
 * history of what a family agreed to, and when they changed their mind,
 * stays on the record.  Every other module asks one question,
 * consent_basis_active(family, scope), and honours the answer. */
#include "core/consent.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/chron.h"
#include "core/idem.h"
#include "core/scope.h"
#include "store/db.h"

#define CONSENT_NAME_MAX 100
#define CONSENT_REL_MAX 50
#define CONSENT_NOTE_MAX 2000
#define CONSENT_REASON_MAX 2000

const char *const consent_bases[] = {
	"consent", "safeguarding", "legal_obligation", "public_task", "vital_interests", NULL,
};
static const char *const basis_titles[] = {
	"Consent given", "Safeguarding (to protect a child from harm)",
	"Legal obligation", "Public task (a statutory duty)",
	"Vital interests (to protect someone's life)",
};

const char *const consent_scopes[] = {
	"pool", "school", "health", "social_care", "agencies", "commissioned", NULL,
};
static const char *const scope_titles[] = {
	"The family support service may hold and work the case",
	"Share the case's status with the referring school",
	"Share with health services",
	"Share with children's social care",
	"Share with partner agencies in a team around the family",
	"Share with commissioned providers",
};

/* All scopes, as stored for a lawful basis (it covers every one). */
#define ALL_SCOPES "pool,school,health,social_care,agencies,commissioned"

static int index_of(const char *const *list, const char *code)
{
	for (int i = 0; code && list[i]; i++)
		if (strcmp(list[i], code) == 0)
			return i;
	return -1;
}

const char *consent_basis_title(const char *basis)
{
	int i = index_of(consent_bases, basis);
	return i < 0 ? "" : basis_titles[i];
}

const char *consent_scope_title(const char *scope)
{
	int i = index_of(consent_scopes, scope);
	return i < 0 ? "" : scope_titles[i];
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static bool short_text(const char *s, size_t max)
{
	return strlen(s) <= max && text_valid(s, strlen(s));
}

/* Check a comma-separated scope list: known codes, "pool" among them. */
static int scope_check(const char *scope, struct errinfo *e)
{
	bool pool = false;
	if (!nz(scope))
		return errinfo_set(e, HE_MISSING, "consent.scope",
			"Select what the consent covers (it must include the family support service)");
	const char *p = scope;
	while (*p) {
		size_t n = strcspn(p, ",");
		char code[24];
		if (n == 0 || n >= sizeof code)
			return errinfo_set(e, HE_INVALID, "consent.scope",
				"What the consent covers must be a list of known choices");
		memcpy(code, p, n);
		code[n] = '\0';
		if (index_of(consent_scopes, code) < 0)
			return errinfo_set(e, HE_INVALID, "consent.scope",
				"\"%s\" is not something consent can cover", code);
		pool |= strcmp(code, "pool") == 0;
		p += n + (p[n] == ',');
	}
	if (!pool)
		return errinfo_set(e, HE_INVALID, "consent.scope",
			"Consent must cover the family support service holding and working the case");
	return HE_OK;
}

/* given_on: a real date, not in the future (may be empty for a lawful
 * basis: recorded as today). */
static int date_check(const char *on, bool required, struct errinfo *e)
{
	hday d;
	if (!nz(on))
		return required ? errinfo_set(e, HE_MISSING, "consent.given_on",
			"Enter the date consent was given") : HE_OK;
	if (!date_parse(on, &d))
		return errinfo_set(e, HE_INVALID, "consent.given_on",
			"Date consent was given must be a real date, like 2026-09-14");
	if (d > date_today())
		return errinfo_set(e, HE_INVALID, "consent.given_on",
			"Date consent was given must be today or in the past");
	return HE_OK;
}

static int consent_check_given(const struct consent_in *in, struct errinfo *e)
{
	if (!nz(in->given_by))
		return errinfo_set(e, HE_MISSING, "consent.given_by",
			"Enter the name of the person who gave consent");
	if (!short_text(in->given_by, CONSENT_NAME_MAX))
		return errinfo_set(e, HE_INVALID, "consent.given_by",
			"Name must be %d characters or fewer", CONSENT_NAME_MAX);
	if (!nz(in->relationship))
		return errinfo_set(e, HE_MISSING, "consent.relationship",
			"Enter their relationship to the child, like mother or carer");
	if (!short_text(in->relationship, CONSENT_REL_MAX))
		return errinfo_set(e, HE_INVALID, "consent.relationship",
			"Relationship must be %d characters or fewer", CONSENT_REL_MAX);
	int rc = date_check(in->given_on, true, e);
	return rc ? rc : scope_check(in->scope, e);
}

int consent_check(const struct consent_in *in, struct errinfo *e)
{
	if (!nz(in->basis))
		return errinfo_set(e, HE_MISSING, "consent.basis",
			"Select whether consent was given, or the lawful basis for sharing without it");
	if (index_of(consent_bases, in->basis) < 0)
		return errinfo_set(e, HE_INVALID, "consent.basis",
			"Select consent given, or a lawful basis: safeguarding, legal obligation, "
			"public task or vital interests");
	if (strcmp(in->basis, "consent") == 0)
		return consent_check_given(in, e);
	if (!nz(in->lawful_basis_note))
		return errinfo_set(e, HE_MISSING, "consent.lawful_basis_note",
			"Explain why consent was not sought");
	if (!short_text(in->lawful_basis_note, CONSENT_NOTE_MAX))
		return errinfo_set(e, HE_INVALID, "consent.lawful_basis_note",
			"Explanation must be %d characters or fewer", CONSENT_NOTE_MAX);
	return date_check(in->given_on, false, e);
}

/* The summary of a consent for the chronology (named), or for the audit
 * log, which is never altered and so names no one (named false). */
static void consent_summary(const struct consent_in *in, bool named, struct buf *b)
{
	if (strcmp(in->basis, "consent") == 0 && named)
		buf_printf(b, "Consent given by %s (%s) on %s for: %s", in->given_by,
			   in->relationship, in->given_on, in->scope);
	else if (strcmp(in->basis, "consent") == 0)
		buf_printf(b, "Consent given by the %s on %s for: %s", in->relationship,
			   in->given_on, in->scope);
	else
		buf_printf(b, "Shared without consent on the lawful basis: %s",
			   consent_basis_title(in->basis));
}

/* basis_scope: the scopes a lawful basis covers (NULL: every one). */
static int consent_insert(struct db *db, const struct scope *s, int64_t family_id,
			  int64_t referral_id, const struct consent_in *in, const char *on,
			  const char *basis_scope, int64_t *id)
{
	bool given = strcmp(in->basis, "consent") == 0;
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO consents (family_id, referral_id, basis, given_by, given_by_relationship,"
		" scope, given_on, lawful_basis_note, recorded_by, recorded_at, idem_key) VALUES (:f, :r,"
		" :basis, :by, :rel, :scope, :on, :note, :user, :now, :idem) RETURNING id");
	db_bind_text(st, ":idem", nz(in->idem_key));
	db_bind_int(st, ":f", family_id);
	if (referral_id)
		db_bind_int(st, ":r", referral_id);
	else
		db_bind_null(st, ":r");
	db_bind_text(st, ":basis", in->basis);
	db_bind_text(st, ":by", given ? in->given_by : NULL);
	db_bind_text(st, ":rel", given ? in->relationship : NULL);
	db_bind_text(st, ":scope", given ? in->scope : basis_scope ? basis_scope : ALL_SCOPES);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":note", given ? nz(in->lawful_basis_note) : in->lawful_basis_note);
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The consent a form's one-time key already recorded: *id (0 if none),
 * with a "view" audit row.  A key used for another family, or by someone
 * else, is a conflict, never their consent. */
static int consent_idem_find(struct db *db, const struct scope *s, const char *key,
			     int64_t family_id, int64_t *id, struct errinfo *e)
{
	char idtext[24];
	int rc = idem_lookup(db, s, "SELECT id, family_id, coalesce(recorded_by, 0)"
			     " FROM consents WHERE idem_key = :k", key, family_id, id, e);
	if (rc || !*id)
		return rc;
	snprintf(idtext, sizeof idtext, "%" PRId64, *id);
	rc = audit(db, s->who, "view", "consents", idtext,
		   "repeated submission: consent already recorded, nothing added");
	return rc ? errinfo_set(e, rc, "", "%s", db_errmsg(db)) : HE_OK;
}

int consent_record_tx(struct db *db, const struct scope *s, int64_t family_id, int64_t referral_id,
		      const struct consent_in *in, int64_t *id, struct errinfo *e)
{
	char today[11], idtext[24];
	*id = 0;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "consent_record_tx needs a transaction");
	int rc = HE_OK;
	if (nz(in->idem_key) && ((rc = consent_idem_find(db, s, in->idem_key, family_id, id, e)) || *id))
		return rc;
	rc = consent_check(in, e);
	if (rc)
		return rc;
	date_format(date_today(), today);
	const char *on = nz(in->given_on) ? in->given_on : today;
	struct consent_in c = *in;
	c.given_on = on;
	struct buf sum;
	buf_init(&sum, 1024);
	consent_summary(&c, false, &sum);
	rc = consent_insert(db, s, family_id, referral_id, &c, on, NULL, id);
	snprintf(idtext, sizeof idtext, "%" PRId64, *id);
	if (!rc)
		rc = audit(db, s->who, "create", "consents", idtext, buf_str(&sum));
	buf_reset(&sum);
	consent_summary(&c, true, &sum);
	if (!rc)
		rc = chron_add(db, s, family_id, referral_id, 0, on, "note", buf_str(&sum), "");
	buf_free(&sum);
	return rc ? errinfo_set(e, rc, "", "%s", db_errmsg(db)) : HE_OK;
}

/* ---- withdrawal ---------------------------------------------------------- */

struct consent_row {
	int64_t family_id, referral_id;
	char basis[24], given_on[11], given_by[CONSENT_NAME_MAX + 1];
	bool withdrawn;
};

static int consent_load(struct db *db, int64_t id, struct consent_row *c)
{
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db, "SELECT family_id, referral_id, basis, given_on,"
		" given_by, withdrawn_on IS NOT NULL FROM consents WHERE id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		c->family_id = db_int(st, 0);
		c->referral_id = db_is_null(st, 1) ? 0 : db_int(st, 1);
		snprintf(c->basis, sizeof c->basis, "%s", db_text(st, 2));
		snprintf(c->given_on, sizeof c->given_on, "%s", db_text(st, 3));
		snprintf(c->given_by, sizeof c->given_by, "%s", db_text(st, 4) ? db_text(st, 4) : "");
		c->withdrawn = db_int(st, 5) != 0;
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

static int withdraw_check(const struct consent_row *c, const char *on, const char *reason,
			  struct errinfo *e)
{
	hday d, given;
	if (c->withdrawn)
		return errinfo_set(e, HE_CONFLICT, "consent",
			"This consent has already been withdrawn");
	if (!nz(on))
		return errinfo_set(e, HE_MISSING, "on", "Enter the date consent was withdrawn");
	if (!date_parse(on, &d))
		return errinfo_set(e, HE_INVALID, "on",
			"Date withdrawn must be a real date, like 2026-09-14");
	if (d > date_today())
		return errinfo_set(e, HE_INVALID, "on", "Date withdrawn must be today or in the past");
	if (date_parse(c->given_on, &given) && d < given)
		return errinfo_set(e, HE_INVALID, "on",
			"Date withdrawn must be on or after the date it was given (%s)", c->given_on);
	if (!nz(reason))
		return errinfo_set(e, HE_MISSING, "reason", "Enter why consent was withdrawn");
	if (!short_text(reason, CONSENT_REASON_MAX))
		return errinfo_set(e, HE_INVALID, "reason",
			"Reason must be %d characters or fewer", CONSENT_REASON_MAX);
	return HE_OK;
}

static int withdraw_write(struct db *db, const struct scope *s, int64_t id,
			  const struct consent_row *c, const char *on, const char *reason)
{
	struct db_stmt *st = db_prepare(db, "UPDATE consents SET withdrawn_on = :on,"
		" withdrawn_reason = :reason, withdrawn_by = :user WHERE id = :id"
		" AND withdrawn_on IS NULL");
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":reason", reason);
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_int(st, ":id", id);
	int rc = db_done(st);
	if (!rc && db_changes(db) != 1)
		return HE_CONFLICT;
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	struct buf sum;
	buf_init(&sum, 512);
	if (strcmp(c->basis, "consent") == 0)   /* no name: the audit log is never altered */
		buf_printf(&sum, "Consent given on %s withdrawn on %s", c->given_on, on);
	else
		buf_printf(&sum, "Lawful basis (%s) of %s withdrawn on %s",
			   consent_basis_title(c->basis), c->given_on, on);
	if (!rc)
		rc = audit(db, s->who, "withdraw", "consents", idtext, buf_str(&sum));
	if (!rc)
		rc = chron_add(db, s, c->family_id, c->referral_id, 0, on, "consent_withdrawn",
			       buf_str(&sum), reason);
	buf_free(&sum);
	return rc;
}

int consent_withdraw(struct db *db, const struct scope *s, int64_t consent_id, const char *on,
		     const char *reason, struct errinfo *e)
{
	struct consent_row c;
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	rc = consent_load(db, consent_id, &c);
	if (rc == HE_NOT_FOUND) {
		errinfo_set(e, rc, "", "No such consent");
		goto fail;
	}
	if (rc || (rc = withdraw_check(&c, on, reason, e)))
		goto fail;
	rc = withdraw_write(db, s, consent_id, &c, on, reason);
	if (rc == HE_CONFLICT) {
		errinfo_set(e, rc, "consent", "This consent has already been withdrawn");
		goto fail;
	}
	if (rc || (rc = db_commit(db)))
		goto fail;
	return HE_OK;
fail:
	db_rollback(db);
	if (e && e->code == rc)
		return rc;
	return errinfo_set(e, rc, "", "%s", db_errmsg(db));
}

int consent_basis_active(struct db *db, int64_t family_id, const char *scope_code, bool *yes)
{
	*yes = false;
	if (index_of(consent_scopes, scope_code) < 0)
		return HE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM consents WHERE family_id = :f"
		" AND withdrawn_on IS NULL AND ((basis <> 'consent' AND scope = '')"
		" OR ',' || scope || ',' LIKE '%,' || CAST(:code AS TEXT) || ',%')");
	db_bind_int(st, ":f", family_id);
	db_bind_text(st, ":code", scope_code);
	if (db_next(st))
		*yes = db_int(st, 0) > 0;
	return db_finalize(st);
}

/* ---- sharing with a partner professional ------------------------------------ */

/* Which agency kinds need a scope beyond "agencies"; CONSENT_SQL_KIND_SCOPE
 * says the same in SQL. */
static const struct { const char *kind, *scope; } agency_kind_scopes[] = {
	{"school_nursing", "health"}, {"camhs", "health"}, {"health_visiting", "health"},
	{"social_care", "social_care"},
};

const char *consent_scope_for_agency_kind(const char *agency_kind)
{
	for (size_t i = 0; agency_kind && i < sizeof agency_kind_scopes / sizeof *agency_kind_scopes; i++)
		if (strcmp(agency_kind, agency_kind_scopes[i].kind) == 0)
			return agency_kind_scopes[i].scope;
	return NULL;
}

int consent_agency_active(struct db *db, int64_t family_id, const char *agency_kind, bool *yes,
			  const char **missing)
{
	const char *extra = consent_scope_for_agency_kind(agency_kind);
	bool agencies = false, sector = true;
	int rc = consent_basis_active(db, family_id, "agencies", &agencies);
	if (rc == HE_OK && extra)
		rc = consent_basis_active(db, family_id, extra, &sector);
	*yes = rc == HE_OK && agencies && sector;
	if (missing)
		*missing = *yes ? NULL : !agencies ? "agencies" : extra;
	return rc;
}

/* "partner agencies" / "health services" / "children's social care" */
static const char *scope_words(const char *scope)
{
	return strcmp(scope, "health") == 0 ? "health services"
		: strcmp(scope, "social_care") == 0 ? "children's social care" : "partner agencies";
}

int consent_need_for_professional(struct db *db, int64_t family_id, int64_t professional_id,
				  const char *action, struct errinfo *e)
{
	char kind[32] = "", service[200] = "";
	struct db_stmt *st = db_prepare(db, "SELECT a.kind, a.name FROM professionals p"
		" JOIN agencies a ON a.id = p.agency_id WHERE p.id = :id");
	db_bind_int(st, ":id", professional_id);
	bool found = db_next(st);
	if (found) {
		snprintf(kind, sizeof kind, "%s", db_text(st, 0));
		snprintf(service, sizeof service, "%s", db_text(st, 1));
	}
	int rc = db_finalize(st);
	if (rc || !found)
		return rc;
	bool yes = false;
	const char *missing = NULL;
	if ((rc = consent_agency_active(db, family_id, kind, &yes, &missing)) || yes)
		return rc;
	if (strcmp(missing, "agencies") == 0)
		return errinfo_set(e, HE_CONFLICT, "consent", "The family has not agreed to share their"
			" information with partner agencies (or has withdrawn it), so you cannot %s."
			" Record a consent that covers TAF partner agencies, or a lawful basis.", action);
	/* errinfo's message holds 255 characters: the service name is cut short */
	return errinfo_set(e, HE_CONFLICT, "consent", "The family has not agreed to share their"
		" information with %s, so you cannot %s (%.40s is a %s service). Record their consent"
		" for this, or a lawful basis.", scope_words(missing), action, service,
		strcmp(missing, "health") == 0 ? "health" : "social care");
}

int consent_record_basis_tx(struct db *db, const struct scope *s, int64_t family_id,
			    const char *basis, const char *scope_code, const char *on,
			    const char *note, int64_t *id, struct errinfo *e)
{
	char today[11], idtext[24];
	*id = 0;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "consent_record_basis_tx needs a transaction");
	if (index_of(consent_scopes, scope_code) < 0 || !basis || strcmp(basis, "consent") == 0)
		return errinfo_set(e, HE_INTERNAL, "", "consent_record_basis_tx: a lawful basis for one"
				   " known scope");
	struct consent_in in = {.basis = basis, .given_on = on, .lawful_basis_note = note};
	int rc = consent_check(&in, e);
	if (rc) {   /* the caller's form names the note plainly */
		if (e && strcmp(e->field, "consent.lawful_basis_note") == 0)
			snprintf(e->field, sizeof e->field, "lawful_basis_note");
		return rc;
	}
	date_format(date_today(), today);
	in.given_on = nz(on) ? on : today;
	struct buf sum;
	buf_init(&sum, 512);
	buf_printf(&sum, "Shared with %s without consent on the lawful basis: %s",
		   scope_words(scope_code), consent_basis_title(basis));
	rc = consent_insert(db, s, family_id, 0, &in, in.given_on, scope_code, id);
	snprintf(idtext, sizeof idtext, "%" PRId64, *id);
	if (!rc)
		rc = audit(db, s->who, "create", "consents", idtext, buf_str(&sum));
	if (!rc)
		rc = chron_add(db, s, family_id, 0, 0, in.given_on, "note", buf_str(&sum), note);
	buf_free(&sum);
	return rc ? errinfo_set(e, rc, "", "%s", db_errmsg(db)) : HE_OK;
}
