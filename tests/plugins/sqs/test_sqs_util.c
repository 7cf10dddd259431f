/* SQS rules that need no server: checksums, names, URLs, ARNs, receipt handles, attribute checks. */
#include <criterion/criterion.h>
#include <string.h>

#include "../core_util.h"

#include "../../../plugins/sqs/sqs_util.c"

static json_t *attr(const char *type, const char *value) {
    return json_pack("{s:s,s:s}", "DataType", type, "StringValue", value);
}

/* Published values: the AWS documentation's example and an SDK's test. */
Test(sqs_md5, message_attributes_match_published_values) {
    char out[33];
    json_t *a = json_pack("{s:o}", "SellerName", attr("String", "Example Store"));
    cr_assert(sqs_attributes_md5(a, out));
    cr_assert_str_eq(out, "cd28f3b68aeee4b2eac9c66f2f694b58");
    json_decref(a);
    a = json_pack("{s:o,s:o}", "ordinal", attr("Number", "1"), "category", attr("String", "test"));
    cr_assert(sqs_attributes_md5(a, out));
    cr_assert_str_eq(out, "d21ae90c49061e927f57df5f5d72be1f");
    json_decref(a);
}

Test(sqs_md5, order_of_insertion_does_not_matter_and_binary_differs_from_string) {
    char x[33], y[33], z[33];
    json_t *a = json_pack("{s:o,s:o}", "b", attr("String", "2"), "a", attr("String", "1"));
    json_t *b = json_pack("{s:o,s:o}", "a", attr("String", "1"), "b", attr("String", "2"));
    sqs_attributes_md5(a, x);
    sqs_attributes_md5(b, y);
    cr_assert_str_eq(x, y);
    json_t *c = json_pack("{s:{s:s,s:s%}}", "a", "DataType", "String", "BinaryValue", "1", (size_t)1);
    json_t *d = json_pack("{s:o}", "a", attr("String", "1"));
    sqs_attributes_md5(c, z);
    sqs_attributes_md5(d, x);
    cr_assert_str_neq(x, z); /* transport byte 2 vs 1 */
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
}

Test(sqs_md5, empty_attributes_have_no_checksum) {
    char out[33] = "x";
    json_t *a = json_object();
    cr_assert_not(sqs_attributes_md5(a, out));
    cr_assert_not(sqs_attributes_md5(NULL, out));
    json_decref(a);
}

Test(sqs_md5, body) {
    char out[33];
    sqs_md5_hex("hello", 5, out);
    cr_assert_str_eq(out, "5d41402abc4b2a76b9719d911017c592"); /* RFC 1321 tools agree */
}

Test(sqs_names, queue_names) {
    cr_assert(sqs_queue_name_valid("a", false));
    cr_assert(sqs_queue_name_valid("Abc-_9", false));
    char long80[81], long81[82];
    memset(long80, 'x', 80);
    long80[80] = '\0';
    memset(long81, 'x', 81);
    long81[81] = '\0';
    cr_assert(sqs_queue_name_valid(long80, false));
    cr_assert_not(sqs_queue_name_valid(long81, false));
    cr_assert_not(sqs_queue_name_valid("", false));
    cr_assert_not(sqs_queue_name_valid("has space", false));
    cr_assert_not(sqs_queue_name_valid("dot.name", false));
    cr_assert_not(sqs_queue_name_valid("q.fifo", false));
    cr_assert(sqs_queue_name_valid("q.fifo", true));
    cr_assert_not(sqs_queue_name_valid("q", true));
    cr_assert_not(sqs_queue_name_valid(".fifo", true));
    memcpy(long81 + 76, ".fifo", 6); /* 81 characters with the suffix */
    cr_assert_not(sqs_queue_name_valid(long81, true));
}

Test(sqs_names, batch_ids) {
    cr_assert(sqs_batch_id_valid("a-B_1"));
    cr_assert_not(sqs_batch_id_valid(""));
    cr_assert_not(sqs_batch_id_valid("a b"));
    cr_assert_not(sqs_batch_id_valid("a.b"));
    cr_assert_not(sqs_batch_id_valid(NULL));
}

Test(sqs_names, group_and_deduplication_ids) {
    cr_assert(sqs_fifo_id_valid("group-1"));
    cr_assert(sqs_fifo_id_valid("CTC#QA-1"));
    cr_assert(sqs_fifo_id_valid("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"));
    char max[129];
    memset(max, 'x', 128);
    max[128] = '\0';
    cr_assert(sqs_fifo_id_valid(max));
    char over[130];
    memset(over, 'x', 129);
    over[129] = '\0';
    cr_assert_not(sqs_fifo_id_valid(over));
    cr_assert_not(sqs_fifo_id_valid(""));
    cr_assert_not(sqs_fifo_id_valid("a b"));
    cr_assert_not(sqs_fifo_id_valid("tab\there"));
    cr_assert_not(sqs_fifo_id_valid("caf\xc3\xa9"));
    cr_assert_not(sqs_fifo_id_valid(NULL));
}

Test(sqs_url, every_host_form_gives_account_and_name) {
    char acc[16], reg[32], name[96];
    cr_assert(sqs_parse_queue_url("http://127.0.0.1:4566/000000000000/q1", acc, reg, name));
    cr_assert_str_eq(acc, "000000000000");
    cr_assert_str_eq(name, "q1");
    cr_assert_str_eq(reg, "");
    cr_assert(sqs_parse_queue_url("http://sqs.eu-west-1.localhost.localstack.cloud:4566/123456789012/q.fifo", acc, reg,
                                  name));
    cr_assert_str_eq(acc, "123456789012");
    cr_assert_str_eq(reg, "eu-west-1");
    cr_assert_str_eq(name, "q.fifo");
    cr_assert(sqs_parse_queue_url("https://sqs.us-east-2.amazonaws.com/1/q", acc, reg, name));
    cr_assert_str_eq(reg, "us-east-2");
    cr_assert(sqs_parse_queue_url("https://ap-south-1.queue.amazonaws.com/1/q", acc, reg, name));
    cr_assert_str_eq(reg, "ap-south-1");
    cr_assert(sqs_parse_queue_url("http://localhost:4566/000000000000/q", acc, reg, name));
    cr_assert_str_eq(reg, "");
    cr_assert(sqs_parse_queue_url("/000000000000/q", acc, reg, name));
    cr_assert_str_eq(name, "q");
    cr_assert(sqs_parse_queue_url("http://localhost:4566/queue/eu-central-1/000000000000/q", acc, reg, name));
    cr_assert_str_eq(reg, "eu-central-1");
    cr_assert_str_eq(acc, "000000000000");
    cr_assert_str_eq(name, "q");
    cr_assert_not(sqs_parse_queue_url("http://localhost:4566/queue/eu-central-1", acc, reg, name));
    cr_assert_not(sqs_parse_queue_url("http://localhost:4566/", acc, reg, name));
    cr_assert_not(sqs_parse_queue_url("http://localhost:4566/q", acc, reg, name));
    cr_assert_not(sqs_parse_queue_url("q", acc, reg, name));
    cr_assert_not(sqs_parse_queue_url("http://h/a/b/c", acc, reg, name));
    cr_assert_not(sqs_parse_queue_url(NULL, acc, reg, name));
}

Test(sqs_url, arns) {
    char acc[16], reg[32], name[96];
    cr_assert(sqs_parse_arn("arn:aws:sqs:us-east-1:000000000000:dlq", acc, reg, name));
    cr_assert_str_eq(acc, "000000000000");
    cr_assert_str_eq(reg, "us-east-1");
    cr_assert_str_eq(name, "dlq");
    cr_assert_not(sqs_parse_arn("arn:aws:sns:us-east-1:000000000000:t", acc, reg, name));
    cr_assert_not(sqs_parse_arn("arn:aws:sqs:us-east-1:000000000000", acc, reg, name));
    cr_assert_not(sqs_parse_arn("nonsense", acc, reg, name));
}

Test(sqs_receipt, round_trip_and_garbage) {
    char *h = sqs_receipt_new(7, 12345, 3);
    int64_t q, s, r;
    cr_assert(sqs_receipt_parse(h, &q, &s, &r));
    cr_assert_eq(q, 7);
    cr_assert_eq(s, 12345);
    cr_assert_eq(r, 3);
    char *h2 = sqs_receipt_new(7, 12345, 3);
    cr_assert_str_neq(h, h2); /* each receive gets its own handle */
    free(h);
    free(h2);
    cr_assert_not(sqs_receipt_parse("garbage", &q, &s, &r));
    cr_assert_not(sqs_receipt_parse("", &q, &s, &r));
    cr_assert_not(sqs_receipt_parse("aGVsbG8gd29ybGQ=", &q, &s, &r)); /* base64, not ours */
}

Test(sqs_attrs, checks) {
    char msg[512];
    size_t bytes;
    json_t *ok = json_pack("{s:o,s:{s:s,s:s%}}", "n", attr("Number", "1.5"), "b", "DataType", "Binary", "BinaryValue",
                           "\0\1", (size_t)2);
    cr_assert(sqs_message_attributes_check(ok, &bytes, msg, sizeof msg));
    cr_assert_eq(bytes, strlen("n") + strlen("Number") + 3 + strlen("b") + strlen("Binary") + 2);
    json_decref(ok);
    struct {
        json_t *a;
        const char *needle;
    } bad[] = {
        {json_pack("{s:o}", "n", attr("Number", "abc")), "cast"},
        {json_pack("{s:o}", "x", attr("Integer", "1")), "supported type prefixes"},
        {json_pack("{s:o}", "x", attr("String", "")), "non-empty"},
        {json_pack("{s:o}", "AWS.x", attr("String", "1")), "reserved"},
        {json_pack("{s:o}", "a..b", attr("String", "1")), "invalid"},
        {json_pack("{s:o}", "x", json_pack("{s:s}", "DataType", "String")), "non-empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(sqs_message_attributes_check(bad[i].a, &bytes, msg, sizeof msg), "case %zu", i);
        cr_assert(strstr(msg, bad[i].needle) != NULL, "case %zu: %s", i, msg);
        json_decref(bad[i].a);
    }
    json_t *many = json_object();
    for (int i = 0; i < 11; i++) {
        char k[8];
        snprintf(k, sizeof k, "a%d", i);
        json_object_set_new(many, k, attr("String", "v"));
    }
    cr_assert_not(sqs_message_attributes_check(many, &bytes, msg, sizeof msg));
    cr_assert(strstr(msg, "[11] exceeds the allowed maximum [10]") != NULL);
    json_decref(many);
}

Test(sqs_body, allowed_characters) {
    cr_assert(sqs_body_chars_valid("plain\t\n\r text", 13));
    cr_assert(sqs_body_chars_valid("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80", 9));
    cr_assert_not(sqs_body_chars_valid("a\x01", 2));
    cr_assert_not(sqs_body_chars_valid("\xef\xbf\xbe", 3)); /* U+FFFE */
    cr_assert_not(sqs_body_chars_valid("\xc3", 1));         /* cut sequence */
}

/* The printable-ASCII run is checked eight bytes at a time: a bad byte anywhere in a long
 * body, at any offset within its word, is still found, and a good body still passes. */
Test(sqs_body, long_bodies_checked_at_every_offset) {
    char body[41];
    static const char bad[] = {'\x01', '\x1f', '\x00', '\x0b'};
    static const char good[] = {'\t', '\n', '\r', '\x7f', ' ', '~'};
    for (size_t at = 0; at < sizeof body; at++) {
        for (size_t b = 0; b < sizeof bad; b++) {
            memset(body, 'x', sizeof body);
            body[at] = bad[b];
            cr_assert_not(sqs_body_chars_valid(body, sizeof body), "0x%02x at %zu", bad[b], at);
        }
        for (size_t g = 0; g < sizeof good; g++) {
            memset(body, 'x', sizeof body);
            body[at] = good[g];
            cr_assert(sqs_body_chars_valid(body, sizeof body), "0x%02x at %zu", good[g], at);
        }
        if (at + 1 < sizeof body) { /* U+00E9 in the middle of ASCII: checked the slow way, passes */
            memset(body, 'x', sizeof body);
            memcpy(body + at, "\xc3\xa9", 2);
            cr_assert(sqs_body_chars_valid(body, sizeof body), "U+00E9 at %zu", at);
        }
    }
}

/* A handler's members are read in one walk of the input's keys. */
Test(sqs_json, members_read_in_one_walk) {
    json_t *in = json_pack("{s:s,s:i,s:n}", "MessageBody", "b", "DelaySeconds", 5, "Other", NULL);
    static const char *const names[] = {"DelaySeconds", "MessageGroupId", "MessageBody"};
    const json_t *v[3];
    sqs_json_members(in, names, v, 3);
    cr_assert_eq(json_integer_value(v[0]), 5);
    cr_assert_null(v[1]);
    cr_assert_str_eq(json_string_value(v[2]), "b");
    json_decref(in);
}

Test(sqs_attrs, selection_filters) {
    json_t *all = json_pack("[s]", "All");
    json_t *prefix = json_pack("[s]", "s.*");
    json_t *exact = json_pack("[s,s]", "n", ".x");
    cr_assert(sqs_attribute_selected(all, "anything"));
    cr_assert(sqs_attribute_selected(prefix, "s.custom"));
    cr_assert_not(sqs_attribute_selected(prefix, "sx"));
    cr_assert(sqs_attribute_selected(exact, "n"));
    cr_assert_not(sqs_attribute_selected(exact, "m"));
    json_decref(all);
    json_decref(prefix);
    json_decref(exact);
    cr_assert(sqs_attribute_known("VisibilityTimeout"));
    cr_assert_not(sqs_attribute_known("Visibility"));
}
