/*
 * application/x-www-form-urlencoded requests (query and ec2 protocols): the
 * flat key/value pairs, and their decoding into an operation input driven by
 * the input shape ("A.B.member.1.C=x" -> {"A": {"B": [{"C": "x"}]}}).
 */
#ifndef NB_PROTO_FORM_H
#define NB_PROTO_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "http/message.h"
#include "proto/proto.h"
#include "spec/spec.h"

typedef struct nb__form_pair {
    char *key;   /* decoded, NUL-terminated */
    char *value; /* decoded, NUL-terminated (may hold NULs: use value_len); in the key's block, not freed apart */
    size_t value_len;
    size_t seq;  /* position in the request, so the first of duplicate keys wins */
} nb__form_pair_t;

typedef struct nb__form {
    nb__form_pair_t *items;
    size_t len, cap;
    bool sorted;
} nb__form_t;

#define NB__FORM_INIT {NULL, 0, 0, false}

/* Appends the pairs of s ("a=1&b=2"; '+' is a space). NB_EPROTO on a bad
 * percent escape, NB_ENOMEM. A key without '=' has an empty value. */
int nb__form_parse(nb__form_t *f, const char *s, size_t len);
/* The pairs of a request: its query string, then its body when the body is
 * form-encoded (or has no Content-Type) on a POST. */
int nb__form_from_request(nb__form_t *f, const nb__http_request_t *req);
void nb__form_free(nb__form_t *f);

/* Lookups (sort the pairs on first use). */
const nb__form_pair_t *nb__form_get(nb__form_t *f, const char *key);
/* True if some key starts with prefix. */
bool nb__form_has_prefix(nb__form_t *f, const char *prefix);

typedef enum nb__form_style {
    NB_FORM_QUERY, /* awsQuery: locationName or member name; Name.member.N lists */
    NB_FORM_EC2,   /* ec2: queryName, capitalised locationName or member name; Name.N lists */
} nb__form_style_t;

/* Decodes the pairs into a value of the structure shape (a new object in *out).
 * On a value that does not fit its shape returns NB_EINVAL, *bad_key set to
 * the offending key (malloc'd) and *why to a static reason. */
int nb__form_decode(const nb__spec_t *spec, const json_t *shape, nb__form_t *f, nb__form_style_t style,
                    json_t **out, char **bad_key, const char **why);

/* The whole parse step of query and ec2: the request's pairs decoded into
 * the operation's input. On failure err holds what AWS answers:
 * MalformedQueryString (bad encoding), InvalidParameterValue (a value of the
 * wrong type), RequestEntityTooLarge. */
int nb__form_parse_request(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req,
                           nb__form_style_t style, json_t **input, nb__aws_error_t *err);

#endif
