/* fuzz_ctf.c — libFuzzer target for the Common Transfer File reader
 * (src/core/ctf.c): any bytes must give pupils or a clean error, never a
 * crash, leak, hang or undefined behaviour.  Every field of every record
 * is read so that ASan checks the strings the reader hands out. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ctf.h"

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctf_reader *r = NULL;
	struct errinfo e;
	struct pupil_rec rec;
	size_t sum = 0;
	if (ctf_open_mem((const char *)data, size, &r, &e) != HE_OK)
		return 0;
	const struct ctf_header *h = ctf_header(r);
	sum += touch(h->version) + touch(h->date) + touch(h->urn) + touch(h->school_name);
	while (ctf_next(r, &rec, &e) == HE_OK)
		for (int f = 0; f < PF_COUNT; f++)
			sum += touch(rec.v[f]);
	ctf_close(r);
	return sum == (size_t)-1;  /* keep sum alive */
}
