/*
 * Routing hints: rules LocalStack routes by that no spec states (virtual-host
 * addressing, resource URLs that carry the operation elsewhere, the service that
 * takes what nothing else claimed, signing names no spec declares). The services
 * are named in one table, core/router/quirks.c; the router reads what each row
 * says to do and never asks which service it is.
 */
#ifndef NB_ROUTER_QUIRKS_H
#define NB_ROUTER_QUIRKS_H

#include <stdbool.h>
#include <stddef.h>

#include "http/message.h"

typedef struct nb__route_quirks {
    const char *service; /* the endpoint prefix of the spec the row is about */
    /* Virtual-host addressing: a Host <resource>.<label>[.<region>].<domain> (or <label>...)
     * names the service, and the resource goes in front of the path. NULL: none. The router
     * serves the first row that has one. */
    const char *vhost_label;
    /* A path that is the URL of one of the service's resources; a request to it that carries an
     * Action or X-Amz-Target is the service's (an operation sent to a queue's URL). NULL: none. */
    bool (*resource_path)(const char *path);
    /* The last resort: a request no other rule routed (and not signed for a service that is not
     * loaded) is the service's when this says so. NULL: none. */
    bool (*claims_unrouted)(const nb__http_request_t *req);
} nb__route_quirks_t;

extern const nb__route_quirks_t nb__route_quirks[];
extern const size_t nb__route_quirks_len;

/* The first row with a vhost_label, or NULL. */
const nb__route_quirks_t *nb__route_vhost_quirks(void);

/* The signing name a spec declares for what a client signs as signing_name (an alias
 * some endpoint rulesets use), or signing_name itself. */
const char *nb__route_signing_alias(const char *signing_name);

#endif
