/* SSM Parameter Store: what the plugin's files share. */
#ifndef SSM_H
#define SSM_H

#include <stdint.h>
#include <string.h>

#include "nimbus/plugin.h"
#include "nimbus/store.h"

typedef struct ssm_state {
    nb_plugin_t *self;
    nb_store_t store;
} ssm_state_t;

extern ssm_state_t ssm;

/* AWS's limits (Parameter Store quotas). */
#define SSM_MAX_VERSIONS 100
#define SSM_MAX_LEVELS 15
#define SSM_MAX_LABELS 10
#define SSM_STANDARD_VALUE_MAX 4096
#define SSM_ADVANCED_VALUE_MAX 8192
#define SSM_MAX_TAGS 50
#define SSM_MAX_POLICIES 10

/* One version of a parameter, as stored (strings in request memory; NULL when unset). */
typedef struct ssm_param {
    const char *name;
    int64_t version;
    const char *type;       /* String, StringList, SecureString */
    const char *value;      /* plaintext, or the stored ciphertext of a SecureString */
    const char *key_id;     /* SecureString's KMS key as given (alias/aws/ssm by default) */
    const char *description;
    const char *allowed_pattern;
    const char *tier;       /* Standard or Advanced: what Intelligent-Tiering chose */
    const char *policies;   /* JSON array of ParameterInlinePolicy, or NULL */
    const char *data_type;
    const char *user;
    double modified;
} ssm_param_t;

/* ---- ssm_store.c: rows ---- */
/* The cached statement sql with req's scope bound and name as ?1; NULL on failure. */
/* Column i of a row as a string in request memory, NULL for SQL NULL. */
const char *ssm_col(nb_req_t *req, sqlite3_stmt *s, int i);
sqlite3_stmt *ssm_stmt_named(nb_req_t *req, const char *sql, const char *name);
/* The latest version of name (1), none (0), or an NB_E* code. Expired parameters are deleted first. */
int ssm_param_latest(nb_req_t *req, const char *name, ssm_param_t *out);
/* That version (1), none (0), or an NB_E* code. */
int ssm_param_version(nb_req_t *req, const char *name, int64_t version, ssm_param_t *out);
/* The version labelled label (1), none (0), or an NB_E* code. */
int ssm_param_labelled(nb_req_t *req, const char *name, const char *label, ssm_param_t *out);
int ssm_param_insert(nb_req_t *req, const ssm_param_t *p);
/* Deletes every version, label and tag of name: 1 if it existed, 0, or an NB_E* code. */
int ssm_param_delete(nb_req_t *req, const char *name);
/* The number of versions and the oldest one's number. */
int ssm_param_count_versions(nb_req_t *req, const char *name, int64_t *oldest);
int ssm_param_delete_version(nb_req_t *req, const char *name, int64_t version);
/* The labels of one version, a new array. */
json_t *ssm_param_labels(nb_req_t *req, const char *name, int64_t version);
/* Every parameter's latest version whose name starts with prefix ("" for all), by name: a new
 * array of ssm_param_t in request memory, *count set. NULL on failure. */
ssm_param_t *ssm_param_list(nb_req_t *req, const char *prefix, size_t *count);
/* The ARN of a parameter in req's account and region. */
const char *ssm_param_arn(nb_req_t *req, const char *name);

/* ---- ssm_names.c ---- */
/* Checks a name given to PutParameter (AWS's rules: characters, prefixes, depth, fully qualified). */
nb_step_t ssm_check_new_name(nb_req_t *req, const char *name);
/* Splits "name:selector" into the name and the selector (NULL when none); request memory. */
void ssm_split_selector(nb_req_t *req, const char *ref, const char **name, const char **selector);
/* Whether name (a path's member) lies under path: one level below, or any level when recursive. */
int ssm_under_path(const char *name, const char *path, int recursive);

/* ---- ssm_secure.c: SecureString values through KMS ---- */
#define SSM_DEFAULT_KEY "alias/aws/ssm"
/* Encrypts value for a SecureString: the stored form in request memory into *stored. */
nb_step_t ssm_encrypt(nb_req_t *req, const char *name, const char *key_id, const char *value, const char **stored);
/* The plaintext of a stored SecureString value (key_id: the key it was encrypted under, for
 * errors), or a stop with the error answered. */
nb_step_t ssm_decrypt(nb_req_t *req, const char *name, const char *key_id, const char *stored, const char **plain);
/* What a SecureString shows without WithDecryption: its ciphertext, base64. */
const char *ssm_ciphertext_text(nb_req_t *req, const char *stored);
/* Checks that a customer key given as KeyId exists and is enabled. */
nb_step_t ssm_check_key(nb_req_t *req, const char *key_id);

/* ---- ssm_view.c: output shapes ---- */
/* A Parameter (GetParameter's) with its value decrypted when with_decryption; selector may be NULL. */
nb_step_t ssm_param_view(nb_req_t *req, const ssm_param_t *p, int with_decryption, const char *selector,
                         json_t **out);
/* A ParameterMetadata (DescribeParameters'). */
json_t *ssm_param_metadata(nb_req_t *req, const ssm_param_t *p);
/* The Policies list of a stored policies text. */
json_t *ssm_policies_view(const char *policies);
/* A paging token for the position offset, and back: -1 for a token this plugin did not write. */
const char *ssm_token_new(nb_req_t *req, size_t offset);
/* Answers one page: {member: items} (stolen), with the NextToken of the page after it when more. */
nb_result_t ssm_page_reply(nb_req_t *req, const char *member, json_t *items, int more, size_t offset);
/* Where a page starts: the input's NextToken read into *offset (0 without one), or InvalidNextToken. */
nb_step_t ssm_page_start(nb_req_t *req, const json_t *in, size_t *offset);

/* ---- ssm_filters.c: ParameterFilters ---- */
/* Checks ParameterFilters for DescribeParameters (by_path 0) or GetParametersByPath (1). */
nb_step_t ssm_filters_check(nb_req_t *req, const json_t *filters, int by_path);
/* Whether p passes every filter. */
int ssm_filters_match(nb_req_t *req, const ssm_param_t *p, const json_t *filters);

/* ---- ssm_policies.c ---- */
/* Checks a Policies text: the normalized JSON array to store (request memory) into *out. */
nb_step_t ssm_policies_check(nb_req_t *req, const char *text, const char **out);
/* When an Expiration policy of policies says the parameter is gone (epoch seconds), else 0. */
double ssm_policies_expiry(const char *policies);

/* ---- ssm_public.c: /aws/service/ parameters ---- */
#define SSM_PUBLIC_PREFIX "/aws/service/"
/* Every public parameter of region whose name starts with prefix: a new array of ssm_param_t
 * in request memory, *count set. */
ssm_param_t *ssm_public_list(nb_req_t *req, const char *prefix, size_t *count);
/* The public parameter name (1) or none (0). */
int ssm_public_get(nb_req_t *req, const char *name, ssm_param_t *out);
/* The ARN of a public parameter (no account). */
const char *ssm_public_arn(nb_req_t *req, const char *name);

/* ---- ssm_reference.c: /aws/reference/secretsmanager/ ---- */
#define SSM_SECRET_PREFIX "/aws/reference/secretsmanager/"
/* *out the Parameter, or NULL when there is no such secret. */
nb_step_t ssm_secret_reference(nb_req_t *req, const char *name, int with_decryption, json_t **out);

/* ---- ssm_settings.c ---- */
/* The value of a service setting for req's account and region (its default when not set). */
const char *ssm_setting_value(nb_req_t *req, const char *id);

/* Handlers. */
nb_result_t ssm_put_parameter(nb_req_t *req, const json_t *in);
nb_result_t ssm_get_parameter(nb_req_t *req, const json_t *in);
nb_result_t ssm_get_parameters(nb_req_t *req, const json_t *in);
nb_result_t ssm_get_parameters_by_path(nb_req_t *req, const json_t *in);
nb_result_t ssm_delete_parameter(nb_req_t *req, const json_t *in);
nb_result_t ssm_delete_parameters(nb_req_t *req, const json_t *in);
nb_result_t ssm_describe_parameters(nb_req_t *req, const json_t *in);
nb_result_t ssm_get_parameter_history(nb_req_t *req, const json_t *in);
nb_result_t ssm_label_parameter_version(nb_req_t *req, const json_t *in);
nb_result_t ssm_unlabel_parameter_version(nb_req_t *req, const json_t *in);
nb_result_t ssm_add_tags_to_resource(nb_req_t *req, const json_t *in);
nb_result_t ssm_remove_tags_from_resource(nb_req_t *req, const json_t *in);
nb_result_t ssm_list_tags_for_resource(nb_req_t *req, const json_t *in);
nb_result_t ssm_get_service_setting(nb_req_t *req, const json_t *in);
nb_result_t ssm_reset_service_setting(nb_req_t *req, const json_t *in);
nb_result_t ssm_update_service_setting(nb_req_t *req, const json_t *in);

/* Documents (ssm_documents.c). */
nb_result_t ssm_create_document(nb_req_t *req, const json_t *in);
nb_result_t ssm_get_document(nb_req_t *req, const json_t *in);
nb_result_t ssm_describe_document(nb_req_t *req, const json_t *in);
nb_result_t ssm_update_document(nb_req_t *req, const json_t *in);
nb_result_t ssm_delete_document(nb_req_t *req, const json_t *in);
nb_result_t ssm_update_document_default_version(nb_req_t *req, const json_t *in);
nb_result_t ssm_list_document_versions(nb_req_t *req, const json_t *in);
nb_result_t ssm_list_documents(nb_req_t *req, const json_t *in);
/* Associations (ssm_associations.c). */
nb_result_t ssm_create_association(nb_req_t *req, const json_t *in);
nb_result_t ssm_describe_association(nb_req_t *req, const json_t *in);
nb_result_t ssm_update_association(nb_req_t *req, const json_t *in);
nb_result_t ssm_delete_association(nb_req_t *req, const json_t *in);
nb_result_t ssm_list_associations(nb_req_t *req, const json_t *in);
nb_result_t ssm_list_association_versions(nb_req_t *req, const json_t *in);
/* A document's tags are kept under this prefix and its name: parameter names hold no ':'. */
#define SSM_DOC_TAG_PREFIX "document:"
#define SSM_ASSOCIATION_TAG_PREFIX "association:"

/* Tags of a parameter (ssm_tags.c): [{Key, Value}], a new array. */
json_t *ssm_tags_of(nb_req_t *req, const char *name);
/* Adds or replaces tags (a TagList) on name. */
nb_step_t ssm_tags_put(nb_req_t *req, const char *name, const json_t *tags);

#endif
