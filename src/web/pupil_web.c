/* pupil_web.c — pupils at risk: the ranked list (page, CSV and XLSX
 * exports, JSON) and one pupil's page (page and JSON).
 *
 * Row scope.  A caller with CAP_PUPILS_ALL sees the partnership; one with
 * CAP_PUPILS_OWN sees the pupils of their own school only.  The list gets
 * it from risk_filter.urn; a single pupil goes through pupil_load_for(),
 * which applies the scope in the query and answers 404 (never 403: a
 * school must not learn that a UPN exists elsewhere) for anything outside
 * it.  Every read is audited: risk_list writes the list's row itself, and
 * pupil_load_for writes "view" (or "denied" for the 404). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "base/csvout.h"
#include "base/fmt.h"
#include "base/valid.h"
#include "core/risk.h"
#include "core/school.h"
#include "store/db.h"
#include "web/dataprot_web.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define LIST_PAGE 100      /* pupils per page of the list */
#define API_LIMIT_MAX 5000 /* rows per API call */

/* The school the caller's pupil reads are limited to: 0 for the whole
 * partnership, the user's school id, or -1 for none at all. */
static int64_t pupil_scope(struct req *r)
{
	if (caps_has(r->caps, CAP_PUPILS_ALL))
		return 0;
	if (caps_has(r->caps, CAP_PUPILS_OWN) && r->sess.user.school_id > 0)
		return r->sess.user.school_id;
	return -1;
}

/* "Reception", "Year 7", "N1"; "—" when not known. */
static const char *year_title(struct req *r, int year)
{
	if (year == RISK_ANY_YEAR)
		return "—";
	if (year == 0)
		return "Reception";
	if (year < 0)
		return year == -2 ? "N1" : year == -1 ? "N2" : "Nursery";
	return arena_printf(&r->arena, "Year %d", year);
}

static const char *band_tag_class(int band)
{
	return band == RISK_HIGH ? "govuk-tag--red" : band == RISK_MEDIUM ? "govuk-tag--orange"
									: "govuk-tag--grey";
}

static const char *band_title(int band)
{
	return band == RISK_HIGH ? "High" : band == RISK_MEDIUM ? "Medium" : "Low";
}

static void band_tag(struct req *r, int band)
{
	fmt_printf(&r->out, "<strong class=\"govuk-tag %s\">%h</strong>", band_tag_class(band),
		   band_title(band));
}

/* The partnership's rules (for labels and points), arena-allocated. */
static struct risk_ruleset *rules_load(struct req *r)
{
	struct risk_ruleset *rs = arena_alloc(&r->arena, sizeof *rs);
	if (risk_ruleset_load(r->db, rs, &r->err) != HE_OK)
		return NULL;
	return rs;
}

/* ---- the list's filter ---------------------------------------------------- */

/* Fill f from the query string, with the caller's scope applied.  Errors
 * name the field: HE_INVALID for a bad value, HE_FORBIDDEN for a school
 * user asking for another school. */
static int read_filter(struct req *r, struct risk_filter *f)
{
	memset(f, 0, sizeof *f);
	f->year = RISK_ANY_YEAR;
	f->band = -1;
	const char *school = page_nonempty(req_query(r, "school"));
	int64_t scope = pupil_scope(r);
	if (scope < 0)
		return req_fail(r, HE_FORBIDDEN, "", "You cannot see pupil records");
	if (scope == 0) {
		f->urn = school;
	} else {
		f->urn = r->sess.user.school_urn;
		if (school && strcmp(school, f->urn) != 0) {
			req_audit(r, "denied", "pupils", NULL, arena_printf(&r->arena,
				  "risk list of school %.6s: not the caller's school", school));
			return req_fail(r, HE_FORBIDDEN, "school",
					"You can see the pupils of your own school only");
		}
	}
	const char *year = page_nonempty(req_query(r, "year"));
	if (year) {
		char *end;
		long y = strtol(year, &end, 10);
		if (strcmp(year, "R") == 0)
			y = 0;
		else if (*end || y < -2 || y > 14)
			return req_fail(r, HE_INVALID, "year",
					"Year group must be R (Reception) or a number from 1 to 14");
		f->year = (int)y;
	}
	const char *band = page_nonempty(req_query(r, "band"));
	if (band && (f->band = risk_band_by_name(band)) < 0)
		return req_fail(r, HE_INVALID, "band", "Band must be high, medium or low");
	f->indicator = page_nonempty(req_query(r, "indicator"));
	const char *rising = req_query(r, "rising");
	f->rising = rising && (!strcmp(rising, "1") || !strcmp(rising, "on") ||
			       !strcmp(rising, "yes") || !strcmp(rising, "true"));
	return HE_OK;
}

/* A non-negative integer query parameter, or def when absent. */
static int query_int(struct req *r, const char *name, int def, int max, int *out)
{
	const char *s = page_nonempty(req_query(r, name));
	*out = def;
	if (!s)
		return HE_OK;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > max)
		return req_fail(r, HE_INVALID, name, arena_printf(&r->arena,
				"%s must be a whole number from 0 to %d", name, max));
	*out = (int)v;
	return HE_OK;
}

/* The filter as a query string ("school=…&year=…"), for links. */
static void filter_query(struct req *r, const struct risk_filter *f, struct buf *out)
{
	if (f->urn && caps_has(r->caps, CAP_PUPILS_ALL))
		fmt_printf(out, "&school=%u", f->urn);
	if (f->year != RISK_ANY_YEAR)
		fmt_printf(out, "&year=%d", f->year);
	if (f->band >= 0)
		fmt_printf(out, "&band=%u", risk_band_name(f->band));
	if (f->indicator)
		fmt_printf(out, "&indicator=%u", f->indicator);
	if (f->rising)
		fmt_printf(out, "&rising=1");
}

/* ---- the list page ---------------------------------------------------------- */

static void select_open(struct req *r, const char *id, const char *label)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"%h\">"
		"%h</label><select class=\"govuk-select\" id=\"%h\" name=\"%h\">", id, label, id, id);
}

static void option(struct req *r, const char *value, const char *text, bool selected)
{
	fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", value,
		   selected ? " selected" : "", text);
}

static void school_select(struct req *r, const struct risk_filter *f)
{
	struct school *s;
	size_t n;
	if (school_list(r->db, &r->arena, &s, &n) != HE_OK)
		return;
	select_open(r, "school", "School");
	option(r, "", "All schools", !f->urn);
	for (size_t i = 0; i < n; i++)
		option(r, s[i].urn, s[i].name, f->urn && strcmp(f->urn, s[i].urn) == 0);
	fmt_printf(&r->out, "</select></div>");
}

static void filter_form(struct req *r, const struct risk_filter *f, const struct risk_ruleset *rs)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/pupils\" class=\"hearth-filters\">"
		"<div class=\"govuk-grid-row\">");
	if (caps_has(r->caps, CAP_PUPILS_ALL))
		school_select(r, f);
	select_open(r, "year", "Year group");
	option(r, "", "All years", f->year == RISK_ANY_YEAR);
	option(r, "R", "Reception", f->year == 0);
	for (int y = 1; y <= 14; y++)
		option(r, arena_printf(&r->arena, "%d", y), arena_printf(&r->arena, "Year %d", y),
		       f->year == y);
	fmt_printf(&r->out, "</select></div>");
	select_open(r, "band", "Band");
	option(r, "", "All bands", f->band < 0);
	for (int b = RISK_HIGH; b >= RISK_LOW; b--)
		option(r, risk_band_name(b), band_title(b), f->band == b);
	fmt_printf(&r->out, "</select></div>");
	select_open(r, "indicator", "Indicator");
	option(r, "", "Any indicator", !f->indicator);
	for (int i = 0; rs && i < rs->n; i++)
		option(r, rs->rule[i].code, rs->rule[i].label,
		       f->indicator && strcmp(f->indicator, rs->rule[i].code) == 0);
	fmt_printf(&r->out, "</select></div>"
		"<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes govuk-checkboxes--small\""
		" data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\">"
		"<input class=\"govuk-checkboxes__input\" id=\"rising\" name=\"rising\" type=\"checkbox\""
		" value=\"1\"%s><label class=\"govuk-label govuk-checkboxes__label\" for=\"rising\">"
		"Rising only</label></div></div></div></div>"
		"<button type=\"submit\" class=\"govuk-button govuk-button--secondary\">Filter</button>"
		"</form>", f->rising ? " checked" : "");
}

/* The labels of the rules named in a risk_fired string, as a list. */
static void fired_list(struct req *r, const struct risk_ruleset *rs, const char *fired)
{
	uint64_t mask = rs ? risk_fired_parse(rs, fired) : 0;
	if (!mask) {
		fmt_printf(&r->out, "—");
		return;
	}
	fmt_printf(&r->out, "<ul class=\"govuk-list hearth-indicators\">");
	for (int i = 0; i < rs->n; i++)
		if (mask & (UINT64_C(1) << i))
			fmt_printf(&r->out, "<li>%h</li>", rs->rule[i].label);
	fmt_printf(&r->out, "</ul>");
}

static void list_row(struct req *r, const struct risk_row *p, int rank, const struct risk_ruleset *rs)
{
	const char *td = "<td class=\"govuk-table__cell\">";
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s%d</td>"
		"%s<a class=\"govuk-link\" href=\"/pupils/%u\">%h %h</a></td>"
		"%s<span class=\"hearth-mono\">%h</span></td>%s%h</td>%s%h</td>"
		"<td class=\"govuk-table__cell govuk-table__cell--numeric\">%d</td>%s",
		td, rank, td, p->upn, p->forename, p->surname, td, p->upn, td,
		year_title(r, p->year_group), td, p->school, p->score, td);
	band_tag(r, p->band);
	fmt_printf(&r->out, "</td>%s", td);
	if (p->rising)
		fmt_printf(&r->out, "<strong class=\"govuk-tag govuk-tag--pink hearth-rising\">Rising"
			"</strong> <span class=\"govuk-body-s\">was %d</span>", p->prev_score);
	else if (p->has_prev)
		fmt_printf(&r->out, "<span class=\"govuk-body-s\">was %d</span>", p->prev_score);
	fmt_printf(&r->out, "</td>%s", td);
	fired_list(r, rs, p->fired);
	fmt_printf(&r->out, "</td>%s<a class=\"govuk-link\" href=\"/referrals/new?upn=%u\">Refer"
		"<span class=\"govuk-visually-hidden\"> %h %h</span></a></td></tr>",
		td, p->upn, p->forename, p->surname);
}

static void list_table(struct req *r, const struct risk_row *rows, size_t n, int offset,
		       const struct risk_ruleset *rs)
{
	static const char *const heads[] = {"Rank", "Name", "UPN", "Year", "School", "Score",
					    "Band", "Trend", "Indicators", "Action"};
	fmt_printf(&r->out, "<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"Pupils"
		" ranked by risk\" tabindex=\"0\"><table class=\"govuk-table hearth-table--small\""
		" id=\"risk-list\"><caption class=\"govuk-table__caption govuk-visually-hidden\">Pupils"
		" ranked by risk score</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header%s\">%h</th>",
			   i == 5 ? " govuk-table__header--numeric" : "", heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		list_row(r, &rows[i], offset + (int)i + 1, rs);
	fmt_printf(&r->out, "</tbody></table></div>");
}

static void pagination(struct req *r, const char *qs, int page, bool more)
{
	if (page <= 1 && !more)
		return;
	fmt_printf(&r->out, "<nav class=\"govuk-pagination\" aria-label=\"Pages of the list\">");
	if (page > 1)
		fmt_printf(&r->out, "<div class=\"govuk-pagination__prev\"><a class=\"govuk-link"
			" govuk-pagination__link\" href=\"/pupils?page=%d%s\" rel=\"prev\">"
			"<span class=\"govuk-pagination__link-title\">Previous<span"
			" class=\"govuk-visually-hidden\"> page</span></span></a></div>", page - 1, qs);
	if (more)
		fmt_printf(&r->out, "<div class=\"govuk-pagination__next\"><a class=\"govuk-link"
			" govuk-pagination__link\" href=\"/pupils?page=%d%s\" rel=\"next\">"
			"<span class=\"govuk-pagination__link-title\">Next<span"
			" class=\"govuk-visually-hidden\"> page</span></span></a></div>", page + 1, qs);
	fmt_printf(&r->out, "</nav>");
}

/* The page when the filter is wrong: the form and the error summary. */
static int list_error_page(struct req *r, const struct risk_filter *f, const struct risk_ruleset *rs)
{
	page_begin(r, err_http_status(r->err.code), "Error: Pupils at risk");
	page_error_summary(r, &r->err);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Pupils at risk</h1>");
	filter_form(r, f, rs);
	page_end(r);
	return HE_OK;
}

int pupils_page(struct req *r)
{
	struct risk_filter f;
	int page = 1;
	int rc = read_filter(r, &f);
	if (rc == HE_FORBIDDEN)
		return rc;
	struct risk_ruleset *rs = rules_load(r);
	if (!rs)
		return r->err.code;
	if (rc == HE_OK)
		rc = query_int(r, "page", 1, 100000, &page);
	if (rc == HE_OK && page < 1)
		page = 1;
	struct risk_row *rows = NULL;
	size_t n = 0;
	if (rc == HE_OK) {
		f.limit = LIST_PAGE + 1;
		f.offset = (page - 1) * LIST_PAGE;
		rc = risk_list(r->db, &r->who, &r->arena, &f, &rows, &n, &r->err);
	}
	if (rc == HE_INVALID || rc == HE_NOT_FOUND)
		return list_error_page(r, &f, rs);
	if (rc)
		return rc;
	struct buf qs;
	buf_init(&qs, 4096);
	filter_query(r, &f, &qs);
	page_begin(r, 200, "Pupils at risk");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Pupils at risk</h1><p class=\"govuk-body\">"
		"Pupils of %h, ranked by their risk of becoming NEET, from each pupil's latest"
		" extract. Select a name to see why a pupil scored what they did.</p>",
		r->sess.user.school_name && !caps_has(r->caps, CAP_PUPILS_ALL)
		? r->sess.user.school_name : "the partnership");
	filter_form(r, &f, rs);
	bool more = n > LIST_PAGE;
	if (more)
		n = LIST_PAGE;
	if (n == 0) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"no-pupils\">No pupils match.%s</p>",
			   caps_has(r->caps, CAP_IMPORT) ? " Import a census extract to add pupils." : "");
	} else {
		fmt_printf(&r->out, "<p class=\"govuk-body\">Showing pupils %d to %d.</p>"
			"<p class=\"govuk-body\">Download: <a class=\"govuk-link\" href=\"/pupils.csv?x=1%s\">"
			"CSV</a> &middot; <a class=\"govuk-link\" href=\"/pupils.xlsx?x=1%s\">Excel (XLSX)</a>"
			"</p>", f.offset + 1, f.offset + (int)n, buf_str(&qs), buf_str(&qs));
		list_table(r, rows, n, f.offset, rs);
	}
	pagination(r, buf_str(&qs), page, more);
	buf_free(&qs);
	page_end(r);
	return HE_OK;
}

/* ---- exports ------------------------------------------------------------------- */

/* The labels of the rules in fired, "; "-separated, into the arena. */
static const char *fired_labels(struct req *r, const struct risk_ruleset *rs, const char *fired)
{
	struct buf b;
	buf_init(&b, 16384);
	uint64_t mask = risk_fired_parse(rs, fired);
	for (int i = 0; i < rs->n; i++)
		if (mask & (UINT64_C(1) << i))
			buf_printf(&b, "%s%s", b.len ? "; " : "", rs->rule[i].label);
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

static const char *const export_heads[] = {
	"Rank", "UPN", "Forename", "Surname", "Year group", "School URN", "School",
	"Extract date", "Score", "Band", "Previous score", "Rising", "Indicators",
};
#define EXPORT_COLS (sizeof export_heads / sizeof export_heads[0])

/* Row i of the export as text cells (numbers as digits). */
static void export_cells(struct req *r, const struct risk_ruleset *rs, const struct risk_row *p,
			 size_t i, const char *cell[EXPORT_COLS])
{
	cell[0] = arena_printf(&r->arena, "%zu", i + 1);
	cell[1] = p->upn;
	cell[2] = p->forename;
	cell[3] = p->surname;
	cell[4] = p->year_group == RISK_ANY_YEAR ? "" : p->year_group == 0 ? "R"
		: arena_printf(&r->arena, "%d", p->year_group);
	cell[5] = p->urn;
	cell[6] = p->school;
	cell[7] = p->extract_date;
	cell[8] = arena_printf(&r->arena, "%d", p->score);
	cell[9] = risk_band_name(p->band);
	cell[10] = p->has_prev ? arena_printf(&r->arena, "%d", p->prev_score) : "";
	cell[11] = p->rising ? "yes" : "no";
	cell[12] = fired_labels(r, rs, p->fired);
}

/* The whole list for an export, audited as a view (risk_list) and an
 * export.  HE_OK with *rows, *n and *rs set. */
static int export_rows(struct req *r, const char *format, struct risk_row **rows, size_t *n,
		       struct risk_ruleset **rs)
{
	struct risk_filter f;
	int rc = read_filter(r, &f);
	if (rc)
		return rc;
	if (!(*rs = rules_load(r)))
		return r->err.code;
	rc = risk_list(r->db, &r->who, &r->arena, &f, rows, n, &r->err);
	if (rc)
		return rc;
	rc = req_audit(r, "export", "pupils", NULL, arena_printf(&r->arena,
		       "risk list %s export (%s): %zu pupils", format,
		       f.urn ? f.urn : "partnership", *n));
	return rc ? rc : dataprot_export(r, "pupils", strcmp(format, "CSV") ? "xlsx" : "csv",
					 f.urn ? f.urn : "partnership", (int64_t)*n);
}

static void attachment(struct req *r, const char *type, const char *ext)
{
	r->status = 200;
	r->content_type = type;
	buf_reset(&r->out);
	req_set_header(r, "Content-Disposition", arena_printf(&r->arena,
		       "attachment; filename=\"pupils-at-risk.%s\"", ext));
	req_set_header(r, "Cache-Control", "no-store");
}

int pupils_csv_page(struct req *r)
{
	struct risk_row *rows;
	struct risk_ruleset *rs;
	size_t n;
	int rc = export_rows(r, "CSV", &rows, &n, &rs);
	if (rc)
		return rc;
	attachment(r, "text/csv; charset=utf-8", "csv");
	for (size_t c = 0; c < EXPORT_COLS; c++)
		csv_put(&r->out, export_heads[c], c + 1 == EXPORT_COLS ? CSV_LAST : 0);
	for (size_t i = 0; i < n; i++) {
		const char *cell[EXPORT_COLS];
		export_cells(r, rs, &rows[i], i, cell);
		for (size_t c = 0; c < EXPORT_COLS; c++)
			csv_put(&r->out, cell[c], c + 1 == EXPORT_COLS ? CSV_LAST : 0);
	}
	return HE_OK;
}

/* Columns written as numbers in the XLSX (rank, score, previous score). */
static bool xlsx_numeric(size_t c)
{
	return c == 0 || c == 8 || c == 10;
}

/* Write the rows to an XLSX file at path. */
static int xlsx_write(struct req *r, const char *path, const struct risk_ruleset *rs,
		      const struct risk_row *rows, size_t n)
{
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		return HE_INTERNAL;
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Pupils at risk");
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	for (size_t c = 0; c < EXPORT_COLS; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, export_heads[c], bold);
	for (size_t i = 0; i < n; i++) {
		const char *cell[EXPORT_COLS];
		export_cells(r, rs, &rows[i], i, cell);
		for (size_t c = 0; c < EXPORT_COLS; c++) {
			lxw_row_t row = (lxw_row_t)(i + 1);
			if (xlsx_numeric(c) && *cell[c])
				worksheet_write_number(ws, row, (lxw_col_t)c, atof(cell[c]), NULL);
			else if (*cell[c])  /* always a string: never a formula */
				worksheet_write_string(ws, row, (lxw_col_t)c, cell[c], NULL);
		}
	}
	worksheet_freeze_panes(ws, 1, 0);
	return workbook_close(wb) == LXW_NO_ERROR ? HE_OK : HE_INTERNAL;
}

/* Append the file at path to b. */
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

int pupils_xlsx_page(struct req *r)
{
	struct risk_row *rows;
	struct risk_ruleset *rs;
	size_t n;
	int rc = export_rows(r, "XLSX", &rows, &n, &rs);
	if (rc)
		return rc;
	const char *dir = getenv("TMPDIR");
	char path[128];
	snprintf(path, sizeof path, "%s/hearth-export-XXXXXX",
		 dir && *dir && strlen(dir) < 90 ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return req_fail(r, HE_INTERNAL, "", "Could not make a temporary file for the export");
	close(fd);
	attachment(r, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx");
	rc = xlsx_write(r, path, rs, rows, n);
	if (rc == HE_OK)
		rc = slurp(path, &r->out);
	unlink(path);
	if (rc)
		buf_reset(&r->out);
	return rc;
}

/* ---- the list as JSON ------------------------------------------------------------ */

static void fired_json(struct req *r, const struct risk_ruleset *rs, uint64_t mask)
{
	buf_putc(&r->out, '[');
	const char *sep = "";
	for (int i = 0; i < rs->n; i++)
		if (mask & (UINT64_C(1) << i)) {
			fmt_printf(&r->out, "%s{\"code\":%j,\"label\":%j,\"points\":%d}", sep,
				   rs->rule[i].code, rs->rule[i].label, rs->rule[i].points);
			sep = ",";
		}
	buf_putc(&r->out, ']');
}

static void row_json(struct req *r, const struct risk_ruleset *rs, const struct risk_row *p, int rank)
{
	fmt_printf(&r->out, "{\"rank\":%d,\"upn\":%j,\"forename\":%j,\"surname\":%j,"
		"\"school\":{\"urn\":%j,\"name\":%j},\"extract_date\":%j,", rank, p->upn,
		p->forename, p->surname, p->urn, p->school, p->extract_date);
	if (p->year_group == RISK_ANY_YEAR)
		fmt_printf(&r->out, "\"year_group\":null,");
	else
		fmt_printf(&r->out, "\"year_group\":%d,", p->year_group);
	fmt_printf(&r->out, "\"score\":%d,\"band\":%j,", p->score, risk_band_name(p->band));
	if (p->has_prev)
		fmt_printf(&r->out, "\"previous_score\":%d,", p->prev_score);
	else
		fmt_printf(&r->out, "\"previous_score\":null,");
	fmt_printf(&r->out, "\"rising\":%s,\"indicators\":", p->rising ? "true" : "false");
	fired_json(r, rs, risk_fired_parse(rs, p->fired));
	buf_putc(&r->out, '}');
}

int risk_api(struct req *r)
{
	struct risk_filter f;
	int rc = read_filter(r, &f);
	if (!rc)
		rc = query_int(r, "limit", 100, API_LIMIT_MAX, &f.limit);
	if (!rc)
		rc = query_int(r, "offset", 0, INT32_MAX, &f.offset);
	if (!rc && f.limit == 0)
		f.limit = API_LIMIT_MAX;
	struct risk_ruleset *rs = rc ? NULL : rules_load(r);
	if (!rc && !rs)
		rc = r->err.code;
	struct risk_row *rows = NULL;
	size_t n = 0;
	if (!rc)
		rc = risk_list(r->db, &r->who, &r->arena, &f, &rows, &n, &r->err);
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"school\":%j,\"limit\":%d,\"offset\":%d,\"count\":%zu,\"pupils\":[",
		   f.urn, f.limit, f.offset, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		row_json(r, rs, &rows[i], f.offset + (int)i + 1);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* ---- one pupil ----------------------------------------------------------------------- */

struct pupil_view {
	int64_t id, school_id;
	const char *upn, *forename, *surname, *dob, *gender, *family_key, *urn, *school;
};

/* Load the pupil with this UPN if the caller may see them, and audit the
 * read (action "view", entity "pupils", the pupil's id).  A UPN that does
 * not exist, or belongs to a pupil outside the caller's scope, is
 * HE_NOT_FOUND — audited as "denied" — so the two cannot be told apart. */
static int pupil_load_for(struct req *r, const char *upn, struct pupil_view *p)
{
	char norm[14];
	int64_t scope = pupil_scope(r);
	memset(p, 0, sizeof *p);
	if (upn_norm(upn, norm) && scope >= 0) {
		struct db_stmt *st = db_prepare(r->db,
			"SELECT p.id, p.upn, p.forename, p.surname, p.dob, p.gender, p.family_key,"
			" sc.urn, sc.name, p.school_id FROM pupils p JOIN schools sc ON sc.id = p.school_id"
			" WHERE p.upn = :upn AND (CAST(:school AS BIGINT) IS NULL"
			" OR p.school_id = CAST(:school AS BIGINT))");
		db_bind_text(st, ":upn", norm);
		if (scope)
			db_bind_int(st, ":school", scope);
		else
			db_bind_null(st, ":school");
		if (db_next(st)) {
			p->id = db_int(st, 0);
			p->upn = arena_strdup(&r->arena, db_text(st, 1));
			p->forename = arena_strdup(&r->arena, db_text(st, 2));
			p->surname = arena_strdup(&r->arena, db_text(st, 3));
			p->dob = arena_strdup(&r->arena, db_text(st, 4));
			p->gender = arena_strdup(&r->arena, db_text(st, 5));
			p->family_key = arena_strdup(&r->arena, db_text(st, 6));
			p->urn = arena_strdup(&r->arena, db_text(st, 7));
			p->school = arena_strdup(&r->arena, db_text(st, 8));
			p->school_id = db_int(st, 9);
		}
		int rc = db_finalize(st);
		if (rc)
			return rc;
	}
	if (!p->id) {
		int rc = req_audit(r, "denied", "pupils", NULL, arena_printf(&r->arena,
				   "pupil %.20s: no such pupil in the caller's scope", upn));
		return rc ? rc : req_fail(r, HE_NOT_FOUND, "upn",
					  "There is no pupil with that UPN among the pupils you can see.");
	}
	return req_audit(r, "view", "pupils", arena_printf(&r->arena, "%lld", (long long)p->id),
			 arena_printf(&r->arena, "pupil %s", p->upn));
}

/* The indicators of a snapshot, in the order shown. */
enum ind_kind { IK_FLAG, IK_COUNT, IK_DAYS10, IK_SEN };
static const struct ind_info {
	const char *key, *label;
	enum ind_kind kind;
} inds[] = {
	{"sessions_possible", "Sessions possible", IK_COUNT},
	{"sessions_attended", "Sessions attended", IK_COUNT},
	{"authorised_absence", "Authorised absence (sessions)", IK_COUNT},
	{"unauthorised_absence", "Unauthorised absence (sessions)", IK_COUNT},
	{"suspensions", "Suspensions", IK_COUNT},
	{"suspension_days", "Days of suspension", IK_DAYS10},
	{"permanent_exclusion", "Permanently excluded", IK_FLAG},
	{"sen", "SEN provision", IK_SEN},
	{"ehcp", "Education, health and care plan", IK_FLAG},
	{"fsm", "Free school meals", IK_FLAG},
	{"eal", "English as an additional language", IK_FLAG},
	{"eal_new", "New to English", IK_FLAG},
	{"looked_after", "Looked after", IK_FLAG},
	{"cin", "Child in need", IK_FLAG},
	{"cp", "Child protection plan", IK_FLAG},
	{"young_carer", "Young carer", IK_FLAG},
	{"youth_justice", "Involved with youth justice", IK_FLAG},
	{"young_parent", "Pregnant or a young parent", IK_FLAG},
	{"school_moves", "Moves of school", IK_COUNT},
	{"below_expected", "Attainment below the expected standard", IK_FLAG},
};
#define NIND (sizeof inds / sizeof inds[0])
#define SNAP_SQL \
	"SELECT s.extract_date, s.year_group, sc.name, s.risk_score, s.risk_band, s.risk_fired," \
	" s.sessions_possible, s.sessions_attended, s.authorised_absence, s.unauthorised_absence," \
	" s.suspensions, s.suspension_days_x10, s.permanent_exclusion, s.sen, s.ehcp, s.fsm, s.eal," \
	" s.eal_new, s.looked_after, s.cin, s.cp, s.young_carer, s.youth_justice, s.young_parent," \
	" s.school_moves, s.below_expected FROM pupil_snapshots s JOIN schools sc ON sc.id = s.school_id" \
	" WHERE s.pupil_id = :id ORDER BY s.extract_date DESC"
#define SNAP_IND_COL 6

struct snap {
	const char *date, *school, *fired;
	int year, score, band;
	bool known[NIND];
	int64_t v[NIND];     /* IK_SEN: the letter */
};

struct sibling {
	const char *upn, *forename, *surname, *school;
	bool visible;
};

/* Everything the pupil page and its JSON show. */
struct pupil_record {
	struct pupil_view p;
	struct snap *snaps;        /* newest first */
	size_t nsnaps;
	struct sibling *sibs;
	size_t nsibs, hidden;      /* hidden: siblings the caller may not see */
	struct risk_ruleset *rs;
};

static void snap_from(struct req *r, struct db_stmt *st, struct snap *s)
{
	s->date = arena_strdup(&r->arena, db_text(st, 0));
	s->year = db_is_null(st, 1) ? RISK_ANY_YEAR : (int)db_int(st, 1);
	s->school = arena_strdup(&r->arena, db_text(st, 2));
	s->score = (int)db_int(st, 3);
	s->band = risk_band_by_name(db_text(st, 4));
	if (s->band < 0)
		s->band = RISK_LOW;
	s->fired = arena_strdup(&r->arena, db_text(st, 5) ? db_text(st, 5) : "");
	for (size_t i = 0; i < NIND; i++) {
		int c = SNAP_IND_COL + (int)i;
		s->known[i] = !db_is_null(st, c);
		if (inds[i].kind == IK_SEN)
			s->v[i] = s->known[i] ? db_text(st, c)[0] : 0;
		else
			s->v[i] = s->known[i] ? db_int(st, c) : 0;
	}
}

static int snaps_load(struct req *r, struct pupil_record *rec)
{
	size_t cap = 8;
	rec->snaps = arena_alloc(&r->arena, cap * sizeof *rec->snaps);
	struct db_stmt *st = db_prepare(r->db, SNAP_SQL);
	db_bind_int(st, ":id", rec->p.id);
	while (db_next(st)) {
		if (rec->nsnaps == cap) {
			struct snap *bigger = arena_alloc(&r->arena, 2 * cap * sizeof *bigger);
			memcpy(bigger, rec->snaps, cap * sizeof *bigger);
			rec->snaps = bigger;
			cap *= 2;
		}
		snap_from(r, st, &rec->snaps[rec->nsnaps++]);
	}
	return db_finalize(st);
}

static int siblings_load(struct req *r, struct pupil_record *rec)
{
	if (!rec->p.family_key || !*rec->p.family_key)
		return HE_OK;
	int64_t scope = pupil_scope(r);
	size_t cap = 8;
	rec->sibs = arena_alloc(&r->arena, cap * sizeof *rec->sibs);
	struct db_stmt *st = db_prepare(r->db,
		"SELECT p.upn, p.forename, p.surname, sc.name, p.school_id FROM pupils p"
		" JOIN schools sc ON sc.id = p.school_id WHERE p.family_key = :fk AND p.id <> :id"
		" ORDER BY p.surname, p.forename, p.id");
	db_bind_text(st, ":fk", rec->p.family_key);
	db_bind_int(st, ":id", rec->p.id);
	while (db_next(st)) {
		if (scope != 0 && db_int(st, 4) != scope) {
			rec->hidden++;
			continue;
		}
		if (rec->nsibs == cap)
			continue;  /* more than 8 visible siblings: the rest are not listed */
		struct sibling *s = &rec->sibs[rec->nsibs++];
		s->upn = arena_strdup(&r->arena, db_text(st, 0));
		s->forename = arena_strdup(&r->arena, db_text(st, 1));
		s->surname = arena_strdup(&r->arena, db_text(st, 2));
		s->school = arena_strdup(&r->arena, db_text(st, 3));
		s->visible = true;
	}
	return db_finalize(st);
}

static int pupil_record_load(struct req *r, struct pupil_record *rec)
{
	memset(rec, 0, sizeof *rec);
	int rc = pupil_load_for(r, req_param(r, 0), &rec->p);
	if (!rc)
		rc = snaps_load(r, rec);
	if (!rc)
		rc = siblings_load(r, rec);
	if (!rc && !(rec->rs = rules_load(r)))
		rc = r->err.code;
	return rc;
}

/* The text of indicator i of s, for the page. */
static const char *ind_text(struct req *r, const struct snap *s, size_t i)
{
	if (!s->known[i])
		return "Not recorded";
	switch (inds[i].kind) {
	case IK_FLAG:
		return s->v[i] ? "Yes" : "No";
	case IK_DAYS10:
		return arena_printf(&r->arena, "%lld.%lld", (long long)(s->v[i] / 10),
				    (long long)(s->v[i] % 10));
	case IK_SEN:
		return s->v[i] == 'E' ? "E: education, health and care plan"
		     : s->v[i] == 'K' ? "K: SEN support" : "N: none";
	default:
		return arena_printf(&r->arena, "%lld", (long long)s->v[i]);
	}
}

/* Attendance as "91.3%", or NULL when not known. */
static const char *attendance(struct req *r, const struct snap *s)
{
	if (!s->known[0] || !s->known[1] || s->v[0] <= 0)
		return NULL;
	long long tenths = s->v[1] * 1000 / s->v[0];
	return arena_printf(&r->arena, "%lld.%lld%%", tenths / 10, tenths % 10);
}

static void summary_row(struct req *r, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", key, value);
}

static void pupil_identity(struct req *r, const struct pupil_record *rec)
{
	const struct snap *s = rec->nsnaps ? &rec->snaps[0] : NULL;
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"identity\">");
	summary_row(r, "UPN", rec->p.upn);
	summary_row(r, "Date of birth", rec->p.dob);
	summary_row(r, "Year group", year_title(r, s ? s->year : RISK_ANY_YEAR));
	summary_row(r, "School", arena_printf(&r->arena, "%s (URN %s)", rec->p.school, rec->p.urn));
	fmt_printf(&r->out, "</dl>");
}

static void pupil_explain(struct req *r, const struct pupil_record *rec)
{
	const struct snap *s = &rec->snaps[0];
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"score\">Risk score: %d ", s->score);
	band_tag(r, s->band);
	fmt_printf(&r->out, "</h2><p class=\"govuk-body\">From the extract of %h. ", s->date);
	if (rec->nsnaps > 1) {
		int d = s->score - rec->snaps[1].score;
		fmt_printf(&r->out, "%s (%d at the extract of %h).", d > 0 ? "Rising" : d < 0
			   ? "Falling" : "Unchanged", rec->snaps[1].score, rec->snaps[1].date);
	}
	fmt_printf(&r->out, "</p>");
	uint64_t mask = risk_fired_parse(rec->rs, s->fired);
	if (!mask) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"why\">No risk indicator applies to"
			   " this pupil.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"why\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">Why: the indicators that counted</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
		"<th scope=\"col\" class=\"govuk-table__header\">Indicator</th>"
		"<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Points</th>"
		"</tr></thead><tbody class=\"govuk-table__body\">");
	for (int i = 0; i < rec->rs->n; i++)
		if (mask & (UINT64_C(1) << i))
			fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
				"%h</td><td class=\"govuk-table__cell govuk-table__cell--numeric\">%d</td></tr>",
				rec->rs->rule[i].label, rec->rs->rule[i].points);
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><th scope=\"row\" class=\"govuk-table__header\">"
		"Total</th><td class=\"govuk-table__cell govuk-table__cell--numeric\"><strong>%d</strong>"
		"</td></tr></tbody></table>", s->score);
}

static void pupil_indicators(struct req *r, const struct snap *s)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Latest indicators</h2>"
		"<dl class=\"govuk-summary-list govuk-summary-list--no-border hearth-summary--compact\""
		" id=\"indicators\">");
	const char *att = attendance(r, s);
	summary_row(r, "Attendance", att ? att : "Not recorded");
	for (size_t i = 0; i < NIND; i++)
		summary_row(r, inds[i].label, ind_text(r, s, i));
	fmt_printf(&r->out, "</dl>");
}

static void pupil_history(struct req *r, const struct pupil_record *rec)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"history\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--m\">Score history</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">Extract</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">School</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Year</th>"
		"<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Score</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Band</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Change</th></tr></thead>"
		"<tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < rec->nsnaps; i++) {
		const struct snap *s = &rec->snaps[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell govuk-table__cell--numeric\">%d</td>"
			"<td class=\"govuk-table__cell\">", s->date, s->school, year_title(r, s->year), s->score);
		band_tag(r, s->band);
		fmt_printf(&r->out, "</td><td class=\"govuk-table__cell\">");
		if (i + 1 < rec->nsnaps) {
			int d = s->score - rec->snaps[i + 1].score;
			fmt_printf(&r->out, d > 0 ? "Rising (+%d)" : d < 0 ? "Falling (%d)" : "No change", d);
		} else {
			fmt_printf(&r->out, "First extract");
		}
		fmt_printf(&r->out, "</td></tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void pupil_siblings(struct req *r, const struct pupil_record *rec)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Siblings</h2>");
	if (!rec->nsibs && !rec->hidden) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"siblings\">No siblings are recorded"
			   " (pupils sharing the home address or main contact).</p>");
		return;
	}
	fmt_printf(&r->out, "<ul class=\"govuk-list govuk-list--bullet\" id=\"siblings\">");
	for (size_t i = 0; i < rec->nsibs; i++)
		fmt_printf(&r->out, "<li><a class=\"govuk-link\" href=\"/pupils/%u\">%h %h</a>, %h</li>",
			   rec->sibs[i].upn, rec->sibs[i].forename, rec->sibs[i].surname,
			   rec->sibs[i].school);
	if (rec->hidden)
		fmt_printf(&r->out, "<li>%zu sibling%s at %s school</li>", rec->hidden,
			   rec->hidden == 1 ? "" : "s", rec->hidden == 1 ? "another" : "other");
	fmt_printf(&r->out, "</ul>");
}

int pupil_page(struct req *r)
{
	struct pupil_record rec;
	int rc = pupil_record_load(r, &rec);
	if (rc)
		return rc;
	page_begin(r, 200, arena_printf(&r->arena, "%s %s", rec.p.forename, rec.p.surname));
	fmt_printf(&r->out, "<a href=\"/pupils\" class=\"govuk-back-link\">Pupils at risk</a>"
		"<span class=\"govuk-caption-l\">Pupil</span><h1 class=\"govuk-heading-l\">%h %h</h1>",
		rec.p.forename, rec.p.surname);
	pupil_identity(r, &rec);
	if (caps_has(r->caps, CAP_REFER))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-button\""
			" href=\"/referrals/new?upn=%u\">Refer this family</a></p>", rec.p.upn);
	if (rec.nsnaps) {
		pupil_explain(r, &rec);
		pupil_history(r, &rec);
		pupil_indicators(r, &rec.snaps[0]);
	} else {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No census extract has been imported for"
			   " this pupil yet.</p>");
	}
	pupil_siblings(r, &rec);
	page_end(r);
	return HE_OK;
}

static void snap_json(struct req *r, const struct pupil_record *rec, const struct snap *s, bool full)
{
	fmt_printf(&r->out, "{\"extract_date\":%j,\"school\":%j,", s->date, s->school);
	if (s->year == RISK_ANY_YEAR)
		fmt_printf(&r->out, "\"year_group\":null,");
	else
		fmt_printf(&r->out, "\"year_group\":%d,", s->year);
	fmt_printf(&r->out, "\"score\":%d,\"band\":%j,\"fired\":", s->score, risk_band_name(s->band));
	uint64_t mask = risk_fired_parse(rec->rs, s->fired);
	fired_json(r, rec->rs, mask);
	if (full) {
		struct buf why;
		buf_init(&why, 16384);
		risk_explain(rec->rs, mask, &why);
		fmt_printf(&r->out, ",\"explanation\":%j,\"indicators\":{", buf_str(&why));
		buf_free(&why);
		const char *att = attendance(r, s);
		fmt_printf(&r->out, "\"attendance_pct\":%s", att ? "" : "null");
		if (att)
			buf_append(&r->out, att, strlen(att) - 1);  /* digits and point only */
		for (size_t i = 0; i < NIND; i++) {
			fmt_printf(&r->out, ",%j:", inds[i].key);
			if (!s->known[i])
				fmt_printf(&r->out, "null");
			else if (inds[i].kind == IK_SEN)
				fmt_printf(&r->out, "%j", s->v[i] == 'E' ? "E" : s->v[i] == 'K' ? "K" : "N");
			else if (inds[i].kind == IK_FLAG)
				fmt_printf(&r->out, "%s", s->v[i] ? "true" : "false");
			else if (inds[i].kind == IK_DAYS10)
				fmt_printf(&r->out, "%lld.%lld", (long long)(s->v[i] / 10),
					   (long long)(s->v[i] % 10));
			else
				fmt_printf(&r->out, "%lld", (long long)s->v[i]);
		}
		buf_putc(&r->out, '}');
	}
	buf_putc(&r->out, '}');
}

int pupil_api(struct req *r)
{
	struct pupil_record rec;
	int rc = pupil_record_load(r, &rec);
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"pupil\":{\"id\":%lld,\"upn\":%j,\"forename\":%j,\"surname\":%j,"
		"\"dob\":%j,\"gender\":%j,\"school\":{\"urn\":%j,\"name\":%j}},\"latest\":",
		(long long)rec.p.id, rec.p.upn, rec.p.forename, rec.p.surname, rec.p.dob,
		rec.p.gender, rec.p.urn, rec.p.school);
	if (rec.nsnaps)
		snap_json(r, &rec, &rec.snaps[0], true);
	else
		fmt_printf(&r->out, "null");
	fmt_printf(&r->out, ",\"history\":[");
	for (size_t i = 0; i < rec.nsnaps; i++) {
		if (i)
			buf_putc(&r->out, ',');
		snap_json(r, &rec, &rec.snaps[i], false);
	}
	fmt_printf(&r->out, "],\"siblings\":[");
	for (size_t i = 0; i < rec.nsibs; i++)
		fmt_printf(&r->out, "%s{\"upn\":%j,\"forename\":%j,\"surname\":%j,\"school\":%j}",
			   i ? "," : "", rec.sibs[i].upn, rec.sibs[i].forename, rec.sibs[i].surname,
			   rec.sibs[i].school);
	fmt_printf(&r->out, "],\"siblings_elsewhere\":%zu}\n", rec.hidden);
	return HE_OK;
}
