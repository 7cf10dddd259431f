/* Allowed decisions (decision_cache.h): one jansson object whose keys are the decisions' names. */
#include "authz/decision_cache.h"

#include <jansson.h>

static json_t *allowed;

/* A decision per principal, action and resource in use: past this many the cache starts over
 * rather than grow without bound. */
#define MAX_DECISIONS 8192

bool nb__decision_allowed(const char *key) { return allowed && json_object_get(allowed, key) != NULL; }

void nb__decision_keep_allowed(const char *key) {
    if (allowed == NULL || json_object_size(allowed) >= MAX_DECISIONS) {
        json_decref(allowed);
        allowed = json_object();
    }
    if (allowed)
        json_object_set_new(allowed, key, json_true());
}

void nb__decision_cache_clear(void) {
    if (allowed)
        json_object_clear(allowed);
}
