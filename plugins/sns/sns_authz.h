/* SNS under ENFORCE_IAM=1 (sns_authz.c): the action table and the resource_policy hook. */
#ifndef SNS_AUTHZ_H
#define SNS_AUTHZ_H

#include <nimbus/plugin.h>

extern const nb_authz_action_t sns_actions[];
/* The Policy attribute of the topic the input names, and the topic's account. */
int sns_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);

#endif
