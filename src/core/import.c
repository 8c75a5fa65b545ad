/* import.c — the import driver (see import.h).
 *
 * Reading is delegated to a source (CSV or CTF, import_source.c) that
 * yields struct pupil_rec; this file checks each record, resolves its
 * school, refuses duplicate UPNs within the file, scores it, and upserts the
 * pupil and its snapshot with statements prepared once.  Everything runs in
 * one transaction, so a failure part-way leaves nothing behind. */
#include "core/import.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "core/audit.h"
#include "core/import_source.h"
#include "core/pupil.h"
#include "core/risk.h"
#include "store/db.h"

#define IMPORT_KEEP_ERRORS 10000   /* row errors stored per import */

/* ---- UPNs seen in this file (duplicates), open addressing ------------- */

struct seen_slot {
	char upn[14];
	int32_t line;  /* 0: empty */
};

struct seen {
	struct seen_slot *slots;
	size_t cap, used;
};

static uint64_t upn_hash(const char *upn)
{
	uint64_t h = 1469598103934665603u;
	for (const char *p = upn; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

static void seen_grow(struct seen *s);

/* The line where upn was first seen, or 0 after recording it at line. */
static int32_t seen_add(struct seen *s, const char *upn, int32_t line)
{
	if (2 * (s->used + 1) > s->cap)
		seen_grow(s);
	size_t i = upn_hash(upn) & (s->cap - 1);
	while (s->slots[i].line) {
		if (strcmp(s->slots[i].upn, upn) == 0)
			return s->slots[i].line;
		i = (i + 1) & (s->cap - 1);
	}
	memcpy(s->slots[i].upn, upn, 14);
	s->slots[i].line = line > 0 ? line : 1;
	s->used++;
	return 0;
}

static void seen_grow(struct seen *s)
{
	struct seen old = *s;
	s->cap = old.cap ? old.cap * 2 : 4096;
	s->slots = xcalloc(s->cap, sizeof *s->slots);
	s->used = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].line)
			seen_add(s, old.slots[i].upn, old.slots[i].line);
	free(old.slots);
}

/* ---- the partnership's schools, by URN --------------------------------- */

struct school_ref {
	char urn[7];
	int64_t id;
};

struct schools {
	struct school_ref *v;
	size_t n;
};

static int cmp_urn(const void *a, const void *b)
{
	return strcmp(((const struct school_ref *)a)->urn, ((const struct school_ref *)b)->urn);
}

static int schools_load(struct db *db, struct schools *s)
{
	size_t cap = 64;
	s->v = xmalloc(cap * sizeof *s->v);
	s->n = 0;
	struct db_stmt *st = db_prepare(db, "SELECT urn, id FROM schools");
	while (db_next(st)) {
		if (s->n == cap)
			s->v = xrealloc(s->v, (cap *= 2) * sizeof *s->v);
		snprintf(s->v[s->n].urn, sizeof s->v[s->n].urn, "%s", db_text(st, 0));
		s->v[s->n++].id = db_int(st, 1);
	}
	qsort(s->v, s->n, sizeof *s->v, cmp_urn);
	return db_finalize(st);
}

static int64_t school_find(const struct schools *s, const char *urn)
{
	struct school_ref key;
	snprintf(key.urn, sizeof key.urn, "%s", urn);
	const struct school_ref *r = bsearch(&key, s->v, s->n, sizeof *s->v, cmp_urn);
	return r ? r->id : 0;
}

/* ---- one import's state ------------------------------------------------- */

struct run {
	struct db *db;
	const struct audit_who *who;
	const struct import_opts *opts;
	struct import_report *rep;
	struct schools schools;
	struct seen seen;
	struct risk_ruleset rules;
	int64_t default_school;   /* from opts->school_urn, or 0 */
	hday today, extract_date;
	char now[21];
	struct errinfo *kept;     /* row errors to store */
	size_t nkept, capkept;
	struct errinfo broken;    /* where and why the file broke off */
};

static void keep_error(struct run *r, const struct errinfo *e)
{
	struct import_report *rep = r->rep;
	rep->rows_bad++;
	if (rep->nerrors < IMPORT_REPORT_ERRORS)
		rep->errors[rep->nerrors++] = *e;
	if (r->nkept == IMPORT_KEEP_ERRORS)
		return;
	if (r->nkept == r->capkept)
		r->kept = xrealloc(r->kept, (r->capkept = r->capkept ? 2 * r->capkept : 256) *
				   sizeof *r->kept);
	r->kept[r->nkept++] = *e;
}

static int row_error(struct run *r, long line, const char *field, const char *fmt, const char *arg)
{
	struct errinfo e;
	errinfo_set(&e, HE_INVALID, field, fmt, arg);
	e.line = (int)line;
	keep_error(r, &e);
	return HE_INVALID;
}

/* The school a row belongs to; 0 with a row error if none may be used. */
static int64_t row_school(struct run *r, const struct pupil_rec *rec, const struct pupil_data *d)
{
	const char *urn = d->urn[0] ? d->urn : r->opts->school_urn;
	if (!urn || !*urn) {
		row_error(r, rec->line, "School URN", "School URN: missing (add the column, or"
			  " choose the school for the whole file)%s", "");
		return 0;
	}
	if (r->opts->own_school_only && r->opts->school_urn &&
	    strcmp(urn, r->opts->school_urn) != 0) {
		row_error(r, rec->line, "School URN", "School URN: %s is not your school: you can"
			  " import pupils of your own school only", urn);
		return 0;
	}
	int64_t id = school_find(&r->schools, urn);
	if (!id)
		row_error(r, rec->line, "School URN", "School URN: no school in the partnership"
			  " has URN %s", urn);
	return id;
}

static void bind_opt(struct db_stmt *st, const char *name, int64_t v)
{
	if (v < 0)
		db_bind_null(st, name);
	else
		db_bind_int(st, name, v);
}

#define PUPIL_UPSERT \
	"INSERT INTO pupils (upn, school_id, forename, surname, dob, gender, postcode," \
	" family_key, created_at, updated_at) VALUES (:upn, :school, :fn, :sn, :dob, :g," \
	" :pc, :fk, :now, :now) ON CONFLICT (upn) DO UPDATE SET school_id = excluded.school_id," \
	" forename = excluded.forename, surname = excluded.surname, dob = excluded.dob," \
	" gender = excluded.gender, postcode = excluded.postcode, family_key = excluded.family_key," \
	" updated_at = excluded.updated_at WHERE pupils.school_id <> excluded.school_id" \
	" OR pupils.forename <> excluded.forename OR pupils.surname <> excluded.surname" \
	" OR pupils.dob <> excluded.dob OR pupils.gender <> excluded.gender" \
	" OR pupils.postcode IS DISTINCT FROM excluded.postcode" \
	" OR pupils.family_key IS DISTINCT FROM excluded.family_key RETURNING id"

/* Upsert the pupil; *id its id, *changed whether anything was written. */
static int upsert_pupil(struct run *r, const struct pupil_data *d, int64_t school,
			int64_t *id, bool *changed)
{
	char dob[11];
	date_format(d->dob, dob);
	char g[2] = {d->gender, 0};
	struct db_stmt *st = db_prepare(r->db, PUPIL_UPSERT);
	db_bind_text(st, ":upn", d->upn);
	db_bind_int(st, ":school", school);
	db_bind_text(st, ":fn", d->forename);
	db_bind_text(st, ":sn", d->surname);
	db_bind_text(st, ":dob", dob);
	db_bind_text(st, ":g", g);
	db_bind_text(st, ":pc", d->postcode[0] ? d->postcode : NULL);
	db_bind_text(st, ":fk", d->family_key[0] ? d->family_key : NULL);
	db_bind_text(st, ":now", r->now);
	*changed = db_next(st);
	*id = *changed ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc || *changed)
		return rc;
	st = db_prepare(r->db, "SELECT id FROM pupils WHERE upn = :upn");
	db_bind_text(st, ":upn", d->upn);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

#define SNAP_COLS \
	"year_group, fsm, sen, ehcp, eal, eal_new, looked_after, cin, cp, young_carer," \
	" youth_justice, young_parent, school_moves, sessions_possible, sessions_attended," \
	" authorised_absence, unauthorised_absence, suspensions, suspension_days_x10," \
	" permanent_exclusion, below_expected, risk_score, risk_band, risk_fired"
#define SNAP_VALS \
	":yg, :fsm, :sen, :ehcp, :eal, :ealnew, :lac, :cin, :cp, :yc, :yj, :yp, :moves," \
	" :poss, :att, :auth, :unauth, :susp, :suspdays, :pex, :below, :score, :band, :fired"
#define SNAP_DIFFERS(c) " OR pupil_snapshots." c " IS DISTINCT FROM excluded." c

#define SNAPSHOT_UPSERT \
	"INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date, " SNAP_COLS \
	") VALUES (:pupil, :import, :school, :date, " SNAP_VALS ") ON CONFLICT (pupil_id," \
	" extract_date) DO UPDATE SET import_id = excluded.import_id, school_id = excluded.school_id," \
	" year_group = excluded.year_group, fsm = excluded.fsm, sen = excluded.sen," \
	" ehcp = excluded.ehcp, eal = excluded.eal, eal_new = excluded.eal_new," \
	" looked_after = excluded.looked_after, cin = excluded.cin, cp = excluded.cp," \
	" young_carer = excluded.young_carer, youth_justice = excluded.youth_justice," \
	" young_parent = excluded.young_parent, school_moves = excluded.school_moves," \
	" sessions_possible = excluded.sessions_possible, sessions_attended = excluded.sessions_attended," \
	" authorised_absence = excluded.authorised_absence," \
	" unauthorised_absence = excluded.unauthorised_absence, suspensions = excluded.suspensions," \
	" suspension_days_x10 = excluded.suspension_days_x10," \
	" permanent_exclusion = excluded.permanent_exclusion, below_expected = excluded.below_expected," \
	" risk_score = excluded.risk_score, risk_band = excluded.risk_band, risk_fired = excluded.risk_fired" \
	" WHERE pupil_snapshots.school_id <> excluded.school_id" \
	SNAP_DIFFERS("year_group") SNAP_DIFFERS("fsm") SNAP_DIFFERS("sen") SNAP_DIFFERS("ehcp") \
	SNAP_DIFFERS("eal") SNAP_DIFFERS("eal_new") SNAP_DIFFERS("looked_after") SNAP_DIFFERS("cin") \
	SNAP_DIFFERS("cp") SNAP_DIFFERS("young_carer") SNAP_DIFFERS("youth_justice") \
	SNAP_DIFFERS("young_parent") SNAP_DIFFERS("school_moves") SNAP_DIFFERS("sessions_possible") \
	SNAP_DIFFERS("sessions_attended") SNAP_DIFFERS("authorised_absence") \
	SNAP_DIFFERS("unauthorised_absence") SNAP_DIFFERS("suspensions") \
	SNAP_DIFFERS("suspension_days_x10") SNAP_DIFFERS("permanent_exclusion") \
	SNAP_DIFFERS("below_expected") SNAP_DIFFERS("risk_score") SNAP_DIFFERS("risk_band") \
	SNAP_DIFFERS("risk_fired")

static void bind_indicators(struct db_stmt *st, const struct pupil_data *d)
{
	char sen[2] = {d->sen, 0};
	if (d->year_group == INT32_MIN)
		db_bind_null(st, ":yg");
	else
		db_bind_int(st, ":yg", d->year_group);
	bind_opt(st, ":fsm", d->fsm);
	db_bind_text(st, ":sen", d->sen ? sen : NULL);
	bind_opt(st, ":ehcp", d->ehcp);
	bind_opt(st, ":eal", d->eal);
	bind_opt(st, ":ealnew", d->eal_new);
	bind_opt(st, ":lac", d->looked_after);
	bind_opt(st, ":cin", d->cin);
	bind_opt(st, ":cp", d->cp);
	bind_opt(st, ":yc", d->young_carer);
	bind_opt(st, ":yj", d->youth_justice);
	bind_opt(st, ":yp", d->young_parent);
	bind_opt(st, ":moves", d->moves);
	bind_opt(st, ":poss", d->sess_possible);
	bind_opt(st, ":att", d->sess_attended);
	bind_opt(st, ":auth", d->auth_absence);
	bind_opt(st, ":unauth", d->unauth_absence);
	bind_opt(st, ":susp", d->suspensions);
	bind_opt(st, ":suspdays", d->suspension_days_x10);
	bind_opt(st, ":pex", d->perm_exclusion);
	bind_opt(st, ":below", d->below_expected);
}

static int upsert_snapshot(struct run *r, const struct pupil_data *d, int64_t pupil,
			   int64_t school, const struct risk_result *score, bool *changed)
{
	char date[11], fired[RISK_FIRED_MAX];
	date_format(d->extract_date, date);
	risk_fired_codes(&r->rules, score->fired, fired, sizeof fired);
	struct db_stmt *st = db_prepare(r->db, SNAPSHOT_UPSERT);
	db_bind_int(st, ":pupil", pupil);
	db_bind_int(st, ":import", r->rep->import_id);
	db_bind_int(st, ":school", school);
	db_bind_text(st, ":date", date);
	bind_indicators(st, d);
	db_bind_int(st, ":score", score->score);
	db_bind_text(st, ":band", risk_band_name(score->band));
	db_bind_text(st, ":fired", fired);
	int rc = db_done(st);
	*changed = rc == HE_OK && db_changes(r->db) > 0;
	return rc;
}

/* Check, place and store one record.  Row problems are kept and HE_OK
 * returned (the import goes on); only database failures return an error. */
static int process(struct run *r, const struct pupil_rec *rec)
{
	struct pupil_data d;
	struct errinfo e;
	if (pupil_validate(rec, r->today, &d, &e) != HE_OK) {
		keep_error(r, &e);
		return HE_OK;
	}
	int64_t school = row_school(r, rec, &d);
	if (!school)
		return HE_OK;
	int32_t first = seen_add(&r->seen, d.upn, (int32_t)rec->line);
	if (first) {
		char msg[80];
		snprintf(msg, sizeof msg, "%s is in the file twice (first on line %d)", d.upn, (int)first);
		row_error(r, rec->line, "UPN", "UPN: %s", msg);
		return HE_OK;
	}
	if (!d.extract_date)
		d.extract_date = r->extract_date;
	if (d.year_group == INT32_MIN)
		d.year_group = nc_year_group(d.dob, d.extract_date);
	struct risk_values v;
	struct risk_result score;
	risk_values_from_pupil(&d, &v);
	risk_score(&r->rules, &v, &score);
	int64_t pupil;
	bool p_changed, s_changed;
	int rc = upsert_pupil(r, &d, school, &pupil, &p_changed);
	if (!rc)
		rc = upsert_snapshot(r, &d, pupil, school, &score, &s_changed);
	if (!rc) {
		if (p_changed || s_changed)
			r->rep->rows_applied++;
		else
			r->rep->rows_unchanged++;
	}
	return rc;
}

static int insert_import_row(struct run *r, const char *kind, const char *status)
{
	int64_t school = r->default_school;
	struct db_stmt *st = db_prepare(r->db,
		"INSERT INTO imports (school_id, kind, filename, strict, status, user_id, started_at)"
		" VALUES (:school, :kind, :file, :strict, :status, :user, :now) RETURNING id");
	bind_opt(st, ":school", school ? school : -1);
	db_bind_text(st, ":kind", kind);
	db_bind_text(st, ":file", r->opts->filename ? r->opts->filename : r->opts->path);
	db_bind_int(st, ":strict", r->opts->strict);
	db_bind_text(st, ":status", status);
	bind_opt(st, ":user", r->who && r->who->user_id ? r->who->user_id : -1);
	db_bind_text(st, ":now", r->now);
	if (db_next(st))
		r->rep->import_id = db_int(st, 0);
	return db_finalize(st);
}

/* Record the outcome: counts and status on the import row, its row errors,
 * and the audit row — in the caller's transaction. */
static int finish_import_row(struct run *r)
{
	struct import_report *rep = r->rep;
	char now[21], id[24], summary[320];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(r->db,
		"UPDATE imports SET status = :status, rows_total = :total, rows_applied = :applied,"
		" rows_unchanged = :unchanged, rows_bad = :bad, finished_at = :now, message = :msg"
		" WHERE id = :id");
	db_bind_text(st, ":status", rep->status);
	db_bind_int(st, ":total", rep->rows_total);
	db_bind_int(st, ":applied", rep->rows_applied);
	db_bind_int(st, ":unchanged", rep->rows_unchanged);
	db_bind_int(st, ":bad", rep->rows_bad);
	db_bind_text(st, ":now", now);
	db_bind_text(st, ":msg", rep->message);
	db_bind_int(st, ":id", rep->import_id);
	int rc = db_done(st);
	for (size_t i = 0; rc == HE_OK && i < r->nkept; i++) {
		st = db_prepare(r->db, "INSERT INTO import_errors (import_id, line, field, message)"
				" VALUES (:id, :line, :field, :msg)");
		db_bind_int(st, ":id", rep->import_id);
		db_bind_int(st, ":line", r->kept[i].line);
		db_bind_text(st, ":field", r->kept[i].field);
		db_bind_text(st, ":msg", r->kept[i].message);
		rc = db_done(st);
	}
	snprintf(id, sizeof id, "%" PRId64, rep->import_id);
	snprintf(summary, sizeof summary, "import of %.80s %s: %.180s",
		 r->opts->filename ? r->opts->filename : r->opts->path, rep->status, rep->message);
	return rc ? rc : audit(r->db, r->who, "import", "imports", id, summary);
}

static void describe(struct import_report *rep)
{
	snprintf(rep->message, sizeof rep->message,
		 "%" PRId64 " rows: %" PRId64 " applied, %" PRId64 " unchanged, %" PRId64 " with"
		 " errors%s", rep->rows_total, rep->rows_applied, rep->rows_unchanged, rep->rows_bad,
		 !strcmp(rep->status, "refused") ? " (strict: nothing was applied)" : "");
}

/* Read every record through process(). */
static int read_all(struct run *r, struct import_source *src)
{
	struct pupil_rec rec;
	struct errinfo e;
	int got, rc = HE_OK;
	while (rc == HE_OK && (got = import_source_next(src, &rec, &e)) != 0) {
		r->rep->rows_total++;
		if (got == 1) {
			rc = process(r, &rec);
		} else if (got == HE_INVALID) {
			keep_error(r, &e);
		} else {
			r->rep->rows_total--;
			r->broken = e;
			return HE_INVALID;  /* the file broke off here */
		}
		if (r->opts->progress && r->rep->rows_total % 4096 == 0)
			r->opts->progress(r->opts->progress_arg, import_source_pos(src),
					  import_source_size(src));
	}
	if (r->opts->progress)
		r->opts->progress(r->opts->progress_arg, import_source_size(src),
				  import_source_size(src));
	return rc;
}

/* A file that cannot be read at all, or that broke off part-way: record
 * the attempt (nothing else) so the school sees it in its history. */
static int record_failure(struct run *r, const char *kind, const char *status,
			  const struct errinfo *e)
{
	struct import_report *rep = r->rep;
	rep->status = status;
	snprintf(rep->message, sizeof rep->message, "%s", e->message);
	if (rep->nerrors == 0)
		rep->errors[rep->nerrors++] = *e;
	int rc = db_begin(r->db);
	if (rc == HE_OK && (rc = insert_import_row(r, kind, status)) == HE_OK)
		rc = finish_import_row(r);
	if (rc) {
		db_rollback(r->db);
		return rc;
	}
	return db_commit(r->db);
}

static int run_setup(struct run *r)
{
	int rc = schools_load(r->db, &r->schools);
	if (!rc)
		rc = risk_ruleset_load(r->db, &r->rules, &r->rep->errors[0]);
	if (rc)
		return rc;
	const char *urn = r->opts->school_urn;
	if (r->opts->own_school_only && !(urn && *urn))
		return errinfo_set(&r->rep->errors[0], HE_INVALID, "school",
				   "A school user's import needs their school");
	if (urn && *urn && !(r->default_school = school_find(&r->schools, urn)))
		return errinfo_set(&r->rep->errors[0], HE_INVALID, "school",
				   "No school in the partnership has URN %s", urn);
	return HE_OK;
}

static int run_body(struct run *r, struct import_source *src)
{
	const char *kind = import_source_kind(src);
	db_bulk(r->db, true);
	int rc = db_begin(r->db);
	if (rc == HE_OK)
		rc = insert_import_row(r, kind, "running");
	if (rc == HE_OK)
		rc = read_all(r, src);
	if (rc != HE_OK && rc < HE_DB) {
		/* The file broke off: keep nothing of it.  The break is the one
		 * error recorded (row errors before it no longer matter). */
		db_rollback(r->db);
		db_bulk(r->db, false);
		struct import_report *rep = r->rep;
		rep->rows_applied = rep->rows_unchanged = rep->rows_bad = 0;
		rep->nerrors = 0;
		r->nkept = 0;
		keep_error(r, &r->broken);
		rep->rows_bad = 0;
		int frc = record_failure(r, kind, "failed", &r->broken);
		return frc ? frc : HE_INVALID;
	}
	if (rc == HE_OK && r->opts->strict && r->rep->rows_bad) {
		db_rollback(r->db);
		r->rep->rows_applied = r->rep->rows_unchanged = 0;
		r->rep->status = "refused";
		describe(r->rep);
		if ((rc = db_begin(r->db)) == HE_OK)
			rc = insert_import_row(r, kind, "refused");
	} else if (rc == HE_OK) {
		r->rep->status = "applied";
		describe(r->rep);
	}
	if (rc == HE_OK)
		rc = finish_import_row(r);
	if (rc == HE_OK)
		rc = db_commit(r->db);
	else
		db_rollback(r->db);
	db_bulk(r->db, false);
	return rc;
}

int import_run(struct db *db, const struct audit_who *who, const struct import_opts *opts,
	       struct import_report *report)
{
	struct run r = {.db = db, .who = who, .opts = opts, .rep = report};
	memset(report, 0, sizeof *report);
	report->status = "failed";
	r.today = date_today();
	r.extract_date = opts->extract_date ? opts->extract_date : r.today;
	timestamp_format(time(NULL), r.now);
	struct import_source *src = NULL;
	struct errinfo e = {0};
	int rc = run_setup(&r);
	if (rc == HE_INVALID) {
		report->nerrors = 1;
		snprintf(report->message, sizeof report->message, "%s", report->errors[0].message);
	} else if (rc == HE_OK) {
		rc = import_source_open(opts->path, opts->kind, &src, &e, report->unknown,
					&report->unknown_columns);
		if (rc == HE_INVALID) {
			int frc = record_failure(&r, opts->kind == IMPORT_CTF ? "ctf" : "csv",
						 "refused", &e);
			rc = frc ? frc : HE_INVALID;
		}
		else if (rc == HE_OK)
			rc = run_body(&r, src);
	}
	import_source_close(src);
	free(r.schools.v);
	free(r.seen.slots);
	free(r.kept);
	return rc;
}
