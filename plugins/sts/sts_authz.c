/* STS under ENFORCE_IAM=1 (nimbus/authz.h): the IAM action of each operation, the role's trust
 * policy as AssumeRole's resource policy, and the session policies an AssumeRole passes (Policy
 * and PolicyArns), kept with the credentials it issues. */
#include <stdlib.h>
#include <string.h>

#include "sts_plugin.h"

/* what a trust policy's conditions may read of an AssumeRole */
#define ASSUME_KEYS "sts:ExternalId=ExternalId,sts:RoleSessionName=RoleSessionName,sts:SourceIdentity=SourceIdentity"

const nb_authz_action_t sts_actions[] = {
    {"AssumeRole", "sts:AssumeRole", "{RoleArn}", ASSUME_KEYS, NULL},
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

int sts_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *input, nb_resource_policy_t *out) {
    (void)self;
    const char *role = nb_json_str(input, "RoleArn");
    if (role == NULL || strcmp(nb_req_operation(req), "AssumeRole") != 0)
        return 0;
    char buf[2100];
    nb_arn_t arn;
    if (nb_arn_parse(role, &arn, buf, sizeof buf) != 0 || strlen(arn.account) != 12)
        return 0; /* the handler answers the malformed ARN */
    out->document = nb_authz_document(req, role);
    out->owner_account = nb_req_strdup(req, arn.account);
    out->required = 1;
    return 0;
}

/* Appends a policy's statements (one object or a list) to all. */
static void add_statements(json_t *all, const char *text) {
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    json_t *st = json_object_get(doc, "Statement");
    if (json_is_array(st))
        json_array_extend(all, st);
    else if (json_is_object(st))
        json_array_append(all, st);
    json_decref(doc);
}

const char *sts_session_policy_text(nb_req_t *req, const json_t *input) {
    const char *inline_policy = nb_json_str(input, "Policy");
    const json_t *arns = json_object_get(input, "PolicyArns");
    if (json_array_size(arns) == 0)
        return inline_policy;
    /* the session may do what any of its session policies allows: one policy of all their
     * statements (a missing managed policy adds none) */
    json_t *all = json_array();
    add_statements(all, inline_policy);
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a) add_statements(all, nb_authz_document(req, nb_json_str(a, "arn")));
    json_t *doc = json_pack("{s:s,s:o}", "Version", "2012-10-17", "Statement", all);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    const char *out = text ? nb_req_strdup(req, text) : NULL;
    free(text);
    json_decref(doc);
    return out;
}

nb_step_t sts_session_policy(nb_req_t *req, const json_t *reply, const char *policy) {
    const char *akid = nb_json_str(json_object_get(reply, "Credentials"), "AccessKeyId");
    if (policy == NULL || *policy == '\0' || akid == NULL)
        return NB_GO_ON;
    int rc = nb_credentials_session_policy(nb_req_plugin(req), akid, policy);
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}
