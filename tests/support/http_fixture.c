/* The HTTP tests' server under test and raw client: see http_fixture.h. */
#include "support/http_fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the server under test ---- */

http_fixture_t http_fx;

void respond_text(nb__http_exchange_t *x, int status, const char *text) {
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = status;
    nb__headers_add(&resp.headers, "Content-Type", "text/plain");
    nb__buf_puts(&resp.body, text);
    nb__http_respond(x, &resp);
}

static void on_timer_closed(uv_handle_t *h) { free(h); }

static void on_delay(uv_timer_t *t) {
    nb__http_exchange_t *x = t->data;
    respond_text(x, 200, "delayed-done");
    atomic_fetch_add(&http_fx.delayed_answers, 1);
    uv_close((uv_handle_t *)t, on_timer_closed);
}

static void on_hold_abort(nb__http_exchange_t *x, void *data) {
    (void)data;
    atomic_store(&http_fx.aborted, 1);
    respond_text(x, 500, "never seen"); /* frees the aborted exchange */
}

static void echo(nb__http_exchange_t *x, nb__http_request_t *req) {
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__buf_t *b = &resp.body;
    nb__buf_printf(b, "method=%s\npath=%s\nquery=%s\ntarget=%s\n", req->method, req->path,
                   req->query ? req->query : "(none)", req->target);
    for (size_t i = 0; i < req->headers.len; i++)
        nb__buf_printf(b, "h=%s: %s\n", req->headers.items[i].name, req->headers.items[i].value);
    int64_t size = nb__body_size(req->body);
    nb__buf_printf(b, "body=%lld\n", (long long)size);
    nb__buf_printf(b, "spilled=%d\n", nb__body_path(req->body) != NULL);
    nb__buf_printf(b, "peer=%s\n", req->peer);
    nb__buf_printf(b, "inflight=%zu conns=%zu\n", nb__http_server_inflight(http_fx.srv), nb__http_server_connections(http_fx.srv));
    if (size <= 64) {
        const char *d = nb__body_data(req->body, 64);
        nb__buf_printf(b, "content=%s\n", d ? d : "?");
    }
    if (nb__body_path(req->body))
        snprintf(http_fx.spill_path, sizeof http_fx.spill_path, "%s", nb__body_path(req->body));
    nb__headers_add(&resp.headers, "X-Echo", "1");
    nb__http_respond(x, &resp);
}

/* /small and /bare: 16 bytes at most; a body over the limit is the handler's to answer, but /bare's.
 * /refuse, with Expect: 100-continue: answered from the head, the reason left to the handler. */
static nb__http_head_verdict_t head_hook(nb__http_request_t *req, bool expect_continue, uint64_t *max_body,
                                         void *data) {
    (void)data;
    atomic_fetch_add(&http_fx.heads, 1);
    if (expect_continue && strncmp(req->path, "/refuse", 7) == 0) {
        req->head_data = strdup("refused from the head");
        req->head_free = free; /* left to the request: the handler only reads it */
        return NB__HEAD_ANSWER_NOW;
    }
    if (strncmp(req->path, "/small", 6) == 0 || strncmp(req->path, "/bare", 5) == 0)
        *max_body = 16;
    return strncmp(req->path, "/bare", 5) != 0 ? NB__HEAD_READ_OWN_LIMIT : NB__HEAD_READ;
}

static void handler(nb__http_exchange_t *x, nb__http_request_t *req, void *data) {
    (void)data;
    if (http_fx.handle) {
        http_fx.handle(x, req);
    } else if (req->without_body && req->head_data) {
        atomic_store(&http_fx.too_large_read, (long long)nb__body_size(req->body));
        respond_text(x, 409, req->head_data);
    } else if (req->without_body) { /* answered in the handler's own format */
        atomic_store(&http_fx.too_large_read, (long long)nb__body_size(req->body));
        char text[64];
        snprintf(text, sizeof text, "too large: max %llu", (unsigned long long)req->max_body);
        respond_text(x, 422, text);
    } else if (strncmp(req->path, "/async", 6) == 0 || strcmp(req->path, "/slow") == 0) {
        uv_timer_t *t = malloc(sizeof *t);
        uv_timer_init(&http_fx.loop, t);
        t->data = x;
        uv_timer_start(t, on_delay, strcmp(req->path, "/slow") == 0 ? 400 : 100, 0);
        atomic_store(&http_fx.handler_started, 1);
    } else if (strcmp(req->path, "/hold") == 0) {
        nb__http_exchange_on_abort(x, on_hold_abort, NULL);
        atomic_store(&http_fx.handler_started, 1);
    } else if (strcmp(req->path, "/file") == 0 || strcmp(req->path, "/mem") == 0) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        if (req->path[1] == 'f')
            resp.stream = nb__body_from_file(http_fx.file, 0, -1);
        else
            resp.stream = nb__body_from_mem("in-memory stream body", 21);
        nb__headers_add(&resp.headers, "Content-Type", "application/octet-stream");
        nb__http_respond(x, &resp);
    } else if (strcmp(req->path, "/nocontent") == 0) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        resp.status = 204;
        nb__http_respond(x, &resp);
    } else if (strcmp(req->path, "/headlike") == 0) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        resp.no_body = true;
        nb__headers_add(&resp.headers, "Content-Length", "12345");
        nb__http_respond(x, &resp);
    } else if (strcmp(req->path, "/close") == 0) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        nb__headers_add(&resp.headers, "Connection", "close");
        nb__buf_puts(&resp.body, "bye");
        nb__http_respond(x, &resp);
    } else {
        echo(x, req);
    }
}

static void on_closed(void *data) {
    (void)data;
    atomic_store(&http_fx.closed, 1);
    uv_close((uv_handle_t *)&http_fx.stop, NULL);
}

static void on_stop(uv_async_t *a) {
    (void)a;
    if (atomic_load(&http_fx.closing))
        return;
    nb__http_server_close(http_fx.srv, http_fx.grace_ms, on_closed, NULL);
    atomic_store(&http_fx.closing, 1);
}

static void server_thread(void *arg) {
    (void)arg;
    uv_loop_init(&http_fx.loop);
    uv_async_init(&http_fx.loop, &http_fx.stop, on_stop);
    http_fx.srv = nb__http_server_new(&http_fx.loop, &http_fx.limits, handler, NULL);
    if (http_fx.head_hook)
        nb__http_server_on_head(http_fx.srv, head_hook);
    if (http_fx.tls)
        nb__http_server_set_tls(http_fx.srv, http_fx.tls, http_fx.tls_handshake_ms);
    http_fx.listen_rc = nb__http_server_listen(http_fx.srv, http_fx.host, 0);
    http_fx.port = nb__http_server_port(http_fx.srv);
    uv_sem_post(&http_fx.ready);
    uv_run(&http_fx.loop, UV_RUN_DEFAULT);
    atomic_store(&http_fx.loop_close_rc, uv_loop_close(&http_fx.loop));
}

void http_fx_setup(void) {
    memset(&http_fx, 0, sizeof http_fx);
    nb__http_limits_default(&http_fx.limits);
    http_fx.limits.max_header_bytes = 8 * 1024;
    http_fx.limits.max_body_bytes = 1024 * 1024;
    http_fx.limits.spill_threshold = 1024;
    http_fx.limits.idle_timeout_ms = 10000;
    http_fx.limits.header_timeout_ms = 10000;
    snprintf(http_fx.tmpdir, sizeof http_fx.tmpdir, "/tmp/nb-http-test-XXXXXX");
    cr_assert(mkdtemp(http_fx.tmpdir) != NULL);
    http_fx.limits.tmpdir = http_fx.tmpdir;
    http_fx.host = "127.0.0.1";
    http_fx.grace_ms = 2000;
}

void http_fx_start(void) {
    uv_sem_init(&http_fx.ready, 0);
    cr_assert(uv_thread_create(&http_fx.thread, server_thread, NULL) == 0);
    uv_sem_wait(&http_fx.ready);
    uv_sem_destroy(&http_fx.ready);
}

void http_fx_init(void) {
    http_fx_setup();
    http_fx_start();
    cr_assert_eq(http_fx.listen_rc, 0);
    cr_assert_gt(http_fx.port, 0);
}

void stop_server(void) {
    uv_async_send(&http_fx.stop);
    uv_thread_join(&http_fx.thread);
    cr_assert_eq(atomic_load(&http_fx.closed), 1, "on_closed ran");
    cr_assert_eq(atomic_load(&http_fx.loop_close_rc), 0, "no handle left open on the loop");
}

void http_fx_fini(void) {
    if (!atomic_load(&http_fx.closed))
        stop_server();
    cr_expect_eq(count_files(http_fx.tmpdir), 0, "no temp file left behind");
    if (http_fx.file[0])
        unlink(http_fx.file);
    rmdir(http_fx.tmpdir);
}

/* ---- a raw client ---- */

void cl_open_at(client_t *c, int family, const char *ip) {
    memset(c, 0, sizeof *c);
    c->fd = socket(family, SOCK_STREAM, 0);
    cr_assert(c->fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)http_fx.port);
        inet_pton(AF_INET, ip, &a->sin_addr);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)http_fx.port);
        inet_pton(AF_INET6, ip, &a->sin6_addr);
        sl = sizeof *a;
    }
    cr_assert_eq(connect(c->fd, (struct sockaddr *)&ss, sl), 0, "connect: %s", strerror(errno));
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
}

void cl_open(client_t *c) { cl_open_at(c, AF_INET, "127.0.0.1"); }

void cl_close(client_t *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
}

void cl_send(client_t *c, const void *data, size_t len) {
    const char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        cr_assert_gt(n, 0, "send: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

void cl_puts(client_t *c, const char *s) { cl_send(c, s, strlen(s)); }

/* More bytes into the buffer: >0 read, 0 EOF, <0 error or timeout. */
ssize_t cl_fill(client_t *c) {
    if (c->cap - c->len < 4096) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

void cl_consume(client_t *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

const char *hdr(const resp_t *r, const char *name) {
    static char val[256];
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            snprintf(val, sizeof val, "%.*s", (int)(e - v), v);
            return val;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

/* Reads one response; head_only: a HEAD answer (no body whatever Content-Length says). */
void cl_response(client_t *c, resp_t *r, bool head_only) {
    memset(r, 0, sizeof *r);
    char *end;
    while ((end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL) == NULL)
        cr_assert_gt(cl_fill(c), 0, "connection ended before a response head");
    size_t hl = (size_t)(end - c->buf) + 4;
    cr_assert_lt(hl, sizeof r->head);
    memcpy(r->head, c->buf, hl);
    r->head[hl] = '\0';
    cl_consume(c, hl);
    cr_assert_eq(sscanf(r->head, "HTTP/1.1 %d", &r->status), 1, "status line: %s", r->head);
    const char *cl = hdr(r, "Content-Length");
    size_t n = (head_only || !cl) ? 0 : strtoull(cl, NULL, 10);
    r->body = malloc(n + 1);
    while (c->len < n)
        cr_assert_gt(cl_fill(c), 0, "connection ended inside a body");
    memcpy(r->body, c->buf, n);
    r->body[n] = '\0';
    r->body_len = n;
    cl_consume(c, n);
}

void resp_free(resp_t *r) { free(r->body); }

/* True when the server closed the connection with no further bytes. */
bool cl_eof(client_t *c) {
    if (c->len)
        return false;
    ssize_t n = cl_fill(c);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

void wait_flag(atomic_int *flag) {
    for (int i = 0; i < 1000 && !atomic_load(flag); i++)
        usleep(10000);
    cr_assert(atomic_load(flag), "waited 10 s for the server");
}

void make_file(size_t n) {
    snprintf(http_fx.file, sizeof http_fx.file, "/tmp/nb-http-file-XXXXXX");
    int fd = mkstemp(http_fx.file);
    cr_assert(fd >= 0);
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
    free(data);
}

void expect_still_serving(void) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "path=/alive\n"), "%s", r.body);
    resp_free(&r);
    cl_close(&c);
}
