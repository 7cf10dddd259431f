#include "ddb_item_size.h"

#include <string.h>

#include "ddb_num.h"

/* AWS: a number takes 1 byte per two significant digits plus 1 byte; a list or map 3 bytes plus
 * 1 byte per element (on top of the elements, and of a map's names); BOOL and NULL 1 byte. */
static size_t number_size(const json_t *s) {
    ddb_num_t n;
    if (!json_is_string(s) || ddb_num_parse(json_string_value(s), json_string_length(s), &n) != DDB_NUM_OK)
        return json_string_length(s);
    return ((size_t)n.ndig + 1) / 2 + 1;
}

size_t ddb_value_size(const json_t *av) {
    const char *type;
    const json_t *v;
    size_t size = 0, i;
    const json_t *e;
    json_object_foreach((json_t *)av, type, v) {
        if (strcmp(type, "S") == 0 || strcmp(type, "B") == 0)
            size += json_string_length(v);
        else if (strcmp(type, "N") == 0)
            size += number_size(v);
        else if (strcmp(type, "BOOL") == 0 || strcmp(type, "NULL") == 0)
            size += 1;
        else if (strcmp(type, "SS") == 0 || strcmp(type, "BS") == 0) {
            json_array_foreach(v, i, e) size += json_string_length(e);
        } else if (strcmp(type, "NS") == 0) {
            json_array_foreach(v, i, e) size += number_size(e);
        } else if (strcmp(type, "L") == 0) {
            size += 3;
            json_array_foreach(v, i, e) size += 1 + ddb_value_size(e);
        } else if (strcmp(type, "M") == 0) {
            size += 3;
            const char *k;
            json_object_foreach((json_t *)v, k, e) size += 1 + strlen(k) + ddb_value_size(e);
        }
    }
    return size;
}

size_t ddb_item_size(const json_t *item) {
    size_t size = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)item, k, v) size += strlen(k) + ddb_value_size(v);
    return size;
}

double ddb_write_units(size_t bytes) {
    size_t units = (bytes + 1023) / 1024;
    return units == 0 ? 1.0 : (double)units;
}

double ddb_read_units(size_t bytes, int consistent) {
    size_t units = (bytes + 4095) / 4096;
    if (units == 0)
        units = 1;
    return consistent ? (double)units : (double)units / 2.0;
}
