/* nb_api->util encodings: base64 (RFC 4648 vectors, URL-safe, no padding), hex, URL encoding
 * (RFC 3986 unreserved set as SigV4 canonicalizes, form decoding). */
#include <criterion/criterion.h>
#include <string.h>

#include "util/util_api.h"

static const nb_util_api_t *u = &nb__util_api;

/* RFC 4648 section 10 */
static const struct {
    const char *in, *b64, *b16;
} rfc4648[] = {{"", "", ""},           {"f", "Zg==", "66"},           {"fo", "Zm8=", "666F"},
               {"foo", "Zm9v", "666F6F"}, {"foob", "Zm9vYg==", "666F6F62"}, {"fooba", "Zm9vYmE=", "666F6F6261"},
               {"foobar", "Zm9vYmFy", "666F6F626172"}};

Test(util_base64, rfc4648_vectors_both_ways) {
    for (size_t i = 0; i < sizeof rfc4648 / sizeof *rfc4648; i++) {
        const char *in = rfc4648[i].in;
        char text[NB_BASE64_SIZE(6)];
        cr_assert_eq(u->base64_encode(in, strlen(in), 0, text, sizeof text), (ssize_t)strlen(rfc4648[i].b64));
        cr_assert_str_eq(text, rfc4648[i].b64);
        unsigned char raw[NB_BASE64_DECODED_SIZE(8)];
        ssize_t n = u->base64_decode(text, strlen(text), 0, raw, sizeof raw);
        cr_assert_eq(n, (ssize_t)strlen(in));
        cr_assert_eq(memcmp(raw, in, (size_t)n), 0);
        cr_assert_eq(raw[n], '\0', "decoded text is NUL-terminated");
    }
}

Test(util_base64, url_safe_alphabet_and_no_padding) {
    const unsigned char in[] = {0xfb, 0xff};
    char text[8];
    cr_assert_eq(u->base64_encode(in, 2, 0, text, sizeof text), 4);
    cr_assert_str_eq(text, "+/8=");
    cr_assert_eq(u->base64_encode(in, 2, NB_BASE64_URL, text, sizeof text), 4);
    cr_assert_str_eq(text, "-_8=");
    cr_assert_eq(u->base64_encode(in, 2, NB_BASE64_URL | NB_BASE64_NOPAD, text, sizeof text), 3);
    cr_assert_str_eq(text, "-_8");
    unsigned char raw[8];
    cr_assert_eq(u->base64_decode("-_8", 3, NB_BASE64_URL | NB_BASE64_NOPAD, raw, sizeof raw), 2);
    cr_assert(raw[0] == 0xfb && raw[1] == 0xff);
    cr_assert_eq(u->base64_decode("-_8=", 4, NB_BASE64_URL, raw, sizeof raw), 2);
    /* each alphabet refuses the other's characters */
    cr_assert_eq(u->base64_decode("-_8=", 4, 0, raw, sizeof raw), NB_EINVAL);
    cr_assert_eq(u->base64_decode("+/8=", 4, NB_BASE64_URL, raw, sizeof raw), NB_EINVAL);
}

Test(util_base64, strict_decoding_and_small_buffers) {
    unsigned char raw[16];
    cr_assert_eq(u->base64_decode("Zm9", 3, 0, raw, sizeof raw), NB_EINVAL, "padding required by default");
    cr_assert_eq(u->base64_decode("Zm=v", 4, 0, raw, sizeof raw), NB_EINVAL, "'=' inside");
    cr_assert_eq(u->base64_decode("Zm9v YmFy", 9, 0, raw, sizeof raw), NB_EINVAL, "a space");
    cr_assert_eq(u->base64_decode("Z", 1, NB_BASE64_NOPAD, raw, sizeof raw), NB_EINVAL, "one char is no byte");
    cr_assert_eq(u->base64_decode("Zm9vYmFy", 8, 0, raw, 5), NB_ELIMIT);
    raw[6] = 'x';
    cr_assert_eq(u->base64_decode("Zm9vYmFy", 8, 0, raw, 6), 6, "exactly the bytes: no NUL");
    cr_assert_eq(raw[6], 'x');
    char text[9];
    cr_assert_eq(u->base64_encode("foobar", 6, 0, text, 8), NB_ELIMIT, "8 characters and a NUL");
    cr_assert_eq(u->base64_encode("foobar", 6, 0, text, 9), 8);
}

Test(util_hex, encode_decode_and_errors) {
    char text[NB_HEX_SIZE(3)];
    cr_assert_eq(u->hex_encode("\x01\xab\xff", 3, 0, text, sizeof text), 6);
    cr_assert_str_eq(text, "01abff");
    cr_assert_eq(u->hex_encode("\x01\xab\xff", 3, NB_HEX_UPPER, text, sizeof text), 6);
    cr_assert_str_eq(text, "01ABFF");
    cr_assert_eq(u->hex_encode("\x01\xab\xff", 3, 0, text, 6), NB_ELIMIT);
    unsigned char raw[6];
    cr_assert_eq(u->hex_decode("666F6f626172", 12, raw, sizeof raw), 6);
    cr_assert_eq(memcmp(raw, "foobar", 6), 0);
    cr_assert_eq(u->hex_decode("666", 3, raw, sizeof raw), NB_EINVAL);
    cr_assert_eq(u->hex_decode("6g", 2, raw, sizeof raw), NB_EINVAL);
    cr_assert_eq(u->hex_decode("666F6f626172", 12, raw, 5), NB_ELIMIT);
}

Test(util_url, sigv4_encoding_keeps_only_unreserved) {
    const char *in = "AZaz09-_.~ /+=&?%\xc3\xa9";
    char out[NB_URL_ENCODED_SIZE(32)];
    ssize_t n = u->url_encode(in, strlen(in), 0, out, sizeof out);
    cr_assert_str_eq(out, "AZaz09-_.~%20%2F%2B%3D%26%3F%25%C3%A9");
    cr_assert_eq(n, (ssize_t)strlen(out));
    u->url_encode("a b/c d", 7, NB_URL_KEEP_SLASH, out, sizeof out);
    cr_assert_str_eq(out, "a%20b/c%20d");
    cr_assert_eq(u->url_encode("a b", 3, 0, out, 5), NB_ELIMIT, "a%20b needs 6 bytes");
}

Test(util_url, decoding_path_and_form) {
    char out[32];
    cr_assert_eq(u->url_decode("a+b%2Bc%20d", 11, 0, out, sizeof out), 7);
    cr_assert_str_eq(out, "a+b+c d");
    cr_assert_eq(u->url_decode("a+b%2Bc%20d", 11, NB_URL_FORM, out, sizeof out), 7);
    cr_assert_str_eq(out, "a b+c d");
    cr_assert_eq(u->url_decode("%C3%a9", 6, 0, out, sizeof out), 2);
    cr_assert_str_eq(out, "\xc3\xa9");
    cr_assert_eq(u->url_decode("100%", 4, 0, out, sizeof out), NB_EINVAL);
    cr_assert_eq(u->url_decode("%4", 2, 0, out, sizeof out), NB_EINVAL);
    cr_assert_eq(u->url_decode("%zz", 3, 0, out, sizeof out), NB_EINVAL);
    cr_assert_eq(u->url_decode("abcd", 4, 0, out, 4), NB_ELIMIT);
    cr_assert_eq(u->url_decode("abcd", 4, 0, out, 5), 4, "a plain run that just fits");
    cr_assert_str_eq(out, "abcd");
    cr_assert_eq(u->url_decode("ab%41cd", 7, 0, out, 5), NB_ELIMIT, "the run after an escape is over");
    cr_assert_eq(u->url_decode("ab%41c", 6, 0, out, 5), 4);
    cr_assert_str_eq(out, "abAc");
}

Test(util_url, lenient_decoding_in_place) {
    char s[] = "100%+a%20b%4%zz%41";
    cr_assert_eq(u->url_decode(s, strlen(s), NB_URL_LENIENT | NB_URL_FORM, s, sizeof s), 14);
    cr_assert_str_eq(s, "100% a b%4%zzA");
}
