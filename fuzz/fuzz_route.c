/* fuzz_route.c — libFuzzer target for the URL router (src/web/route.c):
 * method + request target -> route + {name} parameters.
 *
 * The input is a request line without the version: "METHOD TARGET".  The
 * target is treated as the server receives it from libmicrohttpd: cut at
 * '?' (the query is MHD's) and %-decoded by MHD_http_unescape, which is
 * what MHD's default unescaper does before our handler sees the URL.  Then
 * the dispatcher's own lookup (find, the static function route_dispatch
 * uses) runs on it.  Checked on every call:
 *   - the route found is the first in table order that an independent,
 *     segment-by-segment reference matcher accepts for that method (HEAD
 *     served as GET), and when none is, the Allow list names exactly the
 *     methods of the routes the reference accepts for the path;
 *   - a matched route's parameters are as many as its {name}s, non-empty,
 *     hold no '/', equal the reference's, and substituted back into the
 *     pattern give back the path (a trailing * gives back a prefix);
 *   - an /api/ route only matches an /api/ path and a page route never
 *     does (so errors are answered in the right form);
 *   - route_lookup (used by server.c once per request, before the body
 *     arrives) agrees.
 * The route table itself is checked once: every {name} is a whole path
 * segment, at most REQ_MAX_PARAMS of them, '*' only as the last segment.
 *
 * route.c is included rather than linked, to reach find(); the build
 * links every other src/web object for the handlers the table names. */
#include "web/route.c"

#include <stdint.h>
#include <stdlib.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define SEGS 64

/* Split s (starting with '/') at '/' into at most SEGS segments; -1 if more. */
static int split(const char *s, const char *seg[SEGS], size_t len[SEGS])
{
	int n = 0;
	const char *p = s;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (n == SEGS)
			return -1;
		seg[n] = p;
		len[n++] = l;
		if (!e)
			return n;
		p = e + 1;
	}
}

/* The reference: a pattern is '/'-separated segments, each literal, a
 * whole "{name}" (any non-empty segment) or, last, "*" (any rest, empty
 * or not, of a path that has the pattern's prefix). */
static bool ref_match(const char *pattern, const char *path, const char *par[], size_t plen[],
		      int *np)
{
	const char *ps[SEGS], *ss[SEGS];
	size_t pl[SEGS], sl[SEGS];
	int n = split(pattern, ps, pl), m = split(path, ss, sl);
	*np = 0;
	if (path[0] != '/' || n < 0)
		return false;
	if (pl[n - 1] == 1 && ps[n - 1][0] == '*') {
		size_t pre = (size_t)(ps[n - 1] - pattern);
		return strncmp(pattern, path, pre) == 0;
	}
	if (m != n)
		return false;
	for (int i = 0; i < n; i++) {
		if (pl[i] && ps[i][0] == '{') {
			if (sl[i] == 0)
				return false;
			par[*np] = ss[i];
			plen[(*np)++] = sl[i];
		} else if (pl[i] != sl[i] || memcmp(ps[i], ss[i], pl[i]) != 0) {
			return false;
		}
	}
	return true;
}

static void check_table(void)
{
	for (const struct route *rt = routes; rt->method; rt++) {
		const char *p = rt->pattern;
		int n = 0;
		CHECK(p[0] == '/');
		for (const char *q = p; *q; q++) {
			if (*q == '{') {
				const char *e = strchr(q, '}');
				CHECK(q[-1] == '/' && e && (e[1] == '/' || e[1] == '\0'));
				CHECK(!memchr(q + 1, '/', (size_t)(e - q)));
				n++;
			}
			if (*q == '*')
				CHECK(q[-1] == '/' && q[1] == '\0');
		}
		CHECK(n <= REQ_MAX_PARAMS);
	}
}

/* Put params back into the pattern: must give the path (or its prefix). */
static void check_resubstitute(const struct route *rt, struct req *r)
{
	struct buf b;
	int i = 0;
	buf_init(&b, 0);
	for (const char *p = rt->pattern; *p; p++) {
		if (*p == '{') {
			CHECK(i < REQ_MAX_PARAMS && r->params[i]);
			buf_puts(&b, r->params[i++]);
			p = strchr(p, '}');
		} else if (*p == '*') {
			break;
		} else {
			buf_putc(&b, *p);
		}
	}
	CHECK(i == REQ_MAX_PARAMS || !r->params[i]);
	if (rt->pattern[strlen(rt->pattern) - 1] == '*')
		CHECK(strncmp(buf_str(&b), r->path, b.len) == 0);
	else
		CHECK(strcmp(buf_str(&b), r->path) == 0);
	buf_free(&b);
}

static void check(const char *method, const char *path)
{
	const char *gm = strcmp(method, "HEAD") == 0 ? "GET" : method;
	const struct route *want = NULL;
	const char *wpar[REQ_MAX_PARAMS + SEGS];
	size_t wlen[REQ_MAX_PARAMS + SEGS];
	int wn = 0;
	struct buf allow_ref;
	buf_init(&allow_ref, 0);
	for (const struct route *rt = routes; rt->method && !want; rt++) {
		const char *par[SEGS];
		size_t plen[SEGS];
		int n;
		if (!ref_match(rt->pattern, path, par, plen, &n))
			continue;
		if (strcmp(rt->method, gm) == 0) {
			want = rt;
			wn = n;
			memcpy(wpar, par, sizeof(par[0]) * (size_t)n);
			memcpy(wlen, plen, sizeof(plen[0]) * (size_t)n);
		} else {
			buf_printf(&allow_ref, "%s%s", allow_ref.len ? ", " : "", rt->method);
		}
	}

	struct req r;
	struct buf allow;
	memset(&r, 0, sizeof r);
	arena_init(&r.arena);
	buf_init(&allow, 0);
	r.method = method;
	r.path = path;
	const struct route *got = find(&r, &allow);
	CHECK(got == want);
	if (!got) {
		CHECK(strcmp(buf_str(&allow), buf_str(&allow_ref)) == 0);
	} else {
		CHECK(wn <= REQ_MAX_PARAMS);
		for (int i = 0; i < wn; i++) {
			CHECK(r.params[i] && strlen(r.params[i]) == wlen[i]);
			CHECK(memcmp(r.params[i], wpar[i], wlen[i]) == 0);
			CHECK(!strchr(r.params[i], '/'));
		}
		check_resubstitute(got, &r);
		if (got->kind == ROUTE_API)
			CHECK(is_api_path(path));
		if (got->kind == ROUTE_PAGE)
			CHECK(!is_api_path(path));
	}
	CHECK(route_lookup(method, path) == got);
	buf_free(&allow);
	buf_free(&allow_ref);
	arena_free(&r.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool table_checked;
	if (!table_checked) {
		check_table();
		table_checked = true;
	}
	const uint8_t *sp = memchr(data, ' ', size);
	if (!sp)
		return 0;
	char *method = strndup((const char *)data, (size_t)(sp - data));
	char *target = strndup((const char *)sp + 1, size - (size_t)(sp - data) - 1);
	if (method[0]) {
		char *q = strchr(target, '?');
		if (q)
			*q = '\0';
		MHD_http_unescape(target);
		check(method, target);
	}
	free(method);
	free(target);
	return 0;
}
