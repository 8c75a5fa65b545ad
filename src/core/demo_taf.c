/* demo_taf.c — the demo's directory, assessments, plans, reviews and TAF
 * meetings (see demo_taf.h).
 *
 * The plan, before any code.  The directory: twelve agencies of the city
 * with thirty professionals; Grace Mensah (education welfare officer) is
 * the demo agency user.  The cases worked: every open case of Sam
 * Whitfield and about a third of the pool's other open cases (at most
 * MAX_OTHERS), oldest first.  For each, in date order:
 *
 *   day t0 (7–14 days after opening, never after today): the initial
 *     assessment — every domain scored, those the referral's needs touch
 *     low (2–4), the rest middling (5–8) — and the plan: an action for
 *     each of up to three of the referral's needs, owned by the family,
 *     the worker or (when the family's consent covers agencies) the
 *     agency that fits the need, due 3 to 8 weeks later;
 *   t0 + 2–3 weeks, for about half (with agencies): a TAF meeting at the
 *     school with the agency professionals, a parent and the worker;
 *     everyone but one comes; minutes, decisions and one new action;
 *   every 6 weeks after t0 while before today: a review with progress on
 *     every open action (done mostly once due) and a re-assessment whose
 *     scores mostly rise by one or two (the distance travelled); a case
 *     whose review the case demo left overdue keeps it overdue;
 *   for about a third (and Sam's with agencies): a TAF meeting in the
 *     next fortnight.
 *
 * Grace is the education welfare officer on Sam's attendance cases and
 * half of the others', so she has meetings held and upcoming and actions
 * (the ones that fell due since the last review are overdue).  Sam's
 * first case gets an action already a few days overdue.  The duplicates
 * for the joint audit come last (see seed_duplicates).
 *
 * The core refuses some dates in the past for anyone (an action due
 * before today, a meeting scheduled before today).  The demo asks for the
 * real historic date first; when refused it moves an action's due date
 * into the coming weeks, or leaves the historic meeting out, and counts
 * it in the log line — so the demo still runs.
 *
 * Speed: one transaction per core call, a few thousand in all; lookups
 * are by primary key or indexed. */
#include "core/demo_taf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "core/agency.h"
#include "core/allocate.h"
#include "core/assess.h"
#include "core/audit.h"
#include "core/consent.h"
#include "core/demo_rng.h"
#include "core/plan.h"
#include "core/referral.h"
#include "core/scope.h"
#include "core/taf.h"
#include "store/db.h"

#define MAX_OTHERS 30          /* other workers' open cases given plans */
#define REVIEW_DAYS 42         /* the review cycle (case.review_weeks = 6) */
#define MAX_DOMAINS 40
#define MAX_PROFS 40

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

/* ---- the directory ------------------------------------------------------------ */

enum akind { A_EWS, A_NURSE, A_SOCIAL, A_CAMHS, A_HV, A_HOUSING, A_JCP, A_POLICE,
	     A_WOMENSAID, A_FOODBANK, A_CAB, A_CARERS, A_COUNT };

static const struct { const char *name, *kind, *phone, *email; } agencies[A_COUNT] = {
	[A_EWS] = {"City Council Education Welfare Service", "education_welfare", "0116 454 1050",
		   "ews@city.example.gov.uk"},
	[A_NURSE] = {"School Nursing Service (City Community Health)", "school_nursing",
		     "0116 295 0810", "schoolnursing@cch.example.nhs.uk"},
	[A_SOCIAL] = {"Children's Social Care – Duty and Assessment", "social_care", "0116 454 1004",
		      "csc.duty@city.example.gov.uk"},
	[A_CAMHS] = {"CAMHS City Team", "camhs", "0116 295 3000", "camhs.city@cch.example.nhs.uk"},
	[A_HV] = {"Health Visiting Service", "health_visiting", "0116 295 0815",
		  "healthvisiting@cch.example.nhs.uk"},
	[A_HOUSING] = {"City Housing Options", "housing", "0116 454 1008",
		       "housing.options@city.example.gov.uk"},
	[A_JCP] = {"Jobcentre Plus, Charles Street", "jobcentre", "0800 169 0190", ""},
	[A_POLICE] = {"Police Youth Engagement Team", "police", "101", "yet@police.example.uk"},
	[A_WOMENSAID] = {"City Women's Aid", "voluntary", "0808 802 0028",
			 "support@womensaid-city.example.org"},
	[A_FOODBANK] = {"Northfields Food Bank", "voluntary", "0116 251 7791",
			"hello@northfieldsfoodbank.example.org"},
	[A_CAB] = {"Citizens Advice City", "voluntary", "0808 278 7930", "advice@ca-city.example.org"},
	[A_CARERS] = {"Young Carers Service", "voluntary", "0116 257 5055",
		      "youngcarers@carers-city.example.org"},
};

/* The professionals; the first of each agency is its usual one. */
static const struct { enum akind agency; const char *name, *role; } profs[] = {
	{A_EWS, "Grace Mensah", "Education welfare officer"},
	{A_EWS, "Paul Gregory", "Education welfare officer"},
	{A_EWS, "Shazia Iqbal", "Senior education welfare officer"},
	{A_NURSE, "Helen Carter", "School nurse"},
	{A_NURSE, "Comfort Asante", "School nurse"},
	{A_NURSE, "Lucy Fenwick", "Emotional health and wellbeing nurse"},
	{A_SOCIAL, "Mark Deacon", "Social worker"},
	{A_SOCIAL, "Anita Solanki", "Team manager"},
	{A_CAMHS, "Dr Rebecca Hale", "Clinical psychologist"},
	{A_CAMHS, "Tom Beresford", "Mental health practitioner"},
	{A_CAMHS, "Farida Begum", "Primary mental health worker"},
	{A_HV, "Joanne Whitby", "Health visitor"},
	{A_HV, "Patience Okoro", "Community nursery nurse"},
	{A_HOUSING, "Darren Lowe", "Housing options officer"},
	{A_HOUSING, "Monika Zielinska", "Housing options officer"},
	{A_HOUSING, "Ravi Mistry", "Tenancy sustainment officer"},
	{A_JCP, "Karen Shaw", "Work coach"},
	{A_JCP, "Imtiaz Patel", "Work coach"},
	{A_POLICE, "PC Lee Harding", "Youth engagement officer"},
	{A_POLICE, "PCSO Amy Clarke", "Police community support officer"},
	{A_WOMENSAID, "Sarah Nolan", "Independent domestic violence adviser"},
	{A_WOMENSAID, "Bushra Khan", "Children and young people's worker"},
	{A_FOODBANK, "Rev. John Ashby", "Food bank co-ordinator"},
	{A_FOODBANK, "Mary Doherty", "Volunteer lead"},
	{A_CAB, "Andrew Pike", "Debt and benefits adviser"},
	{A_CAB, "Nadia Hussein", "Housing adviser"},
	{A_CAB, "Gemma Ward", "Generalist adviser"},
	{A_CARERS, "Daniel Foster", "Young carers support worker"},
	{A_CARERS, "Priya Chauhan", "Young carers support worker"},
	{A_SOCIAL, "Colin Webb", "Family support practitioner (edge of care)"},
};
#define NPROFS ((int)NELEM(profs))
#define GRACE 0   /* index in profs */

/* ---- what the seeding knows --------------------------------------------------- */

struct dcase {
	int64_t id, family_id, worker_id, referral_id, school_id;
	hday opened, next_review;
	char needs[200], school[160], child[64], mother_name[120];
	int64_t mother, child_member;
	bool agencies, sam;
	bool health, social_care;   /* … and with health services, with social care */
};

struct seeding {
	struct db *db;
	struct scope s;
	struct rng rng;
	hday today;
	FILE *log;
	struct arena arena;
	int64_t agency_ids[A_COUNT], prof_ids[MAX_PROFS];
	struct assess_domain *domains;
	size_t ndomains;
	int score[MAX_DOMAINS];
	int64_t sam_worker;
	/* for the log */
	int cases, assessments, actions, reviews, held, upcoming, moved, skipped_meetings;
	int grace_meetings, grace_actions;
	bool sam_overdue_done, overlap_done, agency_lead_done;
	int not_health;             /* cases sharing with agencies but not health */
	bool health_refusal_shown;
};

static int64_t int_of(struct db *db, const char *sql, int64_t id)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	int64_t v = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return v;
}

static int64_t int_of0(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t v = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return v;
}

static void day_str(hday d, char out[11])
{
	date_format(d, out);
}

static hday weekday_on_or_after(hday d)
{
	int wd = date_weekday(d);
	return wd == 5 ? d + 2 : wd == 6 ? d + 1 : d;
}

static hday weekday_on_or_before(hday d)
{
	int wd = date_weekday(d);
	return wd == 5 ? d - 1 : wd == 6 ? d - 2 : d;
}

static int seed_directory(struct seeding *g)
{
	int rc = HE_OK;
	struct errinfo e = {0};
	for (int k = 0; !rc && k < A_COUNT; k++) {
		struct agency_in in = {agencies[k].name, agencies[k].kind, agencies[k].phone,
				       agencies[k].email};
		rc = failed(g->log, agency_save(g->db, &g->s, 0, &in, &g->agency_ids[k], &e),
			    agencies[k].name, &e);
	}
	for (int i = 0; !rc && i < NPROFS; i++) {
		/* first.last@ from the last two words of the name (after any title) */
		char email[120], phone[24];
		const char *name = profs[i].name, *last = strrchr(name, ' '), *first = name;
		for (const char *p = name; last && p < last; p++)
			if (*p == ' ')
				first = p + 1;
		snprintf(email, sizeof email, "%.*s.%s@partner.example.org",
			 (int)(last ? last - first : 1), first, last ? last + 1 : name);
		for (char *p = email; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		snprintf(phone, sizeof phone, "07700 900%03d", 100 + i * 7);
		struct directory_professional_in in = {
			.name = profs[i].name, .role = profs[i].role, .email = email, .phone = phone,
			.user_email = i == GRACE ? "agency@hearth.example" : "", .active = true,
		};
		rc = professional_save(g->db, &g->s, 0, g->agency_ids[profs[i].agency], &in,
				       &g->prof_ids[i], &e);
		if (rc && i == GRACE) {  /* no demo agency user: Grace without a sign-in */
			in.user_email = "";
			rc = professional_save(g->db, &g->s, 0, g->agency_ids[profs[i].agency], &in,
					       &g->prof_ids[i], &e);
		}
		failed(g->log, rc, profs[i].name, &e);
	}
	return rc;
}

/* A professional of agency k: the usual one mostly, another sometimes. */
static int64_t prof_of(struct seeding *g, enum akind k, bool usual)
{
	int idx[8], n = 0;
	for (int i = 0; i < NPROFS && n < 8; i++)
		if (profs[i].agency == k)
			idx[n++] = i;
	return g->prof_ids[idx[usual || n == 1 ? 0 : 1 + below(&g->rng, n - 1)]];
}

/* ---- cases ------------------------------------------------------------------ */

static int load_members(struct seeding *g, struct dcase *c)
{
	struct db_stmt *st = db_prepare(g->db, "SELECT id, name, is_child FROM family_members"
		" WHERE family_id = :f ORDER BY is_child, id");
	db_bind_int(st, ":f", c->family_id);
	while (db_next(st)) {
		if (!db_int(st, 2) && !c->mother) {
			c->mother = db_int(st, 0);
			snprintf(c->mother_name, sizeof c->mother_name, "%s", db_text(st, 1));
		} else if (db_int(st, 2) && !c->child_member) {
			c->child_member = db_int(st, 0);
			snprintf(c->child, sizeof c->child, "%.*s", (int)strcspn(db_text(st, 1), " "),
				 db_text(st, 1));
		}
	}
	if (!*c->child)
		snprintf(c->child, sizeof c->child, "the young person");
	if (!*c->mother_name)
		snprintf(c->mother_name, sizeof c->mother_name, "Mum");
	return db_finalize(st);
}

/* The open cases to work: Sam's, then about a third of the others'. */
static int load_cases(struct seeding *g, struct dcase **out, int *n)
{
	struct db_stmt *st = db_prepare(g->db,
		"SELECT c.id, c.family_id, c.worker_id, c.referral_id, c.opened_on,"
		" coalesce(c.next_review_on, ''), r.needs, coalesce(s.name, ''), coalesce(r.school_id, 0),"
		" coalesce(w.user_id, 0) FROM cases c JOIN referrals r ON r.id = c.referral_id"
		" JOIN workers w ON w.id = c.worker_id LEFT JOIN schools s ON s.id = r.school_id"
		" WHERE c.status = 'open' ORDER BY c.opened_on, c.id");
	int cap = 64, others = 0;
	struct dcase *v = xcalloc((size_t)cap, sizeof *v);
	*n = 0;
	while (db_next(st)) {
		bool sam = db_int(st, 2) == g->sam_worker;
		if (!sam && (others >= MAX_OTHERS || !chance(&g->rng, 35)))
			continue;
		others += !sam;
		if (*n == cap)
			v = xrealloc(v, (size_t)(cap *= 2) * sizeof *v);
		struct dcase *c = &v[(*n)++];
		memset(c, 0, sizeof *c);
		c->id = db_int(st, 0);
		c->family_id = db_int(st, 1);
		c->worker_id = db_int(st, 2);
		c->referral_id = db_int(st, 3);
		date_parse(db_text(st, 4), &c->opened);
		if (!date_parse(db_text(st, 5), &c->next_review))
			c->next_review = 0;
		snprintf(c->needs, sizeof c->needs, "%s", db_text(st, 6));
		snprintf(c->school, sizeof c->school, "%s", db_text(st, 7));
		c->school_id = db_int(st, 8);
		c->sam = sam;
	}
	int rc = db_finalize(st);
	for (int i = 0; !rc && i < *n; i++) {
		rc = load_members(g, &v[i]);
		if (!rc)
			rc = consent_basis_active(g->db, v[i].family_id, "agencies", &v[i].agencies);
		if (!rc)
			rc = consent_agency_active(g->db, v[i].family_id, "school_nursing", &v[i].health,
						   NULL);
		if (!rc)
			rc = consent_agency_active(g->db, v[i].family_id, "social_care",
						   &v[i].social_care, NULL);
		g->not_health += v[i].agencies && !v[i].health;
	}
	*out = v;
	return rc;
}

/* Does the family share with agency k's service (consent.h)?  The demo
 * only asks the core for what the family agreed to. */
static bool shares_with(const struct dcase *c, enum akind k)
{
	const char *extra = consent_scope_for_agency_kind(agencies[k].kind);
	return c->agencies && (!extra || (strcmp(extra, "health") == 0 ? c->health
					  : c->social_care));
}

static bool has_need(const struct dcase *c, const char *code)
{
	size_t n = strlen(code);
	for (const char *p = c->needs; (p = strstr(p, code)); p += n)
		if ((p == c->needs || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* ---- assessment ---------------------------------------------------------------- */

/* The domains each referral need weighs on. */
static const struct { const char *need, *domains; } need_domains[] = {
	{"attendance", "learning,boundaries"}, {"behaviour", "emotional_behavioural,boundaries"},
	{"emotional_health", "emotional_behavioural,identity"}, {"parenting", "basic_care,boundaries"},
	{"domestic_abuse", "safety,family_functioning"},
	{"substance_misuse", "safety,family_functioning"},
	{"adult_mental_health", "warmth,family_functioning"}, {"housing", "housing"},
	{"finances", "work_income"}, {"unemployment", "work_income"},
	{"caring", "self_care,family_functioning"}, {"crime_exploitation", "safety,community"},
	{"send", "learning,relationships"}, {"health", "health"}, {"other", "community"},
};

static bool touched(const struct dcase *c, const char *domain)
{
	for (size_t i = 0; i < NELEM(need_domains); i++) {
		if (!has_need(c, need_domains[i].need))
			continue;
		const char *d = need_domains[i].domains;
		size_t n = strlen(domain);
		for (const char *p = d; (p = strstr(p, domain)); p += n)
			if ((p == d || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				return true;
	}
	return false;
}

static const char *const summaries[] = {
	"Assessed at home with %s. The family's strengths are their warmth and their wish for"
	" things to change; the scores agreed show where the plan should start.",
	"Completed with %s over two visits. Mum was open about what is hard at the moment;"
	" we agreed to start with mornings and money, then look at school.",
	"Scores agreed with %s at the kitchen table. The children joined for the last part and"
	" said what they would like to be different.",
};

static const char *const review_summaries[] = {
	"Re-assessed with %s at the review. Mornings are calmer and the family are using the"
	" routines; scores have moved up where the plan has been working.",
	"Re-assessed with %s. Good progress on school; money is still tight but more settled.",
	"Scores reviewed with %s: steady progress, one setback after a difficult week.",
};

static int record_assessment(struct seeding *g, const struct dcase *c, hday on, bool initial,
			     struct assess_in *out_in, struct assess_score_in *sc)
{
	char day[11];
	day_str(on, day);
	for (size_t i = 0; i < g->ndomains && i < MAX_DOMAINS; i++) {
		const char *code = g->domains[i].code;
		if (initial) {
			g->score[i] = touched(c, code) ? between(&g->rng, 2, 4) : between(&g->rng, 5, 8);
		} else {
			int k = below(&g->rng, 100);
			g->score[i] += k < 45 ? 1 : k < 65 ? 2 : k < 90 ? 0 : -1;
			g->score[i] = g->score[i] < 1 ? 1 : g->score[i] > 10 ? 10 : g->score[i];
		}
		sc[i] = (struct assess_score_in){
			.domain_code = code, .score = g->score[i],
			.strengths = g->score[i] >= 7 ? "A clear strength the family can build on." : "",
			.needs = g->score[i] <= 4 ? "A priority for the plan." : "",
		};
	}
	*out_in = (struct assess_in){
		.assessed_on = arena_strdup(&g->arena, day), .kind = initial ? "initial" : "review",
		.agreed_with = c->mother_name,
		.summary = arena_printf(&g->arena, initial ? PICK(&g->rng, summaries)
					: PICK(&g->rng, review_summaries), c->mother_name),
		.scores = sc, .nscores = g->ndomains < MAX_DOMAINS ? g->ndomains : MAX_DOMAINS,
	};
	if (!initial)
		return HE_OK;   /* recorded by the review, in its transaction */
	struct errinfo e = {0};
	int64_t id;
	g->assessments++;
	return failed(g->log, assess_record(g->db, &g->s, c->id, out_in, &id, &e), "assessment", &e);
}

/* ---- the plan ------------------------------------------------------------------- */

/* An action for a need: who owns it (F family, W worker, or an agency)
 * and what it says; %s is the child's first name. */
struct atmpl {
	const char *need;
	char owner;          /* 'F', 'W', 'A' */
	enum akind agency;
	const char *text;
};

static const struct atmpl tmpls[] = {
	{"attendance", 'F', 0, "Mum will have %s up by 7:30, walk with them to the gate every day,"
	 " and ring the school before 9:00 on any day they are ill."},
	{"attendance", 'A', A_EWS, "Hold an attendance meeting at school with mum and %s and agree a"
	 " return-to-full-time plan, checking attendance every Friday."},
	{"attendance", 'W', 0, "Call mum every Friday to go through the week's attendance for %s and"
	 " what got in the way."},
	{"behaviour", 'F', 0, "%s will use the time-out card instead of walking out of lessons, and"
	 " see the learning mentor at lunchtime on Mondays."},
	{"behaviour", 'W', 0, "Arrange a restorative meeting with the head of year, %s and mum before"
	 " half term."},
	{"emotional_health", 'A', A_CAMHS, "Offer %s an initial assessment appointment and write to"
	 " mum with the date."},
	{"emotional_health", 'A', A_NURSE, "See %s weekly at the emotional health drop-in for six"
	 " weeks and review."},
	{"parenting", 'W', 0, "Book mum onto the Triple P group at the children's centre (Tuesdays)"
	 " and go with her to the first session; %s's nan will mind the baby."},
	{"parenting", 'F', 0, "Mum and dad will use the bedtime routine chart with %s every night for"
	 " four weeks and note what works."},
	{"domestic_abuse", 'A', A_WOMENSAID, "Complete a safety plan with mum and check in weekly;"
	 " offer %s a place in the children's group."},
	{"domestic_abuse", 'W', 0, "Agree with mum and school who %s can talk to on a bad day, and"
	 " tell the DSL of any new incident the same day."},
	{"substance_misuse", 'W', 0, "Support dad to self-refer to the drug and alcohol service and go"
	 " with him to the first appointment; %s's caring load to be reviewed."},
	{"adult_mental_health", 'F', 0, "Mum will see her GP about her medication and tell the worker"
	 " how it went; %s will not be kept home to help."},
	{"housing", 'A', A_HOUSING, "Assess the family's homelessness application and confirm the"
	 " banding in writing; look at a move closer to %s's school."},
	{"finances", 'A', A_CAB, "Do a full benefits check with mum and help with the Universal"
	 " Credit housing element; %s's free school meals to be confirmed."},
	{"finances", 'A', A_FOODBANK, "Provide food vouchers for three weeks and the holiday meals"
	 " club place for %s."},
	{"unemployment", 'A', A_JCP, "Offer dad a place on the sector-based work academy and the"
	 " English for work course; review after %s's half term."},
	{"caring", 'A', A_CARERS, "Carry out a young carer's assessment with %s and offer the"
	 " Thursday club."},
	{"crime_exploitation", 'A', A_POLICE, "Meet %s fortnightly at school and share any missing"
	 " episodes with the worker the same day."},
	{"send", 'W', 0, "Set up a meeting with the SENCo and mum to review %s's support plan and"
	 " the transition."},
	{"health", 'A', A_NURSE, "Review %s's asthma plan with mum and the GP, and check the"
	 " inhaler is in school."},
	{"other", 'W', 0, "Help mum register the family with a GP and a dentist and show %s the"
	 " way to the new school."},
};

static int add_action(struct seeding *g, const struct dcase *c, const struct atmpl *t,
		      int64_t prof, hday due)
{
	char day[11];
	day_str(due, day);
	struct action_in in = {
		.description = arena_printf(&g->arena, t->text, c->child),
		.need = t->need, .due_on = day,
		.owner_kind = t->owner == 'F' ? "family" : t->owner == 'W' ? "worker" : "agency",
		.owner_member_id = t->owner == 'F' ? c->mother : 0,
		.owner_worker_id = t->owner == 'W' ? c->worker_id : 0,
		.owner_professional_id = t->owner == 'A' ? prof : 0,
	};
	struct errinfo e = {0};
	int64_t id;
	int rc = plan_action_add(g->db, &g->s, c->id, &in, &id, &e);
	if (rc == HE_INVALID && !strcmp(e.field, "due_on") && due < g->today) {
		g->moved++;   /* the core refuses a past due date: due in the coming weeks */
		day_str(g->today + between(&g->rng, 5, 25), day);
		e = (struct errinfo){0};
		rc = plan_action_add(g->db, &g->s, c->id, &in, &id, &e);
	}
	if (!rc) {
		g->actions++;
		g->grace_actions += prof && prof == g->prof_ids[GRACE];
	}
	return failed(g->log, rc, "action", &e);
}

/* Grace for Sam's attendance cases and half the others'. */
static int64_t owner_prof(struct seeding *g, const struct dcase *c, enum akind k)
{
	if (k == A_EWS)
		return c->sam || chance(&g->rng, 50) ? g->prof_ids[GRACE] : prof_of(g, A_EWS, false);
	return prof_of(g, k, chance(&g->rng, 70));
}

/* The first plan: one action per need (up to three), preferring the
 * family's own commitment first, then the agency's (with consent). */
static int first_plan(struct seeding *g, const struct dcase *c, hday t0)
{
	int rc = HE_OK, made = 0;
	bool family = false;
	for (size_t i = 0; !rc && i < NELEM(tmpls) && made < 4; i++) {
		const struct atmpl *t = &tmpls[i];
		if (!has_need(c, t->need) || (t->owner == 'F' && (!c->mother || family)) ||
		    (t->owner == 'A' && !shares_with(c, t->agency)))
			continue;
		int64_t prof = t->owner == 'A' ? owner_prof(g, c, t->agency) : 0;
		rc = add_action(g, c, t, prof, weekday_on_or_after(t0 + between(&g->rng, 21, 56)));
		family |= t->owner == 'F';
		made++;
	}
	if (!rc && !family && c->mother) {   /* every plan has the family's own commitment */
		static const struct atmpl own = {"parenting", 'F', 0, "Mum will keep the family"
			" calendar on the fridge with %s's appointments and school events, and bring it"
			" to each visit."};
		rc = add_action(g, c, &own, 0, weekday_on_or_after(t0 + between(&g->rng, 21, 42)));
	}
	if (!rc && made < 2) {
		static const struct atmpl mine = {"other", 'W', 0, "Visit every two weeks to go"
			" through the plan with mum and %s, and update school after each visit."};
		rc = add_action(g, c, &mine, 0, weekday_on_or_after(t0 + 42));
	}
	return rc;
}

/* ---- TAF meetings ------------------------------------------------------------- */

static int64_t meeting_version(struct db *db, int64_t id)
{
	return int_of(db, "SELECT version FROM taf_meetings WHERE id = :id", id);
}

/* The professionals owning open actions on the case (at most max). */
static size_t case_profs(struct seeding *g, const struct dcase *c, int64_t *out, size_t max)
{
	struct db_stmt *st = db_prepare(g->db, "SELECT DISTINCT owner_professional_id FROM"
		" plan_actions WHERE case_id = :id AND owner_kind = 'agency' ORDER BY 1");
	db_bind_int(st, ":id", c->id);
	size_t n = 0;
	while (db_next(st) && n < max)
		out[n++] = db_int(st, 0);
	db_finalize(st);
	return n;
}

static int schedule(struct seeding *g, const struct dcase *c, hday day, int64_t *mid, bool *skipped)
{
	static const char *const times[] = {"09:30", "10:00", "13:30", "15:45"};
	char at[17], day10[11];
	day_str(day, day10);
	snprintf(at, sizeof at, "%sT%s", day10, PICK(&g->rng, times));
	struct meeting_in in = {
		.starts_at = at, .duration_min = chance(&g->rng, 70) ? 60 : 90,
		.place = *c->school ? arena_printf(&g->arena, "Multi-agency room, %s", c->school)
				    : "Early Help hub, Charles Street",
	};
	struct errinfo e = {0};
	*skipped = false;
	int rc = taf_schedule(g->db, &g->s, c->id, &in, mid, &e);
	if (rc == HE_INVALID && !strcmp(e.field, "starts_at") && day < g->today) {
		*skipped = true;   /* the core refuses a meeting in the past */
		g->skipped_meetings++;
		return HE_OK;
	}
	return failed(g->log, rc, "meeting", &e);
}

static int invite_all(struct seeding *g, const struct dcase *c, int64_t mid, const int64_t *pv,
		      size_t np)
{
	struct errinfo e = {0};
	int rc = HE_OK;
	for (size_t i = 0; !rc && i < np; i++) {
		rc = failed(g->log, taf_invite(g->db, &g->s, mid, meeting_version(g->db, mid), pv[i], 0,
			    0, &e), "invite", &e);
		g->grace_meetings += !rc && pv[i] == g->prof_ids[GRACE];
	}
	if (!rc && c->mother)
		rc = failed(g->log, taf_invite(g->db, &g->s, mid, meeting_version(g->db, mid), 0,
			    c->mother, 0, &e), "invite", &e);
	return rc;
}

static const char *const minutes_texts[] = {
	"Introductions. Mum said mornings are the hardest part and she wants %s back in school"
	" full time. School shared attendance since September. Each service said what it can"
	" offer; mum chose what she wants to start with.",
	"Reviewed the plan with mum and %s. Attendance has improved since the last meeting but"
	" Mondays are still difficult. Housing update given. Everyone agreed the actions below.",
	"Mum and dad both attended. The worker summarised the assessment; agencies shared what"
	" they know with consent. %s joined for the last ten minutes and said school feels better.",
};

static const char *const decisions_texts[] = {
	"1. The worker stays lead professional. 2. Attendance to be reviewed weekly with the EWO."
	" 3. Next meeting in six weeks at school.",
	"1. Plan agreed and signed by mum. 2. Agencies to update their actions in Hearth before"
	" the next review. 3. The family will say if any meeting time is hard for them.",
};

/* A meeting held on day: invite, record attendance (one professional
 * sends apologies when several were asked), minutes, decisions, and one
 * new action for an agency. */
static int held_meeting(struct seeding *g, const struct dcase *c, hday day)
{
	int64_t pv[4], mid = 0;
	size_t np = case_profs(g, c, pv, 3);
	if (!np)
		pv[np++] = owner_prof(g, c, has_need(c, "attendance") || !shares_with(c, A_NURSE)
				      ? A_EWS : A_NURSE);
	bool skipped;
	int rc = schedule(g, c, day, &mid, &skipped);
	if (rc || skipped)
		return rc;
	if ((rc = invite_all(g, c, mid, pv, np)))
		return rc;
	int64_t came[8];
	size_t n = 0, absent = np > 1 ? (size_t)below(&g->rng, 4) : 99;
	struct db_stmt *st = db_prepare(g->db, "SELECT id FROM taf_invitees WHERE meeting_id = :id"
		" ORDER BY id");
	db_bind_int(st, ":id", mid);
	for (size_t i = 0; db_next(st) && n < 8; i++)
		if (i != absent)
			came[n++] = db_int(st, 0);
	if ((rc = db_finalize(st)))
		return rc;
	char due[11];
	day_str(weekday_on_or_after(day + 28), due);
	const struct atmpl *t = &tmpls[1];   /* the EWO's attendance check */
	for (size_t i = 0; i < NELEM(tmpls); i++)
		if (tmpls[i].owner == 'A' && has_need(c, tmpls[i].need) &&
		    shares_with(c, tmpls[i].agency) && chance(&g->rng, 60))
			t = &tmpls[i];
	int64_t prof = owner_prof(g, c, t->agency);
	/* The professional already working on that need for the family takes
	 * the next step: a second one on it is what the joint audit's
	 * same-need check finds, and the demo makes that case on purpose
	 * (overlap), not by chance (which, with the dates moving the
	 * meetings, gave a different number of findings each day). */
	struct db_stmt *st2 = db_prepare(g->db, "SELECT pa.owner_professional_id FROM plan_actions pa"
		" JOIN cases k ON k.id = pa.case_id WHERE k.family_id = :fam AND k.status = 'open'"
		" AND pa.owner_kind = 'agency' AND pa.need = :need AND pa.status IN " PLAN_OPEN_STATUSES
		" ORDER BY pa.id LIMIT 1");
	db_bind_int(st2, ":fam", c->family_id);
	db_bind_text(st2, ":need", t->need);
	if (db_next(st2))
		prof = db_int(st2, 0);
	if ((rc = db_finalize(st2)))
		return rc;
	struct action_in act = {
		.description = arena_printf(&g->arena, t->text, c->child), .need = t->need,
		.owner_kind = "agency", .owner_professional_id = prof, .due_on = due,
	};
	struct errinfo e = {0};
	const char *minutes = arena_printf(&g->arena, PICK(&g->rng, minutes_texts), c->child);
	const char *decisions = PICK(&g->rng, decisions_texts);
	rc = taf_record(g->db, &g->s, mid, meeting_version(g->db, mid), came, n, minutes, decisions,
			&act, 1, &e);
	if (rc == HE_INVALID && strstr(e.field, "due_on")) {
		g->moved++;
		day_str(g->today + between(&g->rng, 5, 25), due);
		e = (struct errinfo){0};
		rc = taf_record(g->db, &g->s, mid, meeting_version(g->db, mid), came, n, minutes,
				decisions, &act, 1, &e);
	}
	if (!rc) {
		g->held++;
		g->actions++;
		g->grace_actions += prof == g->prof_ids[GRACE];
	}
	return failed(g->log, rc, "meeting held", &e);
}

/* The family shares with agencies but not with health services: the
 * core must refuse to invite their school nurse.  Nothing is written. */
static int refuse_health(struct seeding *g, int64_t mid)
{
	struct errinfo e = {0};
	int rc = taf_invite(g->db, &g->s, mid, meeting_version(g->db, mid),
			    prof_of(g, A_NURSE, true), 0, 0, &e);
	if (rc == HE_CONFLICT && strcmp(e.field, "consent") == 0) {
		g->health_refusal_shown = true;
		say(g->log, "a school nurse was not invited to meeting %" PRId64 ": %s", mid, e.message);
		return HE_OK;
	}
	say(g->log, "inviting a school nurse without the family's health consent was not refused");
	return rc ? rc : HE_INTERNAL;
}

static int upcoming_meeting(struct seeding *g, const struct dcase *c)
{
	int64_t pv[4], mid = 0;
	size_t np = case_profs(g, c, pv, 3);
	bool grace = false;
	for (size_t i = 0; i < np; i++)
		grace |= pv[i] == g->prof_ids[GRACE];
	if (!grace && np < 4 && has_need(c, "attendance") && c->sam)
		pv[np++] = g->prof_ids[GRACE];
	if (!np)
		return HE_OK;
	bool skipped;
	hday day = weekday_on_or_after(g->today + between(&g->rng, 1, 13));
	int rc = schedule(g, c, day, &mid, &skipped);
	if (!rc && !skipped)
		rc = invite_all(g, c, mid, pv, np);
	if (!rc && !skipped && c->agencies && !c->health && !g->health_refusal_shown)
		rc = refuse_health(g, mid);
	g->upcoming += !rc;
	return rc;
}

/* ---- reviews ----------------------------------------------------------------- */

static const char *const progress_texts[][2] = {
	/* [status][k] */
	{"Not started yet: waiting for the appointment.", "Agreed again at the review; not begun."},
	{"Under way: going well so far.", "Started; some weeks harder than others."},
	{"Done. The family said it made a difference.", "Completed and confirmed in writing."},
	{"Not done: the family could not get to the sessions; to pick up again.",
	 "Not done this time: the service had a waiting list."},
};

static int review(struct seeding *g, const struct dcase *c, hday held)
{
	struct db_stmt *st = db_prepare(g->db, "SELECT id, version, due_on FROM plan_actions"
		" WHERE case_id = :id AND status IN " PLAN_OPEN_STATUSES " ORDER BY id");
	db_bind_int(st, ":id", c->id);
	struct review_progress pr[32];
	size_t n = 0;
	while (db_next(st) && n < 32) {
		hday due = 0;
		date_parse(db_text(st, 2), &due);
		int k = below(&g->rng, 100), si = due <= held ? (k < 65 ? 2 : k < 85 ? 1 : 3)
						  : (k < 60 ? 1 : 0);
		static const char *const st_codes[] = {"not_started", "in_progress", "done", "not_done"};
		pr[n++] = (struct review_progress){db_int(st, 0), db_int(st, 1), st_codes[si],
						   progress_texts[si][below(&g->rng, 2)]};
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	struct assess_in ain;
	struct assess_score_in sc[MAX_DOMAINS];
	record_assessment(g, c, held, false, &ain, sc);
	char day[11];
	day_str(held, day);
	static const char *const views[] = {
		"Mum said things feel more manageable and she knows who to call.",
		"Dad said the meetings help; %s said school is \"a bit better\".",
		"The family feel listened to but want housing sorted before anything else.",
		"Mum said the mornings are still a battle some days, but fewer than before.",
	};
	struct review_in in = {
		.held_on = day,
		.summary = arena_printf(&g->arena, "Six-weekly review with %s. Went through every"
					" action and the scores; the plan was updated.", c->mother_name),
		.family_view = arena_printf(&g->arena, PICK(&g->rng, views), c->child),
		.progress = pr, .nprogress = n, .assessment = &ain,
	};
	struct errinfo e = {0};
	int64_t id;
	rc = plan_review_add(g->db, &g->s, c->id, int_of(g->db, "SELECT version FROM cases"
			     " WHERE id = :id", c->id), &in, &id, &e);
	if (!rc) {
		g->reviews++;
		g->assessments++;
	}
	return failed(g->log, rc, "review", &e);
}

/* ---- one case ------------------------------------------------------------------ */

static int work_case(struct seeding *g, struct dcase *c, bool first_sam)
{
	hday t0 = weekday_on_or_before(c->opened + between(&g->rng, 7, 14));
	if (t0 > g->today)
		t0 = g->today;
	if (t0 < c->opened)
		t0 = c->opened;
	struct assess_in ain;
	struct assess_score_in sc[MAX_DOMAINS];
	int rc = record_assessment(g, c, t0, true, &ain, sc);
	if (!rc)
		rc = first_plan(g, c, t0);
	hday taf = weekday_on_or_after(t0 + between(&g->rng, 14, 21));
	if (!rc && c->agencies && taf < g->today && (c->sam || chance(&g->rng, 50)))
		rc = held_meeting(g, c, taf);
	/* reviews every six weeks; an overdue review (case demo) stays overdue */
	bool overdue = c->next_review && c->next_review < g->today;
	for (hday r = weekday_on_or_after(t0 + REVIEW_DAYS); !rc && r < g->today;
	     r = weekday_on_or_after(r + REVIEW_DAYS)) {
		if (overdue && r + REVIEW_DAYS >= g->today - 3)
			break;
		rc = review(g, c, r);
	}
	if (!rc && first_sam && c->mother) {   /* Sam: one action already overdue */
		static const struct atmpl late = {"attendance", 'F', 0, "Mum will bring %s's"
			" medical letter to the attendance office so last month's absences can be"
			" authorised."};
		int before = g->moved;
		rc = add_action(g, c, &late, 0, g->today - between(&g->rng, 3, 6));
		g->sam_overdue_done = !rc && g->moved == before;
	}
	if (!rc && c->agencies && (c->sam || chance(&g->rng, 35)))
		rc = upcoming_meeting(g, c);
	g->cases += !rc;
	return rc;
}

/* ---- duplicates for the joint audit ------------------------------------------- */

/* Two agencies on one family's housing; an agency carrying a plan. */
static int overlaps(struct seeding *g, struct dcase *v, int n)
{
	int rc = HE_OK;
	for (int i = 0; !rc && i < n && (!g->overlap_done || !g->agency_lead_done); i++) {
		struct dcase *c = &v[i];
		if (!c->agencies)
			continue;
		hday due = weekday_on_or_after(g->today + between(&g->rng, 10, 30));
		if (!g->overlap_done && c->sam) {
			static const struct atmpl a1 = {"housing", 'A', A_HOUSING, "Complete the"
				" homelessness prevention assessment and confirm the family's band;"
				" %s's school to be considered in any offer."};
			static const struct atmpl a2 = {"housing", 'A', A_CAB, "Help mum challenge the"
				" section 21 notice and apply for a discretionary housing payment before"
				" %s's family fall further behind."};
			rc = add_action(g, c, &a1, prof_of(g, A_HOUSING, true), due);
			if (!rc)
				rc = add_action(g, c, &a2, g->prof_ids[25], due + 7);  /* Nadia Hussein */
			g->overlap_done = !rc;
		} else if (!g->agency_lead_done && !c->sam) {
			static const struct atmpl l[] = {
				{"crime_exploitation", 'A', A_POLICE, "Meet %s weekly at school and"
				 " complete the exploitation screening again in four weeks."},
				{"behaviour", 'A', A_POLICE, "Refer %s to the boxing club diversion"
				 " scheme and go to the first session."},
				{"safety", 'A', A_POLICE, "Visit mum with the safer homes officer and talk"
				 " through keeping %s safe online and after dark."},
				{"community", 'A', A_POLICE, "Introduce %s to the youth club at the"
				 " community centre on Wednesdays."},
			};
			int64_t pc = prof_of(g, A_POLICE, true);
			for (size_t k = 0; !rc && k < NELEM(l); k++)
				rc = add_action(g, c, &l[k], pc, due + (hday)(7 * k));
			g->agency_lead_done = !rc;
		}
	}
	return rc;
}

/* A sibling at another school, referred again by that school (naming the
 * first child too) and accepted for another worker: two open cases and
 * two lead workers for one family, and a pupil referred by two schools. */
static int second_referral(struct seeding *g)
{
	struct db_stmt *st = db_prepare(g->db,
		"SELECT c.id, c.family_id, c.worker_id, p.school_id, p.upn, (SELECT p1.upn FROM"
		" referral_pupils rp JOIN pupils p1 ON p1.id = rp.pupil_id WHERE rp.referral_id = r.id"
		" AND rp.school_id = r.school_id ORDER BY p1.id LIMIT 1), m2.name"
		" FROM cases c JOIN referrals r ON r.id = c.referral_id"
		" JOIN family_members m ON m.family_id = c.family_id AND m.pupil_id IS NOT NULL"
		" JOIN pupils p ON p.id = m.pupil_id"
		" JOIN family_members m2 ON m2.family_id = c.family_id AND m2.is_child = 0"
		" WHERE c.status = 'open' AND r.source = 'school' AND p.school_id <> r.school_id"
		" AND c.worker_id <> :sam ORDER BY c.id, p.id, m2.id LIMIT 1");
	db_bind_int(st, ":sam", g->sam_worker);
	int64_t family = 0, worker = 0, school = 0;
	char upn2[16] = "", upn1[16] = "", adult[120] = "";
	if (db_next(st)) {
		family = db_int(st, 1);
		worker = db_int(st, 2);
		school = db_int(st, 3);
		snprintf(upn2, sizeof upn2, "%s", db_text(st, 4));
		snprintf(upn1, sizeof upn1, "%s", db_is_null(st, 5) ? "" : db_text(st, 5));
		snprintf(adult, sizeof adult, "%s", db_text(st, 6));
	}
	int rc = db_finalize(st);
	if (rc || !family || !*upn1) {
		say(g->log, "no family with a child at a second school: no second referral seeded");
		return rc;
	}
	char received[21], given[11], decided[11];
	day_str(weekday_on_or_before(g->today - 12), given);
	snprintf(received, sizeof received, "%sT10:15:00Z", given);
	day_str(weekday_on_or_before(g->today - 8), decided);
	const char *upns[2] = {upn2, upn1};
	struct referral_adult ad = {adult, "mother", NULL};
	struct referral_in in = {
		.source = "school", .school_id = school, .upns = upns, .nupns = 2,
		.adults = &ad, .nadults = 1, .needs = "behaviour,emotional_health", .level_of_need = 3,
		.reason = "Since the autumn he has been withdrawn and twice walked out of school; mum"
			  " says there is a lot going on at home and his older sister is struggling too.",
		.tried = "Pastoral check-ins; referral to the school counsellor; home visit by the"
			 " learning mentor.",
		.consent = {.basis = "consent", .given_by = adult, .relationship = "mother",
			    .scope = "pool,school,health,agencies", .given_on = given},
		.received_at = received,
	};
	struct errinfo e = {0};
	int64_t ref_id = 0, case_id = 0;
	rc = failed(g->log, referral_create(g->db, &g->s, &in, &ref_id, &e), "second referral", &e);
	int64_t other = int_of(g->db, "SELECT min(id) FROM workers WHERE active = 1 AND id <> :id"
			       " AND user_id IS NULL", worker);
	struct decision_in d = {
		.decision = "accept", .version = 1, .worker_id = other, .intensity = 2,
		.override_capacity = true, .on_date = decided,
		.note = "Accepted on the day; the family's open case was not noticed at screening.",
	};
	if (!rc)
		rc = failed(g->log, referral_decide(g->db, &g->s, ref_id, &d, &case_id, &e),
			    "second referral's decision", &e);
	return rc;
}

/* ---- the whole ------------------------------------------------------------------ */

static void log_summary(const struct seeding *g, double secs)
{
	say(g->log, "directory of %d agencies and %d professionals; %d cases worked: %d assessments,"
	    " %d actions, %d reviews, %d TAF meetings held and %d upcoming; Grace Mensah invited to"
	    " %d meetings, owns %d actions; Sam %s (%.1f s)", A_COUNT, NPROFS,
	    g->cases, g->assessments, g->actions, g->reviews, g->held, g->upcoming,
	    g->grace_meetings, g->grace_actions,
	    g->sam_overdue_done ? "has an overdue action" : "has no overdue action", secs);
	say(g->log, "%d worked families share with partner agencies but not with health services:"
	    " no school nurse, CAMHS or health visitor is invited or given an action for them",
	    g->not_health);
	if (g->moved || g->skipped_meetings)
		say(g->log, "the core refused past dates: %d due dates moved into the coming weeks,"
		    " %d historic meetings left out", g->moved, g->skipped_meetings);
}

static int seed_work(struct seeding *g)
{
	struct dcase *v = NULL;
	int n = 0;
	int rc = assess_domains(g->db, &g->arena, true, &g->domains, &g->ndomains);
	if (!rc)
		rc = load_cases(g, &v, &n);
	bool first_sam = true;
	for (int i = 0; !rc && i < n; i++) {
		rc = work_case(g, &v[i], first_sam && v[i].sam);
		first_sam &= !v[i].sam;
	}
	if (!rc)
		rc = overlaps(g, v, n);
	if (!rc)
		rc = second_referral(g);
	free(v);
	return rc;
}

int demo_seed_taf(struct db *db, const struct audit_who *who, uint32_t seed, hday today, FILE *log)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct seeding g = {.db = db, .today = today, .log = log};
	scope_system(who, &g.s);
	g.rng.s = (uint64_t)seed * UINT64_C(0x9E3779B97F4A7C15) + 6;
	if (int_of0(db, "SELECT count(*) FROM agencies") > 0) {
		say(log, "the directory already has agencies: no TAF work seeded");
		return HE_OK;
	}
	arena_init(&g.arena);
	g.sam_worker = int_of0(db, "SELECT w.id FROM workers w JOIN users u ON u.id = w.user_id"
			       " WHERE u.email = 'worker@hearth.example'");
	int rc = seed_directory(&g);
	if (!rc)
		rc = seed_work(&g);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rc)
		log_summary(&g, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	arena_free(&g.arena);
	return rc;
}
