/* Identifiers for the ABI (nimbus/util.h): UUIDs, random bytes, random ids of an alphabet. */
#ifndef NB_UTIL_IDS_H
#define NB_UTIL_IDS_H

#include <stddef.h>

#include "nimbus/util.h"

int nb__random_bytes(void *out, size_t len);
void nb__uuid(char out[NB_UUID_SIZE]);
/* 16 random bytes as a UUID v4's text: sets b's version and variant bits, then formats. */
void nb__uuid_format(unsigned char b[16], char out[NB_UUID_SIZE]);
int nb__random_id(const char *alphabet, size_t len, char *out);

#endif
