/*
 * The response side of a connection: serialising a response's head into one
 * buffer, writing head and body in a single uv_write, and streaming file
 * bodies a chunk at a time (read on the thread pool while the previous chunk
 * is written; no more than two chunks, so memory stays flat whatever the size).
 * Responses leave in request order, whatever order the handler answers in.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "http/server_int.h"
#include "nimbus/errno.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

/* The head is measured first and reserved whole: the writes below only copy. */
static char *put(char *d, const char *s, size_t n) { return (char *)memcpy(d, s, n) + n; }
#define PUTS(d, lit) put((d), (lit), sizeof(lit) - 1)
#define U64_DIGITS 20

static char *put_u64(char *d, uint64_t v) {
    char tmp[U64_DIGITS], *p = tmp + sizeof tmp;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return put(d, p, (size_t)(tmp + sizeof tmp - p));
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

#define IS(h, lit) nb__header_is((h), (lit), sizeof(lit) - 1)

/* The head into x->head; decides whether the connection closes after x. */
static int build_head(nb__http_conn_t *c, nb__http_exchange_t *x) {
    nb__http_response_t *r = &x->resp;
    nb__buf_t *b = &x->head;
    int status = r->status >= 100 && r->status <= 999 ? r->status : 500;
    const char *reason = nb__http_reason(status);
    bool has_date = false, handler_cl = false;
    size_t bytes = 0; /* of the handler's headers, as written */
    for (size_t i = 0; i < r->headers.len; i++) {
        const nb__header_t *h = &r->headers.items[i];
        bytes += h->name_len + h->value_len + 4;
        if (IS(h, "Connection") && strcasestr(h->value, "close"))
            x->close_after = true;
        else if (IS(h, "Date"))
            has_date = true;
        else if (IS(h, "Content-Length"))
            handler_cl = true;
    }
    if (!x->keep_alive || (x->chunked && x->http10)) /* HTTP/1.0 has no chunks: the close ends the body */
        x->close_after = true;
    /* A closing server (or a client that half-closed) ends the connection
     * after the last answer it owes. */
    if ((c->srv->closing || c->eof) && x->next == NULL && c->cur == NULL)
        x->close_after = true;
    if (x->close_after)
        c->no_more = true;
    bool keep_cl = r->no_body && handler_cl;

    const char *date = has_date ? NULL : date_now(c->srv);
    /* everything below but the headers' own bytes: status line, Date, framing, end of head */
    enum { FIXED = 9 + 4 + 32 + 2 + 6 + 40 + 2 + 28 + 16 + U64_DIGITS + 2 + 24 + 2 };
    nb__buf_reset(b);
    if (nb__buf_reserve(b, FIXED + strlen(reason) + bytes) != 0)
        return NB_ENOMEM;
    char *d = b->data;
    d = PUTS(d, "HTTP/1.1 ");
    d = put_u64(d, (uint64_t)status);
    d = PUTS(d, " ");
    d = put(d, reason, strlen(reason));
    d = PUTS(d, "\r\n");
    for (size_t i = 0; i < r->headers.len; i++) {
        const nb__header_t *h = &r->headers.items[i];
        if (IS(h, "Connection") ||
            (!keep_cl && IS(h, "Content-Length")) ||
            IS(h, "Transfer-Encoding"))
            continue; /* the writer's own framing headers */
        d = put(d, h->name, h->name_len);
        d = PUTS(d, ": ");
        d = put(d, h->value, h->value_len);
        d = PUTS(d, "\r\n");
    }
    if (date) {
        d = PUTS(d, "Date: ");
        d = put(d, date, strlen(date));
        d = PUTS(d, "\r\n");
    }
    if (x->chunked) {
        if (!x->http10 && !x->head_only && status_has_body(status))
            d = PUTS(d, "Transfer-Encoding: chunked\r\n");
    } else if (!keep_cl && status_has_body(status)) {
        d = PUTS(d, "Content-Length: ");
        d = put_u64(d, (uint64_t)body_length(r));
        d = PUTS(d, "\r\n");
    }
    if (x->close_after)
        d = PUTS(d, "Connection: close\r\n");
    else if (x->http10)
        d = PUTS(d, "Connection: keep-alive\r\n");
    d = PUTS(d, "\r\n");
    *d = '\0';
    b->len = (size_t)(d - b->data);
    return 0;
}

static void on_file_written(uv_write_t *req, int status);

static void work_read(uv_work_t *w) {
    nb__http_exchange_t *x = w->data;
    nb__http_file_out_t *f = x->file;
    int64_t left = f->stream_len - f->read_off;
    size_t n = left < NB__HTTP_CHUNK ? (size_t)left : NB__HTTP_CHUNK;
    f->read_len = nb__body_read(x->resp.stream, f->read_off, f->chunk + (size_t)f->read_idx * NB__HTTP_CHUNK, n);
}

static void after_read(uv_work_t *w, int status);

/* Keeps one chunk being written and the next one being read, never more. */
static int stream_pump(nb__http_conn_t *c, nb__http_exchange_t *x) {
    nb__http_file_out_t *f = x->file;
    if (!f->writing && f->ready_idx >= 0) {
        uv_buf_t bufs[2];
        unsigned n = 0;
        if (!x->head_sent) {
            bufs[n++] = uv_buf_init(x->head.data, (unsigned)x->head.len);
            x->head_sent = true;
        }
        bufs[n++] = uv_buf_init(f->chunk + (size_t)f->ready_idx * NB__HTTP_CHUNK, (unsigned)f->ready_len);
        f->write_idx = f->ready_idx;
        f->ready_idx = -1;
        f->writing = true;
        f->wr.data = x;
        c->last_write = uv_now(c->srv->loop);
        if (nb__conn_write(c, &f->wr, bufs, n, on_file_written) != 0)
            return NB_EIO;
    }
    if (!x->work_busy && f->ready_idx < 0 && f->read_off < f->stream_len) {
        f->read_idx = f->writing ? 1 - f->write_idx : 0;
        f->work.data = x;
        x->work_busy = true;
        if (uv_queue_work(c->srv->loop, &f->work, work_read, after_read) != 0) {
            x->work_busy = false;
            return NB_EIO;
        }
    }
    return 0;
}

static void after_read(uv_work_t *w, int status) {
    nb__http_exchange_t *x = w->data;
    nb__http_file_out_t *f = x->file;
    x->work_busy = false;
    if (x->orphan) { /* the connection went away meanwhile */
        nb__exchange_free(x);
        return;
    }
    nb__http_conn_t *c = x->conn;
    if (c->closing)
        return; /* the connection's close callback frees x */
    if (status < 0 || f->read_len <= 0) {
        nb__conn_close(c); /* the head promised more bytes than we can send */
        return;
    }
    f->read_off += f->read_len;
    f->ready_idx = f->read_idx;
    f->ready_len = f->read_len;
    if (stream_pump(c, x) != 0)
        nb__conn_close(c);
}

static int stream_start(nb__http_conn_t *c, nb__http_exchange_t *x, int64_t len) {
    nb__http_file_out_t *f = x->file;
    if (f == NULL && (f = x->file = malloc(sizeof *f + 2 * (size_t)NB__HTTP_CHUNK)) == NULL)
        return NB_ENOMEM;
    f->writing = false;
    f->stream_len = len;
    f->read_off = 0;
    f->ready_idx = f->write_idx = f->read_idx = -1;
    f->read_len = f->ready_len = 0;
    x->streaming = true;
    return stream_pump(c, x);
}

/* A write of x's (its batch, or a chunk of its file) is done. */
static void written(nb__http_exchange_t *x, int status) {
    nb__http_conn_t *c = x->conn;
    if (status < 0) {
        nb__conn_close(c);
        return;
    }
    if (c->closing)
        return;
    c->last_write = uv_now(c->srv->loop);
    nb__http_file_out_t *f = x->file;
    if (x->streaming && f) {
        f->writing = false;
        if (f->read_off < f->stream_len || x->work_busy || f->ready_idx >= 0) {
            if (stream_pump(c, x) != 0)
                nb__conn_close(c);
            return;
        }
    }
    /* Writes complete in the order they were issued, so x is the queue head,
     * followed by the other answers of its batch. */
    nb__conn_sent(c, x->streaming ? 1 : x->batch);
}

static void on_file_written(uv_write_t *req, int status) { written(req->data, status); }

/* A batch's write request is allocated per write: a waiting exchange holds none. */
static void on_batch_written(uv_write_t *req, int status) {
    nb__http_exchange_t *x = req->data;
    free(req);
    written(x, status);
}

/* The first count exchanges of the queue are fully written: released. false when the
 * connection ends with them (shut down or closed). */
static bool release_sent(nb__http_conn_t *c, unsigned count) {
    bool close = false;
    for (unsigned i = count; i > 0 && c->qhead; i--) {
        nb__http_exchange_t *done = c->qhead;
        c->qhead = done->next;
        if (c->qtail == done)
            c->qtail = NULL;
        c->nqueued--;
        close = done->close_after;
        nb__exchange_release(c, done);
    }
    if (close) {
        nb__conn_shutdown(c);
        return false;
    }
    if (c->qhead == NULL) {
        c->last_activity = uv_now(c->srv->loop);
        if (c->eof) {
            nb__conn_close(c);
            return false;
        }
        if (c->srv->closing && c->cur == NULL) {
            nb__conn_shutdown(c);
            return false;
        }
    }
    return true;
}

void nb__conn_sent(nb__http_conn_t *c, unsigned count) {
    if (!release_sent(c, count))
        return;
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
    if (nb__conn_write(c, req, &buf, 1, on_continue_written) != 0) {
        free(req);
        return NB_EIO;
    }
    return 0;
}

/* Builds x's head; a file body starts its own writes (returns 1), anything
 * else adds its buffers to the batch being gathered (returns 0). */
static int prepare(nb__http_conn_t *c, nb__http_exchange_t *x, uv_buf_t *bufs, unsigned *n) {
    if (build_head(c, x) != 0)
        return NB_ENOMEM;
    x->state = NB__X_SUBMITTED;
    c->last_write = uv_now(c->srv->loop);
    if (x->chunked) {
        int rc = nb__http_stream_start(c, x);
        return rc == 0 ? 1 : rc;
    }
    nb__http_response_t *r = &x->resp;
    int64_t len = body_length(r);
    bool send_body = !x->head_only && !r->no_body && status_has_body(r->status) && len > 0;
    if (send_body && r->stream && nb__body_path(r->stream)) {
        int rc = stream_start(c, x, len);
        return rc == 0 ? 1 : rc;
    }
    bufs[(*n)++] = uv_buf_init(x->head.data, (unsigned)x->head.len);
    if (send_body) {
        const char *data = r->stream ? nb__body_data(r->stream, SIZE_MAX) : r->body.data;
        if (data == NULL)
            return NB_EIO;
        bufs[(*n)++] = uv_buf_init((char *)data, (unsigned)len);
    }
    x->head_sent = true;
    return 0;
}

/* A plain connection's batch is offered to the socket with uv_try_write first: uv_write
 * re-arms the socket's epoll registration (one epoll_ctl) after every write, even one the
 * kernel took whole at once, and costs a request and a callback. Only when nothing before
 * first is still being written (*front: the queue's first exchange not written at once by
 * this flush), so answers are released in order, and not from inside the parser, whose
 * buffer a release that shuts the connection down would free. *sent counts the exchanges
 * written at once; what the kernel did not take goes on with uv_write. */
static bool try_write_whole(nb__http_conn_t *c, nb__http_exchange_t *first, unsigned count, uv_buf_t *bufs,
                            unsigned *n, nb__http_exchange_t **front, unsigned *sent) {
    if (c->tls != NULL || c->in_parse || first != *front)
        return false;
    int w = uv_try_write((uv_stream_t *)&c->tcp, bufs, *n);
    if (w <= 0)
        return false; /* UV_EAGAIN, or an error uv_write reports the usual way */
    size_t left = (size_t)w;
    unsigned i = 0;
    while (i < *n && left >= bufs[i].len)
        left -= bufs[i++].len;
    if (i == *n) {
        for (unsigned k = 0; k < count; k++)
            *front = (*front)->next;
        *sent += count;
        return true;
    }
    bufs[i].base += left;
    bufs[i].len -= left;
    memmove(bufs, bufs + i, (*n - i) * sizeof *bufs);
    *n -= i;
    return false;
}

static int write_batch(nb__http_conn_t *c, nb__http_exchange_t *first, unsigned count, uv_buf_t *bufs, unsigned n,
                       nb__http_exchange_t **front, unsigned *sent) {
    if (try_write_whole(c, first, count, bufs, &n, front, sent))
        return 0;
    first->batch = count;
    uv_write_t *wr = malloc(sizeof *wr);
    if (wr == NULL)
        return NB_ENOMEM;
    wr->data = first;
    if (nb__conn_write(c, wr, bufs, n, on_batch_written) != 0) {
        free(wr);
        return NB_EIO;
    }
    return 0;
}

void nb__conn_flush(nb__http_conn_t *c) {
    if (c->closing || c->shutting)
        return;
    uv_buf_t bufs[2 * NB__HTTP_BATCH];
    unsigned n = 0, count = 0, sent = 0;
    nb__http_exchange_t *first = NULL, *front = c->qhead;
    bool send_continue = false;
    int rc = 0;
    for (nb__http_exchange_t *x = c->qhead; x && rc == 0; x = x->next) {
        if (x->state == NB__X_SUBMITTED) {
            if (x->streaming || x->close_after)
                break; /* later answers wait for this one to be fully sent */
            continue;
        }
        if (x->state == NB__X_PARSING) {
            if (x->expect_continue && !x->continue_sent)
                send_continue = x->continue_sent = true;
            break;
        }
        if (x->state == NB__X_HANDLER)
            break;
        if (count == NB__HTTP_BATCH || (x->chunked && count)) { /* a stream writes its head itself, after these */
            rc = write_batch(c, first, count, bufs, n, &front, &sent);
            n = count = 0;
            first = NULL;
            if (rc != 0)
                break;
        }
        rc = prepare(c, x, bufs, &n);
        if (rc == 0) {
            if (first == NULL)
                first = x;
            count++;
        }
        if (x->streaming || x->close_after)
            break;
    }
    if (rc >= 0 && count)
        rc = write_batch(c, first, count, bufs, n, &front, &sent);
    if (rc >= 0 && send_continue)
        rc = write_continue(c);
    if (rc < 0) {
        nb__conn_close(c);
        return;
    }
    /* Every answer this flush could write was considered: the released ones need no
     * second flush; the caller resumes parsing (nb__http_respond_with, nb__conn_sent,
     * nb__conn_resume's loop). */
    if (sent && !release_sent(c, sent))
        return;
    nb__conn_timer_update(c);
}

void nb__http_respond(nb__http_exchange_t *x, nb__http_response_t *resp) { nb__http_respond_with(x, resp, NULL); }

void nb__http_respond_status(nb__http_exchange_t *x, int status) {
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = status;
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
}

void nb__http_respond_with(nb__http_exchange_t *x, nb__http_response_t *resp, nb__http_stream_t *s) {
    if (x->aborted) { /* the client is gone: nothing to send; the gateway passes resp NULL then */
        if (resp != NULL) {
            nb__http_response_free(resp);
            nb__http_response_init(resp);
        }
        nb__exchange_free(x);
        return;
    }
    if (x->state != NB__X_HANDLER) { /* answered twice: the first answer stands */
        nb__http_response_free(resp);
        nb__http_response_init(resp);
        return;
    }
    nb__http_response_free(&x->resp);
    x->resp = *resp;
    nb__http_response_init(resp);
    x->chunked = s;
    nb__http_conn_t *c = x->conn;
    c->srv->inflight--;
    nb__http_request_free(&x->req); /* a spilled upload's temp file goes now */
    x->state = NB__X_RESPONDED;
    if (c->waiting == x)
        c->waiting = NULL;
    if (c->in_parse)
        return; /* the parse loop writes every answer it produced at once */
    nb__conn_flush(c);
    nb__conn_resume(c);
}
