/*
 * nimbus/stream.h - streamed responses, raw HTTP endpoints and extra listeners (ABI 1.6;
 * included by nimbus/plugin.h).
 *
 * Streamed responses. An AWS operation whose output is produced over time (Lambda
 * InvokeWithResponseStream, Kinesis SubscribeToShard, S3 SelectObjectContent) answers with
 * nb_reply_stream_begin: the status (nb_reply_status) and headers (nb_reply_header) set so far
 * go out at once, the body follows as the plugin writes it, with chunked transfer encoding.
 * AWS event streams are written one message at a time with nb_stream_write_event or
 * nb_stream_write_message (the core frames them: prelude, headers, CRCs).
 *
 *     static void more(int status, void *data) {        // a write left the process
 *         job_t *j = data;
 *         if (status != 0) return;                       // the client went away: see on_cancel
 *         while (j->left && nb_stream_queued(j->s) < NB_STREAM_HIGH_WATER) { ...write... }
 *     }
 *     nb_reply_header(req, "Content-Type", "application/vnd.amazon.eventstream");
 *     nb_stream_t *s;
 *     if (nb_reply_stream_begin(req, &s) != 0) return nb_error(...);
 *     nb_stream_on_cancel(s, on_cancel, job);
 *     ... nb_stream_write_event(s, "PayloadChunk", "application/octet-stream", buf, n, more, job) ...
 *     ... nb_stream_end(s, NULL, NULL);
 *     return NB_ASYNC;
 *
 * Back-pressure: a write copies its bytes and answers 0, or NB_STREAM_FULL when the bytes not
 * yet written to the socket reach NB_STREAM_HIGH_WATER: then write no more until a done
 * callback says bytes left (done(0, data)). A producer that follows this keeps memory bounded
 * whatever the client's pace; one that does not grows it.
 *
 * Lifetimes:
 *   - After nb_reply_stream_begin succeeds the request is the stream's: the handler returns
 *     NB_ASYNC (or 0) and no longer uses req (no nb_finish, no reply, no nb_req_* call). The
 *     handler's store writes commit before the head is sent (a failed commit answers 500 and
 *     begin returns NB_ESTORE, req then still the handler's).
 *   - The stream is the plugin's until it calls nb_stream_end, exactly once, also after a
 *     cancel. Done callbacks run later, on the loop, even after the end: with 0 when the bytes
 *     were written, with NB_EIO when the client went away first.
 *   - on_cancel runs once if the client goes away before the end was written; writes then
 *     answer NB_EIO. The plugin still calls nb_stream_end to release the stream.
 *
 * Raw HTTP endpoints. A plugin can serve plain HTTP, outside the AWS protocols: on an extra
 * loopback port (nb_listen) or under a private path prefix of the main port
 * (nb_route_prefix, "/_nimbus/lambda/runtime/": Lambda's Runtime API for the runtimes it
 * starts; "/_aws/<service>/": the service's developer endpoints, as LocalStack has them). Each request reaches the handler as an nb_http_t, which it answers with
 * nb_http_respond or nb_http_stream_begin, now or later (a Runtime API "GET
 * /invocation/next" waits until an invocation arrives). The Origin and Host checks of the
 * main port apply first (a web page cannot reach them). Handlers run outside any store transaction.
 *   - nb_http_t is valid until nb_http_respond or nb_http_stream_begin returns, or, if the
 *     client goes away first, until the nb_http_on_abort callback returns (the core then frees
 *     it; never answer from that callback). Strings it returns live as long as it does.
 *   - Listeners and prefix routes last until nb_listener_close or the plugin's unload; the
 *     server's stop closes listeners like the main port (waiting requests get the grace period).
 */
#ifndef NIMBUS_STREAM_H
#define NIMBUS_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct nb_plugin nb_plugin_t;
typedef struct nb_body nb_body_t;
typedef struct nb_stream nb_stream_t;     /* a response body being written, opaque */
typedef struct nb_http nb_http_t;         /* one raw HTTP request to a plugin endpoint, opaque */
typedef struct nb_listener nb_listener_t; /* an extra port a plugin serves, opaque */

#define NB_STREAM_HIGH_WATER (256 * 1024) /* bytes not yet written at which a write answers FULL */
#define NB_STREAM_FULL 1                  /* taken, but wait for a done callback before writing more */

/* status: 0 when the bytes were written to the socket, NB_EIO when the client went away first. */
typedef void (*nb_stream_done_cb)(int status, void *data);

/* A typed header of an event-stream message (the AWS types; names as in the event stream spec). */
typedef enum nb_event_type {
    NB_EVENT_TRUE = 0,
    NB_EVENT_FALSE = 1,
    NB_EVENT_BYTE = 2,
    NB_EVENT_SHORT = 3,
    NB_EVENT_INT = 4,
    NB_EVENT_LONG = 5,
    NB_EVENT_BYTES = 6,
    NB_EVENT_STRING = 7,
    NB_EVENT_TIMESTAMP = 8, /* milliseconds since the epoch, in num */
    NB_EVENT_UUID = 9,      /* 16 bytes in data */
} nb_event_type_t;

typedef struct nb_event_header {
    const char *name;
    nb_event_type_t type;
    const char *data; /* BYTES, STRING (len bytes), UUID (16 bytes) */
    size_t len;
    int64_t num;      /* BYTE .. LONG, TIMESTAMP */
} nb_event_header_t;

/* A raw HTTP endpoint's handler; data is what nb_listen / nb_route_prefix were given. */
typedef void (*nb_http_handler_pt)(nb_http_t *http, void *data);

#endif /* NIMBUS_STREAM_H */
