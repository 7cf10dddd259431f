/* STS 2011-06-15: temporary credentials issued into the credential registry (nimbus/credentials.h),
 * so a request signed with them acts in their account as their principal. */
#ifndef STS_PLUGIN_H
#define STS_PLUGIN_H

#include <nimbus/plugin.h>

#define STS_ACCOUNT_SIZE 16

/* Handlers. */
nb_result_t sts_get_caller_identity(nb_req_t *req, const json_t *input);
nb_result_t sts_get_access_key_info(nb_req_t *req, const json_t *input);
nb_result_t sts_assume_role(nb_req_t *req, const json_t *input);
nb_result_t sts_assume_role_with_web_identity(nb_req_t *req, const json_t *input);
nb_result_t sts_assume_role_with_saml(nb_req_t *req, const json_t *input);
nb_result_t sts_assume_root(nb_req_t *req, const json_t *input);
nb_result_t sts_get_session_token(nb_req_t *req, const json_t *input);
nb_result_t sts_get_federation_token(nb_req_t *req, const json_t *input);
nb_result_t sts_decode_authorization_message(nb_req_t *req, const json_t *input);

/* sts_keys.c: what a session is issued as. */
typedef struct sts_session {
    const char *account;       /* 12 digits */
    const char *principal_arn; /* who its requests are */
    const char *user_id;
    json_int_t duration;       /* seconds */
} sts_session_t;

/* Registers fresh ASIA credentials for s and sets *credentials to the Credentials shape (NULL
 * when the step stops the request with a failure). */
nb_step_t sts_issue(nb_req_t *req, const sts_session_t *s, json_t **credentials);
/* The session policy of the credentials in reply (AssumeRole's Policy; NULL: none) kept with
 * the key for ENFORCE_IAM=1 to intersect with the role's policies (sts_authz.c). */
nb_step_t sts_session_policy(nb_req_t *req, const json_t *reply, const char *policy);
/* AssumeRole's session policies as one document: its Policy, with the statements of its PolicyArns'
 * managed policies when it names some (sts_authz.c); NULL: none. */
const char *sts_session_policy_text(nb_req_t *req, const json_t *input);
/* sts_federated.c, ENFORCE_IAM=1 for AssumeRoleWithWebIdentity/SAML: the Federated principal of a
 * token's issuer (a well-known provider's name, else the OIDC provider's ARN in the role's account;
 * NULL: none), one condition key into context (lower-cased "<provider's key prefix>:name", or name
 * alone when provider is NULL), and the role's trust policy's verdict: go on, or STS's AccessDenied. */
const char *sts_web_identity_provider(nb_req_t *req, const char *role_account, const char *issuer);
void sts_federated_key(nb_req_t *req, json_t *context, const char *provider, const char *name, const char *value);
nb_step_t sts_federated_check(nb_req_t *req, const char *role_arn, const char *action, const char *provider,
                              const json_t *context);
/* The resource_policy hook: AssumeRole's role's trust policy, which must admit the caller. */
int sts_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *input, nb_resource_policy_t *out);
/* ENFORCE_IAM=1's action table (sts_authz.c). */
extern const nb_authz_action_t sts_actions[];
/* The account AWS encodes in an AKIA/ASIA key id (20 characters): 0, or NB_EINVAL. */
int sts_key_account(const char *access_key_id, char account[STS_ACCOUNT_SIZE]);
/* A stable id of 17 characters for name (a role ARN): the AROA... part of AssumedRoleId. */
void sts_stable_id(const char *name, char out[18]);

/* sts_check.c: AWS's checks of the members the spec's constraints leave to the service. */
/* `[\w+=,.@-]*` for member (its lowerCamelCase name in messages) */
nb_step_t sts_check_name(nb_req_t *req, const char *member, const char *value);
/* A role ARN: "Request ARN is invalid" unless arn:PARTITION:iam::ACCOUNT:role/NAME; *name and
 * account filled (name points into buf). */
nb_step_t sts_parse_role_arn(nb_req_t *req, const char *arn, const char *what, char *buf, size_t cap,
                             const char **name, char account[STS_ACCOUNT_SIZE]);
/* Session policy (JSON) and tags; *packed: PackedPolicySize's percentage (-1: neither given). */
nb_step_t sts_check_policy_and_tags(nb_req_t *req, const json_t *input, json_int_t *packed);
/* The caller holds temporary credentials (an assumed role, a federated user). */
int sts_caller_is_session(nb_req_t *req);

/* sts_assume.c: the reply shared by the AssumeRole family. */
nb_step_t sts_assumed_role(nb_req_t *req, const char *role_arn, const char *session, json_int_t duration,
                           json_t *reply);

#endif
