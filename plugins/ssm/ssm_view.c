/* The output shapes of a parameter, and paging tokens. */
#include <stdio.h>
#include <stdlib.h>

#include "ssm.h"

static const char *arn_of(nb_req_t *req, const char *name) {
    return strncmp(name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX)) == 0 ? ssm_public_arn(req, name)
                                                                          : ssm_param_arn(req, name);
}

nb_step_t ssm_param_view(nb_req_t *req, const ssm_param_t *p, int with_decryption, const char *selector,
                         json_t **out) {
    const char *value = p->value;
    if (strcmp(p->type, "SecureString") == 0) {
        if (with_decryption)
            NB_TRY_STEP(ssm_decrypt(req, p->name, p->key_id, p->value, &value));
        else
            value = ssm_ciphertext_text(req, p->value);
    }
    json_t *v = json_pack("{s:s,s:s,s:s,s:I,s:f,s:s,s:s}", "Name", p->name, "Type", p->type, "Value", value,
                          "Version", (json_int_t)p->version, "LastModifiedDate", p->modified, "ARN",
                          arn_of(req, p->name), "DataType", p->data_type ? p->data_type : "text");
    if (v == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    if (selector != NULL)
        json_object_set_new(v, "Selector", json_string(nb_req_printf(req, ":%s", selector)));
    *out = v;
    return NB_GO_ON;
}

json_t *ssm_policies_view(const char *policies) {
    json_t *list = json_array();
    json_t *parsed = policies ? json_loads(policies, 0, NULL) : NULL;
    size_t i;
    json_t *pol;
    json_array_foreach(parsed, i, pol) {
        char *text = json_dumps(pol, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "PolicyText", text ? text : "", "PolicyType",
                                              nb_json_str(pol, "Type") ? nb_json_str(pol, "Type") : "",
                                              "PolicyStatus", "Pending"));
        free(text);
    }
    json_decref(parsed);
    return list;
}

json_t *ssm_param_metadata(nb_req_t *req, const ssm_param_t *p) {
    json_t *m = json_pack("{s:s,s:s,s:s,s:f,s:I,s:s,s:o,s:s}", "Name", p->name, "ARN", arn_of(req, p->name), "Type",
                          p->type, "LastModifiedDate", p->modified, "Version", (json_int_t)p->version, "Tier",
                          p->tier, "Policies", ssm_policies_view(p->policies), "DataType",
                          p->data_type ? p->data_type : "text");
    if (m == NULL)
        return NULL;
    if (p->key_id)
        json_object_set_new(m, "KeyId", json_string(p->key_id));
    if (p->user)
        json_object_set_new(m, "LastModifiedUser", json_string(p->user));
    if (p->description)
        json_object_set_new(m, "Description", json_string(p->description));
    if (p->allowed_pattern)
        json_object_set_new(m, "AllowedPattern", json_string(p->allowed_pattern));
    return m;
}

/* Tokens are the position of the next item, base64 so that clients treat them as opaque. */
const char *ssm_token_new(nb_req_t *req, size_t offset) {
    char plain[32];
    int n = snprintf(plain, sizeof plain, "nimbus-ssm:%zu", offset);
    char *out = nb_req_alloc(req, NB_BASE64_SIZE((size_t)n));
    if (out == NULL || nb_base64_encode(plain, (size_t)n, 0, out, NB_BASE64_SIZE((size_t)n)) < 0)
        return NULL;
    return out;
}

static int64_t token_offset(const char *token) {
    char plain[64];
    size_t len = strlen(token);
    if (len == 0 || len > 40)
        return -1;
    ssize_t n = nb_base64_decode(token, len, 0, plain, sizeof plain);
    if (n < 0)
        return -1;
    plain[n < (ssize_t)sizeof plain ? n : (ssize_t)sizeof plain - 1] = '\0';
    if (strncmp(plain, "nimbus-ssm:", 11) != 0)
        return -1;
    char *end = NULL;
    long long v = strtoll(plain + 11, &end, 10);
    return end && *end == '\0' && v >= 0 ? v : -1;
}

nb_step_t ssm_page_start(nb_req_t *req, const json_t *in, size_t *offset) {
    const char *token = nb_json_str(in, "NextToken");
    *offset = 0;
    if (token == NULL)
        return NB_GO_ON;
    int64_t o = token_offset(token);
    if (o < 0)
        return nb_stop(nb_error(req, "InvalidNextToken", "The specified token is not valid."));
    *offset = (size_t)o;
    return NB_GO_ON;
}

nb_result_t ssm_page_reply(nb_req_t *req, const char *member, json_t *items, int more, size_t offset) {
    size_t n = json_array_size(items);
    json_t *reply = json_pack("{s:o}", member, items);
    if (reply == NULL)
        return NB_FAILED(NB_ENOMEM);
    if (more)
        json_object_set_new(reply, "NextToken", json_string(ssm_token_new(req, offset + n)));
    return nb_reply_new(req, reply);
}
