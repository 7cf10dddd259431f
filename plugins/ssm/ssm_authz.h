/* SSM under ENFORCE_IAM=1 (ssm_authz.c): the action table. */
#ifndef SSM_AUTHZ_H
#define SSM_AUTHZ_H

#include <nimbus/plugin.h>

extern const nb_authz_action_t ssm_actions[];

#endif
