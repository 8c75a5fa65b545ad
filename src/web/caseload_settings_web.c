/* caseload_settings_web.c — the partnership's default maximum caseload in
 * the browser and the API (core/caseload_settings.h).
 *
 *   GET  /settings/caseload          the value in force, how capacity is counted,
 *                                    and the form
 *   POST /settings/caseload          max_caseload (standard cases), and
 *                                    seen_max_caseload (the value shown, hidden:
 *                                    a stale form is refused)
 *   GET  /api/v1/settings/caseload   {"settings":{"max_caseload":18}}
 *   PUT  /api/v1/settings/caseload   {"max_caseload":16}; optional "seen" object
 *                                    of the value the caller read (409 when stale)
 *
 * Capability CAP_WORKERS_MANAGE, as the pool's worker pages: the
 * coordinator manages the pool and its capacity.  A change writes one
 * audit row (core); reading writes none, as no one's record is read. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "core/caseload_settings.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define FIELD "max_caseload"
#define SEEN "seen_max_caseload"

/* A whole number typed in a form, blanks around it allowed, into *v;
 * false when it is anything else (or absurdly long). */
static bool whole(const char *s, int *v)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	if (n == 0 || n > 6)
		return false;
	for (const char *t = s + n; *t; t++)
		if (!isspace((unsigned char)*t))
			return false;
	*v = (int)strtol(s, NULL, 10);
	return true;
}

/* ---- the page -------------------------------------------------------------------- */

/* The value in force and the active workers it applies to. */
static void in_force(struct req *r, int cur, int on_default, int active)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">In force</h2>"
		"<dl class=\"govuk-summary-list\" id=\"caseload-in-force\">"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Default"
		" maximum caseload</dt><dd class=\"govuk-summary-list__value\" id=\"now-max_caseload\">"
		"%d standard cases (%d weighted places)</dd></div>"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Workers it"
		" applies to</dt><dd class=\"govuk-summary-list__value\" id=\"now-on-default\">%d of %d"
		" active workers (the others have a maximum of their own)</dd></div></dl>",
		cur, 2 * cur, on_default, active);
}

static void explain(struct req *r)
{
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Default maximum caseload</h1>"
		"<p class=\"govuk-body\">How many standard cases a worker in the pool can hold when"
		" their profile gives no maximum of their own. A worker&#39;s own maximum, on their"
		" profile in <a class=\"govuk-link\" href=\"/workers\">Workers</a>, wins over this"
		" default.</p>"
		"<p class=\"govuk-body\">Each open case counts by its intensity: light 1, standard 2,"
		" intensive 3. A worker has 2 × their maximum in weighted places, so a maximum of 18"
		" gives 36 places: 18 standard cases, 36 light cases or 12 intensive ones.</p>"
		"<p class=\"govuk-body\">A change applies at once to the allocation suggestions, to the"
		" capacity check when a referral is accepted, and to each worker&#39;s load. Cases"
		" already allocated stay with their worker.</p>");
}

/* The page: the value in force (cur), and the form holding typed (the
 * text as sent, on an error other than a conflict) or cur. */
static int show(struct req *r, int status, int cur, const char *typed, const struct errinfo *e)
{
	int on_default, active;
	int rc = caseload_settings_workers(r->db, &on_default, &active);
	if (rc)
		return req_fail(r, rc, "", "The workers could not be counted");
	bool err = e && e->code;
	page_begin(r, status, err ? "Error: Default maximum caseload" : "Default maximum caseload");
	fmt_printf(&r->out, "<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	const char *done = req_query(r, "done");
	if (!err && done && *done)
		page_success_banner(r, "Default maximum caseload saved");
	explain(r);
	in_force(r, cur, on_default, active);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Change it</h2>"
		"<form method=\"post\" action=\"/settings/caseload\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"%s\" value=\"%d\">", SEEN, cur);
	page_text_input(r, e, FIELD, FIELD, "Default maximum caseload",
			"In standard cases, a whole number from 1 to 100. A worker's own maximum on"
			" their profile wins. Light cases count 1, standard 2 and intensive 3 against"
			" 2 × the maximum weighted places.", "text", "govuk-input--width-3",
			typed ? typed : arena_printf(&r->arena, "%d", cur));
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Save the default maximum caseload</button></form></div></div>");
	page_end(r);
	return HE_OK;
}

int caseload_settings_page(struct req *r)
{
	int cur;
	int rc = caseload_settings_get(r->db, &cur);
	if (rc)
		return req_fail(r, rc, "", "The default maximum caseload could not be read");
	return show(r, 200, cur, NULL, NULL);
}

int caseload_settings_post_page(struct req *r)
{
	struct errinfo e = {0};
	const char *typed = req_form(r, FIELD), *s = req_form(r, SEEN);
	int to = 0, seen = 0;
	int rc = HE_OK;
	if (!typed || !*typed)
		rc = errinfo_set(&e, HE_MISSING, FIELD, "Enter the default maximum caseload");
	else if (!whole(typed, &to))
		rc = errinfo_set(&e, HE_INVALID, FIELD, "Enter the default maximum caseload as a"
				 " whole number of standard cases, like 18");
	if (!rc)
		rc = caseload_settings_set(r->db, &r->who, to, s && whole(s, &seen) ? &seen : NULL, &e);
	if (!rc)
		return req_redirect(r, "/settings/caseload?done=1");
	if (rc != HE_INVALID && rc != HE_MISSING && rc != HE_CONFLICT) {
		r->err = e;
		return rc;
	}
	int cur;
	int rc2 = caseload_settings_get(r->db, &cur);
	if (rc2)
		return req_fail(r, rc2, "", "The default maximum caseload could not be read");
	return show(r, err_http_status(rc), cur, rc == HE_CONFLICT ? NULL : typed, &e);
}

/* ---- the API --------------------------------------------------------------------- */

static void settings_json(struct req *r, int status, int max)
{
	req_json(r, status);
	fmt_printf(&r->out, "{\"settings\":{\"max_caseload\":%d}}\n", max);
}

int caseload_settings_api(struct req *r)
{
	int cur;
	int rc = caseload_settings_get(r->db, &cur);
	if (rc)
		return req_fail(r, rc, "", "The default maximum caseload could not be read");
	settings_json(r, 200, cur);
	return HE_OK;
}

/* Object o's max_caseload into *v (prefix names it in an error: "" or
 * "seen."). */
static int json_max(json_t *o, const char *prefix, int *v, struct errinfo *e)
{
	json_t *j = json_object_get(o, caseload_settings_field);
	if (!j)
		return errinfo_set(e, HE_MISSING, caseload_settings_field, "%s%s is required", prefix,
				   caseload_settings_field);
	json_int_t n = json_is_integer(j) ? json_integer_value(j) : 0;
	if (!json_is_integer(j) || n < INT32_MIN || n > INT32_MAX)
		return errinfo_set(e, HE_INVALID, caseload_settings_field, "%s%s must be a whole"
				   " number of standard cases", prefix, caseload_settings_field);
	*v = (int)n;
	return HE_OK;
}

int caseload_settings_put_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	int to = 0, seen = 0;
	json_t *s = json_object_get(j, "seen");
	int rc = json_max(j, "", &to, &r->err);
	if (!rc && s && !json_is_object(s))
		rc = errinfo_set(&r->err, HE_INVALID, "seen", "seen must be an object of the value read");
	if (!rc && s)
		rc = json_max(s, "seen.", &seen, &r->err);
	if (!rc)
		rc = caseload_settings_set(r->db, &r->who, to, s ? &seen : NULL, &r->err);
	json_decref(j);
	if (!rc)
		settings_json(r, 200, to);
	return rc;
}
