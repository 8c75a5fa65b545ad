/* demo_money.h — the demo's service catalogue, budgets and commissions
 * (issue 7).
 *
 * `hearth demo` calls demo_seed_money after demo_seed_taf.  It fills the
 * catalogue with providers and services modelled on Hackney's school
 * commissioning (family group conferencing, victim support, advice
 * through Jobcentre Plus, cognitive behaviour therapy, childcare places,
 * community mediation, debt advice) and the parenting programmes and
 * youth club families can stay with after their case closes (exit
 * routes); some serve every district, some only a few.  Budgets for the
 * financial year containing today: the demo school's own commissioning
 * budget (Ratae Academy — the Haggerston model: money given to the school
 * to buy services), a locality fund for its district (held by the
 * coordinator), and the partnership's pooled budget funded by the
 * Dedicated Schools Grant transfer (15.8%, as in Staffordshire), the City
 * Council and a pilot grant.  Then commissions across the demo's open
 * cases in every state: requests waiting for the demo school user (on
 * Ratae Academy's budget) and for the coordinator (district and pooled
 * budgets), approved at once within the worker's limit, approved by the
 * holder, delivered (one for less than estimated), paid, one refunded in
 * part, one cancelled, one declined, and household item grants with their
 * items (beds, a cooker, school uniform).
 *
 * Everything goes through the core (provider_save, service_save,
 * budget_save, commission_request, commission_decide, commission_deliver,
 * commission_pay, commission_refund, commission_cancel) as the system
 * scope, whose approval limit is the worker's (£250.00): larger requests
 * wait for the budget holder.  Deterministic from the seed and the
 * database. */
#ifndef HEARTH_DEMO_MONEY_H
#define HEARTH_DEMO_MONEY_H
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"

struct db;
struct audit_who;

/* Seed the catalogue, the budgets and the commissions as who.  Does
 * nothing (HE_OK) when the catalogue already has providers; seeds no
 * commissions when there are no open cases.  Must not be called inside a
 * transaction.  Any failure stops the seeding there and is returned.
 * Progress lines go to log if not NULL. */
int demo_seed_money(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		    FILE *log);

#endif
