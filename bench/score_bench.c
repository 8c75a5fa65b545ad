/* score_bench.c — the risk engine's scoring step alone, in pupils per
 * second, for bench/import.sh (the "scoring step alone").
 *
 *   score_bench sqlite:DB [N]
 *
 * Loads the ruleset from DB (risk_ruleset_load: the rules and bands as
 * `hearth import` loads them), builds 4096 varied synthetic pupils' struct
 * risk_values (attendance, absence, suspensions, SEN, flags; about one in
 * eight indicators unknown), and times N (default 10,000,000) calls of
 * risk_score over them, then N calls of risk_score + risk_fired_codes (the
 * risk_fired text the import stores).  Prints one line per measurement:
 *   score_bench: risk_score 12.3 ns/pupil 81300000 pupils/s (checksum …)
 * The checksum (sum of scores) keeps the compiler from dropping the loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/err.h"
#include "core/risk.h"
#include "store/db.h"

#define VARIANTS 4096   /* power of two */

static struct risk_values values[VARIANTS];

/* xorshift: deterministic, cheap */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* v, or RISK_UNKNOWN one time in eight */
static int32_t maybe(uint32_t *x, int32_t v)
{
	return rnd(x) % 8 == 0 ? RISK_UNKNOWN : v;
}

static void values_fill(void)
{
	uint32_t x = 2463534242u;
	for (int i = 0; i < VARIANTS; i++) {
		struct risk_values *v = &values[i];
		for (int k = 0; k < RI_COUNT; k++)
			v->v[k] = maybe(&x, (int32_t)(rnd(&x) % 10 == 0));
		v->v[RI_ATTENDANCE_PCT] = maybe(&x, (int32_t)(40 + rnd(&x) % 61));
		v->v[RI_UNAUTHORISED_PCT] = maybe(&x, (int32_t)(rnd(&x) % 20));
		v->v[RI_SUSPENSIONS] = maybe(&x, (int32_t)(rnd(&x) % 5));
		v->v[RI_SUSPENSION_DAYS] = maybe(&x, (int32_t)(rnd(&x) % 10));
		v->v[RI_SCHOOL_MOVES] = maybe(&x, (int32_t)(rnd(&x) % 5));
	}
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void report(const char *what, long n, double ns, long long checksum)
{
	double per = ns / (double)n;
	printf("score_bench: %-28s %6.1f ns/pupil %11.0f pupils/s (checksum %lld)\n",
	       what, per, 1e9 / per, checksum);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: score_bench sqlite:DB [N]\n");
		return 2;
	}
	long n = argc == 3 ? atol(argv[2]) : 10000000L;
	if (n <= 0) {
		fprintf(stderr, "score_bench: N must be positive\n");
		return 2;
	}
	struct db *db = NULL;
	char *msg = NULL;
	if (db_open(argv[1], &db, &msg) != HE_OK) {
		fprintf(stderr, "score_bench: %s: %s\n", argv[1], msg ? msg : "cannot open");
		return 1;
	}
	static struct risk_ruleset rs;
	struct errinfo e = {0};
	if (risk_ruleset_load(db, &rs, &e) != HE_OK) {
		fprintf(stderr, "score_bench: risk_ruleset_load: %s\n", e.message);
		db_close(db);
		return 1;
	}
	db_close(db);
	values_fill();

	struct risk_result r;
	long long sum = 0;
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		risk_score(&rs, &values[i & (VARIANTS - 1)], &r);
		sum += r.score;
	}
	report("risk_score", n, now_ns() - t0, sum);

	char codes[RISK_FIRED_MAX];
	sum = 0;
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		risk_score(&rs, &values[i & (VARIANTS - 1)], &r);
		sum += r.score + (long long)risk_fired_codes(&rs, r.fired, codes, sizeof codes);
	}
	report("risk_score+risk_fired_codes", n, now_ns() - t0, sum);
	printf("score_bench: %d rules (%d enabled), bands high>=%d medium>=%d\n",
	       rs.n, rs.nlive, rs.band_high, rs.band_medium);
	return 0;
}
