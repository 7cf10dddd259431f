/* What the internal endpoints (internal.c: /_localstack/..., moto_api.c: /moto-api/...) share. */
#ifndef NB_GATEWAY_INTERNAL_H
#define NB_GATEWAY_INTERNAL_H

#include <jansson.h>

#include "gateway/gateway.h"
#include "store/store.h"

/* Answers with body_new as compact JSON (taken; NULL: no body), CORS headers included. */
void nb__internal_respond_json(const nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req,
                               int status, json_t *body_new);
/* Clears every started service's state: {"reset": [names]} and, when some failed,
 * "failed": {name: why}; *failed tells whether any did. */
json_t *nb__internal_reset_all(nb__gateway_t *gw, bool *failed);

/* {service: fill(its store)} over every started service with a store (not started: absent); a
 * failing fill is logged (what: "/moto-api/data.json") and sets *failed. */
json_t *nb__internal_per_store(const nb__gateway_t *gw, int (*fill)(nb__store_t *st, json_t *out),
                               const char *what, bool *failed);

/* moto's endpoints (moto_api.c): POST /moto-api/reset, GET /moto-api/data.json; true if it answered. */
bool nb__moto_api(nb__gateway_t *gw, nb__http_exchange_t *x, nb__http_request_t *req);

#endif
