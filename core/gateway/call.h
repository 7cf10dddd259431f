/*
 * In-process calls between services (call.c): nb_call, nb_call_async and nb_call_cancel
 * of the plugin ABI, and the same calls for the test harness, which makes them as a
 * client with an access key would.
 */
#ifndef NB_GATEWAY_CALL_H
#define NB_GATEWAY_CALL_H

#include <stdint.h>

#include "gateway/gateway.h"
#include "router/context.h"

typedef struct nb__call nb__call_t;

/* Starts a call (nb_call_async's semantics: cb runs once on a later loop turn unless
 * cancelled). caller names who calls, for the log; ctx: account, region and access key
 * the callee sees. Takes input. 0 when cb is NULL or memory ran out. */
uint64_t nb__call_start(nb__gateway_t *gw, const char *caller, const nb__req_context_t *ctx, const char *service,
                        const char *operation, json_t *input, nb_call_cb cb, void *data);
/* nb_call_cancel: a no-op for an id not live. */
void nb__call_cancel(uint64_t id);
/* Cancels every live call (the harness, before it unloads the plugins). */
void nb__call_cancel_all(void);
/* The callee finished its request (nb__req_complete of a request with req->call). */
void nb__call_req_done(nb_req_t *req);

/* nb_api_t.call and call_async. */
int nb__gateway_call(nb_plugin_t *self, const char *account, const char *region, const char *service,
                     const char *operation, json_t *input, json_t **output, char *error_code, size_t error_len);
uint64_t nb__api_call_async(nb_plugin_t *self, const char *account, const char *region, const char *service,
                            const char *operation, json_t *input, nb_call_cb cb, void *data);

#endif
