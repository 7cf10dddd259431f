#include "ddb_value.h"

#include <stdio.h>
#include <string.h>

#include "ddb_num.h"

const char *ddb_value_type(const json_t *av, const json_t **payload) {
    if (!json_is_object(av) || json_object_size(av) != 1)
        return NULL;
    void *it = json_object_iter((json_t *)av);
    if (payload != NULL)
        *payload = json_object_iter_value(it);
    return json_object_iter_key(it);
}

static int number_check(json_t *s, char *msg, size_t cap) {
    char text[DDB_NUM_TEXT_MAX];
    size_t len;
    ddb_num_status_t st = json_is_string(s) ? ddb_num_canonical(json_string_value(s), json_string_length(s), text, &len)
                                            : DDB_NUM_ESYNTAX;
    if (st == DDB_NUM_ESYNTAX) {
        snprintf(msg, cap, "A value provided cannot be converted into a number");
        return -1;
    }
    if (st != DDB_NUM_OK) {
        snprintf(msg, cap, "%s", ddb_num_message(st));
        return -1;
    }
    return json_string_setn_nocheck(s, text, len) == 0 ? 0 : -1;
}

/* AWS names a set's duplicates by listing the whole input: "Input collection [a, a] contains duplicates." */
static int set_check(json_t *arr, const char *type, char *msg, size_t cap) {
    static const char *const kinds[] = {"string", "number", "binary"};
    const char *kind = kinds[type[0] == 'S' ? 0 : type[0] == 'N' ? 1 : 2];
    if (!json_is_array(arr)) {
        snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        return -1;
    }
    if (json_array_size(arr) == 0) {
        snprintf(msg, cap, "One or more parameter values were invalid: An %s set  may not be empty", kind);
        return -1;
    }
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_string(e))
            return snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly one of the supported "
                                      "datatypes"), -1;
        if (type[0] == 'N' && number_check(e, msg, cap) != 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (json_equal(json_array_get(arr, i), json_array_get(arr, j))) {
                size_t off = (size_t)snprintf(msg, cap, "One or more parameter values were invalid: Input collection [");
                for (size_t k = 0; k < n && off < cap; k++)
                    off += (size_t)snprintf(msg + off, cap - off, "%s%s", k ? ", " : "",
                                            json_string_value(json_array_get(arr, k)));
                if (off < cap)
                    snprintf(msg + off, cap - off, "] contains duplicates.");
                return -1;
            }
        }
    }
    return 0;
}

int ddb_value_check(json_t *av, char *msg, size_t cap) {
    if (!json_is_object(av) || json_object_size(av) == 0) {
        snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        return -1;
    }
    if (json_object_size(av) > 1) {
        snprintf(msg, cap, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                           "supported datatypes");
        return -1;
    }
    const json_t *cv;
    const char *type = ddb_value_type(av, &cv);
    json_t *v = (json_t *)cv;
    if (strcmp(type, "S") == 0 || strcmp(type, "B") == 0)
        return json_is_string(v) ? 0 : (snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly "
                                                           "one of the supported datatypes"), -1);
    if (strcmp(type, "N") == 0)
        return number_check(v, msg, cap);
    if (strcmp(type, "BOOL") == 0)
        return 0;
    if (strcmp(type, "NULL") == 0) {
        if (!json_is_true(v)) {
            snprintf(msg, cap, "One or more parameter values were invalid: Null attribute value types must have the "
                               "value of true");
            return -1;
        }
        return 0;
    }
    if (strcmp(type, "SS") == 0 || strcmp(type, "NS") == 0 || strcmp(type, "BS") == 0)
        return set_check(v, type, msg, cap);
    if (strcmp(type, "L") == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (ddb_value_check(e, msg, cap) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(type, "M") == 0)
        return ddb_item_check(v, msg, cap);
    snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    return -1;
}

int ddb_item_check(json_t *item, char *msg, size_t cap) {
    const char *k;
    json_t *v;
    json_object_foreach(item, k, v) {
        if (ddb_value_check(v, msg, cap) != 0)
            return -1;
    }
    return 0;
}

static bool set_equal(const json_t *a, const json_t *b, bool numbers) {
    if (json_array_size(a) != json_array_size(b))
        return false;
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a, i, x) {
        bool found = false;
        json_array_foreach(b, j, y) {
            if (numbers) {
                ddb_num_t p, q;
                if (ddb_num_parse(json_string_value(x), json_string_length(x), &p) == DDB_NUM_OK &&
                    ddb_num_parse(json_string_value(y), json_string_length(y), &q) == DDB_NUM_OK &&
                    ddb_num_cmp(&p, &q) == 0)
                    found = true;
            } else if (json_equal(x, y)) {
                found = true;
            }
            if (found)
                break;
        }
        if (!found)
            return false;
    }
    return true;
}

bool ddb_value_equal(const json_t *a, const json_t *b) {
    const json_t *pa, *pb;
    const char *ta = ddb_value_type(a, &pa), *tb = ddb_value_type(b, &pb);
    if (ta == NULL || tb == NULL || strcmp(ta, tb) != 0)
        return false;
    if (strcmp(ta, "N") == 0) {
        ddb_num_t p, q;
        return ddb_num_parse(json_string_value(pa), json_string_length(pa), &p) == DDB_NUM_OK &&
               ddb_num_parse(json_string_value(pb), json_string_length(pb), &q) == DDB_NUM_OK &&
               ddb_num_cmp(&p, &q) == 0;
    }
    if (strcmp(ta, "SS") == 0 || strcmp(ta, "BS") == 0 || strcmp(ta, "NS") == 0)
        return set_equal(pa, pb, ta[0] == 'N');
    if (strcmp(ta, "L") == 0) {
        if (json_array_size(pa) != json_array_size(pb))
            return false;
        for (size_t i = 0; i < json_array_size(pa); i++)
            if (!ddb_value_equal(json_array_get(pa, i), json_array_get(pb, i)))
                return false;
        return true;
    }
    if (strcmp(ta, "M") == 0) {
        if (json_object_size(pa) != json_object_size(pb))
            return false;
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)pa, k, v) {
            const json_t *w = json_object_get(pb, k);
            if (w == NULL || !ddb_value_equal(v, w))
                return false;
        }
        return true;
    }
    return json_equal(pa, pb);
}
