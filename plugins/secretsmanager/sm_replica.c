/* Replicas are rows of the same secret in other regions (same name and random suffix) that read
 * their primary's versions; the primary's ReplicationStatus lists them. */
#include <string.h>

#include "sm.h"

json_t *sm_replication_status(const sm_secret_t *s) {
    json_t *list = json_object_get(s->meta, "ReplicationStatus");
    return json_is_array(list) ? json_deep_copy(list) : json_array();
}

static json_t *status_list(sm_secret_t *s) {
    json_t *list = json_object_get(s->meta, "ReplicationStatus");
    if (!json_is_array(list))
        json_object_set_new(s->meta, "ReplicationStatus", list = json_array());
    return list;
}

static void status_remove(json_t *list, const char *region) {
    for (size_t j = json_array_size(list); j-- > 0;) {
        if (nb_json_str_eq(json_array_get(list, j), "Region", region))
            json_array_remove(list, j);
    }
}

nb_step_t sm_replicate(nb_req_t *req, sm_secret_t *s, const json_t *regions, bool force) {
    json_t *list = status_list(s);
    size_t i;
    const json_t *r;
    json_array_foreach(regions, i, r) {
        const char *region = nb_json_str(r, "Region");
        if (region == NULL || strcmp(region, nb_req_region(req)) == 0)
            return nb_stop(nb_error(req, "InvalidParameterException", "Invalid replica region."));
        const char *key = nb_json_str(r, "KmsKeyId");
        status_remove(list, region);
        json_t *status = json_pack("{s:s,s:s}", "Region", region, "KmsKeyId", key ? key : SM_DEFAULT_KEY);
        sm_secret_t there;
        int rc = sm_load_name(req, nb_req_account(req), region, s->name, &there);
        if (rc == 0 && !(force && nb_json_str(there.meta, "_primary") == NULL && !there.deleted)) {
            json_object_set_new(status, "Status", json_string(SECRETSMANAGER_STATUS_TYPE_FAILED));
            json_object_set_new(status, "StatusMessage",
                                json_string(nb_req_printf(req, "Replication failed: Secret name %s already exists in "
                                                               "region %s.", s->name, region)));
            json_array_append_new(list, status);
            continue;
        }
        if (rc == 0 && (rc = sm_remove(there.arn)) != 0) {
            json_decref(status);
            return nb_stop(NB_FAILED(rc));
        }
        if (rc != 0 && rc != NB_ENOENT) {
            json_decref(status);
            return nb_stop(NB_FAILED(rc));
        }
        sm_secret_t replica = {.name = s->name, .arn = sm_new_arn(req, region, s->name, sm_arn_suffix(s))};
        replica.meta = sm_req_keep(req, json_deep_copy(s->meta));
        if (replica.arn == NULL || replica.meta == NULL) {
            json_decref(status);
            return nb_stop(NB_FAILED(NB_ENOMEM));
        }
        json_object_del(replica.meta, "ReplicationStatus");
        json_object_del(replica.meta, "ResourcePolicy");
        json_object_set_new(replica.meta, "_primary", json_string(s->arn));
        json_object_set_new(replica.meta, "PrimaryRegion", json_string(nb_req_region(req)));
        json_object_set_new(replica.meta, "KmsKeyId", json_string(key ? key : SM_DEFAULT_KEY));
        if ((rc = sm_save(req, nb_req_account(req), region, &replica)) != 0) {
            json_decref(status);
            return nb_stop(NB_FAILED(rc));
        }
        json_object_set_new(status, "Status", json_string(SECRETSMANAGER_STATUS_TYPE_IN_SYNC));
        json_object_set_new(status, "StatusMessage", json_string("Replication succeeded"));
        json_array_append_new(list, status);
    }
    if (nb_json_str(s->meta, "PrimaryRegion") == NULL)
        json_object_set_new(s->meta, "PrimaryRegion", json_string(nb_req_region(req)));
    return NB_GO_ON;
}

nb_result_t secretsmanager_replicate_secret_to_regions(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    NB_TRY(sm_replicate(req, &s, json_object_get(input, "AddReplicaRegions"),
                        nb_json_bool(input, "ForceOverwriteReplicaSecret", 0)));
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:s,s:o}", "ARN", s.arn, "ReplicationStatus", sm_replication_status(&s)));
}

nb_result_t secretsmanager_remove_regions_from_replication(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    json_t *list = status_list(&s);
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(input, "RemoveReplicaRegions"), i, r) {
        const char *region = json_string_value(r);
        sm_secret_t there;
        int rc = sm_load_name(req, nb_req_account(req), region, s.name, &there);
        if (rc == 0 && nb_json_str_eq(there.meta, "_primary", s.arn)) {
            sqlite3_stmt *st = nb_store_stmt(&sm.store, "DELETE FROM secrets WHERE arn = ?1");
            if (st == NULL)
                return NB_FAILED(NB_ESTORE);
            sqlite3_bind_text(st, 1, there.arn, -1, SQLITE_STATIC);
            if (nb_store_run(st) != 0)
                return NB_FAILED(NB_ESTORE);
        } else if (rc != 0 && rc != NB_ENOENT) {
            return NB_FAILED(rc);
        }
        status_remove(list, region);
    }
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:s,s:o}", "ARN", s.arn, "ReplicationStatus", sm_replication_status(&s)));
}

/* Copies the primary's versions and labels to the replica's ARN: a standalone secret keeps its values. */
static int copy_versions(const char *from, const char *to) {
    static const char *const sql[] = {
        "INSERT OR REPLACE INTO versions(arn, version_id, created, binary, value, dkey, key_arn, last_accessed, ctx_arn)"
        " SELECT ?2, version_id, created, binary, value, dkey, key_arn, last_accessed, coalesce(ctx_arn, arn)"
        " FROM versions WHERE arn = ?1",
        "INSERT OR REPLACE INTO labels(arn, label, version_id) SELECT ?2, label, version_id FROM labels WHERE arn = ?1",
    };
    for (size_t i = 0; i < NB_STORE_COUNT(sql); i++) {
        sqlite3_stmt *s = nb_store_stmt(&sm.store, sql[i]);
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, to, -1, SQLITE_STATIC);
        if (nb_store_run(s) != 0)
            return NB_ESTORE;
    }
    return 0;
}

nb_result_t secretsmanager_stop_replication_to_replica(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_live(req, nb_json_str(input, "SecretId"), &s));
    const char *primary = nb_json_str(s.meta, "_primary");
    if (primary == NULL)
        return nb_error(req, "InvalidRequestException",
                        "This operation can only be performed on a replica secret. %s is not a replica.", s.name);
    primary = nb_req_strdup(req, primary);
    const char *primary_region = nb_req_strdup(req, nb_json_str(s.meta, "PrimaryRegion"));
    /* the copies keep the encryption context they were sealed with (ctx_arn) */
    int rc = copy_versions(primary, s.arn);
    if (rc != 0)
        return NB_FAILED(rc);
    json_object_del(s.meta, "_primary");
    json_object_del(s.meta, "PrimaryRegion");
    if ((rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s)) != 0)
        return NB_FAILED(rc);
    sm_secret_t p;
    if (primary_region != NULL && sm_load_name(req, nb_req_account(req), primary_region, s.name, &p) == 0 &&
        strcmp(p.arn, primary) == 0) {
        status_remove(status_list(&p), nb_req_region(req));
        if ((rc = sm_save(req, nb_req_account(req), primary_region, &p)) != 0)
            return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:s}", "ARN", s.arn));
}
