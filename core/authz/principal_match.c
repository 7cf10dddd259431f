/* Principal / NotPrincipal of a resource policy's statement against the caller (policy_eval.h). */
#include <stdio.h>
#include <string.h>

#include "authz/policy_eval.h"

/* "arn:PARTITION:SERVICE:...": the part after the fourth colon of an IAM/STS ARN, and the
 * account (the fifth field) into account; NULL if it is no such ARN. */
static const char *arn_resource(const char *arn, char account[16]) {
    const char *p = arn;
    for (int i = 0; i < 4 && p; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    const char *colon = p ? strchr(p, ':') : NULL;
    if (strncmp(arn, "arn:", 4) != 0 || colon == NULL || colon - p >= 16)
        return NULL;
    snprintf(account, 16, "%.*s", (int)(colon - p), p);
    return colon + 1;
}

static bool is_account_id(const char *s) {
    size_t n = strspn(s, "0123456789");
    return n == 12 && s[n] == '\0';
}

/* One AWS principal value against the caller. */
static bool aws_principal(const char *want, const char *arn, const char *account) {
    if (strcmp(want, "*") == 0)
        return account == NULL || *account != '\0';
    if (is_account_id(want))
        return account && strcmp(want, account) == 0;
    char want_acct[16], have_acct[16];
    const char *want_res = arn_resource(want, want_acct), *have_res = arn_resource(arn, have_acct);
    if (want_res == NULL || have_res == NULL)
        return strcmp(want, arn) == 0;
    if (strcmp(want_res, "root") == 0)
        return account && strcmp(want_acct, account) == 0;
    if (strcmp(want, arn) == 0)
        return true;
    /* a role names its sessions: role/PATH/NAME -> assumed-role/NAME/SESSION of the same account */
    if (strncmp(want_res, "role/", 5) != 0 || strcmp(want_acct, have_acct) != 0 ||
        strncmp(have_res, "assumed-role/", 13) != 0)
        return false;
    const char *name = strrchr(want_res, '/') + 1, *session_of = have_res + 13;
    size_t n = strlen(name);
    return strncmp(session_of, name, n) == 0 && session_of[n] == '/';
}

typedef struct caller {
    const char *arn, *account;
} caller_t;

static bool names_caller(const char *want, const void *ctx) {
    const caller_t *c = ctx;
    return aws_principal(want, c->arn, c->account);
}

bool nb__principal_match(const json_t *principal, const char *arn, const char *account) {
    if (json_is_string(principal))
        return strcmp(json_string_value(principal), "*") == 0 && (account == NULL || *account != '\0');
    const char *kind;
    json_t *values;
    /* AWS names callers by ARN; Service, Federated and CanonicalUser principals by their own
     * names, compared as they are (a request signed by a service names it as its principal) */
    json_object_foreach((json_t *)principal, kind, values) {
        caller_t c = {arn, strcmp(kind, "AWS") == 0 ? account : NULL};
        if (nb__policy_any(values, names_caller, &c))
            return true;
    }
    return false;
}
