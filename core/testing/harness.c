/*
 * The plugin test harness (include/nimbus/testing.h): a gateway without listeners on a
 * loop of its own, the manual clock (gateway/clock.c), and operations called through the
 * in-process call path (gateway/call.c) as a client with an access key would make them.
 */
#include "nimbus/testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/call.h"
#include "gateway/clock.h"
#include "gateway/gateway.h"
#include "gateway/group_commit.h"
#include "http/body.h"
#include "nimbus/errno.h"

struct nb_test {
    uv_loop_t loop;
    nb__config_t cfg;
    nb__gateway_t gw;
    bool gw_ready, cfg_ready;
    size_t nenv;
    char **envp; /* the environment the config was loaded from: the config reads it for plugin settings */
    nb__req_context_t ctx; /* who calls */
};

struct nb_test_pending {
    nb_test_t *h;
    uint64_t id;
    bool done;
    json_t *out;
    nb_test_error_t err;
    char service[64], operation[128];
};

/* ---- The loop ---- */

static void settle(void *data) {
    nb_test_t *h = data;
    /* Bounded so a plugin that keeps rescheduling at once cannot hang the test. */
    for (int turns = 0; turns < 100000; turns++) {
        uv_run(&h->loop, UV_RUN_NOWAIT);
        nb__group_commit_end_all(); /* no listener keeps this loop alive: its handles may not run */
        if (h->loop.active_reqs.count > 0) /* thread-pool work: wait for it to come back */
            uv_run(&h->loop, UV_RUN_ONCE);
        else if (!uv_loop_alive(&h->loop) || uv_backend_timeout(&h->loop) != 0)
            return; /* nothing ready: what is left waits for time or for a call */
    }
    fprintf(stderr, "nimbus test harness: the loop never settled (a callback reschedules itself at once?)\n");
}

void nb_test_run(nb_test_t *h) { nb__clock_advance(0, settle, h); }

void nb_test_advance(nb_test_t *h, uint64_t ms) { nb__clock_advance(ms, settle, h); }

double nb_test_now(const nb_test_t *h) {
    (void)h;
    return nb__clock_now();
}

/* ---- Start and stop ---- */

static char *env_entry(const char *name, const char *value) {
    char *s = NULL;
    return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

static int load_config(nb_test_t *h, const nb_test_options_t *o, char **err) {
    size_t nsettings = 0;
    while (o->settings && o->settings[nsettings])
        nsettings++;
    char **envp = calloc(nsettings + 4, sizeof *envp);
    if (envp == NULL)
        return NB_ENOMEM;
    size_t n = 0;
    if (o->services)
        envp[n++] = env_entry("SERVICES", o->services);
    if (o->plugin_path)
        envp[n++] = env_entry("NIMBUS_PLUGIN_PATH", o->plugin_path);
    if (o->spec_path)
        envp[n++] = env_entry("NIMBUS_SPEC_PATH", o->spec_path);
    for (size_t i = 0; i < nsettings; i++)
        envp[n++] = strdup(o->settings[i]);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (envp[i] == NULL)
            rc = NB_ENOMEM;
    char *argv[] = {"nimbus", NULL};
    FILE *quiet = fopen("/dev/null", "w");
    if (rc == 0 && nb__config_load(&h->cfg, 1, argv, envp, quiet ? quiet : stderr, err) != NB_CONFIG_OK)
        rc = NB_EINVAL;
    else if (rc == 0)
        h->cfg_ready = true;
    if (quiet)
        fclose(quiet);
    h->nenv = n;
    h->envp = envp; /* kept until nb_test_free: h->cfg points into it */
    return rc;
}

nb_test_t *nb_test_new_with(const nb_test_options_t *opts, char **err) {
    nb_test_options_t none = {0};
    const nb_test_options_t *o = opts ? opts : &none;
    char *why = NULL;
    nb_test_t *h = calloc(1, sizeof *h);
    if (h == NULL || uv_loop_init(&h->loop) != 0) {
        free(h);
        if (err)
            *err = strdup("out of memory");
        return NULL;
    }
    nb__clock_set_manual(true);
    nb__http_request_t anonymous = {0};
    nb__context_from_request(&anonymous, &h->ctx);
    int rc = load_config(h, o, &why);
    if (rc == 0) {
        rc = nb__gateway_init(&h->gw, &h->loop, &h->cfg, &why);
        h->gw_ready = true; /* freed even when init failed half-way */
        h->gw.log = o->log ? stdout : NULL;
    }
    if (rc != 0) {
        if (why == NULL)
            why = strdup(nb_strerror(rc));
        nb_test_free(h);
        if (err)
            *err = why;
        else
            free(why);
        return NULL;
    }
    return h;
}

nb_test_t *nb_test_new(const char *services) {
    nb_test_options_t o = {.services = services};
    char *err = NULL;
    nb_test_t *h = nb_test_new_with(&o, &err);
    if (h == NULL)
        fprintf(stderr, "nimbus test harness: cannot start: %s\n", err ? err : "unknown error");
    free(err);
    return h;
}

static void gateway_closed(void *data) { *(bool *)data = true; }

static void close_left_over(uv_handle_t *handle, void *arg) {
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

void nb_test_free(nb_test_t *h) {
    if (h == NULL)
        return;
    if (h->gw_ready && h->gw.http) {
        bool closed = false;
        nb__gateway_close(&h->gw, gateway_closed, &closed); /* plugins answer what waits */
        settle(h);
        for (int i = 0; i < 1000 && !closed; i++)
            uv_run(&h->loop, UV_RUN_ONCE);
    }
    nb__call_cancel_all();
    settle(h);
    if (h->gw_ready)
        nb__gateway_free(&h->gw);
    uv_walk(&h->loop, close_left_over, NULL);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    uv_loop_close(&h->loop);
    if (h->cfg_ready)
        nb__config_free(&h->cfg);
    for (size_t i = 0; i < h->nenv; i++)
        free(h->envp[i]);
    free(h->envp);
    nb__clock_set_manual(false);
    free(h);
}

void nb_test_set_identity(nb_test_t *h, const char *access_key, const char *region) {
    /* The gateway's own rule, read from the credential a client would send (its scope's
     * service part is not read: any name does). */
    char auth[400];
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=%s/20240101/%s/any/aws4_request, SignedHeaders=host, "
             "Signature=0", access_key ? access_key : "test", region ? region : h->ctx.region);
    nb__http_request_t http = {0};
    nb__headers_set(&http.headers, "Authorization", auth);
    nb__context_from_request(&http, &h->ctx);
    nb__headers_free(&http.headers);
}

const char *nb_test_account(const nb_test_t *h) { return h->ctx.account; }

/* ---- Calls ---- */

static void copy_text(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

/* A streaming output payload joins the output as a string under its member's name. */
static void inline_body(nb_test_pending_t *p, json_t *out, nb_body_t *body) {
    nb__service_t *svc = nb__registry_service(&p->h->gw.reg, p->service);
    const nb__spec_op_t *op = svc && svc->spec ? nb__spec_op(svc->spec, p->operation) : NULL;
    const char *member = op ? json_string_value(json_object_get(op->output, "payload")) : NULL;
    const char *data = nb__body_data(body, 64u << 20);
    if (member && data && json_is_object(out))
        json_object_set_new(out, member, json_stringn_nocheck(data, (size_t)nb__body_size(body)));
}

static void call_done(const nb_call_result_t *r, void *data) {
    nb_test_pending_t *p = data;
    p->done = true;
    p->err.rc = r->rc;
    p->err.status = r->status;
    if (r->rc != 0) {
        copy_text(p->err.code, sizeof p->err.code, r->error_code);
        copy_text(p->err.message, sizeof p->err.message, r->error_message);
        return;
    }
    p->out = json_incref((json_t *)r->output);
    if (r->body)
        inline_body(p, p->out, r->body);
}

nb_test_pending_t *nb_test_start(nb_test_t *h, const char *service, const char *operation, const char *input_json) {
    nb_test_pending_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->h = h;
    copy_text(p->service, sizeof p->service, service);
    copy_text(p->operation, sizeof p->operation, operation);
    json_error_t jerr;
    json_t *input = input_json && *input_json ? json_loads(input_json, JSON_DECODE_ANY, &jerr) : json_object();
    if (!json_is_object(input)) {
        json_decref(input);
        p->done = true;
        p->err = (nb_test_error_t){.rc = NB_EINVAL, .status = 400};
        copy_text(p->err.code, sizeof p->err.code, "InvalidInputJson");
        snprintf(p->err.message, sizeof p->err.message, "the test's input is not a JSON object: %s", input_json);
        return p;
    }
    p->id = nb__call_start(&h->gw, "test harness", &h->ctx, service, operation, input, call_done, p);
    if (p->id == 0) {
        free(p);
        return NULL;
    }
    nb_test_run(h);
    return p;
}

bool nb_test_done(const nb_test_pending_t *p) { return p->done; }

void nb_test_abort(nb_test_pending_t *p) {
    if (p == NULL)
        return;
    nb__call_cancel(p->id); /* nothing when it answered: then its result goes */
    json_decref(p->out);
    free(p);
}

int nb_test_result(nb_test_pending_t *p, json_t **out, nb_test_error_t *err) {
    if (out)
        *out = NULL;
    if (p == NULL) {
        if (err)
            *err = (nb_test_error_t){.rc = NB_ENOMEM, .status = 500, .code = "InternalFailure"};
        return NB_ENOMEM;
    }
    if (!p->done) {
        if (err) {
            *err = (nb_test_error_t){.rc = NB_EAGAIN};
            copy_text(err->code, sizeof err->code, "StillPending");
            snprintf(err->message, sizeof err->message,
                     "%s.%s had not answered: start it with nb_test_start and let it answer (nb_test_advance)",
                     p->service, p->operation);
        }
        nb_test_abort(p);
        return NB_EAGAIN;
    }
    int rc = p->err.rc;
    if (err)
        *err = p->err;
    if (out && rc == 0)
        *out = json_incref(p->out);
    nb_test_abort(p);
    return rc;
}

int nb_test_call(nb_test_t *h, const char *service, const char *operation, const char *input_json, json_t **out,
                 nb_test_error_t *err) {
    return nb_test_result(nb_test_start(h, service, operation, input_json), out, err);
}
