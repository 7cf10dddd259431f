/* awsQuery and ec2: form decoding into inputs, XML responses and errors. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/form.h"
#include "proto/proto.h"
#include "proto/xml.h"

static const char *SPEC_JSON =
    "{\"metadata\": {\"protocol\": \"query\", \"apiVersion\": \"2012-11-05\", \"endpointPrefix\": \"svc\","
    "  \"xmlNamespace\": \"http://queue.amazonaws.com/doc/2012-11-05/\"},"
    " \"operations\": {"
    "  \"Op\": {\"name\": \"Op\", \"http\": {\"method\": \"POST\", \"requestUri\": \"/\"},"
    "          \"input\": {\"shape\": \"OpInput\"},"
    "          \"output\": {\"shape\": \"OpOutput\", \"resultWrapper\": \"OpResult\"},"
    "          \"errors\": [{\"shape\": \"QueueMissing\"}]},"
    "  \"NoOut\": {\"name\": \"NoOut\", \"http\": {\"method\": \"POST\", \"requestUri\": \"/\"}}},"
    " \"shapes\": {"
    "  \"OpInput\": {\"type\": \"structure\", \"members\": {"
    "    \"Name\": {\"shape\": \"Str\"},"
    "    \"Count\": {\"shape\": \"Int\"},"
    "    \"Flag\": {\"shape\": \"Bool\"},"
    "    \"When\": {\"shape\": \"Time\"},"
    "    \"Data\": {\"shape\": \"Blob\"},"
    "    \"Ratio\": {\"shape\": \"Dbl\"},"
    "    \"Tags\": {\"shape\": \"StrList\"},"
    "    \"Flat\": {\"shape\": \"StrList\", \"flattened\": true, \"locationName\": \"Item\"},"
    "    \"Attrs\": {\"shape\": \"StrMap\", \"locationName\": \"Attribute\"},"
    "    \"FlatMap\": {\"shape\": \"NamedMap\", \"flattened\": true},"
    "    \"Entries\": {\"shape\": \"EntryList\"},"
    "    \"Nested\": {\"shape\": \"Nest\"},"
    "    \"lowerName\": {\"shape\": \"Str\"},"
    "    \"Renamed\": {\"shape\": \"Str\", \"locationName\": \"renamedLoc\"},"
    "    \"HasQueryName\": {\"shape\": \"Str\", \"queryName\": \"QN\", \"locationName\": \"ignored\"},"
    "    \"Tags2\": {\"shape\": \"TagMap\"}}},"
    "  \"TagMap\": {\"type\": \"map\", \"flattened\": true, \"locationName\": \"Tag\","
    "              \"key\": {\"shape\": \"Str\", \"locationName\": \"Key\"},"
    "              \"value\": {\"shape\": \"Str\", \"locationName\": \"Value\"}},"
    "  \"OpOutput\": {\"type\": \"structure\", \"members\": {"
    "    \"QueueUrl\": {\"shape\": \"Str\"},"
    "    \"Count\": {\"shape\": \"Int\"},"
    "    \"When\": {\"shape\": \"Time\"},"
    "    \"Tags\": {\"shape\": \"StrList\"},"
    "    \"Flat\": {\"shape\": \"StrList\", \"flattened\": true, \"locationName\": \"Item\"},"
    "    \"Attrs\": {\"shape\": \"StrMap\", \"locationName\": \"Attribute\", \"flattened\": true}}},"
    "  \"Nest\": {\"type\": \"structure\", \"members\": {\"A\": {\"shape\": \"Str\"}, \"Inner\": {\"shape\": \"Nest\"}}},"
    "  \"Entry\": {\"type\": \"structure\", \"members\": {\"Id\": {\"shape\": \"Str\"}, \"N\": {\"shape\": \"Int\"}}},"
    "  \"EntryList\": {\"type\": \"list\", \"member\": {\"shape\": \"Entry\", \"locationName\": \"Entry\"}},"
    "  \"StrList\": {\"type\": \"list\", \"member\": {\"shape\": \"Str\"}},"
    "  \"StrMap\": {\"type\": \"map\", \"key\": {\"shape\": \"Str\", \"locationName\": \"Name\"},"
    "              \"value\": {\"shape\": \"Str\", \"locationName\": \"Value\"}},"
    "  \"NamedMap\": {\"type\": \"map\", \"key\": {\"shape\": \"Str\"}, \"value\": {\"shape\": \"Str\"}},"
    "  \"QueueMissing\": {\"type\": \"structure\", \"members\": {\"message\": {\"shape\": \"Str\"}},"
    "    \"exception\": true,"
    "    \"error\": {\"code\": \"AWS.SimpleQueueService.NonExistentQueue\", \"httpStatusCode\": 400,"
    "              \"senderFault\": true}},"
    "  \"Str\": {\"type\": \"string\"}, \"Int\": {\"type\": \"integer\"}, \"Bool\": {\"type\": \"boolean\"},"
    "  \"Time\": {\"type\": \"timestamp\"}, \"Blob\": {\"type\": \"blob\"}, \"Dbl\": {\"type\": \"double\"}}}";

static nb__spec_t *load_spec(const char *protocol) {
    json_error_t jerr;
    json_t *root = json_loads(SPEC_JSON, 0, &jerr);
    cr_assert_not_null(root, "%s", jerr.text);
    json_object_set_new(json_object_get(root, "metadata"), "protocol", json_string(protocol));
    char *err = NULL;
    nb__spec_t *spec = nb__spec_from_json(root, "svc", &err);
    cr_assert_not_null(spec, "%s", err ? err : "");
    return spec;
}

static void make_request(nb__http_request_t *req, const char *method, const char *query, const char *body) {
    memset(req, 0, sizeof *req);
    req->method = strdup(method);
    req->path = strdup("/");
    req->query = query ? strdup(query) : NULL;
    req->target = strdup("/");
    if (body)
        nb__headers_add(&req->headers, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    req->body = nb__body_from_mem(body ? body : "", body ? strlen(body) : 0);
}

/* Parses body with the operation; returns the input (owned by the caller) and fills err. */
static json_t *parse_with(nb__spec_t *spec, nb__protocol_t proto, const char *body, int *rc, nb__aws_error_t *err) {
    nb__http_request_t req;
    make_request(&req, "POST", NULL, body);
    json_t *input = NULL;
    *rc = nb__proto_parse(spec, nb__spec_op(spec, "Op"), proto, &req, &input, err);
    nb__http_request_free(&req);
    return input;
}

static void assert_json(const json_t *got, const char *want_text) {
    json_t *want = json_loads(want_text, 0, NULL);
    cr_assert_not_null(want, "bad expected JSON: %s", want_text);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(got, want), "got %s\nwant %s", g, w);
    free(g);
    free(w);
    json_decref(want);
}

Test(form, splits_and_decodes_pairs) {
    nb__form_t f = NB__FORM_INIT;
    const char *s = "Action=Send&Body=a+b%26c%3D&Empty=&Bare&&Dup=1&Dup=2";
    cr_assert_eq(nb__form_parse(&f, s, strlen(s)), 0);
    cr_assert_str_eq(nb__form_get(&f, "Action")->value, "Send");
    cr_assert_str_eq(nb__form_get(&f, "Body")->value, "a b&c=");
    cr_assert_eq(nb__form_get(&f, "Empty")->value_len, 0);
    cr_assert_not_null(nb__form_get(&f, "Bare"));
    cr_assert_str_eq(nb__form_get(&f, "Dup")->value, "1", "the first of duplicate keys wins");
    cr_assert(nb__form_has_prefix(&f, "Bo"));
    cr_assert_not(nb__form_has_prefix(&f, "Zz"));
    nb__form_free(&f);
}

Test(form, rejects_bad_percent_encoding) {
    const char *bad[] = {"A=%", "A=%4", "A=%zz", "%G1=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nb__form_t f = NB__FORM_INIT;
        cr_expect_eq(nb__form_parse(&f, bad[i], strlen(bad[i])), NB_EPROTO, "%s", bad[i]);
        nb__form_free(&f);
    }
}

Test(query_parse, scalars_lists_maps_and_nesting) {
    nb__spec_t *spec = load_spec("query");
    nb__aws_error_t err = {0};
    int rc;
    json_t *in = parse_with(spec, NB_PROTO_QUERY,
                            "Action=Op&Version=2012-11-05&Name=q%201&Count=-7&Flag=true&When=2015-01-25T08%3A00%3A00Z"
                            "&Data=dmFsdWU%3D&Ratio=1.5&Tags.member.2=b&Tags.member.1=a&Item.1=x&Item.2=y"
                            "&Attribute.entry.1.Name=k1&Attribute.entry.1.Value=v1&Attribute.entry.2.Name=k2"
                            "&Attribute.entry.2.Value=v2&FlatMap.1.key=fk&FlatMap.1.value=fv"
                            "&Entries.Entry.1.Id=e1&Entries.Entry.1.N=1&Entries.Entry.2.Id=e2"
                            "&Nested.A=top&Nested.Inner.Inner.A=deep&lowerName=lo&renamedLoc=r&Unknown=ignored",
                            &rc, &err);
    cr_assert_eq(rc, 0, "%s", err.message ? err.message : "");
    assert_json(in, "{\"Name\": \"q 1\", \"Count\": -7, \"Flag\": true, \"When\": 1422172800.0, \"Data\": \"value\","
                    " \"Ratio\": 1.5, \"Tags\": [\"a\", \"b\"], \"Flat\": [\"x\", \"y\"],"
                    " \"Attrs\": {\"k1\": \"v1\", \"k2\": \"v2\"}, \"FlatMap\": {\"fk\": \"fv\"},"
                    " \"Entries\": [{\"Id\": \"e1\", \"N\": 1}, {\"Id\": \"e2\"}],"
                    " \"Nested\": {\"A\": \"top\", \"Inner\": {\"Inner\": {\"A\": \"deep\"}}},"
                    " \"lowerName\": \"lo\", \"Renamed\": \"r\"}");
    json_decref(in);
    nb__spec_free(spec);
}

Test(query_parse, traits_on_the_target_shape_name_the_member) {
    /* SQS TagQueue: the map shape itself is flattened and named "Tag" */
    nb__spec_t *spec = load_spec("query");
    nb__aws_error_t err = {0};
    int rc;
    json_t *in = parse_with(spec, NB_PROTO_QUERY, "Tag.1.Key=a&Tag.1.Value=1&Tag.2.Key=b&Tag.2.Value=2", &rc, &err);
    cr_assert_eq(rc, 0);
    assert_json(in, "{\"Tags2\": {\"a\": \"1\", \"b\": \"2\"}}");
    json_decref(in);
    nb__spec_free(spec);
}

Test(query_parse, empty_list_and_get_query_string) {
    nb__spec_t *spec = load_spec("query");
    nb__http_request_t req;
    make_request(&req, "GET", "Action=Op&Tags=&Name=from%20url", NULL);
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    cr_assert_eq(nb__proto_parse(spec, nb__spec_op(spec, "Op"), NB_PROTO_QUERY, &req, &in, &err), 0);
    assert_json(in, "{\"Tags\": [], \"Name\": \"from url\"}");
    json_decref(in);
    nb__http_request_free(&req);
    nb__spec_free(spec);
}

Test(query_parse, list_indexes_stop_at_the_first_gap) {
    nb__spec_t *spec = load_spec("query");
    nb__aws_error_t err = {0};
    int rc;
    json_t *in = parse_with(spec, NB_PROTO_QUERY, "Tags.member.1=a&Tags.member.3=c&Tags.member.0=z", &rc, &err);
    cr_assert_eq(rc, 0);
    assert_json(in, "{\"Tags\": [\"a\"]}");
    json_decref(in);
    nb__spec_free(spec);
}

Test(query_parse, wrong_types_are_invalid_parameter_values) {
    nb__spec_t *spec = load_spec("query");
    const char *bodies[] = {"Count=abc", "Count=99999999999", "Flag=yes", "When=yesterday", "Data=%%%", "Data=abc",
                            "Ratio=1.2.3", "Entries.Entry.1.N=x"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        nb__aws_error_t err = {0};
        int rc;
        json_t *in = parse_with(spec, NB_PROTO_QUERY, bodies[i], &rc, &err);
        cr_expect_null(in, "%s parsed", bodies[i]);
        cr_expect_lt(rc, 0, "%s", bodies[i]);
        bool malformed = strcmp(bodies[i], "Data=%%%") == 0;
        /* AWS's common errors document MalformedQueryString as a 404 */
        cr_expect_eq(err.status, malformed ? 404 : 400, "%s", bodies[i]);
        cr_expect(err.sender);
        if (malformed)
            cr_expect_str_eq(err.code, "MalformedQueryString");
        else
            cr_expect_str_eq(err.code, "InvalidParameterValue", "%s: %s", bodies[i], err.code);
        json_decref(in);
        nb__aws_error_clear(&err);
    }
    nb__spec_free(spec);
}

Test(ec2_parse, capitalised_names_query_name_and_plain_lists) {
    nb__spec_t *spec = load_spec("ec2");
    nb__aws_error_t err = {0};
    int rc;
    json_t *in = parse_with(spec, NB_PROTO_EC2,
                            "Action=Op&Version=2016-11-15&LowerName=up&QN=q&Tags.1=a&Tags.2=b&RenamedLoc=r"
                            "&Entries.1.Id=e1&Entries.2.Id=e2&Nested.Inner.A=x",
                            &rc, &err);
    cr_assert_eq(rc, 0, "%s", err.message ? err.message : "");
    assert_json(in, "{\"lowerName\": \"up\", \"HasQueryName\": \"q\", \"Tags\": [\"a\", \"b\"], \"Renamed\": \"r\","
                    " \"Entries\": [{\"Id\": \"e1\"}, {\"Id\": \"e2\"}], \"Nested\": {\"Inner\": {\"A\": \"x\"}}}");
    json_decref(in);
    /* old botocore sends ec2 names uncapitalised */
    in = parse_with(spec, NB_PROTO_EC2, "lowerName=lo", &rc, &err);
    cr_assert_eq(rc, 0);
    assert_json(in, "{\"lowerName\": \"lo\"}");
    json_decref(in);
    nb__spec_free(spec);
}

static nb__xml_node_t *response_xml(const nb__http_response_t *resp) {
    const char *why = NULL;
    nb__xml_node_t *r = nb__xml_parse(resp->body.data, resp->body.len, &why);
    cr_assert_not_null(r, "response is not XML (%s): %.*s", why, (int)resp->body.len, resp->body.data);
    return r;
}

static const char *path_text(const nb__xml_node_t *n, const char *a, const char *b, const char *c) {
    const char *names[] = {a, b, c};
    for (int i = 0; i < 3 && names[i] && n; i++)
        n = nb__xml_child(n, names[i]);
    return n ? n->text : NULL;
}

Test(query_serialize, result_wrapper_metadata_and_headers) {
    nb__spec_t *spec = load_spec("query");
    json_t *out = json_loads("{\"QueueUrl\": \"http://h/q<&>\", \"Count\": 3, \"When\": 1398796238.5,"
                             " \"Tags\": [\"a\", \"b\"], \"Flat\": [\"x\", \"y\"], \"Attrs\": {\"k\": \"v\"}}",
                             0, NULL);
    nb__proto_ctx_t ctx = {.request_id = "req-1"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Op"), NB_PROTO_QUERY, out, NULL, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "text/xml");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-RequestId"), "req-1");
    nb__xml_node_t *r = response_xml(&resp);
    cr_assert_str_eq(r->name, "OpResponse");
    cr_assert_str_eq(nb__xml_attr(r, "xmlns"), "http://queue.amazonaws.com/doc/2012-11-05/");
    cr_assert_str_eq(path_text(r, "OpResult", "QueueUrl", NULL), "http://h/q<&>");
    cr_assert_str_eq(path_text(r, "OpResult", "Count", NULL), "3");
    cr_assert_str_eq(path_text(r, "OpResult", "When", NULL), "2014-04-29T18:30:38.500Z");
    const nb__xml_node_t *tags = nb__xml_child(nb__xml_child(r, "OpResult"), "Tags");
    cr_assert_str_eq(tags->first->local, "member");
    cr_assert_str_eq(tags->first->text, "a");
    cr_assert_str_eq(tags->first->next->text, "b");
    const nb__xml_node_t *item = nb__xml_child(nb__xml_child(r, "OpResult"), "Item");
    cr_assert_str_eq(item->text, "x");
    cr_assert_str_eq(item->next->local, "Item");
    cr_assert_str_eq(item->next->text, "y");
    cr_assert_str_eq(path_text(r, "OpResult", "Attribute", "Name"), "k");
    cr_assert_str_eq(path_text(r, "OpResult", "Attribute", "Value"), "v");
    cr_assert_str_eq(path_text(r, "ResponseMetadata", "RequestId", NULL), "req-1");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    json_decref(out);
    nb__spec_free(spec);
}

Test(query_serialize, error_response_uses_the_error_trait) {
    nb__spec_t *spec = load_spec("query");
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, spec, nb__spec_op(spec, "Op"), "QueueMissing", 0, "The specified queue does not exist.");
    nb__proto_ctx_t ctx = {.request_id = "req-2"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, nb__spec_op(spec, "Op"), NB_PROTO_QUERY, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    nb__xml_node_t *r = response_xml(&resp);
    cr_assert_str_eq(r->name, "ErrorResponse");
    cr_assert_str_eq(path_text(r, "Error", "Type", NULL), "Sender");
    cr_assert_str_eq(path_text(r, "Error", "Code", NULL), "AWS.SimpleQueueService.NonExistentQueue");
    cr_assert_str_eq(path_text(r, "Error", "Message", NULL), "The specified queue does not exist.");
    cr_assert_str_eq(path_text(r, "RequestId", NULL, NULL), "req-2");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);

    nb__aws_error_set(&err, spec, NULL, "InternalError", 500, "boom");
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, NULL, NB_PROTO_QUERY, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 500);
    r = response_xml(&resp);
    cr_assert_str_eq(path_text(r, "Error", "Type", NULL), "Receiver");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    nb__spec_free(spec);
}

Test(query_serialize, operation_without_output) {
    nb__spec_t *spec = load_spec("query");
    nb__proto_ctx_t ctx = {.request_id = "req-3"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "NoOut"), NB_PROTO_QUERY, NULL, NULL, &ctx, &resp), 0);
    nb__xml_node_t *r = response_xml(&resp);
    cr_assert_str_eq(r->name, "NoOutResponse");
    cr_assert_null(nb__xml_child(r, "NoOutResult"));
    cr_assert_str_eq(path_text(r, "ResponseMetadata", "RequestId", NULL), "req-3");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    nb__spec_free(spec);
}

Test(ec2_serialize, members_inline_and_ec2_errors) {
    nb__spec_t *spec = load_spec("ec2");
    json_t *out = json_loads("{\"QueueUrl\": \"u\", \"Tags\": [\"a\"]}", 0, NULL);
    nb__proto_ctx_t ctx = {.request_id = "req-4"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, nb__spec_op(spec, "Op"), NB_PROTO_EC2, out, NULL, &ctx, &resp), 0);
    nb__xml_node_t *r = response_xml(&resp);
    cr_assert_str_eq(r->name, "OpResponse");
    cr_assert_str_eq(path_text(r, "requestId", NULL, NULL), "req-4");
    cr_assert_str_eq(path_text(r, "QueueUrl", NULL, NULL), "u");
    cr_assert_null(nb__xml_child(r, "OpResult"));
    nb__xml_free(r);
    nb__http_response_free(&resp);
    json_decref(out);

    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, spec, NULL, "InvalidInstanceID.NotFound", 400, "The instance ID 'i-1' does not exist");
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(spec, NULL, NB_PROTO_EC2, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    r = response_xml(&resp);
    cr_assert_str_eq(r->name, "Response");
    cr_assert_str_eq(path_text(r, "Errors", "Error", "Code"), "InvalidInstanceID.NotFound");
    cr_assert_str_eq(path_text(r, "Errors", "Error", "Message"), "The instance ID 'i-1' does not exist");
    cr_assert_str_eq(path_text(r, "RequestID", NULL, NULL), "req-4");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    nb__spec_free(spec);
}
