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
 *     nb_result_t sqs_get_queue_url(nb_req_t *req, const json_t *in) {
 *         NB_TRY(check_name(req, in));   // a helper's nb_step_t: go on, or return what it answered
 *         ...
 *         if (q == NULL)
 *             return nb_error(req, "QueueDoesNotExist", "The specified queue does not exist.");
 *         if (rc < 0)
 *             return NB_FAILED(rc);      // an NB_E* code: 500
 *         return nb_reply_new(req, json_pack("{s:s}", "QueueUrl", q->url));
 *     }
 *
 * A handler returns an nb_result_t (NB_DONE, NB_ASYNC, NB_NOT_IMPLEMENTED, NB_FAILED(err),
 * or what nb_reply_new / nb_error return); a helper that may answer returns an nb_step_t
 * (NB_GO_ON or nb_stop(result)). Both are distinct types: a mix-up does not compile.
 *
 * Ownership follows jansson: `req` and every string the API returns are borrowed until
 * the request ends; `input` only for the handler's call: the core releases it when the
 * handler returns, NB_ASYNC included, so work that answers later (a timer, nb_work_queue,
 * nb_call_async) takes a reference (json_incref) or copies what it needs. A function
 * whose name ends in `_new` steals its `json_t *` argument, even when it fails.
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

#include "nimbus/authz.h"
#include "nimbus/credentials.h"
#include "nimbus/errno.h"
#include "nimbus/events.h"
#include "nimbus/hash.h"
#include "nimbus/settings.h"
#include "nimbus/util.h"
#include "nimbus/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NB_PLUGIN_SIGNATURE 0x4e42504cu /* "NBPL" */
#define NB_ABI_MAJOR 1                  /* incompatible changes */
#define NB_ABI_MINOR 11                 /* additions at the end of nb_api_t or nb_plugin_def_t */

/* Room for an AWS signature with its NUL (ABI 1.7, nb_sigv4_signature): 64 hex digits, or
 * SigV2's 28 base64 characters. */
#define NB_SIGNATURE_SIZE 65

/*
 * What a handler, the precheck hook and the reply and error functions return. A struct,
 * not an int, so that the compiler refuses an int or a helper's nb_step_t where a result
 * is expected: a helper's "go on" can never be read as "answer later".
 *
 * ABI: a struct of one int is returned in the same register as an int (rax on x86-64
 * System V, w0 on AArch64 AAPCS64) and carries the values of ABI 1.0-1.5's int results
 * (0 done, 1 async, 2 not implemented, < 0 an NB_E* failure), so plugins built against
 * the int-returning header keep working: NB_ABI_MAJOR stays 1.
 */
typedef struct nb_result {
    int v_; /* private: use the constants and functions below */
} nb_result_t;

#define NB_DONE ((nb_result_t){0})            /* a reply or an error was set (or nothing: an empty output) */
#define NB_ASYNC ((nb_result_t){1})           /* the handler will call nb_finish() exactly once, later */
#define NB_NOT_IMPLEMENTED ((nb_result_t){2}) /* answer 501 like an operation without a handler */
/* An internal failure from an NB_E* code: 500 (503 for NB_EAGAIN); a non-negative err
 * (a function's success) is no failure, so it reads as NB_DONE. */
#define NB_FAILED(err) (nb_result_failed_from(err))

static inline nb_result_t nb_result_failed_from(int err) {
    nb_result_t r = {err < 0 ? err : 0};
    return r;
}
/* The NB_E* code of a failed result (in a work-queue done callback: which error to set); 0 otherwise. */
static inline int nb_result_error(nb_result_t r) { return r.v_ < 0 ? r.v_ : 0; }
/* Whether two results are the same: nb_result_same(rc, NB_ASYNC). */
static inline int nb_result_same(nb_result_t a, nb_result_t b) { return a.v_ == b.v_; }

/*
 * What a helper that may answer the request returns (a key check, a load that answers
 * NoSuchBucket): go on, or stop with the handler's result (the error it set, or a failure).
 * Distinct from nb_result_t, so a helper's result cannot be returned from a handler as is:
 *
 *     static nb_step_t check_name(nb_req_t *req, const char *name) {
 *         if (*name == '\0')
 *             return nb_stop(nb_error(req, "InvalidParameterValue", "The name is empty."));
 *         return NB_GO_ON;
 *     }
 *     nb_result_t create_thing(nb_req_t *req, const json_t *in) {
 *         NB_TRY(check_name(req, json_string_value(json_object_get(in, "Name"))));
 *         ...
 *     }
 *
 * A helper calling a helper propagates with NB_TRY_STEP; one that must clean up first tests
 * nb_stopped(step) and returns nb_step_result(step).
 */
typedef struct nb_step {
    int stopped_;        /* private */
    nb_result_t result_; /* private: what the handler returns when stopped */
} nb_step_t;

#define NB_GO_ON ((nb_step_t){0, {0}})
static inline nb_step_t nb_stop(nb_result_t result) {
    nb_step_t s = {1, result};
    return s;
}
static inline int nb_stopped(nb_step_t step) { return step.stopped_; }
/* The result a stopped step carries (NB_DONE for NB_GO_ON). */
static inline nb_result_t nb_step_result(nb_step_t step) { return step.result_; }

/* In a handler: returns the step's result when it stopped, else goes on. */
#define NB_TRY(step)                               \
    do {                                           \
        nb_step_t nb_try_step_ = (step);           \
        if (nb_try_step_.stopped_)                 \
            return nb_try_step_.result_;           \
    } while (0)
/* In a helper returning nb_step_t: returns the stopped step, else goes on. */
#define NB_TRY_STEP(step)                          \
    do {                                           \
        nb_step_t nb_try_step_ = (step);           \
        if (nb_try_step_.stopped_)                 \
            return nb_try_step_;                   \
    } while (0)

typedef struct nb_req nb_req_t;       /* one AWS request, opaque */
typedef struct nb_plugin nb_plugin_t; /* one loaded plugin, opaque */
typedef struct nb_body nb_body_t;     /* a request or response body, opaque */
typedef struct nb_timer nb_timer_t;   /* a one-shot or repeating timer, opaque */
typedef struct nb_blob_writer nb_blob_writer_t; /* a blob being written, opaque */
typedef struct sqlite3 sqlite3;

#include "nimbus/http_out.h"
#include "nimbus/proc.h"
#include "nimbus/stream.h"

typedef nb_result_t (*nb_op_handler_pt)(nb_req_t *req, const json_t *input);

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

/* nb_call_async (ABI 1.6): what an in-process call answered, handed to its callback. Every
 * pointer is borrowed for the callback's duration: json_incref(output) to keep the output,
 * copy the strings; the body is freed after the callback returns. */
typedef struct nb_call_result {
    int rc;                    /* 0: the operation succeeded. NB_ENOENT: the service is not enabled
                                * (SERVICES), has no provider or does not implement the operation.
                                * NB_EINVAL: the input failed validation or the operation answered
                                * an AWS error. Any other NB_E*: the core or the callee failed. */
    const json_t *output;      /* the operation's output (spec-shaped) when rc is 0, else NULL */
    nb_body_t *body;           /* the output's streaming payload (S3 GetObject's Body), or NULL */
    const char *error_code;    /* the AWS error code when rc != 0 ("QueueDoesNotExist"), else NULL */
    const char *error_message; /* its message ("" if none) when rc != 0, else NULL */
    int status;                /* the HTTP status a client of the operation would have seen */
} nb_call_result_t;

/* Runs once, on the event loop (never from inside nb_call_async), outside any transaction. */
typedef void (*nb_call_cb)(const nb_call_result_t *result, void *data);

/*
 * The table of core functions. Append only: a field is never removed or moved;
 * `size` tells a plugin which fields exist: test a function added after the ABI minor
 * the plugin declares with NB_API_HAS(member) before calling it.
 */
typedef struct nb_api {
    size_t size;

    /* Replies. reply_new and reply_body_new return NB_DONE, so a handler can
     * `return nb_reply_new(...)`; reply_header returns 0 or an NB_E* code. */
    nb_result_t (*reply_new)(nb_req_t *req, json_t *output);
    nb_result_t (*reply_body_new)(nb_req_t *req, nb_body_t *body);
    int (*reply_header)(nb_req_t *req, const char *name, const char *value);
    /* An error declared in the spec (status and fault from its shape) or a common
     * AWS code; `fields_new` (may be NULL) adds members of the error shape. NB_DONE. */
    nb_result_t (*error)(nb_req_t *req, const char *code, json_t *fields_new, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
    /* An error the spec does not declare, with its HTTP status. NB_DONE. */
    nb_result_t (*error_code)(nb_req_t *req, const char *code, int status, const char *fmt, ...)
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

    /* The HTTP status of a successful reply instead of the operation's (206, 304): NB_DONE,
     * or NB_FAILED(NB_EINVAL) for a status outside 100-599. */
    nb_result_t (*reply_status)(nb_req_t *req, int status);

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
     * (may be NULL). Only operations that answer at once: one that answers later
     * (ReceiveMessage with WaitTimeSeconds) is refused with NB_EINVAL and error code
     * "AsyncCallRequired", its callee told its caller went away (nb_req_on_abort) and its
     * request released when the callee finishes it; use nb_call_async (ABI 1.6) for those. */
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
    /* Declared settings (nimbus/settings.h): the value of a setting the plugin declares in
     * its descriptor's `.settings`, checked at start, so these never fail. A name the plugin
     * did not declare reads as unset (NULL, 0, false) and is logged. */
    const char *(*setting_string)(nb_plugin_t *self, const char *name); /* NULL: unset, no default */
    int64_t (*setting_int)(nb_plugin_t *self, const char *name);        /* INT and BYTES (bytes) */
    int (*setting_bool)(nb_plugin_t *self, const char *name);           /* 1 or 0 */
    double (*setting_seconds)(nb_plugin_t *self, const char *name);     /* DURATION, in seconds */

    /* In-process events (nimbus/events.h): delivered after the publishing request commits.
     * publish takes detail_new (an object; NULL for {}), even when it fails; req: the request
     * whose writes the event reports, NULL outside a request. 0 or NB_E*. pattern: an event
     * name, or a prefix ending in '*' ("s3:ObjectCreated:*", "*" for all); NULL if out of memory. */
    int (*event_publish)(nb_plugin_t *self, nb_req_t *req, const char *name, const char *account,
                         const char *region, json_t *detail_new);
    nb_subscription_t *(*event_subscribe)(nb_plugin_t *self, const char *pattern, nb_event_cb cb, void *data);
    void (*event_unsubscribe)(nb_subscription_t *sub); /* NULL is a no-op; safe inside a callback */

    /* Per-request memory: freed all at once when the request ends (its response written, or
     * the request abandoned), so a handler allocates its temporaries without freeing them.
     * Blocks are aligned for any type and zero-filled; NULL when out of memory. Never keep a
     * pointer past the request (a timer, an nb_work_queue after done, a subscription). */
    void *(*req_alloc)(nb_req_t *req, size_t size);
    char *(*req_strdup)(nb_req_t *req, const char *s);
    char *(*req_printf)(nb_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    /* Runs fn(data) when the request ends, before its memory is freed; handlers run in the
     * reverse order of registration (the last registered first). 0 or NB_ENOMEM (fn will not run). */
    int (*req_on_free)(nb_req_t *req, void (*fn)(void *data), void *data);

    /* nb_call_async: in-process calls to operations that may answer later (a long poll).
     * Starts a call to another service's operation as account and region (NULL: the default
     * account and region, 000000000000 and us-east-1 unless NIMBUS_DEFAULT_ACCOUNT / DEFAULT_REGION
     * say otherwise), without blocking: on the next turn of the loop the input is validated
     * against that service's spec and its provider's handler runs in a store transaction of
     * its own, which commits (or rolls back on an error) before cb sees the result. The caller
     * does not need the callee's protocol: input and output are spec-shaped values; a
     * streaming input payload (S3 PutObject's Body) is given as a string member. Takes
     * input_new (like the _new functions). Returns the call's id, never 0; cb then runs
     * exactly once, on the loop, unless the call is cancelled first. 0 only when cb is NULL
     * or memory ran out: cb never runs. Calls still waiting when the server stops see their
     * callee's shutdown answer (an empty receive). */
    uint64_t (*call_async)(nb_plugin_t *self, const char *account, const char *region, const char *service,
                           const char *operation, json_t *input_new, nb_call_cb cb, void *data);
    /* Cancels a call of nb_call_async: its callback never runs after this returns. The callee
     * sees its caller go away, as if an HTTP client disconnected (its nb_req_on_abort callback
     * runs; what it answers afterwards is dropped). An id that completed, was cancelled or was
     * never issued is ignored, so cancelling after completion is safe; ids are not reused.
     * Call it from the caller's own nb_req_on_abort callback to pass a disconnect on. */
    void (*call_cancel)(uint64_t call);
    /* Child processes (nimbus/proc.h: lifetimes, callbacks). spawn: 0 and *proc, or NB_ENOENT
     * (no such program or directory), NB_EINVAL, NB_EAGAIN (out of processes or descriptors). */
    int (*proc_spawn)(nb_plugin_t *self, const nb_proc_opts_t *opts, nb_proc_t **proc);
    /* SIGTERM to the child's process group now, SIGKILL after grace_ms if it still runs (0: SIGKILL
     * at once); on_exit still follows. 0, or NB_ENOENT when it already ended. */
    int (*proc_kill)(nb_proc_t *proc, uint64_t grace_ms);
    /* Copies data to the child's stdin (opts.stdin_pipe). 0 or NB_E*. */
    int (*proc_write)(nb_proc_t *proc, const void *data, size_t len);
    /* Closes the child's stdin (it reads EOF). */
    int (*proc_close_stdin)(nb_proc_t *proc);
    int (*proc_pid)(const nb_proc_t *proc);

    /* Streamed responses (nimbus/stream.h: back-pressure, lifetimes). begin: 0 and *stream; NB_EIO
     * when the client went away, NB_ESTORE when the handler's writes failed to commit, NB_EINVAL
     * for an in-process call (nb_call) or a request already answered: req is then still the
     * handler's (return the code, or nb_finish it). */
    int (*reply_stream_begin)(nb_req_t *req, nb_stream_t **stream);
    /* Writes one chunk (len > 0, copied): 0, NB_STREAM_FULL, or NB_EIO (the client went away:
     * done is not called). done may be NULL. */
    int (*stream_write)(nb_stream_t *s, const void *data, size_t len, nb_stream_done_cb done, void *done_data);
    /* One AWS event-stream message: the headers given, the payload (may be empty). Returns as stream_write. */
    int (*stream_write_message)(nb_stream_t *s, const nb_event_header_t *headers, size_t nheaders,
                                const void *payload, size_t len, nb_stream_done_cb done, void *done_data);
    /* An event message: :message-type event, :event-type, :content-type (NULL: none). */
    int (*stream_write_event)(nb_stream_t *s, const char *event_type, const char *content_type,
                              const void *payload, size_t len, nb_stream_done_cb done, void *done_data);
    /* The end of the body; releases s. 0, or NB_EIO when the client had gone away. */
    int (*stream_end)(nb_stream_t *s, nb_stream_done_cb done, void *done_data);
    void (*stream_on_cancel)(nb_stream_t *s, void (*cb)(nb_stream_t *s, void *data), void *data);
    size_t (*stream_queued)(const nb_stream_t *s); /* bytes written to s not yet sent */

    /* Raw HTTP endpoints (nimbus/stream.h). listen: an extra port on 127.0.0.1 (port 0: any
     * free one; nb_listener_port tells which). 0, NB_EEXIST (port in use), NB_EINVAL. */
    int (*listen)(nb_plugin_t *self, int port, nb_http_handler_pt handler, void *data, nb_listener_t **listener);
    int (*listener_port)(const nb_listener_t *listener);
    /* Closes the port (what it serves gets a second) and frees the listener; the server's stop
     * closes the port but leaves the listener the plugin's until this or its unload. */
    void (*listener_close)(nb_listener_t *listener);
    /* Requests to the main port whose path starts with prefix ("/_nimbus/<plugin>/...", ending
     * in '/') go to handler. Also "/_aws/<the plugin's service>/..." (since 1.7 cores: LocalStack's
     * developer endpoints, /_aws/sqs/messages), whose first request starts the service if it was
     * not yet (its init registers the route). 0, NB_EINVAL (another form), NB_EEXIST (taken). */
    int (*route_prefix)(nb_plugin_t *self, const char *prefix, nb_http_handler_pt handler, void *data);
    const char *(*http_method)(const nb_http_t *h);
    const char *(*http_path)(const nb_http_t *h);  /* raw (percent-encoded), the prefix included */
    const char *(*http_query)(const nb_http_t *h); /* raw, after '?'; NULL when none */
    const char *(*http_header)(const nb_http_t *h, const char *name); /* case-insensitive; NULL */
    nb_body_t *(*http_body)(nb_http_t *h);         /* never NULL */
    /* A header of the answer (before respond / stream_begin). 0 or NB_E*. */
    int (*http_reply_header)(nb_http_t *h, const char *name, const char *value);
    /* Answers and frees h: status, body (copied; may be empty). 0 or NB_E* (h is freed all the same). */
    int (*http_respond)(nb_http_t *h, int status, const void *body, size_t len);
    /* Answers with a streamed body and frees h; NULL without memory (the client gets a 500). */
    nb_stream_t *(*http_stream_begin)(nb_http_t *h, int status);
    /* cb runs if the client goes away before h was answered; h is freed after it returns. */
    void (*http_on_abort)(nb_http_t *h, void (*cb)(nb_http_t *h, void *data), void *data);

    /* Shared utilities: base64, hex, URL encoding, dates, ARNs, ids, digests (nimbus/util.h's macros). */
    const nb_util_api_t *util;

    /* ---- ABI 1.7 ---- */
    /* AWS request signatures from a secret (S3's POST policies; the core checks presigned URLs
     * with the same code). SigV4: hex(HMAC-SHA256) of string_to_sign with the key derived from
     * "AWS4" + secret through the credential scope's date (YYYYMMDD), region and service; SigV2:
     * base64(HMAC-SHA1(secret, string_to_sign)). out: NB_SIGNATURE_SIZE bytes. The text's length,
     * or NB_ELIMIT (cap too small) / NB_EINVAL (a secret longer than 251 bytes). */
    ssize_t (*sigv4_signature)(const char *secret, const char *date, const char *region, const char *service,
                               const char *string_to_sign, char *out, size_t cap);
    ssize_t (*sigv2_signature)(const char *secret, const char *string_to_sign, char *out, size_t cap);

    /* ---- ABI 1.8 ---- */
    /* Credential registry (nimbus/credentials.h): keys that select their account and principal.
     * put: registers (or, for a key this plugin registered in the same account, replaces) cred in
     * self's store, within the transaction open on it (none: at once); requests see it once that
     * commits. 0, NB_EINVAL (a member missing or malformed), NB_EEXIST (the key id belongs to
     * another account or plugin), NB_ESTORE. Every string is copied. */
    int (*credentials_put)(nb_plugin_t *self, const nb_credentials_t *cred);
    /* Forgets a key that self registered for account (another account's key is never touched):
     * 0, NB_ENOENT, NB_ESTORE. Like put, it takes effect when the open transaction commits. */
    int (*credentials_delete)(nb_plugin_t *self, const char *account, const char *access_key_id);
    /* The registered key access_key_id, its strings copied into req's memory: 0, or NB_ENOENT. */
    int (*credentials_get)(nb_req_t *req, const char *access_key_id, nb_credentials_t *out);
    /* Who signed the request: the principal of its registered key, else the account's root user
     * (arn:aws:iam::ACCOUNT:root, user id ACCOUNT). Valid until the request ends. */
    const char *(*req_principal_arn)(nb_req_t *req);
    const char *(*req_user_id)(nb_req_t *req);
    /* Events nobody listens to (nimbus/events.h): whether a subscription matches the event name
     * now, so that a publisher builds the detail of an event only when someone will get it (S3
     * publishes one per object written). An event published while none matches may be skipped:
     * a subscription made later does not get it, as it would not get an event delivered earlier. */
    int (*event_subscribed)(const char *name);

    /* ---- ABI 1.9 ---- */
    /* Stored JSON documents (S3's object attributes, a text column read and written on every
     * request): what json_loadb(text, len, JSON_DECODE_ANY) and json_dumps(value, JSON_COMPACT |
     * JSON_ENCODE_ANY) give, in one pass over the bytes instead of jansson's stream (a 100-byte
     * document: about a fifth of the instructions). parse: a new reference, NULL if the text is not
     * JSON; text: malloc'd (free()), NULL when out of memory or a string is not UTF-8. */
    json_t *(*json_parse)(const char *text, size_t len);
    char *(*json_text)(const json_t *value);
    /* IAM policies (nimbus/authz.h): one parsed policy's verdict on a request (an nb_policy_decision_t),
     * each matching statement's index appended to matched (may be NULL); the condition-key form of a
     * key (lower-cased into dst: 1, or 0 when it does not fit); the condition keys a policy uses,
     * added once each to the array keys. The evaluator ENFORCE_IAM=1 enforces with. */
    int (*policy_eval)(const json_t *policy, const nb_policy_request_t *r, json_t *matched);
    int (*policy_key)(char *dst, size_t size, const char *key);
    void (*policy_condition_keys)(const json_t *policy, json_t *keys);
    /* IAM policy enforcement: the identity policies a plugin's identity_policies hook answers have
     * changed (a policy written, attached, detached): the core drops what it cached of them. */
    void (*authz_changed)(void);
    /* IAM policy enforcement: an STS session policy (JSON text; NULL or "": none) for a key that self
     * registered, intersected with its principal's policies; kept with the key (persisted with it, and
     * written, like credentials_put, when the open transaction commits). 0, NB_ENOENT, NB_ESTORE. */
    int (*credentials_session_policy)(nb_plugin_t *self, const char *access_key_id, const char *policy);
    /* IAM trust policies and session PolicyArns: the policy document IAM keeps for an ARN, read from
     * the account the ARN names (an AWS managed policy's from req's): a role's trust policy
     * (AssumeRolePolicyDocument) for arn:...:role/NAME, a managed policy's default version for
     * arn:...:policy/NAME. JSON text in req's memory; NULL when there is none (or IAM is not enabled). */
    const char *(*authz_document)(nb_req_t *req, const char *arn);

    /* ---- ABI 1.10 ---- */
    /* Outbound HTTP requests (nimbus/http_out.h: lifetimes, callbacks, limits). send: 0 and *out (out
     * may be NULL), or NB_EINVAL (not an http:// or https:// URL, a header with CR/LF), NB_ENOMEM; the
     * callback then never runs. cancel: the callback never runs after it returns; NULL is a no-op. */
    int (*http_send)(nb_plugin_t *self, const nb_http_request_t *req, nb_http_out_cb cb, void *data,
                     nb_http_out_t **out);
    void (*http_cancel)(nb_http_out_t *h);
    /* IAM policy enforcement per item of a request (DeleteObjects' keys, CopyObject's source):
     * whether the principal that signed req may do action on resource, evaluated as the request
     * itself is (identity policies, boundary, session policy, and the resource policy that req's
     * plugin's resource_policy hook reads from input, e.g. {"Bucket": ...}): 1 allowed (also when
     * nothing is evaluated: enforcement off, the root account's keys, an in-process call), 0
     * denied. Sets no error: the plugin answers a denial in its own shape. */
    int (*authz_check)(nb_req_t *req, const char *action, const char *resource, const json_t *input);

    /* ---- ABI 1.11 ---- */
    /* Whether IAM enforcement is on (ENFORCE_IAM=1, or its --enforce-iam flag, as the core read it at
     * start): 1 or 0. For a plugin whose own checks follow the setting (STS's federated trust, S3's
     * body hash), rather than parsing the setting's truthy spellings itself. */
    int (*authz_enforced)(void);
    /* A reply from JSON text: text (len bytes, copied) is the operation's whole output as a JSON
     * object, for a plugin that holds its answer as text already (DynamoDB's stored items), so
     * that no value tree is built, serialized and freed. An awsJson service sends it as the body
     * unchanged (not checked against the output shape: blobs base64, members as the spec names
     * them, valid UTF-8 are the plugin's to get right); any other protocol, and an in-process
     * call (nb_call), get it parsed against the output shape as if given to nb_reply_new (text
     * that is not a JSON object is then a 500 InternalFailure). Replaces a reply set before, as a
     * later nb_reply_new replaces it. NB_DONE. */
    nb_result_t (*reply_json_text)(nb_req_t *req, const char *text, size_t len);
} nb_api_t;

/* ABI 1.10, one plugin serving several services: a further service the plugin answers
 * (nb_plugin_def_t.also_serves), with its own spec, operations and IAM actions, sharing the
 * plugin's state store, settings and init/fini (DynamoDB serves dynamodbstreams, whose records
 * are written in the same transaction as the items). */
typedef struct nb_plugin_service {
    const char *service;                    /* the spec's service, "dynamodbstreams"; NULL ends the list */
    const char *api_version;                /* as nb_plugin_def_t's */
    const nb_op_t *ops;                     /* terminated by { NULL, NULL, 0 } */
    const nb_authz_action_t *authz_actions; /* as nb_plugin_def_t's (NULL: not enforced) */
} nb_plugin_service_t;

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
     * NB_ASYNC, no nb_finish, no nb_req_on_complete. Returns NB_DONE (go on unless an error is set) or
     * NB_FAILED(an NB_E* code) (the check could not be made: the request goes on, its handler answers). */
    nb_result_t (*precheck)(nb_plugin_t *self, nb_req_t *req, const json_t *input);
    /* optional (ABI 1.6): the settings the plugin reads (nimbus/settings.h), ended by an
     * entry whose name is NULL; listed by nimbus --help, read with nb_setting_*. */
    const nb_setting_t *settings;
    /* ---- ABI 1.9: IAM policy enforcement (nimbus/authz.h; ENFORCE_IAM=1) ---- */
    /* optional: per operation, the IAM action and resource ARN it is authorized as, ended by a row
     * whose operation is NULL. An operation not listed is authorized as "<service>:<Operation>" on
     * "*". NULL: the plugin's operations are not enforced. */
    const nb_authz_action_t *authz_actions;
    /* optional: the resource policy of what req names (a bucket's policy, a queue's Policy) and the
     * account owning it, read only: 0 (out->document NULL: none, or no such resource), or an NB_E*
     * code (the request is denied). Runs before the handler, in the transaction the handler runs in. */
    int (*resource_policy)(nb_plugin_t *self, nb_req_t *req, const json_t *input, nb_resource_policy_t *out);
    /* optional, one plugin (IAM's): the identity policies of principal_arn (a user, a role, or an
     * assumed-role session of a role) in req's account, read only: 0, NB_ENOENT (no such principal:
     * nothing is allowed), or an NB_E* code. The core caches the answer until authz_changed. */
    int (*identity_policies)(nb_plugin_t *self, nb_req_t *req, const char *principal_arn,
                             nb_identity_policies_t *out);
    /* optional: the message of the AccessDenied a denied request answers, a template of the
     * action table's placeholders and {principal}, {action}, {resource}, {reason} ("because no
     * identity-based policy allows the s3:GetObject action"). NULL: IAM's own wording, "User: {principal}
     * is not authorized to perform: {action} on resource: {resource} {reason}". */
    const char *authz_denied_message;
    /* optional, the identity_policies plugin's (IAM's): what nb_authz_document answers, read in req's
     * account (the core sets it to the ARN's): JSON text in req's memory, NULL when there is none. */
    const char *(*authz_document)(nb_plugin_t *self, nb_req_t *req, const char *arn);
    /* ---- ABI 1.10 ---- */
    /* One plugin serving several services: further services it answers, ended by an entry whose
     * service is NULL. Each is a service of its own to clients (routing, health, PROVIDER_OVERRIDE_
     * of its name) whose requests run in transactions of this plugin's store; starting one starts
     * this plugin first. nb_req_plugin() answers the same plugin for all of them. */
    const nb_plugin_service_t *also_serves;
    /* IAM denial code: optional, the error code a request denied under ENFORCE_IAM answers, with the
     * status its spec (or AWS's common errors) gives it: DynamoDB's "AccessDeniedException" (400),
     * SNS's "AuthorizationError" (403). NULL: "AccessDenied", 403. */
    const char *authz_denied_code;
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
#define nb_setting_string(...) (nb_api->setting_string(__VA_ARGS__))
#define nb_setting_int(...) (nb_api->setting_int(__VA_ARGS__))
#define nb_setting_bool(...) (nb_api->setting_bool(__VA_ARGS__))
#define nb_setting_seconds(...) (nb_api->setting_seconds(__VA_ARGS__))
#define nb_event_publish(...) (nb_api->event_publish(__VA_ARGS__))
#define nb_event_subscribe(...) (nb_api->event_subscribe(__VA_ARGS__))
#define nb_event_unsubscribe(...) (nb_api->event_unsubscribe(__VA_ARGS__))
#define nb_req_alloc(...) (nb_api->req_alloc(__VA_ARGS__))
#define nb_req_strdup(...) (nb_api->req_strdup(__VA_ARGS__))
#define nb_req_printf(...) (nb_api->req_printf(__VA_ARGS__))
#define nb_req_on_free(...) (nb_api->req_on_free(__VA_ARGS__))
#define nb_call_async(...) (nb_api->call_async(__VA_ARGS__))
#define nb_call_cancel(...) (nb_api->call_cancel(__VA_ARGS__))
/* ABI 1.6: child processes, streamed responses, raw HTTP endpoints */
#define nb_proc_spawn(...) (nb_api->proc_spawn(__VA_ARGS__))
#define nb_proc_kill(...) (nb_api->proc_kill(__VA_ARGS__))
#define nb_proc_write(...) (nb_api->proc_write(__VA_ARGS__))
#define nb_proc_close_stdin(...) (nb_api->proc_close_stdin(__VA_ARGS__))
#define nb_proc_pid(...) (nb_api->proc_pid(__VA_ARGS__))
#define nb_reply_stream_begin(...) (nb_api->reply_stream_begin(__VA_ARGS__))
#define nb_stream_write(...) (nb_api->stream_write(__VA_ARGS__))
#define nb_stream_write_message(...) (nb_api->stream_write_message(__VA_ARGS__))
#define nb_stream_write_event(...) (nb_api->stream_write_event(__VA_ARGS__))
#define nb_stream_end(...) (nb_api->stream_end(__VA_ARGS__))
#define nb_stream_on_cancel(...) (nb_api->stream_on_cancel(__VA_ARGS__))
#define nb_stream_queued(...) (nb_api->stream_queued(__VA_ARGS__))
#define nb_listen(...) (nb_api->listen(__VA_ARGS__))
#define nb_listener_port(...) (nb_api->listener_port(__VA_ARGS__))
#define nb_listener_close(...) (nb_api->listener_close(__VA_ARGS__))
#define nb_route_prefix(...) (nb_api->route_prefix(__VA_ARGS__))
#define nb_http_method(...) (nb_api->http_method(__VA_ARGS__))
#define nb_http_path(...) (nb_api->http_path(__VA_ARGS__))
#define nb_http_query(...) (nb_api->http_query(__VA_ARGS__))
#define nb_http_header(...) (nb_api->http_header(__VA_ARGS__))
#define nb_http_body(...) (nb_api->http_body(__VA_ARGS__))
#define nb_http_reply_header(...) (nb_api->http_reply_header(__VA_ARGS__))
#define nb_http_respond(...) (nb_api->http_respond(__VA_ARGS__))
#define nb_http_stream_begin(...) (nb_api->http_stream_begin(__VA_ARGS__))
#define nb_http_on_abort(...) (nb_api->http_on_abort(__VA_ARGS__))
/* nb_api->util: its macros (nb_base64_encode, nb_digest, nb_uuid, ...) are in nimbus/util.h */
#define nb_util() (nb_api->util)
/* ABI 1.7: AWS request signatures */
#define nb_sigv4_signature(...) (nb_api->sigv4_signature(__VA_ARGS__))
#define nb_sigv2_signature(...) (nb_api->sigv2_signature(__VA_ARGS__))
/* ABI 1.8: credential registry */
#define nb_credentials_put(...) (nb_api->credentials_put(__VA_ARGS__))
#define nb_credentials_delete(...) (nb_api->credentials_delete(__VA_ARGS__))
#define nb_credentials_get(...) (nb_api->credentials_get(__VA_ARGS__))
#define nb_req_principal_arn(...) (nb_api->req_principal_arn(__VA_ARGS__))
#define nb_req_user_id(...) (nb_api->req_user_id(__VA_ARGS__))
/* ABI 1.8: whether anyone subscribed to an event */
#define nb_event_subscribed(...) (nb_api->event_subscribed(__VA_ARGS__))
/* ABI 1.9: stored JSON documents */
#define nb_json_parse(...) (nb_api->json_parse(__VA_ARGS__))
#define nb_json_text(...) (nb_api->json_text(__VA_ARGS__))
/* ABI 1.9: IAM policies (nimbus/authz.h) */
#define nb_policy_eval(...) ((nb_policy_decision_t)nb_api->policy_eval(__VA_ARGS__))
#define nb_policy_key(...) (nb_api->policy_key(__VA_ARGS__))
#define nb_policy_condition_keys(...) (nb_api->policy_condition_keys(__VA_ARGS__))
#define nb_authz_changed() (nb_api->authz_changed())
#define nb_credentials_session_policy(...) (nb_api->credentials_session_policy(__VA_ARGS__))
/* ABI 1.9: IAM trust policies and session PolicyArns */
#define nb_authz_document(...) (nb_api->authz_document(__VA_ARGS__))
/* ABI 1.10: outbound HTTP requests (nimbus/http_out.h) */
#define nb_http_send(...) (nb_api->http_send(__VA_ARGS__))
#define nb_http_cancel(...) (nb_api->http_cancel(__VA_ARGS__))
/* ABI 1.10: IAM policy enforcement per item of a request */
#define nb_authz_check(...) (nb_api->authz_check(__VA_ARGS__))
/* ABI 1.11: whether IAM enforcement is on */
#define nb_authz_enforced() (nb_api->authz_enforced())
/* ABI 1.11: a reply from JSON text */
#define nb_reply_json_text(...) (nb_api->reply_json_text(__VA_ARGS__))
#endif /* NB_CORE_INTERNAL */

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_PLUGIN_H */
