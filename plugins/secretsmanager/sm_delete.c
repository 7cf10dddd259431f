#include "sm.h"

nb_result_t secretsmanager_delete_secret(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find(req, nb_json_str(input, "SecretId"), &s));
    const json_t *window = json_object_get(input, "RecoveryWindowInDays");
    bool force = nb_json_bool(input, "ForceDeleteWithoutRecovery", 0);
    if (window != NULL && force)
        return nb_error(req, "InvalidParameterException",
                        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    json_int_t days = window ? json_integer_value(window) : 30;
    if (days < 7 || days > 30)
        return nb_error(req, "InvalidParameterException",
                        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
    if (nb_json_str(s.meta, "_primary") != NULL)
        return nb_error(req, "InvalidRequestException",
                        "Operation not permitted on a replica secret. Call must be made in primary secret's region.");
    if (json_array_size(json_object_get(s.meta, "ReplicationStatus")) > 0)
        return nb_error(req, "InvalidRequestException",
                        "You can't delete secret %s that still has replica regions [%zu]. Remove the replicas first.",
                        s.name, json_array_size(json_object_get(s.meta, "ReplicationStatus")));
    double now = nb_now();
    if (force) {
        int rc = sm_remove(s.arn);
        if (rc != 0)
            return NB_FAILED(rc);
        return nb_reply_new(req, json_pack("{s:s,s:s,s:f}", "ARN", s.arn, "Name", s.name, "DeletionDate", now));
    }
    if (s.deleted)
        return nb_error(req, "InvalidRequestException",
                        "You tried to perform the operation on a secret that's currently marked deleted.");
    s.deleted = true;
    s.deletion_date = now + (double)days * sm.day_seconds;
    sm_meta_time(s.meta, "DeletedDate", now);
    int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
    if (rc != 0)
        return NB_FAILED(rc);
    /* AWS answers the day the window ends */
    return nb_reply_new(req, json_pack("{s:s,s:s,s:f}", "ARN", s.arn, "Name", s.name, "DeletionDate",
                                       now + (double)days * 86400.0));
}

nb_result_t secretsmanager_restore_secret(nb_req_t *req, const json_t *input) {
    sm_secret_t s;
    NB_TRY(sm_find(req, nb_json_str(input, "SecretId"), &s));
    if (s.deleted) {
        s.deleted = false;
        s.deletion_date = 0;
        json_object_del(s.meta, "DeletedDate");
        int rc = sm_save(req, nb_req_account(req), nb_req_region(req), &s);
        if (rc != 0)
            return NB_FAILED(rc);
    }
    return sm_reply_arn_name(req, &s);
}

/* The recovery windows that ended: those secrets go for good, with their versions. */
static void sweep(nb_timer_t *timer, void *data) {
    (void)timer, (void)data;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sm.store.db, "SELECT arn FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?1"
                                        " LIMIT 100", -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_double(s, 1, nb_now());
    json_t *arns = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(arns, json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    size_t i;
    json_t *arn;
    json_array_foreach(arns, i, arn) {
        if (sm_remove(json_string_value(arn)) != 0)
            break;
    }
    json_decref(arns);
}

void sm_sweep_start(nb_plugin_t *self) {
    double every = nb_setting_seconds(self, "SECRETSMANAGER_SWEEP_INTERVAL");
    uint64_t ms = every > 0.01 ? (uint64_t)(every * 1000) : 10;
    sm.sweep = nb_timer_start(self, ms, ms, sweep, NULL);
}

void sm_sweep_stop(void) {
    if (sm.sweep != NULL)
        nb_timer_stop(sm.sweep);
    sm.sweep = NULL;
}
