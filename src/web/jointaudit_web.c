/* jointaudit_web.c — the coordinator's joint audit of case work: the
 * duplication check as a page, a CSV export and JSON (core/jointaudit.h).
 *
 *   GET /joint-audit[?months=N]          the page: each check explained, its findings
 *   GET /joint-audit.csv[?months=N]      the same findings, one row each
 *   GET /api/v1/joint-audit[?months=N]   JSON
 *
 * All three need CAP_CASES_ALL (the route table) and write one audit row
 * (jointaudit_run: "view", or "export" for the CSV). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csvout.h"
#include "base/date.h"
#include "base/fmt.h"
#include "core/jointaudit.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

static const int month_choices[] = {3, 6, 12, 18, 24, 36};

/* ?months=N (absent or empty: the default). */
static int read_months(struct req *r, int *months)
{
	const char *m = req_query(r, "months");
	*months = 0;
	if (!m || !*m)
		return HE_OK;
	char *end;
	long v = strtol(m, &end, 10);
	if (*end || v < 1 || v > 36)
		return req_fail(r, HE_INVALID, "months", "Enter a period of 1 to 36 months");
	*months = (int)v;
	return HE_OK;
}

static int run(struct req *r, bool export, struct jointaudit *ja)
{
	int months;
	int rc = read_months(r, &months);
	if (rc)
		return rc;
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	return jointaudit_run(r->db, &r->arena, s, date_today(), months, export, ja, &r->err);
}

/* ---- the page ------------------------------------------------------------- */

static void period_form(struct req *r, const struct jointaudit *ja)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/joint-audit\" class=\"app-filter\">"
		"<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"months\">"
		"Referrals from schools received in the last</label>"
		"<select class=\"govuk-select\" id=\"months\" name=\"months\">");
	for (size_t i = 0; i < sizeof month_choices / sizeof month_choices[0]; i++)
		fmt_printf(&r->out, "<option value=\"%d\"%s>%d months</option>", month_choices[i],
			   month_choices[i] == ja->months ? " selected" : "", month_choices[i]);
	fmt_printf(&r->out, "</select></div><button type=\"submit\" class=\"govuk-button"
		" govuk-button--secondary\" data-module=\"govuk-button\">Check again</button></form>");
}

static void summary_list(struct req *r, const struct jointaudit *ja)
{
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\" id=\"summary\">");
	for (int k = 0; k < JA_NCHECKS; k++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\""
			"govuk-summary-list__key\"><a class=\"govuk-link\" href=\"#%h\">%h</a></dt>"
			"<dd class=\"govuk-summary-list__value\" id=\"count-%h\">%d</dd></div>",
			jointaudit_checks[k].code, jointaudit_checks[k].title, jointaudit_checks[k].code,
			ja->count[k]);
	fmt_printf(&r->out, "</dl>");
}

static void links_cell(struct req *r, const struct jointaudit_finding *f)
{
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\"><ul class=\"govuk-list\">");
	for (size_t i = 0; i < f->nlinks; i++)
		fmt_printf(&r->out, "<li><a class=\"govuk-link\" href=\"%h\">%h</a> %h</li>",
			   f->links[i].href, f->links[i].ref, f->links[i].label);
	fmt_printf(&r->out, "</ul></td>");
}

static void check_section(struct req *r, const struct jointaudit *ja, int k)
{
	const struct jointaudit_check_info *ci = &jointaudit_checks[k];
	fmt_printf(&r->out, "<section class=\"app-ja-check\" aria-labelledby=\"%h\">"
		"<h2 class=\"govuk-heading-m\" id=\"%h\">%h</h2><p class=\"govuk-body\">%h</p>",
		ci->code, ci->code, ci->title, ci->explanation);
	if (k == JA_TWO_SCHOOLS)
		fmt_printf(&r->out, "<p class=\"govuk-body\">Period: referrals received since %h.</p>",
			   ja->since);
	if (!ja->count[k]) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"none-%h\">Nothing found.</p></section>",
			   ci->code);
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"findings-%h\"><caption class=\""
		"govuk-table__caption govuk-table__caption--s\">%d finding%s</caption><thead class=\""
		"govuk-table__head\"><tr class=\"govuk-table__row\"><th scope=\"col\" class=\""
		"govuk-table__header\">Family</th><th scope=\"col\" class=\"govuk-table__header\">"
		"What we found</th><th scope=\"col\" class=\"govuk-table__header\">Cases and referrals"
		"</th></tr></thead><tbody class=\"govuk-table__body\">", ci->code, ja->count[k],
		ja->count[k] == 1 ? "" : "s");
	for (size_t i = 0; i < ja->n; i++) {
		const struct jointaudit_finding *f = &ja->findings[i];
		if ((int)f->check != k)
			continue;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"%h %h</td><td class=\"govuk-table__cell\">%h</td>", f->family_ref,
			f->family_name, f->summary);
		links_cell(r, f);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table></section>");
}

int jointaudit_page(struct req *r)
{
	struct jointaudit ja;
	int rc = run(r, false, &ja);
	if (rc)
		return rc;
	page_begin(r, 200, "Joint audit of case work");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Joint audit of case work</h1>"
		"<p class=\"govuk-body\">A check across every open case, referral and plan for work"
		" that may be duplicated, to go through with the schools at the joint audit."
		" Each finding names the family and links to the cases and referrals concerned;"
		" nothing is changed by looking.</p>");
	summary_list(r, &ja);
	period_form(r, &ja);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/joint-audit.csv"
		"?months=%d\" download>Download the findings (CSV)</a></p>", ja.months);
	if (ja.truncated)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\">Only the first %d findings of a"
			" check are shown.</div>", JOINTAUDIT_MAX_FINDINGS);
	for (int k = 0; k < JA_NCHECKS; k++)
		check_section(r, &ja, k);
	page_end(r);
	return HE_OK;
}

/* ---- the CSV export --------------------------------------------------------- */

/* The finding's case (or referral) links as "C-000001 (label); …". */
static const char *links_text(struct req *r, const struct jointaudit_finding *f, bool cases)
{
	struct buf b;
	buf_init(&b, 8192);
	for (size_t i = 0; i < f->nlinks; i++)
		if (f->links[i].is_case == cases)
			buf_printf(&b, "%s%s (%s)", b.len ? "; " : "", f->links[i].ref, f->links[i].label);
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

int jointaudit_csv_page(struct req *r)
{
	struct jointaudit ja;
	int rc = run(r, true, &ja);
	if (rc)
		return rc;
	char today[11];
	date_format(date_today(), today);
	r->status = 200;
	r->content_type = "text/csv; charset=utf-8";
	buf_reset(&r->out);
	req_set_header(r, "Content-Disposition", arena_printf(&r->arena,
		       "attachment; filename=\"joint-audit-%s.csv\"", today));
	req_set_header(r, "Cache-Control", "no-store");
	static const char *const heads[] = {"Check", "Family ref", "Family", "What we found",
					    "Cases", "Referrals"};
	for (size_t c = 0; c < 6; c++)
		csv_put(&r->out, heads[c], c == 5 ? CSV_LAST : 0);
	for (size_t i = 0; i < ja.n; i++) {
		const struct jointaudit_finding *f = &ja.findings[i];
		csv_put(&r->out, jointaudit_checks[f->check].title, 0);
		csv_put(&r->out, f->family_ref, 0);
		csv_put(&r->out, f->family_name, 0);
		csv_put(&r->out, f->summary, 0);
		csv_put(&r->out, links_text(r, f, true), 0);
		csv_put(&r->out, links_text(r, f, false), CSV_LAST);
	}
	return HE_OK;
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_links(struct req *r, const struct jointaudit_finding *f, bool cases)
{
	fmt_printf(&r->out, ",%j:[", cases ? "cases" : "referrals");
	bool first = true;
	for (size_t i = 0; i < f->nlinks; i++) {
		if (f->links[i].is_case != cases)
			continue;
		fmt_printf(&r->out, "%s{\"ref\":%j,\"href\":%j,\"label\":%j}", first ? "" : ",",
			   f->links[i].ref, f->links[i].href, f->links[i].label);
		first = false;
	}
	buf_putc(&r->out, ']');
}

int jointaudit_api(struct req *r)
{
	struct jointaudit ja;
	int rc = run(r, false, &ja);
	if (rc)
		return rc;
	char today[11];
	date_format(date_today(), today);
	req_json(r, 200);
	fmt_printf(&r->out, "{\"as_of\":%j,\"months\":%d,\"since\":%j,\"truncated\":%s,\"checks\":[",
		   today, ja.months, ja.since, ja.truncated ? "true" : "false");
	for (int k = 0; k < JA_NCHECKS; k++) {
		const struct jointaudit_check_info *ci = &jointaudit_checks[k];
		fmt_printf(&r->out, "%s{\"code\":%j,\"title\":%j,\"explanation\":%j,\"count\":%d,"
			"\"findings\":[", k ? "," : "", ci->code, ci->title, ci->explanation, ja.count[k]);
		bool first = true;
		for (size_t i = 0; i < ja.n; i++) {
			const struct jointaudit_finding *f = &ja.findings[i];
			if ((int)f->check != k)
				continue;
			fmt_printf(&r->out, "%s{\"family\":{\"ref\":%j,\"name\":%j},\"summary\":%j",
				   first ? "" : ",", f->family_ref, f->family_name, f->summary);
			json_links(r, f, true);
			json_links(r, f, false);
			buf_putc(&r->out, '}');
			first = false;
		}
		buf_puts(&r->out, "]}");
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}
