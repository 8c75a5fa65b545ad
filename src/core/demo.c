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
 * college. */
#include "core/demo.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
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
	int phase_count[8];              /* indexed like school_phases[] */
	int schools;
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

/* Add one school and count its phase; logs the field on failure. */
static int seed_school(struct db *db, const struct audit_who *who, struct demo_gen *g,
		       const char *district, const char *phase, const char *name,
		       const char *urn, const char *postcode, FILE *log)
{
	struct errinfo e = {0};
	int rc = school_add(db, who, urn, name, phase, district, postcode, NULL, &e);
	if (rc) {
		say(log, "cannot add %s %s: %s%s%s", urn, name, e.message,
		    *e.field ? " — field " : "", e.field);
		return rc;
	}
	for (int i = 0; school_phases[i]; i++)
		if (strcmp(school_phases[i], phase) == 0)
			g->phase_count[i]++;
	g->schools++;
	return HE_OK;
}

/* One school (two for an infant and junior pair) of the given kind. */
static int seed_kind(struct db *db, const struct audit_who *who, struct demo_gen *g,
		     const struct demo_district *d, const struct demo_kind *k, FILE *log)
{
	const char *base = gen_base(g, k->pool);
	if (!base)
		return HE_INTERNAL;
	size_t nforms = 0;
	while (k->forms[nforms])
		nforms++;
	const char *form = k->forms[rng_below(&g->rng, (unsigned)nforms)];
	char name[160], urn[7], postcode[9];
	snprintf(name, sizeof name, "%s %s", base, form);
	gen_urn(g, k->phase, name, urn);
	gen_postcode(g, d, postcode);
	int rc = seed_school(db, who, g, d->name, k->phase, name, urn, postcode, log);
	if (rc || k->code != 'I')
		return rc;
	snprintf(name, sizeof name, "%s Junior School", base);  /* same site */
	gen_urn(g, k->phase, name, urn);
	return seed_school(db, who, g, d->name, k->phase, name, urn, postcode, log);
}

/* The district row (audited when new) and its schools. */
static int seed_district(struct db *db, const struct audit_who *who, struct demo_gen *g,
			 const struct demo_district *d, FILE *log)
{
	int64_t id;
	int rc = district_id_by_name(db, d->name, &id);
	if (rc == HE_NOT_FOUND) {
		char idtext[24];
		rc = district_ensure(db, d->name, &id);
		snprintf(idtext, sizeof idtext, "%lld", (long long)id);
		if (!rc)
			rc = audit(db, who, "create", "districts", idtext, d->name);
	}
	for (const char *p = d->plan; !rc && *p; p++) {
		if (*p == 'A') {
			rc = seed_school(db, who, g, d->name, "secondary", DEMO_SCHOOL_NAME,
					 DEMO_SCHOOL_URN, "LE1 7RH", log);
			continue;
		}
		const struct demo_kind *k = kind_for(*p);
		rc = k ? seed_kind(db, who, g, d, k, log) : HE_INTERNAL;
	}
	return rc;
}

/* All districts and schools, inside the caller's transaction. */
static int seed_partnership(struct db *db, const struct audit_who *who, uint32_t seed,
			    FILE *log)
{
	struct demo_gen g;
	gen_init(&g, seed);
	for (int i = 0; i < DEMO_DISTRICTS; i++) {
		int rc = seed_district(db, who, &g, &districts[i], log);
		if (rc)
			return rc;
	}
	struct buf mix;
	buf_init(&mix, 1024);
	for (int i = 0; school_phases[i]; i++)
		if (g.phase_count[i])
			buf_printf(&mix, "%s%d %s", mix.len ? ", " : "", g.phase_count[i],
				   school_phases[i]);
	say(log, "%d schools in %d districts (%s), seed %u", g.schools, DEMO_DISTRICTS,
	    buf_str(&mix), (unsigned)seed);
	buf_free(&mix);
	return HE_OK;
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
