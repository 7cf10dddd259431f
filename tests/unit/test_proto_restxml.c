/* rest-xml with S3's spec: request bodies, response roots, S3 errors, bad XML. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "proto/proto.h"
#include "proto/xml.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define MALFORMED "The XML you provided was not well-formed or did not validate against our published schema"

static nb__spec_t *s3;

static void load(void) {
    char *err = NULL;
    s3 = nb__spec_load(NB_SOURCE_DIR "/specs/s3/2006-03-01/service-2.json", "s3", &err);
    cr_assert_not_null(s3, "%s", err ? err : "");
}
static void unload(void) { nb__spec_free(s3); }

TestSuite(restxml, .init = load, .fini = unload);

static const nb__spec_op_t *op(const char *name) {
    const nb__spec_op_t *o = nb__spec_op(s3, name);
    cr_assert_not_null(o, "no operation %s", name);
    return o;
}

static int parse_req_h(const char *opname, const char *method, const char *path, const char *query, const char *body,
                       const char *header, const char *value, json_t **input, nb__aws_error_t *err) {
    nb__http_request_t req;
    memset(&req, 0, sizeof req);
    if (header)
        nb__headers_add(&req.headers, header, value);
    req.method = strdup(method);
    req.path = strdup(path);
    req.query = query ? strdup(query) : NULL;
    req.target = strdup(path);
    req.body = nb__body_from_mem(body ? body : "", body ? strlen(body) : 0);
    int rc = nb__proto_parse(s3, op(opname), NB_PROTO_REST_XML, &req, input, err);
    nb__http_request_free(&req);
    return rc;
}

static int parse_req(const char *opname, const char *method, const char *path, const char *query, const char *body,
                     json_t **input, nb__aws_error_t *err) {
    return parse_req_h(opname, method, path, query, body, NULL, NULL, input, err);
}

static void assert_json(const json_t *got, const char *want_text) {
    json_t *want = json_loads(want_text, 0, NULL);
    cr_assert_not_null(want, "bad expected JSON: %s", want_text);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(got, want), "got %s\nwant %s", g, want_text);
    free(g);
    json_decref(want);
}

static nb__xml_node_t *serialize_op(const char *opname, const char *output_json, nb__http_response_t *resp) {
    json_t *out = output_json ? json_loads(output_json, 0, NULL) : NULL;
    nb__proto_ctx_t ctx = {.request_id = "RID"};
    nb__http_response_init(resp);
    cr_assert_eq(nb__proto_serialize(s3, op(opname), NB_PROTO_REST_XML, out, NULL, &ctx, resp), 0);
    json_decref(out);
    cr_assert_str_eq(nb__headers_get(&resp->headers, "x-amz-request-id"), "RID");
    cr_assert_not_null(nb__headers_get(&resp->headers, "x-amz-id-2"));
    if (resp->body.len == 0)
        return NULL;
    cr_assert(strncmp(resp->body.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) == 0);
    nb__xml_node_t *r = nb__xml_parse(resp->body.data, resp->body.len, NULL);
    cr_assert_not_null(r, "not XML: %s", resp->body.data);
    return r;
}

Test(restxml, put_bucket_tagging_body_and_labels) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_req("PutBucketTagging", "PUT", "/b1", "tagging",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging xmlns=\"" S3_NS "\"><TagSet>"
                       "<Tag><Key>env</Key><Value>prod &amp; test</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>"
                       "</TagSet></Tagging>",
                       &in, &err);
    cr_assert_eq(rc, 0, "%s", err.message ? err.message : "");
    assert_json(in, "{\"Bucket\": \"b1\", \"Tagging\": {\"TagSet\": [{\"Key\": \"env\", \"Value\": \"prod & test\"},"
                    " {\"Key\": \"k2\", \"Value\": \"\"}]}}");
    json_decref(in);
}

Test(restxml, delete_objects_flattened_list_and_boolean) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_req("DeleteObjects", "POST", "/b1", "delete",
                       "<Delete><Object><Key>a</Key></Object><Object><Key>b/c d</Key><VersionId>v1</VersionId></Object>"
                       "<Quiet> true </Quiet></Delete>",
                       &in, &err);
    cr_assert_eq(rc, 0, "%s", err.message ? err.message : "");
    assert_json(in, "{\"Bucket\": \"b1\", \"Delete\": {\"Objects\": [{\"Key\": \"a\"}, {\"Key\": \"b/c d\","
                    " \"VersionId\": \"v1\"}], \"Quiet\": true}}");
    json_decref(in);
}

Test(restxml, header_booleans_as_old_botocore_writes_them) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_req_h("DeleteObjects", "POST", "/b1", "delete", "<Delete><Object><Key>a</Key></Object></Delete>",
                         "x-amz-bypass-governance-retention", "True", &in, &err);
    cr_assert_eq(rc, 0, "%s", err.message ? err.message : "");
    cr_assert(json_is_true(json_object_get(in, "BypassGovernanceRetention")));
    json_decref(in);
    rc = parse_req_h("DeleteObjects", "POST", "/b1", "delete", "<Delete><Object><Key>a</Key></Object></Delete>",
                     "x-amz-bypass-governance-retention", "yes", &in, &err);
    cr_assert_lt(rc, 0);
    cr_assert_str_eq(err.code, "InvalidArgument");
    nb__aws_error_clear(&err);
}

Test(restxml, acl_grantee_xsi_type_attribute_both_ways) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_req("PutBucketAcl", "PUT", "/b1", "acl",
                       "<AccessControlPolicy xmlns=\"" S3_NS "\"><AccessControlList><Grant>"
                       "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">"
                       "<ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
                       "<Owner><ID>abc</ID></Owner></AccessControlPolicy>",
                       &in, &err);
    cr_assert_eq(rc, 0, "%s", err.message ? err.message : "");
    assert_json(in, "{\"Bucket\": \"b1\", \"AccessControlPolicy\": {\"Grants\": [{\"Grantee\": {\"ID\": \"abc\","
                    " \"Type\": \"CanonicalUser\"}, \"Permission\": \"READ\"}], \"Owner\": {\"ID\": \"abc\"}}}");
    json_decref(in);

    nb__http_response_t resp;
    nb__xml_node_t *r = serialize_op("GetBucketAcl",
                                     "{\"Owner\": {\"ID\": \"abc\"}, \"Grants\": [{\"Grantee\": {\"ID\": \"abc\","
                                     " \"Type\": \"CanonicalUser\"}, \"Permission\": \"FULL_CONTROL\"}]}",
                                     &resp);
    cr_assert_str_eq(r->name, "AccessControlPolicy");
    nb__xml_node_t *grantee = nb__xml_child(nb__xml_child(nb__xml_child(r, "AccessControlList"), "Grant"), "Grantee");
    cr_assert_not_null(grantee);
    cr_assert_str_eq(nb__xml_attr(grantee, "xsi:type"), "CanonicalUser");
    cr_assert_str_eq(nb__xml_attr(grantee, "xmlns:xsi"), "http://www.w3.org/2001/XMLSchema-instance");
    cr_assert_null(nb__xml_child(grantee, "Type"), "an xmlAttribute member is not an element");
    nb__xml_free(r);
    nb__http_response_free(&resp);
}

Test(restxml, list_objects_v2_root_namespace_and_millisecond_timestamps) {
    nb__http_response_t resp;
    nb__xml_node_t *r = serialize_op(
        "ListObjectsV2",
        "{\"Name\": \"b1\", \"KeyCount\": 2, \"IsTruncated\": false, \"MaxKeys\": 1000,"
        " \"Contents\": [{\"Key\": \"a\", \"LastModified\": 1398796238, \"Size\": 3, \"ETag\": \"\\\"x\\\"\"},"
        "               {\"Key\": \"b\", \"Size\": 0}],"
        " \"CommonPrefixes\": [{\"Prefix\": \"p/\"}]}",
        &resp);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/xml");
    cr_assert_str_eq(r->name, "ListBucketResult");
    cr_assert_str_eq(nb__xml_attr(r, "xmlns"), S3_NS);
    cr_assert_str_eq(nb__xml_child(r, "Name")->text, "b1");
    cr_assert_str_eq(nb__xml_child(r, "IsTruncated")->text, "false");
    nb__xml_node_t *c = nb__xml_child(r, "Contents");
    cr_assert_str_eq(nb__xml_child(c, "Key")->text, "a");
    cr_assert_str_eq(nb__xml_child(c, "LastModified")->text, "2014-04-29T18:30:38.000Z");
    cr_assert_str_eq(nb__xml_child(c, "ETag")->text, "\"x\"");
    cr_assert_str_eq(c->next->local, "Contents", "Contents is a flattened list");
    cr_assert_str_eq(nb__xml_child(c->next, "Key")->text, "b");
    cr_assert_str_eq(nb__xml_child(nb__xml_child(r, "CommonPrefixes"), "Prefix")->text, "p/");
    nb__xml_free(r);
    nb__http_response_free(&resp);
}

Test(restxml, s3_root_names_from_the_quirk_table_and_payloads) {
    nb__http_response_t resp;
    nb__xml_node_t *r = serialize_op("CreateMultipartUpload",
                                     "{\"Bucket\": \"b1\", \"Key\": \"k\", \"UploadId\": \"u1\"}", &resp);
    cr_assert_str_eq(r->name, "InitiateMultipartUploadResult");
    cr_assert_str_eq(nb__xml_child(r, "UploadId")->text, "u1");
    nb__xml_free(r);
    nb__http_response_free(&resp);

    r = serialize_op("ListBuckets", "{\"Buckets\": [{\"Name\": \"b1\", \"CreationDate\": 0}], \"Owner\": {\"ID\": \"o\"}}",
                     &resp);
    cr_assert_str_eq(r->name, "ListAllMyBucketsResult");
    nb__xml_node_t *b = nb__xml_child(nb__xml_child(r, "Buckets"), "Bucket");
    cr_assert_not_null(b);
    cr_assert_str_eq(nb__xml_child(b, "CreationDate")->text, "1970-01-01T00:00:00.000Z");
    nb__xml_free(r);
    nb__http_response_free(&resp);

    r = serialize_op("CopyObject",
                     "{\"CopyObjectResult\": {\"ETag\": \"e\", \"LastModified\": 1.5}, \"VersionId\": \"v9\"}", &resp);
    cr_assert_str_eq(r->name, "CopyObjectResult");
    cr_assert_str_eq(nb__xml_attr(r, "xmlns"), S3_NS);
    cr_assert_str_eq(nb__xml_child(r, "LastModified")->text, "1970-01-01T00:00:01.500Z");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amz-version-id"), "v9");
    nb__xml_free(r);
    nb__http_response_free(&resp);

    r = serialize_op("GetBucketLocation", "{\"LocationConstraint\": \"eu-west-1\"}", &resp);
    cr_assert_str_eq(r->name, "LocationConstraint");
    cr_assert_str_eq(r->text, "eu-west-1");
    nb__xml_free(r);
    nb__http_response_free(&resp);
}

Test(restxml, s3_error_body_with_extra_fields) {
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, s3, op("GetObject"), "NoSuchBucket", 404, "The specified bucket does not exist");
    err.fields = json_pack("{s:s}", "BucketName", "b<1>");
    nb__proto_ctx_t ctx = {.request_id = "RID"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(s3, op("GetObject"), NB_PROTO_REST_XML, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 404);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/xml");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amz-request-id"), "RID");
    nb__xml_node_t *r = nb__xml_parse(resp.body.data, resp.body.len, NULL);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->name, "Error");
    cr_assert_str_eq(nb__xml_child(r, "Code")->text, "NoSuchBucket");
    cr_assert_str_eq(nb__xml_child(r, "Message")->text, "The specified bucket does not exist");
    cr_assert_str_eq(nb__xml_child(r, "BucketName")->text, "b<1>");
    cr_assert_str_eq(nb__xml_child(r, "RequestId")->text, "RID");
    cr_assert_not_null(nb__xml_child(r, "HostId"));
    cr_assert_null(nb__xml_child(r, "Type"), "S3 errors have no Type");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
}

Test(restxml, malformed_bodies_are_malformed_xml) {
    const char *bad[] = {
        "<Tagging><TagSet><Tag><Key>a</Key></TagSet></Tagging>",
        "not xml at all",
        "<Tagging>",
        "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><Tagging>&b;</Tagging>",
        "<Tagging><TagSet><Tag><Key>\x80</Key></Tag></TagSet></Tagging>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *in = NULL;
        nb__aws_error_t err = {0};
        int rc = parse_req("PutBucketTagging", "PUT", "/b1", "tagging", bad[i], &in, &err);
        cr_expect_lt(rc, 0, "accepted %s", bad[i]);
        cr_expect_null(in);
        cr_expect_str_eq(err.code, "MalformedXML", "%s", bad[i]);
        cr_expect_eq(err.status, 400);
        cr_expect_str_eq(err.message, MALFORMED);
        nb__aws_error_clear(&err);
    }
}

Test(restxml, value_of_the_wrong_type_in_a_body_is_malformed_xml) {
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_req("DeleteObjects", "POST", "/b1", "delete",
                       "<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>", &in, &err);
    cr_assert_lt(rc, 0);
    cr_assert_null(in);
    cr_assert_str_eq(err.code, "MalformedXML");
    nb__aws_error_clear(&err);
}

Test(restxml, generic_rest_xml_errors_use_error_response) {
    json_t *root = json_loads("{\"metadata\": {\"protocol\": \"rest-xml\", \"apiVersion\": \"2020-05-31\","
                              " \"endpointPrefix\": \"cloudfront\"}, \"operations\": {}, \"shapes\": {}}",
                              0, NULL);
    nb__spec_t *cf = nb__spec_from_json(root, "cloudfront", NULL);
    cr_assert_not_null(cf);
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, cf, NULL, "NoSuchDistribution", 404, "The specified distribution does not exist.");
    nb__proto_ctx_t ctx = {.request_id = "RID"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(cf, NULL, NB_PROTO_REST_XML, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 404);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-RequestId"), "RID");
    nb__xml_node_t *r = nb__xml_parse(resp.body.data, resp.body.len, NULL);
    cr_assert_str_eq(r->name, "ErrorResponse");
    nb__xml_node_t *e = nb__xml_child(r, "Error");
    cr_assert_str_eq(nb__xml_child(e, "Type")->text, "Sender");
    cr_assert_str_eq(nb__xml_child(e, "Code")->text, "NoSuchDistribution");
    cr_assert_str_eq(nb__xml_child(r, "RequestId")->text, "RID");
    nb__xml_free(r);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    nb__spec_free(cf);
}
