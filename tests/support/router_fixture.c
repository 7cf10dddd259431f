/* See router_fixture.h. */
#include "support/router_fixture.h"

#include <criterion/criterion.h>

nb__spec_set_t router_specs;
nb__router_t *router;

void router_fx_setup(void) {
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_dir(&router_specs, NB_SOURCE_DIR "/specs", &err), 0, "%s", err ? err : "");
    router = nb__router_new(&router_specs);
    cr_assert_not_null(router);
}

void router_fx_teardown(void) {
    nb__router_free(router);
    nb__spec_set_free(&router_specs);
}
