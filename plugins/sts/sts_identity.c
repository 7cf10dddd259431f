/* Who am I, and whose is this key. */
#include <string.h>

#include "sts_plugin.h"

/* LocalStack's user id for the root user of its default keys (AWS's would be the account id). */
#define ROOT_USER_ID "AKIAIOSFODNN7EXAMPLE"

nb_result_t sts_get_caller_identity(nb_req_t *req, const json_t *input) {
    (void)input;
    const char *account = nb_req_account(req), *user_id = nb_req_user_id(req);
    /* the root user's id is its account's: LocalStack answers its example key's instead */
    if (strcmp(user_id, account) == 0)
        user_id = ROOT_USER_ID;
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s}", "UserId", user_id, "Account", account, "Arn",
                                       nb_req_principal_arn(req)));
}

/* The registry's account for a key it holds; else the one AWS encodes in AKIA/ASIA ids; else
 * the caller's (a key of no known form, such as LocalStack's `test`). */
nb_result_t sts_get_access_key_info(nb_req_t *req, const json_t *input) {
    const char *akid = nb_json_str(input, "AccessKeyId");
    nb_credentials_t c;
    char account[STS_ACCOUNT_SIZE];
    if (nb_credentials_get(req, akid, &c) == 0)
        snprintf(account, sizeof account, "%s", c.account);
    else if (sts_key_account(akid, account) != 0)
        snprintf(account, sizeof account, "%s", nb_req_account(req));
    return nb_reply_new(req, json_pack("{s:s}", "Account", account));
}
