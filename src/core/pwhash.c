/* pwhash.c — argon2id checks on kept buffers (see pwhash.h). */
#include "core/pwhash.h"

#include <argon2.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_KIB (1024u * 1024u)   /* 1 GiB */
#define MAX_PASSES 64u
#define MAX_LANES 16u
#define MAX_SALT 64
#define MAX_HASH 128
#define SLOTS_MAX 64

/* The kept buffers: slot i is mapped on first use at the size asked for
 * (the stored hashes' m, all the same in practice) and kept; a bigger ask
 * maps it again. */
static struct slot {
	uint8_t *mem;
	size_t size;
	bool busy;
} slots[SLOTS_MAX];
static unsigned nslots;
static sem_t free_slots;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread struct slot *mine;   /* the slot this thread's check uses */

static void setup(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	nslots = n < 1 ? 1 : n > SLOTS_MAX ? SLOTS_MAX : (unsigned)n;
	sem_init(&free_slots, 0, nslots);
}

static struct slot *slot_take(void)
{
	while (sem_wait(&free_slots) != 0)
		;
	pthread_mutex_lock(&slots_lock);
	struct slot *s = NULL;
	for (unsigned i = 0; i < nslots && !s; i++)
		if (!slots[i].busy)
			s = &slots[i];
	s->busy = true;
	pthread_mutex_unlock(&slots_lock);
	return s;
}

static void slot_give(struct slot *s)
{
	pthread_mutex_lock(&slots_lock);
	s->busy = false;
	pthread_mutex_unlock(&slots_lock);
	sem_post(&free_slots);
}

/* libargon2's allocator: this thread's slot, mapped at the size asked for
 * if it is smaller (or not mapped yet). */
static int slot_alloc(uint8_t **memory, size_t bytes)
{
	struct slot *s = mine;
	if (!s)
		return ARGON2_MEMORY_ALLOCATION_ERROR;
	if (s->size < bytes) {
		if (s->mem)
			munmap(s->mem, s->size);
		s->size = 0;
		void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			s->mem = NULL;
			return ARGON2_MEMORY_ALLOCATION_ERROR;
		}
		s->mem = p;
		s->size = bytes;
	}
	*memory = s->mem;
	return ARGON2_OK;
}

/* libargon2 has already wiped the memory; it stays mapped for the next. */
static void slot_free(uint8_t *memory, size_t bytes)
{
	(void)memory; (void)bytes;
}

/* "name=digits" at *p (moving past it); false if absent or too big. */
static bool field(const char **p, const char *name, uint32_t max, uint32_t *out)
{
	size_t n = strlen(name);
	if (strncmp(*p, name, n) != 0 || (*p)[n] != '=')
		return false;
	const char *q = *p + n + 1;
	uint64_t v = 0;
	if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9'))
		return false;
	for (; *q >= '0' && *q <= '9'; q++)
		if ((v = v * 10 + (uint64_t)(*q - '0')) > max)
			return false;
	*out = (uint32_t)v;
	*p = q;
	return true;
}

/* Base64 (standard alphabet, no padding) up to the next '$' or the end,
 * into out (at most max bytes); its length, or -1. */
static int b64(const char **p, unsigned char *out, size_t max)
{
	const char *end = strchr(*p, '$');
	size_t n = end ? (size_t)(end - *p) : strlen(*p);
	size_t len = 0;
	if (n == 0 || sodium_base642bin(out, max, *p, n, NULL, &len, NULL,
					sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
		return -1;
	*p += n;
	return (int)len;
}

bool pwhash_verify(const char *stored, const char *password)
{
	if (!stored || !password)
		return false;
	uint32_t version, m, t, lanes;
	unsigned char salt[MAX_SALT], want[MAX_HASH], got[MAX_HASH];
	const char *p = stored;
	if (strncmp(p, "$argon2id$", 10) != 0)
		return false;
	p += 10;
	if (!field(&p, "v", 0xff, &version) || version != ARGON2_VERSION_13 || *p++ != '$' ||
	    !field(&p, "m", MAX_KIB, &m) || *p++ != ',' ||
	    !field(&p, "t", MAX_PASSES, &t) || *p++ != ',' ||
	    !field(&p, "p", MAX_LANES, &lanes) || *p++ != '$')
		return false;
	int saltlen = b64(&p, salt, sizeof salt);
	if (saltlen < 8 || *p++ != '$')
		return false;
	int hashlen = b64(&p, want, sizeof want);
	if (hashlen < 4 || *p != '\0' || t < 1 || lanes < 1 || m < 8 * lanes)
		return false;
	size_t pwlen = strlen(password);
	if (pwlen > ARGON2_MAX_PWD_LENGTH)
		return false;
	pthread_once(&once, setup);
	argon2_context ctx = {
		.out = got, .outlen = (uint32_t)hashlen,
		.pwd = (uint8_t *)(uintptr_t)password, .pwdlen = (uint32_t)pwlen,
		.salt = salt, .saltlen = (uint32_t)saltlen,
		.t_cost = t, .m_cost = m, .lanes = lanes, .threads = 1,
		.version = version, .allocate_cbk = slot_alloc, .free_cbk = slot_free,
		.flags = ARGON2_DEFAULT_FLAGS,
	};
	mine = slot_take();
	int rc = argon2_ctx(&ctx, Argon2_id);
	slot_give(mine);
	mine = NULL;
	bool ok = rc == ARGON2_OK && sodium_memcmp(got, want, (size_t)hashlen) == 0;
	sodium_memzero(got, sizeof got);
	return ok;
}
