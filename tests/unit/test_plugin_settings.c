/* Declared plugin settings (core/plugin/settings.c), with tests/unit/plugins/tp_events.c:
 * values from the environment, defaults, typed getters, bad values, nimbus --help. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

#define TEST_PLUGINS "NIMBUS_PLUGIN_PATH=" NB_BINARY_DIR "/test-plugins"

typedef struct {
    nb__config_t cfg;
    nb__registry_t reg;
    char *err, *warnings;
    size_t warnings_len;
    int rc;
} setup_t;

/* Loads the configuration and the plugins as the server does, up to the settings. */
static void load(setup_t *s, char **envp) {
    memset(s, 0, sizeof *s);
    char *argv[] = {"nimbus", NULL};
    FILE *out = fopen("/dev/null", "w");
    cr_assert_eq(nb__config_load(&s->cfg, 1, argv, envp, out, &s->err), NB_CONFIG_OK, "%s", s->err);
    fclose(out);
    cr_assert_eq(nb__registry_init(&s->reg, &s->cfg, &s->err), 0, "%s", s->err);
    nb__registry_select(&s->reg);
    FILE *warn = open_memstream(&s->warnings, &s->warnings_len);
    s->rc = nb__registry_settings(&s->reg, warn, &s->err);
    fclose(warn);
}

static void unload(setup_t *s) {
    nb__registry_free(&s->reg);
    nb__config_free(&s->cfg);
    free(s->err);
    free(s->warnings);
}

static nb_plugin_t *provider(setup_t *s, const char *service) {
    nb__service_t *svc = nb__registry_service(&s->reg, service);
    cr_assert_not_null(svc);
    return svc->provider;
}

Test(plugin_settings, values_come_from_the_environment_else_the_declared_default) {
    setup_t s;
    char *envp[] = {TEST_PLUGINS, "PROVIDER_OVERRIDE_STS=sts-events", "TP_EVENTS_PATTERN=s3:ObjectCreated:*", NULL};
    load(&s, envp);
    cr_assert_eq(s.rc, 0, "%s", s.err);
    nb_plugin_t *p = provider(&s, "sts");
    cr_assert_str_eq(p->def->name, "sts-events");
    cr_assert_str_eq(nb__api.setting_string(p, "TP_EVENTS_PATTERN"), "s3:ObjectCreated:*");
    cr_assert_eq(nb__api.setting_int(p, "TP_EVENTS_LIMIT"), 100);
    cr_assert_null(nb__api.setting_string(p, "TP_EVENTS_UNDECLARED"), "a name it did not declare reads as unset");
    nb_plugin_t *s3 = provider(&s, "s3");
    cr_assert_eq(nb__api.setting_seconds(s3, "S3_RESTORE_DELAY"), 3.0);
    cr_assert_eq(nb__api.setting_seconds(s3, "S3_LOG_DELIVERY_INTERVAL"), 5.0);
    cr_assert_eq(nb__api.setting_bool(provider(&s, "sqs"), "SQS_DELAY_PURGE_RETRY"), 1);
    char *listing = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&listing, &len);
    nb__registry_print_settings(&s.reg, out);
    fclose(out);
    cr_assert(strstr(listing, "service sts (plugin sts-events):\n  TP_EVENTS_PATTERN=s3:ObjectCreated:* (environment)\n"
                              "  TP_EVENTS_LIMIT=100 (default)\n") != NULL, "%s", listing);
    free(listing);
    unload(&s);
}

Test(plugin_settings, typed_values_with_units) {
    setup_t s;
    char *envp[] = {TEST_PLUGINS, "S3_RESTORE_DELAY=250ms", "S3_LOG_DELIVERY_INTERVAL=2m", "SQS_DELAY_PURGE_RETRY=off",
                    NULL};
    load(&s, envp);
    cr_assert_eq(s.rc, 0, "%s", s.err);
    cr_assert_eq(nb__api.setting_seconds(provider(&s, "s3"), "S3_RESTORE_DELAY"), 0.25);
    cr_assert_eq(nb__api.setting_seconds(provider(&s, "s3"), "S3_LOG_DELIVERY_INTERVAL"), 120.0);
    cr_assert_eq(nb__api.setting_bool(provider(&s, "sqs"), "SQS_DELAY_PURGE_RETRY"), 0);
    unload(&s);
}

Test(plugin_settings, a_bad_value_of_a_provider_is_an_error_naming_it) {
    setup_t s;
    char *envp[] = {TEST_PLUGINS, "PROVIDER_OVERRIDE_STS=sts-events", "TP_EVENTS_LIMIT=lots", NULL};
    load(&s, envp);
    cr_assert_eq(s.rc, NB_EINVAL);
    cr_assert(strstr(s.err, "TP_EVENTS_LIMIT: invalid value 'lots' (environment): expected an integer") != NULL, "%s",
              s.err);
    unload(&s);
}

Test(plugin_settings, a_bad_value_of_a_plugin_that_will_not_run_is_not) {
    setup_t s;
    /* sts-events is not STS's provider here (the built-in sts is), and S3 is not enabled */
    char *envp[] = {TEST_PLUGINS, "SERVICES=sqs,sts", "TP_EVENTS_LIMIT=lots", "S3_RESTORE_DELAY=abc", NULL};
    load(&s, envp);
    cr_assert_eq(s.rc, 0, "%s", s.err);
    unload(&s);
}

Test(plugin_settings, unknown_names_in_the_environment_are_reported_not_dropped) {
    setup_t s;
    char *envp[] = {TEST_PLUGINS, "NIMBUS_FOO=1", "SQS_TYPO=1", "DYNAMODB_SHARE_DB=1", "S3_SKIP_SIGNATURE_VALIDATION=1",
                    "TP_EVENTS_LIMIT=5", "HOME=/root", NULL};
    load(&s, envp);
    cr_assert_eq(s.rc, 0, "%s", s.err);
    cr_assert(strstr(s.warnings, "unknown setting NIMBUS_FOO: ignored") != NULL, "%s", s.warnings);
    cr_assert(strstr(s.warnings, "unknown setting SQS_TYPO: ignored") != NULL, "%s", s.warnings);
    cr_assert(strstr(s.warnings, "unknown setting DYNAMODB_SHARE_DB: ignored") != NULL, "a spec's service: %s",
              s.warnings);
    cr_assert(strstr(s.warnings, "S3_SKIP_SIGNATURE_VALIDATION") == NULL, "accepted and ignored: %s", s.warnings);
    cr_assert(strstr(s.warnings, "TP_EVENTS_LIMIT") == NULL, "a loaded plugin declares it: %s", s.warnings);
    cr_assert(strstr(s.warnings, "HOME") == NULL, "%s", s.warnings);
    unload(&s);
}

Test(plugin_settings, help_lists_every_plugin_s_settings_with_their_help) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    nb__plugin_settings_help(out, NB_BINARY_DIR "/test-plugins");
    fclose(out);
    cr_assert(strstr(text, "service sts (plugin sts-events):") != NULL, "%s", text);
    cr_assert(strstr(text, "TP_EVENTS_LIMIT") != NULL && strstr(text, "At most this many events are logged (integer) "
                                                                      "[default: 100]") != NULL, "%s", text);
    cr_assert(strstr(text, "S3_RESTORE_DELAY") != NULL, "the built-in folder too: %s", text);
    free(text);
}
