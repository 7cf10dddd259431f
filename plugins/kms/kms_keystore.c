/* Custom key stores, recorded: Create/Describe/Update/Delete/Connect/DisconnectCustomKeyStore.
 * No CloudHSM cluster or external proxy is reached: connecting one succeeds at once. */
#include "kms.h"

#include <stdlib.h>

static int store_save(nb_req_t *req, json_t *entry, int insert) {
    char *text = json_dumps(entry, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      insert ? "INSERT INTO key_stores(id, name, data, account, region)"
                                               " VALUES(?1, ?2, ?3, :account, :region)"
                                             : "UPDATE key_stores SET name = ?2, data = ?3 WHERE id = ?1"
                                               " AND account = :account AND region = :region");
    if (text == NULL || s == NULL) {
        free(text);
        return text == NULL ? NB_ENOMEM : NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, kms_str(entry, "CustomKeyStoreId"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, kms_str(entry, "CustomKeyStoreName"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, text, -1, free);
    return nb_store_run(s);
}

static void entry_release(void *e) { json_decref(e); }

/* The entry of store id (or, id NULL, of name), owned by the request; NULL when none. */
static json_t *store_load(nb_req_t *req, const char *id, const char *name) {
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT data FROM key_stores WHERE (id = ?1 OR name = ?2) AND account = :account"
                                      " AND region = :region");
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, id ? id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, id ? "" : name ? name : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NULL;
    json_t *e = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
    if (e != NULL)
        nb_req_on_free(req, entry_release, e);
    return e;
}

static nb_step_t store_found(nb_req_t *req, const json_t *input, json_t **e) {
    const char *id = kms_str(input, "CustomKeyStoreId");
    if ((*e = store_load(req, id, NULL)) == NULL)
        return nb_stop(nb_error(req, "CustomKeyStoreNotFoundException", "Custom key store %s does not exist.", id));
    return NB_GO_ON;
}

nb_step_t kms_keystore_usable(nb_req_t *req, const char *id) {
    json_t *e = store_load(req, id, NULL);
    if (e == NULL)
        return nb_stop(nb_error(req, "CustomKeyStoreNotFoundException", "Custom key store %s does not exist.", id));
    if (!nb_json_str_eq(e, "ConnectionState", "CONNECTED"))
        return nb_stop(nb_error(req, "CustomKeyStoreInvalidStateException",
                                "Custom key store %s is not connected: its connection state is %s.", id,
                                kms_str(e, "ConnectionState")));
    return NB_GO_ON;
}

/* The members of a request that describe the store, copied into its entry. */
static void store_apply(json_t *e, const json_t *input) {
    static const char *const plain[] = {"CloudHsmClusterId", "TrustAnchorCertificate"};
    for (size_t i = 0; i < NB_STORE_COUNT(plain); i++)
        if (nb_json_str(input, plain[i]) != NULL)
            json_object_set(e, plain[i], json_object_get(input, plain[i]));
    json_t *xks = json_object_get(e, "XksProxyConfiguration");
    static const char *const proxy[][2] = {{"XksProxyConnectivity", "Connectivity"},
                                           {"XksProxyUriEndpoint", "UriEndpoint"},
                                           {"XksProxyUriPath", "UriPath"},
                                           {"XksProxyVpcEndpointServiceName", "VpcEndpointServiceName"},
                                           {"XksProxyVpcEndpointServiceOwner", "VpcEndpointServiceOwner"}};
    for (size_t i = 0; i < NB_STORE_COUNT(proxy); i++)
        if (nb_json_str(input, proxy[i][0]) != NULL) {
            if (xks == NULL)
                json_object_set_new(e, "XksProxyConfiguration", xks = json_object());
            json_object_set(xks, proxy[i][1], json_object_get(input, proxy[i][0]));
        }
    const char *access = nb_json_str(json_object_get(input, "XksProxyAuthenticationCredential"), "AccessKeyId");
    if (access != NULL && xks != NULL) /* the secret access key is never kept or shown */
        json_object_set_new(xks, "AccessKeyId", json_string(access));
}

nb_result_t kms_create_custom_key_store(nb_req_t *req, const json_t *input) {
    const char *name = kms_str(input, "CustomKeyStoreName"), *type = nb_json_str(input, "CustomKeyStoreType");
    type = type ? type : "AWS_CLOUDHSM";
    if (store_load(req, NULL, name) != NULL)
        return nb_error(req, "CustomKeyStoreNameInUseException", "Custom key store name %s is already in use.", name);
    if (strcmp(type, "AWS_CLOUDHSM") == 0 &&
        (nb_json_str(input, "CloudHsmClusterId") == NULL || nb_json_str(input, "TrustAnchorCertificate") == NULL ||
         nb_json_str(input, "KeyStorePassword") == NULL))
        return nb_error(req, "ValidationException",
                        "CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are required for an AWS_CLOUDHSM key store.");
    if (strcmp(type, "EXTERNAL_KEY_STORE") == 0 &&
        (nb_json_str(input, "XksProxyUriEndpoint") == NULL || json_object_get(input, "XksProxyAuthenticationCredential") == NULL))
        return nb_error(req, "ValidationException",
                        "XksProxyUriEndpoint and XksProxyAuthenticationCredential are required for an EXTERNAL_KEY_STORE key store.");
    char id[22] = "cks-";
    nb_random_id(NB_ID_HEX, 17, id + 4);
    id[21] = '\0';
    json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:f}", "CustomKeyStoreId", id, "CustomKeyStoreName", name,
                          "CustomKeyStoreType", type, "ConnectionState", "DISCONNECTED", "CreationDate", nb_now());
    store_apply(e, input);
    int rc = store_save(req, e, 1);
    json_decref(e);
    return rc != 0 ? kms_internal(req, rc) : nb_reply_new(req, json_pack("{s:s}", "CustomKeyStoreId", id));
}

nb_result_t kms_describe_custom_key_stores(nb_req_t *req, const json_t *input) {
    const char *id = nb_json_str(input, "CustomKeyStoreId"), *name = nb_json_str(input, "CustomKeyStoreName");
    json_t *list = json_array();
    if (id != NULL || name != NULL) {
        json_t *e = store_load(req, id, name);
        if (e == NULL) {
            json_decref(list);
            return nb_error(req, "CustomKeyStoreNotFoundException", "Custom key store %s does not exist.", id ? id : name);
        }
        json_array_append(list, e);
    } else {
        sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                          "SELECT data FROM key_stores WHERE account = :account AND region = :region ORDER BY id");
        while (s != NULL && sqlite3_step(s) == SQLITE_ROW) {
            json_t *e = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
            if (e != NULL)
                json_array_append_new(list, e);
        }
    }
    return nb_reply_new(req, json_pack("{s:o,s:b}", "CustomKeyStores", list, "Truncated", 0));
}

nb_result_t kms_update_custom_key_store(nb_req_t *req, const json_t *input) {
    json_t *e;
    NB_TRY(store_found(req, input, &e));
    const char *name = nb_json_str(input, "NewCustomKeyStoreName");
    if (name != NULL) {
        json_t *other = store_load(req, NULL, name);
        if (other != NULL && !json_equal(json_object_get(other, "CustomKeyStoreId"), json_object_get(e, "CustomKeyStoreId")))
            return nb_error(req, "CustomKeyStoreNameInUseException", "Custom key store name %s is already in use.", name);
        json_object_set_new(e, "CustomKeyStoreName", json_string(name));
    }
    store_apply(e, input);
    int rc = store_save(req, e, 0);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

static nb_result_t store_connect(nb_req_t *req, const json_t *input, const char *state) {
    json_t *e;
    NB_TRY(store_found(req, input, &e));
    json_object_set_new(e, "ConnectionState", json_string(state));
    int rc = store_save(req, e, 0);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_connect_custom_key_store(nb_req_t *req, const json_t *input) {
    return store_connect(req, input, "CONNECTED");
}

nb_result_t kms_disconnect_custom_key_store(nb_req_t *req, const json_t *input) {
    return store_connect(req, input, "DISCONNECTED");
}

nb_result_t kms_delete_custom_key_store(nb_req_t *req, const json_t *input) {
    json_t *e;
    NB_TRY(store_found(req, input, &e));
    if (!nb_json_str_eq(e, "ConnectionState", "DISCONNECTED"))
        return nb_error(req, "CustomKeyStoreInvalidStateException",
                        "Custom key store %s must be disconnected before it is deleted.", kms_str(e, "CustomKeyStoreId"));
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT COUNT(*) FROM keys WHERE json_extract(meta, '$.CustomKeyStoreId') = ?1"
                                      " AND account = :account AND region = :region");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, kms_str(e, "CustomKeyStoreId"), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0)
        return nb_error(req, "CustomKeyStoreHasCMKsException",
                        "Custom key store %s still has KMS keys: schedule their deletion first.", kms_str(e, "CustomKeyStoreId"));
    s = nb_store_scoped(&kms.store, req, "DELETE FROM key_stores WHERE id = ?1 AND account = :account AND region = :region");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, kms_str(e, "CustomKeyStoreId"), -1, SQLITE_TRANSIENT);
    int rc = nb_store_run(s);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}
