/* ARNs for the ABI (nimbus/util.h): built partition-aware, split into their fields. */
#ifndef NB_UTIL_ARN_H
#define NB_UTIL_ARN_H

#include <stddef.h>
#include <sys/types.h>

#include "nimbus/util.h"

ssize_t nb__arn_format(const nb_arn_t *arn, char *out, size_t cap);
int nb__arn_parse(const char *text, nb_arn_t *arn, char *buf, size_t cap);

#endif
