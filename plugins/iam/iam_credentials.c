/* Where IAM tells the core's credential registry of the keys it creates and deletes, so that
 * a request signed with one is attributed to its account and user. iam_access_key_created and
 * iam_access_key_deleted are the single place to wire that registry (the STS work builds it;
 * empty until then); the handlers reach them through iam_key_changed, once the request's
 * transaction committed, so a rolled back CreateAccessKey leaves no key behind. */
#include <stdlib.h>
#include <string.h>

#include "iam.h"

void iam_access_key_created(const char *account, const char *key_id, const char *secret, const char *user_arn) {
    (void)account, (void)key_id, (void)secret, (void)user_arn;
}

void iam_access_key_deleted(const char *key_id) { (void)key_id; }

/* A key's change waiting for the commit: its strings follow the struct. */
typedef struct key_change {
    const char *account, *key_id, *secret, *user_arn; /* secret NULL: deleted */
} key_change_t;

static void key_change_commit(void *data) {
    key_change_t *c = data;
    if (c->secret != NULL)
        iam_access_key_created(c->account, c->key_id, c->secret, c->user_arn);
    else
        iam_access_key_deleted(c->key_id);
    free(c);
}

int iam_key_changed(nb_req_t *req, const char *key_id, const char *secret, const char *user_arn) {
    const char *account = iam_account(req);
    const char *parts[] = {account, key_id, secret ? secret : "", user_arn ? user_arn : ""};
    size_t len[4], total = sizeof(key_change_t);
    for (int i = 0; i < 4; i++)
        total += (len[i] = strlen(parts[i]) + 1);
    key_change_t *c = malloc(total);
    if (c == NULL)
        return NB_ENOMEM;
    char *p = (char *)(c + 1);
    const char **fields[] = {&c->account, &c->key_id, &c->secret, &c->user_arn};
    for (int i = 0; i < 4; i++) {
        memcpy(p, parts[i], len[i]);
        *fields[i] = p;
        p += len[i];
    }
    if (secret == NULL)
        c->secret = NULL;
    int rc = nb_req_on_commit(req, key_change_commit, c);
    if (rc != 0) {
        free(c);
        return rc;
    }
    /* without memory for this hook the request fails and rolls back: c is then lost, not misused */
    return nb_req_on_rollback(req, free, c);
}
