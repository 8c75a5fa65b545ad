/* risk_web.c — the admin's risk rules (list, edit with a preview of how
 * many pupils move between bands, save and rescore, band thresholds) and
 * the aggregate risk summary for report readers (small numbers
 * suppressed for those without identifiable reports).
 *
 * Saving goes through risk_rule_update / risk_bands_update, which write
 * the change, its audit row and the rescore in one transaction; the
 * preview (risk_preview) changes nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "core/risk.h"
#include "core/school.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/route.h"

static const char *const op_symbols[RISK_OP_COUNT] = {"<", "≤", ">", "≥", "="};
static const char *const op_titles[RISK_OP_COUNT] = {
	"is less than", "is at most", "is more than", "is at least", "equals",
};

static const char *band_title(int band)
{
	return band == RISK_HIGH ? "High" : band == RISK_MEDIUM ? "Medium" : "Low";
}

static struct risk_ruleset *rules_load(struct req *r)
{
	struct risk_ruleset *rs = arena_alloc(&r->arena, sizeof *rs);
	if (risk_ruleset_load(r->db, rs, &r->err) != HE_OK)
		return NULL;
	return rs;
}

static const char *num(struct req *r, int64_t v)
{
	return arena_printf(&r->arena, "%" PRId64, v);
}

/* ---- the rules page ---------------------------------------------------------- */

static void rules_table(struct req *r, const struct risk_ruleset *rs)
{
	fmt_printf(&r->out, "<div class=\"hearth-table-wrapper\" role=\"region\" aria-label=\"Risk rules\""
		" tabindex=\"0\"><table class=\"govuk-table hearth-table--small\" id=\"rules\">"
		"<caption class=\"govuk-table__caption govuk-table__caption--m\">Indicators and points</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
	static const char *const heads[] = {"Rule", "Indicator", "Condition", "Points", "Group", "Enabled"};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header%s\">%h</th>",
			   i == 3 ? " govuk-table__header--numeric" : "", heads[i]);
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (int i = 0; i < rs->n; i++) {
		const struct risk_rule *u = &rs->rule[i];
		const char *ind = u->indicator >= 0 ? risk_indicators[u->indicator].name : "?";
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
			"<a class=\"govuk-link\" href=\"/risk/rules/%u\">%h</a></td>"
			"<td class=\"govuk-table__cell hearth-mono\">%h</td>"
			"<td class=\"govuk-table__cell\">%h %h %d</td>"
			"<td class=\"govuk-table__cell govuk-table__cell--numeric\">%d</td>"
			"<td class=\"govuk-table__cell hearth-mono\">%h</td><td class=\"govuk-table__cell\">%h</td>"
			"</tr>", u->code, u->label, ind, ind, u->op >= 0 ? op_symbols[u->op] : "?",
			u->value, u->points, u->grp, u->enabled ? "Yes" : "No");
	}
	fmt_printf(&r->out, "</tbody></table></div><p class=\"govuk-body-s\">Rules in one group are"
		" alternatives: only the one worth most points counts (severe absence replaces"
		" persistent absence rather than adding to it).</p>");
}

static void bands_form(struct req *r, const struct risk_ruleset *rs, const struct errinfo *e)
{
	const char *high = req_form(r, "band_high"), *medium = req_form(r, "band_medium");
	fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\" id=\"bands\">Bands</h2>"
		"<p class=\"govuk-body\">A pupil is in the high band at a score of at least the high"
		" threshold, medium at least the medium one, otherwise low. Saving rescores every"
		" extract.</p><form method=\"post\" action=\"/risk/bands\" novalidate>");
	page_csrf_field(r, r->sess.csrf);
	const struct { const char *id, *label, *value; int cur; } f[] = {
		{"band_high", "High band from score", high, rs ? rs->band_high : 0},
		{"band_medium", "Medium band from score", medium, rs ? rs->band_medium : 0},
	};
	for (int i = 0; i < 2; i++) {
		fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">"
			"%h</label>", page_group_class(e, f[i].id), f[i].id, f[i].label);
		page_field_error(r, e, f[i].id);
		bool bad = *page_group_class(e, f[i].id) != '\0';
		fmt_printf(&r->out, "<input class=\"govuk-input govuk-input--width-4%s\" id=\"%h\""
			" name=\"%h\" type=\"text\" inputmode=\"numeric\" value=\"%h\"%s%h%s></div>",
			bad ? " govuk-input--error" : "", f[i].id, f[i].id,
			f[i].value ? f[i].value : num(r, f[i].cur), bad ? " aria-describedby=\"" : "",
			bad ? f[i].id : "", bad ? "-error\"" : "");
	}
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">Save bands and rescore</button>"
		"</form>");
}

/* The banner after a save (from the redirect's query). */
static void saved_banner(struct req *r)
{
	const char *what = req_query(r, "saved"), *changed = req_query(r, "changed");
	const char *total = req_query(r, "snapshots");
	if (!what || !changed || !total)
		return;
	fmt_printf(&r->out, "<div class=\"govuk-notification-banner govuk-notification-banner--success\""
		" role=\"alert\" aria-labelledby=\"saved-title\" data-module=\"govuk-notification-banner\">"
		"<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\""
		" id=\"saved-title\">Success</h2></div><div class=\"govuk-notification-banner__content\">"
		"<p class=\"govuk-notification-banner__heading\" id=\"saved\">Saved %h. Rescored %h extracts:"
		" %h changed.</p></div></div>", !strcmp(what, "bands") ? "the bands"
		: arena_printf(&r->arena, "rule %s", what), total, changed);
}

static int rules_render(struct req *r, int status, const struct errinfo *e)
{
	struct risk_ruleset *rs = rules_load(r);
	if (!rs)
		return r->err.code;
	page_begin(r, status, e && e->code ? "Error: Risk rules" : "Risk rules");
	page_error_summary(r, e);
	saved_banner(r);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Risk rules</h1><p class=\"govuk-body\">"
		"Each rule gives points when a pupil's indicator meets its condition; the points add up to"
		" the pupil's risk score. Select a rule to change it: you will see how many pupils the"
		" change moves between bands before you save it.</p>");
	rules_table(r, rs);
	bands_form(r, rs, e);
	page_end(r);
	return HE_OK;
}

int risk_rules_page(struct req *r)
{
	return rules_render(r, 200, NULL);
}

/* ---- editing one rule ------------------------------------------------------------- */

/* An integer form field into *out; HE_INVALID naming it if not a number. */
static int form_int(struct req *r, const char *name, const char *title, int *out)
{
	const char *s = req_form(r, name);
	char *end;
	long v = s && *s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || *end || v < -1000000 || v > 1000000)
		return req_fail(r, HE_INVALID, name, arena_printf(&r->arena,
				"%s must be a whole number", title));
	*out = (int)v;
	return HE_OK;
}

/* The proposed rule from the form (fields as in risk_rule_check). */
static int rule_from_form(struct req *r, const struct risk_rule *cur, struct risk_rule *f)
{
	*f = *cur;
	const char *label = req_form(r, "label"), *grp = req_form(r, "grp");
	if (!label || strlen(label) > RISK_LABEL_MAX)
		return req_fail(r, HE_INVALID, "label", arena_printf(&r->arena,
				"Label must be %d characters or fewer", RISK_LABEL_MAX));
	if (!grp || strlen(grp) > RISK_CODE_MAX)
		return req_fail(r, HE_INVALID, "grp", arena_printf(&r->arena,
				"Group must be %d characters or fewer", RISK_CODE_MAX));
	snprintf(f->label, sizeof f->label, "%s", label);
	snprintf(f->grp, sizeof f->grp, "%s", grp);
	f->indicator = risk_indicator_by_name(req_form(r, "indicator"));
	f->op = risk_op_by_name(req_form(r, "op"));
	int value, points, position;
	int rc = form_int(r, "value", "Value", &value);
	if (!rc)
		rc = form_int(r, "points", "Points", &points);
	if (!rc)
		rc = form_int(r, "position", "Position", &position);
	if (rc)
		return rc;
	f->value = value;
	f->points = points;
	f->position = position;
	const char *en = req_form(r, "enabled");
	f->enabled = en && !strcmp(en, "1");
	return HE_OK;
}

static void text_field(struct req *r, const struct errinfo *e, const char *id, const char *label,
		       const char *hint, const char *value, const char *width)
{
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"%h\">%h"
		"</label>", page_group_class(e, id), id, label);
	if (hint)
		fmt_printf(&r->out, "<div class=\"govuk-hint\" id=\"%h-hint\">%h</div>", id, hint);
	page_field_error(r, e, id);
	bool bad = *page_group_class(e, id) != '\0';
	const char *typed = req_form(r, id);  /* re-show what was typed, not the parsed value */
	const char *described = arena_printf(&r->arena, "%s%s%s%s%s", hint ? id : "",
		hint ? "-hint" : "", hint && bad ? " " : "", bad ? id : "", bad ? "-error" : "");
	fmt_printf(&r->out, "<input class=\"govuk-input %h%s\" id=\"%h\" name=\"%h\" type=\"text\""
		" value=\"%h\" autocomplete=\"off\"%s%h%s></div>", width,
		bad ? " govuk-input--error" : "", id, id, typed ? typed : value,
		*described ? " aria-describedby=\"" : "", described, *described ? "\"" : "");
}

static void rule_fields(struct req *r, const struct risk_rule *u, const struct errinfo *e)
{
	text_field(r, e, "label", "Label", "What a school leader reads on the pupil page", u->label,
		   "govuk-!-width-full");
	fmt_printf(&r->out, "<div class=\"govuk-form-group%s\"><label class=\"govuk-label\" for=\"indicator\">"
		"Indicator</label>", page_group_class(e, "indicator"));
	page_field_error(r, e, "indicator");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"indicator\" name=\"indicator\">");
	for (int i = 0; i < RI_COUNT; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h — %h</option>", risk_indicators[i].name,
			   u->indicator == i ? " selected" : "", risk_indicators[i].name,
			   risk_indicators[i].help);
	fmt_printf(&r->out, "</select></div><div class=\"govuk-form-group%s\"><label class=\"govuk-label\""
		" for=\"op\">Condition</label>", page_group_class(e, "op"));
	page_field_error(r, e, "op");
	fmt_printf(&r->out, "<select class=\"govuk-select\" id=\"op\" name=\"op\">");
	for (int i = 0; i < RISK_OP_COUNT; i++)
		fmt_printf(&r->out, "<option value=\"%h\"%s>%h (%h)</option>", risk_op_names[i],
			   u->op == i ? " selected" : "", op_titles[i], op_symbols[i]);
	fmt_printf(&r->out, "</select></div>");
	text_field(r, e, "value", "Value", NULL, num(r, u->value), "govuk-input--width-4");
	text_field(r, e, "points", "Points", "0 to 100", num(r, u->points), "govuk-input--width-4");
	text_field(r, e, "grp", "Group", "Rules in one group are alternatives: only the one worth most"
		   " points counts", u->grp, "govuk-input--width-20");
	text_field(r, e, "position", "Position", "Order in the list", num(r, u->position),
		   "govuk-input--width-4");
	fmt_printf(&r->out, "<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes\""
		" data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\">"
		"<input class=\"govuk-checkboxes__input\" id=\"enabled\" name=\"enabled\" type=\"checkbox\""
		" value=\"1\"%s><label class=\"govuk-label govuk-checkboxes__label\" for=\"enabled\">"
		"Enabled</label></div></div></div>", u->enabled ? " checked" : "");
}

static void rule_form(struct req *r, int status, const struct risk_rule *u, const struct errinfo *e)
{
	bool bad = e && e->code;
	page_begin(r, status, arena_printf(&r->arena, "%sChange rule %s", bad ? "Error: " : "", u->code));
	fmt_printf(&r->out, "<a href=\"/risk/rules\" class=\"govuk-back-link\">Risk rules</a>"
		"<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<span class=\"govuk-caption-l hearth-mono\">%h</span>"
		"<h1 class=\"govuk-heading-l\">Change a risk rule</h1>"
		"<form method=\"post\" action=\"/risk/rules/%u/preview\" novalidate>", u->code, u->code);
	page_csrf_field(r, r->sess.csrf);
	rule_fields(r, u, e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">Preview the change</button>"
		"</form></div></div>");
	page_end(r);
}

/* Load the rules and find the one named by the path: HE_NOT_FOUND if none. */
static int rule_find(struct req *r, struct risk_ruleset **rs, int *idx)
{
	if (!(*rs = rules_load(r)))
		return r->err.code;
	*idx = risk_ruleset_find(*rs, req_param(r, 0));
	if (*idx < 0)
		return req_fail(r, HE_NOT_FOUND, "code", "There is no risk rule with that code.");
	return HE_OK;
}

int risk_rule_page(struct req *r)
{
	struct risk_ruleset *rs;
	int i;
	int rc = rule_find(r, &rs, &i);
	if (rc)
		return rc;
	rule_form(r, 200, &rs->rule[i], NULL);
	return HE_OK;
}

static void preview_matrix(struct req *r, const struct risk_preview *pv)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"moves\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--m\">Pupils by band: now (rows) and after the change (columns)</caption>"
		"<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\"><td class=\"govuk-table__header\">"
		"</td>");
	for (int to = RISK_HIGH; to >= RISK_LOW; to--)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">"
			"%h after</th>", band_title(to));
	fmt_printf(&r->out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (int from = RISK_HIGH; from >= RISK_LOW; from--) {
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><th scope=\"row\" class=\"govuk-table__header\">"
			"%h now</th>", band_title(from));
		for (int to = RISK_HIGH; to >= RISK_LOW; to--)
			fmt_printf(&r->out, "<td class=\"govuk-table__cell govuk-table__cell--numeric%s\">%lld</td>",
				   from == to ? "" : " hearth-move", (long long)pv->moves[from][to]);
		fmt_printf(&r->out, "</tr>");
	}
	fmt_printf(&r->out, "</tbody></table>");
}

static void hidden(struct req *r, const char *name, const char *value)
{
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"%h\" value=\"%h\">", name, value);
}

static void preview_page(struct req *r, const struct risk_rule *u, int idx, const struct risk_preview *pv)
{
	int64_t moved = 0;
	for (int a = 0; a < RISK_BAND_COUNT; a++)
		for (int b = 0; b < RISK_BAND_COUNT; b++)
			moved += a == b ? 0 : pv->moves[a][b];
	page_begin(r, 200, arena_printf(&r->arena, "Preview: rule %s", u->code));
	fmt_printf(&r->out, "<a href=\"/risk/rules/%u\" class=\"govuk-back-link\">Change the rule</a>"
		"<span class=\"govuk-caption-l hearth-mono\">%h</span><h1 class=\"govuk-heading-l\">"
		"Preview the change</h1><p class=\"govuk-body-l\" id=\"preview-summary\">%lld of %lld pupils"
		" would move to another band.</p><p class=\"govuk-body\">%h: %h %h %d gives %d points"
		"%s. It would count for %lld pupils.</p>", u->code, u->code, (long long)moved,
		(long long)pv->total, u->label, risk_indicators[u->indicator].name, op_symbols[u->op],
		u->value, u->points, u->enabled ? "" : " (disabled)", (long long)pv->fired[idx]);
	preview_matrix(r, pv);
	fmt_printf(&r->out, "<form method=\"post\" action=\"/risk/rules/%u\">", u->code);
	page_csrf_field(r, r->sess.csrf);
	hidden(r, "label", u->label);
	hidden(r, "indicator", risk_indicators[u->indicator].name);
	hidden(r, "op", risk_op_names[u->op]);
	hidden(r, "value", num(r, u->value));
	hidden(r, "points", num(r, u->points));
	hidden(r, "grp", u->grp);
	hidden(r, "position", num(r, u->position));
	if (u->enabled)
		hidden(r, "enabled", "1");
	fmt_printf(&r->out, "<div class=\"govuk-button-group\"><button type=\"submit\" class=\"govuk-button\">"
		"Save and rescore</button><a class=\"govuk-link\" href=\"/risk/rules/%u\">Change the rule</a>"
		"</div></form>", u->code);
	page_end(r);
}

int risk_rule_preview_page(struct req *r)
{
	struct risk_ruleset *rs;
	int i;
	int rc = rule_find(r, &rs, &i);
	if (rc)
		return rc;
	struct risk_rule f;
	rc = rule_from_form(r, &rs->rule[i], &f);
	struct risk_ruleset *proposed = arena_alloc(&r->arena, sizeof *proposed);
	*proposed = *rs;
	if (!rc)
		rc = risk_ruleset_edit(proposed, f.code, &f, &r->err);
	if (rc == HE_INVALID || rc == HE_MISSING) {
		rule_form(r, err_http_status(rc), &f, &r->err);
		return HE_OK;
	}
	if (rc)
		return rc;
	struct risk_preview *pv = arena_alloc(&r->arena, sizeof *pv);
	if ((rc = risk_preview(r->db, proposed, NULL, pv, &r->err)))
		return rc;
	/* the rule's index may have moved with its position */
	preview_page(r, &f, risk_ruleset_find(proposed, f.code), pv);
	return HE_OK;
}

int risk_rule_update_page(struct req *r)
{
	struct risk_ruleset *rs;
	int i;
	int rc = rule_find(r, &rs, &i);
	if (rc)
		return rc;
	struct risk_rule f;
	struct risk_rescore_stats stats = {0};
	rc = rule_from_form(r, &rs->rule[i], &f);
	if (!rc)
		rc = risk_rule_update(r->db, &r->who, f.code, &f, &stats, &r->err);
	if (rc == HE_INVALID || rc == HE_MISSING) {
		rule_form(r, err_http_status(rc), &f, &r->err);
		return HE_OK;
	}
	if (rc)
		return rc;
	struct buf loc;
	buf_init(&loc, 1024);
	fmt_printf(&loc, "/risk/rules?saved=%u&changed=%lld&snapshots=%lld", f.code,
		   (long long)stats.changed, (long long)stats.snapshots);
	req_redirect(r, buf_str(&loc));
	buf_free(&loc);
	return HE_OK;
}

int risk_bands_page(struct req *r)
{
	int high = 0, medium = 0;
	struct risk_rescore_stats stats = {0};
	int rc = form_int(r, "band_high", "High band", &high);
	if (!rc)
		rc = form_int(r, "band_medium", "Medium band", &medium);
	if (!rc)
		rc = risk_bands_update(r->db, &r->who, high, medium, &stats, &r->err);
	if (rc == HE_INVALID || rc == HE_MISSING) {
		struct errinfo e = r->err;
		return rules_render(r, err_http_status(rc), &e);
	}
	if (rc)
		return rc;
	struct buf loc;
	buf_init(&loc, 1024);
	fmt_printf(&loc, "/risk/rules?saved=bands&changed=%lld&snapshots=%lld",
		   (long long)stats.changed, (long long)stats.snapshots);
	req_redirect(r, buf_str(&loc));
	buf_free(&loc);
	return HE_OK;
}

/* ---- the aggregate summary ---------------------------------------------------------- */

struct agg {
	const char *name;
	int64_t n[RISK_BAND_COUNT];
};

struct aggs {
	struct agg v[64];
	int n;
};

static void agg_add(struct req *r, struct aggs *a, const char *name, int band, int64_t count)
{
	int i = 0;
	while (i < a->n && strcmp(a->v[i].name, name) != 0)
		i++;
	if (i == a->n) {
		if (a->n == (int)(sizeof a->v / sizeof a->v[0]))
			return;
		a->v[a->n++].name = arena_strdup(&r->arena, name);
	}
	a->v[i].n[band] += count;
}

/* A count as the caller may see it. */
static const char *shown(struct req *r, int64_t count, bool suppress)
{
	char buf[RISK_SUPPRESS_BUF];
	if (!suppress)
		return num(r, count);
	return arena_strdup(&r->arena, risk_suppress(count, buf));
}

static void agg_table(struct req *r, const char *id, const char *caption, const char *first,
		      const struct aggs *a, bool suppress)
{
	fmt_printf(&r->out, "<table class=\"govuk-table\" id=\"%h\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--m\">%h</caption><thead class=\"govuk-table__head\">"
		"<tr class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">%h</th>",
		id, caption, first);
	for (int b = RISK_HIGH; b >= RISK_LOW; b--)
		fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">"
			   "%h</th>", band_title(b));
	fmt_printf(&r->out, "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">"
		   "All pupils</th></tr></thead><tbody class=\"govuk-table__body\">");
	for (int i = 0; i < a->n; i++) {
		const struct agg *g = &a->v[i];
		int64_t total = 0;
		bool hides = false;
		fmt_printf(&r->out, "<tr class=\"govuk-table__row\"><th scope=\"row\" class=\"govuk-table__header\">"
			   "%h</th>", g->name);
		for (int b = RISK_HIGH; b >= RISK_LOW; b--) {
			total += g->n[b];
			hides |= suppress && g->n[b] < RISK_SUPPRESS_BELOW;
			fmt_printf(&r->out, "<td class=\"govuk-table__cell govuk-table__cell--numeric\">%h</td>",
				   shown(r, g->n[b], suppress));
		}
		/* A total beside a suppressed cell would give it away. */
		fmt_printf(&r->out, "<td class=\"govuk-table__cell govuk-table__cell--numeric\">%h</td></tr>",
			   hides ? "not shown" : shown(r, total, suppress));
	}
	fmt_printf(&r->out, "</tbody></table>");
}

#define SUMMARY_SQL \
	"SELECT d.name, sc.phase, s.risk_band, count(*) FROM pupil_snapshots s" \
	" JOIN schools sc ON sc.id = s.school_id JOIN districts d ON d.id = sc.district_id" \
	" WHERE s.latest = 1 GROUP BY d.name, sc.phase, s.risk_band" \
	" ORDER BY d.name, sc.phase"

int risk_summary_page(struct req *r)
{
	struct aggs *districts = arena_alloc(&r->arena, sizeof *districts);
	struct aggs *phases = arena_alloc(&r->arena, sizeof *phases);
	struct db_stmt *st = db_prepare(r->db, SUMMARY_SQL);
	while (db_next(st)) {
		int band = risk_band_by_name(db_text(st, 2));
		band = band < 0 ? RISK_LOW : band;
		agg_add(r, districts, db_text(st, 0), band, db_int(st, 3));
		agg_add(r, phases, school_phase_title(db_text(st, 1)), band, db_int(st, 3));
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	bool suppress = !caps_has(r->caps, CAP_REPORTS);
	page_begin(r, 200, "Risk summary");
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Pupils at risk: summary</h1>"
		"<p class=\"govuk-body\">Pupils by risk band from each pupil's latest census extract.</p>");
	if (suppress)
		fmt_printf(&r->out, "<div class=\"govuk-inset-text\" id=\"suppression\">Counts under %d are"
			" shown as \"fewer than %d\" so that no pupil can be singled out; a row's total is"
			" not shown where it would reveal one.</div>", RISK_SUPPRESS_BELOW, RISK_SUPPRESS_BELOW);
	if (districts->n == 0)
		fmt_printf(&r->out, "<p class=\"govuk-body\">No census extract has been imported yet.</p>");
	else {
		agg_table(r, "by-district", "By district", "District", districts, suppress);
		agg_table(r, "by-phase", "By school phase", "Phase", phases, suppress);
	}
	page_end(r);
	return HE_OK;
}
