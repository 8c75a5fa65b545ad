/* user.h — people who sign in to Hearth.
 *
 * Users have one role; school users belong to one school.  Emails are
 * stored normalised (trimmed, lower case) and unique.  Passwords are hashed
 * with argon2id (libsodium's crypto_pwhash_str, interactive limits) and never
 * stored or logged in clear. */
#ifndef HEARTH_USER_H
#define HEARTH_USER_H
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/caps.h"

struct db;
struct audit_who;

struct user {
	int64_t id;
	char *email;
	char *name;
	enum role role;
	int64_t school_id;     /* 0 unless role is school */
	char *school_urn;      /* NULL unless role is school */
	char *school_name;     /* NULL unless role is school */
	bool totp_enabled;
	bool disabled;
};

#define PASSWORD_MIN 10
#define PASSWORD_MAX 256

/* Create a user.  Validates every field (name 1–200 characters, email,
 * role, school URN required for and only for role school, password at
 * least PASSWORD_MIN characters) and reports the first bad one in e.
 * Writes an audit row as who; opens its own transaction.  On success sets
 * *id (may be NULL).  HE_CONFLICT if the email is taken. */
int user_create(struct db *db, const struct audit_who *who, const char *name,
		const char *email, const char *role, const char *school_urn,
		const char *password, int64_t *id, struct errinfo *e);
/* Change a user's password (same rules); audited; own transaction. */
int user_set_password(struct db *db, const struct audit_who *who,
		      const char *email, const char *password, struct errinfo *e);
/* The columns user_from_row reads, for a query's select list: the users
 * row aliased u, its school s (LEFT JOIN schools s ON s.id = u.school_id). */
#define USER_SELECT "u.id, u.email, u.name, u.role, u.school_id, s.urn, s.name," \
	" u.totp_secret IS NOT NULL, u.disabled"
struct db_stmt;
/* Fill u from the USER_SELECT columns of st's current row, the first at
 * col; strings from arena. */
void user_from_row(struct db_stmt *st, int col, struct arena *a, struct user *u);
/* Load a user by id into u, strings from arena.  HE_NOT_FOUND if absent. */
int user_load(struct db *db, struct arena *a, int64_t id, struct user *u);
int user_load_by_email(struct db *db, struct arena *a, const char *email,
		       struct user *u);

#endif
