/* assess.c — the early help assessment (see assess.h): the partnership's
 * domain list and its admin edits, checking and recording an assessment
 * against the active list, and reading a case's assessments back with the
 * distance travelled.
 *
 * An assessment copies each domain's code, title, side and position into
 * assessment_scores when it is recorded, so nothing the admin later does to
 * the domain list changes what an old assessment says. */
#include "core/assess.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/chron.h"
#include "core/idem.h"
#include "core/scope.h"
#include "store/db.h"

#define TEXT_NAME 200           /* who agreed the scores */
#define TEXT_DOMAIN 2000        /* strengths, needs of one domain */
#define TEXT_SUMMARY 10000
#define TITLE_MAX 120
#define CODE_MAX 40

const char *const assess_sides[] = {"child", "parenting", "family", NULL};
const char *const assess_scale_low = "1 means serious unmet needs: the family cannot manage this without help";
const char *const assess_scale_high = "10 means no concerns: this is a strength of the family";

static const char *const kinds[][2] = {
	{"initial", "Initial assessment"}, {"review", "Review"}, {"closing", "Closing assessment"},
	{NULL, NULL},
};

const char *assess_side_title(const char *side)
{
	if (!side)
		return "";
	return strcmp(side, "child") == 0 ? "Child's developmental needs"
		: strcmp(side, "parenting") == 0 ? "Parenting capacity"
		: strcmp(side, "family") == 0 ? "Family and environmental factors" : side;
}

const char *assess_kind_title(const char *kind)
{
	for (int i = 0; kind && kinds[i][0]; i++)
		if (strcmp(kinds[i][0], kind) == 0)
			return kinds[i][1];
	return kind ? kind : "";
}

static bool kind_known(const char *kind)
{
	for (int i = 0; kind && kinds[i][0]; i++)
		if (strcmp(kinds[i][0], kind) == 0)
			return true;
	return false;
}

static bool side_known(const char *side)
{
	for (int i = 0; side && assess_sides[i]; i++)
		if (strcmp(assess_sides[i], side) == 0)
			return true;
	return false;
}

/* One audit row, summary from fmt. */
static int audit_f(struct db *db, const struct scope *s, const char *action, const char *entity,
		   int64_t id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int audit_f(struct db *db, const struct scope *s, const char *action, const char *entity,
		   int64_t id, const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, entity, id ? idt : NULL, summary);
}

/* ---- the domain list ------------------------------------------------------ */

int assess_domains(struct db *db, struct arena *a, bool active_only, struct assess_domain **out, size_t *n)
{
	size_t cap = 16, k = 0;
	struct assess_domain *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db,
		"SELECT code, title, side, position, active FROM assessment_domains"
		" WHERE active = 1 OR :all = 1 ORDER BY position, id");
	db_bind_int(st, ":all", active_only ? 0 : 1);
	while (db_next(st)) {
		if (k == cap) {
			struct assess_domain *w = arena_alloc(a, 2 * cap * sizeof *w);
			memcpy(w, v, cap * sizeof *v);
			v = w;
			cap *= 2;
		}
		v[k].code = arena_strdup(a, db_text(st, 0));
		v[k].title = arena_strdup(a, db_text(st, 1));
		v[k].side = arena_strdup(a, db_text(st, 2));
		v[k].position = (int)db_int(st, 3);
		v[k].active = db_int(st, 4) != 0;
		k++;
	}
	*out = v;
	*n = k;
	return db_finalize(st);
}

static const struct assess_domain *domain_find(const struct assess_domain *d, size_t n, const char *code)
{
	for (size_t i = 0; code && i < n; i++)
		if (strcmp(d[i].code, code) == 0)
			return &d[i];
	return NULL;
}

static bool code_valid(const char *code)
{
	size_t n = code ? strlen(code) : 0;
	if (n < 2 || n > CODE_MAX || code[0] < 'a' || code[0] > 'z')
		return false;
	return strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int domain_add_in(struct db *db, const struct scope *s, const char *code, const char *title,
			 const char *side, struct errinfo *e)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO assessment_domains (code, title, side, position, active, updated_at)"
		" SELECT :code, :title, :side, coalesce(max(position), 0) + 1, 1, :now"
		" FROM assessment_domains");
	db_bind_text(st, ":code", code);
	db_bind_text(st, ":title", title);
	db_bind_text(st, ":side", side);
	db_bind_text(st, ":now", now);
	int rc = db_done(st);
	if (rc == HE_DB_CONSTRAINT)
		return errinfo_set(e, HE_CONFLICT, "code", "There is already a domain with the code %s", code);
	return rc ? rc : audit_f(db, s, "create", "assessment_domains", 0, "domain %s \"%.120s\" added to %s",
				 code, title, side);
}

int assess_domain_add(struct db *db, const struct scope *s, const char *code, const char *title,
		      const char *side, struct errinfo *e)
{
	int rc;
	if (!code_valid(code))
		return errinfo_set(e, text_blank(code) ? HE_MISSING : HE_INVALID, "code",
			"Enter a code of 2 to %d lower-case letters, digits or underscores, starting with a letter",
			CODE_MAX);
	if ((rc = text_field_check(title, true, TITLE_MAX, "title", "the domain's title", e)))
		return rc;
	if (!side_known(side))
		return errinfo_set(e, HE_MISSING, "side", "Choose the side of the triangle the domain is on");
	if ((rc = db_begin(db)))
		return rc;
	rc = domain_add_in(db, s, code, title, side, e);
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* The domain's active flag, title and position: HE_NOT_FOUND if none. */
static int domain_row(struct db *db, const char *code, bool *active, char *title, size_t tlen,
		      int *position, char side[16])
{
	bool found = false;
	struct db_stmt *st = db_prepare(db,
		"SELECT active, title, position, side FROM assessment_domains WHERE code = :code");
	db_bind_text(st, ":code", code ? code : "");
	if (db_next(st)) {
		found = true;
		*active = db_int(st, 0) != 0;
		snprintf(title, tlen, "%s", db_text(st, 1));
		*position = (int)db_int(st, 2);
		snprintf(side, 16, "%s", db_text(st, 3));
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

static int active_count(struct db *db, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM assessment_domains WHERE active = 1");
	*n = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

static int domain_update_in(struct db *db, const struct scope *s, const char *code, const char *title,
			    bool active, struct errinfo *e)
{
	char old[TITLE_MAX * 4 + 8], side[16], now[21];
	bool was = false;
	int pos, rc = domain_row(db, code, &was, old, sizeof old, &pos, side);
	int64_t nactive = 0;
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, rc, "", "No such domain");
	if (rc || (rc = active_count(db, &nactive)))
		return rc;
	if (was && !active && nactive <= 1)
		return errinfo_set(e, HE_CONFLICT, "active",
				   "You cannot retire the last active domain: an assessment needs at least one");
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE assessment_domains SET title = :title, active = :active, updated_at = :now"
		" WHERE code = :code");
	db_bind_text(st, ":title", title ? title : old);
	db_bind_int(st, ":active", active ? 1 : 0);
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":code", code);
	if ((rc = db_done(st)))
		return rc;
	return audit_f(db, s, "update", "assessment_domains", 0, "domain %s: \"%.100s\" -> \"%.100s\", %s",
		       code, old, title ? title : old, active ? (was ? "active" : "restored")
		       : (was ? "retired" : "retired"));
}

int assess_domain_update(struct db *db, const struct scope *s, const char *code, const char *title,
			 bool active, struct errinfo *e)
{
	int rc;
	if (title && (rc = text_field_check(title, true, TITLE_MAX, "title", "the domain's title", e)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = domain_update_in(db, s, code, title, active, e);
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* The neighbour of position pos on side (the one just before when delta <
 * 0, else just after): its code and position, *found false at an end. */
static int neighbour(struct db *db, const char *side, int pos, int delta, char code[CODE_MAX + 1],
		     int *npos, bool *found)
{
	*found = false;
	struct db_stmt *st = db_prepare(db, delta < 0
		? "SELECT code, position FROM assessment_domains WHERE side = :side AND position < :pos"
		  " ORDER BY position DESC LIMIT 1"
		: "SELECT code, position FROM assessment_domains WHERE side = :side AND position > :pos"
		  " ORDER BY position LIMIT 1");
	db_bind_text(st, ":side", side);
	db_bind_int(st, ":pos", pos);
	if (db_next(st)) {
		*found = true;
		snprintf(code, CODE_MAX + 1, "%s", db_text(st, 0));
		*npos = (int)db_int(st, 1);
	}
	return db_finalize(st);
}

static int set_position(struct db *db, const char *code, int pos)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE assessment_domains SET position = :pos WHERE code = :code");
	db_bind_int(st, ":pos", pos);
	db_bind_text(st, ":code", code);
	return db_done(st);
}

static int domain_move_in(struct db *db, const struct scope *s, const char *code, int delta,
			  struct errinfo *e)
{
	char title[TITLE_MAX * 4 + 8], side[16], other[CODE_MAX + 1];
	bool active, found;
	int pos, npos = 0;
	int rc = domain_row(db, code, &active, title, sizeof title, &pos, side);
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, rc, "", "No such domain");
	if (rc || (rc = neighbour(db, side, pos, delta, other, &npos, &found)) || !found)
		return rc;
	if ((rc = set_position(db, code, npos)) || (rc = set_position(db, other, pos)))
		return rc;
	return audit_f(db, s, "update", "assessment_domains", 0, "domain %s moved %s (swapped with %s)",
		       code, delta < 0 ? "up" : "down", other);
}

int assess_domain_move(struct db *db, const struct scope *s, const char *code, int delta,
		       struct errinfo *e)
{
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = domain_move_in(db, s, code, delta, e);
	if (rc == HE_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* ---- checking and recording --------------------------------------------- */

static int date_check(const char *on, const char *field, struct errinfo *e)
{
	hday d;
	if (text_blank(on))
		return errinfo_set(e, HE_MISSING, field, "Enter the date of the assessment");
	if (!date_parse(on, &d))
		return errinfo_set(e, HE_INVALID, field, "Enter a real date, for example 2026-03-14");
	if (d > date_today())
		return errinfo_set(e, HE_INVALID, field, "The date of the assessment cannot be in the future");
	return HE_OK;
}

/* Each score names a known, active domain, once, and its texts are sane. */
static int scores_known(const struct assess_in *in, const struct assess_domain *d, size_t nd,
			struct errinfo *e)
{
	int rc;
	for (size_t i = 0; i < in->nscores; i++) {
		const struct assess_score_in *sc = &in->scores[i];
		const struct assess_domain *dom = domain_find(d, nd, sc->domain_code);
		const char *code = sc->domain_code ? sc->domain_code : "";
		char field[64];
		if (!dom || !dom->active)
			return errinfo_set(e, HE_INVALID, "score", "%.40s is not a domain of the assessment%s",
					   code, dom ? " any more: it has been retired" : "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->scores[j].domain_code, code) == 0)
				return errinfo_set(e, HE_INVALID, "score", "%s is scored twice", dom->title);
		snprintf(field, sizeof field, "strengths.%s", code);
		if ((rc = text_field_check(sc->strengths, false, TEXT_DOMAIN, field, "the strengths", e)))
			return rc;
		snprintf(field, sizeof field, "needs.%s", code);
		if ((rc = text_field_check(sc->needs, false, TEXT_DOMAIN, field, "the needs", e)))
			return rc;
	}
	return HE_OK;
}

static const struct assess_score_in *score_of(const struct assess_in *in, const char *code)
{
	for (size_t i = 0; i < in->nscores; i++)
		if (in->scores[i].domain_code && strcmp(in->scores[i].domain_code, code) == 0)
			return &in->scores[i];
	return NULL;
}

/* Every active domain of d (the whole list) scored 1–10. */
static int scores_complete(const struct assess_in *in, const struct assess_domain *d, size_t nd,
			   struct errinfo *e)
{
	for (size_t i = 0; i < nd; i++) {
		const struct assess_score_in *sc = score_of(in, d[i].code);
		char field[64];
		if (!d[i].active)
			continue;
		snprintf(field, sizeof field, "score.%s", d[i].code);
		if (!sc || sc->score == 0)
			return errinfo_set(e, HE_MISSING, field, "Choose a score from 1 to 10 for %s",
					   d[i].title);
		if (sc->score < ASSESS_SCORE_MIN || sc->score > ASSESS_SCORE_MAX)
			return errinfo_set(e, HE_INVALID, field, "The score for %s must be from 1 to 10",
					   d[i].title);
	}
	return HE_OK;
}

int assess_check(struct db *db, const struct assess_in *in, struct errinfo *e)
{
	struct arena a;
	struct assess_domain *d;
	size_t nd = 0;
	int rc;
	if ((rc = date_check(in->assessed_on, "assessed_on", e)))
		return rc;
	if (!kind_known(in->kind))
		return errinfo_set(e, HE_MISSING, "kind", "Choose whether this is an initial assessment, "
				   "a review or a closing assessment");
	if ((rc = text_field_check(in->agreed_with, true, TEXT_NAME, "agreed_with",
			     "who in the family agreed the scores", e)) ||
	    (rc = text_field_check(in->summary, false, TEXT_SUMMARY, "summary", "the summary", e)))
		return rc;
	arena_init(&a);
	if ((rc = assess_domains(db, &a, false, &d, &nd)) == HE_OK &&
	    (rc = scores_known(in, d, nd, e)) == HE_OK)
		rc = scores_complete(in, d, nd, e);
	arena_free(&a);
	return rc;
}

/* What recording needs of the case. */
struct arow { int64_t family_id; char ref[16], status[16], opened_on[11]; };

static int arow_load(struct db *db, int64_t case_id, struct arow *c)
{
	bool found = false;
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db,
		"SELECT family_id, status, opened_on FROM cases WHERE id = :id");
	db_bind_int(st, ":id", case_id);
	if (db_next(st)) {
		found = true;
		c->family_id = db_int(st, 0);
		snprintf(c->status, sizeof c->status, "%s", db_text(st, 1));
		snprintf(c->opened_on, sizeof c->opened_on, "%.10s", db_text(st, 2));
	}
	case_ref(case_id, c->ref);
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

/* The case must be open: checked before the form, so that a closed case
 * says so rather than asking for scores it would refuse anyway. */
static int case_open_check(const struct arow *c, struct errinfo *e)
{
	if (strcmp(c->status, "closed") == 0)
		return errinfo_set(e, HE_CONFLICT, "case", "This case is closed: you cannot record an "
				   "assessment. Its assessments can still be read.");
	if (strcmp(c->status, "stepped_up") == 0)
		return errinfo_set(e, HE_CONFLICT, "case", "This case has been stepped up to children's "
				   "social care: you cannot record an assessment while it is with them.");
	return HE_OK;
}

static int after_opening(const struct arow *c, const char *on, struct errinfo *e)
{
	if (strcmp(on, c->opened_on) < 0)
		return errinfo_set(e, HE_INVALID, "assessed_on", "The date cannot be before the case "
				   "opened (%s)", c->opened_on);
	return HE_OK;
}

/* The assessment a form's one-time key already made (idem_lookup). */
#define ASSESS_IDEM "SELECT id, case_id, coalesce(user_id, 0) FROM assessments WHERE idem_key = :k"

static int insert_head(struct db *db, const struct scope *s, int64_t case_id, int64_t review_id,
		       const struct assess_in *in, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO assessments (case_id, review_id, assessed_on, kind, agreed_with, summary,"
		" user_id, recorded_at, idem_key) VALUES (:case, :review, :on, :kind, :agreed, :summary,"
		" :user, :now, :idem) RETURNING id");
	db_bind_int(st, ":case", case_id);
	if (review_id)
		db_bind_int(st, ":review", review_id);
	else
		db_bind_null(st, ":review");
	db_bind_text(st, ":on", in->assessed_on);
	db_bind_text(st, ":kind", in->kind);
	db_bind_text(st, ":agreed", in->agreed_with);
	db_bind_text(st, ":summary", in->summary ? in->summary : "");
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":idem", text_blank(in->idem_key) ? NULL : in->idem_key);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

/* The scores, copying each domain's code, title, side and position. */
static int insert_scores(struct db *db, int64_t id, const struct assess_in *in,
			 const struct assess_domain *d, size_t nd)
{
	int rc = HE_OK;
	for (size_t i = 0; rc == HE_OK && i < nd; i++) {
		const struct assess_score_in *sc = score_of(in, d[i].code);
		struct db_stmt *st = db_prepare(db,
			"INSERT INTO assessment_scores (assessment_id, position, domain_code, domain_title,"
			" side, score, strengths, needs) VALUES (:id, :pos, :code, :title, :side, :score,"
			" :strengths, :needs)");
		db_bind_int(st, ":id", id);
		db_bind_int(st, ":pos", d[i].position);
		db_bind_text(st, ":code", d[i].code);
		db_bind_text(st, ":title", d[i].title);
		db_bind_text(st, ":side", d[i].side);
		db_bind_int(st, ":score", sc->score);
		db_bind_text(st, ":strengths", sc->strengths ? sc->strengths : "");
		db_bind_text(st, ":needs", sc->needs ? sc->needs : "");
		rc = db_done(st);
	}
	return rc;
}

/* The chronology's line: the kind, who agreed, and the lowest scores. */
static int chron_assessed(struct db *db, const struct scope *s, int64_t case_id, const struct arow *c,
			  const struct assess_in *in, const struct assess_domain *d, size_t nd)
{
	char summary[300], detail[600] = "";
	int low = ASSESS_SCORE_MAX + 1;
	size_t used = 0;
	for (size_t i = 0; i < nd; i++)
		if (score_of(in, d[i].code)->score < low)
			low = score_of(in, d[i].code)->score;
	for (size_t i = 0; i < nd && used < sizeof detail - 1; i++)
		if (score_of(in, d[i].code)->score == low)
			used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s", used ? ", " : "",
						 d[i].title);
	snprintf(summary, sizeof summary, "%s agreed with %.150s (%zu domains)", assess_kind_title(in->kind),
		 in->agreed_with, nd);
	char det[700];
	snprintf(det, sizeof det, "Lowest score %d: %s", low, detail);
	return chron_add(db, s, c->family_id, 0, case_id, in->assessed_on, "assessed", summary, det);
}

static int record_in(struct db *db, const struct scope *s, int64_t case_id, int64_t review_id,
		     const struct arow *c, const struct assess_in *in, int64_t *id, struct errinfo *e)
{
	struct arena a;
	struct assess_domain *d = NULL;
	size_t nd = 0;
	int rc;
	if ((rc = case_open_check(c, e)) || (rc = assess_check(db, in, e)) ||
	    (rc = after_opening(c, in->assessed_on, e)))
		return rc;
	arena_init(&a);
	if ((rc = assess_domains(db, &a, true, &d, &nd)) == HE_OK &&
	    (rc = insert_head(db, s, case_id, review_id, in, id)) == HE_OK &&
	    (rc = insert_scores(db, *id, in, d, nd)) == HE_OK &&
	    (rc = chron_assessed(db, s, case_id, c, in, d, nd)) == HE_OK)
		rc = audit_f(db, s, "create", "assessments", *id, "%s of case %s on %s (%zu domains)%s",
			     assess_kind_title(in->kind), c->ref, in->assessed_on, nd,
			     review_id ? " at a review" : "");
	arena_free(&a);
	return rc;
}

/* Scope, idem and recording, in the open transaction.  *denied: the case is
 * not s's (the denial has been audited in the transaction). */
static int record_scoped(struct db *db, const struct scope *s, int64_t case_id, int64_t review_id,
			 const struct assess_in *in, int64_t *id, bool *denied, struct errinfo *e)
{
	struct arow c;
	bool yes = false;
	int rc = case_visible(db, s, case_id, &yes);
	*denied = false;
	if (rc)
		return rc;
	if (!yes) {
		*denied = true;
		rc = audit_f(db, s, "denied", "cases", case_id, "record assessment: case %" PRId64
			     " outside the caller's scope", case_id);
		return rc ? rc : errinfo_set(e, HE_NOT_FOUND, "", "No such case");
	}
	if ((rc = arow_load(db, case_id, &c)))
		return rc;
	if (!text_blank(in->idem_key) && ((rc = idem_lookup(db, s, ASSESS_IDEM, in->idem_key, case_id, id, e)) || *id))
		return rc ? rc : audit_f(db, s, "view", "assessments", *id, "repeated submission: "
					 "assessment %" PRId64 " of case %s already recorded, nothing added",
					 *id, c.ref);
	return record_in(db, s, case_id, review_id, &c, in, id, e);
}

int assess_record_tx(struct db *db, const struct scope *s, int64_t case_id, int64_t review_id,
		     const struct assess_in *in, int64_t *id, struct errinfo *e)
{
	bool denied;
	*id = 0;
	if (!db_in_transaction(db))
		return errinfo_set(e, HE_INTERNAL, "", "assess_record_tx needs a transaction");
	return record_scoped(db, s, case_id, review_id, in, id, &denied, e);
}

int assess_record(struct db *db, const struct scope *s, int64_t case_id, const struct assess_in *in,
		  int64_t *id, struct errinfo *e)
{
	bool denied = false;
	*id = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = record_scoped(db, s, case_id, 0, in, id, &denied, e);
	if (rc == HE_OK || denied) {
		/* a denial is committed: the attempt stays on the record */
		int crc = db_commit(db);
		return rc ? rc : crc;
	}
	db_rollback(db);
	if (rc == HE_DB_CONSTRAINT && !text_blank(in->idem_key)) {
		/* the same form submitted twice at once: the other insert won */
		rc = idem_again(db, s, ASSESS_IDEM, in->idem_key, case_id, "assessments",
				"an assessment", id, e);
	}
	return rc;
}

/* ---- reading ------------------------------------------------------------- */

static int load_heads(struct db *db, struct arena *a, int64_t case_id, int64_t one_id,
		      struct assessment **out, size_t *n)
{
	size_t cap = 8, k = 0;
	struct assessment *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db,
		"SELECT s.id, s.case_id, coalesce(s.review_id, 0), s.assessed_on, s.kind, s.agreed_with,"
		" s.summary, s.recorded_at, coalesce(u.name, 'Hearth'), f.name, c.status"
		" FROM assessments s JOIN cases c ON c.id = s.case_id JOIN families f ON f.id = c.family_id"
		" LEFT JOIN users u ON u.id = s.user_id"
		" WHERE (:one = 0 AND s.case_id = :case) OR s.id = :one ORDER BY s.assessed_on, s.id");
	db_bind_int(st, ":one", one_id);
	db_bind_int(st, ":case", case_id);
	while (db_next(st)) {
		if (k == cap) {
			struct assessment *w = arena_alloc(a, 2 * cap * sizeof *w);
			memcpy(w, v, cap * sizeof *v);
			v = w;
			cap *= 2;
		}
		v[k].id = db_int(st, 0);
		v[k].case_id = db_int(st, 1);
		v[k].review_id = db_int(st, 2);
		v[k].assessed_on = arena_strdup(a, db_text(st, 3));
		v[k].kind = arena_strdup(a, db_text(st, 4));
		v[k].agreed_with = arena_strdup(a, db_text(st, 5));
		v[k].summary = arena_strdup(a, db_text(st, 6));
		v[k].recorded_at = arena_strdup(a, db_text(st, 7));
		v[k].recorded_by = arena_strdup(a, db_text(st, 8));
		v[k].family_name = arena_strdup(a, db_text(st, 9));
		v[k].case_status = arena_strdup(a, db_text(st, 10));
		k++;
	}
	*out = v;
	*n = k;
	return db_finalize(st);
}

static int load_scores(struct db *db, struct arena *a, struct assessment *as)
{
	size_t cap = 16, k = 0;
	struct assess_score *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db,
		"SELECT domain_code, domain_title, side, position, score, strengths, needs"
		" FROM assessment_scores WHERE assessment_id = :id ORDER BY position, domain_code");
	db_bind_int(st, ":id", as->id);
	while (db_next(st)) {
		if (k == cap) {
			struct assess_score *w = arena_alloc(a, 2 * cap * sizeof *w);
			memcpy(w, v, cap * sizeof *v);
			v = w;
			cap *= 2;
		}
		v[k].domain_code = arena_strdup(a, db_text(st, 0));
		v[k].domain_title = arena_strdup(a, db_text(st, 1));
		v[k].side = arena_strdup(a, db_text(st, 2));
		v[k].position = (int)db_int(st, 3);
		v[k].score = (int)db_int(st, 4);
		v[k].strengths = arena_strdup(a, db_text(st, 5));
		v[k].needs = arena_strdup(a, db_text(st, 6));
		k++;
	}
	as->scores = v;
	as->nscores = k;
	return db_finalize(st);
}

static int load_all(struct db *db, struct arena *a, int64_t case_id, int64_t one_id,
		    struct assessment **out, size_t *n)
{
	int rc = load_heads(db, a, case_id, one_id, out, n);
	for (size_t i = 0; rc == HE_OK && i < *n; i++)
		rc = load_scores(db, a, &(*out)[i]);
	return rc;
}

int assess_list(struct db *db, struct arena *a, int64_t case_id, struct assessment **out, size_t *n)
{
	return load_all(db, a, case_id, 0, out, n);
}

/* In a transaction: audit the view of case_id by s, or its denial. */
static int view_audited(struct db *db, const struct scope *s, int64_t case_id, int64_t id,
			const char *what, bool *yes)
{
	char ref[16];
	int rc = case_visible(db, s, case_id, yes);
	if (rc)
		return rc;
	case_ref(case_id, ref);
	if (!*yes)
		return audit_f(db, s, "denied", id ? "assessments" : "cases", id ? id : case_id,
			       "%s of case %s: outside the caller's scope", what, ref);
	return audit_f(db, s, "view", id ? "assessments" : "cases", id ? id : case_id, "%s of case %s",
		       what, ref);
}

int assess_case_list(struct db *db, struct arena *a, const struct scope *s, int64_t case_id,
		     struct assessment **out, size_t *n, struct errinfo *e)
{
	bool yes = false;
	*out = NULL;
	*n = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = view_audited(db, s, case_id, 0, "assessments", &yes)) == HE_OK && yes)
		rc = load_all(db, a, case_id, 0, out, n);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	if ((rc = db_commit(db)))
		return rc;
	return yes ? HE_OK : errinfo_set(e, HE_NOT_FOUND, "", "No such case");
}

static int case_of(struct db *db, int64_t id, int64_t *case_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT case_id FROM assessments WHERE id = :id");
	db_bind_int(st, ":id", id);
	*case_id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

int assess_load(struct db *db, struct arena *a, const struct scope *s, int64_t id,
		struct assessment *out, struct errinfo *e)
{
	struct assessment *v = NULL;
	size_t n = 0;
	int64_t case_id = 0;
	bool yes = false;
	memset(out, 0, sizeof *out);
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = case_of(db, id, &case_id)) == HE_OK) {
		if (case_id == 0)
			rc = audit_f(db, s, "denied", "assessments", id, "no such assessment %" PRId64, id);
		else if ((rc = view_audited(db, s, case_id, id, "assessment", &yes)) == HE_OK && yes)
			rc = load_all(db, a, 0, id, &v, &n);
	}
	if (rc) {
		db_rollback(db);
		return rc;
	}
	if ((rc = db_commit(db)))
		return rc;
	if (!yes || n != 1)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such assessment");
	*out = v[0];
	return HE_OK;
}

void assess_distance(struct arena *a, const struct assessment *list, size_t n,
		     struct assess_travel **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return;
	const struct assessment *first = &list[0], *last = &list[n - 1];
	struct assess_travel *v = arena_alloc(a, (last->nscores + 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < last->nscores; i++) {
		const struct assess_score *ls = &last->scores[i];
		for (size_t j = 0; j < first->nscores; j++) {
			if (strcmp(first->scores[j].domain_code, ls->domain_code) != 0)
				continue;
			v[k].code = ls->domain_code;
			v[k].title = ls->domain_title;
			v[k].side = ls->side;
			v[k].first = first->scores[j].score;
			v[k].latest = ls->score;
			k++;
			break;
		}
	}
	*out = v;
	*nout = k;
}
