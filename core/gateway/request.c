#include "gateway/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "store/store.h"
#include "util/codec.h"
#include "util/util_api.h"
#include "util/partition.h"

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void log_line(nb_req_t *req, int status) {
    nb__gateway_t *gw = req->gw;
    if (gw->log == NULL)
        return;
    double ms = (double)(uv_hrtime() - req->start_ns) / 1e6;
    static char ts[40];
    static time_t ts_second = -1; /* the formatted second, reused by every line within it */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (now.tv_sec != ts_second) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        ts_second = now.tv_sec;
    }
    const char *svc = req->route.spec ? req->route.spec->service : "unknown";
    const char *op = req->route.op ? req->route.op->name : "UnknownOperation";
    if (req->has_error)
        fprintf(gw->log, "%s.%03ld  INFO AWS %s.%s => %d (%s) (%.2f ms)\n", ts, now.tv_nsec / 1000000, svc, op,
                status, req->err.code, ms);
    else
        fprintf(gw->log, "%s.%03ld  INFO AWS %s.%s => %d (%.2f ms)\n", ts, now.tv_nsec / 1000000, svc, op, status, ms);
}

void nb__req_report(nb_req_t *req, const nb__http_response_t *resp) {
    void (*cb)(nb_req_t *, const nb_req_summary_t *, void *) = req->on_complete;
    req->on_complete = NULL;
    if (cb == NULL)
        return;
    if (resp == NULL) {
        cb(req, NULL, req->complete_data);
        return;
    }
    nb_req_summary_t s = {
        .status = resp->status,
        .error_code = req->has_error ? req->err.code : NULL,
        .bytes_sent = resp->no_body ? 0 : resp->stream ? nb__body_size(resp->stream) : (int64_t)resp->body.len,
        .total_ms = (double)(uv_hrtime() - req->start_ns) / 1e6,
        .method = req->http->method,
        .target = req->http->target,
        .peer = req->http->peer,
    };
    cb(req, &s, req->complete_data);
}

void nb__req_free(nb_req_t *req) {
    json_decref(req->output);
    nb__body_free(req->out_body);
    nb__headers_free(&req->out_headers);
    nb__aws_error_clear(&req->err);
    free(req);
}

void nb__req_complete(nb_req_t *req) {
    if (req->x == NULL)
        return; /* checked from its head: answered once the server hands it over (nb__gateway_handle) */
    if (req->done)
        return;
    req->done = true;
    /* The handler's transaction, if it ran synchronously (an async handler's was
     * committed when it returned; a request that failed before its handler has none).
     * An acknowledged write must be durable: commit before anything is sent. */
    nb__store_t *st = req->svc && req->svc->provider ? req->svc->provider->store : NULL;
    if (st != NULL && req->in_txn) {
        req->in_txn = false;
        if (req->has_error || req->aborted)
            nb__store_rollback(st);
        else if (nb__store_commit(st) != 0) {
            fprintf(stderr, "nimbus: %s\n", nb__store_errmsg(st));
            req->has_error = true;
            nb__aws_error_set(&req->err, req->route.spec, req->route.op, "InternalError", 500,
                              "the state store could not commit the write");
        }
    }
    if (req->aborted) {
        nb__http_response_t none; /* nb__http_respond() takes a response even for a gone client */
        nb__http_response_init(&none);
        nb__req_report(req, NULL);
        nb__http_respond(req->x, &none);
        nb__http_response_free(&none);
        nb__req_free(req);
        return;
    }
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__proto_ctx_t pctx = {
        .request_id = req->request_id,
        .query_mode = req->query_mode,
        .head = strcmp(req->http->method, "HEAD") == 0,
    };
    const nb__spec_t *spec = req->route.spec;
    const nb__spec_op_t *op = req->route.op;
    nb__protocol_t proto = req->route.protocol ? req->route.protocol : NB_PROTO_JSON;

    int rc = 0;
    if (!req->has_error) {
        nb_body_t *stream = req->out_body;
        req->out_body = NULL;
        rc = nb__proto_serialize(spec, op, proto, req->output, stream, &pctx, &resp);
        if (rc == 0 && req->status)
            resp.status = req->status;
        if (rc != 0) {
            nb__http_response_free(&resp);
            nb__http_response_init(&resp);
            req->has_error = true;
            nb__aws_error_set(&req->err, spec, op, "InternalFailure", 500,
                              "the response could not be serialized (%s)", nb_strerror(rc));
        }
    }
    if (req->has_error)
        nb__proto_serialize_error(spec, op, proto, &req->err, &pctx, &resp);
    for (size_t i = 0; i < req->out_headers.len; i++)
        nb__headers_set(&resp.headers, req->out_headers.items[i].name, req->out_headers.items[i].value);
    nb__cors_headers(req->gw->cfg, &req->route, req->http, &resp);
    if (pctx.head)
        resp.no_body = true;
    log_line(req, resp.status);
    nb__req_report(req, &resp);
    if (req->gw->log && req->gw->cfg && req->gw->cfg->debug)
        nb__debug_log_exchange(req->gw->log, req, &resp);
    nb__http_respond(req->x, &resp);
    nb__http_response_free(&resp);
    nb__req_free(req);
}

static void set_error_v(nb_req_t *req, const char *code, int status, json_t *fields, const char *fmt, va_list ap) {
    char *message = NULL;
    if (fmt && vasprintf(&message, fmt, ap) < 0)
        message = NULL;
    nb__aws_error_clear(&req->err);
    req->err.fields = fields;
    nb__aws_error_set(&req->err, req->route.spec, req->route.op, code, status, "%s", message ? message : "");
    free(message);
    req->has_error = true;
    req->replied = true;
}

void nb__req_fail(nb_req_t *req, const char *code, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error_v(req, code, status, NULL, fmt, ap);
    va_end(ap);
    nb__req_complete(req);
}

/* ---- The function table plugins call (nb_api_t). ---- */

static int api_reply_new(nb_req_t *req, json_t *output) {
    json_decref(req->output);
    req->output = output ? output : json_object();
    req->replied = true;
    return 0;
}

static int api_reply_body_new(nb_req_t *req, nb_body_t *body) {
    nb__body_free(req->out_body);
    req->out_body = body;
    return 0;
}

static int api_reply_header(nb_req_t *req, const char *name, const char *value) {
    return nb__headers_set(&req->out_headers, name, value);
}

static int api_error(nb_req_t *req, const char *code, json_t *fields_new, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error_v(req, code, 0, fields_new, fmt, ap);
    va_end(ap);
    return 0;
}

static int api_error_code(nb_req_t *req, const char *code, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error_v(req, code, status, NULL, fmt, ap);
    va_end(ap);
    return 0;
}

static nb__store_t *req_store(nb_req_t *req) {
    return req->svc && req->svc->provider ? req->svc->provider->store : NULL;
}

/* An async request's handler transaction was committed when it returned NB_ASYNC
 * (gateway.c): what the plugin does until now gets a transaction of its own. */
static void api_finish(nb_req_t *req) {
    nb__store_t *st = req_store(req);
    if (st && !req->aborted && !req->in_txn && nb__store_depth(st) == 0 && nb__store_begin(st) == 0)
        req->in_txn = true;
    nb__req_complete(req);
}

static const char *api_req_account(const nb_req_t *req) { return req->ctx.account; }
static const char *api_req_region(const nb_req_t *req) { return req->ctx.region; }
static const char *api_req_id(const nb_req_t *req) { return req->request_id; }
static const char *api_req_operation(const nb_req_t *req) { return req->route.op ? req->route.op->name : NULL; }
static const char *api_req_header(const nb_req_t *req, const char *name) {
    return nb__http_request_header(req->http, name);
}
static const char *api_req_host(const nb_req_t *req) { return nb__http_request_header(req->http, "Host"); }
static nb_body_t *api_req_body(nb_req_t *req) { return req->http->body; }
static nb_plugin_t *api_req_plugin(const nb_req_t *req) { return req->svc ? req->svc->provider : NULL; }
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
static sqlite3 *api_store_db(nb_plugin_t *p) { return p->store ? nb__store_db(p->store) : NULL; }

struct nb_timer {
    uv_timer_t handle;
    nb_timer_cb cb;
    void *data;
    bool repeat;
};

static uv_loop_t *api_loop;
void nb__api_set_loop(uv_loop_t *loop) { api_loop = loop; }

static void timer_closed(uv_handle_t *h) { free(h->data); }

static void timer_fire(uv_timer_t *h) {
    nb_timer_t *t = h->data;
    bool repeat = t->repeat;
    t->cb(t, t->data);
    (void)repeat;
}

static nb_timer_t *api_timer_start(nb_plugin_t *self, uint64_t timeout_ms, uint64_t repeat_ms, nb_timer_cb cb,
                                   void *data) {
    (void)self;
    nb_timer_t *t = calloc(1, sizeof *t);
    if (t == NULL || api_loop == NULL) {
        free(t);
        return NULL;
    }
    uv_timer_init(api_loop, &t->handle);
    uv_unref((uv_handle_t *)&t->handle); /* timers never keep the server alive on their own */
    t->handle.data = t;
    t->cb = cb;
    t->data = data;
    t->repeat = repeat_ms != 0;
    uv_timer_start(&t->handle, timer_fire, timeout_ms, repeat_ms);
    return t;
}

/* Stops and frees a timer; safe from inside its own callback. */
static void api_timer_stop(nb_timer_t *t) {
    if (t == NULL)
        return;
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, timer_closed);
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

static int api_reply_status(nb_req_t *req, int status) {
    if (status < 100 || status > 599)
        return NB_EINVAL;
    req->status = status;
    return 0;
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

static void work_after(uv_work_t *w, int status) {
    (void)status;
    nb__work_t *k = w->data;
    nb_req_t *req = k->req;
    nb__store_t *st = req_store(req);
    if (st && !req->in_txn && nb__store_begin(st) == 0)
        req->in_txn = true;
    k->done(req, k->data);
    free(k);
    if (req->aborted && req->in_txn) {
        /* Nobody gets a response, but what done() stored (a blob already moved into
         * place) is kept consistent with its rows. */
        req->in_txn = false;
        if (req->has_error)
            nb__store_rollback(st);
        else
            nb__store_commit(st);
    }
    nb__req_complete(req);
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
    .now = wall_now,
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
    .util = &nb__util_api,
};
