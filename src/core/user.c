/* user.c — creating, loading and re-passwording users (see user.h). */
#include "core/user.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/school.h"
#include "store/db.h"

static int check_password(const char *pw, struct errinfo *e)
{
	size_t n = pw ? strlen(pw) : 0;
	if (n == 0)
		return errinfo_set(e, HE_MISSING, "password", "Enter a password");
	if (n < PASSWORD_MIN)
		return errinfo_set(e, HE_INVALID, "password",
				   "Password must be %d characters or more", PASSWORD_MIN);
	if (n > PASSWORD_MAX)
		return errinfo_set(e, HE_INVALID, "password",
				   "Password must be %d characters or fewer", PASSWORD_MAX);
	if (!text_valid(pw, n))
		return errinfo_set(e, HE_INVALID, "password",
				   "Password must be text, without control characters");
	return HE_OK;
}

/* argon2id hash of pw into out. */
static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return HE_INTERNAL;
	return HE_OK;
}

static int check_user_fields(const char *name, const char *email, const char *role,
			     const char *urn, char norm[255], struct errinfo *e)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		return errinfo_set(e, HE_MISSING, "name", "Enter the user's full name");
	if (n > 200 || !text_valid(name, n) || strpbrk(name, "\r\n\t"))
		return errinfo_set(e, HE_INVALID, "name",
				   "Name must be 200 characters or fewer, on one line");
	if (!email || !*email)
		return errinfo_set(e, HE_MISSING, "email", "Enter an email address");
	if (!email_norm(email, norm))
		return errinfo_set(e, HE_INVALID, "email",
			"Enter an email address in the correct format, like name@example.com");
	enum role r = role_parse(role);
	if (r == ROLE_NONE)
		return errinfo_set(e, HE_INVALID, "role", "Role must be one of admin, "
			"coordinator, school, worker, agency, viewer, auditor");
	if (r == ROLE_SCHOOL && (!urn || !*urn))
		return errinfo_set(e, HE_MISSING, "school",
				   "A school user needs the URN of their school");
	if (r != ROLE_SCHOOL && urn && *urn)
		return errinfo_set(e, HE_INVALID, "school",
				   "Only school users belong to a school");
	return HE_OK;
}

static int email_taken(struct db *db, const char *email, bool *taken)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM users WHERE email = :e");
	db_bind_text(st, ":e", email);
	*taken = db_next(st);
	return db_finalize(st);
}

static int insert_user(struct db *db, const char *name, const char *email,
		       const char *role, int64_t school_id, const char *hash,
		       int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO users (email, name, role, school_id, password_hash,"
		" created_at, updated_at) VALUES (:email, :name, :role, :school,"
		" :hash, :now, :now) RETURNING id");
	db_bind_text(st, ":email", email);
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":role", role);
	if (school_id)
		db_bind_int(st, ":school", school_id);
	else
		db_bind_null(st, ":school");
	db_bind_text(st, ":hash", hash);
	db_bind_text(st, ":now", now);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

int user_create(struct db *db, const struct audit_who *who, const char *name,
		const char *email, const char *role, const char *school_urn,
		const char *password, int64_t *id, struct errinfo *e)
{
	char norm[255], hash[crypto_pwhash_STRBYTES], idtxt[24], summary[400];
	int64_t school_id = 0, uid = 0;
	bool taken;
	int rc = check_user_fields(name, email, role, school_urn, norm, e);
	if (!rc)
		rc = check_password(password, e);
	if (rc)
		return rc;
	if ((rc = hash_password(password, hash)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	if (school_urn && *school_urn) {
		rc = school_id_by_urn(db, school_urn, &school_id);
		if (rc == HE_NOT_FOUND)
			rc = errinfo_set(e, HE_INVALID, "school", "No school has URN %s", school_urn);
		if (rc)
			goto fail;
	}
	if ((rc = email_taken(db, norm, &taken)))
		goto fail;
	if (taken) {
		rc = errinfo_set(e, HE_CONFLICT, "email",
				 "A user with email address %s already exists", norm);
		goto fail;
	}
	if ((rc = insert_user(db, name, norm, role, school_id, hash, &uid)))
		goto fail;
	snprintf(idtxt, sizeof idtxt, "%" PRId64, uid);
	snprintf(summary, sizeof summary, "created user %s with role %s", norm, role);
	if ((rc = audit(db, who, "create", "users", idtxt, summary)))
		goto fail;
	if ((rc = db_commit(db)))
		return rc;
	if (id)
		*id = uid;
	return HE_OK;
fail:
	db_rollback(db);
	return rc;
}

int user_set_password(struct db *db, const struct audit_who *who,
		      const char *email, const char *password, struct errinfo *e)
{
	char norm[255], hash[crypto_pwhash_STRBYTES], now[21];
	if (!email || !email_norm(email, norm))
		return errinfo_set(e, HE_INVALID, "email", "Enter a valid email address");
	int rc = check_password(password, e);
	if (rc || (rc = hash_password(password, hash)))
		return rc;
	timestamp_format(time(NULL), now);
	if ((rc = db_begin(db)))
		return rc;
	struct db_stmt *st = db_prepare(db,
		"UPDATE users SET password_hash = :hash, updated_at = :now"
		" WHERE email = :email RETURNING id");
	db_bind_text(st, ":hash", hash);
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":email", norm);
	char idtxt[24] = "";
	int64_t uid = 0;
	if (db_next(st))
		uid = db_int(st, 0);
	if ((rc = db_finalize(st)))
		goto fail;
	snprintf(idtxt, sizeof idtxt, "%" PRId64, uid);
	if (!uid) {
		rc = errinfo_set(e, HE_NOT_FOUND, "email", "No user has email address %s", norm);
		goto fail;
	}
	/* Changing a password ends every session of that user. */
	st = db_prepare(db, "DELETE FROM sessions WHERE user_id = :id");
	db_bind_int(st, ":id", uid);
	if ((rc = db_done(st)) ||
	    (rc = audit(db, who, "update", "users", idtxt, "password changed")))
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}

#define USER_COLS "SELECT " USER_SELECT " FROM users u LEFT JOIN schools s ON s.id = u.school_id"

void user_from_row(struct db_stmt *st, int col, struct arena *a, struct user *u)
{
	u->id = db_int(st, col);
	u->email = arena_strdup(a, db_text(st, col + 1));
	u->name = arena_strdup(a, db_text(st, col + 2));
	u->role = role_parse(db_text(st, col + 3));
	u->school_id = db_is_null(st, col + 4) ? 0 : db_int(st, col + 4);
	u->school_urn = arena_strdup(a, db_text(st, col + 5));
	u->school_name = arena_strdup(a, db_text(st, col + 6));
	u->totp_enabled = db_int(st, col + 7) != 0;
	u->disabled = db_int(st, col + 8) != 0;
}

static int load_row(struct db_stmt *st, struct arena *a, struct user *u)
{
	if (!db_next(st)) {
		int rc = db_finalize(st);
		return rc ? rc : HE_NOT_FOUND;
	}
	user_from_row(st, 0, a, u);
	return db_finalize(st);
}

int user_load(struct db *db, struct arena *a, int64_t id, struct user *u)
{
	struct db_stmt *st = db_prepare(db, USER_COLS " WHERE u.id = :id");
	db_bind_int(st, ":id", id);
	return load_row(st, a, u);
}

int user_load_by_email(struct db *db, struct arena *a, const char *email,
		       struct user *u)
{
	char norm[255];
	if (!email || !email_norm(email, norm))
		return HE_NOT_FOUND;
	struct db_stmt *st = db_prepare(db, USER_COLS " WHERE u.email = :e");
	db_bind_text(st, ":e", norm);
	return load_row(st, a, u);
}
