/* destination.c — destinations at 16 (see destination.h).
 *
 * One SQL fragment decides who may reach a pupil: a child member of a
 * family whose case the caller may see, by the rule of case_visible
 * (coordinator: all; worker: own cases and those of a colleague covered
 * today).  It is repeated in each query rather than checked per pupil, so
 * the list of children is one query. */
#include "core/destination.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/chron.h"
#include "core/scope.h"
#include "store/db.h"

const char *const destination_codes[] = {"education", "employment", "training", "neet",
					 "unknown", NULL};
static const char *const titles[] = {"Education", "Employment", "Training",
	"Not in education, employment or training (NEET)", "Not known", NULL};

const char *destination_title(const char *code)
{
	for (int i = 0; code && destination_codes[i]; i++)
		if (strcmp(code, destination_codes[i]) == 0)
			return titles[i];
	return NULL;
}

/* The cases of the pupil's families that s may see (c, m: the pupil's
 * membership), binding :all, :me and :today. */
#define VISIBLE_CASE \
	" FROM family_members m JOIN cases c ON c.family_id = m.family_id" \
	" WHERE m.pupil_id = p.id AND (:all = 1 OR c.worker_id = :me" \
	" OR EXISTS (SELECT 1 FROM worker_covers w WHERE w.worker_id = :me" \
	" AND w.for_worker_id = c.worker_id AND w.starts_on <= :today AND w.ends_on >= :today))"

/* May s reach pupils at all, and through every case (all)? */
static bool reach(const struct scope *s, bool *all)
{
	*all = caps_has(s->caps, CAP_CASES_ALL);
	return *all || (caps_has(s->caps, CAP_CASES_OWN) && s->worker_id > 0);
}

static void bind_scope(struct db_stmt *st, const struct scope *s, bool all)
{
	char today[11];
	date_format(date_today(), today);
	db_bind_int(st, ":all", all ? 1 : 0);
	db_bind_int(st, ":me", s->worker_id);
	db_bind_text(st, ":today", today);
}

static int denied(struct db *db, const struct scope *s, int64_t pupil_id, const char *what,
		  struct errinfo *e)
{
	char idt[24];
	snprintf(idt, sizeof idt, "%" PRId64, pupil_id);
	int rc = audit_alone(db, s->who, "denied", "pupils", pupil_id ? idt : NULL, what);
	return rc ? rc : errinfo_set(e, HE_NOT_FOUND, "", "No such pupil");
}

int destination_pupil(struct db *db, const struct scope *s, const char *upn, int64_t *pupil_id,
		      struct errinfo *e)
{
	char norm[14];
	bool all;
	*pupil_id = 0;
	if (upn && upn_norm(upn, norm) && reach(s, &all)) {
		struct db_stmt *st = db_prepare(db, "SELECT p.id FROM pupils p WHERE p.upn = :upn"
			" AND EXISTS (SELECT 1" VISIBLE_CASE ")");
		db_bind_text(st, ":upn", norm);
		bind_scope(st, s, all);
		if (db_next(st))
			*pupil_id = db_int(st, 0);
		int rc = db_finalize(st);
		if (rc)
			return errinfo_set(e, rc, "", "The pupil could not be read");
	}
	if (*pupil_id)
		return HE_OK;
	return denied(db, s, 0, "Destination: a pupil outside the caller's scope (or no such UPN)", e);
}

/* ---- recording ------------------------------------------------------------ */

struct target {
	int64_t pupil_id, case_id, family_id, referral_id;
	char upn[14], forename[101], dob[11];
};

/* The pupil and the case to note it on, if s may reach them. */
static int target_load(struct db *db, const struct scope *s, int64_t pupil_id, struct target *t,
		       bool *found)
{
	bool all;
	*found = false;
	memset(t, 0, sizeof *t);
	if (!reach(s, &all))
		return HE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT p.id, p.upn, p.forename, p.dob, c.id,"
		" c.family_id, c.referral_id FROM pupils p JOIN cases c ON c.id = (SELECT c.id"
		VISIBLE_CASE " ORDER BY CASE WHEN c.status = 'open' THEN 0 ELSE 1 END,"
		" coalesce(c.closed_on, c.opened_on) DESC, c.id DESC LIMIT 1) WHERE p.id = :p");
	db_bind_int(st, ":p", pupil_id);
	bind_scope(st, s, all);
	if (db_next(st)) {
		*found = true;
		t->pupil_id = db_int(st, 0);
		snprintf(t->upn, sizeof t->upn, "%s", db_text(st, 1));
		snprintf(t->forename, sizeof t->forename, "%s", db_text(st, 2));
		snprintf(t->dob, sizeof t->dob, "%s", db_text(st, 3));
		t->case_id = db_int(st, 4);
		t->family_id = db_int(st, 5);
		t->referral_id = db_int(st, 6);
	}
	return db_finalize(st);
}

static int check(const char *destination, const char *on, const char *note, const char *dob,
		 struct errinfo *e)
{
	hday day, born;
	if (!destination || !*destination)
		return errinfo_set(e, HE_MISSING, "destination", "Choose the young person's destination");
	if (!destination_title(destination))
		return errinfo_set(e, HE_INVALID, "destination", "Choose education, employment, training,"
				   " not in education, employment or training, or not known");
	if (!on || !*on)
		return errinfo_set(e, HE_MISSING, "on", "Enter the date the destination was known");
	if (!date_parse(on, &day))
		return errinfo_set(e, HE_INVALID, "on", "Enter a real date, like 2026-09-14");
	if (day > date_today())
		return errinfo_set(e, HE_INVALID, "on", "The date cannot be in the future");
	if (date_parse(dob, &born) && age_on(born, day) < DESTINATION_AGE_MIN)
		return errinfo_set(e, HE_INVALID, "on", "The young person was under %d on that date:"
				   " a destination at 16 is recorded from age %d", DESTINATION_AGE_MIN,
				   DESTINATION_AGE_MIN);
	return text_field_check(note, false, DESTINATION_NOTE_MAX, "note", "the note", e);
}

static int insert(struct db *db, const struct scope *s, const struct target *t,
		  const char *destination, const char *on, const char *note, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO destinations (pupil_id, destination,"
		" recorded_on, source, note, user_id, created_at) VALUES (:p, :d, :on, 'worker',"
		" :note, :user, :now) RETURNING id");
	db_bind_int(st, ":p", t->pupil_id);
	db_bind_text(st, ":d", destination);
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":note", note ? note : "");
	if (s->user_id)
		db_bind_int(st, ":user", s->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The audit row and the chronology note, in the open transaction. */
static int record_tx(struct db *db, const struct scope *s, const struct target *t,
		     const char *destination, const char *on, const char *note, int64_t id)
{
	char idt[24], summary[200], chron[200];
	snprintf(idt, sizeof idt, "%" PRId64, id);
	snprintf(summary, sizeof summary, "Destination at 16 for pupil %s: %s on %s", t->upn,
		 destination, on);
	int rc = audit(db, s->who, "create", "destinations", idt, summary);
	snprintf(chron, sizeof chron, "Destination at 16 recorded for %s: %s", t->forename,
		 destination_title(destination));
	if (!rc)
		rc = chron_add(db, s, t->family_id, t->referral_id, t->case_id, on, "note", chron,
			       note ? note : "");
	return rc;
}

int destination_record(struct db *db, const struct scope *s, int64_t pupil_id,
		       const char *destination, const char *on, const char *note, int64_t *id,
		       struct errinfo *e)
{
	struct target t;
	bool found;
	int64_t new_id = 0;
	int rc = target_load(db, s, pupil_id, &t, &found);
	if (rc)
		return errinfo_set(e, rc, "", "The pupil could not be read");
	if (!found)
		return denied(db, s, pupil_id, "Destination: pupil outside the caller's scope", e);
	if ((rc = check(destination, on, note, t.dob, e)))
		return rc;
	if ((rc = db_begin(db)))
		return errinfo_set(e, rc, "", "The destination could not be saved");
	rc = insert(db, s, &t, destination, on, note, &new_id);
	if (!rc)
		rc = record_tx(db, s, &t, destination, on, note, new_id);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return errinfo_set(e, rc, "", "The destination could not be saved");
	}
	if (id)
		*id = new_id;
	return HE_OK;
}

/* ---- the children ------------------------------------------------------------ */

static const char children_sql[] =
	"SELECT p.id, p.upn, p.forename, p.surname, p.dob, sc.name,"
	" (SELECT c.ref" VISIBLE_CASE " ORDER BY CASE WHEN c.status = 'open' THEN 0 ELSE 1 END,"
	"  coalesce(c.closed_on, c.opened_on) DESC, c.id DESC LIMIT 1),"
	" d.destination, d.recorded_on, d.note"
	" FROM pupils p JOIN schools sc ON sc.id = p.school_id"
	" LEFT JOIN destinations d ON d.id = (SELECT x.id FROM destinations x"
	"  WHERE x.pupil_id = p.id ORDER BY x.recorded_on DESC, x.id DESC LIMIT 1)"
	" WHERE p.dob > :born_after AND p.dob <= :born_by AND EXISTS (SELECT 1" VISIBLE_CASE ")"
	" ORDER BY p.dob, p.surname, p.forename, p.id";

static void read_child(struct db_stmt *st, struct arena *a, hday today,
		       struct destination_child *c)
{
	hday born = 0;
	c->pupil_id = db_int(st, 0);
	c->upn = arena_strdup(a, db_text(st, 1));
	c->forename = arena_strdup(a, db_text(st, 2));
	c->surname = arena_strdup(a, db_text(st, 3));
	c->dob = arena_strdup(a, db_text(st, 4));
	c->school = arena_strdup(a, db_text(st, 5));
	c->case_ref = arena_strdup(a, db_text(st, 6));
	c->destination = arena_strdup(a, db_text(st, 7));
	c->recorded_on = arena_strdup(a, db_text(st, 8));
	c->note = arena_strdup(a, db_text(st, 9));
	c->age = date_parse(c->dob, &born) ? age_on(born, today) : 0;
}

int destination_children(struct db *db, struct arena *a, const struct scope *s, hday today,
			 struct destination_child **out, size_t *n)
{
	bool all;
	*out = NULL;
	*n = 0;
	if (!reach(s, &all))
		return HE_OK;
	int y, m, d;
	char after[11], by[11];
	date_to_ymd(today, &y, &m, &d);
	/* aged MIN..MAX today: born after today − (MAX+1) years, on or before today − MIN years */
	if (m == 2 && d == 29)
		d = 28;
	date_format(date_from_ymd(y - DESTINATION_LIST_AGE_MAX - 1, m, d), after);
	date_format(date_from_ymd(y - DESTINATION_LIST_AGE_MIN, m, d), by);
	struct db_stmt *st = db_prepare(db, children_sql);
	db_bind_text(st, ":born_after", after);
	db_bind_text(st, ":born_by", by);
	bind_scope(st, s, all);
	size_t cap = 16;
	struct destination_child *v = xcalloc(cap, sizeof *v);
	while (db_next(st)) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		read_child(st, a, today, &v[(*n)++]);
	}
	int rc = db_finalize(st);
	*out = arena_alloc(a, (*n ? *n : 1) * sizeof **out);
	memcpy(*out, v, *n * sizeof *v);
	free(v);
	return rc;
}
