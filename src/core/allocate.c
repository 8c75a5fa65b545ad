/* allocate.c — screening decisions and allocation suggestions (allocate.h).
 *
 * Ranking.  Each active worker scores points, and every point has a
 * reason the coordinator sees:
 *   free capacity   up to 30, in proportion to the share of the worker's
 *                   weighted places still free ("22 of 36 weighted places
 *                   free"); a worker without room for a standard case
 *                   (fewer than 2 places free) loses 100 ("full: 35 of 36
 *                   weighted places used"): still listed, since the
 *                   coordinator may override, but last
 *   school link     25 if the worker serves a school of the referral
 *                   (the referring school or a pupil's school)
 *   district link   10 if the worker covers the district of one of them
 *   skills          8 for each need of the referral among the worker's
 *                   skills, at most 3 needs counted
 *   language        20 if the family's home language is not English and
 *                   the worker speaks it
 *   continuity      30 if the worker has had a case with this family;
 *                   2 for each other family from this school they have
 *                   worked with, at most 10
 * Ties go by name, then id, so the order is deterministic. */
#include "core/allocate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/case.h"
#include "core/chron.h"
#include "core/consent.h"
#include "core/referral.h"
#include "core/scope.h"
#include "store/db.h"

#define NOTE_MAX 2000
#define SIGNPOST_MAX 500

enum decision { D_ACCEPT, D_SIGNPOST, D_DECLINE, D_STEP_UP, D_NONE };

static const char *const decisions[] = {"accept", "signpost", "decline", "step_up", NULL};
static const char *const statuses[] = {"accepted", "signposted", "declined", "stepped_up"};
static const char *const chron_kind[] = {"accepted", "signposted", "declined", "stepped_up"};

static enum decision decision_parse(const char *d)
{
	for (int i = 0; d && decisions[i]; i++)
		if (strcmp(d, decisions[i]) == 0)
			return (enum decision)i;
	return D_NONE;
}

/* Check the decision's fields (no database); *on gets the decision's date. */
static int check_in(const struct decision_in *in, enum decision d, hday *on, struct errinfo *e)
{
	if (d == D_NONE)
		return errinfo_set(e, in->decision && *in->decision ? HE_INVALID : HE_MISSING,
			"decision", "Select a decision: accept, signpost, decline or step up");
	if (in->note && (strlen(in->note) > NOTE_MAX || !text_valid(in->note, strlen(in->note))))
		return errinfo_set(e, HE_INVALID, "note", "The note must be %d characters or fewer",
				   NOTE_MAX);
	if (d == D_ACCEPT) {
		if (in->worker_id <= 0)
			return errinfo_set(e, HE_MISSING, "worker_id", "Select the worker to allocate");
		if (in->intensity < 0 || in->intensity > 3)
			return errinfo_set(e, HE_INVALID, "intensity",
				"Select the intensity: light (1), standard (2) or intensive (3)");
		if (in->override_capacity && text_blank(in->note))
			return errinfo_set(e, HE_MISSING, "note",
				"Give the reason for allocating beyond the worker's capacity");
	}
	if (d == D_SIGNPOST && text_blank(in->signposted_to))
		return errinfo_set(e, HE_MISSING, "signposted_to",
			"Enter where the family is signposted to");
	if (d == D_SIGNPOST && (strlen(in->signposted_to) > SIGNPOST_MAX ||
				!text_valid(in->signposted_to, strlen(in->signposted_to))))
		return errinfo_set(e, HE_INVALID, "signposted_to",
			"Where the family is signposted to must be %d characters or fewer", SIGNPOST_MAX);
	if ((d == D_DECLINE || d == D_STEP_UP) && text_blank(in->note))
		return errinfo_set(e, HE_MISSING, "note", d == D_DECLINE
			? "Give the reason for declining the referral"
			: "Give the reason for stepping up to children's social care");
	*on = date_today();
	if (in->on_date && *in->on_date) {
		if (!date_parse(in->on_date, on))
			return errinfo_set(e, HE_INVALID, "on_date", "Enter the date as YYYY-MM-DD");
		if (*on > date_today())
			return errinfo_set(e, HE_INVALID, "on_date",
				"The date of the decision cannot be in the future");
	}
	return HE_OK;
}

/* The referral as the decision needs it. */
struct ref_row {
	int64_t family_id, version;
	char status[16], received[11];
};

static int ref_load(struct db *db, int64_t id, struct ref_row *r)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT family_id, version, status, received_at FROM referrals WHERE id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		r->family_id = db_int(st, 0);
		r->version = db_int(st, 1);
		snprintf(r->status, sizeof r->status, "%s", db_text(st, 2));
		snprintf(r->received, sizeof r->received, "%.10s", db_text(st, 3));
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

/* The worker's name (active workers only) into name; HE_INVALID if none. */
static int worker_active_name(struct db *db, int64_t id, char *name, size_t len, struct errinfo *e)
{
	struct db_stmt *st = db_prepare(db, "SELECT name FROM workers WHERE id = :id AND active = 1");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	snprintf(name, len, "%s", found ? db_text(st, 0) : "");
	int rc = db_finalize(st);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return found ? HE_OK : errinfo_set(e, HE_INVALID, "worker_id",
		"Select a worker from the pool's list");
}

/* Accept's checks in the transaction: the worker, the pool consent and
 * capacity.  name gets the worker's name; *over whether beyond capacity. */
static int accept_check(struct db *db, const struct ref_row *rr, const struct decision_in *in,
			int intensity, char *name, size_t len, bool *over, struct errinfo *e)
{
	int rc = worker_active_name(db, in->worker_id, name, len, e);
	if (rc)
		return rc;
	bool active = false;
	if ((rc = consent_basis_active(db, rr->family_id, "pool", &active)))
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!active)
		return errinfo_set(e, HE_CONFLICT, "consent",
			"The family's consent for the family support service has been withdrawn:"
			" record a new consent or lawful basis before accepting, or decline,"
			" signpost or step up");
	struct worker_load l;
	if ((rc = worker_load(db, in->worker_id, &l)))
		return errinfo_set(e, rc, "worker_id", "Select a worker from the pool's list");
	*over = l.weighted + intensity > l.capacity;
	if (*over && !in->override_capacity)
		return errinfo_set(e, HE_CONFLICT, "override_capacity",
			"%s has %d of %d weighted places used; this case (weight %d) would take"
			" them beyond capacity. Choose another worker, or allocate beyond capacity"
			" and give the reason", name, l.weighted, l.capacity, intensity);
	return HE_OK;
}

/* Set the referral's decision, if it is still at version and received. */
static int ref_update(struct db *db, const struct scope *s, int64_t id, const struct decision_in *in,
		      enum decision d, const char *decided_at, struct errinfo *e)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE referrals SET status = :status, decided_at = :at, decided_by = :by,"
		" decision_note = :note, signposted_to = :to, version = version + 1"
		" WHERE id = :id AND version = :version AND status = 'received'");
	db_bind_text(st, ":status", statuses[d]);
	db_bind_text(st, ":at", decided_at);
	if (s->user_id)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":note", text_blank(in->note) ? NULL : in->note);
	db_bind_text(st, ":to", d == D_SIGNPOST ? in->signposted_to : NULL);
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":version", in->version);
	int rc = db_done(st);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (db_changes(db) != 1)
		return errinfo_set(e, HE_CONFLICT, "version",
			"This referral was changed by someone else since you opened it:"
			" nothing was saved. Reload it to see the latest");
	return HE_OK;
}

/* The chronology and audit summary of the decision. */
static void summarise(struct buf *b, const char *ref, enum decision d, const struct decision_in *in,
		      const char *worker, int intensity, bool over)
{
	switch (d) {
	case D_ACCEPT:
		buf_printf(b, "%s accepted: allocated to %s (weight %d)", ref, worker, intensity);
		if (over)
			buf_printf(b, ", beyond capacity by override: %s", in->note);
		break;
	case D_SIGNPOST:
		buf_printf(b, "%s signposted to %s", ref, in->signposted_to);
		break;
	case D_DECLINE:
		buf_printf(b, "%s declined: %s", ref, in->note);
		break;
	case D_STEP_UP:
		buf_printf(b, "%s stepped up to children's social care: %s", ref, in->note);
		break;
	default:
		break;
	}
}

/* Refuse an undecidable referral: decided already or a stale version; or
 * a decision dated other than today by anyone but the system. */
static int ref_state_check(const struct scope *s, const struct ref_row *rr,
			   const struct decision_in *in, hday on, struct errinfo *e)
{
	if (strcmp(rr->status, "received") != 0)
		return errinfo_set(e, HE_CONFLICT, "version",
			"This referral has already been decided (%s): nothing was changed",
			referral_status_title(rr->status));
	if (rr->version != in->version)
		return errinfo_set(e, HE_CONFLICT, "version",
			"This referral was changed by someone else since you opened it:"
			" nothing was saved. Reload it to see the latest");
	if (on != date_today() && !scope_is_system(s))
		return errinfo_set(e, HE_INVALID, "on_date", "A decision is dated the day it is made:"
				   " leave the date out");
	hday rec;
	if (date_parse(rr->received, &rec) && on < rec)
		return errinfo_set(e, HE_INVALID, "on_date",
			"The decision cannot be dated before the referral was received (%s)",
			rr->received);
	return HE_OK;
}

/* The decision inside the open transaction. */
static int decide_tx(struct db *db, const struct scope *s, int64_t id, const struct decision_in *in,
		     enum decision d, hday on, int64_t *case_id, struct errinfo *e)
{
	struct ref_row rr;
	char ref[16], worker[256] = "", day[11], decided_at[21], idtext[24];
	int intensity = in->intensity ? in->intensity : 2;
	bool over = false;
	int rc = ref_load(db, id, &rr);
	if (rc)
		return errinfo_set(e, rc, "", rc == HE_NOT_FOUND ? "There is no such referral" : "%s",
				   db_errmsg(db));
	if ((rc = ref_state_check(s, &rr, in, on, e)))
		return rc;
	if (d == D_ACCEPT && (rc = accept_check(db, &rr, in, intensity, worker, sizeof worker,
						 &over, e)))
		return rc;
	date_format(on, day);
	if (on == date_today())
		timestamp_format(time(NULL), decided_at);
	else
		snprintf(decided_at, sizeof decided_at, "%sT12:00:00Z", day);
	if ((rc = ref_update(db, s, id, in, d, decided_at, e)))
		return rc;
	referral_ref(id, ref);
	struct buf sum;
	buf_init(&sum, 4096);
	summarise(&sum, ref, d, in, worker, intensity, over);
	rc = chron_add(db, s, rr.family_id, id, 0, day, chron_kind[d], buf_str(&sum),
		       text_blank(in->note) ? "" : in->note);
	if (!rc && d == D_ACCEPT)
		rc = case_open_tx(db, s, id, in->worker_id, intensity, over, day, case_id, e);
	if (!rc) {
		snprintf(idtext, sizeof idtext, "%lld", (long long)id);
		rc = audit(db, s->who, "decide", "referrals", idtext, buf_str(&sum));
	}
	buf_free(&sum);
	if (rc && e && !e->code)
		errinfo_set(e, rc, "", "%s", db_errmsg(db));
	return rc;
}

/* Is the referral in s's scope?  Audits the denial when not. */
static int decide_scope(struct db *db, const struct scope *s, int64_t id, struct errinfo *e)
{
	if (!caps_has(s->caps, CAP_REFERRALS_ALL))
		return errinfo_set(e, HE_FORBIDDEN, "", "Only the coordinator screens referrals");
	bool yes = false;
	int rc = referral_visible(db, s, id, &yes);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!yes) {
		char idtext[24];
		snprintf(idtext, sizeof idtext, "%lld", (long long)id);
		audit_alone(db, s->who, "denied", "referrals", idtext, "decision on a referral out of scope");
		return errinfo_set(e, HE_NOT_FOUND, "", "There is no such referral");
	}
	return HE_OK;
}

int referral_decide(struct db *db, const struct scope *s, int64_t referral_id,
		    const struct decision_in *in, int64_t *case_id, struct errinfo *e)
{
	enum decision d = decision_parse(in->decision);
	hday on;
	int64_t cid = 0;
	int rc = check_in(in, d, &on, e);
	if (!rc)
		rc = decide_scope(db, s, referral_id, e);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	rc = decide_tx(db, s, referral_id, in, d, on, &cid, e);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (e && !e->code)
			errinfo_set(e, rc, "", "%s", db_errmsg(db));
		return rc;
	}
	if (case_id)
		*case_id = cid;
	return HE_OK;
}

/* ---- suggestions ------------------------------------------------------------------ */

/* What the ranking needs to know of the referral. */
struct ref_ctx {
	int64_t family_id;
	const char *needs, *language;
	int64_t school_ids[16], district_ids[16];
	const char *school_names[16], *district_names[16];
	size_t nschools;
};

static int ctx_load(struct db *db, struct arena *a, int64_t id, struct ref_ctx *c)
{
	memset(c, 0, sizeof *c);
	struct db_stmt *st = db_prepare(db,
		"SELECT r.family_id, r.needs, f.home_language FROM referrals r"
		" JOIN families f ON f.id = r.family_id WHERE r.id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		c->family_id = db_int(st, 0);
		c->needs = arena_strdup(a, db_text(st, 1));
		c->language = arena_strdup(a, db_text(st, 2));
	}
	int rc = db_finalize(st);
	if (rc || !found)
		return rc ? rc : HE_NOT_FOUND;
	st = db_prepare(db,
		"SELECT s.id, s.name, s.district_id, d.name FROM schools s"
		" JOIN districts d ON d.id = s.district_id WHERE s.id IN"
		" (SELECT school_id FROM referral_pupils WHERE referral_id = :id"
		"  UNION SELECT school_id FROM referrals WHERE id = :id AND school_id IS NOT NULL)"
		" ORDER BY s.id");
	db_bind_int(st, ":id", id);
	while (db_next(st) && c->nschools < 16) {
		size_t i = c->nschools++;
		c->school_ids[i] = db_int(st, 0);
		c->school_names[i] = arena_strdup(a, db_text(st, 1));
		c->district_ids[i] = db_int(st, 2);
		c->district_names[i] = arena_strdup(a, db_text(st, 3));
	}
	return db_finalize(st);
}

/* Does the comma-separated list hold item (n bytes), ignoring case? */
static bool list_has(const char *list, const char *item, size_t n)
{
	for (const char *q = list ? list : ""; *q; ) {
		size_t qn = strcspn(q, ",");
		if (qn == n && strncasecmp(q, item, n) == 0)
			return true;
		q += qn + (q[qn] ? 1 : 0);
	}
	return false;
}

static bool ids_has(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Points and reasons for capacity. */
static int score_capacity(const struct worker_load *l, struct buf *why)
{
	int free_places = l->capacity - l->weighted;
	if (free_places < 2) {
		buf_printf(why, "full: %d of %d weighted places used", l->weighted, l->capacity);
		return -100;
	}
	buf_printf(why, "%d of %d weighted places free", free_places, l->capacity);
	return l->capacity > 0 ? free_places * 30 / l->capacity : 0;
}

/* Points and reasons for the school and district links. */
static int score_links(const struct ref_ctx *c, const struct worker *w, struct buf *why)
{
	int pts = 0;
	for (size_t i = 0; i < c->nschools; i++)
		if (ids_has(w->school_ids, w->nschools, c->school_ids[i])) {
			buf_printf(why, "; serves %s", c->school_names[i]);
			pts = 25;
			break;
		}
	for (size_t i = 0; i < c->nschools; i++)
		if (ids_has(w->district_ids, w->ndistricts, c->district_ids[i])) {
			buf_printf(why, "; covers %s", c->district_names[i]);
			return pts + 10;
		}
	return pts;
}

/* Points and reasons for skills and language. */
static int score_skills(const struct ref_ctx *c, const struct worker *w, struct buf *why)
{
	int matched = 0, pts = 0;
	for (const char *p = c->needs ? c->needs : ""; *p; ) {
		size_t n = strcspn(p, ",");
		if (n && list_has(w->skills, p, n) && matched < 3) {
			char code[64];
			snprintf(code, sizeof code, "%.*s", (int)(n < 63 ? n : 63), p);
			const char *title = referral_need_title(code);
			buf_printf(why, "%s%s", matched ? ", " : "; skilled in ", title ? title : code);
			matched++;
		}
		p += n + (p[n] ? 1 : 0);
	}
	pts = 8 * matched;
	const char *lang = c->language;
	if (lang && *lang && strcasecmp(lang, "English") != 0 &&
	    list_has(w->languages, lang, strlen(lang))) {
		buf_printf(why, "; speaks %s", lang);
		pts += 20;
	}
	return pts;
}

/* Points and reasons for continuity with the family and the school. */
static int score_continuity(struct db *db, const struct ref_ctx *c, const struct worker *w,
			    struct buf *why, int *rc)
{
	int pts = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT id FROM cases WHERE family_id = :f AND worker_id = :w ORDER BY opened_on DESC, id DESC");
	db_bind_int(st, ":f", c->family_id);
	db_bind_int(st, ":w", w->id);
	if (db_next(st)) {
		char ref[16];
		case_ref(db_int(st, 0), ref);
		buf_printf(why, "; knows this family (%s)", ref);
		pts += 30;
	}
	if ((*rc = db_finalize(st)) || c->nschools == 0)
		return pts;
	st = db_prepare(db,
		"SELECT count(DISTINCT c.family_id) FROM cases c JOIN referrals r ON r.id = c.referral_id"
		" WHERE c.worker_id = :w AND c.family_id <> :f AND r.school_id = :s");
	db_bind_int(st, ":w", w->id);
	db_bind_int(st, ":f", c->family_id);
	db_bind_int(st, ":s", c->school_ids[0]);
	int64_t n = db_next(st) ? db_int(st, 0) : 0;
	if ((*rc = db_finalize(st)))
		return pts;
	if (n > 0) {
		buf_printf(why, "; has worked with %lld other %s from %s", (long long)n,
			   n == 1 ? "family" : "families", c->school_names[0]);
		pts += (int)(n > 5 ? 10 : 2 * n);
	}
	return pts;
}

static int suggestion_cmp(const void *pa, const void *pb)
{
	const struct suggestion *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->worker_id < b->worker_id ? -1 : a->worker_id > b->worker_id;
}

/* The ids of the active workers, in id order, into an arena array. */
static int active_ids(struct db *db, struct arena *a, int64_t **ids, size_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM workers WHERE active = 1 ORDER BY id");
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	while (db_next(st)) {
		if (*n == cap) {
			int64_t *g = arena_alloc(a, (cap = cap ? 2 * cap : 32) * sizeof *g);
			if (*n)
				memcpy(g, *ids, *n * sizeof *g);
			*ids = g;
		}
		(*ids)[(*n)++] = db_int(st, 0);
	}
	return db_finalize(st);
}

/* Score one worker into out. */
static int suggest_one(struct db *db, struct arena *a, const struct ref_ctx *c, int64_t id,
		       struct suggestion *out)
{
	struct worker w;
	int rc = worker_get(db, a, id, &w);
	if (rc)
		return rc;
	struct buf why;
	buf_init(&why, 4096);
	int score = score_capacity(&w.load, &why);
	score += score_links(c, &w, &why);
	score += score_skills(c, &w, &why);
	score += score_continuity(db, c, &w, &why, &rc);
	out->worker_id = w.id;
	out->name = w.name;
	out->score = score;
	out->load = w.load;
	out->reasons = arena_strdup(a, buf_str(&why));
	buf_free(&why);
	return rc;
}

int allocate_suggest(struct db *db, struct arena *a, int64_t referral_id, struct suggestion **out,
		     size_t *n, struct errinfo *e)
{
	struct ref_ctx c;
	int64_t *ids;
	size_t nids;
	*out = NULL;
	*n = 0;
	int rc = ctx_load(db, a, referral_id, &c);
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, rc, "", "There is no such referral");
	if (!rc)
		rc = active_ids(db, a, &ids, &nids);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	struct suggestion *s = nids ? arena_alloc(a, nids * sizeof *s) : NULL;
	for (size_t i = 0; i < nids; i++)
		if ((rc = suggest_one(db, a, &c, ids[i], &s[i])))
			return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (nids)
		qsort(s, nids, sizeof *s, suggestion_cmp);
	*out = s;
	*n = nids;
	return HE_OK;
}
