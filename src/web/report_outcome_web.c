/* report_outcome_web.c — the outcomes report (core/report_outcome.h) and
 * destinations at 16 (core/destination.h).
 *
 *   GET  /reports/outcomes[?period=…&year=…&district=…&school=…&phase=…]
 *        the outcomes table, a before/after chart, the distance travelled
 *        chart and table; ?format=json|xlsx (both tables),
 *        ?format=csv[&table=distance] (one table; outcomes by default)
 *   GET  /api/v1/reports/outcomes          both tables as JSON
 *   GET  /destinations                     the children aged 15–17 of the
 *        caller's cases, each with a form to record their destination
 *   POST /destinations                     upn, destination, on, note
 *   POST /api/v1/pupils/{upn}/destination  {"destination","on","note"}
 *
 * The reports need CAP_IMPACT (the route table); report_page_filter
 * applies the scope (a school user: its own school; the viewer: small
 * numbers suppressed).  Each writes one audit row, entity "reports", id
 * "outcomes": "view" for the page and JSON, "export" for CSV and XLSX.
 * Destinations need CAP_CASES; the core limits them to the children of
 * the caller's cases (a pupil out of reach is 404, audited "denied"). */
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/fmt.h"
#include "base/valid.h"
#include "core/destination.h"
#include "core/report_outcome.h"
#include "web/dataprot_web.h"
#include "web/chart.h"
#include "web/http.h"
#include "web/page.h"
#include "web/report_out.h"
#include "web/route.h"

/* ---- the report ------------------------------------------------------------------ */

/* A row's value as a chart percentage, or -1 (none, or hidden from the viewer). */
static double pct(const struct rtable *t, const char *key, const char *base_key,
		  const struct report_filter *f)
{
	struct rrow *w = rtable_find((struct rtable *)t, key);
	if (!w || w->v[0] == RC_NONE || w->v[0] == RC_SMALL_BASE || w->v[0] < 0)
		return -1;
	if (!base_key)
		return (double)w->v[0] / 10.0;     /* permille */
	struct rrow *b = rtable_find((struct rtable *)t, base_key);
	int64_t n = b ? b->v[0] : 0;
	if (n <= 0 || (f->suppress && n < REPORT_SUPPRESS_BELOW))
		return -1;
	return 100.0 * (double)w->v[0] / (double)n;
}

static void before_after_chart(struct req *r, const struct rtable *t, const struct report_filter *f)
{
	static const char *const labels[] = {"Attendance", "Children suspended",
					     "Children below the expected standard"};
	static const struct chart_series series[] = {{"Term before referral", NULL},
						     {"Latest term", NULL}};
	double v[6] = {
		pct(t, "attendance_before", NULL, f), pct(t, "attendance_after", NULL, f),
		pct(t, "suspended_before", "suspension_children", f),
		pct(t, "suspended_after", "suspension_children", f),
		pct(t, "below_expected_before", "attainment_children", f),
		pct(t, "below_expected_after", "attainment_children", f),
	};
	struct chart c = {
		.id = "chart-before-after", .title = "Before and after support",
		.desc = "For the children of the families whose case closed: average attendance, the"
			" share suspended and the share below the expected standard, in the term before"
			" referral and in the latest term, as percentages.",
		.label_head = "Measure", .labels = labels, .nlabels = 3, .series = series, .nseries = 2,
		.values = v, .max = 100, .ticks = 4, .unit = "%",
	};
	fmt_printf(&r->out, "<div class=\"hearth-chart\" id=\"chart-before-after-box\">");
	chart_hbars(&r->out, &c);
	fmt_printf(&r->out, "</div>");
}

static void distance_chart(struct req *r, const struct rtable *t)
{
	size_t n = t->nrows > 0 ? t->nrows - 1 : 0;    /* the domains, after the cases row */
	if (!n)
		return;
	const char **labels = arena_alloc(&r->arena, n * sizeof *labels);
	double *v = arena_alloc(&r->arena, 2 * n * sizeof *v);
	size_t drawn = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rrow *w = &t->rows[i + 1];
		labels[i] = w->label;
		for (int k = 0; k < 2; k++) {
			int64_t x = w->v[k];
			v[2 * i + k] = x == RC_NONE || x == RC_SMALL_BASE || x < 0 ? -1 : (double)x / 10.0;
			drawn += x >= 0;
		}
	}
	if (!drawn)
		return;
	static const struct chart_series series[] = {{"First assessment", NULL},
						     {"Latest assessment", NULL}};
	struct chart c = {
		.id = "chart-distance", .title = "Distance travelled",
		.desc = "The average score of each domain at the first and at the latest assessment of"
			" the cases closed in the period (1: serious unmet need, 10: no concern).",
		.label_head = "Domain", .labels = labels, .nlabels = n, .series = series, .nseries = 2,
		.values = v, .max = 10, .ticks = 5, .unit = "",
	};
	fmt_printf(&r->out, "<div class=\"hearth-chart\" id=\"chart-distance-box\">");
	chart_hbars(&r->out, &c);
	fmt_printf(&r->out, "</div>");
}

static void csv_link(struct req *r, const char *id)
{
	const char *q = report_query(r);
	fmt_printf(&r->out, "<p class=\"govuk-body-s hearth-no-print\"><a class=\"govuk-link\""
		" href=\"/reports/outcomes?%h%sformat=csv&amp;table=%u\" id=\"csv-%h\">Download this"
		" table (CSV)</a></p>", q, *q ? "&" : "", id, id);
}

static void outcomes_html(struct req *r, struct rtable *const *t, const struct report_filter *f)
{
	report_page_begin(r, "Outcomes", f, "/reports/outcomes");
	fmt_printf(&r->out, "<p class=\"govuk-body\">What changed for the families whose case closed"
		" in the period: their children's attendance, suspensions and attainment before and"
		" after support (from the schools' census imports), the families who stabilised, the"
		" young people's destinations at 16, and the distance travelled in the family"
		" assessments.</p>");
	before_after_chart(r, t[0], f);
	report_html_table(r, t[0], f);
	csv_link(r, t[0]->id);
	distance_chart(r, t[1]);
	report_html_table(r, t[1], f);
	csv_link(r, t[1]->id);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-s\">How the figures are worked out</h2>"
		"<p class=\"govuk-body-s\">“Before” is the child's census snapshot from before the"
		" start of the school term in which the family was referred; “after” is their latest"
		" snapshot, if it was taken on or after the referral. Each measure counts the children"
		" who have it in both. Attendance is the average of the children's own rates. A case"
		" closed less than 6 months ago counts as stabilised while the family has not been"
		" referred again. Cases from before Hearth count wherever their records allow.</p>");
	report_page_end(r);
}

/* The table ?table= names (outcomes when absent); NULL after req_fail. */
static struct rtable *csv_table(struct req *r, struct rtable *const *t)
{
	const char *want = req_query(r, "table");
	if (!want || !*want || !strcmp(want, t[0]->id))
		return t[0];
	if (!strcmp(want, t[1]->id))
		return t[1];
	req_fail(r, HE_INVALID, "table", "Choose a table of this report");
	return NULL;
}

static int outcomes_report(struct req *r)
{
	struct report_filter f;
	struct rtable *t[2];
	int rc = report_page_filter(r, &f);
	if (rc)
		return rc;
	if ((rc = report_outcomes(r->db, &r->arena, &f, &t[0])) ||
	    (rc = report_distance(r->db, &r->arena, &f, &t[1])))
		return req_fail(r, rc, "", "The outcomes report could not be read");
	enum report_format fmt = report_format(r);
	struct rtable *one = fmt == REPORT_CSV ? csv_table(r, t) : NULL;
	if (fmt == REPORT_CSV && !one)
		return HE_INVALID;
	bool export = fmt == REPORT_CSV || fmt == REPORT_XLSX;
	rc = req_audit(r, export ? "export" : "view", "reports", "outcomes",
		       arena_printf(&r->arena, "Outcomes%s, %s", export ? " export" : "",
				    f.period_label));
	if (!rc && export)
		rc = dataprot_export_report(r, "outcomes", f.period_label, one ? &one : t, one ? 1 : 2);
	if (rc)
		return rc;
	switch (fmt) {
	case REPORT_HTML: outcomes_html(r, t, &f); break;
	case REPORT_JSON: report_json(r, t, 2, &f); break;
	case REPORT_CSV: report_csv(r, one, &f); break;
	case REPORT_XLSX: return report_xlsx(r, t, 2, &f, "outcomes");
	}
	return HE_OK;
}

int outcomes_report_page(struct req *r)
{
	return outcomes_report(r);
}

int outcomes_report_api(struct req *r)
{
	return outcomes_report(r);
}

/* ---- destinations: the page ------------------------------------------------------------- */

/* What the form sent back, to show again with its error. */
struct dest_form {
	const char *upn, *destination, *on, *note;
	const struct errinfo *e;      /* its field is "<name>-<upn>" */
};

static void summary_row(struct req *r, const char *key, const char *value, const char *id)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\" id=\"%h\">%h</dd></div>", key, id,
		page_or_dash(value));
}

static void destination_select(struct req *r, const struct errinfo *e, const char *id,
			       const char *chosen)
{
	page_group_open(r, e, id, "Destination", NULL);
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"%h\" name=\"destination\"%s>"
		"<option value=\"\">Choose</option>", page_has_err(e, id) ? " govuk-select--error" : "",
		id, page_describedby(r, e, id, false));
	for (int k = 0; destination_codes[k]; k++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", destination_codes[k],
			   chosen && !strcmp(chosen, destination_codes[k]) ? " selected" : "",
			   destination_title(destination_codes[k]));
	fmt_printf(&r->out, "</select></div>");
}

static void child_form(struct req *r, const struct destination_child *c, const struct dest_form *v)
{
	bool mine = v && v->upn && !strcmp(v->upn, c->upn);
	const struct errinfo *e = mine ? v->e : NULL;
	char today[11];
	date_format(date_today(), today);
	fmt_printf(&r->out, "<form method=\"post\" action=\"/destinations\" novalidate"
		" id=\"form-%h\">", c->upn);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"upn\" value=\"%h\">", c->upn);
	destination_select(r, e, arena_printf(&r->arena, "destination-%s", c->upn),
			   mine ? v->destination : NULL);
	page_text_input(r, e, arena_printf(&r->arena, "on-%s", c->upn), "on", "Date known", NULL,
			"date", "govuk-input--width-10", mine && v->on ? v->on : today);
	page_text_area(r, e, arena_printf(&r->arena, "note-%s", c->upn), "note",
		       "Note (optional)", NULL, 2, mine && v->note ? v->note : "");
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" data-module=\"govuk-button\">Record %h's destination</button></form>", c->forename);
}

static void child_card(struct req *r, const struct destination_child *c, const struct dest_form *v)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-card\" id=\"child-%h\"><div class=\""
		"govuk-summary-card__title-wrapper\"><h2 class=\"govuk-summary-card__title\">%h %h,"
		" %d</h2></div><div class=\"govuk-summary-card__content\"><dl class=\"govuk-summary-list\">",
		c->upn, c->forename, c->surname, c->age);
	summary_row(r, "UPN", c->upn, arena_printf(&r->arena, "upn-%s", c->upn));
	summary_row(r, "School", c->school, arena_printf(&r->arena, "school-%s", c->upn));
	summary_row(r, "Case", c->case_ref, arena_printf(&r->arena, "case-%s", c->upn));
	summary_row(r, "Destination", c->destination ? arena_printf(&r->arena, "%s (%s)",
		    destination_title(c->destination), page_day(r, c->recorded_on)) : "Not recorded",
		    arena_printf(&r->arena, "current-%s", c->upn));
	fmt_printf(&r->out, "</dl>");
	child_form(r, c, v);
	fmt_printf(&r->out, "</div></div>");
}

static int destinations_show(struct req *r, const struct dest_form *v, int status)
{
	const struct scope *s = req_scope(r);
	struct destination_child *c;
	size_t n;
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = destination_children(r->db, &r->arena, s, date_today(), &c, &n);
	if (rc)
		return req_fail(r, rc, "", "The children could not be read");
	if (status == 200 && (rc = req_audit(r, "view", "destinations", NULL, arena_printf(&r->arena,
			"Destinations at 16: %zu children aged 15 to 17", n))))
		return rc;
	page_begin(r, status, "Destinations at 16");
	if (v && v->e)
		page_error_summary(r, v->e);
	const char *done = req_query(r, "done");
	if (!v && done && *done)
		page_success_banner(r, arena_printf(&r->arena, "Destination recorded for %s", done));
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Destinations at 16</h1><p class=\"govuk-body\">"
		"Where the young people of your cases went at 16: education, employment, training,"
		" or not in education, employment or training (NEET). The latest record counts in the"
		" outcomes report; a correction is recorded as a new destination.</p>");
	if (!n)
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"no-children\">None of the children of"
			" your cases is aged 15 to 17.</p>");
	for (size_t i = 0; i < n; i++)
		child_card(r, &c[i], v);
	page_end(r);
	return HE_OK;
}

int destinations_page(struct req *r)
{
	return destinations_show(r, NULL, 200);
}

int destination_create_page(struct req *r)
{
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	struct errinfo e = {0};
	const char *upn = req_form(r, "upn");
	int64_t pupil;
	int rc = destination_pupil(r->db, s, upn, &pupil, &e);
	if (!rc)
		rc = destination_record(r->db, s, pupil, req_form(r, "destination"),
					page_nonempty(req_form(r, "on")), req_form(r, "note"), NULL, &e);
	if (!rc)
		return req_redirect(r, arena_printf(&r->arena, "/destinations?done=%s", upn));
	if (rc != HE_INVALID && rc != HE_MISSING) {
		r->err = e;
		return rc;
	}
	struct errinfo shown = e;
	if (snprintf(shown.field, sizeof shown.field, "%s-%s", e.field, upn ? upn : "") >=
	    (int)sizeof shown.field)
		shown.field[0] = '\0';
	struct dest_form v = {upn, req_form(r, "destination"), req_form(r, "on"), req_form(r, "note"),
			      &shown};
	return destinations_show(r, &v, err_http_status(rc));
}

/* ---- destinations: the API --------------------------------------------------------------- */

int destination_api(struct req *r)
{
	const struct scope *s = req_scope(r);
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	const char *upn = req_param(r, 0);
	int64_t pupil, id = 0;
	int rc = destination_pupil(r->db, s, upn, &pupil, &r->err);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	const char *dest = json_str(j, "destination"), *on = json_str(j, "on"),
		*note = json_str(j, "note");
	rc = destination_record(r->db, s, pupil, dest, on, note, &id, &r->err);
	char norm[14];
	if (!rc && upn_norm(upn, norm)) {
		req_json(r, 201);
		fmt_printf(&r->out, "{\"destination\":{\"id\":%lld,\"upn\":%j,\"destination\":%j,"
			"\"title\":%j,\"recorded_on\":%j,\"source\":\"worker\",\"note\":%j}}\n",
			(long long)id, norm, dest, destination_title(dest), on, note ? note : "");
	}
	json_decref(j);
	return rc;
}
