/* Service settings (Get/Update/ResetServiceSetting): AWS's settings with their defaults; an
 * update is kept per account and region. /ssm/parameter-store/default-parameter-tier is the tier
 * PutParameter uses when none is given. */
#include <stdio.h>

#include "ssm.h"

typedef struct setting {
    const char *id, *dflt;
    const char *const *allowed; /* NULL: any value */
} setting_t;

static const char *const tiers[] = {"Standard", "Advanced", "Intelligent-Tiering", NULL};
static const char *const booleans[] = {"true", "false", NULL};
static const char *const activation[] = {"standard", "advanced", NULL};
static const char *const log_dest[] = {"none", "CloudWatch", NULL};
static const char *const sharing[] = {"Enable", "Disable", NULL};
static const char *const opscenter[] = {"Enabled", "Disabled", NULL};

static const setting_t settings[] = {
    {"/ssm/parameter-store/default-parameter-tier", "Standard", tiers},
    {"/ssm/parameter-store/high-throughput-enabled", "false", booleans},
    {"/ssm/managed-instance/activation-tier", "standard", activation},
    {"/ssm/managed-instance/default-ec2-instance-management-role", "", NULL},
    {"/ssm/automation/customer-script-log-destination", "none", log_dest},
    {"/ssm/automation/customer-script-log-group-name", "", NULL},
    {"/ssm/documents/console/public-sharing-permission", "Enable", sharing},
    {"/ssm/opsinsights/opscenter", "Disabled", opscenter},
};

/* The setting an id names: "/ssm/..." or its ARN (arn:aws:ssm:REGION:ACCOUNT:servicesetting/ssm/...). */
static const setting_t *find(const char *id) {
    const char *p = strstr(id, ":servicesetting/");
    if (strncmp(id, "arn:", 4) == 0 && p != NULL)
        id = p + strlen(":servicesetting");
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (strcmp(settings[i].id, id) == 0)
            return &settings[i];
    return NULL;
}

static nb_step_t lookup(nb_req_t *req, const json_t *in, const setting_t **out) {
    const char *id = nb_json_str(in, "SettingId");
    *out = find(id);
    if (*out == NULL)
        return nb_stop(nb_error(req, "ServiceSettingNotFound",
                                "No setting found for the setting ID %s. Check the setting ID and try again.", id));
    return NB_GO_ON;
}

static nb_result_t answer(nb_req_t *req, const setting_t *s) {
    sqlite3_stmt *st = nb_store_scoped(&ssm.store, req,
                                       "SELECT value, user, modified FROM settings WHERE id = ?1"
                                       " AND account = :account AND region = :region");
    if (st == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    const char *value = s->dflt, *user = "System";
    double modified = 0;
    int customized = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        value = nb_req_strdup(req, (const char *)sqlite3_column_text(st, 0));
        user = sqlite3_column_text(st, 1) ? nb_req_strdup(req, (const char *)sqlite3_column_text(st, 1)) : user;
        modified = sqlite3_column_double(st, 2);
        customized = 1;
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "SettingId", s->id, "SettingValue", value, "LastModifiedUser",
                            user, "ARN",
                            nb_req_printf(req, "arn:%s:ssm:%s:%s:servicesetting%s", nb_partition(nb_req_region(req)),
                                          nb_req_region(req), nb_req_account(req), s->id),
                            "Status", customized ? "Customized" : "Default");
    if (customized)
        json_object_set_new(out, "LastModifiedDate", json_real(modified));
    return nb_reply_new(req, json_pack("{s:o}", "ServiceSetting", out));
}

const char *ssm_setting_value(nb_req_t *req, const char *id) {
    const setting_t *s = find(id);
    sqlite3_stmt *st = nb_store_scoped(&ssm.store, req,
                                       "SELECT value FROM settings WHERE id = ?1 AND account = :account"
                                       " AND region = :region");
    if (st == NULL)
        return s ? s->dflt : NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    const char *value = s ? s->dflt : NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        value = nb_req_strdup(req, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return value;
}

nb_result_t ssm_get_service_setting(nb_req_t *req, const json_t *in) {
    const setting_t *s;
    NB_TRY(lookup(req, in, &s));
    return answer(req, s);
}

nb_result_t ssm_update_service_setting(nb_req_t *req, const json_t *in) {
    const setting_t *s;
    NB_TRY(lookup(req, in, &s));
    const char *value = nb_json_str(in, "SettingValue");
    if (s->allowed != NULL) {
        int ok = 0;
        for (const char *const *a = s->allowed; *a; a++)
            ok |= strcmp(*a, value) == 0;
        if (!ok)
            return nb_error(req, "ValidationException", "The value %s is not valid for the setting %s.", value,
                            s->id);
    }
    sqlite3_stmt *st = nb_store_scoped(&ssm.store, req,
                                       "INSERT OR REPLACE INTO settings(id, value, user, modified, account, region)"
                                       " VALUES(?1, ?2, ?3, ?4, :account, :region)");
    if (st == NULL)
        return NB_FAILED(NB_ESTORE);
    const char *user = nb_req_principal_arn(req);
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, nb_now());
    int rc = nb_store_run(st);
    return rc != 0 ? NB_FAILED(rc) : nb_reply_new(req, json_object());
}

nb_result_t ssm_reset_service_setting(nb_req_t *req, const json_t *in) {
    const setting_t *s;
    NB_TRY(lookup(req, in, &s));
    sqlite3_stmt *st = nb_store_scoped(&ssm.store, req,
                                       "DELETE FROM settings WHERE id = ?1 AND account = :account AND region = :region");
    if (st == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    int rc = nb_store_run(st);
    return rc != 0 ? NB_FAILED(rc) : answer(req, s);
}
