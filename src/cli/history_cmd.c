/* history_cmd.c — `hearth import-history FILE.csv`: cases and their dated
 * events from before Hearth (spreadsheets, an older system) into the
 * history tables every report counts, with a report of every row that
 * could not be used. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "cli/cli.h"
#include "core/history.h"
#include "store/db.h"

static const char history_help[] =
	"usage: hearth import-history FILE.csv [--strict] [--db URL]\n"
	"       hearth import-history --columns   (the columns, as a Markdown table)\n"
	"\n"
	"Load cases from before Hearth: one row per dated event of a case\n"
	"(referred, accepted, signposted, declined, allocated, step_down, step_up,\n"
	"closed, commission).  Every row is checked (its line, column and reason\n"
	"are listed), then each case's events in date order: the referral first,\n"
	"one decision, nothing after the closure.  A case with any bad row is left\n"
	"out whole.  A file with more than one row in ten wrong (beyond the first\n"
	"ten) is refused whole; so is a file loaded before (same SHA-256).\n"
	"Everything is written in one transaction.\n"
	"\n"
	"  --strict   if any row is bad, load nothing\n"
	"\n"
	"Exit status: 0 every row loaded, 3 loaded but some rows were not,\n"
	"1 nothing loaded (refused, or loaded before), 2 usage.\n";

static int print_columns(void)
{
	printf("| column | required | what it holds |\n|---|---|---|\n");
	for (int c = 0; c < HC_COUNT; c++)
		printf("| %s | %s | %s |\n", history_columns[c].name,
		       history_columns[c].required ? "yes" : "", history_columns[c].help);
	return 0;
}

static void print_report(const struct history_report *rep, double secs)
{
	printf("history load %" PRId64 ": %s — %s (%.1f s)\n", rep->import_id, rep->status,
	       rep->message, secs);
	for (int i = 0; i < rep->nerrors; i++) {
		const struct errinfo *e = &rep->errors[i];
		if (!e->line && !strcmp(e->message, rep->message))
			continue;
		if (e->line)
			printf("  line %d: %s\n", e->line, e->message);
		else
			printf("  %s\n", e->message);
	}
	int64_t listed = rep->rows_bad > rep->nerrors ? rep->rows_bad : rep->nerrors;
	if (listed > rep->nerrors)
		printf("  … and %" PRId64 " more (all are listed on the load's page, /history/%"
		       PRId64 ")\n", listed - rep->nerrors, rep->import_id);
	if (rep->pupils_unmatched)
		printf("%" PRId64 " cases name a UPN that matches no pupil: loaded without the link\n",
		       rep->pupils_unmatched);
	if (*rep->unknown)
		printf("columns not used: %s\n", rep->unknown);
}

int history_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"strict", no_argument, NULL, 'x'},
		{"columns", no_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct history_opts o = {0};
	const char *flag = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 'x': o.strict = true; break;
		case 'c': return print_columns();
		case 'h': return cli_usage(history_help, 0);
		default: return cli_usage(history_help, 1);
		}
	}
	if (optind != argc - 1)
		return cli_usage(history_help, 1);
	o.path = argv[optind];
	struct db *db = cli_open(cli_db_url(flag), 0);
	if (!db)
		return 1;
	struct audit_who who = cli_who("cli import-history");
	struct history_report rep;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = history_load(db, &who, &o, &rep);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc == HE_OK || rc == HE_INVALID || rc == HE_CONFLICT)
		print_report(&rep, secs);
	else
		fprintf(stderr, "hearth import-history: %s %s\n", err_default_message(rc),
			db_errmsg(db));
	db_close(db);
	if (rc != HE_OK)
		return 1;
	return rep.rows_rejected ? 3 : 0;
}
