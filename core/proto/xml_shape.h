/*
 * Shape-driven XML bodies shared by query, ec2 and rest-xml: values to
 * elements (locationName, xmlNamespace, xmlAttribute, flattened lists and
 * maps) and elements back to values. Naming follows what botocore's XML
 * parser looks for, so any SDK built on the same models reads it.
 */
#ifndef NB_PROTO_XML_SHAPE_H
#define NB_PROTO_XML_SHAPE_H

#include <jansson.h>

#include "proto/proto.h"
#include "proto/xml.h"
#include "spec/spec.h"
#include "util/codec.h"

typedef struct nb__xml_enc {
    const nb__spec_t *spec;
    nb__xml_writer_t *w;
    nb__time_format_t ts_format; /* body timestamps without a timestampFormat */
    int depth;
} nb__xml_enc_t;

/* Writes the members of structure value (attributes for xmlAttribute members
 * first, so call right after nb__xml_start of the enclosing element). Members
 * with a "location" (header, uri, ...) are skipped. */
void nb__xml_write_members(nb__xml_enc_t *e, const json_t *shape, const json_t *value);
/* Writes value as the element(s) named name: one element, or one per entry
 * of a flattened list or map. ref carries the member's traits (may be NULL). */
void nb__xml_write_value(nb__xml_enc_t *e, const json_t *ref, const json_t *shape, const char *name,
                         const json_t *value);
/* The element name of a member: for a flattened list the list member's
 * locationName, else locationName (ref, then shape), else member_name. */
const char *nb__xml_member_name(const nb__spec_t *spec, const json_t *ref, const json_t *shape,
                                const char *member_name);

/* Reads node as a value of the shape (a new reference in *out). Members
 * without a "location" are read from child elements or attributes.
 * NB_EINVAL on a value that does not fit; *why then names the problem. */
int nb__xml_read_value(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const nb__xml_node_t *node,
                       json_t **out, const char **why);
/* Reads the members of a structure from node's children and attributes. */
int nb__xml_read_structure(const nb__spec_t *spec, const json_t *shape, const nb__xml_node_t *node, json_t **out,
                           const char **why);

/* metadata.xmlNamespace of the service (string or {"uri"}), NULL if none. */
const char *nb__xml_service_namespace(const nb__spec_t *spec);

/* <OpResponse xmlns="the service's namespace">: the root query and ec2 answer under. */
void nb__xml_start_op_response(nb__xml_writer_t *w, const nb__spec_t *spec, const nb__spec_op_t *op);

/* xmlns="uri", or xmlns:prefix="uri" with a prefix, on the element just started; nothing without a uri. */
void nb__xml_namespace_attribute(nb__xml_writer_t *w, const char *uri, const char *prefix);

/* The error shape for an error code: among the operation's errors (by shape
 * name or error.code), else any exception shape of the spec. NULL if none. */
const json_t *nb__xml_error_shape(const nb__spec_t *spec, const nb__spec_op_t *op, const char *code);
/* The code to put on the wire: the error shape's error.code when err->code
 * names a shape that has one ("CustomCodeError" -> "Customized"). */
const char *nb__xml_error_code(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err);
/* Writes <Message> and the error's extra fields (typed by its error shape
 * when known) into the open error element. */
void nb__xml_write_error_fields(nb__xml_enc_t *e, const nb__spec_op_t *op, const nb__aws_error_t *err);

#endif
