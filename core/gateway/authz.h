/* ENFORCE_IAM=1, the policy half (authz.c): whether the IAM policies let a request signed by a
 * registered key (credentials.h) run its operation, decided after it was parsed and validated,
 * before its handler. */
#ifndef NB_GATEWAY_AUTHZ_H
#define NB_GATEWAY_AUTHZ_H

#include <stdbool.h>

#include "nimbus/plugin.h"

struct nb__gateway;

/* true to run the handler; false when req was denied (AccessDenied set, as p's service words it). */
bool nb__authz_allows(nb_req_t *req, nb_plugin_t *p, const json_t *input);

/* nb_api_t's (ABI 1.9). */
int nb__api_policy_eval(const json_t *policy, const nb_policy_request_t *r, json_t *matched);
int nb__api_policy_key(char *dst, size_t size, const char *key);
void nb__api_authz_changed(void);
const char *nb__api_authz_document(nb_req_t *req, const char *arn); /* authz_document.c */
/* nb_api_t's (ABI 1.10). */
int nb__api_authz_check(nb_req_t *req, const char *action, const char *resource, const json_t *input);

/* The plugin that answers identity policies (IAM), started if it was not yet; NULL when none is
 * enabled. */
nb_plugin_t *nb__authz_identity_provider(struct nb__gateway *gw);

#endif
