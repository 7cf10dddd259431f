/* libFuzzer target: the XML reader (expat DOM with its DTD, depth and node limits), then a walk
 * of the tree it gives and the writer re-escaping every text and attribute. */
#include <stdint.h>
#include <stdlib.h>

#include "proto/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const nb__xml_node_t *n, nb__xml_writer_t *w) {
    nb__xml_start(w, n->name);
    for (char **a = n->attrs; a && a[0]; a += 2)
        nb__xml_attribute(w, a[0], a[1]);
    (void)nb__xml_attr(n, "xsi:type");
    (void)nb__xml_child(n, n->local);
    nb__xml_text(w, n->text, n->text_len);
    for (const nb__xml_node_t *c = n->first; c; c = c->next)
        walk(c, w);
    nb__xml_end(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *err = NULL;
    nb__xml_node_t *root = nb__xml_parse((const char *)data, size, &err);
    if (root == NULL)
        return 0;
    nb__buf_t out = {0};
    nb__xml_writer_t w;
    nb__xml_writer_init(&w, &out);
    nb__xml_decl(&w);
    walk(root, &w);
    nb__xml_writer_finish(&w);
    nb__buf_free(&out);
    nb__xml_free(root);
    return 0;
}
