/* Content-Encoding of parsed request bodies (content_encoding.h). */
#include "gateway/content_encoding.h"

#include "gateway/limits.h"
#include "http/body.h"
#include "http/content_decode.h"
#include "nimbus/errno.h"

/* What AWS front ends answer a body that does not decode: the error each protocol family
 * answers an unreadable body with. */
static void set_corrupt(nb_req_t *req) {
    const char *code = "SerializationException";
    if (req->route.protocol == NB_PROTO_QUERY || req->route.protocol == NB_PROTO_EC2)
        code = "MalformedQueryString";
    else if (req->route.protocol == NB_PROTO_REST_XML)
        code = "InvalidRequest";
    nb__aws_error_set(&req->err, req->route.spec, req->route.op, code, 400,
                      "The request body could not be decoded as its Content-Encoding says.");
}

static void set_too_large(nb_req_t *req, uint64_t max) {
    nb__body_limit_t limit;
    nb__body_limit(req->gw->cfg, req->route.spec, req->route.op, max, &limit);
    const char *code;
    int status;
    char message[256];
    nb__body_limit_error(&limit, max, &code, &status, message, sizeof message);
    nb__aws_error_set(&req->err, req->route.spec, req->route.op, code, status, "%s", message);
}

static void set_internal(nb_req_t *req) {
    nb__aws_error_set(&req->err, req->route.spec, req->route.op, "InternalError", 500,
                      "We encountered an internal error. Please try again.");
}

int nb__decoded_view(nb_req_t *req, nb__http_request_t *view) {
    /* The limit the body was read under: what an uncompressed body of this operation may be. */
    uint64_t max = req->http->max_body;
    nb_body_t *decoded = NULL;
    int rc = nb__content_decode(req->http, max, &decoded);
    if (rc == 0 && decoded) { /* the header members see the Content-Encoding the body has left */
        view->body = decoded;
        rc = nb__content_decoded_headers(&req->http->headers, &view->headers);
        if (rc != 0) {
            nb__body_free(decoded);
            view->body = req->http->body;
            view->headers = req->http->headers;
        }
    }
    if (rc == 0)
        return 1;
    if (rc == NB_ELIMIT)
        set_too_large(req, max);
    else if (rc == NB_EPROTO)
        set_corrupt(req);
    else
        set_internal(req);
    return 0;
}

void nb__decoded_view_release(const nb_req_t *req, nb__http_request_t *view) {
    if (view->body != req->http->body) {
        nb__body_free(view->body);
        nb__headers_free(&view->headers);
    }
    view->body = req->http->body;
    view->headers = req->http->headers;
}
