/* budget_web.c — budgets, their funding sources and positions, as pages
 * and JSON.
 *
 *   GET  /budgets            the budgets the user may see (a school user:
 *                            its school's), each with amount, committed,
 *                            spent, pending, available and its sources
 *                            with their shares
 *   GET  /budgets/new        the form to create one (CAP_BUDGETS_MANAGE)
 *   POST /budgets            create it
 *   GET  /budgets/{id}       one budget: position, sources, the commissions
 *                            against it
 *   GET  /budgets/{id}/edit  the form to change it
 *   POST /budgets/{id}       change it (posts the version it was shown at)
 *   GET  /api/v1/budgets, GET /api/v1/budgets/{id}
 *
 * Every figure comes from budget_position (budget.c), so pages and the
 * API agree to the penny.  A budget outside the user's scope is 404 and
 * audited "denied" (budget_load).  The form has SOURCE_ROWS rows for
 * funding sources, so it works without JavaScript; empty rows are
 * ignored. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/money.h"
#include "core/budget.h"
#include "core/catalogue.h"
#include "core/school.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define SOURCE_ROWS 6

static const char *owner_title(const char *kind)
{
	return strcmp(kind, "school") == 0 ? "School" : strcmp(kind, "district") == 0 ? "District"
		: "Partnership";
}

static int64_t param_id(struct req *r)
{
	const char *s = req_param(r, 0);
	char *end;
	long long v = s && *s ? strtoll(s, &end, 10) : 0;
	return v > 0 && !*end ? v : 0;
}

/* The budget named by the path, scope-checked and audited. */
static int budget_from_path(struct req *r, struct budget *b)
{
	struct errinfo e = {0};
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int64_t id = param_id(r);
	if (!id) {
		int rc = req_audit(r, "denied", "budgets", NULL, "unknown budget");
		return rc ? rc : req_fail(r, HE_NOT_FOUND, "", "No such budget");
	}
	int rc = budget_load(r->db, &r->arena, s, id, b, &e);
	if (rc == HE_NOT_FOUND) {
		/* an unknown id: budget_visible said no, budget_load audited it */
		return req_fail(r, HE_NOT_FOUND, "", "No such budget");
	}
	return rc;
}

/* ---- the position ------------------------------------------------------------- */

static void position_list(struct req *r, const struct budget *b)
{
	static const char *const keys[] = {"Amount", "Committed", "Spent", "Pending approval",
					   "Available"};
	int64_t vals[] = {b->pos.amount, b->pos.committed, b->pos.spent, b->pos.pending,
			  b->pos.available};
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list hearth-budget-position\">");
	for (int i = 0; i < 5; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\" data-figure=\"%h\">%h%s</dd></div>",
			keys[i], keys[i], page_money(r, vals[i]),
			i == 4 && vals[i] < 0 ? " (overspent)" : "");
	fmt_printf(&r->out, "</dl>");
}

static void sources_table(struct req *r, const struct budget *b)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">Funding sources</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	page_th_n(r, "Source", false);
	page_th_n(r, "Contribution", true);
	page_th_n(r, "Share", true);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < b->nsources; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td_n(r, b->sources[i].source, false);
		page_td_n(r, page_money(r, b->sources[i].amount_pence), true);
		page_td_n(r, b->sources[i].share, true);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

/* "DSG transfer £1,440,000.00 (15.8%); City Council …" */
static const char *sources_line(struct req *r, const struct budget *b)
{
	struct buf x;
	buf_init(&x, 0);
	for (size_t i = 0; i < b->nsources; i++)
		buf_printf(&x, "%s%s %s (%s)", i ? "; " : "", b->sources[i].source,
			   page_money(r, b->sources[i].amount_pence), b->sources[i].share);
	const char *s = arena_strdup(&r->arena, buf_str(&x));
	buf_free(&x);
	return s;
}

/* ---- GET /budgets ---------------------------------------------------------------- */

int budgets_page(struct req *r)
{
	const struct scope *s = req_scope(r);
	struct budget *v;
	size_t n;
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = budget_list(r->db, &r->arena, s, &v, &n);
	if (rc || (rc = req_audit(r, "view", "budgets", NULL,
				  arena_printf(&r->arena, "Viewed the list of %zu budget(s)", n))))
		return rc;
	page_begin(r, 200, "Budgets");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Budgets</h1><p class=\"govuk-body\">%h</p>",
		   s->school_id ? "Your school's commissioning budgets: what is committed to approved "
		   "services, what has been spent, and what is left."
		   : "Every budget in the partnership: school commissioning budgets, district budgets "
		   "and the pooled budget, with what is committed, spent and left.");
	if (caps_has(r->caps, CAP_BUDGETS_MANAGE))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-button govuk-button--secondary\""
			" href=\"/budgets/new\">Create a budget</a></p>");
	if (n == 0)
		fmt_printf(&r->out, "<p class=\"govuk-body\">There are no budgets yet.</p>");
	else {
		fmt_printf(&r->out, "<table class=\"govuk-table hearth-budgets\"><caption class=\"govuk-table__caption"
			" govuk-table__caption--s\">%zu budget%s</caption><thead class=\"govuk-table__head\">"
			"<tr class=\"govuk-table__row\">", n, n == 1 ? "" : "s");
		page_th_n(r, "Budget", false);
		page_th_n(r, "Held by", false);
		page_th_n(r, "Amount", true);
		page_th_n(r, "Committed", true);
		page_th_n(r, "Spent", true);
		page_th_n(r, "Pending", true);
		page_th_n(r, "Available", true);
		fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
		for (size_t i = 0; i < n; i++) {
			const struct budget *b = &v[i];
			fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a"
				" class=\"govuk-link\" href=\"/budgets/%lld\">%h</a><br><span class=\"govuk-body-s\">"
				"%h</span><br><span class=\"govuk-body-s hearth-sources\">%h</span></td>",
				(long long)b->id, b->name, b->period_label, sources_line(r, b));
			page_td_n(r, arena_printf(&r->arena, "%s: %s", owner_title(b->owner_kind), b->owner_name), false);
			page_td_n(r, page_money(r, b->pos.amount), true);
			page_td_n(r, page_money(r, b->pos.committed), true);
			page_td_n(r, page_money(r, b->pos.spent), true);
			page_td_n(r, page_money(r, b->pos.pending), true);
			page_td_n(r, page_money(r, b->pos.available), true);
			fmt_printf(&r->out, "</tr>");
		}
		fmt_printf(&r->out, "</tbody></table>");
	}
	page_end(r);
	return HE_OK;
}

/* ---- GET /budgets/{id} --------------------------------------------------------------- */

static const char *status_title(const char *st)
{
	return strcmp(st, "requested") == 0 ? "Waiting for approval"
		: strcmp(st, "approved") == 0 ? "Approved" : strcmp(st, "declined") == 0 ? "Declined"
		: strcmp(st, "delivered") == 0 ? "Delivered" : strcmp(st, "paid") == 0 ? "Paid"
		: strcmp(st, "cancelled") == 0 ? "Cancelled" : st;
}

static void commissions_table(struct req *r, int64_t budget_id)
{
	struct budget_line *l;
	size_t n;
	if (budget_commissions(r->db, &r->arena, budget_id, &l, &n) != HE_OK)
		n = 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Commissions against this budget</h2>");
	if (n == 0) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing has been commissioned from this budget yet.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%zu commission%s</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n, n == 1 ? "" : "s");
	page_th_n(r, "Commission", false);
	page_th_n(r, "Case", false);
	page_th_n(r, "What", false);
	page_th_n(r, "Status", false);
	page_th_n(r, "Estimate", true);
	page_th_n(r, "Actual", true);
	page_th_n(r, "Refunded", true);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a"
			" class=\"govuk-link\" href=\"/commissions/%u\">%h</a></td>", l[i].ref, l[i].ref);
		page_td_n(r, l[i].case_ref, false);
		page_td_n(r, l[i].what, false);
		page_td_n(r, status_title(l[i].status), false);
		page_td_n(r, page_money(r, l[i].estimate_pence), true);
		page_td_n(r, l[i].actual_pence >= 0 ? page_money(r, l[i].actual_pence) : NULL, true);
		page_td_n(r, l[i].refunded_pence ? page_money(r, l[i].refunded_pence) : NULL, true);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

int budget_page(struct req *r)
{
	struct budget b;
	int rc = budget_from_path(r, &b);
	if (rc)
		return rc;
	page_begin(r, 200, b.name);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h: %h · %h (%h to %h)</span>"
		"<h1 class=\"govuk-heading-l\">%h</h1>", owner_title(b.owner_kind), b.owner_name,
		b.period_label, b.start_on, b.end_on, b.name);
	position_list(r, &b);
	sources_table(r, &b);
	if (caps_has(r->caps, CAP_BUDGETS_MANAGE))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/budgets/%lld/edit\">"
			"Change this budget or its sources</a></p>", (long long)b.id);
	commissions_table(r, b.id);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/budgets\">All budgets</a></p>");
	page_end(r);
	return HE_OK;
}

/* ---- the form ----------------------------------------------------------------------- */

static void input(struct req *r, const struct errinfo *e, const char *id, const char *label,
		  const char *hint, const char *width, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">%h"
		"</label>", page_group_class(e, id), id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"text\""
		" value=\"%h\"%s></div>", width, page_has_err(e, id) ? " govuk-input--error" : "", id, id,
		value ? value : "", hint ? arena_printf(&r->arena, " aria-describedby=\"%s-hint\"", id) : "");
}

static void select_open(struct req *r, const struct errinfo *e, const char *id, const char *label)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">%h"
		"</label>", page_group_class(e, id), id, label);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"%h\" name=\"%h\">", id, id);
}

static void option(struct req *r, const char *value, const char *title, const char *cur)
{
	fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", value,
		   cur && strcmp(cur, value) == 0 ? " selected" : "", title);
}

/* Form values: from the post when shown again, else from b (NULL: new). */
static const char *fv(struct req *r, bool again, const char *name, const char *def)
{
	if (again) {
		const char *x = req_form(r, name);
		return x ? x : "";
	}
	return def ? def : "";
}

static int form_page(struct req *r, const struct budget *b, const struct errinfo *e, int status)
{
	bool again = e && e->code;
	struct school *sch;
	struct catalogue_district *dis;
	size_t nsch, ndis;
	int rc = school_list(r->db, &r->arena, &sch, &nsch);
	if (rc || (rc = catalogue_districts(r->db, &r->arena, &dis, &ndis)))
		return rc;
	const char *title = b ? "Change a budget" : "Create a budget";
	page_begin(r, status, title);
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">%h</h1>", title);
	if (b)
		fmt_printf(&r->out, "<form method=\"post\" action=\"/budgets/%lld\" novalidate>"
			"<input type=\"hidden\" name=\"version\" value=\"%lld\">", (long long)b->id,
			(long long)b->version);
	else
		fmt_printf(&r->out, "<form method=\"post\" action=\"/budgets\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	input(r, e, "name", "Name", "For example, Ratae Academy commissioning budget 2026–27",
	      "govuk-!-width-two-thirds", fv(r, again, "name", b ? b->name : NULL));
	const char *kind = fv(r, again, "owner_kind", b ? b->owner_kind : NULL);
	select_open(r, e, "owner_kind", "Who holds it");
	option(r, "", "Choose who holds it", kind);
	option(r, "school", "A school (its leaders approve)", kind);
	option(r, "district", "A district (the coordinator approves)", kind);
	option(r, "partnership", "The partnership: a pooled budget (the coordinator approves)", kind);
	fmt_printf(&r->out, "</select></div>");
	char cur[24];
	snprintf(cur, sizeof cur, "%lld", b ? (long long)b->school_id : 0LL);
	const char *csch = fv(r, again, "school_id", cur);
	select_open(r, e, "school_id", "School (for a school's budget)");
	option(r, "", "None", csch);
	for (size_t i = 0; i < nsch; i++)
		option(r, arena_printf(&r->arena, "%lld", (long long)sch[i].id), sch[i].name, csch);
	fmt_printf(&r->out, "</select></div>");
	snprintf(cur, sizeof cur, "%lld", b ? (long long)b->district_id : 0LL);
	const char *cdis = fv(r, again, "district_id", cur);
	select_open(r, e, "district_id", "District (for a district's budget)");
	option(r, "", "None", cdis);
	for (size_t i = 0; i < ndis; i++)
		option(r, arena_printf(&r->arena, "%lld", (long long)dis[i].id), dis[i].name, cdis);
	fmt_printf(&r->out, "</select></div>");
	const char *per = fv(r, again, "period", b ? b->period : "financial");
	select_open(r, e, "period", "Period");
	option(r, "financial", "Financial year (1 April to 31 March)", per);
	option(r, "academic", "Academic year (1 September to 31 August)", per);
	fmt_printf(&r->out, "</select></div>");
	input(r, e, "start_year", "The year it starts", "For example, 2026 for 2026–27", "govuk-input--width-4",
	      fv(r, again, "start_year", b ? arena_printf(&r->arena, "%d", b->start_year) : NULL));
	input(r, e, "amount", "Amount", "In pounds, for example £25,000.00", "govuk-input--width-10",
	      fv(r, again, "amount", b ? page_money_plain(r, b->pos.amount) : NULL));
	fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--m\">Funding sources</legend>");
	page_field_error(r, e, "sources");
	fmt_printf(&r->out, "<div class=\"govuk-hint\" id=\"sources\">Who pays in, and how much: the "
		"contributions must add up to the amount. Leave rows you do not need empty.</div>");
	for (int i = 0; i < SOURCE_ROWS; i++) {
		char sid[32], aid[32];
		snprintf(sid, sizeof sid, "sources.%d.source", i);
		snprintf(aid, sizeof aid, "sources.%d.amount", i);
		bool have = b && (size_t)i < b->nsources;
		input(r, e, sid, arena_printf(&r->arena, "Source %d", i + 1), NULL, "govuk-!-width-one-half",
		      fv(r, again, sid, have ? b->sources[i].source : NULL));
		input(r, e, aid, arena_printf(&r->arena, "Contribution %d", i + 1), NULL,
		      "govuk-input--width-10", fv(r, again, aid, have ? page_money_plain(r, b->sources[i].amount_pence)
						  : NULL));
	}
	fmt_printf(&r->out, "</fieldset><button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"%s</button></form>", b ? "Save changes" : "Create budget");
	page_end(r);
	return HE_OK;
}

int budget_new_page(struct req *r)
{
	return form_page(r, NULL, NULL, 200);
}

int budget_edit_page(struct req *r)
{
	struct budget b;
	int rc = budget_from_path(r, &b);
	return rc ? rc : form_page(r, &b, NULL, 200);
}

/* Read the posted form into in (sources into src); a bad amount or year
 * is reported in e (HE_INVALID naming the field). */
static int form_read(struct req *r, struct budget_in *in, struct budget_source_in *src,
		     struct errinfo *e)
{
	memset(in, 0, sizeof *in);
	in->name = req_form(r, "name");
	in->owner_kind = req_form(r, "owner_kind");
	in->period = req_form(r, "period");
	const char *x = req_form(r, "school_id");
	in->school_id = x ? strtoll(x, NULL, 10) : 0;
	x = req_form(r, "district_id");
	in->district_id = x ? strtoll(x, NULL, 10) : 0;
	x = req_form(r, "start_year");
	char *end = NULL;
	long y = x && *x ? strtol(x, &end, 10) : 0;
	in->start_year = end && !*end && y > 0 && y < 10000 ? (int)y : 0;
	x = req_form(r, "amount");
	if (!x || !*x)
		return errinfo_set(e, HE_MISSING, "amount", "Enter the amount, like £25,000.00");
	if (money_parse(x, &in->amount_pence))
		return errinfo_set(e, HE_INVALID, "amount", "Enter the amount in pounds and pence, like "
				   "£25,000.00");
	in->sources = src;
	for (int i = 0; i < SOURCE_ROWS; i++) {
		char sid[32], aid[32];
		snprintf(sid, sizeof sid, "sources.%d.source", i);
		snprintf(aid, sizeof aid, "sources.%d.amount", i);
		const char *s = req_form(r, sid), *a = req_form(r, aid);
		bool sblank = !s || !s[strspn(s, " ")], ablank = !a || !a[strspn(a, " ")];
		if (sblank && ablank)
			continue;
		if (sblank)
			return errinfo_set(e, HE_MISSING, sid, "Enter the name of source %d", i + 1);
		if (ablank || money_parse(a, &src[in->nsources].amount_pence))
			return errinfo_set(e, HE_INVALID, aid, "Enter the contribution of source %d in pounds "
					   "and pence, like £1,440,000.00", i + 1);
		src[in->nsources++].source = s;
	}
	return HE_OK;
}

/* A refused form is shown again; other errors go to the dispatcher. */
static int form_result(struct req *r, int rc, const struct budget *b, struct errinfo *e)
{
	if (rc >= HE_DB || rc == HE_INTERNAL || rc == HE_FORBIDDEN || rc == HE_NOT_FOUND) {
		r->err = *e;
		return rc;
	}
	return form_page(r, b, e, err_http_status(rc));
}

int budget_create_page(struct req *r)
{
	struct budget_in in;
	struct budget_source_in src[SOURCE_ROWS];
	struct errinfo e = {0};
	int64_t id = 0;
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = form_read(r, &in, src, &e);
	if (rc == HE_OK)
		rc = budget_save(r->db, s, 0, 0, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/budgets/%lld", (long long)id));
	return form_result(r, rc, NULL, &e);
}

int budget_update_page(struct req *r)
{
	struct budget b;
	struct budget_in in;
	struct budget_source_in src[SOURCE_ROWS];
	struct errinfo e = {0};
	int rc = budget_from_path(r, &b);
	if (rc)
		return rc;
	const char *v = req_form(r, "version");
	int64_t version = v ? strtoll(v, NULL, 10) : 0;
	rc = form_read(r, &in, src, &e);
	if (rc == HE_OK)
		rc = budget_save(r->db, req_scope(r), b.id, version, &in, NULL, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/budgets/%lld", (long long)b.id));
	return form_result(r, rc, &b, &e);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_budget(struct req *r, const struct budget *b)
{
	fmt_printf(&r->out, "{\"id\":%lld,\"name\":%j,\"owner\":{\"kind\":%j,\"name\":%j,\"school_id\":",
		   (long long)b->id, b->name, b->owner_kind, b->owner_name);
	if (b->school_id)
		fmt_printf(&r->out, "%lld", (long long)b->school_id);
	else
		buf_puts(&r->out, "null");
	buf_puts(&r->out, ",\"district_id\":");
	if (b->district_id)
		fmt_printf(&r->out, "%lld", (long long)b->district_id);
	else
		buf_puts(&r->out, "null");
	fmt_printf(&r->out, "},\"period\":%j,\"period_label\":%j,\"start_year\":%d,\"starts_on\":%j,"
		"\"ends_on\":%j,\"version\":%lld,\"amount_pence\":%lld,\"committed_pence\":%lld,"
		"\"spent_pence\":%lld,\"pending_pence\":%lld,\"available_pence\":%lld,\"amount\":%j,"
		"\"committed\":%j,\"spent\":%j,\"pending\":%j,\"available\":%j,\"sources\":[",
		b->period, b->period_label, b->start_year, b->start_on, b->end_on, (long long)b->version,
		(long long)b->pos.amount, (long long)b->pos.committed, (long long)b->pos.spent,
		(long long)b->pos.pending, (long long)b->pos.available, page_money(r, b->pos.amount),
		page_money(r, b->pos.committed), page_money(r, b->pos.spent), page_money(r, b->pos.pending),
		page_money(r, b->pos.available));
	for (size_t i = 0; i < b->nsources; i++)
		fmt_printf(&r->out, "%s{\"source\":%j,\"amount_pence\":%lld,\"amount\":%j,\"share\":%j}",
			   i ? "," : "", b->sources[i].source, (long long)b->sources[i].amount_pence,
			   page_money(r, b->sources[i].amount_pence), b->sources[i].share);
	buf_puts(&r->out, "]}");
}

int budgets_api(struct req *r)
{
	const struct scope *s = req_scope(r);
	struct budget *v;
	size_t n;
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = budget_list(r->db, &r->arena, s, &v, &n);
	if (rc || (rc = req_audit(r, "view", "budgets", NULL,
				  arena_printf(&r->arena, "Listed %zu budget(s) (API)", n))))
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"budgets\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		json_budget(r, &v[i]);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

int budget_api(struct req *r)
{
	struct budget b;
	int rc = budget_from_path(r, &b);
	if (rc)
		return rc;
	struct budget_line *l;
	size_t n;
	if ((rc = budget_commissions(r->db, &r->arena, b.id, &l, &n)))
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"budget\":");
	json_budget(r, &b);
	buf_puts(&r->out, ",\"commissions\":[");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "%s{\"ref\":%j,\"case\":%j,\"kind\":%j,\"what\":%j,\"status\":%j,"
			"\"estimate_pence\":%lld,\"actual_pence\":", i ? "," : "", l[i].ref, l[i].case_ref,
			l[i].kind, l[i].what, l[i].status, (long long)l[i].estimate_pence);
		if (l[i].actual_pence >= 0)
			fmt_printf(&r->out, "%lld", (long long)l[i].actual_pence);
		else
			buf_puts(&r->out, "null");
		fmt_printf(&r->out, ",\"refunded_pence\":%lld}", (long long)l[i].refunded_pence);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}
