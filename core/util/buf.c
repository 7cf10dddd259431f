#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"

int nb__buf_reserve(nb__buf_t *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return NB_ENOMEM;
    if (b->data == NULL)
        p[0] = '\0'; /* a fresh buffer is an empty string, even before a write (nb__buf_steal) */
    b->data = p;
    b->cap = cap;
    return 0;
}

int nb__buf_append(nb__buf_t *b, const void *data, size_t len) {
    if (nb__buf_reserve(b, len) != 0)
        return NB_ENOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int nb__buf_puts(nb__buf_t *b, const char *s) { return nb__buf_append(b, s, strlen(s)); }

int nb__buf_putc(nb__buf_t *b, char c) { return nb__buf_append(b, &c, 1); }

int nb__buf_vprintf(nb__buf_t *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || nb__buf_reserve(b, (size_t)n) != 0)
        return NB_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int nb__buf_printf(nb__buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = nb__buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *nb__buf_steal(nb__buf_t *b, size_t *len) {
    if (b->data == NULL && nb__buf_reserve(b, 0) != 0)
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void nb__buf_reset(nb__buf_t *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void nb__buf_free(nb__buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *nb__strdup_printf(const char *fmt, ...) {
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}
