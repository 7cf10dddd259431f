/* Secrets Manager under ENFORCE_IAM=1 (sm_authz.c): the action table, the secret's resource policy,
 * and BatchGetSecretValue's check of each secret. */
#ifndef SM_AUTHZ_H
#define SM_AUTHZ_H

#include "sm.h"

extern const nb_authz_action_t sm_actions[];
/* The resource policy (PutResourcePolicy's) and tags of the secret SecretId names. */
int sm_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);
/* Whether the caller may read secret_id's value (secretsmanager:GetSecretValue on its ARN): 0, or
 * NB_EINVAL with f an AccessDeniedException. */
int sm_authz_may_read(nb_req_t *req, const char *secret_id, sm_fault_t *f);

#endif
