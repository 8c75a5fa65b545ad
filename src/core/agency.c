/* agency.c — the directory of partner agencies and their professionals
 * (see agency.h): checks, audited saves, and the lists the TAF pages and
 * the directory pages read. */
#include "core/agency.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/scope.h"
#include "store/db.h"

#define NAME_MAX_LEN 200
#define SHORT_MAX_LEN 200

const char *const agency_kinds[] = {
	"education_welfare", "school_nursing", "social_care", "camhs", "health_visiting",
	"housing", "jobcentre", "police", "voluntary", "school", "other", NULL,
};

static const char *const kind_titles[] = {
	"Education welfare", "School nursing", "Children's social care", "CAMHS (mental health)",
	"Health visiting", "Housing", "Jobcentre Plus", "Police", "Voluntary sector", "School",
	"Other service",
};

const char *agency_kind_title(const char *kind)
{
	for (int i = 0; kind && agency_kinds[i]; i++)
		if (strcmp(kind, agency_kinds[i]) == 0)
			return kind_titles[i];
	return "";
}

static int email_check(const char *email, const char *field, struct errinfo *e)
{
	if (text_blank(email))
		return HE_OK;
	if (!email_valid(email))
		return errinfo_set(e, HE_INVALID, field,
				   "Enter an email address in the correct format, like name@example.org");
	return HE_OK;
}

int agency_check(const struct agency_in *in, struct errinfo *e)
{
	int rc;
	if ((rc = text_field_check(in->name, true, NAME_MAX_LEN, "name", "the agency's name", e)))
		return rc;
	if (text_blank(in->kind))
		return errinfo_set(e, HE_MISSING, "kind", "Choose the kind of service");
	if (!*agency_kind_title(in->kind))
		return errinfo_set(e, HE_INVALID, "kind", "Choose the kind of service from the list");
	if ((rc = text_field_check(in->phone, false, SHORT_MAX_LEN, "phone", "the phone number", e)) ||
	    (rc = text_field_check(in->email, false, SHORT_MAX_LEN, "email", "the email address", e)))
		return rc;
	return email_check(in->email, "email", e);
}

int professional_check(const struct directory_professional_in *in, struct errinfo *e)
{
	int rc;
	if ((rc = text_field_check(in->name, true, NAME_MAX_LEN, "name", "the professional's name", e)) ||
	    (rc = text_field_check(in->role, false, SHORT_MAX_LEN, "role", "the role", e)) ||
	    (rc = text_field_check(in->email, false, SHORT_MAX_LEN, "email", "the email address", e)) ||
	    (rc = text_field_check(in->phone, false, SHORT_MAX_LEN, "phone", "the phone number", e)) ||
	    (rc = text_field_check(in->user_email, false, SHORT_MAX_LEN, "user_email",
			     "the sign-in email", e)))
		return rc;
	if ((rc = email_check(in->email, "email", e)))
		return rc;
	return email_check(in->user_email, "user_email", e);
}

/* ---- saving ------------------------------------------------------------- */

static int need_manage(const struct scope *s, struct errinfo *e)
{
	if (caps_has(s->caps, CAP_DIRECTORY_MANAGE))
		return HE_OK;
	return errinfo_set(e, HE_FORBIDDEN, "", "Only the coordinator or the admin can change the directory");
}

static int audit_row(struct db *db, const struct scope *s, const char *action, const char *entity,
		     int64_t id, const char *summary)
{
	char idt[24];
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, entity, idt, summary);
}

/* Another agency with this name (case-insensitive)? */
static int agency_name_taken(struct db *db, int64_t id, const char *name, bool *taken)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT 1 FROM agencies WHERE lower(name) = lower(:name) AND id <> :id");
	db_bind_text(st, ":name", name);
	db_bind_int(st, ":id", id);
	*taken = db_next(st);
	return db_finalize(st);
}

static int agency_write(struct db *db, int64_t id, const struct agency_in *in, int64_t *out_id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st;
	if (id) {
		st = db_prepare(db, "UPDATE agencies SET name = :name, kind = :kind, phone = :phone,"
				" email = :email WHERE id = :id");
		db_bind_int(st, ":id", id);
	} else {
		st = db_prepare(db, "INSERT INTO agencies (name, kind, phone, email, created_at)"
				" VALUES (:name, :kind, :phone, :email, :now) RETURNING id");
		db_bind_text(st, ":now", now);
	}
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":kind", in->kind);
	db_bind_text(st, ":phone", in->phone ? in->phone : "");
	db_bind_text(st, ":email", in->email ? in->email : "");
	if (!id && db_next(st))
		*out_id = db_int(st, 0);
	if (id) {
		int rc = db_done(st);
		if (rc == HE_OK && db_changes(db) == 0)
			return HE_NOT_FOUND;
		*out_id = id;
		return rc;
	}
	return db_finalize(st);
}

static int end(struct db *db, int rc)
{
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

int agency_save(struct db *db, const struct scope *s, int64_t id, const struct agency_in *in,
		int64_t *out_id, struct errinfo *e)
{
	bool taken = false;
	int64_t got = 0;
	int rc;
	if ((rc = need_manage(s, e)) || (rc = agency_check(in, e)) || (rc = db_begin(db)))
		return rc;
	if ((rc = agency_name_taken(db, id, in->name, &taken)))
		return end(db, rc);
	if (taken)
		return end(db, errinfo_set(e, HE_CONFLICT, "name",
					   "There is already an agency called %.120s in the directory", in->name));
	rc = agency_write(db, id, in, &got);
	if (rc == HE_NOT_FOUND)
		return end(db, errinfo_set(e, HE_NOT_FOUND, "", "No such agency"));
	if (rc == HE_OK)
		rc = audit_row(db, s, id ? "update" : "create", "agencies", got,
			       id ? "directory: agency edited" : "directory: agency added");
	if ((rc = end(db, rc)) == HE_OK && out_id)
		*out_id = got;
	return rc;
}

/* The agency-role user a professional is to be linked to: *user 0 for
 * none.  Checks the user exists, is active, has the agency role, and is
 * not linked to another professional. */
static int link_user(struct db *db, int64_t prof_id, const struct directory_professional_in *in,
		     int64_t *user, struct errinfo *e)
{
	*user = 0;
	if (!in->user_id && text_blank(in->user_email))
		return HE_OK;
	struct db_stmt *st = db_prepare(db, in->user_id
		? "SELECT u.id, u.role, u.disabled, p.id FROM users u LEFT JOIN professionals p"
		  " ON p.user_id = u.id WHERE u.id = :id"
		: "SELECT u.id, u.role, u.disabled, p.id FROM users u LEFT JOIN professionals p"
		  " ON p.user_id = u.id WHERE lower(u.email) = lower(:email)");
	if (in->user_id)
		db_bind_int(st, ":id", in->user_id);
	else
		db_bind_text(st, ":email", in->user_email);
	bool found = db_next(st), agency = false, disabled = false;
	int64_t other = 0;
	if (found) {
		*user = db_int(st, 0);
		agency = strcmp(db_text(st, 1), "agency") == 0;
		disabled = db_int(st, 2) != 0;
		other = db_is_null(st, 3) ? 0 : db_int(st, 3);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!found || !agency || disabled) {
		*user = 0;
		return errinfo_set(e, HE_INVALID, "user_email", "Enter the sign-in email of an active user"
				   " with the partner agency role (the admin adds users)");
	}
	if (other && other != prof_id) {
		*user = 0;
		return errinfo_set(e, HE_CONFLICT, "user_email",
				   "That sign-in is already linked to another professional");
	}
	return HE_OK;
}

/* The professional's current agency (*agency 0 if there is no such id). */
static int prof_agency(struct db *db, int64_t id, int64_t *agency)
{
	*agency = 0;
	struct db_stmt *st = db_prepare(db, "SELECT agency_id FROM professionals WHERE id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st))
		*agency = db_int(st, 0);
	return db_finalize(st);
}

static int agency_exists(struct db *db, int64_t id, bool *yes)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM agencies WHERE id = :id");
	db_bind_int(st, ":id", id);
	*yes = db_next(st);
	return db_finalize(st);
}

static int prof_write(struct db *db, int64_t id, int64_t agency_id, int64_t user,
		      const struct directory_professional_in *in, int64_t *out_id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st;
	if (id) {
		st = db_prepare(db, "UPDATE professionals SET agency_id = :agency, name = :name,"
				" role = :role, email = :email, phone = :phone, user_id = :user,"
				" active = :active WHERE id = :id");
		db_bind_int(st, ":id", id);
	} else {
		st = db_prepare(db, "INSERT INTO professionals (agency_id, name, role, email, phone,"
				" user_id, active, created_at) VALUES (:agency, :name, :role, :email,"
				" :phone, :user, :active, :now) RETURNING id");
		db_bind_text(st, ":now", now);
	}
	db_bind_int(st, ":agency", agency_id);
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":role", in->role ? in->role : "");
	db_bind_text(st, ":email", in->email ? in->email : "");
	db_bind_text(st, ":phone", in->phone ? in->phone : "");
	if (user)
		db_bind_int(st, ":user", user);
	else
		db_bind_null(st, ":user");
	db_bind_int(st, ":active", in->active ? 1 : 0);
	if (id) {
		*out_id = id;
		return db_done(st);
	}
	if (db_next(st))
		*out_id = db_int(st, 0);
	return db_finalize(st);
}

/* Inside the transaction: resolve the agency, the link, and write. */
static int prof_save_in(struct db *db, const struct scope *s, int64_t id, int64_t agency_id,
			const struct directory_professional_in *in, int64_t *got, struct errinfo *e)
{
	int64_t current = 0, user = 0;
	bool exists = false;
	int rc;
	if (id) {
		if ((rc = prof_agency(db, id, &current)))
			return rc;
		if (!current)
			return errinfo_set(e, HE_NOT_FOUND, "", "No such professional");
		if (agency_id && agency_id != current)
			return errinfo_set(e, HE_NOT_FOUND, "", "No such professional in this agency");
		agency_id = current;
	}
	if ((rc = agency_exists(db, agency_id, &exists)))
		return rc;
	if (!exists)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such agency");
	if ((rc = link_user(db, id, in, &user, e)) || (rc = prof_write(db, id, agency_id, user, in, got)))
		return rc;
	char summary[200];
	snprintf(summary, sizeof summary, "directory: professional %s in agency %" PRId64 "%s%s",
		 id ? "edited" : "added", agency_id, user ? ", linked to a sign-in" : "",
		 in->active ? "" : ", retired");
	return audit_row(db, s, id ? "update" : "create", "professionals", *got, summary);
}

int professional_save(struct db *db, const struct scope *s, int64_t id, int64_t agency_id,
		      const struct directory_professional_in *in, int64_t *out_id,
		      struct errinfo *e)
{
	int64_t got = 0;
	int rc;
	if ((rc = need_manage(s, e)) || (rc = professional_check(in, e)) || (rc = db_begin(db)))
		return rc;
	if ((rc = end(db, prof_save_in(db, s, id, agency_id, in, &got, e))) == HE_OK && out_id)
		*out_id = got;
	return rc;
}

/* ---- reading --------------------------------------------------------------- */

static const char *dup(struct arena *a, struct db_stmt *st, int col)
{
	return db_is_null(st, col) ? NULL : arena_strdup(a, db_text(st, col));
}

#define AGENCY_COLS "SELECT a.id, a.name, a.kind, a.phone, a.email, a.created_at," \
	" (SELECT count(*) FROM professionals p WHERE p.agency_id = a.id AND p.active = 1)" \
	" FROM agencies a "

static void agency_row(struct arena *a, struct db_stmt *st, struct agency *o)
{
	o->id = db_int(st, 0);
	o->name = dup(a, st, 1);
	o->kind = dup(a, st, 2);
	o->phone = dup(a, st, 3);
	o->email = dup(a, st, 4);
	o->created_at = dup(a, st, 5);
	o->nprofessionals = (int)db_int(st, 6);
}

int agency_list(struct db *db, struct arena *a, struct agency **out, size_t *n)
{
	size_t cap = 16;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db, AGENCY_COLS "ORDER BY lower(a.name), a.id");
	while (db_next(st)) {
		if (*n == cap) {
			struct agency *more = arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, *out, cap * sizeof *more);
			*out = more;
			cap *= 2;
		}
		agency_row(a, st, &(*out)[(*n)++]);
	}
	return db_finalize(st);
}

int agency_get(struct db *db, struct arena *a, int64_t id, struct agency *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prepare(db, AGENCY_COLS "WHERE a.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st))
		agency_row(a, st, out);
	int rc = db_finalize(st);
	return rc ? rc : out->id ? HE_OK : HE_NOT_FOUND;
}

#define PROF_COLS "SELECT p.id, p.agency_id, p.user_id, p.name, p.role, p.email, p.phone," \
	" a.name, a.kind, u.email, p.active FROM professionals p" \
	" JOIN agencies a ON a.id = p.agency_id LEFT JOIN users u ON u.id = p.user_id "

static void prof_row(struct arena *a, struct db_stmt *st, struct professional *o)
{
	o->id = db_int(st, 0);
	o->agency_id = db_int(st, 1);
	o->user_id = db_is_null(st, 2) ? 0 : db_int(st, 2);
	o->name = dup(a, st, 3);
	o->role = dup(a, st, 4);
	o->email = dup(a, st, 5);
	o->phone = dup(a, st, 6);
	o->agency_name = dup(a, st, 7);
	o->agency_kind = dup(a, st, 8);
	o->user_email = dup(a, st, 9);
	o->active = db_int(st, 10) != 0;
}

int professional_list(struct db *db, struct arena *a, int64_t agency_id, bool active_only,
		      struct professional **out, size_t *n)
{
	size_t cap = 16;
	*n = 0;
	*out = arena_alloc(a, cap * sizeof **out);
	struct db_stmt *st = db_prepare(db, PROF_COLS
		"WHERE (:agency = 0 OR p.agency_id = :agency) AND (:all = 1 OR p.active = 1)"
		" ORDER BY lower(a.name), lower(p.name), p.id");
	db_bind_int(st, ":agency", agency_id);
	db_bind_int(st, ":all", active_only ? 0 : 1);
	while (db_next(st)) {
		if (*n == cap) {
			struct professional *more = arena_alloc(a, 2 * cap * sizeof *more);
			memcpy(more, *out, cap * sizeof *more);
			*out = more;
			cap *= 2;
		}
		prof_row(a, st, &(*out)[(*n)++]);
	}
	return db_finalize(st);
}

int professional_get(struct db *db, struct arena *a, int64_t id, struct professional *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prepare(db, PROF_COLS "WHERE p.id = :id");
	db_bind_int(st, ":id", id);
	if (db_next(st))
		prof_row(a, st, out);
	int rc = db_finalize(st);
	return rc ? rc : out->id ? HE_OK : HE_NOT_FOUND;
}

int agency_id_by_name(struct db *db, const char *name, int64_t *id)
{
	*id = 0;
	struct db_stmt *st = db_prepare(db, "SELECT id FROM agencies WHERE name = :name");
	db_bind_text(st, ":name", name ? name : "");
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}
