/* census_gen.c — the synthetic census behind `hearth demo` and `make bench`
 * (see census_gen.h).
 *
 * The model, in the order the code builds it:
 *
 *  - Layout.  Each school gets a realistic size for its phase (a
 *    secondary about five times a primary), jittered by the seed, and its
 *    pupils are spread over the years it teaches; the sizes are scaled so
 *    that the first extract holds exactly the pupils asked for.  A (school,
 *    year) pair is a block; base pupil i is the i-th pupil of the blocks in
 *    order.
 *  - Families.  Within each district the base pupils are shuffled and
 *    grouped: about one group in five has two to four children, always in
 *    different year groups, so siblings usually attend different schools.
 *    A family is its founder's pupil index; everything else about it
 *    (surname, language, address, deprivation) is drawn from a generator
 *    keyed by that number, so nothing per family is stored.
 *  - Identity and indicators.  Every pupil's name, date of birth, UPN and
 *    propensities (to be absent, suspended, on SEN support …) come from a
 *    generator keyed by the pupil's number, so a later extract finds the
 *    same child.  Flags that run in families (FSM, EAL, social care) use
 *    the family's draw most of the time, which makes siblings alike.
 *    Probabilities are the national rate times risk factors divided by
 *    the factors' mean, so the rates come out right while FSM pupils are
 *    absent, on SEN support and known to social care more often.
 *  - Later extracts.  Term j draws from a generator keyed by (pupil, j)
 *    to drift the propensities: most stay, about 10% attend worse, 8%
 *    better, a few are newly suspended or known to social care.  Across
 *    academic years pupils move up: to their school's next school, or to
 *    a school of their district that teaches the year, weighted by size;
 *    at 16 about a third stay on at a college.  New Reception, nursery
 *    and PRU pupils arrive each September, some the younger brothers and
 *    sisters of pupils already there.
 *
 * UPNs are built like real ones: a check letter, LA 856, the 4-digit DfE
 * establishment number of the school that allocated it (numbered by phase:
 * 1xxx nursery and PRU, 2xxx–3xxx primary, 4xxx–5xxx middle and
 * secondary, 6xxx all-through, 7xxx special, 8xxx college), the year of
 * allocation and a 3-digit serial; a school with more than 1,000 pupils a
 * year uses the numbers after its own, so every UPN is unique. */
#include "core/census_gen.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/pupil.h"
#include "core/school.h"

/* ---- random numbers ----------------------------------------------------- */

/* splitmix64: fast, tiny and the same everywhere. */
static uint64_t cg_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

struct cg_rng {
	uint64_t s;
};

/* A stream keyed by (seed, kind, a, b): pupils, families and terms each
 * get their own, so drawing more from one never shifts another. */
static void rng_key(struct cg_rng *r, uint64_t seed, uint64_t kind, uint64_t a, uint64_t b)
{
	r->s = cg_mix(seed ^ cg_mix(kind * UINT64_C(0x9e3779b97f4a7c15) ^ cg_mix(a + 0x51ed27u) ^
				   cg_mix(b * 0x2545f491u + 7)));
}

static uint64_t rng_next(struct cg_rng *r)
{
	return cg_mix(r->s += UINT64_C(0x9e3779b97f4a7c15));
}

/* Uniform in [0, 1). */
static double rng_unit(struct cg_rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static unsigned rng_below(struct cg_rng *r, unsigned n)
{
	return n ? (unsigned)(((rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

enum { K_LAYOUT = 1, K_FAMILY, K_PUPIL, K_TERM, K_FAMTERM, K_SUSP, K_PLACE };

/* ---- names and places ------------------------------------------------------ */

/* A name group: the first names and surnames that go together, its share
 * of the city's families and how many of its children speak English as an
 * additional language. */
struct cg_group {
	int weight;
	double eal;
	const char *const *boys, *const *girls, *const *surnames;
	unsigned nboys, ngirls, nsurnames;
};

static const char *const en_boys[] = {
	"Oliver", "Jack", "Harry", "George", "Noah", "Charlie", "Jacob", "Alfie", "Freddie",
	"Oscar", "Leo", "Archie", "Thomas", "James", "William", "Joshua", "Riley", "Ethan",
	"Lewis", "Mason", "Tyler", "Callum", "Kyle", "Liam", "Daniel", "Samuel", "Max",
	"Henry", "Joseph", "Dylan", "Reece", "Connor", "Harvey", "Luke", "Ryan", "Ben",
};
static const char *const en_girls[] = {
	"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella",
	"Lily", "Evie", "Isabella", "Chloe", "Jessica", "Ruby", "Millie", "Freya", "Daisy",
	"Lucy", "Holly", "Megan", "Charlotte", "Phoebe", "Scarlett", "Erin", "Hannah", "Katie",
	"Lola", "Ellie", "Niamh", "Courtney", "Shannon", "Leah", "Abbie", "Zoe",
};
static const char *const en_surnames[] = {
	"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
	"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
	"Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Moore",
	"Cooper", "Ward", "Morris", "King", "Baker", "Harris", "Lewis", "Marshall", "Bennett",
	"Mills", "Porter", "Chapman", "Hunt", "Cox", "Fletcher", "O'Connor", "Kelly", "Murphy",
	"Campbell", "Stewart", "Palmer", "Holmes", "Barker", "Pearson", "Shaw", "Gibson",
	"Bailey", "Spencer", "Pickering", "Smith-Bradley", "Atkinson", "Dawson", "Haywood",
};
static const char *const sa_boys[] = {
	"Aarav", "Arjun", "Rohan", "Krish", "Dev", "Jay", "Rahul", "Vivaan", "Kabir", "Aryan",
	"Harjit", "Gurpreet", "Jaspreet", "Mohammed", "Muhammad", "Ibrahim", "Yusuf", "Ayaan",
	"Zain", "Hamza", "Adam", "Ali", "Omar", "Bilal", "Harvinder", "Nikhil", "Sahil",
	"Ishaan", "Rayan", "Aadam", "Vihaan", "Jai", "Karan", "Manav",
};
static const char *const sa_girls[] = {
	"Aisha", "Priya", "Anaya", "Diya", "Isha", "Riya", "Saanvi", "Kiran", "Simran",
	"Harleen", "Jasmin", "Fatima", "Maryam", "Zara", "Hafsa", "Amira", "Inaaya",
	"Khadija", "Nisha", "Pooja", "Meera", "Sana", "Alisha", "Navneet", "Manpreet",
	"Anika", "Tara", "Leela", "Safa", "Hana", "Avni", "Kavya", "Ruhi",
};
static const char *const sa_surnames[] = {
	"Patel", "Patel", "Patel", "Mistry", "Parmar", "Solanki", "Chauhan", "Lad", "Modi",
	"Shah", "Joshi", "Pandya", "Desai", "Mehta", "Chavda", "Vaghela", "Makwana", "Singh",
	"Kaur", "Sandhu", "Gill", "Dhillon", "Bains", "Khan", "Ahmed", "Hussain", "Ali",
	"Mahmood", "Begum", "Rahman", "Chowdhury", "Iqbal", "Sheikh", "Mirza", "Kotecha",
	"Lakhani", "Thakrar", "Gohil", "Rathod", "Varsani",
};
static const char *const af_boys[] = {
	"Kwame", "Kofi", "Tendai", "Chidi", "Emeka", "Tunde", "Samuel", "Daniel", "Joshua",
	"Malachi", "Isaiah", "Elijah", "Jayden", "Tyrese", "Nathaniel", "Kayden", "Marcus",
};
static const char *const af_girls[] = {
	"Amara", "Chioma", "Adaeze", "Nia", "Zuri", "Grace", "Blessing", "Precious", "Faith",
	"Abigail", "Esther", "Tiana", "Kemi", "Folake", "Imani", "Naomi", "Shanice",
};
static const char *const af_surnames[] = {
	"Okafor", "Adeyemi", "Mensah", "Osei", "Mwangi", "Moyo", "Ncube", "Banda", "Campbell",
	"Francis", "Grant", "Thomas", "Johnson", "Williams", "Boateng", "Asante", "Nwosu",
	"Eze", "Chikwanha", "Okoro", "Brown", "Reid",
};
static const char *const so_boys[] = {
	"Abdi", "Abdirahman", "Mohamed", "Ahmed", "Hassan", "Yusuf", "Abdullahi", "Ismail",
	"Mustafa", "Farah", "Liban", "Bashir", "Khalid", "Sharmarke",
};
static const char *const so_girls[] = {
	"Hodan", "Amina", "Ayan", "Fadumo", "Hibo", "Sahra", "Nasra", "Ifrah", "Ikran", "Ubah",
	"Deeqa", "Hawa", "Muna", "Sagal",
};
static const char *const so_surnames[] = {
	"Abdi", "Hassan", "Mohamed", "Farah", "Ali", "Warsame", "Jama", "Omar", "Osman",
	"Hersi", "Ahmed", "Nur", "Egal", "Aden", "Duale", "Yusuf",
};
static const char *const ee_boys[] = {
	"Jakub", "Filip", "Szymon", "Kacper", "Mateusz", "Wiktor", "Antoni", "Oliwer",
	"Andrei", "Luca", "Matei", "Dominik", "Lukas", "Tomáš", "Mihai", "Darius",
};
static const char *const ee_girls[] = {
	"Zuzanna", "Julia", "Maja", "Zofia", "Hanna", "Lena", "Alicja", "Maria", "Natalia",
	"Ioana", "Elena", "Daria", "Viktória", "Emilia", "Gabriela", "Oliwia",
};
static const char *const ee_surnames[] = {
	"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
	"Popescu", "Ionescu", "Popa", "Horváth", "Novák", "Kazlauskas", "Petrov", "Balogh",
	"Dumitru", "Mazur", "Krawczyk",
};
static const char *const ot_boys[] = {
	"Wei", "Jun", "Hao", "Karim", "Omar", "Rami", "Ahmad", "Kian", "Reza", "Minh", "Aram",
	"Dilan",
};
static const char *const ot_girls[] = {
	"Mei", "Xin", "Ling", "Layla", "Noor", "Yasmin", "Rana", "Sara", "Leila", "Dina", "Linh",
	"Shilan",
};
static const char *const ot_surnames[] = {
	"Chen", "Wang", "Li", "Zhang", "Liu", "Al-Sayed", "Haddad", "Karimi", "Rahimi",
	"Hosseini", "Nguyen", "Tran", "Ahmadi", "Barzani",
};

#define N_(a) (unsigned)(sizeof a / sizeof a[0])
#define GROUP(w, eal, p) {w, eal, p##_boys, p##_girls, p##_surnames, \
	N_(p##_boys), N_(p##_girls), N_(p##_surnames)}

/* English, South Asian, African and Caribbean, Somali, Eastern European,
 * other: a Leicester-like mix, with EAL at about the national 20%. */
static const struct cg_group groups[] = {
	GROUP(50, 0.01, en), GROUP(30, 0.24, sa), GROUP(7, 0.35, af), GROUP(4, 0.85, so),
	GROUP(5, 0.80, ee), GROUP(4, 0.60, ot),
};
#define NGROUPS N_(groups)

static const char *const streets[] = {
	"Church Street", "Victoria Road", "Station Road", "Park Road", "Mill Lane",
	"Queens Road", "Kings Road", "Albert Street", "Highfield Street", "Green Lane",
	"Granby Road", "Melbourne Road", "Evington Lane", "Gipsy Lane", "Catherine Street",
	"Harrison Road", "Loughborough Road", "Belper Street", "Dulverton Road", "Ashford Road",
	"Mere Road", "Stoughton Drive", "Coleman Road", "Ethel Road", "Wakerley Road",
	"Uppingham Close", "Hamilton Way", "Netherhall Road", "Scraptoft Lane", "Broad Avenue",
	"Fosse Way", "Tudor Road", "Westcotes Drive", "Braunstone Lane", "Winstanley Drive",
	"Hinckley Close", "Aylestone Walk", "Saffron Road", "Knighton Lane", "Welford Place",
	"Clarendon Park Road", "Queens Walk", "Avenue Road", "Stoneygate Avenue", "Shanklin Drive",
	"Beaumont Leys Lane", "Bennion Road", "Krefeld Way", "Strasbourg Drive", "Home Farm Close",
	"Mowmacre Hill", "Thurcaston Road", "Abbey Lane", "Red Hill Way", "Blackbird Road",
	"Groby Road", "Anstey Lane", "Glenfield Road", "Woodgate", "Tudor Close", "Ingle Street",
	"Cobden Street", "Vulcan Road", "Rushey Mead Walk", "Harrison Close", "Lanesborough Road",
	"Humberstone Drive", "Nether Hall Avenue", "Colchester Road", "Northfold Road",
	"Crown Hills Avenue", "Coleman Close", "Spencefield Lane", "Downing Drive",
	"Goodwood Road", "Marydene Drive", "Rowlatts Hill Road", "Thurnby Lodge Road",
	"Netherhall Close", "Wicklow Drive", "Saffron Lane", "Cavendish Road", "Duncan Road",
	"Stonesby Avenue", "Hockley Farm Road", "Hand Avenue", "Braunstone Avenue",
	"Cort Crescent", "Kingsway", "Narborough Close", "Fullhurst Avenue", "Ravenhurst Road",
	"Winchester Avenue", "Shakespeare Drive", "Tennyson Street", "Byron Street",
	"Wordsworth Road", "Milton Crescent", "Chaucer Street", "Keats Walk", "Dickens Close",
	"Hardy Road", "Blake Street", "Austen Drive", "Bronte Close", "Eliot Road",
	"Elgar Road", "Holst Close", "Purcell Road", "Britten Street", "Delius Walk",
	"Oak Street", "Ash Grove", "Elm Close", "Beech Avenue", "Willow Road", "Maple Drive",
	"Rowan Way", "Hazel Street", "Larch Close", "Cedar Road", "Poplar Avenue", "Holly Drive",
	"Laburnum Road", "Chestnut Close", "Sycamore Street",
};
#define NSTREETS N_(streets)
#define HOUSE_NUMBERS 180u
#define UNIT_LETTERS "ABDEFGHJLNPQRSTUWXYZ"  /* the letters postcode units use */

static const char *const fallback_sectors[] = {
	"LE1 1", "LE1 5", "LE2 0", "LE2 6", "LE3 0", "LE3 9", "LE4 2", "LE4 6", "LE5 3", "LE5 6",
};

/* ---- phases --------------------------------------------------------------- */

struct cg_phase {
	const char *name;
	int first, last;          /* usual NC years */
	double per_year, upper;   /* pupils a year: before Year 7, Year 7 on */
	int estab_base, estab_width;
	char kind;                /* m mainstream, n nursery, s special, p PRU, c college */
	bool entry;               /* children arrive each September in its first year */
};

static const struct cg_phase phases[] = {
	{"nursery", -2, -1, 45, 45, 1000, 100, 'n', true},
	{"primary", 0, 6, 45, 45, 2000, 2000, 'm', true},
	{"middle", 5, 8, 120, 120, 4000, 100, 'm', false},
	{"secondary", 7, 11, 200, 200, 4100, 1900, 'm', false},
	{"all-through", 0, 11, 60, 210, 6000, 1000, 'm', true},
	{"special", 0, 11, 9, 11, 7000, 1000, 's', true},
	{"pru", 7, 11, 12, 12, 1100, 900, 'p', true},
	{"college", 12, 13, 700, 700, 8000, 1000, 'c', false},
};
#define NPHASES N_(phases)

#define YMIN (-2)
#define YMAX 13
#define NY (YMAX - YMIN + 1)
#define STAY_ON 0.35              /* share of 16-year-olds going on to a college here */

static const struct cg_phase *phase_of(const char *name)
{
	for (unsigned i = 0; name && i < NPHASES; i++)
		if (strcmp(phases[i].name, name) == 0)
			return &phases[i];
	return NULL;
}

int census_school_init(struct census_school *s, const char *urn, const char *phase,
		       int district, const char *postcode)
{
	const struct cg_phase *p = phase_of(phase);
	memset(s, 0, sizeof *s);
	if (!p || !urn || !urn_valid(urn))
		return HE_INVALID;
	snprintf(s->urn, sizeof s->urn, "%s", urn);
	s->phase = p->name;
	s->first_year = p->first;
	s->last_year = p->last;
	s->district = district;
	if (postcode && !postcode_norm(postcode, s->postcode))
		s->postcode[0] = '\0';
	s->next = -1;
	return HE_OK;
}

/* ---- the plan -------------------------------------------------------------- */

struct cg_block {
	uint32_t start, count;    /* base pupils start..start+count-1 */
	int school, year;
	int entry_off;            /* for entry blocks: offset among one cohort's entrants, else -1 */
};

struct cg_school {
	const struct census_school *in;
	const struct cg_phase *ph;
	int district;             /* 0..ndistricts-1 */
	int estab, stride;        /* DfE number; how many numbers it may use */
	uint32_t year_count[NY];  /* base pupils per year */
};

struct cg_cand {
	int school;
	uint32_t cum;             /* cumulative weight */
};

#define MAX_SECTORS 16

struct cg_district {
	char sectors[MAX_SECTORS][8];
	int nsectors;
	uint32_t *pupils;         /* base pupils living here, shuffled */
	uint32_t npupils;
};

struct cg {
	const struct census_opts *o;
	struct cg_school *sch;
	int nsch;
	struct cg_block *blocks;
	int nblocks;
	struct cg_district *dist;
	int ndist;
	uint16_t *p_block;        /* base pupil → block */
	uint32_t *p_family;       /* base pupil → family (its founder) */
	uint32_t *dist_pupils;    /* storage for the districts' lists */
	struct cg_cand *cand;     /* per (district or "any", year): schools teaching it */
	int *cand_off;            /* (ndist + 1) * NY + 1 offsets */
	uint32_t entrants;        /* new children per September */
	int a0, at;               /* academic years of first and this extract */
	int32_t sess_full, sess_now;  /* sessions possible in a whole year, and so far */
	/* means of the risk factors, so that rates come out as intended */
	double att_mean, sen_k_main, sen_e_main;
};

/* Share of the year's risk a factor carries, normalised: rate * f / mean. */
static double fsm_mean(double ratio)
{
	return 0.24 * ratio + 0.76;
}

static double boy_mean(double boy, double girl)
{
	return 0.51 * boy + 0.49 * girl;
}

static double year_weight(const struct cg_school *s, int y)
{
	return y >= 7 ? s->ph->upper : s->ph->per_year;
}

/* Sizes: the phase's per-year numbers times the school's jitter, scaled
 * to the pupils asked for with cumulative rounding so they add up. */
static int plan_blocks(struct cg *g)
{
	const struct census_opts *o = g->o;
	struct cg_rng r;
	rng_key(&r, o->seed, K_LAYOUT, 0, 0);
	g->blocks = xcalloc((size_t)g->nsch * NY, sizeof *g->blocks);
	double *w = xcalloc((size_t)g->nsch * NY, sizeof *w), total = 0;
	for (int s = 0; s < g->nsch; s++) {
		double jitter = 0.7 + 0.65 * rng_unit(&r);
		const struct census_school *in = g->sch[s].in;
		for (int y = in->first_year; y <= in->last_year; y++) {
			struct cg_block *b = &g->blocks[g->nblocks];
			b->school = s;
			b->year = y;
			b->entry_off = -1;
			w[g->nblocks] = year_weight(&g->sch[s], y) * jitter * (0.9 + 0.2 * rng_unit(&r));
			total += w[g->nblocks++];
		}
	}
	double cum = 0;
	uint32_t done = 0;
	for (int i = 0; i < g->nblocks; i++) {
		cum += w[i];
		uint32_t upto = (uint32_t)llround((double)o->pupils * cum / total);
		if (i == g->nblocks - 1)
			upto = (uint32_t)o->pupils;
		g->blocks[i].start = done;
		g->blocks[i].count = upto - done;
		done = upto;
		g->sch[g->blocks[i].school].year_count[g->blocks[i].year - YMIN] += g->blocks[i].count;
	}
	free(w);
	return HE_OK;
}

/* Establishment numbers by phase band, each school with room for its
 * largest year (1,000 UPN serials per number and year); entry blocks
 * numbered for the entrants. */
static int plan_estabs(struct cg *g)
{
	for (unsigned p = 0; p < NPHASES; p++) {
		int n = 0, k = 0;
		for (int s = 0; s < g->nsch; s++)
			n += g->sch[s].ph == &phases[p];
		if (!n)
			continue;
		int stride = phases[p].estab_width / n;
		for (int s = 0; s < g->nsch; s++) {
			if (g->sch[s].ph != &phases[p])
				continue;
			g->sch[s].stride = stride;
			g->sch[s].estab = phases[p].estab_base + (k++) * stride;
		}
	}
	for (int i = 0; i < g->nblocks; i++) {
		struct cg_block *b = &g->blocks[i];
		struct cg_school *s = &g->sch[b->school];
		if (b->count > (uint32_t)s->stride * 1000u)
			return HE_INVALID;  /* more pupils in one year than UPNs allow */
		if (s->ph->entry && b->year == s->in->first_year) {
			b->entry_off = (int)g->entrants;
			g->entrants += b->count;
		}
	}
	return HE_OK;
}

static void add_sector(struct cg_district *d, const char *postcode)
{
	char sec[8];
	size_t n = strlen(postcode);
	if (n < 6 || n - 2 >= sizeof sec || d->nsectors == MAX_SECTORS)
		return;
	memcpy(sec, postcode, n - 2);
	sec[n - 2] = '\0';
	for (int i = 0; i < d->nsectors; i++)
		if (strcmp(d->sectors[i], sec) == 0)
			return;
	strcpy(d->sectors[d->nsectors++], sec);
}

/* Districts numbered in order of first appearance, with the postcode
 * sectors of their schools. */
static void plan_districts(struct cg *g)
{
	int *ids = xmalloc((size_t)g->nsch * sizeof *ids);
	g->dist = xcalloc((size_t)g->nsch, sizeof *g->dist);
	for (int s = 0; s < g->nsch; s++) {
		int d = 0;
		while (d < g->ndist && ids[d] != g->sch[s].in->district)
			d++;
		if (d == g->ndist)
			ids[g->ndist++] = g->sch[s].in->district;
		g->sch[s].district = d;
		if (g->sch[s].in->postcode[0])
			add_sector(&g->dist[d], g->sch[s].in->postcode);
	}
	for (int d = 0; d < g->ndist; d++)
		if (!g->dist[d].nsectors)
			for (unsigned i = 0; i < N_(fallback_sectors); i++)
				add_sector(&g->dist[d], fallback_sectors[i]);
	free(ids);
}

/* For each district (and for the whole partnership, index ndist) and
 * year: the mainstream schools and colleges teaching it, weighted by
 * their pupils in that year. */
static void plan_candidates(struct cg *g)
{
	int lists = (g->ndist + 1) * NY;
	g->cand_off = xcalloc((size_t)lists + 1, sizeof *g->cand_off);
	g->cand = xcalloc((size_t)lists * (size_t)g->nsch + 1, sizeof *g->cand);
	int n = 0;
	for (int d = 0; d <= g->ndist; d++)
		for (int y = YMIN; y <= YMAX; y++) {
			uint32_t cum = 0;
			g->cand_off[d * NY + (y - YMIN)] = n;
			for (int s = 0; s < g->nsch; s++) {
				const struct cg_school *sc = &g->sch[s];
				if ((d < g->ndist && sc->district != d) || y < sc->in->first_year ||
				    y > sc->in->last_year || (sc->ph->kind != 'm' && sc->ph->kind != 'c'))
					continue;
				cum += sc->year_count[y - YMIN] + 1;
				g->cand[n++] = (struct cg_cand){s, cum};
			}
		}
	g->cand_off[lists] = n;
}

/* Families: shuffle each district's pupils and group neighbours in the
 * list, two to four children in different years, for about 22% of
 * groups (so about 40% of pupils have a sibling here). */
static void plan_families(struct cg *g)
{
	uint32_t n = (uint32_t)g->o->pupils;
	struct cg_rng r;
	rng_key(&r, g->o->seed, K_FAMILY, 0, 0);
	g->p_block = xmalloc((size_t)n * sizeof *g->p_block + 1);
	g->p_family = xmalloc((size_t)n * sizeof *g->p_family + 1);
	g->dist_pupils = xmalloc((size_t)n * sizeof *g->dist_pupils + 1);
	uint32_t *fill = xcalloc((size_t)g->ndist + 1, sizeof *fill);
	for (int b = 0; b < g->nblocks; b++) {
		const struct cg_block *bl = &g->blocks[b];
		for (uint32_t i = bl->start; i < bl->start + bl->count; i++)
			g->p_block[i] = (uint16_t)b;
		g->dist[g->sch[bl->school].district].npupils += bl->count;
	}
	uint32_t off = 0;
	for (int d = 0; d < g->ndist; d++) {
		g->dist[d].pupils = g->dist_pupils + off;
		off += g->dist[d].npupils;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct cg_district *d = &g->dist[g->sch[g->blocks[g->p_block[i]].school].district];
		d->pupils[fill[d - g->dist]++] = i;
	}
	free(fill);
	for (int d = 0; d < g->ndist; d++) {
		uint32_t *v = g->dist[d].pupils, m = g->dist[d].npupils;
		for (uint32_t i = m; i > 1; i--) {
			uint32_t j = rng_below(&r, i), t = v[i - 1];
			v[i - 1] = v[j];
			v[j] = t;
		}
		for (uint32_t i = 0; i < m;) {
			double u = rng_unit(&r);
			uint32_t size = u < 0.78 ? 1 : u < 0.94 ? 2 : u < 0.985 ? 3 : 4;
			uint32_t founder = v[i], got = 1;
			int years[4] = {g->blocks[g->p_block[founder]].year};
			g->p_family[founder] = founder;
			for (uint32_t k = i + 1; got < size && k < m && k < i + 12; k++) {
				int y = g->blocks[g->p_block[v[k]]].year;
				bool clash = false;
				for (uint32_t q = 0; q < got; q++)
					clash |= years[q] == y;
				if (clash)
					continue;
				uint32_t t = v[i + got];  /* bring it next to the family */
				v[i + got] = v[k];
				v[k] = t;
				g->p_family[v[i + got]] = founder;
				years[got++] = y;
			}
			i += got;
		}
	}
}

/* Sessions possible from the start of the academic year to day: weekdays
 * from 3 September (or the Monday after) to the summer break (22 July),
 * less the usual holidays (October half term, Christmas, February half
 * term, Easter, the May bank holiday and half term); two a day, about 390
 * in a whole year. */
static bool is_holiday(hday d, int ay)
{
	hday oct = date_from_ymd(ay, 10, 27), feb = date_from_ymd(ay + 1, 2, 16);
	hday may = date_from_ymd(ay + 1, 5, 31), easter = date_easter(ay + 1);
	hday mayday = date_from_ymd(ay + 1, 5, 1);
	oct -= date_weekday(oct);
	feb -= date_weekday(feb);
	may -= date_weekday(may);
	mayday += (7 - date_weekday(mayday)) % 7;
	return (d >= oct && d < oct + 5) || (d >= date_from_ymd(ay, 12, 20) &&
		d <= date_from_ymd(ay + 1, 1, 3)) || (d >= feb && d < feb + 5) ||
	       (d >= easter - 6 && d <= easter + 5) || (d >= may && d < may + 5) || d == mayday;
}

static int32_t sessions_to(hday day)
{
	int ay = academic_year(day);
	hday start = date_from_ymd(ay, 9, 3), end = date_from_ymd(ay + 1, 7, 22);
	while (date_weekday(start) >= 5)
		start++;
	int32_t n = 0;
	for (hday d = start; d <= end && d <= day; d++)
		if (date_weekday(d) < 5 && !is_holiday(d, ay))
			n += 2;
	return n;
}

/* Means of the factors applied below, over this layout. */
static void plan_rates(struct cg *g)
{
	double n = (double)g->o->pupils, spec = 0, pru = 0, att = 0;
	for (int b = 0; b < g->nblocks && n > 0; b++) {
		const struct cg_block *bl = &g->blocks[b];
		char kind = g->sch[bl->school].ph->kind;
		double share = bl->count / n;
		spec += kind == 's' ? share : 0;
		pru += kind == 'p' ? share : 0;
		att += share * (kind == 's' ? 1.6 : kind == 'p' ? 3.0 : bl->year >= 7 ? 1.3 : 0.8);
	}
	double main = 1 - spec - pru;
	if (main < 0.01)
		main = 0.01;
	g->sen_k_main = fmax(0, (0.13 - spec * 0.08 - pru * 0.45) / main);
	g->sen_e_main = fmax(0, (0.05 - spec * 0.92 - pru * 0.12) / main);
	double sen = 1 + 0.13 * 0.6 + 0.05 * 0.9;
	g->att_mean = (att > 0 ? att : 1) * fsm_mean(2.2) * sen;
}

static void cg_free(struct cg *g)
{
	free(g->sch);
	free(g->blocks);
	free(g->dist);
	free(g->p_block);
	free(g->p_family);
	free(g->dist_pupils);
	free(g->cand);
	free(g->cand_off);
}

static int cg_setup(struct cg *g, const struct census_opts *o)
{
	memset(g, 0, sizeof *g);
	g->o = o;
	if (!o->schools || !o->nschools || o->nschools > 4000 || o->pupils < 0 ||
	    o->pupils > 50000000 || o->extract_date < o->first_date || o->term < 0 ||
	    (o->term == 0 && o->extract_date != o->first_date))
		return HE_INVALID;
	g->nsch = (int)o->nschools;
	g->sch = xcalloc(o->nschools, sizeof *g->sch);
	for (int s = 0; s < g->nsch; s++) {
		const struct census_school *in = &o->schools[s];
		g->sch[s].in = in;
		g->sch[s].ph = phase_of(in->phase);
		if (!g->sch[s].ph || !urn_valid(in->urn) || in->first_year < YMIN ||
		    in->last_year > YMAX || in->first_year > in->last_year ||
		    in->next >= g->nsch)
			return HE_INVALID;
	}
	g->a0 = academic_year(o->first_date);
	g->at = academic_year(o->extract_date);
	g->sess_full = sessions_to(date_from_ymd(g->a0 + 1, 8, 31));
	g->sess_now = sessions_to(o->extract_date);
	int rc = plan_blocks(g);
	if (!rc)
		rc = plan_estabs(g);
	if (rc)
		return rc;
	plan_districts(g);
	plan_candidates(g);
	plan_families(g);
	plan_rates(g);
	return HE_OK;
}

/* ---- one pupil ----------------------------------------------------------------- */

/* Who a row is about, before anything is drawn. */
struct cg_who {
	uint64_t id;              /* the pupil's key: base index, or beyond for entrants */
	uint64_t family;          /* the family's key */
	int district;             /* the family's */
	int school0, year0, ref_year;  /* where they were in academic year ref_year */
	int estab, alloc, serial; /* the UPN's parts */
};

/* Everything drawn about a pupil at one extract. */
struct cg_pupil {
	const struct cg_group *grp;
	char gender;
	const char *forename, *surname, *parent, *parent_surname;
	hday dob;
	char upn[14];
	char postcode[9];
	unsigned house, street;
	unsigned phone;
	int school, year;
	/* indicators */
	char sen;
	bool fsm, eal, eal_new, lac, cin, cp, yc, yj, yp, pex, below, prone;
	int moves;
	double absence, auth_share, on_roll, lambda;
	int32_t possible, attended, auth, unauth, susp, susp_x10;
};

/* The family's draws: name group, surname, address, and the shared
 * uniforms that make siblings alike (FSM, EAL, social care, caring). */
struct cg_fam {
	const struct cg_group *grp;
	const char *surname, *parent;
	double u_fsm, u_eal, u_cin, u_cp, u_yc;
	unsigned house, street, unit, sector;
	unsigned phone;
};

static void family_draw(const struct cg *g, uint64_t fid, int district, struct cg_fam *f)
{
	struct cg_rng r;
	rng_key(&r, g->o->seed, K_FAMILY, fid, 1);
	unsigned w = rng_below(&r, 100), i = 0;
	while (i + 1 < NGROUPS && w >= (unsigned)groups[i].weight)
		w -= (unsigned)groups[i++].weight;
	f->grp = &groups[i];
	f->surname = f->grp->surnames[rng_below(&r, f->grp->nsurnames)];
	f->parent = rng_below(&r, 100) < 80 ? f->grp->girls[rng_below(&r, f->grp->ngirls)]
					     : f->grp->boys[rng_below(&r, f->grp->nboys)];
	f->u_fsm = rng_unit(&r);
	f->u_eal = rng_unit(&r);
	f->u_cin = rng_unit(&r);
	f->u_cp = rng_unit(&r);
	f->u_yc = rng_unit(&r);
	/* a bijection of the family number, so no two families share a home */
	uint64_t m = (uint64_t)HOUSE_NUMBERS * NSTREETS * 400u;
	uint64_t x = (fid * UINT64_C(2654435761) + (g->o->seed % m)) % m;
	f->house = 1 + (unsigned)(x % HOUSE_NUMBERS);
	f->street = (unsigned)(x / HOUSE_NUMBERS % NSTREETS);
	f->unit = (unsigned)(x / HOUSE_NUMBERS / NSTREETS);
	f->sector = rng_below(&r, (unsigned)g->dist[district].nsectors);
	f->phone = rng_below(&r, 1000);
}

/* u_own most of the time, the family's u with probability rho. */
static double shared(struct cg_rng *r, double rho, double u_fam)
{
	double own = rng_unit(r), sel = rng_unit(r);
	return sel < rho ? u_fam : own;
}

static void put_digits(char *out, unsigned v, int n)
{
	while (n--) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

static void make_upn(const struct cg_who *w, char out[14])
{
	char *twelve = out + 1;
	memcpy(twelve, "856", 3);
	put_digits(twelve + 3, (unsigned)w->estab, 4);
	put_digits(twelve + 7, (unsigned)w->alloc, 2);
	put_digits(twelve + 9, (unsigned)w->serial, 3);
	out[13] = '\0';
	out[0] = upn_check_letter(twelve);
}

/* Identity: name, sex, date of birth, UPN and home. */
static void draw_identity(const struct cg *g, const struct cg_who *w, const struct cg_fam *f,
			  struct cg_rng *r, struct cg_pupil *p)
{
	p->grp = f->grp;
	p->gender = rng_unit(r) < 0.51 ? 'M' : 'F';
	p->forename = p->gender == 'M' ? f->grp->boys[rng_below(r, f->grp->nboys)]
				       : f->grp->girls[rng_below(r, f->grp->ngirls)];
	/* one child in ten has another surname than the family's (step-families) */
	p->surname = rng_unit(r) < 0.1 ? f->grp->surnames[rng_below(r, f->grp->nsurnames)]
				       : f->surname;
	int by = w->ref_year - w->year0 - 5;  /* born in the academic year from 1 Sept by */
	hday from = date_from_ymd(by, 9, 1), to = date_from_ymd(by + 1, 8, 31);
	p->dob = from + (hday)rng_below(r, (unsigned)(to - from + 1));
	make_upn(w, p->upn);
	const struct cg_district *d = &g->dist[w->district];
	snprintf(p->postcode, sizeof p->postcode, "%s%c%c", d->sectors[f->sector],
		 UNIT_LETTERS[f->unit % 20], UNIT_LETTERS[f->unit / 20 % 20]);
	p->house = f->house;
	p->street = f->street;
	p->phone = f->phone;
	p->parent = f->parent;
	p->parent_surname = f->surname;
}

/* The propensities of the first extract.  Rates are the national ones
 * times risk factors over the factors' mean. */
static void draw_base(const struct cg *g, const struct cg_fam *f, struct cg_rng *r,
		      struct cg_pupil *p, char kind)
{
	bool boy = p->gender == 'M';
	p->fsm = shared(r, 0.95, f->u_fsm) < 0.24;
	p->eal = shared(r, 0.95, f->u_eal) < f->grp->eal;
	p->eal_new = p->eal && rng_unit(r) < 0.10;
	double ffsm = p->fsm ? 1.6 : 1, fboy = boy ? 1.35 : 0.65;
	double u = rng_unit(r);
	if (kind == 's')
		p->sen = u < 0.92 ? 'E' : 'K';
	else if (kind == 'p')
		p->sen = u < 0.12 ? 'E' : u < 0.57 ? 'K' : 'N';
	else {
		double f_ = ffsm * fboy / (fsm_mean(1.6) * boy_mean(1.35, 0.65));
		double e = g->sen_e_main * f_, k = g->sen_k_main * f_;
		p->sen = u < e ? 'E' : u < e + k ? 'K' : 'N';
	}
	/* absence: severe (under 50% attendance), persistent (under 90%), or not */
	double fa = (p->fsm ? 2.2 : 1) * (p->sen == 'K' ? 1.6 : p->sen == 'E' ? 1.9 : 1) *
		    (kind == 's' ? 1.6 : kind == 'p' ? 3.0 : p->year >= 7 ? 1.3 : 0.8) / g->att_mean;
	double psa = 0.02 * fa, ppa = 0.18 * fa, v = rng_unit(r), m = rng_unit(r);
	if (psa + ppa > 0.9)
		ppa = 0.9 - psa;
	if (v < psa)
		p->absence = 0.51 + 0.44 * m, p->auth_share = 0.3 + 0.2 * rng_unit(r);
	else if (v < psa + ppa)
		p->absence = 0.102 + 0.39 * m * m, p->auth_share = 0.45 + 0.3 * rng_unit(r);
	else
		p->absence = 0.097 * pow(m, 1.6), p->auth_share = 0.7 + 0.3 * rng_unit(r);
	p->on_roll = rng_unit(r) < 0.04 ? 0.3 + 0.7 * rng_unit(r) : 1;
	double ff = p->fsm ? 1 : 0;
	p->lac = rng_unit(r) < 0.007 * (1 + 2 * ff) / fsm_mean(3);
	p->cp = shared(r, 0.7, f->u_cp) < 0.005 * (1 + 2 * ff) / fsm_mean(3);
	p->cin = p->cp || shared(r, 0.7, f->u_cin) < 0.026 * (1 + 1.5 * ff) / fsm_mean(2.5);
	p->yc = shared(r, 0.5, f->u_yc) < 0.02 * (1 + 0.8 * ff) / fsm_mean(1.8);
	/* latent: shows only at the right age */
	double fyj = (1 + 1.5 * ff) * (boy ? 1.6 : 0.4) / (fsm_mean(2.5) * boy_mean(1.6, 0.4));
	p->yj = rng_unit(r) < 0.005 * fyj;
	p->yp = rng_unit(r) < 0.001 * (1 + 2 * ff) * (boy ? 0.6 : 1.4) / fsm_mean(3);
	double fs = (1 + 1.5 * ff) * (p->sen != 'N' ? 1.8 : 1) * (boy ? 1.5 : 0.5) /
		    (fsm_mean(2.5) * 1.14);
	p->prone = rng_unit(r) < (kind == 'p' ? 0.35 : 0.065) * fs;
	p->lambda = 0.9 + 1.9 * rng_unit(r);
	p->pex = rng_unit(r) < 0.0015 * fs;
	double mv = rng_unit(r) * fsm_mean(2) / ((1 + ff) * (p->lac ? 4 : 1));
	p->moves = mv < 0.03 ? 3 + (int)rng_below(r, 4) : mv < 0.08 ? 2 : mv < 0.2 ? 1 : 0;
	double be = p->sen == 'K' ? 0.8 : p->sen == 'E' ? 0.92
		    : 0.214 * (p->fsm ? 1.6 : 1) * (p->eal_new ? 2 : 1);
	p->below = rng_unit(r) < be;
}

/* One later term: most things stay, some drift. */
static void drift(const struct cg *g, const struct cg_who *w, int term, struct cg_pupil *p)
{
	struct cg_rng r, fr;
	rng_key(&r, g->o->seed, K_TERM, w->id, (uint64_t)term);
	rng_key(&fr, g->o->seed, K_FAMTERM, w->family, (uint64_t)term);
	/* one in ten attends worse; the persistently absent often recover */
	double u = rng_unit(&r), m = rng_unit(&r), better = p->absence >= 0.1 ? 0.25 : 0.05;
	if (u < 0.10)
		p->absence = fmin(0.95, p->absence + 0.02 + 0.12 * m);
	else if (u < 0.10 + better)
		p->absence *= 0.3 + 0.4 * m;
	else
		p->absence = fmax(0, p->absence + (m - 0.5) * 0.02);
	double fu = rng_unit(&fr);
	if (!p->fsm && fu < 0.03)
		p->fsm = true;
	else if (p->fsm && fu > 0.95)
		p->fsm = false;
	double s = rng_unit(&r);
	if (p->sen == 'N' && s < 0.015)
		p->sen = 'K';
	else if (p->sen == 'K' && s > 0.95)
		p->sen = 'N';
	double c = rng_unit(&fr);
	if (!p->cin && c < 0.008 * (p->fsm ? 2 : 1))
		p->cin = true;
	else if (p->cin && !p->cp && c > 0.75)
		p->cin = false;
	double cp = rng_unit(&r);
	if (!p->cp && p->cin && cp < 0.05)
		p->cp = true;
	else if (p->cp && cp > 0.7)
		p->cp = false;
	p->yc |= rng_unit(&r) < 0.004;
	p->yj |= rng_unit(&r) < 0.0015;
	p->prone |= rng_unit(&r) < 0.015;
	p->lac |= rng_unit(&r) < 0.0008;
	p->moves += rng_unit(&r) < 0.015;
	double b = rng_unit(&r);
	if (!p->below && b < 0.04)
		p->below = true;
	else if (p->below && p->sen == 'N' && b > 0.92)
		p->below = false;
}

/* Poisson(lambda) by inversion: small lambdas only. */
static int32_t poisson(struct cg_rng *r, double lambda)
{
	double l = exp(-lambda), p = rng_unit(r);
	int32_t k = 0;
	for (double t = l; p > t && k < 30; k++) {
		p -= t;
		t *= lambda / (k + 1);
	}
	return k;
}

/* The counts this extract shows: sessions so far, suspensions so far
 * (none before Year 1 and few before Year 7), the flags that need an age. */
static void draw_counts(const struct cg *g, const struct cg_who *w, struct cg_pupil *p,
			char kind)
{
	struct cg_rng r;
	rng_key(&r, g->o->seed, K_SUSP, w->id, (uint64_t)g->o->term);
	p->possible = (int32_t)llround(g->sess_now * p->on_roll);
	int32_t absent = (int32_t)llround(p->absence * p->possible);
	p->auth = (int32_t)llround(absent * p->auth_share);
	p->unauth = absent - p->auth;
	p->attended = p->possible - absent;
	double year_part = g->sess_full ? (double)g->sess_now / g->sess_full : 1;
	double lambda = p->year < 1 ? 0 : p->year < 7 && kind != 'p' ? p->lambda * 0.12
		       : p->lambda;
	p->susp = p->prone ? poisson(&r, lambda * year_part) : 0;
	p->susp_x10 = 0;
	for (int32_t i = 0; i < p->susp; i++)
		p->susp_x10 += 5 * (2 + (int32_t)rng_below(&r, 9));
	int age = age_on(p->dob, g->o->extract_date);
	p->yj &= age >= 10;
	p->yp &= age >= 15;
	p->pex &= p->year >= 5;
}

/* ---- writing -------------------------------------------------------------------- */

struct cg_out {
	FILE *f;
	char *buf;
	size_t len, cap;
	int err;
};

static void out_flush(struct cg_out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->err = 1;
	o->len = 0;
}

static inline void out_mem(struct cg_out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static inline void out_str(struct cg_out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static inline void out_ch(struct cg_out *o, char c)
{
	o->buf[o->len++] = c;
}

static void out_uint(struct cg_out *o, uint32_t v)
{
	char t[12];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		out_ch(o, t[--n]);
}

static inline void out_flag(struct cg_out *o, bool v)
{
	out_ch(o, v ? 'Y' : 'N');
	out_ch(o, ',');
}

static void out_year(struct cg_out *o, int y)
{
	if (y < 0)
		out_str(o, y == -2 ? "N1" : "N2");
	else if (y == 0)
		out_ch(o, 'R');
	else
		out_uint(o, (uint32_t)y);
}

static void out_header(struct cg_out *o)
{
	for (int f = 0; f < PF_COUNT; f++) {
		if (f == PF_MARKS)
			continue;
		if (f)
			out_ch(o, ',');
		out_str(o, pupil_fields[f].name);
	}
	out_ch(o, '\n');
}

static void out_row(struct cg_out *o, const struct cg *g, const struct cg_pupil *p,
		    const char *extract)
{
	char date[11];
	out_mem(o, p->upn, 13);
	out_ch(o, ',');
	out_str(o, p->forename);
	out_ch(o, ',');
	out_str(o, p->surname);
	out_ch(o, ',');
	date_format(p->dob, date);
	out_mem(o, date, 10);
	out_ch(o, ',');
	out_ch(o, p->gender);
	out_ch(o, ',');
	out_year(o, p->year);
	out_ch(o, ',');
	out_mem(o, g->sch[p->school].in->urn, 6);
	out_ch(o, ',');
	out_str(o, p->postcode);
	out_ch(o, ',');
	out_uint(o, p->house);
	out_ch(o, ' ');
	out_str(o, streets[p->street]);
	out_ch(o, ',');
	out_str(o, p->parent);
	out_ch(o, ' ');
	out_str(o, p->parent_surname);
	out_str(o, " 07700 900");
	out_ch(o, (char)('0' + p->phone / 100));
	out_ch(o, (char)('0' + p->phone / 10 % 10));
	out_ch(o, (char)('0' + p->phone % 10));
	out_ch(o, ',');
	out_flag(o, p->fsm);
	out_ch(o, p->sen);
	out_ch(o, ',');
	out_flag(o, p->sen == 'E');
	out_flag(o, p->eal);
	out_flag(o, p->eal_new);
	out_flag(o, p->lac);
	out_flag(o, p->cin);
	out_flag(o, p->cp);
	out_flag(o, p->yc);
	out_flag(o, p->yj);
	out_flag(o, p->yp);
	const int32_t counts[] = {p->moves, p->possible, p->attended, p->auth, p->unauth, p->susp};
	for (int i = 0; i < 6; i++) {
		out_uint(o, (uint32_t)counts[i]);
		out_ch(o, ',');
	}
	out_uint(o, (uint32_t)(p->susp_x10 / 10));
	if (p->susp_x10 % 10) {
		out_ch(o, '.');
		out_ch(o, (char)('0' + p->susp_x10 % 10));
	}
	out_ch(o, ',');
	out_flag(o, p->pex);
	out_flag(o, p->below);
	out_mem(o, extract, 10);
	out_ch(o, '\n');
	if (o->len > o->cap - 4096)
		out_flush(o);
}

/* The school a pupil attends in year y: the same one while it teaches
 * y, then its next school, then a school of the area teaching y chosen
 * by size (at 16, only a third stay on); -1 when they have left. */
static int place(const struct cg *g, const struct cg_who *w, int y)
{
	const struct census_school *s0 = g->sch[w->school0].in;
	if (y > YMAX)
		return -1;
	if (y >= s0->first_year && y <= s0->last_year)
		return w->school0;
	if (s0->next >= 0 && y >= g->o->schools[s0->next].first_year &&
	    y <= g->o->schools[s0->next].last_year)
		return s0->next;
	struct cg_rng r;
	rng_key(&r, g->o->seed, K_PLACE, w->id, (uint64_t)y);
	if (y >= 12 && rng_unit(&r) >= STAY_ON)
		return -1;
	int d = g->sch[w->school0].district, k = d * NY + (y - YMIN);
	if (g->cand_off[k] == g->cand_off[k + 1])
		k = g->ndist * NY + (y - YMIN);
	int from = g->cand_off[k], to = g->cand_off[k + 1];
	if (from == to)
		return -1;
	uint32_t pick = rng_below(&r, g->cand[to - 1].cum);
	while (from < to - 1 && g->cand[from].cum <= pick)
		from++;
	return g->cand[from].school;
}

/* Draw everything about pupil w at this extract and write the row;
 * false when the pupil has left the partnership's schools by then. */
static bool emit(struct cg_out *o, const struct cg *g, const struct cg_who *w,
		 const char *extract)
{
	int y = w->year0 + (g->at - w->ref_year);
	int school = g->at == w->ref_year ? w->school0 : place(g, w, y);
	if (school < 0)
		return false;
	struct cg_fam f;
	struct cg_pupil p;
	struct cg_rng r;
	family_draw(g, w->family, w->district, &f);
	rng_key(&r, g->o->seed, K_PUPIL, w->id, 0);
	p.school = school;
	p.year = y;
	draw_identity(g, w, &f, &r, &p);
	char kind = g->sch[school].ph->kind;
	draw_base(g, &f, &r, &p, kind);
	for (int t = 1; t <= g->o->term; t++)
		drift(g, w, t, &p);
	draw_counts(g, w, &p, kind);
	out_row(o, g, &p, extract);
	return true;
}

static void who_base(const struct cg *g, uint32_t i, struct cg_who *w)
{
	const struct cg_block *b = &g->blocks[g->p_block[i]];
	const struct cg_school *s = &g->sch[b->school];
	uint32_t rank = i - b->start, fam = g->p_family[i];
	w->id = i;
	w->family = fam;
	w->district = g->sch[g->blocks[g->p_block[fam]].school].district;
	w->school0 = b->school;
	w->year0 = b->year;
	w->ref_year = g->a0;
	w->estab = s->estab + (int)(rank / 1000);
	w->alloc = g->a0 - b->year;
	w->serial = (int)(rank % 1000);
}

/* Entrant `rank` of block b in the September of academic year a0 + j:
 * a new family, or (one in three) the younger sibling of a pupil of
 * the district. */
static void who_entrant(const struct cg *g, int j, const struct cg_block *b, uint32_t rank,
			struct cg_who *w)
{
	const struct cg_school *s = &g->sch[b->school];
	uint64_t n = (uint64_t)g->o->pupils;
	w->id = n + (uint64_t)(j - 1) * g->entrants + (uint64_t)b->entry_off + rank;
	w->district = s->district;
	w->family = w->id;
	const struct cg_district *d = &g->dist[s->district];
	struct cg_rng r;
	rng_key(&r, g->o->seed, K_FAMILY, w->id, 2);
	if (d->npupils && rng_unit(&r) < 1.0 / 3) {
		uint32_t sib = d->pupils[rng_below(&r, d->npupils)];
		w->family = g->p_family[sib];
	}
	w->school0 = b->school;
	w->year0 = b->year;
	w->ref_year = g->a0 + j;
	w->estab = s->estab + (int)(rank / 1000);
	w->alloc = w->ref_year - b->year;
	w->serial = (int)(rank % 1000);
}

static void write_rows(struct cg_out *o, const struct cg *g, int64_t *rows)
{
	char extract[11];
	struct cg_who w;
	date_format(g->o->extract_date, extract);
	for (uint32_t i = 0; i < (uint32_t)g->o->pupils; i++) {
		who_base(g, i, &w);
		*rows += emit(o, g, &w, extract);
	}
	for (int j = 1; j <= g->at - g->a0; j++)
		for (int b = 0; b < g->nblocks; b++) {
			const struct cg_block *bl = &g->blocks[b];
			for (uint32_t k = 0; bl->entry_off >= 0 && k < bl->count; k++) {
				who_entrant(g, j, bl, k, &w);
				*rows += emit(o, g, &w, extract);
			}
		}
}

int census_write_csv(FILE *out, const struct census_opts *o)
{
	struct cg g;
	int64_t rows = 0;
	int rc = cg_setup(&g, o);
	if (rc) {
		cg_free(&g);
		return rc;
	}
	struct cg_out w = {.f = out, .cap = 1u << 20};
	w.buf = xmalloc(w.cap);
	out_header(&w);
	write_rows(&w, &g, &rows);
	out_flush(&w);
	if (fflush(out) != 0)
		w.err = 1;
	free(w.buf);
	cg_free(&g);
	if (o->rows)
		*o->rows = rows;
	return w.err ? HE_INTERNAL : HE_OK;
}
