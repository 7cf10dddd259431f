#include "sqs_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nimbus/plugin.h>

void sqs_md5_hex(const void *data, size_t len, char out[33]) {
    unsigned char d[NB_DIGEST_MAX];
    nb_hex_encode(d, nb_digest(NB_DIGEST_MD5, data, len, d), 0, out, 33);
}

static void md5_len_prefixed(nb_digest_t *c, const char *s, size_t len) {
    unsigned char be[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                           (unsigned char)len};
    nb_digest_update(c, be, 4);
    nb_digest_update(c, s, len);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

bool sqs_attributes_md5(const json_t *attrs, char out[33]) {
    out[0] = '\0';
    size_t n = json_is_object(attrs) ? json_object_size(attrs) : 0;
    if (n == 0)
        return false;
    const char **names = malloc(n * sizeof *names);
    if (names == NULL)
        return false;
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)attrs, k, v) names[i++] = k;
    qsort(names, n, sizeof *names, cmp_str);
    nb_digest_t *c;
    if (nb_digest_new(NB_DIGEST_MD5, &c) != 0) {
        free(names);
        return false;
    }
    for (i = 0; i < n; i++) {
        const json_t *a = json_object_get(attrs, names[i]);
        const char *type = nb_json_str(a, "DataType");
        if (type == NULL)
            type = "";
        md5_len_prefixed(c, names[i], strlen(names[i]));
        md5_len_prefixed(c, type, strlen(type));
        const json_t *sv = json_object_get(a, "StringValue");
        const json_t *bv = json_object_get(a, "BinaryValue");
        if (json_is_string(sv)) {
            unsigned char t = 1;
            nb_digest_update(c, &t, 1);
            md5_len_prefixed(c, json_string_value(sv), json_string_length(sv));
        } else if (json_is_string(bv)) {
            unsigned char t = 2;
            nb_digest_update(c, &t, 1);
            md5_len_prefixed(c, json_string_value(bv), json_string_length(bv));
        }
    }
    unsigned char d[NB_DIGEST_MAX];
    nb_hex_encode(d, nb_digest_final(c, d), 0, out, 33);
    free(names);
    return true;
}

static bool name_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

bool sqs_queue_name_valid(const char *name, bool fifo) {
    if (name == NULL)
        return false;
    size_t len = strlen(name);
    if (len == 0 || len > 80)
        return false;
    size_t end = len;
    if (fifo) {
        if (len <= 5 || strcmp(name + len - 5, ".fifo") != 0)
            return false;
        end = len - 5;
    }
    for (size_t i = 0; i < end; i++)
        if (!name_char(name[i]))
            return false;
    return true;
}

bool sqs_batch_id_valid(const char *id) {
    if (id == NULL)
        return false;
    size_t len = strlen(id);
    if (len == 0 || len > 80)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char(id[i]))
            return false;
    return true;
}

bool sqs_fifo_id_valid(const char *id) {
    if (id == NULL)
        return false;
    size_t len = strlen(id);
    if (len == 0 || len > 128)
        return false;
    for (size_t i = 0; i < len; i++) /* letters, digits and punctuation: printable ASCII but space */
        if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
            return false;
    return true;
}

static bool copy_part(const char *s, size_t len, char *out, size_t cap) {
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

/* The region in sqs.<region>.<domain>, <region>.queue.<domain>, or none. */
static void host_region(const char *host, size_t len, char region[32]) {
    region[0] = '\0';
    const char *end = host + len;
    if (len > 4 && strncmp(host, "sqs.", 4) == 0) {
        const char *r = host + 4, *dot = memchr(r, '.', (size_t)(end - r));
        if (dot && dot - r >= 4 && dot - r < 32 && memchr(r, '-', (size_t)(dot - r)))
            copy_part(r, (size_t)(dot - r), region, 32);
        return;
    }
    /* <region>.queue.amazonaws.com, and LocalStack's domain strategy: <region>.queue.<LOCALSTACK_HOST> */
    const char *dot = memchr(host, '.', len);
    if (dot && (size_t)(end - dot) >= 7 && strncmp(dot, ".queue.", 7) == 0 && dot - host < 32 &&
        memchr(host, '-', (size_t)(dot - host)))
        copy_part(host, (size_t)(dot - host), region, 32);
}

bool sqs_parse_queue_url(const char *url, char account[16], char region[32], char name[96]) {
    region[0] = '\0';
    if (url == NULL)
        return false;
    const char *p = url;
    const char *scheme = strstr(p, "://");
    if (scheme) {
        const char *host = scheme + 3;
        const char *slash = strchr(host, '/');
        if (slash == NULL)
            return false;
        const char *colon = memchr(host, ':', (size_t)(slash - host));
        host_region(host, (size_t)((colon ? colon : slash) - host), region);
        p = slash;
    }
    while (*p == '/')
        p++;
    /* LocalStack's path strategy: /queue/<region>/<account>/<name> */
    if (strncmp(p, "queue/", 6) == 0) {
        const char *r = p + 6, *rs = strchr(r, '/');
        if (rs == NULL || !copy_part(r, (size_t)(rs - r), region, 32))
            return false;
        p = rs + 1;
    }
    const char *slash = strchr(p, '/');
    if (slash == NULL)
        return false;
    const char *n = slash + 1;
    size_t nlen = strcspn(n, "/?#");
    if (n[nlen] == '/' && n[nlen + 1] != '\0')
        return false;
    return copy_part(p, (size_t)(slash - p), account, 16) && copy_part(n, nlen, name, 96);
}

bool sqs_parse_arn(const char *arn, char account[16], char region[32], char name[96]) {
    char buf[256];
    nb_arn_t a;
    return nb_arn_parse(arn, &a, buf, sizeof buf) == 0 && strcmp(a.service, "sqs") == 0 &&
           copy_part(a.region, strlen(a.region), region, 32) && copy_part(a.account, strlen(a.account), account, 16) &&
           copy_part(a.resource, strlen(a.resource), name, 96);
}

/* Appends v in decimal at p; returns the end. */
static char *put_decimal(char *p, int64_t v) {
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *p++ = '-';
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

/* One per message a receive hands out: built by hand, not printf'd, and its random part is 12
 * bytes of the core's pool as hex (random_id would draw a 64-byte block for its 24 characters). */
char *sqs_receipt_new(int64_t qid, int64_t seq, int64_t receives) {
    unsigned char r[12];
    if (nb_random_bytes(r, sizeof r) != 0)
        return NULL;
    char raw[160];
    char *p = raw;
    memcpy(p, "nb1:", 4);
    p = put_decimal(p + 4, qid);
    *p++ = ':';
    p = put_decimal(p, seq);
    *p++ = ':';
    p = put_decimal(p, receives);
    *p++ = ':';
    p += nb_hex_encode(r, sizeof r, 0, p, raw + sizeof raw - p);
    size_t n = (size_t)(p - raw);
    char *out = malloc(NB_BASE64_SIZE(n));
    if (out)
        nb_base64_encode(raw, n, 0, out, NB_BASE64_SIZE(n));
    return out;
}

bool sqs_receipt_parse(const char *handle, int64_t *qid, int64_t *seq, int64_t *receives) {
    if (handle == NULL)
        return false;
    size_t len = strlen(handle);
    if (len == 0 || len > 200)
        return false;
    char raw[NB_BASE64_DECODED_SIZE(200)];
    if (nb_base64_decode(handle, len, 0, raw, sizeof raw) < 0)
        return false;
    char tail[64];
    long long q, s, r;
    if (sscanf(raw, "nb1:%lld:%lld:%lld:%63s", &q, &s, &r, tail) != 4)
        return false;
    *qid = q;
    *seq = s;
    *receives = r;
    return true;
}

bool sqs_message_attributes_check(const json_t *attrs, size_t *bytes, char *msg, size_t n) {
    *bytes = 0;
    if (attrs == NULL || !json_is_object(attrs))
        return true;
    if (json_object_size(attrs) > 10) {
        snprintf(msg, n, "Number of message attributes [%zu] exceeds the allowed maximum [10].",
                 json_object_size(attrs));
        return false;
    }
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)attrs, k, a) {
        size_t klen = strlen(k);
        bool ok = klen > 0 && klen <= 256 && k[0] != '.' && k[klen - 1] != '.' && strstr(k, "..") == NULL;
        for (size_t i = 0; ok && i < klen; i++)
            ok = name_char(k[i]) || k[i] == '.';
        if (!ok) {
            snprintf(msg, n,
                     "Message (user) attribute name '%s' is invalid. The attribute name can contain A-Z, a-z, 0-9, "
                     "underscore (_), hyphen (-), and period (.) characters.",
                     k);
            return false;
        }
        if (strncasecmp(k, "AWS.", 4) == 0 || strncasecmp(k, "Amazon.", 7) == 0) {
            snprintf(msg, n, "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These "
                             "prefixes are reserved for use by Amazon Web Services.");
            return false;
        }
        const char *type = nb_json_str(a, "DataType");
        if (type == NULL || type[0] == '\0') {
            snprintf(msg, n, "The message attribute '%s' must contain non-empty message attribute type.", k);
            return false;
        }
        bool is_bin = strncmp(type, "Binary", 6) == 0;
        bool is_str = strncmp(type, "String", 6) == 0 || strncmp(type, "Number", 6) == 0;
        if (!is_bin && !is_str) {
            snprintf(msg, n,
                     "The type of message (user) attribute '%s' is invalid. You must use only the following "
                     "supported type prefixes: Binary, Number, String.",
                     k);
            return false;
        }
        const json_t *sv = json_object_get(a, "StringValue");
        const json_t *bv = json_object_get(a, "BinaryValue");
        if ((json_object_get(a, "StringListValues") && json_array_size(json_object_get(a, "StringListValues"))) ||
            (json_object_get(a, "BinaryListValues") && json_array_size(json_object_get(a, "BinaryListValues")))) {
            snprintf(msg, n, "Message attribute list values in SendMessage operation are not supported.");
            return false;
        }
        if (is_str && (!json_is_string(sv) || json_string_length(sv) == 0)) {
            snprintf(msg, n,
                     "The message attribute '%s' must contain non-empty message attribute value for message "
                     "attribute type '%s'.",
                     k, strncmp(type, "Number", 6) == 0 ? "Number" : "String");
            return false;
        }
        if (is_bin && (!json_is_string(bv) || json_string_length(bv) == 0)) {
            snprintf(msg, n,
                     "The message attribute '%s' must contain non-empty message attribute value for message "
                     "attribute type 'Binary'.",
                     k);
            return false;
        }
        if (is_str && bv) {
            snprintf(msg, n, "The message attribute '%s' with type '%s' must use field 'String'.", k,
                     strncmp(type, "Number", 6) == 0 ? "Number" : "String");
            return false;
        }
        if (is_bin && sv) {
            snprintf(msg, n, "The message attribute '%s' with type 'Binary' must use field 'Binary'.", k);
            return false;
        }
        if (strncmp(type, "Number", 6) == 0) {
            const char *s = json_string_value(sv);
            char *end = NULL;
            strtod(s, &end);
            if (end == s || *end != '\0') {
                snprintf(msg, n, "Can't cast the value of message (user) attribute '%s' to a number.", k);
                return false;
            }
        }
        *bytes += klen + strlen(type) + (is_str ? json_string_length(sv) : json_string_length(bv));
    }
    return true;
}

void sqs_json_members(const json_t *obj, const char *const names[], const json_t *vals[], size_t n) {
    for (size_t i = 0; i < n; i++)
        vals[i] = NULL;
    /* an explicit iterator: jansson's foreach macro looks each key up again to step on */
    for (void *it = json_object_iter((json_t *)obj); it; it = json_object_iter_next((json_t *)obj, it)) {
        const char *k = json_object_iter_key(it);
        for (size_t i = 0; i < n; i++)
            if (names[i][0] == k[0] && strcmp(names[i], k) == 0) {
                vals[i] = json_object_iter_value(it);
                break;
            }
    }
}

/* Whether the 8 bytes of x are all 0x20-0x7f: no top bit, no borrow out of a byte below 0x20. */
static bool ascii_printable_word(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    return ((x | (x - ones * 0x20)) & highs) == 0;
}

bool sqs_body_chars_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    /* most bodies are printable ASCII, all of it allowed: eight bytes at a time while so */
    for (uint64_t x; end - p >= 8 && (memcpy(&x, p, 8), ascii_printable_word(x)); p += 8)
        ;
    while (p < end) {
        uint32_t c;
        size_t n;
        if (p[0] < 0x80) {
            c = p[0];
            n = 1;
        } else if ((p[0] & 0xe0) == 0xc0 && end - p >= 2) {
            c = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
            n = 2;
        } else if ((p[0] & 0xf0) == 0xe0 && end - p >= 3) {
            c = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
            n = 3;
        } else if ((p[0] & 0xf8) == 0xf0 && end - p >= 4) {
            c = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) | ((uint32_t)(p[2] & 0x3f) << 6) |
                (p[3] & 0x3f);
            n = 4;
        } else {
            return false;
        }
        if (!(c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
              (c >= 0x10000 && c <= 0x10ffff)))
            return false;
        p += n;
    }
    return true;
}

static const char *const known_attrs[] = {
    "All", "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
    "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication", "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit", "RedriveAllowPolicy",
    "SqsManagedSseEnabled", NULL,
};

bool sqs_attribute_known(const char *name) {
    for (size_t i = 0; name && known_attrs[i]; i++)
        if (strcmp(known_attrs[i], name) == 0)
            return true;
    return false;
}

bool sqs_attribute_selected(const json_t *filter, const char *name) {
    size_t i;
    json_t *f;
    json_array_foreach((json_t *)filter, i, f) {
        const char *s = json_string_value(f);
        if (s == NULL)
            continue;
        size_t len = strlen(s);
        if (strcmp(s, "All") == 0 || strcmp(s, ".*") == 0 || strcmp(s, name) == 0)
            return true;
        if (len > 2 && strcmp(s + len - 2, ".*") == 0 && strncmp(name, s, len - 1) == 0)
            return true;
    }
    return false;
}

/* AWS's SQS developer guide: cross-account permissions do not apply to these; asking for one
 * answers "Only the queue owner is allowed to invoke this action". */
static const char *const owner_only_actions[] = {
    "AddPermission", "CancelMessageMoveTask", "CreateQueue", "DeleteQueue", "ListMessageMoveTasks",
    "ListQueues", "ListQueueTags", "RemovePermission", "SetQueueAttributes", "StartMessageMoveTask",
    "TagQueue", "UntagQueue", NULL,
};

static const char *const grantable_actions[] = {
    "*", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "DeleteMessage", "DeleteMessageBatch",
    "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ReceiveMessage",
    "SendMessage", "SendMessageBatch", NULL,
};

static bool listed(const char *const *list, const char *s) {
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

sqs_permission_t sqs_permission_action(const char *action) {
    if (listed(grantable_actions, action))
        return SQS_PERMISSION_GRANTABLE;
    return listed(owner_only_actions, action) ? SQS_PERMISSION_OWNER_ONLY : SQS_PERMISSION_UNKNOWN;
}
