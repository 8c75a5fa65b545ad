/* dataprot_cmd.c — `hearth retention`: list the families past the
 * retention period (--dry-run, the default) or anonymise them (--apply),
 * one transaction per family, each audited; held families are listed and
 * kept (core/dataprot.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/err.h"
#include "cli/cli.h"
#include "core/dataprot.h"
#include "store/db.h"

static const char retention_help[] =
	"usage: hearth retention [--dry-run | --apply] [--db URL]\n"
	"\n"
	"A family's records are anonymised once every case has been closed for the\n"
	"setting retention.years (default 6) and the youngest child has reached\n"
	"retention.until_age (default 25; 0 turns the age rule off), unless a\n"
	"safeguarding hold applies.  Anonymising keeps the ids, dates, codes,\n"
	"scores and amounts the reports count and removes names, dates of birth,\n"
	"addresses, phone numbers, UPNs and free-text notes.\n"
	"\n"
	"  --dry-run   list the families due and those held (the default)\n"
	"  --apply     anonymise every family due and not held, one transaction\n"
	"              (and one audit row) per family\n"
	"\n"
	"Exit status: 0 done, 1 a family could not be anonymised (it was left\n"
	"whole; the others were done), 2 usage.\n";

static void list_due(const struct retention_family *v, size_t n, const struct retention_settings *rs)
{
	size_t held = 0;
	printf("retention: %d years after the last closure, youngest child %d%s\n", rs->years,
	       rs->until_age, rs->until_age ? "" : " (no age rule)");
	for (size_t i = 0; i < n; i++) {
		held += v[i].hold_id != 0;
		printf("%s\t%s\tdue since %s\tlast closed %s\tcases %s%s%s\n", v[i].ref,
		       v[i].hold_id ? "HELD" : "due", v[i].due_on,
		       v[i].last_closed ? v[i].last_closed : "-", *v[i].cases ? v[i].cases : "-",
		       v[i].hold_id ? "\thold: " : "", v[i].hold_id ? v[i].hold_reason : "");
	}
	printf("%zu families past the retention period: %zu would be anonymised, %zu held\n", n,
	       n - held, held);
}

static int dry_run(struct db *db)
{
	struct arena a;
	struct retention_family *v;
	struct retention_settings rs;
	size_t n;
	arena_init(&a);
	int rc = retention_settings_get(db, &rs);
	if (!rc)
		rc = retention_due(db, &a, date_today(), &v, &n);
	if (!rc)
		list_due(v, n, &rs);
	else
		fprintf(stderr, "hearth retention: %s %s\n", err_default_message(rc), db_errmsg(db));
	arena_free(&a);
	return rc ? 1 : 0;
}

static int apply(struct db *db)
{
	struct audit_who who = cli_who("cli retention");
	struct retention_result res;
	int rc = retention_apply(db, &who, date_today(), &res, stdout);
	printf("%" PRId64 " families due: %" PRId64 " anonymised (%" PRId64 " pupil records), %"
	       PRId64 " held, %" PRId64 " failed\n", res.due, res.anonymised, res.pupils, res.held,
	       res.failed);
	if (rc)
		fprintf(stderr, "hearth retention: %s %s\n", err_default_message(rc), db_errmsg(db));
	return rc ? 1 : 0;
}

int retention_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"dry-run", no_argument, NULL, 'n'},
		{"apply", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	const char *flag = NULL;
	int c, mode = 0;     /* 0 dry run, 1 apply */
	bool dry = false;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 'n': dry = true; break;
		case 'a': mode = 1; break;
		case 'h': return cli_usage(retention_help, 0);
		default: return cli_usage(retention_help, 1);
		}
	}
	if (optind != argc || (dry && mode))
		return cli_usage(retention_help, 1);
	struct db *db = cli_open(cli_db_url(flag), 0);
	if (!db)
		return 1;
	int rc = mode ? apply(db) : dry_run(db);
	db_close(db);
	return rc;
}
