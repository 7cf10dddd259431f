/* The direct JSON writer (core/proto/jsonwrite.c) prints what jansson prints for the wire tree
 * (nb__jsonval_to_wire), byte for byte, for every shape kind and the strings that need escapes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/jsonval.h"
#include "proto/proto.h"

static nb__spec_t *load(const char *protocol) {
    char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"metadata\":{\"protocol\":\"%s\",\"jsonVersion\":\"1.0\",\"targetPrefix\":\"T\","
             "\"endpointPrefix\":\"svc\",\"apiVersion\":\"2020-01-01\"},\"shapes\":{"
             "\"Out\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Str\"},\"Count\":{\"shape\":\"Int\"},"
             "  \"Big\":{\"shape\":\"Long\"},\"Data\":{\"shape\":\"Blob\"},\"At\":{\"shape\":\"Ts\"},"
             "  \"Iso\":{\"shape\":\"IsoTs\"},\"Ratio\":{\"shape\":\"Dbl\"},\"Flag\":{\"shape\":\"Bool\"},"
             "  \"Tags\":{\"shape\":\"Tags\"},\"Items\":{\"shape\":\"Items\"},\"Renamed\":{\"shape\":\"Str\","
             "  \"locationName\":\"wire_name\"},\"Hdr\":{\"shape\":\"Str\",\"location\":\"header\"},"
             "  \"Doc\":{\"shape\":\"Doc\"},\"Chain\":{\"shape\":\"Node\"}}},"
             "\"Node\":{\"type\":\"structure\",\"members\":{\"Next\":{\"shape\":\"Node\"},\"V\":{\"shape\":\"Str\"}}},"
             "\"Str\":{\"type\":\"string\"},\"Int\":{\"type\":\"integer\"},\"Long\":{\"type\":\"long\"},"
             "\"Blob\":{\"type\":\"blob\"},\"Bool\":{\"type\":\"boolean\"},\"Ts\":{\"type\":\"timestamp\"},"
             "\"IsoTs\":{\"type\":\"timestamp\",\"timestampFormat\":\"iso8601\"},\"Dbl\":{\"type\":\"double\"},"
             "\"Doc\":{\"type\":\"structure\",\"members\":{},\"document\":true},"
             "\"Items\":{\"type\":\"list\",\"member\":{\"shape\":\"Node\"}},"
             "\"Tags\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":\"Ts\"}}}}",
             protocol);
    json_error_t e;
    char *err = NULL;
    nb__spec_t *s = nb__spec_from_json(json_loads(doc, 0, &e), "svc", &err);
    cr_assert_not_null(s, "%s", err ? err : e.text);
    return s;
}

/* The writer's bytes (rc too) against jansson's dump of the wire tree. */
static void same_as_tree(const nb__spec_t *s, const json_t *value, bool body_only) {
    const json_t *shape = nb__spec_shape(s, "Out");
    cr_assert_not_null(shape);
    json_t *wire = nb__jsonval_to_wire(s, NULL, shape, value, body_only);
    char *want = json_dumps(wire, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(wire);
    nb__buf_t got = NB__BUF_INIT;
    int rc = nb__jsonval_dump(s, NULL, shape, value, body_only, &got);
    if (want == NULL) {
        cr_assert_neq(rc, 0, "jansson refused the tree, the writer wrote %s", got.data ? got.data : "");
    } else {
        cr_assert_eq(rc, 0, "the writer failed where jansson printed %s", want);
        cr_assert_str_eq(got.data ? got.data : "", want);
    }
    free(want);
    nb__buf_free(&got);
}

static json_t *value(const char *text) {
    json_error_t e;
    json_t *v = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
    cr_assert_not_null(v, "%s: %s", text, e.text);
    return v;
}

Test(proto_jsonwrite, every_shape_kind_prints_as_the_wire_tree) {
    nb__spec_t *s = load("json");
    const char *cases[] = {
        "{}",
        "{\"Name\":\"n\",\"Count\":3,\"Big\":9007199254740993,\"At\":1398796238,\"Iso\":1398796238.25,"
        " \"Ratio\":0.1,\"Flag\":true,\"Renamed\":\"w\",\"Hdr\":\"h\",\"Unknown\":1,\"Doc\":{\"a\":[1,\"x\",null]}}",
        "{\"At\":1398796238.123456,\"Ratio\":\"-Infinity\",\"Count\":2.0,\"Flag\":false}",
        "{\"Ratio\":1e300,\"Big\":-5,\"Name\":null,\"Tags\":{\"b\":1.5,\"a\":2,\"n\":null}}",
        "{\"Items\":[{\"V\":\"a\"},null,{\"Next\":{\"Next\":{\"V\":\"deep\"}}}],\"Chain\":{\"V\":\"c\"}}",
        "{\"Items\":\"not a list\",\"Tags\":[1],\"Chain\":5,\"Name\":7,\"Count\":\"x\",\"At\":\"yesterday\"}",
        "{\"Name\":\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f bell \\u0007 del \\u007f\"}",
        "{\"Name\":\"caf\\u00e9 \\u2028 \\ud83d\\ude00 nul \\u0000 end\",\"Tags\":{\"k\\u00e9y \\\"q\\\"\":1}}",
        "[1,2]",
        "\"just a string\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = value(cases[i]);
        same_as_tree(s, v, false);
        same_as_tree(s, v, true);
        json_decref(v);
    }
    nb__spec_free(s);
}

Test(proto_jsonwrite, blobs_and_binary_strings) {
    nb__spec_t *s = load("json");
    json_t *v = json_object();
    json_object_set_new(v, "Data", json_stringn_nocheck("\0\xff\x01 bin", 8));
    same_as_tree(s, v, false);
    /* a string that is not UTF-8 fails as jansson fails it, it is not printed half-checked */
    json_object_set_new(v, "Name", json_stringn_nocheck("bad \xff\xfe", 6));
    same_as_tree(s, v, false);
    json_decref(v);
    nb__spec_free(s);
}

Test(proto_jsonwrite, query_specs_keep_member_names) {
    nb__spec_t *s = load("query");
    json_t *v = value("{\"Renamed\":\"w\",\"Name\":\"n\"}");
    same_as_tree(s, v, false);
    nb__buf_t got = NB__BUF_INIT;
    cr_assert_eq(nb__jsonval_dump(s, NULL, nb__spec_shape(s, "Out"), v, false, &got), 0);
    cr_assert_str_eq(got.data, "{\"Name\":\"n\",\"Renamed\":\"w\"}");
    nb__buf_free(&got);
    json_decref(v);
    nb__spec_free(s);
}
