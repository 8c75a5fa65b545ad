/* dataprot_web.h — recording an export in the export register from any
 * handler (core/dataprot.h has the register itself).
 *
 * Every handler that sends data out of Hearth as a file or as bulk JSON
 * (CSV, XLSX, JSON exports, the Schools Forum workbook, subject access
 * documents) calls dataprot_export once, before it writes the body: if the
 * row cannot be written, the export is refused. */
#ifndef HEARTH_DATAPROT_WEB_H
#define HEARTH_DATAPROT_WEB_H
#include <stddef.h>
#include <stdint.h>

struct req;
struct rtable;

/* Record that r exports `what` ("pupils", "reports/outcomes", …) in format
 * (csv, xlsx, json, html), filtered as described by filters (may be NULL),
 * rows rows (-1 when not meaningful), as r's user through r's route.
 * Returns HE_OK or an error code with r->err set. */
int dataprot_export(struct req *r, const char *what, const char *format, const char *filters,
		    int64_t rows);

/* The same for an impact report's export: what is "reports/<id>", the
 * format the request asked for (report_format: csv, xlsx, json; an HTML
 * view records nothing), rows the rows of the n tables exported. */
int dataprot_export_report(struct req *r, const char *id, const char *filters,
			   struct rtable *const *t, size_t n);
/* The rows of n tables (-1 when t is NULL). */
int64_t dataprot_rows(struct rtable *const *t, size_t n);

#endif
