/* AWS managed policies (arn:aws:iam::aws:policy/...): the generated list of
 * tools/iam/gen_aws_managed_policies.py, inflated and indexed on first use only, since most
 * runs never ask for one. */
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

static char *inflate_all(size_t *len) {
    z_stream z = {0};
    size_t cap = 4u << 20, n = 0;
    char *out = malloc(cap);
    if (out == NULL || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (unsigned char *)iam_aws_gz;
    z.avail_in = (unsigned)(iam_aws_gz_end - iam_aws_gz);
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

static int load(void) {
    if (by_arn != NULL)
        return 0;
    size_t len = 0;
    char *text = inflate_all(&len);
    json_t *data = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (data == NULL)
        return -1;
    by_arn = json_object();
    ordered = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(data, "policies"), i, p) {
        const char *name = iam_str(p, "PolicyName"), *path = iam_str(p, "Path");
        char id[21], key[600];
        policy_id(name, id);
        snprintf(key, sizeof key, "policy%s%s", path, name);
        double created = iso_time(iam_str(p, "CreateDate")), updated = iso_time(iam_str(p, "UpdateDate"));
        json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:O,s:f,s:f,s:b,s:[{s:O,s:O,s:b,s:f}]}", "PolicyName", name,
                                "PolicyId", id, "Arn", "", "Path", path, "DefaultVersionId",
                                json_object_get(p, "DefaultVersionId"), "CreateDate", created, "UpdateDate", updated,
                                "IsAttachable", 1, "_versions", "VersionId", json_object_get(p, "DefaultVersionId"),
                                "Document", json_object_get(p, "Document"), "IsDefaultVersion", 1, "CreateDate",
                                updated);
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

json_t *iam_aws_policy(const char *arn) {
    const char *key = arn ? strstr(arn, ":iam::aws:policy/") : NULL;
    if (key == NULL || load() != 0)
        return NULL;
    json_t *row = json_object_get(by_arn, key + 10);
    return row ? json_deep_copy(row) : NULL;
}

const json_t *iam_aws_policies(void) { return load() == 0 ? ordered : NULL; }

void iam_aws_policies_free(void) {
    json_decref(by_arn);
    json_decref(ordered);
    by_arn = ordered = NULL;
}
