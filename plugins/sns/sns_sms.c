/* SMS: account settings (SetSMSAttributes), opt-outs, the sandbox's destination numbers, and
 * Publish to a phone number, recorded for GET /_aws/sns/sms-messages (Nimbus sends no SMS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

static const char *const sms_attr_names[] = {"MonthlySpendLimit",  "DeliveryStatusIAMRole",
                                             "DeliveryStatusSuccessSamplingRate", "DefaultSenderID",
                                             "DefaultSMSType",     "UsageReportS3Bucket"};

bool sns_phone_valid(const char *phone) {
    size_t n = phone ? strlen(phone) : 0;
    return n >= 2 && n <= 16 && phone[0] == '+' && strspn(phone + 1, "0123456789") == n - 1;
}

static json_t *sms_attrs_load(nb_req_t *req) {
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req, "SELECT attrs FROM sms_attrs WHERE account = :account AND "
                                                       "region = :region");
    json_t *attrs = s && sqlite3_step(s) == SQLITE_ROW ? sns_json_column(s, 0) : json_object();
    if (s)
        sqlite3_reset(s);
    return attrs;
}

nb_result_t sns_set_sms_attributes(nb_req_t *req, const json_t *in) {
    json_t *attrs = sms_attrs_load(req);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(in, "attributes"), key, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof sms_attr_names / sizeof sms_attr_names[0]; i++)
            known = known || strcmp(key, sms_attr_names[i]) == 0;
        const char *value = json_string_value(v);
        if (!known || (strcmp(key, "DefaultSMSType") == 0 && strcmp(value, "Promotional") != 0 &&
                       strcmp(value, "Transactional") != 0)) {
            json_decref(attrs);
            return sns_invalid(req, "%s", key);
        }
        json_object_set(attrs, key, v);
    }
    char *text = sns_json_dump(attrs);
    json_decref(attrs);
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req, "INSERT OR REPLACE INTO sms_attrs(attrs, account, region) "
                                                       "VALUES(?1, :account, :region)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, text, -1, free);
    int rc = nb_store_run(s);
    return rc == 0 ? nb_reply_new(req, json_object()) : NB_FAILED(rc);
}

nb_result_t sns_get_sms_attributes(nb_req_t *req, const json_t *in) {
    json_t *attrs = sms_attrs_load(req), *names = json_object_get(in, "attributes");
    if (json_array_size(names) > 0) {
        json_t *picked = json_object(), *n;
        size_t i;
        json_array_foreach(names, i, n) {
            json_t *v = json_object_get(attrs, json_string_value(n));
            if (v)
                json_object_set(picked, json_string_value(n), v);
        }
        json_decref(attrs);
        attrs = picked;
    }
    return nb_reply_new(req, json_pack("{s:o}", "attributes", attrs));
}

static nb_step_t phone_check(nb_req_t *req, const char *phone) {
    if (!sns_phone_valid(phone))
        return nb_stop(sns_invalid(req, "PhoneNumber Reason: input incorrectly formatted"));
    return NB_GO_ON;
}

/* 1 when the row (table opted_out or sms_sandbox) exists for phone, 0 if not, < 0 on failure. */
static int phone_row(nb_req_t *req, const char *sql, const char *phone) {
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req, sql);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return found;
}

static nb_result_t phone_write(nb_req_t *req, const char *sql, const char *phone, json_t *output) {
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req, sql);
    if (s == NULL) {
        json_decref(output);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
    int rc = nb_store_run(s);
    if (rc != 0) {
        json_decref(output);
        return NB_FAILED(rc);
    }
    return output ? nb_reply_new(req, output) : NB_DONE;
}

nb_result_t sns_check_if_phone_number_is_opted_out(nb_req_t *req, const json_t *in) {
    const char *phone = nb_json_str(in, "phoneNumber");
    NB_TRY(phone_check(req, phone));
    int found = phone_row(req, "SELECT 1 FROM opted_out WHERE phone = ?1 AND account = :account AND region = :region",
                          phone);
    if (found < 0)
        return NB_FAILED(found);
    return nb_reply_new(req, json_pack("{s:b}", "isOptedOut", found));
}

nb_result_t sns_opt_in_phone_number(nb_req_t *req, const json_t *in) {
    const char *phone = nb_json_str(in, "phoneNumber");
    NB_TRY(phone_check(req, phone));
    return phone_write(req, "DELETE FROM opted_out WHERE phone = ?1 AND account = :account AND region = :region",
                       phone, json_object());
}

static json_t *opted_out_entry(sqlite3_stmt *s) { return json_string((const char *)sqlite3_column_text(s, 1)); }

static json_t *sandbox_entry(sqlite3_stmt *s) {
    return json_pack("{s:s,s:s}", "PhoneNumber", (const char *)sqlite3_column_text(s, 1), "Status",
                     (const char *)sqlite3_column_text(s, 2));
}

nb_result_t sns_list_phone_numbers_opted_out(nb_req_t *req, const json_t *in) {
    return sns_list(req, in, "nextToken",
                    "SELECT rowid, phone FROM opted_out WHERE rowid > ?1 AND account = :account AND region = :region "
                    "ORDER BY rowid LIMIT 101",
                    "phoneNumbers", SNS_PAGE, opted_out_entry);
}

/* Nimbus does not hold accounts in the SMS sandbox: every number may receive, as after AWS moves
 * an account out of it. The sandbox's list of numbers is kept all the same. */
nb_result_t sns_get_sms_sandbox_account_status(nb_req_t *req, const json_t *in) {
    (void)in;
    return nb_reply_new(req, json_pack("{s:b}", "IsInSandbox", 0));
}

nb_result_t sns_create_sms_sandbox_phone_number(nb_req_t *req, const json_t *in) {
    const char *phone = nb_json_str(in, "PhoneNumber");
    if (!sns_phone_valid(phone))
        return sns_invalid(req, "PhoneNumber");
    return phone_write(req, "INSERT OR IGNORE INTO sms_sandbox(phone, status, account, region) VALUES(?1, "
                            "'Pending', :account, :region)",
                       phone, json_object());
}

static nb_step_t sandbox_number(nb_req_t *req, const char *phone) {
    int found = phone_row(req, "SELECT 1 FROM sms_sandbox WHERE phone = ?1 AND account = :account AND region = :region",
                          phone);
    if (found < 0)
        return nb_stop(NB_FAILED(found));
    if (!found)
        return nb_stop(nb_error(req, "ResourceNotFound", "Can not find the phone number %s", phone));
    return NB_GO_ON;
}

nb_result_t sns_verify_sms_sandbox_phone_number(nb_req_t *req, const json_t *in) {
    const char *phone = nb_json_str(in, "PhoneNumber");
    NB_TRY(sandbox_number(req, phone));
    return phone_write(req, "UPDATE sms_sandbox SET status = 'Verified' WHERE phone = ?1 AND account = :account AND "
                            "region = :region",
                       phone, json_object());
}

nb_result_t sns_delete_sms_sandbox_phone_number(nb_req_t *req, const json_t *in) {
    const char *phone = nb_json_str(in, "PhoneNumber");
    NB_TRY(sandbox_number(req, phone));
    return phone_write(req, "DELETE FROM sms_sandbox WHERE phone = ?1 AND account = :account AND region = :region",
                       phone, json_object());
}

nb_result_t sns_list_sms_sandbox_phone_numbers(nb_req_t *req, const json_t *in) {
    json_int_t max = nb_json_int(in, "MaxResults", SNS_PAGE);
    return sns_list(req, in, "NextToken",
                    "SELECT rowid, phone, status FROM sms_sandbox WHERE rowid > ?1 AND account = :account AND region = "
                    ":region ORDER BY rowid LIMIT 101",
                    "PhoneNumbers", max < 1 || max > SNS_PAGE ? SNS_PAGE : (size_t)max, sandbox_entry);
}

/* No origination numbers: Nimbus owns no phone numbers. */
nb_result_t sns_list_origination_numbers(nb_req_t *req, const json_t *in) {
    (void)in;
    return nb_reply_new(req, json_pack("{s:[]}", "PhoneNumbers"));
}

nb_result_t sns_publish_to_phone(nb_req_t *req, const json_t *in, const char *message_id) {
    const char *phone = nb_json_str(in, "PhoneNumber");
    if (!sns_phone_valid(phone))
        return sns_invalid(req, "PhoneNumber Reason: %s is not valid to publish to", phone);
    json_t *entry = json_pack("{s:s,s:s,s:s,s:s*,s:s*}", "PhoneNumber", phone, "MessageId", message_id, "Message",
                              nb_json_str(in, "Message"), "MessageStructure", nb_json_str(in, "MessageStructure"),
                              "Subject", nb_json_str(in, "Subject"));
    if (json_object_size(json_object_get(in, "MessageAttributes")) > 0)
        json_object_set_new(entry, "MessageAttributes",
                            sns_message_attributes_envelope(json_object_get(in, "MessageAttributes")));
    int rc = sns_record(nb_req_account(req), nb_req_region(req), "sms", phone, entry);
    return rc == 0 ? nb_reply_new(req, json_pack("{s:s}", "MessageId", message_id)) : NB_FAILED(rc);
}
