/* STS under ENFORCE_IAM=1 (nimbus/authz.h): the IAM action of each operation, and the session
 * policy an AssumeRole passes, kept with the credentials it issues. */
#include "sts_plugin.h"

const nb_authz_action_t sts_actions[] = {
    {"AssumeRole", "sts:AssumeRole", "{RoleArn}", NULL, NULL},
    /* the web identity and SAML calls are made without AWS credentials, and AWS never denies
     * a caller its own identity */
    {"AssumeRoleWithSAML", NULL, NULL, NULL, NULL},
    {"AssumeRoleWithWebIdentity", NULL, NULL, NULL, NULL},
    {"GetCallerIdentity", NULL, NULL, NULL, NULL},
    {"AssumeRoot", "sts:AssumeRoot", NULL, NULL, NULL},
    {"DecodeAuthorizationMessage", "sts:DecodeAuthorizationMessage", NULL, NULL, NULL},
    {"GetAccessKeyInfo", "sts:GetAccessKeyInfo", NULL, NULL, NULL},
    {"GetFederationToken", "sts:GetFederationToken", "arn:{partition}:sts::{account}:federated-user/{Name}", NULL,
     NULL},
    {"GetSessionToken", "sts:GetSessionToken", NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

nb_step_t sts_session_policy(nb_req_t *req, const json_t *reply, const char *policy) {
    const char *akid = nb_json_str(json_object_get(reply, "Credentials"), "AccessKeyId");
    if (policy == NULL || *policy == '\0' || akid == NULL)
        return NB_GO_ON;
    int rc = nb_credentials_session_policy(nb_req_plugin(req), akid, policy);
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}
