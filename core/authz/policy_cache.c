/* Cached identity policies (policy_cache.h): one jansson object keyed "account principal". */
#include "authz/policy_cache.h"

#include <string.h>

#include "authz/decision_cache.h"
#include "authz/policy_eval.h"

static json_t *cache, *documents;

/* More principals than this are not expected of a local emulator: past it the cache starts over
 * rather than grow without bound. */
#define MAX_ENTRIES 4096

/* "account principal"; NULL when it does not fit. Joined by hand: snprintf costs a tenth of a
 * cached request's authorization. */
static const char *key_of(char *buf, size_t cap, const char *account, const char *principal_arn) {
    size_t a = strlen(account), p = strlen(principal_arn);
    if (a + 1 + p >= cap)
        return NULL;
    memcpy(buf, account, a);
    buf[a] = ' ';
    memcpy(buf + a + 1, principal_arn, p + 1);
    return buf;
}

const json_t *nb__policy_cache_get(const char *account, const char *principal_arn) {
    char buf[1024];
    const char *key = cache ? key_of(buf, sizeof buf, account, principal_arn) : NULL;
    return key ? json_object_get(cache, key) : NULL;
}

const json_t *nb__policy_cache_put(const char *account, const char *principal_arn, nb_identity_policies_t *out, int rc) {
    json_t *policies = out->policies, *boundary = out->boundary, *tags = out->tags;
    bool context = boundary && nb__policy_uses_context(boundary);
    size_t i;
    json_t *p;
    json_array_foreach(policies, i, p) context = context || nb__policy_uses_context(p);
    json_t *entry = json_pack("{s:o,s:i,s:b}", "policies", policies ? policies : json_array(), "rc", rc, "context",
                              context);
    if (entry && boundary)
        json_object_set_new(entry, "boundary", boundary);
    else
        json_decref(boundary);
    if (entry && json_is_array(tags))
        json_object_set_new(entry, "tags", tags);
    else
        json_decref(tags);
    char buf[1024];
    const char *key = key_of(buf, sizeof buf, account, principal_arn);
    if (cache == NULL || json_object_size(cache) >= MAX_ENTRIES) {
        json_decref(cache);
        cache = json_object();
    }
    if (entry == NULL || key == NULL || cache == NULL) {
        json_decref(entry);
        return NULL; /* not kept: the caller asks again next time */
    }
    if (json_object_set_new(cache, key, entry) != 0)
        return NULL;
    return entry;
}

/* Policies are up to 20 KiB of text (S3's limit): fewer of them are kept. */
#define MAX_PARSED 256

static json_t *parsed;

const json_t *nb__policy_parsed(const char *text) {
    const json_t *hit = parsed ? json_object_get(parsed, text) : NULL;
    if (hit)
        return json_is_object(hit) ? hit : NULL;
    if (parsed == NULL || json_object_size(parsed) >= MAX_PARSED) {
        json_decref(parsed);
        parsed = json_object();
        nb__decision_cache_clear();
    }
    json_t *doc = json_loads(text, 0, NULL);
    if (!json_is_object(doc)) { /* remembered as not parsing: null */
        json_decref(doc);
        doc = json_null();
    }
    if (parsed == NULL || json_object_set_new(parsed, text, doc) != 0)
        return NULL;
    return json_is_object(doc) ? doc : NULL;
}

const char *nb__policy_document_get(const char *account, const char *arn) {
    char buf[2200];
    const char *key = documents ? key_of(buf, sizeof buf, account, arn) : NULL;
    return key ? json_string_value(json_object_get(documents, key)) : NULL;
}

void nb__policy_document_put(const char *account, const char *arn, const char *text) {
    char buf[2200];
    const char *key = key_of(buf, sizeof buf, account, arn);
    if (documents == NULL || json_object_size(documents) >= MAX_ENTRIES) {
        json_decref(documents);
        documents = json_object();
    }
    if (key && documents)
        json_object_set_new(documents, key, json_string(text));
}

void nb__policy_cache_clear(void) {
    if (cache)
        json_object_clear(cache);
    if (documents)
        json_object_clear(documents);
    nb__decision_cache_clear();
}
