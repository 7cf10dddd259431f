/* KMS under ENFORCE_IAM=1 (kms_authz.c): the action table and the key policy as resource policy. */
#ifndef KMS_AUTHZ_H
#define KMS_AUTHZ_H

#include <nimbus/plugin.h>

extern const nb_authz_action_t kms_actions[];
/* The key policy of the key the input names (KeyId, an alias, a ciphertext's key), required. */
int kms_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);
/* ReEncrypt's second action: kms:ReEncryptTo on the key DestinationKeyId names (the gateway checked
 * kms:ReEncryptFrom on the source key): NB_GO_ON when the caller may, else a stop answering
 * AccessDeniedException. */
nb_step_t kms_authz_reencrypt_to(nb_req_t *req, const json_t *input);

#endif
