/*
 * The response side of a connection: serialising a response's head into one
 * buffer, writing head and body in a single uv_write, and streaming file
 * bodies a chunk at a time (read on the thread pool, next read only once the
 * previous chunk is written, so memory stays flat whatever the size).
 * Responses leave in request order, whatever order the handler answers in.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "http/server_int.h"
#include "nimbus/errno.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static int put(nb__buf_t *b, const char *s, size_t n) { return nb__buf_append(b, s, n); }
#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static int put_u64(nb__buf_t *b, uint64_t v) {
    char tmp[24], *p = tmp + sizeof tmp;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return put(b, p, (size_t)(tmp + sizeof tmp - p));
}

static const char *date_now(nb__http_server_t *srv) {
    time_t now = time(NULL);
    if (now != srv->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(srv->date, sizeof srv->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        srv->date_sec = now;
    }
    return srv->date;
}

static bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

static int64_t body_length(const nb__http_response_t *r) {
    return r->stream ? nb__body_size(r->stream) : (int64_t)r->body.len;
}

/* The head into x->head; decides whether the connection closes after x. */
static int build_head(nb__http_conn_t *c, nb__http_exchange_t *x) {
    nb__http_response_t *r = &x->resp;
    nb__buf_t *b = &x->head;
    int status = r->status >= 100 && r->status <= 999 ? r->status : 500;
    const char *reason = nb__http_reason(status);
    bool has_date = false, handler_cl = false;
    for (size_t i = 0; i < r->headers.len; i++) {
        const char *n = r->headers.items[i].name;
        if (strcasecmp(n, "Connection") == 0 && strcasestr(r->headers.items[i].value, "close"))
            x->close_after = true;
        else if (strcasecmp(n, "Date") == 0)
            has_date = true;
        else if (strcasecmp(n, "Content-Length") == 0)
            handler_cl = true;
    }
    if (!x->keep_alive)
        x->close_after = true;
    /* A closing server (or a client that half-closed) ends the connection
     * after the last answer it owes. */
    if ((c->srv->closing || c->eof) && x->next == NULL && c->cur == NULL)
        x->close_after = true;
    if (x->close_after)
        c->no_more = true;
    bool keep_cl = r->no_body && handler_cl;

    nb__buf_reset(b);
    int rc = nb__buf_reserve(b, 128 + 64 * r->headers.len);
    rc |= PUTS(b, "HTTP/1.1 ");
    rc |= put_u64(b, (uint64_t)status);
    rc |= PUTS(b, " ");
    rc |= put(b, reason, strlen(reason));
    rc |= PUTS(b, "\r\n");
    for (size_t i = 0; i < r->headers.len; i++) {
        const nb__header_t *h = &r->headers.items[i];
        if (strcasecmp(h->name, "Connection") == 0 || (!keep_cl && strcasecmp(h->name, "Content-Length") == 0) ||
            strcasecmp(h->name, "Transfer-Encoding") == 0)
            continue;
        rc |= put(b, h->name, strlen(h->name));
        rc |= PUTS(b, ": ");
        rc |= put(b, h->value, strlen(h->value));
        rc |= PUTS(b, "\r\n");
    }
    if (!has_date) {
        const char *d = date_now(c->srv);
        rc |= PUTS(b, "Date: ");
        rc |= put(b, d, strlen(d));
        rc |= PUTS(b, "\r\n");
    }
    if (!keep_cl && status_has_body(status)) {
        rc |= PUTS(b, "Content-Length: ");
        rc |= put_u64(b, (uint64_t)body_length(r));
        rc |= PUTS(b, "\r\n");
    }
    if (x->close_after)
        rc |= PUTS(b, "Connection: close\r\n");
    else if (x->http10)
        rc |= PUTS(b, "Connection: keep-alive\r\n");
    rc |= PUTS(b, "\r\n");
    return rc ? NB_ENOMEM : 0;
}

static void on_write(uv_write_t *req, int status);

static void work_read(uv_work_t *w) {
    nb__http_exchange_t *x = w->data;
    int64_t left = x->stream_len - x->stream_off;
    size_t n = left < NB__HTTP_CHUNK ? (size_t)left : NB__HTTP_CHUNK;
    x->chunk_len = nb__body_read(x->resp.stream, x->stream_off, x->chunk, n);
}

static void after_read(uv_work_t *w, int status) {
    nb__http_exchange_t *x = w->data;
    x->work_busy = false;
    if (x->orphan) { /* the connection went away meanwhile */
        nb__exchange_free(x);
        return;
    }
    nb__http_conn_t *c = x->conn;
    if (c->closing)
        return; /* the connection's close callback frees x */
    if (status < 0 || x->chunk_len <= 0) {
        nb__conn_close(c); /* the head promised more bytes than we can send */
        return;
    }
    uv_buf_t bufs[2];
    unsigned n = 0;
    if (!x->head_sent) {
        bufs[n++] = uv_buf_init(x->head.data, (unsigned)x->head.len);
        x->head_sent = true;
    }
    bufs[n++] = uv_buf_init(x->chunk, (unsigned)x->chunk_len);
    x->stream_off += x->chunk_len;
    x->wr.data = x;
    c->last_write = uv_now(c->srv->loop);
    if (uv_write(&x->wr, (uv_stream_t *)&c->tcp, bufs, n, on_write) != 0)
        nb__conn_close(c);
}

static int read_next_chunk(nb__http_exchange_t *x) {
    if (x->chunk == NULL && (x->chunk = malloc(NB__HTTP_CHUNK)) == NULL)
        return NB_ENOMEM;
    x->work.data = x;
    x->work_busy = true;
    if (uv_queue_work(x->conn->srv->loop, &x->work, work_read, after_read) != 0) {
        x->work_busy = false;
        return NB_EIO;
    }
    return 0;
}

static void on_write(uv_write_t *req, int status) {
    nb__http_exchange_t *x = req->data;
    nb__http_conn_t *c = x->conn;
    if (status < 0) {
        nb__conn_close(c);
        return;
    }
    if (c->closing)
        return;
    c->last_write = uv_now(c->srv->loop);
    if (x->streaming && x->stream_off < x->stream_len) {
        if (read_next_chunk(x) != 0)
            nb__conn_close(c);
        return;
    }
    /* Writes complete in the order they were issued, so x is the queue head. */
    c->qhead = x->next;
    if (c->qtail == x)
        c->qtail = NULL;
    c->nqueued--;
    bool close = x->close_after;
    nb__exchange_release(c, x);
    if (close) {
        nb__conn_shutdown(c);
        return;
    }
    if (c->qhead == NULL) {
        c->last_activity = uv_now(c->srv->loop);
        if (c->eof) {
            nb__conn_close(c);
            return;
        }
        if (c->srv->closing && c->cur == NULL) {
            nb__conn_shutdown(c);
            return;
        }
    }
    nb__conn_flush(c);
    nb__conn_resume(c);
    nb__conn_timer_update(c);
}

static void on_continue_written(uv_write_t *req, int status) {
    nb__http_conn_t *c = req->data;
    free(req);
    if (status < 0)
        nb__conn_close(c);
}

static int write_continue(nb__http_conn_t *c) {
    uv_write_t *req = malloc(sizeof *req);
    if (req == NULL)
        return NB_ENOMEM;
    req->data = c;
    uv_buf_t buf = uv_buf_init((char *)continue_line, sizeof continue_line - 1);
    if (uv_write(req, (uv_stream_t *)&c->tcp, &buf, 1, on_continue_written) != 0) {
        free(req);
        return NB_EIO;
    }
    return 0;
}

static int submit(nb__http_conn_t *c, nb__http_exchange_t *x) {
    if (build_head(c, x) != 0)
        return NB_ENOMEM;
    x->state = NB__X_SUBMITTED;
    c->last_write = uv_now(c->srv->loop);
    nb__http_response_t *r = &x->resp;
    int64_t len = body_length(r);
    bool send_body = !x->head_only && !r->no_body && status_has_body(r->status) && len > 0;
    if (send_body && r->stream && nb__body_path(r->stream)) {
        x->streaming = true;
        x->stream_off = 0;
        x->stream_len = len;
        return read_next_chunk(x);
    }
    uv_buf_t bufs[2];
    unsigned n = 0;
    bufs[n++] = uv_buf_init(x->head.data, (unsigned)x->head.len);
    if (send_body) {
        const char *data = r->stream ? nb__body_data(r->stream, SIZE_MAX) : r->body.data;
        if (data == NULL)
            return NB_EIO;
        bufs[n++] = uv_buf_init((char *)data, (unsigned)len);
    }
    x->head_sent = true;
    x->wr.data = x;
    c->last_write = uv_now(c->srv->loop);
    return uv_write(&x->wr, (uv_stream_t *)&c->tcp, bufs, n, on_write) == 0 ? 0 : NB_EIO;
}

void nb__conn_flush(nb__http_conn_t *c) {
    if (c->closing || c->shutting)
        return;
    for (nb__http_exchange_t *x = c->qhead; x; x = x->next) {
        if (x->state == NB__X_SUBMITTED) {
            if (x->streaming || x->close_after)
                break; /* later answers wait for this one to be fully sent */
            continue;
        }
        if (x->state == NB__X_PARSING) {
            if (x->expect_continue && !x->continue_sent) {
                x->continue_sent = true;
                if (write_continue(c) != 0) {
                    nb__conn_close(c);
                    return;
                }
            }
            break;
        }
        if (x->state == NB__X_HANDLER)
            break;
        if (submit(c, x) != 0) {
            nb__conn_close(c);
            return;
        }
        if (x->streaming || x->close_after)
            break;
    }
    nb__conn_timer_update(c);
}

void nb__http_respond(nb__http_exchange_t *x, nb__http_response_t *resp) {
    if (!x->aborted && x->state != NB__X_HANDLER) { /* answered twice: the first answer stands */
        nb__http_response_free(resp);
        nb__http_response_init(resp);
        return;
    }
    nb__http_response_free(&x->resp);
    x->resp = *resp;
    nb__http_response_init(resp);
    if (x->aborted) {
        nb__exchange_free(x);
        return;
    }
    nb__http_conn_t *c = x->conn;
    c->srv->inflight--;
    nb__http_request_free(&x->req); /* a spilled upload's temp file goes now */
    x->state = NB__X_RESPONDED;
    if (c->waiting == x)
        c->waiting = NULL;
    nb__conn_flush(c);
    nb__conn_resume(c);
}
