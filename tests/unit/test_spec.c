#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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
    nb__spec_t *s3 = (nb__spec_t *)nb__spec_set_find(&set, "s3");
    cr_assert(s3->stub, "read on first use, not at start-up");
    cr_assert_null(nb__spec_op(s3, "PutObject"));
    char *err = NULL;
    cr_assert_eq(nb__spec_load_shapes(s3, &err), 0, "%s", err);
    cr_assert(!s3->stub);
    const nb__spec_op_t *op = nb__spec_op(s3, "PutObject");
    cr_assert_not_null(op);
    cr_assert_str_eq(op->method, "PUT");
    cr_assert_str_eq(op->request_uri, "/{Bucket}/{Key+}");
    cr_assert_str_eq(op->input_name, "PutObjectRequest");
    cr_assert_str_eq(nb__shape_type(op->input), "structure");
    cr_assert_null(nb__spec_op(s3, "NoSuchOperation"));
}

static void expect_same(const char *what, const char *svc, const char *a, const char *b) {
    cr_expect((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0), "%s %s: index %s, spec %s", svc, what,
              a ? a : "(none)", b ? b : "(none)");
}

/* The index is what the specs say (spec_index.py keeps it so; a spec edited without it shows
 * here): every shipped service and a sample of the catalogue, read fully and compared. */
Test(spec, index_matches_the_specs) {
    const char *sample[] = {"s3", "sqs", "sts", "sns", "lambda", "dynamodb", "kinesis", "ec2", "iam", "cloudwatch",
                            "ecs", "route53", "apigateway", "s3control", "elbv2"};
    for (size_t i = 0; i < sizeof sample / sizeof *sample; i++) {
        const nb__spec_t *stub = nb__spec_set_find(&set, sample[i]);
        cr_assert_not_null(stub, "%s: not in the index", sample[i]);
        cr_assert(stub->stub);
        char *err = NULL;
        nb__spec_t *full = nb__spec_load(stub->path, sample[i], &err);
        cr_assert_not_null(full, "%s", err);
        expect_same("signing name", sample[i], stub->signing_name, full->signing_name);
        expect_same("endpoint prefix", sample[i], stub->endpoint_prefix, full->endpoint_prefix);
        expect_same("target prefix", sample[i], stub->target_prefix, full->target_prefix);
        expect_same("api version", sample[i], stub->api_version, full->api_version);
        expect_same("json version", sample[i], stub->json_version, full->json_version);
        expect_same("xml namespace", sample[i], stub->xml_namespace, full->xml_namespace);
        expect_same("service id", sample[i], stub->service_id, full->service_id);
        cr_expect_eq(stub->protocol, full->protocol, "%s protocol", sample[i]);
        cr_expect_eq(stub->protocols, full->protocols, "%s protocols", sample[i]);
        cr_expect_eq(stub->query_compatible, full->query_compatible, "%s awsQueryCompatible", sample[i]);
        if (!stub->catalog) { /* the operations a plugin is checked against when it loads */
            size_t named = 0;
            for (const char *p = stub->index_ops; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
                named++;
            cr_expect_eq(named, full->nops, "%s: index names %zu operations, the spec has %zu", sample[i], named,
                         full->nops);
            for (size_t k = 0; k < full->nops; k++)
                cr_expect_eq(nb__spec_knows_op(stub, full->ops[k].name), 1, "%s.%s not in the index", sample[i],
                             full->ops[k].name);
        }
        nb__spec_free(full);
    }
}

/* A folder earlier in the spec path keeps its services: the index's line for one of them is
 * skipped, every other line is added once. */
Test(spec, index_skips_services_an_earlier_folder_gave) {
    nb__spec_set_t path = {0};
    char *err = NULL;
    json_t *root = json_pack("{s:{s:s,s:s,s:s},s:{},s:{}}", "metadata", "apiVersion", "mine", "protocol", "query",
                             "endpointPrefix", "sts", "operations", "shapes");
    nb__spec_t *mine = nb__spec_from_json(root, "sts", &err);
    cr_assert_not_null(mine, "%s", err);
    cr_assert_eq(nb__spec_set_add(&path, mine), 0);
    cr_assert_eq(nb__spec_set_load_index(&path, NB_SOURCE_DIR "/specs", &err), 1, "%s", err ? err : "");
    cr_assert_eq(path.len, set.len, "one sts, the earlier folder's, and the index's other services");
    cr_assert_eq(nb__spec_set_find(&path, "sts"), mine);
    cr_assert_str_eq(nb__spec_set_find(&path, "sts")->api_version, "mine");
    cr_assert_not_null(nb__spec_set_find(&path, "sqs"));
    size_t sts = 0;
    for (size_t i = 0; i < path.len; i++)
        sts += strcmp(path.items[i]->service, "sts") == 0;
    cr_assert_eq(sts, 1);
    nb__spec_set_free(&path);
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
