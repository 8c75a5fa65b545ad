/* sha256.h — SHA-256, from OpenSSL's libcrypto.
 *
 * OpenSSL uses the CPU's SHA instructions where it has them (most x86 and
 * ARM servers of the last few years): on the reference machine a quarter
 * of the cost of libsodium's portable SHA-256, which showed in every
 * request's profile (the session token's hash, the audit row's chain
 * hash).  Out of memory, or a libcrypto without SHA-256, aborts: nothing
 * could be audited or signed in. */
#ifndef HEARTH_SHA256_H
#define HEARTH_SHA256_H
#include <stddef.h>

struct sha256 {
	void *ctx;        /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* The digest as 64 lowercase hex digits and a NUL; frees h's context. */
void sha256_final_hex(struct sha256 *h, char out[65]);
/* The hex digest of n bytes at p, in one go. */
void sha256_hex(const void *p, size_t n, char out[65]);

#endif
