/* Grants: CreateGrant (operations, constraints, name, token), ListGrants, ListRetirableGrants,
 * RetireGrant (by token, or key and id), RevokeGrant. A grant's entry is kept as the JSON of
 * its GrantListEntry. */
#include "kms.h"

#include <stdlib.h>

static int grant_insert(nb_req_t *req, const kms_key_t *k, const char *id, const char *token, json_t *entry) {
    char *text = json_dumps(entry, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "INSERT INTO grants(id, key_id, token, data, created, account, region)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5, :account, :region)");
    if (text == NULL || s == NULL) {
        free(text);
        return text == NULL ? NB_ENOMEM : NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, text, -1, free);
    sqlite3_bind_double(s, 5, nb_now());
    return nb_store_run(s);
}

/* A grant of the same name on the same key: CreateGrant with a name is idempotent. */
static int grant_named(nb_req_t *req, const kms_key_t *k, const char *name, const char **id, const char **token) {
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT id, token FROM grants WHERE key_id = ?1 AND json_extract(data, '$.Name') = ?2"
                                      " AND account = :account AND region = :region");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NB_ENOENT;
    *id = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0));
    *token = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 1));
    return 0;
}

nb_result_t kms_create_grant(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_usable(req, k));
    const json_t *ops = json_object_get(input, "Operations"), *cons = json_object_get(input, "Constraints");
    if (json_array_size(ops) == 0)
        return nb_error(req, "ValidationException", "1 validation error detected: Value '[]' at 'operations' failed to "
                                                    "satisfy constraint: Member must have length greater than or equal to 1");
    if (cons != NULL && json_object_get(cons, "EncryptionContextSubset") != NULL &&
        json_object_get(cons, "EncryptionContextEquals") != NULL)
        return nb_error(req, "ValidationException",
                        "Only one of EncryptionContextSubset and EncryptionContextEquals may be given.");
    NB_TRY(kms_dry_run(req, input));
    const char *name = nb_json_str(input, "Name"), *id = NULL, *token = NULL;
    if (name != NULL && grant_named(req, k, name, &id, &token) == 0)
        return nb_reply_new(req, json_pack("{s:s,s:s}", "GrantToken", token, "GrantId", id));
    char hex[65], tok[97];
    unsigned char raw[72];
    if (nb_random_id(NB_ID_HEX, 64, hex) != 0 || nb_random_bytes(raw, sizeof raw) != 0 ||
        nb_base64_encode(raw, sizeof raw, 0, tok, sizeof tok) < 0)
        return kms_internal(req, NB_EIO);
    hex[64] = '\0';
    for (char *p = tok; *p; p++) /* a token travels in JSON and URLs: no '+' or '/' */
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    json_t *entry = json_pack("{s:s,s:s,s:f,s:s,s:s,s:O}", "KeyId", k->arn, "GrantId", hex, "CreationDate", nb_now(),
                              "GranteePrincipal", kms_str(input, "GranteePrincipal"), "IssuingAccount",
                              nb_req_printf(req, "arn:%s:iam::%s:root", nb_partition(nb_req_region(req)), nb_req_account(req)),
                              "Operations", ops);
    if (name != NULL)
        json_object_set_new(entry, "Name", json_string(name));
    if (nb_json_str(input, "RetiringPrincipal") != NULL)
        json_object_set_new(entry, "RetiringPrincipal", json_string(nb_json_str(input, "RetiringPrincipal")));
    if (cons != NULL)
        json_object_set(entry, "Constraints", (json_t *)cons);
    int rc = grant_insert(req, k, hex, tok, entry);
    json_decref(entry);
    if (rc != 0)
        return kms_internal(req, rc);
    return nb_reply_new(req, json_pack("{s:s,s:s}", "GrantToken", tok, "GrantId", hex));
}

/* A page of grants from a statement whose columns are (id, data), ordered by id. */
static nb_result_t grant_page(nb_req_t *req, sqlite3_stmt *s, const json_t *input) {
    json_int_t limit = nb_json_int(input, "Limit", 50);
    json_t *list = json_array(), *out = json_object();
    while (sqlite3_step(s) == SQLITE_ROW) {
        if ((json_int_t)json_array_size(list) == limit) {
            json_object_set_new(out, "NextMarker", json_string(kms_str(json_array_get(list, limit - 1), "GrantId")));
            break;
        }
        json_t *e = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
        if (e != NULL)
            json_array_append_new(list, e);
    }
    json_object_set_new(out, "Grants", list);
    json_object_set_new(out, "Truncated", json_boolean(json_object_get(out, "NextMarker") != NULL));
    return nb_reply_new(req, out);
}

nb_result_t kms_list_grants(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT id, data FROM grants WHERE key_id = ?1 AND id > ?2 AND (?3 IS NULL OR id = ?3)"
                                      " AND (?4 IS NULL OR json_extract(data, '$.GranteePrincipal') = ?4)"
                                      " AND account = :account AND region = :region ORDER BY id");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, nb_json_str(input, "Marker") ? nb_json_str(input, "Marker") : "", -1, SQLITE_TRANSIENT);
    if (nb_json_str(input, "GrantId") != NULL)
        sqlite3_bind_text(s, 3, nb_json_str(input, "GrantId"), -1, SQLITE_TRANSIENT);
    if (nb_json_str(input, "GranteePrincipal") != NULL)
        sqlite3_bind_text(s, 4, nb_json_str(input, "GranteePrincipal"), -1, SQLITE_TRANSIENT);
    return grant_page(req, s, input);
}

nb_result_t kms_list_retirable_grants(nb_req_t *req, const json_t *input) {
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT id, data FROM grants WHERE json_extract(data, '$.RetiringPrincipal') = ?1"
                                      " AND id > ?2 AND account = :account AND region = :region ORDER BY id");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, kms_str(input, "RetiringPrincipal"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, nb_json_str(input, "Marker") ? nb_json_str(input, "Marker") : "", -1, SQLITE_TRANSIENT);
    return grant_page(req, s, input);
}

/* Deletes the grant (key id, grant id) or the one whose token is token; 0 or NB_ENOENT. */
static int grant_delete(nb_req_t *req, const char *key_id, const char *grant_id, const char *token) {
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      token ? "DELETE FROM grants WHERE token = ?1 AND account = :account AND region = :region"
                                            : "DELETE FROM grants WHERE key_id = ?1 AND id = ?2 AND account = :account"
                                              " AND region = :region");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, token ? token : key_id, -1, SQLITE_TRANSIENT);
    if (token == NULL)
        sqlite3_bind_text(s, 2, grant_id, -1, SQLITE_TRANSIENT);
    int rc = nb_store_run(s);
    return rc != 0 ? rc : sqlite3_changes(kms.store.db) > 0 ? 0 : NB_ENOENT;
}

static nb_result_t grant_gone(nb_req_t *req, int rc, const char *grant_id) {
    if (rc == NB_ENOENT)
        return nb_error(req, "NotFoundException", "Grant ID %s not found", grant_id ? grant_id : "");
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_retire_grant(nb_req_t *req, const json_t *input) {
    NB_TRY(kms_dry_run(req, input));
    const char *token = nb_json_str(input, "GrantToken"), *grant_id = nb_json_str(input, "GrantId");
    if (token != NULL) {
        int rc = grant_delete(req, NULL, NULL, token);
        if (rc == NB_ENOENT)
            return nb_error(req, "InvalidGrantTokenException", "Invalid grant token");
        return grant_gone(req, rc, NULL);
    }
    if (grant_id == NULL || nb_json_str(input, "KeyId") == NULL)
        return nb_error(req, "ValidationException", "Either GrantToken, or both KeyId and GrantId must be specified.");
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    return grant_gone(req, grant_delete(req, k->id, grant_id, NULL), grant_id);
}

nb_result_t kms_revoke_grant(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_dry_run(req, input));
    const char *grant_id = kms_str(input, "GrantId");
    return grant_gone(req, grant_delete(req, k->id, grant_id, NULL), grant_id);
}
