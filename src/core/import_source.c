/* import_source.c — the import's two readers behind one interface.
 *
 * CSV: the header row is mapped to pupil fields once (names in any order
 * and case, aliases allowed; columns Hearth does not use are listed and
 * ignored; a missing required column refuses the file), then each row's
 * cells are copied, NUL-terminated, into the record.  CTF: each <Pupil> as
 * ctf.c reads it; the header's source school and date fill in what the
 * pupil records leave out. */
#include "core/import_source.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/csv.h"
#include "core/ctf.h"

struct import_source {
	int fd;
	uint64_t size;
	enum import_kind kind;
	struct ctf_reader *ctf;
	struct csv_reader *csv;
	int col_field[CSV_FIELDS_MAX];   /* CSV column → pupil field, or -1 */
	size_t ncols;
};

static int open_file(const char *path, struct import_source *s, struct errinfo *e)
{
	struct stat st;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) != 0)
		return errinfo_set(e, HE_INVALID, "file", "Cannot read %s", path);
	if (!S_ISREG(st.st_mode))
		return errinfo_set(e, HE_INVALID, "file", "%s is not a file", path);
	s->size = (uint64_t)st.st_size;
	if (s->size == 0)
		return errinfo_set(e, HE_INVALID, "file", "The file is empty");
	return HE_OK;
}

/* CTF if the first thing in the file (after a BOM and blanks) is '<'. */
static enum import_kind sniff(int fd)
{
	char head[64];
	ssize_t n = pread(fd, head, sizeof head, 0);
	ssize_t i = 0;
	if (n >= 3 && (unsigned char)head[0] == 0xEF && (unsigned char)head[1] == 0xBB &&
	    (unsigned char)head[2] == 0xBF)
		i = 3;
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	return i < n && head[i] == '<' ? IMPORT_CTF : IMPORT_CSV;
}

void import_source_close(struct import_source *s)
{
	if (!s)
		return;
	ctf_close(s->ctf);
	csv_close(s->csv);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

uint64_t import_source_pos(const struct import_source *s)
{
	if (s->ctf)
		return (uint64_t)ctf_bytes_read(s->ctf);
	return s->csv ? csv_offset(s->csv) : 0;
}

uint64_t import_source_size(const struct import_source *s)
{
	return s->size;
}

const char *import_source_kind(const struct import_source *s)
{
	return s->kind == IMPORT_CTF ? "ctf" : "csv";
}

/* ---- CTF ------------------------------------------------------------------- */

static int ctf_source_next(struct import_source *s, struct pupil_rec *rec, struct errinfo *e)
{
	int rc = ctf_next(s->ctf, rec, e);
	if (rc == CTF_END)
		return 0;
	if (rc != HE_OK)
		return IMPORT_SOURCE_BROKEN;  /* XML that breaks cannot be read past */
	const struct ctf_header *h = ctf_header(s->ctf);
	if (!rec->v[PF_URN] && h->urn && *h->urn)
		rec->v[PF_URN] = h->urn;
	if (!rec->v[PF_EXTRACT_DATE] && h->date && *h->date)
		rec->v[PF_EXTRACT_DATE] = h->date;
	return 1;
}

/* ---- CSV ------------------------------------------------------------------- */

static void note_unknown(const char *name, char unknown[256], int *nunknown)
{
	size_t used = strlen(unknown);
	if (used + strlen(name) + 3 < 256)
		snprintf(unknown + used, 256 - used, "%s%s", used ? ", " : "", name);
	++*nunknown;
}

/* Map the header's columns to fields; refuse duplicates and missing
 * required columns. */
static int map_header(struct import_source *s, const struct csv_record *h, struct errinfo *e,
		      char unknown[256], int *nunknown)
{
	int col_of[PF_COUNT];
	for (int f = 0; f < PF_COUNT; f++)
		col_of[f] = -1;
	s->ncols = h->n;
	for (size_t i = 0; i < h->n; i++) {
		int f = pupil_field_by_header(h->f[i].p);
		s->col_field[i] = f;
		if (f < 0) {
			if (h->f[i].len)
				note_unknown(h->f[i].p, unknown, nunknown);
			continue;
		}
		if (col_of[f] >= 0)
			return errinfo_set(e, HE_INVALID, pupil_fields[f].name,
				"Columns %d and %zu both give the %s: keep one", col_of[f] + 1, i + 1,
				pupil_fields[f].name);
		col_of[f] = (int)i;
	}
	struct buf missing;
	buf_init(&missing, 1024);
	for (int f = 0; f < PF_COUNT; f++)
		if (pupil_fields[f].required && col_of[f] < 0)
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", pupil_fields[f].name);
	int rc = HE_OK;
	if (missing.len)
		rc = errinfo_set(e, HE_INVALID, "header", "The header row has no column for: %s"
				 " (line 1 must name the columns)", buf_str(&missing));
	buf_free(&missing);
	if (e && rc)
		e->line = 1;
	return rc;
}

static int csv_source_open(struct import_source *s, struct errinfo *e, char unknown[256],
			   int *nunknown)
{
	struct csv_record h;
	s->csv = csv_open_fd(s->fd, NULL);
	int rc = csv_next(s->csv, &h);
	if (rc == CSV_EOF)
		return errinfo_set(e, HE_INVALID, "file", "The file is empty");
	if (rc == CSV_OK)
		rc = csv_check_header(s->csv, &h);
	if (rc != CSV_OK) {
		csv_errinfo(s->csv, rc, &h, e);
		snprintf(e->field, sizeof e->field, "file");
		return HE_INVALID;
	}
	return map_header(s, &h, e, unknown, nunknown);
}

static int csv_source_next(struct import_source *s, struct pupil_rec *rec, struct errinfo *e)
{
	struct csv_record row;
	int rc = csv_next(s->csv, &row);
	if (rc == CSV_EOF)
		return 0;
	memset(rec, 0, sizeof *rec);
	rec->line = row.line;
	if (rc != CSV_OK) {
		csv_errinfo(s->csv, rc, &row, e);
		if (row.err_field >= 0 && (size_t)row.err_field < s->ncols &&
		    s->col_field[row.err_field] >= 0)
			snprintf(e->field, sizeof e->field, "%s",
				 pupil_fields[s->col_field[row.err_field]].name);
		return rc == CSV_E_UNTERMINATED || rc == CSV_E_IO ? IMPORT_SOURCE_BROKEN
								  : HE_INVALID;
	}
	if (row.n > s->ncols) {
		errinfo_set(e, HE_INVALID, "", "This row has %zu cells but the header names %zu"
			    " columns (a comma too many, or a value that needs quotes)", row.n, s->ncols);
		e->line = (int)row.line;
		return HE_INVALID;
	}
	for (size_t i = 0; i < row.n; i++)
		if (s->col_field[i] >= 0 && row.f[i].len)
			rec->v[s->col_field[i]] = row.f[i].p;
	return 1;
}

/* ---- the interface ---------------------------------------------------------- */

int import_source_open(const char *path, enum import_kind kind, struct import_source **out,
		       struct errinfo *e, char unknown[256], int *nunknown)
{
	struct import_source *s = xcalloc(1, sizeof *s);
	s->fd = -1;
	unknown[0] = '\0';
	*nunknown = 0;
	*out = NULL;
	int rc = open_file(path, s, e);
	if (rc == HE_OK) {
		s->kind = kind == IMPORT_AUTO ? sniff(s->fd) : kind;
		if (s->kind == IMPORT_CTF)
			rc = ctf_open_fd(s->fd, &s->ctf, e);
		else
			rc = csv_source_open(s, e, unknown, nunknown);
	}
	if (rc != HE_OK) {
		import_source_close(s);
		return HE_INVALID;
	}
	*out = s;
	return HE_OK;
}

int import_source_next(struct import_source *s, struct pupil_rec *rec, struct errinfo *e)
{
	return s->kind == IMPORT_CTF ? ctf_source_next(s, rec, e) : csv_source_next(s, rec, e);
}
