/* agency.h — the directory of partner agencies and their professionals.
 *
 * The Team Around the Family draws on services beyond the school and the
 * family support pool: education welfare, the school nurse, children's
 * social care, CAMHS, health visiting, housing, Jobcentre Plus, the
 * police, the voluntary sector.  The directory lists each agency and the
 * professionals who work in it; a worker invites professionals from it to
 * TAF meetings and gives them actions.  A professional may be linked to a
 * user with the agency role (professionals.user_id): that user signs in
 * as the professional and sees only the meetings they are invited to and
 * the actions they own (taf.h).
 *
 * Access.  Reading the directory needs CAP_DIRECTORY (admin, coordinator,
 * worker); adding and editing needs CAP_DIRECTORY_MANAGE (admin,
 * coordinator) — the save functions check it (HE_FORBIDDEN) so the CLI
 * and the demo go through the same rule as a system scope.  Every save
 * writes one audit row in its own transaction.  The directory holds no
 * family data, so reading it is not audited here (the route table audits
 * the pages that list it). */
#ifndef HEARTH_AGENCY_H
#define HEARTH_AGENCY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;

/* The agency kinds of the migration's CHECK, NULL-terminated:
 * education_welfare school_nursing social_care camhs health_visiting
 * housing jobcentre police voluntary school other. */
extern const char *const agency_kinds[];
/* "Education welfare", "School nursing", …; "" for an unknown kind. */
const char *agency_kind_title(const char *kind);

/* An agency.  name required (≤ 200 characters, unique: HE_CONFLICT field
 * "name" for a duplicate), kind one of agency_kinds, phone and email
 * optional (email checked for shape when given). */
struct agency_in { const char *name, *kind, *phone, *email; };

/* Check in without the database; errinfo names the field.  HE_OK,
 * HE_MISSING or HE_INVALID. */
int agency_check(const struct agency_in *in, struct errinfo *e);

/* Add (id 0; *out_id set) or edit (id > 0) an agency.  Own tx, audit
 * "create"/"update" of "agencies".  HE_FORBIDDEN without
 * CAP_DIRECTORY_MANAGE; HE_NOT_FOUND for an unknown id. */
int agency_save(struct db *db, const struct scope *s, int64_t id, const struct agency_in *in,
		int64_t *out_id, struct errinfo *e);

/* A professional in the directory.  name required; role ("Education
 * welfare officer"), email, phone optional.  Linking to a sign-in: user_id
 * (> 0) or, when 0, user_email ("" for none) names an active user with
 * the agency role (HE_INVALID field "user_email" otherwise; HE_CONFLICT if
 * that user is already linked to another professional).  active false
 * retires the professional: no new invitations or actions, and their user
 * no longer acts as them. */
struct directory_professional_in {
	const char *name, *role, *email, *phone;
	int64_t user_id;
	const char *user_email;
	bool active;
};

/* Check in without the database (name, email shape).  HE_OK, HE_MISSING or
 * HE_INVALID naming the field. */
int professional_check(const struct directory_professional_in *in, struct errinfo *e);

/* Add (id 0; *out_id set) to agency agency_id, or edit (id > 0; agency_id
 * must be its agency, or 0 to keep it) a professional.  Own tx, audit
 * "create"/"update" of "professionals".  HE_FORBIDDEN without
 * CAP_DIRECTORY_MANAGE; HE_NOT_FOUND for an unknown agency or id. */
int professional_save(struct db *db, const struct scope *s, int64_t id, int64_t agency_id,
		      const struct directory_professional_in *in, int64_t *out_id,
		      struct errinfo *e);

/* ---- reading (allocated from a) --------------------------------------- */

struct agency {
	int64_t id;
	const char *name, *kind, *phone, *email, *created_at;
	int nprofessionals;        /* active ones */
};
struct professional {
	int64_t id, agency_id, user_id;
	const char *name, *role, *email, *phone;
	const char *agency_name, *agency_kind;
	const char *user_email;    /* the linked sign-in, or NULL */
	bool active;
};

/* Every agency, by name. */
int agency_list(struct db *db, struct arena *a, struct agency **out, size_t *n);
/* One agency; HE_NOT_FOUND if none. */
int agency_get(struct db *db, struct arena *a, int64_t id, struct agency *out);
/* Professionals of agency_id (0: all), by agency then name; active_only
 * leaves out retired ones. */
int professional_list(struct db *db, struct arena *a, int64_t agency_id, bool active_only,
		      struct professional **out, size_t *n);
/* One professional; HE_NOT_FOUND if none. */
int professional_get(struct db *db, struct arena *a, int64_t id, struct professional *out);
/* The id of the agency with this exact name (0 when none): the demo and
 * imports look agencies up by name. */
int agency_id_by_name(struct db *db, const char *name, int64_t *id);

#endif
