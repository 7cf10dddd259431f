/* A kinesis plugin whose file is not named like its service and that registers an
 * operation kinesis does not have: its load fails, and kinesis shows the error. */
#include <nimbus/plugin.h>

static nb_result_t bad_handler(nb_req_t *req, const json_t *input) {
    (void)input;
    return nb_reply_new(req, NULL);
}

static const nb_op_t ops[] = {{"ListStreams", bad_handler, 0}, {"PourCoffee", bad_handler, 0}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "kinesis-bad", .service = "kinesis", .api_version = "2013-12-02", .ops = ops);
