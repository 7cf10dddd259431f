/*
 * awsJson 1.0 and 1.1: the whole input or output is one JSON object in the
 * body; the operation travels in X-Amz-Target (the router's concern). Errors
 * carry __type and message, plus X-Amzn-ErrorType; query-compatible services
 * also tell their awsQuery code in x-amzn-query-error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/eventstream.h"
#include "proto/jsonval.h"
#include "proto/proto_impl.h"
#include "proto/quirks.h"
#include "proto/shape.h"

#define JSON_MAX_BODY (64u * 1024 * 1024)

static const char *content_type(const nb__spec_t *spec) {
    return spec && spec->json_version && strcmp(spec->json_version, "1.1") == 0 ? "application/x-amz-json-1.1"
                                                                                 : "application/x-amz-json-1.0";
}

static int parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err) {
    *input = NULL;
    int64_t size = nb__body_size(req->body);
    const char *data = size > 0 ? nb__body_data(req->body, JSON_MAX_BODY) : "";
    if (data == NULL) {
        nb__aws_error_set(err, spec, op, "RequestEntityTooLarge", 413, "Request body is too large");
        return NB_ELIMIT;
    }
    char *why = NULL;
    json_t *v = NULL;
    int rc = nb__jsonval_parse(spec, NULL, op->input, data, size > 0 ? (size_t)size : 0, false, &v, &why);
    if (rc == 0 && op->input == NULL) {
        json_decref(v);
        v = json_object();
    }
    if (rc == 0 && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
        rc = NB_EPROTO;
        why = strdup("Expected a JSON object");
    }
    if (rc) {
        nb__aws_error_set(err, spec, op, "SerializationException", 400, "%s", why ? why : "Malformed JSON");
        free(why);
        return NB_EPROTO;
    }
    *input = v;
    return 0;
}

/* Some services' clients check the body's CRC32 (zlib) against this header (quirks.c). */
static void add_crc32(const nb__spec_t *spec, nb__http_response_t *resp) {
    if (!nb__proto_quirks(spec)->json_crc32)
        return;
    uLong crc = crc32(0L, Z_NULL, 0);
    if (resp->body.len)
        crc = crc32(crc, (const Bytef *)resp->body.data, (uInt)resp->body.len);
    char buf[16];
    snprintf(buf, sizeof buf, "%lu", (unsigned long)crc);
    nb__headers_set(&resp->headers, "x-amz-crc32", buf);
}

static int es_struct(void *ud, const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *value,
                     nb__buf_t *out) {
    (void)ud;
    return nb__jsonval_dump(spec, ref, shape, value, false, out);
}

/* An output with an eventstream member: an initial-response event holding the
 * other members, then one message per event. */
static int serialize_event_stream(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__member_t *es,
                                  const json_t *output, nb__http_response_t *resp) {
    nb__headers_set(&resp->headers, "Content-Type", NB_EVENTSTREAM_CONTENT_TYPE);
    json_t *rest = json_is_object(output) ? json_deep_copy(output) : json_object();
    json_object_del(rest, es->name);
    nb__buf_t initial = NB__BUF_INIT;
    int rc = nb__jsonval_dump(spec, NULL, op->output, rest, false, &initial);
    json_decref(rest);
    if (rc == 0)
        rc = nb__es_initial_response(&resp->body, content_type(spec), initial.data, initial.len);
    nb__buf_free(&initial);
    const json_t *events = json_object_get(output, es->name);
    if (rc == 0 && json_is_array(events))
        rc = nb__es_serialize_events(spec, es->shape, events, es_struct, NULL, "application/json", &resp->body);
    return rc;
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    if (stream)
        nb__body_free(stream);
    resp->status = 200;
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
    nb__member_t es;
    if (op && op->output && nb__es_member(spec, op->output, &es))
        return serialize_event_stream(spec, op, &es, output, resp);
    nb__headers_set(&resp->headers, "Content-Type", content_type(spec));
    /* room for a common answer at once, not doubled up from 64 bytes by realloc */
    if (nb__buf_reserve(&resp->body, NB__PROTO_BODY_START) != 0)
        return NB_ENOMEM;
    json_t *empty = output ? NULL : json_object();
    int rc = nb__jsonval_dump(spec, NULL, op ? op->output : NULL, output ? output : empty, false, &resp->body);
    json_decref(empty);
    if (rc)
        return rc;
    add_crc32(spec, resp);
    return 0;
}

int nb__proto_json_text(const nb__spec_t *spec, const char *text, size_t len, nb_body_t *stream,
                        const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    if (stream)
        nb__body_free(stream);
    resp->status = 200;
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
    nb__headers_set(&resp->headers, "Content-Type", content_type(spec));
    if (nb__buf_append(&resp->body, text, len) != 0)
        return NB_ENOMEM;
    add_crc32(spec, resp);
    return 0;
}

/* Errors name their bare shape name, or with the Smithy namespace some services answer with
 * (quirks.c); clients keep what follows the '#'. */
static const char *error_namespace(const nb__spec_t *spec) {
    const char *ns = nb__proto_quirks(spec)->json_error_namespace;
    return ns ? ns : "";
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    (void)op;
    nb__json_error_t je;
    nb__json_error_describe(spec, err, &je);
    char type[256];
    snprintf(type, sizeof type, "%s%s", error_namespace(spec), je.type);
    resp->status = err->status ? err->status : 400;
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
    nb__headers_set(&resp->headers, "Content-Type", content_type(spec));
    nb__headers_set(&resp->headers, "X-Amzn-ErrorType", type);
    /* awsQueryCompatible: every error tells its query code, the shape's awsQueryError
     * code or else the code itself, as the query protocol would answer it */
    if (spec && spec->query_compatible) {
        char *h = NULL;
        if (asprintf(&h, "%s;%s", je.query_code ? je.query_code : je.type, err->sender ? "Sender" : "Receiver") >= 0)
            nb__headers_set(&resp->headers, "x-amzn-query-error", h);
        free(h);
    }
    json_t *body = je.shape ? nb__jsonval_to_wire(spec, NULL, je.shape, err->fields, false) : json_object();
    int rc = nb__json_error_body(body, type, &je, err->message, &resp->body);
    if (rc == 0)
        add_crc32(spec, resp);
    return rc;
}

const nb__proto_impl_t nb__proto_json_impl = {parse, serialize, serialize_error};
