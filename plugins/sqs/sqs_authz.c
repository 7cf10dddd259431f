/* SQS under ENFORCE_IAM=1 (nimbus/authz.h): the IAM action and queue ARN of each operation, and
 * the queue's Policy attribute as its resource policy. The queue URL names the owner's account,
 * so a request from another account reaches the owner's queue and its policy. */
#include "sqs_plugin.h"

#define QUEUE "arn:{partition}:sqs:{region}:{QueueUrl/2}:{QueueUrl/1}"

/* Batch operations are authorized as their single forms, as SQS does. */
const nb_authz_action_t sqs_actions[] = {
    {"AddPermission", "sqs:AddPermission", QUEUE, NULL, NULL},
    {"CancelMessageMoveTask", "sqs:CancelMessageMoveTask", NULL, NULL, NULL},
    {"ChangeMessageVisibility", "sqs:ChangeMessageVisibility", QUEUE, NULL, NULL},
    {"ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility", QUEUE, NULL, NULL},
    {"CreateQueue", "sqs:CreateQueue", "arn:{partition}:sqs:{region}:{account}:{QueueName}", NULL, NULL},
    {"DeleteMessage", "sqs:DeleteMessage", QUEUE, NULL, NULL},
    {"DeleteMessageBatch", "sqs:DeleteMessage", QUEUE, NULL, NULL},
    {"DeleteQueue", "sqs:DeleteQueue", QUEUE, NULL, NULL},
    {"GetQueueAttributes", "sqs:GetQueueAttributes", QUEUE, NULL, NULL},
    {"GetQueueUrl", "sqs:GetQueueUrl", "arn:{partition}:sqs:{region}:{account}:{QueueName}", NULL, NULL},
    {"ListDeadLetterSourceQueues", "sqs:ListDeadLetterSourceQueues", QUEUE, NULL, NULL},
    {"ListMessageMoveTasks", "sqs:ListMessageMoveTasks", "{SourceArn}", NULL, NULL},
    {"ListQueueTags", "sqs:ListQueueTags", QUEUE, NULL, NULL},
    {"ListQueues", "sqs:ListQueues", NULL, NULL, NULL},
    {"PurgeQueue", "sqs:PurgeQueue", QUEUE, NULL, NULL},
    {"ReceiveMessage", "sqs:ReceiveMessage", QUEUE, NULL, NULL},
    {"RemovePermission", "sqs:RemovePermission", QUEUE, NULL, NULL},
    {"SendMessage", "sqs:SendMessage", QUEUE, NULL, NULL},
    {"SendMessageBatch", "sqs:SendMessage", QUEUE, NULL, NULL},
    {"SetQueueAttributes", "sqs:SetQueueAttributes", QUEUE, NULL, NULL},
    {"StartMessageMoveTask", "sqs:StartMessageMoveTask", "{SourceArn}", NULL, NULL},
    {"TagQueue", "sqs:TagQueue", QUEUE, NULL, NULL},
    {"UntagQueue", "sqs:UntagQueue", QUEUE, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

int sqs_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    const sqs_queue_t *q = sqs_queue_named(req, nb_json_str(in, "QueueUrl"));
    if (q == NULL)
        return 0; /* no queue: the handler answers QueueDoesNotExist if it is allowed to look */
    out->owner_account = nb_req_strdup(req, q->account);
    const char *policy = nb_json_str(q->attrs, "Policy");
    out->document = policy ? nb_req_strdup(req, policy) : NULL;
    return 0;
}
