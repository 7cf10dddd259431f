/*
 * The HTTP server seen from a raw socket: the server runs on its own loop in
 * a thread, the test talks bytes to it and checks what a client would see.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "http/body.h"
#include "http/server.h"

/* ---- the server under test ---- */

static struct {
    uv_loop_t loop;
    uv_async_t stop;
    uv_thread_t thread;
    uv_sem_t ready;
    nb__http_server_t *srv;
    nb__http_limits_t limits;
    const char *host;
    int port;
    int listen_rc;
    uint64_t grace_ms;
    char tmpdir[64];
    char file[128];
    char spill_path[256];
    bool head_hook;      /* the server limits bodies of /small and /bare to 16 bytes */
    atomic_int heads;    /* calls of the head hook */
    atomic_llong too_large_read; /* bytes of a too large body the handler got */
    atomic_int handler_started, aborted, closing, closed, loop_close_rc;
} F;

static void respond_text(nb__http_exchange_t *x, int status, const char *text) {
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
    uv_close((uv_handle_t *)t, on_timer_closed);
}

static void on_hold_abort(nb__http_exchange_t *x, void *data) {
    (void)data;
    atomic_store(&F.aborted, 1);
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
    nb__buf_printf(b, "inflight=%zu conns=%zu\n", nb__http_server_inflight(F.srv), nb__http_server_connections(F.srv));
    if (size <= 64) {
        const char *d = nb__body_data(req->body, 64);
        nb__buf_printf(b, "content=%s\n", d ? d : "?");
    }
    if (nb__body_path(req->body))
        snprintf(F.spill_path, sizeof F.spill_path, "%s", nb__body_path(req->body));
    nb__headers_add(&resp.headers, "X-Echo", "1");
    nb__http_respond(x, &resp);
}

/* /small and /bare: 16 bytes at most; a body over the limit is the handler's to answer, but /bare's.
 * /refuse, with Expect: 100-continue: answered from the head, the reason left to the handler. */
static nb__http_head_verdict_t head_hook(nb__http_request_t *req, bool expect_continue, uint64_t *max_body,
                                         void *data) {
    (void)data;
    atomic_fetch_add(&F.heads, 1);
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
    if (req->without_body && req->head_data) {
        atomic_store(&F.too_large_read, (long long)nb__body_size(req->body));
        respond_text(x, 409, req->head_data);
    } else if (req->without_body) { /* answered in the handler's own format */
        atomic_store(&F.too_large_read, (long long)nb__body_size(req->body));
        char text[64];
        snprintf(text, sizeof text, "too large: max %llu", (unsigned long long)req->max_body);
        respond_text(x, 422, text);
    } else if (strncmp(req->path, "/async", 6) == 0 || strcmp(req->path, "/slow") == 0) {
        uv_timer_t *t = malloc(sizeof *t);
        uv_timer_init(&F.loop, t);
        t->data = x;
        uv_timer_start(t, on_delay, strcmp(req->path, "/slow") == 0 ? 400 : 100, 0);
        atomic_store(&F.handler_started, 1);
    } else if (strcmp(req->path, "/hold") == 0) {
        nb__http_exchange_on_abort(x, on_hold_abort, NULL);
        atomic_store(&F.handler_started, 1);
    } else if (strcmp(req->path, "/file") == 0 || strcmp(req->path, "/mem") == 0) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        if (req->path[1] == 'f')
            resp.stream = nb__body_from_file(F.file, 0, -1);
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
    atomic_store(&F.closed, 1);
    uv_close((uv_handle_t *)&F.stop, NULL);
}

static void on_stop(uv_async_t *a) {
    (void)a;
    if (atomic_load(&F.closing))
        return;
    nb__http_server_close(F.srv, F.grace_ms, on_closed, NULL);
    atomic_store(&F.closing, 1);
}

static void server_thread(void *arg) {
    (void)arg;
    uv_loop_init(&F.loop);
    uv_async_init(&F.loop, &F.stop, on_stop);
    F.srv = nb__http_server_new(&F.loop, &F.limits, handler, NULL);
    if (F.head_hook)
        nb__http_server_on_head(F.srv, head_hook);
    F.listen_rc = nb__http_server_listen(F.srv, F.host, 0);
    F.port = nb__http_server_port(F.srv);
    uv_sem_post(&F.ready);
    uv_run(&F.loop, UV_RUN_DEFAULT);
    atomic_store(&F.loop_close_rc, uv_loop_close(&F.loop));
}

static void setup_limits(void) {
    memset(&F, 0, sizeof F);
    nb__http_limits_default(&F.limits);
    F.limits.max_header_bytes = 8 * 1024;
    F.limits.max_body_bytes = 1024 * 1024;
    F.limits.spill_threshold = 1024;
    F.limits.idle_timeout_ms = 10000;
    F.limits.header_timeout_ms = 10000;
    snprintf(F.tmpdir, sizeof F.tmpdir, "/tmp/nb-http-test-XXXXXX");
    cr_assert(mkdtemp(F.tmpdir) != NULL);
    F.limits.tmpdir = F.tmpdir;
    F.host = "127.0.0.1";
    F.grace_ms = 2000;
}

static void start(void) {
    uv_sem_init(&F.ready, 0);
    cr_assert(uv_thread_create(&F.thread, server_thread, NULL) == 0);
    uv_sem_wait(&F.ready);
    uv_sem_destroy(&F.ready);
}

static void init(void) {
    setup_limits();
    start();
    cr_assert_eq(F.listen_rc, 0);
    cr_assert_gt(F.port, 0);
}

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void stop_server(void) {
    uv_async_send(&F.stop);
    uv_thread_join(&F.thread);
    cr_assert_eq(atomic_load(&F.closed), 1, "on_closed ran");
    cr_assert_eq(atomic_load(&F.loop_close_rc), 0, "no handle left open on the loop");
}

static void fini(void) {
    if (!atomic_load(&F.closed))
        stop_server();
    cr_expect_eq(count_files(F.tmpdir), 0, "no temp file left behind");
    if (F.file[0])
        unlink(F.file);
    rmdir(F.tmpdir);
}

/* ---- a raw client ---- */

typedef struct {
    int fd;
    char *buf;
    size_t len, cap;
} client_t;

typedef struct {
    int status;
    char head[16384];
    char *body;
    size_t body_len;
} resp_t;

static void cl_open_at(client_t *c, int family, const char *ip) {
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
        a->sin_port = htons((uint16_t)F.port);
        inet_pton(AF_INET, ip, &a->sin_addr);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)F.port);
        inet_pton(AF_INET6, ip, &a->sin6_addr);
        sl = sizeof *a;
    }
    cr_assert_eq(connect(c->fd, (struct sockaddr *)&ss, sl), 0, "connect: %s", strerror(errno));
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
}

static void cl_open(client_t *c) { cl_open_at(c, AF_INET, "127.0.0.1"); }

static void cl_close(client_t *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
}

static void cl_send(client_t *c, const void *data, size_t len) {
    const char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        cr_assert_gt(n, 0, "send: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static void cl_puts(client_t *c, const char *s) { cl_send(c, s, strlen(s)); }

/* More bytes into the buffer: >0 read, 0 EOF, <0 error or timeout. */
static ssize_t cl_fill(client_t *c) {
    if (c->cap - c->len < 4096) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

static void cl_consume(client_t *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static const char *hdr(const resp_t *r, const char *name) {
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
static void cl_response(client_t *c, resp_t *r, bool head_only) {
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

static void resp_free(resp_t *r) { free(r->body); }

/* True when the server closed the connection with no further bytes. */
static bool cl_eof(client_t *c) {
    if (c->len)
        return false;
    ssize_t n = cl_fill(c);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void wait_flag(atomic_int *flag) {
    for (int i = 0; i < 1000 && !atomic_load(flag); i++)
        usleep(10000);
    cr_assert(atomic_load(flag), "waited 10 s for the server");
}

/* ---- tests ---- */

TestSuite(http, .init = init, .fini = fini, .timeout = 60);
/* Tests that set their own limits before starting the server. */
TestSuite(http_custom, .fini = fini, .timeout = 60);

Test(http, simple_get) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /b1/k%201?uploads&x=1 HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: Svc.Op\r\n"
                "x-lower-case: v 2\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(hdr(&r, "X-Echo"), "1");
    cr_assert(strstr(r.head, "HTTP/1.1 200 OK\r\n") == r.head);
    cr_assert(strstr(r.body, "method=GET\n"));
    cr_assert(strstr(r.body, "path=/b1/k%201\n"));
    cr_assert(strstr(r.body, "query=uploads&x=1\n"));
    cr_assert(strstr(r.body, "target=/b1/k%201?uploads&x=1\n"));
    cr_assert(strstr(r.body, "h=Host: localhost\nh=X-Amz-Target: Svc.Op\nh=x-lower-case: v 2\nh=X-Empty: \n"
                             "h=X-Spaces: \n"), "%s", r.body);
    cr_assert(strstr(r.body, "body=0\n"));
    cr_assert(strstr(r.body, "peer=127.0.0.1:"));
    cr_assert(strstr(r.body, "inflight=1 conns=1\n"), "%s", r.body);
    cr_assert_null(hdr(&r, "Connection"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, keep_alive_two_requests) {
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/one\n"));
    resp_free(&r);
    cl_puts(&c, "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "method=POST\npath=/two\n"));
    cr_assert(strstr(r.body, "content=abc\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, pipelined_answered_in_order) {
    client_t c;
    cl_open(&c);
    /* The first one is answered later (a timer), the others at once. */
    cl_puts(&c, "GET /async-1 HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                "GET /p3 HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "delayed-done");
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/p2\n"), "%s", r.body);
    cr_assert(strstr(r.body, "content=hi\n"));
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/p3\n"), "%s", r.body);
    resp_free(&r);
    cl_close(&c);
}

Test(http, pipelined_bytes_split_across_writes) {
    client_t c;
    cl_open(&c);
    const char *reqs = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const char *p = reqs; *p; p++) /* one byte at a time */
        cl_send(&c, p, 1);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/a\n"));
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/b\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, chunked_request_body) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=11\n"), "%s", r.body);
    cr_assert(strstr(r.body, "content=hello world\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, expect_100_continue_before_body) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    const char want[] = "HTTP/1.1 100 Continue\r\n\r\n";
    while (c.len < sizeof want - 1)
        cr_assert_gt(cl_fill(&c), 0, "no 100 Continue before the body was sent");
    cr_assert(memcmp(c.buf, want, sizeof want - 1) == 0);
    cl_consume(&c, sizeof want - 1);
    cl_puts(&c, "12345");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "content=12345\n"));
    resp_free(&r);
    cl_close(&c);
}

/* Clients that always send "Expect: 100-continue" (boto3 1.43) wait for it even before an empty body. */
Test(http, expect_100_continue_empty_body) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n");
    const char want[] = "HTTP/1.1 100 Continue\r\n\r\n";
    while (c.len < sizeof want - 1)
        cr_assert_gt(cl_fill(&c), 0, "no 100 Continue before an empty body");
    cr_assert(memcmp(c.buf, want, sizeof want - 1) == 0, "%.*s", (int)c.len, c.buf);
    cl_consume(&c, sizeof want - 1);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=0\n"));
    resp_free(&r);
    cl_close(&c);
}

static void start_with_head_hook(void) {
    setup_limits();
    F.head_hook = true;
    atomic_store(&F.too_large_read, -1);
    start();
}

/* Sends a head whose Content-Length is over its limit: the handler's answer (text), closed after. */
static void refused_by_the_handler(const char *head, const char *text, int status) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, head);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, status, "%s", r.head);
    cr_assert_str_eq(r.body, text);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

/* The hook's limit, known from the head: the handler answers at once, no 100 Continue, nothing read, closed after. */
Test(http_custom, head_hook_limit_by_content_length) {
    start_with_head_hook();
    refused_by_the_handler("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n",
                           "too large: max 16", 422);
    cr_assert_eq(atomic_load(&F.too_large_read), 0);
}

Test(http_custom, head_hook_limit_within_and_elsewhere) {
    start_with_head_hook();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=16\n"));
    resp_free(&r);
    /* other paths keep the server's limit (1 MiB here), on the same connection */
    cl_puts(&c, "PUT /other HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
    char body[100];
    memset(body, 'b', sizeof body);
    cl_send(&c, body, sizeof body);
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=100\n"));
    resp_free(&r);
    cr_assert_eq(atomic_load(&F.heads), 2);
    cl_close(&c);
}

/* A chunked body is held to the limit as it arrives: the handler answers once it is passed. */
Test(http_custom, head_hook_limit_chunked) {
    start_with_head_hook();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "a\r\n0123456789\r\na\r\n0123456789\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 422, "%s", r.head);
    cr_assert_leq(atomic_load(&F.too_large_read), 16, "no more than the limit is kept");
    resp_free(&r);
    cl_close(&c);
}

/* A hook may leave the answer to the server: its bare 413, before the body, and closed. */
Test(http_custom, head_hook_limit_answered_by_the_server) {
    start_with_head_hook();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /bare HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413, "%s", r.head);
    cr_assert_eq(r.body_len, 0);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
    cl_open(&c);
    cl_puts(&c, "POST /bare HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\na\r\n0123456789\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413, "%s", r.head);
    resp_free(&r);
    cl_close(&c);
    cr_assert_eq(atomic_load(&F.too_large_read), -1, "the handler never saw them");
}

/* A head the hook refuses: the handler's answer at once, no 100 Continue, not a byte of
 * the body read, closed after; the same path without Expect reads its body as usual. */
Test(http_custom, head_hook_answers_from_the_head) {
    start_with_head_hook();
    refused_by_the_handler("PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
                           "refused from the head", 409);
    cr_assert_eq(atomic_load(&F.too_large_read), 0);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200, "%s", r.head);
    cr_assert(strstr(r.body, "content=hello\n"));
    resp_free(&r);
    cl_close(&c);
}

/* The server's own limit still caps what a hook allows. */
Test(http_custom, head_hook_cannot_raise_the_server_limit) {
    start_with_head_hook();
    refused_by_the_handler("PUT /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
                           "too large: max 1048576", 422);
}

Test(http, big_body_spills_to_a_temp_file_removed_after) {
    client_t c;
    cl_open(&c);
    size_t n = 300 * 1024;
    char *body = malloc(n);
    memset(body, 'z', n);
    char head[256];
    snprintf(head, sizeof head, "PUT /spill HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", n);
    cl_puts(&c, head);
    cl_send(&c, body, n);
    free(body);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "body=307200\n"), "%s", r.body);
    cr_assert(strstr(r.body, "spilled=1\n"));
    cr_assert_eq(strncmp(F.spill_path, F.tmpdir, strlen(F.tmpdir)), 0, "spilled into the configured tmpdir");
    cr_assert_neq(access(F.spill_path, F_OK), 0, "temp file removed once answered");
    cr_assert_eq(count_files(F.tmpdir), 0);
    resp_free(&r);
    /* A body below the threshold stays in memory. */
    cl_puts(&c, "PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "spilled=0\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, head_has_no_body) {
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, true);
    cr_assert_eq(r.status, 200);
    const char *cl = hdr(&r, "Content-Length");
    cr_assert_not_null(cl);
    cr_assert_gt(atoi(cl), 0, "Content-Length as for a GET");
    resp_free(&r);
    /* The next answer starts right after the head: no body bytes were sent. */
    cl_puts(&c, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "path=/after\n"));
    resp_free(&r);
    /* A handler-given Content-Length with no_body is kept (S3 HeadObject). */
    cl_puts(&c, "HEAD /headlike HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, true);
    cr_assert_str_eq(hdr(&r, "Content-Length"), "12345");
    resp_free(&r);
    cl_puts(&c, "GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 204);
    cr_assert_null(hdr(&r, "Content-Length"));
    resp_free(&r);
    cl_puts(&c, "GET /after2 HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/after2\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, oversized_headers_431) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    char *big = malloc(20000);
    memset(big, 'a', 20000);
    cl_send(&c, big, 20000);
    free(big);
    cl_puts(&c, "\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 431);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, big_content_length_413_at_once) {
    client_t c;
    cl_open(&c);
    /* No body is sent: the answer must not wait for it. */
    cl_puts(&c, "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\nExpect: 100-continue\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413, "%s", r.head);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, chunked_body_over_limit_413) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    char *chunk = malloc(64 * 1024);
    memset(chunk, 'q', 64 * 1024);
    resp_t r;
    int sent = 0;
    /* Send until the server answers (it may reset once it stopped reading). */
    for (; sent < 40; sent++) {
        char sz[32];
        snprintf(sz, sizeof sz, "%x\r\n", 64 * 1024);
        if (send(c.fd, sz, strlen(sz), MSG_NOSIGNAL) < 0 || send(c.fd, chunk, 64 * 1024, MSG_NOSIGNAL) < 0 ||
            send(c.fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
            break;
    }
    free(chunk);
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413);
    resp_free(&r);
    cl_close(&c);
}

Test(http_custom, slow_headers_408) {
    setup_limits();
    F.limits.header_timeout_ms = 200;
    start();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\n"); /* and never the blank line */
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 408);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http_custom, idle_keep_alive_closed_silently) {
    setup_limits();
    F.limits.idle_timeout_ms = 200;
    start();
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cr_assert(cl_eof(&c), "closed with no bytes sent");
    cl_close(&c);
}

Test(http, garbage_400) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "\x01\x02 THIS IS NOT HTTP\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, bad_header_after_good_request_400_in_order) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /async-x HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nBad Header\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "delayed-done");
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, disconnect_mid_body_leaves_nothing) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /spill HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n");
    char *part = malloc(200000);
    memset(part, 'p', 200000);
    cl_send(&c, part, 200000);
    free(part);
    for (int i = 0; i < 1000 && count_files(F.tmpdir) == 0; i++)
        usleep(10000);
    cr_assert_eq(count_files(F.tmpdir), 1, "the upload spilled to a temp file");
    cl_close(&c);
    for (int i = 0; i < 1000 && count_files(F.tmpdir) != 0; i++)
        usleep(10000);
    cr_assert_eq(count_files(F.tmpdir), 0, "temp file removed after the disconnect");
    /* The server still serves. */
    cl_open(&c);
    cl_puts(&c, "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cl_close(&c);
}

Test(http, disconnect_while_handled_calls_on_abort) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&F.handler_started);
    cl_close(&c);
    wait_flag(&F.aborted);
}

Test(http, disconnect_before_async_answer) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /async HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&F.handler_started);
    cl_close(&c);
    /* The timer answers an aborted exchange later: it must only be freed. */
    usleep(300000);
    cl_open(&c);
    cl_puts(&c, "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cl_close(&c);
}

Test(http, graceful_close_finishes_in_flight) {
    client_t c, idle;
    cl_open(&idle);
    cl_open(&c);
    cl_puts(&c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&F.handler_started);
    uv_async_send(&F.stop);
    wait_flag(&F.closing);
    cr_assert(cl_eof(&idle), "an idle connection is closed at once");
    cl_close(&idle);
    /* No new connections. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_neq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "delayed-done");
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
    uv_thread_join(&F.thread);
    cr_assert_eq(atomic_load(&F.closed), 1);
    cr_assert_eq(atomic_load(&F.loop_close_rc), 0);
}

Test(http_custom, graceful_close_forces_after_grace) {
    setup_limits();
    F.grace_ms = 200;
    start();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&F.handler_started);
    uv_async_send(&F.stop);
    cr_assert(cl_eof(&c), "connection closed once the grace period ended");
    cl_close(&c);
    uv_thread_join(&F.thread);
    cr_assert_eq(atomic_load(&F.aborted), 1, "the held exchange was aborted");
    cr_assert_eq(atomic_load(&F.closed), 1);
}

static void make_file(size_t n) {
    snprintf(F.file, sizeof F.file, "/tmp/nb-http-file-XXXXXX");
    int fd = mkstemp(F.file);
    cr_assert(fd >= 0);
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
    free(data);
}

Test(http, file_body_streamed) {
    size_t n = 3 * 1024 * 1024 + 123;
    make_file(n);
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /mem HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, n);
    bool same = true;
    for (size_t i = 0; i < n && same; i++)
        same = r.body[i] == (char)('a' + (i * 7 + i / 1000) % 26);
    cr_assert(same, "streamed bytes match the file");
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "in-memory stream body");
    resp_free(&r);
    cl_puts(&c, "HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, true);
    cr_assert_eq((size_t)atoll(hdr(&r, "Content-Length")), n);
    resp_free(&r);
    cl_puts(&c, "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/alive\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, connection_close_and_http10) {
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);

    cl_open(&c);
    cl_puts(&c, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(hdr(&r, "Connection"), "keep-alive");
    resp_free(&r);
    cl_puts(&c, "GET /y HTTP/1.0\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);

    cl_open(&c);
    cl_puts(&c, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "bye");
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http_custom, listens_on_ipv6_and_localhost) {
    setup_limits();
    F.host = "localhost";
    start();
    cr_assert_eq(F.listen_rc, 0);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /v4 HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "peer=127.0.0.1:"));
    resp_free(&r);
    cl_close(&c);
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool has_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof a6) == 0;
    if (probe >= 0)
        close(probe);
    if (has_v6) {
        cl_open_at(&c, AF_INET6, "::1");
        cl_puts(&c, "GET /v6 HTTP/1.1\r\nHost: x\r\n\r\n");
        cl_response(&c, &r, false);
        cr_assert(strstr(r.body, "peer=[::1]:"), "%s", r.body);
        resp_free(&r);
        cl_close(&c);
    }
}

Test(http, half_closed_client_still_gets_its_answer) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /half HTTP/1.1\r\nHost: x\r\n\r\n");
    shutdown(c.fd, SHUT_WR);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "path=/half\n"));
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, upgrade_request_answered_then_closed) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "path=/up\n"));
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http_custom, client_that_stops_reading_is_dropped) {
    setup_limits();
    F.limits.idle_timeout_ms = 300;
    start();
    size_t n = 32 * 1024 * 1024;
    make_file(n);
    client_t c;
    memset(&c, 0, sizeof c);
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(c.fd, (struct sockaddr *)&a, sizeof a), 0);
    c.cap = 1 << 16;
    c.buf = malloc(c.cap);
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    sleep(2); /* not reading: the server's writes stall */
    size_t total = 0;
    ssize_t got;
    char sink[65536];
    while ((got = recv(c.fd, sink, sizeof sink, 0)) > 0)
        total += (size_t)got;
    cr_assert_lt(total, n, "the stalled connection was closed before the whole body went out");
    cl_close(&c);
}

static void expect_400(const char *raw) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, raw);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400, "for %s", raw);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, malformed_framing_400) {
    expect_400("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    expect_400("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
    expect_400("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    expect_400("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    expect_400("GET / HTTP/9.9\r\n\r\n");
}

/* Many requests, cut at pseudo-random points, some answered late: every
 * answer comes back, in order, whatever the segmentation. */
Test(http, random_segmentation_keeps_order) {
    client_t c;
    cl_open(&c);
    char all[64 * 1024];
    size_t len = 0;
    for (int i = 0; i < 60; i++) {
        const char *path = i % 7 == 3 ? "/async" : "/seg";
        if (i % 3 == 0)
            len += (size_t)snprintf(all + len, sizeof all - len, "GET %s?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", path, i);
        else if (i % 3 == 1)
            len += (size_t)snprintf(all + len, sizeof all - len,
                                    "POST %s?i=%d HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody", path, i);
        else
            len += (size_t)snprintf(all + len, sizeof all - len,
                                    "PUT %s?i=%d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                                    path, i);
    }
    unsigned seed = 12345;
    for (size_t off = 0; off < len;) {
        seed = seed * 1103515245 + 12345;
        size_t n = 1 + (seed >> 16) % 200;
        if (n > len - off)
            n = len - off;
        cl_send(&c, all + off, n);
        off += n;
        if ((seed >> 8) % 5 == 0)
            usleep(1000);
    }
    for (int i = 0; i < 60; i++) {
        resp_t r;
        cl_response(&c, &r, false);
        cr_assert_eq(r.status, 200);
        if (i % 7 == 3) {
            cr_assert_str_eq(r.body, "delayed-done", "answer %d", i);
        } else {
            char want[32];
            snprintf(want, sizeof want, "query=i=%d\n", i);
            cr_assert(strstr(r.body, want), "answer %d: %s", i, r.body);
            cr_assert(strstr(r.body, i % 3 == 0 ? "body=0\n" : i % 3 == 1 ? "body=4\n" : "body=3\n"));
        }
        resp_free(&r);
    }
    cl_close(&c);
}

/* Random bytes, alone or after a valid chunked head: each connection gets one 400 and is closed,
 * and the server still answers the next client. */
Test(http, random_garbage_is_answered_400_and_closed) {
    unsigned seed = 777;
    for (int round = 0; round < 40; round++) {
        client_t c;
        cl_open(&c);
        char junk[512];
        size_t n = 1 + round * 12;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            junk[i] = (char)(seed >> 16);
        }
        if (round % 2) /* a valid start, then junk */
            cl_puts(&c, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        send(c.fd, junk, n, MSG_NOSIGNAL);
        shutdown(c.fd, SHUT_WR);
        /* what a client sees: one 400 for the bytes that are not HTTP, then the close */
        resp_t r;
        cl_response(&c, &r, false);
        cr_assert_eq(r.status, 400, "round %d (%zu bytes of junk): %s", round, n, r.head);
        cr_assert_str_eq(hdr(&r, "Connection"), "close", "round %d", round);
        resp_free(&r);
        cr_assert(cl_eof(&c), "round %d: more than one answer to junk", round);
        cl_close(&c);
    }
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /still-alive HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cl_close(&c);
}

Test(http, hundred_pipelined_in_one_write) {
    client_t c;
    cl_open(&c);
    char all[8192];
    size_t len = 0;
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(all + len, sizeof all - len, "GET /p?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    cl_send(&c, all, len);
    for (int i = 0; i < 100; i++) {
        resp_t r;
        cl_response(&c, &r, false);
        char want[32];
        snprintf(want, sizeof want, "query=n=%d\n", i);
        cr_assert(strstr(r.body, want), "answer %d: %s", i, r.body);
        resp_free(&r);
    }
    cl_close(&c);
}

Test(http, client_gone_mid_download) {
    make_file(32 * 1024 * 1024);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert_gt(cl_fill(&c), 0);
    cl_close(&c); /* the server's next writes fail */
    usleep(100000);
    cl_open(&c);
    cl_puts(&c, "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cl_close(&c);
}
