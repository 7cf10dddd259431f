/* Bucket CORS applied to browser requests, as S3 (and LocalStack's S3 CORS handler) does:
 * a preflight (OPTIONS, the overlay's PreflightBucket/PreflightObject) is answered from the
 * bucket's CORS rules, and an actual request with an Origin gets the headers of the rule that
 * matches it, and no CORS headers when none does (the gateway adds none to S3's actual requests).
 * The gateway has refused requests from origins it does not allow before S3 sees them.
 * DISABLE_CUSTOM_CORS_S3=1 leaves S3 to the gateway's default CORS (the rules are ignored). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3_plugin.h"

/* pattern with at most one '*' (S3 allows one per AllowedOrigin / AllowedHeader). */
static bool glob_match(const char *pattern, const char *s, bool nocase) {
    const char *star = strchr(pattern, '*');
    size_t n = strlen(s);
    int (*cmp)(const char *, const char *, size_t) = nocase ? strncasecmp : strncmp;
    if (star == NULL)
        return strlen(pattern) == n && cmp(pattern, s, n) == 0;
    size_t pre = (size_t)(star - pattern), post = strlen(star + 1);
    return n >= pre + post && cmp(pattern, s, pre) == 0 && cmp(star + 1, s + n - post, post) == 0;
}

static bool list_matches(const json_t *list, const char *value, bool nocase) {
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (json_is_string(v) && glob_match(json_string_value(v), value, nocase))
            return true;
    }
    return false;
}

/* Every header of a comma-separated Access-Control-Request-Headers is allowed by the rule. */
static bool headers_allowed(const json_t *allowed, const char *requested) {
    if (requested == NULL)
        return true;
    char name[256];
    const char *p = requested;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = 0;
        while (*p && *p != ',' && n + 1 < sizeof name)
            name[n++] = (char)tolower((unsigned char)*p++);
        while (n && name[n - 1] == ' ')
            n--;
        name[n] = '\0';
        if (n && !list_matches(allowed, name, true))
            return false;
    }
    return true;
}

static const json_t *match_rule(const json_t *cors, const char *origin, const char *method, const char *req_headers) {
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(cors, "CORSRules"), i, rule) {
        if (!list_matches(json_object_get(rule, "AllowedMethods"), method, false))
            continue;
        if (!list_matches(json_object_get(rule, "AllowedOrigins"), origin, false))
            continue;
        if (!headers_allowed(json_object_get(rule, "AllowedHeaders"), req_headers))
            continue;
        return rule;
    }
    return NULL;
}

static char *join(const json_t *list) {
    size_t i, len = 1;
    json_t *v;
    json_array_foreach(list, i, v) len += strlen(json_string_value(v) ? json_string_value(v) : "") + 2;
    char *out = malloc(len);
    if (out == NULL)
        return NULL;
    out[0] = '\0';
    json_array_foreach(list, i, v) {
        if (!json_is_string(v))
            continue;
        if (out[0])
            strcat(out, ", ");
        strcat(out, json_string_value(v));
    }
    return out;
}

/* The headers of a matched rule, as output members (the names of PreflightOutput). */
static json_t *rule_headers(const json_t *rule, const char *origin, const char *req_headers) {
    json_t *h = json_object();
    bool wildcard = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rule, "AllowedOrigins"), i, v) wildcard =
        wildcard || (json_is_string(v) && strcmp(json_string_value(v), "*") == 0);
    json_object_set_new(h, "AccessControlAllowOrigin", json_string(wildcard ? "*" : origin));
    if (!wildcard)
        json_object_set_new(h, "AccessControlAllowCredentials", json_string("true"));
    json_object_set_new(h, "Vary", json_string("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"));
    char *methods = join(json_object_get(rule, "AllowedMethods"));
    if (methods)
        json_object_set_new(h, "AccessControlAllowMethods", json_string(methods));
    free(methods);
    if (req_headers) {
        char *lower = strdup(req_headers);
        for (char *c = lower; c && *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (lower)
            json_object_set_new(h, "AccessControlAllowHeaders", json_string(lower));
        free(lower);
    }
    if (json_array_size(json_object_get(rule, "ExposeHeaders"))) {
        char *expose = join(json_object_get(rule, "ExposeHeaders"));
        if (expose)
            json_object_set_new(h, "AccessControlExposeHeaders", json_string(expose));
        free(expose);
    }
    const json_t *age = json_object_get(rule, "MaxAgeSeconds");
    if (json_is_integer(age)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(age));
        json_object_set_new(h, "AccessControlMaxAge", json_string(buf));
    }
    return h;
}

static nb_result_t forbidden(nb_req_t *req, const char *method, const char *type, const char *msg) {
    return nb_error_fields(req, "AccessForbidden",
                           json_pack("{s:s,s:s}", "Method", method ? method : "OPTIONS", "ResourceType", type), "%s",
                           msg);
}

nb_result_t s3_preflight(nb_req_t *req, const json_t *in) {
    const char *origin = nb_json_str(in, "Origin");
    const char *method = nb_json_str(in, "AccessControlRequestMethod");
    const char *req_headers = nb_json_str(in, "AccessControlRequestHeaders");
    if (origin == NULL)
        return nb_error_code(req, "BadRequest", 400, "Insufficient information. Origin request header needed.");
    s3_bucket_t b;
    int rc = s3_bucket_find(nb_json_str(in, "Bucket"), &b);
    if (rc < 0)
        return NB_FAILED(rc);
    if (rc == 0) /* not a bucket, so maybe another service's path (an SQS queue URL): the gateway's default */
        return nb_reply_new(req, NULL);
    json_t *cors = s3_config_load(b.name, "cors");
    if (cors == NULL || json_is_null(cors)) {
        json_decref(cors);
        return forbidden(req, method, "BUCKET", "CORSResponse: CORS is not enabled for this bucket.");
    }
    const json_t *rule = match_rule(cors, origin, method ? method : "OPTIONS", req_headers);
    if (rule == NULL) {
        json_decref(cors);
        return forbidden(req, method, "OBJECT",
                         "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
                         "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
                         "are not whitelisted by the resource's CORS spec.");
    }
    json_t *out = rule_headers(rule, origin, req_headers);
    json_decref(cors);
    return nb_reply_new(req, out);
}

/* The HTTP method of an S3 operation (what a CORS rule's AllowedMethods lists). */
static const char *op_method(const char *op) {
    static const struct {
        const char *op, *method;
    } post[] = {{"PostObject", "POST"},           {"DeleteObjects", "POST"},   {"CreateMultipartUpload", "POST"},
                {"CompleteMultipartUpload", "POST"}, {"RestoreObject", "POST"}, {"SelectObjectContent", "POST"},
                {"AbortMultipartUpload", "DELETE"},  {"CopyObject", "PUT"},     {"UploadPart", "PUT"},
                {"UploadPartCopy", "PUT"},           {"CreateBucket", "PUT"}};
    if (op == NULL)
        return "GET";
    for (size_t i = 0; i < sizeof post / sizeof post[0]; i++)
        if (strcmp(op, post[i].op) == 0)
            return post[i].method;
    if (strncmp(op, "Head", 4) == 0)
        return "HEAD";
    if (strncmp(op, "Put", 3) == 0)
        return "PUT";
    if (strncmp(op, "Delete", 6) == 0)
        return "DELETE";
    return "GET";
}

static const struct {
    const char *member, *header;
} header_names[] = {{"AccessControlAllowOrigin", "Access-Control-Allow-Origin"},
                    {"AccessControlAllowCredentials", "Access-Control-Allow-Credentials"},
                    {"AccessControlAllowMethods", "Access-Control-Allow-Methods"},
                    {"AccessControlExposeHeaders", "Access-Control-Expose-Headers"},
                    {"AccessControlMaxAge", "Access-Control-Max-Age"},
                    {"Vary", "Vary"}};

void s3_cors_actual(nb_req_t *req, const char *bucket) {
    const char *origin = nb_req_header(req, "Origin");
    if (origin == NULL) /* most requests: no setting to read */
        return;
    const char *op = nb_req_operation(req);
    const char *disabled = nb_config_get("DISABLE_CUSTOM_CORS_S3");
    if ((op && strncmp(op, "Preflight", 9) == 0) || (disabled && strcmp(disabled, "1") == 0))
        return;
    json_t *cors = s3_config_load(bucket, "cors");
    const json_t *rule = json_is_object(cors) ? match_rule(cors, origin, op_method(op), NULL) : NULL;
    if (rule) {
        json_t *h = rule_headers(rule, origin, NULL);
        for (size_t i = 0; i < sizeof header_names / sizeof header_names[0]; i++) {
            const char *v = nb_json_str(h, header_names[i].member);
            if (v)
                nb_reply_header(req, header_names[i].header, v);
        }
        json_decref(h);
    }
    json_decref(cors);
}
