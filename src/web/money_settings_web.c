/* money_settings_web.c — the admin's money settings in the browser and the
 * API (core/money_settings.h): the hourly cost of worker time and the
 * automatic approval limits of workers and coordinators.
 *
 *   GET  /settings/money           the values in force and the form (pounds)
 *   POST /settings/money           hour, worker_limit, coordinator_limit (pounds,
 *                                  through money_parse), and seen_* (the pence
 *                                  shown, hidden: a stale form is refused)
 *   GET  /api/v1/settings/money    {"settings":{"hour_pence":…,"worker_limit_pence":…,
 *                                  "coordinator_limit_pence":…}}
 *   PUT  /api/v1/settings/money    the same three integers; optional "seen" object
 *                                  of the values the caller read (409 when stale)
 *
 * Capability CAP_SCHOOLS_MANAGE (the admin alone: "schools, districts,
 * settings").  A change writes one audit row (core); reading writes none,
 * as no one's record is read. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "base/money.h"
#include "core/money_settings.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

/* Form ids, in the order of money_settings_fields. */
static const char *const form_ids[3] = {"hour", "worker_limit", "coordinator_limit"};
static const char *const seen_ids[3] = {"seen_hour", "seen_worker_limit", "seen_coordinator_limit"};
static const char *const form_labels[3] = {
	"Hourly cost of worker time", "Worker's automatic approval limit",
	"Coordinator's automatic approval limit",
};
static const char *const form_hints[3] = {
	"In pounds, from £0.01 to £500.00. Cost per family counts each hour of contact time at this cost.",
	"In pounds, from £0.00 to £1,000,000.00. A worker's request at or under it is approved at"
	" once if the budget has room; £0.00 sends every request to the budget holder.",
	"In pounds, from £0.00 to £1,000,000.00, and not below the worker's limit.",
};
static const char *const missing[3] = {
	"Enter the hourly cost of worker time", "Enter the worker's limit",
	"Enter the coordinator's limit",
};

static int64_t *slot(struct money_settings *m, int i)
{
	return i == 0 ? &m->hour_pence : i == 1 ? &m->worker_limit_pence
		: &m->coordinator_limit_pence;
}

static int64_t val(const struct money_settings *m, int i)
{
	return i == 0 ? m->hour_pence : i == 1 ? m->worker_limit_pence : m->coordinator_limit_pence;
}

/* The form id of a core field name ("" when it names none). */
static const char *form_field(const char *core)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(core, money_settings_fields[i]) == 0)
			return form_ids[i];
	return "";
}

/* ---- the page -------------------------------------------------------------------- */

static void in_force(struct req *r, const struct money_settings *m)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">In force</h2>"
		"<dl class=\"govuk-summary-list\" id=\"money-in-force\">");
	for (int i = 0; i < 3; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt"
			" class=\"govuk-summary-list__key\">%h</dt><dd class=\"govuk-summary-list__value\""
			" id=\"now-%h\">%h</dd></div>", form_labels[i], form_ids[i],
			page_money(r, val(m, i)));
	fmt_printf(&r->out, "</dl>");
}

/* The page: the values in force (cur), and the form holding typed (the
 * text as sent, on an error other than a conflict) or cur. */
static int show(struct req *r, int status, const struct money_settings *cur,
		const char *const typed[3], const struct errinfo *e)
{
	bool err = e && e->code;
	page_begin(r, status, err ? "Error: Money settings" : "Money settings");
	fmt_printf(&r->out, "<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	const char *done = req_query(r, "done");
	if (!err && done && *done)
		page_success_banner(r, "Money settings saved");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Money settings</h1><p class=\"govuk-body\">"
		"The cost of worker time used by <a class=\"govuk-link\" href=\"/costs\">cost per"
		" family</a>, and how much a worker or coordinator may commission for a family without"
		" the budget holder's approval. A change applies to reports run and requests made"
		" after it; approved commissions stay as they are.</p>");
	in_force(r, cur);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Change them</h2>"
		"<form method=\"post\" action=\"/settings/money\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	for (int i = 0; i < 3; i++)
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"%h\" value=\"%lld\">", seen_ids[i],
			   (long long)val(cur, i));
	for (int i = 0; i < 3; i++)
		page_text_input(r, e, form_ids[i], form_ids[i], form_labels[i], form_hints[i], "text",
				"govuk-input--width-10", typed && typed[i] ? typed[i]
				: page_money_plain(r, val(cur, i)));
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Save the money settings</button></form></div></div>");
	page_end(r);
	return HE_OK;
}

int money_settings_page(struct req *r)
{
	struct money_settings cur;
	int rc = money_settings_get(r->db, &cur);
	if (rc)
		return req_fail(r, rc, "", "The money settings could not be read");
	return show(r, 200, &cur, NULL, NULL);
}

/* seen from the hidden fields; false if any is absent or not pence. */
static bool form_seen(struct req *r, struct money_settings *seen)
{
	for (int i = 0; i < 3; i++) {
		int64_t v = page_to_int(req_form(r, seen_ids[i]));
		const char *s = req_form(r, seen_ids[i]);
		if (!s || !*s || v < 0)
			return false;
		*slot(seen, i) = v;
	}
	return true;
}

int money_settings_post_page(struct req *r)
{
	struct errinfo e = {0};
	struct money_settings to, seen;
	const char *typed[3] = {NULL, NULL, NULL};
	int rc = HE_OK;
	for (int i = 0; i < 3; i++)
		typed[i] = req_form(r, form_ids[i]);
	for (int i = 0; i < 3 && !rc; i++) {
		if (!typed[i] || !*typed[i])
			rc = errinfo_set(&e, HE_MISSING, form_ids[i], "%s", missing[i]);
		else if (money_parse(typed[i], slot(&to, i)))
			rc = errinfo_set(&e, HE_INVALID, form_ids[i], "Enter the %s as an amount in"
					 " pounds, like 32.00", i == 0 ? "hourly cost" : i == 1
					 ? "worker's limit" : "coordinator's limit");
	}
	if (!rc) {
		rc = money_settings_set(r->db, &r->who, &to, form_seen(r, &seen) ? &seen : NULL, &e);
		if (rc)
			snprintf(e.field, sizeof e.field, "%s", form_field(e.field));
	}
	if (!rc)
		return req_redirect(r, "/settings/money?done=1");
	if (rc != HE_INVALID && rc != HE_MISSING && rc != HE_CONFLICT) {
		r->err = e;
		return rc;
	}
	struct money_settings cur;
	int rc2 = money_settings_get(r->db, &cur);
	if (rc2)
		return req_fail(r, rc2, "", "The money settings could not be read");
	return show(r, err_http_status(rc), &cur, rc == HE_CONFLICT ? NULL : typed, &e);
}

/* ---- the API --------------------------------------------------------------------- */

static void settings_json(struct req *r, int status, const struct money_settings *m)
{
	req_json(r, status);
	fmt_printf(&r->out, "{\"settings\":{\"hour_pence\":%lld,\"worker_limit_pence\":%lld,"
		"\"coordinator_limit_pence\":%lld}}\n", (long long)m->hour_pence,
		(long long)m->worker_limit_pence, (long long)m->coordinator_limit_pence);
}

int money_settings_api(struct req *r)
{
	struct money_settings cur;
	int rc = money_settings_get(r->db, &cur);
	if (rc)
		return req_fail(r, rc, "", "The money settings could not be read");
	settings_json(r, 200, &cur);
	return HE_OK;
}

/* The three pence integers of object o into m (prefix names them in an
 * error: "" or "seen."). */
static int json_money(json_t *o, const char *prefix, struct money_settings *m, struct errinfo *e)
{
	for (int i = 0; i < 3; i++) {
		json_t *v = json_object_get(o, money_settings_fields[i]);
		if (!v)
			return errinfo_set(e, HE_MISSING, money_settings_fields[i], "%s%s is required",
					   prefix, money_settings_fields[i]);
		if (!json_is_integer(v))
			return errinfo_set(e, HE_INVALID, money_settings_fields[i],
					   "%s%s must be a whole number of pence", prefix,
					   money_settings_fields[i]);
		*slot(m, i) = (int64_t)json_integer_value(v);
	}
	return HE_OK;
}

int money_settings_put_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	struct money_settings to, seen;
	json_t *s = json_object_get(j, "seen");
	int rc = json_money(j, "", &to, &r->err);
	if (!rc && s && !json_is_object(s))
		rc = errinfo_set(&r->err, HE_INVALID, "seen", "seen must be an object of the values read");
	if (!rc && s)
		rc = json_money(s, "seen.", &seen, &r->err);
	if (!rc)
		rc = money_settings_set(r->db, &r->who, &to, s ? &seen : NULL, &r->err);
	json_decref(j);
	if (!rc)
		settings_json(r, 200, &to);
	return rc;
}
