/* Key rotation: EnableKeyRotation (RotationPeriodInDays), DisableKeyRotation,
 * GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations, and the automatic rotations the
 * sweep makes when a key's next rotation date passed. A rotation adds a material version;
 * ciphertexts name the version they were sealed with, so old ones still decrypt. */
#include "kms.h"

#include <stdio.h>
#include <stdlib.h>

/* Only symmetric keys with AWS_KMS material rotate (AWS: UnsupportedOperationException). */
static nb_step_t rotatable(nb_req_t *req, const kms_key_t *k) {
    if (kms_spec_family(k->spec) != KMS_FAMILY_AES || !nb_json_str_eq(k->meta, "Origin", "AWS_KMS"))
        return nb_stop(nb_error(req, "UnsupportedOperationException", "%s does not support key rotation.", k->arn));
    return NB_GO_ON;
}

/* Writes the rotation columns of a key: period 0 disables. */
static int rotation_set(const kms_key_t *k, int days, double next) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store,
        "UPDATE keys SET rotation_days = ?1, next_rotation = ?2 WHERE id = ?3 AND account = :account AND region = :region",
        k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int(s, 1, days);
    if (days > 0)
        sqlite3_bind_double(s, 2, next);
    sqlite3_bind_text(s, 3, k->id, -1, SQLITE_TRANSIENT);
    return nb_store_run(s);
}

static int rotation_get(const kms_key_t *k, int *days, double *next) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store, "SELECT rotation_days, next_rotation FROM keys WHERE id = ?1 AND account = :account AND region = :region",
        k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NB_ENOENT;
    *days = sqlite3_column_int(s, 0);
    *next = sqlite3_column_double(s, 1);
    return 0;
}

/* A new version of k's material, made now. */
static int rotate(const kms_key_t *k, const char *kind) {
    kms_buf_t m;
    int rc = kms_keygen("SYMMETRIC_DEFAULT", &m);
    if (rc != 0)
        return NB_EIO;
    int version = kms_material_next_version(k);
    rc = version < 0 ? version : kms_material_put(k, version, &m, kind, nb_now());
    kms_buf_free(&m);
    return rc;
}

nb_result_t kms_enable_key_rotation(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_usable(req, k));
    NB_TRY(rotatable(req, k));
    json_int_t days = nb_json_int(input, "RotationPeriodInDays", 365);
    if (days < 90 || days > 2560)
        return nb_error(req, "ValidationException",
                        "1 validation error detected: Value '%lld' at 'rotationPeriodInDays' failed to satisfy "
                        "constraint: Member must have value %s",
                        (long long)days, days < 90 ? "greater than or equal to 90" : "less than or equal to 2560");
    int rc = rotation_set(k, (int)days, nb_now() + (double)days * kms.day);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_disable_key_rotation(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_usable(req, k));
    NB_TRY(rotatable(req, k));
    int rc = rotation_set(k, 0, 0);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_get_key_rotation_status(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_not_pending(req, k));
    NB_TRY(rotatable(req, k));
    int days = 0;
    double next = 0;
    int rc = rotation_get(k, &days, &next);
    if (rc != 0)
        return kms_internal(req, rc);
    json_t *out = json_pack("{s:b,s:s}", "KeyRotationEnabled", days > 0, "KeyId", k->arn);
    if (days > 0) {
        json_object_set_new(out, "RotationPeriodInDays", json_integer(days));
        json_object_set_new(out, "NextRotationDate", json_real(next));
    }
    return nb_reply_new(req, out);
}

nb_result_t kms_rotate_key_on_demand(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_usable(req, k));
    NB_TRY(rotatable(req, k));
    int rc = rotate(k, "ON_DEMAND");
    return rc != 0 ? kms_internal(req, rc) : nb_reply_new(req, json_pack("{s:s}", "KeyId", k->arn));
}

nb_result_t kms_list_key_rotations(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(rotatable(req, k));
    json_int_t limit = nb_json_int(input, "Limit", 100), after = 1;
    const char *marker = nb_json_str(input, "Marker");
    if (marker != NULL && (after = atoll(marker)) < 1)
        return nb_error(req, "InvalidMarkerException", "Invalid marker %s", marker);
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT version, kind, created FROM materials WHERE key_id = ?1 AND version > ?2"
                                      " AND account = :account AND region = :region ORDER BY version");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, after);
    json_t *list = json_array(), *out = json_object();
    while (sqlite3_step(s) == SQLITE_ROW) {
        if ((json_int_t)json_array_size(list) == limit) {
            json_object_set_new(out, "NextMarker", json_string(nb_req_printf(req, "%d", sqlite3_column_int(s, 0) - 1)));
            break;
        }
        json_array_append_new(list, json_pack("{s:s,s:f,s:s}", "KeyId", k->id, "RotationDate",
                                              sqlite3_column_double(s, 2), "RotationType",
                                              (const char *)sqlite3_column_text(s, 1)));
    }
    json_object_set_new(out, "Rotations", list);
    json_object_set_new(out, "Truncated", json_boolean(json_object_get(out, "NextMarker") != NULL));
    return nb_reply_new(req, out);
}

void kms_rotation_sweep(void) {
    sqlite3_stmt *s = nb_store_stmt(&kms.store, "SELECT account, region, id, rotation_days FROM keys WHERE rotation_days > 0"
                                                " AND next_rotation <= ?1 LIMIT 100");
    if (s == NULL)
        return;
    sqlite3_bind_double(s, 1, nb_now());
    char ids[100][3][64];
    int days[100], n = 0;
    while (n < 100 && sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < 3; c++)
            snprintf(ids[n][c], sizeof ids[n][c], "%s", (const char *)sqlite3_column_text(s, c));
        days[n++] = sqlite3_column_int(s, 3);
    }
    sqlite3_reset(s);
    for (int i = 0; i < n; i++) {
        kms_key_t k = {.account = ids[i][0], .region = ids[i][1], .id = ids[i][2]};
        if (rotate(&k, "AUTOMATIC") == 0)
            rotation_set(&k, days[i], nb_now() + days[i] * kms.day);
    }
}
