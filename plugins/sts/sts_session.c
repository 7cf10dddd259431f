/* GetSessionToken and GetFederationToken: credentials in the caller's own account, refused to
 * callers that already hold temporary credentials, as AWS refuses them. */
#include <stdio.h>
#include <string.h>

#include "sts_plugin.h"

#define DEFAULT_DURATION 43200

static nb_step_t long_term_caller(nb_req_t *req, const char *operation) {
    if (sts_caller_is_session(req))
        return nb_stop(nb_error_code(req, "AccessDenied", 403, "Cannot call %s with session credentials", operation));
    return NB_GO_ON;
}

nb_result_t sts_get_session_token(nb_req_t *req, const json_t *input) {
    NB_TRY(long_term_caller(req, "GetSessionToken"));
    json_t *credentials = NULL;
    sts_session_t s = {.account = nb_req_account(req),
                       .principal_arn = nb_req_principal_arn(req),
                       .user_id = nb_req_user_id(req),
                       .duration = nb_json_int(input, "DurationSeconds", DEFAULT_DURATION)};
    NB_TRY(sts_issue(req, &s, &credentials));
    return nb_reply_new(req, json_pack("{s:o}", "Credentials", credentials));
}

nb_result_t sts_get_federation_token(nb_req_t *req, const json_t *input) {
    const char *name = nb_json_str(input, "Name");
    json_int_t packed;
    NB_TRY(sts_check_name(req, "name", name));
    NB_TRY(long_term_caller(req, "GetFederationToken"));
    NB_TRY(sts_check_policy_and_tags(req, input, &packed));
    const char *account = nb_req_account(req);
    const char *arn = nb_req_printf(req, "arn:%s:sts::%s:federated-user/%s", nb_partition(nb_req_region(req)),
                                    account, name);
    const char *user_id = nb_req_printf(req, "%s:%s", account, name);
    json_t *credentials = NULL;
    sts_session_t s = {.account = account,
                       .principal_arn = arn,
                       .user_id = user_id,
                       .duration = nb_json_int(input, "DurationSeconds", DEFAULT_DURATION)};
    NB_TRY(sts_issue(req, &s, &credentials));
    json_t *reply = json_pack("{s:o,s:{s:s,s:s}}", "Credentials", credentials, "FederatedUser", "FederatedUserId",
                              user_id, "Arn", arn);
    if (packed >= 0)
        json_object_set_new(reply, "PackedPolicySize", json_integer(packed));
    return nb_reply_new(req, reply);
}
