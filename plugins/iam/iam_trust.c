/* The authz_document hook (nimbus/plugin.h, ABI 1.9): the documents STS's authorization reads
 * under ENFORCE_IAM=1, a role's trust policy (AssumeRole) and a managed policy's default version
 * (AssumeRole's PolicyArns), in the account the core set on req. Read only; no error is set. */
#include <string.h>

#include "iam.h"

const char *iam_authz_document(nb_plugin_t *self, nb_req_t *req, const char *arn) {
    (void)self;
    const char *slash = strrchr(arn, '/');
    if (strstr(arn, ":role/") && slash) {
        json_t *role = iam_load(req, "role", slash + 1);
        const char *text = iam_str(role, "AssumeRolePolicyDocument");
        const char *doc = text ? iam_url_decode(req, text) : NULL;
        json_decref(role);
        return doc;
    }
    if (strstr(arn, ":policy/") == NULL)
        return NULL;
    json_t *policy = iam_policy_lookup(req, arn);
    const char *doc = policy ? nb_req_strdup(req, iam_policy_default_document(req, policy)) : NULL;
    json_decref(policy);
    return doc;
}
