/* Timestamps in responses keep millisecond precision and round as a whole: an instant 0.4 ms
 * before a second is that second, never the one before (what clients read back). */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/proto.h"
#include "spec/spec.h"

static char *serialize(const char *spec_path, const char *op_name, const char *output_json) {
    char *err = NULL;
    nb__spec_t *spec = nb__spec_load(spec_path, NULL, &err);
    cr_assert_not_null(spec, "%s", err ? err : "");
    const nb__spec_op_t *op = nb__spec_op(spec, op_name);
    cr_assert_not_null(op);
    json_error_t jerr;
    json_t *out = json_loads(output_json, 0, &jerr);
    cr_assert_not_null(out, "%s", jerr.text);
    nb__proto_ctx_t ctx = {.request_id = "r-1"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(spec, op, spec->protocol, out, NULL, &ctx, &resp), 0);
    char *body = strndup(resp.body.data ? resp.body.data : "", resp.body.len);
    nb__http_response_free(&resp);
    json_decref(out);
    nb__spec_free(spec);
    return body;
}

Test(protocol_timestamps, s3_milliseconds_round_up_into_the_next_second) {
    char *body = serialize(NB_SOURCE_DIR "/specs/s3/2006-03-01/service-2.json", "ListBuckets",
                           "{\"Buckets\":[{\"Name\":\"a\",\"CreationDate\":1398796238.9996},"
                           "{\"Name\":\"b\",\"CreationDate\":1398796238.123}]}");
    cr_expect(strstr(body, "<CreationDate>2014-04-29T18:30:39.000Z</CreationDate>") != NULL, "%s", body);
    cr_expect(strstr(body, "<CreationDate>2014-04-29T18:30:38.123Z</CreationDate>") != NULL, "%s", body);
    free(body);
}

Test(protocol_timestamps, query_iso8601_whole_and_fractional) {
    char *body = serialize(NB_SOURCE_DIR "/specs/sts/2011-06-15/service-2.json", "GetSessionToken",
                           "{\"Credentials\":{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"SessionToken\":\"T\","
                           "\"Expiration\":1398796238.9996}}");
    cr_expect(strstr(body, "<Expiration>2014-04-29T18:30:39Z</Expiration>") != NULL, "%s", body);
    free(body);
    body = serialize(NB_SOURCE_DIR "/specs/sts/2011-06-15/service-2.json", "GetSessionToken",
                     "{\"Credentials\":{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"SessionToken\":\"T\","
                     "\"Expiration\":1398796238.25}}");
    cr_expect(strstr(body, "<Expiration>2014-04-29T18:30:38.250Z</Expiration>") != NULL, "%s", body);
    free(body);
}
