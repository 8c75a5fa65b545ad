/* chart.c — small server-drawn SVG charts and their tables (see chart.h).
 *
 * Geometry is in whole units of a fixed viewBox; the SVG scales to the
 * width of its container (width="100%"), so the text stays in proportion
 * on a phone and on paper. */
#include "web/chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"

#define VIEW_W 640
#define FONT "arial, sans-serif"
#define INK "#0b0c0c"
#define GRID "#b1b4b6"

/* hbars geometry */
#define HB_LABEL_W 250          /* the category labels' column */
#define HB_PLOT_X (HB_LABEL_W + 10)
#define HB_PLOT_W (VIEW_W - HB_PLOT_X - 40)   /* room for the value after a full bar */
#define HB_BAR_H 14
#define HB_GROUP_GAP 14
#define HB_TOP 34               /* legend */
#define HB_AXIS_H 24
#define HB_WRAP 38              /* characters on a label line */

/* columns geometry */
#define COL_LEFT 40
#define COL_PLOT_W (VIEW_W - COL_LEFT - 10)
#define COL_PLOT_H 200
#define COL_TOP 34
#define COL_LABEL_H 36

const char *const chart_palette[] = {
	"#1d70b8", "#b1b4b6", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#28a197", NULL,
};

static const char *series_fill(const struct chart *c, size_t j)
{
	size_t np = sizeof chart_palette / sizeof chart_palette[0] - 1;
	return c->series[j].fill ? c->series[j].fill : chart_palette[j % np];
}

static double value(const struct chart *c, size_t i, size_t j)
{
	return c->values[i * c->nseries + j];
}

static double scale_max(const struct chart *c)
{
	double m = c->max;
	for (size_t i = 0; c->max <= 0 && i < c->nlabels * c->nseries; i++)
		if (c->values[i] > m)
			m = c->values[i];
	return m > 0 ? m : 1;
}

/* A value as text: whole numbers without decimals, else one place. */
static void num(double v, const char *unit, char out[32])
{
	if (v < 0)
		snprintf(out, 32, "–");
	else if (fabs(v - round(v)) < 0.05)
		snprintf(out, 32, "%.0f%s", v, unit ? unit : "");
	else
		snprintf(out, 32, "%.1f%s", v, unit ? unit : "");
}

static void svg_open(struct buf *out, const struct chart *c, int height)
{
	fmt_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"app-chart\" role=\"img\""
		" aria-labelledby=\"%h-title %h-desc\" viewBox=\"0 0 %d %d\" width=\"100%%\""
		" preserveAspectRatio=\"xMinYMin meet\" focusable=\"false\" font-family=\"%s\""
		" font-size=\"13\" fill=\"%s\"><title id=\"%h-title\">%h</title><desc id=\"%h-desc\">%h</desc>",
		c->id, c->id, VIEW_W, height, FONT, INK, c->id, c->title, c->id, c->desc);
}

/* The legend across the top: a swatch and the name of each series. */
static void legend(struct buf *out, const struct chart *c, int x)
{
	for (size_t j = 0; j < c->nseries; j++) {
		fmt_printf(out, "<rect x=\"%d\" y=\"8\" width=\"14\" height=\"14\" fill=\"%h\" stroke=\"%s\""
			" stroke-width=\"1\"/><text x=\"%d\" y=\"20\">%h</text>", x, series_fill(c, j), INK,
			x + 20, c->series[j].name);
		x += 20 + 8 * (int)strlen(c->series[j].name) + 24;
	}
}

/* A label in up to two lines of about HB_WRAP characters, broken at a
 * space; longer labels are cut with an ellipsis (the table has them whole). */
static void label_lines(const char *s, char l1[160], char l2[160])
{
	size_t n = strlen(s);
	*l2 = '\0';
	if (n <= HB_WRAP) {
		snprintf(l1, 160, "%s", s);
		return;
	}
	size_t cut = HB_WRAP;
	while (cut > 0 && s[cut] != ' ')
		cut--;
	if (cut == 0)
		cut = HB_WRAP;
	snprintf(l1, 160, "%.*s", (int)cut, s);
	const char *rest = s + cut + (s[cut] == ' ');
	if (strlen(rest) <= HB_WRAP)
		snprintf(l2, 160, "%s", rest);
	else
		snprintf(l2, 160, "%.*s…", HB_WRAP - 1, rest);
}

static int hb_group_h(const struct chart *c)
{
	int h = (int)c->nseries * HB_BAR_H;
	return h < 30 ? 30 : h;
}

static void hb_grid(struct buf *out, const struct chart *c, double max, int y0, int y1)
{
	char t[32];
	for (int k = 0; c->ticks > 0 && k <= c->ticks; k++) {
		double v = max * k / c->ticks;
		int x = HB_PLOT_X + (int)lround(HB_PLOT_W * v / max);
		num(v, "", t);
		fmt_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\"/>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%h</text>", x, y0, x, y1, GRID, x, y1 + 16, t);
	}
}

static void hb_group(struct buf *out, const struct chart *c, size_t i, double max, int y)
{
	char l1[160], l2[160], t[32];
	int gh = hb_group_h(c), by = y + (gh - (int)c->nseries * HB_BAR_H) / 2;
	label_lines(c->labels[i], l1, l2);
	if (*l2)
		fmt_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"><tspan x=\"%d\" dy=\"0\">%h</tspan>"
			"<tspan x=\"%d\" dy=\"15\">%h</tspan></text>", HB_LABEL_W, y + gh / 2 - 3, HB_LABEL_W,
			l1, HB_LABEL_W, l2);
	else
		fmt_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%h</text>", HB_LABEL_W,
			   y + gh / 2 + 5, l1);
	for (size_t j = 0; j < c->nseries; j++, by += HB_BAR_H) {
		double v = value(c, i, j);
		int w = v < 0 ? 0 : (int)lround(HB_PLOT_W * (v > max ? max : v) / max);
		num(v, c->unit, t);
		if (v >= 0)
			fmt_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%h\""
				" stroke=\"%s\" stroke-width=\"1\"/>", HB_PLOT_X, by, w, HB_BAR_H - 2,
				series_fill(c, j), INK);
		fmt_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%h</text>", HB_PLOT_X + w + 4,
			   by + HB_BAR_H - 3, t);
	}
}

void chart_hbars(struct buf *out, const struct chart *c)
{
	double max = scale_max(c);
	int gh = hb_group_h(c) + HB_GROUP_GAP;
	int plot_h = (int)c->nlabels * gh;
	int height = HB_TOP + plot_h + HB_AXIS_H;
	svg_open(out, c, height);
	legend(out, c, HB_PLOT_X);
	hb_grid(out, c, max, HB_TOP, HB_TOP + plot_h);
	for (size_t i = 0; i < c->nlabels; i++)
		hb_group(out, c, i, max, HB_TOP + (int)i * gh + HB_GROUP_GAP / 2);
	fmt_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\"/></svg>",
		   HB_PLOT_X, HB_TOP, HB_PLOT_X, HB_TOP + plot_h, INK);
}

static void col_group(struct buf *out, const struct chart *c, size_t i, double max, int gx, int gw)
{
	char t[32], l1[160], l2[160];
	int bw = (gw - 8) / (int)c->nseries, base = COL_TOP + COL_PLOT_H;
	for (size_t j = 0; j < c->nseries; j++) {
		double v = value(c, i, j);
		int h = v < 0 ? 0 : (int)lround(COL_PLOT_H * (v > max ? max : v) / max);
		int x = gx + 4 + (int)j * bw;
		num(v, c->unit, t);
		if (v >= 0)
			fmt_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%h\""
				" stroke=\"%s\" stroke-width=\"1\"/>", x, base - h, bw - 2, h, series_fill(c, j), INK);
		fmt_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%h</text>",
			   x + bw / 2, base - h - 4, t);
	}
	label_lines(c->labels[i], l1, l2);
	fmt_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%h</text>",
		   gx + gw / 2, base + 16, l1);
}

void chart_columns(struct buf *out, const struct chart *c)
{
	double max = scale_max(c);
	int gw = c->nlabels ? COL_PLOT_W / (int)c->nlabels : COL_PLOT_W;
	int base = COL_TOP + COL_PLOT_H;
	char t[32];
	svg_open(out, c, COL_TOP + COL_PLOT_H + COL_LABEL_H);
	legend(out, c, COL_LEFT);
	for (int k = 0; c->ticks > 0 && k <= c->ticks; k++) {
		double v = max * k / c->ticks;
		int y = base - (int)lround(COL_PLOT_H * v / max);
		num(v, "", t);
		fmt_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\"/>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%h</text>", COL_LEFT, y,
			COL_LEFT + COL_PLOT_W, y, GRID, COL_LEFT - 4, y + 4, t);
	}
	for (size_t i = 0; i < c->nlabels; i++)
		col_group(out, c, i, max, COL_LEFT + (int)i * gw, gw);
	fmt_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\"/></svg>",
		   COL_LEFT, base, COL_LEFT + COL_PLOT_W, base, INK);
}

void chart_table(struct buf *out, const struct chart *c, const char *caption)
{
	char t[32];
	fmt_printf(out, "<table class=\"govuk-table app-chart-table\"><caption class=\"govuk-table__caption"
		" govuk-table__caption--s\">%h</caption><thead class=\"govuk-table__head\"><tr"
		" class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">%h</th>",
		caption ? caption : c->title, c->label_head ? c->label_head : "");
	for (size_t j = 0; j < c->nseries; j++)
		fmt_printf(out, "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">"
			"%h</th>", c->series[j].name);
	fmt_printf(out, "</tr></thead><tbody class=\"govuk-table__body\">");
	for (size_t i = 0; i < c->nlabels; i++) {
		fmt_printf(out, "<tr class=\"govuk-table__row\"><th scope=\"row\" class=\"govuk-table__header\">"
			"%h</th>", c->labels[i]);
		for (size_t j = 0; j < c->nseries; j++) {
			num(value(c, i, j), c->unit, t);
			fmt_printf(out, "<td class=\"govuk-table__cell govuk-table__cell--numeric\">%h</td>", t);
		}
		fmt_printf(out, "</tr>");
	}
	fmt_printf(out, "</tbody></table>");
}
