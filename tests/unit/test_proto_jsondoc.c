/* Stored JSON documents (core/proto/jsondoc.c, ABI 1.9's nb_json_parse / nb_json_text): the value
 * json_loadb gives and the bytes json_dumps prints, for the documents plugins store and the
 * texts the one-pass reader leaves to jansson. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jsondoc.h"

static const char *const docs[] = {
    "{\"ContentType\":\"binary/octet-stream\",\"ChecksumCRC32\":\"XT3o7Q==\",\"ChecksumAlgorithm\":\"CRC32\"}",
    "{\"Metadata\":{\"a\":\"1\",\"b-c\":\"caf\\u00e9\"},\"TagSet\":[{\"Key\":\"k\",\"Value\":\"v\"}],\"Grants\":[]}",
    "{\"q\":\"say \\\"hi\\\"\\n\\\\ \\t\\u0001\",\"n\":-12,\"big\":9223372036854775807,\"t\":true,\"f\":false,\"z\":null}",
    "{\"Expires\":1700000000.5,\"r\":0.1,\"e\":1e300,\"nested\":[[1,[2,{}]],{}],\"\\u00fckey\":\"\\ud83d\\ude00\"}",
    "[1,\"two\",3.5,{\"k\":[]}]",
    "\"a string\"",
    "42",
    "  {\"spaced\" : [ 1 , 2 ] }  ",
    "{}",
};

Test(jsondoc, reads_what_jansson_reads_and_prints_what_it_prints) {
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *want = json_loadb(docs[i], strlen(docs[i]), JSON_DECODE_ANY, NULL);
        cr_assert_not_null(want, "jansson reads %s", docs[i]);
        json_t *got = nb__json_doc_parse(docs[i], strlen(docs[i]));
        cr_assert_not_null(got, "%s", docs[i]);
        cr_assert(json_equal(got, want), "%s", docs[i]);
        char *want_text = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *got_text = nb__json_doc_text(got);
        cr_assert_not_null(got_text, "%s", docs[i]);
        cr_assert_str_eq(got_text, want_text);
        free(want_text);
        free(got_text);
        json_decref(got);
        json_decref(want);
    }
}

Test(jsondoc, insertion_order_kept) {
    json_t *v = json_object();
    json_object_set_new(v, "z", json_string("1"));
    json_object_set_new(v, "a", json_integer(2));
    char *text = nb__json_doc_text(v);
    cr_assert_str_eq(text, "{\"z\":\"1\",\"a\":2}");
    free(text);
    json_decref(v);
}

Test(jsondoc, refuses_what_is_not_json) {
    static const char *const bad[] = {"", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "nul", "\"\\x\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(nb__json_doc_parse(bad[i], strlen(bad[i])), "%s", bad[i]);
    cr_assert_null(nb__json_doc_parse(NULL, 0));
    cr_assert_null(nb__json_doc_text(NULL));
}

Test(jsondoc, a_string_that_is_not_utf8_is_not_printed) {
    json_t *v = json_object();
    json_object_set_new(v, "k", json_stringn_nocheck("\xff\xfe", 2));
    cr_assert_null(nb__json_doc_text(v));
    json_decref(v);
}
