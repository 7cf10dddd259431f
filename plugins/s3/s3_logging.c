/*
 * S3 server access logging. PutBucketLogging checks its target bucket as S3 does. Every
 * request a bucket handler answers for a bucket with logging enabled is seen through
 * nb_req_on_complete (s3_bucket_load registers it): its record, in S3's server access log
 * format, waits in memory and is written with the others for the same target as one object
 * `<TargetPrefix>YYYY-mm-DD-HH-MM-SS-<16 hex>` every S3_LOG_DELIVERY_INTERVAL seconds.
 * Records still waiting are written when the server stops cleanly (SIGTERM), lost on a crash
 * (AWS's delivery is best effort too). Not logged: errors the core answers before a handler
 * runs (unknown operation, a bad Content-MD5, validation) and requests that name no bucket
 * (ListBuckets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3_plugin.h"

#define LOG_DELIVERY "http://acs.amazonaws.com/groups/s3/LogDelivery"

/* ------------------------------------------------------------ PutBucketLogging */

static bool grants_log_delivery(const json_t *grants) {
    bool write = false, read_acp = false;
    size_t i;
    const json_t *g;
    json_array_foreach(grants, i, g) {
        const char *uri = nb_json_str(json_object_get(g, "Grantee"), "URI");
        const char *perm = nb_json_str(g, "Permission");
        if (uri == NULL || perm == NULL || strcmp(uri, LOG_DELIVERY) != 0)
            continue;
        write = write || strcmp(perm, "WRITE") == 0 || strcmp(perm, "FULL_CONTROL") == 0;
        read_acp = read_acp || strcmp(perm, "READ_ACP") == 0 || strcmp(perm, "FULL_CONTROL") == 0;
    }
    return write && read_acp;
}

/* A statement of the bucket policy that allows the logging service principal. */
static bool policy_allows_logging(const char *bucket) {
    json_t *stored = s3_config_load(bucket, "policy");
    json_t *policy = json_is_string(stored) ? json_loads(json_string_value(stored), 0, NULL) : NULL;
    json_t *stmts = json_object_get(policy, "Statement");
    bool ok = false;
    size_t i;
    json_t *st;
    if (json_is_object(stmts))
        stmts = json_pack("[O]", stmts);
    else
        json_incref(stmts);
    json_array_foreach(stmts, i, st) {
        const char *effect = nb_json_str(st, "Effect");
        json_t *service = json_object_get(json_object_get(st, "Principal"), "Service");
        char *text = service ? json_dumps(service, JSON_ENCODE_ANY) : NULL;
        ok = ok || (effect && strcmp(effect, "Allow") == 0 && text && strstr(text, "logging.s3.amazonaws.com"));
        free(text);
    }
    json_decref(stmts);
    json_decref(policy);
    json_decref(stored);
    return ok;
}

/* The target's ObjectOwnership, NULL when never set. new reference in *stored. */
static const char *ownership(const char *bucket, json_t **stored) {
    *stored = s3_config_load(bucket, "ownership");
    return nb_json_str(json_array_get(json_object_get(*stored, "Rules"), 0), "ObjectOwnership");
}

nb_result_t s3_put_bucket_logging(nb_req_t *req, const json_t *in) {
    s3_bucket_t b, t;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const json_t *enabled = json_object_get(json_object_get(in, "BucketLoggingStatus"), "LoggingEnabled");
    const char *target = nb_json_str(enabled, "TargetBucket");
    if (enabled == NULL)
        return s3_config_put(req, in); /* an empty BucketLoggingStatus turns logging off */
    int rc;
    if ((rc = s3_bucket_find(target, &t)) < 0)
        return NB_FAILED(rc);
    if (rc == 0)
        return nb_error_fields(req, "InvalidTargetBucketForLogging",
                               json_pack("{s:s}", "TargetBucket", target ? target : ""),
                               "The target bucket for logging does not exist");
    if (strcmp(t.account, b.account) != 0)
        return nb_error_fields(req, "InvalidTargetBucketForLogging", json_pack("{s:s}", "TargetBucket", target),
                               "The owner for the bucket to be logged and the target bucket must be the same.");
    if (strcmp(t.region, b.region) != 0)
        return nb_error_code(req, "CrossLocationLoggingProhibitted", 403, "Cross S3 location logging not allowed. ");
    json_t *own_cfg;
    const char *own = ownership(t.name, &own_cfg);
    bool acls_enabled = own && strcmp(own, "BucketOwnerEnforced") != 0;
    bool enforced = own && !acls_enabled;
    json_decref(own_cfg);
    if (enforced && json_array_size(json_object_get(enabled, "TargetGrants")))
        return nb_error(req, "AccessControlListNotSupported",
                        "Target grants not allowed for bucket owner enforced buckets");
    /* With ACLs in effect S3 wants the log-delivery group's grants or a policy for the logging
     * service; without (BucketOwnerEnforced, S3's default) only the policy governs delivery,
     * which S3 does not check here. */
    if (acls_enabled) {
        json_t *acl = s3_config_load(t.name, "acl");
        bool granted = grants_log_delivery(acl);
        json_decref(acl);
        if (!granted && !policy_allows_logging(t.name))
            return nb_error_fields(req, "InvalidTargetBucketForLogging", json_pack("{s:s}", "TargetBucket", target),
                                   "You must either provide the necessary permissions to the logging service using "
                                   "a bucket policy or give the log-delivery group WRITE and READ_ACP permissions to "
                                   "the target bucket");
    }
    return s3_config_put(req, in);
}

/* ------------------------------------------------------------------ records */

typedef struct record {
    char *target, *prefix, *line;
    struct record *next;
} record_t;

static void record_free(record_t *r) {
    if (r) {
        free(r->target);
        free(r->prefix);
        free(r->line);
        free(r);
    }
}

/* One request being watched (at most one per request: its first bucket). */
typedef struct watch {
    nb_req_t *req;
    char bucket[64], owner[32], target[64], prefix[512];
    double started;
    struct watch *next;
} watch_t;

static watch_t *watching;
static record_t *pending, **pending_tail = &pending;
static nb_timer_t *delivery_timer;

static const struct {
    const char *op, *name;
} op_names[] = {
    {"PutObject", "REST.PUT.OBJECT"},
    {"GetObject", "REST.GET.OBJECT"},
    {"HeadObject", "REST.HEAD.OBJECT"},
    {"DeleteObject", "REST.DELETE.OBJECT"},
    {"CopyObject", "REST.COPY.OBJECT"},
    {"PostObject", "REST.POST.OBJECT"},
    {"DeleteObjects", "REST.POST.MULTI_OBJECT_DELETE"},
    {"RestoreObject", "REST.POST.RESTORE"},
    {"CreateBucket", "REST.PUT.BUCKET"},
    {"DeleteBucket", "REST.DELETE.BUCKET"},
    {"HeadBucket", "REST.HEAD.BUCKET"},
    {"ListObjects", "REST.GET.BUCKET"},
    {"ListObjectsV2", "REST.GET.BUCKET"},
    {"ListObjectVersions", "REST.GET.BUCKETVERSIONS"},
    {"GetBucketLocation", "REST.GET.LOCATION"},
    {"CreateMultipartUpload", "REST.POST.UPLOADS"},
    {"UploadPart", "REST.PUT.PART"},
    {"UploadPartCopy", "REST.COPY.PART"},
    {"CompleteMultipartUpload", "REST.POST.UPLOAD"},
    {"AbortMultipartUpload", "REST.DELETE.UPLOAD"},
    {"ListParts", "REST.GET.UPLOAD"},
    {"ListMultipartUploads", "REST.GET.UPLOADS"},
    {"GetObjectTagging", "REST.GET.OBJECT_TAGGING"},
    {"PutObjectTagging", "REST.PUT.OBJECT_TAGGING"},
    {"DeleteObjectTagging", "REST.DELETE.OBJECT_TAGGING"},
    {"GetObjectAcl", "REST.GET.ACL"},
    {"PutObjectAcl", "REST.PUT.ACL"},
    {"GetBucketAcl", "REST.GET.ACL"},
    {"PutBucketAcl", "REST.PUT.ACL"},
    {"GetBucketTagging", "REST.GET.TAGGING"},
    {"PutBucketTagging", "REST.PUT.TAGGING"},
    {"DeleteBucketTagging", "REST.DELETE.TAGGING"},
    {"GetBucketPolicy", "REST.GET.BUCKETPOLICY"},
    {"PutBucketPolicy", "REST.PUT.BUCKETPOLICY"},
    {"DeleteBucketPolicy", "REST.DELETE.BUCKETPOLICY"},
    {"GetBucketLogging", "REST.GET.LOGGING_STATUS"},
    {"PutBucketLogging", "REST.PUT.LOGGING_STATUS"},
    {"GetBucketVersioning", "REST.GET.VERSIONING"},
    {"PutBucketVersioning", "REST.PUT.VERSIONING"},
    {"GetBucketNotificationConfiguration", "REST.GET.NOTIFICATION"},
    {"PutBucketNotificationConfiguration", "REST.PUT.NOTIFICATION"},
    {"GetBucketCors", "REST.GET.CORS"},
    {"PutBucketCors", "REST.PUT.CORS"},
    {"DeleteBucketCors", "REST.DELETE.CORS"},
    {"PreflightBucket", "REST.OPTIONS.PREFLIGHT"},
    {"PreflightObject", "REST.OPTIONS.PREFLIGHT"},
};

/* REST.<METHOD>.<RESOURCE> as S3 names the operation. */
static void operation_name(nb_req_t *req, const char *method, bool has_key, char *out, size_t cap) {
    const char *op = nb_req_operation(req);
    for (size_t i = 0; op && i < sizeof op_names / sizeof op_names[0]; i++)
        if (strcmp(op, op_names[i].op) == 0) {
            snprintf(out, cap, "%s", op_names[i].name);
            return;
        }
    snprintf(out, cap, "REST.%s.%s", method, has_key ? "OBJECT" : "BUCKET");
}

/* The key part of the raw request target (still URL-encoded, as S3 logs it), or "-". */
static void target_key(nb_req_t *req, const char *bucket, const char *target, char *out, size_t cap) {
    size_t blen = strlen(bucket);
    const char *host = nb_req_host(req);
    const char *p = target;
    bool vhost = host && strncmp(host, bucket, blen) == 0 && host[blen] == '.';
    if (!vhost && p[0] == '/' && strncmp(p + 1, bucket, blen) == 0 && (p[1 + blen] == '/' || p[1 + blen] == '?' ||
                                                                        p[1 + blen] == '\0'))
        p += 1 + blen;
    if (*p == '/')
        p++;
    size_t n = strcspn(p, "?");
    if (n == 0 || n >= cap)
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.*s", (int)n, p);
}

/* A header's value as a log field: quoted ones keep "-" when absent. */
static const char *or_dash(const char *v) { return v && *v ? v : "-"; }

static void queue_record(const watch_t *w, nb_req_t *req, const nb_req_summary_t *s) {
    char when[64], ip[64], key[2048], operation[64], size[32] = "-", bytes[32] = "-", host_id[96];
    nb_time_strftime(w->started, "[%d/%b/%Y:%H:%M:%S +0000]", when, sizeof when);
    snprintf(ip, sizeof ip, "%s", s->peer ? s->peer : "-");
    char *colon = strrchr(ip, ':'); /* "127.0.0.1:5000" and "[::1]:5000" lose their port */
    if (colon)
        *colon = '\0';
    if (ip[0] == '[') {
        memmove(ip, ip + 1, strlen(ip));
        ip[strcspn(ip, "]")] = '\0';
    }
    target_key(req, w->bucket, s->target ? s->target : "/", key, sizeof key);
    operation_name(req, s->method ? s->method : "GET", strcmp(key, "-") != 0, operation, sizeof operation);
    if (s->bytes_sent > 0)
        snprintf(bytes, sizeof bytes, "%lld", (long long)s->bytes_sent);
    const char *op = nb_req_operation(req);
    if (op && s->error_code == NULL && (strcmp(op, "GetObject") == 0 || strcmp(op, "PutObject") == 0)) {
        const char *decoded = nb_req_header(req, "x-amz-decoded-content-length");
        long long n = strcmp(op, "GetObject") == 0 ? s->bytes_sent
                      : decoded                    ? strtoll(decoded, NULL, 10)
                                                   : (long long)nb_body_size(nb_req_body(req));
        snprintf(size, sizeof size, "%lld", n);
    }
    const char *auth = nb_req_header(req, "Authorization");
    char qsig[8];
    bool query_v4 = nb_req_query(req, "X-Amz-Signature", qsig, sizeof qsig) >= 0;
    bool query_v2 = !query_v4 && nb_req_query(req, "Signature", qsig, sizeof qsig) >= 0;
    const char *sigver = auth && strncmp(auth, "AWS4-", 5) == 0 ? "SigV4"
                         : auth && strncmp(auth, "AWS ", 4) == 0 ? "SigV2"
                         : query_v4                             ? "SigV4"
                         : query_v2                             ? "SigV2"
                                                                : "-";
    const char *authtype = auth ? "AuthHeader" : query_v4 || query_v2 ? "QueryString" : "-";
    const char *rid = nb_req_id(req);
    nb_base64_encode(rid, strlen(rid) > 60 ? 60 : strlen(rid), 0, host_id, sizeof host_id);
    char requester[64] = "-";
    if (strcmp(sigver, "-") != 0)
        nb_arn_format(&(nb_arn_t){.partition = nb_partition(nb_req_region(req)), .service = "iam",
                                  .account = nb_req_account(req), .resource = "root"},
                      requester, sizeof requester);
    json_t *owner = s3_owner(w->owner);
    char *line = NULL;
    int n = asprintf(&line,
                     "%s %s %s %s %s %s %s %s \"%s %s HTTP/1.1\" %d %s %s %s %.0f %.0f \"%s\" \"%s\" - %s %s - %s %s - - -",
                     nb_json_str(owner, "ID"), w->bucket, when, ip, requester, rid, operation, key,
                     s->method ? s->method : "-", s->target ? s->target : "-", s->status, or_dash(s->error_code),
                     bytes, size, s->total_ms, s->total_ms, or_dash(nb_req_header(req, "Referer")),
                     or_dash(nb_req_header(req, "User-Agent")), host_id, sigver, authtype,
                     or_dash(nb_req_host(req)));
    json_decref(owner);
    record_t *r = n >= 0 ? calloc(1, sizeof *r) : NULL;
    if (r)
        r->line = line;
    if (r == NULL || (r->target = strdup(w->target)) == NULL || (r->prefix = strdup(w->prefix)) == NULL) {
        if (r == NULL)
            free(line);
        record_free(r);
        return;
    }
    *pending_tail = r;
    pending_tail = &r->next;
}

/* ----------------------------------------------------------------- delivery */

static unsigned delivery_interval_ms(void) {
    double s = s3_setting_seconds("S3_LOG_DELIVERY_INTERVAL", 5);
    return s >= 0.001 ? (unsigned)(s * 1000) : 1000u; /* 0: every second, not a busy loop */
}

/* Writes one log object (its own transaction: no request is running). */
static void write_log_object(const char *target, const char *prefix, const char *text, size_t len) {
    s3_bucket_t b;
    if (s3_bucket_find(target, &b) != 1)
        return; /* the target went away: S3 drops the records too */
    char stamp[32], id[33];
    double now = (double)(time_t)nb_now(); /* whole seconds, like the name it gets */
    nb_time_strftime(now, "%Y-%m-%d-%H-%M-%S", stamp, sizeof stamp);
    nb_random_id(NB_ID_UPPER_HEX, 16, id);
    s3_ingest_t ing;
    nb_body_t *src = nb_body_from_mem_new(text, len);
    if (src == NULL || s3_copy_body(src, 0, true, &ing) != 0) {
        if (src)
            nb_body_free(src);
        nb_log(s3_self, NB_LOG_WARN, "server access log for %s not written", target);
        return;
    }
    nb_body_free(src);
    s3_object_t o = {0};
    if (asprintf(&o.key, "%s%s-%s", prefix, stamp, id) < 0)
        o.key = NULL;
    o.etag = strdup(ing.etag);
    o.blob = ing.data ? NULL : strdup(ing.blob);
    o.data = ing.data;
    o.size = ing.size;
    o.modified = now;
    o.attrs = json_pack("{s:s}", "ContentType", "text/plain");
    int rc = o.key ? nb_store_savepoint(s3_store.db, "s3_access_log") : NB_ENOMEM;
    if (rc == 0) {
        rc = s3_object_store(&b, &o);
        if (rc == 0)
            rc = nb_store_release(s3_store.db, "s3_access_log");
        else
            nb_store_rollback_to(s3_store.db, "s3_access_log");
    }
    if (rc != 0) {
        if (!ing.data)
            nb_blob_remove(s3_self, ing.blob);
        nb_log(s3_self, NB_LOG_WARN, "server access log for %s not written", target);
    }
    free(ing.data);
    o.data = NULL;
    s3_object_clear(&o);
}

static void deliver_all(void) {
    record_t *all = pending;
    pending = NULL;
    pending_tail = &pending;
    /* One object per (target, prefix), its records in arrival order. */
    while (all) {
        record_t *first = all, **link = &all;
        size_t len = 0;
        for (record_t *r = all; r; r = r->next)
            if (strcmp(r->target, first->target) == 0 && strcmp(r->prefix, first->prefix) == 0)
                len += strlen(r->line) + 1;
        char *text = malloc(len + 1), *p = text;
        while (*link) {
            record_t *r = *link;
            if (strcmp(r->target, first->target) != 0 || strcmp(r->prefix, first->prefix) != 0) {
                link = &r->next;
                continue;
            }
            if (text) {
                size_t n = strlen(r->line);
                memcpy(p, r->line, n);
                p[n] = '\n';
                p += n + 1;
            }
            *link = r->next;
            if (r != first)
                record_free(r);
        }
        if (text)
            write_log_object(first->target, first->prefix, text, len);
        free(text);
        record_free(first);
    }
}

static void deliver_cb(nb_timer_t *timer, void *data) {
    (void)data;
    nb_timer_stop(timer);
    delivery_timer = NULL;
    deliver_all();
}

void s3_logging_fini(void) {
    if (delivery_timer)
        nb_timer_stop(delivery_timer);
    delivery_timer = NULL;
    deliver_all();
}

static void request_done(nb_req_t *req, const nb_req_summary_t *summary, void *data) {
    watch_t *w = data;
    for (watch_t **p = &watching; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    if (summary) {
        queue_record(w, req, summary);
        if (pending && delivery_timer == NULL)
            delivery_timer = nb_timer_start(s3_self, delivery_interval_ms(), 0, deliver_cb, NULL);
    }
    free(w);
}

void s3_logging_watch(nb_req_t *req, const s3_bucket_t *b) {
    if (!NB_API_HAS(req_on_complete) || (b->lacks & S3_LACKS_LOGGING))
        return; /* an older core: no access logs; or none configured */
    for (watch_t *w = watching; w; w = w->next)
        if (w->req == req)
            return;
    json_t *cfg = s3_config_load(b->name, "logging");
    const json_t *enabled = json_object_get(cfg, "LoggingEnabled");
    const char *target = nb_json_str(enabled, "TargetBucket");
    watch_t *w = target ? calloc(1, sizeof *w) : NULL;
    if (w) {
        w->req = req;
        w->started = nb_now();
        snprintf(w->bucket, sizeof w->bucket, "%s", b->name);
        snprintf(w->owner, sizeof w->owner, "%s", b->account);
        snprintf(w->target, sizeof w->target, "%s", target);
        snprintf(w->prefix, sizeof w->prefix, "%s", nb_json_str(enabled, "TargetPrefix") ? nb_json_str(enabled, "TargetPrefix")
                                                                                    : "");
        w->next = watching;
        watching = w;
        nb_req_on_complete(req, request_done, w);
    }
    json_decref(cfg);
}
