#include "store/store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PRAGMA application_id of a Nimbus database ("NBST"): tells our files from
 * another program's SQLite file that happens to sit at the same path. */
#define NB__STORE_APP_ID 0x4e425354
#define NB__STORE_PAGE_SIZE_TEXT "2048"

static char *msg_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *msg_new(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

#define SET_ERR(err, ...)                                                                                              \
    do {                                                                                                               \
        if ((err) != NULL)                                                                                             \
            *(err) = msg_new(__VA_ARGS__);                                                                             \
    } while (0)

void nb__store_set_err(nb__store_t *st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&st->lock);
    vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
    pthread_mutex_unlock(&st->lock);
    va_end(ap);
}

int nb__store_errno_code(int e, int otherwise) {
    return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS || e == EAGAIN ? NB_EAGAIN : otherwise;
}

/* A store that cannot open for a reason outside its files' contents (exhausted
 * resources, a full disk, I/O errors, permissions an operator can fix while the
 * server runs) is worth opening again later; a corrupt file is not. */
static int open_errno_code(int e, int otherwise) {
    switch (e) {
    case EIO: case ENOSPC: case EDQUOT: case EFBIG: case EACCES: case EPERM: case EROFS: case ENOENT:
        return NB_EAGAIN;
    default:
        return nb__store_errno_code(e, otherwise);
    }
}

static int open_sqlite_code(sqlite3 *db, int rc) {
    switch (rc & 0xff) {
    case SQLITE_BUSY: /* another server still holds the file: it may be stopping */
    case SQLITE_NOMEM:
    case SQLITE_FULL:
        return NB_EAGAIN;
    case SQLITE_CANTOPEN: case SQLITE_IOERR: case SQLITE_READONLY: case SQLITE_PERM:
        return open_errno_code(db ? sqlite3_system_errno(db) : 0, NB_ESTORE);
    default:
        return NB_ESTORE;
    }
}

int nb__store_fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int nb__store_mkdirs(const char *path, int durable) {
    char *p = strdup(path);
    if (p == NULL)
        return -ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) == 0) {
            if (durable) {
                char *slash = strrchr(p, '/');
                if (slash == p) {
                    rc = nb__store_fsync_dir("/");
                } else if (slash != NULL) {
                    *slash = '\0';
                    rc = nb__store_fsync_dir(p);
                    *slash = '/';
                } else {
                    rc = nb__store_fsync_dir(".");
                }
                if (rc != 0)
                    break;
            }
        } else if (errno != EEXIST) {
            rc = -errno;
            break;
        } else {
            struct stat sb;
            if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
                rc = -ENOTDIR;
                break;
            }
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

/* Space kept free in the data dir for a disk that fills up: released when it is full,
 * so the deletes that free space can still commit (SQLite needs room in its WAL even
 * to delete), and made again at a start that finds room. */
#define NB__RESERVE_NAME ".nimbus-reserve"
#define NB__RESERVE_BYTES (256 * 1024)

/* Once released, the reserve is made again only by the next server (one data dir a server). */
static int reserve_released;

static void reserve_release(const char *dir) {
    reserve_released = 1;
    char *path = msg_new("%s/" NB__RESERVE_NAME, dir);
    if (path != NULL && unlink(path) == 0)
        fprintf(stderr, "nimbus: %s: the disk is full: released the space kept for deletes\n", dir);
    free(path);
}

static void reserve_make(const char *dir) {
    char *path = msg_new("%s/" NB__RESERVE_NAME, dir);
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (fd >= 0) {
        static const char zeros[64 * 1024];
        int ok = 1;
        for (size_t done = 0; ok && done < NB__RESERVE_BYTES; done += sizeof zeros)
            ok = write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros;
        if (!ok || fsync(fd) != 0)
            unlink(path); /* no room for it: the disk is nearly full already */
        close(fd);
    }
    free(path);
}

/* nb__store_check_data_dir; *full tells a disk that had no room left. */
static int check_data_dir(const char *dir, char **err, int *full) {
    *full = reserve_released;
    if (err != NULL)
        *err = NULL;
    if (dir == NULL || dir[0] == '\0') {
        SET_ERR(err, "DATA_DIR is empty: persistence needs a data directory");
        return NB_EINVAL;
    }
    int rc = nb__store_mkdirs(dir, 1);
    if (rc != 0) {
        SET_ERR(err, "%s: cannot create the data directory: %s", dir, strerror(-rc));
        return open_errno_code(-rc, NB_EIO);
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        SET_ERR(err, "%s: not a directory", dir);
        return NB_EIO;
    }
    /* access(W_OK) answers from the mode bits; a read-only mount or a full disk
     * only shows when a file is actually created and synced. */
    char *probe = msg_new("%s/.nimbus-probe-XXXXXX", dir);
    if (probe == NULL)
        return NB_ENOMEM;
    int fd = mkstemp(probe);
    if (fd < 0) {
        int e = errno;
        SET_ERR(err, "%s: data directory is not writable: %s", dir, strerror(e));
        free(probe);
        return open_errno_code(e, NB_EIO);
    }
    int werr = 0;
    if (write(fd, "x", 1) != 1 || fsync(fd) != 0)
        werr = errno ? errno : EIO;
    close(fd);
    unlink(probe);
    free(probe);
    /* A full disk is writable again once something is deleted: the state stays
     * readable and deletable, and writes fail one by one until then. */
    if (werr == ENOSPC || werr == EDQUOT) {
        *full = 1;
        reserve_release(dir);
        return 0;
    }
    if (reserve_released)
        return 0;
    if (werr != 0 && werr != EFBIG) { /* EFBIG: a file size limit, not the disk */
        SET_ERR(err, "%s: cannot write to the data directory: %s", dir, strerror(werr));
        return open_errno_code(werr, NB_EIO);
    }
    reserve_make(dir);
    return 0;
}

int nb__store_check_data_dir(const char *dir, char **err) {
    int full;
    return check_data_dir(dir, err, &full);
}

static int valid_service(const char *s) {
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* Runs one statement, returning its first column as an int (or -1 if no row). */
static int pragma_int(sqlite3 *db, const char *sql, int *out) {
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(s, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *out = -1;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

static const char *why(sqlite3 *db, int rc) {
    int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB)
        return "not a SQLite database";
    if (primary == SQLITE_CORRUPT)
        return "database file is corrupt";
    if (primary == SQLITE_BUSY)
        return "database is locked (is another Nimbus using this DATA_DIR?)";
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
        primary == SQLITE_PERM || primary == SQLITE_FULL) {
        int e = db ? sqlite3_system_errno(db) : 0;
        if (e != 0)
            return strerror(e);
    }
    return db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

/* Everything that makes an on-disk database trustworthy before a plugin sees it. */
static int open_checks(nb__store_t *st, const nb__store_config_t *cfg, char **err) {
    sqlite3 *db = st->db;
    const char *path = st->path;
    /* Exclusive locking: a second server on the same DATA_DIR is refused instead
     * of silently sharing (plugins cache state), and set before the first access
     * the WAL index lives in process memory, not in a mmap'd -shm file that some
     * container volume file systems do not support. */
    int rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        SET_ERR(err, "%s: %s", path, why(db, rc));
        return open_sqlite_code(db, rc);
    }
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            const char *row = (const char *)sqlite3_column_text(s, 0);
            if (row == NULL || strcmp(row, "ok") != 0) {
                SET_ERR(err, "%s: database file is corrupt (quick_check: %s); move it away or restore a backup",
                        path, row ? row : "?");
                sqlite3_finalize(s);
                return NB_ESTORE;
            }
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK) {
        SET_ERR(err, "%s: %s", path, why(db, rc));
        sqlite3_finalize(s);
        return open_sqlite_code(db, rc);
    }
    sqlite3_finalize(s);

    int app_id = 0, tables = 0;
    if ((rc = pragma_int(db, "PRAGMA application_id", &app_id)) != SQLITE_OK ||
        (rc = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables)) != SQLITE_OK) {
        SET_ERR(err, "%s: %s", path, why(db, rc));
        return open_sqlite_code(db, rc);
    }
    if (app_id != NB__STORE_APP_ID && (app_id != 0 || tables > 0)) {
        SET_ERR(err, "%s: a SQLite database of another application (application_id 0x%08x), not Nimbus state", path,
                (unsigned)app_id);
        return NB_ESTORE;
    }
    if (app_id == 0) {
        char *sql = msg_new("PRAGMA application_id=%d", NB__STORE_APP_ID);
        rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
        free(sql);
    }
    if (rc != SQLITE_OK) {
        SET_ERR(err, "%s: cannot write: %s", path, why(db, rc));
        return open_sqlite_code(db, rc);
    }

    s = NULL;
    const char *mode = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(s, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0) {
        SET_ERR(err, "%s: cannot switch to WAL mode: %s", path, mode ? mode : why(db, rc));
        sqlite3_finalize(s);
        return mode ? NB_ESTORE : open_sqlite_code(db, rc);
    }
    sqlite3_finalize(s);
    rc = sqlite3_exec(db, cfg->sync == NB__STORE_SYNC_NORMAL ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        SET_ERR(err, "%s: %s", path, why(db, rc));
        return open_sqlite_code(db, rc);
    }
    return 0;
}

/* SQLite's allocation statistics (on by default, read by no one here) take a global mutex
 * around every allocation it makes: some thirty a request. Set before SQLite initializes. */
static void sqlite_configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

int nb__store_open(const char *service, const nb__store_config_t *cfg, nb__store_t **out, char **err) {
    static const nb__store_config_t defaults = {0};
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, sqlite_configure);
    if (err != NULL)
        *err = NULL;
    *out = NULL;
    if (cfg == NULL)
        cfg = &defaults;
    if (!valid_service(service)) {
        SET_ERR(err, "invalid service name for the store: '%s'", service ? service : "(null)");
        return NB_EINVAL;
    }
    nb__store_t *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NB_ENOMEM;
    pthread_mutex_init(&st->lock, NULL);
    if ((st->service = strdup(service)) == NULL) {
        nb__store_close(st);
        return NB_ENOMEM;
    }
    st->persistent = cfg->persistence != 0;
    st->group_opened = cfg->group_opened;
    st->group_data = cfg->group_data;
    const char *fault = getenv("NIMBUS_FAULT_COMMIT"); /* tests only (store.h) */
    if (fault != NULL && *fault != '\0' && (st->fault_commit = strdup(fault)) == NULL)
        goto nomem;
    if (cfg->tmp_dir != NULL && (st->tmp_dir = strdup(cfg->tmp_dir)) == NULL)
        goto nomem;
    int created = 0;
    if (st->persistent) {
        int rc = check_data_dir(cfg->data_dir, err, &st->disk_full);
        if (rc != 0) {
            nb__store_close(st);
            return rc;
        }
        if ((st->data_dir = strdup(cfg->data_dir)) == NULL ||
            (st->path = msg_new("%s/%s.db", cfg->data_dir, service)) == NULL)
            goto nomem;
        struct stat sb;
        if (stat(st->path, &sb) == 0) {
            if (!S_ISREG(sb.st_mode)) {
                SET_ERR(err, "%s: not a regular file", st->path);
                nb__store_close(st);
                return NB_ESTORE;
            }
        } else {
            created = 1;
        }
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(st->persistent ? st->path : ":memory:", &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        SET_ERR(err, "%s: cannot open the database: %s", st->persistent ? st->path : ":memory:", why(st->db, rc));
        rc = open_sqlite_code(st->db, rc);
        nb__store_close(st);
        return rc;
    }
    /* A new database's pages: SQS messages and S3 object rows are small, and a commit copies
     * every page it touches (into the WAL, checksummed, on disk; into the rollback journal in
     * memory): 2 KiB instead of 4 cut SendMessage's instructions by 4% in memory, 6% on disk.
     * A database that exists keeps its own. */
    sqlite3_exec(st->db, "PRAGMA page_size=" NB__STORE_PAGE_SIZE_TEXT, NULL, NULL, NULL);
    sqlite3_busy_timeout(st->db, cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms : 5000);
    sqlite3_extended_result_codes(st->db, 1);
    if (st->persistent) {
        if ((rc = open_checks(st, cfg, err)) != 0) {
            nb__store_close(st);
            return rc;
        }
        if (created && (rc = nb__store_fsync_dir(st->data_dir)) != 0) {
            SET_ERR(err, "%s: cannot sync the data directory: %s", st->data_dir, strerror(-rc));
            nb__store_close(st);
            return open_errno_code(-rc, NB_EIO);
        }
        char *blobs = nb__store_blob_dir(st);
        if (blobs == NULL)
            goto nomem;
        nb__store_remove_tree(blobs, 1, 1);
        free(blobs);
    }
    if ((rc = sqlite3_exec(st->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL)) != SQLITE_OK) {
        SET_ERR(err, "%s: %s", st->persistent ? st->path : ":memory:", sqlite3_errmsg(st->db));
        rc = open_sqlite_code(st->db, rc);
        nb__store_close(st);
        return rc;
    }
    *out = st;
    return 0;
nomem:
    nb__store_close(st);
    return NB_ENOMEM;
}

void nb__store_close(nb__store_t *st) {
    if (st == NULL)
        return;
    nb__store_group_end(st); /* the loop turn's requests were answered as if it committed */
    st->depth = 0;
    nb__store_hooks_end(st, 0); /* a transaction left open ends rolled back */
    free(st->hooks);
    free(st->fault_commit);
    if (st->db != NULL) {
        if (!sqlite3_get_autocommit(st->db))
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        /* Statements a plugin forgot (its nb_store_fini ran before this). */
        sqlite3_stmt *s;
        while ((s = sqlite3_next_stmt(st->db, NULL)) != NULL)
            sqlite3_finalize(s);
        sqlite3_close(st->db);
    }
    if (!st->persistent && st->blob_root != NULL)
        nb__store_remove_tree(st->blob_root, 0, 0);
    nb__store_pending_forget(st, 0);
    free(st->pending);
    free(st->blob_root);
    free(st->service);
    free(st->path);
    free(st->data_dir);
    free(st->tmp_dir);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

sqlite3 *nb__store_db(const nb__store_t *st) { return st->db; }
const char *nb__store_service(const nb__store_t *st) { return st->service; }
const char *nb__store_path(const nb__store_t *st) { return st->path; }
const char *nb__store_errmsg(const nb__store_t *st) { return st->errmsg; }
int nb__store_depth(const nb__store_t *st) { return st->depth - st->group; }
int nb__store_in_txn(const nb__store_t *st) { return st->depth > 0; }
int nb__store_failure_code(const nb__store_t *st) { return open_sqlite_code(st->db, sqlite3_extended_errcode(st->db)); }

int nb__store_exhausted(const nb__store_t *st) {
    int rc = sqlite3_extended_errcode(st->db) & 0xff;
    return rc == SQLITE_NOMEM || ((rc == SQLITE_CANTOPEN || rc == SQLITE_IOERR) &&
                                  nb__store_errno_code(sqlite3_system_errno(st->db), 0) == NB_EAGAIN);
}

/* ------------------------------------------------------------- transactions */

/* Runs a statement kept prepared in *slot (prepared at its first use): the transaction
 * statements every request runs are not parsed again each time. An SQLite code. */
static int run_kept(nb__store_t *st, sqlite3_stmt **slot, const char *sql) {
    if (*slot == NULL) {
        int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    int rc = sqlite3_step(*slot);
    sqlite3_reset(*slot);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Every nesting level above the first is a savepoint, all of one name: RELEASE and ROLLBACK TO
 * act on the innermost savepoint of that name, the level being ended, so one kept SAVEPOINT and
 * one kept RELEASE serve every level (kept NULL: parsed each time, for the rare rollback). */
static int exec_savepoint(nb__store_t *st, sqlite3_stmt **kept, const char *sql) {
    int rc = kept ? run_kept(st, kept, sql) : sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        nb__store_set_err(st, "%s: %s: %s", st->service, sql, sqlite3_errmsg(st->db));
        return NB_ESTORE;
    }
    return 0;
}

static void reset_active(sqlite3 *db) {
    for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s != NULL; s = sqlite3_next_stmt(db, s))
        if (sqlite3_stmt_busy(s))
            sqlite3_reset(s);
}

int nb__store_begin(nb__store_t *st) {
    /* SQLite rolled the group back under an earlier request: those requests learn it now
     * (their answers become failures), and this one starts a group of its own. */
    if (st->group && st->depth == 1 && (st->aborted || sqlite3_get_autocommit(st->db)))
        nb__store_group_end(st);
    if (st->depth == 0) {
        st->aborted = 0;
        int rc = run_kept(st, &st->begin_stmt, "BEGIN");
        if (rc != SQLITE_OK) {
            nb__store_set_err(st, "%s: BEGIN: %s", st->service, sqlite3_errmsg(st->db));
            return NB_ESTORE;
        }
        st->depth = 1;
        if (st->group_opened == NULL || st->group_opened(st, st->group_data) != 0)
            return 0; /* no group: level 1 is this transaction */
        st->group = 1;
        /* A SAVEPOINT and a RELEASE cost two thirds of an in-memory BEGIN and COMMIT: the level
         * that opens the group goes without (a group of one then costs what a transaction does). */
        st->depth = st->bare = 2;
        return 0;
    }
    if (st->aborted || sqlite3_get_autocommit(st->db)) {
        /* The outer transaction is gone: a savepoint now would start a new one
         * that the outer commit would then commit as if nothing had failed. */
        st->aborted = 1;
        nb__store_set_err(st, "%s: the transaction was rolled back by an earlier error", st->service);
        st->depth++;
        return 0;
    }
    int rc = exec_savepoint(st, &st->savepoint_stmt, "SAVEPOINT nb_txn");
    if (rc == 0)
        st->depth++;
    return rc;
}

/* The outer transaction is over without its writes: drop the blob removals it
 * asked for and, if they were to be acknowledged, tell the plugin. */
static void lost_writes(nb__store_t *st) {
    nb__store_pending_forget(st, 0);
    if (st->on_lost_writes)
        st->on_lost_writes(st->on_lost_data);
}

void nb__store_on_lost_writes(nb__store_t *st, void (*cb)(void *data), void *data) {
    st->on_lost_writes = cb;
    st->on_lost_data = data;
}

/* Ends the innermost level: a savepoint is released, the outermost level commits. */
static int commit_level(nb__store_t *st) {
    if (!st->aborted && sqlite3_get_autocommit(st->db)) {
        st->aborted = 1;
        nb__store_set_err(st, "%s: the transaction was rolled back by an earlier error", st->service);
    }
    if (st->aborted) {
        st->depth--;
        if (st->bare > st->depth)
            st->bare = 0;
        nb__store_pending_forget(st, st->depth);
        if (st->depth == 0) {
            lost_writes(st);
            nb__store_hooks_end(st, 0);
        } else {
            nb__store_hooks_savepoint_end(st, st->depth, 1); /* the outer end rolls them back */
        }
        return NB_ESTORE;
    }
    if (st->depth > 1) {
        int rc = st->depth == st->bare ? 0 : exec_savepoint(st, &st->release_stmt, "RELEASE nb_txn");
        st->depth--;
        if (st->bare > st->depth)
            st->bare = 0;
        nb__store_pending_release(st, st->depth);
        nb__store_hooks_savepoint_end(st, st->depth, 1);
        return rc;
    }
    reset_active(st->db);
    st->depth = 0;
    if (nb__store_fault_commit_armed(st)) {
        nb__store_set_err(st, "%s: commit failed: injected by NIMBUS_FAULT_COMMIT (a test setting)", st->service);
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        lost_writes(st);
        nb__store_hooks_end(st, 0);
        return NB_ESTORE;
    }
    int rc = run_kept(st, &st->commit_stmt, "COMMIT");
    if (rc == SQLITE_OK) {
        nb__store_pending_apply(st);
        /* On a full disk the WAL may not grow: copied back into the database after each
         * commit, it is written again from its start by the next one. */
        if (st->disk_full)
            sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        nb__store_hooks_end(st, 1);
        return 0;
    }
    if ((rc & 0xff) == SQLITE_FULL && st->persistent && !st->disk_full) {
        st->disk_full = 1;
        reserve_release(st->data_dir);
    }
    nb__store_set_err(st, "%s: commit failed: %s", st->service, why(st->db, rc));
    /* Some errors leave the transaction open (SQLITE_BUSY), others roll it back;
     * either way the request failed, so nothing of it may stay. */
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    lost_writes(st);
    nb__store_hooks_end(st, 0);
    return NB_ESTORE;
}

int nb__store_commit(nb__store_t *st) {
    if (nb__store_depth(st) == 0) {
        nb__store_set_err(st, "%s: commit without a transaction", st->service);
        return NB_EINVAL;
    }
    return commit_level(st);
}

int nb__store_group_end(nb__store_t *st) {
    if (!st->group || st->depth != 1)
        return 0;
    st->group = 0;
    return commit_level(st);
}

int nb__store_rollback(nb__store_t *st) {
    if (nb__store_depth(st) == 0) {
        nb__store_set_err(st, "%s: rollback without a transaction", st->service);
        return NB_EINVAL;
    }
    if (st->aborted || sqlite3_get_autocommit(st->db)) {
        st->aborted = st->depth > 1;
        st->depth--;
        if (st->bare > st->depth)
            st->bare = 0;
        nb__store_pending_forget(st, st->depth);
        if (st->depth == 0)
            nb__store_hooks_end(st, 0);
        else
            nb__store_hooks_savepoint_end(st, st->depth, 0);
        return 0;
    }
    if (st->depth == st->bare) { /* the group's first level: its rollback is the group's */
        st->bare = 0;
        st->group = 0;
        st->depth = 1;
    }
    if (st->depth > 1) {
        int rc = exec_savepoint(st, NULL, "ROLLBACK TO nb_txn; RELEASE nb_txn");
        st->depth--;
        nb__store_pending_forget(st, st->depth);
        nb__store_hooks_savepoint_end(st, st->depth, 0);
        return rc;
    }
    reset_active(st->db);
    st->depth = 0;
    nb__store_pending_forget(st, 0);
    int rc = sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        nb__store_set_err(st, "%s: rollback failed: %s", st->service, sqlite3_errmsg(st->db));
    nb__store_hooks_end(st, 0);
    return rc == SQLITE_OK ? 0 : NB_ESTORE;
}

/* ------------------------------------------------------------ reset, counts */

/* The plugin's tables: not SQLite's own, not views, not virtual tables' shadows. */
#define TABLES_SQL "SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual')" \
                   " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"

int nb__store_reset(nb__store_t *st) {
    nb__store_group_end(st); /* a reset follows what the requests before it were told */
    if (st->depth != 0) {
        nb__store_set_err(st, "%s: reset inside a transaction", st->service);
        return NB_EINVAL;
    }
    sqlite3_stmt *list = NULL;
    int rc = sqlite3_prepare_v2(st->db, TABLES_SQL, -1, &list, NULL);
    if (rc != SQLITE_OK) {
        nb__store_set_err(st, "%s: listing tables: %s", st->service, sqlite3_errmsg(st->db));
        return NB_ESTORE;
    }
    /* Foreign keys are checked at commit, when every table is empty. */
    if (sqlite3_exec(st->db, "BEGIN; PRAGMA defer_foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
        nb__store_set_err(st, "%s: reset: %s", st->service, sqlite3_errmsg(st->db));
        sqlite3_finalize(list);
        return NB_ESTORE;
    }
    int left = 1;
    /* A delete trigger may write into a table already emptied: go round again. */
    for (int pass = 0; pass < 4 && left; pass++) {
        left = 0;
        sqlite3_reset(list);
        while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
            char *sql = sqlite3_mprintf("DELETE FROM \"%w\"", (const char *)sqlite3_column_text(list, 0));
            rc = sql ? sqlite3_exec(st->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
            sqlite3_free(sql);
            if (rc != SQLITE_OK)
                break;
        }
        if (rc != SQLITE_DONE)
            break;
        sqlite3_reset(list);
        while ((rc = sqlite3_step(list)) == SQLITE_ROW && !left) {
            char *sql = sqlite3_mprintf("SELECT EXISTS (SELECT 1 FROM \"%w\")",
                                        (const char *)sqlite3_column_text(list, 0));
            int any = 0;
            int qrc = sql ? pragma_int(st->db, sql, &any) : SQLITE_NOMEM;
            sqlite3_free(sql);
            if (qrc != SQLITE_OK) {
                rc = qrc;
                break;
            }
            left = any > 0;
        }
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_DONE;
        else
            break;
    }
    sqlite3_finalize(list);
    if (rc == SQLITE_DONE && !left) {
        int has_seq = 0;
        rc = pragma_int(st->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'", &has_seq);
        if (rc == SQLITE_OK && has_seq > 0)
            rc = sqlite3_exec(st->db, "DELETE FROM sqlite_sequence", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            nb__store_blob_clear(st);
            return 0;
        }
    }
    nb__store_set_err(st, "%s: reset failed: %s", st->service,
                      left ? "delete triggers keep refilling tables" : sqlite3_errmsg(st->db));
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return NB_ESTORE;
}

static int has_column(sqlite3 *db, const char *table, const char *column, int *out) {
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        *out = rc == SQLITE_ROW;
        rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    return rc;
}

static int count_table(nb__store_t *st, const char *table, json_t *entry) {
    int acc = 0, reg = 0;
    int rc = has_column(st->db, table, "account", &acc);
    if (rc == SQLITE_OK && acc)
        rc = has_column(st->db, table, "region", &reg);
    if (rc != SQLITE_OK)
        return rc;
    char *sql;
    if (acc && reg)
        sql = sqlite3_mprintf("SELECT account, region, count(*) FROM \"%w\" GROUP BY 1, 2", table);
    else if (acc)
        sql = sqlite3_mprintf("SELECT account, NULL, count(*) FROM \"%w\" GROUP BY 1", table);
    else
        sql = sqlite3_mprintf("SELECT NULL, NULL, count(*) FROM \"%w\"", table);
    if (sql == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    sqlite3_free(sql);
    json_int_t total = 0;
    json_t *accounts = acc ? json_object() : NULL;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        json_int_t n = sqlite3_column_int64(s, 2);
        total += n;
        if (accounts == NULL)
            continue;
        const char *a = (const char *)sqlite3_column_text(s, 0);
        const char *r = (const char *)sqlite3_column_text(s, 1);
        if (a == NULL)
            a = "";
        if (r == NULL || r[0] == '\0')
            r = "global";
        json_t *per = json_object_get(accounts, a);
        if (per == NULL) {
            per = json_object();
            json_object_set_new(accounts, a, per);
        }
        json_t *cur = json_object_get(per, r);
        json_object_set_new(per, r, json_integer(n + (cur ? json_integer_value(cur) : 0)));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        json_decref(accounts);
        return rc == SQLITE_OK ? SQLITE_ERROR : rc;
    }
    json_object_set_new(entry, "total", json_integer(total));
    if (accounts != NULL)
        json_object_set_new(entry, "accounts", accounts);
    return SQLITE_OK;
}

/* The tables a plugin created: not SQLite's own, not virtual ones, not those named "_..."
 * (the plugin's bookkeeping). */
#define PLUGIN_TABLES_SQL \
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'" \
    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name"

int nb__store_tables_json(nb__store_t *st, json_t *out, json_t *(*make)(void),
                          int (*fill)(nb__store_t *st, const char *table, json_t *into), const char *what) {
    if (st == NULL || !json_is_object(out))
        return NB_EINVAL;
    sqlite3_stmt *list = NULL;
    int rc = sqlite3_prepare_v2(st->db, PLUGIN_TABLES_SQL, -1, &list, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(list)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(list, 0);
        json_t *value = make();
        rc = fill(st, name, value);
        if (rc == SQLITE_OK)
            json_object_set_new(out, name, value);
        else
            json_decref(value);
    }
    sqlite3_finalize(list);
    if (rc != SQLITE_DONE) {
        nb__store_set_err(st, "%s: %s: %s", st->service, what, sqlite3_errmsg(st->db));
        return NB_ESTORE;
    }
    return 0;
}

int nb__store_counts(nb__store_t *st, json_t *out) {
    return nb__store_tables_json(st, out, json_object, count_table, "counting rows");
}
