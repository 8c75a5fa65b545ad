/* import_web.c — imports from the browser and the API: the history, the
 * upload form, the upload itself and each import's report.
 *
 * Scope: a caller with CAP_IMPORT_ANY (the admin) imports for any school
 * and sees every import; one with CAP_IMPORT_OWN (a school user) imports
 * for their own school only — import_run enforces it row by row with
 * own_school_only — and sees only their school's imports (others: 404).
 *
 * The import runs inside the request, synchronously: a 60,000-row census
 * takes a few seconds.  import_run writes the import's audit row itself;
 * the report page is an audited read (its row errors name pupils). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/fmt.h"
#include "core/import.h"
#include "core/pupil.h"
#include "core/school.h"
#include "store/db.h"
#include "web/http.h"
#include "web/import_job.h"
#include "web/page.h"
#include "web/route.h"

#define HISTORY_PAGE 50
#define ERRORS_PAGE 100
#define UPLOAD_HINT "CSV exported from your MIS, or a Common Transfer File (XML)"

/* The school the caller's imports are limited to: 0 for any, the user's
 * school id, or -1 for none. */
static int64_t import_scope(struct req *r)
{
	if (caps_has(r->caps, CAP_IMPORT_ANY))
		return 0;
	if (caps_has(r->caps, CAP_IMPORT_OWN) && r->sess.user.school_id > 0)
		return r->sess.user.school_id;
	return -1;
}

static void bind_scope(struct db_stmt *st, int64_t scope)
{
	if (scope > 0)
		db_bind_int(st, ":school", scope);
	else
		db_bind_null(st, ":school");
}

static const char *status_class(const char *status)
{
	if (!status)
		return "govuk-tag--grey";
	return !strcmp(status, "applied") ? "govuk-tag--green" : !strcmp(status, "refused")
		? "govuk-tag--orange" : !strcmp(status, "failed") ? "govuk-tag--red" : "govuk-tag--grey";
}

/* "2026-11-23T05:41:35Z" → "2026-11-23 05:41". */
static const char *when(struct req *r, const char *ts)
{
	if (!ts || strlen(ts) < 16)
		return ts ? ts : "—";
	return arena_printf(&r->arena, "%.10s %.5s", ts, ts + 11);
}

/* ---- the history ------------------------------------------------------------ */

#define HISTORY_SQL \
	"SELECT i.id, i.started_at, i.filename, i.kind, i.status, i.strict, i.rows_total," \
	" i.rows_applied, i.rows_unchanged, i.rows_bad, u.name, sc.name FROM imports i" \
	" LEFT JOIN users u ON u.id = i.user_id LEFT JOIN schools sc ON sc.id = i.school_id" \
	" WHERE (CAST(:school AS BIGINT) IS NULL OR i.school_id = CAST(:school AS BIGINT))" \
	" AND (CAST(:before AS BIGINT) IS NULL OR i.id < CAST(:before AS BIGINT))" \
	" ORDER BY i.id DESC LIMIT 50"

static void history_row(struct req *r, struct db_stmt *st)
{
	const char *td = "<td class=\"govuk-table__cell\">";
	const char *tdn = "<td class=\"govuk-table__cell govuk-table__cell--numeric\">";
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s<a class=\"govuk-link\" href=\"/imports/%lld\">"
		"%lld</a></td>%s%h</td>%s%h <span class=\"govuk-body-s\">(%h%s)</span></td>%s%h</td>"
		"%s<strong class=\"govuk-tag %s\">%h</strong></td>%s%lld</td>%s%lld</td>%s%lld</td>"
		"%s%lld</td>%s%h</td></tr>",
		td, (long long)db_int(st, 0), (long long)db_int(st, 0), td, when(r, db_text(st, 1)),
		td, db_text(st, 2), db_text(st, 3), db_int(st, 5) ? ", strict" : "",
		td, db_text(st, 11) ? db_text(st, 11) : "From the file", td,
		status_class(db_text(st, 4)), db_text(st, 4), tdn, (long long)db_int(st, 6),
		tdn, (long long)db_int(st, 7), tdn, (long long)db_int(st, 8), tdn,
		(long long)db_int(st, 9), td, db_text(st, 10) ? db_text(st, 10) : "Command line");
}

int imports_page(struct req *r)
{
	int64_t scope = import_scope(r);
	if (scope < 0)
		return HE_FORBIDDEN;
	const char *b = page_nonempty(req_query(r, "before"));
	int64_t before = b ? strtoll(b, NULL, 10) : 0;
	page_begin(r, 200, "Imports");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Imports</h1><p class=\"govuk-body\">"
		"Census extracts imported into Hearth, newest first%s.</p><p class=\"govuk-body\">"
		"<a class=\"govuk-button\" href=\"/imports/new\">Import a census extract</a></p>"
		"<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"Imports\" tabindex=\"0\">"
		"<table class=\"govuk-table hearth-table--small\" id=\"imports\"><caption"
		" class=\"govuk-table__caption govuk-visually-hidden\">Imports</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">",
		scope ? " for your school" : "");
	static const char *const heads[] = {"#", "When (UTC)", "File", "School", "Status", "Rows",
					    "Applied", "Unchanged", "Errors", "By"};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header%s\">%h</th>",
			   i >= 5 && i <= 8 ? " govuk-table__header--numeric" : "", heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	struct db_stmt *st = db_prepare(r->db, HISTORY_SQL);
	bind_scope(st, scope);
	if (before > 0)
		db_bind_int(st, ":before", before);
	else
		db_bind_null(st, ":before");
	int n = 0;
	int64_t last = 0;
	while (db_next(st)) {
		history_row(r, st);
		last = db_int(st, 0);
		n++;
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	fmt_printf(&r->out, "</tbody></table></div>");
	if (n == 0)
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing has been imported yet.</p>");
	if (n == HISTORY_PAGE)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/imports?before=%lld\">"
			   "Older imports</a></p>", (long long)last);
	page_end(r);
	return HE_OK;
}

/* ---- the upload form ---------------------------------------------------------- */

static void school_choice(struct req *r, const struct errinfo *e)
{
	struct school *s;
	size_t n;
	if (school_list(r->db, &r->arena, &s, &n) != HE_OK)
		return;
	const char *cur = req_form(r, "school");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"school\">"
		"School</label><div class=\"govuk-hint\" id=\"school-hint\">Rows without a School URN"
		" column belong to this school.</div>", page_group_class(e, "school"));
	page_field_error(r, e, "school");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"school\" name=\"school\""
		" aria-describedby=\"school-hint\"><option value=\"\">The file says (School URN column)"
		"</option>");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h (%h)</option>", s[i].urn,
			   cur && !strcmp(cur, s[i].urn) ? " selected" : "", s[i].name, s[i].urn);
	fmt_printf(&r->out, "</select></div>");
}

static void columns_doc(struct req *r)
{
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"columns\"><summary class=\"govuk-details__summary\">"
		"<span class=\"govuk-details__summary-text\">Columns Hearth recognises</span></summary>"
		"<div class=\"govuk-details__text\"><p class=\"govuk-body\">A header row names the"
		" columns, in any order and any case. Other columns are ignored.</p>"
		"<table class=\"govuk-table hearth-table--small\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Recognised columns</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">Column</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Also accepted</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">What it holds</th></tr></thead>"
		"<tbody class=\"govuk-table__body\">");
	for (int f = 0; f < PF_COUNT; f++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h%s</td>"
			"<td class=\"govuk-table__cell\">", pupil_fields[f].name,
			pupil_fields[f].required ? " (required)" : "");
		for (int a = 0; a < 6 && pupil_fields[f].aliases[a]; a++)
			fmt_printf(&r->out, "%s%h", a ? ", " : "", pupil_fields[f].aliases[a]);
		fmt_printf(&r->out, "</td><td class=\"govuk-table__cell\">%h</td></tr>", pupil_fields[f].help);
	}
	fmt_printf(&r->out, "</tbody></table></div></details>");
}

static void upload_form(struct req *r, int status, const struct errinfo *e)
{
	bool bad = e && e->code;
	page_begin(r, status, bad ? "Error: Import a census extract" : "Import a census extract");
	fmt_printf(&r->out, "<a href=\"/imports\" class=\"govuk-back-link\">Imports</a>"
		"<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Import a census extract</h1>"
		"<p class=\"govuk-body\">Pupils are matched by UPN. Importing the same file again changes"
		" nothing; a later extract adds to each pupil's score history. The import runs while you"
		" wait (a large school's file takes a few seconds) and then shows its report.</p>"
		"<form method=\"post\" action=\"/imports\" enctype=\"multipart/form-data\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"file\">"
		"File</label><div class=\"govuk-hint\" id=\"file-hint\">" UPLOAD_HINT "</div>",
		page_group_class(e, "file"));
	page_field_error(r, e, "file");
	fmt_printf(&r->out, "<input class=\"govuk-file-upload\" id=\"file\" name=\"file\" type=\"file\""
		" accept=\".csv,.xml,.ctf,text/csv,application/xml\" aria-describedby=\"file-hint\"></div>");
	if (caps_has(r->caps, CAP_IMPORT_ANY))
		school_choice(r, e);
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\">For %h: rows of other schools are refused.</p>",
			   r->sess.user.school_name ? r->sess.user.school_name : "your school");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"date\">"
		"Extract date (optional)</label><div class=\"govuk-hint\" id=\"date-hint\">For rows"
		" without an Extract date column, for example 2026-10-01. Leave empty for today.</div>",
		page_group_class(e, "date"));
	page_field_error(r, e, "date");
	const char *date = req_form(r, "date");
	fmt_printf(&r->out, "<input class=\"govuk-input govuk-input--width-10\" id=\"date\" name=\"date\""
		" type=\"text\" value=\"%h\" aria-describedby=\"date-hint\" autocomplete=\"off\"></div>"
		"<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes\" data-module=\"govuk-checkboxes\">"
		"<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\" id=\"strict\""
		" name=\"strict\" type=\"checkbox\" value=\"1\"%s><label class=\"govuk-label"
		" govuk-checkboxes__label\" for=\"strict\">Strict: if any row is wrong, import nothing</label>"
		"</div></div></div><button type=\"submit\" class=\"govuk-button\">Import</button></form>",
		date ? date : "", req_form(r, "strict") ? " checked" : "");
	columns_doc(r);
	fmt_printf(&r->out, "</div></div>");
	page_end(r);
}

int import_new_page(struct req *r)
{
	if (import_scope(r) < 0)
		return HE_FORBIDDEN;
	upload_form(r, 200, NULL);
	return HE_OK;
}

/* ---- running an import ------------------------------------------------------------ */

/* Options from the request (school, date, strict: form fields for the
 * page, query parameters for the API), checked against the caller's
 * scope.  Errors name the field. */
static int read_opts(struct req *r, bool api, struct import_opts *o)
{
	const char *(*get)(struct req *, const char *) = api ? req_query : req_form;
	const char *school = page_nonempty(get(r, "school"));
	const char *date = page_nonempty(get(r, "date"));
	const char *strict = get(r, "strict");
	memset(o, 0, sizeof *o);
	o->kind = IMPORT_AUTO;
	o->strict = strict && (!strcmp(strict, "1") || !strcmp(strict, "on") || !strcmp(strict, "true")
			       || !strcmp(strict, "yes"));
	int64_t scope = import_scope(r);
	if (scope < 0)
		return HE_FORBIDDEN;
	if (scope > 0) {
		if (school && strcmp(school, r->sess.user.school_urn) != 0) {
			req_audit(r, "denied", "imports", NULL, arena_printf(&r->arena,
				  "import for school %.6s: not the caller's school", school));
			return req_fail(r, HE_FORBIDDEN, "school", arena_printf(&r->arena,
				"school: you can import for your own school only (URN %s)",
				r->sess.user.school_urn));
		}
		o->school_urn = r->sess.user.school_urn;
		o->own_school_only = true;
	} else {
		o->school_urn = school;
	}
	if (school && !urn_valid(school))
		return req_fail(r, HE_INVALID, "school", "school: a URN is 6 digits");
	if (date && !date_parse(date, &o->extract_date))
		return req_fail(r, HE_INVALID, "date",
				"date: enter the extract date as YYYY-MM-DD, for example 2026-10-01");
	return HE_OK;
}

/* Run the import on the uploaded file (removed afterwards). */
static int run_upload(struct req *r, struct import_opts *o, const char *name,
		      struct import_report *rep)
{
	char *path = req_take_upload(r);
	if (!path)
		return req_fail(r, HE_MISSING, "file", "file: select a CSV or CTF file to import");
	o->path = path;
	o->filename = name;
	int rc = import_run(r->db, &r->who, o, rep);
	unlink(path);
	free(path);
	return rc;
}

/* The upload form starts the import in the background (import_job.c) and
 * sends the browser to its progress page. */
int import_create_page(struct req *r)
{
	struct import_opts o;
	char token[IMPORT_JOB_TOKEN];
	int rc = read_opts(r, false, &o);
	if (rc == HE_OK && !page_nonempty(r->upload_name))
		rc = req_fail(r, HE_MISSING, "file", "file: select a CSV or CTF file to import");
	/* The request's audit row is written before the import starts: once
	 * its thread holds the import's transaction, a SQLite write here would
	 * wait for the whole import to commit, and the browser with it.  The
	 * import writes its own audit row when it finishes. */
	if (rc == HE_OK)
		rc = req_audit(r, "create", "imports", NULL,
			       arena_printf(&r->arena, "import of %.100s requested", r->upload_name));
	if (rc == HE_OK)
		rc = import_job_start(r, &o, r->upload_name, token);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/imports/progress/%s", token));
	if (rc == HE_INVALID || rc == HE_MISSING || (rc == HE_FORBIDDEN && *r->err.field)) {
		upload_form(r, err_http_status(rc), &r->err);
		return HE_OK;
	}
	return rc;
}

/* Progress of a background import, until the report is ready, then the
 * report.  With script the page reloads itself every 2 s (app.js); the
 * "Check progress" link does the same by hand. */
int import_progress_page(struct req *r)
{
	struct import_job_view v;
	int rc = import_job_get(r->db, req_param(r, 0), r->sess.user.id, 500, &v);
	if (rc == HE_NOT_FOUND)
		return req_fail(r, HE_NOT_FOUND, "", "There is no import with that address."
				" The result of an import will be in the list of imports.");
	if (rc)
		return rc;
	if (v.done && !v.stopped && v.import_id > 0)
		return req_redirect(r, arena_printf(&r->arena, "/imports/%" PRId64, v.import_id));
	page_begin(r, 200, v.stopped ? "Import stopped" : v.done ? "Import not started"
		   : "Importing");
	if (!v.done) {
		int pct = v.bytes_total ? (int)(v.bytes_done * 100 / v.bytes_total) : 0;
		fmt_printf(&r->out, "<div data-hearth-refresh=\"2\">"
			"<h1 class=\"govuk-heading-l\">Importing</h1>"
			"<p class=\"govuk-body\">Hearth is checking and saving every row. The report"
			" opens when the import has finished.</p>"
			"<label class=\"govuk-label\" for=\"progress\">%d%% of the file read</label>"
			"<progress id=\"progress\" class=\"hearth-progress\" max=\"100\" value=\"%d\">"
			"%d%%</progress><p class=\"govuk-body\"><a class=\"govuk-link\" id=\"check\""
			" href=\"%h\">Check progress</a></p></div>", pct, pct, pct, r->path);
	} else if (v.stopped) {
		fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">The import stopped</h1>"
			"<p class=\"govuk-body\" id=\"stopped\">%h</p><p class=\"govuk-body\">"
			"<a class=\"govuk-link\" href=\"/imports/new\">Import the file again</a></p>",
			v.message);
	} else {
		fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">The import did not start</h1>"
			"<p class=\"govuk-body\">%h</p><p class=\"govuk-body\"><a class=\"govuk-link\""
			" href=\"/imports/new\">Try again</a></p>", v.message);
	}
	page_end(r);
	return HE_OK;
}

static void report_json(struct req *r, const struct import_report *rep, const char *name)
{
	fmt_printf(&r->out, "\"import\":{\"id\":%lld,\"url\":%j,\"filename\":%j,\"status\":%j,"
		"\"message\":%j,\"rows_total\":%lld,\"rows_applied\":%lld,\"rows_unchanged\":%lld,"
		"\"rows_bad\":%lld,\"errors\":[", (long long)rep->import_id,
		rep->import_id ? arena_printf(&r->arena, "/imports/%" PRId64, rep->import_id) : NULL,
		name, rep->status, rep->message, (long long)rep->rows_total,
		(long long)rep->rows_applied, (long long)rep->rows_unchanged, (long long)rep->rows_bad);
	for (int i = 0; i < rep->nerrors; i++)
		fmt_printf(&r->out, "%s{\"line\":%d,\"field\":%j,\"message\":%j}", i ? "," : "",
			   rep->errors[i].line, rep->errors[i].field, rep->errors[i].message);
	fmt_printf(&r->out, "],\"unknown_columns\":[");
	const char *p = rep->unknown;
	for (int i = 0; rep->unknown_columns && *p; i++) {
		size_t n = strcspn(p, ",");
		fmt_printf(&r->out, "%s%j", i ? "," : "", arena_strndup(&r->arena, p, n));
		p += n + (p[n] == ',');
		while (*p == ' ')
			p++;
	}
	fmt_printf(&r->out, "]}");
}

int import_api(struct req *r)
{
	struct import_opts o;
	struct import_report *rep = arena_alloc(&r->arena, sizeof *rep);
	const char *name = page_nonempty(req_query(r, "filename"));
	if (!name)
		name = "upload (API)";
	int rc = read_opts(r, true, &o);
	if (rc == HE_OK)
		rc = run_upload(r, &o, name, rep);
	if (rc == HE_OK && !strcmp(rep->status, "applied")) {
		req_json(r, 201);
		buf_putc(&r->out, '{');
		report_json(r, rep, name);
		buf_puts(&r->out, "}\n");
		return HE_OK;
	}
	if ((rc != HE_OK && rc != HE_INVALID) || (rc == HE_INVALID && !rep->nerrors))
		return rc;
	/* Refused as a whole (a file Hearth cannot read, or strict and a bad
	 * row): the error envelope naming the field and line, and the report. */
	const struct errinfo *e = rep->nerrors ? &rep->errors[0] : &r->err;
	req_json(r, 422);
	fmt_printf(&r->out, "{\"error\":{\"code\":%j,\"message\":%j", err_name(HE_INVALID),
		   *rep->message ? rep->message : e->message);
	if (*e->field)
		fmt_printf(&r->out, ",\"field\":%j", e->field);
	if (e->line)
		fmt_printf(&r->out, ",\"line\":%d", e->line);
	buf_puts(&r->out, "},");
	report_json(r, rep, name);
	buf_puts(&r->out, "}\n");
	return HE_OK;
}

/* ---- one import's report ------------------------------------------------------------ */

struct import_view {
	int64_t id;
	const char *filename, *kind, *status, *started, *finished, *message, *user, *school;
	bool strict;
	int64_t total, applied, unchanged, bad;
};

/* Load import id if the caller may see it (else HE_NOT_FOUND), audited. */
static int import_load_for(struct req *r, const char *id_text, struct import_view *v)
{
	char *end;
	long long id = id_text ? strtoll(id_text, &end, 10) : 0;
	int64_t scope = import_scope(r);
	memset(v, 0, sizeof *v);
	if (id > 0 && !*end && scope >= 0) {
		struct db_stmt *st = db_prepare(r->db,
			"SELECT i.id, i.filename, i.kind, i.status, i.started_at, i.finished_at, i.message,"
			" u.name, sc.name, i.strict, i.rows_total, i.rows_applied, i.rows_unchanged, i.rows_bad"
			" FROM imports i LEFT JOIN users u ON u.id = i.user_id"
			" LEFT JOIN schools sc ON sc.id = i.school_id WHERE i.id = :id"
			" AND (CAST(:school AS BIGINT) IS NULL OR i.school_id = CAST(:school AS BIGINT))");
		db_bind_int(st, ":id", id);
		bind_scope(st, scope);
		if (db_next(st)) {
			const char **s[] = {&v->filename, &v->kind, &v->status, &v->started, &v->finished,
					    &v->message, &v->user, &v->school};
			v->id = db_int(st, 0);
			for (int i = 0; i < 8; i++)
				*s[i] = arena_strdup(&r->arena, db_text(st, i + 1));
			v->strict = db_int(st, 9) != 0;
			v->total = db_int(st, 10);
			v->applied = db_int(st, 11);
			v->unchanged = db_int(st, 12);
			v->bad = db_int(st, 13);
		}
		int rc = db_finalize(st);
		if (rc)
			return rc;
	}
	if (!v->id)
		return req_fail(r, HE_NOT_FOUND, "", "There is no import with that number among yours.");
	return req_audit(r, "view", "imports", arena_printf(&r->arena, "%lld", id),
			 "import report");
}

static void report_summary(struct req *r, const struct import_view *v)
{
	const char *rows[][2] = {
		{"File", arena_printf(&r->arena, "%s (%s)", v->filename, v->kind)},
		{"School", v->school ? v->school : "From the file (School URN column)"},
		{"Mode", v->strict ? "Strict: nothing is applied if any row is wrong" : "Good rows applied"},
		{"Started (UTC)", when(r, v->started)},
		{"Finished (UTC)", when(r, v->finished)},
		{"By", v->user ? v->user : "Command line"},
		{"Rows read", arena_printf(&r->arena, "%lld", (long long)v->total)},
		{"Applied (new or changed)", arena_printf(&r->arena, "%lld", (long long)v->applied)},
		{"Unchanged", arena_printf(&r->arena, "%lld", (long long)v->unchanged)},
		{"Rows with errors", arena_printf(&r->arena, "%lld", (long long)v->bad)},
	};
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"report\">");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", rows[i][0], rows[i][1]);
	fmt_printf(&r->out, "</dl>");
}

static int report_errors(struct req *r, const struct import_view *v, int page)
{
	fmt_printf(&r->out, "<table class=\"govuk-table hearth-table--small\" id=\"row-errors\">"
		"<caption class=\"govuk-table__caption govuk-table__caption--m\">Rows that could not be used"
		"</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
		"<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Line</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Field</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Problem</th></tr></thead>"
		"<tbody class=\"govuk-table__body\">");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT line, field, message FROM import_errors WHERE import_id = :id"
		" ORDER BY line, id LIMIT 101 OFFSET :off");
	db_bind_int(st, ":id", v->id);
	db_bind_int(st, ":off", (int64_t)(page - 1) * ERRORS_PAGE);
	int n = 0;
	while (db_next(st) && n++ < ERRORS_PAGE)
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell"
			" govuk-table__cell--numeric\">%lld</td><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h</td></tr>", (long long)db_int(st, 0),
			db_text(st, 1), db_text(st, 2));
	int rc = db_finalize(st);
	fmt_printf(&r->out, "</tbody></table>");
	if (page > 1 || n > ERRORS_PAGE) {
		fmt_printf(&r->out, "<nav class=\"govuk-pagination\" aria-label=\"Pages of row errors\">");
		if (page > 1)
			fmt_printf(&r->out, "<div class=\"govuk-pagination__prev\"><a class=\"govuk-link"
				" govuk-pagination__link\" href=\"/imports/%lld?page=%d\" rel=\"prev\"><span"
				" class=\"govuk-pagination__link-title\">Previous errors</span></a></div>",
				(long long)v->id, page - 1);
		if (n > ERRORS_PAGE)
			fmt_printf(&r->out, "<div class=\"govuk-pagination__next\"><a class=\"govuk-link"
				" govuk-pagination__link\" href=\"/imports/%lld?page=%d\" rel=\"next\"><span"
				" class=\"govuk-pagination__link-title\">More errors</span></a></div>",
				(long long)v->id, page + 1);
		fmt_printf(&r->out, "</nav>");
	}
	return rc;
}

int import_page(struct req *r)
{
	struct import_view v;
	int rc = import_load_for(r, req_param(r, 0), &v);
	if (rc)
		return rc;
	const char *p = req_query(r, "page");
	int page = p ? atoi(p) : 1;
	if (page < 1 || page > 1000000)
		page = 1;
	page_begin(r, 200, arena_printf(&r->arena, "Import %lld", (long long)v.id));
	fmt_printf(&r->out, "<a href=\"/imports\" class=\"govuk-back-link\">Imports</a>"
		"<h1 class=\"govuk-heading-l\">Import %lld <strong class=\"govuk-tag %s\">%h</strong></h1>"
		"<p class=\"govuk-body-l\" id=\"message\">%h</p>", (long long)v.id,
		status_class(v.status), v.status, v.message ? v.message : "");
	if (v.status && !strcmp(v.status, "applied") && v.applied)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/pupils\">"
			   "See the pupils at risk</a></p>");
	report_summary(r, &v);
	if (v.bad || page > 1)
		rc = report_errors(r, &v, page);
	page_end(r);
	return rc;
}
