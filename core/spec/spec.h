/*
 * Service specs: botocore's service-2.json, loaded with jansson.
 *
 * A spec is kept as its JSON document; shapes are looked up by name in it.
 * What the router and marshallers ask for often (operations, their HTTP
 * bindings, resolved input/output shapes, metadata) is precomputed here.
 */
#ifndef NB_SPEC_H
#define NB_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef enum nb__protocol {
    NB_PROTO_NONE = 0,
    NB_PROTO_QUERY,
    NB_PROTO_EC2,
    NB_PROTO_JSON,      /* awsJson 1.0 and 1.1 (jsonVersion tells) */
    NB_PROTO_REST_JSON,
    NB_PROTO_REST_XML,
    NB_PROTO_CBOR,      /* smithy-rpc-v2-cbor */
    NB_PROTO__COUNT
} nb__protocol_t;

#define NB_PROTO_BIT(p) (1u << (p))

const char *nb__protocol_name(nb__protocol_t p); /* "rest-xml" */
nb__protocol_t nb__protocol_from_name(const char *name); /* NB_PROTO_NONE if unknown */

typedef struct nb__spec_op {
    const char *name;        /* "PutObject" */
    const char *method;      /* "PUT" */
    const char *request_uri; /* "/{Bucket}/{Key+}?x-id=PutObject" */
    int response_code;       /* http.responseCode, 200 by default */
    const json_t *def;       /* the operation's JSON object */
    bool checksum_required;  /* httpChecksumRequired, or httpChecksum.requestChecksumRequired */
    bool streaming_input;    /* the input's payload member is a streaming blob (S3 PutObject): read by the
                              * handler as it is, not parsed, so it may be as large as any upload */
    const char *input_name;  /* input shape name, NULL if none */
    const char *output_name;
    const json_t *input;     /* resolved input shape, NULL if none */
    const json_t *output;
    void *route;             /* router's precomputed matcher, owned by the router */
} nb__spec_op_t;

typedef struct nb__spec {
    json_t *root;
    const json_t *metadata;
    const json_t *shapes;
    char *service;               /* folder name under specs/ ("sqs"); else endpointPrefix */
    const char *service_id;      /* metadata.serviceId, "SQS" */
    const char *signing_name;    /* metadata.signingName or endpointPrefix */
    const char *endpoint_prefix; /* metadata.endpointPrefix */
    const char *target_prefix;   /* metadata.targetPrefix (json, cbor), NULL otherwise */
    const char *api_version;
    const char *json_version;    /* "1.0" / "1.1", NULL if none */
    const char *xml_namespace;   /* metadata.xmlNamespace.uri, NULL if none */
    nb__protocol_t protocol;     /* metadata.protocol */
    unsigned protocols;          /* NB_PROTO_BIT set from metadata.protocols (+ protocol) */
    bool query_compatible;       /* metadata.awsQueryCompatible */
    nb__spec_op_t *ops;          /* sorted by name */
    size_t nops;
    char *path;                  /* file it came from, NULL if built from JSON */
    bool stub;                   /* only the index's metadata so far (spec_index.c): root, shapes and ops
                                  * come with nb__spec_load_shapes, on the service's first request */
    bool catalog;                /* from the botocore catalogue (specs/botocore/): routed only when no
                                  * shipped service matches */
    char *stub_strings;          /* the stub's metadata strings, kept after the load (pointers into it) */
    const char *index_heads;     /* a stub's REST routes' first literal path segments, "a,b" (NULL: none) */
    const char *index_ops;       /* a shipped stub's operation names, "A,B" (NULL: not in the index) */
    bool shapes_unloaded;
    bool has_options_op;         /* an operation answers OPTIONS (S3's bucket CORS, an overlay op) */
    json_t *error_index;         /* error code or exception shape name -> shape name */
    /* core/proto's compiled shapes (members with their traits resolved), built lazily by the
     * marshallers and freed with the spec through proto_cache_free. */
    void *proto_cache;
    void (*proto_cache_free)(void *cache);
    /* core/proto/rest_plan.c's HTTP bindings of structures, built lazily, freed the same way. */
    void *rest_cache;
    void (*rest_cache_free)(void *cache);
} nb__spec_t;

/* Loads a service-2.json (and an overlay.json beside it, if present: a JSON
 * merge patch applied before anything is indexed). service may be NULL (taken
 * from the folder name two levels up, else endpointPrefix). On failure returns
 * NULL and, when err is not NULL, a malloc'd message. */
nb__spec_t *nb__spec_load(const char *path, const char *service, char **err);
/* Takes ownership of root (a service-2.json document or a protocol-test suite:
 * metadata + shapes, with operations possibly empty). */
nb__spec_t *nb__spec_from_json(json_t *root, const char *service, char **err);
void nb__spec_free(nb__spec_t *spec);

/* Shapes are most of a spec's memory and only needed once its service is used:
 * unload drops them (a spec loaded from a file only; router indexes are built
 * before), load brings them back from the file. Operations keep their names and
 * HTTP bindings throughout; their input/output pointers are NULL while unloaded. */
void nb__spec_unload_shapes(nb__spec_t *spec);
/* Also turns a stub (spec_index.c) into the whole spec, read from its file (.json or .json.gz):
 * nb__spec_read then nb__spec_adopt, on the calling thread. */
int nb__spec_load_shapes(nb__spec_t *spec, char **err);
/* Whether the spec must be read before its service serves a request (a stub, or shapes unloaded). */
bool nb__spec_unread(const nb__spec_t *spec);
/* The two halves of nb__spec_load_shapes, so the read may run off the loop. nb__spec_read reads
 * spec's file into a new spec (its error index built): it reads only spec->path and
 * spec->service, which never change, so it may run on any thread. nb__spec_adopt, on the
 * thread that owns spec, moves what spec lacks out of fresh (which it frees); a spec read
 * meanwhile keeps what it has. */
nb__spec_t *nb__spec_read(const nb__spec_t *spec, char **err);
void nb__spec_adopt(nb__spec_t *spec, nb__spec_t *fresh);

/* protocol and protocols from metadata.protocol and the names of metadata.protocols: the
 * first known of protocols when protocol is unknown. */
void nb__spec_set_protocols(nb__spec_t *spec, const char *protocol, const char *const *names, size_t n);

/* Adds or replaces one operation from a JSON definition (a test vector's `given`). */
const nb__spec_op_t *nb__spec_add_op(nb__spec_t *spec, const json_t *def);

const nb__spec_op_t *nb__spec_op(const nb__spec_t *spec, const char *name);
const json_t *nb__spec_shape(const nb__spec_t *spec, const char *name);
/* {"shape": "X", ...} -> the shape X; NULL if ref is NULL or X is unknown. */
const json_t *nb__spec_ref_shape(const nb__spec_t *spec, const json_t *ref);
/* The error shape for an error code: one of the operation's errors (op may be NULL)
 * named so or whose "error" trait has that code, else any exception shape of the
 * spec by name or trait code. NULL if none; *name (if name is not NULL) is the
 * shape's name. Constant time after the first call. */
const json_t *nb__spec_error_shape(const nb__spec_t *spec, const nb__spec_op_t *op, const char *code,
                                   const char **name);
/* The "type" of a shape: "structure", "list", "map", "string", ... */
const char *nb__shape_type(const json_t *shape);

/* Applies an RFC 7386 JSON merge patch to target in place. */
int nb__json_merge_patch(json_t *target, const json_t *patch);

/* Every spec found under the given folders: <dir>/<service>/<api-version>/service-2.json
 * (newest api version of each service). */
typedef struct nb__spec_set {
    nb__spec_t **items;
    size_t len;
} nb__spec_set_t;

/* A folder with an index.tsv (tools/specs/spec_index.py) gets a stub per line (spec_index.c),
 * read in well under a millisecond whatever the number of specs; one without is scanned and
 * every spec parsed. */
int nb__spec_set_load_dir(nb__spec_set_t *set, const char *dir, char **err);
/* 1 when dir has an index.tsv and its stubs were added (services already in set are skipped),
 * 0 when it has none, -1 (with *err) when it cannot be read. */
int nb__spec_set_load_index(nb__spec_set_t *set, const char *dir, char **err);
/* Reads every shipped (non-catalogue) stub's spec now: tools and tests that walk the specs'
 * operations. 0, or -1 with *err. */
int nb__spec_set_read_shipped(nb__spec_set_t *set, char **err);
/* 1 when the service has this operation, 0 when not, -1 when a stub cannot tell (a catalogue
 * spec: the index lists the shipped services' operations only). */
int nb__spec_knows_op(const nb__spec_t *spec, const char *name);
/* Appends spec to set; -1 when out of memory (spec is freed then). */
int nb__spec_set_add(nb__spec_set_t *set, nb__spec_t *spec);
const nb__spec_t *nb__spec_set_find(const nb__spec_set_t *set, const char *service);
void nb__spec_set_free(nb__spec_set_t *set);

#endif
