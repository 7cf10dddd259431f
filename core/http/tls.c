/*
 * TLS on a connection (see tls.h): the server's OpenSSL context, the sniffing of a
 * connection's first byte, and the BIO that couples OpenSSL to libuv without blocking.
 *
 * Bytes in: libuv's read buffer is lent to OpenSSL for one SSL_read loop (the BIO reads
 * from it, nothing is copied), the plaintext goes to the HTTP parser chunk by chunk.
 * Bytes out: every record OpenSSL writes is appended to one buffer that is handed to
 * uv_write as it is, so a response costs one allocation and one write, as in plain HTTP.
 */
#include "http/tls.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "http/server_int.h"
#include "util/buf.h"

#define TLS_RECORD 16384                  /* TLS's largest plaintext record */
#define TLS_RECORD_OVERHEAD 64            /* header, tag, padding of one record, generously */
#define TLS_SPARE_OUT 2                   /* written buffers kept for the next writes */
#define TLS_SPARE_MAX (320 * 1024)        /* ... up to a file piece's size (NB__HTTP_CHUNK) and its records */
/* TLS 1.3 suites, fastest first where AES instructions exist; clients offer AES-256 first. */
#define TLS_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/* Ciphertext on its way out: the uv_write request and its bytes in one allocation. */
typedef struct out_req out_req_t;

struct nb__tls_ctx {
    SSL_CTX *ssl;     /* NULL until the first TLS connection of a lazy context (nb__tls_ctx_new_lazy) */
    BIO_METHOD *bio;
    char *cert_path, *key_path; /* a lazy context's files, read at its first TLS connection */
    uint64_t handshake_timeout_ms;
    /* Written buffers reused: a large one freed and allocated again per response costs page
     * faults once the allocator gave its memory back. */
    out_req_t *spare[TLS_SPARE_OUT];
    unsigned nspare;
    /* Decrypted bytes; shared by every connection, as the read buffer is. SSL_read returns one
     * record at most (OpenSSL pipelines records only with a pipelining engine), so more room
     * would never be filled. */
    char plain[TLS_RECORD];
    char gather[TLS_RECORD];   /* a response's small pieces (head, body) gathered into one record */
};

struct out_req {
    uv_write_t wr;
    nb__tls_ctx_t *ctx;
    uv_write_t *user; /* the connection code's request, completed with this one; NULL: ours */
    uv_write_cb cb;
    size_t len, cap;
    char data[];
};

typedef struct nb__tls_conn {
    SSL *ssl;
    nb__http_conn_t *c;
    const char *in; /* ciphertext lent by the read callback, not yet taken by OpenSSL */
    size_t in_len;
    out_req_t *out;  /* ciphertext OpenSSL wrote that no uv_write carries yet */
    size_t out_hint; /* room the next buffer starts with: the ciphertext of the write under way */
    uint64_t deadline;
    bool established, failed;
} tls_conn_t;

/* ---- the BIO: OpenSSL's transport is the connection's read buffer and write queue ---- */

static int out_reserve(tls_conn_t *t, size_t extra) {
    out_req_t *o = t->out;
    size_t need = (o ? o->len : 0) + extra;
    if (o && need <= o->cap)
        return 0;
    nb__tls_ctx_t *ctx = t->c->srv->tls;
    if (o == NULL && ctx->nspare > 0 && ctx->spare[ctx->nspare - 1]->cap >= need) {
        t->out = ctx->spare[--ctx->nspare];
        t->out->len = 0;
        return 0;
    }
    size_t cap = o ? 2 * o->cap : t->out_hint;
    if (cap < need)
        cap = need;
    out_req_t *grown = realloc(o, sizeof *o + cap);
    if (grown == NULL)
        return -1;
    if (o == NULL)
        grown->len = 0;
    grown->cap = cap;
    t->out = grown;
    return 0;
}

static int bio_write(BIO *b, const char *data, int len) {
    tls_conn_t *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    if (out_reserve(t, (size_t)len) != 0)
        return -1;
    memcpy(t->out->data + t->out->len, data, (size_t)len);
    t->out->len += (size_t)len;
    return len;
}

static int bio_read(BIO *b, char *buf, int len) {
    tls_conn_t *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (t->in_len == 0) {
        BIO_set_retry_read(b); /* OpenSSL answers SSL_ERROR_WANT_READ: the loop reads more */
        return -1;
    }
    size_t n = len > 0 && (size_t)len < t->in_len ? (size_t)len : t->in_len;
    memcpy(buf, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num;
    (void)ptr;
    tls_conn_t *t = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: /* written bytes leave with the next uv_write */
        return 1;
    case BIO_CTRL_PENDING:
        return t ? (long)t->in_len : 0;
    default:
        return 0;
    }
}

static int bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

/* ---- the server's context ---- */

static char *ssl_error(const char *what, const char *path) {
    char detail[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    return nb__strdup_printf("%s%s%s: %s", what, path ? " " : "", path ? path : "", detail);
}

/* HTTP/1.1 is all this server speaks: chosen when the client offers it (clients that offer
 * h2 alone get no protocol and fail in their own words). */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
    (void)ssl;
    (void)arg;
    static const unsigned char http11[] = "\x08http/1.1";
    unsigned char *sel = NULL;
    unsigned char sel_len = 0;
    if (SSL_select_next_proto(&sel, &sel_len, http11, sizeof http11 - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    *outlen = sel_len;
    return SSL_TLSEXT_ERR_OK;
}

/* OpenSSL's context from the files: what makes a TLS server (about 3.5 MiB and 2.5 ms of start-up
 * with OpenSSL's tables), hence done at the first TLS connection for a lazy context. */
static int ctx_setup(nb__tls_ctx_t *ctx, const char *cert_path, const char *key_path, char **err) {
    ctx->ssl = SSL_CTX_new(TLS_server_method());
    ctx->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nimbus-uv");
    if (ctx->ssl == NULL || ctx->bio == NULL) {
        *err = ssl_error("cannot create the TLS context", NULL);
        return -1;
    }
    BIO_meth_set_write(ctx->bio, bio_write);
    BIO_meth_set_read(ctx->bio, bio_read);
    BIO_meth_set_ctrl(ctx->bio, bio_ctrl);
    BIO_meth_set_create(ctx->bio, bio_create);
    SSL_CTX_set_min_proto_version(ctx->ssl, TLS1_2_VERSION);
    /* An idle connection gives its read and write buffers back (about 34 KB each otherwise). */
    SSL_CTX_set_mode(ctx->ssl, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_ciphersuites(ctx->ssl, TLS_SUITES);
    SSL_CTX_set_num_tickets(ctx->ssl, 1); /* one resumption ticket is enough for a client; each costs a record */
    SSL_CTX_set_alpn_select_cb(ctx->ssl, select_alpn, NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx->ssl, cert_path) != 1) {
        *err = ssl_error("cannot read the certificate chain", cert_path);
        return -1;
    }
    const char *kp = key_path ? key_path : cert_path;
    if (SSL_CTX_use_PrivateKey_file(ctx->ssl, kp, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx->ssl) != 1) {
        bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
        *err = ssl_error(mismatch ? "the private key does not belong to the certificate:" : "cannot read the private key",
                         kp);
        return -1;
    }
    return 0;
}

nb__tls_ctx_t *nb__tls_ctx_new(const char *cert_path, const char *key_path, char **err) {
    nb__tls_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        *err = nb__strdup_printf("out of memory");
        return NULL;
    }
    if (ctx_setup(ctx, cert_path, key_path, err) != 0) {
        nb__tls_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

nb__tls_ctx_t *nb__tls_ctx_new_lazy(const char *cert_path, const char *key_path) {
    nb__tls_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL || (ctx->cert_path = strdup(cert_path)) == NULL ||
        (key_path && (ctx->key_path = strdup(key_path)) == NULL)) {
        nb__tls_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

/* A lazy context made usable; false (said once on stderr) leaves the connection to be closed. */
static bool ctx_ready(nb__tls_ctx_t *ctx) {
    if (ctx->ssl && ctx->bio)
        return true;
    if (ctx->cert_path == NULL)
        return false; /* its set-up failed before */
    char *err = NULL;
    if (ctx_setup(ctx, ctx->cert_path, ctx->key_path, &err) == 0)
        return true;
    fprintf(stderr, "nimbus: HTTPS connections refused: %s\n", err ? err : "out of memory");
    free(err);
    free(ctx->cert_path);
    ctx->cert_path = NULL;
    return false;
}

void nb__tls_ctx_free(nb__tls_ctx_t *ctx) {
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl);
    BIO_meth_free(ctx->bio);
    free(ctx->cert_path);
    free(ctx->key_path);
    while (ctx->nspare > 0)
        free(ctx->spare[--ctx->nspare]);
    free(ctx);
}

void nb__http_server_set_tls(nb__http_server_t *srv, nb__tls_ctx_t *ctx, uint64_t handshake_timeout_ms) {
    nb__tls_ctx_free(srv->tls);
    srv->tls = ctx;
    if (ctx)
        ctx->handshake_timeout_ms = handshake_timeout_ms;
}

/* ---- writing ---- */

static void on_out_written(uv_write_t *wr, int status) {
    out_req_t *o = wr->data;
    uv_write_t *user = o->user;
    uv_write_cb cb = o->cb;
    nb__tls_ctx_t *ctx = o->ctx; /* the server, and so ctx, outlives its connections' writes */
    if (ctx->nspare < TLS_SPARE_OUT && o->cap <= TLS_SPARE_MAX)
        ctx->spare[ctx->nspare++] = o;
    else
        free(o);
    if (cb)
        cb(user, status);
}

/* Writes what OpenSSL produced; with user set, also when it produced nothing, so that the
 * caller's callback comes from libuv in write order, as for a plain connection. */
static int submit(tls_conn_t *t, uv_write_t *user, uv_write_cb cb) {
    out_req_t *o = t->out;
    if (o == NULL) {
        if (user == NULL)
            return 0;
        size_t hint = t->out_hint;
        t->out_hint = 0;
        int rc = out_reserve(t, 0);
        t->out_hint = hint;
        if (rc != 0)
            return UV_ENOMEM;
        o = t->out;
    }
    t->out = NULL;
    o->ctx = t->c->srv->tls;
    o->user = user;
    o->cb = cb;
    o->wr.data = o;
    uv_buf_t buf = uv_buf_init(o->data, (unsigned)o->len);
    int rc = uv_write(&o->wr, (uv_stream_t *)&t->c->tcp, &buf, 1, on_out_written);
    if (rc != 0)
        free(o);
    return rc;
}

static int encrypt(tls_conn_t *t, const char *data, size_t len) {
    while (len > 0) {
        int n = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len;
        int w = SSL_write(t->ssl, data, n);
        if (w <= 0) {
            ERR_clear_error();
            return -1;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int nb__conn_write(nb__http_conn_t *c, uv_write_t *req, const uv_buf_t bufs[], unsigned nbufs, uv_write_cb cb) {
    tls_conn_t *t = c->tls;
    if (t == NULL)
        return uv_write(req, (uv_stream_t *)&c->tcp, bufs, nbufs, cb);
    if (!t->established || t->failed)
        return UV_EPROTO;
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    t->out_hint = total + (total / TLS_RECORD + 1) * TLS_RECORD_OVERHEAD;
    int rc = 0;
    nb__tls_ctx_t *ctx = c->srv->tls;
    if (nbufs > 1 && total <= sizeof ctx->gather) { /* one record rather than one per piece */
        size_t off = 0;
        for (unsigned i = 0; i < nbufs; i++) {
            memcpy(ctx->gather + off, bufs[i].base, bufs[i].len);
            off += bufs[i].len;
        }
        rc = encrypt(t, ctx->gather, total);
    } else {
        for (unsigned i = 0; i < nbufs && rc == 0; i++)
            rc = encrypt(t, bufs[i].base, bufs[i].len);
    }
    if (rc != 0) {
        free(t->out);
        t->out = NULL;
        t->failed = true;
        return UV_EPROTO;
    }
    return submit(t, req, cb);
}

void nb__tls_close_notify(nb__http_conn_t *c) {
    tls_conn_t *t = c->tls;
    if (t == NULL || !t->established || t->failed)
        return;
    if (SSL_shutdown(t->ssl) < 0)
        ERR_clear_error();
    (void)submit(t, NULL, NULL); /* a failed write shows in the shutdown that follows */
}

/* ---- reading ---- */

static int conn_start(nb__http_conn_t *c) {
    nb__tls_ctx_t *ctx = c->srv->tls;
    if (!ctx_ready(ctx))
        return -1;
    tls_conn_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -1;
    t->c = c;
    t->ssl = SSL_new(ctx->ssl);
    BIO *bio = BIO_new(ctx->bio);
    if (t->ssl == NULL || bio == NULL) {
        BIO_free(bio);
        SSL_free(t->ssl);
        free(t);
        ERR_clear_error();
        return -1;
    }
    BIO_set_data(bio, t);
    SSL_set_bio(t->ssl, bio, bio); /* one BIO both ways: the SSL holds its one reference */
    SSL_set_accept_state(t->ssl);
    t->out_hint = 4096; /* the server's handshake flight: certificate chain and all */
    if (ctx->handshake_timeout_ms)
        t->deadline = uv_now(c->srv->loop) + ctx->handshake_timeout_ms;
    c->tls = t;
    return 0;
}

/* A broken handshake or record: the alert OpenSSL wrote goes out, then the connection ends. */
static void fail(nb__http_conn_t *c, tls_conn_t *t) {
    ERR_clear_error();
    t->failed = true;
    if (submit(t, NULL, NULL) != 0)
        nb__conn_close(c);
    else
        nb__conn_shutdown(c);
}

bool nb__tls_read(nb__http_conn_t *c, const char *data, size_t len) {
    nb__tls_ctx_t *ctx = c->srv->tls;
    if (!c->tls_sniffed) {
        c->tls_sniffed = true;
        if (ctx == NULL || len == 0 || (unsigned char)data[0] != 0x16)
            return false;
        if (conn_start(c) != 0) {
            nb__conn_close(c);
            return true;
        }
        nb__conn_timer_update(c); /* the handshake's deadline */
    }
    tls_conn_t *t = c->tls;
    if (t == NULL)
        return false;
    if (t->failed)
        return true;
    t->in = data;
    t->in_len = len;
    while (!c->closing && !c->shutting) {
        int n = SSL_read(t->ssl, ctx->plain, sizeof ctx->plain);
        if (n > 0) {
            if (!t->established) {
                t->established = true;
                nb__conn_timer_update(c);
            }
            if (submit(t, NULL, NULL) != 0) { /* what reading produced (a ticket, a key update) */
                nb__conn_close(c);
                break;
            }
            nb__conn_received(c, ctx->plain, (size_t)n);
            continue;
        }
        int err = SSL_get_error(t->ssl, n);
        if (err == SSL_ERROR_WANT_READ) {
            if (submit(t, NULL, NULL) != 0) /* the handshake's next flight */
                nb__conn_close(c);
            else if (!t->established && SSL_is_init_finished(t->ssl)) {
                t->established = true;
                nb__conn_timer_update(c);
            }
            break;
        }
        if (err == SSL_ERROR_ZERO_RETURN) { /* the client's close_notify: its end of the stream */
            ERR_clear_error();
            nb__conn_eof(c);
            break;
        }
        fail(c, t);
        break;
    }
    t->in = NULL;
    t->in_len = 0;
    return true;
}

uint64_t nb__tls_handshake_deadline(const nb__http_conn_t *c) {
    const tls_conn_t *t = c->tls;
    return t && !t->established && !t->failed ? t->deadline : 0;
}

void nb__tls_conn_free(nb__http_conn_t *c) {
    tls_conn_t *t = c->tls;
    if (t == NULL)
        return;
    SSL_free(t->ssl);
    free(t->out);
    free(t);
    c->tls = NULL;
}
