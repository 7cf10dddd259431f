/* The kinds of entities: names, ids, ARNs, AWS's messages, and what is particular to each
 * on creation and deletion. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "iam.h"

long iam_referenced(nb_req_t *req, const char *kind, const char *member, const char *value) {
    const char *kinds = nb_req_printf(req, "'%s'", kind);
    const char *where =
        nb_req_printf(req, "EXISTS(SELECT 1 FROM json_each(doc, '$.%s') WHERE json_each.value = ?1)", member);
    return kinds && where ? iam_count(req, kinds, where, value) : -1;
}

nb_step_t iam_boundary_set(nb_req_t *req, json_t *doc, const char *arn) {
    if (arn == NULL)
        return NB_GO_ON;
    json_t *policy = iam_policy_lookup(req, arn);
    if (policy == NULL) /* AWS names a boundary in this form rather than with the policy's usual message */
        return nb_stop(nb_error(req, "NoSuchEntity", "Scope ARN: %s does not exist or is not attachable.", arn));
    json_decref(policy);
    json_object_set_new(doc, "PermissionsBoundary",
                        json_pack("{s:s,s:s}", "PermissionsBoundaryType", "PermissionsBoundaryPolicy",
                                  "PermissionsBoundaryArn", arn));
    return NB_GO_ON;
}

nb_step_t iam_trust_set(nb_req_t *req, json_t *doc, const char *text) {
    NB_TRY_STEP(iam_policy_validate(req, text, IAM_DOC_TRUST, 2048, "Cannot exceed quota for ACLSizePerRole: 2048"));
    json_object_set_new(doc, "AssumeRolePolicyDocument", json_string(iam_url_encode(req, text)));
    return NB_GO_ON;
}

static nb_step_t role_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    (void)key;
    NB_TRY_STEP(iam_trust_set(req, doc, iam_str(in, "AssumeRolePolicyDocument")));
    if (json_object_get(in, "MaxSessionDuration") == NULL)
        json_object_set_new(doc, "MaxSessionDuration", json_integer(3600));
    json_object_set_new(doc, "RoleLastUsed", json_object());
    return iam_boundary_set(req, doc, iam_str(in, "PermissionsBoundary"));
}

static nb_step_t user_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    (void)key;
    return iam_boundary_set(req, doc, iam_str(in, "PermissionsBoundary"));
}

static nb_step_t profile_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    (void)req, (void)in, (void)key;
    json_object_set_new(doc, "_roles", json_array());
    return NB_GO_ON;
}

/* The user a credential is for must exist. */
static nb_step_t owner_exists(nb_req_t *req, const json_t *in) {
    json_t *user;
    NB_TRY_STEP(iam_find_named(req, &iam_user, iam_str(in, "UserName"), &user));
    json_decref(user);
    return NB_GO_ON;
}

static nb_step_t login_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    (void)key;
    NB_TRY_STEP(owner_exists(req, in));
    if (json_object_get(doc, "PasswordResetRequired") == NULL)
        json_object_set_new(doc, "PasswordResetRequired", json_false());
    return NB_GO_ON;
}

static nb_step_t signing_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    if (iam_str(in, "UserName") != NULL)
        NB_TRY_STEP(owner_exists(req, in));
    *key = iam_new_id(req, "", 24);
    json_object_set_new(doc, "CertificateId", json_string(*key));
    json_object_set_new(doc, "Status", json_string("Active"));
    return NB_GO_ON;
}

static nb_step_t ssh_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    NB_TRY_STEP(owner_exists(req, in));
    *key = iam_new_id(req, "APKA", 16);
    json_object_set_new(doc, "SSHPublicKeyId", json_string(*key));
    json_object_set_new(doc, "Status", json_string("Active"));
    /* the MD5 of the key as given, in the colon-separated form ssh-keygen -l -E md5 shows */
    const char *body = iam_str(in, "SSHPublicKeyBody");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(body, strlen(body), md, &n, EVP_md5(), NULL);
    char fp[3 * EVP_MAX_MD_SIZE + 1] = "";
    for (unsigned int i = 0; i < n; i++)
        sprintf(fp + 3 * i, i ? ":%02x" : "%02x:", md[i]);
    json_object_set_new(doc, "Fingerprint", json_string(fp));
    return NB_GO_ON;
}

/* GetServerCertificate answers the metadata as a member of its own: kept in step with the row. */
static void server_cert_refresh(json_t *doc) {
    if (json_object_get(doc, "Expiration") == NULL)
        json_object_set_new(doc, "Expiration", json_real(json_real_value(json_object_get(doc, "UploadDate")) +
                                                         365 * 86400.0));
    json_t *meta = json_object();
    const char *members[] = {"Path", "ServerCertificateName", "ServerCertificateId", "Arn", "UploadDate", "Expiration"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        json_object_set(meta, members[i], json_object_get(doc, members[i]));
    json_object_set_new(doc, "ServerCertificateMetadata", meta);
}

static nb_step_t oidc_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    const char *url = iam_str(in, "Url");
    const char *host = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    *key = nb_req_printf(req, "arn:%s:iam::%s:oidc-provider/%s", iam_partition(req), iam_account(req), host);
    json_object_set_new(doc, "OpenIDConnectProviderArn", json_string(*key));
    json_object_set_new(doc, "Arn", json_string(*key));
    json_object_set_new(doc, "Url", json_string(host));
    if (json_object_get(doc, "ClientIDList") == NULL)
        json_object_set_new(doc, "ClientIDList", json_array());
    if (json_object_get(doc, "ThumbprintList") == NULL)
        json_object_set_new(doc, "ThumbprintList", json_array());
    return NB_GO_ON;
}

static nb_step_t saml_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    *key = nb_req_printf(req, "arn:%s:iam::%s:saml-provider/%s", iam_partition(req), iam_account(req),
                         iam_str(in, "Name"));
    json_object_set_new(doc, "SAMLProviderArn", json_string(*key));
    json_object_set_new(doc, "Arn", json_string(*key));
    json_object_set_new(doc, "SAMLProviderUUID", json_string(iam_new_id(req, "", 32)));
    json_object_set_new(doc, "ValidUntil", json_real(nb_now() + 365 * 86400.0));
    return NB_GO_ON;
}

static nb_step_t mfa_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    const char *path = iam_str(in, "Path");
    *key = iam_arn(req, "mfa", path, iam_str(in, "VirtualMFADeviceName"));
    json_object_set_new(doc, "SerialNumber", json_string(*key));
    /* the secret an authenticator app is set up with (blob members are binary strings) */
    json_object_set_new(doc, "Base32StringSeed", json_string(iam_new_id(req, "", 64)));
    return NB_GO_ON;
}

static nb_step_t service_credential_prepare(nb_req_t *req, const json_t *in, json_t *doc, const char **key) {
    NB_TRY_STEP(owner_exists(req, in));
    *key = iam_new_id(req, "ACCA", 16);
    json_object_set_new(doc, "ServiceSpecificCredentialId", json_string(*key));
    json_object_set_new(doc, "ServiceUserName",
                        json_string(nb_req_printf(req, "%s-at-%s", iam_str(in, "UserName"), iam_account(req))));
    json_object_set_new(doc, "ServicePassword", json_string(iam_new_id(req, "", 44)));
    json_object_set_new(doc, "Status", json_string("Active"));
    return NB_GO_ON;
}

int iam_renamed(nb_req_t *req, const iam_kind_t *k, const char *old_name, const char *new_name) {
    if (k == &iam_user) /* its credentials name it; its login profile is keyed by it */
        return iam_exec(req,
                        "UPDATE entities SET doc = json_set(doc, '$.UserName', ?3),"
                        " name = CASE kind WHEN 'login-profile' THEN ?3 ELSE name END"
                        " WHERE account = ?1 AND region = '' AND kind IN ('access-key', 'login-profile', 'mfa',"
                        " 'ssh-public-key', 'signing-certificate', 'service-credential')"
                        " AND json_extract(doc, '$.UserName') = ?2",
                        old_name, new_name);
    if (k == &iam_group) /* its members name it */
        return iam_exec(req,
                        "UPDATE entities SET doc = json_set(doc, '$._groups', json((SELECT json_group_array("
                        "CASE value WHEN ?2 THEN ?3 ELSE value END) FROM json_each(doc, '$._groups'))))"
                        " WHERE account = ?1 AND region = '' AND kind = 'user'"
                        " AND EXISTS(SELECT 1 FROM json_each(doc, '$._groups') WHERE value = ?2)",
                        old_name, new_name);
    return 0;
}

static nb_step_t conflict(nb_req_t *req, const char *message) {
    return nb_stop(nb_error(req, "DeleteConflict", "%s", message));
}

/* Inline and attached policies keep a role, user or group from being deleted. */
static nb_step_t policies_conflict(nb_req_t *req, const json_t *doc) {
    if (json_object_size(json_object_get(doc, "_inline")) > 0)
        return conflict(req, "Cannot delete entity, must delete policies first.");
    if (json_array_size(json_object_get(doc, "_attached")) > 0)
        return conflict(req, "Cannot delete entity, must detach all policies first.");
    return NB_GO_ON;
}

static nb_step_t role_can_delete(nb_req_t *req, const json_t *doc, const char *key) {
    NB_TRY_STEP(policies_conflict(req, doc));
    if (iam_referenced(req, "instance-profile", "_roles", key) > 0)
        return conflict(req, "Cannot delete entity, must remove roles from instance profile first.");
    return NB_GO_ON;
}

static nb_step_t user_can_delete(nb_req_t *req, const json_t *doc, const char *key) {
    NB_TRY_STEP(policies_conflict(req, doc));
    if (json_array_size(json_object_get(doc, "_groups")) > 0)
        return conflict(req, "Cannot delete entity, must remove users from group first.");
    static const struct {
        const char *kind, *message;
    } owned[] = {
        {"access-key", "Cannot delete entity, must delete access keys first."},
        {"login-profile", "Cannot delete entity, must delete login profile first."},
        {"mfa", "Cannot delete entity, must delete MFA device first."},
        /* what AWS answers for the other objects a user holds */
        {"signing-certificate", "Cannot delete entity, must remove referenced objects first."},
        {"ssh-public-key", "Cannot delete entity, must remove referenced objects first."},
        {"service-credential", "Cannot delete entity, must remove referenced objects first."},
    };
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) {
        const char *kinds = nb_req_printf(req, "'%s'", owned[i].kind);
        if (iam_count(req, kinds, "json_extract(doc, '$.UserName') = ?1", key) > 0)
            return conflict(req, owned[i].message);
    }
    return NB_GO_ON;
}

static nb_step_t group_can_delete(nb_req_t *req, const json_t *doc, const char *key) {
    if (iam_referenced(req, "user", "_groups", key) > 0)
        return conflict(req, "Cannot delete entity, must remove users from group first.");
    return policies_conflict(req, doc);
}

static nb_step_t profile_can_delete(nb_req_t *req, const json_t *doc, const char *key) {
    (void)key;
    if (json_array_size(json_object_get(doc, "_roles")) > 0)
        return conflict(req, "Cannot delete entity, must remove roles from instance profile first.");
    return NB_GO_ON;
}

const iam_kind_t iam_role = {
    .kind = "role", .name_member = "RoleName", .id_member = "RoleId", .id_prefix = "AROA", .arn_type = "role",
    .out_member = "Role", .list_member = "Roles", .not_found = "The role with name %s cannot be found.",
    .exists = "Role with name %s already exists.", .inline_limit = 10240, .prepare = role_prepare,
    .can_delete = role_can_delete};
const iam_kind_t iam_user = {
    .kind = "user", .name_member = "UserName", .id_member = "UserId", .id_prefix = "AIDA", .arn_type = "user",
    .out_member = "User", .list_member = "Users", .not_found = "The user with name %s cannot be found.",
    .exists = "User with name %s already exists.", .inline_limit = 2048, .prepare = user_prepare,
    .can_delete = user_can_delete};
const iam_kind_t iam_group = {
    .kind = "group", .name_member = "GroupName", .id_member = "GroupId", .id_prefix = "AGPA", .arn_type = "group",
    .out_member = "Group", .list_member = "Groups", .not_found = "The group with name %s cannot be found.",
    .exists = "Group with name %s already exists.", .inline_limit = 5120, .can_delete = group_can_delete};
const iam_kind_t iam_policy = {
    .kind = "policy", .name_member = "PolicyName", .id_member = "PolicyId", .id_prefix = "ANPA",
    .arn_type = "policy", .out_member = "Policy", .list_member = "Policies",
    .not_found = "Policy %s does not exist or is not attachable.",
    .exists = "A policy called %s already exists. Duplicate names are not allowed.", .arn_member = "PolicyArn"};
const iam_kind_t iam_instance_profile = {
    .kind = "instance-profile", .name_member = "InstanceProfileName", .id_member = "InstanceProfileId",
    .id_prefix = "AIPA", .arn_type = "instance-profile", .out_member = "InstanceProfile",
    .list_member = "InstanceProfiles", .not_found = "Instance Profile %s cannot be found.",
    .exists = "Instance Profile %s already exists.", .prepare = profile_prepare, .can_delete = profile_can_delete};
const iam_kind_t iam_server_cert = {
    .kind = "server-certificate", .name_member = "ServerCertificateName", .id_member = "ServerCertificateId",
    .id_prefix = "ASCA", .out_member = "ServerCertificate", .list_member = "ServerCertificateMetadataList",
    .not_found = "The Server Certificate with name %s cannot be found.",
    .exists = "The Server Certificate with name %s already exists.", .date_member = "UploadDate",
    .arn_type = "server-certificate", .refresh = server_cert_refresh};
const iam_kind_t iam_signing_cert = {
    .kind = "signing-certificate", .name_member = "CertificateId", .out_member = "Certificate",
    .list_member = "Certificates", .not_found = "The Certificate with id %s cannot be found.",
    .exists = "The Certificate with id %s already exists.", .date_member = "UploadDate",
    .prepare = signing_prepare};
const iam_kind_t iam_ssh_key = {
    .kind = "ssh-public-key", .name_member = "SSHPublicKeyId", .out_member = "SSHPublicKey",
    .list_member = "SSHPublicKeys", .not_found = "The Public Key with id %s cannot be found.",
    .exists = "The Public Key with id %s already exists.", .date_member = "UploadDate", .prepare = ssh_prepare};
const iam_kind_t iam_oidc = {
    .kind = "oidc-provider", .arn_member = "OpenIDConnectProviderArn", .out_member = "",
    .list_member = "OpenIDConnectProviderList", .not_found = "OpenIDConnect Provider not found for arn %s",
    .exists = "Provider with url %s already exists.", .prepare = oidc_prepare};
const iam_kind_t iam_saml = {
    .kind = "saml-provider", .arn_member = "SAMLProviderArn", .out_member = "", .list_member = "SAMLProviderList",
    .not_found = "SAMLProvider %s does not exist.", .exists = "SAMLProvider %s already exists.",
    .prepare = saml_prepare};
const iam_kind_t iam_mfa = {
    .kind = "mfa", .arn_member = "SerialNumber", .out_member = "VirtualMFADevice",
    .list_member = "VirtualMFADevices", .not_found = "VirtualMFADevice with serial number %s doesn't exist.",
    .exists = "MFADevice entity at the same path and name already exists.", .prepare = mfa_prepare};
const iam_kind_t iam_access_key = {
    .kind = "access-key", .name_member = "AccessKeyId", .out_member = "AccessKey",
    .list_member = "AccessKeyMetadata", .not_found = "The Access Key with id %s cannot be found."};
const iam_kind_t iam_login_profile = {
    .kind = "login-profile", .name_member = "UserName", .out_member = "LoginProfile",
    .not_found = "Login Profile for User %s cannot be found.", .exists = "Login Profile for user %s already exists.",
    .prepare = login_prepare};
const iam_kind_t iam_service_credential = {
    .kind = "service-credential", .name_member = "ServiceSpecificCredentialId",
    .out_member = "ServiceSpecificCredential", .list_member = "ServiceSpecificCredentials",
    .not_found = "No such credential %s exists.", .exists = "Credential %s already exists.",
    .prepare = service_credential_prepare};
