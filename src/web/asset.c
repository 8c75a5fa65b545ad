/* asset.c — static files embedded at build (GOV.UK Frontend and ours).
 *
 * /assets/PATH serves web/PATH.  GOV.UK Frontend's stylesheet asks for its
 * fonts and images at /assets/fonts/ and /assets/images/, so those fall
 * back to the copies under web/govuk/. */
#include <string.h>

#include "base/embed.h"
#include "web/http.h"
#include "web/route.h"

static const struct { const char *ext, *type; } types[] = {
	{".css", "text/css; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"}, {".woff2", "font/woff2"},
	{".woff", "font/woff"}, {".png", "image/png"}, {".svg", "image/svg+xml"},
	{".ico", "image/x-icon"}, {".json", "application/json"},
};

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

int asset_get(struct req *r)
{
	const char *name = r->path + strlen("/assets/");
	if (strstr(name, ".."))
		return HE_NOT_FOUND;
	const struct embedded_file *f = embedded_find(web_assets, name);
	if (!f)
		f = embedded_find(web_assets, arena_printf(&r->arena, "govuk/%s", name));
	if (!f)
		return HE_NOT_FOUND;
	r->status = 200;
	r->content_type = content_type(name);
	req_set_header(r, "Cache-Control", "public, max-age=3600");
	buf_append(&r->out, f->data, f->len);
	return HE_OK;
}
