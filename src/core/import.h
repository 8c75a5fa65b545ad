/* import.h — bring a school's census extract into Hearth.
 *
 * An import reads pupils from a CSV file (as exported from the school's
 * MIS) or a Common Transfer File, checks every field of every row, and in
 * one transaction upserts the pupils by UPN and records one snapshot of
 * each pupil's indicators for the extract date, scored by the risk engine.
 * A re-import of the same file changes nothing; a later extract adds a
 * snapshot and keeps the earlier ones (score history).  Every bad row is
 * reported with its line, field and reason.  By default the good rows are
 * applied and the bad ones listed; with strict, any bad row means nothing
 * is applied.  Either way the import and its row errors are recorded
 * (tables imports and import_errors) and audited. */
#ifndef HEARTH_IMPORT_H
#define HEARTH_IMPORT_H
#include <stdbool.h>
#include <stdint.h>

#include "base/date.h"
#include "base/err.h"

struct db;
struct audit_who;

enum import_kind { IMPORT_AUTO, IMPORT_CSV, IMPORT_CTF };

struct import_opts {
	const char *path;           /* the file to read */
	const char *filename;       /* as shown in reports (default: path) */
	enum import_kind kind;      /* AUTO: by content (XML → CTF) */
	const char *school_urn;     /* rows without a School URN belong here */
	bool own_school_only;       /* a school user: every row must be school_urn */
	hday extract_date;          /* rows without an Extract date (0: today) */
	bool strict;                /* any bad row: apply nothing */
	bool alone_ok;              /* a big load may take the database to itself
				     * (db_bulk_alone): the command line, not the server */
	/* Called now and then with bytes read and the file's size. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

#define IMPORT_REPORT_ERRORS 20

struct import_report {
	int64_t import_id;
	const char *status;         /* "applied", "refused" or "failed" */
	int64_t rows_total, rows_applied, rows_unchanged, rows_bad;
	int nerrors;                /* first IMPORT_REPORT_ERRORS, all are in the db */
	struct errinfo errors[IMPORT_REPORT_ERRORS];
	char message[256];          /* one line for the whole import */
	int unknown_columns;        /* CSV headers Hearth does not use (ignored) */
	char unknown[256];          /* their names, comma-separated */
	bool alone;                 /* a big load with the database to itself (db_bulk_alone) */
};

/* Run an import as who.  Returns HE_OK when it ran (even if rows were bad
 * or, in strict mode, refused: see report->status), HE_INVALID when the
 * file as a whole cannot be read (empty, not CSV/CTF, wrong delimiter,
 * missing required columns: report->message and errors[0] say why), or a
 * database error.  The caller must not have a transaction open. */
int import_run(struct db *db, const struct audit_who *who, const struct import_opts *opts,
	       struct import_report *report);

#endif
