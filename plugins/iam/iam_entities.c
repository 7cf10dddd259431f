/* Create, Get, Delete, List, Update and tags of every kind of entity, driven by its iam_kind_t
 * and the operation's row: one function per verb, not one per resource. */
#include <string.h>

#include "iam.h"

/* What an operation answers for one row: the row (public members), or its `sub` member. */
static json_t *entity_out(const iam_op_t *op, const json_t *doc) {
    if (op->sub != NULL)
        return json_incref(json_object_get(doc, op->sub));
    return iam_public(doc);
}

static nb_result_t reply_entity(nb_req_t *req, const iam_op_t *op, const json_t *doc) {
    const char *member = op->out ? op->out : op->kind->out_member;
    if (op->kind == &iam_instance_profile) /* its roles in full */
        return nb_reply_new(req, json_pack("{s:o}", member, iam_profile_out(req, doc)));
    if (member == NULL || member[0] == '\0') /* the output is the row's members themselves */
        return nb_reply_new(req, entity_out(op, doc));
    return nb_reply_new(req, json_pack("{s:o}", member, entity_out(op, doc)));
}

nb_result_t iam_op_create(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    const iam_kind_t *k = op->kind;
    const char *path = "/";
    if (json_object_get(in, "Path") != NULL)
        NB_TRY(iam_path(req, in, "Path", &path));
    json_t *doc = json_object();
    const char *member;
    json_t *v;
    json_object_foreach((json_t *)in, member, v) {
        /* secrets and what prepare turns into other members are not kept as given */
        if (strcmp(member, "Tags") != 0 && strcmp(member, "PermissionsBoundary") != 0 &&
            strcmp(member, "PrivateKey") != 0 && strcmp(member, "Password") != 0)
            json_object_set(doc, member, v);
    }
    if (k->arn_type != NULL || json_object_get(in, "Path") != NULL)
        json_object_set_new(doc, "Path", json_string(path));
    const char *key = k->name_member ? iam_str(in, k->name_member) : NULL;
    if (k->id_member != NULL)
        json_object_set_new(doc, k->id_member, json_string(iam_new_id(req, k->id_prefix, 16)));
    json_object_set_new(doc, k->date_member ? k->date_member : "CreateDate", json_real(nb_now()));
    if (k->prepare != NULL) {
        nb_step_t st = k->prepare(req, in, doc, &key);
        if (nb_stopped(st)) {
            json_decref(doc);
            return nb_step_result(st);
        }
    }
    if (k->arn_type != NULL && json_object_get(doc, "Arn") == NULL)
        json_object_set_new(doc, "Arn", json_string(iam_arn(req, k->arn_type, path, key)));
    if (k->refresh != NULL)
        k->refresh(doc);
    json_t *old = iam_load(req, k->kind, key);
    if (old != NULL) {
        json_decref(old);
        json_decref(doc);
        return nb_error(req, "EntityAlreadyExists", k->exists, key);
    }
    const json_t *tags = json_object_get(in, "Tags");
    if (tags != NULL) {
        nb_step_t st = iam_tags_merge(req, doc, tags);
        if (nb_stopped(st)) {
            json_decref(doc);
            return nb_step_result(st);
        }
    }
    int rc = iam_save(req, k->kind, key, doc);
    nb_result_t r = rc == 0 ? reply_entity(req, op, doc) : NB_FAILED(rc);
    json_decref(doc);
    return r;
}

/* GetUser without a name: the caller, the account's root. */
static nb_result_t root_user(nb_req_t *req) {
    const char *account = iam_account(req);
    return nb_reply_new(req, json_pack("{s:{s:s,s:s,s:s,s:f}}", "User", "Path", "/", "UserId", account, "Arn",
                                       nb_req_printf(req, "arn:%s:iam::%s:root", iam_partition(req), account),
                                       "CreateDate", nb_now()));
}

nb_result_t iam_op_get(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *key;
    if (op->kind == &iam_user && iam_str(in, "UserName") == NULL)
        return root_user(req);
    NB_TRY(iam_find(req, in, op->kind, &doc, &key));
    nb_result_t r = reply_entity(req, op, doc);
    json_decref(doc);
    return r;
}

/* A key, certificate or credential of a user: the user named must be its owner. */
static nb_step_t check_owner(nb_req_t *req, const json_t *in, const iam_kind_t *k, const json_t *doc,
                             const char *key) {
    const char *user = iam_str(in, "UserName");
    const char *owner = iam_str(doc, "UserName");
    if (user != NULL && owner != NULL && strcmp(user, owner) != 0 && k->arn_member == NULL)
        return nb_stop(nb_error(req, "NoSuchEntity", k->not_found, key));
    return NB_GO_ON;
}

nb_result_t iam_op_delete(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    const iam_kind_t *k = op->kind;
    json_t *doc;
    const char *key;
    NB_TRY(iam_find(req, in, k, &doc, &key));
    nb_step_t st = check_owner(req, in, k, doc, key);
    if (!nb_stopped(st) && k->can_delete != NULL)
        st = k->can_delete(req, doc, key);
    json_decref(doc);
    if (nb_stopped(st))
        return nb_step_result(st);
    if (iam_remove(req, k->kind, key) != 0)
        return iam_store_failed(req);
    return k == &iam_access_key ? NB_FAILED(iam_key_changed(req, key, NULL, NULL, NULL)) : NB_DONE;
}

nb_result_t iam_op_list(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    const iam_kind_t *k = op->kind;
    const char *user = iam_str(in, "UserName");
    /* without a user name, the keys, certificates and MFA devices of the caller: the root's */
    bool roots = user == NULL && (k == &iam_access_key || k == &iam_signing_cert || (k == &iam_mfa && op->out));
    json_t *rows = user    ? iam_list(req, k->kind, "json_extract(doc, '$.UserName') = ?1", user)
                   : roots ? iam_list(req, k->kind,
                                      k == &iam_mfa ? "0" /* the root has no device here */
                                                    : "json_extract(doc, '$.UserName') IS NULL",
                                      NULL)
                           : iam_list(req, k->kind, NULL, NULL);
    if (rows == NULL)
        return iam_store_failed(req);
    json_t *owner = user != NULL && k != &iam_mfa ? iam_load(req, "user", user) : NULL;
    if (user != NULL && k != &iam_mfa && owner == NULL) {
        json_decref(rows);
        return nb_error(req, "NoSuchEntity", iam_user.not_found, user);
    }
    json_decref(owner);
    const char *prefix = iam_str(in, "PathPrefix");
    const char *status = iam_str(in, "AssignmentStatus");
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *path = iam_str(row, "Path");
        if (prefix != NULL && (path == NULL || strncmp(path, prefix, strlen(prefix)) != 0))
            continue;
        if (status != NULL && strcmp(status, "Any") != 0 &&
            (strcmp(status, "Assigned") == 0) != (json_object_get(row, "User") != NULL))
            continue;
        json_t *out = k == &iam_instance_profile ? iam_profile_out(req, row) : entity_out(op, row);
        if (k == &iam_role || k == &iam_user) { /* ListRoles and ListUsers leave these to Get */
            json_object_del(out, "Tags");
            json_object_del(out, "PermissionsBoundary");
            json_object_del(out, "RoleLastUsed");
        }
        json_array_append_new(list, out);
    }
    json_decref(rows);
    return iam_reply_page(req, in, json_object(), op->out ? op->out : k->list_member, list);
}

/* Update*: every member given but the one naming the entity is set on the row; New<X>
 * members rename (NewPath, NewUserName, ...). */
nb_result_t iam_op_update(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    const iam_kind_t *k = op->kind;
    json_t *doc;
    const char *key;
    NB_TRY(iam_find(req, in, k, &doc, &key));
    nb_step_t st = check_owner(req, in, k, doc, key);
    if (nb_stopped(st)) {
        json_decref(doc);
        return nb_step_result(st);
    }
    const char *new_key = key;
    const char *member;
    json_t *v;
    json_object_foreach((json_t *)in, member, v) {
        if (strcmp(member, k->arn_member ? k->arn_member : k->name_member) == 0 || strcmp(member, "UserName") == 0)
            continue;
        if (strcmp(member, "NewPath") == 0) {
            json_object_set(doc, "Path", v);
        } else if (strncmp(member, "New", 3) == 0) {
            new_key = json_string_value(v);
            json_object_set(doc, member + 3, v);
        } else if (strcmp(member, "Password") != 0) {
            json_object_set(doc, member, v);
        }
    }
    if (k->arn_type != NULL && k->arn_member == NULL)
        json_object_set_new(doc, "Arn", json_string(iam_arn(req, k->arn_type, iam_str(doc, "Path"), new_key)));
    if (k->refresh != NULL)
        k->refresh(doc);
    if (strcmp(new_key, key) != 0) {
        json_t *clash = iam_load(req, k->kind, new_key);
        if (clash != NULL) {
            json_decref(clash);
            json_decref(doc);
            return nb_error(req, "EntityAlreadyExists", k->exists, new_key);
        }
        if (iam_remove(req, k->kind, key) != 0 || iam_renamed(req, k, key, new_key) != 0) {
            json_decref(doc);
            return iam_store_failed(req);
        }
    }
    int rc = iam_save(req, k->kind, new_key, doc);
    nb_result_t r = rc != 0 ? NB_FAILED(rc) : op->out ? reply_entity(req, op, doc) : NB_DONE;
    json_decref(doc);
    return r;
}

nb_result_t iam_op_tag(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *key;
    NB_TRY(iam_find(req, in, op->kind, &doc, &key));
    nb_step_t st = iam_tags_merge(req, doc, json_object_get(in, "Tags"));
    int rc = nb_stopped(st) ? 0 : iam_save(req, op->kind->kind, key, doc);
    json_decref(doc);
    return nb_stopped(st) ? nb_step_result(st) : rc ? NB_FAILED(rc) : NB_DONE;
}

nb_result_t iam_op_untag(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *key;
    NB_TRY(iam_find(req, in, op->kind, &doc, &key));
    json_t *tags = json_object_get(doc, "Tags"), *keep = json_array();
    size_t i, j;
    json_t *t, *gone;
    json_array_foreach(tags, i, t) {
        bool drop = false;
        json_array_foreach(json_object_get(in, "TagKeys"), j, gone) {
            if (strcmp(json_string_value(gone), iam_str(t, "Key")) == 0)
                drop = true;
        }
        if (!drop)
            json_array_append(keep, t);
    }
    json_object_set_new(doc, "Tags", keep);
    int rc = iam_save(req, op->kind->kind, key, doc);
    json_decref(doc);
    return rc ? NB_FAILED(rc) : NB_DONE;
}

nb_result_t iam_op_list_tags(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *key;
    if (op->kind == &iam_policy) {
        NB_TRY(iam_policy_find(req, iam_str(in, "PolicyArn"), &doc));
    } else {
        NB_TRY(iam_find(req, in, op->kind, &doc, &key));
    }
    json_t *tags = json_object_get(doc, "Tags");
    json_t *list = tags ? json_incref(tags) : json_array();
    json_decref(doc);
    return iam_reply_page(req, in, json_object(), "Tags", list);
}
