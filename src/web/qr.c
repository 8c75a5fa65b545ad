/* qr.c — draw a QR code as SVG on the server: no script, prints well.
 *
 * Each dark module becomes part of one path ("M x y h1 v1 h-1 z"), which
 * keeps the markup small; a 4-module quiet zone surrounds the symbol as the
 * standard requires. */
#include "web/qr.h"

#include <qrencode.h>

#include "base/fmt.h"

int qr_svg(struct buf *out, const char *text, const char *label)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return -1;
	int size = q->width + 8;
	fmt_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"hearth-qr\" role=\"img\""
		   " aria-label=\"%h\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">"
		   "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#0b0c0c\" d=\"",
		   label, size, size, size * 5, size * 5, size, size);
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++)
			if (q->data[y * q->width + x] & 1)
				buf_printf(out, "M%d %dh1v1h-1z", x + 4, y + 4);
	buf_puts(out, "\"/></svg>");
	QRcode_free(q);
	return 0;
}
