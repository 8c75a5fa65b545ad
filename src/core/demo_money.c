/* demo_money.c — the demo's catalogue, budgets and commissions (see
 * demo_money.h).
 *
 * The plan, before any code.  The catalogue: nine providers, twelve
 * services (units, unit costs and capacities at plausible city prices;
 * the parenting programmes and the youth club are exit routes; mediation,
 * childcare and the youth club serve only the demo school's district and
 * its neighbour, the rest every district).  The budgets, for the financial
 * year containing today: Ratae Academy's commissioning budget (£18,000:
 * pupil premium and the school's own budget), the district's locality fund
 * (£45,000: the council and the district's schools) and the partnership's
 * pooled budget (£250,000: DSG transfer £39,500 = 15.8%, City Council
 * £170,500, pilot grant £40,000).
 *
 * The commissions: a fixed list of scenarios first, each a service (or a
 * grant's items), a budget (S the school's, D the district's, P the
 * pool) and the state to leave it in; then, for a share of the other open
 * cases, one more commission from a mix that is mostly delivered or paid.
 * Cases are taken in order: Sam Whitfield's open cases, then the other
 * cases referred by Ratae Academy, then the rest; a scenario on the
 * school's budget takes the next case referred by Ratae Academy (the
 * only cases it may pay for), the others the next case of any kind.
 *
 * The core dates requests today (commission_request has no date); the
 * demo records deliveries and payments today too, so the history reads
 * in order. */
#include "core/demo_money.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/money.h"
#include "core/budget.h"
#include "core/catalogue.h"
#include "core/commission.h"
#include "core/consent.h"
#include "core/demo.h"
#include "core/demo_rng.h"
#include "core/scope.h"
#include "core/school.h"
#include "store/db.h"

#define MAX_EXTRA 24          /* commissions beyond the scenarios */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void say(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *log, const char *fmt, ...)
{
	if (!log)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("demo: ", log);
	vfprintf(log, fmt, ap);
	fputc('\n', log);
	va_end(ap);
}

static int failed(FILE *log, int rc, const char *what, const struct errinfo *e)
{
	if (rc)
		say(log, "%s failed (%s): %s%s%s", what, err_name(rc), e->message,
		    *e->field ? " — field " : "", e->field);
	return rc;
}

static int64_t int_of(struct db *db, const char *sql, int64_t id)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	int64_t v = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return v;
}

/* ---- the catalogue ------------------------------------------------------------ */

enum prov { P_FGC, P_VICTIM, P_JCP, P_CBT, P_NURSERY, P_MEDIATION, P_PARENTING, P_DEBT, P_YOUTH,
	    P_COUNT };

static const struct { const char *name, *contact; } providers[P_COUNT] = {
	[P_FGC] = {"City Council Family Group Conference Service", "fgc@city.example.gov.uk,"
		   " 0116 454 2100"},
	[P_VICTIM] = {"Victim Support East Midlands", "0808 168 9111"},
	[P_JCP] = {"Jobcentre Plus Partnership Team", "partnerships.charlesstreet@dwp.example.gov.uk"},
	[P_CBT] = {"Talking Minds Therapy CIC", "referrals@talkingminds.example.org, 0116 262 7410"},
	[P_NURSERY] = {"Little Steps Nurseries", "admissions@littlesteps.example.co.uk"},
	[P_MEDIATION] = {"City Community Mediation", "0116 251 3311"},
	[P_PARENTING] = {"Children's Centres Parenting Team", "parenting@city.example.gov.uk"},
	[P_DEBT] = {"Money Matters Advice Service", "0800 015 4433"},
	[P_YOUTH] = {"Northfields Youth and Boxing Club", "coach@northfieldsboxing.example.org"},
};

enum svc { S_FGC, S_VICTIM, S_JCP, S_CBT, S_CBT_PARENT, S_CHILDCARE, S_MEDIATION, S_TRIPLEP,
	   S_INCREDIBLE, S_DEBT, S_YOUTH, S_FGC_REVIEW, S_COUNT };

/* local: serves the demo school's district and the next one only */
static const struct {
	enum prov prov;
	const char *name, *category, *unit;
	int64_t pence;
	int capacity;
	bool exit_route, local;
	const char *description;
} services[S_COUNT] = {
	[S_FGC] = {P_FGC, "Family group conference", "family_group_conferencing", "session", 9000, 0,
		   false, false, "An independent coordinator helps the wider family make its own plan;"
		   " usually six sessions from preparation to the conference and review."},
	[S_FGC_REVIEW] = {P_FGC, "Family group conference review meeting", "family_group_conferencing",
			  "one_off", 18000, 0, false, false, "A review conference three months on."},
	[S_VICTIM] = {P_VICTIM, "Young people's victim support", "victim_support", "session", 4500,
		      30, false, false, "One-to-one support for children and young people affected"
		      " by crime or domestic abuse."},
	[S_JCP] = {P_JCP, "Employment and benefits advice at school", "employment_advice", "session",
		   3500, 0, false, false, "A work coach meets parents at the school: benefits, training"
		   " and job search."},
	[S_CBT] = {P_CBT, "Cognitive behaviour therapy (young person)", "therapy", "session", 7500, 20,
		   false, false, "Weekly CBT for anxiety and low mood, 8 to 12 sessions."},
	[S_CBT_PARENT] = {P_CBT, "Cognitive behaviour therapy (parent)", "therapy", "session", 7500,
			  15, false, false, "Weekly CBT for a parent, 8 to 12 sessions."},
	[S_CHILDCARE] = {P_NURSERY, "Childcare place (full week)", "childcare", "place_week", 18000,
			 12, false, true, "A nursery place so a parent can work, train or attend"
			 " appointments."},
	[S_MEDIATION] = {P_MEDIATION, "Community mediation", "mediation", "session", 6000, 0, false,
			 true, "Mediation between neighbours or within the family."},
	[S_TRIPLEP] = {P_PARENTING, "Triple P group (8 weeks)", "parenting", "place_week", 4000, 24,
		       true, false, "A weekly parenting group at the children's centre; parents can"
		       " stay with the graduates' group after the case closes."},
	[S_INCREDIBLE] = {P_PARENTING, "Incredible Years (12 weeks)", "parenting", "session", 3000, 16,
			  true, false, "A parenting programme for parents of children aged 3 to 8."},
	[S_DEBT] = {P_DEBT, "Debt and budgeting advice", "debt_advice", "session", 2500, 0, false, false,
		    "Casework on priority debts, a budget and a plan with creditors."},
	[S_YOUTH] = {P_YOUTH, "Youth club and boxing place", "youth", "place_week", 1500, 40, true, true,
		     "Evening sessions with mentoring; young people can keep coming after the case"
		     " closes."},
};

struct seeding {
	struct db *db;
	struct scope s;
	struct rng rng;
	hday today;
	FILE *log;
	struct arena arena;
	int64_t school_id, district_id, next_district;
	const char *school_name, *district_name;
	int64_t prov_ids[P_COUNT], svc_ids[S_COUNT];
	int64_t budget_school, budget_district, budget_pool;
	/* the cases, in the order they are used */
	int64_t *cases;
	bool *ratae, *used;
	size_t ncases;
	/* for the log */
	int made, by_status[7];
};

static int load_school(struct seeding *g)
{
	int rc = school_id_by_urn(g->db, DEMO_SCHOOL_URN, &g->school_id);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(g->db, "SELECT s.name, s.district_id, d.name FROM schools s"
		" JOIN districts d ON d.id = s.district_id WHERE s.id = :id");
	db_bind_int(st, ":id", g->school_id);
	if (db_next(st)) {
		g->school_name = arena_strdup(&g->arena, db_text(st, 0));
		g->district_id = db_int(st, 1);
		g->district_name = arena_strdup(&g->arena, db_text(st, 2));
	}
	if ((rc = db_finalize(st)))
		return rc;
	if (!g->district_id)
		return HE_NOT_FOUND;
	g->next_district = int_of(g->db, "SELECT coalesce(min(id), 0) FROM districts WHERE id > :id",
				  g->district_id);
	if (!g->next_district)
		g->next_district = int_of(g->db, "SELECT coalesce(min(id), 0) FROM districts"
					  " WHERE id <> :id", g->district_id);
	return HE_OK;
}

static int seed_catalogue(struct seeding *g)
{
	struct errinfo e = {0};
	int rc = HE_OK;
	for (int k = 0; !rc && k < P_COUNT; k++) {
		struct provider_in in = {providers[k].name, providers[k].contact};
		rc = failed(g->log, provider_save(g->db, &g->s, 0, &in, &g->prov_ids[k], &e),
			    providers[k].name, &e);
	}
	int64_t local[2] = {g->district_id, g->next_district};
	for (int k = 0; !rc && k < S_COUNT; k++) {
		struct service_in in = {
			.provider_id = g->prov_ids[services[k].prov], .name = services[k].name,
			.category = services[k].category, .unit = services[k].unit,
			.description = services[k].description, .unit_cost_pence = services[k].pence,
			.capacity = services[k].capacity, .exit_route = services[k].exit_route,
			.active = true, .district_ids = services[k].local ? local : NULL,
			.ndistricts = services[k].local ? (local[1] ? 2 : 1) : 0,
		};
		rc = failed(g->log, service_save(g->db, &g->s, 0, &in, &g->svc_ids[k], &e),
			    services[k].name, &e);
	}
	return rc;
}

/* ---- budgets ------------------------------------------------------------------ */

static int budget(struct seeding *g, const char *name, const char *kind, int64_t school,
		  int64_t district, const struct budget_source_in *src, size_t n, int64_t *id)
{
	int64_t amount = 0;
	for (size_t i = 0; i < n; i++)
		amount += src[i].amount_pence;
	struct budget_in in = {
		.name = name, .owner_kind = kind, .period = "financial", .school_id = school,
		.district_id = district, .start_year = financial_year(g->today),
		.amount_pence = amount, .sources = src, .nsources = n,
	};
	struct errinfo e = {0};
	return failed(g->log, budget_save(g->db, &g->s, 0, 0, &in, id, &e), name, &e);
}

static int seed_budgets(struct seeding *g)
{
	static const struct budget_source_in school[] = {
		{"Pupil premium", 1000000}, {"School's own budget", 800000}};
	static const struct budget_source_in district[] = {
		{"City Council Early Help", 3000000}, {"The district's schools (pooled)", 1500000}};
	static const struct budget_source_in pool[] = {
		{"Dedicated Schools Grant transfer", 3950000}, {"City Council", 17050000},
		{"Supporting Families pilot grant", 4000000}};
	int rc = budget(g, arena_printf(&g->arena, "%s commissioning budget", g->school_name),
			"school", g->school_id, 0, school, NELEM(school), &g->budget_school);
	if (!rc)
		rc = budget(g, arena_printf(&g->arena, "%s locality fund", g->district_name),
			    "district", 0, g->district_id, district, NELEM(district), &g->budget_district);
	if (!rc)
		rc = budget(g, "Partnership pooled budget", "partnership", 0, 0, pool, NELEM(pool),
			    &g->budget_pool);
	return rc;
}

/* ---- the cases ------------------------------------------------------------------ */

/* Open cases: Sam's, then Ratae Academy's, then the rest (each by id). */
static int load_cases(struct seeding *g)
{
	struct db_stmt *st = db_prepare(g->db, "SELECT c.id, coalesce(r.school_id, 0) = :school,"
		" CASE WHEN u.email = 'worker@hearth.example' THEN 0"
		" WHEN coalesce(r.school_id, 0) = :school THEN 1 ELSE 2 END AS k"
		" FROM cases c JOIN referrals r ON r.id = c.referral_id"
		" JOIN workers w ON w.id = c.worker_id LEFT JOIN users u ON u.id = w.user_id"
		" WHERE c.status = 'open' ORDER BY k, c.id");
	db_bind_int(st, ":school", g->school_id);
	size_t cap = 64;
	g->cases = xcalloc(cap, sizeof *g->cases);
	g->ratae = xcalloc(cap, sizeof *g->ratae);
	while (db_next(st)) {
		if (g->ncases == cap) {
			cap *= 2;
			g->cases = xrealloc(g->cases, cap * sizeof *g->cases);
			g->ratae = xrealloc(g->ratae, cap * sizeof *g->ratae);
		}
		g->cases[g->ncases] = db_int(st, 0);
		g->ratae[g->ncases++] = db_int(st, 1) != 0;
	}
	g->used = xcalloc(cap, sizeof *g->used);
	return db_finalize(st);
}

/* The next unused case (a Ratae Academy one when ratae); 0 if none. */
static int64_t next_case(struct seeding *g, bool ratae)
{
	for (size_t i = 0; i < g->ncases; i++)
		if (!g->used[i] && (!ratae || g->ratae[i])) {
			g->used[i] = true;
			return g->cases[i];
		}
	return 0;
}

/* ---- commissions ------------------------------------------------------------------ */

enum state { ST_PENDING, ST_APPROVED, ST_DELIVERED, ST_PAID, ST_REFUND, ST_CANCELLED, ST_DECLINED };

/* A scenario: a service (or a grant: items, "|"-separated "what=pence"),
 * a budget (S, D, P), the state, and for deliveries the actual cost in
 * units (-1: as estimated). */
struct scenario {
	char budget;
	int svc;                 /* -1: a household item grant */
	int quantity;
	const char *items;
	enum state state;
	int actual_units;
	const char *reason;
};

static const struct scenario scenarios[] = {
	/* the school's budget first spent, then waiting for the head: so a
	 * school with only two open cases still shows both */
	{'S', S_MEDIATION, 3, NULL, ST_PAID, -1, "A long dispute with the neighbours is keeping the"
	 " family awake and the children afraid to play outside."},
	{'S', S_FGC, 6, NULL, ST_PENDING, -1, "The family want to involve grandparents and the aunt in"
	 " a plan for the mornings; a family group conference would let them agree it together."},
	{'S', S_CBT, 8, NULL, ST_PENDING, -1, "Anxiety is keeping him at home most mornings; CAMHS"
	 " waiting list is 30 weeks and the school can buy sessions now."},
	{'S', S_VICTIM, 4, NULL, ST_APPROVED, -1, "She witnessed the assault on her mother and has"
	 " not slept properly since; she asked to talk to someone outside school."},
	{'S', -1, 1, "School uniform (two sets)=6500|School shoes=3500", ST_DELIVERED, -1,
	 "The children have outgrown their uniform and have been sent home for the wrong shoes."},
	{'P', S_CBT_PARENT, 10, NULL, ST_PENDING, -1, "Mum's low mood is the main thing holding the plan"
	 " back; she has agreed to therapy and the GP supports it."},
	{'D', S_CHILDCARE, 6, NULL, ST_PENDING, -1, "Dad has a place on the work academy; childcare for"
	 " the youngest for six weeks lets him take it."},
	{'P', S_FGC, 6, NULL, ST_PAID, -1, "The family asked for a family group conference to agree who"
	 " can look after the children while mum is in hospital."},
	{'P', S_CHILDCARE, 4, NULL, ST_REFUND, 4, "Mum starts college in September and needs four weeks"
	 " of childcare until the funded place begins."},
	{'D', S_MEDIATION, 3, NULL, ST_DELIVERED, 2, "Arguments between mum and her eldest son have"
	 " turned physical twice; both agreed to mediation."},
	{'P', -1, 1, "Single bed and frame=18900|Mattress=9500|Bedding and pillows=4000", ST_PAID, -1,
	 "The two boys share one mattress on the floor since the move into the flat."},
	{'P', S_VICTIM, 6, NULL, ST_CANCELLED, -1, "Support after the burglary; the young person was"
	 " frightened to be at home alone."},
	{'D', S_CBT, 12, NULL, ST_DECLINED, -1, "Low mood and self-harm thoughts; school would like a"
	 " full course of therapy."},
	{'P', S_JCP, 4, NULL, ST_PAID, -1, "Dad has been out of work for a year and wants help with"
	 " Universal Credit and job search."},
	{'P', S_TRIPLEP, 8, NULL, ST_DELIVERED, -1, "Mum wants help with bedtimes and tantrums; the"
	 " group meets at the children's centre near home."},
	{'D', -1, 1, "Cooker=32900|Fridge freezer=24900", ST_APPROVED, -1, "The family have moved into an"
	 " unfurnished flat with no cooker or fridge; they are living on takeaways."},
	{'P', S_DEBT, 4, NULL, ST_PAID, -1, "Rent arrears and a council tax summons; mum is frightened"
	 " to open the post."},
	{'D', S_YOUTH, 12, NULL, ST_APPROVED, -1, "He has been seen with older boys near the station;"
	 " the boxing club gives him somewhere to be after school."},
};

/* The mix for the other cases: mostly delivered or paid. */
static const struct scenario mix[] = {
	{'P', S_TRIPLEP, 8, NULL, ST_PAID, -1, "Parenting group to help with routines at home."},
	{'P', S_DEBT, 3, NULL, ST_PAID, -1, "Help with debts and a budget."},
	{'D', S_YOUTH, 10, NULL, ST_DELIVERED, -1, "Somewhere safe to go after school."},
	{'P', S_JCP, 3, NULL, ST_APPROVED, -1, "Advice on work and benefits for mum."},
	{'P', S_INCREDIBLE, 12, NULL, ST_PAID, -1, "Parenting programme for the younger children."},
	{'P', -1, 1, "Washing machine=27900", ST_PAID, -1, "The washing machine broke; the children's"
	 " clothes are not being washed."},
	{'P', S_VICTIM, 4, NULL, ST_DELIVERED, -1, "Support after an incident at home."},
};

static int64_t version_of(struct db *db, int64_t id)
{
	return int_of(db, "SELECT version FROM commissions WHERE id = :id", id);
}

/* Parse "what=pence|what=pence" into items (descriptions from the arena). */
static size_t grant_items(struct seeding *g, const char *spec, struct grant_item_in *out, size_t max)
{
	size_t n = 0;
	for (const char *p = spec; p && *p && n < max;) {
		const char *eq = strchr(p, '='), *bar = strchr(p, '|');
		if (!eq)
			break;
		out[n].description = arena_printf(&g->arena, "%.*s", (int)(eq - p), p);
		out[n].amount_pence = strtoll(eq + 1, NULL, 10);
		n++;
		p = bar ? bar + 1 : NULL;
	}
	return n;
}

static int64_t budget_of(const struct seeding *g, char b)
{
	return b == 'S' ? g->budget_school : b == 'D' ? g->budget_district : g->budget_pool;
}

/* The dates of one commission's life, all within the budgets' financial
 * year and not after today: requested, delivered, paid. */
struct when { char requested[11], delivered[11], paid[11]; };

static void dates_for(struct seeding *g, const struct scenario *sc, int64_t case_id, struct when *w)
{
	int y, m, d;
	date_to_ymd(g->today, &y, &m, &d);
	hday start = date_from_ymd(m >= 4 ? y : y - 1, 4, 1), opened = start, req;
	struct db_stmt *st = db_prepare(g->db, "SELECT opened_on FROM cases WHERE id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st) && date_parse(db_text(st, 0), &opened) && opened < start)
		opened = start;
	db_finalize(st);
	if (opened > g->today)
		opened = g->today;
	int span = (int)(g->today - opened);
	if (sc->state == ST_PENDING || sc->state == ST_DECLINED)
		req = g->today - below(&g->rng, span < 12 ? span + 1 : 12);     /* waiting: recent */
	else
		req = opened + below(&g->rng, span / 2 + 1);
	hday del = req + 7 + below(&g->rng, 42), paid;
	if (del > g->today)
		del = g->today;
	paid = del + 7 + below(&g->rng, 21);
	if (paid > g->today)
		paid = g->today;
	date_format(req, w->requested);
	date_format(del, w->delivered);
	date_format(paid, w->paid);
}

/* A service tells the provider about the family: if the family has not
 * agreed to that, the worker records their consent first (as at a home
 * visit), given by the family's first adult. */
static int consent_for_service(struct seeding *g, int64_t case_id, const char *on, struct errinfo *e)
{
	int64_t family_id = int_of(g->db, "SELECT family_id FROM cases WHERE id = :id", case_id);
	bool yes = false;
	int rc = consent_basis_active(g->db, family_id, "commissioned", &yes);
	if (rc || yes)
		return rc;
	char name[128] = "", rel[32] = "";
	struct db_stmt *st = db_prepare(g->db, "SELECT name, relationship FROM family_members"
		" WHERE family_id = :id AND is_child = 0 ORDER BY id LIMIT 1");
	db_bind_int(st, ":id", family_id);
	if (db_next(st)) {
		snprintf(name, sizeof name, "%s", db_text(st, 0));
		snprintf(rel, sizeof rel, "%s", db_text(st, 1));
	}
	if ((rc = db_finalize(st)) || !*name)
		return rc;
	struct consent_in c = {.basis = "consent", .given_by = name, .relationship = rel,
		.scope = "pool,school,health,agencies,commissioned", .given_on = on};
	int64_t id;
	if ((rc = db_begin(g->db)))
		return rc;
	rc = consent_record_tx(g->db, &g->s, family_id, 0, &c, &id, e);
	if (rc) {
		db_rollback(g->db);
		return rc;
	}
	return db_commit(g->db);
}

/* Take commission id from requested/approved on to the scenario's state. */
static int move_on(struct seeding *g, const struct scenario *sc, int64_t id, const struct when *w,
		   struct errinfo *e)
{
	struct db *db = g->db;
	int rc = HE_OK;
	bool requested = int_of(db, "SELECT count(*) FROM commissions WHERE id = :id"
				" AND status = 'requested'", id) > 0;
	if (sc->state == ST_PENDING)
		return HE_OK;
	if (sc->state == ST_DECLINED)
		return commission_decide(db, &g->s, id, version_of(db, id), false, "Declined: CAMHS have"
			" offered an appointment next month; look again if that falls through.", false, e);
	if (requested && (rc = commission_decide(db, &g->s, id, version_of(db, id), true,
			  "Approved: the plan depends on it.", false, e)))
		return rc;
	if (sc->state == ST_APPROVED)
		return HE_OK;
	if (sc->state == ST_CANCELLED)
		return commission_cancel(db, &g->s, id, version_of(db, id), "The family moved out of the"
			" area before the sessions started.", e);
	int64_t actual = -1;
	if (sc->actual_units >= 0 && sc->svc >= 0)
		actual = sc->actual_units * services[sc->svc].pence;
	if ((rc = commission_deliver(db, &g->s, id, version_of(db, id), w->delivered, actual, e)))
		return rc;
	if (sc->state == ST_DELIVERED)
		return HE_OK;
	if ((rc = commission_pay(db, &g->s, id, version_of(db, id), w->paid, e)))
		return rc;
	if (sc->state == ST_REFUND)
		rc = commission_refund(db, &g->s, id, version_of(db, id), services[sc->svc].pence,
				       "One week not used: the funded place started early.", e);
	return rc;
}

static int commission(struct seeding *g, const struct scenario *sc, int64_t case_id)
{
	struct grant_item_in items[8];
	struct commission_in in = {
		.kind = sc->svc >= 0 ? "service" : "household_grant", .reason = sc->reason,
		.budget_id = budget_of(g, sc->budget), .service_id = sc->svc >= 0 ? g->svc_ids[sc->svc] : 0,
		.quantity = sc->quantity, .items = items,
		.nitems = sc->svc >= 0 ? 0 : grant_items(g, sc->items, items, NELEM(items)),
	};
	struct errinfo e = {0};
	struct when w;
	int64_t id = 0;
	dates_for(g, sc, case_id, &w);
	in.on = w.requested;
	int rc = sc->svc >= 0 ? consent_for_service(g, case_id, w.requested, &e) : HE_OK;
	if (!rc)
		rc = commission_request(g->db, &g->s, case_id, &in, NULL, &id, &e);
	if (!rc)
		rc = move_on(g, sc, id, &w, &e);
	if (!rc) {
		g->made++;
		g->by_status[sc->state == ST_REFUND ? ST_PAID : sc->state] += 1;
	}
	return failed(g->log, rc, "commission", &e);
}

static int seed_commissions(struct seeding *g)
{
	int rc = load_cases(g);
	for (size_t i = 0; !rc && i < NELEM(scenarios); i++) {
		int64_t c = next_case(g, scenarios[i].budget == 'S');
		if (c)
			rc = commission(g, &scenarios[i], c);
	}
	int extra = 0;
	for (int64_t c; !rc && extra < MAX_EXTRA && (c = next_case(g, false)); )
		if (chance(&g->rng, 40)) {
			rc = commission(g, &mix[below(&g->rng, (int)NELEM(mix))], c);
			extra++;
		}
	return rc;
}

/* ---- the whole ------------------------------------------------------------------ */

static void log_summary(const struct seeding *g, double secs)
{
	struct budget_pos pos;
	char amount[32] = "", committed[32] = "", spent[32] = "";
	if (budget_position(g->db, g->budget_pool, &pos) == HE_OK) {
		money_format(pos.amount, amount);
		money_format(pos.committed, committed);
		money_format(pos.spent, spent);
	}
	say(g->log, "catalogue of %d providers and %d services; 3 budgets; %d commissions: %d waiting"
	    " for approval, %d approved, %d delivered, %d paid (one refunded in part), %d cancelled,"
	    " %d declined; the pooled budget %s: %s committed, %s spent (%.1f s)", P_COUNT, S_COUNT,
	    g->made, g->by_status[ST_PENDING], g->by_status[ST_APPROVED], g->by_status[ST_DELIVERED],
	    g->by_status[ST_PAID], g->by_status[ST_CANCELLED], g->by_status[ST_DECLINED], amount,
	    committed, spent, secs);
}

int demo_seed_money(struct db *db, const struct audit_who *who, uint32_t seed, hday today, FILE *log)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (int_of(db, "SELECT count(*) FROM providers WHERE :id = :id", 0) > 0) {
		say(log, "the catalogue already has providers: no commissioning seeded");
		return HE_OK;
	}
	struct seeding g = {.db = db, .today = today, .log = log};
	scope_system(who, &g.s);
	g.rng.s = (uint64_t)seed * UINT64_C(0x9E3779B97F4A7C15) + 7;
	arena_init(&g.arena);
	int rc = load_school(&g);
	if (rc)
		say(log, "no demo school (URN %s) with a district: no commissioning seeded",
		    DEMO_SCHOOL_URN);
	if (!rc)
		rc = seed_catalogue(&g);
	if (!rc)
		rc = seed_budgets(&g);
	if (!rc)
		rc = seed_commissions(&g);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rc)
		log_summary(&g, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(g.cases);
	free(g.ratae);
	free(g.used);
	arena_free(&g.arena);
	return rc;
}
