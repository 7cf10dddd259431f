/* Credentials of users: access keys, passwords, MFA devices, OIDC client ids and service
 * specific credentials (what the generic verbs of iam_entities.c do not cover). */
#include <string.h>

#include "iam.h"

#define KEYS_PER_USER 2

nb_result_t iam_op_create_access_key(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    const char *user = iam_str(in, "UserName"), *user_arn, *user_id;
    if (user != NULL) {
        json_t *u;
        NB_TRY(iam_find_named(req, &iam_user, user, &u));
        user_arn = nb_req_strdup(req, iam_str(u, "Arn"));
        user_id = nb_req_strdup(req, iam_str(u, "UserId"));
        json_decref(u);
        if (iam_count(req, "'access-key'", "json_extract(doc, '$.UserName') = ?1", user) >= KEYS_PER_USER)
            return nb_error(req, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: %d", KEYS_PER_USER);
    } else { /* the caller's own: the account's root */
        user_arn = nb_req_printf(req, "arn:%s:iam::%s:root", iam_partition(req), iam_account(req));
        user_id = iam_account(req); /* the root user's id is its account's */
    }
    const char *id = iam_new_id(req, "AKIA", 16);
    /* 40 characters like AWS's secrets; the id alphabet is enough for a signing key */
    const char *secret = iam_new_id(req, "", 40);
    json_t *row = json_pack("{s:s,s:s,s:f,s:s}", "AccessKeyId", id, "Status", "Active", "CreateDate", nb_now(),
                            "_secret", secret);
    if (user != NULL)
        json_object_set_new(row, "UserName", json_string(user));
    int rc = iam_save(req, "access-key", id, row);
    if (rc != 0) {
        json_decref(row);
        return NB_FAILED(rc);
    }
    rc = iam_key_changed(req, id, secret, user_arn, user_id);
    if (rc != 0) {
        json_decref(row);
        return NB_FAILED(rc);
    }
    json_t *out = iam_public(row);
    json_decref(row);
    json_object_set_new(out, "SecretAccessKey", json_string(secret));
    if (user == NULL) /* the AccessKey shape requires a user name: the root's is empty */
        json_object_set_new(out, "UserName", json_string(""));
    return nb_reply_new(req, json_pack("{s:o}", "AccessKey", out));
}

nb_result_t iam_op_access_key_last_used(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *key;
    const char *id;
    NB_TRY(iam_find(req, in, &iam_access_key, &key, &id));
    json_t *used = json_object_get(key, "_last_used");
    json_t *last = used ? json_incref(used) : json_pack("{s:s,s:s}", "ServiceName", "N/A", "Region", "N/A");
    json_t *out = json_pack("{s:O?,s:o}", "UserName", json_object_get(key, "UserName"), "AccessKeyLastUsed", last);
    json_decref(key);
    return nb_reply_new(req, out);
}

nb_result_t iam_op_change_password(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)in, (void)op;
    /* Only an IAM user's own credentials may change its password; the default caller is root. */
    return nb_error(req, "InvalidUserType", "Only IAM users can change their own password.");
}

nb_result_t iam_op_login_profile(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    return iam_op_get(req, in, op);
}

/* MFA: op->arg is "enable", "deactivate", "resync" or "get". */
nb_result_t iam_op_mfa(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *device;
    const char *serial;
    NB_TRY(iam_find(req, in, &iam_mfa, &device, &serial));
    const char *user = iam_str(in, "UserName"), *owner = iam_str(device, "UserName");
    int rc = 0;
    nb_result_t r = NB_DONE;
    if (strcmp(op->arg, "enable") == 0) {
        json_t *u;
        nb_step_t st = iam_find_named(req, &iam_user, user, &u);
        if (nb_stopped(st)) {
            json_decref(device);
            return nb_step_result(st);
        }
        if (owner != NULL) {
            json_decref(u);
            json_decref(device);
            return nb_error(req, "EntityAlreadyExists", "MFA Device is already in use.");
        }
        json_object_set_new(device, "UserName", json_string(user));
        json_object_set_new(device, "User", iam_public(u));
        json_object_set_new(device, "EnableDate", json_real(nb_now()));
        json_decref(u);
        rc = iam_save(req, "mfa", serial, device);
    } else if (strcmp(op->arg, "deactivate") == 0) {
        if (owner == NULL || (user && strcmp(user, owner) != 0)) {
            json_decref(device);
            return nb_error(req, "NoSuchEntity", "MFA Device with serial number %s is not assigned to user %s.",
                            serial, user ? user : "");
        }
        json_object_del(device, "UserName");
        json_object_del(device, "User");
        json_object_del(device, "EnableDate");
        rc = iam_save(req, "mfa", serial, device);
    } else if (strcmp(op->arg, "get") == 0) {
        r = nb_reply_new(req, iam_public(device));
    }
    json_decref(device);
    return rc ? NB_FAILED(rc) : r;
}

/* AddClientIDToOpenIDConnectProvider (arg "add") and RemoveClientID... ("remove"). */
nb_result_t iam_op_oidc_client(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *provider;
    const char *arn, *client = iam_str(in, "ClientID");
    NB_TRY(iam_find(req, in, &iam_oidc, &provider, &arn));
    json_t *list = json_object_get(provider, "ClientIDList");
    size_t i, found = (size_t)-1;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (strcmp(json_string_value(e), client) == 0)
            found = i;
    }
    if (strcmp(op->arg, "add") == 0 && found == (size_t)-1)
        json_array_append_new(list, json_string(client));
    else if (strcmp(op->arg, "remove") == 0 && found != (size_t)-1)
        json_array_remove(list, found);
    int rc = iam_save(req, "oidc-provider", arn, provider);
    json_decref(provider);
    return rc ? NB_FAILED(rc) : NB_DONE;
}

nb_result_t iam_op_reset_service_credential(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *cred;
    const char *id;
    NB_TRY(iam_find(req, in, &iam_service_credential, &cred, &id));
    json_object_set_new(cred, "ServicePassword", json_string(iam_new_id(req, "", 44)));
    int rc = iam_save(req, "service-credential", id, cred);
    json_t *out = iam_public(cred);
    json_decref(cred);
    if (rc != 0) {
        json_decref(out);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o}", "ServiceSpecificCredential", out));
}
