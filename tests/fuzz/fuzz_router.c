/* libFuzzer target: service and operation detection (router/router.c, rest_match.c, quirks.c)
 * on a raw HTTP request, with every shipped spec under specs/ loaded once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "router/raw_request.h"
#include "router/router.h"
#include "spec/spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nb__spec_set_t specs;
static nb__router_t *router;

static void fuzz_router_free(void) {
    nb__router_free(router);
    nb__spec_set_free(&specs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char *err = NULL;
    if (nb__spec_set_load_dir(&specs, NB_FUZZ_SPEC_DIR, &err) != 0 || (router = nb__router_new(&specs)) == NULL) {
        fprintf(stderr, "fuzz: specs: %s\n", err ? err : "out of memory");
        abort();
    }
    nb__router_add_hostname(router, "nimbus.example");
    atexit(fuzz_router_free); /* loaded once for the whole run: not a leak */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb__http_request_t req;
    if (nb_test_parse_request((const char *)data, size, &req) == 0) {
        nb__route_t route;
        if (nb__router_route(router, &req, &route) == 0) {
            char path[1024];
            (void)nb__router_match_path(router, &req, &route, path, sizeof path);
        }
        char svc[64];
        (void)nb__router_service_hint(&req, svc, sizeof svc);
    }
    nb__http_request_free(&req);
    return 0;
}
