/* Who may reach Nimbus: the guard every request passes before anything else runs (internal
 * endpoints, preflights, AWS routing and handlers all come after it).
 *
 * A browser lets any web page send requests to localhost that need no preflight (form and
 * text/plain POSTs, GETs): without this guard any site the developer visits could reset state,
 * purge queues or post objects. Two checks, as LocalStack does and more:
 *   - The page's origin: requests a browser sends for a page carry Origin (else Referer, else a
 *     Sec-Fetch-Site saying another site sent it: then the origin is unknown, "null"). Only
 *     allowed origins pass: localhost, 127.0.0.1 and [::1] on any port, *.localhost.localstack.cloud,
 *     app.localstack.cloud, file:// (Electron apps), plus EXTRA_CORS_ALLOWED_ORIGINS;
 *     DISABLE_CORS_CHECKS=1 lets every origin through. Requests no page sent (CLI, SDKs, the
 *     address bar) carry none of these headers and always pass.
 *   - The Host: DNS rebinding points an attacker's name at 127.0.0.1, and its pages, now
 *     same-origin with Nimbus, send no Origin on GETs. While Nimbus listens on loopback only,
 *     Host must be a name it serves (or an IP address: no DNS, no rebinding). Bound to other
 *     addresses (a container reached by its compose service name), any Host passes unless
 *     NIMBUS_ALLOWED_HOSTS is set.
 * A refusal is a 403, in the protocol's error format for AWS requests, a line of text otherwise. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway.h"
#include "proto/proto.h"
#include "router/context.h"
#include "util/buf.h"

/* The length of the host part of "host[:port]" ("[v6]" with its brackets). */
static size_t host_len(const char *s) {
    const char *close = s[0] == '[' ? strchr(s, ']') : NULL;
    return s[0] == '[' ? (close ? (size_t)(close - s) + 1 : strlen(s)) : strcspn(s, ":");
}

static bool ends_with(const char *s, size_t len, const char *suffix) {
    size_t n = strlen(suffix);
    return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

static bool equals(const char *s, size_t len, const char *word) {
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* A name under localhost.localstack.cloud (which resolves to 127.0.0.1), or that name itself. */
static bool localstack_local_name(const char *host, size_t len) {
    return equals(host, len, "localhost.localstack.cloud") || ends_with(host, len, ".localhost.localstack.cloud");
}

/* LocalStack's origins and the loopback ones, any port: pages that the developer's own
 * machine serves, or LocalStack's web app. */
static bool default_origin(const char *origin) {
    if (strcmp(origin, "file://") == 0) /* Electron apps (NoSQL Workbench); browsers send "null" for files */
        return true;
    const char *host;
    if (strncasecmp(origin, "http://", 7) == 0)
        host = origin + 7;
    else if (strncasecmp(origin, "https://", 8) == 0)
        host = origin + 8;
    else
        return false;
    size_t len = host_len(host);
    const char *rest = host + len; /* "" or ":<port>" */
    if (*rest == ':' && rest[1] != '\0' && rest[1 + strspn(rest + 1, "0123456789")] == '\0')
        rest = "";
    if (*rest != '\0')
        return false;
    if (equals(host, len, "app.localstack.cloud"))
        return host[len] == '\0';
    return equals(host, len, "localhost") || equals(host, len, "127.0.0.1") || equals(host, len, "[::1]") ||
           localstack_local_name(host, len);
}

static bool origin_allowed(const nb__config_t *cfg, const char *origin) {
    if (cfg->disable_cors_checks || default_origin(origin))
        return true;
    for (char **o = cfg->cors_origins; o && *o; o++)
        if (strcmp(*o, "*") == 0 || strcasecmp(*o, origin) == 0)
            return true;
    return false;
}

/* The origin of the page a browser sent this request for, NULL when no page sent it. */
static const char *page_origin(const nb__http_request_t *req, char *buf, size_t len) {
    const char *origin = nb__http_request_header(req, "Origin");
    if (origin)
        return origin;
    const char *referer = nb__http_request_header(req, "Referer");
    if (referer) { /* scheme://host[:port] of it */
        const char *sep = strstr(referer, "://");
        size_t n = sep ? (size_t)(sep + 3 - referer) + strcspn(sep + 3, "/?#") : strlen(referer);
        snprintf(buf, len, "%.*s", (int)n, referer);
        return buf;
    }
    /* A GET a page sends without CORS (an <img>, a link, a no-cors fetch with
     * referrerpolicy=no-referrer) carries neither, but browsers still say it came from elsewhere. */
    const char *site = nb__http_request_header(req, "Sec-Fetch-Site");
    if (site && (strcasecmp(site, "cross-site") == 0 || strcasecmp(site, "same-site") == 0))
        return "null";
    return NULL;
}

static bool ip_literal(const char *host, size_t len) {
    char buf[64];
    unsigned char addr[16];
    if (len >= sizeof buf)
        return false;
    /* memcpy, not snprintf: every request's Host goes through here */
    if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        return inet_pton(AF_INET6, buf, addr) == 1;
    }
    memcpy(buf, host, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, addr) == 1;
}

/* Names Nimbus serves whatever the settings: loopback names, LocalStack's local names (and the S3
 * and API virtual hosts under them), AWS's own names (whose DNS no attacker controls), and
 * LOCALSTACK_HOST with the names under it. */
static bool served_name(const nb__config_t *cfg, const char *host, size_t len) {
    if (ip_literal(host, len) || equals(host, len, "localhost") || ends_with(host, len, ".localhost") ||
        localstack_local_name(host, len) || ends_with(host, len, ".amazonaws.com"))
        return true;
    const char *lh = cfg->localstack_host;
    if (lh == NULL)
        return false;
    size_t lhlen = host_len(lh);
    return (len == lhlen && strncasecmp(host, lh, len) == 0) ||
           (len > lhlen && host[len - lhlen - 1] == '.' && strncasecmp(host + len - lhlen, lh, lhlen) == 0);
}

static bool host_allowed(const nb__config_t *cfg, const char *host_header) {
    if (!cfg->loopback_only && cfg->allowed_hosts == NULL)
        return true;
    if (host_header == NULL || *host_header == '\0') /* HTTP/1.0 clients; browsers always send a name */
        return true;
    size_t len = host_len(host_header);
    if (len > 0 && host_header[len - 1] == '.') /* "localhost." is the same name */
        len--;
    if (served_name(cfg, host_header, len))
        return true;
    for (char **h = cfg->allowed_hosts; h && *h; h++) {
        if (strcmp(*h, "*") == 0 || equals(host_header, len, *h) ||
            (strncmp(*h, "*.", 2) == 0 && ends_with(host_header, len, *h + 1)))
            return true;
    }
    return false;
}

/* 403 in the error format of the AWS protocol the request uses; plain text for internal
 * endpoints and requests that are not AWS calls. */
static void refuse(nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req, const char *why) {
    if (gw->log)
        fprintf(gw->log, "nimbus: refused %s %s: %s\n", req->method, req->path, why);
    nb__route_t route = {0};
    if (!nb__gateway_internal_path(req->path))
        nb__router_route(gw->router, req, &route);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    if (route.spec) {
        char request_id[40];
        nb__request_id_new(request_id);
        nb__proto_ctx_t pctx = {.request_id = request_id, .head = strcmp(req->method, "HEAD") == 0};
        nb__aws_error_t err = {0};
        nb__aws_error_set(&err, route.spec, route.op, "AccessDenied", 403, "%s", why);
        nb__proto_serialize_error(route.spec, route.op, route.protocol, &err, &pctx, &resp);
        nb__aws_error_clear(&err);
    } else {
        nb__headers_set(&resp.headers, "Content-Type", "text/plain; charset=utf-8");
        nb__buf_puts(&resp.body, "Forbidden: ");
        nb__buf_puts(&resp.body, why);
        nb__buf_puts(&resp.body, "\n");
    }
    resp.status = 403;
    resp.no_body = strcmp(req->method, "HEAD") == 0;
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
}

/* RFC 9112 3.2: a request with more than one Host is a 400; checking one of them would let the
 * other through. */
static bool host_twice(nb__http_exchange_t *x, const nb__http_request_t *req) {
    if (nb__headers_count(&req->headers, "Host") < 2)
        return false;
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = 400;
    nb__headers_set(&resp.headers, "Content-Type", "text/plain; charset=utf-8");
    nb__headers_set(&resp.headers, "Connection", "close");
    nb__buf_puts(&resp.body, "Bad Request: more than one Host header\n");
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
    return true;
}

bool nb__origin_refused(nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req) {
    const nb__config_t *cfg = gw->cfg;
    char why[512], buf[256];
    if (host_twice(x, req))
        return true;
    const char *host = nb__http_request_header(req, "Host");
    const char *origin = page_origin(req, buf, sizeof buf);
    if (!host_allowed(cfg, host))
        snprintf(why, sizeof why,
                 "Nimbus does not serve the host name '%.200s' (a DNS rebinding attempt?); "
                 "NIMBUS_ALLOWED_HOSTS adds names", host);
    else if (origin && !origin_allowed(cfg, origin))
        snprintf(why, sizeof why,
                 "requests from the web page origin '%.200s' are not allowed; EXTRA_CORS_ALLOWED_ORIGINS adds origins",
                 origin);
    else
        return false;
    refuse(gw, x, req, why);
    return true;
}
