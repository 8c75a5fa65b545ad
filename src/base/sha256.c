/* sha256.c — SHA-256 from OpenSSL's libcrypto (see sha256.h). */
#include "base/sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

static EVP_MD *md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

/* The algorithm, fetched once (a fetch per digest costs a lookup). */
static void fetch(void)
{
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256_init(struct sha256 *h)
{
	pthread_once(&md_once, fetch);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !md || !EVP_DigestInit_ex2(c, md, NULL))
		abort();
	h->ctx = c;
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
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	sodium_bin2hex(out, 65, d, 32);
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	pthread_once(&md_once, fetch);
	if (!md || !EVP_Digest(p, n, d, NULL, md, NULL))
		abort();
	sodium_bin2hex(out, 65, d, 32);
}
