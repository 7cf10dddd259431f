/* For tests that compile a plugin's source files alone: the plugin's nb_api table with the
 * core's utilities (nimbus/util.h) and nothing else. Include before the plugin's sources. */
#ifndef NB_TESTS_PLUGINS_CORE_UTIL_H
#define NB_TESTS_PLUGINS_CORE_UTIL_H

#undef NB_CORE_INTERNAL
#include <nimbus/plugin.h>

#include "util/util_api.h"

static const nb_api_t core_util_only = {.size = sizeof(nb_api_t), .util = &nb__util_api};
NB_PLUGIN_HIDDEN const nb_api_t *nb_api = &core_util_only;

#endif
