#include "util/exe_dir.h"

#include <string.h>
#include <unistd.h>

char *nb__exe_dir(char *buf, size_t len) {
    if (len < 2)
        return NULL;
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0 || (size_t)n >= len - 1) /* a full buffer may be a cut path */
        return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return buf;
}
