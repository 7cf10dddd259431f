#include "cli/http_client.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <llhttp.h>

#include "util/buf.h"

int nb__cli_endpoint_parse(const char *text, nb__cli_endpoint_t *ep) {
    const char *s = text;
    if (strncmp(s, "http://", 7) == 0)
        s += 7;
    else if (strstr(s, "://"))
        return -1; /* https and others: the CLI speaks plain HTTP */
    const char *host = s, *host_end, *colon;
    if (*s == '[') {
        host = s + 1;
        host_end = strchr(host, ']');
        if (host_end == NULL)
            return -1;
        colon = host_end[1] == ':' ? host_end + 1 : NULL;
    } else {
        colon = strchr(s, ':');
        host_end = colon ? colon : s + strcspn(s, "/");
    }
    size_t hlen = (size_t)(host_end - host);
    if (hlen == 0 || hlen >= sizeof ep->host)
        return -1;
    memcpy(ep->host, host, hlen);
    ep->host[hlen] = '\0';
    if (colon == NULL) {
        snprintf(ep->port, sizeof ep->port, "4566");
        return 0;
    }
    size_t plen = strcspn(colon + 1, "/");
    if (plen == 0 || plen >= sizeof ep->port || strspn(colon + 1, "0123456789") != plen)
        return -1;
    memcpy(ep->port, colon + 1, plen);
    ep->port[plen] = '\0';
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes; > 0 when ready. */
static int wait_fd(int fd, short events, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

static int connect_by(const nb__cli_endpoint_t *ep, long long deadline, const char **why) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(ep->host, ep->port, &hints, &res) != 0) {
        *why = "cannot resolve the host name";
        return -1;
    }
    int fd = -1;
    *why = "connection refused";
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) > 0) {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
            rc = soerr == 0 ? 0 : -1;
        } else if (rc != 0 && errno == EINPROGRESS) {
            *why = "connection timed out";
        }
        if (rc != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *data, size_t len, long long deadline) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline) > 0)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The answer as llhttp reads it (chunked or sized bodies alike). */
typedef struct answer {
    llhttp_t parser;
    nb__buf_t body;
    bool complete, oom;
} answer_t;

static int on_body(llhttp_t *p, const char *at, size_t len) {
    answer_t *a = p->data;
    if (nb__buf_append(&a->body, at, len) != 0) {
        a->oom = true;
        return -1;
    }
    return 0;
}

static int on_message_complete(llhttp_t *p) {
    ((answer_t *)p->data)->complete = true;
    return HPE_PAUSED; /* one answer: what follows it is not read */
}

static const llhttp_settings_t answer_settings = {.on_body = on_body, .on_message_complete = on_message_complete};

int nb__cli_http(const nb__cli_endpoint_t *ep, const char *method, const char *path, int timeout_ms,
                 nb__cli_response_t *resp, const char **why) {
    memset(resp, 0, sizeof *resp);
    long long deadline = now_ms() + timeout_ms;
    int fd = connect_by(ep, deadline, why);
    if (fd < 0)
        return -1;
    char head[1024];
    bool v6 = strchr(ep->host, ':') != NULL;
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: nimbus-cli\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n",
                      method, path, v6 ? "[" : "", ep->host, v6 ? "]" : "", ep->port);
    answer_t a = {.body = NB__BUF_INIT};
    llhttp_init(&a.parser, HTTP_RESPONSE, &answer_settings);
    a.parser.data = &a;
    int rc = -1;
    *why = "the request could not be sent";
    if (hl > 0 && (size_t)hl < sizeof head && send_all(fd, head, (size_t)hl, deadline) == 0) {
        *why = "no answer in time";
        char buf[16384];
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                if (wait_fd(fd, POLLIN, deadline) > 0)
                    continue;
                break;
            }
            if (n < 0) {
                *why = "connection reset";
                break;
            }
            /* the server closes after the answer (Connection: close): the end of a body of no stated length */
            enum llhttp_errno err = n == 0 ? llhttp_finish(&a.parser) : llhttp_execute(&a.parser, buf, (size_t)n);
            if (a.complete) {
                resp->status = a.parser.status_code;
                resp->body = nb__buf_steal(&a.body, &resp->body_len);
                rc = resp->body ? 0 : -1;
            }
            if (a.complete || err != HPE_OK || n == 0) {
                if (rc != 0)
                    *why = a.oom || a.complete ? "out of memory" : "not an HTTP answer";
                break;
            }
        }
    }
    nb__buf_free(&a.body);
    close(fd);
    return rc;
}

void nb__cli_response_free(nb__cli_response_t *resp) {
    free(resp->body);
    resp->body = NULL;
}
