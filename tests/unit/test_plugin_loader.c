#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/plugin.h"

#define PLUGINS NB_BINARY_DIR "/test-plugins/"

static nb__spec_set_t specs;

static void load_specs(void) {
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_dir(&specs, NB_SOURCE_DIR "/specs", &err), 0, "%s", err ? err : "");
}
static void free_specs(void) { nb__spec_set_free(&specs); }

TestSuite(loader, .init = load_specs, .fini = free_specs);

Test(loader, good_plugin_binds_its_operations) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_good.so", &specs, &err);
    cr_assert_not_null(p, "%s", err);
    cr_assert_str_eq(p->def->name, "sts-test");
    const nb__spec_op_t *op = nb__spec_op(p->spec, "GetCallerIdentity");
    cr_assert_not_null(p->handlers[op - p->spec->ops]);
    const nb__spec_op_t *op2 = nb__spec_op(p->spec, "GetSessionToken");
    cr_assert_null(p->handlers[op2 - p->spec->ops], "registered without handler stays 501");
    const nb__spec_op_t *op3 = nb__spec_op(p->spec, "AssumeRole");
    cr_assert_null(p->handlers[op3 - p->spec->ops]);
    nb__plugin_close(p);
}

Test(loader, wrong_abi_is_refused_before_init) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_wrong_abi.so", &specs, &err);
    cr_assert_null(p);
    cr_assert(strstr(err, "plugin ABI 2.0 is not supported") != NULL, "%s", err);
    cr_assert(strstr(err, "tp_wrong_abi.so") != NULL);
    free(err);
}

/* What a plugin reaches through the table it is given: nb_strerror (ABI 1.5) names the codes. */
Test(loader, bound_plugin_gets_a_table_with_strerror) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_good.so", &specs, &err);
    cr_assert_not_null(p, "%s", err);
    const nb_api_t *api = *p->def->api;
    cr_assert_geq(api->size, offsetof(nb_api_t, strerror) + sizeof api->strerror);
    cr_assert_not_null(api->strerror);
    cr_assert_str_eq(api->strerror(NB_ENOENT), "not found");
    cr_assert_str_eq(api->strerror(NB_EABI), "plugin ABI mismatch");
    nb__plugin_close(p);
}

Test(loader, newer_minor_abi_is_refused_naming_both_versions) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_newer_minor.so", &specs, &err);
    cr_assert_null(p);
    char want[256];
    snprintf(want, sizeof want,
             "%stp_newer_minor.so: plugin built for Nimbus ABI %d.%d, this Nimbus provides ABI %d.%d: rebuild the "
             "plugin against this Nimbus's headers or update Nimbus",
             PLUGINS, NB_ABI_MAJOR, NB_ABI_MINOR + 1, NB_ABI_MAJOR, NB_ABI_MINOR);
    cr_assert_str_eq(err, want);
    free(err);
}

Test(loader, unknown_operation_flags_are_refused) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_op_flags.so", &specs, &err);
    cr_assert_null(p);
    cr_assert_str_eq(err, PLUGINS "tp_op_flags.so: plugin 'sts-flags' sets flags 0x1 on operation 'GetCallerIdentity': "
                              "this Nimbus knows none");
    free(err);
}

Test(loader, other_api_version_loads_and_is_logged, .init = cr_redirect_stderr) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_old_api_version.so", &specs, &err);
    cr_assert_not_null(p, "%s", err);
    const nb__spec_op_t *op = nb__spec_op(p->spec, "GetCallerIdentity");
    cr_assert_not_null(p->handlers[op - p->spec->ops]);
    nb__plugin_close(p);
    fflush(stderr);
    cr_assert_stderr_eq_str("nimbus: " PLUGINS "tp_old_api_version.so: plugin 'sts-old' was written for sts API "
                            "2011-01-01, the spec is sts API 2011-06-15: operations it does not register answer 501\n");
}

Test(loader, unknown_operation_name_fails_the_load_naming_it) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_unknown_op.so", &specs, &err);
    cr_assert_null(p);
    cr_assert(strstr(err, "'FlyToTheMoon'") != NULL, "%s", err);
    free(err);
}

Test(loader, shared_object_without_descriptor_is_refused) {
    char *err = NULL;
    nb_plugin_t *p = nb__plugin_open(PLUGINS "tp_no_descriptor.so", &specs, &err);
    cr_assert_null(p);
    cr_assert(strstr(err, "no nb_plugin_def symbol") != NULL, "%s", err);
    free(err);
    p = nb__plugin_open(PLUGINS "does_not_exist.so", &specs, &err);
    cr_assert_null(p);
    cr_assert(strstr(err, "cannot load") != NULL, "%s", err);
    free(err);
}

static nb__config_t make_cfg(char **envp) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", NULL};
    FILE *out = fopen("/dev/null", "w");
    cr_assert_eq(nb__config_load(&cfg, 1, argv, envp, out, &err), NB_CONFIG_OK, "%s", err);
    fclose(out);
    return cfg;
}

Test(loader, registry_marks_failures_and_keeps_the_rest) {
    char *envp[] = {"NIMBUS_PLUGIN_PATH=" NB_BINARY_DIR "/test-plugins", "PROVIDER_OVERRIDE_STS=sts-test", NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    char *err = NULL;
    cr_assert_eq(nb__registry_init(&reg, &cfg, &err), 0, "%s", err);
    nb__registry_select(&reg);
    nb__service_t *sts = nb__registry_service(&reg, "sts");
    cr_assert_not_null(sts);
    cr_assert_eq(sts->state, NB_SVC_AVAILABLE, "the good plugin serves sts although others failed");
    cr_assert_str_eq(sts->provider->def->name, "sts-test");
    cr_assert_eq(nb__registry_start(&reg, sts), 0);
    cr_assert_eq(sts->state, NB_SVC_RUNNING);
    cr_assert_eq(*(int *)sts->provider->data, 1, "init ran once");
    nb__registry_free(&reg);
    nb__config_free(&cfg);
}

Test(loader, services_setting_disables_the_others) {
    char *envp[] = {"NIMBUS_PLUGIN_PATH=" NB_BINARY_DIR "/test-plugins", "SERVICES=s3", NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    char *err = NULL;
    cr_assert_eq(nb__registry_init(&reg, &cfg, &err), 0, "%s", err);
    nb__registry_select(&reg);
    nb__service_t *sts = nb__registry_service(&reg, "sts");
    cr_assert_eq(sts->state, NB_SVC_DISABLED);
    nb__registry_free(&reg);
    nb__config_free(&cfg);
}

Test(loader, default_provider_is_the_one_named_like_the_service) {
    char *envp[] = {"NIMBUS_PLUGIN_PATH=" NB_BINARY_DIR "/test-plugins", NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    char *err = NULL;
    cr_assert_eq(nb__registry_init(&reg, &cfg, &err), 0, "%s", err);
    nb__registry_select(&reg);
    nb__service_t *sts = nb__registry_service(&reg, "sts");
    cr_assert_str_eq(sts->provider->def->name, "sts", "the built-in sts plugin, not sts-test");
    nb__registry_free(&reg);
    nb__config_free(&cfg);
}

Test(loader, override_naming_a_missing_plugin_marks_the_service_error) {
    char *envp[] = {"PROVIDER_OVERRIDE_STS=nope", NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    char *err = NULL;
    cr_assert_eq(nb__registry_init(&reg, &cfg, &err), 0, "%s", err);
    nb__registry_select(&reg);
    nb__service_t *sts = nb__registry_service(&reg, "sts");
    cr_assert_eq(sts->state, NB_SVC_ERROR);
    cr_assert(strstr(sts->error, "PROVIDER_OVERRIDE_STS") != NULL, "%s", sts->error);
    nb__registry_free(&reg);
    nb__config_free(&cfg);
}

/* The service a failed plugin declares shows the error, whatever the file is called,
 * and a good provider for it found elsewhere still serves it. */
Test(loader, failed_plugin_marks_the_service_its_descriptor_names) {
    char dir[] = "/tmp/nb-loader-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char link_path[128];
    snprintf(link_path, sizeof link_path, "%s/ddd-not-a-service-name.so", dir);
    cr_assert_eq(symlink(PLUGINS "tp_kinesis_bad.so", link_path), 0);
    char env_path[160];
    snprintf(env_path, sizeof env_path, "NIMBUS_PLUGIN_PATH=%s", dir);
    char *envp[] = {env_path, NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    char *err = NULL;
    cr_assert_eq(nb__registry_init(&reg, &cfg, &err), 0, "%s", err);
    nb__registry_select(&reg);
    nb__service_t *kinesis = nb__registry_service(&reg, "kinesis");
    cr_assert_not_null(kinesis, "the failed plugin's service is listed");
    cr_assert_eq(kinesis->state, NB_SVC_ERROR);
    cr_assert(strstr(kinesis->error, "PourCoffee") != NULL, "%s", kinesis->error);
    nb__registry_free(&reg);
    nb__config_free(&cfg);
    unlink(link_path);
    rmdir(dir);
}

static int store_opens, store_failures_left, store_failure;

/* A store that fails `store_failures_left` times with `store_failure`, then opens. */
static int failing_store(nb__registry_t *reg, nb__service_t *svc, char **err) {
    (void)reg;
    (void)svc;
    store_opens++;
    if (store_failures_left-- <= 0)
        return 0;
    *err = strdup(store_failure == NB_EAGAIN ? "Too many open files" : "database file is corrupt");
    return store_failure;
}

static nb__service_t *sts_with_store(nb__registry_t *reg, nb__config_t *cfg, int failures, int failure) {
    char *err = NULL;
    cr_assert_eq(nb__registry_init(reg, cfg, &err), 0, "%s", err);
    nb__registry_select(reg);
    reg->on_start = failing_store;
    store_opens = 0;
    store_failures_left = failures;
    store_failure = failure;
    return nb__registry_service(reg, "sts");
}

Test(loader, a_start_that_failed_for_want_of_a_resource_is_tried_again_later) {
    char *envp[] = {"NIMBUS_PLUGIN_PATH=" NB_BINARY_DIR "/test-plugins", "PROVIDER_OVERRIDE_STS=sts-test", NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    nb__service_t *sts = sts_with_store(&reg, &cfg, 1, NB_EAGAIN);
    cr_assert_eq(nb__registry_start(&reg, sts), NB_EAGAIN);
    cr_assert_eq(sts->state, NB_SVC_ERROR, "health shows the failure");
    cr_assert_str_eq(sts->error, "Too many open files");
    cr_assert_eq(nb__registry_start(&reg, sts), NB_EAGAIN);
    cr_assert_eq(store_opens, 1, "not tried again within the back-off");
    usleep(150 * 1000);
    cr_assert_eq(nb__registry_start(&reg, sts), 0);
    cr_assert_eq(store_opens, 2);
    cr_assert_eq(sts->state, NB_SVC_RUNNING);
    cr_assert_null(sts->error);
    nb__registry_free(&reg);
    nb__config_free(&cfg);
}

Test(loader, a_start_that_failed_for_good_is_not_tried_again) {
    char *envp[] = {"NIMBUS_PLUGIN_PATH=" NB_BINARY_DIR "/test-plugins", "PROVIDER_OVERRIDE_STS=sts-test", NULL};
    nb__config_t cfg = make_cfg(envp);
    nb__registry_t reg;
    nb__service_t *sts = sts_with_store(&reg, &cfg, 1, NB_ESTORE);
    cr_assert_eq(nb__registry_start(&reg, sts), NB_ESTORE);
    usleep(150 * 1000);
    cr_assert_eq(nb__registry_start(&reg, sts), NB_EINVAL);
    cr_assert_eq(store_opens, 1);
    cr_assert_eq(sts->state, NB_SVC_ERROR);
    cr_assert_str_eq(sts->error, "database file is corrupt");
    nb__registry_free(&reg);
    nb__config_free(&cfg);
}
