/* kms.h - what the KMS plugin's files share: its store, a loaded key, and the checks every
 * operation on a key makes. One concern a file: kms_key.c (keys and their states), kms_cipher.c
 * (Encrypt, Decrypt, ReEncrypt, data keys), kms_sign.c (Sign, Verify, MACs, public keys, ECDH),
 * kms_alias.c, kms_grant.c, kms_policy.c (policies and tags), kms_rotation.c, kms_import.c,
 * kms_region.c (multi-region keys), kms_keystore.c (custom key stores), kms_crypto.c (OpenSSL). */
#ifndef KMS_H
#define KMS_H

#include <string.h>
#include <nimbus/store.h>

#include "kms_api.h"
#include "kms_crypto.h"

typedef struct kms_state {
    nb_plugin_t *self;
    nb_store_t store;
    nb_timer_t *sweep; /* deletes keys whose pending window ended, rotates keys that are due */
    double day;        /* seconds in a day of pending windows and rotation periods (KMS_DAY_SECONDS) */
} kms_state_t;

extern kms_state_t kms;

/* A key as a request sees it: its KeyMetadata (owned, released with the request) and the
 * account and region it lives in. */
typedef struct kms_key {
    const char *account, *region;
    const char *id, *arn;
    json_t *meta;
    const char *state, *spec, *usage;
} kms_key_t;

/* The key id a KeyId names (a key id, key ARN, alias name or alias ARN) and its account, without
 * loading the key or answering: 0; NB_EINVAL (no KMS key or alias ARN of this region); NB_ENOENT
 * (no such alias: *id is the alias name); NB_E*. Shared by kms_key_find and kms_authz.c. */
int kms_key_ref(nb_req_t *req, const char *key_id, const char **account, const char **id);
/* The key a KeyId names: a key id, key ARN, alias name or alias ARN, as AWS accepts them;
 * answers NotFoundException. A key whose pending window ended is deleted here first. */
nb_step_t kms_key_find(nb_req_t *req, const char *key_id, kms_key_t **out);
/* The key id in account and region, with no answer set: 0, NB_ENOENT or NB_E*. */
int kms_key_load(nb_req_t *req, const char *account, const char *region, const char *id, kms_key_t **out);
/* The same for the member "KeyId" (or another) of input. */
nb_step_t kms_key_from(nb_req_t *req, const json_t *input, const char *member, kms_key_t **out);
/* Whether the key can be used for cryptography now: DisabledException, KMSInvalidStateException. */
nb_step_t kms_key_usable(nb_req_t *req, const kms_key_t *k);
/* Whether the key's usage is `usage` for operation op: InvalidKeyUsageException. */
nb_step_t kms_key_usage(nb_req_t *req, const kms_key_t *k, const char *usage, const char *op);
/* An operation that changes a key refuses one pending deletion (KMSInvalidStateException). */
nb_step_t kms_key_not_pending(nb_req_t *req, const kms_key_t *k);
/* Writes k->meta back. 0 or NB_E*. */
int kms_key_save(nb_req_t *req, kms_key_t *k);
/* Sets KeyState (and Enabled with it). */
void kms_key_set_state(kms_key_t *k, const char *state);
/* Inserts a new key row: its metadata, policy and tags (a JSON array text). 0 or NB_E*. */
int kms_key_insert(const char *account, const char *region, const char *id, json_t *meta, const char *policy,
                   const char *tags);
/* Removes a key and everything that belongs to it (materials, aliases, grants). */
int kms_key_purge(const char *account, const char *region, const char *id);
/* A new key id: a UUID, or "mrk-" and 32 hex digits for a multi-region key. */
void kms_key_new_id(int multi_region, char out[40]);
/* KeyMetadata for a new key of spec and usage. */
json_t *kms_key_meta_new(nb_req_t *req, const char *id, const char *spec, const char *usage, const char *origin,
                         const char *description, int multi_region);
/* The ARN of a key or alias in req's partition. */
const char *kms_arn(nb_req_t *req, const char *account, const char *region, const char *resource);

/* Key material: version 0 is the current one. 0, NB_ENOENT (none: a key pending import), NB_E*.
 * *version (may be NULL) gets the version read. */
int kms_material_get(const kms_key_t *k, int version, kms_buf_t *out, int *version_out);
int kms_material_put(const kms_key_t *k, int version, const kms_buf_t *m, const char *kind, double when);
int kms_material_next_version(const kms_key_t *k);

/* The key's policy text, in req's memory (NULL: a store failure). */
const char *kms_key_policy_text(nb_req_t *req, const kms_key_t *k);
/* The key id a symmetric ciphertext blob names, or NULL when it is no blob of ours. */
const char *kms_blob_key_id(nb_req_t *req, const json_t *blob);

/* The default key policy AWS gives a key created without one. */
const char *kms_default_policy(nb_req_t *req, const char *account);

/* Grants (kms_grant.c) and aliases (kms_alias.c) that go with a key. */
int kms_alias_key_id(const char *account, const char *region, const char *name, const char **key_id, nb_req_t *req);

/* A custom key store CreateKey may use: it exists and is connected (kms_keystore.c). */
nb_step_t kms_keystore_usable(nb_req_t *req, const char *id);

/* An internal failure as the client sees it (500 KMSInternalException). */
nb_result_t kms_internal(nb_req_t *req, int rc);

/* Symmetric ciphertext blobs (kms_cipher.c), shared by ReEncrypt and data key pairs. */
nb_result_t kms_seal(nb_req_t *req, const kms_key_t *k, const json_t *context, const void *pt, size_t n,
                     json_t **blob_out);

/* Crypto that may run off the loop (kms_job.c): fn runs on the thread pool when the operation is
 * slow (RSA), else at once; finish answers on the loop. Everything it reads is the request's
 * (valid until finish returns); what fn makes goes in the kms_buf_t members. */
typedef struct kms_job kms_job_t;
struct kms_job {
    int (*fn)(kms_job_t *j);
    nb_result_t (*finish)(nb_req_t *req, kms_job_t *j);
    kms_key_t *key;
    const json_t *input;
    const json_t *held; /* the reference to input the job holds */
    const char *alg;
    int digest;
    kms_buf_t material, out, out2;
    int rc;
};
/* A zeroed job in request memory whose buffers are wiped and freed when the request ends. */
kms_job_t *kms_job_new(nb_req_t *req);
/* Runs j and answers; slow: on the thread pool. */
nb_result_t kms_job_run(nb_req_t *req, kms_job_t *j, int slow);

/* DryRun: the operation would have succeeded (DryRunOperationException). */
nb_step_t kms_dry_run(nb_req_t *req, const json_t *input);

/* The periodic sweep of kms_key.c (deletions), which runs kms_rotation.c's (rotations due). */
void kms_sweep(nb_timer_t *t, void *data);
void kms_rotation_sweep(void);

/* A blob member of an output (binary, never UTF-8 checked). */
#define KMS_BLOB(p, n) json_stringn_nocheck((const char *)(p), (n))

/* A value in a copied JSON object, as text ("" when absent). */
static inline const char *kms_str(const json_t *o, const char *member) {
    const char *s = json_string_value(json_object_get(o, member));
    return s != NULL ? s : "";
}

#endif /* KMS_H */
