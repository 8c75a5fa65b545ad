/* test_sha256.c — unit tests for src/base/sha256.c: the FIPS 180-2 test
 * vectors, one go and piece by piece alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"

static const struct {
	const char *in;
	const char *hex;
} vectors[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void test_vectors_one_go(void **state)
{
	(void)state;
	char out[65];
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		sha256_hex(vectors[i].in, strlen(vectors[i].in), out);
		assert_string_equal(out, vectors[i].hex);
	}
}

static void test_vectors_in_pieces(void **state)
{
	(void)state;
	char out[65];
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		struct sha256 h;
		sha256_init(&h);
		for (const char *p = vectors[i].in; *p; p++)
			sha256_update(&h, p, 1);
		sha256_final_hex(&h, out);
		assert_string_equal(out, vectors[i].hex);
	}
}

/* A million 'a's (the standard's long vector), in uneven pieces. */
static void test_million_a(void **state)
{
	(void)state;
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	struct sha256 h;
	sha256_init(&h);
	size_t done = 0, step = 1;
	while (done < 1000000) {
		size_t n = step < 1000000 - done ? step : 1000000 - done;
		sha256_update(&h, a + done, n);
		done += n;
		step = step * 3 + 1;
	}
	char out[65], once[65];
	sha256_final_hex(&h, out);
	sha256_hex(a, 1000000, once);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	assert_string_equal(once, out);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_one_go),
		cmocka_unit_test(test_vectors_in_pieces),
		cmocka_unit_test(test_million_a),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
