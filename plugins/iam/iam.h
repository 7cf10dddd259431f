/*
 * IAM: every entity (role, user, group, policy, instance profile, key, certificate,
 * provider, ...) is one row of `entities`, keyed by (account, kind, name), its value the
 * JSON of the entity as IAM's output shapes describe it. Members whose name starts with
 * '_' are the plugin's own (inline policies, attachments, versions, secrets); the query
 * serializer writes only the members of the output shape, so a row is replied as is.
 * IAM is global: every row has region NB_STORE_GLOBAL.
 *
 * Operations are dispatched from one table (iam_ops.c) to handlers that take the
 * operation's row: the handlers of alike resources are one function each.
 */
#ifndef IAM_H
#define IAM_H

#include <stdbool.h>
#include <stddef.h>

#include <nimbus/plugin.h>
#include <nimbus/store.h>

/* What a kind of entity is called in the requests, the answers and the messages. */
typedef struct iam_kind {
    const char *kind;         /* the row's kind */
    const char *name_member;  /* the input member that names it: "RoleName" */
    const char *id_member;    /* its output id member: "RoleId" (NULL: none) */
    const char *id_prefix;    /* "AROA" */
    const char *arn_type;     /* arn:aws:iam::ACCOUNT:<arn_type>/<path><name> (NULL: no ARN) */
    const char *out_member;   /* "Role": the Get/Create output member */
    const char *list_member;  /* "Roles": the List output member */
    const char *not_found;    /* the NoSuchEntity message, %s the name */
    const char *exists;       /* the EntityAlreadyExists message, %s the name */
    const char *arn_member;   /* the input member naming it by ARN instead (OIDC, SAML, MFA): NULL if by name */
    int inline_limit;         /* the inline policy size limit (role, user, group), else 0 */
    const char *date_member;  /* "CreateDate", "UploadDate" */
    /* Fills what is particular to the kind into a new row (may set *key for kinds keyed by a
     * generated id or an ARN); NULL: nothing. */
    nb_step_t (*prepare)(nb_req_t *req, const json_t *in, json_t *doc, const char **key);
    /* Derived members brought in step with the row after a create or an update; NULL: none. */
    void (*refresh)(json_t *doc);
    /* DeleteConflict while something still refers to the row; NULL: never. */
    nb_step_t (*can_delete)(nb_req_t *req, const json_t *doc, const char *key);
} iam_kind_t;

extern const iam_kind_t iam_role, iam_user, iam_group, iam_policy, iam_instance_profile, iam_server_cert,
    iam_signing_cert, iam_ssh_key, iam_oidc, iam_saml, iam_mfa, iam_access_key, iam_login_profile,
    iam_service_credential;

typedef struct iam_op iam_op_t;
typedef nb_result_t (*iam_handler_pt)(nb_req_t *req, const json_t *in, const iam_op_t *op);
struct iam_op {
    const char *name;
    iam_handler_pt fn;
    const iam_kind_t *kind;
    const char *arg; /* a handler's own parameter (the member it updates, the tag list's name, ...) */
    const char *out; /* the output member when it is not the kind's (Upload...: ...Metadata) */
    const char *sub; /* the member of the row answered instead of the row (ServerCertificateMetadata) */
};

/* ---- the store (iam_store.c) */
int iam_store_open(nb_plugin_t *self);
void iam_store_close(void);
/* The entity's row (a new reference), or NULL when there is none (or on a failure: *rc < 0). */
json_t *iam_load(nb_req_t *req, const char *kind, const char *name);
int iam_save(nb_req_t *req, const char *kind, const char *name, const json_t *doc);
int iam_remove(nb_req_t *req, const char *kind, const char *name);
/* Every row of a kind in the request's account, by name; a `where` (SQL over `doc`, ?1 bound to
 * `arg`) narrows it. A new array, NULL on failure. */
json_t *iam_list(nb_req_t *req, const char *kind, const char *where, const char *arg);
/* How many rows of the kinds (a SQL list: "'role','user'") match `where` (?1 = arg); < 0 on failure. */
long iam_count(nb_req_t *req, const char *kinds, const char *where, const char *arg);
sqlite3 *iam_db(void);
/* Runs sql (one statement) with ?1 = the request's account, ?2 = a, ?3 = b: 0 or NB_ESTORE. */
int iam_exec(nb_req_t *req, const char *sql, const char *a, const char *b);

/* ---- values (iam_util.c) */
/* An id: prefix + 16 characters of AWS's alphabet (upper case and digits), on req memory. */
const char *iam_new_id(nb_req_t *req, const char *prefix, int len);
const char *iam_account(nb_req_t *req);
const char *iam_partition(nb_req_t *req);
/* arn:<partition>:iam::<account>:<type>/<path-without-leading-slash><name> */
const char *iam_arn(nb_req_t *req, const char *type, const char *path, const char *name);
/* The percent-encoding IAM answers policy documents in; on req memory. */
const char *iam_url_encode(nb_req_t *req, const char *text);
/* The decoding of it (a stored document back to JSON text); on req memory. */
const char *iam_url_decode(nb_req_t *req, const char *text);
const char *iam_str(const json_t *in, const char *member); /* NULL if absent */
/* A copy of doc without the plugin's own members ('_'...). */
json_t *iam_public(const json_t *doc);
/* Answers `out` with list[Marker..Marker+MaxItems) as out[member], IsTruncated and Marker. Steals out and list. */
nb_result_t iam_reply_page(nb_req_t *req, const json_t *in, json_t *out, const char *member, json_t *list);
/* The entity of kind k the input names (by k->name_member or k->arn_member), or NoSuchEntity. */
nb_step_t iam_find(nb_req_t *req, const json_t *in, const iam_kind_t *k, json_t **doc, const char **name);
nb_step_t iam_find_named(nb_req_t *req, const iam_kind_t *k, const char *name, json_t **doc);
nb_result_t iam_store_failed(nb_req_t *req);
/* The path of a new entity: "/" by default; ValidationError unless it starts and ends with '/'. */
nb_step_t iam_path(nb_req_t *req, const json_t *in, const char *member, const char **path);
/* Tags of a create or Tag* call merged into doc["Tags"] (at most 50). */
nb_step_t iam_tags_merge(nb_req_t *req, json_t *doc, const json_t *tags);

/* ---- policy documents (iam_policy_doc.c) */
enum iam_doc_kind { IAM_DOC_IDENTITY, IAM_DOC_TRUST };
/* MalformedPolicyDocument (or LimitExceeded for the size) unless text is a policy IAM accepts. */
nb_step_t iam_policy_validate(nb_req_t *req, const char *text, enum iam_doc_kind kind, int limit,
                              const char *limit_message);

/* ---- AWS managed policies (iam_aws_policies.c): loaded on first use */
/* The policy's row shaped like a customer managed one (Arn, Document in "_versions"), or NULL. */
json_t *iam_aws_policy(const char *arn);
/* Every AWS managed policy, as rows without their documents (iam_aws_policy has them); borrowed. */
const json_t *iam_aws_policies(void);
void iam_aws_policies_free(void);

/* ---- access key life cycle (iam_credentials.c): the core's credential registry (ABI 1.8)
 * A key created (secret given: registered for user_arn / user_id, so the requests it signs act in
 * the request's account as that user) or deleted (secret NULL) by the request. The registry writes
 * in the request's transaction: a rolled-back request leaves no key registered. 0 or NB_E*. */
int iam_key_changed(nb_req_t *req, const char *key_id, const char *secret, const char *user_arn,
                    const char *user_id);

/* ---- kinds (iam_kinds.c) */
/* The permissions boundary of a Create/Put call (PermissionsBoundary: an ARN) set on doc. */
nb_step_t iam_boundary_set(nb_req_t *req, json_t *doc, const char *arn);
/* A trust policy checked and stored (URL-encoded) as doc's AssumeRolePolicyDocument. */
nb_step_t iam_trust_set(nb_req_t *req, json_t *doc, const char *text);
/* The role's name is in a profile, the user in a group, ... (json_each over rows of kind). */
long iam_referenced(nb_req_t *req, const char *kind, const char *member, const char *value);
/* A user or group renamed: the rows that name it follow. 0 or NB_ESTORE. */
int iam_renamed(nb_req_t *req, const iam_kind_t *k, const char *old_name, const char *new_name);

/* ---- handlers */
nb_result_t iam_op_create(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_get(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_delete(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_update(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_tag(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_untag(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_tags(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_put_inline(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_get_inline(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_delete_inline(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_inline(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_attach(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_detach(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_attached(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_put_boundary(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_delete_boundary(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_entities_for_policy(nb_req_t *req, const json_t *in, const iam_op_t *op);
/* managed policies (iam_policies.c) */
nb_result_t iam_op_create_policy(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_get_policy(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_delete_policy(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_policies(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_create_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_get_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_delete_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_policy_versions(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_set_default_policy_version(nb_req_t *req, const json_t *in, const iam_op_t *op);
/* The managed policy an ARN names (customer or AWS), a new reference, or NULL (no error set). */
json_t *iam_policy_lookup(nb_req_t *req, const char *arn);
/* The same, or NoSuchEntity. */
nb_step_t iam_policy_find(nb_req_t *req, const char *arn, json_t **doc);
/* GetAccountAuthorizationDetails' Policies: the customer managed ones (local) and the AWS managed
 * ones in use (aws), each with its versions. A new array. */
json_t *iam_policy_details(nb_req_t *req, bool local, bool aws);
/* The default version's document of a policy row (JSON text), on req memory. */
const char *iam_policy_default_document(nb_req_t *req, const json_t *policy);
/* roles (iam_roles.c) */
nb_result_t iam_op_update_assume_role_policy(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_create_service_linked_role(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_delete_service_linked_role(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_service_linked_role_status(nb_req_t *req, const json_t *in, const iam_op_t *op);
/* membership (iam_members.c) */
nb_result_t iam_op_add_user_to_group(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_remove_user_from_group(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_get_group(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_groups_for_user(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_add_role_to_profile(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_remove_role_from_profile(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_list_profiles_for_role(nb_req_t *req, const json_t *in, const iam_op_t *op);
/* The instance profiles a role is in, as answered (a new array). */
json_t *iam_profiles_of_role(nb_req_t *req, const char *role);
/* The AttachedPolicies entries of a role, user or group row (PathPrefix: prefix, may be NULL). */
json_t *iam_attached_list(const json_t *row, const char *prefix);
/* The instance profile as answered: its roles in full. A new reference. */
json_t *iam_profile_out(nb_req_t *req, const json_t *profile);
/* credentials (iam_keys.c) */
nb_result_t iam_op_create_access_key(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_access_key_last_used(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_login_profile(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_change_password(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_mfa(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_oidc_client(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_reset_service_credential(nb_req_t *req, const json_t *in, const iam_op_t *op);
/* account (iam_account.c) */
nb_result_t iam_op_account(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_account_summary(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_authorization_details(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_credential_report(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_last_accessed(nb_req_t *req, const json_t *in, const iam_op_t *op);
/* a principal's policies (iam_authz.c): each {id, type, doc} in identity, the boundary alone in
 * boundary; strict: a missing principal or policy is an error set on req (the simulation),
 * else skipped (enforcement, serving another service's request; a missing principal stops with
 * NB_FAILED(NB_ENOENT), no error set). */
typedef struct iam_sources {
    json_t *identity, *boundary;
    bool strict;
} iam_sources_t;
nb_step_t iam_sources_add(nb_req_t *req, json_t *list, const char *id, const char *type, const char *text);
nb_step_t iam_sources_principal(nb_req_t *req, iam_sources_t *src, const char *arn);
/* The identity_policies hook (nimbus/authz.h, ABI 1.9). */
int iam_identity_policies(nb_plugin_t *self, nb_req_t *req, const char *principal_arn, nb_identity_policies_t *out);
/* The operation of that name, NULL when IAM has none (iam_ops.c). */
const iam_op_t *iam_op_named(const char *name);
/* The resource_policy hook (iam_authz.c): IAM keeps no resource policies, but the tags of the user,
 * role or managed policy an operation names are its iam:ResourceTag/KEY keys. */
int iam_resource_tags(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);
/* The authz_document hook (iam_trust.c): a role's trust policy, a managed policy's document. */
const char *iam_authz_document(nb_plugin_t *self, nb_req_t *req, const char *arn);
/* simulation (iam_simulate.c over the core's evaluator) */
nb_result_t iam_op_simulate(nb_req_t *req, const json_t *in, const iam_op_t *op);
nb_result_t iam_op_context_keys(nb_req_t *req, const json_t *in, const iam_op_t *op);

#endif
