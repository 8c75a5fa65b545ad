/* history.h — cases from before Hearth, loaded from a CSV file.
 *
 * Partnerships arrive with years of cases kept in spreadsheets or an older
 * system.  A history file has one row per dated event of a case (the
 * columns: history_columns below, and the README); the loader checks every
 * field of every row like the pupil import (line, field, reason), then
 * every case's events as a whole (a referral first, one decision, nothing
 * after the closure), and writes the good cases and their events into
 * history_cases and history_events, which every report counts alongside
 * the live tables.
 *
 * A case is loaded whole or not at all: a case with any bad row is left
 * out with all its rows.  A file with too many bad rows (more than a tenth,
 * beyond the first ten; any, when strict) is refused as a whole.  A file
 * already loaded (same SHA-256) is refused.  Everything is written in one
 * transaction, with the load's row in history_imports, its errors in
 * history_import_errors and one audit row: a failure part-way leaves
 * nothing behind but the record of the attempt. */
#ifndef HEARTH_HISTORY_H
#define HEARTH_HISTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"
#include "base/err.h"

struct db;
struct audit_who;

/* The columns, in the order the README and `hearth import-history
 * --columns` list them. */
enum history_col {
	HC_CASE_REF, HC_FAMILY_REF, HC_SCHOOL_URN, HC_UPN, HC_WORKER, HC_EVENT, HC_DATE,
	HC_SOURCE, HC_REASON, HC_AMOUNT, HC_DETAIL, HC_COUNT
};

struct history_col_info {
	const char *name;      /* as in the header (any case; spaces for _) */
	bool required;         /* the column must be present */
	const char *help;
};
extern const struct history_col_info history_columns[HC_COUNT];

struct history_opts {
	const char *path;          /* the file to read, or NULL for data/len */
	const void *data;          /* the file in memory (when path is NULL) */
	size_t len;
	const char *filename;      /* as shown in the list of loads (default: path) */
	bool strict;               /* any bad row: load nothing */
	int max_bad_permille;      /* refuse above this share of bad rows (0: 100) */
	hday today;                /* dates after it are refused (0: today) */
};

#define HISTORY_REPORT_ERRORS 20

struct history_report {
	int64_t import_id;         /* 0 if nothing was recorded */
	const char *status;        /* "done", "failed" (refused) */
	int64_t rows_total;        /* data rows read */
	int64_t rows_applied;      /* rows loaded (= events) */
	int64_t rows_rejected;     /* rows not loaded: bad, or of a case with a bad row */
	int64_t rows_bad;          /* rows with an error of their own */
	int64_t cases_loaded, cases_rejected;
	int64_t pupils_unmatched;  /* cases whose UPN matches no pupil (loaded unlinked) */
	int nerrors;               /* the first HISTORY_REPORT_ERRORS; all are stored */
	struct errinfo errors[HISTORY_REPORT_ERRORS];
	char message[256];         /* one line for the whole load */
	char unknown[256];         /* header names Hearth does not use (ignored) */
};

/* Load a history file as who.  Returns HE_OK when the file was loaded
 * (perhaps without some cases: report->rows_rejected), HE_INVALID when it
 * was refused (unreadable, a required column missing, too many bad rows,
 * strict and a bad row: report->message and errors say why), HE_CONFLICT
 * when the same file was loaded before, or a database error.  Every
 * outcome but a database error is recorded in history_imports and
 * audited.  The caller must not have a transaction open. */
int history_load(struct db *db, const struct audit_who *who, const struct history_opts *opts,
		 struct history_report *report);

/* Seed the demo partnership's three years before Hearth (the live demo's
 * 18 months end at today): a few hundred cases written as a history CSV
 * and loaded through history_load.  HE_OK without doing anything when
 * history is already loaded.  Must not be called inside a transaction. */
int demo_seed_history(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		      FILE *log);

#endif
