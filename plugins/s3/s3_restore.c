/*
 * Archived objects (GLACIER, DEEP_ARCHIVE): they cannot be read or copied until a
 * RestoreObject completes. The restore's completion and expiry times live in the
 * object's attrs (_restore_ready, _restore_expiry), and every read compares them with
 * the clock: a restore completes on time across restarts (PERSISTENCE=1) with no timer
 * to re-arm, and an expired restore makes the object archived again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_plugin.h"

#define DAY 86400.0

static bool archived_class(const json_t *attrs) {
    const char *sc = nb_json_str(attrs, "StorageClass");
    return sc && (strcmp(sc, "GLACIER") == 0 || strcmp(sc, "DEEP_ARCHIVE") == 0);
}

int s3_restore_state(const json_t *attrs) {
    if (!archived_class(attrs))
        return S3_RESTORE_NONE;
    const json_t *ready = json_object_get(attrs, "_restore_ready");
    const json_t *expiry = json_object_get(attrs, "_restore_expiry");
    double now = nb_now();
    if (!json_is_number(ready) || (json_is_number(expiry) && now >= json_number_value(expiry)))
        return S3_RESTORE_ARCHIVED;
    return now < json_number_value(ready) ? S3_RESTORE_ONGOING : S3_RESTORE_DONE;
}

nb_step_t s3_check_readable(nb_req_t *req, const s3_object_t *o, bool copy_source) {
    int st = s3_restore_state(o->attrs);
    if (st == S3_RESTORE_NONE || st == S3_RESTORE_DONE)
        return NB_GO_ON;
    return nb_stop(nb_error_fields(req, "InvalidObjectState",
                           json_pack("{s:s}", "StorageClass", nb_json_str(o->attrs, "StorageClass")),
                           copy_source ? "Operation is not valid for the source object's storage class"
                                       : "The operation is not valid for the object's storage class"));
}

void s3_restore_output(json_t *out, const json_t *attrs) {
    int st = s3_restore_state(attrs);
    if (st == S3_RESTORE_ONGOING) {
        json_object_set_new(out, "Restore", json_string("ongoing-request=\"true\""));
    } else if (st == S3_RESTORE_DONE) {
        char date[NB_TIME_SIZE], value[128];
        nb_time_format(nb_json_num(attrs, "_restore_expiry", 0), NB_TIME_RFC1123, date, sizeof date);
        snprintf(value, sizeof value, "ongoing-request=\"false\", expiry-date=\"%s\"", date);
        json_object_set_new(out, "Restore", json_string(value));
    }
}

void s3_restore_drop(json_t *attrs) {
    json_object_del(attrs, "_restore_ready");
    json_object_del(attrs, "_restore_expiry");
}

/* Seconds a restore takes: S3_RESTORE_DELAY (AWS takes minutes to hours; tests want seconds). */
static double restore_delay(void) { return s3_setting_seconds("S3_RESTORE_DELAY", 3); }

/* A restored copy expires at the midnight (UTC) after its Days have passed, as S3 rounds it. */
static double expiry_after(double ready, json_int_t days) {
    double at = ready + (double)days * DAY;
    return (double)((long long)(at / DAY) + 1) * DAY;
}

nb_result_t s3_restore_object(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    s3_object_t o;
    NB_TRY(s3_find_version(req, &b, nb_json_str(in, "Key"), nb_json_str(in, "VersionId"), &o));
    const json_t *rr = json_object_get(in, "RestoreRequest");
    const json_t *days = json_object_get(rr, "Days");
    int st = s3_restore_state(o.attrs);
    if (st == S3_RESTORE_NONE) {
        s3_object_clear(&o);
        return nb_error_fields(req, "InvalidObjectState", json_pack("{s:s}", "StorageClass", "STANDARD"),
                               "Restore is not allowed for the object's current storage class");
    }
    if (st == S3_RESTORE_ONGOING) {
        s3_object_clear(&o);
        return nb_error(req, "RestoreAlreadyInProgress", "Object restore is already in progress");
    }
    if (!json_is_integer(days) || json_integer_value(days) < 1) {
        s3_object_clear(&o);
        return nb_error(req, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against our published schema");
    }
    int status = 202;
    double ready = nb_now() + restore_delay();
    if (st == S3_RESTORE_DONE) { /* a restored copy only gets its expiry moved */
        ready = json_number_value(json_object_get(o.attrs, "_restore_ready"));
        status = 200;
    }
    json_object_set_new(o.attrs, "_restore_ready", json_real(ready));
    json_object_set_new(o.attrs, "_restore_expiry", json_real(expiry_after(status == 200 ? nb_now() : ready,
                                                                           json_integer_value(days))));
    int rc = s3_object_update_attrs(&o);
    s3_object_clear(&o);
    if (rc != 0)
        return NB_FAILED(NB_ESTORE);
    nb_reply_status(req, status);
    return nb_reply_new(req, json_object());
}
