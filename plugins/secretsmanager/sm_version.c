#include <string.h>

#include "sm.h"

#define SM_VERSIONS_KEPT 100 /* AWS keeps about 100 versions; older unlabeled ones go */

nb_step_t sm_value_from_input(nb_req_t *req, const json_t *input, sm_value_t *out) {
    const json_t *str = json_object_get(input, "SecretString"), *bin = json_object_get(input, "SecretBinary");
    memset(out, 0, sizeof *out);
    if (str != NULL && bin != NULL)
        return nb_stop(nb_error(req, "InvalidParameterException",
                                "You can't specify both a binary secret value and a string secret value in the same "
                                "secret."));
    const json_t *v = str ? str : bin;
    if (v != NULL) {
        out->binary = bin != NULL;
        out->data = json_string_value(v);
        out->len = json_string_length(v);
    }
    return NB_GO_ON;
}

static bool same_value(const sm_value_t *a, const sm_value_t *b) {
    return a->binary == b->binary && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

const char *sm_label_version(nb_req_t *req, const char *arn, const char *label) {
    sqlite3_stmt *s = nb_store_stmt(&sm.store, "SELECT version_id FROM labels WHERE arn = ?1 AND label = ?2");
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, label, -1, SQLITE_STATIC);
    const char *v = sqlite3_step(s) == SQLITE_ROW ? nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0)) : NULL;
    sqlite3_reset(s);
    return v;
}

static int label_set(const char *arn, const char *label, const char *version_id) {
    sqlite3_stmt *s = nb_store_stmt(&sm.store, version_id ? "INSERT OR REPLACE INTO labels(arn, label, version_id)"
                                                            " VALUES(?1, ?2, ?3)"
                                                          : "DELETE FROM labels WHERE arn = ?1 AND label = ?2");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, label, -1, SQLITE_TRANSIENT);
    if (version_id)
        sqlite3_bind_text(s, 3, version_id, -1, SQLITE_TRANSIENT);
    return nb_store_run(s);
}

int sm_label_move(const char *arn, const char *label, const char *version_id) {
    if (strcmp(label, SM_CURRENT) == 0 && version_id != NULL) {
        /* the version AWSCURRENT leaves becomes AWSPREVIOUS */
        char old[128] = "";
        sqlite3_stmt *s = nb_store_stmt(&sm.store, "SELECT version_id FROM labels WHERE arn = ?1 AND label = ?2");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, SM_CURRENT, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        if (old[0] != '\0' && strcmp(old, version_id) != 0 && label_set(arn, SM_PREVIOUS, old) != 0)
            return NB_ESTORE;
    }
    return label_set(arn, label, version_id);
}

json_t *sm_versions_to_stages(const char *arn) {
    json_t *out = json_object();
    sqlite3_stmt *s = nb_store_stmt(&sm.store, "SELECT version_id, label FROM labels WHERE arn = ?1 ORDER BY label");
    if (s == NULL)
        return out;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        json_t *list = json_object_get(out, v);
        if (list == NULL)
            json_object_set_new(out, v, list = json_array());
        json_array_append_new(list, json_string((const char *)sqlite3_column_text(s, 1)));
    }
    sqlite3_reset(s);
    return out;
}

static json_t *labels_of(const char *arn, const char *version_id) {
    json_t *out = json_array();
    sqlite3_stmt *s =
        nb_store_stmt(&sm.store, "SELECT label FROM labels WHERE arn = ?1 AND version_id = ?2 ORDER BY label");
    if (s == NULL)
        return out;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, version_id, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(out, json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    return out;
}

/* Reads one version's row and opens its value: 0, NB_ENOENT (no such version), NB_EINVAL (f), NB_E*. */
static int version_value(nb_req_t *req, const char *arn, const char *version_id, sm_value_t *value, double *created,
                         sm_fault_t *f) {
    sqlite3_stmt *s = nb_store_stmt(&sm.store, "SELECT created, binary, value, dkey, key_arn,"
                                               " coalesce(ctx_arn, arn) FROM versions"
                                               " WHERE arn = ?1 AND version_id = ?2");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, version_id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return NB_ENOENT;
    }
    if (created)
        *created = sqlite3_column_double(s, 0);
    value->binary = sqlite3_column_int(s, 1) != 0;
    size_t len = (size_t)sqlite3_column_bytes(s, 2);
    char *blob = nb_req_alloc(req, len + 1);
    size_t dlen = (size_t)sqlite3_column_bytes(s, 3);
    char *dkey = sqlite3_column_type(s, 3) == SQLITE_NULL ? NULL : nb_req_alloc(req, dlen + 1);
    const char *key_arn = sqlite3_column_type(s, 4) == SQLITE_NULL
                              ? NULL
                              : nb_req_strdup(req, (const char *)sqlite3_column_text(s, 4));
    const char *ctx_arn = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 5));
    if (blob != NULL && len > 0)
        memcpy(blob, sqlite3_column_blob(s, 2), len);
    if (dkey != NULL && dlen > 0)
        memcpy(dkey, sqlite3_column_blob(s, 3), dlen);
    sqlite3_reset(s);
    if (blob == NULL)
        return NB_ENOMEM;
    if (dkey == NULL) {
        value->data = blob;
        value->len = len;
        return 0;
    }
    return sm_decrypt(req, key_arn ? key_arn : "", ctx_arn ? ctx_arn : arn, version_id, blob, len, dkey, dlen, &value->data, &value->len,
                      f);
}

nb_step_t sm_version_add(nb_req_t *req, sm_secret_t *s, const char *token, const sm_value_t *value,
                         const json_t *stages, const char **version_id) {
    char uuid[NB_UUID_SIZE];
    if (token == NULL) {
        nb_uuid(uuid);
        token = uuid;
    }
    *version_id = nb_req_strdup(req, token);
    sm_value_t old = {0};
    sm_fault_t f;
    int rc = version_value(req, s->arn, token, &old, NULL, &f);
    if (rc != NB_ENOENT) {
        NB_TRY_STEP(sm_check(req, rc, &f));
        if (same_value(&old, value))
            return NB_GO_ON; /* a retry of the same request: the same version, nothing moves */
        return nb_stop(nb_error(req, "ResourceExistsException",
                                "You can't modify an existing version, you can only create a new version."));
    }
    const char *key = nb_json_str(s->meta, "KmsKeyId");
    const void *blob = value->data, *dkey = NULL;
    size_t blob_len = value->len, dkey_len = 0;
    const char *key_arn = NULL;
    if (!sm_key_is_default(key))
        NB_TRY_STEP(sm_check(req, sm_encrypt(req, key, s->arn, token, value, &blob, &blob_len, &dkey, &dkey_len,
                                             &key_arn, &f), &f));
    sqlite3_stmt *st = nb_store_stmt(&sm.store, "INSERT INTO versions(arn, version_id, created, binary, value, dkey,"
                                                " key_arn) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (st == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    double now = nb_now();
    sqlite3_bind_text(st, 1, s->arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now);
    sqlite3_bind_int(st, 4, value->binary);
    sqlite3_bind_blob(st, 5, blob_len ? blob : "", (int)blob_len, SQLITE_STATIC);
    if (dkey != NULL)
        sqlite3_bind_blob(st, 6, dkey, (int)dkey_len, SQLITE_STATIC);
    if (key_arn != NULL)
        sqlite3_bind_text(st, 7, key_arn, -1, SQLITE_STATIC);
    if (nb_store_run(st) != 0)
        return nb_stop(NB_FAILED(NB_ESTORE));
    size_t i;
    const json_t *label;
    if (json_array_size(stages) == 0) {
        if (sm_label_move(s->arn, SM_CURRENT, token) != 0)
            return nb_stop(NB_FAILED(NB_ESTORE));
    }
    json_array_foreach(stages, i, label) {
        if (json_is_string(label) && sm_label_move(s->arn, json_string_value(label), token) != 0)
            return nb_stop(NB_FAILED(NB_ESTORE));
    }
    sm_meta_time(s->meta, "LastChangedDate", now);
    if (sm_versions_prune(s->arn) != 0)
        return nb_stop(NB_FAILED(NB_ESTORE));
    return NB_GO_ON;
}

int sm_versions_prune(const char *arn) {
    sqlite3_stmt *s = nb_store_stmt(
        &sm.store, "DELETE FROM versions WHERE arn = ?1 AND version_id NOT IN (SELECT version_id FROM labels WHERE"
                   " arn = ?1) AND version_id NOT IN (SELECT version_id FROM versions WHERE arn = ?1 ORDER BY created"
                   " DESC LIMIT ?2)");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, SM_VERSIONS_KEPT);
    return nb_store_run(s);
}

int sm_version_read(nb_req_t *req, const sm_secret_t *s, const char *version_id, const char *stage,
                    sm_value_t *value, const char **out_id, double *out_created, json_t **out_stages, sm_fault_t *f) {
    const char *arn = sm_value_arn(s);
    if (version_id == NULL) {
        if (stage == NULL)
            stage = SM_CURRENT;
        version_id = sm_label_version(req, arn, stage);
        if (version_id == NULL)
            return sm_fault(f, "ResourceNotFoundException",
                            "Secrets Manager can't find the specified secret value for staging label: %s", stage);
    } else if (stage != NULL) {
        const char *on = sm_label_version(req, arn, stage);
        if (on == NULL || strcmp(on, version_id) != 0)
            return sm_fault(f, "ResourceNotFoundException",
                            "You provided a VersionStage that is not associated to the provided VersionId.");
    }
    int rc = version_value(req, arn, version_id, value, out_created, f);
    if (rc == NB_ENOENT)
        return sm_fault(f, "ResourceNotFoundException",
                        "Secrets Manager can't find the specified secret value for VersionId: %s", version_id);
    if (rc != 0)
        return rc;
    if (out_id)
        *out_id = version_id;
    if (out_stages)
        *out_stages = labels_of(arn, version_id);
    return 0;
}
