/*
 * A structure's REST HTTP binding, compiled once per structure and spec (spec->rest_cache): its
 * members grouped by where they travel (URI labels, query string, headers, header prefix maps,
 * the status code, the body) with each header's name measured. Parsing a request or writing an
 * answer then walks only the members of a location, and finds an output member by name without
 * a jansson lookup per member (S3's GetObjectOutput has 35 header members, an answer sets 8).
 */
#ifndef NB_PROTO_REST_PLAN_H
#define NB_PROTO_REST_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/shape.h"

typedef enum nb__rest_loc {
    NB_REST_BODY = 0,
    NB_REST_URI,
    NB_REST_QUERY,
    NB_REST_HEADER,
    NB_REST_HEADERS, /* a map of prefixed headers (x-amz-meta-*) */
    NB_REST_STATUS,
    NB_REST_OTHER, /* a location this binding does not know: ignored, as before */
} nb__rest_loc_t;

typedef struct nb__rest_binding {
    nb__member_t m;
    nb__rest_loc_t loc;
    const char *wire; /* location name: the header, label or parameter name */
    size_t wire_len;
    uint32_t key;     /* nb__rest_header_key(wire) for headers */
    unsigned index;   /* the member's position in the structure (spec order) */
} nb__rest_binding_t;

typedef struct nb__rest_plan {
    const nb__rest_binding_t *all; /* every member, spec order */
    size_t n;
    const nb__rest_binding_t **by_name; /* every member, sorted by member name */
    const nb__rest_binding_t **headers; /* NB_REST_HEADER members, sorted by key */
    size_t n_headers;
    const nb__rest_binding_t **prefixed; /* NB_REST_HEADERS members, spec order */
    size_t n_prefixed;
    bool has_body_members;
} nb__rest_plan_t;

/* The plan of structure (NULL when it has no members or on ENOMEM: callers walk nothing). */
const nb__rest_plan_t *nb__rest_plan(const nb__spec_t *spec, const json_t *structure);

/* The member named name (the spec's member name), or NULL. */
const nb__rest_binding_t *nb__rest_plan_member(const nb__rest_plan_t *plan, const char *name);

/* A header name's length and lower-cased first letter, compared before the name itself. */
static inline uint32_t nb__rest_header_key(const char *name, size_t len) {
    unsigned char c = (unsigned char)name[0];
    return (uint32_t)len << 8 | (c >= 'A' && c <= 'Z' ? c + 32u : c);
}

#endif
