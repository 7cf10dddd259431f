/*
 * nimbus-bench-store: how many acknowledged writes per second the state store
 * takes, each one a request's worth of work: begin, one scoped INSERT through
 * the statement cache, commit (durable on disk when persistence is on).
 *
 *   nimbus-bench-store [-t seconds per mode] [-d data dir]
 *
 * Prints one line per mode: in memory, on disk with synchronous=FULL (the
 * default), on disk with synchronous=NORMAL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nimbus/store.h"
#include "store/store.h"
#include "store/store_impl.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *const schema[] = {
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, " NB_STORE_SCOPE_COLUMNS ", queue TEXT NOT NULL,"
    " body TEXT NOT NULL, sent REAL NOT NULL);"
    "CREATE INDEX messages_scope ON messages(account, region, queue);",
};

static int run(const char *label, const nb__store_config_t *cfg, double seconds) {
    nb__store_t *st = NULL;
    char *err = NULL;
    if (nb__store_open("bench", cfg, &st, &err) != 0) {
        fprintf(stderr, "nimbus-bench-store: %s\n", err ? err : "cannot open the store");
        free(err);
        return 1;
    }
    if (nb_store_migrate(nb__store_db(st), schema, NB_STORE_COUNT(schema), &err) != 0) {
        fprintf(stderr, "nimbus-bench-store: %s\n", err);
        sqlite3_free(err);
        nb__store_close(st);
        return 1;
    }
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    size_t cap = 1 << 16, n = 0;
    double *lat = malloc(cap * sizeof(*lat));
    char body[256];
    memset(body, 'm', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    double start = now(), end = start + seconds, t = start;
    int rc = 0;
    while (t < end) {
        double t0 = t;
        if (nb__store_begin(st) != 0) {
            rc = 1;
            break;
        }
        sqlite3_stmt *s = nb_store_stmt_scoped(
            &cache, "INSERT INTO messages(queue, body, sent, account, region) VALUES (?1, ?2, ?3, :account, :region)",
            "000000000000", "us-east-1");
        if (s == NULL) {
            rc = 1;
            break;
        }
        sqlite3_bind_text(s, 1, "bench-queue", -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, body, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 3, t0);
        if (nb_store_run(s) != 0 || nb__store_commit(st) != 0) {
            rc = 1;
            break;
        }
        t = now();
        if (n == cap) {
            double *more = realloc(lat, 2 * cap * sizeof(*lat));
            if (more == NULL) {
                rc = 1;
                break;
            }
            lat = more;
            cap *= 2;
        }
        lat[n++] = t - t0;
    }
    if (rc != 0) {
        fprintf(stderr, "nimbus-bench-store: %s: write failed: %s %s\n", label, nb__store_errmsg(st),
                sqlite3_errmsg(nb__store_db(st)));
    } else if (n > 0) {
        qsort(lat, n, sizeof(*lat), cmp_double);
        double elapsed = t - start;
        printf("%-28s %9zu writes in %5.2f s = %10.0f writes/s   p50 %8.1f us   p99 %8.1f us\n", label, n, elapsed,
               (double)n / elapsed, lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6);
    }
    free(lat);
    nb_store_fini(&cache);
    nb__store_close(st);
    return rc;
}

int main(int argc, char **argv) {
    double seconds = 2.0;
    const char *dir = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "t:d:h")) != -1) {
        if (opt == 't') {
            seconds = atof(optarg);
        } else if (opt == 'd') {
            dir = optarg;
        } else {
            fprintf(stderr, "usage: %s [-t seconds per mode] [-d data dir]\n", argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    if (seconds <= 0) {
        fprintf(stderr, "nimbus-bench-store: -t must be positive\n");
        return 2;
    }
    char tmp[] = "/tmp/nimbus-bench-store-XXXXXX";
    int own = dir == NULL;
    if (own && (dir = mkdtemp(tmp)) == NULL) {
        fprintf(stderr, "nimbus-bench-store: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    printf("acknowledged single-row writes (begin, scoped INSERT, commit), %.1f s per mode, data dir %s\n", seconds,
           dir);
    nb__store_config_t mem = {0};
    nb__store_config_t full = {.persistence = 1, .data_dir = dir, .sync = NB__STORE_SYNC_FULL};
    nb__store_config_t normal = {.persistence = 1, .data_dir = dir, .sync = NB__STORE_SYNC_NORMAL};
    int rc = run("memory", &mem, seconds);
    char path[4096];
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "nimbus-bench-store: %s exists; give an empty data dir\n", path);
        return 2;
    }
    rc |= run("disk, synchronous=FULL", &full, seconds);
    unlink(path);
    rc |= run("disk, synchronous=NORMAL", &normal, seconds);
    unlink(path);
    if (own)
        nb__store_remove_tree(dir, 0, 0);
    return rc;
}
