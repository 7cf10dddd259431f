/* The IAM plugin: its descriptor, and the table that maps each of IAM's operations to a
 * handler and the kind of entity it works on (one handler serves every alike resource). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"

#define R &iam_role
#define U &iam_user
#define G &iam_group
#define P &iam_policy
#define IP &iam_instance_profile

static const iam_op_t iam_table[] = {
    /* roles */
    {"CreateRole", iam_op_create, R, NULL, NULL, NULL},
    {"GetRole", iam_op_get, R, NULL, NULL, NULL},
    {"DeleteRole", iam_op_delete, R, NULL, NULL, NULL},
    {"ListRoles", iam_op_list, R, NULL, NULL, NULL},
    {"UpdateRole", iam_op_update, R, NULL, NULL, NULL},
    {"UpdateRoleDescription", iam_op_update, R, NULL, "Role", NULL},
    {"UpdateAssumeRolePolicy", iam_op_update_assume_role_policy, R, NULL, NULL, NULL},
    {"TagRole", iam_op_tag, R, NULL, NULL, NULL},
    {"UntagRole", iam_op_untag, R, NULL, NULL, NULL},
    {"ListRoleTags", iam_op_list_tags, R, NULL, NULL, NULL},
    {"PutRolePolicy", iam_op_put_inline, R, NULL, NULL, NULL},
    {"GetRolePolicy", iam_op_get_inline, R, NULL, NULL, NULL},
    {"DeleteRolePolicy", iam_op_delete_inline, R, NULL, NULL, NULL},
    {"ListRolePolicies", iam_op_list_inline, R, NULL, NULL, NULL},
    {"AttachRolePolicy", iam_op_attach, R, NULL, NULL, NULL},
    {"DetachRolePolicy", iam_op_detach, R, NULL, NULL, NULL},
    {"ListAttachedRolePolicies", iam_op_list_attached, R, NULL, NULL, NULL},
    {"PutRolePermissionsBoundary", iam_op_put_boundary, R, NULL, NULL, NULL},
    {"DeleteRolePermissionsBoundary", iam_op_delete_boundary, R, NULL, NULL, NULL},
    {"CreateServiceLinkedRole", iam_op_create_service_linked_role, R, NULL, NULL, NULL},
    {"DeleteServiceLinkedRole", iam_op_delete_service_linked_role, R, NULL, NULL, NULL},
    {"GetServiceLinkedRoleDeletionStatus", iam_op_service_linked_role_status, R, NULL, NULL, NULL},
    /* users */
    {"CreateUser", iam_op_create, U, NULL, NULL, NULL},
    {"GetUser", iam_op_get, U, NULL, NULL, NULL},
    {"DeleteUser", iam_op_delete, U, NULL, NULL, NULL},
    {"ListUsers", iam_op_list, U, NULL, NULL, NULL},
    {"UpdateUser", iam_op_update, U, NULL, NULL, NULL},
    {"TagUser", iam_op_tag, U, NULL, NULL, NULL},
    {"UntagUser", iam_op_untag, U, NULL, NULL, NULL},
    {"ListUserTags", iam_op_list_tags, U, NULL, NULL, NULL},
    {"PutUserPolicy", iam_op_put_inline, U, NULL, NULL, NULL},
    {"GetUserPolicy", iam_op_get_inline, U, NULL, NULL, NULL},
    {"DeleteUserPolicy", iam_op_delete_inline, U, NULL, NULL, NULL},
    {"ListUserPolicies", iam_op_list_inline, U, NULL, NULL, NULL},
    {"AttachUserPolicy", iam_op_attach, U, NULL, NULL, NULL},
    {"DetachUserPolicy", iam_op_detach, U, NULL, NULL, NULL},
    {"ListAttachedUserPolicies", iam_op_list_attached, U, NULL, NULL, NULL},
    {"PutUserPermissionsBoundary", iam_op_put_boundary, U, NULL, NULL, NULL},
    {"DeleteUserPermissionsBoundary", iam_op_delete_boundary, U, NULL, NULL, NULL},
    {"ListGroupsForUser", iam_op_list_groups_for_user, U, NULL, NULL, NULL},
    /* groups */
    {"CreateGroup", iam_op_create, G, NULL, NULL, NULL},
    {"GetGroup", iam_op_get_group, G, NULL, NULL, NULL},
    {"DeleteGroup", iam_op_delete, G, NULL, NULL, NULL},
    {"ListGroups", iam_op_list, G, NULL, NULL, NULL},
    {"UpdateGroup", iam_op_update, G, NULL, NULL, NULL},
    {"PutGroupPolicy", iam_op_put_inline, G, NULL, NULL, NULL},
    {"GetGroupPolicy", iam_op_get_inline, G, NULL, NULL, NULL},
    {"DeleteGroupPolicy", iam_op_delete_inline, G, NULL, NULL, NULL},
    {"ListGroupPolicies", iam_op_list_inline, G, NULL, NULL, NULL},
    {"AttachGroupPolicy", iam_op_attach, G, NULL, NULL, NULL},
    {"DetachGroupPolicy", iam_op_detach, G, NULL, NULL, NULL},
    {"ListAttachedGroupPolicies", iam_op_list_attached, G, NULL, NULL, NULL},
    {"AddUserToGroup", iam_op_add_user_to_group, G, NULL, NULL, NULL},
    {"RemoveUserFromGroup", iam_op_remove_user_from_group, G, NULL, NULL, NULL},
    /* managed policies */
    {"CreatePolicy", iam_op_create_policy, P, NULL, NULL, NULL},
    {"GetPolicy", iam_op_get_policy, P, NULL, NULL, NULL},
    {"DeletePolicy", iam_op_delete_policy, P, NULL, NULL, NULL},
    {"ListPolicies", iam_op_list_policies, P, NULL, NULL, NULL},
    {"CreatePolicyVersion", iam_op_create_policy_version, P, NULL, NULL, NULL},
    {"GetPolicyVersion", iam_op_get_policy_version, P, NULL, NULL, NULL},
    {"DeletePolicyVersion", iam_op_delete_policy_version, P, NULL, NULL, NULL},
    {"ListPolicyVersions", iam_op_list_policy_versions, P, NULL, NULL, NULL},
    {"SetDefaultPolicyVersion", iam_op_set_default_policy_version, P, NULL, NULL, NULL},
    {"TagPolicy", iam_op_tag, P, NULL, NULL, NULL},
    {"UntagPolicy", iam_op_untag, P, NULL, NULL, NULL},
    {"ListPolicyTags", iam_op_list_tags, P, NULL, NULL, NULL},
    {"ListEntitiesForPolicy", iam_op_list_entities_for_policy, P, NULL, NULL, NULL},
    /* instance profiles */
    {"CreateInstanceProfile", iam_op_create, IP, NULL, NULL, NULL},
    {"GetInstanceProfile", iam_op_get, IP, NULL, NULL, NULL},
    {"DeleteInstanceProfile", iam_op_delete, IP, NULL, NULL, NULL},
    {"ListInstanceProfiles", iam_op_list, IP, NULL, NULL, NULL},
    {"TagInstanceProfile", iam_op_tag, IP, NULL, NULL, NULL},
    {"UntagInstanceProfile", iam_op_untag, IP, NULL, NULL, NULL},
    {"ListInstanceProfileTags", iam_op_list_tags, IP, NULL, NULL, NULL},
    {"AddRoleToInstanceProfile", iam_op_add_role_to_profile, IP, NULL, NULL, NULL},
    {"RemoveRoleFromInstanceProfile", iam_op_remove_role_from_profile, IP, NULL, NULL, NULL},
    {"ListInstanceProfilesForRole", iam_op_list_profiles_for_role, IP, NULL, NULL, NULL},
    /* access keys and passwords */
    {"CreateAccessKey", iam_op_create_access_key, &iam_access_key, NULL, NULL, NULL},
    {"DeleteAccessKey", iam_op_delete, &iam_access_key, NULL, NULL, NULL},
    {"UpdateAccessKey", iam_op_update, &iam_access_key, NULL, NULL, NULL},
    {"ListAccessKeys", iam_op_list, &iam_access_key, NULL, NULL, NULL},
    {"GetAccessKeyLastUsed", iam_op_access_key_last_used, &iam_access_key, NULL, NULL, NULL},
    {"CreateLoginProfile", iam_op_create, &iam_login_profile, NULL, NULL, NULL},
    {"GetLoginProfile", iam_op_login_profile, &iam_login_profile, NULL, NULL, NULL},
    {"UpdateLoginProfile", iam_op_update, &iam_login_profile, NULL, NULL, NULL},
    {"DeleteLoginProfile", iam_op_delete, &iam_login_profile, NULL, NULL, NULL},
    {"ChangePassword", iam_op_change_password, &iam_login_profile, NULL, NULL, NULL},
    /* MFA devices */
    {"CreateVirtualMFADevice", iam_op_create, &iam_mfa, NULL, NULL, NULL},
    {"DeleteVirtualMFADevice", iam_op_delete, &iam_mfa, NULL, NULL, NULL},
    {"ListVirtualMFADevices", iam_op_list, &iam_mfa, NULL, NULL, NULL},
    {"ListMFADevices", iam_op_list, &iam_mfa, NULL, "MFADevices", NULL},
    {"EnableMFADevice", iam_op_mfa, &iam_mfa, "enable", NULL, NULL},
    {"DeactivateMFADevice", iam_op_mfa, &iam_mfa, "deactivate", NULL, NULL},
    {"ResyncMFADevice", iam_op_mfa, &iam_mfa, "resync", NULL, NULL},
    {"GetMFADevice", iam_op_mfa, &iam_mfa, "get", NULL, NULL},
    {"TagMFADevice", iam_op_tag, &iam_mfa, NULL, NULL, NULL},
    {"UntagMFADevice", iam_op_untag, &iam_mfa, NULL, NULL, NULL},
    {"ListMFADeviceTags", iam_op_list_tags, &iam_mfa, NULL, NULL, NULL},
    /* SSH public keys */
    {"UploadSSHPublicKey", iam_op_create, &iam_ssh_key, NULL, NULL, NULL},
    {"GetSSHPublicKey", iam_op_get, &iam_ssh_key, NULL, NULL, NULL},
    {"UpdateSSHPublicKey", iam_op_update, &iam_ssh_key, NULL, NULL, NULL},
    {"DeleteSSHPublicKey", iam_op_delete, &iam_ssh_key, NULL, NULL, NULL},
    {"ListSSHPublicKeys", iam_op_list, &iam_ssh_key, NULL, NULL, NULL},
    /* server certificates */
    {"UploadServerCertificate", iam_op_create, &iam_server_cert, NULL, "ServerCertificateMetadata",
     "ServerCertificateMetadata"},
    {"GetServerCertificate", iam_op_get, &iam_server_cert, NULL, NULL, NULL},
    {"UpdateServerCertificate", iam_op_update, &iam_server_cert, NULL, NULL, NULL},
    {"DeleteServerCertificate", iam_op_delete, &iam_server_cert, NULL, NULL, NULL},
    {"ListServerCertificates", iam_op_list, &iam_server_cert, NULL, NULL, "ServerCertificateMetadata"},
    {"TagServerCertificate", iam_op_tag, &iam_server_cert, NULL, NULL, NULL},
    {"UntagServerCertificate", iam_op_untag, &iam_server_cert, NULL, NULL, NULL},
    {"ListServerCertificateTags", iam_op_list_tags, &iam_server_cert, NULL, NULL, NULL},
    /* signing certificates */
    {"UploadSigningCertificate", iam_op_create, &iam_signing_cert, NULL, NULL, NULL},
    {"UpdateSigningCertificate", iam_op_update, &iam_signing_cert, NULL, NULL, NULL},
    {"DeleteSigningCertificate", iam_op_delete, &iam_signing_cert, NULL, NULL, NULL},
    {"ListSigningCertificates", iam_op_list, &iam_signing_cert, NULL, NULL, NULL},
    /* OIDC providers */
    {"CreateOpenIDConnectProvider", iam_op_create, &iam_oidc, NULL, NULL, NULL},
    {"GetOpenIDConnectProvider", iam_op_get, &iam_oidc, NULL, NULL, NULL},
    {"DeleteOpenIDConnectProvider", iam_op_delete, &iam_oidc, NULL, NULL, NULL},
    {"ListOpenIDConnectProviders", iam_op_list, &iam_oidc, NULL, NULL, NULL},
    {"UpdateOpenIDConnectProviderThumbprint", iam_op_update, &iam_oidc, NULL, NULL, NULL},
    {"AddClientIDToOpenIDConnectProvider", iam_op_oidc_client, &iam_oidc, "add", NULL, NULL},
    {"RemoveClientIDFromOpenIDConnectProvider", iam_op_oidc_client, &iam_oidc, "remove", NULL, NULL},
    {"TagOpenIDConnectProvider", iam_op_tag, &iam_oidc, NULL, NULL, NULL},
    {"UntagOpenIDConnectProvider", iam_op_untag, &iam_oidc, NULL, NULL, NULL},
    {"ListOpenIDConnectProviderTags", iam_op_list_tags, &iam_oidc, NULL, NULL, NULL},
    /* SAML providers */
    {"CreateSAMLProvider", iam_op_create, &iam_saml, NULL, NULL, NULL},
    {"GetSAMLProvider", iam_op_get, &iam_saml, NULL, NULL, NULL},
    {"DeleteSAMLProvider", iam_op_delete, &iam_saml, NULL, NULL, NULL},
    {"ListSAMLProviders", iam_op_list, &iam_saml, NULL, NULL, NULL},
    {"UpdateSAMLProvider", iam_op_update, &iam_saml, NULL, "", NULL},
    {"TagSAMLProvider", iam_op_tag, &iam_saml, NULL, NULL, NULL},
    {"UntagSAMLProvider", iam_op_untag, &iam_saml, NULL, NULL, NULL},
    {"ListSAMLProviderTags", iam_op_list_tags, &iam_saml, NULL, NULL, NULL},
    /* service specific credentials */
    {"CreateServiceSpecificCredential", iam_op_create, &iam_service_credential, NULL, NULL, NULL},
    {"DeleteServiceSpecificCredential", iam_op_delete, &iam_service_credential, NULL, NULL, NULL},
    {"UpdateServiceSpecificCredential", iam_op_update, &iam_service_credential, NULL, NULL, NULL},
    {"ListServiceSpecificCredentials", iam_op_list, &iam_service_credential, NULL, NULL, NULL},
    {"ResetServiceSpecificCredential", iam_op_reset_service_credential, &iam_service_credential, NULL, NULL, NULL},
    /* the account */
    {"CreateAccountAlias", iam_op_account, NULL, "alias create", NULL, NULL},
    {"DeleteAccountAlias", iam_op_account, NULL, "alias delete", NULL, NULL},
    {"ListAccountAliases", iam_op_account, NULL, "alias list", NULL, NULL},
    {"UpdateAccountPasswordPolicy", iam_op_account, NULL, "password update", NULL, NULL},
    {"GetAccountPasswordPolicy", iam_op_account, NULL, "password get", NULL, NULL},
    {"DeleteAccountPasswordPolicy", iam_op_account, NULL, "password delete", NULL, NULL},
    {"SetSecurityTokenServicePreferences", iam_op_account, NULL, "sts prefs", NULL, NULL},
    {"GetHumanReadableSummary", iam_op_account, NULL, "summary readable", NULL, NULL},
    {"GetAccountSummary", iam_op_account_summary, NULL, NULL, NULL, NULL},
    {"GetAccountAuthorizationDetails", iam_op_authorization_details, NULL, NULL, NULL, NULL},
    {"GenerateCredentialReport", iam_op_credential_report, NULL, "generate", NULL, NULL},
    {"GetCredentialReport", iam_op_credential_report, NULL, "get", NULL, NULL},
    {"GenerateServiceLastAccessedDetails", iam_op_last_accessed, NULL, "generate", NULL, NULL},
    {"GetServiceLastAccessedDetails", iam_op_last_accessed, NULL, "get", NULL, NULL},
    {"GetServiceLastAccessedDetailsWithEntities", iam_op_last_accessed, NULL, "get", NULL, NULL},
    {"GenerateOrganizationsAccessReport", iam_op_last_accessed, NULL, "generate", NULL, NULL},
    {"GetOrganizationsAccessReport", iam_op_last_accessed, NULL, "get", NULL, NULL},
    {"ListPoliciesGrantingServiceAccess", iam_op_last_accessed, NULL, "granting", NULL, NULL},
    {"ListOrganizationsFeatures", iam_op_account, NULL, "feature list-org", NULL, NULL},
    {"EnableOrganizationsRootCredentialsManagement", iam_op_account, NULL, "feature org", NULL, NULL},
    {"DisableOrganizationsRootCredentialsManagement", iam_op_account, NULL, "feature org", NULL, NULL},
    {"EnableOrganizationsRootSessions", iam_op_account, NULL, "feature org", NULL, NULL},
    {"DisableOrganizationsRootSessions", iam_op_account, NULL, "feature org", NULL, NULL},
    {"EnableOutboundWebIdentityFederation", iam_op_account, NULL, "feature fed-enable", NULL, NULL},
    {"DisableOutboundWebIdentityFederation", iam_op_account, NULL, "feature fed-disable", NULL, NULL},
    {"GetOutboundWebIdentityFederationInfo", iam_op_account, NULL, "feature fed-get", NULL, NULL},
    {"CreateDelegationRequest", iam_op_account, NULL, "delegation create", NULL, NULL},
    {"GetDelegationRequest", iam_op_account, NULL, "delegation get", NULL, NULL},
    {"ListDelegationRequests", iam_op_account, NULL, "delegation list", NULL, NULL},
    {"AcceptDelegationRequest", iam_op_account, NULL, "delegation accept", NULL, NULL},
    {"RejectDelegationRequest", iam_op_account, NULL, "delegation reject", NULL, NULL},
    {"AssociateDelegationRequest", iam_op_account, NULL, "delegation associate", NULL, NULL},
    {"UpdateDelegationRequest", iam_op_account, NULL, "delegation update", NULL, NULL},
    {"SendDelegationToken", iam_op_account, NULL, "delegation send", NULL, NULL},
    /* simulation */
    {"SimulatePrincipalPolicy", iam_op_simulate, NULL, "principal", NULL, NULL},
    {"SimulateCustomPolicy", iam_op_simulate, NULL, "custom", NULL, NULL},
    {"GetContextKeysForPrincipalPolicy", iam_op_context_keys, NULL, "principal", NULL, NULL},
    {"GetContextKeysForCustomPolicy", iam_op_context_keys, NULL, "custom", NULL, NULL},
};

#define IAM_NOPS (sizeof iam_table / sizeof *iam_table)

static const iam_op_t *by_name[IAM_NOPS];

static int cmp_op(const void *a, const void *b) {
    return strcmp((*(const iam_op_t *const *)a)->name, (*(const iam_op_t *const *)b)->name);
}

/* Every operation comes here: the table row of its name runs. */
/* Whether an operation only reads: the others may change what a principal is allowed. */
static bool reads_only(const char *name) {
    static const char *const verbs[] = {"Get", "List", "Simulate", "Generate"};
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
        if (strncmp(name, verbs[i], strlen(verbs[i])) == 0)
            return true;
    return false;
}

const iam_op_t *iam_op_named(const char *name) {
    iam_op_t key = {.name = name};
    const iam_op_t *pkey = &key;
    const iam_op_t **op = name ? bsearch(&pkey, by_name, IAM_NOPS, sizeof *by_name, cmp_op) : NULL;
    return op ? *op : NULL;
}

static nb_result_t iam_dispatch(nb_req_t *req, const json_t *in) {
    const iam_op_t *op = iam_op_named(nb_req_operation(req));
    if (op && !reads_only(op->name))
        nb_authz_changed(); /* the core's cached identity policies are read again */
    return op ? op->fn(req, in, op) : NB_NOT_IMPLEMENTED;
}

/* The descriptor's list: every name of the table, all to the dispatcher. */
static nb_op_t iam_ops[IAM_NOPS + 1];

/* Enforcement's action table (nimbus/authz.h): iam:<Operation> on the entity the operation
 * names, its ARN from the kind's (without the path, which a policy's wildcard covers), or the
 * ARN the input gives; filled with iam_ops from iam_table. */
static nb_authz_action_t iam_actions[IAM_NOPS + 1];
static char iam_action_text[IAM_NOPS][2][160];

static void iam_action_fill(size_t i, const iam_op_t *op) {
    const iam_kind_t *k = op->kind;
    char *action = iam_action_text[i][0], *resource = iam_action_text[i][1];
    snprintf(action, sizeof iam_action_text[i][0], "iam:%s", op->name);
    if (k && k->arn_member)
        snprintf(resource, sizeof iam_action_text[i][1], "{%s}", k->arn_member);
    else if (k && k->arn_type && k->name_member)
        snprintf(resource, sizeof iam_action_text[i][1], "arn:{partition}:iam::{account}:%s/{%s}", k->arn_type,
                 k->name_member);
    else
        resource = NULL;
    iam_actions[i] = (nb_authz_action_t){op->name, action, resource, NULL, NULL};
}

static int iam_init(nb_plugin_t *self) { return iam_store_open(self); }

/* The state was reset, or a request's writes were rolled back after its answers were cached:
 * the core's cached identity policies, documents and decisions are stale. */
static void iam_state_changed(nb_plugin_t *self) {
    (void)self;
    nb_authz_changed();
}

static void iam_fini(nb_plugin_t *self) {
    (void)self;
    iam_store_close();
    iam_aws_policies_free();
}

/* The descriptor's ops are read before init: filled when the object is loaded. */
__attribute__((constructor)) static void iam_ops_fill(void) {
    for (size_t i = 0; i < IAM_NOPS; i++) {
        by_name[i] = &iam_table[i];
        iam_ops[i] = (nb_op_t){iam_table[i].name, iam_dispatch, 0};
        iam_action_fill(i, &iam_table[i]);
    }
    iam_ops[IAM_NOPS] = (nb_op_t){NULL, NULL, 0};
    iam_actions[IAM_NOPS] = (nb_authz_action_t){NULL, NULL, NULL, NULL, NULL};
    qsort(by_name, IAM_NOPS, sizeof *by_name, cmp_op);
}

NB_PLUGIN_DEFINE(.name = "iam", .service = "iam", .api_version = "2010-05-08", .ops = iam_ops, .init = iam_init,
                 .fini = iam_fini, .reset = iam_state_changed,
                 .rolled_back = iam_state_changed, .authz_actions = iam_actions,
                 .identity_policies = iam_identity_policies, .resource_policy = iam_resource_tags,
                 .authz_document = iam_authz_document);
