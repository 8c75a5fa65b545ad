/* import_cmd.c — `hearth import FILE`: a school's census extract (CSV or
 * Common Transfer File) into Hearth, with a progress bar at a terminal and
 * a report of every row that could not be used. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/date.h"
#include "base/err.h"
#include "cli/cli.h"
#include "core/import.h"
#include "core/pupil.h"
#include "store/db.h"

static const char import_help[] =
	"usage: hearth import FILE [--school URN] [--date YYYY-MM-DD] [--strict]\n"
	"                     [--format csv|ctf] [--db URL]\n"
	"       hearth import --columns   (the CSV columns Hearth recognises)\n"
	"\n"
	"Import pupils from a CSV export of the school's MIS or a Common Transfer\n"
	"File (CTF).  Pupils are matched by UPN; each import adds a snapshot for\n"
	"the extract date (the file's Extract date column, --date, or today) and\n"
	"scores it.  Importing the same file again changes nothing.\n"
	"\n"
	"  --school URN   rows without a School URN column belong to this school\n"
	"  --strict       if any row is bad, apply nothing\n"
	"  --format       csv or ctf (default: by content)\n"
	"\n"
	"Every bad row is listed with its line, field and reason.  Exit status:\n"
	"0 all rows applied, 3 applied but some rows were bad, 1 nothing applied\n"
	"(the file could not be read, or --strict and a row was bad), 2 usage.\n";

static void progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	if (!total)
		return;
	int width = 40, fill = (int)(done * (uint64_t)width / total);
	fprintf(stderr, "\r[%.*s%*s] %3d%%", fill, "########################################",
		width - fill, "", (int)(done * 100 / total));
	if (done >= total)
		fputc('\n', stderr);
}

/* The recognised columns as a Markdown table (the README's is this). */
static int print_columns(void)
{
	printf("| column | also accepted | required | what it holds |\n|---|---|---|---|\n");
	for (int f = 0; f < PF_COUNT; f++) {
		const struct pupil_field_info *i = &pupil_fields[f];
		printf("| %s | ", i->name);
		for (int a = 0; a < 6 && i->aliases[a]; a++)
			printf("%s%s", a ? ", " : "", i->aliases[a]);
		printf(" | %s | %s |\n", i->required ? "yes" : "", i->help);
	}
	return 0;
}

static void print_report(const struct import_report *rep)
{
	printf("import %" PRId64 ": %s — %s\n", rep->import_id, rep->status, rep->message);
	for (int i = 0; i < rep->nerrors; i++) {
		const struct errinfo *e = &rep->errors[i];
		if (e->line)
			printf("  line %d: %s\n", e->line, e->message);
		else
			printf("  %s\n", e->message);
	}
	if (rep->rows_bad > rep->nerrors)
		printf("  … and %" PRId64 " more (all are listed on the import's page)\n",
		       rep->rows_bad - rep->nerrors);
	if (rep->unknown_columns)
		printf("columns not used: %s\n", rep->unknown);
}

int import_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"school", required_argument, NULL, 's'},
		{"date", required_argument, NULL, 't'}, {"strict", no_argument, NULL, 'x'},
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{"columns", no_argument, NULL, 'c'},
		{0, 0, 0, 0},
	};
	struct import_opts o = {.kind = IMPORT_AUTO};
	const char *flag = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 's': o.school_urn = optarg; break;
		case 't':
			if (!date_parse(optarg, &o.extract_date)) {
				fprintf(stderr, "hearth import: --date: '%s' is not a date\n", optarg);
				return 2;
			}
			break;
		case 'x': o.strict = true; break;
		case 'f':
			if (strcmp(optarg, "csv") && strcmp(optarg, "ctf"))
				return cli_usage(import_help, 1);
			o.kind = optarg[1] == 's' ? IMPORT_CSV : IMPORT_CTF;
			break;
		case 'h': return cli_usage(import_help, 0);
		case 'c': return print_columns();
		default: return cli_usage(import_help, 1);
		}
	}
	if (optind != argc - 1)
		return cli_usage(import_help, 1);
	o.path = argv[optind];
	o.alone_ok = true;   /* a big file with no server running: see README */
	if (isatty(STDERR_FILENO))
		o.progress = progress;
	struct db *db = cli_open(cli_db_url(flag), 0);
	if (!db)
		return 1;
	struct audit_who who = cli_who("cli import");
	struct import_report rep;
	int rc = import_run(db, &who, &o, &rep);
	if (rc == HE_OK || rc == HE_INVALID)
		print_report(&rep);
	else
		fprintf(stderr, "hearth import: %s %s\n", err_default_message(rc), db_errmsg(db));
	db_close(db);
	if (rc != HE_OK || strcmp(rep.status, "applied") != 0)
		return 1;
	return rep.rows_bad ? 3 : 0;
}
