/* admin_web.c — the partnership's users and schools, as pages and JSON. */
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "core/school.h"
#include "core/user.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

int users_page(struct req *r)
{
	int rc = req_audit(r, "view", "users", NULL, "list of users");
	if (rc)
		return rc;
	page_begin(r, 200, "Users");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Users</h1>"
		"<p class=\"govuk-body\"><a class=\"govuk-button\" href=\"/users/new\">Add a user</a></p>"
		"<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-visually-hidden\">"
		"Users</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
		"<th scope=\"col\" class=\"govuk-table__header\">Name</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Email</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Role</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">School</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Authenticator</th>"
		"</tr></thead><tbody class=\"govuk-table__body\">");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT u.name, u.email, u.role, s.name, u.totp_secret IS NOT NULL, u.disabled"
		" FROM users u LEFT JOIN schools s ON s.id = u.school_id ORDER BY u.name");
	while (db_next(st))
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h%s</td>"
			"<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td></tr>",
			db_text(st, 0), db_int(st, 5) ? " (disabled)" : "", db_text(st, 1),
			role_title(role_parse(db_text(st, 2))), db_text(st, 3) ? db_text(st, 3) : "—",
			db_int(st, 4) ? "Yes" : "No");
	if ((rc = db_finalize(st)))
		return rc;
	fmt_printf(&r->out, "</tbody></table>");
	page_end(r);
	return HE_OK;
}

#define SCHOOLS_SQL \
	"SELECT s.urn, s.name, s.phase, d.name, s.postcode FROM schools s" \
	" JOIN districts d ON d.id = s.district_id" \
	" WHERE (CAST(:district AS TEXT) IS NULL OR d.name = :district)" \
	" AND (CAST(:phase AS TEXT) IS NULL OR s.phase = :phase) ORDER BY d.name, s.name"

static struct db_stmt *schools_query(struct req *r)
{
	const char *district = req_query(r, "district"), *phase = req_query(r, "phase");
	struct db_stmt *st = db_prepare(r->db, SCHOOLS_SQL);
	db_bind_text(st, ":district", district && *district ? district : NULL);
	db_bind_text(st, ":phase", phase && *phase ? phase : NULL);
	return st;
}

static void phase_select(struct req *r, const char *cur)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"phase\">"
		"Phase</label><select class=\"govuk-select\" id=\"phase\" name=\"phase\">"
		"<option value=\"\">All phases</option>");
	for (const char *const *p = school_phases; *p; p++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", *p,
			   cur && strcmp(cur, *p) == 0 ? " selected" : "", school_phase_title(*p));
	fmt_printf(&r->out, "</select></div>");
}

int schools_page(struct req *r)
{
	page_begin(r, 200, "Schools");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Schools in the partnership</h1>"
		"<form method=\"get\" action=\"/schools\" class=\"hearth-filters\">");
	phase_select(r, req_query(r, "phase"));
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\">"
		"Filter</button></form><table class=\"govuk-table\">"
		"<caption class=\"govuk-table__caption govuk-table__caption--m\">Schools by district</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
		"<th scope=\"col\" class=\"govuk-table__header\">District</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">School</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">URN</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Phase</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Postcode</th></tr></thead>"
		"<tbody class=\"govuk-table__body\">");
	struct db_stmt *st = schools_query(r);
	while (db_next(st))
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td></tr>",
			db_text(st, 3), db_text(st, 1), db_text(st, 0),
			school_phase_title(db_text(st, 2)), db_text(st, 4));
	int rc = db_finalize(st);
	if (rc)
		return rc;
	fmt_printf(&r->out, "</tbody></table>");
	page_end(r);
	return HE_OK;
}

int schools_api(struct req *r)
{
	req_json(r, 200);
	buf_puts(&r->out, "{\"schools\":[");
	struct db_stmt *st = schools_query(r);
	const char *sep = "";
	while (db_next(st)) {
		fmt_printf(&r->out, "%s{\"urn\":%j,\"name\":%j,\"phase\":%j,\"district\":%j,"
			"\"postcode\":%j}", sep, db_text(st, 0), db_text(st, 1), db_text(st, 2),
			db_text(st, 3), db_text(st, 4));
		sep = ",";
	}
	buf_puts(&r->out, "]}\n");
	return db_finalize(st);
}

/* ---- adding users and schools ------------------------------------------ */

static void created_user_json(struct req *r, int64_t id, const char *email)
{
	struct user u;
	if (user_load(r->db, &r->arena, id, &u) != HE_OK) {
		fmt_printf(&r->out, "{\"user\":{\"id\":%lld,\"email\":%j}}\n", (long long)id, email);
		return;
	}
	fmt_printf(&r->out, "{\"user\":{\"id\":%lld,\"email\":%j,\"name\":%j,\"role\":%j,\"school\":%j}}\n",
		   (long long)u.id, u.email, u.name, role_name(u.role), u.school_urn);
}

int users_create_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	int64_t id = 0;
	int rc = user_create(r->db, &r->who, json_str(j, "name"), json_str(j, "email"),
			     json_str(j, "role"), json_str(j, "school"), json_str(j, "password"),
			     &id, &r->err);
	if (rc == HE_OK) {
		req_json(r, 201);
		created_user_json(r, id, json_str(j, "email"));
	}
	json_decref(j);
	return rc;
}

static const char *const role_values[] = {
	"admin", "coordinator", "school", "worker", "agency", "viewer", "auditor", NULL,
};

static void user_form(struct req *r, int status, const struct errinfo *e)
{
	page_begin(r, status, e && e->code ? "Error: Add a user" : "Add a user");
	fmt_printf(&r->out, "<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Add a user</h1>"
		"<form method=\"post\" action=\"/users\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	page_input(r, "name", "Full name", "text", req_form(r, "name"), "off", e);
	page_input(r, "email", "Email address", "email", req_form(r, "email"), "off", e);
	const char *cur = req_form(r, "role");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"role\">"
		"Role</label>", page_group_class(e, "role"));
	page_field_error(r, e, "role");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"role\" name=\"role\">");
	for (const char *const *v = role_values; *v; v++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", *v,
			   cur && strcmp(cur, *v) == 0 ? " selected" : "", role_title(role_parse(*v)));
	fmt_printf(&r->out, "</select></div>");
	page_input(r, "school", "School URN (school users only)", "text", req_form(r, "school"), "off", e);
	page_input(r, "password", "Initial password (10 characters or more)", "password", "",
		   "new-password", e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">Add user</button></form>"
		"</div></div>");
	page_end(r);
}

int users_new_page(struct req *r)
{
	user_form(r, 200, NULL);
	return HE_OK;
}

int users_create_page(struct req *r)
{
	int rc = user_create(r->db, &r->who, req_form(r, "name"), req_form(r, "email"),
			     req_form(r, "role"), req_form(r, "school"), req_form(r, "password"),
			     NULL, &r->err);
	if (rc == HE_OK)
		return req_redirect(r, "/users");
	if (rc >= HE_DB && rc != HE_DB_CONSTRAINT)
		return rc;
	user_form(r, err_http_status(rc), &r->err);
	return HE_OK;
}

int schools_create_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	int64_t id = 0;
	int rc = db_begin(r->db);
	if (rc == HE_OK)
		rc = school_add(r->db, &r->who, json_str(j, "urn"), json_str(j, "name"),
				json_str(j, "phase"), json_str(j, "district"),
				json_str(j, "postcode"), &id, &r->err);
	if (rc == HE_OK)
		rc = db_commit(r->db);
	else
		db_rollback(r->db);
	if (rc == HE_OK) {
		req_json(r, 201);
		fmt_printf(&r->out, "{\"school\":{\"id\":%lld,\"urn\":%j}}\n", (long long)id,
			   json_str(j, "urn"));
	}
	json_decref(j);
	return rc;
}
