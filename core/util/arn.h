/* ARNs for the ABI (nimbus/util.h): built partition-aware, split into their fields. */
#ifndef NB_UTIL_ARN_H
#define NB_UTIL_ARN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nimbus/util.h"

ssize_t nb__arn_format(const nb_arn_t *arn, char *out, size_t cap);
int nb__arn_parse(const char *text, nb_arn_t *arn, char *buf, size_t cap);

/* An account id: exactly 12 digits ("123456789012"); what an access key id must be to name one. */
bool nb__is_account_id(const char *s);
/* A region name: non-empty lower-case letters, digits and dashes ("us-gov-west-1"). */
bool nb__is_region_name(const char *s);

#endif
