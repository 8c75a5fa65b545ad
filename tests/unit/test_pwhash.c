/* test_pwhash.c — unit tests for src/core/pwhash.c: a hash made by
 * libsodium (as core/user.c makes them) checks with its password and not
 * with any other; a hash with one character of its salt or digest changed
 * fails; strings that are not argon2id hashes, or ask for too much, fail
 * without a crash; many checks at once on more threads than buffers all
 * come out right (the buffers are shared out, never two checks on one);
 * and a bigger memory parameter than the first one's still checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/pwhash.h"

static char hash_a[crypto_pwhash_STRBYTES], hash_b[crypto_pwhash_STRBYTES];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	/* libsodium's interactive limits, as core/user.c uses */
	if (crypto_pwhash_str(hash_a, "correct horse battery", 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -1;
	if (crypto_pwhash_str(hash_b, "pässwörd – ünïcode", strlen("pässwörd – ünïcode"),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -1;
	return 0;
}

static void test_right_and_wrong_password(void **state)
{
	(void)state;
	assert_true(strncmp(hash_a, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	assert_true(pwhash_verify(hash_a, "correct horse battery"));
	assert_false(pwhash_verify(hash_a, "correct horse batterY"));
	assert_false(pwhash_verify(hash_a, "correct horse batter"));
	assert_false(pwhash_verify(hash_a, ""));
	assert_true(pwhash_verify(hash_b, "pässwörd – ünïcode"));
	assert_false(pwhash_verify(hash_b, "correct horse battery"));
	/* the same password under another salt is another hash */
	assert_false(pwhash_verify(hash_b, "pässwörd – ünicode"));
}

/* Change the character at i of a copy of hash_a to c. */
static const char *changed(char *buf, size_t i, char c)
{
	strcpy(buf, hash_a);
	buf[i] = buf[i] == c ? (char)(c == 'A' ? 'B' : 'A') : c;
	return buf;
}

static void test_tampered_hash_fails(void **state)
{
	(void)state;
	char buf[crypto_pwhash_STRBYTES];
	size_t n = strlen(hash_a);
	const char *salt = strrchr(hash_a, '$') - 10;	/* inside the salt */
	assert_false(pwhash_verify(changed(buf, (size_t)(salt - hash_a), 'Q'), "correct horse battery"));
	assert_false(pwhash_verify(changed(buf, n - 5, 'Q'), "correct horse battery"));
	/* fewer passes or less memory than it was made with */
	strcpy(buf, hash_a);
	memcpy(strstr(buf, "t=2"), "t=1", 3);
	assert_false(pwhash_verify(buf, "correct horse battery"));
	strcpy(buf, hash_a);
	memcpy(strstr(buf, "m=65536"), "m=65535", 7);
	assert_false(pwhash_verify(buf, "correct horse battery"));
}

static void test_not_a_hash_fails(void **state)
{
	(void)state;
	char big[300];
	const char *bad[] = {
		"", "$", "argon2id", "$argon2i$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=16$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=2,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=4,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=2097152,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",   /* 2 GiB */
		"$argon2id$v=19$m=65536,t=999,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=2,p=99$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=065536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=99999999999999999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=2,p=1$$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$",
		"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0",
		"$argon2id$v=19$m=65536,t=2,p=1$c2Fs!!NhbHRzYWx0$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g$extra",
		"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaGhhc2g",               /* 4-byte salt */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (pwhash_verify(bad[i], "correct horse battery"))
			fail_msg("accepted %s", bad[i]);
	assert_false(pwhash_verify(NULL, "x"));
	assert_false(pwhash_verify(hash_a, NULL));
	/* a salt longer than any buffer */
	snprintf(big, sizeof big, "$argon2id$v=19$m=65536,t=2,p=1$%0240d$aGFzaGhhc2g", 0);
	assert_false(pwhash_verify(big, "correct horse battery"));
}

#define THREADS 6
#define ROUNDS 3
static int right[THREADS], wrong[THREADS];

static void *checker(void *arg)
{
	int i = (int)(intptr_t)arg;
	for (int k = 0; k < ROUNDS; k++) {
		right[i] += pwhash_verify(i % 2 ? hash_a : hash_b,
					  i % 2 ? "correct horse battery" : "pässwörd – ünïcode");
		wrong[i] += pwhash_verify(i % 2 ? hash_a : hash_b, "nope");
	}
	return NULL;
}

static void test_many_at_once(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, checker, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(right[i], ROUNDS);
		assert_int_equal(wrong[i], 0);
	}
}

/* A hash made with more memory than the buffers were mapped for. */
static void test_bigger_memory(void **state)
{
	(void)state;
	char h[crypto_pwhash_STRBYTES];
	assert_int_equal(crypto_pwhash_str(h, "more memory", 11, 1, 2 * crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
	assert_true(pwhash_verify(h, "more memory"));
	assert_false(pwhash_verify(h, "less memory"));
	assert_true(pwhash_verify(hash_a, "correct horse battery"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_and_wrong_password),
		cmocka_unit_test(test_tampered_hash_fails),
		cmocka_unit_test(test_not_a_hash_fails),
		cmocka_unit_test(test_many_at_once),
		cmocka_unit_test(test_bigger_memory),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
