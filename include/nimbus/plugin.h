/*
 * nimbus/plugin.h - the plugin ABI.
 *
 * A Nimbus service provider is a shared object that exports exactly one symbol,
 * `nb_plugin_def`, a constant descriptor. The core checks the descriptor's
 * signature, ABI version and size before it runs any plugin code, resolves every
 * operation name in `ops` against the service's spec, stores a pointer to its
 * function table in the plugin's `nb_api` variable and then calls `init`.
 *
 * Plugins never link against the core: every core service is reached through the
 * function table (`nb_api_t`), which only ever grows at its end. The macros below
 * (`nb_error`, `nb_reply_new`, ...) read like plain functions.
 *
 *     static const nb_op_t sqs_ops[] = {
 *         { "GetQueueUrl", sqs_get_queue_url, 0 },
 *         { NULL, NULL, 0 }
 *     };
 *     NB_PLUGIN_DEFINE(.name = "sqs", .service = "sqs", .api_version = "2012-11-05",
 *                      .ops = sqs_ops, .init = sqs_init, .fini = sqs_fini);
 *
 *     int sqs_get_queue_url(nb_req_t *req, const json_t *in) {
 *         ...
 *         if (q == NULL)
 *             return nb_error(req, "QueueDoesNotExist", "The specified queue does not exist.");
 *         return nb_reply_new(req, json_pack("{s:s}", "QueueUrl", q->url));
 *     }
 *
 * Ownership follows jansson: `input`, `req` and every string the API returns are
 * borrowed until the request ends; a function whose name ends in `_new` steals its
 * `json_t *` argument, even when it fails.
 *
 * Values: the input and output of an operation are jansson values shaped like the
 * spec's shapes (member names as in the spec): structure = object, list = array,
 * map = object, string/enum = string, integer/long = integer, float/double = real
 * (NaN and infinities as the strings "NaN", "Infinity", "-Infinity"), boolean,
 * timestamp = real epoch seconds, blob = binary string (json_stringn_nocheck).
 * Streaming payloads are not in the value: read them with nb_req_body(), answer
 * them with nb_reply_body_new().
 */
#ifndef NIMBUS_PLUGIN_H
#define NIMBUS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "nimbus/errno.h"
#include "nimbus/util.h"
#include "nimbus/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NB_PLUGIN_SIGNATURE 0x4e42504cu /* "NBPL" */
#define NB_ABI_MAJOR 1                  /* incompatible changes */
#define NB_ABI_MINOR 6                  /* additions at the end of nb_api_t or nb_plugin_def_t */

/* Handler return values besides 0 (reply done) and < 0 (internal failure, 500). */
#define NB_ASYNC 1           /* the handler will call nb_finish() exactly once, later */
#define NB_NOT_IMPLEMENTED 2 /* answer 501 like an operation without a handler */

typedef struct nb_req nb_req_t;       /* one AWS request, opaque */
typedef struct nb_plugin nb_plugin_t; /* one loaded plugin, opaque */
typedef struct nb_body nb_body_t;     /* a request or response body, opaque */
typedef struct nb_timer nb_timer_t;   /* a one-shot or repeating timer, opaque */
typedef struct nb_blob_writer nb_blob_writer_t; /* a blob being written, opaque */
typedef struct sqlite3 sqlite3;

typedef int (*nb_op_handler_pt)(nb_req_t *req, const json_t *input);

typedef struct nb_op {
    const char *name;         /* the spec's operation name, "SendMessage" */
    nb_op_handler_pt handler; /* NULL: answered 501 like an unimplemented operation */
    unsigned flags;           /* reserved for later ABI minors: 0 (the loader refuses any other value) */
} nb_op_t;

typedef enum nb_log_level { NB_LOG_DEBUG, NB_LOG_INFO, NB_LOG_WARN, NB_LOG_ERROR } nb_log_level_t;

/* What a request answered, once its response is ready (nb_req_on_complete): for access logs. */
typedef struct nb_req_summary {
    int status;                  /* the HTTP status sent */
    const char *error_code;      /* the AWS error code; NULL on success */
    int64_t bytes_sent;          /* response body bytes (0 for HEAD, 204, 304) */
    double total_ms;             /* from the request's arrival until now */
    const char *method, *target; /* "GET", the raw request target "/b/k%20x?tagging" */
    const char *peer;            /* the client's address, "127.0.0.1:52662" */
} nb_req_summary_t;

/* A timer fires on the event loop, its callback inside a transaction of the plugin's store
 * (committed after it; see nb_on_commit). Every timer, one-shot or repeating, is freed by
 * nb_timer_stop(), which is safe to call from inside its own callback. */
typedef void (*nb_timer_cb)(nb_timer_t *timer, void *data);

/*
 * The table of core functions. Append only: a field is never removed or moved;
 * `size` tells a plugin which fields exist: test a function added after the ABI minor
 * the plugin declares with NB_API_HAS(member) before calling it.
 */
typedef struct nb_api {
    size_t size;

    /* Replies. Each returns 0, so a handler can `return nb_reply_new(...)`. */
    int (*reply_new)(nb_req_t *req, json_t *output);
    int (*reply_body_new)(nb_req_t *req, nb_body_t *body);
    int (*reply_header)(nb_req_t *req, const char *name, const char *value);
    /* An error declared in the spec (status and fault from its shape) or a common
     * AWS code; `fields_new` (may be NULL) adds members of the error shape. */
    int (*error)(nb_req_t *req, const char *code, json_t *fields_new, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
    /* An error the spec does not declare, with its HTTP status. */
    int (*error_code)(nb_req_t *req, const char *code, int status, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
    /* Completes a request whose handler returned NB_ASYNC; its reply or error was set. Called
     * inside a transaction (a timer callback's, another request's handler), the answer goes
     * once that transaction ended: as set if it committed, 500 InternalError if not. */
    void (*finish)(nb_req_t *req);

    /* The request. */
    const char *(*req_account)(const nb_req_t *req);
    const char *(*req_region)(const nb_req_t *req);
    const char *(*req_id)(const nb_req_t *req);
    const char *(*req_operation)(const nb_req_t *req);
    const char *(*req_header)(const nb_req_t *req, const char *name); /* case-insensitive */
    const char *(*req_host)(const nb_req_t *req);
    nb_body_t *(*req_body)(nb_req_t *req); /* never NULL; may be empty */
    nb_plugin_t *(*req_plugin)(const nb_req_t *req);
    /* Called when the client goes away before an async request finished. */
    void (*req_on_abort)(nb_req_t *req, void (*cb)(nb_req_t *req, void *data), void *data);

    /* Bodies: in memory below a threshold, in a temp file above it. */
    int64_t (*body_size)(const nb_body_t *body);
    ssize_t (*body_read)(nb_body_t *body, int64_t offset, void *buf, size_t len);
    const char *(*body_path)(const nb_body_t *body); /* NULL while in memory */
    nb_body_t *(*body_from_file_new)(const char *path, int64_t offset, int64_t length);
    nb_body_t *(*body_from_mem_new)(const void *data, size_t len);
    void (*body_free)(nb_body_t *body);

    /* Plugin context. */
    void *(*plugin_data)(const nb_plugin_t *self);
    void (*plugin_set_data)(nb_plugin_t *self, void *data);
    const char *(*config_get)(const char *name); /* LOCALSTACK_HOST, DATA_DIR, ... */
    sqlite3 *(*store_db)(nb_plugin_t *self);

    /* Timers on the event loop. */
    nb_timer_t *(*timer_start)(nb_plugin_t *self, uint64_t timeout_ms, uint64_t repeat_ms, nb_timer_cb cb,
                               void *data);
    void (*timer_stop)(nb_timer_t *timer);

    /* One line to stderr; NB_LOG_DEBUG only with DEBUG=1. Never log a secret (keys, tokens,
     * plaintexts, secret values): users paste these logs into issues. The core's own DEBUG
     * request log leaves out credentials and every value the spec marks "sensitive". */
    void (*log)(nb_plugin_t *self, nb_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
    double (*now)(void); /* wall clock, epoch seconds */

    /* ---- ABI 1.1 (NB_API_HAS(member) before use in a plugin that declares an older minor) ---- */

    /* The HTTP status of a successful reply instead of the operation's (206, 304). */
    int (*reply_status)(nb_req_t *req, int status);

    /* Blobs: large payloads as files beside the plugin's database (under DATA_DIR
     * with persistence). Keys are '/'-separated [A-Za-z0-9._-] names, none starting
     * with '.': name blobs by ids, never by user input. A blob appears under its key
     * only whole (and fsynced with persistence); write a new key rather than
     * overwrite one a committed row points to. Each returns 0 or an NB_E* code. */
    /* Stores a request body; a body spilled to a temp file is moved, not copied. */
    int (*blob_put_body)(nb_plugin_t *self, const char *key, nb_body_t *body);
    /* A body reading [offset, offset + length) of a blob (length -1: to its end),
     * for nb_reply_body_new; NULL if absent. The file stays readable by this body
     * even if the blob is removed meanwhile. */
    nb_body_t *(*blob_body_new)(nb_plugin_t *self, const char *key, int64_t offset, int64_t length);
    int (*blob_remove)(nb_plugin_t *self, const char *key); /* NB_ENOENT if absent */
    /* Streaming writes (decoded uploads, concatenated parts): the blob appears at
     * finish; finish and abort free the writer. */
    int (*blob_writer_new)(nb_plugin_t *self, const char *key, nb_blob_writer_t **out);
    int (*blob_write)(nb_blob_writer_t *w, const void *data, size_t len);
    int (*blob_writer_finish)(nb_blob_writer_t *w);
    void (*blob_writer_abort)(nb_blob_writer_t *w);
    /* The first query parameter `name` of the request URL, percent-decoded, copied to buf
     * (truncated to cap - 1): its full length, or -1 if absent. For what the spec does not
     * model (presigned URLs' X-Amz-Expires, Expires). */
    ssize_t (*req_query)(const nb_req_t *req, const char *name, char *buf, size_t cap);
    /* Runs work(data) on the thread pool (hashing, fsync of large bodies: never on the
     * loop), then done(req, data) on the loop inside a fresh store transaction; done sets
     * the reply or error and the core completes the request (no nb_finish). The handler
     * returns NB_ASYNC after queueing. work may only use the body and blob functions.
     * done runs even when the client went away (to release what work made). 0 or NB_E*. */
    int (*work_queue)(nb_req_t *req, void (*work)(void *data), void (*done)(nb_req_t *req, void *data), void *data);

    /* ---- ABI 1.2 ---- */

    /* Removes a blob that committed rows point to (an overwritten object's old body)
     * once the request's transaction commits; if it rolls back or the commit fails,
     * the rows still point to the blob and it stays. Outside a transaction, at once.
     * Use nb_blob_remove for a blob no committed row points to. 0 or NB_E*. */
    int (*blob_remove_at_commit)(nb_plugin_t *self, const char *key);
    /* Calls another service's operation in-process, as account and region (S3 event
     * notifications to SQS): validated against that service's spec, run by its
     * provider in a transaction of its own, committed before this returns. Takes
     * input (like the _new functions); on success *output is the operation's output,
     * owned by the caller. 0; NB_ENOENT if the service is not enabled or lacks the
     * operation; else an NB_E* code with the AWS error code copied to error_code
     * (may be NULL). Only operations that answer at once (not long polls). */
    int (*call)(nb_plugin_t *self, const char *account, const char *region, const char *service,
                const char *operation, json_t *input_new, json_t **output, char *error_code, size_t error_len);

    /* ---- ABI 1.3 ---- */

    /* The partition of a region, the second field of every ARN: "aws", "aws-cn",
     * "aws-us-gov", "aws-iso", "aws-iso-b", ... ("aws" for NULL or an unknown region).
     * Build ARNs with it, never with a literal "arn:aws:". A static string. */
    const char *(*partition)(const char *region);

    /* ---- ABI 1.4 ---- */

    /* Calls cb once, when the request's response is about to be sent (after its commit), with
     * what it answers; or with summary NULL when there will be none (the client went away, an
     * in-process call), so cb can release data. One per request: a second call replaces the
     * first. Errors the core answers before the handler runs are never seen. */
    void (*req_on_complete)(nb_req_t *req, void (*cb)(nb_req_t *req, const nb_req_summary_t *summary, void *data),
                            void *data);

    /* ---- ABI 1.5 ---- */

    /* A static, human-readable name for an NB_E* code ("not found"), for log lines. */
    const char *(*strerror)(int err);

    /* ---- ABI 1.6 ---- */

    /* Transaction hooks: what must happen only if a transaction's writes commit (an event
     * notification, a delivery to another service, a timer) and what undoes or frees it
     * otherwise. One rule: a hook attaches to the transaction open now on the plugin's
     * store. The core opens one around every handler (committed before its reply; an
     * NB_ASYNC handler's when it returns), every nb_work_queue done(), every timer callback
     * and every in-process call; nb_finish from inside one answers once it ended.
     * on_commit: cb(data) once, after the commit succeeded. on_rollback: cb(data) once,
     * after a rollback or a failed commit (after the plugin's rolled_back). Hooks of each
     * kind run in the order added, outside any transaction; a hook of the outcome that did
     * not happen is dropped without a call. `data` stays the plugin's: when it owns memory,
     * add an on_commit and an on_rollback hook with the same data, each freeing it (exactly
     * one runs). 0; NB_EINVAL outside a transaction (an abort callback, init) or NB_ENOMEM:
     * the hook is not kept and will not run. */
    int (*req_on_commit)(nb_req_t *req, void (*cb)(void *data), void *data);
    int (*req_on_rollback)(nb_req_t *req, void (*cb)(void *data), void *data);
    /* The same from code without a request (a timer callback): the transaction open on
     * self's store. A timer callback whose commit fails is logged and that firing dropped
     * (its on_rollback hooks run); a repeating timer runs again at its next period. */
    int (*on_commit)(nb_plugin_t *self, void (*cb)(void *data), void *data);
    int (*on_rollback)(nb_plugin_t *self, void (*cb)(void *data), void *data);

    /* Shared utilities (nimbus/util.h): base64, hex, URL encoding, dates, ARNs, ids, digests.
     * Called through the nb_base64_encode(...), nb_digest(...), ... macros of that header. */
    const nb_util_api_t *util;
} nb_api_t;

typedef struct nb_plugin_def {
    uint32_t signature;  /* NB_PLUGIN_SIGNATURE */
    uint16_t abi_major;  /* NB_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;
    uint32_t struct_size; /* sizeof(nb_plugin_def_t) the plugin was built with */
    const nb_api_t **api; /* where the core stores its function table */

    const char *name;        /* the provider's name, "sqs" or "sqs-v2" */
    const char *service;     /* the spec's service, by its folder name under specs/ */
    /* the spec's apiVersion the plugin was written for, "2012-11-05": when the loaded spec has
     * another, the loader logs both (operations a newer spec adds answer 501); NULL: any */
    const char *api_version;
    const nb_op_t *ops;      /* terminated by { NULL, NULL, 0 } */
    int (*init)(nb_plugin_t *self); /* optional; != 0 fails the load */
    void (*fini)(nb_plugin_t *self); /* optional */
    /* optional: called after the service's state was reset (POST /_localstack/state/reset), outside
     * any transaction, so the plugin drops what it cached from its store. */
    void (*reset)(nb_plugin_t *self);
    /* optional (ABI 1.2): called, outside any transaction, when a request's commit failed
     * (disk full, I/O error) after its handler succeeded: the writes it made are gone, so
     * the plugin drops or reloads what it cached from them. The client gets a 500. */
    void (*rolled_back)(nb_plugin_t *self);
    /* optional (ABI 1.3): called once when the server starts to stop (SIGTERM), after it
     * stopped accepting connections: answer the requests that wait (long polls) now, as
     * their wait ending would (an empty receive), so the process can exit at once. */
    void (*shutdown)(nb_plugin_t *self);
    /* optional (ABI 1.3): with persistence, called once at start, after init: calls
     * keep(ctx, key) for every blob key a committed row points to and returns 0; the core
     * then removes the plugin's other blobs (written before a commit that never happened:
     * a kill -9 in between). A non-zero return removes nothing. */
    int (*blob_keys)(nb_plugin_t *self, void (*keep)(void *ctx, const char *key), void *ctx);
    /* optional (ABI 1.4): a request to an operation with a streaming payload whose client
     * waits on "Expect: 100-continue" reaches this from its head, validated, before a byte
     * of its body (input: its members from headers, labels and query; no payload): an error
     * set with nb_error / nb_error_fields / nb_error_code is answered at once, and the client
     * never sends the body. Reads only: no body, no writes (rolled back), no reply, no
     * NB_ASYNC, no nb_finish, no nb_req_on_complete. Returns 0 (go on unless an error is set) or an NB_E* code (the
     * check could not be made: the request goes on, its handler answers). */
    int (*precheck)(nb_plugin_t *self, nb_req_t *req, const json_t *input);
} nb_plugin_def_t;

#if defined(__GNUC__)
#define NB_PLUGIN_EXPORT __attribute__((visibility("default")))
#define NB_PLUGIN_HIDDEN __attribute__((visibility("hidden")))
#else
#define NB_PLUGIN_EXPORT
#define NB_PLUGIN_HIDDEN
#endif

#ifndef NB_CORE_INTERNAL
/* The core's function table, set by the loader before init. */
extern NB_PLUGIN_HIDDEN const nb_api_t *nb_api;

/* The ABI minor a plugin declares, NB_ABI_MINOR unless it defines NB_PLUGIN_ABI_MINOR before
 * including this header: a core older than that refuses to load it ("plugin built for Nimbus
 * ABI 1.5, this Nimbus provides ABI 1.4"). A plugin that declares an older minor so as to load
 * on older cores tests each newer function with NB_API_HAS before calling it. */
#ifndef NB_PLUGIN_ABI_MINOR
#define NB_PLUGIN_ABI_MINOR NB_ABI_MINOR
#endif

/* Whether the core's table has `member` (a field name of nb_api_t): true for every function of
 * the minor the plugin declares and those before it. `if (!NB_API_HAS(partition)) ...` */
#define NB_API_HAS(member) (nb_api->size >= offsetof(nb_api_t, member) + sizeof nb_api->member)

/* Defines the descriptor and the table pointer; use once per plugin. */
#define NB_PLUGIN_DEFINE(...)                                                                          \
    NB_PLUGIN_HIDDEN const nb_api_t *nb_api;                                                          \
    NB_PLUGIN_EXPORT const nb_plugin_def_t nb_plugin_def = {                                           \
        .signature = NB_PLUGIN_SIGNATURE, .abi_major = NB_ABI_MAJOR, .abi_minor = NB_PLUGIN_ABI_MINOR, \
        .struct_size = sizeof(nb_plugin_def_t), .api = &nb_api, __VA_ARGS__}

#define nb_reply_new(...) (nb_api->reply_new(__VA_ARGS__))
#define nb_reply_body_new(...) (nb_api->reply_body_new(__VA_ARGS__))
#define nb_reply_header(...) (nb_api->reply_header(__VA_ARGS__))
#define nb_error(req, code, ...) (nb_api->error((req), (code), NULL, __VA_ARGS__))
#define nb_error_fields(req, code, fields_new, ...) (nb_api->error((req), (code), (fields_new), __VA_ARGS__))
#define nb_error_code(...) (nb_api->error_code(__VA_ARGS__))
#define nb_finish(...) (nb_api->finish(__VA_ARGS__))
#define nb_req_account(...) (nb_api->req_account(__VA_ARGS__))
#define nb_req_region(...) (nb_api->req_region(__VA_ARGS__))
#define nb_partition(...) (nb_api->partition(__VA_ARGS__))
#define nb_req_id(...) (nb_api->req_id(__VA_ARGS__))
#define nb_req_operation(...) (nb_api->req_operation(__VA_ARGS__))
#define nb_req_header(...) (nb_api->req_header(__VA_ARGS__))
#define nb_req_host(...) (nb_api->req_host(__VA_ARGS__))
#define nb_req_body(...) (nb_api->req_body(__VA_ARGS__))
#define nb_req_plugin(...) (nb_api->req_plugin(__VA_ARGS__))
#define nb_req_on_abort(...) (nb_api->req_on_abort(__VA_ARGS__))
#define nb_body_size(...) (nb_api->body_size(__VA_ARGS__))
#define nb_body_read(...) (nb_api->body_read(__VA_ARGS__))
#define nb_body_path(...) (nb_api->body_path(__VA_ARGS__))
#define nb_body_from_file_new(...) (nb_api->body_from_file_new(__VA_ARGS__))
#define nb_body_from_mem_new(...) (nb_api->body_from_mem_new(__VA_ARGS__))
#define nb_body_free(...) (nb_api->body_free(__VA_ARGS__))
#define nb_plugin_data(...) (nb_api->plugin_data(__VA_ARGS__))
#define nb_plugin_set_data(...) (nb_api->plugin_set_data(__VA_ARGS__))
#define nb_config_get(...) (nb_api->config_get(__VA_ARGS__))
#define nb_store_db(...) (nb_api->store_db(__VA_ARGS__))
#define nb_timer_start(...) (nb_api->timer_start(__VA_ARGS__))
#define nb_timer_stop(...) (nb_api->timer_stop(__VA_ARGS__))
#define nb_log(...) (nb_api->log(__VA_ARGS__))
#define nb_now() (nb_api->now())
#define nb_reply_status(...) (nb_api->reply_status(__VA_ARGS__))
#define nb_blob_put_body(...) (nb_api->blob_put_body(__VA_ARGS__))
#define nb_blob_body_new(...) (nb_api->blob_body_new(__VA_ARGS__))
#define nb_blob_remove(...) (nb_api->blob_remove(__VA_ARGS__))
#define nb_blob_writer_new(...) (nb_api->blob_writer_new(__VA_ARGS__))
#define nb_blob_write(...) (nb_api->blob_write(__VA_ARGS__))
#define nb_blob_writer_finish(...) (nb_api->blob_writer_finish(__VA_ARGS__))
#define nb_blob_writer_abort(...) (nb_api->blob_writer_abort(__VA_ARGS__))
#define nb_req_query(...) (nb_api->req_query(__VA_ARGS__))
#define nb_work_queue(...) (nb_api->work_queue(__VA_ARGS__))
#define nb_blob_remove_at_commit(...) (nb_api->blob_remove_at_commit(__VA_ARGS__))
#define nb_call(...) (nb_api->call(__VA_ARGS__))
#define nb_req_on_complete(...) (nb_api->req_on_complete(__VA_ARGS__))
/* the plugin calls the core's (nimbus/errno.h declares it for the core's own code) */
#define nb_strerror(...) (nb_api->strerror(__VA_ARGS__))
#define nb_req_on_commit(...) (nb_api->req_on_commit(__VA_ARGS__))
#define nb_req_on_rollback(...) (nb_api->req_on_rollback(__VA_ARGS__))
#define nb_on_commit(...) (nb_api->on_commit(__VA_ARGS__))
#define nb_on_rollback(...) (nb_api->on_rollback(__VA_ARGS__))
/* nb_api->util: its macros (nb_base64_encode, nb_digest, nb_uuid, ...) are in nimbus/util.h */
#define nb_util() (nb_api->util)
#endif /* NB_CORE_INTERNAL */

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_PLUGIN_H */
