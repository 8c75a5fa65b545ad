/* report_activity_web.c — the activity reports (core/report_activity.h)
 * as pages, JSON, CSV and XLSX.
 *
 *   GET /reports/activity[?filter][&format=csv|xlsx|json]    activity by month
 *   GET /reports/caseloads[?filter][&format=…][&table=waits] caseloads and waits
 *   GET /api/v1/reports/activity[?filter]                    {"filter","tables":{"activity"}}
 *   GET /api/v1/reports/caseloads[?filter]                   {"filter","tables":{"caseloads","waits"}}
 *
 * The filter (period, year, from, to, district, school, phase) is
 * report_page_filter's, scoped to the user: a school user sees its own
 * school, the viewer every school with small numbers suppressed.  Every
 * route needs CAP_IMPACT (the route table) and writes one audit row:
 * "view" for the page and JSON, "export" for CSV and XLSX, entity
 * "reports", id "activity" or "caseloads", the filter in words as the
 * summary.  The caseloads CSV is one table: the caseloads, or the waits
 * with table=waits; its XLSX has both.  Every figure is the core
 * function's rtable printed by web/report_out.h, so page, JSON and
 * exports agree. */
#include <string.h>

#include "base/fmt.h"
#include "core/report.h"
#include "core/report_activity.h"
#include "store/db.h"
#include "web/dataprot_web.h"
#include "web/http.h"
#include "web/page.h"
#include "web/report_out.h"
#include "web/route.h"

/* The filter and the tables of one view; the audit row. */
static int load(struct req *r, const char *id, report_fn *const *fns, size_t n,
		struct report_filter *f, struct rtable **t)
{
	int rc = report_page_filter(r, f);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = fns[i](r->db, &r->arena, f, &t[i]);
		if (rc)
			return req_fail(r, rc, "", arena_printf(&r->arena, "The report could not be"
					" worked out: %s", db_errmsg(r->db)));
	}
	if (rc)
		return rc;
	enum report_format k = report_format(r);
	bool export = k == REPORT_CSV || k == REPORT_XLSX;
	rc = req_audit(r, export ? "export" : "view", "reports", id, report_filter_text(r, f));
	return rc || !export ? rc : dataprot_export_report(r, id, report_filter_text(r, f), t, n);
}

/* Print t[0..n-1] as the request asks; csv is the table a CSV gets. */
static int emit(struct req *r, const char *title, const char *path, const char *name,
		struct rtable **t, size_t n, size_t csv, const struct report_filter *f)
{
	switch (report_format(r)) {
	case REPORT_JSON:
		report_json(r, t, n, f);
		return HE_OK;
	case REPORT_CSV:
		report_csv(r, t[csv], f);
		return HE_OK;
	case REPORT_XLSX:
		return report_xlsx(r, t, n, f, name);
	case REPORT_HTML:
		break;
	}
	report_page_begin(r, title, f, path);
	for (size_t i = 0; i < n; i++)
		report_html_table(r, t[i], f);
	return HE_OK;
}

/* ---- activity by month ------------------------------------------------------ */

static void activity_notes(struct req *r)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-s\" id=\"activity-notes\">How the figures are"
		" counted</h2><ul class=\"govuk-list govuk-list--bullet govuk-body-s\">"
		"<li>A referral counts in the month it was received, by where it came from: a school"
		" (by the school's phase), another agency, a step-down from children's social care, or"
		" the family itself. Decisions count in the month they were made.</li>"
		"<li>A case opens when a worker is allocated. It is open until it is closed, or stepped"
		" up to children's social care, whichever comes first. Cases open at month end are"
		" counted at the end of each month's last day; their Total is the last month's figure,"
		" not a sum.</li>"
		"<li>Stepped up counts referrals stepped up at screening and open cases stepped up."
		" Stepped down counts families stepped down to the pool from children's social care,"
		" for the school of the case that was stepped up.</li>"
		"<li>Cases from before Hearth (loaded from the partnership's history) are counted with"
		" the rest. With a school, district or phase chosen, only referrals from those schools"
		" count.</li></ul>");
}

static int activity_run(struct req *r)
{
	static report_fn *const fns[] = {report_activity};
	struct report_filter f;
	struct rtable *t[1];
	int rc = load(r, "activity", fns, 1, &f, t);
	if (rc)
		return rc;
	rc = emit(r, "Activity by month", "/reports/activity", "activity", t, 1, 0, &f);
	if (rc || report_format(r) != REPORT_HTML)
		return rc;
	activity_notes(r);
	report_page_end(r);
	return HE_OK;
}

int report_activity_page(struct req *r)
{
	return activity_run(r);
}

int report_activity_api(struct req *r)
{
	return activity_run(r);
}

/* ---- caseloads and waits ---------------------------------------------------- */

static void caseloads_notes(struct req *r)
{
	const char *q = report_query(r);
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\"><a class=\"govuk-link\""
		" id=\"export-waits-csv\" href=\"/reports/caseloads?%h%stable=waits&amp;format=csv\">"
		"Download the waits (CSV)</a></p>"
		"<h2 class=\"govuk-heading-s\" id=\"caseloads-notes\">How the figures are counted</h2>"
		"<ul class=\"govuk-list govuk-list--bullet govuk-body-s\">"
		"<li>A case weighs 1 (light), 2 (standard) or 3 (intensive). A worker's capacity is"
		" twice their maximum caseload: a worker with a maximum of 18 has 36 weighted places,"
		" that is 18 standard cases.</li>"
		"<li>Caseloads are counted on the last day of the period, or today if that is"
		" earlier. Cases from before Hearth have no worker here and are not counted.</li>"
		"<li>Waits are counted in days from the day a referral was received to the day a"
		" worker was allocated, by the month of allocation, cases from before Hearth included."
		" The 90th percentile is the wait that 9 in 10 families waited no longer than. A"
		" median or percentile of fewer than 5 cases is not shown.</li></ul>",
		q, *q ? "&amp;" : "");
}

static int caseloads_run(struct req *r)
{
	static report_fn *const fns[] = {report_caseloads, report_waits};
	struct report_filter f;
	struct rtable *t[2];
	const char *table = req_query(r, "table");
	size_t csv = table && !strcmp(table, "waits") ? 1 : 0;
	if (table && *table && strcmp(table, "waits") && strcmp(table, "caseloads"))
		return req_fail(r, HE_INVALID, "table", "Choose the caseloads or the waits");
	int rc = load(r, "caseloads", fns, 2, &f, t);
	if (rc)
		return rc;
	rc = emit(r, "Caseloads and waits", "/reports/caseloads", "caseloads", t, 2, csv, &f);
	if (rc || report_format(r) != REPORT_HTML)
		return rc;
	caseloads_notes(r);
	report_page_end(r);
	return HE_OK;
}

int report_caseloads_page(struct req *r)
{
	return caseloads_run(r);
}

int report_caseloads_api(struct req *r)
{
	return caseloads_run(r);
}
