/*
 * Store tests. Reset and counts: the state a reset removes and keeps, and per-table counts.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/body.h"
#include "nimbus/store.h"
#include "store/store.h"
#include "store/store_impl.h"
#include "support/store_fixture.h"

TestSuite(store, .init = make_tmp, .fini = drop_tmp);

static const char *const schema_fk[] = {
    "CREATE TABLE buckets(" NB_STORE_SCOPE_COLUMNS ", name TEXT PRIMARY KEY);"
    "CREATE TABLE objects(id INTEGER PRIMARY KEY AUTOINCREMENT, " NB_STORE_SCOPE_COLUMNS
    ", bucket TEXT NOT NULL REFERENCES buckets(name), key TEXT);"
    "CREATE TABLE users(account TEXT NOT NULL, name TEXT);"
    "CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT);"
    "CREATE TABLE _meta(k TEXT);"
    "CREATE VIEW bucket_names AS SELECT name FROM buckets;",
};

static void seed_fk(sqlite3 *db) {
    exec_ok(db, "INSERT INTO buckets VALUES ('111111111111', 'us-east-1', 'b1'), ('111111111111', 'eu-west-1', 'b2'),"
                "('222222222222', 'us-east-1', 'b3');"
                "INSERT INTO objects(account, region, bucket, key) VALUES ('111111111111', 'us-east-1', 'b1', 'k1'),"
                "('111111111111', 'us-east-1', 'b1', 'k2');"
                "INSERT INTO users VALUES ('111111111111', 'alice'), ('111111111111', 'bob');"
                "INSERT INTO settings VALUES ('x', 'y');"
                "INSERT INTO _meta VALUES ('m');");
}

Test(store, reset_deletes_rows_and_blobs_but_keeps_schema_and_version) {
    nb__store_t *st = open_disk("s3", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_fk, 1);
    seed_fk(db);
    cr_assert_eq(nb__store_blob_put(st, "b1/obj", "data", 4), 0);
    char *blob = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b1/obj", &blob), 0);
    cr_assert(file_exists(blob));

    cr_assert_eq(nb__store_reset(st), 0, "%s", nb__store_errmsg(st));
    cr_assert_eq(query_int(db, "SELECT (SELECT count(*) FROM buckets) + (SELECT count(*) FROM objects) +"
                               "(SELECT count(*) FROM users) + (SELECT count(*) FROM settings) +"
                               "(SELECT count(*) FROM _meta)"),
                 0);
    cr_assert_not(file_exists(blob), "blobs are state too");
    cr_assert_eq(nb_store_version(db), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                               "('buckets', 'objects', 'users', 'settings', '_meta', 'bucket_names')"),
                 6);
    /* A reset store behaves like a new one: ids start over, foreign keys still hold. */
    exec_ok(db, "INSERT INTO buckets VALUES ('1', 'r', 'b9')");
    exec_ok(db, "INSERT INTO objects(account, region, bucket, key) VALUES ('1', 'r', 'b9', 'k')");
    cr_assert_eq(query_int(db, "SELECT id FROM objects"), 1);
    cr_assert_neq(sqlite3_exec(db, "INSERT INTO objects(account, region, bucket) VALUES ('1', 'r', 'nope')", NULL,
                               NULL, NULL),
                  SQLITE_OK);
    free(blob);
    nb__store_close(st);

    /* and the reset is durable */
    st = open_disk("s3", tmp_root);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM users"), 0);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM buckets"), 1);
    nb__store_close(st);
}

Test(store, reset_is_refused_inside_a_transaction) {
    nb__store_t *st = open_mem();
    migrate_ok(nb__store_db(st), schema_fk, 1);
    seed_fk(nb__store_db(st));
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_reset(st), NB_EINVAL);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM buckets"), 3);
    nb__store_close(st);
}

Test(store, counts_per_table_account_and_region) {
    nb__store_t *st = open_mem();
    migrate_ok(nb__store_db(st), schema_fk, 1);
    seed_fk(nb__store_db(st));
    json_t *out = json_object();
    cr_assert_eq(nb__store_counts(st, out), 0, "%s", nb__store_errmsg(st));
    json_t *want = json_pack(
        "{s:{s:i,s:{s:{s:i,s:i},s:{s:i}}},s:{s:i,s:{s:{s:i}}},s:{s:i,s:{s:{s:i}}},s:{s:i}}",
        "buckets", "total", 3, "accounts", "111111111111", "us-east-1", 1, "eu-west-1", 1, "222222222222",
        "us-east-1", 1,
        "objects", "total", 2, "accounts", "111111111111", "us-east-1", 2,
        "users", "total", 2, "accounts", "111111111111", "global", 2,
        "settings", "total", 1);
    char *got = json_dumps(out, JSON_SORT_KEYS);
    cr_assert(json_equal(out, want), "got %s", got);
    free(got);
    json_decref(want);
    json_decref(out);

    cr_assert_eq(nb__store_reset(st), 0);
    out = json_object();
    cr_assert_eq(nb__store_counts(st, out), 0);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "buckets"), "total")), 0);
    cr_assert_eq(json_object_size(json_object_get(json_object_get(out, "buckets"), "accounts")), 0);
    json_decref(out);
    cr_assert_eq(nb__store_counts(st, NULL), NB_EINVAL);
    nb__store_close(st);
}
