/* The SNS envelope writer (plugins/sns/sns_json_out.c): byte for byte the text
 * json_dumps(JSON_INDENT(2) | JSON_PRESERVE_ORDER) made of the same members, which is what
 * subscribers received before it and what tests and verifiers compare. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

static void assert_same(json_t *expected_obj, sns_json_out_t *w) {
    char *expected = json_dumps(expected_obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *got = sns_json_out_end(w);
    cr_assert_not_null(got);
    cr_assert_str_eq(got, expected);
    free(expected);
    free(got);
    json_decref(expected_obj);
}

Test(sns_json_out, strings_escaped_as_jansson_escapes_them) {
    static const char *const values[] = {"plain", "", "quo\"te \\ back/slash", "ctl \x01\x1f\b\f\n\r\t end",
                                         "utf-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\x7f del"};
    json_t *obj = json_object();
    sns_json_out_t w = {0};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        char key[16];
        snprintf(key, sizeof key, "K\t%zu", i);
        json_object_set_new(obj, key, json_string(values[i]));
        sns_json_out_string(&w, key, values[i]);
    }
    assert_same(obj, &w);
}

Test(sns_json_out, nested_message_attributes_indented) {
    json_t *attrs = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:{},s:i,s:b,s:n}", "a\"b", "Type", "String", "Value", "v\n",
                              "n", "Type", "Number", "Value", "12", "empty", "int", 5, "bool", 1, "null");
    json_t *obj = json_pack("{s:s,s:O}", "Type", "Notification", "MessageAttributes", attrs);
    sns_json_out_t w = {0};
    sns_json_out_string(&w, "Type", "Notification");
    sns_json_out_value(&w, "MessageAttributes", attrs);
    json_decref(attrs);
    assert_same(obj, &w);
}

Test(sns_json_out, no_members_is_an_empty_object) {
    sns_json_out_t w = {0};
    assert_same(json_object(), &w);
}

Test(sns_json_out, long_text_grows_the_buffer) {
    size_t n = 100000;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = i % 97 == 0 ? '"' : (char)('a' + i % 26);
    big[n] = '\0';
    sns_json_out_t w = {0};
    sns_json_out_string(&w, "Message", big);
    json_t *obj = json_pack("{s:s}", "Message", big);
    free(big);
    assert_same(obj, &w);
}
