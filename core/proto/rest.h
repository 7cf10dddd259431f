/*
 * The REST HTTP binding shared by rest-json and rest-xml: members bound to the
 * URI path, the query string, headers, header prefix maps, the status code and
 * the payload. The body format itself is the protocol's, passed in as a codec.
 */
#ifndef NB_PROTO_REST_H
#define NB_PROTO_REST_H

#include <jansson.h>

#include "http/message.h"
#include "proto/proto.h"
#include "proto/shape.h"
#include "util/buf.h"

typedef struct nb__rest_codec {
    /* Parses a body of len bytes (NUL-terminated) into a new value of shape.
     * ref is NULL when shape is the whole input structure: the codec then
     * binds only members without a "location" (the body members). ref is the
     * payload member's reference when the body is that member's payload.
     * 0, or a negative NB_E* with err set (malformed body). */
    int (*parse)(void *ud, const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *ref, const json_t *shape,
                 const char *body, size_t len, json_t **out, nb__aws_error_t *err);
    /* Serializes value of shape into out; same meaning of ref (NULL = the
     * whole output structure: only members without a location). */
    int (*serialize)(void *ud, const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *ref,
                     const json_t *shape, const json_t *value, nb__buf_t *out);
    const char *content_type;   /* of structure bodies, "application/json" */
    const char *bad_input_code; /* error code for an unparsable header/query/label value */
    void *ud;
} nb__rest_codec_t;

/* req -> *input (new reference), per the operation's http binding. */
int nb__rest_parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req,
                   const nb__rest_codec_t *codec, json_t **input, nb__aws_error_t *err);

/* output (borrowed, may be NULL) -> resp: status (responseCode, or the
 * statusCode member), header and prefix-header members, and the body (the
 * payload member raw or through the codec, else the body members through the
 * codec). stream, if not NULL, is the streaming payload (resp takes it). */
int nb__rest_serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                       const nb__rest_codec_t *codec, nb__http_response_t *resp);

/* Only the header, headers and statusCode members of value (shape a
 * structure) into resp; errors with header-bound members use it. */
int nb__rest_serialize_headers(const nb__spec_t *spec, const json_t *shape, const json_t *value,
                               nb__http_response_t *resp);

/* The payload member of the operation's input (output = false) or output:
 * the structure's "payload" trait, else the one on the operation's
 * input/output reference (older specs); false if there is none. */
bool nb__rest_payload(const nb__spec_t *spec, const nb__spec_op_t *op, bool output, nb__member_t *m);

/* True if the structure has members that go in the body (no location). */
bool nb__rest_has_body_members(const nb__spec_t *spec, const json_t *structure);

/* Splits a header value holding a list ("a, \"b,c\", d") into a new array of
 * strings; timestamps in RFC 822 keep their inner comma when is_timestamp. */
json_t *nb__rest_split_header_list(const char *value, bool is_timestamp);

#endif
