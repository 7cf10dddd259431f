/* CORS for the requests origin.c let through (allowed origins only, or any with
 * DISABLE_CORS_CHECKS): LocalStack's default answer, the origin reflected, the usual methods, the
 * headers the browser asks for, and the AWS headers a browser SDK needs to read. A service that
 * answers CORS from its own rules (S3's bucket CORS: an OPTIONS operation in its spec) decides
 * alone, unless DISABLE_CUSTOM_CORS_S3 hands it back to the default. */
#include <string.h>
#include <strings.h>

#include "gateway/gateway.h"

#define CORS_METHODS "HEAD,GET,PUT,POST,DELETE,OPTIONS,PATCH"
#define CORS_EXPOSE "etag,x-amz-version-id,x-amz-request-id,x-amz-id-2,x-amzn-requestid,x-amz-delete-marker"
#define CORS_HEADERS                                                                                            \
    "authorization,cache-control,content-length,content-md5,content-type,etag,location,x-amz-acl,"             \
    "x-amz-content-sha256,x-amz-date,x-amz-request-id,x-amz-security-token,x-amz-tagging,x-amz-target,"       \
    "x-amz-user-agent,x-amz-version-id,x-amzn-requestid,x-localstack-target,amz-sdk-invocation-id,"           \
    "amz-sdk-request"

static bool is_options(const nb__spec_op_t *op) { return op && op->method && strcmp(op->method, "OPTIONS") == 0; }

/* A service that answers its own preflights (an OPTIONS operation) applies its own CORS
 * rules to the other requests too (S3: the bucket's). */
static bool own_cors_rules(const nb__config_t *cfg, const nb__spec_t *spec) {
    return spec && !cfg->disable_custom_cors && spec->has_options_op;
}

static void set_default_headers(const nb__http_request_t *req, nb__http_response_t *resp, const char *origin) {
    const char *want = nb__http_request_header(req, "Access-Control-Request-Headers");
    nb__headers_set(&resp->headers, "Access-Control-Allow-Origin", origin);
    nb__headers_set(&resp->headers, "Access-Control-Allow-Methods", CORS_METHODS);
    nb__headers_set(&resp->headers, "Access-Control-Allow-Headers", want ? want : CORS_HEADERS);
    nb__headers_set(&resp->headers, "Access-Control-Expose-Headers", CORS_EXPOSE);
    /* Chrome asks before a public site (app.localstack.cloud) may call a loopback address. */
    const char *pna = nb__http_request_header(req, "Access-Control-Request-Private-Network");
    if (pna && strcasecmp(pna, "true") == 0)
        nb__headers_set(&resp->headers, "Access-Control-Allow-Private-Network", "true");
    /* The answer depends on the origin (others get 403): caches must not share it. */
    nb__headers_set(&resp->headers, "Vary", "Origin");
}

void nb__cors_headers(const nb__config_t *cfg, const nb__route_t *route, const nb__http_request_t *req,
                      nb__http_response_t *resp) {
    const char *origin = nb__http_request_header(req, "Origin");
    if (origin == NULL || cfg->disable_cors_headers || nb__headers_get(&resp->headers, "Access-Control-Allow-Origin"))
        return;
    /* A service with its own rules answered; only a preflight it passed on without a rule gets the
     * default (S3 for a path that is no bucket: it may be another service's, e.g. an SQS queue URL). */
    if (route && own_cors_rules(cfg, route->spec) && !(is_options(route->op) && resp->status < 300))
        return;
    set_default_headers(req, resp, origin);
}

/* The router sends the preflight to an OPTIONS operation of a service with its own CORS rules. */
static bool service_answers_preflight(const nb__gateway_t *gw, const nb__http_request_t *req) {
    nb__route_t route;
    if (gw->router == NULL || nb__router_route(gw->router, req, &route) != 0 || route.op == NULL)
        return false;
    return is_options(route.op) && own_cors_rules(gw->cfg, route.spec);
}

bool nb__cors_preflight(const nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req) {
    if (strcmp(req->method, "OPTIONS") != 0 || nb__http_request_header(req, "Access-Control-Request-Method") == NULL)
        return false;
    if (service_answers_preflight(gw, req))
        return false;
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = 204;
    const char *origin = nb__http_request_header(req, "Origin");
    if (!gw->cfg->disable_cors_headers) {
        set_default_headers(req, &resp, origin ? origin : "*");
        nb__headers_set(&resp.headers, "Access-Control-Max-Age", "86400");
    }
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
    return true;
}
