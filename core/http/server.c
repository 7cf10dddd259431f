/*
 * The HTTP server's life cycle: listeners, accepting, and the graceful close
 * (stop accepting, let in-flight requests finish, force after a grace period).
 * Connections live in conn.c, responses in write.c.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "http/server_int.h"
#include "nimbus/errno.h"

void nb__http_limits_default(nb__http_limits_t *limits) {
    limits->max_header_bytes = 64 * 1024;
    limits->max_body_bytes = 5ull * 1024 * 1024 * 1024;
    limits->spill_threshold = 1024 * 1024;
    limits->idle_timeout_ms = 60 * 1000;
    limits->header_timeout_ms = 30 * 1000;
    limits->tmpdir = NULL;
}

#define NB__FD_RESERVE 32 /* listeners, stores, logs, the loop's own */
#define NB__FD_FILES_MAX 1024 /* descriptors kept for body files (spilled uploads, files sent) */

/* Connections the descriptor limit leaves room for: the limit less the reserve and room for
 * body files, half of what remains but at most NB__FD_FILES_MAX. A connection holds a file only
 * while a large body comes in or a file goes out, so under a limit of 20,000 about 19,000
 * connections (idle ones, long polls) fit, not 10,000. */
static size_t descriptor_capacity(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return SIZE_MAX;
    size_t n = (size_t)rl.rlim_cur;
    if (n <= 2 * NB__FD_RESERVE)
        return NB__FD_RESERVE / 2;
    size_t usable = n - NB__FD_RESERVE, files = usable / 2;
    if (files > NB__FD_FILES_MAX)
        files = NB__FD_FILES_MAX;
    return usable - files;
}

nb__http_server_t *nb__http_server_new(uv_loop_t *loop, const nb__http_limits_t *limits,
                                       nb__http_handler_fn handler, void *data) {
    /* A client that goes away while we write must cost a write error, not
     * the process (libuv writes with write(2), which raises SIGPIPE). */
    signal(SIGPIPE, SIG_IGN);
    nb__http_server_t *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return NULL;
    srv->loop = loop;
    if (limits)
        srv->limits = *limits;
    else
        nb__http_limits_default(&srv->limits);
    if ((srv->rbuf = malloc(NB__HTTP_READ_BUF)) == NULL ||
        (srv->limits.tmpdir && (srv->tmpdir = strdup(srv->limits.tmpdir)) == NULL)) {
        free(srv->rbuf);
        free(srv);
        return NULL;
    }
    srv->limits.tmpdir = srv->tmpdir;
    srv->handler = handler;
    srv->data = data;
    srv->port = -1;
    srv->capacity = descriptor_capacity();
    uv_timer_init(loop, &srv->grace);
    srv->grace.data = srv;
    nb__http_trim_init(srv);
    return srv;
}

/* At capacity, the connection idle the longest makes room. */
static void close_longest_idle(nb__http_server_t *srv) {
    nb__http_conn_t *lru = NULL;
    for (nb__http_conn_t *c = srv->conns; c; c = c->next)
        if (!c->closing && nb__conn_idle(c) && (lru == NULL || c->last_activity <= lru->last_activity))
            lru = c;
    if (lru)
        nb__conn_close(lru);
}

static void on_connection(uv_stream_t *listener, int status) {
    nb__http_server_t *srv = listener->data;
    /* status < 0: accept failed (at the descriptor limit libuv has already dropped
     * the waiting connections to stay responsive); the next connection is tried again */
    if (status < 0 || srv->closing)
        return;
    if (srv->nconns >= srv->capacity)
        close_longest_idle(srv);
    nb__conn_accept(srv, listener);
}

static void on_listener_closed(uv_handle_t *h) {
    nb__http_server_t *srv = h->data;
    free(h);
    srv->listeners_open--;
    nb__server_conn_gone(srv);
}

static int listen_addr(nb__http_server_t *srv, const struct sockaddr *addr) {
    uv_tcp_t **ls = realloc(srv->listeners, (srv->nlisteners + 1) * sizeof *ls);
    if (ls == NULL)
        return UV_ENOMEM;
    srv->listeners = ls;
    uv_tcp_t *t = malloc(sizeof *t);
    if (t == NULL)
        return UV_ENOMEM;
    uv_tcp_init(srv->loop, t);
    t->data = srv;
    int rc = uv_tcp_bind(t, addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)t, SOMAXCONN, on_connection);
    if (rc != 0) {
        srv->listeners_open++;
        uv_close((uv_handle_t *)t, on_listener_closed);
        return rc;
    }
    srv->listeners[srv->nlisteners++] = t;
    srv->listeners_open++;
    if (srv->port < 0) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        if (uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len) == 0)
            srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                        : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return 0;
}

int nb__http_server_listen(nb__http_server_t *srv, const char *host, int port) {
    if (srv->closing || port < 0 || port > 65535)
        return UV_EINVAL;
    struct sockaddr_storage ss;
    char lit[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof lit) { /* "[::1]" */
        memcpy(lit, host + 1, n - 2);
        lit[n - 2] = '\0';
        host = lit;
    }
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0)
        return listen_addr(srv, (struct sockaddr *)&ss);
    if (strcmp(host, "localhost") == 0) {
        /* Both loopbacks, as clients resolve localhost to either; the IPv6 one
         * is best effort (hosts without IPv6) and shares the IPv4 port. */
        uv_ip4_addr("127.0.0.1", port, (struct sockaddr_in *)&ss);
        size_t before = srv->nlisteners;
        int rc = listen_addr(srv, (struct sockaddr *)&ss);
        if (rc != 0)
            return rc;
        int p6 = port;
        if (port == 0 && srv->nlisteners > before) {
            struct sockaddr_storage bound;
            int len = sizeof bound;
            if (uv_tcp_getsockname(srv->listeners[before], (struct sockaddr *)&bound, &len) == 0)
                p6 = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        }
        uv_ip6_addr("::1", p6, (struct sockaddr_in6 *)&ss);
        (void)listen_addr(srv, (struct sockaddr *)&ss);
        return 0;
    }
    /* Any other name: the first address it resolves to (synchronous lookup at startup). */
    uv_getaddrinfo_t gai;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = uv_getaddrinfo(srv->loop, &gai, NULL, host, portstr, &hints);
    if (rc != 0)
        return rc;
    rc = gai.addrinfo ? listen_addr(srv, gai.addrinfo->ai_addr) : UV_EAI_NONAME;
    uv_freeaddrinfo(gai.addrinfo);
    return rc;
}

void nb__http_server_on_head(nb__http_server_t *srv, nb__http_head_fn fn) { srv->on_head = fn; }

int nb__http_server_port(const nb__http_server_t *srv) { return srv->port; }

size_t nb__http_server_connections(const nb__http_server_t *srv) { return srv->nconns; }

size_t nb__http_server_inflight(const nb__http_server_t *srv) { return srv->inflight; }

size_t nb__http_server_capacity(const nb__http_server_t *srv) { return srv->capacity; }

void nb__http_exchange_on_abort(nb__http_exchange_t *x, void (*cb)(nb__http_exchange_t *x, void *data), void *data) {
    x->on_abort = cb;
    x->abort_data = data;
}

void *nb__http_exchange_data(const nb__http_exchange_t *x) { return x->data; }

void nb__http_exchange_set_data(nb__http_exchange_t *x, void *data) { x->data = data; }

static void on_grace_closed(uv_handle_t *h) {
    nb__http_server_t *srv = h->data;
    if (--srv->timers_open > 0)
        return;
    void (*cb)(void *) = srv->on_closed;
    void *data = srv->closed_data;
    while (srv->pool) {
        nb__http_exchange_t *x = srv->pool;
        srv->pool = x->next;
        nb__exchange_free(x);
    }
    free(srv->listeners);
    free(srv->rbuf);
    free(srv->tmpdir);
    nb__tls_ctx_free(srv->tls);
    free(srv);
    if (cb)
        cb(data);
}

/* Called whenever a connection or listener is gone: finishes a close once all are. */
void nb__server_conn_gone(nb__http_server_t *srv) {
    if (!srv->closing || srv->finishing || srv->nconns > 0 || srv->listeners_open > 0)
        return;
    srv->finishing = true;
    srv->timers_open = 2;
    uv_close((uv_handle_t *)&srv->grace, on_grace_closed);
    uv_close((uv_handle_t *)&srv->trim, on_grace_closed);
}

static void on_grace(uv_timer_t *t) {
    nb__http_server_t *srv = t->data;
    for (nb__http_conn_t *c = srv->conns; c; c = c->next)
        nb__conn_close(c);
}

void nb__http_server_close(nb__http_server_t *srv, uint64_t grace_ms, void (*on_closed)(void *data), void *data) {
    if (srv->closing)
        return;
    srv->closing = true;
    srv->on_closed = on_closed;
    srv->closed_data = data;
    for (size_t i = 0; i < srv->nlisteners; i++)
        uv_close((uv_handle_t *)srv->listeners[i], on_listener_closed);
    srv->nlisteners = 0;
    for (nb__http_conn_t *c = srv->conns; c; c = c->next) {
        if (c->closing)
            continue;
        if (nb__conn_idle(c))
            nb__conn_close(c);
        else if (c->cur == NULL)
            c->no_more = true; /* finish what is in flight, start nothing new */
    }
    uv_timer_start(&srv->grace, on_grace, grace_ms, 0);
    nb__server_conn_gone(srv);
}
