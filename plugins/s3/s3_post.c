/* Browser POST form uploads (multipart/form-data): the form fields, then the file, last.
 * A form with a policy has it checked as S3 does: its signature when Nimbus knows the
 * signing key's secret, its expiration and its conditions always. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3_plugin.h"

#define FIELDS_MAX (256 * 1024) /* the fields before the file; AWS allows 20 KB of policy */


static const char *memfind(const char *hay, size_t hlen, const char *needle, size_t nlen) {
    if (nlen == 0 || hlen < nlen)
        return NULL;
    for (const char *p = hay; (p = memchr(p, needle[0], hlen - (size_t)(p - hay) - nlen + 1)) != NULL; p++)
        if (memcmp(p, needle, nlen) == 0)
            return p;
    return NULL;
}

/* name="value" of a Content-Disposition header line, into out. */
static bool disposition_param(const char *line, size_t len, const char *param, char *out, size_t cap) {
    char pat[32];
    snprintf(pat, sizeof pat, "%s=\"", param);
    const char *p = memfind(line, len, pat, strlen(pat));
    /* "filename=" must not match inside "name=" lookups and vice versa */
    while (p && p > line && (isalnum((unsigned char)p[-1])))
        p = memfind(p + 1, len - (size_t)(p + 1 - line), pat, strlen(pat));
    if (p == NULL)
        return false;
    p += strlen(pat);
    const char *q = memchr(p, '"', len - (size_t)(p - line));
    if (q == NULL || (size_t)(q - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return true;
}

typedef struct form {
    json_t *fields;   /* lower-cased name -> value */
    char filename[256];
    char file_type[128];
    int64_t file_off, file_len;
} form_t;

/* Parses the fields and locates the file part; go on, or stop with the error set. */
static nb_step_t parse_form(nb_req_t *req, nb_body_t *body, form_t *f) {
    const char *ct = nb_req_header(req, "Content-Type");
    const char *bp = ct ? strcasestr(ct, "boundary=") : NULL;
    if (bp == NULL)
        return nb_stop(nb_error(req, "MalformedPOSTRequest",
                        "The body of your POST request is not well-formed multipart/form-data."));
    char delim[256];
    bp += 9;
    size_t bl = strcspn(bp, ";");
    if (*bp == '"') {
        bp++;
        bl = strcspn(bp, "\"");
    }
    if (bl == 0 || bl > 200)
        return nb_stop(nb_error(req, "MalformedPOSTRequest",
                        "The body of your POST request is not well-formed multipart/form-data."));
    int dl = snprintf(delim, sizeof delim, "\r\n--%.*s", (int)bl, bp);
    int64_t size = nb_body_size(body);
    size_t head_len = size < FIELDS_MAX ? (size_t)size : FIELDS_MAX;
    char *head = malloc(head_len + 2 + 1);
    if (head == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    /* A leading CRLF lets the first boundary match the same pattern as the others. */
    head[0] = '\r';
    head[1] = '\n';
    ssize_t got = nb_body_read(body, 0, head + 2, head_len);
    if (got < 0) {
        free(head);
        return nb_stop(NB_FAILED(NB_EIO));
    }
    size_t hl = (size_t)got + 2;
    head[hl] = '\0';
    f->fields = json_object();
    f->file_off = -1;
    const char *p = memfind(head, hl, delim, (size_t)dl);
    bool nul = false;
    while (p && f->file_off < 0) {
        const char *part = p + dl;
        if ((size_t)(part - head) + 2 > hl || strncmp(part, "--", 2) == 0)
            break;
        part += 2; /* CRLF after the boundary */
        const char *hdr_end = memfind(part, hl - (size_t)(part - head), "\r\n\r\n", 4);
        if (hdr_end == NULL)
            break;
        /* the key, its ${filename} and every field are read as C strings: a NUL would cut them */
        if ((nul = memchr(part, '\0', (size_t)(hdr_end - part)) != NULL))
            break;
        char name[256] = "", fname[256] = "";
        bool has_name = disposition_param(part, (size_t)(hdr_end - part), "name", name, sizeof name);
        bool is_file = disposition_param(part, (size_t)(hdr_end - part), "filename", fname, sizeof fname);
        const char *value = hdr_end + 4;
        if (has_name && strcasecmp(name, "file") == 0) {
            snprintf(f->filename, sizeof f->filename, "%s", fname);
            const char *ctl = strcasestr(part, "\r\nContent-Type:");
            if (ctl && ctl < hdr_end) {
                ctl += 15;
                while (*ctl == ' ')
                    ctl++;
                size_t n = strcspn(ctl, "\r");
                snprintf(f->file_type, sizeof f->file_type, "%.*s", (int)n, ctl);
            }
            f->file_off = (int64_t)(value - head) - 2;
            break;
        }
        (void)is_file;
        const char *next = memfind(value, hl - (size_t)(value - head), delim, (size_t)dl);
        if (next == NULL)
            break;
        if ((nul = has_name && memchr(value, '\0', (size_t)(next - value)) != NULL))
            break;
        if (has_name) {
            for (char *c = name; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            json_object_set_new(f->fields, name, json_stringn(value, (size_t)(next - value)));
        }
        p = next;
    }
    free(head);
    if (nul)
        return nb_stop(nb_error(req, "InvalidArgument", "POST form fields must not contain a NUL character."));
    if (f->file_off < 0)
        return nb_stop(nb_error(req, "InvalidArgument", "POST requires exactly one file upload per request."));
    /* The file ends at the closing boundary: look for it in the body's tail. */
    size_t tail_len = (size_t)dl + 64;
    int64_t tail_off = size > (int64_t)tail_len ? size - (int64_t)tail_len : 0;
    char tail[512];
    got = nb_body_read(body, tail_off, tail, (size_t)(size - tail_off));
    if (got < 0)
        return nb_stop(NB_FAILED(NB_EIO));
    const char *end = NULL;
    for (const char *q = tail; (q = memfind(q, (size_t)got - (size_t)(q - tail), delim, (size_t)dl)) != NULL; q++)
        end = q;
    if (end == NULL || tail_off + (end - tail) < f->file_off)
        return nb_stop(nb_error(req, "MalformedPOSTRequest",
                        "The body of your POST request is not well-formed multipart/form-data."));
    f->file_len = tail_off + (end - tail) - f->file_off;
    return NB_GO_ON;
}

/* ------------------------------------------------------------ policy */

/* The secret of an access key Nimbus knows: LocalStack's default test/test pair. Any other
 * key's secret is unknown (Nimbus accepts every credential), so its signature goes unchecked. */
static const char *known_secret(const char *access_key) {
    return access_key && strcmp(access_key, "test") == 0 ? "test" : NULL;
}

/* Go on when the form's signature is right or cannot be checked; else stop with SignatureDoesNotMatch. */
static nb_step_t check_signature(nb_req_t *req, const json_t *fields, const char *policy_b64) {
    char want[NB_SIGNATURE_SIZE] = "";
    const char *cred = nb_json_str(fields, "x-amz-credential"), *sent = nb_json_str(fields, "x-amz-signature");
    if (cred && sent) { /* SigV4: AKID/date/region/service/aws4_request; a key derived from the secret */
        char akid[128], date[16], region[64], service[32];
        if (sscanf(cred, "%127[^/]/%15[^/]/%63[^/]/%31[^/]/aws4_request", akid, date, region, service) != 4)
            return nb_stop(nb_error(req, "AccessDenied", "Invalid according to Policy: Policy Credential is malformed."));
        const char *secret = known_secret(akid);
        if (secret == NULL)
            return NB_GO_ON;
        nb_sigv4_signature(secret, date, region, service, policy_b64, want, sizeof want);
    } else if ((sent = nb_json_str(fields, "signature")) != NULL) { /* SigV2: base64(HMAC-SHA1(secret, policy)) */
        const char *secret = known_secret(nb_json_str(fields, "awsaccesskeyid"));
        if (secret == NULL)
            return NB_GO_ON;
        nb_sigv2_signature(secret, policy_b64, want, sizeof want);
    } else {
        return NB_GO_ON;
    }
    if (strcmp(want, sent) != 0)
        return nb_stop(nb_error(req, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. Check your "
                        "key and signing method."));
    return NB_GO_ON;
}

static nb_result_t condition_failed(nb_req_t *req, const json_t *cond) {
    char *text = json_dumps(cond, JSON_COMPACT | JSON_ENCODE_ANY);
    /* S3 prints the condition as ["eq", "$key", "value"] */
    char pretty[1024];
    size_t n = 0;
    bool quoted = false;
    for (const char *c = text ? text : ""; *c && n + 2 < sizeof pretty; c++) {
        quoted = *c == '"' && (c == text || c[-1] != '\\') ? !quoted : quoted;
        pretty[n++] = *c;
        if (*c == ',' && !quoted)
            pretty[n++] = ' ';
    }
    pretty[n] = '\0';
    free(text);
    return nb_error(req, "AccessDenied", "Invalid according to Policy: Policy Condition failed: %s", pretty);
}

/* A condition's field ("$key", "$x-amz-meta-a") in the form (case-insensitive names); the bucket
 * is the request's. */
static const char *condition_value(const json_t *fields, const char *bucket, const char *name) {
    char lower[256];
    size_t i = 0;
    if (name && *name == '$')
        name++;
    for (; name && name[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[i] = '\0';
    if (strcmp(lower, "bucket") == 0)
        return bucket;
    const char *v = nb_json_str(fields, lower);
    return v ? v : "";
}

/* The policy of a form with one: go on when the upload may, else stop with S3's error. */
static nb_step_t check_policy(nb_req_t *req, const char *bucket, const json_t *fields, int64_t file_len) {
    const char *b64 = nb_json_str(fields, "policy");
    if (b64 == NULL)
        return NB_GO_ON;
    size_t cap = NB_BASE64_DECODED_SIZE(strlen(b64));
    unsigned char *raw = malloc(cap);
    ssize_t n = raw ? nb_base64_decode(b64, strlen(b64), 0, raw, cap) : -1;
    json_t *policy = n > 0 ? json_loadb((const char *)raw, (size_t)n, 0, NULL) : NULL;
    free(raw);
    if (!json_is_object(policy)) {
        json_decref(policy);
        return nb_stop(nb_error(req, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON."));
    }
    nb_step_t step = check_signature(req, fields, b64);
    double expires = s3_http_date(nb_json_str(policy, "expiration")); /* "2030-01-01T00:00:00Z" */
    if (!nb_stopped(step) && expires < 0)
        step = nb_stop(nb_error(req, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration."));
    else if (!nb_stopped(step) && nb_now() > expires)
        step = nb_stop(nb_error(req, "AccessDenied", "Invalid according to Policy: Policy expired."));
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(policy, "conditions"), i, c) {
        if (nb_stopped(step))
            break;
        if (json_is_object(c)) { /* {"field": "value"}: an exact match */
            const char *k;
            const json_t *v;
            json_object_foreach((json_t *)c, k, v) {
                if (!nb_stopped(step) && strcmp(condition_value(fields, bucket, k), json_string_value(v) ? json_string_value(v)
                                                                                               : "") != 0) {
                    char name[260];
                    snprintf(name, sizeof name, "$%s", k);
                    json_t *eq = json_pack("[s,s,O]", "eq", name, v);
                    step = nb_stop(condition_failed(req, eq));
                    json_decref(eq);
                }
            }
            continue;
        }
        const char *op = json_string_value(json_array_get(c, 0));
        if (op && strcasecmp(op, "content-length-range") == 0) {
            json_int_t lo = json_integer_value(json_array_get(c, 1)), hi = json_integer_value(json_array_get(c, 2));
            if (file_len > hi)
                step = nb_stop(nb_error_fields(req, "EntityTooLarge",
                                     json_pack("{s:I,s:I}", "ProposedSize", (json_int_t)file_len, "MaxSizeAllowed", hi),
                                     "Your proposed upload exceeds the maximum allowed size"));
            else if (file_len < lo)
                step = nb_stop(nb_error_fields(req, "EntityTooSmall",
                                     json_pack("{s:I,s:I}", "ProposedSize", (json_int_t)file_len, "MinSizeAllowed", lo),
                                     "Your proposed upload is smaller than the minimum allowed size"));
            continue;
        }
        const char *have = condition_value(fields, bucket, json_string_value(json_array_get(c, 1)));
        const char *want = json_string_value(json_array_get(c, 2));
        if (op == NULL || want == NULL)
            step = nb_stop(condition_failed(req, c));
        else if (strcasecmp(op, "eq") == 0 && strcmp(have, want) != 0)
            step = nb_stop(condition_failed(req, c));
        else if (strcasecmp(op, "starts-with") == 0 && strncmp(have, want, strlen(want)) != 0)
            step = nb_stop(condition_failed(req, c));
    }
    json_decref(policy);
    return step;
}

/* ------------------------------------------------------------- upload */

static const struct {
    const char *field, *member;
} post_headers[] = {{"content-type", "ContentType"},         {"cache-control", "CacheControl"},
                    {"content-disposition", "ContentDisposition"}, {"content-encoding", "ContentEncoding"},
                    {"x-amz-storage-class", "StorageClass"},  {"x-amz-website-redirect-location", "WebsiteRedirectLocation"}};

typedef struct post_ctx {
    json_t *fields;
    char filename[256];
    char file_type[128];
} post_ctx_t;

static void post_ctx_free(void *ctx) {
    post_ctx_t *c = ctx;
    json_decref(c->fields);
    free(c);
}

/* The form's key with ${filename} replaced. */
static char *form_key(const post_ctx_t *c) {
    const char *key = nb_json_str(c->fields, "key");
    const char *var = strstr(key, "${filename}");
    char *out = NULL;
    if (var == NULL)
        return strdup(key);
    if (asprintf(&out, "%.*s%s%s", (int)(var - key), key, c->filename, var + 11) < 0)
        return NULL;
    return out;
}

/* The form as a PutObject input: headers given as fields, x-amz-meta-* as Metadata. */
static json_t *put_input(const post_ctx_t *c) {
    json_t *like_put = json_object();
    for (size_t i = 0; i < sizeof post_headers / sizeof post_headers[0]; i++) {
        const char *v = nb_json_str(c->fields, post_headers[i].field);
        if (v)
            json_object_set_new(like_put, post_headers[i].member, json_string(v));
    }
    if (!json_object_get(like_put, "ContentType") && c->file_type[0])
        json_object_set_new(like_put, "ContentType", json_string(c->file_type));
    json_t *meta = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(c->fields, k, v) {
        if (strncmp(k, "x-amz-meta-", 11) == 0)
            json_object_set(meta, k + 11, v);
    }
    json_object_set_new(like_put, "Metadata", meta);
    return like_put;
}

static nb_result_t post_finish(nb_req_t *req, const json_t *in, s3_ingest_t *ing, void *ctx) {
    post_ctx_t *c = ctx;
    s3_bucket_t b;
    nb_step_t step = s3_bucket_load(req, nb_json_str(in, "Bucket"), &b);
    char *key = nb_stopped(step) ? NULL : form_key(c);
    if (key == NULL) {
        s3_ingest_discard(ing);
        return nb_stopped(step) ? nb_step_result(step) : NB_FAILED(NB_ENOMEM);
    }
    json_t *like_put = put_input(c);
    s3_object_t o = {0};
    o.key = key;
    o.attrs = s3_attrs_from_input(req, like_put);
    json_decref(like_put);
    if (s3_object_store_ingested(req, &b, &o, ing) != 0)
        return NB_FAILED(NB_ESTORE);
    char *loc = s3_location(req, b.name, o.key);
    char location[4200];
    snprintf(location, sizeof location, "%s", loc ? loc : "");
    free(loc);
    const char *status = nb_json_str(c->fields, "success_action_status");
    const char *redirect = nb_json_str(c->fields, "success_action_redirect");
    json_t *out = json_pack("{s:s,s:s}", "ETag", ing->etag, "Location", location);
    if (b.versioning != S3_VER_OFF)
        json_object_set_new(out, "VersionId", json_string(o.version_id));
    if (redirect && *redirect) {
        char *to = NULL;
        if (asprintf(&to, "%s%sbucket=%s&key=%s&etag=%s", redirect, strchr(redirect, '?') ? "&" : "?", b.name,
                     o.key, ing->etag) >= 0)
            json_object_set_new(out, "Location", json_string(to));
        free(to);
        json_object_set_new(out, "Status", json_integer(303));
    } else if (status && strcmp(status, "201") == 0) {
        json_object_set_new(out, "Status", json_integer(201));
        json_object_set_new(out, "PostResponse", json_pack("{s:s,s:s,s:s,s:s}", "Location", location, "Bucket",
                                                           b.name, "Key", o.key, "ETag", ing->etag));
    } else if (status && strcmp(status, "200") == 0) {
        json_object_set_new(out, "Status", json_integer(200));
    }
    s3_object_clear(&o);
    return nb_reply_new(req, out);
}

nb_result_t s3_post_object(nb_req_t *req, const json_t *in) {
    nb_step_t step;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    nb_body_t *body = nb_req_body(req);
    form_t f;
    memset(&f, 0, sizeof f);
    if (nb_stopped(step = parse_form(req, body, &f))) {
        json_decref(f.fields);
        return nb_step_result(step);
    }
    const char *key = nb_json_str(f.fields, "key");
    if (key == NULL || *key == '\0') {
        json_decref(f.fields);
        return nb_error_fields(req, "InvalidArgument",
                               json_pack("{s:s,s:s}", "ArgumentName", "key", "ArgumentValue", ""),
                               "Bucket POST must contain a field named 'key'.  If it is specified, please check the "
                               "order of the fields.");
    }
    if (nb_stopped(step = check_policy(req, b.name, f.fields, f.file_len))) {
        json_decref(f.fields);
        return nb_step_result(step);
    }
    post_ctx_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        json_decref(f.fields);
        return NB_FAILED(NB_ENOMEM);
    }
    c->fields = f.fields;
    snprintf(c->filename, sizeof c->filename, "%s", f.filename);
    snprintf(c->file_type, sizeof c->file_type, "%s", f.file_type);
    json_t *like_put = put_input(c);
    step = s3_check_new_object(req, like_put); /* storage class, metadata size */
    json_decref(like_put);
    if (nb_stopped(step)) {
        post_ctx_free(c);
        return nb_step_result(step);
    }
    /* The file part as a body of its own: a view of the spilled file, or a copy of memory. */
    nb_body_t *src = NULL;
    const char *path = nb_body_path(body);
    if (path) {
        src = nb_body_from_file_new(path, f.file_off, f.file_len);
    } else {
        char *buf = malloc((size_t)f.file_len + 1);
        if (buf && nb_body_read(body, f.file_off, buf, (size_t)f.file_len) == (ssize_t)f.file_len)
            src = nb_body_from_mem_new(buf, (size_t)f.file_len);
        free(buf);
    }
    return s3_copy_then(req, in, src, 0, true, post_finish, c, post_ctx_free);
}
