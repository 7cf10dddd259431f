/* Files the tests look for: temp files a body or a request must leave behind, or not. */
#ifndef NB_TEST_FILES_H
#define NB_TEST_FILES_H

/* The entries of dir but . and .., -1 if it cannot be opened. */
int count_files(const char *dir);

#endif
