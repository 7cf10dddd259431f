/* What the plugin harness tests (tests/unit/test_*_harness.c) share: a harness over the built
 * plugins and the harness specs, and a call that must succeed. */
#ifndef NB_TEST_HARNESS_FIXTURE_H
#define NB_TEST_HARNESS_FIXTURE_H

#include <criterion/criterion.h>

#include "nimbus/testing.h"

/* A harness with services (and the harness plugins in NB_HARNESS_PLUGIN_DIR); the test fails without it. */
static inline nb_test_t *harness_start(const char *services) {
    nb_test_options_t o = {
        .services = services,
        .plugin_path = NB_HARNESS_PLUGIN_DIR,
        .spec_path = NB_SOURCE_DIR "/specs:" NB_HARNESS_SPEC_DIR,
    };
    char *err = NULL;
    nb_test_t *started = nb_test_new_with(&o, &err);
    cr_assert_not_null(started, "%s", err ? err : "");
    return started;
}

/* service.op(input)'s output (the caller's reference); the test fails if the call does. */
static inline json_t *harness_call_ok(nb_test_t *h, const char *service, const char *op, const char *input) {
    json_t *out = NULL;
    nb_test_error_t err;
    int rc = nb_test_call(h, service, op, input, &out, &err);
    cr_assert_eq(rc, 0, "%s.%s: %d %s: %s", service, op, rc, err.code, err.message);
    return out;
}

#endif
