/* DynamoDB under ENFORCE_IAM=1 (ddb_authz.c): the action table and the resource_policy hook. */
#ifndef DDB_AUTHZ_H
#define DDB_AUTHZ_H

#include <nimbus/plugin.h>

extern const nb_authz_action_t ddb_actions[];
/* The dynamodbstreams operations' (ddb_stream_services). */
extern const nb_authz_action_t ddb_stream_actions[];
/* The table's resource policy (PutResourcePolicy's document) of the table the input names. */
int ddb_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);

#endif
