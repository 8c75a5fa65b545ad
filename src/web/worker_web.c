/* worker_web.c — the pool's worker profiles and covers (coordinator).
 *
 * Every route needs CAP_WORKERS_MANAGE.  A worker's page lists the
 * families of their open cases, so showing it is an audited read; the
 * list of workers holds no family data.  Every change is audited
 * (worker_save, worker_cover_add write the row). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/referral.h"
#include "core/worker.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

static const char *const TD = "<td class=\"govuk-table__cell\">";

/* The profile as shown in the form: from the stored worker or as posted. */
struct profile_form {
	const char *name, *employer, *kind, *skills, *languages, *hours, *max, *user_id;
	int64_t *school_ids; size_t nschools;
	int64_t *district_ids; size_t ndistricts;
};

/* The hidden one-time key of a form that makes something (a worker, a
 * cover): the posted one when the form comes back with an error (nothing
 * was made with it), else (or if the key itself was refused) a new one.  A
 * second submission of the same form finds what the first made and adds
 * nothing. */
static void idem_field(struct req *r, const struct errinfo *e)
{
	const char *k = e && e->code && strcmp(e->field, "idem") == 0 ? NULL
		: page_nonempty(req_form(r, "idem"));
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"idem\" value=\"%h\">",
		   k ? k : page_idem_new(r));
}

/* The caller's scope; NULL with r->err set if it could not be loaded. */
static const struct scope *scope_of(struct req *r)
{
	const struct scope *s = req_scope(r);
	if (!s && !r->err.code)
		req_fail(r, HE_INTERNAL, "", "could not load your access");
	return s;
}

static const char *load_text(struct req *r, const struct worker_load *l)
{
	return arena_printf(&r->arena, "%d of %d weighted places used (%d open %s)", l->weighted,
			    l->capacity, l->open_cases, l->open_cases == 1 ? "case" : "cases");
}

/* Every posted value of a multi-valued field, comma-joined (arena). */
static const char *form_all(struct req *r, const char *name)
{
	req_form(r, name);   /* parses the body */
	struct buf b;
	buf_init(&b, 8192);
	for (int i = 0; i < r->nform; i++)
		if (strcmp(r->form[i].key, name) == 0 && *r->form[i].value)
			buf_printf(&b, "%s%s", b.len ? "," : "", r->form[i].value);
	const char *s = arena_strdup(&r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

/* The posted ids of a multi-valued field; false if one is not a number. */
static bool form_ids(struct req *r, const char *name, int64_t **ids, size_t *n)
{
	req_form(r, name);
	*ids = arena_alloc(&r->arena, (size_t)(r->nform + 1) * sizeof **ids);
	*n = 0;
	for (int i = 0; i < r->nform; i++) {
		if (strcmp(r->form[i].key, name) != 0)
			continue;
		char *end;
		long long v = strtoll(r->form[i].value, &end, 10);
		if (*end || v <= 0)
			return false;
		(*ids)[(*n)++] = v;
	}
	return true;
}

static bool ids_has(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *q = list ? list : ""; *q; ) {
		size_t qn = strcspn(q, ",");
		if (qn == n && strncmp(q, item, n) == 0)
			return true;
		q += qn + (q[qn] ? 1 : 0);
	}
	return false;
}

static void posted_form(struct req *r, struct profile_form *f)
{
	memset(f, 0, sizeof *f);
	f->name = req_form(r, "name");
	f->employer = req_form(r, "employer");
	f->kind = req_form(r, "kind");
	f->skills = form_all(r, "skills");
	f->languages = req_form(r, "languages");
	f->hours = req_form(r, "hours_per_week");
	f->max = req_form(r, "max_caseload");
	f->user_id = req_form(r, "user_id");
	form_ids(r, "schools", &f->school_ids, &f->nschools);
	form_ids(r, "districts", &f->district_ids, &f->ndistricts);
}

static void stored_form(struct req *r, const struct worker *w, struct profile_form *f)
{
	memset(f, 0, sizeof *f);
	f->name = w->name;
	f->employer = w->employer;
	f->kind = w->kind;
	f->skills = w->skills;
	f->languages = w->languages;
	f->hours = arena_printf(&r->arena, "%d", w->hours_per_week);
	f->max = w->max_caseload ? arena_printf(&r->arena, "%d", w->max_caseload) : "";
	f->user_id = arena_printf(&r->arena, "%lld", (long long)w->user_id);
	f->school_ids = w->school_ids;
	f->nschools = w->nschools;
	f->district_ids = w->district_ids;
	f->ndistricts = w->ndistricts;
}

/* ---- the profile form ---------------------------------------------------------- */

static void kind_select(struct req *r, const struct profile_form *f, const struct errinfo *e)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"kind\">"
		"Role</label>", page_group_class(e, "kind"));
	page_field_error(r, e, "kind");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"kind\" name=\"kind\">");
	for (const char *const *k = worker_kinds; *k; k++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h</option>", *k,
			   f->kind && strcmp(f->kind, *k) == 0 ? " selected" : "", worker_kind_title(*k));
	fmt_printf(&r->out, "</select></div>");
}

static int user_select(struct req *r, const struct profile_form *f, const struct errinfo *e)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"user_id\">"
		"Their Hearth sign-in</label><div class=\"govuk-hint\" id=\"user_id-hint\">A user with the"
		" worker role, so they see their caseload. Choose none for a pool member who does not"
		" use Hearth.</div>", page_group_class(e, "user_id"));
	page_field_error(r, e, "user_id");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"user_id\" name=\"user_id\""
		" aria-describedby=\"user_id-hint\"><option value=\"0\">None</option>");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT id, name, email FROM users WHERE role = 'worker' AND disabled = 0 ORDER BY name");
	int64_t cur = f->user_id ? strtoll(f->user_id, NULL, 10) : 0;
	while (db_next(st))
		fmt_printf(&r->out, "<option value=\"%lld\"%s>%h (%h)</option>", (long long)db_int(st, 0),
			   db_int(st, 0) == cur ? " selected" : "", db_text(st, 1), db_text(st, 2));
	fmt_printf(&r->out, "</select></div>");
	return db_finalize(st);
}

static void checkboxes_open(struct req *r, const char *id, const char *legend, const char *hint,
			    const struct errinfo *e)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\" id=\"%h\"><fieldset class=\"govuk-fieldset\""
		" aria-describedby=\"%h-hint\"><legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">"
		"%h</legend><div class=\"govuk-hint\" id=\"%h-hint\">%h</div>", page_group_class(e, id), id,
		id, legend, id, hint);
	page_field_error(r, e, id);
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes govuk-checkboxes--small\""
		" data-module=\"govuk-checkboxes\">");
}

static void checkbox(struct req *r, const char *name, const char *id, const char *value,
		     const char *label, bool checked)
{
	fmt_printf(&r->out, "<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\""
		" id=\"%h\" name=\"%h\" type=\"checkbox\" value=\"%h\"%s><label class=\"govuk-label"
		" govuk-checkboxes__label\" for=\"%h\">%h</label></div>", id, name, value,
		checked ? " checked" : "", id, label);
}

static void skills_boxes(struct req *r, const struct profile_form *f, const struct errinfo *e)
{
	checkboxes_open(r, "skills", "Skills", "The needs this worker is experienced in.", e);
	for (const struct referral_need *n = referral_needs; n->code; n++)
		checkbox(r, "skills", arena_printf(&r->arena, "skill-%s", n->code), n->code, n->title,
			 list_has(f->skills, n->code));
	fmt_printf(&r->out, "</div></fieldset></div>");
}

/* Checkboxes for every row (id, name) of sql. */
static int id_boxes(struct req *r, const char *field, const char *legend, const char *hint,
		    const char *sql, const int64_t *ids, size_t n, const struct errinfo *e)
{
	checkboxes_open(r, field, legend, hint, e);
	struct db_stmt *st = db_prepare(r->db, sql);
	while (db_next(st))
		checkbox(r, field, arena_printf(&r->arena, "%s-%lld", field, (long long)db_int(st, 0)),
			 arena_printf(&r->arena, "%lld", (long long)db_int(st, 0)), db_text(st, 1),
			 ids_has(ids, n, db_int(st, 0)));
	fmt_printf(&r->out, "</div></fieldset></div>");
	return db_finalize(st);
}

static int profile_fields(struct req *r, const struct profile_form *f, const struct errinfo *e)
{
	page_csrf_field(r, r->sess.csrf);
	page_input(r, "name", "Full name", "text", f->name, "off", e);
	page_input(r, "employer", "Employer", "text", f->employer, "off", e);
	kind_select(r, f, e);
	page_input(r, "hours_per_week", "Hours per week", "text", f->hours ? f->hours : "37", "off", e);
	page_input(r, "max_caseload", "Maximum caseload in standard cases (blank for the partnership's"
		   " default)", "text", f->max, "off", e);
	page_input(r, "languages", "Languages other than English, separated by commas", "text",
		   f->languages, "off", e);
	skills_boxes(r, f, e);
	int rc = id_boxes(r, "schools", "Schools served", "The schools this worker is linked to.",
			  "SELECT id, name FROM schools ORDER BY name", f->school_ids, f->nschools, e);
	if (!rc)
		rc = id_boxes(r, "districts", "Districts covered", "The districts this worker visits.",
			      "SELECT id, name FROM districts ORDER BY name", f->district_ids,
			      f->ndistricts, e);
	if (!rc)
		rc = user_select(r, f, e);
	return rc;
}

static int new_form(struct req *r, int status, const struct profile_form *f, const struct errinfo *e)
{
	page_begin(r, status, e && e->code ? "Error: Add a worker" : "Add a worker");
	fmt_printf(&r->out, "<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Add a worker to the pool</h1>"
		"<form method=\"post\" action=\"/workers\" novalidate>");
	idem_field(r, e);
	int rc = profile_fields(r, f, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">Add worker</button></form>"
		"</div></div>");
	page_end(r);
	return rc;
}

int worker_new_page(struct req *r)
{
	struct profile_form f = {.kind = "family_support"};
	return new_form(r, 200, &f, NULL);
}

/* The posted profile as a worker_in; HE_INVALID (field named) for a
 * number that is not one. */
static int read_in(struct req *r, struct worker_in *in, struct errinfo *e)
{
	memset(in, 0, sizeof *in);
	in->name = req_form(r, "name");
	in->employer = req_form(r, "employer");
	in->kind = req_form(r, "kind");
	in->skills = form_all(r, "skills");
	in->languages = req_form(r, "languages");
	const char *h = req_form(r, "hours_per_week"), *m = req_form(r, "max_caseload");
	const char *u = req_form(r, "user_id");
	char *end;
	in->hours_per_week = h && *h ? (int)strtol(h, &end, 10) : 0;
	if (!h || !*h || *end)
		return errinfo_set(e, HE_INVALID, "hours_per_week",
			"Hours per week must be a whole number from 1 to 60");
	in->max_caseload = m && *m ? (int)strtol(m, &end, 10) : 0;
	if (m && *m && (*end || in->max_caseload < 1))
		return errinfo_set(e, HE_INVALID, "max_caseload",
			"Maximum caseload must be a whole number from 1 to 100, or blank");
	in->user_id = u && *u ? strtoll(u, &end, 10) : 0;
	int64_t *ids;
	size_t n;
	if (!form_ids(r, "schools", &ids, &n))
		return errinfo_set(e, HE_INVALID, "schools", "Select schools from the list");
	in->school_ids = ids;
	in->nschools = n;
	if (!form_ids(r, "districts", &ids, &n))
		return errinfo_set(e, HE_INVALID, "districts", "Select districts from the list");
	in->district_ids = ids;
	in->ndistricts = n;
	return HE_OK;
}

int worker_create_page(struct req *r)
{
	struct worker_in in;
	struct errinfo e = {0};
	int64_t id = 0;
	const struct scope *s = scope_of(r);
	if (!s)
		return r->err.code;
	int rc = read_in(r, &in, &e);
	in.idem_key = page_nonempty(req_form(r, "idem"));
	if (!rc)
		rc = worker_save(r->db, s, 0, &in, &id, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/workers/%lld", (long long)id));
	if (rc >= HE_DB && rc != HE_DB_CONSTRAINT)
		return rc;
	struct profile_form f;
	posted_form(r, &f);
	return new_form(r, err_http_status(rc), &f, &e);
}

/* ---- the list ------------------------------------------------------------------- */

int workers_page(struct req *r)
{
	struct worker *w;
	size_t n;
	int dflt, rc = worker_list(r->db, &r->arena, &w, &n);
	if (!rc)
		rc = worker_default_max(r->db, &dflt);
	if (rc)
		return rc;
	page_begin(r, 200, "Workers");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Workers in the pool</h1>"
		"<p class=\"govuk-body\">Load counts each open case by its intensity (light 1, standard 2,"
		" intensive 3); a worker's capacity is twice their maximum caseload.</p>"
		"<p class=\"govuk-body\" id=\"default-max\">Default maximum caseload: %d standard cases."
		" <a class=\"govuk-link\" href=\"/settings/caseload\">Change<span class=\"govuk-visually-hidden\">"
		" the default maximum caseload</span></a></p>", dflt);
	fmt_printf(&r->out, "<p class=\"govuk-body\"><a class=\"govuk-button\" href=\"/workers/new\">Add a worker</a></p>");
	if (n == 0) {
		fmt_printf(&r->out, "<p class=\"govuk-body\">No workers yet.</p>");
		page_end(r);
		return HE_OK;
	}
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"workers\"><caption class=\"govuk-table__caption"
		" govuk-visually-hidden\">Workers</caption><thead class=\"govuk-table__head\"><tr"
		" class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">Name</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Role</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Employer</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Load</th>"
		"<th scope=\"col\" class=\"govuk-table__header\">Languages</th></tr></thead>"
		"<tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s<a class=\"govuk-link\" href=\"/workers/%lld\">"
			"%h</a>%s</td>%s%h</td>%s%h</td>%s%h</td>%s%h</td></tr>", TD, (long long)w[i].id,
			w[i].name, w[i].active ? "" : " (inactive)", TD, worker_kind_title(w[i].kind), TD,
			w[i].employer, TD, load_text(r, &w[i].load), TD,
			*w[i].languages ? w[i].languages : "—");
	fmt_printf(&r->out, "</tbody></table>");
	page_end(r);
	return HE_OK;
}

int workers_api(struct req *r)
{
	struct worker *w;
	size_t n;
	int rc = worker_list(r->db, &r->arena, &w, &n);
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"workers\":[");
	for (size_t i = 0; i < n; i++)
		fmt_printf(&r->out, "%s{\"id\":%lld,\"name\":%j,\"employer\":%j,\"kind\":%j,"
			"\"hours_per_week\":%d,\"max_caseload\":%d,\"skills\":%j,\"languages\":%j,"
			"\"active\":%s,\"load\":{\"open_cases\":%d,\"weighted\":%d,\"capacity\":%d}}",
			i ? "," : "", (long long)w[i].id, w[i].name, w[i].employer, w[i].kind,
			w[i].hours_per_week, w[i].max_caseload, w[i].skills, w[i].languages,
			w[i].active ? "true" : "false", w[i].load.open_cases, w[i].load.weighted,
			w[i].load.capacity);
	buf_puts(&r->out, "]}\n");
	return HE_OK;
}

/* ---- one worker ----------------------------------------------------------------- */

static int worker_from_path(struct req *r, struct worker *w)
{
	const char *p = req_param(r, 0);
	char *end;
	long long id = p ? strtoll(p, &end, 10) : 0;
	if (!p || *end || id <= 0 || worker_get(r->db, &r->arena, id, w) != HE_OK)
		return req_fail(r, HE_NOT_FOUND, "", "There is no such worker");
	return HE_OK;
}

static int cases_section(struct req *r, const struct worker *w)
{
	struct db_stmt *st = db_prepare(r->db,
		"SELECT c.id, f.name, c.intensity, c.opened_on, c.next_review_on FROM cases c"
		" JOIN families f ON f.id = c.family_id WHERE c.worker_id = :w AND c.status = 'open'"
		" ORDER BY c.opened_on, c.id");
	db_bind_int(st, ":w", w->id);
	int n = 0;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Open cases</h2>");
	while (db_next(st)) {
		if (n++ == 0)
			fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"cases\"><caption"
				" class=\"govuk-table__caption govuk-visually-hidden\">Open cases</caption>"
				"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
				"<th scope=\"col\" class=\"govuk-table__header\">Case</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Family</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Weight</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Opened</th>"
				"<th scope=\"col\" class=\"govuk-table__header\">Next review</th></tr></thead>"
				"<tbody class=\"govuk-table__body\">");
		char ref[16];
		case_ref(db_int(st, 0), ref);
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\">%s<a class=\"govuk-link\" href=\"/cases/%u\">"
			"%h</a></td>%s%h</td>%s%lld</td>%s%h</td>%s%h</td></tr>", TD, ref, ref, TD,
			db_text(st, 1), TD, (long long)db_int(st, 2), TD, db_text(st, 3), TD,
			db_text(st, 4) ? db_text(st, 4) : "—");
	}
	fmt_printf(&r->out, n ? "</tbody></table>" : "<p class=\"govuk-body\">No open cases.</p>");
	int rc = db_finalize(st);
	if (rc)
		return rc;
	char id[24], summary[96];
	snprintf(id, sizeof id, "%lld", (long long)w->id);
	snprintf(summary, sizeof summary, "worker's page: %d open case%s listed", n, n == 1 ? "" : "s");
	return audit_alone(r->db, &r->who, "view", "workers", id, summary);
}

static int cover_section(struct req *r, const struct worker *w, const struct errinfo *e)
{
	struct worker_cover *c;
	size_t n;
	int rc = worker_covers(r->db, &r->arena, w->id, &c, &n);
	if (rc)
		return rc;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"cover\">Cover</h2>");
	if (n) {
		fmt_printf(&r->out, "<ul class=\"govuk-list govuk-list--bullet\" id=\"covers\">");
		for (size_t i = 0; i < n; i++)
			fmt_printf(&r->out, "<li>%h covers %h's cases from %h to %h: %h</li>",
				   c[i].worker_name, c[i].for_worker_name, c[i].starts_on, c[i].ends_on,
				   c[i].reason);
		fmt_printf(&r->out, "</ul>");
	}
	fmt_printf(&r->out, "<form method=\"post\" action=\"/workers/%lld/covers\" novalidate>"
		"<fieldset class=\"govuk-fieldset\"><legend class=\"govuk-fieldset__legend"
		" govuk-fieldset__legend--s\">%h covers a colleague's cases</legend>", (long long)w->id, w->name);
	page_csrf_field(r, r->sess.csrf);
	idem_field(r, e);
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\""
		" for=\"for_worker_id\">Colleague</label>", page_group_class(e, "for_worker_id"));
	page_field_error(r, e, "for_worker_id");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"for_worker_id\" name=\"for_worker_id\">");
	struct db_stmt *st = db_prepare(r->db,
		"SELECT id, name FROM workers WHERE active = 1 AND id <> :id ORDER BY name");
	db_bind_int(st, ":id", w->id);
	const char *cur = req_form(r, "for_worker_id");
	while (db_next(st))
		fmt_printf(&r->out, "<option value=\"%lld\"%s>%h</option>", (long long)db_int(st, 0),
			   cur && strtoll(cur, NULL, 10) == db_int(st, 0) ? " selected" : "", db_text(st, 1));
	fmt_printf(&r->out, "</select></div>");
	if ((rc = db_finalize(st)))
		return rc;
	page_input(r, "from", "First day (YYYY-MM-DD)", "text", req_form(r, "from"), "off", e);
	page_input(r, "until", "Last day (YYYY-MM-DD)", "text", req_form(r, "until"), "off", e);
	page_input(r, "reason", "Reason (leave, sickness, …)", "text", req_form(r, "reason"), "off", e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\">"
		"Record cover</button></fieldset></form>");
	return HE_OK;
}

/* The worker's page; the profile form from pf (or the stored profile). */
static int worker_render(struct req *r, const struct worker *w, int status,
			 const struct profile_form *pf, const struct errinfo *e)
{
	struct profile_form f;
	if (pf)
		f = *pf;
	else
		stored_form(r, w, &f);
	page_begin(r, status, arena_printf(&r->arena, "%s%s", e && e->code ? "Error: " : "", w->name));
	page_error_summary(r, e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l\">%h · %h</span><h1 class=\"govuk-heading-l\">"
		"%h</h1><p class=\"govuk-body\" id=\"load\">Load: %h.</p>",
		worker_kind_title(w->kind), w->employer, w->name, load_text(r, &w->load));
	int rc = cases_section(r, w);
	if (!rc)
		rc = cover_section(r, w, e);
	if (rc)
		return rc;
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Profile</h2><div class=\"govuk-grid-row\">"
		"<div class=\"govuk-grid-column-two-thirds\"><form method=\"post\" action=\"/workers/%lld\""
		" novalidate>", (long long)w->id);
	rc = profile_fields(r, &f, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">Save profile</button></form>"
		"</div></div><p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/workers\">All workers"
		"</a></p>");
	page_end(r);
	return rc;
}

int worker_page(struct req *r)
{
	struct worker w;
	int rc = worker_from_path(r, &w);
	return rc ? rc : worker_render(r, &w, 200, NULL, NULL);
}

int worker_update_page(struct req *r)
{
	struct worker w;
	int rc = worker_from_path(r, &w);
	if (rc)
		return rc;
	const struct scope *s = scope_of(r);
	if (!s)
		return r->err.code;
	struct worker_in in;
	struct errinfo e = {0};
	rc = read_in(r, &in, &e);
	if (!rc)
		rc = worker_save(r->db, s, w.id, &in, NULL, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/workers/%lld", (long long)w.id));
	if (rc >= HE_DB && rc != HE_DB_CONSTRAINT)
		return rc;
	struct profile_form f;
	posted_form(r, &f);
	return worker_render(r, &w, err_http_status(rc), &f, &e);
}

int worker_cover_page(struct req *r)
{
	struct worker w;
	int rc = worker_from_path(r, &w);
	if (rc)
		return rc;
	const struct scope *s = scope_of(r);
	if (!s)
		return r->err.code;
	const char *fw = req_form(r, "for_worker_id");
	struct errinfo e = {0};
	rc = worker_cover_add(r->db, s, w.id, fw ? strtoll(fw, NULL, 10) : 0, req_form(r, "from"),
			      req_form(r, "until"), req_form(r, "reason"),
			      page_nonempty(req_form(r, "idem")), NULL, &e);
	if (rc == HE_OK)
		return req_redirect(r, arena_printf(&r->arena, "/workers/%lld#cover", (long long)w.id));
	if (rc >= HE_DB || rc == HE_NOT_FOUND || rc == HE_FORBIDDEN)
		return rc;
	return worker_render(r, &w, err_http_status(rc), NULL, &e);
}
