/*
 * Canonical JSON (issue 3 part 5): the text form of an operation's input or
 * output used by nimbus-marshal and the tests. Same as the in-memory value
 * (DESIGN.md §4) except blobs are base64 strings and timestamps are numbers of
 * epoch seconds (integers when whole). Absent members are omitted.
 */
#ifndef NB_PROTO_CANONICAL_H
#define NB_PROTO_CANONICAL_H

#include <jansson.h>

#include "spec/spec.h"

/* value (borrowed) of shape -> canonical JSON (new reference; NULL on ENOMEM).
 * shape may be NULL: the value is copied as is. */
json_t *nb__canonical_from_value(const nb__spec_t *spec, const json_t *shape, const json_t *value);

/* canonical JSON (borrowed) of shape -> value (new reference). On a bad value
 * (bad base64, wrong type) returns NULL and a malloc'd message in *err
 * naming the member path. */
json_t *nb__canonical_to_value(const nb__spec_t *spec, const json_t *shape, const json_t *canon, char **err);

#endif
