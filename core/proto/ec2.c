/*
 * ec2: form-encoded requests like awsQuery but with Name.N lists and
 * capitalised names (queryName first); responses are <OpResponse> with the
 * members directly inside, errors <Response><Errors><Error>...<RequestID>.
 */
#include <stdio.h>
#include <string.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/form.h"
#include "proto/proto_impl.h"
#include "proto/xml.h"
#include "proto/xml_shape.h"

static int parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err) {
    return nb__form_parse_request(spec, op, req, NB_FORM_EC2, input, err);
}

static void finish_response(nb__http_response_t *resp, const nb__proto_ctx_t *ctx, int status) {
    resp->status = status;
    nb__headers_set(&resp->headers, "Content-Type", "text/xml;charset=UTF-8");
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__xml_writer_t w;
    nb__xml_enc_t e = {spec, &w, NB_TIME_ISO8601, 0};
    if (stream)
        nb__body_free(stream);
    nb__xml_writer_init(&w, &resp->body);
    nb__xml_start_op_response(&w, spec, op);
    nb__xml_element(&w, "requestId", ctx->request_id);
    if (op->output && json_is_object(output))
        nb__xml_write_members(&e, op->output, output);
    int rc = nb__xml_writer_finish(&w);
    finish_response(resp, ctx, 200);
    return rc;
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__xml_writer_t w;
    nb__xml_enc_t e = {spec, &w, NB_TIME_ISO8601, 0};
    nb__xml_writer_init(&w, &resp->body);
    nb__xml_start(&w, "Response");
    nb__xml_start(&w, "Errors");
    nb__xml_start(&w, "Error");
    nb__xml_element(&w, "Code", nb__xml_error_code(spec, op, err));
    nb__xml_write_error_fields(&e, op, err);
    nb__xml_end(&w);
    nb__xml_end(&w);
    nb__xml_element(&w, "RequestID", ctx->request_id);
    int rc = nb__xml_writer_finish(&w);
    finish_response(resp, ctx, err->status ? err->status : 400);
    return rc;
}

const nb__proto_impl_t nb__proto_ec2_impl = {parse, serialize, serialize_error};
