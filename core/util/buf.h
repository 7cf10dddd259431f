/* A growable byte buffer. Owned by whoever declared it; nb__buf_free() releases the bytes. */
#ifndef NB_UTIL_BUF_H
#define NB_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct nb__buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} nb__buf_t;

#define NB__BUF_INIT {NULL, 0, 0}

int nb__buf_reserve(nb__buf_t *b, size_t extra);
int nb__buf_append(nb__buf_t *b, const void *data, size_t len);
int nb__buf_puts(nb__buf_t *b, const char *s);
int nb__buf_putc(nb__buf_t *b, char c);
int nb__buf_printf(nb__buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int nb__buf_vprintf(nb__buf_t *b, const char *fmt, va_list ap);
/* Hands the bytes to the caller (free() them); the buffer is empty afterwards. */
char *nb__buf_steal(nb__buf_t *b, size_t *len);
void nb__buf_reset(nb__buf_t *b); /* len = 0, keeps the memory */
void nb__buf_free(nb__buf_t *b);

/* A malloc'd, printf-formatted string (NULL when out of memory): error messages. */
char *nb__strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
