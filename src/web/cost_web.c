/* cost_web.c — cost per family (core/cost.h): the section of the family
 * page, the coordinator's yearly report as a page, a CSV export and JSON.
 *
 *   (family page)                          money committed and spent, hours, total
 *   GET /costs[?period=financial&year=2026]          the year: headline, a row per case
 *   GET /costs.csv[?period=…&year=…]                 the same rows and the totals
 *   GET /api/v1/costs[?period=…&year=…]              JSON, money in integer pence
 *
 * The three report routes need CAP_REPORTS (the route table) and write one
 * audit row each (cost_report_run: "view", or "export" for the CSV).
 * period defaults to "financial" and year to the year containing today.
 * Every figure comes from cost_report_run, so page, CSV and API agree to
 * the penny; money prints through money_format / money_plain. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csvout.h"
#include "base/date.h"
#include "base/fmt.h"
#include "base/money.h"
#include "core/cost.h"
#include "web/case_sections.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

/* Minutes as hours to one decimal, rounded half up: 750 → "12.5". */
static void hours_text(int64_t minutes, char out[32])
{
	int64_t tenths = (minutes * 10 + 30) / 60;
	snprintf(out, 32, "%" PRId64 ".%" PRId64, tenths / 10, tenths % 10);
}

static const char *pounds(struct req *r, int64_t pence)
{
	char b[32];
	money_format(pence, b);
	return arena_strdup(&r->arena, b);
}

/* ---- the family page's section ---------------------------------------------- */

static void section_row(struct req *r, const char *id, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\""
		"govuk-summary-list__key\">%h</dt><dd class=\"govuk-summary-list__value\" id=\"%h\">"
		"%h</dd></div>", key, id, value);
}

void cost_case_section(struct req *r, const struct case_record *c)
{
	const struct scope *s = req_scope(r);
	struct cost_case cc;
	struct errinfo e = {0};
	int64_t hour;
	if (!s || cost_case_get(r->db, &r->arena, s, c->id, &cc, &e) ||
	    cost_hour_pence(r->db, &hour))
		return;
	char h[32];
	hours_text(cc.minutes, h);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"costs\">What the support has cost</h2>"
		"<dl class=\"govuk-summary-list\" id=\"cost-summary\">");
	section_row(r, "cost-committed", "Services and grants approved", pounds(r, cc.committed_pence));
	section_row(r, "cost-spent", "Services and grants paid", pounds(r, cc.spent_pence));
	if (cc.pending_pence)
		section_row(r, "cost-pending", "Waiting for approval (not counted)",
			    pounds(r, cc.pending_pence));
	section_row(r, "cost-hours", "Worker time (contacts held)",
		    arena_printf(&r->arena, "%s hours at %s an hour", h, pounds(r, hour)));
	section_row(r, "cost-time", "Cost of worker time", pounds(r, cc.time_pence));
	section_row(r, "cost-total", "Total", pounds(r, cc.total_pence));
	fmt_printf(&r->out, "</dl><p class=\"govuk-body-s\">Approved services count at their"
		" estimate until delivered, then at their actual cost; paid ones less any refund."
		" Worker time is the length of every contact held, costed once for the whole case"
		" and rounded to the penny.</p>");
}

/* ---- reading the period --------------------------------------------------------- */

static int run(struct req *r, bool export, struct cost_report *rep)
{
	const char *period = req_query(r, "period"), *year = req_query(r, "year");
	if (!period || !*period)
		period = "financial";
	if (strcmp(period, "financial") && strcmp(period, "academic"))
		return req_fail(r, HE_INVALID, "period", "Choose the financial year or the academic year");
	int y = cost_period_year(period, date_today());
	if (year && *year) {
		char *end;
		long v = strtol(year, &end, 10);
		if (*end || v < 2000 || v > 2100)
			return req_fail(r, HE_INVALID, "year", "Enter a year from 2000 to 2100");
		y = (int)v;
	}
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	return cost_report_run(r->db, &r->arena, s, period, y, export, rep, &r->err);
}

/* ---- the page ---------------------------------------------------------------------- */

static void period_form(struct req *r, const struct cost_report *rep)
{
	int now = cost_period_year(rep->period, date_today());
	fmt_printf(&r->out, "<form method=\"get\" action=\"/costs\" class=\"app-filter\" id=\"period-form\">"
		"<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"period\">Kind of year"
		"</label><select class=\"govuk-select\" id=\"period\" name=\"period\">"
		"<option value=\"financial\"%s>Financial year (April to March)</option>"
		"<option value=\"academic\"%s>Academic year (September to August)</option></select></div>"
		"<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"year\">Year starting in"
		"</label><select class=\"govuk-select\" id=\"year\" name=\"year\">",
		strcmp(rep->period, "financial") ? "" : " selected",
		strcmp(rep->period, "academic") ? "" : " selected");
	int lo = now - 6 < rep->start_year ? now - 6 : rep->start_year;
	int hi = now + 1 > rep->start_year ? now + 1 : rep->start_year;
	for (int y = hi; y >= lo; y--)
		fmt_printf(&r->out, "<option value=\"%d\"%s>%d</option>", y,
			   y == rep->start_year ? " selected" : "", y);
	fmt_printf(&r->out, "</select></div><button type=\"submit\" class=\"govuk-button"
		" govuk-button--secondary\" data-module=\"govuk-button\">Show the year</button></form>");
}

static void summary(struct req *r, const struct cost_report *rep)
{
	char h[32];
	hours_text(rep->minutes, h);
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"cost-totals\">");
	section_row(r, "total-families", "Families supported", arena_printf(&r->arena, "%d (%zu case%s)",
		    rep->families, rep->ncases, rep->ncases == 1 ? "" : "s"));
	section_row(r, "total-commissioned", "Services and grants (approved and paid)",
		    pounds(r, rep->commissioned_pence));
	section_row(r, "total-time", "Worker time", arena_printf(&r->arena, "%s hours at %s an hour: %s",
		    h, pounds(r, rep->hour_pence), pounds(r, rep->time_pence)));
	section_row(r, "total-cost", "Total", pounds(r, rep->total_pence));
	section_row(r, "per-family", "Cost per family", pounds(r, rep->per_family_pence));
	fmt_printf(&r->out, "</dl>");
}

static void td_money(struct req *r, int64_t pence)
{
	fmt_printf(&r->out, "<td class=\"govuk-table__cell govuk-table__cell--numeric\">%h</td>",
		   pounds(r, pence));
}

static void case_row(struct req *r, const struct cost_case *c)
{
	char h[32];
	hours_text(c->minutes, h);
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h %h</td>",
		   c->family_ref, c->family_name);
	if (caps_has(r->caps, CAP_CASES))
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\"><a class=\"govuk-link\""
			" href=\"/cases/%u#costs\">%h</a></td>", c->ref, c->ref);
	else
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h</td>", c->ref);
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">"
		"%h</td><td class=\"govuk-table__cell govuk-table__cell--numeric\">%h</td>",
		*c->school_name ? c->school_name : "No school", c->worker_name, h);
	td_money(r, c->time_pence);
	td_money(r, c->commissioned_pence);
	td_money(r, c->total_pence);
	fmt_printf(&r->out, "</tr>");
}

static void cases_table(struct req *r, const struct cost_report *rep)
{
	if (!rep->ncases) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"no-cases\">No cases were open in"
			" this year.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"cost-cases\"><caption class=\""
		"govuk-table__caption govuk-table__caption--m\">Each case in the year</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th_n(r, "Family", false);
	page_th_n(r, "Case", false);
	page_th_n(r, "School", false);
	page_th_n(r, "Worker", false);
	page_th_n(r, "Hours", true);
	page_th_n(r, "Time cost", true);
	page_th_n(r, "Commissioned", true);
	page_th_n(r, "Total", true);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < rep->ncases; i++)
		case_row(r, &rep->cases[i]);
	char h[32];
	hours_text(rep->minutes, h);
	fmt_printf(&r->out, "</tbody><tfoot><tr class=\"govuk-table__row\" id=\"cost-total-row\">"
		"<th scope=\"row\" class=\"govuk-table__header\" colspan=\"4\">Total</th>"
		"<td class=\"govuk-table__cell govuk-table__cell--numeric\">%h</td>", h);
	td_money(r, rep->time_pence);
	td_money(r, rep->commissioned_pence);
	td_money(r, rep->total_pence);
	fmt_printf(&r->out, "</tr></tfoot></table>");
}

int costs_page(struct req *r)
{
	struct cost_report rep;
	int rc = run(r, false, &rep);
	if (rc)
		return rc;
	page_begin(r, 200, "Cost per family");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Cost per family</h1>"
		"<p class=\"govuk-body\">What each family's support cost in a year: the services and"
		" household grants commissioned for their case, and the time their worker spent with"
		" them.</p>");
	period_form(r, &rep);
	fmt_printf(&r->out, "<div class=\"govuk-panel app-cost-headline\" id=\"headline\">"
		"<h2 class=\"govuk-heading-m\">%h</h2><p class=\"govuk-body\">%h</p></div>",
		rep.label, cost_headline(&r->arena, &rep));
	summary(r, &rep);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/costs.csv?"
		"period=%u&amp;year=%d\" download>Download the year (CSV)</a></p>", rep.period,
		rep.start_year);
	cases_table(r, &rep);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-s\">How the figures are worked out</h2>"
		"<p class=\"govuk-body-s\">A case counts in the year when it was open at any time from"
		" %h to %h. Services and grants count in the year they were approved: at their estimate"
		" until delivered, then at their actual cost, and less any refund once paid. Requests"
		" still waiting for approval, declined and cancelled ones count nothing. Worker time is"
		" the length of the contacts held in the year, at %h an hour, costed once per case and"
		" rounded to the penny; the totals are the sums of the rows, and the cost per family is"
		" the total divided by the number of families (a family with two cases counts once).</p>",
		rep.from, rep.to, pounds(r, rep.hour_pence));
	page_end(r);
	return HE_OK;
}

/* ---- the CSV export ---------------------------------------------------------------- */

/* A money cell: pounds with two decimals, no £ (a number to a spreadsheet). */
static void csv_money(struct buf *b, int64_t pence, bool last)
{
	char p[32];
	money_plain(pence, p);
	buf_puts(b, p);
	buf_puts(b, last ? "\r\n" : ",");
}

static void csv_int(struct buf *b, int64_t n)
{
	buf_printf(b, "%" PRId64 ",", n);
}

static void csv_figures(struct buf *b, int64_t minutes, int64_t time, int64_t committed,
			int64_t spent, int64_t commissioned, int64_t total)
{
	char h[32];
	csv_int(b, minutes);
	hours_text(minutes, h);
	buf_puts(b, h);
	buf_putc(b, ',');
	csv_money(b, time, false);
	csv_money(b, committed, false);
	csv_money(b, spent, false);
	csv_money(b, commissioned, false);
	csv_money(b, total, true);
}

int costs_csv_page(struct req *r)
{
	struct cost_report rep;
	int rc = run(r, true, &rep);
	if (rc)
		return rc;
	r->status = 200;
	r->content_type = "text/csv; charset=utf-8";
	buf_reset(&r->out);
	req_set_header(r, "Content-Disposition", arena_printf(&r->arena,
		       "attachment; filename=\"costs-%s-%d.csv\"", rep.period, rep.start_year));
	req_set_header(r, "Cache-Control", "no-store");
	static const char *const heads[] = {"Family ref", "Family", "Case ref", "Case status",
		"School", "Worker", "Minutes", "Hours", "Time cost", "Committed", "Spent",
		"Commissioned", "Total"};
	for (size_t c = 0; c < 13; c++)
		csv_put(&r->out, heads[c], c == 12 ? CSV_LAST : 0);
	for (size_t i = 0; i < rep.ncases; i++) {
		const struct cost_case *c = &rep.cases[i];
		csv_put(&r->out, c->family_ref, 0);
		csv_put(&r->out, c->family_name, 0);
		csv_put(&r->out, c->ref, 0);
		csv_put(&r->out, c->status, 0);
		csv_put(&r->out, c->school_name, 0);
		csv_put(&r->out, c->worker_name, 0);
		csv_figures(&r->out, c->minutes, c->time_pence, c->committed_pence, c->spent_pence,
			    c->commissioned_pence, c->total_pence);
	}
	csv_put(&r->out, "Total", 0);
	csv_put(&r->out, arena_printf(&r->arena, "%d families", rep.families), 0);
	csv_put(&r->out, arena_printf(&r->arena, "%zu cases", rep.ncases), 0);
	csv_put(&r->out, rep.label, 0);
	csv_put(&r->out, "", 0);
	csv_put(&r->out, "", 0);
	csv_figures(&r->out, rep.minutes, rep.time_pence, rep.committed_pence, rep.spent_pence,
		    rep.commissioned_pence, rep.total_pence);
	csv_put(&r->out, "Cost per family", 0);
	for (int k = 0; k < 11; k++)
		csv_put(&r->out, "", 0);
	csv_money(&r->out, rep.per_family_pence, true);
	return HE_OK;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void json_case(struct req *r, const struct cost_case *c, bool first)
{
	fmt_printf(&r->out, "%s{\"case\":{\"ref\":%j,\"status\":%j,\"opened_on\":%j},"
		"\"family\":{\"ref\":%j,\"name\":%j},\"school\":%j,\"worker\":%j,\"minutes\":%" PRId64
		",\"time_pence\":%" PRId64 ",\"committed_pence\":%" PRId64 ",\"spent_pence\":%" PRId64
		",\"pending_pence\":%" PRId64 ",\"commissioned_pence\":%" PRId64 ",\"total_pence\":%"
		PRId64 "}", first ? "" : ",", c->ref, c->status, c->opened_on, c->family_ref,
		c->family_name, c->school_name, c->worker_name, c->minutes, c->time_pence,
		c->committed_pence, c->spent_pence, c->pending_pence, c->commissioned_pence,
		c->total_pence);
}

int costs_api(struct req *r)
{
	struct cost_report rep;
	int rc = run(r, false, &rep);
	if (rc)
		return rc;
	req_json(r, 200);
	fmt_printf(&r->out, "{\"period\":%j,\"year\":%d,\"label\":%j,\"from\":%j,\"to\":%j,"
		"\"hour_pence\":%" PRId64 ",\"headline\":%j,\"totals\":{\"families\":%d,\"cases\":%zu,"
		"\"minutes\":%" PRId64 ",\"time_pence\":%" PRId64 ",\"committed_pence\":%" PRId64
		",\"spent_pence\":%" PRId64 ",\"pending_pence\":%" PRId64 ",\"commissioned_pence\":%"
		PRId64 ",\"total_pence\":%" PRId64 ",\"per_family_pence\":%" PRId64 "},\"cases\":[",
		rep.period, rep.start_year, rep.label, rep.from, rep.to, rep.hour_pence,
		cost_headline(&r->arena, &rep), rep.families, rep.ncases, rep.minutes, rep.time_pence,
		rep.committed_pence, rep.spent_pence, rep.pending_pence, rep.commissioned_pence,
		rep.total_pence, rep.per_family_pence);
	for (size_t i = 0; i < rep.ncases; i++)
		json_case(r, &rep.cases[i], i == 0);
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}
