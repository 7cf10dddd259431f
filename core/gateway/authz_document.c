/*
 * ENFORCE_IAM=1: the documents IAM keeps that another service's authorization reads (nimbus/plugin.h,
 * authz_document): STS's AssumeRole reads the role's trust policy as the role's resource policy and
 * resolves its PolicyArns into session policies. The role may be another account's (a cross-account
 * assume is signed by the caller's account), so IAM is asked in the account the ARN names. Its
 * answers are kept until IAM says its state changed (policy_cache.h): parsing the role's record
 * cost more than the AssumeRole itself.
 */
#include <string.h>

#include "authz/policy_cache.h"
#include "gateway/authz.h"
#include "gateway/gateway.h"
#include "gateway/req_memory.h"
#include "gateway/request.h"
#include "plugin/plugin.h"

/* The 12-digit account of "arn:PARTITION:iam::ACCOUNT:...", false when it names none ("aws"). */
static bool arn_account(const char *arn, char account[13]) {
    const char *p = arn;
    for (int i = 0; i < 4 && p; i++)
        if ((p = strchr(p, ':')) != NULL)
            p++;
    size_t n = p ? strspn(p, "0123456789") : 0;
    if (n != 12 || p[n] != ':')
        return false;
    memcpy(account, p, 12);
    account[12] = '\0';
    return true;
}

const char *nb__api_authz_document(nb_req_t *req, const char *arn) {
    nb_plugin_t *ip = arn ? nb__authz_identity_provider(req->gw) : NULL;
    const char *(*hook)(nb_plugin_t *, nb_req_t *, const char *) = ip ? NB__DEF_HOOK(ip->def, authz_document) : NULL;
    if (hook == NULL)
        return NULL;
    char own[sizeof req->ctx.account], theirs[13];
    memcpy(own, req->ctx.account, sizeof own);
    if (arn_account(arn, theirs))
        memcpy(req->ctx.account, theirs, sizeof theirs);
    const char *kept = nb__policy_document_get(req->ctx.account, arn);
    const char *doc = kept ? nb__req_strdup(req, kept) : hook(ip, req, arn);
    if (doc && !kept) /* none is not kept: a read that failed answers none too */
        nb__policy_document_put(req->ctx.account, arn, doc);
    memcpy(req->ctx.account, own, sizeof own);
    return doc;
}
