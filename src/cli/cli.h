/* cli.h — shared pieces of the `hearth` subcommands.
 *
 * Each subcommand is a function NAME_cmd(argc, argv) returning a process
 * exit status, with its help text beside it in its own file. */
#ifndef HEARTH_CLI_H
#define HEARTH_CLI_H

#include "core/audit.h"

struct db;

/* The database URL: --db, else $HEARTH_DB, else sqlite:hearth.db. */
const char *cli_db_url(const char *flag);
/* Open and migrate the database, printing errors; NULL on failure. */
struct db *cli_open(const char *url, int migrate);
/* Who to audit command-line actions as ("cli NAME"). */
struct audit_who cli_who(const char *route);
/* Print a usage/help text and return exit status 0 (help) or 2 (misuse). */
int cli_usage(const char *text, int misuse);

int init_cmd(int argc, char **argv);
int serve_cmd(int argc, char **argv);
int demo_cmd(int argc, char **argv);
int user_cmd(int argc, char **argv);
int audit_cmd(int argc, char **argv);
int routes_cmd(int argc, char **argv);
int migrate_cmd(int argc, char **argv);
int import_cmd(int argc, char **argv);
int risk_cmd(int argc, char **argv);
int backup_cmd(int argc, char **argv);
int history_cmd(int argc, char **argv);
int restore_cmd(int argc, char **argv);
int retention_cmd(int argc, char **argv);

#endif
