/*
 * The clock behind nb_now() and nb_timer_start() (clock.h): the wall clock with libuv
 * timers in the server, a manual clock with timers kept in a list under the test harness.
 */
#include "gateway/clock.h"

#include <stdlib.h>
#include <time.h>

struct nb__clock_timer {
    uv_timer_t handle; /* wall clock only */
    nb__clock_fire_cb fire;
    void *arg;
    /* Manual clock only. */
    struct nb__clock_timer *next;
    uint64_t due_ms, repeat_ms, seq;
    bool manual, spent, firing, stopped;
};

static struct {
    bool on;
    double base_s;      /* the wall clock when the manual clock started */
    uint64_t offset_ms; /* how far it moved since */
    uint64_t seq;
    nb__clock_timer_t *timers; /* started and not stopped (or stopped while firing) */
} manual;

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double nb__clock_now(void) { return manual.on ? manual.base_s + (double)manual.offset_ms / 1000.0 : wall_now(); }

void nb__clock_set_manual(bool on) {
    while (manual.timers) { /* left by plugins already unloaded: nobody can stop them any more */
        nb__clock_timer_t *t = manual.timers;
        manual.timers = t->next;
        free(t);
    }
    manual.on = on;
    manual.base_s = wall_now();
    manual.offset_ms = 0;
}

bool nb__clock_is_manual(void) { return manual.on; }

static void timer_closed(uv_handle_t *h) { free(h->data); }

static void timer_fire(uv_timer_t *h) {
    nb__clock_timer_t *t = h->data;
    t->fire(t->arg);
}

nb__clock_timer_t *nb__clock_timer_start(uv_loop_t *loop, uint64_t timeout_ms, uint64_t repeat_ms,
                                         nb__clock_fire_cb fire, void *arg) {
    nb__clock_timer_t *t = calloc(1, sizeof *t);
    if (t == NULL || (loop == NULL && !manual.on)) {
        free(t);
        return NULL;
    }
    t->fire = fire;
    t->arg = arg;
    if (manual.on) {
        t->manual = true;
        t->due_ms = manual.offset_ms + timeout_ms;
        t->repeat_ms = repeat_ms;
        t->seq = ++manual.seq;
        t->next = manual.timers;
        manual.timers = t;
        return t;
    }
    uv_timer_init(loop, &t->handle);
    uv_unref((uv_handle_t *)&t->handle); /* timers never keep the server alive on their own */
    t->handle.data = t;
    uv_timer_start(&t->handle, timer_fire, timeout_ms, repeat_ms);
    return t;
}

static void manual_unlink(nb__clock_timer_t *t) {
    for (nb__clock_timer_t **p = &manual.timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            return;
        }
}

/* Stops and frees a timer; safe from inside its own callback. */
void nb__clock_timer_stop(nb__clock_timer_t *t) {
    if (t == NULL)
        return;
    if (t->manual) {
        if (t->firing) { /* freed once its callback returns */
            t->stopped = true;
            return;
        }
        manual_unlink(t);
        free(t);
        return;
    }
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, timer_closed);
}

/* The timer due first at or before limit_ms (ties: the one started first), or NULL. */
static nb__clock_timer_t *manual_next(uint64_t limit_ms) {
    nb__clock_timer_t *best = NULL;
    for (nb__clock_timer_t *t = manual.timers; t; t = t->next) {
        if (t->spent || t->stopped || t->due_ms > limit_ms)
            continue;
        if (best == NULL || t->due_ms < best->due_ms || (t->due_ms == best->due_ms && t->seq < best->seq))
            best = t;
    }
    return best;
}

unsigned nb__clock_advance(uint64_t ms, void (*settle)(void *ctx), void *ctx) {
    uint64_t target = manual.offset_ms + ms;
    unsigned fired = 0;
    for (;;) {
        if (settle)
            settle(ctx);
        nb__clock_timer_t *t = manual_next(target);
        if (t == NULL)
            break;
        if (t->due_ms > manual.offset_ms)
            manual.offset_ms = t->due_ms;
        if (t->repeat_ms)
            t->due_ms += t->repeat_ms;
        else
            t->spent = true; /* a one-shot timer stays allocated until nb_timer_stop */
        t->firing = true;
        t->fire(t->arg);
        t->firing = false;
        fired++;
        if (t->stopped) {
            manual_unlink(t);
            free(t);
        }
    }
    manual.offset_ms = target;
    return fired;
}
