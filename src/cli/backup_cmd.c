/* backup_cmd.c — `hearth backup` and `hearth restore`: an online,
 * consistent copy of the whole partnership while the server goes on
 * serving, and bringing it back.
 *
 * The copy is one snapshot (store/db.h db_backup: SQLite's online backup
 * API in one step under one read transaction; pg_dump for PostgreSQL), so
 * every acknowledged write is either wholly in it or wholly after it.  The
 * backup records itself in the audit log first (so the copy holds the
 * record of its own making); both commands then check what they made:
 * the audit chain verifies and each table's rows are counted. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "core/dataprot.h"
#include "core/audit.h"
#include "store/db.h"

static const char backup_help[] =
	"usage: hearth backup --to PATH [--db URL]\n"
	"\n"
	"Copy the whole database to PATH (a new file) while Hearth goes on\n"
	"serving: one consistent snapshot.  SQLite: a single SQLite file;\n"
	"PostgreSQL: a pg_dump archive (custom format).  The backup is recorded\n"
	"in the audit log, then checked: on SQLite the copy's audit chain must\n"
	"verify and its tables are counted.  Exits 0 when the copy is good.\n";

static const char restore_help[] =
	"usage: hearth restore --from PATH [--db URL] [--replace]\n"
	"\n"
	"Bring a backup made by hearth backup back into the database at --db,\n"
	"which must be empty (a new SQLite file, or a new PostgreSQL database)\n"
	"unless --replace is given: then what it holds is replaced wholesale —\n"
	"stop every hearth serve on it first.  Afterwards the audit chain is\n"
	"verified, the restore is recorded in the audit log, and each table's\n"
	"rows are counted.\n";

/* The audit chain verifies and each table is counted (printed). */
static int check_copy(struct db *db, const char *what)
{
	int64_t rows = 0, bad = 0, total = 0;
	struct buf msg;
	buf_init(&msg, 0);
	int rc = audit_verify(db, &rows, &bad, &msg);
	if (rc) {
		fprintf(stderr, "hearth %s: the copy's audit log does not verify: %s\n", what,
			rc == HE_AUDIT_BROKEN ? buf_str(&msg) : db_errmsg(db));
		buf_free(&msg);
		return rc;
	}
	buf_free(&msg);
	int tables = 0;
	for (const char *const *t = db_tables; *t && rc == HE_OK; t++, tables++) {
		int64_t n;
		char hex[65];
		rc = db_table_digest(db, *t, &n, hex);
		total += n;
		if (rc)
			fprintf(stderr, "hearth %s: cannot read %s: %s\n", what, *t, db_errmsg(db));
	}
	if (rc == HE_OK)
		printf("%s: %d tables, %" PRId64 " rows; the audit log verifies (%" PRId64 " rows)\n",
		       what, tables, total, rows);
	return rc;
}

static int parse(int argc, char **argv, const char *help, const char **db, const char **path,
		 bool *replace)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"to", required_argument, NULL, 't'},
		{"from", required_argument, NULL, 'f'}, {"replace", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': *db = optarg; break;
		case 't': case 'f': *path = optarg; break;
		case 'r': if (replace) { *replace = true; break; } return cli_usage(help, 1);
		case 'h': return cli_usage(help, 0) + 100;
		default: return cli_usage(help, 1);
		}
	}
	if (optind != argc || !*path || !**path)
		return cli_usage(help, 1);
	return 0;
}

int backup_cmd(int argc, char **argv)
{
	const char *flag = NULL, *path = NULL;
	int st = parse(argc, argv, backup_help, &flag, &path, NULL);
	if (st)
		return st >= 100 ? st - 100 : st;
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "hearth backup: %s already exists: a backup never overwrites\n", path);
		return 1;
	}
	struct db *db = cli_open(cli_db_url(flag), 0);
	if (!db)
		return 1;
	struct audit_who who = cli_who("cli backup");
	int rc = audit_alone(db, &who, "export", "database", NULL, path);
	struct export_rec x = {"database", "database", path, -1, NULL, 0};
	if (!rc)
		rc = export_register_add(db, &who, &x, NULL);
	if (!rc)
		rc = db_backup(db, path);
	if (rc) {
		fprintf(stderr, "hearth backup: %s: %s\n", err_default_message(rc), db_errmsg(db));
		db_close(db);
		return 1;
	}
	bool sqlite = strcmp(db_backend(db), "sqlite") == 0;
	db_close(db);
	if (!sqlite) {
		printf("backup written to %s (pg_dump custom format)\n", path);
		return 0;
	}
	/* Open the copy as Hearth would and check it; leave it one plain file. */
	char url[4200];
	snprintf(url, sizeof url, "sqlite:%s", path);
	struct db *copy = cli_open(url, 0);
	if (!copy)
		return 1;
	rc = check_copy(copy, "backup");
	if (!rc)
		rc = db_exec(copy, "PRAGMA journal_mode=DELETE");
	db_close(copy);
	if (!rc)
		printf("backup written to %s\n", path);
	return rc ? 1 : 0;
}

int restore_cmd(int argc, char **argv)
{
	const char *flag = NULL, *path = NULL;
	bool replace = false;
	int st = parse(argc, argv, restore_help, &flag, &path, &replace);
	if (st)
		return st >= 100 ? st - 100 : st;
	const char *url = cli_db_url(flag);
	char *msg = NULL;
	int rc = db_restore(url, path, replace, &msg);
	if (rc) {
		fprintf(stderr, "hearth restore: %s\n", msg ? msg : err_default_message(rc));
		free(msg);
		return 1;
	}
	struct db *db = cli_open(url, 0);
	if (!db)
		return 1;
	rc = check_copy(db, "restore");
	struct audit_who who = cli_who("cli restore");
	if (!rc)
		rc = audit_alone(db, &who, "import", "database", NULL, path);
	db_close(db);
	return rc ? 1 : 0;
}
