/*
 * The HTTP/1.1 client side the load generators share (bench/sqs/sqs_load.c,
 * bench/memory/mem_load.c): writing a request out on a non-blocking socket and reading an
 * answer's head. Header-only: each generator is one source file built on its own.
 */
#ifndef NB_BENCH_LOAD_IO_H
#define NB_BENCH_LOAD_IO_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Writes buf[*off, len) to fd, advancing *off: 1 once all of it is written, 0 when the socket
 * is full (EAGAIN: wait for EPOLLOUT), -1 on an error (errno set). */
static inline int load_write(int fd, const char *buf, size_t len, size_t *off) {
    while (*off < len) {
        ssize_t n = write(fd, buf + *off, len - *off);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        *off += (size_t)n;
    }
    return 1;
}

/* The rest of the first line of the head [head, end) that starts with `start` (a header name
 * and colon, or more; case-insensitive), or NULL when no line does. */
static inline const char *load_head_line(const char *head, const char *end, const char *start) {
    size_t n = strlen(start);
    for (const char *p = head; p + n <= end; p++)
        if ((p == head || p[-1] == '\n') && strncasecmp(p, start, n) == 0)
            return p + n;
    return NULL;
}

#endif
