/*
 * XML for the XML-family protocols (query, ec2, rest-xml): a small DOM read
 * with expat, and a writer with escaping.
 *
 * The reader keeps qualified names as written ("xsi:type") and exposes the
 * local part for matching: AWS parsers ignore element namespaces, so nothing
 * here resolves prefixes. Documents with a DTD are rejected outright (no
 * entity expansion, no billion laughs), and depth and node count are bounded.
 */
#ifndef NB_PROTO_XML_H
#define NB_PROTO_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef struct nb__xml_node nb__xml_node_t;

struct nb__xml_node {
    char *name;          /* qualified name as written */
    const char *local;   /* local part of name (after the prefix), inside name */
    char **attrs;        /* name, value, name, value, ..., NULL */
    char *text;          /* concatenated character data of this element, never NULL */
    size_t text_len, text_cap;
    nb__xml_node_t *parent, *first, *last, *next;
};

#define NB_XML_MAX_DEPTH 64
#define NB_XML_MAX_NODES 1000000

/* Parses a whole document. NULL on malformed XML, a DTD, or a limit exceeded;
 * *err (if not NULL) then gets a static reason. */
nb__xml_node_t *nb__xml_parse(const char *data, size_t len, const char **err);
void nb__xml_free(nb__xml_node_t *root);

/* The attribute value of that qualified name; else, when name has no prefix or
 * no exact match exists, the first attribute whose local part matches. */
const char *nb__xml_attr(const nb__xml_node_t *n, const char *name);
/* The first child whose local name is local; NULL if none. */
nb__xml_node_t *nb__xml_child(const nb__xml_node_t *n, const char *local);
/* The local part of a qualified name. */
const char *nb__xml_local(const char *qname);
/* True if the element has child elements. */
static inline bool nb__xml_has_children(const nb__xml_node_t *n) { return n->first != NULL; }

/* A writer appending to a buffer. Tags stay open for attributes until content
 * or the end comes; an element with no content is written self-closed. */
typedef struct nb__xml_writer {
    nb__buf_t *out;
    nb__buf_t names; /* the open elements' names, each NUL-terminated, innermost last */
    size_t *stack;   /* offset of each open element's name in names */
    size_t depth, cap;
    bool tag_open; /* "<name attr=..." written, ">" not yet */
    int err;       /* first allocation failure, sticky */
} nb__xml_writer_t;

void nb__xml_writer_init(nb__xml_writer_t *w, nb__buf_t *out);
/* Writes the XML declaration. */
void nb__xml_decl(nb__xml_writer_t *w);
void nb__xml_start(nb__xml_writer_t *w, const char *name);
/* Only valid right after nb__xml_start or another nb__xml_attr. */
void nb__xml_attribute(nb__xml_writer_t *w, const char *name, const char *value);
void nb__xml_text(nb__xml_writer_t *w, const char *text, size_t len);
/* Closes the innermost element (self-closed if it got no content). */
void nb__xml_end(nb__xml_writer_t *w);
/* Closes every open element; returns w->err (0 or NB_ENOMEM). Frees the stack. */
int nb__xml_writer_finish(nb__xml_writer_t *w);
/* Shorthand: <name>text</name>. */
void nb__xml_element(nb__xml_writer_t *w, const char *name, const char *text);

/* Escapes text for element content (attr false) or an attribute value. */
void nb__xml_escape(nb__buf_t *out, const char *text, size_t len, bool attr);

#endif
