/* import_source.h — where an import's records come from: a CSV file (the
 * header row maps columns to pupil fields, in any order) or a Common
 * Transfer File, both read as a stream. */
#ifndef HEARTH_IMPORT_SOURCE_H
#define HEARTH_IMPORT_SOURCE_H
#include <stdint.h>

#include "base/err.h"
#include "core/import.h"
#include "core/pupil.h"

struct import_source;

/* import_source_next: the file breaks here and cannot be read further. */
#define IMPORT_SOURCE_BROKEN (-2)

/* Open path as kind (AUTO: a file whose first non-blank byte is '<' is a
 * CTF).  On failure returns HE_INVALID with e saying why the file as a
 * whole cannot be used (empty, wrong delimiter, required column missing,
 * not a CTF…).  unknown receives the CSV headers Hearth does not use,
 * comma-separated, and *nunknown their count. */
int import_source_open(const char *path, enum import_kind kind, struct import_source **out,
		       struct errinfo *e, char unknown[256], int *nunknown);
/* The next record: 1 with rec filled (valid until the next call), 0 at the
 * end, HE_INVALID when this record could not be read (e names line and
 * problem; call again to go on), or IMPORT_SOURCE_BROKEN when reading
 * cannot go on (e says why and where). */
int import_source_next(struct import_source *s, struct pupil_rec *rec, struct errinfo *e);
/* Bytes consumed so far, and the file's size (for progress). */
uint64_t import_source_pos(const struct import_source *s);
uint64_t import_source_size(const struct import_source *s);
const char *import_source_kind(const struct import_source *s);  /* "csv" / "ctf" */
void import_source_close(struct import_source *s);

#endif
