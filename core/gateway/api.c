/* The plugin API that handlers call (nb_api_t): replies, errors, request accessors, bodies,
 * blobs, timers, the work queue. Request completion is request.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/events.h"
#include "gateway/gateway.h"
#include "gateway/req_memory.h"
#include "gateway/call.h"
#include "gateway/clock.h"
#include "authz/policy_eval.h"
#include "gateway/authz.h"
#include "gateway/credentials.h"
#include "gateway/reply_text.h"
#include "gateway/request.h"
#include "gateway/txn.h"
#include "http/body.h"
#include "net/http_out.h"
#include "nimbus/errno.h"
#include "proc/proc.h"
#include "proto/jsondoc.h"
#include "store/store.h"
#include "util/codec.h"
#include "util/partition.h"
#include "util/signing.h"
#include "util/util_api.h"

static nb_result_t api_reply_new(nb_req_t *req, json_t *output) {
    free(req->out_text); /* replaces an nb_reply_json_text reply */
    req->out_text = NULL;
    json_decref(req->output);
    req->output = output ? output : json_object();
    req->replied = true;
    return NB_DONE;
}

static nb_result_t api_reply_body_new(nb_req_t *req, nb_body_t *body) {
    nb__body_free(req->out_body);
    req->out_body = body;
    return NB_DONE;
}

static int api_reply_header(nb_req_t *req, const char *name, const char *value) {
    return nb__headers_set(&req->out_headers, name, value);
}

static nb_result_t api_error(nb_req_t *req, const char *code, json_t *fields_new, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nb__req_set_error_v(req, code, 0, fields_new, fmt, ap);
    va_end(ap);
    return NB_DONE;
}

static nb_result_t api_error_code(nb_req_t *req, const char *code, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nb__req_set_error_v(req, code, status, NULL, fmt, ap);
    va_end(ap);
    return NB_DONE;
}

/* An async request's handler transaction was committed when it returned NB_ASYNC: nb_finish
 * from inside another transaction (a timer callback's, another request's handler) answers
 * once that one ends, so nothing is acknowledged that a failed commit undoes. */
static void api_finish(nb_req_t *req) { nb__txn_complete_at_end(req); }

static const char *api_req_account(const nb_req_t *req) { return req->ctx.account; }
static const char *api_req_region(const nb_req_t *req) { return req->ctx.region; }
static const char *api_req_id(const nb_req_t *req) { return req->request_id; }
static const char *api_req_operation(const nb_req_t *req) { return req->route.op ? req->route.op->name : NULL; }
static const char *api_req_header(const nb_req_t *req, const char *name) {
    return nb__http_request_header(req->http, name);
}
static const char *api_req_host(const nb_req_t *req) { return nb__http_request_header(req->http, "Host"); }
static nb_body_t *api_req_body(nb_req_t *req) { return req->http->body; }
/* A further service's requests (also_serves) belong to the plugin that serves it. */
static nb_plugin_t *api_req_plugin(const nb_req_t *req) {
    nb_plugin_t *p = req->svc ? req->svc->provider : NULL;
    return p && p->host ? p->host : p;
}
static void api_req_on_abort(nb_req_t *req, void (*cb)(nb_req_t *, void *), void *data) {
    req->on_abort = cb;
    req->abort_data = data;
}

static void api_req_on_complete(nb_req_t *req, void (*cb)(nb_req_t *, const nb_req_summary_t *, void *),
                                void *data) {
    if (req->on_complete && req->on_complete != cb)
        nb__req_report(req, NULL); /* the one it replaces releases its data */
    req->on_complete = cb;
    req->complete_data = data;
}

static int64_t api_body_size(const nb_body_t *b) { return nb__body_size(b); }
static ssize_t api_body_read(nb_body_t *b, int64_t off, void *buf, size_t len) { return nb__body_read(b, off, buf, len); }
static const char *api_body_path(const nb_body_t *b) { return nb__body_path(b); }
static nb_body_t *api_body_from_file(const char *path, int64_t off, int64_t len) {
    return nb__body_from_file(path, off, len);
}
static nb_body_t *api_body_from_mem(const void *data, size_t len) { return nb__body_from_mem(data, len); }
static void api_body_free(nb_body_t *b) { nb__body_free(b); }

static void *api_plugin_data(const nb_plugin_t *p) { return p->data; }
static void api_plugin_set_data(nb_plugin_t *p, void *data) { ((nb_plugin_t *)p)->data = data; }

static const nb__config_t *api_cfg;
void nb__api_set_config(const nb__config_t *cfg) { api_cfg = cfg; }
static const char *api_config_get(const char *name) { return api_cfg ? nb__config_get(api_cfg, name) : NULL; }
static int api_authz_enforced(void) { return api_cfg && api_cfg->check_issued_keys; }
static sqlite3 *api_store_db(nb_plugin_t *p) { return p->store ? nb__store_db(p->store) : NULL; }

/* A plugin's timer: a timer of the clock (clock.c: the wall clock, or the harness's manual
 * one) whose firings run the plugin's callback in a transaction. */
struct nb_timer {
    nb__clock_timer_t *clock;
    nb_plugin_t *self;
    nb_timer_cb cb;
    void *data;
};

static uv_loop_t *api_loop;
void nb__api_set_loop(uv_loop_t *loop) { api_loop = loop; }

/* A timer's callback runs inside a transaction of its plugin's store; a failed commit is
 * logged and that firing dropped (nimbus/plugin.h). One that cannot begin still runs (a
 * timer stops and frees its data in its callback), its writes each committed alone. */
static void timer_writes_lost(void *name) {
    fprintf(stderr, "nimbus: %s: a timer's writes were not committed and are dropped\n", (const char *)name);
}

/* The loss is reported by an on-rollback hook rather than from nb__txn_end's result: inside
 * a loop turn's group commit (group_commit.h) the timer's level ends before the group's
 * commit, which is where it fails. */
static void timer_fire(void *arg) {
    nb_timer_t *t = arg;
    nb_plugin_t *self = t->self; /* t may be freed by its callback (nb_timer_stop) */
    nb__store_t *st = self ? self->store : NULL;
    bool in_txn = nb__txn_begin(st) == 0;
    if (in_txn)
        nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, timer_writes_lost,
                           (void *)(self && self->def ? self->def->name : "?"));
    t->cb(t, t->data);
    if (in_txn)
        nb__txn_end(st, true);
}

static nb_timer_t *api_timer_start(nb_plugin_t *self, uint64_t timeout_ms, uint64_t repeat_ms, nb_timer_cb cb,
                                   void *data) {
    nb_timer_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->self = self;
    t->cb = cb;
    t->data = data;
    if ((t->clock = nb__clock_timer_start(api_loop, timeout_ms, repeat_ms, timer_fire, t)) == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

/* Stops and frees a timer; safe from inside its own callback (the clock defers its part). */
static void api_timer_stop(nb_timer_t *t) {
    if (t == NULL)
        return;
    nb__clock_timer_stop(t->clock);
    free(t);
}

static void api_log(nb_plugin_t *self, nb_log_level_t level, const char *fmt, ...) {
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level == NB_LOG_DEBUG && !(api_cfg && api_cfg->debug))
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%5s %s: ", names[level <= NB_LOG_ERROR ? level : NB_LOG_ERROR],
            self && self->def ? self->def->name : "nimbus");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static nb_result_t api_reply_status(nb_req_t *req, int status) {
    if (status < 100 || status > 599)
        return NB_FAILED(NB_EINVAL);
    req->status = status;
    return NB_DONE;
}

/* ---- Blobs of the plugin's store (core/store/blob.c). ---- */

static int api_blob_put_body(nb_plugin_t *p, const char *key, nb_body_t *body) {
    if (p == NULL || p->store == NULL || body == NULL)
        return NB_EINVAL;
    const char *path = nb__body_path(body);
    if (path != NULL && nb__body_is_temp(body)) {
        /* The spilled upload becomes the blob: a rename, not a copy. */
        int rc = nb__store_blob_put_file(p->store, key, path);
        if (rc == 0)
            nb__body_keep_file(body);
        return rc;
    }
    return nb__store_blob_put_body(p->store, key, body);
}

static nb_body_t *api_blob_body_new(nb_plugin_t *p, const char *key, int64_t offset, int64_t length) {
    char *path = NULL;
    if (p == NULL || p->store == NULL || nb__store_blob_path(p->store, key, &path) != 0)
        return NULL;
    nb_body_t *b = nb__body_from_file(path, offset, length);
    free(path);
    return b;
}

static int api_blob_remove(nb_plugin_t *p, const char *key) {
    return p && p->store ? nb__store_blob_remove(p->store, key) : NB_EINVAL;
}

static int api_blob_remove_at_commit(nb_plugin_t *p, const char *key) {
    return p && p->store ? nb__store_blob_remove_at_commit(p->store, key) : NB_EINVAL;
}

static int api_blob_writer_new(nb_plugin_t *p, const char *key, nb_blob_writer_t **out) {
    if (p == NULL || p->store == NULL || out == NULL)
        return NB_EINVAL;
    nb__store_blob_writer_t *w = NULL;
    int rc = nb__store_blob_begin(p->store, key, &w);
    *out = (nb_blob_writer_t *)w;
    return rc;
}

static int api_blob_write(nb_blob_writer_t *w, const void *data, size_t len) {
    return nb__store_blob_append((nb__store_blob_writer_t *)w, data, len);
}

static int api_blob_writer_finish(nb_blob_writer_t *w) {
    return nb__store_blob_finish((nb__store_blob_writer_t *)w);
}

static void api_blob_writer_abort(nb_blob_writer_t *w) { nb__store_blob_abort((nb__store_blob_writer_t *)w); }

static ssize_t api_req_query(const nb_req_t *req, const char *name, char *buf, size_t cap) {
    const char *q = req->http->query;
    size_t nlen = strlen(name);
    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        size_t dlen = 0;
        char *key = nb__url_decode(q, klen, true, &dlen);
        bool hit = key && dlen == nlen && memcmp(key, name, nlen) == 0;
        free(key);
        if (hit) {
            char *v = eq ? nb__url_decode(eq + 1, len - klen - 1, true, &dlen) : strdup("");
            if (v == NULL)
                return -1;
            if (!eq)
                dlen = 0;
            if (cap > 0) {
                size_t n = dlen < cap - 1 ? dlen : cap - 1;
                memcpy(buf, v, n);
                buf[n] = '\0';
            }
            free(v);
            return (ssize_t)dlen;
        }
        q = end ? end + 1 : NULL;
    }
    return -1;
}

typedef struct nb__work {
    uv_work_t w;
    nb_req_t *req;
    void (*work)(void *data);
    void (*done)(nb_req_t *req, void *data);
    void *data;
} nb__work_t;

static void work_run(uv_work_t *w) {
    nb__work_t *k = w->data;
    k->work(k->data);
}

/* done() inside a transaction of its own; even for a client gone, what it stored (a blob
 * already moved into place) is kept consistent with its rows: committed unless it set an
 * error. A transaction that cannot begin still lets done() release what work made; the
 * request answers InternalError. */
static void work_after(uv_work_t *w, int status) {
    (void)status;
    nb__work_t *k = w->data;
    nb_req_t *req = k->req;
    nb__store_t *st = nb__txn_req_store(req);
    bool in_txn = nb__txn_begin(st) == 0;
    if (!in_txn)
        nb__txn_failed(req);
    k->done(req, k->data);
    free(k);
    if (in_txn && nb__txn_end(st, !req->has_error) != 0)
        nb__txn_failed(req);
    nb__txn_complete_at_end(req); /* with group commit, once the loop turn's writes are durable */
}

static int api_work_queue(nb_req_t *req, void (*work)(void *), void (*done)(nb_req_t *, void *), void *data) {
    if (req == NULL || work == NULL || done == NULL || api_loop == NULL)
        return NB_EINVAL;
    nb__work_t *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NB_ENOMEM;
    k->w.data = k;
    k->req = req;
    k->work = work;
    k->done = done;
    k->data = data;
    int rc = uv_queue_work(api_loop, &k->w, work_run, work_after);
    if (rc != 0) {
        free(k);
        return NB_EIO;
    }
    return 0;
}

/* ---- Transaction hooks (ABI 1.6): kept by the store with its open transaction. ---- */

static int api_on_commit(nb_plugin_t *self, void (*cb)(void *), void *data) {
    return self ? nb__store_hook_add(self->store, NB__STORE_ON_COMMIT, cb, data) : NB_EINVAL;
}
static int api_on_rollback(nb_plugin_t *self, void (*cb)(void *), void *data) {
    return self ? nb__store_hook_add(self->store, NB__STORE_ON_ROLLBACK, cb, data) : NB_EINVAL;
}
static int api_req_on_commit(nb_req_t *req, void (*cb)(void *), void *data) {
    return req ? nb__store_hook_add(nb__txn_req_store(req), NB__STORE_ON_COMMIT, cb, data) : NB_EINVAL;
}
static int api_req_on_rollback(nb_req_t *req, void (*cb)(void *), void *data) {
    return req ? nb__store_hook_add(nb__txn_req_store(req), NB__STORE_ON_ROLLBACK, cb, data) : NB_EINVAL;
}

const nb_api_t nb__api = {
    .size = sizeof(nb_api_t),
    .reply_new = api_reply_new,
    .reply_body_new = api_reply_body_new,
    .reply_header = api_reply_header,
    .error = api_error,
    .error_code = api_error_code,
    .finish = api_finish,
    .req_account = api_req_account,
    .req_region = api_req_region,
    .req_id = api_req_id,
    .req_operation = api_req_operation,
    .req_header = api_req_header,
    .req_host = api_req_host,
    .req_body = api_req_body,
    .req_plugin = api_req_plugin,
    .req_on_abort = api_req_on_abort,
    .body_size = api_body_size,
    .body_read = api_body_read,
    .body_path = api_body_path,
    .body_from_file_new = api_body_from_file,
    .body_from_mem_new = api_body_from_mem,
    .body_free = api_body_free,
    .plugin_data = api_plugin_data,
    .plugin_set_data = api_plugin_set_data,
    .config_get = api_config_get,
    .store_db = api_store_db,
    .timer_start = api_timer_start,
    .timer_stop = api_timer_stop,
    .log = api_log,
    .now = nb__clock_now,
    .reply_status = api_reply_status,
    .blob_put_body = api_blob_put_body,
    .blob_body_new = api_blob_body_new,
    .blob_remove = api_blob_remove,
    .blob_remove_at_commit = api_blob_remove_at_commit,
    .call = nb__gateway_call,
    .req_on_complete = api_req_on_complete,
    .blob_writer_new = api_blob_writer_new,
    .blob_write = api_blob_write,
    .blob_writer_finish = api_blob_writer_finish,
    .blob_writer_abort = api_blob_writer_abort,
    .req_query = api_req_query,
    .work_queue = api_work_queue,
    .partition = nb__partition_of,
    .strerror = nb_strerror,
    /* ABI 1.6: child processes, streamed responses, raw HTTP endpoints (core/proc/) */
    .proc_spawn = nb__proc_spawn,
    .proc_kill = nb__proc_kill,
    .proc_write = nb__proc_write,
    .proc_close_stdin = nb__proc_close_stdin,
    .proc_pid = nb__proc_pid,
    .reply_stream_begin = nb__reply_stream_begin,
    .stream_write = nb__stream_write,
    .stream_write_message = nb__stream_write_message,
    .stream_write_event = nb__stream_write_event,
    .stream_end = nb__stream_end,
    .stream_on_cancel = nb__stream_on_cancel,
    .stream_queued = nb__stream_queued,
    .listen = nb__endpoint_listen,
    .listener_port = nb__endpoint_listener_port,
    .listener_close = nb__endpoint_listener_close,
    .route_prefix = nb__endpoint_route_prefix,
    .http_method = nb__http_method,
    .http_path = nb__http_path,
    .http_query = nb__http_query,
    .http_header = nb__http_header,
    .http_body = nb__http_body,
    .http_reply_header = nb__http_reply_header,
    .http_respond = nb__http_respond_raw,
    .http_stream_begin = nb__http_stream_begin,
    .http_on_abort = nb__http_on_abort,
    .setting_string = nb__api_setting_string,
    .setting_int = nb__api_setting_int,
    .setting_bool = nb__api_setting_bool,
    .setting_seconds = nb__api_setting_seconds,
    .event_publish = nb__event_publish,
    .event_subscribe = nb__event_subscribe,
    .event_unsubscribe = nb__event_unsubscribe,
    .req_alloc = nb__req_alloc,
    .req_strdup = nb__req_strdup,
    .req_printf = nb__req_printf,
    .req_on_free = nb__req_on_free,
    .req_on_commit = api_req_on_commit,
    .req_on_rollback = api_req_on_rollback,
    .on_commit = api_on_commit,
    .on_rollback = api_on_rollback,
    .call_async = nb__api_call_async,
    .call_cancel = nb__call_cancel,
    .util = &nb__util_api,
    .sigv4_signature = nb__sigv4_signature,
    .sigv2_signature = nb__sigv2_signature,
    /* ABI 1.8: credential registry */
    .credentials_put = nb__credentials_put,
    .credentials_delete = nb__credentials_delete,
    .credentials_get = nb__credentials_get,
    .req_principal_arn = nb__req_principal_arn,
    .req_user_id = nb__req_user_id,
    .event_subscribed = nb__event_subscribed,
    /* ---- ABI 1.9 ---- */
    /* stored JSON documents */
    .json_parse = nb__json_doc_parse,
    .json_text = nb__json_doc_text,
    /* IAM policies: the evaluator, and enforcement's cache and session policies */
    .policy_eval = nb__api_policy_eval,
    .policy_key = nb__api_policy_key,
    .policy_condition_keys = nb__policy_condition_keys,
    .authz_changed = nb__api_authz_changed,
    .credentials_session_policy = nb__credentials_session_policy,
    .authz_document = nb__api_authz_document,
    /* ---- ABI 1.10 ---- */
    /* outbound HTTP requests (core/net/http_out.c) */
    .http_send = nb__http_send,
    .http_cancel = nb__http_cancel,
    /* IAM policy enforcement per item of a request */
    .authz_check = nb__api_authz_check,
    /* ---- ABI 1.11 ---- */
    /* whether IAM enforcement is on */
    .authz_enforced = api_authz_enforced,
    /* a reply from JSON text (core/gateway/reply_text.c) */
    .reply_json_text = nb__reply_json_text,
};
