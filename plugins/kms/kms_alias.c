/* Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, and resolving "alias/..." KeyIds. */
#include "kms.h"

#include <ctype.h>

int kms_alias_key_id(const char *account, const char *region, const char *name, const char **key_id, nb_req_t *req) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store, "SELECT key_id FROM aliases WHERE name = ?1 AND account = :account AND region = :region", account,
        region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NB_ENOENT;
    *key_id = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0));
    return *key_id ? 0 : NB_ENOMEM;
}

static nb_step_t check_name(nb_req_t *req, const char *name) {
    if (strncmp(name, "alias/", 6) != 0 || name[6] == '\0')
        return nb_stop(nb_error(req, "ValidationException", "Alias must start with the prefix \"alias/\". Please see "
                                                            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"));
    if (strncmp(name, "alias/aws/", 10) == 0)
        return nb_stop(nb_error(req, "NotAuthorizedException", "Cannot create alias with prefix 'alias/aws/'"));
    for (const char *p = name + 6; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '/' && *p != '_' && *p != '-')
            return nb_stop(nb_error(req, "ValidationException",
                                    "1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: "
                                    "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
                                    name));
    return NB_GO_ON;
}

/* The key an alias may point to: named by id or ARN (not another alias), not pending deletion. */
static nb_step_t target_key(nb_req_t *req, const json_t *input, kms_key_t **k) {
    const char *target = kms_str(input, "TargetKeyId");
    if (strncmp(target, "alias/", 6) == 0 || strstr(target, ":alias/") != NULL)
        return nb_stop(nb_error(req, "ValidationException", "Aliases must refer to keys. Not aliases"));
    NB_TRY_STEP(kms_key_find(req, target, k));
    return kms_key_not_pending(req, *k);
}

nb_result_t kms_create_alias(nb_req_t *req, const json_t *input) {
    const char *name = kms_str(input, "AliasName");
    NB_TRY(check_name(req, name));
    kms_key_t *k;
    NB_TRY(target_key(req, input, &k));
    const char *existing = NULL;
    if (kms_alias_key_id(nb_req_account(req), nb_req_region(req), name, &existing, req) == 0)
        return nb_error(req, "AlreadyExistsException", "An alias with the name %s already exists",
                        kms_arn(req, nb_req_account(req), nb_req_region(req), name));
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "INSERT INTO aliases(name, key_id, created, updated, account, region)"
                                      " VALUES(?1, ?2, ?3, ?3, :account, :region)");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 3, nb_now());
    int rc = nb_store_run(s);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

static nb_step_t alias_exists(nb_req_t *req, const char *name, const char **key_id) {
    int rc = kms_alias_key_id(nb_req_account(req), nb_req_region(req), name, key_id, req);
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "NotFoundException", "Alias %s is not found.",
                                kms_arn(req, nb_req_account(req), nb_req_region(req), name)));
    return rc != 0 ? nb_stop(kms_internal(req, rc)) : NB_GO_ON;
}

nb_result_t kms_update_alias(nb_req_t *req, const json_t *input) {
    const char *name = kms_str(input, "AliasName"), *old_id = NULL;
    NB_TRY(check_name(req, name));
    NB_TRY(alias_exists(req, name, &old_id));
    kms_key_t *k, *old;
    NB_TRY(target_key(req, input, &k));
    NB_TRY(kms_key_find(req, old_id, &old));
    if (strcmp(old->spec, k->spec) != 0 || strcmp(old->usage, k->usage) != 0)
        return nb_error(req, "ValidationException",
                        "Alias %s cannot be changed from a key of spec %s and usage %s to one of spec %s and usage %s.",
                        name, old->spec, old->usage, k->spec, k->usage);
    sqlite3_stmt *s = nb_store_scoped(
        &kms.store, req, "UPDATE aliases SET key_id = ?1, updated = ?2 WHERE name = ?3 AND account = :account AND region = :region");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 2, nb_now());
    sqlite3_bind_text(s, 3, name, -1, SQLITE_TRANSIENT);
    int rc = nb_store_run(s);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_delete_alias(nb_req_t *req, const json_t *input) {
    const char *name = kms_str(input, "AliasName"), *id = NULL;
    if (strncmp(name, "alias/", 6) != 0)
        NB_TRY(check_name(req, name));
    NB_TRY(alias_exists(req, name, &id));
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "DELETE FROM aliases WHERE name = ?1 AND account = :account AND region = :region");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    int rc = nb_store_run(s);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_list_aliases(nb_req_t *req, const json_t *input) {
    const char *key = nb_json_str(input, "KeyId"), *marker = nb_json_str(input, "Marker");
    json_int_t limit = nb_json_int(input, "Limit", 100);
    kms_key_t *k = NULL;
    if (key != NULL)
        NB_TRY(kms_key_find(req, key, &k));
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT name, key_id, created, updated FROM aliases WHERE name > ?1 AND"
                                      " (?2 IS NULL OR key_id = ?2) AND account = :account AND region = :region ORDER BY name");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, marker ? marker : "", -1, SQLITE_TRANSIENT);
    if (k != NULL)
        sqlite3_bind_text(s, 2, k->id, -1, SQLITE_TRANSIENT);
    json_t *list = json_array(), *out = json_object();
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if ((json_int_t)json_array_size(list) == limit) {
            json_object_set_new(out, "NextMarker", json_string(kms_str(json_array_get(list, limit - 1), "AliasName")));
            break;
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:f,s:f}", "AliasName", name, "AliasArn",
                                              kms_arn(req, nb_req_account(req), nb_req_region(req), name), "TargetKeyId",
                                              (const char *)sqlite3_column_text(s, 1), "CreationDate",
                                              sqlite3_column_double(s, 2), "LastUpdatedDate", sqlite3_column_double(s, 3)));
    }
    json_object_set_new(out, "Aliases", list);
    json_object_set_new(out, "Truncated", json_boolean(json_object_get(out, "NextMarker") != NULL));
    return nb_reply_new(req, out);
}
