/* The small encodings every protocol and plugin uses: base64, hex, timestamps, percent-encoding. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"

/* 2014-04-29T18:30:38Z, a Tuesday: the timestamp AWS's own documentation uses. */
#define T0 1398796238.0

/* ---- base64 and hex ---- */

Test(codec, base64_encodes_with_padding) {
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"}; /* RFC 4648 section 10 */
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char *e = nb__base64_encode(in[i], strlen(in[i]));
        cr_assert_str_eq(e, out[i]);
        free(e);
    }
}

Test(codec, base64_decode_round_trips_binary_and_gives_its_length) {
    const unsigned char bytes[] = {0x00, 0xff, 0x10, 0x80, 0x00, 0x7f, 0xfe};
    char *e = nb__base64_encode(bytes, sizeof bytes);
    size_t n = 0;
    unsigned char *d = nb__base64_decode(e, strlen(e), &n);
    cr_assert_not_null(d);
    cr_assert_eq(n, sizeof bytes);
    cr_assert_eq(memcmp(d, bytes, n), 0);
    free(d);
    free(e);
    d = nb__base64_decode("Zm8=", 4, &n);
    cr_assert_eq(n, 2, "padding is not counted as data");
    cr_assert_str_eq((char *)d, "fo");
    free(d);
    d = nb__base64_decode("", 0, &n);
    cr_assert_not_null(d);
    cr_assert_eq(n, 0);
    free(d);
}

Test(codec, base64_decode_rejects_what_is_not_base64) {
    const char *bad[] = {"Zm9",  /* not a multiple of 4 */
                         "Zm9v!A==", "Zm 9v", "Z===", /* padding too early */
                         "Zm=v", "Zm9v\nYg==", "Zm9-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 0;
        cr_assert_null(nb__base64_decode(bad[i], strlen(bad[i]), &n), "'%s' is not base64", bad[i]);
    }
}

Test(codec, hex_encodes_lowercase_and_reads_both_cases) {
    const unsigned char bytes[] = {0x00, 0x9a, 0xff, 0x10};
    char *h = nb__hex_encode(bytes, sizeof bytes);
    cr_assert_str_eq(h, "009aff10");
    free(h);
    cr_assert_eq(nb__hex_digit('0'), 0);
    cr_assert_eq(nb__hex_digit('9'), 9);
    cr_assert_eq(nb__hex_digit('a'), 10);
    cr_assert_eq(nb__hex_digit('F'), 15);
    cr_assert_eq(nb__hex_digit('g'), -1);
    cr_assert_eq(nb__hex_digit('/'), -1);
}

/* ---- timestamps ---- */

static void expect_format(double t, nb__time_format_t fmt, const char *want) {
    char buf[64];
    nb__time_format(t, fmt, buf, sizeof buf);
    cr_assert_str_eq(buf, want, "%.4f", t);
}

Test(codec, time_formats_aws_writes) {
    expect_format(T0, NB_TIME_ISO8601, "2014-04-29T18:30:38Z");
    expect_format(T0 + 0.5, NB_TIME_ISO8601, "2014-04-29T18:30:38.500Z");
    expect_format(T0, NB_TIME_ISO8601_MS, "2014-04-29T18:30:38.000Z");
    expect_format(T0, NB_TIME_RFC822, "Tue, 29 Apr 2014 18:30:38 GMT");
    expect_format(T0 + 0.9, NB_TIME_RFC822, "Tue, 29 Apr 2014 18:30:38 GMT");
    expect_format(T0, NB_TIME_EPOCH, "1398796238");
    expect_format(T0 + 0.25, NB_TIME_EPOCH, "1398796238.25");
    expect_format(0, NB_TIME_ISO8601, "1970-01-01T00:00:00Z");
}

/* The HTTP date is written by hand (no snprintf): zero-padded fields, and a short buffer gets the
 * text cut and terminated, the full length returned, as snprintf would. */
Test(codec, time_format_http_date_pads_and_cuts_like_snprintf) {
    expect_format(0, NB_TIME_RFC822, "Thu, 01 Jan 1970 00:00:00 GMT");
    expect_format(1709251199, NB_TIME_RFC822, "Thu, 29 Feb 2024 23:59:59 GMT");
    char small[8];
    cr_assert_eq(nb__time_format(T0, NB_TIME_RFC822, small, sizeof small), strlen("Tue, 29 Apr 2014 18:30:38 GMT"));
    cr_assert_str_eq(small, "Tue, 29");
    cr_assert_eq(nb__time_format(T0, NB_TIME_ISO8601, small, sizeof small), strlen("2014-04-29T18:30:38Z"));
    cr_assert_str_eq(small, "2014-04");
}

/* A fraction that rounds up to the next second is that second, not the one before with .000. */
Test(codec, time_format_rounds_to_milliseconds_across_a_second) {
    expect_format(T0 + 0.9996, NB_TIME_ISO8601_MS, "2014-04-29T18:30:39.000Z");
    expect_format(T0 + 0.9996, NB_TIME_ISO8601, "2014-04-29T18:30:39Z");
    expect_format(T0 + 0.9996, NB_TIME_EPOCH, "1398796239");
}

static double parsed(const char *text) {
    double t = -1;
    cr_assert(nb__time_parse(text, &t), "'%s' parses", text);
    return t;
}

Test(codec, time_parse_reads_every_form_aws_accepts) {
    cr_assert_float_eq(parsed("2014-04-29T18:30:38Z"), T0, 1e-9);
    cr_assert_float_eq(parsed("2014-04-29T18:30:38.123Z"), T0 + 0.123, 1e-6);
    cr_assert_float_eq(parsed("2014-04-29t18:30:38z"), T0, 1e-9);
    cr_assert_float_eq(parsed("2014-04-29T20:30:38+02:00"), T0, 1e-9);
    cr_assert_float_eq(parsed("2014-04-29T16:30:38-0200"), T0, 1e-9);
    cr_assert_float_eq(parsed("Tue, 29 Apr 2014 18:30:38 GMT"), T0, 1e-9);
    cr_assert_float_eq(parsed("29 Apr 2014 18:30:38 GMT"), T0, 1e-9);
    cr_assert_float_eq(parsed("1398796238"), T0, 1e-9);
    cr_assert_float_eq(parsed("1398796238.5"), T0 + 0.5, 1e-9);
}

Test(codec, time_parse_refuses_what_is_not_a_time) {
    const char *bad[] = {"",
                         "yesterday",
                         "2014-13-29T18:30:38Z",
                         "2014-04-32T18:30:38Z",
                         "2014-04-29T24:30:38Z",
                         "2014-04-29T18:30:38.Z",
                         "2014-04-29T18:30:38Zjunk",
                         "2014-04-29",
                         "Tue, 29 Foo 2014 18:30:38 GMT",
                         "Tue, 29 Apr 2014 18:30:38 PST",
                         "1398796238abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t = 0;
        cr_assert_not(nb__time_parse(bad[i], &t), "'%s' is not a time", bad[i]);
    }
    double t = 0;
    cr_assert_not(nb__time_parse(NULL, &t));
}

Test(codec, time_round_trips_through_every_format) {
    const nb__time_format_t fmts[] = {NB_TIME_ISO8601, NB_TIME_ISO8601_MS, NB_TIME_RFC822, NB_TIME_EPOCH};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char buf[64];
        nb__time_format(T0, fmts[i], buf, sizeof buf);
        cr_assert_float_eq(parsed(buf), T0, 1e-9, "%s", buf);
    }
}

/* ---- percent-encoding ---- */

Test(codec, url_decode_reads_escapes_and_form_pluses) {
    size_t n = 0;
    char *d = nb__url_decode("a%20b+c%2Fd%zz", 11, false, &n); /* the bad escape is past len */
    cr_assert_str_eq(d, "a b+c/d");
    cr_assert_eq(n, 7);
    free(d);
    d = nb__url_decode("a+b%2B", 6, true, &n);
    cr_assert_str_eq(d, "a b+", "form encoding: + is a space, %%2B a plus");
    free(d);
    d = nb__url_decode("nul%00byte", 10, false, &n);
    cr_assert_eq(n, 8);
    cr_assert_eq(memcmp(d, "nul\0byte", 8), 0);
    free(d);
}

Test(codec, url_decode_refuses_a_bad_or_cut_escape) {
    const char *bad[] = {"%", "%4", "%g0", "abc%2", "%%41"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(nb__url_decode(bad[i], strlen(bad[i]), false, NULL), "'%s'", bad[i]);
}

Test(codec, url_encode_keeps_only_unreserved_characters) {
    const char *s = "a b/c~d_e.f-g+h=é";
    char *e = nb__url_encode(s, strlen(s), false);
    cr_assert_str_eq(e, "a%20b%2Fc~d_e.f-g%2Bh%3D%C3%A9");
    free(e);
    e = nb__url_encode(s, strlen(s), true);
    cr_assert_str_eq(e, "a%20b/c~d_e.f-g%2Bh%3D%C3%A9", "keep_slash leaves path separators");
    free(e);
    size_t n = 0;
    e = nb__url_encode(s, strlen(s), false);
    char *d = nb__url_decode(e, strlen(e), false, &n);
    cr_assert_str_eq(d, s);
    free(d);
    free(e);
}
