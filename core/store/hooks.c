/* What runs when a store transaction ends: the on-commit and on-rollback hooks (store.h),
 * and the test-only commit fault (NIMBUS_FAULT_COMMIT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"

/* Room for n more hooks. */
static int reserve(nb__store_t *st, size_t n) {
    if (st->nhooks + n <= st->hooks_cap)
        return 0;
    size_t cap = st->hooks_cap ? 2 * st->hooks_cap : 8;
    while (cap < st->nhooks + n)
        cap *= 2;
    struct nb__store_hook *grown = realloc(st->hooks, cap * sizeof *grown);
    if (grown == NULL)
        return NB_ENOMEM;
    st->hooks = grown;
    st->hooks_cap = cap;
    return 0;
}

int nb__store_hook_add(nb__store_t *st, nb__store_hook_kind_t kind, void (*cb)(void *data), void *data) {
    if (st == NULL || cb == NULL || st->depth == 0)
        return NB_EINVAL;
    if (reserve(st, 1) != 0)
        return NB_ENOMEM;
    st->hooks[st->nhooks++] = (struct nb__store_hook){kind, cb, data, st->depth};
    return 0;
}

int nb__store_hook_add_pair(nb__store_t *st, void (*on_commit)(void *data), void (*on_rollback)(void *data),
                            void *data) {
    if (st == NULL || on_commit == NULL || on_rollback == NULL || st->depth == 0)
        return NB_EINVAL;
    if (reserve(st, 2) != 0)
        return NB_ENOMEM;
    st->hooks[st->nhooks++] = (struct nb__store_hook){NB__STORE_ON_COMMIT, on_commit, data, st->depth};
    st->hooks[st->nhooks++] = (struct nb__store_hook){NB__STORE_ON_ROLLBACK, on_rollback, data, st->depth};
    return 0;
}

/* Runs, in order, the hooks [from, n) of `kind` taken off the store first: a hook may
 * open the next transaction and add hooks of its own. */
static void run_taken(nb__store_t *st, size_t from, nb__store_hook_kind_t kind) {
    size_t n = st->nhooks - from;
    if (n == 0)
        return;
    struct nb__store_hook *taken = malloc(n * sizeof *taken);
    if (taken == NULL) { /* without memory for the copy, they run in place, none added meanwhile is lost */
        for (size_t i = from; i < st->nhooks; i++)
            if (st->hooks[i].kind == kind)
                st->hooks[i].cb(st->hooks[i].data);
        st->nhooks = from;
        return;
    }
    memcpy(taken, st->hooks + from, n * sizeof *taken);
    st->nhooks = from;
    for (size_t i = 0; i < n; i++)
        if (taken[i].kind == kind)
            taken[i].cb(taken[i].data);
    free(taken);
}

void nb__store_hooks_end(nb__store_t *st, int committed) {
    run_taken(st, 0, committed ? NB__STORE_ON_COMMIT : NB__STORE_ON_ROLLBACK);
}

void nb__store_hooks_savepoint_end(nb__store_t *st, int depth, int committed) {
    size_t from = st->nhooks;
    while (from > 0 && st->hooks[from - 1].depth > depth)
        from--;
    if (committed) {
        for (size_t i = from; i < st->nhooks; i++)
            st->hooks[i].depth = depth;
        return;
    }
    run_taken(st, from, NB__STORE_ON_ROLLBACK);
}

int nb__store_fault_commit_armed(const nb__store_t *st) {
    if (st->fault_commit == NULL)
        return 0;
    FILE *f = fopen(st->fault_commit, "r");
    if (f == NULL)
        return 0;
    char line[256];
    int lines = 0, named = 0;
    while (!named && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        lines += line[0] != '\0';
        named = strcmp(line, st->service) == 0;
    }
    fclose(f);
    return named || lines == 0;
}
