/* report_out.h — printing the impact reports' tables (core/report.h): a
 * GOV.UK table (with an SVG chart of the table's chart_row), JSON, CSV and
 * XLSX, the filter form, and the report page frame.  One printer for every
 * report, so suppression, money and rates look the same everywhere and a
 * page, its JSON and its exports agree figure for figure.
 *
 * A report page handler typically:
 *     struct report_filter f;
 *     int rc = report_page_filter(r, &f);          // parses the query, 422/403 on bad input
 *     if (rc) return rc;
 *     struct rtable *t; rc = activity_by_month(r->db, &r->arena, &f, &t);
 *     if (!rc) rc = req_audit(r, "view", "reports", "activity", f.period_label);
 *     switch (report_format(r)) {              // ?format=csv|xlsx|json, or the /api/v1/ path
 *     case REPORT_HTML: report_page_begin(r, "Activity by month", &f, "/reports/activity");
 *                       report_html_table(r, t, &f); report_page_end(r); break;
 *     case REPORT_JSON: report_json(r, &t, 1, &f); break;
 *     case REPORT_CSV:  report_csv(r, t, &f); break;
 *     case REPORT_XLSX: report_xlsx(r, &t, 1, &f, "activity"); break;
 *     }
 */
#ifndef HEARTH_REPORT_OUT_H
#define HEARTH_REPORT_OUT_H
#include <stddef.h>

#include "core/report.h"

struct req;

enum report_format { REPORT_HTML, REPORT_JSON, REPORT_CSV, REPORT_XLSX };

/* JSON for /api/v1/ paths; else ?format=csv|xlsx|json; else HTML. */
enum report_format report_format(struct req *r);

/* Parse the query (period, year, from, to, district, school, phase) with
 * report_filter_from for the request's scope.  On bad input: the error is
 * set on the request (req_fail, naming the field) and its code returned. */
int report_page_filter(struct req *r, struct report_filter *f);

/* The page frame: page_begin, the heading, the report navigation (links to
 * every report the user may see), the filter form (GET, works without
 * JavaScript; a school user sees no school chooser), the period line and
 * links to the CSV, XLSX and JSON of this report with the same query. */
void report_page_begin(struct req *r, const char *title, const struct report_filter *f,
		       const char *path);
void report_page_end(struct req *r);
/* After report_page_filter failed on bad input (HE_INVALID, HE_MISSING):
 * the report's page again with a GOV.UK error summary naming the field
 * and the filter form to correct it, status 422; returns HE_OK so the
 * handler can return it.  Any other code (HE_FORBIDDEN, a database
 * error) is returned unchanged for the dispatcher's error page.  Use for
 * REPORT_HTML only.  (Added by R.) */
int report_page_invalid(struct req *r, const char *title, const char *path, int rc);
/* The filter form alone (GET to path; hidden when printed), for pages
 * that do not use report_page_begin, such as the printable Schools Forum
 * report.  (Added by R.) */
void report_filter_form(struct req *r, const char *path);

/* A table as HTML (GOV.UK table, numeric cells right-aligned, the total
 * column bold, suppressed cells "fewer than 5"), preceded by an SVG chart
 * of the chart_row (web/chart.h) when the table has one. */
void report_html_table(struct req *r, const struct rtable *t, const struct report_filter *f);
/* Tables as one JSON object {"filter":{…},"tables":{"<id>":{"title","columns":[keys],
 * "rows":[{"key","label","kind","values":{"<col key>":number|null|"fewer than 5"}}]}}}.
 * Money is in pence (kind "pence"); rates are permille (kind "permille").
 * Sets status 200. */
void report_json(struct req *r, struct rtable *const *t, size_t n, const struct report_filter *f);
/* One table as CSV (a row per measure, a column per month…; money in
 * pounds "1234.56", rates "15.7", suppressed cells "fewer than 5"); an
 * attachment named <t->id>.csv. */
void report_csv(struct req *r, const struct rtable *t, const struct report_filter *f);
/* Tables as an XLSX workbook, a sheet per table (libxlsxwriter; money with
 * a £ number format); an attachment named <name>.xlsx. */
int report_xlsx(struct req *r, struct rtable *const *t, size_t n, const struct report_filter *f,
		const char *name);

/* The filter in words, from r's arena: "1 April 2025 to 31 March 2026;
 * all districts; Primary; all schools" (district and school by name).
 * (Added by R: the page's period line, the printable report, XLSX.) */
const char *report_filter_text(struct req *r, const struct report_filter *f);

/* The query reproducing this request's filter, URL-escaped, without "?":
 * "period=financial&year=2025&district=3" ("" when none), from r's arena:
 * for links to the exports.  (Added by R.) */
const char *report_query(struct req *r);

/* A cell's text as printed ("£1,234.56", "15.7%", "fewer than 5", "–"). */
const char *report_cell_text(struct req *r, enum rcell kind, int64_t v, const struct report_filter *f);

#endif
