/* A plugin that registers an operation its service does not have. */
#include <nimbus/plugin.h>

static nb_result_t unknown_handler(nb_req_t *req, const json_t *input) {
    (void)input;
    return nb_reply_new(req, NULL);
}

static const nb_op_t ops[] = {{"GetCallerIdentity", unknown_handler, 0}, {"FlyToTheMoon", unknown_handler, 0},
                              {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "sts-moon", .service = "sts", .api_version = "2011-06-15", .ops = ops);
