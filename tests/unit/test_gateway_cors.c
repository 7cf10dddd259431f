/* CORS (core/gateway/cors.c): the default headers on answers to allowed origins, a service's own
 * CORS rules left alone, and preflights answered 204 before routing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "support/http_fixture.h"

/* ---- nb__cors_headers: the headers added to a response ---- */

static nb__http_request_t request_with(const char *const *headers) {
    nb__http_request_t req;
    memset(&req, 0, sizeof req);
    req.method = strdup("GET");
    req.target = strdup("/");
    req.path = strdup("/");
    for (size_t i = 0; headers && headers[i]; i += 2)
        nb__headers_add(&req.headers, headers[i], headers[i + 1]);
    return req;
}

/* A spec whose service answers its own preflights (S3's bucket CORS), and two of its operations. */
typedef struct {
    nb__spec_t spec;
    nb__spec_op_t get, options;
} own_rules_t;

static void own_rules_init(own_rules_t *s) {
    memset(s, 0, sizeof *s);
    s->spec.service = "s3";
    s->spec.has_options_op = true;
    s->get.name = "GetObject";
    s->get.method = "GET";
    s->options.name = "OptionsObject";
    s->options.method = "OPTIONS";
}

Test(cors_headers, a_request_with_origin_gets_the_default_headers) {
    nb__config_t cfg = {0};
    const char *h[] = {"Origin", "http://localhost:3000", NULL};
    nb__http_request_t req = request_with(h);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__cors_headers(&cfg, NULL, &req, &resp);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Access-Control-Allow-Origin"), "http://localhost:3000",
                     "the origin is reflected, not *");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Access-Control-Allow-Methods"),
                     "HEAD,GET,PUT,POST,DELETE,OPTIONS,PATCH");
    const char *allow = nb__headers_get(&resp.headers, "Access-Control-Allow-Headers");
    cr_assert_not_null(allow);
    cr_assert_not_null(strstr(allow, "x-amz-security-token"));
    cr_assert_not_null(strstr(allow, "authorization"));
    const char *expose = nb__headers_get(&resp.headers, "Access-Control-Expose-Headers");
    cr_assert_not_null(expose);
    cr_assert_not_null(strstr(expose, "etag"), "browser SDKs read ETag");
    cr_assert_not_null(strstr(expose, "x-amz-request-id"));
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Vary"), "Origin");
    cr_assert_null(nb__headers_get(&resp.headers, "Access-Control-Allow-Private-Network"));
    nb__http_response_free(&resp);
    nb__http_request_free(&req);
}

Test(cors_headers, the_headers_asked_for_and_private_network_access_are_granted) {
    nb__config_t cfg = {0};
    const char *h[] = {"Origin", "https://app.localstack.cloud", "Access-Control-Request-Headers", "x-custom,content-type",
                       "Access-Control-Request-Private-Network", "true", NULL};
    nb__http_request_t req = request_with(h);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__cors_headers(&cfg, NULL, &req, &resp);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Access-Control-Allow-Headers"), "x-custom,content-type");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Access-Control-Allow-Private-Network"), "true");
    nb__http_response_free(&resp);
    nb__http_request_free(&req);
}

Test(cors_headers, none_without_origin_or_with_disable_cors_headers) {
    nb__config_t cfg = {0};
    nb__http_request_t req = request_with(NULL);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__cors_headers(&cfg, NULL, &req, &resp);
    cr_assert_eq(resp.headers.len, 0, "no Origin: not a browser request");
    nb__http_request_free(&req);

    const char *h[] = {"Origin", "http://localhost:3000", NULL};
    req = request_with(h);
    cfg.disable_cors_headers = true;
    nb__cors_headers(&cfg, NULL, &req, &resp);
    cr_assert_eq(resp.headers.len, 0, "DISABLE_CORS_HEADERS");
    nb__http_response_free(&resp);
    nb__http_request_free(&req);
}

Test(cors_headers, an_answer_that_set_its_own_cors_is_left_alone) {
    nb__config_t cfg = {0};
    const char *h[] = {"Origin", "http://localhost:3000", NULL};
    nb__http_request_t req = request_with(h);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__headers_add(&resp.headers, "Access-Control-Allow-Origin", "http://localhost:3000");
    nb__cors_headers(&cfg, NULL, &req, &resp);
    cr_assert_eq(resp.headers.len, 1);
    nb__http_response_free(&resp);
    nb__http_request_free(&req);
}

Test(cors_headers, a_service_with_its_own_rules_decides_its_actual_requests) {
    nb__config_t cfg = {0};
    own_rules_t s3;
    own_rules_init(&s3);
    const char *h[] = {"Origin", "http://localhost:3000", NULL};
    nb__http_request_t req = request_with(h);
    nb__route_t route = {.spec = &s3.spec, .op = &s3.get, .protocol = NB_PROTO_REST_XML};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = 200;
    nb__cors_headers(&cfg, &route, &req, &resp);
    cr_assert_null(nb__headers_get(&resp.headers, "Access-Control-Allow-Origin"),
                   "no bucket rule matched: the browser must see no CORS headers");

    /* A preflight the service refused (no rule) stays refused. */
    route.op = &s3.options;
    resp.status = 403;
    nb__cors_headers(&cfg, &route, &req, &resp);
    cr_assert_null(nb__headers_get(&resp.headers, "Access-Control-Allow-Origin"));
    /* One it passed on without a rule (a path that is no bucket) gets the default. */
    resp.status = 200;
    nb__cors_headers(&cfg, &route, &req, &resp);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Access-Control-Allow-Origin"), "http://localhost:3000");
    nb__http_response_free(&resp);

    /* DISABLE_CUSTOM_CORS_S3 hands every request back to the default. */
    cfg.disable_custom_cors = true;
    route.op = &s3.get;
    nb__http_response_init(&resp);
    resp.status = 200;
    nb__cors_headers(&cfg, &route, &req, &resp);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Access-Control-Allow-Origin"), "http://localhost:3000");
    nb__http_response_free(&resp);
    nb__http_request_free(&req);
}

/* ---- nb__cors_preflight: seen by a browser over a socket ---- */

static nb__config_t preflight_cfg;
static nb__gateway_t preflight_gw = {.cfg = &preflight_cfg}; /* no router: no service answers preflights */

static void preflight_stage(nb__http_exchange_t *x, nb__http_request_t *req) {
    if (nb__cors_preflight(&preflight_gw, x, req))
        return;
    respond_text(x, 200, "not a preflight");
}

static void start_preflight_server(void) {
    http_fx_setup();
    http_fx.handle = preflight_stage;
    http_fx_start();
    cr_assert_eq(http_fx.listen_rc, 0);
}

static void send_and_read(const char *raw, resp_t *r) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, raw);
    cl_response(&c, r, false);
    cl_close(&c);
}

TestSuite(cors_preflight, .fini = http_fx_fini, .timeout = 60);

Test(cors_preflight, answered_204_with_the_default_headers) {
    memset(&preflight_cfg, 0, sizeof preflight_cfg);
    start_preflight_server();
    resp_t r;
    send_and_read("OPTIONS /my-bucket/key HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost:3000\r\n"
                  "Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
                  &r);
    cr_assert_eq(r.status, 204);
    cr_assert_eq(r.body_len, 0);
    cr_assert_str_eq(hdr(&r, "Access-Control-Allow-Origin"), "http://localhost:3000");
    cr_assert_str_eq(hdr(&r, "Access-Control-Allow-Headers"), "content-type");
    cr_assert_str_eq(hdr(&r, "Access-Control-Max-Age"), "86400");
    cr_assert_not_null(hdr(&r, "Access-Control-Allow-Methods"));
    resp_free(&r);
    /* No Origin (curl trying it out): any origin. */
    send_and_read("OPTIONS / HTTP/1.1\r\nHost: localhost\r\nAccess-Control-Request-Method: GET\r\n\r\n", &r);
    cr_assert_eq(r.status, 204);
    cr_assert_str_eq(hdr(&r, "Access-Control-Allow-Origin"), "*");
    resp_free(&r);
}

Test(cors_preflight, an_options_request_without_a_method_asked_is_not_a_preflight) {
    memset(&preflight_cfg, 0, sizeof preflight_cfg);
    start_preflight_server();
    resp_t r;
    send_and_read("OPTIONS / HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost:3000\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "not a preflight");
    resp_free(&r);
    send_and_read("GET / HTTP/1.1\r\nHost: localhost\r\nAccess-Control-Request-Method: GET\r\n\r\n", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "not a preflight");
    resp_free(&r);
}

Test(cors_preflight, disable_cors_headers_answers_204_without_them) {
    memset(&preflight_cfg, 0, sizeof preflight_cfg);
    preflight_cfg.disable_cors_headers = true;
    start_preflight_server();
    resp_t r;
    send_and_read("OPTIONS / HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost:3000\r\n"
                  "Access-Control-Request-Method: GET\r\n\r\n",
                  &r);
    cr_assert_eq(r.status, 204);
    cr_assert_null(hdr(&r, "Access-Control-Allow-Origin"));
    cr_assert_null(hdr(&r, "Access-Control-Max-Age"));
    resp_free(&r);
}
