/*
 * Streamed responses of AWS operations (nimbus/stream.h): the handler's writes commit, the
 * head goes out serialized like any answer of the operation (its header members, request id,
 * CORS), then the body follows as the plugin writes it (core/http/chunked.c), framed as AWS
 * event-stream messages when the plugin asks (core/proto/eventstream.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/request.h"
#include "gateway/txn.h"
#include "http/body.h"
#include "proc/proc.h"
#include "proto/eventstream.h"
#include "proto/shape.h"
#include "spec/spec.h"
#include "store/store.h"

/* The request outlives nb_reply_stream_begin until the handler that called it has returned:
 * it is freed from the loop, never under the handler's feet. */
typedef struct req_reaper {
    uv_timer_t timer;
    nb_req_t *req;
} req_reaper_t;

static void reaper_closed(uv_handle_t *h) { free(h->data); }

static void reap_req(uv_timer_t *t) {
    req_reaper_t *r = t->data;
    nb__req_free(r->req);
    uv_close((uv_handle_t *)t, reaper_closed);
}

static int free_req_later(nb_req_t *req) {
    req_reaper_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NB_ENOMEM;
    r->req = req;
    uv_timer_init(req->gw->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, reap_req, 0, 0);
    return 0;
}

/* The handler's writes are durable before a byte of the answer goes out. Whoever opened the
 * transaction open now (the handler's, a timer's: txn.c) still ends one: what is written so
 * far commits here and the rest of the code runs in a fresh transaction. */
static int commit_writes(nb_req_t *req) {
    nb__store_t *st = nb__txn_req_store(req);
    if (st == NULL || nb__store_depth(st) != 1)
        return 0; /* none open (a process or event callback), or inside a savepoint: left to its owner */
    int rc = nb__txn_end(st, true);
    if (rc == 0)
        rc = nb__store_group_end(st); /* with group commit: durable now, not at the loop turn's end */
    if (nb__txn_begin(st) != 0)
        return NB_ESTORE;
    return rc;
}

/* The head: what the operation's output serializes to (header members, request id), the
 * plugin's headers, CORS. An output with an event stream keeps its serialized body, the start
 * of the stream: what the protocol sends before the events (the JSON protocols' initial-response
 * event, holding the output's other members) and the events the output already holds. */
static void stream_head(nb_req_t *req, nb__http_response_t *resp) {
    nb__proto_ctx_t pctx = {.request_id = req->request_id, .query_mode = req->query_mode};
    nb__protocol_t proto = req->route.protocol ? req->route.protocol : NB_PROTO_JSON;
    json_t *output = req->output ? req->output : json_object();
    if (nb__proto_serialize(req->route.spec, req->route.op, proto, output, NULL, &pctx, resp) != 0) {
        nb__http_response_free(resp);
        nb__http_response_init(resp);
        nb__headers_set(&resp->headers, "x-amzn-RequestId", req->request_id);
    }
    if (output != req->output)
        json_decref(output);
    resp->status = req->status ? req->status : 200;
    const json_t *out_shape = req->route.op->output;
    struct nb__member m;
    if (out_shape && nb__es_member(req->route.spec, out_shape, &m))
        nb__headers_set(&resp->headers, "Content-Type", NB_EVENTSTREAM_CONTENT_TYPE);
    else
        nb__buf_reset(&resp->body); /* a plain output's document is no start of a stream */
    for (size_t i = 0; i < req->out_headers.len; i++)
        nb__headers_set(&resp->headers, req->out_headers.items[i].name, req->out_headers.items[i].value);
    nb__cors_headers(req->gw->cfg, &req->route, req->http, resp);
}

int nb__reply_stream_begin(nb_req_t *req, nb_stream_t **out) {
    if (out)
        *out = NULL;
    if (req == NULL || out == NULL || req->x == NULL || req->done)
        return NB_EINVAL;
    if (req->aborted)
        return NB_EIO;
    if (commit_writes(req) != 0)
        return NB_ESTORE;
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    stream_head(req, &resp);
    if (free_req_later(req) != 0) {
        nb__http_response_free(&resp);
        return NB_ENOMEM;
    }
    req->done = true; /* nb_finish and the handler's return leave it to the stream */
    nb__req_log(req, &resp); /* the logs and the report a buffered answer gets at its end */
    nb__buf_t start = resp.body;
    resp.body = (nb__buf_t)NB__BUF_INIT;
    *out = nb__http_respond_stream(req->x, &resp);
    nb__http_response_free(&resp);
    if (*out && start.len && nb__http_stream_write(*out, start.data, start.len, NULL, NULL) < 0) {
        nb__http_stream_end(*out, NULL, NULL);
        *out = NULL;
    }
    nb__buf_free(&start);
    return *out ? 0 : NB_ENOMEM;
}

int nb__stream_write(nb_stream_t *s, const void *data, size_t len, nb_stream_done_cb done, void *done_data) {
    return nb__http_stream_write(s, data, len, done, done_data);
}

int nb__stream_write_message(nb_stream_t *s, const nb_event_header_t *headers, size_t nheaders, const void *payload,
                             size_t len, nb_stream_done_cb done, void *done_data) {
    if (s == NULL || (headers == NULL && nheaders) || (payload == NULL && len))
        return NB_EINVAL;
    nb__buf_t frame = {0};
    int rc = nb__es_message(&frame, headers, nheaders, payload, len);
    if (rc == 0)
        rc = nb__http_stream_write(s, frame.data, frame.len, done, done_data);
    nb__buf_free(&frame);
    return rc;
}

int nb__stream_write_event(nb_stream_t *s, const char *event_type, const char *content_type, const void *payload,
                           size_t len, nb_stream_done_cb done, void *done_data) {
    if (event_type == NULL)
        return NB_EINVAL;
    nb_event_header_t h[3] = {
        {.name = ":message-type", .type = NB_EVENT_STRING, .data = "event", .len = 5},
        {.name = ":event-type", .type = NB_EVENT_STRING, .data = event_type, .len = strlen(event_type)},
        {.name = ":content-type", .type = NB_EVENT_STRING, .data = content_type,
         .len = content_type ? strlen(content_type) : 0},
    };
    return nb__stream_write_message(s, h, content_type ? 3 : 2, payload, len, done, done_data);
}

int nb__stream_end(nb_stream_t *s, nb_stream_done_cb done, void *done_data) {
    return nb__http_stream_end(s, done, done_data);
}

void nb__stream_on_cancel(nb_stream_t *s, void (*cb)(nb_stream_t *s, void *data), void *data) {
    if (s)
        nb__http_stream_on_cancel(s, cb, data);
}

size_t nb__stream_queued(const nb_stream_t *s) { return s ? nb__http_stream_queued(s) : 0; }
