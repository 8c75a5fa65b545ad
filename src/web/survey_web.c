/* survey_web.c — surveys of school leaders (core/survey.h) as pages and
 * JSON, and the section of the home page that asks a school leader to
 * answer.
 *
 *   GET  /surveys                 the surveys (managers: all, with a button to
 *                                 write one; school leaders: which they answered)
 *   GET  /surveys/new             the form to write one (CAP_SURVEYS_MANAGE)
 *   POST /surveys                 create the draft
 *   GET  /surveys/{id}            the survey, its questions and what can be done
 *   GET  /surveys/{id}/edit       change a draft; POST /surveys/{id} saves it
 *                                 (posting the version it was shown at)
 *   POST /surveys/{id}/open       open it: every school leader sees it
 *   POST /surveys/{id}/close      close it
 *   GET  /surveys/{id}/respond    the answer form (CAP_SURVEY_RESPOND);
 *   POST /surveys/{id}/respond    answer it, once
 *   GET  /surveys/{id}/results    results by school type; ?format=csv[&table=ID],
 *                                 xlsx, json
 *   GET  /api/v1/surveys, POST /api/v1/surveys, GET|POST /api/v1/surveys/{id},
 *   POST /api/v1/surveys/{id}/open|close, POST /api/v1/surveys/{id}/responses,
 *   GET  /api/v1/surveys/{id}/results
 *
 * The results are report tables printed by web/report_out.h, so the page,
 * the CSV, the XLSX and the JSON agree.  Who sees what: the filter is the
 * report filter of the user (report_page_filter: a school user sees its
 * own school's figures, the viewer's are suppressed below 5); only
 * CAP_SURVEYS_MANAGE sees the per-school table and the free text.  A draft
 * is 404 (audited "denied") for everyone else. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "core/school.h"
#include "core/survey.h"
#include "web/dataprot_web.h"
#include "web/http.h"
#include "web/page.h"
#include "web/report_out.h"
#include "web/route.h"

#define QUESTION_ROWS 12        /* rows on the form: works without JavaScript */

static const char *status_title(const char *st)
{
	return strcmp(st, "draft") == 0 ? "Draft" : strcmp(st, "open") == 0 ? "Open" : "Closed";
}

static const char *status_tag(const char *st)
{
	return strcmp(st, "draft") == 0 ? "govuk-tag--grey" : strcmp(st, "open") == 0
		? "govuk-tag--green" : "govuk-tag--blue";
}

static bool manager(struct req *r)
{
	return caps_has(r->caps, CAP_SURVEYS_MANAGE);
}

static int64_t param_id(struct req *r)
{
	const char *s = req_param(r, 0);
	char *end;
	long long v = s && *s ? strtoll(s, &end, 10) : 0;
	return v > 0 && !*end ? v : 0;
}

static int no_scope(struct req *r)
{
	return r->err.code ? r->err.code : HE_INTERNAL;
}

/* The survey named by the path; a draft (for a non-manager) or an unknown
 * id is 404, audited "denied". */
static int survey_from_path(struct req *r, struct survey *sv)
{
	const struct scope *s = req_scope(r);
	if (!s)
		return no_scope(r);
	struct errinfo e = {0};
	int64_t id = param_id(r);
	int rc = id ? survey_get(r->db, &r->arena, s, id, sv, &e) : HE_NOT_FOUND;
	if (rc == HE_NOT_FOUND) {
		int arc = req_audit(r, "denied", "surveys", req_param(r, 0), "no such survey, or"
				    " a draft the user may not see");
		return arc ? arc : req_fail(r, HE_NOT_FOUND, "", "No such survey");
	}
	if (rc)
		r->err = e;
	return rc;
}

/* A core error for the dispatcher (JSON envelope or error page). */
static int core_fail(struct req *r, int rc, const struct errinfo *e)
{
	r->err = *e;
	if (!r->err.code)
		r->err.code = rc;
	return rc;
}

/* ---- the home page's section ------------------------------------------------- */

void survey_home_section(struct req *r)
{
	const struct scope *s = req_scope(r);
	struct survey *v;
	size_t n;
	if (!s || !caps_has(r->caps, CAP_SURVEY_RESPOND) ||
	    survey_waiting(r->db, &r->arena, s, &v, &n) || n == 0)
		return;
	fmt_printf(&r->out, "<div class=\"govuk-notification-banner\" role=\"region\""
		" aria-labelledby=\"surveys-waiting-title\" data-module=\"govuk-notification-banner\""
		" id=\"surveys-waiting\"><div class=\"govuk-notification-banner__header\"><h2 class=\""
		"govuk-notification-banner__title\" id=\"surveys-waiting-title\">Surveys</h2></div>"
		"<div class=\"govuk-notification-banner__content\"><p class=\"govuk-notification-banner"
		"__heading\">The partnership asks for your views</p><ul class=\"govuk-list\">");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<li><a class=\"govuk-notification-banner__link\""
			" href=\"/surveys/%lld/respond\">%h</a>%s%h</li>", (long long)v[i].id, v[i].title,
			*v[i].closes_on ? " — closes " : "", *v[i].closes_on ?
			page_day(r, v[i].closes_on) : "");
	fmt_printf(&r->out, "</ul></div></div>");
}

/* ---- GET /surveys ------------------------------------------------------------------ */

static void list_row(struct req *r, const struct survey *v)
{
	fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a"
		" class=\"govuk-link\" href=\"/surveys/%lld\">%h</a></td><td class=\"govuk-table__cell\">"
		"<strong class=\"govuk-tag %s\">%h</strong></td>", (long long)v->id, v->title,
		status_tag(v->status), status_title(v->status));
	page_td(r, *v->opened_on ? page_day(r, v->opened_on) : NULL);
	page_td(r, *v->closes_on ? page_day(r, v->closes_on) : NULL);
	if (manager(r))
		page_td_n(r, arena_printf(&r->arena, "%" PRId64 " from %" PRId64 " school(s)",
					  v->responses, v->schools_responded), true);
	else if (caps_has(r->caps, CAP_SURVEY_RESPOND))
		page_td(r, v->answered ? "Answered" : strcmp(v->status, "open") == 0
			? "Not answered yet" : "Not answered");
	fmt_printf(&r->out, "</tr>");
}

int surveys_page(struct req *r)
{
	const struct scope *s = req_scope(r);
	struct survey *v;
	size_t n;
	if (!s)
		return no_scope(r);
	int rc = survey_list(r->db, &r->arena, s, &v, &n);
	if (rc)
		return rc;
	page_begin(r, 200, "Surveys of school leaders");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Surveys of school leaders</h1>"
		"<p class=\"govuk-body\">The partnership asks its school leaders what they think of the"
		" family support it runs. Results are by school type, with the response rate of each.</p>");
	if (manager(r))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-button govuk-button--secondary\""
			" href=\"/surveys/new\" id=\"survey-new\">Write a survey</a></p>");
	if (n == 0) {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"no-surveys\">There are no surveys yet.</p>");
		page_end(r);
		return HE_OK;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"surveys\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%zu survey%s</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n, n == 1 ? "" : "s");
	page_th(r, "Survey");
	page_th(r, "Status");
	page_th(r, "Opened");
	page_th(r, "Closes or closed");
	if (manager(r))
		page_th_n(r, "Answers", true);
	else if (caps_has(r->caps, CAP_SURVEY_RESPOND))
		page_th(r, "Your answer");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		list_row(r, &v[i]);
	fmt_printf(&r->out, "</tbody></table>");
	page_end(r);
	return HE_OK;
}

/* ---- GET /surveys/{id} ------------------------------------------------------------- */

static void summary_row(struct req *r, const char *id, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\" id=\"%h\">%h</dd></div>", key, id,
		page_or_dash(value));
}

static void questions_list(struct req *r, const struct survey *sv)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Questions</h2><ol class=\"govuk-list"
		" govuk-list--number\" id=\"questions\">");
	for (size_t i = 0; i < sv->nq; i++)
		fmt_printf(&r->out, "<li>%h <span class=\"govuk-body-s\">(%s)</span></li>", sv->q[i].text,
			   strcmp(sv->q[i].kind, "likert") == 0 ? "strongly disagree to strongly agree"
			   : "free text");
	fmt_printf(&r->out, "</ol>");
}

static void manage_actions(struct req *r, const struct survey *sv)
{
	if (strcmp(sv->status, "draft") == 0) {
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/surveys/%lld/edit\""
			" id=\"survey-edit\">Change the survey</a></p><form method=\"post\""
			" action=\"/surveys/%lld/open\" novalidate><input type=\"hidden\" name=\"version\""
			" value=\"%lld\">", (long long)sv->id, (long long)sv->id, (long long)sv->version);
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\""
			" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span class=\""
			"govuk-visually-hidden\">Warning</span>Once open, the survey goes to every school leader"
			" and can no longer be changed.</strong></div><button type=\"submit\" class=\"govuk-button\""
			" data-module=\"govuk-button\" id=\"survey-open\">Open the survey</button></form>");
	} else if (strcmp(sv->status, "open") == 0) {
		fmt_printf(&r->out, "<form method=\"post\" action=\"/surveys/%lld/close\" novalidate>",
			   (long long)sv->id);
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--warning\""
			" data-module=\"govuk-button\" id=\"survey-close\">Close the survey</button></form>");
	}
}

int survey_page(struct req *r)
{
	struct survey sv;
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	page_begin(r, 200, sv.title);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Survey of school leaders</span>"
		"<h1 class=\"govuk-heading-l\">%h</h1>", sv.title);
	if (*sv.intro)
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"survey-intro\">%h</p>", sv.intro);
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\">");
	summary_row(r, "survey-status", "Status", status_title(sv.status));
	summary_row(r, "survey-opened", "Opened", *sv.opened_on ? page_day(r, sv.opened_on) : NULL);
	summary_row(r, "survey-closes", strcmp(sv.status, "closed") ? "Closes" : "Closed",
		    *sv.closes_on ? page_day(r, sv.closes_on) : NULL);
	if (manager(r))
		summary_row(r, "survey-responses", "Answers", arena_printf(&r->arena, "%" PRId64
			    " from %" PRId64 " school(s)", sv.responses, sv.schools_responded));
	fmt_printf(&r->out, "</dl>");
	if (caps_has(r->caps, CAP_SURVEY_RESPOND) && sv.answered)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"survey-answered\">You have"
			" answered this survey. Thank you.</div>");
	else if (caps_has(r->caps, CAP_SURVEY_RESPOND) && strcmp(sv.status, "open") == 0)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-button\" href=\"/surveys/%lld/"
			"respond\" id=\"survey-respond\">Answer the survey</a></p>", (long long)sv.id);
	questions_list(r, &sv);
	if (manager(r))
		manage_actions(r, &sv);
	if (strcmp(sv.status, "draft") && caps_has(r->caps, CAP_IMPACT))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/surveys/%lld/"
			"results\" id=\"survey-results\">See the results</a></p>", (long long)sv.id);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/surveys\">All"
		" surveys</a></p>");
	page_end(r);
	return HE_OK;
}

/* ---- the form to write or change one ------------------------------------------------ */

/* A value for the form: posted when shown again, else def. */
static const char *fv(struct req *r, bool again, const char *name, const char *def)
{
	if (again) {
		const char *x = req_form(r, name);
		return x ? x : "";
	}
	return def ? def : "";
}

static void question_row(struct req *r, const struct errinfo *e, bool again, int i,
			 const struct survey_question *q)
{
	const char *kid = arena_printf(&r->arena, "questions.%d.kind", i);
	const char *tid = arena_printf(&r->arena, "questions.%d.text", i);
	const char *kind = fv(r, again, kid, q ? q->kind : "likert");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"Kind of question %d</label>", page_group_class(e, kid), kid, i + 1);
	page_field_error(r, e, kid);
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"%h\" name=\"%h\"><option value=\"likert\"%s>"
		"A statement: strongly disagree to strongly agree</option><option value=\"text\"%s>Free"
		" text</option></select></div>", kid, kid, strcmp(kind, "text") ? " selected" : "",
		strcmp(kind, "text") ? "" : " selected");
	page_text_input(r, e, tid, tid, arena_printf(&r->arena, "Question %d", i + 1), NULL, "text",
			"govuk-!-width-full", fv(r, again, tid, q ? q->text : NULL));
}

static int form_page(struct req *r, const struct survey *sv, const struct errinfo *e, int status)
{
	bool again = e && e->code;
	const char *title = sv ? "Change the survey" : "Write a survey";
	page_begin(r, status, title);
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">%h</h1>", title);
	if (sv)
		fmt_printf(&r->out, "<form method=\"post\" action=\"/surveys/%lld\" novalidate>"
			"<input type=\"hidden\" name=\"version\" value=\"%lld\">", (long long)sv->id,
			(long long)sv->version);
	else
		fmt_printf(&r->out, "<form method=\"post\" action=\"/surveys\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	page_text_input(r, e, "title", "title", "Title", "For example, Family support: school"
			" leaders' survey 2026–27", "text", "govuk-!-width-full",
			fv(r, again, "title", sv ? sv->title : NULL));
	page_text_area(r, e, "intro", "intro", "Introduction", "What the survey is for, shown to"
		       " school leaders above the questions", 4, fv(r, again, "intro", sv ? sv->intro : NULL));
	page_text_input(r, e, "closes_on", "closes_on", "Planned closing date (optional)",
			"For example, 2026-07-17", "text", "govuk-input--width-10",
			fv(r, again, "closes_on", sv ? sv->closes_on : NULL));
	fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--m\">Questions</legend><div class=\"govuk-hint\" id=\"questions\">"
		"Statements are answered from strongly disagree to strongly agree; every one must be"
		" answered. Free-text answers are optional. Leave rows you do not need empty.</div>");
	page_field_error(r, e, "questions");
	for (int i = 0; i < QUESTION_ROWS; i++)
		question_row(r, e, again, i, sv && (size_t)i < sv->nq ? &sv->q[i] : NULL);
	fmt_printf(&r->out, "</fieldset><button type=\"submit\" class=\"govuk-button\" data-module="
		"\"govuk-button\">%s</button></form>", sv ? "Save changes" : "Save the draft");
	page_end(r);
	return HE_OK;
}

int survey_new_page(struct req *r)
{
	return form_page(r, NULL, NULL, 200);
}

int survey_edit_page(struct req *r)
{
	struct survey sv;
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	if (strcmp(sv.status, "draft"))
		return req_fail(r, HE_CONFLICT, "status", "This survey has been opened: it cannot be"
				" changed any more, only closed");
	return form_page(r, &sv, NULL, 200);
}

/* The posted form: the non-empty question rows into q (row[k] is the form
 * row of question k, to name a refused field by its row). */
static void form_read(struct req *r, struct survey_in *in, struct survey_question_in *q,
		      int *row)
{
	memset(in, 0, sizeof *in);
	in->title = req_form(r, "title");
	in->intro = req_form(r, "intro");
	in->closes_on = req_form(r, "closes_on");
	in->q = q;
	for (int i = 0; i < QUESTION_ROWS; i++) {
		const char *t = req_form(r, arena_printf(&r->arena, "questions.%d.text", i));
		if (!t || !t[strspn(t, " \t\r\n")])
			continue;
		row[in->nq] = i;
		q[in->nq].kind = req_form(r, arena_printf(&r->arena, "questions.%d.kind", i));
		q[in->nq++].text = t;
	}
}

/* Name a refused question by its form row. */
static void map_field(struct errinfo *e, const int *row, size_t n)
{
	unsigned k;
	char rest[16];
	if (sscanf(e->field, "questions.%u.%15s", &k, rest) == 2 && k < n)
		snprintf(e->field, sizeof e->field, "questions.%d.%s", row[k], rest);
}

/* A refused form is shown again; other errors go to the dispatcher. */
static int form_result(struct req *r, int rc, const struct survey *sv, struct errinfo *e)
{
	if (rc >= HE_DB || rc == HE_INTERNAL || rc == HE_FORBIDDEN || rc == HE_NOT_FOUND)
		return core_fail(r, rc, e);
	return form_page(r, sv, e, err_http_status(rc));
}

int survey_create_page(struct req *r)
{
	struct survey_in in;
	struct survey_question_in q[QUESTION_ROWS];
	int row[QUESTION_ROWS];
	struct errinfo e = {0};
	int64_t id = 0;
	const struct scope *s = req_scope(r);
	if (!s)
		return no_scope(r);
	form_read(r, &in, q, row);
	int rc = survey_save(r->db, s, 0, 0, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/surveys/%lld", (long long)id));
	map_field(&e, row, in.nq);
	return form_result(r, rc, NULL, &e);
}

int survey_update_page(struct req *r)
{
	struct survey sv;
	struct survey_in in;
	struct survey_question_in q[QUESTION_ROWS];
	int row[QUESTION_ROWS];
	struct errinfo e = {0};
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	const char *v = req_form(r, "version");
	form_read(r, &in, q, row);
	rc = survey_save(r->db, req_scope(r), sv.id, v ? strtoll(v, NULL, 10) : 0, &in, NULL, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/surveys/%lld", (long long)sv.id));
	map_field(&e, row, in.nq);
	return form_result(r, rc, &sv, &e);
}

/* ---- opening and closing -------------------------------------------------------------- */

int survey_open_page(struct req *r)
{
	struct survey sv;
	struct errinfo e = {0};
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	const char *v = req_form(r, "version");
	rc = survey_open(r->db, req_scope(r), sv.id, v ? strtoll(v, NULL, 10) : 0, 0, NULL, &e);
	if (rc)
		return core_fail(r, rc, &e);
	return req_redirect(r, arena_printf(&r->arena, "/surveys/%lld", (long long)sv.id));
}

int survey_close_page(struct req *r)
{
	struct survey sv;
	struct errinfo e = {0};
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	rc = survey_close(r->db, req_scope(r), sv.id, 0, &e);
	if (rc)
		return core_fail(r, rc, &e);
	return req_redirect(r, arena_printf(&r->arena, "/surveys/%lld", (long long)sv.id));
}

/* ---- answering ---------------------------------------------------------------------------- */

static void likert_radios(struct req *r, const struct survey_question *q, const char *cur,
			  const struct errinfo *e)
{
	const char *id = arena_printf(&r->arena, "q%d", q->position);
	bool err = page_has_err(e, id);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\"%s>"
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">%d. %h</legend>",
		err ? " govuk-form-group--error" : "", err ? arena_printf(&r->arena,
		" aria-describedby=\"%s-error\"", id) : "", q->position, q->text);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<div class=\"govuk-radios govuk-radios--small\" data-module=\"govuk-radios\">");
	for (int k = 1; k <= 5; k++) {
		const char *rid = k == 1 ? id : arena_printf(&r->arena, "%s-%d", id, k);
		char val[2] = {(char)('0' + k), 0};
		fmt_printf(&r->out, "<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\""
			" id=\"%h\" name=\"%h\" type=\"radio\" value=\"%h\"%s><label class=\"govuk-label"
			" govuk-radios__label\" for=\"%h\">%h</label></div>", rid, id, val,
			cur && strcmp(cur, val) == 0 ? " checked" : "", rid, survey_likert_labels[k - 1]);
	}
	fmt_printf(&r->out, "</div></fieldset></div>");
}

static int respond_form(struct req *r, const struct survey *sv, const struct errinfo *e, int status)
{
	page_begin(r, status, arena_printf(&r->arena, "Answer: %s", sv->title));
	page_error_summary(r, e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Survey of school leaders</span>"
		"<h1 class=\"govuk-heading-l\">%h</h1>", sv->title);
	if (*sv->intro)
		fmt_printf(&r->out, "<p class=\"govuk-body\">%h</p>", sv->intro);
	fmt_printf(&r->out, "<p class=\"govuk-body\">Answer every statement. The free-text questions"
		" are optional. Results are reported by school type; your school's free-text answers are"
		" seen by the partnership's coordinator.</p><form method=\"post\" action=\"/surveys/%lld/"
		"respond\" novalidate>", (long long)sv->id);
	page_csrf_field(r, r->sess.csrf);
	for (size_t i = 0; i < sv->nq; i++) {
		const struct survey_question *q = &sv->q[i];
		const char *id = arena_printf(&r->arena, "q%d", q->position);
		const char *cur = e && e->code ? req_form(r, id) : NULL;
		if (strcmp(q->kind, "likert") == 0)
			likert_radios(r, q, cur, e);
		else
			page_text_area(r, e, id, id, arena_printf(&r->arena, "%d. %s", q->position,
				       q->text), "Optional. Up to 2,000 characters.", 5, cur ? cur : "");
	}
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\""
		" id=\"survey-send\">Send your answers</button></form>");
	page_end(r);
	return HE_OK;
}

/* Why sv cannot be answered by this user, or HE_OK. */
static int respond_refusal(struct req *r, const struct survey *sv)
{
	if (sv->answered)
		return req_fail(r, HE_CONFLICT, "survey", "You have answered this survey already: it"
				" takes one answer from each school leader");
	if (strcmp(sv->status, "open"))
		return req_fail(r, HE_CONFLICT, "status", "This survey has closed: it takes no more"
				" answers");
	return HE_OK;
}

int survey_respond_page(struct req *r)
{
	struct survey sv;
	int rc = survey_from_path(r, &sv);
	if (!rc)
		rc = respond_refusal(r, &sv);
	return rc ? rc : respond_form(r, &sv, NULL, 200);
}

int survey_answer_page(struct req *r)
{
	struct survey sv;
	struct errinfo e = {0};
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	const char **ans = arena_alloc(&r->arena, (sv.nq ? sv.nq : 1) * sizeof *ans);
	for (size_t i = 0; i < sv.nq; i++)
		ans[i] = req_form(r, arena_printf(&r->arena, "q%d", sv.q[i].position));
	rc = survey_respond(r->db, req_scope(r), sv.id, ans, sv.nq, NULL, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/surveys/%lld", (long long)sv.id));
	if (rc == HE_INVALID || rc == HE_MISSING)
		return respond_form(r, &sv, &e, err_http_status(rc));
	return core_fail(r, rc, &e);
}

/* ---- results ---------------------------------------------------------------------------------- */

/* The results' tables in the order printed. */
static size_t result_tables(struct req *r, const struct survey_results *res, struct rtable ***out)
{
	size_t n = 0;
	struct rtable **t = arena_alloc(&r->arena, (res->nlikert + 2) * sizeof *t);
	t[n++] = res->rates;
	for (size_t i = 0; i < res->nlikert; i++)
		t[n++] = res->likert[i];
	if (res->schools)
		t[n++] = res->schools;
	*out = t;
	return n;
}

static void results_filter_form(struct req *r, const struct survey *sv)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/surveys/%lld/results\" id=\"survey-filter\""
		" class=\"hearth-no-print\"><div class=\"govuk-form-group\"><label class=\"govuk-label\""
		" for=\"phase\">School type</label><select class=\"govuk-select\" id=\"phase\" name=\"phase\">"
		"<option value=\"\">All school types</option>", (long long)sv->id);
	const char *cur = req_query(r, "phase");
	for (size_t i = 0; school_phases[i]; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", school_phases[i],
			   cur && strcmp(cur, school_phases[i]) == 0 ? " selected" : "",
			   school_phase_title(school_phases[i]));
	fmt_printf(&r->out, "</select></div><button type=\"submit\" class=\"govuk-button"
		" govuk-button--secondary\" data-module=\"govuk-button\">Show the results</button></form>");
}

static void texts_section(struct req *r, const struct survey *sv, const struct survey_results *res)
{
	for (size_t i = 0; i < sv->nq; i++) {
		const struct survey_question *q = &sv->q[i];
		if (strcmp(q->kind, "text"))
			continue;
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"text-q%d\">%d. %h</h2>",
			   q->position, q->position, q->text);
		size_t shown = 0;
		fmt_printf(&r->out, "<ul class=\"govuk-list govuk-list--bullet\" id=\"answers-q%d\">",
			   q->position);
		for (size_t k = 0; k < res->ntexts; k++)
			if (res->texts[k].position == q->position && ++shown)
				fmt_printf(&r->out, "<li>%h <span class=\"govuk-body-s\">— %h</span></li>",
					   res->texts[k].text, res->texts[k].school);
		fmt_printf(&r->out, "</ul>");
		if (!shown)
			fmt_printf(&r->out, "<p class=\"govuk-body\">No answers.</p>");
	}
}

static void results_html(struct req *r, const struct survey *sv, const struct survey_results *res,
			 const struct report_filter *f)
{
	struct rtable **t;
	size_t n = result_tables(r, res, &t);
	const char *base = arena_printf(&r->arena, "/surveys/%lld/results", (long long)sv->id);
	const char *ph = req_query(r, "phase");
	const char *q = ph && *ph ? arena_printf(&r->arena, "phase=%s&", ph) : "";
	page_begin(r, 200, arena_printf(&r->arena, "Results: %s", sv->title));
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Survey of school leaders: results</span>"
		"<h1 class=\"govuk-heading-l\">%h</h1><p class=\"govuk-body\" id=\"results-status\">%h:"
		" %h.</p>", sv->title, status_title(sv->status), strcmp(sv->status, "closed") == 0 ?
		arena_printf(&r->arena, "open from %s to %s", page_day(r, sv->opened_on),
			     page_day(r, sv->closes_on)) : arena_printf(&r->arena, "open since %s",
			     page_day(r, sv->opened_on)));
	results_filter_form(r, sv);
	if (f->suppress)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"report-suppressed\">Numbers from"
			" 1 to 4 are shown as “fewer than 5”, and rates and averages worked out from fewer than"
			" 5 are not shown. Free-text answers are not shown.</div>");
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\" id=\"report-exports\">Download:"
		" <a class=\"govuk-link\" id=\"export-csv\" href=\"%h?%hformat=csv\">response rates (CSV)</a>"
		" · <a class=\"govuk-link\" id=\"export-xlsx\" href=\"%h?%hformat=xlsx\">every table (Excel)"
		"</a> · <a class=\"govuk-link\" id=\"export-json\" href=\"/api/v1%h?%h\">JSON</a></p>",
		base, q, base, q, base, q);
	for (size_t i = 0; i < n; i++)
		report_html_table(r, t[i], f);
	if (manager(r))
		texts_section(r, sv, res);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/surveys/%lld\">"
		"Back to the survey</a></p>", (long long)sv->id);
	page_end(r);
}

/* ,"survey":{…},"free_text":[…] appended inside report_json's object. */
static void json_survey(struct req *r, const struct survey *sv);

static void results_json(struct req *r, const struct survey *sv, const struct survey_results *res,
			 const struct report_filter *f)
{
	struct rtable **t;
	size_t n = result_tables(r, res, &t);
	report_json(r, t, n, f);
	/* report_json writes one object ending "}\n": reopen it for our members */
	struct buf *b = &r->out;
	if (b->len < 2 || b->data[b->len - 1] != '\n' || b->data[b->len - 2] != '}')
		return;
	b->len -= 2;
	buf_puts(b, ",\"survey\":");
	json_survey(r, sv);
	if (manager(r)) {
		buf_puts(b, ",\"free_text\":[");
		for (size_t i = 0; i < res->ntexts; i++)
			fmt_printf(b, "%s{\"question\":%d,\"school\":%j,\"text\":%j}", i ? "," : "",
				   res->texts[i].position, res->texts[i].school, res->texts[i].text);
		buf_putc(b, ']');
	}
	buf_puts(b, "}\n");
}

static int results(struct req *r)
{
	struct survey sv;
	struct report_filter f;
	struct survey_results res;
	int rc = survey_from_path(r, &sv);
	if (!rc && strcmp(sv.status, "draft") == 0)
		rc = req_fail(r, HE_CONFLICT, "status", "A draft has no results: open it first");
	if (!rc)
		rc = report_page_filter(r, &f);
	if (!rc)
		rc = survey_results(r->db, &r->arena, &f, &sv, manager(r), &res);
	if (rc)
		return rc;
	enum report_format fmt = report_format(r);
	bool export = fmt == REPORT_CSV || fmt == REPORT_XLSX;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)sv.id);
	rc = req_audit(r, export ? "export" : "view", "surveys", id, arena_printf(&r->arena,
		       "%s the results of survey \xe2\x80\x9c%.100s\xe2\x80\x9d%s%s", export ?
		       "Exported" : "Viewed", sv.title, *f.phase ? ", " : "", *f.phase ?
		       school_phase_title(f.phase) : ""));
	if (!rc && export)
		rc = dataprot_export(r, arena_printf(&r->arena, "surveys/%s/results", id),
				     fmt == REPORT_CSV ? "csv" : "xlsx", f.period_label, -1);
	if (rc)
		return rc;
	struct rtable **t;
	size_t n = result_tables(r, &res, &t);
	const char *want = req_query(r, "table");
	switch (fmt) {
	case REPORT_HTML:
		results_html(r, &sv, &res, &f);
		break;
	case REPORT_JSON:
		results_json(r, &sv, &res, &f);
		break;
	case REPORT_CSV:
		for (size_t i = 1; want && i < n; i++)
			if (strcmp(t[i]->id, want) == 0)
				t[0] = t[i];
		report_csv(r, t[0], &f);
		break;
	case REPORT_XLSX:
		return report_xlsx(r, t, n, &f, arena_printf(&r->arena, "survey-%s-results", id));
	}
	return HE_OK;
}

int survey_results_page(struct req *r)
{
	return results(r);
}

int survey_results_api(struct req *r)
{
	return results(r);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void json_day(struct buf *b, const char *day)
{
	if (*day)
		fmt_printf(b, "%j", day);
	else
		buf_puts(b, "null");
}

static void json_survey(struct req *r, const struct survey *sv)
{
	struct buf *b = &r->out;
	fmt_printf(b, "{\"id\":%lld,\"version\":%lld,\"title\":%j,\"intro\":%j,\"status\":%j,"
		"\"opened_on\":", (long long)sv->id, (long long)sv->version, sv->title, sv->intro,
		sv->status);
	json_day(b, sv->opened_on);
	buf_puts(b, ",\"closes_on\":");
	json_day(b, sv->closes_on);
	if (manager(r))
		fmt_printf(b, ",\"responses\":%" PRId64 ",\"schools_responded\":%" PRId64,
			   sv->responses, sv->schools_responded);
	if (caps_has(r->caps, CAP_SURVEY_RESPOND))
		fmt_printf(b, ",\"answered\":%s", sv->answered ? "true" : "false");
	if (sv->q) {
		buf_puts(b, ",\"questions\":[");
		for (size_t i = 0; i < sv->nq; i++)
			fmt_printf(b, "%s{\"position\":%d,\"kind\":%j,\"text\":%j}", i ? "," : "",
				   sv->q[i].position, sv->q[i].kind, sv->q[i].text);
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

int surveys_api(struct req *r)
{
	const struct scope *s = req_scope(r);
	struct survey *v;
	size_t n;
	if (!s)
		return no_scope(r);
	int rc = survey_list(r->db, &r->arena, s, &v, &n);
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"surveys\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		json_survey(r, &v[i]);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* Reply with the survey id as it is now. */
static int reply_survey(struct req *r, int64_t id, int status, const char *extra)
{
	struct survey sv;
	struct errinfo e = {0};
	int rc = survey_get(r->db, &r->arena, req_scope(r), id, &sv, &e);
	if (rc)
		return core_fail(r, rc, &e);
	req_json(r, status);
	buf_puts(&r->out, "{\"survey\":");
	json_survey(r, &sv);
	buf_puts(&r->out, extra ? extra : "");
	buf_puts(&r->out, "}\n");
	return HE_OK;
}

int survey_api(struct req *r)
{
	struct survey sv;
	int rc = survey_from_path(r, &sv);
	return rc ? rc : reply_survey(r, sv.id, 200, NULL);
}

/* The survey_in of a JSON body; questions into q (arena). */
static int json_in(struct req *r, json_t *j, struct survey_in *in)
{
	memset(in, 0, sizeof *in);
	in->title = json_str(j, "title");
	in->intro = json_str(j, "intro");
	in->closes_on = json_str(j, "closes_on");
	json_t *qs = json_object_get(j, "questions");
	if (qs && !json_is_array(qs))
		return req_fail(r, HE_INVALID, "questions", "questions must be a list of"
				" {\"kind\":\"likert\"|\"text\",\"text\":…}");
	size_t n = json_array_size(qs);
	struct survey_question_in *q = arena_alloc(&r->arena, (n ? n : 1) * sizeof *q);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(qs, i);
		q[i].kind = json_str(x, "kind");
		q[i].text = json_str(x, "text");
	}
	in->q = q;
	in->nq = n;
	return HE_OK;
}

int survey_create_api(struct req *r)
{
	struct survey_in in;
	struct errinfo e = {0};
	int64_t id = 0;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	int rc = json_in(r, j, &in);
	if (!rc)
		rc = survey_save(r->db, req_scope(r), 0, 0, &in, &id, &e);
	json_decref(j);
	if (rc)
		return r->err.code ? rc : core_fail(r, rc, &e);
	return reply_survey(r, id, 201, NULL);
}

static int64_t json_version(json_t *j)
{
	json_t *v = json_object_get(j, "version");
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int survey_update_api(struct req *r)
{
	struct survey sv;
	struct survey_in in;
	struct errinfo e = {0};
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	rc = json_in(r, j, &in);
	if (!rc)
		rc = survey_save(r->db, req_scope(r), sv.id, json_version(j), &in, NULL, &e);
	json_decref(j);
	if (rc)
		return r->err.code ? rc : core_fail(r, rc, &e);
	return reply_survey(r, sv.id, 200, NULL);
}

int survey_open_api(struct req *r)
{
	struct survey sv;
	struct errinfo e = {0};
	int64_t sent = 0;
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	rc = survey_open(r->db, req_scope(r), sv.id, json_version(j), 0, &sent, &e);
	json_decref(j);
	if (rc)
		return core_fail(r, rc, &e);
	return reply_survey(r, sv.id, 200, arena_printf(&r->arena, ",\"sent_to\":%" PRId64, sent));
}

int survey_close_api(struct req *r)
{
	struct survey sv;
	struct errinfo e = {0};
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	rc = survey_close(r->db, req_scope(r), sv.id, 0, &e);
	if (rc)
		return core_fail(r, rc, &e);
	return reply_survey(r, sv.id, 200, NULL);
}

/* answers {"q1": 4, "q2": "text", …} as strings by position. */
static int json_answers(struct req *r, json_t *j, const struct survey *sv, const char ***out,
			size_t *n)
{
	json_t *a = json_object_get(j, "answers");
	if (!json_is_object(a))
		return req_fail(r, HE_MISSING, "answers", "Send the answers as {\"answers\":{\"q1\":4,"
				" \"q2\":\"…\"}}");
	size_t cap = sv->nq;
	const char *key;
	json_t *v;
	json_object_foreach(a, key, v) {
		unsigned long k = key[0] == 'q' ? strtoul(key + 1, NULL, 10) : 0;
		if (k == 0 || k > SURVEY_QUESTIONS_MAX)
			return req_fail(r, HE_INVALID, "answers", arena_printf(&r->arena, "There is no"
					" question %.20s: name answers q1, q2, …", key));
		if (k > cap)
			cap = k;
	}
	const char **ans = arena_alloc(&r->arena, (cap ? cap : 1) * sizeof *ans);
	json_object_foreach(a, key, v) {
		size_t k = strtoul(key + 1, NULL, 10) - 1;
		if (json_is_integer(v))
			ans[k] = arena_printf(&r->arena, "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v))
			ans[k] = json_string_value(v);
		else if (!json_is_null(v))
			return req_fail(r, HE_INVALID, arena_printf(&r->arena, "q%zu", k + 1),
					"Answer with a number from 1 to 5, or text");
	}
	*out = ans;
	*n = cap;
	return HE_OK;
}

int survey_respond_api(struct req *r)
{
	struct survey sv;
	struct errinfo e = {0};
	int64_t rid = 0;
	const char **ans = NULL;
	size_t n = 0;
	int rc = survey_from_path(r, &sv);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	rc = json_answers(r, j, &sv, &ans, &n);
	if (!rc)
		rc = survey_respond(r->db, req_scope(r), sv.id, ans, n, &rid, &e);
	if (rc) {
		json_decref(j);
		return r->err.code ? rc : core_fail(r, rc, &e);
	}
	json_decref(j);
	req_json(r, 201);
	fmt_printf(&r->out, "{\"response\":{\"id\":%lld,\"survey_id\":%lld}}\n", (long long)rid,
		   (long long)sv.id);
	return HE_OK;
}
