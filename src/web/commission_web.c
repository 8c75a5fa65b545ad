/* commission_web.c — commissions as pages and JSON.
 *
 *   (section)  "Services and grants" on the family record: the case's
 *              commissions with status tags and money, and (open case,
 *              CAP_COMMISSION_REQUEST) the forms to request a service from
 *              the catalogue (those serving the family's district first)
 *              or a household item grant with item rows
 *   POST /cases/{ref}/commissions              request (kind service|household_grant)
 *   GET  /commissions/{ref}                    one commission: summary, items,
 *                                              history, the forms for the next step
 *   POST /commissions/{ref}/{decide,deliver,pay,cancel,refund}
 *                                              (deliver: a budget holder also gets
 *                                              override_note, for a cost above the
 *                                              estimate that would overspend)
 *   GET  /approvals                            requests waiting for budgets the
 *                                              user holds, with approve/decline forms
 *   GET  /commissions.csv, /commissions.xlsx   every commission with a totals row
 *   GET  /api/v1/commissions                   every commission and the totals
 *   POST /api/v1/cases/{ref}/commissions, GET /api/v1/commissions/{ref},
 *   POST /api/v1/commissions/{ref}/{decide,deliver,pay,cancel,refund},
 *   GET  /api/v1/approvals
 *
 * Who may do what is commission.c's (and budget.c's budget_holds); the
 * route table lets in the roles that take part in commissioning
 * (CAP_CATALOGUE: admin, coordinator, school, worker) and the core decides
 * per record: out of scope 404 (audited "denied"), visible but not theirs
 * to move 403.  Money is pence in JSON (integers) and printed through
 * money_format on pages; exports use money_plain (pounds, two decimals). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <xlsxwriter.h>

#include "base/csvout.h"
#include "base/date.h"
#include "base/fmt.h"
#include "base/money.h"
#include "core/budget.h"
#include "core/case.h"
#include "core/catalogue.h"
#include "core/commission.h"
#include "core/scope.h"
#include "store/db.h"
#include "web/dataprot_web.h"
#include "web/case_sections.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define GRANT_ROWS 5

/* ---- small pieces ---------------------------------------------------------- */

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static const char *idem_new(struct req *r)
{
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	char *hex = arena_alloc(&r->arena, 33);
	sodium_bin2hex(hex, 33, raw, sizeof raw);
	return hex;
}

static const char *day_text(struct req *r, const char *when)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					     "Aug", "Sep", "Oct", "Nov", "Dec"};
	char d[11];
	hday day;
	int y, m, dd;
	if (!when || strlen(when) < 10)
		return "—";
	snprintf(d, sizeof d, "%.10s", when);
	if (!date_parse(d, &day))
		return when;
	date_to_ymd(day, &y, &m, &dd);
	return arena_printf(&r->arena, "%d %s %d", dd, months[m - 1], y);
}

static const char *status_class(const char *status)
{
	return strcmp(status, "requested") == 0 ? "govuk-tag--yellow"
		: strcmp(status, "approved") == 0 ? "govuk-tag--blue"
		: strcmp(status, "delivered") == 0 ? "govuk-tag--turquoise"
		: strcmp(status, "paid") == 0 ? "govuk-tag--green"
		: strcmp(status, "declined") == 0 ? "govuk-tag--red" : "govuk-tag--grey";
}

static void status_tag(struct req *r, const char *status)
{
	fmt_printf(&r->out, "<strong class=\"govuk-tag %s\">%h</strong>", status_class(status),
		   commission_status_title(status));
}

/* "6 sessions of Family group conferencing" / "Household item grant". */
static const char *what_text(struct req *r, const struct commission *x)
{
	if (strcmp(x->kind, "service") != 0)
		return x->what;
	return arena_printf(&r->arena, "%d %s of %s", x->quantity, catalogue_unit_plural(x->unit, x->quantity),
			    x->what);
}

/* The figure that matters now: the actual once delivered, else the estimate;
 * net of refunds once paid. */
static int64_t cost_now(const struct commission *x)
{
	if (strcmp(x->status, "paid") == 0)
		return x->spent_pence;
	return x->actual_pence >= 0 ? x->actual_pence : x->estimate_pence;
}

static void money_input(struct req *r, const struct errinfo *e, const char *id, const char *name,
			const char *label, const char *hint, const char *value)
{
	page_group_open(r, e, id, label, hint);
	fmt_printf(&r->out, "<div class=\"govuk-input__wrapper\"><div class=\"govuk-input__prefix\""
		" aria-hidden=\"true\">£</div><input class=\"govuk-input govuk-input--width-10%s\" id=\"%h\""
		" name=\"%h\" type=\"text\" spellcheck=\"false\" value=\"%h\"%s></div></div>",
		page_has_err(e, id) ? " govuk-input--error" : "", id, name, value, page_describedby(r, e, id, hint != NULL));
}

static const char *val(struct req *r, bool again, const char *name)
{
	const char *x = again ? req_form(r, name) : NULL;
	return x ? x : "";
}

static void button(struct req *r, const char *text, bool secondary)
{
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button%s\" data-module=\"govuk-button\">%h"
		"</button>", secondary ? " govuk-button--secondary" : "", text);
}

/* Errors not about an input point at the form. */
static struct errinfo shown_error(const struct errinfo *e, const char *form_id)
{
	static const char *const not_inputs[] = {"", "case", "version", "idem", "kind", "status",
						 "items", NULL};
	struct errinfo s = *e;
	for (int i = 0; not_inputs[i]; i++)
		if (strcmp(e->field, not_inputs[i]) == 0)
			snprintf(s.field, sizeof s.field, "%s", form_id);
	return s;
}

static bool fatal(int rc)
{
	return rc == HE_NOT_FOUND || rc == HE_FORBIDDEN || rc == HE_INTERNAL || rc >= HE_DB;
}

static void done_banner(struct req *r, const char *id)
{
	static const char *const msgs[][2] = {
		{"requested", "Request sent to the budget holder for approval"},
		{"approved", "Commission approved"}, {"declined", "Request declined"},
		{"delivered", "Delivery recorded"}, {"paid", "Payment recorded"},
		{"cancelled", "Commission cancelled"}, {"refunded", "Refund recorded"}, {NULL, NULL},
	};
	const char *done = req_query(r, "done");
	for (int i = 0; done && msgs[i][0]; i++)
		if (strcmp(done, msgs[i][0]) == 0)
			fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
				" role=\"alert\" aria-labelledby=\"%s-title\" data-module=\"govuk-notification-banner\">"
				"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
				" id=\"%s-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
				"<p class=\"govuk-notification-banner__heading\">%h</p></div></div>", id, id, msgs[i][1]);
}

/* ---- the request forms --------------------------------------------------------- */

/* The district of the case's referring school (0 if none). */
static int64_t case_district(struct req *r, int64_t case_id)
{
	int64_t d = 0;
	struct db_stmt *st = db_prepare(r->db, "SELECT coalesce(s.district_id, 0) FROM cases c JOIN referrals f"
		" ON f.id = c.referral_id LEFT JOIN schools s ON s.id = f.school_id WHERE c.id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st))
		d = db_int(st, 0);
	db_finalize(st);
	return d;
}

static void budget_select(struct req *r, const struct errinfo *e, const char *id, int64_t case_id,
			  const char *cur)
{
	struct budget *bv = NULL;
	size_t nb = 0;
	budget_for_case(r->db, &r->arena, case_id, NULL, &bv, &nb);
	page_group_open(r, e, id, "Budget", "The budgets this family's support can be paid from, with what is left");
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"%h\" name=\"budget\"%s><option value=\"\">"
		"Choose</option>", page_has_err(e, id) ? " govuk-select--error" : "", id, page_describedby(r, e, id, true));
	for (size_t i = 0; i < nb; i++) {
		const char *v = arena_printf(&r->arena, "%lld", (long long)bv[i].id);
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h (%h available)</option>", v,
			   strcmp(cur, v) == 0 ? " selected" : "", bv[i].name, page_money(r, bv[i].pos.available));
	}
	fmt_printf(&r->out, "</select></div>");
}

static void service_select(struct req *r, const struct errinfo *e, int64_t case_id, const char *cur)
{
	struct service *sv = NULL;
	size_t n = 0;
	int64_t district = case_district(r, case_id);
	catalogue_services(r->db, &r->arena, true, district, &sv, &n);
	page_group_open(r, e, "service", "Service", "From the catalogue: those serving the family's district first");
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"service\" name=\"service\"%s><option value=\"\">"
		"Choose</option>", page_has_err(e, "service") ? " govuk-select--error" : "",
		page_describedby(r, e, "service", true));
	for (int g = 0; g < 2; g++) {
		bool opened = false;
		for (size_t i = 0; i < n; i++) {
			if (sv[i].serves_district != (g == 0))
				continue;
			if (!opened)
				fmt_printf(&r->out, "<optgroup label=\"%h\">", g == 0 ? "Serving the family's district"
					   : "Other services");
			opened = true;
			const char *v = arena_printf(&r->arena, "%lld", (long long)sv[i].id);
			fmt_printf(&r->out, "<option value=\"%h\"%s>%h – %h (%h a %h)%s</option>", v,
				   strcmp(cur, v) == 0 ? " selected" : "", sv[i].name, sv[i].provider_name,
				   page_money(r, sv[i].unit_cost_pence), catalogue_unit_title(sv[i].unit),
				   sv[i].exit_route ? ", exit route" : "");
		}
		if (opened)
			fmt_printf(&r->out, "</optgroup>");
	}
	fmt_printf(&r->out, "</select></div>");
}

static void override_field(struct req *r, const struct errinfo *e, bool again)
{
	if (!caps_has(req_scope(r)->caps, CAP_COMMISSION_APPROVE))
		return;
	page_text_area(r, e, "override_note", "override_note", "If this would overspend the budget (optional)",
		  "Budget holders only: say why it should be approved anyway. Leave blank to be stopped"
		  " if it would overspend.", 2, val(r, again, "override_note"));
}

static void service_form(struct req *r, int64_t case_id, const char *ref, const struct errinfo *e,
			 bool again)
{
	fmt_printf(&r->out, "<form method=\"post\" action=\"/cases/%u/commissions\" id=\"service-form\""
		" novalidate><input type=\"hidden\" name=\"kind\" value=\"service\">", ref);
	page_csrf_field(r, r->sess.csrf);
	service_select(r, e, case_id, val(r, again, "service"));
	page_text_input(r, e, "quantity", "quantity", "How many", "Sessions, place-weeks or grants", "text",
		   "govuk-input--width-4", again ? val(r, again, "quantity") : "1");
	budget_select(r, e, "budget", case_id, val(r, again, "budget"));
	page_text_area(r, e, "reason", "reason", "Why the family needs it", NULL, 3, val(r, again, "reason"));
	override_field(r, e, again);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
		   again ? val(r, again, "idem") : idem_new(r));
	button(r, "Request service", false);
	fmt_printf(&r->out, "</form>");
}

static void grant_form(struct req *r, int64_t case_id, const char *ref, const struct errinfo *e,
		       bool again)
{
	fmt_printf(&r->out, "<form method=\"post\" action=\"/cases/%u/commissions\" id=\"grant-form\""
		" novalidate><input type=\"hidden\" name=\"kind\" value=\"household_grant\">", ref);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--s\">Items (up to %d)</legend>", GRANT_ROWS);
	for (int i = 0; i < GRANT_ROWS; i++) {
		const char *d = arena_printf(&r->arena, "items.%d.description", i);
		const char *a = arena_printf(&r->arena, "items.%d.amount", i);
		page_text_input(r, e, d, d, arena_printf(&r->arena, "Item %d", i + 1), i == 0 ? "For example, single"
			   " bed and mattress" : NULL, "text", "govuk-!-width-two-thirds", val(r, again, d));
		money_input(r, e, a, a, arena_printf(&r->arena, "Cost of item %d", i + 1), NULL, val(r, again, a));
	}
	fmt_printf(&r->out, "</fieldset>");
	budget_select(r, e, "grant-budget", case_id, val(r, again, "budget"));
	page_text_area(r, e, "grant-reason", "reason", "Why the family needs it", NULL, 3, val(r, again, "reason"));
	override_field(r, e, again);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
		   again ? val(r, again, "idem") : idem_new(r));
	button(r, "Request grant", false);
	fmt_printf(&r->out, "</form>");
}

/* ---- the family page section ----------------------------------------------------- */

static void commissions_table(struct req *r, const struct commission *v, size_t n, bool with_case)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"commissions-table\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Commissions, newest first</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	page_th_n(r, "Ref", false);
	if (with_case)
		page_th_n(r, "Family", false);
	page_th_n(r, "What", false);
	page_th_n(r, "Budget", false);
	page_th_n(r, "Status", false);
	page_th_n(r, "Cost", true);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		const struct commission *x = &v[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\" id=\"commission-%h\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"/commissions/%u\">%h</a></td>", x->ref, x->ref, x->ref);
		if (with_case)
			fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h (%h)</td>", x->family_name, x->case_ref);
		page_td_n(r, what_text(r, x), false);
		page_td_n(r, x->budget_name, false);
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">");
		status_tag(r, x->status);
		if (x->overspend_override)
			fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--orange\">Overspend approved</strong>");
		fmt_printf(&r->out, "</td>");
		page_td_n(r, page_money(r, cost_now(x)), true);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

void commission_case_section(struct req *r, const struct case_record *c)
{
	struct commission *v = NULL;
	size_t n = 0;
	const struct scope *s = req_scope(r);
	if (!s || commission_list_case(r->db, &r->arena, c->id, &v, &n))
		return;
	int64_t committed = 0, spent = 0;
	for (size_t i = 0; i < n; i++) {
		committed += v[i].committed_pence;
		spent += v[i].spent_pence;
	}
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"commissions\">Services and grants</h2>");
	done_banner(r, "commission-done");
	if (!n)
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing commissioned for this family yet.</p>");
	else {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"commission-totals\">Committed: <strong>%h</strong>."
			" Spent: <strong>%h</strong>.</p>", page_money(r, committed), page_money(r, spent));
		commissions_table(r, v, n, false);
	}
	if (strcmp(c->status, "open") != 0 || !caps_has(s->caps, CAP_COMMISSION_REQUEST))
		return;
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"commission-service\"><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">Request a service"
		"</span></summary><div class=\"govuk-details__text\">");
	service_form(r, c->id, c->ref, NULL, false);
	fmt_printf(&r->out, "</div></details><details class=\"govuk-details\" id=\"commission-grant\"><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">Request a household"
		" item grant</span></summary><div class=\"govuk-details__text\">");
	grant_form(r, c->id, c->ref, NULL, false);
	fmt_printf(&r->out, "</div></details>");
}

/* ---- requesting (page) ------------------------------------------------------------------ */

static int request_form_page(struct req *r, int64_t case_id, bool grant, const struct errinfo *e, int status)
{
	struct case_record c;
	struct errinfo le = {0};
	int rc = case_record_load(r->db, &r->arena, req_scope(r), case_id, &c, &le);
	if (rc) {
		r->err = le;
		return rc;
	}
	struct errinfo s = shown_error(e, grant ? "grant-form" : "service-form");
	if (grant && (strcmp(s.field, "budget") == 0 || strcmp(s.field, "reason") == 0))
		snprintf(s.field, sizeof s.field, "grant-%s", strcmp(e->field, "budget") == 0 ? "budget" : "reason");
	page_begin(r, status, arena_printf(&r->arena, "%s – %s", grant ? "Request a household item grant"
					   : "Request a service", c.ref));
	page_error_summary(r, &s);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h %h</span><h1 class=\"govuk-heading-l\">%h</h1>",
		   c.ref, c.family_name, grant ? "Request a household item grant" : "Request a service");
	if (grant)
		grant_form(r, case_id, c.ref, &s, true);
	else
		service_form(r, case_id, c.ref, &s, true);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/cases/%u#commissions\">Back to"
		" the family record</a></p>", c.ref);
	page_end(r);
	return HE_OK;
}

/* The grant's item rows from the form, up to the last filled row (so a
 * row's index names its fields); a bad amount is named here. */
static int form_items(struct req *r, struct grant_item_in *items, size_t *n, struct errinfo *e)
{
	*n = 0;
	for (int i = 0; i < GRANT_ROWS; i++) {
		const char *d = req_form(r, arena_printf(&r->arena, "items.%d.description", i));
		const char *a = req_form(r, arena_printf(&r->arena, "items.%d.amount", i));
		int64_t p = 0;
		if (a && *a && money_parse(a, &p) != HE_OK)
			return errinfo_set(e, HE_INVALID, arena_printf(&r->arena, "items.%d.amount", i),
					   "Enter the cost of item %d in pounds and pence, for example £120.00", i + 1);
		items[i] = (struct grant_item_in){d ? d : "", p};
		if ((d && *d) || (a && *a))
			*n = (size_t)i + 1;
	}
	return HE_OK;
}

int commission_request_page(struct req *r)
{
	int64_t case_id, id = 0;
	struct errinfo e = {0};
	struct grant_item_in items[GRANT_ROWS];
	size_t nitems = 0;
	int rc = case_from_path(r, &case_id);
	if (rc)
		return rc;
	const char *kind = req_form(r, "kind");
	bool grant = kind && strcmp(kind, "household_grant") == 0;
	int64_t qty = page_to_int(req_form(r, "quantity"));
	struct commission_in in = {
		.idem_key = nonempty(req_form(r, "idem")), .kind = kind, .reason = req_form(r, "reason"),
		.budget_id = page_to_int(req_form(r, "budget")), .service_id = page_to_int(req_form(r, "service")),
		.quantity = qty > 0 && qty < 100000 ? (int)qty : 0,
	};
	if (grant) {
		rc = form_items(r, items, &nitems, &e);
		in.items = items;
		in.nitems = nitems;
	}
	if (rc == HE_OK) {
		if (in.budget_id < 0)
			in.budget_id = 0;
		if (in.service_id < 0)
			in.service_id = 0;
		rc = commission_request(r->db, req_scope(r), case_id, &in, nonempty(req_form(r, "override_note")),
					&id, &e);
	}
	if (rc == HE_OK) {
		char ref[16];
		struct db_stmt *st = db_prepare(r->db, "SELECT status FROM commissions WHERE id = :id");
		db_bind_int(st, ":id", id);
		const char *status = db_next(st) ? arena_strdup(&r->arena, db_text(st, 0)) : "requested";
		db_finalize(st);
		commission_ref(id, ref);
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s?done=%s#commission-%s", req_param(r, 0),
						    status, ref));
	}
	if (fatal(rc)) {
		r->err = e;
		return rc;
	}
	return request_form_page(r, case_id, grant, &e, err_http_status(rc));
}

/* ---- one commission ------------------------------------------------------------------------ */

/* The commission named by path parameter 0 (unknown: audited "denied", 404). */
static int commission_from_path(struct req *r, int64_t *id)
{
	const char *ref = req_param(r, 0);
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = commission_id_by_ref(r->db, ref, id);
	if (rc == HE_NOT_FOUND) {
		int arc = req_audit(r, "denied", "commissions", NULL,
				    arena_printf(&r->arena, "unknown commission %.20s", ref ? ref : ""));
		return arc ? arc : req_fail(r, HE_NOT_FOUND, "", NULL);
	}
	return rc;
}

static void row(struct req *r, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">%h</dt>"
		"<dd class=\"govuk-summary-list__value\">%h</dd></div>", key, value);
}

static void summary(struct req *r, const struct commission *x, const struct budget_pos *bp)
{
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"commission-summary\"><div class=\"govuk-summary-list__row\">"
		"<dt class=\"govuk-summary-list__key\">Status</dt><dd class=\"govuk-summary-list__value\">");
	status_tag(r, x->status);
	if (x->overspend_override)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--orange\">Overspend approved</strong>");
	bool sees = false;
	case_visible(r->db, req_scope(r), x->case_id, &sees);
	fmt_printf(&r->out, "</dd></div>");
	if (sees)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Family"
			"</dt><dd class=\"govuk-summary-list__value\">%h (<a class=\"govuk-link\" href=\"/cases/%u\">%h</a>)"
			"</dd></div>", x->family_name, x->case_ref, x->case_ref);
	else   /* the budget holder: the family's name and case, not a link they cannot follow */
		row(r, "Family", arena_printf(&r->arena, "%s (%s)", x->family_name, x->case_ref));
	row(r, "What", what_text(r, x));
	if (*x->provider)
		row(r, "Provider", x->provider);
	if (strcmp(x->kind, "service") == 0)
		row(r, "Unit cost", page_money(r, x->unit_cost_pence));
	row(r, "Estimate", page_money(r, x->estimate_pence));
	if (x->actual_pence >= 0)
		row(r, "Actual cost", page_money(r, x->actual_pence));
	if (x->refunded_pence > 0)
		row(r, "Refunded", page_money(r, x->refunded_pence));
	row(r, "Budget", arena_printf(&r->arena, "%s (%s available)", x->budget_name, page_money(r, bp->available)));
	row(r, "Why the family needs it", x->reason);
	row(r, "Requested", arena_printf(&r->arena, "%s by %s", day_text(r, x->requested_at),
					 *x->requested_by ? x->requested_by : "Hearth"));
	if (*x->decided_at)
		row(r, "Decided", arena_printf(&r->arena, "%s by %s%s%s", day_text(r, x->decided_at),
					       *x->decided_by ? x->decided_by : "Hearth",
					       *x->decision_note ? ": " : "", x->decision_note));
	if (*x->delivered_on)
		row(r, "Delivered", day_text(r, x->delivered_on));
	if (*x->paid_on)
		row(r, "Paid", day_text(r, x->paid_on));
	fmt_printf(&r->out, "</dl>");
}

static void items_table(struct req *r, const struct commission_item *it, size_t n)
{
	if (!n)
		return;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"items\">Items</h2><table class=\"govuk-table\""
		" id=\"items-table\"><caption class=\"govuk-table__caption govuk-visually-hidden\">Items of the grant"
		"</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th_n(r, "Item", false);
	page_th_n(r, "Cost", true);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td_n(r, it[i].description, false);
		page_td_n(r, page_money(r, it[i].amount_pence), true);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void history_table(struct req *r, const struct commission_event *ev, size_t n)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"history\">History</h2><table class=\"govuk-table\""
		" id=\"history-table\"><caption class=\"govuk-table__caption govuk-visually-hidden\">History, oldest"
		" first</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th_n(r, "When", false);
	page_th_n(r, "What happened", false);
	page_th_n(r, "Amount", true);
	page_th_n(r, "Note", false);
	page_th_n(r, "By", false);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		const char *what = !*ev[i].from_status ? "Requested"
			: strcmp(ev[i].from_status, ev[i].to_status) == 0 ? "Refunded"
			: commission_status_title(ev[i].to_status);
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td_n(r, day_text(r, ev[i].at), false);
		page_td_n(r, what, false);
		page_td_n(r, ev[i].amount_pence >= 0 ? page_money(r, ev[i].amount_pence) : "—", true);
		page_td_n(r, *ev[i].note ? ev[i].note : "—", false);
		page_td_n(r, ev[i].who, false);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void form_open(struct req *r, const struct commission *x, const char *step, const char *heading)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">%h</h2><form method=\"post\" action=\"/commissions/%u/%s\""
		" id=\"%s-form\" novalidate>", heading, x->ref, step, step);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\">", (long long)x->version);
}

static void decide_fields(struct req *r, const struct commission *x, const struct errinfo *e, bool again,
			  const char *prefix)
{
	const char *d = val(r, again, "decision");
	const char *id_a = arena_printf(&r->arena, "%sdecision", prefix);
	const char *id_d = arena_printf(&r->arena, "%sdecision-decline", prefix);
	fmt_printf(&r->out, "<div class=\"govuk-form-group\"><fieldset class=\"govuk-fieldset\"><legend"
		" class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Decision<span class=\"govuk-visually-hidden\">"
		" on %h</span></legend><div class=\"govuk-radios govuk-radios--small\" data-module=\"govuk-radios\">"
		"<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\" id=\"%h\" name=\"decision\""
		" type=\"radio\" value=\"approve\"%s><label class=\"govuk-label govuk-radios__label\" for=\"%h\">Approve"
		"</label></div><div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\" id=\"%h\""
		" name=\"decision\" type=\"radio\" value=\"decline\"%s><label class=\"govuk-label govuk-radios__label\""
		" for=\"%h\">Decline</label></div></div></fieldset></div>", x->ref, id_a,
		strcmp(d, "decline") == 0 ? "" : " checked", id_a, id_d, strcmp(d, "decline") == 0 ? " checked" : "",
		id_d);
	page_text_area(r, e, arena_printf(&r->arena, "%snote", prefix), "note", "Note",
		  "Required to decline, or to approve an overspend", 2, val(r, again, "note"));
	const char *id_o = arena_printf(&r->arena, "%soverride", prefix);
	fmt_printf(&r->out, "<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes govuk-checkboxes--small\""
		" data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\""
		" id=\"%h\" name=\"override\" type=\"checkbox\" value=\"1\"%s><label class=\"govuk-label"
		" govuk-checkboxes__label\" for=\"%h\">Approve even if it overspends the budget</label></div></div></div>",
		id_o, again && req_form(r, "override") ? " checked" : "", id_o);
}

/* The forms for the next steps s may take. */
static int next_forms(struct req *r, const struct commission *x, const struct errinfo *e)
{
	const struct scope *s = req_scope(r);
	bool holds = false, sees = false, again = e && e->code;
	int rc = budget_holds(r->db, s, x->budget_id, &holds);
	if (!rc)
		rc = case_visible(r->db, s, x->case_id, &sees);
	if (rc)
		return rc;
	bool manage = holds || caps_has(s->caps, CAP_COMMISSIONS_ALL);
	if (strcmp(x->status, "requested") == 0 && holds) {
		form_open(r, x, "decide", "Approve or decline");
		decide_fields(r, x, e, again, "");
		button(r, "Save decision", false);
		fmt_printf(&r->out, "</form>");
	}
	if (strcmp(x->status, "approved") == 0 && (holds || sees)) {
		form_open(r, x, "deliver", "Record delivery");
		page_text_input(r, e, "on", "on", "Date delivered", "For example, 2026-03-14. Leave blank for today",
			   "date", "govuk-input--width-10", val(r, again, "on"));
		money_input(r, e, "actual", "actual", "What it actually cost", arena_printf(&r->arena,
			    "Leave blank if it cost the estimate, %s", page_money(r, x->estimate_pence)), val(r, again, "actual"));
		if (holds)
			page_text_area(r, e, "override_note", "override_note", "If it cost more than the budget"
				  " has left (optional)", "Budget holders only: say why the budget may be overspent."
				  " Leave blank to be stopped if it would overspend.", 2, val(r, again, "override_note"));
		button(r, "Record delivery", false);
		fmt_printf(&r->out, "</form>");
	}
	if (strcmp(x->status, "delivered") == 0 && manage) {
		form_open(r, x, "pay", "Record payment");
		page_text_input(r, e, "on", "on", "Date paid", "Leave blank for today", "date", "govuk-input--width-10",
			   val(r, again, "on"));
		button(r, "Record payment", false);
		fmt_printf(&r->out, "</form>");
	}
	if (strcmp(x->status, "paid") == 0 && manage && x->actual_pence > x->refunded_pence) {
		form_open(r, x, "refund", "Record a refund");
		money_input(r, e, "amount", "amount", "Amount refunded", arena_printf(&r->arena, "At most %s",
			    page_money(r, x->actual_pence - x->refunded_pence)), val(r, again, "amount"));
		page_text_area(r, e, "refund-reason", "reason", "Why", NULL, 2, val(r, again, "reason"));
		button(r, "Record refund", false);
		fmt_printf(&r->out, "</form>");
	}
	bool cancellable = strcmp(x->status, "requested") == 0 || strcmp(x->status, "approved") == 0 ||
			   strcmp(x->status, "delivered") == 0;
	if (cancellable && (manage || (sees && strcmp(x->status, "requested") == 0))) {
		fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"cancel\"%s><summary class=\"govuk-details__summary\">"
			"<span class=\"govuk-details__summary-text\">Cancel this commission</span></summary><div"
			" class=\"govuk-details__text\">", again && strcmp(e->field, "cancel-reason") == 0 ? " open" : "");
		form_open(r, x, "cancel", "Cancel");
		page_text_area(r, e, "cancel-reason", "reason", "Why it is cancelled", "This releases what it holds"
			  " against the budget", 2, "");
		button(r, "Cancel commission", true);
		fmt_printf(&r->out, "</form></div></details>");
	}
	return HE_OK;
}

/* The commission page; step (may be NULL) is the form that failed, so its
 * field names map to the ids on the page. */
static int commission_show(struct req *r, int64_t id, const char *step, const struct errinfo *e, int status)
{
	struct commission x;
	struct commission_item *it;
	struct commission_event *ev;
	size_t ni, ne;
	struct errinfo le = {0};
	struct budget_pos bp = {0};
	int rc = commission_load(r->db, &r->arena, req_scope(r), id, &x, &it, &ni, &ev, &ne, &le);
	if (rc) {
		r->err = le;
		return rc;
	}
	if ((rc = budget_position(r->db, x.budget_id, &bp)))
		return rc;
	struct errinfo s = {0};
	if (e && e->code) {
		s = shown_error(e, arena_printf(&r->arena, "%s-form", step ? step : "decide"));
		if (strcmp(s.field, "reason") == 0 && step)
			snprintf(s.field, sizeof s.field, "%s-reason", step);
		if (strcmp(s.field, "budget") == 0 || strcmp(s.field, "override") == 0)
			snprintf(s.field, sizeof s.field, "%s-form", step ? step : "decide");
	}
	page_begin(r, status, arena_printf(&r->arena, "Commission %s", x.ref));
	page_error_summary(r, &s);
	done_banner(r, "commission-done");
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h · %h</span><h1 class=\"govuk-heading-l\">"
		"Commission %h</h1>", commission_kind_title(x.kind), x.family_name, x.ref);
	summary(r, &x, &bp);
	if ((rc = next_forms(r, &x, &s)))
		return rc;
	items_table(r, it, ni);
	history_table(r, ev, ne);
	page_end(r);
	return HE_OK;
}

int commission_page(struct req *r)
{
	int64_t id;
	int rc = commission_from_path(r, &id);
	return rc ? rc : commission_show(r, id, NULL, NULL, 200);
}

/* After a step: back to the page (or /approvals), or the page again with
 * the error. */
static int step_done(struct req *r, int64_t id, const char *step, const char *done, int rc,
		     const struct errinfo *e)
{
	if (rc == HE_OK) {
		const char *back = req_form(r, "back");
		if (back && strcmp(back, "approvals") == 0)
			return req_redirect(r, arena_printf(&r->arena, "/approvals?done=%s", done));
		return req_redirect(r, arena_printf(&r->arena, "/commissions/%s?done=%s", req_param(r, 0), done));
	}
	if (fatal(rc)) {
		r->err = *e;
		return rc;
	}
	return commission_show(r, id, step, e, err_http_status(rc));
}

static int64_t form_version(struct req *r)
{
	int64_t v = page_to_int(req_form(r, "version"));
	return v > 0 ? v : 0;
}

/* Money from a form field: blank → def; bad → HE_INVALID naming field. */
static int form_money(struct req *r, const char *name, int64_t def, int64_t *out, struct errinfo *e)
{
	const char *s = req_form(r, name);
	*out = def;
	if (!s || !*s)
		return HE_OK;
	if (money_parse(s, out) != HE_OK)
		return errinfo_set(e, HE_INVALID, name, "Enter an amount in pounds and pence, for example £120.00");
	return HE_OK;
}

/* The form's input was bad (rc, e): answer a caller who may not make
 * this move at all with the refusal, not with what was wrong. */
static int input_bad(struct req *r, int64_t id, enum commission_move m, int rc, struct errinfo *e)
{
	struct errinfo d = {0};
	int drc = commission_may_move(r->db, req_scope(r), id, m, &d);
	if (drc) {
		*e = d;
		return drc;
	}
	return rc;
}

int commission_decide_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = commission_from_path(r, &id);
	if (rc)
		return rc;
	const char *d = req_form(r, "decision");
	bool approve = !d || strcmp(d, "decline") != 0;
	rc = commission_decide(r->db, req_scope(r), id, form_version(r), approve, req_form(r, "note"),
			       req_form(r, "override") != NULL, &e);
	if (rc && req_form(r, "back") && !fatal(rc)) {
		/* from /approvals: show the commission's own page with the error */
		return commission_show(r, id, "decide", &e, err_http_status(rc));
	}
	return step_done(r, id, "decide", approve ? "approved" : "declined", rc, &e);
}

int commission_deliver_page(struct req *r)
{
	int64_t id, actual = -1;
	struct errinfo e = {0};
	int rc = commission_from_path(r, &id);
	if (rc)
		return rc;
	rc = form_money(r, "actual", -1, &actual, &e);
	if (rc)
		rc = input_bad(r, id, MOVE_DELIVER, rc, &e);
	if (!rc)
		rc = commission_deliver_override(r->db, req_scope(r), id, form_version(r), req_form(r, "on"),
						 actual, nonempty(req_form(r, "override_note")), &e);
	return step_done(r, id, "deliver", "delivered", rc, &e);
}

int commission_pay_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = commission_from_path(r, &id);
	if (rc)
		return rc;
	rc = commission_pay(r->db, req_scope(r), id, form_version(r), req_form(r, "on"), &e);
	return step_done(r, id, "pay", "paid", rc, &e);
}

int commission_cancel_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = commission_from_path(r, &id);
	if (rc)
		return rc;
	rc = commission_cancel(r->db, req_scope(r), id, form_version(r), req_form(r, "reason"), &e);
	return step_done(r, id, "cancel", "cancelled", rc, &e);
}

int commission_refund_page(struct req *r)
{
	int64_t id, pence = 0;
	struct errinfo e = {0};
	int rc = commission_from_path(r, &id);
	if (rc)
		return rc;
	const char *a = req_form(r, "amount");
	if (!a || !*a)
		rc = errinfo_set(&e, HE_MISSING, "amount", "Enter the amount refunded");
	if (!rc)
		rc = form_money(r, "amount", 0, &pence, &e);
	if (rc)
		rc = input_bad(r, id, MOVE_REFUND, rc, &e);
	if (!rc)
		rc = commission_refund(r->db, req_scope(r), id, form_version(r), pence, req_form(r, "reason"), &e);
	return step_done(r, id, "refund", "refunded", rc, &e);
}

/* ---- approvals ------------------------------------------------------------------------------ */

int approvals_page(struct req *r)
{
	struct commission *v;
	size_t n;
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = commission_list_pending(r->db, &r->arena, s, &v, &n);
	if (!rc)
		rc = req_audit(r, "view", "commissions", NULL, arena_printf(&r->arena, "approvals: %zu waiting", n));
	if (rc)
		return rc;
	page_begin(r, 200, "Approvals");
	done_banner(r, "approvals-done");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Approvals</h1><p class=\"govuk-body\">Requests for"
		" services and grants above the requester's limit, waiting for a budget you hold. Oldest first.</p>");
	if (!n)
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"approvals-none\">Nothing is waiting for you.</p>");
	for (size_t i = 0; i < n; i++) {
		const struct commission *x = &v[i];
		struct budget_pos bp = {0};
		budget_position(r->db, x->budget_id, &bp);
		bool over = x->estimate_pence > bp.available;
		fmt_printf(&r->out, "<div class=\"govuk-summary-card\" id=\"approval-%h\"><div class=\"govuk-summary-card__title-wrapper\">"
			"<h2 class=\"govuk-summary-card__title\"><a class=\"govuk-link\" href=\"/commissions/%u\">%h</a>: %h"
			"</h2></div><div class=\"govuk-summary-card__content\"><dl class=\"govuk-summary-list\">", x->ref,
			x->ref, x->ref, what_text(r, x));
		row(r, "Family", arena_printf(&r->arena, "%s (%s)", x->family_name, x->case_ref));
		row(r, "Cost", page_money(r, x->estimate_pence));
		row(r, "Budget", x->budget_name);
		row(r, "Available now", page_money(r, bp.available));
		row(r, "Why the family needs it", x->reason);
		row(r, "Requested", arena_printf(&r->arena, "%s by %s", day_text(r, x->requested_at),
						 *x->requested_by ? x->requested_by : "Hearth"));
		fmt_printf(&r->out, "</dl>");
		if (over)
			fmt_printf(&r->out, "<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\""
				" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span"
				" class=\"govuk-visually-hidden\">Warning</span>Approving this would overspend the budget"
				" by %h.</strong></div>", page_money(r, x->estimate_pence - bp.available));
		fmt_printf(&r->out, "<form method=\"post\" action=\"/commissions/%u/decide\" novalidate>", x->ref);
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\"><input type=\"hidden\""
			" name=\"back\" value=\"approvals\">", (long long)x->version);
		decide_fields(r, x, NULL, false, arena_printf(&r->arena, "%s-", x->ref));
		button(r, "Save decision", false);
		fmt_printf(&r->out, "</form></div></div>");
	}
	page_end(r);
	return HE_OK;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_commission(struct req *r, const struct commission *x)
{
	fmt_printf(&r->out, "{\"ref\":%j,\"case_ref\":%j,\"family\":%j,\"kind\":%j,\"status\":%j,\"what\":%j,"
		"\"provider\":%j,\"quantity\":%d,\"unit_cost_pence\":%lld,\"estimate_pence\":%lld,\"actual_pence\":",
		x->ref, x->case_ref, x->family_name, x->kind, x->status, x->what, x->provider, x->quantity,
		(long long)x->unit_cost_pence, (long long)x->estimate_pence);
	if (x->actual_pence >= 0)
		fmt_printf(&r->out, "%lld", (long long)x->actual_pence);
	else
		buf_puts(&r->out, "null");
	fmt_printf(&r->out, ",\"refunded_pence\":%lld,\"committed_pence\":%lld,\"spent_pence\":%lld,"
		"\"budget\":{\"id\":%lld,\"name\":%j},\"reason\":%j,\"overspend_override\":%s,\"version\":%lld,"
		"\"requested_by\":%j,\"requested_at\":%j,\"decided_at\":%j,\"decision_note\":%j,\"delivered_on\":%j,"
		"\"paid_on\":%j}", (long long)x->refunded_pence, (long long)x->committed_pence,
		(long long)x->spent_pence, (long long)x->budget_id, x->budget_name, x->reason,
		x->overspend_override ? "true" : "false", (long long)x->version, x->requested_by, x->requested_at,
		x->decided_at, x->decision_note, x->delivered_on, x->paid_on);
}

static int json_one(struct req *r, int64_t id, int status)
{
	struct commission x;
	struct commission_item *it;
	struct commission_event *ev;
	size_t ni, ne;
	int rc = commission_load(r->db, &r->arena, req_scope(r), id, &x, &it, &ni, &ev, &ne, &r->err);
	if (rc)
		return rc;
	req_json(r, status);
	buf_puts(&r->out, "{\"commission\":");
	json_commission(r, &x);
	buf_puts(&r->out, ",\"items\":[");
	for (size_t i = 0; i < ni; i++)
		fmt_printf(&r->out, "%s{\"description\":%j,\"amount_pence\":%lld}", i ? "," : "", it[i].description,
			   (long long)it[i].amount_pence);
	buf_puts(&r->out, "],\"events\":[");
	for (size_t i = 0; i < ne; i++) {
		fmt_printf(&r->out, "%s{\"at\":%j,\"from\":%j,\"to\":%j,\"note\":%j,\"by\":%j,\"amount_pence\":", i ? "," : "",
			   ev[i].at, ev[i].from_status, ev[i].to_status, ev[i].note, ev[i].who);
		if (ev[i].amount_pence >= 0)
			fmt_printf(&r->out, "%lld}", (long long)ev[i].amount_pence);
		else
			buf_puts(&r->out, "null}");
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

static int64_t json_int(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* A money member: an integer of pence ("<key>_pence") or text ("<key>":
 * "£12.50"); *present false when neither. */
static int json_money(struct req *r, json_t *j, const char *key, int64_t *out, bool *present)
{
	char k[64];
	*present = false;
	snprintf(k, sizeof k, "%s_pence", key);
	json_t *v = json_object_get(j, k);
	if (json_is_integer(v)) {
		*present = true;
		*out = (int64_t)json_integer_value(v);
		if (*out < 0)
			return req_fail(r, HE_INVALID, key, "The amount cannot be negative");
		return HE_OK;
	}
	const char *s = json_str(j, key);
	if (!s)
		return HE_OK;
	*present = true;
	if (money_parse(s, out) != HE_OK)
		return req_fail(r, HE_INVALID, key, "Enter an amount in pounds and pence, for example \"£120.00\"");
	return HE_OK;
}

int commission_request_api(struct req *r)
{
	int64_t case_id, id = 0;
	int rc = case_from_path(r, &case_id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	struct commission_in in = {
		.idem_key = nonempty(req_header(r, "Idempotency-Key")),
		.kind = arena_strdup(&r->arena, json_str(j, "kind")),
		.reason = arena_strdup(&r->arena, json_str(j, "reason")),
		.budget_id = json_int(j, "budget_id"), .service_id = json_int(j, "service_id"),
	};
	int64_t q = json_int(j, "quantity");
	in.quantity = q > 0 && q < 100000 ? (int)q : 0;
	const char *override = arena_strdup(&r->arena, json_str(j, "override_note"));
	json_t *arr = json_object_get(j, "items");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	struct grant_item_in *items = arena_alloc(&r->arena, (n + 1) * sizeof *items);
	for (size_t i = 0; i < n && !rc; i++) {
		json_t *x = json_array_get(arr, i);
		bool present;
		items[i] = (struct grant_item_in){arena_strdup(&r->arena, json_str(x, "description")), 0};
		rc = json_money(r, x, "amount", &items[i].amount_pence, &present);
		if (rc)
			snprintf(r->err.field, sizeof r->err.field, "items.%zu.amount", i);
	}
	in.items = items;
	in.nitems = n;
	json_decref(j);
	if (rc)
		return rc;
	rc = commission_request(r->db, req_scope(r), case_id, &in, nonempty(override), &id, &r->err);
	if (rc)
		return rc;
	/* Saved and committed.  Reading it back writes a view's audit row,
	 * which a full or read-only disk can refuse; the answer must still say
	 * it was saved (not a 503 "nothing was saved"), with its id only. */
	if (json_one(r, id, 201) != HE_OK) {
		r->err = (struct errinfo){0};
		req_json(r, 201);
		fmt_printf(&r->out, "{\"commission\":{\"id\":%lld},\"message\":\"Saved. It could not"
			   " be shown just now.\"}\n", (long long)id);
	}
	return HE_OK;
}

int commission_api(struct req *r)
{
	int64_t id;
	int rc = commission_from_path(r, &id);
	return rc ? rc : json_one(r, id, 200);
}

static int step_api(struct req *r, enum commission_move step)
{
	int64_t id, pence = -1;
	bool present = false;
	int rc = commission_from_path(r, &id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return input_bad(r, id, step, r->err.code ? r->err.code : HE_BAD_JSON, &r->err);
	const struct scope *s = req_scope(r);
	int64_t version = json_int(j, "version");
	const char *note = json_str(j, "note"), *reason = json_str(j, "reason"), *on = json_str(j, "on");
	switch (step) {
	case MOVE_DECIDE: {
		const char *d = json_str(j, "decision");
		if (!d || (strcmp(d, "approve") != 0 && strcmp(d, "decline") != 0)) {
			rc = req_fail(r, HE_INVALID, "decision", "Say \"approve\" or \"decline\"");
			rc = input_bad(r, id, MOVE_DECIDE, rc, &r->err);
			break;
		}
		rc = commission_decide(r->db, s, id, version, strcmp(d, "approve") == 0, note,
				       json_is_true(json_object_get(j, "override")), &r->err);
		break;
	}
	case MOVE_DELIVER:
		rc = json_money(r, j, "actual", &pence, &present);
		if (rc)
			rc = input_bad(r, id, MOVE_DELIVER, rc, &r->err);
		if (!rc)
			rc = commission_deliver_override(r->db, s, id, version, on, present ? pence : -1,
							 nonempty(json_str(j, "override_note")), &r->err);
		break;
	case MOVE_PAY:
		rc = commission_pay(r->db, s, id, version, on, &r->err);
		break;
	case MOVE_CANCEL:
		rc = commission_cancel(r->db, s, id, version, reason, &r->err);
		break;
	case MOVE_REFUND:
		rc = json_money(r, j, "amount", &pence, &present);
		if (!rc && !present)
			rc = req_fail(r, HE_MISSING, "amount", "Give the amount refunded");
		if (rc)
			rc = input_bad(r, id, MOVE_REFUND, rc, &r->err);
		if (!rc)
			rc = commission_refund(r->db, s, id, version, pence, reason, &r->err);
		break;
	}
	json_decref(j);
	return rc ? rc : json_one(r, id, 200);
}

int commission_decide_api(struct req *r) { return step_api(r, MOVE_DECIDE); }
int commission_deliver_api(struct req *r) { return step_api(r, MOVE_DELIVER); }
int commission_pay_api(struct req *r) { return step_api(r, MOVE_PAY); }
int commission_cancel_api(struct req *r) { return step_api(r, MOVE_CANCEL); }
int commission_refund_api(struct req *r) { return step_api(r, MOVE_REFUND); }

int approvals_api(struct req *r)
{
	struct commission *v;
	size_t n;
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = commission_list_pending(r->db, &r->arena, s, &v, &n);
	if (!rc)
		rc = req_audit(r, "view", "commissions", NULL, arena_printf(&r->arena, "approvals: %zu waiting", n));
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"approvals\":[");
	for (size_t i = 0; i < n; i++) {
		struct budget_pos bp = {0};
		budget_position(r->db, v[i].budget_id, &bp);
		buf_puts(&r->out, i ? ",{\"commission\":" : "{\"commission\":");
		json_commission(r, &v[i]);
		fmt_printf(&r->out, ",\"budget_available_pence\":%lld}", (long long)bp.available);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* ---- every commission: JSON, CSV, XLSX ---------------------------------------------------------- */

struct totals { int64_t estimate, actual, refunded, committed, spent; };

static struct totals totals_of(const struct commission *v, size_t n)
{
	struct totals t = {0};
	for (size_t i = 0; i < n; i++) {
		t.estimate += v[i].estimate_pence;
		t.actual += v[i].actual_pence >= 0 ? v[i].actual_pence : 0;
		t.refunded += v[i].refunded_pence;
		t.committed += v[i].committed_pence;
		t.spent += v[i].spent_pence;
	}
	return t;
}

static int all_rows(struct req *r, const char *format, struct commission **v, size_t *n)
{
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = commission_list_all(r->db, &r->arena, v, n);
	if (!rc)
		rc = req_audit(r, "export", "commissions", NULL, arena_printf(&r->arena, "all commissions (%s):"
			       " %zu rows", format, *n));
	if (!rc)
		rc = dataprot_export(r, "commissions", !strcmp(format, "CSV") ? "csv" :
				     !strcmp(format, "XLSX") ? "xlsx" : "json", "all commissions",
				     (int64_t)*n);
	return rc;
}

int commissions_api(struct req *r)
{
	struct commission *v;
	size_t n;
	int rc = all_rows(r, "JSON", &v, &n);
	if (rc)
		return rc;
	struct totals t = totals_of(v, n);
	req_json(r, 200);
	buf_puts(&r->out, "{\"commissions\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		json_commission(r, &v[i]);
	}
	fmt_printf(&r->out, "],\"totals\":{\"estimate_pence\":%lld,\"actual_pence\":%lld,\"refunded_pence\":%lld,"
		"\"committed_pence\":%lld,\"spent_pence\":%lld}}\n", (long long)t.estimate, (long long)t.actual,
		(long long)t.refunded, (long long)t.committed, (long long)t.spent);
	return HE_OK;
}

enum { EXPORT_COLS = 20 };
static const char *const export_heads[EXPORT_COLS] = {
	"Ref", "Case", "Family", "Kind", "What", "Provider", "Budget", "Status", "Quantity",
	"Unit cost (£)", "Estimate (£)", "Actual (£)", "Refunded (£)", "Committed (£)", "Spent (£)",
	"Requested", "Requested by", "Delivered", "Paid", "Overspend override",
};
/* Money columns (pounds, two decimals) and the numeric quantity. */
static bool money_col(size_t c)
{
	return c >= 9 && c <= 14;
}

static void export_cells(struct req *r, const struct commission *x, const char *cell[EXPORT_COLS])
{
	cell[0] = x->ref;
	cell[1] = x->case_ref;
	cell[2] = x->family_name;
	cell[3] = commission_kind_title(x->kind);
	cell[4] = what_text(r, x);
	cell[5] = x->provider;
	cell[6] = x->budget_name;
	cell[7] = commission_status_title(x->status);
	cell[8] = arena_printf(&r->arena, "%d", x->quantity);
	cell[9] = page_money_plain(r, x->unit_cost_pence);
	cell[10] = page_money_plain(r, x->estimate_pence);
	cell[11] = x->actual_pence >= 0 ? page_money_plain(r, x->actual_pence) : "";
	cell[12] = page_money_plain(r, x->refunded_pence);
	cell[13] = page_money_plain(r, x->committed_pence);
	cell[14] = page_money_plain(r, x->spent_pence);
	cell[15] = arena_printf(&r->arena, "%.10s", x->requested_at);
	cell[16] = x->requested_by;
	cell[17] = x->delivered_on;
	cell[18] = x->paid_on;
	cell[19] = x->overspend_override ? "Yes" : "No";
}

static void totals_cells(struct req *r, const struct totals *t, const char *cell[EXPORT_COLS])
{
	for (size_t c = 0; c < EXPORT_COLS; c++)
		cell[c] = "";
	cell[0] = "Total";
	cell[10] = page_money_plain(r, t->estimate);
	cell[11] = page_money_plain(r, t->actual);
	cell[12] = page_money_plain(r, t->refunded);
	cell[13] = page_money_plain(r, t->committed);
	cell[14] = page_money_plain(r, t->spent);
}

static void attachment(struct req *r, const char *type, const char *ext)
{
	r->status = 200;
	r->content_type = type;
	buf_reset(&r->out);
	req_set_header(r, "Content-Disposition", arena_printf(&r->arena, "attachment; filename=\"commissions.%s\"",
							      ext));
	req_set_header(r, "Cache-Control", "no-store");
}

int commissions_csv_page(struct req *r)
{
	struct commission *v;
	size_t n;
	const char *cell[EXPORT_COLS];
	int rc = all_rows(r, "CSV", &v, &n);
	if (rc)
		return rc;
	attachment(r, "text/csv; charset=utf-8", "csv");
	for (size_t c = 0; c < EXPORT_COLS; c++)
		csv_put(&r->out, export_heads[c], c + 1 == EXPORT_COLS ? CSV_LAST : 0);
	struct totals t = totals_of(v, n);
	for (size_t i = 0; i <= n; i++) {
		if (i < n)
			export_cells(r, &v[i], cell);
		else
			totals_cells(r, &t, cell);
		for (size_t c = 0; c < EXPORT_COLS; c++)
			csv_put(&r->out, cell[c], (money_col(c) || c == 8 ? CSV_NUMBER : 0) |
				(c + 1 == EXPORT_COLS ? CSV_LAST : 0));
	}
	return HE_OK;
}

static int xlsx_write(struct req *r, const char *path, const struct commission *v, size_t n)
{
	const char *cell[EXPORT_COLS];
	struct totals t = totals_of(v, n);
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		return HE_INTERNAL;
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Commissions");
	lxw_format *bold = workbook_add_format(wb), *gbp = workbook_add_format(wb),
		   *gbp_bold = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_num_format(gbp, "\"£\"#,##0.00");
	format_set_num_format(gbp_bold, "\"£\"#,##0.00");
	format_set_bold(gbp_bold);
	for (size_t c = 0; c < EXPORT_COLS; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, export_heads[c], bold);
	for (size_t i = 0; i <= n; i++) {
		bool total = i == n;
		lxw_row_t row = (lxw_row_t)(i + 1);
		if (total)
			totals_cells(r, &t, cell);
		else
			export_cells(r, &v[i], cell);
		for (size_t c = 0; c < EXPORT_COLS; c++) {
			if (!*cell[c])
				continue;
			/* pounds from the exact decimal text of integer pence */
			if (money_col(c))
				worksheet_write_number(ws, row, (lxw_col_t)c, strtod(cell[c], NULL),
						       total ? gbp_bold : gbp);
			else if (c == 8)
				worksheet_write_number(ws, row, (lxw_col_t)c, strtod(cell[c], NULL), NULL);
			else   /* always a string: never a formula */
				worksheet_write_string(ws, row, (lxw_col_t)c, cell[c], total ? bold : NULL);
		}
	}
	worksheet_freeze_panes(ws, 1, 0);
	return workbook_close(wb) == LXW_NO_ERROR ? HE_OK : HE_INTERNAL;
}

static int slurp(const char *path, struct buf *b)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return HE_INTERNAL;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_append(b, chunk, got);
	int bad = ferror(fp) || buf_err(b);
	fclose(fp);
	return bad ? HE_INTERNAL : HE_OK;
}

int commissions_xlsx_page(struct req *r)
{
	struct commission *v;
	size_t n;
	int rc = all_rows(r, "XLSX", &v, &n);
	if (rc)
		return rc;
	const char *dir = getenv("TMPDIR");
	char path[128];
	snprintf(path, sizeof path, "%s/hearth-export-XXXXXX", dir && *dir && strlen(dir) < 90 ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return req_fail(r, HE_INTERNAL, "", "Could not make a temporary file for the export");
	close(fd);
	attachment(r, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx");
	rc = xlsx_write(r, path, v, n);
	if (rc == HE_OK)
		rc = slurp(path, &r->out);
	unlink(path);
	if (rc)
		buf_reset(&r->out);
	return rc;
}
