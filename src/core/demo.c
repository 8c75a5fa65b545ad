/* demo.c — seeds the invented city partnership that `hearth demo` shows.
 *
 * The city has 7 districts, each with a fixed plan of school kinds (so
 * every seed gives the same phase mix: 72 primary including 6 infant and
 * junior pairs, 15 secondary, 6 special, 2 pupil referral units, 2
 * all-through, 2 nursery schools and a sixth form college), while the seed
 * chooses the names, name forms, URNs and postcodes.  The one fixed school
 * is DEMO_SCHOOL_URN, led by the demo school user.  Names are drawn from
 * invented localities and saints, formed the way English schools are
 * named ("Hollybank Primary School", "St Aidan's CofE Primary School",
 * "Foxcote Academy").  URNs fall in plausible ranges: 120xxx for
 * LA-maintained schools, 136000–144999 for academies, 130xxx for the
 * college.  The plan is computed first (plan_partnership) and then
 * written, so the census generator can have the same schools without a
 * database.  Pupils come from census_gen: an extract on each census day
 * of the last two years (termly, so the outcomes report has the term
 * before each referral and a later one), imported through import_run,
 * exactly as a partnership's own files would be. */
#include "core/demo.h"

#define DEMO_PARTNERSHIP_NAME "Ratae Schools Family Support Partnership"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/census_gen.h"
#include "core/import.h"
#include "core/school.h"
#include "core/user.h"
#include "store/db.h"

const struct demo_login demo_logins[DEMO_LOGINS] = {
	{"admin", "admin@hearth.example", "Priya Shah",
	 "partnership data lead: everything but case notes (users, schools, settings)"},
	{"coordinator", "coordinator@hearth.example", "Dev Patel",
	 "pool coordinator: all referrals and cases; screens and allocates"},
	{"school", "school@hearth.example", "Helen Okafor",
	 "head and DSL of " DEMO_SCHOOL_NAME " (URN " DEMO_SCHOOL_URN "): that school only"},
	{"worker", "worker@hearth.example", "Sam Whitfield",
	 "family support worker: the cases allocated to them"},
	{"agency", "agency@hearth.example", "Grace Mensah",
	 "education welfare officer: only the TAF actions and meetings she is in"},
	{"viewer", "viewer@hearth.example", "Cllr Tom Hughes",
	 "Schools Forum member: aggregate reports, small numbers suppressed"},
	{"auditor", "auditor@hearth.example", "Ruth Adeyemi",
	 "information governance: the audit log"},
};

/* ---- the plan --------------------------------------------------------- */

/* A kind of school in a district's plan.  Names are "<base> <form>", the
 * base from a pool: 'L' localities, 'E' Church of England dedications,
 * 'R' Catholic ones.  Repeated forms weight the draw. */
struct demo_kind {
	char code;
	const char *phase;
	char pool;
	const char *forms[5];  /* NULL-terminated */
};

static const struct demo_kind kinds[] = {
	{'P', "primary", 'L', {"Primary School", "Primary School",
		"Community Primary School", NULL}},
	{'Q', "primary", 'L', {"Primary Academy", "Academy", NULL}},
	{'C', "primary", 'E', {"CofE Primary School", "CofE Primary Academy", NULL}},
	{'R', "primary", 'R', {"Catholic Primary School", "Catholic Voluntary Academy", NULL}},
	{'I', "primary", 'L', {"Infant School", NULL}},  /* and its Junior School */
	{'S', "secondary", 'L', {"Academy", "Academy", "Community College",
		"High School", NULL}},
	{'K', "secondary", 'R', {"Catholic Academy", NULL}},
	{'X', "special", 'L', {"School", "Lodge School", "House School", "Academy", NULL}},
	{'U', "pru", 'L', {"Learning Centre", "Pupil Referral Unit", NULL}},
	{'T', "all-through", 'L', {"All-Through Academy", "All-Through School", NULL}},
	{'N', "nursery", 'L', {"Nursery School", NULL}},
	{'F', "college", 'L', {"Sixth Form College", NULL}},
};

/* A district: its plan (one letter per school, 'I' an infant and junior
 * pair, 'A' the fixed demo school) and the postcode sectors its schools
 * fall in. */
struct demo_district {
	const char *name;
	const char *plan;
	const char *sectors[6];  /* NULL-terminated */
};

static const struct demo_district districts[DEMO_DISTRICTS] = {
	{"City Centre", "ASPPPQCRIXUNF", {"LE1 1", "LE1 3", "LE1 5", "LE1 6", "LE1 7", NULL}},
	{"North West", "SSPPPPPQQQCRIXT", {"LE3 9", "LE4 0", "LE4 1", "LE4 2", NULL}},
	{"North East", "SSKPPPPPQQQCCIX", {"LE4 5", "LE4 6", "LE4 7", "LE4 9", NULL}},
	{"East", "SSPPPPQQQCRIXN", {"LE5 0", "LE5 3", "LE5 4", "LE5 5", "LE5 6", NULL}},
	{"South", "SSSPPPPPQQCRIXU", {"LE2 3", "LE2 5", "LE2 6", "LE2 7", "LE2 8", NULL}},
	{"West", "SSPPPPPQQQCRXT", {"LE3 0", "LE3 5", "LE3 6", "LE3 8", NULL}},
	{"Braunstone & Rowley Fields", "SPPPQQCI", {"LE3 1", "LE3 2", "LE3 3", NULL}},
};

static const char *const localities[] = {
	"Ashwell", "Brookvale", "Hollybank", "Thornbury", "Marlowe", "Greenacre",
	"Elmsmere", "Foxcote", "Larkrise", "Millbrook", "Oakhurst", "Quarry Hill",
	"Redlands", "Sandbrook", "Tennyson Road", "Willowdene", "Yew Tree",
	"Hazelmere", "Juniper Fields", "Meadowside", "Parkside Vale", "Beechwood",
	"Cedar Lane", "Fernhill", "Glebe Farm", "Hawthorn Rise", "Kingsway",
	"Lavender Hill", "Mapleton", "Northcote", "Osier Fields", "Pinfold",
	"Rowan Tree", "Silverdale", "Sycamore Grove", "Tudor Grange",
	"Vicarage Lane", "Abbeyfield", "Bramble Way", "Chestnut Walk", "Dovecote",
	"Elmfield", "Fairfax", "Goldhill", "Heathcote", "Ingleby", "Jubilee Park",
	"Kelmscott", "Larkfield", "Mill Lane", "Newarke Fields", "Oldfield",
	"Priory Gate", "Quenby Vale", "Rosehill", "Saxon Mill", "Tilton Road",
	"Upperton", "Valley Farm", "Westbury", "Wyvern", "Ashleigh", "Belvoir Park",
	"Canal Side", "Danemill", "Eastfield", "Friars Mill", "Gorse Hill",
	"Harcourt", "Ivanhoe", "Kenilworth", "Lindisfarne", "Mowbray", "Newfields",
	"Oakapple", "Pembroke", "Queens Park", "Ravenscroft", "Swanwick",
	"Thornleigh", "Wharfedale", "Aylmer", "Bradgate View", "Copperfield",
	"Dunstall", "Everard", "Foxglove", "Greystoke", "Harrowden", "Ingold",
	"Keats Close", "Langdale", "Marston", "Nevill Park", "Old Forge",
	"Pennine Way", "Ringway", "Summerfield", "Trinity Fields", "Waterside",
	"Wellbrook", "Whitecroft", "Badger Hill", "Coppice Wood", "Swallowdale",
	"Martindale",
};

static const char *const cofe[] = {
	"St Aidan's", "Holy Trinity", "St Cuthbert's", "Christ Church", "St Hilda's",
	"St Chad's", "All Saints", "St Oswald's", "St Swithun's", "St Alban's",
	"St Werburgh's",
};

static const char *const catholic[] = {
	"St Bede's", "St Edmund Campion", "Our Lady of Lourdes", "St Columba's",
	"St Wilfrid's", "Holy Family", "St Clare's", "St Anselm's",
};

#define NLOC (sizeof localities / sizeof localities[0])
#define NCOFE (sizeof cofe / sizeof cofe[0])
#define NRC (sizeof catholic / sizeof catholic[0])
#define POSTCODE_LETTERS "ABDEFGHJLNPQRSTUWXYZ"  /* those used in inward codes */

/* ---- the generator ---------------------------------------------------- */

/* splitmix64: tiny, fast and the same on every platform, which is all a
 * reproducible demo needs. */
struct demo_rng {
	uint64_t s;
};

static uint64_t rng_next(struct demo_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned rng_below(struct demo_rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

static void shuffle(struct demo_rng *r, const char **v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(r, (unsigned)i);
		const char *t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* Everything one seeding run draws from. */
struct demo_gen {
	struct demo_rng rng;
	const char *loc[NLOC], *cofe[NCOFE], *rc[NRC];
	size_t nloc, ncofe, nrc;         /* how many of each are used */
	unsigned urns[DEMO_SCHOOLS + 8];
	size_t nurns;
};

static void gen_init(struct demo_gen *g, uint32_t seed)
{
	memset(g, 0, sizeof *g);
	g->rng.s = seed;
	memcpy(g->loc, localities, sizeof localities);
	memcpy(g->cofe, cofe, sizeof cofe);
	memcpy(g->rc, catholic, sizeof catholic);
	shuffle(&g->rng, g->loc, NLOC);
	shuffle(&g->rng, g->cofe, NCOFE);
	shuffle(&g->rng, g->rc, NRC);
	g->urns[g->nurns++] = (unsigned)atoi(DEMO_SCHOOL_URN);
}

/* The next unused name base from pool 'L', 'E' or 'R'; NULL if spent. */
static const char *gen_base(struct demo_gen *g, char pool)
{
	if (pool == 'E')
		return g->ncofe < NCOFE ? g->cofe[g->ncofe++] : NULL;
	if (pool == 'R')
		return g->nrc < NRC ? g->rc[g->nrc++] : NULL;
	return g->nloc < NLOC ? g->loc[g->nloc++] : NULL;
}

static bool gen_urn_used(const struct demo_gen *g, unsigned urn)
{
	for (size_t i = 0; i < g->nurns; i++)
		if (g->urns[i] == urn)
			return true;
	return false;
}

/* A new URN in the range that fits the school: the college's, an
 * academy's (by its name, as the DfE gives converters new URNs) or an
 * LA-maintained school's.  Writes 6 digits and a NUL into out. */
static void gen_urn(struct demo_gen *g, const char *phase, const char *name, char out[7])
{
	unsigned base = 120000, span = 1000;
	if (strcmp(phase, "college") == 0)
		base = 130000;
	else if (strstr(name, "Academy"))
		base = 136000, span = 9000;
	unsigned urn;
	do
		urn = base + rng_below(&g->rng, span);
	while (gen_urn_used(g, urn));
	g->urns[g->nurns++] = urn;
	snprintf(out, 7, "%06u", urn);
}

/* A postcode in one of the district's sectors, like "LE4 6TJ". */
static void gen_postcode(struct demo_gen *g, const struct demo_district *d, char out[9])
{
	size_t nsec = 0;
	while (d->sectors[nsec])
		nsec++;
	const char *sector = d->sectors[rng_below(&g->rng, (unsigned)nsec)];
	size_t nl = strlen(POSTCODE_LETTERS);
	snprintf(out, 9, "%s%c%c", sector,
		 POSTCODE_LETTERS[rng_below(&g->rng, (unsigned)nl)],
		 POSTCODE_LETTERS[rng_below(&g->rng, (unsigned)nl)]);
}

static const struct demo_kind *kind_for(char code)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].code == code)
			return &kinds[i];
	return NULL;
}

/* ---- writing it ------------------------------------------------------- */

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

/* One school of the plan, before it is written anywhere. */
struct demo_school {
	int district;          /* index into districts[] */
	char name[160];
	const char *phase;
	char urn[7];
	char postcode[9];
};

static void plan_add(struct demo_school *v, int *n, int district, const char *phase,
		     const char *name, const char *urn, const char *postcode)
{
	struct demo_school *s = &v[(*n)++];
	s->district = district;
	s->phase = phase;
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->urn, sizeof s->urn, "%s", urn);
	snprintf(s->postcode, sizeof s->postcode, "%s", postcode);
}

/* One school (two for an infant and junior pair) of the given kind. */
static int plan_kind(struct demo_gen *g, int di, const struct demo_kind *k,
		     struct demo_school *v, int *n)
{
	const struct demo_district *d = &districts[di];
	const char *base = gen_base(g, k->pool);
	if (!base || *n + 2 > DEMO_SCHOOLS)
		return HE_INTERNAL;
	size_t nforms = 0;
	while (k->forms[nforms])
		nforms++;
	const char *form = k->forms[rng_below(&g->rng, (unsigned)nforms)];
	char name[160], urn[7], postcode[9];
	snprintf(name, sizeof name, "%s %s", base, form);
	gen_urn(g, k->phase, name, urn);
	gen_postcode(g, d, postcode);
	plan_add(v, n, di, k->phase, name, urn, postcode);
	if (k->code != 'I')
		return HE_OK;
	snprintf(name, sizeof name, "%s Junior School", base);  /* same site */
	gen_urn(g, k->phase, name, urn);
	plan_add(v, n, di, k->phase, name, urn, postcode);
	return HE_OK;
}

/* The whole partnership for a seed, district by district, in the order
 * it is written (and the order the generator's draws are made in, so a
 * seed always gives the same schools).  Sets *n; HE_INTERNAL if the plan
 * and the name pools disagree. */
static int plan_partnership(uint32_t seed, struct demo_school v[DEMO_SCHOOLS], int *n)
{
	struct demo_gen g;
	gen_init(&g, seed);
	*n = 0;
	for (int di = 0; di < DEMO_DISTRICTS; di++)
		for (const char *p = districts[di].plan; *p; p++) {
			int rc;
			if (*p == 'A') {
				if (*n == DEMO_SCHOOLS)
					return HE_INTERNAL;
				plan_add(v, n, di, "secondary", DEMO_SCHOOL_NAME, DEMO_SCHOOL_URN,
					 "LE1 7RH");
				continue;
			}
			const struct demo_kind *k = kind_for(*p);
			if ((rc = k ? plan_kind(&g, di, k, v, n) : HE_INTERNAL))
				return rc;
		}
	return HE_OK;
}

/* Add one school; logs the field on failure. */
static int seed_school(struct db *db, const struct audit_who *who, const struct demo_school *s,
		       FILE *log)
{
	struct errinfo e = {0};
	int rc = school_add(db, who, s->urn, s->name, s->phase, districts[s->district].name,
			    s->postcode, NULL, &e);
	if (rc)
		say(log, "cannot add %s %s: %s%s%s", s->urn, s->name, e.message,
		    *e.field ? " — field " : "", e.field);
	return rc;
}

/* The district row (audited when new). */
static int seed_district(struct db *db, const struct audit_who *who, const char *name)
{
	int64_t id;
	int rc = district_id_by_name(db, name, &id);
	if (rc == HE_NOT_FOUND) {
		char idtext[24];
		rc = district_ensure(db, name, &id);
		snprintf(idtext, sizeof idtext, "%lld", (long long)id);
		if (!rc)
			rc = audit(db, who, "create", "districts", idtext, name);
	}
	return rc;
}

static void log_mix(const struct demo_school *v, int n, uint32_t seed, FILE *log)
{
	int phase_count[8] = {0};
	for (int s = 0; s < n; s++)
		for (int i = 0; i < 8 && school_phases[i]; i++)
			if (strcmp(school_phases[i], v[s].phase) == 0)
				phase_count[i]++;
	struct buf mix;
	buf_init(&mix, 1024);
	for (int i = 0; i < 8 && school_phases[i]; i++)
		if (phase_count[i])
			buf_printf(&mix, "%s%d %s", mix.len ? ", " : "", phase_count[i],
				   school_phases[i]);
	say(log, "%d schools in %d districts (%s), seed %u", n, DEMO_DISTRICTS,
	    buf_str(&mix), (unsigned)seed);
	buf_free(&mix);
}

/* All districts and schools, inside the caller's transaction: each
 * district's row, then its schools. */
/* The partnership's name, for the Schools Forum report's title. */
static int seed_name(struct db *db, const struct audit_who *who)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO settings (key, value) VALUES"
		" ('partnership.name', :name) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	db_bind_text(st, ":name", DEMO_PARTNERSHIP_NAME);
	int rc = db_done(st);
	return rc ? rc : audit(db, who, "update", "settings", "partnership.name", DEMO_PARTNERSHIP_NAME);
}

static int seed_partnership(struct db *db, const struct audit_who *who, uint32_t seed,
			    FILE *log)
{
	struct demo_school v[DEMO_SCHOOLS];
	int n, rc = plan_partnership(seed, v, &n);
	for (int di = 0; !rc && di < DEMO_DISTRICTS; di++) {
		rc = seed_district(db, who, districts[di].name);
		for (int s = 0; !rc && s < n; s++)
			if (v[s].district == di)
				rc = seed_school(db, who, &v[s], log);
	}
	if (!rc)
		rc = seed_name(db, who);
	if (!rc)
		log_mix(v, n, seed, log);
	return rc;
}

static int user_exists(struct db *db, const char *email, bool *exists)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM users WHERE email = :email");
	db_bind_text(st, ":email", email);
	*exists = db_next(st);
	return db_finalize(st);
}

/* The demo users, each in its own transaction (user_create's). */
static int seed_users(struct db *db, const struct audit_who *who, FILE *log)
{
	for (int i = 0; i < DEMO_LOGINS; i++) {
		const struct demo_login *l = &demo_logins[i];
		bool exists;
		int rc = user_exists(db, l->email, &exists);
		if (rc)
			return rc;
		if (exists)
			continue;
		struct errinfo e = {0};
		rc = user_create(db, who, l->name, l->email, l->role,
				 strcmp(l->role, "school") == 0 ? DEMO_SCHOOL_URN : NULL,
				 DEMO_PASSWORD, NULL, &e);
		if (rc) {
			say(log, "cannot add user %s: %s", l->email, e.message);
			return rc;
		}
		say(log, "user %s (%s)", l->email, l->name);
	}
	return HE_OK;
}

int demo_seed(struct db *db, const struct audit_who *who, uint32_t seed, FILE *log)
{
	int64_t n = 0, anchor;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = school_count(db, &n);
	if (!rc && n == 0)
		rc = seed_partnership(db, who, seed, log);
	if (rc) {
		db_rollback(db);
		say(log, "nothing seeded (%s): rolled back", err_name(rc));
		return rc;
	}
	rc = db_commit(db);
	if (rc || n == 0)
		return rc ? rc : seed_users(db, who, log);
	rc = school_id_by_urn(db, DEMO_SCHOOL_URN, &anchor);
	if (rc == HE_NOT_FOUND) {
		say(log, "the database already has %lld schools and they are not the demo"
		    " partnership: nothing seeded", (long long)n);
		return HE_OK;
	}
	if (rc)
		return rc;
	say(log, "demo partnership already present");
	return seed_users(db, who, log);
}

/* ---- pupils ------------------------------------------------------------- */

static int cmp_demo_urn(const void *a, const void *b)
{
	return strcmp(((const struct demo_school *)a)->urn, ((const struct demo_school *)b)->urn);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Schools for census_gen, sorted by URN (so the plan and the database
 * give the same list): an infant school teaches Reception to Year 2 and
 * sends its pupils to the junior school of the same name, which teaches
 * Years 3 to 6.  Sorts v.  Returns HE_OK or HE_INVALID (a phase the
 * generator does not know). */
static int to_census(struct demo_school *v, size_t n, struct census_school *out)
{
	qsort(v, n, sizeof *v, cmp_demo_urn);
	for (size_t i = 0; i < n; i++) {
		int rc = census_school_init(&out[i], v[i].urn, v[i].phase, v[i].district,
					    v[i].postcode);
		if (rc)
			return rc;
		if (ends_with(v[i].name, " Infant School"))
			out[i].last_year = 2;
		else if (ends_with(v[i].name, " Junior School"))
			out[i].first_year = 3;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ends_with(v[i].name, " Infant School"))
			continue;
		size_t base = strlen(v[i].name) - strlen(" Infant School");
		for (size_t j = 0; j < n; j++)
			if (ends_with(v[j].name, " Junior School") &&
			    strlen(v[j].name) == base + strlen(" Junior School") &&
			    strncmp(v[i].name, v[j].name, base) == 0)
				out[i].next = (int)j;
	}
	return HE_OK;
}

int demo_census_schools(uint32_t seed, struct census_school *out, size_t *n)
{
	struct demo_school v[DEMO_SCHOOLS];
	int count, rc = plan_partnership(seed, v, &count);
	*n = 0;
	if (!rc && (rc = to_census(v, (size_t)count, out)) == HE_OK)
		*n = (size_t)count;
	return rc;
}

/* The nth (1-based) Thursday of month m of year y. */
static hday nth_thursday(int y, int m, int n)
{
	hday first = date_from_ymd(y, m, 1);
	return first + (3 - date_weekday(first) + 7) % 7 + 7 * (n - 1);
}

int demo_census_days(hday today, hday *days, int max)
{
	int y0, m, d, n = 0;
	date_to_ymd(today - 700, &y0, &m, &d);
	for (int y = y0; y <= y0 + 3; y++) {
		hday cand[3] = {nth_thursday(y, 1, 3), nth_thursday(y, 5, 3), nth_thursday(y, 10, 1)};
		for (int k = 0; k < 3; k++)
			if (cand[k] >= today - 700 && cand[k] <= today - 7 && n < max)
				days[n++] = cand[k];
	}
	return n;
}

/* The partnership's schools as they are in the database, for census_gen;
 * *out is allocated (free it). */
static int census_schools_from_db(struct db *db, struct census_school **out, size_t *n)
{
	struct arena a;
	struct school *list;
	arena_init(&a);
	int rc = school_list(db, &a, &list, n);
	struct demo_school *v = xcalloc(*n + 1, sizeof *v);
	for (size_t i = 0; rc == HE_OK && i < *n; i++) {
		int d = DEMO_DISTRICTS;  /* districts not in the plan share one number */
		for (int k = 0; k < DEMO_DISTRICTS; k++)
			if (strcmp(districts[k].name, list[i].district) == 0)
				d = k;
		int at = (int)i;
		plan_add(v, &at, d, list[i].phase, list[i].name, list[i].urn,
			 list[i].postcode ? list[i].postcode : "");
	}
	*out = xcalloc(*n + 1, sizeof **out);
	if (rc == HE_OK)
		rc = to_census(v, *n, *out);
	free(v);
	arena_free(&a);
	return rc;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Write one extract to a temporary file and import it. */
static int import_extract(struct db *db, const struct audit_who *who, struct census_opts *co,
			  FILE *log)
{
	struct timespec t0;
	char path[4096], date[11], shown[64];
	const char *tmp = getenv("TMPDIR");
	int64_t rows = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	date_format(co->extract_date, date);
	snprintf(path, sizeof path, "%s/hearth-demo-XXXXXX.csv", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemps(path, 4);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		say(log, "cannot create a temporary file in %s", tmp && *tmp ? tmp : "/tmp");
		if (fd >= 0)
			close(fd);
		return HE_INTERNAL;
	}
	co->rows = &rows;
	int rc = census_write_csv(f, co);
	if (fclose(f) != 0 && !rc)
		rc = HE_INTERNAL;
	if (rc) {
		say(log, "cannot write the census for %s (%s)", date, err_name(rc));
		unlink(path);
		return rc;
	}
	say(log, "census extract of %s: %lld pupils written (%.1f s); importing", date,
	    (long long)rows, seconds_since(&t0));
	snprintf(shown, sizeof shown, "demo-census-%s.csv", date);
	struct import_opts io = {.path = path, .filename = shown, .kind = IMPORT_CSV,
				 .alone_ok = true};
	struct import_report rep;
	rc = import_run(db, who, &io, &rep);
	unlink(path);
	if (rc) {
		say(log, "import of %s failed (%s): %s", date, err_name(rc), rep.message);
		return rc;
	}
	say(log, "imported %s: %s (%.1f s)", date, rep.message, seconds_since(&t0));
	if (rep.nerrors)
		say(log, "first bad row: line %d: %s", rep.errors[0].line, rep.errors[0].message);
	return HE_OK;
}

static int count_rows(struct db *db, const char *sql, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, sql);
	*n = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

int demo_seed_pupils(struct db *db, const struct audit_who *who, uint32_t seed, long pupils,
		     FILE *log)
{
	int64_t n, anchor;
	if (pupils <= 0)
		return HE_OK;
	int rc = school_id_by_urn(db, DEMO_SCHOOL_URN, &anchor);
	if (rc == HE_NOT_FOUND) {
		say(log, "not the demo partnership: no pupils seeded");
		return HE_OK;
	}
	if (rc || (rc = count_rows(db, "SELECT count(*) FROM pupils", &n)))
		return rc;
	if (n > 0) {
		say(log, "%lld pupils already present: no census imported", (long long)n);
		return HE_OK;
	}
	struct census_school *schools = NULL;
	size_t nschools = 0;
	if ((rc = census_schools_from_db(db, &schools, &nschools))) {
		free(schools);
		return rc;
	}
	struct census_opts co = {.seed = seed, .schools = schools, .nschools = nschools,
		.pupils = pupils};
	hday days[DEMO_CENSUS_MAX];
	int ndays = demo_census_days(date_today(), days, DEMO_CENSUS_MAX);
	co.first_date = days[0];
	for (int i = 0; rc == HE_OK && i < ndays; i++) {
		co.extract_date = days[i];
		co.term = i;
		rc = import_extract(db, who, &co, log);
	}
	free(schools);
	return rc;
}

int demo_print_logins(FILE *out)
{
	fprintf(out, "Demo sign-ins (all with the password %s):\n\n", DEMO_PASSWORD);
	fprintf(out, "  %-12s %-27s %-21s %-16s %s\n", "Role", "Email", "Password",
		"Name", "Sees");
	for (int i = 0; i < DEMO_LOGINS; i++) {
		const struct demo_login *l = &demo_logins[i];
		fprintf(out, "  %-12s %-27s %-21s %-16s %s\n", l->role, l->email,
			DEMO_PASSWORD, l->name, l->sees);
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}
