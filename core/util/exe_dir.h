/* Where this program's executable is (/proc/self/exe): to exec itself again, and to find what
 * is installed beside it (tools, plugins, specs). */
#ifndef NB_UTIL_EXE_DIR_H
#define NB_UTIL_EXE_DIR_H

#include <stddef.h>

/* The executable's path ("/usr/bin/nimbus") into buf; 0, or -1 when it cannot be read or does not
 * fit (errno set). */
int nb__exe_path(char *buf, size_t len);
/* The executable's folder ("/usr/bin") into buf; 0 or -1 as nb__exe_path. */
int nb__exe_dir(char *buf, size_t len);

#endif
