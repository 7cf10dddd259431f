/*
 * nimbus/authz.h - IAM policies (ABI 1.9): the policy language shared by identity policies
 * (IAM's users, groups and roles) and resource policies (S3 bucket policies, SQS queue policies,
 * ...), evaluated by the core; and what a plugin declares so that ENFORCE_IAM=1 can enforce
 * them on its operations without the core naming any service:
 *
 *   - `authz_actions` (nb_plugin_def_t): per operation, the IAM action it is authorized as and
 *     the template of the resource ARN it acts on, as data;
 *   - `resource_policy` (nb_plugin_def_t, optional): the policy attached to the resource a
 *     request names, and the account that owns it;
 *   - `identity_policies` (nb_plugin_def_t, optional; IAM's): the policies of a principal.
 *
 * Evaluation follows AWS's logic: an explicit Deny in any policy denies; otherwise the
 * identity policies must allow (intersected with a permissions boundary and an STS session
 * policy when there is one), unless a resource policy of the principal's own account allows
 * the principal; across accounts both the identity policy and the resource policy must allow.
 * docs/iam.md describes what is enforced.
 */
#ifndef NIMBUS_AUTHZ_H
#define NIMBUS_AUTHZ_H

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_req nb_req_t;
typedef struct nb_plugin nb_plugin_t;

/* A policy's verdict; ordered so that the strongest of several is their maximum. */
typedef enum nb_policy_decision {
    NB_POLICY_IMPLICIT_DENY = 0, /* no statement matched */
    NB_POLICY_ALLOWED = 1,       /* an Allow matched, no Deny */
    NB_POLICY_EXPLICIT_DENY = 2, /* a Deny matched */
} nb_policy_decision_t;

/* What a policy is asked. `context` maps lower-cased condition key names ("aws:sourceip") to
 * arrays of strings (NULL: none). `principal_arn` is the caller for a resource policy's
 * Principal / NotPrincipal (and `principal_account` its account); NULL evaluates the policy as
 * an identity policy, whose statements name no principal. */
typedef struct nb_policy_request {
    const char *action;   /* "s3:GetObject" (matched case-insensitively) */
    const char *resource; /* the resource ARN; NULL or "*" for an action on no resource */
    const json_t *context;
    const char *principal_arn;
    const char *principal_account;
} nb_policy_request_t;

/*
 * One row of a plugin's action table: the operation, the IAM action it needs and the resource
 * ARN it acts on, built from a template. In the template, `{partition}`, `{region}` and
 * `{account}` are the request's; `{Member}` is the input's top-level string member; and
 * `{Member/N}` is the N-th '/'-separated segment of that member counted from its end (1: the
 * last), e.g. "arn:{partition}:sqs:{region}:{QueueUrl/2}:{QueueUrl/1}". A member the input
 * lacks makes the resource "*". `context` adds condition keys from the input, as
 * "key=Member" pairs separated by commas ("s3:prefix=Prefix,s3:max-keys=MaxKeys").
 * `resource_fn` (optional) builds the ARN instead of the template, for the odd operation:
 * a string on req memory, or NULL for "*".
 */
typedef struct nb_authz_action {
    const char *operation; /* the spec's operation name; NULL ends the table */
    const char *action;    /* the IAM action, "s3:GetObject" */
    const char *resource;  /* the ARN template; NULL: "*" */
    const char *context;   /* condition keys from the input; NULL: none */
    const char *(*resource_fn)(nb_req_t *req, const json_t *input);
} nb_authz_action_t;

/* A resource policy, as a plugin's `resource_policy` hook finds it for a request. */
typedef struct nb_resource_policy {
    /* document and owner_account: req memory, or borrowed from the plugin: the core reads them only
     * before the call that asked for them returns (one authorization, which changes no state) */
    const char *document; /* the policy's JSON text; NULL: none */
    const char *owner_account; /* the account owning the resource; NULL: the request's */
    /* the policy must allow the caller whatever its identity policies say (a role's trust policy:
     * no role is assumed that does not trust its caller); 0: AWS's usual resource policy */
    int required;
    /* ABI 1.10: the resource's tags, [{"Key": ..., "Value": ...}], the aws:ResourceTag/KEY and
     * SERVICE:ResourceTag/KEY condition keys (iam:ResourceTag/KEY): a new reference the core
     * releases, or NULL. Read only from a plugin built for 1.10 or later (zero-initialized). */
    json_t *tags;
} nb_resource_policy_t;

/* A principal's policies, as an `identity_policies` hook finds them: parsed documents. */
typedef struct nb_identity_policies {
    json_t *policies; /* array of documents (inline, attached, groups'): a new reference, or NULL */
    json_t *boundary; /* the permissions boundary's document: a new reference, or NULL */
    /* ABI 1.10: the principal's tags, [{"Key": ..., "Value": ...}] (a role's for its sessions), the
     * aws:PrincipalTag/KEY condition keys: a new reference, or NULL. A core reads it only from a
     * plugin built for 1.10 or later (older ones are zero-initialized). */
    json_t *tags;
} nb_identity_policies_t;

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_AUTHZ_H */
