/* cli.c — helpers shared by the subcommands (see cli.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "store/db.h"

const char *cli_db_url(const char *flag)
{
	if (flag && *flag)
		return flag;
	const char *env = getenv("HEARTH_DB");
	return env && *env ? env : "sqlite:hearth.db";
}

struct db *cli_open(const char *url, int migrate)
{
	struct db *db = NULL;
	char *msg = NULL;
	int rc = db_open(url, &db, &msg);
	if (rc) {
		fprintf(stderr, "hearth: %s\n", msg ? msg : err_default_message(rc));
		free(msg);
		return NULL;
	}
	int from = 0, to = 0;
	rc = migrate ? db_migrate(db, &from, &to) : HE_OK;
	if (!migrate && db_schema_version(db) != db_latest_version())
		rc = HE_DB_SCHEMA;
	if (rc) {
		fprintf(stderr, "hearth: %s: %s%s\n", url, err_default_message(rc),
			rc == HE_DB_SCHEMA && !migrate ? " (run hearth init)" : "");
		if (*db_errmsg(db))
			fprintf(stderr, "hearth: %s\n", db_errmsg(db));
		db_close(db);
		return NULL;
	}
	if (migrate && to != from)
		fprintf(stderr, "hearth: database schema %d -> %d\n", from, to);
	return db;
}

struct audit_who cli_who(const char *route)
{
	const char *u = getenv("USER");
	struct audit_who w = {.user_id = 0, .email = u && *u ? u : "cli",
			      .role = "system", .route = route, .ip = "local"};
	return w;
}

int cli_usage(const char *text, int misuse)
{
	fputs(text, misuse ? stderr : stdout);
	return misuse ? 2 : 0;
}
