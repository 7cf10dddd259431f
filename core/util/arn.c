#include "util/arn.h"

#include <stdio.h>
#include <string.h>

#include "nimbus/errno.h"
#include "util/partition.h"

ssize_t nb__arn_format(const nb_arn_t *arn, char *out, size_t cap) {
    if (arn == NULL || arn->service == NULL || arn->resource == NULL || !*arn->service || !*arn->resource)
        return NB_EINVAL;
    const char *region = arn->region ? arn->region : "";
    const char *partition = arn->partition ? arn->partition : nb__partition_of(*region ? region : NULL);
    int n = snprintf(out, cap, "arn:%s:%s:%s:%s:%s", partition, arn->service, region, arn->account ? arn->account : "",
                     arn->resource);
    if (n < 0)
        return NB_EINVAL;
    return (size_t)n < cap ? n : NB_ELIMIT;
}

int nb__arn_parse(const char *text, nb_arn_t *arn, char *buf, size_t cap) {
    size_t len = text ? strlen(text) : 0;
    if (text == NULL || strncmp(text, "arn:", 4) != 0)
        return NB_EINVAL;
    if (len + 1 > cap)
        return NB_ELIMIT;
    memcpy(buf, text, len + 1);
    char *field[6], *p = buf;
    for (int i = 0; i < 5; i++) {
        field[i] = p;
        p = strchr(p, ':');
        if (p == NULL)
            return NB_EINVAL;
        *p++ = '\0';
    }
    field[5] = p; /* the resource keeps its own ':' and '/' */
    if (!*field[1] || !*field[2] || !*field[5])
        return NB_EINVAL;
    *arn = (nb_arn_t){.partition = field[1], .service = field[2], .region = field[3], .account = field[4],
                      .resource = field[5]};
    return 0;
}

bool nb__is_account_id(const char *s) {
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n == 12;
}

bool nb__is_region_name(const char *s) {
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}
