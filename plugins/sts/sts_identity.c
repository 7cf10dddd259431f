#include <stdio.h>

#include "sts_plugin.h"

/* LocalStack answers every caller as the account's root user. */
nb_result_t sts_get_caller_identity(nb_req_t *req, const json_t *input) {
    (void)input;
    const char *account = nb_req_account(req);
    char arn[96];
    nb_arn_format(&(nb_arn_t){.partition = nb_partition(nb_req_region(req)), .service = "iam", .account = account,
                              .resource = "root"},
                  arn, sizeof arn);
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s}", "UserId", "AKIAIOSFODNN7EXAMPLE", "Account", account, "Arn", arn));
}
