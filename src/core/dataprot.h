/* dataprot.h — the data protection duties: subject access, retention with
 * safeguarding holds, and the register of every export.
 *
 * Subject access.  Everything Hearth holds about one person — a pupil (by
 * UPN) or a family member (by id; a child member known to a school is the
 * pupil) — gathered into a document of sections, one per kind of record
 * (the census, the family, referrals, consents, cases, the chronology,
 * contacts, assessments, the plan, reviews, TAF meetings, commissions,
 * destinations, history from before Hearth, holds, who read the records,
 * earlier exports).  The family's records are the person's records: a
 * child's case is their family's case.  Other people named (the rest of the
 * household, professionals) are listed apart, so whoever answers the
 * request can consider them before disclosure.  Nothing about a family the
 * person is not a member of is included.
 *
 * Retention.  The family is the unit: its members, referrals and cases are
 * one record.  A family is due for anonymisation when it has a referral,
 * no case is open and no referral waits, the last closure (or decision on
 * a referral without a case) is retention.years ago or more, and every
 * child of the family has reached retention.until_age (0: no age rule) —
 * unless a safeguarding hold is in force.  Anonymising keeps every id, date,
 * code, score and amount the reports count, and removes names, dates of
 * birth (a pupil's becomes 1 September of their school year of birth),
 * addresses, phone numbers, UPNs and free text (dataprot.c lists every
 * column).  One family per transaction, with its audit row: a family is
 * anonymised whole or not at all.  The audit log is never touched.
 *
 * Export register.  One row per export (CSV, XLSX, JSON, a subject access
 * document, a database backup): who, when, through what route, what, the
 * filter in words, how many rows, and the person for a subject access
 * export (by id).  Append-only. */
#ifndef HEARTH_DATAPROT_H
#define HEARTH_DATAPROT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"

struct db;
struct audit_who;

/* ---- the export register ---------------------------------------------------- */

struct export_rec {
	const char *what;          /* "reports/outcomes", "pupils", "subject_access", … */
	const char *format;        /* csv, xlsx, json, html, database */
	const char *filters;       /* the filter in words (may be NULL) */
	int64_t rows;              /* rows exported; -1 when that means nothing */
	const char *subject_kind;  /* "pupil" or "member" for subject access, else NULL */
	int64_t subject_id;
};

/* Record an export made by who.  Inside the caller's transaction if one is
 * open, else in one of its own.  *id (may be NULL) is the new row's id.
 * Returns HE_OK or a db error (the export must then not be delivered). */
int export_register_add(struct db *db, const struct audit_who *who, const struct export_rec *x,
			int64_t *id);

/* ---- subject access ----------------------------------------------------------- */

struct sar_field {
	const char *key;           /* snake_case, the JSON key */
	const char *value;         /* NULL: nothing recorded */
};
struct sar_record {
	size_t nfields;
	struct sar_field *fields;
};
struct sar_section {
	const char *id;            /* "cases", "contacts", … */
	const char *title;         /* "Cases" */
	const char *about;         /* one sentence: what these records are */
	size_t nrecords;
	struct sar_record *records;
};
struct sar_doc {
	const char *kind;          /* "pupil" or "member" */
	int64_t id;                /* pupils.id or family_members.id */
	int64_t pupil_id;          /* the pupil (a child member known to a school), else 0 */
	int64_t member_id;         /* for kind "member" */
	const char *name;          /* as recorded */
	const char *upn;           /* NULL unless a pupil */
	bool anonymised;
	size_t nsections;
	struct sar_section *sections;
};

/* The sections of a document, in order.  Every document has every
 * section, perhaps empty. */
struct sar_kind {
	const char *id, *title, *about;
};
size_t sar_kind_count(void);
const struct sar_kind *sar_kind_at(size_t i);   /* NULL past the end */

/* Gather everything held about the pupil with this UPN (kind "pupil") or
 * the family member with this id (kind "member"), allocated from a.
 * HE_NOT_FOUND when there is no such person.  Reads only: the caller
 * audits the export and records it (dataprot_web.c). */
int sar_gather(struct db *db, struct arena *a, const char *kind, const char *key,
	       struct sar_doc *out);

/* A person a search found. */
struct sar_hit {
	const char *kind;          /* "pupil" or "member" */
	const char *key;           /* UPN, or the member's id */
	const char *name, *dob, *detail;   /* detail: school, or family and relationship */
};
#define SAR_SEARCH_MAX 50
/* People whose name contains q (case-insensitive, every word of q), whose
 * UPN is q, or, when dob is given (YYYY-MM-DD), born that day: pupils and
 * the family members who are not pupils.  At most SAR_SEARCH_MAX, from a.
 * HE_INVALID (field q) when both are empty or q is under 2 characters. */
int sar_search(struct db *db, struct arena *a, const char *q, const char *dob,
	       struct sar_hit **out, size_t *n, struct errinfo *e);

/* ---- retention ------------------------------------------------------------------ */

struct retention_settings {
	int years;                 /* after the last closure; 1..100 */
	int until_age;             /* the youngest child's age; 0 (no rule) or 18..100 */
};
#define RETENTION_DEFAULT_YEARS 6
#define RETENTION_DEFAULT_AGE 25

/* The settings (the defaults where a setting is missing or unreadable). */
int retention_settings_get(struct db *db, struct retention_settings *rs);
/* Change them (fields "years", "until_age"), audited, own transaction. */
int retention_settings_set(struct db *db, const struct audit_who *who,
			   const struct retention_settings *rs, struct errinfo *e);

/* A family past its retention period: a family of Hearth's, or (history
 * true) a family of the cases loaded from before Hearth (hearth
 * import-history), known only by its old family_ref: ref is that
 * reference, family_id its first history case's id, cases the old case
 * references.  A history family is held when a hold is in force on it
 * (by its old family_ref) or on a Hearth family that one of its children
 * (by pupil record) belongs to. */
struct retention_family {
	int64_t family_id;
	bool history;
	const char *ref, *name;
	const char *cases;         /* "C-000012, C-000040", or "" */
	int ncases;
	const char *last_closed;   /* the last closure or decision, YYYY-MM-DD */
	const char *youngest_dob;  /* the youngest child's date of birth, or NULL */
	char due_on[11];           /* when its retention ended */
	int64_t hold_id;           /* an active hold, else 0 */
	const char *hold_reason;
};

/* The families due on today (held ones included, with hold_id set),
 * longest overdue first, from a. */
int retention_due(struct db *db, struct arena *a, hday today, struct retention_family **out,
		  size_t *n);

struct retention_result {
	int64_t due, held, anonymised, failed;   /* families, history ones included */
	int64_t history;           /* of anonymised: history families */
	int64_t pupils;            /* pupil records anonymised */
};
/* Anonymise every family due on today and not held, one transaction
 * each (with its audit row "anonymise", entity "families", or for a
 * history family entity "history_cases", id its first case); a family that
 * fails is rolled back whole and counted in failed, and the run goes on;
 * then one audit row for the run ("retention": the counts).  Lines go to log (may be NULL).  Must not be called in a transaction.
 * Returns HE_OK, or the first failure's code once all were tried. */
int retention_apply(struct db *db, const struct audit_who *who, hday today,
		    struct retention_result *res, FILE *log);

/* ---- safeguarding holds ------------------------------------------------------------ */

#define HOLD_REASON_MAX 1000
struct hold {
	int64_t id, family_id;     /* family_id 0: on a history family (history true) */
	bool history;              /* family_ref is then the old family_ref */
	const char *family_ref, *family_name, *reason, *placed_by, *placed_at;
	const char *released_by, *released_at, *release_reason;   /* NULL while in force */
};

/* Place a hold on the family with this ref ("F-000123"), on the family
 * of the case with this ref ("C-000123"), or on the family of the child of
 * a case from before Hearth with this old case reference (the hold then
 * keeps that history family too); failing those, on the history family
 * with this old family_ref or old case reference (a family from before
 * Hearth whose children are in no Hearth family), field "ref"; reason required
 * (field "reason", at most HOLD_REASON_MAX).  A family already held is
 * HE_CONFLICT.  Own transaction, audited ("hold", entity "families", or
 * "history_cases" and the first case's id for a history family). */
int hold_place(struct db *db, const struct audit_who *who, const char *ref, const char *reason,
	       int64_t *id, struct errinfo *e);
/* Release hold id with a reason (field "reason").  HE_NOT_FOUND, or
 * HE_CONFLICT when already released.  Own transaction, audited. */
int hold_release(struct db *db, const struct audit_who *who, int64_t id, const char *reason,
		 struct errinfo *e);
/* Holds in force (all, when with_released), newest first, from a. */
int hold_list(struct db *db, struct arena *a, bool with_released, struct hold **out, size_t *n);
/* The hold in force on family_id, from a: *found false when none. */
int hold_of_family(struct db *db, struct arena *a, int64_t family_id, struct hold *out,
		   bool *found);

/* ---- the demo ---------------------------------------------------------------------- */

/* hearth demo (core/demo_dataprot.c): three families from the partnership's
 * earlier case system whose cases closed eight to ten years ago and whose
 * children are now in their mid-twenties (due for anonymisation, one of
 * them held), their first episodes and one more family among the cases
 * from before Hearth (four history families due, one held with its
 * family), a safeguarding hold on a recently closed case, and some
 * export register rows.  Nothing if any hold exists already.  Must not be
 * called in a transaction. */
int demo_seed_dataprot(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		       FILE *log);

#endif
