/* survey.h — the partnership's surveys of school leaders: writing one,
 * opening it to every school leader, their answers, and the results by
 * school type (Staffordshire's Schools Forum is told the response rate of
 * its primary, middle, secondary and special schools and PRUs).
 *
 * A survey is written by the coordinator or the admin
 * (CAP_SURVEYS_MANAGE): a title, an introduction and up to
 * SURVEY_QUESTIONS_MAX questions, each a Likert statement (answered 1
 * "Strongly disagree" … 5 "Strongly agree") or a free-text question.
 * While it is a draft it may be edited; each edit names the version it was
 * made from and bumps it (someone else's edit in between is HE_CONFLICT).
 * Opening it sends it to every school leader (every active user with role
 * school; they see it on their home page) and freezes it: an open survey
 * can only be closed, a closed one nothing.
 *
 * A school leader (CAP_SURVEY_RESPOND) answers an open survey once: every
 * Likert statement must be answered, a free-text answer is optional and at
 * most SURVEY_TEXT_MAX characters; a refused answer names its field "q<N>"
 * (N the question's position, from 1).  Results count SCHOOLS: a school
 * responded if any of its leaders answered; the response rate of a school
 * type is the schools of that type that responded over the schools of that
 * type in the partnership (within the filter's district, phase, school).
 *
 * Results are report tables (core/report.h), so the page, the JSON, the
 * CSV and the XLSX print the same figures: response rates by school type,
 * and for each Likert statement the answers' distribution and mean (×10,
 * RC_TENTHS) by school type.  For a suppressing filter (the viewer) a rate
 * or mean from fewer than 5 is RC_SMALL_BASE; the per-school table and the
 * free text (which could identify a school and so a family) are only
 * computed for the full view (CAP_SURVEYS_MANAGE). */
#ifndef HEARTH_SURVEY_H
#define HEARTH_SURVEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "core/report.h"

struct db;
struct scope;
struct audit_who;

#define SURVEY_TITLE_MAX 200       /* bytes */
#define SURVEY_INTRO_MAX 2000      /* bytes */
#define SURVEY_QUESTION_MAX 500    /* bytes */
#define SURVEY_QUESTIONS_MAX 30
#define SURVEY_TEXT_MAX 2000       /* characters (UTF-8 code points) of a free-text answer */

/* "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
 * "Strongly agree": the answer 1 … 5 is index + 1. */
extern const char *const survey_likert_labels[5];

struct survey_question {
	int64_t id;
	int position;               /* 1, 2, … */
	const char *kind;           /* "likert" | "text" */
	const char *text;
};

struct survey {
	int64_t id, version;
	const char *title, *intro;
	const char *status;         /* "draft" | "open" | "closed" */
	char opened_on[11];         /* "" until opened */
	char closes_on[11];         /* open: the planned closing day, or ""; closed: the day it closed */
	const char *created_at;
	struct survey_question *q;
	size_t nq;
	int64_t responses;          /* responses so far (leaders) */
	int64_t schools_responded;  /* distinct schools among them */
	bool answered;              /* by the scope's user */
};

struct survey_question_in {
	const char *kind;           /* "likert" | "text" */
	const char *text;
};

struct survey_in {
	const char *title, *intro;
	const char *closes_on;      /* optional "YYYY-MM-DD": when it is planned to close */
	const struct survey_question_in *q;
	size_t nq;
};

/* Create (id 0) or edit a draft (id, version it was read at).  CAP_SURVEYS_MANAGE,
 * else HE_FORBIDDEN.  Validates: "title" (1–SURVEY_TITLE_MAX bytes), "intro"
 * (≤ SURVEY_INTRO_MAX), "closes_on" (a date, not in the past), "questions"
 * (1–SURVEY_QUESTIONS_MAX), "questions.<i>.kind", "questions.<i>.text" (i from
 * 0).  Editing: HE_NOT_FOUND for an unknown id, HE_CONFLICT (field "status")
 * once opened, HE_CONFLICT (field "version") for a stale version.  Own
 * transaction with its audit row (create/update, entity "surveys"); sets
 * *out_id (may be NULL). */
int survey_save(struct db *db, const struct scope *s, int64_t id, int64_t version,
		const struct survey_in *in, int64_t *out_id, struct errinfo *e);

/* Open a draft (at version; HE_CONFLICT "version" if stale, "status" if not
 * a draft; HE_INVALID "closes_on" if its planned closing day has passed):
 * opened_on today; sets *sent to the number of school leaders it goes to
 * (may be NULL).  Close an open survey (HE_CONFLICT "status" otherwise):
 * closes_on today.  CAP_SURVEYS_MANAGE; own transaction and audit row
 * (action "open" / "close").  on: 0 for today; an earlier day only for
 * the system scope (the demo's past survey), else HE_FORBIDDEN. */
int survey_open(struct db *db, const struct scope *s, int64_t id, int64_t version, hday on,
		int64_t *sent, struct errinfo *e);
int survey_close(struct db *db, const struct scope *s, int64_t id, hday on, struct errinfo *e);

/* One survey with its questions and response counts, from a.  A draft is
 * seen only with CAP_SURVEYS_MANAGE; others are seen by every user with
 * CAP_IMPACT, CAP_SURVEYS_MANAGE or CAP_SURVEY_RESPOND.  HE_NOT_FOUND
 * otherwise (the caller audits the refusal).  No audit. */
int survey_get(struct db *db, struct arena *a, const struct scope *s, int64_t id,
	       struct survey *out, struct errinfo *e);
/* The surveys s may see (managers: all; others: open and closed), newest
 * first, without their questions.  No audit. */
int survey_list(struct db *db, struct arena *a, const struct scope *s, struct survey **out,
		size_t *n);
/* Open surveys the scope's user (a school leader) has not answered yet,
 * newest first; none for a scope without CAP_SURVEY_RESPOND. */
int survey_waiting(struct db *db, struct arena *a, const struct scope *s, struct survey **out,
		   size_t *n);

/* Answer survey id as the scope's user for their school.  answers[i] is
 * the answer to the question at position i + 1 (NULL or blank: not
 * answered; a Likert answer "1" … "5").  nanswers must cover the
 * questions (extra ones are HE_INVALID "q<N>").  CAP_SURVEY_RESPOND and a
 * school, else HE_FORBIDDEN; HE_NOT_FOUND for a draft or unknown id;
 * HE_CONFLICT (field "status") once closed; HE_CONFLICT ("survey") if this
 * user has answered it already.  Own transaction with its audit row (create,
 * "survey_responses"); *out_id the response (may be NULL).  The system
 * scope answers for school_id (user NULL) on day submitted (both taken
 * only from it): the demo's and a paper return's way in. */
int survey_respond(struct db *db, const struct scope *s, int64_t id, const char *const *answers,
		   size_t nanswers, int64_t *out_id, struct errinfo *e);
int survey_respond_for(struct db *db, const struct scope *s, int64_t id, int64_t school_id,
		       hday submitted, const char *const *answers, size_t nanswers,
		       int64_t *out_id, struct errinfo *e);

/* One free-text answer, for the full results. */
struct survey_text {
	int position;               /* the question's */
	const char *school;         /* the school's name */
	const char *text;
};

struct survey_results {
	struct rtable *rates;       /* "survey_rates": schools, schools responded, rate, responses by type */
	struct rtable **likert;     /* "survey_q<N>": per Likert question */
	size_t nlikert;
	struct rtable *schools;     /* "survey_schools": a row per school (full only) */
	struct survey_text *texts;  /* full only, by question then school */
	size_t ntexts;
};

/* The results of sv (from survey_get) within f's district, phase and
 * school (f's period is not used: a survey is its own period), from a.
 * full: also the per-school table and the free text.  Read-only; the
 * caller audits the view. */
int survey_results(struct db *db, struct arena *a, const struct report_filter *f,
		   const struct survey *sv, bool full, struct survey_results *out);

/* The Schools Forum report's section (report_fn): the response rates by
 * school type of the latest closed survey opened by the end of f's period
 * (or, when none has closed, the latest open one).  With no such survey
 * the table has the schools by type, no responses and a caption saying
 * so.  Table id "survey". */
int report_survey(struct db *db, struct arena *a, const struct report_filter *f,
		  struct rtable **out);

/* The demo: a closed survey "Family support: school leaders' survey
 * 2025–26" (six questions, answered for about 60% of the demo schools,
 * more of the secondaries than of the primaries) and an open one the demo
 * school leader has not answered.  Does nothing (HE_OK) when a survey
 * exists.  Outside a transaction; progress to log (may be NULL). */
int demo_seed_surveys(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		      FILE *log);

#endif
