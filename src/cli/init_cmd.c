/* init_cmd.c — `hearth init` (create or upgrade the database) and
 * `hearth demo` (the same, then seed the demo partnership). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "cli/cli.h"
#include "core/demo.h"
#include "store/db.h"

static const char init_help[] =
	"usage: hearth init [--db URL]\n"
	"\n"
	"Create the database if it does not exist and apply any migrations this\n"
	"version of Hearth carries.  Safe to run again: it does nothing when the\n"
	"schema is current.\n";

static const char demo_help[] =
	"usage: hearth demo [--db URL] [--seed N]\n"
	"\n"
	"Create (or upgrade) the database and seed a realistic demo partnership:\n"
	"100 invented schools in 7 districts of an English city and one user per\n"
	"role, all with the password " DEMO_PASSWORD ".  Deterministic from the\n"
	"seed.  Refuses to add demo users to a database holding another\n"
	"partnership.  Prints the demo sign-ins.\n";

static int db_and_seed_opts(int argc, char **argv, const char *help,
			    const char **url, unsigned long *seed)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	const char *flag = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 's':
			if (!seed)
				return cli_usage(help, 1);
			*seed = strtoul(optarg, NULL, 10);
			break;
		case 'h': return cli_usage(help, 0) - 1;
		default: return cli_usage(help, 1);
		}
	}
	if (optind != argc)
		return cli_usage(help, 1);
	*url = cli_db_url(flag);
	return 0;
}

int init_cmd(int argc, char **argv)
{
	const char *url;
	int rc = db_and_seed_opts(argc, argv, init_help, &url, NULL);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct db *db = cli_open(url, 1);
	if (!db)
		return 1;
	printf("%s: schema version %d\n", url, db_schema_version(db));
	db_close(db);
	return 0;
}

int demo_cmd(int argc, char **argv)
{
	const char *url;
	unsigned long seed = DEMO_SEED;
	int rc = db_and_seed_opts(argc, argv, demo_help, &url, &seed);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct db *db = cli_open(url, 1);
	if (!db)
		return 1;
	struct audit_who who = cli_who("cli demo");
	rc = demo_seed(db, &who, (uint32_t)seed, stderr);
	if (rc) {
		fprintf(stderr, "hearth demo: %s\n", err_default_message(rc));
		if (*db_errmsg(db))
			fprintf(stderr, "hearth demo: %s\n", db_errmsg(db));
	} else {
		demo_print_logins(stdout);
	}
	db_close(db);
	return rc ? 1 : 0;
}
