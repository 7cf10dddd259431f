#include <stdio.h>

#include "sts_plugin.h"

/* LocalStack answers every caller as the account's root user. */
nb_result_t sts_get_caller_identity(nb_req_t *req, const json_t *input) {
    (void)input;
    const char *account = nb_req_account(req);
    char arn[96];
    snprintf(arn, sizeof arn, "arn:%s:iam::%s:root", nb_partition(nb_req_region(req)), account);
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s}", "UserId", "AKIAIOSFODNN7EXAMPLE", "Account", account, "Arn", arn));
}
