/* The client commands: `nimbus status` (the /_localstack/health table), `nimbus wait` (until
 * the server answers it) and `nimbus reset [service]` (/_localstack/state/.../reset). */
#include "cli/cli_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WAIT_TIMEOUT_S 60
#define CALL_TIMEOUT_MS 5000

/* The health document if the server answers it with 200; NULL with why set otherwise. */
static json_t *fetch_health(const nb__cli_t *c, int timeout_ms, const char **why) {
    nb__cli_response_t resp;
    if (nb__cli_http(&c->ep, "GET", "/_localstack/health", timeout_ms, &resp, why) != 0)
        return NULL;
    json_t *doc = resp.status == 200 ? json_loads(resp.body, 0, NULL) : NULL;
    if (doc == NULL)
        *why = resp.status == 200 ? "the health answer is not JSON" : "the health endpoint did not answer 200";
    nb__cli_response_free(&resp);
    return doc;
}

int nb__cli_status(nb__cli_t *c) {
    const char *why = NULL;
    json_t *doc = fetch_health(c, CALL_TIMEOUT_MS, &why);
    if (doc == NULL) {
        printf("nimbus is not running at %s (%s)\n", c->url, why);
        return 1;
    }
    const char *version = json_string_value(json_object_get(doc, "version"));
    printf("nimbus %s is running at %s", version ? version : "?", c->url);
    nb__cli_response_t resp;
    if (nb__cli_http(&c->ep, "GET", "/_localstack/info", CALL_TIMEOUT_MS, &resp, &why) == 0) {
        json_t *info = resp.status == 200 ? json_loads(resp.body, 0, NULL) : NULL;
        if (info)
            printf(" (up %lld s, %lld requests, persistence %s)", json_integer_value(json_object_get(info, "uptime")),
                   json_integer_value(json_object_get(info, "requests")),
                   json_is_true(json_object_get(info, "persistence")) ? "on" : "off");
        json_decref(info);
        nb__cli_response_free(&resp);
    }
    printf("\n\n");
    json_t *services = json_object_get(doc, "services");
    size_t width = strlen("SERVICE");
    const char *name;
    json_t *state;
    json_object_foreach(services, name, state) {
        if (strlen(name) > width)
            width = strlen(name);
    }
    printf("%-*s  STATE\n", (int)width, "SERVICE");
    json_object_foreach(services, name, state) {
        printf("%-*s  %s\n", (int)width, name, json_is_string(state) ? json_string_value(state) : "?");
    }
    json_decref(doc);
    return 0;
}

int nb__cli_wait(nb__cli_t *c) {
    double timeout = c->timeout_s >= 0 ? c->timeout_s : DEFAULT_WAIT_TIMEOUT_S;
    double start = nb__cli_now(), deadline = start + timeout;
    const char *why = "no answer";
    for (;;) {
        double left_ms = (deadline - nb__cli_now()) * 1000;
        json_t *doc = fetch_health(c, left_ms < 1 ? 1 : left_ms > CALL_TIMEOUT_MS ? CALL_TIMEOUT_MS : (int)left_ms,
                                   &why);
        if (doc) {
            json_decref(doc);
            printf("nimbus is ready at %s (waited %.1f s)\n", c->url, nb__cli_now() - start);
            return 0;
        }
        if (nb__cli_now() + 0.1 >= deadline) {
            fprintf(stderr, "nimbus wait: not ready at %s after %.1f s (%s)\n", c->url, timeout, why);
            return 1;
        }
        nb__cli_sleep_ms(100);
    }
}

int nb__cli_reset(nb__cli_t *c) {
    char path[160];
    if (c->positional)
        snprintf(path, sizeof path, "/_localstack/state/%.64s/reset", c->positional);
    else
        snprintf(path, sizeof path, "/_localstack/state/reset");
    nb__cli_response_t resp;
    const char *why = NULL;
    if (nb__cli_http(&c->ep, "POST", path, CALL_TIMEOUT_MS, &resp, &why) != 0) {
        fprintf(stderr, "nimbus reset: nimbus is not running at %s (%s)\n", c->url, why);
        return 1;
    }
    json_t *doc = json_loads(resp.body, 0, NULL);
    int rc = resp.status == 200 ? 0 : 1;
    if (rc == 0) {
        json_t *done = json_object_get(doc, "reset"), *svc;
        size_t i;
        printf("reset:");
        json_array_foreach(done, i, svc) {
            printf("%s %s", i ? "," : "", json_string_value(svc));
        }
        printf("%s\n", json_array_size(done) ? "" : " nothing (no service had started)");
    } else if (resp.status == 404 && c->positional) {
        fprintf(stderr, "nimbus reset: no service named '%s' at %s\n", c->positional, c->url);
    } else {
        fprintf(stderr, "nimbus reset: the server answered %d: %s\n", resp.status, resp.body);
    }
    json_decref(doc);
    nb__cli_response_free(&resp);
    return rc;
}
