/*
 * A test plugin ("keys", spec in tests/data/harness-specs) over the credential registry (ABI 1.8),
 * for test_credentials_harness.c:
 *
 *   Put    {AccessKeyId, Account, Secret, Token, PrincipalArn, UserId, Expiration, Fail}
 *          -> nb_credentials_put's {Rc}; with Fail the request then answers an error, so its
 *          transaction (and the registration) rolls back
 *   Delete {AccessKeyId, Account} -> nb_credentials_delete's {Rc}
 *   Get    {AccessKeyId} -> nb_credentials_get's {Rc, Account, Secret, Token, PrincipalArn, UserId, Expiration}
 *   Whoami -> the caller: {Account, PrincipalArn, UserId}
 */
#include <nimbus/plugin.h>

static nb_result_t put(nb_req_t *req, const json_t *in) {
    nb_credentials_t c = {
        .access_key_id = nb_json_str(in, "AccessKeyId"),
        .secret_access_key = nb_json_str(in, "Secret"),
        .session_token = nb_json_str(in, "Token"),
        .account = nb_json_str(in, "Account"),
        .principal_arn = nb_json_str(in, "PrincipalArn"),
        .user_id = nb_json_str(in, "UserId"),
        .expiration = nb_json_num(in, "Expiration", 0),
    };
    int rc = nb_credentials_put(nb_req_plugin(req), &c);
    if (nb_json_bool(in, "Fail", 0))
        return nb_error_code(req, "AskedToFail", 400, "put answered %d", rc);
    return nb_reply_new(req, json_pack("{s:i}", "Rc", rc));
}

static nb_result_t del(nb_req_t *req, const json_t *in) {
    int rc = nb_credentials_delete(nb_req_plugin(req), nb_json_str(in, "Account"), nb_json_str(in, "AccessKeyId"));
    return nb_reply_new(req, json_pack("{s:i}", "Rc", rc));
}

static nb_result_t get(nb_req_t *req, const json_t *in) {
    nb_credentials_t c;
    int rc = nb_credentials_get(req, nb_json_str(in, "AccessKeyId"), &c);
    if (rc != 0)
        return nb_reply_new(req, json_pack("{s:i}", "Rc", rc));
    return nb_reply_new(req, json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:f}", "Rc", rc, "Account", c.account, "Secret",
                                       c.secret_access_key, "Token", c.session_token, "PrincipalArn", c.principal_arn,
                                       "UserId", c.user_id, "Expiration", c.expiration));
}

static nb_result_t whoami(nb_req_t *req, const json_t *in) {
    (void)in;
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s}", "Account", nb_req_account(req), "PrincipalArn",
                                       nb_req_principal_arn(req), "UserId", nb_req_user_id(req)));
}

static const nb_op_t ops[] = {
    {"Put", put, 0}, {"Delete", del, 0}, {"Get", get, 0}, {"Whoami", whoami, 0}, {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "keys", .service = "keys", .api_version = "2024-01-01", .ops = ops);
