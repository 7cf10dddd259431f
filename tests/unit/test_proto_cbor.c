/* smithy-rpc-v2-cbor: requests parsed into values, outputs and errors into CBOR responses. */
#include <cbor.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/proto.h"

static const char *SPEC_JSON =
    "{\"metadata\":{\"protocol\":\"smithy-rpc-v2-cbor\",\"protocols\":[\"smithy-rpc-v2-cbor\"],"
    "  \"apiVersion\":\"2020-07-14\",\"targetPrefix\":\"Sample\",\"endpointPrefix\":\"sample\"},"
    " \"operations\":{"
    "  \"Put\":{\"name\":\"Put\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/\"},"
    "    \"input\":{\"shape\":\"Shapes\"},\"output\":{\"shape\":\"Shapes\"},"
    "    \"errors\":[{\"shape\":\"InvalidGreeting\"},{\"shape\":\"Custom\"}]},"
    "  \"Ping\":{\"name\":\"Ping\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/\"}}},"
    " \"shapes\":{"
    "  \"Shapes\":{\"type\":\"structure\",\"members\":{"
    "    \"s\":{\"shape\":\"Str\"},\"i\":{\"shape\":\"Int\"},\"l\":{\"shape\":\"Long\"},\"b\":{\"shape\":\"Bool\"},"
    "    \"f\":{\"shape\":\"Float\"},\"d\":{\"shape\":\"Double\"},\"blob\":{\"shape\":\"Blob\"},"
    "    \"t\":{\"shape\":\"Time\"},\"by\":{\"shape\":\"Byte\"},"
    "    \"dense\":{\"shape\":\"DenseList\"},\"sparse\":{\"shape\":\"SparseList\"},"
    "    \"dmap\":{\"shape\":\"DenseMap\"},\"smap\":{\"shape\":\"SparseMap\"},"
    "    \"nested\":{\"shape\":\"Shapes\"},\"renamed\":{\"shape\":\"Str\",\"locationName\":\"wire\"},"
    "    \"doc\":{\"shape\":\"Doc\"}}},"
    "  \"Doc\":{\"type\":\"structure\",\"members\":{},\"document\":true},"
    "  \"Str\":{\"type\":\"string\"},\"Int\":{\"type\":\"integer\"},\"Long\":{\"type\":\"long\"},"
    "  \"Byte\":{\"type\":\"byte\"},\"Bool\":{\"type\":\"boolean\"},\"Float\":{\"type\":\"float\"},"
    "  \"Double\":{\"type\":\"double\"},\"Blob\":{\"type\":\"blob\"},\"Time\":{\"type\":\"timestamp\"},"
    "  \"DenseList\":{\"type\":\"list\",\"member\":{\"shape\":\"Str\"}},"
    "  \"SparseList\":{\"type\":\"list\",\"member\":{\"shape\":\"Str\"},\"sparse\":true},"
    "  \"DenseMap\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":\"Int\"}},"
    "  \"SparseMap\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":\"Int\"},\"sparse\":true},"
    "  \"InvalidGreeting\":{\"type\":\"structure\",\"members\":{\"Message\":{\"shape\":\"Str\"}},"
    "    \"exception\":true},"
    "  \"Custom\":{\"type\":\"structure\",\"members\":{\"message\":{\"shape\":\"Str\"},"
    "    \"Extra\":{\"shape\":\"Int\"}},"
    "    \"error\":{\"code\":\"Customized\",\"httpStatusCode\":402,\"senderFault\":true},\"exception\":true}}}";

static nb__spec_t *spec;

static void setup(void) {
    json_error_t je;
    json_t *root = json_loads(SPEC_JSON, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    char *err = NULL;
    spec = nb__spec_from_json(root, "sample", &err);
    cr_assert_not_null(spec, "%s", err ? err : "");
}
static void teardown(void) { nb__spec_free(spec); }

TestSuite(cbor, .init = setup, .fini = teardown);

static size_t unhex(const char *hex, unsigned char *out) {
    size_t n = 0;
    for (const char *p = hex; p[0] && p[1];) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        sscanf(p, "%2x", &v);
        out[n++] = (unsigned char)v;
        p += 2;
    }
    return n;
}

static char *tohex(const char *data, size_t len) {
    char *s = malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(s + 2 * i, "%02x", (unsigned char)data[i]);
    s[len * 2] = 0;
    return s;
}

/* Parses a request for op whose body is the given bytes. */
static int parse_bytes(const char *op_name, const unsigned char *body, size_t len, json_t **input,
                       nb__aws_error_t *err) {
    nb__http_request_t req = {0};
    req.method = strdup("POST");
    req.path = strdup("/service/Sample/operation/Put");
    req.target = strdup(req.path);
    nb__headers_add(&req.headers, "smithy-protocol", "rpc-v2-cbor");
    nb__headers_add(&req.headers, "Content-Type", "application/cbor");
    req.body = nb__body_from_mem(body, len);
    int rc = nb__proto_parse(spec, nb__spec_op(spec, op_name), NB_PROTO_CBOR, &req, input, err);
    nb__http_request_free(&req);
    return rc;
}

static json_t *parse_hex(const char *hex) {
    unsigned char buf[4096];
    size_t n = unhex(hex, buf);
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_bytes("Put", buf, n, &in, &err);
    cr_assert_eq(rc, 0, "parse failed: %s %s", err.code, err.message);
    nb__aws_error_clear(&err);
    return in;
}

static void assert_value(json_t *got, const char *want_json) {
    json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(want, "bad expectation %s", want_json);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    cr_assert(json_equal(got, want), "got %s, want %s", g, want_json);
    free(g);
    json_decref(want);
    json_decref(got);
}

/* Parsing must fail with a SerializationException whose message mentions what. */
static void assert_malformed(const unsigned char *buf, size_t n, const char *what) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_bytes("Put", buf, n, &in, &err);
    cr_assert_lt(rc, 0, "malformed body accepted");
    cr_assert_null(in);
    cr_assert_str_eq(err.code, "SerializationException");
    cr_assert_eq(err.status, 400);
    cr_assert_not_null(err.message);
    if (what)
        cr_assert(strstr(err.message, what) != NULL, "message '%s' lacks '%s'", err.message, what);
    nb__aws_error_clear(&err);
}

static void assert_malformed_hex(const char *hex, const char *what) {
    unsigned char buf[4096];
    size_t n = unhex(hex, buf);
    assert_malformed(buf, n, what);
}

Test(cbor, empty_body_is_empty_input) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    cr_assert_eq(parse_bytes("Put", (const unsigned char *)"", 0, &in, &err), 0);
    assert_value(in, "{}");
    cr_assert_eq(parse_bytes("Ping", (const unsigned char *)"", 0, &in, &err), 0);
    assert_value(in, "{}");
    /* an operation without input still accepts an empty map */
    cr_assert_eq(parse_bytes("Ping", (const unsigned char *)"\xbf\xff", 2, &in, &err), 0);
    assert_value(in, "{}");
}

Test(cbor, definite_scalars) {
    /* {"s":"hi","i":-5,"l":4294967296,"b":true,"d":1.5(double),"f":7.625(single),"blob":h'00ff',"by":127} */
    json_t *in = parse_hex("a8 6173 626869 6169 24 616c 1b0000000100000000 6162 f5 6164 fb3ff8000000000000"
                           " 6166 fa40f40000 64626c6f62 4200ff 626279 187f");
    cr_assert_eq(json_string_length(json_object_get(in, "blob")), 2);
    cr_assert_eq(memcmp(json_string_value(json_object_get(in, "blob")), "\x00\xff", 2), 0);
    json_object_del(in, "blob");
    assert_value(in, "{\"s\":\"hi\",\"i\":-5,\"l\":4294967296,\"b\":true,\"d\":1.5,\"f\":7.625,\"by\":127}");
}

Test(cbor, indefinite_lengths_everywhere) {
    /* {_ "s": (_ "ab","c"), "blob": (_ h'01', h'02'), "dense": [_ "x", (_ "y")], "dmap": {_ "k": 1}} */
    json_t *in = parse_hex("bf 6173 7f62616261 63ff 64626c6f62 5f41014102ff 6564656e7365 9f6178 7f6179ff ff"
                           " 64646d6170 bf616b01ff ff");
    cr_assert_eq(json_string_length(json_object_get(in, "blob")), 2);
    cr_assert_eq(memcmp(json_string_value(json_object_get(in, "blob")), "\x01\x02", 2), 0);
    json_object_del(in, "blob");
    assert_value(in, "{\"s\":\"abc\",\"dense\":[\"x\",\"y\"],\"dmap\":{\"k\":1}}");
}

Test(cbor, half_floats_and_specials) {
    /* f: half 1.5, d: half subnormal 0x0050 */
    assert_value(parse_hex("a2 6166 f93e00 6164 f90050"), "{\"f\":1.5,\"d\":4.76837158203125e-06}");
    assert_value(parse_hex("a2 6166 f97c00 6164 f9fc00"), "{\"f\":\"Infinity\",\"d\":\"-Infinity\"}");
    assert_value(parse_hex("a2 6166 f97e00 6164 fb7ff8000000000000"), "{\"f\":\"NaN\",\"d\":\"NaN\"}");
    assert_value(parse_hex("a2 6166 fa7f800000 6164 f97c01"), "{\"f\":\"Infinity\",\"d\":\"NaN\"}");
    /* integers upcast into floating shapes */
    assert_value(parse_hex("a2 6166 07 6164 20"), "{\"f\":7.0,\"d\":-1.0}");
}

Test(cbor, timestamps_tag1_integer_or_float) {
    assert_value(parse_hex("a1 6174 c11a535fefce"), "{\"t\":1398796238.0}");
    assert_value(parse_hex("a1 6174 c1fb41cc37db380fbe77"), "{\"t\":946845296.123}");
    /* untagged epoch seconds are accepted too */
    assert_value(parse_hex("a1 6174 1a535fefce"), "{\"t\":1398796238.0}");
    assert_malformed_hex("a1 6174 c16378797a", "expected a timestamp");
    assert_malformed_hex("a1 6174 c0 6378797a", "tag 0");
    assert_malformed_hex("a1 6174 c1 fb7ff8000000000000", "finite");
}

Test(cbor, integer_ranges_and_big_integers) {
    assert_value(parse_hex("a1 6169 1a7fffffff"), "{\"i\":2147483647}");
    assert_value(parse_hex("a1 6169 3a7fffffff"), "{\"i\":-2147483648}");
    assert_malformed_hex("a1 6169 1a80000000", "out of range");
    assert_malformed_hex("a1 6169 3a80000000", "out of range");
    assert_malformed_hex("a1 626279 1880", "out of range");
    assert_value(parse_hex("a1 616c 1b7fffffffffffffff"), "{\"l\":9223372036854775807}");
    assert_malformed_hex("a1 616c 1b8000000000000000", "out of range");
    assert_malformed_hex("a1 616c 3b8000000000000000", "out of range");
    /* bignums (tags 2 and 3) are beyond every integer shape */
    assert_malformed_hex("a1 616c c2 49 010000000000000000", "big integers");
    assert_malformed_hex("a1 6169 c3 41 01", "big integers");
    /* a float is not an integer */
    assert_malformed_hex("a1 6169 f93e00", "expected a integer");
}

Test(cbor, nulls_kept_only_in_sparse_shapes) {
    /* {"s":null, "dense":["a",null], "sparse":["a",null], "dmap":{"x":null,"y":1}, "smap":{"x":null}} */
    assert_value(parse_hex("a5 6173 f6 6564656e7365 826161f6 66737061727365 826161f6"
                           " 64646d6170 a26178f6617901 64736d6170 a16178f7"),
                 "{\"dense\":[\"a\"],\"sparse\":[\"a\",null],\"dmap\":{\"y\":1},\"smap\":{\"x\":null}}");
}

Test(cbor, unknown_members_are_skipped_and_names_follow_location_name) {
    /* {"zz": {_ "q": [_ 1, (_ "x")], "r": h'00'}, "wire": "v", "renamed": "no", "nested": {"i": 1, "zz": 0}} */
    assert_value(parse_hex("a4 627a7a bf 6171 9f01 7f6178ff ff 6172 4100 ff 6477697265 6176"
                           " 6772656e616d6564 626e6f 666e6573746564 a2616901627a7a00"),
                 "{\"renamed\":\"v\",\"nested\":{\"i\":1}}");
}

Test(cbor, malformed_bodies_are_serialization_errors) {
    assert_malformed_hex("a1 6173", "end of CBOR");         /* truncated */
    assert_malformed_hex("a1 6173 6568", "end of CBOR");    /* string shorter than its length */
    assert_malformed_hex("a0 00", "trailing");               /* trailing bytes */
    assert_malformed_hex("82 0102", "expected a map");       /* not a map */
    assert_malformed_hex("a1 01 02", "key");                 /* non-text key */
    assert_malformed_hex("a1 6173 1c", "invalid CBOR");      /* reserved additional info */
    assert_malformed_hex("a1 6173 ff", "break");             /* stray break */
    assert_malformed_hex("bf 6173 6161", "end of CBOR");     /* unterminated indefinite map */
    assert_malformed_hex("a1 6173 7f 4161 ff", "chunk");     /* byte chunk inside a text string */
    assert_malformed_hex("a1 6173 62c328", "UTF-8");         /* invalid UTF-8 */
    assert_malformed_hex("a1 6173 f5", "expected a string"); /* wrong type */
    assert_malformed_hex("a1 6462 6c6f62 6161", "expected a blob");
    assert_malformed_hex("a1 6173 f0", "invalid CBOR");      /* unassigned simple value */
}

Test(cbor, deep_nesting_is_refused_not_a_crash) {
    size_t depth = 100000;
    unsigned char *buf = malloc(200000);
    size_t n = 0;
    /* {"zz": [[[[...]]]]} in an unknown member, then in a known recursive one */
    memcpy(buf, "\xa1\x62zz", 4);
    n = 4;
    memset(buf + n, 0x81, depth);
    n += depth;
    buf[n++] = 0x00;
    assert_malformed(buf, n, "nesting");
    n = 0;
    for (size_t i = 0; i < 20000; i++) {
        memcpy(buf + n, "\xa1\x66nested", 8);
        n += 8;
    }
    buf[n++] = 0xa0;
    assert_malformed(buf, n, "nesting");
    free(buf);
}

Test(cbor, every_prefix_of_a_valid_body_fails_cleanly) {
    unsigned char buf[256];
    size_t n = unhex("bf 6173 7f62616261 63ff 64626c6f62 5f41014102ff 6564656e7365 9f6178 7f6179ff ff"
                     " 6174 c1fb41cc37db380fbe77 6166 f93e00 ff",
                     buf);
    for (size_t i = 1; i < n; i++)
        assert_malformed(buf, i, NULL);
}

/* ---- serializing ---- */

static nb__proto_ctx_t ctx = {.request_id = "req-1"};

static char *serialize_hex(const char *op_name, const char *output_json, nb__http_response_t *resp) {
    json_t *out = output_json ? json_loads(output_json, 0, NULL) : NULL;
    nb__http_response_init(resp);
    int rc = nb__proto_serialize(spec, nb__spec_op(spec, op_name), NB_PROTO_CBOR, out, NULL, &ctx, resp);
    cr_assert_eq(rc, 0);
    json_decref(out);
    return tohex(resp->body.data ? resp->body.data : "", resp->body.len);
}

Test(cbor, output_encodes_by_shape_with_headers) {
    nb__http_response_t resp;
    char *hex = serialize_hex("Put",
                              "{\"s\":\"hi\",\"i\":-5,\"b\":false,\"f\":7.625,\"d\":1.889,\"t\":1398796238,"
                              "\"renamed\":\"v\",\"unknown\":1}",
                              &resp);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "smithy-protocol"), "rpc-v2-cbor");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/cbor");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-RequestId"), "req-1");
    cr_assert_str_eq(hex, "a7"
                          "6173626869"
                          "616924"
                          "6162f4"
                          "6166fa40f40000"
                          "6164fb3ffe395810624dd3"
                          "6174c11a535fefce"
                          "6477697265" "6176");
    free(hex);
    nb__http_response_free(&resp);
}

Test(cbor, output_blobs_specials_fractional_time_and_collections) {
    nb__http_response_t resp;
    json_t *out = json_pack("{s:s#,s:s,s:s,s:f,s:[s,n],s:[s,n],s:{s:n,s:i},s:{s:n}}", "blob", "\x00\x01", 2,
                            "f", "NaN", "d", "-Infinity", "t", 946845296.123, "dense", "a", "sparse", "a", "dmap",
                            "x", "y", 1, "smap", "x");
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Put"), NB_PROTO_CBOR, out, NULL, &ctx, &resp), 0);
    json_decref(out);
    /* Reading it back through the parser gives the same value (absent nulls dropped). */
    json_t *back = NULL;
    nb__aws_error_t err = {0};
    cr_assert_eq(parse_bytes("Put", (const unsigned char *)resp.body.data, resp.body.len, &back, &err), 0);
    char *hex = tohex(resp.body.data, resp.body.len);
    cr_assert(strstr(hex, "6166fa7fc00000") != NULL, "%s", hex);          /* float NaN as single */
    cr_assert(strstr(hex, "6164fbfff0000000000000") != NULL, "%s", hex);  /* double -Infinity */
    cr_assert(strstr(hex, "6174c1fb41cc37db380fbe77") != NULL, "%s", hex); /* tag 1 + double */
    cr_assert(strstr(hex, "64626c6f62420001") != NULL, "%s", hex);        /* byte string */
    free(hex);
    cr_assert_eq(json_string_length(json_object_get(back, "blob")), 2);
    json_object_del(back, "blob");
    assert_value(back, "{\"f\":\"NaN\",\"d\":\"-Infinity\",\"t\":946845296.123,\"dense\":[\"a\"],"
                       "\"sparse\":[\"a\",null],\"dmap\":{\"y\":1},\"smap\":{\"x\":null}}");
    nb__http_response_free(&resp);
}

Test(cbor, no_output_shape_means_empty_body_without_content_type) {
    nb__http_response_t resp;
    char *hex = serialize_hex("Ping", NULL, &resp);
    cr_assert_str_eq(hex, "");
    cr_assert_null(nb__headers_get(&resp.headers, "Content-Type"));
    cr_assert_str_eq(nb__headers_get(&resp.headers, "smithy-protocol"), "rpc-v2-cbor");
    free(hex);
    nb__http_response_free(&resp);
    hex = serialize_hex("Put", NULL, &resp);
    cr_assert_str_eq(hex, "a0");
    free(hex);
    nb__http_response_free(&resp);
}

/* Decodes a response body with libcbor's tree API: an independent reader. */
static cbor_item_t *load(const nb__http_response_t *resp) {
    struct cbor_load_result r;
    cbor_item_t *item = cbor_load((cbor_data)resp->body.data, resp->body.len, &r);
    cr_assert_not_null(item);
    cr_assert_eq(r.read, resp->body.len);
    cr_assert(cbor_isa_map(item));
    return item;
}

static char *map_text(cbor_item_t *map, const char *key) {
    struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        if (cbor_isa_string(pairs[i].key) && cbor_string_length(pairs[i].key) == strlen(key) &&
            memcmp(cbor_string_handle(pairs[i].key), key, strlen(key)) == 0) {
            if (!cbor_isa_string(pairs[i].value))
                return strdup("<not a string>");
            return strndup((char *)cbor_string_handle(pairs[i].value), cbor_string_length(pairs[i].value));
        }
    }
    return NULL;
}

Test(cbor, errors_carry_type_and_message_member_of_the_shape) {
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, spec, nb__spec_op(spec, "Put"), "InvalidGreeting", 0, "Hi %d", 1);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, nb__spec_op(spec, "Put"), NB_PROTO_CBOR, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/cbor");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "smithy-protocol"), "rpc-v2-cbor");
    cr_assert_null(nb__headers_get(&resp.headers, "x-amzn-query-error"));
    cbor_item_t *m = load(&resp);
    char *type = map_text(m, "__type"), *msg = map_text(m, "Message");
    cr_assert_not_null(type);
    const char *hash = strrchr(type, '#');
    cr_assert(hash && strcmp(hash, "#InvalidGreeting") == 0, "%s", type);
    cr_assert_str_eq(msg, "Hi 1");
    free(type);
    free(msg);
    cbor_decref(&m);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
}

Test(cbor, errors_by_custom_code_use_shape_id_status_and_fields) {
    nb__aws_error_t err = {0};
    err.fields = json_pack("{s:i}", "Extra", 7);
    nb__aws_error_set(&err, spec, nb__spec_op(spec, "Put"), "Customized", 0, "Oops");
    cr_assert_eq(err.status, 402);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, nb__spec_op(spec, "Put"), NB_PROTO_CBOR, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 402);
    cbor_item_t *m = load(&resp);
    char *type = map_text(m, "__type"), *msg = map_text(m, "message");
    cr_assert(strstr(type, "#Custom") && strcmp(strrchr(type, '#'), "#Custom") == 0, "%s", type);
    cr_assert_str_eq(msg, "Oops");
    cr_assert_eq(cbor_map_size(m), 3);
    free(type);
    free(msg);
    cbor_decref(&m);
    nb__http_response_free(&resp);

    /* an awsQueryCompatible service also names the query code and fault in a header */
    spec->query_compatible = true;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, nb__spec_op(spec, "Put"), NB_PROTO_CBOR, &err, &ctx, &resp), 0);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-query-error"), "Customized;Sender");
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);

    nb__aws_error_set(&err, spec, nb__spec_op(spec, "Put"), "ServiceUnavailable", 503, "down");
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, nb__spec_op(spec, "Put"), NB_PROTO_CBOR, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 503);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-query-error"), "ServiceUnavailable;Receiver");
    m = load(&resp);
    msg = map_text(m, "message");
    cr_assert_str_eq(msg, "down");
    free(msg);
    cbor_decref(&m);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
}

Test(cbor, serialization_error_answers_in_cbor) {
    unsigned char bad[] = {0xa1, 0x61};
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    cr_assert_lt(parse_bytes("Put", bad, sizeof bad, &in, &err), 0);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, NULL, NB_PROTO_CBOR, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    cbor_item_t *m = load(&resp);
    char *type = map_text(m, "__type");
    cr_assert_str_eq(strrchr(type, '#'), "#SerializationException");
    free(type);
    cbor_decref(&m);
    nb__http_response_free(&resp);

    /* errors raised before routing have no spec at all */
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(NULL, NULL, NB_PROTO_CBOR, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    m = load(&resp);
    type = map_text(m, "__type");
    cr_assert_str_eq(strrchr(type, '#'), "#SerializationException");
    free(type);
    cbor_decref(&m);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
}

/* Every single-byte change of a body that exercises most item kinds either
 * parses into a value the serializer accepts back, or is a SerializationException. */
Test(cbor, mutated_bodies_never_crash) {
    unsigned char orig[512], buf[512];
    size_t n = unhex("bf 6173 7f62616261 63ff 64626c6f62 5f41014102ff 6564656e7365 9f6178 7f6179ff f6 ff"
                     " 66737061727365 82f66162 64736d6170 a26178f6617901 6174 c1fb41cc37db380fbe77"
                     " 6166 f93e00 6164 fa7f800000 6169 3a7fffffff 616c 1b7fffffffffffffff 6162 f5"
                     " 666e6573746564 a1 6169 01 627a7a bf 6171 9f01c2410100 ff ff ff",
                     orig);
    const unsigned char probes[] = {0x00, 0x01, 0x17, 0x18, 0x1b, 0x1f, 0x3b, 0x40, 0x5f, 0x60, 0x7f, 0x80,
                                    0x9f, 0xa0, 0xbf, 0xc1, 0xc2, 0xdb, 0xf4, 0xf6, 0xf7, 0xf9, 0xfb, 0xff};
    int accepted = 0, refused = 0;
    json_t *whole = NULL;
    nb__aws_error_t werr = {0};
    cr_assert_eq(parse_bytes("Put", orig, n, &whole, &werr), 0, "%s", werr.message);
    char *dump = json_dumps(whole, JSON_SORT_KEYS);
    cr_assert_eq(json_object_size(whole), 12, "%s", dump);
    free(dump);
    json_decref(whole);
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < sizeof probes; p++) {
            memcpy(buf, orig, n);
            buf[i] = probes[p];
            json_t *in = NULL;
            nb__aws_error_t err = {0};
            if (parse_bytes("Put", buf, n, &in, &err) == 0) {
                nb__http_response_t resp;
                nb__http_response_init(&resp);
                cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Put"), NB_PROTO_CBOR, in, NULL, &ctx, &resp),
                             0, "byte %zu = %02x: parsed value does not serialize", i, probes[p]);
                nb__http_response_free(&resp);
                json_decref(in);
                accepted++;
            } else {
                cr_assert_str_eq(err.code, "SerializationException");
                nb__aws_error_clear(&err);
                refused++;
            }
        }
    }
    cr_assert_gt(accepted, 0);
    cr_assert_gt(refused, 0);
}

Test(cbor, documents_keep_any_cbor_value) {
    /* {"doc": {"a": [1, -2, "x", true, null, 1.5], "b": {"c": 0}}} */
    assert_value(parse_hex("a1 63646f63 a2 6161 86 01 21 6178 f5 f6 f93e00 6162 a1616300"),
                 "{\"doc\":{\"a\":[1,-2,\"x\",true,null,1.5],\"b\":{\"c\":0}}}");
    /* documents are JSON-like: no byte strings */
    assert_malformed_hex("a1 63646f63 81 4100", "byte strings");

    unsigned char *buf = malloc(300000);
    size_t n = 0;
    memcpy(buf, "\xa1\x63" "doc", 5);
    n = 5;
    memset(buf + n, 0xc1, 100000); /* tags on tags */
    n += 100000;
    buf[n++] = 0x00;
    assert_malformed(buf, n, "tags");
    n = 5;
    buf[n++] = 0x81; /* the same inside a document's array */
    memset(buf + n, 0xc1, 100000);
    n += 100000;
    buf[n++] = 0x00;
    assert_malformed(buf, n, "nesting");
    n = 5;
    memset(buf + n, 0x9f, 100000); /* indefinite arrays in arrays */
    n += 100000;
    assert_malformed(buf, n, "nesting");
    n = 5;
    for (int i = 0; i < 50000; i++) { /* maps in maps */
        buf[n++] = 0xa1;
        buf[n++] = 0x61;
        buf[n++] = 'k';
    }
    buf[n++] = 0x00;
    assert_malformed(buf, n, "nesting");
    free(buf);

    nb__http_response_t resp;
    char *hex = serialize_hex("Put", "{\"doc\":{\"a\":[1,\"x\",false,null]}}", &resp);
    cr_assert_str_eq(hex, "a1" "63646f63" "a1" "6161" "84" "01" "6178" "f4" "f6");
    free(hex);
    nb__http_response_free(&resp);
}
