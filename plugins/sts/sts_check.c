/* The checks AWS makes beyond the spec's lengths and ranges (which the core validates): name
 * patterns, role ARNs, session policies and tags, with STS's messages. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_plugin.h"

static nb_step_t validation(nb_req_t *req, const char *member, const char *value, const char *constraint) {
    return nb_stop(nb_error_code(req, "ValidationError", 400,
                                 "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
                                 value, member, constraint));
}

nb_step_t sts_check_name(nb_req_t *req, const char *member, const char *value) {
    if (value == NULL)
        return NB_GO_ON;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (!isalnum(*p) && !strchr("_+=,.@-", *p))
            return validation(req, member, value, "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    return NB_GO_ON;
}

nb_step_t sts_parse_role_arn(nb_req_t *req, const char *arn, const char *what, char *buf, size_t cap,
                             const char **name, char account[STS_ACCOUNT_SIZE]) {
    nb_arn_t a;
    if (nb_arn_parse(arn, &a, buf, cap) != 0 || strcmp(a.service, "iam") != 0 || a.region[0] != '\0' ||
        strlen(a.account) != 12 || strspn(a.account, "0123456789") != 12)
        return nb_stop(nb_error_code(req, "ValidationError", 400, "%s ARN is invalid", what));
    const char *slash = strrchr(a.resource, '/');
    if (slash == NULL || slash[1] == '\0')
        return nb_stop(nb_error_code(req, "ValidationError", 400, "%s ARN is invalid", what));
    *name = slash + 1;
    snprintf(account, STS_ACCOUNT_SIZE, "%s", a.account);
    return NB_GO_ON;
}

/* What a session policy and its tags take of the packed limit AWS reports, in percent: the
 * policy without its insignificant white space, and each tag's key and value. */
#define PACKED_LIMIT 2048

nb_step_t sts_check_policy_and_tags(nb_req_t *req, const json_t *input, json_int_t *packed) {
    const char *policy = nb_json_str(input, "Policy");
    const json_t *tags = json_object_get(input, "Tags");
    size_t used = 0;
    *packed = -1;
    if (policy != NULL) {
        json_t *doc = json_loads(policy, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(doc)) {
            json_decref(doc);
            return nb_stop(nb_error(req, "MalformedPolicyDocument", "Syntax errors in policy."));
        }
        char *compact = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        used += compact ? strlen(compact) : strlen(policy);
        free(compact);
        json_decref(doc);
    }
    size_t ntags = json_array_size(tags);
    for (size_t i = 0; i < ntags; i++) {
        const char *key = nb_json_str(json_array_get(tags, i), "Key");
        const char *value = nb_json_str(json_array_get(tags, i), "Value");
        for (size_t j = 0; key && j < i; j++) {
            const char *other = nb_json_str(json_array_get(tags, j), "Key");
            if (other && strcasecmp(other, key) == 0)
                return nb_stop(nb_error_code(req, "ValidationError", 400,
                                             "Duplicate tag keys found. Please note that Tag keys are case insensitive."));
        }
        used += (key ? strlen(key) : 0) + (value ? strlen(value) : 0);
    }
    if (policy == NULL && ntags == 0)
        return NB_GO_ON;
    *packed = (json_int_t)((used * 100 + PACKED_LIMIT - 1) / PACKED_LIMIT);
    if (*packed > 100)
        return nb_stop(nb_error(req, "PackedPolicyTooLarge",
                                "Packed size of consolidated session policies and session tags exceeds 100%% of "
                                "allowed value (%lld%%).",
                                (long long)*packed));
    return NB_GO_ON;
}

int sts_caller_is_session(nb_req_t *req) {
    const char *arn = nb_req_principal_arn(req);
    return strstr(arn, ":assumed-role/") != NULL || strstr(arn, ":federated-user/") != NULL;
}
