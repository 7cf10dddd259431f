/* Routing without reading a spec (nb__router_route_unread): a stub the route needs is named, not
 * read, and the same request routes once it is read, as the gateway does off the loop. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "nimbus/errno.h"
#include "router/raw_request.h"
#include "router/router.h"
#include "spec/spec.h"

static const char *const SQS_JSON = "POST / HTTP/1.1\r\nHost: localhost:4566\r\n"
                                    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/sqs/aws4_request, "
                                    "SignedHeaders=host, Signature=00\r\n"
                                    "X-Amz-Target: AmazonSQS.ListQueues\r\n"
                                    "Content-Type: application/x-amz-json-1.0\r\n\r\n{}";

Test(router_unread, names_the_stub_then_routes_once_it_is_read) {
    nb__spec_set_t set = {0};
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_index(&set, NB_SOURCE_DIR "/specs", &err), 1, "%s", err ? err : "");
    nb__router_t *r = nb__router_new(&set);
    cr_assert_not_null(r);
    nb__spec_t *sqs = (nb__spec_t *)nb__spec_set_find(&set, "sqs");
    cr_assert(sqs && sqs->stub);
    nb__http_request_t req;
    cr_assert_eq(nb_test_request(SQS_JSON, &req), 0);

    nb__route_t route;
    const nb__spec_t *unread = NULL;
    cr_assert_eq(nb__router_route_unread(r, &req, &route, &unread), NB_EAGAIN);
    cr_assert_eq(unread, sqs);
    cr_assert_eq(route.spec, sqs);
    cr_assert_null(route.op);
    cr_assert_str_eq(nb__protocol_name(route.protocol), "json");
    cr_assert(sqs->stub, "routing read the spec");

    /* what the thread pool does, then the loop */
    nb__spec_t *fresh = nb__spec_read(sqs, &err);
    cr_assert_not_null(fresh, "%s", err ? err : "");
    cr_assert(sqs->stub, "reading touched the stub");
    nb__spec_adopt(sqs, fresh);
    cr_assert(!sqs->stub && !nb__spec_unread(sqs));

    cr_assert_eq(nb__router_route_unread(r, &req, &route, &unread), 0);
    cr_assert_null(unread);
    cr_assert_str_eq(route.op->name, "ListQueues");
    cr_assert_not_null(nb__spec_error_shape(sqs, NULL, "AWS.SimpleQueueService.NonExistentQueue", NULL),
                       "the read spec's error index, with the query codes of its overlay");

    nb__http_request_free(&req);
    nb__router_free(r);
    nb__spec_set_free(&set);
}
