#include "util/exe_dir.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int nb__exe_path(char *buf, size_t len) {
    if (len == 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return -1;
    if ((size_t)n == len - 1) { /* readlink truncates silently: a full buffer may be a cut path */
        errno = ENAMETOOLONG;
        return -1;
    }
    buf[n] = '\0';
    return 0;
}

int nb__exe_dir(char *buf, size_t len) {
    if (nb__exe_path(buf, len) != 0)
        return -1;
    char *slash = strrchr(buf, '/');
    if (slash == NULL) {
        errno = ENOENT;
        return -1;
    }
    *slash = '\0';
    return 0;
}
