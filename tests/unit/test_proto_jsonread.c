/* The fast JSON reader (core/proto/jsonread.c) takes a document only as jansson would: the same
 * value, keys in the same order; everything it leaves (NULL) goes to json_loadb. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jsonval.h"

#define FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Whether the fast reader took text; when it did, jansson took it too, to the same value. */
static bool agrees(const char *text, size_t len) {
    json_t *fast = nb__json_read_fast(text, len);
    json_error_t e;
    json_t *ref = json_loadb(text, len, FLAGS, &e);
    if (fast) {
        cr_assert_not_null(ref, "fast reader took what jansson refuses (%s): %.*s", e.text, (int)len, text);
        cr_assert(json_equal(fast, ref), "values differ for %.*s", (int)len, text);
        char *a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY), *b = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
        cr_assert_str_eq(a, b, "order or form differs for %.*s", (int)len, text);
        free(a);
        free(b);
    }
    bool took = fast != NULL;
    json_decref(fast);
    json_decref(ref);
    return took;
}

static bool agrees_str(const char *text) { return agrees(text, strlen(text)); }

Test(proto_jsonread, takes_what_sdks_send) {
    const char *docs[] = {
        "{\"QueueUrl\":\"http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q\",\"MessageBody\":\"hi\"}",
        " {\"a\" : [1, -2, 0, -0, 123456789012345678, true, false, null, {}, []], \"b\": {\"c\": \"\"}}\r\n",
        "{\"esc\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t u\\u00e9 \\u20ac \\ud83d\\ude00 nul\\u0000 end\"}",
        "{\"raw\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
        "{\"dup\":1,\"x\":2,\"dup\":3}",
        "[\"top\", \"level\"]",
        "\"just a string\"",
        "42",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        cr_assert(agrees_str(docs[i]), "the fast reader left a plain document to jansson: %s", docs[i]);
}

Test(proto_jsonread, leaves_the_rest_to_jansson) {
    const char *docs[] = {
        "", "   ", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{'a':1}", "01", "-", "1.5",
        "1e3", "-0.0", "1234567890123456789", "tru", "truex", "nul", "{\"a\":1} x", "\"unterminated",
        "\"ctl \x01\"", "\"bad \\x\"", "\"lone \\ud800\"", "\"lone \\udc00\"", "\"pair \\ud800\\u0041\"",
        "\"hex \\u12g4\"", "\"overlong \xc0\xaf\"", "\"surrogate \xed\xa0\x80\"", "\"big \xf4\x90\x80\x80\"",
        "\"cut \xe2\x82\"", "{\"k\\u0000ey\":1}", "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        cr_assert_not(agrees_str(docs[i]), "the fast reader took %s", docs[i]);
    cr_assert_not(agrees("{\"a\":\"x\"}\0", 10));
    /* nesting deeper than the fast reader goes: jansson's call */
    char deep[2 * 600 + 1];
    memset(deep, '[', 600);
    memset(deep + 600, ']', 600);
    deep[1200] = '\0';
    cr_assert_not(agrees_str(deep));
}

/* Mutations of a few documents (a fixed seed): whatever the fast reader takes, jansson takes alike. */
Test(proto_jsonread, mutations_agree) {
    const char *seeds[] = {
        "{\"QueueUrl\":\"http://h/0/q\",\"MessageBody\":\"b \\\"x\\\" \\u00e9\",\"DelaySeconds\":5,"
        "\"MessageAttributes\":{\"a\":{\"DataType\":\"String\",\"StringValue\":\"v\"}},\"L\":[1,true,null]}",
        "[{\"k\":[]},{},\"s\\n\",-12,false]",
    };
    static const char alphabet[] = "{}[]\":,\\ -0123456789eE.tfnulrsa\x01\x7f\xc3\xa9\xed\xf0";
    uint64_t x = 88172645463325252ull;
    int took = 0;
    for (int round = 0; round < 20000; round++) {
        const char *seed = seeds[round % 2];
        size_t len = strlen(seed);
        char buf[512];
        memcpy(buf, seed, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % len);
            int op = (int)((x >> 20) % 3);
            char c = alphabet[(x >> 32) % (sizeof alphabet - 1)];
            if (op == 0)
                buf[at] = c;
            else if (op == 1 && len + 1 < sizeof buf) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            } else if (len > 1) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
        }
        took += agrees(buf, len);
    }
    cr_assert_gt(took, 100, "the mutations should keep some documents valid (%d)", took);
}

/* The plain span (jsonplain.c, eight bytes at a time) ends at the first byte that needs an
 * escape or a UTF-8 check, wherever it sits in a word and whatever surrounds it. */
Test(proto_jsonread, plain_span_stops_at_the_first_special_byte) {
    static const unsigned char special[] = {'"', '\\', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xc3, 0xff};
    static const unsigned char fill[] = {' ', 'a', '~', '!', 0x21, 0x5b, 0x5d};
    char s[40];
    for (size_t f = 0; f < sizeof fill; f++)
        for (size_t sp = 0; sp < sizeof special; sp++)
            for (size_t at = 0; at <= sizeof s; at++) {
                memset(s, fill[f], sizeof s);
                if (at < sizeof s)
                    s[at] = (char)special[sp];
                cr_assert_eq(nb__json_plain_span(s, sizeof s), at, "fill 0x%02x, byte 0x%02x at %zu", fill[f],
                             special[sp], at);
                /* shorter texts end the span at their end */
                size_t len = at / 2;
                cr_assert_eq(nb__json_plain_span(s, len), len);
            }
}
