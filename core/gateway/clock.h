/*
 * The time plugins see: nb_now() and nb_timer_start(). Normally the wall clock and
 * libuv timers; the test harness (include/nimbus/testing.h) switches it to a manual
 * clock that only moves when told (nb_test_advance), firing the timers that fall due
 * in order, so visibility timeouts, delays and long polls are tested without sleeping.
 */
#ifndef NB_GATEWAY_CLOCK_H
#define NB_GATEWAY_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>


/* Epoch seconds: the wall clock, or the manual clock's time. */
double nb__clock_now(void);

/* The timers under nb_api_t.timer_start / timer_stop (api.c wraps each firing in a
 * transaction): a libuv timer on loop, or one the manual clock fires. fire(arg) at
 * timeout_ms, then every repeat_ms (0: once). Stop frees it, also from inside fire. */
typedef struct nb__clock_timer nb__clock_timer_t;
typedef void (*nb__clock_fire_cb)(void *arg);
nb__clock_timer_t *nb__clock_timer_start(uv_loop_t *loop, uint64_t timeout_ms, uint64_t repeat_ms,
                                         nb__clock_fire_cb fire, void *arg);
void nb__clock_timer_stop(nb__clock_timer_t *t);

/* Switches to the manual clock (true), starting at the wall clock's time, or back to the
 * wall clock (false). Only with no timer running: timers started under one clock are
 * fired by that clock; manual timers still in the list (their plugins are unloaded by
 * now) are freed. Process-wide: one harness at a time. */
void nb__clock_set_manual(bool manual);
bool nb__clock_is_manual(void);

/* Manual clock: moves time forward by ms, firing each timer that falls due on the way,
 * earliest first (timers due at the same time in the order they were started), with
 * the clock set to its due time; settle(ctx) runs before each timer and once at the end
 * (the harness runs the loop there: what a timer's callback started completes before the
 * next one). ms = 0 fires what is due now. Returns the number of timers fired. */
unsigned nb__clock_advance(uint64_t ms, void (*settle)(void *ctx), void *ctx);

#endif
