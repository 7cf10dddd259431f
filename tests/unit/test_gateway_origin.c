/* The guard before everything else (core/gateway/origin.c): which Host names and web page
 * origins reach Nimbus, seen by a client over a socket. A refused request gets a 403 saying
 * why; one let through reaches the next stage (here: a 200 "passed"). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "support/http_fixture.h"

static nb__config_t cfg;
static nb__gateway_t gw = {.cfg = &cfg}; /* no router: refusals are plain text, as for internal endpoints */

static void origin_stage(nb__http_exchange_t *x, nb__http_request_t *req) {
    if (nb__origin_refused(&gw, x, req))
        return;
    respond_text(x, 200, "passed");
}

/* Settings are made before the server starts: the server thread only reads them. */
static void start_with(bool loopback_only) {
    cfg.loopback_only = loopback_only;
    http_fx_setup();
    http_fx.handle = origin_stage;
    http_fx_start();
    cr_assert_eq(http_fx.listen_rc, 0);
}

static void reset_cfg(void) { memset(&cfg, 0, sizeof cfg); }

TestSuite(origin, .init = reset_cfg, .fini = http_fx_fini, .timeout = 60);

/* The status a GET / with these header lines ("Name: value\r\n"...) gets; its body in body. */
static int status_for(const char *headers, char *body, size_t body_len) {
    char raw[1024];
    snprintf(raw, sizeof raw, "GET /_nimbus/health HTTP/1.1\r\n%s\r\n", headers);
    client_t c;
    cl_open(&c);
    cl_puts(&c, raw);
    resp_t r;
    cl_response(&c, &r, false);
    if (body)
        snprintf(body, body_len, "%s", r.body);
    int status = r.status;
    resp_free(&r);
    cl_close(&c);
    return status;
}

static void expect_passed(const char *headers) {
    char body[512];
    cr_assert_eq(status_for(headers, body, sizeof body), 200, "%s-> %s", headers, body);
    cr_assert_str_eq(body, "passed");
}

static void expect_refused(const char *headers, const char *why) {
    char body[512];
    cr_assert_eq(status_for(headers, body, sizeof body), 403, "%s-> %s", headers, body);
    cr_assert(strncmp(body, "Forbidden: ", 11) == 0, "%s", body);
    cr_assert_not_null(strstr(body, why), "'%s' says '%s'", body, why);
}

Test(origin, on_loopback_only_the_names_nimbus_serves_pass) {
    start_with(true);
    expect_passed("Host: localhost:4566\r\n");
    expect_passed("Host: LOCALHOST\r\n");
    expect_passed("Host: localhost.:4566\r\n");
    expect_passed("Host: 127.0.0.1:4566\r\n");
    expect_passed("Host: [::1]:4566\r\n");
    expect_passed("Host: 192.168.1.20\r\n"); /* an IP address: no DNS, no rebinding */
    expect_passed("Host: my-bucket.s3.localhost.localstack.cloud:4566\r\n");
    expect_passed("Host: localhost.localstack.cloud\r\n");
    expect_passed("Host: sqs.us-east-1.amazonaws.com\r\n");
    expect_passed("Host: app.localhost\r\n");
    expect_passed(""); /* HTTP/1.0 style: no Host at all */
}

Test(origin, on_loopback_another_name_is_a_dns_rebinding_attempt) {
    start_with(true);
    expect_refused("Host: evil.example.com\r\n", "does not serve the host name 'evil.example.com'");
    expect_refused("Host: localhost.evil.com:4566\r\n", "host name 'localhost.evil.com:4566'");
    expect_refused("Host: amazonaws.com.evil.com\r\n", "NIMBUS_ALLOWED_HOSTS");
}

Test(origin, localstack_host_and_the_names_under_it_are_served) {
    cfg.localstack_host = "nimbus.internal:4566";
    start_with(true);
    expect_passed("Host: nimbus.internal:4566\r\n");
    expect_passed("Host: sqs.nimbus.internal\r\n");
    expect_refused("Host: xnimbus.internal\r\n", "host name");
}

Test(origin, bound_beyond_loopback_any_host_passes_unless_allowed_hosts_is_set) {
    start_with(false);
    expect_passed("Host: localstack:4566\r\n"); /* a compose service name */
    expect_passed("Host: evil.example.com\r\n");
}

Test(origin, allowed_hosts_adds_names_and_wildcards) {
    char *hosts[] = {"box", "*.corp.test", NULL};
    cfg.allowed_hosts = hosts;
    start_with(false);
    expect_passed("Host: box:4566\r\n");
    expect_passed("Host: api.corp.test\r\n");
    expect_passed("Host: localhost\r\n");
    expect_refused("Host: corp.test.evil\r\n", "host name 'corp.test.evil'");
    expect_refused("Host: boxes\r\n", "host name 'boxes'");
}

Test(origin, a_page_on_the_developers_own_machine_may_call) {
    start_with(true);
    expect_passed("Host: localhost\r\nOrigin: http://localhost:3000\r\n");
    expect_passed("Host: localhost\r\nOrigin: http://127.0.0.1\r\n");
    expect_passed("Host: localhost\r\nOrigin: http://[::1]:8080\r\n");
    expect_passed("Host: localhost\r\nOrigin: https://app.localstack.cloud\r\n");
    expect_passed("Host: localhost\r\nOrigin: https://console.localhost.localstack.cloud:4566\r\n");
    expect_passed("Host: localhost\r\nOrigin: file://\r\n");
    expect_passed("Host: localhost\r\nReferer: http://localhost:3000/app/page?x=1\r\n");
    expect_passed("Host: localhost\r\nSec-Fetch-Site: same-origin\r\n");
}

Test(origin, a_page_of_another_site_is_refused) {
    start_with(true);
    expect_refused("Host: localhost\r\nOrigin: https://evil.example\r\n",
                   "web page origin 'https://evil.example' are not allowed");
    expect_refused("Host: localhost\r\nOrigin: http://localhost.evil.com\r\n", "'http://localhost.evil.com'");
    expect_refused("Host: localhost\r\nOrigin: http://localhost:3000x\r\n", "'http://localhost:3000x'");
    expect_refused("Host: localhost\r\nOrigin: https://app.localstack.cloud:8443\r\n", "app.localstack.cloud:8443");
    expect_refused("Host: localhost\r\nOrigin: null\r\n", "origin 'null'");
    expect_refused("Host: localhost\r\nReferer: https://evil.example/page\r\n", "origin 'https://evil.example'");
    /* A no-cors GET without Origin or Referer: the browser still says another site sent it. */
    expect_refused("Host: localhost\r\nSec-Fetch-Site: cross-site\r\n", "origin 'null'");
    expect_refused("Host: localhost\r\nOrigin: https://evil.example\r\n", "EXTRA_CORS_ALLOWED_ORIGINS");
}

Test(origin, extra_origins_and_disable_cors_checks_let_pages_through) {
    char *origins[] = {"https://my.app", NULL};
    cfg.cors_origins = origins;
    start_with(true);
    expect_passed("Host: localhost\r\nOrigin: https://my.app\r\n");
    expect_refused("Host: localhost\r\nOrigin: https://my.app.evil\r\n", "'https://my.app.evil'");
    stop_server();
    http_fx_fini();
    reset_cfg();
    cfg.disable_cors_checks = true;
    start_with(true);
    expect_passed("Host: localhost\r\nOrigin: https://evil.example\r\n");
    /* DISABLE_CORS_CHECKS is about origins: the Host check still holds. */
    expect_refused("Host: evil.example\r\nOrigin: https://evil.example\r\n", "host name 'evil.example'");
}

Test(origin, two_host_headers_are_a_400_and_the_connection_closes) {
    start_with(true);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example.com\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(r.body, "Bad Request: more than one Host header\n");
    resp_free(&r);
    cr_assert(cl_eof(&c), "closed after the 400");
    cl_close(&c);
}

Test(origin, a_refused_head_request_has_no_body) {
    start_with(true);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "HEAD / HTTP/1.1\r\nHost: evil.example.com\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, true);
    cr_assert_eq(r.status, 403);
    resp_free(&r);
    /* the connection is still usable: no body bytes were left on it */
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "passed");
    resp_free(&r);
    cl_close(&c);
}
