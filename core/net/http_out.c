/*
 * Outbound HTTP requests of plugins (nimbus/http_out.h): uv_getaddrinfo, then each address in
 * turn with uv_tcp until one connects, TLS through OpenSSL on memory BIOs (the loop hands it
 * the bytes it read and sends what it wrote), the answer read by llhttp. One timer serves both
 * deadlines: the connect timeout until the exchange can start, then what is left of the total.
 *
 * A request is freed once its callback ran (or it was cancelled) and every libuv handle and
 * the name lookup it started have come back: `pending` counts those.
 */
#include "net/http_out.h"

#include <arpa/inet.h>
#include <llhttp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "gateway/gateway.h"
#include "gateway/txn.h"
#include "plugin/plugin.h"
#include "util/buf.h"
#include "util/codec.h"

#define CONNECT_TIMEOUT_MS_DEFAULT 10000
#define TIMEOUT_MS_DEFAULT 30000
#define MAX_RESPONSE_DEFAULT (1024 * 1024)
#define HEADER_BYTES_MAX (64 * 1024)
#define HEADER_FIELDS_MAX 100
#define READ_CHUNK (16 * 1024)

struct nb_http_out {
    nb_plugin_t *owner;
    nb_http_out_cb cb;
    void *data;
    uint64_t id; /* order of sending: a cancel-all leaves out what its callbacks send */
    uv_loop_t *loop;
    uv_getaddrinfo_t lookup;
    uv_timer_t timer;
    uv_tcp_t *tcp; /* the connection being tried or used; its own allocation, freed at its close */
    uv_connect_t connect;
    struct addrinfo *addrs, *next_addr; /* addrs: the lookup's, freed with h */
    struct addrinfo literal;              /* the URL's host is an address: no lookup */
    struct sockaddr_storage literal_addr;
    bool looking_up;
    uint64_t first_timeout_ms;
    char *host, *port;
    bool https, insecure, head; /* head: a HEAD request, whose answer has no body whatever it says */
    char *request; /* head and body, as sent */
    size_t request_len;
    uint64_t total_deadline, connect_timeout_ms;
    size_t max_response;
    SSL *ssl;
    BIO *rbio, *wbio; /* what was read, for OpenSSL; what OpenSSL wrote, for the socket */
    bool handshaken;
    llhttp_t parser;
    nb__buf_t fields; /* "name\0value\0" pairs of the answer */
    size_t nfields;
    nb__buf_t body;
    int fail;   /* an NB_E* code a parser callback met (body too large, headers too many) */
    bool complete, done;
    int pending; /* handles open and lookups under way */
    char read_buf[READ_CHUNK];
    nb_http_out_t *prev, *next;
};

static nb_http_out_t *under_way; /* every request not done, of every plugin */
static uint64_t last_id;
static SSL_CTX *client_tls;

/* ---- lifetime ---- */

static void unlink_request(nb_http_out_t *h) {
    if (h->prev)
        h->prev->next = h->next;
    else if (under_way == h)
        under_way = h->next;
    if (h->next)
        h->next->prev = h->prev;
    h->prev = h->next = NULL;
}

static void release_one(nb_http_out_t *h) {
    if (--h->pending > 0)
        return;
    if (h->addrs)
        uv_freeaddrinfo(h->addrs);
    if (h->ssl)
        SSL_free(h->ssl); /* frees both BIOs */
    nb__buf_free(&h->fields);
    nb__buf_free(&h->body);
    free(h->request);
    free(h->host);
    free(h->port);
    free(h);
}

static void timer_closed(uv_handle_t *t) { release_one(t->data); }

static void tcp_closed(uv_handle_t *t) {
    nb_http_out_t *h = t->data;
    free(t);
    release_one(h);
}

static void close_tcp(nb_http_out_t *h) {
    if (h->tcp == NULL)
        return;
    uv_close((uv_handle_t *)h->tcp, tcp_closed);
    h->tcp = NULL;
}

/* Stops everything; h is freed once libuv gave back all it holds. */
static void close_all(nb_http_out_t *h) {
    unlink_request(h);
    if (h->looking_up)
        uv_cancel((uv_req_t *)&h->lookup); /* a lookup under way still calls back, with UV_ECANCELED */
    close_tcp(h);
    uv_close((uv_handle_t *)&h->timer, timer_closed);
}

/* The request's one callback, in a transaction of its plugin's store as a timer's. */
static void finish(nb_http_out_t *h, int status) {
    if (h->done)
        return;
    h->done = true;
    nb_http_result_t r = {.status = status, .body = ""};
    nb_http_field_t *fields = NULL;
    if (status > 0) {
        fields = calloc(h->nfields + 1, sizeof *fields);
        if (fields == NULL) {
            r.status = NB_ENOMEM;
        } else {
            const char *p = h->fields.data;
            for (size_t i = 0; i < h->nfields; i++) {
                fields[i].name = p;
                p += strlen(p) + 1;
                fields[i].value = p;
                p += strlen(p) + 1;
            }
            r.headers = fields;
            r.nheaders = h->nfields;
            r.body = h->body.data ? h->body.data : "";
            r.body_len = h->body.len;
        }
    }
    unlink_request(h);
    nb__store_t *st = h->owner ? h->owner->store : NULL;
    bool in_txn = nb__txn_begin(st) == 0;
    h->cb(&r, h->data);
    if (in_txn && nb__txn_end(st, true) != 0)
        fprintf(stderr, "nimbus: %s: the writes of an HTTP request's callback were not committed and are dropped\n",
                h->owner && h->owner->def ? h->owner->def->name : "?");
    free(fields);
    close_all(h);
}

/* ---- the answer ---- */

static int on_field(llhttp_t *p, const char *at, size_t len) {
    nb_http_out_t *h = p->data;
    if (h->fields.len + len + 1 > HEADER_BYTES_MAX) {
        h->fail = NB_EPROTO;
        return -1;
    }
    if (nb__buf_append(&h->fields, at, len) != 0) {
        h->fail = NB_ENOMEM;
        return -1;
    }
    return 0;
}

/* Each name and value ends with a NUL in `fields`: llhttp may hand either over in pieces. */
static int end_field(llhttp_t *p) {
    nb_http_out_t *h = p->data;
    if (nb__buf_append(&h->fields, "", 1) != 0) {
        h->fail = NB_ENOMEM;
        return -1;
    }
    return 0;
}

static int end_value(llhttp_t *p) {
    nb_http_out_t *h = p->data;
    if (++h->nfields > HEADER_FIELDS_MAX) {
        h->fail = NB_EPROTO;
        return -1;
    }
    return end_field(p);
}

static int on_headers_complete(llhttp_t *p) { return ((nb_http_out_t *)p->data)->head ? 1 : 0; }

static int on_body(llhttp_t *p, const char *at, size_t len) {
    nb_http_out_t *h = p->data;
    if (h->body.len + len > h->max_response) {
        h->fail = NB_ELIMIT;
        return -1;
    }
    if (nb__buf_append(&h->body, at, len) != 0) {
        h->fail = NB_ENOMEM;
        return -1;
    }
    return 0;
}

static int on_message_complete(llhttp_t *p) {
    nb_http_out_t *h = p->data;
    if (p->status_code >= 100 && p->status_code < 200) { /* 100 Continue and the like: the answer follows */
        nb__buf_reset(&h->fields);
        h->nfields = 0;
        return 0;
    }
    h->complete = true;
    return HPE_PAUSED; /* one answer: what follows is not read */
}

static const llhttp_settings_t answer_settings = {
    .on_header_field = on_field,
    .on_header_value = on_field,
    .on_header_field_complete = end_field,
    .on_header_value_complete = end_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Plaintext of the answer (eof: the server closed); finishes h when the answer is whole or bad. */
static void take_answer(nb_http_out_t *h, const char *data, size_t len, bool eof) {
    enum llhttp_errno err = eof ? llhttp_finish(&h->parser) : llhttp_execute(&h->parser, data, len);
    if (h->complete)
        finish(h, h->parser.status_code);
    else if (h->fail)
        finish(h, h->fail);
    else if (eof) /* closed before the answer was whole */
        finish(h, NB_ECONNREFUSED);
    else if (err != HPE_OK)
        finish(h, NB_EPROTO);
}

/* ---- writes ---- */

typedef struct write_req {
    uv_write_t req;
    nb_http_out_t *h;
    char *owned; /* TLS records to free once written; NULL for the plaintext request */
} write_req_t;

static void written(uv_write_t *w, int status) {
    write_req_t *wr = (write_req_t *)w;
    /* a write cut short by the close (UV_ECANCELED) finds h done already */
    if (status < 0 && !wr->h->done)
        finish(wr->h, NB_ECONNREFUSED);
    free(wr->owned);
    free(wr);
}

static int send_bytes(nb_http_out_t *h, char *data, size_t len, bool owned) {
    write_req_t *wr = calloc(1, sizeof *wr);
    if (wr == NULL)
        return NB_ENOMEM;
    wr->h = h;
    wr->owned = owned ? data : NULL;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    if (uv_write(&wr->req, (uv_stream_t *)h->tcp, &b, 1, written) != 0) {
        free(wr);
        return NB_ECONNREFUSED;
    }
    return 0;
}

/* What OpenSSL wrote (handshake messages, records) goes to the socket in one write. */
static int flush_tls(nb_http_out_t *h) {
    size_t n = BIO_ctrl_pending(h->wbio);
    if (n == 0)
        return 0;
    char *out = malloc(n);
    if (out == NULL)
        return NB_ENOMEM;
    int got = BIO_read(h->wbio, out, (int)n);
    if (got <= 0) {
        free(out);
        return NB_ETLS;
    }
    int rc = send_bytes(h, out, (size_t)got, true);
    if (rc != 0)
        free(out);
    return rc;
}

/* The exchange can start: the total deadline replaces the connect timeout. */
static void exchange_started(nb_http_out_t *h);

/* ---- TLS ---- */

static SSL_CTX *tls_context(void) {
    if (client_tls)
        return client_tls;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1)
        fprintf(stderr, "nimbus: outbound HTTPS: the system's CA store could not be read\n");
    client_tls = ctx;
    return ctx;
}

static int tls_start(nb_http_out_t *h) {
    SSL_CTX *ctx = tls_context();
    if (ctx == NULL || (h->ssl = SSL_new(ctx)) == NULL)
        return NB_ENOMEM;
    h->rbio = BIO_new(BIO_s_mem());
    h->wbio = BIO_new(BIO_s_mem());
    if (h->rbio == NULL || h->wbio == NULL) {
        BIO_free(h->rbio);
        BIO_free(h->wbio);
        h->rbio = h->wbio = NULL;
        return NB_ENOMEM;
    }
    SSL_set_bio(h->ssl, h->rbio, h->wbio);
    SSL_set_connect_state(h->ssl);
    unsigned char ip[16];
    bool literal = inet_pton(AF_INET, h->host, ip) == 1 || inet_pton(AF_INET6, h->host, ip) == 1;
    if (h->insecure) {
        SSL_set_verify(h->ssl, SSL_VERIFY_NONE, NULL);
    } else {
        X509_VERIFY_PARAM *param = SSL_get0_param(h->ssl);
        int ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, h->host) : X509_VERIFY_PARAM_set1_host(param, h->host, 0);
        if (ok != 1)
            return NB_ENOMEM;
    }
    if (!literal)
        SSL_set_tlsext_host_name(h->ssl, h->host); /* SNI: names only, never addresses */
    return 0;
}

/* Moves the TLS session on after bytes arrived (or at its start): handshake, then the request
 * once, then the answer's plaintext to llhttp. Finishes h on a failure. */
static void tls_pump(nb_http_out_t *h, bool eof) {
    if (!h->handshaken) {
        int rc = SSL_do_handshake(h->ssl);
        if (rc != 1) {
            int e = SSL_get_error(h->ssl, rc);
            ERR_clear_error();
            if (e != SSL_ERROR_WANT_READ || eof || flush_tls(h) != 0)
                finish(h, NB_ETLS);
            return;
        }
        h->handshaken = true;
        exchange_started(h);
        size_t written_len = 0;
        if (SSL_write_ex(h->ssl, h->request, h->request_len, &written_len) != 1) {
            ERR_clear_error();
            finish(h, NB_ETLS);
            return;
        }
    }
    char buf[READ_CHUNK];
    for (;;) {
        size_t n = 0;
        if (SSL_read_ex(h->ssl, buf, sizeof buf, &n) == 1) {
            take_answer(h, buf, n, false);
            if (h->done)
                return;
            continue;
        }
        int e = SSL_get_error(h->ssl, 0);
        ERR_clear_error();
        if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: the end of a body of no stated length */
            take_answer(h, NULL, 0, true);
            return;
        }
        if (e != SSL_ERROR_WANT_READ) {
            finish(h, NB_ETLS);
            return;
        }
        break;
    }
    if (eof) {
        take_answer(h, NULL, 0, true);
        return;
    }
    if (flush_tls(h) != 0)
        finish(h, NB_ECONNREFUSED);
}

/* ---- the connection ---- */

static void alloc_read(uv_handle_t *t, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    nb_http_out_t *h = t->data;
    *buf = uv_buf_init(h->read_buf, sizeof h->read_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    nb_http_out_t *h = s->data;
    if (h->done || n == 0)
        return;
    bool eof = n < 0;
    if (n < 0 && n != UV_EOF) {
        finish(h, NB_ECONNREFUSED);
        return;
    }
    if (h->ssl) {
        if (n > 0 && BIO_write(h->rbio, buf->base, (int)n) != (int)n) {
            finish(h, NB_ENOMEM);
            return;
        }
        tls_pump(h, eof);
        return;
    }
    take_answer(h, buf->base, eof ? 0 : (size_t)n, eof);
}

static void try_next_address(nb_http_out_t *h);

static void connected(uv_connect_t *c, int status) {
    nb_http_out_t *h = c->data;
    if (h->done)
        return;
    if (status < 0) {
        close_tcp(h);
        try_next_address(h);
        return;
    }
    if (uv_read_start((uv_stream_t *)h->tcp, alloc_read, on_read) != 0) {
        finish(h, NB_ECONNREFUSED);
        return;
    }
    int rc;
    if (h->https) {
        rc = tls_start(h);
        if (rc == 0)
            tls_pump(h, false); /* the ClientHello */
    } else {
        exchange_started(h);
        rc = send_bytes(h, h->request, h->request_len, false);
    }
    if (rc != 0)
        finish(h, rc);
}

static void try_next_address(nb_http_out_t *h) {
    struct addrinfo *ai = h->next_addr;
    for (; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        uv_tcp_t *tcp = calloc(1, sizeof *tcp);
        if (tcp == NULL) {
            finish(h, NB_ENOMEM);
            return;
        }
        uv_tcp_init(h->loop, tcp);
        tcp->data = h;
        h->tcp = tcp;
        h->pending++;
        h->connect.data = h;
        if (uv_tcp_connect(&h->connect, tcp, ai->ai_addr, connected) == 0) {
            h->next_addr = ai->ai_next;
            return;
        }
        close_tcp(h);
    }
    h->next_addr = NULL;
    finish(h, NB_ECONNREFUSED);
}

static void resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res) {
    nb_http_out_t *h = g->data;
    h->looking_up = false;
    if (h->done) {
        if (res)
            uv_freeaddrinfo(res);
        release_one(h);
        return;
    }
    h->pending--; /* h is not done: other handles keep it */
    if (status < 0) {
        finish(h, NB_EDNS);
        return;
    }
    h->addrs = h->next_addr = res;
    try_next_address(h);
}

static void timed_out(uv_timer_t *t) { finish(t->data, NB_ETIMEDOUT); }

/* The host is an address: its connection starts on the loop's turn after the send. */
static void connect_literal(uv_timer_t *t) {
    nb_http_out_t *h = t->data;
    uv_timer_start(&h->timer, timed_out, h->first_timeout_ms, 0);
    try_next_address(h);
}

/* Whether the URL's host is an IPv4 or IPv6 address (then h->next_addr is it). */
static bool literal_address(nb_http_out_t *h) {
    int port = atoi(h->port);
    struct addrinfo *ai = &h->literal;
    if (uv_ip4_addr(h->host, port, (struct sockaddr_in *)&h->literal_addr) == 0) {
        ai->ai_family = AF_INET;
        ai->ai_addrlen = sizeof(struct sockaddr_in);
    } else if (uv_ip6_addr(h->host, port, (struct sockaddr_in6 *)&h->literal_addr) == 0) {
        ai->ai_family = AF_INET6;
        ai->ai_addrlen = sizeof(struct sockaddr_in6);
    } else {
        return false;
    }
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_addr = (struct sockaddr *)&h->literal_addr;
    h->next_addr = ai;
    return true;
}

static void exchange_started(nb_http_out_t *h) {
    uint64_t now = uv_now(h->loop);
    uv_timer_start(&h->timer, timed_out, h->total_deadline > now ? h->total_deadline - now : 0, 0);
}

/* ---- the request ---- */

/* Splits an http:// or https:// URL; the target is what follows the authority ("/" if nothing). */
static int parse_url(nb_http_out_t *h, const char *url, const char **target, char **userinfo) {
    const char *s;
    if (strncmp(url, "http://", 7) == 0) {
        s = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        s = url + 8;
        h->https = true;
    } else {
        return NB_EINVAL;
    }
    size_t auth_len = strcspn(s, "/?#");
    const char *at = memchr(s, '@', auth_len);
    *userinfo = NULL;
    if (at) {
        *userinfo = strndup(s, (size_t)(at - s));
        if (*userinfo == NULL)
            return NB_ENOMEM;
        auth_len -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    const char *end = s + auth_len, *host = s, *host_end, *colon;
    if (*s == '[') {
        host = s + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (host_end == NULL)
            return NB_EINVAL;
        colon = host_end + 1 < end && host_end[1] == ':' ? host_end + 1 : NULL;
        if (colon == NULL && host_end + 1 != end)
            return NB_EINVAL;
    } else {
        colon = memchr(s, ':', auth_len);
        host_end = colon ? colon : end;
    }
    if (host_end == host)
        return NB_EINVAL;
    const char *port = colon ? colon + 1 : (h->https ? "443" : "80");
    size_t port_len = colon ? (size_t)(end - port) : strlen(port);
    if (port_len == 0 || port_len > 5 || strspn(port, "0123456789") < port_len)
        return NB_EINVAL;
    h->host = strndup(host, (size_t)(host_end - host));
    h->port = strndup(port, port_len);
    if (h->host == NULL || h->port == NULL)
        return NB_ENOMEM;
    *target = *end == '/' || *end == '?' ? end : "/";
    return 0;
}

static bool has_line_break(const char *s) { return s && strpbrk(s, "\r\n") != NULL; }

/* The core's own headers: a caller's would contradict what is sent. */
static bool core_header(const char *name) {
    return strcasecmp(name, "Host") == 0 || strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Connection") == 0 || strcasecmp(name, "Transfer-Encoding") == 0;
}

static int build_request(nb_http_out_t *h, const nb_http_request_t *rq, const char *target, const char *userinfo) {
    const char *method = rq->method ? rq->method : "GET";
    size_t target_len = strcspn(target, "#"); /* a fragment is the client's own */
    if (*method == '\0' || strpbrk(method, " \r\n") || strcspn(target, " \r\n") < target_len)
        return NB_EINVAL;
    bool v6 = strchr(h->host, ':') != NULL;
    bool default_port = strcmp(h->port, h->https ? "443" : "80") == 0;
    nb__buf_t b = NB__BUF_INIT;
    int rc = nb__buf_printf(&b, "%s %s%.*s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n", method, *target == '?' ? "/" : "",
                            (int)target_len, target,
                            v6 ? "[" : "", h->host, v6 ? "]" : "", default_port ? "" : ":", default_port ? "" : h->port);
    if (userinfo && rc == 0) { /* https://user:password@host: Basic authentication, as SNS sends it */
        char *cred = nb__base64_encode(userinfo, strlen(userinfo));
        rc = cred ? nb__buf_printf(&b, "Authorization: Basic %s\r\n", cred) : NB_ENOMEM;
        free(cred);
    }
    for (size_t i = 0; i < rq->nheaders && rc == 0; i++) {
        const nb_http_field_t *f = &rq->headers[i];
        if (f->name == NULL || f->value == NULL || *f->name == '\0' || strpbrk(f->name, ": \r\n") ||
            has_line_break(f->value)) {
            rc = NB_EINVAL;
            break;
        }
        if (!core_header(f->name))
            rc = nb__buf_printf(&b, "%s: %s\r\n", f->name, f->value);
    }
    if (rc == 0)
        rc = nb__buf_printf(&b, "Content-Length: %zu\r\nConnection: close\r\n\r\n", rq->body_len);
    if (rc == 0 && rq->body_len)
        rc = nb__buf_append(&b, rq->body, rq->body_len);
    if (rc != 0) {
        nb__buf_free(&b);
        return rc == NB_EINVAL ? NB_EINVAL : NB_ENOMEM;
    }
    h->request = nb__buf_steal(&b, &h->request_len);
    return 0;
}

static void free_unsent(nb_http_out_t *h) {
    free(h->request);
    free(h->host);
    free(h->port);
    free(h);
}

int nb__http_send(nb_plugin_t *self, const nb_http_request_t *rq, nb_http_out_cb cb, void *data,
                  nb_http_out_t **out) {
    if (out)
        *out = NULL;
    if (rq == NULL || cb == NULL || rq->url == NULL || rq->size < sizeof(nb_http_request_t) ||
        (rq->body == NULL && rq->body_len) || (rq->headers == NULL && rq->nheaders))
        return NB_EINVAL;
    uv_loop_t *loop = self && self->reg && self->reg->owner ? ((nb__gateway_t *)self->reg->owner)->loop : NULL;
    if (loop == NULL)
        return NB_EINVAL;
    nb_http_out_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NB_ENOMEM;
    const char *target = NULL;
    char *userinfo = NULL;
    int rc = parse_url(h, rq->url, &target, &userinfo);
    if (rc == 0)
        rc = build_request(h, rq, target, userinfo);
    free(userinfo);
    if (rc != 0) {
        free_unsent(h);
        return rc;
    }
    h->owner = self;
    h->cb = cb;
    h->data = data;
    h->loop = loop;
    h->id = ++last_id;
    h->insecure = rq->insecure_tls != 0;
    h->head = rq->method && strcmp(rq->method, "HEAD") == 0;
    h->max_response = rq->max_response ? rq->max_response : MAX_RESPONSE_DEFAULT;
    h->connect_timeout_ms = rq->connect_timeout_ms ? rq->connect_timeout_ms : CONNECT_TIMEOUT_MS_DEFAULT;
    uint64_t total = rq->timeout_ms ? rq->timeout_ms : TIMEOUT_MS_DEFAULT;
    h->total_deadline = uv_now(loop) + total;
    llhttp_init(&h->parser, HTTP_RESPONSE, &answer_settings);
    h->parser.data = h;
    h->first_timeout_ms = h->connect_timeout_ms < total ? h->connect_timeout_ms : total;
    bool literal = literal_address(h);
    if (!literal) { /* a name: resolved on the thread pool (an address needs no trip there) */
        h->lookup.data = h;
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
        if (uv_getaddrinfo(loop, &h->lookup, resolved, h->host, h->port, &hints) != 0) {
            free_unsent(h);
            return NB_ENOMEM;
        }
        h->looking_up = true;
    }
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    h->pending = literal ? 1 : 2; /* the timer, and the lookup */
    if (literal)
        uv_timer_start(&h->timer, connect_literal, 0, 0);
    else
        uv_timer_start(&h->timer, timed_out, h->first_timeout_ms, 0);
    h->next = under_way;
    if (under_way)
        under_way->prev = h;
    under_way = h;
    if (out)
        *out = h;
    return 0;
}

void nb__http_cancel(nb_http_out_t *h) {
    if (h == NULL || h->done)
        return;
    h->done = true;
    close_all(h);
}

void nb__http_out_cancel_all(nb_plugin_t *owner) {
    uint64_t upto = last_id; /* what the callbacks send now waits for the next cancel-all */
    for (;;) {
        nb_http_out_t *h = under_way;
        while (h && ((owner && h->owner != owner) || h->id > upto))
            h = h->next;
        if (h == NULL)
            return;
        finish(h, NB_ECANCELED);
    }
}

void nb__http_out_release(nb_plugin_t *owner) {
    for (nb_http_out_t *h = under_way, *next; h; h = next) {
        next = h->next;
        if (h->owner == owner)
            nb__http_cancel(h);
    }
}
