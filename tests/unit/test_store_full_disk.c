/*
 * Store tests. A full disk (RLIMIT_FSIZE) at commit: rolled back cleanly, lost writes reported.
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

/* RLIMIT_FSIZE stands in for a full disk: a write() past it fails with EFBIG.
 * limit_file_size(n) returns the limit to give back to restore_file_size. */
static struct rlimit limit_file_size(rlim_t bytes) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = bytes;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    return old;
}

static void restore_file_size(struct rlimit old) {
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
}

/* A write that does not fit (the disk is full) fails the commit, rolls back and
 * leaves a consistent database that takes the next write. */
Test(store, failed_commit_on_a_full_disk_rolls_back_cleanly) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v2, 2);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'before')");
    struct rlimit old = limit_file_size(256 * 1024);

    int failed_at_commit = 0;
    cr_assert_eq(nb__store_begin(st), 0);
    int rc = sqlite3_exec(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'small');"
                              "INSERT INTO messages(account, region, body) VALUES ('a', 'r', randomblob(2000000))",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        failed_at_commit = nb__store_commit(st) == NB_ESTORE;
        cr_assert(failed_at_commit, "a 2 MB commit cannot fit in 256 kB");
        cr_assert(strstr(nb__store_errmsg(st), "commit failed") != NULL, "%s", nb__store_errmsg(st));
    } else {
        /* the statement spilled and failed first: the gateway rolls back */
        cr_assert_eq(nb__store_rollback(st), 0);
    }
    cr_assert_eq(nb__store_depth(st), 0);
    cr_assert(sqlite3_get_autocommit(db));
    restore_file_size(old);

    cr_assert_eq(query_int(db, "SELECT count(*) FROM messages"), 1, "nothing of the failed request stayed");
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'after')");
    cr_assert_eq(nb__store_commit(st), 0, "%s", nb__store_errmsg(st));
    nb__store_close(st);

    st = open_disk("sqs", tmp_root);
    char *ok = query_text(nb__store_db(st), "PRAGMA integrity_check");
    cr_assert_str_eq(ok, "ok");
    free(ok);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM messages WHERE body IN ('before', 'after')"), 2);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM messages"), 2);
    nb__store_close(st);
}

/* A commit the disk cannot take tells the plugin its writes are gone; a rollback the
 * handler asked for (it answered an error) does not. The row (100 kB) stays in SQLite's
 * page cache until the commit writes it to the WAL, past the 64 kB file limit. */
Test(store, failed_commit_on_a_full_disk_reports_lost_writes) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v2, 2);
    int lost = 0;
    nb__store_on_lost_writes(st, count_lost, &lost);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'asked back')");
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(lost, 0, "a rollback the handler asked for is not a loss it must be told about");

    struct rlimit old = limit_file_size(64 * 1024);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', randomblob(100000))");
    int commit = nb__store_commit(st);
    restore_file_size(old);
    cr_assert_eq(commit, NB_ESTORE, "a 100 kB commit cannot fit in 64 kB");
    cr_assert_eq(lost, 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM messages"), 0);
    nb__store_close(st);
}
