/* Where IAM tells the core's credential registry of the keys it creates and deletes, so that
 * a request signed with one is attributed to its account and user. Empty until the registry
 * exists (the STS work builds it): the single place to wire it. */
#include "iam.h"

void iam_access_key_created(const char *account, const char *key_id, const char *secret, const char *user_arn) {
    (void)account, (void)key_id, (void)secret, (void)user_arn;
}

void iam_access_key_deleted(const char *key_id) { (void)key_id; }
