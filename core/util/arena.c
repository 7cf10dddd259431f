#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"

#define ALIGN alignof(max_align_t)
/* A request's temporaries (keys, URLs, small records) fit in the first block. */
#define BLOCK_SIZE 4096
/* Larger requests get a block of their own, so a big one wastes no room in the shared block. */
#define LARGE_SIZE (BLOCK_SIZE / 4)

typedef struct block {
    struct block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} block_t;

typedef struct cleanup {
    void (*fn)(void *data);
    void *data;
    struct cleanup *next;
} cleanup_t;

struct nb__arena {
    block_t *current;  /* small allocations are carved from here */
    block_t *blocks;   /* every block: full ones, large ones, the current one */
    cleanup_t *cleanups; /* newest first */
};

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(ALIGN - 1); }

static block_t *block_new(nb__arena_t *a, size_t cap) {
    block_t *b = malloc(sizeof *b + cap);
    if (b == NULL)
        return NULL;
    b->used = 0;
    b->cap = cap;
    b->next = a->blocks;
    a->blocks = b;
    return b;
}

void *nb__arena_alloc(nb__arena_t **ap, size_t size) {
    if (*ap == NULL && (*ap = calloc(1, sizeof **ap)) == NULL)
        return NULL;
    nb__arena_t *a = *ap;
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ALIGN - sizeof(block_t))
        return NULL;
    size_t need = round_up(size);
    if (need >= LARGE_SIZE) {
        block_t *b = block_new(a, need);
        if (b == NULL)
            return NULL;
        b->used = need;
        return memset(b->data, 0, size);
    }
    if (a->current == NULL || a->current->cap - a->current->used < need) {
        if ((a->current = block_new(a, BLOCK_SIZE)) == NULL)
            return NULL;
    }
    void *p = a->current->data + a->current->used;
    a->current->used += need;
    return memset(p, 0, size);
}

char *nb__arena_strdup(nb__arena_t **a, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = nb__arena_alloc(a, n);
    return d ? memcpy(d, s, n) : NULL;
}

char *nb__arena_vprintf(nb__arena_t **a, const char *fmt, va_list ap) {
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *s = n >= 0 ? nb__arena_alloc(a, (size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

int nb__arena_on_free(nb__arena_t **a, void (*fn)(void *data), void *data) {
    cleanup_t *c = nb__arena_alloc(a, sizeof *c);
    if (c == NULL)
        return NB_ENOMEM;
    c->fn = fn;
    c->data = data;
    c->next = (*a)->cleanups;
    (*a)->cleanups = c;
    return 0;
}

void nb__arena_free(nb__arena_t *a) {
    if (a == NULL)
        return;
    /* A handler may still read the arena's memory (its data often lives there): blocks go last. */
    for (cleanup_t *c = a->cleanups; c; c = c->next)
        c->fn(c->data);
    for (block_t *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}
