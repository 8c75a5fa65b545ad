/* qr.h — QR codes as inline SVG (libqrencode), for authenticator set-up. */
#ifndef HEARTH_QR_H
#define HEARTH_QR_H

#include "base/buf.h"

/* Append an <svg> QR code of text (error correction M) with an accessible
 * label.  Returns 0, or -1 if the text cannot be encoded. */
int qr_svg(struct buf *out, const char *text, const char *label);

#endif
