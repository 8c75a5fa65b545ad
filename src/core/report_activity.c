/* report_activity.c — activity by month, caseloads and waits
 * (report_activity.h).
 *
 * Each report is one query.  Activity is a UNION ALL of small grouped
 * counts, each branch giving (measure key, month "YYYY-MM", a second
 * month, count): the live referrals, decisions, closures, step-ups and
 * step-downs, and the history's events, all bound to the same :from and
 * :until (the day after the period, exclusive, so timestamps compare by
 * text and use the date indexes) and, when a school, district or phase is
 * chosen, :school, :district and :phase.  The cases that may be open in
 * the period come once each as spans (opened, ended): their openings,
 * their endings and the count open the day before the period, from which
 * open at month end is carried forward in C.  With nothing filtered a
 * second statement (the same text without the filter and its joins) is
 * used: choosing between two literals, never building SQL.  Waits read
 * the (allocation day, referral day) pairs and compute medians and
 * percentiles in C, where both backends agree.
 *
 * Every branch reads only its period through an index: the decisions by
 * decided_at (the status is wrapped in coalesce so that no planner
 * prefers referrals_status, which would read every year's decisions),
 * step-ups through the partial index case_events_step_up, history cases
 * by the dates history.c keeps on them (migrations/0009).
 *
 * With nothing filtered, for a period of whole months, both read the sums
 * migrations/0016 keeps by month instead (activity_months, wait_months: a
 * few hundred rows for a year), unless a row there is marked irregular
 * (a date or a case the monthly sums cannot answer for exactly); the
 * figures are the same (tests/unit/test_report_activity_kept.c). */
#include "core/report_activity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/date.h"
#include "core/case.h"
#include "core/school.h"
#include "core/worker.h"
#include "store/db.h"

#define MAX_MONTHS 240

/* The filter on the referring school s (joined as "s") and its id column;
 * NOFILTER for the statement used when nothing is filtered, which then
 * also leaves out the joins the filter needs (a third of the time on a
 * county's decade) and binds only :from and :until. */
#define FILTER(col) " AND (:school = 0 OR " col " = :school) AND (:district = 0 OR" \
	" s.district_id = :district) AND (:phase = '' OR s.phase = :phase)"
#define NOFILTER(col) ""
/* The joins from a case to its referral's school (for FILTER). */
#define CASE_SCHOOL " JOIN referrals r ON r.id = c.referral_id LEFT JOIN schools s ON s.id = r.school_id"
#define REF_SCHOOL " LEFT JOIN schools s ON s.id = r.school_id"
#define DOWN_SCHOOL " LEFT JOIN cases c ON c.id = d.stepped_down_from" \
	" LEFT JOIN referrals r ON r.id = c.referral_id LEFT JOIN schools s ON s.id = r.school_id"
#define LIVE_CASES " FROM cases c" CASE_SCHOOL
#define HIST_EVENTS " FROM history_events e JOIN history_cases h ON h.id = e.case_id" \
	" LEFT JOIN schools s ON s.id = h.school_id"
/* A live case's end: its step-up (it is then social care's), else its closure. */
#define CASE_END " CASE WHEN c.status = 'stepped_up' OR c.closure_reason = 'stepped_up' THEN" \
	" coalesce((SELECT min(x.on_date) FROM case_events x WHERE x.case_id = c.id AND" \
	" x.kind = 'step_up'), c.closed_on, c.opened_on) ELSE c.closed_on END"
/* Live cases that may be open in the period (not closed before it: two
 * index ranges on closed_on), with their start and end. */
#define LIVE_SPANS(J, F) " (SELECT c.opened_on AS st," CASE_END " AS en FROM cases c" J \
	" WHERE c.closed_on IS NULL AND c.opened_on < :until" F("r.school_id") \
	" UNION ALL SELECT c.opened_on, " CASE_END " FROM cases c" J \
	" WHERE c.closed_on >= :from AND c.opened_on < :until" F("r.school_id") ") o"
/* History cases that may be open in the period: allocated before :until
 * and not ended (first step-up or closure) before :from, from the dates
 * history.c keeps on each case (two index ranges, not every event). */
#define HIST_CASES " FROM history_cases h LEFT JOIN schools s ON s.id = h.school_id"
#define HIST_SPANS(F) " (SELECT h.allocated_on AS st, CASE WHEN h.ended_on < :until THEN" \
	" h.ended_on END AS en" HIST_CASES " WHERE h.id IN (SELECT h1.id FROM history_cases h1" \
	" WHERE h1.ended_on IS NULL AND h1.allocated_on < :until UNION ALL SELECT h1.id" \
	" FROM history_cases h1 WHERE h1.ended_on >= :from AND h1.allocated_on < :until)" \
	F("h.school_id") ") o"
/* A span's row: "span_b" if open the day before the period (else
 * "span_n"), the month it opened and the month it ended, each '' when
 * outside the period: the openings, the open count carried in and the
 * endings, in one scan. */
#define SPAN_ROW " SELECT CASE WHEN o.st < :from AND (o.en IS NULL OR o.en >= :from) THEN" \
	" 'span_b' ELSE 'span_n' END, CASE WHEN o.st >= :from THEN substr(o.st, 1, 7) ELSE ''" \
	" END, CASE WHEN o.en >= :from AND o.en < :until THEN substr(o.en, 1, 7) ELSE '' END," \
	" count(*) FROM"

/* The whole activity table: rows (key, month, second month, count). */
#define ACTIVITY_SQL(CJ, RJ, DJ, F) \
	/* the phases of the filtered schools: a referral row each, even at 0 */ \
	"SELECT 'phase_' || s.phase, '', '', count(*) FROM schools s WHERE 1 = 1" F("s.id") \
	" GROUP BY s.phase" \
	/* referrals received, by source (and the school's phase) */ \
	" UNION ALL SELECT CASE WHEN r.source = 'school' THEN 'referrals_school_' ||" \
	" coalesce(s.phase, 'unknown') ELSE 'referrals_' || r.source END," \
	" substr(r.received_at, 1, 7), '', count(*) FROM referrals r" REF_SCHOOL \
	" WHERE r.received_at >= :from AND r.received_at < :until" F("r.school_id") \
	" GROUP BY 1, 2" \
	/* screening decisions (a step-up at screening counts as stepped up) */ \
	" UNION ALL SELECT r.status, substr(r.decided_at, 1, 7), '', count(*) FROM referrals r" RJ \
	" WHERE r.decided_at >= :from AND r.decided_at < :until" \
	" AND coalesce(r.status, '') IN ('accepted', 'signposted', 'declined', 'stepped_up')" \
	F("r.school_id") " GROUP BY 1, 2" \
	/* cases closed, by reason */ \
	" UNION ALL SELECT 'closed_' || coalesce(c.closure_reason, 'other')," \
	" substr(c.closed_on, 1, 7), '', count(*) FROM cases c" CJ \
	" WHERE c.closed_on >= :from AND c.closed_on < :until" F("r.school_id") " GROUP BY 1, 2" \
	/* open cases stepped up to children's social care */ \
	" UNION ALL SELECT 'stepped_up', substr(e.on_date, 1, 7), '', count(*) FROM case_events e" \
	" JOIN cases c ON c.id = e.case_id" CJ \
	" WHERE e.kind = 'step_up' AND (c.status = 'stepped_up' OR c.closure_reason = 'stepped_up')" \
	" AND e.on_date >= :from AND e.on_date < :until" F("r.school_id") " GROUP BY 2" \
	/* stepped down to the pool: the step-down referral, counted for the \
	 * school of the case that was stepped down */ \
	" UNION ALL SELECT 'stepped_down', substr(d.received_at, 1, 7), '', count(*)" \
	" FROM referrals d" DJ " WHERE d.source = 'step_down' AND d.received_at >= :from" \
	" AND d.received_at < :until" F("r.school_id") " GROUP BY 2" \
	/* cases opened, open the day before, ended (closed or stepped up) */ \
	" UNION ALL" SPAN_ROW LIVE_SPANS(CJ, F) " GROUP BY 1, 2, 3" \
	/* history: the dated events */ \
	" UNION ALL SELECT CASE WHEN e.kind = 'referred' THEN CASE WHEN e.source = 'school'" \
	" THEN 'referrals_school_' || coalesce(s.phase, 'unknown') ELSE 'referrals_' ||" \
	" coalesce(e.source, 'unknown') END WHEN e.kind = 'closed' THEN 'closed_' ||" \
	" coalesce(e.reason, 'other') WHEN e.kind = 'step_up' THEN 'stepped_up'" \
	" WHEN e.kind = 'step_down' THEN 'stepped_down' ELSE e.kind END," \
	" substr(e.on_date, 1, 7), '', count(*)" HIST_EVENTS \
	" WHERE e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up'," \
	" 'step_down') AND e.on_date >= :from AND e.on_date < :until" F("h.school_id") \
	" GROUP BY 1, 2" \
	/* history: the cases' spans */ \
	" UNION ALL" SPAN_ROW HIST_SPANS(F) " GROUP BY 1, 2, 3"

static const char activity_sql[] = ACTIVITY_SQL(CASE_SCHOOL, REF_SCHOOL, DOWN_SCHOOL, FILTER);
static const char activity_all_sql[] = ACTIVITY_SQL("", "", "", NOFILTER);

/* ---- months ------------------------------------------------------------------ */

static const char *const month_abbr[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	"Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const month_names[] = {"January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December"};

/* The period's months as columns (headings "Apr 2025", keys "2025-04"),
 * plus "Total"/"total" when total; *first: year × 12 + month − 1 of the
 * first month, to place "YYYY-MM" keys. */
struct months {
	size_t n;
	int first;
	const char **cols, **keys;
};

static void months_make(struct arena *a, const struct report_filter *f, bool total,
			struct months *m)
{
	hday first[MAX_MONTHS];
	report_months(f, first, MAX_MONTHS, &m->n);
	size_t nc = m->n + (total ? 1 : 0);
	m->cols = arena_alloc(a, (nc + 1) * sizeof *m->cols);
	m->keys = arena_alloc(a, (nc + 1) * sizeof *m->keys);
	m->first = 0;
	for (size_t i = 0; i < m->n; i++) {
		int y, mo, d;
		date_to_ymd(first[i], &y, &mo, &d);
		if (i == 0)
			m->first = y * 12 + mo - 1;
		m->cols[i] = arena_printf(a, "%s %d", month_abbr[mo - 1], y);
		m->keys[i] = arena_printf(a, "%04d-%02d", y, mo);
	}
	if (total) {
		m->cols[m->n] = "Total";
		m->keys[m->n] = "total";
	}
}

/* The column of "YYYY-MM…", or -1 outside the period. */
static int month_col(const struct months *m, const char *ym)
{
	if (!ym || strlen(ym) < 7 || ym[4] != '-')
		return -1;
	int y = atoi(ym), mo = atoi(ym + 5);
	int i = y * 12 + mo - 1 - m->first;
	return i >= 0 && (size_t)i < m->n ? i : -1;
}

/* The day after f->to, "YYYY-MM-DD". */
static void until_text(const struct report_filter *f, char out[11])
{
	date_format(f->to + 1, out);
}

/* Bind :from and :until, and with places :school, :district and :phase. */
static void bind_filter(struct db_stmt *st, const struct report_filter *f, bool places)
{
	char from[11], to[11];
	date_format(f->from, from);
	until_text(f, to);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":until", to);
	if (!places)
		return;
	db_bind_int(st, ":school", f->school_id);
	db_bind_int(st, ":district", f->district_id);
	db_bind_text(st, ":phase", f->phase);
}

/* ---- activity: the counts ---------------------------------------------------- */

/* The counts by key and month, as read. */
struct count { const char *key; int col; int64_t n; };
struct counts { struct count *v; size_t n, cap; };

static void counts_add(struct arena *a, struct counts *c, const char *key, int col, int64_t n)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct count *v = arena_alloc(a, cap * sizeof *v);
		if (c->n)
			memcpy(v, c->v, c->n * sizeof *v);
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (struct count){arena_strdup(a, key), col, n};
}

static bool filtered(const struct report_filter *f)
{
	return f->school_id || f->district_id || f->phase[0];
}

/* One row of the activity query into the counts: a span row ("span_b",
 * "span_n") is an opening (its first month), an ending (its second) and,
 * for span_b, one open before the period ("open_base"). */
static void activity_row(struct arena *a, const struct months *m, struct counts *out,
			 const char *key, const char *ym, const char *ym2, int64_t n)
{
	int col = ym && *ym ? month_col(m, ym) : -1;
	if (strncmp(key, "span_", 5) == 0) {
		int col2 = ym2 && *ym2 ? month_col(m, ym2) : -1;
		if (col >= 0)
			counts_add(a, out, "opened", col, n);
		if (col2 >= 0)
			counts_add(a, out, "open_out", col2, n);
		if (strcmp(key, "span_b") == 0)
			counts_add(a, out, "open_base", -1, n);
		return;
	}
	if (ym && *ym && col < 0)
		return;
	counts_add(a, out, key, col, n);
}

/* ---- the kept monthly sums (migrations/0016) ----------------------------------- */

bool report_activity_kept = true;

/* The sums with what the transaction has added and not yet folded in
 * (PostgreSQL; always empty on SQLite: migrations/0016.pg.sql). */
#define KEPT_MONTHS " (SELECT month, measure, n FROM activity_months UNION ALL" \
	" SELECT month, measure, n FROM activity_delta WHERE measure <> 'wait')"
#define KEPT_WAITS " (SELECT month, days, n FROM wait_months UNION ALL" \
	" SELECT month, days, n FROM activity_delta WHERE measure = 'wait')"

/* The same rows as ACTIVITY_SQL from the sums, for the months [:from,
 * :until) ("YYYY-MM"): each measure's month counts ("opened" and "ended"
 * as the span rows' first and second month), and the cases open before
 * the period (opened less ended before it) as one span_b row.  Sorted by
 * key, as SQLite's grouping gave the keys no table names. */
static const char activity_kept_sql[] =
	"SELECT 'phase_' || s.phase, '', '', count(*) FROM schools s GROUP BY s.phase"
	" UNION ALL SELECT CASE WHEN a.measure IN ('opened', 'ended') THEN 'span_n' ELSE"
	" a.measure END, CASE WHEN a.measure = 'ended' THEN '' ELSE a.month END,"
	" CASE WHEN a.measure = 'ended' THEN a.month ELSE '' END, CAST(sum(a.n) AS BIGINT)"
	" FROM" KEPT_MONTHS " a WHERE a.month >= :from AND a.month < :until"
	" GROUP BY a.measure, a.month HAVING sum(a.n) <> 0"
	" UNION ALL SELECT 'span_b', '', '', CAST(coalesce(sum(CASE WHEN b.measure = 'opened'"
	" THEN b.n ELSE -b.n END), 0) AS BIGINT) FROM" KEPT_MONTHS " b WHERE b.month > ''"
	" AND b.month < :from AND b.measure IN ('opened', 'ended')"
	" ORDER BY 1, 2, 3";
static const char kept_irregular_sql[] =
	"SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM" KEPT_MONTHS " i"
	" WHERE i.month = '' AND i.measure = 'irregular'";

/* True (with the months [fm, um)) if the kept sums answer for f: nothing
 * filtered, whole months, nothing irregular.  *rc: a database error. */
static bool kept_usable(struct db *db, const struct report_filter *f, const struct months *m,
			char fm[24], char um[24], int *rc)
{
	*rc = HE_OK;
	if (!report_activity_kept || filtered(f) || !m->n)
		return false;
	int y, mo, d, y2, mo2, d2;
	date_to_ymd(f->from, &y, &mo, &d);
	date_to_ymd(f->to + 1, &y2, &mo2, &d2);
	if (d != 1 || d2 != 1 || y < 1000 || y2 > 9999)
		return false;
	/* the month after the last column (report_months stops at 240) */
	int last = m->first + (int)m->n;
	snprintf(fm, 24, "%04d-%02d", y, mo);
	snprintf(um, 24, "%04d-%02d", last / 12, last % 12 + 1);
	struct db_stmt *st = db_prepare(db, kept_irregular_sql);
	int64_t bad = db_next(st) ? db_int(st, 0) : 1;
	*rc = db_finalize(st);
	return *rc == HE_OK && bad == 0;
}

static int activity_read(struct db *db, struct arena *a, const struct report_filter *f,
			 const struct months *m, struct counts *out)
{
	char fm[24], um[24];
	int rc;
	if (kept_usable(db, f, m, fm, um, &rc)) {
		struct db_stmt *st = db_prepare(db, activity_kept_sql);
		db_bind_text(st, ":from", fm);
		db_bind_text(st, ":until", um);
		while (db_next(st))
			if (db_text(st, 0))
				activity_row(a, m, out, db_text(st, 0), db_text(st, 1),
					     db_text(st, 2), db_int(st, 3));
		return db_finalize(st);
	}
	if (rc)
		return rc;
	bool filt = filtered(f);
	struct db_stmt *st = db_prepare(db, filt ? activity_sql : activity_all_sql);
	bind_filter(st, f, filt);
	while (db_next(st))
		if (db_text(st, 0))
			activity_row(a, m, out, db_text(st, 0), db_text(st, 1), db_text(st, 2),
				     db_int(st, 3));
	return db_finalize(st);
}

/* Σ of key's counts into v (per month; col −1 counts go to *whole). */
static bool counts_sum(const struct counts *c, const char *key, int64_t *v, int64_t *whole)
{
	bool any = false;
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].key, key) != 0)
			continue;
		any = true;
		if (c->v[i].col >= 0 && v)
			v[c->v[i].col] += c->v[i].n;
		else if (c->v[i].col < 0 && whole)
			*whole += c->v[i].n;
	}
	return any;
}

static bool counts_has(const struct counts *c, const char *key)
{
	return counts_sum(c, key, NULL, NULL);
}

/* ---- activity: the table ----------------------------------------------------- */

struct act {
	struct arena *a;
	struct rtable *t;
	const struct months *m;
	const struct counts *c;
};

/* A count row from key (summing the months into the total column). */
static int64_t *count_row(struct act *x, const char *key, const char *label, int indent)
{
	int64_t *v = rtable_row(x->a, x->t, key, label, RC_COUNT, indent);
	counts_sum(x->c, key, v, NULL);
	for (size_t i = 0; i < x->m->n; i++)
		v[x->m->n] += v[i];
	return v;
}

static void add_into(const struct months *m, int64_t *sum, const int64_t *v)
{
	for (size_t i = 0; i <= m->n; i++)
		sum[i] += v[i];
}

static const char *const other_sources[][2] = {
	{"referrals_agency", "Other agencies"},
	{"referrals_step_down", "Step-down from children's social care"},
	{"referrals_self", "Families referring themselves"},
};

/* True if key is one of the rows the table names itself. */
static bool known_referral_key(const char *key)
{
	for (size_t i = 0; i < 3; i++)
		if (strcmp(key, other_sources[i][0]) == 0)
			return true;
	for (size_t i = 0; school_phases[i]; i++)
		if (strncmp(key, "referrals_school_", 17) == 0 && strcmp(key + 17, school_phases[i]) == 0)
			return true;
	return false;
}

/* "referrals" and its breakdown: each phase of the filtered schools (in
 * school_phases order, or with referrals from it), the other sources, and
 * any history source not known. */
static void referral_rows(struct act *x)
{
	int64_t *total = rtable_row(x->a, x->t, "referrals", "Referrals received", RC_COUNT, 0);
	char key[64];
	for (size_t i = 0; school_phases[i]; i++) {
		const char *p = school_phases[i];
		snprintf(key, sizeof key, "referrals_school_%s", p);
		char pk[32];
		snprintf(pk, sizeof pk, "phase_%s", p);
		if (!counts_has(x->c, pk) && !counts_has(x->c, key))
			continue;
		add_into(x->m, total, count_row(x, arena_strdup(x->a, key), arena_printf(x->a,
			 "Schools: %s", school_phase_title(p)), 1));
	}
	for (size_t i = 0; i < 3; i++)
		add_into(x->m, total, count_row(x, other_sources[i][0], other_sources[i][1], 1));
	for (size_t i = 0; i < x->c->n; i++) {
		const char *k = x->c->v[i].key;
		if (strncmp(k, "referrals_", 10) != 0 || known_referral_key(k) ||
		    rtable_find(x->t, k))
			continue;
		bool school = strncmp(k, "referrals_school_", 17) == 0;
		add_into(x->m, total, count_row(x, k, school ? "Schools: school not recorded"
					       : "Source not recorded", 1));
	}
}

static void closed_rows(struct act *x)
{
	int64_t *total = rtable_row(x->a, x->t, "closed", "Cases closed", RC_COUNT, 0);
	for (size_t i = 0; case_closure_reasons[i].code; i++) {
		const char *key = arena_printf(x->a, "closed_%s", case_closure_reasons[i].code);
		add_into(x->m, total, count_row(x, key, arena_printf(x->a, "Closed: %s",
			 case_closure_reasons[i].title), 1));
	}
}

/* Open at month end: carried forward from the day before the period. */
static void open_row(struct act *x, const int64_t *opened)
{
	int64_t base = 0;
	int64_t *out = arena_alloc(x->a, (x->m->n + 1) * sizeof *out);
	counts_sum(x->c, "open_base", NULL, &base);
	counts_sum(x->c, "open_out", out, NULL);
	int64_t *v = rtable_row(x->a, x->t, "open_month_end", "Cases open at month end", RC_COUNT, 0);
	int64_t now = base;
	for (size_t i = 0; i < x->m->n; i++) {
		now += opened[i] - out[i];
		v[i] = now;
	}
	v[x->m->n] = x->m->n ? v[x->m->n - 1] : base;
}

int report_activity(struct db *db, struct arena *a, const struct report_filter *f,
		    struct rtable **out)
{
	struct months m;
	struct counts c = {0};
	months_make(a, f, true, &m);
	int rc = activity_read(db, a, f, &m, &c);
	if (rc)
		return rc;
	struct rtable *t = rtable_new(a, "activity", "Activity by month",
		"Referrals received and decided, cases opened, closed, stepped down to the pool and"
		" stepped up to children's social care in each month, with the cases open at each"
		" month's end (its Total is the last month's figure, not a sum); cases from before"
		" Hearth are included.", "Measure", m.n + 1, m.cols, m.keys, true);
	struct act x = {a, t, &m, &c};
	referral_rows(&x);
	count_row(&x, "accepted", "Accepted", 0);
	count_row(&x, "signposted", "Signposted elsewhere", 0);
	count_row(&x, "declined", "Declined", 0);
	int64_t *opened = count_row(&x, "opened", "Cases opened (allocated to a worker)", 0);
	closed_rows(&x);
	count_row(&x, "stepped_down", "Stepped down to the pool from children's social care", 0);
	count_row(&x, "stepped_up", "Stepped up to children's social care (safeguarding)", 0);
	open_row(&x, opened);
	t->chart_row = "referrals";
	*out = t;
	return HE_OK;
}

/* ---- caseloads ------------------------------------------------------------------ */

/* A case open at the end of :at, not stepped up by then. */
#define OPEN_AT " AND c.opened_on <= :at AND NOT ((c.status = 'stepped_up' OR" \
	" c.closure_reason = 'stepped_up') AND EXISTS (SELECT 1 FROM case_events x" \
	" WHERE x.case_id = c.id AND x.kind = 'step_up' AND x.on_date <= :at))"
/* The open cases are counted per worker before the join to workers (not
 * joined row by row and grouped after: a third of the time on a county). */
#define CASELOADS_SQL(J, F) \
	"SELECT w.id, w.name, w.max_caseload, w.active, coalesce(o.n, 0), coalesce(o.s, 0)," \
	" w.employer, w.kind FROM workers w LEFT JOIN (SELECT u.worker_id, count(u.intensity) AS n," \
	" sum(u.intensity) AS s FROM (SELECT c.worker_id, c.intensity" \
	" FROM cases c" J " WHERE c.closed_on IS NULL" OPEN_AT F("r.school_id") \
	" UNION ALL SELECT c.worker_id, c.intensity FROM cases c" J " WHERE c.closed_on > :at" \
	OPEN_AT F("r.school_id") ") u GROUP BY u.worker_id) o ON o.worker_id = w.id" \
	" ORDER BY w.name, w.id"

static const char caseloads_sql[] = CASELOADS_SQL(CASE_SCHOOL, FILTER);
static const char caseloads_all_sql[] = CASELOADS_SQL("", NOFILTER);

/* weighted ÷ capacity in permille, rounded half up; RC_NONE without capacity. */
static int64_t permille(int64_t part, int64_t whole)
{
	return whole > 0 ? (part * 1000 + whole / 2) / whole : RC_NONE;
}

/* The workers read: a row each, then "All workers". */
struct load {
	const char *key, *name, *detail;   /* detail: "Employer, role" (NULL: not shown) */
	int64_t open, weighted, capacity;
};
struct loads {
	size_t n, cap;
	struct load *v;
};

static void loads_add(struct loads *l, struct load w)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = w;
}

/* The workers with their loads as at at (suppressing: not named). */
static int loads_read(struct db *db, struct arena *a, const struct report_filter *f, hday at,
		      struct loads *l)
{
	int dflt = 18;
	int rc = worker_default_max(db, &dflt);
	if (rc)
		return rc;
	char atx[11];
	date_format(at, atx);
	bool filt = filtered(f);
	struct db_stmt *st = db_prepare(db, filt ? caseloads_sql : caseloads_all_sql);
	db_bind_text(st, ":at", atx);
	if (filt) {
		db_bind_int(st, ":school", f->school_id);
		db_bind_int(st, ":district", f->district_id);
		db_bind_text(st, ":phase", f->phase);
	}
	struct load sum = {"total", "All workers", NULL, 0, 0, 0};
	while (db_next(st)) {
		struct load w = {NULL, NULL, NULL, db_int(st, 4), db_int(st, 5), 0};
		if (w.open == 0 && (filtered(f) || !db_int(st, 3)))
			continue;
		w.capacity = 2 * (db_is_null(st, 2) ? dflt : db_int(st, 2));
		size_t k = l->n + 1;
		if (f->suppress) {
			w.key = arena_printf(a, "worker_%zu", k);
			w.name = arena_printf(a, "Worker %zu", k);
		} else {
			w.key = arena_printf(a, "worker_%lld", (long long)db_int(st, 0));
			w.name = arena_strdup(a, db_text(st, 1));
			const char *role = worker_kind_title(db_text(st, 7));
			w.detail = arena_printf(a, "%s, %s", db_text(st, 6), role ? role : db_text(st, 7));
		}
		loads_add(l, w);
		sum.open += w.open;
		sum.weighted += w.weighted;
		sum.capacity += w.capacity;
	}
	rc = db_finalize(st);
	if (!f->suppress)
		sum.detail = "";
	loads_add(l, sum);
	return rc;
}

int report_caseloads(struct db *db, struct arena *a, const struct report_filter *f,
		     struct rtable **out)
{
	static const char *const cols[] = {"Open cases", "Weighted caseload",
		"Capacity (weighted places)", "Share of capacity used"};
	static const char *const keys[] = {"open_cases", "weighted", "capacity",
		"percent_of_capacity"};
	static const enum rcell kinds[] = {RC_COUNT, RC_COUNT, RC_COUNT, RC_PERMILLE};
	struct loads l = {0};
	hday at = f->to < date_today() ? f->to : date_today();
	int rc = loads_read(db, a, f, at, &l);
	if (rc) {
		free(l.v);
		return rc;
	}
	int y, mo, d;
	date_to_ymd(at, &y, &mo, &d);
	struct rtable *t = rtable_new(a, "caseloads", "Caseloads", arena_printf(a,
		"Each worker's open cases on %d %s %d, weighted by intensity (1 light, 2 standard,"
		" 3 intensive), against their capacity in weighted places (twice their maximum"
		" caseload)%s.", d, month_names[mo - 1], y, filtered(f) ? "; only the cases referred from the schools"
		" chosen" : ""), "Worker", 4, cols, keys, false);
	t->col_kinds = kinds;
	t->detail_head = f->suppress ? NULL : "Employer and role";
	for (size_t i = 0; i < l.n; i++) {
		const struct load *w = &l.v[i];
		bool small = f->suppress && w->open > 0 && w->open < REPORT_SUPPRESS_BELOW;
		int64_t *v = rtable_row(a, t, w->key, w->name, RC_COUNT, 0);
		t->rows[t->nrows - 1].detail = w->detail;
		v[0] = w->open;
		v[1] = small ? RC_SMALL_BASE : w->weighted;
		v[2] = w->capacity;
		v[3] = small ? RC_SMALL_BASE : permille(w->weighted, w->capacity);
	}
	free(l.v);
	/* no chart: a bar per worker cannot carry forty names legibly */
	*out = t;
	return HE_OK;
}

/* ---- waits ------------------------------------------------------------------------ */

static const char waits_sql[] =
	"SELECT c.opened_on, substr(r.received_at, 1, 10)" LIVE_CASES
	" WHERE c.opened_on >= :from AND c.opened_on < :until" FILTER("r.school_id")
	" UNION ALL SELECT h.allocated_on, h.referred_on" HIST_CASES
	" WHERE h.allocated_on >= :from AND h.allocated_on < :until AND h.referred_on < :until"
	FILTER("h.school_id");

int64_t report_activity_median(const int64_t *sorted, size_t n)
{
	if (n < REPORT_SUPPRESS_BELOW)
		return RC_SMALL_BASE;
	if (n % 2)
		return sorted[n / 2];
	return (sorted[n / 2 - 1] + sorted[n / 2] + 1) / 2;
}

int64_t report_activity_percentile(const int64_t *sorted, size_t n, int p)
{
	if (n < REPORT_SUPPRESS_BELOW)
		return RC_SMALL_BASE;
	size_t rank = ((size_t)p * n + 99) / 100;   /* ⌈p·n/100⌉, 1-based */
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* The waits read, each as (month column << 32 | days), so that one sort
 * leaves every month's waits together and in order. */
struct waits { int64_t *v; size_t n, cap; };

#define WAIT_DAYS(x) ((x) & 0xffffffff)
#define WAIT_COL(x) ((int)((x) >> 32))

static void waits_add(struct waits *w, int64_t days, int col)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->v = xrealloc(w->v, w->cap * sizeof *w->v);
	}
	if (days > 0x7fffffff)
		days = 0x7fffffff;
	w->v[w->n++] = (int64_t)col << 32 | days;
}

/* The kept histogram: each month's waits in order (rows sorted by month,
 * then days), so that w needs no sort. */
static const char waits_kept_sql[] =
	"SELECT w.month, w.days, CAST(sum(w.n) AS BIGINT) FROM" KEPT_WAITS " w"
	" WHERE w.month >= :from AND w.month < :until GROUP BY w.month, w.days"
	" HAVING sum(w.n) > 0 ORDER BY w.month, w.days";

static int waits_read(struct db *db, const struct report_filter *f, const struct months *m,
		      struct waits *w)
{
	char fm[24], um[24];
	int rc;
	if (kept_usable(db, f, m, fm, um, &rc)) {
		struct db_stmt *st = db_prepare(db, waits_kept_sql);
		db_bind_text(st, ":from", fm);
		db_bind_text(st, ":until", um);
		while (db_next(st)) {
			int col = month_col(m, db_text(st, 0));
			int64_t days = db_int(st, 1), n = db_int(st, 2);
			for (int64_t i = 0; col >= 0 && i < n; i++)
				waits_add(w, days, col);
		}
		return db_finalize(st);
	}
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, waits_sql);
	bind_filter(st, f, true);
	while (db_next(st)) {
		hday on, rf;
		int col = month_col(m, db_text(st, 0));
		if (col < 0 || !date_parse(db_text(st, 0), &on) || !date_parse(db_text(st, 1), &rf))
			continue;
		waits_add(w, on > rf ? on - rf : 0, col);
	}
	rc = db_finalize(st);
	if (w->n)
		qsort(w->v, w->n, sizeof *w->v, cmp_i64);
	return rc;
}

/* The three figures of n sorted waits into column out. */
static void waits_figures(const int64_t *days, size_t n, int64_t *v[3], size_t out)
{
	v[0][out] = (int64_t)n;
	v[1][out] = report_activity_median(days, n);
	v[2][out] = report_activity_percentile(days, n, 90);
}

/* Sort n waits (0 ≤ days ≤ 0x7fffffff): by counting when the longest is
 * short beside n (a decade's ~270,000 waits of at most a few hundred
 * days: a tenth of qsort's time), else qsort. */
static void sort_days(int64_t *days, size_t n)
{
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (days[i] > max)
			max = days[i];
	if (n < 64 || (uint64_t)max > 4 * (uint64_t)n + 4096) {
		if (n)
			qsort(days, n, sizeof *days, cmp_i64);
		return;
	}
	size_t *count = xcalloc((size_t)max + 1, sizeof *count);
	for (size_t i = 0; i < n; i++)
		count[days[i]]++;
	size_t at = 0;
	for (int64_t d = 0; d <= max; d++)
		for (size_t k = 0; k < count[d]; k++)
			days[at++] = d;
	free(count);
}

/* Every month's figures, and the whole period's. */
static void waits_table(const struct waits *w, size_t months, int64_t *v[3])
{
	int64_t *days = xmalloc((w->n ? w->n : 1) * sizeof *days);
	for (size_t i = 0; i < w->n; i++)
		days[i] = WAIT_DAYS(w->v[i]);
	size_t at = 0;
	for (size_t c = 0; c < months; c++) {
		size_t end = at;
		while (end < w->n && WAIT_COL(w->v[end]) == (int)c)
			end++;
		waits_figures(days + at, end - at, v, c);
		at = end;
	}
	sort_days(days, w->n);
	waits_figures(days, w->n, v, months);
	free(days);
}

int report_waits(struct db *db, struct arena *a, const struct report_filter *f,
		 struct rtable **out)
{
	struct months m;
	struct waits w = {0};
	months_make(a, f, true, &m);
	int rc = waits_read(db, f, &m, &w);
	if (rc) {
		free(w.v);
		return rc;
	}
	struct rtable *t = rtable_new(a, "waits", "Waits from referral to allocation",
		"Days from the day a referral was received to the day its case was opened (a worker"
		" allocated), for the cases opened in each month, cases from before Hearth included;"
		" a median or 90th percentile of fewer than 5 cases is not shown.", "Measure",
		m.n + 1, m.cols, m.keys, true);
	int64_t *v[3];
	v[0] = rtable_row(a, t, "allocated", "Cases allocated", RC_COUNT, 0);
	v[1] = rtable_row(a, t, "median_days", "Median days to allocation", RC_DAYS, 0);
	v[2] = rtable_row(a, t, "p90_days", "90th percentile days to allocation", RC_DAYS, 0);
	waits_table(&w, m.n, v);
	free(w.v);
	t->chart_row = "median_days";
	*out = t;
	return HE_OK;
}
