#include "gateway/spec_wait.h"

#include <stdlib.h>

/* One spec being read, and the requests waiting for it. */
typedef struct spec_read {
    uv_work_t work;
    nb__spec_t *spec;
    nb__spec_t *fresh; /* what the pool read; NULL when it could not */
    struct waiter {
        nb_req_t *req;
        nb__spec_resume_fn resume;
    } *waiters;
    size_t nwaiters, cap;
    struct spec_read *next;
} spec_read_t;

/* The reads under way: a handful at most (one per service being first used), walked on the
 * loop thread only. */
static spec_read_t *reads;

static spec_read_t *read_of(const nb__spec_t *spec) {
    for (spec_read_t *r = reads; r; r = r->next)
        if (r->spec == spec)
            return r;
    return NULL;
}

static void read_work(uv_work_t *w) {
    spec_read_t *r = w->data;
    char *err = NULL;
    r->fresh = nb__spec_read(r->spec, &err);
    free(err); /* the waiters answer the protocol's unknown operation; the next request tries again */
}

static void read_done(uv_work_t *w, int status) {
    spec_read_t *r = w->data;
    for (spec_read_t **pp = &reads; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    bool read = status == 0 && r->fresh != NULL;
    if (read)
        nb__spec_adopt(r->spec, r->fresh);
    else
        nb__spec_free(r->fresh);
    /* a waiter may park again (routing needed another spec): it joins another read */
    for (size_t i = 0; i < r->nwaiters; i++)
        r->waiters[i].resume(r->waiters[i].req, read);
    free(r->waiters);
    free(r);
}

static spec_read_t *start_read(uv_loop_t *loop, const nb__spec_t *spec) {
    spec_read_t *r = read_of(spec);
    if (r)
        return r;
    if ((r = calloc(1, sizeof *r)) == NULL)
        return NULL;
    r->spec = (nb__spec_t *)spec; /* adopted on the loop, which owns it */
    r->work.data = r;
    if (uv_queue_work(loop, &r->work, read_work, read_done) != 0) {
        free(r);
        return NULL;
    }
    r->next = reads;
    reads = r;
    return r;
}

bool nb__spec_wait(uv_loop_t *loop, const nb__spec_t *spec, nb_req_t *req, nb__spec_resume_fn resume) {
    spec_read_t *r = start_read(loop, spec);
    if (r == NULL)
        return false;
    if (r->nwaiters == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        struct waiter *grown = realloc(r->waiters, cap * sizeof *grown);
        if (grown == NULL)
            return false; /* the read goes on for the others */
        r->waiters = grown;
        r->cap = cap;
    }
    r->waiters[r->nwaiters++] = (struct waiter){req, resume};
    return true;
}

void nb__spec_prefetch(uv_loop_t *loop, const nb__spec_t *spec) {
    if (nb__spec_unread(spec))
        (void)start_read(loop, spec);
}
