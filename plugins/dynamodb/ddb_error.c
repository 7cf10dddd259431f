/* The two errors nearly every operation answers, worded as AWS does. */
#include <stdarg.h>
#include <stdio.h>

#include "ddb.h"

nb_result_t ddb_invalid(nb_req_t *req, const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nb_error(req, "ValidationException", "%s", msg);
}

nb_result_t ddb_not_found(nb_req_t *req) {
    return nb_error(req, "ResourceNotFoundException", "Requested resource not found");
}

nb_result_t ddb_too_long(nb_req_t *req, const char *member, int max) {
    return ddb_invalid(req, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have "
                            "length less than or equal to %d",
                       member, max);
}
