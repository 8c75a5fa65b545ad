/* main.c — `hearth`: one binary, subcommands.
 *
 *   hearth init | serve | demo | user | audit | routes   (--help on each) */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: hearth COMMAND [OPTIONS]\n"
	"\n"
	"Hearth runs a partnership of schools' targeted family support.\n"
	"\n"
	"Commands:\n"
	"  init     create or upgrade the database\n"
	"  serve    start the web server\n"
	"  demo     create a database with a realistic demo partnership\n"
	"  user     add users and set passwords\n"
	"  audit    verify the audit log's hash chain\n"
	"  routes   print the route table (what each route needs)\n"
	"  migrate  copy a partnership to another database (e.g. PostgreSQL)\n"
	"  import   import pupils from a census CSV or Common Transfer File\n"
	"  risk     the pupils most at risk of becoming NEET, ranked and explained\n"
	"  import-history  load cases from before Hearth (a CSV of dated events)\n"
	"  backup   an online, consistent copy of the whole database\n"
	"  restore  bring a backup back\n"
	"  retention  list (--dry-run) or anonymise (--apply) families past the retention period\n"
	"\n"
	"Every command takes --db URL (sqlite:PATH or postgresql://USER@HOST:PORT/NAME;\n"
	"default $HEARTH_DB or sqlite:hearth.db) and --help.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{"init", init_cmd}, {"serve", serve_cmd}, {"demo", demo_cmd},
	{"user", user_cmd}, {"audit", audit_cmd}, {"routes", routes_cmd},
	{"migrate", migrate_cmd}, {"import", import_cmd}, {"risk", risk_cmd},
	{"backup", backup_cmd}, {"restore", restore_cmd}, {"import-history", history_cmd},
	{"retention", retention_cmd},
};

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "hearth: cannot initialise libsodium\n");
		return 1;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return cli_usage(usage, argc < 2);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hearth: unknown command '%s'\n\n", argv[1]);
	return cli_usage(usage, 1);
}
