/* family.c — households: finding or making the family of some pupils, and
 * adding its members (see family.h).
 *
 * The census links siblings by family_key (the same home address or main
 * contact), so a referral of one child finds the family record another
 * school may already have made for a brother or sister, rather than
 * starting a second one: a worker then sees one family, one chronology.
 * Everything here runs in the caller's transaction — the referral or the
 * case change that needed the family — and audits in it. */
#include "core/family.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/chron.h"
#include "core/scope.h"
#include "store/db.h"

#define MEMBER_NAME_MAX 100
#define MEMBER_PHONE_MAX 40

const char *const family_relationships[] = {
	"child", "mother", "father", "step-parent", "grandparent", "carer",
	"sibling", "other", NULL,
};

void family_ref(int64_t id, char out[16])
{
	snprintf(out, 16, "F-%06" PRId64, id);
}

/* The number after prefix ("F-") in ref, or 0 if ref is not of the form
 * PREFIX + 1–12 digits.  Shared shape of every ref; see referral.c. */
static int64_t ref_number(const char *ref, char prefix)
{
	if (!ref || (ref[0] != prefix && ref[0] != prefix + ('a' - 'A')) || ref[1] != '-')
		return 0;
	int64_t n = 0;
	size_t i = 2;
	for (; ref[i] >= '0' && ref[i] <= '9' && i < 14; i++)
		n = n * 10 + (ref[i] - '0');
	return ref[i] || i == 2 ? 0 : n;
}

int family_id_by_ref(struct db *db, const char *ref, int64_t *id)
{
	int64_t n = ref_number(ref, 'F');
	*id = 0;
	if (!n)
		return HE_NOT_FOUND;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM families WHERE id = :id");
	db_bind_int(st, ":id", n);
	if (db_next(st))
		*id = db_int(st, 0);
	int rc = db_finalize(st);
	return rc ? rc : *id ? HE_OK : HE_NOT_FOUND;
}

static bool relationship_known(const char *rel)
{
	for (int i = 0; rel && family_relationships[i]; i++)
		if (strcmp(rel, family_relationships[i]) == 0)
			return true;
	return false;
}

/* Digits, spaces and + ( ) - only: a phone number as people write it. */
static bool phone_ok(const char *p)
{
	size_t digits = 0;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" +()-", *p))
			return false;
	}
	return digits >= 6 && digits <= 15;
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

int family_member_check(const struct family_member_in *m, struct errinfo *e)
{
	hday dob;
	if (!nz(m->name))
		return errinfo_set(e, HE_MISSING, "name", "Enter the person's name");
	if (strlen(m->name) > MEMBER_NAME_MAX || !text_valid(m->name, strlen(m->name)))
		return errinfo_set(e, HE_INVALID, "name",
			"Name must be %d characters or fewer", MEMBER_NAME_MAX);
	if (!nz(m->relationship))
		return errinfo_set(e, HE_MISSING, "relationship",
			"Select the person's relationship to the child");
	if (!relationship_known(m->relationship))
		return errinfo_set(e, HE_INVALID, "relationship",
			"Relationship must be one of child, mother, father, step-parent, "
			"grandparent, carer, sibling or other");
	if (nz(m->dob) && (!date_parse(m->dob, &dob) || dob > date_today()))
		return errinfo_set(e, HE_INVALID, "dob",
			"Date of birth must be a real date in the past, like 2014-03-27");
	if (nz(m->phone) && (strlen(m->phone) > MEMBER_PHONE_MAX || !phone_ok(m->phone)))
		return errinfo_set(e, HE_INVALID, "phone",
			"Enter a phone number, like 0116 496 0123 or +44 7700 900123");
	return HE_OK;
}

/* The member row already holding pupil_id in the family, or 0. */
static int member_of_pupil(struct db *db, int64_t family_id, int64_t pupil_id, int64_t *id)
{
	*id = 0;
	if (!pupil_id)
		return HE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM family_members"
		" WHERE family_id = :f AND pupil_id = :p");
	db_bind_int(st, ":f", family_id);
	db_bind_int(st, ":p", pupil_id);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

static int member_insert(struct db *db, int64_t family_id, const struct family_member_in *m,
			 int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO family_members (family_id, pupil_id, name, relationship, is_child,"
		" dob, phone, created_at) VALUES (:f, :p, :name, :rel, :child, :dob, :phone, :now)"
		" RETURNING id");
	db_bind_int(st, ":f", family_id);
	if (m->pupil_id)
		db_bind_int(st, ":p", m->pupil_id);
	else
		db_bind_null(st, ":p");
	db_bind_text(st, ":name", m->name);
	db_bind_text(st, ":rel", m->relationship);
	db_bind_int(st, ":child", m->is_child ? 1 : 0);
	db_bind_text(st, ":dob", nz(m->dob));
	db_bind_text(st, ":phone", nz(m->phone));
	db_bind_text(st, ":now", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The audit row and chronology event for a new member. */
static int member_record(struct db *db, const struct scope *s, int64_t family_id,
			 const struct family_member_in *m, int64_t id)
{
	char ref[16], idtext[24], today[11];
	family_ref(family_id, ref);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	date_format(date_today(), today);
	struct buf sum;
	buf_init(&sum, 512);
	/* the audit log is never altered, so it names no one (the chronology
	 * does; retention anonymises it) */
	buf_printf(&sum, "Added a member (%s) to family %s", m->relationship, ref);
	int rc = audit(db, s->who, "create", "family_members", idtext, buf_str(&sum));
	buf_reset(&sum);
	buf_printf(&sum, "Added %s (%s) to family %s", m->name, m->relationship, ref);
	if (!rc)
		rc = chron_add(db, s, family_id, 0, 0, today, "note", buf_str(&sum), "");
	buf_free(&sum);
	return rc;
}

int family_add_member_tx(struct db *db, const struct scope *s, int64_t family_id,
			 const struct family_member_in *m, int64_t *id, struct errinfo *e)
{
	int rc;
	*id = 0;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "family_add_member_tx needs a transaction");
	if ((rc = family_member_check(m, e)))
		return rc;
	if ((rc = member_of_pupil(db, family_id, m->pupil_id, id)) || *id)
		return rc ? errinfo_set(e, rc, "", "%s", db_errmsg(db)) : HE_OK;
	rc = member_insert(db, family_id, m, id);
	if (!rc)
		rc = member_record(db, s, family_id, m, *id);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return HE_OK;
}

/* ---- the family of some pupils ------------------------------------------ */

/* The pupil's family_key ("" if none), forename, surname and dob, copied
 * into the caller's buffers. */
struct pupil_brief {
	int64_t id;
	char key[40], name[2 * MEMBER_NAME_MAX + 2], surname[MEMBER_NAME_MAX + 1], dob[11];
};

static int pupil_brief(struct db *db, int64_t id, struct pupil_brief *p)
{
	memset(p, 0, sizeof *p);
	struct db_stmt *st = db_prepare(db, "SELECT family_key, forename, surname, dob"
		" FROM pupils WHERE id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		p->id = id;
		snprintf(p->key, sizeof p->key, "%s", db_text(st, 0) ? db_text(st, 0) : "");
		snprintf(p->name, sizeof p->name, "%s %s", db_text(st, 1), db_text(st, 2));
		snprintf(p->surname, sizeof p->surname, "%s", db_text(st, 2));
		snprintf(p->dob, sizeof p->dob, "%s", db_text(st, 3));
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

/* The oldest family already holding one of the pupils as a member, else
 * the family with key (if any); 0 when neither. */
static int family_find(struct db *db, const int64_t *ids, size_t n, const char *key,
		       int64_t *family_id)
{
	*family_id = 0;
	for (size_t i = 0; i < n && !*family_id; i++) {
		struct db_stmt *st = db_prepare(db, "SELECT min(family_id) FROM family_members"
			" WHERE pupil_id = :p");
		db_bind_int(st, ":p", ids[i]);
		if (db_next(st) && !db_is_null(st, 0))
			*family_id = db_int(st, 0);
		int rc = db_finalize(st);
		if (rc)
			return rc;
	}
	if (*family_id || !*key)
		return HE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM families WHERE family_key = :k");
	db_bind_text(st, ":k", key);
	if (db_next(st))
		*family_id = db_int(st, 0);
	return db_finalize(st);
}

/* Insert a family named after surname, with a ref from its id. */
static int family_insert(struct db *db, const struct scope *s, const char *surname,
			 const char *key, int64_t *id)
{
	char now[21], tmp[40], ref[16], idtext[24];
	unsigned char raw[8];
	randombytes_buf(raw, sizeof raw);
	snprintf(tmp, sizeof tmp, "F-new-");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(tmp + 6 + 2 * i, 3, "%02x", raw[i]);
	timestamp_format(time(NULL), now);
	struct buf name;
	buf_init(&name, 256);
	buf_printf(&name, "%s family", surname);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO families (ref, family_key, name, created_at, updated_at)"
		" VALUES (:ref, :key, :name, :now, :now) RETURNING id");
	db_bind_text(st, ":ref", tmp);
	db_bind_text(st, ":key", nz(key));
	db_bind_text(st, ":name", buf_str(&name));
	db_bind_text(st, ":now", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	family_ref(*id, ref);
	if (!rc) {
		st = db_prepare(db, "UPDATE families SET ref = :ref WHERE id = :id");
		db_bind_text(st, ":ref", ref);
		db_bind_int(st, ":id", *id);
		rc = db_done(st);
	}
	snprintf(idtext, sizeof idtext, "%" PRId64, *id);
	buf_reset(&name);   /* no surname: the audit log is never altered */
	buf_printf(&name, "Family made as %s", ref);
	if (!rc)
		rc = audit(db, s->who, "create", "families", idtext, buf_str(&name));
	buf_free(&name);
	return rc;
}

/* Add the pupil as a child member (nothing if already one). */
static int add_child(struct db *db, const struct scope *s, int64_t family_id,
		     const struct pupil_brief *p, struct errinfo *e)
{
	struct family_member_in m = {
		.name = p->name, .relationship = "child", .dob = p->dob,
		.is_child = true, .pupil_id = p->id,
	};
	int64_t id;
	return family_add_member_tx(db, s, family_id, &m, &id, e);
}

/* Add every pupil sharing key (the census's siblings) as a child member. */
static int add_siblings(struct db *db, const struct scope *s, int64_t family_id,
			const char *key, struct errinfo *e)
{
	if (!*key)
		return HE_OK;
	int64_t ids[64];
	size_t n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM pupils WHERE family_key = :k"
		" ORDER BY dob, id");
	db_bind_text(st, ":k", key);
	while (db_next(st) && n < sizeof ids / sizeof ids[0])
		ids[n++] = db_int(st, 0);
	int rc = db_finalize(st);
	for (size_t i = 0; !rc && i < n; i++) {
		struct pupil_brief p;
		rc = pupil_brief(db, ids[i], &p);
		if (!rc)
			rc = add_child(db, s, family_id, &p, e);
	}
	return rc;
}

int family_for_pupils_tx(struct db *db, const struct scope *s, const int64_t *pupil_ids, size_t n,
			 int64_t *family_id, struct errinfo *e)
{
	struct pupil_brief first, p;
	int rc;
	*family_id = 0;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "family_for_pupils_tx needs a transaction");
	if (!n)
		return errinfo_set(e, HE_MISSING, "upns", "Enter at least one pupil");
	if ((rc = pupil_brief(db, pupil_ids[0], &first)))
		goto fail;
	for (size_t i = 1; i < n && !*first.key; i++)  /* the first family_key given */
		if ((rc = pupil_brief(db, pupil_ids[i], &p)) == HE_OK && *p.key)
			snprintf(first.key, sizeof first.key, "%s", p.key);
	if ((rc = family_find(db, pupil_ids, n, first.key, family_id)))
		goto fail;
	if (!*family_id && (rc = family_insert(db, s, first.surname, first.key, family_id)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if ((rc = pupil_brief(db, pupil_ids[i], &p)) ||
		    (rc = add_child(db, s, *family_id, &p, e)) ||
		    (rc = add_siblings(db, s, *family_id, p.key, e)))
			goto fail;
	}
	return HE_OK;
fail:
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, rc, "upns", "A pupil given is not known to the partnership");
	if (e && e->code == rc)
		return rc;
	return errinfo_set(e, rc, "", "%s", db_errmsg(db));
}
