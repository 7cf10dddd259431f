/* The CBOR codec on its own: item heads, strings in chunks, map keys, JSON with no shape, encoding. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cbor_codec.h"

static nb__cbor_dec_t dec_of(const unsigned char *p, size_t len) {
    nb__cbor_dec_t d = {.start = p, .p = p, .end = p + len};
    return d;
}

Test(cbor_codec, reads_item_heads_in_order) {
    /* [1, -2, "hi"] */
    static const unsigned char in[] = {0x83, 0x01, 0x21, 0x62, 'h', 'i'};
    nb__cbor_dec_t d = dec_of(in, sizeof in);
    nb__cbor_tok_t t;
    cr_assert(nb__cbor_next(&d, &t));
    cr_assert_eq(t.kind, NB_CBOR_ARRAY);
    cr_assert_eq(t.u, 3);
    cr_assert(nb__cbor_next(&d, &t));
    cr_assert_eq(t.kind, NB_CBOR_UINT);
    cr_assert_eq(t.u, 1);
    cr_assert(nb__cbor_next(&d, &t));
    cr_assert_eq(t.kind, NB_CBOR_NEGINT);
    cr_assert_eq(t.u, 1); /* -1 - 1 = -2 */
    cr_assert(nb__cbor_next(&d, &t));
    cr_assert_eq(t.kind, NB_CBOR_TEXT);
    cr_assert_eq(t.len, 2);
    cr_assert_eq(memcmp(t.s, "hi", 2), 0);
    cr_assert_not(nb__cbor_next(&d, &t), "past the end");
    cr_assert_str_eq(d.msg, "unexpected end of CBOR data");
}

Test(cbor_codec, joins_the_chunks_of_an_indefinite_string) {
    /* (_ "ab", "c") */
    static const unsigned char in[] = {0x7f, 0x62, 'a', 'b', 0x61, 'c', 0xff};
    nb__cbor_dec_t d = dec_of(in, sizeof in);
    nb__cbor_tok_t t;
    cr_assert(nb__cbor_next(&d, &t));
    json_t *v = nb__cbor_decode_string(&d, &t, true);
    cr_assert_not_null(v, "%s", d.msg);
    cr_assert_str_eq(json_string_value(v), "abc");
    json_decref(v);
}

Test(cbor_codec, refuses_a_byte_chunk_in_a_text_string) {
    static const unsigned char in[] = {0x7f, 0x41, 'a', 0xff};
    nb__cbor_dec_t d = dec_of(in, sizeof in);
    nb__cbor_tok_t t;
    cr_assert(nb__cbor_next(&d, &t));
    cr_assert_null(nb__cbor_decode_string(&d, &t, true));
    cr_assert_str_eq(d.msg, "indefinite-length text string holds a byte string chunk");
}

Test(cbor_codec, map_keys_must_be_text_without_nul) {
    /* {1: 2} and {"a\0": 1} */
    static const unsigned char int_key[] = {0xa1, 0x01, 0x02};
    static const unsigned char nul_key[] = {0xa1, 0x62, 'a', 0x00, 0x01};
    nb__buf_t tmp = NB__BUF_INIT;
    nb__cbor_tok_t t;
    nb__cbor_coll_t c;

    nb__cbor_dec_t d = dec_of(int_key, sizeof int_key);
    cr_assert(nb__cbor_next(&d, &t));
    nb__cbor_coll_init(&c, &t);
    cr_assert(nb__cbor_coll_more(&d, &c));
    cr_assert_null(nb__cbor_read_map_key(&d, &c, &tmp));
    cr_assert_str_eq(d.msg, "map key is a CBOR integer, not a text string");

    d = dec_of(nul_key, sizeof nul_key);
    cr_assert(nb__cbor_next(&d, &t));
    nb__cbor_coll_init(&c, &t);
    cr_assert(nb__cbor_coll_more(&d, &c));
    cr_assert_null(nb__cbor_read_map_key(&d, &c, &tmp));
    cr_assert_str_eq(d.msg, "map key holds a NUL character");
    nb__buf_free(&tmp);
}

Test(cbor_codec, decodes_any_item_as_json) {
    /* {_ "a": [1, true, null], "b": 1.5} */
    static const unsigned char in[] = {0xbf, 0x61, 'a', 0x83, 0x01, 0xf5, 0xf6, 0x61, 'b',
                                       0xf9, 0x3e, 0x00, 0xff};
    nb__cbor_dec_t d = dec_of(in, sizeof in);
    nb__cbor_tok_t t;
    cr_assert(nb__cbor_next(&d, &t));
    json_t *v = nb__cbor_decode_any(&d, &t, 0);
    cr_assert_not_null(v, "%s", d.msg);
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(text, "{\"a\":[1,true,null],\"b\":1.5}");
    free(text);
    json_decref(v);
    cr_assert_eq(d.p, d.end);
}

Test(cbor_codec, nesting_is_bounded) {
    unsigned char in[NB_CBOR_MAX_DEPTH + 3];
    memset(in, 0x81, sizeof in - 1); /* [[[[...1]]]] */
    in[sizeof in - 1] = 0x01;
    nb__cbor_dec_t d = dec_of(in, sizeof in);
    nb__cbor_tok_t t;
    cr_assert(nb__cbor_next(&d, &t));
    cr_assert_null(nb__cbor_decode_any(&d, &t, 0));
    cr_assert_not_null(strstr(d.msg, "nesting deeper"), "%s", d.msg);
}

Test(cbor_codec, encodes_with_definite_lengths_and_short_floats) {
    nb__buf_t out = NB__BUF_INIT;
    nb__cbor_enc_t e = {.out = &out};
    nb__cbor_put_map_start(&e, 2);
    nb__cbor_put_text(&e, "f", 1);
    nb__cbor_put_float(&e, 1.5, true); /* exact in single precision */
    nb__cbor_put_text(&e, "n", 1);
    nb__cbor_put_int(&e, -500);
    cr_assert_not(e.failed);
    static const unsigned char want[] = {0xa2, 0x61, 'f', 0xfa, 0x3f, 0xc0, 0x00, 0x00,
                                         0x61, 'n',  0x39, 0x01, 0xf3};
    cr_assert_eq(out.len, sizeof want);
    cr_assert_eq(memcmp(out.data, want, sizeof want), 0);
    nb__buf_free(&out);
}

Test(cbor_codec, encodes_json_and_reads_it_back) {
    json_t *in = json_loads("{\"k\":[1,-2,\"x\",false,null,{\"z\":2.25}]}", 0, NULL);
    nb__buf_t out = NB__BUF_INIT;
    nb__cbor_enc_t e = {.out = &out};
    nb__cbor_put_any(&e, in, 0);
    cr_assert_not(e.failed);
    nb__cbor_dec_t d = dec_of((const unsigned char *)out.data, out.len);
    nb__cbor_tok_t t;
    cr_assert(nb__cbor_next(&d, &t));
    json_t *back = nb__cbor_decode_any(&d, &t, 0);
    cr_assert_not_null(back, "%s", d.msg);
    cr_assert(json_equal(in, back));
    json_decref(in);
    json_decref(back);
    nb__buf_free(&out);
}
