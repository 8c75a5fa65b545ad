/* budget.h — budgets, who holds them, their funding sources, and the
 * budget position every page, export and API total is computed from.
 *
 * A budget is owned by a school (held by that school's users), a district
 * or the partnership (both held by the coordinator).  Its period is the
 * financial year (1 April start_year – 31 March start_year+1) or the
 * academic year (1 September – 31 August).  Its funding sources (the DSG
 * transfer, the council, a pilot grant …) must sum exactly to its amount.
 *
 * The position, from the commissions against it:
 *   committed = Σ estimate (actual once delivered) of approved and delivered
 *   spent     = Σ (actual − refunded) of paid ones
 *   pending   = Σ estimate of requested ones
 *   available = amount − committed − spent
 *
 * Scope: CAP_BUDGETS sees every budget, except a school user (scope
 * school_id set) who sees only its own school's; anything else is
 * HE_NOT_FOUND and audited "denied". */
#ifndef HEARTH_BUDGET_H
#define HEARTH_BUDGET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;

/* ---- the contract (issue #7) ------------------------------------------- */

struct budget_pos {
	int64_t amount, committed, spent, pending, available;
};
/* The position of budget_id now (in the caller's transaction if one is
 * open).  HE_NOT_FOUND for an unknown budget. */
int budget_position(struct db *db, int64_t budget_id, struct budget_pos *out);
/* May s approve commissions against budget_id?  CAP_COMMISSION_APPROVE and
 * either a school budget of s's school, or a district/partnership budget
 * and s is not a school user (the coordinator).  The system scope
 * (user_id 0) holds every budget.  *yes false for an unknown id. */
int budget_holds(struct db *db, const struct scope *s, int64_t budget_id, bool *yes);
/* May s see budget_id?  CAP_BUDGETS and (not a school user, or the
 * budget is its school's).  *yes false for an unknown id. */
int budget_visible(struct db *db, const struct scope *s, int64_t budget_id, bool *yes);

/* ---- beyond the contract --------------------------------------------------- */

/* school district partnership; financial academic; NULL-terminated. */
extern const char *const budget_owner_kinds[];
extern const char *const budget_periods[];

struct budget_source {
	int64_t id;
	const char *source;
	int64_t amount_pence;
	char share[16];                /* "15.8%" of the budget's amount */
};

struct budget {
	int64_t id, school_id, district_id, version;
	const char *name, *owner_kind, *period;
	const char *owner_name;        /* the school's or district's name; "The partnership" */
	const char *period_label;      /* "Financial year 2026–27", "Academic year 2026–27" */
	char start_on[11], end_on[11];  /* "2026-04-01", "2027-03-31" */
	int start_year;
	struct budget_pos pos;         /* pos.amount == the budget's amount */
	struct budget_source *sources;
	size_t nsources;
};

/* One budget with its position and sources, no scope, no audit (for other
 * modules: the commission page, exports).  HE_NOT_FOUND if none. */
int budget_get(struct db *db, struct arena *a, int64_t id, struct budget *out);
/* The same for a user: budget_visible (else HE_NOT_FOUND + audit
 * "denied"), and an audited "view" (own transaction unless one is open). */
int budget_load(struct db *db, struct arena *a, const struct scope *s, int64_t id,
		struct budget *out, struct errinfo *e);
/* The budgets s may see, newest period first then by owner and name, each
 * with position and sources.  No audit (the caller audits the list view). */
int budget_list(struct db *db, struct arena *a, const struct scope *s,
		struct budget **out, size_t *n);
/* The budgets a commission for case case_id may be drawn from, whose
 * period includes on (NULL: today): the school budgets of the schools of
 * the case's referral and the family's children, the district budgets of
 * those schools' districts, and the partnership's.  No scope (the caller
 * checked the case), no audit. */
int budget_for_case(struct db *db, struct arena *a, int64_t case_id, const char *on,
		    struct budget **out, size_t *n);

/* Would committing add_pence more to budget_id overspend it?  HE_OK if
 * committed + spent + add_pence ≤ amount, else HE_CONFLICT, field
 * "budget", "This would overspend <name> by £120.00 (available £80.00)".
 * Call after budget_lock_tx, inside the approval's transaction. */
int budget_check_afford(struct db *db, int64_t budget_id, int64_t add_pence, struct errinfo *e);
/* Serialise approvals against budget_id: UPDATE budgets SET version =
 * version + 1 (the row lock on PostgreSQL, the write lock on SQLite).
 * Caller's transaction (HE_INTERNAL outside one); HE_NOT_FOUND if none. */
int budget_lock_tx(struct db *db, int64_t budget_id);

struct budget_source_in { const char *source; int64_t amount_pence; };
struct budget_in {
	const char *name, *owner_kind, *period;
	int64_t school_id, district_id;   /* the one owner_kind needs */
	int start_year;
	int64_t amount_pence;
	const struct budget_source_in *sources; size_t nsources;   /* at least one */
};
/* Create (id 0) or edit a budget with its sources (replacing them), own
 * tx, CAP_BUDGETS_MANAGE (else HE_FORBIDDEN), audit.  Checks (field):
 * "name" (1–200), "owner_kind", "school_id"/"district_id" (a known one),
 * "period", "start_year" (2000–2100), "amount" (0 … MONEY_MAX, and not
 * below committed + spent when editing), "sources" (at least one; each
 * name 1–200 and distinct: "sources.<i>.source"; amounts "sources.<i>.amount";
 * the sum equal to the amount, message naming both).  Editing: version
 * must match (HE_CONFLICT, field "version"). */
int budget_save(struct db *db, const struct scope *s, int64_t id, int64_t version,
		const struct budget_in *in, int64_t *out_id, struct errinfo *e);

/* Commissions against a budget, for its page (read-only on commissions). */
struct budget_line {
	int64_t id, case_id;
	const char *ref, *case_ref, *kind, *what, *status, *requested_at;
	int64_t estimate_pence, actual_pence /* -1: none */, refunded_pence;
};
int budget_commissions(struct db *db, struct arena *a, int64_t budget_id,
		       struct budget_line **out, size_t *n);

#endif
