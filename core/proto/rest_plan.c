#include "proto/rest_plan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The spec's plans: an open-addressing table from a structure (its json_t, alive as long as the
 * spec) to its plan. Requests are marshalled on the loop and, for large bodies, on the thread
 * pool, so the table is read and grown under a lock; a plan, once built, never changes. */
typedef struct plan_table {
    const json_t **keys;
    nb__rest_plan_t **plans;
    size_t cap, len; /* cap: 0 or a power of two */
} plan_table_t;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static void plan_free(nb__rest_plan_t *p) {
    if (p == NULL)
        return;
    free((void *)p->all);
    free(p->by_name);
    free(p->headers);
    free(p->prefixed);
    free(p);
}

static void table_free(void *t_) {
    plan_table_t *t = t_;
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        plan_free(t->plans[i]);
    free(t->keys);
    free(t->plans);
    free(t);
}

static size_t index_of(const plan_table_t *t, const json_t *key) {
    uint64_t x = (uint64_t)(uintptr_t)key;
    x = (x ^ (x >> 31)) * 0x9e3779b97f4a7c15ULL;
    size_t mask = t->cap - 1;
    size_t i = (size_t)(x >> 17) & mask;
    while (t->keys[i] != NULL && t->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static int table_grow(plan_table_t *t) {
    plan_table_t bigger = {NULL, NULL, t->cap ? t->cap * 2 : 32, t->len};
    bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
    bigger.plans = calloc(bigger.cap, sizeof *bigger.plans);
    if (bigger.keys == NULL || bigger.plans == NULL) {
        free(bigger.keys);
        free(bigger.plans);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->keys[i] != NULL) {
            size_t j = index_of(&bigger, t->keys[i]);
            bigger.keys[j] = t->keys[i];
            bigger.plans[j] = t->plans[i];
        }
    free(t->keys);
    free(t->plans);
    *t = bigger;
    return 0;
}

static nb__rest_loc_t loc_of(const char *loc) {
    if (loc == NULL)
        return NB_REST_BODY;
    if (strcmp(loc, "header") == 0)
        return NB_REST_HEADER;
    if (strcmp(loc, "headers") == 0)
        return NB_REST_HEADERS;
    if (strcmp(loc, "uri") == 0)
        return NB_REST_URI;
    if (strcmp(loc, "querystring") == 0)
        return NB_REST_QUERY;
    if (strcmp(loc, "statusCode") == 0)
        return NB_REST_STATUS;
    return NB_REST_OTHER;
}

static int by_member_name(const void *a, const void *b) {
    return strcmp((*(const nb__rest_binding_t *const *)a)->m.name, (*(const nb__rest_binding_t *const *)b)->m.name);
}

static int by_key(const void *a, const void *b) {
    const nb__rest_binding_t *x = *(const nb__rest_binding_t *const *)a, *y = *(const nb__rest_binding_t *const *)b;
    return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->index > y->index) - (x->index < y->index);
}

static nb__rest_plan_t *plan_build(const nb__spec_t *spec, const json_t *structure) {
    size_t n = 0;
    nb__member_iter_t it;
    nb__member_t m;
    for (nb__member_iter_init(&it, spec, structure); nb__member_next(&it, &m);)
        n++;
    if (n == 0)
        return NULL;
    nb__rest_plan_t *p = calloc(1, sizeof *p);
    nb__rest_binding_t *all = calloc(n, sizeof *all);
    if (p == NULL || all == NULL) {
        free(all);
        free(p);
        return NULL;
    }
    p->all = all;
    if ((p->by_name = calloc(n, sizeof *p->by_name)) == NULL || (p->headers = calloc(n, sizeof *p->headers)) == NULL ||
        (p->prefixed = calloc(n, sizeof *p->prefixed)) == NULL) {
        plan_free(p);
        return NULL;
    }
    size_t i = 0;
    for (nb__member_iter_init(&it, spec, structure); i < n && nb__member_next(&it, &m); i++) {
        nb__rest_binding_t *b = &all[i];
        b->m = m;
        b->loc = loc_of(nb__member_location(&m));
        b->wire = nb__member_location_name(&m);
        b->wire_len = b->wire ? strlen(b->wire) : 0;
        b->key = b->wire_len ? nb__rest_header_key(b->wire, b->wire_len) : 0;
        b->index = (unsigned)i;
        p->by_name[i] = b;
        if (b->loc == NB_REST_HEADER)
            p->headers[p->n_headers++] = b;
        if (b->loc == NB_REST_HEADERS)
            p->prefixed[p->n_prefixed++] = b;
        if (b->loc == NB_REST_BODY)
            p->has_body_members = true;
    }
    p->n = i;
    qsort(p->by_name, p->n, sizeof *p->by_name, by_member_name);
    qsort(p->headers, p->n_headers, sizeof *p->headers, by_key);
    return p;
}

const nb__rest_plan_t *nb__rest_plan(const nb__spec_t *spec, const json_t *structure) {
    if (spec == NULL || structure == NULL)
        return NULL;
    nb__spec_t *mut = (nb__spec_t *)spec; /* a const spec's caches grow: its content never changes */
    nb__rest_plan_t *plan = NULL;
    pthread_mutex_lock(&table_lock);
    plan_table_t *t = mut->rest_cache;
    if (t == NULL && mut->rest_cache_free == NULL && (t = calloc(1, sizeof *t)) != NULL) {
        mut->rest_cache = t;
        mut->rest_cache_free = table_free;
    }
    if (t != NULL && ((t->len + 1) * 2 <= t->cap || table_grow(t) == 0)) {
        size_t i = index_of(t, structure);
        if (t->keys[i] == NULL && (t->plans[i] = plan_build(spec, structure)) != NULL) {
            t->keys[i] = structure;
            t->len++;
        }
        plan = t->plans[i];
    }
    pthread_mutex_unlock(&table_lock);
    return plan;
}

const nb__rest_binding_t *nb__rest_plan_member(const nb__rest_plan_t *plan, const char *name) {
    if (plan == NULL || name == NULL)
        return NULL;
    size_t lo = 0, hi = plan->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(plan->by_name[mid]->m.name, name);
        if (c == 0)
            return plan->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
