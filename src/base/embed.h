/* embed.h — files compiled into the binary by tools/embed.c.
 *
 * The build turns the web assets (GOV.UK Frontend and ours) and the SQL
 * migrations into C arrays, so `hearth` is one self-contained file.  Each
 * table ends with an entry whose name is NULL. */
#ifndef HEARTH_EMBED_H
#define HEARTH_EMBED_H
#include <stddef.h>

struct embedded_file {
	const char *name;           /* path relative to the embedded root */
	const unsigned char *data;  /* NUL-terminated (not counted in len) */
	size_t len;
};

extern const struct embedded_file web_assets[];      /* root: web/ */
extern const struct embedded_file sql_migrations[];  /* root: migrations/ */

/* The entry named name, or NULL. */
const struct embedded_file *embedded_find(const struct embedded_file *table,
					  const char *name);

#endif
