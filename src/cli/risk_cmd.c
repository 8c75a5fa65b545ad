/* risk_cmd.c — `hearth risk`: the ranked list of pupils most at risk of
 * becoming NEET, for one school or the partnership, as a table, CSV or
 * JSON.  Reading it is an audited read of pupil records (risk_list writes
 * the audit row). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/csvout.h"
#include "base/err.h"
#include "base/fmt.h"
#include "cli/cli.h"
#include "core/risk.h"
#include "store/db.h"

static const char risk_help[] =
	"usage: hearth risk [--school URN] [--year N] [--band high|medium|low]\n"
	"                   [--indicator CODE] [--rising] [--limit N]\n"
	"                   [--format table|csv|json] [--db URL]\n"
	"\n"
	"List pupils by risk of becoming NEET, highest score first, from each\n"
	"pupil's latest census extract: score, band, the score at the previous\n"
	"extract, and the indicators that counted.\n"
	"\n"
	"  --school URN      one school (default: the whole partnership)\n"
	"  --year N          one national curriculum year group (Reception 0)\n"
	"  --band B          only pupils in band high, medium or low\n"
	"  --indicator CODE  only pupils for whom rule CODE counted\n"
	"                    (e.g. persistent_absence, looked_after)\n"
	"  --rising          only pupils whose score rose since the previous extract\n"
	"  --limit N         at most N pupils\n"
	"  --format F        table (default), csv or json\n"
	"\n"
	"Each run is recorded in the audit log as a view of pupil records.\n";

enum risk_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

struct risk_opts {
	const char *db;
	struct risk_filter f;
	int format;
};

/* A non-negative decimal integer, or -1. */
static long parse_count(const char *s)
{
	char *end = NULL;
	long v = s && *s ? strtol(s, &end, 10) : -1;
	return end && *end == '\0' && v >= 0 && v <= 1000000000 ? v : -1;
}

/* Parse the command line into o: 0 to go on, -1 after printing the help,
 * or the exit status of a usage error. */
static int parse_opts(int argc, char **argv, struct risk_opts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"school", required_argument, NULL, 's'},
		{"year", required_argument, NULL, 'y'}, {"band", required_argument, NULL, 'b'},
		{"indicator", required_argument, NULL, 'i'}, {"rising", no_argument, NULL, 'r'},
		{"limit", required_argument, NULL, 'l'}, {"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	long v;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 's': o->f.urn = optarg; break;
		case 'y':
			if ((v = parse_count(optarg)) < 0 || v > 15) {
				fprintf(stderr, "hearth risk: --year: give a year group from 0 to 14\n");
				return 2;
			}
			o->f.year = (int)v;
			break;
		case 'b':
			if ((o->f.band = risk_band_by_name(optarg)) < 0) {
				fprintf(stderr, "hearth risk: --band: give high, medium or low\n");
				return 2;
			}
			break;
		case 'i': o->f.indicator = optarg; break;
		case 'r': o->f.rising = true; break;
		case 'l':
			if ((v = parse_count(optarg)) <= 0) {
				fprintf(stderr, "hearth risk: --limit: give a number above 0\n");
				return 2;
			}
			o->f.limit = (int)v;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0) o->format = FORMAT_TABLE;
			else if (strcmp(optarg, "csv") == 0) o->format = FORMAT_CSV;
			else if (strcmp(optarg, "json") == 0) o->format = FORMAT_JSON;
			else {
				fprintf(stderr, "hearth risk: --format: give table, csv or json\n");
				return 2;
			}
			break;
		case 'h': cli_usage(risk_help, 0); return -1;
		default: return cli_usage(risk_help, 1);
		}
	}
	return optind == argc ? 0 : cli_usage(risk_help, 1);
}

/* ---- table ------------------------------------------------------------------ */

static void print_table(const struct risk_row *rows, size_t n)
{
	printf("%-5s %5s %-6s %5s  %-13s  %-28s %4s  %-6s  %s\n", "Rank", "Score", "Band",
	       "Prev", "UPN", "Name", "Year", "School", "Indicators");
	for (size_t i = 0; i < n; i++) {
		const struct risk_row *r = &rows[i];
		char prev[16] = "-", year[16] = "-", name[64];
		if (r->has_prev)
			snprintf(prev, sizeof prev, "%d%s", r->prev_score, r->rising ? "^" : "");
		if (r->year_group != RISK_ANY_YEAR)
			snprintf(year, sizeof year, "%d", r->year_group);
		snprintf(name, sizeof name, "%s, %s", r->surname, r->forename);
		printf("%-5zu %5d %-6s %5s  %-13s  %-28.28s %4s  %-6s  %s\n", i + 1, r->score,
		       risk_band_name(r->band), prev, r->upn, name, year, r->urn, r->fired);
	}
}

/* ---- CSV -------------------------------------------------------------------- */

static void csv_int(struct buf *b, bool known, int v)
{
	if (known)
		buf_printf(b, "%d", v);
	buf_putc(b, ',');
}

static void print_csv(const struct risk_row *rows, size_t n, struct buf *b)
{
	buf_puts(b, "rank,upn,surname,forename,school_urn,school,year_group,score,band,"
		 "previous_score,rising,extract_date,indicators\r\n");
	for (size_t i = 0; i < n; i++) {
		const struct risk_row *r = &rows[i];
		buf_printf(b, "%zu,", i + 1);
		csv_put(b, r->upn, CSV_MINIMAL);
		csv_put(b, r->surname, CSV_MINIMAL);
		csv_put(b, r->forename, CSV_MINIMAL);
		csv_put(b, r->urn, CSV_MINIMAL);
		csv_put(b, r->school, CSV_MINIMAL);
		csv_int(b, r->year_group != RISK_ANY_YEAR, r->year_group);
		csv_int(b, true, r->score);
		csv_put(b, risk_band_name(r->band), CSV_MINIMAL);
		csv_int(b, r->has_prev, r->prev_score);
		csv_put(b, r->rising ? "yes" : "no", CSV_MINIMAL);
		csv_put(b, r->extract_date, CSV_MINIMAL);
		csv_put(b, r->fired, CSV_MINIMAL | CSV_LAST);
	}
}

/* ---- JSON ------------------------------------------------------------------- */

/* The rules that counted for one pupil, with label and points. */
static void json_indicators(struct buf *b, const struct risk_ruleset *rs, const char *fired)
{
	uint64_t mask = risk_fired_parse(rs, fired);
	const char *sep = "";
	buf_putc(b, '[');
	for (int i = 0; i < rs->n; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		fmt_printf(b, "%s{\"code\":%j,\"label\":%j,\"points\":%d}", sep,
			   rs->rule[i].code, rs->rule[i].label, rs->rule[i].points);
		sep = ",";
	}
	buf_putc(b, ']');
}

static void print_json(const struct risk_row *rows, size_t n, const struct risk_ruleset *rs,
		       struct buf *b)
{
	fmt_printf(b, "{\"bands\":{\"high\":%d,\"medium\":%d},\"pupils\":[",
		   rs->band_high, rs->band_medium);
	for (size_t i = 0; i < n; i++) {
		const struct risk_row *r = &rows[i];
		fmt_printf(b, "%s{\"rank\":%zu,\"upn\":%j,\"forename\":%j,\"surname\":%j,"
			   "\"school\":{\"urn\":%j,\"name\":%j},", i ? "," : "", i + 1,
			   r->upn, r->forename, r->surname, r->urn, r->school);
		if (r->year_group == RISK_ANY_YEAR)
			buf_puts(b, "\"year_group\":null,");
		else
			fmt_printf(b, "\"year_group\":%d,", r->year_group);
		fmt_printf(b, "\"score\":%d,\"band\":%j,", r->score, risk_band_name(r->band));
		if (r->has_prev)
			fmt_printf(b, "\"previous_score\":%d,", r->prev_score);
		else
			buf_puts(b, "\"previous_score\":null,");
		fmt_printf(b, "\"rising\":%s,\"extract_date\":%j,\"indicators\":",
			   r->rising ? "true" : "false", r->extract_date);
		json_indicators(b, rs, r->fired);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}\n");
}

/* ---- the command ------------------------------------------------------------ */

static int report(const char *what, int rc, const struct errinfo *e, struct db *db)
{
	if (e->code == rc && *e->message)
		fprintf(stderr, "hearth risk: %s%s%s\n", *e->field ? e->field : "",
			*e->field ? ": " : "", e->message);
	else
		fprintf(stderr, "hearth risk: %s: %s %s\n", what, err_default_message(rc),
			db_errmsg(db));
	return 1;
}

/* Write the list in the chosen format to stdout; 0 or 1. */
static int print_list(const struct risk_opts *o, const struct risk_row *rows, size_t n,
		      const struct risk_ruleset *rs)
{
	if (o->format == FORMAT_TABLE) {
		print_table(rows, n);
		fprintf(stderr, "%zu pupil%s\n", n, n == 1 ? "" : "s");
		return 0;
	}
	struct buf b;
	buf_init(&b, 0);
	if (o->format == FORMAT_CSV)
		print_csv(rows, n, &b);
	else
		print_json(rows, n, rs, &b);
	int rc = buf_err(&b) ? 1 : 0;
	if (rc)
		fprintf(stderr, "hearth risk: the list is too large to print\n");
	else
		fwrite(b.data ? b.data : "", 1, b.len, stdout);
	buf_free(&b);
	return rc;
}

int risk_cmd(int argc, char **argv)
{
	struct risk_opts o = {.f = {.year = RISK_ANY_YEAR, .band = -1}, .format = FORMAT_TABLE};
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct db *db = cli_open(cli_db_url(o.db), 0);
	if (!db)
		return 1;
	struct audit_who who = cli_who("cli risk");
	struct arena a;
	arena_init(&a);
	struct risk_ruleset *rs = arena_alloc(&a, sizeof *rs);
	struct errinfo e = {0};
	struct risk_row *rows = NULL;
	size_t n = 0;
	int status = 0;
	if ((rc = risk_ruleset_load(db, rs, &e)))
		status = report("loading the risk rules", rc, &e, db);
	else if ((rc = risk_list(db, &who, &a, &o.f, &rows, &n, &e)))
		status = report("listing pupils", rc, &e, db);
	else
		status = print_list(&o, rows, n, rs);
	arena_free(&a);
	db_close(db);
	return status;
}
