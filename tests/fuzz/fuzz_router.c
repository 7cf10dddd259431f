/* libFuzzer target: service and operation detection (router/router.c, rest_match.c, quirks.c)
 * on a raw HTTP request, with every shipped spec under specs/ (and a few of the catalogue's) loaded once. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (nb__spec_set_load_dir(&specs, NB_FUZZ_SPEC_DIR, &err) != 0) {
        fprintf(stderr, "fuzz: specs: %s\n", err ? err : "out of memory");
        abort();
    }
    /* The shipped specs and a catalogue service per protocol, read now: an input naming another
     * catalogue service would read its spec mid-run, which libFuzzer would count as growth. */
    static const char *const catalogue[] = {"ec2", "iam", "ecs", "cloudwatch", "apigateway", "route53"};
    size_t kept = 0;
    for (size_t i = 0; i < specs.len; i++) {
        bool keep = !specs.items[i]->catalog;
        for (size_t k = 0; k < sizeof catalogue / sizeof *catalogue && !keep; k++)
            keep = strcmp(specs.items[i]->service, catalogue[k]) == 0;
        if (keep)
            specs.items[kept++] = specs.items[i];
        else
            nb__spec_free(specs.items[i]);
    }
    specs.len = kept;
    for (size_t i = 0; i < specs.len; i++)
        if (nb__spec_load_shapes(specs.items[i], &err) != 0) {
            fprintf(stderr, "fuzz: specs: %s\n", err ? err : "out of memory");
            abort();
        }
    if ((router = nb__router_new(&specs)) == NULL) {
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
