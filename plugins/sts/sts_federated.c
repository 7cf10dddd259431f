/* ENFORCE_IAM=1 for the federated assume calls. AssumeRoleWithWebIdentity and AssumeRoleWithSAML
 * are unsigned: no identity policy is evaluated, only the role's trust policy, which must allow
 * the identity provider as a "Federated" principal (an OIDC or SAML provider's ARN, or a
 * well-known provider's name such as "cognito-identity.amazonaws.com") for the call's action,
 * with the provider's condition keys ("<provider>:aud", ":sub", ..., "saml:aud", ...) read from
 * the token or assertion. A role that does not exist, or a trust policy that does not allow,
 * answers STS's AccessDenied. Without ENFORCE_IAM the calls are never refused (LocalStack's). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sts_plugin.h"

/* Providers AWS names by their host in a trust policy's Federated principal (no IAM provider
 * resource); any other issuer is an IAM OIDC provider, named by its ARN. */
static const char *const well_known[] = {"accounts.google.com", "cognito-identity.amazonaws.com", "www.amazon.com",
                                         "graph.facebook.com"};

const char *sts_web_identity_provider(nb_req_t *req, const char *role_account, const char *issuer) {
    if (issuer == NULL || *issuer == '\0')
        return NULL;
    if (strncmp(issuer, "https://", 8) == 0)
        issuer += 8;
    size_t n = strlen(issuer);
    while (n > 0 && issuer[n - 1] == '/')
        n--;
    for (size_t i = 0; i < sizeof well_known / sizeof *well_known; i++)
        if (strlen(well_known[i]) == n && strncmp(issuer, well_known[i], n) == 0)
            return well_known[i];
    return nb_req_printf(req, "arn:%s:iam::%s:oidc-provider/%.*s", nb_partition(nb_req_region(req)), role_account,
                         (int)n, issuer);
}

/* The key prefix of a provider's condition keys: a well-known name, or the OIDC provider's URL
 * without its scheme (what follows "oidc-provider/"). */
static const char *key_prefix(const char *provider) {
    const char *slash = strstr(provider, ":oidc-provider/");
    return slash ? slash + strlen(":oidc-provider/") : provider;
}

void sts_federated_key(nb_req_t *req, json_t *context, const char *provider, const char *name, const char *value) {
    if (value == NULL)
        return;
    const char *key = provider ? nb_req_printf(req, "%s:%s", key_prefix(provider), name) : name;
    if (key == NULL)
        return;
    /* condition keys are matched lower-cased, in the evaluator's own form (without the ABI 1.9
     * evaluator sts_federated_check reads no context) */
    size_t size = strlen(key) + 1;
    char *lower = NB_API_HAS(policy_key) ? nb_req_alloc(req, size) : NULL;
    if (lower == NULL || !nb_policy_key(lower, size, key))
        return;
    json_t *list = json_object_get(context, lower);
    if (list == NULL) {
        list = json_array();
        if (json_object_set_new(context, lower, list) != 0)
            return;
    }
    json_array_append_new(list, json_string(value));
}

nb_step_t sts_federated_check(nb_req_t *req, const char *role_arn, const char *action, const char *provider,
                              const json_t *context) {
    if (!NB_API_HAS(authz_enforced) || !nb_authz_enforced() || !NB_API_HAS(authz_document) || !NB_API_HAS(policy_eval))
        return NB_GO_ON;
    const char *trust = role_arn ? nb_authz_document(req, role_arn) : NULL;
    json_t *doc = trust ? json_loads(trust, 0, NULL) : NULL;
    nb_policy_request_t r = {
        .action = action,
        .resource = role_arn,
        .context = context,
        .principal_arn = provider ? provider : "",
        .principal_account = NULL, /* a Federated principal belongs to no account */
    };
    nb_policy_decision_t d = doc && provider ? nb_policy_eval(doc, &r, NULL) : NB_POLICY_IMPLICIT_DENY;
    json_decref(doc);
    if (d == NB_POLICY_ALLOWED)
        return NB_GO_ON;
    return nb_stop(nb_error_code(req, "AccessDenied", 403, "Not authorized to perform %s", action));
}
