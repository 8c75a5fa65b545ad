/* init_cmd.c — `hearth init` (create or upgrade the database) and
 * `hearth demo` (the same, then seed the demo partnership and its pupils;
 * or, with --census-csv, only write a synthetic census file). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "cli/cli.h"
#include "core/census_gen.h"
#include "core/dataprot.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "core/demo_money.h"
#include "core/demo_taf.h"
#include "core/destination.h"
#include "core/history.h"
#include "core/survey.h"
#include "base/date.h"
#include "store/db.h"

static const char init_help[] =
	"usage: hearth init [--db URL]\n"
	"\n"
	"Create the database if it does not exist and apply any migrations this\n"
	"version of Hearth carries.  Safe to run again: it does nothing when the\n"
	"schema is current.\n";

static const char demo_help[] =
	"usage: hearth demo [--db URL] [--seed N] [--pupils N]   (default $HEARTH_DEMO_PUPILS or 60000)\n"
	"       hearth demo --census-csv FILE [--seed N] [--pupils N] [--later]\n"
	"\n"
	"Create (or upgrade) the database and seed a realistic demo partnership:\n"
	"100 invented schools in 7 districts of an English city, one user per\n"
	"role, all with the password " DEMO_PASSWORD ", and --pupils pupils\n"
	"(default 60000; 0 for none) with families and siblings across schools,\n"
	"imported from two synthetic census extracts (about four months ago and\n"
	"ten days ago) so every pupil has a score history.  Deterministic from the\n"
	"seed.  Refuses to add demo users to a database holding another\n"
	"partnership; imports no pupils where there are pupils already.  Prints\n"
	"the demo sign-ins.\n"
	"\n"
	"With --census-csv, touch no database: write the demo partnership's census\n"
	"for the seed as the CSV `hearth import` reads (FILE - for standard\n"
	"output): the first extract, or with --later the latest one.  For the\n"
	"benchmark and for trying the import.\n";

struct demo_args {
	const char *url;
	unsigned long seed;
	long pupils;
	const char *csv;
	bool later;
};

static int demo_opts(int argc, char **argv, struct demo_args *a)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"seed", required_argument, NULL, 's'},
		{"pupils", required_argument, NULL, 'p'},
		{"census-csv", required_argument, NULL, 'c'}, {"later", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	const char *flag = NULL;
	char *end;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 's': a->seed = strtoul(optarg, NULL, 10); break;
		case 'p':
			errno = 0;
			a->pupils = strtol(optarg, &end, 10);
			if (errno || *end || a->pupils < 0 || a->pupils > 50000000) {
				fprintf(stderr, "hearth demo: --pupils takes 0 to 50000000\n");
				return 2;
			}
			break;
		case 'c': a->csv = optarg; break;
		case 'l': a->later = true; break;
		case 'h': return cli_usage(demo_help, 0) - 1;
		default: return cli_usage(demo_help, 1);
		}
	}
	if (optind != argc || (a->later && !a->csv))
		return cli_usage(demo_help, 1);
	a->url = cli_db_url(flag);
	return 0;
}

/* `hearth demo --census-csv FILE`: no database. */
static int demo_census_csv(const struct demo_args *a)
{
	struct census_school schools[DEMO_SCHOOLS];
	struct census_opts co = {.seed = (uint32_t)a->seed, .schools = schools,
		.pupils = a->pupils};
	int64_t rows = 0;
	hday days[DEMO_CENSUS_MAX];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ndays = demo_census_days(date_today(), days, DEMO_CENSUS_MAX);
	co.first_date = days[0];
	co.extract_date = a->later ? days[ndays - 1] : days[0];
	co.term = a->later ? ndays - 1 : 0;
	co.rows = &rows;
	int rc = demo_census_schools((uint32_t)a->seed, schools, &co.nschools);
	bool std = strcmp(a->csv, "-") == 0;
	FILE *f = rc ? NULL : std ? stdout : fopen(a->csv, "w");
	if (!rc && !f) {
		fprintf(stderr, "hearth demo: %s: %s\n", a->csv, strerror(errno));
		return 1;
	}
	if (!rc)
		rc = census_write_csv(f, &co);
	if (f && !std && fclose(f) != 0 && !rc)
		rc = HE_INTERNAL;
	if (rc) {
		fprintf(stderr, "hearth demo: cannot write %s: %s\n", a->csv,
			rc == HE_INTERNAL ? strerror(errno) : err_default_message(rc));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	char date[11];
	date_format(co.extract_date, date);
	fprintf(stderr, "hearth demo: %lld pupils, extract of %s, written to %s in %.2f s\n",
		(long long)rows, date, a->csv, s);
	return 0;
}

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
	const char *url = NULL;
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
	/* HEARTH_DEMO_PUPILS changes the default (the test suites use a small
	 * city: they need pupils, not 60,000 of them). */
	const char *env = getenv("HEARTH_DEMO_PUPILS");
	struct demo_args a = {.seed = DEMO_SEED,
			      .pupils = env && *env ? strtol(env, NULL, 10) : DEMO_PUPILS};
	int rc = demo_opts(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.csv)
		return demo_census_csv(&a);
	struct db *db = cli_open(a.url, 1);
	if (!db)
		return 1;
	struct audit_who who = cli_who("cli demo");
	rc = demo_seed(db, &who, (uint32_t)a.seed, stderr);
	if (!rc)
		rc = demo_seed_pupils(db, &who, (uint32_t)a.seed, a.pupils, stderr);
	if (!rc)
		rc = demo_seed_cases(db, &who, (uint32_t)a.seed, date_today(), stderr);
	if (!rc)
		rc = demo_seed_taf(db, &who, (uint32_t)a.seed, date_today(), stderr);
	if (!rc)
		rc = demo_seed_money(db, &who, (uint32_t)a.seed, date_today(), stderr);
	if (!rc)
		rc = demo_seed_outcome(db, &who, (uint32_t)a.seed, date_today(), stderr);
	if (!rc)
		rc = demo_seed_surveys(db, &who, (uint32_t)a.seed, date_today(), stderr);
	if (!rc)
		rc = demo_seed_history(db, &who, (uint32_t)a.seed, date_today(), stderr);
	if (!rc)
		rc = demo_seed_dataprot(db, &who, (uint32_t)a.seed, date_today(), stderr);
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
