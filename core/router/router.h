/*
 * Service and operation detection, as LocalStack does it: from the signing
 * name in the Authorization credential scope, X-Amz-Target, Smithy-Protocol,
 * path rules, the Host, the form or query Action, and the routing hints of
 * router/quirks.c (virtual hosts, resource URLs, the last resort: S3).
 * REST operations are matched from their requestUri on the raw path.
 */
#ifndef NB_ROUTER_H
#define NB_ROUTER_H

#include "http/message.h"
#include "spec/spec.h"

typedef struct nb__route {
    const nb__spec_t *spec;   /* NULL: no service matched */
    const nb__spec_op_t *op;  /* NULL: service found, operation not */
    nb__protocol_t protocol;  /* the wire protocol this request uses */
    bool body_unread;         /* a form request whose Action may be in the body, not there yet:
                                 routing it again once the body is in may decide otherwise */
} nb__route_t;

typedef struct nb__router nb__router_t;

/* Builds the indexes for these specs (borrowed; they must outlive the router). */
nb__router_t *nb__router_new(const nb__spec_set_t *specs);
void nb__router_free(nb__router_t *router);

/* S3 virtual hosts are <bucket>.s3[.<region>].<hostname> for hostname
 * localhost.localstack.cloud, amazonaws.com or localhost; this adds another
 * (LOCALSTACK_HOST's host, without port). 0 or NB_ENOMEM / NB_EINVAL. */
int nb__router_add_hostname(nb__router_t *router, const char *hostname);

/* 0 when service and operation were found; NB_ENOENT otherwise, with whatever
 * was found filled in (spec without op: unknown operation of a known service). */
int nb__router_route(const nb__router_t *router, const nb__http_request_t *req, nb__route_t *out);
/* The same without reading any spec on this thread: NB_EAGAIN when routing needs a spec that
 * is still a stub (the index's), *unread naming it and out->spec / out->protocol filled from
 * it; the caller has it read (off the loop) and routes again. */
int nb__router_route_unread(const nb__router_t *router, const nb__http_request_t *req, nb__route_t *out,
                            const nb__spec_t **unread);

/* A form request routed from its head before its body (out->body_unread) is routed again
 * from what its head said, the body's parameters read anew: the request is known by its
 * address until this is called, which a new request's head must do first. */
void nb__router_forget_head(const nb__router_t *router);

/* The raw path the operation was matched on, for reading its labels: the
 * request's path, or "/<bucket>" + path for an S3 virtual-host request.
 * Written to buf; NULL when it does not fit. */
const char *nb__router_match_path(const nb__router_t *router, const nb__http_request_t *req, const nb__route_t *route,
                                  char *buf, size_t len);

/* The service a request is for, from its signing name, target or host only
 * (used before the service's spec is needed). NULL when unknown. */
const char *nb__router_service_hint(const nb__http_request_t *req, char *buf, size_t len);

#endif
