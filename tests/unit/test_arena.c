/* test_arena.c — unit tests for src/base/arena.c: alignment, zeroing,
 * allocations bigger than a block, string helpers and arena_printf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/arena.h"

static void test_alignment_and_zeroing(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	for (size_t n = 0; n < 300; n++) {
		unsigned char *p = arena_alloc(&a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xAB, n);  /* must not disturb other allocations */
	}
	/* A long double or a 16-byte aligned vector fits at any pointer. */
	long double *ld = arena_alloc(&a, sizeof *ld);
	*ld = 1.5L;
	assert_true(*ld == 1.5L);
	arena_free(&a);
}

static void test_allocations_do_not_overlap(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	unsigned char *ptrs[2000];
	size_t sizes[2000];
	for (size_t i = 0; i < 2000; i++) {
		sizes[i] = 1 + (i * 37) % 700;
		ptrs[i] = arena_alloc(&a, sizes[i]);
		memset(ptrs[i], (int)(i & 0xFF), sizes[i]);
	}
	for (size_t i = 0; i < 2000; i++)
		for (size_t k = 0; k < sizes[i]; k++)
			if (ptrs[i][k] != (unsigned char)(i & 0xFF))
				fail_msg("allocation %zu was overwritten at byte %zu", i, k);
	assert_true(a.total >= 2000);
	arena_free(&a);
	assert_null(a.head);
	assert_int_equal(a.total, 0);
}

static void test_big_allocations(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	char *small = arena_strdup(&a, "before");
	size_t big = 1024 * 1024 + 3;  /* far bigger than a block */
	unsigned char *p = arena_alloc(&a, big);
	assert_int_equal((uintptr_t)p % 16, 0);
	for (size_t i = 0; i < big; i += 4093)
		assert_int_equal(p[i], 0);
	assert_int_equal(p[big - 1], 0);
	memset(p, 0x5A, big);
	char *after = arena_strdup(&a, "after");
	unsigned char *p2 = arena_alloc(&a, 8192);  /* exactly a block */
	memset(p2, 1, 8192);
	unsigned char *p3 = arena_alloc(&a, 8193);
	memset(p3, 2, 8193);
	assert_string_equal(small, "before");
	assert_string_equal(after, "after");
	assert_int_equal(p[0], 0x5A);
	assert_int_equal(p[big - 1], 0x5A);
	assert_true(a.total >= big + 8192 + 8193);
	arena_free(&a);
}

static void test_strings(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	assert_null(arena_strdup(&a, NULL));
	char *s = arena_strdup(&a, "family support");
	assert_string_equal(s, "family support");
	char *t = arena_strndup(&a, "family support", 6);
	assert_string_equal(t, "family");
	char *e = arena_strndup(&a, "abc", 0);
	assert_string_equal(e, "");
	char *nul = arena_strndup(&a, "a\0bc", 4);  /* copies n bytes as given */
	assert_memory_equal(nul, "a\0bc", 5);
	char *empty = arena_strdup(&a, "");
	assert_string_equal(empty, "");
	assert_string_equal(s, "family support");
	arena_free(&a);
}

static void test_printf(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	char *s = arena_printf(&a, "%s has %d pupils and %zu referrals", "Oak Primary", 312,
			       (size_t)14);
	assert_string_equal(s, "Oak Primary has 312 pupils and 14 referrals");
	char *empty = arena_printf(&a, "%s", "");
	assert_string_equal(empty, "");
	/* A result bigger than a block. */
	char *big = arena_printf(&a, "%0*d", 20000, 42);
	assert_int_equal(strlen(big), 20000);
	assert_string_equal(big + 19998, "42");
	assert_int_equal((uintptr_t)big % 16, 0);
	assert_string_equal(s, "Oak Primary has 312 pupils and 14 referrals");
	arena_free(&a);
}

static void test_reuse_after_free(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	arena_free(&a);  /* freeing an empty arena is fine */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100; i++)
			assert_non_null(arena_printf(&a, "row %d of round %d", i, round));
		arena_free(&a);
		assert_null(a.head);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_zeroing),
		cmocka_unit_test(test_allocations_do_not_overlap),
		cmocka_unit_test(test_big_allocations),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_reuse_after_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
