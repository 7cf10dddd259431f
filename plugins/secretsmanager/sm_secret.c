#include <string.h>

#include "sm.h"

/* AWS's names: letters, digits and /_+=.@- */
static nb_step_t check_name(nb_req_t *req, const char *name) {
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("/_+=.@-", *p) != NULL))
            return nb_stop(nb_error(req, "InvalidParameterException",
                                    "Invalid name. Must be a valid name containing alphanumeric characters, or any of "
                                    "the following: -/_+=.@!"));
    }
    return NB_GO_ON;
}

/* Tags: the later value of a key replaces the earlier. */
static void tags_merge(json_t *meta, const json_t *add) {
    json_t *tags = json_object_get(meta, "Tags");
    if (!json_is_array(tags))
        json_object_set_new(meta, "Tags", tags = json_array());
    size_t i, j;
    json_t *t, *old;
    json_array_foreach(add, i, t) {
        const char *key = nb_json_str(t, "Key");
        if (key == NULL)
            continue;
        bool replaced = false;
        json_array_foreach(tags, j, old) {
            if (nb_json_str_eq(old, "Key", key)) {
                json_array_set(tags, j, t);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(tags, t);
    }
}

nb_result_t secretsmanager_create_secret(nb_req_t *req, const json_t *input) {
    const char *name = nb_json_str(input, "Name");
    NB_TRY(check_name(req, name));
    sm_value_t value;
    NB_TRY(sm_value_from_input(req, input, &value));
    sm_secret_t s = {0};
    int rc = sm_load_name(req, nb_req_account(req), nb_req_region(req), name, &s);
    if (rc == 0 && s.deleted)
        return nb_error(req, "InvalidRequestException",
                        "You can't create this secret because a secret with this name is already scheduled for "
                        "deletion.");
    if (rc == 0)
        return nb_error(req, "ResourceExistsException", "The operation failed because the secret %s already exists.",
                        name);
    if (rc != NB_ENOENT)
        return NB_FAILED(rc);
    double now = nb_now();
    s = (sm_secret_t){.name = name, .arn = sm_new_arn(req, nb_req_region(req), name, NULL)};
    if (s.arn == NULL)
        return NB_FAILED(NB_ENOMEM);
    s.meta = sm_req_keep(req, json_object());
    if (s.meta == NULL)
        return NB_FAILED(NB_ENOMEM);
    sm_meta_time(s.meta, "CreatedDate", now);
    sm_meta_time(s.meta, "LastChangedDate", now);
    static const char *const copied[] = {"Description", "KmsKeyId", "Type"};
    for (size_t i = 0; i < NB_STORE_COUNT(copied); i++) {
        const char *v = nb_json_str(input, copied[i]);
        if (v != NULL)
            json_object_set_new(s.meta, copied[i], json_string(v));
    }
    if (nb_json_str(input, "KmsKeyId") == NULL)
        json_object_set_new(s.meta, "KmsKeyId", json_string(SM_DEFAULT_KEY)); /* recorded, not answered */
    json_object_set_new(s.meta, "RotationEnabled", json_false());
    tags_merge(s.meta, json_object_get(input, "Tags"));
    const char *version_id = NULL;
    if (value.data != NULL)
        NB_TRY(sm_version_add(req, &s, nb_json_str(input, "ClientRequestToken"), &value, NULL, &version_id));
    const json_t *replicas = json_object_get(input, "AddReplicaRegions");
    if (json_array_size(replicas) > 0)
        NB_TRY(sm_replicate(req, &s, replicas, nb_json_bool(input, "ForceOverwriteReplicaSecret", 0)));
    if ((rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s)) != 0)
        return NB_FAILED(rc);
    json_t *out = json_pack("{s:s,s:s}", "ARN", s.arn, "Name", s.name);
    if (version_id != NULL)
        json_object_set_new(out, "VersionId", json_string(version_id));
    if (json_array_size(replicas) > 0)
        json_object_set_new(out, "ReplicationStatus", sm_replication_status(&s));
    return nb_reply_new(req, out);
}

nb_result_t secretsmanager_describe_secret(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find(req, nb_json_str(input, "SecretId"), &s));
    json_t *out = sm_public_meta(&s);
    json_t *stages = sm_versions_to_stages(sm_value_arn(&s));
    if (json_object_size(stages) > 0)
        json_object_set_new(out, "VersionIdsToStages", stages);
    else
        json_decref(stages);
    return nb_reply_new(req, out);
}

nb_result_t secretsmanager_update_secret(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    sm_value_t value;
    NB_TRY(sm_value_from_input(req, input, &value));
    static const char *const copied[] = {"Description", "KmsKeyId", "Type"};
    for (size_t i = 0; i < NB_STORE_COUNT(copied); i++) {
        const char *v = nb_json_str(input, copied[i]);
        if (v != NULL)
            json_object_set_new(s.meta, copied[i], json_string(v[0] || i != 1 ? v : SM_DEFAULT_KEY));
    }
    const char *version_id = NULL;
    if (value.data != NULL)
        NB_TRY(sm_version_add(req, &s, nb_json_str(input, "ClientRequestToken"), &value, NULL, &version_id));
    sm_meta_time(s.meta, "LastChangedDate", nb_now());
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    json_t *out = json_pack("{s:s,s:s}", "ARN", s.arn, "Name", s.name);
    if (version_id != NULL)
        json_object_set_new(out, "VersionId", json_string(version_id));
    return nb_reply_new(req, out);
}

nb_result_t secretsmanager_tag_resource(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_live(req, nb_json_str(input, "SecretId"), &s));
    tags_merge(s.meta, json_object_get(input, "Tags"));
    sm_meta_time(s.meta, "LastChangedDate", nb_now());
    return NB_FAILED(sm_save(req, nb_req_account(req), nb_req_region(req), &s));
}

nb_result_t secretsmanager_untag_resource(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_live(req, nb_json_str(input, "SecretId"), &s));
    json_t *tags = json_object_get(s.meta, "Tags");
    size_t i, j;
    json_t *key;
    json_array_foreach(json_object_get(input, "TagKeys"), i, key) {
        for (j = json_array_size(tags); j-- > 0;) {
            if (nb_json_str_eq(json_array_get(tags, j), "Key", json_string_value(key)))
                json_array_remove(tags, j);
        }
    }
    sm_meta_time(s.meta, "LastChangedDate", nb_now());
    return NB_FAILED(sm_save(req, nb_req_account(req), nb_req_region(req), &s));
}
