/* The manual clock behind nb_now() and nb_timer_start() under the test harness. */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/clock.h"

static char fired[256];
static double t0_ms; /* the clock when the test started */

/* A timer that notes its name and the clock's time (ms since the test started) each firing. */
typedef struct noted {
    const char *name;
    nb__clock_timer_t *timer;
    bool stop; /* stops itself from inside its callback */
} noted_t;

static void note(void *arg) {
    noted_t *n = arg;
    size_t len = strlen(fired);
    snprintf(fired + len, sizeof fired - len, "%s@%.0f ", n->name, nb__clock_now() * 1000.0 - t0_ms);
    if (n->stop)
        nb__clock_timer_stop(n->timer);
}

static void start(noted_t *n, uint64_t timeout_ms, uint64_t repeat_ms) {
    n->timer = nb__clock_timer_start(NULL, timeout_ms, repeat_ms, note, n);
    cr_assert_not_null(n->timer);
}

static void setup(void) {
    nb__clock_set_manual(true);
    t0_ms = nb__clock_now() * 1000.0;
    fired[0] = '\0';
}

static void teardown(void) { nb__clock_set_manual(false); }

TestSuite(clock, .init = setup, .fini = teardown);

Test(clock, timers_fire_in_due_order_with_the_clock_at_their_due_time) {
    noted_t c = {"c", NULL, true}, a = {"a", NULL, true}, b = {"b", NULL, true};
    start(&c, 100, 0);
    start(&a, 50, 0);
    start(&b, 50, 0); /* same time: started later, fires later */
    cr_assert_eq(nb__clock_advance(49, NULL, NULL), 0);
    cr_assert_str_eq(fired, "");
    cr_assert_eq(nb__clock_advance(51, NULL, NULL), 3);
    cr_assert_str_eq(fired, "a@50 b@50 c@100 ");
    cr_assert_float_eq(nb__clock_now() * 1000.0, t0_ms + 100, 0.5);
}

Test(clock, repeating_timer_fires_once_per_period_until_stopped) {
    noted_t r = {"r", NULL, false};
    start(&r, 10, 30);
    cr_assert_eq(nb__clock_advance(100, NULL, NULL), 4);
    cr_assert_str_eq(fired, "r@10 r@40 r@70 r@100 ");
    nb__clock_timer_stop(r.timer);
    cr_assert_eq(nb__clock_advance(100, NULL, NULL), 0);
}

Test(clock, one_shot_timer_fires_once_and_the_clock_stands_still_otherwise) {
    noted_t now = {"now", NULL, false};
    start(&now, 0, 0);
    double before = nb__clock_now();
    cr_assert_eq(nb__clock_advance(0, NULL, NULL), 1);
    cr_assert_eq(nb__clock_advance(1000, NULL, NULL), 0, "a one-shot timer fires once");
    nb__clock_timer_stop(now.timer);
    cr_assert_float_eq(nb__clock_now() - before, 1.0, 1e-6);
}

/* A timer started by another's callback, due within the same advance, fires in it. */
static noted_t second = {"second", NULL, true};

static void start_follow_up(void *arg) {
    note(arg);
    start(&second, 20, 0);
}

Test(clock, timer_started_by_a_callback_fires_within_the_same_advance) {
    noted_t first = {"first", NULL, true};
    first.timer = nb__clock_timer_start(NULL, 10, 0, start_follow_up, &first);
    cr_assert_eq(nb__clock_advance(50, NULL, NULL), 2);
    cr_assert_str_eq(fired, "first@10 second@30 ");
}
