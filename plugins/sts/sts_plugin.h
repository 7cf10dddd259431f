/* STS: who am I (GetCallerIdentity); the rest answers 501 until implemented. */
#ifndef STS_PLUGIN_H
#define STS_PLUGIN_H

#include <nimbus/plugin.h>

nb_result_t sts_get_caller_identity(nb_req_t *req, const json_t *input);

#endif
