/* Per-request memory (req_memory.c): nb_api_t's nb_req_alloc and friends, on the
 * request's arena (util/arena.h), freed by nb__req_free. */
#ifndef NB_GATEWAY_REQ_MEMORY_H
#define NB_GATEWAY_REQ_MEMORY_H

#include "nimbus/plugin.h"

void *nb__req_alloc(nb_req_t *req, size_t size);
char *nb__req_strdup(nb_req_t *req, const char *s);
char *nb__req_printf(nb_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int nb__req_on_free(nb_req_t *req, void (*fn)(void *data), void *data);

#endif
