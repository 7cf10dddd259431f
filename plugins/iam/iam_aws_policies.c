/* AWS managed policies (arn:aws:iam::aws:policy/...): the generated file of
 * tools/iam/gen_aws_managed_policies.py (its docstring gives the layout). On first use only the
 * index is inflated and parsed (rows without documents, enough to list them); a document is
 * inflated from its block when a policy is asked for by ARN, so no request stalls the loop on
 * the whole 3 MB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "iam.h"

extern const unsigned char iam_aws_gz[], iam_aws_gz_end[];

static json_t *by_arn;  /* "policy/<path><name>" -> row */
static json_t *ordered; /* the rows, by name */

static double iso_time(const char *s) {
    struct tm tm = {0};
    if (s == NULL ||
        sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) < 3)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

/* Inflates the gzip member at data (size bytes at most) into a new buffer; *len its length and
 * *used the compressed bytes it took. NULL when damaged. */
static char *inflate_member(const unsigned char *data, size_t size, size_t *len, size_t *used) {
    z_stream z = {0};
    size_t cap = 128u << 10, n = 0;
    char *out = malloc(cap);
    if (out == NULL || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (unsigned char *)data;
    z.avail_in = (unsigned)size;
    int rc;
    do {
        if (n == cap) {
            char *bigger = realloc(out, cap *= 2);
            if (bigger == NULL)
                break;
            out = bigger;
        }
        z.next_out = (unsigned char *)out + n;
        z.avail_out = (unsigned)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    } while (rc == Z_OK);
    *used = size - z.avail_in;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *len = n;
    return out;
}

/* A policy's id: stable, from its name, in IAM's form (ANPA + 16). */
static void policy_id(const char *name, char id[21]) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    memcpy(id, "ANPA", 4);
    for (int i = 0; i < 16; i++, h = h * 6364136223846793005ull + 1442695040888963407ull)
        id[4 + i] = alphabet[(h >> 59) & 31];
    id[20] = '\0';
}

static const unsigned char *blocks_at; /* the documents' members, after the index's */
static json_t *blocks;                 /* [[offset, size], ...] into blocks_at */

/* The last block inflated: a run asks for the same few policies again and again (evaluation). */
static struct {
    long number;
    char *text;
    size_t len;
} cached = {-1, NULL, 0};

static int load(void) {
    if (by_arn != NULL)
        return 0;
    size_t all = (size_t)(iam_aws_gz_end - iam_aws_gz), len = 0, used = 0;
    char *text = inflate_member(iam_aws_gz, all, &len, &used);
    json_t *data = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (data == NULL)
        return -1;
    blocks_at = iam_aws_gz + used;
    blocks = json_incref(json_object_get(data, "blocks"));
    by_arn = json_object();
    ordered = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(data, "policies"), i, p) {
        const char *name, *path, *version, *created, *updated;
        json_int_t block, start, length;
        if (json_unpack(p, "[sssssIII]", &name, &path, &version, &created, &updated, &block, &start, &length) != 0)
            continue;
        char id[21], key[600];
        policy_id(name, id);
        snprintf(key, sizeof key, "policy%s%s", path, name);
        double made = iso_time(created), changed = iso_time(updated);
        /* _text: where the document is, dropped from what callers get */
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:b,s:[{s:s,s:b,s:f}],s:[I,I,I]}", "PolicyName", name,
                                "PolicyId", id, "Arn", "", "Path", path, "DefaultVersionId", version, "CreateDate",
                                made, "UpdateDate", changed, "IsAttachable", 1, "_versions", "VersionId", version,
                                "IsDefaultVersion", 1, "CreateDate", changed, "_text", block, start, length);
        if (row == NULL)
            continue;
        char arn[640];
        snprintf(arn, sizeof arn, "arn:aws:iam::aws:%s", key);
        json_object_set_new(row, "Arn", json_string(arn));
        json_object_set(by_arn, key, row);
        json_array_append_new(ordered, row);
    }
    json_decref(data);
    return 0;
}

/* The document of a row from load(), as a new string; NULL when the data is damaged. */
static json_t *document(const json_t *row) {
    json_int_t number, start, length, offset, size;
    if (json_unpack(json_object_get(row, "_text"), "[III]", &number, &start, &length) != 0 ||
        json_unpack(json_array_get(blocks, (size_t)number), "[II]", &offset, &size) != 0)
        return NULL;
    if (cached.number != number) {
        size_t len = 0, used = 0;
        char *text = inflate_member(blocks_at + offset, (size_t)size, &len, &used);
        if (text == NULL)
            return NULL;
        free(cached.text);
        cached.number = number, cached.text = text, cached.len = len;
    }
    if (start < 0 || length < 0 || (size_t)(start + length) > cached.len)
        return NULL;
    return json_stringn(cached.text + start, (size_t)length);
}

json_t *iam_aws_policy(const char *arn) {
    const char *key = arn ? strstr(arn, ":iam::aws:policy/") : NULL;
    if (key == NULL || load() != 0)
        return NULL;
    json_t *row = json_object_get(by_arn, key + 10), *text = row ? document(row) : NULL;
    if (text == NULL)
        return NULL;
    json_t *out = json_deep_copy(row);
    json_object_del(out, "_text");
    json_object_set_new(json_array_get(json_object_get(out, "_versions"), 0), "Document", text);
    return out;
}

const json_t *iam_aws_policies(void) { return load() == 0 ? ordered : NULL; }

void iam_aws_policies_free(void) {
    json_decref(by_arn);
    json_decref(ordered);
    json_decref(blocks);
    free(cached.text);
    by_arn = ordered = blocks = NULL;
    blocks_at = NULL;
    cached.number = -1, cached.text = NULL, cached.len = 0;
}
