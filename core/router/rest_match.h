/*
 * REST operation matching (internal to core/router): each operation's
 * http.requestUri is compiled once into a route; a request is matched on its
 * method, raw path and query, and the required querystring and header members
 * of the input shape break ties between routes that share a path.
 */
#ifndef NB_ROUTER_REST_MATCH_H
#define NB_ROUTER_REST_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "http/message.h"
#include "spec/spec.h"

typedef struct nb__rest_table nb__rest_table_t;

/* NULL on allocation failure. Sets no spec field: the table is the router's. */
nb__rest_table_t *nb__rest_table_new(const nb__spec_t *spec);
void nb__rest_table_free(nb__rest_table_t *t);

typedef struct nb__rest_hit {
    const nb__spec_op_t *op; /* NULL: no route matched */
    bool complete;           /* every required querystring/header member is present */
} nb__rest_hit_t;

/* Matches a request on method, raw path (path_len bytes) and raw query (NULL:
 * none). OPTIONS is matched as GET; HEAD only matches HEAD routes. */
nb__rest_hit_t nb__rest_match(const nb__rest_table_t *t, const char *method, const char *path, size_t path_len,
                              const char *query, const nb__headers_t *headers);

/* The first path segment of every route that starts with a literal one
 * ("2015-03-31" for Lambda): calls fn for each (repeats included). */
void nb__rest_table_literal_heads(const nb__rest_table_t *t, void (*fn)(void *arg, const char *seg, size_t len),
                                  void *arg);

/* Raw query helpers. Keys and values are compared after percent-decoding
 * ('+' as space). Returns the decoded value of the first `key` into buf
 * (truncated to len-1), or NULL when the key is absent; a key without '='
 * gives "". */
const char *nb__query_get(const char *query, size_t query_len, const char *key, char *buf, size_t len);
bool nb__query_has(const char *query, size_t query_len, const char *key);

#endif
