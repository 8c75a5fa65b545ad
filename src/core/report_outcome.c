/* report_outcome.c — outcomes of closed cases and the distance travelled
 * (see report_outcome.h for every definition).
 *
 * The outcomes section is two set-wise queries, whatever the number of
 * cases: one reads a row per closed case and child (live and history
 * together, with the family's next referral and the child's latest
 * destination as correlated look-ups on indexed columns), the other the
 * census snapshots of those children in pupil and date order.  The term
 * before referral needs the school calendar (Easter), so the pairing of a
 * child's snapshots is done here in C by binary search, not in SQL.
 * Without a filter it reads instead what migration 0018 keeps by trigger
 * (outcome_rows: each closure with its family's next referral, and each of
 * its children's referral day, term, "before" snapshot and latest
 * destination; outcome_after: each child's latest snapshot), one range by
 * closing day, with the same counting.  The
 * distance section reads the sums that migration 0013's triggers keep by
 * closing day and domain (distance_days) when no filter is set, else one
 * query of first and latest scores, averaged here. */
#include "core/report_outcome.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "core/destination.h"
#include "store/db.h"

/* ---- shared pieces ------------------------------------------------------------ */

/* A case's schools (the referrer's and its children's) pass the filter;
 * r is the case's referral.  Every filter parameter is bound. */
#define CASE_FILTER \
	" AND ((:school = 0 AND :district = 0 AND :phase = '') OR EXISTS (SELECT 1 FROM schools s" \
	"  WHERE (s.id = r.school_id OR s.id IN (SELECT x.school_id FROM referral_pupils x" \
	"  WHERE x.referral_id = r.id)) AND (:school = 0 OR s.id = :school)" \
	"  AND (:district = 0 OR s.district_id = :district) AND (:phase = '' OR s.phase = :phase)))"

/* School sc passes the filter (sc may be NULL-joined: then only without one). */
#define SCHOOL_OK(sc) \
	"(:school = 0 OR " sc ".id = :school) AND (:district = 0 OR " sc ".district_id = :district)" \
	" AND (:phase = '' OR " sc ".phase = :phase)"

static void bind_filter(struct db_stmt *st, const struct report_filter *f, bool schools)
{
	char from[11], to[11];
	date_format(f->from, from);
	date_format(f->to, to);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":to", to);
	if (!schools)
		return;
	db_bind_int(st, ":school", f->school_id);
	db_bind_int(st, ":district", f->district_id);
	db_bind_text(st, ":phase", f->phase);
}

/* a / n rounded half away from zero (n > 0). */
static int64_t div_round(int64_t a, int64_t n)
{
	return a >= 0 ? (2 * a + n) / (2 * n) : -((-2 * a + n) / (2 * n));
}

/* The value of a derived figure over base cases: RC_NONE without any,
 * RC_SMALL_BASE under 5 when suppressing, else v. */
static int64_t derived(const struct report_filter *f, int64_t base, int64_t v)
{
	if (base <= 0)
		return RC_NONE;
	if (f->suppress && base < REPORT_SUPPRESS_BELOW)
		return RC_SMALL_BASE;
	return v;
}

static int cmp_text(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static size_t distinct_i64(int64_t *v, size_t n)
{
	size_t k = 0;
	qsort(v, n, sizeof *v, cmp_i64);
	for (size_t i = 0; i < n; i++)
		k += i == 0 || v[i] != v[i - 1];
	return k;
}

hday report_outcome_term_start(hday day)
{
	int y, m, d;
	hday first, last;
	date_to_ymd(day, &y, &m, &d);
	int start_year = m >= 9 ? y : y - 1;
	term_bounds(start_year, term_of(day), &first, &last);
	return first;
}

/* day + 6 calendar months (the 31st becomes the month's last day). */
static hday six_months_after(hday day)
{
	int y, m, d;
	date_to_ymd(day, &y, &m, &d);
	m += 6;
	if (m > 12) {
		m -= 12;
		y++;
	}
	while (d > 28 && !date_valid(y, m, d))
		d--;
	return date_from_ymd(y, m, d);
}

/* ---- the outcomes: reading ---------------------------------------------------------- */

static const char rows_sql[] =
	"SELECT 'L', c.id, 'L:' || CAST(c.family_id AS TEXT), coalesce(c.closure_reason, ''),"
	" c.closed_on, substr(r.received_at, 1, 10),"
	" CASE WHEN c.closure_reason = 'outcomes_met' THEN (SELECT min(substr(r2.received_at, 1, 10))"
	"  FROM referrals r2 WHERE r2.family_id = c.family_id AND r2.id <> r.id"
	"  AND r2.received_at > r.received_at AND substr(r2.received_at, 1, 10) >= c.closed_on) END,"
	" rp.pupil_id,"
	" CASE WHEN rp.pupil_id IS NOT NULL AND " SCHOOL_OK("ps") " THEN 1 ELSE 0 END,"
	" (SELECT d.destination FROM destinations d WHERE d.pupil_id = rp.pupil_id"
	"  ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1)"
	" FROM cases c JOIN referrals r ON r.id = c.referral_id"
	" LEFT JOIN referral_pupils rp ON rp.referral_id = r.id"
	" LEFT JOIN schools ps ON ps.id = rp.school_id"
	" WHERE c.status = 'closed' AND c.closed_on >= :from AND c.closed_on <= :to" CASE_FILTER
	" UNION ALL "
	"SELECT 'H', hc.id, 'H:' || hc.family_ref, coalesce(e.reason, ''), e.on_date,"
	" hc.referred_on,"   /* a history case has one referral: history.c keeps its date */
	" CASE WHEN e.reason = 'outcomes_met' THEN (SELECT min(h2.referred_on) FROM history_cases h2"
	"  WHERE h2.family_ref = hc.family_ref AND h2.id <> hc.id"
	"  AND h2.referred_on >= e.on_date) END,"
	" hc.pupil_id,"
	" CASE WHEN hc.pupil_id IS NOT NULL AND " SCHOOL_OK("hs") " THEN 1 ELSE 0 END,"
	" (SELECT d.destination FROM destinations d WHERE d.pupil_id = hc.pupil_id"
	"  ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1)"
	" FROM history_events e JOIN history_cases hc ON hc.id = e.case_id"
	" LEFT JOIN pupils hp ON hp.id = hc.pupil_id"
	" LEFT JOIN schools hs ON hs.id = coalesce(hc.school_id, hp.school_id)"
	" WHERE e.kind = 'closed' AND e.on_date >= :from AND e.on_date <= :to"
	" AND ((:school = 0 AND :district = 0 AND :phase = '') OR (hs.id IS NOT NULL AND "
	SCHOOL_OK("hs") "))"
	" ORDER BY 1, 2";

static const char snaps_sql[] =
	"SELECT ps.pupil_id, ps.extract_date, ps.sessions_possible, ps.sessions_attended,"
	" ps.suspensions, ps.below_expected FROM pupil_snapshots ps WHERE ps.pupil_id IN ("
	" SELECT rp.pupil_id FROM cases c JOIN referral_pupils rp ON rp.referral_id = c.referral_id"
	"  WHERE c.status = 'closed' AND c.closed_on >= :from AND c.closed_on <= :to"
	" UNION SELECT hc.pupil_id FROM history_events e JOIN history_cases hc ON hc.id = e.case_id"
	"  WHERE e.kind = 'closed' AND e.on_date >= :from AND e.on_date <= :to"
	"  AND hc.pupil_id IS NOT NULL)"
	" ORDER BY ps.pupil_id, ps.extract_date";

/* Without a filter, the rows migration 0018 keeps in outcome_rows for the
 * closures in the period: a closure's own row (pupil 0) with the family's
 * next referral day, and a row per child with the child's latest
 * destination and "before" snapshot, and the child's latest ("after")
 * snapshot from outcome_after, in place of rows_sql's joins, look-ups and
 * every child's snapshots. */
static const char kept_sql[] =
	"SELECT k.src, k.case_id, k.pupil_id, k.family_id, k.family_ref, k.reason, k.closed_on,"
	" CASE WHEN k.reason = 'outcomes_met' THEN k.next_ref END,"
	" k.dest,"
	" CASE WHEN k.b_date IS NOT NULL AND a.a_date >= k.ref THEN 1 ELSE 0 END, k.ev,"
	" k.b_possible, k.b_attended, k.b_suspensions, k.b_below,"
	" a.a_possible, a.a_attended, a.a_suspensions, a.a_below"
	" FROM outcome_rows k LEFT JOIN outcome_after a ON a.pupil_id = k.pupil_id"
	" WHERE k.closed_on >= :from AND k.closed_on <= :to";

/* One closed case and one of its children (pupil_id 0: none). */
struct orow {
	char src;
	int64_t case_id, pupil_id;
	const char *family, *reason, *closed_on, *referred_on, *next_ref, *destination;
	bool pupil_ok;
};

struct snap {
	int64_t pupil_id;
	hday on;
	int64_t possible, attended, suspensions, below;   /* -1: not given */
};

static int64_t int_or(struct db_stmt *st, int col)
{
	return db_is_null(st, col) ? -1 : db_int(st, col);
}

static int read_rows(struct db *db, struct arena *a, const struct report_filter *f,
		     struct orow **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, rows_sql);
	bind_filter(st, f, true);
	size_t cap = 64;
	struct orow *v = xcalloc(cap, sizeof *v);
	*n = 0;
	while (db_next(st)) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		struct orow *o = &v[(*n)++];
		o->src = db_text(st, 0)[0];
		o->case_id = db_int(st, 1);
		o->family = arena_strdup(a, db_text(st, 2));
		o->reason = arena_strdup(a, db_text(st, 3));
		o->closed_on = arena_strdup(a, db_text(st, 4));
		o->referred_on = arena_strdup(a, db_text(st, 5));
		o->next_ref = arena_strdup(a, db_text(st, 6));
		o->pupil_id = db_is_null(st, 7) ? 0 : db_int(st, 7);
		o->pupil_ok = db_int(st, 8) == 1;
		o->destination = arena_strdup(a, db_text(st, 9));
	}
	int rc = db_finalize(st);
	*out = arena_alloc(a, (*n ? *n : 1) * sizeof **out);
	memcpy(*out, v, *n * sizeof *v);
	free(v);
	return rc;
}

static int read_snaps(struct db *db, const struct report_filter *f, struct snap **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, snaps_sql);
	bind_filter(st, f, false);
	size_t cap = 64;
	struct snap *v = xcalloc(cap, sizeof *v);
	*n = 0;
	while (db_next(st)) {
		hday on;
		if (!date_parse(db_text(st, 1), &on))
			continue;
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		struct snap *s = &v[(*n)++];
		s->pupil_id = db_int(st, 0);
		s->on = on;
		s->possible = int_or(st, 2);
		s->attended = int_or(st, 3);
		s->suspensions = int_or(st, 4);
		s->below = int_or(st, 5);
	}
	*out = v;
	return db_finalize(st);
}

/* ---- the outcomes: counting --------------------------------------------------------- */

struct tally {
	int64_t cases, families, met, stabilised;
	int64_t att_n, sus_n, below_n;
	double att_before, att_after;           /* sums of rates ×1000 */
	int64_t suspended[2], suspensions[2], below[2];
	int64_t dest[6];                        /* by destination_codes order; [5] all */
};

/* The first snapshot of pupil (snaps sorted by pupil, date), or n. */
static size_t snaps_first(const struct snap *v, size_t n, int64_t pupil)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].pupil_id < pupil)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The child's before and after snapshots for a referral on referred, or false. */
static bool pair(const struct snap *v, size_t n, int64_t pupil, const char *referred,
		 const struct snap **before, const struct snap **after)
{
	hday ref;
	if (!referred || !date_parse(referred, &ref))
		return false;
	hday term = report_outcome_term_start(ref);
	*before = *after = NULL;
	for (size_t i = snaps_first(v, n, pupil); i < n && v[i].pupil_id == pupil; i++) {
		if (v[i].on < term)
			*before = &v[i];
		*after = &v[i];
	}
	return *before && *after && (*after)->on >= ref;
}

static void count_pair(struct tally *t, const struct snap *b, const struct snap *l)
{
	if (b->possible > 0 && l->possible > 0 && b->attended >= 0 && l->attended >= 0) {
		t->att_n++;
		t->att_before += 1000.0 * (double)b->attended / (double)b->possible;
		t->att_after += 1000.0 * (double)l->attended / (double)l->possible;
	}
	if (b->suspensions >= 0 && l->suspensions >= 0) {
		t->sus_n++;
		t->suspended[0] += b->suspensions > 0;
		t->suspended[1] += l->suspensions > 0;
		t->suspensions[0] += b->suspensions;
		t->suspensions[1] += l->suspensions;
	}
	if (b->below >= 0 && l->below >= 0) {
		t->below_n++;
		t->below[0] += b->below > 0;
		t->below[1] += l->below > 0;
	}
}

static bool stabilised(const struct orow *o)
{
	hday closed, next;
	if (strcmp(o->reason, "outcomes_met") != 0)
		return false;
	if (!o->next_ref || !date_parse(o->next_ref, &next) || !date_parse(o->closed_on, &closed))
		return true;
	return next > six_months_after(closed);
}

/* Cases, families and stabilised: once per case. */
static void count_cases(struct tally *t, const struct orow *rows, size_t n)
{
	const char **fam = xcalloc(n ? n : 1, sizeof *fam);
	size_t nf = 0;
	for (size_t i = 0; i < n; i++) {
		const struct orow *o = &rows[i];
		if (i > 0 && o->src == rows[i - 1].src && o->case_id == rows[i - 1].case_id)
			continue;
		t->cases++;
		t->met += strcmp(o->reason, "outcomes_met") == 0;
		t->stabilised += stabilised(o);
		fam[nf++] = o->family;
	}
	qsort(fam, nf, sizeof *fam, cmp_text);
	for (size_t i = 0; i < nf; i++)
		t->families += i == 0 || strcmp(fam[i], fam[i - 1]) != 0;
	free(fam);
}

struct dest_of { int64_t pupil; int k; };

static int cmp_dest(const void *x, const void *y)
{
	const struct dest_of *a = x, *b = y;
	return a->pupil < b->pupil ? -1 : a->pupil > b->pupil;
}

/* Destinations: each child once (their latest destination). */
static void count_destinations(struct tally *t, const struct orow *rows, size_t n)
{
	struct dest_of *v = xcalloc(n ? n : 1, sizeof *v);
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].pupil_ok || !rows[i].destination)
			continue;
		for (int k = 0; destination_codes[k]; k++)
			if (strcmp(rows[i].destination, destination_codes[k]) == 0)
				v[nv++] = (struct dest_of){rows[i].pupil_id, k};
	}
	qsort(v, nv, sizeof *v, cmp_dest);
	for (size_t i = 0; i < nv; i++) {
		if (i > 0 && v[i].pupil == v[i - 1].pupil)
			continue;
		t->dest[v[i].k]++;
		t->dest[5]++;
	}
	free(v);
}

/* Before and after: each case and child of the filter's schools. */
static void count_children(struct tally *t, const struct orow *rows, size_t n,
			   const struct snap *snaps, size_t ns)
{
	for (size_t i = 0; i < n; i++) {
		const struct snap *b, *l;
		if (rows[i].pupil_ok && pair(snaps, ns, rows[i].pupil_id, rows[i].referred_on, &b, &l))
			count_pair(t, b, l);
	}
}

/* A child's before/after pair from outcome_rows, in rows_sql's order. */
struct kept_pair {
	char src;
	int64_t case_id, ev, pupil_id;
	struct snap b, l;
};

static int cmp_kept_pair(const void *x, const void *y)
{
	const struct kept_pair *p = x, *q = y;
	if (p->src != q->src)
		return p->src < q->src ? -1 : 1;
	if (p->case_id != q->case_id)
		return p->case_id < q->case_id ? -1 : 1;
	if (p->ev != q->ev)
		return p->ev < q->ev ? -1 : 1;
	return p->pupil_id < q->pupil_id ? -1 : p->pupil_id > q->pupil_id;
}

/* The figures from outcome_rows (no filter), as count_cases, count_children
 * and count_destinations work them out from rows_sql.  *done is false, and
 * the tally untouched, when a history case closed twice in the period:
 * which closure counts for the case is then the order rows_sql happens to
 * return, so that rare case reads the base rows as before. */
static int outcomes_kept(struct db *db, struct arena *a, const struct report_filter *f,
			 struct tally *t, bool *done)
{
	size_t nc = 0, ccap = 64, np = 0, pcap = 64, nd = 0, dcap = 64, nh = 0, hcap = 64;
	struct orow *cases = xcalloc(ccap, sizeof *cases), *dest = xcalloc(dcap, sizeof *dest);
	struct kept_pair *pairs = xcalloc(pcap, sizeof *pairs);
	int64_t *hist = xcalloc(hcap, sizeof *hist);
	struct db_stmt *st = db_prepare(db, kept_sql);
	bind_filter(st, f, false);
	while (db_next(st)) {
		char src = db_text(st, 0)[0];
		int64_t case_id = db_int(st, 1), pupil = db_int(st, 2);
		if (pupil == 0) {
			if (nc == ccap)
				cases = xrealloc(cases, (ccap *= 2) * sizeof *cases);
			cases[nc++] = (struct orow){.src = src, .case_id = case_id,
				.family = src == 'L' ? arena_printf(a, "L:%" PRId64, db_int(st, 3))
						     : arena_printf(a, "H:%s", db_text(st, 4)),
				.reason = arena_strdup(a, db_text(st, 5)),
				.closed_on = arena_strdup(a, db_text(st, 6)),
				.next_ref = arena_strdup(a, db_text(st, 7))};
			if (src == 'H') {
				if (nh == hcap)
					hist = xrealloc(hist, (hcap *= 2) * sizeof *hist);
				hist[nh++] = case_id;
			}
			continue;
		}
		if (!db_is_null(st, 8)) {
			if (nd == dcap)
				dest = xrealloc(dest, (dcap *= 2) * sizeof *dest);
			dest[nd++] = (struct orow){.pupil_id = pupil, .pupil_ok = true,
						   .destination = arena_strdup(a, db_text(st, 8))};
		}
		if (db_int(st, 9) != 1)
			continue;
		if (np == pcap)
			pairs = xrealloc(pairs, (pcap *= 2) * sizeof *pairs);
		pairs[np++] = (struct kept_pair){src, case_id, db_int(st, 10), pupil,
			{.possible = int_or(st, 11), .attended = int_or(st, 12),
			 .suspensions = int_or(st, 13), .below = int_or(st, 14)},
			{.possible = int_or(st, 15), .attended = int_or(st, 16),
			 .suspensions = int_or(st, 17), .below = int_or(st, 18)}};
	}
	int rc = db_finalize(st);
	*done = !rc && distinct_i64(hist, nh) == nh;
	if (*done) {
		struct tally y;
		memset(&y, 0, sizeof y);
		count_cases(&y, cases, nc);
		count_destinations(&y, dest, nd);
		qsort(pairs, np, sizeof *pairs, cmp_kept_pair);
		for (size_t i = 0; i < np; i++)
			count_pair(&y, &pairs[i].b, &pairs[i].l);
		*t = y;
	}
	free(cases);
	free(dest);
	free(pairs);
	free(hist);
	return rc;
}

/* ---- the outcomes: the table ------------------------------------------------------------ */

static void put(struct arena *a, struct rtable *t, const char *key, const char *label,
		enum rcell kind, int indent, int64_t v)
{
	rtable_row(a, t, key, label, kind, indent)[0] = v;
}

static int64_t avg_permille(const struct report_filter *f, double sum, int64_t n)
{
	return derived(f, n, n > 0 ? (int64_t)(sum / (double)n + 0.5) : 0);
}

static void outcome_rows(struct arena *a, struct rtable *t, const struct report_filter *f,
			 const struct tally *y)
{
	put(a, t, "cases_closed", "Cases closed", RC_COUNT, 0, y->cases);
	put(a, t, "families", "Families whose case closed", RC_COUNT, 0, y->families);
	put(a, t, "outcomes_met", "Closed with outcomes met", RC_COUNT, 1, y->met);
	put(a, t, "stabilised", "Stabilised: outcomes met, not referred again within 6 months",
	    RC_COUNT, 1, y->stabilised);
	put(a, t, "stabilised_share", "Share of cases closed that stabilised", RC_PERMILLE, 1,
	    derived(f, y->cases, y->cases ? div_round(1000 * y->stabilised, y->cases) : 0));
	put(a, t, "attendance_children", "Children with attendance before and after", RC_COUNT, 0,
	    y->att_n);
	put(a, t, "attendance_before", "Average attendance, the term before referral", RC_PERMILLE,
	    1, avg_permille(f, y->att_before, y->att_n));
	put(a, t, "attendance_after", "Average attendance, the latest term", RC_PERMILLE, 1,
	    avg_permille(f, y->att_after, y->att_n));
	put(a, t, "suspension_children", "Children with suspensions recorded before and after",
	    RC_COUNT, 0, y->sus_n);
	put(a, t, "suspended_before", "Children suspended, the term before referral", RC_COUNT, 1,
	    y->suspended[0]);
	put(a, t, "suspended_after", "Children suspended, the latest term", RC_COUNT, 1,
	    y->suspended[1]);
	put(a, t, "suspensions_before", "Suspensions, the term before referral", RC_COUNT, 1,
	    y->suspensions[0]);
	put(a, t, "suspensions_after", "Suspensions, the latest term", RC_COUNT, 1, y->suspensions[1]);
	put(a, t, "attainment_children", "Children with attainment recorded before and after",
	    RC_COUNT, 0, y->below_n);
	put(a, t, "below_expected_before", "Below the expected standard, the term before referral",
	    RC_COUNT, 1, y->below[0]);
	put(a, t, "below_expected_after", "Below the expected standard, the latest term", RC_COUNT,
	    1, y->below[1]);
	put(a, t, "destinations", "Young people with a destination at 16", RC_COUNT, 0, y->dest[5]);
	for (int k = 0; destination_codes[k]; k++)
		put(a, t, arena_printf(a, "destination_%s", destination_codes[k]),
		    destination_title(destination_codes[k]), RC_COUNT, 1, y->dest[k]);
}

int report_outcomes(struct db *db, struct arena *a, const struct report_filter *f,
		    struct rtable **out)
{
	static const char *const cols[] = {"Figure"}, *const keys[] = {"value"};
	struct orow *rows = NULL;
	struct snap *snaps = NULL;
	size_t n = 0, ns = 0;
	struct tally y;
	memset(&y, 0, sizeof y);
	*out = NULL;
	bool done = false;
	int rc = HE_OK;
	if (f->school_id == 0 && f->district_id == 0 && !f->phase[0])
		rc = outcomes_kept(db, a, f, &y, &done);
	if (!rc && !done)
		rc = read_rows(db, a, f, &rows, &n);
	bool children = false;
	for (size_t i = 0; i < n && !children; i++)
		children = rows[i].pupil_ok;
	if (!rc && children)
		rc = read_snaps(db, f, &snaps, &ns);
	if (rc)
		goto fail;
	if (!done) {
		count_cases(&y, rows, n);
		count_children(&y, rows, n, snaps, ns);
		count_destinations(&y, rows, n);
	}
	struct rtable *t = rtable_new(a, "outcomes", "Outcomes for families whose case closed",
		"Cases closed in the period (history included) and their children: attendance,"
		" suspensions and attainment from the census imports, the term before referral and"
		" the latest term, over the children with both; stabilised means closed with outcomes"
		" met and not referred again within 6 months; destinations at 16 where recorded.",
		"Measure", 1, cols, keys, false);
	outcome_rows(a, t, f, &y);
	*out = t;
fail:
	free(snaps);
	return rc;
}

/* ---- distance travelled --------------------------------------------------------------------- */

static const char distance_sql[] =
	"SELECT c.id, f.domain_code, coalesce(d.title, f.domain_title),"
	" coalesce(d.position, f.position), f.score, l.score"
	" FROM cases c JOIN referrals r ON r.id = c.referral_id"
	" JOIN assessments fa ON fa.id = (SELECT a1.id FROM assessments a1 WHERE a1.case_id = c.id"
	"  ORDER BY a1.assessed_on, a1.id LIMIT 1)"
	" JOIN assessments la ON la.id = (SELECT a2.id FROM assessments a2 WHERE a2.case_id = c.id"
	"  ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)"
	" JOIN assessment_scores f ON f.assessment_id = fa.id"
	" JOIN assessment_scores l ON l.assessment_id = la.id AND l.domain_code = f.domain_code"
	" LEFT JOIN assessment_domains d ON d.code = f.domain_code"
	" WHERE c.status = 'closed' AND c.closed_on >= :from AND c.closed_on <= :to"
	" AND fa.id <> la.id" CASE_FILTER
	" ORDER BY 4, 2, 1";

struct domain_sum {
	const char *code, *title;
	int64_t n, first, latest;
};

static void domain_row(struct arena *a, struct rtable *t, const struct report_filter *f,
		       const struct domain_sum *d)
{
	int64_t *v = rtable_row(a, t, arena_printf(a, "domain_%s", d->code), d->title, RC_TENTHS, 0);
	v[0] = derived(f, d->n, div_round(10 * d->first, d->n));
	v[1] = derived(f, d->n, div_round(10 * d->latest, d->n));
	v[2] = derived(f, d->n, div_round(10 * (d->latest - d->first), d->n));
}

/* Read the scores into per-domain sums (*out, malloc'd) and the ids of
 * their cases. */
static int distance_read(struct db *db, const struct report_filter *f, struct arena *a,
			 struct domain_sum **out, size_t *nd, int64_t *cases)
{
	struct db_stmt *st = db_prepare(db, distance_sql);
	bind_filter(st, f, true);
	size_t cap = 64, nids = 0, dcap = 16;
	int64_t *ids = xcalloc(cap, sizeof *ids);
	struct domain_sum *d = xcalloc(dcap, sizeof *d);
	*nd = 0;
	while (db_next(st)) {
		const char *code = db_text(st, 1);
		if (*nd == 0 || strcmp(d[*nd - 1].code, code) != 0) {
			if (*nd == dcap)
				d = xrealloc(d, (dcap *= 2) * sizeof *d);
			d[*nd] = (struct domain_sum){arena_strdup(a, code),
						     arena_strdup(a, db_text(st, 2)), 0, 0, 0};
			(*nd)++;
		}
		d[*nd - 1].n++;
		d[*nd - 1].first += db_int(st, 4);
		d[*nd - 1].latest += db_int(st, 5);
		if (nids == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
		ids[nids++] = db_int(st, 0);
	}
	int rc = db_finalize(st);
	*cases = (int64_t)distinct_i64(ids, nids);
	free(ids);
	*out = d;
	return rc;
}

/* The period's sums from distance_days (migration 0013), per domain in the
 * partnership's order; the last column is 1 for a domain not in
 * assessment_domains. */
static const char distance_days_sql[] =
	"SELECT b.domain_code, d.title, d.position, sum(b.pairs), sum(b.first_sum),"
	" sum(b.latest_sum), sum(b.cases), CASE WHEN d.code IS NULL THEN 1 ELSE 0 END"
	" FROM distance_days b LEFT JOIN assessment_domains d ON d.code = b.domain_code"
	" WHERE b.closed_on >= :from AND b.closed_on <= :to"
	" GROUP BY b.domain_code, d.code, d.title, d.position HAVING sum(b.pairs) > 0"
	" ORDER BY 3, 1";

/* Without a filter, read the sums kept by day instead of every score.
 * *done is false when a domain is missing from assessment_domains: then
 * the title and order come from the scores themselves (distance_read). */
static int distance_days_read(struct db *db, const struct report_filter *f, struct arena *a,
			      struct domain_sum **out, size_t *nd, int64_t *cases, bool *done)
{
	struct db_stmt *st = db_prepare(db, distance_days_sql);
	bind_filter(st, f, false);
	size_t dcap = 16;
	struct domain_sum *d = xcalloc(dcap, sizeof *d);
	*nd = 0;
	*cases = 0;
	*done = true;
	while (db_next(st)) {
		if (db_int(st, 7)) {
			*done = false;
			break;
		}
		if (*nd == dcap)
			d = xrealloc(d, (dcap *= 2) * sizeof *d);
		d[(*nd)++] = (struct domain_sum){arena_strdup(a, db_text(st, 0)),
			arena_strdup(a, db_text(st, 1)), db_int(st, 3), db_int(st, 4), db_int(st, 5)};
		*cases += db_int(st, 6);
	}
	int rc = db_finalize(st);
	if (rc || !*done) {
		free(d);
		d = NULL;
		*nd = 0;
	}
	*out = d;
	return rc;
}

int report_distance(struct db *db, struct arena *a, const struct report_filter *f,
		    struct rtable **out)
{
	static const char *const cols[] = {"First assessment", "Latest assessment", "Change"};
	static const char *const keys[] = {"first", "latest", "change"};
	int64_t cases = 0;
	struct domain_sum *d = NULL;
	size_t nd = 0;
	*out = NULL;
	bool done = false;
	int rc = HE_OK;
	if (f->school_id == 0 && f->district_id == 0 && !f->phase[0])
		rc = distance_days_read(db, f, a, &d, &nd, &cases, &done);
	if (!rc && !done)
		rc = distance_read(db, f, a, &d, &nd, &cases);
	if (rc) {
		free(d);
		return rc;
	}
	struct rtable *t = rtable_new(a, "distance", "Distance travelled by domain",
		"Cases closed in the period with two assessments or more: the average score of each"
		" domain (1 serious unmet need, 10 no concern) at the first and the latest"
		" assessment, and the average change.", "Domain", 3, cols, keys, false);
	int64_t *v = rtable_row(a, t, "cases", "Cases with a first and a latest assessment",
				RC_COUNT, 0);
	v[0] = cases;
	v[1] = v[2] = RC_NONE;
	for (size_t i = 0; i < nd; i++)
		domain_row(a, t, f, &d[i]);
	free(d);
	*out = t;
	return HE_OK;
}
