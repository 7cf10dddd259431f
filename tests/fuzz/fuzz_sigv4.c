/* libFuzzer target: the SigV4 / SigV2 credential of a raw HTTP request (router/context.c): the
 * Authorization header's Credential scope, a presigned X-Amz-Credential or AWSAccessKeyId query
 * parameter, and the account and region taken from them. */
#include <stdint.h>
#include <string.h>

#include "router/context.h"
#include "router/raw_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb__http_request_t req;
    if (nb_test_parse_request((const char *)data, size, &req) == 0) {
        nb__credential_t cred;
        (void)nb__credential_parse(&req, &cred);
        nb__req_context_t ctx;
        nb__context_from_request(&req, &ctx);
        /* what the gateway prints and compares: always terminated within its field */
        if (memchr(ctx.account, 0, sizeof ctx.account) == NULL || memchr(ctx.region, 0, sizeof ctx.region) == NULL ||
            memchr(cred.service, 0, sizeof cred.service) == NULL)
            __builtin_trap();
    }
    nb__http_request_free(&req);
    return 0;
}
