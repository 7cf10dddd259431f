/* Policy documents checked as IAM checks them, with its MalformedPolicyDocument messages. */
#include <ctype.h>
#include <string.h>

#include "iam.h"

static nb_step_t malformed(nb_req_t *req, const char *message) {
    return nb_stop(nb_error(req, "MalformedPolicyDocument", "%s", message));
}

static bool one_of(const char *key, const char *const *names) {
    for (; *names; names++)
        if (strcmp(key, *names) == 0)
            return true;
    return false;
}

/* A string or a non-empty list of strings. */
static bool strings(const json_t *v) {
    if (json_is_string(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static bool action_prefixed(const char *a) { return strcmp(a, "*") == 0 || (strchr(a, ':') && a[0] != ':'); }

static bool actions_prefixed(const json_t *v) {
    if (json_is_string(v))
        return action_prefixed(json_string_value(v));
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!action_prefixed(json_string_value(e)))
            return false;
    }
    return true;
}

/* IAM's quotas count the document without its white space. */
static size_t significant_length(const char *text) {
    size_t n = 0;
    for (; *text; text++)
        n += !isspace((unsigned char)*text);
    return n;
}

nb_step_t iam_policy_validate(nb_req_t *req, const char *text, enum iam_doc_kind kind, int limit,
                              const char *limit_message) {
    static const char *const top[] = {"Version", "Id", "Statement", NULL};
    static const char *const members[] = {"Sid",      "Effect",      "Principal", "NotPrincipal", "Action",
                                          "NotAction", "Resource", "NotResource", "Condition",    NULL};
    if (text == NULL)
        return malformed(req, "Syntax errors in policy.");
    if (limit > 0 && significant_length(text) > (size_t)limit)
        return nb_stop(nb_error(req, "LimitExceeded", "%s", limit_message));
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    nb_step_t st = NB_GO_ON;
    const json_t *version = json_object_get(doc, "Version");
    const json_t *stmts = json_object_get(doc, "Statement");
    const char *key;
    json_t *v;
    if (!json_is_object(doc) || stmts == NULL || (!json_is_object(stmts) && !json_is_array(stmts)) ||
        (version != NULL && !json_is_string(version))) {
        st = malformed(req, "Syntax errors in policy.");
        goto done;
    }
    json_object_foreach(doc, key, v) {
        if (!one_of(key, top)) {
            st = malformed(req, "Syntax errors in policy.");
            goto done;
        }
    }
    const char *ver = json_string_value(version);
    if (ver != NULL && strcmp(ver, "2012-10-17") != 0 && strcmp(ver, "2008-10-17") != 0) {
        st = malformed(req, "Syntax errors in policy.");
        goto done;
    }
    json_t *list = json_is_array(stmts) ? json_incref((json_t *)stmts) : json_pack("[O]", stmts);
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *effect = iam_str(s, "Effect");
        bool ok = json_is_object(s) && effect && (strcmp(effect, "Allow") == 0 || strcmp(effect, "Deny") == 0);
        if (ok) {
            json_object_foreach(s, key, v) {
                if (!one_of(key, members) || ((strstr(key, "Action") || strstr(key, "Resource")) && !strings(v)) ||
                    (strcmp(key, "Condition") == 0 && !json_is_object(v)))
                    ok = false;
            }
        }
        const char *sid = iam_str(s, "Sid");
        for (size_t j = 0; ok && sid && j < i; j++) {
            const char *other = iam_str(json_array_get(list, j), "Sid");
            if (other && strcmp(other, sid) == 0) {
                st = malformed(req, "Statement IDs (SID) in a single policy must be unique.");
                break;
            }
        }
        if (!ok)
            st = malformed(req, "Syntax errors in policy.");
        else if (nb_stopped(st))
            ;
        else if (kind == IAM_DOC_IDENTITY && (ver == NULL || strcmp(ver, "2012-10-17") != 0))
            st = malformed(req, "Policy document must be version 2012-10-17 or greater.");
        else if (!json_object_get(s, "Action") && !json_object_get(s, "NotAction"))
            st = malformed(req, "Policy statement must contain actions.");
        else if (!actions_prefixed(json_object_get(s, "Action") ? json_object_get(s, "Action")
                                                                : json_object_get(s, "NotAction")))
            st = malformed(req, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        else if (kind == IAM_DOC_IDENTITY && !json_object_get(s, "Resource") && !json_object_get(s, "NotResource"))
            st = malformed(req, "Policy statement must contain resources.");
        else if (kind == IAM_DOC_IDENTITY && (json_object_get(s, "Principal") || json_object_get(s, "NotPrincipal")))
            st = malformed(req, "Policy document should not specify a principal.");
        else if (kind == IAM_DOC_TRUST && (json_object_get(s, "Resource") || json_object_get(s, "NotResource")))
            st = malformed(req, "Has prohibited field Resource.");
        else if (kind == IAM_DOC_TRUST && !json_object_get(s, "Principal") && !json_object_get(s, "NotPrincipal"))
            st = malformed(req, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The "
                                "passed in policy has a statement with no principals!");
        if (nb_stopped(st))
            break;
    }
    json_decref(list);
done:
    json_decref(doc);
    return st;
}
