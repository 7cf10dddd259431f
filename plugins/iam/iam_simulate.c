/* SimulatePrincipalPolicy / SimulateCustomPolicy and the context keys of policies, over the
 * core's evaluator (nb_policy_eval, ABI 1.9); the principal's policies are iam_authz.c's. */
#include <ctype.h>
#include <string.h>

#include "iam.h"

static nb_step_t add_inputs(nb_req_t *req, json_t *list, const json_t *in, const char *member) {
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, member), i, t)
        NB_TRY_STEP(iam_sources_add(req, list, nb_req_printf(req, "%s.%zu", member, i + 1), "IAM Policy",
                             json_string_value(t)));
    return NB_GO_ON;
}

static json_t *context_of(const json_t *in) {
    json_t *ctx = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "ContextEntries"), i, e) {
        char lower[256];
        if (nb_policy_key(lower, sizeof lower, iam_str(e, "ContextKeyName")))
            json_object_set(ctx, lower, json_object_get(e, "ContextKeyValues"));
    }
    return ctx;
}

/* Every source's verdict combined: deny wins, then allow; a boundary must allow as well. */
static json_t *evaluate(const iam_sources_t *src, const nb_policy_request_t *r) {
    json_t *matched = json_array();
    nb_policy_decision_t d = NB_POLICY_IMPLICIT_DENY;
    size_t i;
    json_t *s;
    json_array_foreach(src->identity, i, s) {
        json_t *idx = json_array();
        nb_policy_decision_t one = nb_policy_eval(json_object_get(s, "doc"), r, idx);
        if (json_array_size(idx) > 0)
            json_array_append_new(matched, json_pack("{s:O,s:O}", "SourcePolicyId", json_object_get(s, "id"),
                                                     "SourcePolicyType", json_object_get(s, "type")));
        json_decref(idx);
        if (one > d)
            d = one;
    }
    json_t *result = json_object();
    if (json_array_size(src->boundary) > 0) {
        nb_policy_decision_t b = nb_policy_eval(json_object_get(json_array_get(src->boundary, 0), "doc"), r, NULL);
        json_object_set_new(result, "PermissionsBoundaryDecisionDetail",
                            json_pack("{s:b}", "AllowedByPermissionsBoundary", b == NB_POLICY_ALLOWED));
        if (d == NB_POLICY_ALLOWED && b != NB_POLICY_ALLOWED)
            d = b == NB_POLICY_EXPLICIT_DENY ? NB_POLICY_EXPLICIT_DENY : NB_POLICY_IMPLICIT_DENY;
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
static nb_step_t collect(nb_req_t *req, const json_t *in, const iam_op_t *op, iam_sources_t *src) {
    *src = (iam_sources_t){json_array(), json_array(), true};
    if (strcmp(op->arg, "principal") == 0)
        NB_TRY_STEP(iam_sources_principal(req, src, iam_str(in, "PolicySourceArn")));
    return add_inputs(req, src->identity, in, "PolicyInputList");
}

nb_result_t iam_op_simulate(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    iam_sources_t src;
    nb_step_t st = collect(req, in, op, &src);
    if (!nb_stopped(st) && json_object_get(in, "PermissionsBoundaryPolicyInputList")) {
        json_array_clear(src.boundary);
        st = add_inputs(req, src.boundary, in, "PermissionsBoundaryPolicyInputList");
    }
    if (!nb_stopped(st) && iam_str(in, "ResourcePolicy"))
        st = iam_sources_add(req, src.identity, "ResourcePolicy", "resource", iam_str(in, "ResourcePolicy"));
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
            nb_policy_request_t r = {.action = json_string_value(a), .resource = "*", .context = ctx};
            json_array_append_new(results, evaluate(&src, &r));
        }
        json_array_foreach(resources, j, res) {
            nb_policy_request_t r = {.action = json_string_value(a), .resource = json_string_value(res), .context = ctx};
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
    iam_sources_t src;
    nb_step_t st = collect(req, in, op, &src);
    json_t *keys = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(src.identity, i, s) nb_policy_condition_keys(json_object_get(s, "doc"), keys);
    json_decref(src.identity);
    json_decref(src.boundary);
    if (nb_stopped(st)) {
        json_decref(keys);
        return nb_step_result(st);
    }
    return nb_reply_new(req, json_pack("{s:o}", "ContextKeyNames", keys));
}
