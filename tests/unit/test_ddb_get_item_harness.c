/*
 * GetItem answered in-process (nb_call, as the harness calls): the plugin replies with JSON text
 * (nb_reply_json_text, ABI 1.11), which the core parses against the output shape for a caller that
 * wants a value, so binary values arrive as bytes and strings unescaped, as nb_reply_new gave them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/testing.h"
#include "support/harness_fixture.h"

static nb_test_t *h;

static void setup(void) { h = harness_start("dynamodb"); }
static void teardown(void) { nb_test_free(h); }

TestSuite(ddb_get_item_call, .init = setup, .fini = teardown);

Test(ddb_get_item_call, item_values_arrive_as_values) {
    json_decref(harness_call_ok(h, "dynamodb", "CreateTable",
                                "{\"TableName\":\"t\",\"BillingMode\":\"PAY_PER_REQUEST\","
                                "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                                "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}"));
    json_decref(harness_call_ok(h, "dynamodb", "PutItem",
                                "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"k\"},\"b\":{\"B\":\"\\u0001ab\\u007f\"},"
                                "\"s\":{\"S\":\"q\\\" bs\\\\ nl\\n \\u00e9\"},\"l\":{\"L\":[{\"N\":\"1.50\"}]}}}"));
    json_t *out = harness_call_ok(h, "dynamodb", "GetItem", "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"k\"}}}");
    json_t *item = json_object_get(out, "Item");
    cr_assert_not_null(item);
    json_t *b = json_object_get(json_object_get(item, "b"), "B");
    /* the harness's input is the value itself: these bytes, sent back in base64 and decoded */
    cr_assert_eq(json_string_length(b), 4, "%zu %s", json_string_length(b), json_string_value(b));
    cr_assert(memcmp(json_string_value(b), "\x01" "ab\x7f", 4) == 0);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(item, "s"), "S")), "q\" bs\\ nl\n \xc3\xa9");
    json_t *n = json_object_get(json_array_get(json_object_get(json_object_get(item, "l"), "L"), 0), "N");
    cr_assert_str_eq(json_string_value(n), "1.5");
    json_decref(out);
    out = harness_call_ok(h, "dynamodb", "GetItem", "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"none\"}}}");
    cr_assert_eq(json_object_size(out), 0);
    json_decref(out);
}
