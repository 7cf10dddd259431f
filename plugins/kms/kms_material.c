/* Key material rows: every version a key had (rotations, imports), so that ciphertexts naming
 * an old version still decrypt. Material is never logged. */
#include "kms.h"

int kms_material_get(const kms_key_t *k, int version, kms_buf_t *out, int *version_out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store,
        version > 0 ? "SELECT material, version FROM materials WHERE key_id = ?1 AND version = ?2 AND account = :account"
                      " AND region = :region"
                    : "SELECT material, version FROM materials WHERE key_id = ?1 AND ?2 = 0 AND account = :account"
                      " AND region = :region ORDER BY version DESC LIMIT 1",
        k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, version);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NB_ENOENT;
    int n = sqlite3_column_bytes(s, 0);
    out->p = malloc(n > 0 ? (size_t)n : 1);
    if (out->p == NULL)
        return NB_ENOMEM;
    memcpy(out->p, sqlite3_column_blob(s, 0), (size_t)n);
    out->n = (size_t)n;
    if (version_out != NULL)
        *version_out = sqlite3_column_int(s, 1);
    sqlite3_reset(s); /* the row's copy of the material goes with the statement's state */
    return 0;
}

int kms_material_put(const kms_key_t *k, int version, const kms_buf_t *m, const char *kind, double when) {
    sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store,
                                           "INSERT OR REPLACE INTO materials(key_id, version, material, kind, created,"
                                           " account, region) VALUES(?1, ?2, ?3, ?4, ?5, :account, :region)",
                                           k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, version);
    sqlite3_bind_blob(s, 3, m->p, (int)m->n, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 5, when);
    return nb_store_run(s);
}

int kms_material_next_version(const kms_key_t *k) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store,
        "SELECT COALESCE(MAX(version), 0) + 1 FROM materials WHERE key_id = ?1 AND account = :account AND region = :region",
        k->account, k->region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 1;
}
