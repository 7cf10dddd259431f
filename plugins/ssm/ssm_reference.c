/* /aws/reference/secretsmanager/<secret>: GetParameter(s) read a Secrets Manager secret
 * through that service's GetSecretValue, in-process. */
#include <stdlib.h>

#include "ssm.h"

nb_step_t ssm_secret_reference(nb_req_t *req, const char *name, int with_decryption, json_t **out) {
    *out = NULL;
    if (!with_decryption)
        return nb_stop(nb_error(req, "ValidationException",
                                "WithDecryption flag must be True for retrieving a Secret Manager secret."));
    const char *id = nb_req_strdup(req, name + strlen(SSM_SECRET_PREFIX));
    const char *stage = NULL;
    char *colon = strchr(id, ':');
    if (colon != NULL) { /* name:LABEL picks a staging label, name:VERSION-ID a version */
        *colon = '\0';
        stage = colon + 1;
    }
    json_t *in = json_pack("{s:s}", "SecretId", id), *res = NULL;
    if (stage != NULL)
        json_object_set_new(in, strchr(stage, '-') ? "VersionId" : "VersionStage", json_string(stage));
    char code[128] = "";
    int rc = nb_call(nb_req_plugin(req), nb_req_account(req), nb_req_region(req), "secretsmanager",
                     "GetSecretValue", in, &res, code, sizeof code);
    if (rc != 0) {
        json_decref(res);
        if (rc == NB_ENOENT || strcmp(code, "ResourceNotFoundException") == 0 || code[0] == '\0')
            return NB_GO_ON; /* *out NULL: no such parameter */
        return nb_stop(nb_error(req, "InvalidKeyId", "The secret %s cannot be read: %s.", id, code));
    }
    const char *value = nb_json_str(res, "SecretString");
    const json_t *bin = json_object_get(res, "SecretBinary");
    if (value == NULL && bin != NULL) {
        size_t len = json_string_length(bin);
        char *b64 = nb_req_alloc(req, NB_BASE64_SIZE(len));
        if (b64 != NULL && nb_base64_encode(json_string_value(bin), len, 0, b64, NB_BASE64_SIZE(len)) >= 0)
            value = b64;
    }
    /* the source result is the secret without its value: metadata only */
    json_t *meta = json_deep_copy(res);
    json_object_del(meta, "SecretString");
    json_object_del(meta, "SecretBinary");
    char *source = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    json_t *p = json_pack("{s:s,s:s,s:s,s:I,s:s,s:f,s:s,s:s}", "Name", name, "Type", "SecureString", "Value",
                          value ? value : "", "Version", (json_int_t)0, "SourceResult", source ? source : "{}",
                          "LastModifiedDate", nb_json_num(res, "CreatedDate", nb_now()), "ARN",
                          nb_json_str(res, "ARN") ? nb_json_str(res, "ARN") : "", "DataType", "text");
    free(source);
    json_decref(res);
    if (p == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    if (stage != NULL)
        json_object_set_new(p, "Selector", json_string(nb_req_printf(req, ":%s", stage)));
    *out = p;
    return NB_GO_ON;
}
