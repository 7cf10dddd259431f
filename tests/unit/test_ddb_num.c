/* DynamoDB numbers: parse with AWS's validation, canonical text, order, exact arithmetic, key encoding. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_num.h"

static ddb_num_t num(const char *s)
{
    ddb_num_t n;
    ddb_num_status_t st = ddb_num_parse(s, strlen(s), &n);
    cr_assert_eq(st, DDB_NUM_OK, "parse %s: %s", s, ddb_num_message(st));
    return n;
}

static const char *canon(const char *s, char *buf)
{
    size_t len;
    ddb_num_status_t st = ddb_num_canonical(s, strlen(s), buf, &len);
    cr_assert_eq(st, DDB_NUM_OK, "canonical %s", s);
    cr_assert_eq(len, strlen(buf));
    return buf;
}

static ddb_num_status_t status(const char *s)
{
    ddb_num_t n;
    return ddb_num_parse(s, strlen(s), &n);
}

Test(ddb_num, canonical_text_strips_zeros_and_exponents) {
    char b[DDB_NUM_TEXT_MAX];
    const char *cases[][2] = {
        {"0", "0"}, {"-0", "0"}, {"0.000", "0"}, {"-0e10", "0"}, {"007", "7"}, {"1.50", "1.5"},
        {"-1.50", "-1.5"}, {"100", "100"}, {"1e2", "100"}, {"1E+2", "100"}, {"1.5e-3", "0.0015"},
        {".5", "0.5"}, {"5.", "5"}, {"+12", "12"}, {"123.456", "123.456"}, {"0.0001", "0.0001"},
        {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
        {"1234567890123456789012345678901234567800000", "1234567890123456789012345678901234567800000"},
        {"-3.14159E2", "-314.159"}, {"10.010", "10.01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_str_eq(canon(cases[i][0], b), cases[i][1], "%s", cases[i][0]);
}

Test(ddb_num, range_limits_are_aws_limits) {
    char b[DDB_NUM_TEXT_MAX];
    cr_assert_eq(status("1E-130"), DDB_NUM_OK);
    cr_assert_eq(status("-1E-130"), DDB_NUM_OK);
    cr_assert_eq(status("9.9999999999999999999999999999999999999E+125"), DDB_NUM_OK);
    cr_assert_eq(status("-9.9999999999999999999999999999999999999E+125"), DDB_NUM_OK);
    cr_assert_eq(status("1E+126"), DDB_NUM_EOVERFLOW);
    cr_assert_eq(status("-1E+126"), DDB_NUM_EOVERFLOW);
    cr_assert_eq(status("1E-131"), DDB_NUM_EUNDERFLOW);
    cr_assert_eq(status("0.9E-130"), DDB_NUM_EUNDERFLOW);
    cr_assert_eq(status("0E-999999999999"), DDB_NUM_OK, "zero is never out of range");
    cr_assert_eq(status("1E+99999999999999999999"), DDB_NUM_EOVERFLOW);
    /* the smallest and the largest print in full, without exponent */
    canon("1E-130", b);
    cr_assert_eq(strlen(b), 2 + 129 + 1);
    cr_assert(strncmp(b, "0.000", 5) == 0 && b[strlen(b) - 1] == '1');
    canon("-9.9999999999999999999999999999999999999E+125", b);
    cr_assert_eq(strlen(b), 1 + 126);
    cr_assert_eq(strspn(b + 1, "9"), 38);
    cr_assert_eq(strspn(b + 39, "0"), 126 - 38);
    canon("-1.2345678901234567890123456789012345678E-130", b);
    cr_assert(strlen(b) < DDB_NUM_TEXT_MAX);
}

Test(ddb_num, significant_digits_are_counted_without_outer_zeros) {
    cr_assert_eq(status("12345678901234567890123456789012345678"), DDB_NUM_OK);
    cr_assert_eq(status("123456789012345678901234567890123456789"), DDB_NUM_EDIGITS);
    cr_assert_eq(status("0.000123456789012345678901234567890123456780000"), DDB_NUM_OK);
    cr_assert_eq(status("-1.00000000000000000000000000000000000001"), DDB_NUM_EDIGITS);
    cr_assert_eq(status("000000000000000000000000000000000000000000001"), DDB_NUM_OK);
}

Test(ddb_num, messages_are_aws_texts) {
    cr_assert_str_eq(ddb_num_message(DDB_NUM_EDIGITS), "Attempting to store more than 38 significant digits in a Number");
    cr_assert_str_eq(ddb_num_message(DDB_NUM_EOVERFLOW),
                     "Number overflow. Attempting to store a number with magnitude larger than supported range");
    cr_assert_str_eq(ddb_num_message(DDB_NUM_EUNDERFLOW),
                     "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    cr_assert_str_eq(ddb_num_message(DDB_NUM_ESYNTAX), "The parameter cannot be converted to a numeric value");
}

Test(ddb_num, syntax_errors) {
    const char *bad[] = {"", "-", "+", ".", "abc", "1a", "1e", "1e+", "1..2", "1.2.3", " 1", "1 ", "0x10", "NaN",
                         "Infinity", "1e2.5", "--1", "e5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(status(bad[i]), DDB_NUM_ESYNTAX, "'%s'", bad[i]);
}

static int cmp(const char *a, const char *b)
{
    ddb_num_t x = num(a), y = num(b);
    return ddb_num_cmp(&x, &y);
}

Test(ddb_num, compare_is_numeric) {
    cr_assert_lt(cmp("-10", "-9"), 0);
    cr_assert_lt(cmp("-1.5", "-1.25"), 0);
    cr_assert_lt(cmp("-0.001", "0"), 0);
    cr_assert_eq(cmp("-0", "0"), 0);
    cr_assert_eq(cmp("1.0", "1"), 0);
    cr_assert_eq(cmp("100", "1e2"), 0);
    cr_assert_lt(cmp("9", "10"), 0);
    cr_assert_lt(cmp("0.1", "0.105"), 0);
    cr_assert_gt(cmp("2", "1.99999999999999999999999999999999999"), 0);
    cr_assert_lt(cmp("1E-130", "2E-130"), 0);
    cr_assert_gt(cmp("1", "-1"), 0);
}

static const char *sum(const char *a, const char *b, int sub, char *buf)
{
    ddb_num_t x = num(a), y = num(b), r;
    ddb_num_status_t st = sub ? ddb_num_sub(&x, &y, &r) : ddb_num_add(&x, &y, &r);
    if (st != DDB_NUM_OK)
        return ddb_num_message(st);
    ddb_num_format(&r, buf);
    return buf;
}

Test(ddb_num, add_and_subtract_are_exact) {
    char b[DDB_NUM_TEXT_MAX];
    cr_assert_str_eq(sum("0.1", "0.2", 0, b), "0.3");
    cr_assert_str_eq(sum("1", "-1", 0, b), "0");
    cr_assert_str_eq(sum("-5", "3", 0, b), "-2");
    cr_assert_str_eq(sum("3", "-5", 0, b), "-2");
    cr_assert_str_eq(sum("999", "1", 0, b), "1000");
    cr_assert_str_eq(sum("1000", "1", 1, b), "999");
    cr_assert_str_eq(sum("0", "-7.5", 0, b), "-7.5");
    cr_assert_str_eq(sum("0", "7.5", 1, b), "-7.5");
    cr_assert_str_eq(sum("1.005", "0.995", 0, b), "2");
    cr_assert_str_eq(sum("12345678901234567890123456789012345678", "1", 1, b),
                     "12345678901234567890123456789012345677");
    cr_assert_str_eq(sum("99999999999999999999999999999999999999", "1", 0, b),
                     "100000000000000000000000000000000000000");
    cr_assert_str_eq(sum("1E+100", "1E-20", 0, b), "Attempting to store more than 38 significant digits in a Number");
    cr_assert_str_eq(sum("9.9999999999999999999999999999999999999E+125", "1E+88", 0, b),
                     "Number overflow. Attempting to store a number with magnitude larger than supported range");
    cr_assert_str_eq(sum("1.0000000000000000000000000000000000001E-100", "1E-100", 1, b),
                     "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    sum("-1E-130", "-1E-130", 0, b);
    char want[DDB_NUM_TEXT_MAX];
    canon("-2E-130", want);
    cr_assert_str_eq(b, want);
}

Test(ddb_num, from_int) {
    const long long v[] = {0, 1, -1, 10, 120, -9000, 1234567, 9223372036854775807LL, (-9223372036854775807LL - 1)};
    const char *t[] = {"0", "1", "-1", "10", "120", "-9000", "1234567", "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ddb_num_t n;
        char b[DDB_NUM_TEXT_MAX];
        ddb_num_from_int(v[i], &n);
        ddb_num_format(&n, b);
        cr_assert_str_eq(b, t[i]);
        ddb_num_t p = num(t[i]);
        cr_assert_eq(ddb_num_cmp(&n, &p), 0);
    }
}

/* Sorted by value: every pair's encodings must sort the same way under memcmp, and decode back. */
static const char *ordered[] = {
    "-9.9999999999999999999999999999999999999E+125", "-1E+125", "-123456", "-1000", "-999.5", "-100", "-12",
    "-11.5", "-11", "-10", "-9", "-1.05", "-1", "-0.99", "-0.105", "-0.1", "-0.01", "-1E-129", "-1E-130",
    "0", "1E-130", "1.5E-130", "1E-129", "0.01", "0.1", "0.105", "0.99", "1", "1.0000000000000000000000000000000000001",
    "1.05", "9", "10", "11", "11.5", "12", "100", "999.5", "1000", "123456", "1E+125",
    "9.9999999999999999999999999999999999999E+125",
};

Test(ddb_num, encoding_order_equals_numeric_order) {
    size_t n = sizeof ordered / sizeof ordered[0];
    uint8_t ka[DDB_NUM_KEY_MAX + 4], kb[DDB_NUM_KEY_MAX + 4];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            ddb_num_t a = num(ordered[i]), b = num(ordered[j]);
            size_t la = ddb_num_encode(&a, ka), lb = ddb_num_encode(&b, kb);
            cr_assert_leq(la, DDB_NUM_KEY_MAX);
            size_t m = la < lb ? la : lb;
            int c = memcmp(ka, kb, m);
            if (c == 0)
                c = (la > lb) - (la < lb);
            int want = (i > j) - (i < j);
            cr_assert_eq((c > 0) - (c < 0), want, "%s vs %s", ordered[i], ordered[j]);
            cr_assert_eq((ddb_num_cmp(&a, &b) > 0) - (ddb_num_cmp(&a, &b) < 0), want);
        }
    }
}

Test(ddb_num, encoding_decodes_back_and_is_self_delimiting) {
    size_t n = sizeof ordered / sizeof ordered[0];
    for (size_t i = 0; i < n; i++) {
        ddb_num_t a = num(ordered[i]), d;
        uint8_t k[DDB_NUM_KEY_MAX + 3];
        size_t len = ddb_num_encode(&a, k);
        k[len] = 0x55; /* a following key part must not be taken for digits */
        k[len + 1] = 0xAA;
        cr_assert_eq(ddb_num_decode(k, len + 2, &d), len, "%s", ordered[i]);
        cr_assert_eq(ddb_num_cmp(&a, &d), 0, "%s", ordered[i]);
        cr_assert_eq(d.ndig, a.ndig);
    }
    ddb_num_t d;
    const uint8_t junk[] = {9, 1, 2};
    cr_assert_eq(ddb_num_decode(junk, sizeof junk, &d), 0);
    const uint8_t cut[] = {3, 130, 11};
    cr_assert_eq(ddb_num_decode(cut, sizeof cut, &d), 0, "no terminator");
}

Test(ddb_num, negative_zero_encodes_as_zero) {
    ddb_num_t a = num("-0"), b = num("0.0");
    uint8_t ka[DDB_NUM_KEY_MAX], kb[DDB_NUM_KEY_MAX];
    size_t la = ddb_num_encode(&a, ka), lb = ddb_num_encode(&b, kb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(ka, kb, la), 0);
}
