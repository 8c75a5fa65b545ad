/* referfix.h — a small partnership for the referral, consent and family
 * unit tests: three schools (A, B, C) in one district, a school user at A,
 * one at B and one at C, a coordinator and a worker, and the Khan
 * children (same household: family_key "khan") — Aisha and Bilal at
 * school A, Cara at school B — plus Dev Patel alone at school B.  Rows
 * are inserted with SQL directly; ids are fixed so tests can name them.
 * Include after testdb.h. */
#ifndef HEARTH_REFERFIX_H
#define HEARTH_REFERFIX_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/valid.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/scope.h"
#include "store/db.h"

enum { SCHOOL_A = 1, SCHOOL_B = 2, SCHOOL_C = 3 };
enum { USER_A = 1, USER_B = 2, USER_C = 3, USER_COORD = 4, USER_WORKER = 5 };
enum { AISHA = 1, BILAL = 2, CARA = 3, DEV = 4 };

/* UPNs with real check letters: "?80199993200N". */
static char fix_upn[10][14];   /* by pupil id, 1–9 */

static const struct audit_who fix_who = {
	.user_id = 0, .email = "test@hearth.example", .role = "test", .route = "unit test",
};

static void fix_exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* fix_exec of printf-formatted SQL (the kept-sums tests' random writes). */
static inline void fix_sqlf(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void fix_sqlf(struct db *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	fix_exec(db, sql);
}

static void fix_pupil(struct db *db, int id, int school, const char *fore, const char *sur,
		      const char *dob, const char *key)
{
	char twelve[13];
	snprintf(twelve, sizeof twelve, "80199993200%d", id);
	snprintf(fix_upn[id], sizeof fix_upn[id], "%c%s", upn_check_letter(twelve), twelve);
	struct db_stmt *st = db_prepare(db, "INSERT INTO pupils (id, upn, school_id, forename,"
		" surname, dob, gender, family_key, created_at, updated_at) VALUES (:id, :upn,"
		" :school, :fore, :sur, :dob, 'U', :key, '2026-01-01T00:00:00Z',"
		" '2026-01-01T00:00:00Z')");
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":upn", fix_upn[id]);
	db_bind_int(st, ":school", school);
	db_bind_text(st, ":fore", fore);
	db_bind_text(st, ":sur", sur);
	db_bind_text(st, ":dob", dob);
	db_bind_text(st, ":key", key);
	if (db_done(st) != HE_OK)
		fail_msg("insert pupil: %s", db_errmsg(db));
}

static void fix_user(struct db *db, int id, const char *role, int school)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO users (id, email, name, role, school_id,"
		" password_hash, created_at, updated_at) VALUES (:id, :email, :name, :role,"
		" :school, 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
	char email[64];
	snprintf(email, sizeof email, "u%d@hearth.example", id);
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":email", email);
	db_bind_text(st, ":name", email);
	db_bind_text(st, ":role", role);
	if (school)
		db_bind_int(st, ":school", school);
	else
		db_bind_null(st, ":school");
	if (db_done(st) != HE_OK)
		fail_msg("insert user: %s", db_errmsg(db));
}

static void fix_seed(struct db *db)
{
	fix_exec(db, "INSERT INTO districts (id, name) VALUES (1, 'Belgrave')");
	fix_exec(db, "INSERT INTO schools (id, urn, name, phase, district_id, created_at) VALUES"
		" (1, '900001', 'Alpha Academy', 'secondary', 1, '2026-01-01T00:00:00Z'),"
		" (2, '900002', 'Beta Primary', 'primary', 1, '2026-01-01T00:00:00Z'),"
		" (3, '900003', 'Gamma College', 'secondary', 1, '2026-01-01T00:00:00Z')");
	fix_pupil(db, AISHA, SCHOOL_A, "Aisha", "Khan", "2011-05-01", "khan");
	fix_pupil(db, BILAL, SCHOOL_A, "Bilal", "Khan", "2012-06-02", "khan");
	fix_pupil(db, CARA, SCHOOL_B, "Cara", "Khan", "2017-07-03", "khan");
	fix_pupil(db, DEV, SCHOOL_B, "Dev", "Patel", "2016-08-04", NULL);
	fix_user(db, USER_A, "school", SCHOOL_A);
	fix_user(db, USER_B, "school", SCHOOL_B);
	fix_user(db, USER_C, "school", SCHOOL_C);
	fix_user(db, USER_COORD, "coordinator", 0);
	fix_user(db, USER_WORKER, "worker", 0);
}

/* The scope of a fixture user. */
static struct scope fix_scope(int user)
{
	struct scope s = {0};
	static const enum role roles[] = {ROLE_NONE, ROLE_SCHOOL, ROLE_SCHOOL, ROLE_SCHOOL,
					  ROLE_COORDINATOR, ROLE_WORKER};
	s.caps = caps_for_role(roles[user]);
	s.user_id = user;
	s.school_id = user <= USER_C ? user : 0;
	s.who = &fix_who;
	return s;
}

static int fix_setup(void **state)
{
	int rc = testdb_setup(state);
	if (rc == 0)
		fix_seed(((struct testdb *)*state)->db);
	return rc;
}

/* count(*) etc. of sql with one integer parameter :id. */
static int64_t fix_int(struct db *db, const char *sql, int64_t id)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return n;
}

#endif
