/*
 * Streamed answers: the head goes out when the exchange's turn comes (answers leave in request
 * order), then each write of the producer as one chunk of chunked transfer encoding.
 *
 * Memory stays bounded by the producer, not by the client: every write is copied into one
 * piece handed to uv_write at once, and its done callback runs only when libuv wrote it to the
 * socket. Past NB__HTTP_STREAM_HIGH_WATER bytes not yet written, a write says so
 * (NB__HTTP_STREAM_FULL) and a well-behaved producer waits for a done callback: a client that
 * reads slowly holds the kernel's socket buffer and no more than the high-water mark here.
 *
 * Lifetime: the stream belongs to its producer until nb__http_stream_end, and to the exchange
 * until its last chunk is written or the connection goes away; it is freed when both let go
 * and no write is in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "http/server_int.h"
#include "nimbus/errno.h"

typedef struct piece {
    uv_write_t wr;
    struct piece *next; /* written once the head is out */
    struct nb_stream *s;
    nb__http_stream_done_fn done;
    void *done_data;
    size_t len; /* bytes in data */
    bool last;
    char data[]; /* chunk size line, payload, CRLF */
} piece_t;

struct nb_stream {
    nb__http_exchange_t *x;    /* NULL once detached (written to the end, or the connection gone) */
    piece_t *waiting, *wtail;  /* written once the head is out */
    size_t queued;             /* bytes handed over and not yet written */
    unsigned in_flight;        /* pieces given to uv_write */
    bool started;              /* head written */
    bool raw;                  /* no chunk framing: HTTP/1.0 (the close ends the body) */
    bool sink;                 /* nothing may follow the head (HEAD, 204, 304): writes are dropped */
    bool released;             /* nb__http_stream_end was called */
    bool cancelled;            /* the client went away before the end was written */
    void (*on_cancel)(nb__http_stream_t *s, void *data);
    void *cancel_data;
};

nb__http_stream_t *nb__http_respond_stream(nb__http_exchange_t *x, nb__http_response_t *resp) {
    if (x->aborted || x->state != NB__X_HANDLER) { /* gone, or answered already: nb__http_respond says which */
        nb__http_respond(x, resp);
        return NULL;
    }
    nb__http_stream_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        nb__buf_reset(&resp->body);
        resp->status = 500;
        nb__http_respond(x, resp);
        return NULL;
    }
    s->x = x;
    /* the framing is known now: writes made before the head goes out are framed already */
    s->raw = x->http10;
    s->sink = x->head_only || resp->status < 200 || resp->status == 204 || resp->status == 304;
    nb__buf_free(&resp->body);
    nb__body_free(resp->stream);
    resp->stream = NULL;
    resp->no_body = false;
    nb__http_respond_with(x, resp, s);
    return s;
}

static void maybe_free(nb__http_stream_t *s) {
    if (s->released && s->x == NULL && s->in_flight == 0 && s->waiting == NULL)
        free(s);
}

/* The exchange is done with s: cancels what did not go out. */
static void detach(nb__http_stream_t *s, bool complete) {
    s->x = NULL;
    for (piece_t *p = s->waiting, *next; p; p = next) {
        next = p->next;
        s->queued -= p->len;
        if (p->done)
            p->done(NB_EIO, p->done_data);
        free(p);
    }
    s->waiting = s->wtail = NULL;
    bool notify = !complete && !s->cancelled && !s->released && s->on_cancel;
    if (!complete)
        s->cancelled = true;
    if (notify)
        s->on_cancel(s, s->cancel_data); /* may end (release) s */
    else
        maybe_free(s);
}

void nb__http_stream_detach(nb__http_exchange_t *x) {
    nb__http_stream_t *s = x->chunked;
    if (s == NULL)
        return;
    x->chunked = NULL;
    detach(s, false);
}

static void on_piece_written(uv_write_t *wr, int status) {
    piece_t *p = wr->data;
    nb__http_stream_t *s = p->s;
    s->in_flight--;
    s->queued -= p->len;
    nb__http_exchange_t *x = s->x;
    nb__http_conn_t *c = x ? x->conn : NULL;
    if (p->done)
        p->done(status == 0 ? 0 : NB_EIO, p->done_data);
    bool last = p->last;
    free(p);
    if (c == NULL || c->closing) {
        maybe_free(s);
        return;
    }
    if (status < 0) {
        nb__conn_close(c); /* the exchange's close detaches s */
        return;
    }
    c->last_write = uv_now(c->srv->loop);
    if (last) {
        x->chunked = NULL;
        detach(s, true);
        nb__conn_sent(c, 1);
        return;
    }
    nb__conn_timer_update(c);
}

static int submit(nb__http_stream_t *s, piece_t *p, const char *data, size_t len) {
    nb__http_conn_t *c = s->x->conn;
    uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
    p->wr.data = p;
    s->in_flight++;
    c->last_write = uv_now(c->srv->loop);
    if (nb__conn_write(c, &p->wr, &buf, 1, on_piece_written) != 0) {
        s->in_flight--;
        return NB_EIO;
    }
    return 0;
}

/* A piece of a chunk's framing around len payload bytes (none for the last chunk). */
static piece_t *piece_new(nb__http_stream_t *s, const void *data, size_t len, bool last) {
    char line[24] = "";
    size_t head = 0, tail = 0;
    if (!s->raw && !s->sink) {
        head = last ? (size_t)snprintf(line, sizeof line, "0\r\n\r\n") : (size_t)snprintf(line, sizeof line, "%zx\r\n", len);
        tail = last ? 0 : 2;
    }
    if (s->sink)
        len = 0;
    piece_t *p = malloc(sizeof *p + head + len + tail);
    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof *p);
    p->s = s;
    p->last = last;
    memcpy(p->data, line, head);
    if (len)
        memcpy(p->data + head, data, len);
    memcpy(p->data + head + len, "\r\n", tail);
    p->len = head + len + tail;
    return p;
}

/* Hands p to the socket, or keeps it until the head is out. A piece with nothing to send (a
 * dropped write, the end of a raw body) still goes through uv_write, so its done callback
 * runs after what was written before it. */
static int enqueue(nb__http_stream_t *s, piece_t *p) {
    s->queued += p->len;
    if (!s->started) {
        if (s->wtail)
            s->wtail->next = p;
        else
            s->waiting = p;
        s->wtail = p;
        return 0;
    }
    int rc = submit(s, p, p->data, p->len);
    if (rc != 0) {
        s->queued -= p->len;
        free(p);
    }
    return rc;
}

int nb__http_stream_start(nb__http_conn_t *c, nb__http_exchange_t *x) {
    nb__http_stream_t *s = x->chunked;
    x->streaming = true;
    piece_t *head = malloc(sizeof *head);
    if (head == NULL)
        return NB_ENOMEM;
    memset(head, 0, sizeof *head);
    head->s = s;
    if (submit(s, head, x->head.data, x->head.len) != 0) {
        free(head);
        return NB_EIO;
    }
    (void)c;
    s->started = true;
    while (s->waiting) {
        piece_t *p = s->waiting;
        s->waiting = p->next;
        if (s->waiting == NULL)
            s->wtail = NULL;
        p->next = NULL;
        if (submit(s, p, p->data, p->len) != 0) {
            p->next = s->waiting; /* cancelled with the rest when the connection closes */
            s->waiting = p;
            if (s->wtail == NULL)
                s->wtail = p;
            return NB_EIO;
        }
    }
    return 0;
}

int nb__http_stream_write(nb__http_stream_t *s, const void *data, size_t len, nb__http_stream_done_fn done,
                          void *done_data) {
    if (s == NULL || s->released || len == 0 || (data == NULL && len))
        return NB_EINVAL;
    if (s->x == NULL)
        return NB_EIO;
    piece_t *p = piece_new(s, data, len, false);
    if (p == NULL)
        return NB_ENOMEM;
    p->done = done;
    p->done_data = done_data;
    int rc = enqueue(s, p);
    if (rc != 0) {
        nb__conn_close(s->x->conn);
        return NB_EIO;
    }
    return s->queued >= NB__HTTP_STREAM_HIGH_WATER ? NB__HTTP_STREAM_FULL : 0;
}

int nb__http_stream_end(nb__http_stream_t *s, nb__http_stream_done_fn done, void *done_data) {
    if (s == NULL || s->released)
        return NB_EINVAL;
    s->released = true;
    if (s->x == NULL) {
        maybe_free(s);
        if (done)
            done(NB_EIO, done_data);
        return NB_EIO;
    }
    piece_t *p = piece_new(s, NULL, 0, true);
    int rc = p ? 0 : NB_ENOMEM;
    if (p) {
        p->done = done;
        p->done_data = done_data;
        rc = enqueue(s, p);
    }
    if (rc != 0) {
        /* the answer cannot be completed: the client sees the connection close mid-body */
        nb__http_exchange_t *x = s->x;
        if (done)
            done(NB_EIO, done_data);
        nb__conn_close(x->conn);
        return NB_EIO;
    }
    return 0;
}

void nb__http_stream_on_cancel(nb__http_stream_t *s, void (*cb)(nb__http_stream_t *s, void *data), void *data) {
    s->on_cancel = cb;
    s->cancel_data = data;
}

size_t nb__http_stream_queued(const nb__http_stream_t *s) { return s->queued; }
bool nb__http_stream_cancelled(const nb__http_stream_t *s) { return s->cancelled || s->x == NULL; }

bool nb__http_stream_waiting(const nb__http_stream_t *s) {
    return s->started && s->in_flight == 0 && !s->released;
}
