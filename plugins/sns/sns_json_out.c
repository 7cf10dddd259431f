/* The envelope's text written directly, byte for byte what json_dumps(JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER) made of it: building a json_t of a dozen strings and dumping it through
 * jansson's stream was a sixth of the instructions of a delivery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

static void put(sns_json_out_t *w, const char *s, size_t n) {
    if (w->failed)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (w->len + n + 1 > cap)
            cap *= 2;
        char *grown = realloc(w->text, cap);
        if (grown == NULL) {
            w->failed = true;
            return;
        }
        w->text = grown;
        w->cap = cap;
    }
    memcpy(w->text + w->len, s, n);
    w->len += n;
    w->text[w->len] = '\0';
}

static void put_indent(sns_json_out_t *w, int depth) {
    static const char spaces[] = "\n                ";
    int n = 2 * depth;
    put(w, spaces, 1);
    for (; n > 0; n -= (int)sizeof spaces - 2)
        put(w, spaces + 1, (size_t)(n < (int)sizeof spaces - 2 ? n : (int)sizeof spaces - 2));
}

/* A JSON string as jansson escapes it: '"', '\\' and the control characters, UTF-8 as is. */
static void put_string(sns_json_out_t *w, const char *s) {
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, run, (size_t)(s - run));
        char esc[8];
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\b': put(w, "\\b", 2); break;
        case '\f': put(w, "\\f", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", c);
            put(w, esc, 6);
        }
        run = s + 1;
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

static void put_member(sns_json_out_t *w, const char *key) {
    put(w, w->members++ ? "," : "{", 1);
    put_indent(w, 1);
    put_string(w, key);
    put(w, ": ", 2);
}

static void put_value(sns_json_out_t *w, const json_t *v, int depth) {
    if (json_is_string(v)) {
        put_string(w, json_string_value(v));
    } else if (json_is_object(v)) {
        if (json_object_size(v) == 0) {
            put(w, "{}", 2);
            return;
        }
        const char *key;
        json_t *member;
        bool first = true;
        json_object_foreach((json_t *)v, key, member) {
            put(w, first ? "{" : ",", 1);
            first = false;
            put_indent(w, depth + 1);
            put_string(w, key);
            put(w, ": ", 2);
            put_value(w, member, depth + 1);
        }
        put_indent(w, depth);
        put(w, "}", 1);
    } else { /* numbers, booleans, null: no nesting to indent */
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (text == NULL)
            w->failed = true;
        else
            put(w, text, strlen(text));
        free(text);
    }
}

void sns_json_out_string(sns_json_out_t *w, const char *key, const char *value) {
    put_member(w, key);
    put_string(w, value);
}

void sns_json_out_value(sns_json_out_t *w, const char *key, const json_t *value) {
    put_member(w, key);
    put_value(w, value, 1);
}

char *sns_json_out_end(sns_json_out_t *w) {
    if (w->members == 0)
        put(w, "{}", 2);
    else {
        put_indent(w, 0);
        put(w, "}", 1);
    }
    if (w->failed) {
        free(w->text);
        w->text = NULL;
    }
    return w->text;
}
