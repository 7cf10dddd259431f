/*
 * S3's object events on the core's event bus (nimbus/events.h): every object created or
 * removed is published as "s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete", ... for the
 * plugins of the same process (an EventBridge or a Lambda trigger), whatever the bucket's
 * notification configuration says. The detail has the members of EventBridge's S3 events
 * ("Object Created" / "Object Deleted"). The core delivers them once the request committed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "s3_plugin.h"

void s3_event_sequencer(char out[17]) {
    static unsigned long long seq;
    snprintf(out, 17, "%016llX", (unsigned long long)time(NULL) << 24 | (++seq & 0xffffff));
}

void s3_etag_unquoted(const char *etag, char out[64]) {
    snprintf(out, 64, "%s", etag[0] == '"' ? etag + 1 : etag);
    size_t n = strlen(out);
    if (n && out[n - 1] == '"')
        out[n - 1] = '\0';
}

void s3_events_publish(nb_req_t *req, const s3_bucket_t *b, const char *event, const char *key, const s3_object_t *o,
                       const char *deletion_type) {
    if (!NB_API_HAS(event_publish)) /* a core before ABI 1.6 has no bus */
        return;
    char name[96], sequencer[17];
    snprintf(name, sizeof name, "s3:%s", event);
    if (NB_API_HAS(event_subscribed) && !nb_event_subscribed(name))
        return; /* nobody would get it (a 1.8 core tells): no detail built for nothing */
    s3_event_sequencer(sequencer);
    json_t *object = json_pack("{s:s,s:s}", "key", key, "sequencer", sequencer);
    if (object && o && deletion_type == NULL) {
        json_object_set_new(object, "size", json_integer(o->size));
        if (o->etag) {
            char etag[64];
            s3_etag_unquoted(o->etag, etag);
            json_object_set_new(object, "etag", json_string(etag));
        }
    }
    if (object && o && o->version_id && strcmp(o->version_id, "null") != 0)
        json_object_set_new(object, "version-id", json_string(o->version_id));
    json_t *detail = json_pack("{s:s,s:{s:s},s:o,s:s,s:s,s:s,s:s}", "version", "0", "bucket", "name", b->name, "object",
                               object, "request-id", nb_req_id(req), "requester", nb_req_account(req),
                               "source-ip-address", "127.0.0.1", "reason", nb_req_operation(req));
    if (detail && deletion_type)
        json_object_set_new(detail, "deletion-type", json_string(deletion_type));
    int rc = detail ? nb_event_publish(s3_self, req, name, b->account, b->region, detail) : NB_ENOMEM;
    if (rc != 0)
        nb_log(s3_self, NB_LOG_WARN, "event %s of %s/%s not published: %s", name, b->name, key, nb_strerror(rc));
}
