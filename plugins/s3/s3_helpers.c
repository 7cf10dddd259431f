/* S3: helpers every handler uses (input members, ids, dates, the common errors, presigned URL
 * expiry, the bucket a request names, object URLs); the plugin's descriptor is s3_plugin.c, its
 * object model s3_model.c. */
#include "s3_plugin.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* jansson's own reader and printer on a core before ABI 1.9. */
json_t *s3_json_load(const char *text, size_t len) {
    if (text == NULL)
        return NULL;
    return NB_API_HAS(json_parse) ? nb_json_parse(text, len) : json_loadb(text, len, JSON_DECODE_ANY, NULL);
}

json_t *s3_json_load_object(const char *text, size_t len) {
    json_t *v = s3_json_load(text, len);
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

char *s3_json_text(const json_t *v) {
    if (v == NULL)
        return NULL;
    return NB_API_HAS(json_text) ? nb_json_text(v) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void s3_random_hex(char out[33]) { nb_random_id(NB_ID_HEX, 32, out); }

void s3_version_id(char out[33]) {
    nb_random_id("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._", 32, out);
}

double s3_http_date(const char *s) {
    double t;
    /* dates only: a bare number is no HTTP date (an If-Modified-Since of "12345" is ignored) */
    if (s == NULL || s[strspn(s, "0123456789.")] == '\0' || nb_time_parse(s, &t) != 0)
        return -1;
    return t;
}

json_t *s3_owner(const char *account) {
    return json_pack("{s:s,s:s}", "DisplayName", "webfile", "ID",
                     "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a");
    (void)account;
}

nb_result_t s3_err_no_bucket(nb_req_t *req, const char *name) {
    return nb_error_fields(req, "NoSuchBucket", json_pack("{s:s}", "BucketName", name ? name : ""),
                           "The specified bucket does not exist");
}

nb_result_t s3_err_no_key(nb_req_t *req, const char *key) {
    return nb_error_fields(req, "NoSuchKey", json_pack("{s:s}", "Key", key ? key : ""),
                           "The specified key does not exist.");
}

static void iso_time(double t, char out[32]) { nb_time_format(t, NB_TIME_ISO8601_SECONDS, out, 32); }

/* X-Amz-Date in its one form, 20240101T000000Z: -1 for any other text. */
static double amz_date(const char *s) {
    double t;
    char again[NB_TIME_SIZE];
    if (nb_time_parse(s, &t) != 0 || nb_time_format(t, NB_TIME_ISO8601_BASIC, again, sizeof again) < 0 ||
        strcmp(again, s) != 0)
        return -1;
    return t;
}

nb_step_t s3_check_presigned(nb_req_t *req) {
    char date[40], expires[40], now_s[32], end_s[32];
    double now = nb_now();
    if (nb_req_query(req, "X-Amz-Expires", expires, sizeof expires) >= 0 &&
        nb_req_query(req, "X-Amz-Date", date, sizeof date) >= 0) {
        double signed_at = amz_date(date);
        char *stop = NULL;
        long secs = strtol(expires, &stop, 10);
        if (signed_at < 0 || stop == expires || *stop != '\0' || secs < 0)
            return nb_stop(nb_error_code(req, "AuthorizationQueryParametersError", 400,
                                 "X-Amz-Expires should be a number and X-Amz-Date a date like 20240101T000000Z"));
        if (secs > 604800)
            return nb_stop(nb_error_code(req, "AuthorizationQueryParametersError", 400,
                                 "X-Amz-Expires must be less than a week (in seconds) that is 604800"));
        double until = signed_at + (double)secs;
        if (now > until) {
            iso_time(until, end_s);
            iso_time(now, now_s);
            return nb_stop(nb_error_fields(req, "AccessDenied",
                                   json_pack("{s:s,s:s,s:s}", "X-Amz-Expires", expires, "Expires", end_s,
                                             "ServerTime", now_s),
                                   "Request has expired"));
        }
    } else if (nb_req_query(req, "Signature", date, sizeof date) >= 0 &&
               nb_req_query(req, "Expires", expires, sizeof expires) >= 0) {
        double until = strtod(expires, NULL);
        if (now > until) {
            iso_time(until, end_s);
            iso_time(now, now_s);
            return nb_stop(nb_error_fields(req, "AccessDenied", json_pack("{s:s,s:s}", "Expires", end_s, "ServerTime", now_s),
                                   "Request has expired"));
        }
    }
    return NB_GO_ON;
}

nb_step_t s3_bucket_load(nb_req_t *req, const char *name, s3_bucket_t *b) {
    NB_TRY_STEP(s3_check_presigned(req));
    NB_TRY_STEP(s3_check_small_body(req));
    int rc = s3_bucket_find(name, b);
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    if (rc == 0)
        return nb_stop(s3_err_no_bucket(req, name));
    s3_cors_actual(req, b->name);
    s3_logging_watch(req, b);
    return NB_GO_ON;
}

char *s3_location(nb_req_t *req, const char *bucket, const char *key) {
    const char *host = nb_req_host(req);
    if (host == NULL || *host == '\0')
        host = "localhost";
    size_t blen = strlen(bucket);
    /* virtual-host style: <bucket>.s3[.<region>].<domain>[:port] */
    bool vhost = strncmp(host, bucket, blen) == 0 && strncmp(host + blen, ".s3.", 4) == 0;
    size_t klen = strlen(key);
    char *enc = malloc(NB_URL_ENCODED_SIZE(klen));
    if (enc == NULL)
        return NULL;
    nb_url_encode(key, klen, NB_URL_KEEP_SLASH, enc, NB_URL_ENCODED_SIZE(klen));
    char *out = NULL;
    int n = vhost ? asprintf(&out, "http://%s/%s", host, enc) : asprintf(&out, "http://%s/%s/%s", host, bucket, enc);
    free(enc);
    return n < 0 ? NULL : out;
}

void s3_input_pick(const json_t *in, const char *const *names, size_t n, const json_t **vals) {
    for (size_t i = 0; i < n; i++)
        vals[i] = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v) {
        for (size_t i = 0; i < n; i++)
            if (key[0] == names[i][0] && strcmp(key, names[i]) == 0) {
                vals[i] = v;
                break;
            }
    }
}
