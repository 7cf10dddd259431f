/*
 * The identity policies of principals, as the identity_policies hook answered them
 * (nimbus/authz.h), kept until the plugin that answered says they changed (nb_authz_changed):
 * the enforcement of ENFORCE_IAM=1 reads them on every request signed by a registered key,
 * and asking IAM's store and parsing its documents each time would cost more than the request.
 * Loop thread only.
 */
#ifndef NB_AUTHZ_POLICY_CACHE_H
#define NB_AUTHZ_POLICY_CACHE_H

#include <jansson.h>

#include "nimbus/authz.h"

/* The cached answer for a principal of an account: {"policies": [...], "boundary": {...} or
 * absent, "tags": [{"Key", "Value"}] or absent, "rc": the hook's return, "context": whether one of
 * them reads the request's context}; borrowed until the next put or clear; NULL: not cached. */
const json_t *nb__policy_cache_get(const char *account, const char *principal_arn);
/* Keeps an answer (takes out's references, any may be NULL); returns it as get would. */
const json_t *nb__policy_cache_put(const char *account, const char *principal_arn, nb_identity_policies_t *out, int rc);
/* Drops every answer, every kept document and every kept decision (decision_cache.h): ABI 1.9
 * authz_changed, a plugin's state reset. */
void nb__policy_cache_clear(void);

/* The documents nb_authz_document answered (a role's trust policy, a managed policy), by the
 * account they were read in and the ARN, kept like identity policies until authz_changed: an
 * AssumeRole reads its role's trust policy from IAM's store on every call otherwise. get: the
 * text, borrowed until the next put or clear; NULL: not kept. put copies text (not kept when out
 * of memory). */
const char *nb__policy_document_get(const char *account, const char *arn);
void nb__policy_document_put(const char *account, const char *arn, const char *text);

/* A resource policy's text parsed, from a cache keyed by the text itself (a bucket's policy is
 * read on every request to the bucket; its text changes only when it is replaced): borrowed
 * until the next call; NULL when it does not parse. The same text answers the same object until
 * the cache starts over, which drops the kept decisions too (they name documents by address). */
const json_t *nb__policy_parsed(const char *text);

#endif
