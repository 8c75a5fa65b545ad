/* school.c — the partnership: districts and the schools in them.
 *
 * Schools are the unit everything else is scoped by (a school leader sees
 * only their school's pupils), so their identity is checked strictly here:
 * a real-looking URN, a phase from the fixed vocabulary, a valid postcode
 * stored in one normal form, and a district that already exists, so a typo
 * cannot quietly start a new district.  Adding a school writes its audit
 * row in the caller's transaction. */
#include "core/school.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "store/db.h"

const char *const school_phases[] = {
	"nursery", "primary", "middle", "secondary", "all-through", "special",
	"pru", "college", NULL,
};

static const char *const phase_titles[] = {
	"Nursery", "Primary", "Middle", "Secondary", "All-through", "Special",
	"Pupil referral unit / AP", "College",
};

/* Index of phase in school_phases[], or -1. */
static int phase_index(const char *phase)
{
	for (int i = 0; phase && school_phases[i]; i++)
		if (strcmp(phase, school_phases[i]) == 0)
			return i;
	return -1;
}

bool school_phase_valid(const char *phase)
{
	return phase_index(phase) >= 0;
}

const char *school_phase_title(const char *phase)
{
	int i = phase_index(phase);
	return i < 0 ? "Unknown phase" : phase_titles[i];
}

bool urn_valid(const char *urn)
{
	if (!urn || strlen(urn) != 6 || urn[0] < '1' || urn[0] > '9')
		return false;
	for (int i = 1; i < 6; i++)
		if (urn[i] < '0' || urn[i] > '9')
			return false;
	return true;
}

/* A heap copy of s without leading and trailing ASCII white space; NULL
 * gives "".  The caller frees it. */
static char *trimmed(const char *s)
{
	if (!s)
		return xstrdup("");
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	return xstrndup(s, n);
}

/* The id of the district called name, or 0 if there is none. */
static int district_find(struct db *db, const char *name, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM districts WHERE name = :name");
	db_bind_text(st, ":name", name);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* Insert a district known to be new; sets *id. */
static int district_insert(struct db *db, const char *name, int64_t *id)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO districts (name) VALUES (:name) RETURNING id");
	db_bind_text(st, ":name", name);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

int district_ensure(struct db *db, const char *name, int64_t *id)
{
	char *n = trimmed(name);
	int rc = HE_OK;
	*id = 0;
	if (!*n)
		rc = HE_MISSING;
	else if (strlen(n) > DISTRICT_NAME_MAX || !text_valid(n, strlen(n)))
		rc = HE_INVALID;
	if (!rc)
		rc = district_find(db, n, id);
	if (!rc && !*id)
		rc = district_insert(db, n, id);
	free(n);
	return rc;
}

int district_id_by_name(struct db *db, const char *name, int64_t *id)
{
	int rc = district_find(db, name, id);
	return rc ? rc : *id ? HE_OK : HE_NOT_FOUND;
}

int school_id_by_urn(struct db *db, const char *urn, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM schools WHERE urn = :urn");
	db_bind_text(st, ":urn", urn);
	bool found = db_next(st);
	*id = found ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

int school_count(struct db *db, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM schools");
	*n = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The fields of a school being added, checked and normalised. */
struct school_input {
	const char *urn;
	char *name;        /* trimmed copy */
	const char *phase;
	char *district;    /* trimmed copy */
	char postcode[9];  /* normalised; "" for none */
	int64_t district_id;
};

/* Check the fields that need no database; report the first bad one. */
static int school_check_fields(struct school_input *in, const char *postcode,
			       struct errinfo *e)
{
	if (!in->urn || !*in->urn)
		return errinfo_set(e, HE_MISSING, "urn", "Enter the school's URN");
	if (!urn_valid(in->urn))
		return errinfo_set(e, HE_INVALID, "urn",
			"URN must be 6 digits, like 120345");
	if (!*in->name)
		return errinfo_set(e, HE_MISSING, "name", "Enter the school's name");
	if (strlen(in->name) > SCHOOL_NAME_MAX || !text_valid(in->name, strlen(in->name)))
		return errinfo_set(e, HE_INVALID, "name",
			"School name must be %d characters or fewer, without control characters",
			SCHOOL_NAME_MAX);
	if (!in->phase || !*in->phase)
		return errinfo_set(e, HE_MISSING, "phase", "Select the school's phase");
	if (!school_phase_valid(in->phase))
		return errinfo_set(e, HE_INVALID, "phase",
			"Select a phase from the list (nursery, primary, middle, secondary, "
			"all-through, special, pru, college)");
	in->postcode[0] = '\0';
	if (postcode && *postcode && !postcode_norm(postcode, in->postcode))
		return errinfo_set(e, HE_INVALID, "postcode",
			"Enter a real postcode, like LE1 6ZG");
	if (!*in->district)
		return errinfo_set(e, HE_MISSING, "district", "Select the school's district");
	return HE_OK;
}

/* Check the fields against the database: the district exists, the URN is new. */
static int school_check_db(struct db *db, struct school_input *in, struct errinfo *e)
{
	int rc = district_find(db, in->district, &in->district_id);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!in->district_id)
		return errinfo_set(e, HE_INVALID, "district",
			"Select one of the partnership's districts");
	int64_t existing;
	rc = school_id_by_urn(db, in->urn, &existing);
	if (rc == HE_OK)
		return errinfo_set(e, HE_CONFLICT, "urn",
			"A school with URN %s is already in the partnership", in->urn);
	if (rc != HE_NOT_FOUND)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return HE_OK;
}

/* Insert the checked school; sets *id. */
static int school_insert(struct db *db, const struct school_input *in, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO schools (urn, name, phase, district_id, postcode, created_at)"
		" VALUES (:urn, :name, :phase, :district_id, :postcode, :created_at)"
		" RETURNING id");
	db_bind_text(st, ":urn", in->urn);
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":phase", in->phase);
	db_bind_int(st, ":district_id", in->district_id);
	db_bind_text(st, ":postcode", *in->postcode ? in->postcode : NULL);
	db_bind_text(st, ":created_at", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The audit row for a new school. */
static int school_audit(struct db *db, const struct audit_who *who,
			const struct school_input *in, int64_t id)
{
	struct buf idtext, summary;
	buf_init(&idtext, 32);
	buf_init(&summary, 512);
	buf_printf(&idtext, "%lld", (long long)id);
	buf_printf(&summary, "Added school %s %s (%s, %s)", in->urn, in->name,
		   in->phase, in->district);
	int rc = audit(db, who, "create", "schools", buf_str(&idtext), buf_str(&summary));
	buf_free(&idtext);
	buf_free(&summary);
	return rc;
}

int school_add(struct db *db, const struct audit_who *who, const char *urn,
	       const char *name, const char *phase, const char *district,
	       const char *postcode, int64_t *id, struct errinfo *e)
{
	struct school_input in = {
		.urn = urn, .name = trimmed(name), .phase = phase,
		.district = trimmed(district),
	};
	int64_t new_id = 0;
	int rc;
	if (!db_in_transaction(db)) {
		rc = errinfo_set(e, HE_INTERNAL, "", "school_add needs a transaction");
		goto fail;
	}
	rc = school_check_fields(&in, postcode, e);
	if (!rc)
		rc = school_check_db(db, &in, e);
	if (rc)
		goto fail;
	rc = school_insert(db, &in, &new_id);
	if (rc == HE_DB_CONSTRAINT)  /* a concurrent insert of the same URN */
		rc = errinfo_set(e, HE_CONFLICT, "urn",
			"A school with URN %s is already in the partnership", urn);
	else if (rc)
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (rc)
		goto fail;
	rc = school_audit(db, who, &in, new_id);
	if (rc) {
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
		goto fail;
	}
	if (id)
		*id = new_id;
fail:
	free(in.name);
	free(in.district);
	return rc;
}

/* Copy the current row of a school_list query into s. */
static void school_from_row(struct db_stmt *st, struct arena *a, struct school *s)
{
	s->id = db_int(st, 0);
	s->urn = arena_strdup(a, db_text(st, 1));
	s->name = arena_strdup(a, db_text(st, 2));
	s->phase = arena_strdup(a, db_text(st, 3));
	s->district = arena_strdup(a, db_text(st, 4));
	s->postcode = arena_strdup(a, db_text(st, 5));
}

int school_list(struct db *db, struct arena *a, struct school **out, size_t *n)
{
	struct school *v = NULL;
	size_t len = 0, cap = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT s.id, s.urn, s.name, s.phase, d.name, s.postcode"
		" FROM schools s JOIN districts d ON d.id = s.district_id"
		" ORDER BY d.name, s.name, s.urn");
	while (db_next(st)) {
		if (len == cap) {
			cap = cap ? 2 * cap : 64;
			struct school *w = arena_alloc(a, cap * sizeof *w);
			if (len)
				memcpy(w, v, len * sizeof *w);
			v = w;
		}
		school_from_row(st, a, &v[len++]);
	}
	*out = len ? v : NULL;
	*n = len;
	return db_finalize(st);
}
