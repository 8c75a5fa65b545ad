/* demo_cases.c — the demo's pool, referrals and cases (see demo_cases.h).
 *
 * The plan, before any code: 24 workers (family support and parent
 * support workers, home–school liaison officers, mentors; employed by the
 * council's early help service, a charity or a school; each serving one
 * or two districts and a handful of their schools; with the city's
 * languages; the partnership's default maximum caseload is set to 16
 * standard cases first, through the coordinator's settings function, so
 * the settings page has a value and an audit row).  400 referrals received on school days over the last 18
 * months, in date order; the pupil is drawn from the latest census,
 * weighted by risk band (high 6 : medium 3 : low 1), one referral per
 * family; a third of the time the pupil's siblings are named too (often
 * at another school, which is then told).  The needs follow the census
 * indicators that fired (absence → attendance, suspensions → behaviour,
 * young carer → caring …) plus what only the school knows; the reason is
 * written the way a DSL writes one.  Screening 1–8 school days later:
 * about 74% accepted, 12% signposted, 7% declined, 7% stepped up; the
 * last week's referrals are still waiting.  An accepted case lasts 3 to 9
 * months, with a contact every one to four weeks (home visits 45–90 min,
 * calls 15–30, school meetings 30–60); one in ten is transferred half way
 * (leave, a change of patch); it ends with outcomes met, disengagement, a
 * move away, or a step up to social care (half of which come back down
 * as a new referral).  Cases still open today have their next review set
 * (a few left overdue), and a visit booked in the next fortnight.
 *
 * The demo worker, Sam Whitfield, serves the City Centre (the demo
 * school's district) and is given the open cases there until they have
 * twelve (one with its review overdue, visits booked this week), some
 * closed ones, and covers a colleague on leave this week.  On Sam's first
 * open case the family record gained a grandmother and the school nurse
 * through the forms, Save pressed twice each time: one of each is kept
 * (the forms' one-time keys).  The demo
 * school's referrals are in every state: one per state is placed on a
 * fixed day, the rest are drawn like everyone else's.
 *
 * Speed: each step is one transaction of a core function (a few thousand
 * in all); the lookups here are few and indexed. */
#include "core/demo_cases.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/arena.h"
#include "core/allocate.h"
#include "core/assess.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/caseload_settings.h"
#include "core/consent.h"
#include "core/demo.h"
#include "core/demo_family.h"
#include "core/demo_rng.h"
#include "core/family.h"
#include "core/referral.h"
#include "core/scope.h"
#include "core/worker.h"
#include "store/db.h"

#define NREFERRALS 400
#define HISTORY_DAYS 548       /* eighteen months */
#define QUEUE_DAYS 7           /* referrals this recent are still waiting */
#define SAM_OPEN 12            /* the demo worker's open cases */
#define MAX_WORKERS 32
#define DEMO_DEFAULT_MAX 16    /* the partnership's default maximum caseload */

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

/* A core function failed: log what and which field, pass the code on. */
static int failed(FILE *log, int rc, const char *what, const struct errinfo *e)
{
	if (rc)
		say(log, "%s failed (%s): %s%s%s", what, err_name(rc), e->message,
		    *e->field ? " — field " : "", e->field);
	return rc;
}

/* ---- the pool ---------------------------------------------------------- */

/* A worker of the plan.  district: index into the partnership's districts
 * by name; employer 'C' council, 'T' charity, 'S' the first school served. */
struct demo_worker {
	const char *name, *kind;
	char employer;
	const char *district, *district2;
	const char *skills, *languages;
	int hours;
};

static const struct demo_worker pool[] = {
	{"Sam Whitfield", "family_support", 'C', "City Centre", NULL,
	 "attendance,parenting,emotional_health,housing", "", 37},
	{"Bhavna Mistry", "family_support", 'C', "North East", "East",
	 "parenting,finances,caring", "Gujarati,Hindi", 37},
	{"Hodan Warsame", "family_support", 'T', "City Centre", "North West",
	 "domestic_abuse,emotional_health,housing", "Somali,Arabic", 30},
	{"Marta Kowalczyk", "parent_support", 'C', "West", "Braunstone & Rowley Fields",
	 "parenting,attendance,finances", "Polish,Russian", 37},
	{"Gurpreet Sandhu", "family_support", 'C', "North West", NULL,
	 "crime_exploitation,behaviour,substance_misuse", "Punjabi,Hindi", 37},
	{"Imran Hussain", "mentor", 'T', "East", "City Centre",
	 "behaviour,crime_exploitation,attendance", "Urdu,Punjabi", 37},
	{"Karen Brooks", "family_support", 'C', "Braunstone & Rowley Fields", NULL,
	 "domestic_abuse,substance_misuse,adult_mental_health", "", 37},
	{"Daniel Osei", "mentor", 'C', "South", NULL,
	 "behaviour,emotional_health,unemployment", "Twi", 30},
	{"Leila Haddad", "parent_support", 'T', "North East", NULL,
	 "parenting,send,emotional_health", "Arabic,Kurdish", 24},
	{"Joanne Pickering", "hslo", 'S', "South", NULL,
	 "attendance,parenting", "", 37},
	{"Rukhsana Akhtar", "hslo", 'S', "North West", NULL,
	 "attendance,caring,finances", "Urdu,Punjabi", 32},
	{"Precious Moyo", "family_support", 'C', "West", NULL,
	 "domestic_abuse,housing,finances", "Shona", 37},
	{"Tomasz Nowak", "mentor", 'T', "Braunstone & Rowley Fields", "West",
	 "behaviour,crime_exploitation", "Polish", 30},
	{"Nisha Chauhan", "family_support", 'C', "East", NULL,
	 "emotional_health,send,parenting", "Gujarati", 37},
	{"Claire Dunmore", "family_support", 'C', "South", "City Centre",
	 "adult_mental_health,substance_misuse,housing", "", 37},
	{"Abdirahman Jama", "hslo", 'S', "North East", NULL,
	 "attendance,unemployment", "Somali", 37},
	{"Ioana Popescu", "parent_support", 'T', "North West", "West",
	 "parenting,finances,health", "Romanian,Italian", 30},
	{"Harjinder Bains", "family_support", 'C', "North West", NULL,
	 "domestic_abuse,caring,parenting", "Punjabi", 37},
	{"Sean O'Connor", "mentor", 'C', "City Centre", NULL,
	 "behaviour,attendance,crime_exploitation", "", 37},
	{"Amina Yusuf", "family_support", 'T', "East", NULL,
	 "housing,finances,domestic_abuse", "Somali,Arabic", 37},
	{"Hannah Lowe", "parent_support", 'S', "West", NULL,
	 "send,parenting,health", "", 24},
	{"Vikram Lad", "hslo", 'S', "East", NULL,
	 "attendance,behaviour", "Gujarati", 37},
	{"Grace Adeyemi", "family_support", 'C', "North East", "City Centre",
	 "emotional_health,adult_mental_health,parenting", "Yoruba", 37},
	{"Bilal Rahman", "mentor", 'T', "South", "Braunstone & Rowley Fields",
	 "crime_exploitation,substance_misuse,behaviour", "Bengali,Urdu", 30},
};
#define NPOOL ((int)(sizeof pool / sizeof pool[0]))

/* A school of the partnership, as loaded. */
struct dschool {
	int64_t id, district_id;
	char urn[8], name[160], district[64];
};

/* What the seeding knows and tracks. */
struct seeding {
	struct db *db;
	struct scope s;
	struct rng rng;
	hday today;
	FILE *log;
	struct dschool *schools;
	int nschools, demo_school;       /* demo_school: index in schools */
	int64_t worker_ids[MAX_WORKERS];
	int64_t worker_district[MAX_WORKERS][2];
	int64_t sam_user;
	/* cases open on each worker, as end days (for choosing by load) */
	hday *ends[MAX_WORKERS];
	int nends[MAX_WORKERS], sam_open;
	bool covered_open;               /* COVERED has been given an open case */
	/* families already referred (their pupils' family keys / ids) */
	char **used;
	int nused;
	int counts[8];                   /* by outcome, for the log */
	int contacts, transfers, overdue, assessments;
	/* the closed cases' assessments: a stream of their own, so adding
	 * them did not change the rest of the demo */
	struct rng arng;
	struct arena arena;
	struct assess_domain *domains;
	size_t ndomains;
};

static int load_schools(struct seeding *g)
{
	struct db_stmt *st = db_prepare(g->db,
		"SELECT s.id, s.urn, s.name, s.district_id, d.name FROM schools s"
		" JOIN districts d ON d.id = s.district_id ORDER BY s.urn");
	size_t cap = 128;
	g->schools = xcalloc(cap, sizeof *g->schools);
	g->demo_school = -1;
	while (db_next(st)) {
		if ((size_t)g->nschools == cap) {
			g->schools = xrealloc(g->schools, 2 * cap * sizeof *g->schools);
			cap *= 2;
		}
		struct dschool *d = &g->schools[g->nschools];
		d->id = db_int(st, 0);
		snprintf(d->urn, sizeof d->urn, "%s", db_text(st, 1));
		snprintf(d->name, sizeof d->name, "%s", db_text(st, 2));
		d->district_id = db_int(st, 3);
		snprintf(d->district, sizeof d->district, "%s", db_text(st, 4));
		if (strcmp(d->urn, DEMO_SCHOOL_URN) == 0)
			g->demo_school = g->nschools;
		g->nschools++;
	}
	return db_finalize(st);
}

static int64_t district_id(const struct seeding *g, const char *name)
{
	for (int i = 0; name && i < g->nschools; i++)
		if (strcmp(g->schools[i].district, name) == 0)
			return g->schools[i].district_id;
	return 0;
}

static bool serves(const struct seeding *g, int w, int64_t district)
{
	return g->worker_district[w][0] == district || g->worker_district[w][1] == district;
}

/* Up to max schools of the worker's districts (secondaries first for
 * HSLOs and mentors, who are based in one), the demo school for Sam. */
static size_t pick_schools(struct seeding *g, int w, int64_t *out, size_t max)
{
	size_t n = 0;
	if (w == 0)
		out[n++] = g->schools[g->demo_school].id;
	for (int tries = 0; n < max && tries < 400; tries++) {
		const struct dschool *d = &g->schools[below(&g->rng, g->nschools)];
		if (!serves(g, w, d->district_id))
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= out[i] == d->id;
		if (!dup)
			out[n++] = d->id;
	}
	return n;
}

static const char *employer(struct seeding *g, int w, const int64_t *schools, size_t n)
{
	static const char *const charities[] = {"Family Action Midlands",
		"Barnardo's (partnership contract)", "Home-Start City"};
	if (pool[w].employer == 'C')
		return "City Council Early Help Service";
	if (pool[w].employer == 'T')
		return charities[w % 3];
	for (int i = 0; n && i < g->nschools; i++)
		if (g->schools[i].id == schools[0])
			return g->schools[i].name;
	return "City Council Early Help Service";
}

static int user_by_email(struct db *db, const char *email, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM users WHERE email = :email");
	db_bind_text(st, ":email", email);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The partnership's default maximum caseload, as its coordinator would set
 * it before building the pool (the HSLOs and part-timers have their own). */
static int seed_default_max(struct seeding *g)
{
	struct errinfo e = {0};
	int seen;
	int rc = caseload_settings_get(g->db, &seen);
	if (!rc)
		rc = caseload_settings_set(g->db, g->s.who, DEMO_DEFAULT_MAX, &seen, &e);
	return failed(g->log, rc, "default maximum caseload", &e);
}

static int seed_workers(struct seeding *g)
{
	int rc = user_by_email(g->db, "worker@hearth.example", &g->sam_user);
	for (int w = 0; !rc && w < NPOOL; w++) {
		int64_t schools[6], districts[2];
		size_t nd = 0;
		g->worker_district[w][0] = districts[nd++] = district_id(g, pool[w].district);
		g->worker_district[w][1] = pool[w].district2 ? district_id(g, pool[w].district2) : -1;
		if (pool[w].district2)
			districts[nd++] = g->worker_district[w][1];
		size_t ns = pick_schools(g, w, schools, strcmp(pool[w].kind, "hslo") ? 4 : 2);
		char idem[24];
		snprintf(idem, sizeof idem, "demo-worker-%d", w);
		struct worker_in in = {
			.name = pool[w].name, .employer = employer(g, w, schools, ns),
			.kind = pool[w].kind, .skills = pool[w].skills, .languages = pool[w].languages,
			.hours_per_week = pool[w].hours, .max_caseload = pool[w].hours < 30 ? 12 : 0,
			.user_id = w == 0 ? g->sam_user : 0,
			.school_ids = schools, .nschools = ns, .district_ids = districts, .ndistricts = nd,
			.idem_key = idem,
		};
		struct errinfo e = {0};
		rc = failed(g->log, worker_save(g->db, &g->s, 0, &in, &g->worker_ids[w], &e),
			    pool[w].name, &e);
	}
	return rc;
}

/* ---- pupils ------------------------------------------------------------ */

struct dpupil {
	int64_t id, school_id;
	char upn[14], forename[48], surname[64], key[48];
	int band, attendance, year;   /* band 2 high, 1 medium, 0 low; attendance % or -1 */
	char fired[200];
};

struct pupils {
	struct dpupil *v;
	int n;
	int *by_band[3];
	int nband[3];
};

/* The latest census's pupils: every high and medium band pupil, and one
 * low band pupil in twelve (enough to draw from, fast on 60,000). */
static int load_pupils(struct seeding *g, struct pupils *p)
{
	struct db_stmt *st = db_prepare(g->db,
		"SELECT p.id, p.school_id, p.upn, p.forename, p.surname, coalesce(p.family_key, ''),"
		" s.risk_band, s.sessions_possible, s.sessions_attended, coalesce(s.year_group, -9),"
		" s.risk_fired FROM pupils p JOIN pupil_snapshots s ON s.pupil_id = p.id"
		" WHERE s.extract_date = (SELECT max(extract_date) FROM pupil_snapshots)"
		" AND (s.risk_band <> 'low' OR p.id % 12 = 0) ORDER BY p.id");
	size_t cap = 1024;
	p->v = xcalloc(cap, sizeof *p->v);
	while (db_next(st)) {
		if ((size_t)p->n == cap) {
			p->v = xrealloc(p->v, 2 * cap * sizeof *p->v);
			cap *= 2;
		}
		struct dpupil *d = &p->v[p->n++];
		d->id = db_int(st, 0);
		d->school_id = db_int(st, 1);
		snprintf(d->upn, sizeof d->upn, "%s", db_text(st, 2));
		snprintf(d->forename, sizeof d->forename, "%s", db_text(st, 3));
		snprintf(d->surname, sizeof d->surname, "%s", db_text(st, 4));
		snprintf(d->key, sizeof d->key, "%s", db_text(st, 5));
		const char *band = db_text(st, 6);
		d->band = strcmp(band, "high") == 0 ? 2 : strcmp(band, "medium") == 0;
		int64_t poss = db_int(st, 7), att = db_int(st, 8);
		d->attendance = poss > 0 ? (int)(att * 100 / poss) : -1;
		d->year = (int)db_int(st, 9);
		snprintf(d->fired, sizeof d->fired, "%s", db_text(st, 10) ? db_text(st, 10) : "");
	}
	int rc = db_finalize(st);
	for (int b = 0; b < 3; b++)
		p->by_band[b] = xcalloc((size_t)p->n + 1, sizeof(int));
	for (int i = 0; i < p->n; i++)
		p->by_band[p->v[i].band][p->nband[p->v[i].band]++] = i;
	return rc;
}

static void pupils_free(struct pupils *p)
{
	free(p->v);
	for (int b = 0; b < 3; b++)
		free(p->by_band[b]);
}

static const char *family_of(const struct dpupil *d, char buf[32])
{
	if (*d->key)
		return d->key;
	snprintf(buf, 32, "#%" PRId64, d->id);
	return buf;
}

static bool used(const struct seeding *g, const char *fam)
{
	for (int i = 0; i < g->nused; i++)
		if (strcmp(g->used[i], fam) == 0)
			return true;
	return false;
}

/* A pupil not yet referred, weighted by band (6:3:1), from school
 * school_id if not 0; -1 if none found. */
static int draw_pupil(struct seeding *g, const struct pupils *p, int64_t school_id)
{
	char buf[32];
	for (int tries = 0; tries < 4000; tries++) {
		int w = below(&g->rng, 10), band = w < 6 ? 2 : w < 9 ? 1 : 0;
		if (!p->nband[band])
			continue;
		const struct dpupil *d = &p->v[p->by_band[band][below(&g->rng, p->nband[band])]];
		if ((school_id && d->school_id != school_id) || d->year < 0 || d->year > 13 ||
		    used(g, family_of(d, buf)))
			continue;
		return (int)(d - p->v);
	}
	return -1;
}

static void mark_used(struct seeding *g, const struct dpupil *d)
{
	char buf[32];
	g->used = xrealloc(g->used, (size_t)(g->nused + 1) * sizeof *g->used);
	g->used[g->nused++] = xstrdup(family_of(d, buf));
}

/* The UPNs of d's siblings (same family key), into upns (max n). */
static int siblings(struct seeding *g, const struct dpupil *d, char upns[][14], int max, int *n)
{
	*n = 0;
	if (!*d->key)
		return HE_OK;
	struct db_stmt *st = db_prepare(g->db,
		"SELECT upn FROM pupils WHERE family_key = :key AND id <> :id ORDER BY id");
	db_bind_text(st, ":key", d->key);
	db_bind_int(st, ":id", d->id);
	while (db_next(st) && *n < max)
		snprintf(upns[(*n)++], 14, "%s", db_text(st, 0));
	return db_finalize(st);
}

/* ---- the words of a referral -------------------------------------------- */

/* A parent's first name that goes with the family's surname (the census
 * does not keep parents' names, so the demo invents them). */
struct name_group {
	const char *surnames, *mothers[6], *fathers[4];
};

static const struct name_group name_groups[] = {
	{"|Patel|Mistry|Parmar|Solanki|Chauhan|Lad|Modi|Shah|Joshi|Pandya|Desai|Mehta|Chavda|"
	 "Vaghela|Makwana|Kotecha|Lakhani|Thakrar|Gohil|Rathod|Varsani|",
	 {"Bhavna", "Hetal", "Nisha", "Sonal", "Jyoti", "Kalpana"},
	 {"Rakesh", "Nilesh", "Jignesh", "Mahesh"}},
	{"|Singh|Kaur|Sandhu|Gill|Dhillon|Bains|",
	 {"Harjinder", "Manjit", "Rajvinder", "Kulwant", "Parminder", "Jaswinder"},
	 {"Balvinder", "Sukhdev", "Gurdeep", "Jasbir"}},
	{"|Khan|Ahmed|Hussain|Ali|Mahmood|Begum|Rahman|Chowdhury|Iqbal|Sheikh|Mirza|",
	 {"Shabana", "Nasreen", "Rukhsana", "Samina", "Farzana", "Shazia"},
	 {"Tariq", "Imran", "Asif", "Shahid"}},
	{"|Abdi|Hassan|Mohamed|Farah|Warsame|Jama|Omar|Osman|Hersi|Nur|Egal|Aden|Duale|Yusuf|",
	 {"Hodan", "Amina", "Fadumo", "Sahra", "Hawa", "Nasra"},
	 {"Abdullahi", "Mohamed", "Hassan", "Ismail"}},
	{"|Nowak|Kowalski|Wiśniewski|Wójcik|Kamiński|Lewandowski|Zieliński|Mazur|Krawczyk|",
	 {"Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Ewa", "Monika"},
	 {"Piotr", "Tomasz", "Marcin", "Paweł"}},
	{"|Popescu|Ionescu|Popa|Dumitru|Horváth|Novák|Kazlauskas|Petrov|Balogh|",
	 {"Ioana", "Elena", "Mihaela", "Andreea", "Irina", "Zsuzsa"},
	 {"Andrei", "Mihai", "Florin", "Gabor"}},
	{"|Okafor|Adeyemi|Mensah|Osei|Mwangi|Moyo|Ncube|Banda|Boateng|Asante|Nwosu|Eze|"
	 "Chikwanha|Okoro|",
	 {"Blessing", "Grace", "Chiamaka", "Abena", "Tendai", "Folake"},
	 {"Kwame", "Emeka", "Tunde", "Kofi"}},
	{"|Chen|Wang|Li|Zhang|Liu|Al-Sayed|Haddad|Karimi|Rahimi|Hosseini|Nguyen|Tran|Ahmadi|"
	 "Barzani|",
	 {"Mei", "Layla", "Noor", "Rana", "Linh", "Shilan"},
	 {"Wei", "Karim", "Reza", "Minh"}},
	{"",  /* everyone else */
	 {"Kelly", "Gemma", "Lisa", "Stacey", "Donna", "Michelle"},
	 {"Lee", "Craig", "Wayne", "Darren"}},
};

static const struct name_group *group_of(const char *surname)
{
	char pat[80];
	snprintf(pat, sizeof pat, "|%s|", surname);
	size_t n = sizeof name_groups / sizeof name_groups[0];
	for (size_t i = 0; i + 1 < n; i++)
		if (strstr(name_groups[i].surnames, pat))
			return &name_groups[i];
	return &name_groups[n - 1];
}

/* What the school writes about one need; %1$s is the child's first name. */
struct need_words {
	const char *code, *text;
};

static const struct need_words need_texts[] = {
	{"attendance", "%s's attendance has dropped to %d%% this year and is now persistently"
	 " absent. Mum reports %s is refusing to get up most mornings; a pattern of Monday and"
	 " Friday absences, and several late marks after registration closes."},
	{"behaviour", "%s has had %s suspensions this year, mostly for defiance and leaving"
	 " lessons, and is on a pastoral support plan. Parents say they cannot manage %s's"
	 " behaviour at home either and are asking for help."},
	{"emotional_health", "%s has told their form tutor they are struggling with low mood and"
	 " not sleeping, and has been seen by the school counsellor. CAMHS referral made; still"
	 " on the waiting list. Mum is worried and finds it hard to get %s to appointments."},
	{"parenting", "Mum is on her own with the children and says she is not coping with"
	 " mornings and bedtimes; %s often arrives without breakfast or PE kit. She has asked"
	 " for help and would do a parenting course if someone could support her to attend."},
	{"domestic_abuse", "Operation Encompass notification received after a police call-out"
	 " to the family home; %s was present. Mum has told the DSL she has separated from"
	 " dad but he still comes to the house. %s has been withdrawn in lessons since."},
	{"substance_misuse", "%s has disclosed that dad is drinking heavily most days and that"
	 " they sometimes look after younger siblings when he is unwell."},
	{"adult_mental_health", "Mum has shared that she is being treated for depression and"
	 " some days cannot leave the house; %s misses school on those days to look after her."},
	{"housing", "Family were served a section 21 notice and are now in temporary"
	 " accommodation across the city, two buses from school. %s has been late most days."},
	{"finances", "Mum has asked for help with food and the gas meter; the family have been"
	 " using the food bank since dad lost his job, and there are rent arrears."},
	{"unemployment", "Neither parent is in work; dad is keen to find work but has no UK"
	 " qualifications and mum would like help with English classes."},
	{"caring", "%s is a young carer for mum, who has a long-term illness. Often late and"
	 " tired, missing homework; %s does not want to be singled out but has agreed to talk"
	 " to someone."},
	{"crime_exploitation", "Concerns that %s is being drawn into an older peer group: seen"
	 " with cash and new clothes, missing from home twice (returned by police). Exploitation"
	 " screening tool completed: medium risk."},
	{"send", "%s has SEN support for speech, language and communication needs and the"
	 " family are finding the transition very hard; meltdowns at home most evenings."},
	{"health", "%s has asthma that is poorly controlled; appointments have been missed and"
	 " the school nurse is concerned about the home environment (damp and mould)."},
	{"other", "Family recently arrived in the city and are not yet registered with a GP;"
	 " %s has been at three schools in two years."},
};

static const char *const tried_texts[] = {
	"First-day calling; attendance meetings with mum (two); pastoral support plan; school nurse referral.",
	"Pastoral check-ins with head of year; referral to the school counsellor; letters and a home visit by the attendance officer.",
	"Mentoring with the learning mentor weekly since September; uniform and breakfast club place provided; Early Help assessment started.",
	"Reduced timetable trial (two weeks); report card; restorative meeting with parents; referral to the educational psychologist.",
	"DSL has met mum; safety plan in school; Operation Encompass key adult identified; signposted to the domestic abuse helpline.",
	"Attendance panel; parenting contract discussed; free school meals claim helped with; holiday activities place offered.",
};

/* The census indicators (risk rule codes) that fired, as needs. */
static const struct {
	const char *fired, *need;
} fired_needs[] = {
	{"severe_absence", "attendance"}, {"persistent_absence", "attendance"},
	{"unauthorised_absence", "attendance"}, {"repeated_suspensions", "behaviour"},
	{"suspended", "behaviour"}, {"permanent_exclusion", "behaviour"},
	{"young_carer", "caring"}, {"youth_justice", "crime_exploitation"},
	{"sen_support", "send"}, {"ehcp", "send"}, {"fsm", "finances"},
	{"child_in_need", "parenting"}, {"child_protection", "domestic_abuse"},
	{"school_moves", "other"}, {"young_parent", "parenting"},
};

/* Is code one of the comma-separated codes in list? */
static bool has_code(const char *list, const char *code)
{
	size_t n = strlen(code);
	for (const char *p = list; (p = strstr(p, code)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void add_need(struct buf *needs, const char *code)
{
	if (!has_code(buf_str(needs), code))
		buf_printf(needs, "%s%s", needs->len ? "," : "", code);
}

static const char *need_text(const char *code)
{
	for (size_t i = 0; i < sizeof need_texts / sizeof need_texts[0]; i++)
		if (strcmp(need_texts[i].code, code) == 0)
			return need_texts[i].text;
	return need_texts[0].text;
}

/* The needs (from the census and the school's knowledge) and the reason. */
static void referral_words(struct seeding *g, const struct dpupil *d, struct buf *needs,
			   struct buf *reason)
{
	for (size_t i = 0; i < sizeof fired_needs / sizeof fired_needs[0] && needs->len < 60; i++)
		if (has_code(d->fired, fired_needs[i].fired))
			add_need(needs, fired_needs[i].need);
	for (int extra = needs->len ? below(&g->rng, 2) : 1 + below(&g->rng, 2); extra > 0; extra--) {
		const char *code = need_texts[1 + below(&g->rng, 13)].code;  /* not "other" */
		add_need(needs, code);
	}
	if (d->attendance >= 0 && d->attendance < 90)  /* persistently absent */
		add_need(needs, "attendance");
	char *list = xstrdup(buf_str(needs));
	int k = 0;
	for (char *save = NULL, *c = strtok_r(list, ",", &save); c && k < 3;
	     c = strtok_r(NULL, ",", &save), k++) {
		const char *t = need_text(c);
		if (reason->len)
			buf_putc(reason, ' ');
		if (strcmp(c, "attendance") == 0 && d->attendance >= 90)
			buf_printf(reason, "%s's attendance is %d%%, but most absences are unauthorised"
				   " and late marks are rising; mum is not answering first-day calls.",
				   d->forename, d->attendance);
		else if (strcmp(c, "attendance") == 0)
			buf_printf(reason, t, d->forename, d->attendance >= 0 ? d->attendance : 84,
				   d->forename);
		else if (strcmp(c, "behaviour") == 0)
			buf_printf(reason, t, d->forename, PICK(&g->rng, ((const char *[]){"two",
				   "three", "four"})), d->forename);
		else
			buf_printf(reason, t, d->forename, d->forename);
	}
	free(list);
}

/* ---- one referral's life ---------------------------------------------------- */

enum outcome { O_QUEUE, O_OPEN, O_CLOSED, O_SIGNPOST, O_DECLINE, O_STEP_UP_REF,
	       O_CASE_STEPPED_UP, O_STEPPED_DOWN };

static const char *const outcome_names[] = {"waiting", "open", "closed", "signposted",
	"declined", "stepped up at screening", "case stepped up", "stepped down"};

struct plan {
	hday received, decided, end;
	enum outcome outcome;
	int school;            /* index of the referring school, -1: the pupil's */
	int intensity;
	bool transfer, sam, overdue;
	bool covered;              /* kept for Sean by plan_sam (choose_worker) */
};

static hday school_day(hday d)
{
	int wd = date_weekday(d);
	return wd == 5 ? d - 1 : wd == 6 ? d + 1 : d;  /* Saturday → Friday, Sunday → Monday */
}

static void timestamp_of(hday d, int minute, char out[21])
{
	char day[11];
	date_format(d, day);
	snprintf(out, 21, "%.10sT%02u:%02u:00Z", day, (unsigned)minute / 60u % 24u, (unsigned)minute % 60u);
}

static int64_t version_of(struct db *db, const char *table_is_cases_or_referrals, int64_t id)
{
	struct db_stmt *st = db_prepare(db, strcmp(table_is_cases_or_referrals, "cases") == 0
		? "SELECT version FROM cases WHERE id = :id"
		: "SELECT version FROM referrals WHERE id = :id");
	db_bind_int(st, ":id", id);
	int64_t v = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return v;
}

static int create_referral(struct seeding *g, const struct dpupil *d, const struct plan *p,
			   int64_t *id)
{
	char sib[4][14], received[21], given_on[11];
	const char *upns[5] = {d->upn};
	int nsib = 0, rc = siblings(g, d, sib, 4, &nsib);
	size_t nupns = 1;
	if (!rc && nsib && chance(&g->rng, 35))
		for (int i = 0; i < nsib; i++)
			upns[nupns++] = sib[i];
	const struct name_group *ng = group_of(d->surname);
	char mother[96], father[96], phone[20];
	snprintf(mother, sizeof mother, "%s %s", PICK(&g->rng, ng->mothers), d->surname);
	snprintf(father, sizeof father, "%s %s", PICK(&g->rng, ng->fathers), d->surname);
	snprintf(phone, sizeof phone, "07700 900%03d", below(&g->rng, 1000));
	struct referral_adult adults[2] = {{mother, "mother", phone}, {father, "father", NULL}};
	struct demo_home home = {{0}, {0}, NULL};
	if (!rc)
		rc = demo_family_home(g->db, d->id, d->surname, &home);
	struct buf needs, reason;
	buf_init(&needs, 256);
	buf_init(&reason, 4096);
	referral_words(g, d, &needs, &reason);
	timestamp_of(p->received, between(&g->rng, 8 * 60 + 20, 15 * 60 + 40), received);
	date_format(p->received - below(&g->rng, 3), given_on);
	bool lawful = p->outcome == O_STEP_UP_REF || chance(&g->rng, 6);
	static const char *const scopes[] = {"pool,school,health,agencies",
		"pool,school", "pool,school,health,social_care,agencies,commissioned",
		"pool,school,agencies"};
	struct referral_in in = {
		.source = "school",
		.school_id = p->school >= 0 ? g->schools[p->school].id : d->school_id,
		.upns = upns, .nupns = nupns,
		.adults = adults, .nadults = chance(&g->rng, 45) ? 2 : 1,
		.needs = buf_str(&needs),
		.level_of_need = p->outcome == O_STEP_UP_REF ? 4 : chance(&g->rng, 50) ? 3
				 : chance(&g->rng, 90) ? 2 : 1,
		.reason = buf_str(&reason),
		.tried = PICK(&g->rng, tried_texts),
		.consent = lawful
			? (struct consent_in){.basis = "safeguarding", .given_on = given_on,
				.lawful_basis_note = "The DSL judged that seeking consent first would"
				" place the child at greater risk (Working Together 2023)."}
			: (struct consent_in){.basis = "consent", .given_by = mother,
				.relationship = "mother", .scope = PICK(&g->rng, scopes),
				.given_on = given_on},
		.received_at = received,
		.address = home.address, .postcode = home.postcode, .home_language = home.language,
	};
	struct errinfo e = {0};
	if (!rc)
		rc = failed(g->log, referral_create(g->db, &g->s, &in, id, &e), "referral", &e);
	buf_free(&needs);
	buf_free(&reason);
	return rc;
}

/* The worker for a new case: Sam for the City Centre's cases still open
 * today until Sam has SAM_OPEN (and some of the closed ones), else the
 * least loaded worker serving the school's district (any worker if none
 * does).  Tracks the load by the cases' end days. */
/* Sean O'Connor, the City Centre mentor Sam covers on leave this week
 * (seed_covers): given the first open case of his districts that is not
 * Sam's (plan_sam keeps one for him if Sam had them all), so there is one
 * to cover. */
#define COVERED 18

static int choose_worker(struct seeding *g, const struct plan *p, int64_t district)
{
	if (p->sam)
		return 0;
	if (p->covered || (p->outcome == O_OPEN && !p->transfer && !g->covered_open
			   && serves(g, COVERED, district))) {
		g->covered_open = true;
		return COVERED;
	}
	int best = -1, best_load = 1 << 30;
	for (int w = 1; w < NPOOL; w++) {
		int load = 0;
		for (int i = 0; i < g->nends[w]; i++)
			load += g->ends[w][i] > p->decided;
		load = load * 4 + below(&g->rng, 4);  /* ties broken at random */
		if (!serves(g, w, district))
			load += 1000;
		if (load < best_load)
			best = w, best_load = load;
	}
	return best;
}

static void track(struct seeding *g, int w, hday end)
{
	g->ends[w] = xrealloc(g->ends[w], (size_t)(g->nends[w] + 1) * sizeof(hday));
	g->ends[w][g->nends[w]++] = end;
}

/* A time of day for a contact, 09:00–16:30 in quarter hours. */
static void contact_at(struct seeding *g, hday d, char out[17])
{
	char day[11];
	int q = between(&g->rng, 36, 66);
	date_format(school_day(d), day);
	snprintf(out, 17, "%.10sT%02u:%02u", day, (unsigned)q / 4u % 24u, (unsigned)q % 4u * 15u);
}

static const char *const visit_notes[] = {
	"Home visit with mum. Went through the morning routine together; agreed alarms and bags packed the night before. Will check in with school on Friday.",
	"Saw mum and the children at home. House calmer; mum says the food bank vouchers helped. Completed the benefits check together.",
	"Met with the young person after school. Talked about what makes mornings hard; agreed to try the breakfast club for two weeks.",
	"Joint visit with the school nurse. Mum engaged well; GP appointment booked for next Tuesday.",
	"Mum did not answer; card left and a text sent. Will try again next week.",
	"Supported mum to call the housing options team; on the list for a two-bed. Chased the school transport request.",
	"Family meeting: everyone agreed the plan. Dad came along for the first time.",
};

static const char *const call_notes[] = {
	"Call with mum: attendance better this week (4 of 5 days). Reminded her of the meeting on Thursday.",
	"Phoned the attendance officer to share the plan. Agreed to review in two weeks.",
	"Mum rang, upset after a letter from the landlord. Talked it through; will visit tomorrow.",
	"Check-in call with the young person: says school is going better, still worried about maths.",
};

static const char *const meeting_notes[] = {
	"Meeting at school with the head of year and mum to review the support plan; reduced timetable ends next week.",
	"TAF-style review at school: attendance up from 71% to 86% this half term.",
	"Met the SENCo and mum to plan the transition; visit to the new school arranged.",
};

/* A held contact (or, with planned, a booked one) on day d. */
static int add_contact(struct seeding *g, int64_t case_id, hday d, bool planned, bool first,
		       const char *school)
{
	char at[17], idem[40];
	int k = first ? 0 : below(&g->rng, 100);
	const char *kind = k < 50 ? "home_visit" : k < 75 ? "phone" : k < 90 ? "school_meeting"
			   : k < 95 ? "office" : "video";
	int dur = !strcmp(kind, "home_visit") ? 15 * between(&g->rng, 3, 6)
		  : !strcmp(kind, "phone") ? 5 * between(&g->rng, 3, 6)
		  : !strcmp(kind, "video") ? 5 * between(&g->rng, 4, 9) : 15 * between(&g->rng, 2, 4);
	contact_at(g, d, at);
	snprintf(idem, sizeof idem, "demo-%" PRId64 "-%d", case_id, g->contacts);
	const char *notes = !strcmp(kind, "home_visit") ? PICK(&g->rng, visit_notes)
			    : !strcmp(kind, "phone") ? PICK(&g->rng, call_notes)
			    : PICK(&g->rng, meeting_notes);
	struct contact_in in = {
		.idem_key = idem, .at = at, .kind = kind, .duration_min = dur, .planned = planned,
		.seen = planned ? "" : !strcmp(kind, "school_meeting") ? "Mum, head of year"
			: chance(&g->rng, 60) ? "Mum and the children" : "Mum",
		.place = !strcmp(kind, "home_visit") ? "Family home"
			 : !strcmp(kind, "school_meeting") ? school
			 : !strcmp(kind, "office") ? "Early Help hub, Charles Street" : "",
		.notes = planned ? "" : first ? "Initial home visit: introduced the service, agreed"
			 " what the family want to change, signed the plan." : notes,
	};
	struct errinfo e = {0};
	int64_t id;
	g->contacts++;
	return failed(g->log, contact_add(g->db, &g->s, case_id, 0, &in, &id, &e), "contact", &e);
}

static int transfer(struct seeding *g, int64_t case_id, int from, hday on, int64_t district)
{
	int to = -1;
	for (int tries = 0; tries < 50 && to < 0; tries++) {
		int w = 1 + below(&g->rng, NPOOL - 1);
		if (w != from && serves(g, w, district))
			to = w;
	}
	if (to < 0)
		to = from == 1 ? 2 : 1;
	char day[11];
	date_format(on, day);
	static const char *const notes[] = {
		"Handover: mum prefers texts before visits; the plan's next step is the housing"
		" application. I am moving to the North West patch.",
		"Handover before my maternity leave: attendance improving, keep the Friday check-ins"
		" going; dad is now engaging.",
		"Reallocated to balance caseloads. Family know and are happy; joint visit done.",
	};
	struct errinfo e = {0};
	g->transfers++;
	return failed(g->log, case_transfer(g->db, &g->s, case_id, version_of(g->db, "cases", case_id),
			      g->worker_ids[to], day, PICK(&g->rng, notes), &e), "transfer", &e);
}

static const char *const close_reasons[] = {"outcomes_met", "outcomes_met", "outcomes_met",
	"outcomes_met", "outcomes_met", "disengaged", "disengaged", "moved_away", "other"};

/* One assessment of case_id on day: scores from sc (every active domain). */
static int assess_on(struct seeding *g, int64_t case_id, hday day, const char *kind,
		     const char *summary, struct assess_score_in *sc)
{
	char d[11];
	date_format(day, d);
	struct assess_in in = {.assessed_on = d, .kind = kind, .agreed_with = "Mum",
		.summary = summary, .scores = sc, .nscores = g->ndomains};
	struct errinfo e = {0};
	int64_t id;
	g->assessments++;
	return failed(g->log, assess_record(g->db, &g->s, case_id, &in, &id, &e), "assessment", &e);
}

/* A case that closes: the initial assessment a week or two after
 * allocation and the closing one on the day it closes, so the outcomes
 * report has its distance travelled.  Families whose outcomes were met
 * mostly move up one to three points where they started low; the others
 * stay about where they were. */
static int closing_assessments(struct seeding *g, int64_t case_id, const struct plan *p,
			       const char *reason)
{
	hday first = school_day(p->decided + between(&g->arng, 7, 14));
	if (first + 28 > p->end || g->ndomains == 0)
		return HE_OK;   /* too short a case to re-assess */
	struct assess_score_in *sc = arena_alloc(&g->arena, g->ndomains * sizeof *sc);
	int *score = arena_alloc(&g->arena, g->ndomains * sizeof *score);
	for (size_t i = 0; i < g->ndomains; i++) {
		score[i] = chance(&g->arng, 35) ? between(&g->arng, 2, 4) : between(&g->arng, 5, 8);
		sc[i] = (struct assess_score_in){.domain_code = g->domains[i].code, .score = score[i],
			.strengths = "", .needs = score[i] <= 4 ? "A priority for the plan." : ""};
	}
	int rc = assess_on(g, case_id, first, "initial", "Scores agreed with mum at the first"
			   " home visit; the lowest are where the plan starts.", sc);
	bool met = strcmp(reason, "outcomes_met") == 0;
	for (size_t i = 0; i < g->ndomains; i++) {
		int k = below(&g->arng, 100), up;
		if (met)
			up = score[i] <= 4 ? (k < 30 ? 1 : k < 75 ? 2 : k < 90 ? 3 : 0) : (k < 40 ? 1 : 0);
		else
			up = k < 25 ? -1 : k < 75 ? 0 : 1;
		int v = score[i] + up;
		sc[i].score = v < 1 ? 1 : v > 10 ? 10 : v;
		sc[i].needs = sc[i].score <= 4 ? "Still a worry at closure." : "";
	}
	if (!rc)
		rc = assess_on(g, case_id, p->end, "closing", met ? "Closing review with mum: the"
			       " plan's goals are met and the scores show it." : "Scores at"
			       " closure, agreed with mum where she took part.", sc);
	return rc;
}

static int end_case(struct seeding *g, int64_t case_id, const struct plan *p, const char *reason)
{
	char day[11];
	date_format(p->end, day);
	struct errinfo e = {0};
	if (p->outcome == O_CASE_STEPPED_UP || p->outcome == O_STEPPED_DOWN) {
		int rc = case_step_up(g->db, &g->s, case_id, version_of(g->db, "cases", case_id), day,
				      "Disclosure to the worker during a home visit; strategy discussion"
				      " held and the case accepted by children's social care.",
				      /* recorded as the safeguarding basis when the family has
				       * not agreed to share with social care */
				      "Risk of significant harm disclosed; the DSL and the team"
				      " manager agreed that seeking consent first could put the"
				      " child at greater risk (Working Together 2023).", &e);
		if (rc || p->outcome == O_CASE_STEPPED_UP)
			return failed(g->log, rc, "step up", &e);
		date_format(p->end + 56, day);
		struct consent_in c = {.basis = "consent", .given_by = "Mum", .relationship = "mother",
			.scope = "pool,school,health,social_care", .given_on = day};
		int64_t ref;
		return failed(g->log, case_step_down(g->db, &g->s, case_id,
			      version_of(g->db, "cases", case_id), day, "Child in need plan closed; step"
			      " down to early help agreed at the closing meeting.", &c, &ref, &e),
			      "step down", &e);
	}
	static const char *const views[] = {
		"Mum said things are calmer at home and she knows who to ring if they slip.",
		"The family said the worker \"actually listened\" and they would ask for help again.",
		"Dad felt the visits were too frequent at first but the plan helped in the end.",
		"The young person said school feels better now and the mornings are easier.",
		"The family chose not to give a view.",
	};
	return failed(g->log, case_close(g->db, &g->s, case_id, version_of(g->db, "cases", case_id),
		      day, reason, strcmp(reason, "other") == 0 ? "Family now supported by the"
		      " virtual school; no further role for early help." : "", PICK(&g->rng, views),
		      &e), "close", &e);
}

/* Today's state of an open case: a review date (unless left overdue)
 * and a visit booked in the next fortnight (this week for Sam). */
static int keep_open(struct seeding *g, int64_t case_id, const struct plan *p, const char *school)
{
	int rc = HE_OK;
	if (!p->overdue) {
		char day[11];
		date_format(school_day(g->today + between(&g->rng, 2, 40)), day);
		struct errinfo e = {0};
		rc = failed(g->log, case_set_review(g->db, &g->s, case_id,
			    version_of(g->db, "cases", case_id), day, &e), "review", &e);
	} else {
		g->overdue++;
	}
	hday visit = g->today + (p->sam ? between(&g->rng, 1, 5) : between(&g->rng, 1, 14));
	if (!rc)
		rc = add_contact(g, case_id, visit, true, false, school);
	if (!rc && p->sam && chance(&g->rng, 40))
		rc = add_contact(g, case_id, visit + between(&g->rng, 7, 13), true, false, school);
	return rc;
}

/* The case's contacts, transfer and ending, in date order. */
static int work_case(struct seeding *g, int64_t case_id, int w, const struct plan *p,
		     const struct dschool *school)
{
	hday last = p->end < g->today ? p->end : g->today - 1;
	hday moved = p->transfer ? p->decided + (p->end - p->decided) / 2 : 0;
	int gap = p->intensity == 3 ? 7 : p->intensity == 2 ? 12 : 18;
	int rc = HE_OK;
	bool first = true;
	for (hday d = p->decided + between(&g->rng, 2, 6); !rc && d <= last;
	     d += gap + below(&g->rng, gap)) {
		if (moved && d >= moved) {
			rc = transfer(g, case_id, w, moved, school->district_id);
			moved = 0;
		}
		if (!rc && school_day(d) <= last && school_day(d) >= p->decided)
			rc = add_contact(g, case_id, d, false, first, school->name);
		first = false;
	}
	if (!rc && p->outcome == O_OPEN)
		return keep_open(g, case_id, p, school->name);
	const char *reason = NULL;
	if (!rc && p->outcome != O_CASE_STEPPED_UP && p->outcome != O_STEPPED_DOWN) {
		reason = PICK(&g->rng, close_reasons);
		rc = closing_assessments(g, case_id, p, reason);
	}
	return rc ? rc : end_case(g, case_id, p, reason);
}

static int decide(struct seeding *g, int64_t ref_id, const struct plan *p,
		  const struct dschool *school)
{
	char day[11];
	date_format(p->decided, day);
	struct decision_in in = {.version = version_of(g->db, "referrals", ref_id), .on_date = day};
	static const char *const signposts[] = {
		"School nursing service: emotional health drop-in",
		"Citizens Advice debt and benefits clinic",
		"Triple P parenting group at the children's centre",
		"Young carers service",
		"Housing options team",
		"CAMHS single point of access",
	};
	switch (p->outcome) {
	case O_SIGNPOST:
		in.decision = "signpost";
		in.signposted_to = PICK(&g->rng, signposts);
		in.note = "Needs are single-agency; the family agreed to the referral on.";
		break;
	case O_DECLINE:
		in.decision = "decline";
		in.note = chance(&g->rng, 50)
			? "Needs can be met by the school's pastoral support; no family-level needs found."
			: "Family already open to children's social care (child in need plan); referral"
			  " shared with the allocated social worker.";
		break;
	case O_STEP_UP_REF:
		in.decision = "step_up";
		in.note = "Disclosure of harm in the referral: passed to the front door (MASH) the same"
			  " day by the DSL and the coordinator.";
		break;
	default:
		in.decision = "accept";
		in.intensity = p->intensity;
		break;
	}
	int w = 0;
	if (!strcmp(in.decision, "accept")) {
		w = choose_worker(g, p, school->district_id);
		in.worker_id = g->worker_ids[w];
	}
	struct errinfo e = {0};
	int64_t case_id = 0;
	int rc = failed(g->log, referral_decide(g->db, &g->s, ref_id, &in, &case_id, &e),
			"decision", &e);
	if (rc == HE_CONFLICT && !strcmp(e.field, "override_capacity")) {
		in.override_capacity = true;
		in.note = "Over capacity by agreement with the worker: continuity with the family.";
		rc = failed(g->log, referral_decide(g->db, &g->s, ref_id, &in, &case_id, &e),
			    "decision", &e);
	}
	if (rc || !case_id)
		return rc;
	track(g, w, p->outcome == O_OPEN ? g->today + 365 : p->end);
	if (p->sam && p->outcome == O_OPEN)
		g->sam_open++;
	return work_case(g, case_id, w, p, school);
}

/* ---- the plan of the 400 ----------------------------------------------------- */

static enum outcome draw_outcome(struct seeding *g, hday received, hday decided, hday end)
{
	if (received > g->today - QUEUE_DAYS)
		return O_QUEUE;
	int k = below(&g->rng, 100);
	if (k < 12)
		return O_SIGNPOST;
	if (k < 19)
		return O_DECLINE;
	if (k < 26)
		return O_STEP_UP_REF;
	if (end >= g->today)
		return O_OPEN;
	k = below(&g->rng, 100);
	if (k < 3 && end + 56 < g->today - 5)
		return O_STEPPED_DOWN;
	if (k < 10)
		return O_CASE_STEPPED_UP;
	(void)decided;
	return O_CLOSED;
}

/* The demo school's fixed referrals: one in each state, on fixed days. */
static const struct {
	int days_ago;
	enum outcome outcome;
	int length;
} fixed[] = {
	{3, O_QUEUE, 0}, {75, O_OPEN, 200}, {320, O_CLOSED, 180}, {210, O_SIGNPOST, 0},
	{160, O_DECLINE, 0}, {120, O_STEP_UP_REF, 0}, {400, O_CASE_STEPPED_UP, 150},
};
#define NFIXED ((int)(sizeof fixed / sizeof fixed[0]))

static void plan_one(struct seeding *g, int i, struct plan *p)
{
	memset(p, 0, sizeof *p);
	p->school = -1;
	if (i < NFIXED) {
		p->received = school_day(g->today - fixed[i].days_ago);
		p->outcome = fixed[i].outcome;
		p->school = g->demo_school;
		p->end = p->received + 5 + fixed[i].length;
	} else {
		p->received = school_day(g->today - 1 - below(&g->rng, HISTORY_DAYS));
		p->end = 0;
	}
	if (p->received >= g->today)
		p->received = g->today - 1 - (date_weekday(g->today - 1) >= 5);
	p->decided = school_day(p->received + between(&g->rng, 1, 8));
	if (p->decided >= g->today)
		p->decided = g->today - 1;
	if (p->decided < p->received)
		p->decided = p->received;
	if (!p->end)
		p->end = p->decided + between(&g->rng, 90, 270);
	if (i >= NFIXED)
		p->outcome = draw_outcome(g, p->received, p->decided, p->end);
	int k = below(&g->rng, 10);
	p->intensity = k < 2 ? 1 : k < 8 ? 2 : 3;
	p->transfer = chance(&g->rng, 10) && p->outcome != O_QUEUE;
}

static int cmp_plan(const void *a, const void *b)
{
	const struct plan *x = a, *y = b;
	return x->received != y->received ? (x->received > y->received) - (x->received < y->received)
					  : (x->school < y->school) - (x->school > y->school);
}

/* Sam: the City Centre's cases open today until SAM_OPEN (the oldest of
 * them opened long enough ago to leave its review overdue), and a third
 * of the City Centre's closed ones. */
static void plan_sam(struct seeding *g, struct plan *v, int n)
{
	int64_t city = g->worker_district[0][0];
	int open = 0;
	bool overdue_set = false;
	for (int i = 0; i < n; i++) {
		struct plan *p = &v[i];
		bool near = p->school >= 0 && g->schools[p->school].district_id == city;
		if (p->outcome == O_OPEN && (near || p->school == g->demo_school) && open < SAM_OPEN) {
			p->sam = true, p->transfer = false;
			open++;
			if (!overdue_set && p->decided < g->today - 60) {
				p->overdue = true;
				overdue_set = true;
			}
		} else if (p->outcome == O_CLOSED && near && chance(&g->rng, 33)) {
			p->sam = true;
		}
	}
	/* Sean's open case (choose_worker): if Sam took every open case of
	 * Sean's districts, Sean keeps the last of them that is not Sam's
	 * overdue one, and Sam takes another from elsewhere below. */
	int keep = -1;
	bool seans = false;
	for (int i = 0; i < n && !seans; i++) {
		struct plan *p = &v[i];
		if (p->outcome != O_OPEN || p->transfer || p->school < 0 ||
		    !serves(g, COVERED, g->schools[p->school].district_id))
			continue;
		seans = !p->sam;
		if (p->sam && !p->overdue)
			keep = i;
	}
	if (!seans && keep >= 0) {
		v[keep].sam = false, v[keep].covered = true;
		open--;
	}
	/* a few more from elsewhere if the City Centre had too few */
	for (int i = n - 1; i >= 0 && open < SAM_OPEN; i--)
		if (v[i].outcome == O_OPEN && !v[i].sam)
			v[i].sam = true, v[i].transfer = false, open++;
	/* others' open cases: one in twelve left with its review overdue */
	for (int i = 0; i < n; i++)
		if (v[i].outcome == O_OPEN && !v[i].sam && v[i].decided < g->today - 50)
			v[i].overdue = chance(&g->rng, 8);
}

/* Sam covers a colleague of the City Centre on leave this week, and two
 * others covered each other last summer.  Each cover goes in as the form
 * sends it, with its one-time key; the coordinator pressed Save twice on
 * Sam's, and the second press found the first cover and added nothing. */
static int seed_covers(struct seeding *g)
{
	char from[11], until[11];
	date_format(g->today - 2, from);
	date_format(g->today + 4, until);
	struct errinfo e = {0};
	int colleague = COVERED;
	int64_t first = 0, again = 0;
	int rc = failed(g->log, worker_cover_add(g->db, &g->s, g->worker_ids[0],
			g->worker_ids[colleague], from, until, "Annual leave", "demo-cover-1", &first,
			&e), "cover", &e);
	if (!rc)
		rc = failed(g->log, worker_cover_add(g->db, &g->s, g->worker_ids[0],
			    g->worker_ids[colleague], from, until, "Annual leave", "demo-cover-1",
			    &again, &e), "cover (again)", &e);
	if (!rc && again != first)
		rc = failed(g->log, errinfo_set(&e, HE_INTERNAL, "", "a repeated cover was added"),
			    "cover (again)", &e);
	date_format(g->today - 120, from);
	date_format(g->today - 106, until);
	if (!rc)
		rc = failed(g->log, worker_cover_add(g->db, &g->s, g->worker_ids[1], g->worker_ids[13],
			    from, until, "Sickness absence", "demo-cover-2", NULL, &e), "cover", &e);
	return rc;
}

static int seed_referrals(struct seeding *g, const struct pupils *pp)
{
	struct plan *v = xcalloc(NREFERRALS, sizeof *v);
	for (int i = 0; i < NREFERRALS; i++)
		plan_one(g, i, &v[i]);
	/* the pupils now, so that Sam's share can look at the schools */
	int *who = xcalloc(NREFERRALS, sizeof *who);
	int rc = HE_OK;
	for (int i = 0; i < NREFERRALS; i++) {
		int64_t want = v[i].school >= 0 ? g->schools[v[i].school].id
			       : chance(&g->rng, 6) ? g->schools[g->demo_school].id : 0;
		who[i] = draw_pupil(g, pp, want);
		if (who[i] < 0)
			who[i] = draw_pupil(g, pp, 0);
		if (who[i] < 0) {
			v[i].outcome = O_QUEUE, v[i].received = 0;  /* no pupils left: skip */
			continue;
		}
		mark_used(g, &pp->v[who[i]]);
		for (int s = 0; v[i].school < 0 && s < g->nschools; s++)
			if (g->schools[s].id == pp->v[who[i]].school_id)
				v[i].school = s;
	}
	plan_sam(g, v, NREFERRALS);
	/* in date order, carrying each pupil with its plan */
	struct { struct plan p; int who; } *ord = xcalloc(NREFERRALS, sizeof *ord);
	for (int i = 0; i < NREFERRALS; i++)
		ord[i].p = v[i], ord[i].who = who[i];
	qsort(ord, NREFERRALS, sizeof *ord, cmp_plan);
	for (int i = 0; !rc && i < NREFERRALS; i++) {
		const struct plan *p = &ord[i].p;
		if (ord[i].who < 0 || p->received == 0)
			continue;
		int64_t id;
		rc = create_referral(g, &pp->v[ord[i].who], p, &id);
		if (!rc && p->outcome != O_QUEUE)
			rc = decide(g, id, p, &g->schools[p->school]);
		g->counts[p->outcome]++;
	}
	free(ord);
	free(who);
	free(v);
	return rc;
}

/* ---- the whole ---------------------------------------------------------------- */

static int count(struct db *db, const char *sql, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, sql);
	*n = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

static void seeding_free(struct seeding *g)
{
	free(g->schools);
	for (int w = 0; w < MAX_WORKERS; w++)
		free(g->ends[w]);
	for (int i = 0; i < g->nused; i++)
		free(g->used[i]);
	free(g->used);
	arena_free(&g->arena);
}

static void log_summary(const struct seeding *g, double secs)
{
	struct buf b;
	buf_init(&b, 1024);
	for (int o = 0; o < 8; o++)
		if (g->counts[o])
			buf_printf(&b, "%s%d %s", b.len ? ", " : "", g->counts[o], outcome_names[o]);
	say(g->log, "pool of %d workers; referrals: %s; %d contacts, %d transfers, %d reviews"
	    " overdue, %d assessments of closed cases; Sam Whitfield has %d open cases (%.1f s)",
	    NPOOL, buf_str(&b), g->contacts, g->transfers, g->overdue, g->assessments, g->sam_open,
	    secs);
	buf_free(&b);
}

/* Sam's first open case: a grandmother and the school nurse added to the
 * family record, each form sent twice (Save pressed twice); the second
 * press finds the first row by the form's key and adds nothing. */
static int seed_family_record(struct seeding *g)
{
	int64_t case_id = 0, id[2] = {0, 0};
	struct db_stmt *st = db_prepare(g->db, "SELECT min(c.id) FROM cases c JOIN workers w"
		" ON w.id = c.worker_id WHERE w.user_id = :sam AND c.status = 'open'");
	db_bind_int(st, ":sam", g->sam_user);
	if (db_next(st) && !db_is_null(st, 0))
		case_id = db_int(st, 0);
	int rc = db_finalize(st);
	struct family_member_in m = {.name = "Margaret Doyle", .relationship = "grandparent",
				     .phone = "0116 496 0417", .idem_key = "demo-member-1"};
	struct professional_in p = {.name = "Nadia Hussain", .agency = "School nursing",
				    .role = "School nurse", .contact = "0116 496 0321",
				    .idem_key = "demo-professional-1"};
	struct errinfo e = {0};
	for (int press = 0; !rc && case_id && press < 2; press++)
		rc = failed(g->log, case_member_add(g->db, &g->s, case_id, &m, &id[press], &e),
			    "family member", &e);
	for (int press = 0; !rc && case_id && press < 2; press++)
		rc = failed(g->log, case_professional_add(g->db, &g->s, case_id, &p, &id[press], &e),
			    "professional", &e);
	return rc;
}

int demo_seed_cases(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		    FILE *log)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct seeding g = {.db = db, .today = today, .log = log};
	struct pupils pp = {0};
	int64_t nworkers = 0, npupils = 0;
	scope_system(who, &g.s);
	g.rng.s = (uint64_t)seed * UINT64_C(0x2545F4914F6CDD1D) + 5;
	g.arng.s = (uint64_t)seed * UINT64_C(0x2545F4914F6CDD1D) + 9;
	arena_init(&g.arena);
	int rc = count(db, "SELECT count(*) FROM workers", &nworkers);
	if (!rc && nworkers > 0) {
		say(log, "the pool already has %lld workers: no cases seeded", (long long)nworkers);
		return HE_OK;
	}
	if (!rc)
		rc = load_schools(&g);
	if (!rc && g.demo_school < 0) {
		say(log, "not the demo partnership: no pool or cases seeded");
		seeding_free(&g);
		return HE_OK;
	}
	if (!rc)
		rc = seed_default_max(&g);
	if (!rc)
		rc = seed_workers(&g);
	if (!rc)
		rc = assess_domains(db, &g.arena, true, &g.domains, &g.ndomains);
	if (!rc)
		rc = count(db, "SELECT count(*) FROM pupils", &npupils);
	if (!rc && npupils > 0)
		rc = load_pupils(&g, &pp);
	if (!rc && pp.n > 0)
		rc = seed_referrals(&g, &pp);
	if (!rc)
		rc = seed_covers(&g);
	if (!rc)
		rc = seed_family_record(&g);
	if (!rc)
		rc = demo_seed_family_details(db, who, log);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rc)
		log_summary(&g, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	pupils_free(&pp);
	seeding_free(&g);
	return rc;
}
