/* logsafe.h — outside bytes made safe for a one-line log or the audit log.
 *
 * A request path, query or form value may hold any bytes: %0A makes a
 * newline, %FF a byte that is not UTF-8, %1B a terminal escape.  Written
 * raw into the access log they forge lines; stored raw in the audit log
 * they reach the auditor's page and CSV exports (and PostgreSQL refuses a
 * text value that is not UTF-8).  The escaped form is valid UTF-8 on one
 * line, readable, and unambiguous (one form per input):
 *
 *   \\                 a backslash
 *   \n \r \t           newline, carriage return, tab
 *   \xNN               any other control byte (00-1F, 7F), or a byte that
 *                      is not part of valid UTF-8 (overlong, surrogate,
 *                      above U+10FFFF, cut short), as two upper-case hex
 *   \uNNNN             a valid character that is a control or changes how
 *                      a line is read: C1 controls (U+0080-009F), the line
 *                      and paragraph separators (U+2028-2029) and the
 *                      bidirectional overrides (U+202A-202E, U+2066-2069)
 *
 * Everything else (printable ASCII, valid UTF-8 text) is copied as it is. */
#ifndef HEARTH_LOGSAFE_H
#define HEARTH_LOGSAFE_H
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Append the escaped form of len bytes at s to b (s may hold NULs). */
void logsafe_append(struct buf *b, const char *s, size_t len);

/* True if the len bytes at s need no escaping (logsafe_append would copy
 * them unchanged). */
bool logsafe_clean(const char *s, size_t len);

/* The escaped form of the NUL-terminated s, malloc'd (the caller frees
 * it); NULL for NULL. */
char *logsafe_dup(const char *s);

#endif
