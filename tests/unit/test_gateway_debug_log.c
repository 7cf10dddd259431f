/* DEBUG=1's request log (core/gateway/debug_log.c): what a developer pastes into an issue must
 * hold no credential and no value the spec marks sensitive, and still show the rest. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/request.h"
#include "http/body.h"

static const char *SPEC =
    "{\"metadata\":{\"protocol\":\"rest-json\",\"apiVersion\":\"2020-01-01\",\"endpointPrefix\":\"vault\"},"
    " \"operations\":{"
    "  \"PutSecret\":{\"name\":\"PutSecret\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/secrets/{Name}\"},"
    "   \"input\":{\"shape\":\"PutSecretInput\"},\"output\":{\"shape\":\"PutSecretOutput\"}},"
    "  \"Describe\":{\"name\":\"Describe\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/describe\"},"
    "   \"input\":{\"shape\":\"DescribeInput\"},\"output\":{\"shape\":\"DescribeOutput\"}},"
    "  \"GetByKey\":{\"name\":\"GetByKey\",\"http\":{\"method\":\"GET\",\"requestUri\":\"/keys/{Key}\"},"
    "   \"input\":{\"shape\":\"GetByKeyInput\"}}},"
    " \"shapes\":{"
    "  \"PutSecretInput\":{\"type\":\"structure\",\"members\":{"
    "    \"Name\":{\"shape\":\"Plain\",\"location\":\"uri\",\"locationName\":\"Name\"},"
    "    \"Token\":{\"shape\":\"Secret\",\"location\":\"header\",\"locationName\":\"X-Vault-Token\"},"
    "    \"Value\":{\"shape\":\"Secret\"}}},"
    "  \"PutSecretOutput\":{\"type\":\"structure\",\"members\":{\"Arn\":{\"shape\":\"Plain\"}}},"
    "  \"DescribeInput\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Plain\"}}},"
    "  \"DescribeOutput\":{\"type\":\"structure\",\"members\":{\"Entries\":{\"shape\":\"Entries\"}}},"
    "  \"Entries\":{\"type\":\"list\",\"member\":{\"shape\":\"Entry\"}},"
    "  \"Entry\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Plain\"},\"Key\":{\"shape\":\"Secret\"}}},"
    "  \"GetByKeyInput\":{\"type\":\"structure\",\"required\":[\"Key\"],\"members\":{"
    "    \"Key\":{\"shape\":\"Secret\",\"location\":\"uri\",\"locationName\":\"Key\"}}},"
    "  \"Plain\":{\"type\":\"string\"},"
    "  \"Secret\":{\"type\":\"string\",\"sensitive\":true}}}";

static nb__spec_t *spec;

static void load_spec(void) {
    char *err = NULL;
    spec = nb__spec_from_json(json_loads(SPEC, 0, NULL), "vault", &err);
    cr_assert_not_null(spec, "%s", err ? err : "");
}

static void free_spec(void) { nb__spec_free(spec); }

TestSuite(debug_log, .init = load_spec, .fini = free_spec);

typedef struct {
    nb__http_request_t http;
    nb_req_t req;
    nb__http_response_t resp;
} exchange_t;

/* A request to op (NULL: not routed) with header pairs and a body, and a 200 answer with resp_body. */
static void exchange_init(exchange_t *e, const char *op, const char *method, const char *target,
                          const char *const *headers, const char *body, const char *resp_body) {
    memset(e, 0, sizeof *e);
    e->http.method = strdup(method);
    e->http.target = strdup(target);
    e->http.path = strndup(target, strcspn(target, "?"));
    for (size_t i = 0; headers && headers[i]; i += 2)
        nb__headers_add(&e->http.headers, headers[i], headers[i + 1]);
    e->http.body = nb__body_from_mem(body, strlen(body));
    e->req.http = &e->http;
    e->req.route.spec = spec;
    e->req.route.protocol = NB_PROTO_REST_JSON;
    if (op) {
        e->req.route.op = nb__spec_op(spec, op);
        cr_assert_not_null(e->req.route.op, "%s", op);
    }
    nb__http_response_init(&e->resp);
    e->resp.status = 200;
    nb__headers_add(&e->resp.headers, "Content-Type", "application/json");
    nb__buf_puts(&e->resp.body, resp_body);
}

/* The log lines for the exchange, malloc'd. */
static char *logged(exchange_t *e) {
    /* static: open_memstream keeps their addresses until fclose, and GCC cannot see it lets go */
    static char *text;
    static size_t len;
    text = NULL;
    FILE *f = open_memstream(&text, &len);
    nb__debug_log_exchange(f, &e->req, &e->resp);
    fclose(f);
    nb__http_request_free(&e->http);
    nb__http_response_free(&e->resp);
    return text;
}

#define assert_has(log, s) cr_assert_not_null(strstr(log, s), "missing '%s' in:\n%s", s, log)
#define assert_lacks(log, s) cr_assert_null(strstr(log, s), "'%s' leaked in:\n%s", s, log)

Test(debug_log, credentials_are_masked_and_the_rest_shown) {
    exchange_t e;
    const char *h[] = {"Authorization",
                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/vault/aws4_request, "
                       "SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
                       "X-Amz-Security-Token", "FQoGZXIvYXdzEBYaDSessionToken",
                       "Cookie", "session=s3cr3t",
                       "X-Amz-Date", "20240101T000000Z",
                       NULL};
    exchange_init(&e, "Describe", "POST", "/describe", h, "{\"Name\":\"visible-name\"}", "{}");
    char *log = logged(&e);
    assert_has(log, "> POST /describe\n");
    assert_has(log, "Credential=AKIDEXAMPLE/20240101/us-east-1/vault/aws4_request");
    assert_has(log, "Signature=<redacted>");
    assert_lacks(log, "5d672d79c15b");
    assert_has(log, "> X-Amz-Security-Token: <redacted>");
    assert_lacks(log, "SessionToken");
    assert_has(log, "> Cookie: <redacted>");
    assert_lacks(log, "s3cr3t");
    assert_has(log, "> X-Amz-Date: 20240101T000000Z");
    assert_has(log, "> {\"Name\":\"visible-name\"}");
    assert_has(log, "< 200\n");
    free(log);
}

Test(debug_log, sigv2_signature_after_the_key_id_is_masked) {
    exchange_t e;
    const char *h[] = {"Authorization", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", NULL};
    exchange_init(&e, "Describe", "POST", "/describe", h, "", "{}");
    char *log = logged(&e);
    assert_has(log, "Authorization: AWS AKIDEXAMPLE:<redacted>");
    assert_lacks(log, "frJIUN8DYpKD");
    free(log);
}

Test(debug_log, presigned_url_signature_and_token_are_masked_in_the_request_line) {
    exchange_t e;
    exchange_init(&e, NULL, "GET",
                  "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeefcafe"
                  "&X-Amz-Security-Token=tok123&versionId=7",
                  NULL, "", "ok");
    char *log = logged(&e);
    assert_has(log, "> GET /bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=<redacted>"
                    "&X-Amz-Security-Token=<redacted>&versionId=7\n");
    assert_lacks(log, "deadbeefcafe");
    assert_lacks(log, "tok123");
    free(log);
}

Test(debug_log, a_sensitive_header_and_body_member_are_left_out) {
    exchange_t e;
    const char *h[] = {"X-Vault-Token", "hunter2", "Content-Type", "application/json", NULL};
    const char *body = "{\"Value\":\"the-secret-value\"}";
    exchange_init(&e, "PutSecret", "POST", "/secrets/db-password", h, body, "{\"Arn\":\"arn:aws:vault:::x\"}");
    char *log = logged(&e);
    assert_has(log, "> POST /secrets/db-password\n"); /* the name is not sensitive */
    assert_has(log, "> X-Vault-Token: <redacted>");
    assert_lacks(log, "hunter2");
    assert_has(log, "> Content-Type: application/json");
    char want[128];
    snprintf(want, sizeof want, "> <redacted> (%zu bytes: PutSecret carries sensitive values)", strlen(body));
    assert_has(log, want);
    assert_lacks(log, "the-secret-value");
    assert_has(log, "< {\"Arn\":\"arn:aws:vault:::x\"}"); /* the output holds nothing sensitive */
    free(log);
}

Test(debug_log, a_response_that_may_carry_a_nested_sensitive_value_is_left_out) {
    exchange_t e;
    exchange_init(&e, "Describe", "POST", "/describe", NULL, "{\"Name\":\"n\"}",
                  "{\"Entries\":[{\"Name\":\"n\",\"Key\":\"private-key-material\"}]}");
    char *log = logged(&e);
    assert_has(log, "> {\"Name\":\"n\"}");
    assert_has(log, "< <redacted> (");
    assert_lacks(log, "private-key-material");
    free(log);
}

Test(debug_log, an_error_answer_is_shown_with_its_message) {
    exchange_t e;
    exchange_init(&e, "Describe", "POST", "/describe", NULL, "{}", "{\"__type\":\"NotFound\"}");
    e.req.has_error = true;
    e.req.err.message = "no such entry";
    e.resp.status = 404;
    char *log = logged(&e);
    assert_has(log, "< 404\n");
    assert_has(log, "< {\"__type\":\"NotFound\"}"); /* an error holds no sensitive output */
    assert_has(log, "error: no such entry\n");
    free(log);
}

Test(debug_log, a_sensitive_path_label_masks_the_path_and_query) {
    exchange_t e;
    exchange_init(&e, "GetByKey", "GET", "/keys/sk-live-abc123?format=pem", NULL, "", "ok");
    char *log = logged(&e);
    assert_has(log, "> GET <redacted>?format=<redacted>\n");
    assert_lacks(log, "sk-live-abc123");
    free(log);
}

Test(debug_log, query_protocols_mask_every_parameter_when_the_input_may_be_sensitive) {
    exchange_t e;
    exchange_init(&e, "PutSecret", "POST", "/?Action=PutSecret&Value=in-the-query", NULL, "", "ok");
    e.req.route.protocol = NB_PROTO_QUERY;
    char *log = logged(&e);
    assert_has(log, "?Action=<redacted>&Value=<redacted>\n");
    assert_lacks(log, "in-the-query");
    free(log);
}

Test(debug_log, a_long_body_is_cut_at_2_kib) {
    exchange_t e;
    char body[5000];
    memset(body, 'b', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    exchange_init(&e, "Describe", "POST", "/describe", NULL, body, "{}");
    char *log = logged(&e);
    const char *line = strstr(log, "> bbbb");
    cr_assert_not_null(line);
    cr_assert_eq(strcspn(line + 2, "\n"), 2048);
    free(log);
}
