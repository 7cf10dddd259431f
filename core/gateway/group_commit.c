/* The loop side of group commit (group_commit.h): which stores have a group open, ended
 * before the loop sleeps. */
#include "gateway/group_commit.h"

#include <stdlib.h>

#include "nimbus/errno.h"

static struct {
    uv_prepare_t before_poll;
    uv_check_t after_poll;
    int started;
    nb__store_t **open; /* stores with a group open, each once */
    size_t n, cap;
} gc;

/* Ends every open group. An answer sent from a group's hooks may open a new group (a
 * pipelined request served at once): that one ends too, before the loop goes on (bounded,
 * should answers keep opening groups; what is left ends at the next phase). */
void nb__group_commit_end_all(void) {
    for (int left = 1024; gc.n > 0 && left > 0; left--)
        nb__store_group_end(gc.open[--gc.n]); /* a failure reaches each request through its hooks */
}

static void on_before_poll(uv_prepare_t *h) {
    (void)h;
    nb__group_commit_end_all();
}

static void on_after_poll(uv_check_t *h) {
    (void)h;
    nb__group_commit_end_all();
}

void nb__group_commit_init(uv_loop_t *loop) {
    if (gc.started)
        return;
    uv_prepare_init(loop, &gc.before_poll);
    uv_check_init(loop, &gc.after_poll);
    uv_prepare_start(&gc.before_poll, on_before_poll);
    uv_check_start(&gc.after_poll, on_after_poll);
    uv_unref((uv_handle_t *)&gc.before_poll);
    uv_unref((uv_handle_t *)&gc.after_poll);
    gc.started = 1;
}

int nb__group_commit_opened(nb__store_t *st, void *data) {
    (void)data;
    if (!gc.started)
        return NB_EINVAL; /* no loop to end it: the transaction commits alone */
    if (gc.n == gc.cap) {
        size_t cap = gc.cap ? 2 * gc.cap : 8;
        nb__store_t **grown = realloc(gc.open, cap * sizeof *grown);
        if (grown == NULL)
            return NB_ENOMEM;
        gc.open = grown;
        gc.cap = cap;
    }
    gc.open[gc.n++] = st;
    return 0;
}

void nb__group_commit_forget(nb__store_t *st) {
    for (size_t i = 0; i < gc.n; i++)
        if (gc.open[i] == st) {
            gc.open[i] = gc.open[--gc.n];
            return;
        }
}

void nb__group_commit_close(void) {
    if (!gc.started)
        return;
    nb__group_commit_end_all();
    uv_close((uv_handle_t *)&gc.before_poll, NULL);
    uv_close((uv_handle_t *)&gc.after_poll, NULL);
    gc.started = 0;
    free(gc.open);
    gc.open = NULL;
    gc.n = gc.cap = 0;
}
