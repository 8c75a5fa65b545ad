/* upload.c — gathering request bodies (see upload.h).
 *
 * A multipart body is refused for one of two reasons, told apart: over
 * its limit (413 too_large), or not multipart/form-data as RFC 7578 has it
 * (400 bad_request, saying what is wrong and after which part) — a
 * Content-Type without a boundary, a malformed boundary line or part
 * header, a body that ends before its closing boundary (an upload cut
 * short: the file is not imported half), or a body without any part.
 * (libmicrohttpd 0.9.75 also refuses text after the closing boundary, an
 * epilogue RFC 2046 allows; browsers never send one.) */
#include "web/upload.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/logsafe.h"
#include "web/http.h"
#include "web/route.h"

#define FIELDS_MAX (64u * 1024)   /* the non-file fields of a multipart form */

struct upload {
	struct buf body;              /* in-memory bodies */
	size_t max;
	bool to_file, too_large, keep;
	int fd;
	char path[64];
	size_t written;
	char *filename;
	struct MHD_PostProcessor *pp; /* multipart forms, until the body is complete */
	bool multipart;               /* the body is multipart/form-data */
	bool saw_part;                /* it had at least one part */
	const char *bad;              /* why it cannot be read (400), or NULL */
	char part[48];                /* the last part's name, if plain text */
	struct buf fields;            /* key\0value key\0value …, value lengths in vlen */
	int nfields;
	size_t *vlen;                 /* each field's value length in bytes (values
					 may hold a NUL, which the form check refuses) */
};

static bool open_temp(struct upload *up)
{
	const char *dir = getenv("TMPDIR");
	snprintf(up->path, sizeof up->path, "%s/hearth-upload-XXXXXX",
		 dir && *dir && strlen(dir) < 40 ? dir : "/tmp");
	up->fd = mkstemp(up->path);
	return up->fd >= 0;
}

static void write_file(struct upload *up, const char *data, size_t n)
{
	if (up->too_large || (up->fd < 0 && !open_temp(up)))
		return;
	if (up->written + n > up->max) {
		up->too_large = true;
		return;
	}
	while (n) {
		ssize_t w = write(up->fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			up->too_large = true;  /* disk full: refuse rather than truncate */
			return;
		}
		data += w;
		n -= (size_t)w;
		up->written += (size_t)w;
	}
}

/* Remember the part being read, to say where a malformed body went wrong
 * (only a name that is plain text and short: it goes into the message). */
static void note_part(struct upload *up, const char *key)
{
	up->saw_part = true;
	if (!key || strcmp(up->part, key) == 0)
		return;
	size_t n = strlen(key);
	if (n < sizeof up->part && logsafe_clean(key, n))
		memcpy(up->part, key, n + 1);
	else
		up->part[0] = '\0';
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	struct upload *up = cls;
	(void)kind; (void)content_type; (void)transfer_encoding; (void)off;
	note_part(up, key);
	if (filename) {
		if (!up->filename)
			up->filename = xstrdup(filename);
		write_file(up, data, size);
		return MHD_YES;
	}
	/* A part without a name (MHD passes key NULL) is no field: skip it
	 * (found by fuzz/fuzz_form.c; it crashed the server). */
	if (!key)
		return MHD_YES;
	/* Small fields: MHD may deliver a value in pieces (off > 0). */
	if (off == 0 || !up->nfields) {
		buf_puts(&up->fields, key);
		buf_putc(&up->fields, '\0');
		up->vlen = xrealloc(up->vlen, (size_t)(up->nfields + 1) * sizeof *up->vlen);
		up->vlen[up->nfields++] = 0;
	}
	buf_append(&up->fields, data, size);
	up->vlen[up->nfields - 1] += size;
	if (buf_err(&up->fields))
		up->too_large = true;
	return MHD_YES;
}

struct upload *upload_new(struct MHD_Connection *c, const struct route *rt)
{
	struct upload *up = xcalloc(1, sizeof *up);
	up->fd = -1;
	up->max = rt && rt->body_max ? rt->body_max : REQ_BODY_MAX;
	up->to_file = rt && rt->upload;
	buf_init(&up->body, REQ_BODY_MAX);
	buf_init(&up->fields, FIELDS_MAX);
	if (up->to_file) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
			up->multipart = true;
			up->pp = MHD_create_post_processor(c, 64 * 1024, on_part, up);
			if (!up->pp)
				up->bad = "its Content-Type (multipart/form-data) names no boundary";
		}
	}
	return up;
}

void upload_feed(struct upload *up, const char *data, size_t n)
{
	if (up->too_large || up->bad)
		return;
	if (up->multipart) {
		if (MHD_post_process(up->pp, data, n) != MHD_YES && !up->too_large)
			up->bad = "the body does not follow the multipart/form-data format"
				  " (RFC 7578): a boundary line or a part's headers are"
				  " malformed";
	} else if (up->to_file) {
		write_file(up, data, n);
	} else {
		buf_append(&up->body, data, n);
		up->too_large = buf_err(&up->body);
	}
}

bool upload_too_large(const struct upload *up)
{
	return up->too_large;
}

/* A multipart body is complete: end the parse, which says whether the body
 * reached its closing boundary. */
static void finish_multipart(struct upload *up)
{
	if (!up->pp)
		return;
	bool ended = MHD_destroy_post_processor(up->pp) == MHD_YES;
	up->pp = NULL;
	if (up->too_large || up->bad)
		return;
	if (!ended)
		up->bad = "the body ends before its closing boundary (was the upload cut short?)";
	else if (!up->saw_part)
		up->bad = "the body holds no part: the boundary its Content-Type names never"
			  " appears";
}

int upload_error(struct upload *up, struct errinfo *e)
{
	finish_multipart(up);
	if (up->too_large)
		return errinfo_set(e, HE_TOO_LARGE, "",
				   "The request body is larger than this address accepts");
	if (!up->bad)
		return HE_OK;
	if (*up->part)
		return errinfo_set(e, HE_BAD_REQUEST, up->part,
				   "The form data cannot be read after the part “%s”: %s",
				   up->part, up->bad);
	return errinfo_set(e, HE_BAD_REQUEST, "", "The form data cannot be read: %s", up->bad);
}

/* The multipart fields as the request's form (req_form reads them). */
static void fields_to_req(struct upload *up, struct req *r)
{
	r->form_parsed = true;
	if (!up->nfields)
		return;
	if (buf_err(&up->fields))
		return;  /* too large: the request is refused before the form is read */
	r->form = arena_alloc(&r->arena, (size_t)up->nfields * sizeof *r->form);
	const char *p = up->fields.data, *end = p + up->fields.len;
	for (int i = 0; i < up->nfields && p < end; i++) {
		struct form_field *f = &r->form[r->nform++];
		f->key = arena_strdup(&r->arena, p);
		f->klen = strlen(f->key);
		p += f->klen + 1;
		/* Keep the true length: req_check_form refuses a value whose
		 * strlen differs (an embedded NUL), rather than truncating it. */
		f->vlen = up->vlen[i];
		char *v = arena_alloc(&r->arena, f->vlen + 1);
		memcpy(v, p, f->vlen);
		v[f->vlen] = '\0';
		f->value = v;
		p += f->vlen;
	}
}

void upload_to_req(struct upload *up, struct req *r)
{
	r->body = buf_str(&up->body);
	r->body_len = up->body.len;
	if (!up->to_file)
		return;
	if (up->fd < 0)
		open_temp(up);  /* an empty upload is still a file (the import says "empty") */
	r->upload_path = up->fd >= 0 ? up->path : NULL;
	r->upload_name = up->filename;
	if (up->multipart) {
		finish_multipart(up);
		fields_to_req(up, r);
	}
}

void upload_keep_file(struct upload *up)
{
	up->keep = true;
}

void upload_free(struct upload *up)
{
	if (!up)
		return;
	if (up->pp)
		MHD_destroy_post_processor(up->pp);
	if (up->fd >= 0) {
		close(up->fd);
		if (!up->keep)
			unlink(up->path);
	}
	free(up->filename);
	buf_free(&up->body);
	buf_free(&up->fields);
	free(up->vlen);
	free(up);
}
