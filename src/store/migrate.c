/* migrate.c — apply the SQL migrations built into the binary.
 *
 * Migrations are numbered paired files, migrations/NNNN.sqlite.sql and
 * NNNN.pg.sql, embedded at build (tools/embed.c).  Each is applied in its
 * own transaction together with its row in schema_migrations, so a failed
 * migration leaves the database at the previous version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/embed.h"
#include "base/err.h"
#include "store/db.h"

/* The version number of a migration file for this backend, or 0. */
static int migration_version(const char *name, const char *backend)
{
	char suffix[32];
	snprintf(suffix, sizeof suffix, ".%s.sql",
		 strcmp(backend, "sqlite") == 0 ? "sqlite" : "pg");
	size_t n = strlen(name), s = strlen(suffix);
	if (n != 4 + s || strcmp(name + 4, suffix) != 0)
		return 0;
	for (int i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return atoi(name);
}

int db_latest_version(void)
{
	int v = 0;
	for (const struct embedded_file *f = sql_migrations; f->name; f++) {
		int m = migration_version(f->name, "sqlite");
		if (m > v)
			v = m;
	}
	return v;
}

int db_schema_version(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT max(version) FROM schema_migrations");
	int v = db_next(st) ? (int)db_int(st, 0) : 0;
	db_finalize(st);  /* no table yet: version 0 */
	return v;
}

static int apply_one(struct db *db, const struct embedded_file *f, int version)
{
	char now[21];
	timestamp_format(time(NULL), now);
	int rc = db_begin(db);
	if (rc)
		return rc;
	if ((rc = db_exec(db, (const char *)f->data)))
		goto fail;
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :at)");
	db_bind_int(st, ":v", version);
	db_bind_text(st, ":at", now);
	if ((rc = db_done(st)))
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}

int db_migrate(struct db *db, int *from, int *to)
{
	int rc = db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			 " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
	if (rc)
		return rc;
	int cur = db_schema_version(db);
	if (from)
		*from = cur;
	int latest = db_latest_version();
	if (cur > latest)
		return HE_DB_SCHEMA;
	for (int v = cur + 1; v <= latest; v++) {
		const struct embedded_file *found = NULL;
		for (const struct embedded_file *f = sql_migrations; f->name; f++)
			if (migration_version(f->name, db_backend(db)) == v)
				found = f;
		if (!found)
			return HE_DB_SCHEMA;
		if ((rc = apply_one(db, found, v)))
			return rc;
		cur = v;
	}
	if (to)
		*to = cur;
	return HE_OK;
}
