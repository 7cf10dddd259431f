/*
 * nimbus/settings.h - the settings a plugin declares (ABI 1.6).
 *
 * A plugin lists every setting it reads in its descriptor (`.settings`, an array ended by
 * an entry whose name is NULL) and reads them with nb_setting_string / _int / _bool /
 * _seconds (nimbus/plugin.h). The core takes each value from, strongest first, a flag
 * (`--set NAME=VALUE`), the environment, the config file (--config / NIMBUS_CONFIG), the
 * declared default; `nimbus --help` prints every declared setting with its help and
 * `nimbus config` every value and where it came from.
 *
 * Values are checked against their type once, at start, before the plugin's init runs:
 * a bad value of a setting of an enabled service's provider stops the server with a
 * message naming the setting and what it accepts (exit code 2), so the getters never fail.
 *
 *     static const nb_setting_t s3_settings[] = {
 *         {"S3_RESTORE_DELAY", NB_SETTING_DURATION, "3", "Seconds a RestoreObject takes"},
 *         {NULL, 0, NULL, NULL}
 *     };
 *     NB_PLUGIN_DEFINE(..., .settings = s3_settings);
 *     double delay = nb_setting_seconds(self, "S3_RESTORE_DELAY");
 *
 * Name settings like LocalStack does: the service's name in capitals, then what it sets
 * (S3_RESTORE_DELAY, SQS_DELAY_PURGE_RETRY). The strings are the plugin's own: they must
 * stay valid while it is loaded (string literals).
 */
#ifndef NIMBUS_SETTINGS_H
#define NIMBUS_SETTINGS_H

typedef enum nb_setting_type {
    NB_SETTING_STRING,   /* any text */
    NB_SETTING_INT,      /* a decimal integer, may be negative: nb_setting_int */
    NB_SETTING_BOOL,     /* 1/0, true/false, yes/no, on/off: nb_setting_bool */
    NB_SETTING_DURATION, /* seconds, fractional allowed, or with a unit: 500ms, 2s, 5m, 1h: nb_setting_seconds */
    NB_SETTING_BYTES,    /* a number of bytes, suffix k, m or g allowed: nb_setting_int */
} nb_setting_type_t;

typedef struct nb_setting {
    const char *name;       /* "S3_RESTORE_DELAY": the environment variable and config file key */
    nb_setting_type_t type;
    const char *def;        /* the default as it would be written ("3", "1m"); NULL: none (unset) */
    const char *help;       /* one line for nimbus --help */
} nb_setting_t;

#endif /* NIMBUS_SETTINGS_H */
