/* The router over every spec in specs/, built for each test of the "router" suites. */
#ifndef NB_TEST_ROUTER_FIXTURE_H
#define NB_TEST_ROUTER_FIXTURE_H

#include "router/router.h"
#include "spec/spec.h"

extern nb__spec_set_t router_specs;
extern nb__router_t *router;

void router_fx_setup(void);
void router_fx_teardown(void);

#endif
