/* catalogue_web.c — the service catalogue as pages and JSON.
 *
 *   GET  /catalogue                 providers, and services by category:
 *                                   unit, unit cost, capacity, districts,
 *                                   exit route (CAP_CATALOGUE); forms to add
 *                                   a provider and a service
 *                                   (CAP_CATALOGUE_MANAGE)
 *   POST /catalogue/providers       add a provider
 *   POST /catalogue/services        add a service
 *   GET  /catalogue/services/{id}   one service (managers: its edit form)
 *   POST /catalogue/services/{id}   change it
 *   GET  /api/v1/catalogue          providers and services as JSON
 *
 * The catalogue is not personal data: reads are not audited; changes are
 * (catalogue.c).  A form that fails is shown again with its error summary
 * and the values as typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/money.h"
#include "core/catalogue.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define DISTRICT_CHOICES 64

static const char *fv(struct req *r, bool again, const char *name, const char *def)
{
	if (again) {
		const char *x = req_form(r, name);
		return x ? x : "";
	}
	return def ? def : "";
}

static void input(struct req *r, const struct errinfo *e, const char *id, const char *label,
		  const char *width, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">%h"
		"</label>", page_group_class(e, id), id, label);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"text\""
		" value=\"%h\"></div>", width, page_has_err(e, id) ? " govuk-input--error" : "", id, id,
		value ? value : "");
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

static bool form_has_id(struct req *r, const char *name, int64_t id)
{
	char want[24];
	snprintf(want, sizeof want, "%lld", (long long)id);
	for (int i = 0; i < r->nform; i++)
		if (strcmp(r->form[i].key, name) == 0 && strcmp(r->form[i].value, want) == 0)
			return true;
	return false;
}

/* The service form's fields; v the service being changed (NULL: new). */
static int service_fields(struct req *r, const struct service *v, const struct errinfo *e, bool again)
{
	struct provider *p;
	struct catalogue_district *d;
	size_t np, nd;
	int rc = catalogue_providers(r->db, &r->arena, &p, &np);
	if (rc || (rc = catalogue_districts(r->db, &r->arena, &d, &nd)))
		return rc;
	char cur[24];
	snprintf(cur, sizeof cur, "%lld", v ? (long long)v->provider_id : 0LL);
	const char *cp = fv(r, again, "provider_id", cur);
	select_open(r, e, "provider_id", "Provider");
	option(r, "", "Choose the provider", cp);
	for (size_t i = 0; i < np; i++)
		option(r, arena_printf(&r->arena, "%lld", (long long)p[i].id), p[i].name, cp);
	fmt_printf(&r->out, "</select></div>");
	input(r, e, "name", "Service name", "govuk-!-width-two-thirds", fv(r, again, "name", v ? v->name : NULL));
	const char *cc = fv(r, again, "category", v ? v->category : NULL);
	select_open(r, e, "category", "Kind of service");
	option(r, "", "Choose a kind", cc);
	for (int i = 0; catalogue_categories[i]; i++)
		option(r, catalogue_categories[i], catalogue_category_title(catalogue_categories[i]), cc);
	fmt_printf(&r->out, "</select></div>");
	const char *cu = fv(r, again, "unit", v ? v->unit : NULL);
	select_open(r, e, "unit", "Sold by the");
	option(r, "", "Choose a unit", cu);
	for (int i = 0; catalogue_units[i]; i++)
		option(r, catalogue_units[i], catalogue_unit_title(catalogue_units[i]), cu);
	fmt_printf(&r->out, "</select></div>");
	input(r, e, "unit_cost", "Cost of one unit (pounds)", "govuk-input--width-10",
	      fv(r, again, "unit_cost", v ? page_money_plain(r, v->unit_cost_pence) : NULL));
	input(r, e, "capacity", "Capacity: units at once (leave empty for no limit)", "govuk-input--width-5",
	      fv(r, again, "capacity", v && v->capacity ? arena_printf(&r->arena, "%d", v->capacity) : NULL));
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\" id=\"districts\"><fieldset class=\"govuk-fieldset\">"
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Districts served (none:"
		" all districts)</legend>", page_group_class(e, "districts"));
	page_field_error(r, e, "districts");
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes govuk-checkboxes--small\" data-module=\"govuk-checkboxes\">");
	for (size_t i = 0; i < nd; i++) {
		bool on = false;
		if (again)
			on = form_has_id(r, "districts", d[i].id);
		else
			for (size_t k = 0; v && k < v->ndistricts; k++)
				on = on || v->district_ids[k] == d[i].id;
		fmt_printf(&r->out, "<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\""
			" id=\"district-%lld\" name=\"districts\" type=\"checkbox\" value=\"%lld\"%s><label"
			" class=\"govuk-label govuk-checkboxes__label\" for=\"district-%lld\">%h</label></div>",
			(long long)d[i].id, (long long)d[i].id, on ? " checked" : "", (long long)d[i].id, d[i].name);
	}
	fmt_printf(&r->out, "</div></fieldset></div>");
	bool exitr = again ? req_form(r, "exit_route") != NULL : v && v->exit_route;
	bool active = again ? req_form(r, "active") != NULL : !v || v->active;
	fmt_printf(&r->out, "<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes govuk-checkboxes--small\""
		" data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\"><input"
		" class=\"govuk-checkboxes__input\" id=\"exit_route\" name=\"exit_route\" type=\"checkbox\""
		" value=\"1\"%s><label class=\"govuk-label govuk-checkboxes__label\" for=\"exit_route\">An exit"
		" route: the family can stay with it after the case closes</label></div>"
		"<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\" id=\"active\""
		" name=\"active\" type=\"checkbox\" value=\"1\"%s><label class=\"govuk-label"
		" govuk-checkboxes__label\" for=\"active\">Available to commission</label></div></div></div>",
		exitr ? " checked" : "", active ? " checked" : "");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"description\">"
		"Description (optional)</label>", page_group_class(e, "description"));
	page_field_error(r, e, "description");
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea\" id=\"description\" name=\"description\" rows=\"3\">"
		"%h</textarea></div>", fv(r, again, "description", v ? v->description : NULL));
	return HE_OK;
}

static void service_table(struct req *r, const struct service *v, size_t n, const char *category,
			  bool manage)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += strcmp(v[i].category, category) == 0;
	if (!count)
		return;
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--m\">%h</caption><thead class=\"govuk-table__head\"><tr"
		" class=\"govuk-table__row\">", catalogue_category_title(category));
	page_th_n(r, "Service", false);
	page_th_n(r, "Provider", false);
	page_th_n(r, "Unit", false);
	page_th_n(r, "Unit cost", true);
	page_th_n(r, "Capacity", true);
	page_th_n(r, "Districts", false);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		const struct service *x = &v[i];
		if (strcmp(x->category, category) != 0)
			continue;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">");
		if (manage)
			fmt_printf(&r->out, "<a class=\"govuk-link\" href=\"/catalogue/services/%lld\">%h</a>",
				   (long long)x->id, x->name);
		else
			fmt_printf(&r->out, "%h", x->name);
		if (x->exit_route)
			fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--green\">Exit route</strong>");
		if (!x->active)
			fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--grey\">Not available</strong>");
		if (x->description && *x->description)
			fmt_printf(&r->out, "<br><span class=\"govuk-body-s\">%h</span>", x->description);
		fmt_printf(&r->out, "</td>");
		page_td_n(r, x->provider_name, false);
		page_td_n(r, catalogue_unit_title(x->unit), false);
		page_td_n(r, page_money(r, x->unit_cost_pence), true);
		page_td_n(r, x->capacity ? arena_printf(&r->arena, "%d", x->capacity) : "No limit", true);
		page_td_n(r, x->districts, false);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

/* e: the failed form (which = 'p' provider, 's' service). */
static int catalogue_render(struct req *r, const struct errinfo *e, char which, int status)
{
	struct service *v;
	struct provider *p;
	size_t n, np;
	bool manage = caps_has(r->caps, CAP_CATALOGUE_MANAGE);
	int rc = catalogue_services(r->db, &r->arena, !manage, 0, &v, &n);
	if (rc || (rc = catalogue_providers(r->db, &r->arena, &p, &np)))
		return rc;
	page_begin(r, status, "Services to commission");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Services to commission</h1><p class=\"govuk-body\">"
		"What a worker can request for a family, from whom, and what it costs. Services marked"
		" exit route are ones the family can stay with after their case closes.</p>");
	if (n == 0)
		fmt_printf(&r->out, "<p class=\"govuk-body\">There are no services in the catalogue yet.</p>");
	for (int c = 0; catalogue_categories[c]; c++)
		service_table(r, v, n, catalogue_categories[c], manage);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Providers</h2><table class=\"govuk-table\"><caption"
		" class=\"govuk-table__caption govuk-table__caption--s\">%zu provider%s</caption><thead"
		" class=\"govuk-table__head\"><tr class=\"govuk-table__row\">", np, np == 1 ? "" : "s");
	page_th_n(r, "Provider", false);
	page_th_n(r, "Contact", false);
	page_th_n(r, "Services", true);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < np; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td_n(r, p[i].name, false);
		page_td_n(r, p[i].contact, false);
		page_td_n(r, arena_printf(&r->arena, "%d", p[i].nservices), true);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
	if (manage) {
		const struct errinfo *pe = which == 'p' ? e : NULL, *se = which == 's' ? e : NULL;
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"add-service\">Add a service</h2>"
			"<form method=\"post\" action=\"/catalogue/services\" novalidate>");
		page_csrf_field(r, r->sess.csrf);
		if ((rc = service_fields(r, NULL, se, se != NULL)))
			return rc;
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Add service</button></form><h2 class=\"govuk-heading-m\" id=\"add-provider\">Add a"
			" provider</h2><form method=\"post\" action=\"/catalogue/providers\" novalidate>");
		page_csrf_field(r, r->sess.csrf);
		/* the provider form's ids are prefixed so they do not clash with the service form's */
		input(r, pe, "provider_name", "Provider name", "govuk-!-width-two-thirds",
		      fv(r, pe != NULL, "provider_name", NULL));
		input(r, pe, "contact", "Contact details (optional)", "govuk-!-width-two-thirds",
		      fv(r, pe != NULL, "contact", NULL));
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Add provider</button></form>");
	}
	page_end(r);
	return HE_OK;
}

int catalogue_page(struct req *r)
{
	return catalogue_render(r, NULL, 0, 200);
}

static bool refused_form(int rc)
{
	return rc == HE_INVALID || rc == HE_MISSING || rc == HE_CONFLICT;
}

int catalogue_provider_create_page(struct req *r)
{
	struct errinfo e = {0};
	int64_t id = 0;
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	struct provider_in in = {.name = req_form(r, "provider_name"), .contact = req_form(r, "contact")};
	int rc = provider_save(r->db, s, 0, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, "/catalogue#add-service");
	if (!refused_form(rc)) {
		r->err = e;
		return rc;
	}
	if (strcmp(e.field, "name") == 0)
		snprintf(e.field, sizeof e.field, "provider_name");
	return catalogue_render(r, &e, 'p', err_http_status(rc));
}

/* The posted service form into in (district ids allocated from the request). */
static int service_read(struct req *r, struct service_in *in, struct errinfo *e)
{
	memset(in, 0, sizeof *in);
	const char *x = req_form(r, "provider_id");
	in->provider_id = x ? strtoll(x, NULL, 10) : 0;
	in->name = req_form(r, "name");
	in->category = req_form(r, "category");
	in->unit = req_form(r, "unit");
	in->description = req_form(r, "description");
	in->exit_route = req_form(r, "exit_route") != NULL;
	in->active = req_form(r, "active") != NULL;
	x = req_form(r, "unit_cost");
	if (!x || !*x)
		return errinfo_set(e, HE_MISSING, "unit_cost", "Enter the cost of one unit, like £90.00");
	if (money_parse(x, &in->unit_cost_pence))
		return errinfo_set(e, HE_INVALID, "unit_cost", "Enter the cost of one unit in pounds and "
				   "pence, like £90.00");
	x = req_form(r, "capacity");
	if (x && *x) {
		char *end;
		long c = strtol(x, &end, 10);
		if (*end || c < 1 || c > 1000000)
			return errinfo_set(e, HE_INVALID, "capacity", "Enter the capacity as a whole number, "
					   "or leave it empty for no limit");
		in->capacity = (int)c;
	}
	int64_t *ids = arena_alloc(&r->arena, DISTRICT_CHOICES * sizeof *ids);
	for (int i = 0; i < r->nform && in->ndistricts < DISTRICT_CHOICES; i++)
		if (strcmp(r->form[i].key, "districts") == 0)
			ids[in->ndistricts++] = strtoll(r->form[i].value, NULL, 10);
	in->district_ids = ids;
	return HE_OK;
}

int catalogue_service_create_page(struct req *r)
{
	struct errinfo e = {0};
	struct service_in in;
	int64_t id = 0;
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = service_read(r, &in, &e);
	if (rc == HE_OK)
		rc = service_save(r->db, s, 0, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, "/catalogue");
	if (!refused_form(rc)) {
		r->err = e;
		return rc;
	}
	return catalogue_render(r, &e, 's', err_http_status(rc));
}

static int64_t param_id(struct req *r)
{
	const char *s = req_param(r, 0);
	char *end;
	long long v = s && *s ? strtoll(s, &end, 10) : 0;
	return v > 0 && !*end ? v : 0;
}

static int service_render(struct req *r, int64_t id, const struct errinfo *e, int status)
{
	struct service v;
	int rc = id ? service_get(r->db, &r->arena, id, &v) : HE_NOT_FOUND;
	if (rc == HE_NOT_FOUND)
		return req_fail(r, HE_NOT_FOUND, "", "No such service");
	if (rc)
		return rc;
	page_begin(r, status, v.name);
	page_error_summary(r, e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h · %h</span><h1 class=\"govuk-heading-l\">%h</h1>"
		"<p class=\"govuk-body\">%h per %h; %h.</p>", v.provider_name,
		catalogue_category_title(v.category), v.name, page_money(r, v.unit_cost_pence),
		catalogue_unit_title(v.unit), v.districts);
	if (caps_has(r->caps, CAP_CATALOGUE_MANAGE)) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Change this service</h2><form method=\"post\""
			" action=\"/catalogue/services/%lld\" novalidate>", (long long)id);
		page_csrf_field(r, r->sess.csrf);
		if ((rc = service_fields(r, &v, e, e && e->code)))
			return rc;
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Save changes</button></form>");
	}
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/catalogue\">All services</a></p>");
	page_end(r);
	return HE_OK;
}

int catalogue_service_page(struct req *r)
{
	return service_render(r, param_id(r), NULL, 200);
}

int catalogue_service_update_page(struct req *r)
{
	struct errinfo e = {0};
	struct service_in in;
	int64_t id = param_id(r);
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = id ? service_read(r, &in, &e) : HE_NOT_FOUND;
	if (rc == HE_OK)
		rc = service_save(r->db, s, id, &in, NULL, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/catalogue/services/%lld", (long long)id));
	if (!refused_form(rc)) {
		if (rc == HE_NOT_FOUND)
			return req_fail(r, HE_NOT_FOUND, "", "No such service");
		r->err = e;
		return rc;
	}
	return service_render(r, id, &e, err_http_status(rc));
}

int catalogue_api(struct req *r)
{
	struct service *v;
	struct provider *p;
	size_t n, np;
	const char *d = req_query(r, "district");
	int rc = catalogue_services(r->db, &r->arena, false, d ? strtoll(d, NULL, 10) : 0, &v, &n);
	if (rc || (rc = catalogue_providers(r->db, &r->arena, &p, &np)))
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"providers\":[");
	for (size_t i = 0; i < np; i++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"name\":%j,\"contact\":%j,\"services\":%d}", i ? "," : "",
			   (long long)p[i].id, p[i].name, p[i].contact, p[i].nservices);
	buf_puts(&r->out, "],\"services\":[");
	for (size_t i = 0; i < n; i++) {
		const struct service *x = &v[i];
		fmt_printf(&r->out, "%s{\"id\":%lld,\"provider\":{\"id\":%lld,\"name\":%j},\"name\":%j,"
			"\"category\":%j,\"category_title\":%j,\"unit\":%j,\"unit_title\":%j,"
			"\"unit_cost_pence\":%lld,\"unit_cost\":%j,\"capacity\":", i ? "," : "", (long long)x->id,
			(long long)x->provider_id, x->provider_name, x->name, x->category,
			catalogue_category_title(x->category), x->unit, catalogue_unit_title(x->unit),
			(long long)x->unit_cost_pence, page_money(r, x->unit_cost_pence));
		if (x->capacity)
			fmt_printf(&r->out, "%d", x->capacity);
		else
			buf_puts(&r->out, "null");
		fmt_printf(&r->out, ",\"exit_route\":%s,\"active\":%s,\"serves_district\":%s,\"description\":%j,"
			"\"districts\":[", x->exit_route ? "true" : "false", x->active ? "true" : "false",
			x->serves_district ? "true" : "false", x->description);
		for (size_t k = 0; k < x->ndistricts; k++)
			fmt_printf(&r->out, "%s{\"id\":%lld,\"name\":%j}", k ? "," : "",
				   (long long)x->district_ids[k], x->district_names[k]);
		buf_puts(&r->out, "]}");
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}
