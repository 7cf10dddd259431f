/*
 * The credential registry (nimbus/credentials.h, ABI 1.8): access keys that plugins issued
 * (STS sessions, IAM access keys), each with its account and principal. In memory, one hash
 * table keyed by access key id, read on every request that carries a key neither 12 digits
 * nor the default `test`; on disk, a `_nb_credentials` table in the store of the plugin that
 * registered the key, loaded again when that plugin's store opens. Loop thread only.
 */
#ifndef NB_GATEWAY_CREDENTIALS_H
#define NB_GATEWAY_CREDENTIALS_H

#include <stdbool.h>

#include "nimbus/plugin.h"

/* A registered key's account ("" when the key is not registered): one hash lookup. */
const char *nb__credentials_account(const char *access_key_id);

/* A registered key's secret, session token ("" for a long-term key) and expiration (0: never),
 * pointing into the registry (valid until the loop runs on): false when it is not registered.
 * One hash lookup, for the signature check (sigcheck.c). */
typedef struct nb__cred_view {
    const char *secret, *token;
    double expiration;
    const char *account, *principal_arn, *user_id;
    const json_t *session_policy; /* parsed STS session policy, NULL: none (ABI 1.9) */
} nb__cred_view_t;
bool nb__credentials_find(const char *access_key_id, nb__cred_view_t *out);

/* Whether the key was a session that expired: lookups drop such an entry (memory and, at the
 * next registration's sweep or the next load, its row), remembering the last 512 key ids so a
 * request signed with one hears ExpiredToken (sigcheck.c). */
bool nb__credentials_expired(const char *access_key_id);

/* Loads the keys kept in p's freshly opened store (0; NB_ESTORE, NB_ENOMEM with a message in
 * *err); forgets those it registered (its store was reset or closed). */
int nb__credentials_load(nb_plugin_t *p, char **err);
void nb__credentials_forget(const nb_plugin_t *p);

/* nb_api_t's functions. */
int nb__credentials_put(nb_plugin_t *self, const nb_credentials_t *cred);
int nb__credentials_delete(nb_plugin_t *self, const char *account, const char *access_key_id);
int nb__credentials_session_policy(nb_plugin_t *self, const char *access_key_id, const char *policy);
int nb__credentials_get(nb_req_t *req, const char *access_key_id, nb_credentials_t *out);
const char *nb__req_principal_arn(nb_req_t *req);
const char *nb__req_user_id(nb_req_t *req);

#endif
