/* The XML reader (expat DOM, hostile input) and writer (escaping). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xml.h"

static nb__xml_node_t *parse(const char *s) { return nb__xml_parse(s, strlen(s), NULL); }

Test(xml_read, elements_text_and_local_names) {
    nb__xml_node_t *r = parse("<?xml version=\"1.0\"?>\n<a:Root xmlns:a=\"urn:x\"><Name>b1 &amp; &lt;k&gt;</Name>"
                              "<Empty/><Data><![CDATA[<raw>]]></Data><Name>second</Name></a:Root>");
    cr_assert_not_null(r);
    cr_assert_str_eq(r->name, "a:Root");
    cr_assert_str_eq(r->local, "Root");
    nb__xml_node_t *n = nb__xml_child(r, "Name");
    cr_assert_not_null(n);
    cr_assert_str_eq(n->text, "b1 & <k>");
    cr_assert_eq(n->text_len, 8);
    cr_assert_str_eq(n->next->local, "Empty");
    cr_assert_str_eq(n->next->text, "");
    cr_assert_str_eq(nb__xml_child(r, "Data")->text, "<raw>");
    cr_assert_null(nb__xml_child(r, "Missing"));
    nb__xml_free(r);
}

Test(xml_read, attributes_by_qualified_or_local_name) {
    nb__xml_node_t *r = parse("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                              "xsi:type=\"CanonicalUser\" id=\"7\"><ID>x</ID></Grantee>");
    cr_assert_not_null(r);
    cr_assert_str_eq(nb__xml_attr(r, "xsi:type"), "CanonicalUser");
    cr_assert_str_eq(nb__xml_attr(r, "type"), "CanonicalUser");
    cr_assert_str_eq(nb__xml_attr(r, "id"), "7");
    cr_assert_null(nb__xml_attr(r, "missing"));
    nb__xml_free(r);
}

Test(xml_read, utf8_and_character_references) {
    nb__xml_node_t *r = parse("<a>caf\xc3\xa9 &#x1F639; &#13;</a>");
    cr_assert_not_null(r);
    cr_assert_str_eq(r->text, "caf\xc3\xa9 \xf0\x9f\x98\xb9 \r");
    nb__xml_free(r);
}

Test(xml_read, rejects_malformed_documents) {
    const char *bad[] = {
        "",
        "   ",
        "<a>",
        "<a></b>",
        "<a><b></a></b>",
        "text only",
        "<a>&undefined;</a>",
        "<a x=\"1\" x=\"2\"/>",
        "<a/><b/>",
        "<a>\xff\xfe</a>",
        "<a>&#0;</a>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        nb__xml_node_t *r = nb__xml_parse(bad[i], strlen(bad[i]), &why);
        cr_expect_null(r, "accepted bad document %zu: %s", i, bad[i]);
        cr_expect_not_null(why, "no reason for bad document %zu", i);
        nb__xml_free(r);
    }
}

Test(xml_read, rejects_dtds_and_entity_expansion) {
    const char *laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                         "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                         "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                         "<lolz>&lol3;</lolz>";
    const char *external = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
    const char *plain_dtd = "<!DOCTYPE r SYSTEM \"http://example.com/r.dtd\"><r/>";
    const char *why = NULL;
    cr_assert_null(nb__xml_parse(laughs, strlen(laughs), &why));
    cr_assert_not_null(why);
    cr_assert_null(nb__xml_parse(external, strlen(external), &why));
    cr_assert_null(nb__xml_parse(plain_dtd, strlen(plain_dtd), &why));
}

static char *nested(int depth) {
    char *s = malloc((size_t)depth * 7 + 1);
    char *p = s;
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "<a>");
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "</a>");
    return s;
}

Test(xml_read, bounds_nesting_depth) {
    char *ok = nested(NB_XML_MAX_DEPTH);
    char *deep = nested(NB_XML_MAX_DEPTH + 1);
    nb__xml_node_t *r = nb__xml_parse(ok, strlen(ok), NULL);
    cr_assert_not_null(r);
    nb__xml_free(r);
    const char *why = NULL;
    cr_assert_null(nb__xml_parse(deep, strlen(deep), &why));
    cr_assert_str_eq(why, "XML nesting too deep");
    free(ok);
    free(deep);
}

Test(xml_read, every_truncation_of_a_document_is_handled) {
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                      "<Object><Key>a&amp;b</Key><VersionId>1</VersionId></Object><Quiet>true</Quiet></Delete>";
    size_t n = strlen(doc);
    for (size_t i = 0; i < n; i++) {
        nb__xml_node_t *r = nb__xml_parse(doc, i, NULL);
        cr_expect_null(r, "a document cut at %zu parsed", i);
        nb__xml_free(r);
    }
    nb__xml_node_t *r = nb__xml_parse(doc, n, NULL);
    cr_assert_not_null(r);
    nb__xml_free(r);
}

static char *written(void (*fn)(nb__xml_writer_t *)) {
    nb__buf_t b = NB__BUF_INIT;
    nb__xml_writer_t w;
    nb__xml_writer_init(&w, &b);
    fn(&w);
    cr_assert_eq(nb__xml_writer_finish(&w), 0);
    return nb__buf_steal(&b, NULL);
}

static void write_escapes(nb__xml_writer_t *w) {
    nb__xml_start(w, "Root");
    nb__xml_attribute(w, "a", "\"q\" & 'x' <y>\n");
    nb__xml_element(w, "T", "a<b>&c \"d\" 'e'\r\n");
    nb__xml_start(w, "Empty");
    nb__xml_end(w);
    nb__xml_start(w, "EmptyText");
    nb__xml_text(w, "", 0);
    nb__xml_end(w);
    nb__xml_start(w, "Open"); /* closed by finish */
}

Test(xml_write, escapes_text_and_attributes) {
    char *s = written(write_escapes);
    cr_assert_str_eq(s, "<Root a=\"&quot;q&quot; &amp; &apos;x&apos; &lt;y&gt;&#xA;\">"
                        "<T>a&lt;b&gt;&amp;c \"d\" 'e'&#xD;\n</T><Empty/><EmptyText></EmptyText><Open/></Root>");
    free(s);
}

Test(xml_write, output_reads_back_to_the_same_text) {
    char *s = written(write_escapes);
    nb__xml_node_t *r = parse(s);
    cr_assert_not_null(r, "writer produced unparsable XML: %s", s);
    cr_assert_str_eq(nb__xml_attr(r, "a"), "\"q\" & 'x' <y>\n");
    cr_assert_str_eq(nb__xml_child(r, "T")->text, "a<b>&c \"d\" 'e'\r\n");
    nb__xml_free(r);
    free(s);
}
