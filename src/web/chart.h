/* chart.h — small charts drawn on the server as inline SVG.
 *
 * For pages that must work without JavaScript, print well and pass an
 * accessibility audit: each chart is an <svg role="img"> labelled by its
 * <title> and <desc>, uses only presentation attributes (fill=, stroke=;
 * no style attributes or <style> elements, which the CSP forbids), draws
 * every bar with a dark outline and its value written beside it (so it
 * reads in black and white), and chart_table prints the same numbers as a
 * GOV.UK table for screen readers and anyone who prefers figures.
 *
 * The data is a grid: nlabels categories (rows: "Housing") × nseries
 * series (columns: "First assessment", "Latest"), values[i * nseries + j];
 * a negative value means "no value" (no bar, "–" in the table).  All text
 * is escaped.  Output is appended to out. */
#ifndef HEARTH_CHART_H
#define HEARTH_CHART_H
#include <stddef.h>

#include "base/buf.h"

struct chart_series {
	const char *name;       /* legend and table column heading */
	const char *fill;       /* "#1d70b8"; NULL: from chart_palette */
};

struct chart {
	const char *id;         /* unique in the page: prefix of the title/desc ids */
	const char *title;      /* short: "Distance travelled" */
	const char *desc;       /* one or two sentences saying what it shows */
	const char *label_head; /* the table's first column heading ("Domain") */
	const char *const *labels;
	size_t nlabels;
	const struct chart_series *series;
	size_t nseries;
	const double *values;
	double max;             /* top of the scale; 0: the largest value */
	int ticks;              /* grid lines across the scale (0: none) */
	const char *unit;       /* after each value: "", "%", " days" */
};

/* GOV.UK colours that stay apart in print; NULL-terminated. */
extern const char *const chart_palette[];

/* Horizontal grouped bars: one group per label, one bar per series, the
 * labels on the left (wrapped onto two lines when long), a legend above. */
void chart_hbars(struct buf *out, const struct chart *c);
/* Vertical grouped columns, labels below: for a few categories over time
 * (reports: referrals per month). */
void chart_columns(struct buf *out, const struct chart *c);
/* The same numbers as a table, with caption (NULL: the chart's title). */
void chart_table(struct buf *out, const struct chart *c, const char *caption);

#endif
