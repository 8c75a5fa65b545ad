/* commission.c — commissions of services and household item grants (see
 * commission.h): the request with its automatic approval within the
 * requester's limit, the holder's decision, delivery, payment,
 * cancellation and refunds.
 *
 * Each move runs in one transaction: who may (else audited "denied" and
 * committed, HE_NOT_FOUND — or HE_FORBIDDEN for someone who may see the
 * commission but not make this move), the version the form was rendered
 * with, the status it moves from, the change (UPDATE … WHERE version =
 * :version), a commission_events row, a chronology "note" on the case and
 * one audit row.  An approval first locks the budget (budget_lock_tx: the
 * row lock on PostgreSQL, the write lock on SQLite) and only then reads
 * its position (budget_check_afford), so two approvals of the last of a
 * budget are serialised and the second sees the first's commitment.  A
 * delivery above the estimate commits the difference, so it goes through
 * the same lock and check (deliver_afford): refused if it would overspend
 * unless the budget holder overrides with a note. */
#include "core/commission.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/money.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/budget.h"
#include "core/case.h"
#include "core/catalogue.h"
#include "core/chron.h"
#include "core/consent.h"
#include "core/idem.h"
#include "core/scope.h"
#include "core/settings.h"
#include "store/db.h"

#define REASON_MAX 2000
#define NOTE_MAX 2000
#define QUANTITY_MAX 1000
#define ITEMS_MAX 50
#define ITEM_TEXT_MAX 200

const char *const commission_statuses[] = {"requested", "approved", "declined", "delivered", "paid",
					   "cancelled", NULL};
static const char *const status_titles[] = {"Waiting for approval", "Approved", "Declined",
					    "Delivered", "Paid", "Cancelled", NULL};

/* ---- small helpers --------------------------------------------------------- */

const char *commission_status_title(const char *status)
{
	for (int i = 0; status && commission_statuses[i]; i++)
		if (strcmp(status, commission_statuses[i]) == 0)
			return status_titles[i];
	return status ? status : "";
}

const char *commission_kind_title(const char *kind)
{
	return kind && strcmp(kind, "household_grant") == 0 ? "Household item grant" : "Service";
}

void commission_ref(int64_t id, char out[16])
{
	snprintf(out, 16, "M-%06" PRId64, id);
}

int commission_id_by_ref(struct db *db, const char *ref, int64_t *id)
{
	*id = 0;
	if (!ref || strncmp(ref, "M-", 2) != 0 || strlen(ref) > 15)
		return HE_NOT_FOUND;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM commissions WHERE ref = :ref");
	db_bind_text(st, ":ref", ref);
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	return rc ? rc : *id ? HE_OK : HE_NOT_FOUND;
}

static bool blank(const char *s)
{
	return !s || s[strspn(s, " \t\r\n")] == '\0';
}

static int text_check(const char *s, bool required, size_t max, const char *field,
		      const char *what, struct errinfo *e)
{
	size_t n = s ? strlen(s) : 0;
	if (required && blank(s))
		return errinfo_set(e, HE_MISSING, field, "Enter %s", what);
	if (n > max)
		return errinfo_set(e, HE_INVALID, field, "Keep %s to %zu characters or fewer", what, max);
	if (n && !text_valid(s, n))
		return errinfo_set(e, HE_INVALID, field, "Remove the control characters from %s", what);
	return HE_OK;
}

static void now_utc(char out[21])
{
	timestamp_format(time(NULL), out);
}

static int audit_row(struct db *db, const struct scope *s, const char *action, int64_t id,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int audit_row(struct db *db, const struct scope *s, const char *action, int64_t id,
		     const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, "commissions", idt, summary);
}

static int tx_end(struct db *db, int rc)
{
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* A refusal for scope: the "denied" row is committed on its own (the
 * change is rolled back).  code HE_NOT_FOUND or HE_FORBIDDEN. */
static int denied_commit(struct db *db, const struct scope *s, const char *entity, int64_t id,
			 const char *what, int code, struct errinfo *e)
{
	char idt[24], summary[300];
	db_rollback(db);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	snprintf(summary, sizeof summary, "%s: %s %" PRId64 " outside the caller's scope", what, entity, id);
	int rc = audit_alone(db, s->who, "denied", entity, idt, summary);
	if (rc)
		return rc;
	return code == HE_FORBIDDEN
		? errinfo_set(e, HE_FORBIDDEN, "", "You cannot do this to this commission")
		: errinfo_set(e, HE_NOT_FOUND, "", "No such record");
}

/* ---- settings, limits --------------------------------------------------------- */

int commission_limit(struct db *db, const struct scope *s, int64_t *pence)
{
	const char *role = s->user_id == 0 ? "worker" : s->who && s->who->role ? s->who->role : "";
	*pence = 0;
	if (strcmp(role, "worker") == 0) {
		*pence = 25000;
		return settings_int(db, "commission.limit.worker", 0, INT64_MAX, pence, NULL);
	}
	if (strcmp(role, "coordinator") == 0) {
		*pence = 500000;
		return settings_int(db, "commission.limit.coordinator", 0, INT64_MAX, pence, NULL);
	}
	return HE_OK;
}

/* ---- the row a move works on ---------------------------------------------------- */

struct crow {
	int64_t id, case_id, family_id, budget_id, version, quantity;
	int64_t estimate, actual, refunded;   /* actual -1: none */
	char ref[16], status[16], kind[20], case_status[16], requested_on[11];
	char what[300];                        /* "6 sessions of Family group conferencing" */
};

static int crow_load(struct db *db, int64_t id, struct crow *c)
{
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db,
		"SELECT m.case_id, k.family_id, m.budget_id, m.version, m.quantity, m.estimate_pence,"
		" coalesce(m.actual_pence, -1), m.refunded_pence, m.ref, m.status, m.kind, k.status,"
		" substr(m.requested_at, 1, 10), coalesce(s.name, ''), coalesce(s.unit, '')"
		" FROM commissions m JOIN cases k ON k.id = m.case_id"
		" LEFT JOIN services s ON s.id = m.service_id WHERE m.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		c->id = id;
		c->case_id = db_int(st, 0);
		c->family_id = db_int(st, 1);
		c->budget_id = db_int(st, 2);
		c->version = db_int(st, 3);
		c->quantity = db_int(st, 4);
		c->estimate = db_int(st, 5);
		c->actual = db_int(st, 6);
		c->refunded = db_int(st, 7);
		snprintf(c->ref, sizeof c->ref, "%s", db_text(st, 8));
		snprintf(c->status, sizeof c->status, "%s", db_text(st, 9));
		snprintf(c->kind, sizeof c->kind, "%s", db_text(st, 10));
		snprintf(c->case_status, sizeof c->case_status, "%s", db_text(st, 11));
		snprintf(c->requested_on, sizeof c->requested_on, "%s", db_text(st, 12));
		if (strcmp(c->kind, "service") == 0)
			snprintf(c->what, sizeof c->what, "%" PRId64 " %s of %s", c->quantity,
				 catalogue_unit_plural(db_text(st, 14), c->quantity), db_text(st, 13));
		else
			snprintf(c->what, sizeof c->what, "household item grant");
	}
	int rc = db_finalize(st);
	return rc ? rc : c->id ? HE_OK : HE_NOT_FOUND;
}

static int version_conflict(struct errinfo *e)
{
	return errinfo_set(e, HE_CONFLICT, "version", "This commission was changed by someone else since"
			   " you opened it. Nothing has been saved: reload the page to see their change, then"
			   " try again.");
}

/* When a move happened: now; for the system back-dating a move (on before
 * today), noon of that day. */
static void move_time(const struct scope *s, const char *on, char out[21])
{
	char today[11];
	now_utc(out);
	date_format(date_today(), today);
	if (scope_is_system(s) && on && strlen(on) == 10 && strcmp(on, today) < 0)
		snprintf(out, 21, "%sT12:00:00Z", on);
}

static int event_add(struct db *db, const struct scope *s, int64_t id, const char *from, const char *to,
		     int64_t amount, const char *on, const char *note)
{
	char now[21];
	move_time(s, on, now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO commission_events (commission_id, at, from_status, to_status, amount_pence,"
		" note, user_id) VALUES (:id, :at, :from, :to, :amount, :note, :user)");
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":at", now);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":to", to);
	if (amount >= 0)
		db_bind_int(st, ":amount", amount);
	else
		db_bind_null(st, ":amount");
	db_bind_text(st, ":note", note ? note : "");
	if (s->user_id > 0)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	return db_done(st);
}

/* The event, the chronology note and the audit row of one move.
 * verb: "approved", "delivered" …; amount the figure named (pence). */
static int record_move(struct db *db, const struct scope *s, const struct crow *c, const char *from,
		       const char *to, const char *verb, int64_t amount, const char *on,
		       const char *note, const char *action)
{
	char money[32], summary[400], today[11];
	money_format(amount, money);
	if (!on || !*on) {
		date_format(date_today(), today);
		on = today;
	}
	int rc = event_add(db, s, c->id, from, to, amount, on, note);
	if (rc)
		return rc;
	snprintf(summary, sizeof summary, "Commission %s %s: %s, %s", c->ref, verb, c->what, money);
	if ((rc = chron_add(db, s, c->family_id, 0, c->case_id, on, "note", summary, note ? note : "")))
		return rc;
	return audit_row(db, s, action, c->id, "%s %s -> %s%s, %s%s%.200s", c->ref, from ? from : "new", to,
			 strstr(verb, "override") ? " (overspend override)" : "", money,
			 note && *note ? ": " : "", note ? note : "");
}

/* Lock the budget, then: does amount more fit?  When it does not and
 * override_note is set (and s holds the budget), *overridden. */
static int approve_check(struct db *db, const struct scope *s, int64_t budget_id, int64_t amount,
			 const char *override_note, bool *overridden, struct errinfo *e)
{
	*overridden = false;
	int rc = budget_lock_tx(db, budget_id);
	if (rc)
		return rc;
	struct errinfo le = {0};
	rc = budget_check_afford(db, budget_id, amount, &le);
	if (rc != HE_CONFLICT) {
		if (rc && e)
			*e = le;
		return rc;
	}
	bool holds = false;
	if (!blank(override_note) && (rc = budget_holds(db, s, budget_id, &holds)))
		return rc;
	if (!holds) {
		if (e) {
			*e = le;
			if (!blank(override_note))
				snprintf(e->message + strlen(e->message), sizeof e->message - strlen(e->message),
					 ". Only the budget holder can approve an overspend.");
		}
		return HE_CONFLICT;
	}
	*overridden = true;
	return HE_OK;
}

/* ---- visibility ---------------------------------------------------------------------- */

int commission_visible(struct db *db, const struct scope *s, int64_t id, bool *yes)
{
	int64_t case_id = 0, budget_id = 0;
	*yes = false;
	struct db_stmt *st = db_prepare(db, "SELECT case_id, budget_id FROM commissions WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		case_id = db_int(st, 0);
		budget_id = db_int(st, 1);
	}
	int rc = db_finalize(st);
	if (rc || !case_id)
		return rc;
	if (caps_has(s->caps, CAP_COMMISSIONS_ALL)) {
		*yes = true;
		return HE_OK;
	}
	if ((rc = case_visible(db, s, case_id, yes)) || *yes)
		return rc;
	return budget_holds(db, s, budget_id, yes);
}

/* ---- requesting ------------------------------------------------------------------------ */

/* Validate in; *estimate, *unit_cost, *quantity as stored. */
/* Does the family of case_id have an active consent (or basis) for scope? */
static int case_consents_to(struct db *db, int64_t case_id, const char *scope_code, bool *yes)
{
	int64_t family_id = 0;
	*yes = false;
	struct db_stmt *st = db_prepare(db, "SELECT family_id FROM cases WHERE id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st))
		family_id = db_int(st, 0);
	int rc = db_finalize(st);
	return rc || !family_id ? rc : consent_basis_active(db, family_id, scope_code, yes);
}

static int request_check(struct db *db, struct arena *a, int64_t case_id, const struct scope *s,
			 const struct commission_in *in, int64_t *estimate, int64_t *unit_cost,
			 int *quantity, struct errinfo *e)
{
	int rc;
	bool grant;
	if (blank(in->kind))
		return errinfo_set(e, HE_MISSING, "kind", "Choose a service or a household item grant");
	if (strcmp(in->kind, "service") != 0 && strcmp(in->kind, "household_grant") != 0)
		return errinfo_set(e, HE_INVALID, "kind", "Choose a service or a household item grant");
	grant = strcmp(in->kind, "household_grant") == 0;
	if (!grant) {
		struct service sv;
		if (in->service_id <= 0)
			return errinfo_set(e, HE_MISSING, "service", "Choose the service from the catalogue");
		rc = service_get(db, a, in->service_id, &sv);
		if (rc == HE_NOT_FOUND || (rc == HE_OK && !sv.active))
			return errinfo_set(e, HE_INVALID, "service", "Choose a service from the catalogue");
		if (rc)
			return rc;
		if (in->quantity <= 0 || in->quantity > QUANTITY_MAX)
			return errinfo_set(e, HE_INVALID, "quantity", "Enter how many %s, from 1 to %d",
					   catalogue_unit_plural(sv.unit, 2), QUANTITY_MAX);
		/* A provider learns about the family: that needs their consent to
		 * share with commissioned providers (or a lawful basis). */
		bool shared = false;
		if ((rc = case_consents_to(db, case_id, "commissioned", &shared)))
			return rc;
		if (!shared)
			return errinfo_set(e, HE_CONFLICT, "service", "The family has not agreed to their"
					   " details being shared with commissioned providers. Record their"
					   " consent (scope \"Share with commissioned providers\") on the"
					   " family's page first; a household item grant needs no sharing");
		*quantity = in->quantity;
		*unit_cost = sv.unit_cost_pence;
		*estimate = sv.unit_cost_pence * in->quantity;
	} else {
		int64_t sum = 0;
		if (in->nitems == 0)
			return errinfo_set(e, HE_MISSING, "items", "Add at least one item and its cost");
		if (in->nitems > ITEMS_MAX)
			return errinfo_set(e, HE_INVALID, "items", "A grant can have at most %d items", ITEMS_MAX);
		for (size_t i = 0; i < in->nitems; i++) {
			char f[40];
			snprintf(f, sizeof f, "items.%zu.description", i);
			if ((rc = text_check(in->items[i].description, true, ITEM_TEXT_MAX, f,
					     "what the item is", e)))
				return rc;
			snprintf(f, sizeof f, "items.%zu.amount", i);
			if (in->items[i].amount_pence <= 0 || in->items[i].amount_pence > MONEY_MAX)
				return errinfo_set(e, HE_INVALID, f, "Enter what the item costs, for example £120.00");
			sum += in->items[i].amount_pence;
		}
		if (sum > MONEY_MAX)
			return errinfo_set(e, HE_INVALID, "items", "The items cost too much");
		*quantity = 1;
		*unit_cost = *estimate = sum;
	}
	if ((rc = text_check(in->reason, true, REASON_MAX, "reason", "why the family needs it", e)))
		return rc;
	/* The budget: one the case may draw on (its period covers today). */
	if (in->budget_id <= 0)
		return errinfo_set(e, HE_MISSING, "budget", "Choose the budget to pay for it");
	struct budget *bv;
	size_t nb;
	if ((rc = budget_for_case(db, a, case_id, NULL, &bv, &nb)))
		return rc;
	for (size_t i = 0; i < nb; i++)
		if (bv[i].id == in->budget_id)
			return HE_OK;
	if (s->user_id == 0) {
		bool yes = false;     /* the system (demo) may draw on any budget */
		if ((rc = budget_holds(db, s, in->budget_id, &yes)) || yes)
			return rc;
	}
	return errinfo_set(e, HE_INVALID, "budget", "Choose a budget this family's support can be paid"
			   " from (a budget of the family's schools, their district or the partnership,"
			   " for the current year)");
}

/* The commission a form's one-time key already made (idem_lookup), with a
 * "view" audit row. */
static int idem_find(struct db *db, const struct scope *s, const char *key, int64_t case_id, int64_t *id,
		     struct errinfo *e)
{
	int rc = idem_lookup(db, s, "SELECT id, case_id, coalesce(requested_by, 0) FROM commissions"
			     " WHERE idem_key = :k", key, case_id, id, e);
	if (rc == HE_OK && *id)
		rc = audit_row(db, s, "view", *id, "repeated submission: commission %" PRId64
			       " already recorded, nothing added", *id);
	return rc;
}

struct new_row {
	int64_t case_id, estimate, unit_cost;
	int quantity;
	const char *status, *note;
	bool approved, override;
};

static int commission_insert(struct db *db, const struct scope *s, const struct commission_in *in,
			     const struct new_row *nr, int64_t *id)
{
	char now[21], tmp[40], ref[16];
	unsigned char raw[8];
	move_time(s, in->on, now);
	randombytes_buf(raw, sizeof raw);
	snprintf(tmp, sizeof tmp, "M-new-");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(tmp + 6 + 2 * i, 3, "%02x", raw[i]);
	bool grant = strcmp(in->kind, "household_grant") == 0;
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO commissions (ref, case_id, budget_id, kind, service_id, quantity,"
		" unit_cost_pence, estimate_pence, status, reason, requested_by, requested_at, decided_by,"
		" decided_at, decision_note, overspend_override, updated_at, idem_key) VALUES (:ref, :case,"
		" :budget, :kind, :service, :quantity, :unit, :estimate, :status, :reason, :user, :now,"
		" :decider, :decided, :note, :override, :now, :idem) RETURNING id");
	db_bind_text(st, ":ref", tmp);
	db_bind_int(st, ":case", nr->case_id);
	db_bind_int(st, ":budget", in->budget_id);
	db_bind_text(st, ":kind", in->kind);
	if (grant)
		db_bind_null(st, ":service");
	else
		db_bind_int(st, ":service", in->service_id);
	db_bind_int(st, ":quantity", nr->quantity);
	db_bind_int(st, ":unit", nr->unit_cost);
	db_bind_int(st, ":estimate", nr->estimate);
	db_bind_text(st, ":status", nr->status);
	db_bind_text(st, ":reason", in->reason);
	if (s->user_id > 0)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	if (nr->approved && s->user_id > 0)
		db_bind_int(st, ":decider", s->user_id);
	else
		db_bind_null(st, ":decider");
	db_bind_text(st, ":decided", nr->approved ? now : NULL);
	db_bind_text(st, ":note", nr->approved ? nr->note : NULL);
	db_bind_int(st, ":override", nr->override ? 1 : 0);
	db_bind_text(st, ":idem", in->idem_key && *in->idem_key ? in->idem_key : NULL);
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	commission_ref(*id, ref);
	st = db_prepare(db, "UPDATE commissions SET ref = :ref WHERE id = :id");
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":id", *id);
	if ((rc = db_done(st)) || !grant)
		return rc;
	for (size_t i = 0; i < in->nitems && !rc; i++) {
		st = db_prepare(db, "INSERT INTO commission_items (commission_id, description, amount_pence)"
				" VALUES (:id, :d, :a)");
		db_bind_int(st, ":id", *id);
		db_bind_text(st, ":d", in->items[i].description);
		db_bind_int(st, ":a", in->items[i].amount_pence);
		rc = db_done(st);
	}
	return rc;
}

/* The date of a request: today, or for the system an earlier real date. */
static int request_date(const struct scope *s, const char *on, char out[11], struct errinfo *e)
{
	hday d = date_today();
	if (on && *on) {
		if (!date_parse(on, &d))
			return errinfo_set(e, HE_INVALID, "on", "Enter a real date, for example 2026-03-14");
		if (d > date_today())
			return errinfo_set(e, HE_INVALID, "on", "The date cannot be in the future");
		if (d < date_today() && !scope_is_system(s))
			return errinfo_set(e, HE_INVALID, "on", "A request is made today: it cannot be"
					   " back-dated");
	}
	date_format(d, out);
	return HE_OK;
}

static int request_checked(struct db *db, const struct scope *s, int64_t case_id,
			   const struct commission_in *in, const char *override_note, int64_t *id,
			   struct errinfo *e)
{
	struct arena a;
	struct new_row nr = {.case_id = case_id, .status = "requested"};
	char cstatus[16] = "", on[11];
	int64_t limit = 0;
	arena_init(&a);
	int rc = idem_find(db, s, in->idem_key, case_id, id, e);
	if (rc || *id)
		goto done;
	struct db_stmt *st = db_prepare(db, "SELECT status FROM cases WHERE id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st))
		snprintf(cstatus, sizeof cstatus, "%s", db_text(st, 0));
	if ((rc = db_finalize(st)))
		goto done;
	if (strcmp(cstatus, "open") != 0) {
		rc = errinfo_set(e, HE_CONFLICT, "case", strcmp(cstatus, "stepped_up") == 0
				 ? "This case has been stepped up to children's social care: nothing new can be"
				   " commissioned for it"
				 : "This case is closed: nothing new can be commissioned for it");
		goto done;
	}
	if ((rc = request_check(db, &a, case_id, s, in, &nr.estimate, &nr.unit_cost, &nr.quantity, e)))
		goto done;
	if ((rc = request_date(s, in->on, on, e)))
		goto done;
	if ((rc = text_check(override_note, false, NOTE_MAX, "override_note", "the reason for the overspend", e)))
		goto done;
	if ((rc = commission_limit(db, s, &limit)))
		goto done;
	if (nr.estimate <= limit) {
		/* Within the limit: approved at once if the budget has room. */
		if ((rc = approve_check(db, s, in->budget_id, nr.estimate, override_note, &nr.override, e)))
			goto done;
		nr.approved = true;
		nr.status = "approved";
		nr.note = nr.override ? override_note : "Within the requester's approval limit";
	}
	if ((rc = commission_insert(db, s, in, &nr, id)))
		goto done;
	struct crow c;
	if ((rc = crow_load(db, *id, &c)))
		goto done;
	rc = record_move(db, s, &c, NULL, "requested", "requested", nr.estimate, on, in->reason, "create");
	if (!rc && nr.approved)
		rc = record_move(db, s, &c, "requested", "approved", nr.override ? "approved (overspend"
				 " override)" : "approved", nr.estimate, on, nr.note, "update");
done:
	arena_free(&a);
	return rc;
}

int commission_request(struct db *db, const struct scope *s, int64_t case_id,
		       const struct commission_in *in, const char *override_note, int64_t *id,
		       struct errinfo *e)
{
	bool yes = false;
	*id = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if (caps_has(s->caps, CAP_COMMISSION_REQUEST) && (rc = case_visible(db, s, case_id, &yes)))
		return tx_end(db, rc);
	if (!yes)
		return denied_commit(db, s, "cases", case_id, "request a commission", HE_NOT_FOUND, e);
	return tx_end(db, request_checked(db, s, case_id, in, override_note, id, e));
}

/* ---- moves -------------------------------------------------------------------------------- */

enum who_may { MAY_HOLDER, MAY_DELIVER, MAY_MANAGE, MAY_CANCEL };

/* May s make this move on c?  HE_OK, or the denial's code. */
static int may(struct db *db, const struct scope *s, const struct crow *c, enum who_may w, int *code)
{
	bool holds = false, sees = false, visible = false;
	*code = HE_OK;
	int rc = budget_holds(db, s, c->budget_id, &holds);
	if (!rc)
		rc = case_visible(db, s, c->case_id, &sees);
	if (!rc)
		rc = commission_visible(db, s, c->id, &visible);
	if (rc)
		return rc;
	bool all = caps_has(s->caps, CAP_COMMISSIONS_ALL);
	bool ok = w == MAY_HOLDER ? holds
		: w == MAY_DELIVER ? holds || sees
		: w == MAY_MANAGE ? holds || all
		: holds || all || (sees && strcmp(c->status, "requested") == 0);
	if (!ok)
		*code = visible ? HE_FORBIDDEN : HE_NOT_FOUND;
	return HE_OK;
}

/* Begin, load, check who may and the version: on HE_OK the transaction is
 * open; otherwise it has been ended. */
static int move_begin(struct db *db, const struct scope *s, int64_t id, int64_t version, enum who_may w,
		      const char *what, struct crow *c, struct errinfo *e)
{
	int code = HE_OK;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = crow_load(db, id, c);
	if (rc == HE_NOT_FOUND)
		return denied_commit(db, s, "commissions", id, what, HE_NOT_FOUND, e);
	if (!rc)
		rc = may(db, s, c, w, &code);
	if (!rc && code)
		return denied_commit(db, s, "commissions", id, what, code, e);
	if (!rc && version <= 0)
		rc = errinfo_set(e, HE_MISSING, "version", "The form did not say which version of the"
				 " commission it changes: reload the page");
	if (!rc && version != c->version)
		rc = version_conflict(e);
	if (rc)
		db_rollback(db);
	return rc;
}

int commission_may_move(struct db *db, const struct scope *s, int64_t id, enum commission_move m,
			struct errinfo *e)
{
	static const enum who_may who[] = {
		[MOVE_DECIDE] = MAY_HOLDER, [MOVE_DELIVER] = MAY_DELIVER, [MOVE_PAY] = MAY_MANAGE,
		[MOVE_CANCEL] = MAY_CANCEL, [MOVE_REFUND] = MAY_MANAGE,
	};
	static const char *const what[] = {
		[MOVE_DECIDE] = "decide a commission", [MOVE_DELIVER] = "record delivery of a commission",
		[MOVE_PAY] = "record payment of a commission", [MOVE_CANCEL] = "cancel a commission",
		[MOVE_REFUND] = "refund a commission",
	};
	struct crow c;
	int code = HE_OK;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = crow_load(db, id, &c);
	if (rc == HE_NOT_FOUND)
		return denied_commit(db, s, "commissions", id, what[m], HE_NOT_FOUND, e);
	if (!rc)
		rc = may(db, s, &c, who[m], &code);
	if (!rc && code)
		return denied_commit(db, s, "commissions", id, what[m], code, e);
	db_rollback(db);
	return rc;
}

static int wrong_status(const struct crow *c, const char *doing, struct errinfo *e)
{
	return errinfo_set(e, HE_CONFLICT, "status", "This commission is %s: it cannot be %s",
			   commission_status_title(c->status), doing);
}

/* UPDATE commissions SET <sets>, version + 1 WHERE id AND version; binds
 * via the callback-free pattern: the caller prepares with :id :version. */
static int update_done(struct db *db, struct db_stmt *st, const struct crow *c, struct errinfo *e)
{
	char now[21];
	now_utc(now);
	db_bind_int(st, ":id", c->id);
	db_bind_int(st, ":version", c->version);
	db_bind_text(st, ":now", now);
	int rc = db_done(st);
	if (rc == HE_OK && db_changes(db) == 0)
		rc = version_conflict(e);
	return rc;
}

static void bind_user(struct db_stmt *st, const char *name, const struct scope *s)
{
	if (s->user_id > 0)
		db_bind_int(st, name, s->user_id);
	else
		db_bind_null(st, name);
}

int commission_decide(struct db *db, const struct scope *s, int64_t id, int64_t version, bool approve,
		      const char *note, bool override_overspend, struct errinfo *e)
{
	struct crow c;
	bool overridden = false;
	int rc = move_begin(db, s, id, version, MAY_HOLDER, "decide a commission", &c, e);
	if (rc)
		return rc;
	if (strcmp(c.status, "requested") != 0)
		rc = wrong_status(&c, approve ? "approved" : "declined", e);
	if (!rc)
		rc = text_check(note, !approve || override_overspend, NOTE_MAX, "note", approve
				? "why the budget may be overspent" : "why it is declined", e);
	if (!rc && approve)
		rc = approve_check(db, s, c.budget_id, c.estimate, override_overspend ? note : NULL,
				   &overridden, e);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "UPDATE commissions SET status = :status, decided_by = :user,"
			" decided_at = :now, decision_note = :note, overspend_override = :override,"
			" updated_at = :now, version = version + 1 WHERE id = :id AND version = :version");
		db_bind_text(st, ":status", approve ? "approved" : "declined");
		bind_user(st, ":user", s);
		db_bind_text(st, ":note", note ? note : "");
		db_bind_int(st, ":override", overridden ? 1 : 0);
		rc = update_done(db, st, &c, e);
	}
	if (!rc)
		rc = record_move(db, s, &c, "requested", approve ? "approved" : "declined", !approve ? "declined"
				 : overridden ? "approved (overspend override)" : "approved", c.estimate, NULL,
				 note, "update");
	return tx_end(db, rc);
}

/* on (NULL/"": today) as a date, not in the future, not before the
 * request (people; the system may back-date freely). */
static int move_date(const struct scope *s, const struct crow *c, const char *on, char out[11],
		     struct errinfo *e)
{
	hday d = date_today(), req;
	if (on && *on && !date_parse(on, &d))
		return errinfo_set(e, HE_INVALID, "on", "Enter a real date, for example 2026-03-14");
	if (d > date_today())
		return errinfo_set(e, HE_INVALID, "on", "The date cannot be in the future");
	if (s->user_id > 0 && date_parse(c->requested_on, &req) && d < req)
		return errinfo_set(e, HE_INVALID, "on", "The date cannot be before the request (%s)",
				   c->requested_on);
	date_format(d, out);
	return HE_OK;
}

/* The extra a delivery above the estimate commits (0 at or under it):
 * checked as an approval is, the budget locked first; only the holder's
 * override_note lets it overspend (*overridden). */
static int deliver_afford(struct db *db, const struct scope *s, const struct crow *c, int64_t actual,
			  const char *override_note, bool *overridden, struct errinfo *e)
{
	*overridden = false;
	if (actual <= c->estimate)
		return HE_OK;
	int rc = text_check(override_note, false, NOTE_MAX, "override_note", "why the budget may be overspent", e);
	return rc ? rc : approve_check(db, s, c->budget_id, actual - c->estimate, override_note, overridden, e);
}

int commission_deliver_override(struct db *db, const struct scope *s, int64_t id, int64_t version,
				const char *on, int64_t actual_pence, const char *override_note,
				struct errinfo *e)
{
	struct crow c;
	char day[11];
	bool overridden = false;
	int rc = move_begin(db, s, id, version, MAY_DELIVER, "record delivery of a commission", &c, e);
	if (rc)
		return rc;
	if (strcmp(c.status, "approved") != 0)
		rc = wrong_status(&c, "recorded as delivered", e);
	if (!rc && actual_pence < 0)
		actual_pence = c.estimate;
	if (!rc && actual_pence > MONEY_MAX)
		rc = errinfo_set(e, HE_INVALID, "actual", "Enter what it actually cost, for example £540.00");
	if (!rc)
		rc = move_date(s, &c, on, day, e);
	if (!rc)
		rc = deliver_afford(db, s, &c, actual_pence, override_note, &overridden, e);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "UPDATE commissions SET status = 'delivered',"
			" actual_pence = :actual, delivered_on = :on, updated_at = :now,"
			" overspend_override = CASE WHEN :override = 1 THEN 1 ELSE overspend_override END,"
			" version = version + 1 WHERE id = :id AND version = :version");
		db_bind_int(st, ":actual", actual_pence);
		db_bind_text(st, ":on", day);
		db_bind_int(st, ":override", overridden ? 1 : 0);
		rc = update_done(db, st, &c, e);
	}
	if (!rc) {
		char note[NOTE_MAX * 4 + 120] = "", est[32];
		money_format(c.estimate, est);
		if (actual_pence != c.estimate)
			snprintf(note, sizeof note, "Estimated %s%s%s", est, overridden ? "; overspend override: "
				 : "", overridden ? override_note : "");
		rc = record_move(db, s, &c, "approved", "delivered", overridden ? "delivered (overspend override)"
				 : "delivered", actual_pence, day, note, "update");
	}
	return tx_end(db, rc);
}

int commission_deliver(struct db *db, const struct scope *s, int64_t id, int64_t version,
		       const char *on, int64_t actual_pence, struct errinfo *e)
{
	return commission_deliver_override(db, s, id, version, on, actual_pence, NULL, e);
}

int commission_pay(struct db *db, const struct scope *s, int64_t id, int64_t version, const char *on,
		   struct errinfo *e)
{
	struct crow c;
	char day[11];
	int rc = move_begin(db, s, id, version, MAY_MANAGE, "record payment of a commission", &c, e);
	if (rc)
		return rc;
	if (strcmp(c.status, "delivered") != 0)
		rc = wrong_status(&c, "paid (record its delivery first)", e);
	if (!rc)
		rc = move_date(s, &c, on, day, e);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "UPDATE commissions SET status = 'paid', paid_on = :on,"
			" updated_at = :now, version = version + 1 WHERE id = :id AND version = :version");
		db_bind_text(st, ":on", day);
		rc = update_done(db, st, &c, e);
	}
	if (!rc)
		rc = record_move(db, s, &c, "delivered", "paid", "paid", c.actual, day, "", "update");
	return tx_end(db, rc);
}

int commission_cancel(struct db *db, const struct scope *s, int64_t id, int64_t version,
		      const char *reason, struct errinfo *e)
{
	struct crow c;
	int rc = move_begin(db, s, id, version, MAY_CANCEL, "cancel a commission", &c, e);
	if (rc)
		return rc;
	if (strcmp(c.status, "requested") != 0 && strcmp(c.status, "approved") != 0 &&
	    strcmp(c.status, "delivered") != 0)
		rc = wrong_status(&c, "cancelled", e);
	if (!rc)
		rc = text_check(reason, true, NOTE_MAX, "reason", "why it is cancelled", e);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "UPDATE commissions SET status = 'cancelled',"
			" updated_at = :now, version = version + 1 WHERE id = :id AND version = :version");
		rc = update_done(db, st, &c, e);
	}
	if (!rc)
		rc = record_move(db, s, &c, c.status, "cancelled", "cancelled",
				 c.actual >= 0 ? c.actual : c.estimate, NULL, reason, "update");
	return tx_end(db, rc);
}

int commission_refund(struct db *db, const struct scope *s, int64_t id, int64_t version,
		      int64_t pence, const char *reason, struct errinfo *e)
{
	struct crow c;
	char left[32];
	int rc = move_begin(db, s, id, version, MAY_MANAGE, "refund a commission", &c, e);
	if (rc)
		return rc;
	if (strcmp(c.status, "paid") != 0)
		rc = wrong_status(&c, "refunded (only a paid commission can be)", e);
	money_format(c.actual - c.refunded, left);
	if (!rc && (pence <= 0 || pence > c.actual - c.refunded))
		rc = errinfo_set(e, HE_INVALID, "amount", "Enter the amount refunded: more than £0.00 and"
				 " at most %s (what was paid less earlier refunds)", left);
	if (!rc)
		rc = text_check(reason, true, NOTE_MAX, "reason", "why it is refunded", e);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "UPDATE commissions SET refunded_pence = refunded_pence"
			" + :pence, updated_at = :now, version = version + 1 WHERE id = :id AND version = :version");
		db_bind_int(st, ":pence", pence);
		rc = update_done(db, st, &c, e);
	}
	if (!rc)
		rc = record_move(db, s, &c, "paid", "paid", "refunded", pence, NULL, reason, "update");
	return tx_end(db, rc);
}

/* ---- reading ------------------------------------------------------------------------------- */

#define SELECT_COMMISSION \
	"SELECT m.id, m.case_id, k.family_id, m.budget_id, coalesce(m.service_id, 0), m.version," \
	" k.ref, m.kind, m.status, m.reason, coalesce(s.name, ''), coalesce(p.name, '')," \
	" coalesce(s.unit, ''), b.name, f.name, k.status, coalesce(ru.name, ''), m.requested_at," \
	" coalesce(du.name, ''), coalesce(m.decided_at, ''), coalesce(m.decision_note, '')," \
	" coalesce(m.delivered_on, ''), coalesce(m.paid_on, ''), m.quantity, m.unit_cost_pence," \
	" m.estimate_pence, coalesce(m.actual_pence, -1), m.refunded_pence, m.overspend_override" \
	" FROM commissions m JOIN cases k ON k.id = m.case_id JOIN families f ON f.id = k.family_id" \
	" JOIN budgets b ON b.id = m.budget_id LEFT JOIN services s ON s.id = m.service_id" \
	" LEFT JOIN providers p ON p.id = s.provider_id LEFT JOIN users ru ON ru.id = m.requested_by" \
	" LEFT JOIN users du ON du.id = m.decided_by "

static void row_read(struct db_stmt *st, struct arena *a, struct commission *x)
{
	memset(x, 0, sizeof *x);
	x->id = db_int(st, 0);
	x->case_id = db_int(st, 1);
	x->family_id = db_int(st, 2);
	x->budget_id = db_int(st, 3);
	x->service_id = db_int(st, 4);
	x->version = db_int(st, 5);
	commission_ref(x->id, x->ref);
	snprintf(x->case_ref, sizeof x->case_ref, "%s", db_text(st, 6));
	x->kind = arena_strdup(a, db_text(st, 7));
	x->status = arena_strdup(a, db_text(st, 8));
	x->reason = arena_strdup(a, db_text(st, 9));
	bool grant = strcmp(x->kind, "household_grant") == 0;
	x->what = grant ? "Household item grant" : arena_strdup(a, db_text(st, 10));
	x->provider = arena_strdup(a, db_text(st, 11));
	x->unit = arena_strdup(a, db_text(st, 12));
	x->budget_name = arena_strdup(a, db_text(st, 13));
	x->family_name = arena_strdup(a, db_text(st, 14));
	x->case_status = arena_strdup(a, db_text(st, 15));
	x->requested_by = arena_strdup(a, db_text(st, 16));
	x->requested_at = arena_strdup(a, db_text(st, 17));
	x->decided_by = arena_strdup(a, db_text(st, 18));
	x->decided_at = arena_strdup(a, db_text(st, 19));
	x->decision_note = arena_strdup(a, db_text(st, 20));
	x->delivered_on = arena_strdup(a, db_text(st, 21));
	x->paid_on = arena_strdup(a, db_text(st, 22));
	x->quantity = (int)db_int(st, 23);
	x->unit_cost_pence = db_int(st, 24);
	x->estimate_pence = db_int(st, 25);
	x->actual_pence = db_int(st, 26);
	x->refunded_pence = db_int(st, 27);
	x->overspend_override = db_int(st, 28) != 0;
	/* The same definitions as budget_position. */
	if (strcmp(x->status, "approved") == 0)
		x->committed_pence = x->estimate_pence;
	else if (strcmp(x->status, "delivered") == 0)
		x->committed_pence = x->actual_pence;
	else if (strcmp(x->status, "paid") == 0)
		x->spent_pence = x->actual_pence - x->refunded_pence;
}

/* Rows of sql (SELECT_COMMISSION + a WHERE on :id, or none) into *out. */
static int list_query(struct db *db, struct arena *a, const char *sql, int64_t id, bool bind,
		      struct commission **out, size_t *n)
{
	size_t cap = 16;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db, sql);
	if (bind)
		db_bind_int(st, ":id", id);
	while (db_next(st)) {
		if (*n == cap) {
			struct commission *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, *out, cap * sizeof *m);
			*out = m;
			cap *= 2;
		}
		row_read(st, a, &(*out)[(*n)++]);
	}
	return db_finalize(st);
}

int commission_list_case(struct db *db, struct arena *a, int64_t case_id, struct commission **out, size_t *n)
{
	return list_query(db, a, SELECT_COMMISSION "WHERE m.case_id = :id ORDER BY m.id DESC", case_id, true,
			  out, n);
}

int commission_list_budget(struct db *db, struct arena *a, int64_t budget_id, struct commission **out,
			   size_t *n)
{
	return list_query(db, a, SELECT_COMMISSION "WHERE m.budget_id = :id ORDER BY m.id DESC", budget_id,
			  true, out, n);
}

int commission_list_all(struct db *db, struct arena *a, struct commission **out, size_t *n)
{
	return list_query(db, a, SELECT_COMMISSION "ORDER BY m.id", 0, false, out, n);
}

int commission_list_pending(struct db *db, struct arena *a, const struct scope *s, struct commission **out,
			    size_t *n)
{
	struct commission *all;
	size_t nall;
	*out = NULL;
	*n = 0;
	if (!caps_has(s->caps, CAP_COMMISSION_APPROVE))
		return HE_OK;
	int rc = list_query(db, a, SELECT_COMMISSION "WHERE m.status = 'requested' ORDER BY m.id", 0, false,
			    &all, &nall);
	if (rc)
		return rc;
	*out = all;
	for (size_t i = 0; i < nall; i++) {
		bool holds = false;
		if ((rc = budget_holds(db, s, all[i].budget_id, &holds)))
			return rc;
		if (holds)
			(*out)[(*n)++] = all[i];
	}
	return HE_OK;
}

static int items_load(struct db *db, struct arena *a, int64_t id, struct commission_item **out, size_t *n)
{
	size_t cap = ITEMS_MAX + 1;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db, "SELECT id, description, amount_pence FROM commission_items"
					" WHERE commission_id = :id ORDER BY id");
	db_bind_int(st, ":id", id);
	while (db_next(st) && *n < cap)
		(*out)[(*n)++] = (struct commission_item){db_int(st, 0), arena_strdup(a, db_text(st, 1)),
							  db_int(st, 2)};
	return db_finalize(st);
}

static int events_load(struct db *db, struct arena *a, int64_t id, struct commission_event **out, size_t *n)
{
	size_t cap = 8;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db, "SELECT e.at, coalesce(e.from_status, ''), e.to_status, e.note,"
		" coalesce(u.name, 'Hearth'), coalesce(e.amount_pence, -1) FROM commission_events e"
		" LEFT JOIN users u ON u.id = e.user_id WHERE e.commission_id = :id ORDER BY e.id");
	db_bind_int(st, ":id", id);
	while (db_next(st)) {
		if (*n == cap) {
			struct commission_event *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, *out, cap * sizeof *m);
			*out = m;
			cap *= 2;
		}
		(*out)[(*n)++] = (struct commission_event){arena_strdup(a, db_text(st, 0)),
			arena_strdup(a, db_text(st, 1)), arena_strdup(a, db_text(st, 2)),
			arena_strdup(a, db_text(st, 3)), arena_strdup(a, db_text(st, 4)), db_int(st, 5)};
	}
	return db_finalize(st);
}

int commission_load(struct db *db, struct arena *a, const struct scope *s, int64_t id,
		    struct commission *out, struct commission_item **items, size_t *nitems,
		    struct commission_event **events, size_t *nevents, struct errinfo *e)
{
	bool yes = false, found = false;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = commission_visible(db, s, id, &yes)))
		return tx_end(db, rc);
	if (!yes)
		return denied_commit(db, s, "commissions", id, "view a commission", HE_NOT_FOUND, e);
	struct db_stmt *st = db_prepare(db, SELECT_COMMISSION "WHERE m.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		row_read(st, a, out);
		found = true;
	}
	rc = db_finalize(st);
	if (!rc && !found)
		rc = HE_NOT_FOUND;
	if (!rc && items)
		rc = items_load(db, a, id, items, nitems);
	if (!rc && events)
		rc = events_load(db, a, id, events, nevents);
	if (!rc)
		rc = audit_row(db, s, "view", id, "commission %s (%s)", out->ref, out->status);
	return tx_end(db, rc);
}
