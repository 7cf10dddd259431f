/* The credential registry: an in-memory hash table of registered access keys, mirrored by a
 * `_nb_credentials` table in each registering plugin's store (credentials.h). */
#include "gateway/credentials.h"
#include "gateway/quirks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/clock.h"
#include "gateway/req_memory.h"
#include "gateway/request.h"
#include "plugin/plugin.h"
#include "store/store.h"
#include "util/arn.h"
#include "util/partition.h"

typedef struct cred {
    struct cred *next;
    const nb_plugin_t *owner;
    double expiration;
    char account[16];
    json_t *session_policy; /* ABI 1.9: parsed, NULL when the key has none */
    /* into the same allocation, after the struct */
    char *access_key_id, *secret, *token, *principal_arn, *user_id;
} cred_t;

static cred_t **buckets;
static size_t nbuckets, count;

static uint64_t hash(const char *s) {
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static cred_t *find(const char *akid) {
    if (count == 0 || akid == NULL)
        return NULL;
    for (cred_t *c = buckets[hash(akid) & (nbuckets - 1)]; c; c = c->next)
        if (strcmp(c->access_key_id, akid) == 0)
            return c;
    return NULL;
}

/* ---- Expired keys ----
 * An STS session past its expiration is dropped from memory (on lookup, and by the sweep a
 * registration runs) and from its store (the sweep, and the load); only its key id is
 * remembered, in a small ring, so requests signed with it still hear ExpiredToken rather than
 * of a key nobody issued. The ring is bounded: the registry does not grow with sessions. */

#define TOMBSTONES 512
#define SWEEP_EVERY_S 60

static char tombstones[TOMBSTONES][128];
static size_t tombstone_next;
static double last_sweep;
static bool stored_expired; /* a key dropped from memory whose row a sweep has not deleted yet */

static bool expired_at(const cred_t *c, double now) { return c->expiration > 0 && now >= c->expiration; }

static void remember_expired(const char *akid) {
    snprintf(tombstones[tombstone_next], sizeof tombstones[0], "%s", akid);
    tombstone_next = (tombstone_next + 1) % TOMBSTONES;
}

bool nb__credentials_expired(const char *access_key_id) {
    if (access_key_id == NULL || *access_key_id == '\0')
        return false;
    for (size_t i = 0; i < TOMBSTONES; i++)
        if (strcmp(tombstones[i], access_key_id) == 0)
            return true;
    return false;
}

static void unlink_key(const char *akid);

/* An entry found: NULL (dropped, remembered as expired) once its session has expired. */
static cred_t *live(cred_t *c) {
    if (c == NULL || !expired_at(c, nb__clock_now()))
        return c;
    remember_expired(c->access_key_id);
    stored_expired = true;
    unlink_key(c->access_key_id);
    return NULL;
}

const char *nb__credentials_account(const char *access_key_id) {
    const cred_t *c = live(find(access_key_id));
    return c ? c->account : "";
}

bool nb__credentials_find(const char *access_key_id, nb__cred_view_t *out) {
    const cred_t *c = live(find(access_key_id));
    if (c)
        *out = (nb__cred_view_t){c->secret, c->token, c->expiration, c->account, c->principal_arn, c->user_id,
                                 c->session_policy};
    return c != NULL;
}

static cred_t *cred_new(const nb_plugin_t *owner, const nb_credentials_t *in) {
    const char *token = in->session_token ? in->session_token : "";
    const char *parts[] = {in->access_key_id, in->secret_access_key, token, in->principal_arn, in->user_id};
    size_t lens[5], total = sizeof(cred_t);
    for (size_t i = 0; i < 5; i++)
        total += (lens[i] = strlen(parts[i])) + 1;
    cred_t *c = malloc(total);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->owner = owner;
    c->expiration = in->expiration;
    snprintf(c->account, sizeof c->account, "%s", in->account);
    char *p = (char *)(c + 1);
    char **dst[] = {&c->access_key_id, &c->secret, &c->token, &c->principal_arn, &c->user_id};
    for (size_t i = 0; i < 5; i++) {
        memcpy(p, parts[i], lens[i] + 1);
        *dst[i] = p;
        p += lens[i] + 1;
    }
    return c;
}

static void cred_free(cred_t *c) {
    if (c)
        json_decref(c->session_policy);
    free(c);
}

static void unlink_key(const char *akid) {
    if (count == 0)
        return;
    for (cred_t **at = &buckets[hash(akid) & (nbuckets - 1)]; *at; at = &(*at)->next) {
        if (strcmp((*at)->access_key_id, akid) == 0) {
            cred_t *gone = *at;
            *at = gone->next;
            cred_free(gone);
            count--;
            return;
        }
    }
}

static int grow(void) {
    size_t cap = nbuckets ? nbuckets * 2 : 64;
    cred_t **grown = calloc(cap, sizeof *grown);
    if (grown == NULL)
        return NB_ENOMEM;
    for (size_t i = 0; i < nbuckets; i++) {
        for (cred_t *c = buckets[i], *next; c; c = next) {
            next = c->next;
            size_t j = hash(c->access_key_id) & (cap - 1);
            c->next = grown[j];
            grown[j] = c;
        }
    }
    free(buckets);
    buckets = grown;
    nbuckets = cap;
    return 0;
}

/* Takes c: replaces the entry of its key, if any. */
static void insert(cred_t *c) {
    unlink_key(c->access_key_id);
    if ((count + 1) * 4 > nbuckets * 3 && grow() != 0 && nbuckets == 0) {
        cred_free(c);
        return;
    }
    size_t j = hash(c->access_key_id) & (nbuckets - 1);
    c->next = buckets[j];
    buckets[j] = c;
    count++;
}

void nb__credentials_forget(const nb_plugin_t *p) {
    for (size_t i = 0; i < nbuckets; i++) {
        for (cred_t **at = &buckets[i]; *at;) {
            if ((*at)->owner == p) {
                cred_t *gone = *at;
                *at = gone->next;
                cred_free(gone);
                count--;
            } else {
                at = &(*at)->next;
            }
        }
    }
}

/* Every expired entry out of memory (remembered as expired). */
static void drop_expired(double now) {
    for (size_t i = 0; i < nbuckets; i++) {
        for (cred_t **at = &buckets[i]; *at;) {
            if (expired_at(*at, now)) {
                cred_t *gone = *at;
                remember_expired(gone->access_key_id);
                *at = gone->next;
                free(gone);
                count--;
            } else {
                at = &(*at)->next;
            }
        }
    }
}

/* ---- the store's table ---- */

#define CRED_TABLE                                                                                           \
    "CREATE TABLE IF NOT EXISTS _nb_credentials(access_key_id TEXT PRIMARY KEY, account TEXT NOT NULL,"      \
    " secret TEXT NOT NULL, session_token TEXT NOT NULL, principal_arn TEXT NOT NULL, user_id TEXT NOT NULL," \
    " expiration REAL NOT NULL)"

static sqlite3 *plugin_db(const nb_plugin_t *p) { return p && p->store ? nb__store_db(p->store) : NULL; }

/* Runs one statement with text parameters (NULL ends them): 0 or NB_ESTORE. */
static int run(sqlite3 *db, const char *sql, const char *const *texts, size_t ntexts, double real) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return NB_ESTORE;
    }
    for (size_t i = 0; i < ntexts; i++)
        sqlite3_bind_text(s, (int)i + 1, texts[i], -1, SQLITE_STATIC);
    if ((size_t)sqlite3_bind_parameter_count(s) > ntexts)
        sqlite3_bind_double(s, (int)ntexts + 1, real);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

#define POLICY_TABLE \
    "CREATE TABLE IF NOT EXISTS _nb_session_policies(access_key_id TEXT PRIMARY KEY, policy TEXT NOT NULL)"

/* The rows of expired sessions, and the session policies kept for them: 0 or NB_ESTORE. */
static int delete_expired_rows(sqlite3 *db, double now) {
    if (run(db, "DELETE FROM _nb_credentials WHERE expiration > 0 AND expiration <= ?1", NULL, 0, now) != 0 ||
        run(db, POLICY_TABLE, NULL, 0, 0) != 0)
        return NB_ESTORE;
    return run(db, "DELETE FROM _nb_session_policies WHERE access_key_id NOT IN (SELECT access_key_id FROM "
               "_nb_credentials)", NULL, 0, 0);
}

/* The STS session policies kept beside the keys (ABI 1.9), onto the keys loaded. */
static int load_session_policies(sqlite3 *db, char **err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_nb_session_policies'",
                           -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return 0;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT access_key_id, policy FROM _nb_session_policies", -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        if (asprintf(err, "cannot read the session policies: %s", sqlite3_errmsg(db)) < 0)
            *err = NULL;
        return NB_ESTORE;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        cred_t *c = find((const char *)sqlite3_column_text(s, 0));
        if (c && c->session_policy == NULL)
            c->session_policy = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
    }
    sqlite3_finalize(s);
    return 0;
}

int nb__credentials_load(nb_plugin_t *p, char **err) {
    sqlite3 *db = plugin_db(p);
    if (db == NULL)
        return 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_nb_credentials'", -1,
                           &s, NULL) != SQLITE_OK)
        goto failed;
    int present = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    s = NULL;
    if (!present)
        return 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT access_key_id, secret, session_token, account, principal_arn, user_id, expiration "
                           "FROM _nb_credentials",
                           -1, &s, NULL) != SQLITE_OK)
        goto failed;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        nb_credentials_t in = {
            .access_key_id = (const char *)sqlite3_column_text(s, 0),
            .secret_access_key = (const char *)sqlite3_column_text(s, 1),
            .session_token = (const char *)sqlite3_column_text(s, 2),
            .account = (const char *)sqlite3_column_text(s, 3),
            .principal_arn = (const char *)sqlite3_column_text(s, 4),
            .user_id = (const char *)sqlite3_column_text(s, 5),
            .expiration = sqlite3_column_double(s, 6),
        };
        if (!in.access_key_id || !in.secret_access_key || !in.account || !in.principal_arn || !in.user_id)
            continue;
        if (in.expiration > 0 && nb__clock_now() >= in.expiration) {
            remember_expired(in.access_key_id);
            continue;
        }
        cred_t *c = cred_new(p, &in);
        if (c == NULL) {
            sqlite3_finalize(s);
            *err = strdup("out of memory loading the registered access keys");
            return NB_ENOMEM;
        }
        insert(c);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return delete_expired_rows(db, nb__clock_now()) != 0 ? NB_ESTORE : load_session_policies(db, err);
    s = NULL;
failed:
    sqlite3_finalize(s);
    if (asprintf(err, "cannot read the registered access keys: %s", sqlite3_errmsg(db)) < 0)
        *err = NULL;
    return NB_ESTORE;
}

/* ---- put and delete: the row now, the table once the transaction commits ---- */

static void put_commit(void *data) { insert(data); }
static void put_rollback(void *data) { cred_free(data); }

static void delete_commit(void *data) {
    unlink_key(data);
    free(data);
}

/* Runs commit(data) when the store's open transaction commits (rollback(data) if it does not),
 * or at once outside one. */
static int at_commit(nb_plugin_t *self, void (*commit)(void *), void (*rollback)(void *), void *data) {
    if (!nb__store_in_txn(self->store)) {
        commit(data);
        return 0;
    }
    if (nb__store_hook_add_pair(self->store, commit, rollback, data) != 0) {
        rollback(data);
        return NB_ENOMEM;
    }
    return 0;
}

static bool key_id_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 16 || n > 128)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

int nb__credentials_put(nb_plugin_t *self, const nb_credentials_t *in) {
    sqlite3 *db = plugin_db(self);
    if (in == NULL || !key_id_ok(in->access_key_id) || !in->secret_access_key || !*in->secret_access_key ||
        !nb__is_account_id(in->account) || !in->principal_arn || !*in->principal_arn || !in->user_id ||
        !*in->user_id || in->expiration < 0)
        return NB_EINVAL;
    if (db == NULL)
        return NB_EINVAL;
    const cred_t *had = find(in->access_key_id);
    if (had && (had->owner != self || strcmp(had->account, in->account) != 0))
        return NB_EEXIST;
    /* the sweep: a registration is what makes the registry grow, so it is what trims it; a
     * minute apart, or sooner when a lookup dropped a key its row outlives */
    double now = nb__clock_now();
    if (stored_expired || now - last_sweep >= SWEEP_EVERY_S) {
        drop_expired(now);
        if (run(db, CRED_TABLE, NULL, 0, 0) != 0 || delete_expired_rows(db, now) != 0)
            return NB_ESTORE;
        last_sweep = now;
        stored_expired = false;
    }
    const char *texts[] = {in->access_key_id, in->account,  in->secret_access_key,
                           in->session_token ? in->session_token : "", in->principal_arn, in->user_id};
    if (run(db, CRED_TABLE, NULL, 0, 0) != 0 ||
        run(db, "INSERT OR REPLACE INTO _nb_credentials VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", texts, 6,
            in->expiration) != 0)
        return NB_ESTORE;
    cred_t *c = cred_new(self, in);
    if (c == NULL)
        return NB_ENOMEM;
    return at_commit(self, put_commit, put_rollback, c);
}

int nb__credentials_delete(nb_plugin_t *self, const char *account, const char *access_key_id) {
    sqlite3 *db = plugin_db(self);
    const cred_t *had = find(access_key_id);
    if (db == NULL || had == NULL || had->owner != self || account == NULL || strcmp(had->account, account) != 0)
        return NB_ENOENT;
    const char *texts[] = {access_key_id, account};
    if (run(db, "DELETE FROM _nb_credentials WHERE access_key_id = ?1 AND account = ?2", texts, 2, 0) != 0)
        return NB_ESTORE;
    char *key = strdup(access_key_id);
    if (key == NULL)
        return NB_ENOMEM;
    return at_commit(self, delete_commit, free, key);
}

/* A session policy set on a key once the transaction commits (the key's own put, in the same
 * transaction, is applied before it). */
typedef struct policy_set {
    const nb_plugin_t *owner;
    json_t *policy;
    char akid[];
} policy_set_t;

static void policy_commit(void *data) {
    policy_set_t *ps = data;
    cred_t *c = find(ps->akid);
    if (c && c->owner == ps->owner) {
        json_decref(c->session_policy);
        c->session_policy = ps->policy;
        ps->policy = NULL;
    }
    json_decref(ps->policy);
    free(ps);
}

static void policy_rollback(void *data) {
    policy_set_t *ps = data;
    json_decref(ps->policy);
    free(ps);
}

int nb__credentials_session_policy(nb_plugin_t *self, const char *access_key_id, const char *policy) {
    sqlite3 *db = plugin_db(self);
    if (db == NULL || !key_id_ok(access_key_id))
        return NB_EINVAL;
    bool none = policy == NULL || *policy == '\0';
    json_t *doc = none ? NULL : json_loads(policy, 0, NULL);
    if (!none && !json_is_object(doc)) {
        json_decref(doc);
        return NB_EINVAL;
    }
    const char *texts[] = {access_key_id, policy};
    if (run(db, POLICY_TABLE, NULL, 0, 0) != 0 ||
        run(db,
            none ? "DELETE FROM _nb_session_policies WHERE access_key_id = ?1"
                 : "INSERT OR REPLACE INTO _nb_session_policies VALUES (?1, ?2)",
            texts, none ? 1 : 2, 0) != 0) {
        json_decref(doc);
        return NB_ESTORE;
    }
    size_t n = strlen(access_key_id) + 1;
    policy_set_t *ps = malloc(sizeof *ps + n);
    if (ps == NULL) {
        json_decref(doc);
        return NB_ENOMEM;
    }
    ps->owner = self;
    ps->policy = doc;
    memcpy(ps->akid, access_key_id, n);
    return at_commit(self, policy_commit, policy_rollback, ps);
}

int nb__credentials_get(nb_req_t *req, const char *access_key_id, nb_credentials_t *out) {
    const cred_t *c = live(find(access_key_id));
    if (c == NULL)
        return NB_ENOENT;
    *out = (nb_credentials_t){
        .access_key_id = nb__req_strdup(req, c->access_key_id),
        .secret_access_key = nb__req_strdup(req, c->secret),
        .session_token = nb__req_strdup(req, c->token),
        .account = nb__req_strdup(req, c->account),
        .principal_arn = nb__req_strdup(req, c->principal_arn),
        .user_id = nb__req_strdup(req, c->user_id),
        .expiration = c->expiration,
    };
    if (!out->access_key_id || !out->secret_access_key || !out->session_token || !out->account ||
        !out->principal_arn || !out->user_id)
        return NB_ENOMEM;
    return 0;
}

/* The request's registered key, when it still speaks for the request's account. */
static const cred_t *req_cred(const nb_req_t *req) {
    const cred_t *c = live(find(req->ctx.access_key));
    return c && strcmp(c->account, req->ctx.account) == 0 ? c : NULL;
}

const char *nb__req_principal_arn(nb_req_t *req) {
    const cred_t *c = req_cred(req);
    if (c)
        return nb__req_strdup(req, c->principal_arn);
    return nb__req_printf(req, "arn:%s:%s::%s:root", nb__partition_of(req->ctx.region), nb__quirk_root_principal_service,
                          req->ctx.account);
}

const char *nb__req_user_id(nb_req_t *req) {
    const cred_t *c = req_cred(req);
    /* the root user's id is its account's */
    return nb__req_strdup(req, c ? c->user_id : req->ctx.account);
}
