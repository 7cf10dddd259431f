/* Key policies (GetKeyPolicy, PutKeyPolicy, ListKeyPolicies) and tags (TagResource,
 * UntagResource, ListResourceTags): columns of the key's row. */
#include "kms.h"

#include <stdlib.h>

const char *kms_default_policy(nb_req_t *req, const char *account) {
    /* AWS's default key policy, byte for byte as GetKeyPolicy answers it */
    return nb_req_printf(req,
                         "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n"
                         "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n"
                         "    \"Principal\" : {\n      \"AWS\" : \"arn:%s:iam::%s:root\"\n    },\n"
                         "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}",
                         nb_partition(nb_req_region(req)), account);
}

/* A text column of the key's row, in request memory. */
static const char *key_column(nb_req_t *req, const kms_key_t *k, int tags) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store,
        tags ? "SELECT tags FROM keys WHERE id = ?1 AND account = :account AND region = :region"
             : "SELECT policy FROM keys WHERE id = ?1 AND account = :account AND region = :region",
        k->account, k->region);
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    return sqlite3_step(s) == SQLITE_ROW ? nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0)) : NULL;
}

const char *kms_key_policy_text(nb_req_t *req, const kms_key_t *k) { return key_column(req, k, 0); }

static int key_column_set(const kms_key_t *k, int tags, const char *text) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store,
        tags ? "UPDATE keys SET tags = ?1 WHERE id = ?2 AND account = :account AND region = :region"
             : "UPDATE keys SET policy = ?1 WHERE id = ?2 AND account = :account AND region = :region",
        k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, k->id, -1, SQLITE_TRANSIENT);
    return nb_store_run(s);
}

static nb_step_t policy_name(nb_req_t *req, const json_t *input) {
    const char *name = nb_json_str(input, "PolicyName");
    if (name != NULL && strcmp(name, "default") != 0)
        return nb_stop(nb_error(req, "NotFoundException", "No such policy exists"));
    return NB_GO_ON;
}

nb_result_t kms_get_key_policy(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(policy_name(req, input));
    const char *policy = key_column(req, k, 0);
    if (policy == NULL)
        return kms_internal(req, NB_ESTORE);
    return nb_reply_new(req, json_pack("{s:s,s:s}", "Policy", policy, "PolicyName", "default"));
}

nb_result_t kms_put_key_policy(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(policy_name(req, input));
    NB_TRY(kms_key_not_pending(req, k));
    const char *policy = kms_str(input, "Policy");
    json_t *doc = json_loads(policy, 0, NULL);
    int ok = json_is_object(doc) && json_object_get(doc, "Statement") != NULL;
    json_decref(doc);
    if (!ok)
        return nb_error(req, "MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.");
    int rc = key_column_set(k, 0, policy);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_list_key_policies(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    return nb_reply_new(req, json_pack("{s:[s],s:b}", "PolicyNames", "default", "Truncated", 0));
}

/* The key's tags as a JSON array of {TagKey, TagValue}, owned by the caller. */
static json_t *tags_load(nb_req_t *req, const kms_key_t *k) {
    const char *text = key_column(req, k, 1);
    json_t *t = text ? json_loads(text, 0, NULL) : NULL;
    return json_is_array(t) ? t : (json_decref(t), json_array());
}

static int tags_save(const kms_key_t *k, json_t *tags) {
    char *text = json_dumps(tags, JSON_COMPACT);
    int rc = text ? key_column_set(k, 1, text) : NB_ENOMEM;
    free(text);
    return rc;
}

/* Removes the tag named key from tags; 1 when there was one. */
static int tags_remove(json_t *tags, const char *key) {
    for (size_t i = 0; i < json_array_size(tags); i++)
        if (strcmp(kms_str(json_array_get(tags, i), "TagKey"), key) == 0) {
            json_array_remove(tags, i);
            return 1;
        }
    return 0;
}

nb_result_t kms_tag_resource(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_not_pending(req, k));
    json_t *tags = tags_load(req, k), *add = json_object_get(input, "Tags");
    size_t i;
    json_t *t;
    json_array_foreach(add, i, t) {
        if (strncmp(kms_str(t, "TagKey"), "aws:", 4) == 0) {
            json_decref(tags);
            return nb_error(req, "TagException", "Tags beginning with aws: are reserved");
        }
        tags_remove(tags, kms_str(t, "TagKey"));
        json_array_append_new(tags, json_pack("{s:s,s:s}", "TagKey", kms_str(t, "TagKey"), "TagValue", kms_str(t, "TagValue")));
    }
    if (json_array_size(tags) > 50) {
        json_decref(tags);
        return nb_error(req, "LimitExceededException", "Tag limit exceeded: a key has at most 50 tags.");
    }
    int rc = tags_save(k, tags);
    json_decref(tags);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_untag_resource(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_not_pending(req, k));
    json_t *tags = tags_load(req, k), *keys = json_object_get(input, "TagKeys"), *t;
    size_t i;
    json_array_foreach(keys, i, t) tags_remove(tags, json_string_value(t) ? json_string_value(t) : "");
    int rc = tags_save(k, tags);
    json_decref(tags);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_list_resource_tags(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    json_t *tags = tags_load(req, k);
    json_int_t limit = nb_json_int(input, "Limit", 50), start = 0;
    const char *marker = nb_json_str(input, "Marker");
    if (marker != NULL)
        start = atoll(marker);
    json_t *page = json_array(), *out = json_object();
    for (size_t i = (size_t)start; i < json_array_size(tags); i++) {
        if ((json_int_t)json_array_size(page) == limit) {
            json_object_set_new(out, "NextMarker", json_string(nb_req_printf(req, "%zu", i)));
            break;
        }
        json_array_append(page, json_array_get(tags, i));
    }
    json_decref(tags);
    json_object_set_new(out, "Tags", page);
    json_object_set_new(out, "Truncated", json_boolean(json_object_get(out, "NextMarker") != NULL));
    return nb_reply_new(req, out);
}
