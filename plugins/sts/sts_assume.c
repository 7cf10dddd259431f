/* AssumeRole, AssumeRoleWithWebIdentity and AssumeRoot: credentials of the role's account. The
 * role is not looked up (IAM is not enforced by default, as in LocalStack): its ARN decides the
 * account and the session's identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_plugin.h"

nb_step_t sts_assumed_role(nb_req_t *req, const char *role_arn, const char *session, json_int_t duration,
                           json_t *reply) {
    char buf[2100], account[STS_ACCOUNT_SIZE], role_id[18];
    const char *name;
    NB_TRY_STEP(sts_parse_role_arn(req, role_arn, "Request", buf, sizeof buf, &name, account));
    sts_stable_id(role_arn, role_id);
    const char *arn = nb_req_printf(req, "arn:%s:sts::%s:assumed-role/%s/%s", nb_partition(nb_req_region(req)),
                                    account, name, session);
    const char *user_id = nb_req_printf(req, "AROA%s:%s", role_id, session);
    if (arn == NULL || user_id == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    json_t *credentials = NULL;
    sts_session_t s = {.account = account, .principal_arn = arn, .user_id = user_id, .duration = duration};
    NB_TRY_STEP(sts_issue(req, &s, &credentials));
    json_object_set_new(reply, "Credentials", credentials);
    json_object_set_new(reply, "AssumedRoleUser", json_pack("{s:s,s:s}", "AssumedRoleId", user_id, "Arn", arn));
    return NB_GO_ON;
}

/* Answers reply, or what stopped it (reply released). */
static nb_result_t answer(nb_req_t *req, nb_step_t step, json_t *reply) {
    if (nb_stopped(step)) {
        json_decref(reply);
        return nb_step_result(step);
    }
    return nb_reply_new(req, reply);
}

#define DEFAULT_DURATION 3600
/* A role assumed with a role's credentials (role chaining) lasts an hour at most. */
#define CHAINED_MAX_DURATION 3600

nb_result_t sts_assume_role(nb_req_t *req, const json_t *input) {
    const char *session = nb_json_str(input, "RoleSessionName");
    const char *source = nb_json_str(input, "SourceIdentity");
    json_int_t packed, duration = nb_json_int(input, "DurationSeconds", DEFAULT_DURATION);
    if (duration > CHAINED_MAX_DURATION && strstr(nb_req_principal_arn(req), ":assumed-role/") != NULL)
        return nb_error_code(req, "ValidationError", 400,
                             "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                             "role chaining.");
    NB_TRY(sts_check_name(req, "roleSessionName", session));
    NB_TRY(sts_check_name(req, "sourceIdentity", source));
    if (source && strncmp(source, "aws:", 4) == 0)
        return nb_error_code(req, "ValidationError", 400, "SourceIdentity cannot start with the reserved prefix aws:");
    NB_TRY(sts_check_policy_and_tags(req, input, &packed));
    json_t *reply = json_object();
    nb_step_t step = sts_assumed_role(req, nb_json_str(input, "RoleArn"), session, duration, reply);
    if (!nb_stopped(step))
        step = sts_session_policy(req, reply, sts_session_policy_text(req, input));
    if (packed >= 0)
        json_object_set_new(reply, "PackedPolicySize", json_integer(packed));
    if (source)
        json_object_set_new(reply, "SourceIdentity", json_string(source));
    return answer(req, step, reply);
}

/* The claims of a JWT (header.payload.signature, base64url): NULL when token is none. */
static json_t *jwt_claims(const char *token) {
    const char *dot = strchr(token, '.');
    const char *end = dot ? strchr(dot + 1, '.') : NULL;
    if (end == NULL)
        return NULL;
    size_t len = (size_t)(end - dot - 1);
    char *raw = malloc(NB_BASE64_DECODED_SIZE(len));
    if (raw == NULL)
        return NULL;
    ssize_t n = nb_base64_decode(dot + 1, len, NB_BASE64_URL | NB_BASE64_NOPAD, raw, NB_BASE64_DECODED_SIZE(len));
    json_t *claims = n > 0 ? json_loadb(raw, (size_t)n, 0, NULL) : NULL;
    free(raw);
    if (!json_is_object(claims)) {
        json_decref(claims);
        return NULL;
    }
    return claims;
}

/* ENFORCE_IAM=1: the role's trust policy must allow the token's provider (sts_federated.c). */
static nb_step_t web_identity_trusted(nb_req_t *req, const json_t *input, const json_t *claims) {
    const char *role = nb_json_str(input, "RoleArn");
    char buf[2100];
    nb_arn_t arn;
    const char *account = role && nb_arn_parse(role, &arn, buf, sizeof buf) == 0 ? arn.account : "";
    const char *provider = nb_json_str(input, "ProviderId"); /* Amazon's and Facebook's OAuth tokens */
    provider = sts_web_identity_provider(req, account, provider ? provider : nb_json_str(claims, "iss"));
    json_t *context = json_object();
    if (context == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    /* the claims AWS offers as condition keys, a string or (aud, amr) a list of them */
    static const char *const keys[] = {"aud", "sub", "oaud", "amr", "app_id", "user_id", "id"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const json_t *claim = json_object_get(claims, keys[k]), *one;
        size_t i;
        if (json_is_array(claim)) {
            json_array_foreach(claim, i, one) sts_federated_key(req, context, provider, keys[k], json_string_value(one));
        } else {
            sts_federated_key(req, context, provider, keys[k], json_string_value(claim));
        }
    }
    nb_step_t step = sts_federated_check(req, role, "sts:AssumeRoleWithWebIdentity", provider, context);
    json_decref(context);
    return step;
}

nb_result_t sts_assume_role_with_web_identity(nb_req_t *req, const json_t *input) {
    const char *session = nb_json_str(input, "RoleSessionName");
    json_int_t packed;
    NB_TRY(sts_check_name(req, "roleSessionName", session));
    NB_TRY(sts_check_policy_and_tags(req, input, &packed));
    /* the token's signature is not checked, nor does a token have to be a JWT (LocalStack's
     * tests pass any string): its claims, when it has some, fill the answer */
    json_t *claims = jwt_claims(nb_json_str(input, "WebIdentityToken"));
    nb_step_t allowed = web_identity_trusted(req, input, claims);
    if (nb_stopped(allowed)) {
        json_decref(claims);
        return nb_step_result(allowed);
    }
    json_t *reply = json_object();
    nb_step_t step = sts_assumed_role(req, nb_json_str(input, "RoleArn"), session,
                                      nb_json_int(input, "DurationSeconds", DEFAULT_DURATION), reply);
    const char *sub = nb_json_str(claims, "sub"), *iss = nb_json_str(claims, "iss");
    const json_t *aud = json_object_get(claims, "aud");
    const char *provider = nb_json_str(input, "ProviderId") ? nb_json_str(input, "ProviderId") : iss;
    if (sub)
        json_object_set_new(reply, "SubjectFromWebIdentityToken", json_string(sub));
    if (provider)
        json_object_set_new(reply, "Provider", json_string(provider));
    if (json_is_array(aud))
        aud = json_array_get(aud, 0);
    if (json_is_string(aud))
        json_object_set_new(reply, "Audience", json_string(json_string_value(aud)));
    if (packed >= 0)
        json_object_set_new(reply, "PackedPolicySize", json_integer(packed));
    json_decref(claims);
    return answer(req, step, reply);
}

#define ROOT_MAX_DURATION 900

nb_result_t sts_assume_root(nb_req_t *req, const json_t *input) {
    const char *target = nb_json_str(input, "TargetPrincipal");
    json_int_t duration = nb_json_int(input, "DurationSeconds", ROOT_MAX_DURATION);
    if (strlen(target) != 12 || strspn(target, "0123456789") != 12)
        return nb_error_code(req, "ValidationError", 400, "TargetPrincipal must be an AWS account ID.");
    if (duration < 0 || duration > ROOT_MAX_DURATION)
        return nb_error_code(req, "ValidationError", 400,
                             "1 validation error detected: Value '%lld' at 'durationSeconds' failed to satisfy "
                             "constraint: Member must have value less than or equal to %d",
                             (long long)duration, ROOT_MAX_DURATION);
    const char *arn = nb_req_printf(req, "arn:%s:iam::%s:root", nb_partition(nb_req_region(req)), target);
    json_t *credentials = NULL;
    sts_session_t s = {.account = target, .principal_arn = arn, .user_id = target, .duration = duration};
    NB_TRY(sts_issue(req, &s, &credentials));
    return nb_reply_new(req, json_pack("{s:o}", "Credentials", credentials));
}
