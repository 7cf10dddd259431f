/* Messages: Publish's MessageAttributes checked as SNS checks them, and the JSON envelope SNS
 * wraps a message in (signed, with its SigningCertURL and UnsubscribeURL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

static bool is_number(const char *v) {
    char *end;
    if (v == NULL || *v == '\0')
        return false;
    strtod(v, &end);
    return *end == '\0';
}

#define VALUE_INVALID "ParameterValueInvalid"

bool sns_message_attributes_check(const json_t *attrs, sns_fault_t *f) {
    if (json_object_size(attrs) > 10)
        return sns_fault(f, "InvalidParameter", "Invalid parameter: MessageAttributes Reason: Number of message "
                         "attributes [%zu] exceeds the allowed maximum [10].", json_object_size(attrs));
    const char *name;
    const json_t *a;
    json_object_foreach((json_t *)attrs, name, a) {
        size_t n = strlen(name);
        if (n == 0 || n > 256 || name[0] == '.' || name[n - 1] == '.' || strstr(name, "..") ||
            strncmp(name, "AWS.", 4) == 0 || strncmp(name, "Amazon.", 7) == 0 ||
            strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != n)
            return sns_fault(f, "InvalidParameter",
                             "Invalid parameter: MessageAttributes Reason: Invalid attribute name: %s", name);
        const char *type = nb_json_str(a, "DataType");
        const char *sv = nb_json_str(a, "StringValue");
        const json_t *bv = json_object_get(a, "BinaryValue");
        if (type == NULL || !(strncmp(type, "String", 6) == 0 || strncmp(type, "Number", 6) == 0 ||
                              strncmp(type, "Binary", 6) == 0))
            return sns_fault(f, VALUE_INVALID,
                             "The message attribute '%s' has an invalid message attribute type, the set of "
                             "supported type prefixes is Binary, Number, and String.", name);
        const char *base = strncmp(type, "Binary", 6) == 0 ? "Binary" : strncmp(type, "Number", 6) == 0 ? "Number" : "String";
        if (strcmp(base, "Binary") == 0) {
            if (bv == NULL)
                return sns_fault(f, VALUE_INVALID, "The message attribute '%s' with type 'Binary' must use field "
                                 "'Binary'.", name);
            continue;
        }
        if (sv == NULL && bv != NULL)
            return sns_fault(f, VALUE_INVALID, "The message attribute '%s' with type '%s' must use field 'String'.",
                             name, base);
        if (sv == NULL || *sv == '\0')
            return sns_fault(f, VALUE_INVALID, "The message attribute '%s' must contain non-empty message attribute "
                             "value for message attribute type '%s'.", name, base);
        if (strcmp(base, "Number") == 0 && !is_number(sv))
            return sns_fault(f, VALUE_INVALID, "Could not cast message attribute '%s' value to number.", name);
        if (strcmp(type, "String.Array") == 0) {
            json_t *doc = json_loads(sv, JSON_DECODE_ANY, NULL);
            bool ok = json_is_array(doc);
            json_decref(doc);
            if (!ok)
                return sns_fault(f, VALUE_INVALID, "The message attribute '%s' with type 'String.Array' has an "
                                 "invalid value.", name);
        }
    }
    return true;
}

json_t *sns_message_attributes_envelope(const json_t *attrs) {
    json_t *out = json_object();
    const char *name;
    const json_t *a;
    json_object_foreach((json_t *)attrs, name, a) {
        const char *type = nb_json_str(a, "DataType");
        const json_t *bv = json_object_get(a, "BinaryValue");
        if (type && strncmp(type, "Binary", 6) == 0 && json_is_string(bv)) {
            size_t n = json_string_length(bv);
            char *b64 = malloc(NB_BASE64_SIZE(n));
            if (b64 && nb_base64_encode(json_string_value(bv), n, 0, b64, NB_BASE64_SIZE(n)) >= 0)
                json_object_set_new(out, name, json_pack("{s:s,s:s}", "Type", type, "Value", b64));
            free(b64);
        } else if (type) {
            const char *sv = nb_json_str(a, "StringValue");
            json_object_set_new(out, name, json_pack("{s:s,s:s}", "Type", type, "Value", sv ? sv : ""));
        }
    }
    return out;
}

/* Appends "Key\nValue\n" to the text being signed. */
static void sign_add(char **text, size_t *len, const char *key, const char *value) {
    if (value == NULL || *text == NULL)
        return;
    size_t k = strlen(key), v = strlen(value);
    char *grown = realloc(*text, *len + k + v + 3);
    if (grown == NULL) {
        free(*text);
        *text = NULL;
        return;
    }
    memcpy(grown + *len, key, k);
    grown[*len + k] = '\n';
    memcpy(grown + *len + k + 1, value, v);
    grown[*len + k + 1 + v] = '\n';
    *len += k + v + 2;
    grown[*len] = '\0';
    *text = grown;
}

/* The string SNS signs: AWS's fields in their order, each "Name\nvalue\n" (malloc'd, NULL when out
 * of memory). A Notification's leaves out the subscription (UnsubscribeURL), so one signature serves
 * every subscriber of a publish. */
static char *string_to_sign(const char *type, const char *message, const char *message_id, const char *subject,
                            const char *subscribe_url, const char *ts, const char *token, const char *topic_arn) {
    bool notification = strcmp(type, "Notification") == 0;
    size_t len = 0;
    char *text = calloc(1, 1);
    sign_add(&text, &len, "Message", message);
    sign_add(&text, &len, "MessageId", message_id);
    if (notification) {
        sign_add(&text, &len, "Subject", subject);
    } else {
        sign_add(&text, &len, "SubscribeURL", subscribe_url);
    }
    sign_add(&text, &len, "Timestamp", ts);
    if (!notification)
        sign_add(&text, &len, "Token", token);
    sign_add(&text, &len, "TopicArn", topic_arn);
    sign_add(&text, &len, "Type", type);
    return text;
}

char *sns_notification_string_to_sign(const char *message_id, const char *topic_arn, const char *subject,
                                      const char *message, double timestamp) {
    char ts[NB_TIME_SIZE];
    nb_time_format(timestamp, NB_TIME_ISO8601_MS, ts, sizeof ts);
    return string_to_sign("Notification", message, message_id, subject, NULL, ts, NULL, topic_arn);
}

/* The last Notification written for a subscriber, without its UnsubscribeURL: a publish's rows
 * differ only there, so the drain writes the rest (the escaped message, the signature) once a
 * fan-out instead of once a subscriber. The text is head, the subscriber's UnsubscribeURL member,
 * tail. Keyed by what the text shows but MessageAttributes (every row of a MessageId carries the
 * same ones). Loop thread only. */
static struct {
    char *message_id, *topic_arn, *subject, *message, *sequence_number, *signature_version, *presigned;
    double timestamp;
    char *head, *tail;
} last_env;

static bool same(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

void sns_envelope_cache_free(void) {
    char **texts[] = {&last_env.message_id, &last_env.topic_arn, &last_env.subject, &last_env.message,
                      &last_env.sequence_number, &last_env.signature_version, &last_env.presigned,
                      &last_env.head, &last_env.tail};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        free(*texts[i]);
        *texts[i] = NULL;
    }
}

static char *copy_or_null(const char *s, bool *failed) {
    char *c = s ? strdup(s) : NULL;
    *failed |= s && c == NULL;
    return c;
}

/* Keeps a Notification's text (out), whose UnsubscribeURL member spans [unsub_from, unsub_to). */
static void envelope_keep(const char *out, size_t unsub_from, size_t unsub_to, const char *message_id,
                          const char *topic_arn, const char *subject, const char *message, double timestamp,
                          const char *sequence_number, const char *signature_version, const char *presigned) {
    sns_envelope_cache_free();
    bool failed = false;
    last_env.message_id = copy_or_null(message_id, &failed);
    last_env.topic_arn = copy_or_null(topic_arn, &failed);
    last_env.subject = copy_or_null(subject, &failed);
    last_env.message = copy_or_null(message, &failed);
    last_env.sequence_number = copy_or_null(sequence_number, &failed);
    last_env.signature_version = copy_or_null(signature_version, &failed);
    last_env.presigned = copy_or_null(presigned, &failed);
    last_env.timestamp = timestamp;
    last_env.head = strndup(out, unsub_from);
    last_env.tail = strdup(out + unsub_to);
    if (failed || last_env.head == NULL || last_env.tail == NULL)
        sns_envelope_cache_free();
}

/* The kept text with this subscriber's UnsubscribeURL (malloc'd), or NULL when it does not fit. */
static char *envelope_again(const char *message_id, const char *topic_arn, const char *subject, const char *message,
                            double timestamp, const char *sequence_number, const char *signature_version,
                            const char *presigned, const char *unsubscribe_url) {
    if (last_env.head == NULL || !same(last_env.message_id, message_id) || !same(last_env.message, message) ||
        last_env.timestamp != timestamp || !same(last_env.topic_arn, topic_arn) || !same(last_env.subject, subject) ||
        !same(last_env.sequence_number, sequence_number) || !same(last_env.signature_version, signature_version) ||
        !same(last_env.presigned, presigned))
        return NULL;
    sns_json_out_t member = {.members = 1}; /* after others: the member alone, with its comma */
    sns_json_out_string(&member, "UnsubscribeURL", unsubscribe_url);
    if (member.failed || member.text == NULL)
        return NULL;
    size_t head = strlen(last_env.head), tail = strlen(last_env.tail);
    char *out = malloc(head + member.len + tail + 1);
    if (out) {
        memcpy(out, last_env.head, head);
        memcpy(out + head, member.text, member.len);
        memcpy(out + head + member.len, last_env.tail, tail + 1);
    }
    free(member.text);
    return out;
}

char *sns_envelope(const char *type, const char *message_id, const char *topic_arn, const char *subject,
                   const char *message, double timestamp, const char *token, const char *sub_arn,
                   const json_t *attrs, const char *sequence_number, const char *signature_version,
                   const char *presigned) {
    char ts[NB_TIME_SIZE], base[256];
    sns_base_url(base, sizeof base);
    bool notification = strcmp(type, "Notification") == 0;
    char *subscribe_url = NULL, *unsubscribe_url = NULL, *cert_url = NULL;
    if (sub_arn && asprintf(&unsubscribe_url, "%s/?Action=Unsubscribe&SubscriptionArn=%s", base, sub_arn) < 0)
        unsubscribe_url = NULL;
    bool keep = notification && unsubscribe_url;
    if (keep) {
        char *again = envelope_again(message_id, topic_arn, subject, message, timestamp, sequence_number,
                                     signature_version, presigned, unsubscribe_url);
        if (again) {
            free(unsubscribe_url);
            return again;
        }
    }
    nb_time_format(timestamp, NB_TIME_ISO8601_MS, ts, sizeof ts);
    int version = signature_version && strcmp(signature_version, "2") == 0 ? 2 : 1;
    if (!notification && token &&
        asprintf(&subscribe_url, "%s/?Action=ConfirmSubscription&TopicArn=%s&Token=%s", base, topic_arn, token) < 0)
        subscribe_url = NULL;
    if (asprintf(&cert_url, "%s/_aws/sns/SimpleNotificationService-nimbus.pem", base) < 0)
        cert_url = NULL;

    char *signature = NULL;
    if (presigned) {
        signature = strdup(presigned);
    } else {
        char *text = string_to_sign(type, message, message_id, subject, subscribe_url, ts, token, topic_arn);
        signature = text ? sns_sign(text, version) : NULL;
        free(text);
    }

    sns_json_out_t env = {0};
    sns_json_out_string(&env, "Type", type);
    sns_json_out_string(&env, "MessageId", message_id);
    if (!notification && token)
        sns_json_out_string(&env, "Token", token);
    sns_json_out_string(&env, "TopicArn", topic_arn);
    if (notification && subject)
        sns_json_out_string(&env, "Subject", subject);
    sns_json_out_string(&env, "Message", message);
    if (subscribe_url)
        sns_json_out_string(&env, "SubscribeURL", subscribe_url);
    sns_json_out_string(&env, "Timestamp", ts);
    if (sequence_number)
        sns_json_out_string(&env, "SequenceNumber", sequence_number);
    sns_json_out_string(&env, "SignatureVersion", version == 2 ? "2" : "1");
    sns_json_out_string(&env, "Signature", signature ? signature : "");
    sns_json_out_string(&env, "SigningCertURL", cert_url ? cert_url : "");
    size_t unsub_from = env.len;
    if (notification && unsubscribe_url)
        sns_json_out_string(&env, "UnsubscribeURL", unsubscribe_url);
    size_t unsub_to = env.len;
    if (notification && json_object_size(attrs) > 0)
        sns_json_out_value(&env, "MessageAttributes", attrs);
    char *out = sns_json_out_end(&env);
    /* a signature that failed is not kept: the next subscriber's envelope tries again */
    if (keep && out && signature && cert_url)
        envelope_keep(out, unsub_from, unsub_to, message_id, topic_arn, subject, message, timestamp, sequence_number,
                      signature_version, presigned);
    free(signature);
    free(subscribe_url);
    free(unsubscribe_url);
    free(cert_url);
    return out;
}
