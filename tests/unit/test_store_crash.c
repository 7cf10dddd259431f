/*
 * Store tests. kill -9 at random points: no acknowledged write is lost.
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

/* The child acknowledges each committed row (and its blob, every 4th row) on
 * the pipe, as a server answers a client; the parent kills it at a random
 * point and checks that every acknowledged write is there after reopening. */
static void crash_child(const char *dir, int ack_fd) {
    nb__store_config_t cfg = {.persistence = 1, .data_dir = (char *)dir};
    nb__store_t *st = NULL;
    if (nb__store_open("crash", &cfg, &st, NULL) != 0)
        _exit(2);
    static const char *const schema[] = {"CREATE TABLE rows(id INTEGER PRIMARY KEY, " NB_STORE_SCOPE_COLUMNS
                                         ", payload TEXT NOT NULL);"};
    sqlite3 *db = nb__store_db(st);
    if (nb_store_migrate(db, schema, 1, NULL) != 0)
        _exit(3);
    nb_store_t cache;
    nb_store_init(&cache, db);
    sqlite3_stmt *max = nb_store_stmt(&cache, "SELECT coalesce(max(id), -1) FROM rows");
    if (max == NULL || sqlite3_step(max) != SQLITE_ROW)
        _exit(4);
    int next = sqlite3_column_int(max, 0) + 1;
    for (int i = next;; i++) {
        char payload[64], key[32];
        snprintf(payload, sizeof(payload), "row-%d-%d", i, i * 7);
        if (i % 4 == 0) {
            snprintf(key, sizeof(key), "r/%d", i);
            if (nb__store_blob_put(st, key, payload, strlen(payload)) != 0)
                _exit(5);
        }
        if (nb__store_begin(st) != 0)
            _exit(6);
        sqlite3_stmt *ins = nb_store_stmt_scoped(
            &cache, "INSERT INTO rows(id, payload, account, region) VALUES (?1, ?2, :account, :region)", "000000000000", "us-east-1");
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_text(ins, 2, payload, -1, SQLITE_TRANSIENT);
        if (nb_store_run(ins) != 0 || nb__store_commit(st) != 0)
            _exit(7);
        if (write(ack_fd, &i, sizeof(i)) != sizeof(i))
            _exit(8);
    }
}

Test(store, kill_9_at_random_points_loses_no_acknowledged_write, .timeout = 240) {
    char *dir = path_in("crash");
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    cr_log_info("seed %u", seed);
    int highest = -1, kills = 0;
    for (int round = 0; round < 24; round++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(fds[0]);
            crash_child(dir, fds[1]);
        }
        close(fds[1]);
        /* Kill after a random number of acknowledgements plus a random delay,
         * so the kill lands anywhere: during open, recovery, a write, a commit. */
        int wait_acks = rand() % 61, got = 0, last = highest, v;
        while (got < wait_acks && read(fds[0], &v, sizeof(v)) == sizeof(v)) {
            last = v;
            got++;
        }
        /* Half the rounds kill the moment an acknowledgement arrives: the
         * narrowest window around an acknowledged commit. */
        if (rand() % 2)
            usleep((useconds_t)(rand() % 3000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "round %d: child exited with %d", round,
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        kills++;
        while (read(fds[0], &v, sizeof(v)) == sizeof(v))
            last = v; /* acknowledged just before the kill */
        close(fds[0]);

        nb__store_t *st = open_disk("crash", dir);
        sqlite3 *db = nb__store_db(st);
        if (query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'rows'") == 0) {
            /* killed before the first child's migration committed: nothing was acknowledged */
            cr_assert_eq(last, -1, "round %d: row %d was acknowledged, yet there is no table", round, last);
            nb__store_close(st);
            continue;
        }
        sqlite3_stmt *s = NULL;
        cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id, payload FROM rows ORDER BY id", -1, &s, NULL), SQLITE_OK);
        int expect = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            int id = sqlite3_column_int(s, 0);
            cr_assert_eq(id, expect, "round %d: rows are contiguous (missing %d)", round, expect);
            char want[64];
            snprintf(want, sizeof(want), "row-%d-%d", id, id * 7);
            cr_assert_str_eq((const char *)sqlite3_column_text(s, 1), want);
            if (id % 4 == 0) {
                char key[32], *bp = NULL;
                snprintf(key, sizeof(key), "r/%d", id);
                cr_assert_eq(nb__store_blob_path(st, key, &bp), 0);
                size_t len = 0;
                char *data = read_file(bp, &len);
                cr_assert_not_null(data, "round %d: blob of committed row %d exists", round, id);
                cr_assert(len == strlen(want) && memcmp(data, want, len) == 0, "round %d: blob %d is whole", round,
                          id);
                free(data);
                free(bp);
            }
            expect++;
        }
        sqlite3_finalize(s);
        cr_assert_geq(expect - 1, last, "round %d: acknowledged up to %d, found up to %d", round, last, expect - 1);
        highest = expect - 1;
        nb__store_close(st);
    }
    cr_assert_geq(kills, 20);
    cr_log_info("%d kills, %d rows survived", kills, highest + 1);
    free(dir);
}
