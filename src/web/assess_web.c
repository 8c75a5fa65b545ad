/* assess_web.c — the early help assessment as pages and JSON.
 *
 *   GET  /cases/{ref}/assessments/new    the assessment form
 *   POST /cases/{ref}/assessments        record it
 *   GET  /cases/{ref}/assessments/{id}   one assessment, domain by domain
 *   GET  /assessment/domains             the admin's domain list: add,
 *   POST /assessment/domains             rename, reorder, retire, restore
 *   POST /assessment/domains/{code}
 *   GET|POST /api/v1/cases/{ref}/assessments
 * and the family record's "Assessment" section: the latest scores by side
 * and the distance travelled (first vs latest per domain) as a chart drawn
 * by chart.c with the same numbers in a table.
 *
 * The score fields (assess_web.h) are shared with the review form of
 * plan_web.c: one fieldset per side of the Assessment Framework, and per
 * domain a 1–10 radio group with what 1 and 10 mean, and boxes for the
 * strengths and needs.  Row scope is assess.c's (the case's): another
 * worker's case is 404, audited "denied". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/date.h"
#include "base/fmt.h"
#include "core/assess.h"
#include "core/case.h"
#include "store/db.h"
#include "web/assess_web.h"
#include "web/case_sections.h"
#include "web/chart.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

/* ---- small helpers -------------------------------------------------------- */

static bool has_error(const struct errinfo *e, const char *id)
{
	return e && e->code && strcmp(e->field, id) == 0;
}

static void success_banner(struct req *r, const char *msg)
{
	fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
		" role=\"alert\" aria-labelledby=\"done-title\" data-module=\"govuk-notification-banner\">"
		"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
		" id=\"done-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
		"<p class=\"govuk-notification-banner__heading\">%h</p></div></div>", msg);
}

/* ---- the score fields (assess_web.h) ------------------------------------- */

/* What 1 and 10 mean for the national domains; others get the scale's
 * general meaning. */
static const char *const domain_hints[][3] = {
	{"health", "serious health needs not met", "healthy, health needs fully met"},
	{"emotional_behavioural", "severe distress, or behaviour that puts them at risk",
	 "settled, copes well with feelings"},
	{"learning", "not attending or not learning", "attends well and makes good progress"},
	{"identity", "very poor sense of who they are", "confident, positive sense of self"},
	{"relationships", "isolated, or harmful relationships", "warm, stable relationships"},
	{"self_care", "cannot manage self-care for their age", "manages self-care well for their age"},
	{"basic_care", "food, warmth or hygiene often missing", "physical needs met every day"},
	{"safety", "often exposed to danger", "kept safe at home and outside"},
	{"warmth", "little warmth or praise", "warm and responsive"},
	{"boundaries", "no routines or boundaries", "clear, consistent routines"},
	{"stimulation", "little play, talk or help to learn", "play and learning well supported"},
	{"family_functioning", "conflict, violence or crisis at home", "the family copes well together"},
	{"wider_family", "no support from wider family", "strong support from wider family"},
	{"housing", "homeless, or the home is unsafe", "safe, secure, suitable home"},
	{"work_income", "no money for essentials, debt crisis", "secure income that covers needs"},
	{"community", "isolated, no links to local services", "well connected to the community"},
	{NULL, NULL, NULL},
};

static void domain_hint(struct req *r, const char *code, const char *id)
{
	for (int i = 0; domain_hints[i][0]; i++)
		if (strcmp(domain_hints[i][0], code) == 0) {
			fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">1: %h. 10: %h.</div>", id,
				   domain_hints[i][1], domain_hints[i][2]);
			return;
		}
	fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">1: serious unmet needs. 10: no "
		   "concerns, a strength.</div>", id);
}

static const char *posted(struct req *r, const char *name)
{
	const char *v = req_form(r, name);
	return v ? v : "";
}

static void score_radios(struct req *r, const struct assess_domain *d, const struct errinfo *e)
{
	const char *id = arena_printf(&r->arena, "score.%s", d->code);
	const char *cur = posted(r, id);
	bool err = has_error(e, id);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\""
		" aria-describedby=\"%h-hint%s%h\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--s\">%h</legend>", err ? " govuk-form-group--error" : "", id,
		err ? " " : "", err ? arena_printf(&r->arena, "%s-error", id) : "", d->title);
	domain_hint(r, d->code, id);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<div class=\"govuk-radios govuk-radios--inline govuk-radios--small\""
		" data-module=\"govuk-radios\">");
	for (int v = ASSESS_SCORE_MIN; v <= ASSESS_SCORE_MAX; v++) {
		const char *rid = v == ASSESS_SCORE_MIN ? id : arena_printf(&r->arena, "%s-%d", id, v);
		char val[12];
		snprintf(val, sizeof val, "%d", v);
		fmt_printf(&r->out, "<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\""
			" id=\"%h\" name=\"%h\" type=\"radio\" value=\"%h\"%s><label class=\"govuk-label"
			" govuk-radios__label\" for=\"%h\">%h</label></div>", rid, id, val,
			strcmp(cur, val) == 0 ? " checked" : "", rid, val);
	}
	fmt_printf(&r->out, "</div></fieldset></div>");
}

static void domain_text(struct req *r, const struct assess_domain *d, const char *what,
			const char *label, const struct errinfo *e)
{
	const char *id = arena_printf(&r->arena, "%s.%s", what, d->code);
	bool err = has_error(e, id);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"%h<span class=\"govuk-visually-hidden\"> – %h</span></label>",
		err ? " govuk-form-group--error" : "", id, label, d->title);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea%s\" id=\"%h\" name=\"%h\" rows=\"2\"%s>%h"
		"</textarea></div>", err ? " govuk-textarea--error" : "", id, id,
		err ? arena_printf(&r->arena, " aria-describedby=\"%s-error\"", id) : "", posted(r, id));
}

static void side_fieldset(struct req *r, const char *side, const struct assess_domain *d, size_t n,
			  const struct errinfo *e)
{
	fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset app-assess-side\" id=\"side-%h\"><legend"
		" class=\"govuk-fieldset__legend govuk-fieldset__legend--m\"><h2 class=\"govuk-fieldset__heading\">"
		"%h</h2></legend>", side, assess_side_title(side));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(d[i].side, side) != 0)
			continue;
		fmt_printf(&r->out, "<div class=\"app-assess-domain\">");
		score_radios(r, &d[i], e);
		domain_text(r, &d[i], "strengths", "Strengths", e);
		domain_text(r, &d[i], "needs", "Needs", e);
		fmt_printf(&r->out, "</div>");
	}
	fmt_printf(&r->out, "</fieldset>");
}

void assess_form_fields(struct req *r, const struct errinfo *e)
{
	struct assess_domain *d = NULL;
	size_t n = 0;
	const char *id = "agreed_with";
	bool err = has_error(e, id);
	if (assess_domains(r->db, &r->arena, true, &d, &n)) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">The assessment domains could not be read.</p>");
		return;
	}
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"Who in the family agreed these scores</label><div id=\"%h-hint\" class=\"govuk-hint\">Score "
		"each area together with the family. For example, Mum (Sarah Khan) and Aisha</div>",
		err ? " govuk-form-group--error" : "", id, id);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<input class=\"govuk-input%s\" id=\"%h\" name=\"%h\" type=\"text\" value=\"%h\""
		" aria-describedby=\"%h-hint%s\"></div>", err ? " govuk-input--error" : "", id, id,
		posted(r, id), id, err ? " agreed_with-error" : "");
	fmt_printf(&r->out, "<p class=\"govuk-body\">Score every area from 1 to 10. %h; %h.</p>",
		   assess_scale_low, assess_scale_high);
	for (int s = 0; assess_sides[s]; s++)
		side_fieldset(r, assess_sides[s], d, n, e);
}

bool assess_form_given(struct req *r)
{
	(void)req_form(r, "agreed_with");       /* parses the body once */
	for (int i = 0; i < r->nform; i++)
		if (strncmp(r->form[i].key, "score.", 6) == 0 && r->form[i].value && *r->form[i].value)
			return true;
	return false;
}

/* "7" as 7; "" or absent as 0 (not scored); anything else -1 (refused as
 * out of range). */
static int score_value(const char *s)
{
	char *end;
	if (!s || !*s)
		return 0;
	long v = strtol(s, &end, 10);
	return *end || v < -1000 || v > 1000 ? -1 : (int)v;
}

int assess_from_form(struct req *r, struct arena *a, struct assess_in *in)
{
	struct assess_domain *d = NULL;
	size_t n = 0;
	int rc = assess_domains(r->db, a, true, &d, &n);
	if (rc)
		return rc;
	struct assess_score_in *sc = arena_alloc(a, (n + 1) * sizeof *sc);
	for (size_t i = 0; i < n; i++) {
		sc[i].domain_code = d[i].code;
		sc[i].score = score_value(req_form(r, arena_printf(a, "score.%s", d[i].code)));
		sc[i].strengths = req_form(r, arena_printf(a, "strengths.%s", d[i].code));
		sc[i].needs = req_form(r, arena_printf(a, "needs.%s", d[i].code));
	}
	in->scores = sc;
	in->nscores = n;
	in->agreed_with = req_form(r, "agreed_with");
	return HE_OK;
}

/* ---- the family record's section ----------------------------------------- */

static void scores_table(struct req *r, const struct assessment *as, const char *side, bool texts)
{
	bool any = false;
	for (size_t i = 0; i < as->nscores; i++)
		any = any || strcmp(as->scores[i].side, side) == 0;
	if (!any)
		return;
	fmt_printf(&r->out, "<table class=\"govuk-table app-assess-scores\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%h</caption><thead class=\"govuk-table__head\"><tr"
		" class=\"govuk-table__row\">", assess_side_title(side));
	page_th_n(r, "Area", false);
	page_th_n(r, "Score out of 10", true);
	if (texts) {
		page_th_n(r, "Strengths", false);
		page_th_n(r, "Needs", false);
	}
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < as->nscores; i++) {
		const struct assess_score *s = &as->scores[i];
		if (strcmp(s->side, side) != 0)
			continue;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><th scope=\"row\" class=\"govuk-table__header\">"
			"%h</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">%d</td>",
			s->domain_title, s->score);
		if (texts)
			fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">"
				   "%h</td>", page_or_dash(s->strengths), page_or_dash(s->needs));
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

/* "Higher than at the start in 9 areas, the same in 5, lower in 2." */
static void travel_sentence(struct req *r, const struct assess_travel *t, size_t n)
{
	int up = 0, same = 0, down = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].latest > t[i].first)
			up++;
		else if (t[i].latest == t[i].first)
			same++;
		else
			down++;
	}
	fmt_printf(&r->out, "<p class=\"govuk-body\">Since the first assessment the scores are higher in "
		"%d area%s, the same in %d and lower in %d.</p>", up, up == 1 ? "" : "s", same, down);
}

static void distance(struct req *r, const struct case_record *c, const struct assessment *l, size_t n)
{
	struct assess_travel *t;
	size_t nt;
	fmt_printf(&r->out, "<h3 class=\"govuk-heading-s\" id=\"distance-travelled\">Distance travelled</h3>");
	if (n < 2) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">The distance travelled shows here once the family "
			"has been assessed again, at a review.</p>");
		return;
	}
	assess_distance(&r->arena, l, n, &t, &nt);
	const char **labels = arena_alloc(&r->arena, (nt + 1) * sizeof *labels);
	double *v = arena_alloc(&r->arena, (2 * nt + 1) * sizeof *v);
	for (size_t i = 0; i < nt; i++) {
		labels[i] = t[i].title;
		v[2 * i] = t[i].first;
		v[2 * i + 1] = t[i].latest;
	}
	struct chart_series series[2] = {
		{arena_printf(&r->arena, "First (%s)", page_day(r, l[0].assessed_on)), "#b1b4b6"},
		{arena_printf(&r->arena, "Latest (%s)", page_day(r, l[n - 1].assessed_on)), "#1d70b8"},
	};
	struct chart ch = {
		.id = arena_printf(&r->arena, "distance-%s", c->ref),
		.title = arena_printf(&r->arena, "Distance travelled by the %s", c->family_name),
		.desc = arena_printf(&r->arena, "Scores out of 10 for each area, at the first assessment on %s"
			" and the latest on %s. Higher is better.", page_day(r, l[0].assessed_on),
			page_day(r, l[n - 1].assessed_on)),
		.label_head = "Area", .labels = labels, .nlabels = nt, .series = series, .nseries = 2,
		.values = v, .max = ASSESS_SCORE_MAX, .ticks = 5, .unit = "",
	};
	travel_sentence(r, t, nt);
	fmt_printf(&r->out, "<div class=\"app-chart-wrap\">");
	chart_hbars(&r->out, &ch);
	fmt_printf(&r->out, "</div>");
	chart_table(&r->out, &ch, "Distance travelled: the scores in figures");
}

static void assessments_list(struct req *r, const struct case_record *c, const struct assessment *l,
			     size_t n)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">All assessments</caption><thead class=\"govuk-table__head\"><tr"
		" class=\"govuk-table__row\">");
	page_th_n(r, "Date", false);
	page_th_n(r, "Kind", false);
	page_th_n(r, "Agreed with", false);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = n; i-- > 0;)
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a"
			" class=\"govuk-link\" href=\"/cases/%u/assessments/%lld\">%h</a></td><td"
			" class=\"govuk-table__cell\">%h</td><td class=\"govuk-table__cell\">%h</td></tr>", c->ref,
			(long long)l[i].id, page_day(r, l[i].assessed_on), assess_kind_title(l[i].kind),
			l[i].agreed_with);
	fmt_printf(&r->out, "</tbody></table>");
}

void assess_case_section(struct req *r, const struct case_record *c)
{
	struct assessment *l = NULL;
	size_t n = 0;
	bool open = strcmp(c->status, "open") == 0;
	fmt_printf(&r->out, "<section class=\"app-assess-section\" aria-labelledby=\"assessment\"><h2"
		" class=\"govuk-heading-m\" id=\"assessment\">Assessment</h2>");
	if (assess_list(r->db, &r->arena, c->id, &l, &n)) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">The assessments could not be read.</p></section>");
		return;
	}
	if (n == 0)
		fmt_printf(&r->out, "<p class=\"govuk-body\">No assessment yet. Score each area with the family "
			"at the start: it is the baseline the distance travelled is measured from.</p>");
	else {
		const struct assessment *a = &l[n - 1];
		fmt_printf(&r->out, "<p class=\"govuk-body\">Latest: <a class=\"govuk-link\" href=\"/cases/%u/"
			"assessments/%lld\">%h on %h</a>, agreed with %h.</p>", c->ref, (long long)a->id,
			assess_kind_title(a->kind), page_day(r, a->assessed_on), a->agreed_with);
		for (int s = 0; assess_sides[s]; s++)
			scores_table(r, a, assess_sides[s], false);
		distance(r, c, l, n);
		assessments_list(r, c, l, n);
	}
	if (open)
		fmt_printf(&r->out, "<a href=\"/cases/%u/assessments/new\" role=\"button\" draggable=\"false\""
			" class=\"govuk-button%s\" data-module=\"govuk-button\">%s</a>", c->ref,
			n ? " govuk-button--secondary" : "", n ? "Record a re-assessment" : "Record the first assessment");
	fmt_printf(&r->out, "</section>");
}

/* ---- the assessment form page ---------------------------------------------- */

static void date_input(struct req *r, const char *def, const struct errinfo *e)
{
	const char *id = "assessed_on", *cur = req_form(r, id);
	bool err = has_error(e, id);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"Date of the assessment</label><div id=\"%h-hint\" class=\"govuk-hint\">For example, 2026-03-14"
		"</div>", err ? " govuk-form-group--error" : "", id, id);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<input class=\"govuk-input govuk-input--width-10%s\" id=\"%h\" name=\"%h\""
		" type=\"date\" value=\"%h\" aria-describedby=\"%h-hint%s\"></div>",
		err ? " govuk-input--error" : "", id, id, cur ? cur : def, id, err ? " assessed_on-error" : "");
}

static void kind_radios(struct req *r, const char *def, const struct errinfo *e)
{
	static const char *const codes[] = {"initial", "review", "closing", NULL};
	const char *cur = req_form(r, "kind");
	bool err = has_error(e, "kind");
	cur = cur ? cur : def;
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\"%s><legend"
		" class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Kind of assessment</legend>",
		err ? " govuk-form-group--error" : "", err ? " aria-describedby=\"kind-error\"" : "");
	page_field_error(r, e, "kind");
	fmt_printf(&r->out, "<div class=\"govuk-radios govuk-radios--small\" data-module=\"govuk-radios\">");
	for (int i = 0; codes[i]; i++) {
		const char *rid = i ? arena_printf(&r->arena, "kind-%d", i) : "kind";
		fmt_printf(&r->out, "<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\""
			" id=\"%h\" name=\"kind\" type=\"radio\" value=\"%h\"%s><label class=\"govuk-label"
			" govuk-radios__label\" for=\"%h\">%h</label></div>", rid, codes[i],
			strcmp(cur, codes[i]) == 0 ? " checked" : "", rid, assess_kind_title(codes[i]));
	}
	fmt_printf(&r->out, "</div></fieldset></div>");
}

static void summary_box(struct req *r, const struct errinfo *e)
{
	bool err = has_error(e, "summary");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label govuk-label--s\""
		" for=\"summary\">Summary (optional)</label><div id=\"summary-hint\" class=\"govuk-hint\">What "
		"matters most to the family, and what you agreed to work on first</div>",
		err ? " govuk-form-group--error" : "");
	page_field_error(r, e, "summary");
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea\" id=\"summary\" name=\"summary\" rows=\"4\""
		" aria-describedby=\"summary-hint%s\">%h</textarea></div>", err ? " summary-error" : "",
		posted(r, "summary"));
}

/* The form, or why there is none (a closed case).  e may be NULL. */
static void new_form(struct req *r, const struct case_record *c, size_t nprev, const struct errinfo *e)
{
	char today[11];
	date_format(date_today(), today);
	if (strcmp(c->status, "open") != 0) {
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"case\">This case is %s: you cannot "
			"record an assessment. Its assessments can still be read on the <a class=\"govuk-link\""
			" href=\"/cases/%u#assessment\">family record</a>.</div>", strcmp(c->status, "closed") == 0
			? "closed" : "stepped up to children's social care", c->ref);
		return;
	}
	fmt_printf(&r->out, "<form method=\"post\" action=\"/cases/%u/assessments\" novalidate"
		" id=\"assessment-form\">", c->ref);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
		   page_nonempty(req_form(r, "idem")) ? req_form(r, "idem") : page_idem_new(r));
	date_input(r, today, e);
	kind_radios(r, nprev ? "review" : "initial", e);
	assess_form_fields(r, e);
	summary_box(r, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Record assessment</button> <a class=\"govuk-link\" href=\"/cases/%u#assessment\">Cancel</a>"
		"</form>", c->ref);
}

/* Load the case (an audited view) and show the form, with e's error. */
static int new_show(struct req *r, int64_t id, const struct errinfo *e, int status)
{
	struct case_record c;
	struct errinfo le = {0};
	struct assessment *l;
	size_t n = 0;
	int rc = case_record_load(r->db, &r->arena, req_scope(r), id, &c, &le);
	if (rc) {
		r->err = le;
		return rc;
	}
	if ((rc = assess_list(r->db, &r->arena, id, &l, &n)))
		return rc;
	page_begin(r, status, arena_printf(&r->arena, "Assessment – %s – %s", c.family_name, c.ref));
	page_error_summary(r, e);
	fmt_printf(&r->out, "<a href=\"/cases/%u#assessment\" class=\"govuk-back-link\">Back to the family "
		"record</a><span class=\"govuk-caption-l\">Case %h, %h</span><h1 class=\"govuk-heading-l\">%s"
		"</h1>", c.ref, c.ref, c.family_name, n ? "Re-assess the family" : "Assess the family");
	new_form(r, &c, n, e);
	page_end(r);
	return HE_OK;
}

int assess_new_page(struct req *r)
{
	int64_t id;
	int rc = case_from_path(r, &id);
	return rc ? rc : new_show(r, id, NULL, 200);
}

int assess_create_page(struct req *r)
{
	int64_t id, aid = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	struct assess_in in = {
		.idem_key = page_nonempty(req_form(r, "idem")), .assessed_on = req_form(r, "assessed_on"),
		.kind = req_form(r, "kind"), .summary = req_form(r, "summary"),
	};
	if ((rc = assess_from_form(r, &r->arena, &in)))
		return rc;
	rc = assess_record(r->db, req_scope(r), id, &in, &aid, &e);
	if (rc == HE_OK) {
		char ref[16];
		case_ref(id, ref);
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s/assessments/%lld?done=1", ref,
						    (long long)aid));
	}
	if (rc == HE_NOT_FOUND || rc == HE_INTERNAL || rc >= HE_DB) {
		r->err = e;
		return rc;
	}
	if (strcmp(e.field, "score") == 0 || strcmp(e.field, "idem") == 0)
		e.field[0] = '\0';
	return new_show(r, id, &e, err_http_status(rc));
}

/* ---- one assessment ------------------------------------------------------ */

static int64_t id_param(struct req *r, int i)
{
	const char *s = req_param(r, i);
	char *end;
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15)
		return 0;
	return strtoll(s, &end, 10);
}

static void assessment_body(struct req *r, const struct assessment *a, const char *ref)
{
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\">");
	const char *rows[][2] = {
		{"Date", page_day(r, a->assessed_on)}, {"Kind", assess_kind_title(a->kind)},
		{"Agreed with", a->agreed_with},
		{"Recorded by", arena_printf(&r->arena, "%s on %s", a->recorded_by, page_day(r, a->recorded_at))},
		{"Summary", page_or_dash(a->summary)},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", rows[i][0], rows[i][1]);
	fmt_printf(&r->out, "</dl>");
	for (int s = 0; assess_sides[s]; s++)
		scores_table(r, a, assess_sides[s], true);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/cases/%u#assessment\">"
		"Back to the family record</a></p>", ref);
}

int assess_page(struct req *r)
{
	int64_t cid, aid = id_param(r, 1);
	struct assessment a;
	char ref[16];
	int rc = case_from_path(r, &cid);
	if (rc)
		return rc;
	if ((rc = assess_load(r->db, &r->arena, req_scope(r), aid, &a, &r->err)))
		return rc;
	if (a.case_id != cid) {
		rc = req_audit(r, "denied", "assessments", arena_printf(&r->arena, "%lld", (long long)aid),
			       "assessment requested under another case's address");
		return rc ? rc : req_fail(r, HE_NOT_FOUND, "", NULL);
	}
	case_ref(cid, ref);
	page_begin(r, 200, arena_printf(&r->arena, "%s – %s – %s", assess_kind_title(a.kind), a.family_name, ref));
	if (req_query(r, "done"))
		success_banner(r, "Assessment recorded");
	fmt_printf(&r->out, "<a href=\"/cases/%u#assessment\" class=\"govuk-back-link\">Back to the family "
		"record</a><span class=\"govuk-caption-l\">Case %h, %h</span><h1 class=\"govuk-heading-l\">%h, "
		"%h</h1>", ref, ref, a.family_name, assess_kind_title(a.kind), page_day(r, a.assessed_on));
	assessment_body(r, &a, ref);
	page_end(r);
	return HE_OK;
}

/* ---- the admin's domain list ---------------------------------------------- */

static const char *domain_done(const char *done)
{
	static const char *const msgs[][2] = {
		{"added", "Domain added"}, {"renamed", "Domain renamed"}, {"moved", "Domain moved"},
		{"retired", "Domain retired: new assessments no longer score it"},
		{"restored", "Domain restored"}, {NULL, NULL},
	};
	for (int i = 0; done && msgs[i][0]; i++)
		if (strcmp(done, msgs[i][0]) == 0)
			return msgs[i][1];
	return NULL;
}

/* One row of the list: its title, status and a form with its changes.
 * code_err: the domain whose form failed (NULL: none). */
static void domain_row(struct req *r, const struct assess_domain *d, bool first, bool last,
		       const char *code_err, const struct errinfo *e)
{
	const char *id = arena_printf(&r->arena, "title-%s", d->code);
	bool mine = code_err && strcmp(code_err, d->code) == 0;
	const char *cur = mine && req_form(r, "title") ? req_form(r, "title") : d->title;
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
		"<form method=\"post\" action=\"/assessment/domains/%u\" novalidate>", d->code);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<div class=\"govuk-form-group govuk-!-margin-bottom-2%s\"><label"
		" class=\"govuk-label govuk-visually-hidden\" for=\"%h\">Title of %h</label>",
		mine && has_error(e, id) ? " govuk-form-group--error" : "", id, d->title);
	if (mine)
		page_field_error(r, e, id);
	fmt_printf(&r->out, "<input class=\"govuk-input\" id=\"%h\" name=\"title\" type=\"text\" value=\"%h\">"
		"</div><span class=\"govuk-hint\">Code %h</span> <strong class=\"govuk-tag %s\">%s</strong>"
		"<div class=\"govuk-button-group govuk-!-margin-top-2 govuk-!-margin-bottom-0\">", id, cur,
		d->code, d->active ? "govuk-tag--green" : "govuk-tag--grey", d->active ? "Active" : "Retired");
	fmt_printf(&r->out, "<button type=\"submit\" name=\"action\" value=\"rename\" class=\"govuk-button"
		" govuk-button--secondary\" data-module=\"govuk-button\">Save title<span"
		" class=\"govuk-visually-hidden\"> of %h</span></button>", d->title);
	if (!first)
		fmt_printf(&r->out, "<button type=\"submit\" name=\"action\" value=\"up\" class=\"govuk-button"
			" govuk-button--secondary\" data-module=\"govuk-button\">Move up<span"
			" class=\"govuk-visually-hidden\"> %h</span></button>", d->title);
	if (!last)
		fmt_printf(&r->out, "<button type=\"submit\" name=\"action\" value=\"down\" class=\"govuk-button"
			" govuk-button--secondary\" data-module=\"govuk-button\">Move down<span"
			" class=\"govuk-visually-hidden\"> %h</span></button>", d->title);
	fmt_printf(&r->out, "<button type=\"submit\" name=\"action\" value=\"%s\" class=\"govuk-button%s\""
		" data-module=\"govuk-button\">%s<span class=\"govuk-visually-hidden\"> %h</span></button>"
		"</div></form></td></tr>", d->active ? "retire" : "restore",
		d->active ? " govuk-button--warning" : " govuk-button--secondary",
		d->active ? "Retire" : "Restore", d->title);
}

static void side_table(struct req *r, const char *side, const struct assess_domain *d, size_t n,
		       const char *code_err, const struct errinfo *e)
{
	size_t first = n, last = n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].side, side) == 0) {
			first = first == n ? i : first;
			last = i;
		}
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">%h</h2>", assess_side_title(side));
	if (first == n) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No domains on this side.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Domains: %h</caption><thead class=\"govuk-table__head\"><tr"
		" class=\"govuk-table__row\">", assess_side_title(side));
	page_th_n(r, "Domain", false);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = first; i <= last; i++)
		if (strcmp(d[i].side, side) == 0)
			domain_row(r, &d[i], i == first, i == last, code_err, e);
	fmt_printf(&r->out, "</tbody></table>");
}

static void add_form(struct req *r, bool shown, const struct errinfo *e)
{
	const char *code = shown ? posted(r, "code") : "", *title = shown ? posted(r, "title") : "";
	const char *side = shown ? posted(r, "side") : "";
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"add\">Add a domain</h2><form method=\"post\""
		" action=\"/assessment/domains\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"new-title\">"
		"Title</label>", page_group_class(e, "new-title"));
	page_field_error(r, e, "new-title");
	fmt_printf(&r->out, "<input class=\"govuk-input\" id=\"new-title\" name=\"title\" type=\"text\""
		" value=\"%h\"></div><div class=\"govuk-form-group%s\"><label class=\"govuk-label\""
		" for=\"new-code\">Code</label><div id=\"new-code-hint\" class=\"govuk-hint\">Lower-case letters, "
		"digits and underscores, for example school_readiness. It cannot be changed later.</div>",
		title, page_group_class(e, "new-code"));
	page_field_error(r, e, "new-code");
	fmt_printf(&r->out, "<input class=\"govuk-input govuk-input--width-20\" id=\"new-code\" name=\"code\""
		" type=\"text\" value=\"%h\" aria-describedby=\"new-code-hint\" spellcheck=\"false\"></div>"
		"<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\"><legend"
		" class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Side of the triangle</legend>",
		code, page_group_class(e, "new-side"));
	page_field_error(r, e, "new-side");
	fmt_printf(&r->out, "<div class=\"govuk-radios govuk-radios--small\" data-module=\"govuk-radios\">");
	for (int i = 0; assess_sides[i]; i++) {
		const char *rid = i ? arena_printf(&r->arena, "new-side-%d", i) : "new-side";
		fmt_printf(&r->out, "<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\""
			" id=\"%h\" name=\"side\" type=\"radio\" value=\"%h\"%s><label class=\"govuk-label"
			" govuk-radios__label\" for=\"%h\">%h</label></div>", rid, assess_sides[i],
			strcmp(side, assess_sides[i]) == 0 ? " checked" : "", rid, assess_side_title(assess_sides[i]));
	}
	fmt_printf(&r->out, "</div></fieldset></div><button type=\"submit\" class=\"govuk-button\""
		" data-module=\"govuk-button\">Add domain</button></form>");
}

/* The page; code_err names the row whose form failed, add_err whether it
 * was the add form. */
static int domains_show(struct req *r, int status, const char *code_err, bool add_err,
			const struct errinfo *e)
{
	struct assess_domain *d = NULL;
	size_t n = 0;
	int rc = assess_domains(r->db, &r->arena, false, &d, &n);
	if (rc)
		return rc;
	page_begin(r, status, "Assessment domains");
	page_error_summary(r, e);
	const char *msg = domain_done(req_query(r, "done"));
	if (msg && !(e && e->code))
		success_banner(r, msg);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Assessment domains</h1><p class=\"govuk-body\">"
		"Every assessment scores each active domain from 1 to 10 with the family. You can rename, "
		"reorder, retire or add domains to match your area's framework. Changes apply to new "
		"assessments only: every assessment keeps the domains it was made with.</p>");
	for (int s = 0; assess_sides[s]; s++)
		side_table(r, assess_sides[s], d, n, code_err, e);
	add_form(r, add_err, e);
	page_end(r);
	return HE_OK;
}

int assess_domains_page(struct req *r)
{
	return domains_show(r, 200, NULL, false, NULL);
}

int assess_domain_add_page(struct req *r)
{
	struct errinfo e = {0};
	int rc = assess_domain_add(r->db, req_scope(r), req_form(r, "code"), req_form(r, "title"),
				   req_form(r, "side"), &e);
	if (rc == HE_OK)
		return req_redirect(r, "/assessment/domains?done=added");
	if (rc == HE_INTERNAL || rc >= HE_DB)
		return rc;
	char field[sizeof e.field];
	memcpy(field, e.field, sizeof field);
	snprintf(e.field, sizeof e.field, "new-%.50s", field);
	return domains_show(r, err_http_status(rc), NULL, true, &e);
}

int assess_domain_page(struct req *r)
{
	struct errinfo e = {0};
	const char *code = req_param(r, 0), *action = posted(r, "action");
	const struct scope *s = req_scope(r);
	const char *done = NULL;
	struct assess_domain *d = NULL, *cur = NULL;
	size_t n = 0;
	int rc = s ? assess_domains(r->db, &r->arena, false, &d, &n) : HE_INTERNAL;
	for (size_t i = 0; rc == HE_OK && i < n; i++)
		if (strcmp(d[i].code, code) == 0)
			cur = &d[i];
	if (rc)
		return rc;
	if (!cur)
		return req_fail(r, HE_NOT_FOUND, "", "No such domain");
	if (strcmp(action, "rename") == 0) {
		rc = assess_domain_update(r->db, s, code, req_form(r, "title"), cur->active, &e);
		done = "renamed";
	} else if (strcmp(action, "up") == 0 || strcmp(action, "down") == 0) {
		rc = assess_domain_move(r->db, s, code, action[0] == 'u' ? -1 : 1, &e);
		done = "moved";
	} else if (strcmp(action, "retire") == 0 || strcmp(action, "restore") == 0) {
		bool restore = strcmp(action, "restore") == 0;
		rc = assess_domain_update(r->db, s, code, NULL, restore, &e);
		done = restore ? "restored" : "retired";
	} else {
		return req_fail(r, HE_INVALID, "action", "Choose what to change");
	}
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/assessment/domains?done=%s", done));
	if (rc == HE_INTERNAL || rc == HE_NOT_FOUND || rc >= HE_DB)
		return rc;
	snprintf(e.field, sizeof e.field, "title-%.50s", code);
	return domains_show(r, err_http_status(rc), code, false, &e);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_assessment(struct req *r, const struct assessment *a)
{
	fmt_printf(&r->out, "{\"id\":%lld,\"assessed_on\":%j,\"kind\":%j,\"agreed_with\":%j,\"summary\":%j,"
		"\"recorded_at\":%j,\"recorded_by\":%j,\"review_id\":", (long long)a->id, a->assessed_on, a->kind,
		a->agreed_with, a->summary, a->recorded_at, a->recorded_by);
	if (a->review_id)
		fmt_printf(&r->out, "%lld", (long long)a->review_id);
	else
		buf_puts(&r->out, "null");
	buf_puts(&r->out, ",\"scores\":[");
	for (size_t i = 0; i < a->nscores; i++) {
		const struct assess_score *s = &a->scores[i];
		fmt_printf(&r->out, "%s{\"domain\":%j,\"title\":%j,\"side\":%j,\"score\":%d,\"strengths\":%j,"
			"\"needs\":%j}", i ? "," : "", s->domain_code, s->domain_title, s->side, s->score,
			s->strengths, s->needs);
	}
	buf_puts(&r->out, "]}");
}

int assess_list_api(struct req *r)
{
	int64_t id;
	struct assessment *l = NULL;
	struct assess_travel *t = NULL;
	size_t n = 0, nt = 0;
	char ref[16];
	int rc = case_from_path(r, &id);
	if (rc || (rc = assess_case_list(r->db, &r->arena, req_scope(r), id, &l, &n, &r->err)))
		return rc;
	case_ref(id, ref);
	req_json(r, 200);
	fmt_printf(&r->out, "{\"case\":%j,\"assessments\":[", ref);
	for (size_t i = 0; i < n; i++) {
		buf_puts(&r->out, i ? "," : "");
		json_assessment(r, &l[i]);
	}
	buf_puts(&r->out, "],\"distance_travelled\":[");
	if (n >= 2)
		assess_distance(&r->arena, l, n, &t, &nt);
	for (size_t i = 0; i < nt; i++)
		fmt_printf(&r->out, "%s{\"domain\":%j,\"title\":%j,\"side\":%j,\"first\":%d,\"latest\":%d}",
			   i ? "," : "", t[i].code, t[i].title, t[i].side, t[i].first, t[i].latest);
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* The body's "scores": [{"domain": code, "score": n, "strengths", "needs"}]. */
static void json_scores(struct req *r, json_t *j, struct assess_in *in)
{
	json_t *arr = json_object_get(j, "scores");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	struct assess_score_in *sc = arena_alloc(&r->arena, (n + 1) * sizeof *sc);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i), *v = json_object_get(o, "score");
		sc[i].domain_code = json_str(o, "domain") ? json_str(o, "domain") : "";
		sc[i].score = !v ? 0 : json_is_integer(v) && json_integer_value(v) > -1000 &&
			json_integer_value(v) < 1000 ? (int)json_integer_value(v) : -1;
		sc[i].strengths = json_str(o, "strengths");
		sc[i].needs = json_str(o, "needs");
	}
	in->scores = sc;
	in->nscores = n;
}

int assess_create_api(struct req *r)
{
	int64_t id, aid = 0;
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	struct assess_in in = {
		.idem_key = page_nonempty(req_header(r, "Idempotency-Key")), .assessed_on = json_str(j, "assessed_on"),
		.kind = json_str(j, "kind"), .agreed_with = json_str(j, "agreed_with"),
		.summary = json_str(j, "summary"),
	};
	json_scores(r, j, &in);
	rc = assess_record(r->db, req_scope(r), id, &in, &aid, &r->err);
	if (rc == HE_OK) {
		char ref[16];
		case_ref(id, ref);
		req_json(r, 201);
		fmt_printf(&r->out, "{\"assessment\":{\"id\":%lld,\"case\":%j,\"url\":%j}}\n", (long long)aid, ref,
			   arena_printf(&r->arena, "/cases/%s/assessments/%lld", ref, (long long)aid));
	}
	json_decref(j);
	return rc;
}
