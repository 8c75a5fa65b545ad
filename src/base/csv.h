/* csv.h — a streaming reader for the CSV files schools export from their MIS.
 *
 * RFC 4180 plus what real exports contain: a UTF-8 byte order mark at the
 * start (skipped), CRLF, LF or lone CR line ends (mixed freely), quoted
 * fields holding commas, doubled quotes and line breaks, blank lines, and a
 * last record with no line end.  The delimiter is always a comma.
 *
 * The reader reads in blocks (64 KiB by default) and never holds more than
 * one record plus one block, so a 2 GB file is read in constant memory.
 * Fields point into the reader's buffer: no allocation per field or record,
 * and a quoted field is unescaped in place.
 *
 *	struct csv_reader *r = csv_open_fd(fd, NULL);
 *	struct csv_record rec;
 *	int rc;
 *	while ((rc = csv_next(r, &rec)) != CSV_EOF) {
 *		if (rc != CSV_OK) {
 *			report(rec.line, csv_errmsg(r));  // then carry on
 *			continue;
 *		}
 *		use(rec.f[0].p, rec.f[0].len, rec.line);
 *	}
 *	csv_close(r);
 *
 * Errors name the line: every record carries the 1-based line it starts
 * on and the line it ends on (they differ when a quoted field spans lines).
 * An error in one record (a stray quote, a NUL byte, a field too long …)
 * skips that record only; the next call continues with the next record, so
 * an import can list every bad row.  Errors about the whole file (empty,
 * UTF-16, unreadable, a quoted field that never closes) end the stream: the
 * next call returns CSV_EOF.
 *
 * Invalid UTF-8 is not an error here: the field is flagged
 * (CSV_FIELD_BAD_UTF8) and rec.bad_utf8 names the first such field, so the
 * importer can report "wrong encoding" for that row and field. */
#ifndef HEARTH_CSV_H
#define HEARTH_CSV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct errinfo;
struct csv_reader;

/* What csv_next() (and csv_check_header()) return.  Stable values. */
enum csv_status {
	CSV_OK = 0,               /* a record was returned */
	CSV_EOF = 1,              /* no more records */

	/* The whole file; the stream ends (the next call gives CSV_EOF). */
	CSV_E_EMPTY = 10,         /* 0 bytes, or only a BOM / blank lines */
	CSV_E_UTF16 = 11,         /* starts with a UTF-16 byte order mark */
	CSV_E_IO = 12,            /* read(2)/fread failed */
	CSV_E_UNTERMINATED = 13,  /* a quoted field runs to the end of the file */

	/* One record, which is skipped; reading continues after it. */
	CSV_E_BAD_QUOTE = 20,     /* a " inside an unquoted field */
	CSV_E_AFTER_QUOTE = 21,   /* characters after a closing quote */
	CSV_E_NUL = 22,           /* a NUL byte */
	CSV_E_FIELD_TOO_LONG = 23,
	CSV_E_TOO_MANY_FIELDS = 24,
	CSV_E_RECORD_TOO_LONG = 25,

	/* From csv_check_header(). */
	CSV_E_DELIMITER = 30,     /* the header is separated by ; tab or | */
};

/* Limits and block size; zero members take the defaults below. */
struct csv_opts {
	size_t block;       /* bytes per read (tests use 1..7) */
	size_t field_max;   /* longest field, in bytes after unquoting */
	size_t fields_max;  /* most fields in a record */
	size_t record_max;  /* longest record, in bytes as read */
};
#define CSV_BLOCK       (64u * 1024)
#define CSV_FIELD_MAX   (64u * 1024)
#define CSV_FIELDS_MAX  512u
#define CSV_RECORD_MAX  (1024u * 1024)

#define CSV_FIELD_QUOTED   1u  /* the field was in quotes */
#define CSV_FIELD_BAD_UTF8 2u  /* the field is not valid UTF-8 */

/* One field: p is NUL-terminated (fields never contain NUL: that is an
 * error) and unquoted; len excludes the terminator. */
struct csv_field {
	const char *p;
	size_t len;
	unsigned flags;
};

/* One record.  f[0..n-1] and the bytes they point at are owned by the
 * reader and valid until the next csv_next() or csv_close().  On an error
 * return, line/end_line/offset describe the bad record, n is 0, and
 * err_field is the 0-based field the error is in (-1 when about the whole
 * record or file). */
struct csv_record {
	const struct csv_field *f;
	size_t n;
	long line;          /* 1-based line the record starts on */
	long end_line;      /* line its last byte is on */
	uint64_t offset;    /* byte offset of its first byte in the input */
	int bad_utf8;       /* first field with invalid UTF-8, or -1 */
	int err_field;
};

/* Open a reader on a file descriptor, a stdio stream, memory, or a read
 * callback (which returns bytes read, 0 at the end, -1 on error with errno
 * set).  opts may be NULL.  The reader does not take ownership of the fd,
 * FILE or memory (which must outlive it).  Allocates; never returns NULL. */
struct csv_reader *csv_open_fd(int fd, const struct csv_opts *opts);
struct csv_reader *csv_open_file(FILE *fp, const struct csv_opts *opts);
struct csv_reader *csv_open_mem(const void *data, size_t len, const struct csv_opts *opts);
typedef ssize_t (*csv_read_fn)(void *ctx, void *buf, size_t n);
struct csv_reader *csv_open_cb(csv_read_fn fn, void *ctx, const struct csv_opts *opts);
void csv_close(struct csv_reader *r);

/* The next non-blank record.  Lines that are empty, and records whose
 * every field is empty (",,,," rows Excel leaves behind), are skipped and
 * counted (csv_skipped).  Returns CSV_OK with rec filled, CSV_EOF, or an
 * error (see enum csv_status); csv_errmsg() then says what is wrong. */
int csv_next(struct csv_reader *r, struct csv_record *rec);

/* Check the header record (the first one csv_next returned) for a file that
 * is not comma-separated: one field containing ';', tabs or '|'.  Returns
 * CSV_OK or CSV_E_DELIMITER with csv_errmsg() set to e.g. "wrong
 * delimiter: the header uses ';' — export the file as comma-separated
 * (CSV)". */
int csv_check_header(struct csv_reader *r, const struct csv_record *hdr);

/* The message for the last error, in plain English for the person who
 * exported the file.  It does not repeat the record's line (the caller
 * prints rec.line); it names other lines and the field number where they
 * help.  "" when there was none. */
const char *csv_errmsg(const struct csv_reader *r);

/* Stable lower-case name of a status, e.g. "bad_quote", for logs and the
 * import_errors table. */
const char *csv_status_name(int rc);

/* Fill e for an error rc returned for rec: HE_INVALID (HE_INTERNAL for
 * CSV_E_IO) with the message and rec's line; field "" (the caller knows
 * the column names: rec->err_field).  Returns the hearth_err code. */
int csv_errinfo(const struct csv_reader *r, int rc, const struct csv_record *rec,
		struct errinfo *e);

/* Bytes of input consumed so far (for a progress bar). */
uint64_t csv_offset(const struct csv_reader *r);
/* Blank lines and all-empty records skipped so far. */
long csv_skipped(const struct csv_reader *r);
/* Bytes the reader holds in buffers now (to show memory stays flat). */
size_t csv_memory(const struct csv_reader *r);

/* Whether s[0..n-1] is valid UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF). */
bool csv_utf8_valid(const void *s, size_t n);

#endif
