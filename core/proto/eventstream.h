/*
 * AWS event-stream framing (application/vnd.amazon.eventstream), used for
 * outputs with an eventstream member: each message is a prelude (total and
 * header lengths, CRC32), typed headers, the payload and a CRC32 of it all.
 */
#ifndef NB_PROTO_EVENTSTREAM_H
#define NB_PROTO_EVENTSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "nimbus/stream.h"
#include "spec/spec.h"
#include "util/buf.h"

#define NB_EVENTSTREAM_CONTENT_TYPE "application/vnd.amazon.eventstream"

/* Header types and headers are the ABI's (nimbus/stream.h): plugins write messages through
 * nb_stream_write_message, framed here. */
typedef nb_event_type_t nb__es_type_t;
typedef nb_event_header_t nb__es_header_t;

/* Appends one framed message to out. 0 or NB_EINVAL (a name or value too long). */
int nb__es_message(nb__buf_t *out, const nb__es_header_t *headers, size_t nheaders, const void *payload,
                   size_t len);

/* Serializes a structure payload of an event (value of shape) into out; ref is
 * the eventpayload member's reference, or the event member's when the event's
 * members themselves are the payload (never NULL). */
typedef int (*nb__es_struct_fn)(void *ud, const nb__spec_t *spec, const json_t *ref, const json_t *shape,
                                const json_t *value, nb__buf_t *out);

/* Appends one message per element of events (an array of {"EventName": {...}},
 * the value of an eventstream member of shape stream_shape): headers
 * :message-type event, :event-type, :content-type, plus the event's
 * eventheader members; the payload is the eventpayload member (blob or string
 * raw, structure through fn) or else the event's other members through fn.
 * struct_content_type names what fn writes ("application/json", "text/xml"). */
int nb__es_serialize_events(const nb__spec_t *spec, const json_t *stream_shape, const json_t *events,
                            nb__es_struct_fn fn, void *ud, const char *struct_content_type, nb__buf_t *out);

/* Appends the initial-response event of the json protocol (payload already encoded). */
int nb__es_initial_response(nb__buf_t *out, const char *content_type, const void *payload, size_t len);

/* The member of structure whose shape is an eventstream; false if none. */
struct nb__member;
bool nb__es_member(const nb__spec_t *spec, const json_t *structure, struct nb__member *m);

#endif
