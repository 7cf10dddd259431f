/*
 * Secrets Manager: secrets, their versions and staging labels in the plugin's SQLite store.
 * One concern a file:
 *   sm_plugin.c    descriptor, schema, settings, init
 *   sm_store.c     finding a secret by name or ARN, reading and writing its row, ARNs, answers' shapes
 *   sm_version.c   versions and staging labels: new versions, idempotent tokens, label moves, reads
 *   sm_crypt.c     values under a customer KMS key: envelope encryption through the KMS plugin
 *   sm_secret.c    CreateSecret, DescribeSecret, UpdateSecret, tags
 *   sm_value.c     PutSecretValue, GetSecretValue, BatchGetSecretValue, ListSecretVersionIds,
 *                  UpdateSecretVersionStage
 *   sm_delete.c    DeleteSecret, RestoreSecret, the recovery window's end (a timer)
 *   sm_list.c      ListSecrets: filters, sorting, paging (also BatchGetSecretValue's Filters)
 *   sm_rotate.c    RotateSecret, CancelRotateSecret and where a Lambda invocation plugs in
 *   sm_replica.c   ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica
 *   sm_policy.c    resource policies and ValidateResourcePolicy
 *   sm_password.c  GetRandomPassword
 */
#ifndef SM_H
#define SM_H

#include <stdbool.h>
#include <stddef.h>

#include <nimbus/plugin.h>
#include <nimbus/store.h>

#include "secretsmanager_api.h"

#define SM_ARN_SIZE 700
#define SM_DEFAULT_KEY "alias/aws/secretsmanager"
#define SM_CURRENT "AWSCURRENT"
#define SM_PREVIOUS "AWSPREVIOUS"
#define SM_PENDING "AWSPENDING"

typedef struct sm_state {
    nb_plugin_t *self;
    nb_store_t store;
    nb_timer_t *sweep;
    double day_seconds; /* SECRETSMANAGER_RECOVERY_DAY: one day of a recovery window */
} sm_state_t;
extern NB_PLUGIN_HIDDEN sm_state_t sm;

/* A secret's row: meta holds the members DescribeSecret answers (Description, Tags, RotationRules,
 * dates, ...) and the plugin's own, whose names start with '_' (never answered). */
typedef struct sm_secret {
    const char *arn, *name; /* in req's memory */
    json_t *meta;           /* owned by the request (released when it ends); NULL after sm_lookup_light */
    const char *primary;    /* a replica's primary ARN, NULL for a primary */
    double accessed;        /* LastAccessedDate (a day), 0 if never */
    bool deleted;           /* scheduled for deletion */
    double deletion_date;
} sm_secret_t;

/* ---- sm_store.c ---- */
/* An AWS error found by a check whose caller decides how to report it (BatchGetSecretValue lists
 * them per secret; every other operation answers it). */
typedef struct sm_fault {
    const char *code;
    char message[512];
} sm_fault_t;
/* Sets the fault: NB_EINVAL, the code of "an AWS error". */
int sm_fault(sm_fault_t *f, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Go on for rc 0; else stop with the fault answered (NB_EINVAL) or the failure. */
nb_step_t sm_check(nb_req_t *req, int rc, const sm_fault_t *f);
/* sm_lookup_shared without the meta (GetSecretValue's path): arn, name, deletion, primary, accessed. */
int sm_lookup_light(nb_req_t *req, const char *secret_id, sm_secret_t *out, sm_fault_t *f);
/* Records a read today in LastAccessedDate (a write once a day at most). */
int sm_touch(nb_req_t *req, sm_secret_t *s);
/* sm_find without answering: 0, NB_EINVAL (f: ResourceNotFoundException), or NB_E*. */
int sm_lookup(nb_req_t *req, const char *secret_id, sm_secret_t *out, sm_fault_t *f);
/* sm_lookup that finds an ARN of another account in that account: for a read another account's
 * resource policy may share (GetSecretValue; sm_authz.c reads the policy of what a request names). */
int sm_lookup_shared(nb_req_t *req, const char *secret_id, sm_secret_t *out, sm_fault_t *f);
/* Finds SecretId (a name, an ARN, or an ARN without its random suffix) in req's account and
 * region; answers ResourceNotFoundException when there is none. */
nb_step_t sm_find(nb_req_t *req, const char *secret_id, sm_secret_t *out);
/* sm_find, then InvalidRequestException if the secret is scheduled for deletion. */
nb_step_t sm_find_live(nb_req_t *req, const char *secret_id, sm_secret_t *out);
/* sm_find_live, then InvalidRequestException if the secret is a replica (writes go to its primary). */
nb_step_t sm_find_primary(nb_req_t *req, const char *secret_id, sm_secret_t *out);
/* Looks the name up in account/region without answering: 0, NB_ENOENT, NB_ESTORE. */
int sm_load_name(nb_req_t *req, const char *account, const char *region, const char *name, sm_secret_t *out);
/* Releases v (a new reference) when the request ends; returns v. */
json_t *sm_req_keep(nb_req_t *req, json_t *v);
/* Writes the row (insert or replace) in account/region. 0 or NB_ESTORE. */
int sm_save(nb_req_t *req, const char *account, const char *region, const sm_secret_t *s);
/* Removes a secret, its versions and labels (and its replicas' rows when it is a primary). */
int sm_remove(const char *arn);
/* The ARN whose versions hold s's values: its primary's for a replica. */
const char *sm_value_arn(const sm_secret_t *s);
/* A new ARN for name in region: AWS's '-' and 6 random characters after the name. */
const char *sm_new_arn(nb_req_t *req, const char *region, const char *name, const char *suffix);
/* The 6 characters after the name's '-' at the end of an ARN. */
const char *sm_arn_suffix(const sm_secret_t *s);
/* The members DescribeSecret and ListSecrets share (no '_' members, no KmsKeyId for the AWS managed
 * key), a new object. */
json_t *sm_public_meta(const sm_secret_t *s);
/* Sets a timestamp member of the meta to t (0: removes it). */
void sm_meta_time(json_t *meta, const char *member, double t);
/* The meta of a secret whose row is text. A new reference (an empty object if text is not JSON). */
json_t *sm_meta_parse(const char *text);
/* {ARN, Name} answers (DeleteResourcePolicy, RestoreSecret, ...). */
nb_result_t sm_reply_arn_name(nb_req_t *req, const sm_secret_t *s);
/* The "marked for deletion" InvalidRequestException. */
nb_result_t sm_err_deleted(nb_req_t *req);
/* The tags as a {key: value} test; tags is the meta's Tags array. */
const char *sm_tag_value(const json_t *tags, const char *key);

/* ---- sm_version.c ---- */
typedef struct sm_value {
    bool binary;
    const char *data; /* in req's memory or borrowed from input */
    size_t len;
} sm_value_t;
/* The value of SecretString / SecretBinary: 0 (none given: out->data NULL), or an answered error
 * (both given). */
nb_step_t sm_value_from_input(nb_req_t *req, const json_t *input, sm_value_t *out);
/* Adds a version with value under token (NULL: a new UUID) and moves the labels stages (an array of
 * strings; NULL: AWSCURRENT) to it. The same token with the same value is the same version (no
 * change); with another value, ResourceExistsException. *version_id: the version's id. */
nb_step_t sm_version_add(nb_req_t *req, sm_secret_t *s, const char *token, const sm_value_t *value,
                         const json_t *stages, const char **version_id);
/* Moves label to version_id (NULL: removes it), keeping AWSPREVIOUS on the version AWSCURRENT left. */
int sm_label_move(const char *arn, const char *label, const char *version_id);
/* The version a label is on, in req's memory; NULL when none. */
const char *sm_label_version(nb_req_t *req, const char *arn, const char *label);
/* {version_id: [labels]} of a secret's labeled versions, a new object. */
json_t *sm_versions_to_stages(const char *arn);
/* The value of a version (by id, or by label when version_id is NULL), decrypted: 0, NB_EINVAL (f:
 * ResourceNotFoundException when there is none, a KMS failure), NB_E*. out_id, out_created, out_stages
 * (a new array) may be NULL. */
int sm_version_read(nb_req_t *req, const sm_secret_t *s, const char *version_id, const char *stage,
                    sm_value_t *value, const char **out_id, double *out_created, json_t **out_stages, sm_fault_t *f);
/* Removes the labels of a version that no longer exists and old unlabeled versions beyond AWS's 100. */
int sm_versions_prune(const char *arn);

/* ---- sm_crypt.c ---- */
/* Whether key (the secret's KmsKeyId) is the AWS managed key: values are then kept as they are. */
bool sm_key_is_default(const char *key);
/* Encrypts value under the customer key for (arn, version): the stored bytes and the data key's
 * ciphertext, in req's memory. 0, NB_EINVAL (f: EncryptionFailure, or the KMS state's error), NB_E*. */
int sm_encrypt(nb_req_t *req, const char *key, const char *arn, const char *version_id, const sm_value_t *in,
               const void **blob, size_t *blob_len, const void **dkey, size_t *dkey_len, const char **key_arn,
               sm_fault_t *f);
/* Decrypts what sm_encrypt stored. 0, NB_EINVAL (f: DecryptionFailure, or the KMS state's error), NB_E*. */
int sm_decrypt(nb_req_t *req, const char *key_arn, const char *arn, const char *version_id, const void *blob,
               size_t blob_len, const void *dkey, size_t dkey_len, const char **out, size_t *out_len, sm_fault_t *f);

/* ---- sm_list.c ---- */
/* The secrets of req's account and region that the filters (ListSecrets' Filters; NULL: all) keep,
 * sorted: a new array of objects {ARN, Name, _meta, _deleted}. */
nb_step_t sm_list_matching(nb_req_t *req, const json_t *filters, bool include_deleted, const char *sort_by,
                           bool descending, json_t **out);
/* Paging tokens: the offset a NextToken starts at (0 without one), or answers InvalidNextTokenException. */
nb_step_t sm_page_start(nb_req_t *req, const json_t *input, size_t *start);
/* Sets NextToken on out when more follow start + count. */
void sm_page_next(nb_req_t *req, json_t *out, size_t start, size_t count, size_t total);

/* ---- sm_replica.c ---- */
/* Replicates s to the regions of AddReplicaRegions ([{Region, KmsKeyId}]), updating s's meta
 * (ReplicationStatus; the caller saves s). */
nb_step_t sm_replicate(nb_req_t *req, sm_secret_t *s, const json_t *regions, bool force);
/* s's ReplicationStatus, a new array (empty when none). */
json_t *sm_replication_status(const sm_secret_t *s);

/* ---- sm_delete.c ---- */
void sm_sweep_start(nb_plugin_t *self);
void sm_sweep_stop(void);


#endif /* SM_H */
