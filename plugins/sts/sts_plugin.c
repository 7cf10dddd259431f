#include "sts_plugin.h"

static const nb_op_t sts_ops[] = {
    {"GetCallerIdentity", sts_get_caller_identity, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "sts", .service = "sts", .api_version = "2011-06-15", .ops = sts_ops);
