/* plan.c — the family's plan (see plan.h): actions with one owner each,
 * their history of progress, reviews on the case's cycle, and what is
 * overdue.
 *
 * Changes follow case.c's pattern: row scope first (a record outside it is
 * audited "denied" and is HE_NOT_FOUND), then the case must be open, then
 * the version the form was rendered with; updates are UPDATE … WHERE
 * version = :version so a second editor changes nothing and gets
 * HE_CONFLICT.  Each change writes a chronology event and one audit row in
 * the same transaction as the change. */
#include "core/plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/assess.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/chron.h"
#include "core/consent.h"
#include "core/idem.h"
#include "core/referral.h"
#include "core/scope.h"
#include "core/settings.h"
#include "store/db.h"

#define DESCRIPTION_MAX 2000
#define PROGRESS_MAX 5000
#define REVIEW_TEXT_MAX 10000
#define DUE_MAX_DAYS 731        /* an action is due within two years (a typo guard) */
#define NEXT_REVIEW_MAX_DAYS 366
#define OVERDUE_LIMIT 200

const char *const plan_statuses[] = {"not_started", "in_progress", "done", "not_done", "dropped", NULL};
static const char *const status_titles[] = {"Not started", "In progress", "Done", "Not done",
					    "Dropped", NULL};
static const char *const owner_kinds[] = {"family", "worker", "agency", NULL};

/* ---- small helpers --------------------------------------------------------- */

static int list_index(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

const char *plan_status_title(const char *status)
{
	int i = list_index(plan_statuses, status);
	return i >= 0 ? status_titles[i] : status ? status : "";
}

bool plan_status_known(const char *status)
{
	return list_index(plan_statuses, status) >= 0;
}

bool plan_status_open(const char *status)
{
	return plan_status_known(status) && strcmp(status, "done") != 0 &&
	       strcmp(status, "dropped") != 0;
}

static void now_utc(char out[21])
{
	timestamp_format(time(NULL), out);
}

static void today_str(char out[11])
{
	date_format(date_today(), out);
}

/* on (NULL/"": today) as a date: not in the future, not before not_before
 * (may be ""). */
static int past_date(const char *on, const char *field, const char *not_before,
		     const char *what_before, char out[11], struct errinfo *e)
{
	hday d = date_today(), nb;
	if (on && *on && !date_parse(on, &d))
		return errinfo_set(e, HE_INVALID, field, "Enter a real date, for example 2026-03-14");
	if (d > date_today())
		return errinfo_set(e, HE_INVALID, field, "The date cannot be in the future");
	if (not_before && *not_before && date_parse(not_before, &nb) && d < nb)
		return errinfo_set(e, HE_INVALID, field, "The date cannot be before %s (%s)",
				   what_before, not_before);
	date_format(d, out);
	return HE_OK;
}

static int audit_row(struct db *db, const struct scope *s, const char *action, const char *entity,
		     int64_t id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int audit_row(struct db *db, const struct scope *s, const char *action, const char *entity,
		     int64_t id, const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, entity, idt, summary);
}

/* A denial: audited in the current transaction; HE_NOT_FOUND. */
static int denied(struct db *db, const struct scope *s, const char *entity, int64_t id,
		  const char *what, struct errinfo *e)
{
	int rc = audit_row(db, s, "denied", entity, id, "%s: %s %" PRId64 " outside the caller's scope",
			   what, entity, id);
	return rc ? rc : errinfo_set(e, HE_NOT_FOUND, "", "No such record");
}

/* ---- the case a change concerns ----------------------------------------------- */

struct pcase {
	int64_t id, family_id, referral_id, worker_id, version;
	char status[16], opened_on[11], next_review_on[11];
};

static int pcase_load(struct db *db, int64_t id, struct pcase *c)
{
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db,
		"SELECT family_id, referral_id, worker_id, version, status, opened_on,"
		" coalesce(next_review_on, '') FROM cases WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		c->id = id;
		c->family_id = db_int(st, 0);
		c->referral_id = db_int(st, 1);
		c->worker_id = db_int(st, 2);
		c->version = db_int(st, 3);
		snprintf(c->status, sizeof c->status, "%s", db_text(st, 4));
		snprintf(c->opened_on, sizeof c->opened_on, "%s", db_text(st, 5));
		snprintf(c->next_review_on, sizeof c->next_review_on, "%s", db_text(st, 6));
	}
	int rc = db_finalize(st);
	return rc ? rc : c->id ? HE_OK : HE_NOT_FOUND;
}

/* Changes to the plan need an open case. */
static int need_open(const struct pcase *c, struct errinfo *e)
{
	if (strcmp(c->status, "open") == 0)
		return HE_OK;
	if (strcmp(c->status, "stepped_up") == 0)
		return errinfo_set(e, HE_CONFLICT, "case", "This case has been stepped up to children's "
				   "social care: its plan can be read but not changed");
	return errinfo_set(e, HE_CONFLICT, "case", "This case is closed: its plan can be read but "
			   "not changed");
}

static int version_conflict(struct errinfo *e, const char *what)
{
	return errinfo_set(e, HE_CONFLICT, "version", "This %s was changed by someone else since you "
			   "opened it. Nothing has been saved: reload the page to see their change, then "
			   "try again.", what);
}

/* ---- needs and owners ----------------------------------------------------------- */

static bool referral_need_known(const char *code)
{
	for (int i = 0; code && referral_needs[i].code; i++)
		if (strcmp(referral_needs[i].code, code) == 0)
			return true;
	return false;
}

static int domain_title(struct db *db, const char *code, char *out, size_t outlen, bool *found)
{
	*found = false;
	struct db_stmt *st = db_prepare(db, "SELECT title FROM assessment_domains WHERE code = :code");
	db_bind_text(st, ":code", code);
	if (db_next(st)) {
		*found = true;
		snprintf(out, outlen, "%s", db_text(st, 0));
	}
	return db_finalize(st);
}

const char *plan_need_title(struct db *db, struct arena *a, const char *code)
{
	char t[200];
	bool found = false;
	if (!code)
		return "";
	if (referral_need_known(code))
		return referral_need_title(code);
	if (domain_title(db, code, t, sizeof t, &found) == HE_OK && found)
		return arena_strdup(a, t);
	return code;
}

static int need_check(struct db *db, const char *need, struct errinfo *e)
{
	char t[200];
	bool found = false;
	if (text_blank(need))
		return errinfo_set(e, HE_MISSING, "need", "Choose the need this action addresses");
	if (referral_need_known(need))
		return HE_OK;
	int rc = domain_title(db, need, t, sizeof t, &found);
	if (rc == HE_OK && !found)
		rc = errinfo_set(e, HE_INVALID, "need", "Choose the need this action addresses from the list");
	return rc;
}

/* One row exists for sql with :id (and :family when family_id > 0). */
static int row_exists(struct db *db, const char *sql, int64_t id, int64_t family_id, bool *yes)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	if (family_id > 0)
		db_bind_int(st, ":family", family_id);
	*yes = db_next(st);
	return db_finalize(st);
}

static int owner_check(struct db *db, int64_t family_id, const struct action_in *in, struct errinfo *e)
{
	int k = list_index(owner_kinds, in->owner_kind);
	if (text_blank(in->owner_kind))
		return errinfo_set(e, HE_MISSING, "owner", "Choose who will do this: a member of the "
				   "family, a worker or another service");
	if (k < 0)
		return errinfo_set(e, HE_INVALID, "owner", "Choose who will do this from the list");
	int64_t ids[3] = {in->owner_member_id, in->owner_worker_id, in->owner_professional_id};
	for (int i = 0; i < 3; i++)
		if ((i == k) != (ids[i] > 0))
			return errinfo_set(e, i == k ? HE_MISSING : HE_INVALID, "owner",
					   "Choose exactly one person who will do this");
	static const char *const sql[] = {
		"SELECT 1 FROM family_members WHERE id = :id AND family_id = :family",
		"SELECT 1 FROM workers WHERE id = :id AND active = 1",
		"SELECT 1 FROM professionals WHERE id = :id AND active = 1",
	};
	static const char *const msg[] = {
		"Choose a member of this family", "Choose a worker from the pool",
		"Choose a professional from the directory",
	};
	bool yes = false;
	int rc = row_exists(db, sql[k], ids[k], k == 0 ? family_id : 0, &yes);
	if (rc == HE_OK && !yes)
		rc = errinfo_set(e, HE_INVALID, "owner", "%s", msg[k]);
	return rc;
}

/* past_ok: the system (the demo, an import of past work) may record an
 * action agreed in the past, now overdue; people may not. */
static int due_check(const char *due_on, bool past_ok, char out[11], struct errinfo *e)
{
	hday d;
	if (text_blank(due_on))
		return errinfo_set(e, HE_MISSING, "due_on", "Enter the date this should be done by");
	if (!date_parse(due_on, &d))
		return errinfo_set(e, HE_INVALID, "due_on", "Enter a real date, for example 2026-03-14");
	if (d < date_today() && !past_ok)
		return errinfo_set(e, HE_INVALID, "due_on", "The date it is due by cannot be in the past");
	if (d > date_today() + DUE_MAX_DAYS)
		return errinfo_set(e, HE_INVALID, "due_on", "The date it is due by must be within two years");
	date_format(d, out);
	return HE_OK;
}

static int action_check(struct db *db, int64_t case_id, const struct action_in *in, bool past_ok,
			struct errinfo *e)
{
	struct pcase c;
	char due[11];
	int rc = pcase_load(db, case_id, &c);
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such case");
	if (rc)
		return rc;
	if ((rc = text_field_check(in->description, true, DESCRIPTION_MAX, "description",
			     "what will be done, by whom and by when", e)))
		return rc;
	if ((rc = need_check(db, in->need, e)))
		return rc;
	if ((rc = owner_check(db, c.family_id, in, e)))
		return rc;
	return due_check(in->due_on, past_ok, due, e);
}

int plan_action_check(struct db *db, int64_t case_id, const struct action_in *in, struct errinfo *e)
{
	return action_check(db, case_id, in, false, e);
}

/* "Kim Hall" / "Sam Whitfield" / "Grace Mensah": the owner's name. */
static int owner_name(struct db *db, const char *kind, int64_t id, char *out, size_t outlen)
{
	const char *sql = strcmp(kind, "family") == 0 ? "SELECT name FROM family_members WHERE id = :id"
		: strcmp(kind, "worker") == 0 ? "SELECT name FROM workers WHERE id = :id"
		: "SELECT name FROM professionals WHERE id = :id";
	*out = '\0';
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	if (db_next(st))
		snprintf(out, outlen, "%s", db_text(st, 0));
	return db_finalize(st);
}

/* ---- visibility ------------------------------------------------------------------ */

/* The action's case and owning professional (0 if none); HE_NOT_FOUND. */
static int action_case(struct db *db, int64_t action_id, int64_t *case_id, int64_t *prof)
{
	*case_id = *prof = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT case_id, coalesce(owner_professional_id, 0) FROM plan_actions WHERE id = :id");
	db_bind_int(st, ":id", action_id);
	if (db_next(st)) {
		*case_id = db_int(st, 0);
		*prof = db_int(st, 1);
	}
	int rc = db_finalize(st);
	return rc ? rc : *case_id ? HE_OK : HE_NOT_FOUND;
}

int plan_action_visible(struct db *db, const struct scope *s, int64_t action_id, bool *yes)
{
	int64_t case_id, prof;
	*yes = false;
	int rc = action_case(db, action_id, &case_id, &prof);
	if (rc == HE_NOT_FOUND)
		return HE_OK;
	if (rc)
		return rc;
	if (s->professional_id > 0 && prof == s->professional_id &&
	    caps_has(s->caps, CAP_TAF_ACTIONS_OWN)) {
		/* only while the family shares with their service: a withdrawal
		 * hides the action from them */
		struct db_stmt *st = db_prepare(db, "SELECT 1 FROM cases c WHERE c.id = :case AND "
			CONSENT_SQL_PROFESSIONAL_OK("c.family_id", ":me"));
		db_bind_int(st, ":case", case_id);
		db_bind_int(st, ":me", prof);
		*yes = db_next(st);
		if ((rc = db_finalize(st)) || *yes)
			return rc;
	}
	return case_visible(db, s, case_id, yes);
}

/* ---- adding ------------------------------------------------------------------------ */

/* The row a form's one-time key already made (idem_lookup; sql selects
 * id, case_id and the user who made it for :k), with a "view" audit row. */
static int idem_find(struct db *db, const struct scope *s, const char *sql, const char *key,
		     int64_t case_id, int64_t *id, struct errinfo *e)
{
	int rc = idem_lookup(db, s, sql, key, case_id, id, e);
	if (rc == HE_OK && *id)
		rc = audit_row(db, s, "view", "cases", case_id, "repeated submission: %" PRId64
			       " already recorded, nothing added", *id);
	return rc;
}

static int action_insert(struct db *db, const struct scope *s, int64_t case_id, int64_t meeting_id,
			 const struct action_in *in, const char *due, int64_t *id)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO plan_actions (case_id, description, need, owner_kind, owner_member_id,"
		" owner_worker_id, owner_professional_id, due_on, status, meeting_id, created_by,"
		" created_at, updated_at, idem_key) VALUES (:case, :description, :need, :kind, :member,"
		" :worker, :prof, :due, 'not_started', :meeting, :user, :now, :now, :idem) RETURNING id");
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":description", in->description);
	db_bind_text(st, ":need", in->need);
	db_bind_text(st, ":kind", in->owner_kind);
	int64_t ids[3] = {in->owner_member_id, in->owner_worker_id, in->owner_professional_id};
	static const char *const names[3] = {":member", ":worker", ":prof"};
	for (int i = 0; i < 3; i++) {
		if (ids[i] > 0)
			db_bind_int(st, names[i], ids[i]);
		else
			db_bind_null(st, names[i]);
	}
	db_bind_text(st, ":due", due);
	if (meeting_id > 0)
		db_bind_int(st, ":meeting", meeting_id);
	else
		db_bind_null(st, ":meeting");
	if (s->user_id > 0)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	if (in->idem_key && *in->idem_key)
		db_bind_text(st, ":idem", in->idem_key);
	else
		db_bind_null(st, ":idem");
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

static int update_insert(struct db *db, const struct scope *s, int64_t action_id, const char *on,
			 const char *status, const char *progress, int64_t review_id, int64_t meeting_id)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO action_updates (action_id, on_date, status, progress, review_id, meeting_id,"
		" user_id, recorded_at) VALUES (:action, :on, :status, :progress, :review, :meeting,"
		" :user, :now)");
	db_bind_int(st, ":action", action_id);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":progress", progress ? progress : "");
	if (review_id > 0)
		db_bind_int(st, ":review", review_id);
	else
		db_bind_null(st, ":review");
	if (meeting_id > 0)
		db_bind_int(st, ":meeting", meeting_id);
	else
		db_bind_null(st, ":meeting");
	if (s->user_id > 0)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	return db_done(st);
}

static const char *owner_phrase(const char *kind)
{
	return strcmp(kind, "family") == 0 ? "The family" : strcmp(kind, "worker") == 0 ? "We"
		: "Another service";
}

/* The add itself, scope already checked. */
static int action_add_checked(struct db *db, const struct scope *s, int64_t case_id, int64_t meeting_id,
			      const struct action_in *in, int64_t *id, struct errinfo *e)
{
	struct pcase c;
	char due[11], today[11], who[200];
	int rc = idem_find(db, s, "SELECT id, case_id, coalesce(created_by, 0) FROM plan_actions"
			   " WHERE idem_key = :k", in->idem_key, case_id, id, e);
	if (rc || *id)
		return rc;
	if ((rc = pcase_load(db, case_id, &c)))
		return rc;
	if ((rc = need_open(&c, e)))
		return rc;
	if ((rc = action_check(db, case_id, in, scope_is_system(s), e)))
		return rc;
	due_check(in->due_on, true, due, e);
	/* the service learns about the family: the family must share with it */
	if (strcmp(in->owner_kind, "agency") == 0 &&
	    (rc = consent_need_for_professional(db, c.family_id, in->owner_professional_id,
						"give this service an action", e)))
		return rc;
	if ((rc = action_insert(db, s, case_id, meeting_id, in, due, id)))
		return rc;
	today_str(today);
	if ((rc = update_insert(db, s, *id, today, "not_started", meeting_id > 0 ?
				"Agreed at a Team Around the Family meeting" : "Agreed", 0, meeting_id)))
		return rc;
	if ((rc = owner_name(db, in->owner_kind, strcmp(in->owner_kind, "family") == 0 ?
			     in->owner_member_id : strcmp(in->owner_kind, "worker") == 0 ?
			     in->owner_worker_id : in->owner_professional_id, who, sizeof who)))
		return rc;
	char summary[600];
	snprintf(summary, sizeof summary, "Action agreed for %s (due %s): %.200s", who, due,
		 in->description);
	if ((rc = chron_add(db, s, c.family_id, 0, case_id, today, "action_agreed", summary,
			    owner_phrase(in->owner_kind))))
		return rc;
	/* the owner by id, not name: the audit log is never altered */
	return audit_row(db, s, "create", "plan_actions", *id, "action for case %" PRId64 ", owner %s %"
			 PRId64 ", due %s", case_id, in->owner_kind, strcmp(in->owner_kind, "family") == 0
			 ? in->owner_member_id : strcmp(in->owner_kind, "worker") == 0 ? in->owner_worker_id
			 : in->owner_professional_id, due);
}

int plan_action_add_tx(struct db *db, const struct scope *s, int64_t case_id, int64_t meeting_id,
		       const struct action_in *in, int64_t *id, struct errinfo *e)
{
	bool yes = false;
	*id = 0;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "plan_action_add_tx outside a transaction");
	int rc = case_visible(db, s, case_id, &yes);
	if (rc)
		return rc;
	if (!yes)
		return denied(db, s, "cases", case_id, "add an action", e);
	return action_add_checked(db, s, case_id, meeting_id, in, id, e);
}

/* Commit when rc is HE_OK, else roll back. */
static int tx_end(struct db *db, int rc)
{
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* Scope check in a transaction of its own: a denial is audited and
 * committed (the change that follows would roll it back). */
static int tx_begin_visible(struct db *db, const struct scope *s, int64_t case_id, const char *what,
			    struct errinfo *e)
{
	bool yes = false;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = case_visible(db, s, case_id, &yes)) == HE_OK && !yes) {
		rc = denied(db, s, "cases", case_id, what, e);
		if (rc == HE_NOT_FOUND && db_commit(db) == HE_OK)
			return HE_NOT_FOUND;
	}
	if (rc)
		db_rollback(db);
	return rc;
}

int plan_action_add(struct db *db, const struct scope *s, int64_t case_id, const struct action_in *in,
		    int64_t *id, struct errinfo *e)
{
	*id = 0;
	int rc = tx_begin_visible(db, s, case_id, "add an action", e);
	if (rc)
		return rc;
	return tx_end(db, action_add_checked(db, s, case_id, 0, in, id, e));
}

/* ---- updating ----------------------------------------------------------------------- */

/* What an update needs of the action. */
struct arow {
	int64_t id, case_id, version;
	char status[16];
	const char *description;
};

static int arow_load(struct db *db, struct arena *a, int64_t id, struct arow *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prepare(db,
		"SELECT case_id, version, status, description FROM plan_actions WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		out->id = id;
		out->case_id = db_int(st, 0);
		out->version = db_int(st, 1);
		snprintf(out->status, sizeof out->status, "%s", db_text(st, 2));
		out->description = arena_strdup(a, db_text(st, 3));
	}
	int rc = db_finalize(st);
	return rc ? rc : out->id ? HE_OK : HE_NOT_FOUND;
}

/* Fields an update's errors name: plain for one action, "<field>.<id>" at
 * a review. */
struct ufields { char status[32], progress[32], on[32]; };

static void ufields_set(struct ufields *f, int64_t id, bool suffixed)
{
	if (suffixed) {
		snprintf(f->status, sizeof f->status, "status.%" PRId64, id);
		snprintf(f->progress, sizeof f->progress, "progress.%" PRId64, id);
	} else {
		snprintf(f->status, sizeof f->status, "status");
		snprintf(f->progress, sizeof f->progress, "progress");
	}
	snprintf(f->on, sizeof f->on, suffixed ? "held_on" : "on");
}

/* The update, scope already checked.  version 0 at a review: the current
 * one.  progress_required: a review asks for progress on every action. */
static int action_update_checked(struct db *db, const struct scope *s, int64_t action_id,
				 int64_t version, const char *status, const char *progress,
				 const char *on, int64_t review_id, int64_t meeting_id,
				 const struct ufields *f, struct errinfo *e)
{
	struct arena a;
	struct arow ar;
	struct pcase c;
	char day[11];
	arena_init(&a);
	int rc = arow_load(db, &a, action_id, &ar);
	if (!rc)
		rc = pcase_load(db, ar.case_id, &c);
	if (!rc)
		rc = need_open(&c, e);
	if (!rc && version == 0 && review_id == 0)
		rc = errinfo_set(e, HE_MISSING, "version", "The form did not say which version of the "
				 "action it changes: reload the page");
	if (!rc && version > 0 && version != ar.version)
		rc = version_conflict(e, "action");
	if (!rc && text_blank(status))
		rc = errinfo_set(e, HE_MISSING, f->status, "Choose the action's status");
	if (!rc && !plan_status_known(status))
		rc = errinfo_set(e, HE_INVALID, f->status, "Choose a status from the list");
	bool same = !rc && strcmp(status, ar.status) == 0;
	if (!rc)
		rc = text_field_check(progress, same || review_id > 0, PROGRESS_MAX, f->progress,
				"what has happened since the action was last updated", e);
	if (!rc)
		rc = past_date(on, f->on, c.opened_on, "the case opened", day, e);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "UPDATE plan_actions SET status = :status,"
			" updated_at = :now, version = version + 1 WHERE id = :id AND version = :version");
		char now[21];
		now_utc(now);
		db_bind_text(st, ":status", status);
		db_bind_text(st, ":now", now);
		db_bind_int(st, ":id", action_id);
		db_bind_int(st, ":version", version > 0 ? version : ar.version);
		rc = db_done(st);
		if (rc == HE_OK && db_changes(db) == 0)
			rc = version_conflict(e, "action");
	}
	if (!rc)
		rc = update_insert(db, s, action_id, day, status, progress, review_id, meeting_id);
	if (!rc) {
		char summary[300];
		snprintf(summary, sizeof summary, "Action %s: %.200s", plan_status_title(status),
			 ar.description);
		rc = chron_add(db, s, c.family_id, 0, c.id, day, "action_updated", summary,
			       progress ? progress : "");
	}
	if (!rc)
		rc = audit_row(db, s, "update", "plan_actions", action_id, "status %s -> %s%s", ar.status,
			       status, review_id > 0 ? " at a review" : meeting_id > 0 ? " at a meeting" : "");
	arena_free(&a);
	return rc;
}

int plan_action_update_tx(struct db *db, const struct scope *s, int64_t action_id, int64_t version,
			  const char *status, const char *progress, const char *on, int64_t review_id,
			  int64_t meeting_id, struct errinfo *e)
{
	bool yes = false;
	struct ufields f;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "plan_action_update_tx outside a transaction");
	int rc = plan_action_visible(db, s, action_id, &yes);
	if (rc)
		return rc;
	if (!yes)
		return denied(db, s, "plan_actions", action_id, "update an action", e);
	ufields_set(&f, action_id, false);
	return action_update_checked(db, s, action_id, version, status, progress, on, review_id,
				     meeting_id, &f, e);
}

int plan_action_update(struct db *db, const struct scope *s, int64_t action_id, int64_t version,
		       const char *status, const char *progress, const char *on, struct errinfo *e)
{
	bool yes = false;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = plan_action_visible(db, s, action_id, &yes)))
		return tx_end(db, rc);
	if (!yes) {
		rc = denied(db, s, "plan_actions", action_id, "update an action", e);
		if (rc == HE_NOT_FOUND && db_commit(db) == HE_OK)
			return HE_NOT_FOUND;
		return tx_end(db, rc);
	}
	struct ufields f;
	ufields_set(&f, action_id, false);
	return tx_end(db, action_update_checked(db, s, action_id, version, status, progress, on, 0, 0,
						&f, e));
}

/* ---- reading actions ------------------------------------------------------------------- */

#define ACTION_COLS \
	"a.id, a.case_id, a.version, coalesce(a.meeting_id, 0), coalesce(a.owner_member_id, 0)," \
	" coalesce(a.owner_worker_id, 0), coalesce(a.owner_professional_id, 0), a.description," \
	" a.need, a.owner_kind, a.due_on, a.status," \
	" coalesce(m.name, w.name, p.name, '')," \
	" CASE a.owner_kind WHEN 'family' THEN m.relationship WHEN 'worker' THEN 'Family support worker'" \
	"  ELSE coalesce(nullif(p.role, '') || ', ', '') || coalesce(g.name, '') END," \
	" coalesce((SELECT u.progress FROM action_updates u WHERE u.action_id = a.id" \
	"  ORDER BY u.on_date DESC, u.id DESC LIMIT 1), '')," \
	" coalesce((SELECT u.on_date FROM action_updates u WHERE u.action_id = a.id" \
	"  ORDER BY u.on_date DESC, u.id DESC LIMIT 1), '')" \
	" FROM plan_actions a LEFT JOIN family_members m ON m.id = a.owner_member_id" \
	" LEFT JOIN workers w ON w.id = a.owner_worker_id" \
	" LEFT JOIN professionals p ON p.id = a.owner_professional_id" \
	" LEFT JOIN agencies g ON g.id = p.agency_id"

static void action_row(struct db *db, struct arena *a, struct db_stmt *st, struct plan_action *x)
{
	hday due;
	x->id = db_int(st, 0);
	x->case_id = db_int(st, 1);
	x->version = db_int(st, 2);
	x->meeting_id = db_int(st, 3);
	x->owner_member_id = db_int(st, 4);
	x->owner_worker_id = db_int(st, 5);
	x->owner_professional_id = db_int(st, 6);
	x->description = arena_strdup(a, db_text(st, 7));
	x->need = arena_strdup(a, db_text(st, 8));
	x->owner_kind = arena_strdup(a, db_text(st, 9));
	x->due_on = arena_strdup(a, db_text(st, 10));
	x->status = arena_strdup(a, db_text(st, 11));
	x->owner_name = arena_strdup(a, db_text(st, 12));
	x->owner_detail = arena_strdup(a, db_is_null(st, 13) ? "" : db_text(st, 13));
	x->last_progress = arena_strdup(a, db_text(st, 14));
	x->last_on = arena_strdup(a, db_text(st, 15));
	x->open = plan_status_open(x->status);
	x->overdue_days = 0;
	if (x->open && date_parse(x->due_on, &due) && due < date_today())
		x->overdue_days = (int)(date_today() - due);
	(void)db;
}

int plan_actions(struct db *db, struct arena *a, int64_t case_id, struct plan_action **out, size_t *n)
{
	size_t cap = 16;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db, "SELECT " ACTION_COLS " WHERE a.case_id = :case"
		" ORDER BY CASE a.owner_kind WHEN 'worker' THEN 0 WHEN 'family' THEN 1 ELSE 2 END,"
		" a.due_on, a.id");
	db_bind_int(st, ":case", case_id);
	while (db_next(st)) {
		if (*n == cap) {
			struct plan_action *more = arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, *out, cap * sizeof *more);
			*out = more, cap *= 2;
		}
		action_row(db, a, st, &(*out)[(*n)++]);
	}
	int rc = db_finalize(st);
	for (size_t i = 0; rc == HE_OK && i < *n; i++)
		(*out)[i].need_title = plan_need_title(db, a, (*out)[i].need);
	return rc;
}

static int updates_load(struct db *db, struct arena *a, int64_t action_id, struct plan_update **out,
			size_t *n)
{
	size_t cap = 16;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db,
		"SELECT u.on_date, u.status, u.progress, coalesce(us.name, 'Hearth'), u.recorded_at,"
		" coalesce(u.review_id, 0), coalesce(u.meeting_id, 0) FROM action_updates u"
		" LEFT JOIN users us ON us.id = u.user_id WHERE u.action_id = :id"
		" ORDER BY u.on_date DESC, u.id DESC");
	db_bind_int(st, ":id", action_id);
	while (db_next(st)) {
		if (*n == cap) {
			struct plan_update *more = arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, *out, cap * sizeof *more);
			*out = more, cap *= 2;
		}
		struct plan_update *u = &(*out)[(*n)++];
		u->on_date = arena_strdup(a, db_text(st, 0));
		u->status = arena_strdup(a, db_text(st, 1));
		u->progress = arena_strdup(a, db_text(st, 2));
		u->who = arena_strdup(a, db_text(st, 3));
		u->recorded_at = arena_strdup(a, db_text(st, 4));
		u->review_id = db_int(st, 5);
		u->meeting_id = db_int(st, 6);
	}
	return db_finalize(st);
}

int plan_action_load(struct db *db, struct arena *a, const struct scope *s, int64_t action_id,
		     struct plan_action *out, struct plan_update **updates, size_t *nupdates,
		     struct errinfo *e)
{
	bool yes = false, found = false;
	memset(out, 0, sizeof *out);
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = plan_action_visible(db, s, action_id, &yes)))
		return tx_end(db, rc);
	if (!yes) {
		rc = denied(db, s, "plan_actions", action_id, "view an action", e);
		if (rc == HE_NOT_FOUND && db_commit(db) == HE_OK)
			return HE_NOT_FOUND;
		return tx_end(db, rc);
	}
	struct db_stmt *st = db_prepare(db, "SELECT " ACTION_COLS " WHERE a.id = :id");
	db_bind_int(st, ":id", action_id);
	if (db_next(st)) {
		found = true;
		action_row(db, a, st, out);
	}
	rc = db_finalize(st);
	if (!rc && !found)
		rc = errinfo_set(e, HE_NOT_FOUND, "", "No such action");
	if (!rc) {
		out->need_title = plan_need_title(db, a, out->need);
		rc = updates_load(db, a, action_id, updates, nupdates);
	}
	if (!rc)
		rc = audit_row(db, s, "view", "plan_actions", action_id, "action of case %" PRId64,
			       out->case_id);
	return tx_end(db, rc);
}

/* ---- choices ------------------------------------------------------------------------- */

static struct plan_choice *choice_push(struct arena *a, struct plan_choice **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct plan_choice *more = arena_alloc(a, nc * sizeof *more);
		if (*n)
			memcpy(more, *v, *n * sizeof *more);
		*v = more, *cap = nc;
	}
	return &(*v)[(*n)++];
}

static bool choice_has(const struct plan_choice *v, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].code, code) == 0)
			return true;
	return false;
}

int plan_needs(struct db *db, struct arena *a, int64_t case_id, struct plan_choice **out, size_t *n)
{
	size_t cap = 0;
	char needs[512] = "";
	*out = NULL, *n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT r.needs FROM cases c JOIN referrals r ON"
		" r.id = c.referral_id WHERE c.id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st))
		snprintf(needs, sizeof needs, "%s", db_text(st, 0));
	int rc = db_finalize(st);
	for (char *p = needs; !rc && *p;) {
		size_t len = strcspn(p, ",");
		char *code = arena_strndup(a, p, len);
		if (referral_need_known(code) && !choice_has(*out, *n, code)) {
			struct plan_choice *c = choice_push(a, out, n, &cap);
			*c = (struct plan_choice){"referral", code, referral_need_title(code),
						  "Referral need", 0};
		}
		p += len + (p[len] == ',');
	}
	if (rc)
		return rc;
	st = db_prepare(db, "SELECT code, title FROM assessment_domains WHERE active = 1 ORDER BY position");
	while (db_next(st)) {
		if (choice_has(*out, *n, db_text(st, 0)))
			continue;
		struct plan_choice *c = choice_push(a, out, n, &cap);
		*c = (struct plan_choice){"domain", arena_strdup(a, db_text(st, 0)),
					  arena_strdup(a, db_text(st, 1)), "Assessment domain", 0};
	}
	return db_finalize(st);
}

static int owners_query(struct db *db, struct arena *a, const char *kind, const char *sql,
			int64_t bind, struct plan_choice **out, size_t *n, size_t *cap)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (bind > 0)
		db_bind_int(st, ":id", bind);
	while (db_next(st)) {
		struct plan_choice *c = choice_push(a, out, n, cap);
		c->kind = kind;
		c->id = db_int(st, 0);
		c->code = arena_printf(a, "%s:%" PRId64, kind, c->id);
		c->title = arena_strdup(a, db_text(st, 1));
		c->detail = arena_strdup(a, db_text(st, 2));
	}
	return db_finalize(st);
}

int plan_owners(struct db *db, struct arena *a, int64_t case_id, struct plan_choice **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL, *n = 0;
	int rc = owners_query(db, a, "family", "SELECT m.id, m.name, m.relationship FROM cases c JOIN"
		" family_members m ON m.family_id = c.family_id WHERE c.id = :id ORDER BY m.is_child,"
		" m.id", case_id, out, n, &cap);
	if (!rc)
		rc = owners_query(db, a, "worker", "SELECT w.id, w.name, w.employer FROM workers w"
			" WHERE w.active = 1 ORDER BY CASE WHEN w.id = (SELECT c.worker_id FROM cases c"
			" WHERE c.id = :id) THEN 0 ELSE 1 END, w.name", case_id, out, n, &cap);
	if (!rc)
		/* only the services the family shares with (consent.h) */
		rc = owners_query(db, a, "agency", "SELECT p.id, p.name, coalesce(nullif(p.role, '') ||"
			" ', ', '') || g.name FROM professionals p JOIN agencies g ON g.id = p.agency_id"
			" WHERE p.active = 1 AND " CONSENT_SQL_AGENCY_OK("(SELECT c.family_id FROM cases c"
			" WHERE c.id = :id)", "g.kind") " ORDER BY g.name, p.name", case_id, out, n, &cap);
	return rc;
}

/* ---- reviews ---------------------------------------------------------------------------- */

int plan_default_next_review(struct db *db, const char *held_on, char out[11])
{
	int weeks;
	hday d = date_today();
	if (held_on && *held_on && !date_parse(held_on, &d))
		d = date_today();
	int rc = settings_review_weeks(db, &weeks);
	date_format(d + 7 * weeks, out);
	return rc;
}

static int review_insert(struct db *db, const struct scope *s, int64_t case_id, const struct review_in *in,
			 const char *held, const char *next, int64_t *id)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO reviews (case_id, held_on, summary, family_view, next_review_on, user_id,"
		" recorded_at, idem_key) VALUES (:case, :held, :summary, :view, :next, :user, :now, :idem)"
		" RETURNING id");
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":held", held);
	db_bind_text(st, ":summary", in->summary);
	db_bind_text(st, ":view", in->family_view ? in->family_view : "");
	db_bind_text(st, ":next", next);
	if (s->user_id > 0)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	if (in->idem_key && *in->idem_key)
		db_bind_text(st, ":idem", in->idem_key);
	else
		db_bind_null(st, ":idem");
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

static int next_check(struct db *db, const char *next_in, const char *held, char out[11],
		      struct errinfo *e)
{
	hday h, d;
	date_parse(held, &h);
	if (text_blank(next_in))
		return plan_default_next_review(db, held, out);
	if (!date_parse(next_in, &d))
		return errinfo_set(e, HE_INVALID, "next_review_on", "Enter a real date, for example 2026-03-14");
	if (d <= h)
		return errinfo_set(e, HE_INVALID, "next_review_on", "The next review must be after this one");
	if (d > h + NEXT_REVIEW_MAX_DAYS)
		return errinfo_set(e, HE_INVALID, "next_review_on", "The next review must be within a year");
	date_format(d, out);
	return HE_OK;
}

static const struct review_progress *progress_for(const struct review_in *in, int64_t id)
{
	for (size_t i = 0; i < in->nprogress; i++)
		if (in->progress[i].action_id == id)
			return &in->progress[i];
	return NULL;
}

/* Progress on every open action of the case, at review review_id. */
static int review_progress(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
			   int64_t review_id, const struct review_in *in, const char *held, int *count,
			   struct errinfo *e)
{
	struct plan_action *v;
	size_t n;
	int rc = plan_actions(db, a, case_id, &v, &n);
	*count = 0;
	for (size_t i = 0; i < in->nprogress && !rc; i++) {
		bool ok = false;
		for (size_t j = 0; j < n; j++)
			ok |= v[j].id == in->progress[i].action_id && v[j].open;
		if (!ok)
			rc = errinfo_set(e, HE_INVALID, "progress", "Progress was given for an action that is "
					 "not an open action of this plan: reload the page");
	}
	for (size_t i = 0; i < n && !rc; i++) {
		if (!v[i].open)
			continue;
		const struct review_progress *p = progress_for(in, v[i].id);
		struct ufields f;
		ufields_set(&f, v[i].id, true);
		if (!p)
			return errinfo_set(e, HE_MISSING, f.progress, "Record progress on \"%.80s\"",
					   v[i].description);
		rc = action_update_checked(db, s, v[i].id, p->version, p->status, p->progress, held,
					   review_id, 0, &f, e);
		*count += rc == HE_OK;
	}
	return rc;
}

static int case_next_review(struct db *db, int64_t case_id, int64_t version, const char *next,
			    struct errinfo *e)
{
	char now[21];
	now_utc(now);
	struct db_stmt *st = db_prepare(db, "UPDATE cases SET next_review_on = :next, updated_at = :now,"
		" version = version + 1 WHERE id = :id AND version = :version");
	db_bind_text(st, ":next", next);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", case_id);
	db_bind_int(st, ":version", version);
	int rc = db_done(st);
	if (rc == HE_OK && db_changes(db) == 0)
		rc = version_conflict(e, "case");
	return rc;
}

static int review_checked(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
			  int64_t case_version, const struct review_in *in, int64_t *id, struct errinfo *e)
{
	struct pcase c;
	char held[11], next[11];
	int count = 0;
	int rc = idem_find(db, s, "SELECT id, case_id, coalesce(user_id, 0) FROM reviews"
			   " WHERE idem_key = :k", in->idem_key, case_id, id, e);
	if (rc || *id)
		return rc;
	if ((rc = pcase_load(db, case_id, &c)) || (rc = need_open(&c, e)))
		return rc;
	if (case_version == 0)
		return errinfo_set(e, HE_MISSING, "version", "The form did not say which version of the "
				   "case it changes: reload the case");
	if (case_version != c.version)
		return version_conflict(e, "case");
	if ((rc = past_date(in->held_on, "held_on", c.opened_on, "the case opened", held, e)) ||
	    (rc = text_field_check(in->summary, true, REVIEW_TEXT_MAX, "summary",
			     "what the review found and agreed", e)) ||
	    (rc = text_field_check(in->family_view, true, REVIEW_TEXT_MAX, "family_view",
			     "the family's view, or say that they chose not to give one", e)) ||
	    (rc = next_check(db, in->next_review_on, held, next, e)))
		return rc;
	if ((rc = review_insert(db, s, case_id, in, held, next, id)))
		return rc;
	if ((rc = review_progress(db, a, s, case_id, *id, in, held, &count, e)))
		return rc;
	if (in->assessment) {
		int64_t aid = 0;
		if ((rc = assess_record_tx(db, s, case_id, *id, in->assessment, &aid, e)))
			return rc;
	}
	if ((rc = case_next_review(db, case_id, case_version, next, e)))
		return rc;
	char summary[300];
	snprintf(summary, sizeof summary, "Review held: progress on %d action%s%s; next review %s",
		 count, count == 1 ? "" : "s", in->assessment ? ", re-assessed" : "", next);
	if ((rc = chron_add(db, s, c.family_id, 0, case_id, held, "reviewed", summary, in->summary)))
		return rc;
	return audit_row(db, s, "create", "reviews", *id, "review of case %" PRId64 " held %s, %d "
			 "actions, next %s", case_id, held, count, next);
}

int plan_review_add(struct db *db, const struct scope *s, int64_t case_id, int64_t case_version,
		    const struct review_in *in, int64_t *id, struct errinfo *e)
{
	struct arena a;
	*id = 0;
	int rc = tx_begin_visible(db, s, case_id, "record a review", e);
	if (rc)
		return rc;
	arena_init(&a);
	rc = tx_end(db, review_checked(db, &a, s, case_id, case_version, in, id, e));
	arena_free(&a);
	return rc;
}

int plan_reviews(struct db *db, struct arena *a, int64_t case_id, struct plan_review **out, size_t *n)
{
	size_t cap = 8;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db,
		"SELECT v.id, v.held_on, v.summary, v.family_view, coalesce(v.next_review_on, ''),"
		" coalesce(u.name, 'Hearth'), v.recorded_at,"
		" (SELECT count(*) FROM action_updates x WHERE x.review_id = v.id),"
		" (SELECT count(*) FROM assessments s WHERE s.review_id = v.id)"
		" FROM reviews v LEFT JOIN users u ON u.id = v.user_id WHERE v.case_id = :case"
		" ORDER BY v.held_on DESC, v.id DESC");
	db_bind_int(st, ":case", case_id);
	while (db_next(st)) {
		if (*n == cap) {
			struct plan_review *more = arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, *out, cap * sizeof *more);
			*out = more, cap *= 2;
		}
		struct plan_review *v = &(*out)[(*n)++];
		v->id = db_int(st, 0);
		v->held_on = arena_strdup(a, db_text(st, 1));
		v->summary = arena_strdup(a, db_text(st, 2));
		v->family_view = arena_strdup(a, db_text(st, 3));
		v->next_review_on = arena_strdup(a, db_text(st, 4));
		v->who = arena_strdup(a, db_text(st, 5));
		v->recorded_at = arena_strdup(a, db_text(st, 6));
		v->nupdates = (int)db_int(st, 7);
		v->reassessed = db_int(st, 8) > 0;
	}
	return db_finalize(st);
}

/* ---- overdue ------------------------------------------------------------------------------ */

#define OPEN_PAST_DUE " a.status NOT IN ('done','dropped') AND a.due_on < :today"

int plan_overdue_count(struct db *db, int64_t case_id, int *n)
{
	char today[11];
	today_str(today);
	*n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM plan_actions a WHERE a.case_id = :case"
		" AND" OPEN_PAST_DUE);
	db_bind_int(st, ":case", case_id);
	db_bind_text(st, ":today", today);
	if (db_next(st))
		*n = (int)db_int(st, 0);
	return db_finalize(st);
}

int plan_overdue_actions(struct db *db, struct arena *a, int64_t worker_id, int limit,
			 struct plan_overdue **out, size_t *n)
{
	char today[11];
	hday t = date_today(), due;
	today_str(today);
	size_t cap = 16;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db,
		"SELECT a.id, c.id, f.name, a.description, a.owner_kind,"
		" coalesce(m.name, w.name, p.name, ''), a.due_on FROM plan_actions a"
		" JOIN cases c ON c.id = a.case_id JOIN families f ON f.id = c.family_id"
		" LEFT JOIN family_members m ON m.id = a.owner_member_id"
		" LEFT JOIN workers w ON w.id = a.owner_worker_id"
		" LEFT JOIN professionals p ON p.id = a.owner_professional_id"
		" WHERE c.status = 'open' AND (:worker = 0 OR c.worker_id = :worker) AND" OPEN_PAST_DUE
		" ORDER BY a.due_on, a.id LIMIT :limit");
	db_bind_int(st, ":worker", worker_id);
	db_bind_text(st, ":today", today);
	db_bind_int(st, ":limit", limit > 0 ? limit : OVERDUE_LIMIT);
	while (db_next(st)) {
		if (*n == cap) {
			struct plan_overdue *more = arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, *out, cap * sizeof *more);
			*out = more, cap *= 2;
		}
		struct plan_overdue *o = &(*out)[(*n)++];
		o->action_id = db_int(st, 0);
		o->case_id = db_int(st, 1);
		case_ref(o->case_id, o->case_ref);
		o->family_name = arena_strdup(a, db_text(st, 2));
		o->description = arena_strdup(a, db_text(st, 3));
		o->owner_kind = arena_strdup(a, db_text(st, 4));
		o->owner_name = arena_strdup(a, db_text(st, 5));
		o->due_on = arena_strdup(a, db_text(st, 6));
		o->days = date_parse(o->due_on, &due) ? (int)(t - due) : 0;
	}
	return db_finalize(st);
}
