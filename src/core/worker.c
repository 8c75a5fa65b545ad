/* worker.c — the pool of workers: profiles, loads and covers (worker.h).
 *
 * Loads are counted in weighted places: each open case weighs its
 * intensity (1 light, 2 standard, 3 intensive) and a worker has
 * 2 × max_caseload places, so max_caseload keeps its everyday meaning of
 * "how many standard cases".  Profiles and covers change in their own
 * transactions with one audit row each. */
#include "core/worker.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/date.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/caseload_settings.h"
#include "core/chron.h"
#include "core/idem.h"
#include "core/scope.h"
#include "core/settings.h"
#include "store/db.h"

#define NAME_MAX_LEN 200
#define LIST_MAX_LEN 1000

const char *const worker_kinds[] = {
	"family_support", "parent_support", "hslo", "mentor", NULL,
};

static const char *const kind_titles[] = {
	"Family support worker", "Parent support worker",
	"Home–school liaison officer", "Mentor",
};

const char *worker_kind_title(const char *kind)
{
	for (int i = 0; kind && worker_kinds[i]; i++)
		if (strcmp(kind, worker_kinds[i]) == 0)
			return kind_titles[i];
	return NULL;
}

/* One reading of the default, shared with the settings page. */
int worker_default_max(struct db *db, int *max)
{
	return caseload_settings_get(db, max);
}

int worker_load(struct db *db, int64_t worker_id, struct worker_load *out)
{
	memset(out, 0, sizeof *out);
	int def, rc = worker_default_max(db, &def);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db,
		"SELECT w.max_caseload,"
		" (SELECT count(*) FROM cases c WHERE c.worker_id = w.id AND c.status = 'open'),"
		" (SELECT coalesce(sum(c.intensity), 0) FROM cases c"
		"   WHERE c.worker_id = w.id AND c.status = 'open')"
		" FROM workers w WHERE w.id = :id");
	db_bind_int(st, ":id", worker_id);
	bool found = db_next(st);
	if (found) {
		int max = db_is_null(st, 0) ? def : (int)db_int(st, 0);
		out->capacity = 2 * max;
		out->open_cases = (int)db_int(st, 1);
		out->weighted = (int)db_int(st, 2);
	}
	rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

/* ---- checking a profile ------------------------------------------------------- */

/* Does the comma-separated list hold item s (n bytes), ignoring case? */
static bool list_has(const char *list, const char *s, size_t n)
{
	for (const char *q = list; *q; ) {
		size_t qn = strcspn(q, ",");
		if (qn == n && strncasecmp(q, s, n) == 0)
			return true;
		q += qn + (q[qn] ? 1 : 0);
	}
	return false;
}

/* Normalise a comma-separated list into out: items trimmed, empty ones
 * dropped, duplicates (ignoring case) dropped, joined with ",".  codes:
 * items must be lower-case codes [a-z_]; else any text without control
 * characters or commas.  false on a bad item. */
static bool list_norm(const char *in, bool codes, struct buf *out)
{
	for (const char *p = in ? in : "";; ) {
		size_t len = strcspn(p, ","), n = len;
		const char *s = p;
		while (n && isspace((unsigned char)*s))
			s++, n--;
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		for (size_t i = 0; codes && i < n; i++)
			if (!(s[i] >= 'a' && s[i] <= 'z') && s[i] != '_')
				return false;
		if (n && !text_valid(s, n))
			return false;
		if (n && !list_has(buf_str(out), s, n)) {
			if (out->len)
				buf_putc(out, ',');
			buf_append(out, s, n);
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	return !buf_err(out) && out->len <= LIST_MAX_LEN;
}

/* Check the fields that need no database. */
static int check_fields(const struct worker_in *in, struct errinfo *e)
{
	if (text_blank(in->name))
		return errinfo_set(e, HE_MISSING, "name", "Enter the worker's name");
	if (strlen(in->name) > NAME_MAX_LEN || !text_valid(in->name, strlen(in->name)))
		return errinfo_set(e, HE_INVALID, "name",
			"Name must be %d characters or fewer", NAME_MAX_LEN);
	if (text_blank(in->employer))
		return errinfo_set(e, HE_MISSING, "employer", "Enter the worker's employer");
	if (strlen(in->employer) > NAME_MAX_LEN || !text_valid(in->employer, strlen(in->employer)))
		return errinfo_set(e, HE_INVALID, "employer",
			"Employer must be %d characters or fewer", NAME_MAX_LEN);
	if (!in->kind || !*in->kind)
		return errinfo_set(e, HE_MISSING, "kind", "Select the worker's role");
	if (!worker_kind_title(in->kind))
		return errinfo_set(e, HE_INVALID, "kind",
			"Select a role from the list: family support worker, parent support"
			" worker, home–school liaison officer or mentor");
	if (in->hours_per_week < 1 || in->hours_per_week > 60)
		return errinfo_set(e, HE_INVALID, "hours_per_week",
			"Hours per week must be a whole number from 1 to 60");
	if (in->max_caseload < 0 || in->max_caseload > 100)
		return errinfo_set(e, HE_INVALID, "max_caseload",
			"Maximum caseload must be a whole number from 1 to 100, or blank for"
			" the partnership's default");
	return HE_OK;
}

/* 1 if a row of sql (binding :id) exists, 0 if not, -1 on error. */
static int exists(struct db *db, const char *sql, int64_t id)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	bool yes = db_next(st);
	return db_finalize(st) ? -1 : yes;
}

/* Check the linked user, schools and districts exist. */
static int check_refs(struct db *db, int64_t id, const struct worker_in *in, struct errinfo *e)
{
	if (in->user_id) {
		int x = exists(db, "SELECT 1 FROM users WHERE id = :id AND role = 'worker'",
			       in->user_id);
		if (x <= 0)
			return errinfo_set(e, x < 0 ? HE_DB : HE_INVALID, "user_id",
				"Select a user with the worker role, or none");
		struct db_stmt *st = db_prepare(db,
			"SELECT id FROM workers WHERE user_id = :user AND id <> :id");
		db_bind_int(st, ":user", in->user_id);
		db_bind_int(st, ":id", id);
		bool taken = db_next(st);
		if (db_finalize(st))
			return errinfo_set(e, HE_DB, "", "%s", db_errmsg(db));
		if (taken)
			return errinfo_set(e, HE_CONFLICT, "user_id",
				"That user is already linked to another worker's profile");
	}
	for (size_t i = 0; i < in->nschools; i++) {
		int x = exists(db, "SELECT 1 FROM schools WHERE id = :id", in->school_ids[i]);
		if (x <= 0)
			return errinfo_set(e, x < 0 ? HE_DB : HE_INVALID, "schools",
				"Select schools from the list");
	}
	for (size_t i = 0; i < in->ndistricts; i++) {
		int x = exists(db, "SELECT 1 FROM districts WHERE id = :id", in->district_ids[i]);
		if (x <= 0)
			return errinfo_set(e, x < 0 ? HE_DB : HE_INVALID, "districts",
				"Select districts from the list");
	}
	return HE_OK;
}

/* ---- saving --------------------------------------------------------------------- */

static void bind_profile(struct db_stmt *st, const struct worker_in *in, const char *skills,
			 const char *languages, const char *now)
{
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":employer", in->employer);
	db_bind_text(st, ":kind", in->kind);
	db_bind_int(st, ":hours", in->hours_per_week);
	if (in->max_caseload)
		db_bind_int(st, ":max", in->max_caseload);
	else
		db_bind_null(st, ":max");
	db_bind_text(st, ":skills", skills);
	db_bind_text(st, ":languages", languages);
	if (in->user_id)
		db_bind_int(st, ":user", in->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
}

/* Insert (id 0, sets *id) or update the workers row. */
static int write_profile(struct db *db, const struct scope *s, int64_t *id,
			 const struct worker_in *in, const char *skills, const char *languages)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st;
	if (*id == 0) {
		st = db_prepare(db,
			"INSERT INTO workers (user_id, name, employer, kind, hours_per_week,"
			" max_caseload, skills, languages, created_at, updated_at, idem_key, created_by)"
			" VALUES (:user, :name, :employer, :kind, :hours, :max, :skills, :languages, :now,"
			" :now, :idem, :by) RETURNING id");
		bind_profile(st, in, skills, languages, now);
		db_bind_text(st, ":idem", text_blank(in->idem_key) ? NULL : in->idem_key);
		if (s->user_id)
			db_bind_int(st, ":by", s->user_id);
		else
			db_bind_null(st, ":by");
		*id = db_next(st) ? db_int(st, 0) : 0;
		return db_finalize(st);
	}
	st = db_prepare(db,
		"UPDATE workers SET user_id = :user, name = :name, employer = :employer,"
		" kind = :kind, hours_per_week = :hours, max_caseload = :max, skills = :skills,"
		" languages = :languages, updated_at = :now WHERE id = :id");
	bind_profile(st, in, skills, languages, now);
	db_bind_int(st, ":id", *id);
	int rc = db_done(st);
	return rc ? rc : db_changes(db) == 1 ? HE_OK : HE_NOT_FOUND;
}

/* Replace the worker's schools and districts. */
static int write_links(struct db *db, int64_t id, const struct worker_in *in)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM worker_schools WHERE worker_id = :id");
	db_bind_int(st, ":id", id);
	int rc = db_done(st);
	if (!rc) {
		st = db_prepare(db, "DELETE FROM worker_districts WHERE worker_id = :id");
		db_bind_int(st, ":id", id);
		rc = db_done(st);
	}
	for (size_t i = 0; !rc && i < in->nschools; i++) {
		st = db_prepare(db, "INSERT INTO worker_schools (worker_id, school_id)"
			" VALUES (:id, :s) ON CONFLICT DO NOTHING");
		db_bind_int(st, ":id", id);
		db_bind_int(st, ":s", in->school_ids[i]);
		rc = db_done(st);
	}
	for (size_t i = 0; !rc && i < in->ndistricts; i++) {
		st = db_prepare(db, "INSERT INTO worker_districts (worker_id, district_id)"
			" VALUES (:id, :d) ON CONFLICT DO NOTHING");
		db_bind_int(st, ":id", id);
		db_bind_int(st, ":d", in->district_ids[i]);
		rc = db_done(st);
	}
	return rc;
}

static int save_audit(struct db *db, const struct scope *s, bool created, int64_t id,
		      const struct worker_in *in)
{
	char idtext[24], summary[512];
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	snprintf(summary, sizeof summary, "%s worker %.200s (%s, %.150s)",
		 created ? "Added" : "Updated", in->name, in->kind, in->employer);
	return audit(db, s->who, created ? "create" : "update", "workers", idtext, summary);
}

/* ---- one-time keys -------------------------------------------------------------- */

/* sql selects, for a form's one-time key :k, the row's id, its worker (0
 * for a new worker) and the user who added it. */
#define WORKER_IDEM "SELECT id, 0, coalesce(created_by, 0) FROM workers WHERE idem_key = :k"
#define COVER_IDEM "SELECT id, worker_id, coalesce(recorded_by, 0) FROM worker_covers" \
	" WHERE idem_key = :k"

/* The row (of sql, above; entity its table) a form's one-time key already
 * made: *id (0 if none), with a "view" audit row saying nothing was added.
 * A key used for another worker, or by someone else, is a conflict, never
 * their row.  Caller's transaction. */
static int idem_find(struct db *db, const struct scope *s, const char *sql, const char *entity,
		     const char *key, int64_t worker_id, int64_t *id, struct errinfo *e)
{
	char idtext[24];
	int rc = idem_lookup(db, s, sql, key, worker_id, id, e);
	if (rc || !*id)
		return rc;
	snprintf(idtext, sizeof idtext, "%lld", (long long)*id);
	rc = audit(db, s->who, "view", entity, idtext,
		   "repeated submission: already recorded, nothing added");
	return rc ? errinfo_set(e, rc, "", "%s", db_errmsg(db)) : HE_OK;
}

/* idem_find in a transaction of its own, after an insert failed on the
 * key's unique index: the same form submitted twice at once, and the other
 * insert won.  Not finding it leaves HE_DB_CONSTRAINT. */
static int idem_find_tx(struct db *db, const struct scope *s, const char *sql, const char *entity,
			const char *key, int64_t worker_id, int64_t *id, struct errinfo *e)
{
	*id = 0;
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!(rc = idem_find(db, s, sql, entity, key, worker_id, id, e)))
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	if (rc == HE_OK && !*id)
		return HE_DB_CONSTRAINT;
	if (rc == HE_OK && *id && e)
		memset(e, 0, sizeof *e);
	return rc;
}

/* The profile's writes, in worker_save's transaction.  *first is set (and
 * nothing written) when a new worker's one-time key was used before. */
static int save_in(struct db *db, const struct scope *s, int64_t id, const struct worker_in *in,
		   const char *skills, const char *languages, int64_t *wid, int64_t *first,
		   struct errinfo *e)
{
	int rc;
	*wid = id;
	if (id == 0 && !text_blank(in->idem_key) &&
	    ((rc = idem_find(db, s, WORKER_IDEM, "workers", in->idem_key, 0, first, e)) || *first))
		return rc;
	if ((rc = check_refs(db, id, in, e)))
		return rc;
	rc = write_profile(db, s, wid, in, skills, languages);
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, rc, "", "There is no such worker");
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	if (!(rc = write_links(db, *wid, in)))
		rc = save_audit(db, s, id == 0, *wid, in);
	return rc;
}

int worker_save(struct db *db, const struct scope *s, int64_t id, const struct worker_in *in,
		int64_t *out_id, struct errinfo *e)
{
	struct buf skills, languages;
	buf_init(&skills, 4096);
	buf_init(&languages, 4096);
	int64_t wid = 0, first = 0;
	int rc;
	if (!caps_has(s->caps, CAP_WORKERS_MANAGE)) {
		rc = errinfo_set(e, HE_FORBIDDEN, "", "You cannot change workers' profiles");
		goto fail;
	}
	if ((rc = check_fields(in, e)))
		goto fail;
	if (!list_norm(in->skills, true, &skills)) {
		rc = errinfo_set(e, HE_INVALID, "skills", "Select skills from the list");
		goto fail;
	}
	if (!list_norm(in->languages, false, &languages)) {
		rc = errinfo_set(e, HE_INVALID, "languages",
			"Languages must be names separated by commas, like Gujarati, Polish");
		goto fail;
	}
	if ((rc = db_begin(db)))
		goto fail;
	rc = save_in(db, s, id, in, buf_str(&skills), buf_str(&languages), &wid, &first, e);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (id == 0 && !text_blank(in->idem_key) && rc == HE_DB_CONSTRAINT)
			/* The same form submitted twice at once: the other insert won. */
			rc = idem_find_tx(db, s, WORKER_IDEM, "workers", in->idem_key, 0, &first, e);
		if (rc && e && !e->code)
			errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	if (rc == HE_OK && out_id)
		*out_id = first ? first : wid;
fail:
	buf_free(&skills);
	buf_free(&languages);
	return rc;
}

/* ---- covers ------------------------------------------------------------------------ */

/* The worker's name into the arena-free buffer name (empty if unknown);
 * 1 found, 0 not, -1 error. */
static int worker_name(struct db *db, int64_t id, char *name, size_t len)
{
	struct db_stmt *st = db_prepare(db, "SELECT name FROM workers WHERE id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	snprintf(name, len, "%s", found ? db_text(st, 0) : "");
	return db_finalize(st) ? -1 : found;
}

static int cover_check(struct db *db, int64_t worker_id, int64_t for_worker_id, const char *from,
		       const char *until, const char *reason, struct errinfo *e)
{
	hday f, u;
	char name[8];
	if (worker_name(db, worker_id, name, sizeof name) <= 0)
		return errinfo_set(e, HE_NOT_FOUND, "", "There is no such worker");
	if (!for_worker_id || worker_name(db, for_worker_id, name, sizeof name) <= 0)
		return errinfo_set(e, HE_INVALID, "for_worker_id", "Select the colleague to cover");
	if (worker_id == for_worker_id)
		return errinfo_set(e, HE_INVALID, "for_worker_id",
			"A worker cannot cover their own cases: select a colleague");
	if (!from || !date_parse(from, &f))
		return errinfo_set(e, HE_INVALID, "from", "Enter the first day of cover as YYYY-MM-DD");
	if (!until || !date_parse(until, &u))
		return errinfo_set(e, HE_INVALID, "until", "Enter the last day of cover as YYYY-MM-DD");
	if (u < f)
		return errinfo_set(e, HE_INVALID, "until",
			"The last day of cover must be on or after the first");
	if (u - f > 366)
		return errinfo_set(e, HE_INVALID, "until", "Cover can last a year at most");
	if (text_blank(reason))
		return errinfo_set(e, HE_MISSING, "reason", "Enter why cover is needed (leave, sickness, …)");
	if (strlen(reason) > 1000 || !text_valid(reason, strlen(reason)))
		return errinfo_set(e, HE_INVALID, "reason", "Reason must be 1000 characters or fewer");
	return HE_OK;
}

static int cover_insert(struct db *db, const struct scope *s, int64_t worker_id,
			int64_t for_worker_id, const char *from, const char *until,
			const char *reason, const char *idem_key, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO worker_covers (worker_id, for_worker_id, starts_on, ends_on, reason,"
		" recorded_by, recorded_at, idem_key) VALUES (:w, :f, :from, :until, :reason, :by,"
		" :now, :idem) RETURNING id");
	db_bind_text(st, ":idem", idem_key);
	db_bind_int(st, ":w", worker_id);
	db_bind_int(st, ":f", for_worker_id);
	db_bind_text(st, ":from", from);
	db_bind_text(st, ":until", until);
	db_bind_text(st, ":reason", reason);
	if (s->user_id)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":now", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* A chronology "cover" event on each open case of for_worker_id. */
static int cover_chron(struct db *db, const struct scope *s, int64_t for_worker_id,
		       const char *from, const char *summary)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, family_id, referral_id FROM cases WHERE worker_id = :w"
		" AND status = 'open' ORDER BY id");
	db_bind_int(st, ":w", for_worker_id);
	int64_t (*rows)[3] = NULL;
	size_t n = 0, cap = 0;
	while (db_next(st)) {
		if (n == cap)
			rows = xrealloc(rows, (cap = cap ? 2 * cap : 16) * sizeof *rows);
		rows[n][0] = db_int(st, 0), rows[n][1] = db_int(st, 1), rows[n][2] = db_int(st, 2);
		n++;
	}
	int rc = db_finalize(st);
	for (size_t i = 0; !rc && i < n; i++)
		rc = chron_add(db, s, rows[i][1], rows[i][2], rows[i][0], from, "cover", summary, "");
	free(rows);
	return rc;
}

int worker_cover_add(struct db *db, const struct scope *s, int64_t worker_id,
		     int64_t for_worker_id, const char *from, const char *until,
		     const char *reason, const char *idem_key, int64_t *out_id, struct errinfo *e)
{
	int64_t id = 0;
	if (out_id)
		*out_id = 0;
	if (!caps_has(s->caps, CAP_WORKERS_MANAGE))
		return errinfo_set(e, HE_FORBIDDEN, "", "You cannot record cover");
	const char *key = text_blank(idem_key) ? NULL : idem_key;
	int rc = db_begin(db);
	if (rc)
		return errinfo_set(e, rc, "", "%s", db_errmsg(db));
	char who[NAME_MAX_LEN + 1], whom[NAME_MAX_LEN + 1], summary[600], idtext[24];
	if (key && ((rc = idem_find(db, s, COVER_IDEM, "worker_covers", key, worker_id, &id, e)) ||
		    id)) {
		if (!rc)
			rc = db_commit(db);
		if (rc)
			db_rollback(db);
		if (rc == HE_OK && out_id)
			*out_id = id;
		return rc;
	}
	rc = cover_check(db, worker_id, for_worker_id, from, until, reason, e);
	if (!rc) {
		worker_name(db, worker_id, who, sizeof who);
		worker_name(db, for_worker_id, whom, sizeof whom);
		snprintf(summary, sizeof summary, "%s covers %s's cases from %s to %s", who, whom,
			 from, until);
		rc = cover_insert(db, s, worker_id, for_worker_id, from, until, reason, key, &id);
	}
	if (!rc)
		rc = cover_chron(db, s, for_worker_id, from, summary);
	if (!rc) {
		snprintf(idtext, sizeof idtext, "%lld", (long long)id);
		rc = audit(db, s->who, "create", "worker_covers", idtext, summary);
	}
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (key && rc == HE_DB_CONSTRAINT)
			/* The same form submitted twice at once: the other insert won. */
			rc = idem_find_tx(db, s, COVER_IDEM, "worker_covers", key, worker_id, &id, e);
		if (rc && e && !e->code)
			errinfo_set(e, rc, "", "%s", db_errmsg(db));
	}
	if (rc == HE_OK && out_id)
		*out_id = id;
	return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

#define WORKER_COLS \
	"SELECT w.id, coalesce(w.user_id, 0), w.name, w.employer, w.kind, w.skills," \
	" w.languages, u.email, w.hours_per_week, coalesce(w.max_caseload, 0), w.active" \
	" FROM workers w LEFT JOIN users u ON u.id = w.user_id"

static void worker_row(struct db_stmt *st, struct arena *a, struct worker *w)
{
	memset(w, 0, sizeof *w);
	w->id = db_int(st, 0);
	w->user_id = db_int(st, 1);
	w->name = arena_strdup(a, db_text(st, 2));
	w->employer = arena_strdup(a, db_text(st, 3));
	w->kind = arena_strdup(a, db_text(st, 4));
	w->skills = arena_strdup(a, db_text(st, 5));
	w->languages = arena_strdup(a, db_text(st, 6));
	w->user_email = arena_strdup(a, db_text(st, 7));
	w->hours_per_week = (int)db_int(st, 8);
	w->max_caseload = (int)db_int(st, 9);
	w->active = db_int(st, 10) != 0;
}

/* The ids of sql's first column (binding :id) into an arena array. */
static int id_list(struct db *db, struct arena *a, const char *sql, int64_t id,
		   int64_t **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (db_next(st)) {
		if (*n == cap) {
			int64_t *grown = arena_alloc(a, (cap = cap ? 2 * cap : 8) * sizeof *grown);
			if (*n)
				memcpy(grown, *out, *n * sizeof *grown);
			*out = grown;
		}
		(*out)[(*n)++] = db_int(st, 0);
	}
	return db_finalize(st);
}

int worker_get(struct db *db, struct arena *a, int64_t id, struct worker *out)
{
	struct db_stmt *st = db_prepare(db, WORKER_COLS " WHERE w.id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found)
		worker_row(st, a, out);
	int rc = db_finalize(st);
	if (rc || !found)
		return rc ? rc : HE_NOT_FOUND;
	rc = worker_load(db, id, &out->load);
	if (!rc)
		rc = id_list(db, a, "SELECT school_id FROM worker_schools WHERE worker_id = :id"
			     " ORDER BY school_id", id, &out->school_ids, &out->nschools);
	if (!rc)
		rc = id_list(db, a, "SELECT district_id FROM worker_districts WHERE worker_id = :id"
			     " ORDER BY district_id", id, &out->district_ids, &out->ndistricts);
	return rc;
}

int worker_list(struct db *db, struct arena *a, struct worker **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, WORKER_COLS " ORDER BY w.active DESC, w.name, w.id");
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (db_next(st)) {
		if (*n == cap) {
			struct worker *grown = arena_alloc(a, (cap = cap ? 2 * cap : 32) * sizeof *grown);
			if (*n)
				memcpy(grown, *out, *n * sizeof *grown);
			*out = grown;
		}
		worker_row(st, a, &(*out)[(*n)++]);
	}
	int rc = db_finalize(st);
	for (size_t i = 0; !rc && i < *n; i++)
		rc = worker_load(db, (*out)[i].id, &(*out)[i].load);
	return rc;
}

int worker_covers(struct db *db, struct arena *a, int64_t worker_id,
		  struct worker_cover **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT c.id, c.worker_id, c.for_worker_id, w.name, f.name, c.starts_on,"
		" c.ends_on, c.reason FROM worker_covers c JOIN workers w ON w.id = c.worker_id"
		" JOIN workers f ON f.id = c.for_worker_id"
		" WHERE c.worker_id = :id OR c.for_worker_id = :id ORDER BY c.starts_on DESC, c.id DESC");
	db_bind_int(st, ":id", worker_id);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (db_next(st)) {
		if (*n == cap) {
			struct worker_cover *g = arena_alloc(a, (cap = cap ? 2 * cap : 8) * sizeof *g);
			if (*n)
				memcpy(g, *out, *n * sizeof *g);
			*out = g;
		}
		struct worker_cover *c = &(*out)[(*n)++];
		c->id = db_int(st, 0);
		c->worker_id = db_int(st, 1);
		c->for_worker_id = db_int(st, 2);
		c->worker_name = arena_strdup(a, db_text(st, 3));
		c->for_worker_name = arena_strdup(a, db_text(st, 4));
		c->starts_on = arena_strdup(a, db_text(st, 5));
		c->ends_on = arena_strdup(a, db_text(st, 6));
		c->reason = arena_strdup(a, db_text(st, 7));
	}
	return db_finalize(st);
}
