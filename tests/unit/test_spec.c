#include <criterion/criterion.h>
#include <stdlib.h>

#include "spec/spec.h"

static nb__spec_set_t set;

static void load(void) {
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_dir(&set, NB_SOURCE_DIR "/specs", &err), 0, "%s", err ? err : "");
}
static void unload(void) { nb__spec_set_free(&set); }

TestSuite(spec, .init = load, .fini = unload);

Test(spec, loads_shipped_specs_with_metadata) {
    const nb__spec_t *sqs = nb__spec_set_find(&set, "sqs");
    cr_assert_not_null(sqs);
    cr_assert_str_eq(sqs->api_version, "2012-11-05");
    cr_assert_eq(sqs->protocol, NB_PROTO_QUERY);
    /* the overlay adds json beside query */
    cr_assert(sqs->protocols & NB_PROTO_BIT(NB_PROTO_JSON));
    cr_assert(sqs->query_compatible);
    cr_assert_str_eq(sqs->target_prefix, "AmazonSQS");
    const nb__spec_t *s3 = nb__spec_set_find(&set, "s3");
    cr_assert_not_null(s3);
    cr_assert_eq(s3->protocol, NB_PROTO_REST_XML);
}

Test(spec, operations_are_indexed_with_http_bindings) {
    const nb__spec_t *s3 = nb__spec_set_find(&set, "s3");
    const nb__spec_op_t *op = nb__spec_op(s3, "PutObject");
    cr_assert_not_null(op);
    cr_assert_str_eq(op->method, "PUT");
    cr_assert_str_eq(op->request_uri, "/{Bucket}/{Key+}");
    cr_assert_str_eq(op->input_name, "PutObjectRequest");
    cr_assert_str_eq(nb__shape_type(op->input), "structure");
    cr_assert_null(nb__spec_op(s3, "NoSuchOperation"));
}

Test(spec, merge_patch_deletes_and_merges) {
    json_t *t = json_pack("{s:{s:i,s:i},s:s}", "a", "x", 1, "y", 2, "b", "keep");
    json_t *p = json_pack("{s:{s:n,s:i},s:s}", "a", "x", "z", 3, "c", "new");
    cr_assert_eq(nb__json_merge_patch(t, p), 0);
    json_t *want = json_pack("{s:{s:i,s:i},s:s,s:s}", "a", "y", 2, "z", 3, "b", "keep", "c", "new");
    cr_assert(json_equal(t, want));
    json_decref(t);
    json_decref(p);
    json_decref(want);
}

Test(spec, bad_file_reports_path) {
    char *err = NULL;
    nb__spec_t *s = nb__spec_load("/nonexistent/x/1/service-2.json", NULL, &err);
    cr_assert_null(s);
    cr_assert_not_null(err);
    cr_assert(strstr(err, "/nonexistent/x/1/service-2.json") != NULL);
    free(err);
}
