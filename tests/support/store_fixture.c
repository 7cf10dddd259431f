/* The store tests' shared fixture: see store_fixture.h. */
#include "support/store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nimbus/store.h"
#include "store/store_impl.h"

char tmp_root[256];

void make_tmp(void) {
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/nb-test-store-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root));
}
void drop_tmp(void) {
    chmod(tmp_root, 0700);
    nb__store_remove_tree(tmp_root, 0, 0);
}

char *path_in(const char *rel) {
    char *p = malloc(strlen(tmp_root) + strlen(rel) + 2);
    sprintf(p, "%s/%s", tmp_root, rel);
    return p;
}

nb__store_t *open_mem(void) {
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("svc", NULL, &st, &err), 0, "%s", err ? err : "");
    return st;
}

nb__store_t *open_disk(const char *service, char *dir) {
    nb__store_config_t cfg = {.persistence = 1, .data_dir = dir};
    nb__store_t *st = NULL;
    char *err = NULL;
    int rc = nb__store_open(service, &cfg, &st, &err);
    cr_assert_eq(rc, 0, "open %s in %s: %s", service, dir, err ? err : "");
    return st;
}

int query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    int v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
}

char *query_text(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    char *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
        v = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
}

void exec_ok(sqlite3 *db, const char *sql) {
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
}

const char *const schema_v1[1] = {
    "CREATE TABLE queues(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, PRIMARY KEY(account, region, name));",
};
const char *const schema_v2[2] = {
    "CREATE TABLE queues(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, PRIMARY KEY(account, region, name));",
    "ALTER TABLE queues ADD COLUMN delay INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE messages(id INTEGER PRIMARY KEY AUTOINCREMENT, " NB_STORE_SCOPE_COLUMNS ", body TEXT);",
};

void migrate_ok(sqlite3 *db, const char *const *scripts, size_t n) {
    char *err = NULL;
    int rc = nb_store_migrate(db, scripts, n, &err);
    cr_assert_eq(rc, 0, "%s", err ? err : "");
    cr_assert_null(err);
}

int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

char *read_file(const char *p, size_t *len) {
    FILE *f = fopen(p, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}
void count_lost(void *data) { (*(int *)data)++; }
