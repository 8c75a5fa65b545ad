/* pwhash.h — checking a password against its stored argon2id hash.
 *
 * Hashes are made by libsodium (crypto_pwhash_str, core/user.c) in the
 * standard encoding: $argon2id$v=19$m=KIB,t=PASSES,p=LANES$SALT$HASH.
 * Checking one recomputes argon2id over m KiB of memory (64 MiB for
 * libsodium's interactive limits).  libsodium maps that memory afresh for
 * every check and unmaps it after, and each map and unmap holds the
 * process's memory-map lock long enough for every other thread that
 * needed it (to grow a malloc heap, say) to stall: with a few sign-ins at
 * once, GET /api/v1/me on another thread waited 100-300 ms.  Here the
 * check runs in libargon2 (the reference implementation of the same
 * function) with its memory from a few buffers mapped once and kept, one
 * per check that may run at once (one per core): no map or unmap per
 * check, and a check waits for a free buffer rather than adding to a
 * machine already busy hashing. */
#ifndef HEARTH_PWHASH_H
#define HEARTH_PWHASH_H
#include <stdbool.h>

/* Whether password matches stored (an encoded argon2id hash).  false for
 * a wrong password and for anything that is not such a hash, or asks for
 * more than 1 GiB of memory, 64 passes or 16 lanes. */
bool pwhash_verify(const char *stored, const char *password);

#endif
