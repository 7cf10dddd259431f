/* Managed policies (customer rows keyed by ARN, AWS's from iam_aws_policies.c) and their versions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"

#define VERSION_LIMIT 5

/* arn:<partition>:iam::aws:policy/...: AWS's own, the same in every account. */
static bool is_aws_arn(const char *arn) {
    const char *p = arn && strncmp(arn, "arn:", 4) == 0 ? strchr(arn + 4, ':') : NULL;
    return p != NULL && strncmp(p, ":iam::aws:policy/", 17) == 0;
}

json_t *iam_policy_lookup(nb_req_t *req, const char *arn) {
    if (arn == NULL)
        return NULL;
    return is_aws_arn(arn) ? iam_aws_policy(arn) : iam_load(req, "policy", arn);
}

nb_step_t iam_policy_find(nb_req_t *req, const char *arn, json_t **doc) {
    *doc = iam_policy_lookup(req, arn);
    if (*doc == NULL)
        return nb_stop(nb_error(req, "NoSuchEntity", iam_policy.not_found, arn ? arn : ""));
    return NB_GO_ON;
}

static json_t *find_version(const json_t *policy, const char *id) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(policy, "_versions"), i, v) {
        if (id && strcmp(iam_str(v, "VersionId"), id) == 0)
            return v;
    }
    return NULL;
}

const char *iam_policy_default_document(nb_req_t *req, const json_t *policy) {
    (void)req;
    return iam_str(find_version(policy, iam_str(policy, "DefaultVersionId")), "Document");
}

/* How many roles, users and groups have each policy attached, and use each as boundary. */
static json_t *usage_counts(nb_req_t *req, const char *member) {
    json_t *counts = json_object();
    static const char *const kinds[] = {"role", "user", "group"};
    for (size_t k = 0; k < 3; k++) {
        json_t *rows = iam_list(req, kinds[k], NULL, NULL);
        size_t i, j;
        json_t *row, *arn;
        json_array_foreach(rows, i, row) {
            json_t *arns = json_object_get(row, member);
            if (json_is_object(arns)) /* PermissionsBoundary: one ARN */
                arns = json_pack("[O]", json_object_get(arns, "PermissionsBoundaryArn"));
            else
                json_incref(arns);
            json_array_foreach(arns, j, arn) {
                const char *a = json_string_value(arn);
                if (a)
                    json_object_set_new(counts, a, json_integer(json_integer_value(json_object_get(counts, a)) + 1));
            }
            json_decref(arns);
        }
        json_decref(rows);
    }
    return counts;
}

/* The Policy shape of a row: its counts filled in from the tables given. */
static json_t *policy_out(const json_t *row, const json_t *attached, const json_t *bounded) {
    json_t *out = iam_public(row);
    const char *arn = iam_str(row, "Arn");
    json_object_set_new(out, "AttachmentCount", json_integer(json_integer_value(json_object_get(attached, arn))));
    json_object_set_new(out, "PermissionsBoundaryUsageCount",
                        json_integer(json_integer_value(json_object_get(bounded, arn))));
    json_object_set_new(out, "IsAttachable", json_true());
    return out;
}

static json_t *policy_out_counted(nb_req_t *req, const json_t *row) {
    json_t *attached = usage_counts(req, "_attached"), *bounded = usage_counts(req, "PermissionsBoundary");
    json_t *out = policy_out(row, attached, bounded);
    json_decref(attached);
    json_decref(bounded);
    return out;
}

static json_t *version_out(nb_req_t *req, const json_t *v, bool with_document) {
    json_t *out = json_deep_copy(v);
    if (with_document)
        json_object_set_new(out, "Document", json_string(iam_url_encode(req, iam_str(v, "Document"))));
    else
        json_object_del(out, "Document");
    return out;
}

nb_result_t iam_op_create_policy(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    const char *name = iam_str(in, "PolicyName"), *text = iam_str(in, "PolicyDocument"), *path;
    NB_TRY(iam_path(req, in, "Path", &path));
    NB_TRY(iam_policy_validate(req, text, IAM_DOC_IDENTITY, 6144, "Cannot exceed quota for PolicySize: 6144"));
    if (iam_count(req, "'policy'", "json_extract(doc, '$.PolicyName') = ?1", name) > 0)
        return nb_error(req, "EntityAlreadyExists", iam_policy.exists, name);
    double now = nb_now();
    const char *arn = iam_arn(req, "policy", path, name);
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:[{s:s,s:s,s:b,s:f}],s:i}", "PolicyName", name, "PolicyId",
                            iam_new_id(req, "ANPA", 16), "Arn", arn, "Path", path, "DefaultVersionId", "v1",
                            "CreateDate", now, "UpdateDate", now, "_versions", "VersionId", "v1", "Document", text,
                            "IsDefaultVersion", 1, "CreateDate", now, "_next", 2);
    if (row == NULL)
        return NB_FAILED(NB_ENOMEM);
    if (iam_str(in, "Description"))
        json_object_set(row, "Description", json_object_get(in, "Description"));
    if (json_object_get(in, "Tags")) {
        nb_step_t st = iam_tags_merge(req, row, json_object_get(in, "Tags"));
        if (nb_stopped(st)) {
            json_decref(row);
            return nb_step_result(st);
        }
    }
    int rc = iam_save(req, "policy", arn, row);
    json_t *out = policy_out(row, NULL, NULL);
    json_decref(row);
    if (rc != 0) {
        json_decref(out);
        return NB_FAILED(rc);
    }
    json_object_del(out, "Description"); /* CreatePolicy does not answer it */
    return nb_reply_new(req, json_pack("{s:o}", "Policy", out));
}

nb_result_t iam_op_get_policy(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row;
    NB_TRY(iam_policy_find(req, iam_str(in, "PolicyArn"), &row));
    json_t *out = policy_out_counted(req, row);
    json_decref(row);
    return nb_reply_new(req, json_pack("{s:o}", "Policy", out));
}

/* A customer managed policy to change: AWS's cannot be. */
static nb_step_t own_policy(nb_req_t *req, const json_t *in, json_t **row, const char **arn) {
    *arn = iam_str(in, "PolicyArn");
    if (*arn && is_aws_arn(*arn)) {
        json_t *aws = iam_aws_policy(*arn);
        *row = NULL;
        if (aws != NULL) {
            json_decref(aws);
            return nb_stop(nb_error_code(req, "AccessDenied", 403, "AWS managed policy %s cannot be modified.", *arn));
        }
    }
    return iam_policy_find(req, *arn, row);
}

nb_result_t iam_op_delete_policy(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row;
    const char *arn;
    NB_TRY(own_policy(req, in, &row, &arn));
    size_t versions = json_array_size(json_object_get(row, "_versions"));
    json_decref(row);
    if (iam_referenced(req, "role", "_attached", arn) + iam_referenced(req, "user", "_attached", arn) +
            iam_referenced(req, "group", "_attached", arn) > 0)
        return nb_error(req, "DeleteConflict", "Cannot delete a policy attached to entities.");
    if (versions > 1)
        return nb_error(req, "DeleteConflict",
                        "This policy has more than one version. Before you delete a policy, you must delete the "
                        "policy's versions. The default version is deleted with the policy.");
    return iam_remove(req, "policy", arn) ? iam_store_failed(req) : NB_DONE;
}

nb_result_t iam_op_list_policies(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    const char *scope = iam_str(in, "Scope"), *prefix = iam_str(in, "PathPrefix");
    const char *usage = iam_str(in, "PolicyUsageFilter");
    bool only_attached = json_is_true(json_object_get(in, "OnlyAttached"));
    json_t *attached = usage_counts(req, "_attached"), *bounded = usage_counts(req, "PermissionsBoundary");
    json_t *list = json_array(), *local = NULL;
    const json_t *sources[2] = {NULL, NULL};
    if (scope == NULL || strcmp(scope, "Local") != 0)
        sources[0] = iam_aws_policies();
    if (scope == NULL || strcmp(scope, "AWS") != 0)
        sources[1] = local = iam_list(req, "policy", NULL, NULL);
    for (int s = 0; s < 2; s++) {
        size_t i;
        json_t *row;
        json_array_foreach(sources[s], i, row) {
            const char *arn = iam_str(row, "Arn"), *path = iam_str(row, "Path");
            if (prefix && strncmp(path, prefix, strlen(prefix)) != 0)
                continue;
            if (only_attached && json_object_get(attached, arn) == NULL)
                continue;
            if (usage && strcmp(usage, "PermissionsPolicy") == 0 && json_object_get(attached, arn) == NULL)
                continue;
            if (usage && strcmp(usage, "PermissionsBoundary") == 0 && json_object_get(bounded, arn) == NULL)
                continue;
            json_t *out = policy_out(row, attached, bounded);
            json_object_del(out, "Tags");
            json_object_del(out, "Description");
            json_array_append_new(list, out);
        }
    }
    json_decref(local);
    json_decref(attached);
    json_decref(bounded);
    return iam_reply_page(req, in, json_object(), "Policies", list);
}

nb_result_t iam_op_create_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row;
    const char *arn, *text = iam_str(in, "PolicyDocument");
    NB_TRY(own_policy(req, in, &row, &arn));
    nb_step_t st = iam_policy_validate(req, text, IAM_DOC_IDENTITY, 6144, "Cannot exceed quota for PolicySize: 6144");
    json_t *versions = json_object_get(row, "_versions");
    if (!nb_stopped(st) && json_array_size(versions) >= VERSION_LIMIT)
        st = nb_stop(nb_error(req, "LimitExceeded",
                              "A managed policy can have up to %d versions. Before you create a new version, you "
                              "must delete an existing version.",
                              VERSION_LIMIT));
    if (nb_stopped(st)) {
        json_decref(row);
        return nb_step_result(st);
    }
    json_int_t n = json_integer_value(json_object_get(row, "_next"));
    const char *id = nb_req_printf(req, "v%lld", (long long)n);
    bool make_default = json_is_true(json_object_get(in, "SetAsDefault"));
    double now = nb_now();
    if (make_default) {
        size_t i;
        json_t *v;
        json_array_foreach(versions, i, v) json_object_set_new(v, "IsDefaultVersion", json_false());
        json_object_set_new(row, "DefaultVersionId", json_string(id));
    }
    json_t *v = json_pack("{s:s,s:s,s:b,s:f}", "VersionId", id, "Document", text, "IsDefaultVersion", make_default,
                          "CreateDate", now);
    json_array_append(versions, v);
    json_object_set_new(row, "_next", json_integer(n + 1));
    json_object_set_new(row, "UpdateDate", json_real(now));
    int rc = iam_save(req, "policy", arn, row);
    json_decref(row);
    json_t *out = version_out(req, v, false);
    json_decref(v);
    if (rc != 0) {
        json_decref(out);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o}", "PolicyVersion", out));
}

static nb_step_t policy_version(nb_req_t *req, const json_t *in, const json_t *row, json_t **v) {
    const char *id = iam_str(in, "VersionId");
    *v = find_version(row, id);
    if (*v == NULL)
        return nb_stop(nb_error(req, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.",
                                iam_str(in, "PolicyArn"), id ? id : ""));
    return NB_GO_ON;
}

nb_result_t iam_op_get_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row, *v;
    NB_TRY(iam_policy_find(req, iam_str(in, "PolicyArn"), &row));
    nb_step_t st = policy_version(req, in, row, &v);
    json_t *out = nb_stopped(st) ? NULL : version_out(req, v, true);
    json_decref(row);
    return nb_stopped(st) ? nb_step_result(st) : nb_reply_new(req, json_pack("{s:o}", "PolicyVersion", out));
}

nb_result_t iam_op_delete_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row, *v;
    const char *arn;
    NB_TRY(own_policy(req, in, &row, &arn));
    nb_step_t st = policy_version(req, in, row, &v);
    if (!nb_stopped(st) && json_is_true(json_object_get(v, "IsDefaultVersion")))
        st = nb_stop(nb_error(req, "DeleteConflict", "Cannot delete the default version of a policy."));
    int rc = 0;
    if (!nb_stopped(st)) {
        json_t *versions = json_object_get(row, "_versions");
        size_t i;
        json_t *e;
        json_array_foreach(versions, i, e) {
            if (e == v) {
                json_array_remove(versions, i);
                break;
            }
        }
        rc = iam_save(req, "policy", arn, row);
    }
    json_decref(row);
    return nb_stopped(st) ? nb_step_result(st) : rc ? NB_FAILED(rc) : NB_DONE;
}

nb_result_t iam_op_list_policy_versions(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row;
    NB_TRY(iam_policy_find(req, iam_str(in, "PolicyArn"), &row));
    json_t *list = json_array();
    json_t *versions = json_object_get(row, "_versions");
    /* newest first, as IAM lists them */
    for (size_t i = json_array_size(versions); i-- > 0;)
        json_array_append_new(list, version_out(req, json_array_get(versions, i), false));
    json_decref(row);
    return iam_reply_page(req, in, json_object(), "Versions", list);
}

nb_result_t iam_op_set_default_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *row, *v;
    const char *arn;
    NB_TRY(own_policy(req, in, &row, &arn));
    nb_step_t st = policy_version(req, in, row, &v);
    int rc = 0;
    if (!nb_stopped(st)) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(row, "_versions"), i, e)
            json_object_set_new(e, "IsDefaultVersion", json_boolean(e == v));
        json_object_set(row, "DefaultVersionId", json_object_get(v, "VersionId"));
        json_object_set_new(row, "UpdateDate", json_real(nb_now()));
        rc = iam_save(req, "policy", arn, row);
    }
    json_decref(row);
    return nb_stopped(st) ? nb_step_result(st) : rc ? NB_FAILED(rc) : NB_DONE;
}

json_t *iam_policy_details(nb_req_t *req, bool local, bool aws) {
    json_t *attached = usage_counts(req, "_attached"), *bounded = usage_counts(req, "PermissionsBoundary");
    json_t *list = json_array(), *rows = local ? iam_list(req, "policy", NULL, NULL) : NULL;
    const json_t *sources[2] = {rows, aws ? iam_aws_policies() : NULL};
    for (int s = 0; s < 2; s++) {
        size_t i;
        json_t *row;
        json_array_foreach(sources[s], i, row) {
            const char *arn = iam_str(row, "Arn");
            /* AWS's own policies are listed when something in the account uses them */
            if (s == 1 && !json_object_get(attached, arn) && !json_object_get(bounded, arn))
                continue;
            /* the AWS list has no documents: the policy by ARN has */
            json_t *full = s == 1 ? iam_aws_policy(arn) : json_incref(row);
            json_t *d = policy_out(row, attached, bounded), *versions = json_array();
            size_t j;
            json_t *v;
            json_array_foreach(json_object_get(full, "_versions"), j, v)
                json_array_append_new(versions, version_out(req, v, true));
            json_decref(full);
            json_object_set_new(d, "PolicyVersionList", versions);
            json_array_append_new(list, d);
        }
    }
    json_decref(rows);
    json_decref(attached);
    json_decref(bounded);
    return list;
}
