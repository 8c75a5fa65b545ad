/* fuzz_csv.c — libFuzzer target for the CSV reader (src/base/csv.c).
 *
 * Each input is read three ways: with the default 64 KiB block, with a
 * block of 1..7 bytes, and (for the small-block read) with small limits
 * chosen by the first byte.  Checked on every call:
 *   - it terminates (at most one result per input byte, plus the end),
 *   - line numbers never go backwards and a record's end_line >= line,
 *   - offsets lie within the input and never go backwards,
 *   - fields are NUL-terminated, hold no NUL and respect the limits,
 *   - the BAD_UTF8 flags agree with csv_utf8_valid and rec.bad_utf8,
 *   - the results do not depend on the block size,
 *   - every record, written back quoted, reads back as the same fields.
 * ASan/UBSan check the memory; the fields point into the reader's buffer,
 * so reading them checks they lie within it.
 *
 * Build:  clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *           fuzz/fuzz_csv.c src/base/csv.c src/base/buf.c src/base/alloc.c \
 *           src/base/err.c -o build/fuzz_csv
 * Run:    build/fuzz_csv -max_total_time=120 fuzz/corpus/csv */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Append one record's fields as CSV, every field quoted. */
static void encode(struct buf *out, const struct csv_record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		if (i)
			buf_putc(out, ',');
		buf_putc(out, '"');
		for (size_t k = 0; k < rec->f[i].len; k++) {
			if (rec->f[i].p[k] == '"')
				buf_putc(out, '"');
			buf_putc(out, rec->f[i].p[k]);
		}
		buf_putc(out, '"');
	}
	buf_puts(out, "\r\n");
}

/* The fields of the one record in enc must equal rec's. */
static void check_roundtrip(const struct buf *enc, const struct csv_record *rec)
{
	struct csv_reader *r = csv_open_mem(enc->data, enc->len,
					    &(struct csv_opts){.block = 4096, .fields_max = 1u << 20,
							       .record_max = 1u << 30,
							       .field_max = 1u << 30});
	struct csv_record back;
	CHECK(csv_next(r, &back) == CSV_OK);
	CHECK(back.n == rec->n);
	for (size_t i = 0; i < rec->n; i++) {
		CHECK(back.f[i].len == rec->f[i].len);
		CHECK(memcmp(back.f[i].p, rec->f[i].p, rec->f[i].len) == 0);
	}
	CHECK(csv_next(r, &back) == CSV_EOF);
	csv_close(r);
}

static void check_record(const struct csv_record *rec, const struct csv_opts *o)
{
	int bad = -1;
	size_t total = 0;
	CHECK(rec->n >= 1 && rec->n <= o->fields_max);
	for (size_t i = 0; i < rec->n; i++)
		total += rec->f[i].len;
	CHECK(total > 0);  /* all-empty records are skipped */
	for (size_t i = 0; i < rec->n; i++) {
		const struct csv_field *f = &rec->f[i];
		CHECK(f->len <= o->field_max);
		CHECK(f->p[f->len] == '\0');
		CHECK(memchr(f->p, 0, f->len) == NULL);
		bool valid = csv_utf8_valid(f->p, f->len);
		CHECK(valid == !(f->flags & CSV_FIELD_BAD_UTF8));
		if (!valid && bad < 0)
			bad = (int)i;
	}
	CHECK(rec->bad_utf8 == bad);
}

/* Read data with opts; a digest of everything returned goes to out. */
static void run(const uint8_t *data, size_t size, const struct csv_opts *o, struct buf *out,
		bool roundtrip)
{
	struct csv_opts lim = *o;
	if (!lim.field_max)
		lim.field_max = CSV_FIELD_MAX;
	if (!lim.fields_max)
		lim.fields_max = CSV_FIELDS_MAX;
	struct csv_reader *r = csv_open_mem(data, size, o);
	struct csv_record rec;
	struct buf enc;
	long last_line = 0;
	uint64_t last_off = 0;
	size_t calls = 0;
	int rc;
	buf_init(&enc, 0);
	while ((rc = csv_next(r, &rec)) != CSV_EOF) {
		CHECK(++calls <= size + 2);
		CHECK(csv_offset(r) <= size && csv_offset(r) >= last_off);
		last_off = csv_offset(r);
		buf_printf(out, "%d %ld %ld %llu %d %zu:", rc, rec.line, rec.end_line,
			   (unsigned long long)rec.offset, rec.err_field, rec.n);
		if (rc == CSV_E_EMPTY || rc == CSV_E_UTF16) {
			CHECK(calls == 1);
			continue;
		}
		CHECK(rec.line >= last_line && rec.end_line >= rec.line);
		CHECK(rec.offset < size);
		last_line = rec.end_line;
		if (rc != CSV_OK) {
			CHECK(csv_errmsg(r)[0] != '\0');
			continue;
		}
		check_record(&rec, &lim);
		for (size_t i = 0; i < rec.n; i++) {
			buf_printf(out, "%zu,%u,", rec.f[i].len, rec.f[i].flags);
			buf_append(out, rec.f[i].p, rec.f[i].len);
		}
		if (rec.n == 1)
			(void)csv_check_header(r, &rec);
		if (roundtrip) {
			buf_reset(&enc);
			encode(&enc, &rec);
			check_roundtrip(&enc, &rec);
		}
	}
	CHECK(csv_next(r, &rec) == CSV_EOF);
	buf_free(&enc);
	csv_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;
	uint8_t k = size ? data[0] : 0;
	buf_init(&a, 0);
	buf_init(&b, 0);

	run(data, size, &(struct csv_opts){0}, &a, true);
	run(data, size, &(struct csv_opts){.block = 1 + k % 7}, &b, false);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);

	/* Small limits, so they are reached: again both ways. */
	struct csv_opts lim = {.field_max = 1 + k % 16, .fields_max = 1 + (k >> 4),
			       .record_max = 8 + k % 64};
	buf_reset(&a);
	buf_reset(&b);
	run(data, size, &lim, &a, false);
	lim.block = 1 + (k >> 3) % 7;
	run(data, size, &lim, &b, false);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);

	buf_free(&a);
	buf_free(&b);
	return 0;
}
