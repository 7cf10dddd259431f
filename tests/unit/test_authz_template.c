/* Action-table templates (core/authz/template.c): resource ARNs and messages from the request's
 * variables and the input's members. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "authz/template.h"

static const nb__template_var_t vars[] = {{"partition", "aws"}, {"region", "eu-west-1"}, {"account", "000000000000"}};

static void expect(const char *tpl, const char *input, const char *want) {
    json_t *in = json_loads(input, 0, NULL);
    cr_assert_not_null(in);
    char *got = nb__template_expand(tpl, in, vars, 3);
    if (want == NULL)
        cr_assert_null(got, "%s -> %s", tpl, got);
    else
        cr_assert_str_eq(got ? got : "(null)", want);
    free(got);
    json_decref(in);
}

Test(authz_template, variables_and_members) {
    expect("arn:{partition}:s3:::{Bucket}/{Key}", "{\"Bucket\":\"b\",\"Key\":\"dir/k x\"}", "arn:aws:s3:::b/dir/k x");
    expect("arn:{partition}:sqs:{region}:{account}:{QueueName}", "{\"QueueName\":\"q\"}",
           "arn:aws:sqs:eu-west-1:000000000000:q");
    expect("{RoleArn}", "{\"RoleArn\":\"arn:aws:iam::1:role/r\"}", "arn:aws:iam::1:role/r");
    expect("no placeholders", "{}", "no placeholders");
}

Test(authz_template, segments_from_the_end) {
    const char *q = "arn:{partition}:sqs:{region}:{QueueUrl/2}:{QueueUrl/1}";
    expect(q, "{\"QueueUrl\":\"http://sqs.us-east-1.localhost:4566/111111111111/jobs\"}",
           "arn:aws:sqs:eu-west-1:111111111111:jobs");
    expect(q, "{\"QueueUrl\":\"http://localhost:4566/queue/us-east-1/111111111111/jobs/\"}",
           "arn:aws:sqs:eu-west-1:111111111111:jobs");
    expect(q, "{\"QueueUrl\":\"jobs\"}", NULL); /* a bare name has no account segment */
}

Test(authz_template, missing_member_is_no_resource) {
    expect("arn:aws:s3:::{Bucket}/{Key}", "{\"Bucket\":\"b\"}", NULL);
    expect("arn:aws:s3:::{Bucket}", "{\"Bucket\":\"\"}", NULL);
    expect("{Unknown", "{}", "{Unknown"); /* an unclosed brace is text */
}

/* Into a caller's buffer (the enforcement's ARN on the stack): the length as snprintf counts it,
 * so a caller sees when it did not fit. */
Test(authz_template, expand_to_a_buffer) {
    json_t *in = json_pack("{s:s,s:s}", "Bucket", "b", "Key", "k");
    char buf[32];
    cr_assert_eq(nb__template_expand_to(buf, sizeof buf, "arn:{partition}:s3:::{Bucket}/{Key}", in, vars, 3), 16);
    cr_assert_str_eq(buf, "arn:aws:s3:::b/k");
    char small[8];
    cr_assert_eq(nb__template_expand_to(small, sizeof small, "arn:{partition}:s3:::{Bucket}/{Key}", in, vars, 3), 16);
    cr_assert_eq(strlen(small), sizeof small - 1, "cut to fit, terminated");
    cr_assert_eq(nb__template_expand_to(buf, sizeof buf, "arn:aws:s3:::{Bucket}/{Missing}", in, vars, 3), -1);
    json_decref(in);
}

static void collect(void *ctx, const char *key, const char *value) {
    json_object_set_new(ctx, key, json_string(value));
}

Test(authz_template, context_pairs) {
    json_t *in = json_loads("{\"Prefix\":\"logs/\",\"MaxKeys\":10,\"Flag\":true}", 0, NULL), *out = json_object();
    nb__template_context_each("s3:prefix=Prefix,s3:delimiter=Delimiter,s3:max-keys=MaxKeys,x:flag=Flag", in, collect,
                              out);
    cr_assert_eq(json_object_size(out), 3);
    cr_assert_str_eq(json_string_value(json_object_get(out, "s3:prefix")), "logs/");
    cr_assert_str_eq(json_string_value(json_object_get(out, "s3:max-keys")), "10");
    cr_assert_str_eq(json_string_value(json_object_get(out, "x:flag")), "true");
    json_decref(in);
    json_decref(out);
}
