/* report_money_web.c — the money report and the risk and reach report
 * (core/report_money.h) as pages, JSON, CSV and XLSX.
 *
 *   GET /reports/money[?period=…&year=…&district=…&school=…&phase=…]
 *        four tables: budgets, funding sources, cost per family, families
 *        engaged per academic year; ?format=json|xlsx (every table),
 *        ?format=csv[&table=money_sources] (one table; budgets by default)
 *   GET /api/v1/reports/money            the four tables as JSON
 *   GET /reports/reach[?…]               high-risk pupils and the ones reached
 *   GET /api/v1/reports/reach            the same as JSON
 *
 * Both need CAP_IMPACT (the route table); report_page_filter applies the
 * scope (a school user: its own school; the viewer: small numbers
 * suppressed when printed).  Each request writes one audit row, entity
 * "reports", id "money" or "reach": action "view" for the page and JSON,
 * "export" for CSV and XLSX.  Every output prints the same rtables. */
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "core/report_money.h"
#include "web/dataprot_web.h"
#include "web/http.h"
#include "web/page.h"
#include "web/report_out.h"
#include "web/route.h"

#define MONEY_TABLES 4

static report_fn *const money_fns[MONEY_TABLES] = {
	report_money_budgets, report_money_sources, report_money_families, report_money_engaged,
};

/* The filter as a query string (for the per-table CSV links). */
static const char *filter_query(struct req *r, const struct report_filter *f)
{
	char from[11], to[11];
	date_format(f->from, from);
	date_format(f->to, to);
	struct buf b;
	buf_init(&b, 0);
	fmt_printf(&b, "period=custom&from=%u&to=%u", from, to);
	if (f->district_id)
		fmt_printf(&b, "&district=%lld", (long long)f->district_id);
	if (f->school_id)
		fmt_printf(&b, "&school=%lld", (long long)f->school_id);
	if (*f->phase)
		fmt_printf(&b, "&phase=%u", f->phase);
	const char *q = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return q;
}

static int audit_view(struct req *r, enum report_format fmt, const char *id, const char *what,
		      const struct report_filter *f)
{
	bool export = fmt == REPORT_CSV || fmt == REPORT_XLSX;
	return req_audit(r, export ? "export" : "view", "reports", id,
			 arena_printf(&r->arena, "%s%s, %s", what, export ? " export" : "",
				      f->period_label));
}

/* The table ?table= names (the first when absent); NULL after req_fail. */
static struct rtable *csv_table(struct req *r, struct rtable *const *t, size_t n)
{
	const char *want = req_query(r, "table");
	if (!want || !*want)
		return t[0];
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i]->id, want))
			return t[i];
	req_fail(r, HE_INVALID, "table", "Choose a table of this report");
	return NULL;
}

static void money_html(struct req *r, struct rtable *const *t, const struct report_filter *f)
{
	const char *q = filter_query(r, f);
	report_page_begin(r, "Money", f, "/reports/money");
	fmt_printf(&r->out, "<p class=\"govuk-body\">Where the partnership's money came from,"
		" what it has been committed to and spent on, and what each family's support cost."
		"</p>");
	for (size_t i = 0; i < MONEY_TABLES; i++) {
		report_html_table(r, t[i], f);
		fmt_printf(&r->out, "<p class=\"govuk-body-s\"><a class=\"govuk-link\""
			" href=\"/reports/money?%h&amp;format=csv&amp;table=%u\" id=\"csv-%h\">Download"
			" this table (CSV)</a></p>", q, t[i]->id, t[i]->id);
	}
	report_page_end(r);
}

static int money_report(struct req *r)
{
	struct report_filter f;
	int rc = report_page_filter(r, &f);
	if (rc)
		return rc;
	struct rtable *t[MONEY_TABLES];
	for (size_t i = 0; i < MONEY_TABLES; i++)
		if ((rc = money_fns[i](r->db, &r->arena, &f, &t[i])))
			return req_fail(r, rc, "", "The money report could not be read");
	enum report_format fmt = report_format(r);
	struct rtable *one = fmt == REPORT_CSV ? csv_table(r, t, MONEY_TABLES) : NULL;
	if (fmt == REPORT_CSV && !one)
		return HE_INVALID;
	if ((rc = audit_view(r, fmt, "money", "Money report", &f)))
		return rc;
	if (fmt > REPORT_JSON && (rc = dataprot_export_report(r, "money", f.period_label,
			one ? &one : t, one ? 1 : MONEY_TABLES)))
		return rc;
	switch (fmt) {
	case REPORT_HTML: money_html(r, t, &f); break;
	case REPORT_JSON: report_json(r, t, MONEY_TABLES, &f); break;
	case REPORT_CSV: report_csv(r, one, &f); break;
	case REPORT_XLSX: return report_xlsx(r, t, MONEY_TABLES, &f, "money");
	}
	return HE_OK;
}

int money_report_page(struct req *r)
{
	return money_report(r);
}

int money_report_api(struct req *r)
{
	return money_report(r);
}

/* ---- risk and reach ------------------------------------------------------------ */

static void reach_html(struct req *r, struct rtable *t, const struct report_filter *f)
{
	report_page_begin(r, "Risk and reach", f, "/reports/reach");
	fmt_printf(&r->out, "<p class=\"govuk-body\">How many of the pupils most at risk of"
		" leaving school not in education, employment or training have had help from"
		" the partnership: the gap between those identified and those helped.%s</p>",
		f->district_id || f->school_id ? "" : " Choose a district to see its schools.");
	report_html_table(r, t, f);
	report_page_end(r);
}

static int reach_report(struct req *r)
{
	struct report_filter f;
	int rc = report_page_filter(r, &f);
	if (rc)
		return rc;
	struct rtable *t;
	if ((rc = report_reach(r->db, &r->arena, &f, &t)))
		return req_fail(r, rc, "", "The risk and reach report could not be read");
	enum report_format fmt = report_format(r);
	if ((rc = audit_view(r, fmt, "reach", "Risk and reach", &f)))
		return rc;
	if (fmt > REPORT_JSON && (rc = dataprot_export_report(r, "reach", f.period_label, &t, 1)))
		return rc;
	switch (fmt) {
	case REPORT_HTML: reach_html(r, t, &f); break;
	case REPORT_JSON: report_json(r, &t, 1, &f); break;
	case REPORT_CSV: report_csv(r, t, &f); break;
	case REPORT_XLSX: return report_xlsx(r, &t, 1, &f, "reach");
	}
	return HE_OK;
}

int reach_report_page(struct req *r)
{
	return reach_report(r);
}

int reach_report_api(struct req *r)
{
	return reach_report(r);
}
