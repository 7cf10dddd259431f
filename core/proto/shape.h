/*
 * Walking spec shapes and converting scalars between wire text and values,
 * shared by every protocol.
 *
 * A "ref" is a member reference ({"shape": "X", "location": ..., ...}); traits
 * may sit on the ref or on the target shape, so the lookups here check the ref
 * first, then the shape.
 */
#ifndef NB_PROTO_SHAPE_H
#define NB_PROTO_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "spec/spec.h"
#include "util/codec.h"

typedef enum nb__shape_kind {
    NB_SHAPE_UNKNOWN = 0,
    NB_SHAPE_STRUCTURE,
    NB_SHAPE_LIST,
    NB_SHAPE_MAP,
    NB_SHAPE_STRING, /* also enum */
    NB_SHAPE_INTEGER, /* integer, short, byte: 32-bit (or narrower) range */
    NB_SHAPE_LONG,
    NB_SHAPE_FLOAT, /* float and double */
    NB_SHAPE_BOOLEAN,
    NB_SHAPE_TIMESTAMP,
    NB_SHAPE_BLOB,
    NB_SHAPE_DOCUMENT, /* a structure with "document": true: any JSON, kept as is */
} nb__shape_kind_t;

nb__shape_kind_t nb__shape_kind(const json_t *shape);

/* Member traits resolved once (ref first, then shape): nb__member_t.traits. */
enum {
    NB_MEMBER_FLATTENED = 1u << 0,
    NB_MEMBER_XML_ATTRIBUTE = 1u << 1,
    NB_MEMBER_JSONVALUE = 1u << 2,
    NB_MEMBER_HOST_LABEL = 1u << 3,
    NB_MEMBER_IDEMPOTENCY_TOKEN = 1u << 4,
    NB_MEMBER_STREAMING = 1u << 5, /* the "streaming" trait itself */
    NB_MEMBER_EVENTSTREAM = 1u << 6,
    NB_MEMBER_REQUIRED = 1u << 7,     /* named in the structure's "required" */
    NB_MEMBER_ALLOW_NUL = 1u << 8,    /* Nimbus's overlay trait nimbusAllowNul, on the ref */
    NB_MEMBER_REF_LOCATION = 1u << 9, /* the ref itself has a "location" (bound to an HTTP location) */
};

/* What validation asks of a shape per value, read once from the spec: its kind and
 * constraints (min/max when numbers, a non-empty enum). */
typedef struct nb__shape_facts {
    nb__shape_kind_t kind;
    bool has_min, has_max;
    double min, max;
    const json_t *enum_values; /* NULL: no enum */
} nb__shape_facts_t;

void nb__shape_facts(const json_t *shape, nb__shape_facts_t *f);

/* One member of a structure, with its target shape and common traits resolved.
 * Members come from a per-spec cache (spec->proto_cache): walking a structure
 * costs no JSON lookups after the first time. */
typedef struct nb__member {
    const char *name;     /* member name as in the spec */
    const json_t *ref;    /* the member reference (its traits) */
    const json_t *shape;  /* resolved target shape, NULL if unknown */
    nb__shape_kind_t kind;
    const char *location;      /* see nb__member_location() */
    const char *location_name; /* see nb__member_location_name() */
    const char *xml_name;      /* see nb__xml_member_name() */
    const char *query_name;    /* see nb__member_query_name() */
    const char *location_name_trait; /* the locationName trait, ref first then shape; NULL if none */
    const char *json_key;      /* the key under a JSON protocol: see nb__jsonval_member_key() */
    size_t name_len, json_key_len;
    unsigned traits;           /* NB_MEMBER_* */
    nb__shape_facts_t facts;   /* of the target shape */
} nb__member_t;

typedef struct nb__member_iter {
    const nb__member_t *next, *end;
} nb__member_iter_t;

/* for (nb__member_iter_init(&it, spec, shape); nb__member_next(&it, &m);) */
void nb__member_iter_init(nb__member_iter_t *it, const nb__spec_t *spec, const json_t *structure);
bool nb__member_next(nb__member_iter_t *it, nb__member_t *m);
/* The member of that name; false if absent. */
bool nb__member_get(const nb__spec_t *spec, const json_t *structure, const char *name, nb__member_t *m);

/* The resolved members of a structure, in spec order (cached per spec); false when it has none. */
bool nb__members(const nb__spec_t *spec, const json_t *structure, const nb__member_t **members, size_t *n);

/* A structure value's value for each member: vals[i] is members[i]'s (NULL when v lacks it), by
 * member name or by JSON key. A request carries a few of its structure's members: v's keys
 * are looked up among the members then, instead of every member's name hashed into v. */
typedef struct nb__member_values {
    const nb__member_t *members;
    size_t n;
    const json_t **vals;
    const json_t *local[32];
} nb__member_values_t;

/* 0, or NB_ENOMEM (a structure of more members than local holds needs memory). */
int nb__member_values_init(nb__member_values_t *mv, const nb__spec_t *spec, const json_t *structure, const json_t *v,
                           bool by_json_key);
void nb__member_values_free(nb__member_values_t *mv);

/* Traits, ref first then shape (either may be NULL). */
const json_t *nb__trait(const json_t *ref, const json_t *shape, const char *key);
const char *nb__trait_str(const json_t *ref, const json_t *shape, const char *key);
bool nb__trait_bool(const json_t *ref, const json_t *shape, const char *key);

/* Shorthands for the common member traits. */
const char *nb__member_location(const nb__member_t *m);      /* "uri", "querystring", "header", "headers", "statusCode", NULL = body */
const char *nb__member_location_name(const nb__member_t *m); /* locationName, else the member name */
bool nb__member_streaming(const nb__member_t *m);            /* streaming blob or eventstream */
bool nb__member_eventstream(const nb__member_t *m);
bool nb__member_flattened(const nb__member_t *m);       /* flattened (list or map, XML and query) */
bool nb__member_xml_attribute(const nb__member_t *m);   /* xmlAttribute */
bool nb__member_jsonvalue(const nb__member_t *m);       /* jsonvalue: a JSON document in a string */
bool nb__member_host_label(const nb__member_t *m);      /* hostLabel */
bool nb__member_idempotency_token(const nb__member_t *m); /* idempotencyToken */
/* The wire name under query/ec2: queryName (ec2), else locationName, else the member name. */
const char *nb__member_query_name(const nb__member_t *m);

/* The member named by a structure's "payload" trait; false if none. */
bool nb__shape_payload(const nb__spec_t *spec, const json_t *structure, nb__member_t *m);

/* "timestampFormat" of ref/shape mapped to a format, else dflt. */
nb__time_format_t nb__timestamp_format(const json_t *ref, const json_t *shape, nb__time_format_t dflt);

/* Converts wire text (len bytes, need not be NUL-terminated) into a value of
 * shape's type: strings as they are; integers with range checks; floats incl.
 * "NaN", "Infinity", "-Infinity" (kept as those strings); booleans "true"/"false";
 * timestamps in any of ISO 8601, RFC 822, epoch seconds (-> real); blobs from
 * base64 (-> binary string). 0 and *out a new reference, or NB_EINVAL with a
 * static reason in *why (may be NULL). */
int nb__scalar_from_text(const json_t *shape, const char *text, size_t len, json_t **out, const char **why);
/* The same for a shape whose kind the caller has (a member's m.kind): no lookup of its type. */
int nb__scalar_from_text_kind(const json_t *shape, nb__shape_kind_t kind, const char *text, size_t len, json_t **out,
                              const char **why);

/* Converts a scalar value back to text (malloc'd). Timestamps use fmt; blobs
 * become base64; floats print shortest round-trip form or NaN/Infinity;
 * booleans "true"/"false". NULL if value does not fit the shape. */
char *nb__scalar_to_text(const json_t *shape, const json_t *value, nb__time_format_t fmt);

/* A JSON number for a float value (real, or the NaN/Infinity strings kept as
 * strings); the value as a double, false if not a float-like value. */
bool nb__value_double(const json_t *value, double *d);
/* A float value for d: a real, or "NaN"/"Infinity"/"-Infinity". New reference. */
json_t *nb__value_from_double(double d);

/* A blob value: a binary string (may hold NULs). New reference. */
json_t *nb__value_blob(const void *data, size_t len);

#endif
