#include "proto/xml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "nimbus/errno.h"

typedef struct parse_state {
    XML_Parser parser;
    nb__xml_node_t *root, *cur;
    size_t depth, nodes;
    const char *err;
} parse_state_t;

const char *nb__xml_local(const char *qname) {
    const char *colon = strrchr(qname, ':');
    return colon ? colon + 1 : qname;
}

static void fail(parse_state_t *st, const char *why) {
    if (st->err == NULL)
        st->err = why;
    XML_StopParser(st->parser, XML_FALSE);
}

static void free_node(nb__xml_node_t *n) {
    while (n) {
        /* children first, iteratively along siblings, recursion bounded by depth */
        nb__xml_node_t *next = n->next;
        free_node(n->first);
        free(n->name);
        if (n->attrs) {
            for (char **a = n->attrs; *a; a++)
                free(*a);
            free(n->attrs);
        }
        free(n->text);
        free(n);
        n = next;
    }
}

void nb__xml_free(nb__xml_node_t *root) { free_node(root); }

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
    parse_state_t *st = ud;
    if (st->err)
        return;
    if (st->depth >= NB_XML_MAX_DEPTH) {
        fail(st, "XML nesting too deep");
        return;
    }
    if (++st->nodes > NB_XML_MAX_NODES) {
        fail(st, "too many XML elements");
        return;
    }
    nb__xml_node_t *n = calloc(1, sizeof *n);
    if (n == NULL) {
        fail(st, "out of memory");
        return;
    }
    n->name = strdup(name);
    n->text = calloc(1, 1);
    size_t na = 0;
    while (attrs[na])
        na++;
    n->attrs = calloc(na + 1, sizeof *n->attrs);
    bool ok = n->name && n->text && n->attrs;
    for (size_t i = 0; ok && i < na; i++)
        ok = (n->attrs[i] = strdup(attrs[i])) != NULL;
    if (!ok) {
        free_node(n);
        fail(st, "out of memory");
        return;
    }
    n->local = nb__xml_local(n->name);
    n->parent = st->cur;
    if (st->cur) {
        if (st->cur->last)
            st->cur->last->next = n;
        else
            st->cur->first = n;
        st->cur->last = n;
    } else {
        st->root = n;
    }
    st->cur = n;
    st->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
    parse_state_t *st = ud;
    (void)name;
    if (st->err || st->cur == NULL)
        return;
    st->cur = st->cur->parent;
    st->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    parse_state_t *st = ud;
    nb__xml_node_t *n = st->cur;
    if (st->err || n == NULL || len <= 0)
        return;
    size_t need = n->text_len + (size_t)len + 1;
    if (need > n->text_cap) {
        size_t cap = n->text_cap ? n->text_cap : 32;
        while (cap < need)
            cap *= 2;
        char *t = realloc(n->text, cap);
        if (t == NULL) {
            fail(st, "out of memory");
            return;
        }
        n->text = t;
        n->text_cap = cap;
    }
    memcpy(n->text + n->text_len, s, (size_t)len);
    n->text_len += (size_t)len;
    n->text[n->text_len] = '\0';
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset) {
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud, "DTDs are not allowed");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int len,
                                   const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
                                   const XML_Char *notation) {
    (void)name, (void)is_param, (void)value, (void)len, (void)base, (void)sysid, (void)pubid, (void)notation;
    fail(ud, "entity declarations are not allowed");
}

nb__xml_node_t *nb__xml_parse(const char *data, size_t len, const char **err) {
    parse_state_t st = {0};
    if (err)
        *err = NULL;
    if (len > (size_t)INT32_MAX) {
        if (err)
            *err = "XML document too large";
        return NULL;
    }
    st.parser = XML_ParserCreate("UTF-8");
    if (st.parser == NULL) {
        if (err)
            *err = "out of memory";
        return NULL;
    }
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetStartDoctypeDeclHandler(st.parser, on_doctype);
    XML_SetEntityDeclHandler(st.parser, on_entity_decl);
    XML_SetParamEntityParsing(st.parser, XML_PARAM_ENTITY_PARSING_NEVER);
    enum XML_Status rc = XML_Parse(st.parser, data, (int)len, XML_TRUE);
    if (rc != XML_STATUS_OK && st.err == NULL)
        st.err = XML_ErrorString(XML_GetErrorCode(st.parser));
    if (st.err == NULL && st.root == NULL)
        st.err = "no root element";
    XML_ParserFree(st.parser);
    if (st.err) {
        free_node(st.root);
        if (err)
            *err = st.err;
        return NULL;
    }
    return st.root;
}

const char *nb__xml_attr(const nb__xml_node_t *n, const char *name) {
    if (n == NULL || n->attrs == NULL)
        return NULL;
    for (char **a = n->attrs; a[0]; a += 2)
        if (strcmp(a[0], name) == 0)
            return a[1];
    const char *local = nb__xml_local(name);
    for (char **a = n->attrs; a[0]; a += 2)
        if (strcmp(nb__xml_local(a[0]), local) == 0 && strncmp(a[0], "xmlns", 5) != 0)
            return a[1];
    return NULL;
}

nb__xml_node_t *nb__xml_child(const nb__xml_node_t *n, const char *local) {
    if (n == NULL)
        return NULL;
    for (nb__xml_node_t *c = n->first; c; c = c->next)
        if (strcmp(c->local, local) == 0)
            return c;
    return NULL;
}

/* ---- writer ---- */

/* 0: written as is; 1: escaped; 2: escaped in attribute values only. */
static inline int escape_class(unsigned char c) {
    if (c >= 0x3f) /* past & < > " ': the common case */
        return 0;
    if (c < 0x20)
        return c == '\t' || c == '\n' ? 2 : 1;
    switch (c) {
    case '&':
    case '<':
    case '>': return 1;
    case '"':
    case '\'': return 2;
    default: return 0;
    }
}

void nb__xml_escape(nb__buf_t *out, const char *text, size_t len, bool attr) {
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        int k = escape_class(c);
        if (k == 0 || (k == 2 && !attr)) {
            run++;
            continue;
        }
        const char *rep = NULL;
        char num[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        /* a raw CR would be normalised away by the reader's parser */
        case '\r': rep = "&#xD;"; break;
        case '\n': rep = "&#xA;"; break;
        case '\t': rep = "&#x9;"; break;
        default:
            snprintf(num, sizeof num, "&#x%X;", c);
            rep = num;
        }
        nb__buf_append(out, text + i - run, run);
        nb__buf_puts(out, rep);
        run = 0;
    }
    nb__buf_append(out, text + len - run, run);
}

void nb__xml_writer_init(nb__xml_writer_t *w, nb__buf_t *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
}

void nb__xml_decl(nb__xml_writer_t *w) { nb__buf_puts(w->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"); }

static void close_open_tag(nb__xml_writer_t *w) {
    if (w->tag_open) {
        nb__buf_putc(w->out, '>');
        w->tag_open = false;
    }
}

void nb__xml_start(nb__xml_writer_t *w, const char *name) {
    close_open_tag(w);
    if (w->depth == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        size_t *s = realloc(w->stack, cap * sizeof *s);
        if (s == NULL) {
            w->err = NB_ENOMEM;
            return;
        }
        w->stack = s;
        w->cap = cap;
    }
    size_t off = w->names.len;
    if (nb__buf_append(&w->names, name, strlen(name) + 1) != 0) {
        w->err = NB_ENOMEM;
        return;
    }
    w->stack[w->depth++] = off;
    nb__buf_putc(w->out, '<');
    nb__buf_append(w->out, name, w->names.len - off - 1);
    w->tag_open = true;
}

void nb__xml_attribute(nb__xml_writer_t *w, const char *name, const char *value) {
    if (!w->tag_open)
        return;
    nb__buf_putc(w->out, ' ');
    nb__buf_puts(w->out, name);
    nb__buf_puts(w->out, "=\"");
    nb__xml_escape(w->out, value, strlen(value), true);
    nb__buf_putc(w->out, '"');
}

void nb__xml_text(nb__xml_writer_t *w, const char *text, size_t len) {
    close_open_tag(w);
    nb__xml_escape(w->out, text, len, false);
}

void nb__xml_end(nb__xml_writer_t *w) {
    if (w->depth == 0)
        return;
    size_t off = w->stack[--w->depth];
    if (w->tag_open) {
        nb__buf_puts(w->out, "/>");
        w->tag_open = false;
    } else {
        nb__buf_puts(w->out, "</");
        nb__buf_append(w->out, w->names.data + off, w->names.len - off - 1);
        nb__buf_putc(w->out, '>');
    }
    w->names.len = off;
}

int nb__xml_writer_finish(nb__xml_writer_t *w) {
    while (w->depth)
        nb__xml_end(w);
    free(w->stack);
    w->stack = NULL;
    w->cap = 0;
    nb__buf_free(&w->names);
    return w->err;
}

void nb__xml_element(nb__xml_writer_t *w, const char *name, const char *text) {
    nb__xml_start(w, name);
    if (text)
        nb__xml_text(w, text, strlen(text));
    nb__xml_end(w);
}
