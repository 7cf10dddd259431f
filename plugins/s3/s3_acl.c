/* Access control lists: canned ACLs (x-amz-acl), grant headers (x-amz-grant-*) and
 * AccessControlPolicy bodies, stored as the Grants list (bucket_config kind "acl", or the
 * object's attrs member "Grants") and answered by GetBucketAcl / GetObjectAcl. Nimbus keeps
 * them; it does not enforce them (it checks no permissions at all). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "s3_plugin.h"

#define GROUP_URI "http://acs.amazonaws.com/groups/"

static json_t *owner_grantee(const char *account) {
    json_t *g = s3_owner(account);
    json_object_set_new(g, "Type", json_string("CanonicalUser"));
    return g;
}

static json_t *grant(json_t *grantee, const char *permission) {
    return json_pack("{s:o,s:s}", "Grantee", grantee, "Permission", permission);
}

static json_t *group(const char *name) {
    char uri[128];
    snprintf(uri, sizeof uri, GROUP_URI "%s", name);
    return json_pack("{s:s,s:s}", "Type", "Group", "URI", uri);
}

json_t *s3_acl_default(const char *account) {
    return json_pack("[o]", grant(owner_grantee(account), "FULL_CONTROL"));
}

/* The grants of a canned ACL; NULL when the name is not one. The bucket owner and the
 * object owner are the same account here, so the bucket-owner-* ACLs add nothing. */
static json_t *canned(const char *acl, const char *account, bool bucket) {
    static const char *const names[] = {"private", "public-read", "public-read-write", "authenticated-read",
                                        "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control",
                                        "log-delivery-write"};
    bool known = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        known = known || strcmp(acl, names[i]) == 0;
    (void)bucket;
    if (!known)
        return NULL;
    json_t *g = s3_acl_default(account);
    if (strcmp(acl, "public-read") == 0 || strcmp(acl, "public-read-write") == 0)
        json_array_append_new(g, grant(group("global/AllUsers"), "READ"));
    if (strcmp(acl, "public-read-write") == 0)
        json_array_append_new(g, grant(group("global/AllUsers"), "WRITE"));
    if (strcmp(acl, "authenticated-read") == 0)
        json_array_append_new(g, grant(group("global/AuthenticatedUsers"), "READ"));
    if (strcmp(acl, "aws-exec-read") == 0)
        json_array_append_new(
            g, grant(json_pack("{s:s,s:s}", "Type", "CanonicalUser", "ID",
                               "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"),
                     "READ"));
    if (strcmp(acl, "log-delivery-write") == 0) {
        json_array_append_new(g, grant(group("s3/LogDelivery"), "WRITE"));
        json_array_append_new(g, grant(group("s3/LogDelivery"), "READ_ACP"));
    }
    return g;
}

/* One x-amz-grant-* value: `id="...", uri="...", emailAddress="..."` (comma separated).
 * Appends its grants; false when it does not parse. */
static bool parse_grant_header(const char *v, const char *permission, const char *account, json_t *grants) {
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *eq = strchr(p, '=');
        if (eq == NULL)
            return false;
        char type[16];
        size_t tl = (size_t)(eq - p);
        while (tl && p[tl - 1] == ' ')
            tl--;
        if (tl == 0 || tl >= sizeof type)
            return false;
        memcpy(type, p, tl);
        type[tl] = '\0';
        p = eq + 1;
        while (*p == ' ')
            p++;
        char value[512];
        size_t n = 0;
        if (*p == '"') {
            const char *end = strchr(++p, '"');
            if (end == NULL || (size_t)(end - p) >= sizeof value)
                return false;
            n = (size_t)(end - p);
            memcpy(value, p, n);
            p = end + 1;
        } else {
            while (*p && *p != ',' && n + 1 < sizeof value)
                value[n++] = *p++;
            while (n && value[n - 1] == ' ')
                n--;
        }
        value[n] = '\0';
        json_t *grantee;
        for (char *c = type; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (strcmp(type, "id") == 0) {
            grantee = json_pack("{s:s,s:s}", "Type", "CanonicalUser", "ID", value);
            json_t *owner = s3_owner(account);
            if (strcmp(value, nb_json_str(owner, "ID")) == 0)
                json_object_set(grantee, "DisplayName", json_object_get(owner, "DisplayName"));
            json_decref(owner);
        } else if (strcmp(type, "uri") == 0) {
            grantee = json_pack("{s:s,s:s}", "Type", "Group", "URI", value);
        } else if (strcmp(type, "emailaddress") == 0) {
            grantee = json_pack("{s:s,s:s}", "Type", "AmazonCustomerByEmail", "EmailAddress", value);
        } else {
            return false;
        }
        json_array_append_new(grants, grant(grantee, permission));
    }
    return true;
}

static const struct {
    const char *member, *permission;
    bool bucket_only;
} grant_members[] = {{"GrantFullControl", "FULL_CONTROL", false},
                     {"GrantRead", "READ", false},
                     {"GrantReadACP", "READ_ACP", false},
                     {"GrantWrite", "WRITE", true},
                     {"GrantWriteACP", "WRITE_ACP", false}};

static bool valid_permission(const char *p) {
    static const char *const ok[] = {"FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"};
    for (size_t i = 0; p && i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(p, ok[i]) == 0)
            return true;
    return false;
}

/* Whether the input names an ACL at all (ACL, Grant*, AccessControlPolicy): one pass over its few
 * members, where looking each of the seven up costs more than the rest of a small PutObject's
 * checks, and most writes name none. */
static bool names_acl(const json_t *in) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)in, key, v) {
        (void)v;
        if ((key[0] == 'G' && strncmp(key, "Grant", 5) == 0) || strcmp(key, "ACL") == 0 ||
            strcmp(key, "AccessControlPolicy") == 0)
            return true;
    }
    return false;
}

nb_step_t s3_acl_from_input(nb_req_t *req, const json_t *in, const char *account, bool bucket, json_t **out) {
    *out = NULL;
    if (!names_acl(in))
        return NB_GO_ON;
    const char *acl = nb_json_str(in, "ACL");
    json_t *grants = json_array();
    bool headers = false;
    for (size_t i = 0; i < sizeof grant_members / sizeof grant_members[0]; i++) {
        const char *v = nb_json_str(in, grant_members[i].member);
        if (v == NULL || (grant_members[i].bucket_only && !bucket))
            continue;
        headers = true;
        if (!parse_grant_header(v, grant_members[i].permission, account, grants)) {
            json_decref(grants);
            return req ? nb_stop(nb_error(req, "InvalidArgument", "Invalid Argument")) : nb_stop(NB_DONE);
        }
    }
    const json_t *policy = json_object_get(in, "AccessControlPolicy");
    if (acl && headers) {
        json_decref(grants);
        return req ? nb_stop(nb_error(req, "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed"))
                   : nb_stop(NB_DONE);
    }
    if (policy && (acl || headers)) {
        json_decref(grants);
        return req ? nb_stop(nb_error_code(req, "UnexpectedContent", 400, "This request does not support content"))
                   : nb_stop(NB_DONE);
    }
    if (acl) {
        json_decref(grants);
        if ((grants = canned(acl, account, bucket)) == NULL)
            return req == NULL ? nb_stop(NB_DONE)
                               : nb_stop(nb_error_fields(req, "InvalidArgument",
                                                         json_pack("{s:s,s:s}", "ArgumentName", "x-amz-acl",
                                                                   "ArgumentValue", acl),
                                                         "%s", ""));
        *out = grants;
        return NB_GO_ON;
    }
    if (policy) {
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(policy, "Grants"), i, g) {
            const json_t *grantee = json_object_get(g, "Grantee");
            const char *type = nb_json_str(grantee, "Type");
            const char *perm = nb_json_str(g, "Permission");
            bool ok = type && valid_permission(perm) &&
                      ((strcmp(type, "CanonicalUser") == 0 && nb_json_str(grantee, "ID")) ||
                       (strcmp(type, "Group") == 0 && nb_json_str(grantee, "URI")) ||
                       (strcmp(type, "AmazonCustomerByEmail") == 0 && nb_json_str(grantee, "EmailAddress")));
            if (!ok) {
                json_decref(grants);
                return req == NULL ? nb_stop(NB_DONE)
                                   : nb_stop(nb_error_code(req, "MalformedACLError", 400,
                                                           "The XML you provided was not well-formed or did not "
                                                           "validate against our published schema"));
            }
            json_array_append(grants, g);
        }
        *out = grants;
        return NB_GO_ON;
    }
    if (headers) {
        *out = grants;
        return NB_GO_ON;
    }
    json_decref(grants);
    return NB_GO_ON;
}

json_t *s3_acl_output(const char *account, const json_t *grants) {
    return json_pack("{s:o,s:o}", "Owner", s3_owner(account), "Grants",
                     grants ? json_deep_copy(grants) : s3_acl_default(account));
}

/* Sets attrs' Grants from an input already checked with s3_acl_from_input (the default
 * when it names no ACL: a new object, or a copy, starts private). */
void s3_attrs_set_acl(json_t *attrs, const json_t *in, const char *account) {
    json_t *grants = NULL;
    json_object_del(attrs, "Grants");
    if (!nb_stopped(s3_acl_from_input(NULL, in, account, false, &grants)) && grants)
        json_object_set_new(attrs, "Grants", grants);
}
