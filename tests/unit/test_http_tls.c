/*
 * HTTPS beside HTTP on one port (core/http/tls.c) and the generated certificate
 * (core/http/tls_cert.c). A TLS client runs in a relay thread that decrypts into one end of a
 * socket pair, so the fixture's raw client reads the responses exactly as over plain HTTP.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/tls_cert.h"
#include "support/http_fixture.h"

static char cert_dir[64];

static void rm_cert_dir(void) {
    static const char *const names[] = {"ca.crt", "ca.key", "server.pem", ".lock", ".checked"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", cert_dir, names[i]);
        unlink(path);
    }
    rmdir(cert_dir);
}

static void make_cert_dir(void) {
    snprintf(cert_dir, sizeof cert_dir, "/tmp/nb-tls-test-XXXXXX");
    cr_assert_not_null(mkdtemp(cert_dir));
}

static char *path_in(const char *name) { return nb__strdup_printf("%s/%s", cert_dir, name); }

static void tls_init(void) {
    make_cert_dir();
    nb__tls_files_t f;
    char *err = NULL;
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, NULL, &f, &err), 0, "%s", err ? err : "");
    http_fx_setup();
    http_fx.tls = nb__tls_ctx_new(f.server, NULL, &err);
    cr_assert_not_null(http_fx.tls, "%s", err ? err : "");
    http_fx.tls_handshake_ms = 500;
    nb__tls_files_free(&f);
    http_fx_start();
    cr_assert_eq(http_fx.listen_rc, 0);
}

static void tls_fini(void) {
    http_fx_fini();
    rm_cert_dir();
}

TestSuite(tls, .init = tls_init, .fini = tls_fini, .timeout = 60);
TestSuite(tls_cert, .init = make_cert_dir, .fini = rm_cert_dir, .timeout = 60);

/* ---- a TLS client relayed onto a socket pair ---- */

typedef struct relay {
    int plain, sock; /* the relay's end of the pair; the TCP connection */
    SSL_CTX *ctx;
    SSL *ssl;
    uv_thread_t thread;
    atomic_int close_notify; /* the server ended with a close_notify */
} relay_t;

static bool write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void relay_run(void *arg) {
    relay_t *r = arg;
    char buf[65536];
    for (;;) {
        struct pollfd p[2] = {{.fd = r->plain, .events = POLLIN}, {.fd = r->sock, .events = POLLIN}};
        if (SSL_pending(r->ssl) == 0 && poll(p, 2, 10000) <= 0)
            break;
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(r->plain, buf, sizeof buf);
            if (n <= 0) { /* the test closed its end: a clean TLS end */
                SSL_shutdown(r->ssl);
                break;
            }
            if (SSL_write(r->ssl, buf, (int)n) != (int)n)
                break;
        }
        if (SSL_pending(r->ssl) > 0 || (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            int n = SSL_read(r->ssl, buf, sizeof buf);
            if (n <= 0 && SSL_get_error(r->ssl, n) == SSL_ERROR_WANT_READ)
                continue; /* a record that held no data (a session ticket) */
            if (n <= 0) {
                if (SSL_get_error(r->ssl, n) == SSL_ERROR_ZERO_RETURN)
                    atomic_store(&r->close_notify, 1);
                break;
            }
            if (!write_all(r->plain, buf, (size_t)n))
                break;
        }
    }
    shutdown(r->plain, SHUT_WR); /* the test reads an end of stream */
    ERR_clear_error();
}

static int tcp_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_fx.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s", strerror(errno));
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Connects over TLS, verifying the server as localhost.localstack.cloud against the CA. */
static void tls_open(client_t *c, relay_t *r) {
    memset(r, 0, sizeof *r);
    r->ctx = SSL_CTX_new(TLS_client_method());
    char *ca = path_in("ca.crt");
    cr_assert_eq(SSL_CTX_load_verify_locations(r->ctx, ca, NULL), 1);
    free(ca);
    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
    /* A record without data (TLS 1.3's session ticket) must not block the relay in SSL_read
     * while the test's request waits to be sent. */
    SSL_CTX_clear_mode(r->ctx, SSL_MODE_AUTO_RETRY);
    r->sock = tcp_connect();
    r->ssl = SSL_new(r->ctx);
    SSL_set_fd(r->ssl, r->sock);
    SSL_set_tlsext_host_name(r->ssl, "localhost.localstack.cloud");
    SSL_set1_host(r->ssl, "localhost.localstack.cloud");
    cr_assert_eq(SSL_connect(r->ssl), 1, "handshake: %s", ERR_error_string(ERR_get_error(), NULL));
    cr_assert_eq(SSL_get_verify_result(r->ssl), X509_V_OK);
    int sp[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    r->plain = sp[1];
    memset(c, 0, sizeof *c);
    c->fd = sp[0];
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    cr_assert_eq(uv_thread_create(&r->thread, relay_run, r), 0);
}

static void tls_close(client_t *c, relay_t *r) {
    cl_close(c);
    uv_thread_join(&r->thread);
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
    close(r->sock);
    close(r->plain);
}

/* The next response is a 200 whose body holds want (is want, when whole). */
static void expect_body(client_t *c, const char *want, bool whole) {
    resp_t r;
    cl_response(c, &r, false);
    cr_assert_eq(r.status, 200);
    if (whole)
        cr_assert_str_eq(r.body, want);
    else
        cr_assert_not_null(strstr(r.body, want), "%s", r.body);
    resp_free(&r);
}

static void expect_echo(client_t *c, const char *path) {
    char want[64];
    snprintf(want, sizeof want, "path=%s\n", path);
    expect_body(c, want, false);
}

/* ---- the connection layer ---- */

Test(tls, https_and_http_on_one_port) {
    client_t c, p;
    relay_t r;
    tls_open(&c, &r);
    cl_puts(&c, "GET /over-tls?x=1 HTTP/1.1\r\nHost: localhost.localstack.cloud\r\n\r\n");
    expect_echo(&c, "/over-tls");
    cl_puts(&c, "GET /again HTTP/1.1\r\nHost: localhost.localstack.cloud\r\n\r\n"); /* keep-alive */
    expect_echo(&c, "/again");
    cl_open(&p);
    cl_puts(&p, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_echo(&p, "/plain");
    cl_close(&p);
    tls_close(&c, &r);
}

Test(tls, pipelined_requests_answered_in_order) {
    client_t c;
    relay_t r;
    tls_open(&c, &r);
    cl_puts(&c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /async HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_echo(&c, "/a");
    expect_body(&c, "delayed-done", true);
    expect_echo(&c, "/c");
    tls_close(&c, &r);
}

Test(tls, file_body_streamed_intact) {
    size_t n = 3 * 1024 * 1024 + 123; /* several 256 KiB pieces and a short last one */
    make_file(n);
    client_t c;
    relay_t r;
    tls_open(&c, &r);
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t resp;
    cl_response(&c, &resp, false);
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body_len, n);
    for (size_t i = 0; i < n; i++)
        if (resp.body[i] != (char)('a' + (i * 7 + i / 1000) % 26))
            cr_assert_fail("byte %zu differs", i);
    resp_free(&resp);
    tls_close(&c, &r);
}

Test(tls, chunked_upload_and_expect_continue) {
    client_t c;
    relay_t r;
    tls_open(&c, &r);
    cl_puts(&c, "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    char line[32] = "";
    while (c.len < 25)
        cr_assert_gt(cl_fill(&c), 0, "no 100 Continue over TLS");
    memcpy(line, c.buf, 25);
    cr_assert_eq(strncmp(line, "HTTP/1.1 100 Continue\r\n\r\n", 25), 0, "%s", line);
    cl_consume(&c, 25);
    cl_puts(&c, "hello");
    expect_body(&c, "content=hello\n", false);
    /* 200 KiB in chunks of 10000 bytes: many TLS records, several reads */
    cl_puts(&c, "POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    char *chunk = malloc(10000);
    memset(chunk, 'z', 10000);
    for (int i = 0; i < 20; i++) {
        cl_puts(&c, "2710\r\n");
        cl_send(&c, chunk, 10000);
        cl_puts(&c, "\r\n");
    }
    free(chunk);
    cl_puts(&c, "0\r\n\r\n");
    expect_body(&c, "body=200000\n", false);
    tls_close(&c, &r);
}

Test(tls, connection_close_ends_with_close_notify) {
    client_t c;
    relay_t r;
    tls_open(&c, &r);
    cl_puts(&c, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_body(&c, "bye", true);
    cr_assert(cl_eof(&c), "the server ends the connection");
    uv_thread_join(&r.thread);
    cr_assert_eq(atomic_load(&r.close_notify), 1, "with a TLS close_notify, not a bare FIN");
    cl_close(&c);
    SSL_free(r.ssl);
    SSL_CTX_free(r.ctx);
    close(r.sock);
    close(r.plain);
}

/* Reads until the server closes; the seconds it took (a reset counts as a close). */
static double seconds_until_closed(int fd) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        ;
    cr_assert(n == 0 || errno == ECONNRESET, "the server did not close: %s", strerror(errno));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

Test(tls, garbage_after_the_handshake_byte_closes) {
    int fd = tcp_connect();
    static const char bad[] = "\x16\x03\x01\x00\x10this is no hello at all";
    cr_assert(write_all(fd, bad, sizeof bad - 1));
    double s = seconds_until_closed(fd);
    cr_assert_lt(s, 2.0, "closed at once, not after a timeout (%.2f s)", s);
    close(fd);
    expect_still_serving();
}

Test(tls, stalled_handshake_times_out) {
    int fd = tcp_connect();
    cr_assert(write_all(fd, "\x16\x03\x01", 3)); /* a record header, never its body */
    double s = seconds_until_closed(fd);
    cr_assert(s >= 0.4 && s < 3.0, "closed after the 500 ms handshake timeout, not %.2f s", s);
    close(fd);
    expect_still_serving();
}

Test(tls, http_client_on_a_tls_server_gets_http) {
    client_t p;
    cl_open(&p);
    cl_puts(&p, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    expect_echo(&p, "/form");
    cl_close(&p);
}

/* ---- the certificate ---- */

static X509 *load_cert(const char *name) {
    char *path = path_in(name);
    FILE *f = fopen(path, "r");
    free(path);
    cr_assert_not_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(x);
    return x;
}

static char *file_text(const char *name) {
    char *path = path_in(name);
    FILE *f = fopen(path, "r");
    free(path);
    cr_assert_not_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

Test(tls_cert, covers_localstack_names_and_verifies_with_the_ca) {
    nb__tls_files_t f;
    char *err = NULL;
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, NULL, &f, &err), 0, "%s", err ? err : "");
    cr_assert(f.made);
    X509 *leaf = load_cert("server.pem"), *ca = load_cert("ca.crt");
    static const char *const hosts[] = {
        "localhost", "localhost.localstack.cloud", "sqs.localhost.localstack.cloud",
        "my-bucket.s3.localhost.localstack.cloud", "sqs.eu-west-1.localhost.localstack.cloud",
        "my-bucket.s3.us-west-2.localhost.localstack.cloud", "abc123.lambda-url.us-east-1.localhost.localstack.cloud",
        "api1.execute-api.localhost.localstack.cloud",
    };
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++)
        cr_expect_eq(X509_check_host(leaf, hosts[i], 0, 0, NULL), 1, "%s", hosts[i]);
    cr_expect_eq(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    cr_expect_eq(X509_check_ip_asc(leaf, "::1", 0), 1);
    cr_expect_neq(X509_check_host(leaf, "example.com", 0, 0, NULL), 1, "no name beyond ours");
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *vctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(vctx, store, leaf, NULL);
    X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_SERVER);
    cr_expect_eq(X509_verify_cert(vctx), 1, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
    X509_STORE_CTX_free(vctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
    struct stat sb;
    char *key = path_in("ca.key");
    cr_assert_eq(stat(key, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0600, "the CA's key is the user's alone");
    free(key);
    nb__tls_files_free(&f);
}

Test(tls_cert, reused_at_restart_and_renewed_by_the_same_ca_for_new_names) {
    nb__tls_files_t f;
    char *err = NULL;
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, NULL, &f, &err), 0);
    cr_assert(f.made);
    nb__tls_files_free(&f);
    char *ca_before = file_text("ca.crt"), *server_before = file_text("server.pem");
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, NULL, &f, &err), 0);
    cr_assert_not(f.made, "a restart reuses the certificate");
    nb__tls_files_free(&f);
    char *server_same = file_text("server.pem");
    cr_assert_str_eq(server_same, server_before);
    static const char *const extra[] = {"DNS:localstack", "DNS:*.s3.ls.test", "IP:10.1.2.3", NULL};
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, extra, &f, &err), 0);
    cr_assert(f.made, "a new name (LOCALSTACK_HOST) makes a new server certificate");
    nb__tls_files_free(&f);
    char *ca_after = file_text("ca.crt"), *server_after = file_text("server.pem");
    cr_assert_str_eq(ca_after, ca_before, "by the CA clients already trust");
    cr_assert_str_neq(server_after, server_before);
    X509 *leaf = load_cert("server.pem");
    cr_expect_eq(X509_check_host(leaf, "localstack", 0, 0, NULL), 1);
    cr_expect_eq(X509_check_host(leaf, "bucket.s3.ls.test", 0, 0, NULL), 1);
    cr_expect_eq(X509_check_ip_asc(leaf, "10.1.2.3", 0), 1);
    X509_free(leaf);
    free(ca_before);
    free(server_before);
    free(server_same);
    free(ca_after);
    free(server_after);
}

static void write_text(const char *name, const char *text) {
    char *path = path_in(name);
    FILE *w = fopen(path, "w");
    cr_assert_not_null(w);
    fputs(text, w);
    fclose(w);
    free(path);
}

static bool ensure_made(void) {
    nb__tls_files_t f;
    char *err = NULL;
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, NULL, &f, &err), 0, "%s", err ? err : "");
    bool made = f.made;
    nb__tls_files_free(&f);
    return made;
}

Test(tls_cert, broken_ca_is_made_again) {
    write_text("ca.crt", "not a certificate\n"); /* no earlier start */
    cr_assert(ensure_made());
    X509_free(load_cert("ca.crt"));
    cr_assert_not(ensure_made());
    write_text("ca.crt", "not a certificate\n"); /* after a start that checked it */
    cr_assert(ensure_made(), "a CA broken since the last start is made again");
    X509_free(load_cert("ca.crt"));
}

Test(tls_cert, renewed_30_days_before_it_expires) {
    cr_assert(ensure_made());
    cr_assert_not(ensure_made());
    /* server.pem's certificate as it was, but ending in 10 days, signed again by the CA */
    char *path = path_in("server.pem"), *ca_key_path = path_in("ca.key");
    FILE *f = fopen(path, "r"), *k = fopen(ca_key_path, "r");
    cr_assert(f && k);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL), *ca_key = PEM_read_PrivateKey(k, NULL, NULL, NULL);
    rewind(f);
    X509 *leaf = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    fclose(k);
    cr_assert(key && ca_key && leaf);
    X509 *ca = load_cert("ca.crt");
    cr_assert_not_null(X509_gmtime_adj(X509_getm_notAfter(leaf), 10L * 86400));
    cr_assert_gt(X509_sign(leaf, ca_key, EVP_sha256()), 0);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) && PEM_write_X509(f, leaf) && PEM_write_X509(f, ca));
    fclose(f);
    cr_assert(ensure_made(), "a certificate ending within 30 days is made again");
    X509 *renewed = load_cert("server.pem");
    time_t in_800_days = time(NULL) + 800L * 86400;
    cr_expect_gt(X509_cmp_time(X509_get0_notAfter(renewed), &in_800_days), 0, "for another 825 days");
    X509_free(renewed);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    free(path);
    free(ca_key_path);
}

Test(tls_cert, custom_pair_loads_and_mismatch_is_refused) {
    nb__tls_files_t f;
    char *err = NULL;
    cr_assert_eq(nb__tls_cert_ensure(cert_dir, NULL, &f, &err), 0);
    nb__tls_files_free(&f);
    char *server = path_in("server.pem"), *ca_key = path_in("ca.key");
    nb__tls_ctx_t *ctx = nb__tls_ctx_new(server, NULL, &err);
    cr_assert_not_null(ctx, "%s", err ? err : "");
    nb__tls_ctx_free(ctx);
    /* the server certificate with the CA's key: refused, naming the problem */
    ctx = nb__tls_ctx_new(server, ca_key, &err);
    cr_assert_null(ctx);
    cr_assert_not_null(strstr(err, "does not belong"), "%s", err);
    free(err);
    err = NULL;
    ctx = nb__tls_ctx_new("/nonexistent/cert.pem", NULL, &err);
    cr_assert_null(ctx);
    cr_assert_not_null(strstr(err, "/nonexistent/cert.pem"), "%s", err);
    free(err);
    free(server);
    free(ca_key);
}
