#include "ddb_value.h"

#include <stdio.h>
#include <string.h>

#include "ddb_num.h"

/* The member name of a one-member AttributeValue ("S", "NS", ...) and its payload. */
static const char *av_type(const json_t *av, const json_t **payload) {
    if (!json_is_object(av) || json_object_size(av) != 1)
        return NULL;
    void *it = json_object_iter((json_t *)av);
    if (payload != NULL)
        *payload = json_object_iter_value(it);
    return json_object_iter_key(it);
}

/* What a check reports to and whether it rewrites numbers (`fix`) or only notes that one needs it. */
typedef struct check {
    char *msg;
    size_t cap;
    bool fix;
    bool canonical; /* without fix: false once a number's text is not its canonical one */
} check_t;

static int number_check(json_t *s, check_t *c) {
    char *msg = c->msg;
    size_t cap = c->cap;
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
    if (len == json_string_length(s) && memcmp(text, json_string_value(s), len) == 0)
        return 0;
    if (!c->fix) {
        c->canonical = false;
        return 0;
    }
    return json_string_setn_nocheck(s, text, len) == 0 ? 0 : -1;
}

/* AWS names a set's duplicates by listing the whole input: "Input collection [a, a] contains duplicates." */
static int set_check(json_t *arr, const char *type, check_t *c) {
    char *msg = c->msg;
    size_t cap = c->cap;
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
        if (type[0] == 'N' && number_check(e, c) != 0)
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

static int item_check(json_t *item, check_t *c);

static int value_check(json_t *av, check_t *c) {
    char *msg = c->msg;
    size_t cap = c->cap;
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
    const char *type = av_type(av, &cv);
    json_t *v = (json_t *)cv;
    if (strcmp(type, "S") == 0 || strcmp(type, "B") == 0)
        return json_is_string(v) ? 0 : (snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly "
                                                           "one of the supported datatypes"), -1);
    if (strcmp(type, "N") == 0)
        return number_check(v, c);
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
        return set_check(v, type, c);
    if (strcmp(type, "L") == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (value_check(e, c) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(type, "M") == 0)
        return item_check(v, c);
    snprintf(msg, cap, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    return -1;
}

static int item_check(json_t *item, check_t *c) {
    const char *k;
    json_t *v;
    json_object_foreach(item, k, v) {
        if (value_check(v, c) != 0)
            return -1;
    }
    return 0;
}

int ddb_value_check(json_t *av, char *msg, size_t cap) {
    return value_check(av, &(check_t){.msg = msg, .cap = cap, .fix = true});
}

int ddb_item_check(json_t *item, char *msg, size_t cap) {
    return item_check(item, &(check_t){.msg = msg, .cap = cap, .fix = true});
}

bool ddb_item_canonical(const json_t *item) {
    char msg[512];
    check_t c = {.msg = msg, .cap = sizeof msg, .canonical = true};
    /* without fix nothing is written: the cast only shares the walk */
    return item_check((json_t *)item, &c) == 0 && c.canonical;
}
