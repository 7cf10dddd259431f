/* The REST binding (core/proto/rest.c), driven through the rest-json marshaller. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/proto.h"
#include "proto/rest.h"

static nb__spec_t *spec;

static const char *shapes =
    "{\"metadata\":{\"protocol\":\"rest-json\",\"apiVersion\":\"2020-01-01\"},\"shapes\":{"
    "\"PutIn\":{\"type\":\"structure\",\"members\":{"
    "  \"Bucket\":{\"shape\":\"Str\",\"location\":\"uri\",\"locationName\":\"Bucket\"},"
    "  \"Key\":{\"shape\":\"Str\",\"location\":\"uri\",\"locationName\":\"Key\"},"
    "  \"Limit\":{\"shape\":\"Int\",\"location\":\"querystring\",\"locationName\":\"limit\"},"
    "  \"Ids\":{\"shape\":\"StrList\",\"location\":\"querystring\",\"locationName\":\"id\"},"
    "  \"Rest\":{\"shape\":\"StrMap\",\"location\":\"querystring\"},"
    "  \"Names\":{\"shape\":\"StrList\",\"location\":\"header\",\"locationName\":\"X-Names\"},"
    "  \"Dates\":{\"shape\":\"TsList\",\"location\":\"header\",\"locationName\":\"X-Dates\"},"
    "  \"Since\":{\"shape\":\"Ts\",\"location\":\"header\",\"locationName\":\"If-Modified-Since\"},"
    "  \"Count\":{\"shape\":\"Int\",\"location\":\"header\",\"locationName\":\"X-Count\"},"
    "  \"Policy\":{\"shape\":\"JsonStr\",\"location\":\"header\",\"locationName\":\"X-Policy\"},"
    "  \"Meta\":{\"shape\":\"StrMap\",\"location\":\"headers\",\"locationName\":\"x-amz-meta-\"},"
    "  \"Body\":{\"shape\":\"Stream\"}},\"payload\":\"Body\"},"
    "\"CfgIn\":{\"type\":\"structure\",\"members\":{"
    "  \"Id\":{\"shape\":\"Str\",\"location\":\"uri\",\"locationName\":\"Id\"},"
    "  \"Config\":{\"shape\":\"Cfg\"}},\"payload\":\"Config\"},"
    "\"BodyIn\":{\"type\":\"structure\",\"members\":{"
    "  \"Id\":{\"shape\":\"Str\",\"location\":\"uri\",\"locationName\":\"Id\"},"
    "  \"Name\":{\"shape\":\"Str\"},\"Size\":{\"shape\":\"Int\"}}},"
    "\"Out\":{\"type\":\"structure\",\"members\":{"
    "  \"Status\":{\"shape\":\"Int\",\"location\":\"statusCode\"},"
    "  \"ETag\":{\"shape\":\"Str\",\"location\":\"header\",\"locationName\":\"ETag\"},"
    "  \"Modified\":{\"shape\":\"Ts\",\"location\":\"header\",\"locationName\":\"Last-Modified\"},"
    "  \"Names\":{\"shape\":\"StrList\",\"location\":\"header\",\"locationName\":\"X-Names\"},"
    "  \"Meta\":{\"shape\":\"StrMap\",\"location\":\"headers\",\"locationName\":\"x-amz-meta-\"},"
    "  \"Name\":{\"shape\":\"Str\"},\"At\":{\"shape\":\"Ts\"}}},"
    "\"BlobOut\":{\"type\":\"structure\",\"members\":{\"Data\":{\"shape\":\"Blob\"}},\"payload\":\"Data\"},"
    "\"EvOut\":{\"type\":\"structure\",\"members\":{\"Events\":{\"shape\":\"Evs\"}},\"payload\":\"Events\"},"
    "\"Evs\":{\"type\":\"structure\",\"eventstream\":true,\"members\":{\"Rec\":{\"shape\":\"RecEv\"},"
    "  \"Stats\":{\"shape\":\"StatsEv\"}}},"
    "\"RecEv\":{\"type\":\"structure\",\"event\":true,\"members\":{\"Payload\":{\"shape\":\"Blob\","
    "  \"eventpayload\":true},\"Seq\":{\"shape\":\"Int\",\"eventheader\":true}}},"
    "\"StatsEv\":{\"type\":\"structure\",\"event\":true,\"members\":{\"Bytes\":{\"shape\":\"Int\"}}},"
    "\"Cfg\":{\"type\":\"structure\",\"members\":{\"Mode\":{\"shape\":\"Str\"},\"Level\":{\"shape\":\"Int\"}}},"
    "\"Str\":{\"type\":\"string\"},\"Int\":{\"type\":\"integer\"},\"Ts\":{\"type\":\"timestamp\"},"
    "\"Blob\":{\"type\":\"blob\"},\"Stream\":{\"type\":\"blob\",\"streaming\":true},"
    "\"JsonStr\":{\"type\":\"string\",\"jsonvalue\":true},"
    "\"StrList\":{\"type\":\"list\",\"member\":{\"shape\":\"Str\"}},"
    "\"TsList\":{\"type\":\"list\",\"member\":{\"shape\":\"Ts\"}},"
    "\"StrMap\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":\"Str\"}}}}";

static void add_op(const char *def) {
    json_error_t e;
    json_t *j = json_loads(def, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    cr_assert_not_null(nb__spec_add_op(spec, j));
    json_decref(j);
}

static void setup(void) {
    json_error_t e;
    char *err = NULL;
    spec = nb__spec_from_json(json_loads(shapes, 0, &e), "test", &err);
    cr_assert_not_null(spec, "%s", err ? err : e.text);
    add_op("{\"name\":\"Put\",\"http\":{\"method\":\"PUT\",\"requestUri\":\"/{Bucket}/{Key+}?x-id=Put\"},"
           "\"input\":{\"shape\":\"PutIn\"}}");
    add_op("{\"name\":\"Cfg\",\"http\":{\"method\":\"PUT\",\"requestUri\":\"/cfg/{Id}\"},\"input\":{\"shape\":\"CfgIn\"}}");
    add_op("{\"name\":\"Body\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/items/{Id}\"},\"input\":{\"shape\":"
           "\"BodyIn\"}}");
    add_op("{\"name\":\"Get\",\"http\":{\"method\":\"GET\",\"requestUri\":\"/\",\"responseCode\":201},"
           "\"output\":{\"shape\":\"Out\"}}");
    add_op("{\"name\":\"Events\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/e\"},\"output\":{\"shape\":"
           "\"EvOut\"}}");
    add_op("{\"name\":\"GetBlob\",\"http\":{\"method\":\"GET\",\"requestUri\":\"/b\"},\"output\":{\"shape\":\"BlobOut\"}}");
}

static void teardown(void) { nb__spec_free(spec); }

TestSuite(proto_rest, .init = setup, .fini = teardown);

static void request(nb__http_request_t *r, const char *method, const char *path, const char *query,
                    const char *body) {
    memset(r, 0, sizeof *r);
    r->method = strdup(method);
    r->path = strdup(path);
    r->query = query ? strdup(query) : NULL;
    r->target = strdup(path);
    r->body = nb__body_from_mem(body ? body : "", body ? strlen(body) : 0);
}

static json_t *parse_ok(const char *op_name, nb__http_request_t *r) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = nb__proto_parse(spec, nb__spec_op(spec, op_name), NB_PROTO_REST_JSON, r, &in, &err);
    cr_assert_eq(rc, 0, "%s: %s", err.code, err.message);
    nb__http_request_free(r);
    return in;
}

static void parse_fails(const char *op_name, nb__http_request_t *r, const char *code, const char *needle) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = nb__proto_parse(spec, nb__spec_op(spec, op_name), NB_PROTO_REST_JSON, r, &in, &err);
    cr_assert_lt(rc, 0);
    cr_assert_null(in);
    cr_assert_str_eq(err.code, code);
    cr_assert_eq(err.status, 400);
    if (needle)
        cr_assert(strstr(err.message, needle), "%s", err.message);
    nb__aws_error_clear(&err);
    nb__http_request_free(r);
}

Test(proto_rest, labels_are_decoded_and_greedy) {
    nb__http_request_t r;
    request(&r, "PUT", "/my-bucket/a/b%20c/d%2Fe.txt", "x-id=Put", "streamed bytes");
    json_t *in = parse_ok("Put", &r);
    cr_assert_str_eq(json_string_value(json_object_get(in, "Bucket")), "my-bucket");
    cr_assert_str_eq(json_string_value(json_object_get(in, "Key")), "a/b c/d/e.txt");
    /* a streaming payload is not part of the value */
    cr_assert_null(json_object_get(in, "Body"));
    /* the literal x-id of the requestUri belongs to no member */
    cr_assert_null(json_object_get(in, "Rest"));
    json_decref(in);
}

Test(proto_rest, query_scalars_lists_and_catch_all_map) {
    nb__http_request_t r;
    request(&r, "PUT", "/b/k", "limit=10&id=a&id=b%2Bc&other=x%20y&flag", NULL);
    json_t *in = parse_ok("Put", &r);
    cr_assert_eq(json_integer_value(json_object_get(in, "Limit")), 10);
    json_t *ids = json_object_get(in, "Ids");
    cr_assert_eq(json_array_size(ids), 2);
    cr_assert_str_eq(json_string_value(json_array_get(ids, 1)), "b+c");
    json_t *rest = json_object_get(in, "Rest");
    cr_assert_eq(json_object_size(rest), 2);
    cr_assert_str_eq(json_string_value(json_object_get(rest, "other")), "x y");
    cr_assert_str_eq(json_string_value(json_object_get(rest, "flag")), "");
    json_decref(in);
}

Test(proto_rest, headers_lists_timestamps_jsonvalue_and_prefix_maps) {
    nb__http_request_t r;
    request(&r, "PUT", "/b/k", NULL, NULL);
    nb__headers_add(&r.headers, "X-Names", "a, \"b,c\", \"d\\\"e\"");
    nb__headers_add(&r.headers, "X-Names", "f");
    nb__headers_add(&r.headers, "X-Dates", "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT");
    nb__headers_add(&r.headers, "If-Modified-Since", "Tue, 29 Apr 2014 18:30:38 GMT");
    nb__headers_add(&r.headers, "X-Policy", "eyJhIjpbMSwyXX0="); /* {"a":[1,2]} */
    nb__headers_add(&r.headers, "X-Amz-Meta-Color", "blue");
    nb__headers_add(&r.headers, "x-amz-meta-size", "L");
    json_t *in = parse_ok("Put", &r);
    json_t *names = json_object_get(in, "Names");
    cr_assert_eq(json_array_size(names), 4);
    cr_assert_str_eq(json_string_value(json_array_get(names, 1)), "b,c");
    cr_assert_str_eq(json_string_value(json_array_get(names, 2)), "d\"e");
    cr_assert_str_eq(json_string_value(json_array_get(names, 3)), "f");
    json_t *dates = json_object_get(in, "Dates");
    cr_assert_eq(json_array_size(dates), 2);
    cr_assert_float_eq(json_real_value(json_array_get(dates, 0)), 1576540098.0, 1e-6);
    cr_assert_float_eq(json_real_value(json_object_get(in, "Since")), 1398796238.0, 1e-6);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(json_object_get(in, "Policy"), "a"), 1)), 2);
    json_t *meta = json_object_get(in, "Meta");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "color")), "blue");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "size")), "L");
    json_decref(in);
}

/* A header sent once is read in place; the prefix map takes a name exactly the prefix (an empty
 * key) and skips names shorter than it or differing near its end. */
Test(proto_rest, single_headers_and_prefix_map_edges) {
    nb__http_request_t r;
    request(&r, "PUT", "/b/k", NULL, NULL);
    nb__headers_add(&r.headers, "x-count", "7");
    nb__headers_add(&r.headers, "X-Names", "");
    nb__headers_add(&r.headers, "x-amz-meta-", "empty key");
    nb__headers_add(&r.headers, "x-amz-metb-z", "not meta");
    nb__headers_add(&r.headers, "x-amz-met", "short");
    nb__headers_add(&r.headers, "X-AMZ-META-Z", "upper");
    json_t *in = parse_ok("Put", &r);
    cr_assert_eq(json_integer_value(json_object_get(in, "Count")), 7);
    cr_assert_not_null(json_object_get(in, "Names"), "an empty header is still present");
    json_t *meta = json_object_get(in, "Meta");
    cr_assert_eq(json_object_size(meta), 2);
    cr_assert_str_eq(json_string_value(json_object_get(meta, "")), "empty key");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "z")), "upper");
    json_decref(in);
}

Test(proto_rest, structure_payload_and_body_members) {
    nb__http_request_t r;
    request(&r, "PUT", "/cfg/42", NULL, "{\"Mode\":\"fast\",\"Level\":3}");
    json_t *in = parse_ok("Cfg", &r);
    cr_assert_str_eq(json_string_value(json_object_get(in, "Id")), "42");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(in, "Config"), "Level")), 3);
    json_decref(in);
    request(&r, "POST", "/items/7", NULL, "{\"Name\":\"n\",\"Size\":5,\"Id\":\"ignored\"}");
    in = parse_ok("Body", &r);
    cr_assert_str_eq(json_string_value(json_object_get(in, "Id")), "7");
    cr_assert_str_eq(json_string_value(json_object_get(in, "Name")), "n");
    json_decref(in);
    /* no body at all: only the bound members */
    request(&r, "POST", "/items/7", NULL, NULL);
    in = parse_ok("Body", &r);
    cr_assert_eq(json_object_size(in), 1);
    json_decref(in);
}

Test(proto_rest, bad_values_are_serialization_errors) {
    nb__http_request_t r;
    request(&r, "PUT", "/b/k", NULL, NULL);
    nb__headers_add(&r.headers, "X-Count", "99999999999");
    parse_fails("Put", &r, "SerializationException", "X-Count");
    request(&r, "PUT", "/b/k", "limit=ten", NULL);
    parse_fails("Put", &r, "SerializationException", "limit");
    request(&r, "PUT", "/b/k", NULL, NULL);
    nb__headers_add(&r.headers, "If-Modified-Since", "someday");
    parse_fails("Put", &r, "SerializationException", "If-Modified-Since");
    request(&r, "PUT", "/b/k", NULL, NULL);
    nb__headers_add(&r.headers, "X-Policy", "e30");
    parse_fails("Put", &r, "SerializationException", "X-Policy");
    request(&r, "PUT", "/b/k%zz", NULL, NULL);
    parse_fails("Put", &r, "SerializationException", "Key");
    request(&r, "POST", "/items/7", NULL, "{\"Name\":");
    parse_fails("Body", &r, "SerializationException", NULL);
    request(&r, "POST", "/items/7", NULL, "{\"Size\":\"big\"}");
    parse_fails("Body", &r, "SerializationException", "Size");
}

static const nb__proto_ctx_t ctx = {.request_id = "req-1"};

Test(proto_rest, serializes_status_headers_and_body) {
    json_error_t e;
    json_t *out = json_loads("{\"Status\":202,\"ETag\":\"\\\"abc\\\"\",\"Modified\":1398796238.0,"
                             "\"Names\":[\"a\",\"b,c\"],\"Meta\":{\"color\":\"blue\"},\"Name\":\"n\",\"At\":1.5}",
                             0, &e);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Get"), NB_PROTO_REST_JSON, out, NULL, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 202);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "ETag"), "\"abc\"");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Last-Modified"), "Tue, 29 Apr 2014 18:30:38 GMT");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "X-Names"), "a, \"b,c\"");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amz-meta-color"), "blue");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-RequestId"), "req-1");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/json");
    json_t *body = json_loadb(resp.body.data, resp.body.len, 0, &e);
    cr_assert_not_null(body, "%s", resp.body.data);
    cr_assert_eq(json_object_size(body), 2, "%s", resp.body.data); /* only the body members */
    cr_assert_float_eq(json_number_value(json_object_get(body, "At")), 1.5, 1e-9);
    json_decref(body);
    json_decref(out);
    nb__http_response_free(&resp);
}

Test(proto_rest, blob_payload_is_sent_raw_and_response_code_applies) {
    json_t *out = json_pack("{s:o}", "Data", json_stringn_nocheck("\0\1raw", 5));
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "GetBlob"), NB_PROTO_REST_JSON, out, NULL, &ctx, &resp),
                 0);
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body.len, 5);
    cr_assert_eq(memcmp(resp.body.data, "\0\1raw", 5), 0);
    nb__http_response_free(&resp);
    json_decref(out);
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Get"), NB_PROTO_REST_JSON, NULL, NULL, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 201);
    nb__http_response_free(&resp);
}

Test(proto_rest, header_list_splitting) {
    json_t *a = nb__rest_split_header_list("  x ,y,, \"q,\\\"r\" ", false);
    cr_assert_eq(json_array_size(a), 4);
    cr_assert_str_eq(json_string_value(json_array_get(a, 0)), "x");
    cr_assert_str_eq(json_string_value(json_array_get(a, 2)), "");
    cr_assert_str_eq(json_string_value(json_array_get(a, 3)), "q,\"r");
    json_decref(a);
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

Test(proto_rest, event_stream_payload_is_framed_with_crcs) {
    json_error_t e;
    json_t *out = json_loads("{\"Events\":[{\"Rec\":{\"Payload\":\"abc\",\"Seq\":7}},{\"Stats\":{\"Bytes\":3}}]}", 0, &e);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Events"), NB_PROTO_REST_JSON, out, NULL, &ctx, &resp),
                 0);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/vnd.amazon.eventstream");
    const unsigned char *p = (const unsigned char *)resp.body.data;
    size_t left = resp.body.len, messages = 0;
    while (left) {
        cr_assert_geq(left, 16);
        uint32_t total = be32(p), hlen = be32(p + 4);
        cr_assert_leq(total, left);
        cr_assert_eq(be32(p + 8), (uint32_t)crc32(0, p, 8));
        cr_assert_eq(be32(p + total - 4), (uint32_t)crc32(0, p, total - 4));
        const char *payload = (const char *)p + 12 + hlen;
        size_t plen = total - 16 - hlen;
        if (messages == 0) {
            cr_assert(memmem(p + 12, hlen, "Rec", 3));
            cr_assert(memmem(p + 12, hlen, "Seq\x04\x00\x00\x00\x07", 8));
            cr_assert_eq(plen, 3);
            cr_assert_eq(memcmp(payload, "abc", 3), 0);
        } else {
            cr_assert(memmem(p + 12, hlen, "Stats", 5));
            cr_assert(memmem(p + 12, hlen, "application/json", 16));
            cr_assert_eq(plen, strlen("{\"Bytes\":3}"));
            cr_assert_eq(memcmp(payload, "{\"Bytes\":3}", plen), 0);
        }
        p += total;
        left -= total;
        messages++;
    }
    cr_assert_eq(messages, 2);
    json_decref(out);
    nb__http_response_free(&resp);
}
