#include <string.h>

#include "sm.h"

#define CHECK_NAME "IAM_POLICY_VALIDATION"

static void add(json_t *errors, const char *msg) {
    json_array_append_new(errors, json_pack("{s:s,s:s}", "CheckName", CHECK_NAME, "ErrorMessage", msg));
}

/* A member that is a string or a list of strings, each passing ok(). */
static bool strings(const json_t *v, bool (*ok)(const char *)) {
    if (json_is_string(v))
        return ok(json_string_value(v));
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || !ok(json_string_value(e)))
            return false;
    }
    return true;
}

static bool action_ok(const char *a) { return strcmp(a, "*") == 0 || strncmp(a, "secretsmanager:", 15) == 0; }
static bool any_ok(const char *a) { return a[0] != '\0'; }

static bool public_principal(const json_t *p) {
    if (json_is_string(p))
        return strcmp(json_string_value(p), "*") == 0;
    const json_t *aws = json_object_get(p, "AWS");
    if (json_is_string(aws))
        return strcmp(json_string_value(aws), "*") == 0;
    size_t i;
    json_t *e;
    json_array_foreach(aws, i, e) {
        if (json_is_string(e) && strcmp(json_string_value(e), "*") == 0)
            return true;
    }
    return false;
}

static void check_statement(const json_t *s, json_t *errors, bool *is_public) {
    const char *effect = nb_json_str(s, "Effect");
    if (effect == NULL || (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0))
        add(errors, "Each statement must have an Effect of Allow or Deny.");
    const json_t *principal = json_object_get(s, "Principal");
    if (principal == NULL && json_object_get(s, "NotPrincipal") == NULL)
        add(errors, "A resource policy statement must have a Principal or a NotPrincipal.");
    const json_t *action = json_object_get(s, "Action"), *not_action = json_object_get(s, "NotAction");
    if (action == NULL && not_action == NULL)
        add(errors, "Each statement must have an Action or a NotAction.");
    else if (!strings(action ? action : not_action, action_ok))
        add(errors, "The actions of a secret's resource policy must be secretsmanager actions or \"*\".");
    const json_t *resource = json_object_get(s, "Resource");
    if (resource != NULL && !strings(resource, any_ok))
        add(errors, "Resource must be a string or a list of strings.");
    if (effect && strcmp(effect, "Allow") == 0 && public_principal(principal) && json_object_get(s, "Condition") == NULL)
        *is_public = true;
}

/* The structural checks of a resource policy: errors appended, *is_public when a statement allows
 * anyone without a condition. */
static void check(const json_t *doc, json_t *errors, bool *is_public) {
    const char *version = nb_json_str(doc, "Version");
    *is_public = false;
    if (version == NULL || (strcmp(version, "2012-10-17") != 0 && strcmp(version, "2008-10-17") != 0))
        add(errors, "The policy must have a Version of 2012-10-17 or 2008-10-17.");
    const json_t *st = json_object_get(doc, "Statement");
    if (json_is_object(st)) {
        check_statement(st, errors, is_public);
        return;
    }
    if (!json_is_array(st) || json_array_size(st) == 0) {
        add(errors, "The policy must have a Statement.");
        return;
    }
    size_t i;
    json_t *s;
    json_array_foreach(st, i, s) check_statement(s, errors, is_public);
}

/* Parses and checks policy: the document (a new reference) or an answered error. */
static nb_step_t parse(nb_req_t *req, const char *text, json_t **doc, json_t **errors, bool *is_public) {
    *doc = text ? nb_json_parse(text, strlen(text)) : NULL;
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        return nb_stop(nb_error(req, "MalformedPolicyDocumentException", "This resource policy contains a syntax error."));
    }
    *errors = json_array();
    check(*doc, *errors, is_public);
    return NB_GO_ON;
}

nb_result_t secretsmanager_put_resource_policy(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    const char *text = nb_json_str(input, "ResourcePolicy");
    json_t *doc = NULL, *errors = NULL;
    bool is_public = false;
    NB_TRY(parse(req, text, &doc, &errors, &is_public));
    json_decref(doc);
    sm_req_keep(req, errors);
    if (json_array_size(errors) > 0)
        return nb_error(req, "MalformedPolicyDocumentException", "%s",
                        nb_json_str(json_array_get(errors, 0), "ErrorMessage"));
    if (is_public && nb_json_bool(input, "BlockPublicPolicy", 0))
        return nb_error(req, "PublicPolicyException",
                        "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent "
                        "broad access to the secret.");
    json_object_set_new(s.meta, "ResourcePolicy", json_string(text));
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    return rc != 0 ? NB_FAILED(rc) : sm_reply_arn_name(req, &s);
}

nb_result_t secretsmanager_get_resource_policy(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_live(req, nb_json_str(input, "SecretId"), &s));
    json_t *out = json_pack("{s:s,s:s}", "ARN", s.arn, "Name", s.name);
    const char *policy = nb_json_str(s.meta, "ResourcePolicy");
    if (policy != NULL)
        json_object_set_new(out, "ResourcePolicy", json_string(policy));
    return nb_reply_new(req, out);
}

nb_result_t secretsmanager_delete_resource_policy(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_live(req, nb_json_str(input, "SecretId"), &s));
    json_object_del(s.meta, "ResourcePolicy");
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    return rc != 0 ? NB_FAILED(rc) : sm_reply_arn_name(req, &s);
}

nb_result_t secretsmanager_validate_resource_policy(nb_req_t *req, const json_t *input) {
    const char *id = nb_json_str(input, "SecretId");
    sm_secret_t s;
    if (id != NULL)
        NB_TRY(sm_find(req, id, &s));
    json_t *doc = NULL, *errors = NULL;
    bool is_public = false;
    NB_TRY(parse(req, nb_json_str(input, "ResourcePolicy"), &doc, &errors, &is_public));
    json_decref(doc);
    return nb_reply_new(req, json_pack("{s:b,s:o}", "PolicyValidationPassed", json_array_size(errors) == 0,
                                       "ValidationErrors", errors));
}
