/*
 * Marshalling: spec-driven parsers (HTTP request -> operation input) and
 * serializers (operation output or error -> HTTP response), one per protocol.
 *
 * Values follow nimbus/plugin.h: objects for structures and maps, arrays for
 * lists, integers, reals (timestamps as real epoch seconds; NaN/Infinity as
 * the strings "NaN", "Infinity", "-Infinity"), booleans, strings, and blobs as
 * binary strings (json_stringn_nocheck). A streaming blob payload is never in
 * the value: the request's body is the handler's to read, and a response
 * stream is passed to the serializer beside the output.
 */
#ifndef NB_PROTO_H
#define NB_PROTO_H

#include <stdbool.h>
#include <jansson.h>

#include "http/message.h"
#include "spec/spec.h"

/* An AWS error on its way to the client. */
typedef struct nb__aws_error {
    int status;       /* HTTP status */
    char *code;       /* "QueueDoesNotExist", malloc'd */
    char *message;    /* malloc'd, may be NULL */
    bool sender;      /* Sender (client) fault, else Receiver */
    json_t *fields;   /* extra members of the error shape ("BucketName"), owned, may be NULL */
} nb__aws_error_t;

/* Sets code, status and fault; looks the code up among the operation's and the
 * spec's error shapes (their "error" trait: code, httpStatusCode, senderFault),
 * else uses status (if status is 0: 400). The message is printf-formatted. */
void nb__aws_error_set(nb__aws_error_t *err, const nb__spec_t *spec, const nb__spec_op_t *op, const char *code,
                       int status, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void nb__aws_error_clear(nb__aws_error_t *err);

/* What the serializer needs to know about the request it answers. */
typedef struct nb__proto_ctx {
    const char *request_id; /* never NULL */
    bool query_mode;        /* request carried x-amzn-query-mode (awsQueryCompatible) */
    bool head;              /* the request was HEAD: no body */
} nb__proto_ctx_t;

/* Parses req into *input (a new reference). Returns 0, or a negative NB_E* with
 * err set to the error AWS answers for that protocol (serialization or
 * validation errors). */
int nb__proto_parse(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto,
                    const nb__http_request_t *req, json_t **input, nb__aws_error_t *err);

/* Fills resp (status, headers, body) from output (borrowed, may be NULL for an
 * empty output). stream, if not NULL, is the streaming payload; resp takes it. */
int nb__proto_serialize(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto, const json_t *output,
                        nb_body_t *stream, const nb__proto_ctx_t *ctx, nb__http_response_t *resp);

/* awsJson: fills resp with text, the output's JSON text as it is (nb_reply_json_text); a
 * stream (not NULL) is freed, as the JSON protocols' serializer does. */
int nb__proto_json_text(const nb__spec_t *spec, const char *text, size_t len, nb_body_t *stream,
                        const nb__proto_ctx_t *ctx, nb__http_response_t *resp);

/* Fills resp with err in the protocol's error format. spec and op may be NULL
 * (errors raised before routing): a generic shape is used. */
int nb__proto_serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto,
                              const nb__aws_error_t *err, const nb__proto_ctx_t *ctx, nb__http_response_t *resp);

/* Validates input against the operation's input shape (required members, types,
 * enums, lengths, ranges); 0 or NB_EINVAL with err set as the protocol wants. */
int nb__proto_validate(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto, const json_t *input,
                       nb__aws_error_t *err);

#endif
