/*
 * JSON bodies <-> values, driven by the shape: the body codec of awsJson
 * (json.c) and rest-json (restjson.c). Member keys are locationName when set.
 */
#ifndef NB_PROTO_JSONVAL_H
#define NB_PROTO_JSONVAL_H

#include <stdbool.h>
#include <jansson.h>

#include "spec/spec.h"
#include "util/buf.h"
#include "util/codec.h"

/* Parses text as JSON and converts it to a value of shape (a new reference in
 * *out). body_only: skip members with an HTTP "location" (rest-json). An empty
 * text gives an empty object. On failure returns NB_EPROTO and a malloc'd
 * reason in *why ("Unexpected token...", "Expected a string at 'a.b'"). */
int nb__jsonval_parse(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const char *text, size_t len,
                      bool body_only, json_t **out, char **why);

/* text as a value, read in one pass (jsonread.c), for the documents that reader takes exactly as
 * json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) would: the same value. NULL for any other text
 * (malformed, or a kind the reader leaves to jansson, reals among them): ask json_loadb. */
json_t *nb__json_read_fast(const char *text, size_t len);

/* How many of s's first bytes are plain JSON string text: printable ASCII (0x20-0x7e) but
 * '"' and '\\', written as they are and read without a copy (jsonplain.c). */
size_t nb__json_plain_span(const char *s, size_t len);

/* The value as wire JSON (new reference): blobs base64, timestamps epoch
 * numbers unless timestampFormat says otherwise, NaN/Infinity as strings. */
json_t *nb__jsonval_to_wire(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *value,
                            bool body_only);

/* Appends the wire JSON of value to out (compact): the bytes jansson prints for
 * nb__jsonval_to_wire's tree, written without that tree (jsonwrite.c). A NULL shape: any
 * value (a stored document), the bytes json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) prints. */
int nb__jsonval_dump(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *value,
                     bool body_only, nb__buf_t *out);

/* A member's JSON key: its locationName in a spec written for a JSON protocol; the member
 * name in a query spec also served as awsJson (SQS), as the SDKs' JSON model names it. */
struct nb__member;
const char *nb__jsonval_member_key(const nb__spec_t *spec, const struct nb__member *m);

/* Member i's value (nb__member_values by name) if the wire carries it: present, not null and,
 * with body_only, not bound to an HTTP location; else NULL. */
struct nb__member_values;
const json_t *nb__jsonval_wire_value(const struct nb__member_values *mv, size_t i, bool body_only);

/* How a JSON protocol names an error: the spec's error shape for err->code
 * (by shape name, else by its error trait's code), the __type to send (the
 * shape name), the awsQuery code (the error trait's code, NULL if none) and
 * the key of the message member ("message", or "Message" if the shape says so). */
typedef struct nb__json_error {
    const json_t *shape; /* NULL if the spec has no such shape */
    const char *type;
    const char *query_code;
    const char *message_key;
} nb__json_error_t;

struct nb__aws_error;
void nb__json_error_describe(const nb__spec_t *spec, const struct nb__aws_error *err, nb__json_error_t *out);

/* Writes an error body to out: members (taken; an empty object when it is not one), with
 * "__type" when type is not NULL and the message under je's key when there is one. 0 or NB_ENOMEM. */
int nb__json_error_body(json_t *members, const char *type, const nb__json_error_t *je, const char *message,
                        nb__buf_t *out);

#endif
