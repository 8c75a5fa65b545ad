/* sha256.c — SHA-256 from OpenSSL's libcrypto (see sha256.h). */
#include "base/sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>

static EVP_MD *md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t spare_key;

static void spare_free(void *c) { EVP_MD_CTX_free(c); }

/* The algorithm, fetched once (a fetch per digest costs a lookup). */
static void fetch(void)
{
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	pthread_key_create(&spare_key, spare_free);
}

/* A digest context: the thread's spare if it has one (each request hashes
 * its session token and each audit row its text: a context allocated and
 * freed for each showed in GET /api/v1/me's profile), else a new one. */
static EVP_MD_CTX *ctx_get(void)
{
	pthread_once(&md_once, fetch);
	EVP_MD_CTX *c = pthread_getspecific(spare_key);
	if (c)
		pthread_setspecific(spare_key, NULL);
	else
		c = EVP_MD_CTX_new();
	if (!c || !md || !EVP_DigestInit_ex2(c, md, NULL))
		abort();
	return c;
}

/* Keep c as the thread's spare, or free it if there is one already. */
static void ctx_put(EVP_MD_CTX *c)
{
	if (pthread_getspecific(spare_key) || pthread_setspecific(spare_key, c) != 0)
		EVP_MD_CTX_free(c);
}

void sha256_init(struct sha256 *h)
{
	h->ctx = ctx_get();
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (!EVP_DigestUpdate(h->ctx, p, n))
		abort();
}

void sha256_final_hex(struct sha256 *h, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	if (!EVP_DigestFinal_ex(h->ctx, d, NULL))
		abort();
	ctx_put(h->ctx);
	h->ctx = NULL;
	/* A digest is not a secret: no need of sodium_bin2hex's constant
	 * time, which cost as much as the audit row's hashing. */
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, p, n);
	sha256_final_hex(&h, out);
}
