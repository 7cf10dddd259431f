/*
 * nimbus-bench-sqs: an SQS load generator over keep-alive HTTP/1.1 (epoll, one thread).
 *
 *   nimbus-bench-sqs PORT QUEUE_URL MODE CONNS SECONDS [COUNT]
 *
 * MODE send:     SendMessage in a loop on each connection (stops at COUNT messages if given).
 * MODE recvdel:  ReceiveMessage (1 message) then DeleteMessage of its receipt handle; a message
 *                counts when its delete is answered; stops when the queue answers empty.
 * MODE longpoll: opens CONNS connections, each sends one ReceiveMessage with WaitTimeSeconds=20,
 *                prints "waiting N" once every request is written, holds them SECONDS, exits.
 *
 * Requests use the json protocol (X-Amz-Target) that current SDKs speak. Prints one line:
 *   msgs=N secs=S rate=R/s p50_us=X p99_us=Y errors=E
 * Latency is per message: one request for send, the receive+delete pair for recvdel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../load_io.h"

enum { M_SEND, M_RECVDEL, M_LONGPOLL };

typedef struct conn {
    int fd;
    int step; /* recvdel: 0 receive in flight, 1 delete in flight */
    char *out;
    size_t out_len, out_off;
    char in[65536];
    size_t in_len;
    uint64_t started_ns;
    int close_after; /* the server said Connection: close (moto's werkzeug does, every time) */
} conn_t;

static int mode, port;
static const char *queue_url;
static uint64_t done, errors, limit, sent_count;
static uint32_t *lat;
static size_t nlat, cap_lat;
static int stop;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void record(uint64_t ns) {
    if (nlat == cap_lat) {
        cap_lat = cap_lat ? cap_lat * 2 : 1 << 16;
        lat = realloc(lat, cap_lat * sizeof *lat);
    }
    lat[nlat++] = (uint32_t)(ns / 1000);
}

static void build(conn_t *c, const char *op, const char *body) {
    free(c->out);
    c->out = NULL;
    int n = asprintf(&c->out,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-amz-json-1.0\r\n"
                     "X-Amz-Target: AmazonSQS.%s\r\nx-amzn-query-mode: true\r\n"
                     "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
                     "SignedHeaders=host, Signature=0\r\nContent-Length: %zu\r\n\r\n%s",
                     port, op, strlen(body), body);
    c->out_len = n < 0 ? 0 : (size_t)n;
    c->out_off = 0;
}

static void next_request(conn_t *c) {
    char body[1024];
    if (mode == M_SEND) {
        snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"benchmark message %llu\"}", queue_url,
                 (unsigned long long)sent_count++);
        build(c, "SendMessage", body);
    } else if (mode == M_RECVDEL) {
        snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":1}", queue_url);
        build(c, "ReceiveMessage", body);
        c->step = 0;
    } else {
        snprintf(body, sizeof body, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":20}", queue_url);
        build(c, "ReceiveMessage", body);
    }
    c->started_ns = now_ns();
}

/* 0: written or the socket is full (EPOLLET brings EPOLLOUT back), -1: an error. */
static int flush_out(conn_t *c) { return load_write(c->fd, c->out, c->out_len, &c->out_off) < 0 ? -1 : 0; }

/* Length of a complete response at the start of c->in, or 0 if incomplete. */
static size_t response_len(conn_t *c, int *status, const char **body, size_t *blen) {
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    size_t head = (size_t)(end - c->in) + 4;
    const char *clen = load_head_line(c->in, end, "content-length:");
    size_t cl = clen ? strtoul(clen, NULL, 10) : 0;
    int close_after = load_head_line(c->in, end, "connection: close") != NULL;
    if (c->in_len < head + cl)
        return 0;
    c->close_after = close_after;
    *status = atoi(c->in + 9);
    *body = c->in + head;
    *blen = cl;
    return head + cl;
}

static void on_response(conn_t *c, int status, const char *body, size_t blen) {
    if (status != 200) {
        errors++;
        if (errors < 5)
            fprintf(stderr, "status %d: %.*s\n", status, (int)(blen > 300 ? 300 : blen), body);
        next_request(c);
        return;
    }
    if (mode == M_SEND) {
        record(now_ns() - c->started_ns);
        done++;
        if (limit && sent_count >= limit) {
            c->out_len = c->out_off = 0;
            return;
        }
        next_request(c);
    } else if (mode == M_RECVDEL) {
        if (c->step == 0) {
            const char *rh = memmem(body, blen, "\"ReceiptHandle\":", 16);
            if (rh) { /* moto writes a space after the colon */
                rh += 16;
                while (rh < body + blen && (*rh == ' ' || *rh == '"'))
                    rh++;
            }
            if (rh == NULL) {
                stop = 1; /* drained */
                c->out_len = c->out_off = 0;
                return;
            }
            const char *e = memchr(rh, '"', blen - (size_t)(rh - body));
            char req[1024];
            snprintf(req, sizeof req, "{\"QueueUrl\":\"%s\",\"ReceiptHandle\":\"%.*s\"}", queue_url,
                     (int)(e ? e - rh : 0), rh);
            uint64_t t0 = c->started_ns;
            build(c, "DeleteMessage", req);
            c->started_ns = t0;
            c->step = 1;
        } else {
            record(now_ns() - c->started_ns);
            done++;
            next_request(c);
        }
    }
}

static int ep;
static struct sockaddr_in sa;

static int conn_open(conn_t *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->in_len = 0;
    c->close_after = 0;
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s PORT QUEUE_URL send|recvdel|longpoll CONNS SECONDS [COUNT]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    queue_url = argv[2];
    mode = strcmp(argv[3], "send") == 0 ? M_SEND : strcmp(argv[3], "recvdel") == 0 ? M_RECVDEL : M_LONGPOLL;
    int nconns = atoi(argv[4]);
    double secs = atof(argv[5]);
    limit = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;
    ep = epoll_create1(0);
    conn_t *conns = calloc((size_t)nconns, sizeof *conns);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int opened = 0;
    for (int i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        if (conn_open(c) != 0) {
            fprintf(stderr, "connection %d: %s\n", i, strerror(errno));
            errors++;
            continue;
        }
        next_request(c);
        flush_out(c);
        opened++;
    }
    if (mode == M_LONGPOLL) {
        printf("waiting %d\n", opened);
        fflush(stdout);
        uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
        struct epoll_event evs[256];
        while (now_ns() < end) {
            int n = epoll_wait(ep, evs, 256, 100);
            for (int i = 0; i < n; i++)
                flush_out(evs[i].data.ptr);
        }
        return 0;
    }
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9);
    struct epoll_event evs[256];
    while (!stop && now_ns() < end && !(limit && done >= limit)) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT && flush_out(c) != 0) {
                errors++;
                continue;
            }
            if (!(evs[i].events & EPOLLIN))
                continue;
            for (;;) {
                ssize_t r = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
                if (r <= 0) {
                    if (r == 0 || errno != EAGAIN) {
                        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                        errors++;
                    }
                    break;
                }
                c->in_len += (size_t)r;
                int status;
                const char *body;
                size_t blen, len;
                while ((len = response_len(c, &status, &body, &blen)) > 0) {
                    on_response(c, status, body, blen);
                    memmove(c->in, c->in + len, c->in_len - len);
                    c->in_len -= len;
                    if (c->close_after)
                        break;
                    if (c->out_len)
                        flush_out(c);
                }
                if (c->close_after) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    if (conn_open(c) != 0) {
                        errors++;
                        break;
                    }
                    if (c->out_len)
                        flush_out(c);
                    break;
                }
            }
        }
    }
    double el = (double)(now_ns() - t0) / 1e9;
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    uint32_t p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)((double)nlat * 0.99)] : 0;
    printf("msgs=%llu secs=%.2f rate=%.0f p50_us=%u p99_us=%u errors=%llu\n", (unsigned long long)done, el,
           (double)done / el, p50, p99, (unsigned long long)errors);
    for (int i = 0; i < nconns; i++) {
        if (conns[i].fd >= 0)
            close(conns[i].fd);
        free(conns[i].out);
    }
    free(conns);
    free(lat);
    return 0;
}
