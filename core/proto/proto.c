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

/* AWS's common errors, which any service may answer and no spec declares; a
 * service's own codes and statuses are error shapes in its spec or overlay.json. */
static const struct {
    const char *code;
    int status;
} common_errors[] = {
    {"AccessDeniedException", 400}, {"IncompleteSignature", 400},  {"InternalError", 500},
    {"InternalFailure", 500},       {"InvalidAction", 400},        {"InvalidClientTokenId", 403},
    {"InvalidParameterCombination", 400}, {"InvalidParameterValue", 400}, {"InvalidQueryParameter", 400},
    {"MalformedQueryString", 404},  {"MissingAction", 400},         {"MissingAuthenticationToken", 403}, {"MissingParameter", 400},
    {"NotAuthorized", 400},         {"NotImplemented", 501},       {"OptInRequired", 403},
    {"RequestEntityTooLarge", 413}, {"RequestExpired", 400},       {"ServiceUnavailable", 503},
    {"SignatureDoesNotMatch", 403}, {"ThrottlingException", 400},  {"UnrecognizedClientException", 400},
    {"ValidationError", 400},       {"ValidationException", 400},
};

static int common_error_status(const char *code) {
    for (size_t i = 0; i < sizeof common_errors / sizeof *common_errors; i++)
        if (strcmp(common_errors[i].code, code) == 0)
            return common_errors[i].status;
    return 400;
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
    const json_t *shape = nb__spec_error_shape(spec, op, code, NULL);
    err->status = status ? status : shape ? 400 : common_error_status(code);
    err->sender = err->status < 500;
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
