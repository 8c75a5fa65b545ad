/* audit_web.c — the auditor's view of the audit log, as a page and JSON.
 *
 * Filters: action, user (email), entity, from/to dates; newest first, 100
 * rows a page, paged by id (?before=ID).  Reading the log is itself
 * audited. */
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define AUDIT_PAGE 100

#define AUDIT_SQL \
	"SELECT id, at, user_email, role, route, action, entity, entity_id, summary, ip" \
	" FROM audit_log WHERE (CAST(:action AS TEXT) IS NULL OR action = :action)" \
	" AND (CAST(:user AS TEXT) IS NULL OR user_email = :user)" \
	" AND (CAST(:entity AS TEXT) IS NULL OR entity = :entity)" \
	" AND (CAST(:from AS TEXT) IS NULL OR at >= :from) AND (CAST(:to AS TEXT) IS NULL OR at < :to)" \
	" AND (CAST(:before AS BIGINT) IS NULL OR id < :before) ORDER BY id DESC LIMIT 100"

struct audit_filter {
	const char *action, *user, *entity, *from, *to;
	int64_t before;
};

static void read_filter(struct req *r, struct audit_filter *f)
{
	f->action = page_nonempty(req_query(r, "action"));
	f->user = page_nonempty(req_query(r, "user"));
	f->entity = page_nonempty(req_query(r, "entity"));
	f->from = page_nonempty(req_query(r, "from"));
	f->to = page_nonempty(req_query(r, "to"));
	const char *b = req_query(r, "before");
	f->before = b ? strtoll(b, NULL, 10) : 0;
}

static struct db_stmt *audit_query(struct req *r, const struct audit_filter *f)
{
	struct db_stmt *st = db_prepare(r->db, AUDIT_SQL);
	db_bind_text(st, ":action", f->action);
	db_bind_text(st, ":user", f->user);
	db_bind_text(st, ":entity", f->entity);
	db_bind_text(st, ":from", f->from);
	/* "to" is a date: include the whole of that day. */
	db_bind_text(st, ":to", f->to ? arena_printf(&r->arena, "%.10sT99", f->to) : NULL);
	if (f->before > 0)
		db_bind_int(st, ":before", f->before);
	else
		db_bind_null(st, ":before");
	return st;
}

static void filter_form(struct req *r, const struct audit_filter *f)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/audit\" class=\"hearth-filters\"><div>");
	const struct { const char *id, *label, *value; } fields[] = {
		{"action", "Action", f->action}, {"user", "User email", f->user},
		{"entity", "Record type", f->entity}, {"from", "From (YYYY-MM-DD)", f->from},
		{"to", "To (YYYY-MM-DD)", f->to},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		page_input(r, fields[i].id, fields[i].label, "text", fields[i].value, "off", NULL);
	}
	fmt_printf(&r->out, "</div><button type=\"submit\" class=\"govuk-button govuk-button--secondary\">"
		"Filter</button></form>");
}

int audit_page(struct req *r)
{
	struct audit_filter f;
	read_filter(r, &f);
	int rc = req_audit(r, "view", "audit_log", NULL, "audit log");
	if (rc)
		return rc;
	page_begin(r, 200, "Audit log");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Audit log</h1><p class=\"govuk-body\">"
		"Every sign-in, refusal, view of a record and change, newest first. The log is"
		" hash-chained: <code>hearth audit verify</code> proves no row was altered or removed.</p>");
	filter_form(r, &f);
	fmt_printf(&r->out, "<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"Audit rows\""
		" tabindex=\"0\"><table class=\"govuk-table hearth-table--small\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Audit rows</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	static const char *const heads[] = {"#", "When (UTC)", "Who", "Role", "Route", "Action",
					    "Record", "Summary", "From"};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header\">%h</th>", heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	struct db_stmt *st = audit_query(r, &f);
	int64_t last = 0;
	int n = 0;
	while (db_next(st)) {
		last = db_int(st, 0);
		n++;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%lld</td>",
			   (long long)last);
		for (int c = 1; c <= 9; c++) {
			if (c == 7)
				continue;
			const char *v = db_text(st, c);
			if (c == 1 && v && strlen(v) >= 16)  /* 2026-11-23T05:41:35Z → 2026-11-23 05:41 */
				v = arena_printf(&r->arena, "%.10s %.5s", v, v + 11);
			if (c == 6 && v)
				v = arena_printf(&r->arena, "%s %s", v, db_text(st, 7) ? db_text(st, 7) : "");
			fmt_printf(&r->out, "<td class=\"govuk-table__cell%s\">%h</td>",
				   c == 1 ? " hearth-nowrap" : "", v ? v : "");
		}
		fmt_printf(&r->out, "</tr>");
	}
	if ((rc = db_finalize(st)))
		return rc;
	fmt_printf(&r->out, "</tbody></table></div>");
	if (n == AUDIT_PAGE)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/audit?before=%lld"
			"&amp;action=%u&amp;user=%u&amp;entity=%u&amp;from=%u&amp;to=%u\">Older rows</a></p>",
			(long long)last, f.action ? f.action : "", f.user ? f.user : "",
			f.entity ? f.entity : "", f.from ? f.from : "", f.to ? f.to : "");
	page_end(r);
	return HE_OK;
}

int audit_api(struct req *r)
{
	struct audit_filter f;
	read_filter(r, &f);
	int rc = req_audit(r, "view", "audit_log", NULL, "audit log (API)");
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"rows\":[");
	struct db_stmt *st = audit_query(r, &f);
	const char *sep = "";
	while (db_next(st)) {
		fmt_printf(&r->out, "%s{\"id\":%lld,\"at\":%j,\"user\":%j,\"role\":%j,\"route\":%j,"
			"\"action\":%j,\"entity\":%j,\"entity_id\":%j,\"summary\":%j,\"ip\":%j}", sep,
			(long long)db_int(st, 0), db_text(st, 1), db_text(st, 2), db_text(st, 3),
			db_text(st, 4), db_text(st, 5), db_text(st, 6), db_text(st, 7),
			db_text(st, 8), db_text(st, 9));
		sep = ",";
	}
	buf_puts(&r->out, "]}\n");
	return db_finalize(st);
}
