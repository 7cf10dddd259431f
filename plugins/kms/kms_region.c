/* Multi-Region keys: ReplicateKey (the same key id and material in another region) and
 * UpdatePrimaryRegion (which copy is the primary, as every copy's MultiRegionConfiguration says). */
#include "kms.h"

#include <stdlib.h>

static nb_step_t multi_region(nb_req_t *req, const kms_key_t *k) {
    if (!nb_json_bool(k->meta, "MultiRegion", 0))
        return nb_stop(nb_error(req, "UnsupportedOperationException", "%s is not a multi-Region key", k->arn));
    return NB_GO_ON;
}

static int copy_materials(const kms_key_t *k, const char *to_region) {
    sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store,
                                           "INSERT OR REPLACE INTO materials(key_id, version, material, kind, created, account,"
                                           " region) SELECT key_id, version, material, kind, created, account, ?1 FROM materials"
                                           " WHERE key_id = ?2 AND account = :account AND region = :region",
                                           k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, to_region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, k->id, -1, SQLITE_TRANSIENT);
    return nb_store_run(s);
}

nb_result_t kms_replicate_key(nb_req_t *req, const json_t *input) {
    kms_key_t *k, *existing = NULL;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(multi_region(req, k));
    NB_TRY(kms_key_not_pending(req, k));
    json_t *cfg = json_object_get(k->meta, "MultiRegionConfiguration");
    if (!nb_json_str_eq(cfg, "MultiRegionKeyType", "PRIMARY"))
        return nb_error(req, "UnsupportedOperationException", "%s is not a primary key: replicate the primary key.", k->arn);
    const char *region = kms_str(input, "ReplicaRegion");
    if (strcmp(region, k->region) == 0)
        return nb_error(req, "ValidationException", "The replica region must differ from the primary key's region %s.", region);
    const char *arn = kms_arn(req, k->account, region, nb_req_printf(req, "key/%s", k->id));
    json_t *reps = json_object_get(cfg, "ReplicaKeys"), *r;
    size_t i;
    json_array_foreach(reps, i, r) if (nb_json_str_eq(r, "Region", region))
        existing = k;
    if (existing != NULL)
        return nb_error(req, "AlreadyExistsException", "Multi-Region key %s already exists in %s.", k->id, region);
    json_t *meta = json_deep_copy(k->meta);
    json_object_set_new(meta, "Arn", json_string(arn));
    json_object_set_new(meta, "CreationDate", json_real(nb_now()));
    json_object_set_new(meta, "Description", json_string(kms_str(input, "Description")));
    kms_key_set_state(&(kms_key_t){.meta = meta}, kms_str(k->meta, "KeyState"));
    json_object_set_new(meta, "MultiRegionConfiguration",
                        json_pack("{s:s,s:O,s:[]}", "MultiRegionKeyType", "REPLICA", "PrimaryKey",
                                  json_object_get(cfg, "PrimaryKey"), "ReplicaKeys"));
    const char *policy = nb_json_str(input, "Policy");
    policy = policy ? policy : kms_default_policy(req, k->account);
    const json_t *tags = json_object_get(input, "Tags");
    char *tag_text = json_dumps(tags ? tags : json_array(), JSON_COMPACT);
    int rc = tag_text ? kms_key_insert(k->account, region, k->id, meta, policy, tag_text) : NB_ENOMEM;
    free(tag_text);
    if (rc == 0)
        rc = copy_materials(k, region);
    if (rc == 0) {
        json_array_append_new(reps, json_pack("{s:s,s:s}", "Arn", arn, "Region", region));
        rc = kms_key_save(req, k);
    }
    if (rc != 0) {
        json_decref(meta);
        return kms_internal(req, rc);
    }
    return nb_reply_new(req, json_pack("{s:o,s:s,s:O}", "ReplicaKeyMetadata", meta, "ReplicaPolicy", policy,
                                       "ReplicaTags", tags ? tags : json_array()));
}

nb_result_t kms_update_primary_region(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(multi_region(req, k));
    NB_TRY(kms_key_not_pending(req, k));
    json_t *cfg = json_object_get(k->meta, "MultiRegionConfiguration");
    if (!nb_json_str_eq(cfg, "MultiRegionKeyType", "PRIMARY"))
        return nb_error(req, "UnsupportedOperationException", "%s is not the primary key: call UpdatePrimaryRegion on the primary key.", k->arn);
    const char *to = kms_str(input, "PrimaryRegion");
    if (strcmp(to, k->region) == 0)
        return NB_DONE;
    /* every copy: the old primary and its replicas */
    json_t *all = json_deep_copy(json_object_get(cfg, "ReplicaKeys")), *r, *primary = NULL;
    json_array_append(all, json_object_get(cfg, "PrimaryKey"));
    size_t i;
    json_array_foreach(all, i, r) if (nb_json_str_eq(r, "Region", to))
        primary = r;
    if (primary == NULL) {
        json_decref(all);
        return nb_error(req, "ValidationException", "%s has no replica in %s.", k->arn, to);
    }
    int rc = 0;
    json_array_foreach(all, i, r) {
        kms_key_t *copy;
        json_t *others = json_array(), *o;
        size_t m;
        json_array_foreach(all, m, o) if (o != primary)
            json_array_append(others, o);
        if (strcmp(kms_str(r, "Region"), k->region) == 0)
            copy = k;
        else if (kms_key_load(req, k->account, kms_str(r, "Region"), k->id, &copy) != 0) {
            json_decref(others);
            continue; /* a replica deleted meanwhile */
        }
        int is_primary = r == primary;
        json_object_set_new(copy->meta, "MultiRegionConfiguration",
                            json_pack("{s:s,s:O,s:o}", "MultiRegionKeyType", is_primary ? "PRIMARY" : "REPLICA",
                                      "PrimaryKey", primary, "ReplicaKeys", is_primary ? others : (json_decref(others), json_array())));
        if (rc == 0)
            rc = kms_key_save(req, copy);
    }
    json_decref(all);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}
