/* A well-formed plugin for the loader tests: serves STS GetCallerIdentity. */
#include <nimbus/plugin.h>

static int inits;

static nb_result_t good_get_caller_identity(nb_req_t *req, const json_t *input) {
    (void)input;
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s}", "UserId", "AKIAIOSFODNN7EXAMPLE", "Account",
                                       nb_req_account(req), "Arn", "arn:aws:iam::000000000000:root"));
}

static int good_init(nb_plugin_t *self) {
    inits++;
    nb_plugin_set_data(self, &inits);
    return 0;
}

static const nb_op_t good_ops[] = {
    {"GetCallerIdentity", good_get_caller_identity, 0},
    {"GetSessionToken", NULL, 0}, /* registered without a handler: answers 501 */
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "sts-test", .service = "sts", .api_version = "2011-06-15", .ops = good_ops, .init = good_init);
