#include "sts_plugin.h"

/* GetDelegatedAccessToken and GetWebIdentityToken (2025 additions) answer 501 until implemented. */
static const nb_op_t sts_ops[] = {
    {"AssumeRole", sts_assume_role, 0},
    {"AssumeRoleWithSAML", sts_assume_role_with_saml, 0},
    {"AssumeRoleWithWebIdentity", sts_assume_role_with_web_identity, 0},
    {"AssumeRoot", sts_assume_root, 0},
    {"DecodeAuthorizationMessage", sts_decode_authorization_message, 0},
    {"GetAccessKeyInfo", sts_get_access_key_info, 0},
    {"GetCallerIdentity", sts_get_caller_identity, 0},
    {"GetFederationToken", sts_get_federation_token, 0},
    {"GetSessionToken", sts_get_session_token, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "sts", .service = "sts", .api_version = "2011-06-15", .ops = sts_ops,
                 .authz_actions = sts_actions,
                 .resource_policy = sts_resource_policy);
