/* plan_web.c — the family's plan as pages and JSON.
 *
 *   (section)  the plan on the family record page: actions grouped by who
 *              owns them ("What we will do", "What the family will do",
 *              "What other services will do"), each with the need it
 *              addresses, its due date (overdue in red), status and latest
 *              progress and a form to update it; a form to add an action;
 *              the reviews held; links to record a review and print
 *   POST /cases/{ref}/actions             add an action
 *   GET  /cases/{ref}/actions/{id}        one action with its history
 *   POST /cases/{ref}/actions/{id}        record progress on it
 *   GET  /cases/{ref}/reviews/new         the review form (every open
 *                                         action, optional re-assessment)
 *   POST /cases/{ref}/reviews             record the review
 *   GET  /cases/{ref}/plan                the plan to print for the family
 *   GET|POST /api/v1/cases/{ref}/actions, GET|POST /api/v1/actions/{id},
 *   GET|POST /api/v1/cases/{ref}/reviews
 *
 * A form that fails is shown again on its own page (the action form, the
 * action page, the review form) with the values as typed and a GOV.UK
 * error summary linking to the field.  Row scope is plan.c's and case.c's:
 * out of scope is 404 and audited "denied".  /api/v1/actions/{id} is open
 * to any signed-in user at the route table so that an agency user can
 * reach the actions they own; plan_action_visible decides, per action. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/date.h"
#include "base/fmt.h"
#include "core/assess.h"
#include "core/case.h"
#include "core/plan.h"
#include "store/db.h"
#include "web/assess_web.h"
#include "web/case_sections.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

static const struct { const char *kind, *heading, *none; } groups[] = {
	{"worker", "What we will do", "No actions for the family support service yet."},
	{"family", "What the family will do", "No actions for the family yet."},
	{"agency", "What other services will do", "No actions for other services yet."},
};

/* ---- small pieces ---------------------------------------------------------- */

static const char *status_class(const char *status)
{
	return strcmp(status, "done") == 0 ? "govuk-tag--green"
		: strcmp(status, "in_progress") == 0 ? "govuk-tag--blue"
		: strcmp(status, "not_done") == 0 ? "govuk-tag--orange"
		: strcmp(status, "dropped") == 0 ? "govuk-tag--grey" : "govuk-tag--yellow";
}

static void status_tag(struct req *r, const char *status)
{
	fmt_printf(&r->out, "<strong class=\"govuk-tag %s\">%h</strong>", status_class(status),
		   plan_status_title(status));
}

static void due_cell(struct req *r, const struct plan_action *x)
{
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h", page_day(r, x->due_on));
	if (x->overdue_days > 0)
		fmt_printf(&r->out, "<br><strong class=\"govuk-tag govuk-tag--red hearth-overdue\">Overdue"
			   " by %d day%s</strong>", x->overdue_days, x->overdue_days == 1 ? "" : "s");
	fmt_printf(&r->out, "</td>");
}

/* The case record (an audited view), or the error for the dispatcher. */
static int case_load(struct req *r, int64_t id, struct case_record *c)
{
	struct errinfo e = {0};
	int rc = case_record_load(r->db, &r->arena, req_scope(r), id, c, &e);
	if (rc)
		r->err = e;
	return rc;
}

/* The action named by path parameter 1, which must belong to case_id:
 * anything else is audited "denied" and is 404. */
static int action_from_path(struct req *r, int64_t case_id, int64_t *id)
{
	*id = page_to_int(req_param(r, 1));
	int64_t owner_case = 0;
	struct db_stmt *st = db_prepare(r->db, "SELECT case_id FROM plan_actions WHERE id = :id");
	db_bind_int(st, ":id", *id);
	if (db_next(st))
		owner_case = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (*id <= 0 || owner_case != case_id) {
		rc = req_audit(r, "denied", "plan_actions", req_param(r, 1),
			       "action not of this case (or unknown)");
		return rc ? rc : req_fail(r, HE_NOT_FOUND, "", NULL);
	}
	return HE_OK;
}

static bool editable(const struct case_record *c)
{
	return strcmp(c->status, "open") == 0;
}

static void closed_note(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"plan-closed\">%s</p>",
		   strcmp(c->status, "stepped_up") == 0
		   ? "This case has been stepped up to children's social care: its plan can be read but not changed."
		   : "This case is closed: its plan can be read but not changed.");
}

/* ---- form pieces ---------------------------------------------------------------- */

/* The value of field name as posted (when shown again), else def. */
static const char *val(struct req *r, bool again, const char *name, const char *def)
{
	if (again) {
		const char *x = req_form(r, name);
		return x ? x : "";
	}
	return def ? def : "";
}

static void status_select(struct req *r, const struct errinfo *e, const char *id, const char *name,
			  const char *label, const char *cur)
{
	page_group_open(r, e, id, label, NULL);
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"%h\" name=\"%h\"%s>",
		   page_has_err(e, id) ? " govuk-select--error" : "", id, name, page_describedby(r, e, id, false));
	for (int i = 0; plan_statuses[i]; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", plan_statuses[i],
			   strcmp(cur, plan_statuses[i]) == 0 ? " selected" : "",
			   plan_status_title(plan_statuses[i]));
	fmt_printf(&r->out, "</select></div>");
}

static void choice_select(struct req *r, const struct errinfo *e, const char *id, const char *label,
			  const char *hint, const struct plan_choice *v, size_t n, const char *cur,
			  const char *const groups_of[][2])
{
	page_group_open(r, e, id, label, hint);
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"%h\" name=\"%h\"%s><option value=\"\">"
		"Choose</option>", page_has_err(e, id) ? " govuk-select--error" : "", id, id,
		page_describedby(r, e, id, hint != NULL));
	for (int g = 0; groups_of[g][0]; g++) {
		bool opened = false;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(v[i].kind, groups_of[g][0]) != 0)
				continue;
			if (!opened)
				fmt_printf(&r->out, "<optgroup label=\"%h\">", groups_of[g][1]);
			opened = true;
			fmt_printf(&r->out, "<option value=\"%h\"%s>%h%s%h%s</option>", v[i].code,
				   strcmp(cur, v[i].code) == 0 ? " selected" : "", v[i].title,
				   v[i].detail && *v[i].detail && v[i].id ? " (" : "",
				   v[i].id ? v[i].detail : "", v[i].detail && *v[i].detail && v[i].id ? ")" : "");
		}
		if (opened)
			fmt_printf(&r->out, "</optgroup>");
	}
	fmt_printf(&r->out, "</select></div>");
}

/* The add-an-action fields; ids are the core's field names. */
static void action_fields(struct req *r, int64_t case_id, const struct errinfo *e, bool again)
{
	static const char *const need_groups[][2] = {
		{"referral", "Needs in the referral"}, {"domain", "Assessment domains"}, {NULL, NULL}};
	static const char *const owner_groups[][2] = {
		{"family", "The family"}, {"worker", "Family support workers"},
		{"agency", "Other services (from the directory)"}, {NULL, NULL}};
	struct plan_choice *needs = NULL, *owners = NULL;
	size_t nneeds = 0, nowners = 0;
	plan_needs(r->db, &r->arena, case_id, &needs, &nneeds);
	plan_owners(r->db, &r->arena, case_id, &owners, &nowners);
	page_text_area(r, e, "description", "description", "What will be done",
		  "Say specifically what will happen and how you will know it is done, for example"
		  " \"Take Aisha to school by 8:45 every day\"", 3, val(r, again, "description", ""));
	choice_select(r, e, "need", "The need it addresses", NULL, needs, nneeds,
		      val(r, again, "need", ""), need_groups);
	choice_select(r, e, "owner", "Who will do it", "A member of the family, a worker or another"
		      " service", owners, nowners, val(r, again, "owner", ""), owner_groups);
	page_text_input(r, e, "due_on", "due_on", "Due by", "For example, 2026-03-14", "date",
		   "govuk-input--width-10", val(r, again, "due_on", ""));
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
		   val(r, again, "idem", page_idem_new(r)));
}

/* ---- the family page section ---------------------------------------------------- */

static void update_form(struct req *r, const struct case_record *c, const struct plan_action *x)
{
	const char *base = arena_printf(&r->arena, "act-%lld", (long long)x->id);
	fmt_printf(&r->out, "<details class=\"govuk-details hearth-no-print\"><summary class=\"govuk-details__summary\">"
		"<span class=\"govuk-details__summary-text\">Update<span class=\"govuk-visually-hidden\">"
		": %h</span></span></summary><div class=\"govuk-details__text\"><form method=\"post\""
		" action=\"/cases/%u/actions/%lld\" novalidate>", x->description, c->ref, (long long)x->id);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\">", (long long)x->version);
	status_select(r, NULL, arena_printf(&r->arena, "%s-status", base), "status", "Status", x->status);
	page_text_area(r, NULL, arena_printf(&r->arena, "%s-progress", base), "progress", "Progress",
		  "What has happened since it was last updated", 3, "");
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\""
		" data-module=\"govuk-button\">Save update</button></form></div></details>");
}

/* A group of the plan shows its PLAN_SHOWN soonest-due actions on the case
 * page, and all of them with ?plan=all: a plan of hundreds of actions
 * would otherwise make every look at the case a page of megabytes. */
#define PLAN_SHOWN 30

static void action_table(struct req *r, const struct case_record *c, const struct plan_action *v,
			 size_t n, int g, bool forms, bool all)
{
	size_t count = 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		count += strcmp(v[i].owner_kind, groups[g].kind) == 0;
	fmt_printf(&r->out, "<h3 class=\"govuk-heading-s\" id=\"plan-%s\">%h</h3>", groups[g].kind,
		   groups[g].heading);
	if (!count) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">%h</p>", groups[g].none);
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table hearth-plan\" id=\"plan-table-%s\"><caption"
		" class=\"govuk-table__caption govuk-visually-hidden\">%h</caption><thead"
		" class=\"govuk-table__head\"><tr class=\"govuk-table__row\">", groups[g].kind,
		groups[g].heading);
	page_th(r, "Action");
	page_th(r, "Who");
	page_th(r, "Due by");
	page_th(r, "Status");
	page_th(r, "Latest progress");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		const struct plan_action *x = &v[i];
		if (strcmp(x->owner_kind, groups[g].kind) != 0)
			continue;
		if (!all && shown == PLAN_SHOWN)
			break;
		shown++;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row%s\" id=\"action-%lld\"><td class=\"govuk-table__cell\">"
			"%h<br><span class=\"govuk-body-s\">Addresses: %h</span></td><td class=\"govuk-table__cell\">"
			"%h%s%h%s</td>", x->overdue_days > 0 ? " hearth-row--overdue" : "", (long long)x->id,
			x->description, x->need_title, x->owner_name, *x->owner_detail ? " (" : "",
			x->owner_detail, *x->owner_detail ? ")" : "");
		due_cell(r, x);
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">");
		status_tag(r, x->status);
		fmt_printf(&r->out, "</td><td class=\"govuk-table__cell\">%h", *x->last_progress ?
			   x->last_progress : "—");
		if (*x->last_on)
			fmt_printf(&r->out, " <span class=\"govuk-body-s\">(%h)</span>", page_day(r, x->last_on));
		fmt_printf(&r->out, "<br><a class=\"govuk-link hearth-no-print\" href=\"/cases/%u/actions/%lld\">"
			"History<span class=\"govuk-visually-hidden\"> of: %h</span></a>", c->ref,
			(long long)x->id, x->description);
		if (forms)
			update_form(r, c, x);
		fmt_printf(&r->out, "</td></tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
	if (shown < count)
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"plan-more-%s\">The %zu soonest due of %zu"
			" actions. <a class=\"govuk-link\" href=\"/cases/%u?plan=all#plan-%s\">Show all %zu"
			"<span class=\"govuk-visually-hidden\"> actions: %h</span></a></p>", groups[g].kind,
			shown, count, c->ref, groups[g].kind, count, groups[g].heading);
}

static void reviews_table(struct req *r, const struct plan_review *v, size_t n)
{
	fmt_printf(&r->out, "<h3 class=\"govuk-heading-s\" id=\"reviews\">Reviews</h3>");
	if (!n) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No review recorded yet.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"reviews-table\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Reviews, newest first</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	page_th(r, "Held");
	page_th(r, "What the review found");
	page_th(r, "The family's view");
	page_th(r, "Next review");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h<br><span class=\"govuk-body-s\">%d action update%s%s;"
			" recorded by %h</span></td><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">%h</td></tr>", page_day(r, v[i].held_on), v[i].summary,
			v[i].nupdates, v[i].nupdates == 1 ? "" : "s", v[i].reassessed ? ", re-assessed" : "",
			v[i].who, v[i].family_view, page_day(r, v[i].next_review_on));
	fmt_printf(&r->out, "</tbody></table>");
}

static void plan_links(struct req *r, const struct case_record *c, int overdue)
{
	fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"plan-next-review\">Next review: <strong>%h</strong>",
		   c->next_review_on ? page_day(r, c->next_review_on) : "not set");
	if (c->review_overdue_days > 0)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red hearth-overdue\">Review overdue by"
			   " %d day%s</strong>", c->review_overdue_days, c->review_overdue_days == 1 ? "" : "s");
	if (overdue)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red hearth-overdue\" id=\"plan-overdue\">"
			   "%d action%s overdue</strong>", overdue, overdue == 1 ? "" : "s");
	fmt_printf(&r->out, "</p><div class=\"govuk-button-group\">");
	if (editable(c))
		fmt_printf(&r->out, "<a class=\"govuk-button\" data-module=\"govuk-button\" href=\"/cases/%u/reviews/new\">"
			"Record a review</a>", c->ref);
	fmt_printf(&r->out, "<a class=\"govuk-link\" href=\"/cases/%u/plan\">Print the plan for the family</a></div>",
		   c->ref);
}

/* The case page's ?done= after one of this file's forms. */
static void done_banner(struct req *r)
{
	static const char *const msgs[][2] = {
		{"action", "Action added to the plan"}, {"action_update", "Action updated"},
		{"plan_review", "Review recorded"}, {NULL, NULL},
	};
	const char *done = req_query(r, "done");
	for (int i = 0; done && msgs[i][0]; i++)
		if (strcmp(done, msgs[i][0]) == 0)
			fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
				" role=\"alert\" aria-labelledby=\"plan-done-title\" data-module=\"govuk-notification-banner\">"
				"<div class=\"govuk-notification-banner__header\"><h3 class=\"govuk-notification-banner__title\""
				" id=\"plan-done-title\">Success</h3></div><div class=\"govuk-notification-banner__content\">"
				"<p class=\"govuk-notification-banner__heading\">%h</p></div></div>", msgs[i][1]);
}

void plan_case_section(struct req *r, const struct case_record *c)
{
	struct plan_action *v = NULL;
	struct plan_review *rv = NULL;
	size_t n = 0, nr = 0;
	int overdue = 0;
	if (plan_actions(r->db, &r->arena, c->id, &v, &n) || plan_reviews(r->db, &r->arena, c->id, &rv, &nr))
		return;
	for (size_t i = 0; i < n; i++)
		overdue += v[i].overdue_days > 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"plan\">The plan</h2>");
	done_banner(r);
	plan_links(r, c, overdue);
	if (!editable(c))
		closed_note(r, c);
	const char *plan = req_query(r, "plan");
	bool all = plan && strcmp(plan, "all") == 0;
	for (int g = 0; g < 3; g++)
		action_table(r, c, v, n, g, editable(c), all);
	if (editable(c)) {
		fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"plan-form\"><summary class=\"govuk-details__summary\">"
			"<span class=\"govuk-details__summary-text\">Add an action to the plan</span></summary>"
			"<div class=\"govuk-details__text\"><form method=\"post\" action=\"/cases/%u/actions\" novalidate>",
			c->ref);
		page_csrf_field(r, r->sess.csrf);
		action_fields(r, c->id, NULL, false);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Add action</button></form></div></details>");
	}
	reviews_table(r, rv, nr);
}

/* ---- adding an action (page) ------------------------------------------------------- */

/* The error's field as an id on the page: fields that are not inputs
 * point at the form. */
static struct errinfo shown_error(const struct errinfo *e, const char *form_id)
{
	static const char *const not_inputs[] = {"", "case", "version", "consent", "idem", "progress", NULL};
	struct errinfo s = *e;
	for (int i = 0; not_inputs[i]; i++)
		if (strcmp(e->field, not_inputs[i]) == 0)
			snprintf(s.field, sizeof s.field, "%s", form_id);
	return s;
}

static int action_form_page(struct req *r, int64_t case_id, const struct errinfo *e, int status)
{
	struct case_record c;
	int rc = case_load(r, case_id, &c);
	if (rc)
		return rc;
	struct errinfo s = shown_error(e, "plan-form");
	page_begin(r, status, arena_printf(&r->arena, "Add an action – %s", c.ref));
	page_error_summary(r, &s);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h %h</span><h1 class=\"govuk-heading-l\">"
		"Add an action to the plan</h1>", c.ref, c.family_name);
	if (!editable(&c)) {
		closed_note(r, &c);
	} else {
		fmt_printf(&r->out, "<form method=\"post\" action=\"/cases/%u/actions\" id=\"plan-form\" novalidate>",
			   c.ref);
		page_csrf_field(r, r->sess.csrf);
		action_fields(r, case_id, &s, true);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Add action</button></form>");
	}
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/cases/%u#plan\">Back to the"
		" family record</a></p>", c.ref);
	page_end(r);
	return HE_OK;
}

/* "family:12" into kind and id of in. */
static void owner_parse(const char *owner, struct action_in *in, struct arena *a)
{
	const char *colon = owner ? strchr(owner, ':') : NULL;
	if (!owner || !*owner)
		return;
	in->owner_kind = colon ? arena_strndup(a, owner, (size_t)(colon - owner)) : owner;
	int64_t id = colon ? page_to_int(colon + 1) : 0;
	if (id < 0)
		id = 0;
	if (strcmp(in->owner_kind, "family") == 0)
		in->owner_member_id = id;
	else if (strcmp(in->owner_kind, "worker") == 0)
		in->owner_worker_id = id;
	else if (strcmp(in->owner_kind, "agency") == 0)
		in->owner_professional_id = id;
}

/* Errors the dispatcher shows as its own page. */
static bool fatal(int rc)
{
	return rc == HE_NOT_FOUND || rc == HE_INTERNAL || rc >= HE_DB;
}

int plan_action_create_page(struct req *r)
{
	int64_t case_id, id = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &case_id);
	if (rc)
		return rc;
	struct action_in in = {
		.idem_key = page_nonempty(req_form(r, "idem")), .description = req_form(r, "description"),
		.need = req_form(r, "need"), .due_on = req_form(r, "due_on"),
	};
	owner_parse(req_form(r, "owner"), &in, &r->arena);
	rc = plan_action_add(r->db, req_scope(r), case_id, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s?done=action#action-%lld",
						    req_param(r, 0), (long long)id));
	if (fatal(rc)) {
		r->err = e;
		return rc;
	}
	return action_form_page(r, case_id, &e, err_http_status(rc));
}

/* ---- one action: history and update -------------------------------------------------- */

static void history_table(struct req *r, const struct plan_update *u, size_t n)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"history\">History</h2><table class=\"govuk-table\""
		" id=\"history-table\"><caption class=\"govuk-table__caption govuk-visually-hidden\">Updates,"
		" newest first</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th(r, "Date");
	page_th(r, "Status");
	page_th(r, "Progress");
	page_th(r, "Recorded by");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\">", page_day(r, u[i].on_date));
		status_tag(r, u[i].status);
		fmt_printf(&r->out, "</td><td class=\"govuk-table__cell\">%h%s</td><td class=\"govuk-table__cell\">"
			"%h</td></tr>", *u[i].progress ? u[i].progress : "—", u[i].review_id ? " (at a review)"
			: u[i].meeting_id ? " (at a meeting)" : "", u[i].who);
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void action_summary(struct req *r, const struct plan_action *x)
{
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\"><div class=\"govuk-summary-list__row\">"
		"<dt class=\"govuk-summary-list__key\">Who</dt><dd class=\"govuk-summary-list__value\">%h%s%h%s"
		"</dd></div><div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Need it"
		" addresses</dt><dd class=\"govuk-summary-list__value\">%h</dd></div><div class=\"govuk-summary-list__row\">"
		"<dt class=\"govuk-summary-list__key\">Due by</dt><dd class=\"govuk-summary-list__value\">%h",
		x->owner_name, *x->owner_detail ? " (" : "", x->owner_detail, *x->owner_detail ? ")" : "",
		x->need_title, page_day(r, x->due_on));
	if (x->overdue_days > 0)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red hearth-overdue\">Overdue by %d day%s"
			   "</strong>", x->overdue_days, x->overdue_days == 1 ? "" : "s");
	fmt_printf(&r->out, "</dd></div><div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"Status</dt><dd class=\"govuk-summary-list__value\">");
	status_tag(r, x->status);
	fmt_printf(&r->out, "</dd></div></dl>");
}

static int action_show(struct req *r, const char *ref, int64_t action_id, const struct errinfo *e,
		       int status)
{
	struct plan_action x;
	struct plan_update *u;
	size_t nu;
	struct errinfo le = {0};
	int rc = plan_action_load(r->db, &r->arena, req_scope(r), action_id, &x, &u, &nu, &le);
	if (rc) {
		r->err = le;
		return rc;
	}
	bool again = e && e->code;
	struct errinfo s = again ? shown_error(e, "update-form") : (struct errinfo){0};
	char cstatus[16] = "";
	struct db_stmt *st = db_prepare(r->db, "SELECT status FROM cases WHERE id = :id");
	db_bind_int(st, ":id", x.case_id);
	if (db_next(st))
		snprintf(cstatus, sizeof cstatus, "%s", db_text(st, 0));
	db_finalize(st);
	page_begin(r, status, arena_printf(&r->arena, "Action – %s", ref));
	page_error_summary(r, &s);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Case %h · action</span><h1 class=\"govuk-heading-l\">"
		"%h</h1>", ref, x.description);
	action_summary(r, &x);
	if (strcmp(cstatus, "open") == 0) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Record progress</h2><form method=\"post\""
			" action=\"/cases/%u/actions/%lld\" id=\"update-form\" novalidate>", ref, (long long)x.id);
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\">", (long long)x.version);
		status_select(r, &s, "status", "status", "Status", val(r, again, "status", x.status));
		page_text_area(r, &s, "progress", "progress", "Progress", "What has happened since it was last"
			  " updated. Required unless the status changes.", 4, val(r, again, "progress", ""));
		page_text_input(r, &s, "on", "on", "Date", "Leave blank for today", "date",
			   "govuk-input--width-10", val(r, again, "on", ""));
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Save update</button></form>");
	} else {
		fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"plan-closed\">This case is %s: its plan can be"
			" read but not changed.</p>", strcmp(cstatus, "closed") == 0 ? "closed" : "stepped up");
	}
	history_table(r, u, nu);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/cases/%u#plan\">Back to the"
		" family record</a></p>", ref);
	page_end(r);
	return HE_OK;
}

int plan_action_page(struct req *r)
{
	int64_t case_id, id;
	int rc = case_from_path(r, &case_id);
	if (!rc)
		rc = action_from_path(r, case_id, &id);
	return rc ? rc : action_show(r, req_param(r, 0), id, NULL, 200);
}

int plan_action_update_page(struct req *r)
{
	int64_t case_id, id;
	struct errinfo e = {0};
	int rc = case_from_path(r, &case_id);
	if (!rc)
		rc = action_from_path(r, case_id, &id);
	if (rc)
		return rc;
	rc = plan_action_update(r->db, req_scope(r), id, page_to_int(req_form(r, "version")),
				req_form(r, "status"), req_form(r, "progress"), page_nonempty(req_form(r, "on")), &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s?done=action_update#action-%lld",
						    req_param(r, 0), (long long)id));
	if (fatal(rc)) {
		r->err = e;
		return rc;
	}
	return action_show(r, req_param(r, 0), id, &e, err_http_status(rc));
}

/* ---- reviews (pages) ----------------------------------------------------------------------- */

static void review_action_fields(struct req *r, const struct plan_action *x, const struct errinfo *e,
				 bool again)
{
	const char *sid = arena_printf(&r->arena, "status.%lld", (long long)x->id);
	const char *pid = arena_printf(&r->arena, "progress.%lld", (long long)x->id);
	fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset hearth-review-action\" id=\"review-action-%lld\">"
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">%h</legend>"
		"<p class=\"govuk-body-s\">%h%s%h%s · due %h · addresses %h</p>", (long long)x->id,
		x->description, x->owner_name, *x->owner_detail ? " (" : "", x->owner_detail,
		*x->owner_detail ? ")" : "", page_day(r, x->due_on), x->need_title);
	if (x->overdue_days > 0)
		fmt_printf(&r->out, "<p class=\"govuk-body-s\"><strong class=\"govuk-tag govuk-tag--red\">Overdue by"
			   " %d day%s</strong></p>", x->overdue_days, x->overdue_days == 1 ? "" : "s");
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"version.%lld\" value=\"%h\">", (long long)x->id,
		   val(r, again, arena_printf(&r->arena, "version.%lld", (long long)x->id),
		       arena_printf(&r->arena, "%lld", (long long)x->version)));
	status_select(r, e, sid, sid, "Status", val(r, again, sid, x->status));
	page_text_area(r, e, pid, pid, "Progress since the last review", NULL, 3, val(r, again, pid, ""));
	fmt_printf(&r->out, "</fieldset>");
}

static int review_form_page(struct req *r, int64_t case_id, const struct errinfo *e, int status)
{
	struct case_record c;
	struct plan_action *v;
	size_t n;
	char today[11], next[11];
	int rc = case_load(r, case_id, &c);
	if (!rc)
		rc = plan_actions(r->db, &r->arena, case_id, &v, &n);
	if (rc)
		return rc;
	bool again = e && e->code;
	struct errinfo s = again ? shown_error(e, "review-form") : (struct errinfo){0};
	date_format(date_today(), today);
	plan_default_next_review(r->db, today, next);
	page_begin(r, status, arena_printf(&r->arena, "Record a review – %s", c.ref));
	page_error_summary(r, &s);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h %h</span><h1 class=\"govuk-heading-l\">"
		"Record a review</h1>", c.ref, c.family_name);
	if (!editable(&c)) {
		closed_note(r, &c);
		page_end(r);
		return HE_OK;
	}
	fmt_printf(&r->out, "<form method=\"post\" action=\"/cases/%u/reviews\" id=\"review-form\" novalidate>", c.ref);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%h\"><input type=\"hidden\""
		" name=\"idem\" value=\"%h\">", val(r, again, "version", arena_printf(&r->arena, "%lld",
		(long long)c.version)), val(r, again, "idem", page_idem_new(r)));
	page_text_input(r, &s, "held_on", "held_on", "Date of the review", "For example, 2026-03-14", "date",
		   "govuk-input--width-10", val(r, again, "held_on", today));
	page_text_area(r, &s, "summary", "summary", "What the review found and agreed", NULL, 5,
		  val(r, again, "summary", ""));
	page_text_area(r, &s, "family_view", "family_view", "The family's view",
		  "In their words; or say that they chose not to give one", 4, val(r, again, "family_view", ""));
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Progress on each action</h2>");
	size_t open = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].open) {
			review_action_fields(r, &v[i], &s, again);
			open++;
		}
	if (!open)
		fmt_printf(&r->out, "<p class=\"govuk-body\">There are no open actions to review.</p>");
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"reassess\"%s><summary class=\"govuk-details__summary\">"
		"<span class=\"govuk-details__summary-text\">Re-assess the family (optional)</span></summary>"
		"<div class=\"govuk-details__text\">", again && assess_form_given(r) ? " open" : "");
	assess_form_fields(r, &s);
	fmt_printf(&r->out, "</div></details>");
	page_text_input(r, &s, "next_review_on", "next_review_on", "Next review",
		   arena_printf(&r->arena, "Leave blank for the usual cycle (%s if held today)", page_day(r, next)),
		   "date", "govuk-input--width-10", val(r, again, "next_review_on", ""));
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Record review</button></form><p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/cases/%u#plan\">"
		"Back to the family record</a></p>", c.ref);
	page_end(r);
	return HE_OK;
}

int plan_review_new_page(struct req *r)
{
	int64_t case_id;
	int rc = case_from_path(r, &case_id);
	return rc ? rc : review_form_page(r, case_id, NULL, 200);
}

/* The posted progress for each open action of the case. */
static int review_progress_form(struct req *r, int64_t case_id, struct review_progress **out, size_t *n)
{
	struct plan_action *v;
	size_t nv;
	int rc = plan_actions(r->db, &r->arena, case_id, &v, &nv);
	if (rc)
		return rc;
	*out = arena_alloc(&r->arena, (nv + 1) * sizeof **out);
	*n = 0;
	for (size_t i = 0; i < nv; i++) {
		long long id = (long long)v[i].id;
		const char *status = req_form(r, arena_printf(&r->arena, "status.%lld", id));
		const char *progress = req_form(r, arena_printf(&r->arena, "progress.%lld", id));
		if (!v[i].open || (!status && !progress))
			continue;
		int64_t ver = page_to_int(req_form(r, arena_printf(&r->arena, "version.%lld", id)));
		(*out)[(*n)++] = (struct review_progress){v[i].id, ver < 0 ? 0 : ver, status ? status : "",
							  progress ? progress : ""};
	}
	return HE_OK;
}

int plan_review_create_page(struct req *r)
{
	int64_t case_id, id = 0;
	struct errinfo e = {0};
	struct assess_in as = {0};
	int rc = case_from_path(r, &case_id);
	if (rc)
		return rc;
	struct review_in in = {
		.idem_key = page_nonempty(req_form(r, "idem")), .held_on = page_nonempty(req_form(r, "held_on")),
		.summary = req_form(r, "summary"), .family_view = req_form(r, "family_view"),
		.next_review_on = page_nonempty(req_form(r, "next_review_on")),
	};
	struct review_progress *p;
	if ((rc = review_progress_form(r, case_id, &p, &in.nprogress)))
		return rc;
	in.progress = p;
	if (assess_form_given(r)) {
		if ((rc = assess_from_form(r, &r->arena, &as)))
			return rc;
		as.assessed_on = in.held_on;
		as.kind = "review";
		as.idem_key = in.idem_key ? arena_printf(&r->arena, "%s-a", in.idem_key) : NULL;
		in.assessment = &as;
	}
	int64_t version = page_to_int(req_form(r, "version"));
	rc = plan_review_add(r->db, req_scope(r), case_id, version < 0 ? 0 : version, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s?done=plan_review#plan", req_param(r, 0)));
	if (fatal(rc)) {
		r->err = e;
		return rc;
	}
	return review_form_page(r, case_id, &e, err_http_status(rc));
}

/* ---- the printable plan ------------------------------------------------------------------------ */

static void print_group(struct req *r, const struct plan_action *v, size_t n, int g)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += strcmp(v[i].owner_kind, groups[g].kind) == 0 && strcmp(v[i].status, "dropped") != 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">%h</h2>", groups[g].heading);
	if (!count) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing yet.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table hearth-print-plan\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">%h</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">",
		groups[g].heading);
	page_th(r, "What");
	page_th(r, "Who");
	page_th(r, "By when");
	page_th(r, "How it is going");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		const struct plan_action *x = &v[i];
		if (strcmp(x->owner_kind, groups[g].kind) != 0 || strcmp(x->status, "dropped") == 0)
			continue;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h<br>"
			"<span class=\"govuk-body-s\">To help with: %h</span></td><td class=\"govuk-table__cell\">%h</td>",
			x->description, x->need_title, x->owner_name);
		due_cell(r, x);
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">");
		status_tag(r, x->status);
		fmt_printf(&r->out, "</td></tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

int plan_print_page(struct req *r)
{
	int64_t case_id;
	struct case_record c;
	struct plan_action *v;
	size_t n;
	char today[11];
	int rc = case_from_path(r, &case_id);
	if (!rc)
		rc = case_load(r, case_id, &c);
	if (!rc)
		rc = plan_actions(r->db, &r->arena, case_id, &v, &n);
	if (rc)
		return rc;
	date_format(date_today(), today);
	page_begin_bare(r, 200, arena_printf(&r->arena, "Our family plan – %s", c.family_name));
	fmt_printf(&r->out, "<p class=\"govuk-body hearth-no-print\"><a class=\"govuk-link\" href=\"/cases/%u#plan\">"
		"Back to the family record</a> · Use your browser's Print command to print this plan.</p>"
		"<span class=\"govuk-caption-l\">%h</span><h1 class=\"govuk-heading-l\">Our family plan</h1>"
		"<dl class=\"govuk-summary-list hearth-print-summary\">", c.ref, c.family_name);
	static const char *const keys[] = {"Family", "Your family support worker", "Next review", "Printed on"};
	const char *vals[] = {c.family_name, c.worker_name, c.next_review_on ? page_day(r, c.next_review_on)
			      : "to be agreed", page_day(r, today)};
	for (int i = 0; i < 4; i++)
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">%h</dt>"
			"<dd class=\"govuk-summary-list__value\">%h</dd></div>", keys[i], vals[i]);
	fmt_printf(&r->out, "</dl>");
	for (int g = 0; g < 3; g++)
		print_group(r, v, n, g);
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Agreed by</h2><div class=\"hearth-signatures\">"
		"<p class=\"govuk-body\">Family: ______________________________ Date: ____________</p>"
		"<p class=\"govuk-body\">Worker: %h ______________________ Date: ____________</p></div>"
		"<p class=\"govuk-body-s\">Reference %h. Keep this plan somewhere safe; it has personal"
		" information about your family.</p>", c.worker_name, c.family_ref);
	page_end_bare(r);
	return HE_OK;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void json_action(struct req *r, const struct plan_action *x)
{
	char ref[16];
	case_ref(x->case_id, ref);
	int64_t oid = strcmp(x->owner_kind, "family") == 0 ? x->owner_member_id
		: strcmp(x->owner_kind, "worker") == 0 ? x->owner_worker_id : x->owner_professional_id;
	fmt_printf(&r->out, "{\"id\":%lld,\"case\":%j,\"version\":%lld,\"description\":%j,\"need\":%j,"
		"\"need_title\":%j,\"owner\":{\"kind\":%j,\"id\":%lld,\"name\":%j,\"detail\":%j},\"due_on\":%j,"
		"\"status\":%j,\"status_title\":%j,\"open\":%s,\"overdue_days\":%d,\"last_progress\":%j,"
		"\"last_on\":%j,\"meeting_id\":", (long long)x->id, ref, (long long)x->version, x->description,
		x->need, x->need_title, x->owner_kind, (long long)oid, x->owner_name, x->owner_detail,
		x->due_on, x->status, plan_status_title(x->status), x->open ? "true" : "false",
		x->overdue_days, x->last_progress, x->last_on);
	if (x->meeting_id)
		fmt_printf(&r->out, "%lld}", (long long)x->meeting_id);
	else
		buf_puts(&r->out, "null}");
}

/* The case's actions as JSON (caller has audited the view). */
static int json_actions(struct req *r, int64_t case_id, int status)
{
	struct plan_action *v;
	size_t n;
	int rc = plan_actions(r->db, &r->arena, case_id, &v, &n);
	if (rc)
		return rc;
	req_json(r, status);
	buf_puts(&r->out, "{\"actions\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		json_action(r, &v[i]);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* The case, scope-checked and audited as a view, without loading the whole record. */
static int case_view_api(struct req *r, int64_t *case_id, const char *what)
{
	bool yes = false;
	int rc = case_from_path(r, case_id);
	if (!rc)
		rc = case_visible(r->db, req_scope(r), *case_id, &yes);
	if (rc)
		return rc;
	char idt[24];
	snprintf(idt, sizeof idt, "%lld", (long long)*case_id);
	rc = req_audit(r, yes ? "view" : "denied", "cases", idt, what);
	return rc ? rc : yes ? HE_OK : req_fail(r, HE_NOT_FOUND, "", "No such case");
}

int plan_actions_api(struct req *r)
{
	int64_t case_id;
	int rc = case_view_api(r, &case_id, "the plan's actions");
	return rc ? rc : json_actions(r, case_id, 200);
}

static int json_one_action(struct req *r, int64_t id, int status)
{
	struct plan_action x;
	struct plan_update *u;
	size_t nu;
	int rc = plan_action_load(r->db, &r->arena, req_scope(r), id, &x, &u, &nu, &r->err);
	if (rc)
		return rc;
	req_json(r, status);
	buf_puts(&r->out, "{\"action\":");
	json_action(r, &x);
	buf_puts(&r->out, ",\"updates\":[");
	for (size_t i = 0; i < nu; i++)
		fmt_printf(&r->out, "%s{\"on\":%j,\"status\":%j,\"progress\":%j,\"by\":%j,\"at_review\":%s,"
			"\"at_meeting\":%s}", i ? "," : "", u[i].on_date, u[i].status, u[i].progress, u[i].who,
			u[i].review_id ? "true" : "false", u[i].meeting_id ? "true" : "false");
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

static int64_t json_int(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int plan_action_create_api(struct req *r)
{
	int64_t case_id, id = 0;
	int rc = case_from_path(r, &case_id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	struct action_in in = {
		.idem_key = page_nonempty(req_header(r, "Idempotency-Key")), .description = json_str(j, "description"),
		.need = json_str(j, "need"), .owner_kind = json_str(j, "owner_kind"), .due_on = json_str(j, "due_on"),
	};
	int64_t oid = json_int(j, "owner_id");
	if (in.owner_kind && strcmp(in.owner_kind, "family") == 0)
		in.owner_member_id = oid;
	else if (in.owner_kind && strcmp(in.owner_kind, "worker") == 0)
		in.owner_worker_id = oid;
	else if (in.owner_kind && strcmp(in.owner_kind, "agency") == 0)
		in.owner_professional_id = oid;
	if (in.owner_kind)
		in.owner_kind = arena_strdup(&r->arena, in.owner_kind);
	in.description = arena_strdup(&r->arena, in.description);
	in.need = arena_strdup(&r->arena, in.need);
	in.due_on = arena_strdup(&r->arena, in.due_on);
	json_decref(j);
	rc = plan_action_add(r->db, req_scope(r), case_id, &in, &id, &r->err);
	return rc ? rc : json_one_action(r, id, 201);
}

int plan_action_api(struct req *r)
{
	int64_t id = page_to_int(req_param(r, 0));
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	return json_one_action(r, id > 0 ? id : 0, 200);
}

int plan_action_update_api(struct req *r)
{
	int64_t id = page_to_int(req_param(r, 0));
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	int rc = plan_action_update(r->db, req_scope(r), id > 0 ? id : 0, json_int(j, "version"),
				    json_str(j, "status"), json_str(j, "progress"), json_str(j, "on"), &r->err);
	json_decref(j);
	return rc ? rc : json_one_action(r, id, 200);
}

int plan_reviews_api(struct req *r)
{
	int64_t case_id;
	struct plan_review *v;
	size_t n;
	int rc = case_view_api(r, &case_id, "the plan's reviews");
	if (!rc)
		rc = plan_reviews(r->db, &r->arena, case_id, &v, &n);
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"reviews\":[");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"held_on\":%j,\"summary\":%j,\"family_view\":%j,"
			"\"next_review_on\":%j,\"by\":%j,\"action_updates\":%d,\"reassessed\":%s}", i ? "," : "",
			(long long)v[i].id, v[i].held_on, v[i].summary, v[i].family_view, v[i].next_review_on,
			v[i].who, v[i].nupdates, v[i].reassessed ? "true" : "false");
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* "progress": [{"action_id", "version", "status", "progress"}, …] */
static void json_review_progress(struct req *r, json_t *j, struct review_in *in)
{
	json_t *arr = json_object_get(j, "progress");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	struct review_progress *p = arena_alloc(&r->arena, (n + 1) * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(arr, i);
		p[i] = (struct review_progress){json_int(x, "action_id"), json_int(x, "version"),
			arena_strdup(&r->arena, json_str(x, "status")), arena_strdup(&r->arena, json_str(x, "progress"))};
	}
	in->progress = p;
	in->nprogress = n;
}

/* "assessment": {"agreed_with", "summary", "scores": [{"domain", "score", "strengths", "needs"}]} */
static struct assess_in *json_review_assessment(struct req *r, json_t *j, const struct review_in *in)
{
	json_t *a = json_object_get(j, "assessment"), *arr;
	if (!json_is_object(a))
		return NULL;
	struct assess_in *as = arena_alloc(&r->arena, sizeof *as);
	arr = json_object_get(a, "scores");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	struct assess_score_in *sc = arena_alloc(&r->arena, (n + 1) * sizeof *sc);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(arr, i);
		sc[i] = (struct assess_score_in){arena_strdup(&r->arena, json_str(x, "domain")),
			(int)json_int(x, "score"), arena_strdup(&r->arena, json_str(x, "strengths")),
			arena_strdup(&r->arena, json_str(x, "needs"))};
	}
	*as = (struct assess_in){.idem_key = in->idem_key ? arena_printf(&r->arena, "%s-a", in->idem_key) : NULL,
		.assessed_on = in->held_on, .kind = "review",
		.agreed_with = arena_strdup(&r->arena, json_str(a, "agreed_with")),
		.summary = arena_strdup(&r->arena, json_str(a, "summary")), .scores = sc, .nscores = n};
	return as;
}

int plan_review_create_api(struct req *r)
{
	int64_t case_id, id = 0;
	int rc = case_from_path(r, &case_id);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	struct review_in in = {
		.idem_key = page_nonempty(req_header(r, "Idempotency-Key")),
		.held_on = arena_strdup(&r->arena, json_str(j, "held_on")),
		.summary = arena_strdup(&r->arena, json_str(j, "summary")),
		.family_view = arena_strdup(&r->arena, json_str(j, "family_view")),
		.next_review_on = arena_strdup(&r->arena, json_str(j, "next_review_on")),
	};
	json_review_progress(r, j, &in);
	in.assessment = json_review_assessment(r, j, &in);
	int64_t version = json_int(j, "version");
	json_decref(j);
	rc = plan_review_add(r->db, req_scope(r), case_id, version, &in, &id, &r->err);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(r->db, "SELECT v.held_on, coalesce(v.next_review_on, ''), c.version"
		" FROM reviews v JOIN cases c ON c.id = v.case_id WHERE v.id = :id");
	char ref[16];
	case_ref(case_id, ref);
	db_bind_int(st, ":id", id);
	req_json(r, 201);
	if (db_next(st))
		fmt_printf(&r->out, "{\"review\":{\"id\":%lld,\"held_on\":%j,\"next_review_on\":%j},\"case\":"
			"{\"ref\":%j,\"version\":%lld}}\n", (long long)id, db_text(st, 0), db_text(st, 1),
			ref, (long long)db_int(st, 2));
	return db_finalize(st);
}
