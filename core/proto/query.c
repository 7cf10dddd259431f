/*
 * awsQuery: form-encoded requests (Action, Version, Name.member.N, ...), XML
 * responses wrapped in <OpResponse><OpResult>, <ErrorResponse> errors.
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
    return nb__form_parse_request(spec, op, req, NB_FORM_QUERY, input, err);
}

static void finish_response(nb__http_response_t *resp, const nb__proto_ctx_t *ctx, int status) {
    resp->status = status;
    nb__headers_set(&resp->headers, "Content-Type", "text/xml");
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__xml_writer_t w;
    nb__xml_enc_t e = {spec, &w, NB_TIME_ISO8601, 0};
    if (stream)
        nb__body_free(stream);
    nb__xml_writer_init(&w, &resp->body);
    /* room for a common answer at once, not doubled up from 64 bytes by realloc */
    if (nb__buf_reserve(&resp->body, NB__PROTO_BODY_START) != 0)
        return NB_ENOMEM;
    nb__xml_start_op_response(&w, spec, op);
    if (op->output) {
        const json_t *oref = json_object_get(op->def, "output");
        const char *wrapper = json_string_value(json_object_get(oref, "resultWrapper"));
        if (wrapper == NULL)
            wrapper = json_string_value(json_object_get(op->output, "resultWrapper"));
        char name[512];
        if (wrapper == NULL) {
            snprintf(name, sizeof name, "%sResult", op->name);
            wrapper = name;
        }
        nb__xml_start(&w, wrapper);
        if (json_is_object(output))
            nb__xml_write_members(&e, op->output, output);
        nb__xml_end(&w);
    }
    nb__xml_start(&w, "ResponseMetadata");
    nb__xml_element(&w, "RequestId", ctx->request_id);
    nb__xml_end(&w);
    int rc = nb__xml_writer_finish(&w);
    finish_response(resp, ctx, 200);
    return rc;
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__xml_writer_t w;
    nb__xml_enc_t e = {spec, &w, NB_TIME_ISO8601, 0};
    nb__xml_writer_init(&w, &resp->body);
    nb__xml_start(&w, "ErrorResponse");
    const char *ns = nb__xml_service_namespace(spec);
    if (ns)
        nb__xml_attribute(&w, "xmlns", ns);
    nb__xml_start(&w, "Error");
    nb__xml_element(&w, "Type", err->sender ? "Sender" : "Receiver");
    nb__xml_element(&w, "Code", nb__xml_error_code(spec, op, err));
    nb__xml_write_error_fields(&e, op, err);
    nb__xml_end(&w);
    nb__xml_element(&w, "RequestId", ctx->request_id);
    int rc = nb__xml_writer_finish(&w);
    finish_response(resp, ctx, err->status ? err->status : 400);
    return rc;
}

const nb__proto_impl_t nb__proto_query_impl = {parse, serialize, serialize_error};
