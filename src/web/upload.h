/* upload.h — request bodies: small ones in memory, files streamed to disk.
 *
 * Most routes take at most REQ_BODY_MAX bytes, held in memory.  A route
 * marked upload in the route table (an import) may take up to its own
 * body_max: a multipart/form-data body is parsed as it arrives — the file
 * part streamed to a temporary file, the other fields kept for req_form —
 * and any other body is streamed whole to the temporary file.  Nothing of
 * an upload is ever held in memory at once. */
#ifndef HEARTH_UPLOAD_H
#define HEARTH_UPLOAD_H
#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;
struct errinfo;
struct req;
struct route;
struct upload;

/* State for one request's body, as its route (NULL: none) allows. */
struct upload *upload_new(struct MHD_Connection *c, const struct route *rt);
/* Take the next piece of the body. */
void upload_feed(struct upload *up, const char *data, size_t n);
/* The body was over its limit (the request gets 413). */
bool upload_too_large(const struct upload *up);
/* Whether the complete body can be handed on: HE_OK; HE_TOO_LARGE (413)
 * when over its limit; HE_BAD_REQUEST (400) when a multipart body is
 * malformed — e says what is wrong and, as the field, the part after which
 * it went wrong.  Call once the body is complete. */
int upload_error(struct upload *up, struct errinfo *e);
/* Give r the body: r->body/body_len, or for an upload r->upload_path (and
 * r->upload_name, the file's name as sent) and the form fields. */
void upload_to_req(struct upload *up, struct req *r);
/* The handler took the file (req_take_upload): do not remove it. */
void upload_keep_file(struct upload *up);
/* Free; the temporary file is removed unless kept. */
void upload_free(struct upload *up);

#endif
