/* taf_web.c — Team Around the Family meetings, as pages and JSON.
 *
 *   (family page)  the meetings of the case and a form to arrange one
 *   POST /cases/{ref}/meetings          arrange a meeting
 *   GET  /taf/meetings/{id}             the meeting: when, where, who was
 *                                       invited and who came, minutes,
 *                                       decisions, actions agreed; forms to
 *                                       invite, record as held, cancel
 *   POST /taf/meetings/{id}/invite, /record, /cancel
 *   GET  /taf                           the agency user's home: their
 *                                       meetings and the actions they own
 *   POST /taf/actions/{id}              the agency user's progress on an action
 * and the same under /api/v1 (GET /api/v1/taf, GET /api/v1/taf/meetings/{id},
 * POST /api/v1/cases/{ref}/meetings, POST /api/v1/taf/meetings/{id}/invite,
 * /record, /cancel, POST /api/v1/taf/actions/{id}).
 *
 * Who sees what is taf.c's (taf_meeting_load): the case's worker and the
 * coordinator see everything; an invited agency user sees the meeting and
 * only the actions they own; anyone else gets 404, audited "denied".  The
 * meeting routes are open to any signed-in user in the route table
 * because two capabilities reach them (CAP_CASES, CAP_TAF_ACTIONS_OWN):
 * the handler refuses anyone with neither (403, audited).  Forms work
 * without JavaScript; a form that fails is shown again with a GOV.UK
 * error summary, its values as typed; changing forms post the meeting's
 * version, create forms a one-time key. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/date.h"
#include "base/fmt.h"
#include "core/case.h"
#include "core/consent.h"
#include "core/plan.h"
#include "core/taf.h"
#include "store/db.h"
#include "web/case_sections.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

#define ACTION_ROWS 3   /* new actions on the "record as held" form */

/* The form shown again after it failed (form NULL: none). */
struct view {
	const char *form;
	const struct errinfo *e;
	const char *done;
};

static int64_t param_id(struct req *r, int i)
{
	const char *s = req_param(r, i);
	char *end;
	if (!s || !*s)
		return 0;
	long long v = strtoll(s, &end, 10);
	return *end || v <= 0 ? 0 : v;
}

static int64_t form_int(struct req *r, const char *name)
{
	const char *s = req_form(r, name);
	char *end;
	if (!s || !*s)
		return 0;
	long long v = strtoll(s, &end, 10);
	return *end ? -1 : v;
}

static bool has_error(const struct view *v, const char *id)
{
	return v->e && v->e->code && strcmp(v->e->field, id) == 0;
}

/* The posted value when form is shown again, else def. */
static const char *val(struct req *r, const struct view *v, const char *form, const char *name,
		       const char *def)
{
	if (v->form && strcmp(v->form, form) == 0) {
		const char *x = req_form(r, name);
		return x ? x : "";
	}
	return def ? def : "";
}

/* id of input name in form: "record-minutes" */
static const char *fid(struct req *r, const char *form, const char *name)
{
	char *id = arena_printf(&r->arena, "%s-%s", form, name);
	for (char *p = id; *p; p++)
		if (*p == '_' || *p == '.' || *p == '[' || *p == ']')
			*p = '-';
	return id;
}

static void group_open(struct req *r, const struct view *v, const char *id, const char *label,
		       const char *hint)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"%h</label>", has_error(v, id) ? " govuk-form-group--error" : "", id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	page_field_error(r, v->e, id);
}

static const char *described(struct req *r, const struct view *v, const char *id, bool hint)
{
	bool err = has_error(v, id);
	if (!hint && !err)
		return "";
	return arena_printf(&r->arena, " aria-describedby=\"%s%s%s%s%s\"", hint ? id : "",
			    hint ? "-hint" : "", hint && err ? " " : "", err ? id : "", err ? "-error" : "");
}

static void input(struct req *r, const struct view *v, const char *form, const char *name,
		  const char *label, const char *hint, const char *type, const char *width,
		  const char *def)
{
	const char *id = fid(r, form, name);
	group_open(r, v, id, label, hint);
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"%h\""
		" value=\"%h\"%s></div>", width, has_error(v, id) ? " govuk-input--error" : "", id, name,
		type, val(r, v, form, name, def), described(r, v, id, hint != NULL));
}

static void textarea(struct req *r, const struct view *v, const char *form, const char *name,
		     const char *label, const char *hint, int rows)
{
	const char *id = fid(r, form, name);
	group_open(r, v, id, label, hint);
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea%s\" id=\"%h\" name=\"%h\" rows=\"%d\"%s>"
		"%h</textarea></div>", has_error(v, id) ? " govuk-textarea--error" : "", id, name, rows,
		described(r, v, id, hint != NULL), val(r, v, form, name, ""));
}

static void status_tag(struct req *r, const char *status)
{
	const char *cls = strcmp(status, "scheduled") == 0 ? "govuk-tag--blue"
		: strcmp(status, "held") == 0 ? "govuk-tag--green" : "govuk-tag--grey";
	fmt_printf(&r->out, "<strong class=\"govuk-tag %s\">%h</strong>", cls, taf_status_title(status));
}

static void success_banner(struct req *r, const char *msg)
{
	if (!msg)
		return;
	fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
		" role=\"alert\" aria-labelledby=\"done-title\" data-module=\"govuk-notification-banner\">"
		"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
		" id=\"done-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
		"<p class=\"govuk-notification-banner__heading\">%h</p></div></div>", msg);
}

static const char *done_message(const char *done)
{
	static const char *const msgs[][2] = {
		{"scheduled", "Meeting arranged"}, {"invited", "Invitation added"},
		{"held", "Meeting recorded as held"}, {"cancelled", "Meeting cancelled"},
		{"action", "Progress saved"}, {NULL, NULL},
	};
	for (int i = 0; done && msgs[i][0]; i++)
		if (strcmp(done, msgs[i][0]) == 0)
			return msgs[i][1];
	return NULL;
}

static void form_open(struct req *r, const struct view *v, const char *form, const char *action,
		      const char *summary, int64_t version)
{
	bool open = v->form && strcmp(v->form, form) == 0;
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"%h-form\"%s><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">%h</span>"
		"</summary><div class=\"govuk-details__text\"><form method=\"post\" action=\"%h\" novalidate>",
		form, open ? " open" : "", summary, action);
	page_csrf_field(r, r->sess.csrf);
	if (version)
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\">",
			   (long long)version);
}

static void form_close(struct req *r, const char *button, bool warning)
{
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button%s\" data-module=\"govuk-button\">"
		"%h</button></form></div></details>", warning ? " govuk-button--warning" : "", button);
}

/* ---- the family page section ------------------------------------------------- */

static void schedule_fields(struct req *r, const struct view *v)
{
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
		   val(r, v, "schedule", "idem", page_idem_new(r)));
	input(r, v, "schedule", "date", "Date", "For example, 2026-03-14", "date",
	      "govuk-input--width-10", "");
	input(r, v, "schedule", "time", "Time", "For example, 10:00", "time", "govuk-input--width-5", "");
	input(r, v, "schedule", "duration_min", "Length in minutes", "Leave blank for an hour", "number",
	      "govuk-input--width-3", "");
	input(r, v, "schedule", "place", "Place",
	      "For example, the multi-agency centre at Alpha Academy", "text", "", "");
}

static void meetings_table(struct req *r, const struct taf_summary *l, size_t n, bool family)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%zu meeting%s</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n, n == 1 ? "" : "s");
	page_th(r, "When");
	page_th(r, "Place");
	if (family)
		page_th(r, "Family");
	page_th(r, "Status");
	page_th(r, family ? "Invited" : "Attended");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"/taf/meetings/%lld\">%h</a></td>", (long long)l[i].id,
			page_when(r, l[i].starts_at));
		page_td(r, l[i].place);
		if (family)
			page_td(r, arena_printf(&r->arena, "%s %s", l[i].family_ref, l[i].family_name));
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">");
		status_tag(r, l[i].status);
		fmt_printf(&r->out, "</td>");
		if (family)
			page_td(r, "You");
		else if (strcmp(l[i].status, "held") == 0)
			page_td(r, arena_printf(&r->arena, "%d of %d", l[i].nattended, l[i].ninvited));
		else
			page_td(r, arena_printf(&r->arena, "%d invited", l[i].ninvited));
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

void taf_case_section(struct req *r, const struct case_record *c)
{
	struct taf_summary *l;
	size_t n;
	struct view v = {0};
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"taf\">Team Around the Family meetings</h2>");
	if (taf_case_meetings(r->db, &r->arena, c->id, &l, &n) != HE_OK) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">The meetings could not be read.</p>");
		return;
	}
	if (n)
		meetings_table(r, l, n, false);
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\">No meetings arranged yet.</p>");
	if (strcmp(c->status, "open") != 0)
		return;
	form_open(r, &v, "schedule", arena_printf(&r->arena, "/cases/%s/meetings", c->ref),
		  "Arrange a Team Around the Family meeting", 0);
	schedule_fields(r, &v);
	form_close(r, "Arrange meeting", false);
}

/* The standalone form, shown again after a failed POST. */
static void schedule_page(struct req *r, const char *ref, const struct view *v, int status)
{
	page_begin(r, status, "Arrange a Team Around the Family meeting");
	page_error_summary(r, v->e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Case %h</span><h1 class=\"govuk-heading-l\">"
		"Arrange a Team Around the Family meeting</h1><form method=\"post\" action=\"/cases/%u/meetings\""
		" novalidate>", ref, ref);
	page_csrf_field(r, r->sess.csrf);
	schedule_fields(r, v);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Arrange meeting</button></form><p class=\"govuk-body\"><a class=\"govuk-link\""
		" href=\"/cases/%u#taf\">Back to the case</a></p>", ref);
	page_end(r);
}

static const char *form_at(struct req *r, const char *date, const char *time)
{
	const char *d = page_nonempty(req_form(r, date)), *t = page_nonempty(req_form(r, time));
	if (!d && !t)
		return NULL;
	return arena_printf(&r->arena, "%sT%s", d ? d : "", t ? t : "");
}

static bool input_error(int rc)
{
	return rc != HE_OK && rc != HE_NOT_FOUND && rc != HE_INTERNAL && rc < HE_DB &&
		rc != HE_FORBIDDEN;
}

int taf_schedule_page(struct req *r)
{
	int64_t cid, id = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &cid);
	if (rc)
		return rc;
	int64_t dur = form_int(r, "duration_min");
	struct meeting_in in = {
		.idem_key = page_nonempty(req_form(r, "idem")), .starts_at = form_at(r, "date", "time"),
		.place = req_form(r, "place"), .duration_min = dur < 0 || dur > 100000 ? -1 : (int)dur,
	};
	rc = taf_schedule(r->db, req_scope(r), cid, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/taf/meetings/%lld?done=scheduled",
						    (long long)id));
	if (!input_error(rc)) {
		r->err = e;
		return rc;
	}
	struct errinfo shown = e;
	const char *f = strcmp(e.field, "starts_at") == 0 ? "date" : e.field;
	snprintf(shown.field, sizeof shown.field, "%s", *f && strcmp(f, "case") && strcmp(f, "consent")
		 && strcmp(f, "idem") ? fid(r, "schedule", f) : "");
	struct view v = {.form = "schedule", .e = &shown};
	char ref[16];
	case_ref(cid, ref);
	schedule_page(r, ref, &v, err_http_status(rc));
	return HE_OK;
}

/* ---- the meeting page ------------------------------------------------------------ */

/* Either capability that reaches a meeting; else 404, audited (a record
 * route never tells whether the record exists: route.c). */
static int need_meeting_caps(struct req *r)
{
	if (caps_has(r->caps, CAP_CASES) || caps_has(r->caps, CAP_TAF_ACTIONS_OWN))
		return req_scope(r) ? HE_OK : r->err.code ? r->err.code : HE_INTERNAL;
	int rc = req_audit(r, "denied", "taf_meetings", NULL, "lacks capability cases or taf_actions_own");
	return rc ? rc : HE_NOT_FOUND;
}

static void meeting_summary(struct req *r, const struct taf_meeting *m)
{
	fmt_printf(&r->out, "<dl class=\"govuk-summary-list\">");
	static const char *const keys[] = {"When", "Length", "Place", "Family", "Status"};
	const char *vals[5] = {
		page_when(r, m->starts_at), arena_printf(&r->arena, "%d minutes", m->duration_min),
		m->place, arena_printf(&r->arena, "%s %s", m->family_ref, m->family_name), NULL,
	};
	for (int i = 0; i < 5; i++) {
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\">", keys[i]);
		if (i == 3 && !m->agency_view)
			fmt_printf(&r->out, "<a class=\"govuk-link\" href=\"/cases/%u\">%h</a> (case %h)",
				   m->case_ref, vals[i], m->case_ref);
		else if (i == 4)
			status_tag(r, m->status);
		else
			fmt_printf(&r->out, "%h", vals[i]);
		fmt_printf(&r->out, "</dd></div>");
	}
	fmt_printf(&r->out, "</dl>");
}

static void invitees_table(struct req *r, const struct taf_meeting *m)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"invitees\">Who is invited</h2>"
		"<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-visually-hidden\">"
		"People invited to the meeting</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	page_th(r, "Name");
	page_th(r, "Role");
	page_th(r, "Attended");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < m->ninvitees; i++) {
		const struct taf_invitee *v = &m->invitees[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, v->name);
		if (v->not_shared && !m->agency_view)
			page_td(r, arena_printf(&r->arena, "%s (no longer shared with: the family's"
				" consent for this service was withdrawn, so they do not see this meeting)",
				v->role ? v->role : "Professional"));
		else
			page_td(r, v->role);
		page_td(r, v->attended < 0 ? "Not recorded" : v->attended ? "Yes" : "No");
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void actions_table(struct req *r, const struct taf_meeting *m)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"actions\">%s</h2>",
		   m->agency_view ? "Your actions from this meeting" : "Actions agreed");
	if (!m->nactions) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">None.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Actions agreed at the meeting</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">");
	page_th(r, "Action");
	page_th(r, "Need");
	page_th(r, "Owner");
	page_th(r, "Due");
	page_th(r, "Status");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < m->nactions; i++) {
		const struct taf_action *a = &m->actions[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, a->description);
		page_td(r, a->need);
		page_td(r, a->owner_name);
		page_td(r, page_when(r, a->due_on));
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h", plan_status_title(a->status));
		if (a->overdue)
			fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red\">Overdue</strong>");
		fmt_printf(&r->out, "</td></tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
	if (m->agency_view)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/taf#your-actions\">"
			"Update your actions</a></p>");
}

static void select_open(struct req *r, const struct view *v, const char *form, const char *name,
			const char *label, const char *hint)
{
	const char *id = fid(r, form, name);
	group_open(r, v, id, label, hint);
	fmt_printf(&r->out, "<select class=\"govuk-select%s\" id=\"%h\" name=\"%h\"%s>", has_error(v, id)
		? " govuk-select--error" : "", id, name, described(r, v, id, hint != NULL));
}

static void option(struct req *r, const char *value, const char *text, const char *cur)
{
	fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", value,
		   cur && strcmp(cur, value) == 0 ? " selected" : "", text);
}

/* The invite form: one choice among the directory, the family and the pool. */
static void invite_form(struct req *r, const struct taf_meeting *m, const struct view *v)
{
	struct plan_choice *o;
	size_t n;
	form_open(r, v, "invite", arena_printf(&r->arena, "/taf/meetings/%lld/invite", (long long)m->id),
		  "Invite someone", m->version);
	if (!m->can_invite_agencies)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\">The family has not agreed to share"
			" their information with partner agencies, so only family members and workers can be"
			" invited. Record a consent that covers TAF partner agencies first.</div>");
	else if (!m->can_invite_health || !m->can_invite_social_care)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\">The family has not agreed to share"
			" their information with %s, so those services are not listed. Record a consent"
			" that covers them, or a lawful basis, first.</div>", !m->can_invite_health &&
			!m->can_invite_social_care ? "health services or children's social care"
			: !m->can_invite_health ? "health services (school nursing, CAMHS, health visiting)"
			: "children's social care");
	select_open(r, v, "invite", "invitee", "Who to invite",
		    "A professional from the directory, a member of the family, or a worker");
	const char *cur = val(r, v, "invite", "invitee", "");
	option(r, "", "Choose someone", cur);
	if (plan_owners(r->db, &r->arena, m->case_id, &o, &n) == HE_OK) {
		static const char *const groups[][2] = {{"agency", "Partner agencies"},
			{"family", "The family"}, {"worker", "Workers"}};
		for (int g = 0; g < 3; g++) {
			if (g == 0 && !m->can_invite_agencies)
				continue;
			fmt_printf(&r->out, "<optgroup label=\"%h\">", groups[g][1]);
			for (size_t i = 0; i < n; i++)
				if (strcmp(o[i].kind, groups[g][0]) == 0)
					option(r, o[i].code, arena_printf(&r->arena, "%s — %s", o[i].title,
						page_or_dash(o[i].detail)), cur);
			fmt_printf(&r->out, "</optgroup>");
		}
	}
	fmt_printf(&r->out, "</select></div>");
	form_close(r, "Invite", false);
}

static void action_rows(struct req *r, const struct taf_meeting *m, const struct view *v)
{
	struct plan_choice *needs, *owners;
	size_t nn = 0, no = 0;
	if (plan_needs(r->db, &r->arena, m->case_id, &needs, &nn) ||
	    plan_owners(r->db, &r->arena, m->case_id, &owners, &no))
		return;
	for (int k = 1; k <= ACTION_ROWS; k++) {
		const char *p = arena_printf(&r->arena, "action%d_", k);
		fmt_printf(&r->out, "<fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend"
			" govuk-fieldset__legend--s\">New action %d (leave blank if none)</legend>", k);
		textarea(r, v, "record", arena_printf(&r->arena, "%sdescription", p), "What will be done, by"
			 " when", "Specific and measurable, for example: Grace will meet Aisha every Monday"
			 " about attendance until half term", 2);
		select_open(r, v, "record", arena_printf(&r->arena, "%sneed", p), "Need it addresses", NULL);
		const char *cur = val(r, v, "record", arena_printf(&r->arena, "%sneed", p), "");
		option(r, "", "Choose a need", cur);
		for (size_t i = 0; i < nn; i++)
			option(r, needs[i].code, needs[i].title, cur);
		fmt_printf(&r->out, "</select></div>");
		select_open(r, v, "record", arena_printf(&r->arena, "%sowner", p), "Who owns it", NULL);
		cur = val(r, v, "record", arena_printf(&r->arena, "%sowner", p), "");
		option(r, "", "Choose an owner", cur);
		for (size_t i = 0; i < no; i++)
			if (strcmp(owners[i].kind, "agency") != 0 || m->can_invite_agencies)
				option(r, owners[i].code, arena_printf(&r->arena, "%s — %s", owners[i].title,
					page_or_dash(owners[i].detail)), cur);
		fmt_printf(&r->out, "</select></div>");
		input(r, v, "record", arena_printf(&r->arena, "%sdue_on", p), "Due date", NULL, "date",
		      "govuk-input--width-10", "");
		fmt_printf(&r->out, "</fieldset>");
	}
}

static void record_form(struct req *r, const struct taf_meeting *m, const struct view *v)
{
	form_open(r, v, "record", arena_printf(&r->arena, "/taf/meetings/%lld/record", (long long)m->id),
		  "Record the meeting as held", m->version);
	const char *id = fid(r, "record", "attended");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\"%s>"
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Who attended</legend>",
		has_error(v, id) ? " govuk-form-group--error" : "", described(r, v, id, false));
	page_field_error(r, v->e, id);
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes govuk-checkboxes--small\" data-module=\"govuk-checkboxes\">");
	bool again = v->form && strcmp(v->form, "record") == 0;
	for (size_t i = 0; i < m->ninvitees; i++) {
		const struct taf_invitee *x = &m->invitees[i];
		const char *cid = i ? arena_printf(&r->arena, "%s-%zu", id, i) : id;
		const char *key = arena_printf(&r->arena, "attended_%lld", (long long)x->id);
		bool on = again && req_form(r, key);
		fmt_printf(&r->out, "<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\""
			" id=\"%h\" name=\"%h\" type=\"checkbox\" value=\"1\"%s><label class=\"govuk-label"
			" govuk-checkboxes__label\" for=\"%h\">%h (%h)</label></div>", cid, key,
			on ? " checked" : "", cid, x->name, page_or_dash(x->role));
	}
	fmt_printf(&r->out, "</div></fieldset></div>");
	textarea(r, v, "record", "minutes", "Minutes", "What was discussed, in plain words the family"
		 " can read", 6);
	textarea(r, v, "record", "decisions", "Decisions", "What the meeting decided", 3);
	action_rows(r, m, v);
	form_close(r, "Record as held", false);
}

static void cancel_form(struct req *r, const struct taf_meeting *m, const struct view *v)
{
	form_open(r, v, "cancel", arena_printf(&r->arena, "/taf/meetings/%lld/cancel", (long long)m->id),
		  "Cancel the meeting", m->version);
	textarea(r, v, "cancel", "reason", "Why is it cancelled", NULL, 3);
	form_close(r, "Cancel meeting", true);
}

static void meeting_render(struct req *r, const struct taf_meeting *m, const struct view *v,
			   int status)
{
	page_begin(r, status, arena_printf(&r->arena, "TAF meeting – %s", m->family_name));
	page_error_summary(r, v->e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h %h</span><h1 class=\"govuk-heading-l\">"
		"Team Around the Family meeting</h1>", m->family_ref, m->family_name);
	success_banner(r, done_message(v->done));
	if (!m->case_open && !m->agency_view)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\">This case is closed: the meeting can"
			" be read but not changed.</div>");
	meeting_summary(r, m);
	invitees_table(r, m);
	if (strcmp(m->status, "held") == 0) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"minutes\">Minutes</h2>"
			"<p class=\"govuk-body hearth-pre\">%h</p><h2 class=\"govuk-heading-m\">Decisions</h2>"
			"<p class=\"govuk-body hearth-pre\">%h</p>", m->minutes, page_or_dash(m->decisions));
	} else if (strcmp(m->status, "cancelled") == 0) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Why it was cancelled</h2>"
			"<p class=\"govuk-body\">%h</p>", m->minutes);
	}
	actions_table(r, m);
	if (!m->agency_view && m->case_open && strcmp(m->status, "scheduled") == 0) {
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Change the meeting</h2>");
		invite_form(r, m, v);
		record_form(r, m, v);
		cancel_form(r, m, v);
	}
	page_end(r);
}

static int meeting_show(struct req *r, int64_t id, const struct view *v, int status)
{
	struct taf_meeting m;
	struct errinfo e = {0};
	int rc = taf_meeting_load(r->db, &r->arena, req_scope(r), id, &m, &e);
	if (rc) {
		r->err = e;
		return rc;
	}
	meeting_render(r, &m, v, status);
	return HE_OK;
}

/* The meeting id of path parameter 0: 0 answers 404 (audited). */
static int meeting_from_path(struct req *r, int64_t *id)
{
	int rc = need_meeting_caps(r);
	if (rc)
		return rc;
	*id = param_id(r, 0);
	if (*id)
		return HE_OK;
	rc = req_audit(r, "denied", "taf_meetings", NULL, "malformed meeting id");
	return rc ? rc : req_fail(r, HE_NOT_FOUND, "", NULL);
}

int taf_meeting_page(struct req *r)
{
	int64_t id;
	int rc = meeting_from_path(r, &id);
	if (rc)
		return rc;
	struct view v = {.done = req_query(r, "done")};
	return meeting_show(r, id, &v, 200);
}

/* After a change to the meeting: back to it, or the form again. */
static int after(struct req *r, int64_t id, const char *form, const char *done, int rc,
		 struct errinfo *e, const char *field_id)
{
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/taf/meetings/%lld?done=%s", (long long)id,
						    done));
	if (!input_error(rc)) {
		r->err = *e;
		return rc;
	}
	struct errinfo shown = *e;
	snprintf(shown.field, sizeof shown.field, "%s", field_id ? field_id : "");
	struct view v = {.form = form, .e = &shown};
	return meeting_show(r, id, &v, err_http_status(rc));
}

/* "agency:5" into the three ids (all 0 if malformed). */
static void owner_parse(const char *code, int64_t *prof, int64_t *member, int64_t *worker,
			const char **kind)
{
	*prof = *member = *worker = 0;
	*kind = NULL;
	const char *colon = code ? strchr(code, ':') : NULL;
	if (!colon)
		return;
	int64_t id = strtoll(colon + 1, NULL, 10);
	size_t n = (size_t)(colon - code);
	if (n == 6 && strncmp(code, "agency", 6) == 0)
		*prof = id, *kind = "agency";
	else if (n == 6 && strncmp(code, "family", 6) == 0)
		*member = id, *kind = "family";
	else if (n == 6 && strncmp(code, "worker", 6) == 0)
		*worker = id, *kind = "worker";
}

int taf_invite_page(struct req *r)
{
	int64_t id, p, m, w;
	const char *kind;
	struct errinfo e = {0};
	int rc = meeting_from_path(r, &id);
	if (rc)
		return rc;
	owner_parse(req_form(r, "invitee"), &p, &m, &w, &kind);
	rc = taf_invite(r->db, req_scope(r), id, form_int(r, "version"), p, m, w, &e);
	return after(r, id, "invite", "invited", rc, &e,
		     strcmp(e.field, "invitee") == 0 ? "invite-invitee" : "invite-form");
}

/* The new actions of the record form: rows with any field filled. */
static size_t form_actions(struct req *r, struct action_in *out, int *row)
{
	size_t n = 0;
	for (int k = 1; k <= ACTION_ROWS; k++) {
		const char *d = req_form(r, arena_printf(&r->arena, "action%d_description", k));
		const char *need = req_form(r, arena_printf(&r->arena, "action%d_need", k));
		const char *owner = req_form(r, arena_printf(&r->arena, "action%d_owner", k));
		const char *due = req_form(r, arena_printf(&r->arena, "action%d_due_on", k));
		if (!page_nonempty(d) && !page_nonempty(need) && !page_nonempty(owner) && !page_nonempty(due))
			continue;
		struct action_in *a = &out[n];
		memset(a, 0, sizeof *a);
		a->description = d ? d : "";
		a->need = need;
		a->due_on = due;
		owner_parse(owner, &a->owner_professional_id, &a->owner_member_id, &a->owner_worker_id,
			    &a->owner_kind);
		row[n++] = k;
	}
	return n;
}

/* The form's element for an error field of taf_record. */
static const char *record_field(struct req *r, const char *field, const int *row)
{
	unsigned i;
	char sub[40];
	if (sscanf(field, "actions[%u].%39s", &i, sub) == 2 && i < ACTION_ROWS)
		return fid(r, "record", arena_printf(&r->arena, "action%d_%s", row[i],
			   strcmp(sub, "owner") == 0 || strcmp(sub, "consent") == 0 ? "owner" : sub));
	if (strcmp(field, "minutes") == 0 || strcmp(field, "decisions") == 0 ||
	    strcmp(field, "attended") == 0)
		return fid(r, "record", field);
	return "record-form";
}

int taf_record_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = meeting_from_path(r, &id);
	if (rc)
		return rc;
	/* attendance: every "attended_<invitee id>" checked */
	int64_t *att = arena_alloc(&r->arena, (size_t)(r->nform + 1) * sizeof *att);
	size_t n = 0;
	for (int i = 0; i < r->nform; i++)
		if (strncmp(r->form[i].key, "attended_", 9) == 0)
			att[n++] = strtoll(r->form[i].key + 9, NULL, 10);
	struct action_in acts[ACTION_ROWS];
	int row[ACTION_ROWS] = {0};
	size_t na = form_actions(r, acts, row);
	rc = taf_record(r->db, req_scope(r), id, form_int(r, "version"), att, n,
			req_form(r, "minutes"), req_form(r, "decisions"), acts, na, &e);
	return after(r, id, "record", "held", rc, &e, record_field(r, e.field, row));
}

int taf_cancel_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = meeting_from_path(r, &id);
	if (rc)
		return rc;
	rc = taf_cancel(r->db, req_scope(r), id, form_int(r, "version"), req_form(r, "reason"), &e);
	return after(r, id, "cancel", "cancelled", rc, &e,
		     strcmp(e.field, "reason") == 0 ? "cancel-reason" : "cancel-form");
}

/* ---- the agency user's home ---------------------------------------------------------- */

static void status_select(struct req *r, const struct view *v, const char *form, const char *cur)
{
	select_open(r, v, form, "status", "Status", NULL);
	const char *now = val(r, v, form, "status", cur);
	for (int i = 0; plan_statuses[i]; i++)
		option(r, plan_statuses[i], plan_status_title(plan_statuses[i]), now);
	fmt_printf(&r->out, "</select></div>");
}

static void agency_action_card(struct req *r, const struct taf_action *a, const struct view *v)
{
	const char *form = arena_printf(&r->arena, "action-%lld", (long long)a->id);
	fmt_printf(&r->out, "<div class=\"govuk-summary-card\" id=\"%h\"><div class=\"govuk-summary-card__title-wrapper\">"
		"<h3 class=\"govuk-summary-card__title\">%h</h3></div><div class=\"govuk-summary-card__content\">"
		"<dl class=\"govuk-summary-list\">", form, a->description);
	static const char *const keys[] = {"Family", "Need", "Due", "Status", "Latest progress"};
	const char *vals[] = {arena_printf(&r->arena, "%s %s", a->family_ref, a->family_name), a->need,
			      page_when(r, a->due_on), plan_status_title(a->status), a->progress};
	for (int i = 0; i < 5; i++) {
		fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
			"%h</dt><dd class=\"govuk-summary-list__value\">%h", keys[i], page_or_dash(vals[i]));
		if (i == 2 && a->overdue)
			fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red\">Overdue</strong>");
		fmt_printf(&r->out, "</dd></div>");
	}
	fmt_printf(&r->out, "</dl>");
	if (a->meeting_id)
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/taf/meetings/%lld\">"
			"The meeting that agreed it</a></p>", (long long)a->meeting_id);
	form_open(r, v, form, arena_printf(&r->arena, "/taf/actions/%lld", (long long)a->id),
		  "Update progress", a->version);
	status_select(r, v, form, a->status);
	textarea(r, v, form, "progress", "Progress", "What you have done since the last update", 3);
	form_close(r, "Save progress", false);
	fmt_printf(&r->out, "</div></div>");
}

static int home_render(struct req *r, const struct view *v, int status)
{
	struct taf_summary *ms;
	struct taf_action *as;
	size_t nm, na;
	struct errinfo e = {0};
	int rc = taf_agency_home(r->db, &r->arena, req_scope(r), &ms, &nm, &as, &na, &e);
	if (rc) {
		r->err = e;
		return rc;
	}
	page_begin(r, status, "Your Team Around the Family work");
	page_error_summary(r, v->e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Your Team Around the Family work</h1>");
	success_banner(r, done_message(v->done));
	if (req_scope(r)->professional_id <= 0)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\">Your sign-in is not linked to a"
			" professional in the directory yet. Ask the coordinator to link it.</div>");
	fmt_printf(&r->out, "<p class=\"govuk-body\">You see only the meetings you are invited to and the"
		" actions you own. Invitations appear here: there are no emails.</p>"
		"<h2 class=\"govuk-heading-m\" id=\"your-meetings\">Your meetings</h2>");
	if (nm)
		meetings_table(r, ms, nm, true);
	else
		fmt_printf(&r->out, "<p class=\"govuk-body\">You are not invited to any meetings.</p>");
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"your-actions\">Your actions</h2>");
	if (!na)
		fmt_printf(&r->out, "<p class=\"govuk-body\">You have no actions.</p>");
	for (size_t i = 0; i < na; i++)
		agency_action_card(r, &as[i], v);
	page_end(r);
	return HE_OK;
}

int taf_home_page(struct req *r)
{
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	struct view v = {.done = req_query(r, "done")};
	return home_render(r, &v, 200);
}

/* Is action id the agency user's own, on an open case, of a family
 * sharing with their service (consent.h)?  The /taf list shows exactly these. */
static int own_action(struct req *r, int64_t id, bool *yes)
{
	*yes = false;
	const struct scope *s = req_scope(r);
	struct db_stmt *st = db_prepare(r->db,
		"SELECT 1 FROM plan_actions pa JOIN cases c ON c.id = pa.case_id WHERE pa.id = :id"
		" AND pa.owner_professional_id = :me AND c.status = 'open' AND "
		CONSENT_SQL_PROFESSIONAL_OK("c.family_id", ":me"));
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":me", s->professional_id > 0 ? s->professional_id : -1);
	*yes = db_next(st);
	return db_finalize(st);
}

/* Record the agency user's progress on action id (path parameter 0). */
static int action_update(struct req *r, int64_t id, int64_t version, const char *status,
			 const char *progress, struct errinfo *e)
{
	bool yes = false;
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = id ? own_action(r, id, &yes) : HE_OK;
	if (rc)
		return rc;
	if (!yes) {
		rc = req_audit(r, "denied", "plan_actions", req_param(r, 0),
			       "update action: not the caller's own action");
		return rc ? rc : errinfo_set(e, HE_NOT_FOUND, "", "No such action");
	}
	return plan_action_update(r->db, req_scope(r), id, version, status, progress, NULL, e);
}

int taf_action_page(struct req *r)
{
	int64_t id = param_id(r, 0);
	struct errinfo e = {0};
	int rc = action_update(r, id, form_int(r, "version"), req_form(r, "status"),
			       req_form(r, "progress"), &e);
	if (rc == HE_OK)
		return req_redirect(r, "/taf?done=action");
	if (!input_error(rc)) {
		r->err = e;
		return rc;
	}
	const char *form = arena_printf(&r->arena, "action-%lld", (long long)id);
	struct errinfo shown = e;
	snprintf(shown.field, sizeof shown.field, "%s", strcmp(e.field, "status") == 0 ||
		 strcmp(e.field, "progress") == 0 ? fid(r, form, e.field) : form);
	struct view v = {.form = form, .e = &shown};
	return home_render(r, &v, err_http_status(rc));
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_summary(struct req *r, const struct taf_summary *m)
{
	fmt_printf(&r->out, "{\"id\":%lld,\"starts_at\":%j,\"duration_min\":%d,\"place\":%j,\"status\":%j,"
		"\"family\":{\"ref\":%j,\"name\":%j},\"invited\":%d,\"attended\":%d}", (long long)m->id,
		m->starts_at, m->duration_min, m->place, m->status, m->family_ref, m->family_name,
		m->ninvited, m->nattended);
}

static void json_action(struct req *r, const struct taf_action *a)
{
	fmt_printf(&r->out, "{\"id\":%lld,\"version\":%lld,\"description\":%j,\"need\":%j,\"owner\":"
		"{\"kind\":%j,\"name\":%j},\"due_on\":%j,\"status\":%j,\"progress\":%j,\"overdue\":%s,"
		"\"family\":{\"ref\":%j,\"name\":%j},\"meeting_id\":", (long long)a->id, (long long)a->version,
		a->description, a->need, a->owner_kind, a->owner_name, a->due_on, a->status, a->progress,
		a->overdue ? "true" : "false", a->family_ref, a->family_name);
	if (a->meeting_id)
		fmt_printf(&r->out, "%lld}", (long long)a->meeting_id);
	else
		buf_puts(&r->out, "null}");
}

int taf_home_api(struct req *r)
{
	struct taf_summary *ms;
	struct taf_action *as;
	size_t nm, na;
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = taf_agency_home(r->db, &r->arena, req_scope(r), &ms, &nm, &as, &na, &r->err);
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"meetings\":[");
	for (size_t i = 0; i < nm; i++) {
		buf_puts(&r->out, i ? "," : "");
		json_summary(r, &ms[i]);
	}
	buf_puts(&r->out, "],\"actions\":[");
	for (size_t i = 0; i < na; i++) {
		buf_puts(&r->out, i ? "," : "");
		json_action(r, &as[i]);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

static void json_meeting(struct req *r, const struct taf_meeting *m)
{
	fmt_printf(&r->out, "{\"meeting\":{\"id\":%lld,\"version\":%lld,\"starts_at\":%j,\"duration_min\":%d,"
		"\"place\":%j,\"status\":%j,\"minutes\":%j,\"decisions\":%j,\"family\":{\"ref\":%j,"
		"\"name\":%j},", (long long)m->id, (long long)m->version, m->starts_at, m->duration_min,
		m->place, m->status, m->minutes, m->decisions, m->family_ref, m->family_name);
	if (!m->agency_view)
		fmt_printf(&r->out, "\"case\":{\"ref\":%j,\"open\":%s},", m->case_ref,
			   m->case_open ? "true" : "false");
	buf_puts(&r->out, "\"invitees\":[");
	for (size_t i = 0; i < m->ninvitees; i++) {
		const struct taf_invitee *v = &m->invitees[i];
		fmt_printf(&r->out, "%s{\"id\":%lld,\"kind\":%j,\"name\":%j,\"role\":%j,\"attended\":%s,"
			   "\"shared\":%s}", i ? "," : "", (long long)v->id, v->kind, v->name, v->role,
			   v->attended < 0 ? "null" : v->attended ? "true" : "false",
			   v->not_shared ? "false" : "true");
	}
	buf_puts(&r->out, "],\"actions\":[");
	for (size_t i = 0; i < m->nactions; i++) {
		buf_puts(&r->out, i ? "," : "");
		json_action(r, &m->actions[i]);
	}
	buf_puts(&r->out, "]}}\n");
}

int taf_meeting_api(struct req *r)
{
	int64_t id;
	struct taf_meeting m;
	int rc = meeting_from_path(r, &id);
	if (rc || (rc = taf_meeting_load(r->db, &r->arena, req_scope(r), id, &m, &r->err)))
		return rc;
	req_json(r, 200);
	json_meeting(r, &m);
	return HE_OK;
}

static int64_t json_int(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* The meeting's current state after a change. */
static int json_changed(struct req *r, int64_t id, int status)
{
	struct db_stmt *st = db_prepare(r->db, "SELECT status, version FROM taf_meetings WHERE id = :id");
	db_bind_int(st, ":id", id);
	req_json(r, status);
	if (db_next(st))
		fmt_printf(&r->out, "{\"meeting\":{\"id\":%lld,\"status\":%j,\"version\":%lld}}\n",
			   (long long)id, db_text(st, 0), (long long)db_int(st, 1));
	return db_finalize(st);
}

int taf_schedule_api(struct req *r)
{
	int64_t cid, id = 0;
	int rc = case_from_path(r, &cid);
	if (rc)
		return rc;
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	int64_t dur = json_int(j, "duration_min");
	struct meeting_in in = {
		.idem_key = page_nonempty(req_header(r, "Idempotency-Key")), .starts_at = json_str(j, "starts_at"),
		.place = json_str(j, "place"), .duration_min = dur < 0 || dur > 100000 ? -1 : (int)dur,
	};
	rc = taf_schedule(r->db, req_scope(r), cid, &in, &id, &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 201);
}

static json_t *meeting_body(struct req *r, int64_t *id, int *rc)
{
	if ((*rc = meeting_from_path(r, id)))
		return NULL;
	json_t *j = req_json_body(r);
	if (!j)
		*rc = r->err.code ? r->err.code : HE_BAD_JSON;
	return j;
}

int taf_invite_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = meeting_body(r, &id, &rc);
	if (!j)
		return rc;
	rc = taf_invite(r->db, req_scope(r), id, json_int(j, "version"), json_int(j, "professional_id"),
			json_int(j, "member_id"), json_int(j, "worker_id"), &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}

/* {"attended":[ids], "minutes", "decisions", "actions":[{description, need,
 * owner_kind, owner_id, due_on}], "version"} */
int taf_record_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = meeting_body(r, &id, &rc);
	if (!j)
		return rc;
	json_t *att = json_object_get(j, "attended"), *acts = json_object_get(j, "actions");
	size_t n = json_is_array(att) ? json_array_size(att) : 0;
	size_t na = json_is_array(acts) ? json_array_size(acts) : 0;
	if (n > 200 || na > 50) {
		json_decref(j);
		return req_fail(r, HE_INVALID, n > 200 ? "attended" : "actions", "Too many entries");
	}
	int64_t *ids = arena_alloc(&r->arena, (n + 1) * sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = json_is_integer(json_array_get(att, i))
			? (int64_t)json_integer_value(json_array_get(att, i)) : 0;
	struct action_in *in = arena_alloc(&r->arena, (na + 1) * sizeof *in);
	for (size_t i = 0; i < na; i++) {
		json_t *a = json_array_get(acts, i);
		const char *kind = json_str(a, "owner_kind");
		int64_t owner = json_int(a, "owner_id");
		in[i] = (struct action_in){
			.description = json_str(a, "description"), .need = json_str(a, "need"),
			.owner_kind = kind, .due_on = json_str(a, "due_on"),
			.owner_professional_id = kind && strcmp(kind, "agency") == 0 ? owner : 0,
			.owner_member_id = kind && strcmp(kind, "family") == 0 ? owner : 0,
			.owner_worker_id = kind && strcmp(kind, "worker") == 0 ? owner : 0,
		};
	}
	rc = taf_record(r->db, req_scope(r), id, json_int(j, "version"), ids, n,
			json_str(j, "minutes"), json_str(j, "decisions"), in, na, &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}

int taf_cancel_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = meeting_body(r, &id, &rc);
	if (!j)
		return rc;
	rc = taf_cancel(r->db, req_scope(r), id, json_int(j, "version"), json_str(j, "reason"), &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}

int taf_action_api(struct req *r)
{
	int64_t id = param_id(r, 0);
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code ? r->err.code : HE_BAD_JSON;
	int rc = action_update(r, id, json_int(j, "version"), json_str(j, "status"),
			       json_str(j, "progress"), &r->err);
	json_decref(j);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(r->db, "SELECT status, version FROM plan_actions WHERE id = :id");
	db_bind_int(st, ":id", id);
	req_json(r, 200);
	if (db_next(st))
		fmt_printf(&r->out, "{\"action\":{\"id\":%lld,\"status\":%j,\"version\":%lld}}\n",
			   (long long)id, db_text(st, 0), (long long)db_int(st, 1));
	return db_finalize(st);
}
