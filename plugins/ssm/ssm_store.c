/* The rows of parameters: versions, labels, deletion. */
#include "ssm.h"

#define SSM_COLUMNS                                                                                            \
    "name, version, type, value, key_id, description, allowed_pattern, tier, policies, data_type, user, modified"

const char *ssm_col(nb_req_t *req, sqlite3_stmt *s, int i) {
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? nb_req_strdup(req, (const char *)t) : NULL;
}

static void read_row(nb_req_t *req, sqlite3_stmt *s, ssm_param_t *p) {
    p->name = ssm_col(req, s, 0);
    p->version = sqlite3_column_int64(s, 1);
    p->type = ssm_col(req, s, 2);
    p->value = ssm_col(req, s, 3);
    p->key_id = ssm_col(req, s, 4);
    p->description = ssm_col(req, s, 5);
    p->allowed_pattern = ssm_col(req, s, 6);
    p->tier = ssm_col(req, s, 7);
    p->policies = ssm_col(req, s, 8);
    p->data_type = ssm_col(req, s, 9);
    p->user = ssm_col(req, s, 10);
    p->modified = sqlite3_column_double(s, 11);
}

/* One row from a statement whose ?1 is the name: 1, 0 or NB_ESTORE. */
static int read_one(nb_req_t *req, sqlite3_stmt *s, ssm_param_t *out) {
    if (s == NULL)
        return NB_ESTORE;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        read_row(req, s, out);
        sqlite3_reset(s);
        return 1;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

static int latest_row(nb_req_t *req, const char *name, ssm_param_t *out) {
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                      "SELECT " SSM_COLUMNS " FROM params WHERE name = ?1 AND account = :account"
                                      " AND region = :region ORDER BY version DESC LIMIT 1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    return read_one(req, s, out);
}

/* An Expiration policy deletes the parameter at its time; it is applied when the parameter
 * is next read, which no client can tell from a deletion at the exact second. */
int ssm_param_latest(nb_req_t *req, const char *name, ssm_param_t *out) {
    int rc = latest_row(req, name, out);
    if (rc == 1 && out->policies != NULL) {
        double expiry = ssm_policies_expiry(out->policies);
        if (expiry > 0 && expiry <= nb_now()) {
            int d = ssm_param_delete(req, name);
            return d < 0 ? d : 0;
        }
    }
    return rc;
}

int ssm_param_version(nb_req_t *req, const char *name, int64_t version, ssm_param_t *out) {
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                      "SELECT " SSM_COLUMNS " FROM params WHERE name = ?1 AND version = ?2"
                                      " AND account = :account AND region = :region");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, version);
    return read_one(req, s, out);
}

int ssm_param_labelled(nb_req_t *req, const char *name, const char *label, ssm_param_t *out) {
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT version FROM labels WHERE name = ?1 AND label = ?2"
                                      " AND account = :account AND region = :region", name);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 2, label, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : NB_ESTORE;
    return ssm_param_version(req, name, version, out);
}

int ssm_param_insert(nb_req_t *req, const ssm_param_t *p) {
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                      "INSERT INTO params(name, version, type, value, key_id, description,"
                                      " allowed_pattern, tier, policies, data_type, user, modified, account, region)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, :account, :region)");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, p->version);
    sqlite3_bind_text(s, 3, p->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, p->value, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, p->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, p->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, p->allowed_pattern, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, p->tier, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, p->policies, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, p->data_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, p->user, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 12, p->modified);
    return nb_store_run(s);
}

sqlite3_stmt *ssm_stmt_named(nb_req_t *req, const char *sql, const char *name) {
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req, sql);
    if (s != NULL)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    return s;
}

static int run_named(nb_req_t *req, const char *sql, const char *name) {
    return nb_store_run(ssm_stmt_named(req, sql, name));
}

int ssm_param_delete(nb_req_t *req, const char *name) {
    int rc = run_named(req, "DELETE FROM params WHERE name = ?1 AND account = :account AND region = :region", name);
    if (rc != 0)
        return rc;
    int existed = sqlite3_changes(ssm.store.db) > 0;
    if ((rc = run_named(req, "DELETE FROM labels WHERE name = ?1 AND account = :account AND region = :region",
                        name)) != 0 ||
        (rc = run_named(req, "DELETE FROM tags WHERE name = ?1 AND account = :account AND region = :region", name)) !=
            0)
        return rc;
    return existed;
}

int ssm_param_count_versions(nb_req_t *req, const char *name, int64_t *oldest) {
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT count(*), min(version) FROM params WHERE name = ?1"
                                      " AND account = :account AND region = :region", name);
    if (s == NULL)
        return NB_ESTORE;
    int n = NB_ESTORE;
    if (sqlite3_step(s) == SQLITE_ROW) {
        n = sqlite3_column_int(s, 0);
        *oldest = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return n;
}

int ssm_param_delete_version(nb_req_t *req, const char *name, int64_t version) {
    sqlite3_stmt *s = ssm_stmt_named(req, "DELETE FROM params WHERE name = ?1 AND version = ?2"
                                      " AND account = :account AND region = :region", name);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 2, version);
    return nb_store_run(s);
}

json_t *ssm_param_labels(nb_req_t *req, const char *name, int64_t version) {
    json_t *labels = json_array();
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT label FROM labels WHERE name = ?1 AND version = ?2"
                                      " AND account = :account AND region = :region ORDER BY label", name);
    if (s == NULL)
        return labels;
    sqlite3_bind_int64(s, 2, version);
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(labels, json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    return labels;
}

ssm_param_t *ssm_param_list(nb_req_t *req, const char *prefix, size_t *count) {
    /* the latest version of each name: the row no later version of the same name follows */
    sqlite3_stmt *s = nb_store_scoped(
        &ssm.store, req,
        "SELECT " SSM_COLUMNS " FROM params p WHERE substr(name, 1, length(?1)) = ?1 AND account = :account"
        " AND region = :region AND version = (SELECT max(version) FROM params q WHERE q.name = p.name"
        " AND q.account = p.account AND q.region = p.region) ORDER BY name");
    *count = 0;
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
    size_t cap = 16, n = 0;
    ssm_param_t *list = nb_req_alloc(req, cap * sizeof *list);
    int rc;
    while (list != NULL && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            ssm_param_t *bigger = nb_req_alloc(req, cap * 2 * sizeof *list);
            if (bigger == NULL) {
                list = NULL;
                break;
            }
            memcpy(bigger, list, n * sizeof *list);
            list = bigger;
            cap *= 2;
        }
        read_row(req, s, &list[n++]);
    }
    sqlite3_reset(s);
    if (list == NULL)
        return NULL;
    /* drop what an Expiration policy removed (after the statement: deleting resets nothing it reads) */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        double expiry = list[i].policies ? ssm_policies_expiry(list[i].policies) : 0;
        if (expiry > 0 && expiry <= nb_now()) {
            if (ssm_param_delete(req, list[i].name) < 0)
                return NULL;
            continue;
        }
        list[kept++] = list[i];
    }
    *count = kept;
    return list;
}

const char *ssm_param_arn(nb_req_t *req, const char *name) {
    /* a name without a leading slash gets one in its ARN: parameter/name */
    return nb_req_printf(req, "arn:%s:ssm:%s:%s:parameter%s%s", nb_partition(nb_req_region(req)),
                         nb_req_region(req), nb_req_account(req), name[0] == '/' ? "" : "/", name);
}
