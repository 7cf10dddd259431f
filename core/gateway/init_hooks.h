/*
 * Init hooks as LocalStack runs them: the `.sh` and `.py` files under <root>/boot.d, start.d,
 * ready.d and shutdown.d of every NIMBUS_INIT_PATH root (/etc/localstack/init, then
 * /etc/nimbus/init), run one after the other in name order at each stage, as child processes
 * on the event loop (the server serves meanwhile), with AWS_ENDPOINT_URL and test credentials
 * set so that `aws` calls in them reach this server. A failing script is reported, not fatal.
 * Their states are answered at /_localstack/init (internal.c).
 */
#ifndef NB_GATEWAY_INIT_HOOKS_H
#define NB_GATEWAY_INIT_HOOKS_H

#include <jansson.h>
#include <stdint.h>

#include "gateway/gateway.h"

typedef enum nb__init_stage {
    NB_INIT_BOOT,
    NB_INIT_START,
    NB_INIT_READY,
    NB_INIT_SHUTDOWN,
    NB_INIT_STAGES,
} nb__init_stage_t;

/* Finds every stage's scripts (once the server listens: their environment names its port). 0 or NB_ENOMEM. */
int nb__init_hooks_load(nb__gateway_t *gw);
/* Runs a stage's scripts in order, then done(data); at once (before returning) when the stage has
 * none. timeout_ms > 0 bounds the whole stage: the script still running then is killed and the
 * rest are not run. A stage still running when another starts is stopped first (its script killed). */
void nb__init_hooks_run(nb__init_stage_t stage, uint64_t timeout_ms, void (*done)(void *data), void *data);
/* The stages of start-up: BOOT, START, then READY, then done(data) (at once when none has scripts). */
void nb__init_hooks_startup(void (*done)(void *data), void *data);
/* LocalStack's /_localstack/init document: {"completed": {"BOOT": true, ...}, "scripts": [...]};
 * for one stage (name as "ready", any case) {"completed": b, "scripts": [...]}; NULL: no such stage. */
json_t *nb__init_hooks_json(const char *stage_name);
/* Stops a script still running and frees everything. */
void nb__init_hooks_free(void);

#endif
