/* fuzz_form.c — libFuzzer target for the form decoders: the
 * application/x-www-form-urlencoded body (form_parse in src/web/req.c)
 * and the multipart/form-data body of an upload route (src/web/upload.c,
 * on libmicrohttpd's post processor).
 *
 * Every input becomes a real HTTP request on a real libmicrohttpd
 * connection (a socketpair added to a daemon without a listening socket,
 * run in this thread), handled as server.c handles it: upload_new (with
 * the request's route) when the headers are in, upload_feed for each piece of the body, then
 * upload_to_req into a struct req whose form is read through req_form and
 * req_check_form.  So the decoders see exactly what they see in the
 * server, Content-Type and all.  The first byte picks what is sent:
 *   0  the rest as an urlencoded body to POST /login;
 *   1  the rest as a multipart body (boundary "hearthfuzz") to POST /imports;
 *   2  the rest read as fields (key length, key, value length, value, …)
 *      sent urlencoded, encoded by fmt_url (src/base/fmt.c), with '+'
 *      for spaces when the second byte is odd;
 *   3  those fields sent as multipart (names made from a safe alphabet),
 *      the last one as a file part when the second byte is odd.
 * Checked on every call:
 *   - 0: the decoded fields equal those of an independent decoder here
 *     (split at '&' and the first '=', '+' is a space, %XX a byte when
 *     both X are hex digits, anything else itself), lengths included;
 *   - 2, 3: decoding gives back exactly the fields that were encoded
 *     (count, order, bytes; for a file part its name and content);
 *   - all: each decoded name and value is NUL-terminated at its length;
 *     req_form finds the first field of a name; and when req_check_form
 *     accepts the form, no name or value holds a NUL, invalid UTF-8 or a
 *     control character other than tab, CR and LF, and when it refuses,
 *     one of them does;
 *   - the request completes (no hang) and nothing leaks (LeakSanitizer).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fmt.h"
#include "base/valid.h"
#include "web/http.h"
#include "web/route.h"
#include "web/upload.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_form: check failed at line %d: %s\n", __LINE__, #cond); \
	abort(); } } while (0)
#define MAXF 64
#define BOUNDARY "hearthfuzz"

struct field {
	const char *k, *v;
	size_t kl, vl;
};

/* What one input sends and what it expects back. */
static struct {
	int mode;
	const char *body;
	size_t body_len;
	struct field want[MAXF];
	int nwant;
	bool want_file;          /* mode 3: the last field went as a file */
	bool answered, completed;
} t;

struct conn {
	struct upload *up;
};

/* ---- the independent urlencoded decoder ------------------------------- */

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *ref_decode(const char *s, size_t n, size_t *out_len)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+')
			o[k++] = ' ';
		else if (c == '%' && n - i >= 3 && hex((unsigned char)s[i + 1]) >= 0 &&
			 hex((unsigned char)s[i + 2]) >= 0) {
			o[k++] = (char)(hex((unsigned char)s[i + 1]) << 4 | hex((unsigned char)s[i + 2]));
			i += 2;
		} else
			o[k++] = (char)c;
	}
	o[k] = '\0';
	*out_len = k;
	return o;
}

/* Compare r's form with the reference decoding of the raw body. */
static void check_urlencoded(struct req *r)
{
	const char *s = t.body, *end = t.body + t.body_len;
	int n = 0;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		size_t kl, vl;
		char *k = ref_decode(s, (size_t)((eq ? eq : stop) - s), &kl);
		char *v = eq ? ref_decode(eq + 1, (size_t)(stop - eq - 1), &vl) : ref_decode("", 0, &vl);
		CHECK(n < r->nform);
		const struct form_field *f = &r->form[n++];
		CHECK(f->klen == kl && memcmp(f->key, k, kl) == 0);
		CHECK(f->vlen == vl && memcmp(f->value, v, vl) == 0);
		free(k);
		free(v);
		s = stop + 1;
	}
	CHECK(n == r->nform);
}

/* The form must be exactly the fields sent (mode 2, 3). */
static void check_roundtrip(struct req *r)
{
	int nform = t.nwant - (t.want_file ? 1 : 0);
	CHECK(r->nform == nform);
	for (int i = 0; i < nform; i++) {
		const struct form_field *f = &r->form[i];
		CHECK(f->klen == t.want[i].kl && memcmp(f->key, t.want[i].k, f->klen) == 0);
		CHECK(f->vlen == t.want[i].vl && memcmp(f->value, t.want[i].v, f->vlen) == 0);
	}
	if (!t.want_file)
		return;
	const struct field *w = &t.want[t.nwant - 1];
	CHECK(r->upload_name && strlen(r->upload_name) == w->kl + 4);
	CHECK(memcmp(r->upload_name, w->k, w->kl) == 0 && strcmp(r->upload_name + w->kl, ".csv") == 0);
	CHECK(r->upload_path);
	FILE *fp = fopen(r->upload_path, "rb");
	CHECK(fp);
	char *got = malloc(w->vl + 1);
	size_t n = fread(got, 1, w->vl + 1, fp);
	fclose(fp);
	CHECK(n == w->vl && memcmp(got, w->v, n) == 0);
	free(got);
}

static bool field_ok(const char *s, size_t len)
{
	return strlen(s) == len && text_valid(s, len);
}

/* Invariants of any decoded form, then the mode's own check. */
static void check_form(struct req *r)
{
	bool all_ok = true;
	int rc = req_check_form(r);  /* parses the form (urlencoded: on first use) */
	for (int i = 0; i < r->nform; i++) {
		const struct form_field *f = &r->form[i];
		CHECK(f->key[f->klen] == '\0' && f->value[f->vlen] == '\0');
		all_ok = all_ok && field_ok(f->key, f->klen) && field_ok(f->value, f->vlen);
		const char *first = req_form(r, f->key);
		int j = 0;
		while (strcmp(r->form[j].key, f->key) != 0)
			j++;
		CHECK(first == r->form[j].value);
	}
	CHECK((rc == HE_OK) == all_ok);
	CHECK(rc == HE_OK || (rc == HE_INVALID && r->err.code == HE_INVALID));
	if (t.mode == 0)
		check_urlencoded(r);
	else if (t.mode >= 2)
		check_roundtrip(r);
}

/* ---- the server side: as server.c ------------------------------------- */

static enum MHD_Result answer(struct MHD_Connection *c, struct conn *cs, const char *method,
			      const char *url)
{
	struct req r;
	memset(&r, 0, sizeof r);
	arena_init(&r.arena);
	buf_init(&r.out, 0);
	r.conn = c;
	r.method = method;
	r.path = url;
	upload_to_req(cs->up, &r);
	/* Only a body MHD's post processor cannot parse is refused (as too
	 * large, 413, without reading the form): never a well-formed one. */
	if (upload_too_large(cs->up))
		CHECK(t.mode == 1);
	else
		check_form(&r);
	t.answered = true;
	if (r.upload_taken)
		upload_keep_file(cs->up);
	arena_free(&r.arena);
	buf_free(&r.out);
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, 204, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	(void)cls; (void)version;
	struct conn *cs = *con_cls;
	if (!cs) {
		cs = calloc(1, sizeof *cs);
		cs->up = upload_new(c, route_lookup(method, url));
		*con_cls = cs;
		return MHD_YES;
	}
	if (*size) {
		upload_feed(cs->up, data, *size);
		*size = 0;
		return MHD_YES;
	}
	return answer(c, cs, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)c; (void)toe;
	struct conn *cs = *con_cls;
	if (cs) {
		upload_free(cs->up);
		free(cs);
		*con_cls = NULL;
	}
	t.completed = true;
}

static struct MHD_Daemon *daemon_get(void)
{
	static struct MHD_Daemon *d;
	if (!d) {
		d = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, NULL,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024,
				     MHD_OPTION_END);
		CHECK(d);
	}
	return d;
}

/* Send one request on a fresh connection and run the daemon until done. */
static void send_request(const char *url, const char *ctype)
{
	struct MHD_Daemon *d = daemon_get();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(40000)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(MHD_add_connection(d, sv[0], (struct sockaddr *)&sa, sizeof sa) == MHD_YES);
	struct buf req;
	buf_init(&req, 0);
	buf_printf(&req, "POST %s HTTP/1.1\r\nHost: fuzz\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n", url, ctype, t.body_len);
	buf_append(&req, t.body, t.body_len);
	t.answered = t.completed = false;
	size_t off = 0;
	char sink[4096];
	for (int spins = 0; !t.completed; spins++) {
		CHECK(spins < 100000);
		if (off < req.len) {
			ssize_t w = send(sv[1], req.data + off, req.len - off, MSG_DONTWAIT);
			if (w > 0)
				off += (size_t)w;
		}
		MHD_run(d);
		while (recv(sv[1], sink, sizeof sink, MSG_DONTWAIT) > 0)
			;
	}
	CHECK(t.answered);
	close(sv[1]);
	buf_free(&req);
}

/* ---- building the inputs ---------------------------------------------- */

/* Read fields from data: [klen][key][vlen][value]… (lengths mod 64). */
static void read_fields(const uint8_t *p, const uint8_t *end)
{
	t.nwant = 0;
	while (p < end && t.nwant < MAXF) {
		struct field *f = &t.want[t.nwant++];
		size_t kl = *p++ % 64;
		kl = kl < (size_t)(end - p) ? kl : (size_t)(end - p);
		f->k = (const char *)p;
		f->kl = kl;
		p += kl;
		size_t vl = p < end ? *p++ % 64 : 0;
		vl = vl < (size_t)(end - p) ? vl : (size_t)(end - p);
		f->v = (const char *)p;
		f->vl = vl;
		p += vl;
	}
}

/* fmt_url takes C strings: a NUL goes as %00 between the pieces. */
static void url_bytes(struct buf *b, const char *s, size_t n, bool plus)
{
	struct buf piece, enc;
	buf_init(&piece, 0);
	buf_init(&enc, 0);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '\0') {
			fmt_printf(&enc, "%u", buf_str(&piece));
			if (i < n)
				buf_puts(&enc, "%00");
			buf_reset(&piece);
		} else {
			buf_putc(&piece, s[i]);
		}
	}
	for (size_t i = 0; i < enc.len; i++) {
		if (plus && i + 2 < enc.len && memcmp(enc.data + i, "%20", 3) == 0) {
			buf_putc(b, '+');
			i += 2;
		} else {
			buf_putc(b, enc.data[i]);
		}
	}
	buf_free(&piece);
	buf_free(&enc);
}

static void run_urlencoded_fields(bool plus)
{
	struct buf body;
	buf_init(&body, 0);
	for (int i = 0; i < t.nwant; i++) {
		if (i)
			buf_putc(&body, '&');
		url_bytes(&body, t.want[i].k, t.want[i].kl, plus);
		buf_putc(&body, '=');
		url_bytes(&body, t.want[i].v, t.want[i].vl, plus);
	}
	t.body = body.data ? body.data : "";
	t.body_len = body.len;
	send_request("/login", "application/x-www-form-urlencoded");
	buf_free(&body);
}

/* Names (and a file name) from a safe alphabet: MHD's header parsing of
 * Content-Disposition is not ours; the values are sent as they are. */
static char *safe_name(const char *s, size_t n, bool nonempty)
{
	static const char abc[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	char *o = malloc(n + 2);
	size_t i;
	for (i = 0; i < n; i++)
		o[i] = abc[(unsigned char)s[i] % 64];
	if (!n && nonempty)
		o[i++] = 'x';
	o[i] = '\0';
	return o;
}

static void run_multipart_fields(bool file)
{
	static char names[MAXF][72];
	struct buf body;
	buf_init(&body, 0);
	t.want_file = file && t.nwant > 0;
	for (int i = 0; i < t.nwant; i++) {
		struct field *f = &t.want[i];
		bool is_file = t.want_file && i == t.nwant - 1;
		char *name = safe_name(f->k, f->kl, true);
		snprintf(names[i], sizeof names[i], "%s", name);
		free(name);
		f->k = names[i];
		f->kl = strlen(names[i]);
		/* a value holding the boundary would end the part: not sendable */
		if (memmem(f->v, f->vl, "--" BOUNDARY, strlen("--" BOUNDARY)))
			goto done;
		buf_printf(&body, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"",
			   f->k);
		if (is_file) {
			/* named KEY.csv; the value is the file's content */
			buf_printf(&body, "; filename=\"%s.csv\"\r\nContent-Type: text/csv", f->k);
		}
		buf_puts(&body, "\r\n\r\n");
		buf_append(&body, f->v, f->vl);
		buf_puts(&body, "\r\n");
	}
	buf_puts(&body, "--" BOUNDARY "--\r\n");
	t.body = body.data;
	t.body_len = body.len;
	send_request("/imports", "multipart/form-data; boundary=" BOUNDARY);
done:
	buf_free(&body);
	t.want_file = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	memset(&t, 0, sizeof t);
	t.mode = data[0] % 4;
	const uint8_t *p = data + 1, *end = data + size;
	switch (t.mode) {
	case 0:
	case 1: {
		char *body = malloc(size);
		memcpy(body, p, size - 1);
		t.body = body;
		t.body_len = size - 1;
		if (t.mode == 0)
			send_request("/login", "application/x-www-form-urlencoded");
		else
			send_request("/imports", "multipart/form-data; boundary=" BOUNDARY);
		free(body);
		break;
	}
	case 2:
	case 3: {
		bool flag = p < end && (*p++ & 1);
		read_fields(p, end);
		if (t.mode == 2)
			run_urlencoded_fields(flag);
		else
			run_multipart_fields(flag);
		break;
	}
	}
	return 0;
}
