#include "proto/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/proto_impl.h"

static const nb__proto_impl_t *impl_of(nb__protocol_t p) {
    switch (p) {
    case NB_PROTO_QUERY: return &nb__proto_query_impl;
    case NB_PROTO_EC2: return &nb__proto_ec2_impl;
    case NB_PROTO_JSON: return &nb__proto_json_impl;
    case NB_PROTO_REST_JSON: return &nb__proto_restjson_impl;
    case NB_PROTO_REST_XML: return &nb__proto_restxml_impl;
    case NB_PROTO_CBOR: return &nb__proto_cbor_impl;
    default: return NULL;
    }
}

void nb__aws_error_clear(nb__aws_error_t *err) {
    free(err->code);
    free(err->message);
    json_decref(err->fields);
    memset(err, 0, sizeof *err);
}

void nb__aws_error_set(nb__aws_error_t *err, const nb__spec_t *spec, const nb__spec_op_t *op, const char *code,
                       int status, const char *fmt, ...) {
    json_t *fields = err->fields;
    err->fields = NULL;
    nb__aws_error_clear(err);
    err->fields = fields;
    err->code = strdup(code);
    err->status = status ? status : 400;
    err->sender = err->status < 500;
    const json_t *shape = nb__spec_error_shape(spec, op, code, NULL);
    const json_t *trait = json_object_get(shape, "error");
    if (trait) {
        json_int_t st = json_integer_value(json_object_get(trait, "httpStatusCode"));
        if (st && status == 0)
            err->status = (int)st;
        json_t *sf = json_object_get(trait, "senderFault");
        err->sender = sf ? json_is_true(sf) : err->status < 500;
    } else if (shape && status == 0) {
        const char *fault = json_string_value(json_object_get(shape, "fault"));
        if (fault && strcmp(fault, "server") == 0) {
            err->status = 500;
            err->sender = false;
        }
    }
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&err->message, fmt, ap) < 0)
            err->message = NULL;
        va_end(ap);
    }
}

int nb__proto_parse(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto,
                    const nb__http_request_t *req, json_t **input, nb__aws_error_t *err) {
    const nb__proto_impl_t *impl = impl_of(proto);
    *input = NULL;
    if (impl == NULL) {
        nb__aws_error_set(err, spec, op, "InternalFailure", 500, "unsupported protocol");
        return NB_EINVAL;
    }
    return impl->parse(spec, op, req, input, err);
}

int nb__proto_serialize(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto, const json_t *output,
                        nb_body_t *stream, const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    const nb__proto_impl_t *impl = impl_of(proto);
    if (impl == NULL)
        return NB_EINVAL;
    return impl->serialize(spec, op, output, stream, ctx, resp);
}

int nb__proto_serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto,
                              const nb__aws_error_t *err, const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    const nb__proto_impl_t *impl = impl_of(proto);
    if (impl == NULL)
        impl = &nb__proto_json_impl;
    return impl->serialize_error(spec, op, err, ctx, resp);
}
