/* Placeholder until the ec2 marshaller lands: answers like an unimplemented protocol. */
#include "nimbus/errno.h"
#include "proto/proto_impl.h"

static int parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err) {
    (void)req;
    *input = NULL;
    nb__aws_error_set(err, spec, op, "InternalFailure", 501, "protocol ec2 is not implemented yet");
    return NB_EPROTO;
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    (void)spec, (void)op, (void)output, (void)stream, (void)ctx, (void)resp;
    return NB_EPROTO;
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    (void)spec, (void)op, (void)ctx;
    resp->status = err->status;
    nb__headers_set(&resp->headers, "Content-Type", "text/plain");
    nb__buf_printf(&resp->body, "%s: %s\n", err->code, err->message ? err->message : "");
    return 0;
}

const nb__proto_impl_t nb__proto_ec2_impl = {parse, serialize, serialize_error};
