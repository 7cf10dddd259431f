#include <string.h>

#include "sm.h"
#include "sm_authz.h"

/* The value's member of a GetSecretValue-shaped answer. */
static void set_value(json_t *out, const sm_value_t *v) {
    json_object_set_new(out, v->binary ? "SecretBinary" : "SecretString",
                        v->binary ? json_stringn_nocheck(v->data, v->len) : json_stringn(v->data, v->len));
}

nb_result_t secretsmanager_put_secret_value(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    sm_value_t value;
    NB_TRY(sm_value_from_input(req, input, &value));
    if (value.data == NULL)
        return nb_error(req, "InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    const char *version_id = NULL;
    NB_TRY(sm_version_add(req, &s, nb_json_str(input, "ClientRequestToken"), &value,
                          json_object_get(input, "VersionStages"), &version_id));
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    json_t *stages = json_object_get(sm_req_keep(req, sm_versions_to_stages(s.arn)), version_id);
    return nb_reply_new(req, json_pack("{s:s,s:s,s:s,s:O}", "ARN", s.arn, "Name", s.name, "VersionId", version_id,
                                       "VersionStages", stages ? stages : json_array()));
}

/* One secret's GetSecretValue answer, or the fault that keeps it from one. */
static int value_entry(nb_req_t *req, const char *id, const char *version_id, const char *stage, json_t **out,
                       sm_fault_t *f) {
    sm_secret_t s;
    int rc = sm_lookup_light(req, id, &s, f);
    if (rc != 0)
        return rc;
    if (s.deleted)
        return sm_fault(f, "InvalidRequestException",
                        "You can't perform this operation on the secret because it was marked for deletion.");
    sm_value_t v;
    double created = 0;
    json_t *stages = NULL;
    rc = sm_version_read(req, &s, version_id, stage, &v, &version_id, &created, &stages, f);
    if (rc != 0)
        return rc;
    if ((rc = sm_touch(req, &s)) != 0) {
        json_decref(stages);
        return rc;
    }
    *out = json_pack("{s:s,s:s,s:s,s:o,s:f}", "ARN", s.arn, "Name", s.name, "VersionId", version_id, "VersionStages",
                     stages, "CreatedDate", created);
    set_value(*out, &v);
    return 0;
}

nb_result_t secretsmanager_get_secret_value(nb_req_t *req, const json_t *input) {
    json_t *out = NULL;
    sm_fault_t f;
    NB_TRY(sm_check(req,
                    value_entry(req, nb_json_str(input, "SecretId"), nb_json_str(input, "VersionId"),
                                nb_json_str(input, "VersionStage"), &out, &f),
                    &f));
    return nb_reply_new(req, out);
}

nb_result_t secretsmanager_batch_get_secret_value(nb_req_t *req, const json_t *input) {
    const json_t *ids = json_object_get(input, "SecretIdList"), *filters = json_object_get(input, "Filters");
    if ((ids != NULL) == (filters != NULL))
        return nb_error(req, "InvalidParameterException",
                        "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
    json_t *values = json_array(), *errors = json_array();
    json_t *out = json_pack("{s:o,s:o}", "SecretValues", values, "Errors", errors);
    sm_req_keep(req, out);
    json_t *list = NULL;
    size_t start = 0, count = json_array_size(ids);
    if (filters != NULL) {
        NB_TRY(sm_page_start(req, input, &start));
        NB_TRY(sm_list_matching(req, filters, false, NULL, false, &list));
        sm_req_keep(req, list);
        size_t max = (size_t)nb_json_int(input, "MaxResults", 20);
        count = json_array_size(list) > start ? json_array_size(list) - start : 0;
        if (count > max)
            count = max;
        sm_page_next(req, out, start, count, json_array_size(list));
    }
    for (size_t i = 0; i < count; i++) {
        const char *id = list ? nb_json_str(json_array_get(list, start + i), "ARN")
                              : json_string_value(json_array_get(ids, i));
        json_t *entry = NULL;
        sm_fault_t f;
        int rc = sm_authz_may_read(req, id, &f);
        if (rc == 0)
            rc = value_entry(req, id, NULL, NULL, &entry, &f);
        if (rc == 0)
            json_array_append_new(values, entry);
        else if (rc == NB_EINVAL)
            json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "SecretId", id ? id : "", "ErrorCode", f.code,
                                                    "Message", f.message));
        else
            return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_incref(out));
}

nb_result_t secretsmanager_list_secret_version_ids(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find(req, nb_json_str(input, "SecretId"), &s));
    size_t start = 0;
    NB_TRY(sm_page_start(req, input, &start));
    bool deprecated = nb_json_bool(input, "IncludeDeprecated", 0);
    const char *arn = sm_value_arn(&s);
    json_t *stages = sm_req_keep(req, sm_versions_to_stages(arn));
    sqlite3_stmt *st = nb_store_stmt(&sm.store, "SELECT version_id, created, last_accessed, key_arn FROM versions"
                                                " WHERE arn = ?1 ORDER BY created DESC, rowid DESC");
    if (st == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    json_t *versions = json_array();
    json_t *out = json_pack("{s:s,s:s,s:o}", "ARN", s.arn, "Name", s.name, "Versions", versions);
    size_t max = (size_t)nb_json_int(input, "MaxResults", 100), total = 0;
    const char *key = nb_json_str(s.meta, "KmsKeyId");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *vid = (const char *)sqlite3_column_text(st, 0);
        json_t *labels = json_object_get(stages, vid);
        if (labels == NULL && !deprecated)
            continue;
        total++;
        if (total <= start || total > start + max)
            continue;
        json_t *e = json_pack("{s:s,s:f}", "VersionId", vid, "CreatedDate", sqlite3_column_double(st, 1));
        if (labels != NULL)
            json_object_set(e, "VersionStages", labels);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            json_object_set_new(e, "LastAccessedDate", json_real(sqlite3_column_double(st, 2)));
        const char *kid = sqlite3_column_type(st, 3) != SQLITE_NULL ? (const char *)sqlite3_column_text(st, 3)
                                                                    : (key ? key : SM_DEFAULT_KEY);
        json_object_set_new(e, "KmsKeyIds", json_pack("[s]", sm_key_is_default(kid) ? "DefaultEncryptionKey" : kid));
        json_array_append_new(versions, e);
    }
    sqlite3_reset(st);
    sm_page_next(req, out, start, json_array_size(versions), total);
    return nb_reply_new(req, out);
}

nb_result_t secretsmanager_update_secret_version_stage(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find_primary(req, nb_json_str(input, "SecretId"), &s));
    const char *stage = nb_json_str(input, "VersionStage");
    const char *remove = nb_json_str(input, "RemoveFromVersionId"), *move = nb_json_str(input, "MoveToVersionId");
    const char *on = sm_label_version(req, s.arn, stage);
    if (move != NULL) {
        sqlite3_stmt *st = nb_store_stmt(&sm.store, "SELECT 1 FROM versions WHERE arn = ?1 AND version_id = ?2");
        if (st == NULL)
            return NB_FAILED(NB_ESTORE);
        sqlite3_bind_text(st, 1, s.arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, move, -1, SQLITE_STATIC);
        int found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        if (!found)
            return nb_error(req, "ResourceNotFoundException",
                            "Secrets Manager can't find the specified secret value for VersionId: %s", move);
    }
    if (remove != NULL && (on == NULL || strcmp(on, remove) != 0))
        return nb_error(req, "InvalidParameterException",
                        "The staging label %s is not attached to the version %s, so it can't be removed from it.",
                        stage, remove);
    if (on != NULL && remove == NULL && (move == NULL || strcmp(on, move) != 0))
        return nb_error(req, "InvalidParameterException",
                        "The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to "
                        "version %s, so you must explicitly reference that version in RemoveFromVersionId.",
                        stage, on);
    if (sm_label_move(s.arn, stage, move) != 0)
        return NB_FAILED(NB_ESTORE);
    if (sm_versions_prune(s.arn) != 0)
        return NB_FAILED(NB_ESTORE);
    sm_meta_time(s.meta, "LastChangedDate", nb_now());
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    return rc != 0 ? NB_FAILED(rc) : sm_reply_arn_name(req, &s);
}
