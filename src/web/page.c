/* page.c — the GOV.UK page frame, error pages and error summaries. */
#include "web/page.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/fmt.h"
#include "base/money.h"
#include "web/http.h"
#include "web/route.h"

struct nav_item {
	const char *href;
	const char *label;
	enum cap cap;
};

static const struct nav_item nav[] = {
	{"/", "Home", CAP_SIGNED_IN},
	{"/pupils", "Pupils", CAP_PUPILS},
	{"/referrals", "Referrals", CAP_REFER},
	{"/screening", "Screening", CAP_REFERRALS_ALL},
	{"/caseload", "My caseload", CAP_CASES_OWN},
	{"/cases", "Cases", CAP_CASES_ALL},
	{"/workers", "Workers", CAP_WORKERS_MANAGE},
	{"/joint-audit", "Joint audit", CAP_CASES_ALL},
	{"/taf", "Meetings and actions", CAP_TAF_ACTIONS_OWN},
	{"/agencies", "Directory", CAP_DIRECTORY},
	{"/catalogue", "Services", CAP_CATALOGUE},
	{"/budgets", "Budgets", CAP_BUDGETS},
	{"/approvals", "Approvals", CAP_COMMISSION_APPROVE},
	{"/costs", "Cost per family", CAP_REPORTS},
	{"/reports", "Reports", CAP_IMPACT},
	{"/surveys", "Surveys", CAP_SURVEYS_MANAGE},
	{"/imports", "Imports", CAP_IMPORT},
	{"/history", "History", CAP_HISTORY_IMPORT},
	{"/risk/rules", "Risk rules", CAP_RISK_RULES},
	{"/risk/summary", "Risk summary", CAP_REPORTS_AGGREGATE},
	{"/assessment/domains", "Assessment domains", CAP_ASSESSMENT_DOMAINS},
	{"/schools", "Schools", CAP_SCHOOLS_VIEW},
	{"/users", "Users", CAP_USERS_MANAGE},
	{"/audit", "Audit log", CAP_AUDIT_READ},
	{"/subject-access", "Subject access", CAP_SUBJECT_ACCESS},
	{"/retention", "Retention", CAP_HOLDS},
	{"/settings/money", "Money settings", CAP_SCHOOLS_MANAGE},
	{"/exports", "Export register", CAP_EXPORT_REGISTER},
	{"/account/security", "Account", CAP_SIGNED_IN},
};

static void page_nav(struct req *r)
{
	fmt_printf(&r->out,
		"<section aria-label=\"Service information\" class=\"govuk-service-navigation\""
		" data-module=\"govuk-service-navigation\"><div class=\"govuk-width-container\">"
		"<div class=\"govuk-service-navigation__container\">"
		"<span class=\"govuk-service-navigation__service-name\">"
		"<a href=\"/\" class=\"govuk-service-navigation__link\">Hearth</a></span>");
	if (r->signed_in) {
		fmt_printf(&r->out, "<nav aria-label=\"Menu\" class=\"govuk-service-navigation__wrapper\">"
			"<button type=\"button\" class=\"govuk-service-navigation__toggle"
			" govuk-js-service-navigation-toggle\" aria-controls=\"navigation\" hidden>Menu</button>"
			"<ul class=\"govuk-service-navigation__list\" id=\"navigation\">");
		for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++) {
			if (!caps_has(r->caps, nav[i].cap))
				continue;
			bool here = strcmp(r->path, nav[i].href) == 0;
			fmt_printf(&r->out, "<li class=\"govuk-service-navigation__item%s\">"
				"<a class=\"govuk-service-navigation__link\" href=\"%h\"%s>%h</a></li>",
				here ? " govuk-service-navigation__item--active" : "", nav[i].href,
				here ? " aria-current=\"page\"" : "", nav[i].label);
		}
		/* Signing out changes state, so it is a POST form styled as a link. */
		fmt_printf(&r->out, "<li class=\"govuk-service-navigation__item\">"
			"<form method=\"post\" action=\"/logout\" class=\"hearth-inline-form\">");
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"hearth-link-button"
			" govuk-service-navigation__link\">Sign out</button></form></li></ul></nav>");
	}
	fmt_printf(&r->out, "</div></div></section>");
}

static void page_account_bar(struct req *r)
{
	if (!r->signed_in)
		return;
	const struct user *u = &r->sess.user;
	fmt_printf(&r->out, "<div class=\"govuk-width-container hearth-account\">"
		"<p class=\"govuk-body-s hearth-account__who\">Signed in as <strong>%h</strong>"
		" &middot; %h", u->name, role_title(u->role));
	if (u->school_name)
		fmt_printf(&r->out, " &middot; %h", u->school_name);
	fmt_printf(&r->out, "</p></div>");
}

void page_begin(struct req *r, int status, const char *title)
{
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
	buf_reset(&r->out);
	fmt_printf(&r->out,
		"<!DOCTYPE html>\n<html lang=\"en-GB\" class=\"govuk-template\">"
		"<head><meta charset=\"utf-8\"><title>%h – Hearth</title>"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1, viewport-fit=cover\">"
		"<meta name=\"theme-color\" content=\"#0b0c0c\">"
		"<link rel=\"icon\" sizes=\"48x48\" href=\"/assets/govuk/images/favicon.ico\">"
		"<link rel=\"stylesheet\" href=\"/assets/govuk/govuk-frontend.min.css\">"
		"<link rel=\"stylesheet\" href=\"/assets/app.css\">"
		"<script type=\"module\" src=\"/assets/app.js\"></script>"
		"</head><body class=\"govuk-template__body\">"
		"<a href=\"#main-content\" class=\"govuk-skip-link\" data-module=\"govuk-skip-link\">"
		"Skip to main content</a><header class=\"govuk-template__header\">", title);
	page_nav(r);
	page_account_bar(r);
	fmt_printf(&r->out, "</header>");
	fmt_printf(&r->out, "<div class=\"govuk-width-container\">"
		"<main class=\"govuk-main-wrapper\" id=\"main-content\">");
}

void page_end(struct req *r)
{
	fmt_printf(&r->out, "</main></div><footer class=\"govuk-footer\">"
		"<div class=\"govuk-width-container\"><div class=\"govuk-footer__meta\">"
		"<div class=\"govuk-footer__meta-item govuk-footer__meta-item--grow\">"
		"<p class=\"govuk-body-s\">Hearth — school-led family support. Records here are about"
		" children and families: every view is logged.</p></div></div></div></footer>"
		"</body></html>\n");
}

void page_begin_bare(struct req *r, int status, const char *title)
{
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
	buf_reset(&r->out);
	fmt_printf(&r->out,
		"<!DOCTYPE html>\n<html lang=\"en-GB\" class=\"govuk-template hearth-bare\">"
		"<head><meta charset=\"utf-8\"><title>%h</title>"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1, viewport-fit=cover\">"
		"<link rel=\"icon\" sizes=\"48x48\" href=\"/assets/govuk/images/favicon.ico\">"
		"<link rel=\"stylesheet\" href=\"/assets/govuk/govuk-frontend.min.css\">"
		"<link rel=\"stylesheet\" href=\"/assets/app.css\">"
		"</head><body class=\"govuk-template__body hearth-bare__body\">"
		"<div class=\"govuk-width-container\">"
		"<main class=\"govuk-main-wrapper\" id=\"main-content\">", title);
}

void page_end_bare(struct req *r)
{
	fmt_printf(&r->out, "</main></div></body></html>\n");
}

int page_error(struct req *r, int code)
{
	static const struct { int code; const char *title; const char *body; } pages[] = {
		{HE_NOT_FOUND, "Page not found",
		 "If you typed the web address, check it is correct. If you followed a link,"
		 " the record may have moved or you may not have access to it."},
		{HE_FORBIDDEN, "You do not have access to this page",
		 "Your role does not include this. Ask your partnership's data lead if you need it."},
		{HE_CSRF, "The form could not be sent",
		 "The form had expired or did not come from Hearth. Go back, reload the page and try again."},
		{HE_METHOD, "Page not found", "That page does not accept this kind of request."},
	};
	const char *title = "Sorry, there is a problem with the service";
	const char *body = err_default_message(code);
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (pages[i].code == code) {
			title = pages[i].title;
			body = pages[i].body;
		}
	if (r->err.code == code && *r->err.message)
		body = r->err.message;
	page_begin(r, err_http_status(code), title);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">%h</h1><p class=\"govuk-body\">%h</p>"
		"<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/\">Go to the home page</a></p>",
		title, body);
	page_end(r);
	return HE_OK;
}

void page_success_banner(struct req *r, const char *msg)
{
	fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
		" role=\"alert\" aria-labelledby=\"done-title\" data-module=\"govuk-notification-banner\">"
		"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
		" id=\"done-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
		"<p class=\"govuk-notification-banner__heading\" id=\"done\">%h</p></div></div>", msg);
}

void page_error_summary(struct req *r, const struct errinfo *e)
{
	if (!e || e->code == HE_OK)
		return;
	fmt_printf(&r->out, "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\">"
		"<div role=\"alert\"><h2 class=\"govuk-error-summary__title\">There is a problem</h2>"
		"<div class=\"govuk-error-summary__body\"><ul class=\"govuk-list govuk-error-summary__list\">"
		"<li><a href=\"#%h\">%h</a></li></ul></div></div></div>",
		*e->field ? e->field : "main-content", e->message);
}

void page_csrf_field(struct req *r, const char *token)
{
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"csrf_token\" value=\"%h\">", token);
}

void page_field_error(struct req *r, const struct errinfo *e, const char *id)
{
	if (e && e->code && strcmp(e->field, id) == 0)
		fmt_printf(&r->out, "<p id=\"%h-error\" class=\"govuk-error-message\">"
			   "<span class=\"govuk-visually-hidden\">Error:</span> %h</p>", id, e->message);
}

const char *page_group_class(const struct errinfo *e, const char *id)
{
	return e && e->code && strcmp(e->field, id) == 0 ? " govuk-form-group--error" : "";
}

void page_input(struct req *r, const char *id, const char *label, const char *type,
		const char *value, const char *autocomplete, const struct errinfo *e)
{
	bool bad = e && e->code != HE_OK && strcmp(e->field, id) == 0;
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\">"
		"<label class=\"govuk-label\" for=\"%h\">%h</label>",
		page_group_class(e, id), id, label);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<input class=\"govuk-input%s\" id=\"%h\" name=\"%h\" type=\"%h\""
		" value=\"%h\" autocomplete=\"%h\" spellcheck=\"false\"%s%h%s></div>",
		bad ? " govuk-input--error" : "", id, id, type, value ? value : "",
		autocomplete, bad ? " aria-describedby=\"" : "", bad ? id : "",
		bad ? "-error\"" : "");
}

const char *page_nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

const char *page_or_dash(const char *s)
{
	return s && *s ? s : "—";
}

const char *page_idem_new(struct req *r)
{
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	char *hex = arena_alloc(&r->arena, 33);
	sodium_bin2hex(hex, 33, raw, sizeof raw);
	return hex;
}

const char *page_day(struct req *r, const char *when)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					     "Aug", "Sep", "Oct", "Nov", "Dec"};
	char d[11];
	hday day;
	int y, m, dd;
	if (!when || strlen(when) < 10)
		return page_or_dash(when);
	snprintf(d, sizeof d, "%.10s", when);
	if (!date_parse(d, &day))
		return when;
	date_to_ymd(day, &y, &m, &dd);
	return arena_printf(&r->arena, "%d %s %d", dd, months[m - 1], y);
}

const char *page_when(struct req *r, const char *when)
{
	const char *day = page_day(r, when);
	if (day == when || !when || strlen(when) < 16)
		return day;
	return arena_printf(&r->arena, "%s %.5s", day, when + 11);
}

void page_th(struct req *r, const char *text)
{
	fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header\">%h</th>", text);
}

void page_td(struct req *r, const char *text)
{
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h</td>", page_or_dash(text));
}

bool page_has_err(const struct errinfo *e, const char *id)
{
	return e && e->code && strcmp(e->field, id) == 0;
}

void page_group_open(struct req *r, const struct errinfo *e, const char *id, const char *label,
		     const char *hint)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label govuk-label--s\""
		" for=\"%h\">%h</label>", page_group_class(e, id), id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	page_field_error(r, e, id);
}

const char *page_describedby(struct req *r, const struct errinfo *e, const char *id, bool hint)
{
	bool err = page_has_err(e, id);
	if (!hint && !err)
		return "";
	return arena_printf(&r->arena, " aria-describedby=\"%s%s%s%s%s\"", hint ? id : "",
			    hint ? "-hint" : "", hint && err ? " " : "", err ? id : "", err ? "-error" : "");
}

void page_text_input(struct req *r, const struct errinfo *e, const char *id, const char *name,
		     const char *label, const char *hint, const char *type, const char *width,
		     const char *value)
{
	page_group_open(r, e, id, label, hint);
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"%h\""
		" value=\"%h\"%s></div>", width, page_has_err(e, id) ? " govuk-input--error" : "", id, name,
		type, value, page_describedby(r, e, id, hint != NULL));
}

void page_text_area(struct req *r, const struct errinfo *e, const char *id, const char *name,
		    const char *label, const char *hint, int rows, const char *value)
{
	page_group_open(r, e, id, label, hint);
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea%s\" id=\"%h\" name=\"%h\" rows=\"%d\"%s>"
		"%h</textarea></div>", page_has_err(e, id) ? " govuk-textarea--error" : "", id, name, rows,
		page_describedby(r, e, id, hint != NULL), value);
}

void page_th_n(struct req *r, const char *text, bool numeric)
{
	fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header%s\">%h</th>",
		   numeric ? " govuk-table__header--numeric" : "", text);
}

void page_td_n(struct req *r, const char *text, bool numeric)
{
	fmt_printf(&r->out, "<td class=\"govuk-table__cell%s\">%h</td>",
		   numeric ? " govuk-table__cell--numeric" : "", page_or_dash(text));
}

const char *page_money(struct req *r, int64_t pence)
{
	char b[32];
	money_format(pence, b);
	return arena_strdup(&r->arena, b);
}

const char *page_money_plain(struct req *r, int64_t pence)
{
	char b[32];
	money_plain(pence, b);
	return arena_strdup(&r->arena, b);
}

int64_t page_to_int(const char *s)
{
	char *end;
	if (!s || !*s)
		return 0;
	long long v = strtoll(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}
