/*
 * Protocol quirks: where a service answers differently from what its protocol and
 * its model say (S3's XML dialect, the SQS error namespace, DynamoDB's CRC32, the
 * validation messages of the older query services). The services are named in one
 * table, core/proto/quirks.c; the protocols ask for a spec's row and read fields
 * that say what to do, never which service it is.
 */
#ifndef NB_PROTO_QUIRKS_H
#define NB_PROTO_QUIRKS_H

#include <stdbool.h>

#include "spec/spec.h"

/* How input validation reports violations, when a service departs from its protocol's way. */
typedef enum {
    NB_VALIDATE_AS_PROTOCOL = 0, /* what the protocol family answers */
    NB_VALIDATE_CORAL,           /* every violation, ValidationError, even over query */
    NB_VALIDATE_INVALID_PARAMETER, /* the first violation as InvalidParameter "Invalid parameter: X" */
    NB_VALIDATE_PRESENCE_ONLY, /* rest-xml: required members and NULs only; MalformedXML / InvalidArgument */
} nb__validate_quirk_t;

/* An operation whose response root element is named apart from the model. */
typedef struct nb__xml_root_name {
    const char *op, *root;
} nb__xml_root_name_t;

typedef struct nb__proto_quirks {
    const char *service; /* endpoint prefix (the spec's service name when it has none) */
    /* awsJson: prefix of an error's __type and X-Amzn-ErrorType ("com.amazonaws.sqs#"); NULL: the bare name */
    const char *json_error_namespace;
    bool json_crc32;                 /* awsJson responses carry x-amz-crc32 of the body (zlib CRC32) */
    nb__validate_quirk_t validation; /* how validation failures are answered */
    const char *request_id_header;   /* NULL: x-amzn-RequestId */
    /* rest-xml, the dialect older than the model: */
    const char *host_id_header;        /* also sent with the request id (x-amz-id-2); NULL: none */
    bool xml_bare_error;               /* errors are a bare <Error> with RequestId and HostId */
    bool xml_timestamp_ms;             /* body timestamps carry milliseconds */
    bool xml_payload_root_member_name; /* a payload's root is named after its member when no locationName says */
    const char *xml_namespace;         /* root xmlns when the model names none */
    const nb__xml_root_name_t *xml_roots; /* root names the model lacks, ended by a {NULL, NULL} row */
    /* the one operation whose response root element is its output member's text, and that member */
    const char *xml_text_root_op, *xml_text_root_member;
} nb__proto_quirks_t;

/* The quirks of spec's service: a row with every field zero (no quirk) when it has none or
 * spec is NULL. Never NULL. */
const nb__proto_quirks_t *nb__proto_quirks(const nb__spec_t *spec);

/* The response header that carries the request id for spec's service: "x-amzn-RequestId"
 * unless a quirk says otherwise. spec may be NULL (a request no service claimed). */
const char *nb__request_id_header(const nb__spec_t *spec);

/* The root element name quirks give op's response, or NULL. */
const char *nb__proto_xml_root_name(const nb__proto_quirks_t *q, const char *op);

#endif
