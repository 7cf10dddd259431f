#include "proto/eventstream.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

#include "nimbus/errno.h"
#include "proto/shape.h"

static void put_be(nb__buf_t *b, uint64_t v, int bytes) {
    unsigned char tmp[8];
    for (int i = 0; i < bytes; i++)
        tmp[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    nb__buf_append(b, tmp, (size_t)bytes);
}

static uint32_t crc(const void *data, size_t len) {
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)data, (uInt)len);
}

int nb__es_message(nb__buf_t *out, const nb__es_header_t *headers, size_t nheaders, const void *payload,
                   size_t len) {
    nb__buf_t h = NB__BUF_INIT;
    for (size_t i = 0; i < nheaders; i++) {
        const nb__es_header_t *x = &headers[i];
        size_t nl = strlen(x->name);
        if (nl > 255 || ((x->type == NB_EVENT_STRING || x->type == NB_EVENT_BYTES) && x->len > 32767)) {
            nb__buf_free(&h);
            return NB_EINVAL;
        }
        put_be(&h, nl, 1);
        nb__buf_append(&h, x->name, nl);
        put_be(&h, x->type, 1);
        switch (x->type) {
        case NB_EVENT_TRUE:
        case NB_EVENT_FALSE: break;
        case NB_EVENT_BYTE: put_be(&h, (uint64_t)x->num, 1); break;
        case NB_EVENT_SHORT: put_be(&h, (uint64_t)x->num, 2); break;
        case NB_EVENT_INT: put_be(&h, (uint64_t)x->num, 4); break;
        case NB_EVENT_LONG:
        case NB_EVENT_TIMESTAMP: put_be(&h, (uint64_t)x->num, 8); break;
        case NB_EVENT_UUID: nb__buf_append(&h, x->data, 16); break;
        case NB_EVENT_BYTES:
        case NB_EVENT_STRING:
            put_be(&h, x->len, 2);
            nb__buf_append(&h, x->data, x->len);
            break;
        }
    }
    size_t total = 12 + h.len + len + 4;
    size_t start = out->len;
    put_be(out, total, 4);
    put_be(out, h.len, 4);
    put_be(out, crc(out->data + start, 8), 4);
    if (h.len)
        nb__buf_append(out, h.data, h.len);
    if (len)
        nb__buf_append(out, payload, len);
    put_be(out, crc(out->data + start, out->len - start), 4);
    nb__buf_free(&h);
    return 0;
}

static nb__es_header_t str_header(const char *name, const char *value) {
    return (nb__es_header_t){.name = name, .type = NB_EVENT_STRING, .data = value, .len = strlen(value)};
}

int nb__es_initial_response(nb__buf_t *out, const char *content_type, const void *payload, size_t len) {
    nb__es_header_t hs[3] = {str_header(":message-type", "event"), str_header(":event-type", "initial-response"),
                             str_header(":content-type", content_type)};
    return nb__es_message(out, hs, 3, payload, len);
}

bool nb__es_member(const nb__spec_t *spec, const json_t *structure, nb__member_t *m) {
    nb__member_iter_t it;
    for (nb__member_iter_init(&it, spec, structure); nb__member_next(&it, m);)
        if (nb__member_eventstream(m))
            return true;
    return false;
}

/* One event: {"EventName": {members}}. */
static int one_event(const nb__spec_t *spec, const json_t *stream_shape, const json_t *event, nb__es_struct_fn fn,
                     void *ud, const char *struct_ct, nb__buf_t *out) {
    if (!json_is_object(event) || json_object_size(event) != 1)
        return NB_EINVAL;
    const char *name = json_object_iter_key(json_object_iter((json_t *)event));
    const json_t *value = json_object_iter_value(json_object_iter((json_t *)event));
    nb__member_t em;
    if (!nb__member_get(spec, stream_shape, name, &em))
        return NB_EINVAL;
    nb__es_header_t hs[32];
    size_t n = 0;
    hs[n++] = str_header(":message-type", "event");
    hs[n++] = str_header(":event-type", name);
    size_t ct_slot = n++;
    hs[ct_slot] = str_header(":content-type", struct_ct);
    nb__buf_t payload = NB__BUF_INIT;
    json_t *rest = json_object(); /* members that are neither headers nor the payload */
    bool has_payload = false;
    int rc = 0;
    nb__member_iter_t it;
    nb__member_t m;
    for (nb__member_iter_init(&it, spec, em.shape); rc == 0 && nb__member_next(&it, &m);) {
        const json_t *v = json_object_get(value, m.name);
        if (nb__trait_bool(m.ref, NULL, "eventpayload")) {
            has_payload = true;
            if (v == NULL || json_is_null(v))
                continue;
            if (m.kind == NB_SHAPE_BLOB || m.kind == NB_SHAPE_STRING) {
                nb__buf_append(&payload, json_string_value(v), json_string_length(v));
                hs[ct_slot] = str_header(":content-type", m.kind == NB_SHAPE_BLOB ? "application/octet-stream"
                                                                                   : "text/plain");
            } else {
                rc = fn(ud, spec, m.ref, m.shape, v, &payload);
            }
        } else if (nb__trait_bool(m.ref, NULL, "eventheader")) {
            if (v == NULL || json_is_null(v) || n >= sizeof hs / sizeof *hs)
                continue;
            nb__es_header_t h = {.name = nb__member_location_name(&m)};
            switch (m.kind) {
            case NB_SHAPE_BOOLEAN: h.type = json_is_true(v) ? NB_EVENT_TRUE : NB_EVENT_FALSE; break;
            case NB_SHAPE_INTEGER:
                h.type = strcmp(nb__shape_type(m.shape), "byte") == 0    ? NB_EVENT_BYTE
                         : strcmp(nb__shape_type(m.shape), "short") == 0 ? NB_EVENT_SHORT
                                                                          : NB_EVENT_INT;
                h.num = json_integer_value(v);
                break;
            case NB_SHAPE_LONG: h.type = NB_EVENT_LONG, h.num = json_integer_value(v); break;
            case NB_SHAPE_TIMESTAMP: h.type = NB_EVENT_TIMESTAMP, h.num = (int64_t)llround(json_number_value(v) * 1000); break;
            case NB_SHAPE_BLOB:
                h.type = NB_EVENT_BYTES, h.data = json_string_value(v), h.len = json_string_length(v);
                break;
            default:
                if (!json_is_string(v))
                    continue;
                h.type = NB_EVENT_STRING, h.data = json_string_value(v), h.len = json_string_length(v);
                break;
            }
            hs[n++] = h;
        } else if (v) {
            json_object_set(rest, m.name, (json_t *)v);
        }
    }
    if (rc == 0 && !has_payload)
        rc = fn(ud, spec, em.ref, em.shape, rest, &payload);
    if (rc == 0)
        rc = nb__es_message(out, hs, n, payload.data, payload.len);
    json_decref(rest);
    nb__buf_free(&payload);
    return rc;
}

int nb__es_serialize_events(const nb__spec_t *spec, const json_t *stream_shape, const json_t *events,
                            nb__es_struct_fn fn, void *ud, const char *struct_content_type, nb__buf_t *out) {
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        int rc = one_event(spec, stream_shape, e, fn, ud, struct_content_type, out);
        if (rc)
            return rc;
    }
    return 0;
}
