/* Ids, ARNs, documents' encoding, paging and the lookups every handler shares. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "iam.h"

/* The characters of the unique part of IAM's ids (AROA..., AKIA...). */
static const char id_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const char *iam_new_id(nb_req_t *req, const char *prefix, int len) {
    size_t plen = strlen(prefix);
    char *id = nb_req_alloc(req, plen + (size_t)len + 1);
    unsigned char rnd[64];
    if (id == NULL || len > (int)sizeof rnd || RAND_bytes(rnd, len) != 1)
        return NULL;
    memcpy(id, prefix, plen);
    for (int i = 0; i < len; i++)
        id[plen + (size_t)i] = id_alphabet[rnd[i] % 32];
    return id;
}

const char *iam_account(nb_req_t *req) { return nb_req_account(req); }

const char *iam_partition(nb_req_t *req) { return nb_partition(nb_req_region(req)); }

const char *iam_arn(nb_req_t *req, const char *type, const char *path, const char *name) {
    if (path == NULL || path[0] == '\0')
        path = "/";
    return nb_req_printf(req, "arn:%s:iam::%s:%s%s%s", iam_partition(req), iam_account(req), type, path, name);
}

const char *iam_url_encode(nb_req_t *req, const char *text) {
    size_t n = strlen(text);
    char *out = nb_req_alloc(req, 3 * n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    return out;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

const char *iam_url_decode(nb_req_t *req, const char *text) {
    if (text == NULL)
        return NULL;
    char *out = nb_req_alloc(req, strlen(text) + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = text; *p; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

const char *iam_str(const json_t *in, const char *member) { return json_string_value(json_object_get(in, member)); }

json_t *iam_public(const json_t *doc) {
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        if (key[0] != '_')
            json_object_set(out, key, v);
    }
    return out;
}

nb_result_t iam_store_failed(nb_req_t *req) {
    (void)req;
    return NB_FAILED(NB_ESTORE);
}

/* The Marker is the index of the next item, as IAM's markers are opaque to clients. */
nb_result_t iam_reply_page(nb_req_t *req, const json_t *in, json_t *out, const char *member, json_t *list) {
    if (out == NULL || list == NULL) {
        json_decref(out);
        json_decref(list);
        return NB_FAILED(NB_ENOMEM);
    }
    size_t start = 0, total = json_array_size(list);
    const char *marker = iam_str(in, "Marker");
    if (marker != NULL) {
        char *end = NULL;
        unsigned long v = strtoul(marker, &end, 10);
        if (end == marker || *end != '\0' || v > total) {
            json_decref(out);
            json_decref(list);
            return nb_error_code(req, "ValidationError", 400, "Invalid Marker.");
        }
        start = v;
    }
    json_int_t max = json_integer_value(json_object_get(in, "MaxItems"));
    size_t limit = max > 0 ? (size_t)max : 100;
    json_t *page = json_array();
    for (size_t i = start; i < total && i < start + limit; i++)
        json_array_append(page, json_array_get(list, i));
    bool truncated = start + limit < total;
    json_object_set_new(out, member, page);
    json_object_set_new(out, "IsTruncated", json_boolean(truncated));
    if (truncated)
        json_object_set_new(out, "Marker", json_sprintf("%zu", start + limit));
    json_decref(list);
    return nb_reply_new(req, out);
}

nb_step_t iam_find_named(nb_req_t *req, const iam_kind_t *k, const char *name, json_t **doc) {
    *doc = iam_load(req, k->kind, name);
    if (*doc == NULL)
        return nb_stop(nb_error(req, "NoSuchEntity", k->not_found, name ? name : ""));
    return NB_GO_ON;
}

nb_step_t iam_find(nb_req_t *req, const json_t *in, const iam_kind_t *k, json_t **doc, const char **name) {
    *name = iam_str(in, k->arn_member ? k->arn_member : k->name_member);
    return iam_find_named(req, k, *name, doc);
}

nb_step_t iam_path(nb_req_t *req, const json_t *in, const char *member, const char **path) {
    const char *p = iam_str(in, member);
    if (p == NULL) {
        *path = "/";
        return NB_GO_ON;
    }
    size_t n = strlen(p);
    if (n == 0 || p[0] != '/' || p[n - 1] != '/')
        return nb_stop(nb_error_code(req, "ValidationError", 400,
                                     "The specified value for path is invalid. It must begin and end with / and "
                                     "contain only alphanumeric characters and/or / characters."));
    *path = p;
    return NB_GO_ON;
}

nb_step_t iam_tags_merge(nb_req_t *req, json_t *doc, const json_t *tags) {
    json_t *have = json_object_get(doc, "Tags");
    if (have == NULL) {
        have = json_array();
        json_object_set_new(doc, "Tags", have);
    }
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *key = iam_str(t, "Key");
        size_t j;
        json_t *h;
        bool replaced = false;
        json_array_foreach(have, j, h) {
            if (strcmp(iam_str(h, "Key"), key) == 0) {
                json_object_set(h, "Value", json_object_get(t, "Value"));
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append_new(have, json_pack("{s:s,s:O}", "Key", key, "Value", json_object_get(t, "Value")));
    }
    if (json_array_size(have) > 50)
        return nb_stop(nb_error(req, "LimitExceeded", "The number of tags has reached the maximum limit."));
    return NB_GO_ON;
}
