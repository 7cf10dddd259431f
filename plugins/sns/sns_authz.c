/* SNS under ENFORCE_IAM=1 (nimbus/authz.h): each operation's IAM action and the topic ARN it acts
 * on, and the topic's Policy attribute as its resource policy. A topic ARN names its owner's
 * account, so another account's request reaches the owner's topic and its policy (a topic policy
 * granting another account Publish). The actions are spelled "SNS:Publish", as SNS's denial
 * messages spell them; policies match actions case-insensitively. The platform application,
 * endpoint and SMS operations act on no topic ("*"), as the Service Authorization Reference lists
 * them. */
#include "sns_authz.h"

#include <string.h>

#include "sns.h"

#define TOPIC "{TopicArn}"

/* The topic a request names: TopicArn, a tag or data protection call's ResourceArn, Publish's
 * TargetArn, or the topic a SubscriptionArn ("TOPIC_ARN:ID") belongs to. NULL: none. */
static const char *topic_of(nb_req_t *req, const json_t *in) {
    const char *arn = nb_json_str(in, "TopicArn");
    if (arn == NULL)
        arn = nb_json_str(in, "ResourceArn");
    if (arn == NULL)
        arn = nb_json_str(in, "TargetArn");
    if (arn != NULL)
        return arn;
    const char *sub = nb_json_str(in, "SubscriptionArn");
    const char *colon = sub ? strrchr(sub, ':') : NULL;
    return colon ? nb_req_printf(req, "%.*s", (int)(colon - sub), sub) : NULL;
}

#define ROW(op, tpl) {#op, "SNS:" #op, tpl, NULL, NULL}
#define TOPIC_ROW(op) {#op, "SNS:" #op, NULL, NULL, topic_of}

const nb_authz_action_t sns_actions[] = {
    TOPIC_ROW(AddPermission),
    ROW(CheckIfPhoneNumberIsOptedOut, NULL),
    TOPIC_ROW(ConfirmSubscription),
    ROW(CreatePlatformApplication, NULL),
    ROW(CreatePlatformEndpoint, NULL),
    ROW(CreateSMSSandboxPhoneNumber, NULL),
    ROW(CreateTopic, "arn:{partition}:sns:{region}:{account}:{Name}"),
    ROW(DeleteEndpoint, NULL),
    ROW(DeletePlatformApplication, NULL),
    ROW(DeleteSMSSandboxPhoneNumber, NULL),
    TOPIC_ROW(DeleteTopic),
    TOPIC_ROW(GetDataProtectionPolicy),
    ROW(GetEndpointAttributes, NULL),
    ROW(GetPlatformApplicationAttributes, NULL),
    ROW(GetSMSAttributes, NULL),
    ROW(GetSMSSandboxAccountStatus, NULL),
    TOPIC_ROW(GetSubscriptionAttributes),
    TOPIC_ROW(GetTopicAttributes),
    ROW(ListEndpointsByPlatformApplication, NULL),
    ROW(ListOriginationNumbers, NULL),
    ROW(ListPhoneNumbersOptedOut, NULL),
    ROW(ListPlatformApplications, NULL),
    ROW(ListSMSSandboxPhoneNumbers, NULL),
    ROW(ListSubscriptions, NULL),
    TOPIC_ROW(ListSubscriptionsByTopic),
    TOPIC_ROW(ListTagsForResource),
    ROW(ListTopics, NULL),
    ROW(OptInPhoneNumber, NULL),
    TOPIC_ROW(Publish),
    /* a batch is authorized as its single form, as SNS does */
    {"PublishBatch", "SNS:Publish", NULL, NULL, topic_of},
    TOPIC_ROW(PutDataProtectionPolicy),
    TOPIC_ROW(RemovePermission),
    ROW(SetEndpointAttributes, NULL),
    ROW(SetPlatformApplicationAttributes, NULL),
    ROW(SetSMSAttributes, NULL),
    TOPIC_ROW(SetSubscriptionAttributes),
    TOPIC_ROW(SetTopicAttributes),
    TOPIC_ROW(Subscribe),
    TOPIC_ROW(TagResource),
    TOPIC_ROW(Unsubscribe),
    TOPIC_ROW(UntagResource),
    ROW(VerifySMSSandboxPhoneNumber, NULL),
    {NULL, NULL, NULL, NULL, NULL},
};

int sns_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    const char *arn = topic_of(req, in);
    sns_topic_t t;
    if (arn == NULL || sns_topic_find(arn, &t) != 0)
        return 0; /* no topic: the handler answers NotFound if it is allowed to look */
    out->owner_account = nb_req_strdup(req, t.account);
    const char *policy = nb_json_str(t.attrs, "Policy");
    out->document = policy ? nb_req_strdup(req, policy) : NULL;
    sns_topic_clear(&t);
    return 0;
}
