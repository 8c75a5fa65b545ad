/* scope.h — who is acting, and so which rows they may see.
 *
 * Handlers test capabilities; the core applies row scope in its queries
 * (DESIGN.md: "one helper per entity").  A struct scope carries what those
 * helpers need: the capabilities, the user, their school (school role) and
 * their worker profile (worker role) or directory entry (agency role), plus the audit identity every
 * audited read or change is written as.  The web layer builds one per
 * request with scope_load; the CLI and the demo build one for the system
 * with scope_system. */
#ifndef HEARTH_SCOPE_H
#define HEARTH_SCOPE_H
#include <stdbool.h>
#include <stdint.h>

#include "core/caps.h"

struct db;
struct audit_who;
struct user;

struct scope {
	struct caps caps;
	int64_t user_id;            /* 0 for the system */
	int64_t school_id;          /* the school role's school, else 0 */
	int64_t worker_id;          /* the user's worker profile, else 0 */
	int64_t professional_id;    /* the agency user's directory entry, else 0 */
	const struct audit_who *who;
};

/* Fill s for a signed-in user: caps from the role, the school, and the
 * worker profile linked to the user (workers.user_id), if any.  Returns
 * HE_OK or a db error. */
int scope_load(struct db *db, const struct user *u, const struct audit_who *who,
	       struct scope *s);
/* The system acting (CLI, demo): every capability, no school, no worker. */
void scope_system(const struct audit_who *who, struct scope *s);
/* True for the system scope: the only one that may record work as done on
 * an earlier date (the demo's 18 months of history, an import of past
 * work); people's changes are dated when they make them. */
static inline bool scope_is_system(const struct scope *s)
{
	return s->user_id == 0;
}

#endif
