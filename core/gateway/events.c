/*
 * In-process events between plugins (nimbus/events.h): a list of subscriptions and a
 * queue of events waiting for the loop's next turn. An event published while a transaction
 * is open on the publisher's store (a handler's, a timer's: txn.c) waits for it: queued by
 * its on-commit hook, dropped by its on-rollback hook, so no event reports a write that did
 * not commit.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/events.h"
#include "gateway/request.h"
#include "nimbus/errno.h"
#include "gateway/txn.h"
#include "store/store.h"

struct nb_subscription {
    nb_plugin_t *plugin;
    char *pattern;
    size_t prefix_len; /* pattern ends in '*': the part before it; else SIZE_MAX */
    nb_event_cb cb;
    void *data;
    bool dead; /* unsubscribed during a delivery: unlinked after it */
    nb_subscription_t *next;
};

typedef struct pending {
    nb_event_t ev;
    char *strings; /* name, source, account and region, one allocation */
    json_t *detail;
    struct pending *next;
} pending_t;

static nb_subscription_t *subs;
static int delivering; /* nesting of deliver(): subscriptions are only marked dead meanwhile */
static pending_t *queue, **queue_tail = &queue;
static nb_timer_t *flush_timer;

static void pending_free(pending_t *p) {
    json_decref(p->detail);
    free(p->strings);
    free(p);
}

static bool matches(const nb_subscription_t *s, const char *name) {
    if (s->dead)
        return false;
    return s->prefix_len == (size_t)-1 ? strcmp(s->pattern, name) == 0 : strncmp(s->pattern, name, s->prefix_len) == 0;
}

static void sweep_dead(void) {
    for (nb_subscription_t **sp = &subs; *sp;) {
        nb_subscription_t *s = *sp;
        if (s->dead) {
            *sp = s->next;
            free(s->pattern);
            free(s);
        } else {
            sp = &s->next;
        }
    }
}

static void deliver(nb_timer_t *t, void *data) {
    (void)data;
    nb__api.timer_stop(t);
    flush_timer = NULL;
    pending_t *list = queue; /* what a callback publishes now waits for the next turn */
    queue = NULL;
    queue_tail = &queue;
    delivering++;
    for (pending_t *p = list, *next; p; p = next) {
        next = p->next;
        for (nb_subscription_t *s = subs; s; s = s->next)
            if (matches(s, p->ev.name))
                s->cb(s->plugin, &p->ev, s->data);
        pending_free(p);
    }
    if (--delivering == 0)
        sweep_dead();
}

/* Queues p for the loop's next turn. */
static void enqueue(pending_t *p) {
    p->next = NULL;
    *queue_tail = p;
    queue_tail = &p->next;
    if (flush_timer == NULL && (flush_timer = nb__api.timer_start(NULL, 0, 0, deliver, NULL)) == NULL)
        deliver(NULL, NULL); /* no timer (out of memory): at once rather than never */
}

static void committed(void *data) { enqueue(data); }
static void rolled_back(void *data) { pending_free(data); }

int nb__event_subscribed(const char *name) {
    for (const nb_subscription_t *s = subs; s && name; s = s->next)
        if (matches(s, name))
            return 1;
    return 0;
}

int nb__event_publish(nb_plugin_t *self, nb_req_t *req, const char *name, const char *account,
                             const char *region, json_t *detail) {
    if (detail == NULL)
        detail = json_object();
    if (name == NULL || *name == '\0' || !json_is_object(detail)) {
        json_decref(detail);
        return NB_EINVAL;
    }
    if (account == NULL)
        account = req ? req->ctx.account : nb__context_default_account();
    if (region == NULL)
        region = req ? req->ctx.region : nb__context_default_region();
    const char *source = self && self->def ? self->def->service : "";
    size_t ln = strlen(name) + 1, ls = strlen(source) + 1, la = strlen(account) + 1, lr = strlen(region) + 1;
    pending_t *p = calloc(1, sizeof *p);
    char *s = p ? malloc(ln + ls + la + lr) : NULL;
    if (s == NULL) {
        free(p);
        json_decref(detail);
        return NB_ENOMEM;
    }
    p->strings = s;
    p->ev.name = memcpy(s, name, ln);
    p->ev.source = memcpy(s + ln, source, ls);
    p->ev.account = memcpy(s + ln + ls, account, la);
    p->ev.region = memcpy(s + ln + ls + la, region, lr);
    p->ev.detail = p->detail = detail;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    p->ev.time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    nb__store_t *st = req ? nb__txn_req_store(req) : self ? self->store : NULL;
    if (st == NULL || !nb__store_in_txn(st)) { /* no transaction: nothing to wait for */
        enqueue(p);
        return 0;
    }
    if (nb__store_hook_add_pair(st, committed, rolled_back, p) != 0) {
        pending_free(p);
        return NB_ENOMEM;
    }
    return 0;
}

nb_subscription_t *nb__event_subscribe(nb_plugin_t *self, const char *pattern, nb_event_cb cb, void *data) {
    if (pattern == NULL || cb == NULL)
        return NULL;
    nb_subscription_t *s = calloc(1, sizeof *s);
    if (s == NULL || (s->pattern = strdup(pattern)) == NULL) {
        free(s);
        return NULL;
    }
    size_t n = strlen(pattern);
    s->prefix_len = n && pattern[n - 1] == '*' ? n - 1 : (size_t)-1;
    s->plugin = self;
    s->cb = cb;
    s->data = data;
    nb_subscription_t **tail = &subs; /* in the order of subscription */
    while (*tail)
        tail = &(*tail)->next;
    *tail = s;
    return s;
}

void nb__event_unsubscribe(nb_subscription_t *sub) {
    if (sub == NULL)
        return;
    sub->dead = true;
    if (delivering == 0)
        sweep_dead();
}

void nb__events_unsubscribe_plugin(nb_plugin_t *p) {
    for (nb_subscription_t *s = subs; s; s = s->next)
        if (s->plugin == p)
            s->dead = true;
    if (delivering == 0)
        sweep_dead();
}

void nb__events_clear(void) {
    for (pending_t *p = queue, *next; p; p = next) {
        next = p->next;
        pending_free(p);
    }
    queue = NULL;
    queue_tail = &queue;
    if (flush_timer)
        nb__api.timer_stop(flush_timer);
    flush_timer = NULL;
}
