/*
 * Blobs: payloads too large for a row (S3 object bodies), as files beside the
 * database. A blob is written under a temp name in its final folder, fsynced,
 * renamed over its key and the folder fsynced: after a crash a key is either
 * absent or complete. Temp files a crash left are removed at the next open.
 * Without persistence nothing is fsynced and the folder is private and temporary.
 */
#include "store/store_impl.h"

#include "http/body.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int valid_key(const char *key) {
    if (key == NULL || *key == '\0' || strlen(key) > 1024)
        return 0;
    int start = 1; /* at the start of a component */
    for (const char *p = key; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (start)
                return 0; /* leading '/' or an empty component */
            start = 1;
            continue;
        }
        if (start && c == '.')
            return 0; /* ".", "..", hidden names and our temp files */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
        start = 0;
    }
    return !start;
}

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (s != NULL) {
        memcpy(s, a, la);
        s[la] = '/';
        memcpy(s + la + 1, b, lb + 1);
    }
    return s;
}

char *nb__store_blob_dir(const nb__store_t *st) {
    char *svc = join(st->data_dir, st->service);
    char *root = svc ? join(svc, "blobs") : NULL;
    free(svc);
    return root;
}

static const char *blob_root_locked(nb__store_t *st) {
    if (st->blob_root != NULL)
        return st->blob_root;
    if (st->persistent) {
        char *root = nb__store_blob_dir(st);
        if (root == NULL) {
            snprintf(st->errmsg, sizeof(st->errmsg), "out of memory");
            return NULL;
        }
        int rc = nb__store_mkdirs(root, 1);
        if (rc != 0) {
            snprintf(st->errmsg, sizeof(st->errmsg), "%s: cannot create the blob folder: %s", root, strerror(-rc));
            free(root);
            return NULL;
        }
        st->blob_root = root;
        return root;
    }
    const char *tmp = st->tmp_dir ? st->tmp_dir : getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    char name[128];
    snprintf(name, sizeof(name), "nimbus-%s-%ld-XXXXXX", st->service, (long)getpid()); /* see nb__store_sweep_temp */
    char *root = join(tmp, name);
    if (root == NULL) {
        snprintf(st->errmsg, sizeof(st->errmsg), "out of memory");
        return NULL;
    }
    if (mkdtemp(root) == NULL) {
        snprintf(st->errmsg, sizeof(st->errmsg), "%s: cannot create a temporary blob folder: %s", tmp, strerror(errno));
        free(root);
        return NULL;
    }
    st->blob_root = root;
    return root;
}

static const char *blob_root(nb__store_t *st) {
    pthread_mutex_lock(&st->lock);
    const char *root = blob_root_locked(st);
    pthread_mutex_unlock(&st->lock);
    return root;
}

int nb__store_blob_path(nb__store_t *st, const char *key, char **out) {
    *out = NULL;
    if (!valid_key(key)) {
        nb__store_set_err(st, "invalid blob key '%s'", key ? key : "(null)");
        return NB_EINVAL;
    }
    const char *root = blob_root(st);
    if (root == NULL)
        return NB_EIO;
    if ((*out = join(root, key)) == NULL)
        return NB_ENOMEM;
    return 0;
}

/* The folder holding path, created (durably) if missing; malloc'd. */
static char *parent_of(nb__store_t *st, const char *path) {
    char *dir = strdup(path);
    if (dir == NULL)
        return NULL;
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    int rc = nb__store_mkdirs(dir, st->persistent);
    if (rc != 0) {
        nb__store_set_err(st, "%s: cannot create the blob folder: %s", dir, strerror(-rc));
        free(dir);
        return NULL;
    }
    return dir;
}

int nb__store_blob_begin(nb__store_t *st, const char *key, nb__store_blob_writer_t **out) {
    *out = NULL;
    char *final = NULL;
    int rc = nb__store_blob_path(st, key, &final);
    if (rc != 0)
        return rc;
    char *dir = parent_of(st, final);
    int have_dir = dir != NULL;
    nb__store_blob_writer_t *w = have_dir ? calloc(1, sizeof(*w)) : NULL;
    char *tmp = have_dir ? join(dir, NB__BLOB_TMP_PREFIX "XXXXXX") : NULL;
    free(dir);
    if (w == NULL || tmp == NULL) {
        free(final);
        free(tmp);
        free(w);
        return have_dir ? NB_ENOMEM : NB_EIO;
    }
    w->fd = mkostemp(tmp, O_CLOEXEC);
    if (w->fd < 0) {
        int e = errno;
        nb__store_set_err(st, "%s: cannot create a blob: %s", tmp, strerror(e));
        free(final);
        free(tmp);
        free(w);
        return nb__store_errno_code(e, NB_EIO);
    }
    w->st = st;
    w->tmp = tmp;
    w->final = final;
    *out = w;
    return 0;
}

int nb__store_blob_append(nb__store_blob_writer_t *w, const void *data, size_t len) {
    const char *p = data;
    while (len > 0 && w->failed == 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->failed = errno;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    if (w->failed != 0) {
        nb__store_set_err(w->st, "%s: writing a blob: %s", w->tmp, strerror(w->failed));
        return NB_EIO;
    }
    return 0;
}

static void writer_free(nb__store_blob_writer_t *w) {
    free(w->tmp);
    free(w->final);
    free(w);
}

void nb__store_blob_abort(nb__store_blob_writer_t *w) {
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    unlink(w->tmp);
    writer_free(w);
}

/* Renames a complete, synced file over path, then makes the rename durable. */
static int publish(nb__store_t *st, const char *from, const char *path) {
    if (rename(from, path) != 0) {
        nb__store_set_err(st, "%s: cannot move a blob into place: %s", path, strerror(errno));
        return NB_EIO;
    }
    if (st->persistent) {
        char *dir = strdup(path);
        if (dir == NULL)
            return NB_ENOMEM;
        *strrchr(dir, '/') = '\0';
        int rc = nb__store_fsync_dir(dir);
        if (rc != 0)
            nb__store_set_err(st, "%s: cannot sync the blob folder: %s", dir, strerror(-rc));
        free(dir);
        if (rc != 0)
            return nb__store_errno_code(-rc, NB_EIO);
    }
    return 0;
}

int nb__store_blob_finish(nb__store_blob_writer_t *w) {
    nb__store_t *st = w->st;
    int err = w->failed;
    if (err == 0 && st->persistent && fsync(w->fd) != 0)
        err = errno;
    if (close(w->fd) != 0 && err == 0)
        err = errno;
    w->fd = -1;
    if (err != 0) {
        nb__store_set_err(st, "%s: writing a blob: %s", w->final, strerror(err));
        nb__store_blob_abort(w);
        return NB_EIO;
    }
    int rc = publish(st, w->tmp, w->final);
    if (rc != 0) {
        nb__store_blob_abort(w);
        return rc;
    }
    writer_free(w);
    return 0;
}

int nb__store_blob_put(nb__store_t *st, const char *key, const void *data, size_t len) {
    nb__store_blob_writer_t *w;
    int rc = nb__store_blob_begin(st, key, &w);
    if (rc != 0)
        return rc;
    rc = nb__store_blob_append(w, data, len);
    if (rc != 0) {
        nb__store_blob_abort(w);
        return rc;
    }
    return nb__store_blob_finish(w);
}

static int copy_in(nb__store_t *st, const char *key, int src) {
    nb__store_blob_writer_t *w;
    int rc = nb__store_blob_begin(st, key, &w);
    if (rc != 0)
        return rc;
    char buf[65536];
    for (;;) {
        ssize_t n = read(src, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            nb__store_set_err(st, "reading a blob's source: %s", strerror(errno));
            nb__store_blob_abort(w);
            return NB_EIO;
        }
        if (n == 0)
            break;
        if ((rc = nb__store_blob_append(w, buf, (size_t)n)) != 0) {
            nb__store_blob_abort(w);
            return rc;
        }
    }
    return nb__store_blob_finish(w);
}

int nb__store_blob_put_file(nb__store_t *st, const char *key, const char *src) {
    char *path = NULL;
    int rc = nb__store_blob_path(st, key, &path);
    if (rc != 0)
        return rc;
    char *dir = parent_of(st, path);
    if (dir == NULL) {
        free(path);
        return NB_EIO;
    }
    free(dir);
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        nb__store_set_err(st, "%s: %s", src, strerror(e));
        free(path);
        return e == ENOENT ? NB_ENOENT : nb__store_errno_code(e, NB_EIO);
    }
    /* The source must be on disk before its new name is. */
    if (st->persistent && fsync(fd) != 0) {
        nb__store_set_err(st, "%s: %s", src, strerror(errno));
        close(fd);
        free(path);
        return NB_EIO;
    }
    if (rename(src, path) == 0) {
        close(fd);
        rc = 0;
        if (st->persistent) {
            *strrchr(path, '/') = '\0';
            int e = nb__store_fsync_dir(path);
            if (e != 0) {
                nb__store_set_err(st, "%s: cannot sync the blob folder: %s", path, strerror(-e));
                rc = nb__store_errno_code(-e, NB_EIO);
            }
        }
        free(path);
        return rc;
    }
    if (errno != EXDEV) {
        nb__store_set_err(st, "%s: cannot move a blob into place: %s", path, strerror(errno));
        close(fd);
        free(path);
        return NB_EIO;
    }
    free(path);
    rc = copy_in(st, key, fd);
    close(fd);
    if (rc == 0)
        unlink(src);
    return rc;
}

int nb__store_blob_put_body(nb__store_t *st, const char *key, nb_body_t *body) {
    nb__store_blob_writer_t *w;
    int rc = nb__store_blob_begin(st, key, &w);
    if (rc != 0)
        return rc;
    int64_t size = nb__body_size(body), off = 0;
    char buf[65536];
    while (off < size) {
        size_t want = size - off < (int64_t)sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        ssize_t n = nb__body_read(body, off, buf, want);
        if (n <= 0) {
            nb__store_set_err(st, "reading a body into blob '%s': %s", key, n < 0 ? strerror(errno) : "short body");
            nb__store_blob_abort(w);
            return NB_EIO;
        }
        if ((rc = nb__store_blob_append(w, buf, (size_t)n)) != 0) {
            nb__store_blob_abort(w);
            return rc;
        }
        off += n;
    }
    return nb__store_blob_finish(w);
}

/* Unlinks a blob file, durably with persistence (an fsync of its folder); frees path. */
static int remove_path(nb__store_t *st, char *path) {
    if (unlink(path) != 0) {
        int e = errno;
        nb__store_set_err(st, "%s: cannot remove a blob: %s", path, strerror(e));
        free(path);
        return e == ENOENT ? NB_ENOENT : NB_EIO;
    }
    if (st->persistent) {
        *strrchr(path, '/') = '\0';
        nb__store_fsync_dir(path);
    }
    free(path);
    return 0;
}

int nb__store_blob_remove(nb__store_t *st, const char *key) {
    char *path = NULL;
    int rc = nb__store_blob_path(st, key, &path);
    return rc != 0 ? rc : remove_path(st, path);
}

int nb__store_blob_remove_at_commit(nb__store_t *st, const char *key) {
    if (st->depth == 0)
        return nb__store_blob_remove(st, key);
    char *path = NULL;
    int rc = nb__store_blob_path(st, key, &path);
    if (rc != 0)
        return rc;
    if (st->npending == st->pending_cap) {
        size_t cap = st->pending_cap ? st->pending_cap * 2 : 8;
        struct nb__store_pending *grown = realloc(st->pending, cap * sizeof *grown);
        if (grown == NULL) {
            free(path);
            return NB_ENOMEM;
        }
        st->pending = grown;
        st->pending_cap = cap;
    }
    st->pending[st->npending].path = path;
    st->pending[st->npending].depth = st->depth;
    st->npending++;
    return 0;
}

void nb__store_pending_apply(nb__store_t *st) {
    for (size_t i = 0; i < st->npending; i++)
        if (remove_path(st, st->pending[i].path) == NB_EIO) /* the commit stands: say so, go on */
            fprintf(stderr, "nimbus: %s\n", st->errmsg);
    st->npending = 0;
}

void nb__store_pending_forget(nb__store_t *st, int depth) {
    size_t keep = 0;
    for (size_t i = 0; i < st->npending; i++) {
        if (st->pending[i].depth > depth)
            free(st->pending[i].path);
        else
            st->pending[keep++] = st->pending[i];
    }
    st->npending = keep;
}

void nb__store_pending_release(nb__store_t *st, int depth) {
    for (size_t i = 0; i < st->npending; i++)
        if (st->pending[i].depth > depth)
            st->pending[i].depth = depth;
}

void nb__store_remove_tree(const char *root, int keep_root, int only_tmp) {
    DIR *d = opendir(root);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = join(root, e->d_name);
            if (p == NULL)
                break;
            struct stat sb;
            if (lstat(p, &sb) == 0) {
                if (S_ISDIR(sb.st_mode))
                    nb__store_remove_tree(p, only_tmp, only_tmp);
                else if (!only_tmp || strncmp(e->d_name, NB__BLOB_TMP_PREFIX, strlen(NB__BLOB_TMP_PREFIX)) == 0)
                    unlink(p);
            }
            free(p);
        }
        closedir(d);
    }
    if (!keep_root)
        rmdir(root);
}

/* "nimbus-...-<pid>-XXXXXX": the pid of the server that made it, or 0. */
static long temp_owner(const char *name) {
    size_t n = strlen(name);
    if (strncmp(name, "nimbus-", 7) != 0 || n < 7 + 9 || name[n - 7] != '-')
        return 0;
    size_t i = n - 7;
    while (i > 7 && name[i - 1] >= '0' && name[i - 1] <= '9')
        i--;
    if (i == n - 7 || name[i - 1] != '-')
        return 0;
    return strtol(name + i, NULL, 10);
}

void nb__store_sweep_temp(const char *tmpdir) {
    DIR *d = opendir(tmpdir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_owner(e->d_name);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* not ours to judge, or its server still runs */
        char *p = join(tmpdir, e->d_name);
        struct stat sb;
        if (p && lstat(p, &sb) == 0 && sb.st_uid == geteuid()) {
            if (S_ISDIR(sb.st_mode))
                nb__store_remove_tree(p, 0, 0);
            else
                unlink(p);
        }
        free(p);
    }
    closedir(d);
}

void nb__store_blob_clear(nb__store_t *st) {
    if (st->blob_root != NULL) {
        nb__store_remove_tree(st->blob_root, 1, 0);
    } else if (st->persistent) {
        char *root = nb__store_blob_dir(st);
        if (root != NULL)
            nb__store_remove_tree(root, 1, 0);
        free(root);
    }
    if (st->persistent && st->blob_root != NULL)
        nb__store_fsync_dir(st->blob_root);
}

static int key_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Walks dir (the blob folder's `prefix`, "" at its root), removing unkept blobs. */
static size_t sweep_dir(const char *dir, const char *prefix, char *const *keep, size_t n) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') /* ".", "..", temp files: never a key */
            continue;
        char *path = join(dir, e->d_name);
        char *key = prefix[0] ? join(prefix, e->d_name) : strdup(e->d_name);
        struct stat sb;
        if (path && key && lstat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode))
                removed += sweep_dir(path, key, keep, n);
            else if (S_ISREG(sb.st_mode) && (n == 0 || bsearch(&key, keep, n, sizeof *keep, key_cmp) == NULL) &&
                     unlink(path) == 0) /* nothing kept: keep may be NULL, which bsearch may not take */
                removed++;
        }
        free(path);
        free(key);
    }
    closedir(d);
    return removed;
}

size_t nb__store_blob_sweep(nb__store_t *st, char **keep, size_t n) {
    if (!st->persistent)
        return 0;
    if (n > 1)
        qsort(keep, n, sizeof *keep, key_cmp);
    char *root = nb__store_blob_dir(st); /* not blob_root(): a missing folder is not created */
    size_t removed = root ? sweep_dir(root, "", keep, n) : 0;
    free(root);
    return removed;
}
