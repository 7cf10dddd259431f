/* Quirk table of core/config: LocalStack's setting names that name a service (quirks.c). */
#ifndef NB_CONFIG_QUIRKS_H
#define NB_CONFIG_QUIRKS_H

/* The name of the setting that hands services' own CORS rules back to the default headers. */
extern const char nb__setting_disable_custom_cors[];
extern const char nb__flag_disable_custom_cors[];

/* The setting that turns the check of S3's presigned URLs off (1, the default) or on (0). */
extern const char nb__setting_skip_presign_check[];
extern const char nb__flag_skip_presign_check[];

/* The setting that verifies the signatures of issued access keys (gateway/sigcheck.c). */
extern const char nb__setting_check_issued_keys[];
extern const char nb__flag_check_issued_keys[];

/* nb__config_ignored (config.h) reads its table of LocalStack settings accepted and ignored. */

#endif
