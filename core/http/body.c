#include "http/body.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nimbus/errno.h"

struct nb_body {
    char *mem; /* in-memory bytes (NUL-terminated), or a cache of a small file */
    size_t mem_len, mem_cap;
    int fd;            /* -1 while in memory */
    char *path;        /* the file's path; a temp file is unlinked on free unless kept */
    bool temp, keep;
    int64_t offset;    /* window into the file */
    int64_t length;
    size_t spill;      /* spill threshold for a growing body; 0 = never spills */
    char *tmpdir;
};

static nb_body_t *body_alloc(void) {
    nb_body_t *b = calloc(1, sizeof *b);
    if (b)
        b->fd = -1;
    return b;
}

nb_body_t *nb__body_new(size_t spill_threshold, const char *tmpdir) {
    nb_body_t *b = body_alloc();
    if (b == NULL)
        return NULL;
    b->spill = spill_threshold;
    if (tmpdir && (b->tmpdir = strdup(tmpdir)) == NULL) {
        free(b);
        return NULL;
    }
    return b;
}

nb_body_t *nb__body_from_mem(const void *data, size_t len) {
    nb_body_t *b = body_alloc();
    if (b == NULL)
        return NULL;
    if (nb__body_append(b, data, len) != 0) {
        nb__body_free(b);
        return NULL;
    }
    return b;
}

nb_body_t *nb__body_from_file(const char *path, int64_t offset, int64_t length) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0 || offset < 0 || offset > end) {
        close(fd);
        return NULL;
    }
    nb_body_t *b = body_alloc();
    if (b == NULL || (b->path = strdup(path)) == NULL) {
        free(b);
        close(fd);
        return NULL;
    }
    b->fd = fd;
    b->offset = offset;
    b->length = (length < 0 || offset + length > end) ? end - offset : length;
    return b;
}

static int spill_to_file(nb_body_t *b) {
    const char *dir = b->tmpdir ? b->tmpdir : getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    size_t n = strlen(dir) + 48;
    char *path = malloc(n);
    if (path == NULL)
        return NB_ENOMEM;
    /* The pid lets a later server remove what a killed one left (nb__store_sweep_temp). */
    snprintf(path, n, "%s/nimbus-body-%ld-XXXXXX", dir, (long)getpid());
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        free(path);
        return NB_EIO;
    }
    size_t off = 0;
    while (off < b->mem_len) {
        ssize_t w = write(fd, b->mem + off, b->mem_len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(path);
            free(path);
            return NB_EIO;
        }
        off += (size_t)w;
    }
    free(b->mem);
    b->mem = NULL;
    b->mem_len = b->mem_cap = 0;
    b->fd = fd;
    b->path = path;
    b->temp = true;
    return 0;
}

int nb__body_reserve(nb_body_t *b, size_t len) {
    if (b->fd >= 0 || b->mem_len + len + 1 <= b->mem_cap || (b->spill && b->mem_len + len > b->spill))
        return 0;
    char *m = realloc(b->mem, b->mem_len + len + 1);
    if (m == NULL)
        return NB_ENOMEM;
    b->mem = m;
    b->mem_cap = b->mem_len + len + 1;
    return 0;
}

int nb__body_append(nb_body_t *b, const void *data, size_t len) {
    if (b->fd < 0) {
        if (b->spill && b->mem_len + len > b->spill) {
            int rc = spill_to_file(b);
            if (rc != 0)
                return rc;
        } else {
            if (b->mem_len + len + 1 > b->mem_cap) {
                size_t cap = b->mem_cap ? b->mem_cap : 256;
                while (cap < b->mem_len + len + 1)
                    cap *= 2;
                char *m = realloc(b->mem, cap);
                if (m == NULL)
                    return NB_ENOMEM;
                b->mem = m;
                b->mem_cap = cap;
            }
            if (len)
                memcpy(b->mem + b->mem_len, data, len);
            b->mem_len += len;
            b->mem[b->mem_len] = '\0';
            b->length = (int64_t)b->mem_len;
            return 0;
        }
    }
    const char *p = data;
    while (len) {
        ssize_t w = pwrite(b->fd, p, len, b->offset + b->length);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return NB_EIO;
        p += w;
        len -= (size_t)w;
        b->length += w;
    }
    return 0;
}

int64_t nb__body_size(const nb_body_t *b) { return b ? b->length : 0; }

ssize_t nb__body_read(nb_body_t *b, int64_t offset, void *buf, size_t len) {
    if (offset < 0 || offset >= b->length)
        return 0;
    if ((int64_t)len > b->length - offset)
        len = (size_t)(b->length - offset);
    if (b->fd < 0) {
        memcpy(buf, b->mem + offset, len);
        return (ssize_t)len;
    }
    ssize_t r;
    do
        r = pread(b->fd, buf, len, b->offset + offset);
    while (r < 0 && errno == EINTR);
    return r < 0 ? NB_EIO : r;
}

const char *nb__body_data(nb_body_t *b, size_t max) {
    if (b->fd < 0)
        return b->mem ? b->mem : "";
    if (b->length > (int64_t)max)
        return NULL;
    if (b->mem == NULL) {
        char *m = malloc((size_t)b->length + 1);
        if (m == NULL)
            return NULL;
        int64_t got = 0;
        while (got < b->length) {
            ssize_t r = nb__body_read(b, got, m + got, (size_t)(b->length - got));
            if (r <= 0) {
                free(m);
                return NULL;
            }
            got += r;
        }
        m[got] = '\0';
        b->mem = m;
        b->mem_len = (size_t)got;
    }
    return b->mem;
}

const char *nb__body_path(const nb_body_t *b) { return b ? b->path : NULL; }

void nb__body_keep_file(nb_body_t *b) { b->keep = true; }
bool nb__body_is_temp(const nb_body_t *b) { return b != NULL && b->temp; }

void nb__body_free(nb_body_t *b) {
    if (b == NULL)
        return;
    if (b->fd >= 0)
        close(b->fd);
    if (b->temp && !b->keep && b->path)
        unlink(b->path);
    free(b->path);
    free(b->mem);
    free(b->tmpdir);
    free(b);
}
