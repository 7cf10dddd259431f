/* AWS's evaluation of one policy, identity or resource; see policy_eval.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authz/policy_eval.h"

bool nb__policy_wildcard(const char *p, const char *t, bool nocase) {
    const char *star = NULL, *resume = NULL;
    while (*t) {
        char pc = nocase ? (char)tolower((unsigned char)*p) : *p, tc = nocase ? (char)tolower((unsigned char)*t) : *t;
        if (*p == '*') {
            star = p++;
            resume = t;
        } else if (*p && (*p == '?' || pc == tc)) {
            p++;
            t++;
        } else if (star) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool nb__policy_any(const json_t *values, bool (*match)(const char *value, const void *ctx), const void *ctx) {
    if (json_is_string(values))
        return match(json_string_value(values), ctx);
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        if (json_is_string(v) && match(json_string_value(v), ctx))
            return true;
    }
    return false;
}

typedef struct action_match {
    const char *text;
    bool nocase;
} action_match_t;

static bool pattern_matches(const char *pattern, const void *ctx) {
    const action_match_t *m = ctx;
    return nb__policy_wildcard(pattern, m->text, m->nocase);
}

/* Whether a string or list of patterns matches text. */
static bool any_match(const json_t *patterns, const char *text, bool nocase) {
    action_match_t m = {text, nocase};
    return nb__policy_any(patterns, pattern_matches, &m);
}

bool nb__policy_key(char *dst, size_t size, const char *key) {
    size_t n = key ? strlen(key) : size;
    if (n >= size)
        return false;
    for (size_t i = 0; i <= n; i++)
        dst[i] = (char)tolower((unsigned char)key[i]);
    return true;
}

/* ---------------------------------------------------------------- conditions */

static bool ipv4_in(const char *cidr, const char *ip) {
    char net[64];
    snprintf(net, sizeof net, "%s", cidr);
    char *slash = strchr(net, '/');
    int bits = slash ? atoi(slash + 1) : 32;
    if (slash)
        *slash = '\0';
    struct in_addr a, b;
    if (inet_pton(AF_INET, net, &a) != 1 || inet_pton(AF_INET, ip, &b) != 1 || bits < 0 || bits > 32)
        return false;
    uint32_t mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));
    return (a.s_addr & mask) == (b.s_addr & mask);
}

static double date_value(const char *s) {
    struct tm tm = {0};
    char *end = NULL;
    double v = strtod(s, &end);
    if (end && *end == '\0') /* epoch seconds */
        return v;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) < 3)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

/* One value against one condition value, for the operator's base name (no IfExists/set prefix). */
static bool op_match(const char *op, const char *want, const char *have) {
    if (strcmp(op, "StringEquals") == 0 || strcmp(op, "ArnEquals") == 0)
        return strcmp(want, have) == 0;
    if (strcmp(op, "StringEqualsIgnoreCase") == 0)
        return strcasecmp(want, have) == 0;
    if (strcmp(op, "StringLike") == 0 || strcmp(op, "ArnLike") == 0)
        return nb__policy_wildcard(want, have, false);
    if (strcmp(op, "Bool") == 0)
        return strcasecmp(want, have) == 0;
    if (strncmp(op, "Numeric", 7) == 0 || strncmp(op, "Date", 4) == 0) {
        bool date = op[0] == 'D';
        double w = date ? date_value(want) : atof(want), h = date ? date_value(have) : atof(have);
        const char *rel = op + (date ? 4 : 7);
        if (strcmp(rel, "Equals") == 0)
            return h == w;
        if (strcmp(rel, "LessThan") == 0)
            return h < w;
        if (strcmp(rel, "LessThanEquals") == 0)
            return h <= w;
        if (strcmp(rel, "GreaterThan") == 0)
            return h > w;
        if (strcmp(rel, "GreaterThanEquals") == 0)
            return h >= w;
        return false;
    }
    if (strcmp(op, "IpAddress") == 0)
        return ipv4_in(want, have);
    return false;
}

/* The positive form of a negated operator ("StringNotLike" -> "StringLike"), or NULL. */
static const char *positive(const char *op, char *buf, size_t len) {
    static const char *const negated[][2] = {
        {"StringNotEquals", "StringEquals"}, {"StringNotEqualsIgnoreCase", "StringEqualsIgnoreCase"},
        {"StringNotLike", "StringLike"},     {"ArnNotEquals", "ArnEquals"},
        {"ArnNotLike", "ArnLike"},           {"NumericNotEquals", "NumericEquals"},
        {"DateNotEquals", "DateEquals"},     {"NotIpAddress", "IpAddress"},
    };
    for (size_t i = 0; i < sizeof negated / sizeof *negated; i++) {
        if (strcmp(op, negated[i][0]) == 0) {
            snprintf(buf, len, "%s", negated[i][1]);
            return buf;
        }
    }
    return NULL;
}

/* One condition value (a string, boolean or number) against the request's value. */
static bool one_value_matches(const char *op, const json_t *w, const char *have) {
    char num[64];
    const char *ws = json_string_value(w);
    if (json_is_boolean(w))
        ws = json_is_true(w) ? "true" : "false";
    else if (json_is_number(w))
        snprintf(num, sizeof num, "%.17g", json_number_value(w)), ws = num;
    return ws && op_match(op, ws, have);
}

/* A condition's value or list of values against the request's value: any may match. Runs on
 * every evaluated request: no allocation. */
static bool value_matches(const char *op, const json_t *wants, const char *have) {
    if (!json_is_array(wants))
        return one_value_matches(op, wants, have);
    size_t i;
    json_t *w;
    json_array_foreach(wants, i, w) {
        if (one_value_matches(op, w, have))
            return true;
    }
    return false;
}

static bool condition_holds(const char *full_op, const char *key, const json_t *wants, const json_t *context) {
    char lower[256], opbuf[64], posbuf[64];
    if (!nb__policy_key(lower, sizeof lower, key))
        return false;
    const json_t *have = json_object_get(context, lower);
    bool any = strncmp(full_op, "ForAnyValue:", 12) == 0, all = strncmp(full_op, "ForAllValues:", 13) == 0;
    snprintf(opbuf, sizeof opbuf, "%s", full_op + (any ? 12 : all ? 13 : 0));
    size_t len = strlen(opbuf);
    bool if_exists = len > 8 && strcmp(opbuf + len - 8, "IfExists") == 0;
    if (if_exists)
        opbuf[len - 8] = '\0';
    if (strcmp(opbuf, "Null") == 0) {
        bool absent = have == NULL || json_array_size(have) == 0;
        return value_matches("Bool", wants, absent ? "true" : "false");
    }
    if (have == NULL || json_array_size(have) == 0)
        return if_exists || all; /* ForAllValues holds over no values */
    const char *pos = positive(opbuf, posbuf, sizeof posbuf);
    size_t i, hits = 0;
    json_t *h;
    json_array_foreach(have, i, h) {
        const char *hs = json_string_value(h);
        bool m = hs && value_matches(pos ? pos : opbuf, wants, hs);
        hits += pos ? !m : m;
    }
    if (all)
        return hits == json_array_size(have);
    return hits > 0;
}

static bool conditions_hold(const json_t *cond, const json_t *context) {
    const char *op, *key;
    json_t *keys, *wants;
    json_object_foreach((json_t *)cond, op, keys) {
        json_object_foreach(keys, key, wants) {
            if (!condition_holds(op, key, wants, context))
                return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- statements */

/* A pattern with its policy variables (${aws:username}, ${*}, ...) replaced from the context;
 * a variable with no value leaves the pattern unmatchable, as AWS does. NULL: it did not fit. */
static const char *expand(const char *pattern, const json_t *context, char *buf, size_t cap) {
    if (strstr(pattern, "${") == NULL)
        return pattern;
    size_t n = 0;
    for (const char *p = pattern; *p;) {
        const char *v = NULL;
        size_t vlen = 0;
        if (p[0] == '$' && p[1] == '{' && strchr(p, '}')) {
            const char *end = strchr(p, '}');
            char key[128];
            size_t klen = (size_t)(end - p - 2);
            if (klen >= sizeof key)
                return NULL;
            memcpy(key, p + 2, klen);
            key[klen] = '\0';
            static const char *const literal[][2] = {{"*", "*"}, {"?", "?"}, {"$", "$"}};
            for (size_t i = 0; i < sizeof literal / sizeof *literal; i++)
                if (strcmp(key, literal[i][0]) == 0)
                    v = literal[i][1];
            char lower[128];
            if (v == NULL && nb__policy_key(lower, sizeof lower, key))
                v = json_string_value(json_array_get(json_object_get(context, lower), 0));
            if (v == NULL)
                return NULL;
            vlen = strlen(v);
            p = end + 1;
        } else {
            v = p++;
            vlen = 1;
        }
        if (n + vlen >= cap)
            return NULL;
        memcpy(buf + n, v, vlen);
        n += vlen;
    }
    buf[n] = '\0';
    return buf;
}

typedef struct resource_ask {
    const char *resource;
    const json_t *context;
} resource_ask_t;

static bool resource_matches(const char *pattern, const void *ctx) {
    const resource_ask_t *a = ctx;
    char buf[1024];
    const char *x = expand(pattern, a->context, buf, sizeof buf);
    return x && nb__policy_wildcard(x, a->resource, false);
}

/* Whether a Resource / NotResource value (a string or a list) matches the resource. */
static bool resource_match(const json_t *patterns, const char *resource, const json_t *context) {
    resource_ask_t a = {resource, context};
    return nb__policy_any(patterns, resource_matches, &a);
}

static bool statement_applies(const json_t *s, const nb_policy_request_t *r) {
    const json_t *a = json_object_get(s, "Action"), *na = json_object_get(s, "NotAction");
    if (a ? !any_match(a, r->action, true) : !(na && !any_match(na, r->action, true)))
        return false;
    const json_t *res = json_object_get(s, "Resource"), *nres = json_object_get(s, "NotResource");
    const char *resource = r->resource ? r->resource : "*";
    if (res ? !resource_match(res, resource, r->context) : nres ? resource_match(nres, resource, r->context) : false)
        return false;
    if (r->principal_arn) {
        const json_t *pr = json_object_get(s, "Principal"), *npr = json_object_get(s, "NotPrincipal");
        if (pr ? !nb__principal_match(pr, r->principal_arn, r->principal_account)
               : !(npr && !nb__principal_match(npr, r->principal_arn, r->principal_account)))
            return false;
    }
    const json_t *cond = json_object_get(s, "Condition");
    return cond == NULL || conditions_hold(cond, r->context);
}

nb_policy_decision_t nb__policy_eval(const json_t *policy, const nb_policy_request_t *r, json_t *matched) {
    const json_t *stmts = json_object_get(policy, "Statement");
    json_t *list = json_is_array(stmts) ? json_incref((json_t *)stmts) : json_pack("[O]", stmts);
    nb_policy_decision_t d = NB_POLICY_IMPLICIT_DENY;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        if (!json_is_object(s) || !statement_applies(s, r))
            continue;
        if (matched)
            json_array_append_new(matched, json_integer((json_int_t)i));
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        if (effect && strcmp(effect, "Deny") == 0)
            d = NB_POLICY_EXPLICIT_DENY;
        else if (d == NB_POLICY_IMPLICIT_DENY)
            d = NB_POLICY_ALLOWED;
    }
    json_decref(list);
    return d;
}

static bool has_variable(const char *value, const void *ctx) {
    (void)ctx;
    return strstr(value, "${") != NULL;
}

bool nb__policy_uses_context(const json_t *policy) {
    const json_t *stmts = json_object_get(policy, "Statement");
    const json_t *one = json_is_object(stmts) ? stmts : NULL;
    size_t n = one ? 1 : json_array_size(stmts);
    for (size_t i = 0; i < n; i++) {
        const json_t *s = one ? one : json_array_get(stmts, i);
        if (json_object_get(s, "Condition") || nb__policy_any(json_object_get(s, "Resource"), has_variable, NULL) ||
            nb__policy_any(json_object_get(s, "NotResource"), has_variable, NULL))
            return true;
    }
    return false;
}

void nb__policy_condition_keys(const json_t *policy, json_t *keys) {
    const json_t *stmts = json_object_get(policy, "Statement");
    json_t *list = json_is_array(stmts) ? json_incref((json_t *)stmts) : json_pack("[O]", stmts);
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *op, *key;
        json_t *ks, *v;
        json_object_foreach(json_object_get(s, "Condition"), op, ks) {
            json_object_foreach(ks, key, v) {
                char lower[256];
                if (!nb__policy_key(lower, sizeof lower, key))
                    continue;
                size_t j;
                json_t *k;
                bool have = false;
                json_array_foreach(keys, j, k) have |= strcmp(json_string_value(k), lower) == 0;
                if (!have)
                    json_array_append_new(keys, json_string(lower));
            }
        }
    }
    json_decref(list);
}
