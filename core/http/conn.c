/*
 * One client connection: reads, llhttp parsing into exchanges, limits and
 * timers. Parsing pauses while a request is with the handler, so pipelined
 * requests are handled one at a time and answered in order; bytes that arrive
 * meanwhile wait in `pending`.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "http/server_int.h"
#include "nimbus/errno.h"

enum deadline_kind { DL_NONE, DL_IDLE, DL_HEAD, DL_LINGER };

/* ---- exchanges ---- */

/* An exchange from the server's pool (its head buffer kept), or a new one. */
static nb__http_exchange_t *exchange_new(nb__http_conn_t *c) {
    nb__http_server_t *srv = c->srv;
    nb__http_exchange_t *x = srv->pool;
    if (x) {
        srv->pool = x->next;
        srv->npool--;
        nb__buf_t head = x->head; /* a pooled exchange holds nothing else */
        memset(x, 0, sizeof *x);
        x->head = head;
        nb__buf_reset(&x->head);
    } else if ((x = calloc(1, sizeof *x)) == NULL) {
        return NULL;
    }
    x->conn = c;
    x->state = NB__X_PARSING;
    nb__http_response_init(&x->resp);
    memcpy(x->req.peer, c->peer, sizeof x->req.peer);
    if (c->qtail)
        c->qtail->next = x;
    else
        c->qhead = x;
    c->qtail = x;
    c->nqueued++;
    return x;
}

/* ---- pieces of the head ---- */

static int piece_add(nb__http_piece_t *p, const char *at, size_t len) {
    if (p->at == NULL && p->buf.len == 0) {
        p->at = at;
        p->len = len;
        return 0;
    }
    if (p->at != NULL) { /* split: what came before is copied first */
        if (nb__buf_append(&p->buf, p->at, p->len) != 0)
            return NB_ENOMEM;
        p->at = NULL;
    }
    return nb__buf_append(&p->buf, at, len);
}

/* The parsed bytes are about to go (the read buffer is reused): a slice into them is copied. */
static int piece_keep(nb__http_piece_t *p) {
    if (p->at == NULL)
        return 0;
    int rc = nb__buf_append(&p->buf, p->at, p->len);
    p->at = NULL;
    return rc;
}

static const char *piece_data(const nb__http_piece_t *p, size_t *len) {
    if (p->at != NULL) {
        *len = p->len;
        return p->at;
    }
    *len = p->buf.len;
    return p->buf.data ? p->buf.data : "";
}

static void piece_reset(nb__http_piece_t *p) {
    p->at = NULL;
    nb__buf_reset(&p->buf);
}

static void piece_free(nb__http_piece_t *p) {
    p->at = NULL;
    nb__buf_free(&p->buf);
}

/* The request head's parse buffers: only while a head is parsed. */
static void head_bufs_free(nb__http_exchange_t *x) {
    piece_free(&x->url);
    piece_free(&x->field);
    piece_free(&x->value);
}

/* After llhttp returns: the head being parsed keeps its pieces as copies. */
static int head_pieces_keep(nb__http_conn_t *c) {
    nb__http_exchange_t *x = c->cur;
    if (x == NULL)
        return 0;
    return piece_keep(&x->url) | piece_keep(&x->field) | piece_keep(&x->value);
}

void nb__exchange_free(nb__http_exchange_t *x) {
    nb__http_stream_detach(x);
    nb__http_request_free(&x->req);
    nb__http_response_free(&x->resp);
    nb__buf_free(&x->head);
    head_bufs_free(x);
    free(x->file);
    free(x);
}

/* x is done (written, or the connection is going away): back to the server's pool, or freed.
 * A file body's chunk buffers (512 KiB) are never pooled. */
void nb__exchange_release(nb__http_conn_t *c, nb__http_exchange_t *x) {
    nb__http_stream_detach(x);
    nb__http_server_t *srv = c ? c->srv : NULL;
    if (srv && !srv->closing && srv->npool < NB__HTTP_POOL && x->head.cap <= NB__HTTP_POOL_HEAD) {
        nb__http_request_free(&x->req);
        nb__http_response_free(&x->resp);
        head_bufs_free(x);
        free(x->file);
        x->file = NULL;
        x->next = srv->pool;
        srv->pool = x;
        srv->npool++;
        return;
    }
    nb__exchange_free(x);
}

static void queue_unlink(nb__http_conn_t *c, nb__http_exchange_t *x) {
    nb__http_exchange_t **pp = &c->qhead, *prev = NULL;
    while (*pp && *pp != x) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = x->next;
    if (c->qtail == x)
        c->qtail = prev;
    x->next = NULL;
    c->nqueued--;
}

/* ---- timers ---- */

/* A zero timeout in the limits means none. */
static uint64_t after(enum deadline_kind *kind, enum deadline_kind k, uint64_t since, uint64_t timeout) {
    if (timeout == 0)
        return 0;
    *kind = k;
    return since + timeout;
}

static uint64_t conn_deadline(const nb__http_conn_t *c, enum deadline_kind *kind) {
    const nb__http_limits_t *l = &c->srv->limits;
    *kind = DL_NONE;
    if (c->closing)
        return 0;
    if (c->lingering) {
        *kind = DL_LINGER;
        return c->linger_until;
    }
    uint64_t handshake = nb__tls_handshake_deadline(c);
    if (handshake) { /* a TLS handshake not done in time closes, as an idle connection */
        *kind = DL_IDLE;
        return handshake;
    }
    if (c->shutting) /* the FIN waits for writes a client may never read */
        return after(kind, DL_IDLE, c->last_write, l->idle_timeout_ms);
    if (c->cur && !c->cur->headers_done)
        return after(kind, DL_HEAD, c->head_start, l->header_timeout_ms);
    if (c->cur) /* a body that stopped coming */
        return after(kind, DL_IDLE, c->last_activity, l->idle_timeout_ms);
    if (c->qhead && c->qhead->state == NB__X_SUBMITTED && c->qhead->chunked &&
        nb__http_stream_waiting(c->qhead->chunked))
        return 0; /* a streamed answer waits for its producer (a shard's next records) */
    if (c->qhead && c->qhead->state == NB__X_SUBMITTED) /* a client that stopped reading */
        return after(kind, DL_IDLE, c->last_write, l->idle_timeout_ms);
    if (c->qhead || c->pending.len > c->pending_off)
        return 0; /* the handler takes the time it needs (long polls) */
    return after(kind, DL_IDLE, c->last_activity, l->idle_timeout_ms);
}

static void on_timer(uv_timer_t *t);

void nb__conn_timer_update(nb__http_conn_t *c) {
    enum deadline_kind kind;
    uint64_t dl = conn_deadline(c, &kind);
    if (kind == DL_NONE)
        return;
    /* An earlier wake-up is harmless (on_timer re-checks), so the timer is only
     * moved when it would fire too late: one timer start per request at most. */
    if (uv_is_active((uv_handle_t *)&c->timer) && c->timer_due <= dl)
        return;
    uint64_t now = uv_now(c->srv->loop);
    c->timer_due = dl;
    uv_timer_start(&c->timer, on_timer, dl > now ? dl - now : 0, 0);
}

static void on_timer(uv_timer_t *t) {
    nb__http_conn_t *c = t->data;
    enum deadline_kind kind;
    uint64_t dl = conn_deadline(c, &kind);
    if (kind == DL_NONE)
        return;
    if (dl > uv_now(c->srv->loop)) {
        nb__conn_timer_update(c);
        return;
    }
    if (kind == DL_HEAD)
        nb__conn_reply_error(c, 408);
    else
        nb__conn_close(c);
}

/* ---- closing ---- */

static void on_handle_closed(uv_handle_t *h) {
    nb__http_conn_t *c = h->data;
    if (--c->handles_open > 0)
        return;
    nb__http_exchange_t *x = c->qhead;
    while (x) {
        nb__http_exchange_t *next = x->next;
        if (x->work_busy) { /* a thread-pool read still owns it */
            x->orphan = true;
            x->conn = NULL;
        } else {
            nb__exchange_free(x);
        }
        x = next;
    }
    nb__buf_free(&c->pending);
    nb__tls_conn_free(c);
    nb__http_server_t *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    srv->nconns--;
    nb__http_trim_conn_gone(srv);
    nb__server_conn_gone(srv);
}

void nb__conn_close(nb__http_conn_t *c) {
    if (c->closing)
        return;
    c->closing = true;
    c->no_more = true;
    c->handles_open = 2;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    /* Exchanges the handler holds survive the connection: they are detached
     * now and freed by nb__http_respond(). */
    nb__http_exchange_t *aborted = NULL, **tail = &aborted;
    for (nb__http_exchange_t *x = c->qhead, *next; x; x = next) {
        next = x->next;
        if (x->state != NB__X_HANDLER)
            continue;
        queue_unlink(c, x);
        x->conn = NULL;
        x->aborted = true;
        c->srv->inflight--;
        *tail = x;
        tail = &x->next;
    }
    c->waiting = NULL;
    c->cur = NULL;
    while (aborted) {
        nb__http_exchange_t *x = aborted;
        aborted = x->next;
        x->next = NULL;
        if (x->on_abort)
            x->on_abort(x, x->abort_data); /* may respond, which frees x */
    }
}

/* Freed, not kept: a client that pipelined once would hold up to NB__HTTP_PENDING_MAX for good. */
static void discard_pending(nb__http_conn_t *c) {
    nb__buf_free(&c->pending);
    c->pending_off = 0;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_start(nb__http_conn_t *c) {
    if (!c->reading && !c->closing && !c->eof && uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0)
        c->reading = true;
}

static void read_stop(nb__http_conn_t *c) {
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    nb__http_conn_t *c = req->data;
    free(req);
    if (c->closing)
        return;
    if (status < 0 || c->eof) {
        nb__conn_close(c);
        return;
    }
    /* Keep reading (and dropping) a little: closing with unread data would
     * send a reset that can destroy the answer before the client reads it. */
    c->lingering = true;
    c->linger_until = uv_now(c->srv->loop) + NB__HTTP_LINGER_MS;
    read_start(c);
    nb__conn_timer_update(c);
}

void nb__conn_shutdown(nb__http_conn_t *c) {
    if (c->closing || c->shutting)
        return;
    c->shutting = true;
    c->no_more = true;
    discard_pending(c);
    /* allocated for the shutdown only: most connections never have one */
    uv_shutdown_t *req = malloc(sizeof *req);
    if (req == NULL) {
        nb__conn_close(c);
        return;
    }
    req->data = c;
    nb__tls_close_notify(c);
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        nb__conn_close(c);
        return;
    }
    nb__conn_timer_update(c);
}

bool nb__conn_idle(const nb__http_conn_t *c) {
    return c->qhead == NULL && c->cur == NULL;
}

/* Answers the request being parsed (or a new one) with an error and closes after it. */
void nb__conn_reply_error(nb__http_conn_t *c, int status) {
    if (c->closing || c->shutting)
        return;
    nb__http_exchange_t *x = c->cur;
    if (x == NULL && (x = exchange_new(c)) == NULL) {
        nb__conn_close(c);
        return;
    }
    c->cur = NULL;
    nb__http_request_free(&x->req);
    nb__http_response_free(&x->resp);
    nb__http_response_init(&x->resp);
    x->resp.status = status;
    x->head_only = false;
    x->expect_continue = false;
    x->close_after = true;
    x->state = NB__X_RESPONDED;
    c->no_more = true;
    discard_pending(c);
    nb__conn_flush(c);
}

/* ---- llhttp callbacks ---- */

static int head_grow(nb__http_conn_t *c, size_t n) {
    c->head_bytes += n;
    if (c->head_bytes > c->srv->limits.max_header_bytes) {
        c->reject = 431;
        return -1;
    }
    return 0;
}

static int on_message_begin(llhttp_t *p) {
    nb__http_conn_t *c = p->data;
    if (c->no_more)
        return -1;
    if (exchange_new(c) == NULL) {
        c->reject = 500;
        return -1;
    }
    c->cur = c->qtail;
    c->head_bytes = 0;
    c->head_start = uv_now(c->srv->loop);
    nb__conn_timer_update(c);
    return 0;
}

static int on_method(llhttp_t *p, const char *at, size_t len) {
    (void)at;
    return head_grow(p->data, len + 1);
}

static int on_version(llhttp_t *p, const char *at, size_t len) {
    (void)at;
    return head_grow(p->data, len + 3);
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
    nb__http_conn_t *c = p->data;
    if (head_grow(c, len) != 0)
        return -1;
    return piece_add(&c->cur->url, at, len) == 0 ? 0 : -1;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len) {
    nb__http_conn_t *c = p->data;
    if (head_grow(c, len) != 0)
        return -1;
    return piece_add(&c->cur->field, at, len) == 0 ? 0 : -1;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len) {
    nb__http_conn_t *c = p->data;
    if (head_grow(c, len) != 0)
        return -1;
    return piece_add(&c->cur->value, at, len) == 0 ? 0 : -1;
}

/* RFC 9110 5.1: a field name is a token (llhttp 8.1 lets a space or an empty name through;
 * two parsers reading one head differently is how requests are smuggled). */
static bool tchar_punct(unsigned char ch) {
    switch (ch) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

static bool is_tchar(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || tchar_punct(ch);
}

/* Every header name of every request passes here: one table lookup a byte. */
static bool tchar_table[256];

static void tchar_table_init(void) {
    for (int ch = 0; ch < 256; ch++)
        tchar_table[ch] = is_tchar((unsigned char)ch);
}

static bool field_name_is_token(const char *s, size_t n) {
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tchar_table[(unsigned char)s[i]])
            return false;
    return true;
}

static int on_header_value_complete(llhttp_t *p) {
    nb__http_conn_t *c = p->data;
    nb__http_exchange_t *x = c->cur;
    if (head_grow(c, 4) != 0)
        return -1;
    size_t nlen, vlen;
    const char *name = piece_data(&x->field, &nlen), *value = piece_data(&x->value, &vlen);
    if (!field_name_is_token(name, nlen)) {
        c->reject = 400;
        return -1;
    }
    int rc = nb__headers_addn(&x->req.headers, name, nlen, value, vlen);
    piece_reset(&x->field);
    piece_reset(&x->value);
    if (rc != 0) {
        c->reject = 500;
        return -1;
    }
    return 0;
}

static char *put_range(char *d, const char *s, size_t n) {
    memcpy(d, s, n);
    d[n] = '\0';
    return d + n + 1;
}

/* Method, target, path and query in one allocation (r->method's: strings_packed). A target
 * without a path ("?x", "") gets the path "/" in front. */
static int request_line_strings(nb__http_request_t *r, const char *method, const char *url, size_t url_len,
                                size_t plen) {
    size_t mlen = strlen(method), slash = plen ? 0 : 1;
    char *m = malloc(mlen + 1 + (slash + url_len + 1) + (slash + plen + 1) + (url_len - plen + 1));
    if (m == NULL)
        return NB_ENOMEM;
    char *d = put_range(m, method, mlen);
    r->method = m;
    r->target = d;
    if (slash)
        *d++ = '/';
    d = put_range(d, url, url_len);
    r->path = d;
    if (slash)
        *d++ = '/';
    d = put_range(d, url, plen);
    if (plen < url_len)
        put_range(d, url + plen + 1, url_len - plen - 1);
    r->query = plen < url_len ? d : NULL;
    r->strings_packed = true;
    return 0;
}

/* The request goes to the handler at once, without (the rest of) its body, for an error
 * answer; nothing more is read from this connection, which closes after it. */
static int hand_over_without_body(nb__http_conn_t *c) {
    nb__http_exchange_t *x = c->cur;
    x->req.without_body = true;
    x->keep_alive = false;
    c->no_more = true;
    c->msg_done = true;
    return HPE_PAUSED;
}

/* A body over its limit: the server's bare 413, or the handler's own answer (the head
 * hook asked for it). */
static int body_too_large(nb__http_conn_t *c) {
    if (!c->cur->too_large_to_handler) {
        c->reject = 413;
        return -1;
    }
    return hand_over_without_body(c);
}

static int on_headers_complete(llhttp_t *p) {
    nb__http_conn_t *c = p->data;
    nb__http_exchange_t *x = c->cur;
    nb__http_request_t *r = &x->req;
    const nb__http_limits_t *l = &c->srv->limits;
    x->headers_done = true;
    c->head_bytes = 0; /* trailers get their own budget */
    size_t url_len;
    const char *url = piece_data(&x->url, &url_len);
    /* RFC 9112 3.2.2: an absolute-form target (a client that takes us for a proxy) names the
     * resource by what follows its authority; read as a path it would be a bucket "http:". */
    if ((url_len > 7 && strncasecmp(url, "http://", 7) == 0) || (url_len > 8 && strncasecmp(url, "https://", 8) == 0)) {
        const char *auth = strchr(url, ':') + 3;
        const char *rest = auth;
        while (rest < url + url_len && *rest != '/' && *rest != '?')
            rest++;
        url_len -= (size_t)(rest - url);
        url = rest;
    }
    const char *q = memchr(url, '?', url_len);
    size_t plen = q ? (size_t)(q - url) : url_len;
    if (request_line_strings(r, llhttp_method_name((llhttp_method_t)llhttp_get_method(p)), url, url_len, plen) != 0) {
        c->reject = 500;
        return -1;
    }
    r->body = nb__body_new(l->spill_threshold, c->srv->tmpdir);
    if (!r->body) {
        c->reject = 500;
        return -1;
    }
    head_bufs_free(x);
    /* No protocol switch (Upgrade, CONNECT) here: answered as a plain request, then closed. */
    x->keep_alive = llhttp_should_keep_alive(p) != 0 && !llhttp_get_upgrade(p);
    x->http10 = p->http_major == 1 && p->http_minor == 0;
    if (x->http10 && (p->flags & F_CHUNKED)) { /* RFC 9112 6.1: chunked is HTTP/1.1's; faulty framing */
        c->reject = 400;
        return -1;
    }
    x->head_only = p->method == HTTP_HEAD;
    const char *expect = !x->http10 ? nb__headers_get(&r->headers, "Expect") : NULL;
    bool expect_continue = expect && strcasecmp(expect, "100-continue") == 0;
    r->max_body = l->max_body_bytes;
    nb__http_head_verdict_t verdict =
        c->srv->on_head ? c->srv->on_head(r, expect_continue, &r->max_body, c->srv->data) : NB__HEAD_READ;
    if (verdict == NB__HEAD_ANSWER_NOW)
        return hand_over_without_body(c); /* a request the head already tells will fail */
    x->too_large_to_handler = verdict == NB__HEAD_READ_OWN_LIMIT;
    if (r->max_body > l->max_body_bytes)
        r->max_body = l->max_body_bytes;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > r->max_body)
        return body_too_large(c); /* answered before a byte of the body is read */
    /* A small body gets its exact size at once, not doubled past it; a larger one grows as its
     * bytes come (a Content-Length alone must not buy a client memory). */
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0 && p->content_length <= NB__HTTP_READ_BUF &&
        p->content_length <= l->spill_threshold && nb__body_reserve(r->body, (size_t)p->content_length) != 0) {
        c->reject = 500;
        return -1;
    }
    /* Also for an empty body: a client waiting for the 100 must not wait for nothing. */
    if (expect_continue) {
        x->expect_continue = true;
        nb__conn_flush(c);
        if (c->closing)
            return -1;
    }
    c->last_activity = uv_now(c->srv->loop);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
    nb__http_conn_t *c = p->data;
    nb__http_exchange_t *x = c->cur;
    x->body_bytes += len;
    if (x->body_bytes > x->req.max_body)
        return body_too_large(c);
    if (nb__body_append(x->req.body, at, len) != 0) {
        c->reject = 500;
        return -1;
    }
    return 0;
}

static int on_message_complete(llhttp_t *p) {
    nb__http_conn_t *c = p->data;
    c->msg_done = true;
    return HPE_PAUSED; /* the handler runs outside llhttp, and parsing waits for it */
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_method = on_method,
    .on_url = on_url,
    .on_version = on_version,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- parsing and dispatch ---- */

static void dispatch(nb__http_conn_t *c) {
    nb__http_exchange_t *x = c->cur;
    nb__http_server_t *srv = c->srv;
    c->cur = NULL;
    x->state = NB__X_HANDLER;
    x->expect_continue = false;
    c->waiting = x;
    srv->inflight++;
    if (srv->closing)
        c->no_more = true; /* answer this one, then close */
    srv->handler(x, &x->req, srv->data);
}

static bool parse_blocked(const nb__http_conn_t *c) {
    return c->closing || c->shutting || c->no_more || c->waiting || c->nqueued >= NB__HTTP_MAX_QUEUED;
}

/* Parses as much as may be parsed now; returns the bytes consumed. */
static size_t conn_parse(nb__http_conn_t *c, const char *data, size_t len) {
    size_t used_total = 0;
    c->in_parse = true;
    while (len > 0 && !parse_blocked(c)) {
        enum llhttp_errno err = llhttp_execute(&c->parser, data, len);
        /* what is left of a head being parsed is copied before its bytes go */
        if ((err == HPE_OK || err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) && head_pieces_keep(c) != 0) {
            c->reject = 500;
            err = HPE_USER;
        }
        size_t used = len;
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            used = (size_t)(llhttp_get_error_pos(&c->parser) - data);
        } else if (err != HPE_OK) {
            int status = c->reject ? c->reject : 400;
            c->reject = 0;
            nb__conn_reply_error(c, status);
            used_total += len;
            break;
        }
        data += used;
        len -= used;
        used_total += used;
        if (err == HPE_PAUSED_UPGRADE) { /* no protocol switch here: answer, then close */
            c->no_more = true;
            used_total += len;
            len = 0;
        } else if (err == HPE_PAUSED) {
            llhttp_resume(&c->parser);
        }
        if (c->msg_done) {
            c->msg_done = false;
            dispatch(c);
        }
    }
    c->in_parse = false;
    nb__conn_flush(c);
    return used_total;
}

static void keep_pending(nb__http_conn_t *c, const char *data, size_t len) {
    if (len == 0 || c->no_more)
        return;
    if (nb__buf_append(&c->pending, data, len) != 0) {
        nb__conn_close(c);
        return;
    }
    if (c->pending.len - c->pending_off > NB__HTTP_PENDING_MAX)
        read_stop(c); /* back-pressure on a client that pipelines faster than we answer */
}

void nb__conn_resume(nb__http_conn_t *c) {
    if (c->in_parse || c->closing || c->shutting)
        return;
    if (c->no_more) {
        discard_pending(c);
        return;
    }
    while (c->pending.len > c->pending_off && !parse_blocked(c)) {
        size_t n = conn_parse(c, c->pending.data + c->pending_off, c->pending.len - c->pending_off);
        if (c->closing)
            return;
        c->pending_off += n;
        if (n == 0)
            break;
    }
    if (c->pending_off >= c->pending.len || c->no_more)
        discard_pending(c);
    if (c->pending.len - c->pending_off <= NB__HTTP_PENDING_MAX)
        read_start(c);
    nb__conn_timer_update(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    nb__http_conn_t *c = h->data;
    buf->base = c->srv->rbuf;
    buf->len = NB__HTTP_READ_BUF;
}

void nb__conn_eof(nb__http_conn_t *c) {
    c->eof = true;
    read_stop(c);
    if (c->shutting && !c->lingering)
        return; /* on_shutdown closes */
    /* A client gone mid-request or while its request is handled: abort. If
     * only answers are left to write, write them (a half-closed client). */
    if (c->lingering || c->cur || c->waiting || c->pending.len > c->pending_off || c->qhead == NULL) {
        nb__conn_close(c);
        return;
    }
    for (nb__http_exchange_t *x = c->qhead; x; x = x->next)
        if (x->state == NB__X_HANDLER || x->state == NB__X_PARSING) {
            nb__conn_close(c);
            return;
        }
    c->no_more = true;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    nb__http_conn_t *c = s->data;
    if (nread == 0 || c->closing)
        return;
    if (nread < 0) {
        nb__conn_eof(c);
        return;
    }
    c->last_activity = uv_now(c->srv->loop);
    if (!nb__tls_read(c, buf->base, (size_t)nread))
        nb__conn_received(c, buf->base, (size_t)nread);
}

void nb__conn_received(nb__http_conn_t *c, const char *data, size_t len) {
    if (c->no_more || c->shutting)
        return; /* after an error answer or while lingering: dropped */
    if (c->srv->closing && c->cur == NULL && c->waiting == NULL) {
        c->no_more = true; /* a new request on a closing server is not started */
        if (c->qhead == NULL)
            nb__conn_close(c);
        return;
    }
    if (c->pending.len > c->pending_off || parse_blocked(c)) {
        keep_pending(c, data, len);
        return;
    }
    size_t n = conn_parse(c, data, len);
    if (c->closing)
        return;
    keep_pending(c, data + n, len - n);
    /* answers written at once (write.c) may have unblocked what was kept */
    if (c->pending.len > c->pending_off && !parse_blocked(c))
        nb__conn_resume(c);
}

/* A connection's record, linked to the server before its socket is open (closing it unlinks it). */
static nb__http_conn_t *conn_new(nb__http_server_t *srv) {
    nb__http_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    nb__http_trim_conn_opened(srv);
    return c;
}

/* The socket is open: note the peer, start parsing and reading. */
static void conn_start(nb__http_conn_t *c) {
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            snprintf(c->peer, sizeof c->peer, "[%s]:%d", ip, port);
        } else if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
        }
    }
    static uv_once_t tchar_once = UV_ONCE_INIT;
    uv_once(&tchar_once, tchar_table_init);
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    c->last_activity = c->last_write = uv_now(c->srv->loop);
    read_start(c);
    nb__conn_timer_update(c);
}

void nb__conn_accept(nb__http_server_t *srv, uv_stream_t *listener) {
    nb__http_conn_t *c = conn_new(srv);
    if (c == NULL)
        return; /* the connection stays in the backlog; the next accept retries */
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        nb__conn_close(c);
        return;
    }
    conn_start(c);
}

int nb__http_server_adopt(nb__http_server_t *srv, int fd) {
    if (srv->closing)
        return UV_ECANCELED;
    nb__http_conn_t *c = conn_new(srv);
    if (c == NULL)
        return UV_ENOMEM;
    int rc = uv_tcp_open(&c->tcp, fd);
    if (rc != 0) {
        nb__conn_close(c); /* the descriptor stays the caller's */
        return rc;
    }
    conn_start(c);
    return 0;
}
