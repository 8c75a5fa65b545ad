/* family.c — households: finding or making the family of some pupils,
 * adding its members, and keeping its address, postcode and home language
 * (see family.h).
 *
 * The census links siblings by family_key (the same home address or main
 * contact), so a referral of one child finds the family record another
 * school may already have made for a brother or sister, rather than
 * starting a second one: a worker then sees one family, one chronology.
 * Everything here runs in the caller's transaction — the referral or the
 * case change that needed the family — and audits in it, except
 * family_details_change, the worker's edit, which is a transaction of its
 * own.  A change of the details never loses what it replaces: the old
 * values go to family_details_history, and a referral never writes over
 * a value already recorded (a different one it gives is kept in a
 * chronology note). */
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
#include "core/case.h"
#include "core/chron.h"
#include "core/idem.h"
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

static int member_insert(struct db *db, const struct scope *s, int64_t family_id,
			 const struct family_member_in *m, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO family_members (family_id, pupil_id, name, relationship, is_child,"
		" dob, phone, created_at, idem_key, created_by) VALUES (:f, :p, :name, :rel, :child,"
		" :dob, :phone, :now, :idem, :by) RETURNING id");
	db_bind_text(st, ":idem", nz(m->idem_key));
	if (s->user_id)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
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
	rc = member_insert(db, s, family_id, m, id);
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

int family_for_referral_tx(struct db *db, const struct scope *s, const int64_t *pupil_ids, size_t n,
			   int64_t *family_id, bool *made, struct errinfo *e)
{
	struct pupil_brief first, p;
	int rc;
	*family_id = 0;
	*made = false;
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
	if (!*family_id) {
		if ((rc = family_insert(db, s, first.surname, first.key, family_id)))
			goto fail;
		*made = true;
	}
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

int family_for_pupils_tx(struct db *db, const struct scope *s, const int64_t *pupil_ids, size_t n,
			 int64_t *family_id, struct errinfo *e)
{
	bool made;
	return family_for_referral_tx(db, s, pupil_ids, n, family_id, &made, e);
}

/* ---- address, postcode and home language ----------------------------------- */

enum { CH_ADDRESS = 1, CH_POSTCODE = 2, CH_LANGUAGE = 4 };

/* s without leading and trailing white space, into out (n bytes); false
 * if it does not fit. */
static bool trim_into(const char *s, char *out, size_t n)
{
	size_t len;
	s = valid_trim(s, &len);
	if (len >= n)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* The address on one line, as every page shows it: trimmed, and each line
 * break (with the blanks around it) ", " — or " " after a comma.  False
 * if the result does not fit in out (n bytes). */
static bool address_norm(const char *s, char *out, size_t n)
{
	size_t k = 0, len;
	s = valid_trim(s, &len);
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\r' && s[i] != '\n') {
			if (k + 1 >= n)
				return false;
			out[k++] = s[i];
			continue;
		}
		while (k && (out[k - 1] == ' ' || out[k - 1] == '\t'))
			k--;
		while (i + 1 < len && strchr(" \t\r\n", s[i + 1]))
			i++;
		const char *sep = k && out[k - 1] == ',' ? " " : ", ";
		if (k + strlen(sep) >= n)
			return false;
		memcpy(out + k, sep, strlen(sep));
		k += strlen(sep);
	}
	out[k] = '\0';
	return true;
}

static int language_check(const char *in, char out[FAMILY_LANGUAGE_MAX + 1], struct errinfo *e)
{
	if (text_blank(in))
		return errinfo_set(e, HE_MISSING, "home_language",
			"Enter the family's home language, like English or Polish");
	/* one language: workers' languages are a comma-separated list */
	if (!trim_into(in, out, FAMILY_LANGUAGE_MAX + 1) || !text_valid(out, strlen(out)) ||
	    strpbrk(out, ",;\t\r\n"))
		return errinfo_set(e, HE_INVALID, "home_language",
			"Enter one language, in %d characters or fewer, like Polish or British Sign Language",
			FAMILY_LANGUAGE_MAX);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
	return HE_OK;
}

int family_details_check(const struct family_details_in *in, struct family_details *out,
			 struct errinfo *e)
{
	memset(out, 0, sizeof *out);
	if (in->address) {
		out->has_address = true;
		if (!address_norm(in->address, out->address, sizeof out->address) ||
		    !text_valid(out->address, strlen(out->address)))
			return errinfo_set(e, HE_INVALID, "address",
				"The address must be %d characters or fewer", FAMILY_ADDRESS_MAX);
	}
	if (in->postcode) {
		out->has_postcode = true;
		if (!text_blank(in->postcode) && !postcode_norm(in->postcode, out->postcode))
			return errinfo_set(e, HE_INVALID, "postcode",
				"Enter a real postcode, like LE4 6TJ");
	}
	if (in->home_language) {
		out->has_language = true;
		return language_check(in->home_language, out->home_language, e);
	}
	return HE_OK;
}

/* The family's details as recorded (strings owned: fam_free). */
struct fam_row {
	int64_t id, version;
	char *address, *postcode, *language;   /* postcode NULL when none */
	bool anonymised;
};

static int fam_load(struct db *db, int64_t id, struct fam_row *f)
{
	memset(f, 0, sizeof *f);
	struct db_stmt *st = db_prepare(db, "SELECT version, address, postcode, home_language,"
		" anonymised_at FROM families WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st)) {
		f->id = id;
		f->version = db_int(st, 0);
		f->address = xstrdup(db_text(st, 1) ? db_text(st, 1) : "");
		f->postcode = db_text(st, 2) && *db_text(st, 2) ? xstrdup(db_text(st, 2)) : NULL;
		f->language = xstrdup(db_text(st, 3) ? db_text(st, 3) : "");
		f->anonymised = !db_is_null(st, 4);
	}
	int rc = db_finalize(st);
	return rc ? rc : f->id ? HE_OK : HE_NOT_FOUND;
}

static void fam_free(struct fam_row *f)
{
	free(f->address);
	free(f->postcode);
	free(f->language);
	memset(f, 0, sizeof *f);
}

/* The fields given in d whose value differs from the record's. */
static int details_diff(const struct fam_row *f, const struct family_details *d)
{
	int m = 0;
	if (d->has_address && strcmp(d->address, f->address) != 0)
		m |= CH_ADDRESS;
	if (d->has_postcode && strcmp(d->postcode, f->postcode ? f->postcode : "") != 0)
		m |= CH_POSTCODE;
	if (d->has_language && strcmp(d->home_language, f->language) != 0)
		m |= CH_LANGUAGE;
	return m;
}

static int bits(int mask)
{
	return (mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1);
}

/* The fields of a mask in words, in bit order. */
static const char *const field_names[] = {"address", "postcode", "home language"};

/* "address, home language": the fields of mask, in words. */
static void fields_text(struct buf *b, int mask)
{
	for (int i = 0, n = 0; i < 3; i++)
		if (mask & (1 << i))
			buf_printf(b, "%s%s", n++ ? ", " : "", field_names[i]);
}

/* "address 12 Oak Street; home language English": the values of mask,
 * a blank one as "not recorded". */
static void values_text(struct buf *b, int mask, const char *address, const char *postcode,
			const char *language)
{
	const char *vals[] = {address, postcode, language};
	for (int i = 0, n = 0; i < 3; i++)
		if (mask & (1 << i))
			buf_printf(b, "%s%s %s", n++ ? "; " : "", field_names[i],
				   vals[i] && *vals[i] ? vals[i] : "not recorded");
}

/* One change written in the caller's transaction. */
struct change {
	int mask;                  /* the fields that change */
	int64_t referral_id, case_id;
	const char *idem_key;      /* may be NULL */
	const char *why;           /* appended to the chronology's summary, e.g. " from referral R-…" */
	char at[21];               /* when: a UTC timestamp */
};

static int conflict(struct errinfo *e)
{
	return errinfo_set(e, HE_CONFLICT, "version",
		"The family's details were changed by someone else since you opened the case."
		" Nothing has been saved: reload the case to see their change, then try again.");
}

static int history_insert(struct db *db, const struct scope *s, const struct fam_row *f,
			  const struct change *c)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO family_details_history (family_id,"
		" version, address, postcode, home_language, changed_by, changed_at, idem_key)"
		" VALUES (:f, :v, :addr, :pc, :lang, :by, :at, :idem)");
	db_bind_int(st, ":f", f->id);
	db_bind_int(st, ":v", f->version);
	db_bind_text(st, ":addr", f->address);
	db_bind_text(st, ":pc", f->postcode);
	db_bind_text(st, ":lang", f->language);
	if (s->user_id > 0)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":at", c->at);
	db_bind_text(st, ":idem", nz(c->idem_key));
	return db_done(st);
}

/* The new values over the record, guarded by its version. */
static int family_update(struct db *db, const struct fam_row *f, const struct family_details *d,
			 const struct change *c, struct errinfo *e)
{
	struct db_stmt *st = db_prepare(db, "UPDATE families SET address = :addr, postcode = :pc,"
		" home_language = :lang, version = version + 1, updated_at = :at"
		" WHERE id = :f AND version = :v");
	db_bind_text(st, ":addr", c->mask & CH_ADDRESS ? d->address : f->address);
	db_bind_text(st, ":pc", c->mask & CH_POSTCODE ? nz(d->postcode) : f->postcode);
	db_bind_text(st, ":lang", c->mask & CH_LANGUAGE ? d->home_language : f->language);
	db_bind_text(st, ":at", c->at);
	db_bind_int(st, ":f", f->id);
	db_bind_int(st, ":v", f->version);
	int rc = db_done(st);
	if (rc == HE_OK && db_changes(db) == 0)
		return conflict(e);
	return rc ? errinfo_set(e, rc, "", "%s", db_errmsg(db)) : HE_OK;
}

/* The audit row (no values: the audit log is never altered, and names no
 * one) and the chronology note (the replaced values, which retention
 * anonymises). */
static int change_record(struct db *db, const struct scope *s, const struct fam_row *f,
			 const struct change *c)
{
	char ref[16], idtext[24], day[11];
	family_ref(f->id, ref);
	snprintf(idtext, sizeof idtext, "%" PRId64, f->id);
	snprintf(day, sizeof day, "%.10s", c->at);
	struct buf sum, detail;
	buf_init(&sum, 512);
	buf_init(&detail, 2048);
	buf_printf(&sum, "Family %s details changed: ", ref);
	fields_text(&sum, c->mask);
	buf_printf(&sum, " (version %" PRId64 " kept in the history)", f->version);
	int rc = audit(db, s->who, "update", "families", idtext, buf_str(&sum));
	buf_reset(&sum);
	buf_printf(&sum, "Family details changed: ");
	fields_text(&sum, c->mask);
	buf_printf(&sum, "%s", c->why ? c->why : "");
	buf_printf(&detail, "Before the change: ");
	values_text(&detail, c->mask, f->address, f->postcode, f->language);
	if (!rc)
		rc = chron_add(db, s, f->id, c->referral_id, c->case_id, day, "note", buf_str(&sum),
			       buf_str(&detail));
	buf_free(&sum);
	buf_free(&detail);
	return rc;
}

/* Write change c of f to d's values: history, record, audit, chronology. */
static int details_write(struct db *db, const struct scope *s, const struct fam_row *f,
			 const struct family_details *d, const struct change *c, struct errinfo *e)
{
	int rc = history_insert(db, s, f, c);
	if (rc == HE_DB_CONSTRAINT)   /* another change of this version got there first */
		return conflict(e);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if ((rc = family_update(db, f, d, c, e)))
		return rc;
	if ((rc = change_record(db, s, f, c)))
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return HE_OK;
}

/* ---- from a referral ----------------------------------------------------------- */

/* The referral's ref and received_at (the day its notes are dated). */
static int referral_when(struct db *db, int64_t referral_id, char ref[16], char at[21])
{
	struct db_stmt *st = db_prepare(db, "SELECT ref, received_at FROM referrals WHERE id = :id");
	db_bind_int(st, ":id", referral_id);
	bool found = db_next(st);
	snprintf(ref, 16, "%s", found ? db_text(st, 0) : "");
	snprintf(at, 21, "%s", found ? db_text(st, 1) : "");
	int rc = db_finalize(st);
	if (!rc && !found)
		timestamp_format(time(NULL), at);
	return rc;
}

/* A new family: the values as given, no history (nothing is replaced). */
static int details_set_new(struct db *db, const struct fam_row *f, const struct family_details *d,
			   int mask)
{
	struct db_stmt *st = db_prepare(db, "UPDATE families SET address = :addr, postcode = :pc,"
		" home_language = :lang WHERE id = :f");
	db_bind_text(st, ":addr", mask & CH_ADDRESS ? d->address : f->address);
	db_bind_text(st, ":pc", mask & CH_POSTCODE ? nz(d->postcode) : f->postcode);
	db_bind_text(st, ":lang", mask & CH_LANGUAGE ? d->home_language : f->language);
	db_bind_int(st, ":f", f->id);
	return db_done(st);
}

/* The values a referral gave that differ from those recorded, kept in a
 * chronology note (never written over the record). */
static int differ_note(struct db *db, const struct scope *s, const struct fam_row *f,
		       const struct family_details *d, int mask, int64_t referral_id,
		       const char *rref, const char *at)
{
	char day[11];
	snprintf(day, sizeof day, "%.10s", at);
	struct buf sum, detail;
	buf_init(&sum, 512);
	buf_init(&detail, 2048);
	buf_printf(&sum, "Referral %s gave family details that differ from the record, which was"
		   " not changed: ", rref);
	fields_text(&sum, mask);
	buf_printf(&detail, "Given on the referral: ");
	values_text(&detail, mask, d->address, d->postcode, d->home_language);
	buf_printf(&detail, ". Recorded: ");
	values_text(&detail, mask, f->address, f->postcode, f->language);
	buf_printf(&detail, ". Check with the family and change the record if the referral is right.");
	int rc = chron_add(db, s, f->id, referral_id, 0, day, "note", buf_str(&sum), buf_str(&detail));
	buf_free(&sum);
	buf_free(&detail);
	return rc;
}

/* For a family already recorded: fill the blank fields, note the rest. */
static int details_fill(struct db *db, const struct scope *s, const struct fam_row *f,
			const struct family_details *d, int mask, int64_t referral_id,
			struct errinfo *e)
{
	struct change c = {.referral_id = referral_id};
	char rref[16], why[48];
	int differ = 0, rc = referral_when(db, referral_id, rref, c.at);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	/* a blank value given never clears a recorded one */
	if ((mask & CH_ADDRESS) && !*f->address)
		c.mask |= CH_ADDRESS;
	else if ((mask & CH_ADDRESS) && *d->address)
		differ |= CH_ADDRESS;
	if ((mask & CH_POSTCODE) && !f->postcode)
		c.mask |= CH_POSTCODE;
	else if ((mask & CH_POSTCODE) && *d->postcode)
		differ |= CH_POSTCODE;
	if (mask & CH_LANGUAGE)   /* never blank: English unless someone said otherwise */
		differ |= CH_LANGUAGE;
	snprintf(why, sizeof why, " (filled in from referral %s)", rref);
	c.why = why;
	if (c.mask && (rc = details_write(db, s, f, d, &c, e)))
		return rc;
	if (differ && (rc = differ_note(db, s, f, d, differ, referral_id, rref, c.at)))
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return HE_OK;
}

int family_details_from_referral_tx(struct db *db, const struct scope *s, int64_t family_id,
				    int64_t referral_id, bool made, const struct family_details *d,
				    struct errinfo *e)
{
	struct fam_row f;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "family_details_from_referral_tx needs a transaction");
	if (!d->has_address && !d->has_postcode && !d->has_language)
		return HE_OK;
	int rc = fam_load(db, family_id, &f);
	if (rc) {
		fam_free(&f);
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	int mask = details_diff(&f, d);
	if (mask && made && (rc = details_set_new(db, &f, d, mask)))
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
	else if (mask && !made)
		rc = details_fill(db, s, &f, d, mask, referral_id, e);
	fam_free(&f);
	return rc;
}

/* ---- changed by the case's worker or the coordinator --------------------------------- */

/* Out of scope: the denial audited and committed, HE_NOT_FOUND. */
static int change_denied(struct db *db, const struct scope *s, int64_t case_id, struct errinfo *e)
{
	char idt[24];
	snprintf(idt, sizeof idt, "%" PRId64, case_id);
	int rc = audit(db, s->who, "denied", "cases", idt,
		       "change family details: case outside the caller's scope");
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	return errinfo_set(e, HE_NOT_FOUND, "", "No such case");
}

/* *seen: idem_key already made a change by s; a key of someone else's is
 * a conflict. */
static int idem_seen(struct db *db, const struct scope *s, const char *key, bool *seen,
		     struct errinfo *e)
{
	*seen = false;
	if (!nz(key))
		return HE_OK;
	if (strlen(key) > 64 || !text_valid(key, strlen(key)))
		return errinfo_set(e, HE_INVALID, "idem", "The form's key is not valid: reload the case");
	int64_t id;
	int rc = idem_lookup(db, s, "SELECT id, 0, coalesce(changed_by, 0) FROM"
			     " family_details_history WHERE idem_key = :k", key, 0, &id, e);
	if (rc == HE_CONFLICT)   /* the case page's own words */
		return errinfo_set(e, rc, "idem", "This form was already used: reload the case");
	*seen = id != 0;
	return rc;
}

static int case_family(struct db *db, int64_t case_id, int64_t *family_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT family_id FROM cases WHERE id = :id");
	db_bind_int(st, ":id", case_id);
	*family_id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	return rc ? rc : *family_id ? HE_OK : HE_NOT_FOUND;
}

/* Inside the change's transaction, after the scope check. */
static int change_in_tx(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
			const char *idem_key, const struct family_details *d, int *changed,
			struct errinfo *e)
{
	struct fam_row f = {0};
	int64_t family_id = 0;
	bool seen = false;
	int rc = idem_seen(db, s, idem_key, &seen, e);
	if (rc || seen) {
		*changed = seen ? -1 : 0;
		return rc;
	}
	if ((rc = case_family(db, case_id, &family_id)) || (rc = fam_load(db, family_id, &f))) {
		fam_free(&f);
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	struct change c = {.mask = details_diff(&f, d), .case_id = case_id, .idem_key = idem_key};
	timestamp_format(time(NULL), c.at);
	if (f.anonymised)
		rc = errinfo_set(e, HE_CONFLICT, "family",
				 "This family's records have been anonymised and cannot be changed");
	else if (f.version != version)
		rc = conflict(e);
	else if (c.mask && (rc = details_write(db, s, &f, d, &c, e)) == HE_OK)
		*changed = bits(c.mask);
	fam_free(&f);
	return rc;
}

int family_details_change(struct db *db, const struct scope *s, int64_t case_id, int64_t version,
			  const char *idem_key, const struct family_details_in *in, int *changed,
			  struct errinfo *e)
{
	struct family_details d;
	bool yes = false;
	*changed = 0;
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if ((rc = case_visible(db, s, case_id, &yes))) {
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
		goto fail;
	}
	/* scope first: who may not see the case learns nothing about it */
	if (!yes)
		return change_denied(db, s, case_id, e);
	if (version <= 0) {
		rc = errinfo_set(e, HE_MISSING, "version", "The form did not say which version of the"
				 " family's details it changes: reload the case");
		goto fail;
	}
	if ((rc = family_details_check(in, &d, e)) ||
	    (rc = change_in_tx(db, s, case_id, version, idem_key, &d, changed, e)))
		goto fail;
	if ((rc = db_commit(db)) == HE_OK)
		return HE_OK;
	errinfo_set(e, rc, "", "%s", db_errmsg(db));
fail:
	db_rollback(db);
	*changed = 0;
	return rc;
}
