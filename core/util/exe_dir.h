/* The folder of the running program: what installed files are found beside
 * (<prefix>/bin/nimbus finds <prefix>/share/nimbus, tools next to the binary). */
#ifndef NB_UTIL_EXE_DIR_H
#define NB_UTIL_EXE_DIR_H

#include <stddef.h>

/* The folder of /proc/self/exe's target, NUL-terminated in buf (len bytes): buf, or NULL when
 * the link cannot be read or the path does not fit. */
char *nb__exe_dir(char *buf, size_t len);

#endif
