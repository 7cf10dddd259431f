/* CORS as LocalStack answers it by default: any origin, the usual methods, the
 * headers the browser asks for, and the AWS headers a browser SDK needs to read. */
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

void nb__cors_headers(const nb__http_request_t *req, nb__http_response_t *resp) {
    const char *origin = nb__http_request_header(req, "Origin");
    if (origin == NULL || nb__headers_get(&resp->headers, "Access-Control-Allow-Origin"))
        return;
    const char *want = nb__http_request_header(req, "Access-Control-Request-Headers");
    nb__headers_set(&resp->headers, "Access-Control-Allow-Origin", origin);
    nb__headers_set(&resp->headers, "Access-Control-Allow-Methods", CORS_METHODS);
    nb__headers_set(&resp->headers, "Access-Control-Allow-Headers", want ? want : CORS_HEADERS);
    nb__headers_set(&resp->headers, "Access-Control-Expose-Headers", CORS_EXPOSE);
}

/* A service whose spec defines OPTIONS operations answers its own preflights (S3: from the
 * bucket's CORS rules, an overlay operation); the others get the answer below. */
static bool service_answers_preflight(const nb__router_t *router, const nb__http_request_t *req) {
    nb__route_t route;
    if (router == NULL || nb__router_route(router, req, &route) != 0 || route.op == NULL)
        return false;
    return route.op->method && strcmp(route.op->method, "OPTIONS") == 0;
}

bool nb__cors_preflight(const nb__router_t *router, nb__http_exchange_t *x, const nb__http_request_t *req) {
    if (strcmp(req->method, "OPTIONS") != 0 || nb__http_request_header(req, "Access-Control-Request-Method") == NULL)
        return false;
    if (service_answers_preflight(router, req))
        return false;
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = 204;
    const char *origin = nb__http_request_header(req, "Origin");
    const char *want = nb__http_request_header(req, "Access-Control-Request-Headers");
    nb__headers_set(&resp.headers, "Access-Control-Allow-Origin", origin ? origin : "*");
    nb__headers_set(&resp.headers, "Access-Control-Allow-Methods", CORS_METHODS);
    nb__headers_set(&resp.headers, "Access-Control-Allow-Headers", want ? want : CORS_HEADERS);
    nb__headers_set(&resp.headers, "Access-Control-Expose-Headers", CORS_EXPOSE);
    nb__headers_set(&resp.headers, "Access-Control-Max-Age", "86400");
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
    return true;
}
