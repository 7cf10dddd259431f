/*
 * ENFORCE_IAM=1, the policy half: a request signed by a key a service issued (the credential
 * registry: IAM users' keys, STS sessions) runs only when AWS's evaluation of the policies that
 * apply allows it. The operation's IAM action and resource come from its plugin's action table
 * (nimbus/authz.h), the principal's policies from the plugin that declares identity_policies
 * (IAM), the resource's policy from the owning plugin's resource_policy hook. The root
 * account's keys (`test`, 12-digit keys, keys nobody registered) are never evaluated, nor
 * in-process calls (their caller was). Order of evaluation: an explicit Deny in any policy
 * denies; across accounts both the identity policies and the resource policy must allow; in
 * the principal's own account the resource policy allowing the principal suffices, else the
 * identity policies must allow, and a permissions boundary and a session policy must too.
 */
#include "gateway/authz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz/decision_cache.h"
#include "authz/policy_cache.h"
#include "authz/policy_eval.h"
#include "authz/template.h"
#include "config/config.h"
#include "gateway/credentials.h"
#include "gateway/req_memory.h"
#include "gateway/request.h"
#include "http/server.h"
#include "plugin/plugin.h"
#include "util/codec.h"
#include "util/partition.h"

int nb__api_policy_eval(const json_t *policy, const nb_policy_request_t *r, json_t *matched) {
    return (int)nb__policy_eval(policy, r, matched);
}

int nb__api_policy_key(char *dst, size_t size, const char *key) { return nb__policy_key(dst, size, key); }

void nb__api_authz_changed(void) { nb__policy_cache_clear(); }

/* ---- what the request asks ---- */

/* The last row found per operation: scanning a table of dozens of names on every request cost
 * more than the decision the cache answers. Checked before use (the table may be another plugin's
 * since: each row up to the kept one is read through, and the row must name the operation). */
#define ROW_MEMO_SLOTS 64

static struct row_memo {
    const nb_authz_action_t *table;
    const void *op;
    size_t index;
} row_memo[ROW_MEMO_SLOTS]; /* loop thread only */

static const nb_authz_action_t *memo_row(const nb_authz_action_t *table, const void *op, const char *name,
                                        struct row_memo **slot) {
    *slot = &row_memo[((uintptr_t)op >> 4) % ROW_MEMO_SLOTS];
    if ((*slot)->table != table || (*slot)->op != op)
        return NULL;
    for (size_t i = 0; i < (*slot)->index; i++)
        if (table[i].operation == NULL)
            return NULL;
    const nb_authz_action_t *a = &table[(*slot)->index];
    return a->operation && strcmp(a->operation, name) == 0 ? a : NULL;
}

/* The operation's row of the plugin's table; NULL: the plugin declares none (not enforced). */
static const nb_authz_action_t *action_row(nb_req_t *req, const nb_authz_action_t *table,
                                           nb_authz_action_t *fallback) {
    const char *op = req->route.op->name;
    struct row_memo *slot;
    const nb_authz_action_t *hit = memo_row(table, req->route.op, op, &slot);
    if (hit)
        return hit;
    for (const nb_authz_action_t *a = table; a->operation; a++)
        if (strcmp(a->operation, op) == 0) {
            *slot = (struct row_memo){table, req->route.op, (size_t)(a - table)};
            return a;
        }
    *fallback = (nb_authz_action_t){op, nb__req_printf(req, "%s:%s", req->route.spec->service, op), NULL, NULL, NULL};
    return fallback->action ? fallback : NULL;
}

static const char *expand_on_req(nb_req_t *req, const char *tpl, const json_t *input, const nb__template_var_t *vars,
                                 size_t nvars) {
    char *s = nb__template_expand(tpl, input, vars, nvars);
    const char *out = s ? nb__req_strdup(req, s) : NULL;
    free(s);
    return out;
}

/* key -> [value]; key lower-cased already, as contexts are keyed. */
static void set_lower(json_t *ctx, const char *key, const char *value) {
    json_t *one = value ? json_array() : NULL;
    if (one && json_array_append_new(one, json_string(value)) == 0)
        json_object_set_new(ctx, key, one);
    else
        json_decref(one);
}

static void add_input_key(void *ctx, const char *key, const char *value) {
    char lower[256];
    if (nb__policy_key(lower, sizeof lower, key))
        set_lower(ctx, lower, value);
}

/* The client's address without its port: "127.0.0.1:5000" -> "127.0.0.1", "[::1]:5000" -> "::1". */
static const char *source_ip(nb_req_t *req) {
    const char *peer = req->http ? req->http->peer : "";
    if (peer[0] == '[') {
        const char *end = strchr(peer, ']');
        return end ? nb__req_printf(req, "%.*s", (int)(end - peer - 1), peer + 1) : peer;
    }
    const char *colon = strrchr(peer, ':');
    return colon && strchr(peer, ':') == colon ? nb__req_printf(req, "%.*s", (int)(colon - peer), peer) : peer;
}

/* aws:CurrentTime and aws:EpochTime, formatted once a second rather than on every request. */
static void now_texts(const char **iso, const char **epoch) {
    static time_t at = -1;
    static char iso_text[32], epoch_text[24];
    time_t now = time(NULL);
    if (now != at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(iso_text, sizeof iso_text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(epoch_text, sizeof epoch_text, "%lld", (long long)now);
        at = now;
    }
    *iso = iso_text;
    *epoch = epoch_text;
}

/* PREFIX/KEY of each tag of a list [{"Key", "Value"}]: aws:PrincipalTag/team, iam:ResourceTag/team. */
static void add_tags(json_t *ctx, const char *prefix, const json_t *tags) {
    size_t i;
    const json_t *tag;
    json_array_foreach(tags, i, tag) {
        const char *key = json_string_value(json_object_get(tag, "Key"));
        char name[320], lower[320];
        if (key && (size_t)snprintf(name, sizeof name, "%s/%s", prefix, key) < sizeof name &&
            nb__policy_key(lower, sizeof lower, name))
            set_lower(ctx, lower, json_string_value(json_object_get(tag, "Value")));
    }
}

/* The global condition keys AWS sets on every request, the principal's tags (identity: its cached
 * policies), the resource's tags (as aws: and the service's keys), and the action's keys from the
 * input. */
static json_t *request_context(nb_req_t *req, const nb__cred_view_t *who, const json_t *identity,
                               const nb_resource_policy_t *res, const nb_authz_action_t *row, const json_t *input) {
    json_t *ctx = json_object();
    const char *iso, *epoch;
    now_texts(&iso, &epoch);
    const char *arn = who->principal_arn, *user = strstr(arn, ":user/");
    set_lower(ctx, "aws:sourceip", source_ip(req));
    set_lower(ctx, "aws:principalarn", arn);
    set_lower(ctx, "aws:principalaccount", who->account);
    set_lower(ctx, "aws:userid", who->user_id);
    set_lower(ctx, "aws:username", user ? strrchr(user, '/') + 1 : NULL);
    set_lower(ctx, "aws:principaltype",
              user                                 ? "User"
              : strstr(arn, ":assumed-role/")      ? "AssumedRole"
              : strstr(arn, ":federated-user/")    ? "FederatedUser"
                                                   : "Account");
    set_lower(ctx, "aws:currenttime", iso);
    set_lower(ctx, "aws:epochtime", epoch);
    set_lower(ctx, "aws:securetransport", nb__http_exchange_secure(req->x) ? "true" : "false");
    set_lower(ctx, "aws:requestedregion", req->ctx.region);
    set_lower(ctx, "aws:sourcearn", nb__http_request_header(req->http, "x-amz-source-arn"));
    set_lower(ctx, "aws:sourceaccount", nb__http_request_header(req->http, "x-amz-source-account"));
    add_tags(ctx, "aws:PrincipalTag", json_object_get(identity, "tags"));
    if (res->tags) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s:ResourceTag", req->route.spec->service);
        add_tags(ctx, "aws:ResourceTag", res->tags);
        add_tags(ctx, prefix, res->tags);
    }
    nb__template_context_each(row->context, input, add_input_key, ctx);
    return ctx;
}

/* ---- the policies that apply ---- */

/* nothing a registered key signs is allowed when no identity provider is enabled */
nb_plugin_t *nb__authz_identity_provider(nb__gateway_t *gw) {
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        nb__service_t *svc = &gw->reg.services[i];
        if (svc->provider == NULL || NB__DEF_HOOK(svc->provider->def, identity_policies) == NULL ||
            !nb__registry_service_enabled(&gw->reg, svc->name))
            continue;
        if (svc->state == NB_SVC_AVAILABLE)
            nb__registry_bind(&gw->reg, svc);
        if (svc->state != NB_SVC_RUNNING && nb__registry_start(&gw->reg, svc) != 0)
            return NULL;
        return svc->provider;
    }
    return NULL;
}

/* The principal's identity policies and boundary, from the cache or its provider. */
static const json_t *identity_of(nb_req_t *req, const nb__cred_view_t *who) {
    const json_t *hit = nb__policy_cache_get(who->account, who->principal_arn);
    if (hit)
        return hit;
    nb_plugin_t *ip = nb__authz_identity_provider(req->gw);
    nb_identity_policies_t out = {0};
    int rc = ip ? NB__DEF_HOOK(ip->def, identity_policies)(ip, req, who->principal_arn, &out) : NB_ENOENT;
    if (rc != 0) {
        json_decref(out.policies);
        json_decref(out.boundary);
        json_decref(out.tags);
        out.policies = out.boundary = out.tags = NULL;
    }
    const json_t *kept = nb__policy_cache_put(who->account, who->principal_arn, &out, rc);
    return kept;
}

/* The strongest verdict of a list of policies. */
static nb_policy_decision_t eval_all(const json_t *policies, const nb_policy_request_t *r) {
    nb_policy_decision_t d = NB_POLICY_IMPLICIT_DENY;
    size_t i;
    json_t *p;
    json_array_foreach(policies, i, p) {
        nb_policy_decision_t one = nb__policy_eval(p, r, NULL);
        if (one > d)
            d = one;
    }
    return d;
}

/* ---- the decision ---- */

typedef struct verdict {
    nb_policy_decision_t identity, boundary, session, resource;
    /* names_caller: the resource policy allows the caller by its own ARN (or "*"), not by its
     * account's, which only delegates to the account's identity policies */
    bool names_caller, required, cross_account;
} verdict_t;

/* Why a request is denied, in AWS's words (after the resource, so with its leading space); NULL
 * when it is allowed. */
static const char *denial(nb_req_t *req, const verdict_t *v, const char *action) {
    static const struct {
        size_t offset;
        const char *deny, *none;
    } sources[] = {
        {offsetof(verdict_t, identity), "an identity-based policy", "identity-based policy"},
        {offsetof(verdict_t, resource), "a resource-based policy", "resource-based policy"},
        {offsetof(verdict_t, boundary), "a permissions boundary", "permissions boundary"},
        {offsetof(verdict_t, session), "a session policy", "session policy"},
    };
    for (size_t i = 0; i < 4; i++) {
        nb_policy_decision_t d = *(const nb_policy_decision_t *)((const char *)v + sources[i].offset);
        if (d == NB_POLICY_EXPLICIT_DENY)
            return nb__req_printf(req, " with an explicit deny in %s", sources[i].deny);
    }
    if (v->required && v->resource != NB_POLICY_ALLOWED)
        return ""; /* STS gives no reason when a role's trust policy does not admit the caller */
    bool rest_allow = v->boundary == NB_POLICY_ALLOWED && v->session == NB_POLICY_ALLOWED;
    if (!v->cross_account && v->resource == NB_POLICY_ALLOWED && v->names_caller)
        return NULL; /* the resource policy of the principal's own account names it */
    if (v->identity == NB_POLICY_ALLOWED && rest_allow && (!v->cross_account || v->resource == NB_POLICY_ALLOWED))
        return NULL;
    const char *what = v->identity != NB_POLICY_ALLOWED   ? sources[0].none
                       : v->boundary != NB_POLICY_ALLOWED ? sources[2].none
                       : v->session != NB_POLICY_ALLOWED  ? sources[3].none
                                                          : sources[1].none;
    return nb__req_printf(req, " because no %s allows the %s action", what, action);
}

#define DEFAULT_DENIED "User: {principal} is not authorized to perform: {action} on resource: {resource}{reason}"

static void deny(nb_req_t *req, nb_plugin_t *p, const json_t *input, const nb__template_var_t *vars, size_t nvars) {
    const char *tpl = NB__DEF_HOOK(p->def, authz_denied_message);
    const char *msg = expand_on_req(req, tpl ? tpl : DEFAULT_DENIED, input, vars, nvars);
    const char *code = NB__DEF_HOOK(p->def, authz_denied_code);
    /* a service's own code takes the status its spec declares (0: looked up) */
    nb__req_set_error(req, code ? code : "AccessDenied", code ? 0 : 403, NULL, "%s", msg ? msg : "Access Denied");
}

/* The name of a decision made without the request's context (decision_cache.h): everything it was
 * made of, one per line, into key (size bytes); false when it does not fit (the decision is then
 * neither looked up nor kept). The documents are named by address: the parsed resource policy's
 * stays its text's until the decisions are dropped with it, the session policy's is its key's
 * for the key's life. Joined by hand on the stack: formatting it with printf, or on the request's
 * arena (created for it alone), cost more than the evaluation it saves. */
static bool decision_key(char *key, size_t size, nb_req_t *req, const nb__cred_view_t *who, const char *action,
                         const char *resource, const json_t *doc, const nb_resource_policy_t *res) {
    const void *docs[2] = {doc, who->session_policy};
    char addresses[2 * sizeof docs + 1];
    if (nb__hex_encode_to(docs, sizeof docs, 0, addresses, sizeof addresses) < 0)
        return false;
    const char *parts[] = {req->ctx.access_key, who->principal_arn, who->account, action, resource, addresses,
                           res->owner_account ? res->owner_account : "", res->required ? "required" : ""};
    char *at = key, *end = key + size;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        size_t len = strlen(parts[i]);
        if ((size_t)(end - at) < len + 2)
            return false;
        memcpy(at, parts[i], len);
        at += len;
        *at++ = '\n';
    }
    *at = '\0';
    return true;
}

/* The principal whose policies decide req, false when none is evaluated: enforcement off, an
 * in-process call (its caller was), the root account's keys (not registered), a key of another
 * account than the one the request acts in. */
static bool evaluated_principal(nb_req_t *req, nb__cred_view_t *who) {
    return req->gw->cfg->check_issued_keys && !req->call && req->ctx.access_key[0] != '\0' &&
           nb__credentials_find(req->ctx.access_key, who) && strcmp(who->account, req->ctx.account) == 0;
}

/* Whether who may do row's action on resource (p's resource policy read from input): NULL when it
 * may, else why not, in AWS's words. */
static const char *decide(nb_req_t *req, nb_plugin_t *p, const nb__cred_view_t *who, const nb_authz_action_t *row,
                          const char *resource, const json_t *input) {
    int (*rp)(nb_plugin_t *, nb_req_t *, const json_t *, nb_resource_policy_t *) = NB__DEF_HOOK(p->def, resource_policy);
    nb_resource_policy_t res = {0};
    int rc = rp ? rp(p, req, input, &res) : 0;
    if (rc != 0) {
        json_decref(res.tags);
        return " because the resource policy could not be read";
    }
    const json_t *doc = res.document ? nb__policy_parsed(res.document) : NULL;
    char key[2048];
    const char *decision = decision_key(key, sizeof key, req, who, row->action, resource, doc, &res) ? key : NULL;
    if (decision && nb__decision_allowed(decision)) {
        json_decref(res.tags);
        return NULL;
    }
    const json_t *id = identity_of(req, who);
    /* the context only when a policy reads it: most have no condition */
    bool contextual = json_is_true(json_object_get(id, "context")) || (doc && nb__policy_uses_context(doc)) ||
                      (who->session_policy && nb__policy_uses_context(who->session_policy));
    json_t *ctx = contextual ? request_context(req, who, id, &res, row, input) : NULL;
    nb_policy_request_t r = {row->action, resource, ctx, NULL, NULL};

    verdict_t v = {.boundary = NB_POLICY_ALLOWED, .session = NB_POLICY_ALLOWED};
    v.identity = id ? eval_all(json_object_get(id, "policies"), &r) : NB_POLICY_IMPLICIT_DENY;
    const json_t *boundary = json_object_get(id, "boundary");
    if (boundary)
        v.boundary = nb__policy_eval(boundary, &r, NULL);
    if (who->session_policy)
        v.session = nb__policy_eval(who->session_policy, &r, NULL);
    v.resource = NB_POLICY_IMPLICIT_DENY;
    v.cross_account = res.owner_account && strcmp(res.owner_account, who->account) != 0;
    if (doc) {
        nb_policy_request_t rr = {row->action, resource, ctx, who->principal_arn, who->account};
        v.resource = nb__policy_eval(doc, &rr, NULL);
        /* an account principal no longer names the caller; in a trust policy neither does "*"
         * (policy_eval.h): a role trusting everyone leaves the choice to identity policies */
        rr.principal_account = res.required ? "" : NULL;
        v.names_caller = v.resource == NB_POLICY_ALLOWED && !v.cross_account &&
                         nb__policy_eval(doc, &rr, NULL) == NB_POLICY_ALLOWED;
    }
    v.required = res.required != 0;
    json_decref(ctx);
    json_decref(res.tags);

    const char *reason = denial(req, &v, row->action);
    if (reason == NULL && decision && !contextual)
        nb__decision_keep_allowed(decision);
    return reason;
}

bool nb__authz_allows(nb_req_t *req, nb_plugin_t *p, const json_t *input) {
    nb__cred_view_t who;
    if (!evaluated_principal(req, &who))
        return true;
    const nb_authz_action_t *table = NB__DEF_HOOK(p->def, authz_actions);
    nb_authz_action_t fallback;
    const nb_authz_action_t *row = table ? action_row(req, table, &fallback) : NULL;
    if (row == NULL || row->action == NULL) /* not enforced, or nothing to authorize */
        return true;
    nb__template_var_t vars[7] = {
        {"partition", nb__partition_of(req->ctx.region)}, {"region", req->ctx.region}, {"account", req->ctx.account}};
    /* on the stack: an allowed request then takes nothing of the request's memory (the arena
     * would be created for it alone) */
    char arn[1024];
    const char *resource = NULL;
    if (row->resource_fn) {
        resource = row->resource_fn(req, input);
    } else if (row->resource) {
        long len = nb__template_expand_to(arn, sizeof arn, row->resource, input, vars, 3);
        resource = len < 0 ? NULL : len < (long)sizeof arn ? arn : expand_on_req(req, row->resource, input, vars, 3);
    }
    if (resource == NULL)
        resource = "*";
    const char *reason = decide(req, p, &who, row, resource, input);
    if (reason == NULL)
        return true;
    vars[3] = (nb__template_var_t){"principal", who.principal_arn};
    vars[4] = (nb__template_var_t){"action", row->action};
    vars[5] = (nb__template_var_t){"resource", resource};
    vars[6] = (nb__template_var_t){"reason", reason};
    deny(req, p, input, vars, 7);
    return false;
}

int nb__api_authz_check(nb_req_t *req, const char *action, const char *resource, const json_t *input) {
    nb__cred_view_t who;
    nb_plugin_t *p = req && req->svc ? req->svc->provider : NULL;
    if (p == NULL || action == NULL || !evaluated_principal(req, &who) || NB__DEF_HOOK(p->def, authz_actions) == NULL)
        return 1;
    const nb_authz_action_t row = {req->route.op ? req->route.op->name : "", action, NULL, NULL, NULL};
    return decide(req, p, &who, &row, resource ? resource : "*", input) == NULL;
}
