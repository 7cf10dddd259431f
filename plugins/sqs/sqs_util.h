/*
 * SQS rules that need no server: names, attribute checksums, URLs and ARNs,
 * receipt handles, message attribute validation. Pure functions over jansson
 * and OpenSSL, so the Criterion tests link them without the plugin ABI.
 */
#ifndef SQS_UTIL_H
#define SQS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define SQS_MAX_MESSAGE_BYTES 1048576 /* 1 MiB, body plus attributes (AWS raised it from 256 KiB in 2025) */
#define SQS_MAX_MESSAGE_TEXT "1048576"
#define SQS_MAX_BATCH 10
#ifndef SQS_MAX_INFLIGHT /* a test may lower it */
#define SQS_MAX_INFLIGHT 120000
#endif
#define SQS_OVERLIMIT (-1000) /* receive(): the in-flight cap is reached */
#define SQS_DEDUP_WINDOW 300.0

/* Hex MD5 of len bytes into out[33]. */
void sqs_md5_hex(const void *data, size_t len, char out[33]);

/*
 * The MD5 AWS computes over message attributes (user or system): names sorted
 * by their bytes; for each, a 4-byte big-endian length and the bytes of the
 * name, the same for DataType, then a transport byte (1 string, 2 binary) and
 * the length-prefixed value. attrs: object name -> {DataType, StringValue |
 * BinaryValue}. Returns false (out empty) when attrs is empty or NULL.
 */
bool sqs_attributes_md5(const json_t *attrs, char out[33]);

/* Queue names: 1-80 of [A-Za-z0-9_-], a FIFO queue's ending in ".fifo". */
bool sqs_queue_name_valid(const char *name, bool fifo);

/* AddPermission's Actions: what another account may be granted on a queue. */
#define SQS_MAX_PERMISSION_ACTIONS 7
typedef enum sqs_permission {
    SQS_PERMISSION_GRANTABLE,  /* "*", SendMessage, ReceiveMessage, ... */
    SQS_PERMISSION_OWNER_ONLY, /* queue administration: AddPermission, SetQueueAttributes, ... */
    SQS_PERMISSION_UNKNOWN,    /* not an SQS action */
} sqs_permission_t;
sqs_permission_t sqs_permission_action(const char *action);
/* Batch entry ids: 1-80 of [A-Za-z0-9_-]. */
bool sqs_batch_id_valid(const char *id);
/* MessageGroupId, MessageDeduplicationId: 1-128 letters, digits and punctuation
 * (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~), no space. */
bool sqs_fifo_id_valid(const char *id);

/*
 * Splits a queue URL of any host form (http://127.0.0.1:4566/000000000000/q,
 * http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/q,
 * https://sqs.us-east-1.amazonaws.com/000000000000/q, /000000000000/q,
 * http://localhost:4566/queue/us-east-1/000000000000/q) into
 * account and name; region is set when the host names one (else left empty).
 * false when the URL has no account/name path.
 */
bool sqs_parse_queue_url(const char *url, char account[16], char region[32], char name[96]);
/* arn:aws:sqs:<region>:<account>:<name> */
bool sqs_parse_arn(const char *arn, char account[16], char region[32], char name[96]);

/*
 * Receipt handles carry the queue, the message row and the receive count, plus
 * a random part, base64-encoded. false when handle is not one of ours.
 */
char *sqs_receipt_new(int64_t qid, int64_t seq, int64_t receives);
bool sqs_receipt_parse(const char *handle, int64_t *qid, int64_t *seq, int64_t *receives);

/*
 * Checks message attributes as AWS does (count, names, data types, values).
 * On failure returns false with msg (size n) the InvalidParameterValue message.
 * *bytes gets the size they count toward the message size limit.
 */
bool sqs_message_attributes_check(const json_t *attrs, size_t *bytes, char *msg, size_t n);
/* The values of obj's members named in names[0..n) into vals (NULL when absent), in one walk of
 * obj's keys: a request carries a few of the members a handler asks about. */
void sqs_json_members(const json_t *obj, const char *const names[], const json_t *vals[], size_t n);

/* Body characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
bool sqs_body_chars_valid(const char *body, size_t len);

/* The queue attribute names AWS knows (settable or read-only). */
bool sqs_attribute_known(const char *name);
/* Whether a message attribute name matches a MessageAttributeNames filter entry
 * ("All", ".*", "prefix.*", or the exact name). */
bool sqs_attribute_selected(const json_t *filter, const char *name);

#endif
