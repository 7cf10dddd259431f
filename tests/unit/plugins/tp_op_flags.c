/* A plugin that sets operation flags this core does not know: refused, naming the operation. */
#include <nimbus/plugin.h>

static nb_result_t flags_handler(nb_req_t *req, const json_t *input) {
    (void)req, (void)input;
    return NB_DONE;
}

static const nb_op_t ops[] = {{"GetCallerIdentity", flags_handler, 0x1u}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "sts-flags", .service = "sts", .api_version = "2011-06-15", .ops = ops);
