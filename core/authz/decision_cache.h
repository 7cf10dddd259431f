/*
 * The requests ENFORCE_IAM=1 allowed, remembered so the same request signed by the same key is
 * allowed again without evaluating its policies (gateway/authz.c): the key names everything the
 * decision was made of (the key and its principal, its session policy, the action, the resource,
 * the resource policy and its owner), and only decisions no condition or policy variable took
 * part in are kept, so the request's context (time, address, headers) cannot change them. Dropped
 * when the policies may have changed (nb_authz_changed, a plugin's state reset) and when the
 * parsed resource policies the keys point to are dropped (policy_cache.c). Loop thread only.
 */
#ifndef NB_AUTHZ_DECISION_CACHE_H
#define NB_AUTHZ_DECISION_CACHE_H

#include <stdbool.h>

/* Whether the decision named key was an allow kept since the last clear. */
bool nb__decision_allowed(const char *key);
/* Remembers that the decision named key allowed (not kept when out of memory: asked again). */
void nb__decision_keep_allowed(const char *key);
/* Forgets every decision. */
void nb__decision_cache_clear(void);

#endif
