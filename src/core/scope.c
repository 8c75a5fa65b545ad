/* scope.c — building the acting scope (see scope.h). */
#include "core/scope.h"

#include <string.h>

#include "base/err.h"
#include "core/user.h"
#include "store/db.h"

int scope_load(struct db *db, const struct user *u, const struct audit_who *who,
	       struct scope *s)
{
	memset(s, 0, sizeof *s);
	s->caps = caps_for_role(u->role);
	s->user_id = u->id;
	s->school_id = u->role == ROLE_SCHOOL ? u->school_id : 0;
	s->who = who;
	struct db_stmt *st = db_prepare(db,
		"SELECT id FROM workers WHERE user_id = :user AND active = 1");
	db_bind_int(st, ":user", u->id);
	if (db_next(st))
		s->worker_id = db_int(st, 0);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	st = db_prepare(db, "SELECT id FROM professionals WHERE user_id = :user AND active = 1");
	db_bind_int(st, ":user", u->id);
	if (db_next(st))
		s->professional_id = db_int(st, 0);
	return db_finalize(st);
}

void scope_system(const struct audit_who *who, struct scope *s)
{
	memset(s, 0, sizeof *s);
	s->caps.bits = ~(uint64_t)0;
	s->who = who;
}
