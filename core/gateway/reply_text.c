/*
 * A reply given as JSON text (nb_reply_json_text, ABI 1.11). A plugin that keeps what it answers
 * as text, or can write it straight from its own storage (DynamoDB's items), skips the value tree
 * that nb_reply_new needs: building it, the shape-driven serializer walking it, freeing it. That
 * is most of a small read's cost. The awsJson protocols send the text as the body (request.c);
 * whoever needs a value instead (an in-process call, any other protocol) gets the text parsed
 * against the output shape, the value nb_reply_new would have been given.
 */
#include "gateway/reply_text.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/request.h"
#include "proto/jsonval.h"

static void text_clear(nb_req_t *req) {
    free(req->out_text);
    req->out_text = NULL;
    req->out_text_len = 0;
}

static nb_result_t reply_value(nb_req_t *req, const char *text, size_t len) {
    json_t *v = NULL;
    char *why = NULL;
    int rc = nb__jsonval_parse(req->route.spec, NULL, req->route.op ? req->route.op->output : NULL, text, len, false,
                               &v, &why);
    if (rc != 0 || !json_is_object(v)) {
        json_decref(v);
        nb__req_set_error(req, "InternalFailure", 500, NULL, "the reply is not a JSON object (%s)",
                          why ? why : "not an object");
        free(why);
        return NB_DONE;
    }
    json_decref(req->output);
    req->output = v;
    req->replied = true;
    return NB_DONE;
}

nb_result_t nb__reply_json_text(nb_req_t *req, const char *text, size_t len) {
    text_clear(req);
    nb__protocol_t proto = req->route.protocol ? req->route.protocol : NB_PROTO_JSON;
    if (req->call != NULL || proto != NB_PROTO_JSON || len == 0 || text[0] != '{')
        return reply_value(req, text, len);
    char *copy = malloc(len);
    if (copy == NULL) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "out of memory");
        return NB_DONE;
    }
    memcpy(copy, text, len);
    json_decref(req->output); /* a reply set before this one is replaced, as nb_reply_new does */
    req->output = NULL;
    req->out_text = copy;
    req->out_text_len = len;
    req->replied = true;
    return NB_DONE;
}
