/* report_web.c — the impact reports' index, the printable Schools Forum
 * report, its workbook and the dashboard JSON: every section of the
 * registry report_sections[] (core/report.h) for one filter.
 *
 *   GET /reports                       the index: each report with a link
 *   GET /reports/forum[?filter]        every section's table one after another,
 *                                      printable (no service chrome)
 *   GET /reports/forum.xlsx[?filter]   the same tables, a sheet each
 *   GET /api/v1/reports/dashboard[?filter]   the same tables as one JSON
 *
 * The filter is report_page_filter's (period, year, from, to, district,
 * phase, school), scoped to the user: a school user sees its own school,
 * the viewer every school with numbers below 5 suppressed.  Every route
 * needs CAP_IMPACT (the route table); each view of figures writes one
 * audit row (entity "reports", id "forum" or "dashboard"; the workbook is
 * an "export").  Each section is one query set of its own (no per-row
 * queries here); they run side by side on the report pool
 * (core/report_pool.h), so on two cores the dashboard takes about half the
 * sum of its sections when the machine is otherwise idle. */
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "core/report.h"
#include "core/report_pool.h"
#include "store/db.h"
#include "web/dataprot_web.h"
#include "web/http.h"
#include "web/page.h"
#include "web/report_out.h"
#include "web/route.h"
#include "web/server.h"

/* The partnership's name for the report's heading (setting
 * partnership.name; "The partnership" when unset). */
static const char *partnership_name(struct req *r)
{
	const char *name = "The partnership";
	struct db_stmt *st = db_prepare(r->db, "SELECT value FROM settings WHERE key = 'partnership.name'");
	if (db_next(st) && db_text(st, 0) && *db_text(st, 0))
		name = arena_strdup(&r->arena, db_text(st, 0));
	db_finalize(st);
	return name;
}

/* Every section's table for f, in the registry's order, worked out side
 * by side on the report pool (core/report_pool.h). */
static int run_sections(struct req *r, const struct report_filter *f, struct rtable ***out, size_t *n)
{
	size_t total = report_nsections;
	struct rtable **all = arena_alloc(&r->arena, (total ? total : 1) * sizeof *all);
	struct rtable **t = arena_alloc(&r->arena, (total ? total : 1) * sizeof *t);
	*out = t;
	*n = 0;
	size_t failed = 0;
	char why[256] = "";
	int rc = report_pool_run(r->db, server_db_url(), &r->arena, f, all, &failed, why, sizeof why);
	if (rc)
		return req_fail(r, rc, "", arena_printf(&r->arena, "The report “%s” could not be"
				" worked out: %s", report_sections[failed].title, why));
	for (size_t i = 0; i < total; i++)
		if (all[i])
			t[(*n)++] = all[i];
	return HE_OK;
}

/* The filter, the tables and the audit row of one view or export. */
static int load(struct req *r, const char *action, const char *id, struct report_filter *f,
		struct rtable ***t, size_t *n)
{
	int rc = report_page_filter(r, f);
	if (!rc)
		rc = run_sections(r, f, t, n);
	if (!rc)
		rc = req_audit(r, action, "reports", id, report_filter_text(r, f));
	return rc;
}

/* ---- the index ----------------------------------------------------------------------- */

int reports_page(struct req *r)
{
	page_begin(r, 200, "Impact reports");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Impact reports</h1><p class=\"govuk-body\">"
		"What the partnership's family support has done: referrals and cases, caseloads and"
		" waits, money, outcomes, reach and surveys, for any period, district, school phase%s.</p>",
		caps_has(r->caps, CAP_REPORTS) || !caps_has(r->caps, CAP_REPORTS_OWN) ? " or school" : "");
	if (!caps_has(r->caps, CAP_REPORTS) && caps_has(r->caps, CAP_REPORTS_OWN))
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"reports-scope\">You see your own school's"
			" figures.</p>");
	else if (!caps_has(r->caps, CAP_REPORTS))
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"reports-scope\">You see every school's"
			" figures added together; numbers from 1 to 4 are shown as “fewer than 5”.</p>");
	fmt_printf(&r->out, "<ul class=\"govuk-list govuk-list--spaced\" id=\"report-list\">");
	for (size_t i = 0; i < report_nsections; i++)
		if (report_sections[i].path)
			fmt_printf(&r->out, "<li><a class=\"govuk-link govuk-!-font-weight-bold\" href=\"%h\">%h</a>"
				"</li>", report_sections[i].path, report_sections[i].title);
	if (!report_nsections)
		fmt_printf(&r->out, "<li id=\"reports-none\">No reports are set up yet.</li>");
	fmt_printf(&r->out, "</ul><h2 class=\"govuk-heading-m\">Everything at once</h2>"
		"<ul class=\"govuk-list\" id=\"report-all\"><li><a class=\"govuk-link\" href=\"/reports/forum\">"
		"The Schools Forum report</a>: every table above, one after another, ready to print.</li>"
		"<li><a class=\"govuk-link\" href=\"/reports/forum.xlsx\">The same as a spreadsheet (XLSX)</a>,"
		" a sheet for each table.</li><li><a class=\"govuk-link\" href=\"/api/v1/reports/dashboard\">"
		"The same as JSON</a>, for other systems.</li></ul>");
	page_end(r);
	return HE_OK;
}

/* ---- the printable Schools Forum report ---------------------------------------------------- */

static void forum_head(struct req *r, const struct report_filter *f)
{
	char today[11];
	date_format(date_today(), today);
	const char *covering = report_filter_text(r, f), *places = strstr(covering, "; ");
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\"><a class=\"govuk-link\" href=\"/reports\">"
		"Back to the reports</a> · Use your browser's Print command to print this report.</p>"
		"<span class=\"govuk-caption-l\" id=\"forum-partnership\">%h</span>"
		"<h1 class=\"govuk-heading-l\">Report to the Schools Forum</h1>"
		"<dl class=\"govuk-summary-list hearth-print-summary\" id=\"forum-summary\">"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Period</dt>"
		"<dd class=\"govuk-summary-list__value\" id=\"forum-period\">%h</dd></div>"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Covering</dt>"
		"<dd class=\"govuk-summary-list__value\" id=\"forum-filter\">%h</dd></div>"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Produced on</dt>"
		"<dd class=\"govuk-summary-list__value\">%h</dd></div></dl>",
		partnership_name(r), f->period_label, places ? places + 2 : covering, page_day(r, today));
	report_filter_form(r, "/reports/forum");
}

static void forum_suppression(struct req *r, const struct report_filter *f)
{
	fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"forum-suppression\">%s</div>",
		   f->suppress ? "To protect families' privacy, numbers from 1 to 4 are shown as “fewer"
		   " than 5”, and rates and averages worked out from fewer than 5 families are not"
		   " shown." : "This copy shows every number. Before sharing it outside the partnership,"
		   " print it from a Schools Forum member's account, which shows numbers from 1 to 4 as"
		   " “fewer than 5”.");
}

static int forum_html(struct req *r, const struct report_filter *f, struct rtable **t, size_t n)
{
	page_begin_bare(r, 200, "Report to the Schools Forum");
	forum_head(r, f);
	forum_suppression(r, f);
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\"><a class=\"govuk-link\" id=\"forum-xlsx\""
		" href=\"/reports/forum.xlsx%s%h\">Download these tables as a spreadsheet (XLSX)</a></p>",
		*report_query(r) ? "?" : "", report_query(r));
	if (!n)
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"forum-empty\">No reports are set up yet.</p>");
	for (size_t i = 0; i < n; i++)
		report_html_table(r, t[i], f);
	fmt_printf(&r->out, "<p class=\"govuk-body-s\">Figures include the cases loaded from before the"
		" partnership used Hearth, wherever the same measure was recorded then.</p>");
	page_end_bare(r);
	return HE_OK;
}

/* Bad filter input: the printable page's head again with the error
 * summary and the form, 422 (anything else goes to the error page). */
static int forum_invalid(struct req *r, int rc)
{
	if (rc != HE_INVALID && rc != HE_MISSING)
		return rc;
	page_begin_bare(r, 422, "Report to the Schools Forum");
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/reports\">"
		"Back to the reports</a></p><h1 class=\"govuk-heading-l\">Report to the Schools Forum</h1>");
	page_error_summary(r, &r->err);
	report_filter_form(r, "/reports/forum");
	page_end_bare(r);
	return HE_OK;
}

int reports_forum_page(struct req *r)
{
	struct report_filter f;
	struct rtable **t;
	size_t n;
	enum report_format fmt = report_format(r);
	if (fmt == REPORT_CSV)   /* several tables: one CSV cannot hold them */
		return req_fail(r, HE_INVALID, "format", "Download the Schools Forum report as a"
				" spreadsheet (XLSX): it has a table for each report");
	int rc = load(r, fmt == REPORT_HTML ? "view" : "export", "forum", &f, &t, &n);
	if (!rc && fmt != REPORT_HTML)
		rc = dataprot_export_report(r, "forum", report_filter_text(r, &f), t, n);
	if (rc && fmt == REPORT_HTML)
		return forum_invalid(r, rc);
	if (rc)
		return rc;
	if (fmt == REPORT_XLSX)
		return report_xlsx(r, t, n, &f, "schools-forum-report");
	if (fmt == REPORT_JSON) {
		report_json(r, t, n, &f);
		return HE_OK;
	}
	return forum_html(r, &f, t, n);
}

int reports_forum_xlsx_page(struct req *r)
{
	struct report_filter f;
	struct rtable **t;
	size_t n;
	int rc = load(r, "export", "forum", &f, &t, &n);
	if (!rc)
		rc = dataprot_export(r, "reports/forum", "xlsx", report_filter_text(r, &f),
				     dataprot_rows(t, n));
	if (rc)
		return rc;
	return report_xlsx(r, t, n, &f, "schools-forum-report");
}

/* ---- the dashboard JSON ----------------------------------------------------------------------- */

int reports_dashboard_api(struct req *r)
{
	struct report_filter f;
	struct rtable **t;
	size_t n;
	int rc = load(r, "view", "dashboard", &f, &t, &n);
	if (rc)
		return rc;
	report_json(r, t, n, &f);
	return HE_OK;
}
