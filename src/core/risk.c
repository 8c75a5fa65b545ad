/* risk.c — the risk engine (see risk.h): indicators from census data,
 * rulesets loaded from the database and compiled, scoring, rescoring and
 * previewing after an admin's edit, and the ranked list.
 *
 * The hot path is risk_values_from_pupil + risk_score, run once per pupil
 * by the import: plain integer work over a ruleset compiled so that the
 * rules of a group are adjacent and best first — the first rule of a
 * group that fires is the one that counts, and the loop jumps to the next
 * group.  Everything that touches the database is outside that path. */
#include "core/risk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/pupil.h"
#include "core/school.h"
#include "store/db.h"

/* ---- indicators ---------------------------------------------------------- */

const struct risk_indicator_info risk_indicators[RI_COUNT] = {
	[RI_ATTENDANCE_PCT] = {"attendance_pct", 0, 100,
		"Sessions attended as a percentage of sessions possible, rounded down"},
	[RI_UNAUTHORISED_PCT] = {"unauthorised_pct", 0, 100,
		"Unauthorised absence as a percentage of sessions possible, rounded down"},
	[RI_SUSPENSIONS] = {"suspensions", 0, 190, "Number of suspensions"},
	[RI_SUSPENSION_DAYS] = {"suspension_days", 0, 190,
		"Days of suspension, whole days (rounded down)"},
	[RI_PERMANENT_EXCLUSION] = {"permanent_exclusion", 0, 1, "Permanently excluded (1 yes, 0 no)"},
	[RI_SEN_SUPPORT] = {"sen_support", 0, 1, "SEN support: SEN provision K (1 yes, 0 no)"},
	[RI_EHCP] = {"ehcp", 0, 1,
		"Education, health and care plan: SEN provision E or a plan recorded (1 yes, 0 no)"},
	[RI_LOOKED_AFTER] = {"looked_after", 0, 1, "Looked after by the local authority (1 yes, 0 no)"},
	[RI_CIN] = {"cin", 0, 1, "Child in need (1 yes, 0 no)"},
	[RI_CP] = {"cp", 0, 1, "Child protection plan (1 yes, 0 no)"},
	[RI_FSM] = {"fsm", 0, 1, "Eligible for free school meals (1 yes, 0 no)"},
	[RI_YOUNG_CARER] = {"young_carer", 0, 1, "Young carer (1 yes, 0 no)"},
	[RI_YOUTH_JUSTICE] = {"youth_justice", 0, 1, "Involved with youth justice (1 yes, 0 no)"},
	[RI_SCHOOL_MOVES] = {"school_moves", 0, 20, "Number of moves of school"},
	[RI_BELOW_EXPECTED] = {"below_expected", 0, 1,
		"Attainment below the expected standard (1 yes, 0 no)"},
	[RI_EAL_NEW] = {"eal_new", 0, 1, "New to English (1 yes, 0 no)"},
	[RI_YOUNG_PARENT] = {"young_parent", 0, 1, "Pregnant or a young parent (1 yes, 0 no)"},
};

int risk_indicator_by_name(const char *name)
{
	for (int i = 0; name && i < RI_COUNT; i++)
		if (strcmp(name, risk_indicators[i].name) == 0)
			return i;
	return -1;
}

/* A 1/0/-1 flag as an indicator value. */
static int32_t flag(int v)
{
	return v < 0 ? RISK_UNKNOWN : v != 0;
}

/* part × 100 / whole, rounded down and capped at 100; unknown unless both
 * are known and whole > 0. */
static int32_t percent(int64_t part, int64_t whole)
{
	if (part < 0 || whole <= 0)
		return RISK_UNKNOWN;
	int64_t p = part * 100 / whole;
	return (int32_t)(p > 100 ? 100 : p);
}

/* The sen_support and ehcp indicators from the SEN provision code
 * ('N', 'K', 'E' or 0 unknown) and the EHC plan flag (1/0/-1). */
static void sen_values(char sen, int ehcp, struct risk_values *out)
{
	out->v[RI_SEN_SUPPORT] = sen == 'K' ? 1 : sen == 'N' || sen == 'E' ? 0 : RISK_UNKNOWN;
	if (sen == 'E' || ehcp == 1)
		out->v[RI_EHCP] = 1;
	else if (ehcp == 0 || sen == 'N' || sen == 'K')
		out->v[RI_EHCP] = 0;
	else
		out->v[RI_EHCP] = RISK_UNKNOWN;
}

/* The indicators computed from counts (sessions, suspensions, moves);
 * each argument is -1 when unknown. */
static void count_values(int64_t possible, int64_t attended, int64_t unauth,
			 int64_t susp, int64_t days_x10, int64_t moves, struct risk_values *out)
{
	out->v[RI_ATTENDANCE_PCT] = percent(attended, possible);
	out->v[RI_UNAUTHORISED_PCT] = percent(unauth, possible);
	out->v[RI_SUSPENSIONS] = susp < 0 ? RISK_UNKNOWN : (int32_t)susp;
	out->v[RI_SUSPENSION_DAYS] = days_x10 < 0 ? RISK_UNKNOWN : (int32_t)(days_x10 / 10);
	out->v[RI_SCHOOL_MOVES] = moves < 0 ? RISK_UNKNOWN : (int32_t)moves;
}

void risk_values_from_pupil(const struct pupil_data *p, struct risk_values *out)
{
	count_values(p->sess_possible, p->sess_attended, p->unauth_absence, p->suspensions,
		     p->suspension_days_x10, p->moves, out);
	sen_values(p->sen, p->ehcp, out);
	out->v[RI_PERMANENT_EXCLUSION] = flag(p->perm_exclusion);
	out->v[RI_LOOKED_AFTER] = flag(p->looked_after);
	out->v[RI_CIN] = flag(p->cin);
	out->v[RI_CP] = flag(p->cp);
	out->v[RI_FSM] = flag(p->fsm);
	out->v[RI_YOUNG_CARER] = flag(p->young_carer);
	out->v[RI_YOUTH_JUSTICE] = flag(p->youth_justice);
	out->v[RI_BELOW_EXPECTED] = flag(p->below_expected);
	out->v[RI_EAL_NEW] = flag(p->eal_new);
	out->v[RI_YOUNG_PARENT] = flag(p->young_parent);
}

/* Column col of st as an integer, -1 for NULL (or a negative value). */
static int64_t col_int(struct db_stmt *st, int col)
{
	if (db_is_null(st, col))
		return -1;
	int64_t v = db_int(st, col);
	return v < 0 ? -1 : v;
}

void risk_values_from_row(struct db_stmt *st, int c, struct risk_values *out)
{
	/* order as RISK_SNAPSHOT_COLS */
	const char *sen = db_text(st, c + 1);
	out->v[RI_FSM] = flag((int)col_int(st, c));
	sen_values(sen && strlen(sen) == 1 ? sen[0] : 0, (int)col_int(st, c + 2), out);
	out->v[RI_EAL_NEW] = flag((int)col_int(st, c + 3));
	out->v[RI_LOOKED_AFTER] = flag((int)col_int(st, c + 4));
	out->v[RI_CIN] = flag((int)col_int(st, c + 5));
	out->v[RI_CP] = flag((int)col_int(st, c + 6));
	out->v[RI_YOUNG_CARER] = flag((int)col_int(st, c + 7));
	out->v[RI_YOUTH_JUSTICE] = flag((int)col_int(st, c + 8));
	out->v[RI_YOUNG_PARENT] = flag((int)col_int(st, c + 9));
	count_values(col_int(st, c + 11), col_int(st, c + 12), col_int(st, c + 13),
		     col_int(st, c + 14), col_int(st, c + 15), col_int(st, c + 10), out);
	out->v[RI_PERMANENT_EXCLUSION] = flag((int)col_int(st, c + 16));
	out->v[RI_BELOW_EXPECTED] = flag((int)col_int(st, c + 17));
}

/* ---- names ------------------------------------------------------------------ */

const char *const risk_op_names[RISK_OP_COUNT] = {"lt", "le", "gt", "ge", "eq"};
static const char *const band_names[RISK_BAND_COUNT] = {"low", "medium", "high"};

int risk_op_by_name(const char *name)
{
	for (int i = 0; name && i < RISK_OP_COUNT; i++)
		if (strcmp(name, risk_op_names[i]) == 0)
			return i;
	return -1;
}

const char *risk_band_name(int band)
{
	return band >= 0 && band < RISK_BAND_COUNT ? band_names[band] : band_names[0];
}

int risk_band_by_name(const char *name)
{
	for (int i = 0; name && i < RISK_BAND_COUNT; i++)
		if (strcmp(name, band_names[i]) == 0)
			return i;
	return -1;
}

/* ---- checking and compiling ---------------------------------------------- */

/* A code or group name: [a-z][a-z0-9_]*, 1–RISK_CODE_MAX bytes. */
static bool code_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > RISK_CODE_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int check_name(const char *s, const char *field, const char *what, struct errinfo *e)
{
	if (!s || !*s)
		return errinfo_set(e, HE_MISSING, field, "Enter the %s", what);
	if (!code_valid(s))
		return errinfo_set(e, HE_INVALID, field,
			"The %s must be 1 to %d lower-case letters, digits or underscores, "
			"starting with a letter", what, RISK_CODE_MAX);
	return HE_OK;
}

static int check_label(const char *s, struct errinfo *e)
{
	size_t n = strlen(s);
	if (n == 0 || strspn(s, " \t") == n)
		return errinfo_set(e, HE_MISSING, "label", "Enter the label a school leader reads");
	if (n > RISK_LABEL_MAX || !text_valid(s, n) || strpbrk(s, "\r\n\t"))
		return errinfo_set(e, HE_INVALID, "label",
			"The label must be %d characters or fewer, on one line",
			RISK_LABEL_MAX);
	return HE_OK;
}

/* The checks of a rule's numbers. */
static int check_numbers(const struct risk_rule *r, struct errinfo *e)
{
	if (r->indicator < 0 || r->indicator >= RI_COUNT)
		return errinfo_set(e, HE_INVALID, "indicator", "Select a known indicator");
	if (r->op < 0 || r->op >= RISK_OP_COUNT)
		return errinfo_set(e, HE_INVALID, "op",
			"Select a comparison: lt, le, gt, ge or eq");
	const struct risk_indicator_info *in = &risk_indicators[r->indicator];
	if (r->value < in->min || r->value > in->max)
		return errinfo_set(e, HE_INVALID, "value",
			"The value for %s must be from %" PRId32 " to %" PRId32,
			in->name, in->min, in->max);
	if (r->points < 0 || r->points > RISK_POINTS_MAX)
		return errinfo_set(e, HE_INVALID, "points",
			"Points must be from 0 to %d", RISK_POINTS_MAX);
	if (r->position < 1 || r->position > RISK_POSITION_MAX)
		return errinfo_set(e, HE_INVALID, "position",
			"Position must be from 1 to %d", RISK_POSITION_MAX);
	return HE_OK;
}

int risk_rule_check(const struct risk_rule *r, struct errinfo *e)
{
	int rc = check_name(r->code, "code", "code", e);
	if (!rc)
		rc = check_label(r->label, e);
	if (!rc)
		rc = check_name(r->grp, "grp", "group", e);
	return rc ? rc : check_numbers(r, e);
}

static int check_bands(int high, int medium, struct errinfo *e)
{
	if (medium < 1 || medium > RISK_BAND_MAX)
		return errinfo_set(e, HE_INVALID, "band_medium",
			"The medium band must start at a score from 1 to %d", RISK_BAND_MAX);
	if (high <= medium || high > RISK_BAND_MAX)
		return errinfo_set(e, HE_INVALID, "band_high",
			"The high band must start at a score above the medium band's (%d) and "
			"no more than %d", medium, RISK_BAND_MAX);
	return HE_OK;
}

/* Sort the rules by position, keeping the order of equal positions
 * (insertion sort: at most RISK_RULES_MAX rules, compiled rarely). */
static void sort_by_position(struct risk_ruleset *rs)
{
	for (int i = 1; i < rs->n; i++) {
		struct risk_rule r = rs->rule[i];
		int k = i;
		for (; k > 0 && rs->rule[k - 1].position > r.position; k--)
			rs->rule[k] = rs->rule[k - 1];
		rs->rule[k] = r;
	}
}

/* Order of enabled rules: by group (first position of the group), then
 * points descending, then position. */
static int live_cmp(const struct risk_ruleset *rs, int a, int b, const int *gfirst)
{
	const struct risk_rule *x = &rs->rule[a], *y = &rs->rule[b];
	if (gfirst[a] != gfirst[b])
		return gfirst[a] - gfirst[b];
	if (x->points != y->points)
		return y->points - x->points;
	return a - b;
}

/* Build rs->ord/next from the (sorted, checked) rules: insertion sort, at
 * most RISK_RULES_MAX entries. */
static void compile_order(struct risk_ruleset *rs)
{
	int gfirst[RISK_RULES_MAX];
	for (int i = 0; i < rs->n; i++) {
		gfirst[i] = i;
		for (int j = 0; j < i; j++)
			if (rs->rule[j].enabled && strcmp(rs->rule[j].grp, rs->rule[i].grp) == 0) {
				gfirst[i] = gfirst[j];
				break;
			}
	}
	rs->nlive = 0;
	for (int i = 0; i < rs->n; i++) {
		if (!rs->rule[i].enabled)
			continue;
		int k = rs->nlive++;
		while (k > 0 && live_cmp(rs, rs->ord[k - 1], i, gfirst) > 0) {
			rs->ord[k] = rs->ord[k - 1];
			k--;
		}
		rs->ord[k] = (uint8_t)i;
	}
	for (int k = rs->nlive - 1; k >= 0; k--) {
		bool last = k == rs->nlive - 1 ||
			gfirst[rs->ord[k + 1]] != gfirst[rs->ord[k]];
		rs->next[k] = (uint8_t)(last ? k + 1 : rs->next[k + 1]);
	}
}

int risk_ruleset_compile(struct risk_ruleset *rs, struct errinfo *e)
{
	rs->compiled = false;
	if (rs->n < 0 || rs->n > RISK_RULES_MAX)
		return errinfo_set(e, HE_INVALID, "code", "A ruleset has at most %d rules",
				   RISK_RULES_MAX);
	for (int i = 0; i < rs->n; i++) {
		struct errinfo inner = {0};
		int rc = risk_rule_check(&rs->rule[i], &inner);
		if (rc)
			return errinfo_set(e, rc, inner.field, "Rule %s: %s",
					   *rs->rule[i].code ? rs->rule[i].code : "without a code",
					   inner.message);
		for (int j = 0; j < i; j++)
			if (strcmp(rs->rule[i].code, rs->rule[j].code) == 0)
				return errinfo_set(e, HE_CONFLICT, "code",
					"Two rules have the code %s", rs->rule[i].code);
	}
	int rc = check_bands(rs->band_high, rs->band_medium, e);
	if (rc)
		return rc;
	sort_by_position(rs);
	compile_order(rs);
	rs->compiled = true;
	return HE_OK;
}

int risk_ruleset_find(const struct risk_ruleset *rs, const char *code)
{
	for (int i = 0; code && i < rs->n; i++)
		if (strcmp(rs->rule[i].code, code) == 0)
			return i;
	return -1;
}

int risk_ruleset_edit(struct risk_ruleset *rs, const char *code,
		      const struct risk_rule *f, struct errinfo *e)
{
	int i = risk_ruleset_find(rs, code);
	if (i < 0)
		return errinfo_set(e, HE_NOT_FOUND, "code", "There is no rule with code %s",
				   code ? code : "");
	/* edit a copy, so that rs is unchanged on any error */
	struct risk_ruleset *t = xmalloc(sizeof *t);
	*t = *rs;
	struct risk_rule *r = &t->rule[i];
	memcpy(r->label, f->label, sizeof r->label);
	memcpy(r->grp, f->grp, sizeof r->grp);
	r->label[RISK_LABEL_MAX] = r->grp[RISK_CODE_MAX] = '\0';
	r->indicator = f->indicator;
	r->op = f->op;
	r->value = f->value;
	r->points = f->points;
	r->enabled = f->enabled;
	r->position = f->position;
	int rc = risk_rule_check(r, e);
	if (!rc)
		rc = risk_ruleset_compile(t, e);
	if (!rc)
		*rs = *t;
	free(t);
	return rc;
}

/* ---- scoring -------------------------------------------------------------- */

/* Does value v satisfy rule r?  Unknown never does. */
static inline bool fires(const struct risk_rule *r, int32_t v)
{
	if (v == RISK_UNKNOWN)
		return false;
	switch (r->op) {
	case RISK_LT: return v < r->value;
	case RISK_LE: return v <= r->value;
	case RISK_GT: return v > r->value;
	case RISK_GE: return v >= r->value;
	default: return v == r->value;
	}
}

void risk_score(const struct risk_ruleset *rs, const struct risk_values *v,
		struct risk_result *out)
{
	int score = 0, nfired = 0;
	uint64_t fired = 0;
	int k = 0;
	while (k < rs->nlive) {
		int i = rs->ord[k];
		const struct risk_rule *r = &rs->rule[i];
		if (fires(r, v->v[r->indicator])) {
			score += r->points;
			fired |= UINT64_C(1) << i;
			nfired++;
			k = rs->next[k];   /* the rest of the group is worth no more */
		} else {
			k++;
		}
	}
	out->score = score;
	out->fired = fired;
	out->nfired = nfired;
	out->band = score >= rs->band_high ? RISK_HIGH
		: score >= rs->band_medium ? RISK_MEDIUM : RISK_LOW;
}

size_t risk_fired_codes(const struct risk_ruleset *rs, uint64_t fired, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < rs->n && fired; i++) {
		if (!(fired & (UINT64_C(1) << i)))
			continue;
		fired &= ~(UINT64_C(1) << i);
		size_t c = strlen(rs->rule[i].code);
		if (len + (len > 0) + c + 1 > n)
			break;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, rs->rule[i].code, c + 1);
		len += c;
	}
	return len;
}

uint64_t risk_fired_parse(const struct risk_ruleset *rs, const char *codes)
{
	uint64_t mask = 0;
	char code[RISK_CODE_MAX + 1];
	while (codes && *codes) {
		size_t n = strcspn(codes, ",");
		if (n <= RISK_CODE_MAX) {
			memcpy(code, codes, n);
			code[n] = '\0';
			int i = risk_ruleset_find(rs, code);
			if (i >= 0)
				mask |= UINT64_C(1) << i;
		}
		codes += n + (codes[n] == ',');
	}
	return mask;
}

void risk_explain(const struct risk_ruleset *rs, uint64_t fired, struct buf *out)
{
	for (int i = 0; i < rs->n; i++)
		if (fired & (UINT64_C(1) << i))
			buf_printf(out, "%s: %d point%s\n", rs->rule[i].label, rs->rule[i].points,
				   rs->rule[i].points == 1 ? "" : "s");
}

/* ---- loading ---------------------------------------------------------------- */

/* One risk_rules row (code, label, indicator, op, value, points, grp,
 * enabled, position) into r; an unknown indicator or op is left as -1
 * for the check to report. */
static void rule_from_row(struct db_stmt *st, struct risk_rule *r)
{
	memset(r, 0, sizeof *r);
	const char *code = db_text(st, 0), *label = db_text(st, 1), *grp = db_text(st, 6);
	snprintf(r->code, sizeof r->code, "%s", code ? code : "");
	snprintf(r->label, sizeof r->label, "%s", label ? label : "");
	snprintf(r->grp, sizeof r->grp, "%s", grp ? grp : "");
	r->indicator = risk_indicator_by_name(db_text(st, 2));
	r->op = risk_op_by_name(db_text(st, 3));
	int64_t v = db_int(st, 4);
	r->value = v < INT32_MIN + 1 ? INT32_MIN + 1 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
	r->points = (int)db_int(st, 5);
	r->enabled = db_int(st, 7) != 0;
	r->position = (int)db_int(st, 8);
}

static int load_rules(struct db *db, struct risk_ruleset *rs, struct errinfo *e)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT code, label, indicator, op, value, points, grp, enabled, position"
		" FROM risk_rules ORDER BY position, id");
	rs->n = 0;
	bool over = false;
	while (db_next(st)) {
		if (rs->n == RISK_RULES_MAX) {
			over = true;
			continue;
		}
		rule_from_row(st, &rs->rule[rs->n++]);
	}
	int rc = db_finalize(st);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (over)
		return errinfo_set(e, HE_INVALID, "code",
			"The risk rules table has more than %d rules", RISK_RULES_MAX);
	return HE_OK;
}

/* Setting key as an integer into *v (left alone when absent). */
static int load_setting(struct db *db, const char *key, int *v, struct errinfo *e)
{
	struct db_stmt *st = db_prepare(db, "SELECT value FROM settings WHERE key = :key");
	db_bind_text(st, ":key", key);
	int bad = 0;
	if (db_next(st)) {
		const char *s = db_text(st, 0);
		char *end = NULL;
		long n = s ? strtol(s, &end, 10) : 0;
		if (!s || !*s || *end || n < 0 || n > RISK_BAND_MAX)
			bad = 1;
		else
			*v = (int)n;
	}
	int rc = db_finalize(st);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (bad)
		return errinfo_set(e, HE_INVALID, key, "Setting %s is not a score from 0 to %d",
				   key, RISK_BAND_MAX);
	return HE_OK;
}

int risk_ruleset_load(struct db *db, struct risk_ruleset *rs, struct errinfo *e)
{
	rs->compiled = false;
	rs->band_high = RISK_BAND_HIGH_DEFAULT;
	rs->band_medium = RISK_BAND_MEDIUM_DEFAULT;
	int rc = load_rules(db, rs, e);
	if (!rc)
		rc = load_setting(db, "risk.band.high", &rs->band_high, e);
	if (!rc)
		rc = load_setting(db, "risk.band.medium", &rs->band_medium, e);
	if (rc)
		return rc;
	struct errinfo inner = {0};
	rc = risk_ruleset_compile(rs, &inner);
	if (rc)
		return errinfo_set(e, rc, inner.field, "Risk rules in the database: %s",
				   inner.message);
	return HE_OK;
}

/* ---- rescoring -------------------------------------------------------------- */

#define RESCORE_BATCH 4096
#define STR_(x) #x
#define STR(x) STR_(x)

struct rescore_row {
	int64_t id;
	struct risk_result res;
};

/* Score rows with id > *after (at most RESCORE_BATCH); the changed ones
 * into rows[*nrows].  Sets *after to the last id read, *nread. */
static int rescore_read(struct db *db, const struct risk_ruleset *rs, int64_t *after,
			struct rescore_row *rows, int *nrows, int *nread)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, risk_score, risk_band, risk_fired, " RISK_SNAPSHOT_COLS
		" FROM pupil_snapshots WHERE id > :after ORDER BY id LIMIT " STR(RESCORE_BATCH));
	db_bind_int(st, ":after", *after);
	char codes[RISK_FIRED_MAX];
	*nrows = *nread = 0;
	while (db_next(st)) {
		struct risk_values v;
		struct rescore_row *r = &rows[*nrows];
		r->id = *after = db_int(st, 0);
		(*nread)++;
		risk_values_from_row(st, 4, &v);
		risk_score(rs, &v, &r->res);
		risk_fired_codes(rs, r->res.fired, codes, sizeof codes);
		const char *band = db_text(st, 2), *fired = db_text(st, 3);
		if (db_int(st, 1) != r->res.score || !band ||
		    strcmp(band, risk_band_name(r->res.band)) != 0 || !fired ||
		    strcmp(fired, codes) != 0)
			(*nrows)++;
	}
	return db_finalize(st);
}

static int rescore_write(struct db *db, const struct risk_ruleset *rs,
			 const struct rescore_row *rows, int nrows)
{
	char codes[RISK_FIRED_MAX];
	for (int i = 0; i < nrows; i++) {
		struct db_stmt *st = db_prepare(db,
			"UPDATE pupil_snapshots SET risk_score = :score, risk_band = :band,"
			" risk_fired = :fired WHERE id = :id");
		risk_fired_codes(rs, rows[i].res.fired, codes, sizeof codes);
		db_bind_int(st, ":score", rows[i].res.score);
		db_bind_text(st, ":band", risk_band_name(rows[i].res.band));
		db_bind_text(st, ":fired", codes);
		db_bind_int(st, ":id", rows[i].id);
		int rc = db_done(st);
		if (rc)
			return rc;
	}
	return HE_OK;
}

/* Rescore every snapshot under the rules now in the database and audit
 * it, in the caller's transaction.  why goes into the audit summary. */
static int rescore_in_tx(struct db *db, const struct audit_who *who, const char *why,
			 struct risk_rescore_stats *stats, struct errinfo *e)
{
	struct risk_ruleset *rs = xmalloc(sizeof *rs);
	struct rescore_row *rows = xmalloc(RESCORE_BATCH * sizeof *rows);
	struct risk_rescore_stats s = {0, 0};
	int64_t after = 0;
	int nrows = 0, nread = 0;
	int rc = risk_ruleset_load(db, rs, e);
	if (rc)
		goto fail;
	do {
		rc = rescore_read(db, rs, &after, rows, &nrows, &nread);
		if (!rc)
			rc = rescore_write(db, rs, rows, nrows);
		if (rc) {
			errinfo_set(e, rc, "", "%s", db_errmsg(db));
			goto fail;
		}
		s.snapshots += nread;
		s.changed += nrows;
	} while (nread == RESCORE_BATCH);
	char summary[200];
	snprintf(summary, sizeof summary,
		 "%s: rescored %" PRId64 " snapshots, %" PRId64 " changed", why,
		 s.snapshots, s.changed);
	rc = audit(db, who, "update", "pupil_snapshots", NULL, summary);
	if (rc)
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (stats)
		*stats = s;
fail:
	free(rows);
	free(rs);
	return rc;
}

/* Commit (rc 0) or roll back the transaction this module opened. */
static int end_tx(struct db *db, int rc, struct errinfo *e)
{
	if (rc) {
		db_rollback(db);
		return rc;
	}
	rc = db_commit(db);
	if (rc)
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return rc;
}

int risk_rescore(struct db *db, const struct audit_who *who,
		 struct risk_rescore_stats *stats, struct errinfo *e)
{
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	rc = rescore_in_tx(db, who, "risk rescore", stats, e);
	return end_tx(db, rc, e);
}

/* ---- editing ---------------------------------------------------------------- */

/* "points 15 -> 20, value 90 -> 85" for what differs between a and b. */
static void rule_diff(const struct risk_rule *a, const struct risk_rule *b, struct buf *out)
{
	const char *sep = "";
#define DIFF_INT(f, name, fmtv) \
	if (a->f != b->f) { buf_printf(out, "%s" name " " fmtv " -> " fmtv, sep, a->f, b->f); sep = ", "; }
#define DIFF_STR(f, name) \
	if (strcmp(a->f, b->f) != 0) { buf_printf(out, "%s" name " changed", sep); sep = ", "; }
	DIFF_STR(label, "label")
	DIFF_STR(grp, "group")
	if (a->indicator != b->indicator) {
		buf_printf(out, "%sindicator %s -> %s", sep, risk_indicators[a->indicator].name,
			   risk_indicators[b->indicator].name);
		sep = ", ";
	}
	if (a->op != b->op) {
		buf_printf(out, "%sop %s -> %s", sep, risk_op_names[a->op], risk_op_names[b->op]);
		sep = ", ";
	}
	DIFF_INT(value, "value", "%" PRId32)
	DIFF_INT(points, "points", "%d")
	DIFF_INT(enabled, "enabled", "%d")
	DIFF_INT(position, "position", "%d")
#undef DIFF_INT
#undef DIFF_STR
	if (!*sep)
		buf_puts(out, "no change");
}

/* Write rule r (by code) to risk_rules; sets *id. */
static int rule_store(struct db *db, const struct risk_rule *r, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE risk_rules SET label = :label, indicator = :indicator, op = :op,"
		" value = :value, points = :points, grp = :grp, enabled = :enabled,"
		" position = :position, updated_at = :now WHERE code = :code RETURNING id");
	db_bind_text(st, ":label", r->label);
	db_bind_text(st, ":indicator", risk_indicators[r->indicator].name);
	db_bind_text(st, ":op", risk_op_names[r->op]);
	db_bind_int(st, ":value", r->value);
	db_bind_int(st, ":points", r->points);
	db_bind_text(st, ":grp", r->grp);
	db_bind_int(st, ":enabled", r->enabled);
	db_bind_int(st, ":position", r->position);
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":code", r->code);
	*id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	return rc ? rc : *id ? HE_OK : HE_NOT_FOUND;
}

/* risk_rule_update inside the transaction. */
static int rule_update_tx(struct db *db, const struct audit_who *who, const char *code,
			  const struct risk_rule *f, struct risk_rescore_stats *stats,
			  struct errinfo *e)
{
	struct risk_ruleset *rs = xmalloc(sizeof *rs);
	struct buf summary;
	buf_init(&summary, 1024);
	int64_t id = 0;
	int rc = risk_ruleset_load(db, rs, e);
	int i = rc ? -1 : risk_ruleset_find(rs, code);
	struct risk_rule old;
	if (i >= 0)
		old = rs->rule[i];
	if (!rc)
		rc = risk_ruleset_edit(rs, code, f, e);
	if (rc)
		goto fail;
	i = risk_ruleset_find(rs, code);
	rc = rule_store(db, &rs->rule[i], &id);
	if (rc) {
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
		goto fail;
	}
	buf_printf(&summary, "risk rule %s: ", code);
	rule_diff(&old, &rs->rule[i], &summary);
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	rc = audit(db, who, "update", "risk_rules", idtext, buf_str(&summary));
	if (rc) {
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
		goto fail;
	}
	buf_reset(&summary);
	buf_printf(&summary, "risk rule %s changed", code);
	rc = rescore_in_tx(db, who, buf_str(&summary), stats, e);
fail:
	buf_free(&summary);
	free(rs);
	return rc;
}

int risk_rule_update(struct db *db, const struct audit_who *who, const char *code,
		     const struct risk_rule *f, struct risk_rescore_stats *stats,
		     struct errinfo *e)
{
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	rc = rule_update_tx(db, who, code, f, stats, e);
	return end_tx(db, rc, e);
}

static int setting_store(struct db *db, const char *key, int value)
{
	char v[16];
	snprintf(v, sizeof v, "%d", value);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO settings (key, value) VALUES (:key, :value)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	db_bind_text(st, ":key", key);
	db_bind_text(st, ":value", v);
	return db_done(st);
}

/* risk_bands_update inside the transaction. */
static int bands_update_tx(struct db *db, const struct audit_who *who, int high, int medium,
			   struct risk_rescore_stats *stats, struct errinfo *e)
{
	struct risk_ruleset *rs = xmalloc(sizeof *rs);
	int rc = risk_ruleset_load(db, rs, e);
	if (!rc)
		rc = check_bands(high, medium, e);
	if (rc)
		goto fail;
	char summary[160];
	snprintf(summary, sizeof summary,
		 "risk bands: high from %d -> %d, medium from %d -> %d",
		 rs->band_high, high, rs->band_medium, medium);
	rc = setting_store(db, "risk.band.high", high);
	if (!rc)
		rc = setting_store(db, "risk.band.medium", medium);
	if (!rc)
		rc = audit(db, who, "update", "settings", "risk.band", summary);
	if (rc) {
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
		goto fail;
	}
	rc = rescore_in_tx(db, who, "risk bands changed", stats, e);
fail:
	free(rs);
	return rc;
}

int risk_bands_update(struct db *db, const struct audit_who *who, int high, int medium,
		      struct risk_rescore_stats *stats, struct errinfo *e)
{
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	rc = bands_update_tx(db, who, high, medium, stats, e);
	return end_tx(db, rc, e);
}

/* ---- preview ---------------------------------------------------------------- */

/* HE_OK if urn is NULL or names a school of the partnership. */
static int check_school(struct db *db, const char *urn, struct errinfo *e)
{
	if (!urn)
		return HE_OK;
	if (!urn_valid(urn))
		return errinfo_set(e, HE_INVALID, "school", "A school's URN is 6 digits, like 120345");
	int64_t id;
	int rc = school_id_by_urn(db, urn, &id);
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, rc, "school", "No school in the partnership has URN %s", urn);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return HE_OK;
}

/* One batch of the latest snapshots (id > *after; latest = 1, see
 * migrations/0010) into out. */
static int preview_batch(struct db *db, const struct risk_ruleset *rs, const char *urn,
			 int64_t *after, int *nread, struct risk_preview *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT s.id, s.risk_band, " RISK_SNAPSHOT_COLS
		" FROM pupil_snapshots s JOIN schools sc ON sc.id = s.school_id"
		" WHERE s.id > :after AND (CAST(:urn AS TEXT) IS NULL OR sc.urn = CAST(:urn AS TEXT))"
		" AND s.latest = 1"
		" ORDER BY s.id LIMIT " STR(RESCORE_BATCH));
	db_bind_int(st, ":after", *after);
	db_bind_text(st, ":urn", urn);
	*nread = 0;
	while (db_next(st)) {
		struct risk_values v;
		struct risk_result r;
		*after = db_int(st, 0);
		(*nread)++;
		int from = risk_band_by_name(db_text(st, 1));
		risk_values_from_row(st, 2, &v);
		risk_score(rs, &v, &r);
		out->total++;
		out->moves[from < 0 ? RISK_LOW : from][r.band]++;
		for (uint64_t f = r.fired; f; f &= f - 1)
			out->fired[__builtin_ctzll(f)]++;
	}
	return db_finalize(st);
}

int risk_preview(struct db *db, const struct risk_ruleset *proposed, const char *urn,
		 struct risk_preview *out, struct errinfo *e)
{
	memset(out, 0, sizeof *out);
	if (!proposed->compiled)
		return errinfo_set(e, HE_INTERNAL, "", "risk_preview: ruleset not compiled");
	int rc = check_school(db, urn, e);
	if (rc)
		return rc;
	int64_t after = 0;
	int nread;
	do {
		rc = preview_batch(db, proposed, urn, &after, &nread, out);
		if (rc)
			return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	} while (nread == RESCORE_BATCH);
	return HE_OK;
}

/* ---- the ranked list -------------------------------------------------------- */

static int check_filter(struct db *db, const struct risk_filter *f, struct errinfo *e)
{
	int rc = check_school(db, f->urn, e);
	if (rc)
		return rc;
	if (f->year != RISK_ANY_YEAR && (f->year < -3 || f->year > 15))
		return errinfo_set(e, HE_INVALID, "year",
			"Year group must be from 0 (Reception) to 14");
	if (f->band < -1 || f->band >= RISK_BAND_COUNT)
		return errinfo_set(e, HE_INVALID, "band", "Band must be high, medium or low");
	if (f->indicator && !code_valid(f->indicator))
		return errinfo_set(e, HE_INVALID, "indicator",
			"Indicator must be a rule code, like persistent_absence");
	if (f->limit < 0 || f->offset < 0)
		return errinfo_set(e, HE_INVALID, "limit", "Limit and offset cannot be negative");
	return HE_OK;
}

/* "%,CODE,%" with LIKE's '_' escaped, for matching one code in risk_fired. */
static void fired_pattern(const char *code, char *out, size_t n)
{
	size_t k = 0;
	out[k++] = '%';
	out[k++] = ',';
	for (; *code && k + 4 < n; code++) {
		if (*code == '_')
			out[k++] = '\\';
		out[k++] = *code;
	}
	out[k++] = ',';
	out[k++] = '%';
	out[k] = '\0';
}

/* s.latest = 1: each pupil's newest extract, marked by the triggers of
 * migrations/0010 (no max(extract_date) per row). */
static const char list_sql[] =
	"SELECT t.pupil_id, t.upn, t.forename, t.surname, t.urn, t.school, t.extract_date,"
	" t.year_group, t.risk_score, t.risk_band, t.risk_fired, t.prev_score FROM ("
	" SELECT p.id AS pupil_id, p.upn, p.forename, p.surname, sc.urn, sc.name AS school,"
	"  s.extract_date, s.year_group, s.risk_score, s.risk_band, s.risk_fired,"
	"  (SELECT q.risk_score FROM pupil_snapshots q WHERE q.pupil_id = s.pupil_id"
	"   AND q.extract_date < s.extract_date ORDER BY q.extract_date DESC LIMIT 1) AS prev_score"
	" FROM pupil_snapshots s JOIN pupils p ON p.id = s.pupil_id"
	" JOIN schools sc ON sc.id = s.school_id"
	" WHERE s.latest = 1"
	"  AND (CAST(:urn AS TEXT) IS NULL OR sc.urn = CAST(:urn AS TEXT))"
	"  AND (CAST(:year AS INTEGER) IS NULL OR s.year_group = CAST(:year AS INTEGER))"
	"  AND (CAST(:band AS TEXT) IS NULL OR s.risk_band = CAST(:band AS TEXT))"
	"  AND (CAST(:pattern AS TEXT) IS NULL"
	"   OR (',' || s.risk_fired || ',') LIKE CAST(:pattern AS TEXT) ESCAPE '\\')"
	") t WHERE (:rising = 0 OR (t.prev_score IS NOT NULL AND t.risk_score > t.prev_score))"
	" ORDER BY t.risk_score DESC, t.surname, t.forename, t.pupil_id"
	" LIMIT :limit OFFSET :offset";

static void list_bind(struct db_stmt *st, const struct risk_filter *f)
{
	char pattern[2 * RISK_CODE_MAX + 8];
	db_bind_text(st, ":urn", f->urn);
	if (f->year == RISK_ANY_YEAR)
		db_bind_null(st, ":year");
	else
		db_bind_int(st, ":year", f->year);
	db_bind_text(st, ":band", f->band < 0 ? NULL : risk_band_name(f->band));
	if (f->indicator)
		fired_pattern(f->indicator, pattern, sizeof pattern);
	db_bind_text(st, ":pattern", f->indicator ? pattern : NULL);
	db_bind_int(st, ":rising", f->rising);
	db_bind_int(st, ":limit", f->limit > 0 ? f->limit : INT32_MAX);
	db_bind_int(st, ":offset", f->offset);
}

static void row_from(struct db_stmt *st, struct arena *a, struct risk_row *r)
{
	r->pupil_id = db_int(st, 0);
	r->upn = arena_strdup(a, db_text(st, 1));
	r->forename = arena_strdup(a, db_text(st, 2));
	r->surname = arena_strdup(a, db_text(st, 3));
	r->urn = arena_strdup(a, db_text(st, 4));
	r->school = arena_strdup(a, db_text(st, 5));
	r->extract_date = arena_strdup(a, db_text(st, 6));
	r->year_group = db_is_null(st, 7) ? RISK_ANY_YEAR : (int)db_int(st, 7);
	r->score = (int)db_int(st, 8);
	r->band = risk_band_by_name(db_text(st, 9));
	if (r->band < 0)
		r->band = RISK_LOW;
	r->fired = arena_strdup(a, db_text(st, 10) ? db_text(st, 10) : "");
	r->has_prev = !db_is_null(st, 11);
	r->prev_score = r->has_prev ? (int)db_int(st, 11) : 0;
	r->rising = r->has_prev && r->score > r->prev_score;
}

/* The audit summary of a list read, into out. */
static void list_summary(const struct risk_filter *f, size_t n, struct buf *out)
{
	buf_puts(out, "risk list ");
	if (f->urn)
		buf_printf(out, "school=%s", f->urn);
	else
		buf_puts(out, "partnership");
	if (f->year != RISK_ANY_YEAR)
		buf_printf(out, " year=%d", f->year);
	if (f->band >= 0)
		buf_printf(out, " band=%s", risk_band_name(f->band));
	if (f->indicator)
		buf_printf(out, " indicator=%s", f->indicator);
	if (f->rising)
		buf_puts(out, " rising");
	buf_printf(out, ": %zu pupil%s", n, n == 1 ? "" : "s");
}

int risk_list(struct db *db, const struct audit_who *who, struct arena *a,
	      const struct risk_filter *f, struct risk_row **out, size_t *n,
	      struct errinfo *e)
{
	*out = NULL;
	*n = 0;
	int rc = check_filter(db, f, e);
	if (rc)
		return rc;
	struct risk_row *rows = NULL;
	size_t count = 0, cap = 0;
	struct db_stmt *st = db_prepare(db, list_sql);
	list_bind(st, f);
	while (db_next(st)) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		row_from(st, a, &rows[count++]);
	}
	rc = db_finalize(st);
	struct buf summary;
	buf_init(&summary, 512);
	list_summary(f, count, &summary);
	if (!rc)
		rc = audit_alone(db, who, "view", "pupils", NULL, buf_str(&summary));
	buf_free(&summary);
	if (rc) {
		free(rows);
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	if (count) {
		*out = arena_alloc(a, count * sizeof *rows);
		memcpy(*out, rows, count * sizeof *rows);
	}
	*n = count;
	free(rows);
	return HE_OK;
}

/* ---- suppression ------------------------------------------------------------ */

const char *risk_suppress(int64_t count, char buf[RISK_SUPPRESS_BUF])
{
	if (count < RISK_SUPPRESS_BELOW)
		return "fewer than " STR(RISK_SUPPRESS_BELOW);
	snprintf(buf, RISK_SUPPRESS_BUF, "%" PRId64, count);
	return buf;
}
