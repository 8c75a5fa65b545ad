/* risk.h — the risk engine: which pupils are most at risk of becoming
 * NEET (not in education, employment or training) at 16, and why.
 *
 * Indicators and weights are data, not code.  A rule (table risk_rules)
 * says "indicator OP value is worth N points", e.g. attendance_pct lt 90
 * → 15 points.  The default set, inserted by migration 0003, is modelled
 * on the published Risk of NEET Indicator (RONI) tools councils give
 * their schools; the partnership's admin edits it, previewing first how
 * many pupils each change moves between bands.
 *
 * Indicators.  Each pupil's census row gives a struct risk_values: one
 * int32 per enum risk_indicator, or RISK_UNKNOWN where the extract did
 * not say.  They are computed the same way from a validated struct
 * pupil_data (the import) and from a pupil_snapshots row (rescoring):
 *   attendance_pct     sessions attended × 100 / sessions possible, rounded
 *                      down (89.9% is 89); unknown if possible is 0/unknown
 *   unauthorised_pct   unauthorised absence × 100 / possible, rounded down
 *   suspensions        number of suspensions
 *   suspension_days    days of suspension, whole days (rounded down)
 *   permanent_exclusion, looked_after, cin, cp, fsm, young_carer,
 *   youth_justice, below_expected, eal_new, young_parent   flags 0/1
 *   sen_support        1 if SEN provision is K; 0 if N or E
 *   ehcp               1 if SEN provision is E or an EHC plan is recorded;
 *                      0 if a plan is recorded as absent or provision is N/K
 *   school_moves       the extract's pupil moves
 * An unknown value never fires a rule (whatever the operator).
 *
 * Scoring.  Rules in one group (grp) are alternatives: of the rules of a
 * group that fire, only the one worth most points counts (ties: the
 * earlier position), so severe absence (30) supersedes persistent absence
 * (15) rather than adding to it.  score = sum over groups; band is high if
 * score ≥ band_high, medium if ≥ band_medium, else low (settings
 * risk.band.high and risk.band.medium).  The result names the rules that
 * counted as a bitmask over the ruleset's rule indexes; their codes,
 * comma-separated in position order, are what pupil_snapshots.risk_fired
 * stores, and risk_explain() turns them into "Persistent absence (attends
 * under 90% of sessions): 15 points".
 *
 * Speed.  risk_score() does no allocation, no SQL and no string work: the
 * ruleset is compiled once (risk_ruleset_compile) into a group-ordered
 * array, so scoring a pupil is a short loop over at most RISK_RULES_MAX
 * integer comparisons (tens of nanoseconds); the import scores a million
 * pupils with it.
 *
 * Changes.  risk_rule_update and risk_bands_update write the change and
 * its audit row and rescore every snapshot, all in one transaction of
 * their own; risk_preview shows what a proposed ruleset would do without
 * changing anything.  risk_list is the ranked list (a school's or the
 * partnership's) and is itself an audited read of pupil records. */
#ifndef HEARTH_RISK_H
#define HEARTH_RISK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"

struct db;
struct db_stmt;
struct audit_who;
struct pupil_data;

/* ---- indicators ---------------------------------------------------------- */

enum risk_indicator {
	RI_ATTENDANCE_PCT, RI_UNAUTHORISED_PCT, RI_SUSPENSIONS, RI_SUSPENSION_DAYS,
	RI_PERMANENT_EXCLUSION, RI_SEN_SUPPORT, RI_EHCP, RI_LOOKED_AFTER, RI_CIN,
	RI_CP, RI_FSM, RI_YOUNG_CARER, RI_YOUTH_JUSTICE, RI_SCHOOL_MOVES,
	RI_BELOW_EXPECTED, RI_EAL_NEW, RI_YOUNG_PARENT,
	RI_COUNT
};

#define RISK_UNKNOWN INT32_MIN

struct risk_indicator_info {
	const char *name;     /* as stored in risk_rules.indicator */
	int32_t min, max;     /* the values a rule may compare with */
	const char *help;     /* for the admin's rule editor */
};
extern const struct risk_indicator_info risk_indicators[RI_COUNT];
/* The indicator called name, or -1. */
int risk_indicator_by_name(const char *name);

/* One pupil's indicators; v[i] is RISK_UNKNOWN where not known. */
struct risk_values {
	int32_t v[RI_COUNT];
};

/* Indicators from a validated census record (no allocation). */
void risk_values_from_pupil(const struct pupil_data *p, struct risk_values *out);

/* The pupil_snapshots columns risk_values_from_row reads, in order, for
 * splicing into a SELECT literal: "SELECT id, " RISK_SNAPSHOT_COLS " FROM
 * pupil_snapshots".  Column names are unqualified. */
#define RISK_SNAPSHOT_COLS \
	"fsm, sen, ehcp, eal_new, looked_after, cin, cp, young_carer, " \
	"youth_justice, young_parent, school_moves, sessions_possible, " \
	"sessions_attended, unauthorised_absence, suspensions, " \
	"suspension_days_x10, permanent_exclusion, below_expected"
#define RISK_SNAPSHOT_NCOLS 18
/* Indicators from the current row of st, whose columns col, col+1, … are
 * RISK_SNAPSHOT_COLS (SQL NULL is unknown). */
void risk_values_from_row(struct db_stmt *st, int col, struct risk_values *out);

/* ---- rules and rulesets --------------------------------------------------- */

enum risk_op { RISK_LT, RISK_LE, RISK_GT, RISK_GE, RISK_EQ, RISK_OP_COUNT };
/* "lt" "le" "gt" "ge" "eq", as stored in risk_rules.op. */
extern const char *const risk_op_names[RISK_OP_COUNT];
int risk_op_by_name(const char *name);   /* or -1 */

enum risk_band { RISK_LOW, RISK_MEDIUM, RISK_HIGH, RISK_BAND_COUNT };
/* "low" "medium" "high"; "low" for anything else. */
const char *risk_band_name(int band);
int risk_band_by_name(const char *name);  /* or -1 */

#define RISK_RULES_MAX 64      /* rules in a ruleset (bits of a mask) */
#define RISK_CODE_MAX 32       /* bytes of a code or group: [a-z][a-z0-9_]* */
#define RISK_LABEL_MAX 120     /* bytes of a label */
#define RISK_POINTS_MAX 100
#define RISK_BAND_MAX 1000     /* largest band threshold */
#define RISK_POSITION_MAX 10000
/* Enough for every code of a ruleset, comma-separated, and the NUL. */
#define RISK_FIRED_MAX (RISK_RULES_MAX * (RISK_CODE_MAX + 1) + 1)

struct risk_rule {
	char code[RISK_CODE_MAX + 1];    /* stable name, e.g. "persistent_absence" */
	char label[RISK_LABEL_MAX + 1];  /* what a school leader reads */
	char grp[RISK_CODE_MAX + 1];     /* alternatives share a group */
	int indicator;                   /* enum risk_indicator */
	int op;                          /* enum risk_op */
	int32_t value;
	int points;                      /* 0–RISK_POINTS_MAX */
	bool enabled;
	int position;                    /* order shown and stored; 1–RISK_POSITION_MAX */
};

/* A whole ruleset: every rule (enabled or not) ordered by position, the
 * band thresholds, and the compiled form risk_score uses.  About 13 kB:
 * callers keep one per request or import, not per pupil. */
struct risk_ruleset {
	int n;
	struct risk_rule rule[RISK_RULES_MAX];
	int band_high, band_medium;
	/* filled by risk_ruleset_compile: */
	bool compiled;
	int nlive;                       /* enabled rules */
	uint8_t ord[RISK_RULES_MAX];     /* enabled rules by group, best first */
	uint8_t next[RISK_RULES_MAX];    /* ord index where the next group starts */
};

#define RISK_BAND_HIGH_DEFAULT 40
#define RISK_BAND_MEDIUM_DEFAULT 20

/* Check one rule's fields.  HE_MISSING or HE_INVALID with e->field naming
 * the field ("code", "label", "grp", "indicator", "op", "value" — which
 * must lie in the indicator's min–max —, "points", "position"). */
int risk_rule_check(const struct risk_rule *r, struct errinfo *e);

/* Check every rule (risk_rule_check, codes unique, at most RISK_RULES_MAX)
 * and the bands (1 ≤ band_medium < band_high ≤ RISK_BAND_MAX; fields
 * "band_medium", "band_high"), sort the rules by position, and compile.
 * A ruleset must be compiled before risk_score; on error it is left
 * uncompiled.  Pure: no database. */
int risk_ruleset_compile(struct risk_ruleset *rs, struct errinfo *e);

/* Load every rule from risk_rules (by position, then id) and the bands
 * from settings (defaults when a setting is absent), and compile.  A rule
 * in the table that does not check (edited behind Hearth's back) is
 * HE_INVALID naming "rule CODE: field". */
int risk_ruleset_load(struct db *db, struct risk_ruleset *rs, struct errinfo *e);

/* Index of the rule with this code in rs->rule, or -1. */
int risk_ruleset_find(const struct risk_ruleset *rs, const char *code);

/* In memory only: give rule `code` the editable fields of f (label, grp,
 * indicator, op, value, points, enabled, position; f->code is ignored: a
 * code never changes) and recompile.  HE_NOT_FOUND (field "code") for an
 * unknown code; validation errors as risk_ruleset_compile, rs unchanged.
 * Used to build the proposal for risk_preview, and by risk_rule_update. */
int risk_ruleset_edit(struct risk_ruleset *rs, const char *code,
		      const struct risk_rule *f, struct errinfo *e);

/* ---- scoring -------------------------------------------------------------- */

struct risk_result {
	int score;
	int band;          /* enum risk_band */
	uint64_t fired;    /* bit i set: rs->rule[i] fired and counted; its
			      points are rs->rule[i].points */
	int nfired;
};

/* Score one pupil under a compiled ruleset.  No allocation, no I/O. */
void risk_score(const struct risk_ruleset *rs, const struct risk_values *v,
		struct risk_result *out);

/* The codes of the rules in fired (position order), comma-separated, into
 * out (size n ≥ 1; RISK_FIRED_MAX always suffices): the risk_fired column.
 * Returns the length written. */
size_t risk_fired_codes(const struct risk_ruleset *rs, uint64_t fired, char *out, size_t n);
/* The mask of rs's rules named in a risk_fired string; codes the ruleset
 * no longer has are skipped. */
uint64_t risk_fired_parse(const struct risk_ruleset *rs, const char *codes);
/* Append one line per rule in fired, "LABEL: N points\n" (position order),
 * to out: why a pupil scored what they did. */
void risk_explain(const struct risk_ruleset *rs, uint64_t fired, struct buf *out);

/* ---- changes ---------------------------------------------------------------- */

struct risk_rescore_stats {
	int64_t snapshots;   /* rows scored */
	int64_t changed;     /* rows whose score, band or fired codes changed */
};

/* Recompute risk_score, risk_band and risk_fired of every pupil_snapshots
 * row under the rules in the database now, in one transaction of its own
 * with one audit row (action "update", entity "pupil_snapshots").  Rows
 * are read in batches by id, so memory stays flat; only changed rows are
 * written.  stats may be NULL. */
int risk_rescore(struct db *db, const struct audit_who *who,
		 struct risk_rescore_stats *stats, struct errinfo *e);

/* Change rule `code` to the editable fields of f (see risk_ruleset_edit),
 * audit it (action "update", entity "risk_rules", the rule's id, a summary
 * naming what changed from what to what) and rescore, all in one
 * transaction of its own; nothing changes on error.  HE_NOT_FOUND for an
 * unknown code, validation errors naming the field.  stats may be NULL. */
int risk_rule_update(struct db *db, const struct audit_who *who, const char *code,
		     const struct risk_rule *f, struct risk_rescore_stats *stats,
		     struct errinfo *e);

/* Set the band thresholds (fields "band_high", "band_medium"), audited
 * (entity "settings") and rescored in one transaction of its own. */
int risk_bands_update(struct db *db, const struct audit_who *who, int high, int medium,
		      struct risk_rescore_stats *stats, struct errinfo *e);

/* What a proposed (compiled) ruleset would do to the latest snapshot of
 * each pupil — of one school (urn) or, with urn NULL, the partnership:
 * moves[from][to] counts pupils whose stored band is `from` and whose
 * band under the proposal would be `to` (the diagonal: unchanged);
 * fired[i] counts pupils for whom proposed->rule[i] would count.  Reads
 * only. */
struct risk_preview {
	int64_t total;
	int64_t moves[RISK_BAND_COUNT][RISK_BAND_COUNT];
	int64_t fired[RISK_RULES_MAX];
};
int risk_preview(struct db *db, const struct risk_ruleset *proposed, const char *urn,
		 struct risk_preview *out, struct errinfo *e);

/* ---- the ranked list ------------------------------------------------------- */

#define RISK_ANY_YEAR INT32_MIN

struct risk_filter {
	const char *urn;         /* one school, or NULL for the partnership */
	int year;                /* NC year group, or RISK_ANY_YEAR */
	int band;                /* enum risk_band, or -1 for any */
	const char *indicator;   /* a rule code that fired, or NULL */
	bool rising;             /* only pupils whose score rose since the
				    previous extract */
	int limit;               /* rows at most; 0 for all */
	int offset;
};

/* One pupil's latest snapshot.  Strings live in the caller's arena. */
struct risk_row {
	int64_t pupil_id;
	const char *upn, *forename, *surname;
	const char *urn, *school;       /* of the latest snapshot */
	const char *extract_date;       /* "YYYY-MM-DD" */
	int year_group;                 /* RISK_ANY_YEAR when not known */
	int score, band;
	const char *fired;              /* risk_fired codes */
	bool has_prev;                  /* an earlier snapshot exists */
	int prev_score;
	bool rising;                    /* has_prev && score > prev_score */
};

/* The latest snapshot of each pupil matching f, ordered by score
 * (highest first), then surname, forename.  Checks the filter (fields
 * "school" — HE_NOT_FOUND for a URN not in the partnership —, "year",
 * "band", "indicator", "limit"), then writes one audit row as who (action
 * "view", entity "pupils", summary "risk list …: N pupils"); if that
 * fails, returns its error and no rows.  Sets *out (arena-allocated) and
 * *n. */
int risk_list(struct db *db, const struct audit_who *who, struct arena *a,
	      const struct risk_filter *f, struct risk_row **out, size_t *n,
	      struct errinfo *e);

/* ---- small-number suppression --------------------------------------------- */

#define RISK_SUPPRESS_BELOW 5
#define RISK_SUPPRESS_BUF 24
/* An aggregate count as shown to the viewer role: "fewer than 5" below
 * RISK_SUPPRESS_BELOW (so a small group's members cannot be singled out),
 * else the number, written into buf.  Returns the text (buf or a
 * literal). */
const char *risk_suppress(int64_t count, char buf[RISK_SUPPRESS_BUF]);

#endif
