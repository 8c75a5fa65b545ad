/* demo_history.c — the demo partnership's three years before Hearth.
 *
 * The live demo's work spans the 18 months up to today; before that the
 * partnership kept its cases in a spreadsheet.  This writes that
 * spreadsheet — about 300 cases referred over the three years before the
 * cut-over, each with its dated events — as history CSV text, and loads it
 * through history_load, so the demo exercises the loader and every report
 * has years before Hearth to show.
 *
 * The mix: referrals mostly from the partnership's schools, then other
 * agencies, step-downs from social care and a few self-referrals; four in
 * five accepted (the rest signposted or declined); accepted cases are
 * allocated within a month, some have commissions (£50–£1,500), some step
 * down or up, and all close before the cut-over with a reason.  A tenth
 * name a demo pupil's UPN.  Deterministic from the seed and the database. */
#include "core/history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/err.h"
#include "core/demo_rng.h"
#include "store/db.h"

#define DEMO_CASES 300
#define YEARS_BEFORE 3

static const char *const workers[] = {"Maggie Okafor", "Dev Patel", "Rhiannon Price",
	"Tom Ashworth", "Nadia Rahman", "Gary Holt", "Leanne Fry", "Owen Marsh"};
static const char *const services[] = {"Parenting programme", "Family group conference",
	"Counselling (CBT)", "Household items grant", "Mediation", "Childcare places"};

struct names {
	char (*v)[16];
	int n;
};

static int names_load(struct db *db, const char *sql, struct names *out)
{
	int cap = 64;
	out->v = xmalloc((size_t)cap * sizeof *out->v);
	out->n = 0;
	struct db_stmt *st = db_prepare(db, sql);
	while (db_next(st)) {
		if (out->n == cap)
			out->v = xrealloc(out->v, (size_t)(cap *= 2) * sizeof *out->v);
		snprintf(out->v[out->n++], sizeof out->v[0], "%.15s", db_text(st, 0));
	}
	return db_finalize(st);
}

/* A later row of case i: the case's own columns left empty. */
static void row(struct buf *b, int i, const char *event, hday d, const char *reason,
		int64_t pence, const char *detail)
{
	char ds[11];
	date_format(d, ds);
	buf_printf(b, "DEMO-%04d,,,,,%s,%s,,%s,", i, event, ds, reason);
	if (pence >= 0)
		buf_printf(b, "%" PRId64 ".%02d", pence / 100, (int)(pence % 100));
	buf_printf(b, ",%s\n", detail);
}

/* One case's rows, all before end. */
static void demo_case(struct buf *b, struct rng *g, int i, hday start, hday end,
		      const struct names *schools, const struct names *upns)
{
	hday d = start + below(g, (int)(end - start) - 330);
	int s = below(g, 100);
	const char *source = s < 62 ? "school" : s < 85 ? "agency" : s < 95 ? "step_down" : "self";
	const char *urn = schools->n && (s < 62 || below(g, 2)) ? schools->v[below(g, schools->n)] : "";
	const char *upn = upns->n && below(g, 10) == 0 ? upns->v[below(g, upns->n)] : "";
	int worker = below(g, 8);
	/* The family reference: some families come back (a tenth share one). */
	int fam = below(g, 10) == 0 && i > 20 ? i - 1 - below(g, 20) : i;
	buf_printf(b, "DEMO-%04d,FAM-%04d,%s,%s,%s,referred,", i, fam, urn, upn, workers[worker]);
	char ds[11];
	date_format(d, ds);
	buf_printf(b, "%s,%s,,,\n", ds, source);
	if (!strcmp(source, "step_down"))
		row(b, i, "step_down", d, "", -1, "");
	int decide = below(g, 100);
	hday t = d + 1 + below(g, 5);
	if (decide >= 80) {
		row(b, i, decide < 92 ? "signposted" : "declined", t, "", -1, "");
		return;
	}
	row(b, i, "accepted", t, "", -1, "");
	hday a = t + 2 + below(g, 28);
	row(b, i, "allocated", a, "", -1, "");
	hday close = a + 60 + below(g, 210);
	if (close >= end)
		close = end - 1;
	for (int k = below(g, 4) - 1; k >= 0; k--)
		row(b, i, "commission", a + 7 + below(g, (int)(close - a) - 7),
		    "", 5000 + 50 * (int64_t)below(g, 2900), services[below(g, 6)]);
	const char *reason;
	if (below(g, 100) < 8) {
		row(b, i, "step_up", close, "", -1, "");
		reason = "stepped_up";
	} else {
		int x = below(g, 85);
		reason = x < 55 ? "outcomes_met" : x < 70 ? "disengaged" : x < 78 ? "moved_away" : "other";
	}
	row(b, i, "closed", close, reason, -1, "");
}

static int already(struct db *db, bool *yes)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM history_imports WHERE status = 'done'");
	*yes = db_next(st) && db_int(st, 0) > 0;
	return db_finalize(st);
}

int demo_seed_history(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		      FILE *log)
{
	bool done;
	int rc = already(db, &done);
	if (rc || done)
		return rc;
	struct names schools = {0}, upns = {0};
	rc = names_load(db, "SELECT urn FROM schools ORDER BY urn", &schools);
	if (rc == HE_OK)
		rc = names_load(db, "SELECT upn FROM pupils ORDER BY id LIMIT 400", &upns);
	struct rng g = {.s = (uint64_t)seed * 7919u + 8};
	hday end = today - 548;                      /* the live demo's 18 months */
	hday start = end - 365 * YEARS_BEFORE - 1;
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "case_ref,family_ref,school_urn,upn,worker,event,date,source,reason,amount,detail\n");
	for (int i = 1; rc == HE_OK && i <= DEMO_CASES; i++)
		demo_case(&b, &g, i, start, end, &schools, &upns);
	struct history_report rep;
	struct history_opts o = {.data = buf_str(&b), .len = b.len,
				 .filename = "demo-history-before-hearth.csv", .today = today};
	if (rc == HE_OK && buf_err(&b))
		rc = HE_INTERNAL;
	if (rc == HE_OK)
		rc = history_load(db, who, &o, &rep);
	if (log && rc == HE_OK)
		fprintf(log, "demo: history before Hearth: %s\n", rep.message);
	else if (log)
		fprintf(log, "demo: history before Hearth failed: %s %s\n", rep.message,
			rep.nerrors ? rep.errors[0].message : "");
	buf_free(&b);
	free(schools.v);
	free(upns.v);
	return rc;
}

