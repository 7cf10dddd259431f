/* A plugin written for another apiVersion of its service than the loaded spec's: it loads,
 * and the loader says so. */
#include <nimbus/plugin.h>

static nb_result_t old_handler(nb_req_t *req, const json_t *input) {
    (void)req, (void)input;
    return NB_DONE;
}

static const nb_op_t ops[] = {{"GetCallerIdentity", old_handler, 0}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "sts-old", .service = "sts", .api_version = "2011-01-01", .ops = ops);
