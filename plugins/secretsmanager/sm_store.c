#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "sm.h"

static void decref(void *data) { json_decref((json_t *)data); }

json_t *sm_req_keep(nb_req_t *req, json_t *v) {
    if (v != NULL && nb_req_on_free(req, decref, v) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *sm_meta_parse(const char *text) {
    json_t *meta = text ? nb_json_parse(text, strlen(text)) : NULL;
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
    }
    return meta;
}

/* Whether lookups parse the meta: GetSecretValue's do not. */
static bool light;
/* Whether an ARN is looked up in the account it names (sm_lookup_shared): reads another account's
 * resource policy may share. Other operations stay in req's account, where sm_save writes. */
static bool shared;

static void fill(nb_req_t *req, sqlite3_stmt *s, sm_secret_t *out) {
    out->arn = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0));
    out->name = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 1));
    out->deleted = sqlite3_column_type(s, 2) != SQLITE_NULL;
    out->deletion_date = out->deleted ? sqlite3_column_double(s, 2) : 0;
    out->primary = sqlite3_column_type(s, 4) == SQLITE_NULL ? NULL
                                                            : nb_req_strdup(req, (const char *)sqlite3_column_text(s, 4));
    out->accessed = sqlite3_column_type(s, 5) == SQLITE_NULL ? 0 : sqlite3_column_double(s, 5);
    out->meta = light ? NULL : sm_req_keep(req, sm_meta_parse((const char *)sqlite3_column_text(s, 3)));
    if (out->meta != NULL)
        sm_meta_time(out->meta, "LastAccessedDate", out->accessed);
}

#define SM_COLUMNS "SELECT arn, name, deletion_date, meta, primary_arn, accessed FROM secrets "

int sm_load_name(nb_req_t *req, const char *account, const char *region, const char *name, sm_secret_t *out) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &sm.store, SM_COLUMNS "WHERE name = ?1 AND account = :account AND region = :region", account, region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        fill(req, s, out);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? NB_ENOENT : NB_ESTORE;
}

/* By ARN in req's account, or when shared in the account the ARN names. */
static int load_arn(nb_req_t *req, const char *arn, sm_secret_t *out) {
    char buf[SM_ARN_SIZE];
    nb_arn_t parsed;
    const char *account = nb_req_account(req);
    if (shared && nb_arn_parse(arn, &parsed, buf, sizeof buf) == 0)
        account = parsed.account;
    sqlite3_stmt *s = nb_store_stmt_scoped(&sm.store, SM_COLUMNS "WHERE arn = ?1 AND account = :account AND region = :region",
                                           account, nb_req_region(req));
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        fill(req, s, out);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? NB_ENOENT : NB_ESTORE;
}

int sm_fault(sm_fault_t *f, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    f->code = code;
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return NB_EINVAL;
}

nb_step_t sm_check(nb_req_t *req, int rc, const sm_fault_t *f) {
    if (rc == 0)
        return NB_GO_ON;
    if (rc == NB_EINVAL)
        return nb_stop(nb_error(req, f->code, "%s", f->message));
    return nb_stop(NB_FAILED(rc));
}

int sm_lookup(nb_req_t *req, const char *id, sm_secret_t *out, sm_fault_t *f) {
    memset(out, 0, sizeof *out);
    int rc = NB_ENOENT;
    if (id != NULL && strncmp(id, "arn:", 4) == 0) {
        rc = load_arn(req, id, out);
        /* a partial ARN: the name without the random suffix */
        const char *res = strstr(id, ":secret:");
        if (rc == NB_ENOENT && res != NULL)
            rc = sm_load_name(req, nb_req_account(req), nb_req_region(req), res + 8, out);
    } else if (id != NULL) {
        rc = sm_load_name(req, nb_req_account(req), nb_req_region(req), id, out);
    }
    if (rc == NB_ENOENT)
        return sm_fault(f, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return rc;
}

int sm_lookup_light(nb_req_t *req, const char *id, sm_secret_t *out, sm_fault_t *f) {
    light = true;
    int rc = sm_lookup_shared(req, id, out, f);
    light = false;
    return rc;
}

int sm_lookup_shared(nb_req_t *req, const char *id, sm_secret_t *out, sm_fault_t *f) {
    shared = true;
    int rc = sm_lookup(req, id, out, f);
    shared = false;
    return rc;
}

#define SM_DAY 86400.0

int sm_touch(nb_req_t *req, sm_secret_t *s) {
    (void)req;
    double today = floor(nb_now() / SM_DAY) * SM_DAY;
    if (s->accessed >= today)
        return 0;
    s->accessed = today;
    if (s->meta != NULL)
        sm_meta_time(s->meta, "LastAccessedDate", today);
    sqlite3_stmt *st = nb_store_stmt(&sm.store, "UPDATE secrets SET accessed = ?2 WHERE arn = ?1");
    if (st == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(st, 1, s->arn, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, today);
    return nb_store_run(st);
}

nb_step_t sm_find(nb_req_t *req, const char *id, sm_secret_t *out) {
    sm_fault_t f;
    return sm_check(req, sm_lookup(req, id, out, &f), &f);
}

nb_result_t sm_err_deleted(nb_req_t *req) {
    return nb_error(req, "InvalidRequestException",
                    "You can't perform this operation on the secret because it was marked for deletion.");
}

nb_step_t sm_find_live(nb_req_t *req, const char *id, sm_secret_t *out) {
    NB_TRY_STEP(sm_find(req, id, out));
    if (out->deleted)
        return nb_stop(sm_err_deleted(req));
    return NB_GO_ON;
}

nb_step_t sm_find_primary(nb_req_t *req, const char *id, sm_secret_t *out) {
    NB_TRY_STEP(sm_find_live(req, id, out));
    if (out->primary != NULL)
        return nb_stop(nb_error(req, "InvalidRequestException",
                                "Operation not permitted on a replica secret. Call must be made in primary secret's "
                                "region."));
    return NB_GO_ON;
}

int sm_save(nb_req_t *req, const char *account, const char *region, const sm_secret_t *s) {
    (void)req;
    sqlite3_stmt *st = nb_store_stmt_scoped(&sm.store,
                                            "INSERT OR REPLACE INTO secrets(arn, name, deletion_date, created, meta,"
                                            " primary_arn, accessed, account, region)"
                                            " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, :account, :region)",
                                            account, region);
    char *text = nb_json_text(s->meta);
    if (st == NULL || text == NULL) {
        free(text);
        return st == NULL ? NB_ESTORE : NB_ENOMEM;
    }
    sqlite3_bind_text(st, 1, s->arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
    if (s->deleted)
        sqlite3_bind_double(st, 3, s->deletion_date);
    sqlite3_bind_double(st, 4, nb_json_num(s->meta, "CreatedDate", nb_now()));
    sqlite3_bind_text(st, 5, text, -1, free);
    const char *primary = nb_json_str(s->meta, "_primary");
    if (primary != NULL)
        sqlite3_bind_text(st, 6, primary, -1, SQLITE_STATIC);
    double accessed = nb_json_num(s->meta, "LastAccessedDate", 0);
    if (accessed > 0)
        sqlite3_bind_double(st, 7, accessed);
    return nb_store_run(st);
}

int sm_remove(const char *arn) {
    static const char *const sql[] = {
        "DELETE FROM labels WHERE arn = ?1",
        "DELETE FROM versions WHERE arn = ?1",
        "DELETE FROM secrets WHERE arn = ?1 OR primary_arn = ?1",
    };
    for (size_t i = 0; i < NB_STORE_COUNT(sql); i++) {
        sqlite3_stmt *s = nb_store_stmt(&sm.store, sql[i]);
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
        if (nb_store_run(s) != 0)
            return NB_ESTORE;
    }
    return 0;
}

const char *sm_value_arn(const sm_secret_t *s) { return s->primary ? s->primary : s->arn; }


const char *sm_new_arn(nb_req_t *req, const char *region, const char *name, const char *suffix) {
    char rnd[7];
    if (suffix == NULL) {
        if (nb_random_id(NB_ID_ALNUM, 6, rnd) != 0)
            return NULL;
        suffix = rnd;
    }
    return nb_req_printf(req, "arn:%s:secretsmanager:%s:%s:secret:%s-%s", nb_partition(region), region,
                         nb_req_account(req), name, suffix);
}

const char *sm_arn_suffix(const sm_secret_t *s) {
    size_t n = strlen(s->arn);
    return n > 6 ? s->arn + n - 6 : s->arn;
}

json_t *sm_public_meta(const sm_secret_t *s) {
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(s->meta, k, v) {
        if (k[0] != '_')
            json_object_set(out, k, v);
    }
    if (sm_key_is_default(nb_json_str(out, "KmsKeyId")))
        json_object_del(out, "KmsKeyId");
    if (json_array_size(json_object_get(out, "Tags")) == 0)
        json_object_del(out, "Tags");
    if (json_array_size(json_object_get(out, "ReplicationStatus")) == 0)
        json_object_del(out, "ReplicationStatus");
    json_object_set_new(out, "ARN", json_string(s->arn));
    json_object_set_new(out, "Name", json_string(s->name));
    return out;
}

void sm_meta_time(json_t *meta, const char *member, double t) {
    if (t > 0)
        json_object_set_new(meta, member, json_real(t));
    else
        json_object_del(meta, member);
}

nb_result_t sm_reply_arn_name(nb_req_t *req, const sm_secret_t *s) {
    return nb_reply_new(req, json_pack("{s:s,s:s}", "ARN", s->arn, "Name", s->name));
}

const char *sm_tag_value(const json_t *tags, const char *key) {
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        if (nb_json_str_eq(t, "Key", key))
            return nb_json_str(t, "Value");
    }
    return NULL;
}
