/* DynamoDB numbers (see ddb_num.h). */
#include "ddb_num.h"

#include <string.h>

ddb_num_status_t ddb_num_parse(const char *text, size_t len, ddb_num_t *out)
{
    (void)text; (void)len;
    memset(out, 0, sizeof *out);
    return DDB_NUM_ESYNTAX;
}
