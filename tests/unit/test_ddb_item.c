/* DynamoDB items as stored: the binary codec round-trips every AttributeValue type, item sizes as
 * AWS counts them, capacity units, and AttributeValue checks with AWS's messages. */
#include <criterion/criterion.h>
#include <string.h>

#include "ddb_codec.h"
#include "ddb_item_size.h"
#include "ddb_value.h"

static json_t *parse(const char *text) {
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    cr_assert_not_null(v, "%s: %s", text, err.text);
    return v;
}

Test(ddb_codec, round_trips_every_type) {
    json_t *item = parse("{\"s\":{\"S\":\"h\\u00e9\"},\"n\":{\"N\":\"-1.5\"},\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},"
                         "\"z\":{\"NULL\":true},\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},"
                         "\"l\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"k\":{\"N\":\"0\"}}}]},\"m\":{\"M\":{}}}");
    json_object_set_new(item, "b", json_pack("{s:o}", "B", json_stringn_nocheck("\0\xff\x01", 3)));
    json_object_set_new(item, "bs", json_pack("{s:[o]}", "BS", json_stringn_nocheck("\0", 1)));
    ddb_buf_t buf = {0};
    cr_assert_eq(ddb_item_encode(item, &buf), 0);
    json_t *back = ddb_item_decode(buf.data, buf.len);
    cr_assert_not_null(back);
    cr_assert(json_equal(item, back), "round trip differs");
    cr_assert_eq(json_string_length(json_object_get(json_object_get(back, "b"), "B")), 3);
    /* a truncated encoding is refused, never read past its end */
    for (size_t cut = 0; cut < buf.len; cut++)
        cr_assert_null(ddb_item_decode(buf.data, cut), "decoded %zu of %zu bytes", cut, buf.len);
    ddb_buf_free(&buf);
    json_decref(back);
    json_decref(item);
}

Test(ddb_codec, refuses_what_is_not_an_attribute_value) {
    json_t *bad = parse("{\"a\":{\"X\":\"1\"}}");
    ddb_buf_t buf = {0};
    cr_assert_eq(ddb_item_encode(bad, &buf), -1);
    ddb_buf_free(&buf);
    json_decref(bad);
}

static size_t size_of(const char *text) {
    json_t *item = parse(text);
    size_t n = ddb_item_size(item);
    json_decref(item);
    return n;
}

Test(ddb_item_size, as_aws_counts) {
    cr_assert_eq(size_of("{\"a\":{\"S\":\"abc\"}}"), 1 + 3);
    cr_assert_eq(size_of("{\"a\":{\"S\":\"\\u00e9\"}}"), 1 + 2); /* UTF-8 bytes */
    cr_assert_eq(size_of("{\"n\":{\"N\":\"123\"}}"), 1 + 2 + 1);   /* 1 byte per two digits, plus 1 */
    cr_assert_eq(size_of("{\"n\":{\"N\":\"-0.00100\"}}"), 1 + 1 + 1); /* zeros are not significant */
    cr_assert_eq(size_of("{\"b\":{\"BOOL\":true},\"z\":{\"NULL\":true}}"), 2 + 2);
    cr_assert_eq(size_of("{\"l\":{\"L\":[{\"S\":\"ab\"},{\"N\":\"1\"}]}}"), 1 + 3 + (1 + 2) + (1 + 2));
    cr_assert_eq(size_of("{\"m\":{\"M\":{\"x\":{\"S\":\"y\"}}}}"), 1 + 3 + (1 + 1 + 1));
    cr_assert_eq(size_of("{\"s\":{\"SS\":[\"ab\",\"c\"]}}"), 1 + 3);
}

Test(ddb_item_size, capacity_units) {
    cr_assert_eq(ddb_write_units(0), 1.0);
    cr_assert_eq(ddb_write_units(1024), 1.0);
    cr_assert_eq(ddb_write_units(1025), 2.0);
    cr_assert_eq(ddb_read_units(4096, 1), 1.0);
    cr_assert_eq(ddb_read_units(4096, 0), 0.5);
    cr_assert_eq(ddb_read_units(4097, 1), 2.0);
    cr_assert_eq(ddb_read_units(0, 0), 0.5);
}

static const char *check(const char *text, char *msg, size_t cap) {
    json_t *item = parse(text);
    int rc = ddb_item_check(item, msg, cap);
    json_decref(item);
    return rc == 0 ? NULL : msg;
}

Test(ddb_value, messages_as_aws_words_them) {
    char msg[512];
    cr_assert_str_eq(check("{\"s\":{\"SS\":[\"x\",\"y\",\"x\"]}}", msg, sizeof msg),
                     "One or more parameter values were invalid: Input collection [x, y, x] contains duplicates.");
    cr_assert_str_eq(check("{\"s\":{\"NS\":[]}}", msg, sizeof msg),
                     "One or more parameter values were invalid: An number set  may not be empty");
    cr_assert_str_eq(check("{\"s\":{}}", msg, sizeof msg),
                     "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    cr_assert_str_eq(check("{\"s\":{\"S\":\"a\",\"N\":\"1\"}}", msg, sizeof msg),
                     "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                     "supported datatypes");
    cr_assert_str_eq(check("{\"n\":{\"N\":\"1x\"}}", msg, sizeof msg),
                     "A value provided cannot be converted into a number");
    cr_assert_str_eq(check("{\"z\":{\"NULL\":false}}", msg, sizeof msg),
                     "One or more parameter values were invalid: Null attribute value types must have the value of "
                     "true");
    cr_assert_null(check("{\"ok\":{\"L\":[{\"M\":{\"a\":{\"N\":\"1\"}}}]}}", msg, sizeof msg));
}

Test(ddb_value, numbers_are_canonicalized_in_place) {
    json_t *item = parse("{\"n\":{\"N\":\"0012.500\"},\"s\":{\"NS\":[\"1e2\",\"-0.0\"]}}");
    char msg[256];
    cr_assert_eq(ddb_item_check(item, msg, sizeof msg), 0, "%s", msg);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(item, "n"), "N")), "12.5");
    json_t *ns = json_object_get(json_object_get(item, "s"), "NS");
    cr_assert_str_eq(json_string_value(json_array_get(ns, 0)), "100");
    cr_assert_str_eq(json_string_value(json_array_get(ns, 1)), "0");
    json_decref(item);
}
