/* report_out.c — printing the impact reports' tables (web/report_out.h):
 * the GOV.UK table with its SVG chart, JSON, CSV and XLSX, the filter form
 * and the report page frame.  One printer for every report, so a figure
 * reads the same (and is suppressed the same way) on the page, in the
 * JSON, in both exports and in the printable Schools Forum report.
 *
 * Suppression (core/report.h): when f->suppress, a RC_COUNT from 1 to 4
 * and every RC_SMALL_BASE cell print "fewer than 5" — in the chart too,
 * where such a value draws no bar, so no output carries the true figure. */
#include "web/report_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "base/csvout.h"
#include "base/fmt.h"
#include "base/money.h"
#include "core/school.h"
#include "store/db.h"
#include "web/chart.h"
#include "web/http.h"
#include "web/page.h"

#define FEWER "fewer than 5"

static const char *const kind_names[] = {"count", "pence", "permille", "days", "tenths"};

/* ---- formats and the filter -------------------------------------------------- */

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && !strcmp(s + n - m, tail);
}

enum report_format report_format(struct req *r)
{
	const char *p = r->path ? r->path : "", *q = req_query(r, "format");
	if (!strncmp(p, "/api/v1/", 8))
		return REPORT_JSON;
	if (ends_with(p, ".xlsx") || (q && !strcmp(q, "xlsx")))
		return REPORT_XLSX;
	if (ends_with(p, ".csv") || (q && !strcmp(q, "csv")))
		return REPORT_CSV;
	if (q && !strcmp(q, "json"))
		return REPORT_JSON;
	return REPORT_HTML;
}

int report_page_filter(struct req *r, struct report_filter *f)
{
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	struct report_inputs in = {
		req_query(r, "period"), req_query(r, "year"), req_query(r, "from"),
		req_query(r, "to"), req_query(r, "district"), req_query(r, "school"),
		req_query(r, "phase"),
	};
	int rc = report_filter_from(r->db, s, &in, f, &r->err);
	if (rc && !r->err.code)
		r->err.code = rc;
	return rc;
}

/* The name of a district or school by id ("" when 0 or gone). */
static const char *place_name(struct req *r, const char *sql, int64_t id)
{
	const char *name = "";
	if (!id)
		return name;
	struct db_stmt *st = db_prepare(r->db, sql);
	db_bind_int(st, ":id", id);
	if (db_next(st))
		name = arena_strdup(&r->arena, db_text(st, 0));
	db_finalize(st);
	return name;
}

const char *report_filter_text(struct req *r, const struct report_filter *f)
{
	const char *d = place_name(r, "SELECT name FROM districts WHERE id = :id", f->district_id);
	const char *s = place_name(r, "SELECT name FROM schools WHERE id = :id", f->school_id);
	return arena_printf(&r->arena, "%s; %s; %s; %s", f->period_label,
			    *d ? d : "all districts",
			    *f->phase ? school_phase_title(f->phase) : "all school phases",
			    *s ? s : "all schools");
}

const char *report_query(struct req *r)
{
	static const char *const names[] = {"period", "year", "from", "to", "district", "school", "phase"};
	struct buf b;
	buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = req_query(r, names[i]);
		if (v && *v)
			fmt_printf(&b, "%s%s=%u", b.len ? "&" : "", names[i], v);
	}
	const char *q = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return q;
}

/* ---- cells ------------------------------------------------------------------------ */

/* "1,234,567" (negatives with a leading "-"). */
static void thousands(int64_t v, char out[32])
{
	char d[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int n = snprintf(d, sizeof d, "%" PRIu64, u), k = 0;
	if (v < 0)
		out[k++] = '-';
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = d[i];
	}
	out[k] = 0;
}

/* v / 10 to one decimal: 157 → "15.7", -5 → "-0.5". */
static void tenths(int64_t v, char out[32])
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	snprintf(out, 32, "%s%" PRIu64 ".%" PRIu64, v < 0 ? "-" : "", u / 10, u % 10);
}

/* Whether a cell's value must not be printed: RC_SMALL_BASE always (it
 * has none), and a count of 1–4 when suppressing. */
static bool hidden_cell(enum rcell kind, int64_t v, const struct report_filter *f)
{
	if (v == RC_NONE)
		return false;
	if (v == RC_SMALL_BASE)
		return true;
	return f && f->suppress && kind == RC_COUNT && v >= 1 && v < REPORT_SUPPRESS_BELOW;
}

/* The kind of row w's cell in column c: the column's when the table gives
 * its columns kinds (a row per worker), else the row's. */
static enum rcell cell_kind(const struct rtable *t, const struct rrow *w, size_t c)
{
	return t->col_kinds ? t->col_kinds[c] : w->kind;
}

const char *report_cell_text(struct req *r, enum rcell kind, int64_t v, const struct report_filter *f)
{
	char b[32];
	if (v == RC_NONE)
		return "–";
	if (v == RC_SMALL_BASE)
		return f && f->suppress ? FEWER : "–";
	if (hidden_cell(kind, v, f))
		return FEWER;
	switch (kind) {
	case RC_PENCE:
		money_format(v, b);
		break;
	case RC_PERMILLE:
		tenths(v, b);
		strcat(b, "%");
		break;
	case RC_TENTHS:
		tenths(v, b);
		break;
	default:
		thousands(v, b);
	}
	return arena_strdup(&r->arena, b);
}

/* A cell as a number for CSV ("1234.56", "15.7", "12"), or its text. */
static const char *cell_plain(struct req *r, enum rcell kind, int64_t v, const struct report_filter *f)
{
	char b[32];
	if (v == RC_NONE)
		return "";
	if (hidden_cell(kind, v, f))
		return f && f->suppress ? FEWER : "";
	if (kind == RC_PENCE)
		money_plain(v, b);
	else if (kind == RC_PERMILLE || kind == RC_TENTHS)
		tenths(v, b);
	else
		snprintf(b, sizeof b, "%" PRId64, v);
	return arena_strdup(&r->arena, b);
}

/* ---- the page frame ------------------------------------------------------------------ */

static void nav_link(struct req *r, const char *href, const char *text, const char *current)
{
	bool here = current && !strcmp(href, current);
	fmt_printf(&r->out, "<li class=\"govuk-!-margin-bottom-1\"><a class=\"govuk-link\" href=\"%h\"%s>%h</a></li>",
		   href, here ? " aria-current=\"page\"" : "", text);
}

/* Links to every report (every section of the registry needs CAP_IMPACT,
 * which every caller of a report page has). */
static void report_nav(struct req *r, const char *current)
{
	fmt_printf(&r->out, "<nav class=\"hearth-no-print\" aria-label=\"Reports\" id=\"report-nav\">"
		"<ul class=\"govuk-list govuk-!-font-size-16\">");
	nav_link(r, "/reports", "All reports", current);
	for (size_t i = 0; i < report_nsections; i++)
		if (report_sections[i].path)
			nav_link(r, report_sections[i].path, report_sections[i].title, current);
	nav_link(r, "/reports/forum", "Schools Forum report (printable)", current);
	fmt_printf(&r->out, "</ul></nav>");
}

static void option(struct req *r, const char *value, const char *text, const char *chosen)
{
	fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", value,
		   chosen && !strcmp(chosen, value) ? " selected" : "", text);
}

static void select_open(struct req *r, const char *id, const char *label)
{
	bool bad = page_has_err(&r->err, id);
	fmt_printf(&r->out, "<div class=\"govuk-form-group govuk-!-margin-right-3%s\"><label class=\"govuk-label\""
		" for=\"%h\">%h</label>", page_group_class(&r->err, id), id, label);
	page_field_error(r, &r->err, id);
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"%h\" name=\"%h\"%s>",
		   bad ? " govuk-select--error" : "", id, id,
		   bad ? arena_printf(&r->arena, " aria-describedby=\"%s-error\"", id) : "");
}

static void select_close(struct req *r)
{
	fmt_printf(&r->out, "</select></div>");
}

static void period_fields(struct req *r)
{
	const char *period = req_query(r, "period"), *year = req_query(r, "year");
	select_open(r, "period", "Period");
	option(r, "month", "The last 12 months", period && *period ? period : "month");
	option(r, "financial", "A financial year (April to March)", period);
	option(r, "academic", "An academic year (September to August)", period);
	option(r, "custom", "Your own dates (below)", period);
	select_close(r);
	int now = financial_year(date_today());
	char v[16], t[32];
	select_open(r, "year", "Year starting in");
	option(r, "", "This year", year ? year : "");
	for (int y = now + 1; y >= now - 12; y--) {
		snprintf(v, sizeof v, "%d", y);
		snprintf(t, sizeof t, "%d to %d", y, y + 1);
		option(r, v, t, year);
	}
	select_close(r);
	page_input(r, "from", "From (YYYY-MM-DD)", "text", req_query(r, "from"), "off", &r->err);
	page_input(r, "to", "To (YYYY-MM-DD)", "text", req_query(r, "to"), "off", &r->err);
}

static void place_select(struct req *r, const char *id, const char *label, const char *all,
			 const char *sql)
{
	const char *cur = req_query(r, id);
	select_open(r, id, label);
	option(r, "", all, cur ? cur : "");
	struct db_stmt *st = db_prepare(r->db, sql);
	while (db_next(st))
		option(r, db_text(st, 0), db_text(st, 1), cur);
	db_finalize(st);
	select_close(r);
}

static void phase_select(struct req *r)
{
	const char *cur = req_query(r, "phase");
	select_open(r, "phase", "School phase");
	option(r, "", "All phases", cur ? cur : "");
	for (size_t i = 0; school_phases[i]; i++)
		option(r, school_phases[i], school_phase_title(school_phases[i]), cur);
	select_close(r);
}

/* The filter form: GET to the report's own path, so it works without
 * JavaScript.  A school user (held to its school) gets no school chooser. */
void report_filter_form(struct req *r, const char *path)
{
	bool all_schools = caps_has(r->caps, CAP_REPORTS) || !caps_has(r->caps, CAP_REPORTS_OWN);
	fmt_printf(&r->out, "<form method=\"get\" action=\"%h\" class=\"hearth-filters\" id=\"report-filter\">"
		"<div class=\"govuk-grid-row\">", path);
	period_fields(r);
	place_select(r, "district", "District", "All districts",
		     "SELECT CAST(id AS TEXT), name FROM districts ORDER BY name, id");
	phase_select(r);
	if (all_schools)
		place_select(r, "school", "School", "All schools",
			     "SELECT CAST(id AS TEXT), name FROM schools ORDER BY name, id");
	fmt_printf(&r->out, "</div><button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" data-module=\"govuk-button\">Show the figures</button></form>");
}

static void export_links(struct req *r, const char *path)
{
	const char *q = report_query(r);
	const char *amp = *q ? "&" : "";
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\" id=\"report-exports\">Download: "
		"<a class=\"govuk-link\" id=\"export-csv\" href=\"%h?%hformat=csv\">CSV</a> · "
		"<a class=\"govuk-link\" id=\"export-xlsx\" href=\"%h?%hformat=xlsx\">Excel (XLSX)</a> · "
		"<a class=\"govuk-link\" id=\"export-json\" href=\"/api/v1%h%s%h\">JSON</a></p>",
		path, arena_printf(&r->arena, "%s%s", q, amp), path,
		arena_printf(&r->arena, "%s%s", q, amp), path, *q ? "?" : "", q);
}

void report_page_begin(struct req *r, const char *title, const struct report_filter *f,
		       const char *path)
{
	page_begin(r, 200, title);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Impact reports</span>"
		"<h1 class=\"govuk-heading-l\">%h</h1>", title);
	report_nav(r, path);
	report_filter_form(r, path);
	fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"report-period\">Figures for %h.</p>",
		   report_filter_text(r, f));
	if (f->suppress)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"report-suppressed\">Numbers from 1 to 4"
			" are shown as “fewer than 5”, and rates and averages worked out from fewer than 5 are"
			" not shown, so that no family can be identified.</div>");
	export_links(r, path);
}

int report_page_invalid(struct req *r, const char *title, const char *path, int rc)
{
	if (rc != HE_INVALID && rc != HE_MISSING)
		return rc;
	page_begin(r, 422, title);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Impact reports</span>"
		"<h1 class=\"govuk-heading-l\">%h</h1>", title);
	page_error_summary(r, &r->err);
	report_nav(r, path);
	report_filter_form(r, path);
	page_end(r);
	return HE_OK;
}

void report_page_end(struct req *r)
{
	page_end(r);
}

/* ---- HTML table and chart --------------------------------------------------------------- */

/* A value as the chart draws it (pounds, percent, tenths undone); -1: no bar. */
static double chart_value(const struct rrow *w, int64_t v, const struct report_filter *f)
{
	if (v == RC_NONE || hidden_cell(w->kind, v, f) || v < 0)
		return -1;
	switch (w->kind) {
	case RC_PENCE: return (double)v / 100.0;
	case RC_PERMILLE:
	case RC_TENTHS: return (double)v / 10.0;
	default: return (double)v;
	}
}

static void table_chart(struct req *r, const struct rtable *t, const struct report_filter *f)
{
	struct rrow *w = t->chart_row ? rtable_find((struct rtable *)t, t->chart_row) : NULL;
	size_t n = t->ncols - (t->has_total ? 1 : 0);
	if (!w || !n)
		return;
	double *vals = arena_alloc(&r->arena, n * sizeof *vals);
	for (size_t i = 0; i < n; i++)
		vals[i] = chart_value(w, w->v[i], f);
	struct chart_series series = {w->label, NULL};
	struct chart c = {
		.id = arena_printf(&r->arena, "chart-%s", t->id), .title = w->label,
		.desc = arena_printf(&r->arena, "%s for each column of the table “%s” below%s.",
				     w->label, t->title, f->suppress ? "; numbers from 1 to 4 are not drawn" : ""),
		.label_head = t->label_head, .labels = t->cols, .nlabels = n, .series = &series,
		.nseries = 1, .values = vals, .ticks = 4,
		.unit = w->kind == RC_PERMILLE ? "%" : "",
	};
	fmt_printf(&r->out, "<div class=\"hearth-chart\" id=\"chart-%h-box\">", t->id);
	chart_columns(&r->out, &c);
	fmt_printf(&r->out, "</div>");
}

static void table_head(struct req *r, const struct rtable *t)
{
	fmt_printf(&r->out, "<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
		"<th scope=\"col\" class=\"govuk-table__header\">%h</th>", t->label_head);
	if (t->detail_head)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header\">%h</th>",
			   t->detail_head);
	for (size_t c = 0; c < t->ncols; c++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">"
			"%h</th>", t->cols[c]);
	fmt_printf(&r->out, "</tr></thead>");
}

static void table_row(struct req *r, const struct rtable *t, const struct rrow *w,
		      const struct report_filter *f)
{
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\" id=\"%h--%h\"><th scope=\"row\" class=\""
		"govuk-table__header%s\">%h</th>", t->id, w->key,
		w->indent ? " govuk-!-padding-left-6 govuk-!-font-weight-regular" : "", w->label);
	if (t->detail_head)
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\" id=\"%h--%h--detail\">%h</td>", t->id,
			   w->key, w->detail ? w->detail : "");
	for (size_t c = 0; c < t->ncols; c++) {
		bool total = t->has_total && c + 1 == t->ncols;
		fmt_printf(&r->out, "<td class=\"govuk-table__cell govuk-table__cell--numeric%s\" id=\"%h--%h--%h\">"
			"%h</td>", total ? " govuk-!-font-weight-bold" : "", t->id, w->key, t->col_keys[c],
			report_cell_text(r, cell_kind(t, w, c), w->v[c], f));
	}
	fmt_printf(&r->out, "</tr>");
}

void report_html_table(struct req *r, const struct rtable *t, const struct report_filter *f)
{
	fmt_printf(&r->out, "<section class=\"hearth-report\" id=\"report-%h\" aria-labelledby=\"report-%h-title\">"
		"<h2 class=\"govuk-heading-m\" id=\"report-%h-title\">%h</h2>", t->id, t->id, t->id, t->title);
	if (*t->caption)
		fmt_printf(&r->out, "<p class=\"govuk-body\">%h</p>", t->caption);
	table_chart(r, t, f);
	if (!t->nrows) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"report-%h-empty\">Nothing to show for this"
			" period.</p></section>", t->id);
		return;
	}
	fmt_printf(&r->out, "<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"%h\" tabindex=\"0\">"
		"<table class=\"govuk-table hearth-table--small\" id=\"table-%h\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">%h</caption>", t->title, t->id, t->title);
	table_head(r, t);
	fmt_printf(&r->out, "<tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < t->nrows; i++)
		table_row(r, t, &t->rows[i], f);
	fmt_printf(&r->out, "</tbody></table></div></section>");
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_value(struct req *r, enum rcell kind, int64_t v, const struct report_filter *f)
{
	if (v == RC_NONE || (v == RC_SMALL_BASE && !f->suppress))
		buf_puts(&r->out, "null");
	else if (hidden_cell(kind, v, f))
		fmt_printf(&r->out, "%j", FEWER);
	else
		buf_printf(&r->out, "%" PRId64, v);
}

static void json_table(struct req *r, const struct rtable *t, const struct report_filter *f)
{
	fmt_printf(&r->out, "%j:{\"id\":%j,\"title\":%j,\"caption\":%j,\"label_head\":%j,\"has_total\":%s,"
		"\"chart_row\":%j,\"columns\":[", t->id, t->id, t->title, t->caption, t->label_head,
		t->has_total ? "true" : "false", t->chart_row);
	for (size_t c = 0; c < t->ncols; c++)
		fmt_printf(&r->out, "%s%j", c ? "," : "", t->col_keys[c]);
	buf_puts(&r->out, "],\"column_labels\":[");
	for (size_t c = 0; c < t->ncols; c++)
		fmt_printf(&r->out, "%s%j", c ? "," : "", t->cols[c]);
	if (t->col_kinds) {
		buf_puts(&r->out, "],\"column_kinds\":[");
		for (size_t c = 0; c < t->ncols; c++)
			fmt_printf(&r->out, "%s%j", c ? "," : "", kind_names[t->col_kinds[c]]);
	}
	if (t->detail_head)
		fmt_printf(&r->out, "],\"detail_head\":%j,\"rows\":[", t->detail_head);
	else
		buf_puts(&r->out, "],\"rows\":[");
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rrow *w = &t->rows[i];
		fmt_printf(&r->out, "%s{\"key\":%j,\"label\":%j,\"kind\":%j,\"indent\":%d,\"values\":{",
			   i ? "," : "", w->key, w->label, kind_names[w->kind], w->indent);
		for (size_t c = 0; c < t->ncols; c++) {
			fmt_printf(&r->out, "%s%j:", c ? "," : "", t->col_keys[c]);
			json_value(r, cell_kind(t, w, c), w->v[c], f);
		}
		if (t->detail_head)
			fmt_printf(&r->out, "},\"detail\":%j", w->detail ? w->detail : "");
		else
			buf_putc(&r->out, '}');
		buf_putc(&r->out, '}');
	}
	buf_puts(&r->out, "]}");
}

static void json_filter(struct req *r, const struct report_filter *f)
{
	char from[11], to[11];
	date_format(f->from, from);
	date_format(f->to, to);
	fmt_printf(&r->out, "\"filter\":{\"from\":%j,\"to\":%j,\"period_label\":%j,\"district\":",
		   from, to, f->period_label);
	if (f->district_id)
		buf_printf(&r->out, "%" PRId64, f->district_id);
	else
		buf_puts(&r->out, "null");
	buf_puts(&r->out, ",\"school\":");
	if (f->school_id)
		buf_printf(&r->out, "%" PRId64, f->school_id);
	else
		buf_puts(&r->out, "null");
	fmt_printf(&r->out, ",\"phase\":%j,\"suppressed\":%s,\"description\":%j}",
		   *f->phase ? f->phase : NULL, f->suppress ? "true" : "false", report_filter_text(r, f));
}

void report_json(struct req *r, struct rtable *const *t, size_t n, const struct report_filter *f)
{
	req_json(r, 200);
	buf_putc(&r->out, '{');
	json_filter(r, f);
	buf_puts(&r->out, ",\"tables\":{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		json_table(r, t[i], f);
	}
	buf_puts(&r->out, "}}\n");
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* A number as it is (a negative figure stays a number, unquoted). */
static void csv_num(struct buf *b, const char *s, bool last)
{
	if (*s && strcmp(s, FEWER)) {
		buf_puts(b, s);
		buf_puts(b, last ? "\r\n" : ",");
	} else {
		csv_put(b, s, last ? CSV_LAST : 0);
	}
}

static void attachment(struct req *r, const char *type, const char *name, const char *ext)
{
	r->status = 200;
	r->content_type = type;
	buf_reset(&r->out);
	req_set_header(r, "Content-Disposition",
		       arena_printf(&r->arena, "attachment; filename=\"%s.%s\"", name, ext));
	req_set_header(r, "Cache-Control", "no-store");
}

/* A file name from an id: letters, digits, '-' and '_' only. */
static const char *safe_name(struct req *r, const char *id)
{
	char *s = arena_strdup(&r->arena, id && *id ? id : "report");
	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			*p = '_';
	return s;
}

void report_csv(struct req *r, const struct rtable *t, const struct report_filter *f)
{
	attachment(r, "text/csv; charset=utf-8", safe_name(r, t->id), "csv");
	csv_put(&r->out, t->label_head, 0);
	if (t->detail_head)
		csv_put(&r->out, t->detail_head, 0);
	csv_put(&r->out, "Key", !t->ncols ? CSV_LAST : 0);
	for (size_t c = 0; c < t->ncols; c++)
		csv_put(&r->out, t->cols[c], c + 1 == t->ncols ? CSV_LAST : 0);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rrow *w = &t->rows[i];
		csv_put(&r->out, w->label, 0);
		if (t->detail_head)
			csv_put(&r->out, w->detail ? w->detail : "", 0);
		csv_put(&r->out, w->key, !t->ncols ? CSV_LAST : 0);
		for (size_t c = 0; c < t->ncols; c++)
			csv_num(&r->out, cell_plain(r, cell_kind(t, w, c), w->v[c], f), c + 1 == t->ncols);
	}
}

/* ---- XLSX ------------------------------------------------------------------------------------- */

struct xfmt {
	lxw_format *bold, *wrap, *count, *pence, *rate, *tenths, *total_count, *total_pence,
		   *total_rate, *total_tenths;
};

static lxw_format *num_format(lxw_workbook *wb, const char *num, bool bold)
{
	lxw_format *x = workbook_add_format(wb);
	format_set_num_format(x, num);
	if (bold)
		format_set_bold(x);
	return x;
}

static void xfmt_init(lxw_workbook *wb, struct xfmt *x)
{
	x->bold = workbook_add_format(wb);
	format_set_bold(x->bold);
	x->wrap = workbook_add_format(wb);
	format_set_text_wrap(x->wrap);
	x->count = num_format(wb, "#,##0", false);
	x->pence = num_format(wb, "\"£\"#,##0.00", false);
	x->rate = num_format(wb, "0.0%", false);
	x->tenths = num_format(wb, "0.0", false);
	x->total_count = num_format(wb, "#,##0", true);
	x->total_pence = num_format(wb, "\"£\"#,##0.00", true);
	x->total_rate = num_format(wb, "0.0%", true);
	x->total_tenths = num_format(wb, "0.0", true);
}

static void xlsx_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, enum rcell kind,
		      int64_t v, bool total, const struct report_filter *f, const struct xfmt *x)
{
	if (v == RC_NONE || (v == RC_SMALL_BASE && !f->suppress))
		return;
	if (hidden_cell(kind, v, f)) {
		worksheet_write_string(ws, row, col, FEWER, NULL);
		return;
	}
	switch (kind) {
	case RC_PENCE:
		worksheet_write_number(ws, row, col, (double)v / 100.0, total ? x->total_pence : x->pence);
		break;
	case RC_PERMILLE:
		worksheet_write_number(ws, row, col, (double)v / 1000.0, total ? x->total_rate : x->rate);
		break;
	case RC_TENTHS:
		worksheet_write_number(ws, row, col, (double)v / 10.0, total ? x->total_tenths : x->tenths);
		break;
	default:
		worksheet_write_number(ws, row, col, (double)v, total ? x->total_count : x->count);
	}
}

/* A sheet name: at most 31 characters, none of []:*?/\, unique. */
static const char *sheet_name(struct req *r, const char *id, size_t i, lxw_workbook *wb)
{
	char s[32], u[32];
	snprintf(s, sizeof s, "%.31s", id && *id ? id : "Report");
	for (char *p = s; *p; p++)
		if (strchr("[]:*?/\\'", *p))
			*p = '_';
	if (workbook_get_worksheet_by_name(wb, s)) {
		snprintf(u, sizeof u, "%.20s_%u", s, (unsigned)(i % 100000 + 1));
		return arena_strdup(&r->arena, u);
	}
	return arena_strdup(&r->arena, s);
}

static void xlsx_sheet(struct req *r, lxw_workbook *wb, const struct rtable *t, size_t i,
		       const struct report_filter *f, const struct xfmt *x)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, sheet_name(r, t->id, i, wb));
	lxw_row_t row = 0;
	worksheet_write_string(ws, row++, 0, t->title, x->bold);
	worksheet_write_string(ws, row++, 0, report_filter_text(r, f), NULL);
	if (*t->caption)
		worksheet_write_string(ws, row++, 0, t->caption, NULL);
	if (f->suppress)
		worksheet_write_string(ws, row++, 0, "Numbers from 1 to 4 are shown as \"fewer than 5\".", NULL);
	row++;
	lxw_col_t first = t->detail_head ? 2 : 1;   /* the first number's column */
	worksheet_write_string(ws, row, 0, t->label_head, x->bold);
	if (t->detail_head)
		worksheet_write_string(ws, row, 1, t->detail_head, x->bold);
	for (size_t c = 0; c < t->ncols; c++)
		worksheet_write_string(ws, row, (lxw_col_t)(c + first), t->cols[c], x->bold);
	worksheet_freeze_panes(ws, row + 1, first);
	for (size_t k = 0; k < t->nrows; k++) {
		const struct rrow *w = &t->rows[k];
		row++;
		worksheet_write_string(ws, row, 0, arena_printf(&r->arena, "%s%s", w->indent ? "    " : "",
				       w->label), NULL);
		if (t->detail_head)
			worksheet_write_string(ws, row, 1, w->detail ? w->detail : "", NULL);
		for (size_t c = 0; c < t->ncols; c++)
			xlsx_cell(ws, row, (lxw_col_t)(c + first), cell_kind(t, w, c), w->v[c],
				  t->has_total && c + 1 == t->ncols, f, x);
	}
	worksheet_set_column(ws, 0, 0, 48, NULL);
	if (t->detail_head)
		worksheet_set_column(ws, 1, 1, 40, NULL);
	worksheet_set_column(ws, first, (lxw_col_t)(first + (t->ncols ? t->ncols : 1) - 1), 12, NULL);
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

static int xlsx_write(struct req *r, const char *path, struct rtable *const *t, size_t n,
		      const struct report_filter *f)
{
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		return HE_INTERNAL;
	struct xfmt x;
	xfmt_init(wb, &x);
	for (size_t i = 0; i < n; i++)
		xlsx_sheet(r, wb, t[i], i, f, &x);
	if (!n)
		worksheet_write_string(workbook_add_worksheet(wb, "Report"), 0, 0, "No tables", NULL);
	return workbook_close(wb) == LXW_NO_ERROR ? HE_OK : HE_INTERNAL;
}

int report_xlsx(struct req *r, struct rtable *const *t, size_t n, const struct report_filter *f,
		const char *name)
{
	const char *dir = getenv("TMPDIR");
	char path[128];
	snprintf(path, sizeof path, "%s/hearth-report-XXXXXX",
		 dir && *dir && strlen(dir) < 90 ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return req_fail(r, HE_INTERNAL, "", "Could not make a temporary file for the export");
	close(fd);
	attachment(r, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		   safe_name(r, name), "xlsx");
	int rc = xlsx_write(r, path, t, n, f);
	if (rc == HE_OK)
		rc = slurp(path, &r->out);
	unlink(path);
	if (rc) {
		buf_reset(&r->out);
		return req_fail(r, rc, "", "Could not write the spreadsheet");
	}
	return HE_OK;
}
