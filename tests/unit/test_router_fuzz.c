/* The router under random requests: every answer one the gateway can act on. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "nimbus/errno.h"
#include "router/raw_request.h"
#include "router/router.h"
#include "spec/spec.h"
#include "support/router_fixture.h"

TestSuite(router, .init = router_fx_setup, .fini = router_fx_teardown);

/* Random paths, queries, hosts and targets from characters that matter to the matchers: no
 * crash, and every answer is one the gateway can act on: a route names an operation of its spec
 * in a protocol the spec speaks, a miss names no operation, the same request routes the same way
 * twice, and the path matched on ends with the request's own. Both outcomes occur. */
Test(router, random_requests_are_handled) {
    static const char alphabet[] = "/%?&=.+-_:;{}aAbBs3qx0129 ";
    static const char *methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", ""};
    static const char *headers[] = {"Host", "X-Amz-Target", "Authorization", "Content-Type", "Smithy-Protocol"};
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int routed = 0;
    for (int i = 0; i < 3000; i++) {
        nb__http_request_t req;
        memset(&req, 0, sizeof req);
        char path[64], query[64], value[96];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t plen = 1 + x % 40, qlen = (x >> 8) % 30;
        path[0] = '/';
        for (size_t j = 1; j < plen; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            path[j] = alphabet[x % (sizeof alphabet - 1)];
        }
        path[plen] = '\0';
        for (size_t j = 0; j < qlen; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            query[j] = alphabet[x % (sizeof alphabet - 1)];
        }
        query[qlen] = '\0';
        req.method = strdup(methods[x % 8]);
        req.path = strdup(path);
        req.target = strdup(path);
        req.query = qlen ? strdup(query) : NULL;
        for (size_t h = 0; h < 5; h++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 3 == 0)
                continue;
            const char *prefixes[] = {"b.s3.localhost.localstack.cloud", "AmazonSQS.", "AWS4-HMAC-SHA256 Credential=",
                                      "application/x-www-form-urlencoded", "rpc-v2-cbor"};
            snprintf(value, sizeof value, "%s%s", (x >> 5) % 2 ? prefixes[h] : "", query);
            nb__headers_add(&req.headers, headers[h], value);
        }
        req.body = nb__body_from_mem(query, qlen);
        nb__route_t rt, again;
        int rc = nb__router_route(router, &req, &rt);
        cr_assert(rc == 0 || rc == NB_ENOENT, "request %d: rc %d", i, rc);
        if (rc == 0) {
            routed++;
            cr_assert_not_null(rt.spec);
            cr_assert_not_null(rt.op);
            cr_assert_eq(nb__spec_op(rt.spec, rt.op->name), rt.op);
            cr_assert(rt.spec->protocols & NB_PROTO_BIT(rt.protocol), "request %d: %s does not speak %s", i,
                      rt.spec->service, nb__protocol_name(rt.protocol));
            char buf[256];
            const char *mp = nb__router_match_path(router, &req, &rt, buf, sizeof buf);
            cr_assert_not_null(mp, "request %d: no path to match %s on", i, rt.op->name);
            size_t ml = strlen(mp), pl = strlen(req.path);
            cr_assert(ml >= pl && strcmp(mp + ml - pl, req.path) == 0, "request %d: matched %s for path %s", i, mp,
                      req.path);
        } else {
            cr_assert_null(rt.op, "request %d: a miss names no operation", i);
            if (rt.spec == NULL)
                cr_assert_eq(rt.protocol, NB_PROTO_NONE);
        }
        cr_assert_eq(nb__router_route(router, &req, &again), rc);
        cr_assert(again.spec == rt.spec && again.op == rt.op && again.protocol == rt.protocol,
                  "request %d routes the same way twice", i);
        char hint[256];
        const char *h = nb__router_service_hint(&req, hint, sizeof hint);
        cr_assert(h == NULL || *h != '\0', "request %d: an empty service hint", i);
        nb__http_request_free(&req);
    }
    cr_assert_gt(routed, 0, "no random request routed: the generator no longer reaches the matchers");
    cr_assert_lt(routed, 3000, "every random request routed: the generator no longer makes misses");
}
