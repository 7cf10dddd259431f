#include <string.h>

#include "sm.h"

/*
 * The rotation Lambda's four steps, each an invocation with {SecretId, ClientRequestToken, Step}:
 * the one place a Lambda plugin plugs in. Through nb_call, Lambda's Invoke answers NB_ENOENT while
 * Nimbus has no Lambda service, and RotateSecret answers what AWS answers for a function it cannot
 * invoke. A test-only rotation (RotateImmediately false) runs testSecret alone, as AWS does.
 */
static nb_step_t invoke_steps(nb_req_t *req, const sm_secret_t *s, const char *function, const char *token,
                              bool immediately) {
    static const char *const all[] = {"createSecret", "setSecret", "testSecret", "finishSecret"};
    static const char *const test_only[] = {"testSecret"};
    const char *const *steps = immediately ? all : test_only;
    size_t n = immediately ? NB_STORE_COUNT(all) : NB_STORE_COUNT(test_only);
    for (size_t i = 0; i < n; i++) {
        json_t *event = json_pack("{s:s,s:s,s:s}", "SecretId", s->arn, "ClientRequestToken", token, "Step", steps[i]);
        char *payload = nb_json_text(event);
        json_decref(event);
        if (payload == NULL)
            return nb_stop(NB_FAILED(NB_ENOMEM));
        json_t *input = json_pack("{s:s,s:s}", "FunctionName", function, "Payload", payload);
        free(payload);
        json_t *output = NULL;
        char code[128] = "";
        int rc = nb_call(sm.self, nb_req_account(req), nb_req_region(req), "lambda", "Invoke", input, &output, code,
                         sizeof code);
        bool failed = rc != 0 || json_object_get(output, "FunctionError") != NULL;
        json_decref(output);
        if (rc == NB_ENOENT || (rc != 0 && strcmp(code, "ResourceNotFoundException") == 0))
            return nb_stop(nb_error_code(req, "AccessDeniedException", 400,
                                         "Secrets Manager cannot invoke the specified Lambda function. Ensure that "
                                         "the function policy grants access to the principal "
                                         "secretsmanager.amazonaws.com."));
        if (failed)
            return nb_stop(nb_error(req, "InvalidRequestException",
                                    "A previous rotation isn't complete. That rotation will be reattempted."));
    }
    return NB_GO_ON;
}

nb_result_t secretsmanager_rotate_secret(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    const char *function = nb_json_str(input, "RotationLambdaARN");
    if (function == NULL)
        function = nb_json_str(s.meta, "RotationLambdaARN");
    if (function == NULL)
        return nb_error(req, "InvalidRequestException",
                        "No Lambda rotation function ARN is associated with this secret.");
    const json_t *rules = json_object_get(input, "RotationRules");
    json_int_t days = nb_json_int(rules, "AutomaticallyAfterDays", 0);
    if (rules != NULL && days == 0 && nb_json_str(rules, "ScheduleExpression") == NULL)
        return nb_error(req, "InvalidParameterException",
                        "You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.");
    char uuid[NB_UUID_SIZE];
    const char *token = nb_json_str(input, "ClientRequestToken");
    if (token == NULL) {
        nb_uuid(uuid);
        token = uuid;
    }
    bool immediately = nb_json_bool(input, "RotateImmediately", 1);
    NB_TRY(invoke_steps(req, &s, function, token, immediately));
    double now = nb_now();
    json_object_set_new(s.meta, "RotationEnabled", json_true());
    json_object_set_new(s.meta, "RotationLambdaARN", json_string(function));
    if (rules != NULL)
        json_object_set(s.meta, "RotationRules", (json_t *)rules);
    if (immediately)
        sm_meta_time(s.meta, "LastRotatedDate", now);
    days = nb_json_int(json_object_get(s.meta, "RotationRules"), "AutomaticallyAfterDays", 0);
    sm_meta_time(s.meta, "NextRotationDate", days > 0 ? now + (double)days * 86400.0 : 0);
    sm_meta_time(s.meta, "LastChangedDate", now);
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s}", "ARN", s.arn, "Name", s.name, "VersionId", token));
}

nb_result_t secretsmanager_cancel_rotate_secret(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    json_object_set_new(s.meta, "RotationEnabled", json_false());
    json_object_del(s.meta, "NextRotationDate");
    sm_meta_time(s.meta, "LastChangedDate", nb_now());
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    json_t *out = json_pack("{s:s,s:s}", "ARN", s.arn, "Name", s.name);
    /* a rotation under way left its version under AWSPENDING: AWS names it, and leaves the label */
    const char *pending = sm_label_version(req, s.arn, SM_PENDING);
    if (pending != NULL)
        json_object_set_new(out, "VersionId", json_string(pending));
    return nb_reply_new(req, out);
}
