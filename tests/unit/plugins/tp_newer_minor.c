/* A plugin built against a newer minor ABI than this core's: it may set hooks or call
 * functions the core lacks, so it must be refused before any of its code runs. */
#define NB_PLUGIN_ABI_MINOR (NB_ABI_MINOR + 1)
#include <nimbus/plugin.h>

static int newer_minor_init(nb_plugin_t *self) {
    (void)self;
    __builtin_trap(); /* never called */
}

static const nb_op_t ops[] = {{NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "sts-newer", .service = "sts", .api_version = "2011-06-15", .ops = ops,
                 .init = newer_minor_init);
