/* logbuf.h — whole lines to a file descriptor, written in batches.
 *
 * `hearth serve` writes one access-log line per request.  One write(2) a
 * line cost about 8 % of the CPU of GET /api/v1/me (the system call and
 * the file system's write path; bench/README.md).  Lines given to
 * logbuf_line are copied into a buffer shared by every thread and written
 * out by a thread of the log's own: at least every LOGBUF_FLUSH_MS, as
 * soon as the buffer is half full, and at logbuf_stop.  Each line is
 * written whole and in the order given; a line never interleaves with
 * another.  When the buffer is full (the descriptor is slower than the
 * lines come) the caller writes it out itself, so memory stays bounded
 * and nothing is dropped.  Lines still in the buffer are lost only if the
 * process dies without logbuf_stop (a crash or SIGKILL): at most
 * LOGBUF_FLUSH_MS of them.  Before logbuf_start and after logbuf_stop a
 * line is written at once. */
#ifndef HEARTH_LOGBUF_H
#define HEARTH_LOGBUF_H
#include <stddef.h>

#define LOGBUF_FLUSH_MS 200
#define LOGBUF_CAP (64 * 1024)

/* Start batching lines for fd.  HE_OK, or HE_INTERNAL if the thread
 * cannot start (lines are then written at once). */
int logbuf_start(int fd);
/* Write the line (its bytes, newline included) to fd, now or soon. */
void logbuf_line(const char *line, size_t n);
/* Write out what is buffered and stop the thread. */
void logbuf_stop(void);

#endif
