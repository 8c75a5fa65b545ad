/* demo_rng.h — the demo seeders' random numbers.
 *
 * splitmix64: tiny, fast and the same on every platform, which is all a
 * reproducible demo needs (a seed gives the same partnership anywhere).
 * One copy for every seeder (demo_cases, demo_taf, demo_money,
 * demo_history). */
#ifndef HEARTH_DEMO_RNG_H
#define HEARTH_DEMO_RNG_H
#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* 0 … n-1 (0 when n ≤ 0). */
static inline int below(struct rng *r, int n)
{
	return n > 0 ? (int)(rng_next(r) % (uint64_t)n) : 0;
}

/* lo … hi inclusive. */
static inline int between(struct rng *r, int lo, int hi)
{
	return lo + below(r, hi - lo + 1);
}

static inline bool chance(struct rng *r, int percent)
{
	return below(r, 100) < percent;
}

#define RNG_NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) (a)[below((r), (int)RNG_NELEM(a))]

#endif
