/*
 * Quirk table: LocalStack's setting names that name a service. Nimbus keeps LocalStack's
 * names so that an existing setup works unchanged; these are the only places in core/config/
 * that name a service (tests/e2e/test_core_names_no_service.py keeps it so). A plugin's own
 * settings are declared by the plugin (nimbus/settings.h), never here.
 */
#include "config/quirks.h"
#include "config/config.h"

#include <stddef.h>
#include <string.h>

/* Hands the CORS answer of every service that answers its own preflights (S3's bucket CORS
 * rules) back to the default headers. LocalStack's name. */
const char nb__setting_disable_custom_cors[] = "DISABLE_CUSTOM_CORS_S3";
const char nb__flag_disable_custom_cors[] = "disable-custom-cors-s3"; /* its command-line flag */

/* 0: presigned S3 URLs have their signature checked (core/gateway/presign.c), as
 * LocalStack checks them; 1 (its default): not. LocalStack's name. */
const char nb__setting_skip_presign_check[] = "S3_SKIP_SIGNATURE_VALIDATION";
const char nb__flag_skip_presign_check[] = "s3-skip-signature-validation";

/* 1: requests signed with access keys the services issued have their signatures verified
 * (core/gateway/sigcheck.c); 0 (the default): not. LocalStack's name. */
const char nb__setting_check_issued_keys[] = "ENFORCE_IAM";
const char nb__flag_check_issued_keys[] = "enforce-iam";

/* LocalStack settings Nimbus accepts and ignores: what they configure does not exist here
 * (Docker, DNS, licences, snapshots) or Nimbus always does what they select (HTTPS is
 * always served beside HTTP).
 * docs/settings.md lists them with the reason. */
static const char *const ignored_settings[] = {
    "LOCALSTACK_AUTH_TOKEN", "LOCALSTACK_API_KEY", "DNS_ADDRESS",
    "DISABLE_EVENTS", "SKIP_INFRA_DOWNLOADS", "SKIP_SSL_CERT_DOWNLOAD", "USE_SSL", "EDGE_PORT",
    "HOSTNAME_EXTERNAL", "ALLOW_NONSTANDARD_REGIONS", "SQS_DISABLE_CLOUDWATCH_METRICS",
    "S3_SKIP_KMS_KEY_VALIDATION", "SNAPSHOT_SAVE_STRATEGY",
    "SNAPSHOT_LOAD_STRATEGY", "SNAPSHOT_FLUSH_INTERVAL", "MAIN_CONTAINER_NAME", "GATEWAY_SERVER",
};

bool nb__config_ignored(const char *name) {
    for (size_t i = 0; i < sizeof ignored_settings / sizeof ignored_settings[0]; i++)
        if (strcmp(ignored_settings[i], name) == 0)
            return true;
    return false;
}

/* Ignored settings whose other values select what Nimbus does not do: set to another value, they
 * get a warning at start rather than passing quietly. */
static const struct {
    const char *name, *as; /* Nimbus behaves as with `as` */
    const char *missing;   /* what the other values would select */
} ignored_only_as[] = {
    {NULL, NULL, NULL}, /* none today: S3_SKIP_SIGNATURE_VALIDATION=0 is supported now */
};

const char *nb__config_ignored_as(const char *name, const char **missing) {
    for (size_t i = 0; ignored_only_as[i].name; i++)
        if (strcmp(ignored_only_as[i].name, name) == 0) {
            *missing = ignored_only_as[i].missing;
            return ignored_only_as[i].as;
        }
    return NULL;
}
