/*
 * nimbus-bench-memory: the load of bench/memory/run.sh (epoll, one thread), reading the server's
 * RSS from /proc/PID/status between its phases.
 *
 *   nimbus-bench-memory hold  PORT PID IDLE WAITERS
 *     IDLE keep-alive connections (each answered one health request, then silent) and WAITERS SQS
 *     receivers in ReceiveMessage WaitTimeSeconds=20 (every 8th in the query protocol, the rest json)
 *     open together; prints the RSS before, with the idle ones, with both, and after they close, the
 *     bytes one idle connection and one waiter cost, and how soon a message sent meanwhile reaches
 *     one of the waiters (exactly one must get it).
 *   nimbus-bench-memory mixed PORT PID TOTAL CONNS
 *     TOTAL requests over CONNS keep-alive connections, a cycle of mixed operations (SQS
 *     send/receive/delete in json and query, S3 put/get/list/delete, health, a 501, a 404 and a 400);
 *     prints the RSS after the first 100,000 (warm-up) and at every 100,000, and the growth.
 *
 * Every answer's status is checked against the operation's; a mismatch counts as an error, and any
 * error makes the exit status 1. Client sockets are spread over source addresses 127.0.0.1-8 so
 * 20,000 of them do not exhaust one address's ephemeral ports.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../load_io.h"
#include "util/codec.h"

#define IN_CAP (64 * 1024)
#define WARMUP 100000
#define SAMPLE_EVERY 100000
#define SOURCE_ADDRS 8
#define IDLE_WAVE 500

static int port, server_pid, epfd;

typedef struct conn {
    int fd;
    int kind; /* hold: 0 idle, 1 waiter; mixed: unused */
    unsigned id, step;
    char *out;
    size_t out_len, out_off;
    char *in;
    size_t in_len;
    int want; /* the status the operation must answer */
} conn_t;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static long rss_kb(void) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", server_pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nimbus-bench-memory: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* A non-blocking connection to the server from 127.0.0.(1 + n % SOURCE_ADDRS). */
static int dial(unsigned n) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s (raise the descriptor limit)", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef IP_BIND_ADDRESS_NO_PORT
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u + n % SOURCE_ADDRS)};
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0)
        die("bind: %s", strerror(errno));
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(0x7f000001u)};
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0 && errno != EINPROGRESS)
        die("connect: %s", strerror(errno));
    return fd;
}

/* ---- requests ---- */

/* The service a request names (the server routes on it; the signature is not checked). */
#define AUTH(service)                                                                                 \
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" service "/aws4_request, " \
    "SignedHeaders=host, Signature=0\r\n"

static void set_out(conn_t *c, char *req, int len, int want) {
    if (len < 0)
        die("out of memory");
    free(c->out);
    c->out = req;
    c->out_len = (size_t)len;
    c->out_off = 0;
    c->in_len = 0;
    c->want = want;
}

static void sqs_json(conn_t *c, const char *op, const char *body, int want) {
    char *r;
    int n = asprintf(&r,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-amz-json-1.0\r\n"
                     "X-Amz-Target: AmazonSQS.%s\r\n" AUTH("sqs") "Content-Length: %zu\r\n\r\n%s",
                     port, op, strlen(body), body);
    set_out(c, r, n, want);
}

/* A query-protocol request (a form) to the service auth names. */
static void query_req(conn_t *c, const char *auth, const char *body, int want) {
    char *r;
    int n = asprintf(&r,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "%sContent-Length: %zu\r\n\r\n%s",
                     port, auth, strlen(body), body);
    set_out(c, r, n, want);
}

static void sqs_query(conn_t *c, const char *body, int want) { query_req(c, AUTH("sqs"), body, want); }

static void s3_req(conn_t *c, const char *method, const char *target, size_t body_len, int want) {
    static char payload[1024];
    if (payload[0] == 0)
        memset(payload, 'x', sizeof payload);
    char *r;
    int n = asprintf(&r,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" AUTH("s3")
                     "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: %zu\r\n\r\n%.*s",
                     method, target, port, body_len, (int)body_len, payload);
    set_out(c, r, n, want);
}

static void health(conn_t *c) {
    char *r;
    int n = asprintf(&r, "GET /_localstack/health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
    set_out(c, r, n, 200);
}

static void not_implemented(conn_t *c) { /* an STS operation the plugin does not implement */
    query_req(c, AUTH("sts"), "Action=GetSessionToken&Version=2011-06-15", 501);
}

/* ---- answers ---- */

/* 1: a complete answer is in c->in (its status set), 0: not complete yet, -1: bad. */
static int answer_complete(conn_t *c, int *status) {
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL)
        return c->in_len >= IN_CAP ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    if (c->in_len < 12 || strncmp(c->in, "HTTP/1.1 ", 9) != 0)
        return -1;
    *status = atoi(c->in + 9);
    if (load_head_line(c->in, end, "Transfer-Encoding:"))
        return -1; /* the measured operations all answer with a Content-Length */
    const char *value = load_head_line(c->in, end, "Content-Length:");
    size_t clen = value ? strtoul(value, NULL, 10) : 0;
    if (head + clen > IN_CAP)
        return -1;
    return c->in_len < head + clen ? 0 : 1;
}

/* Reads what is there; 1: an answer is complete (status set), 0: not yet, -1: closed or bad. */
static int read_answer(conn_t *c, int *status) {
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
            int rc = answer_complete(c, status);
            if (rc != 0)
                return rc;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
}

static int flush_out(conn_t *c) { return load_write(c->fd, c->out, c->out_len, &c->out_off); }

static void watch(conn_t *c, uint32_t events, int op) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(epfd, op, c->fd, &ev) != 0)
        die("epoll_ctl: %s", strerror(errno));
}

enum { WROTE = 1, ANSWERED = 2 };

/* A ready connection: writes the rest of its request (WROTE once all of it is: it waits for the
 * answer then), or reads its answer (ANSWERED, status set). 0: nothing yet; -1: closed or bad. */
static int on_ready(conn_t *c, int *status) {
    if (c->out_off < c->out_len) {
        int rc = flush_out(c);
        if (rc < 0)
            die("write: %s", strerror(errno));
        if (rc == 0)
            return 0;
        watch(c, EPOLLIN, EPOLL_CTL_MOD);
        return WROTE;
    }
    int rc = read_answer(c, status);
    return rc == 1 ? ANSWERED : rc;
}

/* One blocking request on a fresh connection (set-up and the probe message). */
static int request_once(conn_t *c, char *body_out, size_t body_cap) {
    c->fd = dial(0);
    int fl = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
    if (flush_out(c) != 1)
        die("write: %s", strerror(errno));
    int status = 0;
    if (read_answer(c, &status) != 1) /* blocking: returns once the answer is complete */
        die("read: the server closed or answered badly");
    if (body_out) {
        char *b = memmem(c->in, c->in_len, "\r\n\r\n", 4) + 4;
        size_t n = c->in_len - (size_t)(b - c->in);
        n = n < body_cap - 1 ? n : body_cap - 1;
        memcpy(body_out, b, n);
        body_out[n] = 0;
    }
    close(c->fd);
    c->fd = -1;
    return status;
}

static conn_t *conn_new(unsigned id) {
    conn_t *c = calloc(1, sizeof *c);
    if (c == NULL || (c->in = malloc(IN_CAP)) == NULL)
        die("out of memory");
    c->id = id;
    c->fd = -1;
    return c;
}

static char queue_url[512], queue_url_form[1536]; /* the latter percent-encoded, for query requests */

static void create_queue(const char *name) {
    conn_t *c = conn_new(0);
    char body[256], out[1024];
    snprintf(body, sizeof body, "{\"QueueName\":\"%s\"}", name);
    sqs_json(c, "CreateQueue", body, 200);
    if (request_once(c, out, sizeof out) != 200)
        die("CreateQueue: %s", out);
    char *u = strstr(out, "\"QueueUrl\":\"");
    if (u == NULL)
        die("CreateQueue: no QueueUrl in %s", out);
    u += 12;
    size_t n = strcspn(u, "\"");
    snprintf(queue_url, sizeof queue_url, "%.*s", (int)n, u);
    if (nb__url_encode_to(queue_url, strlen(queue_url), 0, queue_url_form, sizeof queue_url_form) < 0)
        die("CreateQueue: the QueueUrl %s is too long", queue_url);
}

static void print_rss(const char *what, long kb) { printf("  RSS %-34s %8ld kB (%.1f MB)\n", what, kb, kb / 1024.0); }

/* ---- hold: idle connections and long polls together ---- */

/* Sends every connection's request, then waits until `answers` of them are answered (idle
 * ones) or every request is written (waiters), at most timeout_ms. */
static void open_all(conn_t **cs, unsigned n, bool wait_answers, uint64_t timeout_ms) {
    unsigned written = 0, answered = 0;
    for (unsigned i = 0; i < n; i++) {
        cs[i]->fd = dial(cs[i]->id);
        watch(cs[i], EPOLLOUT, EPOLL_CTL_ADD);
    }
    struct epoll_event evs[256];
    uint64_t until = now_ms() + timeout_ms;
    while ((wait_answers ? answered : written) < n) {
        if (now_ms() > until)
            die("timed out: %u of %u written, %u answered", written, n, answered);
        int k = epoll_wait(epfd, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            conn_t *c = evs[i].data.ptr;
            int status;
            int rc = on_ready(c, &status);
            if (rc == WROTE)
                written++;
            if (rc < 0)
                die("connection %u closed by the server", c->id);
            if (rc == ANSWERED) {
                if (!wait_answers || status != c->want)
                    die("connection %u: unexpected answer %d", c->id, status);
                answered++;
                c->in_len = 0;
            }
        }
    }
}

static size_t fd_count(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", server_pid);
    DIR *d = opendir(path);
    size_t n = 0;
    if (d == NULL)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n > 2 ? n - 2 : 0; /* . and .. */
}

static int run_hold(unsigned nidle, unsigned nwait) {
    create_queue("bench-memory-hold");
    conn_t **idle = calloc(nidle ? nidle : 1, sizeof *idle), **wait = calloc(nwait ? nwait : 1, sizeof *wait);
    usleep(300 * 1000);
    long before = rss_kb();
    print_rss("before", before);

    for (unsigned i = 0; i < nidle; i++) {
        idle[i] = conn_new(i);
        health(idle[i]);
    }
    uint64_t t0 = now_ms();
    /* In waves, as clients come: what one idle connection holds, not the transient memory of
     * thousands of requests in flight at once. */
    for (unsigned i = 0; i < nidle; i += IDLE_WAVE)
        open_all(idle + i, nidle - i < IDLE_WAVE ? nidle - i : IDLE_WAVE, true, 60000);
    usleep(500 * 1000);
    long with_idle = rss_kb();
    char what[64];
    snprintf(what, sizeof what, "with %u idle connections", nidle);
    print_rss(what, with_idle);
    printf("  opened %u keep-alive connections (one health request each) in %llu ms\n", nidle,
           (unsigned long long)(now_ms() - t0));

    unsigned nquery = 0;
    for (unsigned i = 0; i < nwait; i++) {
        conn_t *c = wait[i] = conn_new(nidle + i);
        c->kind = 1;
        if (i % 8 == 7) {
            char body[sizeof queue_url_form + 128];
            snprintf(body, sizeof body,
                     "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=%s&WaitTimeSeconds=20&MaxNumberOfMessages=1",
                     queue_url_form);
            sqs_query(c, body, 200);
            nquery++;
        } else {
            char body[1200];
            snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":20,\"MaxNumberOfMessages\":1}",
                     queue_url);
            sqs_json(c, "ReceiveMessage", body, 200);
        }
    }
    t0 = now_ms();
    open_all(wait, nwait, false, 15000);
    /* Every request is written; a health answer on a new connection comes after the server
     * read them (one loop, reads in order of readiness), and the descriptors show they are held. */
    size_t fds = 0;
    while (now_ms() - t0 < 15000 && (fds = fd_count()) < (size_t)nidle + nwait)
        usleep(100 * 1000);
    conn_t *probe = conn_new(0);
    health(probe);
    if (request_once(probe, NULL, 0) != 200)
        die("health while waiting");
    usleep(700 * 1000);
    long with_both = rss_kb();
    uint64_t held_ms = now_ms() - t0;
    snprintf(what, sizeof what, "with %u idle + %u long polls", nidle, nwait);
    print_rss(what, with_both);
    printf("  %u long polls (%u json, %u query) written and held in %llu ms; server descriptors %zu\n", nwait,
           nwait - nquery, nquery, (unsigned long long)held_ms, fds);
    if (held_ms > 15000)
        die("the waiters took too long to settle: their 20 s wait may end before the probe");
    /* Nobody may have been answered yet: they wait for a message. */
    for (unsigned i = 0; i < nwait; i++) {
        int status;
        if (read_answer(wait[i], &status) != 0)
            die("waiter %u answered before any message was sent", i);
    }
    if (nidle)
        printf("  per idle connection: %ld bytes\n", (with_idle - before) * 1024 / (long)nidle);
    if (nwait)
        printf("  per long-poll waiter: %ld bytes\n", (with_both - with_idle) * 1024 / (long)nwait);

    /* A message now: one waiter, and only one, gets it promptly. */
    conn_t *sender = conn_new(0);
    char body[1200];
    snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"wake-up\"}", queue_url);
    sqs_json(sender, "SendMessage", body, 200);
    uint64_t sent_at = now_ms();
    if (request_once(sender, NULL, 0) != 200)
        die("SendMessage while waiting");
    int got = -1, empty = 0;
    struct epoll_event evs[64];
    while (now_ms() - sent_at < 3000 && got < 0) {
        int k = epoll_wait(epfd, evs, 64, 50);
        for (int i = 0; i < k; i++) {
            conn_t *c = evs[i].data.ptr;
            int status;
            if (read_answer(c, &status) != 1)
                continue;
            if (c->kind != 1 || status != 200)
                die("connection %u: unexpected answer %d", c->id, status);
            if (memmem(c->in, c->in_len, "wake-up", 7))
                got = (int)c->id;
            else
                empty++;
        }
    }
    if (got < 0)
        die("no waiter got the message within 3 s");
    uint64_t took = now_ms() - sent_at;
    usleep(200 * 1000);
    int others = 0;
    for (unsigned i = 0; i < nwait; i++) {
        int status;
        if ((int)wait[i]->id != got && read_answer(wait[i], &status) != 0)
            others++;
    }
    printf("  message sent while they wait: received by waiter %d after %llu ms; other waiters answered: %d\n",
           got - (int)nidle, (unsigned long long)took, others + empty);
    if (others + empty)
        die("waiters other than the one with the message were answered");

    for (unsigned i = 0; i < nidle; i++)
        close(idle[i]->fd);
    for (unsigned i = 0; i < nwait; i++)
        close(wait[i]->fd);
    t0 = now_ms();
    while (now_ms() - t0 < 10000 && fd_count() > 64)
        usleep(100 * 1000);
    usleep(1000 * 1000);
    print_rss("after they closed", rss_kb());
    long limit = 64 * 1024;
    printf("  peak (both open) %.1f MB: %s the 64 MB bound\n", with_both / 1024.0, with_both < limit ? "under" : "OVER");
    return with_both < limit ? 0 : 1;
}

/* ---- mixed: a million requests of mixed operations ---- */

enum { OP_SEND_JSON, OP_RECV1, OP_DELETE1, OP_SEND_QUERY, OP_RECV2, OP_DELETE2, OP_PUT, OP_GET, OP_LIST,
       OP_DELETE_OBJ, OP_HEALTH, OP_501, OP_GET_MISSING, OP_QUEUE_MISSING, OP_COUNT };
static const char *const op_names[OP_COUNT] = {
    "SendMessage(json)", "ReceiveMessage", "DeleteMessageBatch", "SendMessage(query)", "ReceiveMessage",
    "DeleteMessageBatch", "PutObject", "GetObject", "ListObjectsV2", "DeleteObject", "health", "501",
    "GetObject(404)", "GetQueueUrl(400)"};

static uint64_t done_count, error_count, per_op_errors[OP_COUNT];
static const char *bucket = "bench-memory";

/* Receipt handles of the answer in c->in as DeleteMessageBatch entries; 0 when none. */
static int batch_entries(conn_t *c, char *out, size_t cap) {
    size_t o = 0;
    int n = 0;
    const char *p = c->in, *end = c->in + c->in_len;
    while ((p = memmem(p, (size_t)(end - p), "\"ReceiptHandle\":\"", 17)) != NULL) {
        p += 17;
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (q == NULL)
            break;
        int w = snprintf(out + o, cap - o, "%s{\"Id\":\"m%d\",\"ReceiptHandle\":\"%.*s\"}", n ? "," : "", n,
                         (int)(q - p), p);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
        n++;
        p = q;
    }
    return n;
}

/* A request on one of c's keys (key < 0: one never written). */
static void s3_object(conn_t *c, const char *method, int key, size_t body_len, int want) {
    char target[256];
    if (key < 0)
        snprintf(target, sizeof target, "/%s/c%u/missing", bucket, c->id);
    else
        snprintf(target, sizeof target, "/%s/c%u/k%d", bucket, c->id, key);
    s3_req(c, method, target, body_len, want);
}

/* The next request of c's cycle, given the answer to the one before (still in c->in). */
static void next_request(conn_t *c) {
    char body[8192], target[256];
    int key = (int)((c->step / OP_COUNT) % 4);
    for (;;) {
        unsigned op = c->step++ % OP_COUNT;
        switch (op) {
        case OP_SEND_JSON:
            snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"m-%u-%u\"}", queue_url, c->id, c->step);
            sqs_json(c, "SendMessage", body, 200);
            return;
        case OP_SEND_QUERY:
            snprintf(body, sizeof body, "Action=SendMessage&Version=2012-11-05&QueueUrl=%s&MessageBody=q-%u-%u",
                     queue_url_form, c->id, c->step);
            sqs_query(c, body, 200);
            return;
        case OP_RECV1:
        case OP_RECV2:
            snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":10,\"VisibilityTimeout\":30}",
                     queue_url);
            sqs_json(c, "ReceiveMessage", body, 200);
            return;
        case OP_DELETE1:
        case OP_DELETE2: {
            char entries[7000];
            if (batch_entries(c, entries, sizeof entries) == 0)
                continue; /* another connection took them: nothing to delete */
            snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"Entries\":[%s]}", queue_url, entries);
            sqs_json(c, "DeleteMessageBatch", body, 200);
            return;
        }
        case OP_PUT:
            s3_object(c, "PUT", key, 1024, 200);
            return;
        case OP_GET:
            s3_object(c, "GET", key, 0, 200);
            return;
        case OP_LIST:
            snprintf(target, sizeof target, "/%s?list-type=2&prefix=c%u/", bucket, c->id);
            s3_req(c, "GET", target, 0, 200);
            return;
        case OP_DELETE_OBJ:
            s3_object(c, "DELETE", key, 0, 204);
            return;
        case OP_HEALTH:
            health(c);
            return;
        case OP_501:
            not_implemented(c);
            return;
        case OP_GET_MISSING:
            s3_object(c, "GET", -1, 0, 404);
            return;
        case OP_QUEUE_MISSING:
            sqs_json(c, "GetQueueUrl", "{\"QueueName\":\"bench-memory-no-such-queue\"}", 400);
            return;
        }
    }
}

static int run_mixed(uint64_t total, unsigned nconns) {
    create_queue("bench-memory-mixed");
    conn_t *setup = conn_new(0);
    char target[128];
    snprintf(target, sizeof target, "/%s", bucket);
    s3_req(setup, "PUT", target, 0, 200);
    int st = request_once(setup, NULL, 0);
    if (st != 200 && st != 409)
        die("CreateBucket: %d", st);

    conn_t **cs = calloc(nconns, sizeof *cs);
    uint64_t issued = 0;
    for (unsigned i = 0; i < nconns; i++) {
        cs[i] = conn_new(i);
        next_request(cs[i]);
        cs[i]->fd = dial(i);
        watch(cs[i], EPOLLOUT, EPOLL_CTL_ADD);
        issued++;
    }
    long warm = -1, last = -1, peak = 0;
    uint64_t next_sample = WARMUP, t0 = now_ms(), t_warm = 0;
    struct epoll_event evs[256];
    unsigned active = nconns;
    while (active > 0) {
        int k = epoll_wait(epfd, evs, 256, 5000);
        if (k == 0)
            die("no answer for 5 s (%llu done)", (unsigned long long)done_count);
        for (int i = 0; i < k; i++) {
            conn_t *c = evs[i].data.ptr;
            int status;
            int rc = on_ready(c, &status);
            if (rc == 0 || rc == WROTE)
                continue;
            if (rc < 0)
                die("connection %u: closed or bad answer after %llu requests", c->id, (unsigned long long)done_count);
            unsigned op = (c->step - 1) % OP_COUNT;
            if (status != c->want) {
                if (error_count < 5)
                    fprintf(stderr, "  %s answered %d, not %d: %.300s\n", op_names[op], status, c->want, c->in);
                error_count++;
                per_op_errors[op]++;
            }
            done_count++;
            if (done_count == next_sample) {
                long kb = rss_kb();
                if (warm < 0) {
                    warm = kb;
                    t_warm = now_ms();
                    printf("  RSS after warm-up (%7llu requests) %8ld kB\n", (unsigned long long)done_count, kb);
                } else {
                    printf("  RSS at %9llu requests          %8ld kB (%+ld kB since warm-up)\n",
                           (unsigned long long)done_count, kb, kb - warm);
                }
                fflush(stdout);
                last = kb;
                peak = kb > peak ? kb : peak;
                next_sample += SAMPLE_EVERY;
            }
            if (issued >= total) {
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                active--;
                continue;
            }
            next_request(c);
            issued++;
            int w = flush_out(c);
            if (w < 0)
                die("write: %s", strerror(errno));
            if (w == 0)
                watch(c, EPOLLOUT, EPOLL_CTL_MOD);
        }
    }
    uint64_t t1 = now_ms();
    printf("  %llu requests over %u connections in %.1f s (%.0f req/s), errors %llu\n", (unsigned long long)done_count,
           nconns, (t1 - t0) / 1000.0, done_count * 1000.0 / (double)(t1 - t0 + 1), (unsigned long long)error_count);
    if (warm >= 0)
        printf("  after warm-up: %.0f req/s\n", (done_count - WARMUP) * 1000.0 / (double)(t1 - t_warm + 1));
    for (int i = 0; i < OP_COUNT; i++)
        if (per_op_errors[i])
            printf("    %s: %llu unexpected answers\n", op_names[i], (unsigned long long)per_op_errors[i]);
    if (warm >= 0)
        printf("  RSS growth after warm-up: %+ld kB (peak %ld kB): %s the 1 MB bound\n", last - warm, peak,
               last - warm < 1024 ? "under" : "OVER");
    for (unsigned i = 0; i < nconns; i++)
        close(cs[i]->fd);
    return error_count == 0 && warm >= 0 && last - warm < 1024 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[1], "hold") != 0 && strcmp(argv[1], "mixed") != 0)) {
        fprintf(stderr, "usage: %s hold PORT PID IDLE WAITERS | mixed PORT PID TOTAL CONNS\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    raise_nofile();
    port = atoi(argv[2]);
    server_pid = atoi(argv[3]);
    if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die("epoll_create1: %s", strerror(errno));
    if (strcmp(argv[1], "hold") == 0)
        return run_hold((unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]));
    return run_mixed(strtoull(argv[4], NULL, 10), (unsigned)atoi(argv[5]));
}
