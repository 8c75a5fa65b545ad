/* case_web.c — the family record and its case, as pages and JSON.
 *
 *   GET  /cases                      the coordinator's list of cases (a
 *                                    worker gets the cases they may see)
 *   GET  /cases/{ref}                the family record: summary, members,
 *                                    other professionals, consent, booked
 *                                    visits, the chronology, and a form for
 *                                    each action in a <details> section
 *   POST /cases/{ref}/contacts       record a held contact or book a visit
 *   POST /cases/{ref}/contacts/{id}/held   a booked visit took place
 *   POST /cases/{ref}/members, /professionals, /review, /step-up,
 *        /step-down, /transfer, /close
 * and the same under /api/v1/cases.
 *
 * Every form works without JavaScript.  A form that fails is shown again
 * on the case page, its section open, the values as typed, and a GOV.UK
 * error summary linking to the field (ids are "<form>-<field>").  Forms
 * that change the case post the version they were rendered with, so a
 * second editor gets a conflict (409) instead of overwriting; create forms
 * carry a one-time key, so a double submission records one contact.
 *
 * Row scope is case.c's: a case outside the caller's scope (or an unknown
 * ref) is 404 and audited "denied".  The school role has no CAP_CASES and
 * is refused by the route table before any handler here runs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/date.h"
#include "base/fmt.h"
#include "core/case.h"
#include "core/consent.h"
#include "core/dataprot.h"
#include "core/family.h"
#include "core/plan.h"
#include "core/referral.h"
#include "core/worker.h"
#include "store/db.h"
#include "web/http.h"
#include "web/case_sections.h"
#include "web/page.h"
#include "web/route.h"

/* The form being shown again after it failed (form NULL: none). */
struct view {
	const char *form;
	const struct errinfo *e;
	const char *done;      /* a success message to show, or NULL */
};

/* The case named by path parameter 0, or HE_NOT_FOUND (audited
 * "denied": an unknown ref looks the same as another worker's case). */
int case_from_path(struct req *r, int64_t *id)
{
	const char *ref = req_param(r, 0);
	if (!req_scope(r))
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = case_id_by_ref(r->db, ref, id);
	if (rc == HE_NOT_FOUND) {
		int arc = req_audit(r, "denied", "cases", NULL,
				    arena_printf(&r->arena, "unknown case %.20s", ref ? ref : ""));
		return arc ? arc : req_fail(r, HE_NOT_FOUND, "", NULL);
	}
	return rc;
}

/* ---- small pieces of markup ---------------------------------------------- */

static const char *status_title(const char *status)
{
	return !status ? "" : strcmp(status, "open") == 0 ? "Open"
		: strcmp(status, "stepped_up") == 0 ? "Stepped up" : strcmp(status, "closed") == 0
		? "Closed" : status;
}

static void status_tag(struct req *r, const char *status)
{
	const char *cls = strcmp(status, "open") == 0 ? "govuk-tag--green"
		: strcmp(status, "stepped_up") == 0 ? "govuk-tag--red" : "govuk-tag--grey";
	fmt_printf(&r->out, "<strong class=\"govuk-tag %s\">%h</strong>", cls, status_title(status));
}

static const char *kind_tag_class(const char *kind)
{
	static const char *const map[][2] = {
		{"contact", "govuk-tag--blue"}, {"planned", "govuk-tag--light-blue"},
		{"attendance", "govuk-tag--grey"}, {"step_up", "govuk-tag--red"},
		{"stepped_up", "govuk-tag--red"}, {"step_down", "govuk-tag--orange"},
		{"closed", "govuk-tag--grey"}, {"allocated", "govuk-tag--green"},
		{"accepted", "govuk-tag--green"}, {"referred", "govuk-tag--purple"},
		{"transferred", "govuk-tag--turquoise"}, {"consent_withdrawn", "govuk-tag--red"},
		{"review_set", "govuk-tag--yellow"}, {"cover", "govuk-tag--pink"},
		{"assessed", "govuk-tag--turquoise"}, {"reviewed", "govuk-tag--yellow"},
		{"meeting_scheduled", "govuk-tag--light-blue"}, {"meeting_held", "govuk-tag--blue"},
		{"meeting_cancelled", "govuk-tag--grey"}, {"action_agreed", "govuk-tag--purple"},
		{"action_updated", "govuk-tag--purple"},
		{NULL, NULL},
	};
	for (int i = 0; map[i][0]; i++)
		if (strcmp(map[i][0], kind) == 0)
			return map[i][1];
	return "govuk-tag--grey";
}

/* The id of a form's field: "contact-seen"; "at" is the date input;
 * fields that are not inputs (version, status, consent) point at the
 * form's section. */
static const char *field_id(struct req *r, const char *form, const char *field)
{
	static const char *const not_inputs[] = {"", "version", "status", "consent", "idem",
						 "commissions", "contact", "referral", NULL};
	for (int i = 0; not_inputs[i]; i++)
		if (strcmp(field, not_inputs[i]) == 0)
			return arena_printf(&r->arena, "%s-form", form);
	char *id = arena_printf(&r->arena, "%s-%s", form, strcmp(field, "at") == 0 ? "date" : field);
	for (char *p = id; *p; p++)
		if (*p == '.' || *p == '_')
			*p = '-';
	return id;
}

/* The value of input name: as posted when this form is shown again, else
 * def. */
static const char *val(struct req *r, const struct view *v, const char *form, const char *name,
		       const char *def)
{
	if (v->form && strcmp(v->form, form) == 0) {
		const char *x = req_form(r, name);
		return x ? x : "";
	}
	return def ? def : "";
}

/* The one-time key of an add form: as posted when the form is shown again
 * (nothing was added with it), but a new one if it was refused (409: used
 * on another case or by someone else). */
static const char *form_idem(struct req *r, const struct view *v, const char *form)
{
	if (v->form && strcmp(v->form, form) == 0 && v->e && v->e->code == HE_CONFLICT)
		return page_idem_new(r);
	return val(r, v, form, "idem", page_idem_new(r));
}

static bool has_error(const struct view *v, const char *id)
{
	return v->e && v->e->code && strcmp(v->e->field, id) == 0;
}

/* Open a form group for input id with its label (or legend for a
 * fieldset), hint and error. */
static void group_open(struct req *r, const struct view *v, const char *id, const char *label,
		       const char *hint)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
		"%h</label>", has_error(v, id) ? " govuk-form-group--error" : "", id, label);
	if (hint)
		fmt_printf(&r->out, "<div id=\"%h-hint\" class=\"govuk-hint\">%h</div>", id, hint);
	page_field_error(r, v->e, id);
}

static const char *described(struct req *r, const struct view *v, const char *id, const char *hint)
{
	if (!hint && !has_error(v, id))
		return "";
	return arena_printf(&r->arena, " aria-describedby=\"%s%s%s%s\"", hint ? id : "",
			    hint ? "-hint" : "", has_error(v, id) ? (hint ? " " : "") : "",
			    has_error(v, id) ? arena_printf(&r->arena, "%s-error", id) : "");
}

static void input(struct req *r, const struct view *v, const char *form, const char *name,
		  const char *label, const char *hint, const char *type, const char *width,
		  const char *def)
{
	const char *id = field_id(r, form, name);
	group_open(r, v, id, label, hint);
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"%h\""
		" value=\"%h\"%s></div>", width, has_error(v, id) ? " govuk-input--error" : "", id, name,
		type, val(r, v, form, name, def), described(r, v, id, hint));
}

static void textarea(struct req *r, const struct view *v, const char *form, const char *name,
		     const char *label, const char *hint, int rows)
{
	const char *id = field_id(r, form, name);
	group_open(r, v, id, label, hint);
	fmt_printf(&r->out, "<textarea class=\"govuk-textarea%s\" id=\"%h\" name=\"%h\" rows=\"%d\"%s>"
		"%h</textarea></div>", has_error(v, id) ? " govuk-textarea--error" : "", id, name, rows,
		described(r, v, id, hint), val(r, v, form, name, ""));
}

/* Radios from a case_choice list (or NULL-terminated code/title pairs). */
static void radios(struct req *r, const struct view *v, const char *form, const char *name,
		   const char *legend, const struct case_choice *list, const char *def)
{
	const char *id = field_id(r, form, name);
	const char *cur = val(r, v, form, name, def);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><fieldset class=\"govuk-fieldset\"%s>"
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">%h</legend>",
		has_error(v, id) ? " govuk-form-group--error" : "", described(r, v, id, NULL), legend);
	page_field_error(r, v->e, id);
	fmt_printf(&r->out, "<div class=\"govuk-radios govuk-radios--small\" data-module=\"govuk-radios\">");
	for (int i = 0; list[i].code; i++) {
		/* the first radio has the group's id: the error summary links to it */
		const char *rid = i ? arena_printf(&r->arena, "%s-%d", id, i) : id;
		fmt_printf(&r->out, "<div class=\"govuk-radios__item\"><input class=\"govuk-radios__input\""
			" id=\"%h\" name=\"%h\" type=\"radio\" value=\"%h\"%s><label class=\"govuk-label"
			" govuk-radios__label\" for=\"%h\">%h</label></div>", rid, name, list[i].code,
			strcmp(cur, list[i].code) == 0 ? " checked" : "", rid, list[i].title);
	}
	fmt_printf(&r->out, "</div></fieldset></div>");
}

static void form_open(struct req *r, const struct case_record *c, const char *form,
		      const char *action, const char *summary, const struct view *v)
{
	bool open = v->form && strcmp(v->form, form) == 0;
	fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"%h-form\"%s><summary"
		" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">%h</span>"
		"</summary><div class=\"govuk-details__text\"><form method=\"post\" action=\"/cases/%u/%s\""
		" novalidate>", form, open ? " open" : "", summary, c->ref, action);
	page_csrf_field(r, r->sess.csrf);
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"version\" value=\"%lld\">",
		   (long long)c->version);
}

static void form_close(struct req *r, const char *button, bool warning)
{
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button%s\" data-module=\"govuk-button\">"
		"%h</button></form></div></details>", warning ? " govuk-button--warning" : "", button);
}

/* ---- the family record page ---------------------------------------------- */

static void summary_row(struct req *r, const char *key, const char *value)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\">%h</dd></div>", key, page_or_dash(value));
}

static void summary_row_open(struct req *r, const char *key)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"%h</dt><dd class=\"govuk-summary-list__value\">", key);
}

static void summary_card(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "<div class=\"govuk-summary-card\"><div class=\"govuk-summary-card__title-wrapper\">"
		"<h2 class=\"govuk-summary-card__title\">%h %h</h2></div><div class=\"govuk-summary-card__content\">"
		"<dl class=\"govuk-summary-list\">", c->family_ref, c->family_name);
	summary_row(r, "Address", c->address && *c->address ? arena_printf(&r->arena, "%s%s%s",
		    c->address, c->postcode ? ", " : "", c->postcode ? c->postcode : "") : c->postcode);
	summary_row(r, "Home language", c->home_language);
	summary_row_open(r, "Lead worker");
	fmt_printf(&r->out, "%h", c->worker_name);
	if (c->covering)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--pink\">You are covering</strong>");
	fmt_printf(&r->out, "</dd></div>");
	summary_row_open(r, "Status");
	status_tag(r, c->status);
	if (c->closure_reason)
		fmt_printf(&r->out, " %h on %h", case_choice_title(case_closure_reasons, c->closure_reason),
			   page_when(r, c->closed_on));
	fmt_printf(&r->out, "</dd></div>");
	summary_row(r, "Opened", page_when(r, c->opened_on));
	summary_row_open(r, "Next review");
	fmt_printf(&r->out, "%h", c->next_review_on ? page_when(r, c->next_review_on) : "—");
	if (c->review_overdue_days > 0)
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red\">Overdue by %d day%s</strong>",
			   c->review_overdue_days, c->review_overdue_days == 1 ? "" : "s");
	fmt_printf(&r->out, "</dd></div>");
	summary_row_open(r, "Consent");
	if (c->consent_active)
		fmt_printf(&r->out, "<strong class=\"govuk-tag govuk-tag--green\">In place</strong>");
	else
		fmt_printf(&r->out, "<strong class=\"govuk-tag govuk-tag--red\">Withdrawn</strong>");
	fmt_printf(&r->out, "</dd></div>");
	summary_row(r, "Referral", arena_printf(&r->arena, "%s%s%s", c->referral_ref,
		    c->school_name ? " from " : "", c->school_name ? c->school_name : ""));
	if (c->over_capacity)
		summary_row(r, "Allocation", "Beyond the worker's capacity, by recorded override");
	fmt_printf(&r->out, "</dl></div></div>");
}

static void members_table(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"members\">Family members</h2>");
	if (!c->nmembers) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No members recorded.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Members of the family and their relationships</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th(r, "Name");
	page_th(r, "Relationship");
	page_th(r, "Date of birth");
	page_th(r, "School");
	page_th(r, "Year group");
	page_th(r, "Attendance (latest census)");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < c->nmembers; i++) {
		const struct case_member *m = &c->members[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, m->name);
		page_td(r, m->relationship);
		page_td(r, m->dob ? page_when(r, m->dob) : NULL);
		page_td(r, m->school_name);
		page_td(r, m->year_group);
		page_td(r, m->attendance_pct < 0 ? NULL : arena_printf(&r->arena, "%d%% (%s)",
			m->attendance_pct, page_when(r, m->attendance_census)));
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void professionals_table(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"professionals\">Other professionals</h2>");
	if (!c->nprofessionals) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No other professionals recorded.</p>");
		return;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Other professionals involved with the family</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th(r, "Name");
	page_th(r, "Agency or service");
	page_th(r, "Role");
	page_th(r, "Contact");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < c->nprofessionals; i++) {
		const struct case_professional *p = &c->professionals[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">");
		page_td(r, p->name);
		page_td(r, p->agency);
		page_td(r, p->role);
		page_td(r, p->contact);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

/* "pool,school" as "Family support service, Referring school" (the codes
 * themselves where consent.h has no title). */
static const char *scope_titles(struct req *r, const char *scope)
{
	struct buf b;
	buf_init(&b, 1024);
	for (const char *p = scope ? scope : ""; *p;) {
		size_t n = strcspn(p, ",");
		char *code = arena_strndup(&r->arena, p, n);
		const char *t = consent_scope_title(code);
		buf_printf(&b, "%s%s", b.len ? ", " : "", t && *t ? t : code);
		p += n + (p[n] == ',');
	}
	char *out = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return out;
}

static void consents_list(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"consent\">Consent and lawful basis</h2>"
		"<ul class=\"govuk-list govuk-list--bullet\">");
	for (size_t i = 0; i < c->nconsents; i++) {
		const struct case_consent *k = &c->consents[i];
		bool consent = k->basis && strcmp(k->basis, "consent") == 0;
		fmt_printf(&r->out, "<li>%h", consent_basis_title(k->basis));
		if (consent)
			fmt_printf(&r->out, " by %h%s%h%s, for: %h", k->given_by, k->relationship ? " (" : "",
				   k->relationship, k->relationship ? ")" : "", scope_titles(r, k->scope));
		else if (k->scope && *k->scope && !strchr(k->scope, ','))   /* a basis for one scope */
			fmt_printf(&r->out, ", for: %h", scope_titles(r, k->scope));
		fmt_printf(&r->out, ", %h", page_when(r, k->given_on));
		if (k->withdrawn_on)
			fmt_printf(&r->out, " — <strong>withdrawn %h</strong>: %h", page_when(r, k->withdrawn_on),
				   k->withdrawn_reason);
		fmt_printf(&r->out, "</li>");
	}
	if (!c->nconsents)
		fmt_printf(&r->out, "<li>None recorded</li>");
	fmt_printf(&r->out, "</ul>");
}

static void contact_fields(struct req *r, const struct view *v, const char *form, bool planned)
{
	char today[11];
	date_format(date_today(), today);
	radios(r, v, form, "kind", planned ? "Kind of visit" : "Kind of contact", contact_kinds,
	       "home_visit");
	input(r, v, form, "date", "Date", "For example, 2026-03-14", "date", "govuk-input--width-10",
	      planned ? "" : today);
	input(r, v, form, "time", "Time", "For example, 14:30", "time", "govuk-input--width-5", "");
	input(r, v, form, "duration_min", planned ? "Expected length in minutes" : "Length in minutes",
	      planned ? "Leave blank for an hour" : "How long the contact took, 1 to 480 minutes",
	      "number", "govuk-input--width-3", "");
	if (!planned)
		input(r, v, form, "seen", "Who was seen", "For example, Mum and Aisha", "text", "", "");
	input(r, v, form, "place", "Place", "For example, at home", "text", "", "");
	if (!planned)
		textarea(r, v, form, "notes", "Notes", "What happened, what was agreed", 5);
}

static void planned_table(struct req *r, const struct case_record *c, const struct view *v)
{
	if (!c->nplanned)
		return;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"planned\">Booked visits</h2>");
	for (size_t i = 0; i < c->nplanned; i++) {
		const struct chron_item *p = &c->planned[i];
		const char *form = arena_printf(&r->arena, "held-%lld", (long long)p->contact_id);
		fmt_printf(&r->out, "<p class=\"govuk-body\"><strong class=\"govuk-tag %s\">%h</strong> %h — %h</p>",
			   kind_tag_class(p->kind), p->title, page_when(r, p->when), p->summary);
		if (strcmp(c->status, "open") != 0 || !c->consent_active)
			continue;
		bool open = v->form && strcmp(v->form, form) == 0;
		fmt_printf(&r->out, "<details class=\"govuk-details\" id=\"%h-form\"%s><summary"
			" class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">"
			"Record this visit as held</span></summary><div class=\"govuk-details__text\">"
			"<form method=\"post\" action=\"/cases/%u/contacts/%lld/held\" novalidate>", form,
			open ? " open" : "", c->ref, (long long)p->contact_id);
		page_csrf_field(r, r->sess.csrf);
		input(r, v, form, "date", "Date it took place", NULL, "date", "govuk-input--width-10",
		      arena_printf(&r->arena, "%.10s", p->when));
		input(r, v, form, "time", "Time", NULL, "time", "govuk-input--width-5",
		      strlen(p->when) >= 16 ? p->when + 11 : "");
		input(r, v, form, "duration_min", "Length in minutes", NULL, "number",
		      "govuk-input--width-3", arena_printf(&r->arena, "%d", p->duration_min));
		input(r, v, form, "seen", "Who was seen", NULL, "text", "", "");
		textarea(r, v, form, "notes", "Notes", NULL, 4);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
			"Record as held</button></form></div></details>");
	}
}

/* The chronology is shown a page at a time, newest first: a case worked
 * for years has thousands of entries, and a page (or JSON answer) holding
 * them all grows without bound.  ?chronology=N picks the page (1 is the
 * newest; out of range goes to the nearest). */
#define CHRON_PER_PAGE 50

struct chron_page {
	size_t from, to;       /* the entries shown: [from, to) of c->chron */
	int page, pages;
};

static struct chron_page chron_page(struct req *r, const struct case_record *c)
{
	struct chron_page p = {.page = 1};
	p.pages = (int)((c->nchron + CHRON_PER_PAGE - 1) / CHRON_PER_PAGE);
	if (p.pages < 1)
		p.pages = 1;
	int64_t want = page_to_int(req_query(r, "chronology"));
	if (want > p.pages)
		want = p.pages;
	if (want > 1)
		p.page = (int)want;
	p.from = (size_t)(p.page - 1) * CHRON_PER_PAGE;
	p.to = p.from + CHRON_PER_PAGE < c->nchron ? p.from + CHRON_PER_PAGE : c->nchron;
	return p;
}

static void chron_pagination(struct req *r, const struct case_record *c, const struct chron_page *p)
{
	if (p->pages <= 1)
		return;
	fmt_printf(&r->out, "<p class=\"govuk-body\" id=\"chronology-shown\">Entries %zu to %zu of %zu,"
		" newest first.</p>", p->from + 1, p->to, c->nchron);
	fmt_printf(&r->out, "<nav class=\"govuk-pagination\" aria-label=\"Pages of the chronology\">");
	if (p->page > 1)
		fmt_printf(&r->out, "<div class=\"govuk-pagination__prev\"><a class=\"govuk-link"
			" govuk-pagination__link\" href=\"/cases/%u?chronology=%d#chronology\" rel=\"prev\"><span"
			" class=\"govuk-pagination__link-title\">Newer entries</span></a></div>", c->ref,
			p->page - 1);
	if (p->page < p->pages)
		fmt_printf(&r->out, "<div class=\"govuk-pagination__next\"><a class=\"govuk-link"
			" govuk-pagination__link\" href=\"/cases/%u?chronology=%d#chronology\" rel=\"next\"><span"
			" class=\"govuk-pagination__link-title\">Older entries</span></a></div>", c->ref,
			p->page + 1);
	fmt_printf(&r->out, "</nav>");
}

static void chronology_table(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"chronology\">Chronology</h2>");
	if (!c->nchron) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">Nothing recorded yet.</p>");
		return;
	}
	struct chron_page pg = chron_page(r, c);
	chron_pagination(r, c, &pg);
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"chronology-table\"><caption"
		" class=\"govuk-table__caption govuk-visually-hidden\">Chronology, newest first</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	page_th(r, "Date");
	page_th(r, "Kind");
	page_th(r, "What happened");
	page_th(r, "Recorded by");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = pg.from; i < pg.to; i++) {
		const struct chron_item *it = &c->chron[i];
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">%h</td>"
			"<td class=\"govuk-table__cell\"><strong class=\"govuk-tag %s\">%h</strong></td>"
			"<td class=\"govuk-table__cell\">%h", page_when(r, it->when), kind_tag_class(it->kind),
			it->title, it->summary);
		if (it->detail && *it->detail)
			fmt_printf(&r->out, "<p class=\"govuk-body-s\">%h</p>", it->detail);
		fmt_printf(&r->out, "</td>");
		page_td(r, it->who);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
	chron_pagination(r, c, &pg);
}

static void workers_select(struct req *r, const struct view *v, const struct case_record *c)
{
	const char *id = field_id(r, "transfer", "to_worker");
	const char *cur = val(r, v, "transfer", "to_worker", "");
	group_open(r, v, id, "Transfer to", "Places used of the worker's capacity, in standard cases");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"%h\" name=\"to_worker\"%s>"
		"<option value=\"\">Choose a worker</option>", id, described(r, v, id, "x"));
	struct db_stmt *st = db_prepare(r->db, "SELECT id, name FROM workers WHERE active = 1"
		" AND id <> :current ORDER BY name");
	db_bind_int(st, ":current", c->worker_id);
	while (db_next(st)) {
		struct worker_load l = {0};
		int64_t wid = db_int(st, 0);
		const char *name = arena_strdup(&r->arena, db_text(st, 1));
		const char *ids = arena_printf(&r->arena, "%lld", (long long)wid);
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h", ids, strcmp(cur, ids) == 0 ? " selected" : "",
			   name);
		if (worker_load(r->db, wid, &l) == HE_OK && l.capacity > 0)
			fmt_printf(&r->out, " (%d of %d)", (l.weighted + 1) / 2, l.capacity / 2);
		fmt_printf(&r->out, "</option>");
	}
	db_finalize(st);
	fmt_printf(&r->out, "</select></div>");
}

static void step_down_consent(struct req *r, const struct view *v)
{
	static const struct case_choice bases[] = {
		{"consent", "Consent given by the family"},
		{"safeguarding", "Safeguarding (consent not sought)"},
		{"public_task", "Public task (a statutory duty)"},
		{"legal_obligation", "Legal obligation"},
		{"vital_interests", "Vital interests"},
		{NULL, NULL},
	};
	radios(r, v, "stepdown", "consent.basis", "Consent or lawful basis for the new referral",
	       bases, "consent");
	input(r, v, "stepdown", "consent.given_by", "Who gave consent", NULL, "text", "", "");
	input(r, v, "stepdown", "consent.relationship", "Their relationship to the children", NULL,
	      "text", "govuk-input--width-20", "");
	input(r, v, "stepdown", "consent.scope", "What they agreed to share with",
	      "Codes separated by commas: pool, school, health, social_care, agencies, commissioned",
	      "text", "", "pool,school");
	input(r, v, "stepdown", "consent.given_on", "Date given", NULL, "date",
	      "govuk-input--width-10", "");
	textarea(r, v, "stepdown", "consent.lawful_basis_note",
		 "Why consent was not sought (lawful basis only)", NULL, 3);
}

static void action_forms(struct req *r, const struct case_record *c, const struct view *v)
{
	bool open = strcmp(c->status, "open") == 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"actions\">Record and change</h2>");
	if (open && c->consent_active) {
		form_open(r, c, "contact", "contacts", "Record a contact", v);
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
			   val(r, v, "contact", "idem", page_idem_new(r)));
		contact_fields(r, v, "contact", false);
		form_close(r, "Record contact", false);
		form_open(r, c, "book", "contacts", "Book a visit", v);
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"planned\" value=\"1\">"
			"<input type=\"hidden\" name=\"idem\" value=\"%h\">", val(r, v, "book", "idem", page_idem_new(r)));
		contact_fields(r, v, "book", true);
		form_close(r, "Book visit", false);
	}
	if (open) {
		form_open(r, c, "member", "members", "Add a family member", v);
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
			   form_idem(r, v, "member"));
		input(r, v, "member", "name", "Full name", NULL, "text", "", "");
		input(r, v, "member", "relationship", "Relationship",
		      "For example: mother, father, step-parent, grandparent, carer, sibling, child, other",
		      "text", "govuk-input--width-20", "");
		input(r, v, "member", "dob", "Date of birth (optional)", NULL, "date", "govuk-input--width-10", "");
		input(r, v, "member", "phone", "Phone (optional)", NULL, "tel", "govuk-input--width-20", "");
		form_close(r, "Add member", false);
		form_open(r, c, "professional", "professionals", "Add another professional", v);
		fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
			   form_idem(r, v, "professional"));
		input(r, v, "professional", "name", "Name", NULL, "text", "", "");
		input(r, v, "professional", "agency", "Agency or service", "For example: School nursing, Housing, CAMHS",
		      "text", "", "");
		input(r, v, "professional", "role", "Role (optional)", NULL, "text", "", "");
		input(r, v, "professional", "contact", "Contact details (optional)", NULL, "text", "", "");
		form_close(r, "Add professional", false);
		form_open(r, c, "review", "review", "Set the next review date", v);
		input(r, v, "review", "next_review_on", "Next review", NULL, "date", "govuk-input--width-10",
		      c->next_review_on);
		form_close(r, "Set review date", false);
	}
	if (open && c->consent_active) {
		form_open(r, c, "transfer", "transfer", "Transfer to another worker", v);
		workers_select(r, v, c);
		textarea(r, v, "transfer", "handover_note", "Handover note",
			 "What the new worker needs to know: the family, what works, what is planned", 5);
		form_close(r, "Transfer case", false);
	}
	if (open) {
		form_open(r, c, "stepup", "step-up", "Step up to children's social care", v);
		input(r, v, "stepup", "on", "Date of the step up", NULL, "date", "govuk-input--width-10", "");
		textarea(r, v, "stepup", "reason", "Reason", "What happened and who in children's social care was told", 5);
		bool shared = false;   /* without social_care consent, the basis is recorded */
		if (consent_basis_active(r->db, c->family_id, "social_care", &shared) == HE_OK && !shared)
			textarea(r, v, "stepup", "lawful_basis_note", "Lawful basis for sharing without"
				 " consent", "The family has not agreed to share their information with"
				 " children's social care. Stepping up is never blocked, but say why sharing"
				 " without consent is justified (for example, risk of significant harm) and"
				 " who decided. It is recorded as a safeguarding basis.", 4);
		form_close(r, "Step up", true);
	}
	if (strcmp(c->status, "stepped_up") == 0) {
		form_open(r, c, "stepdown", "step-down", "Step down from children's social care", v);
		fmt_printf(&r->out, "<p class=\"govuk-body\">This closes the case and sends a new referral for the"
			" family to screening.</p>");
		input(r, v, "stepdown", "on", "Date of the step down", NULL, "date", "govuk-input--width-10", "");
		textarea(r, v, "stepdown", "reason", "Reason", "What social care decided and what early help should do", 4);
		step_down_consent(r, v);
		form_close(r, "Step down", false);
	}
	if (strcmp(c->status, "closed") != 0) {
		form_open(r, c, "close", "close", "Close the case", v);
		radios(r, v, "close", "reason", "Reason for closing", case_closure_reasons, "");
		textarea(r, v, "close", "note", "Closing note", "Required if the reason is Other", 3);
		textarea(r, v, "close", "family_view", "The family's own view",
			 "In their words; or say that they chose not to give one", 4);
		input(r, v, "close", "on", "Date closed", NULL, "date", "govuk-input--width-10", "");
		form_close(r, "Close case", true);
	}
}

static const char *done_message(const char *done)
{
	static const char *const msgs[][2] = {
		{"contact", "Contact recorded"}, {"book", "Visit booked"}, {"held", "Visit recorded as held"},
		{"member", "Family member added"}, {"professional", "Professional added"},
		{"review", "Next review date set"}, {"stepup", "Case stepped up to children's social care"},
		{"stepdown", "Stepped down: a new referral for the family is waiting for screening"},
		{"transfer", "Case transferred"}, {"close", "Case closed"}, {NULL, NULL},
	};
	for (int i = 0; done && msgs[i][0]; i++)
		if (strcmp(done, msgs[i][0]) == 0)
			return msgs[i][1];
	return NULL;
}

/* A safeguarding hold on the family (dataprot.c): say so, who placed it,
 * when and why, with the way to /retention for those who may release it. */
static void hold_banner(struct req *r, const struct case_record *c)
{
	struct hold h;
	bool held = false;
	if (hold_of_family(r->db, &r->arena, c->family_id, &h, &held) || !held)
		return;
	fmt_printf(&r->out, "<div class=\"govuk-notification-banner\" role=\"region\""
		" aria-labelledby=\"hold-title\" data-module=\"govuk-notification-banner\" id=\"hold\">"
		"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
		" id=\"hold-title\">Safeguarding hold</h2></div><div class=\"govuk-notification-banner__content\">"
		"<p class=\"govuk-notification-banner__heading\">This family's records are held: they will"
		" not be anonymised at the end of the retention period while the hold is in force.</p>"
		"<p class=\"govuk-body\" id=\"hold-by\">Placed by %h on %h.</p><p class=\"govuk-body\""
		" id=\"hold-reason\">Reason: %h</p>", h.placed_by,
		page_when(r, arena_printf(&r->arena, "%.16s", h.placed_at)), h.reason);
	if (caps_has(r->caps, CAP_HOLDS))
		fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-notification-banner__link\""
			" href=\"/retention#holds\">Review or release the hold on the Retention page</a></p>");
	fmt_printf(&r->out, "</div></div>");
}

static void banners(struct req *r, const struct case_record *c, const struct view *v)
{
	const char *msg = done_message(v->done);
	if (msg)
		fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
			" role=\"alert\" aria-labelledby=\"done-title\" data-module=\"govuk-notification-banner\">"
			"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
			" id=\"done-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
			"<p class=\"govuk-notification-banner__heading\">%h</p></div></div>", msg);
	hold_banner(r, c);
	if (!c->consent_active)
		fmt_printf(&r->out, "<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\""
			" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span"
			" class=\"govuk-visually-hidden\">Warning</span>Consent has been withdrawn. You cannot"
			" record contacts or transfer the case. Record a new consent or lawful basis, step the"
			" case up, or close it.</strong></div>");
}

static void case_render(struct req *r, const struct case_record *c, const struct view *v, int status)
{
	page_begin(r, status, arena_printf(&r->arena, "%s – %s", c->family_name, c->ref));
	if (v->e && v->e->code)
		page_error_summary(r, v->e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">Case %h</span><h1 class=\"govuk-heading-l\">"
		"%h</h1>", c->ref, c->family_name);
	banners(r, c, v);
	summary_card(r, c);
	family_case_section(r, c);
	/* The work of issue 6, each section from its own file (case_sections.h). */
	assess_case_section(r, c);
	plan_case_section(r, c);
	taf_case_section(r, c);
	commission_case_section(r, c);
	cost_case_section(r, c);
	members_table(r, c);
	professionals_table(r, c);
	consents_list(r, c);
	planned_table(r, c, v);
	chronology_table(r, c);
	action_forms(r, c, v);
	page_end(r);
}

/* Load (an audited view) and render the case page with v. */
static int case_show(struct req *r, int64_t id, const struct view *v, int status)
{
	const struct scope *s = req_scope(r);
	struct case_record c;
	struct errinfo e = {0};
	if (!s)
		return r->err.code ? r->err.code : HE_INTERNAL;
	int rc = case_record_load(r->db, &r->arena, s, id, &c, &e);
	if (rc) {
		r->err = e;
		return rc;
	}
	case_render(r, &c, v, status);
	return HE_OK;
}

int case_page(struct req *r)
{
	int64_t id;
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	struct view v = {.done = req_query(r, "done")};
	return case_show(r, id, &v, 200);
}

/* ---- the form handlers ---------------------------------------------------- */

/* After a change: to the case page with its message, or show the form
 * again with the error.  Not found and storage errors go to the
 * dispatcher. */
static int after(struct req *r, int64_t id, const char *form, const char *done, int rc,
		 struct errinfo *e)
{
	if (rc == HE_OK) {
		char ref[16];
		case_ref(id, ref);
		return req_redirect(r, arena_printf(&r->arena, "/cases/%s?done=%s", ref, done));
	}
	if (rc == HE_NOT_FOUND || rc == HE_INTERNAL || rc >= HE_DB) {
		r->err = *e;
		return rc;
	}
	struct errinfo shown = *e;
	snprintf(shown.field, sizeof shown.field, "%s", field_id(r, form, e->field));
	struct view v = {.form = form, .e = &shown};
	return case_show(r, id, &v, err_http_status(rc));
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

/* "date" + "time" as "YYYY-MM-DDTHH:MM" (the core checks it). */
static const char *form_at(struct req *r)
{
	const char *d = page_nonempty(req_form(r, "date")), *t = page_nonempty(req_form(r, "time"));
	if (!d && !t)
		return NULL;
	return arena_printf(&r->arena, "%sT%s", d ? d : "", t ? t : "");
}

int case_contact_page(struct req *r)
{
	int64_t id, cid = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	bool planned = form_int(r, "planned") == 1;
	int64_t dur = form_int(r, "duration_min");
	struct contact_in in = {
		.idem_key = page_nonempty(req_form(r, "idem")), .at = form_at(r), .kind = req_form(r, "kind"),
		.seen = req_form(r, "seen"), .place = req_form(r, "place"), .notes = req_form(r, "notes"),
		.duration_min = dur < 0 || dur > 100000 ? -1 : (int)dur, .planned = planned,
	};
	rc = contact_add(r->db, req_scope(r), id, 0, &in, &cid, &e);
	return after(r, id, planned ? "book" : "contact", planned ? "book" : "contact", rc, &e);
}

int case_held_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	int64_t cid = strtoll(req_param(r, 1), NULL, 10);
	int64_t dur = form_int(r, "duration_min");
	struct contact_in in = {
		.at = form_at(r), .seen = req_form(r, "seen"), .place = req_form(r, "place"),
		.notes = req_form(r, "notes"), .duration_min = dur < 0 || dur > 100000 ? -1 : (int)dur,
	};
	rc = contact_mark_held(r->db, req_scope(r), id, cid, &in, &e);
	return after(r, id, arena_printf(&r->arena, "held-%lld", (long long)cid), "held", rc, &e);
}

int case_member_page(struct req *r)
{
	int64_t id, mid = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	const char *rel = req_form(r, "relationship");
	struct family_member_in m = {
		.name = req_form(r, "name"), .relationship = rel, .dob = page_nonempty(req_form(r, "dob")),
		.phone = page_nonempty(req_form(r, "phone")),
		.is_child = rel && (strcmp(rel, "child") == 0 || strcmp(rel, "sibling") == 0),
		.idem_key = page_nonempty(req_form(r, "idem")),
	};
	rc = case_member_add(r->db, req_scope(r), id, &m, &mid, &e);
	return after(r, id, "member", "member", rc, &e);
}

int case_professional_page(struct req *r)
{
	int64_t id, pid = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	struct professional_in p = {
		.name = req_form(r, "name"), .agency = req_form(r, "agency"),
		.role = req_form(r, "role"), .contact = req_form(r, "contact"),
		.idem_key = page_nonempty(req_form(r, "idem")),
	};
	rc = case_professional_add(r->db, req_scope(r), id, &p, &pid, &e);
	return after(r, id, "professional", "professional", rc, &e);
}

int case_review_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	rc = case_set_review(r->db, req_scope(r), id, form_int(r, "version"),
			     req_form(r, "next_review_on"), &e);
	return after(r, id, "review", "review", rc, &e);
}

int case_step_up_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	rc = case_step_up(r->db, req_scope(r), id, form_int(r, "version"),
			  page_nonempty(req_form(r, "on")), req_form(r, "reason"),
			  req_form(r, "lawful_basis_note"), &e);
	return after(r, id, "stepup", "stepup", rc, &e);
}

int case_step_down_page(struct req *r)
{
	int64_t id, rid = 0;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	struct consent_in k = {
		.basis = req_form(r, "consent.basis"), .given_by = page_nonempty(req_form(r, "consent.given_by")),
		.relationship = page_nonempty(req_form(r, "consent.relationship")),
		.scope = page_nonempty(req_form(r, "consent.scope")),
		.given_on = page_nonempty(req_form(r, "consent.given_on")),
		.lawful_basis_note = page_nonempty(req_form(r, "consent.lawful_basis_note")),
	};
	rc = case_step_down(r->db, req_scope(r), id, form_int(r, "version"),
			    page_nonempty(req_form(r, "on")), req_form(r, "reason"), &k, &rid, &e);
	return after(r, id, "stepdown", "stepdown", rc, &e);
}

int case_transfer_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	bool still = false;
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	rc = case_transfer(r->db, req_scope(r), id, form_int(r, "version"), form_int(r, "to_worker"),
			   NULL, req_form(r, "handover_note"), &e);
	if (rc == HE_OK && case_visible(r->db, req_scope(r), id, &still) == HE_OK && !still)
		return req_redirect(r, "/caseload");   /* a worker who handed it on */
	return after(r, id, "transfer", "transfer", rc, &e);
}

int case_close_page(struct req *r)
{
	int64_t id;
	struct errinfo e = {0};
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	rc = case_close(r->db, req_scope(r), id, form_int(r, "version"), page_nonempty(req_form(r, "on")),
			req_form(r, "reason"), req_form(r, "note"), req_form(r, "family_view"), &e);
	return after(r, id, "close", "close", rc, &e);
}

/* ---- the list page ---------------------------------------------------------- */

static const struct case_choice status_filters[] = {
	{"open", "Open"}, {"stepped_up", "Stepped up"}, {"closed", "Closed"}, {"all", "All"},
	{NULL, NULL},
};

static void list_filters(struct req *r, int64_t worker, const char *status)
{
	fmt_printf(&r->out, "<form method=\"get\" action=\"/cases\" class=\"hearth-filters\">"
		"<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"worker\">Worker</label>"
		"<select class=\"govuk-select\" id=\"worker\" name=\"worker\"><option value=\"\">All workers</option>");
	struct db_stmt *st = db_prepare(r->db, "SELECT id, name FROM workers ORDER BY name");
	while (db_next(st))
		fmt_printf(&r->out, "<option value=\"%lld\"%s>%h</option>", (long long)db_int(st, 0),
			   db_int(st, 0) == worker ? " selected" : "", db_text(st, 1));
	db_finalize(st);
	fmt_printf(&r->out, "</select></div><div class=\"govuk-form-group\"><label class=\"govuk-label\""
		" for=\"status\">Status</label><select class=\"govuk-select\" id=\"status\" name=\"status\">");
	for (int i = 0; status_filters[i].code; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", status_filters[i].code,
			   strcmp(status, status_filters[i].code) == 0 ? " selected" : "",
			   status_filters[i].title);
	fmt_printf(&r->out, "</select></div><button type=\"submit\" class=\"govuk-button"
		" govuk-button--secondary\" data-module=\"govuk-button\">Filter</button></form>");
}

static void review_cell(struct req *r, const char *next, const char *status)
{
	hday d;
	fmt_printf(&r->out, "<td class=\"govuk-table__cell\">%h", next ? page_when(r, next) : "—");
	if (next && strcmp(status, "open") == 0 && date_parse(next, &d) && d < date_today())
		fmt_printf(&r->out, " <strong class=\"govuk-tag govuk-tag--red\">Overdue by %d day%s</strong>",
			   (int)(date_today() - d), date_today() - d == 1 ? "" : "s");
	fmt_printf(&r->out, "</td>");
}

static void list_table(struct req *r, const struct case_summary *l, size_t n)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--m\">%zu case%s</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\">", n, n == 1 ? "" : "s");
	page_th(r, "Case");
	page_th(r, "Family");
	page_th(r, "Worker");
	page_th(r, "Status");
	page_th(r, "Opened");
	page_th(r, "Next review");
	page_th(r, "Overdue actions");
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"/cases/%u\">%h</a></td>", l[i].ref, l[i].ref);
		page_td(r, arena_printf(&r->arena, "%s %s", l[i].family_ref, l[i].family_name));
		page_td(r, l[i].worker_name);
		fmt_printf(&r->out, "<td class=\"govuk-table__cell\">");
		status_tag(r, l[i].status);
		fmt_printf(&r->out, "</td>");
		page_td(r, page_when(r, l[i].opened_on));
		review_cell(r, l[i].next_review_on, l[i].status);
		int overdue = 0;
		plan_overdue_count(r->db, l[i].id, &overdue);
		if (overdue && strcmp(l[i].status, "open") == 0)
			fmt_printf(&r->out, "<td class=\"govuk-table__cell\"><strong class=\"govuk-tag govuk-tag--red\">"
				   "%d overdue</strong></td>", overdue);
		else
			page_td(r, "None");
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static int list_query(struct req *r, int64_t *worker, const char **status)
{
	const char *w = page_nonempty(req_query(r, "worker"));
	*status = page_nonempty(req_query(r, "status")) ? req_query(r, "status") : "open";
	*worker = 0;
	if (w) {
		char *end;
		*worker = strtoll(w, &end, 10);
		if (*end || *worker < 0)
			return req_fail(r, HE_INVALID, "worker", "Choose a worker from the list");
	}
	return HE_OK;
}

int cases_page(struct req *r)
{
	int64_t worker;
	const char *status;
	struct case_summary *l;
	size_t n;
	int rc = list_query(r, &worker, &status);
	if (!rc && !req_scope(r))
		rc = r->err.code ? r->err.code : HE_INTERNAL;
	if (!rc)
		rc = case_list(r->db, &r->arena, req_scope(r), worker, status, &l, &n, &r->err);
	if (rc)
		return rc;
	page_begin(r, 200, "Cases");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Cases</h1>");
	list_filters(r, worker, status);
	list_table(r, l, n);
	page_end(r);
	return HE_OK;
}

/* ---- JSON ----------------------------------------------------------------- */

int cases_api(struct req *r)
{
	int64_t worker;
	const char *status;
	struct case_summary *l;
	size_t n;
	int rc = list_query(r, &worker, &status);
	if (!rc && !req_scope(r))
		rc = r->err.code ? r->err.code : HE_INTERNAL;
	if (!rc)
		rc = case_list(r->db, &r->arena, req_scope(r), worker, status, &l, &n, &r->err);
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"cases\":[");
	for (size_t i = 0; i < n; i++) {
		int overdue = 0;
		plan_overdue_count(r->db, l[i].id, &overdue);
		fmt_printf(&r->out, "%s{\"ref\":%j,\"family\":{\"ref\":%j,\"name\":%j},\"worker\":{\"id\":%lld,"
			"\"name\":%j},\"status\":%j,\"opened_on\":%j,\"next_review_on\":%j,\"intensity\":%d,"
			"\"overdue_actions\":%d}", i ? "," : "", l[i].ref, l[i].family_ref, l[i].family_name,
			(long long)l[i].worker_id, l[i].worker_name, l[i].status, l[i].opened_on,
			l[i].next_review_on, l[i].intensity, overdue);
	}
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

static void json_items(struct req *r, const char *name, const struct chron_item *v, size_t n)
{
	fmt_printf(&r->out, ",%j:[", name);
	for (size_t i = 0; i < n; i++) {
		fmt_printf(&r->out, "%s{\"when\":%j,\"kind\":%j,\"title\":%j,\"summary\":%j,\"detail\":%j,"
			"\"by\":%j", i ? "," : "", v[i].when, v[i].kind, v[i].title, v[i].summary,
			v[i].detail, v[i].who);
		if (v[i].contact_id)
			fmt_printf(&r->out, ",\"contact_id\":%lld,\"duration_min\":%d",
				   (long long)v[i].contact_id, v[i].duration_min);
		buf_putc(&r->out, '}');
	}
	buf_putc(&r->out, ']');
}

static void json_case(struct req *r, const struct case_record *c)
{
	fmt_printf(&r->out, "{\"case\":{\"ref\":%j,\"status\":%j,\"version\":%lld,\"opened_on\":%j,"
		"\"next_review_on\":%j,\"review_overdue_days\":%d,\"closed_on\":%j,\"closure_reason\":%j,"
		"\"closure_note\":%j,\"family_view\":%j,\"intensity\":%d,\"over_capacity\":%s,"
		"\"covering\":%s,\"worker\":{\"id\":%lld,\"name\":%j},\"referral\":{\"ref\":%j,"
		"\"school\":%j}},", c->ref, c->status, (long long)c->version, c->opened_on,
		c->next_review_on, c->review_overdue_days, c->closed_on, c->closure_reason,
		c->closure_note, c->family_view, c->intensity, c->over_capacity ? "true" : "false",
		c->covering ? "true" : "false", (long long)c->worker_id, c->worker_name,
		c->referral_ref, c->school_name);
	fmt_printf(&r->out, "\"family\":{\"ref\":%j,\"name\":%j,\"address\":%j,\"postcode\":%j,"
		"\"home_language\":%j,\"consent_active\":%s},\"members\":[", c->family_ref, c->family_name,
		c->address, c->postcode, c->home_language, c->consent_active ? "true" : "false");
	for (size_t i = 0; i < c->nmembers; i++) {
		const struct case_member *m = &c->members[i];
		fmt_printf(&r->out, "%s{\"name\":%j,\"relationship\":%j,\"dob\":%j,\"child\":%s,"
			"\"school\":%j,\"year_group\":%j,\"attendance_pct\":", i ? "," : "", m->name,
			m->relationship, m->dob, m->is_child ? "true" : "false", m->school_name, m->year_group);
		if (m->attendance_pct < 0)
			buf_puts(&r->out, "null}");
		else
			fmt_printf(&r->out, "%d}", m->attendance_pct);
	}
	buf_puts(&r->out, "],\"professionals\":[");
	for (size_t i = 0; i < c->nprofessionals; i++)
		fmt_printf(&r->out, "%s{\"name\":%j,\"agency\":%j,\"role\":%j,\"contact\":%j}", i ? "," : "",
			   c->professionals[i].name, c->professionals[i].agency, c->professionals[i].role,
			   c->professionals[i].contact);
	buf_puts(&r->out, "],\"consents\":[");
	for (size_t i = 0; i < c->nconsents; i++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"basis\":%j,\"given_by\":%j,\"scope\":%j,\"given_on\":%j,"
			"\"withdrawn_on\":%j}", i ? "," : "", (long long)c->consents[i].id, c->consents[i].basis,
			c->consents[i].given_by, c->consents[i].scope, c->consents[i].given_on,
			c->consents[i].withdrawn_on);
	buf_putc(&r->out, ']');
	struct chron_page pg = chron_page(r, c);
	json_items(r, "chronology", c->chron + pg.from, pg.to - pg.from);
	fmt_printf(&r->out, ",\"chronology_paging\":{\"page\":%d,\"pages\":%d,\"per_page\":%d,"
		"\"total\":%zu}", pg.page, pg.pages, CHRON_PER_PAGE, c->nchron);
	json_items(r, "planned", c->planned, c->nplanned);
	buf_puts(&r->out, "}\n");
}

int case_api(struct req *r)
{
	int64_t id;
	struct case_record c;
	int rc = case_from_path(r, &id);
	if (rc)
		return rc;
	if ((rc = case_record_load(r->db, &r->arena, req_scope(r), id, &c, &r->err)))
		return rc;
	req_json(r, 200);
	json_case(r, &c);
	return HE_OK;
}

static int64_t json_int(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* The case's current ref, status and version after a change. */
static int json_changed(struct req *r, int64_t id, int status)
{
	char ref[16];
	case_ref(id, ref);
	struct db_stmt *st = db_prepare(r->db, "SELECT status, version FROM cases WHERE id = :id");
	db_bind_int(st, ":id", id);
	req_json(r, status);
	if (db_next(st))
		fmt_printf(&r->out, "{\"case\":{\"ref\":%j,\"status\":%j,\"version\":%lld}}\n", ref,
			   db_text(st, 0), (long long)db_int(st, 1));
	return db_finalize(st);
}

/* Parse the body and resolve the case; NULL with rc set on failure. */
static json_t *api_begin(struct req *r, int64_t *id, int *rc)
{
	if ((*rc = case_from_path(r, id)))
		return NULL;
	json_t *j = req_json_body(r);
	if (!j)
		*rc = r->err.code ? r->err.code : HE_BAD_JSON;
	return j;
}

int case_contact_api(struct req *r)
{
	int64_t id, cid = 0;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	json_t *pl = json_object_get(j, "planned");
	int64_t dur = json_int(j, "duration_min");
	struct contact_in in = {
		.idem_key = page_nonempty(req_header(r, "Idempotency-Key")), .at = json_str(j, "at"),
		.kind = json_str(j, "kind"), .seen = json_str(j, "seen"), .place = json_str(j, "place"),
		.notes = json_str(j, "notes"), .duration_min = dur < 0 || dur > 100000 ? -1 : (int)dur,
		.planned = json_is_true(pl),
	};
	rc = contact_add(r->db, req_scope(r), id, 0, &in, &cid, &r->err);
	if (rc == HE_OK) {
		req_json(r, 201);
		fmt_printf(&r->out, "{\"contact\":{\"id\":%lld,\"planned\":%s}}\n", (long long)cid,
			   in.planned ? "true" : "false");
	}
	json_decref(j);
	return rc;
}

int case_held_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	int64_t dur = json_int(j, "duration_min");
	struct contact_in in = {
		.at = json_str(j, "at"), .kind = json_str(j, "kind"), .seen = json_str(j, "seen"),
		.place = json_str(j, "place"), .notes = json_str(j, "notes"),
		.duration_min = dur < 0 || dur > 100000 ? -1 : (int)dur,
	};
	int64_t cid = strtoll(req_param(r, 1), NULL, 10);
	rc = contact_mark_held(r->db, req_scope(r), id, cid, &in, &r->err);
	if (rc == HE_OK) {
		req_json(r, 200);
		fmt_printf(&r->out, "{\"contact\":{\"id\":%lld,\"planned\":false}}\n", (long long)cid);
	}
	json_decref(j);
	return rc;
}

int case_review_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	rc = case_set_review(r->db, req_scope(r), id, json_int(j, "version"),
			     json_str(j, "next_review_on"), &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}

/* POST /api/v1/cases/{ref}/step-up {"version":n, "on":"YYYY-MM-DD" (optional,
 * today), "reason":"…", "lawful_basis_note":"…"}: lawful_basis_note is
 * required (422, field "lawful_basis_note") when the family has no active
 * "social_care" consent, and is recorded as a safeguarding basis. */
int case_step_up_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	rc = case_step_up(r->db, req_scope(r), id, json_int(j, "version"), json_str(j, "on"),
			  json_str(j, "reason"), json_str(j, "lawful_basis_note"), &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}

int case_step_down_api(struct req *r)
{
	int64_t id, rid = 0;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	json_t *k = json_object_get(j, "consent");
	struct consent_in c = {
		.basis = json_str(k, "basis"), .given_by = json_str(k, "given_by"),
		.relationship = json_str(k, "relationship"), .scope = json_str(k, "scope"),
		.given_on = json_str(k, "given_on"), .lawful_basis_note = json_str(k, "lawful_basis_note"),
	};
	rc = case_step_down(r->db, req_scope(r), id, json_int(j, "version"), json_str(j, "on"),
			    json_str(j, "reason"), json_is_object(k) ? &c : NULL, &rid, &r->err);
	json_decref(j);
	if (rc)
		return rc;
	char ref[16], rref[16];
	case_ref(id, ref);
	referral_ref(rid, rref);
	req_json(r, 201);
	fmt_printf(&r->out, "{\"case\":{\"ref\":%j,\"status\":\"closed\"},\"referral\":{\"ref\":%j}}\n",
		   ref, rref);
	return HE_OK;
}

int case_transfer_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	rc = case_transfer(r->db, req_scope(r), id, json_int(j, "version"), json_int(j, "to_worker"),
			   json_str(j, "on"), json_str(j, "handover_note"), &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}

int case_close_api(struct req *r)
{
	int64_t id;
	int rc;
	json_t *j = api_begin(r, &id, &rc);
	if (!j)
		return rc;
	rc = case_close(r->db, req_scope(r), id, json_int(j, "version"), json_str(j, "on"),
			json_str(j, "reason"), json_str(j, "note"), json_str(j, "family_view"), &r->err);
	json_decref(j);
	return rc ? rc : json_changed(r, id, 200);
}
