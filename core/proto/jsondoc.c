#include "proto/jsondoc.h"

#include "proto/jsonval.h"
#include "util/buf.h"

json_t *nb__json_doc_parse(const char *text, size_t len) {
    if (text == NULL)
        return NULL;
    json_t *v = nb__json_read_fast(text, len);
    return v ? v : json_loadb(text, len, JSON_DECODE_ANY, NULL); /* what the fast reader leaves */
}

char *nb__json_doc_text(const json_t *value) {
    nb__buf_t b = NB__BUF_INIT;
    if (value == NULL || nb__jsonval_dump(NULL, NULL, NULL, value, false, &b) != 0) {
        nb__buf_free(&b);
        return NULL;
    }
    return nb__buf_steal(&b, NULL);
}
