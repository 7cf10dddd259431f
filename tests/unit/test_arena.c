/* The per-request arena (util/arena.c): alignment, large blocks, cleanup order. */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/arena.h"

Test(arena, every_block_is_aligned_for_any_type_and_zeroed) {
    nb__arena_t *a = NULL;
    for (size_t n = 1; n < 300; n += 7) {
        unsigned char *p = nb__arena_alloc(&a, n);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % alignof(max_align_t), 0, "size %zu at %p", n, (void *)p);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(p[i], 0);
        memset(p, 0xab, n); /* a later block must not overlap it: ASan and the zero check see it */
    }
    nb__arena_free(a);
}

Test(arena, large_allocations_get_their_own_block) {
    nb__arena_t *a = NULL;
    char *small1 = nb__arena_alloc(&a, 16);
    char *big = nb__arena_alloc(&a, 1 << 20);
    char *small2 = nb__arena_alloc(&a, 16);
    cr_assert(small1 && big && small2);
    memset(big, 'x', 1 << 20);
    cr_assert_eq(small2, small1 + 16, "the shared block goes on after a large one");
    cr_assert_eq((uintptr_t)big % alignof(max_align_t), 0);
    cr_assert_null(nb__arena_alloc(&a, SIZE_MAX - 8), "an impossible size fails instead of wrapping");
    nb__arena_free(a);
}

static char *aprintf(nb__arena_t **a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *aprintf(nb__arena_t **a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = nb__arena_vprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

Test(arena, strdup_and_printf) {
    nb__arena_t *a = NULL;
    cr_assert_str_eq(nb__arena_strdup(&a, "queue-1"), "queue-1");
    char long_text[5000];
    memset(long_text, 'k', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cr_assert_str_eq(nb__arena_strdup(&a, long_text), long_text);
    cr_assert_str_eq(aprintf(&a, "http://sqs.%s.%s/%d/%s", "us-east-1", "localhost:4566", 0, "q"),
                     "http://sqs.us-east-1.localhost:4566/0/q");
    char *wide = aprintf(&a, "%s-%s", long_text, long_text);
    cr_assert_eq(strlen(wide), 2 * strlen(long_text) + 1);
    nb__arena_free(a);
}

static char order[8];
static size_t norder;
static void record(void *data) { order[norder++] = *(const char *)data; }

Test(arena, cleanups_run_newest_first_before_the_memory_goes) {
    nb__arena_t *a = NULL;
    norder = 0;
    char *first = nb__arena_strdup(&a, "1"), *second = nb__arena_strdup(&a, "2"), *third = nb__arena_strdup(&a, "3");
    cr_assert_eq(nb__arena_on_free(&a, record, first), 0);
    cr_assert_eq(nb__arena_on_free(&a, record, second), 0);
    cr_assert_eq(nb__arena_on_free(&a, record, third), 0);
    cr_assert_eq(norder, 0, "nothing runs before the arena is freed");
    nb__arena_free(a); /* the handlers read arena memory: ASan would see a use after free */
    cr_assert_eq(norder, 3);
    cr_assert_eq(memcmp(order, "321", 3), 0, "%.3s", order);
}

Test(arena, a_null_arena_frees_nothing_and_is_created_on_first_use) {
    nb__arena_free(NULL);
    nb__arena_t *a = NULL;
    norder = 0;
    static char x = 'x';
    cr_assert_eq(nb__arena_on_free(&a, record, &x), 0);
    cr_assert_not_null(a);
    nb__arena_free(a);
    cr_assert_eq(norder, 1);
}
