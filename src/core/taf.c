/* taf.c — Team Around the Family meetings (see taf.h): scheduling,
 * invitations, recording a meeting as held with the actions agreed,
 * cancelling, row scope for workers and invited agency users, and the
 * lists the meeting page, the family page, the agency user's home and
 * the worker's calendar feed read.
 *
 * Every change runs the same way: change_begin opens the transaction,
 * applies row scope (the case must be visible: agency users never change
 * a meeting; anything else is audited "denied" and HE_NOT_FOUND), checks
 * the version the form was shown and that the case is still open; the
 * change itself is an UPDATE ... WHERE version = :version; then one
 * chronology event and one audit row; change_end commits or rolls back. */
#include "core/taf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/chron.h"
#include "core/consent.h"
#include "core/family.h"
#include "core/idem.h"
#include "core/ical.h"
#include "core/plan.h"
#include "core/scope.h"
#include "core/worker.h"
#include "store/db.h"

#define PLACE_MAX 200
#define TEXT_LONG 20000
#define DURATION_DEFAULT 60

/* The SQL test that the family of case alias c shares with the agency
 * user's own professional (:me): "agencies", and "health" or
 * "social_care" for a professional of those services (consent.h).  A
 * withdrawal hides the family from them at once. */
#define SHARED_WITH_ME CONSENT_SQL_PROFESSIONAL_OK("c.family_id", ":me")

const char *taf_status_title(const char *status)
{
	return !status ? "" : strcmp(status, "scheduled") == 0 ? "Scheduled"
		: strcmp(status, "held") == 0 ? "Held" : strcmp(status, "cancelled") == 0
		? "Cancelled" : status;
}

static void now_local(char out[17])
{
	ical_london_now(time(NULL), out);
}

/* The chronology date of arranging or inviting to a meeting at "at":
 * today, or the meeting's own day if that is earlier (a meeting the system
 * records after it was held). */
static void event_day(const char *at, char out[11])
{
	date_format(date_today(), out);
	if (strncmp(at, out, 10) < 0)
		snprintf(out, 11, "%.10s", at);
}

static void now_utc(char out[21])
{
	timestamp_format(time(NULL), out);
}

int taf_meeting_check(const struct meeting_in *in, const char *now, struct errinfo *e)
{
	char at[17], mine[17];
	int rc;
	if (!now) {
		now_local(mine);
		now = mine;
	}
	if (text_blank(in->starts_at))
		return errinfo_set(e, HE_MISSING, "starts_at", "Enter the date and time of the meeting");
	if (!datetime_parse(in->starts_at, at))
		return errinfo_set(e, HE_INVALID, "starts_at",
				   "Enter a real date and time, for example 2026-03-14 at 10:00");
	if (strncmp(at, now, 10) < 0)
		return errinfo_set(e, HE_INVALID, "starts_at",
				   "The meeting must be today or later: record what happened at an earlier"
				   " meeting as a contact");
	if ((rc = text_field_check(in->place, true, PLACE_MAX, "place",
			     "where the meeting is, for example the multi-agency centre at the school", e)))
		return rc;
	if (in->duration_min != 0 && (in->duration_min < 15 || in->duration_min > 480))
		return errinfo_set(e, HE_INVALID, "duration_min",
				   "Enter a length between 15 and 480 minutes");
	return HE_OK;
}

/* ---- row scope ------------------------------------------------------------- */

/* What a change needs of the meeting and its case. */
struct mrow {
	int64_t id, case_id, family_id, case_worker_id, version;
	char status[16], case_status[16], starts_at[17], case_ref[16];
};

static int mrow_load(struct db *db, int64_t id, struct mrow *m)
{
	memset(m, 0, sizeof *m);
	struct db_stmt *st = db_prepare(db,
		"SELECT m.case_id, c.family_id, c.worker_id, m.version, m.status, c.status, m.starts_at"
		" FROM taf_meetings m JOIN cases c ON c.id = m.case_id WHERE m.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		m->id = id;
		m->case_id = db_int(st, 0);
		m->family_id = db_int(st, 1);
		m->case_worker_id = db_int(st, 2);
		m->version = db_int(st, 3);
		snprintf(m->status, sizeof m->status, "%s", db_text(st, 4));
		snprintf(m->case_status, sizeof m->case_status, "%s", db_text(st, 5));
		snprintf(m->starts_at, sizeof m->starts_at, "%s", db_text(st, 6));
	}
	int rc = db_finalize(st);
	case_ref(m->case_id, m->case_ref);
	return rc ? rc : m->id ? HE_OK : HE_NOT_FOUND;
}

/* Is the agency user s invited to meeting id, with the family sharing
 * with their service? */
static int agency_invited(struct db *db, const struct scope *s, int64_t id, bool *yes)
{
	*yes = false;
	if (!caps_has(s->caps, CAP_TAF_ACTIONS_OWN) || s->professional_id <= 0)
		return HE_OK;
	struct db_stmt *st = db_prepare(db,
		"SELECT 1 FROM taf_meetings m JOIN cases c ON c.id = m.case_id"
		" JOIN taf_invitees i ON i.meeting_id = m.id"
		" WHERE m.id = :id AND i.professional_id = :me AND " SHARED_WITH_ME);
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":me", s->professional_id);
	*yes = db_next(st);
	return db_finalize(st);
}

/* The case of meeting id (0 if none). */
static int meeting_case(struct db *db, int64_t id, int64_t *case_id)
{
	*case_id = 0;
	struct db_stmt *st = db_prepare(db, "SELECT case_id FROM taf_meetings WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st))
		*case_id = db_int(st, 0);
	return db_finalize(st);
}

/* *by_case: s sees the case; *by_invite: s sees it only as an invited
 * agency user. */
static int visible_how(struct db *db, const struct scope *s, int64_t id, bool *by_case,
		       bool *by_invite)
{
	int64_t case_id = 0;
	*by_case = *by_invite = false;
	int rc = meeting_case(db, id, &case_id);
	if (rc || !case_id)
		return rc;
	if ((rc = case_visible(db, s, case_id, by_case)) || *by_case)
		return rc;
	return agency_invited(db, s, id, by_invite);
}

int taf_meeting_visible(struct db *db, const struct scope *s, int64_t meeting_id, bool *yes)
{
	bool by_case, by_invite;
	int rc = visible_how(db, s, meeting_id, &by_case, &by_invite);
	*yes = by_case || by_invite;
	return rc;
}

/* ---- the change skeleton ------------------------------------------------------ */

static int audit_meeting(struct db *db, const struct scope *s, const char *action, int64_t id,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int audit_meeting(struct db *db, const struct scope *s, const char *action, int64_t id,
			 const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, "taf_meetings", idt, summary);
}

static int conflict(struct errinfo *e)
{
	return errinfo_set(e, HE_CONFLICT, "version",
		"This meeting was changed by someone else since you opened it. Nothing has been saved:"
		" reload the meeting to see their change, then try again.");
}

/* A change to a case that is not open is refused, with why. */
static int need_open_case(const char *case_status, struct errinfo *e)
{
	if (strcmp(case_status, "open") == 0)
		return HE_OK;
	if (strcmp(case_status, "stepped_up") == 0)
		return errinfo_set(e, HE_CONFLICT, "case", "This case is stepped up to children's social"
				   " care: Team Around the Family meetings cannot be changed. You can still"
				   " read them.");
	return errinfo_set(e, HE_CONFLICT, "case", "This case is closed: Team Around the Family"
			   " meetings cannot be scheduled or changed. You can still read them.");
}

/* The family's "pool" basis (the service may work the case).  Sharing
 * with a professional is consent_need_for_professional's. */
static int need_pool_consent(struct db *db, int64_t family_id, const char *action,
			     struct errinfo *e)
{
	bool yes = false;
	int rc = consent_basis_active(db, family_id, "pool", &yes);
	if (rc == HE_OK && !yes)
		rc = errinfo_set(e, HE_CONFLICT, "consent", "Consent has been withdrawn, so you cannot"
				 " %s. Record a new consent or lawful basis, step the case up, or close"
				 " it.", action);
	return rc;
}

/* Commit the audited denial and answer HE_NOT_FOUND. */
static int denied(struct db *db, const struct scope *s, int64_t id, const char *what,
		  struct errinfo *e)
{
	int rc = audit_meeting(db, s, "denied", id, "%s: meeting %" PRId64
			       " unknown or outside the caller's scope", what, id);
	if (rc == HE_OK && (rc = db_commit(db)) == HE_OK)
		rc = errinfo_set(e, HE_NOT_FOUND, "", "No such meeting");
	db_rollback(db);
	return rc;
}

/* Open the change's transaction and load the meeting into m, if s may
 * change it (it sees the case).  The version must match; the case must
 * be open.  On error no transaction is left open. */
static int change_begin(struct db *db, const struct scope *s, int64_t id, int64_t version,
			const char *what, struct mrow *m, struct errinfo *e)
{
	bool yes = false;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = mrow_load(db, id, m);
	if (rc == HE_NOT_FOUND)
		return denied(db, s, id, what, e);
	if (rc || (rc = case_visible(db, s, m->case_id, &yes)))
		goto fail;
	if (!yes)
		return denied(db, s, id, what, e);
	if (version <= 0) {
		rc = errinfo_set(e, HE_MISSING, "version", "The form did not say which version of the"
				 " meeting it changes: reload the meeting");
		goto fail;
	}
	if (m->version != version) {
		rc = conflict(e);
		goto fail;
	}
	if ((rc = need_open_case(m->case_status, e)))
		goto fail;
	return HE_OK;
fail:
	db_rollback(db);
	return rc;
}

static int change_end(struct db *db, int rc)
{
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

static int need_scheduled(const struct mrow *m, const char *action, struct errinfo *e)
{
	if (strcmp(m->status, "scheduled") == 0)
		return HE_OK;
	return errinfo_set(e, HE_CONFLICT, "status", "You cannot %s: the meeting has been %s", action,
			   strcmp(m->status, "held") == 0 ? "recorded as held" : "cancelled");
}

/* Bump the meeting's version (guarded by the one checked). */
static int bump(struct db *db, const struct mrow *m, struct errinfo *e)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db, "UPDATE taf_meetings SET version = version + 1,"
		" updated_at = :now WHERE id = :id AND version = :v");
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", m->id);
	db_bind_int(st, ":v", m->version);
	int rc = db_done(st);
	if (rc == HE_OK && db_changes(db) == 0)
		rc = conflict(e);
	return rc;
}

/* "14 Mar 2026 at 10:00" */
static void when_words(const char *at, char out[32])
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					     "Aug", "Sep", "Oct", "Nov", "Dec"};
	char d[11];
	hday day;
	int y, mo, dd;
	snprintf(d, sizeof d, "%.10s", at);
	if (strlen(at) < 16 || !date_parse(d, &day)) {
		snprintf(out, 32, "%s", at);
		return;
	}
	date_to_ymd(day, &y, &mo, &dd);
	snprintf(out, 32, "%d %s %d at %.5s", dd, months[mo - 1], y, at + 11);
}

/* ---- scheduling --------------------------------------------------------------- */

/* What scheduling needs of the case. */
struct crow { int64_t id, family_id, worker_id; char status[16], ref[16]; };

static int crow_load(struct db *db, int64_t id, struct crow *c)
{
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db,
		"SELECT family_id, worker_id, status FROM cases WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		c->id = id;
		c->family_id = db_int(st, 0);
		c->worker_id = db_int(st, 1);
		snprintf(c->status, sizeof c->status, "%s", db_text(st, 2));
	}
	case_ref(id, c->ref);
	int rc = db_finalize(st);
	return rc ? rc : c->id ? HE_OK : HE_NOT_FOUND;
}

/* The meeting a form's one-time key already made (idem_lookup). */
#define MEETING_IDEM "SELECT id, case_id, coalesce(created_by, 0) FROM taf_meetings" \
	" WHERE idem_key = :k"

static int meeting_insert(struct db *db, const struct scope *s, const struct crow *c,
			  const struct meeting_in *in, const char *at, int64_t *id)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO taf_meetings (case_id, starts_at, duration_min, place, created_by,"
		" created_at, updated_at, idem_key) VALUES (:case, :at, :dur, :place, :user, :now, :now,"
		" :idem) RETURNING id");
	db_bind_int(st, ":case", c->id);
	db_bind_text(st, ":at", at);
	db_bind_int(st, ":dur", in->duration_min ? in->duration_min : DURATION_DEFAULT);
	db_bind_text(st, ":place", in->place);
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":idem", text_blank(in->idem_key) ? NULL : in->idem_key);
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	/* The case's worker is invited to every meeting of the case. */
	st = db_prepare(db, "INSERT INTO taf_invitees (meeting_id, worker_id, invited_at)"
		" VALUES (:m, :w, :now)");
	db_bind_int(st, ":m", *id);
	db_bind_int(st, ":w", c->worker_id);
	db_bind_text(st, ":now", now);
	return db_done(st);
}

static int schedule_in(struct db *db, const struct scope *s, const struct crow *c,
		       const struct meeting_in *in, int64_t *id, struct errinfo *e)
{
	char at[17], words[32];
	int rc;
	if (!text_blank(in->idem_key) &&
	    ((rc = idem_lookup(db, s, MEETING_IDEM, in->idem_key, c->id, id, e)) || *id))
		return rc ? rc : audit_meeting(db, s, "view", *id, "repeated submission: meeting %"
					       PRId64 " on case %s already scheduled", *id, c->ref);
	if ((rc = need_open_case(c->status, e)) ||
	    (rc = need_pool_consent(db, c->family_id, "schedule a meeting", e)) ||
	    /* The system (the demo, an import of past work) may record
	     * meetings already held: no "today or later" rule for it. */
	    (rc = taf_meeting_check(in, scope_is_system(s) ? "0000-00-00T00:00" : NULL, e)))
		return rc;
	datetime_parse(in->starts_at, at);
	when_words(at, words);
	char today[11], summary[320];
	event_day(at, today);
	snprintf(summary, sizeof summary, "Team Around the Family meeting arranged for %s, %.200s",
		 words, in->place);
	if ((rc = meeting_insert(db, s, c, in, at, id)) ||
	    (rc = chron_add(db, s, c->family_id, 0, c->id, today, "meeting_scheduled", summary, "")))
		return rc;
	return audit_meeting(db, s, "create", *id, "TAF meeting scheduled on case %s for %s", c->ref,
			     at);
}

int taf_schedule(struct db *db, const struct scope *s, int64_t case_id, const struct meeting_in *in,
		 int64_t *id, struct errinfo *e)
{
	struct crow c;
	bool yes = false;
	*id = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = case_visible(db, s, case_id, &yes)))
		return change_end(db, rc);
	if (!yes) {
		char idt[24];
		snprintf(idt, sizeof idt, "%" PRId64, case_id);
		rc = audit(db, s->who, "denied", "cases", idt, "schedule a TAF meeting: case outside"
			   " the caller's scope");
		if ((rc = change_end(db, rc)) == HE_OK)
			rc = errinfo_set(e, HE_NOT_FOUND, "", "No such case");
		return rc;
	}
	if ((rc = crow_load(db, case_id, &c)))
		return change_end(db, rc);
	rc = change_end(db, schedule_in(db, s, &c, in, id, e));
	if (rc == HE_DB_CONSTRAINT && !text_blank(in->idem_key))
		/* The same form submitted twice at once: the other insert won. */
		rc = idem_again(db, s, MEETING_IDEM, in->idem_key, case_id, "taf_meetings",
				"a meeting", id, e);
	return rc;
}

/* ---- invitations ------------------------------------------------------------- */

/* Who an invitee is, for the chronology: *name (into out).  HE_INVALID
 * naming "invitee" when not a valid choice for this family. */
static int invitee_name(struct db *db, const struct mrow *m, int64_t prof, int64_t member,
			int64_t worker, char *out, size_t outlen, struct errinfo *e)
{
	struct db_stmt *st;
	if (prof) {
		st = db_prepare(db, "SELECT p.name || ' (' || a.name || ')' FROM professionals p"
				" JOIN agencies a ON a.id = p.agency_id WHERE p.id = :id AND p.active = 1");
		db_bind_int(st, ":id", prof);
	} else if (member) {
		st = db_prepare(db, "SELECT name FROM family_members WHERE id = :id AND family_id = :f");
		db_bind_int(st, ":id", member);
		db_bind_int(st, ":f", m->family_id);
	} else {
		st = db_prepare(db, "SELECT name FROM workers WHERE id = :id AND active = 1");
		db_bind_int(st, ":id", worker);
	}
	bool found = db_next(st);
	if (found)
		snprintf(out, outlen, "%s", db_text(st, 0));
	int rc = db_finalize(st);
	if (rc == HE_OK && !found)
		rc = errinfo_set(e, HE_INVALID, "invitee", prof ? "Choose a current professional from"
				 " the directory" : member ? "Choose a member of this family"
				 : "Choose a current worker");
	return rc;
}

static int already_invited(struct db *db, int64_t meeting, int64_t prof, int64_t member,
			   int64_t worker, bool *yes)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM taf_invitees WHERE meeting_id = :m AND"
		" (professional_id = :p OR member_id = :f OR worker_id = :w)");
	db_bind_int(st, ":m", meeting);
	db_bind_int(st, ":p", prof ? prof : -1);
	db_bind_int(st, ":f", member ? member : -1);
	db_bind_int(st, ":w", worker ? worker : -1);
	*yes = db_next(st);
	return db_finalize(st);
}

static int invitee_insert(struct db *db, int64_t meeting, int64_t prof, int64_t member,
			  int64_t worker)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO taf_invitees (meeting_id, professional_id,"
		" member_id, worker_id, invited_at) VALUES (:m, :p, :f, :w, :now)");
	db_bind_int(st, ":m", meeting);
	if (prof) db_bind_int(st, ":p", prof); else db_bind_null(st, ":p");
	if (member) db_bind_int(st, ":f", member); else db_bind_null(st, ":f");
	if (worker) db_bind_int(st, ":w", worker); else db_bind_null(st, ":w");
	db_bind_text(st, ":now", now);
	return db_done(st);
}

static int invite_in(struct db *db, const struct scope *s, const struct mrow *m, int64_t prof,
		     int64_t member, int64_t worker, struct errinfo *e)
{
	char name[300], words[32], today[11];
	bool dup = false;
	int rc;
	if ((prof > 0) + (member > 0) + (worker > 0) != 1 || prof < 0 || member < 0 || worker < 0)
		return errinfo_set(e, HE_MISSING, "invitee", "Choose one person to invite: a professional"
				   " from the directory, a member of the family or a worker");
	if ((rc = need_scheduled(m, "invite anyone", e)))
		return rc;
	if (prof && (rc = consent_need_for_professional(db, m->family_id, prof,
							"invite this professional", e)))
		return rc;
	if ((rc = invitee_name(db, m, prof, member, worker, name, sizeof name, e)) ||
	    (rc = already_invited(db, m->id, prof, member, worker, &dup)))
		return rc;
	if (dup)
		return errinfo_set(e, HE_CONFLICT, "invitee", "%s is already invited to this meeting", name);
	when_words(m->starts_at, words);
	event_day(m->starts_at, today);
	char summary[400];
	snprintf(summary, sizeof summary, "%s invited to the Team Around the Family meeting on %s",
		 name, words);
	if ((rc = invitee_insert(db, m->id, prof, member, worker)) || (rc = bump(db, m, e)) ||
	    (rc = chron_add(db, s, m->family_id, 0, m->case_id, today, "note", summary, "")))
		return rc;
	return audit_meeting(db, s, "update", m->id, "invited %s %" PRId64 " to TAF meeting on case %s",
			     prof ? "professional" : member ? "family member" : "worker",
			     prof ? prof : member ? member : worker, m->case_ref);
}

int taf_invite(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
	       int64_t professional_id, int64_t member_id, int64_t worker_id, struct errinfo *e)
{
	struct mrow m;
	int rc = change_begin(db, s, meeting_id, version, "invite to TAF meeting", &m, e);
	if (rc)
		return rc;
	return change_end(db, invite_in(db, s, &m, professional_id, member_id, worker_id, e));
}

/* ---- recording the meeting ------------------------------------------------------ */

static int attendance(struct db *db, const struct mrow *m, const int64_t *ids, size_t n,
		      size_t *ninvited, struct errinfo *e)
{
	struct db_stmt *st = db_prepare(db, "UPDATE taf_invitees SET attended = 0 WHERE meeting_id = :m");
	db_bind_int(st, ":m", m->id);
	int rc = db_done(st);
	*ninvited = rc == HE_OK ? (size_t)db_changes(db) : 0;
	for (size_t i = 0; rc == HE_OK && i < n; i++) {
		st = db_prepare(db, "UPDATE taf_invitees SET attended = 1 WHERE id = :id AND meeting_id = :m");
		db_bind_int(st, ":id", ids[i]);
		db_bind_int(st, ":m", m->id);
		if ((rc = db_done(st)) == HE_OK && db_changes(db) == 0)
			rc = errinfo_set(e, HE_INVALID, "attended", "Choose who attended from the people"
					 " invited to this meeting");
	}
	return rc;
}

/* Prefix the field of an error from the plan with "actions[i]." etc. */
static int sub_error(int rc, struct errinfo *e, const char *list, size_t i)
{
	if (rc == HE_OK || rc == HE_INTERNAL || rc >= HE_DB || !e)
		return rc;
	char field[64];
	snprintf(field, sizeof field, "%s[%zu]%s%.40s", list, i, *e->field ? "." : "", e->field);
	snprintf(e->field, sizeof e->field, "%s", field);
	return rc;
}

static int record_actions(struct db *db, const struct scope *s, const struct mrow *m,
			  const struct action_in *actions, size_t nactions,
			  const struct review_progress *updates, size_t nupdates,
			  const char *today, struct errinfo *e)
{
	int rc = HE_OK;
	for (size_t i = 0; rc == HE_OK && i < nactions; i++) {
		int64_t aid = 0;
		rc = sub_error(plan_action_add_tx(db, s, m->case_id, m->id, &actions[i], &aid, e), e,
			       "actions", i);
	}
	for (size_t i = 0; rc == HE_OK && i < nupdates; i++) {
		const struct review_progress *u = &updates[i];
		bool ours = false;
		struct db_stmt *st = db_prepare(db, "SELECT 1 FROM plan_actions WHERE id = :id AND case_id = :c");
		db_bind_int(st, ":id", u->action_id);
		db_bind_int(st, ":c", m->case_id);
		ours = db_next(st);
		if ((rc = db_finalize(st)))
			break;
		if (!ours) {
			rc = sub_error(errinfo_set(e, HE_INVALID, "action", "Choose an action of this family's"
						   " plan"), e, "updates", i);
			break;
		}
		rc = sub_error(plan_action_update_tx(db, s, u->action_id, u->version, u->status,
						     u->progress, today, 0, m->id, e), e, "updates", i);
	}
	return rc;
}

static int held_update(struct db *db, const struct mrow *m, const char *minutes,
		       const char *decisions, struct errinfo *e)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db, "UPDATE taf_meetings SET status = 'held',"
		" minutes = :minutes, decisions = :decisions, version = version + 1, updated_at = :now"
		" WHERE id = :id AND version = :v");
	db_bind_text(st, ":minutes", minutes);
	db_bind_text(st, ":decisions", decisions ? decisions : "");
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", m->id);
	db_bind_int(st, ":v", m->version);
	int rc = db_done(st);
	if (rc == HE_OK && db_changes(db) == 0)
		rc = conflict(e);
	return rc;
}

static int record_in(struct db *db, const struct scope *s, const struct mrow *m,
		     const int64_t *ids, size_t n, const char *minutes, const char *decisions,
		     const struct action_in *actions, size_t nactions,
		     const struct review_progress *updates, size_t nupdates, struct errinfo *e)
{
	char now[17], day[11], words[32], summary[300];
	size_t ninvited = 0;
	int rc;
	now_local(now);
	if ((rc = need_scheduled(m, "record the meeting", e)))
		return rc;
	if (strcmp(m->starts_at, now) > 0)
		return errinfo_set(e, HE_INVALID, "starts_at", "The meeting has not started yet: record it"
				   " once it has taken place");
	if (n == 0)
		return errinfo_set(e, HE_MISSING, "attended", "Record who attended: a meeting with no"
				   " attendee cannot be recorded as held (cancel it instead)");
	if ((rc = text_field_check(minutes, true, TEXT_LONG, "minutes", "the minutes of the meeting", e)) ||
	    (rc = text_field_check(decisions, false, TEXT_LONG, "decisions", "the decisions", e)) ||
	    (rc = attendance(db, m, ids, n, &ninvited, e)))
		return rc;
	snprintf(day, sizeof day, "%.10s", m->starts_at);
	if ((rc = record_actions(db, s, m, actions, nactions, updates, nupdates, day, e)) ||
	    (rc = held_update(db, m, minutes, decisions, e)))
		return rc;
	when_words(m->starts_at, words);
	snprintf(summary, sizeof summary, "Team Around the Family meeting held on %s: %zu of %zu"
		 " invited attended, %zu action%s agreed", words, n, ninvited, nactions,
		 nactions == 1 ? "" : "s");
	if ((rc = chron_add(db, s, m->family_id, 0, m->case_id, day, "meeting_held", summary,
			    decisions ? decisions : "")))
		return rc;
	return audit_meeting(db, s, "update", m->id, "TAF meeting on case %s recorded as held: %zu"
			     " attended, %zu actions agreed, %zu updated", m->case_ref, n, nactions,
			     nupdates);
}

int taf_record_ex(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
		  const int64_t *attended_invitee_ids, size_t n, const char *minutes,
		  const char *decisions, const struct action_in *new_actions, size_t nactions,
		  const struct review_progress *updates, size_t nupdates, struct errinfo *e)
{
	struct mrow m;
	int rc = change_begin(db, s, meeting_id, version, "record TAF meeting", &m, e);
	if (rc)
		return rc;
	return change_end(db, record_in(db, s, &m, attended_invitee_ids, n, minutes, decisions,
					new_actions, nactions, updates, nupdates, e));
}

int taf_record(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
	       const int64_t *attended_invitee_ids, size_t n, const char *minutes, const char *decisions,
	       const struct action_in *new_actions, size_t nactions, struct errinfo *e)
{
	return taf_record_ex(db, s, meeting_id, version, attended_invitee_ids, n, minutes, decisions,
			     new_actions, nactions, NULL, 0, e);
}

/* ---- cancelling ---------------------------------------------------------------- */

static int cancel_in(struct db *db, const struct scope *s, const struct mrow *m,
		     const char *reason, struct errinfo *e)
{
	char now[21], today[11], words[32], summary[300];
	int rc;
	if ((rc = need_scheduled(m, "cancel the meeting", e)) ||
	    (rc = text_field_check(reason, true, TEXT_LONG, "reason", "why the meeting is cancelled", e)))
		return rc;
	now_utc(now);
	struct db_stmt *st = db_prepare(db, "UPDATE taf_meetings SET status = 'cancelled',"
		" minutes = :reason, version = version + 1, updated_at = :now"
		" WHERE id = :id AND version = :v");
	db_bind_text(st, ":reason", reason);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", m->id);
	db_bind_int(st, ":v", m->version);
	if ((rc = db_done(st)) == HE_OK && db_changes(db) == 0)
		rc = conflict(e);
	if (rc)
		return rc;
	when_words(m->starts_at, words);
	date_format(date_today(), today);
	snprintf(summary, sizeof summary, "Team Around the Family meeting of %s cancelled", words);
	if ((rc = chron_add(db, s, m->family_id, 0, m->case_id, today, "meeting_cancelled", summary,
			    reason)))
		return rc;
	return audit_meeting(db, s, "update", m->id, "TAF meeting on case %s cancelled", m->case_ref);
}

int taf_cancel(struct db *db, const struct scope *s, int64_t meeting_id, int64_t version,
	       const char *reason, struct errinfo *e)
{
	struct mrow m;
	int rc = change_begin(db, s, meeting_id, version, "cancel TAF meeting", &m, e);
	if (rc)
		return rc;
	return change_end(db, cancel_in(db, s, &m, reason, e));
}

/* ---- reading ------------------------------------------------------------------ */

static const char *dup(struct arena *a, struct db_stmt *st, int col)
{
	return db_is_null(st, col) ? NULL : arena_strdup(a, db_text(st, col));
}

/* A growing array in an arena. */
static void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *more = arena_alloc(a, ncap * size);
	if (n)
		memcpy(more, v, n * size);
	*cap = ncap;
	return more;
}

static int meeting_row(struct db *db, struct arena *a, int64_t id, struct taf_meeting *o)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT m.case_id, c.family_id, m.version, f.name, m.starts_at, m.place, m.status,"
		" m.minutes, m.decisions, u.name, m.updated_at, m.duration_min, c.status"
		" FROM taf_meetings m JOIN cases c ON c.id = m.case_id"
		" JOIN families f ON f.id = c.family_id LEFT JOIN users u ON u.id = m.created_by"
		" WHERE m.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		o->id = id;
		o->case_id = db_int(st, 0);
		o->family_id = db_int(st, 1);
		o->version = db_int(st, 2);
		o->family_name = dup(a, st, 3);
		o->starts_at = dup(a, st, 4);
		o->place = dup(a, st, 5);
		o->status = dup(a, st, 6);
		o->minutes = dup(a, st, 7);
		o->decisions = dup(a, st, 8);
		o->created_by = dup(a, st, 9);
		o->updated_at = dup(a, st, 10);
		o->duration_min = (int)db_int(st, 11);
		o->case_open = strcmp(db_text(st, 12), "open") == 0;
	}
	int rc = db_finalize(st);
	case_ref(o->case_id, o->case_ref);
	family_ref(o->family_id, o->family_ref);
	return rc ? rc : o->id ? HE_OK : HE_NOT_FOUND;
}

static int meeting_invitees(struct db *db, struct arena *a, struct taf_meeting *o)
{
	size_t cap = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT i.id, i.professional_id, i.member_id, i.worker_id, i.attended,"
		" coalesce(p.name, fm.name, w.name), p.role, ag.name, fm.relationship, w.kind,"
		" CASE WHEN i.professional_id IS NULL OR "
		CONSENT_SQL_AGENCY_OK(":f", "ag.kind") " THEN 1 ELSE 0 END"
		" FROM taf_invitees i LEFT JOIN professionals p ON p.id = i.professional_id"
		" LEFT JOIN agencies ag ON ag.id = p.agency_id"
		" LEFT JOIN family_members fm ON fm.id = i.member_id"
		" LEFT JOIN workers w ON w.id = i.worker_id"
		" WHERE i.meeting_id = :m ORDER BY (i.worker_id IS NULL), (i.member_id IS NULL), i.id");
	db_bind_int(st, ":m", o->id);
	db_bind_int(st, ":f", o->family_id);
	while (db_next(st)) {
		o->invitees = grow(a, o->invitees, o->ninvitees, &cap, sizeof *o->invitees);
		struct taf_invitee *v = &o->invitees[o->ninvitees++];
		v->id = db_int(st, 0);
		v->professional_id = db_is_null(st, 1) ? 0 : db_int(st, 1);
		v->member_id = db_is_null(st, 2) ? 0 : db_int(st, 2);
		v->worker_id = db_is_null(st, 3) ? 0 : db_int(st, 3);
		v->attended = db_is_null(st, 4) ? -1 : (int)db_int(st, 4);
		v->name = dup(a, st, 5);
		v->not_shared = db_int(st, 10) == 0;
		if (v->professional_id) {
			v->kind = "professional";
			const char *role = db_text(st, 6);
			v->role = role && *role ? arena_printf(a, "%s, %s", role, db_text(st, 7))
				: dup(a, st, 7);
		} else if (v->member_id) {
			v->kind = "member";
			v->role = dup(a, st, 8);
		} else {
			v->kind = "worker";
			const char *t = worker_kind_title(db_text(st, 9));
			v->role = t ? t : "Worker";
		}
	}
	return db_finalize(st);
}

/* The actions agreed at the meeting (agency view: only s's own). */
static int meeting_actions(struct db *db, struct arena *a, const struct scope *s,
			   struct taf_meeting *o)
{
	struct plan_action *all;
	size_t n, cap = 0;
	int rc = plan_actions(db, a, o->case_id, &all, &n);
	for (size_t i = 0; rc == HE_OK && i < n; i++) {
		const struct plan_action *p = &all[i];
		if (p->meeting_id != o->id ||
		    (o->agency_view && p->owner_professional_id != s->professional_id))
			continue;
		o->actions = grow(a, o->actions, o->nactions, &cap, sizeof *o->actions);
		struct taf_action *t = &o->actions[o->nactions++];
		t->id = p->id;
		t->case_id = p->case_id;
		t->version = p->version;
		t->meeting_id = p->meeting_id;
		t->owner_professional_id = p->owner_professional_id;
		memcpy(t->case_ref, o->case_ref, sizeof t->case_ref);
		memcpy(t->family_ref, o->family_ref, sizeof t->family_ref);
		t->family_name = o->family_name;
		t->description = p->description;
		t->need = p->need_title ? p->need_title : p->need;
		t->owner_kind = p->owner_kind;
		t->owner_name = p->owner_name;
		t->due_on = p->due_on;
		t->status = p->status;
		t->progress = p->last_progress ? p->last_progress : "";
		t->overdue = p->overdue_days > 0;
	}
	return rc;
}

int taf_meeting_load(struct db *db, struct arena *a, const struct scope *s, int64_t meeting_id,
		     struct taf_meeting *out, struct errinfo *e)
{
	bool by_case = false, by_invite = false;
	char idt[24];
	memset(out, 0, sizeof *out);
	snprintf(idt, sizeof idt, "%" PRId64, meeting_id);
	int rc = visible_how(db, s, meeting_id, &by_case, &by_invite);
	if (rc)
		return rc;
	if (!by_case && !by_invite) {
		rc = audit_alone(db, s->who, "denied", "taf_meetings", idt,
				 "TAF meeting unknown or outside the caller's scope");
		return rc ? rc : errinfo_set(e, HE_NOT_FOUND, "", "No such meeting");
	}
	out->agency_view = !by_case;
	bool ok = false, health = false, social = false;
	if ((rc = meeting_row(db, a, meeting_id, out)) || (rc = meeting_invitees(db, a, out)) ||
	    (rc = meeting_actions(db, a, s, out)) ||
	    (rc = consent_agency_active(db, out->family_id, "other", &ok, NULL)) ||
	    (rc = consent_agency_active(db, out->family_id, "school_nursing", &health, NULL)) ||
	    (rc = consent_agency_active(db, out->family_id, "social_care", &social, NULL)))
		return rc;
	out->can_invite_agencies = ok;
	out->can_invite_health = health;
	out->can_invite_social_care = social;
	return audit_alone(db, s->who, "view", "taf_meetings", idt,
			   arena_printf(a, "TAF meeting on case %s%s", out->case_ref,
					out->agency_view ? " (as an invited agency)" : ""));
}

#define SUMMARY_COLS "SELECT m.id, m.case_id, m.version, c.family_id, f.name, m.starts_at," \
	" m.place, m.status, m.duration_min," \
	" (SELECT count(*) FROM taf_invitees i WHERE i.meeting_id = m.id)," \
	" (SELECT count(*) FROM taf_invitees i WHERE i.meeting_id = m.id AND i.attended = 1)" \
	" FROM taf_meetings m JOIN cases c ON c.id = m.case_id JOIN families f ON f.id = c.family_id "

static void summary_row(struct arena *a, struct db_stmt *st, struct taf_summary *o)
{
	o->id = db_int(st, 0);
	o->case_id = db_int(st, 1);
	o->version = db_int(st, 2);
	case_ref(o->case_id, o->case_ref);
	family_ref(db_int(st, 3), o->family_ref);
	o->family_name = dup(a, st, 4);
	o->starts_at = dup(a, st, 5);
	o->place = dup(a, st, 6);
	o->status = dup(a, st, 7);
	o->duration_min = (int)db_int(st, 8);
	o->ninvited = (int)db_int(st, 9);
	o->nattended = (int)db_int(st, 10);
}

/* Read a summary list from a prepared statement. */
static int summaries(struct arena *a, struct db_stmt *st, struct taf_summary **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (db_next(st)) {
		*out = grow(a, *out, *n, &cap, sizeof **out);
		summary_row(a, st, &(*out)[(*n)++]);
	}
	return db_finalize(st);
}

int taf_case_meetings(struct db *db, struct arena *a, int64_t case_id,
		      struct taf_summary **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, SUMMARY_COLS "WHERE m.case_id = :c"
		" ORDER BY (m.status <> 'scheduled'),"
		" CASE WHEN m.status = 'scheduled' THEN m.starts_at END,"
		" m.starts_at DESC, m.id DESC");
	db_bind_int(st, ":c", case_id);
	return summaries(a, st, out, n);
}

static int agency_actions(struct db *db, struct arena *a, const struct scope *s,
			  struct taf_action **out, size_t *n)
{
	char today[11];
	size_t cap = 0;
	date_format(date_today(), today);
	*out = NULL;
	*n = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT pa.id, pa.case_id, pa.version, coalesce(pa.meeting_id, 0), c.family_id, f.name,"
		" pa.description, pa.need, pa.due_on, pa.status,"
		" (SELECT u.progress FROM action_updates u WHERE u.action_id = pa.id"
		"  ORDER BY u.on_date DESC, u.id DESC LIMIT 1)"
		" FROM plan_actions pa JOIN cases c ON c.id = pa.case_id"
		" JOIN families f ON f.id = c.family_id"
		" WHERE pa.owner_professional_id = :me AND c.status = 'open' AND " SHARED_WITH_ME
		" ORDER BY (pa.status IN ('done','dropped')),"
		" (pa.due_on < :today AND pa.status NOT IN ('done','dropped')) DESC, pa.due_on, pa.id");
	db_bind_int(st, ":me", s->professional_id);
	db_bind_text(st, ":today", today);
	while (db_next(st)) {
		*out = grow(a, *out, *n, &cap, sizeof **out);
		struct taf_action *t = &(*out)[(*n)++];
		t->id = db_int(st, 0);
		t->case_id = db_int(st, 1);
		t->version = db_int(st, 2);
		t->meeting_id = db_int(st, 3);
		t->owner_professional_id = s->professional_id;
		case_ref(t->case_id, t->case_ref);
		family_ref(db_int(st, 4), t->family_ref);
		t->family_name = dup(a, st, 5);
		t->description = dup(a, st, 6);
		t->need = plan_need_title(db, a, db_text(st, 7));
		t->owner_kind = "agency";
		t->due_on = dup(a, st, 8);
		t->status = dup(a, st, 9);
		t->progress = db_is_null(st, 10) ? "" : dup(a, st, 10);
		t->overdue = strcmp(t->due_on, today) < 0 && plan_status_open(t->status) &&
			strcmp(t->status, "done") != 0;
	}
	return db_finalize(st);
}

int taf_agency_home(struct db *db, struct arena *a, const struct scope *s,
		    struct taf_summary **meetings, size_t *nmeetings,
		    struct taf_action **actions, size_t *nactions, struct errinfo *e)
{
	char now[17];
	(void)e;
	*meetings = NULL;
	*actions = NULL;
	*nmeetings = *nactions = 0;
	if (!caps_has(s->caps, CAP_TAF_ACTIONS_OWN) || s->professional_id <= 0)
		return audit_alone(db, s->who, "view", "taf_meetings", NULL,
				   "agency home: the sign-in is not linked to a professional");
	now_local(now);
	struct db_stmt *st = db_prepare(db, SUMMARY_COLS
		"JOIN taf_invitees iv ON iv.meeting_id = m.id AND iv.professional_id = :me"
		" WHERE " SHARED_WITH_ME
		" ORDER BY (m.status <> 'scheduled' OR m.starts_at < :now),"
		" CASE WHEN m.status = 'scheduled' AND m.starts_at >= :now THEN m.starts_at END,"
		" m.starts_at DESC, m.id DESC");
	db_bind_int(st, ":me", s->professional_id);
	db_bind_text(st, ":now", now);
	int rc = summaries(a, st, meetings, nmeetings);
	if (rc || (rc = agency_actions(db, a, s, actions, nactions)))
		return rc;
	return audit_alone(db, s->who, "view", "taf_meetings", NULL,
			   arena_printf(a, "agency home: %zu meetings, %zu actions", *nmeetings,
					*nactions));
}

int taf_worker_meetings(struct db *db, struct arena *a, int64_t worker_id, const char *from_local,
			struct taf_summary **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, SUMMARY_COLS
		"WHERE m.status = 'scheduled' AND c.status = 'open' AND m.starts_at >= :from"
		" AND (c.worker_id = :w OR EXISTS (SELECT 1 FROM taf_invitees i"
		" WHERE i.meeting_id = m.id AND i.worker_id = :w))"
		" ORDER BY m.starts_at, m.id");
	db_bind_int(st, ":w", worker_id);
	db_bind_text(st, ":from", from_local);
	return summaries(a, st, out, n);
}
