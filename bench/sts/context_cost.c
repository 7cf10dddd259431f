/* The CPU a request's attribution costs: nb__context_from_request (the Authorization header's
 * parse and the account's choice) timed over many calls for each kind of access key. Built by
 * bench/sts/context_cost.sh against a build's libnimbus_core.a; with -DNB_REGISTRY (builds with
 * the credential registry) one ASIA key is registered first, so `issued` is a registry hit and
 * 10,000 more keys fill the table. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/message.h"
#include "router/context.h"
#ifdef NB_REGISTRY
#include "gateway/credentials.h"
#include "plugin/plugin.h"
#include "store/store.h"
#endif

#define CALLS 1000000

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU, not wall: the machine is shared */
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double ns_per_call(const char *key) {
    nb__http_request_t req;
    memset(&req, 0, sizeof req);
    char auth[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=%s/20261207/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, "
             "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             key);
    nb__headers_set(&req.headers, "Host", "localhost:4566");
    nb__headers_set(&req.headers, "Content-Type", "application/x-www-form-urlencoded");
    nb__headers_set(&req.headers, "X-Amz-Date", "20261207T120000Z");
    nb__headers_set(&req.headers, "Authorization", auth);
    nb__req_context_t ctx;
    volatile char sink = 0;
    double best = 1e9;
    for (int round = 0; round < 9; round++) {
        double t0 = now();
        for (int i = 0; i < CALLS; i++) {
            nb__context_from_request(&req, &ctx);
            sink ^= ctx.account[11];
        }
        double ns = (now() - t0) * 1e9 / CALLS;
        if (ns < best)
            best = ns;
    }
    (void)sink;
    nb__headers_free(&req.headers);
    printf("%-8s %-22s %6.1f ns/request (account %s)\n", key[0] == 't' ? "test" : key[0] == '1' ? "digits" : key[1] == 'K' ? "unknown" : "issued", key, best, ctx.account);
    return best;
}

int main(void) {
    const char *issued = "ASIAQAAAAAAABENCHKEY";
#ifdef NB_REGISTRY
    nb__store_config_t sc = {0};
    nb__store_t *st = NULL;
    char *err = NULL;
    if (nb__store_open("bench", &sc, &st, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    nb_plugin_t p = {.store = st};
    for (int i = 0; i <= 10000; i++) {
        char key[32];
        snprintf(key, sizeof key, "ASIAQAAAAAAA%08d", i);
        nb_credentials_t c = {.access_key_id = i == 10000 ? issued : key, .secret_access_key = "s",
                              .account = "111111111111", .principal_arn = "arn:aws:sts::111111111111:assumed-role/R/s",
                              .user_id = "AROAX:s"};
        if (nb__credentials_put(&p, &c) != 0) {
            fprintf(stderr, "put failed\n");
            return 1;
        }
    }
#endif
    ns_per_call("test");
    ns_per_call("111111111111");
    ns_per_call("AKIAIOSFODNN7EXAMPLE");
    ns_per_call(issued);
    return 0;
}
