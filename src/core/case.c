/* case.c — the family's case (see case.h): opening it on allocation, row
 * scope, contacts, step up and step down, transfer, closure and review
 * dates, and reading the family record with its merged chronology.
 *
 * Every change runs the same way: change_begin opens the transaction,
 * applies row scope (a case outside it is audited "denied" and is
 * HE_NOT_FOUND) and checks the version the form was rendered with; the
 * change is an UPDATE ... WHERE version = :version, so a second editor
 * working from an old version changes nothing and gets HE_CONFLICT; then
 * one chronology event and one audit row, and change_end commits or rolls
 * back everything. */
#include "core/case.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/chron.h"
#include "core/consent.h"
#include "core/family.h"
#include "core/idem.h"
#include "core/referral.h"
#include "core/scope.h"
#include "core/settings.h"
#include "store/db.h"

#define TEXT_SHORT 200          /* names, places, agencies */
#define TEXT_LONG 10000         /* notes, reasons, views */
#define CONTACT_MAX_MIN 480     /* a contact lasts 1 minute to 8 hours */
#define PLANNED_DEFAULT_MIN 60
#define REVIEW_MAX_DAYS 366     /* a review date at most a year ahead */
#define STEP_DOWN_PUPILS 32

const struct case_choice contact_kinds[] = {
	{"home_visit", "Home visit"},
	{"phone", "Phone call"},
	{"school_meeting", "Meeting at school"},
	{"office", "Office appointment"},
	{"video", "Video call"},
	{"other", "Other contact"},
	{NULL, NULL},
};

const struct case_choice case_closure_reasons[] = {
	{"outcomes_met", "Outcomes met"},
	{"stepped_up", "Stepped up to children's social care"},
	{"disengaged", "Family disengaged"},
	{"moved_away", "Family moved away"},
	{"other", "Other reason"},
	{NULL, NULL},
};

const char *case_choice_title(const struct case_choice *list, const char *code)
{
	for (int i = 0; code && list[i].code; i++)
		if (strcmp(list[i].code, code) == 0)
			return list[i].title;
	return code ? code : "";
}

const char *contact_kind_title(const char *kind)
{
	return case_choice_title(contact_kinds, kind);
}

static bool choice_known(const struct case_choice *list, const char *code)
{
	for (int i = 0; code && list[i].code; i++)
		if (strcmp(list[i].code, code) == 0)
			return true;
	return false;
}

/* ---- refs, dates and text ---------------------------------------------- */

void case_ref(int64_t id, char out[16])
{
	snprintf(out, 16, "C-%06" PRId64, id);
}

int case_id_by_ref(struct db *db, const char *ref, int64_t *id)
{
	*id = 0;
	if (!ref || (ref[0] != 'C' && ref[0] != 'c') || ref[1] != '-')
		return HE_NOT_FOUND;
	size_t n = strlen(ref + 2);
	if (n == 0 || n > 15 || strspn(ref + 2, "0123456789") != n)
		return HE_NOT_FOUND;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM cases WHERE id = :id");
	db_bind_int(st, ":id", strtoll(ref + 2, NULL, 10));
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	return rc ? rc : *id ? HE_OK : HE_NOT_FOUND;
}

static void now_utc(char out[21])
{
	timestamp_format(time(NULL), out);
}

/* Local time now as "YYYY-MM-DDTHH:MM": contacts are typed in local time. */
static void now_local(char out[17])
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 17, "%Y-%m-%dT%H:%M", &tm);
}

/* on (NULL or "": today) as a date into out: not in the future, and not
 * before not_before (a date or timestamp; may be NULL), which is described
 * as what_before in the message.  The error names field. */
static int past_date(const char *on, const char *field, const char *not_before,
		     const char *what_before, char out[11], struct errinfo *e)
{
	hday d = date_today(), nb;
	if (on && *on && !date_parse(on, &d))
		return errinfo_set(e, HE_INVALID, field, "Enter a real date, for example 2026-03-14");
	if (d > date_today())
		return errinfo_set(e, HE_INVALID, field, "The date cannot be in the future");
	char nbd[11] = "";
	if (not_before)
		snprintf(nbd, sizeof nbd, "%.10s", not_before);
	if (*nbd && date_parse(nbd, &nb) && d < nb)
		return errinfo_set(e, HE_INVALID, field, "The date cannot be before %s (%s)",
				   what_before, nbd);
	date_format(d, out);
	return HE_OK;
}

/* ---- row scope and the change skeleton ----------------------------------- */

int case_visible(struct db *db, const struct scope *s, int64_t case_id, bool *yes)
{
	*yes = false;
	bool all = caps_has(s->caps, CAP_CASES_ALL);
	if (!all && !(caps_has(s->caps, CAP_CASES_OWN) && s->worker_id > 0))
		return HE_OK;
	char today[11];
	date_format(date_today(), today);
	struct db_stmt *st = db_prepare(db,
		"SELECT 1 FROM cases c WHERE c.id = :id AND (:all = 1 OR c.worker_id = :me"
		" OR EXISTS (SELECT 1 FROM worker_covers w WHERE w.worker_id = :me"
		" AND w.for_worker_id = c.worker_id AND w.starts_on <= :today"
		" AND w.ends_on >= :today))");
	db_bind_int(st, ":id", case_id);
	db_bind_int(st, ":all", all ? 1 : 0);
	db_bind_int(st, ":me", s->worker_id);
	db_bind_text(st, ":today", today);
	*yes = db_next(st);
	return db_finalize(st);
}

/* One audit row about case id, summary from fmt. */
static int audit_case(struct db *db, const struct scope *s, const char *action, int64_t id,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int audit_case(struct db *db, const struct scope *s, const char *action, int64_t id,
		      const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, "cases", idt, summary);
}

/* What a change needs of the case. */
struct crow {
	int64_t id, family_id, referral_id, worker_id, version;
	char ref[16], status[16], opened_on[11], received_on[11];
	bool covering;      /* the actor sees it by covering its worker */
};

static int crow_load(struct db *db, const struct scope *s, int64_t id, struct crow *c)
{
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db,
		"SELECT c.family_id, c.referral_id, c.worker_id, c.version, c.status,"
		" c.opened_on, r.received_at FROM cases c JOIN referrals r ON r.id = c.referral_id"
		" WHERE c.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		c->id = id;
		c->family_id = db_int(st, 0);
		c->referral_id = db_int(st, 1);
		c->worker_id = db_int(st, 2);
		c->version = db_int(st, 3);
		snprintf(c->status, sizeof c->status, "%s", db_text(st, 4));
		snprintf(c->opened_on, sizeof c->opened_on, "%s", db_text(st, 5));
		snprintf(c->received_on, sizeof c->received_on, "%.10s", db_text(st, 6));
	}
	int rc = db_finalize(st);
	case_ref(id, c->ref);
	c->covering = !caps_has(s->caps, CAP_CASES_ALL) && c->worker_id != s->worker_id;
	return rc ? rc : c->id ? HE_OK : HE_NOT_FOUND;
}

static const char *covering_note(const struct crow *c)
{
	return c->covering ? " (covering for the case's worker)" : "";
}

static int conflict(struct errinfo *e)
{
	return errinfo_set(e, HE_CONFLICT, "version",
		"This case was changed by someone else since you opened it. Nothing has been saved: "
		"reload the case to see their change, then try again.");
}

/* Open the change's transaction and load the case into c, if s may see
 * it.  Out of scope (or unknown): the denial is audited and committed and
 * the result is HE_NOT_FOUND.  version > 0 must be the case's current
 * version (HE_CONFLICT otherwise); version < 0 skips the check (contacts
 * do not change the case).  On error no transaction is left open. */
static int change_begin(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
			const char *what, struct crow *c, struct errinfo *e)
{
	bool yes = false;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = case_visible(db, s, case_id, &yes)))
		goto fail;
	if (!yes) {
		rc = audit_case(db, s, "denied", case_id, "%s: case %" PRId64 " outside the caller's scope",
				what, case_id);
		if (rc == HE_OK && (rc = db_commit(db)) == HE_OK)
			rc = errinfo_set(e, HE_NOT_FOUND, "", "No such case");
		db_rollback(db);
		return rc;
	}
	/* Scope first: someone who may not see the case learns nothing about
	 * it, not even that their request lacked a version. */
	if (version == 0) {
		rc = errinfo_set(e, HE_MISSING, "version",
				 "The form did not say which version of the case it changes: reload the case");
		goto fail;
	}
	if ((rc = crow_load(db, s, case_id, c)))
		goto fail;
	if (version > 0 && c->version != version) {
		rc = conflict(e);
		goto fail;
	}
	return HE_OK;
fail:
	db_rollback(db);
	return rc;
}

/* Commit when rc is HE_OK, else roll back; returns the outcome. */
static int change_end(struct db *db, int rc)
{
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* An UPDATE guarded by the version just ran: no row changed means someone
 * else changed the case in between. */
static int changed(struct db *db, int rc, struct errinfo *e)
{
	if (rc == HE_OK && db_changes(db) == 0)
		return conflict(e);
	return rc;
}

static int need_status(const struct crow *c, const char *want, const char *action,
		       struct errinfo *e)
{
	if (strcmp(c->status, want) == 0)
		return HE_OK;
	const char *now = strcmp(c->status, "closed") == 0 ? "closed" : strcmp(c->status,
		"stepped_up") == 0 ? "stepped up to children's social care" : "open";
	return errinfo_set(e, HE_CONFLICT, "status", "You cannot %s: the case is %s", action, now);
}

/* The family's "pool" basis must be active for the action. */
static int need_consent(struct db *db, int64_t family_id, const char *action, struct errinfo *e)
{
	bool yes = false;
	int rc = consent_basis_active(db, family_id, "pool", &yes);
	if (rc == HE_OK && !yes)
		rc = errinfo_set(e, HE_CONFLICT, "consent",
			"Consent has been withdrawn, so you cannot %s. Record a new consent or lawful "
			"basis, step the case up, or close it.", action);
	return rc;
}

/* The worker's name, if worker id is in the pool and active. */
static int worker_name(struct db *db, int64_t id, char *out, size_t outlen, bool *found)
{
	*found = false;
	struct db_stmt *st = db_prepare(db, "SELECT name FROM workers WHERE id = :id AND active = 1");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		*found = true;
		snprintf(out, outlen, "%s", db_text(st, 0));
	}
	return db_finalize(st);
}

/* ---- opening ------------------------------------------------------------ */

static int referral_family(struct db *db, int64_t referral_id, int64_t *family_id,
			   char received[11], struct errinfo *e)
{
	*family_id = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT family_id, received_at FROM referrals WHERE id = :id");
	db_bind_int(st, ":id", referral_id);
	if (db_next(st)) {
		*family_id = db_int(st, 0);
		snprintf(received, 11, "%.10s", db_text(st, 1));
	}
	int rc = db_finalize(st);
	if (rc == HE_OK && !*family_id)
		rc = errinfo_set(e, HE_NOT_FOUND, "referral", "No such referral");
	return rc;
}

static int case_insert(struct db *db, int64_t family_id, int64_t referral_id, int64_t worker_id,
		       int intensity, bool over, const char *on, const char *review, int64_t *id)
{
	char now[21], tmp[32], ref[16];
	now_utc(now);
	snprintf(tmp, sizeof tmp, "T-%" PRId64, referral_id);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO cases (ref, family_id, referral_id, worker_id, intensity, status,"
		" opened_on, next_review_on, over_capacity, created_at, updated_at) VALUES (:ref,"
		" :family, :referral, :worker, :intensity, 'open', :on, :review, :over, :now, :now)"
		" RETURNING id");
	db_bind_text(st, ":ref", tmp);
	db_bind_int(st, ":family", family_id);
	db_bind_int(st, ":referral", referral_id);
	db_bind_int(st, ":worker", worker_id);
	db_bind_int(st, ":intensity", intensity);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":review", review);
	db_bind_int(st, ":over", over ? 1 : 0);
	db_bind_text(st, ":now", now);
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	case_ref(*id, ref);
	st = db_prepare(db, "UPDATE cases SET ref = :ref WHERE id = :id");
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":id", *id);
	return db_done(st);
}

int case_open_tx(struct db *db, const struct scope *s, int64_t referral_id, int64_t worker_id,
		 int intensity, bool over_capacity, const char *on_date, int64_t *case_id,
		 struct errinfo *e)
{
	char received[11] = "", on[11], review[11], wname[TEXT_SHORT + 1], ref[16], rref[16];
	int64_t family_id = 0, existing = 0;
	int weeks;
	bool found;
	hday d;
	if (!db_in_transaction(db))
		return HE_INTERNAL;
	if (intensity < 1 || intensity > 3)
		return errinfo_set(e, HE_INVALID, "intensity",
				   "Intensity must be 1 (light), 2 (standard) or 3 (intensive)");
	int rc = referral_family(db, referral_id, &family_id, received, e);
	if (!rc)
		rc = worker_name(db, worker_id, wname, sizeof wname, &found);
	if (!rc && !found)
		rc = errinfo_set(e, HE_INVALID, "worker_id", "Choose a worker from the pool");
	if (!rc)
		rc = past_date(on_date, "on_date", received, "the referral was received", on, e);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM cases WHERE referral_id = :r");
	db_bind_int(st, ":r", referral_id);
	if (db_next(st))
		existing = db_int(st, 0);
	if ((rc = db_finalize(st)))
		return rc;
	if (existing)
		return errinfo_set(e, HE_CONFLICT, "referral", "This referral already has a case");
	if ((rc = settings_review_weeks(db, &weeks)))
		return rc;
	date_parse(on, &d);
	date_format(d + 7 * weeks, review);
	if ((rc = case_insert(db, family_id, referral_id, worker_id, intensity, over_capacity, on,
			      review, case_id)))
		return rc;
	case_ref(*case_id, ref);
	referral_ref(referral_id, rref);
	char summary[TEXT_SHORT + 64];
	snprintf(summary, sizeof summary, "Case %s opened: %s is the lead worker", ref, wname);
	rc = chron_add(db, s, family_id, referral_id, *case_id, on, "allocated", summary,
		       over_capacity ? "Allocated beyond the worker's capacity by recorded override" : "");
	if (!rc)
		rc = audit_case(db, s, "create", *case_id, "case %s opened for referral %s, worker %"
				PRId64 ", intensity %d%s", ref, rref, worker_id, intensity,
				over_capacity ? ", over capacity (override)" : "");
	return rc;
}

int case_open_commissions(struct db *db, int64_t case_id, int *n)
{
	/* Open: asked for, or approved or delivered but not yet paid. */
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM commissions WHERE case_id = :case"
		" AND status IN ('requested','approved','delivered')");
	db_bind_int(st, ":case", case_id);
	*n = db_next(st) ? (int)db_int(st, 0) : 0;
	return db_finalize(st);
}

/* ---- contacts ------------------------------------------------------------- */

/* The checked fields of a contact. */
struct contact_ok {
	char at[17];
	int duration;
};

static int contact_check(const struct contact_in *in, bool planned, struct contact_ok *ok,
			 struct errinfo *e)
{
	if (text_blank(in->kind))
		return errinfo_set(e, HE_MISSING, "kind", "Choose the kind of contact");
	if (!choice_known(contact_kinds, in->kind))
		return errinfo_set(e, HE_INVALID, "kind", "Choose the kind of contact from the list");
	if (text_blank(in->at))
		return errinfo_set(e, HE_MISSING, "at", "Enter the date and time of the contact");
	if (!datetime_parse(in->at, ok->at))
		return errinfo_set(e, HE_INVALID, "at",
				   "Enter a real date and time, for example 2026-03-14 and 14:30");
	ok->duration = in->duration_min;
	if (planned && ok->duration == 0)
		ok->duration = PLANNED_DEFAULT_MIN;
	if (ok->duration < 1 || ok->duration > CONTACT_MAX_MIN)
		return errinfo_set(e, ok->duration ? HE_INVALID : HE_MISSING, "duration_min",
				   "Enter how long the contact took, from 1 to %d minutes", CONTACT_MAX_MIN);
	int rc = text_field_check(in->seen, !planned, TEXT_SHORT, "seen", "who was seen", e);
	if (!rc)
		rc = text_field_check(in->place, false, TEXT_SHORT, "place", "the place", e);
	if (!rc)
		rc = text_field_check(in->notes, false, TEXT_LONG, "notes", "the notes", e);
	return rc;
}

/* A held contact has happened (not in the future); a planned one is today
 * or later.  Neither may be before the referral or the case. */
static int contact_when(const struct crow *c, const char *at, bool planned, struct errinfo *e)
{
	char now[17];
	now_local(now);
	if (!planned && strcmp(at, now) > 0)
		return errinfo_set(e, HE_INVALID, "at", "A contact that has happened cannot be in the "
				   "future: to arrange one, book a visit instead");
	if (planned && strncmp(at, now, 10) < 0)
		return errinfo_set(e, HE_INVALID, "at", "A visit you book must be today or later: "
				   "record a past contact as held instead");
	if (strncmp(at, c->received_on, 10) < 0)
		return errinfo_set(e, HE_INVALID, "at", "The contact cannot be before the referral "
				   "was received (%s)", c->received_on);
	if (strncmp(at, c->opened_on, 10) < 0)
		return errinfo_set(e, HE_INVALID, "at", "The contact cannot be before the case was "
				   "opened (%s)", c->opened_on);
	return HE_OK;
}

/* The contact a form's one-time key already made (idem_lookup). */
#define CONTACT_IDEM "SELECT id, case_id, coalesce(user_id, 0) FROM contacts WHERE idem_key = :k"

static int contact_insert(struct db *db, const struct scope *s, const struct crow *c,
			  const struct contact_in *in, const struct contact_ok *ok, int64_t *id)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO contacts (case_id, worker_id, at, kind, duration_min, seen, place, notes,"
		" planned, user_id, recorded_at, idem_key) VALUES (:case, :worker, :at, :kind, :dur,"
		" :seen, :place, :notes, :planned, :user, :now, :idem) RETURNING id");
	db_bind_int(st, ":case", c->id);
	db_bind_int(st, ":worker", s->worker_id ? s->worker_id : c->worker_id);
	db_bind_text(st, ":at", ok->at);
	db_bind_text(st, ":kind", in->kind);
	db_bind_int(st, ":dur", ok->duration);
	db_bind_text(st, ":seen", in->seen ? in->seen : "");
	db_bind_text(st, ":place", in->place ? in->place : "");
	db_bind_text(st, ":notes", in->notes ? in->notes : "");
	db_bind_int(st, ":planned", in->planned ? 1 : 0);
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":idem", text_blank(in->idem_key) ? NULL : in->idem_key);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

/* The contact's checks and insert, inside change_begin's transaction;
 * *id is set (and nothing written) when the key was used before. */
static int contact_add_in(struct db *db, const struct scope *s, const struct crow *c,
			  const struct contact_in *in, int64_t *id, struct errinfo *e)
{
	struct contact_ok ok;
	int rc = HE_OK;
	if (!text_blank(in->idem_key) &&
	    ((rc = idem_lookup(db, s, CONTACT_IDEM, in->idem_key, c->id, id, e)) || *id))
		return rc ? rc : audit_case(db, s, "view", c->id, "repeated submission: contact %"
					    PRId64 " on case %s already recorded, nothing added", *id, c->ref);
	if ((rc = need_status(c, "open", in->planned ? "book a visit" : "record a contact", e)) ||
	    (rc = need_consent(db, c->family_id, in->planned ? "book a visit" : "record a contact", e)) ||
	    (rc = contact_check(in, in->planned, &ok, e)) ||
	    (rc = contact_when(c, ok.at, in->planned, e)) ||
	    (rc = contact_insert(db, s, c, in, &ok, id)))
		return rc;
	return audit_case(db, s, "create", c->id, "%s %s on case %s at %s, contact %" PRId64 "%s",
			  in->planned ? "planned" : "held", in->kind, c->ref, ok.at, *id,
			  covering_note(c));
}

int contact_add(struct db *db, const struct scope *s, int64_t case_id, int64_t version_unused,
		const struct contact_in *in, int64_t *id, struct errinfo *e)
{
	struct crow c;
	(void)version_unused;
	*id = 0;
	int rc = change_begin(db, s, case_id, -1, "add contact", &c, e);
	if (rc)
		return rc;
	rc = change_end(db, contact_add_in(db, s, &c, in, id, e));
	if (rc == HE_DB_CONSTRAINT && !text_blank(in->idem_key))
		/* The same form submitted twice at once: the other insert won. */
		rc = idem_again(db, s, CONTACT_IDEM, in->idem_key, case_id, "cases", "a contact", id, e);
	return rc;
}

/* The planned contact of case c, if it is one: *kind and *at copied. */
static int planned_load(struct db *db, const struct crow *c, int64_t contact_id, bool *planned,
			char kind[24], char at[17], struct errinfo *e)
{
	bool found = false;
	struct db_stmt *st = db_prepare(db,
		"SELECT planned, kind, at FROM contacts WHERE id = :id AND case_id = :case");
	db_bind_int(st, ":id", contact_id);
	db_bind_int(st, ":case", c->id);
	if (db_next(st)) {
		found = true;
		*planned = db_int(st, 0) != 0;
		snprintf(kind, 24, "%s", db_text(st, 1));
		snprintf(at, 17, "%s", db_text(st, 2));
	}
	int rc = db_finalize(st);
	if (rc == HE_OK && !found)
		rc = errinfo_set(e, HE_NOT_FOUND, "contact", "No such planned visit on this case");
	return rc;
}

static int held_update(struct db *db, const struct scope *s, int64_t contact_id,
		       const struct contact_in *in, const struct contact_ok *ok)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE contacts SET planned = 0, at = :at, kind = :kind, duration_min = :dur,"
		" seen = :seen, place = :place, notes = :notes, user_id = :user, recorded_at = :now"
		" WHERE id = :id AND planned = 1");
	db_bind_text(st, ":at", ok->at);
	db_bind_text(st, ":kind", in->kind);
	db_bind_int(st, ":dur", ok->duration);
	db_bind_text(st, ":seen", in->seen ? in->seen : "");
	db_bind_text(st, ":place", in->place ? in->place : "");
	db_bind_text(st, ":notes", in->notes ? in->notes : "");
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", contact_id);
	return db_done(st);
}

static int mark_held_in(struct db *db, const struct scope *s, const struct crow *c,
			int64_t contact_id, const struct contact_in *in, struct errinfo *e)
{
	char kind[24], at[17];
	bool planned = false;
	struct contact_ok ok;
	int rc = planned_load(db, c, contact_id, &planned, kind, at, e);
	if (rc || !planned)
		return rc;   /* already recorded as held: a repeated submission changes nothing */
	struct contact_in m = *in;
	m.planned = false;
	if (text_blank(m.kind))
		m.kind = kind;
	if (text_blank(m.at))
		m.at = at;
	if ((rc = need_status(c, "open", "record a contact", e)) ||
	    (rc = need_consent(db, c->family_id, "record a contact", e)) ||
	    (rc = contact_check(&m, false, &ok, e)) ||
	    (rc = contact_when(c, ok.at, false, e)) ||
	    (rc = held_update(db, s, contact_id, &m, &ok)))
		return rc;
	return audit_case(db, s, "update", c->id, "planned %s on case %s recorded as held, "
			  "contact %" PRId64 "%s", m.kind, c->ref, contact_id, covering_note(c));
}

int contact_mark_held(struct db *db, const struct scope *s, int64_t case_id, int64_t contact_id,
		      const struct contact_in *in, struct errinfo *e)
{
	struct crow c;
	int rc = change_begin(db, s, case_id, -1, "record visit as held", &c, e);
	if (rc)
		return rc;
	return change_end(db, mark_held_in(db, s, &c, contact_id, in, e));
}

/* ---- step up, step down, transfer, close, review ---------------------- */

/* Stepping up shares the family's information with children's social
 * care.  It is a safeguarding decision and is never refused for want of
 * consent, but the record must show its lawful basis: without an active
 * "social_care" consent, the worker's note of the basis is required and
 * recorded as a safeguarding basis for that sharing (consent.h). */
static int step_up_basis(struct db *db, const struct scope *s, const struct crow *c,
			 const char *day, const char *note, struct errinfo *e)
{
	bool shared = false;
	int64_t id = 0;
	int rc = consent_basis_active(db, c->family_id, "social_care", &shared);
	if (rc || shared)
		return rc;
	if (text_blank(note))
		return errinfo_set(e, HE_MISSING, "lawful_basis_note", "The family has not agreed to"
				   " share their information with children's social care: enter the lawful"
				   " basis for sharing it without consent (for example, the risk of"
				   " significant harm and who decided)");
	if ((rc = text_field_check(note, true, TEXT_LONG, "lawful_basis_note",
				   "the lawful basis for sharing without consent", e)))
		return rc;
	return consent_record_basis_tx(db, s, c->family_id, "safeguarding", "social_care", day, note,
				       &id, e);
}

int case_step_up(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
		 const char *on, const char *reason, const char *lawful_basis_note, struct errinfo *e)
{
	struct crow c;
	char day[11], now[21];
	int rc = change_begin(db, s, case_id, version, "step up", &c, e);
	if (rc)
		return rc;
	if ((rc = need_status(&c, "open", "step up this case", e)) ||
	    (rc = past_date(on, "on", c.opened_on, "the case was opened", day, e)) ||
	    (rc = text_field_check(reason, true, TEXT_LONG, "reason", "the reason for stepping up", e)) ||
	    (rc = step_up_basis(db, s, &c, day, lawful_basis_note, e)))
		return change_end(db, rc);
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE cases SET status = 'stepped_up', updated_at = :now, version = version + 1"
		" WHERE id = :id AND version = :version");
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", case_id);
	db_bind_int(st, ":version", version);
	rc = changed(db, db_done(st), e);
	if (!rc)
		rc = chron_add(db, s, c.family_id, c.referral_id, case_id, day, "step_up",
			       "Stepped up to children's social care", reason);
	if (!rc)
		rc = audit_case(db, s, "update", case_id, "case %s stepped up to children's social care "
				"on %s%s", c.ref, day, covering_note(&c));
	return change_end(db, rc);
}

/* The needs of the case's first referral, into needs (comma-separated). */
static int first_needs(struct db *db, int64_t referral_id, char *needs, size_t n)
{
	snprintf(needs, n, "other");
	struct db_stmt *st = db_prepare(db, "SELECT needs FROM referrals WHERE id = :id");
	db_bind_int(st, ":id", referral_id);
	if (db_next(st) && db_text(st, 0) && *db_text(st, 0))
		snprintf(needs, n, "%s", db_text(st, 0));
	return db_finalize(st);
}

/* The UPNs of the family's children known to the partnership. */
static int family_upns(struct db *db, int64_t family_id, char upns[][14], size_t *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT p.upn FROM family_members m JOIN pupils p ON p.id = m.pupil_id"
		" WHERE m.family_id = :f ORDER BY p.id");
	db_bind_int(st, ":f", family_id);
	while (db_next(st) && *n < STEP_DOWN_PUPILS)
		snprintf(upns[(*n)++], 14, "%s", db_text(st, 0));
	return db_finalize(st);
}

/* The new referral a step-down makes, in the transaction. */
static int step_down_referral(struct db *db, const struct scope *s, const struct crow *c,
			      const char *day, const char *reason, const struct consent_in *consent,
			      int64_t *new_id, struct errinfo *e)
{
	char needs[512], upns[STEP_DOWN_PUPILS][14], received[24];
	const char *upnp[STEP_DOWN_PUPILS];
	size_t n = 0;
	int rc = first_needs(db, c->referral_id, needs, sizeof needs);
	if (!rc)
		rc = family_upns(db, c->family_id, upns, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		upnp[i] = upns[i];
	snprintf(received, sizeof received, "%sT12:00:00Z", day);
	struct referral_in in = {
		.source = "step_down", .family_id = c->family_id, .stepped_down_from = c->id,
		.upns = upnp, .nupns = n, .needs = needs, .level_of_need = 3,
		.reason = reason, .tried = "Stepped down from children's social care",
		.consent = *consent,
		/* the system (demo) dates the referral on the step-down day */
		.received_at = scope_is_system(s) ? received : NULL,
	};
	/* The referral is the service's, not the worker's own: whoever may
	 * work this case may make it, so it is made with the referral
	 * capability for every source (the worker has no school). */
	struct scope rs = *s;
	rs.caps.bits |= (uint64_t)1 << CAP_REFERRALS_ALL;
	return referral_create_tx(db, &rs, &in, new_id, e);
}

static int step_down_close(struct db *db, const struct crow *c, int64_t version, const char *day,
			   const char *reason, struct errinfo *e)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE cases SET status = 'closed', closed_on = :on, closure_reason = 'stepped_up',"
		" closure_note = :note, updated_at = :now, version = version + 1"
		" WHERE id = :id AND version = :version");
	db_bind_text(st, ":on", day);
	db_bind_text(st, ":note", reason);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", c->id);
	db_bind_int(st, ":version", version);
	return changed(db, db_done(st), e);
}

int case_step_down(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
		   const char *on, const char *reason, const struct consent_in *consent,
		   int64_t *new_referral_id, struct errinfo *e)
{
	struct crow c;
	char day[11], rref[16];
	*new_referral_id = 0;
	int rc = change_begin(db, s, case_id, version, "step down", &c, e);
	if (rc)
		return rc;
	if ((rc = need_status(&c, "stepped_up", "step down a case that was not stepped up", e)) ||
	    (rc = past_date(on, "on", c.opened_on, "the case was opened", day, e)) ||
	    (rc = text_field_check(reason, true, TEXT_LONG, "reason", "the reason for stepping down", e)))
		return change_end(db, rc);
	if (!consent)
		return change_end(db, errinfo_set(e, HE_MISSING, "consent.basis",
			"Record the consent or lawful basis for the new referral"));
	if ((rc = consent_check(consent, e)) ||
	    (rc = step_down_close(db, &c, version, day, reason, e)) ||
	    (rc = step_down_referral(db, s, &c, day, reason, consent, new_referral_id, e)))
		return change_end(db, rc);
	referral_ref(*new_referral_id, rref);
	char summary[96];
	snprintf(summary, sizeof summary, "Stepped down from children's social care: new referral %s",
		 rref);
	rc = chron_add(db, s, c.family_id, c.referral_id, case_id, day, "step_down", summary, reason);
	if (!rc)
		rc = audit_case(db, s, "update", case_id, "case %s stepped down on %s, closed; new "
				"referral %s%s", c.ref, day, rref, covering_note(&c));
	return change_end(db, rc);
}

static int transfer_update(struct db *db, const struct crow *c, int64_t version, int64_t to,
			   struct errinfo *e)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE cases SET worker_id = :to, updated_at = :now, version = version + 1"
		" WHERE id = :id AND version = :version");
	db_bind_int(st, ":to", to);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", c->id);
	db_bind_int(st, ":version", version);
	int rc = changed(db, db_done(st), e);
	if (rc)
		return rc;
	/* Booked visits go to the new worker's calendar. */
	st = db_prepare(db, "UPDATE contacts SET worker_id = :to WHERE case_id = :id AND planned = 1");
	db_bind_int(st, ":to", to);
	db_bind_int(st, ":id", c->id);
	return db_done(st);
}

int case_transfer(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
		  int64_t to_worker, const char *on, const char *handover_note, struct errinfo *e)
{
	struct crow c;
	char day[11], from[TEXT_SHORT + 1] = "", to[TEXT_SHORT + 1] = "", summary[2 * TEXT_SHORT + 40];
	bool found = false, found_from = false;
	int rc = change_begin(db, s, case_id, version, "transfer", &c, e);
	if (rc)
		return rc;
	if ((rc = need_status(&c, "open", "transfer this case", e)) ||
	    (rc = need_consent(db, c.family_id, "transfer the case", e)))
		return change_end(db, rc);
	if (to_worker == c.worker_id)
		return change_end(db, errinfo_set(e, HE_INVALID, "to_worker",
				  "The case is already with this worker: choose another"));
	if ((rc = worker_name(db, to_worker, to, sizeof to, &found)) ||
	    (rc = worker_name(db, c.worker_id, from, sizeof from, &found_from)))
		return change_end(db, rc);
	if (!found)
		return change_end(db, errinfo_set(e, HE_INVALID, "to_worker",
				  "Choose a worker from the pool"));
	if ((rc = past_date(on, "on", c.opened_on, "the case was opened", day, e)) ||
	    (rc = text_field_check(handover_note, true, TEXT_LONG, "handover_note", "a handover note", e)) ||
	    (rc = transfer_update(db, &c, version, to_worker, e)))
		return change_end(db, rc);
	snprintf(summary, sizeof summary, "Transferred from %s to %s", found_from ? from : "a former worker", to);
	rc = chron_add(db, s, c.family_id, c.referral_id, case_id, day, "transferred", summary,
		       handover_note);
	if (!rc)
		rc = audit_case(db, s, "update", case_id, "case %s transferred from worker %" PRId64
				" to worker %" PRId64 "%s", c.ref, c.worker_id, to_worker, covering_note(&c));
	return change_end(db, rc);
}

static int close_check(struct db *db, const struct crow *c, const char *reason, const char *note,
		       const char *family_view, struct errinfo *e)
{
	int n = 0;
	if (strcmp(c->status, "closed") == 0)
		return errinfo_set(e, HE_CONFLICT, "status", "This case is already closed");
	if (text_blank(reason))
		return errinfo_set(e, HE_MISSING, "reason", "Choose the reason for closing the case");
	if (!choice_known(case_closure_reasons, reason))
		return errinfo_set(e, HE_INVALID, "reason", "Choose a reason from the list");
	int rc = text_field_check(note, strcmp(reason, "other") == 0, TEXT_LONG, "note",
			    "what the other reason is", e);
	if (!rc)
		rc = text_field_check(family_view, true, TEXT_LONG, "family_view",
				"the family's own view (or that they chose not to give one)", e);
	if (!rc)
		rc = case_open_commissions(db, c->id, &n);
	if (!rc && n > 0)
		rc = errinfo_set(e, HE_CONFLICT, "commissions", "The case has %d open commission%s: "
				 "end or pay them before closing", n, n == 1 ? "" : "s");
	return rc;
}

int case_close(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
	       const char *on, const char *reason, const char *note, const char *family_view,
	       struct errinfo *e)
{
	struct crow c;
	char day[11], now[21], summary[96];
	int rc = change_begin(db, s, case_id, version, "close", &c, e);
	if (rc)
		return rc;
	if ((rc = close_check(db, &c, reason, note, family_view, e)) ||
	    (rc = past_date(on, "on", c.opened_on, "the case was opened", day, e)))
		return change_end(db, rc);
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE cases SET status = 'closed', closed_on = :on, closure_reason = :reason,"
		" closure_note = :note, family_view = :view, updated_at = :now,"
		" version = version + 1 WHERE id = :id AND version = :version");
	db_bind_text(st, ":on", day);
	db_bind_text(st, ":reason", reason);
	db_bind_text(st, ":note", note ? note : "");
	db_bind_text(st, ":view", family_view);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", case_id);
	db_bind_int(st, ":version", version);
	if ((rc = changed(db, db_done(st), e)))
		return change_end(db, rc);
	snprintf(summary, sizeof summary, "Case closed: %s",
		 case_choice_title(case_closure_reasons, reason));
	char *detail = xmalloc(2 * TEXT_LONG + 64);
	snprintf(detail, 2 * TEXT_LONG + 64, "%s%sThe family's view: %s", note ? note : "",
		 note && *note ? "\n" : "", family_view);
	rc = chron_add(db, s, c.family_id, c.referral_id, case_id, day, "closed", summary, detail);
	free(detail);
	if (!rc)
		rc = audit_case(db, s, "update", case_id, "case %s closed on %s: %s%s", c.ref, day,
				reason, covering_note(&c));
	return change_end(db, rc);
}

int case_set_review(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
		    const char *next_review_on, struct errinfo *e)
{
	struct crow c;
	char day[11], today[11], now[21], summary[64];
	hday d;
	int rc = change_begin(db, s, case_id, version, "set review", &c, e);
	if (rc)
		return rc;
	if ((rc = need_status(&c, "open", "set a review date", e)))
		return change_end(db, rc);
	if (text_blank(next_review_on))
		return change_end(db, errinfo_set(e, HE_MISSING, "next_review_on",
						  "Enter the date of the next review"));
	if (!date_parse(next_review_on, &d))
		return change_end(db, errinfo_set(e, HE_INVALID, "next_review_on",
						  "Enter a real date, for example 2026-03-14"));
	if (d < date_today() || d > date_today() + REVIEW_MAX_DAYS)
		return change_end(db, errinfo_set(e, HE_INVALID, "next_review_on",
			"The next review must be between today and a year from now"));
	date_format(d, day);
	date_format(date_today(), today);
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE cases SET next_review_on = :day, updated_at = :now, version = version + 1"
		" WHERE id = :id AND version = :version");
	db_bind_text(st, ":day", day);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", case_id);
	db_bind_int(st, ":version", version);
	if ((rc = changed(db, db_done(st), e)))
		return change_end(db, rc);
	snprintf(summary, sizeof summary, "Next review set for %s", day);
	rc = chron_add(db, s, c.family_id, c.referral_id, case_id, today, "review_set", summary, "");
	if (!rc)
		rc = audit_case(db, s, "update", case_id, "case %s next review %s%s", c.ref, day,
				covering_note(&c));
	return change_end(db, rc);
}

/* ---- the family record: members and professionals ------------------------ */

/* The member or professional a form's one-time key already added
 * (idem_lookup, idem_again). */
#define MEMBER_IDEM "SELECT id, family_id, coalesce(created_by, 0) FROM family_members" \
	" WHERE idem_key = :k"
#define PROFESSIONAL_IDEM "SELECT id, family_id, coalesce(created_by, 0)" \
	" FROM family_professionals WHERE idem_key = :k"

static int member_add_in(struct db *db, const struct scope *s, const struct crow *c,
			 const struct family_member_in *m, int64_t *id, struct errinfo *e)
{
	int rc = HE_OK;
	if (!text_blank(m->idem_key) &&
	    ((rc = idem_lookup(db, s, MEMBER_IDEM, m->idem_key, c->family_id, id, e)) || *id))
		return rc ? rc : audit_case(db, s, "view", c->id, "repeated submission: member %"
					    PRId64 " of case %s already added, nothing added", *id, c->ref);
	if ((rc = need_status(c, "open", "change the family record of a closed case", e)))
		return rc;
	return family_add_member_tx(db, s, c->family_id, m, id, e);
}

int case_member_add(struct db *db, const struct scope *s, int64_t case_id,
		    const struct family_member_in *m, int64_t *id, struct errinfo *e)
{
	struct crow c;
	*id = 0;
	int rc = change_begin(db, s, case_id, -1, "add member", &c, e);
	if (rc)
		return rc;
	rc = change_end(db, member_add_in(db, s, &c, m, id, e));
	if (rc == HE_DB_CONSTRAINT && !text_blank(m->idem_key))
		rc = idem_again(db, s, MEMBER_IDEM, m->idem_key, c.family_id, "cases",
				"a family member", id, e);
	return rc;
}

static int professional_check(const struct professional_in *p, struct errinfo *e)
{
	int rc = text_field_check(p->name, true, TEXT_SHORT, "name", "the professional's name", e);
	if (!rc)
		rc = text_field_check(p->agency, true, TEXT_SHORT, "agency", "their agency or service", e);
	if (!rc)
		rc = text_field_check(p->role, false, TEXT_SHORT, "role", "their role", e);
	if (!rc)
		rc = text_field_check(p->contact, false, TEXT_SHORT, "contact", "their contact details", e);
	return rc;
}

static int professional_insert(struct db *db, const struct scope *s, int64_t family_id,
			       const struct professional_in *p, int64_t *id)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO family_professionals (family_id, name, agency, role, contact, created_at,"
		" idem_key, created_by) VALUES (:f, :name, :agency, :role, :contact, :now, :idem, :by)"
		" RETURNING id");
	db_bind_int(st, ":f", family_id);
	db_bind_text(st, ":idem", text_blank(p->idem_key) ? NULL : p->idem_key);
	if (s->user_id)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":name", p->name);
	db_bind_text(st, ":agency", p->agency);
	db_bind_text(st, ":role", p->role ? p->role : "");
	db_bind_text(st, ":contact", p->contact ? p->contact : "");
	db_bind_text(st, ":now", now);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

static int professional_add_in(struct db *db, const struct scope *s, const struct crow *c,
			       const struct professional_in *p, int64_t *id, struct errinfo *e)
{
	char today[11], summary[2 * TEXT_SHORT + 40], idt[24];
	int rc = HE_OK;
	if (!text_blank(p->idem_key) &&
	    ((rc = idem_lookup(db, s, PROFESSIONAL_IDEM, p->idem_key, c->family_id, id, e)) || *id))
		return rc ? rc : audit_case(db, s, "view", c->id, "repeated submission: professional %"
					    PRId64 " of case %s already added, nothing added", *id, c->ref);
	if ((rc = need_status(c, "open", "change the family record of a closed case", e)) ||
	    (rc = professional_check(p, e)) ||
	    (rc = professional_insert(db, s, c->family_id, p, id)))
		return rc;
	date_format(date_today(), today);
	snprintf(summary, sizeof summary, "Other professional involved: %s (%s)", p->name, p->agency);
	rc = chron_add(db, s, c->family_id, c->referral_id, c->id, today, "note", summary,
		       p->role ? p->role : "");
	snprintf(idt, sizeof idt, "%" PRId64, *id);
	if (!rc)
		rc = audit(db, s->who, "create", "family_professionals", idt,
			   c->covering ? "professional added to a family (covering)"
				       : "professional added to a family");
	return rc;
}

int case_professional_add(struct db *db, const struct scope *s, int64_t case_id,
			  const struct professional_in *p, int64_t *id, struct errinfo *e)
{
	struct crow c;
	*id = 0;
	int rc = change_begin(db, s, case_id, -1, "add professional", &c, e);
	if (rc)
		return rc;
	rc = change_end(db, professional_add_in(db, s, &c, p, id, e));
	if (rc == HE_DB_CONSTRAINT && !text_blank(p->idem_key))
		rc = idem_again(db, s, PROFESSIONAL_IDEM, p->idem_key, c.family_id, "cases",
				"another professional", id, e);
	return rc;
}

/* ---- reading: the chronology ---------------------------------------------- */

struct items {
	struct chron_item *v;
	size_t n, cap;
	int *seq;
};

static struct chron_item *item_push(struct items *x)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->v = xrealloc(x->v, x->cap * sizeof *x->v);
	}
	struct chron_item *it = &x->v[x->n++];
	memset(it, 0, sizeof *it);
	return it;
}

static const char *event_title(const char *kind)
{
	const char *t = chron_kind_title(kind);
	return t ? t : kind;
}

static int chron_events(struct db *db, struct arena *a, int64_t family_id, struct items *x)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT e.on_date, e.kind, e.summary, e.detail, u.name FROM case_events e"
		" LEFT JOIN users u ON u.id = e.user_id WHERE e.family_id = :f ORDER BY e.id");
	db_bind_int(st, ":f", family_id);
	while (db_next(st)) {
		struct chron_item *it = item_push(x);
		it->when = arena_strdup(a, db_text(st, 0));
		it->kind = arena_strdup(a, db_text(st, 1));
		it->title = event_title(it->kind);
		it->summary = arena_strdup(a, db_text(st, 2));
		it->detail = arena_strdup(a, db_text(st, 3));
		it->who = arena_strdup(a, db_text(st, 4));
	}
	return db_finalize(st);
}

/* "Home visit, 45 minutes, at Home — seen: Mum and Aisha" */
static const char *contact_summary(struct arena *a, const char *kind, int64_t dur,
				   const char *place, const char *seen)
{
	return arena_printf(a, "%s, %lld minute%s%s%s%s%s", contact_kind_title(kind), (long long)dur,
			    dur == 1 ? "" : "s", place && *place ? ", at " : "",
			    place ? place : "", seen && *seen ? " — seen: " : "", seen ? seen : "");
}

/* Contacts of every case of the family: held ones (planned 0) into x,
 * booked ones (planned 1) of open cases into p. */
static int chron_contacts(struct db *db, struct arena *a, int64_t family_id, struct items *x,
			  struct items *p)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT ct.at, ct.kind, ct.duration_min, ct.place, ct.seen, ct.notes, w.name, ct.id,"
		" ct.planned FROM contacts ct JOIN cases c ON c.id = ct.case_id"
		" LEFT JOIN workers w ON w.id = ct.worker_id WHERE c.family_id = :f"
		" AND (ct.planned = 0 OR c.status = 'open') ORDER BY ct.id");
	db_bind_int(st, ":f", family_id);
	while (db_next(st)) {
		bool planned = db_int(st, 8) != 0;
		struct chron_item *it = item_push(planned ? p : x);
		it->when = arena_strdup(a, db_text(st, 0));
		it->kind = planned ? "planned" : "contact";
		it->title = contact_kind_title(db_text(st, 1));
		it->duration_min = (int)db_int(st, 2);
		it->summary = contact_summary(a, db_text(st, 1), db_int(st, 2), db_text(st, 3),
					      db_text(st, 4));
		it->detail = arena_strdup(a, db_text(st, 5));
		it->who = arena_strdup(a, db_text(st, 6));
		it->contact_id = db_int(st, 7);
	}
	return db_finalize(st);
}

/* One line per census import per child: "Aisha Khan: attendance 78% → 71%
 * (census 2026-10-01)". */
static int chron_attendance(struct db *db, struct arena *a, int64_t family_id, struct items *x)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT m.id, m.name, s.extract_date, s.sessions_possible, s.sessions_attended"
		" FROM family_members m JOIN pupil_snapshots s ON s.pupil_id = m.pupil_id"
		" WHERE m.family_id = :f ORDER BY m.id, s.extract_date");
	db_bind_int(st, ":f", family_id);
	int64_t member = 0;
	int prev = -1;
	while (db_next(st)) {
		if (db_int(st, 0) != member) {
			member = db_int(st, 0);
			prev = -1;
		}
		if (db_is_null(st, 3) || db_is_null(st, 4) || db_int(st, 3) <= 0)
			continue;
		int64_t pct64 = db_int(st, 4) * 100 / db_int(st, 3);
		int pct = (int)(pct64 > 100 ? 100 : pct64 < 0 ? 0 : pct64);
		struct chron_item *it = item_push(x);
		it->when = arena_strdup(a, db_text(st, 2));
		it->kind = "attendance";
		it->title = "Attendance";
		if (prev < 0)
			it->summary = arena_printf(a, "%s: attendance %d%% (census %s)", db_text(st, 1),
						   pct, db_text(st, 2));
		else if (prev == pct)
			it->summary = arena_printf(a, "%s: attendance unchanged at %d%% (census %s)",
						   db_text(st, 1), pct, db_text(st, 2));
		else
			it->summary = arena_printf(a, "%s: attendance %d%% → %d%% (census %s)",
						   db_text(st, 1), prev, pct, db_text(st, 2));
		it->detail = "";
		prev = pct;
	}
	return db_finalize(st);
}

/* Newest first (ties: see items_take). */
static int newest_first(const void *pa, const void *pb)
{
	const struct chron_item *a = pa, *b = pb;
	return strcmp(b->when, a->when);
}

static int soonest_first(const void *pa, const void *pb)
{
	const struct chron_item *a = pa, *b = pb;
	return strcmp(a->when, b->when);
}

/* Copy x (malloc'd) into a, sorted, and free it. */
static void items_take(struct arena *a, struct items *x, bool newest, struct chron_item **out,
		       size_t *n)
{
	/* An insertion sort, which is stable: on the same date the item
	 * recorded later comes first in the chronology.  A family's
	 * chronology is hundreds of lines, not millions. */
	struct chron_item *v = arena_alloc(a, (x->n ? x->n : 1) * sizeof *v);
	for (size_t i = 0; i < x->n; i++) {
		size_t j = i;
		const struct chron_item *it = &x->v[newest ? x->n - 1 - i : i];
		while (j > 0 && (newest ? newest_first(&v[j - 1], it) : soonest_first(&v[j - 1], it)) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = *it;
	}
	*out = v;
	*n = x->n;
	free(x->v);
	memset(x, 0, sizeof *x);
}

static int chronology_all(struct db *db, struct arena *a, int64_t family_id,
			  struct case_record *out)
{
	struct items x = {0}, p = {0};
	int rc = chron_events(db, a, family_id, &x);
	if (!rc)
		rc = chron_attendance(db, a, family_id, &x);
	if (!rc)
		rc = chron_contacts(db, a, family_id, &x, &p);
	items_take(a, &x, true, &out->chron, &out->nchron);
	items_take(a, &p, false, &out->planned, &out->nplanned);
	return rc;
}

int case_chronology(struct db *db, struct arena *a, int64_t case_id, struct chron_item **out,
		    size_t *n)
{
	struct case_record r;
	memset(&r, 0, sizeof r);
	int64_t family_id = 0;
	struct db_stmt *st = db_prepare(db, "SELECT family_id FROM cases WHERE id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st))
		family_id = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!family_id)
		return HE_NOT_FOUND;
	rc = chronology_all(db, a, family_id, &r);
	*out = r.chron;
	*n = r.nchron;
	return rc;
}

/* ---- reading: the record ------------------------------------------------ */

static const char *dup_or_null(struct arena *a, struct db_stmt *st, int col)
{
	return db_is_null(st, col) ? NULL : arena_strdup(a, db_text(st, col));
}

static int record_case(struct db *db, struct arena *a, int64_t id, struct case_record *o)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT c.family_id, c.referral_id, c.worker_id, c.version, f.name, f.address,"
		" f.postcode, f.home_language, w.name, c.status, c.opened_on, c.next_review_on,"
		" c.closed_on, c.closure_reason, c.closure_note, c.family_view, c.intensity,"
		" c.over_capacity, s.name FROM cases c JOIN families f ON f.id = c.family_id"
		" JOIN workers w ON w.id = c.worker_id JOIN referrals r ON r.id = c.referral_id"
		" LEFT JOIN schools s ON s.id = r.school_id WHERE c.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		o->id = id;
		o->family_id = db_int(st, 0);
		o->referral_id = db_int(st, 1);
		o->worker_id = db_int(st, 2);
		o->version = db_int(st, 3);
		o->family_name = dup_or_null(a, st, 4);
		o->address = dup_or_null(a, st, 5);
		o->postcode = dup_or_null(a, st, 6);
		o->home_language = dup_or_null(a, st, 7);
		o->worker_name = dup_or_null(a, st, 8);
		o->status = dup_or_null(a, st, 9);
		o->opened_on = dup_or_null(a, st, 10);
		o->next_review_on = dup_or_null(a, st, 11);
		o->closed_on = dup_or_null(a, st, 12);
		o->closure_reason = dup_or_null(a, st, 13);
		o->closure_note = dup_or_null(a, st, 14);
		o->family_view = dup_or_null(a, st, 15);
		o->intensity = (int)db_int(st, 16);
		o->over_capacity = db_int(st, 17) != 0;
		o->school_name = dup_or_null(a, st, 18);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!o->id)
		return HE_NOT_FOUND;
	case_ref(id, o->ref);
	family_ref(o->family_id, o->family_ref);
	referral_ref(o->referral_id, o->referral_ref);
	hday review;
	if (o->next_review_on && strcmp(o->status, "open") == 0 &&
	    date_parse(o->next_review_on, &review) && review < date_today())
		o->review_overdue_days = date_today() - review;
	return HE_OK;
}

static int record_members(struct db *db, struct arena *a, struct case_record *o)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT m.id, m.pupil_id, m.name, m.relationship, m.dob, m.phone, m.is_child,"
		" s.name, ps.year_group, ps.sessions_possible, ps.sessions_attended, ps.extract_date"
		" FROM family_members m LEFT JOIN pupils p ON p.id = m.pupil_id"
		" LEFT JOIN schools s ON s.id = p.school_id"
		" LEFT JOIN pupil_snapshots ps ON ps.pupil_id = p.id AND ps.latest = 1"
		" WHERE m.family_id = :f ORDER BY m.is_child, m.dob, m.id");
	db_bind_int(st, ":f", o->family_id);
	size_t cap = 0;
	struct case_member *v = NULL;
	while (db_next(st)) {
		if (o->nmembers == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 16) * sizeof *v);
		struct case_member *m = &v[o->nmembers++];
		memset(m, 0, sizeof *m);
		m->id = db_int(st, 0);
		m->pupil_id = db_is_null(st, 1) ? 0 : db_int(st, 1);
		m->name = dup_or_null(a, st, 2);
		m->relationship = dup_or_null(a, st, 3);
		m->dob = dup_or_null(a, st, 4);
		m->phone = dup_or_null(a, st, 5);
		m->is_child = db_int(st, 6) != 0;
		m->school_name = dup_or_null(a, st, 7);
		m->year_group = db_is_null(st, 8) ? NULL : db_int(st, 8) == 0 ? "Reception"
			: arena_printf(a, "Year %lld", (long long)db_int(st, 8));
		m->attendance_pct = -1;
		if (!db_is_null(st, 9) && !db_is_null(st, 10) && db_int(st, 9) > 0)
			m->attendance_pct = (int)(db_int(st, 10) * 100 / db_int(st, 9));
		m->attendance_census = dup_or_null(a, st, 11);
	}
	int rc = db_finalize(st);
	o->members = arena_alloc(a, (o->nmembers ? o->nmembers : 1) * sizeof *v);
	if (o->nmembers)
		memcpy(o->members, v, o->nmembers * sizeof *v);
	free(v);
	return rc;
}

static int record_professionals(struct db *db, struct arena *a, struct case_record *o)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, name, agency, role, contact FROM family_professionals"
		" WHERE family_id = :f ORDER BY id");
	db_bind_int(st, ":f", o->family_id);
	size_t cap = 0;
	struct case_professional *v = NULL;
	while (db_next(st)) {
		if (o->nprofessionals == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
		struct case_professional *p = &v[o->nprofessionals++];
		p->id = db_int(st, 0);
		p->name = dup_or_null(a, st, 1);
		p->agency = dup_or_null(a, st, 2);
		p->role = dup_or_null(a, st, 3);
		p->contact = dup_or_null(a, st, 4);
	}
	int rc = db_finalize(st);
	o->professionals = arena_alloc(a, (o->nprofessionals ? o->nprofessionals : 1) * sizeof *v);
	if (o->nprofessionals)
		memcpy(o->professionals, v, o->nprofessionals * sizeof *v);
	free(v);
	return rc;
}

static int record_consents(struct db *db, struct arena *a, struct case_record *o)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, basis, given_by, given_by_relationship, scope, given_on, withdrawn_on,"
		" withdrawn_reason FROM consents WHERE family_id = :f ORDER BY given_on DESC, id DESC");
	db_bind_int(st, ":f", o->family_id);
	size_t cap = 0;
	struct case_consent *v = NULL;
	while (db_next(st)) {
		if (o->nconsents == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
		struct case_consent *c = &v[o->nconsents++];
		c->id = db_int(st, 0);
		c->basis = dup_or_null(a, st, 1);
		c->given_by = dup_or_null(a, st, 2);
		c->relationship = dup_or_null(a, st, 3);
		c->scope = dup_or_null(a, st, 4);
		c->given_on = dup_or_null(a, st, 5);
		c->withdrawn_on = dup_or_null(a, st, 6);
		c->withdrawn_reason = dup_or_null(a, st, 7);
	}
	int rc = db_finalize(st);
	o->consents = arena_alloc(a, (o->nconsents ? o->nconsents : 1) * sizeof *v);
	if (o->nconsents)
		memcpy(o->consents, v, o->nconsents * sizeof *v);
	free(v);
	if (!rc)
		rc = consent_basis_active(db, o->family_id, "pool", &o->consent_active);
	return rc;
}

int case_record_load(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
		     struct case_record *out, struct errinfo *e)
{
	bool yes = false;
	char idt[24];
	memset(out, 0, sizeof *out);
	snprintf(idt, sizeof idt, "%" PRId64, case_id);
	int rc = case_visible(db, s, case_id, &yes);
	if (rc)
		return rc;
	if (!yes) {
		rc = audit_alone(db, s->who, "denied", "cases", idt,
				 "family record: case outside the caller's scope");
		return rc ? rc : errinfo_set(e, HE_NOT_FOUND, "", "No such case");
	}
	if ((rc = record_case(db, a, case_id, out)) || (rc = record_members(db, a, out)) ||
	    (rc = record_professionals(db, a, out)) || (rc = record_consents(db, a, out)) ||
	    (rc = chronology_all(db, a, out->family_id, out)))
		return rc;
	out->covering = !caps_has(s->caps, CAP_CASES_ALL) && out->worker_id != s->worker_id;
	return audit_alone(db, s->who, "view", "cases", idt,
			   arena_printf(a, "family record %s (%s)%s", out->ref, out->family_ref,
					out->covering ? " (covering for the case's worker)" : ""));
}

/* ---- the list --------------------------------------------------------------- */

static bool status_filter_ok(const char *status)
{
	static const char *const ok[] = {"open", "stepped_up", "closed", "all", NULL};
	for (int i = 0; ok[i]; i++)
		if (strcmp(status, ok[i]) == 0)
			return true;
	return false;
}

#define LIST_MAX 2000

int case_list(struct db *db, struct arena *a, const struct scope *s, int64_t worker_id,
	      const char *status, struct case_summary **out, size_t *n, struct errinfo *e)
{
	char today[11];
	*out = NULL;
	*n = 0;
	if (!status || !*status)
		status = "open";
	if (!status_filter_ok(status))
		return errinfo_set(e, HE_INVALID, "status", "Choose open, stepped up, closed or all");
	bool all = caps_has(s->caps, CAP_CASES_ALL);
	date_format(date_today(), today);
	struct db_stmt *st = db_prepare(db,
		"SELECT c.id, c.worker_id, c.family_id, f.name, w.name, c.status, c.opened_on,"
		" c.next_review_on, c.intensity FROM cases c JOIN families f ON f.id = c.family_id"
		" JOIN workers w ON w.id = c.worker_id"
		" WHERE (:all = 1 OR (:me > 0 AND (c.worker_id = :me OR EXISTS (SELECT 1 FROM"
		" worker_covers v WHERE v.worker_id = :me AND v.for_worker_id = c.worker_id"
		" AND v.starts_on <= :today AND v.ends_on >= :today))))"
		" AND (:worker = 0 OR c.worker_id = :worker)"
		" AND (:status = 'all' OR c.status = :status)"
		" ORDER BY coalesce(c.next_review_on, '9999-12-31'), c.id DESC LIMIT 2000");
	db_bind_int(st, ":all", all ? 1 : 0);
	db_bind_int(st, ":me", caps_has(s->caps, CAP_CASES_OWN) ? s->worker_id : 0);
	db_bind_text(st, ":today", today);
	db_bind_int(st, ":worker", worker_id);
	db_bind_text(st, ":status", status);
	struct case_summary *v = arena_alloc(a, LIST_MAX * sizeof *v);
	while (db_next(st) && *n < LIST_MAX) {
		struct case_summary *c = &v[(*n)++];
		c->id = db_int(st, 0);
		c->worker_id = db_int(st, 1);
		case_ref(c->id, c->ref);
		family_ref(db_int(st, 2), c->family_ref);
		c->family_name = dup_or_null(a, st, 3);
		c->worker_name = dup_or_null(a, st, 4);
		c->status = dup_or_null(a, st, 5);
		c->opened_on = dup_or_null(a, st, 6);
		c->next_review_on = dup_or_null(a, st, 7);
		c->intensity = (int)db_int(st, 8);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	*out = v;
	return audit_alone(db, s->who, "view", "cases", NULL,
			   arena_printf(a, "list of %s cases (%zu)", status, *n));
}
