/* A plugin built against a future, incompatible ABI: must be refused before any of its code runs. */
#include <nimbus/plugin.h>

static int wrong_abi_init(nb_plugin_t *self) {
    (void)self;
    __builtin_trap(); /* never called */
}

static const nb_op_t ops[] = {{NULL, NULL, 0}};

NB_PLUGIN_HIDDEN const nb_api_t *nb_api;
NB_PLUGIN_EXPORT const nb_plugin_def_t nb_plugin_def = {
    .signature = NB_PLUGIN_SIGNATURE, .abi_major = NB_ABI_MAJOR + 1, .abi_minor = 0,
    .struct_size = sizeof(nb_plugin_def_t), .api = &nb_api, .name = "wrongabi", .service = "sts",
    .api_version = "2011-06-15", .ops = ops, .init = wrong_abi_init};
