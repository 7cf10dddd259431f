/*
 * rest-xml (S3, CloudFront, Route 53): the REST binding of rest.c with XML
 * bodies. A service may speak the dialect older than the model (S3: the quirk
 * table in quirks.c says which): response root elements the model does not carry,
 * errors as a bare <Error> with RequestId/HostId, x-amz-request-id and x-amz-id-2
 * headers, body timestamps with milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/proto_impl.h"
#include "proto/quirks.h"
#include "proto/rest.h"
#include "proto/shape.h"
#include "proto/xml.h"
#include "proto/xml_shape.h"

#define MALFORMED_XML_MESSAGE                                                                                  \
    "The XML you provided was not well-formed or did not validate against our published schema"

static const char *ns_uri(const json_t *ns) {
    return json_is_string(ns) ? json_string_value(ns) : json_string_value(json_object_get(ns, "uri"));
}

/* xmlNamespace for a root element: the reference's, the shape's, else the service's. */
static void write_root_namespace(nb__xml_writer_t *w, const nb__spec_t *spec, const json_t *ref, const json_t *shape) {
    const json_t *ns = json_object_get(ref, "xmlNamespace");
    if (ns == NULL)
        ns = json_object_get(shape, "xmlNamespace");
    const char *uri = ns ? ns_uri(ns) : NULL;
    const char *prefix = ns ? json_string_value(json_object_get(ns, "prefix")) : NULL;
    if (uri == NULL) {
        uri = nb__xml_service_namespace(spec);
        if (uri == NULL)
            uri = nb__proto_quirks(spec)->xml_namespace;
    }
    nb__xml_namespace_attribute(w, uri, prefix);
}

/* ---- codec for rest.c ---- */

/* Whether an element may be the root of this payload: the member's locationName, the
 * shape's, or the shape's name (SDKs write one of them; the protocol vectors use all three). */
static bool payload_root_named(const json_t *ref, const json_t *shape, const char *name) {
    const char *names[] = {json_string_value(json_object_get(ref, "locationName")),
                           json_string_value(json_object_get(shape, "locationName")),
                           json_string_value(json_object_get(ref, "shape"))};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return true;
    return false;
}

static int codec_parse(void *ud, const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *ref,
                       const json_t *shape, const char *body, size_t len, json_t **out, nb__aws_error_t *err) {
    (void)ud;
    *out = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len)
        return 0; /* an empty body binds nothing */
    const char *why = NULL;
    nb__xml_node_t *root = nb__xml_parse(body, len, &why);
    if (root == NULL) {
        nb__aws_error_set(err, spec, op, "MalformedXML", 400, MALFORMED_XML_MESSAGE);
        return NB_EPROTO;
    }
    /* A payload must come under its own root: S3 answers MalformedXML to <Remove>...</Remove>
     * for DeleteObjects, where reading the members anyway would delete what was not asked. */
    if (ref && !payload_root_named(ref, shape, root->local)) {
        nb__xml_free(root);
        nb__aws_error_set(err, spec, op, "MalformedXML", 400, MALFORMED_XML_MESSAGE);
        return NB_EPROTO;
    }
    int rc = ref ? nb__xml_read_value(spec, ref, shape, root, out, &why)
                 : nb__xml_read_structure(spec, shape, root, out, &why);
    nb__xml_free(root);
    if (rc == NB_EINVAL) {
        nb__aws_error_set(err, spec, op, "MalformedXML", 400, MALFORMED_XML_MESSAGE);
        return NB_EPROTO;
    }
    if (rc < 0)
        nb__aws_error_set(err, spec, op, "InternalError", 500, "We encountered an internal error. Please try again.");
    return rc;
}

static int codec_serialize(void *ud, const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *ref,
                           const json_t *shape, const json_t *value, nb__buf_t *out) {
    (void)ud;
    const nb__proto_quirks_t *q = nb__proto_quirks(spec);
    nb__xml_writer_t w;
    nb__xml_enc_t e = {spec, &w, q->xml_timestamp_ms ? NB_TIME_ISO8601_MS : NB_TIME_ISO8601, 0};
    nb__xml_writer_init(&w, out);
    nb__xml_decl(&w);
    const char *root = NULL;
    if (ref) {
        /* a payload member: its locationName, the shape's, else (as a quirk) the member's
         * own name, else the shape's name */
        root = json_string_value(json_object_get(ref, "locationName"));
        if (root == NULL)
            root = json_string_value(json_object_get(shape, "locationName"));
        if (root == NULL && q->xml_payload_root_member_name) {
            nb__member_t pm;
            if (op->output && nb__shape_payload(spec, op->output, &pm) && pm.ref == ref)
                root = pm.name;
        }
        if (root == NULL)
            root = json_string_value(json_object_get(ref, "shape"));
    } else {
        root = json_string_value(json_object_get(shape, "locationName"));
        if (root == NULL)
            root = nb__proto_xml_root_name(q, op->name);
        if (root == NULL)
            root = op->output_name ? op->output_name : op->name;
    }
    nb__xml_start(&w, root ? root : "Response");
    write_root_namespace(&w, spec, ref, shape);
    if (ref == NULL && q->xml_text_root_op && strcmp(op->name, q->xml_text_root_op) == 0) {
        /* a response whose root element is the member itself */
        const json_t *v = json_object_get(value, q->xml_text_root_member);
        if (json_is_string(v))
            nb__xml_text(&w, json_string_value(v), json_string_length(v));
    } else if (nb__shape_kind(shape) == NB_SHAPE_STRUCTURE) {
        nb__xml_write_members(&e, shape, value);
    }
    return nb__xml_writer_finish(&w);
}

static const nb__rest_codec_t codec = {
    codec_parse, codec_serialize, "application/xml", "InvalidArgument", NULL,
};

/* ---- protocol ---- */

static void set_request_id(const nb__spec_t *spec, const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__headers_set(&resp->headers, nb__request_id_header(spec), ctx->request_id);
    const char *host_id = nb__proto_quirks(spec)->host_id_header;
    if (host_id)
        nb__headers_set(&resp->headers, host_id, ctx->request_id);
}

static int parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err) {
    return nb__rest_parse(spec, op, req, &codec, input, err);
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    int rc = nb__rest_serialize(spec, op, output, stream, &codec, resp);
    set_request_id(spec, ctx, resp);
    if (ctx->head)
        resp->no_body = true;
    return rc;
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__xml_writer_t w;
    const nb__proto_quirks_t *q = nb__proto_quirks(spec);
    nb__xml_enc_t e = {spec, &w, q->xml_timestamp_ms ? NB_TIME_ISO8601_MS : NB_TIME_ISO8601, 0};
    const char *code = nb__xml_error_code(spec, op, err);
    resp->status = err->status ? err->status : 400;
    const json_t *shape = nb__xml_error_shape(spec, op, err->code);
    if (shape && err->fields)
        nb__rest_serialize_headers(spec, shape, err->fields, resp);
    resp->status = err->status ? err->status : 400; /* a statusCode member does not override the error's */
    nb__xml_writer_init(&w, &resp->body);
    nb__xml_decl(&w);
    if (q->xml_bare_error) {
        nb__xml_start(&w, "Error");
        nb__xml_element(&w, "Code", code);
        nb__xml_write_error_fields(&e, op, err);
        nb__xml_element(&w, "RequestId", ctx->request_id);
        nb__xml_element(&w, "HostId", ctx->request_id);
    } else {
        nb__xml_start(&w, "ErrorResponse");
        nb__xml_start(&w, "Error");
        nb__xml_element(&w, "Type", err->sender ? "Sender" : "Receiver");
        nb__xml_element(&w, "Code", code);
        nb__xml_write_error_fields(&e, op, err);
        nb__xml_end(&w);
        nb__xml_element(&w, "RequestId", ctx->request_id);
    }
    int rc = nb__xml_writer_finish(&w);
    nb__headers_set(&resp->headers, "Content-Type", "application/xml");
    set_request_id(spec, ctx, resp);
    if (ctx->head)
        resp->no_body = true; /* a failed HEAD is answered with the status alone */
    return rc;
}

const nb__proto_impl_t nb__proto_restxml_impl = {parse, serialize, serialize_error};
