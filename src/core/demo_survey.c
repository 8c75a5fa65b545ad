/* demo_survey.c — the demo's surveys of school leaders (survey.h):
 * last summer's closed survey "Family support: school leaders' survey
 * 2025–26" (for the academic year before today's), answered for about 60%
 * of the demo schools — more of the secondaries than of the primaries, as
 * Staffordshire's Schools Forum saw — and an open one, opened a week ago,
 * that the demo school leader has not answered yet.
 *
 * Everything goes through the core (survey_save, survey_open,
 * survey_respond_for, survey_close) as the system scope, which may date
 * the past survey on its own days.  Deterministic from the seed and the
 * database. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "core/scope.h"
#include "core/survey.h"
#include "store/db.h"

struct rng {
	uint64_t s;
};

static uint32_t next(struct rng *g)
{
	g->s = g->s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t)(g->s >> 33);
}

/* 0 … n-1 */
static int pick(struct rng *g, int n)
{
	return (int)(next(g) % (uint32_t)n);
}

struct school_row {
	int64_t id;
	char phase[16];
};

static int load_schools(struct db *db, struct school_row **out, size_t *n)
{
	size_t cap = 64;
	struct school_row *v = xcalloc(cap, sizeof *v);
	*n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT id, phase FROM schools ORDER BY id");
	while (db_next(st)) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[*n].id = db_int(st, 0);
		snprintf(v[*n].phase, sizeof v[*n].phase, "%s", db_text(st, 1));
		(*n)++;
	}
	*out = v;
	return db_finalize(st);
}

/* Of 100 schools of the phase, how many answer. */
static int rate_of(const char *phase)
{
	return strcmp(phase, "secondary") == 0 ? 80 : strcmp(phase, "special") == 0 ? 67
		: strcmp(phase, "primary") == 0 ? 60 : 50;
}

/* A Likert answer around a school type's mood: secondaries a little
 * warmer, and never all the same. */
static const char *likert(struct rng *g, const char *phase, int q)
{
	static const char *const v[] = {"1", "2", "3", "4", "5"};
	int lean = strcmp(phase, "secondary") == 0 ? 1 : 0;
	int x = pick(g, 100) + lean * 8 - (q == 1 ? 10 : 0);   /* hearing back: the weak spot */
	int k = x < 6 ? 0 : x < 18 ? 1 : x < 40 ? 2 : x < 78 ? 3 : 4;
	return v[k];
}

static const char *const remarks[] = {
	"Quicker feedback after a referral is screened, so we can tell the family what happens next.",
	"More worker time in the school holidays, when families struggle most.",
	"A named worker for our cluster so parents see the same face.",
	"Shorter referral form for families the school already knows well.",
	"Joint training for our pastoral staff and the family support workers.",
	"Keep the Team Around the Family meetings in school: parents come when it is familiar.",
	"Clearer routes back to the service after a case closes.",
	"Help with attendance for the younger siblings as well, not only the referred pupil.",
};

static const struct survey_question_in closed_q[] = {
	{"likert", "Referring a family to the partnership's family support is straightforward."},
	{"likert", "We hear back promptly about what happens to a family we refer."},
	{"likert", "Family support has helped the attendance of the pupils we referred."},
	{"likert", "Team Around the Family meetings are a good use of our staff's time."},
	{"likert", "We would recommend the partnership's family support to another school."},
	{"text", "What one change would make family support work better for your school?"},
};

static const struct survey_question_in open_q[] = {
	{"likert", "Families we referred this term were contacted within two weeks."},
	{"likert", "The support for pupils moving to secondary school meets our families' needs."},
	{"likert", "We know whom to ask about a family's case."},
	{"text", "Anything else you would like the partnership to know?"},
};

/* Answer sv for the schools drawn at rate_of (scaled by pct, and never the
 * demo school when skip), on days from first to last. */
static int answer(struct db *db, const struct scope *s, struct rng *g, int64_t sv,
		  const struct survey_question_in *q, size_t nq, const struct school_row *sch,
		  size_t n, int pct, int64_t skip, hday first, hday last, int *count)
{
	int rc = HE_OK;
	const char *ans[8];
	for (size_t i = 0; rc == HE_OK && i < n; i++) {
		if (sch[i].id == skip || pick(g, 100) * 100 >= rate_of(sch[i].phase) * pct)
			continue;
		for (size_t k = 0; k < nq; k++)
			ans[k] = strcmp(q[k].kind, "likert") == 0 ? likert(g, sch[i].phase, (int)k)
				: pick(g, 100) < 45 ? remarks[pick(g, 8)] : NULL;
		hday on = first + (last > first ? pick(g, (int)(last - first) + 1) : 0);
		struct errinfo e = {0};
		rc = survey_respond_for(db, s, sv, sch[i].id, on, ans, nq, NULL, &e);
		*count += rc == HE_OK;
	}
	return rc;
}

static int64_t demo_school(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT school_id FROM users WHERE role = 'school'"
		" AND email = 'school@hearth.example'");
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return id;
}

/* Write, open and answer one survey; closed (on close) unless close is 0. */
static int one(struct db *db, const struct scope *s, struct rng *g, const struct survey_in *in,
	       hday open_on, hday close_on, const struct school_row *sch, size_t n, int pct,
	       int *count)
{
	struct errinfo e = {0};
	int64_t id = 0;
	int rc = survey_save(db, s, 0, 0, in, &id, &e);
	if (!rc)
		rc = survey_open(db, s, id, 1, open_on, NULL, &e);
	hday today = date_today();
	if (!rc)
		rc = answer(db, s, g, id, in->q, in->nq, sch, n, pct, close_on ? 0 : demo_school(db),
			    open_on, close_on ? close_on - 1 : today, count);
	if (!rc && close_on)
		rc = survey_close(db, s, id, close_on, &e);
	return rc;
}

int demo_seed_surveys(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		      FILE *log)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM surveys");
	int64_t have = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc || have) {
		if (log && !rc)
			fprintf(log, "demo: surveys already present: none seeded\n");
		return rc;
	}
	struct scope s;
	scope_system(who, &s);
	struct rng g = {(uint64_t)seed * UINT64_C(0x9E3779B97F4A7C15) + 8};
	struct school_row *sch = NULL;
	size_t n = 0;
	if ((rc = load_schools(db, &sch, &n)) || n == 0) {
		free(sch);
		return rc;
	}
	/* last academic year's summer term, before today */
	int ay = academic_year(today) - 1;
	hday open_on = date_from_ymd(ay + 1, 6, 2), close_on = date_from_ymd(ay + 1, 7, 10);
	char title[96], closes[11];
	snprintf(title, sizeof title, "Family support: school leaders' survey %d\xe2\x80\x93%02d", ay,
		 (ay + 1) % 100);
	struct survey_in past = {title, "Once a year we ask every school leader in the partnership"
		" how family support is working for their school. Your answers are reported to the"
		" Schools Forum by school type.", NULL, closed_q, 6};
	date_format(today + 21, closes);
	struct survey_in now = {"Autumn term check-in: transition and first contact", "A short check"
		" on this term's referrals and on support for pupils moving to secondary school.",
		closes, open_q, 4};
	int answered_past = 0, answered_now = 0;
	rc = one(db, &s, &g, &past, open_on, close_on, sch, n, 100, &answered_past);
	if (!rc)
		rc = one(db, &s, &g, &now, today - 7, 0, sch, n, 30, &answered_now);
	if (log && !rc)
		fprintf(log, "demo: surveys: \xe2\x80\x9c%s\xe2\x80\x9d closed with %d of %zu schools"
			" answering; one open with %d so far\n", title, answered_past, n, answered_now);
	free(sch);
	return rc;
}
