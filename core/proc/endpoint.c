/*
 * Raw HTTP endpoints of plugins (nimbus/stream.h): extra loopback listeners, and private path
 * prefixes of the main port ("/_nimbus/lambda/runtime/", or a service's developer endpoints
 * under "/_aws/<service>/" as LocalStack has them: "/_aws/sqs/"), both answered by a plugin handler
 * that sees the request as it came (method, path, headers, body) and answers now or later.
 * The main port's Origin and Host checks run first on both.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "proc/proc.h"

struct nb_http {
    nb__http_exchange_t *x;
    nb__http_request_t *req; /* the exchange's */
    nb__headers_t out;
    void (*on_abort)(nb_http_t *h, void *data);
    void *abort_data;
};

/* Kept, closed, until the plugin closes it or goes away: its pointer stays valid for the plugin
 * after the server's stop closed the port. */
struct nb_listener {
    nb_plugin_t *owner;
    nb__http_server_t *srv; /* NULL once closed */
    int port;
    nb_http_handler_pt handler;
    void *data;
    nb_listener_t *next;
};

typedef struct prefix_route {
    nb_plugin_t *owner;
    char *prefix;
    size_t len;
    nb_http_handler_pt handler;
    void *data;
    struct prefix_route *next;
} prefix_route_t;

static nb_listener_t *listeners;
static prefix_route_t *routes;

#define PRIVATE_ROOT "/_nimbus/"
#define SERVICE_ROOT "/_aws/"
#define LISTENER_CLOSE_MS 1000 /* a listener the plugin closes: what it serves gets this long */

static void http_free(nb_http_t *h) {
    nb__headers_free(&h->out);
    free(h);
}

static void client_gone(nb__http_exchange_t *x, void *data) {
    nb_http_t *h = data;
    if (h->on_abort)
        h->on_abort(h, h->abort_data);
    nb__http_response_t none; /* frees the detached exchange */
    nb__http_response_init(&none);
    nb__http_respond(x, &none);
    nb__http_response_free(&none);
    http_free(h);
}

static void dispatch(nb__http_exchange_t *x, nb__http_request_t *req, nb_http_handler_pt handler, void *data) {
    nb_http_t *h = calloc(1, sizeof *h);
    if (h == NULL) {
        nb__http_respond_status(x, 503);
        return;
    }
    h->x = x;
    h->req = req;
    nb__http_exchange_on_abort(x, client_gone, h);
    handler(h, data);
}

static prefix_route_t *find_route(const char *path) {
    for (prefix_route_t *r = routes; r; r = r->next)
        if (strncmp(path, r->prefix, r->len) == 0)
            return r;
    return NULL;
}

/* A service's developer endpoints (/_aws/<service>/...) are registered by its plugin's init:
 * a request to them starts the service, as its first AWS request would. */
static void start_service_of(nb__gateway_t *gw, const char *path) {
    char name[64];
    size_t len = strcspn(path + sizeof SERVICE_ROOT - 1, "/");
    if (gw == NULL || len == 0 || len >= sizeof name || path[sizeof SERVICE_ROOT - 1 + len] != '/')
        return;
    memcpy(name, path + sizeof SERVICE_ROOT - 1, len);
    name[len] = '\0';
    nb__service_t *svc = nb__registry_service(&gw->reg, name);
    if (svc && svc->state == NB_SVC_AVAILABLE)
        nb__registry_start(&gw->reg, svc);
}

bool nb__endpoint_route(nb__gateway_t *gw, nb__http_exchange_t *x, nb__http_request_t *req) {
    if (req->path == NULL)
        return false;
    bool service_root = strncmp(req->path, SERVICE_ROOT, sizeof SERVICE_ROOT - 1) == 0;
    if (!service_root && strncmp(req->path, PRIVATE_ROOT, sizeof PRIVATE_ROOT - 1) != 0)
        return false;
    prefix_route_t *r = find_route(req->path);
    if (r == NULL && service_root) {
        start_service_of(gw, req->path);
        r = find_route(req->path);
    }
    if (r == NULL)
        return false;
    dispatch(x, req, r->handler, r->data);
    return true;
}

/* "/_nimbus/<anything>/", or "/_aws/<the plugin's service>/" (LocalStack's developer endpoints). */
static bool prefix_allowed(const nb_plugin_t *self, const char *prefix, size_t len) {
    if (strncmp(prefix, PRIVATE_ROOT, sizeof PRIVATE_ROOT - 1) == 0)
        return len > sizeof PRIVATE_ROOT - 1;
    if (strncmp(prefix, SERVICE_ROOT, sizeof SERVICE_ROOT - 1) != 0 || self->def == NULL || self->def->service == NULL)
        return false;
    size_t svc_len = strlen(self->def->service);
    return len >= sizeof SERVICE_ROOT + svc_len &&
           strncmp(prefix + sizeof SERVICE_ROOT - 1, self->def->service, svc_len) == 0 &&
           prefix[sizeof SERVICE_ROOT - 1 + svc_len] == '/';
}

int nb__endpoint_route_prefix(nb_plugin_t *self, const char *prefix, nb_http_handler_pt handler, void *data) {
    size_t len = prefix ? strlen(prefix) : 0;
    if (self == NULL || handler == NULL || len == 0 || !prefix_allowed(self, prefix, len) || prefix[len - 1] != '/' ||
        strchr(prefix, '?') || strchr(prefix, '%'))
        return NB_EINVAL;
    for (prefix_route_t *r = routes; r; r = r->next) /* one prefix inside another: whose would it be? */
        if (strncmp(r->prefix, prefix, len < r->len ? len : r->len) == 0)
            return NB_EEXIST;
    prefix_route_t *r = calloc(1, sizeof *r);
    if (r == NULL || (r->prefix = strdup(prefix)) == NULL) {
        free(r);
        return NB_ENOMEM;
    }
    r->owner = self;
    r->len = len;
    r->handler = handler;
    r->data = data;
    r->next = routes;
    routes = r;
    return 0;
}

static void listener_handle(nb__http_exchange_t *x, nb__http_request_t *req, void *data) {
    nb_listener_t *l = data;
    if (nb__origin_refused(l->owner->reg->owner, x, req))
        return;
    dispatch(x, req, l->handler, l->data);
}

int nb__endpoint_listen(nb_plugin_t *self, int port, nb_http_handler_pt handler, void *data, nb_listener_t **out) {
    if (out)
        *out = NULL;
    if (self == NULL || handler == NULL || out == NULL || port < 0 || port > 65535 || self->reg == NULL ||
        self->reg->owner == NULL)
        return NB_EINVAL;
    nb__gateway_t *gw = self->reg->owner;
    nb_listener_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NB_ENOMEM;
    nb__http_limits_t limits;
    nb__http_limits_default(&limits);
    limits.max_header_bytes = gw->cfg->max_header_bytes;
    limits.max_body_bytes = gw->cfg->max_body_bytes;
    limits.spill_threshold = gw->cfg->body_spill_bytes;
    limits.idle_timeout_ms = gw->cfg->idle_timeout_ms;
    limits.header_timeout_ms = gw->cfg->header_timeout_ms;
    l->owner = self;
    l->handler = handler;
    l->data = data;
    if ((l->srv = nb__http_server_new(gw->loop, &limits, listener_handle, l)) == NULL) {
        free(l);
        return NB_ENOMEM;
    }
    int rc = nb__http_server_listen(l->srv, "127.0.0.1", port); /* loopback only: never another machine */
    if (rc != 0) {
        nb__http_server_close(l->srv, 0, NULL, NULL);
        free(l);
        return rc == UV_EADDRINUSE ? NB_EEXIST : rc == UV_EACCES ? NB_EINVAL : NB_EIO;
    }
    l->port = nb__http_server_port(l->srv);
    l->next = listeners;
    listeners = l;
    *out = l;
    return 0;
}

int nb__endpoint_listener_port(const nb_listener_t *l) { return l ? l->port : -1; }

static void unlink_listener(nb_listener_t *l) {
    for (nb_listener_t **pp = &listeners; *pp; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            return;
        }
}

/* The port closes; what it serves gets grace_ms (the server frees itself once closed). */
static void close_port(nb_listener_t *l, uint64_t grace_ms) {
    if (l->srv)
        nb__http_server_close(l->srv, grace_ms, NULL, NULL);
    l->srv = NULL;
}

static void drop_listener(nb_listener_t *l, uint64_t grace_ms) {
    close_port(l, grace_ms);
    unlink_listener(l);
    free(l);
}

void nb__endpoint_listener_close(nb_listener_t *l) {
    if (l)
        drop_listener(l, LISTENER_CLOSE_MS);
}

void nb__endpoint_close_all(uint64_t grace_ms) {
    for (nb_listener_t *l = listeners; l; l = l->next)
        close_port(l, grace_ms);
}

void nb__endpoint_release(nb_plugin_t *p) {
    for (nb_listener_t *l = listeners, *next; l; l = next) {
        next = l->next;
        if (l->owner == p)
            drop_listener(l, 0);
    }
    for (prefix_route_t **pp = &routes; *pp;) {
        prefix_route_t *r = *pp;
        if (r->owner != p) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        free(r->prefix);
        free(r);
    }
}

const char *nb__http_method(const nb_http_t *h) { return h->req->method; }
const char *nb__http_path(const nb_http_t *h) { return h->req->path; }
const char *nb__http_query(const nb_http_t *h) { return h->req->query; }
const char *nb__http_header(const nb_http_t *h, const char *name) { return nb__http_request_header(h->req, name); }
nb_body_t *nb__http_body(nb_http_t *h) { return h->req->body; }

int nb__http_reply_header(nb_http_t *h, const char *name, const char *value) {
    if (h == NULL || name == NULL || value == NULL || strpbrk(name, ":\r\n") || strpbrk(value, "\r\n"))
        return NB_EINVAL;
    return nb__headers_add(&h->out, name, value) == 0 ? 0 : NB_ENOMEM;
}

/* The answer's head from h; h's headers move into it. */
static void head_from(nb_http_t *h, int status, nb__http_response_t *resp) {
    nb__http_response_init(resp);
    resp->status = status >= 100 && status <= 599 ? status : 500;
    resp->headers = h->out;
    memset(&h->out, 0, sizeof h->out);
}

int nb__http_respond_raw(nb_http_t *h, int status, const void *body, size_t len) {
    if (h == NULL)
        return NB_EINVAL;
    nb__http_response_t resp;
    head_from(h, status, &resp);
    int rc = 0;
    if (len && (body == NULL || nb__buf_append(&resp.body, body, len) != 0)) {
        rc = body == NULL ? NB_EINVAL : NB_ENOMEM;
        nb__buf_reset(&resp.body);
        resp.status = 500;
    }
    nb__http_respond(h->x, &resp);
    nb__http_response_free(&resp);
    http_free(h);
    return rc;
}

nb_stream_t *nb__http_stream_begin(nb_http_t *h, int status) {
    if (h == NULL)
        return NULL;
    nb__http_response_t resp;
    head_from(h, status, &resp);
    nb_stream_t *s = nb__http_respond_stream(h->x, &resp);
    nb__http_response_free(&resp);
    http_free(h);
    return s;
}

void nb__http_on_abort(nb_http_t *h, void (*cb)(nb_http_t *h, void *data), void *data) {
    h->on_abort = cb;
    h->abort_data = data;
}
