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

/* One policy of the index: its fields point into index_text. */
struct aws_policy {
    const char *name, *path, *version, *created, *updated;
    unsigned block;
    size_t start, length;
};

static char *index_text;           /* the inflated index, its tabs and newlines made NULs */
static struct aws_policy *policies; /* by name, in byte order */
static size_t policy_count;
static size_t *block_offsets;       /* where each block's member starts, block_count + 1 of them */
static size_t block_count;
static const unsigned char *blocks_at; /* the documents' members, after the index's */
static json_t *ordered;                /* the rows of iam_aws_policies, made when first asked for */

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

/* The last block inflated: a run asks for the same few policies again and again (evaluation). */
static struct {
    long number;
    char *text;
    size_t len;
} cached = {-1, NULL, 0};

/* The next field of the line at *at, ended by a tab or newline (made a NUL); NULL past the end. */
static char *field(char **at, const char *end) {
    char *start = *at, *p = start;
    while (p < end && *p != '\t' && *p != '\n')
        p++;
    if (p >= end)
        return NULL;
    *p = '\0';
    *at = p + 1;
    return start;
}

/* Reads the index (the generator's docstring gives its lines) in place: no JSON, no copies. */
static int scan_index(char *text, size_t len) {
    char *at = text, *end = text + len, *line;
    if (field(&at, end) == NULL || (line = field(&at, end)) == NULL) /* the source line; the sizes */
        return -1;
    for (const char *p = line; *p; p++)
        block_count += *p == ' ';
    block_count += *line != '\0';
    block_offsets = calloc(block_count + 1, sizeof *block_offsets);
    size_t lines = 0;
    for (const char *n = at; (n = memchr(n, '\n', (size_t)(end - n))) != NULL; n++)
        lines++;
    policies = calloc(lines + 1, sizeof *policies);
    if (block_offsets == NULL || policies == NULL)
        return -1;
    char *p = line;
    for (size_t b = 0; b < block_count; b++)
        block_offsets[b + 1] = block_offsets[b] + strtoul(p, &p, 10);
    while (at < end && policy_count < lines) {
        struct aws_policy *row = &policies[policy_count];
        char *fields[8];
        for (int f = 0; f < 8; f++)
            if ((fields[f] = field(&at, end)) == NULL)
                return -1;
        *row = (struct aws_policy){fields[0], fields[1], fields[2], fields[3], fields[4],
                                   (unsigned)strtoul(fields[5], NULL, 10), strtoul(fields[6], NULL, 10),
                                   strtoul(fields[7], NULL, 10)};
        if (row->block >= block_count)
            return -1;
        policy_count++;
    }
    return 0;
}

static int load(void) {
    if (policies != NULL)
        return 0;
    size_t all = (size_t)(iam_aws_gz_end - iam_aws_gz), len = 0, used = 0;
    index_text = inflate_member(iam_aws_gz, all, &len, &used);
    if (index_text == NULL || scan_index(index_text, len) != 0 || block_offsets[block_count] > all - used) {
        iam_aws_policies_free();
        return -1;
    }
    blocks_at = iam_aws_gz + used;
    return 0;
}

static int by_name(const void *key, const void *row) {
    return strcmp(key, ((const struct aws_policy *)row)->name);
}

/* The policy of "policy<path><name>", or NULL. */
static const struct aws_policy *find(const char *key) {
    const char *name = strrchr(key, '/');
    if (strncmp(key, "policy/", 7) != 0 || name == NULL)
        return NULL;
    const struct aws_policy *p = bsearch(name + 1, policies, policy_count, sizeof *policies, by_name);
    size_t path_len = (size_t)(name + 1 - (key + 6));
    return p && strlen(p->path) == path_len && strncmp(p->path, key + 6, path_len) == 0 ? p : NULL;
}

/* A policy shaped like a customer managed row, without its document. */
static json_t *row_of(const struct aws_policy *p) {
    char id[21], arn[640];
    policy_id(p->name, id);
    snprintf(arn, sizeof arn, "arn:aws:iam::aws:policy%s%s", p->path, p->name);
    double created = iso_time(p->created), updated = iso_time(p->updated);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:b,s:[{s:s,s:b,s:f}]}", "PolicyName", p->name, "PolicyId", id,
                     "Arn", arn, "Path", p->path, "DefaultVersionId", p->version, "CreateDate", created, "UpdateDate",
                     updated, "IsAttachable", 1, "_versions", "VersionId", p->version, "IsDefaultVersion", 1,
                     "CreateDate", updated);
}

/* The document of a policy, as a new string; NULL when the data is damaged. */
static json_t *document(const struct aws_policy *p) {
    if (cached.number != (long)p->block) {
        size_t len = 0, used = 0, at = block_offsets[p->block];
        char *text = inflate_member(blocks_at + at, block_offsets[p->block + 1] - at, &len, &used);
        if (text == NULL)
            return NULL;
        free(cached.text);
        cached.number = (long)p->block, cached.text = text, cached.len = len;
    }
    if (p->start + p->length > cached.len)
        return NULL;
    return json_stringn(cached.text + p->start, p->length);
}

json_t *iam_aws_policy(const char *arn) {
    const char *key = arn ? strstr(arn, ":iam::aws:policy/") : NULL;
    if (key == NULL || load() != 0)
        return NULL;
    const struct aws_policy *p = find(key + 10);
    json_t *text = p ? document(p) : NULL, *row = text ? row_of(p) : NULL;
    if (row == NULL) {
        json_decref(text);
        return NULL;
    }
    json_object_set_new(json_array_get(json_object_get(row, "_versions"), 0), "Document", text);
    return row;
}

const json_t *iam_aws_policies(void) {
    if (ordered != NULL || load() != 0)
        return ordered;
    ordered = json_array();
    for (size_t i = 0; i < policy_count; i++)
        json_array_append_new(ordered, row_of(&policies[i]));
    return ordered;
}

void iam_aws_policies_free(void) {
    json_decref(ordered);
    free(index_text);
    free(policies);
    free(block_offsets);
    free(cached.text);
    ordered = NULL;
    index_text = NULL;
    policies = NULL;
    block_offsets = NULL;
    policy_count = block_count = 0;
    blocks_at = NULL;
    cached.number = -1, cached.text = NULL, cached.len = 0;
}
