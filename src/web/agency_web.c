/* agency_web.c — the directory of partner agencies and professionals.
 *
 *   GET  /agencies                       every agency (CAP_DIRECTORY), and
 *                                        a form to add one (CAP_DIRECTORY_MANAGE)
 *   POST /agencies                       add an agency
 *   GET  /agencies/{id}                  the agency and its professionals,
 *                                        with a form to add a professional
 *   POST /agencies/{id}/professionals    add a professional, optionally
 *                                        linked to an agency-role sign-in
 *   GET  /api/v1/agencies                the directory as JSON, professionals
 *                                        included
 *
 * Workers see the directory to invite professionals to meetings and give
 * them actions; the coordinator and the admin keep it.  Changes are
 * audited by agency.c.  A form that fails is shown again with its error
 * summary and the values as typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "core/agency.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

/* A form's input, re-filled from the post when again. */
static void field(struct req *r, const struct errinfo *e, bool again, const char *name,
		  const char *label, const char *type)
{
	const char *v = again ? req_form(r, name) : NULL;
	page_input(r, name, label, type, v ? v : "", "off", e);
}

static void kind_select(struct req *r, const struct errinfo *e, bool again)
{
	const char *cur = again ? req_form(r, "kind") : NULL;
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"kind\">"
		"Kind of service</label>", page_group_class(e, "kind"));
	page_field_error(r, e, "kind");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"kind\" name=\"kind\"><option value=\"\">"
		"Choose a kind</option>");
	for (int i = 0; agency_kinds[i]; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", agency_kinds[i],
			   cur && strcmp(cur, agency_kinds[i]) == 0 ? " selected" : "",
			   agency_kind_title(agency_kinds[i]));
	fmt_printf(&r->out, "</select></div>");
}

static int list_render(struct req *r, const struct errinfo *e, int status)
{
	struct agency *l;
	size_t n;
	int rc = agency_list(r->db, &r->arena, &l, &n);
	if (rc)
		return rc;
	page_begin(r, status, "Agencies and professionals");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Agencies and professionals</h1><p class=\"govuk-body\">"
		"The partner services a Team Around the Family can draw on. Choose an agency to see its"
		" professionals.</p><table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%zu agenc%s</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n, n == 1 ? "y" : "ies");
	page_th(r, "Agency");
	page_th(r, "Kind");
	page_th(r, "Phone");
	page_th(r, "Email");
	page_th(r, "Professionals");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a"
			" class=\"govuk-link\" href=\"/agencies/%lld\">%h</a></td>", (long long)l[i].id, l[i].name);
		page_td(r, agency_kind_title(l[i].kind));
		page_td(r, l[i].phone);
		page_td(r, l[i].email);
		page_td(r, arena_printf(&r->arena, "%d", l[i].nprofessionals));
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
	if (caps_has(r->caps, CAP_DIRECTORY_MANAGE)) {
		bool again = e && e->code;
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"add\">Add an agency</h2>"
			"<form method=\"post\" action=\"/agencies\" novalidate>");
		page_csrf_field(r, r->sess.csrf);
		field(r, e, again, "name", "Name", "text");
		kind_select(r, e, again);
		field(r, e, again, "phone", "Phone (optional)", "tel");
		field(r, e, again, "email", "Email (optional)", "email");
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Add agency</button></form>");
	}
	page_end(r);
	return HE_OK;
}

int agencies_page(struct req *r)
{
	return list_render(r, NULL, 200);
}

int agency_create_page(struct req *r)
{
	int64_t id = 0;
	struct errinfo e = {0};
	struct agency_in in = {
		.name = req_form(r, "name"), .kind = req_form(r, "kind"),
		.phone = req_form(r, "phone"), .email = req_form(r, "email"),
	};
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = agency_save(r->db, req_scope(r), 0, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/agencies/%lld", (long long)id));
	if (rc >= HE_DB || rc == HE_INTERNAL || rc == HE_FORBIDDEN) {
		r->err = e;
		return rc;
	}
	return list_render(r, &e, err_http_status(rc));
}

static int64_t param_id(struct req *r)
{
	const char *s = req_param(r, 0);
	char *end;
	long long v = s && *s ? strtoll(s, &end, 10) : 0;
	return v > 0 && !*end ? v : 0;
}

static void professionals_table(struct req *r, const struct professional *l, size_t n)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%zu professional%s</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n, n == 1 ? "" : "s");
	page_th(r, "Name");
	page_th(r, "Role");
	page_th(r, "Email");
	page_th(r, "Phone");
	page_th(r, "Signs in to Hearth");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, l[i].active ? l[i].name : arena_printf(&r->arena, "%s (no longer active)", l[i].name));
		page_td(r, l[i].role);
		page_td(r, l[i].email);
		page_td(r, l[i].phone);
		page_td(r, l[i].user_email ? "Yes" : "No");
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static int agency_render(struct req *r, int64_t id, const struct errinfo *e, int status)
{
	struct agency g;
	struct professional *l;
	size_t n;
	int rc = agency_get(r->db, &r->arena, id, &g);
	if (rc == HE_NOT_FOUND)
		return req_fail(r, HE_NOT_FOUND, "", "No such agency");
	if (rc || (rc = professional_list(r->db, &r->arena, id, false, &l, &n)))
		return rc;
	page_begin(r, status, g.name);
	page_error_summary(r, e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h</span><h1 class=\"govuk-heading-l\">%h</h1>"
		"<dl class=\"govuk-summary-list\"><div class=\"govuk-summary-list__row\"><dt"
		" class=\"govuk-summary-list__key\">Phone</dt><dd class=\"govuk-summary-list__value\">%h</dd>"
		"</div><div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Email</dt>"
		"<dd class=\"govuk-summary-list__value\">%h</dd></div></dl>", agency_kind_title(g.kind), g.name,
		page_or_dash(g.phone), page_or_dash(g.email));
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Professionals</h2>");
	professionals_table(r, l, n);
	if (caps_has(r->caps, CAP_DIRECTORY_MANAGE)) {
		bool again = e && e->code;
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"add\">Add a professional</h2>"
			"<form method=\"post\" action=\"/agencies/%lld/professionals\" novalidate>", (long long)id);
		page_csrf_field(r, r->sess.csrf);
		field(r, e, again, "name", "Name", "text");
		field(r, e, again, "role", "Role (optional), for example Education welfare officer", "text");
		field(r, e, again, "email", "Email (optional)", "email");
		field(r, e, again, "phone", "Phone (optional)", "tel");
		field(r, e, again, "user_email", "Their Hearth sign-in email (optional): a user with the"
		      " partner agency role, so they see their meetings and actions", "email");
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Add professional</button></form>");
	}
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/agencies\">All agencies</a></p>");
	page_end(r);
	return HE_OK;
}

int agency_page(struct req *r)
{
	int64_t id = param_id(r);
	if (!id)
		return req_fail(r, HE_NOT_FOUND, "", "No such agency");
	return agency_render(r, id, NULL, 200);
}

int agency_professional_page(struct req *r)
{
	int64_t id = param_id(r), pid = 0;
	struct errinfo e = {0};
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	struct directory_professional_in in = {
		.name = req_form(r, "name"), .role = req_form(r, "role"), .email = req_form(r, "email"),
		.phone = req_form(r, "phone"), .user_email = req_form(r, "user_email"), .active = true,
	};
	int rc = id ? professional_save(r->db, req_scope(r), 0, id, &in, &pid, &e) : HE_NOT_FOUND;
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/agencies/%lld", (long long)id));
	if (rc == HE_NOT_FOUND || rc >= HE_DB || rc == HE_INTERNAL || rc == HE_FORBIDDEN) {
		r->err = e;
		return rc;
	}
	return agency_render(r, id, &e, err_http_status(rc));
}

int agencies_api(struct req *r)
{
	struct agency *l;
	struct professional *p;
	size_t n, np;
	int rc = agency_list(r->db, &r->arena, &l, &n);
	if (rc || (rc = professional_list(r->db, &r->arena, 0, true, &p, &np)))
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"agencies\":[");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "%s{\"id\":%lld,\"name\":%j,\"kind\":%j,\"kind_title\":%j,\"phone\":%j,"
			"\"email\":%j,\"professionals\":[", i ? "," : "", (long long)l[i].id, l[i].name, l[i].kind,
			agency_kind_title(l[i].kind), l[i].phone, l[i].email);
		bool first = true;
		for (size_t k = 0; k < np; k++) {
			if (p[k].agency_id != l[i].id)
				continue;
			fmt_printf(&r->out, "%s{\"id\":%lld,\"name\":%j,\"role\":%j,\"email\":%j,\"phone\":%j,"
				"\"signs_in\":%s}", first ? "" : ",", (long long)p[k].id, p[k].name, p[k].role,
				p[k].email, p[k].phone, p[k].user_id ? "true" : "false");
			first = false;
		}
		buf_puts(&r->out, "]}");
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}
