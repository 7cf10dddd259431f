/* Objects: upload (with every integrity check), download, delete, copy, tags. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3_plugin.h"

#define IO_CHUNK (256 * 1024)

/* ------------------------------------------------------------- ingest */

typedef struct sink {
    s3_hash_t *hash;
    nb_blob_writer_t *w;
    int64_t n;
} sink_t;

static int sink_write(void *ud, const void *data, size_t len) {
    sink_t *s = ud;
    s3_hash_update(s->hash, data, len);
    s->n += (int64_t)len;
    return nb_blob_write(s->w, data, len) == 0 ? 0 : 1;
}

static bool header_is_streaming(nb_req_t *req) {
    const char *sha = nb_req_header(req, "x-amz-content-sha256");
    const char *ce = nb_req_header(req, "Content-Encoding");
    return (sha && strncmp(sha, "STREAMING-", 10) == 0) || (ce && strstr(ce, "aws-chunked") != NULL);
}

/* x-amz-content-sha256 as 64 hex digits, lower-cased into out; false for the other forms. */
static bool payload_hash(const char *v, char out[65]) {
    unsigned char raw[32];
    return v && strlen(v) == 64 && nb_hex_decode(v, 64, raw, sizeof raw) == 32 &&
           nb_hex_encode(raw, sizeof raw, 0, out, 65) == 64;
}

/* The hex SHA-256 from its base64 checksum. */
static void sha256_hex(const char *b64, char out[65]) {
    unsigned char raw[NB_DIGEST_MAX];
    out[0] = '\0';
    if (nb_base64_decode(b64, strlen(b64), 0, raw, sizeof raw) == 32)
        nb_hex_encode(raw, 32, 0, out, 65);
}

nb_step_t s3_ingest_prepare(nb_req_t *req, bool allow_inline, s3_plan_t *plan) {
    memset(plan, 0, sizeof *plan);
    plan->allow_inline = allow_inline;
    plan->trailer_alg = -1;
    plan->streaming = header_is_streaming(req);
    plan->body = nb_req_body(req);
    for (int a = 0; a < S3_CK__COUNT; a++) {
        const char *v = nb_req_header(req, s3_ck_header(a));
        if (v == NULL)
            continue;
        if (!s3_ck_value_valid(a, v))
            return nb_stop(nb_error(req, "InvalidRequest", "Value for %s header is invalid.", s3_ck_header(a)));
        size_t n = strnlen(v, sizeof plan->expect[a] - 1); /* valid: base64 of at most 32 bytes */
        memcpy(plan->expect[a], v, n);
        plan->expect[a][n] = '\0';
        plan->algs |= S3_CK_BIT(a);
    }
    const char *sdk_alg = nb_req_header(req, "x-amz-sdk-checksum-algorithm");
    if (sdk_alg) {
        int a = s3_ck_from_name(sdk_alg);
        if (a < 0)
            return nb_stop(nb_error(req, "InvalidRequest",
                            "Checksum algorithm provided is unsupported. Please try again with any of the valid "
                            "types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"));
        plan->algs |= S3_CK_BIT(a);
    }
    const char *trailer = nb_req_header(req, "x-amz-trailer");
    if (trailer) {
        for (int a = 0; a < S3_CK__COUNT; a++)
            if (strcasecmp(trailer, s3_ck_header(a)) == 0)
                plan->trailer_alg = a;
        if (plan->trailer_alg >= 0)
            plan->algs |= S3_CK_BIT(plan->trailer_alg);
    }
    const char *cmd5 = nb_req_header(req, "Content-MD5");
    if (cmd5) {
        if (nb_base64_decode(cmd5, strlen(cmd5), 0, plan->want_md5, sizeof plan->want_md5) != 16)
            return nb_stop(nb_error(req, "InvalidDigest", "The Content-MD5 you specified was not valid."));
        plan->check_md5 = true;
    }
    const char *dlen = nb_req_header(req, "x-amz-decoded-content-length");
    plan->decoded_length = dlen ? strtoll(dlen, NULL, 10) : -1;
    /* A signed payload's hash (not UNSIGNED-PAYLOAD, not STREAMING-*): computed as the body is read,
     * when signatures are checked. */
    const char *sha = s3_payload_sha256_checked ? nb_req_header(req, "x-amz-content-sha256") : NULL;
    if (!plan->streaming && payload_hash(sha, plan->want_sha256))
        plan->check_sha256 = true;
    return NB_GO_ON;
}

/* Runs on a worker thread for large bodies: only the body, blob and hash functions. */
int s3_ingest_run(const s3_plan_t *plan, s3_ingest_t *out) {
    memset(out, 0, sizeof *out);
    nb_body_t *body = plan->body;
    int64_t size = nb_body_size(body);
    /* A small body kept inline is read straight into its own bytes (no bounce buffer) and
     * needs no blob name. */
    bool inline_data = !plan->streaming && plan->allow_inline && size <= S3_INLINE_MAX;
    if (!inline_data) {
        char id[33];
        s3_random_hex(id);
        snprintf(out->blob, sizeof out->blob, "o/%s", id);
    }
    s3_hash_t *h = s3_hash_new(plan->algs | (plan->check_sha256 ? S3_CK_BIT(S3_CK_SHA256) : 0));
    unsigned char *buf = inline_data ? NULL : malloc(IO_CHUNK);
    if (h == NULL || (buf == NULL && !inline_data)) {
        s3_hash_free(h);
        free(buf);
        return NB_ENOMEM;
    }
    nb_blob_writer_t *w = NULL;
    int rc = 0;
    char trailer_value[128] = "";
    if (plan->streaming) {
        if ((rc = nb_blob_writer_new(s3_self, out->blob, &w)) != 0)
            goto fail;
        sink_t sink = {h, w, 0};
        s3_chunked_t dec;
        s3_chunked_init(&dec, sink_write, &sink);
        for (int64_t off = 0; off < size;) {
            ssize_t n = nb_body_read(body, off, buf, IO_CHUNK);
            if (n <= 0) {
                rc = NB_EIO;
                goto fail;
            }
            int frc = s3_chunked_feed(&dec, buf, (size_t)n);
            if (frc == 1) {
                rc = NB_EIO;
                goto fail;
            }
            if (frc != 0) {
                rc = S3_INGEST_BAD_CHUNK;
                goto fail;
            }
            off += n;
        }
        if (!s3_chunked_done(&dec) || (plan->decoded_length >= 0 && plan->decoded_length != sink.n)) {
            rc = S3_INGEST_INCOMPLETE;
            goto fail;
        }
        if (plan->trailer_alg >= 0 &&
            !s3_chunked_trailer(&dec, s3_ck_header(plan->trailer_alg), trailer_value, sizeof trailer_value)) {
            rc = S3_INGEST_BAD_TRAILER;
            goto fail;
        }
        out->size = sink.n;
    } else {
        if (inline_data && (out->data = malloc((size_t)size + 1)) == NULL) {
            rc = NB_ENOMEM;
            goto fail;
        }
        for (int64_t off = 0; off < size;) {
            unsigned char *at = inline_data ? out->data + off : buf;
            ssize_t n = nb_body_read(body, off, at, inline_data ? (size_t)(size - off) : IO_CHUNK);
            if (n <= 0) {
                rc = NB_EIO;
                goto fail;
            }
            s3_hash_update(h, at, (size_t)n);
            off += n;
        }
        out->size = size;
    }
    free(buf);
    buf = NULL;
    s3_hash_final(h, out->md5, out->checksum);
    s3_hash_free(h);
    h = NULL;
    out->algs = plan->algs;
    if (plan->check_sha256) {
        sha256_hex(out->checksum[S3_CK_SHA256], out->sha256_hex);
        if (strcmp(out->sha256_hex, plan->want_sha256) != 0) {
            rc = S3_INGEST_BAD_SHA256;
            goto fail;
        }
        if (!(plan->algs & S3_CK_BIT(S3_CK_SHA256)))
            out->checksum[S3_CK_SHA256][0] = '\0';
    }
    if (plan->check_md5 && memcmp(plan->want_md5, out->md5, 16) != 0) {
        rc = S3_INGEST_BAD_MD5;
        goto fail;
    }
    for (int a = 0; a < S3_CK__COUNT; a++) {
        const char *want = a == plan->trailer_alg && trailer_value[0] ? trailer_value : plan->expect[a];
        if (want[0] && strcmp(want, out->checksum[a]) != 0) {
            rc = S3_INGEST_BAD_CHECKSUM + a;
            goto fail;
        }
    }
    s3_etag_format(out->md5, out->etag);
    if (out->data) {
        out->blob[0] = '\0';
        return 0;
    }
    rc = w ? nb_blob_writer_finish(w) : nb_blob_put_body(s3_self, out->blob, body);
    return rc;
fail:
    s3_hash_free(h);
    free(buf);
    free(out->data);
    out->data = NULL;
    if (w)
        nb_blob_writer_abort(w);
    return rc;
}

/* The AWS error for a failed s3_ingest_run: the error set, or NB_FAILED(rc) for a failure. */
nb_result_t s3_ingest_error(nb_req_t *req, int rc, const s3_ingest_t *ing) {
    if (rc < 0)
        return NB_FAILED(rc);
    if (rc == S3_INGEST_BAD_SHA256) {
        const char *sent = nb_req_header(req, "x-amz-content-sha256");
        return nb_error_fields(req, "XAmzContentSHA256Mismatch",
                               json_pack("{s:s,s:s}", "ClientComputedContentSHA256", sent ? sent : "",
                                         "S3ComputedContentSHA256", ing ? ing->sha256_hex : ""),
                               "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    if (rc >= S3_INGEST_BAD_CHECKSUM)
        return nb_error(req, "BadDigest", "The %s you specified did not match the calculated checksum.",
                        s3_ck_name(rc - S3_INGEST_BAD_CHECKSUM));
    switch (rc) {
    case S3_INGEST_BAD_MD5:
        return nb_error(req, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    case S3_INGEST_BAD_CHUNK:
        return nb_error(req, "InvalidChunkSizeError",
                        "Only the last chunk is allowed to have a size less than 8192 bytes");
    case S3_INGEST_INCOMPLETE:
        return nb_error(req, "IncompleteBody",
                        "You did not provide the number of bytes specified by the Content-Length HTTP header");
    default:
        return nb_error(req, "MalformedTrailerError",
                        "The request contained trailing data that was not well-formed or did not conform to our "
                        "published schema.");
    }
}

nb_step_t s3_ingest_body(nb_req_t *req, const json_t *in, bool allow_inline, s3_ingest_t *out) {
    (void)in;
    s3_plan_t plan;
    NB_TRY_STEP(s3_ingest_prepare(req, allow_inline, &plan));
    int rc = s3_ingest_run(&plan, out);
    if (rc == 0)
        return NB_GO_ON;
    return nb_stop(s3_ingest_error(req, rc, out));
}

nb_step_t s3_check_small_body(nb_req_t *req) {
    const char *op = nb_req_operation(req);
    /* Uploads check theirs while they are ingested; a browser form signs no payload. */
    if (op && (strcmp(op, "PutObject") == 0 || strcmp(op, "UploadPart") == 0 || strcmp(op, "PostObject") == 0))
        return NB_GO_ON;
    s3_plan_t plan;
    memset(&plan, 0, sizeof plan);
    /* CompleteMultipartUpload's x-amz-checksum-* name the object's checksum, not the XML's. */
    bool body_checksums = op == NULL || strcmp(op, "CompleteMultipartUpload") != 0;
    for (int a = 0; a < S3_CK__COUNT && body_checksums; a++) {
        const char *v = nb_req_header(req, s3_ck_header(a));
        if (v == NULL)
            continue;
        if (!s3_ck_value_valid(a, v))
            return nb_stop(nb_error(req, "InvalidRequest", "Value for %s header is invalid.", s3_ck_header(a)));
        snprintf(plan.expect[a], sizeof plan.expect[a], "%s", v);
        plan.algs |= S3_CK_BIT(a);
    }
    plan.check_sha256 =
        s3_payload_sha256_checked && payload_hash(nb_req_header(req, "x-amz-content-sha256"), plan.want_sha256);
    static const char empty_sha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    if (plan.check_sha256 && plan.algs == 0 && nb_body_size(nb_req_body(req)) == 0 &&
        strcmp(plan.want_sha256, empty_sha256) == 0)
        return NB_GO_ON; /* every GET and HEAD of an SDK: nothing to hash */
    if (!plan.check_sha256 && plan.algs == 0)
        return NB_GO_ON;
    s3_ingest_t got;
    memset(&got, 0, sizeof got);
    s3_hash_t *h = s3_hash_new(plan.algs | S3_CK_BIT(S3_CK_SHA256));
    unsigned char buf[16384];
    nb_body_t *body = nb_req_body(req);
    int64_t size = nb_body_size(body);
    for (int64_t off = 0; h && off < size;) {
        ssize_t n = nb_body_read(body, off, buf, sizeof buf);
        if (n <= 0) {
            s3_hash_free(h);
            return nb_stop(NB_FAILED(NB_EIO));
        }
        s3_hash_update(h, buf, (size_t)n);
        off += n;
    }
    if (h == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    s3_hash_final(h, got.md5, got.checksum);
    s3_hash_free(h);
    sha256_hex(got.checksum[S3_CK_SHA256], got.sha256_hex);
    if (plan.check_sha256 && strcmp(got.sha256_hex, plan.want_sha256) != 0)
        return nb_stop(s3_ingest_error(req, S3_INGEST_BAD_SHA256, &got));
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (plan.expect[a][0] && strcmp(plan.expect[a], got.checksum[a]) != 0)
            return nb_stop(s3_ingest_error(req, S3_INGEST_BAD_CHECKSUM + a, &got));
    return NB_GO_ON;
}

/* --------------------------------------------------------------- attrs */

/* Decodes %XX (a stray '%' kept) and with plus '+' (form encoding) in place; false if it
 * decoded a NUL, which would end the C string early: the caller refuses the value. */
static bool url_decode(char *s, bool plus) {
    size_t len = strlen(s);
    ssize_t n = nb_url_decode(s, len, NB_URL_LENIENT | (plus ? NB_URL_FORM : 0), s, len + 1);
    return n >= 0 && strlen(s) == (size_t)n;
}

/* "k1=v1&k2=v2" (x-amz-tagging) -> TagSet */
static json_t *parse_tagging(const char *q) {
    json_t *set = json_array();
    char *copy = strdup(q ? q : "");
    char *save = NULL;
    for (char *tok = strtok_r(copy, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq++ = '\0';
        url_decode(tok, true);
        if (eq)
            url_decode(eq, true);
        json_array_append_new(set, json_pack("{s:s,s:s}", "Key", tok, "Value", eq ? eq : ""));
    }
    free(copy);
    return set;
}

/* ------------------------------------------------ tag and metadata rules */

/* Unicode characters in a UTF-8 string (AWS's tag lengths count characters, not bytes). */
static size_t utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Letters, digits, white space and + - = . _ : / @ (non-ASCII letters pass as any byte >= 0x80). */
static bool tag_chars_ok(const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(c >= 0x80 || isalnum(c) || c == ' ' || strchr("+-=._:/@", c)))
            return false;
    }
    return true;
}

nb_step_t s3_check_tags(nb_req_t *req, const json_t *tagset, bool bucket) {
    size_t max = bucket ? 50 : 10;
    if (json_array_size(tagset) > max)
        return nb_stop(nb_error(req, "InvalidTag", bucket ? "Bucket tag count cannot be greater than 50"
                                                  : "Object tags cannot be greater than 10"));
    size_t i, j;
    const json_t *t, *u;
    json_array_foreach(tagset, i, t) {
        const char *k = nb_json_str(t, "Key"), *v = nb_json_str(t, "Value");
        if (k == NULL)
            k = "";
        if (v == NULL)
            v = "";
        json_t *fields = json_pack("{s:s,s:s}", "TagKey", k, "TagValue", v);
        if (utf8_chars(k) > 128)
            return nb_stop(nb_error_fields(req, "InvalidTag", fields, "The TagKey you have provided is too long, max 128"));
        if (utf8_chars(v) > 256)
            return nb_stop(nb_error_fields(req, "InvalidTag", fields, "The TagValue you have provided is too long, max 256"));
        if (*k == '\0' || !tag_chars_ok(k))
            return nb_stop(nb_error_fields(req, "InvalidTag", fields, "The TagKey you have provided is invalid"));
        if (!tag_chars_ok(v))
            return nb_stop(nb_error_fields(req, "InvalidTag", fields, "The TagValue you have provided is invalid"));
        if (strncasecmp(k, "aws:", 4) == 0)
            return nb_stop(nb_error_fields(req, "InvalidTag", fields,
                                   bucket ? "System tags cannot be added/updated by requester"
                                          : "Your TagKey cannot be prefixed with aws:"));
        json_decref(fields);
        json_array_foreach(tagset, j, u) {
            if (j < i && strcmp(k, nb_json_str(u, "Key") ? nb_json_str(u, "Key") : "") == 0)
                return nb_stop(nb_error(req, "InvalidTag", "Cannot provide multiple Tags with the same key"));
        }
    }
    return NB_GO_ON;
}

/* What S3 accepts as x-amz-storage-class (the spec's enum plus newer classes). */
static const char *const storage_classes[] = {"STANDARD",    "REDUCED_REDUNDANCY", "STANDARD_IA",
                                              "ONEZONE_IA",  "INTELLIGENT_TIERING", "GLACIER",
                                              "DEEP_ARCHIVE", "OUTPOSTS",          "GLACIER_IR",
                                              "SNOW",        "EXPRESS_ONEZONE"};

#define METADATA_MAX 2048

nb_step_t s3_check_new_object(nb_req_t *req, const json_t *in) {
    const char *sc = nb_json_str(in, "StorageClass");
    if (sc) {
        bool known = false;
        for (size_t i = 0; i < sizeof storage_classes / sizeof storage_classes[0]; i++)
            known = known || strcmp(sc, storage_classes[i]) == 0;
        if (!known)
            return nb_stop(nb_error_fields(req, "InvalidStorageClass", json_pack("{s:s}", "StorageClassRequested", sc),
                                   "The storage class you specified is not valid"));
    }
    /* User metadata: the UTF-8 bytes of every key (without x-amz-meta-) and value. */
    size_t size = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(in, "Metadata"), k, v)
        size += strlen(k) + json_string_length(v);
    if (size > METADATA_MAX)
        return nb_stop(nb_error_fields(req, "MetadataTooLarge",
                               json_pack("{s:I,s:i}", "Size", (json_int_t)size, "MaxSizeAllowed", METADATA_MAX),
                               "Your metadata headers exceed the maximum allowed metadata size."));
    const char *tagging = nb_json_str(in, "Tagging");
    if (tagging && *tagging) {
        json_t *set = parse_tagging(tagging);
        nb_step_t step = s3_check_tags(req, set, false);
        json_decref(set);
        NB_TRY_STEP(step);
    }
    return NB_GO_ON;
}

static const char *const copied_members[] = {"ContentType", "ContentEncoding", "ContentDisposition", "CacheControl",
                                              "ContentLanguage", "Expires", "Metadata", "StorageClass",
                                              "WebsiteRedirectLocation", "ServerSideEncryption", "SSEKMSKeyId",
                                              "ObjectLockMode", "ObjectLockRetainUntilDate",
                                              "ObjectLockLegalHoldStatus"};
enum { COPIED_CONTENT_TYPE = 0, COPIED_CONTENT_ENCODING = 1, COPIED_STORAGE_CLASS = 7 };

/* key's index in copied_members, or -1 (every name there has two characters at least). */
static int copied_member(const char *key) {
    for (size_t i = 0; i < sizeof copied_members / sizeof copied_members[0]; i++)
        if (key[0] == copied_members[i][0] && key[1] == copied_members[i][1] && strcmp(key, copied_members[i]) == 0)
            return (int)i;
    return -1;
}

/* The stored attributes of a new object from a PutObject-like input. */
json_t *s3_attrs_from_input(nb_req_t *req, const json_t *in) {
    json_t *a = json_object();
    /* one pass over the input's few members: looking each copied member up costs more */
    const char *key, *ce = NULL, *storage = NULL, *tagging = NULL;
    bool typed = false;
    json_t *v;
    json_object_foreach((json_t *)in, key, v) {
        int i = copied_member(key);
        if (i < 0) {
            if (strcmp(key, "Tagging") == 0)
                tagging = json_string_value(v);
            continue;
        }
        json_object_set(a, key, v);
        if (i == COPIED_CONTENT_TYPE)
            typed = true;
        else if (i == COPIED_CONTENT_ENCODING)
            ce = json_string_value(v);
        else if (i == COPIED_STORAGE_CLASS)
            storage = json_string_value(v);
    }
    /* aws-chunked is the transfer framing, not the object's encoding. */
    if (ce) {
        char buf[256];
        size_t n = 0;
        char *copy = strdup(ce), *save = NULL;
        buf[0] = '\0';
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if (strcmp(t, "aws-chunked") == 0 || *t == '\0')
                continue;
            n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, "%s%s", n ? "," : "", t);
        }
        free(copy);
        if (buf[0] && n < sizeof buf)
            json_object_set_new(a, "ContentEncoding", json_string(buf));
        else
            json_object_del(a, "ContentEncoding");
    }
    if (!typed)
        json_object_set_new(a, "ContentType", json_string("binary/octet-stream"));
    if (storage && strcmp(storage, "STANDARD") == 0)
        json_object_del(a, "StorageClass");
    if (tagging && *tagging)
        json_object_set_new(a, "TagSet", parse_tagging(tagging));
    (void)req;
    return a;
}

/* Records computed checksums in attrs (the first one as the object's algorithm). */
static void attrs_set_checksums(json_t *attrs, const s3_ingest_t *ing) {
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (ing->algs & S3_CK_BIT(a)) {
            /* base64 and names: ASCII, so no UTF-8 check */
            json_object_set_new(attrs, s3_ck_member(a), json_string_nocheck(ing->checksum[a]));
            if (json_object_get(attrs, "ChecksumAlgorithm") == NULL)
                json_object_set_new(attrs, "ChecksumAlgorithm", json_string_nocheck(s3_ck_name(a)));
        }
}

/* COMPOSITE (a multipart checksum of checksums, "...-N") or FULL_OBJECT; NULL without a checksum. */
static const char *s3_checksum_type(const json_t *attrs) {
    const char *t = nb_json_str(attrs, "ChecksumType");
    for (int a = 0; t == NULL && a < S3_CK__COUNT; a++) {
        const char *v = nb_json_str(attrs, s3_ck_member(a));
        if (v)
            t = strchr(v, '-') ? "COMPOSITE" : "FULL_OBJECT";
    }
    return t;
}

/* Checksums go in output members the spec knows; CRC64NVME (newer than the spec) as a raw header.
 * ChecksumType is a member the overlay adds to the outputs that carry it in a header. */
void s3_output_checksums(nb_req_t *req, json_t *out, const json_t *attrs) {
    /* one pass over the object's few attributes: looking up each checksum costs more */
    json_t *found[S3_CK__COUNT] = {0};
    bool any = false;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)attrs, key, v) {
        if (strncmp(key, "Checksum", 8) != 0 || !json_is_string(v))
            continue;
        for (int a = 0; a < S3_CK__COUNT; a++)
            if (strcmp(key + 8, s3_ck_member(a) + 8) == 0) {
                found[a] = v;
                any = true;
            }
    }
    if (!any && json_object_get(attrs, "ChecksumType") == NULL)
        return;
    for (int a = 0; a < S3_CK__COUNT; a++) {
        if (found[a] == NULL)
            continue;
        if (a == S3_CK_CRC64NVME)
            nb_reply_header(req, s3_ck_header(a), json_string_value(found[a]));
        else /* the attribute's own string, shared: strings are not changed once made */
            json_object_set(out, s3_ck_member(a), found[a]);
    }
    const char *t = s3_checksum_type(attrs);
    if (t)
        json_object_set_new(out, "ChecksumType", json_string_nocheck(t));
}

/* ------------------------------------------------------------ PutObject */

nb_step_t s3_check_key(nb_req_t *req, const char *key) {
    if (key == NULL || *key == '\0')
        return nb_stop(nb_error(req, "InvalidArgument", "Key must not be empty"));
    if (strlen(key) > 1024)
        return nb_stop(nb_error_fields(req, "KeyTooLongError",
                               json_pack("{s:i,s:I}", "MaxSizeAllowed", 1024, "Size", (json_int_t)strlen(key)),
                               "Your key is too long"));
    return NB_GO_ON;
}

static bool etag_matches(const char *cond, const char *etag);

/* Conditional writes (If-None-Match: * and If-Match on PutObject and CompleteMultipartUpload). */
nb_step_t s3_write_conditions(nb_req_t *req, const char *bucket, const char *key) {
    const char *none = nb_req_header(req, "If-None-Match"), *match = nb_req_header(req, "If-Match");
    if (none == NULL && match == NULL)
        return NB_GO_ON;
    if (none && strcmp(none, "*") != 0)
        return nb_stop(nb_error(req, "NotImplemented", "A header you provided implies functionality that is not implemented"));
    s3_object_t o;
    int rc = s3_object_load(bucket, key, NULL, &o);
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    bool exists = rc == 1 && !o.delete_marker;
    bool ok = (none == NULL || !exists) && (match == NULL || (exists && etag_matches(match, o.etag)));
    s3_object_clear(&o);
    if (match && !exists)
        return nb_stop(s3_err_no_key(req, key));
    if (!ok)
        return nb_stop(nb_error_fields(req, "PreconditionFailed",
                               json_pack("{s:s}", "Condition", none ? "If-None-Match" : "If-Match"),
                               "At least one of the pre-conditions you specified did not hold"));
    return NB_GO_ON;
}

typedef struct ingest_job {
    s3_plan_t plan;
    s3_ingest_t ing;
    int rc;
    json_t *in;
    s3_ingest_finish_fn finish;
} ingest_job_t;

static void ingest_work(void *data) {
    ingest_job_t *j = data;
    j->rc = s3_ingest_run(&j->plan, &j->ing);
}

static void ingest_done(nb_req_t *req, void *data) {
    ingest_job_t *j = data;
    int rc = nb_result_error(j->rc == 0 ? j->finish(req, j->in, &j->ing) : s3_ingest_error(req, j->rc, &j->ing));
    if (rc == NB_EAGAIN) /* out of descriptors or memory for now: clients retry a SlowDown */
        nb_error_code(req, "SlowDown", 503, "Please reduce your request rate.");
    else if (rc < 0)
        nb_error_code(req, "InternalError", 500, "We encountered an internal error. Please try again.");
    json_decref(j->in);
    free(j);
}

nb_result_t s3_ingest_then(nb_req_t *req, const json_t *in, bool allow_inline, const s3_bucket_t *checked,
                           s3_ingest_finish_fn finish) {
    s3_plan_t plan;
    NB_TRY(s3_ingest_prepare(req, allow_inline, &plan));
    if (nb_body_size(plan.body) >= S3_ASYNC_MIN) {
        ingest_job_t *j = calloc(1, sizeof *j);
        if (j != NULL) {
            j->plan = plan;
            j->in = json_incref((json_t *)in);
            j->finish = finish;
            if (nb_work_queue(req, ingest_work, ingest_done, j) == 0)
                return NB_ASYNC;
            json_decref(j->in);
            free(j);
        }
    }
    s3_ingest_t ing;
    int rc = s3_ingest_run(&plan, &ing);
    if (rc != 0)
        return s3_ingest_error(req, rc, &ing);
    ing.bucket = checked; /* read in this same transaction: still what the store holds */
    return finish(req, in, &ing);
}

/* Stores an ingested body as the object (taking ing's blob or data): 0, or < 0. */
void s3_ingest_discard(s3_ingest_t *ing) {
    if (ing->data)
        free(ing->data);
    else
        nb_blob_remove(s3_self, ing->blob);
    ing->data = NULL;
}

int s3_object_store_ingested(nb_req_t *req, const s3_bucket_t *b, s3_object_t *o, s3_ingest_t *ing) {
    o->etag = strdup(ing->etag);
    o->blob = ing->data ? NULL : strdup(ing->blob);
    o->data = ing->data;
    o->size = ing->size;
    o->modified = (double)(long long)nb_now(); /* S3 keeps whole seconds */
    int rc = s3_object_store_new(req, b, o);
    free(ing->data);
    ing->data = NULL;
    o->data = NULL;
    return rc;
}

static nb_result_t put_finish(nb_req_t *req, const json_t *in, s3_ingest_t *ing) {
    s3_bucket_t b;
    if (ing->bucket) {
        b = *ing->bucket;
    } else { /* again: it may be gone after an async ingest */
        nb_step_t step = s3_bucket_load(req, nb_json_str(in, "Bucket"), &b);
        if (nb_stopped(step)) {
            s3_ingest_discard(ing);
            return nb_step_result(step);
        }
    }
    s3_object_t o = {0};
    o.key = strdup(nb_json_str(in, "Key"));
    o.attrs = s3_attrs_from_input(req, in);
    s3_attrs_set_acl(o.attrs, in, b.account);
    attrs_set_checksums(o.attrs, ing);
    if (s3_object_store_ingested(req, &b, &o, ing) != 0)
        return NB_FAILED(NB_ESTORE);
    json_t *out = json_object(); /* not json_pack: its format parsing costs more than the member */
    json_object_set_new(out, "ETag", json_string(ing->etag));
    if (b.versioning != S3_VER_OFF)
        json_object_set_new(out, "VersionId", json_string(o.version_id));
    s3_output_checksums(req, out, o.attrs);
    s3_object_clear(&o);
    return nb_reply_new(req, out);
}

/* What PutObject checks before its body, the bucket loaded into b: go on, or stop (error set, or a failure). */
static nb_step_t put_precheck(nb_req_t *req, const json_t *in, s3_bucket_t *bucket) {
    s3_bucket_t b;
    NB_TRY_STEP(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    *bucket = b;
    const char *key = nb_json_str(in, "Key");
    NB_TRY_STEP(s3_check_key(req, key));
    NB_TRY_STEP(s3_check_new_object(req, in));
    NB_TRY_STEP(s3_write_conditions(req, b.name, key));
    json_t *grants = NULL;
    NB_TRY_STEP(s3_acl_from_input(req, in, b.account, false, &grants));
    json_decref(grants);
    return NB_GO_ON;
}

nb_step_t s3_put_object_precheck(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    return put_precheck(req, in, &b);
}

nb_result_t s3_put_object(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(put_precheck(req, in, &b));
    return s3_ingest_then(req, in, true, &b, put_finish);
}

/* ---------------------------------------------------- GetObject, HeadObject */

static bool etag_matches(const char *cond, const char *etag) {
    if (cond == NULL || etag == NULL)
        return false;
    char want[128];
    snprintf(want, sizeof want, "%s", etag);
    const char *e = want[0] == '"' ? want + 1 : want;
    size_t el = strlen(e);
    if (el && e[el - 1] == '"')
        el--;
    char *copy = strdup(cond), *save = NULL;
    bool hit = false;
    for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (strncmp(t, "W/", 2) == 0)
            t += 2;
        if (*t == '"')
            t++;
        size_t tl = strlen(t);
        while (tl && (t[tl - 1] == '"' || t[tl - 1] == ' '))
            tl--;
        hit = (tl == 1 && t[0] == '*') || (tl == el && strncmp(t, e, el) == 0);
    }
    free(copy);
    return hit;
}

/* A conditional date: a timestamp member, or (If-Modified-Since / If-Unmodified-Since, strings
 * in the overlay) the raw header; -1 when absent or not a date, which S3 ignores (RFC 7232). */
static double time_of(const json_t *v) {
    if (json_is_string(v))
        return s3_http_date(json_string_value(v));
    return json_is_number(v) ? json_number_value(v) : -1;
}

/* An HTTP date for an Expires kept as a timestamp (response-expires, rows of older versions). */
static json_t *expires_string(const json_t *v) {
    if (!json_is_number(v))
        return json_incref((json_t *)v);
    char buf[NB_TIME_SIZE];
    nb_time_format(json_number_value(v), NB_TIME_RFC1123, buf, sizeof buf);
    return json_string(buf);
}

/* The input members GetObject and HeadObject read, by GET_* index (s3_input_pick): the response
 * overrides last, in the order of `overridden`. */
static const char *const get_members[] = {"Bucket", "Key", "VersionId", "IfMatch", "IfNoneMatch", "IfModifiedSince",
                                          "IfUnmodifiedSince", "Range", "PartNumber", "ChecksumMode",
                                          "ResponseCacheControl", "ResponseContentDisposition",
                                          "ResponseContentEncoding", "ResponseContentLanguage", "ResponseContentType",
                                          "ResponseExpires"};
enum { GET_BUCKET, GET_KEY, GET_VERSION, GET_IF_MATCH, GET_IF_NONE, GET_IMS, GET_IUS, GET_RANGE, GET_PART,
       GET_CK_MODE, GET_OVERRIDES, GET__COUNT = sizeof get_members / sizeof get_members[0] };
/* The output member each response override sets. */
static const char *const overridden[GET__COUNT - GET_OVERRIDES] = {"CacheControl", "ContentDisposition",
                                                                   "ContentEncoding", "ContentLanguage",
                                                                   "ContentType", "Expires"};

static json_t *object_headers(const s3_bucket_t *b, const s3_object_t *o) {
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(o->attrs, k, v) {
        if (strncmp(k, "Checksum", 8) == 0 || strcmp(k, "TagSet") == 0 || strcmp(k, "PartSizes") == 0 ||
            strcmp(k, "PartList") == 0 || strcmp(k, "Grants") == 0 || k[0] == '_')
            continue;
        json_object_set(out, k, v);
    }
    json_object_set_new(out, "ETag", json_string(o->etag ? o->etag : ""));
    json_object_set_new(out, "LastModified", json_real(o->modified));
    json_object_set_new(out, "AcceptRanges", json_string("bytes"));
    if (b->versioning != S3_VER_OFF || (o->version_id && strcmp(o->version_id, "null") != 0))
        json_object_set_new(out, "VersionId", json_string(o->version_id));
    if (json_object_get(out, "Expires"))
        json_object_set_new(out, "Expires", expires_string(json_object_get(out, "Expires")));
    size_t tags = json_array_size(json_object_get(o->attrs, "TagSet"));
    if (tags)
        json_object_set_new(out, "TagCount", json_integer((json_int_t)tags));
    s3_restore_output(out, o->attrs);
    return out;
}

/* Finds the version a Get/Head/Copy names (with_body: an inline body read with it, in o->body); sets the AWS
 * error when absent. Go on (found), or stop (error set, or a failure). */
static nb_step_t find_object(nb_req_t *req, const s3_bucket_t *b, const char *key, const char *vid, s3_object_t *o,
                       bool head, bool with_body) {
    int rc = with_body ? s3_object_load_with_body(b->name, key, vid, o) : s3_object_load(b->name, key, vid, o);
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    if (rc == 0) {
        if (vid) {
            if (strcmp(vid, "null") != 0 && strlen(vid) != 32)
                return nb_stop(nb_error_fields(req, "InvalidArgument",
                                       json_pack("{s:s,s:s}", "ArgumentName", "versionId", "ArgumentValue", vid),
                                       "Invalid version id specified"));
            return nb_stop(nb_error_fields(req, "NoSuchVersion", json_pack("{s:s,s:s}", "Key", key, "VersionId", vid),
                                   "The specified version does not exist."));
        }
        return nb_stop(s3_err_no_key(req, key));
    }
    if (o->delete_marker) {
        nb_reply_header(req, "x-amz-delete-marker", "true");
        if (strcmp(o->version_id, "null") != 0)
            nb_reply_header(req, "x-amz-version-id", o->version_id);
        s3_object_clear(o);
        if (vid) {
            nb_reply_header(req, "Allow", "DELETE"); /* the one method a delete marker version allows */
            return nb_stop(nb_error_fields(req, "MethodNotAllowed", json_pack("{s:s,s:s}", "Method", head ? "HEAD" : "GET",
                                                                       "ResourceType", "DeleteMarker"),
                                   "The specified method is not allowed against this resource."));
        }
        return nb_stop(s3_err_no_key(req, key));
    }
    return NB_GO_ON;
}

static nb_result_t get_or_head(nb_req_t *req, const json_t *in, bool head) {
    nb_step_t step;
    s3_bucket_t b;
    const json_t *m[GET__COUNT];
    s3_input_pick(in, get_members, GET__COUNT, m);
    NB_TRY(s3_bucket_load(req, json_string_value(m[GET_BUCKET]), &b));
    const char *key = json_string_value(m[GET_KEY]);
    s3_object_t o;
    NB_TRY(find_object(req, &b, key, json_string_value(m[GET_VERSION]), &o, head, !head));
    if (!head && nb_stopped(step = s3_check_readable(req, &o, false))) {
        s3_object_clear(&o);
        return nb_step_result(step);
    }
    /* Conditions, in RFC 7232's order. */
    const char *if_match = json_string_value(m[GET_IF_MATCH]), *if_none = json_string_value(m[GET_IF_NONE]);
    double ims = time_of(m[GET_IMS]), ius = time_of(m[GET_IUS]);
    const char *failed = NULL;
    bool not_modified = false;
    if (if_match && !etag_matches(if_match, o.etag))
        failed = "If-Match";
    else if (!if_match && ius >= 0 && o.modified > ius)
        failed = "If-Unmodified-Since";
    else if (if_none && etag_matches(if_none, o.etag))
        not_modified = true;
    else if (!if_none && ims >= 0 && o.modified <= ims)
        not_modified = true;
    if (failed) {
        s3_object_clear(&o);
        return nb_error_fields(req, "PreconditionFailed", json_pack("{s:s}", "Condition", failed),
                               "At least one of the pre-conditions you specified did not hold");
    }
    if (not_modified) {
        nb_reply_status(req, 304);
        json_t *out = json_pack("{s:s,s:f}", "ETag", o.etag, "LastModified", o.modified);
        s3_object_clear(&o);
        return nb_reply_new(req, out);
    }
    json_t *out = object_headers(&b, &o);
    /* HeadObject's output has no TagCount member, but S3 sends the header on HEAD too. */
    size_t tags = json_array_size(json_object_get(o.attrs, "TagSet"));
    if (head && tags) {
        char count[24];
        snprintf(count, sizeof count, "%zu", tags);
        nb_reply_header(req, "x-amz-tagging-count", count);
    }
    for (size_t i = GET_OVERRIDES; i < GET__COUNT; i++)
        if (m[i])
            json_object_set(out, overridden[i - GET_OVERRIDES], (json_t *)m[i]);
    if (json_object_get(out, "Expires"))
        json_object_set_new(out, "Expires", expires_string(json_object_get(out, "Expires")));
    int64_t first = 0, last = o.size - 1;
    const char *range = json_string_value(m[GET_RANGE]);
    int r = s3_range_parse(range, o.size, &first, &last);
    const json_t *pn = m[GET_PART];
    if (json_is_integer(pn)) {
        /* One part of a multipart object (a whole object is its only part 1). */
        json_int_t n = json_integer_value(pn);
        const json_t *sizes = json_object_get(o.attrs, "PartSizes");
        json_int_t count = o.parts > 0 ? o.parts : 1;
        if (range) {
            json_decref(out);
            s3_object_clear(&o);
            return nb_error(req, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter");
        }
        if (n < 1 || n > count) {
            json_decref(out);
            s3_object_clear(&o);
            return nb_error_fields(req, "InvalidPartNumber", json_pack("{s:I,s:I}", "PartNumberRequested", n,
                                                                       "ActualPartCount", count),
                                   "The requested partnumber is not satisfiable");
        }
        if (o.parts > 0 && json_array_size(sizes) == (size_t)o.parts) {
            first = 0;
            for (json_int_t i = 0; i + 1 < n; i++)
                first += json_integer_value(json_array_get(sizes, (size_t)i));
            last = first + json_integer_value(json_array_get(sizes, (size_t)(n - 1))) - 1;
        }
        /* A part is a range to S3: 206 with Content-Range, the whole object's part 1 too. */
        r = o.size > 0 ? 1 : 0;
        if (o.parts > 0)
            json_object_set_new(out, "PartsCount", json_integer(count));
    }
    /* A whole-object checksum would not match a part of it: S3 sends none with a range. */
    const char *mode = json_string_value(m[GET_CK_MODE]);
    if (mode && strcasecmp(mode, "ENABLED") == 0 && r == 0)
        s3_output_checksums(req, out, o.attrs);
    if (r < 0) {
        char size[32];
        snprintf(size, sizeof size, "%lld", (long long)o.size);
        json_decref(out);
        s3_object_clear(&o);
        return nb_error_fields(req, "InvalidRange", json_pack("{s:s,s:s}", "RangeRequested", range, "ActualObjectSize", size),
                               "The requested range is not satisfiable");
    }
    int64_t len = o.size;
    if (r == 1) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %lld-%lld/%lld", (long long)first, (long long)last, (long long)o.size);
        json_object_set_new(out, "ContentRange", json_string(cr));
        if (head) /* older specs have no ContentRange in HeadObjectOutput; S3 sends it all the same */
            nb_reply_header(req, "Content-Range", cr);
        nb_reply_status(req, 206);
        len = last - first + 1;
    }
    json_object_set_new(out, "ContentLength", json_integer(len));
    if (!head) {
        nb_body_t *body = r == 0 && o.body ? o.body : s3_object_body(&o, first, len);
        if (body == o.body)
            o.body = NULL; /* the reply's now */
        if (body == NULL) {
            int e = errno; /* out of descriptors: SlowDown, which clients retry */
            json_decref(out);
            s3_object_clear(&o);
            return NB_FAILED(e == EMFILE || e == ENFILE || e == ENOMEM ? NB_EAGAIN : NB_EIO);
        }
        nb_reply_body_new(req, body);
    }
    s3_object_clear(&o);
    return nb_reply_new(req, out);
}

nb_result_t s3_get_object(nb_req_t *req, const json_t *in) { return get_or_head(req, in, false); }
nb_result_t s3_head_object(nb_req_t *req, const json_t *in) { return get_or_head(req, in, true); }

/* ----------------------------------------------------------- deletes */

/* Deletes as S3 does for the bucket's versioning; fills result (Key, VersionId, DeleteMarker...). */
static int delete_one(const s3_bucket_t *b, const char *key, const char *vid, json_t *result) {
    if (vid) {
        s3_object_t o;
        int rc = s3_object_load(b->name, key, vid, &o);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            if (o.delete_marker)
                json_object_set_new(result, "DeleteMarker", json_true());
            s3_object_clear(&o);
            if (s3_object_remove_version(b->name, key, vid) != 0)
                return NB_ESTORE;
        }
        json_object_set_new(result, "VersionId", json_string(vid));
        return 0;
    }
    if (b->versioning == S3_VER_OFF)
        return s3_object_remove_version(b->name, key, "null");
    s3_object_t o = {0};
    o.key = strdup(key);
    o.delete_marker = true;
    o.modified = (double)(long long)nb_now();
    int rc = s3_object_store(b, &o);
    if (rc == 0) {
        json_object_set_new(result, "DeleteMarker", json_true());
        json_object_set_new(result, "VersionId", json_string(o.version_id));
    }
    s3_object_clear(&o);
    return rc;
}

nb_result_t s3_delete_object(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    json_t *out = json_object();
    int rc;
    if ((rc = delete_one(&b, nb_json_str(in, "Key"), nb_json_str(in, "VersionId"), out)) != 0) {
        json_decref(out);
        return NB_FAILED(rc);
    }
    s3_notify_removed(req, &b, nb_json_str(in, "Key"), nb_json_str(in, "VersionId"), out);
    return nb_reply_new(req, out);
}

nb_result_t s3_delete_objects(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    /* S3 wants the body's integrity proven: Content-MD5 or a flexible checksum (checked by then). */
    bool digest = nb_req_header(req, "Content-MD5") != NULL;
    for (int a = 0; a < S3_CK__COUNT && !digest; a++)
        digest = nb_req_header(req, s3_ck_header(a)) != NULL;
    if (!digest)
        return nb_error(req, "InvalidRequest", "Missing required header for this request: Content-MD5");
    const json_t *del = json_object_get(in, "Delete");
    bool quiet = json_is_true(json_object_get(del, "Quiet"));
    const json_t *objs = json_object_get(del, "Objects");
    if (json_array_size(objs) > 1000)
        return nb_error(req, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against our published schema");
    json_t *deleted = json_array(), *errors = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(objs, i, item) {
        const char *key = nb_json_str(item, "Key");
        const char *vid = nb_json_str(item, "VersionId");
        json_t *r = json_pack("{s:s}", "Key", key ? key : "");
        if (key == NULL || *key == '\0') {
            json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "Key", "", "Code", "UserKeyMustBeSpecified",
                                                    "Message", "The key parameter must be specified"));
            json_decref(r);
            continue;
        }
        if (!s3_authz_object(req, vid ? "s3:DeleteObjectVersion" : "s3:DeleteObject", b.name, key)) {
            json_object_set_new(r, "Code", json_string("AccessDenied"));
            json_object_set_new(r, "Message", json_string("Access Denied"));
            if (vid)
                json_object_set_new(r, "VersionId", json_string(vid));
            json_array_append_new(errors, r);
            continue;
        }
        int rc;
        if ((rc = delete_one(&b, key, vid, r)) != 0) {
            json_decref(r);
            json_decref(deleted);
            json_decref(errors);
            return NB_FAILED(rc);
        }
        /* DeleteObjects names a new delete marker's version DeleteMarkerVersionId. */
        if (vid == NULL && json_object_get(r, "VersionId")) {
            json_object_set(r, "DeleteMarkerVersionId", json_object_get(r, "VersionId"));
            json_object_del(r, "VersionId");
        }
        s3_notify_removed(req, &b, key, vid, r);
        if (!quiet)
            json_array_append(deleted, r);
        json_decref(r);
    }
    json_t *out = json_object();
    if (json_array_size(deleted))
        json_object_set(out, "Deleted", deleted);
    if (json_array_size(errors))
        json_object_set(out, "Errors", errors);
    json_decref(deleted);
    json_decref(errors);
    return nb_reply_new(req, out);
}

/* ------------------------------------------------------------- copies */

/* "bucket/key?versionId=v", URL-encoded, optional leading '/'. Pieces are malloc'd.
 * -1 if malformed, -2 if a piece encodes a NUL (kept, it would name another object). */
static int s3_parse_copy_source(const char *src, char **bucket, char **key, char **vid) {
    *bucket = *key = *vid = NULL;
    if (src == NULL)
        return -1;
    while (*src == '/')
        src++;
    char *copy = strdup(src);
    char *q = strstr(copy, "?versionId=");
    bool whole = true;
    if (q) {
        *q = '\0';
        *vid = strdup(q + 11);
        whole = url_decode(*vid, false);
    }
    if (!url_decode(copy, false) || !whole) {
        free(copy);
        free(*vid);
        *vid = NULL;
        return -2;
    }
    char *slash = strchr(copy, '/');
    if (slash == NULL || slash[1] == '\0') {
        free(copy);
        free(*vid);
        *vid = NULL;
        return -1;
    }
    *slash = '\0';
    *bucket = strdup(copy);
    *key = strdup(slash + 1);
    free(copy);
    return 0;
}

int s3_copy_body(nb_body_t *src, unsigned algs, bool allow_inline, s3_ingest_t *out) {
    memset(out, 0, sizeof *out);
    char id[33];
    s3_random_hex(id);
    snprintf(out->blob, sizeof out->blob, "o/%s", id);
    int64_t size = src ? nb_body_size(src) : 0;
    s3_hash_t *h = s3_hash_new(algs);
    unsigned char *buf = malloc(IO_CHUNK);
    nb_blob_writer_t *w = NULL;
    int rc = src && h && buf ? 0 : NB_ENOMEM;
    if (rc == 0 && allow_inline && size <= S3_INLINE_MAX)
        rc = (out->data = malloc((size_t)size + 1)) ? 0 : NB_ENOMEM;
    else if (rc == 0)
        rc = nb_blob_writer_new(s3_self, out->blob, &w);
    for (int64_t off = 0; rc == 0 && off < size;) {
        ssize_t n = nb_body_read(src, off, buf, IO_CHUNK);
        if (n <= 0) {
            rc = NB_EIO;
            break;
        }
        s3_hash_update(h, buf, (size_t)n);
        if (out->data)
            memcpy(out->data + off, buf, (size_t)n);
        else
            rc = nb_blob_write(w, buf, (size_t)n);
        off += n;
    }
    if (rc == 0 && w) {
        rc = nb_blob_writer_finish(w);
        w = NULL;
    }
    if (w)
        nb_blob_writer_abort(w);
    if (rc == 0) {
        s3_hash_final(h, out->md5, out->checksum);
        s3_etag_format(out->md5, out->etag);
        out->size = size;
        out->algs = algs;
        if (out->data)
            out->blob[0] = '\0';
    } else {
        free(out->data);
        out->data = NULL;
    }
    s3_hash_free(h);
    free(buf);
    return rc;
}

/* x-amz-copy-source-if-* as S3 evaluates them; go on when they pass, else stop with the error set. */
static nb_step_t s3_copy_conditions(nb_req_t *req, const json_t *in, const s3_object_t *o) {
    const char *m = nb_json_str(in, "CopySourceIfMatch"), *nm = nb_json_str(in, "CopySourceIfNoneMatch");
    double ms = time_of(json_object_get(in, "CopySourceIfModifiedSince")),
           us = time_of(json_object_get(in, "CopySourceIfUnmodifiedSince"));
    const char *failed = NULL;
    if (m && !etag_matches(m, o->etag))
        failed = "x-amz-copy-source-If-Match";
    else if (!m && us >= 0 && o->modified > us)
        failed = "x-amz-copy-source-If-Unmodified-Since";
    else if (nm && etag_matches(nm, o->etag))
        failed = "x-amz-copy-source-If-None-Match";
    else if (!nm && ms >= 0 && o->modified <= ms)
        failed = "x-amz-copy-source-If-Modified-Since";
    if (failed)
        return nb_stop(nb_error_fields(req, "PreconditionFailed", json_pack("{s:s}", "Condition", failed),
                               "At least one of the pre-conditions you specified did not hold"));
    return NB_GO_ON;
}

/* Loads a copy source (bucket, version); go on, or stop (error set, or a failure). */
nb_step_t s3_load_copy_source(nb_req_t *req, const json_t *in, s3_bucket_t *sb, s3_object_t *so) {
    char *bucket, *key, *vid;
    int parsed = s3_parse_copy_source(nb_json_str(in, "CopySource"), &bucket, &key, &vid);
    if (parsed == -2)
        return nb_stop(nb_error(req, "InvalidArgument", "Copy Source must not contain an encoded NUL character"));
    if (parsed != 0)
        return nb_stop(nb_error(req, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"));
    /* a copy reads its source: ENFORCE_IAM=1 checks that read as a GetObject of it would be */
    nb_step_t step = s3_authz_object(req, vid ? "s3:GetObjectVersion" : "s3:GetObject", bucket, key)
                         ? s3_bucket_load(req, bucket, sb)
                         : nb_stop(nb_error(req, "AccessDenied", "Access Denied"));
    if (!nb_stopped(step) && vid) {
        /* A version that is a delete marker: GET of it is 405, a copy of it 400. */
        int found = s3_object_load(sb->name, key, vid, so);
        bool marker = found == 1 && so->delete_marker;
        if (found == 1)
            s3_object_clear(so);
        if (found < 0)
            step = nb_stop(NB_FAILED(found));
        else if (marker)
            step = nb_stop(nb_error(
                req, "InvalidRequest",
                "The source of a copy request may not specifically refer to a delete marker by version id."));
    }
    if (!nb_stopped(step))
        step = find_object(req, sb, key, vid, so, false, false);
    if (!nb_stopped(step) && nb_stopped(step = s3_check_readable(req, so, true)))
        s3_object_clear(so);
    free(bucket);
    free(key);
    free(vid);
    if (!nb_stopped(step) && nb_stopped(step = s3_copy_conditions(req, in, so)))
        s3_object_clear(so);
    return step;
}

typedef struct copy_job {
    nb_body_t *src;
    unsigned algs;
    bool allow_inline;
    s3_ingest_t ing;
    int rc;
    json_t *in;
    void *ctx;
    void (*ctx_free)(void *ctx);
    s3_copy_finish_fn finish;
} copy_job_t;

static void copy_job_free(copy_job_t *j) {
    if (j->src)
        nb_body_free(j->src);
    if (j->ctx_free)
        j->ctx_free(j->ctx);
    json_decref(j->in);
    free(j);
}

static void copy_work(void *data) {
    copy_job_t *j = data;
    j->rc = s3_copy_body(j->src, j->algs, j->allow_inline, &j->ing);
}

static void copy_done(nb_req_t *req, void *data) {
    copy_job_t *j = data;
    nb_result_t res = j->rc == 0 ? j->finish(req, j->in, &j->ing, j->ctx) : NB_FAILED(j->rc);
    if (nb_result_error(res) < 0)
        nb_error_code(req, "InternalError", 500, "We encountered an internal error. Please try again.");
    copy_job_free(j);
}

nb_result_t s3_copy_then(nb_req_t *req, const json_t *in, nb_body_t *src, unsigned algs, bool allow_inline,
                         s3_copy_finish_fn finish, void *ctx, void (*ctx_free)(void *ctx)) {
    copy_job_t *j = calloc(1, sizeof *j);
    if (j == NULL) {
        if (src)
            nb_body_free(src);
        if (ctx_free)
            ctx_free(ctx);
        return NB_FAILED(NB_ENOMEM);
    }
    *j = (copy_job_t){.src = src, .algs = algs, .allow_inline = allow_inline, .in = json_incref((json_t *)in),
                      .ctx = ctx, .ctx_free = ctx_free, .finish = finish};
    if (src == NULL) {
        copy_job_free(j);
        return NB_FAILED(NB_EIO);
    }
    if (nb_body_size(src) >= S3_ASYNC_MIN && nb_work_queue(req, copy_work, copy_done, j) == 0)
        return NB_ASYNC;
    copy_work(j);
    nb_result_t res = j->rc == 0 ? finish(req, in, &j->ing, ctx) : NB_FAILED(j->rc);
    copy_job_free(j);
    return res;
}

static void object_free(void *ctx) {
    s3_object_clear(ctx);
    free(ctx);
}

/* Stores a copy (loop): the destination bucket is loaded again, it may be gone after an async copy. */
static nb_result_t copy_finish(nb_req_t *req, const json_t *in, s3_ingest_t *ing, void *ctx) {
    const s3_object_t *so = ctx;
    s3_bucket_t b;
    nb_step_t step = s3_bucket_load(req, nb_json_str(in, "Bucket"), &b);
    if (nb_stopped(step)) {
        s3_ingest_discard(ing);
        return nb_step_result(step);
    }
    const char *directive = nb_json_str(in, "MetadataDirective");
    bool replace = directive && strcmp(directive, "REPLACE") == 0;
    s3_object_t o = {0};
    o.key = strdup(nb_json_str(in, "Key"));
    if (replace) {
        o.attrs = s3_attrs_from_input(req, in);
    } else {
        o.attrs = json_deep_copy(so->attrs);
        for (int a = 0; a < S3_CK__COUNT; a++)
            json_object_del(o.attrs, s3_ck_member(a));
        json_object_del(o.attrs, "ChecksumAlgorithm");
        json_object_del(o.attrs, "PartSizes"); /* a copy is one part */
        json_object_del(o.attrs, "PartList");
        /* Not metadata: the storage class is STANDARD unless the copy names one (a restored
         * GLACIER source too), and the
         * website redirect is never copied (only the request's own applies). */
        json_object_del(o.attrs, "StorageClass");
        json_object_del(o.attrs, "WebsiteRedirectLocation");
        if (json_object_get(in, "StorageClass"))
            json_object_set(o.attrs, "StorageClass", json_object_get(in, "StorageClass"));
        if (json_object_get(in, "WebsiteRedirectLocation"))
            json_object_set(o.attrs, "WebsiteRedirectLocation", json_object_get(in, "WebsiteRedirectLocation"));
    }
    s3_restore_drop(o.attrs);
    const char *td = nb_json_str(in, "TaggingDirective");
    if (td && strcmp(td, "REPLACE") == 0) {
        json_object_del(o.attrs, "TagSet");
        const char *tagging = nb_json_str(in, "Tagging");
        if (tagging && *tagging)
            json_object_set_new(o.attrs, "TagSet", parse_tagging(tagging));
    } else if (json_object_get(so->attrs, "TagSet")) {
        json_object_set(o.attrs, "TagSet", json_object_get(so->attrs, "TagSet"));
    }
    s3_attrs_set_acl(o.attrs, in, b.account);
    attrs_set_checksums(o.attrs, ing);
    if (s3_object_store_ingested(req, &b, &o, ing) != 0)
        return NB_FAILED(NB_ESTORE);
    json_t *result = json_pack("{s:s,s:f}", "ETag", ing->etag, "LastModified", o.modified);
    s3_output_checksums(req, result, o.attrs);
    json_t *out = json_pack("{s:o}", "CopyObjectResult", result);
    if (b.versioning != S3_VER_OFF)
        json_object_set_new(out, "VersionId", json_string(o.version_id));
    if (strcmp(so->version_id, "null") != 0)
        json_object_set_new(out, "CopySourceVersionId", json_string(so->version_id));
    s3_object_clear(&o);
    return nb_reply_new(req, out);
}

nb_result_t s3_copy_object(nb_req_t *req, const json_t *in) {
    s3_bucket_t b, sb;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    s3_object_t *so = calloc(1, sizeof *so);
    if (so == NULL)
        return NB_FAILED(NB_ENOMEM);
    nb_step_t step = s3_load_copy_source(req, in, &sb, so);
    if (nb_stopped(step)) {
        free(so);
        return nb_step_result(step);
    }
    const char *key = nb_json_str(in, "Key");
    json_t *grants = NULL;
    if (nb_stopped(step = s3_check_key(req, key)) || nb_stopped(step = s3_check_new_object(req, in)) ||
        nb_stopped(step = s3_acl_from_input(req, in, b.account, false, &grants))) {
        object_free(so);
        return nb_step_result(step);
    }
    json_decref(grants);
    const char *directive = nb_json_str(in, "MetadataDirective");
    bool replace = directive && strcmp(directive, "REPLACE") == 0;
    if (directive && !replace && strcmp(directive, "COPY") != 0) {
        object_free(so);
        return nb_error_fields(req, "InvalidArgument",
                               json_pack("{s:s,s:s}", "ArgumentName", "x-amz-metadata-directive", "ArgumentValue",
                                         directive),
                               "Unknown metadata directive.");
    }
    /* Copying a named version over its own key (how a previous version is restored) is a
     * change on a versioned bucket: it makes that content the latest version again. */
    const char *source = nb_json_str(in, "CopySource");
    bool names_version = source && strstr(source, "?versionId=") != NULL && b.versioning != S3_VER_OFF;
    if (strcmp(sb.name, b.name) == 0 && strcmp(so->key, key) == 0 && !replace && !names_version &&
        !json_object_get(in, "StorageClass") && !json_object_get(in, "WebsiteRedirectLocation") &&
        !json_object_get(in, "ServerSideEncryption")) {
        object_free(so);
        return nb_error(req, "InvalidRequest",
                        "This copy request is illegal because it is trying to copy an object to itself without "
                        "changing the object's metadata, storage class, website redirect location or encryption "
                        "attributes.");
    }
    unsigned algs = 0;
    const char *alg = nb_json_str(in, "ChecksumAlgorithm");
    if (alg && s3_ck_from_name(alg) >= 0)
        algs |= S3_CK_BIT(s3_ck_from_name(alg));
    else
        for (int a = 0; a < S3_CK__COUNT; a++)
            if (json_object_get(so->attrs, s3_ck_member(a)))
                algs |= S3_CK_BIT(a);
    return s3_copy_then(req, in, s3_object_body(so, 0, so->size), algs, true, copy_finish, so, object_free);
}

/* ------------------------------------------------ attributes and tags */

/* ObjectParts of a multipart object: the count, and a page of its parts (MaxParts,
 * PartNumberMarker) when it was uploaded with a checksum, as S3 lists them only then. */
static json_t *object_parts(const json_t *in, const s3_object_t *o) {
    json_t *out = json_pack("{s:i}", "TotalPartsCount", o->parts);
    const json_t *list = json_object_get(o->attrs, "PartList");
    if (nb_json_str(o->attrs, "ChecksumType") == NULL || !json_is_array(list))
        return out;
    const json_t *mp = json_object_get(in, "MaxParts"), *pm = json_object_get(in, "PartNumberMarker");
    json_int_t max = json_is_integer(mp) ? json_integer_value(mp) : 1000;
    json_int_t marker = json_is_integer(pm) ? json_integer_value(pm) : 0;
    if (max < 0 || max > 1000)
        max = 1000;
    json_t *parts = json_array();
    json_int_t last = 0;
    bool truncated = false;
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        json_int_t n = json_integer_value(json_object_get(p, "PartNumber"));
        if (n <= marker)
            continue;
        if ((json_int_t)json_array_size(parts) >= max) {
            truncated = true;
            break;
        }
        json_array_append(parts, p);
        last = n;
    }
    json_object_set_new(out, "PartNumberMarker", json_integer(marker));
    json_object_set_new(out, "MaxParts", json_integer(max));
    json_object_set_new(out, "IsTruncated", json_boolean(truncated));
    if (last)
        json_object_set_new(out, "NextPartNumberMarker", json_integer(last));
    json_object_set_new(out, "Parts", parts);
    return out;
}

nb_result_t s3_get_object_attributes(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    s3_object_t o;
    NB_TRY(find_object(req, &b, nb_json_str(in, "Key"), nb_json_str(in, "VersionId"), &o, false, false));
    json_t *out = json_pack("{s:f}", "LastModified", o.modified);
    if (b.versioning != S3_VER_OFF)
        json_object_set_new(out, "VersionId", json_string(o.version_id));
    size_t i;
    json_t *attr;
    json_array_foreach(json_object_get(in, "ObjectAttributes"), i, attr) {
        const char *a = json_string_value(attr);
        if (a == NULL)
            continue;
        if (strcmp(a, "ETag") == 0) {
            char etag[64];
            snprintf(etag, sizeof etag, "%s", o.etag + (o.etag[0] == '"'));
            size_t n = strlen(etag);
            if (n && etag[n - 1] == '"')
                etag[n - 1] = '\0';
            json_object_set_new(out, "ETag", json_string(etag));
        } else if (strcmp(a, "ObjectSize") == 0) {
            json_object_set_new(out, "ObjectSize", json_integer(o.size));
        } else if (strcmp(a, "StorageClass") == 0) {
            const char *sc = nb_json_str(o.attrs, "StorageClass");
            json_object_set_new(out, "StorageClass", json_string(sc ? sc : "STANDARD"));
        } else if (strcmp(a, "ObjectParts") == 0 && o.parts > 0) {
            json_object_set_new(out, "ObjectParts", object_parts(in, &o));
        } else if (strcmp(a, "Checksum") == 0) {
            json_t *ck = json_object();
            for (int k = 0; k < S3_CK__COUNT; k++)
                if (nb_json_str(o.attrs, s3_ck_member(k)))
                    json_object_set(ck, s3_ck_member(k), json_object_get(o.attrs, s3_ck_member(k)));
            if (json_object_size(ck))
                json_object_set_new(ck, "ChecksumType", json_string(s3_checksum_type(o.attrs)));
            if (json_object_size(ck))
                json_object_set_new(out, "Checksum", ck);
            else
                json_decref(ck);
        }
    }
    s3_object_clear(&o);
    return nb_reply_new(req, out);
}

int s3_object_update_attrs(const s3_object_t *o) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "UPDATE objects SET attrs = ?2 WHERE id = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, o->id);
    sqlite3_bind_text(s, 2, s3_json_text(o->attrs), -1, free);
    return nb_store_run(s);
}

static nb_result_t tagging_op(nb_req_t *req, const json_t *in, int which) {
    nb_step_t step;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    s3_object_t o;
    NB_TRY(find_object(req, &b, nb_json_str(in, "Key"), nb_json_str(in, "VersionId"), &o, false, false));
    json_t *out = json_object();
    if (b.versioning != S3_VER_OFF)
        json_object_set_new(out, "VersionId", json_string(o.version_id));
    if (which == 0) {
        json_t *set = json_object_get(o.attrs, "TagSet");
        json_object_set(out, "TagSet", set ? set : json_array());
        if (set == NULL)
            json_decref(json_object_get(out, "TagSet"));
    } else {
        const json_t *set = json_object_get(json_object_get(in, "Tagging"), "TagSet");
        if (which == 1 && nb_stopped(step = s3_check_tags(req, set, false))) {
            json_decref(out);
            s3_object_clear(&o);
            return nb_step_result(step);
        }
        if (which == 1)
            json_object_set(o.attrs, "TagSet", (json_t *)set);
        else
            json_object_del(o.attrs, "TagSet");
        if (s3_object_update_attrs(&o) != 0) {
            json_decref(out);
            s3_object_clear(&o);
            return NB_FAILED(NB_ESTORE);
        }
    }
    s3_object_clear(&o);
    return nb_reply_new(req, out);
}

nb_result_t s3_get_object_tagging(nb_req_t *req, const json_t *in) { return tagging_op(req, in, 0); }
nb_result_t s3_put_object_tagging(nb_req_t *req, const json_t *in) { return tagging_op(req, in, 1); }
nb_result_t s3_delete_object_tagging(nb_req_t *req, const json_t *in) { return tagging_op(req, in, 2); }

nb_step_t s3_find_version(nb_req_t *req, const s3_bucket_t *b, const char *key, const char *vid, s3_object_t *o) {
    return find_object(req, b, key, vid, o, false, false);
}

nb_result_t s3_put_bucket_tagging(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    NB_TRY(s3_check_tags(req, json_object_get(json_object_get(in, "Tagging"), "TagSet"), true));
    return s3_config_put(req, in);
}
