/* A form request routed from its head before its body came (route.body_unread) is routed again
 * from what its head said (nb__router_t keeps it): the body's Action must still be read, and a
 * new request's head (nb__router_forget_head) must not be routed from an earlier one's. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "router/raw_request.h"
#include "router/router.h"
#include "spec/spec.h"

#define FORM_HEAD(svc)                                                                                         \
    "POST / HTTP/1.1\r\nHost: localhost:4566\r\n"                                                             \
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/" svc "/aws4_request, "               \
    "SignedHeaders=host, Signature=00\r\n"                                                                    \
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\r\n"

static nb__spec_set_t set;
static nb__router_t *router;

/* The specs routing needs, read as the gateway reads them off the loop. */
static void setup(void) {
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_index(&set, NB_SOURCE_DIR "/specs", &err), 1, "%s", err ? err : "");
    const char *const names[] = {"sqs", "sns"};
    for (size_t i = 0; i < 2; i++) {
        nb__spec_t *s = (nb__spec_t *)nb__spec_set_find(&set, names[i]);
        cr_assert_not_null(s);
        nb__spec_t *fresh = nb__spec_read(s, &err);
        cr_assert_not_null(fresh, "%s", err ? err : "");
        nb__spec_adopt(s, fresh);
    }
    router = nb__router_new(&set);
    cr_assert_not_null(router);
}

static void teardown(void) {
    nb__router_free(router);
    nb__spec_set_free(&set);
}

/* The request's head alone, as the HTTP server hands it over: its body still empty. */
static void head_of(const char *raw, nb__http_request_t *req) {
    cr_assert_eq(nb_test_request(raw, req), 0);
    nb__body_free(req->body);
    req->body = nb__body_from_mem("", 0);
}

static void body_comes(nb__http_request_t *req, const char *form) {
    nb__body_free(req->body);
    req->body = nb__body_from_mem(form, strlen(form));
}

TestSuite(router_head, .init = setup, .fini = teardown);

Test(router_head, the_body_action_is_read_after_a_head_route) {
    nb__http_request_t req;
    head_of(FORM_HEAD("sqs"), &req);
    nb__route_t route;
    const nb__spec_t *unread = NULL;
    cr_assert_eq(nb__router_route_unread(router, &req, &route, &unread), NB_ENOENT);
    cr_assert(route.body_unread);
    cr_assert_null(route.op);

    body_comes(&req, "Action=SendMessage&Version=2012-11-05&QueueUrl=q&MessageBody=m");
    cr_assert_eq(nb__router_route_unread(router, &req, &route, &unread), 0);
    cr_assert_str_eq(route.spec->service, "sqs");
    cr_assert_str_eq(route.op->name, "SendMessage");
    cr_assert_str_eq(nb__protocol_name(route.protocol), "query");
    nb__http_request_free(&req);
}

Test(router_head, a_new_head_is_not_routed_from_the_last_one) {
    nb__http_request_t req;
    head_of(FORM_HEAD("sqs"), &req);
    nb__route_t route;
    const nb__spec_t *unread = NULL;
    nb__router_route_unread(router, &req, &route, &unread);
    cr_assert(route.body_unread);

    /* the same memory holds another request now, signed for SNS: its head comes first */
    nb__router_forget_head(router);
    nb__headers_set(&req.headers, "Authorization",
                    "AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/sns/aws4_request, SignedHeaders=host, "
                    "Signature=00");
    body_comes(&req, "Action=Publish&Version=2010-03-31&TopicArn=t&Message=m");
    cr_assert_eq(nb__router_route_unread(router, &req, &route, &unread), 0);
    cr_assert_str_eq(route.spec->service, "sns");
    cr_assert_str_eq(route.op->name, "Publish");
    nb__http_request_free(&req);
}
