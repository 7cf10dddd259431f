/*
 * An arena: many small allocations freed at once, plus cleanup handlers run just
 * before (nginx's pool). Each request has one, created on its first use, so a
 * request that never allocates costs nothing (nb_req_alloc and friends).
 */
#ifndef NB_UTIL_ARENA_H
#define NB_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct nb__arena nb__arena_t;

/* Each takes the address of the arena pointer: a NULL arena is created on first use. */
void *nb__arena_alloc(nb__arena_t **a, size_t size); /* zero-filled, aligned for any type; NULL: no memory */
char *nb__arena_strdup(nb__arena_t **a, const char *s);
char *nb__arena_vprintf(nb__arena_t **a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Registers fn(data) to run at nb__arena_free, the last registered first. 0 or NB_ENOMEM. */
int nb__arena_on_free(nb__arena_t **a, void (*fn)(void *data), void *data);
/* Runs the cleanup handlers, then frees every block. NULL is a no-op. */
void nb__arena_free(nb__arena_t *a);

#endif
