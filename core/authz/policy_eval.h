/*
 * One policy's verdict on a request, AWS's logic for identity and resource policies alike
 * (nimbus/authz.h): an explicit Deny wins, then an Allow, else the implicit deny;
 * Action/NotAction and Resource/NotResource with '*' and '?' wildcards and policy variables
 * (${aws:username}); Principal/NotPrincipal for resource policies (principal_match.c);
 * Condition operators String*, Arn*, Numeric*, Date*, Bool, IpAddress, Null, with ...IfExists
 * and ForAnyValue:/ForAllValues:. Depends on jansson only. IAM's simulation reaches it
 * through nb_api_t (ABI 1.9), the gateway's enforcement (gateway/authz.c) directly.
 */
#ifndef NB_AUTHZ_POLICY_EVAL_H
#define NB_AUTHZ_POLICY_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "nimbus/authz.h"

/* One policy's verdict on a request. Each matching statement's index is appended to
 * `matched` (may be NULL). `policy` is a parsed document. */
nb_policy_decision_t nb__policy_eval(const json_t *policy, const nb_policy_request_t *r, json_t *matched);

/* Whether match(value, ctx) holds for a string, or for one string of a list. */
bool nb__policy_any(const json_t *values, bool (*match)(const char *value, const void *ctx), const void *ctx);

/* Glob match of IAM: '*' any run, '?' one character; case-insensitive for actions. */
bool nb__policy_wildcard(const char *pattern, const char *text, bool nocase);

/* A condition key as the context is keyed: lower-cased into dst (key names are case-insensitive);
 * false if it does not fit (or key is NULL). */
bool nb__policy_key(char *dst, size_t size, const char *key);

/* Whether a policy reads the request's context: a Condition, or a policy variable in a
 * Resource / NotResource. A policy that does not is evaluated without one (building it costs
 * more than the evaluation). */
bool nb__policy_uses_context(const json_t *policy);

/* The condition keys a policy uses, added (lower-cased, once) to `keys`. */
void nb__policy_condition_keys(const json_t *policy, json_t *keys);

/* Whether a statement's Principal value ("*", {"AWS": ...}, {"Service": ...}, ...) names the
 * caller: an account id or arn:aws:iam::ACCOUNT:root names every principal of that account,
 * a role ARN the role and its sessions (arn:aws:sts::ACCOUNT:assumed-role/NAME/...), any other
 * ARN exactly itself. principal_account "" (not NULL): only the caller's own ARN (or its role's)
 * names it, neither an account nor "*". principal_match.c. */
bool nb__principal_match(const json_t *principal, const char *principal_arn, const char *principal_account);

#endif
