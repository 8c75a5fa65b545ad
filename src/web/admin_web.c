/* admin_web.c — the partnership's users and schools, as pages and JSON. */
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "core/school.h"
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
		"<p class=\"govuk-body\">Add users with <code>hearth user add</code>.</p>"
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
	" WHERE (:district IS NULL OR d.name = :district)" \
	" AND (:phase IS NULL OR s.phase = :phase) ORDER BY d.name, s.name"

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
