#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

static char *write_file(const char *text) {
    char *path = strdup("/tmp/nimbus-cfg-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static nb__config_result_t load(nb__config_t *cfg, char **argv, char **envp, char **err) {
    int argc = 0;
    while (argv[argc])
        argc++;
    FILE *out = fopen("/dev/null", "w");
    nb__config_result_t r = nb__config_load(cfg, argc, argv, envp, out, err);
    fclose(out);
    return r;
}

Test(config, defaults_are_localstack_compatible) {
    nb__config_t cfg;
    char *err;
    char *argv[] = {"nimbus", NULL}, *envp[] = {"HOME=/home/u", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK);
    /* both loopbacks, as "localhost" resolves to either; only the IPv6 one may be missing */
    cr_assert_eq(cfg.nlisten, 2);
    cr_assert_str_eq(cfg.listen[0].host, "127.0.0.1");
    cr_assert_eq(cfg.listen[0].port, 4566);
    cr_assert_not(cfg.listen[0].optional);
    cr_assert_str_eq(cfg.listen[1].host, "::1");
    cr_assert_eq(cfg.listen[1].port, 4566);
    cr_assert(cfg.listen[1].optional);
    cr_assert_not(cfg.persistence);
    cr_assert_not(cfg.eager_loading);
    cr_assert_null(cfg.services);
    cr_assert_str_eq(cfg.data_dir, "/home/u/.local/share/nimbus");
    cr_assert_str_eq(cfg.localstack_host, "localhost.localstack.cloud:4566");
    nb__config_free(&cfg);
    /* LocalStack's default host follows the port the gateway listens on */
    char *envp2[] = {"GATEWAY_LISTEN=127.0.0.1:4510", NULL};
    cr_assert_eq(load(&cfg, argv, envp2, &err), NB_CONFIG_OK);
    cr_assert_str_eq(cfg.localstack_host, "localhost.localstack.cloud:4510");
    cr_assert(nb__config_service_enabled(&cfg, "s3"));
    nb__config_free(&cfg);
}

/* As LocalStack's GATEWAY_LISTEN: a missing host or port takes the default one. */
Test(config, listen_address_without_host_or_port_takes_the_default) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", NULL}, *envp[] = {"GATEWAY_LISTEN=:4510,0.0.0.0,[::1]", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err ? err : "");
    cr_assert_eq(cfg.nlisten, 3);
    cr_assert_str_eq(cfg.listen[0].host, "127.0.0.1");
    cr_assert_eq(cfg.listen[0].port, 4510);
    cr_assert_str_eq(cfg.listen[1].host, "0.0.0.0");
    cr_assert_eq(cfg.listen[1].port, 4566);
    cr_assert_str_eq(cfg.listen[2].host, "::1");
    cr_assert_eq(cfg.listen[2].port, 4566);
    nb__config_free(&cfg);
}

Test(config, the_default_pair_given_explicitly_is_required) {
    nb__config_t cfg;
    char *err;
    char *argv[] = {"nimbus", NULL}, *envp[] = {"GATEWAY_LISTEN=127.0.0.1:4566,[::1]:4566", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err ? err : "");
    cr_assert_eq(cfg.nlisten, 2);
    cr_assert_not(cfg.listen[1].optional); /* the user asked for [::1]: no IPv6 must stop start */
    nb__config_free(&cfg);
}

Test(config, flags_beat_environment_beat_file) {
    char *file = write_file("# comment\nSERVICES=s3\nDEBUG=1\nGATEWAY_LISTEN=0.0.0.0:1111\nDATA_DIR=/from/file\n");
    nb__config_t cfg;
    char *err;
    char *argv[] = {"nimbus", "--config", file, "--gateway-listen", "127.0.0.1:3333,[::1]:3334", NULL};
    char *envp[] = {"GATEWAY_LISTEN=127.0.0.1:2222", "SERVICES=s3,SQS", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err);
    cr_assert_eq(cfg.nlisten, 2);
    cr_assert_eq(cfg.listen[0].port, 3333);              /* flag */
    cr_assert_str_eq(cfg.listen[1].host, "::1");
    cr_assert_not(cfg.listen[1].optional); /* given, so it must work */
    cr_assert(nb__config_service_enabled(&cfg, "sqs"));  /* environment beats the file */
    cr_assert_not(nb__config_service_enabled(&cfg, "dynamodb"));
    cr_assert(cfg.debug);                                /* only in the file */
    cr_assert_str_eq(cfg.data_dir, "/from/file");
    nb__config_free(&cfg);
    unlink(file);
    free(file);
}

Test(config, bad_values_name_the_setting_and_what_it_accepts) {
    struct {
        char *env;
        const char *want;
    } cases[] = {
        {"PERSISTENCE=maybe", "PERSISTENCE: invalid value 'maybe': expected 0 or 1"},
        {"GATEWAY_LISTEN=localhost:", "GATEWAY_LISTEN: invalid value 'localhost:': expected comma-separated host:port"},
        {"GATEWAY_LISTEN=localhost:http", "GATEWAY_LISTEN: invalid value 'localhost:http'"},
        {"GATEWAY_LISTEN=127.0.0.1:99999", "GATEWAY_LISTEN: invalid value '127.0.0.1:99999'"},
        {"NIMBUS_MAX_BODY_SIZE=lots", "NIMBUS_MAX_BODY_SIZE: invalid value 'lots': expected a positive number of bytes"},
        {"SERVICES=s3,s q s", "SERVICES: invalid service name 's q s'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb__config_t cfg;
        char *err = NULL;
        char *argv[] = {"nimbus", NULL}, *envp[] = {cases[i].env, NULL};
        cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_ERROR, "%s accepted", cases[i].env);
        cr_assert(strstr(err, cases[i].want) != NULL, "got '%s', want '%s'", err, cases[i].want);
        free(err);
        nb__config_free(&cfg);
    }
}

Test(config, unknown_flag_and_unknown_file_setting_are_errors) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", "--no-such-thing", "1", NULL}, *envp[] = {NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_ERROR);
    cr_assert(strstr(err, "--no-such-thing") != NULL);
    free(err);
    nb__config_free(&cfg);

    /* a name no core setting has may be a plugin's: it is an error once the plugins declared theirs */
    char *file = write_file("SERVISES=s3\n");
    char *argv2[] = {"nimbus", "--config", file, NULL};
    cr_assert_eq(load(&cfg, argv2, envp, &err), NB_CONFIG_OK, "%s", err);
    cr_assert_eq(nb__config_check_unknown(&cfg, NULL, NULL, NULL, NULL, &err), -1);
    cr_assert(strstr(err, "unknown setting 'SERVISES'") != NULL, "%s", err);
    cr_assert(strstr(err, ":1:") != NULL, "names the line: %s", err);
    free(err);
    nb__config_free(&cfg);
    unlink(file);
    free(file);
}

Test(config, bare_boolean_flag_and_set_for_provider_override) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", "--persistence", "--set", "PROVIDER_OVERRIDE_SQS=sqs-v2", "--debug=0", NULL};
    char *envp[] = {"DEBUG=1", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err);
    cr_assert(cfg.persistence);
    cr_assert_not(cfg.debug);
    cr_assert_str_eq(nb__config_get(&cfg, "PROVIDER_OVERRIDE_SQS"), "sqs-v2");
    nb__config_free(&cfg);
}

Test(config, help_lists_every_setting) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    nb__config_print_help(out);
    fclose(out);
    const char *names[] = {"SERVICES", "EAGER_SERVICE_LOADING", "GATEWAY_LISTEN", "PERSISTENCE", "DATA_DIR",
                           "DEBUG", "LOCALSTACK_HOST", "NIMBUS_PLUGIN_PATH", "NIMBUS_MAX_BODY_SIZE",
                           "PROVIDER_OVERRIDE_<SERVICE>"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert(strstr(buf, names[i]) != NULL, "help lacks %s", names[i]);
    free(buf);
}

/* Who may reach Nimbus (core/gateway/origin.c) is read from these. */
Test(config, origin_and_host_settings) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", NULL};
    char *envp[] = {"GATEWAY_LISTEN=127.0.0.1:4566,[::1]:4566", "EXTRA_CORS_ALLOWED_ORIGINS= http://a.test:8080/ ,,null",
                    "NIMBUS_ALLOWED_HOSTS=Nimbus,*.Corp.test", "DISABLE_CORS_CHECKS=yes", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err ? err : "");
    cr_assert(cfg.loopback_only);
    cr_assert_str_eq(cfg.cors_origins[0], "http://a.test:8080");
    cr_assert_str_eq(cfg.cors_origins[1], "null");
    cr_assert_null(cfg.cors_origins[2]);
    cr_assert_str_eq(cfg.allowed_hosts[0], "nimbus");
    cr_assert_str_eq(cfg.allowed_hosts[1], "*.corp.test");
    cr_assert(cfg.disable_cors_checks);
    cr_assert_not(cfg.disable_custom_cors);
    cr_assert_str_eq(nb__config_get(&cfg, "DISABLE_CORS_CHECKS"), "1"); /* what plugins read */
    nb__config_free(&cfg);
    char *envp2[] = {"GATEWAY_LISTEN=127.0.0.1:4566,0.0.0.0:4567", NULL};
    cr_assert_eq(load(&cfg, argv, envp2, &err), NB_CONFIG_OK, "%s", err ? err : "");
    cr_assert_not(cfg.loopback_only);
    cr_assert_null(cfg.cors_origins);
    cr_assert_null(cfg.allowed_hosts);
    nb__config_free(&cfg);
}

Test(config, structured_body_limit_setting) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", NULL}, *unset[] = {NULL}, *set[] = {"NIMBUS_MAX_STRUCTURED_BODY_SIZE=2m", NULL},
         *bad[] = {"NIMBUS_MAX_STRUCTURED_BODY_SIZE=0", NULL};
    cr_assert_eq(load(&cfg, argv, unset, &err), NB_CONFIG_OK);
    cr_assert_eq(cfg.max_structured_bytes, 0, "unset: each service's own limit");
    nb__config_free(&cfg);
    cr_assert_eq(load(&cfg, argv, set, &err), NB_CONFIG_OK);
    cr_assert_eq(cfg.max_structured_bytes, 2u << 20);
    nb__config_free(&cfg);
    cr_assert_eq(load(&cfg, argv, bad, &err), NB_CONFIG_ERROR);
    cr_assert(strstr(err, "NIMBUS_MAX_STRUCTURED_BODY_SIZE") != NULL, "%s", err);
    free(err);
    nb__config_free(&cfg);
}

static bool declares_plugin_x(void *ctx, const char *name) {
    (void)ctx;
    return strcmp(name, "PLUGIN_X") == 0;
}

static bool s3_style(void *ctx, const char *name) {
    (void)ctx;
    return strncmp(name, "S3_", 3) == 0;
}

Test(config, declared_names_pass_and_unknown_environment_names_warn) {
    nb__config_t cfg;
    char *err = NULL;
    char *argv[] = {"nimbus", "--set", "PLUGIN_X=1", NULL};
    char *envp[] = {"NIMBUS_FOO=1", "S3_TYPO=2", "LS_LOG=trace", "PATH=/bin", "NIMBUS_CONFIG=", "PLUGIN_X=2", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err);
    char *text = NULL;
    size_t len = 0;
    FILE *warn = open_memstream(&text, &len);
    cr_assert_eq(nb__config_check_unknown(&cfg, declares_plugin_x, s3_style, NULL, warn, &err), 0, "%s", err);
    fclose(warn);
    cr_assert(strstr(text, "unknown setting NIMBUS_FOO: ignored") != NULL, "%s", text);
    cr_assert(strstr(text, "unknown setting S3_TYPO: ignored") != NULL, "%s", text);
    cr_assert(strstr(text, "LS_LOG") == NULL, "LocalStack's accepted settings pass: %s", text);
    cr_assert(strstr(text, "PATH") == NULL && strstr(text, "NIMBUS_CONFIG") == NULL, "%s", text);
    cr_assert(strstr(text, "PLUGIN_X") == NULL, "%s", text);
    free(text);
    /* --set beats the environment for a plugin's setting too */
    nb__config_source_t src;
    cr_assert_str_eq(nb__config_lookup(&cfg, "PLUGIN_X", &src), "1");
    cr_assert_eq(src, NB_SRC_FLAG);
    cr_assert_eq(nb__config_check_unknown(&cfg, NULL, NULL, NULL, NULL, &err), -1);
    cr_assert(strstr(err, "--set: unknown setting 'PLUGIN_X'") != NULL, "%s", err);
    free(err);
    nb__config_free(&cfg);
}

Test(config, plugin_setting_precedence_environment_over_file) {
    nb__config_t cfg;
    char *err = NULL;
    char *file = write_file("PLUGIN_X=from-file\nPLUGIN_Y=file-only\n");
    char *argv[] = {"nimbus", "--config", file, NULL};
    char *envp[] = {"PLUGIN_X=from-env", NULL};
    cr_assert_eq(load(&cfg, argv, envp, &err), NB_CONFIG_OK, "%s", err);
    nb__config_source_t src;
    cr_assert_str_eq(nb__config_lookup(&cfg, "PLUGIN_X", &src), "from-env");
    cr_assert_eq(src, NB_SRC_ENV);
    cr_assert_str_eq(nb__config_lookup(&cfg, "PLUGIN_Y", &src), "file-only");
    cr_assert_eq(src, NB_SRC_FILE);
    cr_assert_null(nb__config_lookup(&cfg, "PLUGIN_Z", &src));
    nb__config_free(&cfg);
    unlink(file);
    free(file);
}

Test(config, durations) {
    double d;
    cr_assert(nb__config_parse_seconds("3", &d) && d == 3);
    cr_assert(nb__config_parse_seconds("1.5", &d) && d == 1.5);
    cr_assert(nb__config_parse_seconds("500ms", &d) && d == 0.5);
    cr_assert(nb__config_parse_seconds("2m", &d) && d == 120);
    cr_assert(nb__config_parse_seconds("1h", &d) && d == 3600);
    cr_assert(!nb__config_parse_seconds("abc", &d));
    cr_assert(!nb__config_parse_seconds("-1", &d));
    cr_assert(!nb__config_parse_seconds("5 s", &d));
    cr_assert(!nb__config_parse_seconds("", &d));
}

Test(config, client_host_of_a_listen_host) {
    cr_assert_str_eq(nb__config_client_host("0.0.0.0"), "127.0.0.1");
    cr_assert_str_eq(nb__config_client_host("::"), "::1");
    cr_assert_str_eq(nb__config_client_host("127.0.0.1"), "127.0.0.1");
    cr_assert_str_eq(nb__config_client_host("::1"), "::1");
    cr_assert_str_eq(nb__config_client_host("localhost"), "localhost");
}
