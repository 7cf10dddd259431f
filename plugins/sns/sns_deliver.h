/*
 * SNS deliveries: the outbox between Publish and the subscribers.
 *
 * Publish writes one outbox row per subscription it delivers to, in its own transaction; after
 * that commits, the drain (sns_deliver.c) hands each row to its protocol: SQS through
 * nb_call_async(sqs:SendMessage), HTTP/HTTPS through sns_http_deliver (sns_http.c, the http-out
 * work), Lambda through the "sns:lambda" delivery hook. A row is removed once its delivery
 * ended (delivered, or given up and moved to the subscription's RedrivePolicy DLQ), so deliveries
 * pending at a kill -9 go out after the restart.
 */
#ifndef SNS_DELIVER_H
#define SNS_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include <nimbus/plugin.h>

/* One delivery to one subscription. Every pointer is borrowed for the duration of the call it is
 * handed to: copy what outlives it. */
typedef struct sns_delivery {
    int64_t outbox_id;            /* the outbox row: pass it to sns_delivery_done when the delivery ended */
    const char *account, *region; /* the subscription's (= the topic's) account and region */
    const char *topic_arn;        /* arn:aws:sns:<region>:<account>:<topic> */
    const char *subscription_arn; /* the subscription's ARN ("PendingConfirmation" is never handed out) */
    const char *protocol;         /* "http" or "https" for sns_http_deliver; "sqs", "lambda", ... elsewhere */
    const char *endpoint;         /* the subscription's Endpoint: the URL to POST to for http/https */
    /* The x-amz-sns-message-type header: "Notification", "SubscriptionConfirmation" or
     * "UnsubscribeConfirmation". */
    const char *message_type;
    const char *message_id;       /* x-amz-sns-message-id: the MessageId of the envelope */
    /* The exact request body to POST: the SNS JSON envelope (Type, MessageId, Token for a
     * confirmation, TopicArn, Subject, Message, Timestamp, SignatureVersion, Signature,
     * SigningCertURL, UnsubscribeURL/SubscribeURL, MessageAttributes), or with raw delivery
     * the message itself. Content-Type: text/plain; charset=UTF-8 as AWS sends it. */
    const char *body;
    size_t body_len;
    int raw; /* 1: RawMessageDelivery=true (AWS adds the header x-amz-sns-rawdelivery: true) */
    /* The effective delivery policy, JSON text: the subscription's DeliveryPolicy, else the
     * topic's DeliveryPolicy (its "http" member holds defaultHealthyRetryPolicy etc.), NULL when
     * neither is set (AWS's defaults: 3 retries, 20 s apart). */
    const char *delivery_policy;
    int attempt; /* 1 for the first try of this row since the server started */
} sns_delivery_t;

/*
 * HTTP/HTTPS delivery (sns_http.c): POSTs d->body to d->endpoint with the headers AWS sends
 * (x-amz-sns-message-type, x-amz-sns-message-id, x-amz-sns-topic-arn, and
 * x-amz-sns-subscription-arn except for a SubscriptionConfirmation), retrying as
 * d->delivery_policy says, never blocking the loop; then calls sns_delivery_done once.
 */
void sns_http_deliver(nb_plugin_t *self, const sns_delivery_t *d);

/*
 * Ends the delivery of outbox row outbox_id (from any callback on the loop, inside a
 * transaction or not): delivered 1 removes the row; delivered 0 (every retry failed) moves the
 * message to the subscription's RedrivePolicy dead-letter queue when it has one, then removes
 * the row. Called once per handed-out delivery.
 */
void sns_delivery_done(nb_plugin_t *self, int64_t outbox_id, int delivered);

/*
 * The delivery hook of a protocol SNS does not deliver itself ("lambda"): a plugin that serves it
 * (Lambda, when it lands) registers it from its init through the in-process event
 * "sns:Delivery:<protocol>" (nimbus/events.h): nb_event_subscribe(self, "sns:Delivery:lambda", cb,
 * NULL). The event's detail is {"Endpoint": the function ARN, "SubscriptionArn", "TopicArn",
 * "Event": the SNS event record {"Records":[{"EventSource":"aws:sns", "EventVersion":"1.0",
 * "EventSubscriptionArn", "Sns":{...}}]}}. SNS also records every such delivery, read by
 * GET /_aws/sns/deliveries?Protocol=lambda.
 */
#define SNS_DELIVERY_EVENT_PREFIX "sns:Delivery:"

#endif
