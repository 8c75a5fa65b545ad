/* csv.c — the streaming CSV reader (see csv.h).
 *
 * How it works.  One buffer holds the record being parsed plus the block
 * just read.  csv_scan() is a resumable state machine: when it runs out of
 * bytes mid-record it returns, csv_fill() moves the partial record to the
 * front of the buffer (field positions are kept relative to the record's
 * start, so they survive the move), reads the next block, and the scan
 * resumes in the same state.  Ordinary bytes are skipped by a tight loop
 * over a byte-class table, stopping only at , " CR LF NUL (and, until the
 * field is known to be non-ASCII, bytes >= 0x80); the byte after the
 * buffer's data is always a NUL, which doubles as the loop's sentinel.
 *
 * Fields are NUL-terminated by overwriting the delimiter after them; a
 * quoted field with doubled quotes is compacted in place (the write
 * position never passes the read position).
 *
 * After an error in a record the scan carries on through the record's
 * structure (so a quoted line break does not start a bogus record) but
 * keeps nothing: csv_fill() then discards everything read, so a damaged
 * record cannot make the buffer grow without bound. */
#include "base/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

enum csv_src { SRC_FD, SRC_FILE, SRC_MEM, SRC_CB };

/* Where the scan is within a record. */
enum csv_state {
	ST_BETWEEN,   /* before a record (skipping blank lines) */
	ST_FIELD,     /* at the first byte of a field */
	ST_UNQUOTED,  /* inside an unquoted field */
	ST_QUOTED,    /* inside a quoted field */
	ST_QUOTE,     /* just after a " inside a quoted field */
	ST_AFTER,     /* after a closing quote */
};

struct csv_reader {
	/* source */
	enum csv_src src;
	int fd;
	FILE *fp;
	const unsigned char *mem;
	size_t mem_len, mem_off;
	csv_read_fn fn;
	void *ctx;
	struct csv_opts o;

	/* buffer: data is buf[0..len), buf[len] is always 0 */
	unsigned char *buf;
	size_t cap, len, pos;
	uint64_t base;          /* input offset of buf[0] */
	bool started, eof, done, any;
	int io_errno;

	/* scan state */
	enum csv_state state;
	bool prev_cr;           /* the last byte consumed was CR */
	long line;
	long skipped;

	/* the record being parsed; positions relative to rstart, except
	 * fabs and roff (input offsets, which survive discarding) */
	size_t rstart, fstart, w;
	uint64_t fabs;
	bool fhigh, fquoted;
	bool discard;           /* keep nothing more of this record */
	uint64_t nonempty;      /* nonzero once a field has a byte */
	int bad_utf8;           /* first field with invalid UTF-8, or -1 */
	long rline, eline, qline;
	uint64_t roff;
	struct csv_field *f;
	size_t *offs;
	size_t nf, fcap;

	/* the first error in this record, in input order (a length limit
	 * counts as found where the field or record ends, so the error does
	 * not depend on where blocks happen to end) */
	int err, err_field;
	bool err_quoted;
	long err_line;
	char msg[256];
};

/* Bytes that stop the scan of an unquoted field; the _lo tables are used
 * once the field has a byte >= 0x80 (it will be UTF-8 checked anyway). */
static const unsigned char cls_plain[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1, [0x80 ... 0xff] = 1,
};
static const unsigned char cls_plain_lo[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1,
};
static const unsigned char cls_quoted[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1, [0x80 ... 0xff] = 1,
};
static const unsigned char cls_quoted_lo[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1,
};

/* ---- opening and closing ---------------------------------------------- */

static struct csv_reader *csv_new(enum csv_src src, const struct csv_opts *opts)
{
	struct csv_reader *r = xcalloc(1, sizeof *r);
	r->src = src;
	r->fd = -1;
	if (opts)
		r->o = *opts;
	if (!r->o.block)
		r->o.block = CSV_BLOCK;
	if (!r->o.field_max)
		r->o.field_max = CSV_FIELD_MAX;
	if (!r->o.fields_max)
		r->o.fields_max = CSV_FIELDS_MAX;
	if (!r->o.record_max)
		r->o.record_max = CSV_RECORD_MAX;
	r->cap = r->o.block + 1;
	r->buf = xmalloc(r->cap);
	r->buf[0] = 0;
	r->line = 1;
	r->state = ST_BETWEEN;
	return r;
}

struct csv_reader *csv_open_fd(int fd, const struct csv_opts *opts)
{
	struct csv_reader *r = csv_new(SRC_FD, opts);
	r->fd = fd;
	return r;
}

struct csv_reader *csv_open_file(FILE *fp, const struct csv_opts *opts)
{
	struct csv_reader *r = csv_new(SRC_FILE, opts);
	r->fp = fp;
	return r;
}

struct csv_reader *csv_open_mem(const void *data, size_t len, const struct csv_opts *opts)
{
	struct csv_reader *r = csv_new(SRC_MEM, opts);
	r->mem = data;
	r->mem_len = data ? len : 0;
	return r;
}

struct csv_reader *csv_open_cb(csv_read_fn fn, void *ctx, const struct csv_opts *opts)
{
	struct csv_reader *r = csv_new(SRC_CB, opts);
	r->fn = fn;
	r->ctx = ctx;
	return r;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->f);
	free(r->offs);
	free(r);
}

/* ---- reading ---------------------------------------------------------- */

/* Read up to n bytes into p: bytes read, 0 at the end, -1 on error. */
static ssize_t csv_read(struct csv_reader *r, unsigned char *p, size_t n)
{
	ssize_t got;
	switch (r->src) {
	case SRC_FD:
		do
			got = read(r->fd, p, n);
		while (got < 0 && errno == EINTR);
		return got;
	case SRC_FILE:
		got = (ssize_t)fread(p, 1, n, r->fp);
		return got == 0 && ferror(r->fp) ? -1 : got;
	case SRC_MEM:
		if (n > r->mem_len - r->mem_off)
			n = r->mem_len - r->mem_off;
		if (n)
			memcpy(p, r->mem + r->mem_off, n);
		r->mem_off += n;
		return (ssize_t)n;
	case SRC_CB:
		return r->fn(r->ctx, p, n);
	}
	return -1;
}

static void csv_error(struct csv_reader *r, int code)
{
	r->discard = true;
	if (r->err)
		return;
	r->err = code;
	r->err_field = (int)r->nf;
	r->err_line = r->line;
	r->err_quoted = r->fquoted;
}

/* Before reading more mid-record: a field or record already over its
 * limit will be an error when it ends, so stop keeping it now (this is
 * what bounds the buffer). */
static void csv_check_growth(struct csv_reader *r)
{
	uint64_t flen = 0, at = r->base + r->pos;
	if (r->state == ST_UNQUOTED)
		flen = at - r->fabs;
	else if (r->state == ST_QUOTED || r->state == ST_QUOTE)
		flen = r->w - r->fstart;
	if (flen > r->o.field_max || at - r->roff > r->o.record_max)
		r->discard = true;
}

/* Keep the unparsed tail (and the record in progress, unless it is
 * already bad), make room for a block and read it.  Returns 1 when bytes
 * were added, 0 at the end of the input, -1 on a read error. */
static int csv_fill(struct csv_reader *r)
{
	if (r->eof)
		return 0;
	bool keep_rec = r->state != ST_BETWEEN && !r->discard;
	if (keep_rec) {
		csv_check_growth(r);
		keep_rec = !r->discard;
	}
	size_t keep = keep_rec ? r->rstart : r->pos;
	if (keep) {
		memmove(r->buf, r->buf + keep, r->len - keep);
		r->len -= keep;
		r->pos -= keep;
		r->base += keep;
		r->rstart = 0;
	}
	if (r->cap - r->len - 1 < r->o.block) {
		size_t ncap = r->cap * 2;
		if (ncap < r->len + r->o.block + 1)
			ncap = r->len + r->o.block + 1;
		r->buf = xrealloc(r->buf, ncap);
		r->cap = ncap;
	}
	ssize_t n = csv_read(r, r->buf + r->len, r->o.block);
	if (n < 0) {
		r->io_errno = errno;
		return -1;
	}
	if (n == 0) {
		r->eof = true;
		r->buf[r->len] = 0;
		return 0;
	}
	r->len += (size_t)n;
	r->buf[r->len] = 0;
	return 1;
}

/* ---- scanning --------------------------------------------------------- */

static void csv_begin(struct csv_reader *r, size_t pos)
{
	r->rstart = pos;
	r->rline = r->line;
	r->roff = r->base + pos;
	r->nf = 0;
	r->err = 0;
	r->err_field = -1;
	r->discard = false;
	r->nonempty = 0;
	r->bad_utf8 = -1;
	r->prev_cr = false;
}

static void csv_grow_fields(struct csv_reader *r)
{
	size_t n = r->fcap ? r->fcap * 2 : 32;
	if (n > r->o.fields_max)
		n = r->o.fields_max;
	r->f = xrealloc(r->f, n * sizeof *r->f);
	r->offs = xrealloc(r->offs, n * sizeof *r->offs);
	r->fcap = n;
}

static void csv_bad_utf8(struct csv_reader *r, struct csv_field *f, size_t i)
{
	f->flags |= CSV_FIELD_BAD_UTF8;
	if (r->bad_utf8 < 0)
		r->bad_utf8 = (int)i;
}

/* The current field is complete: its content is flen bytes from fstart;
 * end (a buffer index) is the byte after it, which becomes its NUL. */
static inline __attribute__((always_inline))
void csv_end_field(struct csv_reader *r, uint64_t flen, size_t end)
{
	size_t nf = r->nf;
	if (flen > r->o.field_max)
		csv_error(r, CSV_E_FIELD_TOO_LONG);
	else if (nf == r->o.fields_max)
		csv_error(r, CSV_E_TOO_MANY_FIELDS);
	r->nf = nf + 1;
	if (r->discard)
		return;
	if (nf == r->fcap)
		csv_grow_fields(r);
	struct csv_field *f = &r->f[nf];
	r->offs[nf] = r->fstart;
	f->len = flen;
	f->flags = r->fquoted;  /* CSV_FIELD_QUOTED */
	r->nonempty |= flen;
	if (r->fhigh && !csv_utf8_valid(r->buf + r->rstart + r->fstart, flen))
		csv_bad_utf8(r, f, nf);
	r->buf[end] = 0;
}

/* The unquoted field (which started at input offset fabs) ends at buffer
 * index end. */
static void csv_end_plain(struct csv_reader *r, size_t end)
{
	csv_end_field(r, r->base + end - r->fabs, end);
}

/* The record ends before buffer index end (its line end, or the end). */
static void csv_end_record(struct csv_reader *r, size_t end)
{
	if (r->base + end - r->roff > r->o.record_max)
		csv_error(r, CSV_E_RECORD_TOO_LONG);
}

/* A line end c at buffer index pos finishes the record. */
static void csv_end_line(struct csv_reader *r, unsigned char c, size_t pos)
{
	csv_end_record(r, pos);
	r->eline = r->line++;
	r->prev_cr = c == '\r';
	r->state = ST_BETWEEN;
}

/* Scan from pos to the end of the data.  Returns 1 when a record ended
 * (r->pos after its line end), 0 when the data ran out first. */
static int csv_scan(struct csv_reader *r)
{
	unsigned char *b = r->buf;
	size_t pos = r->pos, len = r->len;
	const unsigned char *p;
	unsigned char c;

	for (;;) {
		if (pos >= len) {
			r->pos = pos;
			return 0;
		}
		c = b[pos];
		switch (r->state) {
		case ST_BETWEEN:
			if (c == '\n' || c == '\r') {
				if (c == '\r' || !r->prev_cr) {
					r->line++;
					r->skipped++;
				}
				r->prev_cr = c == '\r';
				pos++;
				continue;
			}
			csv_begin(r, pos);
			/* fall through */
		case ST_FIELD:
			r->fhigh = false;
			if (c == '"') {
				r->fquoted = true;
				r->qline = r->line;
				r->prev_cr = false;
				pos++;
				r->fstart = r->w = pos - r->rstart;
				r->state = ST_QUOTED;
				continue;
			}
			r->fquoted = false;
			r->fstart = pos - r->rstart;
			r->fabs = r->base + pos;
			r->state = ST_UNQUOTED;
			/* fall through */
		case ST_UNQUOTED:
			p = b + pos;
			if (r->fhigh)
				while (!cls_plain_lo[*p])
					p++;
			else
				while (!cls_plain[*p])
					p++;
			pos = (size_t)(p - b);
			if (pos >= len)
				continue;
			c = *p;
			if (c == ',' || c == '\n' || c == '\r') {
				csv_end_plain(r, pos);
				if (c == ',') {
					pos++;
					r->state = ST_FIELD;
					continue;
				}
				csv_end_line(r, c, pos++);
				r->pos = pos;
				return 1;
			}
			if (c >= 0x80)
				r->fhigh = true;
			else
				csv_error(r, c == '"' ? CSV_E_BAD_QUOTE : CSV_E_NUL);
			pos++;
			continue;
		case ST_QUOTED:
			p = b + pos;
			if (r->fhigh)
				while (!cls_quoted_lo[*p])
					p++;
			else
				while (!cls_quoted[*p])
					p++;
			if (p > b + pos) {
				size_t n = (size_t)(p - (b + pos));
				if (!r->discard && r->rstart + r->w != pos)
					memmove(b + r->rstart + r->w, b + pos, n);
				r->w += n;
				pos += n;
				r->prev_cr = false;
			}
			if (pos >= len)
				continue;
			c = *p;
			if (c == '"') {
				pos++;
				r->state = ST_QUOTE;
				continue;
			}
			if (c == '\r' || (c == '\n' && !r->prev_cr))
				r->line++;
			else if (c == 0)
				csv_error(r, CSV_E_NUL);
			else if (c >= 0x80)
				r->fhigh = true;
			r->prev_cr = c == '\r';
			if (!r->discard)
				b[r->rstart + r->w] = c;
			r->w++;
			pos++;
			continue;
		case ST_QUOTE:
			if (c == '"') {
				if (!r->discard)
					b[r->rstart + r->w] = c;
				r->w++;
				pos++;
				r->prev_cr = false;
				r->state = ST_QUOTED;
				continue;
			}
			r->state = ST_AFTER;
			/* fall through */
		case ST_AFTER:
			if (c == ',' || c == '\n' || c == '\r') {
				csv_end_field(r, r->w - r->fstart, r->rstart + r->w);
				if (c == ',') {
					pos++;
					r->state = ST_FIELD;
					continue;
				}
				csv_end_line(r, c, pos++);
				r->pos = pos;
				return 1;
			}
			csv_error(r, CSV_E_AFTER_QUOTE);
			r->state = ST_UNQUOTED;  /* carry on as if unquoted */
			r->fabs = r->base + pos;
			continue;
		}
	}
}

/* ---- records and errors ----------------------------------------------- */

static void csv_message(struct csv_reader *r, int code)
{
	char at[48] = "";
	int field = r->err_field + 1;
	if (r->err_line != r->rline)
		snprintf(at, sizeof at, " (on line %ld)", r->err_line);
	switch (code) {
	case CSV_E_BAD_QUOTE:
		snprintf(r->msg, sizeof r->msg, "field %d has a \" inside a value that does not start "
			 "with one%s; a value containing quotes must be in quotes, with each \" doubled",
			 field, at);
		break;
	case CSV_E_AFTER_QUOTE:
		snprintf(r->msg, sizeof r->msg, "field %d has characters after its closing quote%s",
			 field, at);
		break;
	case CSV_E_NUL:
		snprintf(r->msg, sizeof r->msg, "field %d contains a NUL byte%s: "
			 "is this really a CSV text file?", field, at);
		break;
	case CSV_E_FIELD_TOO_LONG:
		snprintf(r->msg, sizeof r->msg, "field %d is longer than %zu bytes%s", field,
			 r->o.field_max, r->err_quoted ? " (is a closing quote missing?)" : "");
		break;
	case CSV_E_TOO_MANY_FIELDS:
		snprintf(r->msg, sizeof r->msg, "the row has more than %zu fields", r->o.fields_max);
		break;
	case CSV_E_RECORD_TOO_LONG:
		snprintf(r->msg, sizeof r->msg, "the row is longer than %zu bytes", r->o.record_max);
		break;
	}
}

/* Fill rec with the record just scanned.  Returns CSV_OK, an error, or -1
 * when the record is all empty fields and is to be skipped. */
static int csv_finish(struct csv_reader *r, struct csv_record *rec)
{
	rec->line = r->rline;
	rec->end_line = r->eline;
	rec->offset = r->roff;
	if (r->discard && !r->err)
		r->err = CSV_E_RECORD_TOO_LONG;  /* cannot happen (see csv_fill) */
	if (r->err) {
		r->any = true;
		csv_message(r, r->err);
		rec->err_field = r->err_field;
		if (r->err == CSV_E_TOO_MANY_FIELDS || r->err == CSV_E_RECORD_TOO_LONG)
			rec->err_field = -1;
		return r->err;
	}
	if (!r->nonempty) {
		r->skipped++;
		return -1;
	}
	r->any = true;
	const char *base = (const char *)r->buf + r->rstart;
	for (size_t i = 0; i < r->nf; i++)
		r->f[i].p = base + r->offs[i];
	rec->bad_utf8 = r->bad_utf8;
	rec->f = r->f;
	rec->n = r->nf;
	return CSV_OK;
}

/* The input ended: close the record in progress, or end the stream. */
static int csv_at_end(struct csv_reader *r, struct csv_record *rec)
{
	switch (r->state) {
	case ST_BETWEEN:
		r->done = true;
		if (r->any)
			return CSV_EOF;
		snprintf(r->msg, sizeof r->msg, "the file is empty");
		return CSV_E_EMPTY;
	case ST_QUOTED:
		r->done = true;
		rec->line = r->rline;
		rec->end_line = r->line;
		rec->offset = r->roff;
		rec->err_field = (int)r->nf;
		snprintf(r->msg, sizeof r->msg, "quoted field starting on line %ld never ends "
			 "(a closing \" is missing)", r->qline);
		return CSV_E_UNTERMINATED;
	case ST_FIELD:
		r->fquoted = false;
		r->fstart = r->pos - r->rstart;
		r->fabs = r->base + r->pos;
		/* fall through */
	case ST_UNQUOTED:
		csv_end_plain(r, r->pos);
		break;
	case ST_QUOTE:
	case ST_AFTER:
		csv_end_field(r, r->w - r->fstart, r->rstart + r->w);
		break;
	}
	csv_end_record(r, r->pos);
	r->eline = r->line;
	r->state = ST_BETWEEN;
	return csv_finish(r, rec);
}

static int csv_io_error(struct csv_reader *r, struct csv_record *rec)
{
	rec->line = rec->end_line = r->state == ST_BETWEEN ? r->line : r->rline;
	r->done = true;
	snprintf(r->msg, sizeof r->msg, "could not read the file: %s", strerror(r->io_errno));
	return CSV_E_IO;
}

/* At the very start: skip a UTF-8 BOM, refuse UTF-16. */
static int csv_start(struct csv_reader *r, struct csv_record *rec)
{
	r->started = true;
	while (r->len < 3) {
		int got = csv_fill(r);
		if (got < 0)
			return csv_io_error(r, rec);
		if (!got)
			break;
	}
	const unsigned char *b = r->buf;
	if (r->len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		r->pos = 3;
	else if (r->len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
		r->done = true;
		snprintf(r->msg, sizeof r->msg, "the file is saved as UTF-16 (\"Unicode text\"); "
			 "save it as \"CSV UTF-8 (comma delimited)\" instead");
		return CSV_E_UTF16;
	}
	return CSV_OK;
}

int csv_next(struct csv_reader *r, struct csv_record *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->bad_utf8 = -1;
	rec->err_field = -1;
	r->msg[0] = 0;
	if (r->done)
		return CSV_EOF;
	if (!r->started) {
		int rc = csv_start(r, rec);
		if (rc)
			return rc;
	}
	for (;;) {
		int rc;
		if (csv_scan(r))
			rc = csv_finish(r, rec);
		else {
			int got = csv_fill(r);
			if (got < 0)
				return csv_io_error(r, rec);
			if (got)
				continue;
			rc = csv_at_end(r, rec);
		}
		if (rc >= 0)
			return rc;
		memset(rec, 0, sizeof *rec);  /* an all-empty record: skip it */
		rec->bad_utf8 = -1;
		rec->err_field = -1;
	}
}

/* ---- the header, messages, accessors ----------------------------------- */

int csv_check_header(struct csv_reader *r, const struct csv_record *hdr)
{
	static const char seps[] = ";\t|";
	size_t count[3] = {0, 0, 0};
	if (hdr->n != 1)
		return CSV_OK;
	for (size_t i = 0; i < hdr->f[0].len; i++) {
		const char *s = strchr(seps, hdr->f[0].p[i]);
		if (s && *s)
			count[s - seps]++;
	}
	size_t best = 0;
	for (size_t i = 1; i < 3; i++)
		if (count[i] > count[best])
			best = i;
	if (!count[best])
		return CSV_OK;
	snprintf(r->msg, sizeof r->msg, "wrong delimiter: the header uses %s — export the file "
		 "as comma-separated (CSV)", best == 0 ? "';'" : best == 1 ? "tabs" : "'|'");
	return CSV_E_DELIMITER;
}

const char *csv_errmsg(const struct csv_reader *r)
{
	return r->msg;
}

const char *csv_status_name(int rc)
{
	switch (rc) {
	case CSV_OK: return "ok";
	case CSV_EOF: return "eof";
	case CSV_E_EMPTY: return "empty";
	case CSV_E_UTF16: return "utf16";
	case CSV_E_IO: return "io";
	case CSV_E_UNTERMINATED: return "unterminated_quote";
	case CSV_E_BAD_QUOTE: return "bad_quote";
	case CSV_E_AFTER_QUOTE: return "text_after_quote";
	case CSV_E_NUL: return "nul_byte";
	case CSV_E_FIELD_TOO_LONG: return "field_too_long";
	case CSV_E_TOO_MANY_FIELDS: return "too_many_fields";
	case CSV_E_RECORD_TOO_LONG: return "record_too_long";
	case CSV_E_DELIMITER: return "wrong_delimiter";
	}
	return "unknown";
}

int csv_errinfo(const struct csv_reader *r, int rc, const struct csv_record *rec,
		struct errinfo *e)
{
	int code = rc == CSV_E_IO ? HE_INTERNAL : HE_INVALID;
	errinfo_set(e, code, "", "%s", r->msg[0] ? r->msg : csv_status_name(rc));
	if (e)
		e->line = (int)rec->line;
	return code;
}

uint64_t csv_offset(const struct csv_reader *r)
{
	return r->base + r->pos;
}

long csv_skipped(const struct csv_reader *r)
{
	return r->skipped;
}

size_t csv_memory(const struct csv_reader *r)
{
	return r->cap + r->fcap * (sizeof *r->f + sizeof *r->offs);
}

bool csv_utf8_valid(const void *s, size_t n)
{
	const unsigned char *p = s, *e = p + n;
	while (p < e) {
		unsigned c = *p;
		size_t k;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			k = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			k = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			k = 3;
		else
			return false;
		if ((size_t)(e - p) <= k)
			return false;
		for (size_t i = 1; i <= k; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
		    (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
			return false;
		p += k + 1;
	}
	return true;
}
