/*
 * nimbus/events.h - in-process events between plugins (ABI 1.6).
 *
 * A plugin publishes a named event ("s3:ObjectCreated:Put") with a JSON detail for an
 * account and region; plugins that subscribed to its name, or to a prefix of it, get it
 * in a callback. No network hop, no spec: the names and details are a contract between
 * services, documented by the publisher (S3's: plugins/s3/README.md).
 *
 *     static void on_object(nb_plugin_t *self, const nb_event_t *ev, void *data) {
 *         const char *bucket = json_string_value(json_object_get(json_object_get(ev->detail, "bucket"), "name"));
 *         nb_log(self, NB_LOG_INFO, "%s in %s (%s)", ev->name, bucket, ev->region);
 *     }
 *     int my_init(nb_plugin_t *self) {
 *         return nb_event_subscribe(self, "s3:ObjectCreated:*", on_object, NULL) ? 0 : NB_ENOMEM;
 *     }
 *
 * Delivery: never inside nb_event_publish. An event published while a transaction is open
 * on the publisher's store (inside a handler, a work-queue done(), a timer callback: see
 * nb_req_on_commit) waits for that transaction: delivered on the event loop's next turn
 * after it commits, dropped if it rolls back or its commit fails (an error answered, a
 * failed commit), so no event reports a write that did not happen. Its client going away
 * does not matter: the write happened. An event published outside any transaction (a
 * process or event callback) is delivered on the next loop turn.
 *
 * Callbacks run on the loop thread, outside any request and any store transaction, in the
 * order of subscription; an event reaches each matching subscription once. A callback may
 * publish (delivered on a later turn), subscribe, unsubscribe (itself too), call other
 * services with nb_call and use its own store as a timer callback does. Everything runs on
 * the loop thread: never publish from a work-queue `work` function.
 *
 * Lifetimes: the event and its detail are borrowed for the callback's duration (json_incref
 * the detail to keep it). A subscription lasts until nb_event_unsubscribe or until its
 * plugin is unloaded (the core removes what is left).
 */
#ifndef NIMBUS_EVENTS_H
#define NIMBUS_EVENTS_H

#include <jansson.h>

typedef struct nb_plugin nb_plugin_t;
typedef struct nb_subscription nb_subscription_t; /* opaque */

typedef struct nb_event {
    const char *name;    /* "s3:ObjectCreated:Put" */
    const char *source;  /* the publisher's service, "s3" */
    const char *account; /* "000000000000" */
    const char *region;  /* "us-east-1" */
    const json_t *detail; /* an object, never NULL */
    double time;         /* when it was published, epoch seconds */
} nb_event_t;

typedef void (*nb_event_cb)(nb_plugin_t *self, const nb_event_t *event, void *data);

#endif /* NIMBUS_EVENTS_H */
