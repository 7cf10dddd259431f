/*
 * Store tests. Opening a store: persistence, and every way a data folder or database file is
 * refused.
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

Test(store, persisted_rows_survive_close_and_reopen_in_wal_mode) {
    char *dir = path_in("data/nested");
    nb__store_t *st = open_disk("sqs", dir);
    char *want_path = path_in("data/nested/sqs.db");
    cr_assert_str_eq(nb__store_path(st), want_path);
    sqlite3 *db = nb__store_db(st);
    char *mode = query_text(db, "PRAGMA journal_mode");
    cr_assert_str_eq(mode, "wal");
    free(mode);
    cr_assert_eq(query_int(db, "PRAGMA synchronous"), 2, "FULL by default");
    migrate_ok(db, schema_v1, 1);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('000000000000', 'us-east-1', 'kept')");
    cr_assert_eq(nb__store_commit(st), 0);
    nb__store_close(st);

    st = open_disk("sqs", dir);
    char *name = query_text(nb__store_db(st), "SELECT name FROM queues");
    cr_assert_str_eq(name, "kept");
    free(name);
    nb__store_close(st);
    free(dir);
    free(want_path);
}

Test(store, memory_store_starts_empty_every_time) {
    nb__store_t *st = open_mem();
    cr_assert_null(nb__store_path(st));
    migrate_ok(nb__store_db(st), schema_v1, 1);
    exec_ok(nb__store_db(st), "INSERT INTO queues VALUES ('a', 'r', 'gone')");
    nb__store_close(st);
    st = open_mem();
    cr_assert_eq(nb_store_version(nb__store_db(st)), 0);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM sqlite_schema"), 0);
    nb__store_close(st);
}

Test(store, normal_sync_is_configurable) {
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root, .sync = NB__STORE_SYNC_NORMAL};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, NULL), 0);
    cr_assert_eq(query_int(nb__store_db(st), "PRAGMA synchronous"), 1);
    nb__store_close(st);
}

Test(store, data_dir_under_a_file_is_reported_with_its_path) {
    char *file = path_in("plainfile");
    FILE *f = fopen(file, "w");
    fputs("x", f);
    fclose(f);
    char *dir = path_in("plainfile/data");
    char *err = NULL;
    cr_assert_eq(nb__store_check_data_dir(dir, &err), NB_EIO);
    cr_assert(strstr(err, dir) != NULL && strstr(err, "Not a directory") != NULL, "%s", err);
    free(err);
    err = NULL;
    nb__store_config_t cfg = {.persistence = 1, .data_dir = dir};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_EIO);
    cr_assert_null(st);
    cr_assert(strstr(err, dir) != NULL, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(nb__store_check_data_dir(file, &err), NB_EIO);
    cr_assert(strstr(err, file) != NULL, "%s", err);
    free(err);
    cr_assert_eq(nb__store_check_data_dir("", &err), NB_EINVAL);
    free(err);
    free(dir);
    free(file);
}

/* Out of descriptors, a store cannot open now but can later: NB_EAGAIN (the service is
 * started again on a later request), and the same store opens once descriptors are free. */
Test(store, a_store_without_descriptors_to_open_says_try_again) {
    nb__store_t *saved = open_disk("sqs", tmp_root); /* an existing database, as after a restart */
    nb__store_close(saved);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {64, 64};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(3);
        int last = -1;
        for (int fd; (fd = dup(0)) >= 0;)
            last = fd;
        nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
        nb__store_t *st = NULL;
        char *err = NULL;
        int rc = nb__store_open("sqs", &cfg, &st, &err);
        if (rc != NB_EAGAIN || st != NULL || err == NULL || strstr(err, "Too many open files") == NULL)
            _exit(1);
        free(err);
        for (int fd = 3; fd <= last; fd++)
            close(fd);
        rc = nb__store_open("sqs", &cfg, &st, NULL);
        nb__store_close(st);
        _exit(rc == 0 ? 0 : 2);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

/* Root ignores permission bits: drop to nobody in a child to see what a user sees. */
Test(store, unwritable_data_dir_is_reported_with_its_path) {
    char *locked = path_in("locked");
    cr_assert_eq(mkdir(locked, 0555), 0);
    chmod(tmp_root, 0755);
    char *dir = path_in("locked/data");
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        char *err = NULL, *err2 = NULL;
        int rc = nb__store_check_data_dir(dir, &err);         /* to be created in it */
        int rc2 = nb__store_check_data_dir(locked, &err2);    /* exists, read-only */
        if (err == NULL || err2 == NULL || dprintf(fds[1], "%s\n%s", err, err2) < 0)
            _exit(4);
        /* NB_EAGAIN: permissions an operator can fix while the server runs (a later request retries) */
        _exit(rc == NB_EAGAIN && rc2 == NB_EAGAIN ? 0 : 1);
    }
    close(fds[1]);
    char msg[1024] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(msg) - 1 && (n = read(fds[0], msg + got, sizeof(msg) - 1 - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d: %s", status, msg);
    char *second = strchr(msg, '\n');
    cr_assert_not_null(second, "%s", msg);
    *second++ = '\0';
    cr_assert(strstr(msg, dir) != NULL && strstr(msg, "Permission denied") != NULL, "%s", msg);
    cr_assert(strstr(msg, "cannot create") != NULL, "%s", msg);
    cr_assert(strstr(second, locked) != NULL && strstr(second, "not writable: Permission denied") != NULL, "%s",
              second);
    free(dir);
    free(locked);
}

Test(store, garbage_database_file_is_refused_with_its_path) {
    char *db = path_in("sqs.db");
    FILE *f = fopen(db, "w");
    for (int i = 0; i < 300; i++)
        fputs("this is not a database, just some text. ", f);
    fclose(f);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_ESTORE);
    cr_assert_null(st);
    cr_assert(strstr(err, db) != NULL && strstr(err, "not a SQLite database") != NULL, "%s", err);
    free(err);
    /* the file is left as it was, for the user to inspect */
    size_t len = 0;
    char *content = read_file(db, &len);
    cr_assert(len > 0 && strncmp(content, "this is not", 11) == 0);
    free(content);
    free(db);
}

Test(store, damaged_pages_are_detected_at_open) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *sdb = nb__store_db(st);
    migrate_ok(sdb, schema_v2, 2);
    exec_ok(sdb, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                 "INSERT INTO messages(account, region, body) SELECT 'a', 'r', printf('%0200d', i) FROM n");
    nb__store_close(st); /* checkpoints the WAL into the file */
    char *db = path_in("sqs.db");
    struct stat sb;
    cr_assert_eq(stat(db, &sb), 0);
    cr_assert_gt(sb.st_size, 16 * 4096);
    int fd = open(db, O_WRONLY);
    char junk[4096];
    memset(junk, 0xA5, sizeof(junk));
    /* trash interior pages, keep the header page */
    for (off_t off = 4096 * 3; off < 4096 * 12; off += 4096)
        cr_assert_eq(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
    close(fd);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
    char *err = NULL;
    st = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_ESTORE);
    cr_assert(strstr(err, db) != NULL && strstr(err, "corrupt") != NULL, "%s", err);
    free(err);
    free(db);
}

Test(store, another_applications_database_is_refused) {
    char *db_path = path_in("sqs.db");
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    exec_ok(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
    sqlite3_close(db);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_ESTORE);
    cr_assert(strstr(err, db_path) != NULL && strstr(err, "another application") != NULL, "%s", err);
    free(err);
    free(db_path);
}

Test(store, a_second_server_on_the_same_data_dir_is_refused) {
    nb__store_t *first = open_disk("sqs", tmp_root);
    migrate_ok(nb__store_db(first), schema_v1, 1);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root, .busy_timeout_ms = 50};
    nb__store_t *second = NULL;
    char *err = NULL;
    /* NB_EAGAIN: the server holding it may be stopping */
    cr_assert_eq(nb__store_open("sqs", &cfg, &second, &err), NB_EAGAIN);
    cr_assert(strstr(err, "locked") != NULL, "%s", err);
    free(err);
    nb__store_close(first);
    err = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &second, &err), 0, "%s", err ? err : "");
    nb__store_close(second);
}

Test(store, invalid_service_names_are_refused) {
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("../etc", NULL, &st, &err), NB_EINVAL);
    cr_assert(strstr(err, "../etc") != NULL);
    free(err);
    cr_assert_eq(nb__store_open("", NULL, &st, NULL), NB_EINVAL);
}

/* A statement that needs a temp file SQLite cannot open for want of descriptors is told
 * apart from a damaged store: the client gets a 503 to retry, not a 500. */
Test(store, a_temp_file_missing_for_want_of_descriptors_is_exhaustion) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    exec_ok(db, "PRAGMA temp_store=FILE; PRAGMA cache_size=10");
    exec_ok(db, "CREATE TABLE big(x)");
    exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                "INSERT INTO big SELECT printf('%0100d', random()) FROM n");
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {64, 64};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(3);
        while (dup(0) >= 0)
            ;
        int rc = sqlite3_exec(db, "SELECT count(*) FROM (SELECT DISTINCT x FROM big ORDER BY x)", NULL, NULL, NULL);
        _exit(rc != SQLITE_OK && nb__store_exhausted(st) ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM (SELECT DISTINCT x FROM big ORDER BY x)", NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(nb__store_exhausted(st), 0);
    nb__store_close(st);
}

/* New databases get 2 KiB pages (a commit copies every page it touches); one made with SQLite's
 * default 4 KiB keeps them and its rows. */
Test(store, new_databases_get_small_pages_existing_keep_theirs) {
    nb__store_t *st = open_mem();
    cr_assert_eq(query_int(nb__store_db(st), "PRAGMA page_size"), 2048);
    nb__store_close(st);
    char *dir = path_in("data");
    st = open_disk("sqs", dir);
    cr_assert_eq(query_int(nb__store_db(st), "PRAGMA page_size"), 2048);
    nb__store_close(st);

    char *old_path = path_in("old/sqs.db");
    char *old_dir = path_in("old");
    cr_assert_eq(mkdir(old_dir, 0755), 0);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(old_path, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA page_size=4096; PRAGMA application_id=1312969556; PRAGMA journal_mode=WAL");
    exec_ok(db, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here')");
    sqlite3_close(db);
    st = open_disk("sqs", old_dir);
    cr_assert_eq(query_int(nb__store_db(st), "PRAGMA page_size"), 4096);
    char *v = query_text(nb__store_db(st), "SELECT v FROM kept");
    cr_assert_str_eq(v, "still here");
    free(v);
    nb__store_close(st);
    free(old_path);
    free(old_dir);
    free(dir);
}
