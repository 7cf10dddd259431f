#include "ddb_jobs.h"

#include <stdlib.h>
#include <string.h>

int ddb_job_insert(nb_req_t *req, const char *kind, const char *arn, const char *table_arn, const json_t *def) {
    char *text = json_dumps(def, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "INSERT INTO jobs(arn, kind, table_arn, def, account, region)"
                                      " VALUES(?1, ?2, ?3, ?4, :account, :region)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, table_arn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, text, -1, free);
    return nb_store_run(s);
}

json_t *ddb_job_load(nb_req_t *req, const char *kind, const char *arn) {
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT def FROM jobs WHERE arn = ?1 AND kind = ?2 AND account = :account"
                                      " AND region = :region");
    if (s == NULL || arn == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    json_t *def = sqlite3_step(s) == SQLITE_ROW ? json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL) : NULL;
    sqlite3_reset(s);
    return def;
}

json_t *ddb_job_list(nb_req_t *req, const char *kind, const char *table_arn) {
    json_t *list = json_array();
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT def FROM jobs WHERE kind = ?1 AND (?2 IS NULL OR table_arn = ?2)"
                                      " AND account = :account AND region = :region ORDER BY arn");
    if (s == NULL)
        return list;
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    if (table_arn != NULL)
        sqlite3_bind_text(s, 2, table_arn, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *def = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (def != NULL)
            json_array_append_new(list, def);
    }
    sqlite3_reset(s);
    return list;
}

typedef struct job_update {
    char *arn;
    json_t *fields;
} job_update_t;

static void apply(nb_timer_t *timer, void *data) {
    job_update_t *u = data;
    nb_timer_stop(timer);
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT def FROM jobs WHERE arn = ?1");
    json_t *def = NULL;
    if (s != NULL) {
        sqlite3_bind_text(s, 1, u->arn, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW)
            def = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        sqlite3_reset(s);
    }
    if (def != NULL) {
        json_object_update(def, u->fields);
        json_object_set_new(def, "EndTime", json_real(nb_now()));
        char *text = json_dumps(def, JSON_COMPACT);
        if (text != NULL && (s = nb_store_stmt(&ddb.store, "UPDATE jobs SET def = ?2 WHERE arn = ?1")) != NULL) {
            sqlite3_bind_text(s, 1, u->arn, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 2, text, -1, free);
            nb_store_run(s);
        } else {
            free(text);
        }
        json_decref(def);
    }
    free(u->arn);
    json_decref(u->fields);
    free(u);
}

void ddb_job_update_later(const char *arn, json_t *fields_new) {
    job_update_t *u = calloc(1, sizeof *u);
    if (u != NULL && (u->arn = strdup(arn)) != NULL) {
        u->fields = fields_new;
        if (nb_timer_start(ddb.self, 0, 0, apply, u) != NULL)
            return;
        free(u->arn);
    }
    free(u);
    json_decref(fields_new);
}

static int recode(json_t *s, int to_base64) {
    size_t len = json_string_length(s);
    size_t cap = to_base64 ? NB_BASE64_SIZE(len) : NB_BASE64_DECODED_SIZE(len) + 1;
    char *buf = malloc(cap);
    ssize_t n = buf == NULL ? -1
                : to_base64 ? nb_base64_encode(json_string_value(s), len, 0, buf, cap)
                            : nb_base64_decode(json_string_value(s), len, 0, (unsigned char *)buf, cap);
    if (n >= 0)
        json_string_setn_nocheck(s, buf, (size_t)n);
    free(buf);
    return n >= 0 ? 0 : -1;
}

int ddb_json_binary(json_t *av, int to_base64) {
    const char *type;
    json_t *v;
    int rc = 0;
    json_object_foreach(av, type, v) {
        size_t i;
        json_t *e;
        const char *k;
        if (strcmp(type, "B") == 0)
            rc |= recode(v, to_base64);
        else if (strcmp(type, "BS") == 0)
            json_array_foreach(v, i, e) rc |= recode(e, to_base64);
        else if (strcmp(type, "L") == 0)
            json_array_foreach(v, i, e) rc |= ddb_json_binary(e, to_base64);
        else if (strcmp(type, "M") == 0)
            json_object_foreach(v, k, e) rc |= ddb_json_binary(e, to_base64);
    }
    return rc;
}
