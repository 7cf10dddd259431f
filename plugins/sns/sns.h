/*
 * SNS: topics, subscriptions, platform applications and SMS settings in the plugin's SQLite
 * store; deliveries through an outbox (sns_deliver.h). One concern a file:
 *   sns_plugin.c    descriptor, schema, init
 *   sns_util.c      ARNs, attribute maps, paging, errors shared by the handlers
 *   sns_topic.c     topics, their attributes, policies (permissions), data protection, tags
 *   sns_sub.c       subscriptions and their confirmation
 *   sns_publish.c   Publish and PublishBatch: validation, FIFO deduplication, fan-out to the outbox
 *   sns_message.c   message attributes (validation) and the envelope
 *   sns_deliver.c   the outbox drain: SQS, Lambda hook, recorded protocols, redrive
 *   sns_sign.c      the signing key and certificate, message signatures
 *   sns_platform.c  platform applications and endpoints
 *   sns_sms.c       SMS attributes, opt-outs, sandbox numbers
 *   sns_dev.c       LocalStack's /_aws/sns/ developer endpoints and the signing certificate
 */
#ifndef SNS_H
#define SNS_H

#include <stdbool.h>
#include <stdint.h>

#include <nimbus/plugin.h>
#include <nimbus/store.h>

#include "sns_deliver.h"

#define SNS_ARN_SIZE 320
#define SNS_PAGE 100 /* List* answer 100 a page, as AWS */

typedef struct sns_state {
    nb_plugin_t *self;
    nb_store_t store;
} sns_state_t;
extern NB_PLUGIN_HIDDEN sns_state_t sns;

/* A topic row. attrs: the attributes set (strings), tags: {key: value}. */
typedef struct sns_topic {
    char arn[SNS_ARN_SIZE];
    char account[16], region[32], name[257];
    bool fifo;
    json_t *attrs; /* owned: sns_topic_clear */
    int64_t fifo_seq;
} sns_topic_t;

/* ---- sns_util.c ---- */
/* An error found by a check that PublishBatch reports per entry rather than answering. */
typedef struct sns_fault {
    const char *code; /* "InvalidParameter", "ParameterValueInvalid" */
    char message[512];
} sns_fault_t;
/* Sets the fault; returns false (a check's "not valid"). */
bool sns_fault(sns_fault_t *f, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
nb_result_t sns_fault_answer(nb_req_t *req, const sns_fault_t *f);
/* "Invalid parameter: <what>" as InvalidParameter. */
nb_result_t sns_invalid(nb_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The topic ARN of name in req's account and region. */
void sns_topic_arn(nb_req_t *req, const char *name, char out[SNS_ARN_SIZE]);
/* Splits an SNS ARN: 0 and its parts, or -1 (not arn:<partition>:sns:<region>:<account>:<rest>). */
int sns_arn_split(const char *arn, char region[32], char account[16], char rest[SNS_ARN_SIZE]);
/* Paging: the row id after which a page starts (0: the first), or -1 for a token we never gave. */
int64_t sns_page_start(const char *token);
/* One page of a List*: steps s (the row id in column 0; at most page + 1 rows asked for) and
 * appends row(s) for each row of the page; when more follow, sets out's token_member ("NextToken",
 * SMS's "nextToken"). The list, new. */
json_t *sns_page(sqlite3_stmt *s, size_t page, json_t *out, const char *token_member, json_t *(*row)(sqlite3_stmt *s));
/* A List* of the request's account and region: sql selects rowid first, has "rowid > ?1" and
 * :account/:region, and asks for LIMIT 101; answers {list_member: [...], token_member}. */
nb_result_t sns_list(nb_req_t *req, const json_t *in, const char *token_member, const char *sql,
                     const char *list_member, size_t page, json_t *(*row)(sqlite3_stmt *s));
/* Runs sql ("UPDATE t SET col = ?1 WHERE arn = ?2") with value's text and arn: 0 or NB_E*. */
int sns_save_json(const char *sql, const json_t *value, const char *arn);
/* Whether v is the text of a JSON object (policies). */
bool sns_json_object_text(const char *v);
/* A JSON object from a text column (NULL column: {}). */
json_t *sns_json_column(sqlite3_stmt *s, int col);
/* Stored text of a JSON value: malloc'd. */
char *sns_json_dump(const json_t *v);
bool sns_bool_text(const char *v, bool *out); /* "true"/"false" in any case: true and *out */
/* Tags, shared by topics (sns_topic.c) and the tag operations: validate a Tags list
 * [{Key, Value}] into the object tags. Go on, or stop with the error. */
nb_step_t sns_tags_merge(nb_req_t *req, json_t *tags, const json_t *list);

/* ---- sns_json_out.c ---- */
/* A JSON object written member by member, indented as json_dumps(JSON_INDENT(2)) writes it:
 * zero-initialise, add members in order, then end (the text, malloc'd; NULL when out of memory). */
typedef struct sns_json_out {
    char *text;
    size_t len, cap;
    size_t members;
    bool failed;
} sns_json_out_t;
void sns_json_out_string(sns_json_out_t *w, const char *key, const char *value);
void sns_json_out_value(sns_json_out_t *w, const char *key, const json_t *value);
char *sns_json_out_end(sns_json_out_t *w);

/* ---- sns_topic.c ---- */
/* Loads the topic arn names, answering InvalidParameter (bad ARN, "what" names the member) or
 * NotFound. t->attrs is owned by t. */
nb_step_t sns_topic_load(nb_req_t *req, const char *arn, const char *what, sns_topic_t *t);
/* The same without answering: 0, or NB_ENOENT. */
int sns_topic_find(const char *arn, sns_topic_t *t);
void sns_topic_clear(sns_topic_t *t);
int sns_topic_save_seq(const sns_topic_t *t);

/* ---- sns_message.c ---- */
/* Validates Publish's MessageAttributes (a map name -> {DataType, StringValue|BinaryValue}): true,
 * or false and the fault. */
bool sns_message_attributes_check(const json_t *attrs, sns_fault_t *f);
/* The envelope's MessageAttributes: {name: {"Type", "Value"}} (Binary base64). New reference. */
json_t *sns_message_attributes_envelope(const json_t *attrs);
/* Builds the JSON envelope text (malloc'd) of a message, signed. type: "Notification", ...;
 * attrs in the envelope's form (sns_message_attributes_envelope), may be NULL; presigned: the
 * signature of its string to sign for signature_version, made at publish (NULL: signed here). */
char *sns_envelope(const char *type, const char *message_id, const char *topic_arn, const char *subject,
                   const char *message, double timestamp, const char *token, const char *sub_arn,
                   const json_t *attrs, const char *sequence_number, const char *signature_version,
                   const char *presigned);
/* Drops the last Notification text sns_envelope kept (fini). */
void sns_envelope_cache_free(void);
/* The string a Notification's signature signs (malloc'd; NULL when out of memory): what
 * sns_envelope signs for the same fields. Safe off the loop. */
char *sns_notification_string_to_sign(const char *message_id, const char *topic_arn, const char *subject,
                                      const char *message, double timestamp);

/* ---- sns_sign.c ---- */
int sns_sign_load(void);  /* the signing key from the store, made once: 0 or NB_E* */
void sns_sign_free(void);
/* base64 RSA signature of text (SHA1 for version 1, SHA256 for 2); malloc'd, NULL on failure.
 * sns_sign keeps the last one (loop thread only); sns_sign_uncached is safe on the thread pool. */
char *sns_sign(const char *text, int version);
char *sns_sign_uncached(const char *text, int version);
const char *sns_sign_cert_pem(void);
/* The base URL clients reach Nimbus at, "http://localhost.localstack.cloud:4566" style. */
const char *sns_base_url(char *buf, size_t cap);

/* ---- sns_sub.c ---- */
/* Counts of the topic's subscriptions (confirmed, pending) for its attributes. */
void sns_sub_counts(const char *topic_arn, int64_t *confirmed, int64_t *pending, int64_t *deleted);
int sns_subs_delete_topic(const char *topic_arn);

/* ---- sns_publish.c ---- */
/* Fans one message of a topic out to its subscriptions into the outbox (in the open transaction). */
typedef struct sns_message {
    const char *message_id;
    const char *message;    /* the text, or with MessageStructure=json the JSON object text */
    bool structure_json;
    const char *subject;    /* NULL: none */
    const json_t *attrs;    /* MessageAttributes as given (map), may be NULL */
    const char *group_id, *dedup_id; /* FIFO */
    const char *sequence_number;
    double timestamp;
    /* The Notification's signature made at publish, for signature version signed_version (1 or
     * 2): rows keep it when the topic's SignatureVersion is still that one. NULL: none. */
    const char *signature;
    int signed_version;
} sns_message_t;
int sns_fanout(nb_req_t *req, const sns_topic_t *t, const sns_message_t *m);
void sns_filters_free(void); /* the compiled filter policies kept (fini) */

/* ---- sns_deliver.c ---- */
/* Queues one delivery row (data: what the drain needs, taken) and starts the drain after commit. */
int sns_outbox_add(nb_req_t *req, const char *account, const char *region, const char *sub_arn, json_t *data_new);
/* Records a delivery SNS does not make itself (sms, email, application, firehose, lambda): read by the
 * developer endpoints. */
int sns_record(const char *account, const char *region, const char *kind, const char *target, json_t *data_new);
void sns_drain_schedule(void); /* drains the outbox on a coming loop turn */
void sns_deliver_fini(void);
void sns_deliver_reset(void); /* after a state reset */

/* ---- sns_dev.c ---- */
int sns_dev_register(nb_plugin_t *self);

/* ---- handlers ---- */
#define SNS_OP(name) nb_result_t name(nb_req_t *req, const json_t *in)
SNS_OP(sns_create_topic); SNS_OP(sns_delete_topic); SNS_OP(sns_get_topic_attributes);
SNS_OP(sns_set_topic_attributes); SNS_OP(sns_list_topics); SNS_OP(sns_add_permission);
SNS_OP(sns_remove_permission); SNS_OP(sns_get_data_protection_policy); SNS_OP(sns_put_data_protection_policy);
SNS_OP(sns_tag_resource); SNS_OP(sns_untag_resource); SNS_OP(sns_list_tags_for_resource);
SNS_OP(sns_subscribe); SNS_OP(sns_confirm_subscription); SNS_OP(sns_unsubscribe);
SNS_OP(sns_get_subscription_attributes); SNS_OP(sns_set_subscription_attributes);
SNS_OP(sns_list_subscriptions); SNS_OP(sns_list_subscriptions_by_topic);
SNS_OP(sns_publish); SNS_OP(sns_publish_batch);
SNS_OP(sns_create_platform_application); SNS_OP(sns_delete_platform_application);
SNS_OP(sns_get_platform_application_attributes); SNS_OP(sns_set_platform_application_attributes);
SNS_OP(sns_list_platform_applications); SNS_OP(sns_create_platform_endpoint); SNS_OP(sns_delete_endpoint);
SNS_OP(sns_get_endpoint_attributes); SNS_OP(sns_set_endpoint_attributes);
SNS_OP(sns_list_endpoints_by_platform_application);
SNS_OP(sns_get_sms_attributes); SNS_OP(sns_set_sms_attributes); SNS_OP(sns_check_if_phone_number_is_opted_out);
SNS_OP(sns_list_phone_numbers_opted_out); SNS_OP(sns_opt_in_phone_number); SNS_OP(sns_get_sms_sandbox_account_status);
SNS_OP(sns_create_sms_sandbox_phone_number); SNS_OP(sns_delete_sms_sandbox_phone_number);
SNS_OP(sns_verify_sms_sandbox_phone_number); SNS_OP(sns_list_sms_sandbox_phone_numbers);
SNS_OP(sns_list_origination_numbers);
/* Publish to a platform endpoint (TargetArn) or a phone number: recorded (sns_platform.c, sns_sms.c). */
nb_result_t sns_publish_to_endpoint(nb_req_t *req, const json_t *in, const char *message_id);
nb_result_t sns_publish_to_phone(nb_req_t *req, const json_t *in, const char *message_id);
/* E.164: '+' and 1 to 15 digits. */
bool sns_phone_valid(const char *phone);

#endif
