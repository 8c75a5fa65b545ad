/* import.c — the import driver (see import.h).
 *
 * Reading is delegated to a source (CSV or CTF, import_source.c) that
 * yields struct pupil_rec.  A reader thread checks each record, resolves
 * its school, refuses duplicate UPNs within the file and scores it, filling
 * chunks of rows; the calling thread, which alone uses the connection,
 * meanwhile writes the previous chunk: handed to SQL as the table
 * import_stage (db_rows_set), then upserted set-wise into pupils and
 * pupil_snapshots.  Everything runs in
 * one transaction, so a failure part-way leaves nothing behind.  Why it is
 * built this way (profiles, figures): bench/README.md, "What limits the
 * import". */
#include "core/import.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "core/audit.h"
#include "core/import_source.h"
#include "core/pupil.h"
#include "core/risk.h"
#include "store/db.h"

#define IMPORT_KEEP_ERRORS 10000   /* row errors stored per import */

/* ---- UPNs seen in this file (duplicates), open addressing ------------- */

/* A normalised UPN (upn_norm: a check letter, 11 digits, then a digit or,
 * for a temporary UPN, a letter — both letters from the 23 of the check
 * alphabet) packed losslessly into 47 bits, plus one so 0 means an empty
 * slot: 12 bytes a slot (key and line, at most 3/4 full) instead of 20 (the
 * text, at most half full), ~24 instead of ~40 MB for a million pupils. */
static const char upn_letters[] = "ABCDEFGHJKLMNPQRTUVWXYZ";

static uint64_t upn_key(const char *upn)
{
	const char *first = strchr(upn_letters, upn[0]);
	uint64_t mid = 0;
	for (int i = 1; i < 12; i++)
		mid = mid * 10 + (uint64_t)(upn[i] - '0');
	const char *last = upn[12] >= '0' && upn[12] <= '9' ? NULL : strchr(upn_letters, upn[12]);
	uint64_t tail = last ? 10 + (uint64_t)(last - upn_letters) : (uint64_t)(upn[12] - '0');
	uint64_t head = first ? (uint64_t)(first - upn_letters) : 0;
	return (head * 33 + tail) * UINT64_C(100000000000) + mid + 1;
}

struct seen {
	uint64_t *keys;   /* 0: empty */
	int32_t *lines;
	size_t cap, used;
};

static size_t seen_slot(const struct seen *s, uint64_t key)
{
	size_t i = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & (s->cap - 1);
	while (s->keys[i] && s->keys[i] != key)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void seen_grow(struct seen *s)
{
	struct seen old = *s;
	s->cap = old.cap ? old.cap * 2 : 4096;
	s->keys = xcalloc(s->cap, sizeof *s->keys);
	s->lines = xmalloc(s->cap * sizeof *s->lines);
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			size_t j = seen_slot(s, old.keys[i]);
			s->keys[j] = old.keys[i];
			s->lines[j] = old.lines[i];
		}
	free(old.keys);
	free(old.lines);
}

/* The line where upn was first seen, or 0 after recording it at line. */
static int32_t seen_add(struct seen *s, const char *upn, int32_t line)
{
	if (4 * (s->used + 1) > 3 * s->cap)
		seen_grow(s);
	uint64_t key = upn_key(upn);
	size_t i = seen_slot(s, key);
	if (s->keys[i])
		return s->lines[i];
	s->keys[i] = key;
	s->lines[i] = line > 0 ? line : 1;
	s->used++;
	return 0;
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
	int64_t pupils_before;    /* pupils in the table when the import began */
	int64_t max_before;       /* their largest id: a larger one is a new pupil */
	bool triggers_aside;      /* pupil_snapshots' triggers are set aside */
	int64_t next_id;          /* appending (see write_chunk): the next pupil's id, or 0 */
	bool appended;            /* ids were given: the id generator must move past them */
	bool indexes_decided;     /* whether to set indexes aside was settled */
	uint64_t src_size;        /* bytes of the file */
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

/* ---- writing: rows staged, then upserted set-wise ------------------------ *
 *
 * Checked rows are written a chunk at a time: db_rows_set makes the chunk
 * the table import_stage (on SQLite a virtual table reading the reader's
 * rows in place; on PostgreSQL one COPY into a temporary table), then one
 * INSERT … SELECT upserts the chunk's pupils and one its snapshots.
 * Per-row upserts cost SQLite a statement journal (a copy of every page the
 * statement touched), a RETURNING buffer and a statement start and halt
 * each; set-wise they are paid once per chunk.  A per-row INSERT into a
 * staging table cost ~2 s of the writer's CPU per million rows (a prepare,
 * 33 named binds and a B-tree insert each, then read back), and per-row
 * INSERTs straight into pupils and pupil_snapshots more than the staging
 * and upserts together (bench/README.md).  RETURNING names the pupils whose
 * row or snapshot was written: the rest of the chunk is unchanged. */

#define STAGE_COLS \
	"upn, school_id, forename, surname, dob, gender, postcode, family_key, extract_date," \
	" year_group, fsm, sen, ehcp, eal, eal_new, looked_after, cin, cp, young_carer," \
	" youth_justice, young_parent, school_moves, sessions_possible, sessions_attended," \
	" authorised_absence, unauthorised_absence, suspensions, suspension_days_x10," \
	" permanent_exclusion, below_expected, risk_score, risk_band, risk_fired, pupil_id"

/* The staging table's columns, in STAGE_COLS' order (db_rows_set). */
enum stage_col {
	SC_UPN, SC_SCHOOL, SC_FORENAME, SC_SURNAME, SC_DOB, SC_GENDER, SC_POSTCODE,
	SC_FAMILY_KEY, SC_EXTRACT_DATE, SC_YEAR_GROUP, SC_FSM, SC_SEN, SC_EHCP, SC_EAL,
	SC_EAL_NEW, SC_LOOKED_AFTER, SC_CIN, SC_CP, SC_YOUNG_CARER, SC_YOUTH_JUSTICE,
	SC_YOUNG_PARENT, SC_MOVES, SC_POSSIBLE, SC_ATTENDED, SC_AUTH, SC_UNAUTH,
	SC_SUSPENSIONS, SC_SUSPENSION_DAYS, SC_PEX, SC_BELOW, SC_SCORE, SC_BAND, SC_FIRED,
	SC_PUPIL_ID, SC_COUNT
};

#define I(n) {n, DB_COL_INT}
#define T(n) {n, DB_COL_TEXT}
static const struct db_col stage_cols[SC_COUNT] = {
	T("upn"), I("school_id"), T("forename"), T("surname"), T("dob"), T("gender"),
	T("postcode"), T("family_key"), T("extract_date"), I("year_group"), I("fsm"), T("sen"),
	I("ehcp"), I("eal"), I("eal_new"), I("looked_after"), I("cin"), I("cp"),
	I("young_carer"), I("youth_justice"), I("young_parent"), I("school_moves"),
	I("sessions_possible"), I("sessions_attended"), I("authorised_absence"),
	I("unauthorised_absence"), I("suspensions"), I("suspension_days_x10"),
	I("permanent_exclusion"), I("below_expected"), I("risk_score"), T("risk_band"),
	T("risk_fired"), I("pupil_id"),
};
#undef I
#undef T

/* "WHERE true": SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT.
 * The pupil's id is a subquery, not a join: PostgreSQL, with no statistics
 * on the staging table, hash-joined it against a scan of all of pupils for
 * every chunk; the subquery is an index lookup per row on both backends. */
static const char pupils_from_stage[] =
	"INSERT INTO pupils (upn, school_id, forename, surname, dob, gender, postcode,"
	" family_key, created_at, updated_at) SELECT upn, school_id, forename, surname, dob,"
	" gender, postcode, family_key, CAST(:now AS TEXT), CAST(:now AS TEXT) FROM import_stage"
	" WHERE true ON CONFLICT (upn) DO UPDATE SET school_id = excluded.school_id,"
	" forename = excluded.forename, surname = excluded.surname, dob = excluded.dob,"
	" gender = excluded.gender, postcode = excluded.postcode, family_key = excluded.family_key,"
	" updated_at = excluded.updated_at WHERE pupils.school_id <> excluded.school_id"
	" OR pupils.forename <> excluded.forename OR pupils.surname <> excluded.surname"
	" OR pupils.dob <> excluded.dob OR pupils.gender <> excluded.gender"
	" OR pupils.postcode IS DISTINCT FROM excluded.postcode"
	" OR pupils.family_key IS DISTINCT FROM excluded.family_key RETURNING id";

#define SNAP_COLS \
	"year_group, fsm, sen, ehcp, eal, eal_new, looked_after, cin, cp, young_carer," \
	" youth_justice, young_parent, school_moves, sessions_possible, sessions_attended," \
	" authorised_absence, unauthorised_absence, suspensions, suspension_days_x10," \
	" permanent_exclusion, below_expected, risk_score, risk_band, risk_fired"
#define SNAP_STAGED \
	"s.year_group, s.fsm, s.sen, s.ehcp, s.eal, s.eal_new, s.looked_after, s.cin, s.cp," \
	" s.young_carer, s.youth_justice, s.young_parent, s.school_moves, s.sessions_possible," \
	" s.sessions_attended, s.authorised_absence, s.unauthorised_absence, s.suspensions," \
	" s.suspension_days_x10, s.permanent_exclusion, s.below_expected, s.risk_score," \
	" s.risk_band, s.risk_fired"
#define SNAP_DIFFERS(c) " OR pupil_snapshots." c " IS DISTINCT FROM excluded." c

static const char snapshots_from_stage[] =
	"INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date, " SNAP_COLS ")"
	" SELECT (SELECT p.id FROM pupils p WHERE p.upn = s.upn), CAST(:import AS BIGINT),"
	" s.school_id, s.extract_date, " SNAP_STAGED " FROM import_stage s WHERE true"
	" ON CONFLICT (pupil_id, extract_date) DO UPDATE SET import_id = excluded.import_id,"
	" school_id = excluded.school_id,"
	" year_group = excluded.year_group, fsm = excluded.fsm, sen = excluded.sen,"
	" ehcp = excluded.ehcp, eal = excluded.eal, eal_new = excluded.eal_new,"
	" looked_after = excluded.looked_after, cin = excluded.cin, cp = excluded.cp,"
	" young_carer = excluded.young_carer, youth_justice = excluded.youth_justice,"
	" young_parent = excluded.young_parent, school_moves = excluded.school_moves,"
	" sessions_possible = excluded.sessions_possible, sessions_attended = excluded.sessions_attended,"
	" authorised_absence = excluded.authorised_absence,"
	" unauthorised_absence = excluded.unauthorised_absence, suspensions = excluded.suspensions,"
	" suspension_days_x10 = excluded.suspension_days_x10,"
	" permanent_exclusion = excluded.permanent_exclusion, below_expected = excluded.below_expected,"
	" risk_score = excluded.risk_score, risk_band = excluded.risk_band, risk_fired = excluded.risk_fired"
	" WHERE pupil_snapshots.school_id <> excluded.school_id"
	SNAP_DIFFERS("year_group") SNAP_DIFFERS("fsm") SNAP_DIFFERS("sen") SNAP_DIFFERS("ehcp")
	SNAP_DIFFERS("eal") SNAP_DIFFERS("eal_new") SNAP_DIFFERS("looked_after") SNAP_DIFFERS("cin")
	SNAP_DIFFERS("cp") SNAP_DIFFERS("young_carer") SNAP_DIFFERS("youth_justice")
	SNAP_DIFFERS("young_parent") SNAP_DIFFERS("school_moves") SNAP_DIFFERS("sessions_possible")
	SNAP_DIFFERS("sessions_attended") SNAP_DIFFERS("authorised_absence")
	SNAP_DIFFERS("unauthorised_absence") SNAP_DIFFERS("suspensions")
	SNAP_DIFFERS("suspension_days_x10") SNAP_DIFFERS("permanent_exclusion")
	SNAP_DIFFERS("below_expected") SNAP_DIFFERS("risk_score") SNAP_DIFFERS("risk_band")
	SNAP_DIFFERS("risk_fired") " RETURNING pupil_id";

/* Appending (a big load of new pupils, see write_chunk): the chunk's
 * pupils are inserted with the ids the writer gives them, each UPN already
 * in the table skipped; then, if none was, their snapshots go in as they
 * are.  Neither needs the other's RETURNING, a conflict target's update or
 * a lookup of each pupil's id by UPN. */
#define PUPILS_APPEND(or_ignore, on_conflict) \
	"INSERT " or_ignore "INTO pupils (id, upn, school_id, forename, surname, dob, gender," \
	" postcode, family_key, created_at, updated_at) SELECT pupil_id, upn, school_id," \
	" forename, surname, dob, gender, postcode, family_key, CAST(:now AS TEXT)," \
	" CAST(:now AS TEXT) FROM import_stage WHERE true" on_conflict
#define SNAPSHOTS_APPEND(or_ignore) \
	"INSERT " or_ignore "INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date, " \
	SNAP_COLS ") SELECT s.pupil_id, CAST(:import AS BIGINT), s.school_id, s.extract_date, " \
	SNAP_STAGED " FROM import_stage s"

/* On SQLite "OR IGNORE": a row breaking any constraint is skipped, not the
 * statement aborted, so SQLite keeps no statement journal for it (a copy
 * of every page the statement changes that an earlier chunk had changed:
 * for the UPN key, most of its pages, each chunk).  The rows were checked;
 * a row skipped for any reason makes the count short, and the chunk then
 * goes through the upserts, which report what is wrong.  PostgreSQL skips
 * only the known UPNs and keeps no such journal. */
static const char pupils_append_sqlite[] = PUPILS_APPEND("OR IGNORE ", "");
static const char snapshots_append_sqlite[] = SNAPSHOTS_APPEND("OR IGNORE ");
static const char pupils_append_pg[] = PUPILS_APPEND("", " ON CONFLICT (upn) DO NOTHING");
static const char snapshots_append_pg[] = SNAPSHOTS_APPEND("");

/* One checked row, scored, waiting to be written; the texts the staging
 * table reads in place (db_rows_set) made by the reader. */
struct staged {
	struct pupil_data d;
	int64_t school;
	struct risk_result score;
	char dob[11], date[11], gender[2], sen[2];
	uint32_t fired;            /* risk_fired text: offset in the chunk's pool */
};

/* A chunk of checked rows, filled by the reader, written by the writer. */
struct chunk {
	struct staged *rows;
	int n;
	uint64_t pos;              /* bytes of the file read when it was filled */
	int64_t first_id;          /* appending: row i's pupil gets id first_id + i; else 0 */
	uint16_t *order;           /* row i of the staging table is rows[order[i]] */
	struct buf pool;           /* the rows' risk_fired texts, NUL after each */
};

static void opt_value(struct db_value *v, int64_t x)
{
	v->i = x;
	v->null = x < 0;
}

/* Row row of the chunk, column col of the staging table (db_row_fn). */
static void stage_value(void *arg, int row, int col, struct db_value *v)
{
	const struct chunk *c = arg;
	const struct staged *s = &c->rows[c->order[row]];
	const struct pupil_data *d = &s->d;
	switch ((enum stage_col)col) {
	case SC_UPN: v->text = d->upn; break;
	case SC_SCHOOL: v->i = s->school; break;
	case SC_FORENAME: v->text = d->forename; break;
	case SC_SURNAME: v->text = d->surname; break;
	case SC_DOB: v->text = s->dob; break;
	case SC_GENDER: v->text = s->gender; break;
	case SC_POSTCODE: v->text = d->postcode[0] ? d->postcode : NULL; break;
	case SC_FAMILY_KEY: v->text = d->family_key[0] ? d->family_key : NULL; break;
	case SC_EXTRACT_DATE: v->text = s->date; break;
	case SC_YEAR_GROUP: v->i = d->year_group; v->null = d->year_group == INT32_MIN; break;
	case SC_FSM: opt_value(v, d->fsm); break;
	case SC_SEN: v->text = d->sen ? s->sen : NULL; break;
	case SC_EHCP: opt_value(v, d->ehcp); break;
	case SC_EAL: opt_value(v, d->eal); break;
	case SC_EAL_NEW: opt_value(v, d->eal_new); break;
	case SC_LOOKED_AFTER: opt_value(v, d->looked_after); break;
	case SC_CIN: opt_value(v, d->cin); break;
	case SC_CP: opt_value(v, d->cp); break;
	case SC_YOUNG_CARER: opt_value(v, d->young_carer); break;
	case SC_YOUTH_JUSTICE: opt_value(v, d->youth_justice); break;
	case SC_YOUNG_PARENT: opt_value(v, d->young_parent); break;
	case SC_MOVES: opt_value(v, d->moves); break;
	case SC_POSSIBLE: opt_value(v, d->sess_possible); break;
	case SC_ATTENDED: opt_value(v, d->sess_attended); break;
	case SC_AUTH: opt_value(v, d->auth_absence); break;
	case SC_UNAUTH: opt_value(v, d->unauth_absence); break;
	case SC_SUSPENSIONS: opt_value(v, d->suspensions); break;
	case SC_SUSPENSION_DAYS: opt_value(v, d->suspension_days_x10); break;
	case SC_PEX: opt_value(v, d->perm_exclusion); break;
	case SC_BELOW: opt_value(v, d->below_expected); break;
	case SC_SCORE: v->i = s->score.score; break;
	case SC_BAND: v->text = risk_band_name(s->score.band); break;
	case SC_FIRED: v->text = c->pool.data + s->fired; break;
	case SC_PUPIL_ID: v->i = c->first_id + row; v->null = !c->first_id; break;
	case SC_COUNT: v->null = true; break;
	}
}

/* The texts of a checked row that the staging table reads in place. */
static void stage_texts(struct run *r, struct chunk *c, struct staged *row)
{
	char fired[RISK_FIRED_MAX];
	date_format(row->d.dob, row->dob);
	date_format(row->d.extract_date, row->date);
	row->gender[0] = row->d.gender;
	row->gender[1] = 0;
	row->sen[0] = row->d.sen;
	row->sen[1] = 0;
	risk_fired_codes(&r->rules, row->score.fired, fired, sizeof fired);
	row->fired = (uint32_t)c->pool.len;
	buf_append(&c->pool, fired, strlen(fired) + 1);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Run a staged upsert, appending the pupil ids it returns to ids. */
static int upsert_staged(struct run *r, const char *sql, int64_t *ids, int *nids)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	if (sql == pupils_from_stage || sql == pupils_append_sqlite || sql == pupils_append_pg)
		db_bind_text(st, ":now", r->now);
	else
		db_bind_int(st, ":import", r->rep->import_id);
	while (db_next(st))
		ids[(*nids)++] = db_int(st, 0);
	return db_finalize(st);
}

static int indexes_decide(struct run *r, int rows, int written, bool all_new);

/* Write a chunk's rows (distinct UPNs) and count them applied or unchanged.
 * ids has room for 2n. */
static int write_chunk(struct run *r, struct chunk *c, int64_t *ids)
{
	int n = c->n, nids = 0;
	c->first_id = r->next_id;
	int rc = db_rows_set(r->db, "import_stage", stage_cols, SC_COUNT, n, stage_value, c);
	if (rc == HE_OK && r->next_id) {
		/* Appending: every pupil new (nothing skipped) writes its snapshot
		 * as it is, and the chunk is applied whole.  A chunk with a pupil
		 * known before ends the appending; its new pupils are in, with
		 * their ids, and the upserts below write the rest and every
		 * snapshot as for any chunk (a just-inserted pupil comes back from
		 * the snapshots', so it counts as applied). */
		bool lite = strcmp(db_backend(r->db), "sqlite") == 0;
		rc = upsert_staged(r, lite ? pupils_append_sqlite : pupils_append_pg, ids, &nids);
		int64_t added = rc == HE_OK ? db_changes(r->db) : 0;
		r->next_id += n;
		if (rc == HE_OK && added == n) {
			rc = upsert_staged(r, lite ? snapshots_append_sqlite : snapshots_append_pg,
					   ids, &nids);
			/* A snapshot skipped (a constraint the checks missed): the
			 * upsert writes it or says what is wrong. */
			if (rc == HE_OK && db_changes(r->db) != n)
				rc = upsert_staged(r, snapshots_from_stage, ids, &nids);
			if (rc == HE_OK)
				r->rep->rows_applied += n;
			return rc;
		}
		r->next_id = 0;
		c->first_id = 0;
	}
	if (rc == HE_OK)
		rc = upsert_staged(r, pupils_from_stage, ids, &nids);
	/* Every row made a new pupil: no snapshot triggers are needed for it. */
	bool all_new = nids == n;
	for (int i = 0; all_new && i < nids; i++)
		all_new = ids[i] > r->max_before;
	if (rc == HE_OK && !r->indexes_decided)
		rc = indexes_decide(r, n, nids, all_new);
	else if (rc == HE_OK && r->triggers_aside && !all_new) {
		rc = db_triggers_restore(r->db);
		r->triggers_aside = false;
	}
	if (rc == HE_OK)
		rc = upsert_staged(r, snapshots_from_stage, ids, &nids);
	if (rc != HE_OK)
		return rc;
	qsort(ids, (size_t)nids, sizeof *ids, cmp_id);
	int changed = 0;
	for (int i = 0; i < nids; i++)
		changed += i == 0 || ids[i] != ids[i - 1];
	r->rep->rows_applied += changed;
	r->rep->rows_unchanged += n - changed;
	return HE_OK;
}

/* ---- reading: checked and scored on a thread of its own ------------------ *
 *
 * The reader thread parses, checks, places, de-duplicates and scores rows
 * into chunks while the calling thread (which owns the connection) writes
 * the previous one: on two cores the checking costs no wall time.  Only the
 * reader touches rows_total, rows_bad and the error lists; only the writer
 * rows_applied and rows_unchanged. */

#define CHUNK_ROWS 4096
#define CHUNKS 3

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk ch[CHUNKS];
	int filled, head;          /* chunks ready to write; the next one to write */
	bool done, stop;           /* reader finished; writer gave up */
	int rc;                    /* the reader's: HE_INVALID when the file broke off */
};

/* Check, place and score one record into row.  false (the problem kept) if
 * the row is not to be written. */
static bool check_row(struct run *r, const struct pupil_rec *rec, struct chunk *c)
{
	struct staged *row = &c->rows[c->n];
	struct pupil_data *d = &row->d;
	struct errinfo e;
	if (pupil_validate(rec, r->today, d, &e) != HE_OK) {
		keep_error(r, &e);
		return false;
	}
	if (!(row->school = row_school(r, rec, d)))
		return false;
	int32_t first = seen_add(&r->seen, d->upn, (int32_t)rec->line);
	if (first) {
		char msg[80];
		snprintf(msg, sizeof msg, "%s is in the file twice (first on line %d)", d->upn, (int)first);
		row_error(r, rec->line, "UPN", "UPN: %s", msg);
		return false;
	}
	if (!d->extract_date)
		d->extract_date = r->extract_date;
	if (d->year_group == INT32_MIN)
		d->year_group = nc_year_group(d->dob, d->extract_date);
	struct risk_values v;
	risk_values_from_pupil(d, &v);
	risk_score(&r->rules, &v, &row->score);
	stage_texts(r, c, row);
	return true;
}

/* Hand the chunk being filled to the writer and wait for a free one;
 * false if the writer gave up. */
static bool pipe_publish(struct pipe *p, int *fill)
{
	pthread_mutex_lock(&p->mu);
	p->filled++;
	pthread_cond_broadcast(&p->cv);
	while (p->filled == CHUNKS && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	bool go = !p->stop;
	pthread_mutex_unlock(&p->mu);
	*fill = (*fill + 1) % CHUNKS;
	p->ch[*fill].n = 0;
	buf_reset(&p->ch[*fill].pool);
	return go;
}

struct by_family {
	int64_t school;
	const char *key;
	uint16_t i;
};

static int cmp_family(const void *a, const void *b)
{
	const struct by_family *x = a, *y = b;
	if (x->school != y->school)
		return x->school < y->school ? -1 : 1;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The order the writer takes the chunk's rows in: by school, then
 * household (family key), then as in the file.  New pupils' ids then run
 * in households within each school of a chunk (a census lists a school's
 * pupils together, so a chunk holds one or two schools), and rebuilding
 * the family index after a big load (a sort of the table by that key)
 * merges runs already in order: 1.2 → 0.6 s of the writer's time for a
 * million pupils.  By school first, a chunk's snapshots enter their
 * school-keyed indexes together: 6.45 → 6.05 s for the chunks' writing. */
static void chunk_order(struct chunk *c)
{
	struct by_family *v = xmalloc((size_t)(c->n ? c->n : 1) * sizeof *v);
	for (int i = 0; i < c->n; i++)
		v[i] = (struct by_family){c->rows[i].school, c->rows[i].d.family_key, (uint16_t)i};
	qsort(v, (size_t)c->n, sizeof *v, cmp_family);
	for (int i = 0; i < c->n; i++)
		c->order[i] = v[i].i;
	free(v);
}

static int read_records(struct run *r, struct import_source *src, struct pipe *p)
{
	struct pupil_rec rec;
	struct errinfo e;
	int got, fill = 0;
	p->ch[0].n = 0;
	buf_reset(&p->ch[0].pool);
	while ((got = import_source_next(src, &rec, &e)) != 0) {
		r->rep->rows_total++;
		struct chunk *c = &p->ch[fill];
		if (got == 1) {
			if (check_row(r, &rec, c))
				c->n++;
		} else if (got == HE_INVALID) {
			keep_error(r, &e);
		} else {
			r->rep->rows_total--;
			r->broken = e;
			return HE_INVALID;  /* the file broke off here */
		}
		if (c->n == CHUNK_ROWS) {
			c->pos = import_source_pos(src);
			chunk_order(c);
			if (!pipe_publish(p, &fill))
				return HE_OK;
		}
	}
	p->ch[fill].pos = import_source_size(src);
	chunk_order(&p->ch[fill]);
	return pipe_publish(p, &fill), HE_OK;
}

struct reader_arg {
	struct run *r;
	struct import_source *src;
	struct pipe *p;
};

static void *reader_main(void *arg)
{
	struct reader_arg *a = arg;
	int rc = read_records(a->r, a->src, a->p);
	pthread_mutex_lock(&a->p->mu);
	a->p->rc = rc;
	a->p->done = true;
	pthread_cond_broadcast(&a->p->cv);
	pthread_mutex_unlock(&a->p->mu);
	return NULL;
}

/* The next chunk to write, or NULL when the reader is done and all are
 * written (or the file broke off: nothing of it will be kept). */
static struct chunk *pipe_take(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (!p->filled && !p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	struct chunk *c = p->filled && p->rc == HE_OK ? &p->ch[p->head] : NULL;
	pthread_mutex_unlock(&p->mu);
	return c;
}

static void pipe_release(struct pipe *p, bool stop)
{
	pthread_mutex_lock(&p->mu);
	p->filled--;
	p->head = (p->head + 1) % CHUNKS;
	p->stop = p->stop || stop;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Write chunks as the reader fills them, until it is done or a write fails. */
static int write_all(struct run *r, struct import_source *src, struct pipe *p)
{
	int64_t *ids = xmalloc(2 * CHUNK_ROWS * sizeof *ids);
	int rc = HE_OK;
	struct chunk *c;
	while ((c = pipe_take(p))) {
		if (rc == HE_OK && c->n)
			rc = write_chunk(r, c, ids);
		if (rc == HE_OK && r->opts->progress)
			r->opts->progress(r->opts->progress_arg, c->pos, import_source_size(src));
		pipe_release(p, rc != HE_OK);
	}
	free(ids);
	return rc;
}

/* Read and check every record on a reader thread while this one writes. */
static int read_all(struct run *r, struct import_source *src)
{
	struct pipe p = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	for (int i = 0; i < CHUNKS; i++) {
		p.ch[i].rows = xmalloc(CHUNK_ROWS * sizeof *p.ch[i].rows);
		p.ch[i].order = xmalloc(CHUNK_ROWS * sizeof *p.ch[i].order);
		buf_init(&p.ch[i].pool, 0);   /* 4,096 rows' codes: far under its cap */
	}
	struct reader_arg a = {r, src, &p};
	pthread_t reader;
	int rc = HE_OK;
	if (pthread_create(&reader, NULL, reader_main, &a) != 0)
		rc = HE_INTERNAL;
	if (rc == HE_OK) {
		rc = write_all(r, src, &p);
		pthread_join(reader, NULL);
		if (rc == HE_OK)  /* let go of the chunks' rows before they are freed */
			rc = db_rows_set(r->db, "import_stage", stage_cols, SC_COUNT, 0, NULL, NULL);
		if (rc == HE_OK)
			rc = p.rc;
	}
	for (int i = 0; i < CHUNKS; i++) {
		free(p.ch[i].rows);
		free(p.ch[i].order);
		buf_free(&p.ch[i].pool);
	}
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
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

/* ---- big loads: secondary indexes built afterwards ---------------------- *
 *
 * An index entered a row at a time costs a B-tree descent per row, at a
 * random place for a hashed key: pupils_family (migrations/0003) cost ~6 s
 * of CPU for a million new pupils, against ~1.5 s to sort the table into a
 * new index once at the end.  A changed pupil costs the same as a new one:
 * the upsert assigns every column, so SQLite rewrites its entries even
 * when the key is the same.  So a file that may write an eighth as many
 * pupils as the table holds (the first load of a partnership, a school
 * joining, a later extract moving many pupils up to their next school),
 * judged from its first chunk, sets aside the secondary indexes of pupils
 * (db_indexes_set_aside: pupils_family, pupils_school, whatever migrations
 * add; the UPN key the upserts need stays) inside the import's transaction
 * and creates them again before the commit; a rollback restores them.
 * Smaller imports, and a file imported again unchanged, keep them.
 * pupil_snapshots' are kept: their keys (school, date; the new rows' ids)
 * grow at a hundred places rather than at random, and setting them aside
 * on a million-row first load moved 1.2 s of CPU from the upsert into
 * the rebuild, no gain (bench/README.md).
 *
 * Such a load whose first chunk made only new pupils (every id the pupils
 * upsert returned is above the largest before the import) also sets aside
 * pupil_snapshots' triggers (db_triggers_set_aside): for a pupil with no
 * other snapshot and no outcome row (pupils are never deleted, so a new id
 * has none) the latest mark and outcome triggers (migrations 0010, 0018)
 * do nothing, but SQLite still probed their WHEN per row (~0.4 s CPU per
 * million).  The first chunk holding a pupil known before brings them back
 * before its snapshots are written; the rest come back before the commit.
 *
 * Such a load also appends from its second chunk on (write_chunk): the
 * importer gives the new pupils their ids itself, from the largest id read
 * once the indexes are aside, inserts them skipping any UPN already in
 * the table, and when none was skipped inserts their snapshots with those
 * ids as they are.  The upserts' conflict updates, RETURNING buffers and
 * per-row lookup of each pupil's id by UPN cost ~2.5 s of a million-row
 * first load's 14.6 s of CPU.  On PostgreSQL the id sequence is moved past
 * the given ids before the commit (db_reset_ids). */

#define BYTES_PER_ROW_MIN 200   /* a generous row: estimates the file's rows low */
#define BIG_LOAD_ROWS 10000     /* a file of at least this many rows (so estimated) */

/* The pupils there are before the import, and their largest id. */
static int pupils_count(struct run *r)
{
	struct db_stmt *st = db_prepare(r->db, "SELECT count(*), COALESCE(max(id), 0) FROM pupils");
	if (db_next(st)) {
		r->pupils_before = db_int(st, 0);
		r->max_before = db_int(st, 1);
	}
	return db_finalize(st);
}

/* After the first chunk (rows of it, written of them inserted or changed
 * in pupils): set the indexes aside if the file may write an eighth as
 * many pupils as the table held.  An entry costs ~12 µs at random, the
 * rebuild ~2.5 µs a pupil of the table: a later extract moving a fifth of
 * the pupils to another school is about even, and a re-import of a file
 * already imported (nothing written) keeps the indexes instead of building
 * them again. */
static int indexes_decide(struct run *r, int rows, int written, bool all_new)
{
	r->indexes_decided = true;
	int64_t est = (int64_t)(r->src_size / BYTES_PER_ROW_MIN);
	if (est < BIG_LOAD_ROWS || rows <= 0 || 8 * (est * written / rows) < r->pupils_before)
		return HE_OK;
	int rc = db_indexes_set_aside(r->db, "pupils", NULL);
	if (rc == HE_OK && all_new) {
		rc = db_triggers_set_aside(r->db, "pupil_snapshots", NULL);
		r->triggers_aside = rc == HE_OK;
	}
	/* Append from the next chunk on, from the largest id read now: on
	 * PostgreSQL the indexes' DROP has locked pupils against other
	 * writers until the commit (SQLite's writer holds the database). */
	if (rc == HE_OK && all_new) {
		struct db_stmt *st = db_prepare(r->db, "SELECT COALESCE(max(id), 0) + 1 FROM pupils");
		if (db_next(st))
			r->next_id = db_int(st, 0);
		rc = db_finalize(st);
		r->appended = rc == HE_OK;
	}
	return rc;
}

static int run_body(struct run *r, struct import_source *src)
{
	const char *kind = import_source_kind(src);
	db_bulk(r->db, true);
	r->src_size = import_source_size(src);
	if (r->opts->alone_ok && r->src_size / BYTES_PER_ROW_MIN >= BIG_LOAD_ROWS)
		r->rep->alone = db_bulk_alone(r->db);
	int rc = db_begin(r->db);
	if (rc == HE_OK)
		rc = insert_import_row(r, kind, "running");
	if (rc == HE_OK)
		rc = pupils_count(r);
	if (rc == HE_OK)
		rc = read_all(r, src);
	if (rc == HE_INVALID) {
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
	} else if (rc == HE_OK && (rc = db_triggers_restore(r->db)) == HE_OK &&
		   (rc = db_indexes_restore(r->db)) == HE_OK &&
		   (!r->appended || (rc = db_reset_ids(r->db, "pupils")) == HE_OK)) {
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
	free(r.seen.keys);
	free(r.seen.lines);
	free(r.kept);
	return rc;
}
