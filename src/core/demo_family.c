/* demo_family.c — the demo families' homes (see demo_family.h).
 *
 * A referral's home is a function of the pupil: the census postcode, a
 * house on one of the city's streets, and a home language for about half
 * the families whose surname is common among the city's Gujarati,
 * Punjabi, Urdu, Bengali, Somali, Polish, Romanian … speakers (the rest
 * speak English at home, as many such families do).  Hashing the pupil id
 * rather than drawing from demo_cases' stream keeps every other part of
 * the demo as it was. */
#include "core/demo_family.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "base/err.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/family.h"
#include "core/scope.h"
#include "store/db.h"

static const char *const streets[] = {
	"Melton Road", "Loughborough Road", "Harrison Road", "Belgrave Gate", "Catherine Street",
	"Uppingham Road", "Evington Road", "St Saviour's Road", "Humberstone Road", "Narborough Road",
	"Hinckley Road", "Fosse Road North", "Braunstone Lane", "Saffron Lane", "Aylestone Road",
	"Welford Road", "Green Lane Road", "Mere Road", "Beaumont Leys Lane", "New Parks Way",
	"Gooding Avenue", "Wigston Lane", "Knighton Fields Road East", "Stocking Farm Way",
};
#define NSTREETS ((int)(sizeof streets / sizeof streets[0]))

/* Surnames and the home language of about `percent` of their families. */
static const struct { const char *surnames, *language; int percent; } languages[] = {
	{"|Patel|Mistry|Parmar|Solanki|Chauhan|Lad|Modi|Shah|Joshi|Pandya|Desai|Mehta|Chavda|"
	 "Vaghela|Makwana|Kotecha|Lakhani|Thakrar|Gohil|Rathod|Varsani|", "Gujarati", 55},
	{"|Singh|Kaur|Sandhu|Gill|Dhillon|Bains|", "Punjabi", 50},
	{"|Khan|Ahmed|Hussain|Ali|Mahmood|Iqbal|Sheikh|Mirza|", "Urdu", 45},
	{"|Begum|Rahman|Chowdhury|", "Bengali", 50},
	{"|Abdi|Hassan|Mohamed|Farah|Warsame|Jama|Omar|Osman|Hersi|Nur|Egal|Aden|Duale|Yusuf|",
	 "Somali", 70},
	{"|Nowak|Kowalski|Wiśniewski|Wójcik|Kamiński|Lewandowski|Zieliński|Mazur|Krawczyk|",
	 "Polish", 80},
	{"|Popescu|Ionescu|Popa|Dumitru|", "Romanian", 75},
	{"|Horváth|Balogh|", "Hungarian", 70},
	{"|Novák|", "Slovak", 70},
	{"|Kazlauskas|", "Lithuanian", 70},
	{"|Petrov|", "Bulgarian", 70},
	{"|Mensah|Osei|Boateng|Asante|", "Twi", 35},
	{"|Moyo|Chikwanha|", "Shona", 35},
	{"|Adeyemi|", "Yoruba", 35},
	{"|Chen|Wang|Li|Zhang|Liu|", "Mandarin", 60},
	{"|Al-Sayed|Haddad|", "Arabic", 65},
	{"|Karimi|Rahimi|Hosseini|Ahmadi|", "Farsi", 65},
	{"|Nguyen|Tran|", "Vietnamese", 65},
	{"|Barzani|", "Kurdish", 65},
};
#define NLANGUAGES ((int)(sizeof languages / sizeof languages[0]))

/* splitmix64 of the pupil id: the same home for the same pupil. */
static uint64_t mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int language_index(const char *surname)
{
	char pat[80];
	snprintf(pat, sizeof pat, "|%s|", surname ? surname : "");
	for (int i = 0; i < NLANGUAGES; i++)
		if (strstr(languages[i].surnames, pat))
			return i;
	return -1;
}

const char *demo_family_language(const char *surname)
{
	int i = language_index(surname);
	return i < 0 ? NULL : languages[i].language;
}

int demo_family_home(struct db *db, int64_t pupil_id, const char *surname, struct demo_home *h)
{
	uint64_t z = mix((uint64_t)pupil_id * 7919u + 17u);
	memset(h, 0, sizeof *h);
	snprintf(h->address, sizeof h->address, "%u %s, Leicester", (unsigned)(z % 180u) + 1u,
		 streets[(z >> 8) % NSTREETS]);
	int k = language_index(surname);
	if (k >= 0 && (int)((z >> 20) % 100u) < languages[k].percent)
		h->language = languages[k].language;
	struct db_stmt *st = db_prepare(db, "SELECT postcode FROM pupils WHERE id = :id");
	db_bind_int(st, ":id", pupil_id);
	if (db_next(st) && db_text(st, 0))
		snprintf(h->postcode, sizeof h->postcode, "%s", db_text(st, 0));
	return db_finalize(st);
}

/* ---- the demo worker brings two records up to date --------------------------------- */

struct open_case {
	int64_t id, version;
	char surname[64], postcode[9], language[48];
};

#define CASES_MAX 40

static int worker_cases(struct db *db, int64_t worker_id, struct open_case *v, int *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT c.id, f.version, f.name, coalesce(f.postcode, ''),"
		" f.home_language FROM cases c JOIN families f ON f.id = c.family_id"
		" WHERE c.worker_id = :w AND c.status = 'open' AND f.anonymised_at IS NULL ORDER BY c.id");
	db_bind_int(st, ":w", worker_id);
	while (db_next(st) && *n < CASES_MAX) {
		struct open_case *c = &v[(*n)++];
		c->id = db_int(st, 0);
		c->version = db_int(st, 1);
		const char *name = db_text(st, 2);   /* "Khan family" */
		size_t len = strcspn(name, " ");
		snprintf(c->surname, sizeof c->surname, "%.*s", (int)len, name);
		snprintf(c->postcode, sizeof c->postcode, "%s", db_text(st, 3));
		snprintf(c->language, sizeof c->language, "%s", db_text(st, 4));
	}
	return db_finalize(st);
}

/* A postcode a few doors away: the same sector, another unit. */
static void next_unit(const char *pc, char out[9])
{
	static const char units[] = "ABDEFGHJLNPQRSTUWXYZ";
	snprintf(out, 9, "%s", pc);
	size_t n = strlen(out);
	if (n < 5)
		return;
	const char *p = strchr(units, out[n - 1]);
	out[n - 1] = p && p[1] ? p[1] : units[0];
}

static int change(struct db *db, const struct scope *s, const struct open_case *c,
		  const struct family_details_in *in, FILE *log)
{
	struct errinfo e = {0};
	int changed = 0;
	int rc = family_details_change(db, s, c->id, c->version, NULL, in, &changed, &e);
	if (rc && log)
		fprintf(log, "demo: family details change failed (%s): %s%s%s\n", err_name(rc),
			e.message, *e.field ? " — field " : "", e.field);
	return rc;
}

int demo_seed_family_details(struct db *db, const struct audit_who *who, FILE *log)
{
	int64_t worker = 0, user = 0;
	struct db_stmt *st = db_prepare(db, "SELECT w.id, u.id FROM workers w JOIN users u"
		" ON u.id = w.user_id WHERE u.email = 'worker@hearth.example'");
	if (db_next(st)) {
		worker = db_int(st, 0);
		user = db_int(st, 1);
	}
	int rc = db_finalize(st), n = 0;
	struct open_case v[CASES_MAX];
	if (!rc && worker)
		rc = worker_cases(db, worker, v, &n);
	if (rc || n == 0)
		return rc;
	struct audit_who sam_who = {.user_id = user, .email = "worker@hearth.example",
				    .role = "worker", .route = who->route, .ip = NULL};
	struct scope s = {.caps = caps_for_role(ROLE_WORKER), .user_id = user, .worker_id = worker,
			  .who = &sam_who};
	/* the first family moved house, a few doors along */
	char pc[9];
	next_unit(v[0].postcode, pc);
	struct family_details_in moved = {"Flat 2, 41 Catherine Street, Leicester", *pc ? pc : NULL,
					  NULL};
	if ((rc = change(db, &s, &v[0], &moved, log)))
		return rc;
	/* another told their worker at the first visit which language they speak at home */
	for (int i = 1; i < n; i++) {
		const char *lang = demo_family_language(v[i].surname);
		if (!lang || strcmp(v[i].language, "English") != 0)
			continue;
		struct family_details_in spoken = {NULL, NULL, lang};
		if ((rc = change(db, &s, &v[i], &spoken, log)))
			return rc;
		if (log)
			fprintf(log, "demo: the %s family's details brought up to date (moved; %s at home)\n",
				v[i].surname, lang);
		break;
	}
	return HE_OK;
}
