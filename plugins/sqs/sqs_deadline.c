#include "sqs_deadline.h"

#include <stdlib.h>

#include "sqs_plugin.h"

static struct {
    sqs_deadline_t **items; /* a binary min-heap on at */
    size_t len, cap;
    nb_timer_t *timer; /* set for `armed` while the heap is not empty */
    double armed;
} deadlines;

static void deadline_place(size_t i, sqs_deadline_t *d) {
    deadlines.items[i] = d;
    d->idx = i + 1;
}

static void deadline_sift_up(size_t i) {
    sqs_deadline_t *d = deadlines.items[i];
    while (i > 0 && deadlines.items[(i - 1) / 2]->at > d->at) {
        deadline_place(i, deadlines.items[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    deadline_place(i, d);
}

static void deadline_sift_down(size_t i) {
    sqs_deadline_t *d = deadlines.items[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        double at = d->at;
        if (l < deadlines.len && deadlines.items[l]->at < at)
            m = l, at = deadlines.items[l]->at;
        if (l + 1 < deadlines.len && deadlines.items[l + 1]->at < at)
            m = l + 1;
        if (m == i)
            break;
        deadline_place(i, deadlines.items[m]);
        i = m;
    }
    deadline_place(i, d);
}

static void deadlines_arm(void);

/* Every deadline due runs (a millisecond of slack: the timer rounds up). */
static void deadlines_due(nb_timer_t *t, void *data) {
    (void)data;
    nb_timer_stop(t);
    deadlines.timer = NULL;
    double now = nb_now();
    while (deadlines.len && deadlines.items[0]->at <= now + 0.001) {
        sqs_deadline_t *d = deadlines.items[0];
        sqs_deadline_remove(d);
        d->expired(d); /* may add deadlines again */
    }
    deadlines_arm();
}

/* The timer at the earliest deadline; a timer set earlier stays (it re-arms when it fires). */
static void deadlines_arm(void) {
    if (deadlines.len == 0) {
        if (deadlines.timer)
            nb_timer_stop(deadlines.timer);
        deadlines.timer = NULL;
        return;
    }
    double at = deadlines.items[0]->at;
    if (deadlines.timer && deadlines.armed <= at)
        return;
    if (deadlines.timer)
        nb_timer_stop(deadlines.timer);
    double delay_ms = (at - nb_now()) * 1000.0;
    deadlines.armed = at;
    /* a millisecond late rather than early */
    deadlines.timer = nb_timer_start(sqs.self, delay_ms > 0 ? (uint64_t)delay_ms + 1 : 0, 0, deadlines_due, NULL);
}

int sqs_deadline_add(sqs_deadline_t *d) {
    sqs_deadline_remove(d); /* a node already in the heap moves to its new time */
    if (deadlines.len == deadlines.cap) {
        size_t cap = deadlines.cap ? deadlines.cap * 2 : 64;
        sqs_deadline_t **items = realloc(deadlines.items, cap * sizeof *items);
        if (items == NULL)
            return NB_ENOMEM;
        deadlines.items = items;
        deadlines.cap = cap;
    }
    deadline_place(deadlines.len++, d);
    deadline_sift_up(deadlines.len - 1);
    deadlines_arm();
    return 0;
}

void sqs_deadline_remove(sqs_deadline_t *d) {
    if (d->idx == 0)
        return;
    size_t i = d->idx - 1;
    d->idx = 0;
    sqs_deadline_t *last = deadlines.items[--deadlines.len];
    if (i < deadlines.len) {
        deadline_place(i, last);
        deadline_sift_up(i);
        deadline_sift_down(last->idx - 1);
    }
    if (deadlines.len == 0) {
        deadlines_arm(); /* stops the timer */
        if (deadlines.cap > 64) { /* the room a burst of waiters needed goes back */
            free(deadlines.items);
            deadlines.items = NULL;
            deadlines.cap = 0;
        }
    }
}

void sqs_deadlines_free(void) {
    if (deadlines.timer)
        nb_timer_stop(deadlines.timer);
    free(deadlines.items);
    deadlines.items = NULL;
    deadlines.len = deadlines.cap = 0;
    deadlines.timer = NULL;
}
