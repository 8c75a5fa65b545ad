/* test_report_outcome_rows.c — what migration 0018 keeps for the outcomes
 * and reach sections always gives the figures the base rows give, whoever
 * writes them.  After each of a long random sequence of plain SQL inserts,
 * changes and deletions (census snapshots, case closures, referral days,
 * referral children, history closures and pupils, destinations, new
 * referrals), census imports through import_run and history loads through
 * history_load (which pause the triggers and work their rows out at once):
 *
 * - outcome_rows equals the rows worked out from the base tables;
 * - the outcomes table read from outcome_rows (no filter) is the table
 *   the base rows give (school A's filter, which every referral, child and
 *   history case is in, takes the old path: rows_sql and the snapshots,
 *   paired in C), cell by cell, for several periods;
 * - the reach table read from the latest mark (no census after the
 *   period's end) is the table the old query gives (a census dated after
 *   the end, which changes no figure, makes report_reach take it).
 *
 * Runs on SQLite, and on PostgreSQL with HEARTH_TEST_PG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/history.h"
#include "core/import.h"
#include "core/report_money.h"
#include "core/report_outcome.h"
#include "store/db.h"
#include "testdb.h"
#include "referfix.h"

#define DB(state) (((struct testdb *)*(state))->db)
#define NPUPILS 8        /* 1-4 from referfix, 5-8 here */
#define NFAMILIES 5
#define NCASES 14
#define NHIST 6

/* Every row outcome_rows should hold, from the base tables (migration
 * 0018's definition).  A pupil's "before" and "after" are only checked once they have
 * two snapshots: a pupil's first snapshot leaves it unset (one snapshot
 * cannot be both before and after, so the report pairs nothing then);
 * nor its "after" until then. */
#define TWO(p) "(SELECT count(*) FROM pupil_snapshots n WHERE n.pupil_id = " p ") >= 2"
#define EXPECT_SQL \
	"SELECT c.closed_on, 'L' AS src, c.id, 0 AS ev, 0 AS pupil, c.family_id, NULL AS fref," \
	" coalesce(c.closure_reason, '') AS reason, c.referral_id, r.received_at," \
	" CAST(NULL AS TEXT) AS ref, CAST(NULL AS TEXT) AS term, CAST(NULL AS TEXT) AS b_date," \
	" CAST(NULL AS INTEGER) AS b1, CAST(NULL AS INTEGER) AS b2, CAST(NULL AS INTEGER) AS b3," \
	" CAST(NULL AS INTEGER) AS b4, CAST(NULL AS TEXT) AS dest," \
	" (SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2 WHERE r2.family_id = c.family_id" \
	"  AND r2.id <> r.id AND r2.received_at > r.received_at" \
	"  AND substr(r2.received_at, 1, 10) >= c.closed_on) AS next_ref" \
	" FROM cases c JOIN referrals r ON r.id = c.referral_id" \
	" WHERE c.status = 'closed' AND c.closed_on IS NOT NULL" \
	" UNION ALL SELECT e.on_date, 'H', hc.id, e.id, 0, NULL, hc.family_ref, coalesce(e.reason, '')," \
	" NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL," \
	" (SELECT min(h2.referred_on) FROM history_cases h2 WHERE h2.family_ref = hc.family_ref" \
	"  AND h2.id <> hc.id AND h2.referred_on >= e.on_date)" \
	" FROM history_cases hc JOIN history_events e ON e.case_id = hc.id WHERE e.kind = 'closed'" \
	" UNION ALL SELECT x.closed_on, x.src, x.case_id, x.ev, x.pupil_id, NULL, NULL, NULL, NULL," \
	" NULL, x.ref, (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= x.ref)," \
	" CASE WHEN " TWO("x.pupil_id") " THEN b.extract_date END," \
	" CASE WHEN " TWO("x.pupil_id") " THEN b.sessions_possible END," \
	" CASE WHEN " TWO("x.pupil_id") " THEN b.sessions_attended END," \
	" CASE WHEN " TWO("x.pupil_id") " THEN b.suspensions END," \
	" CASE WHEN " TWO("x.pupil_id") " THEN b.below_expected END," \
	" (SELECT d.destination FROM destinations d WHERE d.pupil_id = x.pupil_id" \
	"  ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1), NULL" \
	" FROM (SELECT c.closed_on AS closed_on, 'L' AS src, c.id AS case_id, 0 AS ev," \
	"  rp.pupil_id AS pupil_id, substr(r.received_at, 1, 10) AS ref" \
	"  FROM cases c JOIN referrals r ON r.id = c.referral_id" \
	"  JOIN referral_pupils rp ON rp.referral_id = r.id" \
	"  WHERE c.status = 'closed' AND c.closed_on IS NOT NULL" \
	"  UNION ALL SELECT e.on_date, 'H', hc.id, e.id, hc.pupil_id, hc.referred_on" \
	"  FROM history_cases hc JOIN history_events e ON e.case_id = hc.id" \
	"  WHERE e.kind = 'closed' AND hc.pupil_id IS NOT NULL) x" \
	" LEFT JOIN pupil_snapshots b ON b.pupil_id = x.pupil_id AND b.extract_date =" \
	"  (SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id" \
	"  AND q.extract_date < (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= x.ref))"

#define KEPT_SQL \
	"SELECT closed_on, src, case_id, ev, pupil_id, family_id, family_ref, reason, referral_id," \
	" received_at, ref, term," \
	" CASE WHEN " TWO("k.pupil_id") " THEN b_date END," \
	" CASE WHEN " TWO("k.pupil_id") " THEN b_possible END," \
	" CASE WHEN " TWO("k.pupil_id") " THEN b_attended END," \
	" CASE WHEN " TWO("k.pupil_id") " THEN b_suspensions END," \
	" CASE WHEN " TWO("k.pupil_id") " THEN b_below END, dest, next_ref FROM outcome_rows k"

/* Each child's latest snapshot (outcome_after), likewise once they have two. */
#define EXPECT_AFTER_SQL \
	"SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended, l.suspensions," \
	" l.below_expected FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE pupil_id <> 0) p" \
	" JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =" \
	"  (SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id)" \
	" WHERE " TWO("p.pupil_id")
#define KEPT_AFTER_SQL \
	"SELECT a.pupil_id, a.a_date, a.a_possible, a.a_attended, a.a_suspensions, a.a_below" \
	" FROM outcome_after a WHERE a.pupil_id IN (SELECT pupil_id FROM outcome_rows)" \
	" AND " TWO("a.pupil_id")

static const char after_wrong_sql[] =
	"SELECT (SELECT count(*) FROM (" EXPECT_AFTER_SQL " EXCEPT " KEPT_AFTER_SQL ") x)"
	" + (SELECT count(*) FROM (" KEPT_AFTER_SQL " EXCEPT " EXPECT_AFTER_SQL ") y)";

/* (EXPECT_SQL is a compound SELECT: each side in a subquery.) */
#define EXPECT_NOT_KEPT "SELECT * FROM (" EXPECT_SQL ") e EXCEPT SELECT * FROM (" KEPT_SQL ") k"
#define KEPT_NOT_EXPECTED "SELECT * FROM (" KEPT_SQL ") k EXCEPT SELECT * FROM (" EXPECT_SQL ") e"

static const char rows_wrong_sql[] =
	"SELECT (SELECT count(*) FROM (" EXPECT_NOT_KEPT ") x)"
	" + (SELECT count(*) FROM (" KEPT_NOT_EXPECTED ") y)";

static void sqlf(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sqlf(struct db *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	fix_exec(db, sql);
}

/* xorshift: the same sequence on every run and backend */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A day from September 2022 to early 2026 (terms, Easters, years). */
static void random_day(uint32_t *x, char out[11])
{
	date_format(date_from_ymd(2022, 9, 1) + (hday)(rnd(x) % 1250), out);
}

/* Census days: a handful, so snapshots collide (upserts) and supersede. */
static void census_day(uint32_t *x, char out[11])
{
	static const char *const days[] = {"2022-10-06", "2023-01-19", "2023-05-18", "2023-10-05",
		"2024-01-18", "2024-05-16", "2024-10-03", "2025-01-16", "2025-05-15", "2025-10-02",
		"2026-01-15"};
	strcpy(out, days[rnd(x) % (sizeof days / sizeof days[0])]);
}

static int next_id = 100;   /* referrals, snapshots, events, destinations added later */

static int setup(void **state)
{
	int rc = fix_setup(state);
	if (rc)
		return rc;
	struct db *db = DB(state);
	uint32_t x = 7;
	fix_pupil(db, 5, SCHOOL_A, "Eve", "Ng", "2010-01-05", NULL);
	fix_pupil(db, 6, SCHOOL_A, "Fin", "Ng", "2011-02-06", NULL);
	fix_pupil(db, 7, SCHOOL_B, "Gus", "Ode", "2012-03-07", NULL);
	fix_pupil(db, 8, SCHOOL_C, "Hal", "Pim", "2013-04-08", NULL);
	fix_exec(db, "INSERT INTO imports (id, school_id, kind, filename, status, started_at)"
		 " VALUES (1000, 1, 'csv', 'test.csv', 'applied', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO history_imports (id, filename, sha256, imported_at)"
		 " VALUES (1, 'old.csv', 'x', '2026-01-01T00:00:00Z')");
	fix_exec(db, "INSERT INTO workers (id, name, employer, kind, created_at, updated_at) VALUES"
		 " (1, 'Sam', 'Pool', 'family_support', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')");
	for (int i = 1; i <= NFAMILIES; i++)
		sqlf(db, "INSERT INTO families (id, ref, name, created_at, updated_at) VALUES"
		     " (%d, 'F-%06d', 'Family', 'x', 'x')", i, i);
	for (int i = 1; i <= NCASES; i++) {
		char on[11];
		random_day(&x, on);
		sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		     " needs, reason, status, received_at) VALUES (%d, 'R-%06d', %u, 'school', %d, 2,"
		     " 'attendance', 'Worried', 'accepted', '%sT10:00:00Z')", i, i,
		     1 + rnd(&x) % NFAMILIES, SCHOOL_A, on);
		sqlf(db, "INSERT INTO referral_pupils (referral_id, pupil_id, school_id) VALUES"
		     " (%d, %u, %d)", i, 1 + rnd(&x) % NPUPILS, SCHOOL_A);
		sqlf(db, "INSERT INTO cases (id, ref, family_id, referral_id, worker_id, status,"
		     " opened_on, created_at, updated_at) SELECT %d, 'C-%06d', family_id, id, 1, 'open',"
		     " substr(received_at, 1, 10), 'x', 'x' FROM referrals WHERE id = %d", i, i, i);
	}
	for (int i = 1; i <= NHIST; i++) {
		char on[11];
		random_day(&x, on);
		sqlf(db, "INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id,"
		     " pupil_id) VALUES (%d, 1, 'LST-%d', 'HF-%u', %d, %u)", i, i, rnd(&x) % 3, SCHOOL_A,
		     1 + rnd(&x) % NPUPILS);
		sqlf(db, "INSERT INTO history_events (id, case_id, on_date, kind, source) VALUES"
		     " (%d, %d, '%s', 'referred', 'school')", i, i, on);
	}
	next_id = 100;
	return 0;
}

/* ---- random writes ---------------------------------------------------------- */

static void put_snapshot(struct db *db, uint32_t *x)
{
	char on[11];
	census_day(x, on);
	unsigned pupil = 1 + rnd(x) % NPUPILS, possible = rnd(x) % 5 ? 100 + rnd(x) % 200 : 0;
	/* an upsert when the pupil has that day already, as the import writes */
	sqlf(db, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
	     " sessions_possible, sessions_attended, suspensions, below_expected, risk_score,"
	     " risk_band) VALUES (%u, 1000, %d, '%s', %u, %u, %s, %s, %u, '%s')"
	     " ON CONFLICT (pupil_id, extract_date) DO UPDATE SET"
	     " sessions_possible = excluded.sessions_possible,"
	     " sessions_attended = excluded.sessions_attended, suspensions = excluded.suspensions,"
	     " below_expected = excluded.below_expected, risk_score = excluded.risk_score,"
	     " risk_band = excluded.risk_band",
	     pupil, 1 + (int)(rnd(x) % 3), on, possible, possible ? rnd(x) % possible : 0,
	     rnd(x) % 4 ? "1" : "0", rnd(x) % 5 ? (rnd(x) % 2 ? "1" : "0") : "NULL", rnd(x) % 60,
	     rnd(x) % 2 ? "high" : "low");
}

static void change_snapshot(struct db *db, uint32_t *x)
{
	int64_t top = testdb_int(db, "SELECT coalesce(max(id), 0) FROM pupil_snapshots");
	int64_t id = fix_int(db, "SELECT coalesce(min(id), 0) FROM pupil_snapshots WHERE id >= :id",
			     1 + rnd(x) % (uint32_t)(top + 1));
	char on[11];
	census_day(x, on);
	switch (rnd(x) % 4) {
	case 0:
		sqlf(db, "DELETE FROM pupil_snapshots WHERE id = %lld", (long long)id);
		break;
	case 1:   /* to another day, unless the pupil has it */
		sqlf(db, "UPDATE pupil_snapshots SET extract_date = '%s' WHERE id = %lld AND NOT EXISTS"
		     " (SELECT 1 FROM pupil_snapshots q WHERE q.pupil_id = pupil_snapshots.pupil_id"
		     " AND q.extract_date = '%s')", on, (long long)id, on);
		break;
	case 2:
		sqlf(db, "UPDATE pupil_snapshots SET sessions_attended = sessions_attended / 2,"
		     " suspensions = %u WHERE id = %lld", rnd(x) % 3, (long long)id);
		break;
	default:
		sqlf(db, "UPDATE pupil_snapshots SET risk_band = '%s', below_expected = %u"
		     " WHERE id = %lld", rnd(x) % 2 ? "high" : "medium", rnd(x) % 2, (long long)id);
	}
}

static const char *const reasons[] = {"outcomes_met", "outcomes_met", "disengaged", "moved_away"};

static void change_case(struct db *db, uint32_t *x)
{
	unsigned c = 1 + rnd(x) % NCASES;
	char on[11];
	random_day(x, on);
	switch (rnd(x) % 5) {
	case 0:
		sqlf(db, "UPDATE cases SET status = 'open', closed_on = NULL, closure_reason = NULL"
		     " WHERE id = %u", c);
		break;
	case 1:
		sqlf(db, "UPDATE cases SET closure_reason = '%s' WHERE id = %u AND status = 'closed'",
		     reasons[rnd(x) % 4], c);
		break;
	case 2:
		sqlf(db, "UPDATE cases SET family_id = %u WHERE id = %u", 1 + rnd(x) % NFAMILIES, c);
		break;
	default:
		sqlf(db, "UPDATE cases SET status = 'closed', closed_on = '%s', closure_reason = '%s'"
		     " WHERE id = %u", on, reasons[rnd(x) % 4], c);
	}
}

static void change_referral(struct db *db, uint32_t *x)
{
	char on[11];
	random_day(x, on);
	unsigned r = 1 + rnd(x) % NCASES, p = 1 + rnd(x) % NPUPILS;
	switch (rnd(x) % 4) {
	case 0:
		sqlf(db, "UPDATE referrals SET received_at = '%sT09:30:00Z' WHERE id = %u", on, r);
		break;
	case 1:
		sqlf(db, "DELETE FROM referral_pupils WHERE referral_id = %u AND pupil_id = %u", r, p);
		break;
	case 2:   /* a new referral of a family: its closed cases' next referral */
		sqlf(db, "INSERT INTO referrals (id, ref, family_id, source, school_id, level_of_need,"
		     " needs, reason, status, received_at) VALUES (%d, 'R-%06d', %u, 'school', %d, 2,"
		     " 'attendance', 'Again', 'received', '%sT11:00:00Z')", next_id, next_id,
		     1 + rnd(x) % NFAMILIES, SCHOOL_A, on);
		next_id++;
		break;
	default:
		sqlf(db, "INSERT INTO referral_pupils (referral_id, pupil_id, school_id) SELECT %u, %u, %d"
		     " WHERE NOT EXISTS (SELECT 1 FROM referral_pupils WHERE referral_id = %u"
		     " AND pupil_id = %u)", r, p, SCHOOL_A, r, p);
	}
}

static void change_history(struct db *db, uint32_t *x)
{
	char on[11];
	random_day(x, on);
	unsigned h = 1 + rnd(x) % NHIST;
	int64_t ev = fix_int(db, "SELECT coalesce(min(id), 0) FROM history_events WHERE id >= :id"
			     " AND kind = 'closed'", 100 + rnd(x) % (uint32_t)(next_id - 99));
	switch (rnd(x) % 6) {
	case 0:
	case 1:   /* a closure (rarely a second one for the case) */
		if (rnd(x) % 4 == 0 || fix_int(db, "SELECT count(*) FROM history_events WHERE case_id ="
					       " :id AND kind = 'closed'", h) == 0)
			sqlf(db, "INSERT INTO history_events (id, case_id, on_date, kind, reason) VALUES"
			     " (%d, %u, '%s', 'closed', '%s')", next_id++, h, on, reasons[rnd(x) % 4]);
		break;
	case 2:
		sqlf(db, "UPDATE history_events SET on_date = '%s', reason = '%s' WHERE id = %lld", on,
		     reasons[rnd(x) % 4], (long long)ev);
		break;
	case 3:
		sqlf(db, "DELETE FROM history_events WHERE id = %lld", (long long)ev);
		break;
	case 4:
		sqlf(db, "UPDATE history_cases SET pupil_id = %s WHERE id = %u",
		     rnd(x) % 4 ? "1 + id % 8" : "NULL", h);
		break;
	default:   /* its referral day (0009 keeps referred_on from the events) */
		sqlf(db, "UPDATE history_events SET on_date = '%s' WHERE case_id = %u AND kind ="
		     " 'referred'", on, h);
	}
}

static void change_destination(struct db *db, uint32_t *x)
{
	static const char *const dests[] = {"education", "employment", "training", "neet", "unknown"};
	char on[11];
	random_day(x, on);
	int64_t id = fix_int(db, "SELECT coalesce(min(id), 0) FROM destinations WHERE id >= :id",
			     100 + rnd(x) % (uint32_t)(next_id - 99));
	switch (rnd(x) % 5) {
	case 0:
		sqlf(db, "DELETE FROM destinations WHERE id = %lld", (long long)id);
		break;
	case 1:
		sqlf(db, "UPDATE destinations SET recorded_on = '%s', pupil_id = %u WHERE id = %lld", on,
		     1 + rnd(x) % NPUPILS, (long long)id);
		break;
	default:
		sqlf(db, "INSERT INTO destinations (id, pupil_id, destination, recorded_on, source,"
		     " created_at) VALUES (%d, %u, '%s', '%s', 'worker', 'x')", next_id++,
		     1 + rnd(x) % NPUPILS, dests[rnd(x) % 5], on);
	}
}

/* A census through the importer: some pupils, one extract day. */
static void import_census(struct db *db, uint32_t *x)
{
	char path[] = "/tmp/hearth-outcome-XXXXXX", on[11];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	census_day(x, on);
	fprintf(fp, "UPN,Forename,Surname,Date of birth,Gender,School URN,Extract date,"
		"Sessions possible,Sessions attended,Suspensions,Below expected\n");
	for (int p = 1; p <= NPUPILS; p++) {
		if (rnd(x) % 3 == 0)
			continue;
		unsigned possible = 100 + rnd(x) % 200;
		fprintf(fp, "%s,P%d,Q%d,2011-01-0%d,U,900001,%s,%u,%u,%u,%s\n", fix_upn[p], p, p, p, on,
			possible, rnd(x) % possible, rnd(x) % 3, rnd(x) % 2 ? "Y" : "N");
	}
	assert_int_equal(fclose(fp), 0);
	struct import_opts o = {.path = path, .kind = IMPORT_CSV};
	struct import_report r;
	memset(&r, 0, sizeof r);
	int rc = import_run(db, &fix_who, &o, &r);
	unlink(path);
	if (rc != HE_OK || strcmp(r.status, "applied") != 0)
		fail_msg("import: %d %s %s", rc, r.status ? r.status : "", r.message);
}

/* A history load through history_load: one to four cases, of the history
 * families above or a new one, of pupils above or none, referred and
 * accepted, most of them closed.  The load pauses the triggers and works
 * its cases' rows, their families' next referral and their children's
 * latest census out once, before its commit (migration 0018): check()
 * then compares them with the base rows as after any other write. */
static int nloads;

static void load_history(struct db *db, uint32_t *x)
{
	char text[4096];
	size_t len = (size_t)snprintf(text, sizeof text, "case_ref,family_ref,school_urn,upn,worker,"
				      "event,date,source,reason,amount,detail\n");
	unsigned n = 1 + rnd(x) % 4;
	for (unsigned i = 0; i < n; i++) {
		char a[11], b[11], fam[16], ref[24];
		random_day(x, a);
		random_day(x, b);
		if (strcmp(a, b) > 0) {
			char t[11];
			memcpy(t, a, sizeof t);
			memcpy(a, b, sizeof a);
			memcpy(b, t, sizeof b);
		}
		snprintf(ref, sizeof ref, "LD-%d-%u", nloads, i);
		if (rnd(x) % 4)
			snprintf(fam, sizeof fam, "HF-%u", rnd(x) % 3);
		else
			snprintf(fam, sizeof fam, "NF-%d", nloads);
		const char *upn = rnd(x) % 5 ? fix_upn[1 + rnd(x) % NPUPILS] : "";
		len += (size_t)snprintf(text + len, sizeof text - len, "%s,%s,900001,%s,,referred,%s,school,,,\n"
					"%s,,,,,accepted,%s,,,,\n", ref, fam, upn, a, ref, a);
		if (rnd(x) % 4)
			len += (size_t)snprintf(text + len, sizeof text - len, "%s,,,,,closed,%s,,%s,,\n",
						ref, b, reasons[rnd(x) % 4]);
	}
	nloads++;
	/* the explicit ids above: PostgreSQL's generators continue after them */
	assert_int_equal(db_reset_ids(db, "history_imports"), HE_OK);
	assert_int_equal(db_reset_ids(db, "history_cases"), HE_OK);
	assert_int_equal(db_reset_ids(db, "history_events"), HE_OK);
	struct history_opts o = {.data = text, .len = len, .filename = "more.csv",
				 .today = date_from_ymd(2030, 1, 1)};
	struct history_report rep;
	int rc = history_load(db, &fix_who, &o, &rep);
	if (rc != HE_OK || rep.cases_loaded != n)
		fail_msg("history load: %d, %lld cases: %s (%s)", rc, (long long)rep.cases_loaded,
			 rep.message, db_errmsg(db));
	int64_t top = testdb_int(db, "SELECT max(id) FROM history_events");
	if (next_id <= top)
		next_id = (int)top + 1;
}

/* ---- checks ------------------------------------------------------------------ */

static void same_table(const struct rtable *p, const struct rtable *q, const char *what, int step)
{
	if (p->nrows != q->nrows || p->ncols != q->ncols)
		fail_msg("after write %d %s: %zu×%zu against %zu×%zu", step, what, p->nrows, p->ncols,
			 q->nrows, q->ncols);
	for (size_t r = 0; r < p->nrows; r++) {
		assert_string_equal(p->rows[r].key, q->rows[r].key);
		for (size_t c = 0; c < p->ncols; c++)
			if (p->rows[r].v[c] != q->rows[r].v[c])
				fail_msg("after write %d %s %s[%zu]: %lld against %lld", step, what,
					 p->rows[r].key, c, (long long)p->rows[r].v[c],
					 (long long)q->rows[r].v[c]);
	}
}

/* outcomes: kept (no filter) against the base rows (school A: everything) */
static int64_t same_outcomes(struct db *db, const char *from, const char *to, int step)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = {0};
	assert_true(date_parse(from, &f.from));
	assert_true(date_parse(to, &f.to));
	struct rtable *fast = NULL, *slow = NULL;
	assert_int_equal(report_outcomes(db, &a, &f, &fast), HE_OK);
	f.school_id = SCHOOL_A;
	assert_int_equal(report_outcomes(db, &a, &f, &slow), HE_OK);
	same_table(fast, slow, "outcomes", step);
	int64_t children = fast->rows[5].v[0];   /* attendance_children */
	assert_string_equal(fast->rows[5].key, "attendance_children");
	arena_free(&a);
	return children;
}

/* reach to `to`: from the latest mark (no census after it) and, with a
 * census dated after it for pupil 1 (which changes no figure), the old way */
static int64_t same_reach(struct db *db, const char *from, const char *to, int step)
{
	struct arena a;
	arena_init(&a);
	struct report_filter f = {0};
	assert_true(date_parse(from, &f.from));
	assert_true(date_parse(to, &f.to));
	struct rtable *fast = NULL, *slow = NULL;
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM pupil_snapshots"
				    " WHERE extract_date > '2026-12-31'"), 0);
	assert_int_equal(report_reach(db, &a, &f, &fast), HE_OK);
	assert_int_equal(db_begin(db), HE_OK);
	fix_exec(db, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
		 " risk_band) VALUES (1, 1000, 1, '2099-01-01', 'high')");
	assert_int_equal(report_reach(db, &a, &f, &slow), HE_OK);
	db_rollback(db);
	same_table(fast, slow, "reach", step);
	int64_t high = fast->rows[0].v[fast->ncols - 1];
	arena_free(&a);
	return high;
}

static void show_rows(struct db *db, const char *title, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	print_message("%s\n", title);
	while (db_next(st)) {
		for (int c = 0; c < 19; c++)
			print_message("%s|", db_is_null(st, c) ? "~" : db_text(st, c));
		print_message("\n");
	}
	db_finalize(st);
}

static void check(struct db *db, int step)
{
	if (testdb_int(db, rows_wrong_sql) != 0) {   /* what differs, before failing */
		show_rows(db, "expected, not kept:", EXPECT_NOT_KEPT);
		show_rows(db, "kept, not expected:", KEPT_NOT_EXPECTED);
	}
	if (testdb_int(db, rows_wrong_sql) != 0)
		fail_msg("after write %d outcome_rows differs from the base rows", step);
	if (testdb_int(db, after_wrong_sql) != 0)
		fail_msg("after write %d outcome_after differs from the latest snapshots", step);
}

static void test_random_writes(void **state)
{
	struct db *db = DB(state);
	uint32_t x = 20260401;
	(void)fix_scope;
	int64_t paired = 0, children = 0, high = 0;
	for (int step = 0; step < 400; step++) {
		uint32_t r = rnd(&x) % 20;
		if (step < 40 || r < 4)
			put_snapshot(db, &x);
		else if (r < 6)
			change_snapshot(db, &x);
		else if (r < 10)
			change_case(db, &x);
		else if (r < 12)
			change_referral(db, &x);
		else if (r < 15)
			change_history(db, &x);
		else if (r < 16)
			change_destination(db, &x);
		else if (r < 17)
			import_census(db, &x);
		else if (r < 18)
			load_history(db, &x);
		else
			put_snapshot(db, &x);
		check(db, step);
		paired += testdb_int(db, "SELECT count(*) FROM outcome_rows k JOIN outcome_after a"
				     " ON a.pupil_id = k.pupil_id WHERE k.b_date IS NOT NULL"
				     " AND a.a_date >= k.ref");
		if (step % 10 == 9) {
			children += same_outcomes(db, "2022-09-01", "2026-12-31", step);
			same_outcomes(db, "2024-04-01", "2025-03-31", step);
			same_outcomes(db, "2025-01-01", "2025-06-30", step);
			high += same_reach(db, "2025-04-01", "2026-12-31", step);
			same_reach(db, "2024-04-01", "2025-03-31", step);
		}
	}
	/* the comparisons were not of empty tables */
	assert_true(paired > 0);
	assert_true(children > 0);
	assert_true(high > 0);
	assert_true(testdb_int(db, "SELECT count(*) FROM outcome_rows WHERE src = 'H' AND pupil_id <> 0") > 0);
	/* the history loads' closures, children and families' other closures */
	assert_true(nloads > 5);
	assert_true(testdb_int(db, "SELECT count(*) FROM outcome_rows k JOIN history_cases hc"
			       " ON hc.id = k.case_id WHERE k.src = 'H' AND k.pupil_id <> 0"
			       " AND hc.import_id > 1") > 0);
	assert_true(testdb_int(db, "SELECT count(*) FROM outcome_rows k JOIN history_cases hc"
			       " ON hc.id = k.case_id WHERE k.src = 'H' AND k.pupil_id = 0"
			       " AND hc.import_id = 1 AND k.next_ref IN (SELECT h2.referred_on"
			       " FROM history_cases h2 WHERE h2.import_id > 1)") > 0);
	/* no pause outlives its load */
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM outcome_rows_pause"), 0);
	/* one transaction's writes, rolled back */
	assert_int_equal(db_begin(db), HE_OK);
	put_snapshot(db, &x);
	change_case(db, &x);
	change_history(db, &x);
	db_rollback(db);
	check(db, -1);
}

/* The term before referral: a referral the day after Easter Sunday is in
 * the summer term, so "before" is the last census before that day; one on
 * Easter Sunday is in the spring term (from 1 January). */
static void test_easter_terms(void **state)
{
	struct db *db = DB(state);
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM school_terms WHERE first_day IN"
				    " ('2024-04-01', '2025-04-21', '2026-04-06', '2000-04-24',"
				    " '2285-03-23', '2026-01-01', '2026-09-01')"), 7);
	fix_exec(db, "INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date,"
		 " sessions_possible, sessions_attended) VALUES (1, 1000, 1, '2025-01-16', 100, 50),"
		 " (1, 1000, 1, '2025-04-10', 100, 60), (1, 1000, 1, '2025-10-02', 100, 90)");
	fix_exec(db, "UPDATE referrals SET received_at = '2025-04-21T09:00:00Z' WHERE id = 1");
	fix_exec(db, "DELETE FROM referral_pupils WHERE referral_id = 1");
	fix_exec(db, "INSERT INTO referral_pupils (referral_id, pupil_id, school_id) VALUES (1, 1, 1)");
	fix_exec(db, "UPDATE cases SET status = 'closed', closed_on = '2025-07-01',"
		 " closure_reason = 'outcomes_met' WHERE id = 1");
	assert_int_equal(testdb_int(db, "SELECT b_attended FROM outcome_rows WHERE case_id = 1"
				    " AND src = 'L' AND pupil_id = 1"), 60);
	fix_exec(db, "UPDATE referrals SET received_at = '2025-04-20T09:00:00Z' WHERE id = 1");
	assert_int_equal(testdb_int(db, "SELECT count(*) FROM outcome_rows WHERE case_id = 1"
				    " AND src = 'L' AND pupil_id = 1 AND b_date IS NOT NULL"), 0);
	check(db, 0);
	same_outcomes(db, "2025-04-01", "2026-03-31", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_writes, setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_easter_terms, setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
