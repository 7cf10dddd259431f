/* SimulatePrincipalPolicy / SimulateCustomPolicy and the context keys of policies, over the
 * evaluator of iam_eval.c. */
#include <ctype.h>
#include <string.h>

#include "iam.h"
#include "iam_eval.h"

/* The policies that apply, each {id, type, doc}; "boundary" separately. */
typedef struct sources {
    json_t *identity, *boundary;
} sources_t;

static nb_step_t add_text(nb_req_t *req, json_t *list, const char *id, const char *type, const char *text) {
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return nb_stop(nb_error(req, "MalformedPolicyDocument", "Syntax errors in policy."));
    }
    json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "id", id, "type", type, "doc", doc));
    return NB_GO_ON;
}

static nb_step_t add_inputs(nb_req_t *req, json_t *list, const json_t *in, const char *member) {
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, member), i, t)
        NB_TRY_STEP(add_text(req, list, nb_req_printf(req, "%s.%zu", member, i + 1), "IAM Policy",
                             json_string_value(t)));
    return NB_GO_ON;
}

/* The inline and attached policies of a role, user or group row. */
static nb_step_t add_holder(nb_req_t *req, json_t *list, const json_t *row, const char *type) {
    const char *name;
    json_t *text;
    json_object_foreach(json_object_get(row, "_inline"), name, text)
        NB_TRY_STEP(add_text(req, list, name, type, json_string_value(text)));
    size_t i;
    json_t *arn;
    json_array_foreach(json_object_get(row, "_attached"), i, arn) {
        json_t *policy;
        const char *a = json_string_value(arn);
        NB_TRY_STEP(iam_policy_find(req, a, &policy));
        const char *doc = nb_req_strdup(req, iam_policy_default_document(req, policy));
        const char *pname = nb_req_strdup(req, iam_str(policy, "PolicyName"));
        json_decref(policy);
        NB_TRY_STEP(add_text(req, list, pname, strstr(a, ":iam::aws:") ? "aws-managed" : "user-managed", doc));
    }
    return NB_GO_ON;
}

static nb_step_t add_boundary(nb_req_t *req, sources_t *src, const json_t *row) {
    const char *arn = iam_str(json_object_get(row, "PermissionsBoundary"), "PermissionsBoundaryArn");
    if (arn == NULL || json_array_size(src->boundary) > 0)
        return NB_GO_ON;
    json_t *policy;
    NB_TRY_STEP(iam_policy_find(req, arn, &policy));
    const char *doc = nb_req_strdup(req, iam_policy_default_document(req, policy));
    json_decref(policy);
    return add_text(req, src->boundary, arn, "PermissionsBoundaryPolicy", doc);
}

/* The principal's policies: arn:...:user/<path>name, role/..., group/... */
static nb_step_t add_principal(nb_req_t *req, sources_t *src, const char *arn) {
    const char *res = arn ? strstr(arn, ":user/") : NULL;
    const iam_kind_t *k = &iam_user;
    if (arn && !res && (res = strstr(arn, ":role/")) != NULL)
        k = &iam_role;
    else if (arn && !res && (res = strstr(arn, ":group/")) != NULL)
        k = &iam_group;
    if (res == NULL)
        return nb_stop(nb_error(req, "InvalidInput", "Invalid ARN: %s", arn ? arn : ""));
    json_t *row;
    NB_TRY_STEP(iam_find_named(req, k, strrchr(arn, '/') + 1, &row));
    nb_step_t st = add_holder(req, src->identity, row, k->kind);
    if (!nb_stopped(st))
        st = add_boundary(req, src, row);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(row, "_groups"), i, g) {
        json_t *group = iam_load(req, "group", json_string_value(g));
        if (group && !nb_stopped(st))
            st = add_holder(req, src->identity, group, "group");
        json_decref(group);
    }
    json_decref(row);
    return st;
}

static json_t *context_of(const json_t *in) {
    json_t *ctx = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "ContextEntries"), i, e) {
        char lower[256];
        if (iam_eval_key(lower, sizeof lower, iam_str(e, "ContextKeyName")))
            json_object_set(ctx, lower, json_object_get(e, "ContextKeyValues"));
    }
    return ctx;
}

/* Every source's verdict combined: deny wins, then allow; a boundary must allow as well. */
static json_t *evaluate(const sources_t *src, const iam_request_t *r) {
    json_t *matched = json_array();
    iam_decision_t d = IAM_IMPLICIT_DENY;
    size_t i;
    json_t *s;
    json_array_foreach(src->identity, i, s) {
        json_t *idx = json_array();
        iam_decision_t one = iam_eval_policy(json_object_get(s, "doc"), r, idx);
        if (json_array_size(idx) > 0)
            json_array_append_new(matched, json_pack("{s:O,s:O}", "SourcePolicyId", json_object_get(s, "id"),
                                                     "SourcePolicyType", json_object_get(s, "type")));
        json_decref(idx);
        if (one > d)
            d = one;
    }
    json_t *result = json_object();
    if (json_array_size(src->boundary) > 0) {
        iam_decision_t b = iam_eval_policy(json_object_get(json_array_get(src->boundary, 0), "doc"), r, NULL);
        json_object_set_new(result, "PermissionsBoundaryDecisionDetail",
                            json_pack("{s:b}", "AllowedByPermissionsBoundary", b == IAM_ALLOWED));
        if (d == IAM_ALLOWED && b != IAM_ALLOWED)
            d = b == IAM_EXPLICIT_DENY ? IAM_EXPLICIT_DENY : IAM_IMPLICIT_DENY;
    }
    static const char *const names[] = {"implicitDeny", "allowed", "explicitDeny"};
    json_object_set_new(result, "EvalActionName", json_string(r->action));
    json_object_set_new(result, "EvalResourceName", json_string(r->resource));
    json_object_set_new(result, "EvalDecision", json_string(names[d]));
    json_object_set_new(result, "MatchedStatements", matched);
    json_object_set_new(result, "MissingContextValues", json_array());
    return result;
}

/* op->arg: "principal" or "custom". */
/* The principal's policies (op->arg "principal") and those given in PolicyInputList. */
static nb_step_t collect(nb_req_t *req, const json_t *in, const iam_op_t *op, sources_t *src) {
    src->identity = json_array();
    src->boundary = json_array();
    if (strcmp(op->arg, "principal") == 0)
        NB_TRY_STEP(add_principal(req, src, iam_str(in, "PolicySourceArn")));
    return add_inputs(req, src->identity, in, "PolicyInputList");
}

nb_result_t iam_op_simulate(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    sources_t src;
    nb_step_t st = collect(req, in, op, &src);
    if (!nb_stopped(st) && json_object_get(in, "PermissionsBoundaryPolicyInputList")) {
        json_array_clear(src.boundary);
        st = add_inputs(req, src.boundary, in, "PermissionsBoundaryPolicyInputList");
    }
    if (!nb_stopped(st) && iam_str(in, "ResourcePolicy"))
        st = add_text(req, src.identity, "ResourcePolicy", "resource", iam_str(in, "ResourcePolicy"));
    if (nb_stopped(st)) {
        json_decref(src.identity);
        json_decref(src.boundary);
        return nb_step_result(st);
    }
    json_t *ctx = context_of(in), *results = json_array();
    const json_t *resources = json_object_get(in, "ResourceArns");
    size_t i, j;
    json_t *a, *res;
    json_array_foreach(json_object_get(in, "ActionNames"), i, a) {
        if (json_array_size(resources) == 0) {
            iam_request_t r = {json_string_value(a), "*", ctx};
            json_array_append_new(results, evaluate(&src, &r));
        }
        json_array_foreach(resources, j, res) {
            iam_request_t r = {json_string_value(a), json_string_value(res), ctx};
            json_array_append_new(results, evaluate(&src, &r));
        }
    }
    json_decref(ctx);
    json_decref(src.identity);
    json_decref(src.boundary);
    return iam_reply_page(req, in, json_object(), "EvaluationResults", results);
}

/* op->arg: "principal" or "custom". */
nb_result_t iam_op_context_keys(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    sources_t src;
    nb_step_t st = collect(req, in, op, &src);
    json_t *keys = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(src.identity, i, s) iam_eval_condition_keys(json_object_get(s, "doc"), keys);
    json_decref(src.identity);
    json_decref(src.boundary);
    if (nb_stopped(st)) {
        json_decref(keys);
        return nb_step_result(st);
    }
    return nb_reply_new(req, json_pack("{s:o}", "ContextKeyNames", keys));
}
