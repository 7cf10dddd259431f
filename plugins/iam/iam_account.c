/* What belongs to the account as a whole: its alias, password policy, summary, the
 * authorization details, the credential report, STS preferences, and the reports and
 * features IAM answers with empty data here (last accessed details, Organizations). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "iam.h"

/* Account-wide settings are rows of kind "account", named by what they hold. */
static json_t *setting(nb_req_t *req, const char *name) { return iam_load(req, "account", name); }

static nb_result_t save_setting(nb_req_t *req, const char *name, json_t *doc, nb_result_t ok) {
    int rc = iam_save(req, "account", name, doc);
    json_decref(doc);
    return rc ? NB_FAILED(rc) : ok;
}

static nb_result_t alias(nb_req_t *req, const json_t *in, const char *verb) {
    json_t *doc = setting(req, "alias");
    const char *have = doc ? iam_str(doc, "AccountAlias") : NULL, *want = iam_str(in, "AccountAlias");
    if (strcmp(verb, "list") == 0) {
        json_t *list = have ? json_pack("[s]", have) : json_array();
        json_decref(doc);
        return iam_reply_page(req, in, json_object(), "AccountAliases", list);
    }
    if (strcmp(verb, "create") == 0) { /* an account has one alias: a new one replaces it */
        json_decref(doc);
        return save_setting(req, "alias", json_pack("{s:s}", "AccountAlias", want), NB_DONE);
    }
    bool found = have && strcmp(have, want) == 0;
    json_decref(doc);
    if (!found)
        return nb_error(req, "NoSuchEntity", "The account alias %s cannot be found.", want);
    return iam_remove(req, "account", "alias") ? iam_store_failed(req) : NB_DONE;
}

static nb_result_t password_policy(nb_req_t *req, const json_t *in, const char *verb) {
    if (strcmp(verb, "update") == 0) {
        json_t *p = json_pack("{s:i,s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "MinimumPasswordLength", 6, "RequireSymbols", 0,
                              "RequireNumbers", 0, "RequireUppercaseCharacters", 0, "RequireLowercaseCharacters", 0,
                              "AllowUsersToChangePassword", 0, "ExpirePasswords", 0, "HardExpiry", 0);
        json_object_update(p, (json_t *)in);
        json_int_t max_age = json_integer_value(json_object_get(in, "MaxPasswordAge"));
        json_object_set_new(p, "ExpirePasswords", json_boolean(max_age > 0));
        return save_setting(req, "password-policy", p, NB_DONE);
    }
    json_t *p = setting(req, "password-policy");
    if (p == NULL)
        return nb_error(req, "NoSuchEntity", "The Password Policy with domain name %s cannot be found.",
                        iam_account(req));
    if (strcmp(verb, "delete") == 0) {
        json_decref(p);
        return iam_remove(req, "account", "password-policy") ? iam_store_failed(req) : NB_DONE;
    }
    return nb_reply_new(req, json_pack("{s:o}", "PasswordPolicy", p));
}

static long count(nb_req_t *req, const char *kinds) { return iam_count(req, kinds, "1", NULL); }

nb_result_t iam_op_account_summary(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)in, (void)op;
    json_t *prefs = setting(req, "sts-preferences");
    const char *token = prefs ? iam_str(prefs, "GlobalEndpointTokenVersion") : NULL;
    json_t *m = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,"
        "s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
        "Users", (json_int_t)count(req, "'user'"), "Groups", (json_int_t)count(req, "'group'"), "Roles",
        (json_int_t)count(req, "'role'"), "Policies", (json_int_t)count(req, "'policy'"), "InstanceProfiles",
        (json_int_t)count(req, "'instance-profile'"), "ServerCertificates",
        (json_int_t)count(req, "'server-certificate'"), "Providers",
        (json_int_t)count(req, "'oidc-provider','saml-provider'"), "MFADevices", (json_int_t)count(req, "'mfa'"),
        "MFADevicesInUse", (json_int_t)iam_count(req, "'mfa'", "json_extract(doc, '$.UserName') IS NOT NULL", NULL),
        "PolicyVersionsInUse", (json_int_t)count(req, "'policy'"), "AccountMFAEnabled", 0, "AccountAccessKeysPresent",
        iam_count(req, "'access-key'", "json_extract(doc, '$.UserName') IS NULL", NULL) > 0,
        "AccountPasswordPresent", 0, "AccountSigningCertificatesPresent", 0, "UsersQuota", 5000, "GroupsQuota", 300,
        "RolesQuota", 1000, "PoliciesQuota", 1500, "InstanceProfilesQuota", 1000, "ServerCertificatesQuota", 20,
        "UserPolicySizeQuota", 2048, "GroupPolicySizeQuota", 5120, "RolePolicySizeQuota", 10240,
        "PolicySizeQuota", 6144, "GroupsPerUserQuota", 10, "SigningCertificatesPerUserQuota", 2,
        "AccessKeysPerUserQuota", 2, "AttachedPoliciesPerGroupQuota", 10, "AttachedPoliciesPerRoleQuota", 10,
        "AttachedPoliciesPerUserQuota", 10, "VersionsPerPolicyQuota", 5, "PolicyVersionsInUseQuota", 10000,
        "AssumeRolePolicySizeQuota", 2048, "GlobalEndpointTokenVersion",
        token && strcmp(token, "v2Token") == 0 ? 2 : 1);
    json_decref(prefs);
    return nb_reply_new(req, json_pack("{s:o}", "SummaryMap", m));
}

/* name -> document pairs of "_inline" as PolicyDetail entries. */
static json_t *inline_details(nb_req_t *req, const json_t *row) {
    json_t *list = json_array();
    const char *name;
    json_t *doc;
    json_object_foreach(json_object_get(row, "_inline"), name, doc)
        json_array_append_new(list, json_pack("{s:s,s:s}", "PolicyName", name, "PolicyDocument",
                                              iam_url_encode(req, json_string_value(doc))));
    return list;
}

static bool wanted(const json_t *filter, const char *what) {
    if (json_array_size(filter) == 0)
        return true;
    size_t i;
    json_t *f;
    json_array_foreach(filter, i, f) {
        if (strcmp(json_string_value(f), what) == 0)
            return true;
    }
    return false;
}

nb_result_t iam_op_authorization_details(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    const json_t *filter = json_object_get(in, "Filter");
    json_t *out = json_pack("{s:[],s:[],s:[],s:[],s:b}", "UserDetailList", "GroupDetailList", "RoleDetailList",
                            "Policies", "IsTruncated", 0);
    size_t i;
    json_t *row;
    static const struct {
        const char *filter, *kind, *list, *inline_list;
    } holders[] = {
        {"User", "user", "UserDetailList", "UserPolicyList"},
        {"Group", "group", "GroupDetailList", "GroupPolicyList"},
        {"Role", "role", "RoleDetailList", "RolePolicyList"},
    };
    for (size_t h = 0; h < sizeof holders / sizeof *holders; h++) {
        if (!wanted(filter, holders[h].filter))
            continue;
        json_t *rows = iam_list(req, holders[h].kind, NULL, NULL);
        json_array_foreach(rows, i, row) {
            json_t *d = iam_public(row);
            json_object_set_new(d, holders[h].inline_list, inline_details(req, row));
            json_object_set_new(d, "AttachedManagedPolicies", iam_attached_list(row, NULL));
            if (strcmp(holders[h].kind, "user") == 0) {
                json_t *groups = json_object_get(row, "_groups");
                json_object_set_new(d, "GroupList", groups ? json_incref(groups) : json_array());
            } else if (strcmp(holders[h].kind, "role") == 0) {
                json_object_set_new(d, "InstanceProfileList", iam_profiles_of_role(req, iam_str(row, "RoleName")));
            }
            json_array_append_new(json_object_get(out, holders[h].list), d);
        }
        json_decref(rows);
    }
    json_object_set_new(out, "Policies", iam_policy_details(req, wanted(filter, "LocalManagedPolicy"),
                                                           wanted(filter, "AWSManagedPolicy")));
    return nb_reply_new(req, out);
}

/* The credential report: one CSV line per user (the root first), as IAM writes it. */
nb_result_t iam_op_credential_report(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)in;
    if (strcmp(op->arg, "get") == 0) {
        json_t *report = setting(req, "credential-report");
        if (report == NULL)
            return nb_error(req, "ReportNotPresent",
                            "Credential report not present. Use GenerateCredentialReport to generate a report.");
        json_object_set_new(report, "ReportFormat", json_string("text/csv"));
        return nb_reply_new(req, report);
    }
    static const char header[] =
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
        "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
        "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n";
    const char *csv = nb_req_printf(req, "%s<root_account>,arn:%s:iam::%s:root,not_supported,not_supported,N/A,"
                                         "not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,"
                                         "N/A,false,N/A,false,N/A\n",
                                    header, iam_partition(req), iam_account(req));
    json_t *users = iam_list(req, "user", NULL, NULL);
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        const char *name = iam_str(u, "UserName");
        json_t *login = iam_load(req, "login-profile", name);
        long keys = iam_count(req, "'access-key'", "json_extract(doc, '$.UserName') = ?1", name);
        char created[32];
        time_t t = (time_t)json_real_value(json_object_get(u, "CreateDate"));
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&t));
        csv = nb_req_printf(req, "%s%s,%s,%s,%s,N/A,N/A,N/A,false,%s,N/A,N/A,N/A,N/A,%s,N/A,N/A,N/A,N/A,false,N/A,"
                                 "false,N/A\n",
                            csv, name, iam_str(u, "Arn"), created, login ? "true" : "false",
                            keys > 0 ? "true" : "false", keys > 1 ? "true" : "false");
        json_decref(login);
    }
    json_decref(users);
    json_t *report = json_pack("{s:s,s:f}", "Content", csv, "GeneratedTime", nb_now());
    return save_setting(req, "credential-report", report,
                        nb_reply_new(req, json_pack("{s:s,s:s}", "State", "COMPLETE", "Description",
                                                    "No report exists. Starting a new report generation task")));
}

/* Last accessed details and Organizations access reports: a job that is complete at once, with
 * no access recorded (Nimbus keeps no access history). */
nb_result_t iam_op_last_accessed(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    double now = nb_now();
    if (strcmp(op->arg, "generate") == 0)
        return nb_reply_new(req, json_pack("{s:s}", "JobId", iam_new_id(req, "", 36)));
    if (strcmp(op->arg, "granting") == 0) {
        json_t *list = json_array();
        size_t i;
        json_t *ns;
        json_array_foreach(json_object_get(in, "ServiceNamespaces"), i, ns)
            json_array_append_new(list, json_pack("{s:O,s:[]}", "ServiceNamespace", ns, "Policies"));
        return nb_reply_new(req, json_pack("{s:o,s:b}", "PoliciesGrantingServiceAccess", list, "IsTruncated", 0));
    }
    return nb_reply_new(req, json_pack("{s:s,s:s,s:f,s:f,s:[],s:[],s:[],s:b,s:i,s:i}", "JobStatus", "COMPLETED",
                                       "JobType", "SERVICE_LEVEL", "JobCreationDate", now, "JobCompletionDate", now,
                                       "ServicesLastAccessed", "EntityDetailsList", "AccessDetails", "IsTruncated",
                                       0, "NumberOfServicesAccessible", 0, "NumberOfServicesNotAccessed", 0));
}

/* The delegation requests of IAM's 2025 API: kept as rows, their state moved by each verb. */
static nb_result_t delegation(nb_req_t *req, const json_t *in, const char *verb) {
    if (strcmp(verb, "create") == 0) {
        const char *id = iam_new_id(req, "", 24);
        json_t *row = json_deep_copy(in);
        json_object_set_new(row, "DelegationRequestId", json_string(id));
        json_object_set_new(row, "State", json_string("UNASSIGNED"));
        json_object_set_new(row, "CreateDate", json_real(nb_now()));
        json_object_set_new(row, "RequestorId", json_string(iam_account(req)));
        return save_setting(req, nb_req_printf(req, "delegation/%s", id), row,
                            nb_reply_new(req, json_pack("{s:s,s:s}", "DelegationRequestId", id, "ConsoleDeepLink",
                                                        nb_req_printf(req, "https://console.aws.amazon.com/iam/"
                                                                           "delegation/%s", id))));
    }
    if (strcmp(verb, "list") == 0) {
        json_t *rows = iam_list(req, "account", "name LIKE 'delegation/%'", NULL), *list = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) json_array_append(list, r);
        json_decref(rows);
        return iam_reply_page(req, in, json_object(), "DelegationRequests", list);
    }
    const char *id = iam_str(in, "DelegationRequestId"), *key = nb_req_printf(req, "delegation/%s", id);
    json_t *row = setting(req, key);
    if (row == NULL)
        return nb_error(req, "NoSuchEntity", "The delegation request with id %s cannot be found.", id);
    if (strcmp(verb, "get") == 0)
        return nb_reply_new(req, json_pack("{s:o,s:s}", "DelegationRequest", row, "PermissionCheckStatus", "COMPLETE"));
    static const struct {
        const char *verb, *state;
    } moves[] = {{"accept", "ACCEPTED"}, {"reject", "REJECTED"}, {"associate", "ASSIGNED"},
                 {"send", "FINALIZED"},  {"update", NULL}};
    for (size_t i = 0; i < sizeof moves / sizeof *moves; i++) {
        if (strcmp(verb, moves[i].verb) != 0)
            continue;
        if (moves[i].state)
            json_object_set_new(row, "State", json_string(moves[i].state));
        else
            json_object_update(row, (json_t *)in);
        json_object_set_new(row, "UpdatedTime", json_real(nb_now()));
        return save_setting(req, key, row, NB_DONE);
    }
    json_decref(row);
    return NB_NOT_IMPLEMENTED;
}

/* Organizations-wide root features and outbound web identity federation: an account outside
 * an organization, as a standalone Nimbus account is. */
static nb_result_t features(nb_req_t *req, const json_t *in, const char *verb) {
    (void)in;
    if (strcmp(verb, "list-org") == 0)
        return nb_reply_new(req, json_pack("{s:[]}", "EnabledFeatures"));
    if (strncmp(verb, "org", 3) == 0)
        return nb_error_code(req, "OrganizationNotFoundException", 400,
                             "The request failed because your account is not a member of an organization.");
    json_t *row = setting(req, "outbound-federation");
    bool on = row != NULL;
    json_decref(row);
    const char *issuer = nb_req_printf(req, "https://%s.tokens.sts.global.api.aws", iam_new_id(req, "", 32));
    if (strcmp(verb, "fed-enable") == 0) {
        if (on)
            return nb_error(req, "FeatureEnabled", "Outbound web identity federation is already enabled.");
        return save_setting(req, "outbound-federation", json_pack("{s:s}", "IssuerIdentifier", issuer),
                            nb_reply_new(req, json_pack("{s:s}", "IssuerIdentifier", issuer)));
    }
    if (!on)
        return nb_error(req, "FeatureDisabled", "Outbound web identity federation is disabled.");
    if (strcmp(verb, "fed-disable") == 0)
        return iam_remove(req, "account", "outbound-federation") ? iam_store_failed(req) : NB_DONE;
    row = setting(req, "outbound-federation");
    json_object_set_new(row, "JwtVendingEnabled", json_true());
    return nb_reply_new(req, row);
}

/* The account operations without an entity: op->arg is "<what> <verb>". */
nb_result_t iam_op_account(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    const char *verb = strchr(op->arg, ' ') + 1;
    if (strncmp(op->arg, "alias ", 6) == 0)
        return alias(req, in, verb);
    if (strncmp(op->arg, "password ", 9) == 0)
        return password_policy(req, in, verb);
    if (strncmp(op->arg, "delegation ", 11) == 0)
        return delegation(req, in, verb);
    if (strncmp(op->arg, "feature ", 8) == 0)
        return features(req, in, verb);
    if (strcmp(op->arg, "sts prefs") == 0)
        return save_setting(req, "sts-preferences", json_deep_copy(in), NB_DONE);
    if (strcmp(op->arg, "summary readable") == 0)
        return nb_error(req, "NoSuchEntity", "The entity %s cannot be found.", iam_str(in, "EntityArn"));
    return NB_NOT_IMPLEMENTED;
}
