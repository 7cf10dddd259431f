/* Where IAM tells the core's credential registry (include/nimbus/credentials.h) of the access
 * keys it creates and deletes, so that a request signed with one is attributed to its account and
 * user (GetCallerIdentity, every service's account). The registry writes in the request's open
 * transaction, so a rolled back CreateAccessKey leaves no key registered. */
#include "iam.h"

int iam_key_changed(nb_req_t *req, const char *key_id, const char *secret, const char *user_arn,
                    const char *user_id) {
    if (secret == NULL)
        return nb_credentials_delete(nb_req_plugin(req), iam_account(req), key_id);
    nb_credentials_t c = {
        .access_key_id = key_id,
        .secret_access_key = secret,
        .account = iam_account(req),
        .principal_arn = user_arn,
        .user_id = user_id,
    };
    return nb_credentials_put(nb_req_plugin(req), &c);
}
