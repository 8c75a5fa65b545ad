/* survey.c — surveys of school leaders: writing, opening, answering,
 * closing, and the results by school type (see survey.h).
 *
 * Every change runs in its own transaction with its audit row.  The
 * results are read with one query per kind of figure (schools by type,
 * responses by type, Likert answers by question, type and answer, the
 * schools, the free text) — never a query per row — into report tables,
 * so every output of them agrees. */
#include "core/survey.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/valid.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/school.h"
#include "core/scope.h"
#include "store/db.h"

const char *const survey_likert_labels[5] = {
	"Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree",
};

/* ---- small helpers ------------------------------------------------------------ */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static bool is_kind(const char *k)
{
	return k && (strcmp(k, "likert") == 0 || strcmp(k, "text") == 0);
}

/* The day as "YYYY-MM-DD", and a timestamp for it: now for today, noon
 * for another day. */
static void day_stamp(hday day, char d[11], char ts[21])
{
	date_format(day, d);
	if (day == date_today())
		timestamp_format(time(NULL), ts);
	else
		snprintf(ts, 21, "%sT12:00:00Z", d);
}

/* The day an action is dated: today, or (the system scope only) on. */
static int action_day(const struct scope *s, hday on, hday *day, struct errinfo *e)
{
	hday today = date_today();
	*day = on ? on : today;
	if (on && on != today && !scope_is_system(s))
		return errinfo_set(e, HE_FORBIDDEN, "", "Only the system may date this on another day");
	return HE_OK;
}

static int need_manage(const struct scope *s, struct errinfo *e)
{
	if (!caps_has(s->caps, CAP_SURVEYS_MANAGE))
		return errinfo_set(e, HE_FORBIDDEN, "", "Surveys are written by the coordinator");
	return HE_OK;
}

/* ---- reading ---------------------------------------------------------------------- */

#define SURVEY_COLS \
	"SELECT s.id, s.version, s.title, s.intro, s.status, coalesce(s.opened_on, ''),"     \
	" coalesce(s.closes_on, ''), s.created_at,"                                           \
	" (SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id),"                \
	" (SELECT count(DISTINCT r.school_id) FROM survey_responses r WHERE r.survey_id = s.id)," \
	" (SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id AND r.user_id = :user)" \
	" FROM surveys s"

static void read_row(struct db_stmt *st, struct arena *a, struct survey *v)
{
	memset(v, 0, sizeof *v);
	v->id = db_int(st, 0);
	v->version = db_int(st, 1);
	v->title = arena_strdup(a, db_text(st, 2));
	v->intro = arena_strdup(a, db_text(st, 3));
	v->status = arena_strdup(a, db_text(st, 4));
	snprintf(v->opened_on, sizeof v->opened_on, "%.10s", db_text(st, 5));
	snprintf(v->closes_on, sizeof v->closes_on, "%.10s", db_text(st, 6));
	v->created_at = arena_strdup(a, db_text(st, 7));
	v->responses = db_int(st, 8);
	v->schools_responded = db_int(st, 9);
	v->answered = db_int(st, 10) > 0;
}

static int read_questions(struct db *db, struct arena *a, struct survey *v)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM survey_questions"
		" WHERE survey_id = :id");
	db_bind_int(st, ":id", v->id);
	size_t n = db_next(st) ? (size_t)db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (rc)
		return rc;
	v->q = arena_alloc(a, (n ? n : 1) * sizeof *v->q);
	v->nq = 0;
	st = db_prepare(db, "SELECT id, position, kind, text FROM survey_questions"
		" WHERE survey_id = :id ORDER BY position");
	db_bind_int(st, ":id", v->id);
	while (v->nq < n && db_next(st)) {
		struct survey_question *q = &v->q[v->nq++];
		q->id = db_int(st, 0);
		q->position = (int)db_int(st, 1);
		q->kind = arena_strdup(a, db_text(st, 2));
		q->text = arena_strdup(a, db_text(st, 3));
	}
	return db_finalize(st);
}

/* Survey id with its questions, no scope; HE_NOT_FOUND if none. */
static int survey_read(struct db *db, struct arena *a, int64_t id, int64_t user_id,
		       struct survey *out)
{
	struct db_stmt *st = db_prepare(db, SURVEY_COLS " WHERE s.id = :id");
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":user", user_id);
	bool found = db_next(st);
	if (found)
		read_row(st, a, out);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!found)
		return HE_NOT_FOUND;
	return read_questions(db, a, out);
}

static bool may_see(const struct scope *s, const struct survey *v)
{
	if (caps_has(s->caps, CAP_SURVEYS_MANAGE))
		return true;
	if (strcmp(v->status, "draft") == 0)
		return false;
	return caps_has(s->caps, CAP_IMPACT) || caps_has(s->caps, CAP_SURVEY_RESPOND);
}

int survey_get(struct db *db, struct arena *a, const struct scope *s, int64_t id,
	       struct survey *out, struct errinfo *e)
{
	memset(out, 0, sizeof *out);
	int rc = survey_read(db, a, id, s->user_id, out);
	if (rc == HE_OK && !may_see(s, out))
		rc = HE_NOT_FOUND;
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such survey");
	return rc ? errinfo_set(e, rc, "", "The survey could not be read") : HE_OK;
}

/* Rows of st (SURVEY_COLS) into *out, from a. */
static int read_list(struct db_stmt *st, struct arena *a, struct survey **out, size_t *n)
{
	size_t cap = 8;
	struct survey *v = arena_alloc(a, cap * sizeof *v);
	*n = 0;
	while (db_next(st)) {
		if (*n == cap) {
			struct survey *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, v, cap * sizeof *m);
			v = m;
			cap *= 2;
		}
		read_row(st, a, &v[(*n)++]);
	}
	*out = v;
	return db_finalize(st);
}

int survey_list(struct db *db, struct arena *a, const struct scope *s, struct survey **out,
		size_t *n)
{
	struct db_stmt *st = db_prepare(db, SURVEY_COLS
		" WHERE (:all = 1 OR s.status <> 'draft') ORDER BY s.id DESC");
	db_bind_int(st, ":all", caps_has(s->caps, CAP_SURVEYS_MANAGE));
	db_bind_int(st, ":user", s->user_id);
	return read_list(st, a, out, n);
}

int survey_waiting(struct db *db, struct arena *a, const struct scope *s, struct survey **out,
		   size_t *n)
{
	struct db_stmt *st = db_prepare(db, SURVEY_COLS
		" WHERE s.status = 'open' AND :may = 1 AND NOT EXISTS (SELECT 1 FROM"
		" survey_responses x WHERE x.survey_id = s.id AND x.user_id = :user)"
		" ORDER BY s.id DESC");
	db_bind_int(st, ":may", caps_has(s->caps, CAP_SURVEY_RESPOND) && s->user_id > 0);
	db_bind_int(st, ":user", s->user_id);
	return read_list(st, a, out, n);
}

/* ---- writing a draft ---------------------------------------------------------------- */

static int check_in(const struct survey_in *in, struct errinfo *e)
{
	int rc;
	if ((rc = text_field_check(in->title, true, SURVEY_TITLE_MAX, "title",
				   "the survey's title", e)) ||
	    (rc = text_field_check(in->intro, false, SURVEY_INTRO_MAX, "intro",
				   "the introduction", e)))
		return rc;
	if (!text_blank(in->closes_on)) {
		hday d;
		if (!date_parse(in->closes_on, &d))
			return errinfo_set(e, HE_INVALID, "closes_on", "Enter the closing date as a"
					   " real date, like 2026-07-17");
		if (d < date_today())
			return errinfo_set(e, HE_INVALID, "closes_on", "The closing date must be today"
					   " or later");
	}
	if (in->nq == 0)
		return errinfo_set(e, HE_MISSING, "questions", "Add at least one question");
	if (in->nq > SURVEY_QUESTIONS_MAX)
		return errinfo_set(e, HE_INVALID, "questions", "A survey has at most %d questions",
				   SURVEY_QUESTIONS_MAX);
	for (size_t i = 0; i < in->nq; i++) {
		char field[48], what[48];
		snprintf(field, sizeof field, "questions.%zu.kind", i);
		if (!is_kind(in->q[i].kind))
			return errinfo_set(e, HE_INVALID, field, "Choose whether question %zu is a"
					   " statement to agree or disagree with, or free text", i + 1);
		snprintf(field, sizeof field, "questions.%zu.text", i);
		snprintf(what, sizeof what, "question %zu", i + 1);
		if ((rc = text_field_check(in->q[i].text, true, SURVEY_QUESTION_MAX, field, what, e)))
			return rc;
	}
	return HE_OK;
}

static void bind_closes(struct db_stmt *st, const char *closes_on)
{
	if (text_blank(closes_on))
		db_bind_null(st, ":closes");
	else
		db_bind_text(st, ":closes", closes_on);
}

static int insert_survey(struct db *db, const struct scope *s, const struct survey_in *in,
			 const char *now, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO surveys (title, intro, status, closes_on,"
		" created_by, created_at, updated_at) VALUES (:title, :intro, 'draft', :closes, :by,"
		" :now, :now) RETURNING id");
	db_bind_text(st, ":title", in->title);
	db_bind_text(st, ":intro", in->intro ? in->intro : "");
	bind_closes(st, in->closes_on);
	if (s->user_id > 0)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":now", now);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

/* The survey's status and version inside the transaction; HE_NOT_FOUND. */
static int state_of(struct db *db, int64_t id, char status[8], int64_t *version,
		    char closes_on[11])
{
	struct db_stmt *st = db_prepare(db, "SELECT status, version, coalesce(closes_on, '')"
		" FROM surveys WHERE id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		snprintf(status, 8, "%s", db_text(st, 0));
		*version = db_int(st, 1);
		snprintf(closes_on, 11, "%.10s", db_text(st, 2));
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

/* May survey id at version change as a draft?  e says why not. */
static int check_draft(struct db *db, int64_t id, int64_t version, struct errinfo *e)
{
	char status[8], closes[11];
	int64_t cur;
	int rc = state_of(db, id, status, &cur, closes);
	if (rc == HE_NOT_FOUND)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such survey");
	if (rc)
		return rc;
	if (strcmp(status, "draft"))
		return errinfo_set(e, HE_CONFLICT, "status", "This survey has been opened: it cannot"
				   " be changed any more, only closed");
	if (version != cur)
		return errinfo_set(e, HE_CONFLICT, "version", "This survey was changed by someone"
				   " else since you opened it. Nothing has been saved: reload the page"
				   " and try again.");
	return HE_OK;
}

static int update_survey(struct db *db, int64_t id, int64_t version, const struct survey_in *in,
			 const char *now, struct errinfo *e)
{
	int rc = check_draft(db, id, version, e);
	if (rc)
		return rc;
	struct db_stmt *st = db_prepare(db, "UPDATE surveys SET title = :title, intro = :intro,"
		" closes_on = :closes, updated_at = :now, version = version + 1"
		" WHERE id = :id AND version = :version AND status = 'draft'");
	db_bind_text(st, ":title", in->title);
	db_bind_text(st, ":intro", in->intro ? in->intro : "");
	bind_closes(st, in->closes_on);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":version", version);
	rc = db_done(st);
	if (!rc && db_changes(db) != 1)
		return errinfo_set(e, HE_CONFLICT, "version", "This survey was changed by someone else"
				   " since you opened it: reload the page and try again.");
	return rc;
}

static int write_questions(struct db *db, int64_t id, const struct survey_in *in)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM survey_questions WHERE survey_id = :id");
	db_bind_int(st, ":id", id);
	int rc = db_done(st);
	for (size_t i = 0; rc == HE_OK && i < in->nq; i++) {
		st = db_prepare(db, "INSERT INTO survey_questions (survey_id, position, kind, text)"
				" VALUES (:id, :pos, :kind, :text)");
		db_bind_int(st, ":id", id);
		db_bind_int(st, ":pos", (int64_t)i + 1);
		db_bind_text(st, ":kind", in->q[i].kind);
		db_bind_text(st, ":text", in->q[i].text);
		rc = db_done(st);
	}
	return rc;
}

static int audit_survey(struct db *db, const struct scope *s, const char *action, const char *entity,
			int64_t id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int audit_survey(struct db *db, const struct scope *s, const char *action, const char *entity,
			int64_t id, const char *fmt, ...)
{
	char ids[24], summary[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(ids, sizeof ids, "%" PRId64, id);
	return audit(db, s->who, action, entity, ids, summary);
}

int survey_save(struct db *db, const struct scope *s, int64_t id, int64_t version,
		const struct survey_in *in, int64_t *out_id, struct errinfo *e)
{
	char now[21];
	int rc;
	if ((rc = need_manage(s, e)) || (rc = check_in(in, e)))
		return rc;
	if (id != 0 && version <= 0)
		return errinfo_set(e, HE_MISSING, "version", "Say which version of the survey you"
				   " changed: reload the page");
	if ((rc = db_begin(db)))
		return rc;
	timestamp_format(time(NULL), now);
	rc = id ? update_survey(db, id, version, in, now, e) : insert_survey(db, s, in, now, &id);
	if (!rc)
		rc = write_questions(db, id, in);
	if (!rc)
		rc = audit_survey(db, s, version ? "update" : "create", "surveys", id, "%s survey"
				  " \xe2\x80\x9c%.150s\xe2\x80\x9d: %zu question(s)", version ? "Changed"
				  : "Wrote", in->title, in->nq);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return e && e->code ? rc : errinfo_set(e, rc, "", "The survey could not be saved");
	}
	if (out_id)
		*out_id = id;
	return HE_OK;
}

/* ---- opening and closing ------------------------------------------------------------ */

static int64_t leaders(struct db *db, int *rc)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM users WHERE role = 'school'"
		" AND disabled = 0");
	int64_t n = db_next(st) ? db_int(st, 0) : 0;
	*rc = db_finalize(st);
	return n;
}

static int set_state(struct db *db, int64_t id, const char *status, const char *col_day,
		     const char *day, const char *now)
{
	/* col_day is one of two literals chosen below: never input */
	struct db_stmt *st = db_prepare(db, strcmp(col_day, "opened_on") == 0
		? "UPDATE surveys SET status = :status, opened_on = :day, updated_at = :now,"
		  " version = version + 1 WHERE id = :id"
		: "UPDATE surveys SET status = :status, closes_on = :day, updated_at = :now,"
		  " version = version + 1 WHERE id = :id");
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":day", day);
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":id", id);
	return db_done(st);
}

static const char *title_of(struct db *db, int64_t id, char out[160])
{
	struct db_stmt *st = db_prepare(db, "SELECT title FROM surveys WHERE id = :id");
	db_bind_int(st, ":id", id);
	snprintf(out, 160, "%.150s", db_next(st) ? db_text(st, 0) : "?");
	db_finalize(st);
	return out;
}

int survey_open(struct db *db, const struct scope *s, int64_t id, int64_t version, hday on,
		int64_t *sent, struct errinfo *e)
{
	char d[11], now[21], title[160];
	hday day;
	int rc;
	if ((rc = need_manage(s, e)) || (rc = action_day(s, on, &day, e)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = check_draft(db, id, version, e);
	char status[8], closes[11];
	int64_t cur, n = 0;
	hday cd;
	if (!rc && !(rc = state_of(db, id, status, &cur, closes)) && *closes &&
	    date_parse(closes, &cd) && cd < day)
		rc = errinfo_set(e, HE_INVALID, "closes_on", "Its planned closing date, %s, has"
				 " passed: change it before opening the survey", closes);
	day_stamp(day, d, now);
	if (!rc)
		n = leaders(db, &rc);
	if (!rc)
		rc = set_state(db, id, "open", "opened_on", d, now);
	if (!rc)
		rc = audit_survey(db, s, "open", "surveys", id, "Opened survey \xe2\x80\x9c%s\xe2\x80\x9d:"
				  " sent to %" PRId64 " school leader(s)", title_of(db, id, title), n);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return e && e->code ? rc : errinfo_set(e, rc, "", "The survey could not be opened");
	}
	if (sent)
		*sent = n;
	return HE_OK;
}

int survey_close(struct db *db, const struct scope *s, int64_t id, hday on, struct errinfo *e)
{
	char d[11], now[21], title[160], status[8], closes[11];
	int64_t cur;
	hday day;
	int rc;
	if ((rc = need_manage(s, e)) || (rc = action_day(s, on, &day, e)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = state_of(db, id, status, &cur, closes);
	if (rc == HE_NOT_FOUND)
		rc = errinfo_set(e, HE_NOT_FOUND, "", "No such survey");
	else if (!rc && strcmp(status, "open"))
		rc = errinfo_set(e, HE_CONFLICT, "status", "Only an open survey can be closed: this"
				 " one is %s", strcmp(status, "draft") ? "closed already" : "a draft");
	day_stamp(day, d, now);
	if (!rc)
		rc = set_state(db, id, "closed", "closes_on", d, now);
	if (!rc)
		rc = audit_survey(db, s, "close", "surveys", id, "Closed survey \xe2\x80\x9c%s\xe2\x80\x9d",
				  title_of(db, id, title));
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return e && e->code ? rc : errinfo_set(e, rc, "", "The survey could not be closed");
	}
	return HE_OK;
}

/* ---- answering -------------------------------------------------------------------------- */

/* Check the answers against the questions; e names "q<N>". */
static int check_answers(const struct survey *v, const char *const *ans, size_t n,
			 struct errinfo *e)
{
	char field[24];
	for (size_t i = v->nq; i < n; i++)
		if (!text_blank(ans[i])) {
			snprintf(field, sizeof field, "q%zu", i + 1);
			return errinfo_set(e, HE_INVALID, field, "The survey has no question %zu", i + 1);
		}
	for (size_t i = 0; i < v->nq; i++) {
		const char *a = i < n ? ans[i] : NULL;
		snprintf(field, sizeof field, "q%d", v->q[i].position);
		if (strcmp(v->q[i].kind, "likert") == 0) {
			if (text_blank(a))
				return errinfo_set(e, HE_MISSING, field, "Answer statement %d: choose from"
						   " strongly disagree to strongly agree", v->q[i].position);
			if (strlen(a) != 1 || a[0] < '1' || a[0] > '5')
				return errinfo_set(e, HE_INVALID, field, "Answer statement %d with 1"
						   " (strongly disagree) to 5 (strongly agree)",
						   v->q[i].position);
			continue;
		}
		if (a && !text_valid(a, strlen(a)))
			return errinfo_set(e, HE_INVALID, field, "Remove the control characters from"
					   " your answer to question %d", v->q[i].position);
		if (utf8_chars(a) > SURVEY_TEXT_MAX)
			return errinfo_set(e, HE_INVALID, field, "Keep your answer to question %d to"
					   " %d characters or fewer", v->q[i].position, SURVEY_TEXT_MAX);
	}
	return HE_OK;
}

static int insert_response(struct db *db, int64_t survey_id, int64_t school_id, int64_t user_id,
			   const char *at, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO survey_responses (survey_id, school_id,"
		" user_id, submitted_at) VALUES (:survey, :school, :user, :at) RETURNING id");
	db_bind_int(st, ":survey", survey_id);
	db_bind_int(st, ":school", school_id);
	if (user_id > 0)
		db_bind_int(st, ":user", user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":at", at);
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

static int insert_answers(struct db *db, int64_t rid, const struct survey *v,
			  const char *const *ans, size_t n)
{
	int rc = HE_OK;
	for (size_t i = 0; rc == HE_OK && i < v->nq && i < n; i++) {
		if (text_blank(ans[i]))
			continue;
		bool likert = strcmp(v->q[i].kind, "likert") == 0;
		struct db_stmt *st = db_prepare(db, "INSERT INTO survey_answers (response_id,"
			" question_id, likert, text) VALUES (:r, :q, :likert, :text)");
		db_bind_int(st, ":r", rid);
		db_bind_int(st, ":q", v->q[i].id);
		if (likert) {
			db_bind_int(st, ":likert", ans[i][0] - '0');
			db_bind_null(st, ":text");
		} else {
			db_bind_null(st, ":likert");
			db_bind_text(st, ":text", ans[i]);
		}
		rc = db_done(st);
	}
	return rc;
}

/* May the response be taken (in the transaction)?  The survey must be
 * open (the system may also add to a closed one: a late paper return),
 * and this user must not have answered. */
static int check_respond(const struct scope *s, const struct survey *v, struct errinfo *e)
{
	if (strcmp(v->status, "draft") == 0)
		return errinfo_set(e, HE_NOT_FOUND, "", "No such survey");
	if (strcmp(v->status, "open") && !scope_is_system(s))
		return errinfo_set(e, HE_CONFLICT, "status", "This survey closed on %s: it takes no"
				   " more answers", v->closes_on);
	if (v->answered)
		return errinfo_set(e, HE_CONFLICT, "survey", "You have answered this survey already:"
				   " it takes one answer from each school leader");
	return HE_OK;
}

static int respond(struct db *db, const struct scope *s, int64_t id, int64_t school_id,
		   hday day, const char *const *ans, size_t n, int64_t *out_id, struct errinfo *e)
{
	struct arena a;
	struct survey v;
	char d[11], at[21], school[160];
	int64_t rid = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	arena_init(&a);
	rc = survey_read(db, &a, id, s->user_id, &v);
	if (rc == HE_NOT_FOUND)
		rc = errinfo_set(e, HE_NOT_FOUND, "", "No such survey");
	if (!rc)
		rc = check_respond(s, &v, e);
	if (!rc)
		rc = check_answers(&v, ans, n, e);
	day_stamp(day, d, at);
	if (!rc)
		rc = insert_response(db, id, school_id, s->user_id, at, &rid);
	if (!rc)
		rc = insert_answers(db, rid, &v, ans, n);
	if (!rc) {
		struct db_stmt *st = db_prepare(db, "SELECT name FROM schools WHERE id = :id");
		db_bind_int(st, ":id", school_id);
		snprintf(school, sizeof school, "%.150s", db_next(st) ? db_text(st, 0) : "?");
		rc = db_finalize(st);
	}
	if (!rc)
		rc = audit_survey(db, s, "create", "survey_responses", rid, "Answered survey"
				  " \xe2\x80\x9c%.100s\xe2\x80\x9d for %s", v.title, school);
	if (!rc)
		rc = db_commit(db);
	arena_free(&a);
	if (rc) {
		db_rollback(db);
		if (rc == HE_DB_CONSTRAINT)
			return errinfo_set(e, HE_CONFLICT, "survey", "You have answered this survey"
					   " already");
		return e && e->code ? rc : errinfo_set(e, rc, "", "The answers could not be saved");
	}
	if (out_id)
		*out_id = rid;
	return HE_OK;
}

int survey_respond(struct db *db, const struct scope *s, int64_t id, const char *const *answers,
		   size_t nanswers, int64_t *out_id, struct errinfo *e)
{
	if (!caps_has(s->caps, CAP_SURVEY_RESPOND) || s->school_id <= 0 || s->user_id <= 0)
		return errinfo_set(e, HE_FORBIDDEN, "", "Surveys are answered by school leaders");
	return respond(db, s, id, s->school_id, date_today(), answers, nanswers, out_id, e);
}

int survey_respond_for(struct db *db, const struct scope *s, int64_t id, int64_t school_id,
		       hday submitted, const char *const *answers, size_t nanswers,
		       int64_t *out_id, struct errinfo *e)
{
	if (!scope_is_system(s))
		return errinfo_set(e, HE_FORBIDDEN, "", "Only the system records answers for a school");
	return respond(db, s, id, school_id, submitted ? submitted : date_today(), answers,
		       nanswers, out_id, e);
}

/* ---- results ------------------------------------------------------------------------------ */

#define FILTER_WHERE " (:school = 0 OR s.id = :school) AND (:district = 0 OR" \
	" s.district_id = :district) AND (:phase = '' OR s.phase = :phase)"

static void bind_filter(struct db_stmt *st, const struct report_filter *f)
{
	db_bind_int(st, ":school", f->school_id);
	db_bind_int(st, ":district", f->district_id);
	db_bind_text(st, ":phase", f->phase);
}

/* The columns: the school types present in the filter (school_phases[]
 * order) and the total, with the number of schools of each. */
struct cols {
	size_t n;                   /* types, not counting the total */
	const char *phase[16];
	const char *title[17], *key[17];
	int64_t schools[17];
};

static int col_of(const struct cols *c, const char *phase)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->phase[i], phase) == 0)
			return (int)i;
	return -1;
}

static int read_cols(struct db *db, const struct report_filter *f, struct cols *c)
{
	int64_t by[16] = {0};
	size_t np = 0;
	while (school_phases[np] && np < 16)
		np++;
	struct db_stmt *st = db_prepare(db, "SELECT s.phase, count(*) FROM schools s WHERE"
		FILTER_WHERE " GROUP BY s.phase");
	bind_filter(st, f);
	while (db_next(st))
		for (size_t i = 0; i < np; i++)
			if (strcmp(school_phases[i], db_text(st, 0)) == 0)
				by[i] = db_int(st, 1);
	int rc = db_finalize(st);
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < np; i++) {
		if (!by[i])
			continue;
		c->phase[c->n] = school_phases[i];
		c->title[c->n] = school_phase_title(school_phases[i]);
		c->key[c->n] = school_phases[i];
		c->schools[c->n++] = by[i];
		c->schools[16] += by[i];
	}
	c->title[c->n] = "Total";
	c->key[c->n] = "total";
	c->schools[c->n] = c->schools[16];
	return rc;
}

/* num / den as permille, or tenths (scale), rounded half up; RC_NONE
 * without a base, RC_SMALL_BASE from fewer than 5 when suppressing. */
static int64_t ratio(int64_t num, int64_t den, int64_t scale, const struct report_filter *f)
{
	if (den <= 0)
		return RC_NONE;
	if (f->suppress && den < REPORT_SUPPRESS_BELOW)
		return RC_SMALL_BASE;
	return (num * scale + den / 2) / den;
}

static struct rtable *new_table(struct arena *a, const struct cols *c, const char *id,
				const char *title, const char *caption, const char *head)
{
	return rtable_new(a, id, title, caption, head, c->n + 1, c->title, c->key, true);
}

static int rates_table(struct db *db, struct arena *a, const struct report_filter *f,
		       int64_t survey_id, const struct cols *c, const char *caption,
		       struct rtable **out)
{
	struct rtable *t = new_table(a, c, "survey_rates", "Response rates by school type", caption,
				     "Measure");
	int64_t *schools = rtable_row(a, t, "schools", "Schools of this type", RC_COUNT, 0);
	int64_t *resp = rtable_row(a, t, "schools_responded", "Schools that responded", RC_COUNT, 0);
	int64_t *rate = rtable_row(a, t, "response_rate", "Response rate", RC_PERMILLE, 0);
	int64_t *leaders_row = rtable_row(a, t, "responses", "Answers from school leaders",
					  RC_COUNT, 0);
	struct db_stmt *st = db_prepare(db, "SELECT s.phase, count(DISTINCT r.school_id), count(*)"
		" FROM survey_responses r JOIN schools s ON s.id = r.school_id"
		" WHERE r.survey_id = :survey AND" FILTER_WHERE " GROUP BY s.phase");
	db_bind_int(st, ":survey", survey_id);
	bind_filter(st, f);
	while (db_next(st)) {
		int i = col_of(c, db_text(st, 0));
		if (i < 0)
			continue;
		resp[i] = db_int(st, 1);
		leaders_row[i] = db_int(st, 2);
		resp[c->n] += resp[i];
		leaders_row[c->n] += leaders_row[i];
	}
	for (size_t i = 0; i <= c->n; i++) {
		schools[i] = c->schools[i];
		rate[i] = ratio(resp[i], schools[i], 1000, f);
	}
	t->chart_row = "response_rate";
	*out = t;
	return db_finalize(st);
}

/* A Likert question's table: answers, their distribution, the mean. */
static struct rtable *likert_table(struct arena *a, const struct cols *c,
				   const struct survey_question *q)
{
	struct rtable *t = new_table(a, c, arena_printf(a, "survey_q%d", q->position),
		arena_printf(a, "%d. %s", q->position, q->text),
		"School leaders' answers by school type: how many answered, how many chose each"
		" answer, and the average from 1 (strongly disagree) to 5 (strongly agree).", "Answer");
	rtable_row(a, t, "answers", "School leaders who answered", RC_COUNT, 0);
	for (int k = 0; k < 5; k++)
		rtable_row(a, t, arena_printf(a, "likert_%d", k + 1), survey_likert_labels[k],
			   RC_COUNT, 1);
	rtable_row(a, t, "mean", "Average (1 to 5)", RC_TENTHS, 0);
	t->chart_row = "mean";
	return t;
}

static int likert_tables(struct db *db, struct arena *a, const struct report_filter *f,
			 const struct survey *sv, const struct cols *c, struct survey_results *out)
{
	out->likert = arena_alloc(a, (sv->nq ? sv->nq : 1) * sizeof *out->likert);
	int64_t *qid = arena_alloc(a, (sv->nq ? sv->nq : 1) * sizeof *qid);
	for (size_t i = 0; i < sv->nq; i++)
		if (strcmp(sv->q[i].kind, "likert") == 0) {
			qid[out->nlikert] = sv->q[i].id;
			out->likert[out->nlikert++] = likert_table(a, c, &sv->q[i]);
		}
	struct db_stmt *st = db_prepare(db, "SELECT a.question_id, s.phase, a.likert, count(*)"
		" FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
		" JOIN schools s ON s.id = r.school_id WHERE r.survey_id = :survey"
		" AND a.likert IS NOT NULL AND" FILTER_WHERE
		" GROUP BY a.question_id, s.phase, a.likert");
	db_bind_int(st, ":survey", sv->id);
	bind_filter(st, f);
	while (db_next(st)) {
		int i = col_of(c, db_text(st, 1));
		int64_t k = db_int(st, 2), n = db_int(st, 3);
		for (size_t j = 0; i >= 0 && k >= 1 && k <= 5 && j < out->nlikert; j++) {
			if (qid[j] != db_int(st, 0))
				continue;
			struct rrow *rows = out->likert[j]->rows;
			rows[0].v[i] += n;
			rows[0].v[c->n] += n;
			rows[k].v[i] += n;
			rows[k].v[c->n] += n;
			rows[6].v[i] += k * n;      /* the sum, divided below */
			rows[6].v[c->n] += k * n;
		}
	}
	for (size_t j = 0; j < out->nlikert; j++) {
		struct rrow *rows = out->likert[j]->rows;
		for (size_t i = 0; i <= c->n; i++)
			rows[6].v[i] = ratio(rows[6].v[i], rows[0].v[i], 10, f);
	}
	return db_finalize(st);
}

static int schools_table(struct db *db, struct arena *a, const struct report_filter *f,
			 int64_t survey_id, struct survey_results *out)
{
	static const char *const cols[] = {"Answers", "School leaders with access"};
	static const char *const keys[] = {"responses", "leaders"};
	struct rtable *t = rtable_new(a, "survey_schools", "Responses by school",
		"Each school with how many of its leaders answered, out of its leaders who have"
		" access to Hearth.", "School", 2, cols, keys, false);
	struct db_stmt *st = db_prepare(db, "SELECT s.urn, s.name, s.phase,"
		" (SELECT count(*) FROM survey_responses r WHERE r.survey_id = :survey"
		"  AND r.school_id = s.id),"
		" (SELECT count(*) FROM users u WHERE u.school_id = s.id AND u.role = 'school'"
		"  AND u.disabled = 0)"
		" FROM schools s WHERE" FILTER_WHERE " ORDER BY s.name, s.urn");
	db_bind_int(st, ":survey", survey_id);
	bind_filter(st, f);
	while (db_next(st)) {
		int64_t *v = rtable_row(a, t, arena_printf(a, "school_%s", db_text(st, 0)),
			arena_printf(a, "%s (%s)", db_text(st, 1), school_phase_title(db_text(st, 2))),
			RC_COUNT, 0);
		v[0] = db_int(st, 3);
		v[1] = db_int(st, 4);
	}
	out->schools = t;
	return db_finalize(st);
}

static int texts(struct db *db, struct arena *a, const struct report_filter *f,
		 int64_t survey_id, struct survey_results *out)
{
	size_t cap = 16;
	out->texts = arena_alloc(a, cap * sizeof *out->texts);
	struct db_stmt *st = db_prepare(db, "SELECT q.position, s.name, a.text"
		" FROM survey_answers a JOIN survey_questions q ON q.id = a.question_id"
		" JOIN survey_responses r ON r.id = a.response_id JOIN schools s ON s.id = r.school_id"
		" WHERE r.survey_id = :survey AND q.kind = 'text' AND a.text IS NOT NULL AND"
		FILTER_WHERE " ORDER BY q.position, s.name, r.id");
	db_bind_int(st, ":survey", survey_id);
	bind_filter(st, f);
	while (db_next(st)) {
		if (out->ntexts == cap) {
			struct survey_text *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, out->texts, cap * sizeof *m);
			out->texts = m;
			cap *= 2;
		}
		struct survey_text *x = &out->texts[out->ntexts++];
		x->position = (int)db_int(st, 0);
		x->school = arena_strdup(a, db_text(st, 1));
		x->text = arena_strdup(a, db_text(st, 2));
	}
	return db_finalize(st);
}

static const char *rates_caption(struct arena *a, const struct survey *sv)
{
	const char *when = strcmp(sv->status, "closed") == 0
		? arena_printf(a, "open from %s to %s", sv->opened_on, sv->closes_on)
		: arena_printf(a, "open since %s", sv->opened_on);
	return arena_printf(a, "\xe2\x80\x9c%s\xe2\x80\x9d (%s): a school responded if any of its"
			    " leaders answered; the response rate is over every school of that type.",
			    sv->title, when);
}

int survey_results(struct db *db, struct arena *a, const struct report_filter *f,
		   const struct survey *sv, bool full, struct survey_results *out)
{
	struct cols c;
	memset(out, 0, sizeof *out);
	int rc = read_cols(db, f, &c);
	if (!rc)
		rc = rates_table(db, a, f, sv->id, &c, rates_caption(a, sv), &out->rates);
	if (!rc)
		rc = likert_tables(db, a, f, sv, &c, out);
	if (!rc && full)
		rc = schools_table(db, a, f, sv->id, out);
	if (!rc && full)
		rc = texts(db, a, f, sv->id, out);
	return rc;
}

/* ---- the Schools Forum section ------------------------------------------------------------- */

int report_survey(struct db *db, struct arena *a, const struct report_filter *f,
		  struct rtable **out)
{
	char to[11];
	date_format(f->to, to);
	struct db_stmt *st = db_prepare(db, "SELECT id FROM surveys WHERE status IN ('open','closed')"
		" AND opened_on <= :to ORDER BY CASE WHEN status = 'closed' THEN 0 ELSE 1 END,"
		" opened_on DESC, id DESC LIMIT 1");
	db_bind_text(st, ":to", to);
	int64_t id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	struct survey sv;
	struct cols c;
	memset(&sv, 0, sizeof sv);
	if (!rc && id)
		rc = survey_read(db, a, id, 0, &sv);
	if (!rc)
		rc = read_cols(db, f, &c);
	if (rc)
		return rc;
	rc = rates_table(db, a, f, id, &c, id ? rates_caption(a, &sv) : "No survey of school"
			 " leaders had been opened by the end of the period.", out);
	if (!rc) {
		(*out)->id = "survey";
		(*out)->title = id ? arena_printf(a, "School leaders' survey: %s", sv.title)
			: "School leaders' survey";
		for (size_t i = 0; !id && i <= c.n; i++)
			rtable_find(*out, "response_rate")->v[i] = RC_NONE;
	}
	return rc;
}
