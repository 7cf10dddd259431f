/*
 * Store tests. Blobs: written whole, removed at commit, kept inside their folder, moved from
 * bodies, swept.
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

Test(store, blobs_are_written_whole_and_removed) {
    nb__store_t *st = open_disk("s3", tmp_root);
    cr_assert_eq(nb__store_blob_put(st, "bucket-1/obj.v1", "hello world", 11), 0);
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "bucket-1/obj.v1", &path), 0);
    char *want = path_in("s3/blobs/bucket-1/obj.v1");
    cr_assert_str_eq(path, want);
    size_t len = 0;
    char *data = read_file(path, &len);
    cr_assert_eq(len, 11);
    cr_assert_eq(memcmp(data, "hello world", 11), 0);
    free(data);

    /* streamed, replacing the same key */
    nb__store_blob_writer_t *w;
    cr_assert_eq(nb__store_blob_begin(st, "bucket-1/obj.v1", &w), 0);
    cr_assert_eq(nb__store_blob_append(w, "new ", 4), 0);
    data = read_file(path, &len);
    cr_assert_eq(len, 11, "the old content stays visible until finish");
    free(data);
    cr_assert_eq(nb__store_blob_append(w, "content", 7), 0);
    cr_assert_eq(nb__store_blob_finish(w), 0);
    data = read_file(path, &len);
    cr_assert_eq(len, 11);
    cr_assert_eq(memcmp(data, "new content", 11), 0);
    free(data);

    /* aborted: nothing appears */
    cr_assert_eq(nb__store_blob_begin(st, "bucket-1/never", &w), 0);
    cr_assert_eq(nb__store_blob_append(w, "x", 1), 0);
    nb__store_blob_abort(w);
    char *never = path_in("s3/blobs/bucket-1/never");
    cr_assert_not(file_exists(never));

    cr_assert_eq(nb__store_blob_remove(st, "bucket-1/obj.v1"), 0);
    cr_assert_not(file_exists(path));
    cr_assert_eq(nb__store_blob_remove(st, "bucket-1/obj.v1"), NB_ENOENT);
    /* only the empty folder is left: no temp files */
    char *folder = path_in("s3/blobs/bucket-1");
    cr_assert_eq(rmdir(folder), 0);
    free(folder);
    free(never);
    free(want);
    free(path);
    nb__store_close(st);
}

/* An overwritten object's old body goes only when the rows that pointed to it go:
 * at the commit, not on a rollback, a rolled-back savepoint or a failed commit. */
Test(store, blob_removed_at_commit_stays_when_the_writes_are_lost) {
    nb__store_t *st = open_disk("s3", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v1, 1);
    int lost = 0;
    nb__store_on_lost_writes(st, count_lost, &lost);
    cr_assert_eq(nb__store_blob_put(st, "b/old", "old", 3), 0);
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b/old", &path), 0);

    /* rolled back: stays */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    cr_assert(file_exists(path), "not before the commit");
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert(file_exists(path));

    /* asked inside a savepoint that rolls back: forgotten, the outer commit keeps it */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert(file_exists(path));

    /* the transaction was lost before its commit: stays, and the plugin is told */
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'x')");
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    exec_ok(db, "ROLLBACK"); /* stands for SQLite rolling back after an I/O error */
    cr_assert_eq(nb__store_commit(st), NB_ESTORE);
    cr_assert(file_exists(path));
    cr_assert_eq(lost, 1);

    /* asked inside a released savepoint: removed at the outer commit */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert(file_exists(path), "not before the outer commit");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_not(file_exists(path));
    cr_assert_eq(lost, 1, "a commit that succeeds loses nothing");

    /* outside a transaction: at once */
    cr_assert_eq(nb__store_blob_put(st, "b/now", "x", 1), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/now"), 0);
    char *now = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b/now", &now), 0);
    cr_assert_not(file_exists(now));
    free(now);
    free(path);
    nb__store_close(st);
}

Test(store, blob_keys_cannot_escape_the_blob_folder) {
    nb__store_t *st = open_mem();
    const char *bad[] = {"../x", "/etc/passwd", "a//b", "a/", ".hidden", "a/../../b", "a/.nbtmp-1",
                         "sp ace", "a\\b", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = NULL;
        cr_assert_eq(nb__store_blob_path(st, bad[i], &p), NB_EINVAL, "key '%s'", bad[i]);
        cr_assert_null(p);
        cr_assert_eq(nb__store_blob_put(st, bad[i], "x", 1), NB_EINVAL, "key '%s'", bad[i]);
    }
    cr_assert_eq(nb__store_blob_path(st, NULL, &(char *){NULL}), NB_EINVAL);
    nb__store_close(st);
}

Test(store, blob_from_a_spilled_body_is_moved_into_place) {
    nb__store_t *st = open_disk("s3", tmp_root);
    char *src = path_in("upload.tmp");
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 10000; i++)
        fprintf(f, "%05d\n", i);
    fclose(f);
    cr_assert_eq(nb__store_blob_put_file(st, "b/big", src), 0, "%s", nb__store_errmsg(st));
    cr_assert_not(file_exists(src));
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b/big", &path), 0);
    size_t len = 0;
    char *data = read_file(path, &len);
    cr_assert_eq(len, 60000);
    cr_assert_eq(memcmp(data + 6 * 9999, "09999\n", 6), 0);
    free(data);
    cr_assert_eq(nb__store_blob_put_file(st, "b/other", src), NB_ENOENT);
    free(path);
    free(src);
    nb__store_close(st);
}

Test(store, blob_from_a_body_in_memory_or_spilled_to_a_file) {
    nb__store_t *st = open_disk("s3", tmp_root);
    nb_body_t *small = nb__body_from_mem("tiny body", 9);
    cr_assert_eq(nb__store_blob_put_body(st, "b/small", small), 0, "%s", nb__store_errmsg(st));
    nb__body_free(small);
    nb_body_t *big = nb__body_new(1024, tmp_root);
    char line[16];
    for (int i = 0; i < 20000; i++) {
        snprintf(line, sizeof(line), "%07d\n", i);
        cr_assert_eq(nb__body_append(big, line, 8), 0);
    }
    cr_assert_not_null(nb__body_path(big), "spilled to a file");
    cr_assert_eq(nb__store_blob_put_body(st, "b/big", big), 0, "%s", nb__store_errmsg(st));
    nb__body_free(big);
    char *path = NULL;
    size_t len = 0;
    cr_assert_eq(nb__store_blob_path(st, "b/small", &path), 0);
    char *data = read_file(path, &len);
    cr_assert(len == 9 && memcmp(data, "tiny body", 9) == 0);
    free(data);
    free(path);
    cr_assert_eq(nb__store_blob_path(st, "b/big", &path), 0);
    data = read_file(path, &len);
    cr_assert_eq(len, 160000);
    cr_assert_eq(memcmp(data + 8 * 19999, "0019999\n", 8), 0);
    free(data);
    free(path);
    nb__store_close(st);
}

static void *put_many(void *arg) {
    nb__store_t *st = ((void **)arg)[0];
    int t = (int)(intptr_t)((void **)arg)[1];
    for (int i = 0; i < 50; i++) {
        char key[32], val[32];
        snprintf(key, sizeof(key), "t%d/k%d", t, i);
        snprintf(val, sizeof(val), "%d-%d", t, i);
        if (nb__store_blob_put(st, key, val, strlen(val)) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(store, blobs_can_be_written_from_worker_threads) {
    nb__store_config_t cfg = {.tmp_dir = tmp_root};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("s3", &cfg, &st, NULL), 0);
    pthread_t th[4];
    void *args[4][2];
    for (int t = 0; t < 4; t++) {
        args[t][0] = st;
        args[t][1] = (void *)(intptr_t)t;
        cr_assert_eq(pthread_create(&th[t], NULL, put_many, args[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        void *ret = (void *)1;
        pthread_join(th[t], &ret);
        cr_assert_null(ret, "thread %d", t);
    }
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 50; i++) {
            char key[32], val[32], *p = NULL;
            snprintf(key, sizeof(key), "t%d/k%d", t, i);
            snprintf(val, sizeof(val), "%d-%d", t, i);
            cr_assert_eq(nb__store_blob_path(st, key, &p), 0);
            size_t len = 0;
            char *data = read_file(p, &len);
            cr_assert(data != NULL && len == strlen(val) && memcmp(data, val, len) == 0, "%s", key);
            free(data);
            free(p);
        }
    }
    /* one private folder for all of them */
    int folders = 0;
    DIR *d = opendir(tmp_root);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        folders += strncmp(e->d_name, "nimbus-s3-", 10) == 0;
    closedir(d);
    cr_assert_eq(folders, 1);
    nb__store_close(st);
}

Test(store, memory_store_blobs_live_in_a_temp_folder_removed_at_close) {
    nb__store_config_t cfg = {.tmp_dir = tmp_root};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("s3", &cfg, &st, NULL), 0);
    cr_assert_eq(nb__store_blob_put(st, "k/1", "abc", 3), 0);
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "k/1", &path), 0);
    cr_assert(strncmp(path, tmp_root, strlen(tmp_root)) == 0, "%s", path);
    cr_assert(file_exists(path));
    nb__store_close(st);
    cr_assert_not(file_exists(path));
    *strstr(path, "/k/1") = '\0';
    cr_assert_not(file_exists(path), "the folder itself is gone: %s", path);
    free(path);
}

Test(store, temp_files_left_by_a_crash_are_removed_at_open) {
    nb__store_t *st = open_disk("s3", tmp_root);
    cr_assert_eq(nb__store_blob_put(st, "b/kept", "k", 1), 0);
    nb__store_blob_writer_t *w;
    cr_assert_eq(nb__store_blob_begin(st, "b/half", &w), 0);
    cr_assert_eq(nb__store_blob_append(w, "half", 4), 0);
    /* a crash here: the writer is never finished (close its fd like the kernel would) */
    close(w->fd);
    char *tmp = strdup(w->tmp);
    free(w->tmp);
    free(w->final);
    free(w);
    cr_assert(file_exists(tmp));
    nb__store_close(st);
    st = open_disk("s3", tmp_root);
    cr_assert_not(file_exists(tmp));
    char *kept = path_in("s3/blobs/b/kept");
    cr_assert(file_exists(kept));
    free(kept);
    free(tmp);
    nb__store_close(st);
}

/* What a kill -9 left between a blob's write and its row's commit goes; kept keys stay. */
Test(store, blob_sweep_removes_only_blobs_not_kept) {
    nb__store_t *st = open_disk("s3", tmp_root);
    cr_assert_eq(nb__store_blob_put(st, "o/kept", "k", 1), 0);
    cr_assert_eq(nb__store_blob_put(st, "o/orphan", "o", 1), 0);
    cr_assert_eq(nb__store_blob_put(st, "p/up/1", "p", 1), 0);
    cr_assert_eq(nb__store_blob_put(st, "p/up/2", "q", 1), 0);
    char *keep[] = {strdup("p/up/1"), strdup("o/kept")}; /* unsorted: the sweep sorts */
    cr_assert_eq(nb__store_blob_sweep(st, keep, 2), 2);
    const char *left[] = {"o/kept", "p/up/1"}, *gone[] = {"o/orphan", "p/up/2"};
    for (int i = 0; i < 2; i++) {
        char *path = NULL;
        struct stat sb;
        cr_assert_eq(nb__store_blob_path(st, left[i], &path), 0);
        cr_assert_eq(stat(path, &sb), 0, "%s was kept", left[i]);
        free(path);
        cr_assert_eq(nb__store_blob_path(st, gone[i], &path), 0);
        cr_assert_neq(stat(path, &sb), 0, "%s was removed", gone[i]);
        free(path);
    }
    free(keep[0]);
    free(keep[1]);
    nb__store_close(st);
    nb__store_t *mem = open_mem(); /* in memory every start is empty: nothing to sweep */
    cr_assert_eq(nb__store_blob_put(mem, "o/x", "x", 1), 0);
    cr_assert_eq(nb__store_blob_sweep(mem, NULL, 0), 0);
    nb__store_close(mem);
}
