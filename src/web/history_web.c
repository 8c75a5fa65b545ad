/* history_web.c — loading cases from before Hearth, from the browser and
 * the API: the admin's page (the upload form, the loads so far, what
 * history holds), one load's report with its row errors, and
 * POST /api/v1/history taking the CSV as the body.
 *
 * Every route needs CAP_HISTORY_IMPORT (the admin).  The load runs inside
 * the request, synchronously: a few hundred cases take a moment, two
 * million events about twenty seconds.  history_load writes the load's
 * audit row itself; a load's report is an audited read (its errors quote
 * case and family references). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fmt.h"
#include "core/history.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define LOADS_PAGE 50
#define ERRORS_PAGE 100

static const char *status_tag(const char *status)
{
	return status && !strcmp(status, "done") ? "govuk-tag--green" : "govuk-tag--red";
}

static const char *status_text(const char *status)
{
	return status && !strcmp(status, "done") ? "Loaded" : "Refused";
}

/* ---- what history holds ---------------------------------------------------- */

static int totals(struct req *r)
{
	struct db_stmt *st = db_prepare(r->db,
		"SELECT (SELECT count(*) FROM history_cases), (SELECT count(*) FROM history_events),"
		" (SELECT min(on_date) FROM history_events), (SELECT max(on_date) FROM history_events)");
	if (db_next(st)) {
		if (db_int(st, 0))
			fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"totals\">History holds <strong>"
				"%lld cases</strong> with <strong>%lld events</strong>, from %h to %h."
				" Every report counts them with the cases worked in Hearth.</p>",
				(long long)db_int(st, 0), (long long)db_int(st, 1),
				page_day(r, db_text(st, 2)), page_day(r, db_text(st, 3)));
		else
			fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"totals\">No history has been"
				" loaded yet.</p>");
	}
	return db_finalize(st);
}

/* ---- the upload form --------------------------------------------------------- */

static void columns_doc(struct req *r)
{
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"columns\"><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">"
		"The columns of a history file</span></summary><div class=\"govuk-details__text\">"
		"<p class=\"govuk-body\">One row per dated event of a case, a header row naming the"
		" columns in any order. A case's rows may be anywhere in the file; its events must make"
		" sense in date order: the referral first, one decision, nothing after the closure."
		" A case with any wrong row is left out whole.</p>"
		"<table class=\"govuk-table hearth-table--small\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Columns</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	page_th(r, "Column");
	page_th(r, "What it holds");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (int c = 0; c < HC_COUNT; c++)
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"<code>%h</code>%s</td><td class=\"govuk-table__cell\">%h</td></tr>",
			history_columns[c].name, history_columns[c].required ? " (required)" : "",
			history_columns[c].help);
	fmt_printf(&r->out, "</tbody></table></div></details>");
}

static void upload_form(struct req *r, const struct errinfo *e)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Load a history file</h2>"
		"<form method=\"post\" action=\"/history\" enctype=\"multipart/form-data\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"file\">"
		"History file (CSV)</label><div class=\"govuk-hint\" id=\"file-hint\">A file already"
		" loaded is refused, and so is a file with more than one row in ten wrong.</div>",
		page_group_class(e, "file"));
	page_field_error(r, e, "file");
	fmt_printf(&r->out, "<input class=\"govuk-file-upload\" id=\"file\" name=\"file\" type=\"file\""
		" accept=\".csv,text/csv\" aria-describedby=\"file-hint\"></div>"
		"<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes\" data-module=\"govuk-checkboxes\">"
		"<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\" id=\"strict\""
		" name=\"strict\" type=\"checkbox\" value=\"1\"><label class=\"govuk-label"
		" govuk-checkboxes__label\" for=\"strict\">Strict: if any row is wrong, load nothing</label>"
		"</div></div></div><button type=\"submit\" class=\"govuk-button\">Load</button></form>");
	columns_doc(r);
}

/* ---- the loads so far ----------------------------------------------------------- */

static int loads_table(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Loads so far</h2>"
		"<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"History loads\" tabindex=\"0\">"
		"<table class=\"govuk-table hearth-table--small\" id=\"loads\"><caption"
		" class=\"govuk-table__caption govuk-visually-hidden\">History loads, newest first</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	static const char *const heads[] = {"#", "When (UTC)", "File", "Status", "Rows", "Loaded",
					    "Not loaded", "By"};
	for (int i = 0; i < 8; i++)
		page_th_n(r, heads[i], i >= 4 && i <= 6);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT h.id, h.imported_at, h.filename, h.status, h.rows_total, h.rows_applied,"
		" h.rows_rejected, u.name FROM history_imports h LEFT JOIN users u ON u.id = h.user_id"
		" ORDER BY h.id DESC LIMIT 50");
	int n = 0;
	while (db_next(st)) {
		n++;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"/history/%lld\">%lld</a></td>",
			(long long)db_int(st, 0), (long long)db_int(st, 0));
		page_td(r, page_when(r, db_text(st, 1)));
		page_td(r, db_text(st, 2));
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\"><strong class=\"govuk-tag %s\">%h"
			"</strong></td>", status_tag(db_text(st, 3)), status_text(db_text(st, 3)));
		for (int c = 4; c <= 6; c++)
			page_td_n(r, arena_printf(&r->arena, "%lld", (long long)db_int(st, c)), true);
		page_td(r, db_text(st, 7) ? db_text(st, 7) : "Command line");
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table></div>");
	if (!n)
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing has been loaded yet.</p>");
	return db_finalize(st);
}

static int history_form_page(struct req *r, int status, const struct errinfo *e)
{
	bool bad = e && e->code;
	page_begin(r, status, bad ? "Error: History from before Hearth" : "History from before Hearth");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">History from before Hearth</h1>"
		"<p class=\"govuk-body\">Load the partnership's cases from spreadsheets or an older"
		" system, so every report covers the years before Hearth as well.</p>");
	int rc = totals(r);
	upload_form(r, e);
	if (rc == HE_OK)
		rc = loads_table(r);
	page_end(r);
	return rc;
}

int history_page(struct req *r)
{
	return history_form_page(r, 200, NULL);
}

/* ---- loading ------------------------------------------------------------------ */

static bool flag_on(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

/* Load the uploaded file (removed afterwards).  HE_MISSING (r->err) when
 * there is none. */
static int run_upload(struct req *r, const char *name, bool strict, struct history_report *rep)
{
	char *path = req_take_upload(r);
	if (!path)
		return req_fail(r, HE_MISSING, "file", "file: select a history file (CSV) to load");
	struct history_opts o = {.path = path, .filename = name, .strict = strict};
	int rc = history_load(r->db, &r->who, &o, rep);
	unlink(path);
	free(path);
	return rc;
}

int history_create_page(struct req *r)
{
	struct history_report *rep = arena_alloc(&r->arena, sizeof *rep);
	const char *name = page_nonempty(r->upload_name);
	int rc = name ? run_upload(r, name, flag_on(req_form(r, "strict")), rep)
		      : req_fail(r, HE_MISSING, "file", "file: select a history file (CSV) to load");
	if (rep->import_id > 0 && (rc == HE_OK || rc == HE_INVALID || rc == HE_CONFLICT))
		return req_redirect(r, arena_printf(&r->arena, "/history/%" PRId64, rep->import_id));
	if (rc == HE_MISSING)
		return history_form_page(r, 422, &r->err);
	return rc;
}

static void report_json(struct req *r, const struct history_report *rep, const char *name)
{
	fmt_printf(&r->out, "\"history_import\":{\"id\":%lld,\"url\":%j,\"filename\":%j,"
		"\"status\":%j,\"message\":%j,\"rows_total\":%lld,\"rows_applied\":%lld,"
		"\"rows_rejected\":%lld,\"rows_bad\":%lld,\"cases_loaded\":%lld,\"cases_rejected\":%lld,"
		"\"pupils_unmatched\":%lld,\"unknown_columns\":%j,\"errors\":[",
		(long long)rep->import_id, rep->import_id ? arena_printf(&r->arena, "/history/%"
		PRId64, rep->import_id) : NULL, name, rep->status, rep->message,
		(long long)rep->rows_total, (long long)rep->rows_applied, (long long)rep->rows_rejected,
		(long long)rep->rows_bad, (long long)rep->cases_loaded, (long long)rep->cases_rejected,
		(long long)rep->pupils_unmatched, rep->unknown);
	for (int i = 0; i < rep->nerrors; i++)
		fmt_printf(&r->out, "%s{\"line\":%d,\"field\":%j,\"message\":%j}", i ? "," : "",
			   rep->errors[i].line, rep->errors[i].field, rep->errors[i].message);
	fmt_printf(&r->out, "]}");
}

/* POST /api/v1/history?filename=NAME[&strict=1], the CSV as the body:
 * 201 loaded, 422 refused (the error envelope naming the field and line,
 * and the report), 409 loaded before. */
int history_create_api(struct req *r)
{
	struct history_report *rep = arena_alloc(&r->arena, sizeof *rep);
	const char *name = page_nonempty(req_query(r, "filename"));
	if (!name)
		name = "upload (API)";
	int rc = run_upload(r, name, flag_on(req_query(r, "strict")), rep);
	if (rc == HE_OK) {
		req_json(r, 201);
		buf_putc(&r->out, '{');
		report_json(r, rep, name);
		buf_puts(&r->out, "}\n");
		return HE_OK;
	}
	if ((rc != HE_INVALID && rc != HE_CONFLICT) || !rep->import_id)
		return rc;
	const struct errinfo *e = &rep->errors[0];
	req_json(r, err_http_status(rc));
	fmt_printf(&r->out, "{\"error\":{\"code\":%j,\"message\":%j,\"field\":%j", err_name(rc),
		   rep->message, rep->nerrors ? e->field : "file");
	if (rep->nerrors && e->line)
		fmt_printf(&r->out, ",\"line\":%d", e->line);
	buf_puts(&r->out, "},");
	report_json(r, rep, name);
	buf_puts(&r->out, "}\n");
	return HE_OK;
}

/* GET /api/v1/history: the loads, newest first, and what history holds. */
int history_list_api(struct req *r)
{
	req_json(r, 200);
	fmt_printf(&r->out, "{\"history_imports\":[");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT h.id, h.imported_at, h.filename, h.status, h.rows_total, h.rows_applied,"
		" h.rows_rejected, h.sha256, u.email FROM history_imports h"
		" LEFT JOIN users u ON u.id = h.user_id ORDER BY h.id DESC LIMIT 200");
	for (int n = 0; db_next(st); n++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"imported_at\":%j,\"filename\":%j,\"status\":%j,"
			"\"rows_total\":%lld,\"rows_applied\":%lld,\"rows_rejected\":%lld,\"sha256\":%j,"
			"\"by\":%j}", n ? "," : "", (long long)db_int(st, 0), db_text(st, 1),
			db_text(st, 2), db_text(st, 3), (long long)db_int(st, 4), (long long)db_int(st, 5),
			(long long)db_int(st, 6), db_text(st, 7), db_text(st, 8));
	int rc = db_finalize(st);
	st = db_prepare(r->db, "SELECT (SELECT count(*) FROM history_cases),"
			" (SELECT count(*) FROM history_events)");
	if (db_next(st))
		fmt_printf(&r->out, "],\"cases\":%lld,\"events\":%lld}\n", (long long)db_int(st, 0),
			   (long long)db_int(st, 1));
	int rc2 = db_finalize(st);
	return rc ? rc : rc2;
}

/* ---- one load's report ------------------------------------------------------------ */

struct load_view {
	int64_t id;
	const char *filename, *sha, *when, *status, *user;
	int64_t total, applied, rejected, cases, events;
};

static int load_view(struct req *r, struct load_view *v)
{
	const char *t = req_param(r, 0);
	char *end;
	long long id = t ? strtoll(t, &end, 10) : 0;
	memset(v, 0, sizeof *v);
	if (id <= 0 || *end)
		return req_fail(r, HE_NOT_FOUND, "", "There is no history load with that number.");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT h.id, h.filename, h.sha256, h.imported_at, h.status, u.name, h.rows_total,"
		" h.rows_applied, h.rows_rejected, (SELECT count(*) FROM history_cases c"
		" WHERE c.import_id = h.id) FROM history_imports h LEFT JOIN users u ON u.id = h.user_id"
		" WHERE h.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		v->id = db_int(st, 0);
		const char **s[] = {&v->filename, &v->sha, &v->when, &v->status, &v->user};
		for (int i = 0; i < 5; i++)
			*s[i] = arena_strdup(&r->arena, db_text(st, i + 1));
		v->total = db_int(st, 6);
		v->applied = db_int(st, 7);
		v->rejected = db_int(st, 8);
		v->cases = db_int(st, 9);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!v->id)
		return req_fail(r, HE_NOT_FOUND, "", "There is no history load with that number.");
	return req_audit(r, "view", "history_imports", arena_printf(&r->arena, "%lld", id),
			 "history load report");
}

static void load_summary(struct req *r, const struct load_view *v)
{
	const char *rows[][2] = {
		{"File", v->filename},
		{"SHA-256", v->sha},
		{"When (UTC)", page_when(r, v->when)},
		{"By", v->user ? v->user : "Command line"},
		{"Rows read", arena_printf(&r->arena, "%lld", (long long)v->total)},
		{"Cases loaded", arena_printf(&r->arena, "%lld", (long long)v->cases)},
		{"Events loaded", arena_printf(&r->arena, "%lld", (long long)v->applied)},
		{"Rows not loaded", arena_printf(&r->arena, "%lld", (long long)v->rejected)},
	};
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"report\">");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", rows[i][0],
			page_or_dash(rows[i][1]));
	fmt_printf(&r->out, "</dl>");
}

static void pagination(struct req *r, int64_t id, int page, bool more)
{
	if (page == 1 && !more)
		return;
	fmt_printf(&r->out, "<nav class=\"govuk-pagination\" aria-label=\"Pages of row errors\">");
	if (page > 1)
		fmt_printf(&r->out, "<div class=\"govuk-pagination__prev\"><a class=\"govuk-link"
			" govuk-pagination__link\" href=\"/history/%lld?page=%d\" rel=\"prev\"><span"
			" class=\"govuk-pagination__link-title\">Previous errors</span></a></div>",
			(long long)id, page - 1);
	if (more)
		fmt_printf(&r->out, "<div class=\"govuk-pagination__next\"><a class=\"govuk-link"
			" govuk-pagination__link\" href=\"/history/%lld?page=%d\" rel=\"next\"><span"
			" class=\"govuk-pagination__link-title\">More errors</span></a></div>",
			(long long)id, page + 1);
	fmt_printf(&r->out, "</nav>");
}

static int load_errors(struct req *r, int64_t id, int page)
{
	struct db_stmt *st = db_prepare(r->db,
		"SELECT line, field, message FROM history_import_errors WHERE import_id = :id"
		" ORDER BY line, id LIMIT 101 OFFSET :off");
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":off", (int64_t)(page - 1) * ERRORS_PAGE);
	int n = 0;
	while (db_next(st) && n < ERRORS_PAGE + 1) {
		if (++n > ERRORS_PAGE)
			break;
		if (n == 1) {
			fmt_printf(&r->out, "<table class=\"govuk-table hearth-table--small\" id=\"row-errors\">"
				"<caption class=\"govuk-table__caption govuk-table__caption--m\">Problems found"
				"</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
			page_th_n(r, "Line", true);
			page_th(r, "Column");
			page_th(r, "Problem");
			fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
		}
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td_n(r, db_int(st, 0) ? arena_printf(&r->arena, "%lld", (long long)db_int(st, 0))
			  : "File", true);
		page_td(r, db_text(st, 1));
		page_td(r, db_text(st, 2));
		fmt_printf(&r->out, "</tr>");
	}
	int rc = db_finalize(st);
	if (n)
		fmt_printf(&r->out, "</tbody></table>");
	pagination(r, id, page, n > ERRORS_PAGE);
	return rc;
}

int history_load_page(struct req *r)
{
	struct load_view v;
	int rc = load_view(r, &v);
	if (rc)
		return rc;
	const char *p = req_query(r, "page");
	int page = p ? atoi(p) : 1;
	if (page < 1 || page > 1000000)
		page = 1;
	page_begin(r, 200, arena_printf(&r->arena, "History load %lld", (long long)v.id));
	fmt_printf(&r->out, "<a href=\"/history\" class=\"govuk-back-link\">History from before Hearth</a>"
		"<h1 class=\"govuk-heading-l\">History load %lld <strong class=\"govuk-tag %s\">%h</strong>"
		"</h1>", (long long)v.id, status_tag(v.status), status_text(v.status));
	load_summary(r, &v);
	rc = load_errors(r, v.id, page);
	page_end(r);
	return rc;
}
