/*
 * A principal's policies: the inline and attached policies of a user (and of its groups) or
 * a role (an assumed-role session's role), and its permissions boundary. SimulatePrincipalPolicy
 * reads them strictly (a principal or policy that is missing is an error it answers); the
 * core's enforcement of ENFORCE_IAM=1 asks through the identity_policies hook (nimbus/authz.h)
 * while serving another service's request, on which no error may be set.
 */
#include <string.h>

#include "iam.h"

nb_step_t iam_sources_add(nb_req_t *req, json_t *list, const char *id, const char *type, const char *text) {
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return nb_stop(nb_error(req, "MalformedPolicyDocument", "Syntax errors in policy."));
    }
    json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "id", id, "type", type, "doc", doc));
    return NB_GO_ON;
}

/* The managed policy an ARN names: NoSuchEntity when strict, else NULL without an error. */
static nb_step_t find_policy(nb_req_t *req, const iam_sources_t *src, const char *arn, json_t **policy) {
    if (src->strict)
        return iam_policy_find(req, arn, policy);
    *policy = iam_policy_lookup(req, arn);
    return NB_GO_ON;
}

/* The inline and attached policies of a role, user or group row. */
static nb_step_t add_holder(nb_req_t *req, const iam_sources_t *src, const json_t *row, const char *type) {
    const char *name;
    json_t *text;
    json_object_foreach(json_object_get(row, "_inline"), name, text)
        NB_TRY_STEP(iam_sources_add(req, src->identity, name, type, json_string_value(text)));
    size_t i;
    json_t *arn;
    json_array_foreach(json_object_get(row, "_attached"), i, arn) {
        json_t *policy;
        const char *a = json_string_value(arn);
        NB_TRY_STEP(find_policy(req, src, a, &policy));
        if (policy == NULL)
            continue;
        const char *doc = nb_req_strdup(req, iam_policy_default_document(req, policy));
        const char *pname = nb_req_strdup(req, iam_str(policy, "PolicyName"));
        json_decref(policy);
        NB_TRY_STEP(iam_sources_add(req, src->identity, pname, strstr(a, ":iam::aws:") ? "aws-managed" : "user-managed",
                                    doc));
    }
    return NB_GO_ON;
}

static nb_step_t add_boundary(nb_req_t *req, const iam_sources_t *src, const json_t *row) {
    const char *arn = iam_str(json_object_get(row, "PermissionsBoundary"), "PermissionsBoundaryArn");
    if (arn == NULL || json_array_size(src->boundary) > 0)
        return NB_GO_ON;
    json_t *policy;
    NB_TRY_STEP(find_policy(req, src, arn, &policy));
    if (policy == NULL) /* a boundary that is gone allows nothing */
        return iam_sources_add(req, src->boundary, arn, "PermissionsBoundaryPolicy", "{\"Statement\":[]}");
    const char *doc = nb_req_strdup(req, iam_policy_default_document(req, policy));
    json_decref(policy);
    return iam_sources_add(req, src->boundary, arn, "PermissionsBoundaryPolicy", doc);
}

/* The kind and name an ARN names: arn:...:user/<path>name, role/..., group/..., and an STS
 * session arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION for its role. NULL when none. */
static const iam_kind_t *principal_kind(nb_req_t *req, const char *arn, const char **name) {
    const char *res;
    if (arn == NULL)
        return NULL;
    if ((res = strstr(arn, ":assumed-role/")) != NULL) {
        res += 14;
        *name = nb_req_printf(req, "%.*s", (int)strcspn(res, "/"), res);
        return &iam_role;
    }
    static const struct {
        const char *marker;
        const iam_kind_t *kind;
    } kinds[] = {{":user/", &iam_user}, {":role/", &iam_role}, {":group/", &iam_group}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        if (strstr(arn, kinds[i].marker)) {
            *name = strrchr(arn, '/') + 1;
            return kinds[i].kind;
        }
    }
    return NULL;
}

nb_step_t iam_sources_principal(nb_req_t *req, iam_sources_t *src, const char *arn) {
    const char *name = NULL;
    const iam_kind_t *k = principal_kind(req, arn, &name);
    if (k == NULL)
        return src->strict ? nb_stop(nb_error(req, "InvalidInput", "Invalid ARN: %s", arn ? arn : ""))
                           : nb_stop(NB_FAILED(NB_ENOENT));
    json_t *row = NULL;
    if (src->strict)
        NB_TRY_STEP(iam_find_named(req, k, name, &row));
    else if ((row = iam_load(req, k->kind, name)) == NULL)
        return nb_stop(NB_FAILED(NB_ENOENT));
    nb_step_t st = add_holder(req, src, row, k->kind);
    if (!nb_stopped(st))
        st = add_boundary(req, src, row);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(row, "_groups"), i, g) {
        json_t *group = iam_load(req, "group", json_string_value(g));
        if (group && !nb_stopped(st))
            st = add_holder(req, src, group, "group");
        json_decref(group);
    }
    json_decref(row);
    return st;
}

/* The documents of a list of {id, type, doc}: a new array. */
static json_t *documents(const json_t *list) {
    json_t *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) json_array_append(out, json_object_get(s, "doc"));
    return out;
}

/* A principal's tags, its aws:PrincipalTag/KEY keys (an assumed role's session: its role's): a new
 * reference, or NULL. */
static json_t *principal_tags(nb_req_t *req, const char *arn) {
    const char *name = NULL;
    const iam_kind_t *k = principal_kind(req, arn, &name);
    json_t *row = k && k != &iam_group ? iam_load(req, k->kind, name) : NULL;
    json_t *tags = json_incref(json_object_get(row, "Tags"));
    json_decref(row);
    return tags;
}

int iam_identity_policies(nb_plugin_t *self, nb_req_t *req, const char *principal_arn, nb_identity_policies_t *out) {
    (void)self;
    iam_sources_t src = {json_array(), json_array(), false};
    nb_step_t st = iam_sources_principal(req, &src, principal_arn);
    int rc = nb_stopped(st) ? nb_result_error(nb_step_result(st)) : 0;
    if (nb_stopped(st) && rc == 0)
        rc = NB_EINVAL; /* a stored document that does not parse: nothing is allowed */
    if (rc == 0) {
        out->policies = documents(src.identity);
        json_t *b = json_object_get(json_array_get(src.boundary, 0), "doc");
        out->boundary = b ? json_incref(b) : NULL;
        out->tags = principal_tags(req, principal_arn);
    }
    json_decref(src.identity);
    json_decref(src.boundary);
    return rc;
}

int iam_resource_tags(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    const iam_op_t *op = iam_op_named(nb_req_operation(req));
    const iam_kind_t *k = op ? op->kind : NULL;
    json_t *row = NULL;
    if (k == &iam_user || k == &iam_role) /* named: a create names none yet, so none is found */
        row = nb_json_str(in, k->name_member) ? iam_load(req, k->kind, nb_json_str(in, k->name_member)) : NULL;
    else if (k == &iam_policy && nb_json_str(in, "PolicyArn"))
        row = iam_policy_lookup(req, nb_json_str(in, "PolicyArn"));
    out->tags = json_incref(json_object_get(row, "Tags"));
    json_decref(row);
    return 0;
}
