/* migrate_cmd.c — `hearth migrate --from URL --to URL`: move a partnership
 * from one database to another (typically SQLite to PostgreSQL).
 *
 * The source's audit chain must verify before anything is copied (a
 * broken chain is refused, not carried across).  The target is created or
 * upgraded to this binary's schema and must hold no partnership yet.  In
 * one transaction on the target: every table is copied row by row with its
 * ids (with migration 0018's outcome triggers paused, their kept rows
 * worked out once after the copy), the id generators are moved past the
 * copied ids, the row counts are
 * compared table by table with the source, the audit chain is verified on
 * the target, and the move itself is audited; only then does it commit.
 * Any difference rolls the whole copy back: the target is left as it was. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "core/audit.h"
#include "store/db.h"

static const char migrate_help[] =
	"usage: hearth migrate --from URL --to URL\n"
	"\n"
	"Copy a whole partnership from one database to another, e.g.\n"
	"  hearth migrate --from sqlite:hearth.db --to postgresql://hearth@db/hearth\n"
	"The target is initialised if needed and must not already hold a\n"
	"partnership.  The source's audit chain must verify; row counts of every\n"
	"table and the audit chain are checked on the target before the copy\n"
	"commits, so a failed check leaves the target as it was.\n";

/* Every table that holds data, parents before children.  A migration that
 * adds a table adds it here (tests/http/pg-migrate.sh compares every table
 * of the schema, so a forgotten one fails the tests). */

/* Tables the migrations themselves fill with defaults: the source's rows
 * replace the target's. */
static bool seeded_by_migrations(const char *table)
{
	return strcmp(table, "settings") == 0 || strcmp(table, "risk_rules") == 0 ||
	       strcmp(table, "assessment_domains") == 0;
}

/* Tables keyed by their parents' ids, with no id sequence of their own. */
static bool has_id_sequence(const char *table)
{
	static const char *const keyed[] = {"settings", "worker_schools", "worker_districts",
		"referral_pupils", "assessment_scores", "service_districts", "survey_answers", NULL};
	for (const char *const *k = keyed; *k; k++)
		if (strcmp(*k, table) == 0)
			return false;
	return true;
}

static bool identifier(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int64_t count_rows(struct db *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	return db_finalize(st) ? -1 : n;
}

/* INSERT INTO table (c1, …) VALUES (:p0, …) for the source's columns.
 * Identifiers come from our table list and the source schema, checked. */
static int insert_sql(struct db_stmt *src, const char *table, struct buf *sql)
{
	int n = db_column_count(src);
	buf_printf(sql, "INSERT INTO %s (", table);
	for (int i = 0; i < n; i++) {
		if (!identifier(db_column_name(src, i)))
			return HE_INTERNAL;
		buf_printf(sql, "%s%s", i ? ", " : "", db_column_name(src, i));
	}
	buf_puts(sql, ") VALUES (");
	for (int i = 0; i < n; i++)
		buf_printf(sql, "%s:p%d", i ? ", " : "", i);
	buf_puts(sql, ")");
	return n ? HE_OK : HE_INTERNAL;
}

static int copy_table(struct db *from, struct db *to, const char *table, int64_t *copied)
{
	char sel[128], name[16];
	struct buf ins;
	buf_init(&ins, 0);
	snprintf(sel, sizeof sel, "SELECT * FROM %s ORDER BY 1", table);
	struct db_stmt *src = db_prepare(from, sel);
	int rc = HE_OK;
	*copied = 0;
	while (rc == HE_OK && db_next(src)) {
		if (!ins.len && (rc = insert_sql(src, table, &ins)))
			break;
		struct db_stmt *dst = db_prepare(to, buf_str(&ins));
		for (int i = 0; i < db_column_count(src); i++) {
			snprintf(name, sizeof name, ":p%d", i);
			db_bind_text(dst, name, db_text(src, i));
		}
		rc = db_done(dst);
		(*copied)++;
	}
	int frc = db_finalize(src);
	buf_free(&ins);
	if (rc == HE_OK && frc)
		fprintf(stderr, "hearth migrate: reading %s: %s\n", table, db_errmsg(from));
	else if (rc)
		fprintf(stderr, "hearth migrate: writing %s: %s\n", table, db_errmsg(to));
	return rc ? rc : frc;
}

/* The audit head is a single row the target already has: set it. */
static int copy_head(struct db *from, struct db *to)
{
	struct db_stmt *src = db_prepare(from, "SELECT last_id, hash FROM audit_head WHERE id = 1");
	int rc = HE_OK;
	if (db_next(src)) {
		struct db_stmt *dst = db_prepare(to,
			"UPDATE audit_head SET last_id = :id, hash = :hash WHERE id = 1");
		db_bind_int(dst, ":id", db_int(src, 0));
		db_bind_text(dst, ":hash", db_text(src, 1));
		rc = db_done(dst);
	}
	int frc = db_finalize(src);
	return rc ? rc : frc;
}

static int check_empty(struct db *to)
{
	for (const char *const *t = db_tables; *t; t++)
		if (!seeded_by_migrations(*t) && count_rows(to, *t) != 0) {
			fprintf(stderr, "hearth migrate: the target already has rows in %s;"
				" migrate into an empty database\n", *t);
			return HE_CONFLICT;
		}
	return HE_OK;
}

/* The audit chain of db verifies (its rows into *rows); else say so, with
 * what, and return the error. */
static int chain_verifies(struct db *db, const char *what, int64_t *rows)
{
	int64_t bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	int rc = audit_verify(db, rows, &bad, &msg);
	if (rc)
		fprintf(stderr, "hearth migrate: %s: %s\n", what, msg.len ? buf_str(&msg) : db_errmsg(db));
	buf_free(&msg);
	return rc;
}

/* Row counts of every table equal in source and target, and the audit
 * chain verifies on the target (inside the copy's transaction). */
static int verify(struct db *from, struct db *to, int64_t *audit_rows)
{
	for (const char *const *t = db_tables; *t; t++) {
		int64_t a = count_rows(from, *t), b = count_rows(to, *t);
		if (a != b || a < 0) {
			fprintf(stderr, "hearth migrate: %s has %" PRId64 " rows in the source"
				" but %" PRId64 " in the target\n", *t, a, b);
			return HE_INTERNAL;
		}
	}
	return chain_verifies(to, "audit chain on the target", audit_rows);
}

/* Copy, verify and audit the move in one transaction on the target. */
static int copy_all(struct db *from, struct db *to)
{
	int64_t n, audit_rows = 0;
	int rc = db_begin(to);
	/* The outcomes' kept rows (migration 0018) are worked out once, after
	 * the copy, not by their triggers row by row. */
	if (rc == HE_OK)
		rc = db_exec(to, "INSERT INTO outcome_rows_pause (paused) VALUES (1)");
	for (const char *const *t = db_tables; rc == HE_OK && *t; t++) {
		if (seeded_by_migrations(*t)) {
			char sql[64];
			snprintf(sql, sizeof sql, "DELETE FROM %s", *t);
			if ((rc = db_exec(to, sql)))
				break;
		}
		/* The log's rows go across as they are (the chain is verified
		 * on the target below): the one INSERT into audit_log besides
		 * the audit writer's that the target's authorizer lets through. */
		bool log = strcmp(*t, "audit_log") == 0;
		db_audit_append(to, log);
		rc = copy_table(from, to, *t, &n);
		db_audit_append(to, false);
		if (rc == HE_OK && has_id_sequence(*t))
			rc = db_reset_ids(to, *t);
		if (rc == HE_OK)
			fprintf(stderr, "hearth migrate: %-15s %" PRId64 " rows\n", *t, n);
	}
	if (rc == HE_OK)
		rc = db_exec(to, "INSERT INTO outcome_rows_rebuild (everything) VALUES (1)");
	if (rc == HE_OK)
		rc = copy_head(from, to);
	if (rc == HE_OK)
		rc = verify(from, to, &audit_rows);
	if (rc == HE_OK) {
		/* The move itself is on the record, in the same transaction. */
		struct audit_who who = cli_who("cli migrate");
		char summary[160];
		snprintf(summary, sizeof summary, "partnership copied here from a %s database",
			 db_backend(from));
		rc = audit(to, &who, "migrate", NULL, NULL, summary);
	}
	if (rc == HE_OK && (rc = db_commit(to)) == HE_OK) {
		printf("migrated: row counts match; audit log verifies (%" PRId64 " rows)\n",
		       audit_rows);
		return HE_OK;
	}
	db_rollback(to);
	return rc;
}

int migrate_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	const char *from_url = NULL, *to_url = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': from_url = optarg; break;
		case 't': to_url = optarg; break;
		case 'h': return cli_usage(migrate_help, 0);
		default: return cli_usage(migrate_help, 1);
		}
	}
	if (!from_url || !to_url || optind != argc)
		return cli_usage(migrate_help, 1);
	struct db *from = cli_open(from_url, 0), *to = from ? cli_open(to_url, 1) : NULL;
	int rc = from && to ? HE_OK : HE_UNAVAILABLE;
	int64_t source_rows = 0;
	if (rc == HE_OK)
		rc = chain_verifies(from, "the source's audit log does not verify; nothing was"
				    " copied (run `hearth audit verify` on the source)", &source_rows);
	if (rc == HE_OK)
		rc = check_empty(to);
	if (rc == HE_OK && (rc = copy_all(from, to)))
		fprintf(stderr, "hearth migrate: nothing was copied: %s\n", err_default_message(rc));
	db_close(from);
	db_close(to);
	return rc == HE_OK ? 0 : 1;
}
