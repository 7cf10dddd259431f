/* nb_body_t: in memory below the spill threshold, a temp file above it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/body.h"
#include "support/files.h"

static char dir[64];

static void init(void) {
    snprintf(dir, sizeof dir, "/tmp/nb-body-test-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
}

static void fini(void) {
    cr_expect_eq(count_files(dir), 0, "no temp file left");
    rmdir(dir);
}

TestSuite(body, .init = init, .fini = fini);

Test(body, stays_in_memory_below_threshold) {
    nb_body_t *b = nb__body_new(16, dir);
    cr_assert_eq(nb__body_append(b, "hello ", 6), 0);
    cr_assert_eq(nb__body_append(b, "world", 5), 0);
    cr_assert_eq(nb__body_size(b), 11);
    cr_assert_null(nb__body_path(b));
    cr_assert_str_eq(nb__body_data(b, 100), "hello world");
    char buf[8];
    cr_assert_eq(nb__body_read(b, 6, buf, sizeof buf), 5);
    cr_assert(memcmp(buf, "world", 5) == 0);
    cr_assert_eq(nb__body_read(b, 11, buf, sizeof buf), 0);
    cr_assert_eq(count_files(dir), 0);
    nb__body_free(b);
}

Test(body, spills_past_threshold_and_unlinks_on_free) {
    nb_body_t *b = nb__body_new(10, dir);
    cr_assert_eq(nb__body_append(b, "0123456789", 10), 0);
    cr_assert_null(nb__body_path(b));
    cr_assert_eq(nb__body_append(b, "abcdef", 6), 0);
    const char *path = nb__body_path(b);
    cr_assert_not_null(path);
    cr_assert_eq(strncmp(path, dir, strlen(dir)), 0);
    cr_assert_eq(access(path, F_OK), 0);
    cr_assert_eq(nb__body_size(b), 16);
    char buf[32] = {0};
    cr_assert_eq(nb__body_read(b, 8, buf, sizeof buf), 8);
    cr_assert_str_eq(buf, "89abcdef");
    cr_assert_null(nb__body_data(b, 8), "larger than max: not loaded");
    cr_assert_str_eq(nb__body_data(b, 100), "0123456789abcdef");
    char *copy = strdup(path);
    nb__body_free(b);
    cr_assert_neq(access(copy, F_OK), 0);
    free(copy);
}

Test(body, keep_file_survives_free) {
    nb_body_t *b = nb__body_new(1, dir);
    cr_assert_eq(nb__body_append(b, "xyz", 3), 0);
    char *path = strdup(nb__body_path(b));
    nb__body_keep_file(b);
    nb__body_free(b);
    cr_assert_eq(access(path, F_OK), 0);
    unlink(path);
    free(path);
}

Test(body, file_window) {
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "w");
    fputs("0123456789", f);
    fclose(f);
    nb_body_t *b = nb__body_from_file(path, 2, 5);
    cr_assert_not_null(b);
    cr_assert_eq(nb__body_size(b), 5);
    cr_assert_str_eq(nb__body_data(b, 10), "23456");
    nb__body_free(b);
    b = nb__body_from_file(path, 4, -1);
    cr_assert_eq(nb__body_size(b), 6);
    nb__body_free(b);
    cr_assert_null(nb__body_from_file(path, 11, -1));
    cr_assert_eq(access(path, F_OK), 0, "a file body is not a temp file: kept");
    unlink(path);
    cr_assert_null(nb__body_from_file(path, 0, -1));
}

Test(body, from_mem) {
    nb_body_t *b = nb__body_from_mem("abc", 3);
    cr_assert_eq(nb__body_size(b), 3);
    cr_assert_str_eq(nb__body_data(b, 3), "abc");
    nb__body_free(b);
    nb__body_free(NULL);
}

/* ---- the limit a request's body is held to (core/gateway/limits.c) ---- */

#include "gateway/limits.h"

/* A spec with an upload (streaming payload), a parsed operation, and a non-streaming blob payload. */
static nb__spec_t *limits_spec(const char *service) {
    const char *doc = "{\"metadata\": {\"protocol\": \"rest-xml\", \"endpointPrefix\": \"x\"},"
                      " \"operations\": {"
                      "  \"Upload\": {\"name\": \"Upload\", \"http\": {\"method\": \"PUT\", \"requestUri\": \"/{K}\"},"
                      "             \"input\": {\"shape\": \"UploadIn\"}},"
                      "  \"Put\": {\"name\": \"Put\", \"http\": {\"method\": \"POST\", \"requestUri\": \"/\"},"
                      "          \"input\": {\"shape\": \"PutIn\"}}},"
                      " \"shapes\": {"
                      "  \"UploadIn\": {\"type\": \"structure\", \"payload\": \"Body\","
                      "               \"members\": {\"K\": {\"shape\": \"S\", \"location\": \"uri\", \"locationName\": \"K\"},"
                      "                           \"Body\": {\"shape\": \"Stream\"}}},"
                      "  \"PutIn\": {\"type\": \"structure\", \"payload\": \"Doc\", \"members\": {\"Doc\": {\"shape\": \"B\"}}},"
                      "  \"Stream\": {\"type\": \"blob\", \"streaming\": true},"
                      "  \"B\": {\"type\": \"blob\"}, \"S\": {\"type\": \"string\"}}}";
    json_t *root = json_loads(doc, 0, NULL);
    cr_assert_not_null(root);
    nb__spec_t *spec = nb__spec_from_json(root, service, NULL);
    cr_assert_not_null(spec);
    return spec;
}

Test(body_limits, streaming_payload_from_the_spec_keeps_the_server_limit) {
    nb__spec_t *spec = limits_spec("s3");
    cr_assert(nb__spec_op(spec, "Upload")->streaming_input);
    cr_assert_not(nb__spec_op(spec, "Put")->streaming_input, "a blob payload that does not stream is parsed");
    nb__config_t cfg = {0};
    nb__body_limit_t l;
    nb__body_limit(&cfg, spec, nb__spec_op(spec, "Upload"), 5ull << 30, &l);
    cr_assert_eq(l.max, 5ull << 30);
    cr_assert_null(l.code, "an upload over NIMBUS_MAX_BODY_SIZE: the server's bare 413");
    nb__body_limit(&cfg, spec, nb__spec_op(spec, "Put"), 5ull << 30, &l);
    cr_assert_eq(l.max, 10u << 20);
    cr_assert_str_eq(l.code, "MaxMessageLengthExceeded");
    cr_assert_eq(l.status, 400);
    nb__body_limit(&cfg, spec, NULL, 5ull << 30, &l); /* operation not known from the head */
    cr_assert_eq(l.max, 10u << 20);
    nb__spec_free(spec);
}

Test(body_limits, service_table_setting_and_server_cap) {
    nb__config_t cfg = {0};
    nb__body_limit_t l;
    nb__spec_t *ddb = limits_spec("dynamodb"), *other = limits_spec("someservice");
    nb__body_limit(&cfg, ddb, nb__spec_op(ddb, "Put"), 5ull << 30, &l);
    cr_assert_eq(l.max, 16u << 20);
    cr_assert_null(l.code, "AWS's front end: a bare 413");
    nb__body_limit(&cfg, other, nb__spec_op(other, "Put"), 5ull << 30, &l);
    cr_assert_eq(l.max, 10u << 20, "the default for services not in the table");
    nb__body_limit(&cfg, other, nb__spec_op(other, "Upload"), 5ull << 30, &l);
    cr_assert_eq(l.max, 5ull << 30);
    nb__body_limit(&cfg, NULL, NULL, 5ull << 30, &l); /* no service: the default */
    cr_assert_eq(l.max, 10u << 20);
    cfg.max_structured_bytes = 1000; /* NIMBUS_MAX_STRUCTURED_BODY_SIZE: every parsed body, not uploads */
    nb__body_limit(&cfg, ddb, nb__spec_op(ddb, "Put"), 5ull << 30, &l);
    cr_assert_eq(l.max, 1000);
    nb__body_limit(&cfg, other, nb__spec_op(other, "Upload"), 5ull << 30, &l);
    cr_assert_eq(l.max, 5ull << 30);
    cfg.max_structured_bytes = 0; /* never above the server's own limit */
    nb__body_limit(&cfg, ddb, nb__spec_op(ddb, "Put"), 4096, &l);
    cr_assert_eq(l.max, 4096);
    nb__spec_free(ddb);
    nb__spec_free(other);
}
