/* What a role, user or group holds: attached managed policies, inline policies, a
 * permissions boundary; and which of them hold a managed policy. */
#include <string.h>

#include "iam.h"

#define ATTACHED_LIMIT 10

/* The role, user or group the input names, with its name. */
static nb_step_t holder(nb_req_t *req, const json_t *in, const iam_op_t *op, json_t **doc, const char **name) {
    return iam_find(req, in, op->kind, doc, name);
}

static nb_result_t save_holder(nb_req_t *req, const iam_op_t *op, const char *name, json_t *doc) {
    int rc = iam_save(req, op->kind->kind, name, doc);
    json_decref(doc);
    return rc ? NB_FAILED(rc) : NB_DONE;
}

static size_t index_of(const json_t *list, const char *s) {
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (strcmp(json_string_value(e), s) == 0)
            return i;
    }
    return (size_t)-1;
}

nb_result_t iam_op_attach(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc, *policy;
    const char *name, *arn = iam_str(in, "PolicyArn");
    NB_TRY(holder(req, in, op, &doc, &name));
    nb_step_t st = iam_policy_find(req, arn, &policy);
    json_decref(policy);
    if (nb_stopped(st)) {
        json_decref(doc);
        return nb_step_result(st);
    }
    json_t *attached = json_object_get(doc, "_attached");
    if (attached == NULL) {
        attached = json_array();
        json_object_set_new(doc, "_attached", attached);
    }
    if (index_of(attached, arn) != (size_t)-1) { /* attaching twice changes nothing */
        json_decref(doc);
        return NB_DONE;
    }
    if (json_array_size(attached) >= ATTACHED_LIMIT) {
        json_decref(doc);
        return nb_error(req, "LimitExceeded", "Cannot exceed quota for PoliciesPer%s: %d", op->kind->out_member,
                        ATTACHED_LIMIT);
    }
    json_array_append_new(attached, json_string(arn));
    return save_holder(req, op, name, doc);
}

nb_result_t iam_op_detach(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name, *arn = iam_str(in, "PolicyArn");
    NB_TRY(holder(req, in, op, &doc, &name));
    json_t *attached = json_object_get(doc, "_attached");
    size_t i = index_of(attached, arn);
    if (i == (size_t)-1) {
        json_decref(doc);
        return nb_error(req, "NoSuchEntity", "Policy %s was not found.", arn);
    }
    json_array_remove(attached, i);
    return save_holder(req, op, name, doc);
}

/* The policy's name is the last part of its ARN. */
static const char *arn_name(const char *arn) {
    const char *slash = strrchr(arn, '/');
    return slash ? slash + 1 : arn;
}

json_t *iam_attached_list(const json_t *row, const char *prefix) {
    json_t *list = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(row, "_attached"), i, e) {
        const char *arn = json_string_value(e);
        /* the path of arn:...:policy/<path><name> */
        const char *path = strstr(arn, ":policy/") ? strstr(arn, ":policy/") + 7 : "/";
        if (prefix && strncmp(path, prefix, strlen(prefix)) != 0)
            continue;
        json_array_append_new(list, json_pack("{s:s,s:s}", "PolicyName", arn_name(arn), "PolicyArn", arn));
    }
    return list;
}

nb_result_t iam_op_list_attached(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name;
    NB_TRY(holder(req, in, op, &doc, &name));
    json_t *list = iam_attached_list(doc, iam_str(in, "PathPrefix"));
    json_decref(doc);
    return iam_reply_page(req, in, json_object(), "AttachedPolicies", list);
}

nb_result_t iam_op_put_inline(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name, *policy = iam_str(in, "PolicyName"), *text = iam_str(in, "PolicyDocument");
    NB_TRY(holder(req, in, op, &doc, &name));
    const char *limit = nb_req_printf(req, "Maximum policy size of %d bytes exceeded for %s %s",
                                      op->kind->inline_limit, op->kind->kind, name);
    nb_step_t st = iam_policy_validate(req, text, IAM_DOC_IDENTITY, op->kind->inline_limit, limit);
    if (nb_stopped(st)) {
        json_decref(doc);
        return nb_step_result(st);
    }
    json_t *inl = json_object_get(doc, "_inline");
    if (inl == NULL) {
        inl = json_object();
        json_object_set_new(doc, "_inline", inl);
    }
    json_object_set_new(inl, policy, json_string(text));
    return save_holder(req, op, name, doc);
}

static nb_step_t inline_policy(nb_req_t *req, const json_t *in, const iam_op_t *op, const json_t *doc,
                               const char **text) {
    const char *policy = iam_str(in, "PolicyName");
    *text = iam_str(json_object_get(doc, "_inline"), policy);
    if (*text == NULL)
        return nb_stop(nb_error(req, "NoSuchEntity", "The %s policy with name %s cannot be found.", op->kind->kind,
                                policy));
    return NB_GO_ON;
}

nb_result_t iam_op_get_inline(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name, *text;
    NB_TRY(holder(req, in, op, &doc, &name));
    nb_step_t st = inline_policy(req, in, op, doc, &text);
    json_t *out = nb_stopped(st) ? NULL
                                 : json_pack("{s:s,s:O,s:s}", op->kind->name_member, name, "PolicyName",
                                             json_object_get(in, "PolicyName"), "PolicyDocument",
                                             iam_url_encode(req, text));
    json_decref(doc);
    return nb_stopped(st) ? nb_step_result(st) : nb_reply_new(req, out);
}

nb_result_t iam_op_delete_inline(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name, *text;
    NB_TRY(holder(req, in, op, &doc, &name));
    nb_step_t st = inline_policy(req, in, op, doc, &text);
    if (nb_stopped(st)) {
        json_decref(doc);
        return nb_step_result(st);
    }
    json_object_del(json_object_get(doc, "_inline"), iam_str(in, "PolicyName"));
    return save_holder(req, op, name, doc);
}

nb_result_t iam_op_list_inline(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name;
    NB_TRY(holder(req, in, op, &doc, &name));
    json_t *list = json_array();
    const char *policy;
    json_t *v;
    json_object_foreach(json_object_get(doc, "_inline"), policy, v) json_array_append_new(list, json_string(policy));
    json_decref(doc);
    return iam_reply_page(req, in, json_object(), "PolicyNames", list);
}

nb_result_t iam_op_put_boundary(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name;
    NB_TRY(holder(req, in, op, &doc, &name));
    nb_step_t st = iam_boundary_set(req, doc, iam_str(in, "PermissionsBoundary"));
    if (nb_stopped(st)) {
        json_decref(doc);
        return nb_step_result(st);
    }
    return save_holder(req, op, name, doc);
}

nb_result_t iam_op_delete_boundary(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    json_t *doc;
    const char *name;
    NB_TRY(holder(req, in, op, &doc, &name));
    json_object_del(doc, "PermissionsBoundary");
    return save_holder(req, op, name, doc);
}

nb_result_t iam_op_list_entities_for_policy(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *policy;
    const char *arn = iam_str(in, "PolicyArn"), *filter = iam_str(in, "EntityFilter");
    const char *prefix = iam_str(in, "PathPrefix"), *usage = iam_str(in, "PolicyUsageFilter");
    NB_TRY(iam_policy_find(req, arn, &policy));
    json_decref(policy);
    static const struct {
        const iam_kind_t *kind;
        const char *filter, *list, *name, *id;
    } holders[] = {
        {&iam_group, "Group", "PolicyGroups", "GroupName", "GroupId"},
        {&iam_user, "User", "PolicyUsers", "UserName", "UserId"},
        {&iam_role, "Role", "PolicyRoles", "RoleName", "RoleId"},
    };
    json_t *out = json_pack("{s:b}", "IsTruncated", 0);
    for (size_t h = 0; h < 3; h++) {
        json_t *list = json_array();
        json_object_set_new(out, holders[h].list, list);
        if (filter && strcmp(filter, holders[h].filter) != 0 && strcmp(filter, "LocalManagedPolicy") != 0 &&
            strcmp(filter, "AWSManagedPolicy") != 0)
            continue;
        const char *where = usage && strcmp(usage, "PermissionsBoundary") == 0
                                ? "json_extract(doc, '$.PermissionsBoundary.PermissionsBoundaryArn') = ?1"
                                : "EXISTS(SELECT 1 FROM json_each(doc, '$._attached') WHERE json_each.value = ?1)";
        json_t *rows = iam_list(req, holders[h].kind->kind, where, arn);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            const char *path = iam_str(row, "Path");
            if (prefix && (!path || strncmp(path, prefix, strlen(prefix)) != 0))
                continue;
            json_array_append_new(list, json_pack("{s:O,s:O}", holders[h].name, json_object_get(row, holders[h].name),
                                                  holders[h].id, json_object_get(row, holders[h].id)));
        }
        json_decref(rows);
    }
    return nb_reply_new(req, out);
}
