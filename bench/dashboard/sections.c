/* sections.c — time each report section of the dashboard alone, and dump
 * its figures, for finding where the dashboard's time goes and proving a
 * change leaves every figure as it was (bench/dashboard; see
 * bench/README.md).
 *
 *   sections URL FROM TO [RUNS] [--dump FILE] [--cache-mb N] [--mmap-mb N] [--filter school|district|phase=V]...
 *
 * Runs every section of report_sections[] (core/report.h) for the period
 * FROM..TO (YYYY-MM-DD, inclusive) RUNS times (default 3; the first is
 * "cold": a new connection), printing per section the first run's and the
 * median of the others' milliseconds, wall clock and CPU (user + system,
 * steadier on a shared machine), and the whole dashboard's.  --dump
 * writes every table's every value (id, row key, column key, value) to
 * FILE, so two builds' dumps can be compared with cmp.  --cache-mb and
 * --mmap-mb set SQLite's page cache and memory-mapped I/O for an
 * experiment (overriding what db_sqlite.c sets for every connection).  Built against
 * build/libhearth.a:
 *
 *   gcc -O2 -Isrc -Ibuild/gen -o build/bench/sections bench/dashboard/sections.c \
 *       build/libhearth.a $(pkg-config --libs sqlite3 libpq …) -lpthread -lm
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/date.h"
#include "core/report.h"
#include "store/db.h"

#define MAX_RUNS 50

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time of this process (user + system): steadier than the wall clock
 * on a machine shared with other work. */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void dump_table(FILE *out, const struct rtable *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++)
			fprintf(out, "%s\t%s\t%s\t%" PRId64 "\n", t->id, t->rows[r].key, t->col_keys[c],
				t->rows[r].v[c]);
}

static int parse_filter(const char *arg, struct report_filter *f)
{
	if (!strncmp(arg, "school=", 7))
		f->school_id = atoll(arg + 7);
	else if (!strncmp(arg, "district=", 9))
		f->district_id = atoll(arg + 9);
	else if (!strncmp(arg, "phase=", 6))
		snprintf(f->phase, sizeof f->phase, "%s", arg + 6);
	else if (!strcmp(arg, "suppress"))
		f->suppress = true;
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: sections URL FROM TO [RUNS] [--dump FILE] [--filter K=V]...\n");
		return 2;
	}
	struct report_filter f;
	memset(&f, 0, sizeof f);
	if (!date_parse(argv[2], &f.from) || !date_parse(argv[3], &f.to)) {
		fprintf(stderr, "sections: bad dates\n");
		return 2;
	}
	snprintf(f.period_label, sizeof f.period_label, "%s to %s", argv[2], argv[3]);
	int runs = 3;
	const char *dump = NULL;
	int cache_mb = 0, mmap_mb = -1;
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			dump = argv[++i];
		else if (!strcmp(argv[i], "--cache-mb") && i + 1 < argc)
			cache_mb = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--mmap-mb") && i + 1 < argc)
			mmap_mb = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--filter") && i + 1 < argc) {
			if (parse_filter(argv[++i], &f)) {
				fprintf(stderr, "sections: bad filter %s\n", argv[i]);
				return 2;
			}
		} else
			runs = atoi(argv[i]);
	}
	if (runs < 1 || runs > MAX_RUNS)
		runs = 3;
	struct db *db;
	char *err = NULL;
	if (db_open(argv[1], &db, &err)) {
		fprintf(stderr, "sections: %s\n", err ? err : "cannot open");
		return 1;
	}
	if (cache_mb > 0) {      /* an experiment: SQLite's page cache (SQLite only) */
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", cache_mb * 1024);
		db_exec(db, sql);
	}
	if (mmap_mb >= 0) {     /* an experiment: memory-mapped reads (SQLite only) */
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA mmap_size = %lld", (long long)mmap_mb << 20);
		db_exec(db, sql);
	}
	static double t[64][MAX_RUNS], c[64][MAX_RUNS], whole[MAX_RUNS], wholec[MAX_RUNS];
	FILE *out = NULL;
	for (int run = 0; run < runs; run++) {
		struct arena a;
		arena_init(&a);
		if (dump && run == 0 && !(out = fopen(dump, "w"))) {
			perror(dump);
			return 1;
		}
		double w0 = now_ms(), wc0 = cpu_ms();
		for (size_t s = 0; s < report_nsections && s < 64; s++) {
			struct rtable *tab = NULL;
			double t0 = now_ms(), c0 = cpu_ms();
			int rc = report_sections[s].fn(db, &a, &f, &tab);
			t[s][run] = now_ms() - t0;
			c[s][run] = cpu_ms() - c0;
			if (rc) {
				fprintf(stderr, "sections: %s failed: %s\n", report_sections[s].id,
					db_errmsg(db));
				return 1;
			}
			if (out && tab)
				dump_table(out, tab);
		}
		whole[run] = now_ms() - w0;
		wholec[run] = cpu_ms() - wc0;
		if (out) {
			fclose(out);
			out = NULL;
		}
		arena_free(&a);
	}
	printf("%-16s %10s %10s %10s %10s\n", "section", "first ms", "median ms", "first cpu",
	       "median cpu");
	for (size_t s = 0; s < report_nsections && s < 64; s++)
		printf("%-16s %10.1f %10.1f %10.1f %10.1f\n", report_sections[s].id, t[s][0],
		       runs > 1 ? median(t[s] + 1, runs - 1) : t[s][0], c[s][0],
		       runs > 1 ? median(c[s] + 1, runs - 1) : c[s][0]);
	printf("%-16s %10.1f %10.1f %10.1f %10.1f\n", "dashboard", whole[0],
	       runs > 1 ? median(whole + 1, runs - 1) : whole[0], wholec[0],
	       runs > 1 ? median(wholec + 1, runs - 1) : wholec[0]);
	db_close(db);
	return 0;
}
