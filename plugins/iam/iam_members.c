/* Group membership (a user's "_groups") and the role of an instance profile ("_roles"). */
#include <string.h>

#include "iam.h"

#define ROLES_PER_PROFILE 1

/* Adds (add) or removes value in doc[member]; false when it was already so. */
static bool set_member(json_t *doc, const char *member, const char *value, bool add) {
    json_t *list = json_object_get(doc, member);
    if (list == NULL) {
        list = json_array();
        json_object_set_new(doc, member, list);
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (strcmp(json_string_value(e), value) == 0) {
            if (!add)
                json_array_remove(list, i);
            return !add;
        }
    }
    if (add)
        json_array_append_new(list, json_string(value));
    return add;
}

static nb_result_t membership(nb_req_t *req, const json_t *in, bool add) {
    json_t *user, *group;
    const char *user_name, *group_name;
    NB_TRY(iam_find(req, in, &iam_group, &group, &group_name));
    json_decref(group);
    NB_TRY(iam_find(req, in, &iam_user, &user, &user_name));
    if (!set_member(user, "_groups", group_name, add) && !add) {
        json_decref(user);
        return nb_error(req, "NoSuchEntity", "User %s is not in group %s.", user_name, group_name);
    }
    int rc = iam_save(req, "user", user_name, user);
    json_decref(user);
    return rc ? NB_FAILED(rc) : NB_DONE;
}

nb_result_t iam_op_add_user_to_group(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    return membership(req, in, true);
}

nb_result_t iam_op_remove_user_from_group(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    return membership(req, in, false);
}

nb_result_t iam_op_get_group(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *group;
    const char *name;
    NB_TRY(iam_find(req, in, &iam_group, &group, &name));
    json_t *users = iam_list(
        req, "user", "EXISTS(SELECT 1 FROM json_each(doc, '$._groups') WHERE json_each.value = ?1)", name);
    json_t *list = json_array();
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) json_array_append_new(list, iam_public(u));
    json_decref(users);
    json_t *out = json_pack("{s:o}", "Group", iam_public(group));
    json_decref(group);
    return iam_reply_page(req, in, out, "Users", list);
}

nb_result_t iam_op_list_groups_for_user(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *user;
    const char *name;
    NB_TRY(iam_find(req, in, &iam_user, &user, &name));
    json_t *list = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(user, "_groups"), i, g) {
        json_t *group = iam_load(req, "group", json_string_value(g));
        if (group != NULL)
            json_array_append_new(list, iam_public(group));
        json_decref(group);
    }
    json_decref(user);
    return iam_reply_page(req, in, json_object(), "Groups", list);
}

json_t *iam_profile_out(nb_req_t *req, const json_t *profile) {
    json_t *out = iam_public(profile), *roles = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(profile, "_roles"), i, r) {
        json_t *role = iam_load(req, "role", json_string_value(r));
        if (role != NULL)
            json_array_append_new(roles, iam_public(role));
        json_decref(role);
    }
    json_object_set_new(out, "Roles", roles);
    return out;
}

static nb_result_t profile_role(nb_req_t *req, const json_t *in, bool add) {
    json_t *profile, *role;
    const char *profile_name, *role_name;
    NB_TRY(iam_find(req, in, &iam_instance_profile, &profile, &profile_name));
    nb_step_t st = iam_find(req, in, &iam_role, &role, &role_name);
    json_decref(role);
    if (nb_stopped(st)) {
        json_decref(profile);
        return nb_step_result(st);
    }
    json_t *roles = json_object_get(profile, "_roles");
    if (add && json_array_size(roles) >= ROLES_PER_PROFILE) {
        bool same = json_array_size(roles) && strcmp(json_string_value(json_array_get(roles, 0)), role_name) == 0;
        json_decref(profile);
        if (same)
            return nb_error(req, "EntityAlreadyExists", "Role %s already exists in instance profile %s.", role_name,
                            profile_name);
        return nb_error(req, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d",
                        ROLES_PER_PROFILE);
    }
    if (!set_member(profile, "_roles", role_name, add) && !add) {
        json_decref(profile);
        return nb_error(req, "NoSuchEntity", "The role with name %s cannot be found in instance profile %s.",
                        role_name, profile_name);
    }
    int rc = iam_save(req, "instance-profile", profile_name, profile);
    json_decref(profile);
    return rc ? NB_FAILED(rc) : NB_DONE;
}

nb_result_t iam_op_add_role_to_profile(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    return profile_role(req, in, true);
}

nb_result_t iam_op_remove_role_from_profile(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    return profile_role(req, in, false);
}

json_t *iam_profiles_of_role(nb_req_t *req, const char *role) {
    json_t *rows = iam_list(req, "instance-profile",
                            "EXISTS(SELECT 1 FROM json_each(doc, '$._roles') WHERE json_each.value = ?1)", role);
    json_t *list = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(rows, i, p) json_array_append_new(list, iam_profile_out(req, p));
    json_decref(rows);
    return list;
}

nb_result_t iam_op_list_profiles_for_role(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *role;
    const char *name;
    NB_TRY(iam_find(req, in, &iam_role, &role, &name));
    json_decref(role);
    return iam_reply_page(req, in, json_object(), "InstanceProfiles", iam_profiles_of_role(req, name));
}
