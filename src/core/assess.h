/* assess.h — the early help assessment: a family scored, with the family,
 * domain by domain on the three sides of the national Assessment Framework.
 *
 * The domains are the partnership's list (assessment_domains, seeded with
 * the 16 national domains): the child's developmental needs, parenting
 * capacity, and family and environmental factors.  An assessment scores
 * every active domain 1–10 (1: serious unmet need, 10: no concern) with
 * the strengths and needs seen, agreed with someone in the family.  Each
 * assessment copies the domain's code, title and side, so when the admin
 * renames, reorders, retires or adds domains, old assessments keep the
 * domains they were made with.
 *
 * The first assessment of a case is its baseline; re-assessments at each
 * review (plan.c calls assess_record_tx inside the review's transaction)
 * show the "distance travelled": first vs latest score per domain.
 *
 * Scope is the case's (case_visible): out of scope is HE_NOT_FOUND and the
 * attempt is audited "denied".  Recording is refused on a closed or
 * stepped-up case (HE_CONFLICT, field "case").  Every record writes an
 * audit row and a chronology event "assessed". */
#ifndef HEARTH_ASSESS_H
#define HEARTH_ASSESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct db;
struct scope;

#define ASSESS_SCORE_MIN 1
#define ASSESS_SCORE_MAX 10

/* ---- the contract (issue #6) ------------------------------------------- */

struct assess_domain { const char *code, *title, *side; int position; bool active; };

/* The domain list in position order, allocated from a (active ones only if
 * active_only).  Returns HE_OK or a db error. */
int assess_domains(struct db *db, struct arena *a, bool active_only, struct assess_domain **out, size_t *n);

struct assess_score_in { const char *domain_code; int score; const char *strengths, *needs; };
struct assess_in {
	const char *idem_key;        /* may be NULL */
	const char *assessed_on;     /* "YYYY-MM-DD", not in the future */
	const char *kind;            /* initial | review | closing */
	const char *agreed_with;     /* who in the family agreed the scores (required) */
	const char *summary;         /* may be NULL or "" */
	const struct assess_score_in *scores;
	size_t nscores;
};

/* Check an assessment against the active domain list, without touching the
 * case: a valid date not in the future (field "assessed_on"), a known kind
 * ("kind"), agreed_with given ("agreed_with"), every active domain scored
 * exactly once within 1–10 (field "score.<code>", message naming the
 * domain), no unknown or retired domain ("score.<code>"), strengths and
 * needs at most 2,000 characters ("strengths.<code>", "needs.<code>").
 * HE_OK, HE_INVALID/HE_MISSING with e set, or a db error. */
int assess_check(struct db *db, const struct assess_in *in, struct errinfo *e);

/* Record an assessment of case case_id in the caller's transaction
 * (HE_INTERNAL outside one): assess_check, the case visible to s
 * (HE_NOT_FOUND + audit "denied" otherwise), open (HE_CONFLICT, field
 * "case", when closed or stepped up), assessed_on not before the case
 * opened.  review_id is the review it is made at (0: none).  Writes chron
 * "assessed" and audit "create" (entity assessments).  A repeated idem_key
 * of an assessment of the same case returns its id and creates nothing. */
int assess_record_tx(struct db *db, const struct scope *s, int64_t case_id, int64_t review_id,
		     const struct assess_in *in, int64_t *id, struct errinfo *e);

/* The same in a transaction of its own (rolled back on any error). */
int assess_record(struct db *db, const struct scope *s, int64_t case_id, const struct assess_in *in,
		  int64_t *id, struct errinfo *e);

/* ---- beyond the contract --------------------------------------------------- */

/* "child", "parenting", "family"; NULL-terminated. */
extern const char *const assess_sides[];
/* "Child's developmental needs", "Parenting capacity", "Family and
 * environmental factors"; the code itself if unknown. */
const char *assess_side_title(const char *side);
/* "Initial assessment", "Review", "Closing assessment". */
const char *assess_kind_title(const char *kind);
/* What 1 and 10 mean on the scale, for the form's hints. */
extern const char *const assess_scale_low, *const assess_scale_high;

/* ---- the admin's domain list (CAP_ASSESSMENT_DOMAINS; own tx; audited) -- */

/* Add a domain at the end of its side's list.  code: 2–40 of a–z, 0–9 and
 * "_", starting with a letter, unique (HE_CONFLICT, field "code"); title
 * 1–120 characters; side one of assess_sides. */
int assess_domain_add(struct db *db, const struct scope *s, const char *code, const char *title,
		      const char *side, struct errinfo *e);
/* Change a domain: its title (NULL: unchanged) and whether it is active
 * (retired domains are no longer scored; old assessments keep them). */
int assess_domain_update(struct db *db, const struct scope *s, const char *code, const char *title,
			 bool active, struct errinfo *e);
/* Move a domain one place up (delta -1) or down (+1) in the list, swapping
 * with its neighbour.  HE_NOT_FOUND for an unknown code; no-op at an end. */
int assess_domain_move(struct db *db, const struct scope *s, const char *code, int delta,
		       struct errinfo *e);

/* ---- reading --------------------------------------------------------------- */

struct assess_score { const char *domain_code, *domain_title, *side; int position, score; const char *strengths, *needs; };
struct assessment {
	int64_t id, case_id, review_id;
	const char *assessed_on, *kind, *agreed_with, *summary, *recorded_at, *recorded_by;
	const char *family_name, *case_status;            /* of its case */
	struct assess_score *scores; size_t nscores;     /* in the order assessed */
};

/* The case's assessments, oldest first (by assessed_on, then id), with
 * their scores.  No scope check and no audit: the caller has checked and
 * audited the view of the case. */
int assess_list(struct db *db, struct arena *a, int64_t case_id, struct assessment **out, size_t *n);

/* The same as one audited "view" of the case (own tx) if it is visible to
 * s; else HE_NOT_FOUND, audited "denied" (the API's list). */
int assess_case_list(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
		     struct assessment **out, size_t *n, struct errinfo *e);

/* One assessment as an audited "view" (own tx) if its case is visible to s;
 * else HE_NOT_FOUND, audited "denied". */
int assess_load(struct db *db, struct arena *a, const struct scope *s, int64_t id,
		struct assessment *out, struct errinfo *e);

/* Distance travelled: per domain scored in both the first and the latest
 * assessment of the list (the latest's order), the two scores. */
struct assess_travel { const char *code, *title, *side; int first, latest; };
void assess_distance(struct arena *a, const struct assessment *list, size_t n,
		     struct assess_travel **out, size_t *nout);

#endif
