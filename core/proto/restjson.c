/*
 * rest-json: the REST binding (rest.c) with JSON bodies. Errors name their
 * type in X-Amzn-ErrorType and carry {"message": ...} plus the error shape's
 * body members.
 */
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/jsonval.h"
#include "proto/proto_impl.h"
#include "proto/rest.h"

static int codec_parse(void *ud, const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *ref,
                       const json_t *shape, const char *body, size_t len, json_t **out, nb__aws_error_t *err) {
    (void)ud;
    char *why = NULL;
    int rc = nb__jsonval_parse(spec, ref, shape, body, len, ref == NULL, out, &why);
    if (rc) {
        nb__aws_error_set(err, spec, op, "SerializationException", 400, "%s", why ? why : "Malformed JSON");
        free(why);
        return NB_EPROTO;
    }
    return 0;
}

static int codec_serialize(void *ud, const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *ref,
                           const json_t *shape, const json_t *value, nb__buf_t *out) {
    (void)ud, (void)op;
    return nb__jsonval_dump(spec, ref, shape, value, ref == NULL, out);
}

static const nb__rest_codec_t codec = {
    .parse = codec_parse,
    .serialize = codec_serialize,
    .content_type = "application/json",
    .bad_input_code = "SerializationException",
};

static int parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err) {
    return nb__rest_parse(spec, op, req, &codec, input, err);
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
    int rc = nb__rest_serialize(spec, op, output, stream, &codec, resp);
    if (ctx->head)
        resp->no_body = true;
    return rc;
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    (void)op;
    nb__json_error_t je;
    nb__json_error_describe(spec, err, &je);
    resp->status = err->status ? err->status : 400;
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
    nb__headers_set(&resp->headers, "X-Amzn-ErrorType", je.type);
    nb__headers_set(&resp->headers, "Content-Type", "application/json");
    json_t *body = NULL;
    if (je.shape) {
        nb__rest_serialize_headers(spec, je.shape, err->fields, resp);
        resp->status = err->status ? err->status : resp->status;
        body = nb__jsonval_to_wire(spec, NULL, je.shape, err->fields, true);
    }
    int rc = nb__json_error_body(body, NULL, &je, err->message, &resp->body);
    if (ctx->head)
        resp->no_body = true;
    return rc;
}

const nb__proto_impl_t nb__proto_restjson_impl = {parse, serialize, serialize_error};
