/* ctf.h — reading the DfE's Common Transfer File (CTF), one pupil at a time.
 *
 * A CTF is the XML a school's MIS exports when pupils move school:
 *   <CTfile><Header>…<SourceSchool>…</SourceSchool></Header>
 *   <CTFpupilData><Pupil>…</Pupil>…</CTFpupilData></CTfile>
 * The reader streams it with libxml2's xmlTextReader, so memory stays flat
 * however many pupils the file holds, and turns each <Pupil> into a struct
 * pupil_rec (raw text per field, checked later by pupil_validate()).
 * Elements it does not know are skipped: the DfE adds some every year.
 *
 * The file is untrusted: no network, no DTD, no entity expansion; a file
 * that declares a DOCTYPE is refused outright (a CTF never has one), which
 * rules out XXE and entity bombs. */
#ifndef HEARTH_CTF_H
#define HEARTH_CTF_H
#include <stddef.h>

#include "base/err.h"
#include "core/pupil.h"

/* ctf_next's return value at the end of the pupils (not an error). */
#define CTF_END (-1)

struct ctf_reader;

/* What the <Header> says.  Fields are "" when absent; they stay valid
 * until ctf_close. */
struct ctf_header {
	const char *version;      /* <CTFversion>, e.g. "24.0" */
	const char *datetime;     /* <DateTime> as written */
	const char *date;         /* its date part, YYYY-MM-DD ("" if none) */
	const char *lea;          /* <SourceSchool><LEA> */
	const char *estab;        /* <SourceSchool><Estab> */
	const char *urn;          /* <SourceSchool><URN> (CTF 18 on) */
	const char *school_name;  /* <SourceSchool><SchoolName> */
};

/* Start reading a CTF from fd (not closed by the reader; read until
 * end of file) or from memory (data must outlive the reader).  Reads as far as the end of the <Header>.  On success *out is
 * a new reader (free with ctf_close) and HE_OK is returned; otherwise *out
 * is NULL and e says why, with the line: HE_INVALID for an empty file,
 * XML that is not well-formed, a root element other than <CTfile>, a
 * DOCTYPE, or no <Header>. */
int ctf_open_fd(int fd, struct ctf_reader **out, struct errinfo *e);
int ctf_open_mem(const char *data, size_t len, struct ctf_reader **out, struct errinfo *e);

/* The header read by ctf_open_*. */
const struct ctf_header *ctf_header(const struct ctf_reader *r);

/* Read the next <Pupil> into rec.  Returns HE_OK with rec filled (its
 * strings belong to the reader and stay valid until the next ctf_next or
 * ctf_close), CTF_END after the last pupil of a well-formed file, or
 * HE_INVALID with e naming the line when the XML breaks (the error is
 * sticky: later calls return it again).  See ctf.c for which elements
 * fill which field. */
int ctf_next(struct ctf_reader *r, struct pupil_rec *rec, struct errinfo *e);

/* Bytes of input read so far (for a progress bar; the parser runs a few
 * kilobytes behind). */
long long ctf_bytes_read(const struct ctf_reader *r);

/* Free the reader (NULL is fine). */
void ctf_close(struct ctf_reader *r);

#endif
