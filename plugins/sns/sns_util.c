/* What the SNS handlers share: errors, ARNs, paging tokens, stored JSON, tags. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sns.h"

nb_result_t sns_invalid(nb_req_t *req, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nb_error(req, "InvalidParameter", "Invalid parameter: %s", msg);
}

bool sns_fault(sns_fault_t *f, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    f->code = code;
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return false;
}

nb_result_t sns_fault_answer(nb_req_t *req, const sns_fault_t *f) { return nb_error(req, f->code, "%s", f->message); }

void sns_topic_arn(nb_req_t *req, const char *name, char out[SNS_ARN_SIZE]) {
    nb_arn_t a = {.service = "sns", .region = nb_req_region(req), .account = nb_req_account(req), .resource = name};
    if (nb_arn_format(&a, out, SNS_ARN_SIZE) < 0)
        out[0] = '\0';
}

int sns_arn_split(const char *arn, char region[32], char account[16], char rest[SNS_ARN_SIZE]) {
    char buf[SNS_ARN_SIZE * 2];
    nb_arn_t a;
    if (arn == NULL || strlen(arn) >= sizeof buf || nb_arn_parse(arn, &a, buf, sizeof buf) != 0 ||
        strcmp(a.service, "sns") != 0 || !*a.region || !*a.account)
        return -1;
    if (snprintf(region, 32, "%s", a.region) >= 32 || snprintf(account, 16, "%s", a.account) >= 16 ||
        snprintf(rest, SNS_ARN_SIZE, "%s", a.resource) >= SNS_ARN_SIZE)
        return -1;
    return 0;
}

/* Tokens are the row id of the page's last row, base64 so that clients treat them as opaque. */
int64_t sns_page_start(const char *token) {
    if (token == NULL || *token == '\0')
        return 0;
    char text[64];
    ssize_t n = nb_base64_decode(token, strlen(token), 0, text, sizeof text);
    if (n <= 0 || n >= (ssize_t)sizeof text)
        return -1;
    text[n] = '\0';
    char *end;
    long long v = strtoll(text, &end, 10);
    return (*end == '\0' && v > 0) ? v : -1;
}

static void page_token(json_t *out, const char *member, int64_t last_rowid) {
    char text[32], b64[NB_BASE64_SIZE(32)];
    int n = snprintf(text, sizeof text, "%lld", (long long)last_rowid);
    if (nb_base64_encode(text, (size_t)n, 0, b64, sizeof b64) > 0)
        json_object_set_new(out, member, json_string(b64));
}

json_t *sns_page(sqlite3_stmt *s, size_t page, json_t *out, const char *token_member, json_t *(*row)(sqlite3_stmt *s)) {
    json_t *list = json_array();
    int64_t last = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (json_array_size(list) == page) {
            page_token(out, token_member, last);
            break;
        }
        last = sqlite3_column_int64(s, 0);
        json_array_append_new(list, row(s));
    }
    sqlite3_reset(s);
    return list;
}

nb_result_t sns_list(nb_req_t *req, const json_t *in, const char *token_member, const char *sql,
                     const char *list_member, size_t page, json_t *(*row)(sqlite3_stmt *s)) {
    int64_t start = sns_page_start(nb_json_str(in, token_member));
    if (start < 0)
        return sns_invalid(req, "%s", token_member);
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req, sql);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, start);
    json_t *out = json_object();
    json_object_set_new(out, list_member, sns_page(s, page, out, token_member, row));
    return nb_reply_new(req, out);
}

int sns_save_json(const char *sql, const json_t *value, const char *arn) {
    char *text = sns_json_dump(value);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, sql);
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, text, -1, free);
    sqlite3_bind_text(s, 2, arn, -1, SQLITE_STATIC);
    return nb_store_run(s);
}

bool sns_json_object_text(const char *v) {
    json_t *doc = v ? json_loads(v, 0, NULL) : NULL;
    bool ok = json_is_object(doc);
    json_decref(doc);
    return ok;
}

/* Outbox rows and subscription attributes are parsed and written on every delivery: the core's
 * one-pass JSON (ABI 1.9) takes about a fifth of jansson's instructions there. */
json_t *sns_json_column(sqlite3_stmt *s, int col) {
    const char *text = (const char *)sqlite3_column_text(s, col);
    json_t *v = text == NULL                ? NULL
                : NB_API_HAS(json_parse) ? nb_json_parse(text, (size_t)sqlite3_column_bytes(s, col))
                                         : json_loads(text, 0, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

char *sns_json_dump(const json_t *v) {
    return NB_API_HAS(json_text) ? nb_json_text(v) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

bool sns_bool_text(const char *v, bool *out) {
    if (v && strcasecmp(v, "true") == 0)
        return *out = true, true;
    if (v && strcasecmp(v, "false") == 0)
        return *out = false, true;
    return false;
}

nb_step_t sns_tags_merge(nb_req_t *req, json_t *tags, const json_t *list) {
    size_t i;
    const json_t *t;
    json_array_foreach(list, i, t) {
        const char *k = nb_json_str(t, "Key"), *v = nb_json_str(t, "Value");
        if (k == NULL || *k == '\0' || strlen(k) > 128 || strncasecmp(k, "aws:", 4) == 0)
            return nb_stop(sns_invalid(req, "Tags Reason: Tag key is invalid"));
        if (v == NULL || strlen(v) > 256)
            return nb_stop(sns_invalid(req, "Tags Reason: Tag value is invalid"));
        json_object_set_new(tags, k, json_string(v));
    }
    if (json_object_size(tags) > 50)
        return nb_stop(nb_error(req, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded"));
    return NB_GO_ON;
}
