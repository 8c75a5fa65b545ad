/* commission.h — services (and household item grants) bought for a
 * family's case from a budget, and their life: requested → approved →
 * delivered → paid, or declined / cancelled, with refunds after payment.
 *
 * Money is integer pence.  A service commission costs quantity × the
 * service's unit cost (the estimate, committed on approval); a household
 * item grant costs the sum of its items (quantity 1).  On delivery the
 * actual cost replaces the estimate; a refund after payment reduces what
 * was spent.  What a commission weighs against its budget is K's
 * budget_position: committed = estimate (or actual once delivered) of
 * approved and delivered ones, spent = actual − refunded of paid ones.
 *
 * Who may.
 *   request  — CAP_COMMISSION_REQUEST and sees the case (case_visible: the
 *              case's worker, a covering worker, the coordinator).  At or
 *              under the requester's role limit (settings
 *              commission.limit.<role>) it is approved at once (if the
 *              budget has room), else it waits as "requested".
 *   decide   — the budget holder (CAP_COMMISSION_APPROVE + budget_holds).
 *   deliver  — whoever sees the case (the worker records delivery), or
 *              the budget holder.
 *   pay, cancel, refund — the budget holder or CAP_COMMISSIONS_ALL (the
 *              coordinator); the case's worker may also cancel a
 *              commission still "requested" (withdraw their request).
 * Anyone else: HE_NOT_FOUND, audited "denied".
 *
 * Overspend.  An approval (automatic or the holder's) that would make the
 * budget's committed + spent exceed its amount is refused (HE_CONFLICT,
 * field "budget", the message names the figures) unless the holder
 * overrides with a note (overspend_override = 1, note, chron, audit).
 * Every approval first bumps budgets.version (the row lock on PostgreSQL,
 * the write lock on SQLite) and only then computes the position, so of
 * two concurrent approvals of the last of a budget exactly one succeeds.
 *
 * Every move writes commission_events, a chronology "note" on the case and
 * one audit row, in one transaction.  New commissions on a closed or
 * stepped-up case are refused (HE_CONFLICT, field "case"); moves of
 * existing ones stay possible (pay an invoice after closure).  A stale
 * version: HE_CONFLICT, field "version". */
#ifndef HEARTH_COMMISSION_H
#define HEARTH_COMMISSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;

/* ---- the contract (issue #7) ------------------------------------------- */

struct grant_item_in { const char *description; int64_t amount_pence; };
struct commission_in {
	const char *idem_key;            /* NULL: none; a repeat returns the first commission */
	const char *kind;                /* "service" or "household_grant" */
	const char *reason;              /* why the family needs it (required) */
	int64_t budget_id, service_id;   /* service_id: kind "service" only */
	int quantity;                    /* service: 1–1000; grant: ignored (1) */
	const struct grant_item_in *items; size_t nitems;   /* grant: 1–50 items */
	const char *on;                  /* date requested: NULL/"" today; only the system
					    scope (demo, import) may give an earlier one */
};

/* Request a commission for case case_id (own tx).  Within the requester's
 * role limit and the budget's room it is approved at once; within the
 * limit but overspending: refused (HE_CONFLICT, field "budget") unless
 * override_note is given and s holds the budget; over the limit it is
 * "requested" for the holder.  Fields named on error: "kind", "reason",
 * "budget", "service", "quantity", "items", "items.N.description",
 * "items.N.amount", "case". */
int commission_request(struct db *db, const struct scope *s, int64_t case_id,
		       const struct commission_in *in, const char *override_note, int64_t *id,
		       struct errinfo *e);
/* The holder approves or declines a "requested" commission (own tx).
 * Declining needs a note (field "note"); an overspending approval needs
 * override_overspend and a note. */
int commission_decide(struct db *db, const struct scope *s, int64_t id, int64_t version, bool approve,
		      const char *note, bool override_overspend, struct errinfo *e);
/* Record delivery of an approved commission on date on (NULL/"": today;
 * not in the future) at actual_pence (< 0: the estimate). */
int commission_deliver(struct db *db, const struct scope *s, int64_t id, int64_t version,
		       const char *on, int64_t actual_pence, struct errinfo *e);
/* commission_deliver with an override: in both, an actual cost above the
 * estimate is checked against the budget as an approval is (409, field
 * "budget"); here the holder's override_note lets it overspend (recorded
 * as overspend_override, in the chronology and the audit row). */
int commission_deliver_override(struct db *db, const struct scope *s, int64_t id, int64_t version,
				const char *on, int64_t actual_pence, const char *override_note,
				struct errinfo *e);
/* Record payment of a delivered commission (on: NULL/"" today). */
int commission_pay(struct db *db, const struct scope *s, int64_t id, int64_t version, const char *on,
		   struct errinfo *e);
/* Cancel a requested, approved or delivered commission (before payment;
 * releases the commitment).  reason required (field "reason"). */
int commission_cancel(struct db *db, const struct scope *s, int64_t id, int64_t version,
		      const char *reason, struct errinfo *e);
/* Refund pence (> 0, at most actual − refunded so far; field "amount") of
 * a paid commission; reason required. */
int commission_refund(struct db *db, const struct scope *s, int64_t id, int64_t version,
		      int64_t pence, const char *reason, struct errinfo *e);

/* The moves by name, for commission_may_move. */
enum commission_move { MOVE_DECIDE, MOVE_DELIVER, MOVE_PAY, MOVE_CANCEL, MOVE_REFUND };
/* May s make this move on commission id at all (before its input is
 * checked)?  HE_OK; or HE_NOT_FOUND / HE_FORBIDDEN with the "denied" audit
 * row written, so a caller that finds the input bad still answers a
 * stranger with the refusal, not with what was wrong with the form. */
int commission_may_move(struct db *db, const struct scope *s, int64_t id, enum commission_move m,
			struct errinfo *e);

/* ---- beyond the contract --------------------------------------------------- */

/* "M-000123" for id 123. */
void commission_ref(int64_t id, char out[16]);
/* The id for a ref; HE_NOT_FOUND if none or malformed (no scope check). */
int commission_id_by_ref(struct db *db, const char *ref, int64_t *id);
/* May s see commission id?  CAP_COMMISSIONS_ALL; or sees its case; or
 * holds its budget.  *yes false for an unknown id. */
int commission_visible(struct db *db, const struct scope *s, int64_t id, bool *yes);

/* requested approved declined delivered paid cancelled; NULL-terminated. */
extern const char *const commission_statuses[];
/* "Waiting for approval", "Approved", "Declined", "Delivered", "Paid",
 * "Cancelled". */
const char *commission_status_title(const char *status);
/* "Service", "Household item grant". */
const char *commission_kind_title(const char *kind);

/* One commission as read. */
struct commission {
	int64_t id, case_id, family_id, budget_id, service_id, version;
	char ref[16], case_ref[16];
	const char *kind, *status, *reason;
	const char *what;                /* service name, or "Household item grant" */
	const char *provider, *unit;     /* "" for a grant */
	const char *budget_name, *family_name, *case_status;
	const char *requested_by, *requested_at, *decided_by, *decided_at, *decision_note;
	const char *delivered_on, *paid_on;   /* "" when not yet */
	int quantity;
	int64_t unit_cost_pence, estimate_pence;
	int64_t actual_pence;            /* -1: not delivered */
	int64_t refunded_pence;
	int64_t committed_pence;         /* what it holds against the budget now (approved/delivered) */
	int64_t spent_pence;             /* paid: actual − refunded */
	bool overspend_override;
};
struct commission_item { int64_t id; const char *description; int64_t amount_pence; };
struct commission_event {
	const char *at, *from_status, *to_status, *note, *who;
	int64_t amount_pence;            /* -1: none */
};

/* One commission with its items and history (oldest first), as one audited
 * "view" (own tx); out of scope or unknown: HE_NOT_FOUND + "denied".
 * items/events may be NULL when not wanted. */
int commission_load(struct db *db, struct arena *a, const struct scope *s, int64_t id,
		    struct commission *out, struct commission_item **items, size_t *nitems,
		    struct commission_event **events, size_t *nevents, struct errinfo *e);

/* Lists (no audit: the caller audits its page view).  Newest first. */
int commission_list_case(struct db *db, struct arena *a, int64_t case_id,
			 struct commission **out, size_t *n);
int commission_list_budget(struct db *db, struct arena *a, int64_t budget_id,
			   struct commission **out, size_t *n);
/* Every commission, oldest first (the export). */
int commission_list_all(struct db *db, struct arena *a, struct commission **out, size_t *n);
/* "requested" commissions on budgets s holds, oldest first. */
int commission_list_pending(struct db *db, struct arena *a, const struct scope *s,
			    struct commission **out, size_t *n);

/* The role limit for s: setting commission.limit.<role> (worker,
 * coordinator); 0 for other roles (everything waits for the holder).  The
 * system scope (demo, CLI) acts as the case's worker: the worker limit. */
int commission_limit(struct db *db, const struct scope *s, int64_t *pence);

/* Budgets a request may draw on: budget.h budget_for_case. */

#endif
