/* The body limit decided from a request's head (core/gateway/limits.c): uploads held to the
 * server's limit, parsed bodies to their service's AWS limit, each with the error AWS answers. */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/limits.h"

#define MIB (1024ull * 1024)
#define SERVER_MAX (5ull * 1024 * MIB) /* NIMBUS_MAX_BODY_SIZE's default order: far above any service limit */

static nb__spec_t spec_named(const char *service) {
    nb__spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.service = (char *)service;
    return spec;
}

static nb__body_limit_t limit_for(const nb__config_t *cfg, const char *service, bool streaming, uint64_t server_max) {
    nb__spec_t spec = spec_named(service);
    nb__spec_op_t op;
    memset(&op, 0, sizeof op);
    op.name = "Op";
    op.streaming_input = streaming;
    nb__body_limit_t out;
    memset(&out, 0xab, sizeof out); /* every field must be written */
    nb__body_limit(cfg, service ? &spec : NULL, &op, server_max, &out);
    return out;
}

Test(body_limit, an_upload_is_held_only_to_the_server_limit_with_a_bare_413) {
    nb__config_t cfg = {0};
    nb__body_limit_t l = limit_for(&cfg, "s3", true, SERVER_MAX);
    cr_assert_eq(l.max, SERVER_MAX);
    cr_assert_eq(l.status, 413);
    cr_assert_null(l.code);
    cr_assert_null(l.message);
    cfg.max_structured_bytes = 1024; /* only parsed bodies */
    cr_assert_eq(limit_for(&cfg, "s3", true, SERVER_MAX).max, SERVER_MAX);
}

Test(body_limit, s3_parsed_bodies_answer_max_message_length_exceeded_at_10_mib) {
    nb__body_limit_t l = limit_for(NULL, "s3", false, SERVER_MAX);
    cr_assert_eq(l.max, 10 * MIB);
    cr_assert_eq(l.status, 400);
    cr_assert_str_eq(l.code, "MaxMessageLengthExceeded");
    cr_assert_str_eq(l.message, "Your request was too big.");
}

Test(body_limit, each_service_gets_its_own_aws_limit) {
    nb__body_limit_t l = limit_for(NULL, "sqs", false, SERVER_MAX);
    cr_assert_eq(l.max, 4 * MIB);
    cr_assert_eq(l.status, 413);
    cr_assert_null(l.code);
    cr_assert_eq(limit_for(NULL, "dynamodb", false, SERVER_MAX).max, 16 * MIB);
    cr_assert_eq(limit_for(NULL, "kinesis", false, SERVER_MAX).max, 14 * MIB);
    l = limit_for(NULL, "lambda", false, SERVER_MAX);
    cr_assert_eq(l.max, 70 * MIB);
    cr_assert_str_eq(l.code, "RequestTooLargeException");
    cr_assert_not_null(strstr(l.message, "%llu"), "the message takes the limit");
}

Test(body_limit, an_unlisted_or_unknown_service_gets_10_mib_and_a_bare_413) {
    nb__body_limit_t l = limit_for(NULL, "sts", false, SERVER_MAX);
    cr_assert_eq(l.max, 10 * MIB);
    cr_assert_eq(l.status, 413);
    cr_assert_null(l.code);
    l = limit_for(NULL, NULL, false, SERVER_MAX); /* not routed from the head */
    cr_assert_eq(l.max, 10 * MIB);
    cr_assert_eq(l.status, 413);
    /* nor is the operation known */
    nb__body_limit_t out;
    nb__spec_t spec = spec_named("sqs");
    nb__body_limit(NULL, &spec, NULL, SERVER_MAX, &out);
    cr_assert_eq(out.max, 4 * MIB);
}

Test(body_limit, the_structured_setting_overrides_every_service_but_keeps_its_error) {
    nb__config_t cfg = {0};
    cfg.max_structured_bytes = 12345;
    nb__body_limit_t l = limit_for(&cfg, "s3", false, SERVER_MAX);
    cr_assert_eq(l.max, 12345);
    cr_assert_str_eq(l.code, "MaxMessageLengthExceeded");
    cr_assert_eq(limit_for(&cfg, "dynamodb", false, SERVER_MAX).max, 12345);
    cr_assert_eq(limit_for(&cfg, "sts", false, SERVER_MAX).max, 12345);
}

Test(body_limit, never_above_the_server_limit) {
    cr_assert_eq(limit_for(NULL, "lambda", false, 1 * MIB).max, 1 * MIB);
    nb__config_t cfg = {0};
    cfg.max_structured_bytes = 100 * MIB;
    cr_assert_eq(limit_for(&cfg, "sqs", false, 2 * MIB).max, 2 * MIB);
}
