/* The contract between proto.c (dispatch) and each protocol's marshaller. */
#ifndef NB_PROTO_IMPL_H
#define NB_PROTO_IMPL_H

#include "proto/proto.h"

typedef struct nb__proto_impl {
    int (*parse)(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err);
    int (*serialize)(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp);
    int (*serialize_error)(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp);
} nb__proto_impl_t;

/* Bytes a serializer reserves for an answer's body before writing it: most answers fit. */
#define NB__PROTO_BODY_START 1024

extern const nb__proto_impl_t nb__proto_query_impl;     /* query.c */
extern const nb__proto_impl_t nb__proto_ec2_impl;       /* ec2.c */
extern const nb__proto_impl_t nb__proto_json_impl;      /* json.c */
extern const nb__proto_impl_t nb__proto_restjson_impl;  /* restjson.c */
extern const nb__proto_impl_t nb__proto_restxml_impl;   /* restxml.c */
extern const nb__proto_impl_t nb__proto_cbor_impl;      /* cbor.c */

#endif
